//! The async-layer client (`duplex_ws::open`, a `Stream` and a `Sink` of messages): pipelined runs split the
//! socket and feed the sender while the receiver reads; ping-pong sends and then awaits the next message.

use duplex_ws::{ConnectOptions, WsHandle, WsStream};

use crate::loops;
use crate::payload::Payload;
use crate::timing::Clock;

async fn open(url: &str) -> Result<WsStream, String> {
    duplex_ws::open(url, &ConnectOptions::new())
        .await
        .map_err(|error| format!("could not open {url}: {error}"))
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
    let elapsed = loops::pipelined(
        clock,
        &mut sender,
        &mut receiver,
        count,
        || payload.message(),
        |message| expect.check_message(message),
    )
    .await?;
    close(&handle).await?;
    Ok(elapsed)
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
    let rtts = loops::ping_pong(
        clock,
        &mut socket,
        count,
        || payload.message(),
        |message| expect.check_message(message),
    )
    .await?;
    close(&socket.handle()).await?;
    Ok(rtts)
}

/// [`flood`](crate::flood): read `count` messages from the moment of connecting.
pub async fn flood(clock: &Clock, url: &str, count: u32) -> Result<f64, String> {
    let t0 = clock.now();
    let mut socket = open(url).await?;
    let elapsed = loops::flood(clock, t0, &mut socket, count).await?;
    // The relay closes once it has sent everything.
    socket.handle().closed().await;
    Ok(elapsed)
}
