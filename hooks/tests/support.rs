//! What the Leptos and the Yew hooks' browser tests share (each includes this file, beside the
//! library's `tests/common/`): a `console.error` counter, the typed note the JSON codec carries, quick
//! retries, and channels that collect what `on_message` sees.

use core::time::Duration;

use duplex_ws::{Backoff, ReconnectOptions};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::common::within;

#[wasm_bindgen(inline_js = "
export function console_errors() {
    if (globalThis.__duplexConsoleErrors === undefined) {
        globalThis.__duplexConsoleErrors = 0;
        const error = console.error;
        console.error = function (...args) {
            globalThis.__duplexConsoleErrors += 1;
            return error.apply(console, args);
        };
    }
    return globalThis.__duplexConsoleErrors;
}")]
extern "C" {
    /// How many times `console.error` has been called since the first call of this function.
    pub fn console_errors() -> u32;
}

/// A typed message for the JSON codec: the relay's `/echo` sends it back as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub n: u32,
    pub text: String,
}

/// The note numbered `n`.
pub fn note(n: u32) -> Note {
    Note {
        n,
        text: format!("note {n}"),
    }
}

/// Quick retries, so a test sees a backoff without waiting long.
pub fn quick() -> ReconnectOptions {
    let ms = Duration::from_millis;
    ReconnectOptions::new()
        .backoff(Backoff::default().min_delay(ms(20)).max_delay(ms(100)))
        .min_uptime(Duration::from_secs(30))
}

/// An `on_message` callback that sends every message into `tx`, in order.
pub fn forward<T: Clone + 'static>(tx: &UnboundedSender<T>) -> impl FnMut(&T) + 'static {
    let tx = tx.clone();
    move |message: &T| drop(tx.unbounded_send(message.clone()))
}

/// The next `count` items of `rx`, failing the test if they take more than 10 s.
pub async fn take<T>(rx: &mut UnboundedReceiver<T>, count: usize) -> Vec<T> {
    let mut taken = Vec::with_capacity(count);
    while taken.len() < count {
        match within(10_000, rx.next()).await {
            Some(Some(item)) => taken.push(item),
            _ => panic!("{} of {count} arrived within 10 s", taken.len()),
        }
    }
    taken
}

/// The index a `/test/flood` text message starts with (its padding is dots).
pub fn flood_index(text: &str) -> String {
    text.trim_end_matches('.').to_owned()
}
