//! [`Inner`]: the reconnecting socket's state machine. Every socket handler and timer holds it weakly and
//! checks the generation of the socket it was made for, so a stale event can never act.

use core::cell::{Cell, RefCell};
use core::time::Duration;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;

use super::options::{Endpoint, HEARTBEAT_TIMEOUT_CODE, ReconnectOptions};
use super::outbox::Outbox;
use super::state::{ConnectionState, SendStatus};
use crate::close::{self, CloseCode, CloseInfo};
use crate::handlers::{HandlerList, Subscription};
use crate::listener::Listener;
use crate::timer::{Interval, Timeout};
use crate::{BinaryType, Error, JsMessage, Message, ReadyState, WebSocket};

/// Calls the user's endpoint provider before every attempt.
pub(crate) type Provider = Box<dyn FnMut() -> Endpoint>;

/// One underlying socket and the handlers that feed this machine from it.
struct Link {
    socket: WebSocket,
    _handlers: [Subscription; 4],
}

/// What the machine holds in each state; leaving a state drops its socket and timers.
enum Phase {
    /// Between two states, while a transition runs.
    Idle,
    Connecting {
        link: Link,
        timeout: Option<Timeout>,
    },
    Open {
        link: Link,
        uptime: Option<Timeout>,
        heartbeat: Option<Interval>,
    },
    Backoff {
        _timer: Timeout,
        _online: Option<Listener>,
    },
    Closed,
}

/// A notification for the user's handlers, delivered in order after the transition that caused it.
enum Notice {
    State(ConnectionState),
    Open,
    Message(JsMessage),
    Error,
    Close(CloseInfo),
    Buffered(u64),
}

pub(crate) struct Handlers {
    pub(crate) open: HandlerList<()>,
    /// Messages as the browser delivered them: each `on_message` handler copies for itself, and the
    /// socket's list is of the same type, so the handler list's code is linked once.
    pub(crate) message: HandlerList<JsMessage>,
    pub(crate) error: HandlerList<()>,
    pub(crate) close: HandlerList<CloseInfo>,
    pub(crate) state: HandlerList<ConnectionState>,
    pub(crate) buffered: HandlerList<u64>,
}

/// How often the buffered amount is read while bytes wait, for `on_buffered_amount` handlers: the browser
/// has no "drained" event.
const BUFFERED_POLL: Duration = Duration::from_millis(50);

pub(crate) struct Inner {
    me: Weak<Inner>,
    options: ReconnectOptions,
    provider: RefCell<Option<Provider>>,
    pub(crate) handlers: Handlers,
    binary_type: Cell<BinaryType>,
    phase: RefCell<Phase>,
    state: RefCell<ConnectionState>,
    attempt: Cell<u32>,
    generation: Cell<u64>,
    /// The user asked to close: the next close is final.
    stopping: Cell<bool>,
    last_heard: Cell<f64>,
    outbox: RefCell<Outbox>,
    /// The buffered amount last told to `on_buffered_amount` handlers, and the timer that reads it again.
    buffered: Cell<u64>,
    buffered_poll: RefCell<Option<Timeout>>,
    /// Set by the first `on_buffered_amount`: a socket nobody watches this way never reads the amount,
    /// and a build that never calls it leaves the watching code out.
    buffered_watch: Cell<Option<fn(&Self)>>,
    notices: RefCell<VecDeque<Notice>>,
    dispatching: Cell<bool>,
}

