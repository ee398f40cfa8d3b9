//! Findings end to end on the fixtures: captures joined with the event logs made to match
//! them. Expected values come from `fixtures/captures/EXPECTED.md` and
//! `fixtures/eventlog/README.md`.

use std::path::{Path, PathBuf};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{Finding, Report};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn analyze(rels: &[&str]) -> Report {
    let paths: Vec<PathBuf> = rels.iter().map(|r| fixture(r)).collect();
    analyze_paths(&paths, &Options::default())
}

fn has_line(f: &Finding, starts: &str, contains: &str) -> bool {
    f.evidence
        .iter()
        .any(|l| l.starts_with(starts) && l.contains(contains))
}

fn cites(f: &Finding, file: &str, record: u64) -> bool {
    let end = format!("{file}#{record}");
    f.events.iter().any(|e| e.ends_with(&end))
        && f.evidence.iter().any(|l| l.contains(&format!("{end}:")))
}

#[test]
fn expired_certificate_with_server_and_client_logs_is_one_finding() {
    let r = analyze(&[
        "captures/cert-expired.pcap",
        "eventlog/server-system.evtx",
        "eventlog/client-rdpclient.evtx",
    ]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, "certificate_rejected");
    assert_eq!(f.severity, "error");
    assert_eq!(f.connections, ["c1"]);
    // EXPECTED.md: ServerHello + Certificate (10), the client's encrypted alert (13), FIN (14).
    assert!(has_line(f, "frame 10:", "certificate"), "{:#?}", f.evidence);
    assert!(has_line(f, "frame 10:", "2020-01-31"), "{:#?}", f.evidence);
    assert!(has_line(f, "frame 13:", "client"), "{:#?}", f.evidence);
    assert!(has_line(f, "frame 14:", "client"), "{:#?}", f.evidence);
    // README: RCM 1058 (15402) and 1057 (15403) at service start, Schannel 36870 (15417) at
    // the ClientHello; on the client 1024 (57) and 1026 reason 2308 (58).
    assert!(cites(f, "server-system.evtx", 15402), "{:#?}", f.events);
    assert!(cites(f, "server-system.evtx", 15403), "{:#?}", f.events);
    assert!(cites(f, "server-system.evtx", 15417), "{:#?}", f.events);
    assert!(cites(f, "client-rdpclient.evtx", 58), "{:#?}", f.events);
    // TermDD 56 (15420, 03:42:52) and Schannel 36888 (15431, 03:43:54) belong to other
    // captures: not this attempt.
    assert!(
        !f.events
            .iter()
            .any(|e| e.ends_with("#15420") || e.ends_with("#15431"))
    );
    // The connection alone is inferred (medium); the server's logs agree.
    assert_eq!(f.confidence, "high");
    // remedies.md, expired self-signed RDP certificate.
    let fix = f.remediation.join(" ");
    assert!(fix.contains("certlm.msc"), "{fix}");
    assert!(fix.contains("Restart-Service TermService -Force"), "{fix}");
    assert!(fix.contains("MachineKeys"), "{fix}");
    assert!(!f.collect_next.is_empty());
}

#[test]
fn wrong_password_twice_is_one_nla_finding_with_the_4625s_and_140s() {
    let r = analyze(&[
        "captures/nla-wrong-password.pcap",
        "eventlog/server-rdpcorets.evtx",
        "eventlog/server-security.evtx",
    ]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, "nla_failure");
    assert_eq!(f.connections, ["c1", "c2"]);
    assert_eq!(f.confidence, "high");
    for (file, record) in [
        ("server-security.evtx", 118734),
        ("server-security.evtx", 118735),
        ("server-rdpcorets.evtx", 4212),
        ("server-rdpcorets.evtx", 4213),
        ("server-rdpcorets.evtx", 4214),
        ("server-rdpcorets.evtx", 4215),
    ] {
        assert!(cites(f, file, record), "{file}#{record}: {:#?}", f.evidence);
    }
    // 131 for cert-expired (4211) and nla-success (4216): no capture of theirs in this run.
    assert!(
        !f.events
            .iter()
            .any(|e| e.ends_with("#4211") || e.ends_with("#4216"))
    );
    // Status 0xc000006d / SubStatus 0xc000006a, by name.
    let line = f
        .evidence
        .iter()
        .find(|l| l.contains("server-security.evtx#118734:"))
        .expect("4625 line");
    assert!(line.contains("STATUS_LOGON_FAILURE"), "{line}");
    assert!(line.contains("STATUS_WRONG_PASSWORD"), "{line}");
    // EXPECTED.md: the server closes (FIN 17) and resets (19) stream 0; stream 1 is frames 20-42.
    assert!(
        f.evidence.iter().any(|l| l.contains("frame 17")),
        "{:#?}",
        f.evidence
    );
    assert!(f.remediation.join(" ").contains("Credential Manager"));
    // README: 131 at 03:42:37.5538004 for the SYN at 03:42:37.553628 (+0.17 ms), 131 at
    // 03:42:37.5935092 for the SYN at 03:42:37.593354 (+0.16 ms).
    let off = r
        .clock_offsets
        .iter()
        .find(|o| o.computer == "RDPT-SRV")
        .expect("RDPT-SRV offset");
    assert_eq!(off.pairs, 2);
    assert!(off.offset_ms > 0.1 && off.offset_ms < 0.2, "{off:?}");
}

