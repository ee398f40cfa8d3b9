//! What a connection's handshake showed, as typed facts: the X.224 negotiation
//! ([`Negotiation`], MS-RDPBCGR 2.2.1.1–2.2.1.2), the TLS handshake ([`TlsFacts`], RFC 5246 /
//! RFC 8446) and the MCS/GCC exchange read in clear ([`McsFacts`], MS-RDPBCGR 2.2.1.3–2.2.1.4).
//! Each is made once, where its bytes are read (`ladder`), and read by field everywhere after;
//! the field names are those of the report (`REPORT.md` `negotiation`, `tls`, `mcs`), in the
//! order the report writes them.
//!
//! [`Decoded`] is the one pass over a connection's bytes: both streams cut into units
//! (TPKT, TLS records, fast-path PDUs, CredSSP in clear), every TPKT's TPDU decoded and the
//! TLS handshake messages sent in clear read, by the ladder and by the message sequence
//! alike.

use serde::{Deserialize, Serialize};

use crate::model::Party;
use crate::tcp::{Connection, Direction, Side};

use super::mcs::{self, McsPdu};
use super::pdu::{self, FastPath, Pdu, PduKind};
use super::tls::{self, CertificateInfo, HandshakeMessage};
use super::x224::{self, ConnectionConfirm, ConnectionRequest};

/// The X.224 Connection Request and Confirm (MS-RDPBCGR 2.2.1.1, 2.2.1.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Negotiation {
    /// `mstshash=NAME`, as the Connection Request's cookie line gives it.
    pub cookie: Option<String>,
    /// `msts=…` routing token (load balancers).
    pub routing_token: Option<String>,
    /// RDP_NEG_REQ requestedProtocols (2.2.1.1.1), named; null for a legacy request.
    pub requested: Option<Vec<String>>,
    pub requested_raw: Option<u32>,
    pub request_flags: Option<u8>,
    /// RDP_NEG_CORRELATION_INFO (2.2.1.1.2), as a GUID.
    pub correlation_id: Option<String>,
    /// RDP_NEG_RSP selectedProtocol (2.2.1.2.1), named; null with a failure.
    pub selected: Option<String>,
    pub selected_raw: Option<u32>,
    pub response_flags: Option<u8>,
    /// RDP_NEG_FAILURE failureCode (2.2.1.2.2), named.
    pub failure: Option<String>,
    pub request_frame: Option<u64>,
    pub confirm_frame: Option<u64>,
    /// What did not read as the spec says.
    pub problems: Vec<String>,
}

impl Negotiation {
    /// The user name of the `mstshash=` cookie (what the client was given, as typed), when
    /// it names one.
    pub fn cookie_user(&self) -> Option<&str> {
        self.cookie
            .as_deref()
            .and_then(|c| c.strip_prefix("mstshash="))
            .filter(|u| !u.is_empty())
    }
}

/// The TLS handshake of Enhanced RDP Security (MS-RDPBCGR 5.4.5.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// The negotiated version and cipher suite (from the ServerHello).
    pub version: Option<String>,
    pub cipher: Option<String>,
    /// The ClientHello's server_name (RFC 6066 §3).
    pub sni: Option<String>,
    pub client_hello: Option<ClientHelloFacts>,
    pub server_hello_frame: Option<u64>,
    /// The first [`MAX_ALERTS`] alert records, both ways, in the order read.
    pub alerts: Vec<Alert>,
    /// Alert records past those (a peer that floods alerts), counted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub alerts_omitted: u64,
    /// The server's leaf certificate, when sent in clear.
    pub certificate: Option<Certificate>,
    /// TLS 1.3: the certificate went encrypted (RFC 8446 §4.4.2).
    pub certificate_encrypted: bool,
    pub client_finished_frame: Option<u64>,
    pub server_finished_frame: Option<u64>,
}

/// Alert records a connection's facts keep: a handshake ends with one or two; a peer that
/// sends thousands is counted, not kept.
pub const MAX_ALERTS: usize = 32;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What the ClientHello offered (RFC 8446 §4.1.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientHelloFacts {
    pub frame: u64,
    pub version: String,
    pub supported_versions: Vec<String>,
    pub cipher_suites: usize,
}

crate::model::vocabulary! {
    /// How an alert record was read (RFC 5246 §7.2).
    AlertLevel {
        Warning = "warning",
        Fatal = "fatal",
        /// Sent after ChangeCipherSpec: level and description are not readable.
        Encrypted = "encrypted",
    }
}

/// One alert record (RFC 5246 §7.2, RFC 8446 §6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub from: Party,
    pub level: AlertLevel,
    /// The description's name (`certificate_expired`); null when encrypted.
    pub description: Option<String>,
    pub frame: u64,
}

