//! The minimal echo client on duplex-ws's async layer (`cargo xtask size`, feature `async`): connect,
//! send "hello" once open, log the reply, close.

use duplex_size::{echo_url, log};
use duplex_ws::{ConnectOptions, Error, Message};
use futures_util::{SinkExt, StreamExt};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(error) = run().await {
            log(&error.to_string());
        }
    });
}

/// Opens the socket, sends once, logs the reply and closes.
async fn run() -> Result<(), Error> {
    let mut socket = duplex_ws::open(&echo_url(), &ConnectOptions::new()).await?;
    socket.send(Message::from("hello")).await?;
    match socket.next().await.transpose()? {
        Some(Message::Text(text)) => log(&text),
        Some(Message::Binary(bytes)) => log(&format!("{} bytes", bytes.len())),
        Some(Message::Blob(_)) => log("a blob"),
        None => {}
    }
    socket.handle().close()
}
