//! What a static host sends: the raw and gzipped size of every `.wasm` and `.js` file in a
//! folder, as a table.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use anyhow::{Context as _, Result};

/// The file extensions the table shows.
const EXTENSIONS: [&str; 2] = ["wasm", "js"];

/// One file of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The path relative to the folder, with `/` separators.
    pub file: String,
    /// Its size in bytes.
    pub raw: u64,
    /// Its size in bytes after gzip at the default level.
    pub gzip: u64,
}

/// The size of `bytes` gzipped at the default compression level.
///
/// # Errors
/// When the encoder fails (it writes to memory, so in practice never).
pub fn gzip_len(bytes: &[u8]) -> io::Result<u64> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

/// The raw and gzipped size of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Its size in bytes.
    pub raw: u64,
    /// Its size in bytes after gzip at the default level.
    pub gzip: u64,
}

/// The raw and gzipped size of the file at `path`.
///
/// # Errors
/// When the file cannot be read.
pub fn measure_file(path: &Path) -> Result<Size> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let gzip = gzip_len(&bytes).with_context(|| format!("cannot gzip {}", path.display()))?;
    Ok(Size {
        raw: bytes.len() as u64,
        gzip,
    })
}

/// A row for every `.wasm` and `.js` file under `dir`, sorted by path.
///
/// # Errors
/// When a folder cannot be listed or a file read.
pub fn measure(dir: &Path) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    walk(dir, "", &mut rows)?;
    rows.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(rows)
}

/// Adds the rows of the files under `dir`, whose path relative to the top is `prefix`.
fn walk(dir: &Path, prefix: &str, rows: &mut Vec<Row>) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if file_type.is_dir() {
            walk(&path, &format!("{name}/"), rows)?;
        } else if path
            .extension()
            .is_some_and(|ext| EXTENSIONS.iter().any(|wanted| ext == *wanted))
        {
            let Size { raw, gzip } = measure_file(&path)?;
            rows.push(Row {
                file: name,
                raw,
                gzip,
            });
        }
    }
    Ok(())
}

/// The table: a header, one line per row with the sizes right-aligned, and a total line.
pub fn render(rows: &[Row]) -> String {
    let total = Row {
        file: "total".to_owned(),
        raw: rows.iter().map(|row| row.raw).sum(),
        gzip: rows.iter().map(|row| row.gzip).sum(),
    };
    let header = ("file", "bytes", "gzip");
    let width = |column: fn(&Row) -> String, title: &str| {
        rows.iter()
            .chain([&total])
            .map(|row| column(row).len())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let file_width = width(|row| row.file.clone(), header.0);
    let raw_width = width(|row| row.raw.to_string(), header.1);
    let gzip_width = width(|row| row.gzip.to_string(), header.2);
    let mut text = String::new();
    let mut line = |file: &str, raw: &str, gzip: &str| {
        let _ = writeln!(
            text,
            "{file:<file_width$}  {raw:>raw_width$}  {gzip:>gzip_width$}"
        );
    };
    line(header.0, header.1, header.2);
    for row in rows.iter().chain([&total]) {
        line(&row.file, &row.raw.to_string(), &row.gzip.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use flate2::read::GzDecoder;

    use super::*;

    #[test]
    fn gzip_shrinks_repetitive_text_and_decodes_back() -> io::Result<()> {
        let text = "export function send(data) { return socket.send(data); }\n".repeat(200);
        let compressed_len = gzip_len(text.as_bytes())?;
        assert!(compressed_len < text.len() as u64 / 10, "{compressed_len}");

        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes())?;
        let compressed = encoder.finish()?;
        assert_eq!(compressed.len() as u64, compressed_len);
        let mut decoded = String::new();
        GzDecoder::new(compressed.as_slice()).read_to_string(&mut decoded)?;
        assert_eq!(decoded, text);
        Ok(())
    }

    #[test]
    fn the_table_aligns_sizes_and_adds_a_total() {
        let rows = [
            Row {
                file: "www/app.js".to_owned(),
                raw: 90,
                gzip: 80,
            },
            Row {
                file: "www/pkg/chat_bg.wasm".to_owned(),
                raw: 123_456,
                gzip: 45_678,
            },
        ];
        assert_eq!(
            render(&rows),
            "\
file                   bytes   gzip
www/app.js                90     80
www/pkg/chat_bg.wasm  123456  45678
total                 123546  45758
"
        );
    }

    #[test]
    fn an_empty_table_has_a_zero_total() {
        assert_eq!(render(&[]), "file   bytes  gzip\ntotal      0     0\n");
    }
}
