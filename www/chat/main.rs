//! The chat page (`index.html`): pick a nickname and a room, and chat, with text and images.
//!
//! It shows the crate's reconnecting socket at work: the connection panel follows its states (with the
//! backoff countdown), a dropped link or a restarted relay is survived without losing or repeating a
//! message, and received images stay `Blob`s shown through object URLs. A rejoin resumes where the page
//! stopped reading (`since`), so posts made while it was away appear too. A post the relay refuses for
//! what it is is shown failed, with Edit and Remove, and never sent again. Frames are those of
//! `duplex-chat-protocol`; the prose is docs/protocol.md.

mod ledger;
mod outgoing;
mod resume;
mod view;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use duplex_chat_protocol::{ClientMessage, ErrorCode, ImageMessage, Post, ServerMessage};
use duplex_pages::{DomListener, listen, query, servers};
use duplex_ws::{
    Backoff, BinaryType, CloseCode, CloseInfo, ConnectionState, Endpoint, Heartbeat, Message,
    ReconnectOptions, ReconnectingWebSocket, Subscription, default_should_reconnect,
};
use gloo_timers::callback::{Interval, Timeout};
use ledger::{Ledger, Pending, Refusal};
use resume::{Resume, Resumed};
use view::{Body, View};

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, Element, Event};

struct App {
    me: Weak<App>,
    view: View,
    /// The relays to try, in turn: one more after each connection that ends or fails.
    servers: Rc<[String]>,
    /// A secret per page load: the relay lets a reconnect with it take over our nickname.
    session: String,
    next_id: Cell<u64>,
    chat: RefCell<Option<Chat>>,
}

/// One joined room: the socket, its handlers, and the exactly-once bookkeeping.
struct Chat {
    socket: ReconnectingWebSocket,
    /// As the room keeps it (trimmed, in NFC): taken from each welcome, so our own posts are
    /// recognised by the nick they carry.
    nick: RefCell<String>,
    room: String,
    /// A welcome arrived on the current connection.
    joined: Cell<bool>,
    ledger: RefCell<Ledger>,
    /// Where the page stopped reading the room, for the next join's `since`.
    resume: RefCell<Resume>,
    /// Announced images whose binary frame is still to come, in order.
    images: RefCell<VecDeque<ImageMessage>>,
    /// When the current backoff ends (`Date.now()` ms), for the countdown.
    retry_at: Cell<Option<f64>>,
    /// The pause after a `rate-limited` refusal, after which unsent posts go out again.
    pause: RefCell<Option<Timeout>>,
    _handlers: Vec<Subscription>,
    _ticker: Interval,
}

thread_local! {
    static PAGE: RefCell<Option<(Rc<App>, Vec<DomListener>)>> = const { RefCell::new(None) };
}

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let location = window.location();
    let view = View::new(&document)?;
    if let Some(room) = query(&location, "room") {
        view.room.set_value(&room);
    }
    let app = Rc::new_cyclic(|me| App {
        me: me.clone(),
        view,
        servers: servers(&location, "/chat").into(),
        session: format!("{:x}", js_sys::Math::random().to_bits()),
        next_id: Cell::new(0),
        chat: RefCell::new(None),
    });
    app.view.status("closed", "");
    let listeners = vec![
        listen(&document, &app, "join-form", "submit", |app, _| app.join())?,
        listen(&document, &app, "send-form", "submit", |app, _| {
            app.send_text()
        })?,
        listen(&document, &app, "disconnect-form", "submit", |app, _| {
            app.disconnect()
        })?,
        listen(&document, &app, "reconnect", "click", |app, _| {
            app.reconnect()
        })?,
        listen(&document, &app, "image-input", "change", |app, _| {
            app.send_picked_image()
        })?,
        listen(&document, &app, "message-input", "paste", App::paste)?,
        listen(&document, &app, "messages", "click", App::message_action)?,
    ];
    PAGE.with(|page| *page.borrow_mut() = Some((app, listeners)));
    Ok(())
}