/// The server's leaf certificate (RFC 5280), where it was sent, and whether it names what the
/// client asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    #[serde(flatten)]
    pub info: CertificateInfo,
    pub frame: u64,
    /// Whether a subject name or SAN matches the SNI; null without an SNI.
    pub matches_sni: Option<bool>,
}

crate::model::vocabulary! {
    /// The security package a CredSSP exchange ran (MS-CSSP 3.1.5).
    CredsspPackage {
        /// MS-NLMP.
        Ntlm = "NTLM",
        /// RFC 4120, in SPNEGO.
        Kerberos = "Kerberos",
    }
}

crate::model::vocabulary! {
    /// The server's Early User Authorization Result (MS-RDPBCGR 2.2.10.2).
    EarlyAuthorization {
        AccessGranted = "ACCESS_GRANTED",
        AccessDenied = "ACCESS_DENIED",
    }
}

/// A 32-bit code (an NTSTATUS, an ERRINFO) written as `0x` and eight hex digits, as the
/// report has always written them.
mod hex_code {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(c) => s.serialize_str(&format!("0x{c:08X}")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        Ok(v.and_then(|s| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok()))
    }
}

/// CredSSP read in clear or after decryption (MS-CSSP 2.2.1, `REPORT.md` `credssp`): the
/// TSRequest version, the security package, the account the client logged on as (names
/// only: nothing derived from a password is read), and the server's `errorCode`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredsspFacts {
    /// Read after decrypting TLS with a key the user gave (false: sent in clear).
    pub decrypted: bool,
    /// The highest TSRequest version either side sent.
    pub version: Option<u32>,
    /// `NTLM` or `Kerberos`.
    pub mechanism: Option<CredsspPackage>,
    /// `DOMAIN\user` from the NTLM AUTHENTICATE message.
    pub user: Option<String>,
    /// The client's workstation name from the same message.
    pub workstation: Option<String>,
    /// The server's `errorCode`, an NTSTATUS in hex (`0xC000006D`).
    #[serde(with = "hex_code")]
    pub error_code: Option<u32>,
    /// Its name (MS-ERREF 2.3).
    pub error: Option<String>,
    /// The client sent its credentials (`authInfo`): the exchange succeeded.
    pub credentials_sent: bool,
    /// HYBRID_EX: the server's Early User Authorization Result (MS-RDPBCGR 2.2.10.2),
    /// `ACCESS_GRANTED` or `ACCESS_DENIED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_user_authorization: Option<EarlyAuthorization>,
    /// The TSRequests' frames, in order.
    pub frames: Vec<u64>,
}

/// The MCS Connect Initial and Response with their GCC blocks, read in clear (Standard RDP
/// Security; MS-RDPBCGR 2.2.1.3, 2.2.1.4), named as Zeek's rdp.log names them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct McsFacts {
    pub connect_initial_frame: Option<u64>,
    pub connect_response_frame: Option<u64>,
    /// TS_UD_CS_CORE (2.2.1.3.2).
    pub client_name: Option<String>,
    pub client_build: Option<String>,
    pub client_build_raw: Option<u32>,
    pub keyboard_layout: Option<String>,
    pub desktop_width: Option<u16>,
    pub desktop_height: Option<u16>,
    pub requested_color_depth: Option<String>,
    pub client_dig_product_id: Option<String>,
    pub server_selected_protocol_echo: Option<String>,
    /// TS_UD_CS_NET (2.2.1.3.4).
    pub channels: Vec<String>,
    pub result: Option<String>,
    pub gcc_result: Option<String>,
    /// TS_UD_SC_SEC1 (2.2.1.4.3).
    pub encryption_method: Option<String>,
    pub encryption_level: Option<String>,
    pub cert_type: Option<String>,
    pub cert_count: Option<u32>,
    pub cert_permanent: Option<bool>,
    /// An X.509 chain (MS-RDPELE 2.2.1.4.2) in the order the server sent it.
    pub certificates: Vec<CertificateInfo>,
    pub problems: Vec<String>,
    /// The account the Client Info PDU names (MS-RDPBCGR 2.2.1.11.1.1), read in clear or
    /// decrypted: `DOMAIN\\user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info_user: Option<String>,
    /// The server's Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1), read in clear or decrypted:
    /// its ERRINFO code in hex, and its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "hex_code")]
    pub error_info: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info_name: Option<String>,
    /// A licensing error other than STATUS_VALID_CLIENT (MS-RDPBCGR 2.2.1.12.1.3), named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_error: Option<String>,
}

