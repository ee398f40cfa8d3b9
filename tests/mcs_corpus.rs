//! The MCS decoder (`handshake::mcs`) over the real Standard RDP Security captures of the
//! public corpus in `../shared/corpus`. Expected values are the peers' own outputs, read from
//! `../shared/corpus/reference/`: Zeek's btest baselines (`rdp.log`, `x509.log`, the event
//! prints), Suricata's `rdp-protocol/test.yaml`, nDPI's `rdp3.pcap.out`; where a peer says
//! nothing, tshark 4.0 as quoted beside the assertion. Never this program's own output.
//! Every test skips, saying so, when the corpus is absent.
//!
//! The TCP payloads are taken here with pcap-parser and etherparse, independently of the
//! project's own capture and reassembly code: each direction of a connection is put back in
//! sequence order (retransmitted bytes dropped) and cut into TPKT and fast-path PDUs.

use std::path::{Path, PathBuf};

use rdptriage::handshake::mcs::{self, CertKind, McsPdu, parse_mcs};
use sha2::{Digest, Sha256};

fn corpus_file(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus not found");
        return None;
    }
    let p = root.join(rel);
    if !p.is_file() {
        eprintln!("skipping: {} not found", p.display());
        return None;
    }
    Some(p)
}

/// One TCP segment with payload (or a SYN), numbered as Wireshark numbers frames.
struct Seg {
    frame: u64,
    src_port: u16,
    dst_port: u16,
    seq: u32,
    syn: bool,
    payload: Vec<u8>,
}

fn segments(path: &Path) -> Vec<Seg> {
    let data = std::fs::read(path).unwrap();
    let cap = pcap_parser::PcapCapture::from_file(&data).expect("a pcap file");
    assert_eq!(cap.header.network, pcap_parser::Linktype::ETHERNET);
    let mut out = Vec::new();
    for (i, b) in cap.blocks.iter().enumerate() {
        let Ok(p) = etherparse::SlicedPacket::from_ethernet(b.data) else {
            continue;
        };
        if let Some(etherparse::TransportSlice::Tcp(t)) = p.transport {
            out.push(Seg {
                frame: i as u64 + 1,
                src_port: t.source_port(),
                dst_port: t.destination_port(),
                seq: t.sequence_number(),
                syn: t.syn(),
                payload: t.payload().to_vec(),
            });
        }
    }
    out
}

/// One PDU of a reassembled direction, with the frame that carried its first byte.
struct Unit {
    frame: u64,
    bytes: Vec<u8>,
    tpkt: bool,
}

/// One direction of the connection whose client uses `client_port`.
fn direction(segs: &[Seg], client_port: u16, to_server: bool) -> Vec<Unit> {
    let (src, dst) = if to_server {
        (client_port, 3389)
    } else {
        (3389, client_port)
    };
    let mut next: Option<u32> = None;
    let mut buf = Vec::new();
    let mut marks: Vec<(usize, u64)> = Vec::new();
    for s in segs
        .iter()
        .filter(|s| s.src_port == src && s.dst_port == dst)
    {
        if s.syn {
            next = Some(s.seq.wrapping_add(1));
            continue;
        }
        if s.payload.is_empty() {
            continue;
        }
        let n = *next.get_or_insert(s.seq);
        let ahead = s.seq.wrapping_sub(n) as i32;
        if ahead > 0 {
            break; // A gap: what follows cannot be cut reliably.
        }
        let skip = ahead.unsigned_abs() as usize;
        if skip >= s.payload.len() {
            continue; // A retransmission of bytes already had.
        }
        marks.push((buf.len(), s.frame));
        buf.extend(&s.payload[skip..]);
        next = Some(n.wrapping_add((s.payload.len() - skip) as u32));
    }
    let mut units = Vec::new();
    let mut at = 0;
    while at + 4 <= buf.len() {
        let (len, tpkt) = if buf[at] == 3 {
            (
                u16::from_be_bytes([buf[at + 2], buf[at + 3]]) as usize,
                true,
            )
        } else if buf[at] & 0x03 == 0 {
            // Fast-path (MS-RDPBCGR 2.2.9.1.2 / 2.2.8.1.2): length in 1 or 2 bytes.
            let b1 = buf[at + 1] as usize;
            let len = if b1 & 0x80 != 0 {
                (b1 & 0x7f) << 8 | buf[at + 2] as usize
            } else {
                b1
            };
            (len, false)
        } else {
            break;
        };
        if len < 4 || at + len > buf.len() {
            break;
        }
        let frame = marks.iter().rev().find(|m| m.0 <= at).map_or(0, |m| m.1);
        units.push(Unit {
            frame,
            bytes: buf[at..at + len].to_vec(),
            tpkt,
        });
        at += len;
    }
    units
}

