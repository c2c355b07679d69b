//! The floor: the same echo client written by hand on web-sys, with no WebSocket library (`cargo xtask size`,
//! feature `websys`): connect, send "hello" once open, log the reply, close. Its closures live as long as the
//! page, owned by a thread-local, as the socket of the other clients is.

use std::cell::RefCell;

use duplex_size::{echo_url, log, log_bytes};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, Event, MessageEvent, WebSocket};

/// The socket and its two handlers.
struct Client {
    _socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

thread_local! {
    /// The client lives as long as the page: dropping the closures would leave the socket calling freed ones.
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let socket = WebSocket::new(&echo_url())?;
    socket.set_binary_type(BinaryType::Arraybuffer);
    let sender = socket.clone();
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_| {
        let _ = sender.send_with_str("hello");
    });
    let closer = socket.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        match data.as_string() {
            Some(text) => log(&text),
            None => log_bytes(js_sys::Uint8Array::new(&data).length() as usize),
        }
        let _ = closer.close();
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    CLIENT.with(|client| {
        client.replace(Some(Client {
            _socket: socket,
            _on_open: on_open,
            _on_message: on_message,
        }))
    });
    Ok(())
}
