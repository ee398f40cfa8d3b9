//! Regressions for faults found by a review against the corpus, each on a capture built
//! here or a fixture and, when it is present, on the public corpus capture the fault was
//! reported on (`../shared/corpus`; those checks skip, saying why, when it is absent):
//!
//! * an RDP_NEG_FAILURE sentence cited the Connection Confirm's frame where it spoke of what
//!   the client asked for (`rdp-proprietary-encryption.pcap`, `neg-hybrid-required.pcap`);
//! * the handshake RTT was measured across a retransmitted SYN-ACK and SYN (Karn's rule,
//!   RFC 6298 §3; `rdp-x509.pcap`, `rdp-unknown-keyboard.pcap`);
//! * UDP packets to or from port 3389 were counted without a warning
//!   (`rdpeudp-handshake-fail.pcap`);
//! * a client leaving after the server's public-key confirmation was blamed on credentials
//!   (`rdp-to-ssl.pcap`);
//! * a capture begun after the X.224 exchange was taken to have selected SSL, so "no NLA"
//!   (`rdp-ssl.pcap`);
//! * a session longer than the payload read did not say its end was seen from TCP alone
//!   (`RDP-002.pcap`).

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Stage, Status, Verdict};
use std::path::Path;

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::Report;
use support::*;

const CLIENT: &str = "10.1.0.5:50000";
const SERVER: &str = "10.2.0.9:3389";

fn analyze_corpus(rel: &str) -> Option<Report> {
    Some(analyze_paths(&[corpus_file(rel)?], &Options::default()))
}

fn rtt_of(segs: &[(i64, Seg)]) -> Option<f64> {
    let (r, _dir, _p) = analyze_bytes("rtt.pcap", &pcap_of(Link::Eth, segs));
    only_conn(&r).detail().network.rtt_ms
}

// ---------------------------------------------------------------------------------------
// 1. The negotiation failure cites the request frame
// ---------------------------------------------------------------------------------------

/// fixtures/captures/neg-hybrid-required.pcap: Connection Request in frame 4, Connection
/// Confirm with RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER in frame 6 (EXPECTED.md).
#[test]
fn negotiation_failure_cites_the_request_frame_fixture() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures/neg-hybrid-required.pcap");
    let r = analyze(&[p]);
    let c = &r.connections[0];
    assert_eq!(
        summary(c),
        String::from(
            "the server refused the negotiation (frame 6): HYBRID_REQUIRED_BY_SERVER — the \
             server requires Network Level Authentication (CredSSP); the client did not offer \
             it (request in frame 4)"
        )
    );
}

