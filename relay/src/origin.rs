//! Which pages may open a WebSocket to the relay: the `Origin` check of every upgrade.
//!
//! Browsers send `Origin` with every WebSocket handshake and let any page connect anywhere, so
//! the server is the one to refuse pages it does not serve. Programs that are not browsers send
//! no `Origin` and are let in.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::http::Uri;
use axum::http::uri::{Authority, Scheme};

/// Whether an upgrade with `origin` (the one `Origin` header) to a relay reached as `host` (the
/// one `Host` header) is allowed: no origin, one of `allowed` exactly, a loopback origin
/// (`localhost`, `127.0.0.1` or `[::1]`, any port), or the relay's own origin (`http://` or
/// `https://` and `host`) when `host` is one the relay can trust (see [`trusted_host`]).
pub(crate) fn allowed(origin: Option<&str>, host: &str, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    if allowed.iter().any(|listed| listed == origin) {
        return true;
    }
    let Some(origin) = Origin::parse(origin).filter(Origin::is_web) else {
        return false;
    };
    origin.is_loopback() || (trusted_host(host, allowed) && origin.is_served_as(host))
}

/// Whether the `Host` header `host` may stand for the relay's own origin.
///
/// A page of a DNS-rebinding attack is served from the attacker's name, which then resolves to
/// the relay: its browser sends `Host: evil.example` and `Origin: http://evil.example`, so a
/// Host that is a DNS name proves nothing and is trusted only when the operator named it with
/// `--allow-origin`. An IP literal is trusted: no name is resolved, so a page whose origin is
/// `http://203.0.113.5:8080` was loaded from that very address and port, the relay's, and a
/// browser's Host is the address it connected to. Loopback names are trusted too (browsers
/// resolve `localhost` to loopback themselves, and loopback origins are allowed anyway).
fn trusted_host(host: &str, allowed: &[String]) -> bool {
    let Some(name) = host
        .parse::<Authority>()
        .ok()
        .and_then(|host| host_and_port(&host).map(|(name, _)| name.to_owned()))
    else {
        return false;
    };
    is_loopback(&name)
        || is_ip_literal(&name)
        || allowed
            .iter()
            .filter_map(|listed| Origin::parse(listed))
            .any(|listed| listed.is_web() && listed.host.eq_ignore_ascii_case(&name))
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

/// Whether `value` is `host[:port]` and nothing else (no user info, no path, a numeric port):
/// a valid `Host` header.
pub(crate) fn is_authority(value: &str) -> bool {
    value
        .parse::<Authority>()
        .is_ok_and(|authority| host_and_port(&authority).is_some())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// `192.0.2.1` or `[2001:db8::1]`, as URLs and `Host` headers spell IP addresses.
fn is_ip_literal(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|host| host.strip_suffix(']'))
            .is_some_and(|host| host.parse::<Ipv6Addr>().is_ok())
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
        is_loopback(&self.host)
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

    const HOST: &str = "198.51.100.7:8080";

    fn listed() -> Vec<String> {
        vec![
            "https://friend.example".to_owned(),
            "http://chat.example:8080".to_owned(),
        ]
    }

    fn check(origin: &str) -> bool {
        allowed(Some(origin), HOST, &listed())
    }

    #[test]
    fn allowed_origins() {
        assert!(allowed(None, HOST, &[]));
        assert!(allowed(None, "evil.example", &[]));
        for origin in [
            "http://198.51.100.7:8080",
            "https://198.51.100.7:8080",
            "HTTP://198.51.100.7:8080",
            "http://localhost",
            "http://localhost:3000",
            "https://LOCALHOST:1",
            "http://127.0.0.1:8080",
            "https://127.0.0.1",
            "http://[::1]:9000",
            "http://[::1]",
            "https://friend.example",
            "http://chat.example:8080",
        ] {
            assert!(check(origin), "{origin} should be allowed");
        }
        // The own origin with a Host that is an IP literal, loopback, or named by the operator.
        for (origin, host) in [
            ("https://192.0.2.1", "192.0.2.1:443"),
            ("http://192.0.2.1:80", "192.0.2.1"),
            ("http://[2001:db8::1]:8080", "[2001:db8::1]:8080"),
            ("http://localhost:8080", "localhost:8080"),
            ("https://chat.example:8080", "chat.example:8080"),
            ("http://Chat.Example:8080", "CHAT.example:8080"),
            ("https://friend.example:8443", "friend.example:8443"),
        ] {
            assert!(
                allowed(Some(origin), host, &listed()),
                "{origin} to {host} should be allowed"
            );
        }
    }

    #[test]
    fn refused_origins() {
        for origin in [
            "https://evil.example",
            "http://198.51.100.7",
            "http://198.51.100.7:8081",
            "ws://198.51.100.7:8080",
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
    fn a_dns_name_host_is_not_the_relay_unless_named() {
        // The shape of DNS rebinding: the attacker's page, its name resolved to the relay.
        for (origin, host) in [
            ("http://evil.example", "evil.example"),
            ("https://evil.example", "evil.example:443"),
            ("http://evil.example:8080", "evil.example:8080"),
            (
                "http://chat.example.evil.example:8080",
                "chat.example.evil.example:8080",
            ),
            ("http://192.0.2.1.nip.example", "192.0.2.1.nip.example"),
            ("http://localhost.", "localhost."),
        ] {
            assert!(
                !allowed(Some(origin), host, &listed()),
                "{origin} to {host} should be refused"
            );
            assert!(!allowed(Some(origin), host, &[]), "{origin} to {host}");
        }
        // Named, but the origin is another host or port than the one asked for.
        assert!(!allowed(
            Some("http://chat.example:9090"),
            "chat.example:8080",
            &listed()
        ));
        // A non-web origin names no host to trust.
        assert!(!allowed(
            Some("https://thing"),
            "thing",
            &["app+x://thing".to_owned()]
        ));
        // An IP literal Host is the relay's own only for the same address and port.
        assert!(!allowed(Some("http://192.0.2.2"), "192.0.2.1", &[]));
    }

    #[test]
    fn trusted_hosts() {
        for host in [
            "127.0.0.1:1",
            "localhost",
            "LocalHost:8080",
            "[::1]:80",
            "10.0.0.2",
            "[2001:db8::1]",
            "chat.example",
            "chat.example:1234",
        ] {
            assert!(trusted_host(host, &listed()), "{host}");
        }
        for host in [
            "evil.example",
            "chat.example.",
            "010.0.0.1",
            "1.2.3",
            "[::1",
            "2001:db8::1",
            "",
            "user@127.0.0.1",
        ] {
            assert!(!trusted_host(host, &listed()), "{host}");
        }
    }

    #[test]
    fn authorities() {
        for good in ["a.example", "a.example:80", "127.0.0.1:8080", "[::1]:1"] {
            assert!(is_authority(good), "{good}");
        }
        for bad in [
            "",
            "a.example:",
            "a.example:x",
            "u@a.example",
            "a.example/x",
            "a b",
        ] {
            assert!(!is_authority(bad), "{bad}");
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
