//! The public corpus in `../shared/corpus` (real captures from Zeek, Suricata, nDPI, the
//! Wireshark wiki and PCAP-ATTACK). Expected values come from the files themselves as tshark
//! 4.0 dissects them (`../shared/corpus/reference/curation-tshark-summaries.txt`, and the
//! tshark commands quoted beside each assertion), never from this program's own output.
//! Every test skips, saying so, when the corpus is absent.

use rdptriage::model::{Cause, Party, Severity, Stage, Status, Verdict};
use std::path::{Path, PathBuf};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{JudgedConnection, Report};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared/corpus not found");
        None
    }
}

fn analyze(rel: &str) -> Option<Report> {
    let root = corpus()?;
    let path = root.join(rel);
    if !path.is_file() {
        eprintln!("skipping: {} not found", path.display());
        return None;
    }
    Some(analyze_paths(&[path], &Options::default()))
}

fn only_connection(r: &Report) -> &JudgedConnection {
    assert_eq!(r.connections.len(), 1, "{:#?}", r.connections);
    &r.connections[0]
}

/// Packet counts as `capinfos` reports them (curation-tshark-summaries.txt, "Number of
/// packets"), and the RDP (tcp/3389) connections tshark lists as streams.
const CORPUS: &[(&str, u64, usize)] = &[
    ("pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng", 1046, 2),
    ("pcap/nDPI/rdp.pcap", 20, 1),
    ("pcap/nDPI/rdp2.pcap", 39, 0),
    ("pcap/nDPI/rdp3.pcap", 30, 1),
    ("pcap/nDPI/synscan.pcap", 2011, 2),
    ("pcap/nDPI/tcp_scan.pcapng", 30, 1),
    ("pcap/suricata-verify/RDP-003.pcap", 435, 1),
    ("pcap/wireshark-wiki/RDP-002.pcap", 448, 1),
    ("pcap/wireshark-wiki/rdp-ssl.pcap", 71, 1),
    (
        "pcap/wireshark-wiki/ws-cssp/freerdp-client-krb5.pcapng",
        2767,
        1,
    ),
    ("pcap/zeek/nla_win7_win2k8r2.pcap", 658, 2),
    ("pcap/zeek/rdp-invalid-length.pcap", 7, 1),
    ("pcap/zeek/rdp-no-cookie-mstshash.pcap", 20, 1),
    ("pcap/zeek/rdp-proprietary-encryption.pcap", 542, 2),
    ("pcap/zeek/rdp-to-ssl.pcap", 658, 2),
    ("pcap/zeek/rdp-unknown-keyboard.pcap", 11, 1),
    ("pcap/zeek/rdp-x509.pcap", 15, 1),
    ("pcap/zeek/rdpeudp-handshake-fail.pcap", 3, 0),
    ("pcap/zeek/rdpeudp-handshake-success.pcap", 10, 0),
    ("pcap/zeek/rdpeudp2-handshake-success.pcap", 10, 0),
];

/// UDP packets to or from port 3389 (tshark `-Y udp.port==3389`): counted, not analysed, and
/// the one warning those captures get.
const UDP_RDP_PORT: &[(&str, u64)] = &[
    ("pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng", 447),
    ("pcap/nDPI/rdp2.pcap", 39),
    ("pcap/zeek/rdpeudp-handshake-fail.pcap", 3),
    ("pcap/zeek/rdpeudp-handshake-success.pcap", 10),
    ("pcap/zeek/rdpeudp2-handshake-success.pcap", 10),
];

#[test]
fn every_corpus_capture_is_read_whole_without_warnings() {
    let Some(_) = corpus() else { return };
    for &(rel, packets, rdp) in CORPUS {
        let Some(r) = analyze(rel) else { continue };
        assert_eq!(r.inputs.len(), 1, "{rel}");
        let input = &r.inputs[0];
        assert!(!input.skipped, "{rel} skipped");
        assert_eq!(input.packets, packets, "{rel}: frames read");
        let udp = UDP_RDP_PORT.iter().find(|u| u.0 == rel).map_or(0, |u| u.1);
        let want: Vec<String> = (udp > 0)
            .then(|| {
                format!(
                    "{udp} UDP packets to or from port 3389 (the RDP-UDP transport, \
                     MS-RDPEUDP) were counted, not analysed"
                )
            })
            .into_iter()
            .collect();
        let stats = input.stats.as_ref().expect("stats");
        assert_eq!(stats.udp_packets_rdp_port, udp, "{rel}");
        assert_eq!(input.warnings, want, "{rel}");
        assert_eq!(r.connections.len(), rdp, "{rel}: RDP connections");
    }
}

