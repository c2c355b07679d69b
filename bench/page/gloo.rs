//! The same client written with gloo-net's futures socket (`gloo_net::websocket::futures::WebSocket`), the
//! crate duplex-ws is compared with: pipelined runs split it and feed the sink while the stream is read;
//! ping-pong sends and then awaits the next message.

use core::future::poll_fn;

use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::loops;
use crate::payload::{Expect, Kind, Payload};
use crate::timing::Clock;

/// The payload as a gloo-net message.
fn message(payload: &Payload) -> Message {
    match payload {
        Payload::Text(text) => Message::Text(text.clone()),
        Payload::Binary(bytes) => Message::Bytes(bytes.clone()),
    }
}

/// Checks a gloo-net echo against `expect`.
fn check(expect: Expect, message: &Message) -> Result<(), String> {
    match message {
        Message::Text(text) => expect.check(Kind::Text, text.len()),
        Message::Bytes(bytes) => expect.check(Kind::Binary, bytes.len()),
    }
}

/// Connects and waits until the socket is open. Also returns the browser's socket, to wait for the close.
async fn open(url: &str) -> Result<(WebSocket, web_sys::WebSocket), String> {
    // gloo-net's `close` consumes its socket, so nothing of it is left to await the close with: keep the
    // browser's socket, and hand gloo-net a clone of it.
    let raw = web_sys::WebSocket::new(url)
        .map_err(|error| format!("could not connect to {url}: {}", describe(&error)))?;
    let mut socket = WebSocket::try_from(raw.clone())
        .map_err(|error| format!("could not connect to {url}: {error}"))?;
    // gloo-net has no open future; its sink is not ready while the socket is connecting.
    poll_fn(|cx| socket.poll_ready_unpin(cx))
        .await
        .map_err(|error| format!("could not connect to {url}: {error}"))?;
    match socket.state() {
        State::Open => Ok((socket, raw)),
        state => Err(format!("{url} did not open: the socket is {state:?}")),
    }
}

/// Closes with 1000 and waits until the browser's socket has closed.
async fn close(socket: WebSocket, raw: &web_sys::WebSocket) -> Result<(), String> {
    // Dropping gloo-net's socket (which `close` does) dispatches a synthetic close event; the listener below
    // is added after it, so it waits for the real one.
    socket
        .close(Some(1000), None)
        .map_err(|error| format!("could not close: {error}"))?;
    if raw.ready_state() == web_sys::WebSocket::CLOSED {
        return Ok(());
    }
    let mut added = Ok(());
    let closed = js_sys::Promise::new(&mut |resolve, _reject| {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        added = raw.add_event_listener_with_callback_and_add_event_listener_options(
            "close", &resolve, &options,
        );
    });
    added.map_err(|error| format!("could not wait for the close: {}", describe(&error)))?;
    JsFuture::from(closed)
        .await
        .map(drop)
        .map_err(|error| format!("could not wait for the close: {}", describe(&error)))
}

fn describe(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map_or_else(
        || format!("{error:?}"),
        |error| String::from(error.message()),
    )
}

/// [`pipelined`](crate::pipelined): the sink is fed while the stream is read.
pub async fn pipelined(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<f64, String> {
    let (socket, raw) = open(url).await?;
    let (mut sink, mut stream) = socket.split();
    let expect = payload.expect();
    let elapsed = loops::pipelined(
        clock,
        &mut sink,
        &mut stream,
        count,
        || message(payload),
        |message| check(expect, message),
    )
    .await?;
    let socket = stream
        .reunite(sink)
        .map_err(|_| "the two halves of the socket did not reunite".to_owned())?;
    close(socket, &raw).await?;
    Ok(elapsed)
}

/// [`ping_pong`](crate::ping_pong): send, then await the echo.
pub async fn ping_pong(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<Vec<f64>, String> {
    let (mut socket, raw) = open(url).await?;
    let expect = payload.expect();
    let rtts = loops::ping_pong(
        clock,
        &mut socket,
        count,
        || message(payload),
        |message| check(expect, message),
    )
    .await?;
    close(socket, &raw).await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): read `count` messages from the moment of connecting.
pub async fn flood(clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let mut socket =
        WebSocket::open(url).map_err(|error| format!("could not connect to {url}: {error}"))?;
    let elapsed = loops::flood(clock, t0, &mut socket, count).await?;
    // The relay closes once it has sent everything; gloo-net then reports the close and ends its stream.
    while socket.next().await.is_some() {}
    Ok(elapsed)
}