#[test]
fn dropped_syns_alone_give_tcp_no_answer() {
    let r = analyze(&["captures/tcp-dropped.pcap"]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, "tcp_no_answer");
    assert!(f.events.is_empty());
    // EXPECTED.md: frames 1-8, the SYN and its 7 retransmissions.
    assert!(
        f.evidence
            .iter()
            .any(|l| l.starts_with("frames 1, 2, 3, 4, 5, 6, 7, 8:")),
        "{:#?}",
        f.evidence
    );
    assert!(
        f.remediation
            .join(" ")
            .contains("Remote Desktop - User Mode (TCP-In)")
    );
}

#[test]
fn logs_alone_give_event_findings() {
    let r = analyze(&["eventlog/server-system.evtx"]);
    let causes: Vec<&str> = r.findings.iter().map(|f| f.cause).collect();
    // README: 1058 + 1057 at service start, 36870 at 03:42:30.
    assert_eq!(
        causes,
        ["certificate_renewal_failed", "private_key_inaccessible"],
        "{:#?}",
        r.findings
    );
    assert_eq!(r.findings[0].events.len(), 2);
    assert!(r.findings[1].events[0].ends_with("server-system.evtx#15417"));
}

#[test]
fn corpus_security_log_gives_firewall_and_logon_findings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/evtx/omerbenamram-evtx/Security_short_selected.evtx");
    if !path.is_file() {
        eprintln!("skipping: {} not found", path.display());
        return;
    }
    let r = analyze_paths(&[path], &Options::default());
    // MANIFEST.md: 4625 LT10 (0xC000006D/0xC000006A), 5152 to DestPort 3389.
    let fw = r
        .findings
        .iter()
        .find(|f| f.cause == "firewall_blocked")
        .expect("firewall_blocked");
    assert_eq!(fw.events.len(), 1);
    assert!(fw.evidence[0].contains(":3389"), "{:#?}", fw.evidence);
    let logon = r
        .findings
        .iter()
        .find(|f| f.cause == "logon_failed")
        .expect("logon_failed");
    assert_eq!(logon.events.len(), 1);
    assert!(
        logon.evidence[0].contains("0xC000006A"),
        "{:#?}",
        logon.evidence
    );
    assert_eq!(r.findings.len(), 2, "{:#?}", r.findings);
}

