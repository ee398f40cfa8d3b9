//! Side traffic tied to RDP connections: DNS lookups (RFC 1035) and Kerberos KRB-ERRORs
//! (RFC 4120 §5.9.1), built byte by byte, around a refused RDP connection from the same client.

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::handshake::side::SideKind;
use rdptriage::model::{Cause, Confidence, Evidence, Severity, Stage, Status};
use support::*;

/// KRB-ERROR from a KDC whose clock says 2026-11-22T04:00:00Z, without the client's time.
fn kdc_error(code: u32, realm: &str, sname: &[&str]) -> Vec<u8> {
    krb_error(code, None, ("20261122040000Z", 0), realm, sname)
}

/// A DNS query (or its answer) for `name`.
fn dns(id: u16, name: &str, rcode: Option<u8>, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut b = id.to_be_bytes().to_vec();
    let flags: u16 = match rcode {
        Some(r) => 0x8180 | r as u16,
        None => 0x0100,
    };
    b.extend(flags.to_be_bytes());
    b.extend(1u16.to_be_bytes());
    b.extend((answer.is_some() as u16).to_be_bytes());
    b.extend([0, 0, 0, 0]);
    for label in name.split('.') {
        b.push(label.len() as u8);
        b.extend(label.as_bytes());
    }
    b.extend([0, 0, 1, 0, 1]);
    if let Some(a) = answer {
        b.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        b.extend(a);
    }
    b
}

const MS: i64 = 1_000_000;
const T0: i64 = 1_795_000_000_000_000_000;

#[test]
fn dns_and_kerberos_around_a_connection() {
    let client_dns = ep("10.0.0.5:53001");
    let resolver = ep("10.0.0.1:53");
    let kdc = ep("10.0.0.1:88");
    let client_krb = ep("10.0.0.5:49999");
    let rdp = Conv::new("10.0.0.5:50000", "10.0.0.9:3389");
    let frames = vec![
        // 1, 2: a lookup that fails.
        (
            T0,
            Link::Eth.wrap(&udp(
                client_dns,
                resolver,
                &dns(7, "old-rdp.corp.example", None, None),
            )),
        ),
        (
            T0 + 2 * MS,
            Link::Eth.wrap(&udp(
                resolver,
                client_dns,
                &dns(7, "old-rdp.corp.example", Some(3), None),
            )),
        ),
        // 3, 4: the lookup that gives the server's address.
        (
            T0 + 10 * MS,
            Link::Eth.wrap(&udp(
                client_dns,
                resolver,
                &dns(8, "rdp.corp.example", None, None),
            )),
        ),
        (
            T0 + 11 * MS,
            Link::Eth.wrap(&udp(
                resolver,
                client_dns,
                &dns(8, "rdp.corp.example", Some(0), Some([10, 0, 0, 9])),
            )),
        ),
        // 5: the KDC says the client's clock is off.
        (
            T0 + 20 * MS,
            Link::Eth.wrap(&udp(
                kdc,
                client_krb,
                &kdc_error(37, "CORP.EXAMPLE", &["TERMSRV", "rdp.corp.example"]),
            )),
        ),
        // 6, 7: the RDP connection, refused.
        (T0 + 30 * MS, rdp.syn().frame(Link::Eth)),
        (T0 + 31 * MS, rdp.refuse().frame(Link::Eth)),
        // 8: a lookup nobody answers, long enough before the end.
        (
            T0 + 40 * MS,
            Link::Eth.wrap(&udp(
                client_dns,
                resolver,
                &dns(9, "never.corp.example", None, None),
            )),
        ),
        (
            T0 + 5_000 * MS,
            Link::Eth.wrap(&udp(ep("10.0.0.7:1"), ep("10.0.0.8:2"), b"x")),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "side.pcap", &Pcap::new(1).file(&frames));
    let r = analyze(&[path]);
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.cause, Some(Cause::TcpRefused));

    // The failed lookup and the one that named the server; not the later unanswered one.
    let dns: Vec<_> = c
        .dns()
        .iter()
        .map(|e| {
            (
                e.frame,
                e.answer_frame,
                e.name.as_deref(),
                e.result.as_str(),
            )
        })
        .collect();
    assert_eq!(
        dns,
        vec![
            (1, Some(2), Some("old-rdp.corp.example"), "NXDOMAIN"),
            (3, Some(4), Some("rdp.corp.example"), "NOERROR"),
        ]
    );
    assert_eq!(c.dns()[1].addresses, vec!["10.0.0.9".to_string()]);
    assert_eq!(c.dns()[0].client, "10.0.0.5");

    assert_eq!(c.kerberos().len(), 1);
    let k = &c.kerberos()[0];
    assert_eq!(
        (k.frame, k.code, k.result.as_str()),
        (5, Some(37), "KRB_AP_ERR_SKEW")
    );
    assert_eq!(k.name.as_deref(), Some("TERMSRV/rdp.corp.example"));
    assert_eq!(k.realm.as_deref(), Some("CORP.EXAMPLE"));
    // No ctime in the error: the KDC's time (2026-11-22T04:00:00Z = 1795320000 s) against the
    // capture's timestamp of the error (T0 + 20 ms = 1795000000.02 s).
    assert_eq!(k.client_time, None);
    assert_eq!(
        (k.skew_s, k.skew_from),
        (Some(319_999.98), Some("capture_time"))
    );

    // Every failure of the capture, for connections that never started.
    let failures: Vec<_> = r.inputs[0]
        .side_failures
        .iter()
        .map(|e| (e.kind, e.frame, e.result.as_str()))
        .collect();
    assert_eq!(
        failures,
        vec![
            (SideKind::Dns, 1, "NXDOMAIN"),
            (SideKind::Kerberos, 5, "KRB_AP_ERR_SKEW"),
            (SideKind::Dns, 8, "no answer")
        ]
    );
}

