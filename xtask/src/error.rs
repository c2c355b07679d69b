//! The error type of every xtask step: one line for the user, then exit status 1.

use std::fmt;

/// A failure that stops the current command. Its text is shown as `xtask: error: <text>`.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The result of an xtask step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Puts what was being done in front of a lower-level error (I/O, parsing).
pub trait Context<T> {
    /// Turns the error into an [`Error`] reading `<what>: <cause>`.
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|cause| Error::new(format!("{}: {cause}", what())))
    }
}
