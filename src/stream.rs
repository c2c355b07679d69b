//! The async layer, built on [`WebSocket`]: [`open`], [`WsStream`] (a `Stream` and a `Sink` of messages),
//! [`WsStream::split`], [`WsHandle::closed`], with a bounded receive queue and send backpressure.

mod handle;
mod options;
mod pace;
mod queue;
mod receiver;
mod sender;
mod shared;

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::rc::Rc;

use futures_core::{FusedStream, Stream};
use futures_sink::Sink;

use crate::{CloseCode, ConnectOptions, Error, Message, ReadyState, WebSocket};
pub use handle::{Closed, WsHandle};
pub use options::{BlobHandling, Overflow, QueueLimit, StreamOptions};
pub use receiver::WsReceiver;
pub use sender::WsSender;
use shared::Shared;

/// The code [`Overflow::Close`] closes with when the receive queue is full: 4009, in the private range
/// (a script may not send 1009, "message too big").
///
/// ```
/// assert_eq!(u16::from(duplex_ws::QUEUE_FULL_CODE), 4009);
/// ```
pub const QUEUE_FULL_CODE: CloseCode = CloseCode::Private(4009);

/// Opens a socket to `url` and resolves once it is open, with the default [`StreamOptions`].
///
/// Dropping the future before it resolves closes the socket and releases everything it holds: no handler
/// runs afterwards. See [`WebSocket()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/WebSocket).
///
/// # Errors
/// Those of [`WebSocket::connect_with`] (a bad URL or protocol, at once), and [`Error::Closed`] with the
/// close information when the connection closes before it opens (code 1006, not clean, for a refused or
/// failed connection).
///
/// ```no_run
/// use duplex_ws::ConnectOptions;
/// use futures_util::{SinkExt, StreamExt};
///
/// # async fn example() -> Result<(), duplex_ws::Error> {
/// let mut socket = duplex_ws::open("wss://example.com/echo", &ConnectOptions::new()).await?;
/// socket.send("hello".into()).await?;
/// while let Some(message) = socket.next().await {
///     web_sys::console::log_1(&format!("{:?}", message?).into());
/// }
/// # Ok(())
/// # }
/// ```
pub fn open(url: &str, options: &ConnectOptions) -> Opening {
    open_with(url, options, &StreamOptions::default())
}

/// Opens a socket to `url` with the async layer set up by `stream`, and resolves once it is open.
///
/// # Errors
/// As [`open`].
///
/// ```no_run
/// use duplex_ws::{ConnectOptions, Overflow, StreamOptions};
///
/// # async fn example() -> Result<(), duplex_ws::Error> {
/// let stream = StreamOptions::new().overflow(Overflow::DropOldest).high_water_mark(256 << 10);
/// let socket = duplex_ws::open_with("wss://example.com/feed", &ConnectOptions::new(), &stream).await?;
/// # Ok(())
/// # }
/// ```
pub fn open_with(url: &str, options: &ConnectOptions, stream: &StreamOptions) -> Opening {
    Opening {
        stream: Some(
            WebSocket::connect_with(url, options).map(|socket| WsStream::new(socket, stream)),
        ),
    }
}

/// The future of [`open`]: the stream, once the socket is open.
///
/// It does not borrow its arguments, so it can be stored or spawned. Dropping it closes the socket.
///
/// ```no_run
/// # async fn example() -> Result<(), duplex_ws::Error> {
/// let opening: duplex_ws::Opening = duplex_ws::open("wss://example.com/echo", &Default::default());
/// let socket = opening.await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "an Opening closes its socket when dropped; await it"]
#[derive(Debug)]
pub struct Opening {
    stream: Option<Result<WsStream, Error>>,
}

impl Future for Opening {
    type Output = Result<WsStream, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let stream = match self.stream.take() {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => return Poll::Ready(Err(error)),
            // Polled after it resolved.
            None => return Poll::Pending,
        };
        let shared = &stream.receiver.shared;
        if let Some(info) = shared.close_info() {
            return Poll::Ready(Err(Error::Closed(info)));
        }
        if shared.socket.ready_state() == ReadyState::Open {
            return Poll::Ready(Ok(stream));
        }
        shared.writer.register(cx.waker());
        self.stream = Some(Ok(stream));
        Poll::Pending
    }
}

