//! What a retry is, and failures beside a success (issue 20 §3, §6): on the real fixture
//! `fixtures/captures/retry-after-failure.pcap` (xfreerdp asking for NLA from a TLS-only xrdp,
//! then two TLS sessions; EXPECTED.md) and, when `../shared/corpus` is present, on the public
//! captures of the same classes (a Standard-RDP-only server refusing TLS before the client's
//! fallback; two sessions from one client).

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{AttemptId, Cause, Severity, Stage, Status, Verdict};
use support::*;

/// The client asked for SSL|HYBRID, the server selected SSL (frame 6), and the client closed
/// at once (frame 8) without a ClientHello: it refused the selection. The server's alert that
/// followed (frame 9) is a consequence, not the cause.
#[test]
fn a_client_leaving_after_the_selection_is_a_negotiation_failure() {
    let r = analyze(&[capture_fixture("retry-after-failure.pcap")]);
    assert_eq!(r.connections.len(), 3);
    let c1 = &r.connections[0];
    assert_eq!(c1.verdict, Some(Verdict::Failed));
    assert_eq!(c1.cause, Some(Cause::NegotiationFailure));
    assert_eq!(c1.failed_stage, Some(Stage::X224));
    assert_eq!(stage(c1, Stage::X224), (Status::Failed, vec![4, 6, 8]));
    assert_eq!(
        later_statuses(c1)[1..],
        [Status::NotReached; 4],
        "after x224"
    );
    assert_eq!(
        summary(c1),
        "the client closed the connection (frame 8) right after the server selected SSL (frame 6; requested SSL|HYBRID), without starting it: it refused the selection: the client requires NLA (CredSSP), which it offered and the server did not select"
    );
}

/// The failure still has its finding, a warning that names the session that followed; the
/// two sessions are two attempts, and nothing is "retried" by an earlier connection.
#[test]
fn a_failure_before_a_session_keeps_its_finding_at_lower_severity() {
    let r = analyze(&[capture_fixture("retry-after-failure.pcap")]);
    let verdicts: Vec<_> = r.connections.iter().map(|c| c.verdict).collect();
    assert_eq!(
        verdicts,
        [Some(Verdict::Failed), Some(Verdict::Ok), Some(Verdict::Ok)]
    );
    // c1 names another user (mstshash=rdptest) than c2: another attempt; c3 follows a
    // session: another again.
    let attempts: Vec<_> = r.connections.iter().map(|c| c.attempt).collect();
    assert_eq!(
        attempts,
        [Some(AttemptId(1)), Some(AttemptId(2)), Some(AttemptId(3))]
    );
    assert!(r.connections.iter().all(|c| c.superseded_by.is_none()));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, Cause::NegotiationFailure);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.connections, ["c1"]);
    let c2_start = r.connections[1].start().expect("timed");
    assert!(
        f.summary
            .ends_with(&format!("; c2 (attempt a2) succeeded at {c2_start}.")),
        "{}",
        f.summary
    );
}

/// A Standard-RDP-only server refuses TLS (c1); mstsc falls back and its session runs (c2).
#[test]
fn corpus_failure_before_the_fallback_session_is_a_warning() {
    let Some(p) = corpus_file("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    let r = analyze(&[p]);
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(f.cause, Cause::NegotiationFailure);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.connections, ["c1"]);
    assert!(
        f.summary
            .ends_with("; c2 succeeded at 2007-10-26T03:36:37.524925Z."),
        "{}",
        f.summary
    );
}

/// Two sessions of one client, 27 s apart, are two attempts.
#[test]
fn corpus_two_sessions_are_two_attempts() {
    let Some(p) = corpus_file("pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng") else {
        return;
    };
    let r = analyze(&[p]);
    let seen: Vec<_> = r
        .connections
        .iter()
        .map(|c| (c.verdict, c.attempt))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(Verdict::Ok), Some(AttemptId(1))),
            (Some(Verdict::Ok), Some(AttemptId(2)))
        ]
    );
    assert!(r.findings.is_empty());
}
