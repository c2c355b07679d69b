//! The minimal echo client on duplex-ws's callback layer (`cargo xtask size`): connect, send "hello" once
//! open, log the reply, close.

use std::cell::Cell;

use duplex_size::{echo_url, log_message};
use duplex_ws::WebSocket;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The socket lives as long as the page: dropping it would close it.
    static SOCKET: Cell<Option<WebSocket>> = const { Cell::new(None) };
}

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let socket = WebSocket::connect(&echo_url()).map_err(|error| error.to_string())?;
    let weak = socket.downgrade();
    socket
        .on_open(move || {
            if let Some(socket) = weak.upgrade() {
                let _ = socket.send_text("hello");
            }
        })
        .keep();
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
