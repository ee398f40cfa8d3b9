//! TPKT (RFC 1006 §6) and X.224 (ITU-T X.224 §13) as RDP uses them for its connection
//! request and confirm, with the RDP negotiation structures of MS-RDPBCGR 2.2.1.1 and
//! 2.2.1.2.
//!
//! Written by hand because an analyzer must be lenient where a client or server is not:
//! every length is checked, unknown values are kept raw (`Unknown(n)`), a field that does not
//! fit is reported and the rest still read. Nothing here can panic on any input.

use serde::Serialize;

/// TPKT header length (RFC 1006 §6).
pub const TPKT_HEADER: usize = 4;

/// Reads the length of the TPKT packet at the start of `b`, if `b` starts with a TPKT header
/// (version 3). The length includes the header.
pub fn tpkt_len(b: &[u8]) -> Option<usize> {
    if b.len() < TPKT_HEADER || b[0] != 3 {
        return None;
    }
    let len = u16::from_be_bytes([b[2], b[3]]) as usize;
    (len > TPKT_HEADER).then_some(len)
}

/// X.224 TPDU codes (X.224 §13.1, high nibble of the second octet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TpduKind {
    /// CR, 0xE0.
    ConnectionRequest,
    /// CC, 0xD0.
    ConnectionConfirm,
    /// DR, 0x80.
    DisconnectRequest,
    /// DT, 0xF0: carries MCS.
    Data,
    /// ER, 0x70.
    Error,
    Unknown(u8),
}

impl TpduKind {
    pub fn of(code: u8) -> TpduKind {
        match code & 0xf0 {
            0xe0 => TpduKind::ConnectionRequest,
            0xd0 => TpduKind::ConnectionConfirm,
            0x80 => TpduKind::DisconnectRequest,
            0xf0 => TpduKind::Data,
            0x70 => TpduKind::Error,
            _ => TpduKind::Unknown(code),
        }
    }
}

/// Security protocols of RDP_NEG_REQ / RDP_NEG_RSP (MS-RDPBCGR 2.2.1.1.1).
pub mod protocol {
    pub const RDP: u32 = 0x0000_0000;
    pub const SSL: u32 = 0x0000_0001;
    pub const HYBRID: u32 = 0x0000_0002;
    pub const RDSTLS: u32 = 0x0000_0004;
    pub const HYBRID_EX: u32 = 0x0000_0008;
    pub const RDSAAD: u32 = 0x0000_0010;
}

/// Names of the bits set in `requestedProtocols` (unknown bits as hex). An empty set means
/// Standard RDP Security only.
pub fn protocol_names(flags: u32) -> Vec<String> {
    let mut out = Vec::new();
    if flags == 0 {
        out.push("RDP".to_string());
        return out;
    }
    for bit in 0..32 {
        let v = 1u32 << bit;
        if flags & v != 0 {
            out.push(protocol_name(v));
        }
    }
    out
}

/// Name of one selected protocol value (MS-RDPBCGR 2.2.1.2.1).
pub fn protocol_name(v: u32) -> String {
    match v {
        protocol::RDP => "RDP".into(),
        protocol::SSL => "SSL".into(),
        protocol::HYBRID => "HYBRID".into(),
        protocol::RDSTLS => "RDSTLS".into(),
        protocol::HYBRID_EX => "HYBRID_EX".into(),
        protocol::RDSAAD => "RDSAAD".into(),
        other => format!("0x{other:08x}"),
    }
}

/// RDP_NEG_FAILURE failureCode (MS-RDPBCGR 2.2.1.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCode {
    SslRequiredByServer,
    SslNotAllowedByServer,
    SslCertNotOnServer,
    InconsistentFlags,
    HybridRequiredByServer,
    SslWithUserAuthRequiredByServer,
    Unknown(u32),
}

impl FailureCode {
    pub fn of(v: u32) -> FailureCode {
        match v {
            1 => FailureCode::SslRequiredByServer,
            2 => FailureCode::SslNotAllowedByServer,
            3 => FailureCode::SslCertNotOnServer,
            4 => FailureCode::InconsistentFlags,
            5 => FailureCode::HybridRequiredByServer,
            6 => FailureCode::SslWithUserAuthRequiredByServer,
            other => FailureCode::Unknown(other),
        }
    }

    /// The raw value.
    pub fn value(self) -> u32 {
        match self {
            FailureCode::SslRequiredByServer => 1,
            FailureCode::SslNotAllowedByServer => 2,
            FailureCode::SslCertNotOnServer => 3,
            FailureCode::InconsistentFlags => 4,
            FailureCode::HybridRequiredByServer => 5,
            FailureCode::SslWithUserAuthRequiredByServer => 6,
            FailureCode::Unknown(v) => v,
        }
    }

