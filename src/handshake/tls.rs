//! TLS as RDP uses it after the X.224 exchange (MS-RDPBCGR 5.4.5.1): record framing
//! (RFC 5246 §6.2.1, RFC 8446 §5.1), handshake messages split across records (decoded with
//! `tls-parser`), alerts (RFC 5246 §7.2, RFC 8446 §6) and the server certificate (RFC 5280,
//! decoded with `x509-parser`; its SHA-256 with `sha2`).

use serde::Serialize;
use sha2::{Digest, Sha256};
use tls_parser::{TlsExtension, TlsMessage, TlsMessageHandshake};

use crate::model::time::rfc3339;

/// Record content types (RFC 8446 §5.1).
pub mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// Length of the TLS record at the start of `b` (header included), if `b` starts with a
/// plausible record header: a known content type, major version 3, a length ≤ 2^14 + 2048.
pub fn record_len(b: &[u8]) -> Option<usize> {
    if b.len() < 5 || !(20..=24).contains(&b[0]) || b[1] != 3 || b[2] > 4 {
        return None;
    }
    let len = u16::from_be_bytes([b[3], b[4]]) as usize;
    (len <= 16384 + 2048).then_some(5 + len)
}

/// Name of a TLS protocol version.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL3".into(),
        0x0301 => "TLS1.0".into(),
        0x0302 => "TLS1.1".into(),
        0x0303 => "TLS1.2".into(),
        0x0304 => "TLS1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// IANA name of a cipher suite, or its number.
pub fn cipher_name(id: u16) -> String {
    tls_parser::TlsCipherSuite::from_id(id)
        .map(|c| c.name.to_string())
        .unwrap_or_else(|| format!("0x{id:04x}"))
}

pub use crate::model::codes::tls_alert_name as alert_name;

/// What a ClientHello offered (RFC 8446 §4.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientHelloInfo {
    pub version: String,
    /// From the supported_versions extension, when present.
    pub supported_versions: Vec<String>,
    pub cipher_suites: usize,
    pub sni: Option<String>,
}

/// What a ServerHello chose (RFC 8446 §4.1.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerHelloInfo {
    /// The negotiated version (supported_versions for TLS 1.3, else the legacy field).
    pub version: String,
    pub version_raw: u16,
    pub cipher: String,
    /// The suite's number, for [`record_overhead`].
    #[serde(skip)]
    pub cipher_id: u16,
}

/// The bytes a protected record adds to its plaintext under the negotiated version and
/// suite: a range, since block ciphers pad (RFC 5246 §6.2.3, RFC 4346 §6.2.3.2 for the
/// explicit IV of TLS 1.1 and later, RFC 5288 §3 for GCM's 8-byte explicit nonce, RFC 7905
/// for ChaCha20-Poly1305, RFC 8446 §5.2 for TLS 1.3's inner content type and tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordOverhead {
    pub min: u32,
    pub max: u32,
}

impl RecordOverhead {
    /// The plaintext a record of `payload` bytes (its length field) can carry: (least, most).
    pub fn plaintext(self, payload: u32) -> (u32, u32) {
        (
            payload.saturating_sub(self.max),
            payload.saturating_sub(self.min),
        )
    }
}

