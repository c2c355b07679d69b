//! `cargo xtask size`: build the minimal echo client three ways (callback layer, async layer,
//! reconnecting socket), the chat page, and the same client written by hand on web-sys (the floor)
//! and with gloo-net, all in release
//! mode through wasm-bindgen and `wasm-opt -Oz` with the same flags; print the raw and gzipped
//! sizes of the wasm and the JS glue, check them against the targets, and write the table into
//! the Size section of `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::fs;
use std::io;

use crate::benchmarks::{self, thousands};
use crate::page;
use crate::page::{Example, PAGES_PACKAGE};
use crate::process::{heading, say, version_of};
use crate::sizes::{self, Size};
use crate::tools::{self, WASM_TARGET};
use crate::wasm_opt::{self, FLAGS, STRIP_FLAGS};
use crate::workspace::{Profile, Workspace};
use anyhow::{Context as _, Result, bail};

/// The command, as the report shows it.
pub const COMMAND: &str = "cargo xtask size";

/// The output folder, under cargo's target folder: one subfolder per variant.
pub const OUT: &str = "size";

/// The flags added to `wasm-bindgen --target web --no-typescript` for every variant.
pub const BINDGEN_FLAGS: [&str; 2] = ["--remove-name-section", "--remove-producers-section"];

/// What a variant is, for the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A minimal duplex-ws client: must be smaller than the baseline, and at most this many bytes of
    /// gzipped wasm.
    Client(u64),
    /// The same client on web-sys with no library: what any Rust client pays (the allocator, the
    /// wasm-bindgen runtime), shown as the floor.
    Floor,
    /// A whole page, shown for scale: no target.
    Page,
    /// The gloo-net client every other variant is compared with.
    Baseline,
}

/// One thing `size` builds and measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The short name: the output subfolder and wasm-bindgen's `--out-name`.
    pub name: &'static str,
    /// What the table calls it.
    pub label: &'static str,
    /// The example that is its code.
    pub example: Example,
    /// Which targets apply.
    pub kind: Kind,
}

impl Variant {
    /// The file name of its optimized wasm.
    fn wasm_file(self) -> String {
        format!("{}_bg.wasm", self.name)
    }

    /// The file name of its JS glue.
    fn js_file(self) -> String {
        format!("{}.js", self.name)
    }
}

/// The minimal clients live in this package (`size/examples/`).
const SIZE_PACKAGE: &str = "duplex-size";

/// Every variant, in the order of the table; the callback-only client first, gloo-net last.
pub const VARIANTS: [Variant; 6] = [
    Variant {
        name: "callback",
        label: "callback API only",
        example: Example {
            package: SIZE_PACKAGE,
            name: "callback",
            features: &[],
        },
        kind: Kind::Client(12 * 1024),
    },
    Variant {
        name: "async",
        label: "with the async layer",
        example: Example {
            package: SIZE_PACKAGE,
            name: "async",
            features: &["async"],
        },
        kind: Kind::Client(16 * 1024),
    },
    Variant {
        name: "reconnect",
        label: "with reconnect",
        example: Example {
            package: SIZE_PACKAGE,
            name: "reconnect",
            features: &["reconnect"],
        },
        kind: Kind::Client(18 * 1024),
    },
    Variant {
        name: "chat",
        label: "chat page",
        example: Example {
            package: PAGES_PACKAGE,
            name: "chat",
            features: &[],
        },
        kind: Kind::Page,
    },
    Variant {
        name: "websys",
        label: "web-sys by hand (the floor)",
        example: Example {
            package: SIZE_PACKAGE,
            name: "websys",
            features: &["websys"],
        },
        kind: Kind::Floor,
    },
    Variant {
        name: "gloo",
        label: "gloo-net client",
        example: Example {
            package: SIZE_PACKAGE,
            name: "gloo",
            features: &["gloo"],
        },
        kind: Kind::Baseline,
    },
];

/// The sizes of one variant after wasm-bindgen and wasm-opt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    /// Which variant.
    pub variant: Variant,
    /// Its `<name>_bg.wasm`.
    pub wasm: Size,
    /// Its `<name>.js`.
    pub js: Size,
}

