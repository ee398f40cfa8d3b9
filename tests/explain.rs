//! `rdptriage explain CODE [EXTENDED]`: readings of pasted codes and the candidate causes with
//! the evidence that tells them apart. Expected names and values are those of
//! `reference/codes.md`.

use std::process::{Command, Output};

use serde_json::Value;

fn rdptriage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .args(args)
        .output()
        .expect("run rdptriage")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

/// `explain ARGS --format json`, which must succeed.
fn json(args: &[&str]) -> Value {
    let mut all = vec!["explain", "--format", "json"];
    all.extend(args);
    let o = rdptriage(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("explain's JSON parses")
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn cause_ids(v: &Value) -> Vec<String> {
    v["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn hex_and_decimal_give_the_same_result() {
    let hex = json(&["0x904"]);
    let dec = json(&["2308"]);
    assert_eq!(
        names(&hex, "readings"),
        ["disconnectReasonAtClientWinsockFDCLOSE"]
    );
    assert_eq!(hex["readings"], dec["readings"]);
    assert_eq!(hex["causes"], dec["causes"]);
    assert_eq!(hex["collect_next"], dec["collect_next"]);
    assert_eq!(hex["readings"][0]["value"], 2308);
    assert_eq!(hex["readings"][0]["table"], "disc_reason");

    let t_hex = stdout(&rdptriage(&["explain", "0x904"]));
    let t_dec = stdout(&rdptriage(&["explain", "2308"]));
    assert_eq!(
        t_hex.replacen("Code 0x904:", "", 1),
        t_dec.replacen("Code 2308:", "", 1)
    );
}

#[test]
fn error_0x904_extended_0x7_lists_causes_with_their_evidence() {
    let v = json(&["0x904", "0x7"]);
    assert_eq!(
        names(&v, "readings"),
        ["disconnectReasonAtClientWinsockFDCLOSE"]
    );
    assert_eq!(
        names(&v, "extended"),
        ["exDiscReasonServerDeniedConnection"]
    );
    let ids = cause_ids(&v);
    for want in [
        "server_certificate",
        "packet_loss",
        "security_layer_mismatch",
        "nla_failure",
    ] {
        assert!(ids.iter().any(|i| i == want), "{want} missing from {ids:?}");
    }
    assert!(ids.len() >= 2, "a code alone never names a single cause");
    for c in v["causes"].as_array().unwrap() {
        for field in ["title", "capture", "events", "fix"] {
            assert!(
                !c[field].as_str().unwrap_or_default().is_empty(),
                "{} has no {field}",
                c["id"]
            );
        }
    }
    let cause = |id: &str| {
        v["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let cert = cause("server_certificate");
    for e in ["1057", "1058", "36870"] {
        assert!(cert["events"].as_str().unwrap().contains(e), "{e}");
    }
    assert!(cert["capture"].as_str().unwrap().contains("tls_aborted"));
    assert!(
        cause("packet_loss")["capture"]
            .as_str()
            .unwrap()
            .contains("retransmissions")
    );
    let nla = cause("nla_failure");
    assert!(nla["events"].as_str().unwrap().contains("4625"));
    assert!(nla["events"].as_str().unwrap().contains("RdpCoreTS 140"));
    assert!(
        cause("security_layer_mismatch")["capture"]
            .as_str()
            .unwrap()
            .contains("negotiation_failure")
    );
    assert!(!v["collect_next"].as_array().unwrap().is_empty());

    let text = stdout(&rdptriage(&["explain", "0x904", "0x7"]));
    assert!(
        text.contains("Candidate causes, most likely first"),
        "{text}"
    );
    assert_eq!(
        text.matches("tell it apart by:").count(),
        ids.len(),
        "{text}"
    );
    assert!(text.contains("Collect next:"), "{text}");
}

#[test]
fn ntstatus_and_signed_hresult() {
    let v = json(&["0xC000006D"]);
    assert_eq!(names(&v, "readings"), ["STATUS_LOGON_FAILURE"]);
    assert!(cause_ids(&v).contains(&"nla_failure".to_string()));

    let v = json(&["-2146893044"]);
    assert_eq!(names(&v, "readings"), ["SEC_E_LOGON_DENIED"]);
    assert_eq!(v["readings"][0]["hex"], "0x8009030C");

    let v = json(&["SEC_E_UNTRUSTED_ROOT"]);
    assert_eq!(v["readings"][0]["hex"], "0x80090325");
}

#[test]
fn tls_alerts() {
    // Decimal first; the same digits as hex name a Kerberos error too, listed after it and
    // marked, its causes left out.
    let v = json(&["48"]);
    assert_eq!(
        names(&v, "readings"),
        ["unknown_ca", "KDC_ERR_REVOKED_CERTIFICATE"]
    );
    assert_eq!(v["readings"][0]["table"], "tls_alert");
    assert_eq!(v["readings"][1]["if_hex"], true);
    assert_eq!(
        v["readings"][1]["read_as"],
        "48 read as hex 0x48 (hex is written with 0x)"
    );
    let v = json(&["certificate_expired"]);
    assert_eq!(v["readings"][0]["value"], 45);
    let v = json(&["70"]);
    assert!(names(&v, "readings").contains(&"protocol_version".to_string()));
}

#[test]
fn negotiation_failure_by_name() {
    let v = json(&["HYBRID_REQUIRED_BY_SERVER"]);
    assert_eq!(v["readings"][0]["table"], "neg_failure");
    assert_eq!(v["readings"][0]["value"], 5);
    assert!(cause_ids(&v).contains(&"security_layer_mismatch".to_string()));
}

#[test]
fn a_number_in_several_tables_shows_each_reading_disconnect_reason_first() {
    let v = json(&["3"]);
    let tables: Vec<&str> = v["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables[0], "disc_reason");
    assert!(tables.contains(&"extended_reason") && tables.contains(&"err_info"));
    assert_eq!(
        names(&v, "readings")[..3],
        [
            "disconnectReasonByServer",
            "exDiscReasonServerIdleTimeout",
            "ERRINFO_IDLE_TIMEOUT"
        ]
    );
}

#[test]
fn unknown_codes_exit_2_with_a_message() {
    for args in [
        &["explain", "0x12345"][..],
        &["explain", "NOT_A_CODE"],
        &["explain", "0x904", "0x99999"],
        &["explain"],
    ] {
        let o = rdptriage(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

/// Event ids: an id alone names the event and the causes it points to; with its value, the
/// value is read from the event's own table (`1026 2308`: the dialog's 0x904).
#[test]
fn event_ids_are_explained_with_their_values() {
    let v = json(&["36870"]);
    assert_eq!(v["readings"], serde_json::json!([]));
    assert_eq!(v["events"][0]["name"], "tls_private_key_error");
    assert_eq!(cause_ids(&v)[0], "private_key");

    let v = json(&["1026", "2308"]);
    assert_eq!(
        names(&v, "readings"),
        ["disconnectReasonAtClientWinsockFDCLOSE"]
    );
    assert_eq!(v["events"][0]["name"], "client_disconnected");
    assert_eq!(
        v["events"][0]["value_read_as"],
        "the disconnect reason (mstsc's dialog code)"
    );
    assert_eq!(cause_ids(&v)[0], "server_certificate");
    let text = stdout(&rdptriage(&["explain", "1026", "2308"]));
    assert!(text.starts_with("Event 1026 with value 2308, read as the disconnect reason (mstsc's dialog code):\n  disconnectReasonAtClientWinsockFDCLOSE = 0x904 (2308)"), "{text}");

    let v = json(&["4625", "0xC000006A"]);
    assert_eq!(names(&v, "readings"), ["STATUS_WRONG_PASSWORD"]);
    assert_eq!(v["events"][0]["name"], "logon_failed");
}

/// A dialog code no table has (0x516) gets the candidates of every stage and a note, not an
/// error; `--format json` writes an object even for what it cannot read.
#[test]
fn undocumented_codes_get_guidance_and_json_always_an_object() {
    let o = rdptriage(&["explain", "0x516", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["readings"], serde_json::json!([]));
    assert_eq!(
        cause_ids(&v),
        [
            "firewall_drop",
            "nothing_listening",
            "name_resolution",
            "packet_loss",
            "server_certificate",
            "security_layer_mismatch",
            "nla_failure",
            "server_denied"
        ]
    );
    let o = rdptriage(&["explain", "zzz", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json on failure too");
    assert_eq!(v["input"], "zzz");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("neither a number"))
    );
}

/// `explain CODE EXTENDED --with FILES`: the explanation, then the code's candidates checked
/// against the inputs, as `analyze --dialog` checks them.
#[test]
fn a_code_is_checked_against_the_files_given() {
    let cap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/captures/cert-expired.pcap"
    );
    let v = json(&["0x904", "0x7", "--with", cap]);
    assert_eq!(
        names(&v, "readings"),
        ["disconnectReasonAtClientWinsockFDCLOSE"]
    );
    let checked = &v["checked"][0];
    assert_eq!(checked["cause"], "certificate_rejected");
    assert_eq!(checked["dialog"]["source"], "given with --dialog");
    assert_eq!(
        checked["dialog"]["checks"][0]["candidate"],
        "server_certificate"
    );
    assert_eq!(checked["dialog"]["checks"][0]["check"], "proven");
    let text = stdout(&rdptriage(&["explain", "0x904", "0x7", "--with", cap]));
    assert!(
        text.contains("    proven         server certificate or its private key: the client rejected the server's certificate (frame 10): it had expired on 2020-01-31T00:00:00.000000Z\n"),
        "{text}"
    );
    let o = rdptriage(&["explain", "0x904", "--with", "/nonexistent/capture.pcap"]);
    assert_eq!(o.status.code(), Some(2));
}
