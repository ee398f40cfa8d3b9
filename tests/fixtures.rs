//! The project's own captures (`fixtures/captures/`, made by `fixtures/make-captures.sh`:
//! xfreerdp against xrdp 0.9.21 and freerdp-shadow 2.11 in network namespaces). Every frame
//! number and field below is written down in `fixtures/captures/EXPECTED.md`, where tshark
//! derived it (`fixtures/captures/verify-expected.sh` re-checks that file against the pcaps).

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Confidence, Evidence, Party, Stage, Status, Verdict};
use std::path::PathBuf;

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{JudgedConnection, Report};
use serde_json::{Value, json};

fn analyze(name: &str) -> Report {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/captures")
        .join(name);
    analyze_paths(&[p], &Options::default())
}

fn one(name: &str) -> JudgedConnection {
    let r = analyze(name);
    assert_eq!(r.connections.len(), 1, "{name}: {:#?}", r.connections);
    assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
    r.connections.into_iter().next().unwrap()
}

fn stage(c: &JudgedConnection, name: Stage) -> (Status, Vec<u64>) {
    let detail = c.detail();
    let s = detail
        .stages
        .iter()
        .find(|s| s.stage == name)
        .expect("stage present");
    (s.status, s.frames.clone())
}

fn statuses(c: &JudgedConnection) -> Vec<Status> {
    c.detail().stages.iter().map(|s| s.status).collect()
}

/// A field of a connection's negotiation, TLS or MCS block as the JSON report writes it.
fn field<T: serde::Serialize>(v: &Option<T>, path: &[&str]) -> Value {
    let mut v = serde_json::to_value(v).unwrap_or(Value::Null);
    for k in path {
        v = v[*k].clone();
    }
    v
}

/// One fixture's expected verdict, cause, last stage reached and failed stage.
type Expected = (
    &'static str,
    Verdict,
    Option<Cause>,
    Option<Stage>,
    Option<Stage>,
);

/// Every fixture: the verdict, cause, last stage reached and the stage that failed.
#[test]
fn every_fixture_gets_its_verdict() {
    let table: &[Expected] = &[
        (
            "tls-success.pcap",
            Verdict::Ok,
            None,
            Some(Stage::Session),
            None,
        ),
        (
            "loss-path.pcap",
            Verdict::Ok,
            None,
            Some(Stage::Session),
            None,
        ),
        (
            "stdrdp-success.pcap",
            Verdict::Ok,
            None,
            Some(Stage::Session),
            None,
        ),
        (
            "nla-success.pcap",
            Verdict::Ok,
            None,
            Some(Stage::Session),
            None,
        ),
        (
            "tcp-dropped.pcap",
            Verdict::Failed,
            Some(Cause::TcpNoAnswer),
            None,
            Some(Stage::Tcp),
        ),
        (
            "neg-hybrid-required.pcap",
            Verdict::Failed,
            Some(Cause::NegotiationFailure),
            Some(Stage::Tcp),
            Some(Stage::X224),
        ),
        (
            "neg-server-rdp-only.pcap",
            Verdict::Failed,
            Some(Cause::NegotiationFailure),
            Some(Stage::Tcp),
            Some(Stage::X224),
        ),
        (
            "cert-expired.pcap",
            Verdict::Failed,
            Some(Cause::CertificateRejected),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "cert-name-mismatch.pcap",
            Verdict::Failed,
            Some(Cause::CertificateRejected),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "cert-expired-tls13.pcap",
            Verdict::Failed,
            Some(Cause::CertificateRejected),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "tls-version-mismatch.pcap",
            Verdict::Failed,
            Some(Cause::TlsAlert),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "tls-cipher-mismatch.pcap",
            Verdict::Failed,
            Some(Cause::TlsAlert),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "server-reset-mid-handshake.pcap",
            Verdict::Failed,
            Some(Cause::TlsAborted),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "loss-handshake.pcap",
            Verdict::Failed,
            Some(Cause::PacketLoss),
            Some(Stage::X224),
            Some(Stage::Tls),
        ),
        (
            "stdrdp-xrdp-mac-error.pcap",
            Verdict::Failed,
            Some(Cause::ServerDenied),
            Some(Stage::Mcs),
            Some(Stage::Session),
        ),
    ];
    for &(name, verdict, cause, reached, failed) in table {
        let c = one(name);
        assert_eq!(
            (c.verdict, c.cause, c.reached, c.failed_stage),
            (Some(verdict), cause, reached, failed),
            "{name}: {}",
            summary(&c)
        );
    }
}

