//! Conformance: events, binary type, lifetime and robustness, items 29-39 of docs/conformance.md.
//!
//! 29. order for one socket: open < every message < close, and nothing after close
//! 30. several handlers run in registration order; dropping one guard stops only that handler
//! 31. handlers may subscribe and unsubscribe during a dispatch
//! 32. binary type: ArrayBuffer gives bytes, Blob gives a Blob of the right size, a switch
//!     applies to the next message
//! 33. dropping an open socket: the server sees Close 1000, no exception for events in flight
//! 34. dropping a connecting socket: abandoned without an exception; the host still accepts a new
//!     socket
//! 35. 500 open/close cycles: no live sockets at the relay, no live closures, no errors, stable
//!     memory
//! 36. twenty concurrent sockets open and echo independently
//! 37. errors are typed and their Display includes the browser's message
//! 38. weak handles do not keep the socket alive
//! 39. a raw `web_sys::WebSocket` can be taken over, keeping its binary type
//!
//! Each test's doc comment names its item (`Conformance N`).
#![cfg(target_arch = "wasm32")]

mod common;

use core::cell::RefCell;
use std::rc::Rc;

use common::{
    Event, Events, Uncaught, control, field, open, quiet_period, relay_connections, unique_tag,
    wasm_memory_bytes, ws,
};
use duplex_ws::{
    BinaryType, CloseCode, ConnectOptions, Error, Message, ReadyState, WebSocket, live_closures,
};
use futures_util::future::join_all;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn blob_bytes(blob: &web_sys::Blob) -> Vec<u8> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .expect("readable Blob");
    js_sys::Uint8Array::new(&buffer).to_vec()
}

/// Conformance 29.
#[wasm_bindgen_test]
async fn open_then_messages_then_close_then_nothing() {
    let socket = WebSocket::connect(&ws("/test/flood?count=300&size=8&close=1")).expect("URL");
    let (before, close) = Events::record(&socket).until_close().await;
    let mut expected = vec![Event::Open];
    expected.extend((0..300).map(|i| Event::Message(Message::Text(format!("{i:.<8}")))));
    assert_eq!(before, expected);
    assert_eq!(
        (close.code, close.reason.as_str()),
        (CloseCode::Normal, "flood done")
    );
}

/// Conformance 30.
#[wasm_bindgen_test]
async fn handlers_run_in_registration_order_and_unsubscribe_independently() {
    let (socket, mut events) = open("/echo").await;
    let calls = Rc::new(RefCell::new(Vec::new()));
    let handler = |id: &'static str| {
        let calls = Rc::clone(&calls);
        move |m: Message| calls.borrow_mut().push((id, m))
    };
    let first = socket.on_message(handler("first"));
    let second = socket.on_message(handler("second"));
    let _third = socket.on_message(handler("third"));

    socket.send_text("a").expect("send");
    events.expect_message().await;
    let a = Message::from("a");
    assert_eq!(
        *calls.borrow(),
        [("first", a.clone()), ("second", a.clone()), ("third", a)]
    );

    drop(second);
    calls.borrow_mut().clear();
    socket.send_text("b").expect("send");
    events.expect_message().await;
    let b = Message::from("b");
    assert_eq!(*calls.borrow(), [("first", b.clone()), ("third", b)]);
    drop(first);
}

