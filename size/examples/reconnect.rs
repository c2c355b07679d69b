//! The minimal echo client on duplex-ws's reconnecting socket (`cargo xtask size`, feature `reconnect`):
//! connect, send "hello" once open, log the reply, close.

use std::cell::Cell;

use duplex_size::{echo_url, log_message};
use duplex_ws::{Endpoint, ReconnectOptions, ReconnectingWebSocket};
use wasm_bindgen::prelude::*;

thread_local! {
    /// The socket lives as long as the page: dropping it would close it.
    static SOCKET: Cell<Option<ReconnectingWebSocket>> = const { Cell::new(None) };
}

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let socket = ReconnectingWebSocket::connect(Endpoint::new(echo_url()), ReconnectOptions::new())
        .map_err(|error| error.to_string())?;
    // Queued until the socket opens, then flushed: no open handler needed.
    socket
        .send_text("hello")
        .map_err(|error| error.to_string())?;
    let weak = socket.downgrade();
    socket
        .on_message(move |message| {
            log_message(&message);
            if let Some(socket) = weak.upgrade() {
                let _ = socket.close();
            }
        })
        .keep();
    SOCKET.with(|slot| slot.set(Some(socket)));
    Ok(())
}
