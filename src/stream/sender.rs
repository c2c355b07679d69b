//! [`WsSender`]: the sending half, a `Sink` of messages with backpressure on the browser's buffer.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::rc::Rc;

use futures_sink::Sink;

use super::handle::WsHandle;
use super::pace::Pace;
use super::shared::Shared;
use crate::timer::Timer;
use crate::{CloseCode, Error, Message, ReadyState};

/// The sending half of a [`WsStream`](crate::WsStream): a [`Sink`] of messages.
///
/// `poll_ready` waits while the socket connects and while the browser's
/// [`bufferedAmount`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount) is above
/// the high-water mark, looking again on a timer whose interval follows the drain rate (1-64 ms); it fails
/// with [`Error::NotOpen`] once the socket is closing or closed. `start_send` hands the message to the
/// browser at once, so `poll_flush` has nothing to wait for: it fails only if the socket closed with data
/// still unsent. [`drained`](Self::drained) waits until the browser's buffer is empty. `poll_close` closes
/// with 1000 and waits for the close.
///
/// ```no_run
/// use duplex_ws::Message;
/// use futures_util::SinkExt;
///
/// # async fn example(socket: duplex_ws::WsStream) -> Result<(), duplex_ws::Error> {
/// let (mut sender, _receiver) = socket.split();
/// for i in 0..1_000 {
///     sender.feed(Message::from(format!("update {i}"))).await?;
/// }
/// sender.flush().await?;
/// sender.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct WsSender {
    shared: Rc<Shared>,
    timer: Option<Timer>,
    pace: Pace,
}

impl WsSender {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            timer: None,
            pace: Pace::default(),
        }
    }

    /// A cloneable handle to the socket.
    ///
    /// ```no_run
    /// # fn example(sender: duplex_ws::WsSender) {
    /// let handle = sender.handle();
    /// # }
    /// ```
    pub fn handle(&self) -> WsHandle {
        WsHandle::new(Rc::clone(&self.shared))
    }

    /// Waits until the browser has passed every message sent so far to the network: its
    /// [`bufferedAmount`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount) is
    /// 0. The browser has no event for that, so this looks again on the same adaptive timer as the
    /// high-water mark (1-64 ms); it is for the rare caller that must know, not for every send.
    ///
    /// ```no_run
    /// use duplex_ws::Message;
    /// use futures_util::SinkExt;
    ///
    /// # async fn example(mut sender: duplex_ws::WsSender) -> Result<(), duplex_ws::Error> {
    /// sender.send(Message::from("last words")).await?;
    /// sender.drained().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotOpen`] if the socket closed with data still in the buffer.
    pub fn drained(&mut self) -> impl Future<Output = Result<(), Error>> + '_ {
        core::future::poll_fn(move |cx| {
            if self.unsent_after_close() {
                self.stop_waiting();
                return Poll::Ready(Err(Error::NotOpen {
                    state: ReadyState::Closed,
                }));
            }
            self.poll_buffer_below(cx, 0).map(Ok)
        })
    }

    /// Whether the socket closed with data the browser never sent.
    fn unsent_after_close(&self) -> bool {
        self.shared.socket.ready_state() == ReadyState::Closed
            && self.shared.socket.buffered_amount() > 0
    }

    /// Waits until `bufferedAmount` is at most `target`, on an adaptive timer.
    fn poll_buffer_below(&mut self, cx: &mut Context<'_>, target: u64) -> Poll<()> {
        loop {
            let buffered = self.shared.socket.buffered_amount();
            if buffered <= target {
                self.timer = None;
                self.pace.reset();
                return Poll::Ready(());
            }
            if let Some(timer) = &mut self.timer {
                if Pin::new(timer).poll(cx).is_pending() {
                    // The close wakes this task too, so a closing socket is seen without waiting.
                    self.shared.writer.register(cx.waker());
                    return Poll::Pending;
                }
            }
            self.timer = Some(Timer::after_ms(self.pace.next_ms(buffered, target)));
        }
    }

    fn stop_waiting(&mut self) {
        self.timer = None;
        self.pace.reset();
    }
}

impl Sink<Message> for WsSender {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.shared.socket.ready_state() {
            ReadyState::Connecting => {
                self.shared.writer.register(cx.waker());
                Poll::Pending
            }
            state @ (ReadyState::Closing | ReadyState::Closed) => {
                self.stop_waiting();
                Poll::Ready(Err(Error::NotOpen { state }))
            }
            ReadyState::Open => {
                let target = self.shared.high_water_mark;
                if self.poll_buffer_below(cx, target).is_pending() {
                    return Poll::Pending;
                }
                Poll::Ready(Ok(()))
            }
        }
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.shared.socket.send(&message)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Waiting for `bufferedAmount` to reach 0 here would cost every `send().await` a timer tick.
        Poll::Ready(if self.unsent_after_close() {
            Err(Error::NotOpen {
                state: ReadyState::Closed,
            })
        } else {
            Ok(())
        })
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.stop_waiting();
        if let Some(info) = self.shared.close_info() {
            return Poll::Ready(if info.was_clean {
                Ok(())
            } else {
                Err(Error::Closed(info))
            });
        }
        if let Err(error) = self.shared.socket.close_with(CloseCode::Normal, "") {
            return Poll::Ready(Err(error));
        }
        self.shared.writer.register(cx.waker());
        Poll::Pending
    }
}

impl Drop for WsSender {
    fn drop(&mut self) {
        self.shared.release_half();
    }
}