/// rdp-proprietary-encryption.pcap, connection 1: X.224 Connection Request (requestedProtocols
/// 0x1) in frame 4, RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER in frame 5 (tshark).
#[test]
fn negotiation_failure_cites_the_request_frame_corpus() {
    let Some(r) = analyze_corpus("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    let c = &r.connections[0];
    assert_eq!(c.id.to_string(), "c1");
    let detail = c.detail();
    let neg = detail.negotiation.as_ref().expect("negotiation");
    assert_eq!((neg.request_frame, neg.confirm_frame), (Some(4), Some(5)));
    assert_eq!(
        summary(c),
        String::from(
            "the server refused the negotiation (frame 5): SSL_NOT_ALLOWED_BY_SERVER — the \
             server allows only Standard RDP Security (SecurityLayer = RDP); the client asked \
             for TLS (request in frame 4) (the client tried again: c2, of the same attempt, got \
             further)"
        )
    );
    let x224 = &c.detail().stages[1];
    assert_eq!(x224.stage, Stage::X224);
    assert_eq!(
        x224.note.as_deref(),
        Some(
            "the server refused the negotiation (frame 5): SSL_NOT_ALLOWED_BY_SERVER — the \
             server allows only Standard RDP Security (SecurityLayer = RDP); the client asked \
             for TLS (request in frame 4)"
        )
    );
}

// ---------------------------------------------------------------------------------------
// 2. Karn's rule for the handshake RTT
// ---------------------------------------------------------------------------------------

/// The shape of rdp-x509.pcap: SYN, SYN-ACK 0.08 ms later, the SYN-ACK again at 2.3 s, the
/// SYN again at 3 s, the ACK at 7.14 s. SYN → ACK spans both retransmissions; the SYN was
/// not sent again before the first SYN-ACK, so SYN → SYN-ACK is the sample.
#[test]
fn rtt_is_not_measured_across_a_retransmitted_syn_or_synack() {
    let c = Conv::new(CLIENT, SERVER);
    let rtt = rtt_of(&[
        (T0, c.syn()),
        (T0 + 80_000, c.synack()),
        (T0 + 2_300_813_000, c.synack()),
        (T0 + 2_996_685_000, c.syn()),
        (T0 + 7_142_217_000, c.ack()),
    ]);
    assert_eq!(rtt, Some(0.08));
}

/// The SYN-ACK alone sent again before the ACK: SYN → ACK is ambiguous, SYN → SYN-ACK is not.
#[test]
fn rtt_after_a_retransmitted_synack_is_syn_to_first_synack() {
    let c = Conv::new(CLIENT, SERVER);
    let rtt = rtt_of(&[
        (T0, c.syn()),
        (T0 + 5 * MS, c.synack()),
        (T0 + SEC + 5 * MS, c.synack()),
        (T0 + SEC + 6 * MS, c.ack()),
    ]);
    assert_eq!(rtt, Some(5.0));
}

/// The SYN sent again before the SYN-ACK: which SYN it answers is ambiguous, so there is no
/// sample from the handshake at all.
#[test]
fn rtt_after_a_retransmitted_syn_is_none() {
    let c = Conv::new(CLIENT, SERVER);
    let rtt = rtt_of(&[
        (T0, c.syn()),
        (T0 + SEC, c.syn()),
        (T0 + SEC + 10 * MS, c.synack()),
        (T0 + SEC + 20 * MS, c.ack()),
    ]);
    assert_eq!(rtt, None);
}

/// No retransmission: SYN → ACK as before.
#[test]
fn rtt_without_retransmission_is_syn_to_ack() {
    let c = Conv::new(CLIENT, SERVER);
    let rtt = rtt_of(&[
        (T0, c.syn()),
        (T0 + 12 * MS, c.synack()),
        (T0 + 13 * MS, c.ack()),
    ]);
    assert_eq!(rtt, Some(13.0));
}

/// tshark: SYN (frame 1) → SYN-ACK (frame 2) 0.000080 s; the SYN-ACK again (frame 3), the SYN
/// again (frame 4), then the ACK (frame 5) at 7.142217 s.
#[test]
fn rtt_on_the_corpus_follows_karns_rule() {
    for rel in [
        "pcap/zeek/rdp-x509.pcap",
        "pcap/zeek/rdp-unknown-keyboard.pcap",
    ] {
        let Some(r) = analyze_corpus(rel) else {
            return;
        };
        let n = &r.connections[0].detail().network;
        assert_eq!((n.syn_retries, n.synack_retries), (1, 1), "{rel}");
        assert_eq!(n.rtt_ms, Some(0.08), "{rel}");
    }
}

// ---------------------------------------------------------------------------------------
// 3. UDP to or from port 3389 is warned about
// ---------------------------------------------------------------------------------------

fn udp_frames(pairs: &[(&str, &str)]) -> Vec<(i64, Vec<u8>)> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (s, d))| {
            (
                T0 + i as i64 * SEC,
                Link::Eth.wrap(&udp(ep(s), ep(d), &[0xff; 32])),
            )
        })
        .collect()
}

#[test]
fn udp_to_the_rdp_port_is_warned() {
    let fr = udp_frames(&[
        (CLIENT, SERVER),
        (CLIENT, SERVER),
        (SERVER, CLIENT),
        ("10.1.0.5:5353", "10.2.0.9:5353"),
    ]);
    let (r, _dir, p) = analyze_bytes("udp.pcap", &Pcap::new(1).file(&fr));
    let input = only_input(&r);
    assert_eq!(input.stats.as_ref().expect("stats").udp_packets_rdp_port, 3);
    let w = "3 UDP packets to or from port 3389 (the RDP-UDP transport, MS-RDPEUDP) were \
             counted, not analysed";
    assert_eq!(input.warnings, vec![w.to_string()]);
    assert_eq!(r.warnings, vec![format!("{}: {w}", p.display())]);

    let (r, _dir, _p) = analyze_bytes("udp1.pcap", &Pcap::new(1).file(&fr[..1]));
    assert_eq!(
        only_input(&r).warnings,
        vec![
            "1 UDP packet to or from port 3389 (the RDP-UDP transport, MS-RDPEUDP) was \
             counted, not analysed"
                .to_string()
        ]
    );

    let (r, _dir, _p) = analyze_bytes("udp0.pcap", &Pcap::new(1).file(&fr[3..]));
    assert!(only_input(&r).warnings.is_empty());
}