/// The overhead of a record under `version_raw` (the ServerHello's, `0x0304` for TLS 1.3)
/// and the suite `cipher_id`; `None` for a suite `tls-parser` does not know.
pub fn record_overhead(version_raw: u16, cipher_id: u16) -> Option<RecordOverhead> {
    use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherSuite};
    let exact = |n: u32| Some(RecordOverhead { min: n, max: n });
    let suite = TlsCipherSuite::from_id(cipher_id)?;
    // AES-CCM with an 8-byte tag (RFC 6655; TLS_AES_128_CCM_8_SHA256 in RFC 8446).
    let short_tag = suite.name.contains("CCM_8");
    if version_raw >= 0x0304 {
        // The inner content type and the AEAD tag; records are not padded by the peers
        // RDP uses.
        return exact(1 + if short_tag { 8 } else { 16 });
    }
    let mac = u32::from(suite.mac_size) / 8;
    match (suite.enc, suite.enc_mode) {
        (TlsCipherEnc::Chacha20_Poly1305, _) => exact(16),
        (_, TlsCipherEncMode::Gcm) => exact(8 + 16),
        (_, TlsCipherEncMode::Ccm) => exact(8 + if short_tag { 8 } else { 16 }),
        (enc, TlsCipherEncMode::Cbc) => {
            let block: u32 = match enc {
                TlsCipherEnc::Des
                | TlsCipherEnc::TripleDes
                | TlsCipherEnc::Idea
                | TlsCipherEnc::Rc2 => 8,
                _ => 16,
            };
            let iv = if version_raw >= 0x0302 { block } else { 0 };
            // At least the padding-length byte, at most a whole block of padding.
            Some(RecordOverhead {
                min: iv + mac + 1,
                max: iv + mac + block,
            })
        }
        // Stream ciphers and NULL encryption: the MAC alone.
        _ => exact(mac),
    }
}

/// The server's (leaf) certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    #[serde(skip)]
    pub not_before_s: i64,
    #[serde(skip)]
    pub not_after_s: i64,
    pub self_signed: bool,
    /// Judged at the capture's own time (the frame that carried the certificate).
    pub expired_at_capture: bool,
    pub not_yet_valid_at_capture: bool,
    pub key_type: String,
    pub key_bits: usize,
    pub sha256: String,
    /// The SHA-1 thumbprint, upper-case hex: what certlm.msc, `Get-ChildItem Cert:` and
    /// `Win32_TSGeneralSetting.SSLCertificateSHA1Hash` show.
    #[serde(default)]
    pub sha1: String,
    pub subject_alt_names: Vec<String>,
    /// Certificates in the chain the server sent.
    pub chain_length: usize,
}

/// A handshake message read from a direction's handshake byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeMessage {
    ClientHello(ClientHelloInfo),
    ServerHello(ServerHelloInfo),
    Certificate(Option<CertificateInfo>),
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    ClientKeyExchange,
    Other(u8),
}

impl HandshakeMessage {
    /// The message's HandshakeType name (RFC 5246 §7.4, RFC 8446 §4).
    pub fn name(&self) -> &'static str {
        match self {
            HandshakeMessage::ClientHello(_) => "ClientHello",
            HandshakeMessage::ServerHello(_) => "ServerHello",
            HandshakeMessage::Certificate(_) => "Certificate",
            HandshakeMessage::ServerKeyExchange => "ServerKeyExchange",
            HandshakeMessage::CertificateRequest => "CertificateRequest",
            HandshakeMessage::ServerHelloDone => "ServerHelloDone",
            HandshakeMessage::ClientKeyExchange => "ClientKeyExchange",
            HandshakeMessage::Other(kind) => match kind {
                0 => "HelloRequest",
                1 => "ClientHello",
                2 => "ServerHello",
                4 => "NewSessionTicket",
                8 => "EncryptedExtensions",
                15 => "CertificateVerify",
                20 => "Finished",
                _ => "handshake message",
            },
        }
    }
}

