//! The RDP ladder on the public corpus (`../shared/corpus`), against what the peers' own
//! expected outputs say: Zeek's rdp.log and ssl.log baselines, Suricata's test.yaml, and the
//! MANIFEST's description of each trace (from tshark). The expectations in the table below are
//! taken from those files, not from this program's output. Skips when the corpus is absent.

mod support;
use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Party, Stage, Verdict};
use support::corpus_file;

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{JudgedConnection, Report};
use serde_json::Value;

/// A block of the report as the JSON report writes it.
fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serializes")
}

fn analyze(rel: &str) -> Option<Report> {
    Some(analyze_paths(&[corpus_file(rel)?], &Options::default()))
}

fn neg(c: &JudgedConnection, key: &str) -> Value {
    c.detail()
        .negotiation
        .as_ref()
        .map(|n| json(n)[key].clone())
        .unwrap_or(Value::Null)
}

fn tls(c: &JudgedConnection, path: &[&str]) -> Value {
    let mut v = c.detail().tls.as_ref().map(json).unwrap_or(Value::Null);
    for k in path {
        v = v[*k].clone();
    }
    v
}

/// Zeek logs the cookie without its `mstshash=` prefix.
fn zeek_cookie(c: &JudgedConnection) -> Option<String> {
    neg(c, "cookie")
        .as_str()
        .map(|s| s.trim_start_matches("mstshash=").to_string())
}

