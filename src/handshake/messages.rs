//! The handshake as a message sequence: who sent what, in which frame — the rows of a
//! Wireshark "flow graph" restricted to what matters for RDP setup. The Markdown and HTML
//! reports draw it as a ladder diagram (client and server columns, one arrow per row).
//!
//! Rows come from the TCP control packets (SYN, SYN-ACK, ACK, FIN, RST: RFC 9293 §3.1), the
//! ICMP errors quoting the connection, and the protocol units of each direction's kept stream
//! (as [`super::facts::Decoded`] cut and decoded them): X.224 TPDUs (X.224 §13, MS-RDPBCGR 2.2.1.1–2.2.1.2), MCS PDUs
//! (T.125, MS-RDPBCGR 2.2.1.3–2.2.1.9), TLS records and handshake messages (RFC 8446 §5.1,
//! §4), CredSSP TSRequests in clear (MS-CSSP 2.2.1) and fast-path PDUs (MS-RDPBCGR 2.2.9.1.2).
//! Runs of the same message from the same side (application data, fast-path updates, SYN
//! retries) are folded into one row with a count, and the sequence is capped at
//! [`MAX_MESSAGES`] rows, so a long session costs no more than a short one.

use serde::Serialize;

use crate::tcp::{Connection, Side};

use super::facts::{Decoded, Tpdu};
use super::mcs::{self, McsPdu};
use super::pdu::{Pdu, PduKind};
use super::{tls, x224};

/// Most rows kept: the first [`MAX_MESSAGES`] − `TAIL_MESSAGES` and the last
/// `TAIL_MESSAGES` (where connections break), with the count of rows left out between.
pub const MAX_MESSAGES: usize = 40;
const TAIL_MESSAGES: usize = 10;

crate::model::vocabulary! {
    /// Who sent a row's packet.
    Sender {
        Client = "client",
        Server = "server",
        /// A router or host that sent an ICMP error.
        Network = "network",
    }
}

/// One row of the sequence.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Message {
    /// The first frame of the row (of the run, when folded).
    pub frame: u64,
    /// The last frame of a folded run, when it differs from `frame`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<u64>,
    /// Milliseconds since the connection's first frame.
    pub ms: f64,
    pub from: Sender,
    /// What was sent: `SYN`, `X.224 Connection Request (SSL, HYBRID)`, `TLS ClientHello`…
    pub label: String,
    /// How many packets or units the row folds (1 for most).
    pub count: u32,
    /// Set on the row `omitted` rows before which the cap cut the sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted_before: Option<usize>,
}

/// The rows of one connection, in frame order.
pub fn sequence(conn: &Connection, decoded: &Decoded) -> Vec<Message> {
    let mut rows = rows(conn, decoded);
    rows.sort_by_key(|r| r.frame);
    fold(same_frame(rows))
}

/// The rows of a decrypted connection (`super::Plain`): TCP, X.224 and the TLS handshake as
/// sent, then what the application data records carried, read from the plaintext (CredSSP
/// TSRequests named by their content, MCS PDUs, fast-path PDUs), the alerts decrypted.
pub fn decrypted_sequence(
    conn: &Connection,
    decoded: &Decoded,
    plain: &super::Plain,
) -> Vec<Message> {
    let sent = rows(conn, decoded);
    let first_data = sent
        .iter()
        .filter(|r| r.label == APPLICATION_DATA)
        .map(|r| r.frame)
        .min()
        .unwrap_or(u64::MAX);
    let mut out: Vec<Message> = sent
        .into_iter()
        .filter(|r| r.label != APPLICATION_DATA)
        .map(|mut r| {
            if r.label == ENCRYPTED_ALERT
                && let Some(a) = plain
                    .alerts
                    .iter()
                    .find(|a| a.frame == r.frame && Sender::of(a.side) == r.from)
            {
                r.label = format!("TLS alert {} {} (decrypted)", a.level, a.description);
            }
            r
        })
        .collect();
    out.extend(rows(&plain.conn, &plain.decoded).into_iter().filter(|r| {
        r.frame >= first_data && r.from != Sender::Network && r.label != "FIN" && r.label != "RST"
    }));
    if let Some((frame, value)) = plain.early_authorization {
        let ts = plain
            .decrypted
            .server
            .iter()
            .find(|r| r.last_frame == frame)
            .map_or(conn.first.ts_ns, |r| r.first_ts_ns);
        out.push(Message {
            frame,
            last_frame: None,
            ms: ((ts - conn.first.ts_ns) as f64 / 1e6 * 1000.0).round() / 1000.0,
            from: Sender::Server,
            label: format!(
                "Early User Authorization Result {}",
                if value == 0 {
                    "ACCESS_GRANTED"
                } else {
                    "ACCESS_DENIED"
                }
            ),
            count: 1,
            omitted_before: None,
        });
    }
    out.sort_by_key(|r| r.frame);
    fold(same_frame(out))
}

