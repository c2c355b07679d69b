//! The Rust side of the benchmark page (`bench/index.html`): the same measurements with five clients, called
//! by `bench/bench.js`, which also holds a raw-JavaScript client with the same semantics. Built to
//! `bench/pkg/page.js` by `cargo xtask bench` (the `page` example of duplex-bench, for wasm32).
//!
//! The clients are a hand-written web-sys client with no library (`"web_sys"`, the floor for Rust code),
//! duplex-ws's callback layer with Rust values (`"callback"`) and with JS values (`"callback_js"`), its
//! async layer (`"stream"`) and gloo-net's futures socket (`"gloo"`), each written the way a user of that
//! API would. Connecting and closing are never
//! timed, except where the measurement is the connection itself (`flood`, the churns). Every export closes
//! what it opened and waits for the close, so no connection is left at the relay and, for duplex-ws,
//! [`live_closures`] and [`live_timers`] are back to what they were.
// The page runs in a browser: on a native target (`cargo test --workspace`) this example is empty.
#![cfg(target_arch = "wasm32")]

mod callback;
mod churn;
mod gloo;
mod loops;
mod mailbox;
mod payload;
mod per_message;
mod reports;
mod stream;
mod timing;
mod websys;

use callback::Values;
use payload::Payload;
use timing::Clock;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// The client a measurement runs with.
#[derive(Debug, Clone, Copy)]
enum Client {
    WebSys,
    Callback,
    CallbackJs,
    Stream,
    Gloo,
}

impl Client {
    fn parse(name: &str) -> Result<Self, JsValue> {
        match name {
            "web_sys" => Ok(Self::WebSys),
            "callback" => Ok(Self::Callback),
            "callback_js" => Ok(Self::CallbackJs),
            "stream" => Ok(Self::Stream),
            "gloo" => Ok(Self::Gloo),
            other => Err(JsValue::from_str(&format!(
                "unknown client {other:?}: expected \"web_sys\", \"callback\", \"callback_js\", \"stream\" or \"gloo\""
            ))),
        }
    }
}

fn js_error(message: String) -> JsValue {
    JsValue::from_str(&message)
}

/// A run needs at least one message or cycle: otherwise there is nothing to time.
fn at_least_one(name: &str, value: u32) -> Result<(), JsValue> {
    if value == 0 {
        return Err(JsValue::from_str(&format!("{name} must be at least 1")));
    }
    Ok(())
}

/// Sends `count` messages of `size` bytes (binary, or ASCII text) back-to-back to `url` (the relay's `/echo`)
/// with `client`, and resolves with the milliseconds from the first send to the last echo.
///
/// Opening the socket and preparing the payload come before the clock starts; the clean close (1000) after it
/// stops is awaited too.
///
/// # Errors
/// An unknown client, a `count` of 0, a connection that fails or closes early, or an echo of the wrong kind or length.
#[wasm_bindgen]
pub async fn pipelined(
    client: String,
    url: String,
    binary: bool,
    size: u32,
    count: u32,
) -> Result<f64, JsValue> {
    let client = Client::parse(&client)?;
    at_least_one("count", count)?;
    let clock = Clock::new().map_err(js_error)?;
    let payload = Payload::new(binary, size);
    match client {
        Client::WebSys => websys::pipelined(&clock, &url, &payload, count).await,
        Client::Callback => callback::pipelined(Values::Rust, &clock, &url, &payload, count).await,
        Client::CallbackJs => callback::pipelined(Values::Js, &clock, &url, &payload, count).await,
        Client::Stream => stream::pipelined(&clock, &url, &payload, count).await,
        Client::Gloo => gloo::pipelined(&clock, &url, &payload, count).await,
    }
    .map_err(js_error)
}

/// Sends `count` messages of `size` bytes to `url` (the relay's `/echo`) one at a time, each after the echo
/// of the one before, and resolves with each round trip in milliseconds.
///
/// # Errors
/// As [`pipelined`].
#[wasm_bindgen]
pub async fn ping_pong(
    client: String,
    url: String,
    binary: bool,
    size: u32,
    count: u32,
) -> Result<Vec<f64>, JsValue> {
    let client = Client::parse(&client)?;
    at_least_one("count", count)?;
    let clock = Clock::new().map_err(js_error)?;
    let payload = Payload::new(binary, size);
    match client {
        Client::WebSys => websys::ping_pong(&clock, &url, &payload, count).await,
        Client::Callback => callback::ping_pong(Values::Rust, &clock, &url, &payload, count).await,
        Client::CallbackJs => callback::ping_pong(Values::Js, &clock, &url, &payload, count).await,
        Client::Stream => stream::ping_pong(&clock, &url, &payload, count).await,
        Client::Gloo => gloo::ping_pong(&clock, &url, &payload, count).await,
    }
    .map_err(js_error)
}