/// tcp-refused: two connections (FreeRDP retries), each SYN (frames 1, 3) answered by the
/// server's RST (frames 2, 4); one attempt.
#[test]
fn refused_port() {
    let r = analyze("tcp-refused.pcap");
    assert_eq!(r.connections.len(), 2);
    for (c, (syn, rst)) in r.connections.iter().zip([(1, 2), (3, 4)]) {
        assert_eq!(c.cause, Some(Cause::TcpRefused));
        assert_eq!(stage(c, Stage::Tcp), (Status::Failed, vec![syn, rst]));
        assert_eq!(
            (c.detail().network.reset_by, c.detail().network.reset_frame),
            (Some(Party::Server), Some(rst))
        );
        assert_eq!(c.attempt.map(|a| a.to_string()).as_deref(), Some("a1"));
    }
    assert_eq!(r.connections[1].attempt_index, 2);
}

/// tcp-dropped: 1 SYN and 7 retransmissions over 11.3 s, never answered.
#[test]
fn silently_dropped_port() {
    let c = one("tcp-dropped.pcap");
    assert_eq!(c.detail().network.syn_retries, 7);
    assert_eq!(
        stage(&c, Stage::Tcp),
        (Status::Failed, vec![1, 2, 3, 4, 5, 6, 7, 8])
    );
    assert_eq!(c.detail().network.reset_by, None);
    assert_eq!(c.client, "10.99.1.2:36304");
    assert_eq!(c.server, "10.99.2.2:3389");
}

/// loss-path: a session through 20 % random loss; tshark: retransmission 13, lost_segment 9,
/// out_of_order 2, keep_alive 1; client FIN 116, client RST 118.
#[test]
fn loss_on_the_path_is_counted_like_tshark() {
    let c = one("loss-path.pcap");
    let n = &c.detail().network;
    assert_eq!(n.retransmissions, 13);
    assert_eq!(n.gaps, 9);
    assert_eq!(n.out_of_order, 2);
    assert_eq!(n.keep_alives, 1);
    assert_eq!(
        (n.closed_by, n.close_frame),
        (Some(Party::Client), Some(116))
    );
    assert_eq!(
        (n.reset_by, n.reset_frame),
        (Some(Party::Client), Some(118))
    );
    assert_eq!(stage(&c, Stage::X224), (Status::Ok, vec![4, 7]));
    assert_eq!(field(&c.detail().tls, &["version"]), "TLS1.3");
}

/// tls-success: CR frame 4 (PROTOCOL_SSL), CC frame 6, ClientHello 8, ServerHello 10 (TLS 1.3,
/// 0x1302 = TLS_AES_256_GCM_SHA384), client CCS/Finished 11; client FIN 107, RST 109.
#[test]
fn tls_session() {
    let c = one("tls-success.pcap");
    assert_eq!(
        statuses(&c),
        [
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::NotReached,
            Status::Ok,
            Status::Ok
        ]
    );
    assert_eq!(stage(&c, Stage::X224), (Status::Ok, vec![4, 6]));
    assert_eq!(stage(&c, Stage::Tls), (Status::Ok, vec![8, 10, 11]));
    assert_eq!(
        field(&c.detail().negotiation, &["requested"]),
        json!(["SSL"])
    );
    assert_eq!(field(&c.detail().negotiation, &["selected"]), "SSL");
    assert_eq!(field(&c.detail().tls, &["version"]), "TLS1.3");
    assert_eq!(
        field(&c.detail().tls, &["cipher"]),
        "TLS_AES_256_GCM_SHA384"
    );
    assert_eq!(field(&c.detail().tls, &["certificate_encrypted"]), true);
    assert_eq!(
        field(&c.detail().tls, &["client_hello", "supported_versions"]),
        json!(["TLS1.3", "TLS1.2", "TLS1.1", "TLS1.0"])
    );
    assert_eq!(
        (c.detail().network.closed_by, c.detail().network.close_frame),
        (Some(Party::Client), Some(107))
    );
    assert_eq!(c.detail().network.reset_frame, Some(109));
}

