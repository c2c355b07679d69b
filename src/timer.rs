//! [`Timer`]: a gloo-timers timeout that is counted while it exists and cancelled when dropped.

use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use gloo_timers::future::TimeoutFuture;

thread_local! {
    static LIVE_TIMERS: Cell<usize> = const { Cell::new(0) };
}

/// The number of browser timers duplex-ws currently holds, in this thread.
///
/// A timer exists only while something waits on it (a sink waiting for the browser's buffer to drain, for
/// example) and is cancelled when that wait ends or is dropped, so this returns to zero once nothing
/// waits. Tests use it, with [`live_closures`](crate::live_closures), to prove that nothing leaks.
///
/// ```
/// assert_eq!(duplex_ws::live_timers(), 0);
/// ```
pub fn live_timers() -> usize {
    LIVE_TIMERS.with(Cell::get)
}

/// A `setTimeout` of a number of milliseconds, cleared if dropped before it fires.
#[derive(Debug)]
pub(crate) struct Timer {
    timeout: TimeoutFuture,
}

impl Timer {
    pub(crate) fn after_ms(ms: u32) -> Self {
        LIVE_TIMERS.with(|live| live.set(live.get() + 1));
        Self {
            timeout: TimeoutFuture::new(ms),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.timeout).poll(cx)
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        LIVE_TIMERS.with(|live| live.set(live.get().saturating_sub(1)));
    }
}
