//! Which pages may open a WebSocket to the relay: the `Origin` check of every upgrade.
//!
//! Browsers send `Origin` with every WebSocket handshake and let any page connect anywhere, so
//! the server is the one to refuse pages it does not serve. Programs that are not browsers send
//! no `Origin` and are let in.

/// Whether an upgrade with `origin` (the `Origin` header) to a relay reached as `host` (the
/// `Host` header) is allowed: no origin, the relay's own origin (`http://` or `https://` and
/// `host`), a loopback origin (`localhost`, `127.0.0.1` or `[::1]`, any port), or one of
/// `allowed` exactly.
pub(crate) fn allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    allowed.iter().any(|listed| listed == origin)
        || host.is_some_and(|host| same_origin(origin, host))
        || is_loopback(origin)
}

/// Whether `value` has the shape of a serialised origin, `scheme://host[:port]` with no path,
/// for checking `--allow-origin`.
pub(crate) fn is_origin(value: &str) -> bool {
    let Some((scheme, authority)) = value.split_once("://") else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    scheme_chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && split_authority(authority).is_some()
}

/// `http` or `https` (any case) and the authority after `://`.
fn web_origin(origin: &str) -> Option<(&'static str, &str)> {
    let (scheme, authority) = origin.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("http") {
        "http"
    } else if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else {
        return None;
    };
    Some((scheme, authority))
}

/// The host and the optional port of an authority with no user info, path, query or fragment.
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace())
    {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => (host, None),
            rest => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty() && (host.starts_with('[') || !host.contains(':'));
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some((host, port))
}

fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = web_origin(origin) else {
        return false;
    };
    // Browsers leave the default port out of both headers, but a client may spell it out.
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let without_default =
        |value: &str| value.strip_suffix(default_port).unwrap_or(value).to_owned();
    split_authority(authority).is_some()
        && without_default(authority).eq_ignore_ascii_case(&without_default(host))
}

fn is_loopback(origin: &str) -> bool {
    let Some((_, authority)) = web_origin(origin) else {
        return false;
    };
    let Some((host, _)) = split_authority(authority) else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Option<&str> = Some("chat.example:8080");

    fn check(origin: &str) -> bool {
        allowed(Some(origin), HOST, &["https://friend.example".to_owned()])
    }

    #[test]
    fn allowed_origins() {
        assert!(allowed(None, HOST, &[]));
        assert!(allowed(None, None, &[]));
        for origin in [
            "http://chat.example:8080",
            "https://chat.example:8080",
            "HTTP://Chat.Example:8080",
            "http://localhost",
            "http://localhost:3000",
            "https://LOCALHOST:1",
            "http://127.0.0.1:8080",
            "https://127.0.0.1",
            "http://[::1]:9000",
            "http://[::1]",
            "https://friend.example",
        ] {
            assert!(check(origin), "{origin} should be allowed");
        }
        assert!(allowed(
            Some("https://a.example"),
            Some("a.example:443"),
            &[]
        ));
        assert!(allowed(Some("http://a.example:80"), Some("a.example"), &[]));
    }

    #[test]
    fn refused_origins() {
        for origin in [
            "https://evil.example",
            "http://chat.example",
            "http://chat.example:8081",
            "ws://chat.example:8080",
            "file://localhost",
            "null",
            "",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://evil.example#@localhost",
            "http://localhost/path",
            "http://localhost:",
            "http://localhost:80x",
            "http://user@localhost",
            "http://[::2]",
            "https://friend.example/",
            "https://friend.example:443",
            "http://friend.example",
        ] {
            assert!(!check(origin), "{origin} should be refused");
        }
    }

    #[test]
    fn origin_shapes() {
        for good in [
            "https://a.example",
            "http://a.example:8080",
            "http://[::1]:80",
            "app+x://thing",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "a.example",
            "https://a.example/",
            "https://",
            "https://a.example:x",
            "null",
            "://a",
            "1http://a",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
