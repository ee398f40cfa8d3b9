//! Decryption with the user's secrets (issue 21), on real captures: freerdp-shadow-cli's NLA
//! under four RSA key-exchange suites with its key (`decrypt-rsa.pcap`), xfreerdp's own key
//! log under TLS 1.3, ECDHE AES-GCM and ChaCha20-Poly1305 (`decrypt-keylog.pcap`), the same
//! with the key log in a pcapng Decryption Secrets Block (`decrypt-dsb.pcapng`), and a server
//! that ends the session it has just activated (`decrypt-auth-closed.pcap`). Every frame
//! number and name asserted here is tshark's decryption of the same capture, recorded in
//! fixtures/captures/EXPECTED.md; and the corpus' rdp-ssl.pcap with the key it ships.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::handshake::facts::CredsspPackage;
use rdptriage::handshake::secrets::Secrets;
use rdptriage::model::{Cause, Confidence, Evidence, Stage, Status, Verdict};
use rdptriage::report::Report;
use rdptriage::tcp::Side;
use support::*;

fn key(name: &str) -> (String, Vec<u8>) {
    let p = capture_fixture(name);
    (
        p.display().to_string(),
        std::fs::read(&p).expect("key file"),
    )
}

/// Analyses `files` with the server keys and key logs named (fixtures beside the captures).
fn analyze_with(files: &[PathBuf], keys: &[PathBuf], keylogs: &[PathBuf]) -> Report {
    let mut secrets = Secrets::default();
    for k in keys {
        let bytes = std::fs::read(k).expect("key");
        secrets
            .add_key_file(&k.display().to_string(), &bytes)
            .expect("a key");
    }
    for k in keylogs {
        let text = std::fs::read_to_string(k).expect("key log");
        let (used, bad) = secrets.add_keylog(&k.display().to_string(), &text);
        assert!(used > 0 && bad == 0, "{used} {bad}");
    }
    analyze_paths(
        files,
        &Options {
            secrets: Arc::new(secrets),
            ..Default::default()
        },
    )
}

/// `(stage, evidence)` of the stages after TLS that were reached.
fn evidence_after_tls(
    c: &rdptriage::handshake::judged::JudgedConnection,
) -> Vec<(Stage, Option<Evidence>)> {
    c.detail()
        .stages
        .iter()
        .filter(|s| s.stage > Stage::Tls && s.status != Status::NotReached)
        .map(|s| (s.stage, s.evidence))
        .collect()
}

/// What the `credssp` block says: user, workstation, version, frames, credentials sent.
fn credssp(
    c: &rdptriage::handshake::judged::JudgedConnection,
) -> (String, String, u32, Vec<u64>, bool) {
    let d = c.detail();
    let f = d
        .credssp
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no credssp", c.id));
    assert!(f.decrypted);
    assert_eq!(f.mechanism, Some(CredsspPackage::Ntlm));
    (
        f.user.clone().unwrap_or_default(),
        f.workstation.clone().unwrap_or_default(),
        f.version.unwrap_or(0),
        f.frames.clone(),
        f.credentials_sent,
    )
}