/// Connects to `url` (the relay's `/test/flood?count=N&size=16&close=true`, which sends `N` messages on
/// upgrade and then closes), receives `count` messages and resolves with the milliseconds from just before
/// connecting to the `count`-th message. The close that follows is awaited, untimed.
///
/// # Errors
/// An unknown client, a `count` of 0, or a connection that fails or closes before `count` messages.
#[wasm_bindgen]
pub async fn flood(client: String, url: String, count: u32) -> Result<f64, JsValue> {
    let client = Client::parse(&client)?;
    at_least_one("count", count)?;
    let clock = Clock::new().map_err(js_error)?;
    match client {
        Client::WebSys => websys::flood(&clock, &url, count).await,
        Client::Callback => callback::flood(Values::Rust, &clock, &url, count).await,
        Client::CallbackJs => callback::flood(Values::Js, &clock, &url, count).await,
        Client::Stream => stream::flood(&clock, &url, count).await,
        Client::Gloo => gloo::flood(&clock, &url, count).await,
    }
    .map_err(js_error)
}

/// Times what one received message of `size` bytes (text or binary) costs each client's handler, with
/// synthetic `message` events holding a real echo from `url` (the relay's `/echo`), `count` times each, and
/// resolves with the microseconds per message: raw JS, web-sys by hand, duplex-ws's `on_message`, duplex-ws's
/// `on_js_message`; then the copy a text send makes (0 for binary).
///
/// # Errors
/// A `count` of 0, a connection that fails, or a handler that did not see every message whole.
#[wasm_bindgen]
pub async fn per_message(
    url: String,
    binary: bool,
    size: u32,
    count: u32,
) -> Result<Vec<f64>, JsValue> {
    at_least_one("count", count)?;
    let clock = Clock::new().map_err(js_error)?;
    per_message::per_message(&clock, &url, binary, size, count)
        .await
        .map(Vec::from)
        .map_err(js_error)
}

/// Opens `total` sockets to `url` (the relay's `/echo`) with the callback layer, `batch` at a time: opens a
/// batch, waits until all are open, closes them (1000) and waits until all are closed. Resolves with the
/// milliseconds the whole run took.
///
/// # Errors
/// A socket that fails to open, or a `batch` of 0 with a `total` above 0.
#[wasm_bindgen]
pub async fn churn_sockets(url: String, total: u32, batch: u32) -> Result<f64, JsValue> {
    let clock = Clock::new().map_err(js_error)?;
    churn::sockets(&clock, &url, total, batch)
        .await
        .map_err(js_error)
}

/// Runs one `ReconnectingWebSocket` against `url` (the relay's `/test/close?code=1012&reason=restart`, which
/// closes every connection at once with 1012, which the default predicate retries) until it has opened
/// `cycles` times, then closes it and waits for the `Closed` state. Resolves with the milliseconds from
/// connecting to `Closed`.
///
/// # Errors
/// A `cycles` of 0, an invalid URL, or a socket that stops reconnecting on its own.
#[wasm_bindgen]
pub async fn churn_reconnect(url: String, cycles: u32) -> Result<f64, JsValue> {
    at_least_one("cycles", cycles)?;
    let clock = Clock::new().map_err(js_error)?;
    churn::reconnect(&clock, &url, cycles)
        .await
        .map_err(js_error)
}

/// The JS closures duplex-ws holds now ([`duplex_ws::live_closures`]): 0 between measurements.
#[wasm_bindgen]
pub fn live_closures() -> u32 {
    u32::try_from(duplex_ws::live_closures()).unwrap_or(u32::MAX)
}

/// The browser timers duplex-ws holds now ([`duplex_ws::live_timers`]): 0 between measurements.
#[wasm_bindgen]
pub fn live_timers() -> u32 {
    u32::try_from(duplex_ws::live_timers()).unwrap_or(u32::MAX)
}

/// The size of this module's linear memory in bytes (it only ever grows), or NaN if it cannot be read.
#[wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|memory| memory.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(f64::NAN, |buffer| f64::from(buffer.byte_length()))
}
