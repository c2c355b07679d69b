//! The one URL rule duplex-ws checks itself: no space or control character in the host.
//!
//! The URL Standard forbids them, and Firefox throws `SyntaxError`; Chromium 156 percent-encodes a space in
//! the host instead and fails later, asynchronously. Checking in Rust gives every browser the same error.

/// The first space or control character in the host of `url` (after percent-decoding), if any.
pub(crate) fn forbidden_host_char(url: &str) -> Option<char> {
    let url = url.trim_matches(|c: char| c <= ' ');
    let after_scheme = match url.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => rest,
        _ => url.strip_prefix("//")?,
    };
    let authority = after_scheme
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    // The parser drops tabs and newlines anywhere in the input before it looks at the host.
    let mut bytes = host.bytes().filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'));
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

fn is_scheme(scheme: &str) -> bool {
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
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
        ] {
            assert_eq!(forbidden_host_char(url), None, "{url}");
        }
    }
}
