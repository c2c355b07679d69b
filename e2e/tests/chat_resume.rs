//! The chat page resumes where it stopped reading (`DUPLEX_E2E_BROWSER`): posts made while it was
//! disconnected arrive with the welcome of its rejoin (`since` in the join), each exactly once.
//!
//! Checklist:
//! - [x] the page joins a room and shows what another client (native, over tokio-tungstenite)
//!   posts there
//! - [x] the page's Disconnect button closes it with 1000 and it stays closed
//! - [x] meanwhile 200 numbered posts are made to the room by 10 native clients, 20 each (the relay
//!   allows a burst of 20 text frames per connection), each post waited for until acknowledged
//!   (the sender's own broadcast copy), so their `seq` is known
//! - [x] after Reconnect the page shows every post, the earlier ones and all 200, exactly once each
//!   and in `seq` order, none pending, and no notice that messages could not be recovered
//! - [x] no page errors

use std::time::Duration;

use duplex_chat_protocol::{ClientMessage, ErrorCode, ServerMessage};
use duplex_e2e::chat::{ChatSnapshot, ChatTab};
use duplex_e2e::relay::Relay;
use duplex_e2e::setup::Setup;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The page's nickname.
const READER: &str = "reader";
/// The client that posts while the page is connected.
const EARLY_BIRD: &str = "early-bird";
/// What it posts.
const EARLIER: [&str; 3] = ["before 1", "before 2", "before 3"];
/// Native clients posting while the page is away, and how many posts each makes.
const POSTERS: usize = 10;
const POSTS_EACH: usize = 20;
/// The longest wait for one frame from the relay.
const FRAME_LIMIT: Duration = Duration::from_secs(10);
/// How long a rate-limited post waits before it is sent again.
const RATE_PAUSE: Duration = Duration::from_millis(200);

/// One post as its sender saw it acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Posted {
    seq: u64,
    from: String,
    text: String,
}

/// A native chat client joined to a room: what a bot or a test writes with the protocol crate.
struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    nick: String,
}

