//! The callback-layer client (`duplex_ws::WebSocket`), written like a page's `onmessage`: the message handler
//! checks each echo, counts, timestamps and (in ping-pong) sends the next message itself; the task only
//! starts the run and waits for the handler's result.
//!
//! It runs two ways: with Rust values (`on_message` and `send_text` or `send_bytes`, which copy text and
//! bytes through wasm memory), and with JS values (`on_js_message` and `send_js_string` or
//! `send_array_buffer`, which copy nothing into wasm memory).

use core::cell::Cell;
use std::rc::Rc;

use duplex_ws::{CloseCode, Subscription, WebSocket};
use js_sys::{ArrayBuffer, JsString, Uint8Array};

use crate::mailbox::Mailbox;
use crate::payload::{Expect, Payload, js_shape, shape};
use crate::reports::Report;
use crate::timing::Clock;

/// Which values the client sends and receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// `Message`s: text and bytes copied into and out of wasm memory.
    Rust,
    /// `JsMessage`s and JS strings or `ArrayBuffer`s: nothing copied into wasm memory.
    Js,
}

/// The payload in the form the client sends, made before the clock starts.
#[derive(Debug, Clone)]
enum Outgoing {
    Rust(Payload),
    Text(JsString),
    Binary(ArrayBuffer),
}

impl Outgoing {
    fn new(values: Values, payload: &Payload) -> Self {
        match (values, payload) {
            (Values::Rust, _) => Self::Rust(payload.clone()),
            (Values::Js, Payload::Text(text)) => Self::Text(JsString::from(text.as_str())),
            (Values::Js, Payload::Binary(bytes)) => {
                Self::Binary(Uint8Array::from(&bytes[..]).buffer())
            }
        }
    }

    fn send_on(&self, socket: &WebSocket) -> Result<(), String> {
        match self {
            Self::Rust(payload) => payload.send_on(socket),
            Self::Text(text) => socket.send_js_string(text),
            Self::Binary(buffer) => socket.send_array_buffer(buffer),
        }
        .map_err(|error| format!("send failed: {error}"))
    }
}

/// A socket, the handlers that report its open and close, and where they report.
struct Connection<T> {
    url: String,
    socket: WebSocket,
    reports: Mailbox<Report<T>>,
    _subscriptions: [Subscription; 2],
}

impl<T: 'static> Connection<T> {
    /// Starts connecting, without waiting.
    fn connect(url: &str) -> Result<Self, String> {
        let socket = WebSocket::connect(url)
            .map_err(|error| format!("could not connect to {url}: {error}"))?;
        let reports = Mailbox::new();
        let (opened, closed) = (reports.clone(), reports.clone());
        let subscriptions = [
            socket.on_open(move || opened.push(Report::Open)),
            socket.on_close(move |info| closed.push(Report::Closed(info.to_string()))),
        ];
        Ok(Self {
            url: url.to_owned(),
            socket,
            reports,
            _subscriptions: subscriptions,
        })
    }

    /// Connects and waits until the socket is open.
    async fn open(url: &str) -> Result<Self, String> {
        let connection = Self::connect(url)?;
        connection.reports.opened(url).await?;
        Ok(connection)
    }

    /// Subscribes `handler` to messages received as `values`; it gets each message's check against
    /// `expect` (`None`: anything goes) and reports its result through `done`.
    fn on_message(
        &self,
        values: Values,
        expect: Option<Expect>,
        mut handler: impl FnMut(Result<(), String>, &dyn Fn(Result<T, String>)) + 'static,
    ) -> Subscription {
        let reports = self.reports.clone();
        let mut report = move |shape| {
            let checked = expect.map_or(Ok(()), |expect| expect.check_shape(shape));
            handler(checked, &|result| reports.push(Report::Done(result)));
        };
        match values {
            Values::Rust => self
                .socket
                .on_message(move |message| report(shape(&message))),
            Values::Js => self
                .socket
                .on_js_message(move |message| report(js_shape(&message))),
        }
    }

    /// Waits for the message handler's result; the socket closing first is an error.
    async fn result(&self) -> Result<T, String> {
        self.reports.result(&self.url).await
    }

    /// Waits until the socket has closed.
    async fn closed(&self) {
        self.reports
            .closed(|| self.socket.close_info().is_some())
            .await;
    }

    /// Closes with 1000 and waits until the socket has closed.
    async fn close(self) -> Result<(), String> {
        self.socket
            .close_with(CloseCode::Normal, "")
            .map_err(|error| format!("could not close {}: {error}", self.url))?;
        self.closed().await;
        Ok(())
    }
}

/// [`pipelined`](crate::pipelined): a send loop; the handler timestamps the last echo.
pub async fn pipelined(
    values: Values,
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<f64, String> {
    let connection = Connection::open(url).await?;
    let outgoing = Outgoing::new(values, payload);
    let handler_clock = clock.clone();
    let mut left = count;
    let echoes = connection.on_message(values, Some(payload.expect()), move |checked, done| {
        if left == 0 {
            return;
        }
        if let Err(error) = checked {
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
        outgoing.send_on(&connection.socket)?;
    }
    let t1 = connection.result().await?;
    drop(echoes);
    connection.close().await?;
    Ok(t1 - t0)
}

/// [`ping_pong`](crate::ping_pong): the handler times each echo and sends the next message.
pub async fn ping_pong(
    values: Values,
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<Vec<f64>, String> {
    let connection = Connection::open(url).await?;
    let outgoing = Outgoing::new(values, payload);
    let (handler_clock, handler_outgoing) = (clock.clone(), outgoing.clone());
    let weak = connection.socket.downgrade();
    let wanted = usize::try_from(count).unwrap_or(usize::MAX);
    let mut rtts = Vec::with_capacity(wanted);
    let mut finished = false;
    let sent_at = Rc::new(Cell::new(0.0));
    let handler_sent_at = Rc::clone(&sent_at);
    let echoes = connection.on_message(values, Some(payload.expect()), move |checked, done| {
        if finished {
            return;
        }
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
        let Some(socket) = weak.upgrade() else {
            return;
        };
        handler_sent_at.set(handler_clock.now());
        if let Err(error) = handler_outgoing.send_on(&socket) {
            finished = true;
            done(Err(error));
        }
    });
    // The first message; the handler sends the others.
    sent_at.set(clock.now());
    outgoing.send_on(&connection.socket)?;
    let rtts = connection.result().await?;
    drop(echoes);
    connection.close().await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): the handler counts and timestamps the `count`-th message.
pub async fn flood(values: Values, clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let connection = Connection::connect(url)?;
    let handler_clock = clock.clone();
    let mut left = count;
    let messages = connection.on_message(values, None, move |_, done| {
        if left == 0 {
            return;
        }
        left -= 1;
        if left == 0 {
            done(Ok(handler_clock.now()));
        }
    });
    let t1 = connection.result().await?;
    drop(messages);
    // The relay closes once it has sent everything.
    connection.closed().await;
    Ok(t1 - t0)
}
