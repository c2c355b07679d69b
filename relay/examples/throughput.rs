//! The chat rooms' throughput, measured from outside over real sockets: `cargo xtask bench`
//! runs it against the in-memory relay of before durable rooms, the SQLite relay and the Redis
//! relay, with the same load.
//!
//! `throughput WS_URL [RUNS]`: in each run, 20 listeners and 50 posters join a fresh room; then
//! every poster sends 19 posts (the rate limit's burst, less the join), each once the one before
//! is acknowledged, and every listener reads until it has every post. With one post in flight per
//! poster, at most 50 are on their way at once, well under a member's queue of 256 frames, so a
//! run measures the relay and not its slow-member policy (a burst of all 950 at once got the
//! in-memory relay's members closed as too slow). It prints one line per run:
//! `posts <n> listeners <n> seconds <s> posts_per_s <x> deliveries_per_s <y>`, where a delivery
//! is one post reaching one listener.
//!
//! Frames are read as loose JSON (only `type`, `from` and `id`), so the older relay, whose
//! welcome has fewer fields, is measured by the same client.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const LISTENERS: usize = 20;
const POSTERS: usize = 50;
const POSTS_EACH: usize = 19;
/// The longest wait for one frame: a run that stalls fails instead of hanging.
const FRAME_LIMIT: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: throughput WS_URL [RUNS]".to_owned())?;
    let runs: usize = args
        .next()
        .map_or(Ok(3), |runs| runs.parse())
        .map_err(|error| format!("RUNS: {error}"))?;
    for run in 0..runs {
        let room = format!("bench-{}-{run}", std::process::id());
        let seconds = measure(&url, &room).await?;
        let posts = POSTERS * POSTS_EACH;
        println!(
            "posts {posts} listeners {LISTENERS} seconds {seconds:.4} posts_per_s {:.1} deliveries_per_s {:.1}",
            posts as f64 / seconds,
            (posts * LISTENERS) as f64 / seconds
        );
    }
    Ok(())
}

/// One run in `room`: the seconds from the first post sent to the last post received.
async fn measure(url: &str, room: &str) -> Result<f64, String> {
    let mut listeners = Vec::new();
    for n in 0..LISTENERS {
        listeners.push(join(url, room, &format!("listener-{n}")).await?);
    }
    let mut posters = Vec::new();
    for n in 0..POSTERS {
        posters.push(join(url, room, &format!("poster-{n}")).await?);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (n, socket) in posters.into_iter().enumerate() {
        tasks.spawn(post(socket, format!("poster-{n}")));
    }
    for socket in listeners {
        tasks.spawn(listen(socket));
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|error| error.to_string())??;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn join(url: &str, room: &str, nick: &str) -> Result<Socket, String> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|error| format!("{nick}: connect: {error}"))?;
    let join = json!({"type": "join", "room": room, "nick": nick});
    send(&mut socket, &join).await?;
    loop {
        let frame = next(&mut socket).await?;
        match frame["type"].as_str() {
            Some("welcome") => return Ok(socket),
            Some("error") => return Err(format!("{nick}: join refused: {frame}")),
            _ => {}
        }
    }
}

/// Sends each post once the one before it is acknowledged.
async fn post(mut socket: Socket, nick: String) -> Result<(), String> {
    for n in 0..POSTS_EACH {
        let id = format!("m{n}");
        let say = json!({"type": "say", "id": id, "text": format!("{nick} {n}")});
        send(&mut socket, &say).await?;
        loop {
            let frame = next(&mut socket).await?;
            match frame["type"].as_str() {
                Some("message") if frame["from"] == nick.as_str() && frame["id"] == id.as_str() => {
                    break;
                }
                Some("error") => return Err(format!("{nick}: {frame}")),
                _ => {}
            }
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

/// Reads until every post of the run has arrived.
async fn listen(mut socket: Socket) -> Result<(), String> {
    let mut received = 0;
    while received < POSTERS * POSTS_EACH {
        if next(&mut socket).await?["type"] == "message" {
            received += 1;
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

async fn send(socket: &mut Socket, frame: &Value) -> Result<(), String> {
    socket
        .send(Message::text(frame.to_string()))
        .await
        .map_err(|error| format!("send: {error}"))
}

/// The next text frame as JSON; binary frames and pings are skipped.
async fn next(socket: &mut Socket) -> Result<Value, String> {
    loop {
        let frame = tokio::time::timeout(FRAME_LIMIT, socket.next())
            .await
            .map_err(|_| format!("no frame for {FRAME_LIMIT:?}"))?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map_err(|error| format!("unreadable frame {text}: {error}"));
            }
            Some(Ok(Message::Close(close))) => return Err(format!("closed: {close:?}")),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("the connection ended".to_owned()),
        }
    }
}
