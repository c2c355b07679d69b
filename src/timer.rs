//! Counted gloo-timers timers, cancelled when dropped: [`Timer`] (a future) and, for the reconnecting socket,
//! [`Timeout`] and [`Interval`] (callbacks).

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
    _live: Live,
}

/// Counted in [`live_timers`] while it exists; every timer holds one.
#[derive(Debug)]
struct Live;

impl Live {
    fn new() -> Self {
        LIVE_TIMERS.with(|live| live.set(live.get() + 1));
        Self
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE_TIMERS.with(|live| live.set(live.get().saturating_sub(1)));
    }
}

impl Timer {
    pub(crate) fn after_ms(ms: u32) -> Self {
        Self {
            timeout: TimeoutFuture::new(ms),
            _live: Live::new(),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.timeout).poll(cx)
    }
}

/// A callback run once after a delay, unless this is dropped first.
#[cfg(feature = "reconnect")]
#[derive(Debug)]
pub(crate) struct Timeout {
    _timeout: gloo_timers::callback::Timeout,
    _live: Live,
}

#[cfg(feature = "reconnect")]
impl Timeout {
    pub(crate) fn new(delay: core::time::Duration, callback: impl FnOnce() + 'static) -> Self {
        Self {
            _timeout: gloo_timers::callback::Timeout::new(millis(delay), callback),
            _live: Live::new(),
        }
    }
}

/// A callback run every period until this is dropped.
#[cfg(feature = "reconnect")]
#[derive(Debug)]
pub(crate) struct Interval {
    _interval: gloo_timers::callback::Interval,
    _live: Live,
}

#[cfg(feature = "reconnect")]
impl Interval {
    pub(crate) fn new(period: core::time::Duration, callback: impl FnMut() + 'static) -> Self {
        Self {
            _interval: gloo_timers::callback::Interval::new(millis(period), callback),
            _live: Live::new(),
        }
    }
}

/// A duration in whole milliseconds for `setTimeout`, rounded up so a short wait is never 0, and capped at
/// the ~24.8 days browsers accept.
#[cfg(feature = "reconnect")]
fn millis(duration: core::time::Duration) -> u32 {
    let ms = duration.as_micros().div_ceil(1_000);
    u32::try_from(ms).unwrap_or(u32::MAX).min(i32::MAX as u32)
}