impl App {
    fn join(&self) {
        let (nick, room) = (
            self.view.nick.value().trim().to_owned(),
            self.view.room.value().trim().to_owned(),
        );
        if nick.is_empty() || room.is_empty() {
            return self.view.notice("Pick a nickname and a room.");
        }
        // Leaving the old room: dropping its socket closes it, and its handlers and timers go with it.
        drop(self.chat.take());
        self.view.clear();
        self.view.notice("");
        let servers = Rc::clone(&self.servers);
        let mut attempt = 0;
        let options = ReconnectOptions::new()
            .binary_type(BinaryType::Blob)
            .backoff(
                Backoff::default()
                    .min_delay(Duration::from_millis(250))
                    .max_delay(Duration::from_secs(5)),
            )
            .connect_timeout(Some(Duration::from_secs(5)))
            // A 1008 (too many bad requests) is safe to reconnect from here: the ledger never
            // sends a refused post again, and fails one that preceded two such closes.
            .should_reconnect(|info| {
                info.code == CloseCode::PolicyViolation || default_should_reconnect(info)
            })
            .heartbeat(Some(Heartbeat::new(
                r#"{"type":"ping"}"#,
                Duration::from_secs(15),
                Duration::from_secs(40),
            )));
        let socket = match ReconnectingWebSocket::connect_with(
            move || {
                let server = &servers[attempt % servers.len()];
                attempt += 1;
                Endpoint::new(server.clone())
            },
            options,
        ) {
            Ok(socket) => socket,
            Err(error) => return self.view.notice(&error.to_string()),
        };
        let mut hello = self.callback(|app, ()| app.hello());
        let handlers = vec![
            socket.on_open(move || hello(())),
            socket.on_message(self.callback(App::received)),
            socket.on_state(self.callback(|app, state| app.state_changed(&state))),
            socket.on_close(self.callback(|app, info| app.left(&info))),
        ];
        let me = self.me.clone();
        let ticker = Interval::new(250, move || {
            if let Some(app) = me.upgrade() {
                app.tick();
            }
        });
        self.chat.replace(Some(Chat {
            socket,
            nick: RefCell::new(nick),
            room,
            joined: Cell::new(false),
            ledger: RefCell::new(Ledger::default()),
            resume: RefCell::new(Resume::default()),
            images: RefCell::new(VecDeque::new()),
            retry_at: Cell::new(None),
            pause: RefCell::new(None),
            _handlers: handlers,
            _ticker: ticker,
        }));
        self.state_changed(&ConnectionState::Connecting { attempt: 0 });
    }

    /// A socket handler that reaches the page without keeping it alive.
    fn callback<T>(&self, f: impl Fn(&App, T) + 'static) -> impl FnMut(T) + 'static {
        let me = self.me.clone();
        move |value| {
            if let Some(app) = me.upgrade() {
                f(&app, value);
            }
        }
    }

    /// Every new connection starts by joining, from where the last one stopped reading.
    fn hello(&self) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        chat.joined.set(false);
        // An image whose bytes never came was not shown: the join asks for it again.
        let waiting = chat.images.borrow().front().map(|image| image.seq);
        chat.images.borrow_mut().clear();
        let join = ClientMessage::Join {
            room: chat.room.clone(),
            nick: chat.nick.borrow().clone(),
            session: Some(self.session.clone()),
            since: chat.resume.borrow_mut().rejoin(waiting),
        };
        self.transmit(chat, &[join], None);
    }