#[test]
fn a_server_key_decrypts_each_rsa_suite_and_names_the_refused_account() {
    let r = analyze_with(
        &[capture_fixture("decrypt-rsa.pcap")],
        &[capture_fixture("decrypt-rsa.key")],
        &[],
    );
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    assert_eq!(r.connections.len(), 9);
    // (cipher, version, user, TSRequest frames, NTLM AUTHENTICATE frame, server alert,
    // server FIN), from tshark's decryption with the key.
    let failed = [
        (
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS1.2",
            "rdptest",
            [13, 14, 16],
            17,
            19,
        ),
        (
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS1.2",
            "rdptest",
            [35, 36, 38],
            39,
            41,
        ),
        (
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            "TLS1.2",
            "nosuchuser",
            [57, 58, 60],
            61,
            63,
        ),
        (
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            "TLS1.2",
            "nosuchuser",
            [79, 80, 82],
            83,
            85,
        ),
        (
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS1.0",
            "rdptest",
            [101, 102, 104],
            105,
            107,
        ),
        (
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS1.0",
            "rdptest",
            [123, 124, 126],
            127,
            129,
        ),
        (
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS1.1",
            "rdptest",
            [145, 146, 148],
            149,
            151,
        ),
        (
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS1.1",
            "rdptest",
            [167, 168, 170],
            171,
            173,
        ),
    ];
    for (c, (cipher, version, user, frames, alert, fin)) in r.connections.iter().zip(failed) {
        let tls = c.detail().tls.clone().expect("tls");
        assert_eq!(tls.cipher.as_deref(), Some(cipher), "{}", c.id);
        assert_eq!(tls.version.as_deref(), Some(version), "{}", c.id);
        assert_eq!(c.cause, Some(Cause::NlaFailure), "{}", c.id);
        assert_eq!(c.confidence, Some(Confidence::High), "{}", c.id);
        assert_eq!(
            credssp(c),
            (user.into(), "vm".into(), 6, frames.to_vec(), false),
            "{}",
            c.id
        );
        assert_eq!(
            evidence_after_tls(c),
            [(Stage::Nla, Some(Evidence::Decrypted))]
        );
        let mut nla_frames = frames.to_vec();
        nla_frames.extend([alert, fin]);
        assert_eq!(
            stage(c, Stage::Nla),
            (Status::Failed, nla_frames),
            "{}",
            c.id
        );
        // The alerts, decrypted: the server's close_notify first, then the client's.
        let alerts: Vec<(String, Option<String>, u64)> = tls
            .alerts
            .iter()
            .map(|a| (a.level.to_string(), a.description.clone(), a.frame))
            .collect();
        assert!(
            alerts.contains(&("warning".into(), Some("close_notify".into()), alert)),
            "{alerts:?}"
        );
        assert_eq!(
            c.detail().summary,
            format!(
                "the server refused the client's NTLM AUTHENTICATE for {user} (frame {}): it answered with no TSRequest but an alert close_notify (frame {alert}), then the server closed the connection (frame {fin}), so the credentials or the account were refused (a FreeRDP server sends no errorCode; a Windows server's 4625 says which)",
                frames[2]
            )
        );
    }
    let ok = &r.connections[8];
    assert_eq!(ok.verdict, Some(Verdict::Ok));
    assert_eq!(
        credssp(ok),
        (
            "rdptest".into(),
            "vm".into(),
            6,
            vec![189, 190, 192, 193, 195],
            true
        )
    );
    assert_eq!(
        evidence_after_tls(ok),
        [
            (Stage::Nla, Some(Evidence::Decrypted)),
            (Stage::Mcs, Some(Evidence::Decrypted)),
            (Stage::Session, Some(Evidence::Decrypted)),
        ]
    );
    assert_eq!(stage(ok, Stage::Mcs), (Status::Ok, vec![196, 198]));
    let mcs = ok.detail().mcs.clone().expect("mcs read decrypted");
    assert_eq!(mcs.encryption_method.as_deref(), Some("None"));
    assert_eq!(mcs.server_selected_protocol_echo.as_deref(), Some("HYBRID"));
    // The findings name the account.
    assert!(
        r.findings[1]
            .summary
            .contains("NTLM AUTHENTICATE for nosuchuser"),
        "{}",
        r.findings[1].summary
    );
}

fn summary_of(c: &rdptriage::handshake::judged::JudgedConnection) -> String {
    rdptriage::diagnose::words::summary(c)
}

#[test]
fn without_the_key_the_same_failures_are_inferred() {
    let r = analyze(&[capture_fixture("decrypt-rsa.pcap")]);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    let causes: Vec<Option<Cause>> = r.connections.iter().map(|c| c.cause).collect();
    assert_eq!(causes[..8], [Some(Cause::NlaFailure); 8]);
    assert_eq!(r.connections[8].verdict, Some(Verdict::Ok));
    for c in &r.connections[..8] {
        assert_eq!(c.confidence, Some(Confidence::Medium), "{}", c.id);
        assert_eq!(
            evidence_after_tls(c),
            [(Stage::Nla, Some(Evidence::Inferred))]
        );
        assert!(c.detail().credssp.is_none());
    }
}