/// The MCS PDUs of one direction, with their frames.
fn mcs_pdus(units: &[Unit]) -> Vec<(u64, McsPdu)> {
    units
        .iter()
        .filter(|u| u.tpkt)
        .filter_map(|u| parse_mcs(&u.bytes).map(|p| (u.frame, p)))
        .collect()
}

fn connect_initial(pdus: &[(u64, McsPdu)]) -> (u64, mcs::ConnectInitial) {
    pdus.iter()
        .find_map(|(f, p)| match p {
            McsPdu::ConnectInitial(ci) => Some((*f, ci.clone())),
            _ => None,
        })
        .expect("a Connect Initial")
}

fn connect_response(pdus: &[(u64, McsPdu)]) -> (u64, mcs::ConnectResponse) {
    pdus.iter()
        .find_map(|(f, p)| match p {
            McsPdu::ConnectResponse(cr) => Some((*f, cr.clone())),
            _ => None,
        })
        .expect("a Connect Response")
}

/// The fields of a Zeek `rdp.log` row that come from MCS, rendered as Zeek renders them.
#[derive(Debug, PartialEq)]
struct ZeekRow {
    result: String,
    client_channels: String,
    keyboard_layout: String,
    client_build: String,
    client_name: String,
    client_dig_product_id: String,
    desktop_width: String,
    desktop_height: String,
    requested_color_depth: String,
    cert_type: String,
    cert_count: String,
    cert_permanent: String,
    encryption_level: String,
    encryption_method: String,
}

fn zeek_row(ci: &mcs::ConnectInitial, cr: Option<&mcs::ConnectResponse>) -> ZeekRow {
    let core = ci.client_core.as_ref().unwrap();
    let dash = || "-".to_string();
    let or_empty = |s: &str| {
        if s.is_empty() {
            "(empty)".to_string()
        } else {
            s.to_string()
        }
    };
    let sec = cr.and_then(|r| r.server_security.as_ref());
    let cert = sec.and_then(|s| s.cert.as_ref());
    ZeekRow {
        result: cr
            .and_then(|r| r.gcc_result)
            .map_or_else(dash, mcs::gcc_result_name),
        client_channels: ci.channels.join(","),
        keyboard_layout: mcs::keyboard_layout_name(core.keyboard_layout),
        client_build: mcs::client_build_name(core.client_build),
        client_name: or_empty(&core.client_name),
        client_dig_product_id: or_empty(core.client_dig_product_id.as_deref().unwrap_or("")),
        desktop_width: core.desktop_width.to_string(),
        desktop_height: core.desktop_height.to_string(),
        requested_color_depth: core.requested_color_depth().unwrap_or_else(dash),
        cert_type: cert.map_or_else(dash, |c| mcs::cert_type_name(c.chain_version())),
        cert_count: cert.map_or(0, |c| c.count()).to_string(),
        cert_permanent: cert.map_or_else(dash, |c| if c.permanent { "T" } else { "F" }.into()),
        encryption_level: sec.map_or_else(dash, |s| mcs::encryption_level_name(s.encryption_level)),
        encryption_method: sec
            .map_or_else(dash, |s| mcs::encryption_method_name(s.encryption_method)),
    }
}

