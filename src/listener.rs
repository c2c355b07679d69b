//! [`Listener`]: a Rust closure attached to a JS event target, owned, counted, and detached on drop.

use core::cell::Cell;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget};

use crate::Error;
use crate::error::Op;

thread_local! {
    static LIVE_CLOSURES: Cell<usize> = const { Cell::new(0) };
}

/// The number of JS closures duplex-ws currently owns, in this thread.
///
/// Every socket holds four while it can still deliver events (open, message, error, close) and releases
/// them when it has closed or is dropped, so this returns to zero once every socket is gone. Tests use it
/// to prove that nothing leaks.
///
/// ```no_run
/// assert_eq!(duplex_ws::live_closures(), 0);
/// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
/// assert_eq!(duplex_ws::live_closures(), 4);
/// drop(socket);
/// assert_eq!(duplex_ws::live_closures(), 0);
/// # Ok::<(), duplex_ws::Error>(())
/// ```
pub fn live_closures() -> usize {
    LIVE_CLOSURES.with(Cell::get)
}

/// An event listener registered with `addEventListener`, removed with `removeEventListener` before its
/// closure is freed.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn Fn(Event)>,
    attached: Cell<bool>,
}

impl Listener {
    /// Registers `f` for `kind` events on `target`.
    ///
    /// The closure is `Fn`, so the JS glue never reports "closure invoked recursively" for it.
    pub(crate) fn attach(
        target: &EventTarget,
        kind: &'static str,
        f: impl Fn(Event) + 'static,
    ) -> Result<Self, Error> {
        let closure: Closure<dyn Fn(Event)> = Closure::own_assert_unwind_safe(f);
        LIVE_CLOSURES.with(|live| live.set(live.get() + 1));
        let listener = Self {
            target: target.clone(),
            kind,
            closure,
            attached: Cell::new(false),
        };
        target
            .add_event_listener_with_callback(kind, listener.closure.as_ref().unchecked_ref())
            .map_err(|thrown| Error::thrown(&thrown, Op::Listen))?;
        listener.attached.set(true);
        Ok(listener)
    }

    /// Stops event delivery; the closure stays allocated until the listener is dropped.
    pub(crate) fn detach(&self) {
        if self.attached.replace(false) {
            // removeEventListener cannot throw for a target, type and callback that addEventListener accepted.
            let _ = self.target.remove_event_listener_with_callback(
                self.kind,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.detach();
        LIVE_CLOSURES.with(|live| live.set(live.get() - 1));
    }
}