/// stdrdp-success: legacy CR (no RDP_NEG_REQ) frame 4, CC frame 6 selecting Standard RDP
/// Security; orderly client FIN at frame 64.
#[test]
fn standard_rdp_security_session() {
    let c = one("stdrdp-success.pcap");
    assert_eq!(
        statuses(&c),
        [
            Status::Ok,
            Status::Ok,
            Status::NotReached,
            Status::NotReached,
            Status::Ok,
            Status::Ok
        ]
    );
    assert_eq!(field(&c.detail().negotiation, &["requested"]), Value::Null);
    assert_eq!(field(&c.detail().negotiation, &["selected"]), "RDP");
    assert_eq!(c.detail().stages[1].frames, [4, 6]);
    assert_eq!(field(&c.detail().mcs, &["encryption_method"]), "128bit");
    assert_eq!(
        (c.detail().network.closed_by, c.detail().network.close_frame),
        (Some(Party::Client), Some(64))
    );
    assert_eq!(
        c.confidence,
        Some(Confidence::Medium),
        "the session stage is inferred from PDU counts"
    );
}

/// neg-hybrid-required: the client asked for TLS only (0x1); CC frame 6 is RDP_NEG_FAILURE 5;
/// the client closes (FIN frame 8).
#[test]
fn server_requires_nla() {
    let c = one("neg-hybrid-required.pcap");
    assert_eq!(
        field(&c.detail().negotiation, &["failure"]),
        "HYBRID_REQUIRED_BY_SERVER"
    );
    assert_eq!(
        field(&c.detail().negotiation, &["requested"]),
        json!(["SSL"])
    );
    assert_eq!(stage(&c, Stage::X224), (Status::Failed, vec![4, 6]));
    assert_eq!(c.confidence, Some(Confidence::High));
    assert_eq!(
        (c.detail().network.closed_by, c.detail().network.close_frame),
        (Some(Party::Client), Some(8))
    );
}

/// neg-server-rdp-only: the client asked for TLS only; xrdp selects PROTOCOL_RDP (frame 6),
/// which the client did not offer, and the client leaves (FIN frame 8).
#[test]
fn server_selects_a_protocol_the_client_did_not_offer() {
    let c = one("neg-server-rdp-only.pcap");
    assert_eq!(field(&c.detail().negotiation, &["selected"]), "RDP");
    assert_eq!(field(&c.detail().negotiation, &["failure"]), Value::Null);
    assert_eq!(stage(&c, Stage::X224), (Status::Failed, vec![4, 6, 8]));
}

/// cert-expired: TLS 1.2, self-signed CN=10.99.2.2 valid 2020-01-01 to 2020-01-31 in frame 10;
/// the handshake completes, the client sends an encrypted alert (frame 13) and FIN (14).
#[test]
fn expired_certificate() {
    let c = one("cert-expired.pcap");
    assert_eq!(field(&c.detail().tls, &["version"]), "TLS1.2");
    assert_eq!(
        field(&c.detail().tls, &["cipher"]),
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    let cert = field(&c.detail().tls, &["certificate"]);
    assert_eq!(cert["frame"], 10);
    assert_eq!(cert["subject"], "CN=10.99.2.2");
    assert_eq!(cert["issuer"], "CN=10.99.2.2");
    assert_eq!(cert["not_before"], "2020-01-01T00:00:00.000000Z");
    assert_eq!(cert["not_after"], "2020-01-31T00:00:00.000000Z");
    assert_eq!(cert["self_signed"], true);
    assert_eq!(cert["expired_at_capture"], true);
    assert_eq!(cert["subject_alt_names"], json!(["IP:10.99.2.2"]));
    assert_eq!(cert["key_type"], "RSA");
    let alerts = field(&c.detail().tls, &["alerts"])
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        (alerts[0]["from"].as_str(), alerts[0]["frame"].as_u64()),
        (Some("client"), Some(13))
    );
    assert_eq!(alerts[0]["level"], "encrypted");
    assert!(
        summary(&c).contains("expired on 2020-01-31"),
        "{}",
        summary(&c)
    );
    assert_eq!(
        stage(&c, Stage::Tls),
        (Status::Failed, vec![8, 10, 12, 13, 14])
    );
    assert_eq!(c.confidence, Some(Confidence::Medium));
}

