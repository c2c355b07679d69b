//! Conformance: sending, items 10-16 and 82 of docs/conformance.md.
//!
//! 10. every send while Connecting: Err(InvalidState) with the browser's message
//! 11. text round trips unchanged: ASCII, combining, non-BMP, empty, 125/126/65535/65536 bytes,
//!     1 MiB, and long text around the `encodeInto` threshold, ASCII or not
//! 12. binary round trips unchanged: 0 bytes, the same boundaries, 1 MiB, 16 MiB
//! 13. `buffered_amount()` grows at once by the UTF-8 / byte length and returns to 0 once echoed
//! 14. send after close: Err(NotOpen) while Closing and Closed, and nothing is buffered
//! 15. thousands of numbered messages echo back in order, none lost
//! 16. Blob and ArrayBuffer sends arrive as binary
//! 82. JS strings are sent and received without a copy through wasm memory, and match the copied messages
//!
//! Each test's doc comment names its item (`Conformance N`).
#![cfg(target_arch = "wasm32")]

mod common;

use common::{open, ws};
use std::cell::RefCell;
use std::rc::Rc;

use duplex_ws::{Error, JsMessage, Message, ReadyState, WebSocket};
use js_sys::{Array, ArrayBuffer, JsString, Uint8Array};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn blob_of(data: &[u8]) -> Blob {
    let parts = Array::of1(&Uint8Array::from(data));
    Blob::new_with_u8_array_sequence(&parts).expect("a Blob")
}

fn array_buffer_of(data: &[u8]) -> ArrayBuffer {
    Uint8Array::from(data).buffer()
}

/// Every way to send, with the same payload shape, so each rule is checked for all of them.
fn send_all_kinds(socket: &WebSocket) -> [Result<(), Error>; 6] {
    [
        socket.send_text("text"),
        socket.send_js_string(&JsString::from("a JS string")),
        socket.send_bytes(&[1, 2, 3]),
        socket.send_blob(&blob_of(&[4, 5])),
        socket.send_array_buffer(&array_buffer_of(&[6])),
        socket.send(&Message::from("message")),
    ]
}

/// Conformance 10.
#[wasm_bindgen_test]
async fn sending_while_connecting_is_invalid_state() {
    let socket = WebSocket::connect(&ws("/echo")).expect("valid URL");
    assert_eq!(socket.ready_state(), ReadyState::Connecting);
    for result in send_all_kinds(&socket) {
        match result {
            Err(Error::InvalidState { message }) => assert!(!message.is_empty()),
            other => panic!("expected InvalidState, got {other:?}"),
        }
    }
    assert_eq!(socket.buffered_amount(), 0);
}

/// Conformance 11.
#[wasm_bindgen_test]
async fn text_round_trips_unchanged() {
    let (socket, mut events) = open("/echo").await;
    let cases = [
        "hello".to_owned(),
        "e\u{301} a\u{308}\u{323}".to_owned(),
        "\u{1F600} \u{1D11E} \u{10FFFF}".to_owned(),
        String::new(),
        "a".repeat(125),
        "b".repeat(126),
        "c".repeat(65_535),
        "d".repeat(65_536),
        "\u{1F600}".repeat(16_384),
        "e".repeat(1 << 20),
        // Around the length from which long text is read with `TextEncoder.encodeInto`, and long text
        // that is not all ASCII, at the start or only at the end.
        "f".repeat(511),
        "g".repeat(512),
        "\u{e9}".repeat(600),
        format!("{}\u{e9}", "h".repeat(1_000)),
    ];
    for text in &cases {
        socket.send_text(text).expect("send");
    }
    for text in cases {
        assert_eq!(events.expect_text().await, text, "{} bytes", text.len());
    }
}

/// Conformance 12.
#[wasm_bindgen_test]
async fn binary_round_trips_unchanged() {
    let (socket, mut events) = open("/echo").await;
    for len in [0, 1, 125, 126, 65_535, 65_536, 1 << 20, 16 << 20] {
        let data = bytes(len);
        socket.send_bytes(&data).expect("send");
        match events.expect_message().await {
            Message::Binary(echoed) => assert!(echoed == data, "{len} bytes differ"),
            other => panic!("{len} bytes: expected binary, got {other:?}"),
        }
    }
}

/// Conformance 16.
#[wasm_bindgen_test]
async fn blob_and_array_buffer_sends_arrive_as_binary() {
    let (socket, mut events) = open("/echo").await;
    socket
        .send_blob(&blob_of(&bytes(300)))
        .expect("send a Blob");
    socket
        .send_array_buffer(&array_buffer_of(&bytes(70_000)))
        .expect("send an ArrayBuffer");
    socket
        .send(&Message::Binary(bytes(9)))
        .expect("send a Message");
    for len in [300, 70_000, 9] {
        assert_eq!(events.expect_message().await, Message::Binary(bytes(len)));
    }
}