/// The data row of a Zeek `rdp.log` baseline whose `id.orig_p` is `orig_port`.
fn zeek_rdp_log(baseline: &str, orig_port: u16) -> Option<ZeekRow> {
    let p = corpus_file(&format!("reference/zeek/{baseline}/rdp.log"))?;
    let text = std::fs::read_to_string(p).unwrap();
    let fields: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("#fields\t"))
        .unwrap()
        .split('\t')
        .collect();
    let row = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|r| r.get(3) == Some(&orig_port.to_string().as_str()))
        .unwrap();
    let get = |name: &str| row[fields.iter().position(|f| *f == name).unwrap()].to_string();
    Some(ZeekRow {
        result: get("result"),
        client_channels: get("client_channels"),
        keyboard_layout: get("keyboard_layout"),
        client_build: get("client_build"),
        client_name: get("client_name"),
        client_dig_product_id: get("client_dig_product_id"),
        desktop_width: get("desktop_width"),
        desktop_height: get("desktop_height"),
        requested_color_depth: get("requested_color_depth"),
        cert_type: get("cert_type"),
        cert_count: get("cert_count"),
        cert_permanent: get("cert_permanent"),
        encryption_level: get("encryption_level"),
        encryption_method: get("encryption_method"),
    })
}

fn reference(rel: &str) -> Option<String> {
    corpus_file(&format!("reference/{rel}")).map(|p| std::fs::read_to_string(p).unwrap())
}

/// Every truncation of every PDU decodes without panicking.
fn no_panic(units: &[Unit]) {
    for u in units {
        for n in 0..=u.bytes.len() {
            let _ = parse_mcs(&u.bytes[..n]);
            let _ = mcs::mcs_user_data(&u.bytes[..n]);
        }
    }
}