/// The versions of the tools, as each prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    /// `rustc -V`.
    pub rustc: String,
    /// `wasm-bindgen --version`.
    pub wasm_bindgen: String,
    /// `wasm-opt --version`.
    pub wasm_opt: String,
}

/// Builds and measures every variant, prints the report and writes it into `BENCHMARKS.md` and
/// `<target>/size/size.md`. Succeeds whether or not the targets are met: the report says.
///
/// # Errors
/// When a tool is missing and cannot be installed, a build or wasm-opt fails, or a file cannot
/// be read or written.
pub fn run(workspace: &mut Workspace) -> Result<bool> {
    heading("tools");
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;
    let wasm_opt = wasm_opt::ensure(workspace)?;
    let toolchain = Toolchain {
        rustc: version_of(workspace.cmd("rustc").arg("-V"))?,
        wasm_bindgen: version_of(workspace.cmd(&wasm_bindgen.cli).arg("--version"))?,
        wasm_opt: wasm_opt.version.clone(),
    };

    let out = workspace.target().join(OUT);
    match fs::remove_dir_all(&out) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            bail!("cannot remove {}: {error}", out.display());
        }
    }
    let mut measured = Vec::new();
    for variant in VARIANTS {
        heading(&format!("{} ({})", variant.name, variant.label));
        let built = variant.example.compile(workspace, Profile::Release)?;
        let dir = out.join(variant.name);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        page::bindgen(
            workspace,
            &wasm_bindgen,
            &built,
            &dir,
            variant.name,
            &BINDGEN_FLAGS,
        )?;
        let wasm = dir.join(variant.wasm_file());
        if !wasm_opt::optimize_file(workspace, &wasm_opt.program, &wasm, &STRIP_FLAGS)? {
            bail!(
                "wasm-opt failed on {}; the sizes would not compare like for like",
                wasm.display()
            );
        }
        measured.push(Measured {
            variant,
            wasm: sizes::measure_file(&wasm)?,
            js: sizes::measure_file(&dir.join(variant.js_file()))?,
        });
    }

    let report = render(&measured, &toolchain);
    heading("sizes");
    print!("{report}");
    let copy = out.join("size.md");
    fs::write(&copy, &report).with_context(|| format!("cannot write {}", copy.display()))?;
    let path = benchmarks::write(workspace, benchmarks::SIZE, &report)?;
    say(format!(
        "wrote the Size section of {} and {}",
        path.display(),
        out.display()
    ));
    Ok(true)
}

/// The report: how it was measured, the table, and the targets with whether each is met.
pub fn render(measured: &[Measured], toolchain: &Toolchain) -> String {
    let baseline = measured
        .iter()
        .find(|row| row.variant.kind == Kind::Baseline)
        .map(|row| row.wasm.gzip);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured with `{COMMAND}`: {}, {}, {}.\n",
        toolchain.rustc, toolchain.wasm_bindgen, toolchain.wasm_opt
    );
    let _ = writeln!(
        text,
        "Every row is built the same way: `cargo build --release --target {WASM_TARGET} \
         --example <name>` (the workspace release profile: opt-level \"z\", LTO, one codegen \
         unit, panic = abort), then `wasm-bindgen --target web --no-typescript {}`, then \
         `wasm-opt {} {}`. Sizes are in bytes; gzip is flate2 at its default level (6). The \
         clients are in `size/examples/`: each connects to `/echo` on the page's origin, sends \
         \"hello\" once open, logs the reply to the console and closes.\n",
        BINDGEN_FLAGS.join(" "),
        FLAGS.join(" "),
        STRIP_FLAGS.join(" ")
    );
    let _ = writeln!(
        text,
        "| variant | example | wasm | wasm gzip | JS glue | JS glue gzip | wasm gzip vs gloo-net |"
    );
    let _ = writeln!(text, "|---|---|--:|--:|--:|--:|--:|");
    for row in measured {
        let example = row.variant.example;
        let features = if example.features.is_empty() {
            String::new()
        } else {
            format!(" --features {}", example.features.join(","))
        };
        let _ = writeln!(
            text,
            "| {} | `-p {} --example {}{features}` | {} | {} | {} | {} | {} |",
            row.variant.label,
            example.package,
            example.name,
            thousands(row.wasm.raw),
            thousands(row.wasm.gzip),
            thousands(row.js.raw),
            thousands(row.js.gzip),
            baseline.map_or_else(|| "n/a".to_owned(), |base| ratio(row.wasm.gzip, base)),
        );
    }
    let _ = writeln!(text, "\nTargets:\n");
    for line in targets(measured) {
        let _ = writeln!(text, "- {line}");
    }
    text
}

