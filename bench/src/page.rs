//! [`BenchPage`]: the benchmark page (`bench/index.html`) in a browser session, with one call per
//! run. The page does the timing; this side only asks and collects.

use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use duplex_e2e::{Error, Session, wait};

use crate::plan::{Case, Client};
use crate::stats::Sample;

/// Where the page is on a relay serving the repository root.
pub const BENCH_PAGE: &str = "/bench/";

/// The files the page needs, relative to the repository root (`bench/pkg/`, the bindings of the
/// `page` example, is built by `cargo xtask bench`, and by `cargo xtask test` for the smoke run).
pub const BENCH_FILES: [&str; 5] = [
    "bench/index.html",
    "bench/bench.js",
    "bench/style.css",
    "bench/pkg/page.js",
    "bench/pkg/page_bg.wasm",
];

/// How long one call into the page may take; a run takes seconds at most.
pub const CALL_LIMIT: Duration = Duration::from_secs(300);

/// What the page says about the browser it runs in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PageInfo {
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `window.crossOriginIsolated`: browsers give `performance.now()` fine resolution only then.
    pub cross_origin_isolated: bool,
    /// The smallest step of `performance.now()` seen, in milliseconds.
    pub timer_step_ms: f64,
}

/// What the page counts before and after the churn.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Counters {
    /// `duplex_ws::live_closures()`.
    pub closures: u32,
    /// `duplex_ws::live_timers()`.
    pub timers: u32,
    /// The wasm linear memory, in bytes.
    pub wasm_memory_bytes: f64,
    /// The relay's live WebSocket connections (`/test/connections?wait_for=0`: it waits up to
    /// 5 s for them to close).
    pub relay_connections: u32,
}

/// The benchmark page, loaded and ready, in `session`.
#[derive(Debug)]
pub struct BenchPage {
    session: Session,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ok(Value),
    Error(String),
}

#[derive(Deserialize)]
struct Timed {
    elapsed_ms: Option<f64>,
    rtts_ms: Option<Vec<f64>>,
}

impl BenchPage {
    /// Loads [`BENCH_PAGE`] from `base_url` (a relay with `--test-endpoints`) and waits until
    /// its wasm has started.
    ///
    /// # Errors
    /// WebDriver errors; [`Error::Page`] if the page does not start (is `bench/pkg/` built?).
    pub async fn load(session: Session, base_url: &str) -> Result<Self, Error> {
        let url = format!("{base_url}{BENCH_PAGE}");
        wait::command(&format!("open {url}"), session.client().goto(&url)).await?;
        let long = TimeoutConfiguration::new(Some(CALL_LIMIT), None, None);
        wait::command(
            "set the script time limit",
            session.client().update_timeouts(long),
        )
        .await?;
        let page = Self { session };
        page.call::<Value>("window.duplexBench.ready", json!(null))
            .await
            .map_err(|error| {
                Error::Page(format!(
                    "the benchmark page at {url} did not start ({error}); is bench/pkg/ built? \
                     `cargo xtask bench` builds it"
                ))
            })?;
        Ok(page)
    }

    /// The browser session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Ends the browser session.
    ///
    /// # Errors
    /// Those of [`Session::close`].
    pub async fn close(self) -> Result<(), Error> {
        self.session.close().await
    }

    /// The browser's name and version, from the WebDriver session: `chrome 156.0.7390.54`.
    pub fn browser_version(&self) -> String {
        let capabilities = self.session.client().capabilities();
        let field = |name: &str| {
            capabilities
                .and_then(|capabilities| capabilities.get(name))
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned()
        };
        format!("{} {}", field("browserName"), field("browserVersion"))
    }

    /// What the page reports about its browser.
    ///
    /// # Errors
    /// WebDriver errors, or a page error.
    pub async fn info(&self) -> Result<PageInfo, Error> {
        self.call("window.duplexBench.info()", json!(null)).await
    }

    /// One run of `client` in `case`.
    ///
    /// # Errors
    /// The client's error (a failed connect, a wrong echo, an early close) as [`Error::Page`];
    /// WebDriver errors.
    pub async fn run(&self, case: &Case, client: Client) -> Result<Sample, Error> {
        let mut spec = serde_json::to_value(case)
            .map_err(|error| Error::Page(format!("cannot encode {case:?}: {error}")))?;
        spec["client"] = json!(client);
        let timed: Timed = self
            .call("window.duplexBench.run(arguments[0])", spec)
            .await?;
        match timed {
            Timed {
                elapsed_ms: Some(ms),
                ..
            } => Ok(Sample::Elapsed(ms)),
            Timed {
                rtts_ms: Some(rtts),
                ..
            } if rtts.len() == case.count as usize => Ok(Sample::RoundTrips(rtts)),
            Timed {
                rtts_ms: Some(rtts),
                ..
            } => Err(Error::Page(format!(
                "{client:?} returned {} round trips for {} messages",
                rtts.len(),
                case.count
            ))),
            _ => Err(Error::Page(format!("{client:?} returned no timing"))),
        }
    }

