//! The relay's one pub/sub connection: subscribed to the channel of every room someone here is
//! in, it hands each event to the local [`Rooms`]. When it is lost, every connection here is
//! closed with 1011 (its pages resume from their last `seq` once they can join again, so no
//! event falls into the gap), and it connects again by itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::close_code;
use futures_util::StreamExt;
use redis::Client;
use redis::aio::{ConnectionManager, PubSub, PubSubSink, PubSubStream};
use tokio::sync::Mutex;

use super::wire::{self, Published};
use super::{COMMAND_TIMEOUT, heartbeat, unreachable};
use crate::protocol::{CLOSE_REPLACED, REASON_REPLACED, REASON_STORE_LOST};
use crate::rooms::Rooms;
use crate::store::StoreError;

/// The longest wait between two attempts to connect again.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);

/// The subscriptions of the pub/sub connection, while there is one.
#[derive(Default)]
pub(super) struct Channels {
    state: Mutex<Subscriptions>,
}

#[derive(Default)]
struct Subscriptions {
    sink: Option<PubSubSink>,
    rooms: HashSet<String>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels").finish_non_exhaustive()
    }
}

impl Channels {
    /// Subscribes to `room`'s channel unless subscribed; returns once Redis confirmed it, so
    /// every event published afterwards reaches this relay.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when there is no pub/sub connection or Redis does not confirm.
    pub(super) async fn ensure(&self, room: &str) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if state.rooms.contains(room) {
            return Ok(());
        }
        let Some(sink) = state.sink.as_mut() else {
            return Err(unreachable("no subscription connection"));
        };
        match tokio::time::timeout(COMMAND_TIMEOUT, sink.subscribe(wire::channel(room))).await {
            Ok(Ok(())) => {
                state.rooms.insert(room.to_owned());
                Ok(())
            }
            Ok(Err(error)) => Err(super::store_error(&error)),
            Err(_) => Err(unreachable("no answer to SUBSCRIBE")),
        }
    }

    /// Unsubscribes from `room`'s channel if nobody here is in the room any more.
    pub(super) async fn release(&self, room: &str, rooms: &Rooms) {
        let mut state = self.state.lock().await;
        if rooms.is_here(room) || !state.rooms.remove(room) {
            return;
        }
        if let Some(sink) = state.sink.as_mut() {
            let unsubscribe = sink.unsubscribe(wire::channel(room));
            if !matches!(
                tokio::time::timeout(COMMAND_TIMEOUT, unsubscribe).await,
                Ok(Ok(()))
            ) {
                tracing::debug!(room, "could not unsubscribe; the channel stays subscribed");
            }
        }
    }

    /// Subscribes through `pubsub` from now on; its stream of messages.
    pub(super) async fn connected(&self, pubsub: PubSub) -> PubSubStream {
        let (sink, stream) = pubsub.split();
        self.set_sink(Some(sink)).await;
        stream
    }

    async fn set_sink(&self, sink: Option<PubSubSink>) {
        let mut state = self.state.lock().await;
        state.sink = sink;
        state.rooms.clear();
    }
}

/// Runs the pub/sub connection until the relay stops: dispatches what `first` (of a connection
/// already handed to [`Channels::connected`]) receives, and when the connection is lost closes everyone here and connects
/// again.
pub(super) async fn run(
    client: Client,
    mut connection: ConnectionManager,
    channels: Arc<Channels>,
    rooms: Arc<Rooms>,
    relay: String,
    first: PubSubStream,
) {
    let mut stream = Some(first);
    let mut delay = Duration::from_millis(100);
    loop {
        if let Some(connected) = stream.take() {
            dispatch(connected, &rooms, &relay).await;
            channels.set_sink(None).await;
            rooms.kick_all(close_code::ERROR, REASON_STORE_LOST);
            tracing::warn!("subscription connection to Redis lost: closed every chat connection");
            delay = Duration::from_millis(100);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
        let Ok(pubsub) = connect(&client).await else {
            continue;
        };
        // Alive again before anyone may join: a Redis that lost this relay's heartbeat key
        // would otherwise let the other relays sweep the members who join now.
        if heartbeat::beat(&mut connection, &relay).await.is_ok() {
            stream = Some(channels.connected(pubsub).await);
            tracing::info!("subscription connection to Redis open again");
        }
    }
}

/// A new pub/sub connection.
///
/// # Errors
///
/// When Redis refuses it or does not answer within [`COMMAND_TIMEOUT`].
pub(super) async fn connect(client: &Client) -> Result<PubSub, String> {
    match tokio::time::timeout(COMMAND_TIMEOUT, client.get_async_pubsub()).await {
        Ok(Ok(pubsub)) => Ok(pubsub),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer".to_owned()),
    }
}

/// Hands every message of `stream` to the rooms here, until the connection ends.
async fn dispatch(mut stream: PubSubStream, rooms: &Rooms, relay: &str) {
    while let Some(message) = stream.next().await {
        let Some(room) = wire::room_of(message.get_channel_name()) else {
            continue;
        };
        match wire::decode(message.get_payload_bytes()) {
            Some(Published::Event(event)) => rooms.dispatch(room, &event),
            Some(Published::Replaced { owner }) => {
                if let Some(peer) = local_peer(&owner, relay) {
                    rooms.kick(room, peer, CLOSE_REPLACED, REASON_REPLACED);
                }
            }
            None => tracing::warn!(room, "ignored a message this relay cannot read"),
        }
    }
}

/// The connection of `owner` if it is one of this relay's.
fn local_peer(owner: &str, relay: &str) -> Option<u64> {
    owner.strip_prefix(relay)?.strip_prefix(':')?.parse().ok()
}