#[test]
fn the_whole_corpus_folder_in_one_run() {
    let Some(root) = corpus() else { return };
    let r = analyze_paths(&[root.join("pcap")], &Options::default());
    let captures = r.inputs.iter().filter(|i| !i.skipped).count();
    assert_eq!(captures, CORPUS.len());
    // The PEM key beside rdp-ssl.pcap is listed as skipped, not an error.
    let pem = r
        .inputs
        .iter()
        .find(|i| i.path.ends_with("rdp-ssl.cert-and-key.pem"))
        .expect("pem listed");
    assert!(pem.skipped);
    assert_eq!(pem.kind, "unknown");
    let total: usize = CORPUS.iter().map(|c| c.2).sum();
    assert_eq!(r.connections.len(), total);
    // Ids are c1..cN in report order.
    for (i, c) in r.connections.iter().enumerate() {
        assert_eq!(c.id.to_string(), format!("c{}", i + 1));
    }
}

/// tcp_scan.pcapng (actually a pcap file, as `capinfos` says): frame 17 is a SYN from
/// 192.168.1.178:43067 to 192.168.1.2:3389, frame 18 the server's RST/ACK
/// (`tshark -r tcp_scan.pcapng -Y tcp.port==3389`). It is the only packet exchange on port
/// 3389: the file holds no unanswered SYN to 3389 (the scans of 3390–3392 are FIN/NULL/XMAS
/// probes), so `tcp_no_answer` cannot come from this file; synscan.pcap below shows it.
#[test]
fn tcp_scan_gives_tcp_refused() {
    let Some(r) = analyze("pcap/nDPI/tcp_scan.pcapng") else {
        return;
    };
    assert_eq!(r.inputs[0].kind, "pcap");
    let c = only_connection(&r);
    assert_eq!(c.client, "192.168.1.178:43067");
    assert_eq!(c.server, "192.168.1.2:3389");
    assert_eq!(c.verdict, Some(Verdict::Failed));
    assert_eq!(c.cause, Some(Cause::TcpRefused));
    assert_eq!(c.failed_stage, Some(Stage::Tcp));
    assert_eq!(c.reached, None);
    assert_eq!(c.detail().stages[0].stage, Stage::Tcp);
    assert_eq!(c.detail().stages[0].status, Status::Failed);
    assert_eq!(c.detail().stages[0].frames, vec![17, 18]);
    assert_eq!(c.detail().network.reset_by, Some(Party::Server));
    assert_eq!(c.detail().network.reset_frame, Some(18));
    assert!(
        c.detail().stages[1..]
            .iter()
            .all(|s| s.status == Status::NotReached)
    );
}

/// synscan.pcap: nmap sent one SYN each from ports 36050 (frame 18) and 36051 (frame 21) to
/// 64.13.134.52:3389 and nothing came back; the capture runs 23 s, and neither SYN was sent
/// again: a scanner's SYNs, `probe` (issue 20 §4), not a firewall's drop of a client.
#[test]
fn synscan_gives_probes() {
    let Some(r) = analyze("pcap/nDPI/synscan.pcap") else {
        return;
    };
    assert_eq!(r.connections.len(), 2);
    for (c, (port, frame)) in r.connections.iter().zip([(36050, 18), (36051, 21)]) {
        assert_eq!(c.client, format!("172.16.0.8:{port}"));
        assert_eq!(c.server, "64.13.134.52:3389");
        assert_eq!(c.cause, Some(Cause::Probe));
        assert_eq!(c.verdict, Some(Verdict::Failed));
        assert_eq!(c.failed_stage, Some(Stage::Tcp));
        assert_eq!(c.first_frame, frame);
        assert_eq!(c.detail().stages[0].frames, vec![frame]);
        assert_eq!(c.detail().network.syn_retries, 0);
    }
    // One info finding for the two, with no firewall fix.
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.cause, f.severity, f.connections.clone()),
        (
            Cause::Probe,
            Severity::Info,
            vec!["c1".to_string(), "c2".into()]
        )
    );
    assert!(
        f.summary
            .contains(": 2 unanswered scan SYNs (one SYN, never sent again); not RDP attempts"),
        "{}",
        f.summary
    );
    assert!(
        !f.remediation.join(" ").contains("Allow"),
        "{:?}",
        f.remediation
    );
    // The scan's other 1000-odd probes are not RDP and are only counted.
    let stats = r.inputs[0].stats.as_ref().unwrap();
    assert_eq!(stats.rdp_connections, 2);
    assert!(stats.tcp_connections > 1000, "{}", stats.tcp_connections);
}

