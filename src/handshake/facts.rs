//! What a connection's handshake showed, as typed facts: the X.224 negotiation
//! ([`Negotiation`], MS-RDPBCGR 2.2.1.1–2.2.1.2), the TLS handshake ([`TlsFacts`], RFC 5246 /
//! RFC 8446) and the MCS/GCC exchange read in clear ([`McsFacts`], MS-RDPBCGR 2.2.1.3–2.2.1.4).
//! Each is made once, where its bytes are read (`ladder`), and read by field everywhere after;
//! the field names are those of the report (`REPORT.md` `negotiation`, `tls`, `mcs`), in the
//! order the report writes them.

use serde::{Deserialize, Serialize};

use crate::model::Party;

use super::tls::CertificateInfo;

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
    pub alerts: Vec<Alert>,
    /// The server's leaf certificate, when sent in clear.
    pub certificate: Option<Certificate>,
    /// TLS 1.3: the certificate went encrypted (RFC 8446 §4.4.2).
    pub certificate_encrypted: bool,
    pub client_finished_frame: Option<u64>,
    pub server_finished_frame: Option<u64>,
}

/// What the ClientHello offered (RFC 8446 §4.1.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientHelloFacts {
    pub frame: u64,
    pub version: String,
    pub supported_versions: Vec<String>,
    pub cipher_suites: usize,
}

/// How an alert record was read (RFC 5246 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Warning,
    Fatal,
    /// Sent after ChangeCipherSpec: level and description are not readable.
    Encrypted,
}

impl AlertLevel {
    /// `warning`, `fatal` or `encrypted`.
    pub fn word(self) -> &'static str {
        match self {
            AlertLevel::Warning => "warning",
            AlertLevel::Fatal => "fatal",
            AlertLevel::Encrypted => "encrypted",
        }
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
}
