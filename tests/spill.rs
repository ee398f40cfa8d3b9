//! Spilled connection details (`report::spill`) give the same report as held ones: every
//! format, on every fixture and, where present, the shared corpus, with
//! `RDPTRIAGE_HOLD_DETAILS=0` (everything spilled) against the default (everything held).

use std::path::Path;
use std::process::Command;

fn run(args: &[&str], hold: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdptriage"));
    cmd.args(args).env("NO_COLOR", "1");
    match hold {
        Some(h) => cmd.env("RDPTRIAGE_HOLD_DETAILS", h),
        None => cmd.env_remove("RDPTRIAGE_HOLD_DETAILS"),
    };
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
    let mut connections = 0;
    for format in ["json", "jsonl", "text", "md", "html"] {
        let args = ["analyze", "--format", format, input];
        let held = run(&args, None);
        let spilled = run(&args, Some("0"));
        assert!(
            held == spilled,
            "{input} --format {format}: spilled output differs from held output"
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
    assert_eq!(n, 19, "RDP connections in the fixtures");
}

#[test]
fn spilled_details_report_the_same_on_the_corpus() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
    if !Path::new(corpus).is_dir() {
        eprintln!("skipped: {corpus} is absent");
        return;
    }
    let n = same_either_way(corpus);
    assert_eq!(n, 20, "RDP connections in the corpus");
}