impl Client {
    /// Connects to `url` and joins `room` as `nick`; returns once welcomed.
    async fn join(url: &str, room: &str, nick: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|error| panic!("{nick}: connect to {url}: {error}"));
        let mut client = Self {
            socket,
            nick: nick.to_owned(),
        };
        client
            .send(&ClientMessage::Join {
                room: room.to_owned(),
                nick: nick.to_owned(),
                session: None,
                since: None,
            })
            .await;
        loop {
            match client.next().await {
                ServerMessage::Welcome { .. } => return client,
                ServerMessage::Error { code, message, .. } => {
                    panic!("{nick}: the join was refused: {message} ({code})")
                }
                _ => {}
            }
        }
    }

    async fn send(&mut self, frame: &ClientMessage) {
        let nick = &self.nick;
        self.socket
            .send(Message::text(frame.to_json()))
            .await
            .unwrap_or_else(|error| panic!("{nick}: send {frame:?}: {error}"));
    }

    /// The next JSON frame from the relay (binary frames and pings are skipped).
    async fn next(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(FRAME_LIMIT, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("{}: no frame for {FRAME_LIMIT:?}", self.nick));
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str()).unwrap_or_else(|error| {
                        panic!("{}: unreadable frame {text}: {error}", self.nick)
                    });
                }
                Some(Ok(Message::Close(close))) => {
                    panic!("{}: the relay closed the connection: {close:?}", self.nick)
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("{}: {error}", self.nick),
                None => panic!("{}: the connection ended", self.nick),
            }
        }
    }

    /// Says `text` under `id` and waits for its acknowledgement; a rate-limited say is sent again
    /// (same id) after a pause.
    async fn say(&mut self, id: &str, text: &str) -> Posted {
        let say = ClientMessage::Say {
            id: id.to_owned(),
            text: text.to_owned(),
        };
        self.send(&say).await;
        loop {
            match self.next().await {
                ServerMessage::Message(message)
                    if message.from == self.nick && message.id == id =>
                {
                    return Posted {
                        seq: message.seq,
                        from: message.from,
                        text: message.text,
                    };
                }
                ServerMessage::Error {
                    code: ErrorCode::RateLimited,
                    ..
                } => {
                    tokio::time::sleep(RATE_PAUSE).await;
                    self.send(&say).await;
                }
                ServerMessage::Error { code, message, .. } => {
                    panic!("{}: {text:?} was refused: {message} ({code})", self.nick)
                }
                _ => {}
            }
        }
    }

    /// Closes the connection with 1000 (so it cannot fall behind on the others' posts).
    async fn leave(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Poster `index` joins and says its [`POSTS_EACH`] numbered texts, one after the other.
async fn post_numbered(url: String, room: String, index: usize) -> Vec<Posted> {
    let nick = format!("poster-{index}");
    let mut client = Client::join(&url, &room, &nick).await;
    let mut posted = Vec::with_capacity(POSTS_EACH);
    for n in 0..POSTS_EACH {
        let number = index * POSTS_EACH + n + 1;
        posted.push(
            client
                .say(&format!("{nick}-{n}"), &format!("resume {number:03}"))
                .await,
        );
    }
    client.leave().await;
    posted
}

/// The page's messages as `(from, text)`, oldest first.
fn shown(page: &ChatSnapshot) -> Vec<(String, String)> {
    page.messages
        .iter()
        .map(|m| (m.from.clone(), m.text.clone().unwrap_or_default()))
        .collect()
}

fn as_expected(page: &ChatSnapshot, expected: &[(String, String)]) -> bool {
    shown(page) == expected && page.messages.iter().all(|m| !m.pending)
}

fn says_unrecovered(page: &ChatSnapshot) -> bool {
    let unrecovered = |text: &str| text.contains("could not be recovered");
    page.system.iter().any(|line| unrecovered(line))
        || page.notice.as_deref().is_some_and(unrecovered)
}

#[tokio::test]
async fn a_page_that_was_away_shows_every_post_it_missed_once_in_order() {
    let setup = Setup::from_env().expect("the e2e environment");
    let relay = Relay::start(&setup.root).expect("start the relay");
    let url = format!("ws://{}/chat", relay.addr());
    let room = format!("resume-{}", setup.browser);
    let reader = ChatTab::open(&setup, &relay.base_url(), &room, READER)
        .await
        .expect("open the reader's page");
    reader.join().await.expect("the reader joins");

    let mut early_bird = Client::join(&url, &room, EARLY_BIRD).await;
    let mut earlier = Vec::new();
    for (n, text) in EARLIER.into_iter().enumerate() {
        earlier.push(early_bird.say(&format!("early-{n}"), text).await);
    }
    early_bird.leave().await;
    let mut expected: Vec<_> = earlier
        .iter()
        .map(|post| (post.from.clone(), post.text.clone()))
        .collect();
    reader
        .wait_until("the early bird's posts", |page| {
            as_expected(page, &expected)
        })
        .await
        .expect("the page shows the earlier posts");

    reader.disconnect().await.expect("click Disconnect");
    reader
        .wait_until("to be closed", |page| page.status_has("closed"))
        .await
        .expect("the page closes");

    let mut posters = JoinSet::new();
    for index in 0..POSTERS {
        posters.spawn(post_numbered(url.clone(), room.clone(), index));
    }
    let mut missed = Vec::new();
    while let Some(posted) = posters.join_next().await {
        missed.extend(posted.expect("a poster finished"));
    }
    missed.sort();
    assert_eq!(missed.len(), POSTERS * POSTS_EACH);
    assert!(
        missed.windows(2).all(|pair| pair[0].seq < pair[1].seq),
        "every post has its own seq"
    );
    assert!(
        missed[0].seq > earlier[earlier.len() - 1].seq,
        "the missed posts come after the ones shown"
    );
    let closed = reader.snapshot().await.expect("read the page");
    assert!(
        closed.status_has("closed") && as_expected(&closed, &expected),
        "a disconnected page shows nothing new:\n{closed}"
    );

    reader.reconnect().await.expect("click Reconnect");
    expected.extend(
        missed
            .iter()
            .map(|post| (post.from.clone(), post.text.clone())),
    );
    reader
        .wait_until("every missed post, once, in seq order", |page| {
            page.status_has("open") && as_expected(page, &expected)
        })
        .await
        .expect("the page resumes");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let page = reader.snapshot().await.expect("read the page");
    assert!(
        as_expected(&page, &expected),
        "nothing shown twice later:\n{page}"
    );
    assert!(
        !says_unrecovered(&page),
        "nothing was lost, yet the page says so:\n{page}"
    );
    assert!(page.outbox.as_deref() == Some("0"), "{page}");
    let shot = reader
        .screenshot(&format!("chat-resume-{}", setup.browser))
        .await
        .expect("a screenshot");
    eprintln!("screenshot: {}", shot.display());
    reader.finish().await.expect("no page errors");
}