/// RDP-002.pcap: tshark counts 17 `tcp.analysis.retransmission` (fast and spurious ones
/// included, as Wireshark flags them), 12 `tcp.analysis.lost_segment` ("previous segment not
/// captured"), 1 `tcp.analysis.out_of_order` (frame 100) and 28 `tcp.analysis.duplicate_ack`.
/// We count the same. The difference is in meaning, not number: every one of the 12 gaps was
/// filled later by a retransmission, so no byte of the stream is missing (missed_bytes 0);
/// tshark's "not captured" is a statement about the moment, ours about the end.
#[test]
fn rdp_002_reports_retransmissions_and_gaps_like_tshark() {
    let Some(r) = analyze("pcap/wireshark-wiki/RDP-002.pcap") else {
        return;
    };
    let c = only_connection(&r);
    let n = &c.detail().network;
    assert_eq!(n.retransmissions, 17);
    assert_eq!(n.gaps, 12);
    assert_eq!(n.out_of_order, 1);
    assert_eq!(n.duplicate_acks, 28);
    assert_eq!(n.missed_bytes, 0);
    // All of it came from the server (port 3389), and the ACKs from the client.
    assert_eq!(n.server.retransmissions, 17);
    assert_eq!(n.client.duplicate_acks, 28);
    // Frame 446: the client's FIN; frame 448: the server's RST (tshark -Y "tcp.flags.fin==1 or tcp.flags.reset==1").
    assert_eq!(
        (n.closed_by, n.close_frame),
        (Some(Party::Client), Some(446))
    );
    assert_eq!(
        (n.reset_by, n.reset_frame),
        (Some(Party::Server), Some(448))
    );
    // SYN at 0.000000, SYN-ACK at 0.000378, ACK at 0.000419 (tshark -c 3).
    assert_eq!(n.rtt_ms, Some(0.419));
    assert_eq!(c.detail().stages[0].frames, vec![1, 2, 3]);
    // XP RDC 5.1 to Server 2003, Standard RDP Security, "full logon/logoff" (MANIFEST.md).
    assert_eq!(c.reached, Some(Stage::Session));
    assert_eq!(c.verdict, Some(Verdict::Ok));
}

/// Duplicated packets (rdp-no-cookie-mstshash: "every packet is duplicated") and repeated
/// SYNs (rdp-x509, rdp-unknown-keyboard): tshark's retransmission count includes the
/// repeated SYN and SYN-ACK (retx=8 and retx=4 in the curation summary). In rdp-x509 and
/// rdp-unknown-keyboard they are real retries (3 s later, another IPv4 identification): we
/// count them as syn_retries and synack_retries. In rdp-no-cookie-mstshash they are the same
/// packets captured twice (same identification, 5 µs and 0 µs apart): no retry at all.
#[test]
fn duplicated_packets_count_as_tshark_counts_them() {
    for (rel, tshark_retx, rst_frame, retries) in [
        ("pcap/zeek/rdp-no-cookie-mstshash.pcap", 8, Some(19), 0),
        ("pcap/zeek/rdp-unknown-keyboard.pcap", 4, None, 1),
        ("pcap/zeek/rdp-x509.pcap", 4, None, 1),
    ] {
        let Some(r) = analyze(rel) else { return };
        let n = &only_connection(&r).detail().network;
        assert_eq!(n.syn_retries, retries, "{rel}");
        assert_eq!(n.synack_retries, retries, "{rel}");
        assert_eq!(n.retransmissions + 2, tshark_retx, "{rel}");
        assert_eq!(n.reset_frame, rst_frame, "{rel}");
    }
}

/// rdp-proprietary-encryption.pcap, stream 1: tshark flags 9 "previous segment not captured"
/// and no retransmission: each missing segment arrived a frame or two later (frame 120's
/// gap is filled by frame 122, and so on), so nothing is missing in the end.
#[test]
fn reordered_segments_are_gaps_that_fill() {
    let Some(r) = analyze("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    assert_eq!(r.connections.len(), 2);
    let c = &r.connections[1];
    assert_eq!(c.client, "172.21.128.16:1312");
    assert_eq!(c.detail().network.gaps, 9);
    assert_eq!(c.detail().network.retransmissions, 0);
    assert_eq!(c.detail().network.missed_bytes, 0);
    assert_eq!(c.detail().network.out_of_order, 9);
    // Connection 1 (port 1311) ends with the server's RST at frame 8 (rst=['srv@8']).
    assert_eq!(r.connections[0].detail().network.reset_frame, Some(8));
    assert_eq!(
        r.connections[0].detail().network.reset_by,
        Some(Party::Server)
    );
}

/// rdp-ssl.pcap starts after the X.224 exchange ("(no SYN)" in the curation summary): the
/// roles come from port 3389 and the connection is marked mid-stream.
#[test]
fn a_capture_that_starts_mid_stream() {
    let Some(r) = analyze("pcap/wireshark-wiki/rdp-ssl.pcap") else {
        return;
    };
    let c = only_connection(&r);
    assert_eq!(c.client, "192.168.1.109:49181");
    assert_eq!(c.server, "10.0.2.15:3389");
    assert!(c.detail().network.mid_stream);
    assert_eq!(
        c.detail().network.roles_from,
        rdptriage::tcp::RoleSource::RdpPort
    );
    assert_eq!(c.detail().stages[0].status, Status::Ok);
    assert_eq!(c.detail().network.rtt_ms, None);
}

/// Client RSTs: LM_rdp_sharprdp ends both sessions with a client reset (rst=['cli@526'] and
/// ['cli@1046']).
#[test]
fn who_reset_is_named() {
    let Some(r) = analyze("pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng") else {
        return;
    };
    let resets: Vec<_> = r
        .connections
        .iter()
        .map(|c| (c.detail().network.reset_by, c.detail().network.reset_frame))
        .collect();
    assert_eq!(
        resets,
        vec![
            (Some(Party::Client), Some(526)),
            (Some(Party::Client), Some(1046))
        ]
    );
    assert_eq!(r.inputs[0].kind, "pcapng");
}
