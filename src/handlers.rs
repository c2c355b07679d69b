//! Handler lists for one event kind, and the [`Subscription`] guard that removes a handler when dropped.

use core::cell::{Cell, RefCell};
use core::fmt;
use std::rc::{Rc, Weak};

/// A registered handler, shared by its list and (weakly) by its [`Subscription`].
struct Slot<T> {
    /// Turns false the moment the handler is unsubscribed, even mid-dispatch.
    active: Cell<bool>,
    /// `None` once unsubscribed: the closure is dropped at once, or, if it is running, when it returns.
    handler: RefCell<Option<Handler<T>>>,
}

/// A handler as the list stores it.
type Handler<T> = Box<dyn FnMut(T)>;

/// The handlers of one event kind, called in registration order.
///
/// The list is copy-on-write: a dispatch holds its own `Rc` of the current list and never a `RefCell` borrow
/// while user code runs, so a handler may subscribe, unsubscribe, close or drop the socket. A handler added
/// during a dispatch first runs for the next event; one removed during a dispatch is not called again.
/// Unsubscribed slots are pruned from the list when the next handler is added.
pub(crate) struct HandlerList<T> {
    slots: RefCell<Rc<Vec<Rc<Slot<T>>>>>,
}

impl<T: Clone + 'static> HandlerList<T> {
    pub(crate) fn new() -> Self {
        Self {
            slots: RefCell::new(Rc::new(Vec::new())),
        }
    }

    pub(crate) fn subscribe(&self, handler: impl FnMut(T) + 'static) -> Subscription {
        let slot = Rc::new(Slot {
            active: Cell::new(true),
            handler: RefCell::new(Some(Box::new(handler))),
        });
        let subscription = Subscription {
            slot: Some(Rc::downgrade(&slot) as Weak<dyn Unsubscribe>),
        };
        // The list is only ever borrowed for a moment, never while a handler runs.
        if let Ok(mut slots) = self.slots.try_borrow_mut() {
            let mut list = Vec::with_capacity(slots.len() + 1);
            list.extend(slots.iter().filter(|slot| slot.active.get()).cloned());
            list.push(slot);
            *slots = Rc::new(list);
        }
        subscription
    }

    /// Whether no handler is subscribed, so there is nobody to tell.
    #[cfg(feature = "reconnect")]
    pub(crate) fn is_empty(&self) -> bool {
        self.slots
            .try_borrow()
            .map_or(true, |slots| !slots.iter().any(|slot| slot.active.get()))
    }

    /// Calls every active handler; the last one gets `value` itself, the others a clone.
    pub(crate) fn emit(&self, value: T) {
        let Ok(snapshot) = self.slots.try_borrow().map(|slots| Rc::clone(&slots)) else {
            return;
        };
        let mut value = Some(value);
        let mut slots = snapshot.iter();
        while let Some(slot) = slots.next() {
            if !slot.active.get() {
                continue;
            }
            let later = slots.clone().any(|s| s.active.get());
            let argument = if later { value.clone() } else { value.take() };
            let Some(argument) = argument else { break };
            // A handler can only be busy here if it dispatched an event to itself through the raw socket.
            let Ok(mut handler) = slot.handler.try_borrow_mut() else {
                continue;
            };
            if let Some(handler) = handler.as_mut() {
                handler(argument);
            }
            if !slot.active.get() {
                // Unsubscribed while it ran: free it now that it has returned.
                let done = handler.take();
                drop(handler);
                drop(done);
            }
        }
    }

    /// Removes every handler (after the last event a socket can deliver), dropping their closures.
    pub(crate) fn clear(&self) {
        let Ok(mut slots) = self.slots.try_borrow_mut() else {
            return;
        };
        let old = core::mem::replace(&mut *slots, Rc::new(Vec::new()));
        drop(slots);
        for slot in old.iter() {
            slot.unsubscribe();
        }
    }
}

trait Unsubscribe {
    fn unsubscribe(&self);
}

