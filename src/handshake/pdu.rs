//! Cutting a reassembled direction into protocol data units — TPKT packets (RFC 1006),
//! TLS records (RFC 8446 §5.1) and RDP fast-path PDUs (MS-RDPBCGR 2.2.9.1.2) — each with the
//! frames that carried its first and last byte, so every fact points at a frame to open.

use crate::tcp::{Direction, Side};

use super::{tls, x224};

/// What a unit of a stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduKind {
    /// A TPKT packet (X.224 inside).
    Tpkt,
    /// A TLS record and its content type.
    Tls(u8),
    /// An RDP fast-path PDU (Standard RDP Security sessions).
    FastPath,
    /// A DER SEQUENCE: a CredSSP TSRequest in clear.
    Der,
    /// Bytes that frame as none of these; the rest of the stream is not cut further.
    Unknown,
}

/// One unit of one direction's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pdu {
    pub side: Side,
    pub kind: PduKind,
    /// Offset in the direction's kept stream.
    pub offset: u32,
    pub len: u32,
    pub first_frame: u64,
    /// The frame that completed it.
    pub last_frame: u64,
    /// Time of the frame that completed it.
    pub ts_ns: i64,
    /// Time of the frame that carried its first byte.
    pub first_ts_ns: i64,
    /// False when the stream ends (capture end, or the kept-bytes cap) inside it.
    pub complete: bool,
    /// True when part of it was never captured (zero-filled).
    pub has_hole: bool,
}

impl Pdu {
    pub fn bytes<'a>(&self, dir: &'a Direction) -> &'a [u8] {
        let start = self.offset as usize;
        let end = (start + self.len as usize).min(dir.stream.len());
        dir.stream.get(start..end).unwrap_or(&[])
    }

    /// TLS payload length (record length less its 5-byte header).
    pub fn tls_payload_len(&self) -> u32 {
        self.len.saturating_sub(5)
    }

    /// A whole TLS application-data record of `payload` bytes from `side`, in one frame at
    /// `ms` milliseconds: what the CredSSP and session tests build exchanges from.
    #[cfg(test)]
    pub(crate) fn sealed_record(side: Side, frame: u64, ms: i64, payload: u32) -> Pdu {
        Pdu {
            side,
            kind: PduKind::Tls(tls::content::APPLICATION_DATA),
            offset: 0,
            len: payload + 5,
            first_frame: frame,
            last_frame: frame,
            ts_ns: ms * 1_000_000,
            first_ts_ns: ms * 1_000_000,
            complete: true,
            has_hole: false,
        }
    }
}

/// Where a stream may carry fast-path PDUs (MS-RDPBCGR 2.2.9.1.2), which exist only under
/// Standard RDP Security: a fast-path header can look like anything, a DER SEQUENCE's
/// included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPath {
    /// Standard RDP Security was selected: from the start.
    Allowed,
    /// After CredSSP in clear (DER units, then a TPKT: MS-CSSP ended and MCS began, in clear
    /// behind a TLS-terminating gateway or decrypted); never in a stream without them.
    AfterCredssp,
    /// A decrypted TLS stream (`handshake::decrypt`): after its second TPKT, the first past
    /// the X.224 exchange being MCS's (with CredSSP's DER units before it under NLA).
    AfterMcs,
}

/// Cuts one direction's stream, fast-path PDUs allowed where `fast_path` says.
pub fn split(dir: &Direction, side: Side, fast_path: FastPath) -> Vec<Pdu> {
    let s = &dir.stream;
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut credssp_seen = false;
    let mut tpkts = 0usize;
    let mut fast_path_now = fast_path == FastPath::Allowed;
    while at < s.len() {
        let rest = &s[at..];
        let (kind, len) = if let Some(l) = tls::record_len(rest) {
            (PduKind::Tls(rest[0]), l)
        } else if let Some(l) = x224::tpkt_len(rest) {
            (PduKind::Tpkt, l)
        } else if let Some(l) = fast_path_len(rest).filter(|_| fast_path_now) {
            (PduKind::FastPath, l)
        } else if let Some(l) = super::credssp::der_sequence_len(rest).filter(|_| !fast_path_now) {
            (PduKind::Der, l)
        } else {
            (PduKind::Unknown, rest.len())
        };
        let end = at + len;
        let complete = end <= s.len();
        let last_byte = end.min(s.len()).saturating_sub(1);
        let (first_frame, first_ts_ns) = frame_at(dir, at);
        let (last_frame, ts_ns) = frame_at(dir, last_byte);
        let has_hole = dir
            .stream_holes
            .iter()
            .any(|&(o, l)| (o as usize) < end && at < (o + l) as usize);
        out.push(Pdu {
            side,
            kind,
            offset: at as u32,
            len: len as u32,
            first_frame,
            last_frame,
            ts_ns,
            first_ts_ns,
            complete,
            has_hole,
        });
        match kind {
            PduKind::Unknown => break,
            PduKind::Der => credssp_seen = true,
            PduKind::Tpkt if credssp_seen => fast_path_now = true,
            PduKind::Tpkt if fast_path == FastPath::AfterMcs => {
                tpkts += 1;
                fast_path_now |= tpkts >= 2;
            }
            _ => {}
        }
        at = end;
    }
    out
}

/// Fast-path PDU length (MS-RDPBCGR 2.2.9.1.2: action 0 in the low two bits, then a one- or
/// two-byte length).
fn fast_path_len(b: &[u8]) -> Option<usize> {
    let h = *b.first()?;
    if h & 0x03 != 0 {
        return None;
    }
    let l1 = *b.get(1)?;
    let len = if l1 & 0x80 != 0 {
        (((l1 & 0x7f) as usize) << 8) | *b.get(2)? as usize
    } else {
        l1 as usize
    };
    (len >= 3).then_some(len)
}

/// The frame (and its time) that carried stream offset `off`.
pub fn frame_at(dir: &Direction, off: usize) -> (u64, i64) {
    let segs = &dir.segments;
    let i = segs.partition_point(|s| (s.offset as usize + s.len as usize) <= off);
    match segs.get(i).or_else(|| segs.last()) {
        Some(s) => (s.frame, s.ts_ns),
        None => (0, 0),
    }
}
