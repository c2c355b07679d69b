// The chat of duplex-relay's `/chat` (docs/protocol.md) as a small Node server on the `ws`
// package, which `cargo xtask bench --fanout` measures against the relay under the same load.
// It does what that load uses, in memory: `join` (welcome, `joined` to the others), `say`
// (checked like the relay; a `message` with the room's next seq, serialized once per post and
// sent to every member, the sender's own copy being its acknowledgement), `ping`, and `left`.
// Not here: images, history and `since`, sessions, re-send memory, the rate limit and the
// slow-member close.
//
//   node server.mjs [PORT]        (or PORT=N in the environment; 0 or none: a free port)
//
// Listens on 127.0.0.1 and prints its base URL, `http://127.0.0.1:PORT`, as the first stdout line.

import { randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';

const MAX_TEXT_FRAME_BYTES = 16 * 1024;
const MAX_TRANSPORT_BYTES = 2 * 1024 * 1024 + 64 * 1024;
const MAX_NICK_CHARS = 32;
const MAX_ID_CHARS = 64;
const MAX_TEXT_BYTES = 4096;
const BAD_REQUEST_LIMIT = 10;
const ROOM = /^[A-Za-z0-9_.-]{1,32}$/;

/** Room name -> { epoch, seq, members: Map(nick in lower case -> { nick, key, socket }) }. */
const rooms = new Map();

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node server.mjs [PORT]: not a port: ${process.argv[2] ?? process.env.PORT}`);
  process.exit(2);
}

const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/chat', maxPayload: MAX_TRANSPORT_BYTES });
server.on('listening', () => console.log(`http://127.0.0.1:${server.address().port}`));
server.on('error', (error) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});
server.on('connection', (socket) => {
  const client = { socket, room: null, nick: null, key: null, badRequests: 0 };
  socket.on('message', (data, isBinary) => onFrame(client, data, isBinary));
  socket.on('close', () => leave(client));
  socket.on('error', () => {}); // `close` follows
});

function onFrame(client, data, isBinary) {
  if (isBinary) return bad(client, 'unexpected-binary', 'a binary frame must come right after an image announcement');
  if (data.length > MAX_TEXT_FRAME_BYTES) return client.socket.close(1008, 'message too big');
  let frame;
  try {
    frame = JSON.parse(data.toString());
  } catch (error) {
    return bad(client, 'bad-json', `not JSON: ${error.message}`);
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return bad(client, 'bad-json', 'expected a JSON object');
  }
  switch (frame.type) {
    case 'ping': return send(client.socket, { type: 'pong' });
    case 'join': return join(client, frame);
    case 'say': return say(client, frame);
    default:
      if (typeof frame.type !== 'string') return bad(client, 'bad-json', 'expected a string "type" field');
      return bad(client, 'unknown-type', `unknown type ${JSON.stringify(frame.type.slice(0, 40))}`);
  }
}

function join(client, frame) {
  const { room } = frame;
  const nick = typeof frame.nick === 'string' ? frame.nick.trim() : '';
  if (typeof room !== 'string' || !ROOM.test(room)) {
    return bad(client, 'bad-room', 'room must be 1 to 32 characters from A-Z a-z 0-9 _ . -');
  }
  if (nick === '' || chars(nick) > MAX_NICK_CHARS || /\p{Cc}/u.test(nick)) {
    return bad(client, 'bad-nick', `nick must be 1 to ${MAX_NICK_CHARS} characters, not blank, no control characters`);
  }
  if (client.room !== null) return bad(client, 'already-joined', `already joined room ${client.room}`);
  let state = rooms.get(room);
  if (state === undefined) {
    state = { epoch: randomBytes(8).toString('hex'), seq: 0, members: new Map() };
    rooms.set(room, state);
  }
  const key = nick.toLowerCase();
  if (state.members.has(key)) return bad(client, 'nick-taken', `${nick} is taken in room ${room}`);
  broadcast(state, { type: 'joined', nick });
  state.members.set(key, { nick, key, socket: client.socket });
  Object.assign(client, { room, nick, key });
  const members = [...state.members.values()].sort(byNick).map((member) => member.nick);
  // No history is kept: it is complete only while the room has had no post.
  const welcome = { type: 'welcome', nick, room, members, epoch: state.epoch, seq: state.seq };
  send(client.socket, { ...welcome, history: [], complete: state.seq === 0 });
}

function say(client, { id, text }) {
  if (typeof id !== 'string' || id === '' || chars(id) > MAX_ID_CHARS) {
    return bad(client, 'bad-id', `id must be 1 to ${MAX_ID_CHARS} characters`, id);
  }
  const bytes = typeof text === 'string' ? Buffer.byteLength(text) : 0;
  if (bytes === 0 || bytes > MAX_TEXT_BYTES) {
    return bad(client, 'bad-text', `text must be 1 to ${MAX_TEXT_BYTES} bytes of UTF-8, got ${bytes}`, id);
  }
  if (client.room === null) return bad(client, 'not-joined', 'join a room first', id);
  const state = rooms.get(client.room);
  state.seq += 1;
  broadcast(state, { type: 'message', seq: state.seq, id, from: client.nick, text, ts: Date.now() });
}

function leave(client) {
  const state = client.room === null ? undefined : rooms.get(client.room);
  if (state === undefined) return;
  state.members.delete(client.key);
  if (state.members.size === 0) rooms.delete(client.room);
  else broadcast(state, { type: 'left', nick: client.nick });
}

/** Answers a bad request (naming the post's `id` when it had a string one); the tenth on a
 * connection is answered, then closed, as the relay does. */
function bad(client, code, message, id) {
  client.badRequests += 1;
  send(client.socket, { type: 'error', code, message, ...(typeof id === 'string' && { id }) });
  if (client.badRequests >= BAD_REQUEST_LIMIT) client.socket.close(1008, 'too many bad requests');
}

/** Serializes `message` once and sends it as a text frame to every member of `state`. */
function broadcast(state, message) {
  const frame = Buffer.from(JSON.stringify(message));
  for (const member of state.members.values()) member.socket.send(frame, { binary: false });
}

function send(socket, message) {
  socket.send(JSON.stringify(message));
}

/** Unicode scalar values, as the protocol counts characters. */
function chars(text) {
  return [...text].length;
}

/** Members in case-insensitive order, ties broken by the exact nick, like the relay's list. */
function byNick(a, b) {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.nick < b.nick ? -1 : a.nick > b.nick ? 1 : 0;
}
