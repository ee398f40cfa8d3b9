//! CredSSP TSRequest (MS-CSSP 2.2.1) when it can be read in clear — a capture taken behind a
//! TLS-terminating gateway, or a decrypted one — with the NTSTATUS of its `errorCode`
//! named (MS-ERREF 2.3; `model::codes::STATUS_CODES`, the table of `reference/codes.md` §6).
//!
//! Written by hand: only the outer DER structure is needed (which fields are present, the
//! version and the error code), and it must never fail on a cut or odd message.

use serde::Serialize;

/// What a TSRequest carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TsRequest {
    pub version: Option<u32>,
    /// SPNEGO/NTLM/Kerberos tokens (`[1] negoTokens`).
    pub nego_tokens: bool,
    /// The delegated credentials (`[2] authInfo`): the client's last message of a successful
    /// exchange.
    pub auth_info: bool,
    /// `[3] pubKeyAuth`.
    pub pub_key_auth: bool,
    /// `[4] errorCode`: an NTSTATUS (versions 3 and later).
    pub error_code: Option<u32>,
    /// `[5] clientNonce` (versions 5 and later).
    pub client_nonce: bool,
    /// The security package's token inside `negoTokens`, when it is one this reads.
    pub token: Option<AuthToken>,
}

/// The SPNEGO token a TSRequest carries (MS-CSSP 2.2.1.1), as far as CredSSP's outcome needs:
/// which package, and for NTLM which message with its names (MS-NLMP 2.2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AuthToken {
    /// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
    NtlmNegotiate,
    /// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) and the server's target name.
    NtlmChallenge { target: Option<String> },
    /// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): the names the client logs on with. The
    /// responses (and so anything derived from the password) are never read.
    NtlmAuthenticate {
        domain: String,
        user: String,
        workstation: String,
    },
    /// A Kerberos token (the krb5 mechanism OID, RFC 4121 §4.1; an AP-REQ or AP-REP).
    Kerberos,
}

impl AuthToken {
    /// The security package the token belongs to.
    pub fn mechanism(&self) -> super::facts::CredsspPackage {
        match self {
            AuthToken::Kerberos => super::facts::CredsspPackage::Kerberos,
            _ => super::facts::CredsspPackage::Ntlm,
        }
    }
}

/// The krb5 mechanism OID's DER content (1.2.840.113554.1.2.2) and Microsoft's variant
/// (1.2.840.48018.1.2.2), as SPNEGO and the GSS-API token header carry them.
const KRB5_OIDS: [&[u8]; 2] = [
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02],
    &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02],
];

/// Reads the token inside a `negoTokens` field: an NTLM message wherever its signature
/// stands (raw or wrapped in SPNEGO), else Kerberos by its OID.
fn auth_token(b: &[u8]) -> Option<AuthToken> {
    const SIGNATURE: &[u8] = b"NTLMSSP\0";
    if let Some(at) = b.windows(SIGNATURE.len()).position(|w| w == SIGNATURE) {
        return ntlm(&b[at..]);
    }
    KRB5_OIDS
        .iter()
        .any(|oid| b.windows(oid.len()).any(|w| w == *oid))
        .then_some(AuthToken::Kerberos)
}

/// An NTLM message (MS-NLMP 2.2.1), from its signature on.
fn ntlm(m: &[u8]) -> Option<AuthToken> {
    let u16_at = |at: usize| Some(u16::from_le_bytes([*m.get(at)?, *m.get(at + 1)?]));
    let u32_at = |at: usize| {
        Some(u32::from_le_bytes([
            *m.get(at)?,
            *m.get(at + 1)?,
            *m.get(at + 2)?,
            *m.get(at + 3)?,
        ]))
    };
    // A field: its length and offset in the message (MS-NLMP 2.2.2.10 and the like).
    let field = |at: usize, unicode: bool| -> Option<String> {
        let len = u16_at(at)? as usize;
        let off = u32_at(at + 4)? as usize;
        let raw = m.get(off..off.checked_add(len)?)?;
        Some(if unicode {
            super::mcs::utf16z(raw)
        } else {
            String::from_utf8_lossy(raw).into_owned()
        })
    };
    match u32_at(8)? {
        1 => Some(AuthToken::NtlmNegotiate),
        2 => {
            let unicode = u32_at(20).is_some_and(|f| f & 1 != 0);
            Some(AuthToken::NtlmChallenge {
                target: field(12, unicode).filter(|t| !t.is_empty()),
            })
        }
        3 => {
            // NTLMSSP_NEGOTIATE_UNICODE (MS-NLMP 2.2.2.5) in NegotiateFlags at offset 60.
            let unicode = u32_at(60).is_none_or(|f| f & 1 != 0);
            Some(AuthToken::NtlmAuthenticate {
                domain: field(28, unicode).unwrap_or_default(),
                user: field(36, unicode).unwrap_or_default(),
                workstation: field(44, unicode).unwrap_or_default(),
            })
        }
        _ => None,
    }
}

/// Reads a DER length at `b[at..]`; returns (length, bytes used).
fn der_length(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *b.get(at)?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(at + 1 + i)? as usize;
    }
    Some((len, 1 + n))
}

