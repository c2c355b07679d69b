//! The benchmark page (`bench/`) in a real browser against the relay with its test endpoints: a
//! smoke run of `cargo xtask bench`, so a client that breaks fails CI rather than the next
//! benchmark. It measures nothing: the numbers are only checked to be there and positive.
//!
//! It needs a browser, a driver and the built page, so it runs with the end-to-end tests, not in
//! the native suite (which runs this crate's unit tests with `--lib --bins`). `cargo xtask test`
//! runs it in each browser with the environment of the e2e tests (see `duplex_e2e`):
//! `DUPLEX_E2E_BROWSER=chromium cargo test -p duplex-bench --test page`.
//!
//! Checklist:
//! - [x] every case (pipelined, ping-pong, flood) runs in every client (raw JS twice, web-sys by hand,
//!   duplex-ws callback, duplex-ws Stream/Sink, gloo-net) for every measured round, with no failed run
//! - [x] each run returns a positive time, and ping-pong one round trip per message
//! - [x] the per-message microbenchmark gives a time per message for every kind and size
//! - [x] after 200 sockets opened and closed and 50 reconnect cycles: no live closure, no live
//!   timer, no connection left at the relay
//! - [x] the report renders a row per case and the churn
//! - [x] no uncaught error, unhandled rejection or `console.error`

// The runner, and so its test, is native.
#![cfg(not(target_arch = "wasm32"))]

use duplex_bench::measure::measure;
use duplex_bench::page::{BENCH_FILES, BenchPage};
use duplex_bench::plan::{self, Client, Scale};
use duplex_bench::report;
use duplex_bench::stats::Sample;
use duplex_e2e::{Relay, Session, Setup};

#[tokio::test]
async fn every_client_runs_every_case_and_the_churn_leaves_nothing_behind() {
    // Only the benchmark page is needed, not the demo pages `Setup::from_env` checks for.
    let setup = Setup::locate().expect("the e2e environment");
    setup
        .require(BENCH_FILES)
        .expect("the benchmark page is built");
    let relay = Relay::with_test_endpoints(&setup.root).expect("start the relay");
    let session = Session::start(&setup, "bench-page")
        .await
        .expect("start the browser");
    let page = BenchPage::load(session, &relay.base_url())
        .await
        .expect("load the benchmark page");
    page.session()
        .install_error_hooks()
        .await
        .expect("install the error hooks");

    let results = measure(&page, Scale::Smoke, None, |_| {})
        .await
        .expect("run the smoke benchmark");
    assert_eq!(results.failures, Vec::<String>::new());
    assert_eq!(results.cases.len(), plan::cases(Scale::Smoke).len());
    for result in &results.cases {
        for client in Client::ALL {
            let samples = result.samples(client);
            assert_eq!(
                samples.len(),
                Scale::Smoke.rounds(),
                "{client:?} in {:?}",
                result.case
            );
            for sample in &samples {
                match sample {
                    Sample::Elapsed(ms) => {
                        assert!(*ms > 0.0, "{client:?} {:?}: {ms} ms", result.case)
                    }
                    Sample::RoundTrips(rtts) => {
                        assert_eq!(rtts.len(), result.case.count as usize);
                        assert!(rtts.iter().all(|rtt| *rtt >= 0.0), "{rtts:?}");
                    }
                }
            }
        }
    }
    assert_eq!(
        results.per_message.len(),
        2 * plan::SIZES.len(),
        "text and binary"
    );
    for cost in &results.per_message {
        assert!(
            cost.micros
                .iter()
                .all(|micros| micros.is_finite() && *micros >= 0.0),
            "{cost:?}"
        );
    }
    assert_eq!(results.churn.len(), 2);
    for churn in &results.churn {
        assert_eq!(
            (
                churn.after.closures,
                churn.after.timers,
                churn.after.relay_connections
            ),
            (0, 0, 0),
            "{}: closures, timers and relay connections left",
            churn.label
        );
    }
    let text = report::render(&results);
    assert!(text.contains("| binary 64 KiB × 20 |"), "{text}");
    assert!(text.contains("reconnect cycles"), "{text}");
    assert_eq!(
        page.session()
            .page_errors()
            .await
            .expect("read the page's errors"),
        Vec::<String>::new()
    );
    page.close().await.expect("end the session");
}
