//! The minimal echo clients that `cargo xtask size` builds and measures (see `examples/`): the same
//! behaviour written four ways, on duplex-ws's callback layer, its async layer, its reconnecting socket,
//! and on gloo-net for comparison. Each connects to `/echo` on the page's own origin, sends "hello" once
//! open, logs the reply to the console, and closes.
//!
//! This crate only holds what the four share, so they differ only where their APIs do. It builds its
//! strings with `push_str` and logs numbers as JS values rather than with `format!`, so that no client links
//! `core::fmt` on its own account: what remains of it is what the WebSocket library brings.

/// The echo endpoint on the page's origin: `ws://host/echo`, or `wss://host/echo` on an https page.
pub fn echo_url() -> String {
    let location = web_sys::window().map(|window| window.location());
    let secure = location
        .as_ref()
        .and_then(|location| location.protocol().ok())
        .is_some_and(|protocol| protocol == "https:");
    let host = location
        .and_then(|location| location.host().ok())
        .unwrap_or_default();
    let mut url = String::from(if secure { "wss://" } else { "ws://" });
    url.push_str(&host);
    url.push_str("/echo");
    url
}

/// Logs `text` to the browser console.
pub fn log(text: &str) {
    web_sys::console::log_1(&text.into());
}

/// Logs the size of a binary message to the browser console, as "<n> bytes".
pub fn log_bytes(len: usize) {
    // A JS number for any length a wasm32 message can have.
    web_sys::console::log_2(&(len as f64).into(), &"bytes".into());
}

/// Logs a received duplex-ws message to the browser console.
pub fn log_message(message: &duplex_ws::Message) {
    match message {
        duplex_ws::Message::Text(text) => log(text),
        duplex_ws::Message::Binary(bytes) => log_bytes(bytes.len()),
        duplex_ws::Message::Blob(_) => log("a blob"),
    }
}
