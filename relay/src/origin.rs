//! Which pages may open a WebSocket to the relay: the `Origin` check of every upgrade.
//!
//! Browsers send `Origin` with every WebSocket handshake and let any page connect anywhere, so
//! the server is the one to refuse pages it does not serve. Programs that are not browsers send
//! no `Origin` and are let in.

use axum::http::Uri;
use axum::http::uri::{Authority, Scheme};

/// Whether an upgrade with `origin` (the `Origin` header) to a relay reached as `host` (the
/// `Host` header) is allowed: no origin, the relay's own origin (`http://` or `https://` and
/// `host`), a loopback origin (`localhost`, `127.0.0.1` or `[::1]`, any port), or one of
/// `allowed` exactly.
pub(crate) fn allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    if allowed.iter().any(|listed| listed == origin) {
        return true;
    }
    let Some(origin) = Origin::parse(origin).filter(Origin::is_web) else {
        return false;
    };
    origin.is_loopback() || host.is_some_and(|host| origin.is_served_as(host))
}

/// Whether `value` has the shape of a serialised origin, `scheme://host[:port]` with no path,
/// for checking `--allow-origin`.
pub(crate) fn is_origin(value: &str) -> bool {
    Origin::parse(value).is_some_and(|origin| {
        origin
            .scheme
            .as_str()
            .starts_with(|first: char| first.is_ascii_alphabetic())
    })
}

/// A serialised origin, `scheme://host[:port]`.
#[derive(Debug)]
struct Origin {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(value: &str) -> Option<Self> {
        let uri: Uri = value.parse().ok()?;
        let (scheme, authority) = (uri.scheme()?, uri.authority()?);
        // `Uri` also takes a path, a query or a fragment (and reports none as the path `/`),
        // none of which an origin has.
        if !format!("{scheme}://{authority}").eq_ignore_ascii_case(value) {
            return None;
        }
        let (host, port) = host_and_port(authority)?;
        Some(Self {
            scheme: scheme.clone(),
            host: host.to_owned(),
            port,
        })
    }

    /// `http` or `https`: the origins of web pages.
    fn is_web(&self) -> bool {
        self.scheme == Scheme::HTTP || self.scheme == Scheme::HTTPS
    }

    fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host == "127.0.0.1"
            || self.host == "[::1]"
    }

    /// Whether this is the origin of pages served by a relay reached as `host`.
    fn is_served_as(&self, host: &str) -> bool {
        // Browsers leave the default port out of both headers, but a client may spell it out.
        let default = if self.scheme == Scheme::HTTPS {
            443
        } else {
            80
        };
        let Ok(host) = host.parse::<Authority>() else {
            return false;
        };
        let Some((name, port)) = host_and_port(&host) else {
            return false;
        };
        name.eq_ignore_ascii_case(&self.host)
            && port.unwrap_or(default) == self.port.unwrap_or(default)
    }
}

/// The host and port of `authority` if it is `host[:port]` alone: [`Authority`] also takes user
/// info, and reads an empty or non-numeric port as no port.
fn host_and_port(authority: &Authority) -> Option<(&str, Option<u16>)> {
    let host = authority.host();
    let bare = match authority.port() {
        Some(port) => authority.as_str() == format!("{host}:{port}"),
        None => authority.as_str() == host,
    };
    (bare && !host.is_empty()).then(|| (host, authority.port_u16()))
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