const APPLICATION_DATA: &str = "TLS application data";
const ENCRYPTED_ALERT: &str = "TLS alert (encrypted)";

impl Sender {
    fn of(side: Side) -> Sender {
        match side {
            Side::Client => Sender::Client,
            Side::Server => Sender::Server,
        }
    }
}

/// The rows of one connection, unsorted and unfolded.
fn rows(conn: &Connection, decoded: &Decoded) -> Vec<Message> {
    let t0 = conn.first.ts_ns;
    let ms = |ts: i64| ((ts - t0) as f64 / 1e6 * 1000.0).round() / 1000.0;
    let mut rows: Vec<Message> = Vec::new();
    let push = |rows: &mut Vec<Message>, frame: u64, ts: i64, from: Sender, label: String| {
        rows.push(Message {
            frame,
            last_frame: None,
            ms: ms(ts),
            from,
            label,
            count: 1,
            omitted_before: None,
        });
    };

    if let Some(syn) = conn.syn {
        // The first SYN and its retries: one row each is noise; the count says it.
        let n = conn.syn_frames.len().max(1);
        let label = if n > 1 {
            format!("SYN (sent {n} times)")
        } else {
            "SYN".to_string()
        };
        push(&mut rows, syn.frame, syn.ts_ns, Sender::Client, label);
        if let (Some(last), Some(row)) = (conn.syn_frames.last(), rows.last_mut())
            && *last != syn.frame
        {
            row.last_frame = Some(*last);
            row.count = n as u32;
        }
    }
    if let Some(sa) = conn.synack {
        push(
            &mut rows,
            sa.frame,
            sa.ts_ns,
            Sender::Server,
            "SYN-ACK".to_string(),
        );
    }
    if let Some(ack) = conn.handshake_ack {
        push(
            &mut rows,
            ack.frame,
            ack.ts_ns,
            Sender::Client,
            "ACK".to_string(),
        );
    }
    for e in &conn.icmp {
        let about = match e.about {
            Side::Client => "the client's packet",
            Side::Server => "the server's packet",
        };
        push(
            &mut rows,
            e.mark.frame,
            e.mark.ts_ns,
            Sender::Network,
            format!(
                "ICMP {} (about {about}, from {})",
                super::icmp_message(e.icmp.v6, e.icmp.icmp_type, e.icmp.code),
                e.icmp.reporter
            ),
        );
    }

    // Protocol units, each direction labelled on its own, then merged by frame.
    let client_units = &decoded.client.pdus;
    // TLS 1.3 (RFC 8446 §2): after the ServerHello everything is encrypted, handshake
    // included. The server's records before the client's first encrypted one are its
    // encrypted handshake flight, and the client's first is its Finished.
    let tls13 = decoded.server.chose_tls13();
    let client_first_data = client_units
        .iter()
        .find(|p| p.kind == PduKind::Tls(23))
        .map(|p| p.first_frame);
    for (dir, units, from) in [
        (&conn.c2s, &decoded.client, Sender::Client),
        (&conn.s2c, &decoded.server, Sender::Server),
    ] {
        let mut encrypted = false;
        let mut handshake = units.handshake.iter().peekable();
        for (i, (p, tpdu)) in units.iter().enumerate() {
            // The handshake messages that begin in this unit.
            while handshake.next_if(|h| h.began < i).is_some() {}
            let mut began: Vec<&str> = Vec::new();
            while let Some(h) = handshake.next_if(|h| h.began == i) {
                began.push(h.message.name());
            }
            let mut label = unit_label(p, p.bytes(dir), tpdu, &began, &mut encrypted);
            if tls13 && p.kind == PduKind::Tls(23) {
                let handshake = match from {
                    Sender::Client => Some(p.first_frame) == client_first_data,
                    _ => client_first_data.is_none_or(|f| p.first_frame < f),
                };
                if handshake {
                    label = if from == Sender::Client {
                        "TLS Finished (encrypted)".to_string()
                    } else {
                        "TLS encrypted handshake".to_string()
                    };
                } else if p.tls_payload_len() == 19 {
                    // 2 bytes of alert, the inner content type and a 16-byte AEAD tag.
                    label = "TLS alert (encrypted)".to_string();
                }
            }
            if tls13 && label.starts_with("TLS ServerHello") {
                label = label.replacen("TLS ServerHello", "TLS ServerHello (TLS 1.3)", 1);
            }
            // The row is the unit's first frame, at that frame's own time.
            push(&mut rows, p.first_frame, p.first_ts_ns, from, label);
        }
        for (mark, what) in [(dir.first_fin, "FIN"), (dir.first_rst, "RST")] {
            if let Some(m) = mark {
                push(&mut rows, m.frame, m.ts_ns, from, what.to_string());
            }
        }
    }
    rows
}

