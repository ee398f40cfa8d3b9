//! Not every TCP connection to 3389 is an RDP attempt (`REPORT.md` `probe`): port checks
//! (connect, then close without a byte) and half-open SYN scans (the SYN-ACK never
//! acknowledged) are probes, judged apart and reported as one `info` finding per server,
//! with no network fix. On the real fixture `fixtures/captures/port-probes.pcap` (nc, nmap
//! -sT, nmap -sS, a SYN scan whose RST is dropped, then a real session; EXPECTED.md) and on
//! connections built packet by packet for the boundaries: a client that waits before closing,
//! a client whose final ACK is missing but which then sends its request, a server that
//! speaks first, a client that retries its SYN.

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Severity, Stage, Status, Verdict};
use support::*;

const CLIENT: &str = "10.1.0.5:50000";
const SERVER: &str = "10.2.0.9:3389";
#[test]
fn port_probes_fixture_is_judged_probe_by_probe() {
    let r = analyze(&[capture_fixture("port-probes.pcap")]);
    assert_eq!(r.connections.len(), 7);
    // c1-c3 nc -z (FIN), c4 nmap -sT (RST): port checks, broken at x224 on the close.
    for (i, close) in [(0, 4u64), (1, 11), (2, 18), (3, 25)] {
        let c = &r.connections[i];
        assert_eq!(c.cause, Some(Cause::Probe), "{}", c.id);
        assert_eq!(c.verdict, Some(Verdict::Failed), "{}", c.id);
        assert_eq!(c.failed_stage, Some(Stage::X224), "{}", c.id);
        assert_eq!(c.reached, Some(Stage::Tcp), "{}", c.id);
        assert_eq!(stage(c, Stage::X224), (Status::Failed, vec![close]));
        assert_eq!(c.attempt, None, "{}: a probe is no attempt", c.id);
    }
    let how = |i: usize| summary(&r.connections[i]);
    assert!(
        how(0).starts_with("a port check, not an RDP attempt: the client closed the connection ")
            && how(0).ends_with(" after the handshake without sending a byte (frame 4)"),
        "{}",
        how(0)
    );
    assert!(
        how(3).contains("the client reset the connection"),
        "{}",
        how(3)
    );
    // c5 nmap -sS: SYN 26, SYN-ACK 27, the client kernel's RST 28.
    let c5 = &r.connections[4];
    assert_eq!(c5.cause, Some(Cause::Probe));
    assert_eq!(c5.failed_stage, Some(Stage::Tcp));
    assert_eq!(c5.reached, None);
    assert_eq!(stage(c5, Stage::Tcp), (Status::Failed, vec![26, 27, 28]));
    assert_eq!(
        how(4),
        "a half-open SYN scan, not an RDP attempt: the server's SYN-ACK was never acknowledged, the client reset it (frame 28)"
    );
    // c6: the RST dropped by the client's firewall, the SYN-ACK sent 4 times (30, 31, 32, 33).
    let c6 = &r.connections[5];
    assert_eq!(c6.cause, Some(Cause::Probe));
    assert_eq!(stage(c6, Stage::Tcp), (Status::Failed, vec![29, 30]));
    assert_eq!(
        how(5),
        "a half-open SYN scan, not an RDP attempt: the server's SYN-ACK (sent 4 times) was never acknowledged"
    );
    // c7, the real session, is judged on its own.
    let c7 = &r.connections[6];
    assert_eq!(c7.verdict, Some(Verdict::Ok));
    assert_eq!(c7.cause, None);
    assert_eq!(c7.superseded_by, None);
    // One info finding for the server, naming every probe and no other connection.
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, Cause::Probe);
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.connections, ["c1", "c2", "c3", "c4", "c5", "c6"]);
    assert!(
        f.summary.starts_with("6 probes of 10.99.2.2:3389 from 10.99.1.2 between ")
            && f.summary.ends_with(
                ": 4 port checks (connect, then close without a byte) and 2 half-open SYN scans (the SYN-ACK never acknowledged); not RDP attempts"
            ),
        "{}",
        f.summary
    );
    assert_eq!(f.evidence.len(), 6);
    assert_eq!(
        f.evidence[5],
        "… and 1 more probe (all listed in `connections`)"
    );
    assert!(f.remediation[0].starts_with("Nothing in RDP to fix."));
    assert!(
        !f.remediation.iter().any(|r| r.contains("MTU")),
        "{:?}",
        f.remediation
    );
    let text = rdptriage::report::text::render(&r);
    // After the verdict line.
    let text = text
        .split_once('\n')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    assert!(
        text.starts_with(
            "Read 1 capture (144 packets): 7 RDP connections (1 ok, 6 probes) in 1 attempt, 0 failed in the end; 1 finding."
        ),
        "{}",
        text.lines().next().unwrap_or_default()
    );
}