#[test]
fn a_key_log_decrypts_tls13_ecdhe_gcm_and_chacha20() {
    let r = analyze_with(
        &[capture_fixture("decrypt-keylog.pcap")],
        &[],
        &[capture_fixture("decrypt-keylog.keys")],
    );
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    assert_eq!(r.connections.len(), 9);
    let suites: Vec<(String, String)> = r
        .connections
        .iter()
        .map(|c| {
            let t = c.detail().tls.clone().expect("tls");
            (t.version.unwrap_or_default(), t.cipher.unwrap_or_default())
        })
        .collect();
    assert_eq!(
        suites,
        [
            ("TLS1.3", "TLS_AES_256_GCM_SHA384"),
            ("TLS1.3", "TLS_AES_256_GCM_SHA384"),
            ("TLS1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            ("TLS1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            ("TLS1.3", "TLS_CHACHA20_POLY1305_SHA256"),
            ("TLS1.3", "TLS_CHACHA20_POLY1305_SHA256"),
            ("TLS1.3", "TLS_AES_128_GCM_SHA256"),
            ("TLS1.3", "TLS_AES_128_GCM_SHA256"),
            ("TLS1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        ]
        .map(|(v, c)| (v.to_string(), c.to_string()))
    );
    // TSRequest frames (the third the NTLM AUTHENTICATE), as tshark decrypts them with the
    // key log.
    let frames = [
        [14, 15, 17],
        [37, 38, 40],
        [59, 60, 62],
        [81, 82, 84],
        [104, 105, 107],
        [127, 128, 130],
        [150, 151, 153],
        [173, 174, 176],
    ];
    for (c, f) in r.connections.iter().zip(frames) {
        assert_eq!(c.cause, Some(Cause::NlaFailure), "{}", c.id);
        assert_eq!(c.confidence, Some(Confidence::High), "{}", c.id);
        assert_eq!(
            credssp(c),
            ("rdptest".into(), "vm".into(), 6, f.to_vec(), false)
        );
    }
    // TLS 1.3 sends the certificate encrypted; decrypted, it is read (tshark: frame 10,
    // subject CN=vm).
    let first = r.connections[0].detail().tls.clone().expect("tls");
    assert!(first.certificate_encrypted);
    let cert = first.certificate.expect("the certificate, decrypted");
    assert_eq!((cert.frame, cert.info.subject.as_str()), (10, "CN=vm"));
    let ok = &r.connections[8];
    assert_eq!(ok.verdict, Some(Verdict::Ok));
    assert_eq!(credssp(ok).3, [195, 196, 197, 198, 200]);
    assert_eq!(stage(ok, Stage::Mcs), (Status::Ok, vec![201, 203]));
    assert_eq!(
        evidence_after_tls(ok).last(),
        Some(&(Stage::Session, Some(Evidence::Decrypted)))
    );
}

/// The connections' JSON with its input's name taken out.
fn connections_json(r: &Report) -> Vec<serde_json::Value> {
    json(r)["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["input"] = serde_json::Value::Null;
            c
        })
        .collect()
}

#[test]
fn a_pcapng_decryption_secrets_block_is_read_without_options() {
    let from_block = analyze(&[capture_fixture("decrypt-dsb.pcapng")]);
    let from_option = analyze_with(
        &[capture_fixture("decrypt-keylog.pcap")],
        &[],
        &[capture_fixture("decrypt-keylog.keys")],
    );
    assert!(from_block.warnings.is_empty(), "{:#?}", from_block.warnings);
    assert_eq!(
        connections_json(&from_block),
        connections_json(&from_option)
    );
    assert_eq!(
        from_block.connections[0]
            .detail()
            .credssp
            .as_ref()
            .and_then(|c| c.user.clone()),
        Some("rdptest".into())
    );
}

#[test]
fn secrets_that_do_not_fit_decrypt_nothing_and_say_why() {
    // The server's key on ephemeral key exchanges: each connection says so, judged inferred.
    let r = analyze_with(
        &[capture_fixture("decrypt-keylog.pcap")],
        &[capture_fixture("decrypt-rsa.key")],
        &[],
    );
    assert_eq!(r.warnings.len(), 9, "{:#?}", r.warnings);
    assert!(r.warnings[0].ends_with(
        "frame 1, 10.99.1.2:44078 → 10.99.2.2:3389: not decrypted, its key exchange is ephemeral ((EC)DHE or TLS 1.3): a server key cannot decrypt it, only a key log with its client random; judged from the encrypted records"
    ), "{}", r.warnings[0]);
    assert!(r.connections.iter().all(|c| c.detail().credssp.is_none()));
    assert_eq!(r.connections[0].cause, Some(Cause::NlaFailure));

    // A key of no server of the capture.
    let unrelated =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/unrelated-server.key");
    let r = analyze_with(
        &[capture_fixture("decrypt-rsa.pcap")],
        std::slice::from_ref(&unrelated),
        &[],
    );
    assert_eq!(r.warnings.len(), 10, "{:#?}", r.warnings);
    assert!(r.warnings[0].contains("not decrypted, none of the keys given matches the public key of the server's certificate"), "{}", r.warnings[0]);
    assert_eq!(
        r.warnings[9],
        format!(
            "--key {}: its public key (2048-bit RSA) matches no server certificate seen in clear in the inputs (TLS 1.3 sends it encrypted): no connection was decrypted with it",
            unrelated.display()
        )
    );
    assert_eq!(r.connections[0].confidence, Some(Confidence::Medium));

    // A key log of other sessions.
    let dir = tempfile::tempdir().expect("tempdir");
    let other = write(
        dir.path(),
        "other.keys",
        format!("CLIENT_RANDOM {} {}\n", "ab".repeat(32), "cd".repeat(48)).as_bytes(),
    );
    let r = analyze_with(
        &[capture_fixture("decrypt-keylog.pcap")],
        &[],
        std::slice::from_ref(&other),
    );
    assert_eq!(
        r.warnings.last().map(String::as_str),
        Some(
            format!(
                "key log {}: none of its 1 client randoms is in a ClientHello of the inputs: no connection was decrypted with it",
                other.display()
            )
            .as_str()
        )
    );
    assert!(
        r.warnings[0].contains("not decrypted, its key exchange is ephemeral"),
        "{}",
        r.warnings[0]
    );
}

/// A capture begun during a TLS session has no handshake to derive keys from: a warning says
/// so, and the session is judged as without keys.
#[test]
fn a_session_without_its_handshake_cannot_be_decrypted_and_says_so() {
    let r = analyze_with(
        &[capture_fixture("mid-session.pcap")],
        &[capture_fixture("decrypt-rsa.key")],
        &[],
    );
    let c = only_conn(&r);
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(r.warnings.len(), 2, "{:#?}", r.warnings);
    assert!(
        r.warnings[0].ends_with(
            "not decrypted, the capture does not hold its ClientHello and ServerHello, which decryption needs; judged from the encrypted records"
        ),
        "{}",
        r.warnings[0]
    );
    assert!(r.warnings[1].contains("matches no server certificate"));
}

#[test]
fn a_session_closed_after_activation_is_server_denied_once_decrypted() {
    let r = analyze_with(
        &[capture_fixture("decrypt-auth-closed.pcap")],
        &[capture_fixture("decrypt-auth-closed.key")],
        &[],
    );
    let c = only_conn(&r);
    assert_eq!(c.cause, Some(Cause::ServerDenied));
    assert_eq!(c.failed_stage, Some(Stage::Session));
    assert_eq!(stage(c, Stage::Session), (Status::Failed, vec![53, 61, 63]));
    assert_eq!(
        evidence_after_tls(c),
        [
            (Stage::Mcs, Some(Evidence::Decrypted)),
            (Stage::Session, Some(Evidence::Decrypted)),
        ]
    );
    assert_eq!(
        summary_of(c),
        "the server activated the session of rdptest (frame 53) and then, 3.78 s later and before sending any screen update, sent an alert close_notify (frame 61) and the server closed the connection (frame 63): it ended the session it had just set up (an authentication or policy check after the logon, a session limit)"
    );
    // The account, from the Client Info PDU (tshark: frame 36, userName rdptest).
    assert_eq!(
        c.detail()
            .mcs
            .as_ref()
            .and_then(|m| m.client_info_user.clone()),
        Some("rdptest".into())
    );
    // Without the key the records look like a session.
    let r = analyze(&[capture_fixture("decrypt-auth-closed.pcap")]);
    assert_eq!(only_conn(&r).verdict, Some(Verdict::Ok));
}

#[test]
fn the_corpus_capture_decrypts_as_tshark_decrypts_it() {
    let (Some(pcap), Some(pem)) = (
        corpus_file("pcap/wireshark-wiki/rdp-ssl.pcap"),
        corpus_file("pcap/wireshark-wiki/rdp-ssl.cert-and-key.pem"),
    ) else {
        return;
    };
    let r = analyze_with(&[pcap], &[pem], &[]);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    let c = only_conn(&r);
    // tshark -o 'uat:rsa_keys:"rdp-ssl.cert-and-key.pem",""': TSRequests in frames 7, 8,
    // 10, 11, 13, version 2; NTLM AUTHENTICATE (10) domain Win7, user user, host WIN7; MCS
    // ClientData 14, ServerData 16 with encryption None.
    let d = c.detail();
    let f = d.credssp.as_ref().expect("credssp");
    assert_eq!(f.version, Some(2));
    assert_eq!(f.frames, [7, 8, 10, 11, 13]);
    assert_eq!(f.user.as_deref(), Some("Win7\\user"));
    assert_eq!(f.workstation.as_deref(), Some("WIN7"));
    assert!(f.credentials_sent);
    let mcs = d.mcs.as_ref().expect("mcs");
    assert_eq!(
        (mcs.connect_initial_frame, mcs.connect_response_frame),
        (Some(14), Some(16))
    );
    assert_eq!(mcs.client_name.as_deref(), Some("WIN7"));
    assert_eq!(mcs.encryption_method.as_deref(), Some("None"));
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(
        evidence_after_tls(c),
        [
            (Stage::Nla, Some(Evidence::Decrypted)),
            (Stage::Mcs, Some(Evidence::Decrypted)),
            (Stage::Session, Some(Evidence::Decrypted)),
        ]
    );
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .args(args)
        .output()
        .expect("run rdptriage")
}

#[test]
fn keys_and_secrets_never_reach_the_output() {
    let (key_path, key_bytes) = key("decrypt-rsa.key");
    let keylog = capture_fixture("decrypt-keylog.keys");
    let keylog_text = std::fs::read_to_string(&keylog).expect("key log");
    let pcaps = [
        capture_fixture("decrypt-rsa.pcap"),
        capture_fixture("decrypt-keylog.pcap"),
    ];
    // Every secret of the key log, and every line of the key's PEM body.
    let mut secrets: Vec<String> = keylog_text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(str::to_ascii_lowercase)
        .collect();
    secrets.extend(
        String::from_utf8_lossy(&key_bytes)
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
            .map(String::from),
    );
    assert!(secrets.len() > 20);
    for format in ["text", "json", "jsonl", "md", "html"] {
        let mut args = vec![
            "analyze", "--format", format, "--key", &key_path, "--keylog",
        ];
        let keylog_s = keylog.display().to_string();
        args.push(&keylog_s);
        let p0 = pcaps[0].display().to_string();
        let p1 = pcaps[1].display().to_string();
        args.extend([p0.as_str(), p1.as_str()]);
        let out = bin(&args);
        assert_eq!(out.status.code(), Some(0), "{format}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .to_ascii_lowercase();
        assert!(all.contains("rdptest"), "{format}: the user name is shown");
        for s in &secrets {
            assert!(
                !all.contains(&s.to_ascii_lowercase()),
                "{format} shows a secret"
            );
        }
        // Nor the passwords typed (NTLM never carries them; the report has no place for them).
        assert!(!all.contains("wrong-password") && !all.contains("corr3ct-horse"));
    }
}

#[test]
fn unusable_key_files_are_bad_usage() {
    let pcap = capture_fixture("decrypt-rsa.pcap").display().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_key = write(dir.path(), "notes.txt", b"hello")
        .display()
        .to_string();
    let out = bin(&["analyze", "--key", &not_a_key, &pcap]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "rdptriage: --key {not_a_key}: no RSA private key in it (expected PEM or DER, PKCS#1 or PKCS#8)\n"
        )
    );
    let out = bin(&["analyze", "--keylog", &not_a_key, &pcap]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(&format!(
            "rdptriage: --keylog {not_a_key}: no key log line in it"
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = dir.path().join("absent.pem").display().to_string();
    let out = bin(&["analyze", "--key", &missing, &pcap]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(&format!("rdptriage: --key {missing}: "))
    );
}

/// An NTLM message (MS-NLMP 2.2.1): signature, type, and for AUTHENTICATE the domain, user
/// and workstation fields (UTF-16LE, NTLMSSP_NEGOTIATE_UNICODE set) with their payload.
fn ntlm(kind: u32, names: Option<(&str, &str, &str)>) -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend(kind.to_le_bytes());
    if let Some((domain, user, host)) = names {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let fields = [
            Vec::new(),
            Vec::new(),
            utf16(domain),
            utf16(user),
            utf16(host),
            Vec::new(),
        ];
        // Header: 6 fields of 8 bytes from offset 12, then NegotiateFlags at 60.
        let mut at = 64u32;
        let mut payload: Vec<u8> = Vec::new();
        for f in &fields {
            m.extend((f.len() as u16).to_le_bytes());
            m.extend((f.len() as u16).to_le_bytes());
            m.extend(at.to_le_bytes());
            at += f.len() as u32;
            payload.extend(f);
        }
        m.extend(1u32.to_le_bytes());
        m.extend(payload);
    }
    m
}

/// A TSRequest (MS-CSSP 2.2.1): version 6, and an NTLM token in negoTokens or an errorCode.
fn ts_request(token: Option<&[u8]>, error: Option<u32>) -> Vec<u8> {
    let mut body = tlv(0xa0, &int(6));
    if let Some(t) = token {
        let nego = tlv(0x30, &tlv(0x30, &tlv(0xa0, &tlv(0x04, t))));
        body.extend(tlv(0xa1, &nego));
    }
    if let Some(e) = error {
        let mut v = vec![0x02, 0x05, 0x00];
        v.extend(e.to_be_bytes());
        body.extend(tlv(0xa4, &v));
    }
    tlv(0x30, &body)
}

/// The segments of a connection whose client and server send `units` in turn, 10 ms apart
/// after the three-way handshake, each in one segment; then the server's FIN.
fn exchange(c: &Conv, units: &[(Side, &[u8])]) -> Vec<(i64, Seg)> {
    let mut segs = handshake(c, 0);
    let (mut co, mut so) = (0u32, 0u32);
    let mut t = 30 * MS;
    for (from, bytes) in units {
        match from {
            Side::Client => {
                segs.push((t, c.c(co, so).data(bytes)));
                co += bytes.len() as u32;
            }
            Side::Server => {
                segs.push((t, c.s(so, co).data(bytes)));
                so += bytes.len() as u32;
            }
        }
        t += 10 * MS;
    }
    segs.push((t, c.s(so, co).fin()));
    segs
}

/// CredSSP in clear (a capture behind a TLS-terminating gateway, or what decryption gives):
/// the server's errorCode is named with the account the client's AUTHENTICATE gave, and the
/// finding's fix is the one for that status.
#[test]
fn credssp_read_in_clear_names_the_status_and_the_account() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    // X.224 Connection Request asking for SSL|HYBRID, Confirm selecting HYBRID.
    let cr = [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0];
    let cc = [
        3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 2, 0, 0, 0,
    ];
    let negotiate = ts_request(Some(&ntlm(1, None)), None);
    let challenge = ts_request(Some(&ntlm(2, None)), None);
    let authenticate = ts_request(Some(&ntlm(3, Some(("CORP", "alice ", "WS1")))), None);
    let error = ts_request(None, Some(0xC000_006D));
    let segs = exchange(
        &c,
        &[
            (Side::Client, &cr[..]),
            (Side::Server, &cc[..]),
            (Side::Client, &negotiate[..]),
            (Side::Server, &challenge[..]),
            (Side::Client, &authenticate[..]),
            (Side::Server, &error[..]),
        ],
    );
    let (r, _dir, _p) = analyze_bytes("credssp-clear.pcap", &pcap_of(Link::Eth, &segs));
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::NlaFailure));
    assert_eq!(conn.confidence, Some(Confidence::High));
    let d = conn.detail();
    let f = d.credssp.as_ref().expect("credssp");
    assert!(!f.decrypted);
    assert_eq!(f.user.as_deref(), Some("CORP\\alice "));
    assert_eq!(f.workstation.as_deref(), Some("WS1"));
    assert_eq!(f.error_code, Some(0xC000_006D));
    // The report writes it in hex, as REPORT.md's `credssp.error_code`.
    let j = json(&r);
    assert_eq!(j["connections"][0]["credssp"]["error_code"], "0xC000006D");
    assert_eq!(j["connections"][0]["credssp"]["mechanism"], "NTLM");
    assert_eq!(f.error.as_deref(), Some("STATUS_LOGON_FAILURE"));
    assert_eq!(f.frames, [6, 7, 8, 9]);
    // The trailing space of the user name shows.
    assert!(
        d.summary.starts_with(
            "the server's TSRequest (frame 9) carries errorCode 0xC000006D for \"CORP\\alice \": STATUS_LOGON_FAILURE"
        ),
        "{}",
        d.summary
    );
    let finding = &r.findings[0];
    assert_eq!(
        finding.remediation[0],
        "The server refused the logon of \"CORP\\alice \" with STATUS_LOGON_FAILURE (0xC000006D): the user name or password is wrong. Type them again; if the client saved them, remove the saved entry (Credential Manager, `cmdkey /delete:TERMSRV/<server>`). A Windows server's Security 4625 (SubStatus) says which of the two. mstsc reports it as error code 0x807 (SSL_ERR_LOGON_FAILURE)."
    );
}

/// The MCS Connect Initial and Response of `decrypt-rsa.pcap`'s session (stream 8, frames 196
/// and 198), as tshark decrypts them (`-z follow,tls,raw,8`): real GCC blocks for the test
/// below, which builds the rest of a connection around them.
const CONNECT_INITIAL: &[&str] = &[
    "030001bb02f0807f658201af0401010401010101ff301a020122020102020100020101020100020101020300ffff0201",
    "023019020101020101020101020101020100020101020204200201023020020300ffff020300fc17020300ffff020101",
    "020100020101020300ffff02010204820149000500147c00018140000800100001c00044756361813201c0ea000c0008",
    "004001f00001ca03aa09040000bb47000076006d00000000000000000000000000000000000000000000000000000000",
    "0004000000000000000c0000000000000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000001ca01000000000010000700e1040000000000",
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000006000200000000000000000000000000000000000000000004c00c000d0000000000000002",
    "c00c00000000000000000003c02000020000007264706472000000000080c0726470736e640000000000c006c0080000",
    "0000000ac0080000000000",
];
const CONNECT_RESPONSE: &[&str] = &[
    "0300007202f0807f66680a0100020100301a020122020103020100020101020100020101020300fff802010204440005",
    "00147c00012a14760a01010001c0004d63446e2e010c10000c0008000300000000000000030c0c00eb030200ec03ed03",
    "020c0c000000000000000000040c0600ee03",
];

fn unhex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A server's Send Data Indication on the I/O channel (MCS, MS-RDPBCGR 2.2.1.x) carrying
/// `user_data`, in a TPKT.
fn send_data_indication(user_data: &[u8]) -> Vec<u8> {
    let mut mcs = vec![0x68, 0x00, 0x06, 0x03, 0xeb, 0x70];
    let n = user_data.len();
    if n < 0x80 {
        mcs.push(n as u8);
    } else {
        mcs.extend([0x80 | (n >> 8) as u8, n as u8]);
    }
    mcs.extend(user_data);
    let len = mcs.len() + 7;
    let mut v = vec![3, 0, (len >> 8) as u8, len as u8, 2, 0xf0, 0x80];
    v.extend(mcs);
    v
}

/// The server's Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1) read in clear before a session: the
/// connection is `server_denied` with the ERRINFO code named, and the fix is the one explain
/// gives for that code. (Neither xrdp nor FreeRDP's servers send a non-zero one: built here
/// around the real MCS exchange of a decrypted fixture.)
#[test]
fn a_set_error_info_pdu_names_the_servers_reason() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    let cr = [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0];
    let cc = [
        3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 2, 0, 0, 0,
    ];
    let negotiate = ts_request(Some(&ntlm(1, None)), None);
    let challenge = ts_request(Some(&ntlm(2, None)), None);
    let authenticate = ts_request(Some(&ntlm(3, Some(("CORP", "alice", "WS1")))), None);
    let mut server_key = tlv(0xa0, &int(6));
    server_key.extend(tlv(0xa3, &tlv(0x04, &[0x5a; 32])));
    let server_key = tlv(0x30, &server_key);
    let mut credentials = tlv(0xa0, &int(6));
    credentials.extend(tlv(0xa2, &tlv(0x04, &[0x33; 48])));
    let credentials = tlv(0x30, &credentials);
    // TS_SHARECONTROLHEADER (22 bytes, PDUTYPE_DATAPDU), TS_SHAREDATAHEADER with pduType2 47,
    // errorInfo ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES (0x9).
    let mut error_info = vec![22, 0, 0x17, 0, 0xea, 0x03];
    error_info.extend([0xea, 0x03, 0x01, 0x00, 0, 1, 4, 0, 0x2f, 0, 0, 0]);
    error_info.extend(9u32.to_le_bytes());
    let ci = unhex(CONNECT_INITIAL);
    let rsp = unhex(CONNECT_RESPONSE);
    let sdi = send_data_indication(&error_info);
    let segs = exchange(
        &c,
        &[
            (Side::Client, &cr[..]),
            (Side::Server, &cc[..]),
            (Side::Client, &negotiate[..]),
            (Side::Server, &challenge[..]),
            (Side::Client, &authenticate[..]),
            (Side::Server, &server_key[..]),
            (Side::Client, &credentials[..]),
            (Side::Client, &ci[..]),
            (Side::Server, &rsp[..]),
            (Side::Server, &sdi[..]),
        ],
    );
    let (r, _dir, _p) = analyze_bytes("errinfo-clear.pcap", &pcap_of(Link::Eth, &segs));
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::ServerDenied));
    assert_eq!(conn.failed_stage, Some(Stage::Session));
    assert_eq!(stage(conn, Stage::Nla).0, Status::Ok);
    assert_eq!(stage(conn, Stage::Mcs), (Status::Ok, vec![11, 12]));
    assert_eq!(stage(conn, Stage::Session), (Status::Failed, vec![13, 14]));
    let d = conn.detail();
    let m = d.mcs.as_ref().expect("mcs");
    assert_eq!(m.error_info, Some(9));
    assert_eq!(
        json(&r)["connections"][0]["mcs"]["error_info"],
        "0x00000009"
    );
    assert_eq!(
        m.error_info_name.as_deref(),
        Some("ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES")
    );
    assert!(
        d.summary.starts_with(
            "the server sent a Set Error Info PDU (frame 13) before a session: ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES (0x9): "
        ),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("mstsc's dialog gives it as extended error code 0x9; the server closed the connection (frame 14)"),
        "{}",
        d.summary
    );
    let f = &r.findings[0];
    let explained = rdptriage::diagnose::explain::explain_code("0x9", None).expect("explain");
    let json = serde_json::to_value(&explained).expect("json");
    let first_fix = json.to_string();
    assert!(!f.remediation.is_empty());
    assert!(
        first_fix.contains(&f.remediation[0].replace('"', "\\\"")),
        "fix {:?} is explain's for 0x9",
        f.remediation[0]
    );
}

