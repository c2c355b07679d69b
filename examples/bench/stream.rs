//! The async-layer client (`duplex_ws::open`, a `Stream` and a `Sink` of messages): pipelined runs split the
//! socket and feed the sender while the receiver reads; ping-pong sends and then awaits the next message.

use duplex_ws::{ConnectOptions, Error, Message, WsHandle, WsStream};
use futures_util::future::try_join;
use futures_util::{SinkExt, Stream, StreamExt};

use crate::payload::Payload;
use crate::timing::Clock;

async fn open(url: &str) -> Result<WsStream, String> {
    duplex_ws::open(url, &ConnectOptions::new())
        .await
        .map_err(|error| format!("could not open {url}: {error}"))
}

/// The next message; the stream ending or failing first is an error.
async fn next(
    messages: &mut (impl Stream<Item = Result<Message, Error>> + Unpin),
    received: u32,
) -> Result<Message, String> {
    match messages.next().await {
        Some(Ok(message)) => Ok(message),
        Some(Err(error)) => Err(format!("after {received} messages: {error}")),
        None => Err(format!("the connection closed after {received} messages")),
    }
}

fn send_failed(error: Error) -> String {
    format!("send failed: {error}")
}

/// Closes with 1000 and waits until the socket has closed.
async fn close(handle: &WsHandle) -> Result<(), String> {
    handle
        .close()
        .map_err(|error| format!("could not close: {error}"))?;
    handle.closed().await;
    Ok(())
}

/// [`pipelined`](crate::pipelined): the sender and the receiver run concurrently.
pub async fn pipelined(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<f64, String> {
    let socket = open(url).await?;
    let handle = socket.handle();
    let (mut sender, mut receiver) = socket.split();
    let expect = payload.expect();
    let t0 = clock.now();
    let send = async {
        for _ in 0..count {
            sender.feed(payload.message()).await.map_err(send_failed)?;
        }
        sender.flush().await.map_err(send_failed)
    };
    let receive = async {
        for received in 0..count {
            expect.check_message(&next(&mut receiver, received).await?)?;
        }
        Ok(clock.now())
    };
    let ((), t1) = try_join(send, receive).await?;
    close(&handle).await?;
    Ok(t1 - t0)
}

/// [`ping_pong`](crate::ping_pong): send, then await the echo.
pub async fn ping_pong(
    clock: &Clock,
    url: &str,
    payload: &Payload,
    count: u32,
) -> Result<Vec<f64>, String> {
    let mut socket = open(url).await?;
    let expect = payload.expect();
    let mut rtts = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for received in 0..count {
        let t = clock.now();
        socket.send(payload.message()).await.map_err(send_failed)?;
        expect.check_message(&next(&mut socket, received).await?)?;
        rtts.push(clock.now() - t);
    }
    close(&socket.handle()).await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): read `count` messages from the moment of connecting.
pub async fn flood(clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let mut socket = open(url).await?;
    for received in 0..count {
        next(&mut socket, received).await?;
    }
    let t1 = clock.now();
    // The relay closes once it has sent everything.
    socket.handle().closed().await;
    Ok(t1 - t0)
}
