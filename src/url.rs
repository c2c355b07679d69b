//! The one URL rule duplex-ws checks itself: no space or control character in the host.
//!
//! The URL Standard forbids them, and Firefox throws `SyntaxError`; Chromium 156 percent-encodes a space in
//! the host instead and fails later, asynchronously. Checking in Rust gives every browser the same error.

/// The first space or control character in the host of `url` (after percent-decoding), if any.
///
/// Works on bytes, with slice patterns and iterators: every character it looks for is ASCII, and `&str`
/// searching and slicing would link the two-way substring searcher and the string slicing panics.
pub(crate) fn forbidden_host_char(url: &str) -> Option<char> {
    let mut url = url.as_bytes();
    // Leading and trailing C0 controls and spaces are stripped before parsing.
    while let [first, rest @ ..] = url {
        if *first > b' ' {
            break;
        }
        url = rest;
    }
    while let [rest @ .., last] = url {
        if *last > b' ' {
            break;
        }
        url = rest;
    }
    let after_scheme = match after_scheme(url) {
        Some(rest) => rest,
        None => match url {
            [b'/', b'/', rest @ ..] => rest,
            _ => return None,
        },
    };
    let end = after_scheme
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(after_scheme.len());
    let authority = after_scheme.get(..end).unwrap_or_default();
    let host = match authority.iter().rposition(|b| *b == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    // The parser drops tabs and newlines anywhere in the input before it looks at the host.
    let mut bytes = host
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'));
    while let Some(byte) = bytes.next() {
        let byte = if byte == b'%' {
            let mut lookahead = bytes.clone();
            match (
                lookahead.next().and_then(hex),
                lookahead.next().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    bytes = lookahead;
                    high << 4 | low
                }
                _ => byte,
            }
        } else {
            byte
        };
        if byte == b' ' || byte.is_ascii_control() {
            return Some(char::from(byte));
        }
    }
    None
}

/// What follows `scheme://`, if `url` starts with a valid scheme and `://`. A scheme holds no `:`, so the
/// first `:` is the one that ends it.
fn after_scheme(url: &[u8]) -> Option<&[u8]> {
    let colon = url.iter().position(|b| *b == b':')?;
    let scheme = url.get(..colon)?;
    match url.get(colon..)? {
        [b':', b'/', b'/', rest @ ..] if is_scheme(scheme) => Some(rest),
        _ => None,
    }
}

fn is_scheme(scheme: &[u8]) -> bool {
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::forbidden_host_char;

    #[test]
    fn spaces_and_controls_in_the_host_are_found() {
        assert_eq!(forbidden_host_char("ws://exa mple.com/"), Some(' '));
        assert_eq!(forbidden_host_char("wss://a%20b:443/"), Some(' '));
        assert_eq!(forbidden_host_char("http://user@a%09b/"), Some('\t'));
        assert_eq!(forbidden_host_char("ws://a\u{1}b/"), Some('\u{1}'));
        assert_eq!(forbidden_host_char("//a b/x"), Some(' '));
        assert_eq!(forbidden_host_char("ws://a%7Fb/"), Some('\u{7f}'));
        assert_eq!(forbidden_host_char(" wss+x.1://a b:1@c d"), Some(' '));
    }

    #[test]
    fn valid_hosts_and_other_parts_pass() {
        for url in [
            "ws://example.com/chat",
            "ws://127.0.0.1:8080/echo?room=a b#",
            "ws://example.com/a b",
            "ws://user:pa ss@example.com/",
            "ws://a\tb.com/",
            "ws://[::1]:80/",
            "ws://a%41b/",
            "ws://a%2/",
            "/relative path",
            "not a url",
            "  ws://example.com/  ",
            "\u{1}ws://example.com\u{1f}",
            "a:b://x y/",
            "1a://x y/",
            "ws:x y",
        ] {
            assert_eq!(forbidden_host_char(url), None, "{url}");
        }
    }
}
