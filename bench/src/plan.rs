//! What `cargo xtask bench` measures: the clients, the cases, and the order of the runs.

use serde::Serialize;

/// One implementation of the same client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// The browser's `WebSocket` used straight from JavaScript: the limit.
    Js,
    /// The same JavaScript client again: the A/A control, how far two identical clients differ.
    JsAgain,
    /// A hand-written Rust client on plain web-sys closures, no library: the floor for Rust code, which
    /// pays the same copies across the wasm boundary as duplex-ws.
    WebSys,
    /// duplex-ws's callback API (`duplex_ws::WebSocket`).
    Callback,
    /// The same, with JS values (`on_js_message`, `send_js_string`, `send_array_buffer`): nothing copied
    /// into wasm memory.
    CallbackJs,
    /// duplex-ws's async layer (`duplex_ws::open`, `Stream` + `Sink`).
    Stream,
    /// gloo-net's `WebSocket` (`Stream` + `Sink`), the most used Rust crate.
    Gloo,
}

impl Client {
    /// Every client, raw JavaScript first: the order of the table's columns.
    pub const ALL: [Self; 7] = [
        Self::Js,
        Self::JsAgain,
        Self::WebSys,
        Self::Callback,
        Self::CallbackJs,
        Self::Stream,
        Self::Gloo,
    ];

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            Self::Js => "raw JS",
            Self::JsAgain => "raw JS again (A/A)",
            Self::WebSys => "web-sys by hand",
            Self::Callback => "duplex-ws callback",
            Self::CallbackJs => "duplex-ws callback, JS values",
            Self::Stream => "duplex-ws Stream/Sink",
            Self::Gloo => "gloo-net 0.7",
        }
    }

    /// The short name the ratio tables' headings use.
    pub fn short(self) -> &'static str {
        match self {
            Self::Js => "raw JS",
            Self::JsAgain => "A/A",
            Self::WebSys => "web-sys",
            Self::Callback => "callback",
            Self::CallbackJs => "callback JS",
            Self::Stream => "Stream/Sink",
            Self::Gloo => "gloo-net",
        }
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Sends `count` messages back to back to `/echo` and times until the last echo.
    Pipelined,
    /// Sends one message to `/echo` and waits for its echo, `count` times; times each.
    PingPong,
    /// Times from connecting to `/test/flood` until its `count`-th message.
    Flood,
}

/// One row of the results: a scenario with its message kind, size and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Case {
    /// What the run does.
    pub scenario: Scenario,
    /// Binary messages (`ArrayBuffer`) rather than text.
    pub binary: bool,
    /// Bytes per message (text is ASCII, so also characters).
    pub size: u32,
    /// Messages per run.
    pub count: u32,
}

impl Case {
    /// `Pipelined text 1 KiB` or `PingPong binary 32 B`: the scenario and the row heading.
    pub fn name(&self) -> String {
        format!("{:?} {}", self.scenario, self.label())
    }

    /// `text 1 KiB` or `binary 64 KiB`: the row heading.
    pub fn label(&self) -> String {
        let kind = if self.binary { "binary" } else { "text" };
        format!("{kind} {}", size_label(self.size))
    }
}

/// `32 B`, `1 KiB`, `64 KiB`.
pub fn size_label(size: u32) -> String {
    if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

/// The message sizes of the echo scenarios.
pub const SIZES: [u32; 3] = [32, 1024, 64 * 1024];

/// Messages of the receive flood.
pub const FLOOD_COUNT: u32 = 20_000;

/// Bytes per flood message.
pub const FLOOD_SIZE: u32 = 16;

/// Measured rounds per case in the benchmark, after [`WARM_UP_ROUNDS`]: a multiple of the number of
/// clients, so that every client runs in every position of the order equally often.
pub const ROUNDS: usize = 14;

/// Rounds run first and thrown away: the JIT, the allocator and the relay warm up.
pub const WARM_UP_ROUNDS: usize = 1;

/// How many messages a run sends and how many rounds a case gets: a run takes about a hundred
/// milliseconds or more (many timer steps), and there are enough rounds for an interval, yet the
/// whole benchmark takes minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The benchmark.
    Full,
    /// A quick pass that only shows every client works (the e2e test).
    Smoke,
}

