//! [`WsHandle`]: a cloneable view of an async socket that can close it and await its close.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::rc::Rc;

use super::shared::Shared;
use crate::{CloseCode, CloseInfo, Error, ReadyState, WebSocket};

/// A cloneable handle to a [`WsStream`](crate::WsStream): reads its state, closes it and awaits the close,
/// also after [`split`](crate::WsStream::split).
///
/// A handle keeps the socket's events flowing, so [`closed`](Self::closed) resolves even after the stream
/// and both halves were dropped (which closes the socket with 1000).
///
/// ```no_run
/// # async fn example(socket: duplex_ws::WsStream) -> Result<(), duplex_ws::Error> {
/// let handle = socket.handle();
/// let (sender, receiver) = socket.split();
/// handle.close_with(4000, "done")?;
/// let info = handle.closed().await;
/// assert_eq!(u16::from(info.code), 4000);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WsHandle {
    shared: Rc<Shared>,
}

impl WsHandle {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self { shared }
    }

    /// The callback-layer socket underneath.
    ///
    /// ```no_run
    /// # fn example(handle: duplex_ws::WsHandle) {
    /// let url = handle.socket().url();
    /// # }
    /// ```
    pub fn socket(&self) -> &WebSocket {
        &self.shared.socket
    }

    /// The connection's state.
    /// See [`WebSocket.readyState` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/readyState).
    ///
    /// ```no_run
    /// # fn example(handle: duplex_ws::WsHandle) {
    /// if handle.ready_state() == duplex_ws::ReadyState::Open { /* ... */ }
    /// # }
    /// ```
    pub fn ready_state(&self) -> ReadyState {
        self.shared.socket.ready_state()
    }

    /// How the connection ended, once it has.
    ///
    /// ```no_run
    /// # fn example(handle: duplex_ws::WsHandle) {
    /// if let Some(info) = handle.close_info() {
    ///     web_sys::console::log_1(&info.to_string().into());
    /// }
    /// # }
    /// ```
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.shared.close_info()
    }

    /// Starts the closing handshake with 1000 and no reason; a no-op once closing.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::Js`] if the browser throws, which the standard does not allow.
    ///
    /// ```no_run
    /// # fn example(handle: duplex_ws::WsHandle) -> Result<(), duplex_ws::Error> {
    /// handle.close()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.close_with(CloseCode::Normal, "")
    }

    /// Starts the closing handshake with `code` and `reason`; a no-op once closing.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// As [`WebSocket::close_with`].
    ///
    /// ```no_run
    /// # fn example(handle: duplex_ws::WsHandle) -> Result<(), duplex_ws::Error> {
    /// handle.close_with(duplex_ws::CloseCode::Private(4001), "logged out")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        self.shared.socket.close_with(code, reason)
    }

    /// Resolves with the close information once the connection has closed, whether it was closed by either
    /// side, failed, or was dropped; at once if it already has. Every call sees the same information.
    ///
    /// ```no_run
    /// # async fn example(handle: duplex_ws::WsHandle) {
    /// let info = handle.closed().await;
    /// if !info.was_clean {
    ///     web_sys::console::warn_1(&info.to_string().into());
    /// }
    /// # }
    /// ```
    pub fn closed(&self) -> Closed {
        Closed {
            shared: Rc::clone(&self.shared),
        }
    }
}

/// The future of [`WsHandle::closed`]: the close information.
///
/// ```no_run
/// # async fn example(handle: duplex_ws::WsHandle) {
/// let closed: duplex_ws::Closed = handle.closed();
/// let info = closed.await;
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a Closed future does nothing unless awaited"]
pub struct Closed {
    shared: Rc<Shared>,
}

impl Future for Closed {
    type Output = CloseInfo;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CloseInfo> {
        match self.shared.close_info() {
            Some(info) => Poll::Ready(info),
            None => {
                self.shared.wait_for_close(cx.waker());
                Poll::Pending
            }
        }
    }
}
