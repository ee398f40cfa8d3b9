//! Fuzz regressions: every input saved under `tests/fuzz-regressions/<target>/` — inputs that
//! crashed a fuzz target once (now fixed), and small inputs from the fuzz corpora that reach
//! deep into each parser — run through the same harness function as the fuzz target of that
//! name (`fuzz/harness.rs`, shared with `fuzz/fuzz_targets/`), so CI replays them as ordinary
//! tests. A harness panics on a crash or a broken promise; these tests fail if one does.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;

use rdptriage::capture::decode::{DecodeStats, FactKind, decode_frame, decode_frame_general};
use rdptriage::capture::record::linktype;

fn dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target)
}

/// The saved inputs of one target, in name order, with their names.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir(target))
        .unwrap_or_else(|e| panic!("tests/fuzz-regressions/{target}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read input"))
        })
        .collect()
}

/// Runs every saved input of `target` through its harness; returns how many ran.
fn replay(target: &str) -> usize {
    let (_, run) = harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a harness of that name");
    let inputs = inputs(target);
    for (name, data) in &inputs {
        eprintln!("{target}/{name} ({} bytes)", data.len());
        run(data);
    }
    inputs.len()
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {$(
        #[test]
        fn $target() {
            assert!(replay(stringify!($target)) >= 1, "no saved input for {}", stringify!($target));
        }
    )*};
}

replay_tests!(
    capture,
    decode,
    tcp,
    x224,
    tls,
    credssp,
    decrypt,
    mcs,
    side,
    evtx,
    eventlog_xml,
    archive,
    pipeline,
);

/// Every fuzz target has a regression folder, and every folder a fuzz target.
#[test]
fn every_target_has_a_folder_and_every_folder_a_target() {
    let mut folders: Vec<String> = std::fs::read_dir(dir(""))
        .expect("tests/fuzz-regressions")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut targets: Vec<String> = harness::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    targets.sort();
    assert_eq!(folders, targets);
    let fuzz_targets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for t in &targets {
        assert!(
            fuzz_targets.join(format!("{t}.rs")).is_file(),
            "fuzz/fuzz_targets/{t}.rs"
        );
    }
}

/// The first crash the `decode` target found: a SYN whose options are a SACK of impossible
/// length 4, an unknown kind 0xb4, a timestamp, a no-op and a window scale of 10. The
/// fixed-offset fast path skipped the odd options by their length and kept the window scale;
/// etherparse's option iterator stopped at the SACK, so the general decoder (used for VLAN
/// tags, IPv6, IP options) lost it. Both now read options the same way.
#[test]
fn decode_window_scale_behind_a_malformed_option() {
    let input = std::fs::read(dir("decode").join("syn-wscale-after-malformed-sack")).unwrap();
    assert_eq!(input[0], 0x01, "the harness's link-type byte for Ethernet");
    let frame = &input[1..];
    let fast = decode_frame(
        frame,
        linktype::ETHERNET,
        1,
        0,
        0,
        &mut DecodeStats::default(),
    );
    let general = decode_frame_general(
        frame,
        linktype::ETHERNET,
        1,
        0,
        0,
        &mut DecodeStats::default(),
    );
    assert_eq!(fast, general);
    let Some(FactKind::Tcp(tcp)) = general.map(|f| f.kind) else {
        panic!("a TCP fact");
    };
    assert_eq!((tcp.flags, tcp.mss, tcp.wscale), (0x02, None, Some(10)));
}
