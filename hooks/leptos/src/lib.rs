//! `use_websocket` for [Leptos](https://leptos.dev) 0.8, on duplex-ws's
//! [`ReconnectingWebSocket`]: one line to adopt, and none of the usual hook's leaks.
//!
//! - **Nothing leaks.** The socket opens when the component mounts and is closed (1000) and released when it
//!   unmounts, with every closure and timer it made: `duplex_ws::live_closures()` and
//!   `duplex_ws::live_timers()` come back to where they were.
//! - **Every message is delivered.** [`on_message`](UseWebSocketOptions::on_message) runs for each one, in
//!   order, and [`messages`](UseWebSocket::messages) keeps the most recent ones, so a burst in one tick loses
//!   none.
//! - **No send is lost.** While not open, [`send`](UseWebSocket::send) queues in a bounded outbox, flushed in
//!   order on the next open; a full outbox or a closed socket is a typed [`Error`].
//! - **Reconnects well.** Backoff with jitter, a connect timeout, a heartbeat, and the state as a signal:
//!   [`ConnectionState`] is connecting, open, in a backoff (with its delay) or closed (with its
//!   [`CloseInfo`]).
//! - **Typed.** Values go through a [`Codec`]: [`Json`] (feature `json`) or your own (MessagePack, CBOR,
//!   bincode) in a few lines.
//! - **Reactive URL.** Give a signal: when it changes, the socket moves to the new URL.
//! - **Server-side rendering.** With the `ssr` feature the hook opens nothing and shows its initial state.
//!
//! ```no_run
//! use duplex_ws_leptos::{ConnectionState, Json, ReconnectOptions, UseWebSocketOptions, use_websocket};
//! use leptos::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize)]
//! struct Say {
//!     text: String,
//! }
//!
//! #[derive(Clone, Deserialize)]
//! struct Said {
//!     from: String,
//!     text: String,
//! }
//!
//! #[component]
//! fn Room(url: Signal<String>) -> impl IntoView {
//!     let chat = use_websocket(
//!         url,
//!         UseWebSocketOptions::with_codec(Json::<Say, Said>::new())
//!             .reconnect(ReconnectOptions::new().max_retries(Some(20)))
//!             .recent(200)
//!             .on_message(|said: &Said| leptos::logging::log!("{} said {}", said.from, said.text)),
//!     );
//!     let (draft, set_draft) = signal(String::new());
//!     let send = move |_| {
//!         let say = Say { text: draft.get_untracked() };
//!         match chat.send(&say) {
//!             Ok(_) => set_draft.set(String::new()),
//!             Err(error) => leptos::logging::warn!("not sent: {error}"),
//!         }
//!     };
//!     let status = move || match chat.state.get() {
//!         ConnectionState::Open => "online".to_owned(),
//!         ConnectionState::Backoff { delay, .. } => format!("retrying in {:.1} s", delay.as_secs_f64()),
//!         other => other.to_string(),
//!     };
//!     view! {
//!         <p>{status} " · " {chat.queued} " waiting · " {chat.buffered_amount} " B buffered"</p>
//!         <ul>
//!             <For each=move || chat.messages.get() key=|said| said.text.clone() let:said>
//!                 <li><b>{said.from}</b> " " {said.text}</li>
//!             </For>
//!         </ul>
//!         <input prop:value=draft on:input=move |event| set_draft.set(event_target_value(&event))/>
//!         <button on:click=send>"Send"</button>
//!         <button on:click=move |_| drop(chat.reconnect())>"Reconnect"</button>
//!         <button on:click=move |_| drop(chat.close_with(1000, "bye"))>"Close"</button>
//!     }
//! }
//! ```
//!
//! ## Coming from leptos-use
//!
//! | leptos-use `use_websocket` | duplex-ws-leptos |
//! |---|---|
//! | `use_websocket::<Tx, Rx, C>(url)` | `use_websocket(url, UseWebSocketOptions::with_codec(codec))`; `url` may be a signal |
//! | codee codecs (`FromToStringCodec`, `JsonSerdeCodec`, `MsgpackSerdeCodec`…) | [`Raw`] (messages as they are), [`Json`], or a [`Codec`] impl of a few lines |
//! | `ready_state: Signal<ConnectionReadyState>` | `state: Signal<ConnectionState>` (with attempt, backoff delay, close info); `queued`, `buffered_amount` |
//! | `message: Signal<Option<Rx>>` (the last one only) | `messages` (the last [`recent`](UseWebSocketOptions::recent)), and `on_message` for every one |
//! | `send(&Tx)` (dropped unless open) | `send(&value) -> Result<SendStatus, _>`: sent, or queued in the outbox; `send_text`, `send_bytes` |
//! | `open()`, `close()` | `reconnect()`, `close()`, `close_with(code, reason)` (code and reason checked) |
//! | `reconnect_limit`, `reconnect_interval` (fixed) | `reconnect(ReconnectOptions::new().max_retries(..).backoff(..))`: exponential, with jitter |
//! | `heartbeat::<Hb, HbCodec>(interval)` | `ReconnectOptions::heartbeat(Heartbeat::new(message, interval, timeout))`: also detects dead links |
//! | `immediate`, `protocols` | `immediate`, `protocols` |
//! | `on_open`, `on_message`, `on_message_raw(_bytes)`, `on_error`, `on_close` | `on_open`, `on_message`, `on_decode_error`, `on_error`, `on_close(CloseInfo)` |
//!
//! The crate's README has the same, with the Yew crate beside it.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::unwrap_used, clippy::panic)
)]

/// `use_websocket` and its handle.
mod hook;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The options of [`use_websocket`]: the codec, [`ReconnectOptions`], protocols, the recent-messages bound,
/// `immediate` and the callbacks (duplex-ws's [`BindingOptions`](duplex_ws::BindingOptions)).
pub use duplex_ws::BindingOptions as UseWebSocketOptions;
pub use duplex_ws::{
    Backoff, BinaryType, CloseCode, CloseInfo, Codec, ConnectionState, DEFAULT_RECENT, Error,
    Heartbeat, Jitter, Message, OutboxOverflow, QueueLimit, Raw, ReadyState, ReconnectOptions,
    ReconnectingWebSocket, SendStatus, SendValueError,
};
#[cfg(feature = "json")]
pub use duplex_ws::{Json, JsonError};
pub use hook::{UseWebSocket, use_websocket};