/// Splits a (concatenated) handshake byte stream into messages. Returns each message with
/// its offset and length in `buf`, and how many bytes were consumed (a message cut at the
/// end stays for later).
pub fn parse_handshake_stream(buf: &[u8]) -> (Vec<(usize, usize, HandshakeMessage)>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while buf.len() >= at + 4 {
        let kind = buf[at];
        let len = u32::from_be_bytes([0, buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
        if buf.len() < at + 4 + len {
            break;
        }
        let raw = &buf[at..at + 4 + len];
        out.push((at, 4 + len, decode_handshake(kind, raw)));
        at += 4 + len;
    }
    (out, at)
}

fn decode_handshake(kind: u8, raw: &[u8]) -> HandshakeMessage {
    let parsed = tls_parser::parse_tls_message_handshake(raw)
        .ok()
        .map(|(_, m)| m);
    match (kind, parsed) {
        (1, Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) => {
            let mut info = ClientHelloInfo {
                version: version_name(ch.version.0),
                cipher_suites: ch.ciphers.len(),
                ..Default::default()
            };
            if let Some(ext) = ch.ext
                && let Ok((_, exts)) = tls_parser::parse_tls_client_hello_extensions(ext)
            {
                for e in exts {
                    match e {
                        TlsExtension::SNI(names) => {
                            info.sni = names
                                .first()
                                .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                        }
                        TlsExtension::SupportedVersions(v) => {
                            info.supported_versions = v.iter().map(|v| version_name(v.0)).collect();
                        }
                        _ => {}
                    }
                }
            }
            HandshakeMessage::ClientHello(info)
        }
        (2, Some(TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)))) => {
            let mut version = sh.version.0;
            if let Some(ext) = sh.ext
                && let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(ext)
            {
                for e in exts {
                    if let TlsExtension::SupportedVersions(v) = e
                        && let Some(v) = v.first()
                    {
                        version = v.0;
                    }
                }
            }
            HandshakeMessage::ServerHello(ServerHelloInfo {
                version: version_name(version),
                version_raw: version,
                cipher: cipher_name(sh.cipher.0),
                cipher_id: sh.cipher.0,
            })
        }
        (11, Some(TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)))) => {
            let chain = c.cert_chain.len();
            HandshakeMessage::Certificate(
                c.cert_chain
                    .first()
                    .and_then(|leaf| certificate_info(leaf.data, chain)),
            )
        }
        (11, _) => HandshakeMessage::Certificate(None),
        (12, _) => HandshakeMessage::ServerKeyExchange,
        (13, _) => HandshakeMessage::CertificateRequest,
        (14, _) => HandshakeMessage::ServerHelloDone,
        (16, _) => HandshakeMessage::ClientKeyExchange,
        (k, _) => HandshakeMessage::Other(k),
    }
}

/// Decodes a DER certificate (RFC 5280 §4.1).
pub fn certificate_info(der: &[u8], chain_length: usize) -> Option<CertificateInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    let nb = validity.not_before.timestamp();
    let na = validity.not_after.timestamp();
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => ("RSA".to_string(), k.key_size()),
        Ok(x509_parser::public_key::PublicKey::EC(k)) => ("EC".to_string(), k.key_size()),
        Ok(x509_parser::public_key::PublicKey::DSA(k)) => ("DSA".to_string(), k.len() * 8),
        Ok(_) | Err(_) => (cert.public_key().algorithm.algorithm.to_id_string(), 0),
    };
    let mut sans = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                x509_parser::extensions::GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                x509_parser::extensions::GeneralName::IPAddress(ip) => {
                    sans.push(format!("IP:{}", ip_string(ip)))
                }
                _ => {}
            }
        }
    }
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    Some(CertificateInfo {
        self_signed: subject == issuer,
        subject,
        issuer,
        not_before: rfc3339(nb.saturating_mul(1_000_000_000)),
        not_after: rfc3339(na.saturating_mul(1_000_000_000)),
        not_before_s: nb,
        not_after_s: na,
        expired_at_capture: false,
        not_yet_valid_at_capture: false,
        key_type,
        key_bits,
        sha256: hex(&Sha256::digest(der)),
        sha1: hex(&sha1::Sha1::digest(der)).to_uppercase(),
        subject_alt_names: sans,
        chain_length,
    })
}