/// The corpus' FreeRDP-to-Windows-Server-2019 capture (CredSSP with Kerberos, TLS 1.2
/// `TLS_RSA_WITH_AES_256_CBC_SHA`, every packet captured twice), with the server key it
/// ships: tshark with `-o 'uat:rsa_keys:"cert.key",""'` shows TSRequests (version 6) in frames
/// 108, 110, 114, 116, 120, MCS ClientData 122 and ServerData 126, and the Client Info PDU of
/// ACME.COM\admin (frame 178). Its session runs past the payload cap: the record the cap cuts
/// ends the plaintext, not the decryption.
#[test]
fn the_corpus_kerberos_capture_decrypts_as_tshark_decrypts_it() {
    let (Some(pcap), Some(key)) = (
        corpus_file("pcap/wireshark-wiki/ws-cssp/freerdp-client-krb5.pcapng"),
        corpus_file("pcap/wireshark-wiki/ws-cssp/cert.key"),
    ) else {
        return;
    };
    let r = analyze_with(&[pcap], &[key], &[]);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    let c = only_conn(&r);
    assert_eq!(c.verdict, Some(Verdict::Ok));
    assert_eq!(c.confidence, Some(Confidence::High));
    let d = c.detail();
    let f = d.credssp.as_ref().expect("credssp");
    assert_eq!(f.mechanism, Some(CredsspPackage::Kerberos));
    assert_eq!(f.version, Some(6));
    assert_eq!(f.frames, [108, 110, 114, 116, 120]);
    assert!(f.credentials_sent);
    assert_eq!(f.user, None, "Kerberos names no account in clear");
    let mcs = d.mcs.as_ref().expect("mcs");
    assert_eq!(
        (mcs.connect_initial_frame, mcs.connect_response_frame),
        (Some(122), Some(126))
    );
    assert_eq!(mcs.client_info_user.as_deref(), Some("ACME.COM\\admin"));
    assert_eq!(
        evidence_after_tls(c),
        [
            (Stage::Nla, Some(Evidence::Decrypted)),
            (Stage::Mcs, Some(Evidence::Decrypted)),
            (Stage::Session, Some(Evidence::Decrypted)),
        ]
    );
}

