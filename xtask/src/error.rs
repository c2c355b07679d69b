//! The error type of every xtask step: one line for the user, then exit status 1.

use std::fmt;
use std::path::PathBuf;

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

/// Why `cargo xtask dist` refuses an output folder. It removes the folder before writing it, so
/// it must not hold anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutDirError {
    /// The folder is the repository root.
    RepositoryRoot(PathBuf),
    /// The folder contains the repository.
    ContainsRepository(PathBuf),
    /// The folder is `www/` or inside it, whose files `dist` copies.
    InsideWww(PathBuf),
    /// The folder exists but is not a folder.
    NotAFolder(PathBuf),
    /// The folder holds an entry (the second field) that `dist` does not write.
    NotDistOutput(PathBuf, String),
}

impl fmt::Display for OutDirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RepositoryRoot(dir) => write!(
                f,
                "the output folder {} is the repository root; dist removes its output folder \
                 first, so give it one of its own (the default is dist/)",
                dir.display()
            ),
            Self::ContainsRepository(dir) => write!(
                f,
                "the output folder {} contains the repository; dist removes its output folder \
                 first, so give it one of its own (the default is dist/)",
                dir.display()
            ),
            Self::InsideWww(dir) => write!(
                f,
                "the output folder {} is inside www/, whose files dist copies; choose one \
                 outside it",
                dir.display()
            ),
            Self::NotAFolder(dir) => write!(
                f,
                "the output folder {} exists and is not a folder",
                dir.display()
            ),
            Self::NotDistOutput(dir, entry) => write!(
                f,
                "the output folder {} holds `{entry}`, which dist does not write; not removing \
                 it (empty it or choose another --out)",
                dir.display()
            ),
        }
    }
}

impl From<OutDirError> for Error {
    fn from(error: OutDirError) -> Self {
        Self::new(error.to_string())
    }
}

/// Why `cargo xtask size` or `cargo xtask bench` cannot put its section into `BENCHMARKS.md`: each
/// rewrites only what lies between its two markers, and leaves everything else as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchmarksError {
    /// A marker (the field) is missing.
    MissingMarker(&'static str),
    /// A marker (the field) occurs more than once.
    RepeatedMarker(&'static str),
    /// The end marker comes before the start marker (the field).
    MarkersOutOfOrder(&'static str),
}

impl fmt::Display for BenchmarksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingMarker(marker) => write!(
                f,
                "BENCHMARKS.md has no `{marker}` line; put it back around the generated section, \
                 or remove the file to have it written afresh"
            ),
            Self::RepeatedMarker(marker) => {
                write!(f, "BENCHMARKS.md has `{marker}` more than once")
            }
            Self::MarkersOutOfOrder(marker) => {
                write!(
                    f,
                    "BENCHMARKS.md has the end marker of `{marker}` before it"
                )
            }
        }
    }
}

impl From<BenchmarksError> for Error {
    fn from(error: BenchmarksError) -> Self {
        Self::new(error.to_string())
    }
}