/// Units one side sent in one frame become one row: `TLS ServerHello, Certificate,
/// ServerHelloDone`, `TLS application data ×4`.
fn same_frame(rows: Vec<Message>) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(rows.len());
    let mut parts: Vec<(String, u32)> = Vec::new();
    let flush = |out: &mut Vec<Message>, parts: &mut Vec<(String, u32)>| {
        if parts.len() <= 1 && parts.first().is_none_or(|p| p.1 == 1) {
            parts.clear();
            return;
        }
        let Some(last) = out.last_mut() else { return };
        let mut label = String::new();
        for (i, (part, n)) in parts.iter().enumerate() {
            if i > 0 {
                label.push_str(", ");
            }
            let part = match part.strip_prefix("TLS ") {
                Some(rest) if i > 0 && label.starts_with("TLS ") => rest,
                _ => part,
            };
            label.push_str(part);
            if *n > 1 {
                label.push_str(&format!(" ×{n}"));
            }
        }
        last.label = label;
        parts.clear();
    };
    for m in rows {
        match out.last() {
            Some(l) if l.frame == m.frame && l.from == m.from && l.last_frame.is_none() => {
                match parts.last_mut() {
                    Some((label, n)) if *label == m.label => *n += 1,
                    _ => parts.push((m.label, 1)),
                }
            }
            _ => {
                flush(&mut out, &mut parts);
                parts.push((m.label.clone(), 1));
                out.push(m);
            }
        }
    }
    flush(&mut out, &mut parts);
    out
}

/// Names one unit; `handshake` names the handshake messages that begin in it. `encrypted`
/// turns true at the side's ChangeCipherSpec: its later handshake and alert records are
/// encrypted.
fn unit_label(
    p: &Pdu,
    bytes: &[u8],
    tpdu: Option<&Tpdu>,
    handshake: &[&str],
    encrypted: &mut bool,
) -> String {
    let cut = if p.complete {
        ""
    } else {
        " (cut by the capture)"
    };
    let label = match p.kind {
        PduKind::Tpkt => tpdu.map_or_else(|| "TPKT".to_string(), tpkt_label),
        PduKind::Tls(20) => {
            *encrypted = true;
            "TLS ChangeCipherSpec".to_string()
        }
        PduKind::Tls(21) if !*encrypted && bytes.len() >= 7 => format!(
            "TLS alert {} {}",
            if bytes[5] == 2 { "fatal" } else { "warning" },
            tls::alert_name(bytes[6])
        ),
        PduKind::Tls(21) => "TLS alert (encrypted)".to_string(),
        PduKind::Tls(22) if !*encrypted && handshake.is_empty() => {
            "TLS handshake (continued)".to_string()
        }
        PduKind::Tls(22) if !*encrypted => format!("TLS {}", handshake.join(", ")),
        PduKind::Tls(22) => "TLS Finished (encrypted)".to_string(),
        PduKind::Tls(23) => "TLS application data".to_string(),
        PduKind::Tls(t) => format!("TLS record type {t}"),
        PduKind::Der => credssp_label(bytes),
        PduKind::FastPath => "fast-path PDU".to_string(),
        PduKind::Unknown => format!("{} bytes, not RDP framing", p.len),
    };
    format!("{label}{cut}")
}

