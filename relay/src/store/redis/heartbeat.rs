//! The relay's heartbeat: `duplex:relay:ID` is set every second to expire after three, and
//! every second the rooms someone here is in are swept of members whose relay's key expired
//! (each gets a `left` on every relay), their keys given the room's lifetime again.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::close_code;
use redis::RedisResult;
use redis::aio::ConnectionManager;

use super::scripts::Scripts;
use super::wire::{HEARTBEAT_PREFIX, Keys};
use crate::protocol::REASON_STORE_LOST;
use crate::rooms::Rooms;

const EVERY: Duration = Duration::from_secs(1);
const EXPIRES_AFTER: Duration = Duration::from_secs(3);
const _: () =
    assert!(EXPIRES_AFTER.as_secs() + 2 * EVERY.as_secs() <= super::MEMBER_EXPIRY.as_secs());

/// Sets this relay's heartbeat key; whether it was still there.
pub(super) async fn beat(connection: &mut ConnectionManager, relay: &str) -> RedisResult<bool> {
    let previous: Option<String> = redis::cmd("SET")
        .arg(format!("{HEARTBEAT_PREFIX}{relay}"))
        .arg("1")
        .arg("PX")
        .arg(u64::try_from(EXPIRES_AFTER.as_millis()).unwrap_or(u64::MAX))
        .arg("GET")
        .query_async(connection)
        .await?;
    Ok(previous.is_some())
}

/// Beats and sweeps until the relay stops. A beat that finds its key gone means the other
/// relays may have removed this relay's members: they are closed (1011) so they join again.
pub(super) async fn run(
    mut connection: ConnectionManager,
    scripts: Arc<Scripts>,
    rooms: Arc<Rooms>,
    relay: String,
    lifetime_ms: u64,
) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match beat(&mut connection, &relay).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("this relay's heartbeat had expired: closing its chat connections");
                rooms.kick_all(close_code::ERROR, REASON_STORE_LOST);
            }
            Err(error) => {
                tracing::warn!(%error, "heartbeat to Redis failed");
                continue;
            }
        }
        for room in rooms.names() {
            let keys = Keys::of(&room);
            let swept: RedisResult<i64> = scripts
                .sweep
                .key(&keys.members)
                .key(&keys.meta)
                .key(&keys.posts)
                .key(&keys.ids)
                .arg(HEARTBEAT_PREFIX)
                .arg(&keys.channel)
                .arg(lifetime_ms)
                .invoke_async(&mut connection)
                .await;
            if let Err(error) = swept {
                tracing::warn!(%room, %error, "sweeping the room's members failed");
            }
        }
    }
}