/// rdpeudp-handshake-fail.pcap: three RDPUDP SYNs to UDP 3389, never answered.
#[test]
fn udp_to_the_rdp_port_is_warned_corpus() {
    let Some(r) = analyze_corpus("pcap/zeek/rdpeudp-handshake-fail.pcap") else {
        return;
    };
    let input = only_input(&r);
    assert_eq!(input.stats.as_ref().expect("stats").udp_packets_rdp_port, 3);
    assert_eq!(
        input.warnings,
        vec![
            "3 UDP packets to or from port 3389 (the RDP-UDP transport, MS-RDPEUDP) were \
             counted, not analysed"
                .to_string()
        ]
    );
    assert!(r.connections.is_empty());
}

// ---------------------------------------------------------------------------------------
// 4. The client leaving after the server confirmed its public key is not blamed on the
//    credentials
// ---------------------------------------------------------------------------------------

/// zeek/rdp-to-ssl.pcap c1 (tshark, TLS records of stream 0): client 85 bytes (frame 12),
/// server 341 (13), client 933 (14), server 341 (16), client FIN (17); c2, which logs on,
/// has the same four sizes and then the client's credentials. The server's answer in frame
/// 16 (336 bytes of TLS payload, 300 to 315 of plaintext under its CBC suite) is its
/// public-key confirmation: the credentials were not what failed.
#[test]
fn a_client_leaving_after_the_public_key_confirmation_is_not_blamed_on_credentials() {
    let Some(r) = analyze_corpus("pcap/zeek/rdp-to-ssl.pcap") else {
        return;
    };
    let c1 = &r.connections[0];
    assert_eq!(c1.cause, Some(Cause::NlaFailure));
    assert_eq!(
        summary(c1),
        "the connection ended during the CredSSP exchange after 2 client and 2 server records (inferred from encrypted records: NTLM negotiate 12, NTLM challenge 13, NTLM authenticate with pubKeyAuth 14, server pubKeyAuth 16): the client closed the connection (frame 17); the server's answer to the client's authentication (frame 16, 300 bytes) has the size of its public-key confirmation, not of an error, so the server most likely accepted the credentials and the client stopped (a prompt cancelled, the server's identity or a CredSSP policy refused on the client) (the client tried again: c2, of the same attempt, got further)"
    );
}

/// fixtures/captures/nla-wrong-password.pcap: the server (freerdp-shadow) closes TLS after
/// the client's authentication (frame 15: an encrypted alert, 16, then a FIN, 17), without an
/// answer: it refused the credentials.
#[test]
fn a_server_closing_during_credssp_still_points_at_credentials() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures/nla-wrong-password.pcap");
    let r = analyze(&[p]);
    let c = &r.connections[0];
    assert_eq!(c.cause, Some(Cause::NlaFailure));
    assert_eq!(
        summary(c),
        "the server closed TLS 130 µs after the client's NTLM authenticate with pubKeyAuth \
         (frame 15) without answering it (an encrypted alert in frame 16, then a FIN in frame \
         17): it refused the credentials (inferred from encrypted record sizes: NTLM negotiate \
         13, NTLM challenge 14, NTLM authenticate with pubKeyAuth 15); most often wrong \
         credentials, or an account that may not log on"
    );
}

// ---------------------------------------------------------------------------------------
// 5. A capture that began after the X.224 exchange does not guess the security protocol
// ---------------------------------------------------------------------------------------

/// wireshark-wiki/rdp-ssl.pcap begins with the TLS ClientHello: the X.224 exchange, which
/// says whether the server selected SSL or HYBRID, is not in it. Decrypted with the key
/// beside it (tshark `-o uat:rsa_keys`), frames 7, 8, 10, 11 and 13 are CredSSP (NTLM) and 14
/// and 16 MCS: NLA ran. Neither NLA nor MCS is guessed any more: both `unknown`, and the
/// session is inferred from the records after TLS.
#[test]
fn a_capture_begun_after_x224_leaves_nla_and_mcs_unknown() {
    let Some(r) = analyze_corpus("pcap/wireshark-wiki/rdp-ssl.pcap") else {
        return;
    };
    let c = &r.connections[0];
    let detail = c.detail();
    let stages: Vec<(Stage, Status)> = detail.stages.iter().map(|s| (s.stage, s.status)).collect();
    assert_eq!(
        stages,
        [
            (Stage::Tcp, Status::Ok),
            (Stage::X224, Status::Unknown),
            (Stage::Tls, Status::Ok),
            (Stage::Nla, Status::Unknown),
            (Stage::Mcs, Status::Unknown),
            (Stage::Session, Status::Ok),
        ]
    );
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(
        detail.stages[3].note.as_deref(),
        Some(
            "the X.224 exchange is not in the capture: whether CredSSP (NLA) ran inside TLS is not known"
        )
    );
    assert_eq!(
        detail.stages[5].note.as_deref(),
        Some("inferred: 21 client and 22 server records after TLS")
    );
    assert!(
        !summary(c).contains("no NLA") && summary(c).contains("would say whether NLA ran"),
        "{}",
        summary(c)
    );
}

