//! The timed loops of the two `Stream` + `Sink` clients, duplex-ws's async layer and gloo-net, written once so
//! that both are measured by the same code: only their messages and their sockets differ.

use core::fmt::Display;

use futures_util::future::try_join;
use futures_util::{Sink, SinkExt, Stream, StreamExt};

use crate::timing::Clock;

/// The next message; the stream ending or failing first is an error.
pub async fn next<M, E: Display>(
    messages: &mut (impl Stream<Item = Result<M, E>> + Unpin),
    received: u32,
) -> Result<M, String> {
    match messages.next().await {
        Some(Ok(message)) => Ok(message),
        Some(Err(error)) => Err(format!("after {received} messages: {error}")),
        None => Err(format!("the connection closed after {received} messages")),
    }
}

/// Feeds `count` messages made by `make` into `sink` while `stream` is read and each echo `check`ed;
/// returns the milliseconds from the start to the last echo.
pub async fn pipelined<M, E: Display>(
    clock: &Clock,
    sink: &mut (impl Sink<M, Error = E> + Unpin),
    stream: &mut (impl Stream<Item = Result<M, E>> + Unpin),
    count: u32,
    make: impl Fn() -> M,
    check: impl Fn(&M) -> Result<(), String>,
) -> Result<f64, String> {
    let t0 = clock.now();
    let send = async {
        for _ in 0..count {
            sink.feed(make()).await.map_err(send_failed)?;
        }
        sink.flush().await.map_err(send_failed)
    };
    let receive = async {
        for received in 0..count {
            check(&next(stream, received).await?)?;
        }
        Ok(clock.now())
    };
    let ((), t1) = try_join(send, receive).await?;
    Ok(t1 - t0)
}

/// Sends one message made by `make` and awaits its echo, `count` times; returns each round trip in
/// milliseconds.
pub async fn ping_pong<M, E: Display>(
    clock: &Clock,
    socket: &mut (impl Sink<M, Error = E> + Stream<Item = Result<M, E>> + Unpin),
    count: u32,
    make: impl Fn() -> M,
    check: impl Fn(&M) -> Result<(), String>,
) -> Result<Vec<f64>, String> {
    let mut rtts = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for received in 0..count {
        let t = clock.now();
        socket.send(make()).await.map_err(send_failed)?;
        check(&next(socket, received).await?)?;
        rtts.push(clock.now() - t);
    }
    Ok(rtts)
}

/// Reads `count` messages; returns the milliseconds from `t0` to the last.
pub async fn flood<M, E: Display>(
    clock: &Clock,
    t0: f64,
    stream: &mut (impl Stream<Item = Result<M, E>> + Unpin),
    count: u32,
) -> Result<f64, String> {
    for received in 0..count {
        next(stream, received).await?;
    }
    Ok(clock.now() - t0)
}

fn send_failed(error: impl Display) -> String {
    format!("send failed: {error}")
}
