//! The Lua scripts that make each change of a room one atomic step in Redis, and publish it on
//! the room's channel in the same step: every relay sees posts and presence changes in the
//! order Redis applied them.
//!
//! Keys of room `R` (see [`super::keys`]): `duplex:room:R:meta` (hash: `epoch`, `seq`, `pv`),
//! `duplex:room:R:posts` (stream, entry id `seq-0`: `k` the `(from, id)` key, `p` the post's
//! JSON with `seq` 0, `b` an image's bytes), `duplex:room:R:ids` (hash: `(from, id)` key to
//! `seq`), `duplex:room:R:members` (hash: nick key to the member's JSON). A relay is alive while
//! `duplex:relay:ID` exists. The heartbeat keys are not declared as script keys, so the engine
//! needs a standalone Redis (or a single Cluster slot), as documented.
//!
//! What each script publishes on `duplex:room:R` (decoded by [`super::wire`]): `t<seq>\n<json>`
//! and `i<seq>\n<json>\n<bytes>` for posts, `j<pv>\n<nick>` and `l<pv>\n<nick>` for presence,
//! `r<owner>` when a session's new connection replaces the old one.
//!
//! A room is forgotten by expiry: its meta, posts and ids keys are given the room's lifetime
//! (`--forget-rooms-after`) again by every post, every join (the history read) and every
//! heartbeat sweep of a room that has a member on some relay, so they expire that long after the
//! room was last used with nobody in it. The members hash is emptied by presence.

use redis::Script;

/// Stores a post unless its `(from, id)` is known; trims the room to its retention.
///
/// KEYS: meta, posts, ids. ARGV: `(from, id)` key, post JSON, `t` or `i`, image bytes, posts
/// kept, a fresh epoch, channel, the room's lifetime in ms (see [`KEEP_ROOM`]). Returns `{1, seq}` for a new post, `{0, seq, fields}` with
/// the original's stream fields for a re-send.
const POST: &str = r"
local function keep_room(ms)
  for i = 1, 3 do
    redis.call('PEXPIRE', KEYS[i], ms)
  end
end
local seen = redis.call('HGET', KEYS[3], ARGV[1])
if seen then
  local entry = redis.call('XRANGE', KEYS[2], seen .. '-0', seen .. '-0')
  if #entry > 0 then
    keep_room(ARGV[8])
    return {0, tonumber(seen), entry[1][2]}
  end
end
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[6])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
if ARGV[3] == 'i' then
  redis.call('XADD', KEYS[2], seq .. '-0', 'k', ARGV[1], 'p', ARGV[2], 'b', ARGV[4])
else
  redis.call('XADD', KEYS[2], seq .. '-0', 'k', ARGV[1], 'p', ARGV[2])
end
redis.call('HSET', KEYS[3], ARGV[1], seq)
local keep = tonumber(ARGV[5])
if seq > keep then
  local gone = redis.call('XRANGE', KEYS[2], '-', (seq - keep) .. '-0', 'COUNT', 100)
  for _, entry in ipairs(gone) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'k' then
        redis.call('HDEL', KEYS[3], fields[i + 1])
      end
    end
    redis.call('XDEL', KEYS[2], entry[1])
  end
end
if ARGV[3] == 'i' then
  redis.call('PUBLISH', ARGV[7], 'i' .. seq .. '\n' .. ARGV[2] .. '\n' .. ARGV[4])
else
  redis.call('PUBLISH', ARGV[7], 't' .. seq .. '\n' .. ARGV[2])
end
keep_room(ARGV[8])
return {1, seq}
";

/// The room's epoch (made from the fresh one if the room is new) and latest seq.
///
/// KEYS: meta, posts, ids. ARGV: a fresh epoch, the room's lifetime in ms. Returns
/// `{epoch, seq}`.
const ROOM: &str = r"
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
for i = 1, 3 do
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
return {meta[1], tonumber(meta[2] or '0')}
";

/// Shared by the presence scripts: members of relays whose heartbeat expired leave, each with
/// a `left` on the channel. KEYS[1] members, KEYS[2] meta; `prefix` the heartbeat keys' prefix.
const SWEEP_FUNCTIONS: &str = r"
local function left(channel, nick)
  local pv = redis.call('HINCRBY', KEYS[2], 'pv', 1)
  redis.call('PUBLISH', channel, 'l' .. pv .. '\n' .. nick)
end
local function live_members(prefix, channel)
  local all = redis.call('HGETALL', KEYS[1])
  local live, relays = {}, {}
  for i = 1, #all, 2 do
    local member = cjson.decode(all[i + 1])
    local alive = relays[member.relay]
    if alive == nil then
      alive = redis.call('EXISTS', prefix .. member.relay) == 1
      relays[member.relay] = alive
    end
    if alive then
      live[all[i]] = member
    else
      redis.call('HDEL', KEYS[1], all[i])
      left(channel, member.nick)
    end
  end
  return live
end
";

/// Adds a member, or replaces the live one of the same session; refuses a nick held by a live
/// member of another session.
///
/// KEYS: members, meta. ARGV: nick key, member JSON, session (`` for none), heartbeat prefix,
/// channel. Returns `{0, held nick}` when taken, else `{1, pv, nick as shown, {nicks}}`.
const JOIN: &str = r"
local live = live_members(ARGV[4], ARGV[5])
local member = cjson.decode(ARGV[2])
local held = live[ARGV[1]]
local pv
if held then
  if ARGV[3] == '' or held.session ~= ARGV[3] then
    return {0, held.nick}
  end
  redis.call('PUBLISH', ARGV[5], 'r' .. held.owner)
  member.nick = held.nick
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(member))
  pv = tonumber(redis.call('HGET', KEYS[2], 'pv') or '0')
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  pv = redis.call('HINCRBY', KEYS[2], 'pv', 1)
  redis.call('PUBLISH', ARGV[5], 'j' .. pv .. '\n' .. member.nick)
end
local nicks = {member.nick}
for key, other in pairs(live) do
  if key ~= ARGV[1] then
    table.insert(nicks, other.nick)
  end
end
return {1, pv, member.nick, nicks}
";

/// Removes the member holding a nick if `owner` still holds it.
///
/// KEYS: members, meta. ARGV: nick key, owner, channel. Returns 1 if it left.
const LEAVE: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then
  return 0
end
local member = cjson.decode(held)
if member.owner ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
left(ARGV[3], member.nick)
return 1
";

/// Members of dead relays leave, and the room, occupied, is kept for its lifetime again.
/// KEYS: members, meta, posts, ids. ARGV: heartbeat prefix, channel, the room's lifetime in ms.
const SWEEP: &str = r"
live_members(ARGV[1], ARGV[2])
for i = 2, 4 do
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 1
";

/// The scripts, loaded once per relay.
#[derive(Debug)]
pub(super) struct Scripts {
    pub(super) post: Script,
    pub(super) room: Script,
    pub(super) join: Script,
    pub(super) leave: Script,
    pub(super) sweep: Script,
}

impl Default for Scripts {
    fn default() -> Self {
        let presence = |body: &str| Script::new(&format!("{SWEEP_FUNCTIONS}{body}"));
        Self {
            post: Script::new(POST),
            room: Script::new(ROOM),
            join: presence(JOIN),
            leave: presence(LEAVE),
            sweep: presence(SWEEP),
        }
    }
}
