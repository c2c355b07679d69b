//! The minimal echo client written with gloo-net, for comparison (`cargo xtask size`, feature `gloo`):
//! connect, send "hello" once open, log the reply, close.

use duplex_size::{echo_url, log, log_bytes};
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let mut socket = WebSocket::open(&echo_url()).map_err(|error| error.to_string())?;
    wasm_bindgen_futures::spawn_local(async move {
        // The sink waits while the socket is connecting.
        if let Err(error) = socket.send(Message::Text("hello".to_owned())).await {
            return log(&error.to_string());
        }
        match socket.next().await {
            Some(Ok(Message::Text(text))) => log(&text),
            Some(Ok(Message::Bytes(bytes))) => log_bytes(bytes.len()),
            Some(Err(error)) => log(&error.to_string()),
            None => {}
        }
        let _ = socket.close(Some(1000), None);
    });
    Ok(())
}
