//! The shape of every WebSocket handshake ([RFC 6455 section 4.2.1]), checked before any
//! endpoint sees it; a malformed one is answered `400 Bad Request` with what is wrong.
//!
//! axum's `WebSocketUpgrade` (and `raw`'s hand-made handshakes) already refuse a method other
//! than `GET` (405), a first `Upgrade` header that is not `websocket` and a missing
//! `Sec-WebSocket-Key` (400), and hyper only upgrades HTTP/1.1. Checked here: HTTP/1.1, exactly
//! one valid `Host` (and the same authority in an absolute request target), the token `upgrade`
//! in `Connection` (axum looks for the substring in the first line only), exactly one
//! `Sec-WebSocket-Key` that is base64 for 16 bytes, exactly one `Sec-WebSocket-Version: 13`
//! (answered with the version this relay speaks, as section 4.2.2 asks; axum reads the first
//! line only and leaves it out), and at most one `Origin`.
//!
//! [RFC 6455 section 4.2.1]: https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1

use axum::extract::Request;
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::origin;

/// The one WebSocket version this relay speaks.
const VERSION: &str = "13";

/// The length of a decoded `Sec-WebSocket-Key`.
const KEY_BYTES: usize = 16;

/// The headers of a well-formed handshake that the `Origin` check reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upgrade<'a> {
    /// The one `Host` header: the authority the client asked for, `host[:port]`.
    pub(crate) host: &'a str,
    /// The one `Origin` header, if there is one.
    pub(crate) origin: Option<&'a HeaderValue>,
}

/// Why a WebSocket upgrade request is not a handshake the relay answers: each is a
/// `400 Bad Request` whose plain-text body says which; the client should fix its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Not HTTP/1.1, the only version a WebSocket handshake is defined on here.
    NotHttp11,
    /// No `Host` header.
    NoHost,
    /// More than one `Host` header.
    SeveralHosts,
    /// A `Host` that is not `host[:port]`.
    BadHost,
    /// An absolute request target whose authority is not the `Host`.
    TargetNotHost,
    /// No `upgrade` token in `Connection`.
    NoConnectionUpgrade,
    /// No `Sec-WebSocket-Key` header.
    NoKey,
    /// More than one `Sec-WebSocket-Key` header.
    SeveralKeys,
    /// A `Sec-WebSocket-Key` that is not base64 for 16 bytes.
    BadKey,
    /// `Sec-WebSocket-Version` missing, repeated or not `13`; the answer names `13`.
    BadVersion,
    /// More than one `Origin` header: no browser sends that (RFC 6454 section 7.3).
    SeveralOrigins,
}

impl Malformed {
    /// The body of the `400`.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::NotHttp11 => "a WebSocket handshake must be an HTTP/1.1 request\n",
            Self::NoHost => "a WebSocket handshake needs a Host header\n",
            Self::SeveralHosts => "a WebSocket handshake has one Host header, not several\n",
            Self::BadHost => "the Host header is not host[:port]\n",
            Self::TargetNotHost => "the request target's authority is not the Host header\n",
            Self::NoConnectionUpgrade => "a WebSocket handshake needs Connection: upgrade\n",
            Self::NoKey => "a WebSocket handshake needs a Sec-WebSocket-Key header\n",
            Self::SeveralKeys => {
                "a WebSocket handshake has one Sec-WebSocket-Key header, not several\n"
            }
            Self::BadKey => "Sec-WebSocket-Key must be 16 bytes in base64\n",
            Self::BadVersion => "a WebSocket handshake needs one Sec-WebSocket-Version: 13\n",
            Self::SeveralOrigins => "a WebSocket handshake has one Origin header, not several\n",
        }
    }
}

impl IntoResponse for Malformed {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::BAD_REQUEST, self.message()).into_response();
        if self == Self::BadVersion {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static(VERSION),
            );
        }
        response
    }
}

/// Checks the handshake `request` (already known to ask for `Upgrade: websocket`).
///
/// # Errors
///
/// The first thing found wrong, in the order of [`Malformed`]'s variants.
pub(crate) fn check(request: &Request) -> Result<Upgrade<'_>, Malformed> {
    if request.version() != Version::HTTP_11 {
        return Err(Malformed::NotHttp11);
    }
    let headers = request.headers();
    let host = host(headers, request.uri())?;
    if !has_token(headers, &header::CONNECTION, "upgrade") {
        return Err(Malformed::NoConnectionUpgrade);
    }
    let key = only(headers, &header::SEC_WEBSOCKET_KEY)
        .map_err(|()| Malformed::SeveralKeys)?
        .ok_or(Malformed::NoKey)?;
    if !STANDARD
        .decode(key.as_bytes())
        .is_ok_and(|key| key.len() == KEY_BYTES)
    {
        return Err(Malformed::BadKey);
    }
    if !matches!(only(headers, &header::SEC_WEBSOCKET_VERSION), Ok(Some(version)) if version == VERSION)
    {
        return Err(Malformed::BadVersion);
    }
    let origin = only(headers, &header::ORIGIN).map_err(|()| Malformed::SeveralOrigins)?;
    Ok(Upgrade { host, origin })
}

