//! The clock every measurement reads: `performance.now()`, in milliseconds since the page's time origin.

use web_sys::Performance;

/// The page's high-resolution clock.
/// See [`Performance.now()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/Performance/now).
#[derive(Debug, Clone)]
pub struct Clock {
    performance: Performance,
}

impl Clock {
    /// The clock of this page.
    ///
    /// # Errors
    /// Outside a window, or in a window without `performance`.
    pub fn new() -> Result<Self, String> {
        let performance = web_sys::window()
            .ok_or("the benchmark needs a window")?
            .performance()
            .ok_or("this window has no `performance`")?;
        Ok(Self { performance })
    }

    /// Milliseconds since the page's time origin.
    pub fn now(&self) -> f64 {
        self.performance.now()
    }
}
