//! [`WsReceiver`]: the receiving half, a `Stream` of messages read from the bounded queue.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::rc::Rc;

use futures_core::{FusedStream, Stream};

use super::handle::WsHandle;
use super::queue::Slot;
use super::shared::{Entry, Shared};
use crate::{Error, Message};

/// The receiving half of a [`WsStream`](crate::WsStream): a [`Stream`] of messages in arrival order.
///
/// It ends with `None` after a clean close, or yields one [`Error::Closed`] and then `None` after an unclean
/// one. Where the receive queue dropped messages ([`Overflow`](crate::Overflow)) it yields one
/// [`Error::Overflow`] with their number. Dropping the receiver discards what is queued and stops queueing.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn example(socket: duplex_ws::WsStream) {
/// let (_sender, mut receiver) = socket.split();
/// while let Some(message) = receiver.next().await {
///     match message {
///         Ok(message) => web_sys::console::log_1(&format!("{message:?}").into()),
///         Err(error) => web_sys::console::warn_1(&error.to_string().into()),
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct WsReceiver {
    pub(crate) shared: Rc<Shared>,
    ended: bool,
}

impl WsReceiver {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            ended: false,
        }
    }

    /// A cloneable handle to the socket.
    ///
    /// ```no_run
    /// # fn example(receiver: duplex_ws::WsReceiver) {
    /// let handle = receiver.handle();
    /// # }
    /// ```
    pub fn handle(&self) -> WsHandle {
        WsHandle::new(Rc::clone(&self.shared))
    }

    /// How many messages wait in the receive queue.
    ///
    /// ```no_run
    /// # fn example(receiver: duplex_ws::WsReceiver) {
    /// let waiting = receiver.queued_messages();
    /// # }
    /// ```
    pub fn queued_messages(&self) -> usize {
        self.shared.queue.borrow().len()
    }

    /// How many bytes of messages wait in the receive queue.
    ///
    /// ```no_run
    /// # fn example(receiver: duplex_ws::WsReceiver) {
    /// let waiting = receiver.queued_bytes();
    /// # }
    /// ```
    pub fn queued_bytes(&self) -> u64 {
        self.shared.queue.borrow().bytes()
    }

    fn poll_queue(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        let mut queue = self.shared.queue.borrow_mut();
        if let Some(Slot::Item {
            item: Entry::Reading(reading),
            ..
        }) = queue.front_mut()
        {
            let read = match Pin::new(reading).poll(cx) {
                Poll::Ready(read) => read,
                Poll::Pending => return Poll::Pending,
            };
            queue.pop();
            return Poll::Ready(Some(read.map(Message::Binary)));
        }
        Poll::Ready(match queue.pop() {
            Some(Slot::Item {
                item: Entry::Ready(message),
                ..
            }) => Some(Ok(message)),
            Some(Slot::Dropped(dropped)) => Some(Err(Error::Overflow {
                dropped,
                policy: self.shared.overflow,
            })),
            Some(Slot::Item {
                item: Entry::Reading(_),
                ..
            })
            | None => None,
        })
    }
}

impl Stream for WsReceiver {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Poll::Ready(Some(item)) = self.poll_queue(cx) {
            return Poll::Ready(Some(item));
        }
        if !self.shared.queue.borrow().is_empty() {
            return Poll::Pending;
        }
        match self.shared.close_info() {
            Some(info) => {
                self.ended = true;
                Poll::Ready((!info.was_clean).then_some(Err(Error::Closed(info))))
            }
            None => {
                self.shared.reader.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

impl FusedStream for WsReceiver {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl Drop for WsReceiver {
    fn drop(&mut self) {
        self.shared.stop_receiving();
        self.shared.release_half();
    }
}