/// cert-name-mismatch: the certificate (frame 10) is for wrong-name.rdptriage.test, issued by
/// the test CA; the client asked for 10.99.2.2 (SNI).
#[test]
fn certificate_for_another_name() {
    let c = one("cert-name-mismatch.pcap");
    let cert = field(&c.detail().tls, &["certificate"]);
    assert_eq!(cert["subject"], "CN=wrong-name.rdptriage.test");
    assert_eq!(cert["issuer"], "CN=rdptriage Test CA");
    assert_eq!(cert["self_signed"], false);
    assert_eq!(cert["expired_at_capture"], false);
    assert_eq!(cert["matches_sni"], false);
    assert_eq!(field(&c.detail().tls, &["sni"]), "10.99.2.2");
    assert!(
        summary(&c)
            .contains("names DNS:wrong-name.rdptriage.test but the client asked for 10.99.2.2"),
        "{}",
        summary(&c)
    );
}

/// nla-wrong-password: two connections (FreeRDP retries); each completes TLS 1.3, then the
/// server closes during CredSSP: FIN 17 / RST 19, and FIN 40 / RST 42.
#[test]
fn wrong_password_is_an_nla_failure() {
    let r = analyze("nla-wrong-password.pcap");
    assert_eq!(r.connections.len(), 2);
    for (c, (fin, rst)) in r.connections.iter().zip([(17, 19), (40, 42)]) {
        assert_eq!(c.cause, Some(Cause::NlaFailure), "{}", summary(c));
        assert_eq!(field(&c.detail().negotiation, &["selected"]), "HYBRID");
        assert_eq!(
            field(&c.detail().negotiation, &["requested"]),
            json!(["SSL", "HYBRID"])
        );
        assert_eq!(stage(c, Stage::Tls).0, Status::Ok);
        let (status, frames) = stage(c, Stage::Nla);
        assert_eq!(status, Status::Failed);
        assert_eq!(frames.last(), Some(&fin));
        assert_eq!(
            (c.detail().network.closed_by, c.detail().network.close_frame),
            (Some(Party::Server), Some(fin))
        );
        assert_eq!(
            (c.detail().network.reset_by, c.detail().network.reset_frame),
            (Some(Party::Server), Some(rst))
        );
        assert_eq!(
            c.detail()
                .stages
                .iter()
                .find(|s| s.stage == Stage::Nla)
                .unwrap()
                .evidence,
            Some(Evidence::Inferred)
        );
    }
    assert_eq!(r.connections[0].attempt, r.connections[1].attempt);
}

/// `nla-success.pcap` cut after its first `frames` frames (classic pcap: a 24-byte header,
/// then records of a 16-byte header and `incl_len` bytes), written to a temporary file.
fn nla_success_cut_after(frames: usize) -> tempfile::NamedTempFile {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures/nla-success.pcap");
    let bytes = std::fs::read(p).unwrap();
    let mut end = 24;
    for _ in 0..frames {
        let incl = u32::from_le_bytes(bytes[end + 8..end + 12].try_into().unwrap()) as usize;
        end += 16 + incl;
    }
    let mut f = tempfile::Builder::new().suffix(".pcap").tempfile().unwrap();
    std::io::Write::write_all(&mut f, &bytes[..end]).unwrap();
    f
}

/// A capture stopped in the middle of CredSSP says so: no guess about credentials, and the
/// NLA stage is not called failed.
#[test]
fn capture_cut_during_credssp_is_incomplete_not_a_credential_failure() {
    // Frames 13–17 are CredSSP (EXPECTED.md: the exchange ends at 19, MCS begins at 20);
    // tshark: 13 and 16 come from the client (10.99.1.2), 14 and 17 from the server.
    let cut = nla_success_cut_after(17);
    let r = analyze_paths(&[cut.path().to_path_buf()], &Options::default());
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.verdict, Some(Verdict::Incomplete));
    assert_eq!(c.cause, Some(Cause::CaptureEnded));
    assert_eq!(c.reached, Some(Stage::Tls));
    assert_eq!(
        stage(c, Stage::Nla),
        (Status::Unknown, vec![13, 14, 16, 17])
    );
    assert_eq!(
        summary(c),
        "the capture ends during the CredSSP exchange, after 2 client and 2 server records \
         (inferred from encrypted records: NTLM negotiate 13, NTLM challenge 14, NTLM \
         authenticate with pubKeyAuth 16, server pubKeyAuth 17), with the connection still \
         open: how NLA ended is not in the capture"
    );
    let text = rdptriage::report::text::render(&r);
    assert!(
        text.contains("? nla     ended here (above) [frames 13, 14, 16, 17]"),
        "{text}"
    );
    assert!(!text.contains("credentials"), "{text}");
}

