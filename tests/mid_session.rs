//! Captures begun during a session (issue 20 §5): session data with no handshake before it
//! means a session already up, not a handshake that did not finish. On the real fixtures
//! `fixtures/captures/mid-session.pcap` (TLS) and `mid-session-stdrdp.pcap` (Standard RDP
//! Security, fast-path PDUs), recorded from 5 s into xfreerdp sessions to freerdp-shadow-cli
//! (EXPECTED.md); and on a stream built here whose bytes are no RDP at all.

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Stage, Status, Verdict};
use support::*;

fn fixture(name: &str) -> rdptriage::report::Report {
    analyze(&[capture_fixture(name)])
}

/// `(stage, status)` of every stage.
fn statuses(c: &rdptriage::handshake::judged::JudgedConnection) -> Vec<(Stage, Status)> {
    stages(c)
        .into_iter()
        .map(|(s, status, _)| (s, status))
        .collect()
}

const UNDERWAY: [(Stage, Status); 6] = [
    (Stage::Tcp, Status::Ok),
    (Stage::X224, Status::Unknown),
    (Stage::Tls, Status::Unknown),
    (Stage::Nla, Status::Unknown),
    (Stage::Mcs, Status::Unknown),
    (Stage::Session, Status::Ok),
];

#[test]
fn tls_application_data_without_a_handshake_is_a_session_underway() {
    let r = fixture("mid-session.pcap");
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(c.reached, Some(Stage::Session));
    assert_eq!(c.cause, None);
    assert_eq!(statuses(c), UNDERWAY);
    assert_eq!(
        summary(c),
        "the capture began during a session already up: TLS application data from the server (frame 1) with no handshake before it; then the client closed the connection (frame 11)"
    );
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn fast_path_pdus_without_a_handshake_are_a_session_underway() {
    let r = fixture("mid-session-stdrdp.pcap");
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(statuses(c), UNDERWAY);
    assert_eq!(
        summary(c),
        "the capture began during a session already up: fast-path PDUs from the server (frame 1) with no handshake before it; then the client closed the connection (frame 11)"
    );
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

/// Mid-stream bytes that tile into no RDP unit are not taken for a session.
#[test]
fn mid_stream_bytes_that_are_no_rdp_are_no_session() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    let text = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let r = analyze_bytes(
        "mid.pcap",
        &pcap_of(
            Link::Eth,
            &[
                (0, c.s(0, 0).data(text)),
                (1_000_000, c.c(0, text.len() as u32).data(text)),
                (
                    2_000_000,
                    c.s(text.len() as u32, text.len() as u32).data(text),
                ),
            ],
        ),
    )
    .0;
    let conn = only_conn(&r);
    assert_ne!(conn.verdict, Some(Verdict::Ok));
    assert_ne!(conn.reached, Some(Stage::Session));
}

/// A message whose bytes came in two segments half a second apart is shown at its first
/// frame with that frame's own time, not the last segment's (issue 20 §5).
#[test]
fn a_message_over_two_segments_is_timed_at_its_first_frame() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    let segs = vec![
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.ack()),
        (10 * MS, c.c(0, 0).data(&X224_CR[..10])),
        (510 * MS, c.c(10, 0).data(&X224_CR[10..])),
    ];
    let r = analyze_bytes("split.pcap", &pcap_of(Link::Eth, &segs)).0;
    let conn = only_conn(&r);
    let detail = conn.detail();
    let row = detail
        .messages
        .iter()
        .flatten()
        .find(|m| m.label.starts_with("X.224 Connection Request"))
        .expect("the request's row");
    assert_eq!((row.frame, row.ms), (4, 10.0));
}
