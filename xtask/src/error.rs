//! The typed failures that tests match on. Every other failure is an [`anyhow::Error`] with the
//! step that failed as its context, shown as `xtask: error: <step>: <cause>`.

use std::path::PathBuf;

/// Why `cargo xtask dist` refuses an output folder. It removes the folder before writing it, so
/// it must not hold anything else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutDirError {
    /// The folder is the repository root.
    #[error(
        "the output folder {} is the repository root; dist removes its output folder first, \
         so give it one of its own (the default is dist/)",
        .0.display()
    )]
    RepositoryRoot(PathBuf),
    /// The folder contains the repository.
    #[error(
        "the output folder {} contains the repository; dist removes its output folder first, \
         so give it one of its own (the default is dist/)",
        .0.display()
    )]
    ContainsRepository(PathBuf),
    /// The folder is `www/` or inside it, whose files `dist` copies.
    #[error(
        "the output folder {} is inside www/, whose files dist copies; choose one outside it",
        .0.display()
    )]
    InsideWww(PathBuf),
    /// The folder exists but is not a folder.
    #[error("the output folder {} exists and is not a folder", .0.display())]
    NotAFolder(PathBuf),
    /// The folder holds an entry (the second field) that `dist` does not write.
    #[error(
        "the output folder {dir} holds `{1}`, which dist does not write; not removing it (empty \
         it or choose another --out)",
        dir = .0.display()
    )]
    NotDistOutput(PathBuf, String),
}

/// Why `cargo xtask size` or `cargo xtask bench` cannot put its section into `BENCHMARKS.md`: each
/// rewrites only what lies between its two markers, and leaves everything else as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchmarksError {
    /// A marker (the field) is missing.
    #[error(
        "BENCHMARKS.md has no `{0}` line; put it back around the generated section, or remove \
         the file to have it written afresh"
    )]
    MissingMarker(&'static str),
    /// A marker (the field) occurs more than once.
    #[error("BENCHMARKS.md has `{0}` more than once")]
    RepeatedMarker(&'static str),
    /// The end marker comes before the start marker (the field).
    #[error("BENCHMARKS.md has the end marker of `{0}` before it")]
    MarkersOutOfOrder(&'static str),
}