/// The same capture stopped after the MCS exchange (tshark: frame 20 the client's 465-byte
/// record, 22 the server's 136-byte answer): setup is not called ended by anyone.
#[test]
fn capture_cut_during_setup_is_incomplete() {
    let cut = nla_success_cut_after(23);
    let r = analyze_paths(&[cut.path().to_path_buf()], &Options::default());
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(
        (c.verdict, c.cause, c.reached),
        (
            Some(Verdict::Incomplete),
            Some(Cause::CaptureEnded),
            Some(Stage::Mcs)
        )
    );
    assert_eq!(stage(c, Stage::Mcs), (Status::Ok, vec![20, 22]));
    assert_eq!(stage(c, Stage::Session).0, Status::Unknown);
    assert_eq!(
        summary(c),
        "the capture ends during connection setup, after the MCS exchange, with the connection \
         still open"
    );
}

/// nla-success: CR 0x3, CC selects HYBRID (frame 6); the CredSSP exchange ends and the
/// session runs.
#[test]
fn nla_session() {
    let c = one("nla-success.pcap");
    assert_eq!(
        statuses(&c),
        [
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok
        ]
    );
    assert_eq!(stage(&c, Stage::X224), (Status::Ok, vec![4, 6]));
    assert_eq!(stage(&c, Stage::Tls), (Status::Ok, vec![8, 9, 10]));
}

/// tls-version-mismatch: xrdp limited to TLS 1.1 answers the ClientHello (frame 8) with a
/// fatal internal_error alert (frame 10); tls-cipher-mismatch: handshake_failure (frame 10).
#[test]
fn tls_alerts_name_sender_and_description() {
    for (name, desc) in [
        ("tls-version-mismatch.pcap", "internal_error"),
        ("tls-cipher-mismatch.pcap", "handshake_failure"),
    ] {
        let c = one(name);
        let alerts = field(&c.detail().tls, &["alerts"])
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            alerts[0],
            json!({"from": "server", "level": "fatal", "description": desc, "frame": 10}),
            "{name}"
        );
        assert_eq!(
            stage(&c, Stage::Tls),
            (Status::Failed, vec![8, 10]),
            "{name}"
        );
        assert_eq!(c.confidence, Some(Confidence::High));
    }
}

/// server-reset-mid-handshake: a private key that does not match the certificate: no
/// ServerHello, a plaintext MCS disconnect (frame 10), server RST (frame 11).
#[test]
fn server_that_cannot_start_tls() {
    let c = one("server-reset-mid-handshake.pcap");
    assert_eq!(stage(&c, Stage::Tls), (Status::Failed, vec![8, 10, 11]));
    assert_eq!(
        (c.detail().network.reset_by, c.detail().network.reset_frame),
        (Some(Party::Server), Some(11))
    );
    assert_eq!(field(&c.detail().tls, &["server_hello_frame"]), Value::Null);
    assert!(summary(&c).contains("plaintext"), "{}", summary(&c));
}

/// loss-handshake: 60 % loss after the TCP handshake; CC at frame 9 after 4 retransmitted
/// CRs, ServerHello at 13, the client's Finished never acknowledged; tshark: 8
/// retransmissions; no FIN or RST before the capture ends.
#[test]
fn handshake_stalled_by_loss() {
    let c = one("loss-handshake.pcap");
    assert_eq!(c.detail().network.retransmissions, 8);
    assert_eq!(c.detail().network.reset_by, None);
    assert_eq!(c.detail().network.closed_by, None);
    assert_eq!(stage(&c, Stage::X224), (Status::Ok, vec![4, 9]));
    assert_eq!(field(&c.detail().tls, &["server_hello_frame"]), 13);
    assert_eq!(
        field(&c.detail().tls, &["server_finished_frame"]),
        Value::Null
    );
}

/// stdrdp-xrdp-mac-error: xrdp drops FreeRDP's Standard RDP Security session right after the
/// client's first encrypted PDU: a Disconnect Provider Ultimatum and the server's FIN (34).
#[test]
fn server_ends_standard_security_setup() {
    let c = one("stdrdp-xrdp-mac-error.pcap");
    assert_eq!(
        (c.detail().network.closed_by, c.detail().network.close_frame),
        (Some(Party::Server), Some(34))
    );
    assert!(
        summary(&c).contains("Disconnect Provider Ultimatum"),
        "{}",
        summary(&c)
    );
    assert_eq!(field(&c.detail().mcs, &["gcc_result"]), "Success");
}
