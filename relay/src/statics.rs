//! The static files of [`crate::Config::root`], with a guard that keeps its `test/` folder out
//! of reach: `/test` belongs to the test endpoints (or is a 404), never to files.

use std::convert::Infallible;
use std::path::PathBuf;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower::{Layer as _, Service};
use tower_http::services::ServeDir;

/// The folder of `root` that is never served.
const HIDDEN: &[u8] = b"test";

/// `root` served as static files, every path that names its `test/` folder answered `404`.
pub(crate) fn files(
    root: PathBuf,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
+ Clone
+ Send
+ Sync
+ 'static {
    middleware::from_fn(hide_test).layer(ServeDir::new(root))
}

async fn hide_test(request: Request, next: Next) -> Response {
    if names_test(request.uri().path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

/// Whether `path` (a request's, still percent-encoded) reaches the `test` folder of the root, or
/// climbs with `..`, however it is spelled.
///
/// It is read as `ServeDir` reads it: percent-decoded once (`%2574est` is the folder `%74est`),
/// empty and `.` segments dropped, so `/%74est/`, `//test/`, `/./test/` and `/test%2f...` are
/// all `test`. `ServeDir` refuses every `..` with a 404, so this does too, before any segment is
/// looked at. Segments are also split at `\`, a separator on Windows. The name is compared
/// ignoring ASCII case, and without trailing dots and spaces: on Linux `TEST` and `test.` are
/// other folders (so hiding them too costs nothing), but macOS and Windows fold case by
/// default, and Windows drops those trailing characters when it opens a path.
fn names_test(path: &str) -> bool {
    let decoded: Vec<u8> = percent_decode_str(path).collect();
    let mut segments = decoded
        .split(|&byte| byte == b'/' || byte == b'\\')
        .filter(|segment| !matches!(*segment, b"" | b"."));
    if segments.clone().any(|segment| segment == b"..") {
        return true;
    }
    segments.next().is_some_and(|first| {
        let end = first
            .iter()
            .rposition(|byte| !matches!(byte, b'.' | b' '))
            .map_or(0, |last| last + 1);
        first[..end].eq_ignore_ascii_case(HIDDEN)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_test_is_hidden() {
        for path in [
            "/test",
            "/test/",
            "/test/secret.txt",
            "/%74est/secret.txt",
            "/%74%65%73%74/secret.txt",
            "/./test/secret.txt",
            "//test/secret.txt",
            "///test//secret.txt",
            "/test%2fsecret.txt",
            "/test%2Fsecret.txt",
            "/%2ftest/secret.txt",
            "/test%5csecret.txt",
            "/test\\secret.txt",
            "/.%2ftest/secret.txt",
            "/%2e/test/secret.txt",
            "/x/../test/secret.txt",
            "/x/%2e%2e/test/secret.txt",
            "/../index.html",
            "/TEST/secret.txt",
            "/Test/secret.txt",
            "/test./secret.txt",
            "/test%20/secret.txt",
            "/test. /secret.txt",
        ] {
            assert!(names_test(path), "{path} should be hidden");
        }
    }

    #[test]
    fn other_paths_are_served() {
        for path in [
            "/",
            "/index.html",
            "/secret-other.txt",
            "/www/test/app.js",
            "/tests/a.txt",
            "/testing",
            "/test-other.txt",
            "/%2574est/secret.txt",
            "/.test/secret.txt",
            "/x/..a/b",
        ] {
            assert!(!names_test(path), "{path} should be served");
        }
    }
}