/// `decrypt-keylog.keys` without the lines whose label `drop` returns true for.
fn keylog_without(drop: impl Fn(&str) -> bool) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(capture_fixture("decrypt-keylog.keys")).expect("key log");
    let kept: String = text
        .lines()
        .filter(|l| !drop(l.split_whitespace().next().unwrap_or("")))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "partial.keys", kept.as_bytes());
    (dir, p)
}

/// A key log with only the TLS 1.3 application traffic secrets (what some tools export): the
/// encrypted handshake records are skipped, CredSSP after them decrypted all the same.
#[test]
fn tls13_application_secrets_alone_decrypt_the_credssp_exchange() {
    let (_dir, keys) = keylog_without(|label| label.ends_with("HANDSHAKE_TRAFFIC_SECRET"));
    let r = analyze_with(&[capture_fixture("decrypt-keylog.pcap")], &[], &[keys]);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    for c in &r.connections {
        assert_eq!(
            c.detail().credssp.as_ref().and_then(|f| f.user.clone()),
            Some("rdptest".into()),
            "{}",
            c.id
        );
    }
    assert_eq!(r.connections[0].cause, Some(Cause::NlaFailure));
    assert_eq!(r.connections[0].confidence, Some(Confidence::High));
}

/// A key log missing one side's TLS 1.3 secrets decrypts nothing of those connections and
/// says which side's are missing; a wrong master secret for the right random is "not this
/// connection's".
#[test]
fn partial_or_wrong_key_logs_say_what_is_missing() {
    let (_dir, keys) =
        keylog_without(|label| label.starts_with("CLIENT_") && label != "CLIENT_RANDOM");
    let r = analyze_with(&[capture_fixture("decrypt-keylog.pcap")], &[], &[keys]);
    // The six TLS 1.3 connections; the TLS 1.2 ones (CLIENT_RANDOM) still decrypt.
    assert_eq!(r.warnings.len(), 6, "{:#?}", r.warnings);
    assert!(
        r.warnings[0].ends_with(
            "not decrypted, the key log has its client random but no traffic secret of the client (CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET, _TRAFFIC_SECRET_0); judged from the encrypted records"
        ),
        "{}",
        r.warnings[0]
    );
    assert!(r.connections[0].detail().credssp.is_none());
    assert!(
        r.connections[2].detail().credssp.is_some(),
        "TLS 1.2 ECDHE decrypts"
    );

    let text = std::fs::read_to_string(capture_fixture("decrypt-keylog.keys")).expect("key log");
    let wrong: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.first() == Some(&"CLIENT_RANDOM") {
                format!("CLIENT_RANDOM {} {}\n", f[1], "00".repeat(48))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "wrong.keys", wrong.as_bytes());
    let r = analyze_with(&[capture_fixture("decrypt-keylog.pcap")], &[], &[p]);
    let c3 = &r.connections[2];
    assert!(c3.detail().credssp.is_none());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("frame 47,") && w.contains("did not open with the derived keys (its MAC or tag did not verify): the secrets are not this connection's")),
        "{:#?}",
        r.warnings
    );
}
