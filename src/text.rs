//! Numbers and quoted text for `Display` and error messages, written piece by piece.
//!
//! `write!` with `{}` on an integer or `{:?}` on a string links `core::fmt`'s integer padding, its `Debug`
//! escaping and the Unicode printability tables into every client that shows an error; these few loops
//! give the same text for what duplex-ws prints, at a fraction of the size.

use core::fmt::{self, Write};

/// Writes `n` in decimal, as `{}` would.
pub(crate) fn write_u64(out: &mut dyn Write, n: u64) -> fmt::Result {
    write_digits(out, n, 10)
}

/// Writes `text` between double quotes, escaped as `{:?}` escapes it: backslash, the quote, and control
/// characters. Other characters are written as they are.
pub(crate) fn write_quoted_str(out: &mut dyn Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in text.chars() {
        write_escaped(out, c, '"')?;
    }
    out.write_char('"')
}

/// Writes `c` between single quotes, escaped as `{:?}` escapes it.
pub(crate) fn write_quoted_char(out: &mut dyn Write, c: char) -> fmt::Result {
    out.write_char('\'')?;
    write_escaped(out, c, '\'')?;
    out.write_char('\'')
}

fn write_escaped(out: &mut dyn Write, c: char, quote: char) -> fmt::Result {
    let escape = match c {
        '\t' => 't',
        '\r' => 'r',
        '\n' => 'n',
        '\0' => '0',
        '\\' => '\\',
        c if c == quote => c,
        c if c.is_control() => {
            out.write_str("\\u{")?;
            write_digits(out, u64::from(c), 16)?;
            return out.write_char('}');
        }
        c => return out.write_char(c),
    };
    out.write_char('\\')?;
    out.write_char(escape)
}

fn write_digits(out: &mut dyn Write, n: u64, radix: u64) -> fmt::Result {
    if n >= radix {
        write_digits(out, n / radix, radix)?;
    }
    // Always below 16, so the cast is exact.
    let digit = (n % radix) as u8;
    let ascii = if digit < 10 {
        b'0' + digit
    } else {
        b'a' + digit - 10
    };
    out.write_char(char::from(ascii))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl Fn(&mut dyn Write) -> fmt::Result) -> String {
        let mut out = String::new();
        f(&mut out).expect("writing to a String cannot fail");
        out
    }

    #[test]
    fn numbers_match_display() {
        for n in [0, 7, 10, 99, 1006, 65_535, u64::MAX] {
            assert_eq!(written(|out| write_u64(out, n)), n.to_string());
        }
    }

    #[test]
    fn quoting_matches_debug_for_ascii_and_controls() {
        for text in [
            "",
            "ws://x/#a",
            "a b",
            "tab\there",
            "\r\n\0",
            "quote \" and ' and \\",
            "\u{1}\u{7f}\u{9f}",
            "é€",
        ] {
            assert_eq!(
                written(|out| write_quoted_str(out, text)),
                format!("{text:?}")
            );
        }
        for c in [
            ' ', 'a', '\t', '\n', '\u{1}', '\u{7f}', '\'', '"', '\\', 'é',
        ] {
            assert_eq!(written(|out| write_quoted_char(out, c)), format!("{c:?}"));
        }
    }
}
