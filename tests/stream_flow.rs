//! The async layer under load: order through the Stream, Blob conversion order, Sink backpressure,
//! `send` that does not wait for the network and `drained` that does, and the receive queue's bound
//! and overflow policies. Conformance: items 51-58 of docs/conformance.md.
//!
//! 51. 10,000 numbered messages keep their order through the Stream, text and binary
//! 52. mixed text and Blobs read into bytes keep their arrival order
//! 53. Blobs are delivered untouched by default; `blob_to_bytes` reads them
//! 54. a 64 MiB Sink flood stays within one message of the high-water mark, and all arrives
//! 55. `send` returns while the data is still buffered; `drained` waits for 0
//! 56. a bounded receive queue: DropNewest and DropOldest report what they dropped
//! 57. the queue's byte bound counts too
//! 58. by default a full queue closes the socket with 4009, "receive queue full"
//!
//! Each test's doc comment names its item (`Conformance N`).
#![cfg(target_arch = "wasm32")]

mod common;

use common::{assert_nothing_held, open_stream, relay_connections, within};
use duplex_ws::{
    BinaryType, BlobHandling, CloseCode, ConnectOptions, Error, Message, Overflow, QUEUE_FULL_CODE,
    QueueLimit, StreamOptions, WsReceiver, blob_to_bytes,
};
use futures_util::future::join;
use futures_util::{SinkExt, StreamExt};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The flood's number in a message: text `i` padded with dots, or binary with `i` in its first 4 bytes.
fn flood_index(message: &Message) -> u32 {
    match message {
        Message::Text(text) => text.trim_end_matches('.').parse().expect("a number"),
        Message::Binary(bytes) => {
            u32::from_be_bytes(bytes[..4].try_into().expect("at least 4 bytes"))
        }
        Message::Blob(_) => panic!("no Blob expected"),
    }
}

/// Everything the receiver yields until the stream ends.
async fn drain(receiver: &mut WsReceiver) -> Vec<Result<Message, Error>> {
    let mut items = Vec::new();
    while let Some(item) = receiver.next().await {
        items.push(item);
    }
    items
}

/// Conformance 51.
#[wasm_bindgen_test]
async fn ten_thousand_numbered_messages_keep_their_order() {
    for binary in [false, true] {
        let path = format!("/test/flood?count=10000&size=32&binary={binary}&close=1");
        let socket = open_stream(&path, &ConnectOptions::new(), &StreamOptions::new()).await;
        let (_sender, mut receiver) = socket.split();
        let items = within(60_000, drain(&mut receiver))
            .await
            .expect("the flood ends within 60 s");
        assert_eq!(
            items.len(),
            10_000,
            "binary={binary}: every message, then a clean end"
        );
        for (expected, item) in (0..).zip(&items) {
            let message = item.as_ref().expect("no error");
            assert_eq!(flood_index(message), expected, "binary={binary}");
            assert_eq!(matches!(message, Message::Binary(_)), binary);
        }
        let info = receiver.handle().closed().await;
        assert_eq!(
            (info.code, info.reason.as_str()),
            (CloseCode::Normal, "flood done")
        );
    }
    assert_nothing_held();
}

/// Message `i` of the mixed sequence: every third is text, the rest binary, largest first so that the
/// early `Blob` reads are the slow ones.
fn mixed(i: u32) -> Message {
    if i % 3 == 0 {
        return Message::Text(format!("text {i}"));
    }
    let mut bytes = vec![(i % 251) as u8; (300 - i as usize) * 1024];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    Message::Binary(bytes)
}

/// Conformance 52.
#[wasm_bindgen_test]
async fn mixed_text_and_blobs_keep_their_order_when_read_into_bytes() {
    let connect = ConnectOptions::new().binary_type(BinaryType::Blob);
    let stream = StreamOptions::new().blobs(BlobHandling::ToBytes);
    let socket = open_stream("/echo", &connect, &stream).await;
    let (mut sender, mut receiver) = socket.split();
    let send = async {
        for i in 0..300 {
            sender.feed(mixed(i)).await.expect("send");
        }
        sender.flush().await.expect("flush");
    };
    let receive = async {
        for i in 0..300 {
            let message = receiver.next().await.expect("a message").expect("no error");
            assert_eq!(message, mixed(i), "message {i}");
        }
    };
    within(60_000, join(send, receive))
        .await
        .expect("echoed within 60 s");
    drop((sender, receiver));
    assert_nothing_held();
}