    /// Its name (`model::codes::NEG_FAILURES`), or the number in hex.
    pub fn name(self) -> String {
        match crate::model::codes::neg_failure(self.value()) {
            Some((name, _)) => name.to_string(),
            None => format!("0x{:08x}", self.value()),
        }
    }

    /// What the code means for the person reading the report.
    pub fn meaning(self) -> &'static str {
        crate::model::codes::neg_failure(self.value())
            .map_or("an unknown negotiation failure code", |(_, m)| m)
    }
}

/// X.224 Connection Request with its RDP fields (MS-RDPBCGR 2.2.1.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// `mstshash=NAME` of the `Cookie:` line, without the `Cookie: ` prefix.
    pub cookie: Option<String>,
    /// `msts=...` routing token (load balancers), without the `Cookie: ` prefix.
    pub routing_token: Option<String>,
    /// RDP_NEG_REQ (2.2.1.1.1): flags and requestedProtocols. None for a legacy request.
    pub neg_flags: Option<u8>,
    pub requested: Option<u32>,
    /// RDP_NEG_CORRELATION_INFO correlationId (2.2.1.1.2), as a GUID string.
    pub correlation_id: Option<String>,
    /// Problems met while reading (lengths that did not fit…).
    pub problems: Vec<String>,
}

/// X.224 Connection Confirm with its RDP negotiation data (MS-RDPBCGR 2.2.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionConfirm {
    pub negotiated: Negotiated,
    /// Problems met while reading (lengths that did not fit…).
    pub problems: Vec<String>,
}

/// What a Connection Confirm carries after its X.224 header: one of the two negotiation
/// structures, none, or one of a type the spec does not define (kept as read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Negotiated {
    /// No negotiation data (or too little to read): a legacy server, Standard RDP Security.
    #[default]
    Absent,
    /// RDP_NEG_RSP (2.2.1.2.1): the protocol the server selected.
    Response { flags: u8, selected: u32 },
    /// RDP_NEG_FAILURE (2.2.1.2.2).
    Failure { flags: u8, code: FailureCode },
    /// Negotiation data of an undefined type.
    Unknown { kind: u8, flags: u8, value: u32 },
}

impl ConnectionConfirm {
    /// RDP_NEG_RSP's selectedProtocol.
    pub fn selected(&self) -> Option<u32> {
        match self.negotiated {
            Negotiated::Response { selected, .. } => Some(selected),
            _ => None,
        }
    }