/// A TSRequest read in clear or decrypted (MS-CSSP 2.2.1) by what it carries: the NTLM
/// message (MS-NLMP 2.2.1) with the account it names, a Kerberos token, pubKeyAuth, authInfo,
/// an errorCode.
fn credssp_label(bytes: &[u8]) -> String {
    use super::credssp::{AuthToken, parse_ts_request};
    let Some(r) = parse_ts_request(bytes) else {
        return "CredSSP TSRequest".to_string();
    };
    let mut parts: Vec<String> = Vec::new();
    match &r.token {
        Some(AuthToken::NtlmNegotiate) => parts.push("NTLM NEGOTIATE".into()),
        Some(AuthToken::NtlmChallenge { .. }) => parts.push("NTLM CHALLENGE".into()),
        Some(AuthToken::NtlmAuthenticate { domain, user, .. }) => parts.push(format!(
            "NTLM AUTHENTICATE ({})",
            if domain.is_empty() {
                user.clone()
            } else {
                format!("{domain}\\{user}")
            }
        )),
        Some(AuthToken::Kerberos) => parts.push("Kerberos".into()),
        None if r.nego_tokens => parts.push("negoTokens".into()),
        None => {}
    }
    if r.pub_key_auth {
        parts.push("pubKeyAuth".into());
    }
    if r.auth_info {
        parts.push("authInfo (credentials)".into());
    }
    if let Some(e) = r.error_code {
        parts.push(format!("errorCode 0x{e:08X}"));
    }
    format!("CredSSP {}", parts.join(" + "))
}

/// X.224 TPDU (X.224 §13.3–13.7) with the RDP negotiation or MCS PDU inside.
fn tpkt_label(t: &Tpdu) -> String {
    match t {
        Tpdu::Request(Some(cr)) => {
            let requested = cr
                .requested
                .map(|r| format!(" ({})", x224::protocol_names(r).join(", ")))
                .unwrap_or_default();
            format!("X.224 Connection Request{requested}")
        }
        Tpdu::Request(None) => "X.224 Connection Request (malformed)".to_string(),
        Tpdu::Confirm(Some(cc)) => match cc.negotiated {
            x224::Negotiated::Failure { code, .. } => {
                format!("X.224 Connection Confirm: RDP_NEG_FAILURE {}", code.name())
            }
            x224::Negotiated::Response { selected, .. } => format!(
                "X.224 Connection Confirm (selects {})",
                x224::protocol_name(selected)
            ),
            x224::Negotiated::Absent | x224::Negotiated::Unknown { .. } => {
                "X.224 Connection Confirm (no negotiation)".to_string()
            }
        },
        Tpdu::Confirm(None) => "X.224 Connection Confirm (malformed)".to_string(),
        Tpdu::Disconnect => "X.224 Disconnect Request".to_string(),
        Tpdu::Data(Some(pdu)) => mcs_label(pdu),
        Tpdu::Data(None) => "X.224 Data".to_string(),
        Tpdu::Other => "TPKT".to_string(),
    }
}

/// MCS PDU names (T.125 §7, MS-RDPBCGR 2.2.1.3–2.2.1.9, 2.2.2.1).
fn mcs_label(pdu: &McsPdu) -> String {
    match pdu {
        McsPdu::ConnectInitial(_) => "MCS Connect Initial (GCC client data)".to_string(),
        McsPdu::ConnectResponse(r) => {
            format!("MCS Connect Response ({})", mcs::mcs_result_name(r.result))
        }
        McsPdu::ErectDomainRequest => "MCS Erect Domain Request".to_string(),
        McsPdu::AttachUserRequest => "MCS Attach User Request".to_string(),
        McsPdu::AttachUserConfirm { result, .. } => {
            format!(
                "MCS Attach User Confirm ({})",
                mcs::mcs_result_name(*result)
            )
        }
        McsPdu::ChannelJoinRequest { .. } => "MCS Channel Join Request".to_string(),
        McsPdu::ChannelJoinConfirm { result, .. } => {
            format!(
                "MCS Channel Join Confirm ({})",
                mcs::mcs_result_name(*result)
            )
        }
        McsPdu::DisconnectProviderUltimatum { reason } => format!(
            "MCS Disconnect Provider Ultimatum ({})",
            mcs::reason_name(*reason)
        ),
        McsPdu::SendDataRequest { .. } => "MCS Send Data Request".to_string(),
        McsPdu::SendDataIndication { .. } => "MCS Send Data Indication".to_string(),
        McsPdu::Other(n) => format!("MCS PDU {n}"),
    }
}