/// Conformance 53.
#[wasm_bindgen_test]
async fn blobs_are_delivered_untouched_by_default_and_read_with_blob_to_bytes() {
    let connect = ConnectOptions::new().binary_type(BinaryType::Blob);
    let mut socket = open_stream("/echo", &connect, &StreamOptions::new()).await;
    let sent = vec![7_u8; 100_000];
    socket
        .send(Message::from(sent.clone()))
        .await
        .expect("send");
    socket.send(Message::from("after")).await.expect("send");
    let Some(Ok(Message::Blob(blob))) = socket.next().await else {
        panic!("expected a Blob");
    };
    assert_eq!(blob.size(), 100_000.0);
    assert_eq!(blob_to_bytes(&blob).await, Ok(sent));
    assert_eq!(socket.next().await, Some(Ok(Message::from("after"))));
    drop(socket);
    assert_nothing_held();
}

/// Conformance 54.
#[wasm_bindgen_test]
async fn a_64_mib_sink_flood_stays_under_the_high_water_mark_and_all_arrives() {
    const MARK: u64 = 256 << 10;
    const SIZE: usize = 64 << 10;
    const COUNT: u32 = 1024;
    let stream = StreamOptions::new().high_water_mark(MARK);
    let socket = open_stream("/echo", &ConnectOptions::new(), &stream).await;
    let handle = socket.handle();
    let (mut sender, mut receiver) = socket.split();
    let send = async {
        let (mut highest, mut above_mark) = (0, 0);
        for i in 0..COUNT {
            let mut bytes = vec![(i % 251) as u8; SIZE];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            sender.feed(Message::Binary(bytes)).await.expect("send");
            let buffered = handle.socket().buffered_amount();
            highest = highest.max(buffered);
            above_mark += u32::from(buffered > MARK);
        }
        sender.flush().await.expect("flush");
        sender.drained().await.expect("drained");
        assert_eq!(handle.socket().buffered_amount(), 0, "drained");
        (highest, above_mark)
    };
    let receive = async {
        let mut bytes = 0;
        for i in 0..COUNT {
            let message = receiver.next().await.expect("a message").expect("no error");
            assert_eq!(flood_index(&message), i);
            assert_eq!(
                message.as_bytes().map(|b| b[SIZE - 1]),
                Some((i % 251) as u8)
            );
            bytes += message.as_bytes().map_or(0, <[u8]>::len);
        }
        bytes
    };
    let ((highest, above_mark), received) = within(240_000, join(send, receive))
        .await
        .expect("64 MiB echoed within 240 s");
    assert_eq!(received, 64 << 20);
    assert!(
        highest <= MARK + SIZE as u64,
        "bufferedAmount reached {highest}, above the mark ({MARK}) plus one message ({SIZE})"
    );
    assert!(
        above_mark > 0,
        "the browser's buffer never passed the mark, so the wait was never exercised"
    );
    drop((sender, receiver));
    handle.closed().await;
    assert_nothing_held();
}

/// Sends 1 MiB: `send` returns while it is still in the browser's buffer, `drained` once it is not.
///
/// Conformance 55.
#[wasm_bindgen_test]
async fn send_returns_once_the_browser_has_the_message_and_drained_waits_for_the_network() {
    const SIZE: usize = 1 << 20;
    let socket = open_stream("/echo", &ConnectOptions::new(), &StreamOptions::new()).await;
    let handle = socket.handle();
    let (mut sender, mut receiver) = socket.split();
    sender
        .send(Message::Binary(vec![7; SIZE]))
        .await
        .expect("send");
    // Browsers lower `bufferedAmount` only in a later task, so a send that waited for the network
    // would see it at 0 here.
    let buffered = handle.socket().buffered_amount();
    assert!(
        buffered >= SIZE as u64,
        "send waited: bufferedAmount is {buffered}"
    );
    within(10_000, sender.drained())
        .await
        .expect("drained within 10 s")
        .expect("drained while open");
    assert_eq!(handle.socket().buffered_amount(), 0);
    let echo = within(10_000, receiver.next())
        .await
        .expect("echoed within 10 s");
    assert!(matches!(echo, Some(Ok(Message::Binary(bytes))) if bytes.len() == SIZE));
    drop((handle, sender, receiver));
    assert_nothing_held();
}

