//! `rdptriage extract`: a connection cut out of a folder of captures re-analyses to the same
//! verdict, holds its own frames and those joined to it (Kerberos errors), and nothing of the
//! other connections of its capture.

use std::path::{Path, PathBuf};

use rdptriage::analyze::extract::{ExtractError, extract};
use rdptriage::analyze::{Options, analyze_paths};

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures")
}

#[test]
fn every_failed_connection_extracted_reanalyses_to_the_same_verdict() {
    let opts = Options::default();
    let all = analyze_paths(&[captures()], &opts);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    // Probes are left out: a SYN refused is a probe because its source swept ten ports,
    // which a cut of that one connection no longer shows.
    for c in all
        .connections
        .iter()
        .filter(|c| c.cause.is_some_and(|x| x != rdptriage::model::Cause::Probe))
    {
        let id = c.id.to_string();
        let path = dir.path().join(format!("{id}.pcap"));
        let mut out = Vec::new();
        let x = extract(&[captures()], &opts, &id, &mut out).expect("extracted");
        std::fs::write(&path, &out).expect("written");
        assert_eq!(x.input, c.input());
        assert_eq!(x.other_links, 0);
        // Its own frames, first to last, and before them any joined to it (DNS, Kerberos).
        let own: Vec<u64> = x
            .frames
            .iter()
            .copied()
            .filter(|n| (c.first_frame..=c.last_frame).contains(n))
            .collect();
        assert_eq!(own.first().copied(), Some(c.first_frame), "{id}");
        assert_eq!(own.last().copied(), Some(c.last_frame), "{id}");
        let joined = c.dns().len() + c.kerberos().len() + c.detail().network.icmp.len();
        assert!(x.frames.len() - own.len() <= joined, "{id}: {:?}", x.frames);
        let again = analyze_paths(&[path], &opts);
        assert_eq!(again.connections.len(), 1, "{id} from {}", c.input());
        let a = &again.connections[0];
        assert_eq!(
            (
                a.client,
                a.server,
                a.cause,
                a.failed_stage,
                a.reached,
                a.verdict
            ),
            (
                c.client,
                c.server,
                c.cause,
                c.failed_stage,
                c.reached,
                c.verdict
            ),
            "{id} from {}",
            c.input()
        );
        // Times are kept to the nanosecond.
        assert_eq!((a.start_ns, a.end_ns), (c.start_ns, c.end_ns), "{id}");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} failed connections");
}

/// kerberos-errors.pcap: the KRB-ERRORs joined to the connection travel with it, though they
/// are frames of another conversation (the client and its KDC).
#[test]
fn frames_joined_to_a_connection_travel_with_it() {
    let file = captures().join("kerberos-errors.pcap");
    let opts = Options::default();
    let r = analyze_paths(std::slice::from_ref(&file), &opts);
    let c = r
        .connections
        .iter()
        .find(|c| !c.kerberos().is_empty())
        .expect("a connection with Kerberos errors");
    let mut out = Vec::new();
    let x = extract(
        std::slice::from_ref(&file),
        &opts,
        &c.id.to_string(),
        &mut out,
    )
    .expect("extracted");
    for k in c.kerberos() {
        assert!(
            x.frames.contains(&k.frame),
            "{} not in {:?}",
            k.frame,
            x.frames
        );
    }
    assert!(x.frames.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn an_unknown_connection_is_said_and_nothing_written() {
    let mut out = Vec::new();
    let e = extract(&[captures()], &Options::default(), "c999", &mut out).unwrap_err();
    assert!(
        matches!(&e, ExtractError::NotFound(m) if m.starts_with("no connection c999 in the report of these inputs")),
        "{e}"
    );
    let e = extract(&[captures()], &Options::default(), "x1", &mut out).unwrap_err();
    assert!(matches!(e, ExtractError::NotFound(_)));
    assert!(out.is_empty());
}