/// Folds runs (same side, same label, no other row between) and caps the sequence.
fn fold(rows: Vec<Message>) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(rows.len().min(MAX_MESSAGES + 1));
    let mut omitted = 0usize;
    let mut tail: std::collections::VecDeque<Message> = Default::default();
    let head = MAX_MESSAGES - TAIL_MESSAGES;
    let mut add =
        |m: Message, out: &mut Vec<Message>, tail: &mut std::collections::VecDeque<Message>| {
            if out.len() < head {
                out.push(m);
            } else {
                tail.push_back(m);
                if tail.len() > TAIL_MESSAGES {
                    tail.pop_front();
                    omitted += 1;
                }
            }
        };
    let mut current: Option<Message> = None;
    for m in rows {
        match current.as_mut() {
            Some(c) if c.from == m.from && c.label == m.label && foldable(&m.label) => {
                c.count += m.count;
                c.last_frame = Some(m.last_frame.unwrap_or(m.frame));
            }
            _ => {
                if let Some(c) = current.take() {
                    add(c, &mut out, &mut tail);
                }
                current = Some(m);
            }
        }
    }
    if let Some(c) = current.take() {
        add(c, &mut out, &mut tail);
    }
    if let Some(first) = tail.front_mut()
        && omitted > 0
    {
        first.omitted_before = Some(omitted);
    }
    out.extend(tail);
    out
}

/// Only repetitive units fold: a second ClientHello or Connection Request is a fact of its own.
fn foldable(label: &str) -> bool {
    matches!(
        label,
        "TLS application data"
            | "fast-path PDU"
            | "MCS Send Data Request"
            | "MCS Send Data Indication"
            | "MCS Channel Join Request"
            | "MCS Channel Join Confirm (rt-successful)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(frame: u64, from: Sender, label: &str) -> Message {
        Message {
            frame,
            last_frame: None,
            ms: 0.0,
            from,
            label: label.to_string(),
            count: 1,
            omitted_before: None,
        }
    }

    #[test]
    fn units_of_one_frame_share_a_row() {
        let out = same_frame(vec![
            row(9, Sender::Server, "TLS ServerHello"),
            row(9, Sender::Server, "TLS ChangeCipherSpec"),
            row(9, Sender::Server, "TLS application data"),
            row(9, Sender::Server, "TLS application data"),
            row(10, Sender::Client, "TLS ChangeCipherSpec"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].label,
            "TLS ServerHello, ChangeCipherSpec, application data ×2"
        );
        assert_eq!(out[1].label, "TLS ChangeCipherSpec");
    }

    #[test]
    fn runs_fold_and_long_sequences_keep_head_and_tail() {
        let mut rows = vec![row(1, Sender::Client, "TLS ClientHello")];
        for f in 2..=200 {
            let from = if f % 2 == 0 {
                Sender::Client
            } else {
                Sender::Server
            };
            rows.push(row(f, from, "TLS application data"));
        }
        rows.push(row(201, Sender::Server, "RST"));
        let out = fold(rows);
        assert_eq!(out.len(), MAX_MESSAGES);
        assert_eq!(out[0].label, "TLS ClientHello");
        assert_eq!(
            out[MAX_MESSAGES - TAIL_MESSAGES].omitted_before,
            Some(201 - 40)
        );
        assert_eq!(out.last().map(|m| m.label.as_str()), Some("RST"));

        let out = fold(vec![
            row(5, Sender::Server, "TLS application data"),
            row(6, Sender::Server, "TLS application data"),
            row(9, Sender::Server, "TLS application data"),
            row(10, Sender::Client, "RST"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].frame, out[0].last_frame, out[0].count),
            (5, Some(9), 3)
        );
    }
}