#[test]
fn a_success_logged_for_the_same_client_and_time_lowers_the_confidence() {
    // server-rcm's 1149 (README: 03:42:41.548, the later nla-success attempt) is 3.8 s after
    // nla-wrong-password's last frame: it does not join that attempt.
    let r = analyze(&[
        "captures/nla-wrong-password.pcap",
        "eventlog/server-rcm.xml",
    ]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    assert_eq!(r.findings[0].cause, "nla_failure");
    assert!(r.findings[0].events.is_empty(), "{:#?}", r.findings[0]);
    assert_eq!(r.findings[0].confidence, "medium");
    // The same 1149 moved into the second connection (03:42:37.60): it contradicts the failure.
    let xml = std::fs::read_to_string(fixture("eventlog/server-rcm.xml")).expect("read");
    let moved = xml.replace(
        "2026-11-22T03:42:41.548173300Z",
        "2026-11-22T03:42:37.600000000Z",
    );
    assert_ne!(moved, xml);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rcm-moved.xml");
    std::fs::write(&path, moved).expect("write");
    let r = analyze_paths(
        &[fixture("captures/nla-wrong-password.pcap"), path],
        &Options::default(),
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.confidence, "low");
    assert!(f.events.iter().any(|e| e.ends_with("rcm-moved.xml#731")));
    assert!(
        f.evidence.iter().any(|l| l.contains("contradicts")),
        "{:#?}",
        f.evidence
    );
}

#[test]
fn dropped_syns_with_the_firewall_s_5152s_are_a_firewall_drop() {
    let r = analyze(&[
        "captures/tcp-dropped.pcap",
        "eventlog/server-security-wfp.evtx",
    ]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    // The capture alone says tcp_no_answer; the 5152s name the firewall.
    assert_eq!(f.cause, "firewall_blocked");
    assert_eq!(r.connections[0].cause, Some("tcp_no_answer"));
    assert_eq!(f.severity, "error");
    assert_eq!(f.confidence, "high");
    assert_eq!(f.connections, ["c1"]);
    // EXPECTED.md: frames 1-8, the SYN and its 7 retransmissions.
    assert!(
        has_line(f, "frames 1, 2, 3, 4, 5, 6, 7, 8:", "never answered"),
        "{:#?}",
        f.evidence
    );
    // README: one 5152 per dropped SYN, records 118726-118733, 10.99.1.2:36304 → :3389.
    assert_eq!(f.events.len(), 8, "{:#?}", f.events);
    for record in 118726..=118733 {
        assert!(cites(f, "server-security-wfp.evtx", record), "{record}");
    }
    let line = f
        .evidence
        .iter()
        .find(|l| l.contains("server-security-wfp.evtx#118726:"))
        .expect("5152 line");
    assert!(
        line.contains("5152: Firewall dropped a packet 10.99.1.2:36304 → 10.99.2.2:3389"),
        "{line}"
    );
    for fact in [
        "failed at the tcp stage (firewall_blocked)",
        "firewall dropped it",
        "RDPT-SRV 5152 ×8",
        "(tcp_no_answer)",
        "8 SYNs to 10.99.2.2:3389 unanswered",
    ] {
        assert!(f.summary.contains(fact), "{fact}: {}", f.summary);
    }
    // remedies.md, firewall drops port 3389.
    assert!(
        f.remediation
            .join(" ")
            .contains("Remote Desktop - User Mode (TCP-In)")
    );
    assert!(!f.collect_next.is_empty());
    // One sample per connection: the first 5152 against the first SYN (+0.17 ms).
    let off = &r.clock_offsets[0];
    assert_eq!((off.computer.as_str(), off.pairs), ("RDPT-SRV", 1));
    assert!((off.offset_ms - 0.173).abs() < 0.001, "{off:?}");
}

#[test]
fn reset_after_the_client_hello_with_schannel_36870_is_the_private_key() {
    let r = analyze(&[
        "captures/server-reset-mid-handshake.pcap",
        "eventlog/server-system-tlskey.evtx",
        "eventlog/server-rdpcorets-tlskey.evtx",
    ]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.cause, "private_key_inaccessible");
    assert_eq!(r.connections[0].cause, Some("tls_aborted"));
    assert_eq!(f.severity, "error");
    assert_eq!(f.confidence, "high");
    assert_eq!(f.connections, ["c1"]);
    // EXPECTED.md: ClientHello 8, the server's plaintext DPU 10, the server's RST 11.
    assert!(
        has_line(f, "frames 8, 10, 11:", "plaintext X.224/MCS PDU"),
        "{:#?}",
        f.evidence
    );
    assert!(
        has_line(f, "frame 11:", "the server reset"),
        "{:#?}",
        f.evidence
    );
    // README: 131 (4217) at the SYN, Schannel 36870 (15418) at the ClientHello.
    assert_eq!(f.events.len(), 2, "{:#?}", f.events);
    assert!(cites(f, "server-rdpcorets-tlskey.evtx", 4217));
    assert!(cites(f, "server-system-tlskey.evtx", 15418));
    for fact in [
        "failed at the tls stage (private_key_inaccessible)",
        "could not use the private key",
        "RDPT-SRV 36870",
        "0x8009030d (SEC_E_UNKNOWN_CREDENTIALS",
        "(tls_aborted)",
        "(frame 10)",
    ] {
        assert!(f.summary.contains(fact), "{fact}: {}", f.summary);
    }
    // remedies.md, the server cannot use its TLS private key — and not the expired-certificate fix.
    let fix = f.remediation.join(" ");
    assert!(fix.contains("NETWORK SERVICE read access"), "{fix}");
    assert!(fix.contains("MachineKeys_old"), "{fix}");
    assert!(!fix.contains("certlm.msc"), "{fix}");

    // With the whole System log: RCM 1058/1057 (access denied at service start) and TermDD 56
    // at the reset join as companions; the 36870 of 03:42:30 (cert-expired.pcap's time, no
    // capture of it here) stays a finding of its own.
    let r = analyze(&[
        "captures/server-reset-mid-handshake.pcap",
        "eventlog/server-system-tlskey.evtx",
        "eventlog/server-rdpcorets-tlskey.evtx",
        "eventlog/server-system.evtx",
    ]);
    let causes: Vec<&str> = r.findings.iter().map(|f| f.cause).collect();
    assert_eq!(
        causes,
        ["private_key_inaccessible", "private_key_inaccessible"],
        "{:#?}",
        r.findings
    );
    let f = &r.findings[0];
    assert_eq!(f.confidence, "high");
    for record in [15402, 15403, 15420] {
        assert!(cites(f, "server-system.evtx", record), "{record}");
    }
    assert!(!f.events.iter().any(|e| e.ends_with("#15417")));
    assert_eq!(r.findings[1].connections, Vec::<String>::new());
    assert_eq!(r.findings[1].confidence, "medium");
    assert!(r.findings[1].events[0].ends_with("server-system.evtx#15417"));
}