/// An async WebSocket: a [`Stream`] of received messages and a [`Sink`] of messages to send.
///
/// - **Receiving.** Messages wait in a queue bounded by [`QueueLimit`]; when it is full,
///   [`Overflow`] decides (by default the socket closes with [`QUEUE_FULL_CODE`]). A clean close ends the
///   stream with `None`; an unclean one (the handshake did not complete, as with 1006) yields one
///   [`Error::Closed`] with the close information first. The close code of a clean close is in
///   [`WsHandle::close_info`].
/// - **Sending.** `poll_ready` waits while the socket is connecting and while the browser's
///   `bufferedAmount` is above the high-water mark, and fails with [`Error::NotOpen`] once the socket is
///   closing or closed, so no send is lost silently. A message goes to the browser as soon as it is
///   sent, so `send().await` costs no wait beyond the high-water mark, and `poll_flush` has nothing to
///   wait for; [`WsSender::drained`] waits until the browser's buffer is empty. `poll_close` closes with
///   1000 and waits for the close.
/// - **Ownership.** [`split`](Self::split) gives a [`WsSender`] and a [`WsReceiver`] that can move to
///   different tasks; [`handle`](Self::handle) gives a cloneable [`WsHandle`] that can still close the socket
///   and await [`closed`](WsHandle::closed). When the stream (or both halves) is dropped the socket closes
///   with 1000.
///
/// ```no_run
/// use duplex_ws::{ConnectOptions, Message};
/// use futures_util::{SinkExt, StreamExt};
///
/// # async fn example() -> Result<(), duplex_ws::Error> {
/// let socket = duplex_ws::open("wss://example.com/echo", &ConnectOptions::new()).await?;
/// let handle = socket.handle();
/// let (mut sender, mut receiver) = socket.split();
/// sender.send(Message::from("ping")).await?;
/// if let Some(reply) = receiver.next().await {
///     web_sys::console::log_1(&format!("{:?}", reply?).into());
/// }
/// handle.close()?;
/// let info = handle.closed().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct WsStream {
    sender: WsSender,
    receiver: WsReceiver,
}

impl WsStream {
    /// Builds the async layer on a callback-layer socket, in any state. Messages it delivered before this call
    /// are not seen; its binary type decides whether binary messages arrive as bytes or `Blob`s.
    ///
    /// ```no_run
    /// use duplex_ws::{StreamOptions, WebSocket, WsStream};
    ///
    /// let socket = WebSocket::connect("wss://example.com/echo")?;
    /// let stream = WsStream::new(socket, &StreamOptions::new());
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn new(socket: WebSocket, options: &StreamOptions) -> Self {
        let shared = Shared::attach(socket, options);
        Self {
            sender: WsSender::new(Rc::clone(&shared)),
            receiver: WsReceiver::new(shared),
        }
    }

    /// Splits into a sender and a receiver, for use in different tasks.
    ///
    /// ```no_run
    /// # async fn example(socket: duplex_ws::WsStream) {
    /// let (sender, receiver) = socket.split();
    /// # }
    /// ```
    pub fn split(self) -> (WsSender, WsReceiver) {
        (self.sender, self.receiver)
    }

    /// A cloneable handle that reads the state, closes, and awaits the close, also after a split.
    ///
    /// ```no_run
    /// # async fn example(socket: duplex_ws::WsStream) {
    /// let handle = socket.handle();
    /// let state = handle.ready_state();
    /// # }
    /// ```
    pub fn handle(&self) -> WsHandle {
        self.receiver.handle()
    }

    /// The callback-layer socket underneath, for its URL, protocol or raw socket.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::WsStream) {
    /// let protocol = socket.socket().protocol();
    /// # }
    /// ```
    pub fn socket(&self) -> &WebSocket {
        &self.receiver.shared.socket
    }
}

impl Stream for WsStream {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }
}

impl FusedStream for WsStream {
    fn is_terminated(&self) -> bool {
        self.receiver.is_terminated()
    }
}

impl Sink<Message> for WsStream {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.sender).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_close(cx)
    }
}
