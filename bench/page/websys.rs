//! The floor for any Rust client: the same callback client as `callback.rs`, written on plain web-sys with no
//! library. Its handlers are `Closure`s set as `onopen`, `onmessage` and `onclose`; text crosses into wasm
//! memory with `JsValue::as_string` and bytes with `Uint8Array::to_vec`, and sending copies the other way with
//! `send_with_str` and `send_with_u8_array`: the copies across the wasm boundary that every Rust client pays,
//! and nothing else.

use core::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent};

use crate::mailbox::Mailbox;
use crate::payload::{Expect, Payload, copied_shape};
use crate::reports::Report;
use crate::timing::Clock;

type Handler = Closure<dyn FnMut(MessageEvent)>;

/// A browser socket with its open and close handlers set; the message handler is set per run.
struct Connection<T> {
    url: String,
    socket: web_sys::WebSocket,
    reports: Mailbox<Report<T>>,
    _open: Closure<dyn FnMut(Event)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    message: RefCell<Option<Handler>>,
}

impl<T: 'static> Connection<T> {
    fn connect(url: &str) -> Result<Self, String> {
        let socket = web_sys::WebSocket::new(url)
            .map_err(|error| format!("could not connect to {url}: {error:?}"))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let reports = Mailbox::new();
        let opened = reports.clone();
        let open = Closure::<dyn FnMut(Event)>::new(move |_| opened.push(Report::Open));
        let closed = reports.clone();
        let close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            closed.push(Report::Closed(format!("code {}", event.code())));
        });
        socket.set_onopen(Some(open.as_ref().unchecked_ref()));
        socket.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok(Self {
            url: url.to_owned(),
            socket,
            reports,
            _open: open,
            _close: close,
            message: RefCell::new(None),
        })
    }

    async fn open(url: &str) -> Result<Self, String> {
        let connection = Self::connect(url)?;
        connection.reports.opened(url).await?;
        Ok(connection)
    }

    /// Sets `handler` as `onmessage`; it reports its result through its second argument.
    fn on_message(
        &self,
        mut handler: impl FnMut(MessageEvent, &dyn Fn(Result<T, String>)) + 'static,
    ) {
        let reports = self.reports.clone();
        let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |event| {
            handler(event, &|result| reports.push(Report::Done(result)));
        });
        self.socket
            .set_onmessage(Some(closure.as_ref().unchecked_ref()));
        self.message.replace(Some(closure));
    }

    async fn result(&self) -> Result<T, String> {
        self.reports.result(&self.url).await
    }

    async fn closed(&self) {
        self.reports
            .closed(|| self.socket.ready_state() == web_sys::WebSocket::CLOSED)
            .await;
        self.release();
    }

    async fn close(self) -> Result<(), String> {
        self.socket
            .close_with_code(1000)
            .map_err(|error| format!("could not close {}: {error:?}", self.url))?;
        self.closed().await;
        Ok(())
    }

    /// Unsets the handlers, so that the closures can be dropped with the connection.
    fn release(&self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
    }
}

/// Checks a received message as a plain web-sys client reads it: copied into a `String` or a `Vec<u8>`.
fn check(expect: Expect, data: &JsValue) -> Result<(), String> {
    expect.check_shape(copied_shape(data))
}

fn send(socket: &web_sys::WebSocket, payload: &Payload) -> Result<(), String> {
    match payload {
        Payload::Text(text) => socket.send_with_str(text),
        Payload::Binary(bytes) => socket.send_with_u8_array(bytes),
    }
    .map_err(|error| format!("send failed: {error:?}"))
}

/// [`pipelined`](crate::pipelined): a send loop; the handler timestamps the last echo.
pub async fn pipelined(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<f64, String> {
    let connection = Connection::open(url).await?;
    let (expect, handler_clock) = (payload.expect(), clock.clone());
    let mut left = count;
    connection.on_message(move |event, done| {
        if left == 0 {
            return;
        }
        if let Err(error) = check(expect, &event.data()) {
            left = 0;
            return done(Err(error));
        }
        left -= 1;
        if left == 0 {
            done(Ok(handler_clock.now()));
        }
    });
    let t0 = clock.now();
    for _ in 0..count {
        send(&connection.socket, payload)?;
    }
    let t1 = connection.result().await?;
    connection.close().await?;
    Ok(t1 - t0)
}

/// [`ping_pong`](crate::ping_pong): the handler times each echo and sends the next message.
pub async fn ping_pong(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<Vec<f64>, String> {
    let connection = Connection::open(url).await?;
    let (expect, handler_clock, handler_payload) =
        (payload.expect(), clock.clone(), payload.clone());
    let socket = connection.socket.clone();
    let wanted = usize::try_from(count).unwrap_or(usize::MAX);
    let mut rtts = Vec::with_capacity(wanted);
    let mut finished = false;
    let sent_at = Rc::new(Cell::new(0.0));
    let handler_sent_at = Rc::clone(&sent_at);
    connection.on_message(move |event, done| {
        if finished {
            return;
        }
        // The echo counts as received once it is in wasm memory, as the library clients' handlers see it.
        let checked = check(expect, &event.data());
        let now = handler_clock.now();
        if let Err(error) = checked {
            finished = true;
            return done(Err(error));
        }
        rtts.push(now - handler_sent_at.get());
        if rtts.len() == wanted {
            finished = true;
            return done(Ok(core::mem::take(&mut rtts)));
        }
        handler_sent_at.set(handler_clock.now());
        if let Err(error) = send(&socket, &handler_payload) {
            finished = true;
            done(Err(error));
        }
    });
    sent_at.set(clock.now());
    send(&connection.socket, payload)?;
    let rtts = connection.result().await?;
    connection.close().await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): the handler copies each message in, counts, and timestamps the `count`-th.
pub async fn flood(clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let connection = Connection::connect(url)?;
    let handler_clock = clock.clone();
    let mut left = count;
    connection.on_message(move |event, done| {
        if left == 0 {
            return;
        }
        // Read like every other client: the text is copied into wasm memory.
        if event.data().as_string().is_none() {
            left = 0;
            return done(Err("the flood sent a message that is not text".to_owned()));
        }
        left -= 1;
        if left == 0 {
            done(Ok(handler_clock.now()));
        }
    });
    let t1 = connection.result().await?;
    connection.closed().await;
    Ok(t1 - t0)
}