/// One X.224 TPDU read from a TPKT unit (X.224 §13), with the RDP structure inside, decoded
/// once for everything that reads the connection (the ladder and the message sequence).
#[derive(Clone, Debug, PartialEq)]
pub enum Tpdu {
    /// CR (MS-RDPBCGR 2.2.1.1); `None` when it does not read as one.
    Request(Option<ConnectionRequest>),
    /// CC (MS-RDPBCGR 2.2.1.2); `None` when it does not read as one.
    Confirm(Option<ConnectionConfirm>),
    /// DR.
    Disconnect,
    /// DT with its MCS PDU (T.125); `None` when no MCS PDU reads from it.
    Data(Option<Box<McsPdu>>),
    /// Any other TPDU code.
    Other,
}

impl Tpdu {
    /// Decodes one TPKT packet (header included).
    pub fn of(tpkt: &[u8]) -> Tpdu {
        use x224::TpduKind;
        match tpkt.get(5).map(|&c| TpduKind::of(c)) {
            Some(TpduKind::ConnectionRequest) => {
                Tpdu::Request(x224::parse_connection_request(tpkt))
            }
            Some(TpduKind::ConnectionConfirm) => {
                Tpdu::Confirm(x224::parse_connection_confirm(tpkt))
            }
            Some(TpduKind::DisconnectRequest) => Tpdu::Disconnect,
            Some(TpduKind::Data) => Tpdu::Data(mcs::parse_mcs(tpkt).map(Box::new)),
            _ => Tpdu::Other,
        }
    }
}

/// A TLS handshake message one side sent in clear (RFC 5246 §7.4, RFC 8446 §4), with the
/// units (indexes in its [`Units`]) it began and ended in: a message may span records, and a
/// record hold several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeRead {
    pub began: usize,
    pub completed: usize,
    pub message: HandshakeMessage,
}

/// One direction's units and, for each TPKT unit, its TPDU (the same index); and the TLS
/// handshake messages it sent in clear.
#[derive(Clone, Debug, Default)]
pub struct Units {
    pub pdus: Vec<Pdu>,
    tpdus: Vec<Option<Tpdu>>,
    /// In stream order, up to the side's ChangeCipherSpec (and, from a server, up to a
    /// ServerHello choosing TLS 1.3: what follows it is encrypted).
    pub handshake: Vec<HandshakeRead>,
}

impl Units {
    /// Cuts one direction (`fast_path` as in [`pdu::split`]) and decodes its TPKTs and its
    /// TLS handshake in clear. `first`, when given, is the TPDU of a TPKT at the start of the
    /// stream, already decoded.
    fn cut(dir: &Direction, side: Side, fast_path: FastPath, first: Option<Tpdu>) -> Units {
        let pdus = pdu::split(dir, side, fast_path);
        let mut first = first;
        let tpdus = pdus
            .iter()
            .map(|p| {
                (p.kind == PduKind::Tpkt).then(|| match first.take() {
                    Some(t) if p.offset == 0 => t,
                    _ => Tpdu::of(p.bytes(dir)),
                })
            })
            .collect();
        let handshake = read_handshake(dir, side, &pdus);
        Units {
            pdus,
            tpdus,
            handshake,
        }
    }

    /// The TPDU of the unit at `i`, when it is a TPKT unit.
    pub fn tpdu(&self, i: usize) -> Option<&Tpdu> {
        self.tpdus.get(i)?.as_ref()
    }

    /// The units with their TPDUs, in stream order.
    pub fn iter(&self) -> impl Iterator<Item = (&Pdu, Option<&Tpdu>)> {
        self.pdus.iter().zip(self.tpdus.iter().map(Option::as_ref))
    }

    /// Whether this side's handshake holds a ServerHello choosing TLS 1.3.
    pub fn chose_tls13(&self) -> bool {
        self.handshake.iter().any(
            |h| matches!(&h.message, HandshakeMessage::ServerHello(s) if s.version_raw == TLS13),
        )
    }
}

/// `ProtocolVersion` of TLS 1.3 in a ServerHello's supported_versions (RFC 8446 §4.2.1).
const TLS13: u16 = 0x0304;