/// One row per connection: file, index, expected verdict, cause, last stage reached, and where
/// the expectation comes from.
const LADDER: &[(&str, usize, Verdict, Option<Cause>, Stage)] = &[
    // MANIFEST: "Conn 1: req 0x1 (TLS); server replies RDP_NEG_FAILURE 0x2 SSL_NOT_ALLOWED_BY_SERVER;
    // server RST. Conn 2: req 0x0, sel 0x0 (Standard RDP Security), full MCS/GCC, session OK."
    (
        "pcap/zeek/rdp-proprietary-encryption.pcap",
        0,
        Verdict::Failed,
        Some(Cause::NegotiationFailure),
        Stage::Tcp,
    ),
    (
        "pcap/zeek/rdp-proprietary-encryption.pcap",
        1,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "Conn 1 is short: TLS done, 4 appdata, client FIN, then server RST": by
    // REPORT.md's definition the connection ended during the CredSSP exchange (HYBRID); it is
    // mstsc's first connection of the attempt, superseded by conn 2 (asserted below).
    (
        "pcap/zeek/rdp-to-ssl.pcap",
        0,
        Verdict::Failed,
        Some(Cause::NlaFailure),
        Stage::Tls,
    ),
    (
        "pcap/zeek/nla_win7_win2k8r2.pcap",
        0,
        Verdict::Failed,
        Some(Cause::NlaFailure),
        Stage::Tls,
    ),
    // MANIFEST: "Conn 2 is a full session (438 appdata) ending in FIN+RST."
    (
        "pcap/zeek/rdp-to-ssl.pcap",
        1,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    (
        "pcap/zeek/nla_win7_win2k8r2.pcap",
        1,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "Standard RDP security … Truncated, with no teardown."
    (
        "pcap/zeek/rdp-x509.pcap",
        0,
        Verdict::Incomplete,
        Some(Cause::CaptureEnded),
        Stage::Mcs,
    ),
    // MANIFEST: "Same flow as rdp-x509, cut after GCC ClientData."
    (
        "pcap/zeek/rdp-unknown-keyboard.pcap",
        0,
        Verdict::Incomplete,
        Some(Cause::CaptureEnded),
        Stage::X224,
    ),
    // Suricata: full session; MANIFEST: "full session, server RST at the end".
    (
        "pcap/suricata-verify/RDP-003.pcap",
        0,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "full logon/logoff".
    (
        "pcap/wireshark-wiki/RDP-002.pcap",
        0,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "req 0xb, sel 0x8, TLS 1.2 ECDHE, 6 appdata. Truncated with no teardown."
    // By size the six records are the whole NTLM exchange, the last the server's 4-byte
    // Early User Authorization Result (HYBRID_EX): NLA ended, the capture before MCS.
    (
        "pcap/nDPI/rdp.pcap",
        0,
        Verdict::Incomplete,
        Some(Cause::CaptureEnded),
        Stage::Nla,
    ),
    // MANIFEST: "Legacy RDP (no RDP_NEG) … MCS Connect Initial/Response"; 30 packets, no teardown.
    (
        "pcap/nDPI/rdp3.pcap",
        0,
        Verdict::Incomplete,
        Some(Cause::CaptureEnded),
        Stage::Mcs,
    ),
    // MANIFEST: "Capture starts mid-stream after X.224 … decrypting shows CredSSP … Demand/Confirm Active."
    (
        "pcap/wireshark-wiki/rdp-ssl.pcap",
        0,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "Both sessions complete and end in a client RST."
    (
        "pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng",
        0,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    (
        "pcap/PCAP-ATTACK/LM_rdp_sharprdp.pcapng",
        1,
        Verdict::Ok,
        None,
        Stage::Session,
    ),
    // MANIFEST: "TLS 1.2 completes. After one 51-byte server record the client sends RST." The
    // 51 bytes are the server's ChangeCipherSpec (6) and Finished (45): the client reset
    // right after the handshake without sending its first TSRequest, so it never started
    // CredSSP: it did not go on past the certificate.
    (
        "pcap/zeek/rdp-no-cookie-mstshash.pcap",
        0,
        Verdict::Failed,
        Some(Cause::CertificateRejected),
        Stage::X224,
    ),
];

#[test]
fn ladder_verdicts_match_the_corpus_descriptions() {
    for &(rel, i, verdict, cause, reached) in LADDER {
        let Some(r) = analyze(rel) else { continue };
        let c = &r.connections[i];
        assert_eq!(c.verdict, Some(verdict), "{rel} #{i}: {}", summary(c));
        assert_eq!(c.cause, cause, "{rel} #{i}: {}", summary(c));
        assert_eq!(c.reached, Some(reached), "{rel} #{i}: {}", summary(c));
    }
}

/// Zeek rdp.log (rdp-to-ssl): cookie AWAKECODI, result encrypted, security_protocol HYBRID,
/// both connections; ssl.log: TLSv10, TLS_RSA_WITH_AES_128_CBC_SHA, server_name
/// 192.168.1.150, subject = issuer = CN=WIN2K8R2.awakecoding.ath.cx, cert_chain_fps
/// a5b05d2a…, sni_matches_cert F.
#[test]
fn rdp_to_ssl_agrees_with_zeek() {
    let Some(r) = analyze("pcap/zeek/rdp-to-ssl.pcap") else {
        return;
    };
    assert_eq!(r.connections.len(), 2);
    for c in &r.connections {
        assert_eq!(zeek_cookie(c).as_deref(), Some("AWAKECODI"));
        assert_eq!(neg(c, "selected"), "HYBRID");
        assert_eq!(neg(c, "requested"), serde_json::json!(["SSL", "HYBRID"]));
        assert_eq!(tls(c, &["version"]), "TLS1.0");
        assert_eq!(tls(c, &["cipher"]), "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(tls(c, &["sni"]), "192.168.1.150");
        assert_eq!(
            tls(c, &["certificate", "subject"]),
            "CN=WIN2K8R2.awakecoding.ath.cx"
        );
        assert_eq!(
            tls(c, &["certificate", "issuer"]),
            "CN=WIN2K8R2.awakecoding.ath.cx"
        );
        assert_eq!(tls(c, &["certificate", "self_signed"]), true);
        assert_eq!(
            tls(c, &["certificate", "sha256"]),
            "a5b05d2ae076130aa41060f53ecd72bdf864ea0179250e927549c94d5ab2499a"
        );
        assert_eq!(tls(c, &["certificate", "matches_sni"]), false);
    }
    // One attempt: the short first connection (mstsc's, before the password was typed, 34 s
    // earlier) is superseded by the full session.
    assert_eq!(r.connections[0].attempt, r.connections[1].attempt);
    assert_eq!(r.connections[0].superseded_by, Some(r.connections[1].id));
}

/// Zeek (rdp-no-cookie-msthash): no cookie, security_protocol HYBRID_EX; ssl.log TLSv12,
/// TLS_RSA_WITH_AES_256_GCM_SHA384, fingerprint 2f24fa5e…, subject CN=CLK-456040-D.one.phoenix.gov.
/// Every packet of the trace is captured twice: those are duplicates, not loss.
#[test]
fn no_cookie_agrees_with_zeek() {
    let Some(r) = analyze("pcap/zeek/rdp-no-cookie-mstshash.pcap") else {
        return;
    };
    let c = &r.connections[0];
    assert_eq!(neg(c, "cookie"), Value::Null);
    assert_eq!(neg(c, "selected"), "HYBRID_EX");
    assert_eq!(tls(c, &["version"]), "TLS1.2");
    assert_eq!(tls(c, &["cipher"]), "TLS_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(
        tls(c, &["certificate", "subject"]),
        "CN=CLK-456040-D.one.phoenix.gov"
    );
    assert_eq!(
        tls(c, &["certificate", "sha256"]),
        "2f24fa5efe1c62447b32aa41af38c4176d03a62ca9c3c8d491946ed283b86cca"
    );
    assert_eq!(
        c.detail().network.capture_duplicates,
        c.detail().network.retransmissions
    );
    assert_eq!(c.detail().network.reset_by, Some(Party::Client));
}

/// Zeek (rdp-proprietary-encryption): connection 1 result SSL_NOT_ALLOWED_BY_SERVER, cookie
/// FTBCO\A70; connection 2 Success, RDP, rdpdr,rdpsnd,drdynvc,cliprdr, English - United
/// States, RDP 6.0, FROG-POND, 1152x864, 32bit, RSA, 1, T, High, 128bit. One attempt: the
/// fallback.
#[test]
fn proprietary_encryption_fallback_agrees_with_zeek() {
    let Some(r) = analyze("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    let (c1, c2) = (&r.connections[0], &r.connections[1]);
    assert_eq!(zeek_cookie(c1).as_deref(), Some("FTBCO\\A70"));
    assert_eq!(neg(c1, "failure"), "SSL_NOT_ALLOWED_BY_SERVER");
    assert_eq!(neg(c1, "requested"), serde_json::json!(["SSL"]));
    assert_eq!(neg(c2, "selected"), "RDP");
    let m = c2.detail().mcs.as_ref().map(json).expect("mcs in clear");
    assert_eq!(m["gcc_result"], "Success");
    assert_eq!(
        m["channels"],
        serde_json::json!(["rdpdr", "rdpsnd", "drdynvc", "cliprdr"])
    );
    assert_eq!(m["keyboard_layout"], "English - United States");
    assert_eq!(m["client_build"], "RDP 6.0");
    assert_eq!(m["client_name"], "FROG-POND");
    assert_eq!(
        (m["desktop_width"].as_u64(), m["desktop_height"].as_u64()),
        (Some(1152), Some(864))
    );
    assert_eq!(m["requested_color_depth"], "32bit");
    assert_eq!(m["cert_type"], "RSA");
    assert_eq!(m["cert_count"], 1);
    assert_eq!(m["cert_permanent"], true);
    assert_eq!(m["encryption_level"], "High");
    assert_eq!(m["encryption_method"], "128bit");
    assert_eq!(c1.attempt, c2.attempt);
    assert_eq!(c1.attempt_connections, 2);
    assert_eq!(c1.superseded_by, Some(c2.id));
    // The server's RST ends connection 1 (rst=['srv@8']).
    assert_eq!(c1.detail().network.reset_frame, Some(8));
}

/// Zeek (rdp-x509): cookie "JOHN-PC  ", Success, RDP, X.509, 2 certificates, not permanent,
/// Client compatible, 128bit, RDP 8.1, JOHN-PC-LAPTOP, 1920x1080, 16bit.
#[test]
fn x509_agrees_with_zeek() {
    let Some(r) = analyze("pcap/zeek/rdp-x509.pcap") else {
        return;
    };
    let c = &r.connections[0];
    assert_eq!(zeek_cookie(c).as_deref(), Some("JOHN-PC  "));
    let m = c.detail().mcs.as_ref().map(json).expect("mcs in clear");
    assert_eq!(m["gcc_result"], "Success");
    assert_eq!(m["cert_type"], "X.509");
    assert_eq!(m["cert_count"], 2);
    assert_eq!(m["cert_permanent"], false);
    assert_eq!(m["encryption_level"], "Client compatible");
    assert_eq!(m["encryption_method"], "128bit");
    assert_eq!(m["client_build"], "RDP 8.1");
    assert_eq!(m["client_name"], "JOHN-PC-LAPTOP");
    assert_eq!(m["requested_color_depth"], "16bit");
    assert_eq!(
        m["client_dig_product_id"],
        "3c571ed0-3415-474b-ae94-74e151b"
    );
}

/// Zeek (rdp-unknown-keyboard): "Thai (Best Guess for 263198)", no result (no response).
#[test]
fn unknown_keyboard_agrees_with_zeek() {
    let Some(r) = analyze("pcap/zeek/rdp-unknown-keyboard.pcap") else {
        return;
    };
    let m = r.connections[0]
        .detail()
        .mcs
        .as_ref()
        .map(json)
        .expect("mcs in clear");
    assert_eq!(m["keyboard_layout"], "Thai (Best Guess for 263198)");
    assert_eq!(m["gcc_result"], Value::Null);
    assert_eq!(m["connect_response_frame"], Value::Null);
}

/// Suricata (rdp-protocol/test.yaml over RDP-003.pcap): cookie A70067, client build 2600
/// ("Windows XP" in Suricata's words), client name ISD2-KM84178, channels rdpdr, cliprdr,
/// rdpsnd.
#[test]
fn rdp_003_agrees_with_suricata() {
    let Some(r) = analyze("pcap/suricata-verify/RDP-003.pcap") else {
        return;
    };
    let c = &r.connections[0];
    assert_eq!(zeek_cookie(c).as_deref(), Some("A70067"));
    // Legacy request: no RDP_NEG_REQ, so Standard RDP Security.
    assert_eq!(neg(c, "requested"), Value::Null);
    let m = c.detail().mcs.as_ref().map(json).expect("mcs in clear");
    assert_eq!(m["client_build_raw"], 2600);
    assert_eq!(m["client_name"], "ISD2-KM84178");
    assert_eq!(
        m["channels"],
        serde_json::json!(["rdpdr", "cliprdr", "rdpsnd"])
    );
}

/// Zeek's analyzer_debug.log (rdp-invalid-length): "&enforce violation:
/// RDP_Negotiation_Response:length". We read the trace without a crash and name the bad
/// length. The client's first bytes (`ECODH\r\n…`) are no Connection Request: not an RDP
/// client, so `probe` (issue 20 §6: no failed connection is left without a cause), and the
/// finding says what is not known.
#[test]
fn invalid_length_is_read_without_a_crash() {
    let Some(r) = analyze("pcap/zeek/rdp-invalid-length.pcap") else {
        return;
    };
    let c = &r.connections[0];
    assert_eq!(c.cause, Some(Cause::Probe));
    assert_eq!(c.failed_stage, Some(Stage::X224));
    assert_eq!(r.findings.len(), 1);
    assert!(
        r.findings[0].evidence[0].starts_with(
            "c1: not an RDP attempt: the client's first bytes are not an X.224 Connection \
             Request (a scanner's probe, another protocol on the RDP port, or bytes damaged in \
             the capture); the server still sent a Connection Confirm (frame 5)"
        ),
        "{:?}",
        r.findings[0].evidence
    );
    assert_eq!(
        neg(c, "problems"),
        serde_json::json!(["negotiation data length field is 0, not 8"])
    );
}

/// ws-cssp/freerdp-client-krb5.pcapng (MANIFEST): FreeRDP logging on to Windows with CredSSP
/// over Kerberos, every packet captured twice. `ok`, the NLA stage names Kerberos by size
/// (the AP-REQ of 1320 bytes decrypted), and each KRB-ERROR is listed once, not twice: two
/// PREAUTH_REQUIRED and two KDC_ERR_BADOPTION, none of them a failure, and no finding.
#[test]
fn credssp_with_kerberos_is_ok_and_named() {
    let Some(r) = analyze("pcap/wireshark-wiki/ws-cssp/freerdp-client-krb5.pcapng") else {
        return;
    };
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(
        c.nla_mechanism,
        Some(rdptriage::handshake::nla_records::Mechanism::Kerberos)
    );
    let nla = c
        .detail()
        .stages
        .iter()
        .find(|s| s.stage == Stage::Nla)
        .and_then(|s| s.note.clone())
        .unwrap_or_default();
    assert!(
        nla.starts_with(
            "inferred from encrypted records by size (Kerberos AP-REQ 108, Kerberos AP-REP 110, \
             pubKeyAuth (Kerberos authentication) 114, server pubKeyAuth 116, authInfo \
             (credentials) 120)"
        ),
        "{nla}"
    );
    let krb: Vec<(u64, &str)> = c
        .kerberos()
        .iter()
        .map(|k| (k.frame, k.result.as_str()))
        .collect();
    assert_eq!(
        krb,
        [
            (31, "KDC_ERR_PREAUTH_REQUIRED"),
            (35, "KDC_ERR_PREAUTH_REQUIRED"),
            (77, "KDC_ERR_BADOPTION"),
            (98, "KDC_ERR_BADOPTION"),
        ]
    );
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}