fn judged(segs: &[(i64, Seg)]) -> rdptriage::report::Report {
    analyze_bytes("probe.pcap", &pcap_of(Link::Eth, segs)).0
}

#[test]
fn a_connect_and_close_without_a_byte_is_a_port_check() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.ack()),
        (2 * MS + 40_000, c.c(0, 0).fin()),
        (3 * MS, c.s(0, 1).fin()),
        (4 * MS, c.c(1, 1)),
    ]);
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::Probe));
    assert_eq!(conn.failed_stage, Some(Stage::X224));
    assert_eq!(
        summary(conn),
        "a port check, not an RDP attempt: the client closed the connection 40 µs after the handshake without sending a byte (frame 4)"
    );
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].severity, Severity::Info);
}

/// A client that sat silent past the port-check window and then closed gave up waiting: a
/// timeout, as before, not a probe.
#[test]
fn a_client_silent_for_seconds_then_closing_is_no_port_check() {
    let c = Conv::new(CLIENT, SERVER);
    let close = 2 * MS + 30 * SEC;
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.ack()),
        (close, c.c(0, 0).fin()),
        (close + MS, c.s(0, 1).fin()),
    ]);
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::Timeout));
    assert_eq!(conn.failed_stage, Some(Stage::X224));
}

/// The server spoke first (not RDP's order, but the client got an answer): no port check.
#[test]
fn a_close_after_the_server_spoke_is_no_port_check() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.ack()),
        (3 * MS, c.s(0, 0).data(b"SSH-2.0-OpenSSH_9.2\r\n")),
        (4 * MS, c.c(0, 21).fin()),
    ]);
    assert_ne!(only_conn(&r).cause, Some(Cause::Probe));
}

#[test]
fn a_syn_ack_reset_by_the_client_is_a_half_open_scan() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (MS + 20_000, c.c(0, 0).rst().no_ack()),
    ]);
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::Probe));
    assert_eq!(conn.failed_stage, Some(Stage::Tcp));
    assert_eq!(stage(conn, Stage::Tcp), (Status::Failed, vec![1, 2, 3]));
}

#[test]
fn a_syn_ack_sent_again_and_never_acknowledged_is_a_half_open_scan() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (SEC + MS, c.synack()),
        (3 * SEC + MS, c.synack()),
        (7 * SEC + MS, c.synack()),
    ]);
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::Probe));
    assert_eq!(
        summary(conn),
        "a half-open SYN scan, not an RDP attempt: the server's SYN-ACK (sent 4 times) was never acknowledged"
    );
}

/// A client that sent its SYN again did want the connection (its SYN-ACKs were lost on the
/// way back): never a scan.
#[test]
fn a_client_that_retried_its_syn_is_no_scan() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (SEC, c.syn()),
        (SEC + MS, c.synack()),
        (3 * SEC + MS, c.synack()),
    ]);
    assert_ne!(only_conn(&r).cause, Some(Cause::Probe));
}

/// The final ACK was not captured, but the client then sent its Connection Request: a real
/// attempt.
#[test]
fn a_missing_final_ack_then_a_request_is_an_attempt() {
    let c = Conv::new(CLIENT, SERVER);
    let r = judged(&[
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.c(0, 0).data(&X224_CR)),
        (3 * MS, c.s(0, 19).rst()),
    ]);
    let conn = only_conn(&r);
    assert_ne!(conn.cause, Some(Cause::Probe));
    assert_eq!(conn.cause, Some(Cause::X224Rejected));
}