/// NLA whose TSRequests are in clear (a capture behind a TLS-terminating gateway): the
/// server's errorCode names the failure.
#[test]
fn credssp_in_clear_names_the_error_code() {
    let conv = Conv::new("10.1.0.5:50100", "10.1.0.9:3389");
    // X.224 CR with RDP_NEG_REQ asking SSL|HYBRID (0x3); CC selecting HYBRID (0x2).
    let cr =
        b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00".to_vec();
    let cc =
        b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x02\x00\x00\x00".to_vec();
    // TSRequest { version 6, negoTokens [1] SEQUENCE { SEQUENCE { [0] OCTET STRING "NTLM" } } }.
    let nego = tlv(
        0x30,
        &[
            tlv(0xa0, &int(6)),
            tlv(
                0xa1,
                &tlv(0x30, &tlv(0x30, &tlv(0xa0, &tlv(0x04, b"NTLM")))),
            ),
        ]
        .concat(),
    );
    // The client's AUTHENTICATE with pubKeyAuth; the server's answer with errorCode 0xC000006D.
    let auth = tlv(
        0x30,
        &[
            tlv(0xa0, &int(6)),
            tlv(
                0xa1,
                &tlv(0x30, &tlv(0x30, &tlv(0xa0, &tlv(0x04, b"AUTH")))),
            ),
            tlv(0xa3, &tlv(0x04, &[7; 32])),
        ]
        .concat(),
    );
    let error = tlv(
        0x30,
        &[
            tlv(0xa0, &int(6)),
            tlv(0xa4, &tlv(0x02, &[0x00, 0xc0, 0x00, 0x00, 0x6d])),
        ]
        .concat(),
    );
    let (cr_l, cc_l, nego_l, auth_l, err_l) = (
        cr.len() as u32,
        cc.len() as u32,
        nego.len() as u32,
        auth.len() as u32,
        error.len() as u32,
    );
    let segs = vec![
        (T0, conv.syn()),
        (T0 + MS, conv.synack()),
        (T0 + 2 * MS, conv.ack()),
        (T0 + 3 * MS, conv.c(0, 0).data(&cr)),         // 4
        (T0 + 4 * MS, conv.s(0, cr_l).data(&cc)),      // 5
        (T0 + 5 * MS, conv.c(cr_l, cc_l).data(&nego)), // 6
        (T0 + 6 * MS, conv.s(cc_l, cr_l + nego_l).data(&nego)), // 7
        (
            T0 + 7 * MS,
            conv.c(cr_l + nego_l, cc_l + nego_l).data(&auth),
        ), // 8
        (
            T0 + 8 * MS,
            conv.s(cc_l + nego_l, cr_l + nego_l + auth_l).data(&error),
        ), // 9
        (
            T0 + 9 * MS,
            conv.s(cc_l + nego_l + err_l, cr_l + nego_l + auth_l).fin(),
        ), // 10
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "credssp.pcap", &pcap_of(Link::Eth, &segs));
    let r = analyze(&[path]);
    let c = &r.connections[0];
    assert_eq!(
        (c.cause, c.failed_stage, c.reached),
        (Some(Cause::NlaFailure), Some(Stage::Nla), Some(Stage::X224))
    );
    assert_eq!(c.confidence, Some(Confidence::High));
    let detail = c.detail();
    let nla = detail
        .stages
        .iter()
        .find(|s| s.stage == Stage::Nla)
        .unwrap();
    assert_eq!(nla.frames, vec![6, 7, 8, 9, 10]);
    assert_eq!(nla.evidence, Some(Evidence::Clear));
    assert!(
        summary(c).contains("errorCode 0xC000006D: STATUS_LOGON_FAILURE"),
        "{}",
        summary(c)
    );
    assert_eq!(
        c.detail()
            .stages
            .iter()
            .find(|s| s.stage == Stage::Tls)
            .unwrap()
            .status,
        Status::NotReached
    );
}