async fn overflow_100_of_1000(policy: Overflow) -> Vec<Result<Message, Error>> {
    let stream = StreamOptions::new()
        .receive_limit(QueueLimit::default().messages(100))
        .overflow(policy);
    let path = "/test/flood?count=1000&size=8&close=1";
    let socket = open_stream(path, &ConnectOptions::new(), &stream).await;
    let (_sender, mut receiver) = socket.split();
    receiver.handle().closed().await;
    assert_eq!(
        receiver.queued_messages(),
        100,
        "bounded while nobody reads"
    );
    drain(&mut receiver).await
}

/// Floods 1,000 numbered messages into a queue of 100 that nobody reads until the flood is over,
/// then reads everything.
///
/// Conformance 56.
#[wasm_bindgen_test]
async fn drop_newest_keeps_the_first_messages_and_reports_the_rest() {
    let items = overflow_100_of_1000(Overflow::DropNewest).await;
    assert_eq!(items.len(), 101);
    for (expected, item) in (0..100).zip(&items) {
        assert_eq!(flood_index(item.as_ref().expect("a message")), expected);
    }
    let dropped = Error::Overflow {
        dropped: 900,
        policy: Overflow::DropNewest,
    };
    assert_eq!(items[100], Err(dropped));
    assert_nothing_held();
}

/// Floods 1,000 numbered messages into a queue of 100 that nobody reads until the flood is over,
/// then reads everything.
///
/// Conformance 56.
#[wasm_bindgen_test]
async fn drop_oldest_keeps_the_last_messages_and_reports_the_rest_first() {
    let items = overflow_100_of_1000(Overflow::DropOldest).await;
    assert_eq!(items.len(), 101);
    let dropped = Error::Overflow {
        dropped: 900,
        policy: Overflow::DropOldest,
    };
    assert_eq!(items[0], Err(dropped));
    for (expected, item) in (900..).zip(&items[1..]) {
        assert_eq!(flood_index(item.as_ref().expect("a message")), expected);
    }
    assert_nothing_held();
}

/// Conformance 57.
#[wasm_bindgen_test]
async fn the_byte_bound_counts_too() {
    let stream = StreamOptions::new()
        .receive_limit(QueueLimit::default().messages(10_000).bytes(64 << 10))
        .overflow(Overflow::DropNewest);
    let path = "/test/flood?count=200&size=1024&close=1";
    let socket = open_stream(path, &ConnectOptions::new(), &stream).await;
    let (_sender, mut receiver) = socket.split();
    receiver.handle().closed().await;
    assert_eq!(
        (receiver.queued_messages(), receiver.queued_bytes()),
        (64, 64 << 10)
    );
    let items = drain(&mut receiver).await;
    assert_eq!(
        items.last(),
        Some(&Err(Error::Overflow {
            dropped: 136,
            policy: Overflow::DropNewest
        }))
    );
    drop(receiver);
    assert_nothing_held();
}

/// Conformance 58.
#[wasm_bindgen_test]
async fn by_default_a_full_queue_closes_the_socket_and_says_so() {
    let stream = StreamOptions::new().receive_limit(QueueLimit::default().messages(100));
    let socket = open_stream(
        "/test/flood?count=1000&size=8",
        &ConnectOptions::new(),
        &stream,
    )
    .await;
    let (_sender, mut receiver) = socket.split();
    let info = within(10_000, receiver.handle().closed())
        .await
        .expect("closed within 10 s");
    assert_eq!(
        (info.code, info.reason.as_str(), info.was_clean),
        (QUEUE_FULL_CODE, "receive queue full", true)
    );
    let items = drain(&mut receiver).await;
    assert_eq!(
        items.len(),
        101,
        "the queued messages, then the overflow error"
    );
    for (expected, item) in (0..100).zip(&items) {
        assert_eq!(flood_index(item.as_ref().expect("a message")), expected);
    }
    assert!(
        matches!(
            items[100],
            Err(Error::Overflow { dropped, policy: Overflow::Close }) if dropped >= 1
        ),
        "{:?}",
        items[100]
    );
    drop(receiver);
    assert_eq!(relay_connections(0).await, 0);
    assert_nothing_held();
}