impl Inner {
    /// Creates the machine and starts the first attempt.
    pub(crate) fn start(options: ReconnectOptions, provider: Provider) -> Result<Rc<Self>, Error> {
        let inner = Rc::new_cyclic(|me| Self {
            me: me.clone(),
            binary_type: Cell::new(options.binary_type),
            outbox: RefCell::new(Outbox::new(options.outbox, options.outbox_overflow)),
            options,
            provider: RefCell::new(Some(provider)),
            handlers: Handlers {
                open: HandlerList::new(),
                message: HandlerList::new(),
                error: HandlerList::new(),
                close: HandlerList::new(),
                state: HandlerList::new(),
                buffered: HandlerList::new(),
            },
            phase: RefCell::new(Phase::Idle),
            state: RefCell::new(ConnectionState::Connecting { attempt: 0 }),
            attempt: Cell::new(0),
            generation: Cell::new(0),
            stopping: Cell::new(false),
            last_heard: Cell::new(0.0),
            buffered: Cell::new(0),
            buffered_poll: RefCell::new(None),
            buffered_watch: Cell::new(None),
            notices: RefCell::new(VecDeque::new()),
            dispatching: Cell::new(false),
        });
        inner.attempt_now()?;
        inner.deliver();
        Ok(inner)
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    pub(crate) fn socket(&self) -> Option<WebSocket> {
        match &*self.phase.borrow() {
            Phase::Connecting { link, .. } | Phase::Open { link, .. } => Some(link.socket.clone()),
            Phase::Idle | Phase::Backoff { .. } | Phase::Closed => None,
        }
    }

    pub(crate) fn binary_type(&self) -> BinaryType {
        self.binary_type.get()
    }

    pub(crate) fn set_binary_type(&self, binary_type: BinaryType) {
        self.binary_type.set(binary_type);
        if let Some(socket) = self.socket() {
            socket.set_binary_type(binary_type);
        }
    }

    pub(crate) fn buffered_amount(&self) -> u64 {
        self.socket().map_or(0, |socket| socket.buffered_amount())
    }

    /// From now on, tells `on_buffered_amount` handlers about each change of the buffered amount.
    pub(crate) fn watch_buffered_from_now(&self) {
        self.buffered_watch.set(Some(Self::watch_buffered));
        self.watch_buffered();
        self.deliver();
    }

    /// Tells `on_buffered_amount` handlers about a change, and reads it again later while bytes wait.
    fn watch_buffered(&self) {
        if self.handlers.buffered.is_empty() {
            return;
        }
        let now = self.buffered_amount();
        if self.buffered.replace(now) != now {
            self.push(Notice::Buffered(now));
        }
        let mut poll = self.buffered_poll.borrow_mut();
        if now == 0 {
            *poll = None;
        } else if poll.is_none() {
            let me = self.me.clone();
            *poll = Some(Timeout::new(BUFFERED_POLL, move || {
                if let Some(inner) = me.upgrade() {
                    let done = inner.buffered_poll.take();
                    inner.watch_buffered();
                    inner.deliver();
                    drop(done);
                }
            }));
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.outbox.borrow().len()
    }

    pub(crate) fn take_unsent(&self) -> Vec<Message> {
        self.outbox.borrow_mut().take_all()
    }

    pub(crate) fn send(&self, message: &Message) -> Result<SendStatus, Error> {
        if self.stopping.get() || matches!(*self.phase.borrow(), Phase::Closed) {
            return Err(Error::NotOpen {
                state: ReadyState::Closed,
            });
        }
        let open = match &*self.phase.borrow() {
            Phase::Open { link, .. } => Some(link.socket.clone()),
            _ => None,
        };
        if let Some(socket) = open {
            if self.outbox.borrow().is_empty() {
                match socket.send(message) {
                    Ok(()) => {
                        if let Some(watch) = self.buffered_watch.get() {
                            watch(self);
                            self.deliver();
                        }
                        return Ok(SendStatus::Sent);
                    }
                    // Closing: the close event is on its way, and a new socket will take it.
                    Err(Error::NotOpen { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        let dropped = self.outbox.borrow_mut().push(message)?;
        Ok(SendStatus::Queued { dropped })
    }

    pub(crate) fn close(&self, code: Option<CloseCode>, reason: &str) -> Result<(), Error> {
        if let Some(code) = code {
            close::validate(code, reason)?;
        }
        self.stopping.set(true);
        let mut phase = self.phase.borrow_mut();
        let socket = match &mut *phase {
            // The socket stays until its close event, which ends the machine; its timers go now.
            Phase::Connecting { link, timeout } => {
                *timeout = None;
                link.socket.clone()
            }
            Phase::Open {
                link,
                uptime,
                heartbeat,
            } => {
                *uptime = None;
                *heartbeat = None;
                link.socket.clone()
            }
            Phase::Backoff { .. } => {
                *phase = Phase::Closed;
                drop(phase);
                self.finish(CloseInfo {
                    code: code.unwrap_or(CloseCode::NoStatus),
                    reason: reason.to_owned(),
                    was_clean: true,
                });
                self.deliver();
                return Ok(());
            }
            Phase::Idle | Phase::Closed => return Ok(()),
        };
        drop(phase);
        match code {
            Some(code) => socket.close_with(code, reason),
            None => socket.close(),
        }
    }

    pub(crate) fn reconnect(&self) -> Result<(), Error> {
        self.stopping.set(false);
        self.attempt.set(0);
        // Dropping the old phase closes its socket with 1000 and cancels its timers.
        drop(self.phase.replace(Phase::Idle));
        let started = self.attempt_now();
        if let Err(error) = &started {
            self.finish(failed_attempt(error));
        }
        self.deliver();
        started
    }

    /// Opens the next socket, for attempt `self.attempt`.
    fn attempt_now(&self) -> Result<(), Error> {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let endpoint = self.next_endpoint()?;
        let options = endpoint.connect_options(self.binary_type.get());
        let socket = WebSocket::connect_with(&endpoint.url, &options)?;
        let link = self.link(socket);
        let timeout = self
            .options
            .connect_timeout
            .map(|delay| self.timeout(delay, Self::connect_timed_out));
        *self.phase.borrow_mut() = Phase::Connecting { link, timeout };
        self.set_state(ConnectionState::Connecting {
            attempt: self.attempt.get(),
        });
        Ok(())
    }

    fn next_endpoint(&self) -> Result<Endpoint, Error> {
        // Taken out while it runs, so a provider that calls back into the socket finds it busy, not borrowed.
        let mut provider = self.provider.take().ok_or(Error::InvalidState {
            message: "the endpoint provider called back into its own socket".to_owned(),
        })?;
        let endpoint = provider();
        *self.provider.borrow_mut() = Some(provider);
        Ok(endpoint)
    }

    fn link(&self, socket: WebSocket) -> Link {
        let (opened, failed) = (
            self.callback(|inner, ()| inner.opened()),
            self.callback(|inner, ()| inner.push(Notice::Error)),
        );
        Link {
            _handlers: [
                socket.on_open(move || opened(())),
                socket.on_js_message(self.callback(|inner, message| {
                    inner.last_heard.set(js_sys::Date::now());
                    inner.push(Notice::Message(message));
                })),
                socket.on_error(move || failed(())),
                socket.on_close(self.callback(Self::closed)),
            ],
            socket,
        }
    }

    /// A callback for the current socket generation: it runs `f` and delivers the notifications, unless the
    /// machine is gone or has moved on to another socket.
    fn callback<A>(&self, f: impl Fn(&Self, A) + 'static) -> impl Fn(A) + 'static {
        let (me, generation) = (self.me.clone(), self.generation.get());
        move |argument| {
            if let Some(inner) = me.upgrade().filter(|i| i.generation.get() == generation) {
                f(&inner, argument);
                inner.deliver();
            }
        }
    }

    fn timeout(&self, delay: Duration, f: fn(&Self)) -> Timeout {
        let callback = self.callback(move |inner, ()| f(inner));
        Timeout::new(delay, move || callback(()))
    }

    fn opened(&self) {
        let Phase::Connecting { link, .. } = self.phase.replace(Phase::Idle) else {
            return;
        };
        if self.stopping.get() {
            *self.phase.borrow_mut() = Phase::Connecting {
                link,
                timeout: None,
            };
            return;
        }
        {
            let mut outbox = self.outbox.borrow_mut();
            while let Some(message) = outbox.front() {
                if link.socket.send(message).is_err() {
                    break;
                }
                outbox.pop();
            }
        }
        self.last_heard.set(js_sys::Date::now());
        let uptime = Some(self.timeout(self.options.min_uptime, |inner| inner.attempt.set(0)));
        let heartbeat = self.options.heartbeat.as_ref().map(|heartbeat| {
            let callback = self.callback(|inner, ()| inner.heartbeat());
            Interval::new(heartbeat.interval, move || callback(()))
        });
        *self.phase.borrow_mut() = Phase::Open {
            link,
            uptime,
            heartbeat,
        };
        self.set_state(ConnectionState::Open);
        self.push(Notice::Open);
    }

    fn heartbeat(&self) {
        let Some(heartbeat) = &self.options.heartbeat else {
            return;
        };
        let now = js_sys::Date::now();
        if self.options.pause_heartbeat_when_hidden && page_is_hidden() {
            self.last_heard.set(now);
            return;
        }
        let silent = crate::backoff::from_secs((now - self.last_heard.get()) / 1000.0);
        if silent < heartbeat.timeout {
            if let Phase::Open { link, .. } = &*self.phase.borrow() {
                // A failed ping changes nothing: the close event, or the timeout, follows.
                let _ = link.socket.send(&heartbeat.message);
            }
            return;
        }
        let Phase::Open { link, .. } = self.phase.replace(Phase::Idle) else {
            return;
        };
        let reason = "heartbeat timeout";
        // The socket is abandoned: its close event would only come once the dead link times out.
        let _ = link.socket.close_with(HEARTBEAT_TIMEOUT_CODE, reason);
        drop(link);
        let info = CloseInfo {
            code: HEARTBEAT_TIMEOUT_CODE,
            reason: reason.to_owned(),
            was_clean: false,
        };
        self.push(Notice::Close(info.clone()));
        self.retry(info);
    }

    fn connect_timed_out(&self) {
        let Phase::Connecting { link, .. } = self.phase.replace(Phase::Idle) else {
            return;
        };
        // Dropping the socket closes it; its own close event is no longer listened to.
        drop(link);
        let info = CloseInfo {
            code: CloseCode::Abnormal,
            reason: "connect timeout".to_owned(),
            was_clean: false,
        };
        self.push(Notice::Close(info.clone()));
        self.retry(info);
    }

    fn closed(&self, info: CloseInfo) {
        drop(self.phase.replace(Phase::Idle));
        self.push(Notice::Close(info.clone()));
        if self.stopping.get() || !(self.options.should_reconnect)(&info) {
            self.finish(info);
        } else {
            self.retry(info);
        }
    }

    /// After a failed or lost connection: wait and try again, unless the retries are used up.
    fn retry(&self, info: CloseInfo) {
        let attempt = self.attempt.get().saturating_add(1);
        if self.stopping.get() || self.options.max_retries.is_some_and(|max| attempt > max) {
            self.finish(info);
            return;
        }
        self.attempt.set(attempt);
        let delay = self.options.backoff.delay(attempt, js_sys::Math::random());
        let timer = self.timeout(delay, Self::backoff_over);
        let online = self
            .options
            .reconnect_when_online
            .then(|| self.online_listener())
            .flatten();
        *self.phase.borrow_mut() = Phase::Backoff {
            _timer: timer,
            _online: online,
        };
        self.set_state(ConnectionState::Backoff { attempt, delay });
    }

    fn online_listener(&self) -> Option<Listener> {
        let window = web_sys::window()?;
        let callback = self.callback(|inner, _| inner.backoff_over());
        Listener::attach(window.unchecked_ref(), "online", callback).ok()
    }

    fn backoff_over(&self) {
        if !matches!(*self.phase.borrow(), Phase::Backoff { .. }) {
            return;
        }
        // Dropping the backoff phase here (inside its own timer or listener) is safe: the JS glue frees a
        // closure only after its call returns.
        drop(self.phase.replace(Phase::Idle));
        if let Err(error) = self.attempt_now() {
            let info = failed_attempt(&error);
            self.push(Notice::Close(info.clone()));
            self.retry(info);
        }
    }

    fn finish(&self, info: CloseInfo) {
        *self.phase.borrow_mut() = Phase::Closed;
        self.set_state(ConnectionState::Closed { info });
    }

    fn set_state(&self, state: ConnectionState) {
        *self.state.borrow_mut() = state.clone();
        self.push(Notice::State(state));
        if let Some(watch) = self.buffered_watch.get() {
            watch(self);
        }
    }

    fn push(&self, notice: Notice) {
        self.notices.borrow_mut().push_back(notice);
    }

    /// Runs the handlers for the queued notices, in order. Transitions only queue notices, so user code
    /// never runs in the middle of one; a handler that calls back in queues more, delivered by this loop.
    pub(crate) fn deliver(&self) {
        if self.dispatching.replace(true) {
            return;
        }
        loop {
            let next = self.notices.borrow_mut().pop_front();
            match next {
                Some(Notice::State(state)) => self.handlers.state.emit(state),
                Some(Notice::Open) => self.handlers.open.emit(()),
                Some(Notice::Message(message)) => self.handlers.message.emit(message),
                Some(Notice::Error) => self.handlers.error.emit(()),
                Some(Notice::Close(info)) => self.handlers.close.emit(info),
                Some(Notice::Buffered(amount)) => self.handlers.buffered.emit(amount),
                None => break,
            }
        }
        self.dispatching.set(false);
    }
}

/// How an attempt that failed before a socket existed (the provider gave a bad URL, say) is reported.
fn failed_attempt(error: &Error) -> CloseInfo {
    CloseInfo {
        code: CloseCode::Abnormal,
        reason: error.to_string(),
        was_clean: false,
    }
}

fn page_is_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}