// ---------------------------------------------------------------------------------------
// 6. A session longer than the payload read says so
// ---------------------------------------------------------------------------------------

/// wireshark-wiki RDP-002.pcap: the server's stream is 87,653 bytes (tshark `-z
/// follow,tcp,raw,0`), past the 64 KiB read by default; its Disconnect Provider Ultimatum
/// (rn-user-requested) is frame 444. By default the summary says the stream is read only in
/// part; read whole (`--payload-cap 1048576`), it names the ultimatum and says nothing of a
/// cap.
#[test]
fn a_session_past_the_payload_cap_says_its_end_is_from_tcp_alone() {
    let Some(path) = corpus_file("pcap/wireshark-wiki/RDP-002.pcap") else {
        return;
    };
    let capped = analyze_paths(std::slice::from_ref(&path), &Options::default());
    let c = &capped.connections[0];
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(
        summary(c),
        "connected with Standard RDP Security; session carried 93 client and 128 server PDUs; the client closed the connection (frame 446); only the first bytes of each direction are read (`--payload-cap`, 64 KiB by default): the counts stop there, and how the session ended is from TCP alone"
    );
    let mut whole = Options::default();
    whole.tracker.payload_cap = 1 << 20;
    let read = analyze_paths(&[path], &whole);
    assert_eq!(
        summary(&read.connections[0]),
        "connected with Standard RDP Security; session carried 93 client and 170 server PDUs; the server ended it with an MCS Disconnect Provider Ultimatum (rn-user-requested, frame 444); the client closed the connection (frame 446)"
    );
}

/// The class "a stage left unfinished where the bytes read end": with `--payload-cap` below
/// the server's TLS flight (a large certificate chain does this at 64 KiB; 700 bytes does it
/// to these fixtures), nothing is said of how the stage ended: not `tls_aborted` or
/// `packet_loss`, but `incomplete` / `capture_ended` at the stage the cap reached, saying
/// to read more. Failures seen before the cap (a fatal alert, a refused negotiation) keep
/// their cause.
#[test]
fn a_stage_cut_by_the_payload_cap_is_not_called_a_failure() {
    let mut small = Options::default();
    small.tracker.payload_cap = 700;
    let fixture = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/captures")
            .join(name);
        analyze_paths(&[path], &small)
    };
    for (name, stage) in [
        ("cert-expired.pcap", Stage::Tls),
        ("loss-handshake.pcap", Stage::Tls),
        ("nla-success.pcap", Stage::Nla),
        ("tls-success.pcap", Stage::Mcs),
        ("stdrdp-success.pcap", Stage::Session),
    ] {
        let r = fixture(name);
        let c = &r.connections[0];
        assert_eq!(
            (c.verdict, c.cause, c.failed_stage),
            (Some(Verdict::Incomplete), Some(Cause::CaptureEnded), None),
            "{name}: {}",
            summary(c)
        );
        let detail = c.detail();
        let cut = detail
            .stages
            .iter()
            .find(|s| s.stage == stage)
            .expect("stage");
        assert_eq!(cut.status, Status::Unknown, "{name}");
        assert!(
            summary(c).contains(
                "the bytes read of each direction (`--payload-cap`, 64 KiB by default) end there"
            ),
            "{name}: {}",
            summary(c)
        );
    }
    let c = &fixture("cert-expired.pcap").connections[0];
    assert_eq!(
        summary(c),
        "the TLS handshake is not over: the bytes read of each direction (`--payload-cap`, 64 KiB by default) end there: the capture holds more, not read; analyse it again with a larger --payload-cap to see how it ended"
    );
    for (name, cause) in [
        ("tls-version-mismatch.pcap", Cause::TlsAlert),
        ("neg-hybrid-required.pcap", Cause::NegotiationFailure),
    ] {
        assert_eq!(fixture(name).connections[0].cause, Some(cause), "{name}");
    }
}