/// Whether the certificate names `host` (RFC 6125 §6: subjectAltName DNS or IP entries, else
/// the subject's CN; a leading `*.` matches one label).
pub fn certificate_names(cert: &CertificateInfo, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let matches = |name: &str| {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match name.strip_prefix("*.") {
            Some(suffix) => host.split_once('.').is_some_and(|(_, rest)| rest == suffix),
            None => name == host,
        }
    };
    if !cert.subject_alt_names.is_empty() {
        return cert.subject_alt_names.iter().any(|n| {
            n.strip_prefix("DNS:")
                .or_else(|| n.strip_prefix("IP:"))
                .is_some_and(matches)
        });
    }
    cert.subject
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("CN="))
        .any(matches)
}

fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let a: [u8; 16] = b.try_into().unwrap_or([0; 16]);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex(b),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records whose plaintext tshark decrypted (the corpus captures that ship their key) or
    /// that FreeRDP sent here: each record's plaintext lies in the computed range.
    #[test]
    fn record_overheads_bound_real_plaintexts() {
        // (version, suite, record length, plaintext length)
        let measured = [
            // rdp-ssl.pcap: TLS 1.0, TLS_RSA_WITH_AES_128_CBC_SHA, CredSSP v2 NTLM.
            (0x0301, 0x002f, 80, 57),
            (0x0301, 0x002f, 288, 262),
            (0x0301, 0x002f, 832, 805),
            (0x0301, 0x002f, 336, 303),
            (0x0301, 0x002f, 112, 84),
            // freerdp-client-krb5.pcapng: TLS 1.2, TLS_RSA_WITH_AES_256_CBC_SHA, Kerberos.
            (0x0303, 0x0035, 1360, 1320),
            // nla-success.pcap: TLS 1.3, TLS_AES_256_GCM_SHA384, NTLM.
            (0x0304, 0x1302, 110, 93),
            (0x0304, 0x1302, 112, 95),
        ];
        for (version, suite, record, plain) in measured {
            let o = record_overhead(version, suite).unwrap();
            let (least, most) = o.plaintext(record);
            assert!(
                (least..=most).contains(&plain),
                "{suite:#06x} {record}: {o:?}"
            );
        }
        assert_eq!(
            record_overhead(0x0303, 0xc030),
            Some(RecordOverhead { min: 24, max: 24 })
        );
        assert_eq!(
            record_overhead(0x0303, 0xcca8),
            Some(RecordOverhead { min: 16, max: 16 })
        );
        assert_eq!(
            record_overhead(0x0302, 0x000a),
            Some(RecordOverhead { min: 29, max: 36 })
        );
        assert_eq!(record_overhead(0x0303, 0xeeee), None);
    }

    #[test]
    fn record_headers() {
        assert_eq!(record_len(&[22, 3, 1, 0, 5, 1, 2, 3, 4, 5]), Some(10));
        assert_eq!(
            record_len(&[23, 3, 3, 0x48, 0x01]),
            None,
            "longer than 2^14 + 2048"
        );
        assert_eq!(
            record_len(&[3, 0, 0, 19, 14]),
            None,
            "a TPKT is not a TLS record"
        );
        assert_eq!(record_len(&[22, 3]), None);
    }

    #[test]
    fn names() {
        assert_eq!(alert_name(45), "certificate_expired");
        assert_eq!(alert_name(200), "unknown(200)");
        assert_eq!(version_name(0x0303), "TLS1.2");
        assert_eq!(cipher_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    }

    #[test]
    fn cut_handshake_messages_wait_for_more() {
        // A ServerHelloDone (type 14, length 0) then half of another message.
        let buf = [14, 0, 0, 0, 11, 0, 0, 9, 1];
        let (msgs, used) = parse_handshake_stream(&buf);
        assert_eq!(msgs, vec![(0, 4, HandshakeMessage::ServerHelloDone)]);
        assert_eq!(used, 4);
        for n in 0..buf.len() {
            let _ = parse_handshake_stream(&buf[..n]);
        }
    }
}