/// Conformance 31.
#[wasm_bindgen_test]
async fn handlers_may_subscribe_and_unsubscribe_during_a_dispatch() {
    let (socket, mut events) = open("/echo").await;
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let logger = |name: &'static str| {
        let log = Rc::clone(&calls);
        move |m: Message| {
            let text = m.as_text().unwrap_or("?").to_owned();
            log.borrow_mut().push(format!("{name} {text}"));
        }
    };
    let middle: Rc<RefCell<Option<duplex_ws::Subscription>>> = Rc::default();
    let added: Rc<RefCell<Vec<duplex_ws::Subscription>>> = Rc::default();

    // On the first message only, the first handler removes the middle one and adds a fourth.
    let (weak, middle_slot, added_slot) =
        (socket.downgrade(), Rc::clone(&middle), Rc::clone(&added));
    let first = logger("first");
    let fourth = logger("fourth");
    socket
        .on_message(move |m| {
            first(m);
            if let Some(removed) = middle_slot.borrow_mut().take() {
                drop(removed);
                let socket = weak.upgrade().expect("alive");
                added_slot
                    .borrow_mut()
                    .push(socket.on_message(fourth.clone()));
            }
        })
        .keep();
    *middle.borrow_mut() = Some(socket.on_message(logger("middle")));
    socket.on_message(logger("last")).keep();

    socket.send_text("1").expect("send");
    socket.send_text("2").expect("send");
    events.expect_message().await;
    events.expect_message().await;
    assert_eq!(
        *calls.borrow(),
        ["first 1", "last 1", "first 2", "last 2", "fourth 2"],
        "a removed handler is skipped at once; an added one starts with the next message"
    );
}

/// Conformance 32.
#[wasm_bindgen_test]
async fn binary_type_decides_how_binary_arrives_and_can_switch() {
    let (socket, mut events) = open("/echo").await;
    assert_eq!(
        socket.binary_type(),
        BinaryType::ArrayBuffer,
        "the crate's default"
    );
    socket.send_bytes(&[1, 2, 3]).expect("send");
    assert_eq!(
        events.expect_message().await,
        Message::Binary(vec![1, 2, 3])
    );

    socket.set_binary_type(BinaryType::Blob);
    assert_eq!(socket.binary_type(), BinaryType::Blob);
    socket.send_bytes(&[4, 5, 6, 7]).expect("send");
    match events.expect_message().await {
        Message::Blob(blob) => {
            assert_eq!(blob.size(), 4.0);
            assert_eq!(blob_bytes(&blob).await, [4, 5, 6, 7]);
        }
        other => panic!("expected a Blob, got {other:?}"),
    }
    socket.send_text("text stays text").expect("send");
    assert_eq!(events.expect_text().await, "text stays text");

    let options = ConnectOptions::new().binary_type(BinaryType::Blob);
    let blob_socket =
        WebSocket::connect_with(&ws("/test/flood?count=1&size=64&binary=1"), &options)
            .expect("URL");
    assert_eq!(
        blob_socket.binary_type(),
        BinaryType::Blob,
        "set before any message"
    );
    let mut events = Events::record(&blob_socket);
    events.expect_open().await;
    match events.expect_message().await {
        Message::Blob(blob) => {
            let mut expected = vec![0; 64];
            expected[..4].copy_from_slice(&0u32.to_be_bytes());
            assert_eq!(blob_bytes(&blob).await, expected);
        }
        other => panic!("expected a Blob, got {other:?}"),
    }
}

/// Conformance 33.
#[wasm_bindgen_test]
async fn dropping_an_open_socket_sends_close_1000_without_exceptions() {
    let uncaught = Uncaught::watch();
    let tag = unique_tag("dropped-open");
    let (socket, events) = open(&format!("/echo?tag={tag}")).await;
    for i in 0..50 {
        socket.send_text(&format!("in flight {i}")).expect("send");
    }
    drop(events);
    drop(socket);
    assert_eq!(live_closures(), 0);
    let body = control(&format!("/test/close-seen?tag={tag}")).await;
    assert_eq!(field(&body, "state").as_string().as_deref(), Some("close"));
    assert_eq!(field(&body, "code").as_f64(), Some(1000.0));
    quiet_period(100).await;
    assert_eq!(uncaught.messages(), Vec::<String>::new());
}

/// Conformance 34.
#[wasm_bindgen_test]
async fn dropping_a_connecting_socket_abandons_it_quietly() {
    let uncaught = Uncaught::watch();
    let socket = WebSocket::connect(&ws("/test/slow?delay_ms=300")).expect("URL");
    assert_eq!(socket.ready_state(), ReadyState::Connecting);
    drop(socket);
    assert_eq!(live_closures(), 0);
    let (again, _events) = open("/echo").await;
    assert_eq!(again.ready_state(), ReadyState::Open);
    drop(again);
    quiet_period(100).await;
    assert_eq!(uncaught.messages(), Vec::<String>::new());
}