impl<T> Unsubscribe for Slot<T> {
    fn unsubscribe(&self) {
        self.active.set(false);
        // A running handler is borrowed; `emit` frees it when it returns.
        let handler = self
            .handler
            .try_borrow_mut()
            .ok()
            .and_then(|mut handler| handler.take());
        drop(handler);
    }
}

/// A handler's registration. Dropping it removes the handler at once, even from inside a handler.
///
/// Returned by [`WebSocket::on_message`](crate::WebSocket::on_message) and the other `on_*` methods. Keep it
/// as long as the handler should run, or call [`keep`](Self::keep) to leave the handler in place for the
/// socket's whole life. Either way the handler is freed when the socket is dropped or has closed.
///
/// ```no_run
/// use duplex_ws::WebSocket;
///
/// let socket = WebSocket::connect("wss://example.com/echo")?;
/// let subscription = socket.on_message(|message| web_sys::console::log_1(&format!("{message:?}").into()));
/// // ... later: stop listening.
/// drop(subscription);
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[must_use = "dropping a Subscription unsubscribes its handler at once; call .keep() to keep it"]
pub struct Subscription {
    slot: Option<Weak<dyn Unsubscribe>>,
}

impl Subscription {
    /// Leaves the handler registered until the socket is dropped or closed, instead of until this guard is
    /// dropped. Nothing leaks: the socket still frees the handler.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.on_open(|| web_sys::console::log_1(&"open".into())).keep();
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn keep(mut self) {
        self.slot = None;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take().and_then(|slot| slot.upgrade()) {
            slot.unsubscribe();
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("kept", &self.slot.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A capture that counts how many of its kind are alive.
    struct Alive(Rc<Cell<usize>>);

    impl Alive {
        fn new(count: &Rc<Cell<usize>>) -> Self {
            count.set(count.get() + 1);
            Self(Rc::clone(count))
        }
    }

    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }

    #[test]
    fn dropping_a_subscription_frees_its_handler_at_once() {
        let list = HandlerList::<u32>::new();
        let alive = Rc::new(Cell::new(0));
        let seen = Rc::new(Cell::new(0));
        let capture = (Alive::new(&alive), Rc::clone(&seen));
        let subscription = list.subscribe(move |n| {
            let _alive = &capture.0;
            capture.1.set(capture.1.get() + n);
        });
        list.emit(2);
        drop(subscription);
        assert_eq!(alive.get(), 0);
        list.emit(3);
        assert_eq!(seen.get(), 2);
    }

    #[test]
    fn a_handler_that_unsubscribes_itself_is_freed_when_it_returns() {
        let list = HandlerList::<u32>::new();
        let alive = Rc::new(Cell::new(0));
        let calls = Rc::new(Cell::new(0));
        let own: Rc<RefCell<Option<Subscription>>> = Rc::default();
        let capture = (Alive::new(&alive), Rc::clone(&calls), Rc::clone(&own));
        let subscription = list.subscribe(move |_| {
            let _alive = &capture.0;
            capture.1.set(capture.1.get() + 1);
            drop(capture.2.borrow_mut().take());
        });
        *own.borrow_mut() = Some(subscription);
        list.emit(1);
        assert_eq!(alive.get(), 0, "freed after its call returned");
        list.emit(1);
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn kept_handlers_run_in_order_until_cleared_and_unsubscribed_ones_are_pruned() {
        let list = HandlerList::<u32>::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        let alive = Rc::new(Cell::new(0));
        for id in 0..3 {
            let (order, capture) = (Rc::clone(&order), Alive::new(&alive));
            let subscription = list.subscribe(move |n| {
                let _alive = &capture;
                order.borrow_mut().push((id, n));
            });
            if id == 1 {
                drop(subscription);
            } else {
                subscription.keep();
            }
        }
        list.emit(7);
        assert_eq!(*order.borrow(), [(0, 7), (2, 7)]);
        assert_eq!(
            list.slots.borrow().len(),
            2,
            "pruned when the third was added"
        );
        list.clear();
        assert_eq!(alive.get(), 0);
        list.emit(8);
        assert_eq!(order.borrow().len(), 2);
    }
}