#[test]
fn proprietary_encryption_connection_2_matches_zeek() {
    let Some(pcap) = corpus_file("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    let Some(want) = zeek_rdp_log(
        "scripts.base.protocols.rdp.rdp-proprietary-encryption",
        1312,
    ) else {
        return;
    };
    let segs = segments(&pcap);
    let c2s = direction(&segs, 1312, true);
    let s2c = direction(&segs, 1312, false);
    let cpdus = mcs_pdus(&c2s);
    let spdus = mcs_pdus(&s2c);
    let (ci_frame, ci) = connect_initial(&cpdus);
    let (cr_frame, cr) = connect_response(&spdus);
    // tshark: frame 14 ClientData, frame 15 ServerData.
    assert_eq!((ci_frame, cr_frame), (14, 15));
    assert!(ci.problems.is_empty(), "{:?}", ci.problems);
    assert!(cr.problems.is_empty(), "{:?}", cr.problems);

    // rdp.log row 2: Success RDP rdpdr,rdpsnd,drdynvc,cliprdr  English - United States
    // RDP 6.0  FROG-POND  (empty)  1152  864  32bit  RSA  1  T  High  128bit
    assert_eq!(zeek_row(&ci, Some(&cr)), want);
    assert_eq!(want.client_channels, "rdpdr,rdpsnd,drdynvc,cliprdr");
    assert_eq!(want.requested_color_depth, "32bit");
    let core = ci.client_core.as_ref().unwrap();
    // "32bit" although highColorDepth is 24: RNS_UD_CS_WANT_32BPP_SESSION is set (0x0b).
    assert_eq!(core.high_color_depth, Some(24));
    assert_eq!(core.early_capability_flags, Some(0x0b));
    // security_protocol RDP: the echoes of the negotiation agree with it.
    assert_eq!(core.server_selected_protocol, Some(0));
    assert_eq!(cr.server_core.unwrap().client_requested_protocols, Some(0));
    assert_eq!(mcs::mcs_result_name(cr.result), "rt-successful");

    // rdp-client-security-data/out: encryption_methods=27, ext_encryption_methods=0, with the
    // 40-bit, 128-bit, 56-bit and FIPS flags set.
    let Some(out) = reference("zeek/scripts.base.protocols.rdp.rdp-client-security-data/out")
    else {
        return;
    };
    let sec = ci.client_security.unwrap();
    assert!(out.contains(&format!(
        "[encryption_methods={}, ext_encryption_methods={}]",
        sec.encryption_methods, sec.ext_encryption_methods
    )));
    assert_eq!(
        mcs::encryption_method_names(sec.encryption_methods),
        vec!["40bit", "128bit", "56bit", "FIPS"]
    );
    for flag in [
        "40-bit flag, T",
        "128-bit flag, T",
        "56-bit flag, T",
        "fips flag, T",
    ] {
        assert!(out.contains(flag), "{flag}");
    }

    // rdp-client-cluster-data/out: the raw fields and the channel options, in order.
    let Some(out) = reference("zeek/scripts.base.protocols.rdp.rdp-client-cluster-data/out") else {
        return;
    };
    let cl = ci.cluster.unwrap();
    assert!(out.contains(&format!("Flags: {:08x}\n", cl.flags)));
    assert!(out.contains(&format!(
        "RedirSessionId: {:08x}\n",
        cl.redirected_session_id
    )));
    let options: Vec<String> = ci
        .channel_options
        .iter()
        .map(|o| format!("{o:08x}"))
        .collect();
    let listed: Vec<&str> = out
        .split("RDP Client Channel List Options\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(options, listed);
    // Zeek prints 0 for "Redirection Supported" and the version mask: its binpac takes those
    // bits from redirectedSessionId (0), not from Flags. From Flags (0x0d), as MS-RDPBCGR
    // 2.2.1.3.5 defines them, redirection is supported, version 3 (REDIRECTION_VERSION4).
    assert!(out.contains("Redirection Supported: 00000000"));
    assert_eq!(cl.flags, 0x0d);
    assert!(cl.redirection_supported());
    assert_eq!(cl.redirection_version(), 3);
    assert!(!cl.session_id_valid() && !cl.redirected_smartcard());

    // Server side (tshark -O t125,t124,rdp frame 15): GCC nodeID 31219, channels 1004–1007
    // for the four asked for, I/O channel 1003, RSA key in a proprietary certificate.
    assert_eq!(cr.gcc_node_id, Some(31219));
    let net = cr.server_network.as_ref().unwrap();
    assert_eq!(net.io_channel, 1003);
    assert_eq!(net.channel_ids, vec![1004, 1005, 1006, 1007]);
    let sec = cr.server_security.as_ref().unwrap();
    assert_eq!((sec.server_random_len, sec.server_cert_len), (32, 184));
    let cert = sec.cert.as_ref().unwrap();
    assert_eq!(cert.kind, CertKind::Proprietary);
    assert_eq!(cert.public_key_bits, Some(512));

    // rdp-native-encrypted-data/out: once encryption starts (after the Server Security Data),
    // Zeek sees the client deliver 12 then 8 bytes and the server 11. Those are the Erect
    // Domain Request, the Attach User Request and the Attach User Confirm (tshark frames 16,
    // 17, 19), whole in their segments.
    let Some(out) = reference("zeek/scripts.base.protocols.rdp.rdp-native-encrypted-data/out")
    else {
        return;
    };
    let zeek: Vec<(bool, usize)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("rdp native encrypted data, "))
        .map(|l| {
            let (o, n) = l.split_once(", ").unwrap();
            (o == "T", n.parse().unwrap())
        })
        .collect();
    let after: Vec<&Seg> = segs
        .iter()
        .filter(|s| s.frame > cr_frame && !s.payload.is_empty())
        .filter(|s| s.src_port == 1312 || s.dst_port == 1312)
        .take(zeek.len())
        .collect();
    let seen: Vec<(bool, usize)> = after
        .iter()
        .map(|s| (s.src_port == 1312, s.payload.len()))
        .collect();
    assert_eq!(seen, zeek);
    let decoded: Vec<McsPdu> = after
        .iter()
        .map(|s| parse_mcs(&s.payload).unwrap())
        .collect();
    assert_eq!(
        decoded,
        vec![
            McsPdu::ErectDomainRequest,
            McsPdu::AttachUserRequest,
            McsPdu::AttachUserConfirm {
                result: 0,
                initiator: Some(1008)
            },
        ]
    );

    // The channel joins (tshark: channelJoinRequest/Confirm 1008, 1003…1007, frames 20–31;
    // tshark shows the initiator as its PER offset 7, i.e. user 1008), then the Security
    // Exchange PDU in a Send Data Request (frame 32, 94 bytes: TPKT and X.224 7, MCS header
    // 7, user data 80): the basic security header, flags 0x0201 (SEC_EXCHANGE_PKT |
    // SEC_LICENSE_ENCRYPT_CS), then length 72, the encrypted client random and its 8 bytes of
    // padding (MS-RDPBCGR 2.2.1.10). tshark: "userData: 0102000048000000…".
    let joins: Vec<(u64, McsPdu)> = cpdus
        .iter()
        .chain(&spdus)
        .filter(|(f, _)| (20..=31).contains(f))
        .cloned()
        .collect();
    assert_eq!(joins.len(), 12);
    for (i, ch) in [1008u16, 1003, 1004, 1005, 1006, 1007].iter().enumerate() {
        let f = 20 + 2 * i as u64;
        let req = joins.iter().find(|(fr, _)| *fr == f).unwrap();
        let cnf = joins.iter().find(|(fr, _)| *fr == f + 1).unwrap();
        assert_eq!(
            req.1,
            McsPdu::ChannelJoinRequest {
                initiator: 1008,
                channel: *ch
            }
        );
        assert_eq!(
            cnf.1,
            McsPdu::ChannelJoinConfirm {
                result: 0,
                requested: *ch,
                channel: Some(*ch)
            }
        );
    }
    let sx = c2s.iter().find(|u| u.frame == 32).unwrap();
    assert_eq!(
        parse_mcs(&sx.bytes),
        Some(McsPdu::SendDataRequest {
            initiator: 1008,
            channel: 1003,
            len: 80
        })
    );
    let ud = mcs::mcs_user_data(&sx.bytes).unwrap();
    assert_eq!(&ud[..8], &[0x01, 0x02, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00]);
    assert_eq!(ud.len(), 8 + 72);

    // The server ends the session with a Disconnect Provider Ultimatum, rn-user-requested
    // (tshark -Y 't124.DomainMCSPDU==8' -O t125: "reason: rn-user-requested (3)").
    let dpu: Vec<McsPdu> = segs
        .iter()
        .filter(|s| s.src_port == 3389 && s.dst_port == 1312)
        .filter_map(|s| parse_mcs(&s.payload))
        .filter(|p| matches!(p, McsPdu::DisconnectProviderUltimatum { .. }))
        .collect();
    assert_eq!(dpu, vec![McsPdu::DisconnectProviderUltimatum { reason: 3 }]);
    assert_eq!(mcs::reason_name(3), "rn-user-requested");

    no_panic(&c2s);
    no_panic(&s2c);
}