/// The handshake messages of one side's clear handshake records, read as one byte stream
/// (a message may span records).
fn read_handshake(dir: &Direction, side: Side, pdus: &[Pdu]) -> Vec<HandshakeRead> {
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    // Where buf[0] sits in the side's handshake stream, and where each record began in it.
    let mut base = 0usize;
    let mut record_starts: Vec<(usize, usize)> = Vec::new();
    for (i, p) in pdus.iter().enumerate() {
        match p.kind {
            PduKind::Tls(tls::content::HANDSHAKE) => {
                record_starts.push((base + buf.len(), i));
                buf.extend_from_slice(p.bytes(dir).get(5..).unwrap_or(&[]));
                let (messages, used) = tls::parse_handshake_stream(&buf);
                let mut encrypted_next = false;
                for (offset, _, message) in messages {
                    let at = base + offset;
                    let began = record_starts
                        .iter()
                        .rev()
                        .find(|(start, _)| *start <= at)
                        .map_or(i, |r| r.1);
                    encrypted_next |= side == Side::Server
                        && matches!(&message, HandshakeMessage::ServerHello(s) if s.version_raw == TLS13);
                    out.push(HandshakeRead {
                        began,
                        completed: i,
                        message,
                    });
                }
                buf.drain(..used);
                base += used;
                if encrypted_next {
                    break;
                }
            }
            PduKind::Tls(tls::content::CHANGE_CIPHER_SPEC) => break,
            _ => {}
        }
    }
    out
}

/// A connection's streams cut into units and their TPKTs decoded: the one pass over its bytes
/// that the ladder and the message sequence both read.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    pub client: Units,
    pub server: Units,
}

impl Decoded {
    /// The units of a decrypted connection's plaintext streams (`handshake::decrypt`):
    /// X.224, then CredSSP's DER units, MCS's TPKTs and fast-path PDUs as in clear.
    pub fn of_plaintext(conn: &Connection) -> Decoded {
        Decoded {
            client: Units::cut(&conn.c2s, Side::Client, FastPath::AfterMcs, None),
            server: Units::cut(&conn.s2c, Side::Server, FastPath::AfterMcs, None),
        }
    }

    pub fn of(conn: &Connection) -> Decoded {
        // The server's first TPKT, a Connection Confirm selecting Standard RDP Security,
        // allows fast-path PDUs from the start (MS-RDPBCGR 2.2.9.1.2).
        let first = x224::tpkt_len(&conn.s2c.stream)
            .and_then(|len| conn.s2c.stream.get(..len))
            .map(Tpdu::of);
        let fast_path = match &first {
            Some(Tpdu::Confirm(Some(cc))) if selects_standard_security(cc) => FastPath::Allowed,
            _ => FastPath::AfterCredssp,
        };
        let mut decoded = Decoded {
            client: Units::cut(&conn.c2s, Side::Client, fast_path, None),
            server: Units::cut(&conn.s2c, Side::Server, fast_path, first),
        };
        // A capture begun during a Standard RDP Security session: no Connection Confirm to
        // allow fast-path PDUs, but a direction whose bytes tile exactly into them is one.
        if conn.syn.is_none() && conn.synack.is_none() && fast_path == FastPath::AfterCredssp {
            let both = [
                (&mut decoded.client, &conn.c2s, Side::Client),
                (&mut decoded.server, &conn.s2c, Side::Server),
            ];
            for (units, dir, side) in both {
                if units
                    .pdus
                    .first()
                    .is_some_and(|p| p.kind == PduKind::Unknown)
                {
                    let as_fast_path = Units::cut(dir, side, FastPath::Allowed, None);
                    if fast_path_throughout(&as_fast_path.pdus) {
                        *units = as_fast_path;
                    }
                }
            }
        }
        decoded
    }
}

/// Whether a direction's units are fast-path PDUs from its first byte to its end (the last
/// may be cut by the capture), at least two whole ones: a single header can look like
/// anything.
fn fast_path_throughout(pdus: &[Pdu]) -> bool {
    let whole = pdus
        .iter()
        .filter(|p| p.kind == PduKind::FastPath && p.complete)
        .count();
    whole >= 2
        && pdus
            .iter()
            .enumerate()
            .all(|(i, p)| p.kind == PduKind::FastPath && (p.complete || i + 1 == pdus.len()))
}