    /// A connection ended. Closed with 1008, the posts it carried unanswered may be what the relay
    /// objected to: one that was on two such connections is failed, not sent a third time.
    fn left(&self, info: &CloseInfo) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        chat.joined.set(false);
        if info.code == CloseCode::PolicyViolation {
            for (id, reason) in chat.ledger.borrow_mut().closed_by_policy() {
                self.view.failed(&id, &reason);
            }
            self.view.notice(&format!(
                "The relay closed the connection ({info}); reconnecting. Refused messages are \
                 not sent again: edit or remove them."
            ));
        }
    }

    fn received(&self, message: Message) {
        match message {
            Message::Text(text) => match Message::Text(text).decode_json::<ServerMessage>() {
                Ok(incoming) => self.incoming(incoming),
                Err(error) => self.view.notice(&format!("The relay sent {error}")),
            },
            Message::Blob(blob) => self.image_bytes(&blob),
            Message::Binary(bytes) => {
                // Only with another binary type; shown the same way.
                if let Ok(blob) = blob_of(&bytes) {
                    self.image_bytes(&blob);
                }
            }
        }
    }

    fn incoming(&self, incoming: ServerMessage) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        match incoming {
            ServerMessage::Welcome {
                nick,
                members,
                epoch,
                seq,
                history,
                complete,
                ..
            } => {
                chat.nick.replace(nick);
                self.view.set_members(members);
                let first = history.first().map(Post::seq);
                let resumed = chat
                    .resume
                    .borrow_mut()
                    .welcome(&epoch, seq, first, complete);
                self.resumed(resumed);
                self.welcomed(chat, history);
            }
            ServerMessage::Message(message) => self.post(chat, Post::Message(message)),
            ServerMessage::Image(image) => self.post(chat, Post::Image(image)),
            ServerMessage::Joined { nick } => self.view.member(&nick, true),
            ServerMessage::Left { nick } => self.view.member(&nick, false),
            ServerMessage::Error { code, message, id } => {
                self.refused(chat, code, &message, id.as_deref());
            }
            ServerMessage::Pong | ServerMessage::Unknown => {}
        }
        self.tick();
    }

    /// Says on the page what a welcome meant for the messages it already shows.
    fn resumed(&self, resumed: Resumed) {
        if resumed.reset {
            self.view.system(
                "This room's history was reset on the relay; \
                 older messages above belong to the old history.",
            );
        }
        match resumed.missed {
            Some(1) => self
                .view
                .system("1 message posted while you were away could not be recovered."),
            Some(missed) if missed > 1 => self.view.system(&format!(
                "{missed} messages posted while you were away could not be recovered."
            )),
            _ => {}
        }
    }

    /// The room is joined: its history (every post missed, when resuming), then our unacknowledged
    /// messages, sent again oldest first.
    fn welcomed(&self, chat: &Chat, history: Vec<Post>) {
        for post in history {
            self.post(chat, post);
        }
        chat.joined.set(true);
        self.view.notice("");
        drop(chat.pause.take());
        self.send_outgoing(chat, true);
    }

    /// An `error` frame. About a post of ours: one refused for the moment stays in the outbox
    /// (sent again after a pause, or after the next join), one refused for what it is is marked
    /// failed and never sent again.
    fn refused(&self, chat: &Chat, code: ErrorCode, message: &str, id: Option<&str>) {
        let refusal = id.map_or(Refusal::Unknown, |id| {
            chat.ledger.borrow_mut().refused(id, code, message)
        });
        match (refusal, id) {
            (Refusal::Failed(reason), Some(id)) => {
                self.view.failed(id, &reason);
                self.view
                    .notice("The relay refused a message: edit it or remove it.");
            }
            (Refusal::Retry { pause: true }, _) => {
                self.pause_sending(chat);
                self.view.notice(
                    "Sending too fast: the message stays in the outbox and goes out again in a \
                     moment.",
                );
            }
            (Refusal::Retry { .. }, _) if code == ErrorCode::Unavailable => self.view.notice(
                "The relay could not store a message; it stays in the outbox and is sent again \
                 after the next join.",
            ),
            (Refusal::Retry { .. }, _) => {}
            _ => self.view.notice(&format!("{message} ({code})")),
        }
    }

    /// Holds new sends for a second, then sends every unsent post.
    fn pause_sending(&self, chat: &Chat) {
        if chat.pause.borrow().is_some() {
            return;
        }
        let me = self.me.clone();
        let timeout = Timeout::new(1000, move || {
            if let Some(app) = me.upgrade() {
                app.resume_sending();
            }
        });
        chat.pause.replace(Some(timeout));
    }

    fn resume_sending(&self) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        drop(chat.pause.take());
        self.send_outgoing(chat, false);
        self.tick();
    }

    /// Sends the posts still waiting, oldest first, unless not joined or pausing: after a join
    /// (`all`) every one, else those not yet on the current connection.
    pub(crate) fn send_outgoing(&self, chat: &Chat, all: bool) {
        if !chat.joined.get() || chat.pause.borrow().is_some() {
            return;
        }
        let posts = chat.ledger.borrow_mut().outgoing(all);
        for post in &posts {
            self.send_pending(chat, post);
        }
    }

    /// A click in the message list: a failed post's Edit or Remove button.
    fn message_action(&self, event: Event) {
        let Some(button) = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok())
            .and_then(|element| element.closest("button[data-action]").ok().flatten())
        else {
            return;
        };
        let (Some(action), Some(id)) = (
            button.get_attribute("data-action"),
            button.get_attribute("data-id"),
        ) else {
            return;
        };
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        let Some(post) = chat.ledger.borrow_mut().remove(&id) else {
            return;
        };
        self.view.remove(&id);
        if let (Pending::Say { text, .. }, "edit") = (post, action.as_str()) {
            self.view.edit(&text);
        }
        self.view.notice("");
        self.tick();
    }

    /// A broadcast post: a text is shown (once, whatever the reconnects), an image waits for its bytes.
    fn post(&self, chat: &Chat, post: Post) {
        chat.resume.borrow_mut().saw(post.seq());
        match post {
            Post::Message(message) => {
                let arrival = chat.ledger.borrow_mut().arrived(
                    &chat.nick.borrow(),
                    &message.from,
                    &message.id,
                );
                if arrival.acknowledged {
                    self.view.acknowledged(&message.id, message.ts);
                } else if arrival.new {
                    self.view
                        .message(&message.from, message.ts, Body::Text(&message.text));
                }
            }
            Post::Image(image) => chat.images.borrow_mut().push_back(image),
        }
    }

    fn image_bytes(&self, blob: &Blob) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        let Some(image) = chat.images.borrow_mut().pop_front() else {
            return self
                .view
                .notice("The relay sent an image nobody announced.");
        };
        let arrival = chat
            .ledger
            .borrow_mut()
            .arrived(&chat.nick.borrow(), &image.from, &image.id);
        if arrival.acknowledged {
            self.view.acknowledged(&image.id, image.ts);
        } else if arrival.new {
            self.view.message(&image.from, image.ts, Body::Image(blob));
        }
        self.tick();
    }

    fn disconnect(&self) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else { return };
        let code = self.view.close_code.value().trim().parse::<u16>();
        let Ok(code) = code else {
            return self
                .view
                .notice("The close code must be a number: 1000 or 3000-4999.");
        };
        if let Err(error) = chat
            .socket
            .close_with(code, &self.view.close_reason.value())
        {
            self.view.notice(&error.to_string());
        }
    }

    fn reconnect(&self) {
        let chat = self.chat.borrow();
        match chat.as_ref() {
            Some(chat) => {
                if let Err(error) = chat.socket.reconnect() {
                    self.view.notice(&error.to_string());
                }
            }
            None => self.view.notice("Join a room first."),
        }
    }

    fn state_changed(&self, state: &ConnectionState) {
        if let Some(chat) = self.chat.borrow().as_ref() {
            chat.retry_at.set(match state {
                ConnectionState::Backoff { delay, .. } => {
                    Some(js_sys::Date::now() + delay.as_secs_f64() * 1000.0)
                }
                _ => None,
            });
        }
        self.tick();
    }

    /// Refreshes the connection panel: state (with the countdown), outbox, buffered amount.
    fn tick(&self) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else {
            return self.view.status("closed", "");
        };
        let socket = chat.socket.socket();
        match chat.socket.state() {
            ConnectionState::Connecting { attempt: 0 } => self.view.status("connecting", ""),
            ConnectionState::Connecting { attempt } => {
                self.view
                    .status("reconnecting", &format!("(attempt {attempt})"));
            }
            ConnectionState::Open => {
                let state = socket.as_ref().map_or("open", |s| s.ready_state().as_str());
                let detail = if chat.joined.get() {
                    format!("· {} in {}", chat.nick.borrow(), chat.room)
                } else {
                    "· joining".to_owned()
                };
                self.view.status(state, &detail);
            }
            ConnectionState::Backoff { attempt, .. } => {
                let left = chat
                    .retry_at
                    .get()
                    .map_or(0.0, |at| (at - js_sys::Date::now()).max(0.0) / 1000.0);
                self.view.status(
                    "reconnecting",
                    &format!("in {left:.1} s (attempt {attempt})"),
                );
            }
            ConnectionState::Closed { info } => self.view.status("closed", &format!("({info})")),
        }
        let buffered = socket.map_or(0, |s| s.buffered_amount());
        self.view
            .counters(chat.ledger.borrow().pending_count(), buffered);
    }
}

/// Bytes as a Blob, to show like a received one.
fn blob_of(bytes: &[u8]) -> Result<Blob, JsValue> {
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&array)
}
