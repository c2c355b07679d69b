//! The same client written with gloo-net's futures socket (`gloo_net::websocket::futures::WebSocket`), the
//! crate duplex-ws is compared with: pipelined runs split it and feed the sink while the stream is read;
//! ping-pong sends and then awaits the next message.

use core::future::poll_fn;

use futures_util::future::try_join;
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::payload::{Kind, Payload};
use crate::timing::Clock;

/// The payload as a gloo-net message.
fn message(payload: &Payload) -> Message {
    match payload {
        Payload::Text(text) => Message::Text(text.clone()),
        Payload::Binary(bytes) => Message::Bytes(bytes.clone()),
    }
}

fn kind_and_len(message: &Message) -> (Kind, usize) {
    match message {
        Message::Text(text) => (Kind::Text, text.len()),
        Message::Bytes(bytes) => (Kind::Binary, bytes.len()),
    }
}

fn send_failed(error: WebSocketError) -> String {
    format!("send failed: {error}")
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

/// The next message; the stream ending or failing first is an error.
async fn next(
    messages: &mut (impl futures_util::Stream<Item = Result<Message, WebSocketError>> + Unpin),
    received: u32,
) -> Result<Message, String> {
    match messages.next().await {
        Some(Ok(message)) => Ok(message),
        Some(Err(error)) => Err(format!("after {received} messages: {error}")),
        None => Err(format!("the connection closed after {received} messages")),
    }
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
    let t0 = clock.now();
    let send = async {
        for _ in 0..count {
            sink.feed(message(payload)).await.map_err(send_failed)?;
        }
        sink.flush().await.map_err(send_failed)
    };
    let receive = async {
        for received in 0..count {
            let (kind, len) = kind_and_len(&next(&mut stream, received).await?);
            expect.check(kind, len)?;
        }
        Ok(clock.now())
    };
    let ((), t1) = try_join(send, receive).await?;
    let socket = stream
        .reunite(sink)
        .map_err(|_| "the two halves of the socket did not reunite".to_owned())?;
    close(socket, &raw).await?;
    Ok(t1 - t0)
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
    let mut rtts = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for received in 0..count {
        let t = clock.now();
        socket.send(message(payload)).await.map_err(send_failed)?;
        let (kind, len) = kind_and_len(&next(&mut socket, received).await?);
        expect.check(kind, len)?;
        rtts.push(clock.now() - t);
    }
    close(socket, &raw).await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): read `count` messages from the moment of connecting.
pub async fn flood(clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let mut socket =
        WebSocket::open(url).map_err(|error| format!("could not connect to {url}: {error}"))?;
    for received in 0..count {
        next(&mut socket, received).await?;
    }
    let t1 = clock.now();
    // The relay closes once it has sent everything; gloo-net then reports the close and ends its stream.
    while socket.next().await.is_some() {}
    Ok(t1 - t0)
}
