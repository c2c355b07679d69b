//! A queue that event handlers push into and one task awaits: how the callback-layer clients and the churns
//! wait for their callbacks.

use core::cell::RefCell;
use core::future::poll_fn;
use core::task::{Poll, Waker};
use std::collections::VecDeque;
use std::rc::Rc;

/// A single-consumer queue of `T`: cheap to clone into handlers, awaited by one task.
#[derive(Debug)]
pub struct Mailbox<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

#[derive(Debug)]
struct Inner<T> {
    items: VecDeque<T>,
    waker: Option<Waker>,
}

impl<T> Clone for Mailbox<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T> Mailbox<T> {
    /// An empty mailbox.
    pub fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                items: VecDeque::new(),
                waker: None,
            })),
        }
    }

    /// Queues `item` and wakes the waiting task.
    pub fn push(&self, item: T) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            inner.items.push_back(item);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The oldest item, once there is one.
    pub async fn next(&self) -> T {
        poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            match inner.items.pop_front() {
                Some(item) => Poll::Ready(item),
                None => {
                    inner.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}
