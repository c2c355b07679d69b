//! The minimal echo client on duplex-ws's async layer (`cargo xtask size`, feature `async`): connect,
//! send "hello" once open, log the reply, close.

use duplex_size::{echo_url, log, log_message};
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
    if let Some(message) = socket.next().await.transpose()? {
        log_message(&message);
    }
    socket.handle().close()
}
