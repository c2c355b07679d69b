//! `BENCHMARKS.md`: each measuring command owns one section, between two marker lines, and
//! rewrites only that; everything else in the file stays as it is.

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::error::BenchmarksError;
use crate::workspace::Workspace;
use anyhow::{Context as _, Result, bail};

/// The file, at the repository root.
pub const FILE: &str = "BENCHMARKS.md";

/// One generated section: the lines that enclose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The line before the generated text.
    pub start: &'static str,
    /// The line after it.
    pub end: &'static str,
}

/// `cargo xtask size`'s section.
pub const SIZE: Section = Section {
    start: "<!-- size:start: written by `cargo xtask size`; edits up to size:end are overwritten -->",
    end: "<!-- size:end -->",
};

/// `cargo xtask bench`'s section: speed and churn.
pub const BENCH: Section = Section {
    start: "<!-- bench:start: written by `cargo xtask bench`; edits up to bench:end are overwritten -->",
    end: "<!-- bench:end -->",
};

/// `cargo xtask bench`'s section: the chat rooms' throughput.
pub const ROOMS: Section = Section {
    start: "<!-- rooms:start: written by `cargo xtask bench`; edits up to rooms:end are overwritten -->",
    end: "<!-- rooms:end -->",
};

/// `cargo xtask bench`'s section: the chat's fan-out against a Node server.
pub const FANOUT: Section = Section {
    start: "<!-- fanout:start: written by `cargo xtask bench`; edits up to fanout:end are overwritten -->",
    end: "<!-- fanout:end -->",
};

/// `cargo xtask bench`'s section: the relay's memory per connection and its connection limits.
pub const MEMORY: Section = Section {
    start: "<!-- memory:start: written by `cargo xtask bench`; edits up to memory:end are overwritten -->",
    end: "<!-- memory:end -->",
};

/// The median, least and greatest of `values`; `None` when there are none.
pub fn spread(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64, f64)> {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    let median = *values.get(values.len() / 2)?;
    Some((median, *values.first()?, *values.last()?))
}

/// `existing` with `report` between `section`'s markers; a new file with every section (the
/// others not measured yet) when there is none.
///
/// # Errors
/// When the existing file lacks one of the section's markers, repeats one, or has them out of
/// order.
pub fn splice(
    existing: Option<&str>,
    section: Section,
    report: &str,
) -> Result<String, BenchmarksError> {
    let Some(existing) = existing else {
        let body = |of: Section| {
            let text = if of == section {
                report
            } else {
                "Not measured yet.\n"
            };
            format!("{}\n{text}{}\n", of.start, of.end)
        };
        return Ok(format!(
            "# Benchmarks\n\n## Size\n\n{}\n## Speed and churn\n\n{}\n## Rooms throughput\n\n{}\n\
             ## Fan-out\n\n{}\n## Memory\n\n{}",
            body(SIZE),
            body(BENCH),
            body(ROOMS),
            body(FANOUT),
            body(MEMORY)
        ));
    };
    let start = only(existing, section.start)?;
    let end = only(existing, section.end)?;
    if end < start {
        return Err(BenchmarksError::MarkersOutOfOrder(section.start));
    }
    Ok(format!(
        "{}{}\n{report}{}",
        &existing[..start],
        section.start,
        &existing[end..]
    ))
}

/// Writes `report` into `section` of the workspace's [`FILE`] and returns the file's path.
///
/// # Errors
/// When the file cannot be read or written, or its markers are broken (see [`splice`]).
pub fn write(workspace: &Workspace, section: Section, report: &str) -> Result<PathBuf> {
    let path = workspace.root().join(FILE);
    let existing = match fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => {
            bail!("cannot read {}: {error}", path.display());
        }
    };
    let document = splice(existing.as_deref(), section, report)?;
    fs::write(&path, document).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The byte offset of the one occurrence of `marker` in `text`.
fn only(text: &str, marker: &'static str) -> Result<usize, BenchmarksError> {
    let mut found = text.match_indices(marker).map(|(offset, _)| offset);
    let first = found.next().ok_or(BenchmarksError::MissingMarker(marker))?;
    match found.next() {
        None => Ok(first),
        Some(_) => Err(BenchmarksError::RepeatedMarker(marker)),
    }
}

/// `n` with a comma between groups of three digits: `23,464`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(23_464), "23,464");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_new_file_gets_every_section() {
        let document = splice(None, SIZE, "table\n");
        let expected = format!(
            "# Benchmarks\n\n## Size\n\n{}\ntable\n{}\n\n## Speed and churn\n\n{}\n\
             Not measured yet.\n{}\n\n## Rooms throughput\n\n{}\nNot measured yet.\n{}\n\n\
             ## Fan-out\n\n{}\nNot measured yet.\n{}\n\n## Memory\n\n{}\nNot measured yet.\n{}\n",
            SIZE.start,
            SIZE.end,
            BENCH.start,
            BENCH.end,
            ROOMS.start,
            ROOMS.end,
            FANOUT.start,
            FANOUT.end,
            MEMORY.start,
            MEMORY.end
        );
        assert_eq!(document, Ok(expected));
        let document = splice(None, BENCH, "speed\n").unwrap_or_default();
        assert!(document.contains(&format!("{}\nspeed\n{}", BENCH.start, BENCH.end)));
        assert!(document.contains(&format!("{}\nNot measured yet.\n{}", SIZE.start, SIZE.end)));
    }

    #[test]
    fn only_the_part_between_the_markers_is_replaced() {
        let existing = format!(
            "# B\n\nintro\n{}\nold\nrows\n{}\n\n### notes\nkept\n{}\nspeed\n{}\n",
            SIZE.start, SIZE.end, BENCH.start, BENCH.end
        );
        let spliced = splice(Some(&existing), SIZE, "new\n");
        assert_eq!(
            spliced,
            Ok(format!(
                "# B\n\nintro\n{}\nnew\n{}\n\n### notes\nkept\n{}\nspeed\n{}\n",
                SIZE.start, SIZE.end, BENCH.start, BENCH.end
            ))
        );
        let again = spliced.unwrap_or_default();
        assert_eq!(splice(Some(&again), SIZE, "new\n"), Ok(again.clone()));
        let both = splice(Some(&again), BENCH, "fast\n").unwrap_or_default();
        assert!(both.contains("new\n") && both.contains("fast\n") && !both.contains("speed\n"));
    }

    #[test]
    fn broken_markers_are_refused() {
        let (start, end) = (SIZE.start, SIZE.end);
        assert_eq!(
            splice(Some("# B\n"), SIZE, "x\n"),
            Err(BenchmarksError::MissingMarker(start))
        );
        assert_eq!(
            splice(Some(&format!("{start}\n")), SIZE, "x\n"),
            Err(BenchmarksError::MissingMarker(end))
        );
        assert_eq!(
            splice(Some(&format!("{end}\n{start}\n")), SIZE, "x\n"),
            Err(BenchmarksError::MarkersOutOfOrder(start))
        );
        assert_eq!(
            splice(Some(&format!("{start}\n{start}\n{end}\n")), SIZE, "x\n"),
            Err(BenchmarksError::RepeatedMarker(start))
        );
    }
}