/// One line per target, each saying whether it is met and by how much it is missed.
fn targets(measured: &[Measured]) -> Vec<String> {
    let floor = measured.iter().find(|row| row.variant.kind == Kind::Floor);
    let mut lines = Vec::new();
    for variant in VARIANTS {
        let Kind::Client(target) = variant.kind else {
            continue;
        };
        let goal = format!(
            "{} at most {} KiB ({} bytes) of gzipped wasm",
            variant.label,
            target / 1024,
            thousands(target)
        );
        let Some(row) = measured.iter().find(|row| row.variant == variant) else {
            lines.push(format!("{goal}: not measured"));
            continue;
        };
        let gzip = row.wasm.gzip;
        let over_floor = floor.map_or_else(String::new, |floor| {
            format!(
                "; {} over the web-sys floor",
                thousands(gzip.saturating_sub(floor.wasm.gzip))
            )
        });
        lines.push(if gzip <= target {
            format!("{goal}: **met** ({} bytes{over_floor})", thousands(gzip))
        } else {
            format!(
                "{goal}: **not met** ({} bytes, {} over{over_floor})",
                thousands(gzip),
                thousands(gzip - target)
            )
        });
    }
    let baseline = measured
        .iter()
        .find(|row| row.variant.kind == Kind::Baseline);
    let clients: Vec<_> = measured
        .iter()
        .filter(|row| matches!(row.variant.kind, Kind::Client(_)))
        .collect();
    lines.push(match baseline {
        Some(base) => {
            let larger: Vec<_> = clients
                .iter()
                .filter(|row| row.wasm.gzip >= base.wasm.gzip)
                .map(|row| format!("{} {}", row.variant.name, thousands(row.wasm.gzip)))
                .collect();
            let detail = if larger.is_empty() {
                "all smaller".to_owned()
            } else {
                format!("not smaller: {}", larger.join(", "))
            };
            format!(
                "every duplex-ws client smaller than the gloo-net client ({} bytes of gzipped \
                 wasm): {} ({detail})",
                thousands(base.wasm.gzip),
                verdict(larger.is_empty() && !clients.is_empty())
            )
        }
        None => "every duplex-ws client smaller than the gloo-net client: not measured".to_owned(),
    });
    if let Some(floor) = floor {
        lines.push(format!(
            "{}: {} bytes of gzipped wasm, the same echo with no WebSocket library: what any Rust \
             client pays, no target",
            floor.variant.label,
            thousands(floor.wasm.gzip)
        ));
    }
    for page in measured.iter().filter(|row| row.variant.kind == Kind::Page) {
        lines.push(format!(
            "the {} is a whole application, not a minimal client: shown for scale, no target",
            page.variant.label
        ));
    }
    lines
}

/// `**met**` or `**not met**`.
fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