/// service-scan.pcap (EXPECTED.md): nmap's service detection and a sweep with 3389 filtered
/// are five probes in one info finding; the real session after them is `ok` and alone.
#[test]
fn a_service_scan_and_a_sweep_are_probes() {
    let r = analyze(&[capture_fixture("service-scan.pcap")]);
    let got: Vec<(String, Option<Cause>, Option<Stage>)> = r
        .connections
        .iter()
        .map(|c| (c.id.to_string(), c.cause, c.failed_stage))
        .collect();
    let probe = |id: &str, stage| (id.to_string(), Some(Cause::Probe), Some(stage));
    assert_eq!(
        got,
        [
            probe("c1", Stage::Tcp),
            probe("c2", Stage::X224),
            probe("c3", Stage::X224),
            probe("c4", Stage::Tcp),
            probe("c5", Stage::Tcp),
            ("c6".to_string(), None, None),
        ]
    );
    assert_eq!(r.connections[5].verdict, Some(Verdict::Ok));
    assert!(r.connections.iter().take(5).all(|c| c.attempt.is_none()));
    assert_eq!(
        summary(&r.connections[1]),
        "not an RDP attempt: the Connection Request (frame 7) names nmap in its cookie, a \
         scanner's service probe; the client closed the connection (frame 11)"
    );
    assert_eq!(
        stage(&r.connections[2], Stage::X224),
        (Status::Failed, vec![15, 21])
    );
    assert!(summary(&r.connections[2]).starts_with(
        "not an RDP attempt: the client began with a TLS record (frame 15) instead of the X.224 \
         Connection Request"
    ));
    assert_eq!(
        summary(&r.connections[3]),
        "a scanner's SYN, not an RDP attempt: one SYN to 10.99.2.2:3389 (frame 22), never \
         answered and never sent again in the 5.6 s the capture went on (a client's kernel sends \
         it again within 1 to 3 s)"
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!((f.cause, f.severity), (Cause::Probe, Severity::Info));
    assert_eq!(f.connections, ["c1", "c2", "c3", "c4", "c5"]);
    assert!(
        f.summary.ends_with(
            ": 1 half-open SYN scan (the SYN-ACK never acknowledged), 2 unanswered scan SYNs \
             (one SYN, never sent again) and 2 service probes (bytes no RDP client sends first, \
             or a scanner's request); not RDP attempts"
        ),
        "{}",
        f.summary
    );
}

/// port-sweep.pcap (EXPECTED.md): nmap's SYN sweep of 30 ports, 3389 among them, refused by
/// a server where nothing listens, then xfreerdp refused 12 s later. The sweep's SYN to
/// 3389 is a probe; the client's two connections stay `tcp_refused`, with their fix.
#[test]
fn a_port_sweeps_refused_syn_is_a_probe_and_a_clients_is_not() {
    let r = analyze(&[capture_fixture("port-sweep.pcap")]);
    let got: Vec<(String, u64, Option<Cause>)> = r
        .connections
        .iter()
        .map(|c| (c.id.to_string(), c.first_frame, c.cause))
        .collect();
    assert_eq!(
        got,
        [
            ("c1".to_string(), 1, Some(Cause::Probe)),
            ("c2".to_string(), 61, Some(Cause::TcpRefused)),
            ("c3".to_string(), 63, Some(Cause::TcpRefused)),
        ]
    );
    assert_eq!(r.connections[0].failed_stage, Some(Stage::Tcp));
    let probe = r.findings.iter().find(|f| f.cause == Cause::Probe).unwrap();
    assert_eq!(
        (probe.severity, probe.connections.clone()),
        (Severity::Info, vec!["c1".to_string()])
    );
    assert!(
        probe.summary.ends_with(
            ": 1 SYN of a port sweep (the client sent SYNs to many other ports at the time); \
             not RDP attempts"
        ),
        "{}",
        probe.summary
    );
    let refused = r
        .findings
        .iter()
        .find(|f| f.cause == Cause::TcpRefused)
        .unwrap();
    assert_eq!(refused.connections, ["c2", "c3"]);
    assert!(refused.remediation[0].starts_with("Enable Remote Desktop on the server"));
}
