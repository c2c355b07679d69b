//! Handler lists for one event kind, and the [`Subscription`] guard that removes a handler when dropped.

use core::cell::{Cell, RefCell};
use core::fmt;
use std::rc::{Rc, Weak};

/// A registered handler. `active` turns false the moment it is unsubscribed, even mid-dispatch.
struct Slot<T> {
    id: u64,
    active: Cell<bool>,
    handler: RefCell<Box<dyn FnMut(T)>>,
}

/// The handlers of one event kind, called in registration order.
///
/// The list is copy-on-write: a dispatch holds its own `Rc` of the current list and never a `RefCell` borrow
/// while user code runs, so a handler may subscribe, unsubscribe, close or drop the socket. A handler added
/// during a dispatch first runs for the next event; one removed during a dispatch is not called again.
pub(crate) struct HandlerList<T> {
    slots: RefCell<Rc<Vec<Rc<Slot<T>>>>>,
    next_id: Cell<u64>,
}

impl<T: Clone + 'static> HandlerList<T> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Self {
            slots: RefCell::new(Rc::new(Vec::new())),
            next_id: Cell::new(0),
        })
    }

    pub(crate) fn subscribe(self: &Rc<Self>, handler: impl FnMut(T) + 'static) -> Subscription {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let slot = Rc::new(Slot {
            id,
            active: Cell::new(true),
            handler: RefCell::new(Box::new(handler)),
        });
        Rc::make_mut(&mut self.slots.borrow_mut()).push(slot);
        let list: Weak<Self> = Rc::downgrade(self);
        Subscription {
            list: Some(list as Weak<dyn Unsubscribe>),
            id,
        }
    }

    /// Calls every active handler; the last one gets `value` itself, the others a clone.
    pub(crate) fn emit(&self, value: T) {
        let snapshot = Rc::clone(&self.slots.borrow());
        let mut value = Some(value);
        for (index, slot) in snapshot.iter().enumerate() {
            if !slot.active.get() {
                continue;
            }
            let later = snapshot[index + 1..].iter().any(|s| s.active.get());
            let argument = if later { value.clone() } else { value.take() };
            let Some(argument) = argument else { break };
            // A handler can only be busy here if it dispatched an event to itself through the raw socket.
            if let Ok(mut handler) = slot.handler.try_borrow_mut() {
                handler(argument);
            }
        }
    }

    /// Removes every handler (after the last event a socket can deliver), dropping their closures.
    pub(crate) fn clear(&self) {
        let slots = self.slots.replace(Rc::new(Vec::new()));
        for slot in slots.iter() {
            slot.active.set(false);
        }
    }
}

trait Unsubscribe {
    fn unsubscribe(&self, id: u64);
}

impl<T> Unsubscribe for HandlerList<T> {
    fn unsubscribe(&self, id: u64) {
        let mut slots = self.slots.borrow_mut();
        if let Some(index) = slots.iter().position(|slot| slot.id == id) {
            slots[index].active.set(false);
            Rc::make_mut(&mut slots).remove(index);
        }
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
    list: Option<Weak<dyn Unsubscribe>>,
    id: u64,
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
        self.list = None;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(list) = self.list.take().and_then(|list| list.upgrade()) {
            list.unsubscribe(self.id);
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("kept", &self.list.is_none())
            .finish()
    }
}