/// Conformance 38.
#[wasm_bindgen_test]
async fn weak_handles_do_not_keep_the_socket_alive() {
    let (socket, _events) = open("/echo").await;
    let weak = socket.downgrade();
    let clone = socket.clone();
    drop(socket);
    assert!(weak.upgrade().is_some(), "a clone still holds it");
    assert_eq!(clone.ready_state(), ReadyState::Open);
    drop(clone);
    assert!(weak.upgrade().is_none());
}

/// Conformance 39.
#[wasm_bindgen_test]
async fn a_raw_socket_can_be_taken_over() {
    let raw = web_sys::WebSocket::new(&ws("/echo")).expect("URL");
    raw.set_binary_type(web_sys::BinaryType::Blob);
    let socket = WebSocket::try_from(raw).expect("listeners attach");
    assert_eq!(socket.binary_type(), BinaryType::Blob, "kept as it was");
    let mut events = Events::record(&socket);
    events.expect_open().await;
    socket
        .as_raw()
        .send_with_str("raw")
        .expect("send through the raw socket");
    assert_eq!(events.expect_text().await, "raw");
}

/// Conformance 35.
#[wasm_bindgen_test]
async fn five_hundred_open_close_cycles_leave_nothing_behind() {
    let uncaught = Uncaught::watch();
    let mut memory_after_warm_up = 0.0;
    for cycle in 0..500 {
        let (socket, mut events) = open("/echo").await;
        socket.close().expect("close");
        let (_, close) = events.until_close().await;
        assert!(close.was_clean, "cycle {cycle}: {close}");
        drop(socket);
        if cycle == 49 {
            memory_after_warm_up = wasm_memory_bytes();
        }
    }
    assert_eq!(live_closures(), 0);
    assert_eq!(
        relay_connections(0).await,
        0,
        "no live sockets at the relay"
    );
    assert_eq!(uncaught.messages(), Vec::<String>::new());
    assert_eq!(
        wasm_memory_bytes(),
        memory_after_warm_up,
        "wasm memory grew during cycles 50-500"
    );
}

/// Conformance 36.
#[wasm_bindgen_test]
async fn twenty_concurrent_sockets_echo_independently() {
    let sockets = join_all((0..20).map(|i| async move {
        let (socket, events) = open(&format!("/echo?n={i}")).await;
        (i, socket, events)
    }))
    .await;
    assert_eq!(relay_connections(20).await, 20);
    for (i, socket, _) in &sockets {
        for round in 0..3 {
            socket.send_text(&format!("{i}:{round}")).expect("send");
        }
    }
    let echoes = join_all(
        sockets
            .into_iter()
            .map(|(i, socket, mut events)| async move {
                let mut got = Vec::new();
                for _ in 0..3 {
                    got.push(events.expect_text().await);
                }
                drop(socket);
                (i, got)
            }),
    )
    .await;
    for (i, got) in echoes {
        assert_eq!(got, [0, 1, 2].map(|round| format!("{i}:{round}")));
    }
    assert_eq!(relay_connections(0).await, 0);
}

/// Conformance 37.
#[wasm_bindgen_test]
async fn errors_are_typed_and_keep_the_browsers_message() {
    let error = WebSocket::connect("ws://127.0.0.1/#fragment").expect_err("a fragment is invalid");
    let Error::InvalidUrl { message, .. } = &error else {
        panic!("expected InvalidUrl, got {error:?}")
    };
    assert!(!message.is_empty());
    assert!(error.to_string().contains(message.as_str()), "{error}");

    let connecting = WebSocket::connect(&ws("/echo")).expect("URL");
    let error = connecting
        .send_text("too early")
        .expect_err("still connecting");
    let Error::InvalidState { message } = &error else {
        panic!("expected InvalidState, got {error:?}")
    };
    assert!(!message.is_empty());
    assert!(error.to_string().contains(message.as_str()), "{error}");
}
