//! Query parameters of the `/test/*` endpoints: parsed by hand so a bad value is a plain 400.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The longest delay or timeout any endpoint accepts, in milliseconds (10 minutes).
pub(crate) const MAX_MS: u64 = 600_000;

/// A 400 answer with a plain-text message.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

#[derive(Debug)]
pub(crate) struct Params<'a>(pub(crate) &'a HashMap<String, String>);

impl<'a> Params<'a> {
    pub(crate) fn text(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).map(String::as_str)
    }

    /// An unsigned integer in `0..=max`, `default` when absent.
    pub(crate) fn number(&self, name: &str, default: u64, max: u64) -> Result<u64, BadRequest> {
        let Some(value) = self.text(name) else {
            return Ok(default);
        };
        match value.parse::<u64>() {
            Ok(number) if number <= max => Ok(number),
            Ok(_) => Err(BadRequest(format!(
                "{name} must be at most {max}, got {value}"
            ))),
            Err(_) => Err(BadRequest(format!(
                "{name} must be an unsigned integer, got {value:?}"
            ))),
        }
    }

    /// Milliseconds in `0..=MAX_MS`, `default` when absent.
    pub(crate) fn millis(&self, name: &str, default: u64) -> Result<Duration, BadRequest> {
        self.number(name, default, MAX_MS)
            .map(Duration::from_millis)
    }

    /// `0`/`1` (or `false`/`true`), `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, BadRequest> {
        match self.text(name) {
            None => Ok(default),
            Some("1" | "true") => Ok(true),
            Some("0" | "false") => Ok(false),
            Some(value) => Err(BadRequest(format!("{name} must be 0 or 1, got {value:?}"))),
        }
    }

    /// One of `kinds`, the first when absent.
    pub(crate) fn kind<'k>(&self, name: &str, kinds: &[&'k str]) -> Result<&'k str, BadRequest> {
        let Some(value) = self.text(name) else {
            return kinds
                .first()
                .copied()
                .ok_or_else(|| BadRequest(format!("{name} has no values")));
        };
        kinds
            .iter()
            .copied()
            .find(|kind| *kind == value)
            .ok_or_else(|| {
                BadRequest(format!(
                    "{name} must be one of {}, got {value:?}",
                    kinds.join("|")
                ))
            })
    }
}
