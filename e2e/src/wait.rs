//! Deadlines: poll a condition until it holds or time runs out, and bound every single await.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::Error;

/// How long a condition on the page may take to become true.
pub const CONDITION_LIMIT: Duration = Duration::from_secs(10);

/// How long one WebDriver command may take before the browser counts as hung.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(30);

/// The pause between two polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Calls `look` until `done` accepts what it returned, at most `limit` long, and returns that
/// value.
///
/// # Errors
/// [`Error::Timeout`] with `waited_for` and the last value seen (its `Display`) if `done`
/// never accepted; any error `look` returns, at once.
pub async fn until<T, F, Fut>(
    waited_for: &str,
    limit: Duration,
    mut look: F,
    mut done: impl FnMut(&T) -> bool,
) -> Result<T, Error>
where
    T: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let deadline = Instant::now() + limit;
    loop {
        let seen = look().await?;
        if done(&seen) {
            return Ok(seen);
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                waited_for: waited_for.to_owned(),
                after: limit,
                last_seen: seen.to_string(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Awaits `command` (a WebDriver call), failing after [`COMMAND_LIMIT`] instead of hanging.
///
/// # Errors
/// [`Error::Unresponsive`] on time-out; [`Error::WebDriver`] if the command failed.
pub async fn command<T>(
    action: &str,
    command: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
) -> Result<T, Error> {
    match tokio::time::timeout(COMMAND_LIMIT, command).await {
        Ok(result) => result.map_err(Error::webdriver(action)),
        Err(_) => Err(Error::Unresponsive {
            action: action.to_owned(),
            after: COMMAND_LIMIT,
        }),
    }
}
