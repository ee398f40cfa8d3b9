//! Spilled connection details (`handshake::held`) give the same report as held ones: every
//! format, on every fixture and, where present, the shared corpus, with
//! `RDPTRIAGE_HOLD_DETAILS=0` (everything spilled) against the default (everything held), and
//! with a limit of one, where a capture of two connections has its held details trimmed.
//! Likewise parked streams (`tcp::park`): `RDPTRIAGE_HOLD_PAYLOAD=0` moves every open
//! connection's kept payload to disk at every chance, and the report stays the same.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str], hold: Option<&str>) -> Vec<u8> {
    run_with(args, hold.map(|h| ("RDPTRIAGE_HOLD_DETAILS", h)))
}

/// Runs rdptriage with nothing held back by default, or with one `RDPTRIAGE_HOLD_*` set.
fn run_with(args: &[&str], hold: Option<(&str, &str)>) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdptriage"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("RDPTRIAGE_HOLD_DETAILS")
        .env_remove("RDPTRIAGE_HOLD_PAYLOAD");
    if let Some((var, value)) = hold {
        cmd.env(var, value);
    }
    let out = cmd.output().expect("run rdptriage");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn same_either_way(input: &str) -> usize {
    same_holding_nothing(input, "RDPTRIAGE_HOLD_DETAILS")
}

/// Compares every format's output with `var` set to 0 against the default; returns the
/// number of connections reported.
fn same_holding_nothing(input: &str, var: &str) -> usize {
    let mut connections = 0;
    for format in ["json", "jsonl", "text", "md", "html"] {
        let args = ["analyze", "--format", format, input];
        let held = run_with(&args, None);
        let spilled = run_with(&args, Some((var, "0")));
        assert!(
            held == spilled,
            "{input} --format {format}: output with {var}=0 differs from the default's"
        );
        if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&held).expect("json");
            connections = v["connections"].as_array().map_or(0, |a| a.len());
        }
    }
    connections
}

#[test]
fn spilled_details_report_the_same_on_the_fixtures() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let n = same_either_way(fixtures);
    // Every capture of fixtures/captures holds at least one RDP connection
    // (fixtures/captures/EXPECTED.md), so each is part of the comparison.
    let captures = std::fs::read_dir(format!("{fixtures}/captures"))
        .expect("fixtures/captures")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pcap"))
        })
        .count();
    assert_eq!(
        captures, 28,
        "captures listed in fixtures/captures/EXPECTED.md"
    );
    assert!(
        n >= captures,
        "{n} RDP connections from {captures} captures"
    );
}

/// Every connection still open at the end of a window of blocks has its kept payload
/// parked, then read back when it is judged: the same report.
#[test]
fn parked_streams_report_the_same_on_the_fixtures() {
    let n = same_holding_nothing(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
        "RDPTRIAGE_HOLD_PAYLOAD",
    );
    assert!(n >= 17, "{n} RDP connections");
}

/// The shared corpus, or `None` (saying the test is skipped) where it is absent.
fn corpus() -> Option<&'static str> {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
    if Path::new(corpus).is_dir() {
        Some(corpus)
    } else {
        eprintln!("skipped: {corpus} is absent");
        None
    }
}

#[test]
fn parked_streams_report_the_same_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let n = same_holding_nothing(corpus, "RDPTRIAGE_HOLD_PAYLOAD");
    assert!(n > 0, "the corpus's captures hold RDP connections");
}

#[test]
fn spilled_details_report_the_same_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let n = same_either_way(corpus);
    assert!(n > 0, "the corpus's captures hold RDP connections");
}

/// A capture of more connections than a run may hold is a large one: its held details are
/// trimmed to a quarter of the limit (`handshake::held::trim`), here to none with a limit of
/// one, and the report stays the same.
#[test]
fn trimmed_details_report_the_same() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures");
    for capture in ["nla-wrong-password.pcap", "tcp-refused.pcap"] {
        let input = format!("{fixtures}/{capture}");
        for format in ["json", "jsonl", "text", "md", "html"] {
            let args = ["analyze", "--format", format, &input];
            let held = run(&args, None);
            let trimmed = run(&args, Some("1"));
            assert!(
                held == trimmed,
                "{capture} --format {format}: trimmed output differs from held output"
            );
            if format == "json" {
                let v: serde_json::Value = serde_json::from_slice(&held).expect("json");
                assert_eq!(v["connections"].as_array().map_or(0, |a| a.len()), 2);
            }
        }
    }
}
