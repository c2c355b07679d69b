//! What one received message costs each client once the browser has it, with no network in between: a
//! `message` event holding a real echo (text as the browser made it from the network, or an `ArrayBuffer`)
//! dispatched again and again on an open socket, to one client's handler at a time. Also what a text send
//! copies out of wasm memory, and what the async layer's task costs when each message comes in a browser
//! task of its own, as messages from the network do.

use core::cell::Cell;
use std::rc::Rc;

use duplex_ws::{JsMessage, StreamOptions, WebSocket, WsStream};
use futures_util::StreamExt;
use js_sys::{Function, JsString, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageChannel, MessageEvent, MessageEventInit};

use crate::mailbox::Mailbox;
use crate::payload::{Payload, Shape, copied_shape, js_shape, shape};
use crate::timing::Clock;

/// Microseconds per message, each the mean over `count` dispatches, in this order: a raw JS listener reading
/// the data's length, a web-sys closure copying it in (`JsValue::as_string` or `Uint8Array::to_vec`),
/// duplex-ws's `on_message`, duplex-ws's `on_js_message`; then, for text, `JsString::from(&str)` (the copy a
/// `send_text` makes), else 0; then, with each event dispatched in a browser task of its own, `on_message`
/// and a `WsStream` read by a task of its own (the difference: the queue, the wake-up and the poll).
pub async fn per_message(
    clock: &Clock,
    url: &str,
    binary: bool,
    size: u32,
    count: u32,
) -> Result<[f64; 7], String> {
    let payload = Payload::new(binary, size);
    let socket = WebSocket::connect(url).map_err(|error| format!("could not connect: {error}"))?;
    let echo = echo_of(&socket, &payload).await?;
    let init = MessageEventInit::new();
    init.set_data(&echo);
    let event = MessageEvent::new_with_event_init_dict("message", &init)
        .map_err(|error| format!("could not make a message event: {error:?}"))?;
    let raw = socket.as_raw().clone();
    let seen = Rc::new(Cell::new(0_usize));
    let dispatch = |label: &str| -> Result<f64, String> {
        seen.set(0);
        let t0 = clock.now();
        for _ in 0..count {
            raw.dispatch_event(&event)
                .map_err(|error| format!("{label}: dispatch failed: {error:?}"))?;
        }
        Ok((clock.now() - t0) * 1000.0 / f64::from(count))
    };

    let js = Function::new_with_args(
        "event",
        "const data = event.data; \
         globalThis.duplexBenchSeen += typeof data === 'string' ? data.length : data.byteLength;",
    );
    js_sys::Reflect::set(&js_sys::global(), &"duplexBenchSeen".into(), &0.into())
        .map_err(|error| format!("{error:?}"))?;
    raw.add_event_listener_with_callback("message", &js)
        .map_err(|error| format!("{error:?}"))?;
    let raw_js = dispatch("raw JS");
    raw.remove_event_listener_with_callback("message", &js)
        .map_err(|error| format!("{error:?}"))?;
    let raw_js = raw_js?;
    let js_seen = js_sys::Reflect::get(&js_sys::global(), &"duplexBenchSeen".into())
        .ok()
        .and_then(|seen| seen.as_f64());
    let expected = f64::from(size) * f64::from(count);
    if js_seen != Some(expected) {
        return Err(format!(
            "the raw JS listener saw {js_seen:?} bytes, not {expected}"
        ));
    }

    let counter = Rc::clone(&seen);
    let web_sys = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        counter.set(counter.get() + len_of(copied_shape(&event.data())));
    });
    raw.add_event_listener_with_callback("message", web_sys.as_ref().unchecked_ref())
        .map_err(|error| format!("{error:?}"))?;
    let web_sys_cost = dispatch("web-sys");
    raw.remove_event_listener_with_callback("message", web_sys.as_ref().unchecked_ref())
        .map_err(|error| format!("{error:?}"))?;
    drop(web_sys);
    let web_sys_cost = checked(web_sys_cost?, &seen, size, count, "web-sys")?;

    let counter = Rc::clone(&seen);
    let copied = socket.on_message(move |message| {
        counter.set(counter.get() + len_of(shape(&message)));
    });
    let on_message = dispatch("on_message");
    drop(copied);
    let on_message = checked(on_message?, &seen, size, count, "on_message")?;

    let counter = Rc::clone(&seen);
    let js_values = socket.on_js_message(move |message| {
        counter.set(counter.get() + len_of(js_shape(&message)));
    });
    let on_js_message = dispatch("on_js_message");
    drop(js_values);
    let on_js_message = checked(on_js_message?, &seen, size, count, "on_js_message")?;

    let send_copy = match &payload {
        Payload::Text(text) => {
            let t0 = clock.now();
            let mut total = 0;
            for _ in 0..count {
                total += JsString::from(text.as_str()).length();
            }
            let per = (clock.now() - t0) * 1000.0 / f64::from(count);
            if total != size * count {
                return Err(format!("the send copies came to {total} units"));
            }
            per
        }
        Payload::Binary(_) => 0.0,
    };
    let hops = count.min(2_000);
    let counter = Rc::clone(&seen);
    let copied = socket.on_message(move |message| {
        counter.set(counter.get() + len_of(shape(&message)));
    });
    seen.set(0);
    let callback_hops = one_per_task(clock, &raw, &event, hops).await;
    drop(copied);
    let callback_hops = checked(callback_hops?, &seen, size, hops, "on_message, a task each")?;

    let mut stream = WsStream::new(socket.clone(), &StreamOptions::new());
    let handle = stream.handle();
    let counter = Rc::clone(&seen);
    let reader = async move {
        while let Some(Ok(message)) = stream.next().await {
            counter.set(counter.get() + len_of(shape(&message)));
        }
    };
    wasm_bindgen_futures::spawn_local(reader);
    seen.set(0);
    let stream_hops = one_per_task(clock, &raw, &event, hops).await;
    // The last message is read in the microtasks after the last dispatch.
    JsFuture::from(Promise::resolve(&JsValue::NULL))
        .await
        .map_err(|error| format!("{error:?}"))?;
    let stream_hops = checked(stream_hops?, &seen, size, hops, "WsStream, a task each")?;
    socket
        .close()
        .map_err(|error| format!("could not close: {error}"))?;
    handle.closed().await;
    Ok([
        raw_js,
        web_sys_cost,
        on_message,
        on_js_message,
        send_copy,
        callback_hops,
        stream_hops,
    ])
}