    /// RDP_NEG_FAILURE's failureCode.
    pub fn failure(&self) -> Option<FailureCode> {
        match self.negotiated {
            Negotiated::Failure { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The negotiation structure's flags, when there is one.
    pub fn flags(&self) -> Option<u8> {
        match self.negotiated {
            Negotiated::Absent => None,
            Negotiated::Response { flags, .. }
            | Negotiated::Failure { flags, .. }
            | Negotiated::Unknown { flags, .. } => Some(flags),
        }
    }
}

/// Parses an X.224 Connection Request from one TPKT packet (header included).
pub fn parse_connection_request(tpkt: &[u8]) -> Option<ConnectionRequest> {
    let li = *tpkt.get(4)? as usize;
    if TpduKind::of(*tpkt.get(5)?) != TpduKind::ConnectionRequest {
        return None;
    }
    let mut cr = ConnectionRequest::default();
    // Variable part after the 7-byte fixed header (LI counts the header less itself).
    let end = (5 + li).min(tpkt.len());
    if 5 + li > tpkt.len() {
        cr.problems.push(format!(
            "X.224 length indicator {li} runs past the TPKT packet"
        ));
    }
    let mut rest = tpkt.get(11..end).unwrap_or(&[]);
    // Cookie or routing token: "Cookie: ...\r\n".
    if rest.starts_with(b"Cookie: ") {
        let line_end = rest.windows(2).position(|w| w == b"\r\n");
        let (line, after) = match line_end {
            Some(p) => (&rest[8..p], &rest[p + 2..]),
            None => {
                cr.problems
                    .push("cookie without its CR LF terminator".into());
                (&rest[8..], &[][..])
            }
        };
        let text = String::from_utf8_lossy(line).into_owned();
        if text.starts_with("msts=") {
            cr.routing_token = Some(text);
        } else {
            cr.cookie = Some(text);
        }
        rest = after;
    }
    if let Some(&1) = rest.first() {
        if rest.len() >= 8 {
            let len = u16::from_le_bytes([rest[2], rest[3]]);
            if len != 8 {
                cr.problems
                    .push(format!("RDP_NEG_REQ length field is {len}, not 8"));
            }
            cr.neg_flags = Some(rest[1]);
            cr.requested = Some(u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]));
            let after = &rest[8..];
            if rest[1] & 0x08 != 0 {
                match after.get(..36) {
                    Some(ci) if ci[0] == 6 => cr.correlation_id = Some(guid(&ci[4..20])),
                    _ => cr
                        .problems
                        .push("correlation info flagged but absent".into()),
                }
            }
        } else {
            cr.problems
                .push(format!("RDP_NEG_REQ cut short ({} of 8 bytes)", rest.len()));
        }
    }
    Some(cr)
}

/// Parses an X.224 Connection Confirm from one TPKT packet (header included).
pub fn parse_connection_confirm(tpkt: &[u8]) -> Option<ConnectionConfirm> {
    let li = *tpkt.get(4)? as usize;
    if TpduKind::of(*tpkt.get(5)?) != TpduKind::ConnectionConfirm {
        return None;
    }
    let mut cc = ConnectionConfirm::default();
    if 5 + li > tpkt.len() {
        cc.problems.push(format!(
            "X.224 length indicator {li} runs past the TPKT packet"
        ));
    }
    let rest = tpkt.get(11..).unwrap_or(&[]);
    if rest.is_empty() {
        return Some(cc);
    }
    if rest.len() < 8 {
        cc.problems.push(format!(
            "negotiation data cut short ({} of 8 bytes)",
            rest.len()
        ));
        return Some(cc);
    }
    let kind = rest[0];
    let len = u16::from_le_bytes([rest[2], rest[3]]);
    if len != 8 {
        // Zeek calls this an "&enforce violation"; the value that follows is still read.
        cc.problems
            .push(format!("negotiation data length field is {len}, not 8"));
    }
    let value = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    let flags = rest[1];
    cc.negotiated = match kind {
        2 => Negotiated::Response {
            flags,
            selected: value,
        },
        3 => Negotiated::Failure {
            flags,
            code: FailureCode::of(value),
        },
        other => {
            cc.problems
                .push(format!("unknown negotiation data type {other}"));
            Negotiated::Unknown {
                kind: other,
                flags,
                value,
            }
        }
    };
    Some(cc)
}

fn guid(b: &[u8]) -> String {
    if b.len() < 16 {
        return String::new();
    }
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mstsc's request: cookie, RDP_NEG_REQ with SSL|HYBRID|HYBRID_EX (0x0b).
    const CR: &[u8] = b"\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n\x01\x00\x08\x00\x0b\x00\x00\x00";

    #[test]
    fn reads_a_connection_request() {
        assert_eq!(tpkt_len(CR), Some(43));
        assert_eq!(CR.len(), 43);
        let cr = parse_connection_request(CR).unwrap();
        assert_eq!(cr.cookie.as_deref(), Some("mstshash=alice"));
        assert_eq!(cr.requested, Some(0x0b));
        assert_eq!(cr.neg_flags, Some(0));
        assert!(cr.problems.is_empty(), "{:?}", cr.problems);
        assert_eq!(protocol_names(0x0b), vec!["SSL", "HYBRID", "HYBRID_EX"]);
        assert_eq!(protocol_names(0), vec!["RDP"]);
    }

    #[test]
    fn reads_confirms_and_failures() {
        let rsp = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x08\x00\x00\x00";
        let cc = parse_connection_confirm(rsp).unwrap();
        assert_eq!(
            cc.negotiated,
            Negotiated::Response {
                flags: 0x1f,
                selected: protocol::HYBRID_EX
            }
        );
        let fail = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x03\x00\x08\x00\x05\x00\x00\x00";
        let cc = parse_connection_confirm(fail).unwrap();
        assert_eq!(
            cc.negotiated,
            Negotiated::Failure {
                flags: 0,
                code: FailureCode::HybridRequiredByServer
            }
        );
        assert_eq!(FailureCode::of(5).name(), "HYBRID_REQUIRED_BY_SERVER");
        // Legacy confirm without negotiation data: Standard RDP Security.
        let legacy = b"\x03\x00\x00\x0b\x06\xd0\x00\x00\x12\x34\x00";
        let cc = parse_connection_confirm(legacy).unwrap();
        assert_eq!(cc.negotiated, Negotiated::Absent);
        // A type the spec does not define is kept as read, with a problem.
        let odd = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x07\x01\x08\x00\x09\x00\x00\x00";
        let cc = parse_connection_confirm(odd).unwrap();
        assert_eq!(
            cc.negotiated,
            Negotiated::Unknown {
                kind: 7,
                flags: 1,
                value: 9
            }
        );
        assert_eq!(cc.problems, ["unknown negotiation data type 7"]);
    }

    #[test]
    fn never_panics_on_cut_input() {
        for n in 0..CR.len() {
            let _ = parse_connection_request(&CR[..n]);
            let _ = parse_connection_confirm(&CR[..n]);
            let _ = tpkt_len(&CR[..n]);
        }
    }
}