impl Scale {
    /// Measured rounds per case.
    pub fn rounds(self) -> usize {
        match self {
            Self::Full => ROUNDS,
            Self::Smoke => 2,
        }
    }

    fn pipelined(self, size: u32) -> u32 {
        match (self, size) {
            (Self::Smoke, _) => 20,
            (Self::Full, 0..=64) => 2_000,
            (Self::Full, 65..=4096) => 1_000,
            (Self::Full, _) => 100,
        }
    }

    fn ping_pong(self, size: u32) -> u32 {
        match (self, size) {
            (Self::Smoke, _) => 10,
            (Self::Full, 0..=4096) => 500,
            (Self::Full, _) => 200,
        }
    }

    fn flood(self) -> u32 {
        match self {
            Self::Smoke => 1_000,
            Self::Full => FLOOD_COUNT,
        }
    }
}

/// Every case, in the order of the tables: pipelined then ping-pong, each text then binary by
/// size, then the flood.
pub fn cases(scale: Scale) -> Vec<Case> {
    let echo = |scenario: Scenario, count: fn(Scale, u32) -> u32| {
        [false, true].into_iter().flat_map(move |binary| {
            SIZES.into_iter().map(move |size| Case {
                scenario,
                binary,
                size,
                count: count(scale, size),
            })
        })
    };
    echo(Scenario::Pipelined, Scale::pipelined)
        .chain(echo(Scenario::PingPong, Scale::ping_pong))
        .chain([Case {
            scenario: Scenario::Flood,
            binary: false,
            size: FLOOD_SIZE,
            count: scale.flood(),
        }])
        .collect()
}

/// The clients in the order round `round` runs them: each round starts one client later, so
/// runs alternate (A B C ..., B C ... A, ...) and no client always goes first or last.
pub fn order(round: usize) -> [Client; 7] {
    let mut clients = Client::ALL;
    clients.rotate_left(round % Client::ALL.len());
    clients
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_and_kind_is_pipelined_and_ping_ponged_then_one_flood() {
        let cases = cases(Scale::Full);
        assert_eq!(cases.len(), 13);
        let labels: Vec<_> = cases.iter().take(6).map(Case::label).collect();
        assert_eq!(
            labels,
            [
                "text 32 B",
                "text 1 KiB",
                "text 64 KiB",
                "binary 32 B",
                "binary 1 KiB",
                "binary 64 KiB"
            ]
        );
        assert!(
            cases[..6]
                .iter()
                .all(|case| case.scenario == Scenario::Pipelined)
        );
        assert!(
            cases[6..12]
                .iter()
                .all(|case| case.scenario == Scenario::PingPong)
        );
        assert_eq!(cases[12].scenario, Scenario::Flood);
        assert_eq!(cases[12].count, 20_000);
        assert_eq!(Scale::Full.rounds() % Client::ALL.len(), 0);
    }

    #[test]
    fn each_round_starts_with_the_next_client() {
        let firsts: Vec<_> = (0..8).map(|round| order(round)[0]).collect();
        assert_eq!(
            firsts,
            [
                Client::Js,
                Client::JsAgain,
                Client::WebSys,
                Client::Callback,
                Client::CallbackJs,
                Client::Stream,
                Client::Gloo,
                Client::Js
            ]
        );
        for round in 0..7 {
            let mut clients = order(round).to_vec();
            clients.sort_by_key(|client| Client::ALL.iter().position(|c| c == client));
            assert_eq!(clients, Client::ALL);
        }
    }

    #[test]
    fn sizes_are_labelled_in_bytes_or_kibibytes() {
        assert_eq!(size_label(32), "32 B");
        assert_eq!(size_label(1024), "1 KiB");
        assert_eq!(size_label(65536), "64 KiB");
        assert_eq!(size_label(1500), "1500 B");
    }
}