/// Microseconds per event when each is dispatched in a browser task of its own (a `MessageChannel` hop, as
/// the network's messages come), so that the microtasks after each, where async tasks run, run each time.
async fn one_per_task(
    clock: &Clock,
    raw: &web_sys::WebSocket,
    event: &MessageEvent,
    count: u32,
) -> Result<f64, String> {
    let channel = MessageChannel::new().map_err(|error| format!("{error:?}"))?;
    let t0 = clock.now();
    for _ in 0..count {
        let mut posted = Ok(());
        let hop = Promise::new(&mut |resolve, _| {
            channel.port1().set_onmessage(Some(&resolve));
            posted = channel.port2().post_message(&JsValue::NULL);
        });
        posted.map_err(|error| format!("{error:?}"))?;
        JsFuture::from(hop)
            .await
            .map_err(|error| format!("{error:?}"))?;
        raw.dispatch_event(event)
            .map_err(|error| format!("dispatch failed: {error:?}"))?;
    }
    let elapsed = clock.now() - t0;
    channel.port1().set_onmessage(None);
    channel.port1().close();
    Ok(elapsed * 1000.0 / f64::from(count))
}

/// Sends `payload` once and returns the echo's data, as the browser made it.
async fn echo_of(socket: &WebSocket, payload: &Payload) -> Result<JsValue, String> {
    let echoes: Mailbox<Result<JsValue, String>> = Mailbox::new();
    let (opened, received, closed) = (echoes.clone(), echoes.clone(), echoes.clone());
    let weak = socket.downgrade();
    let to_send = payload.clone();
    let _open = socket.on_open(move || {
        if let Some(socket) = weak.upgrade() {
            if let Err(error) = to_send.send_on(&socket) {
                opened.push(Err(format!("send failed: {error}")));
            }
        }
    });
    let _message = socket.on_js_message(move |message| {
        received.push(Ok(match message {
            JsMessage::Text(text) => text.into(),
            JsMessage::Binary(buffer) => buffer.into(),
            JsMessage::Blob(blob) => blob.into(),
        }));
    });
    let _close = socket.on_close(move |info| closed.push(Err(format!("closed early: {info}"))));
    echoes.next().await
}

/// The bytes of a message of `shape` (none: 0).
fn len_of(shape: Option<Shape>) -> usize {
    shape.map_or(0, |(_, len)| len)
}

/// The cost, once the handler is checked to have seen every message whole.
fn checked(
    cost: f64,
    seen: &Cell<usize>,
    size: u32,
    count: u32,
    label: &str,
) -> Result<f64, String> {
    let expected = size as usize * count as usize;
    if seen.get() == expected {
        Ok(cost)
    } else {
        Err(format!("{label} saw {} bytes, not {expected}", seen.get()))
    }
}