    /// Opens and closes `total` sockets, `batch` at a time, with the callback API; returns the
    /// milliseconds it took.
    ///
    /// # Errors
    /// A socket that did not open or close, as [`Error::Page`]; WebDriver errors.
    pub async fn churn_sockets(&self, total: u32, batch: u32) -> Result<f64, Error> {
        let spec = json!({ "scenario": "churn_sockets", "total": total, "batch": batch });
        self.elapsed(spec).await
    }

    /// Runs one `ReconnectingWebSocket` through `cycles` open-close-reconnect cycles; returns
    /// the milliseconds it took.
    ///
    /// # Errors
    /// As [`BenchPage::churn_sockets`].
    pub async fn churn_reconnect(&self, cycles: u32) -> Result<f64, Error> {
        let spec = json!({ "scenario": "churn_reconnect", "cycles": cycles });
        self.elapsed(spec).await
    }

    /// Microseconds per received message of `size` bytes for each client's handler (raw JS, web-sys by
    /// hand, duplex-ws's `on_message` and `on_js_message`), each the mean of `count` synthetic events
    /// holding a real echo; then the copy a text send makes (0 for binary); then `on_message` and a
    /// `WsStream` read by its own task, with each event in a browser task of its own.
    ///
    /// # Errors
    /// A page error, or an answer without five times; WebDriver errors.
    pub async fn per_message(
        &self,
        binary: bool,
        size: u32,
        count: u32,
    ) -> Result<[f64; 7], Error> {
        let spec = json!({ "binary": binary, "size": size, "count": count });
        let times: Vec<f64> = self
            .call("window.duplexBench.perMessage(arguments[0])", spec)
            .await?;
        <[f64; 7]>::try_from(times.as_slice())
            .map_err(|_| Error::Page(format!("perMessage gave {} times, not 7", times.len())))
    }

    /// Live closures and timers, wasm memory and the relay's live connections, now.
    ///
    /// # Errors
    /// WebDriver errors, or a page error.
    pub async fn counters(&self) -> Result<Counters, Error> {
        self.call("window.duplexBench.counters()", json!(null))
            .await
    }

    async fn elapsed(&self, spec: Value) -> Result<f64, Error> {
        let described = spec.to_string();
        let timed: Timed = self
            .call("window.duplexBench.churn(arguments[0])", spec)
            .await?;
        timed
            .elapsed_ms
            .ok_or_else(|| Error::Page(format!("{described} returned no timing")))
    }

    /// Awaits the promise `expression` (which may use `arguments[0]`, that is `argument`) in the
    /// page and decodes what it resolves to; a rejection becomes [`Error::Page`].
    async fn call<T: DeserializeOwned>(
        &self,
        expression: &str,
        argument: Value,
    ) -> Result<T, Error> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             Promise.resolve()
                 .then(() => {expression})
                 .then((value) => done({{ ok: value ?? null }}),
                       (error) => done({{ error: String(error && error.message || error) }}));"
        );
        let command = self.session.client().execute_async(&script, vec![argument]);
        let answer = match tokio::time::timeout(CALL_LIMIT, command).await {
            Ok(answer) => answer.map_err(|source| Error::WebDriver {
                action: expression.to_owned(),
                source,
            })?,
            Err(_) => {
                return Err(Error::Unresponsive {
                    action: expression.to_owned(),
                    after: CALL_LIMIT,
                });
            }
        };
        match serde_json::from_value::<Answer>(answer.clone()) {
            Ok(Answer::Ok(value)) => serde_json::from_value(value.clone()).map_err(|error| {
                Error::Page(format!(
                    "{expression} gave an unreadable answer ({error}): {value}"
                ))
            }),
            Ok(Answer::Error(message)) => Err(Error::Page(format!("{expression}: {message}"))),
            Err(error) => Err(Error::Page(format!(
                "{expression} gave an unreadable answer ({error}): {answer}"
            ))),
        }
    }
}