#[test]
fn proprietary_encryption_connection_1_has_no_mcs() {
    // rdp.log row 1: SSL_NOT_ALLOWED_BY_SERVER and no MCS field: the server refused in its
    // X.224 Connection Confirm, nothing of it is MCS.
    let Some(pcap) = corpus_file("pcap/zeek/rdp-proprietary-encryption.pcap") else {
        return;
    };
    let Some(want) = zeek_rdp_log(
        "scripts.base.protocols.rdp.rdp-proprietary-encryption",
        1311,
    ) else {
        return;
    };
    assert_eq!(want.result, "SSL_NOT_ALLOWED_BY_SERVER");
    assert_eq!(want.client_channels, "-");
    let segs = segments(&pcap);
    for to_server in [true, false] {
        let units = direction(&segs, 1311, to_server);
        assert_eq!(units.len(), 1);
        assert_eq!(mcs_pdus(&units), vec![]);
    }
}

#[test]
fn x509_matches_zeek_rdp_and_x509_logs() {
    let Some(pcap) = corpus_file("pcap/zeek/rdp-x509.pcap") else {
        return;
    };
    let Some(want) = zeek_rdp_log("scripts.base.protocols.rdp.rdp-x509", 54990) else {
        return;
    };
    let segs = segments(&pcap);
    let c2s = direction(&segs, 54990, true);
    let s2c = direction(&segs, 54990, false);
    let (_, ci) = connect_initial(&mcs_pdus(&c2s));
    let (cr_frame, cr) = connect_response(&mcs_pdus(&s2c));
    // tshark: "[2 Reassembled TCP Segments (1405 bytes): #12(1398), #13(7)]".
    assert_eq!(cr_frame, 12);
    assert!(ci.problems.is_empty(), "{:?}", ci.problems);
    assert!(cr.problems.is_empty(), "{:?}", cr.problems);

    // Success RDP rdpdr,rdpsnd,cliprdr,drdynvc  English - United States  RDP 8.1
    // JOHN-PC-LAPTOP  3c571ed0-3415-474b-ae94-74e151b  1920  1080  16bit  X.509  2  F
    // Client compatible  128bit
    assert_eq!(zeek_row(&ci, Some(&cr)), want);
    assert_eq!(want.cert_type, "X.509");
    // The product id is the GUID cut to the field's 31 characters and its NUL.
    let core = ci.client_core.as_ref().unwrap();
    assert_eq!(core.client_dig_product_id.as_deref().unwrap().len(), 31);
    // All optional core fields present (tshark: headerLength 234); connectionType 7
    // (autodetect), earlyCapabilityFlags 1965 without WANT_32BPP: "16bit" is highColorDepth.
    assert_eq!(core.connection_type, Some(7));
    assert_eq!(core.early_capability_flags, Some(1965));
    assert!(core.device_scale_factor.is_some());
    assert_eq!(ci.cluster.unwrap().flags, 0x15);

    // x509.log: the two certificates of the chain, in order, by their SHA-256 fingerprints,
    // serials, validity, key and basic constraints.
    let Some(log) = reference("zeek/scripts.base.protocols.rdp.rdp-x509/x509.log") else {
        return;
    };
    let rows: Vec<Vec<&str>> = log
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    let cert = cr.server_security.as_ref().unwrap().cert.as_ref().unwrap();
    assert_eq!(cert.x509_chain.len(), rows.len());
    for (der, row) in cert.x509_chain.iter().zip(&rows) {
        let fp: String = Sha256::digest(der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(fp, row[1]);
        let (_, x) = x509_parser::parse_x509_certificate(der).unwrap();
        assert_eq!((x.version().0 + 1).to_string(), row[2]);
        let serial: String = x.raw_serial().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(serial, row[3]);
        assert_eq!(
            format!("{}.000000", x.validity().not_before.timestamp()),
            row[6]
        );
        assert_eq!(
            format!("{}.000000", x.validity().not_after.timestamp()),
            row[7]
        );
        // key_alg: rsaEncryption for the first, md5WithRSAEncryption (sic) for the second.
        let key_alg = x.public_key().algorithm.algorithm.to_id_string();
        let want_alg = match row[8] {
            "rsaEncryption" => "1.2.840.113549.1.1.1",
            "md5WithRSAEncryption" => "1.2.840.113549.1.1.4",
            other => panic!("{other}"),
        };
        assert_eq!(key_alg, want_alg);
        // sig_alg sha1WithRSA: OpenSSL's name for the OIW OID 1.3.14.3.2.29.
        assert_eq!(row[9], "sha1WithRSA");
        assert_eq!(
            x.signature_algorithm.algorithm.to_id_string(),
            "1.3.14.3.2.29"
        );
        use x509_parser::prelude::FromDer;
        let (_, rsa) = x509_parser::public_key::RSAPublicKey::from_der(
            &x.public_key().subject_public_key.data,
        )
        .unwrap();
        assert_eq!(rsa.key_size().to_string(), row[11]);
        let e = rsa
            .exponent
            .iter()
            .fold(0u64, |a, &b| a << 8 | u64::from(b));
        assert_eq!(e.to_string(), row[12]);
        let bc = x.basic_constraints().unwrap();
        match row[18] {
            "T" => {
                let bc = bc.unwrap().value;
                assert!(bc.ca);
                assert_eq!(bc.path_len_constraint.unwrap().to_string(), row[19]);
            }
            _ => assert!(bc.is_none()),
        }
    }

    no_panic(&c2s);
    no_panic(&s2c);
}

#[test]
fn unknown_keyboard_matches_zeek() {
    let Some(pcap) = corpus_file("pcap/zeek/rdp-unknown-keyboard.pcap") else {
        return;
    };
    let Some(want) = zeek_rdp_log("scripts.base.protocols.rdp.rdp-unknown-keyboard", 54990) else {
        return;
    };
    let segs = segments(&pcap);
    let c2s = direction(&segs, 54990, true);
    let s2c = direction(&segs, 54990, false);
    let (_, ci) = connect_initial(&mcs_pdus(&c2s));
    // The capture stops after the client data: no server MCS, Zeek's result is unset.
    assert_eq!(mcs_pdus(&s2c), vec![]);
    // -  RDP  rdpdr,rdpsnd,cliprdr,drdynvc  Thai (Best Guess for 263198)  RDP 8.1 …
    // X.509 fields unset, cert_count 0.
    assert_eq!(zeek_row(&ci, None), want);
    assert_eq!(want.keyboard_layout, "Thai (Best Guess for 263198)");
    assert_eq!(ci.client_core.unwrap().keyboard_layout, 263198);
    no_panic(&c2s);
}

#[test]
fn rdp_003_matches_suricata() {
    let Some(pcap) = corpus_file("pcap/suricata-verify/RDP-003.pcap") else {
        return;
    };
    let Some(yaml) = reference("suricata-verify/rdp-protocol/test.yaml") else {
        return;
    };
    let want = |key: &str| -> String {
        yaml.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    let segs = segments(&pcap);
    let c2s = direction(&segs, 13178, true);
    let s2c = direction(&segs, 13178, false);
    // rdp.event_type "initial_request", rdp.cookie "A70067": the X.224 request before MCS.
    assert!(
        c2s[0]
            .bytes
            .windows(23)
            .any(|w| w == format!("Cookie: mstshash={}", want("rdp.cookie")).as_bytes())
    );
    let (_, ci) = connect_initial(&mcs_pdus(&c2s));
    assert!(ci.problems.is_empty(), "{:?}", ci.problems);
    let core = ci.client_core.as_ref().unwrap();
    // rdp.client.version "v5": Suricata's name for 0x00080004 (RDP 5.0 to 8.1).
    assert_eq!(want("rdp.client.version"), "v5");
    assert_eq!(core.version, 0x0008_0004);
    assert_eq!(mcs::rdp_version_name(core.version), "RDP 5.0 to 8.1");
    // rdp.client.build "Windows XP": Suricata names the build after the OS (2600); Zeek's
    // name for it is "RDP 5.1".
    assert_eq!(want("rdp.client.build"), "Windows XP");
    assert_eq!(core.client_build, 2600);
    assert_eq!(mcs::client_build_name(core.client_build), "RDP 5.1");
    assert_eq!(
        core.desktop_height.to_string(),
        want("rdp.client.desktop_height")
    );
    assert_eq!(core.client_name, want("rdp.client.client_name"));
    // capabilities[0] "support_errinfo_pdf" (sic): RNS_UD_CS_SUPPORT_ERRINFO_PDU.
    assert_eq!(want("rdp.client.capabilities[0]"), "support_errinfo_pdf");
    assert_eq!(
        mcs::early_capability_names(core.early_capability_flags.unwrap()),
        vec!["SUPPORT_ERRINFO_PDU"]
    );
    assert_eq!(
        core.client_dig_product_id.as_deref(),
        Some(want("rdp.client.id").as_str())
    );
    let channels: Vec<String> = (0..3)
        .map(|i| want(&format!("rdp.channels[{i}]")))
        .collect();
    assert_eq!(ci.channels, channels);
    // The core block stops after pad1octet (tshark: headerLength 212).
    assert_eq!(core.connection_type, Some(0));
    assert_eq!(core.server_selected_protocol, None);

    // "connect_response" carries no field in Suricata's eve; tshark (frame 8): rt-successful,
    // a server core block of 8 bytes (no requested-protocols echo), 56-bit RC4, client
    // compatible, proprietary certificate.
    let (_, cr) = connect_response(&mcs_pdus(&s2c));
    assert!(cr.problems.is_empty(), "{:?}", cr.problems);
    assert_eq!((cr.result, cr.gcc_result), (0, Some(0)));
    assert_eq!(cr.server_core.unwrap().client_requested_protocols, None);
    let sec = cr.server_security.as_ref().unwrap();
    assert_eq!(mcs::encryption_method_name(sec.encryption_method), "56bit");
    assert_eq!(
        mcs::encryption_level_name(sec.encryption_level),
        "Client compatible"
    );
    assert_eq!(sec.cert.as_ref().unwrap().kind, CertKind::Proprietary);
    assert_eq!(
        cr.server_network.unwrap().channel_ids,
        vec![1004, 1005, 1006]
    );

    // tshark -Y 't124.DomainMCSPDU==8' -O t125: the server's ultimatum, rn-user-requested.
    let dpu: Vec<McsPdu> = segs
        .iter()
        .filter(|s| s.src_port == 3389)
        .filter_map(|s| parse_mcs(&s.payload))
        .filter(|p| matches!(p, McsPdu::DisconnectProviderUltimatum { .. }))
        .collect();
    assert_eq!(dpu, vec![McsPdu::DisconnectProviderUltimatum { reason: 3 }]);

    no_panic(&c2s);
    no_panic(&s2c);
}

#[test]
fn ndpi_rdp3_connect_initial_and_response() {
    let Some(pcap) = corpus_file("pcap/nDPI/rdp3.pcap") else {
        return;
    };
    let Some(out) = reference("nDPI/rdp3.pcap.out") else {
        return;
    };
    // nDPI: one RDP flow 10.150.9.21:1685 <-> 10.157.4.161:3389, in clear text, "(Cookie)".
    assert!(out.contains("TCP 10.150.9.21:1685 <-> 10.157.4.161:3389 [proto: 88/RDP]"));
    assert!(out.contains("[ClearText]"));
    let segs = segments(&pcap);
    let c2s = direction(&segs, 1685, true);
    let s2c = direction(&segs, 1685, false);
    assert!(
        c2s[0]
            .bytes
            .windows(26)
            .any(|w| w == b"Cookie: mstshash=Administr")
    );
    // The rest from tshark -O t125,t124,rdp frames 6 and 7.
    let (f, ci) = connect_initial(&mcs_pdus(&c2s));
    assert_eq!(f, 6);
    assert!(ci.problems.is_empty(), "{:?}", ci.problems);
    let core = ci.client_core.as_ref().unwrap();
    assert_eq!(core.client_name, "SEPTU");
    assert_eq!((core.desktop_width, core.desktop_height), (1280, 1024));
    assert_eq!(core.client_build, 2600);
    assert_eq!(
        core.client_dig_product_id.as_deref(),
        Some("76487-OEM-0011903-00102")
    );
    assert_eq!(ci.channels, vec!["rdpdr", "cliprdr", "rdpsnd"]);
    assert_eq!(ci.client_security.unwrap().encryption_methods, 0x0b);
    let (f, cr) = connect_response(&mcs_pdus(&s2c));
    assert_eq!(f, 7);
    assert!(cr.problems.is_empty(), "{:?}", cr.problems);
    assert_eq!((cr.result, cr.gcc_result), (0, Some(0)));
    let sec = cr.server_security.as_ref().unwrap();
    assert_eq!(mcs::encryption_method_name(sec.encryption_method), "128bit");
    assert_eq!(
        mcs::encryption_level_name(sec.encryption_level),
        "Client compatible"
    );
    let cert = sec.cert.as_ref().unwrap();
    assert_eq!((cert.kind, cert.permanent), (CertKind::Proprietary, true));
    no_panic(&c2s);
    no_panic(&s2c);
}

#[test]
fn rdp_002_disconnect_provider_ultimatum() {
    // Wireshark wiki RDP-002 (real loss in the session): tshark -Y 't124.DomainMCSPDU==8'
    // shows one ultimatum from the server, rn-user-requested.
    let Some(pcap) = corpus_file("pcap/wireshark-wiki/RDP-002.pcap") else {
        return;
    };
    let segs = segments(&pcap);
    let dpu: Vec<McsPdu> = segs
        .iter()
        .filter(|s| s.src_port == 3389)
        .filter_map(|s| parse_mcs(&s.payload))
        .filter(|p| matches!(p, McsPdu::DisconnectProviderUltimatum { .. }))
        .collect();
    assert_eq!(dpu, vec![McsPdu::DisconnectProviderUltimatum { reason: 3 }]);
    no_panic(&direction(&segs, 10446, true));
    no_panic(&direction(&segs, 10446, false));
}