/// Total length of the DER SEQUENCE at the start of `b` (tag and length included), when `b`
/// starts with one of plausible size.
pub fn der_sequence_len(b: &[u8]) -> Option<usize> {
    if *b.first()? != 0x30 {
        return None;
    }
    let (len, used) = der_length(b, 1)?;
    let total = 1 + used + len;
    (len >= 5 && total <= 1 << 20).then_some(total)
}

/// A DER INTEGER's value (up to 32 bits, two's complement bytes taken as unsigned, as
/// NTSTATUS values are written).
fn der_u32(b: &[u8]) -> Option<u32> {
    if b.first()? != &0x02 {
        return None;
    }
    let (len, used) = der_length(b, 1)?;
    let v = b.get(1 + used..1 + used + len)?;
    let v = if v.len() == 5 && v[0] == 0 {
        &v[1..]
    } else {
        v
    };
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    let mut out = if v[0] & 0x80 != 0 { u32::MAX } else { 0 };
    for &x in v {
        out = (out << 8) | x as u32;
    }
    Some(out)
}

/// Decodes a TSRequest (MS-CSSP 2.2.1): `SEQUENCE { version [0], negoTokens [1], authInfo [2],
/// pubKeyAuth [3], errorCode [4], clientNonce [5] }`.
pub fn parse_ts_request(b: &[u8]) -> Option<TsRequest> {
    if *b.first()? != 0x30 {
        return None;
    }
    let (len, used) = der_length(b, 1)?;
    let body = b.get(1 + used..(1 + used + len).min(b.len()))?;
    let mut r = TsRequest::default();
    let mut at = 0;
    while at < body.len() {
        let tag = body[at];
        let (flen, fused) = der_length(body, at + 1)?;
        let start = at + 1 + fused;
        let content = body.get(start..(start + flen).min(body.len()))?;
        match tag {
            0xa0 => r.version = der_u32(content),
            0xa1 => {
                r.nego_tokens = true;
                r.token = auth_token(content);
            }
            0xa2 => r.auth_info = true,
            0xa3 => r.pub_key_auth = true,
            0xa4 => r.error_code = der_u32(content),
            0xa5 => r.client_nonce = true,
            _ => return None,
        }
        at = start + flen;
    }
    r.version.is_some().then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TSRequest { version 6, errorCode 0xC000006D }, as a Windows server sends it.
    const ERROR: &[u8] = &[
        0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x07, 0x02, 0x05, 0x00, 0xc0, 0x00, 0x00,
        0x6d,
    ];

    #[test]
    fn reads_version_and_error_code() {
        assert_eq!(der_sequence_len(ERROR), Some(16));
        let r = parse_ts_request(ERROR).unwrap();
        assert_eq!(r.version, Some(6));
        assert_eq!(r.error_code, Some(0xC000_006D));
        assert!(!r.nego_tokens && !r.auth_info);
        assert_eq!(
            crate::model::codes::status(0xC000_006D).map(|s| s.0),
            Some("STATUS_LOGON_FAILURE")
        );
        // The four-byte form without the sign-padding zero.
        let short = [
            0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x01,
            0x5b,
        ];
        assert_eq!(
            parse_ts_request(&short).unwrap().error_code,
            Some(0xC000_015B)
        );
    }

    #[test]
    fn ntlm_messages_are_named_and_their_names_read() {
        // AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with domain "CORP", user "alice", workstation
        // "WS1" in UTF-16LE after the 64-byte header, NegotiateFlags with UNICODE.
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let names = [utf16("CORP"), utf16("alice"), utf16("WS1")];
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend(3u32.to_le_bytes());
        let mut at = 64u32;
        for f in [
            &[][..],
            &[][..],
            &names[0][..],
            &names[1][..],
            &names[2][..],
            &[][..],
        ] {
            m.extend((f.len() as u16).to_le_bytes());
            m.extend((f.len() as u16).to_le_bytes());
            m.extend(at.to_le_bytes());
            at += f.len() as u32;
        }
        m.extend(1u32.to_le_bytes());
        for n in &names {
            m.extend(n);
        }
        // Inside SPNEGO-ish wrapping: found by its signature.
        let mut wrapped = vec![0xa1, 0x00, 0x30];
        wrapped.extend(&m);
        assert_eq!(
            auth_token(&wrapped),
            Some(AuthToken::NtlmAuthenticate {
                domain: "CORP".into(),
                user: "alice".into(),
                workstation: "WS1".into()
            })
        );
        let mut negotiate = b"NTLMSSP\0".to_vec();
        negotiate.extend(1u32.to_le_bytes());
        assert_eq!(auth_token(&negotiate), Some(AuthToken::NtlmNegotiate));
        // Kerberos by its OID; nothing known: None.
        assert_eq!(
            auth_token(&[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02
            ]),
            Some(AuthToken::Kerberos)
        );
        assert_eq!(auth_token(&[1, 2, 3]), None);
        // A field pointing past the message is read as empty, never a panic.
        let mut bad = m.clone();
        bad[32] = 0xff;
        for n in 0..m.len() {
            let _ = auth_token(&bad[..n]);
            let _ = auth_token(&m[..n]);
        }
    }

    #[test]
    fn never_panics_on_cut_input() {
        for n in 0..ERROR.len() {
            let _ = parse_ts_request(&ERROR[..n]);
            let _ = der_sequence_len(&ERROR[..n]);
        }
        assert_eq!(
            parse_ts_request(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }
}