/// Conformance 13.
#[wasm_bindgen_test]
async fn buffered_amount_counts_utf8_and_binary_bytes_then_drains() {
    let (socket, mut events) = open("/echo").await;
    assert_eq!(socket.buffered_amount(), 0);
    socket.send_text("h\u{e9}llo \u{1F600}").expect("send");
    assert_eq!(socket.buffered_amount(), 11, "1+2+3+1+4 UTF-8 bytes");
    socket.send_bytes(&bytes(1000)).expect("send");
    assert_eq!(socket.buffered_amount(), 1011);
    socket.send_blob(&blob_of(&bytes(5))).expect("send");
    assert_eq!(socket.buffered_amount(), 1016);
    for _ in 0..3 {
        events.expect_message().await;
    }
    assert_eq!(
        socket.buffered_amount(),
        0,
        "everything was sent once echoed"
    );
}

/// Conformance 14.
#[wasm_bindgen_test]
async fn sending_after_close_is_not_open_and_buffers_nothing() {
    let (socket, mut events) = open("/echo").await;
    socket.close().expect("close");
    assert_eq!(socket.ready_state(), ReadyState::Closing);
    for result in send_all_kinds(&socket) {
        assert_eq!(
            result,
            Err(Error::NotOpen {
                state: ReadyState::Closing
            })
        );
    }
    assert_eq!(socket.buffered_amount(), 0);
    events.until_close().await;
    for result in send_all_kinds(&socket) {
        assert_eq!(
            result,
            Err(Error::NotOpen {
                state: ReadyState::Closed
            })
        );
    }
    assert_eq!(socket.buffered_amount(), 0);
}

/// Conformance 15.
#[wasm_bindgen_test]
async fn thousands_of_messages_echo_in_order() {
    const COUNT: usize = 5_000;
    let (socket, mut events) = open("/echo").await;
    for i in 0..COUNT {
        if i % 2 == 0 {
            socket.send_text(&i.to_string()).expect("send text");
        } else {
            socket
                .send_bytes(&(i as u32).to_be_bytes())
                .expect("send binary");
        }
    }
    for i in 0..COUNT {
        let expected = if i % 2 == 0 {
            Message::Text(i.to_string())
        } else {
            Message::Binary((i as u32).to_be_bytes().to_vec())
        };
        assert_eq!(events.expect_message().await, expected, "message {i}");
    }
}

/// What the two kinds of message handler saw, in the order they ran.
#[derive(Debug)]
enum Seen {
    Js(JsMessage),
    Copied(Message),
}

/// Conformance 82.
#[wasm_bindgen_test]
async fn js_strings_round_trip_without_a_copy_and_match_the_copied_messages() {
    let (socket, mut events) = open("/echo").await;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (js, copied) = (Rc::clone(&seen), Rc::clone(&seen));
    // Both kinds run in the order they were added, each on_message handler with its own copy.
    let _js = socket.on_js_message(move |message| js.borrow_mut().push(Seen::Js(message)));
    let _copied = socket.on_message(move |message| copied.borrow_mut().push(Seen::Copied(message)));
    let texts = [
        "hello".to_owned(),
        String::new(),
        "\u{1F600} e\u{301}".to_owned(),
        "x".repeat(65_536),
        format!("{}\u{e9}", "y".repeat(1_000)),
    ];
    for text in &texts {
        socket
            .send_js_string(&JsString::from(text.as_str()))
            .expect("send a JS string");
    }
    socket.send_bytes(&bytes(300)).expect("send bytes");
    for text in &texts {
        assert_eq!(&events.expect_text().await, text, "{} bytes", text.len());
    }
    assert_eq!(events.expect_message().await, Message::Binary(bytes(300)));
    let seen = seen.take();
    assert_eq!(seen.len(), 2 * (texts.len() + 1), "{seen:?}");
    for (i, pair) in seen.chunks(2).enumerate() {
        let [Seen::Js(js), Seen::Copied(copied)] = pair else {
            panic!("message {i}: the handlers run in the order they were added: {pair:?}");
        };
        match texts.get(i) {
            Some(text) => assert_eq!(js.as_js_string(), Some(&JsString::from(text.as_str()))),
            None => match js {
                JsMessage::Binary(buffer) => assert_eq!(buffer.byte_length(), 300),
                other => panic!("expected an ArrayBuffer, got {other:?}"),
            },
        }
        assert_eq!(&js.clone().into_message(), copied, "message {i}");
    }
}
