//! [`Shared`]: the state the async halves and handles share, fed by the callback layer's handlers.

use core::cell::{Cell, RefCell};
use core::task::Waker;
use std::rc::Rc;

use super::options::{BlobHandling, Overflow, StreamOptions};
use super::queue::{Pushed, Queue};
use crate::{CloseCode, CloseInfo, Message, ReadBlob, Subscription, WebSocket, blob_to_bytes};

/// A queued message: ready, or a `Blob` still being read into bytes.
#[derive(Debug)]
pub(crate) enum Entry {
    Ready(Message),
    Reading(ReadBlob),
}

/// One task to wake, the latest to ask.
#[derive(Debug, Default)]
pub(crate) struct WakerSlot(RefCell<Option<Waker>>);

impl WakerSlot {
    pub(crate) fn register(&self, waker: &Waker) {
        let mut slot = self.0.borrow_mut();
        if !slot
            .as_ref()
            .is_some_and(|current| current.will_wake(waker))
        {
            *slot = Some(waker.clone());
        }
    }

    pub(crate) fn wake(&self) {
        if let Some(waker) = self.0.take() {
            waker.wake();
        }
    }
}

/// Owned by the sender, the receiver and every handle; the socket's handlers hold it weakly, so dropping the
/// last owner drops the socket and, with it, the handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) socket: WebSocket,
    pub(crate) high_water_mark: u64,
    pub(crate) overflow: Overflow,
    blobs: BlobHandling,
    pub(crate) queue: RefCell<Queue<Entry>>,
    /// The receiver waits here for a message or the close.
    pub(crate) reader: WakerSlot,
    /// The opening future, then the sender, wait here for the open or the close.
    pub(crate) writer: WakerSlot,
    /// Every pending [`Closed`](super::Closed) future.
    closers: RefCell<Vec<Waker>>,
    /// The sender and the receiver, while they exist.
    halves: Cell<u8>,
    subscriptions: RefCell<Vec<Subscription>>,
    receiving: RefCell<Option<Subscription>>,
}

impl Shared {
    pub(crate) fn attach(socket: WebSocket, options: &StreamOptions) -> Rc<Self> {
        let shared = Rc::new(Self {
            socket,
            high_water_mark: options.high_water_mark,
            overflow: options.overflow,
            blobs: options.blobs,
            queue: RefCell::new(Queue::new(options.receive_limit, options.overflow)),
            reader: WakerSlot::default(),
            writer: WakerSlot::default(),
            closers: RefCell::new(Vec::new()),
            halves: Cell::new(2),
            subscriptions: RefCell::new(Vec::new()),
            receiving: RefCell::new(None),
        });
        let weak = Rc::downgrade(&shared);
        let on_open = shared.socket.on_open({
            let weak = weak.clone();
            move || {
                if let Some(shared) = weak.upgrade() {
                    shared.writer.wake();
                }
            }
        });
        let on_close = shared.socket.on_close({
            let weak = weak.clone();
            move |_| {
                if let Some(shared) = weak.upgrade() {
                    shared.wake_all();
                }
            }
        });
        let on_message = shared.socket.on_message(move |message| {
            if let Some(shared) = weak.upgrade() {
                shared.receive(message);
            }
        });
        *shared.subscriptions.borrow_mut() = vec![on_open, on_close];
        *shared.receiving.borrow_mut() = Some(on_message);
        shared
    }

    pub(crate) fn close_info(&self) -> Option<CloseInfo> {
        self.socket.close_info()
    }

    pub(crate) fn wait_for_close(&self, waker: &Waker) {
        let mut closers = self.closers.borrow_mut();
        if !closers.iter().any(|known| known.will_wake(waker)) {
            closers.push(waker.clone());
        }
    }

    /// Called as the sender or the receiver is dropped; the last one closes the socket.
    pub(crate) fn release_half(&self) {
        let left = self.halves.get().saturating_sub(1);
        self.halves.set(left);
        if left == 0 {
            // 1000 with an empty reason is always valid, and closing twice is a no-op.
            let _ = self.socket.close_with(CloseCode::Normal, "");
        }
    }

    /// Called as the receiver is dropped: nobody can read what arrives from now on.
    pub(crate) fn stop_receiving(&self) {
        drop(self.receiving.take());
        self.queue.borrow_mut().clear();
    }

    fn receive(&self, message: Message) {
        let bytes = message.byte_len();
        let entry = match message {
            Message::Blob(blob) if self.blobs == BlobHandling::ToBytes => {
                Entry::Reading(blob_to_bytes(&blob))
            }
            message => Entry::Ready(message),
        };
        let pushed = self.queue.borrow_mut().push(entry, bytes);
        if pushed == Pushed::Dropped && self.overflow == Overflow::Close {
            let _ = self
                .socket
                .close_with(super::QUEUE_FULL_CODE, "receive queue full");
        }
        self.reader.wake();
    }

    fn wake_all(&self) {
        self.reader.wake();
        self.writer.wake();
        for waker in self.closers.take() {
            waker.wake();
        }
    }
}