/// The one `Host`, a valid authority, which an absolute request target must repeat.
fn host<'a>(headers: &'a HeaderMap, target: &Uri) -> Result<&'a str, Malformed> {
    let host = only(headers, &header::HOST)
        .map_err(|()| Malformed::SeveralHosts)?
        .ok_or(Malformed::NoHost)?;
    let host = host
        .to_str()
        .ok()
        .filter(|host| origin::is_authority(host))
        .ok_or(Malformed::BadHost)?;
    // RFC 9112 section 3.2.2: the target's authority wins over Host; requiring both to be the
    // same leaves no doubt which one the `Origin` check compared.
    match target.authority() {
        Some(authority) if !authority.as_str().eq_ignore_ascii_case(host) => {
            Err(Malformed::TargetNotHost)
        }
        _ => Ok(host),
    }
}

/// The value of `name` if it appears at most once; `Err` if it appears more often.
fn only<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (first, None) => Ok(first),
        (_, Some(_)) => Err(()),
    }
}

/// Whether a comma-separated `name` header, across all its lines, has `token` (ASCII case
/// ignored).
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::get("/chat");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).expect("a request")
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Host", "127.0.0.1:8080"),
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ]
    }

    fn without(name: &str) -> Vec<(&'static str, &'static str)> {
        good().into_iter().filter(|(key, _)| *key != name).collect()
    }

    fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut headers = without(name);
        headers.push((name, value));
        headers
    }

    fn plus(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut headers = good();
        headers.push((name, value));
        headers
    }

    fn error(headers: &[(&str, &str)]) -> Option<Malformed> {
        check(&request(headers)).err()
    }

    #[test]
    fn a_well_formed_handshake_passes() {
        let with_origin = request(&plus("Origin", "http://127.0.0.1:8080"));
        let upgrade = check(&with_origin).expect("well formed");
        assert_eq!(upgrade.host, "127.0.0.1:8080");
        assert_eq!(
            upgrade.origin.map(HeaderValue::as_bytes),
            Some(&b"http://127.0.0.1:8080"[..])
        );
        assert!(check(&request(&good())).is_ok_and(|upgrade| upgrade.origin.is_none()));
        let mut absolute = request(&good());
        *absolute.uri_mut() = Uri::from_static("http://127.0.0.1:8080/chat");
        assert!(check(&absolute).is_ok());
    }

    #[test]
    fn host_problems() {
        assert_eq!(error(&without("Host")), Some(Malformed::NoHost));
        assert_eq!(
            error(&plus("Host", "evil.example")),
            Some(Malformed::SeveralHosts)
        );
        for bad in ["", "user@a.example", "a.example:x", "a.example/path", "a b"] {
            assert_eq!(
                error(&with("Host", bad)),
                Some(Malformed::BadHost),
                "{bad:?}"
            );
        }
        let mut elsewhere = request(&good());
        *elsewhere.uri_mut() = Uri::from_static("http://evil.example/chat");
        assert_eq!(check(&elsewhere).err(), Some(Malformed::TargetNotHost));
    }

    #[test]
    fn connection_needs_the_upgrade_token() {
        assert_eq!(
            error(&without("Connection")),
            Some(Malformed::NoConnectionUpgrade)
        );
        assert_eq!(
            error(&with("Connection", "keep-alive, notupgrade")),
            Some(Malformed::NoConnectionUpgrade)
        );
        assert_eq!(error(&with("Connection", "UPGRADE")), None);
    }

    #[test]
    fn key_problems() {
        assert_eq!(error(&without("Sec-WebSocket-Key")), Some(Malformed::NoKey));
        assert_eq!(
            error(&plus("Sec-WebSocket-Key", KEY)),
            Some(Malformed::SeveralKeys)
        );
        for bad in [
            "",
            "not base64 at all!",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25j",
            "dGhlIHNhbXBsZSBub25jZSE=",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==",
        ] {
            assert_eq!(
                error(&with("Sec-WebSocket-Key", bad)),
                Some(Malformed::BadKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn version_problems() {
        assert_eq!(
            error(&without("Sec-WebSocket-Version")),
            Some(Malformed::BadVersion)
        );
        assert_eq!(
            error(&with("Sec-WebSocket-Version", "8")),
            Some(Malformed::BadVersion)
        );
        assert_eq!(
            error(&plus("Sec-WebSocket-Version", "8")),
            Some(Malformed::BadVersion)
        );
        let answer = Malformed::BadVersion.into_response();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            answer.headers().get(header::SEC_WEBSOCKET_VERSION),
            Some(&HeaderValue::from_static("13"))
        );
    }

    #[test]
    fn one_origin_at_most() {
        let mut headers = plus("Origin", "http://127.0.0.1:8080");
        headers.push(("Origin", "http://evil.example"));
        assert_eq!(error(&headers), Some(Malformed::SeveralOrigins));
    }

    #[test]
    fn only_http_11() {
        let mut request = request(&good());
        *request.version_mut() = Version::HTTP_10;
        assert_eq!(check(&request).err(), Some(Malformed::NotHttp11));
    }
}