/// Whether a Connection Confirm selects Standard RDP Security (RDP_NEG_RSP with PROTOCOL_RDP,
/// or no negotiation data), so that later units may be fast-path PDUs.
fn selects_standard_security(cc: &ConnectionConfirm) -> bool {
    matches!(
        cc.negotiated,
        x224::Negotiated::Response { selected: 0, .. }
            | x224::Negotiated::Absent
            | x224::Negotiated::Unknown { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direction whose stream is `records`, one segment (frame) per record from frame 1.
    fn direction(records: &[&[u8]]) -> Direction {
        let mut d = Direction::default();
        for (i, r) in records.iter().enumerate() {
            d.segments.push(crate::tcp::Segment {
                offset: d.stream.len() as u32,
                len: r.len() as u32,
                frame: i as u64 + 1,
                ts_ns: 0,
            });
            d.stream.extend_from_slice(r);
        }
        d
    }

    #[test]
    fn handshake_messages_are_read_across_records_up_to_the_change_cipher_spec() {
        // Record 0: ServerHello (TLS 1.2 body too short to decode) and the first half of a
        // Certificate; record 1: its second half and ServerHelloDone; a ChangeCipherSpec;
        // then a handshake record after it, encrypted, that is not read.
        let first: &[u8] = &[22, 3, 3, 0, 10, 2, 0, 0, 2, 3, 3, 11, 0, 0, 2];
        let second: &[u8] = &[22, 3, 3, 0, 6, 0, 0, 14, 0, 0, 0];
        let ccs: &[u8] = &[20, 3, 3, 0, 1, 1];
        let after: &[u8] = &[22, 3, 3, 0, 4, 14, 0, 0, 0];
        let d = direction(&[first, second, ccs, after]);
        let units = Units::cut(&d, Side::Server, FastPath::AfterCredssp, None);
        let read: Vec<(usize, usize, &str)> = units
            .handshake
            .iter()
            .map(|h| (h.began, h.completed, h.message.name()))
            .collect();
        assert_eq!(
            read,
            [
                (0, 0, "ServerHello"),
                (0, 1, "Certificate"),
                (1, 1, "ServerHelloDone"),
            ]
        );
        assert!(!units.chose_tls13());
    }

    #[test]
    fn fast_path_units_follow_credssp_in_clear_only() {
        // A TSRequest (DER), then a TPKT, then a fast-path PDU (action 0, length 4).
        // TSRequest { version [0] INTEGER 6 } (MS-CSSP 2.2.1).
        let der: &[u8] = &[0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x06];
        let tpkt: &[u8] = &[3, 0, 0, 7, 2, 0xf0, 0x80];
        let fast: &[u8] = &[0x00, 0x04, 0xaa, 0xbb];
        let d = direction(&[der, tpkt, fast]);
        let kinds = |mode| -> Vec<PduKind> {
            Units::cut(&d, Side::Client, mode, None)
                .pdus
                .iter()
                .map(|p| p.kind)
                .collect()
        };
        assert_eq!(
            kinds(FastPath::AfterCredssp),
            [PduKind::Der, PduKind::Tpkt, PduKind::FastPath]
        );
        // Without CredSSP before it, the same bytes are not a fast-path PDU.
        let d = direction(&[tpkt, fast]);
        let units = Units::cut(&d, Side::Client, FastPath::AfterCredssp, None);
        assert_eq!(units.pdus[1].kind, PduKind::Unknown);
    }

    #[test]
    fn tpdus_are_read_by_their_code() {
        // mstsc's Connection Request (SSL|HYBRID|HYBRID_EX) and a Confirm selecting HYBRID_EX.
        let cr = b"\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n\x01\x00\x08\x00\x0b\x00\x00\x00";
        let cc = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x08\x00\x00\x00";
        match Tpdu::of(cr) {
            Tpdu::Request(Some(r)) => assert_eq!(r.requested, Some(0x0b)),
            other => panic!("{other:?}"),
        }
        match Tpdu::of(cc) {
            Tpdu::Confirm(Some(c)) => assert_eq!(c.selected(), Some(x224::protocol::HYBRID_EX)),
            other => panic!("{other:?}"),
        }
        // A Disconnect Request, a Data TPDU too short for MCS, another code.
        assert_eq!(
            Tpdu::of(b"\x03\x00\x00\x0b\x06\x80\x00\x00\x00\x00\x00"),
            Tpdu::Disconnect
        );
        assert_eq!(Tpdu::of(b"\x03\x00\x00\x07\x02\xf0\x80"), Tpdu::Data(None));
        assert_eq!(Tpdu::of(b"\x03\x00\x00\x07\x02\x70\x80"), Tpdu::Other);
        assert_eq!(Tpdu::of(b"\x03\x00"), Tpdu::Other);
        // A Request with nothing after its code reads as a legacy request (no RDP_NEG_REQ).
        match Tpdu::of(b"\x03\x00\x00\x06\x01\xe0") {
            Tpdu::Request(Some(r)) => assert_eq!((r.requested, r.cookie), (None, None)),
            other => panic!("{other:?}"),
        }
    }
}