/// `size` as a share of `baseline`, such as `0.52x`.
fn ratio(size: u64, baseline: u64) -> String {
    if baseline == 0 {
        return "n/a".to_owned();
    }
    format!("{:.2}x", size as f64 / baseline as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::PAGES;

    fn measured(name: &str, wasm_gzip: u64) -> Measured {
        let variant = VARIANTS
            .into_iter()
            .find(|variant| variant.name == name)
            .unwrap_or(VARIANTS[0]);
        Measured {
            variant,
            wasm: Size {
                raw: wasm_gzip * 2,
                gzip: wasm_gzip,
            },
            js: Size {
                raw: 20_090,
                gzip: 4_751,
            },
        }
    }

    fn toolchain() -> Toolchain {
        Toolchain {
            rustc: "rustc 1.95.0".to_owned(),
            wasm_bindgen: "wasm-bindgen 0.2.130".to_owned(),
            wasm_opt: "wasm-opt version 132".to_owned(),
        }
    }

    #[test]
    fn the_chat_variant_builds_what_the_chat_page_builds() {
        let chat = VARIANTS.into_iter().find(|variant| variant.name == "chat");
        let page = PAGES.into_iter().find(|page| page.example == "chat");
        assert_eq!(
            chat.map(|variant| variant.example),
            page.map(|page| page.build())
        );
    }

    #[test]
    fn variants_have_distinct_names_and_one_baseline_last() {
        let mut names: Vec<_> = VARIANTS.iter().map(|variant| variant.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VARIANTS.len());
        let baselines: Vec<_> = VARIANTS
            .iter()
            .filter(|variant| variant.kind == Kind::Baseline)
            .collect();
        assert_eq!(baselines.len(), 1);
        assert_eq!(
            VARIANTS.last().map(|variant| variant.kind),
            Some(Kind::Baseline)
        );
        assert_eq!(VARIANTS[0].wasm_file(), "callback_bg.wasm");
        assert_eq!(VARIANTS[0].js_file(), "callback.js");
    }

    #[test]
    fn ratios_have_two_decimals() {
        assert_eq!(ratio(7_842, 15_684), "0.50x");
        assert_eq!(ratio(23_464, 15_684), "1.50x");
        assert_eq!(ratio(1, 0), "n/a");
    }

    #[test]
    fn targets_are_met_when_every_client_is_small() {
        let rows = [
            measured("callback", 12_288),
            measured("async", 14_000),
            measured("reconnect", 15_000),
            measured("chat", 80_000),
            measured("websys", 7_300),
            measured("gloo", 22_000),
        ];
        let lines = targets(&rows);
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[0],
            "callback API only at most 12 KiB (12,288 bytes) of gzipped wasm: **met** (12,288 \
             bytes; 4,988 over the web-sys floor)"
        );
        assert!(lines[1].contains("16 KiB (16,384 bytes)"), "{}", lines[1]);
        assert!(lines[2].contains("18 KiB (18,432 bytes)"), "{}", lines[2]);
        assert!(lines[3].contains("**met** (all smaller)"), "{}", lines[3]);
        assert!(lines[4].contains("7,300 bytes"), "{}", lines[4]);
        assert!(lines[5].starts_with("the chat page is a whole application"));
    }

    #[test]
    fn targets_name_what_misses_them_and_by_how_much() {
        let rows = [
            measured("callback", 12_289),
            measured("async", 15_684),
            measured("reconnect", 15_000),
            measured("gloo", 15_684),
        ];
        let lines = targets(&rows);
        assert!(
            lines[0].contains("**not met** (12,289 bytes, 1 over)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[3].contains("**not met** (not smaller: async 15,684)"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn targets_without_measurements_say_so() {
        let lines = targets(&[]);
        assert!(lines.iter().all(|line| line.ends_with("not measured")));
    }

    #[test]
    fn the_report_has_versions_flags_and_a_row_per_variant() {
        let rows = [measured("callback", 11_000), measured("gloo", 22_000)];
        let report = render(&rows, &toolchain());
        assert!(report.starts_with(
            "Measured with `cargo xtask size`: rustc 1.95.0, wasm-bindgen 0.2.130, wasm-opt \
             version 132.\n"
        ));
        assert!(report.contains("--remove-name-section --remove-producers-section"));
        assert!(report.contains("-Oz --enable-bulk-memory"));
        assert!(report.contains("--strip-debug --strip-producers"));
        assert!(report.contains(
            "| callback API only | `-p duplex-size --example callback` | 22,000 | 11,000 | \
             20,090 | 4,751 | 0.50x |"
        ));
        assert!(report.contains(
            "| gloo-net client | `-p duplex-size --example gloo --features gloo` | 44,000 | \
             22,000 | 20,090 | 4,751 | 1.00x |"
        ));
        assert!(report.ends_with("(all smaller)\n"));
    }
}