/// Kerberos over TCP (RFC 4120 §7.2.2): each message behind a 4-byte length.
#[test]
fn kerberos_error_over_tcp() {
    let conv = Conv::new("10.2.0.5:49300", "10.2.0.1:88");
    let req = [&[0u8, 0, 0, 4][..], &[0x6a, 0x02, 0x30, 0x00]].concat();
    let err = kdc_error(24, "CORP.EXAMPLE", &["krbtgt", "CORP.EXAMPLE"]);
    let reply = [(err.len() as u32).to_be_bytes().to_vec(), err].concat();
    let (req_l, reply_l) = (req.len() as u32, reply.len() as u32);
    let segs = vec![
        (T0, conv.syn()),
        (T0 + MS, conv.synack()),
        (T0 + 2 * MS, conv.ack()),
        (T0 + 3 * MS, conv.c(0, 0).data(&req)),
        (T0 + 4 * MS, conv.s(0, req_l).data(&reply)), // frame 5
        (T0 + 5 * MS, conv.c(req_l, reply_l).fin()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "krb-tcp.pcap", &pcap_of(Link::Eth, &segs));
    let r = analyze(&[path]);
    assert!(
        r.connections.is_empty(),
        "Kerberos is side traffic, not an RDP connection"
    );
    let f: Vec<_> = r.inputs[0]
        .side_failures
        .iter()
        .map(|e| {
            (
                e.kind,
                e.frame,
                e.result.as_str(),
                e.client.as_str(),
                e.realm.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        f,
        vec![(
            SideKind::Kerberos,
            5,
            "KDC_ERR_PREAUTH_FAILED",
            "10.2.0.5",
            Some("CORP.EXAMPLE")
        )]
    );
}

/// A client that floods failing lookups before connecting: the connection keeps the 16
/// latest (the one that gave the server's address among them) and counts the others, which
/// the JSON writes as `side_events_omitted` (absent when none were left out).
#[test]
fn side_events_kept_per_connection_are_capped() {
    let client_dns = ep("10.0.0.5:53001");
    let resolver = ep("10.0.0.1:53");
    let rdp = Conv::new("10.0.0.5:50000", "10.0.0.9:3389");
    let mut frames = Vec::new();
    for k in 0..40u16 {
        let t = T0 + i64::from(k) * 2 * MS;
        let name = format!("guess{k}.corp.example");
        frames.push((
            t,
            Link::Eth.wrap(&udp(client_dns, resolver, &dns(k, &name, None, None))),
        ));
        frames.push((
            t + MS,
            Link::Eth.wrap(&udp(resolver, client_dns, &dns(k, &name, Some(3), None))),
        ));
    }
    let t = T0 + 100 * MS;
    frames.push((
        t,
        Link::Eth.wrap(&udp(
            client_dns,
            resolver,
            &dns(99, "rdp.corp.example", None, None),
        )),
    ));
    frames.push((
        t + MS,
        Link::Eth.wrap(&udp(
            resolver,
            client_dns,
            &dns(99, "rdp.corp.example", Some(0), Some([10, 0, 0, 9])),
        )),
    ));
    frames.push((t + 10 * MS, rdp.syn().frame(Link::Eth)));
    frames.push((t + 11 * MS, rdp.refuse().frame(Link::Eth)));
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dns-flood.pcap", &Pcap::new(1).file(&frames));
    let r = analyze(&[path]);
    let c = &r.connections[0];
    let names: Vec<&str> = c.dns().iter().filter_map(|e| e.name.as_deref()).collect();
    assert_eq!(names.len(), 16);
    assert_eq!(names[0], "guess25.corp.example");
    assert_eq!(names[15], "rdp.corp.example");
    assert_eq!(c.side_omitted(), 25);
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["connections"][0]["side_events_omitted"], 25);
    assert_eq!(
        v["connections"][0]["dns"].as_array().map(Vec::len),
        Some(16)
    );
}

/// kerberos-errors.pcap (EXPECTED.md): real KRB-ERRORs from MIT krb5kdc (a wrong password,
/// a clock an hour ahead, no principal for TERMSRV/10.99.2.2) before an NLA failure whose
/// CredSSP exchange ran NTLM. They join the attempt they precede, as evidence; the cause
/// stays `nla_failure`, with a line saying why Kerberos was not used.
#[test]
fn real_kerberos_errors_join_the_ntlm_nla_failure_they_precede() {
    let r = analyze(&[capture_fixture("kerberos-errors.pcap")]);
    assert_eq!(r.connections.len(), 2);
    let errors: Vec<(u64, &str, &str)> = r.connections[0]
        .kerberos()
        .iter()
        .map(|k| (k.frame, k.result.as_str(), k.name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        errors,
        [
            (2, "KDC_ERR_PREAUTH_REQUIRED", "krbtgt/RDPT.TEST"),
            (4, "KDC_ERR_PREAUTH_FAILED", "krbtgt/RDPT.TEST"),
            (6, "KDC_ERR_PREAUTH_REQUIRED", "krbtgt/RDPT.TEST"),
            (8, "KRB_AP_ERR_SKEW", "krbtgt/RDPT.TEST"),
            (10, "KDC_ERR_PREAUTH_REQUIRED", "krbtgt/RDPT.TEST"),
            (14, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "TERMSRV/10.99.2.2"),
            (16, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "TERMSRV/10.99.2.2"),
        ]
    );
    assert!(
        r.connections
            .iter()
            .all(|c| c.cause == Some(Cause::NlaFailure)
                && c.nla_mechanism == Some(rdptriage::handshake::nla_records::Mechanism::Ntlm))
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.cause, f.severity, f.confidence),
        (Cause::NlaFailure, Severity::Error, Confidence::Medium)
    );
    assert_eq!(f.connections, ["c1", "c2"]);
    for frame in [4, 8, 14] {
        assert!(
            f.evidence
                .iter()
                .any(|l| l.starts_with(&format!("frame {frame}: the KDC 10.99.2.2 answered"))),
            "{frame}: {:#?}",
            f.evidence
        );
    }
    assert!(
        f.evidence.contains(
            &"the CredSSP exchange ran NTLM (the client's first token has NTLM's size), so \
              Kerberos was not used: the KDC's errors around it (KDC_ERR_PREAUTH_FAILED for \
              krbtgt/RDPT.TEST; KRB_AP_ERR_SKEW for krbtgt/RDPT.TEST; \
              KDC_ERR_S_PRINCIPAL_UNKNOWN for TERMSRV/10.99.2.2) say why the client fell back to \
              NTLM, not why NLA failed; if the domain restricts NTLM, they are the cause"
                .to_string()
        ),
        "{:#?}",
        f.evidence
    );
}
