//! The MCS layer that Standard RDP Security shows in clear: the T.125 connect PDUs (BER,
//! T.125 §7 and §11) carrying the T.124 GCC Conference Create Request / Response (PER) with
//! the RDP client and server data blocks (MS-RDPBCGR 2.2.1.3 and 2.2.1.4), and the T.125
//! domain PDUs (PER) of the channel connection and the session (MS-RDPBCGR 2.2.1.5–2.2.1.8,
//! 2.2.1.9 onwards inside Send Data Request / Indication, 2.2.2.1 Disconnect Provider
//! Ultimatum). Also the display names Zeek's RDP analyzer gives these values
//! (`scripts/base/protocols/rdp/consts.zeek` and `main.zeek`), so a report can be checked
//! against Zeek's `rdp.log`.
//!
//! Written by hand: no maintained Rust crate decodes T.125/T.124 for analysis. The RDP client
//! and server crates (IronRDP's `ironrdp-pdu`, rdp-rs) decode strictly, to drive a
//! connection: a length that does not fit, an unknown value or a block cut by the end of a
//! capture fails the whole PDU, and their types keep only what a client needs. Generic ASN.1
//! crates (`asn1-rs`, `der-parser`) read BER but not the aligned PER of T.124 and the domain
//! PDUs. Here every length is checked, unknown values are kept raw, a field that does not fit
//! is reported in `problems` and the rest is still read. Nothing here can panic on any input.

use serde::Serialize;

/// User ids are encoded in PER as offsets from 1001 (T.125 §7: `UserId ::= DynamicChannelId`,
/// `DynamicChannelId ::= ChannelId (1001..65535)`). The values below are the real ids.
pub const USER_ID_BASE: u16 = 1001;

/// The object identifier of T.124 (`{itu-t recommendation t 124 version(0) 1}`) as it
/// appears in GCC ConnectData (MS-RDPBCGR 2.2.1.3, 2.2.1.4).
pub const T124_OID: [u8; 5] = [0x00, 0x14, 0x7c, 0x00, 0x01];

/// DomainMCSPDU CHOICE indexes (T.125 §7, the first 6 bits of a domain PDU).
pub mod domain {
    pub const ERECT_DOMAIN_REQUEST: u8 = 1;
    pub const DISCONNECT_PROVIDER_ULTIMATUM: u8 = 8;
    pub const REJECT_MCS_PDU_ULTIMATUM: u8 = 9;
    pub const ATTACH_USER_REQUEST: u8 = 10;
    pub const ATTACH_USER_CONFIRM: u8 = 11;
    pub const DETACH_USER_REQUEST: u8 = 12;
    pub const DETACH_USER_INDICATION: u8 = 13;
    pub const CHANNEL_JOIN_REQUEST: u8 = 14;
    pub const CHANNEL_JOIN_CONFIRM: u8 = 15;
    pub const SEND_DATA_REQUEST: u8 = 25;
    pub const SEND_DATA_INDICATION: u8 = 26;
}

/// Data block types (MS-RDPBCGR 2.2.1.3.1 and 2.2.1.4.1, TS_UD_HEADER).
pub mod block {
    pub const CS_CORE: u16 = 0xc001;
    pub const CS_SECURITY: u16 = 0xc002;
    pub const CS_NET: u16 = 0xc003;
    pub const CS_CLUSTER: u16 = 0xc004;
    pub const CS_MONITOR: u16 = 0xc005;
    pub const CS_MCS_MSGCHANNEL: u16 = 0xc006;
    pub const CS_MONITOR_EX: u16 = 0xc008;
    pub const CS_MULTITRANSPORT: u16 = 0xc00a;
    pub const SC_CORE: u16 = 0x0c01;
    pub const SC_SECURITY: u16 = 0x0c02;
    pub const SC_NET: u16 = 0x0c03;
    pub const SC_MCS_MSGCHANNEL: u16 = 0x0c04;
    pub const SC_MULTITRANSPORT: u16 = 0x0c08;
}

/// One MCS PDU as carried by an X.224 Data TPDU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum McsPdu {
    /// Connect-Initial, BER `[APPLICATION 101]` (`7f 65`), MS-RDPBCGR 2.2.1.3.
    ConnectInitial(ConnectInitial),
    /// Connect-Response, BER `[APPLICATION 102]` (`7f 66`), MS-RDPBCGR 2.2.1.4.
    ConnectResponse(ConnectResponse),
    /// Erect Domain Request (MS-RDPBCGR 2.2.1.5).
    ErectDomainRequest,
    /// Attach User Request (MS-RDPBCGR 2.2.1.6).
    AttachUserRequest,
    /// Attach User Confirm (MS-RDPBCGR 2.2.1.7): T.125 `Result` (see [`mcs_result_name`]) and
    /// the user id given to the client.
    AttachUserConfirm { result: u8, initiator: Option<u16> },
    /// Channel Join Request (MS-RDPBCGR 2.2.1.8).
    ChannelJoinRequest { initiator: u16, channel: u16 },
    /// Channel Join Confirm (MS-RDPBCGR 2.2.1.9): `channel` is the joined channel, absent
    /// when the server did not join it; `requested` the channel the client asked for.
    ChannelJoinConfirm {
        result: u8,
        requested: u16,
        channel: Option<u16>,
    },
    /// Disconnect Provider Ultimatum (MS-RDPBCGR 2.2.2.1, T.125 §7): `Reason`, see
    /// [`reason_name`] (3 = rn-user-requested).
    DisconnectProviderUltimatum { reason: u8 },
    /// Send Data Request (client to server): `len` is the declared length of its user data
    /// (see [`mcs_user_data`]).
    SendDataRequest {
        initiator: u16,
        channel: u16,
        len: usize,
    },
    /// Send Data Indication (server to client).
    SendDataIndication {
        initiator: u16,
        channel: u16,
        len: usize,
    },
    /// Anything else: the DomainMCSPDU choice index (0–63) of a domain PDU, or the
    /// application tag number of a connect PDU other than 101/102 (103 Connect-Additional,
    /// 104 Connect-Result). A known PDU too short for its fixed fields is also reported this
    /// way (a Connect-Response whose result cannot be read is `Other(102)`); `Other(0x7f)` is
    /// a connect PDU whose tag is cut.
    Other(u8),
}

/// T.125 DomainParameters (T.125 §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DomainParameters {
    pub max_channel_ids: u32,
    pub max_user_ids: u32,
    pub max_token_ids: u32,
    pub num_priorities: u32,
    pub min_throughput: u32,
    pub max_height: u32,
    pub max_mcs_pdu_size: u32,
    pub protocol_version: u32,
}

/// MCS Connect Initial with the GCC Conference Create Request and the client data blocks
/// (MS-RDPBCGR 2.2.1.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConnectInitial {
    /// TS_UD_CS_CORE (2.2.1.3.2).
    pub client_core: Option<ClientCoreData>,
    /// TS_UD_CS_SEC (2.2.1.3.3).
    pub client_security: Option<ClientSecurityData>,
    /// TS_UD_CS_NET channel names (2.2.1.3.4), in order, without their NULs.
    pub channels: Vec<String>,
    /// The `options` of each channel, parallel to `channels`.
    pub channel_options: Vec<u32>,
    /// TS_UD_CS_CLUSTER (2.2.1.3.5).
    pub cluster: Option<ClientClusterData>,
    /// The Connect-Initial `targetParameters`.
    pub target_parameters: Option<DomainParameters>,
    /// The type of every data block met, in order (see [`block`]).
    pub block_types: Vec<u16>,
    /// Problems met while reading (lengths that did not fit, unexpected tags…).
    pub problems: Vec<String>,
}

/// Client Core Data, TS_UD_CS_CORE (MS-RDPBCGR 2.2.1.3.2). The fields up to
/// `ime_file_name` are mandatory (128 bytes); when the block is shorter, the missing ones
/// read 0 or empty and the Connect Initial says so in `problems`. The rest is optional: a
/// client stops after any of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientCoreData {
    /// RDP version (see [`rdp_version_name`]): 0x00080001 RDP 4.0, 0x00080004 RDP 5.0–8.1…
    pub version: u32,
    pub desktop_width: u16,
    pub desktop_height: u16,
    /// `colorDepth` (RNS_UD_COLOR_*), superseded by the fields below.
    pub color_depth: u16,
    pub sas_sequence: u16,
    /// Keyboard layout identifier (see [`keyboard_layout_name`]).
    pub keyboard_layout: u32,
    /// Build number of the client (see [`client_build_name`]).
    pub client_build: u32,
    pub client_name: String,
    pub keyboard_type: u32,
    pub keyboard_subtype: u32,
    pub keyboard_function_key: u32,
    pub ime_file_name: String,
    pub post_beta2_color_depth: Option<u16>,
    pub client_product_id: Option<u16>,
    pub serial_number: Option<u32>,
    /// Requested color depth in bits per pixel (see [`color_depth_name`]).
    pub high_color_depth: Option<u16>,
    /// RNS_UD_24BPP_SUPPORT 0x1, 16BPP 0x2, 15BPP 0x4, 32BPP 0x8.
    pub supported_color_depths: Option<u16>,
    /// RNS_UD_CS_* flags (see [`early_capability_names`]).
    pub early_capability_flags: Option<u16>,
    pub client_dig_product_id: Option<String>,
    pub connection_type: Option<u8>,
    /// The echo of the protocol the server selected in its X.224 Connection Confirm
    /// (RDP_NEG_RSP selectedProtocol); a mismatch is a downgrade sign.
    pub server_selected_protocol: Option<u32>,
    pub desktop_physical_width: Option<u32>,
    pub desktop_physical_height: Option<u32>,
    pub desktop_orientation: Option<u16>,
    pub desktop_scale_factor: Option<u32>,
    pub device_scale_factor: Option<u32>,
}

impl ClientCoreData {
    /// The color depth the client asked for, as Zeek logs it (`requested_color_depth`):
    /// "32bit" when RNS_UD_CS_WANT_32BPP_SESSION is set, else the name of `high_color_depth`.
    pub fn requested_color_depth(&self) -> Option<String> {
        if self
            .early_capability_flags
            .is_some_and(|f| f & early_capability::WANT_32BPP_SESSION != 0)
        {
            return Some("32bit".into());
        }
        self.high_color_depth.map(color_depth_name)
    }
}

/// Client Security Data, TS_UD_CS_SEC (MS-RDPBCGR 2.2.1.3.3): the encryption methods the
/// client supports (see [`encryption_method_names`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientSecurityData {
    pub encryption_methods: u32,
    /// Used only by French locale clients.
    pub ext_encryption_methods: u32,
}

/// Client Cluster Data, TS_UD_CS_CLUSTER (MS-RDPBCGR 2.2.1.3.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientClusterData {
    pub flags: u32,
    pub redirected_session_id: u32,
}

impl ClientClusterData {
    /// REDIRECTION_SUPPORTED (0x1).
    pub fn redirection_supported(&self) -> bool {
        self.flags & 0x01 != 0
    }
    /// REDIRECTED_SESSIONID_FIELD_VALID (0x2).
    pub fn session_id_valid(&self) -> bool {
        self.flags & 0x02 != 0
    }
    /// ServerSessionRedirectionVersionMask (0x3c) shifted down: 0 = REDIRECTION_VERSION1 …
    /// 5 = REDIRECTION_VERSION6.
    pub fn redirection_version(&self) -> u8 {
        ((self.flags & 0x3c) >> 2) as u8
    }
    /// REDIRECTED_SMARTCARD (0x40).
    pub fn redirected_smartcard(&self) -> bool {
        self.flags & 0x40 != 0
    }
}

/// MCS Connect Response with the GCC Conference Create Response and the server data blocks
/// (MS-RDPBCGR 2.2.1.4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConnectResponse {
    /// T.125 `Result`, 0 = rt-successful (see [`mcs_result_name`]).
    pub result: u8,
    /// T.124 ConferenceCreateResponse `result`, 0 = success (see [`gcc_result_name`]; this is
    /// what Zeek logs as `result`).
    pub gcc_result: Option<u8>,
    /// ConferenceCreateResponse `nodeID`.
    pub gcc_node_id: Option<u16>,
    pub domain_parameters: Option<DomainParameters>,
    /// TS_UD_SC_CORE (2.2.1.4.2).
    pub server_core: Option<ServerCoreData>,
    /// TS_UD_SC_NET (2.2.1.4.4).
    pub server_network: Option<ServerNetworkData>,
    /// TS_UD_SC_SEC1 (2.2.1.4.3).
    pub server_security: Option<ServerSecurityData>,
    /// The type of every data block met, in order (see [`block`]).
    pub block_types: Vec<u16>,
    pub problems: Vec<String>,
}

/// Server Core Data, TS_UD_SC_CORE (MS-RDPBCGR 2.2.1.4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerCoreData {
    pub version: u32,
    /// The echo of the client's RDP_NEG_REQ requestedProtocols.
    pub client_requested_protocols: Option<u32>,
    /// RNS_UD_SC_* flags.
    pub early_capability_flags: Option<u32>,
}

/// Server Network Data, TS_UD_SC_NET (MS-RDPBCGR 2.2.1.4.4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerNetworkData {
    /// MCS id of the I/O channel.
    pub io_channel: u16,
    /// MCS ids of the client's static virtual channels, in the order it asked for them.
    pub channel_ids: Vec<u16>,
}

/// Server Security Data, TS_UD_SC_SEC1 (MS-RDPBCGR 2.2.1.4.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerSecurityData {
    /// ENCRYPTION_METHOD_* (see [`encryption_method_name`]).
    pub encryption_method: u32,
    /// ENCRYPTION_LEVEL_* (see [`encryption_level_name`]).
    pub encryption_level: u32,
    /// 0 when absent (both method and level none).
    pub server_random_len: u32,
    pub server_cert_len: u32,
    pub cert: Option<ServerCertificate>,
}

/// Server Certificate (MS-RDPBCGR 2.2.1.4.3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerCertificate {
    pub kind: CertKind,
    /// The `t` bit of dwVersion clear: a permanently issued certificate (not temporary).
    pub permanent: bool,
    /// Proprietary certificate: the RSA key's bit length (RSA_PUBLIC_KEY bitlen,
    /// 2.2.1.4.3.1.1.1).
    pub public_key_bits: Option<u32>,
    /// X.509 chain: the DER certificates in the order sent (MS-RDPELE 2.2.1.4.2), the ones
    /// that are whole.
    #[serde(skip)]
    pub x509_chain: Vec<Vec<u8>>,
}

impl ServerCertificate {
    /// dwVersion's certChainVersion: 1 proprietary, 2 X.509 (see [`cert_type_name`]).
    pub fn chain_version(&self) -> u32 {
        match self.kind {
            CertKind::Proprietary => 1,
            CertKind::X509 { .. } => 2,
            CertKind::Unknown(v) => v,
        }
    }

    /// Certificates carried, as Zeek counts them (`cert_count`).
    pub fn count(&self) -> u32 {
        match self.kind {
            CertKind::Proprietary => 1,
            CertKind::X509 { cert_count } => cert_count,
            CertKind::Unknown(_) => 0,
        }
    }
}

/// The certificate chain version (dwVersion & 0x7fffffff).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    /// CERT_CHAIN_VERSION_1: Proprietary Certificate (2.2.1.4.3.1.1).
    Proprietary,
    /// CERT_CHAIN_VERSION_2: X.509 chain; `cert_count` is NumCertBlobs as sent.
    X509 {
        cert_count: u32,
    },
    Unknown(u32),
}

/// RNS_UD_CS_* early capability flags of the Client Core Data (MS-RDPBCGR 2.2.1.3.2).
pub mod early_capability {
    pub const SUPPORT_ERRINFO_PDU: u16 = 0x0001;
    pub const WANT_32BPP_SESSION: u16 = 0x0002;
    pub const SUPPORT_STATUSINFO_PDU: u16 = 0x0004;
    pub const STRONG_ASYMMETRIC_KEYS: u16 = 0x0008;
    pub const RELATIVE_MOUSE_INPUT: u16 = 0x0010;
    pub const VALID_CONNECTION_TYPE: u16 = 0x0020;
    pub const SUPPORT_MONITOR_LAYOUT_PDU: u16 = 0x0040;
    pub const SUPPORT_NETCHAR_AUTODETECT: u16 = 0x0080;
    pub const SUPPORT_DYNVC_GFX_PROTOCOL: u16 = 0x0100;
    pub const SUPPORT_DYNAMIC_TIME_ZONE: u16 = 0x0200;
    pub const SUPPORT_HEARTBEAT_PDU: u16 = 0x0400;
    pub const SUPPORT_SKIP_CHANNELJOIN: u16 = 0x0800;
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Decodes the X.224 Data TPDU + MCS PDU in one TPKT packet (TPKT header included). `None`
/// when the bytes are not a TPKT packet carrying an X.224 Data TPDU with at least one byte
/// of MCS (a Connection Request or Confirm, a fast-path PDU, a TLS record).
pub fn parse_mcs(tpkt: &[u8]) -> Option<McsPdu> {
    let (mcs, cut) = mcs_bytes(tpkt)?;
    let first = *mcs.first()?;
    if first == 0x7f {
        return Some(parse_connect_pdu(mcs, cut));
    }
    Some(parse_domain_pdu(mcs).unwrap_or(McsPdu::Other(first >> 2)))
}

/// What a server's slow-path PDU says, read from a Send Data Indication's user data when it
/// is not encrypted (Enhanced RDP Security decrypted, or encryption level none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerNotice {
    /// Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1): errorInfo.
    ErrorInfo(u32),
    /// A licensing error message (MS-RDPBCGR 2.2.1.12.1.3, MS-RDPELE 2.2.2.7.1):
    /// dwErrorCode and dwStateTransition. STATUS_VALID_CLIENT (7) is the usual "no licensing
    /// needed".
    License { code: u32, transition: u32 },
    /// Save Session Info PDU (MS-RDPBCGR 2.2.10.1): infoType (0 logon, 1 long logon, 2 plain
    /// notify, 3 extended info).
    SaveSessionInfo(u32),
    /// An Update PDU (MS-RDPBCGR 2.2.9.1.1.3): screen output on the slow path.
    Update,
    /// Deactivate All PDU (MS-RDPBCGR 2.2.3.1).
    DeactivateAll,
    /// Any other share control or data PDU.
    Other,
}

/// Security header flags (MS-RDPBCGR 2.2.8.1.1.2.1).
const SEC_ENCRYPT: u16 = 0x0008;
const SEC_LICENSE_PKT: u16 = 0x0080;

/// Reads a server's Send Data Indication user data: a licensing PDU behind its basic security
/// header, else a share control PDU (its totalLength must match: encrypted bytes do not).
pub fn server_notice(ud: &[u8]) -> Option<ServerNotice> {
    let u16_at = |at: usize| Some(u16::from_le_bytes([*ud.get(at)?, *ud.get(at + 1)?]));
    let u32_at = |at: usize| {
        Some(u32::from_le_bytes([
            *ud.get(at)?,
            *ud.get(at + 1)?,
            *ud.get(at + 2)?,
            *ud.get(at + 3)?,
        ]))
    };
    // TS_SHARECONTROLHEADER: totalLength, pduType (type in the low 4 bits, version 1). Tried
    // first: a licensing PDU's second word (flagsHi, 0) never reads as a version-1 pduType.
    let total = u16_at(0)? as usize;
    let pdu_type = u16_at(2)?;
    if total != ud.len() || pdu_type & 0xFFF0 != 0x0010 {
        let flags = u16_at(0)?;
        if flags & SEC_LICENSE_PKT != 0 && flags & SEC_ENCRYPT == 0 {
            // LICENSE_PREAMBLE: bMsgType 0xFF is ERROR_ALERT.
            return Some(if *ud.get(4)? == 0xFF {
                ServerNotice::License {
                    code: u32_at(8)?,
                    transition: u32_at(12)?,
                }
            } else {
                ServerNotice::Other
            });
        }
        return None;
    }
    match pdu_type & 0x000F {
        0x6 => Some(ServerNotice::DeactivateAll),
        0x7 => Some(match *ud.get(14)? {
            0x02 => ServerNotice::Update,
            0x26 => ServerNotice::SaveSessionInfo(u32_at(18)?),
            0x2F => ServerNotice::ErrorInfo(u32_at(18)?),
            _ => ServerNotice::Other,
        }),
        _ => Some(ServerNotice::Other),
    }
}

/// The account a Client Info PDU (MS-RDPBCGR 2.2.1.11.1.1, TS_INFO_PACKET) names, as
/// `DOMAIN\\user` or `user`, from a client's Send Data Request user data that is not
/// encrypted (its basic security header has SEC_INFO_PKT and not SEC_ENCRYPT). The password
/// field after it is never read.
pub fn client_info_user(ud: &[u8]) -> Option<String> {
    const SEC_INFO_PKT: u16 = 0x0040;
    const INFO_UNICODE: u32 = 0x0000_0010;
    let u16_at = |at: usize| Some(u16::from_le_bytes([*ud.get(at)?, *ud.get(at + 1)?]));
    let flags = u16_at(0)?;
    if flags & SEC_INFO_PKT == 0 || flags & SEC_ENCRYPT != 0 {
        return None;
    }
    // After the 4-byte header: CodePage, flags, cbDomain, cbUserName, cbPassword,
    // cbAlternateShell, cbWorkingDir, then Domain and UserName, each null-terminated.
    let info_flags = u32::from_le_bytes(ud.get(8..12)?.try_into().ok()?);
    let unicode = info_flags & INFO_UNICODE != 0;
    let (cb_domain, cb_user) = (u16_at(12)? as usize, u16_at(14)? as usize);
    let null = if unicode { 2 } else { 1 };
    let domain = ud.get(22..22 + cb_domain)?;
    let user_at = 22 + cb_domain + null;
    let user = ud.get(user_at..user_at + cb_user)?;
    let text = |b: &[u8]| -> String {
        if unicode {
            utf16z(b)
        } else {
            String::from_utf8_lossy(b).into_owned()
        }
    };
    let (domain, user) = (text(domain), text(user));
    if user.is_empty() {
        return None;
    }
    Some(if domain.is_empty() {
        user
    } else {
        format!("{domain}\\{user}")
    })
}

/// A licensing error code's name (MS-RDPBCGR 2.2.1.12.1.3).
pub fn license_error_name(code: u32) -> String {
    match code {
        0x01 => "ERR_INVALID_SERVER_CERTIFICATE".into(),
        0x02 => "ERR_NO_LICENSE (no client access license for this client)".into(),
        0x04 => "ERR_INVALID_SCOPE".into(),
        0x06 => "ERR_NO_LICENSE_SERVER (no license server reachable)".into(),
        0x07 => "STATUS_VALID_CLIENT".into(),
        0x08 => "ERR_INVALID_CLIENT".into(),
        0x0B => "ERR_INVALID_PRODUCTID".into(),
        0x0C => "ERR_INVALID_MESSAGE_LEN".into(),
        0x03 => "ERR_INVALID_MAC".into(),
        other => format!("0x{other:X}"),
    }
}

/// A licensing error's state transition's name (MS-RDPBCGR 2.2.1.12.1.3).
pub fn license_transition_name(t: u32) -> String {
    match t {
        1 => "ST_TOTAL_ABORT".into(),
        2 => "ST_NO_TRANSITION".into(),
        3 => "ST_RESET_PHASE_TO_START".into(),
        4 => "ST_RESEND_LAST_MESSAGE".into(),
        other => format!("0x{other:X}"),
    }
}

/// The user data of a Send Data Request or Indication (the Security Header and what
/// follows, MS-RDPBCGR 2.2.1.10 onwards), clipped to the bytes present.
pub fn mcs_user_data(tpkt: &[u8]) -> Option<&[u8]> {
    let (mcs, _) = mcs_bytes(tpkt)?;
    let choice = mcs.first()? >> 2;
    if choice != domain::SEND_DATA_REQUEST && choice != domain::SEND_DATA_INDICATION {
        return None;
    }
    let mut c = Cur::new(mcs);
    c.skip(6)?;
    let len = per_len(&mut c)?;
    let rest = c.rest();
    Some(&rest[..len.min(rest.len())])
}

/// The MCS bytes of a TPKT + X.224 Data packet, and a note when the slice is shorter than
/// the TPKT length says.
fn mcs_bytes(tpkt: &[u8]) -> Option<(&[u8], Option<String>)> {
    if tpkt.len() < 7 || tpkt[0] != 3 {
        return None;
    }
    let declared = u16::from_be_bytes([tpkt[2], tpkt[3]]) as usize;
    if declared < 7 {
        return None;
    }
    let cut = (declared > tpkt.len())
        .then(|| format!("TPKT packet cut short: {} of {declared} bytes", tpkt.len()));
    let pkt = &tpkt[..declared.min(tpkt.len())];
    // X.224 Data TPDU (X.224 §13.7): LI, code 0xF0, EOT/sequence octet.
    let li = pkt[4] as usize;
    if pkt[5] & 0xf0 != 0xf0 {
        return None;
    }
    let mcs = pkt.get(5 + li..).filter(|m| !m.is_empty())?;
    Some((mcs, cut))
}

fn parse_domain_pdu(m: &[u8]) -> Option<McsPdu> {
    let b0 = m[0];
    let choice = b0 >> 2;
    let u16_at = |i: usize| m.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let user_at = |i: usize| u16_at(i).map(|v| v.saturating_add(USER_ID_BASE));
    // A 4-bit Result after the choice and one optional-field bit (T.125 PER aligned).
    let result = || m.get(1).map(|b1| ((b0 & 0x01) << 3) | (b1 >> 5));
    Some(match choice {
        domain::ERECT_DOMAIN_REQUEST => McsPdu::ErectDomainRequest,
        domain::ATTACH_USER_REQUEST => McsPdu::AttachUserRequest,
        domain::DISCONNECT_PROVIDER_ULTIMATUM => {
            let b1 = *m.get(1)?;
            McsPdu::DisconnectProviderUltimatum {
                reason: ((b0 & 0x03) << 1) | (b1 >> 7),
            }
        }
        domain::ATTACH_USER_CONFIRM => McsPdu::AttachUserConfirm {
            result: result()?,
            initiator: if b0 & 0x02 != 0 { user_at(2) } else { None },
        },
        domain::CHANNEL_JOIN_REQUEST => McsPdu::ChannelJoinRequest {
            initiator: user_at(1)?,
            channel: u16_at(3)?,
        },
        domain::CHANNEL_JOIN_CONFIRM => McsPdu::ChannelJoinConfirm {
            result: result()?,
            requested: u16_at(4)?,
            channel: if b0 & 0x02 != 0 { u16_at(6) } else { None },
        },
        domain::SEND_DATA_REQUEST | domain::SEND_DATA_INDICATION => {
            let initiator = user_at(1)?;
            let channel = u16_at(3)?;
            let mut c = Cur::new(m);
            c.skip(6)?;
            let len = per_len(&mut c)?;
            if choice == domain::SEND_DATA_REQUEST {
                McsPdu::SendDataRequest {
                    initiator,
                    channel,
                    len,
                }
            } else {
                McsPdu::SendDataIndication {
                    initiator,
                    channel,
                    len,
                }
            }
        }
        other => McsPdu::Other(other),
    })
}

fn parse_connect_pdu(m: &[u8], cut: Option<String>) -> McsPdu {
    let mut c = Cur::new(m);
    let Some(t) = ber_tlv(&mut c) else {
        return McsPdu::Other(0x7f);
    };
    let mut problems: Vec<String> = cut.into_iter().collect();
    if t.indefinite {
        problems.push("connect PDU with an indefinite BER length".into());
    }
    if let Some(d) = t.cut {
        problems.push(format!(
            "connect PDU cut short: {} of {d} bytes",
            t.content.len()
        ));
    }
    match (t.class, t.number) {
        (0x60, 101) => McsPdu::ConnectInitial(connect_initial(t.content, problems)),
        (0x60, 102) => match connect_response(t.content, problems) {
            Some(r) => McsPdu::ConnectResponse(r),
            None => McsPdu::Other(102),
        },
        (_, n) => McsPdu::Other(u8::try_from(n).unwrap_or(0x7f)),
    }
}

// BER universal tags as (class|constructed bits, number).
const BOOLEAN: (u8, u32) = (0x00, 1);
const INTEGER: (u8, u32) = (0x00, 2);
const OCTET_STRING: (u8, u32) = (0x00, 4);
const ENUMERATED: (u8, u32) = (0x00, 10);
const SEQUENCE: (u8, u32) = (0x20, 16);

/// Reads the elements of a connect PDU in their T.125 order; each is checked against the
/// expected tag and returned by position (`None` where absent or of another type).
fn connect_elements<'a>(
    body: &'a [u8],
    pdu: &str,
    expected: &[((u8, u32), &str)],
    problems: &mut Vec<String>,
) -> Vec<Option<&'a [u8]>> {
    let mut c = Cur::new(body);
    let mut out = Vec::with_capacity(expected.len());
    for &(tag, name) in expected {
        if c.left() == 0 {
            problems.push(format!("{pdu} ends before {name}"));
            break;
        }
        let Some(t) = ber_tlv(&mut c) else {
            problems.push(format!("{pdu} {name}: BER header cut short"));
            break;
        };
        if let Some(d) = t.cut {
            problems.push(format!(
                "{pdu} {name} cut short: {} of {d} bytes",
                t.content.len()
            ));
        }
        if (t.class, t.number) == tag {
            out.push(Some(t.content));
        } else {
            problems.push(format!(
                "{pdu} {name} has BER tag {:#04x}/{}, not {:#04x}/{}",
                t.class, t.number, tag.0, tag.1
            ));
            out.push(None);
        }
    }
    if c.left() > 0 {
        problems.push(format!("{} bytes after the {pdu} user data", c.left()));
    }
    out.resize(expected.len(), None);
    out
}

/// Connect-Initial (T.125 §7; MS-RDPBCGR 2.2.1.3).
fn connect_initial(body: &[u8], problems: Vec<String>) -> ConnectInitial {
    let mut ci = ConnectInitial {
        problems,
        ..Default::default()
    };
    let el = connect_elements(
        body,
        "Connect-Initial",
        &[
            (OCTET_STRING, "callingDomainSelector"),
            (OCTET_STRING, "calledDomainSelector"),
            (BOOLEAN, "upwardFlag"),
            (SEQUENCE, "targetParameters"),
            (SEQUENCE, "minimumParameters"),
            (SEQUENCE, "maximumParameters"),
            (OCTET_STRING, "userData"),
        ],
        &mut ci.problems,
    );
    ci.target_parameters = el[3].map(domain_parameters);
    if let Some(ud) = el[6] {
        let gcc = gcc_connect_data(ud, false, &mut ci.problems);
        if let Some(blocks) = gcc.blocks {
            client_blocks(blocks, &mut ci);
        }
    }
    ci
}

/// Connect-Response (T.125 §7; MS-RDPBCGR 2.2.1.4). `None` when the result is unreadable.
fn connect_response(body: &[u8], problems: Vec<String>) -> Option<ConnectResponse> {
    let mut cr = ConnectResponse {
        problems,
        ..Default::default()
    };
    let el = connect_elements(
        body,
        "Connect-Response",
        &[
            (ENUMERATED, "result"),
            (INTEGER, "calledConnectId"),
            (SEQUENCE, "domainParameters"),
            (OCTET_STRING, "userData"),
        ],
        &mut cr.problems,
    );
    let result = el[0].filter(|r| !r.is_empty())?;
    cr.result = u8::try_from(ber_uint(result)).unwrap_or(u8::MAX);
    cr.domain_parameters = el[2].map(domain_parameters);
    if let Some(ud) = el[3] {
        let gcc = gcc_connect_data(ud, true, &mut cr.problems);
        cr.gcc_result = gcc.result;
        cr.gcc_node_id = gcc.node_id;
        if let Some(blocks) = gcc.blocks {
            server_blocks(blocks, &mut cr);
        }
    }
    Some(cr)
}

fn domain_parameters(seq: &[u8]) -> DomainParameters {
    let mut v = [0u32; 8];
    let mut c = Cur::new(seq);
    for slot in v.iter_mut() {
        match ber_tlv(&mut c) {
            Some(t) if (t.class, t.number) == INTEGER => *slot = ber_uint(t.content),
            _ => break,
        }
    }
    DomainParameters {
        max_channel_ids: v[0],
        max_user_ids: v[1],
        max_token_ids: v[2],
        num_priorities: v[3],
        min_throughput: v[4],
        max_height: v[5],
        max_mcs_pdu_size: v[6],
        protocol_version: v[7],
    }
}

/// What the GCC layer gave: the data blocks and, for a response, its result and node id.
#[derive(Default)]
struct Gcc<'a> {
    blocks: Option<&'a [u8]>,
    result: Option<u8>,
    node_id: Option<u16>,
}

/// GCC ConnectData (T.124 §8.7, PER aligned) with a Conference Create Request or Response
/// (MS-RDPBCGR 2.2.1.3, 2.2.1.4), read field by field as every RDP peer writes it. When the
/// layout is not the usual one, the user data is found by its H.221 key ("Duca" from the
/// client, "McDn" from the server) and the deviation is reported.
fn gcc_connect_data<'a>(ud: &'a [u8], server: bool, problems: &mut Vec<String>) -> Gcc<'a> {
    let key: &[u8; 4] = if server { b"McDn" } else { b"Duca" };
    let what = if server {
        "GCC Conference Create Response"
    } else {
        "GCC Conference Create Request"
    };
    let mut gcc = Gcc::default();
    let mut c = Cur::new(ud);
    let structured = (|| -> Result<(), String> {
        // ConnectData: t124Identifier (Key CHOICE object = 0), OBJECT IDENTIFIER.
        if c.u8().ok_or("ConnectData is empty")? != 0 {
            return Err("ConnectData key is not an object identifier".into());
        }
        let oid_len = c
            .u8()
            .ok_or("ConnectData cut before the T.124 identifier")? as usize;
        let oid = c
            .take(oid_len)
            .ok_or("ConnectData cut in the T.124 identifier")?;
        if oid != T124_OID {
            problems.push(format!(
                "T.124 identifier is {oid:02x?}, not 0.0.20.124.0.1"
            ));
        }
        let pdu_len = per_len(&mut c).ok_or("ConnectData cut before the connect PDU")?;
        if pdu_len > c.left() {
            problems.push(format!("{what} cut short: {} of {pdu_len} bytes", c.left()));
        }
        let b0 = c.u8().ok_or("connect PDU is empty")?;
        let choice = (b0 >> 4) & 0x07;
        if server {
            if choice != 1 {
                return Err(format!(
                    "ConnectGCCPDU choice {choice}, not conferenceCreateResponse"
                ));
            }
            let node = c.u16_be().ok_or("cut before nodeID")?;
            gcc.node_id = Some(node.saturating_add(USER_ID_BASE));
            let tag_len = c.u8().ok_or("cut before tag")? as usize;
            c.take(tag_len).ok_or("cut in tag")?;
            let r = c.u8().ok_or("cut before result")?;
            gcc.result = Some((r >> 4) & 0x07);
            if r & 0x80 != 0 {
                problems.push(format!("{what} result is an extension value"));
            }
            if b0 & 0x04 == 0 {
                return Ok(()); // No userData.
            }
        } else {
            if choice != 0 {
                return Err(format!(
                    "ConnectGCCPDU choice {choice}, not conferenceCreateRequest"
                ));
            }
            let sel = c.u8().ok_or("cut before the optional fields")?;
            if sel & 0x08 == 0 {
                return Err("userData not flagged present".into());
            }
            // conferenceName numeric: length - 1, then 4 bits a digit.
            let n = c.u8().ok_or("cut before conferenceName")? as usize + 1;
            c.take(n.div_ceil(2)).ok_or("cut in conferenceName")?;
            c.u8().ok_or("cut before terminationMethod")?;
        }
        let sets = c.u8().ok_or("cut before userData")?;
        if sets != 1 {
            problems.push(format!("{what} carries {sets} user data sets, not 1"));
        }
        let item = c.u8().ok_or("cut before the user data item")?;
        if item & 0xc0 != 0xc0 {
            return Err(format!(
                "user data item {item:#04x} is not an H.221 key with a value"
            ));
        }
        let klen = c.u8().ok_or("cut before the H.221 key")? as usize + 4;
        let k = c.take(klen).ok_or("cut in the H.221 key")?;
        if k != key {
            return Err(format!(
                "H.221 key {k:02x?}, not {:?}",
                std::str::from_utf8(key).unwrap_or("")
            ));
        }
        let len = per_len(&mut c).ok_or("cut before the user data length")?;
        let rest = c.rest();
        if len > rest.len() {
            problems.push(format!(
                "{what} user data cut short: {} of {len} bytes",
                rest.len()
            ));
        }
        gcc.blocks = Some(&rest[..len.min(rest.len())]);
        Ok(())
    })();
    if let Err(e) = structured {
        problems.push(format!("{what}: {e}"));
        // Fallback: find the H.221 key and read the length after it.
        if gcc.blocks.is_none()
            && let Some(p) = ud.windows(4).position(|w| w == key)
        {
            let mut c = Cur::new(&ud[p + 4..]);
            if let Some(len) = per_len(&mut c) {
                let rest = c.rest();
                problems.push(format!(
                    "{what}: user data found by its H.221 key at offset {p}"
                ));
                gcc.blocks = Some(&rest[..len.min(rest.len())]);
            }
        }
    }
    gcc
}

/// Walks TS_UD_HEADER blocks (MS-RDPBCGR 2.2.1.3.1), calling `f(type, body)`.
fn walk_blocks<'a>(
    b: &'a [u8],
    problems: &mut Vec<String>,
    mut f: impl FnMut(u16, &'a [u8], &mut Vec<String>),
) {
    let mut c = Cur::new(b);
    while c.left() >= 4 {
        let ty = c.u16_le().unwrap_or(0);
        let len = c.u16_le().unwrap_or(0) as usize;
        if len < 4 {
            problems.push(format!("data block {ty:#06x} has length {len}"));
            return;
        }
        let want = len - 4;
        if want > c.left() {
            problems.push(format!(
                "data block {ty:#06x} cut short: {} of {want} bytes",
                c.left()
            ));
        }
        let body = c.take(want.min(c.left())).unwrap_or(&[]);
        f(ty, body, problems);
    }
    if c.left() > 0 {
        problems.push(format!("{} stray bytes after the data blocks", c.left()));
    }
}

fn client_blocks(b: &[u8], ci: &mut ConnectInitial) {
    let mut types = Vec::new();
    let mut core = None;
    let mut security = None;
    let mut cluster = None;
    let mut channels = Vec::new();
    let mut options = Vec::new();
    walk_blocks(b, &mut ci.problems, |ty, body, problems| {
        types.push(ty);
        match ty {
            block::CS_CORE => core = Some(client_core(body, problems)),
            block::CS_SECURITY => {
                let mut c = Cur::new(body);
                if body.len() < 8 {
                    problems.push(format!(
                        "Client Security Data cut short: {} of 8 bytes",
                        body.len()
                    ));
                }
                security = Some(ClientSecurityData {
                    encryption_methods: c.u32_le().unwrap_or(0),
                    ext_encryption_methods: c.u32_le().unwrap_or(0),
                });
            }
            block::CS_NET => {
                let mut c = Cur::new(body);
                let count = c.u32_le().unwrap_or(0) as usize;
                if count > 31 {
                    problems.push(format!(
                        "Client Network Data asks for {count} channels (at most 31)"
                    ));
                }
                let fit = c.left() / 12;
                if count > fit {
                    problems.push(format!(
                        "Client Network Data holds {fit} of its {count} channel definitions"
                    ));
                }
                for _ in 0..count.min(fit) {
                    let name = c.take(8).unwrap_or(&[]);
                    let end = name.iter().position(|&x| x == 0).unwrap_or(name.len());
                    channels.push(String::from_utf8_lossy(&name[..end]).into_owned());
                    options.push(c.u32_le().unwrap_or(0));
                }
            }
            block::CS_CLUSTER => {
                let mut c = Cur::new(body);
                if body.len() < 8 {
                    problems.push(format!(
                        "Client Cluster Data cut short: {} of 8 bytes",
                        body.len()
                    ));
                }
                cluster = Some(ClientClusterData {
                    flags: c.u32_le().unwrap_or(0),
                    redirected_session_id: c.u32_le().unwrap_or(0),
                });
            }
            _ => {}
        }
    });
    ci.block_types = types;
    ci.client_core = core;
    ci.client_security = security;
    ci.cluster = cluster;
    ci.channels = channels;
    ci.channel_options = options;
}

/// Client Core Data (MS-RDPBCGR 2.2.1.3.2), after its header.
fn client_core(b: &[u8], problems: &mut Vec<String>) -> ClientCoreData {
    if b.len() < 128 {
        problems.push(format!(
            "Client Core Data cut short: {} of its 128 mandatory bytes",
            b.len()
        ));
    }
    let mut c = Cur::new(b);
    let mut d = ClientCoreData {
        version: c.u32_le().unwrap_or(0),
        desktop_width: c.u16_le().unwrap_or(0),
        desktop_height: c.u16_le().unwrap_or(0),
        color_depth: c.u16_le().unwrap_or(0),
        sas_sequence: c.u16_le().unwrap_or(0),
        keyboard_layout: c.u32_le().unwrap_or(0),
        client_build: c.u32_le().unwrap_or(0),
        client_name: c.take(32).map(utf16z).unwrap_or_default(),
        keyboard_type: c.u32_le().unwrap_or(0),
        keyboard_subtype: c.u32_le().unwrap_or(0),
        keyboard_function_key: c.u32_le().unwrap_or(0),
        ime_file_name: c.take(64).map(utf16z).unwrap_or_default(),
        ..Default::default()
    };
    d.post_beta2_color_depth = c.u16_le();
    d.client_product_id = c.u16_le();
    d.serial_number = c.u32_le();
    d.high_color_depth = c.u16_le();
    d.supported_color_depths = c.u16_le();
    d.early_capability_flags = c.u16_le();
    d.client_dig_product_id = c.take(64).map(utf16z);
    d.connection_type = c.u8();
    let _pad1octet = c.u8();
    d.server_selected_protocol = c.u32_le();
    d.desktop_physical_width = c.u32_le();
    d.desktop_physical_height = c.u32_le();
    d.desktop_orientation = c.u16_le();
    d.desktop_scale_factor = c.u32_le();
    d.device_scale_factor = c.u32_le();
    d
}

fn server_blocks(b: &[u8], cr: &mut ConnectResponse) {
    let mut types = Vec::new();
    let mut core = None;
    let mut net = None;
    let mut sec = None;
    walk_blocks(b, &mut cr.problems, |ty, body, problems| {
        types.push(ty);
        let mut c = Cur::new(body);
        match ty {
            block::SC_CORE => {
                if body.len() < 4 {
                    problems.push(format!(
                        "Server Core Data cut short: {} of 4 bytes",
                        body.len()
                    ));
                }
                core = Some(ServerCoreData {
                    version: c.u32_le().unwrap_or(0),
                    client_requested_protocols: c.u32_le(),
                    early_capability_flags: c.u32_le(),
                });
            }
            block::SC_NET => {
                let io_channel = c.u16_le().unwrap_or(0);
                let count = c.u16_le().unwrap_or(0) as usize;
                let fit = c.left() / 2;
                if count > fit {
                    problems.push(format!(
                        "Server Network Data holds {fit} of its {count} channel ids"
                    ));
                }
                let channel_ids = (0..count.min(fit)).filter_map(|_| c.u16_le()).collect();
                net = Some(ServerNetworkData {
                    io_channel,
                    channel_ids,
                });
            }
            block::SC_SECURITY => sec = Some(server_security(body, problems)),
            _ => {}
        }
    });
    cr.block_types = types;
    cr.server_core = core;
    cr.server_network = net;
    cr.server_security = sec;
}

/// Server Security Data (MS-RDPBCGR 2.2.1.4.3), after its header.
fn server_security(b: &[u8], problems: &mut Vec<String>) -> ServerSecurityData {
    let mut c = Cur::new(b);
    if b.len() < 8 {
        problems.push(format!(
            "Server Security Data cut short: {} of 8 bytes",
            b.len()
        ));
    }
    let mut s = ServerSecurityData {
        encryption_method: c.u32_le().unwrap_or(0),
        encryption_level: c.u32_le().unwrap_or(0),
        ..Default::default()
    };
    if c.left() == 0 {
        if s.encryption_method != 0 || s.encryption_level != 0 {
            problems.push("Server Security Data without server random or certificate".into());
        }
        return s;
    }
    s.server_random_len = c.u32_le().unwrap_or(0);
    s.server_cert_len = c.u32_le().unwrap_or(0);
    let random_len = s.server_random_len as usize;
    if random_len > c.left() {
        problems.push(format!(
            "server random cut short: {} of {random_len} bytes",
            c.left()
        ));
    }
    c.skip(random_len.min(c.left()));
    let cert_len = s.server_cert_len as usize;
    if cert_len > c.left() {
        problems.push(format!(
            "server certificate cut short: {} of {cert_len} bytes",
            c.left()
        ));
    }
    let cert = c.take(cert_len.min(c.left())).unwrap_or(&[]);
    if !cert.is_empty() {
        s.cert = server_certificate(cert, problems);
    }
    s
}

/// Server Certificate (MS-RDPBCGR 2.2.1.4.3.1): dwVersion, then a Proprietary Certificate
/// (2.2.1.4.3.1.1) or an X.509 Certificate Chain (MS-RDPELE 2.2.1.4.2).
fn server_certificate(b: &[u8], problems: &mut Vec<String>) -> Option<ServerCertificate> {
    let mut c = Cur::new(b);
    let version = c.u32_le()?;
    let mut cert = ServerCertificate {
        kind: CertKind::Unknown(version & 0x7fff_ffff),
        permanent: version & 0x8000_0000 == 0,
        public_key_bits: None,
        x509_chain: Vec::new(),
    };
    match version & 0x7fff_ffff {
        1 => {
            cert.kind = CertKind::Proprietary;
            // dwSigAlgId, dwKeyAlgId, wPublicKeyBlobType, wPublicKeyBlobLen, PublicKeyBlob.
            c.skip(8);
            let _blob_type = c.u16_le();
            let blob_len = c.u16_le().unwrap_or(0) as usize;
            match c.take(blob_len) {
                Some(blob) if blob.starts_with(b"RSA1") && blob.len() >= 12 => {
                    cert.public_key_bits =
                        Some(u32::from_le_bytes([blob[8], blob[9], blob[10], blob[11]]));
                }
                Some(_) => problems.push("proprietary certificate key is not an RSA1 blob".into()),
                None => problems.push("proprietary certificate cut in its public key".into()),
            }
        }
        2 => {
            let n = c.u32_le().unwrap_or(0);
            cert.kind = CertKind::X509 { cert_count: n };
            for i in 0..n {
                let Some(len) = c.u32_le() else {
                    problems.push(format!("X.509 chain cut after {i} of {n} certificates"));
                    break;
                };
                match c.take(len as usize) {
                    Some(der) => cert.x509_chain.push(der.to_vec()),
                    None => {
                        problems.push(format!("X.509 chain cut in certificate {} of {n}", i + 1));
                        break;
                    }
                }
            }
        }
        other => problems.push(format!("unknown certificate chain version {other}")),
    }
    Some(cert)
}

// ---------------------------------------------------------------------------------------
// Byte readers
// ---------------------------------------------------------------------------------------

/// A cursor that never panics; once a read does not fit, it is exhausted, so a later
/// shorter read cannot pick up misaligned bytes.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, pos: 0 }
    }
    fn left(&self) -> usize {
        self.b.len() - self.pos
    }
    fn rest(&self) -> &'a [u8] {
        &self.b[self.pos..]
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.left() {
            self.pos = self.b.len();
            return None;
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Some(s)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u16_be(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_be_bytes([s[0], s[1]]))
    }
    fn u16_le(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32_le(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// One BER element (X.690 §8.1).
struct Tlv<'a> {
    /// Class and constructed bits of the identifier octet (0x60 = application, constructed).
    class: u8,
    number: u32,
    /// The content present (clipped to the input).
    content: &'a [u8],
    /// The declared length when more than is present.
    cut: Option<usize>,
    indefinite: bool,
}

fn ber_tlv<'a>(c: &mut Cur<'a>) -> Option<Tlv<'a>> {
    let id = c.u8()?;
    let class = id & 0xe0;
    let mut number = u32::from(id & 0x1f);
    if number == 0x1f {
        number = 0;
        for i in 0..4 {
            let b = c.u8()?;
            number = (number << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
            if i == 3 {
                return None;
            }
        }
    }
    let l0 = c.u8()?;
    let (len, indefinite) = match l0 {
        0x80 => (c.left(), true),
        n if n < 0x80 => (n as usize, false),
        n => {
            let k = (n & 0x7f) as usize;
            if k > 4 {
                return None;
            }
            let bytes = c.take(k)?;
            (
                bytes.iter().fold(0usize, |a, &b| (a << 8) | b as usize),
                false,
            )
        }
    };
    let have = len.min(c.left());
    let content = c.take(have).unwrap_or(&[]);
    Some(Tlv {
        class,
        number,
        content,
        cut: (len > have).then_some(len),
        indefinite,
    })
}

/// An unsigned BER INTEGER/ENUMERATED value, saturating at `u32::MAX`.
fn ber_uint(b: &[u8]) -> u32 {
    let v = b.iter().fold(0u64, |a, &x| {
        (a << 8 | u64::from(x)).min(u64::from(u32::MAX) + 1)
    });
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A PER length determinant (X.691 §11.9.3.6–8): one octet below 128, two octets with the
/// top bit set; a fragment count (0xC0 | m) gives the m × 16K of its first fragment.
fn per_len(c: &mut Cur) -> Option<usize> {
    let b = c.u8()?;
    if b & 0x80 == 0 {
        Some(b as usize)
    } else if b & 0x40 == 0 {
        let b2 = c.u8()?;
        Some(((b & 0x3f) as usize) << 8 | b2 as usize)
    } else {
        Some((b & 0x3f) as usize * 16384)
    }
}

/// A NUL-terminated UTF-16LE string (unpaired surrogates become U+FFFD); also a field of
/// known length with no NUL (MS-NLMP, TS_INFO_PACKET).
pub(crate) fn utf16z(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

/// T.125 `Result` (T.125 §7).
pub fn mcs_result_name(r: u8) -> String {
    const NAMES: [&str; 16] = [
        "rt-successful",
        "rt-domain-merging",
        "rt-domain-not-hierarchical",
        "rt-no-such-channel",
        "rt-no-such-domain",
        "rt-no-such-user",
        "rt-not-admitted",
        "rt-other-user-id",
        "rt-parameters-unacceptable",
        "rt-token-not-available",
        "rt-token-not-possessed",
        "rt-too-many-channels",
        "rt-too-many-tokens",
        "rt-too-many-users",
        "rt-unspecified-failure",
        "rt-user-rejected",
    ];
    NAMES
        .get(r as usize)
        .map_or_else(|| format!("result-{r}"), |n| (*n).to_string())
}

/// T.125 `Reason` of a Disconnect Provider Ultimatum (T.125 §7).
pub fn reason_name(r: u8) -> String {
    const NAMES: [&str; 5] = [
        "rn-domain-disconnected",
        "rn-provider-initiated",
        "rn-token-purged",
        "rn-user-requested",
        "rn-channel-purged",
    ];
    NAMES
        .get(r as usize)
        .map_or_else(|| format!("reason-{r}"), |n| (*n).to_string())
}

/// T.124 ConferenceCreateResponse `result`, as Zeek names it in `rdp.log` (`result`).
pub fn gcc_result_name(r: u8) -> String {
    match r {
        0 => "Success".into(),
        1 => "User rejected".into(),
        2 => "Resources not available".into(),
        3 => "Rejected for symmetry breaking".into(),
        4 => "Locked conference".into(),
        other => format!("result-{other}"),
    }
}

/// Client Core Data `version` (MS-RDPBCGR 2.2.1.3.2).
pub fn rdp_version_name(v: u32) -> String {
    match v {
        0x0008_0001 => "RDP 4.0".into(),
        0x0008_0004 => "RDP 5.0 to 8.1".into(),
        0x0008_0005 => "RDP 10.0".into(),
        0x0008_0006..=0x0008_0011 => format!("RDP 10.{}", v - 0x0008_0005),
        other => format!("version-0x{other:08x}"),
    }
}

/// Names of the RNS_UD_CS_* early capability flags set (MS-RDPBCGR 2.2.1.3.2), unknown bits
/// in hex.
pub fn early_capability_names(flags: u16) -> Vec<String> {
    use early_capability as e;
    const NAMES: [(u16, &str); 12] = [
        (e::SUPPORT_ERRINFO_PDU, "SUPPORT_ERRINFO_PDU"),
        (e::WANT_32BPP_SESSION, "WANT_32BPP_SESSION"),
        (e::SUPPORT_STATUSINFO_PDU, "SUPPORT_STATUSINFO_PDU"),
        (e::STRONG_ASYMMETRIC_KEYS, "STRONG_ASYMMETRIC_KEYS"),
        (e::RELATIVE_MOUSE_INPUT, "RELATIVE_MOUSE_INPUT"),
        (e::VALID_CONNECTION_TYPE, "VALID_CONNECTION_TYPE"),
        (e::SUPPORT_MONITOR_LAYOUT_PDU, "SUPPORT_MONITOR_LAYOUT_PDU"),
        (e::SUPPORT_NETCHAR_AUTODETECT, "SUPPORT_NETCHAR_AUTODETECT"),
        (e::SUPPORT_DYNVC_GFX_PROTOCOL, "SUPPORT_DYNVC_GFX_PROTOCOL"),
        (e::SUPPORT_DYNAMIC_TIME_ZONE, "SUPPORT_DYNAMIC_TIME_ZONE"),
        (e::SUPPORT_HEARTBEAT_PDU, "SUPPORT_HEARTBEAT_PDU"),
        (e::SUPPORT_SKIP_CHANNELJOIN, "SUPPORT_SKIP_CHANNELJOIN"),
    ];
    (0..16)
        .map(|i| 1u16 << i)
        .filter(|bit| flags & bit != 0)
        .map(|bit| {
            NAMES
                .iter()
                .find(|(b, _)| *b == bit)
                .map_or_else(|| format!("0x{bit:04x}"), |(_, n)| (*n).to_string())
        })
        .collect()
}

/// Name of an RDP client build number (`clientBuild`), as Zeek logs it (`client_build`).
pub fn client_build_name(build: u32) -> String {
    match build {
        419 => "RDP 4.0",
        2195 | 2221 => "RDP 5.0",
        2600 => "RDP 5.1",
        3790 => "RDP 5.2",
        6000 => "RDP 6.0",
        6001 => "RDP 6.1",
        6002 => "RDP 6.2",
        7600 => "RDP 7.0",
        7601 => "RDP 7.1",
        9200 => "RDP 8.0",
        9600 => "RDP 8.1",
        25189 | 25282 => "RDP 8.0 (Mac)",
        other => return format!("client_build-{other}"),
    }
    .into()
}

/// Name of a `highColorDepth` value, as Zeek logs it (`requested_color_depth`, see also
/// [`ClientCoreData::requested_color_depth`]).
pub fn color_depth_name(depth: u16) -> String {
    match depth {
        4 => "4bit".into(),
        8 => "8bit".into(),
        15 => "15bit".into(),
        16 => "16bit".into(),
        24 => "24bit".into(),
        other => format!("high_color_depth-{other}"),
    }
}

/// ENCRYPTION_METHOD_* (MS-RDPBCGR 2.2.1.4.3), as Zeek logs it (`encryption_method`).
pub fn encryption_method_name(m: u32) -> String {
    match m {
        0 => "None".into(),
        0x01 => "40bit".into(),
        0x02 => "128bit".into(),
        0x08 => "56bit".into(),
        0x10 => "FIPS".into(),
        other => format!("encryption_method-{other}"),
    }
}

/// The methods set in a Client Security Data `encryptionMethods` bit set.
pub fn encryption_method_names(flags: u32) -> Vec<String> {
    (0..32)
        .map(|i| 1u32 << i)
        .filter(|bit| flags & bit != 0)
        .map(encryption_method_name)
        .collect()
}

/// ENCRYPTION_LEVEL_* (MS-RDPBCGR 2.2.1.4.3), as Zeek logs it (`encryption_level`).
pub fn encryption_level_name(l: u32) -> String {
    match l {
        0 => "None".into(),
        1 => "Low".into(),
        2 => "Client compatible".into(),
        3 => "High".into(),
        4 => "FIPS".into(),
        other => format!("encryption_level-{other}"),
    }
}

/// Server certificate chain version, as Zeek logs it (`cert_type`): "RSA" for the
/// proprietary certificate, "X.509".
pub fn cert_type_name(chain_version: u32) -> String {
    match chain_version {
        1 => "RSA".into(),
        2 => "X.509".into(),
        other => format!("cert_type-{other}"),
    }
}

/// Name of a keyboard layout identifier, as Zeek logs it (`keyboard_layout`): the layout's
/// name; else, when its low 16 bits (the language identifier) are known, that language's
/// name with "(Best Guess for N)"; else "keyboard-N".
pub fn keyboard_layout_name(layout: u32) -> String {
    if let Some(n) = layout_lookup(layout) {
        return n.to_string();
    }
    match layout_lookup(layout & 0xffff) {
        Some(n) => format!("{n} (Best Guess for {layout})"),
        None => format!("keyboard-{layout}"),
    }
}

fn layout_lookup(id: u32) -> Option<&'static str> {
    KEYBOARD_LAYOUTS
        .binary_search_by_key(&id, |&(k, _)| k)
        .ok()
        .map(|i| KEYBOARD_LAYOUTS[i].1)
}

/// Keyboard layout identifiers (a language identifier in the low 16 bits, a variant above)
/// and the names Zeek gives them, sorted. Source of the names: Zeek's
/// `scripts/base/protocols/rdp/consts.zeek` (`RDP::languages`), itself from Microsoft's
/// language pack tables; two slips there are not followed (see the tests).
static KEYBOARD_LAYOUTS: &[(u32, &str)] = &[
    (0x00000401, "Arabic - Saudi Arabia"),
    (0x00000402, "Bulgarian"),
    (0x00000403, "Catalan"),
    (0x00000404, "Chinese - Taiwan"),
    (0x00000405, "Czech"),
    (0x00000406, "Danish"),
    (0x00000407, "German - Germany"),
    (0x00000408, "Greek"),
    (0x00000409, "English - United States"),
    (0x0000040a, "Spanish - Spain (Traditional Sort)"),
    (0x0000040b, "Finnish"),
    (0x0000040c, "French - France"),
    (0x0000040d, "Hebrew"),
    (0x0000040e, "Hungarian"),
    (0x0000040f, "Icelandic"),
    (0x00000410, "Italian - Italy"),
    (0x00000411, "Japanese"),
    (0x00000412, "Korean"),
    (0x00000413, "Dutch - Netherlands"),
    (0x00000414, "Norwegian (Bokmal)"),
    (0x00000415, "Polish"),
    (0x00000416, "Portuguese - Brazil"),
    (0x00000417, "Rhaeto-Romanic"),
    (0x00000418, "Romanian"),
    (0x00000419, "Russian"),
    (0x0000041a, "Croatian"),
    (0x0000041b, "Slovak"),
    (0x0000041c, "Albanian - Albania"),
    (0x0000041d, "Swedish"),
    (0x0000041e, "Thai"),
    (0x0000041f, "Turkish"),
    (0x00000420, "Urdu"),
    (0x00000421, "Indonesian"),
    (0x00000422, "Ukrainian"),
    (0x00000423, "Belarusian"),
    (0x00000424, "Slovenian"),
    (0x00000425, "Estonian"),
    (0x00000426, "Latvian"),
    (0x00000427, "Lithuanian"),
    (0x00000428, "Tajik"),
    (0x00000429, "Farsi"),
    (0x0000042a, "Vietnamese"),
    (0x0000042b, "Armenian - Armenia"),
    (0x0000042c, "Azeri (Latin)"),
    (0x0000042d, "Basque"),
    (0x0000042e, "Sorbian"),
    (0x0000042f, "FYRO Macedonian"),
    (0x00000430, "Sutu"),
    (0x00000431, "Tsonga"),
    (0x00000432, "Tswana"),
    (0x00000433, "Venda"),
    (0x00000434, "Xhosa"),
    (0x00000435, "Zulu"),
    (0x00000436, "Afrikaans - South Africa"),
    (0x00000437, "Georgian"),
    (0x00000438, "Faroese"),
    (0x00000439, "Hindi"),
    (0x0000043a, "Maltese"),
    (0x0000043b, "Sami (Lappish)"),
    (0x0000043c, "Scottish Gaelic"),
    (0x0000043d, "Yiddish"),
    (0x0000043e, "Malay - Malaysia"),
    (0x0000043f, "Kazakh"),
    (0x00000440, "Kyrgyz (Cyrillic)"),
    (0x00000441, "Swahili"),
    (0x00000442, "Turkmen"),
    (0x00000443, "Uzbek (Latin)"),
    (0x00000444, "Tatar"),
    (0x00000445, "Bengali (India)"),
    (0x00000446, "Punjabi"),
    (0x00000447, "Gujarati"),
    (0x00000448, "Oriya"),
    (0x00000449, "Tamil"),
    (0x0000044a, "Telugu"),
    (0x0000044b, "Kannada"),
    (0x0000044c, "Malayalam"),
    (0x0000044d, "Assamese"),
    (0x0000044e, "Marathi"),
    (0x0000044f, "Sanskrit"),
    (0x00000450, "Mongolian (Cyrillic)"),
    (0x00000451, "Tibetan - People's Republic of China"),
    (0x00000452, "Welsh"),
    (0x00000453, "Khmer"),
    (0x00000454, "Lao"),
    (0x00000455, "Burmese"),
    (0x00000456, "Galician"),
    (0x00000457, "Konkani"),
    (0x00000458, "Manipuri"),
    (0x00000459, "Sindhi - India"),
    (0x0000045a, "Syriac"),
    (0x0000045b, "Sinhalese - Sri Lanka"),
    (0x0000045c, "Cherokee - United States"),
    (0x0000045d, "Inuktitut"),
    (0x0000045e, "Amharic - Ethiopia"),
    (0x0000045f, "Tamazight (Arabic)"),
    (0x00000460, "Kashmiri (Arabic)"),
    (0x00000461, "Nepali"),
    (0x00000462, "French - West Indies"),
    (0x00000463, "Pashto"),
    (0x00000464, "Filipino"),
    (0x00000465, "Divehi"),
    (0x00000466, "Edo"),
    (0x00000467, "Fulfulde - Nigeria"),
    (0x00000468, "Hausa - Nigeria"),
    (0x00000469, "Ibibio - Nigeria"),
    (0x0000046a, "Yoruba"),
    (0x0000046b, "Quecha - Bolivia"),
    (0x0000046c, "Sepedi"),
    (0x0000046d, "Bashkir"),
    (0x0000046e, "Luxembourgish"),
    (0x0000046f, "Greenlandic"),
    (0x00000470, "Igbo - Nigeria"),
    (0x00000471, "Kanuri - Nigeria"),
    (0x00000472, "Oromo"),
    (0x00000473, "Tigrigna - Ethiopia"),
    (0x00000474, "Guarani - Paraguay"),
    (0x00000475, "Hawaiian - United States"),
    (0x00000476, "Latin"),
    (0x00000477, "Somali"),
    (0x00000478, "Yi"),
    (0x00000479, "Papiamentu"),
    (0x0000047a, "Mapudungun"),
    (0x0000047c, "Mohawk"),
    (0x0000047e, "Breton"),
    (0x00000480, "Uighur - China"),
    (0x00000481, "Maori - New Zealand"),
    (0x00000482, "Occitan"),
    (0x00000483, "Corsican"),
    (0x00000484, "Alsatian"),
    (0x00000485, "Yakut"),
    (0x00000486, "K'iche"),
    (0x00000487, "Kinyarwanda"),
    (0x00000488, "Wolof"),
    (0x0000048c, "Dari"),
    (0x000004ff, "HID (Human Interface Device)"),
    (0x00000801, "Arabic - Iraq"),
    (0x00000804, "Chinese - People's Republic of China"),
    (0x00000807, "German - Switzerland"),
    (0x00000809, "English - United Kingdom"),
    (0x0000080a, "Spanish - Mexico"),
    (0x0000080c, "French - Belgium"),
    (0x00000810, "Italian - Switzerland"),
    (0x00000813, "Dutch - Belgium"),
    (0x00000814, "Norwegian (Nynorsk)"),
    (0x00000816, "Portuguese - Portugal"),
    (0x00000818, "Romanian - Moldava"),
    (0x00000819, "Russian - Moldava"),
    (0x0000081a, "Serbian (Latin)"),
    (0x0000081d, "Swedish - Finland"),
    (0x00000820, "Urdu - India"),
    (0x0000082c, "Azeri (Cyrillic)"),
    (0x0000083b, "Sami (Northern) - Sweden"),
    (0x0000083c, "Irish"),
    (0x0000083e, "Malay - Brunei Darussalam"),
    (0x00000843, "Uzbek (Cyrillic)"),
    (0x00000845, "Bengali (Bangladesh)"),
    (0x00000846, "Punjabi (Pakistan)"),
    (0x00000849, "Tamil - Sri Lanka"),
    (0x00000850, "Mongolian (Mongolian)"),
    (0x00000851, "Tibetan - Bhutan"),
    (0x00000859, "Sindhi - Pakistan"),
    (0x0000085d, "Inuktitut (Latin) - Canada"),
    (0x0000085f, "Tamazight (Latin)"),
    (0x00000860, "Kashmiri"),
    (0x00000861, "Nepali - India"),
    (0x00000867, "Pular - Senegal"),
    (0x0000086b, "Quecha - Ecuador"),
    (0x00000873, "Tigrigna - Eritrea"),
    (0x00000c01, "Arabic - Egypt"),
    (0x00000c04, "Chinese - Hong Kong SAR"),
    (0x00000c07, "German - Austria"),
    (0x00000c09, "English - Australia"),
    (0x00000c0a, "Spanish - Spain (Modern Sort)"),
    (0x00000c0c, "French - Canada"),
    (0x00000c1a, "Serbian (Cyrillic)"),
    (0x00000c3b, "Sami (Northern) - Finland"),
    (0x00000c51, "Dzongkha"),
    (0x00000c6b, "Quecha - Peru CB"),
    (0x00001001, "Arabic - Libya"),
    (0x00001004, "Chinese - Singapore"),
    (0x00001007, "German - Luxembourg"),
    (0x00001009, "English - Canada"),
    (0x0000100a, "Spanish - Guatemala"),
    (0x0000100c, "French - Switzerland"),
    (0x0000101a, "Croatian (Bosnia/Herzegovina)"),
    (0x0000103b, "Sami (Lule) - Norway"),
    (0x0000105f, "Central Atlas Tamazight (Tifinagh) - Morocco"),
    (0x00001401, "Arabic - Algeria"),
    (0x00001404, "Chinese - Macao SAR"),
    (0x00001407, "German - Liechtenstein"),
    (0x00001409, "English - New Zealand"),
    (0x0000140a, "Spanish - Costa Rica"),
    (0x0000140c, "French - Luxembourg"),
    (0x0000141a, "Bosnian (Bosnia/Herzegovina)"),
    (0x0000143b, "Sami (Lule) - Sweden"),
    (0x00001801, "Arabic - Morocco"),
    (0x00001809, "English - Ireland"),
    (0x0000180a, "Spanish - Panama"),
    (0x0000180c, "French - Monaco"),
    (0x0000181a, "Serbian (Latin) - Bosnia and Herzegovina"),
    (0x0000183b, "Sami (Southern) - Norway"),
    (0x00001c01, "Arabic - Tunisia"),
    (0x00001c09, "English - South Africa"),
    (0x00001c0a, "Spanish - Dominican Republic"),
    (0x00001c0c, "French - West Indies"),
    (0x00001c3b, "Sami (Southern) - Sweden"),
    (0x00002001, "Arabic - Oman"),
    (0x00002009, "English - Jamaica"),
    (0x0000200a, "Spanish - Venezuela"),
    (0x0000200c, "French - Reunion"),
    (0x0000201a, "Bosnian (Cyrillic) - Bosnia and Herzegovina"),
    (0x0000203b, "Sami (Skolt) - Finland"),
    (0x00002401, "Arabic - Yemen"),
    (0x00002409, "English - Caribbean"),
    (0x0000240a, "Spanish - Colombia"),
    (0x0000240c, "French - Democratic Rep. of Congo"),
    (0x0000241a, "Serbian (Latin) - Serbia"),
    (0x0000243b, "Sami (Inari) - Finland"),
    (0x00002801, "Arabic - Syria"),
    (0x00002809, "English - Belize"),
    (0x0000280a, "Spanish - Peru"),
    (0x0000280c, "French - Senegal"),
    (0x0000281a, "Serbian (Cyrillic) - Serbia"),
    (0x00002c01, "Arabic - Jordan"),
    (0x00002c09, "English - Trinidad"),
    (0x00002c0a, "Spanish - Argentina"),
    (0x00002c0c, "French - Cameroon"),
    (0x00002c1a, "Serbian (Latin) - Montenegro"),
    (0x00003001, "Arabic - Lebanon"),
    (0x00003009, "English - Zimbabwe"),
    (0x0000300a, "Spanish - Ecuador"),
    (0x0000300c, "French - Cote d'Ivoire"),
    (0x0000301a, "Serbian (Cyrillic) - Montenegro"),
    (0x00003401, "Arabic - Kuwait"),
    (0x00003409, "English - Philippines"),
    (0x0000340a, "Spanish - Chile"),
    (0x0000340c, "French - Mali"),
    (0x00003801, "Arabic - U.A.E."),
    (0x00003809, "English - Indonesia"),
    (0x0000380a, "Spanish - Uruguay"),
    (0x0000380c, "French - Morocco"),
    (0x00003c01, "Arabic - Bahrain"),
    (0x00003c09, "English - Hong Kong SAR"),
    (0x00003c0a, "Spanish - Paraguay"),
    (0x00003c0c, "French - Haiti"),
    (0x00004001, "Arabic - Qatar"),
    (0x00004009, "English - India"),
    (0x0000400a, "Spanish - Bolivia"),
    (0x00004409, "English - Malaysia"),
    (0x0000440a, "Spanish - El Salvador"),
    (0x00004809, "English - Singapore"),
    (0x0000480a, "Spanish - Honduras"),
    (0x00004c0a, "Spanish - Nicaragua"),
    (0x0000500a, "Spanish - Puerto Rico"),
    (0x0000540a, "Spanish - United States"),
    (0x0000580a, "Spanish - Latin America"),
    (0x00007c04, "Chinese - Traditional"),
    (0x0000e40c, "French - North Africa"),
    (0x00010401, "Arabic (102)"),
    (0x00010402, "Bulgarian (Latin)"),
    (0x00010405, "Czech (QWERTY)"),
    (0x00010407, "German (IBM)"),
    (0x00010408, "Greek (220)"),
    (0x00010409, "English - United States (Dvorak)"),
    (0x0001040a, "Spanish Variation"),
    (0x0001040e, "Hungarian 101-key"),
    (0x00010410, "Italian (142)"),
    (0x00010415, "Polish (214)"),
    (0x00010416, "Portuguese (Brazilian ABNT2)"),
    (0x00010418, "Romanian (Standard)"),
    (0x00010419, "Russian (Typewriter)"),
    (0x0001041b, "Slovak (QWERTY)"),
    (0x0001041e, "Thai Pattachote"),
    (0x0001041f, "Turkish F"),
    (0x00010426, "Latvian (Legacy)"),
    (0x00010427, "Lithuanian"),
    (0x0001042b, "Armenian Western"),
    (0x0001042c, "Azerbaijani (Standard)"),
    (0x0001042e, "Sorbian Extended"),
    (0x0001042f, "Macedonia (FYROM) - Standard"),
    (0x00010437, "Georgian (QWERTY)"),
    (0x00010439, "Hindi Traditional"),
    (0x0001043a, "Maltese 48-key"),
    (0x0001043b, "Sami Extended Norway"),
    (0x00010444, "Tatar"),
    (0x00010445, "Bangla (India - Legacy)"),
    (0x00010451, "Tibetan (PRC - Standard)"),
    (0x00010453, "Khmer (NIDA)"),
    (0x0001045a, "Syriac Phonetic"),
    (0x0001045b, "Sinhala - wij 9"),
    (0x0001045c, "Cherokee Nation Phonetic"),
    (0x0001045d, "Inuktitut - Naqittaut"),
    (0x00010465, "Divehi Typewriter"),
    (0x00010480, "Uyghur"),
    (0x0001080c, "Belgian (Comma)"),
    (0x0001083b, "Finnish with Sami"),
    (0x00010c00, "Myanmar"),
    (0x00011009, "Canadian Multilingual Standard"),
    (0x00011809, "Scottish Gaelic"),
    (0x00020401, "Arabic (102) AZERTY"),
    (0x00020402, "Bulgarian (phonetic layout)"),
    (0x00020405, "Czech Programmers"),
    (0x00020408, "Greek (319)"),
    (0x00020409, "English - United States (International)"),
    (0x00020418, "Romanian (Programmers)"),
    (0x00020419, "Russian - Mnemonic"),
    (0x0002041e, "Thai Kedmanee (non-ShiftLock)"),
    (0x00020422, "Ukrainian (Enhanced)"),
    (0x00020426, "Latvian (Standard)"),
    (0x00020427, "Lithuanian Standard"),
    (0x0002042b, "Armenian Phonetic"),
    (0x0002042e, "Sorbian Standard"),
    (0x00020437, "Georgian (Ergonomic)"),
    (0x00020445, "Bangla (India)"),
    (0x0002083b, "Sami Extended Finland-Sweden"),
    (0x00020850, "Mongolian (Mongolian Script - Standard)"),
    (0x00020c00, "New Tai Lue"),
    (0x00030402, "Bulgarian"),
    (0x00030408, "Greek (220) Latin"),
    (0x00030409, "English - United States (Dvorak for left hand)"),
    (0x0003041e, "Thai Pattachote (non-ShiftLock)"),
    (0x0003042b, "Armenian Typewriter"),
    (
        0x00030437,
        "Georgian Ministry of Education and Science Schools",
    ),
    (0x00030c00, "Tai Le"),
    (0x00040402, "Bulgarian (phonetic traditional)"),
    (0x00040408, "Greek (319) Latin"),
    (
        0x00040409,
        "English - United States (Dvorak for right hand)",
    ),
    (0x00040437, "Georgian (Old Alphabets)"),
    (0x00050408, "Greek Latin"),
    (0x00050429, "Persian (Standard)"),
    (0x00050c00, "Tifinagh (Basic)"),
    (0x00060408, "Greek Polytonic"),
    (0x00060c00, "Tifinagh (Full)"),
    (0x00070c00, "Lisu (Basic)"),
    (0x00080c00, "Lisu (Standard)"),
    (0x00090c00, "N'ko"),
    (0x000a0c00, "Phags-pa"),
    (0x000b0c00, "Buginese"),
    (0x000c0c00, "Gothic"),
    (0x000d0c00, "Ol Chiki"),
    (0x000e0c00, "Osmanya"),
    (0x000f0c00, "Old Italic"),
    (0x00100c00, "Sora"),
    (0x00110c00, "Javanese"),
    (0x00120c00, "Futhark"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A TS_SHARECONTROLHEADER + TS_SHAREDATAHEADER of `pdu_type2` (MS-RDPBCGR 2.2.8.1.1.1.1
    /// and 2.2.8.1.1.1.2) and a 4-byte body.
    fn share_data(pdu_type2: u8, body: u32) -> Vec<u8> {
        let mut v = vec![22, 0, 0x17, 0, 0xea, 0x03, 0xea, 0x03, 1, 0, 0, 1, 4, 0];
        v.extend([pdu_type2, 0, 0, 0]);
        v.extend(body.to_le_bytes());
        v
    }

    #[test]
    fn client_info_names_the_account_and_never_the_password() {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let (domain, user, password) = (utf16("CORP"), utf16("alice"), utf16("secret"));
        let mut ud = vec![0x40, 0, 0, 0]; // SEC_INFO_PKT
        ud.extend(0u32.to_le_bytes()); // CodePage
        ud.extend(0x10u32.to_le_bytes()); // INFO_UNICODE
        for n in [domain.len(), user.len(), password.len(), 0, 0] {
            ud.extend((n as u16).to_le_bytes());
        }
        for f in [&domain, &user, &password] {
            ud.extend(f);
            ud.extend([0, 0]);
        }
        assert_eq!(client_info_user(&ud).as_deref(), Some("CORP\\alice"));
        let mut encrypted = ud.clone();
        encrypted[0] |= 0x08;
        assert_eq!(client_info_user(&encrypted), None);
        for n in 0..ud.len() {
            let _ = client_info_user(&ud[..n]);
        }
    }

    #[test]
    fn server_notices_are_read_from_clear_user_data() {
        assert_eq!(
            server_notice(&share_data(0x2f, 0x9)),
            Some(ServerNotice::ErrorInfo(9))
        );
        assert_eq!(
            server_notice(&share_data(0x26, 1)),
            Some(ServerNotice::SaveSessionInfo(1))
        );
        assert_eq!(
            server_notice(&share_data(0x02, 0)),
            Some(ServerNotice::Update)
        );
        assert_eq!(
            server_notice(&share_data(0x1f, 0)),
            Some(ServerNotice::Other)
        );
        // A licensing error: SEC_LICENSE_PKT, ERROR_ALERT, ERR_NO_LICENSE_SERVER, ST_TOTAL_ABORT.
        let mut lic = vec![0x80, 0, 0, 0, 0xff, 3, 16, 0];
        lic.extend(6u32.to_le_bytes());
        lic.extend(1u32.to_le_bytes());
        assert_eq!(
            server_notice(&lic),
            Some(ServerNotice::License {
                code: 6,
                transition: 1
            })
        );
        assert_eq!(
            license_error_name(6),
            "ERR_NO_LICENSE_SERVER (no license server reachable)"
        );
        assert_eq!(license_transition_name(1), "ST_TOTAL_ABORT");
        // Encrypted (SEC_ENCRYPT) or bytes whose length field disagrees: nothing read.
        assert_eq!(server_notice(&[0x88, 0, 0, 0, 0xff, 3, 16, 0]), None);
        let mut cut = share_data(0x2f, 9);
        cut.pop();
        assert_eq!(server_notice(&cut), None);
        for n in 0..cut.len() {
            let _ = server_notice(&cut[..n]);
        }
    }

    // Builders for PDUs laid out byte for byte as MS-RDPBCGR 4.1.3 and 4.1.4 show them
    // (mstsc's encoding: BER long-form lengths, the T.124 PER header, "Duca"/"McDn").

    fn ber(tag: &[u8], content: &[u8]) -> Vec<u8> {
        let mut v = tag.to_vec();
        match content.len() {
            n if n < 0x80 => v.push(n as u8),
            n => v.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        v.extend(content);
        v
    }

    fn per(n: usize) -> Vec<u8> {
        if n < 0x80 {
            vec![n as u8]
        } else {
            vec![0x80 | (n >> 8) as u8, n as u8]
        }
    }

    fn tpkt(mcs: &[u8]) -> Vec<u8> {
        let len = mcs.len() + 7;
        let mut v = vec![3, 0, (len >> 8) as u8, len as u8, 2, 0xf0, 0x80];
        v.extend(mcs);
        v
    }

    fn block(ty: u16, body: &[u8]) -> Vec<u8> {
        let mut v = ty.to_le_bytes().to_vec();
        v.extend(((body.len() + 4) as u16).to_le_bytes());
        v.extend(body);
        v
    }

    fn utf16(s: &str, size: usize) -> Vec<u8> {
        let mut v: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        v.resize(size, 0);
        v
    }

    fn params(v: [u32; 8]) -> Vec<u8> {
        let ints: Vec<u8> = v
            .iter()
            .flat_map(|&x| {
                let b = x.to_be_bytes();
                let skip = b.iter().take(3).take_while(|&&z| z == 0).count();
                ber(&[0x02], &b[skip..])
            })
            .collect();
        ber(&[0x30], &ints)
    }

    /// Client core data as an RDP 6.0 client sends it: through serverSelectedProtocol.
    fn core() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(0x0008_0004u32.to_le_bytes());
        b.extend(1152u16.to_le_bytes());
        b.extend(864u16.to_le_bytes());
        b.extend(0xca01u16.to_le_bytes());
        b.extend(0xaa03u16.to_le_bytes());
        b.extend(0x0409u32.to_le_bytes());
        b.extend(6000u32.to_le_bytes());
        b.extend(utf16("FROG-POND", 32));
        b.extend(4u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(12u32.to_le_bytes());
        b.extend(utf16("", 64));
        b.extend(0xca01u16.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(24u16.to_le_bytes());
        b.extend(0x000fu16.to_le_bytes());
        b.extend(0x000bu16.to_le_bytes());
        b.extend(utf16("55274-OEM-0011903-00107", 64));
        b.push(0); // connectionType
        b.push(0); // pad1octet
        b.extend(0u32.to_le_bytes());
        b
    }

    fn client_blocks() -> Vec<u8> {
        let mut net = 2u32.to_le_bytes().to_vec();
        net.extend(b"rdpdr\0\0\0");
        net.extend(0x8080_0000u32.to_le_bytes());
        net.extend(b"cliprdr\0");
        net.extend(0xc0a0_0000u32.to_le_bytes());
        let mut v = block(block::CS_CORE, &core());
        v.extend(block(block::CS_CLUSTER, &[0x0d, 0, 0, 0, 0, 0, 0, 0]));
        v.extend(block(block::CS_SECURITY, &[0x1b, 0, 0, 0, 0, 0, 0, 0]));
        v.extend(block(block::CS_NET, &net));
        v
    }

    fn connect_initial(blocks: &[u8]) -> Vec<u8> {
        let mut pdu = vec![0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00];
        pdu.extend(b"Duca");
        pdu.extend(per(blocks.len()));
        pdu.extend(blocks);
        let mut cd = vec![0x00, 0x05];
        cd.extend(T124_OID);
        cd.extend(per(pdu.len()));
        cd.extend(pdu);
        let mut body = ber(&[0x04], &[1]);
        body.extend(ber(&[0x04], &[1]));
        body.extend(ber(&[0x01], &[0xff]));
        body.extend(params([34, 2, 0, 1, 0, 1, 65535, 2]));
        body.extend(params([1, 1, 1, 1, 0, 1, 1056, 2]));
        body.extend(params([65535, 64535, 65535, 1, 0, 1, 65535, 2]));
        body.extend(ber(&[0x04], &cd));
        tpkt(&ber(&[0x7f, 0x65], &body))
    }

    fn connect_response(result: u8, gcc_result: u8, blocks: &[u8]) -> Vec<u8> {
        let mut pdu = vec![
            0x14,
            0x76,
            0x0a,
            0x01,
            0x01,
            gcc_result << 4,
            0x01,
            0xc0,
            0x00,
        ];
        pdu.extend(b"McDn");
        pdu.extend(per(blocks.len()));
        pdu.extend(blocks);
        let mut cd = vec![0x00, 0x05];
        cd.extend(T124_OID);
        cd.extend(per(pdu.len()));
        cd.extend(pdu);
        let mut body = ber(&[0x0a], &[result]);
        body.extend(ber(&[0x02], &[0]));
        body.extend(params([34, 3, 0, 1, 0, 1, 65528, 2]));
        body.extend(ber(&[0x04], &cd));
        tpkt(&ber(&[0x7f, 0x66], &body))
    }

    fn server_blocks(cert: &[u8]) -> Vec<u8> {
        let mut sc = 0x0008_0004u32.to_le_bytes().to_vec();
        sc.extend(0u32.to_le_bytes());
        let net = [0xeb, 0x03, 0x02, 0x00, 0xec, 0x03, 0xed, 0x03];
        let mut sec = 2u32.to_le_bytes().to_vec();
        sec.extend(3u32.to_le_bytes());
        sec.extend(32u32.to_le_bytes());
        sec.extend((cert.len() as u32).to_le_bytes());
        sec.extend([0x5a; 32]);
        sec.extend(cert);
        let mut v = block(block::SC_CORE, &sc);
        v.extend(block(block::SC_NET, &net));
        v.extend(block(block::SC_SECURITY, &sec));
        v
    }

    fn proprietary_cert() -> Vec<u8> {
        let mut key = b"RSA1".to_vec();
        key.extend(72u32.to_le_bytes());
        key.extend(512u32.to_le_bytes());
        key.extend(63u32.to_le_bytes());
        key.extend(65537u32.to_le_bytes());
        key.extend([0x33; 72]);
        let mut c = 1u32.to_le_bytes().to_vec();
        c.extend(1u32.to_le_bytes()); // SIGNATURE_ALG_RSA
        c.extend(1u32.to_le_bytes()); // KEY_EXCHANGE_ALG_RSA
        c.extend(6u16.to_le_bytes()); // BB_RSA_KEY_BLOB
        c.extend((key.len() as u16).to_le_bytes());
        c.extend(key);
        c.extend(8u16.to_le_bytes()); // BB_RSA_SIGNATURE_BLOB
        c.extend(72u16.to_le_bytes());
        c.extend([0x44; 72]);
        c
    }

    fn x509_cert(temporary: bool) -> Vec<u8> {
        let mut c = (2u32 | if temporary { 0x8000_0000 } else { 0 })
            .to_le_bytes()
            .to_vec();
        c.extend(2u32.to_le_bytes());
        for der in [&[0x30u8, 0x03, 0x02, 0x01, 0x01][..], &[0x30, 0x00]] {
            c.extend((der.len() as u32).to_le_bytes());
            c.extend(der);
        }
        c.extend([0; 16]); // Padding (8 + 4 × NumCertBlobs)
        c
    }

    #[test]
    fn reads_a_connect_initial() {
        let pdu = connect_initial(&client_blocks());
        let Some(McsPdu::ConnectInitial(ci)) = parse_mcs(&pdu) else {
            panic!("{:?}", parse_mcs(&pdu))
        };
        assert!(ci.problems.is_empty(), "{:?}", ci.problems);
        let core = ci.client_core.as_ref().unwrap();
        assert_eq!(core.version, 0x0008_0004);
        assert_eq!((core.desktop_width, core.desktop_height), (1152, 864));
        assert_eq!(core.keyboard_layout, 0x0409);
        assert_eq!(core.client_build, 6000);
        assert_eq!(core.client_name, "FROG-POND");
        assert_eq!((core.keyboard_type, core.keyboard_function_key), (4, 12));
        assert_eq!(core.ime_file_name, "");
        assert_eq!(core.high_color_depth, Some(24));
        assert_eq!(core.early_capability_flags, Some(0x0b));
        assert_eq!(
            core.client_dig_product_id.as_deref(),
            Some("55274-OEM-0011903-00107")
        );
        assert_eq!(core.connection_type, Some(0));
        assert_eq!(core.server_selected_protocol, Some(0));
        assert_eq!(core.desktop_physical_width, None);
        assert_eq!(core.requested_color_depth().as_deref(), Some("32bit"));
        assert_eq!(
            ci.client_security,
            Some(ClientSecurityData {
                encryption_methods: 0x1b,
                ext_encryption_methods: 0
            })
        );
        assert_eq!(ci.channels, vec!["rdpdr", "cliprdr"]);
        assert_eq!(ci.channel_options, vec![0x8080_0000, 0xc0a0_0000]);
        let cl = ci.cluster.unwrap();
        assert!(cl.redirection_supported() && !cl.session_id_valid());
        assert_eq!(cl.redirection_version(), 3);
        assert_eq!(ci.target_parameters.unwrap().max_mcs_pdu_size, 65535);
        assert_eq!(
            ci.block_types,
            vec![
                block::CS_CORE,
                block::CS_CLUSTER,
                block::CS_SECURITY,
                block::CS_NET
            ]
        );
    }

    #[test]
    fn reads_a_connect_response_with_a_proprietary_certificate() {
        let pdu = connect_response(0, 0, &server_blocks(&proprietary_cert()));
        let Some(McsPdu::ConnectResponse(cr)) = parse_mcs(&pdu) else {
            panic!()
        };
        assert!(cr.problems.is_empty(), "{:?}", cr.problems);
        assert_eq!(
            (cr.result, cr.gcc_result, cr.gcc_node_id),
            (0, Some(0), Some(31219))
        );
        assert_eq!(mcs_result_name(cr.result), "rt-successful");
        assert_eq!(gcc_result_name(0), "Success");
        assert_eq!(cr.domain_parameters.unwrap().max_mcs_pdu_size, 65528);
        let core = cr.server_core.unwrap();
        assert_eq!(
            (core.version, core.client_requested_protocols),
            (0x0008_0004, Some(0))
        );
        assert_eq!(core.early_capability_flags, None);
        let net = cr.server_network.unwrap();
        assert_eq!((net.io_channel, net.channel_ids), (1003, vec![1004, 1005]));
        let sec = cr.server_security.unwrap();
        assert_eq!(encryption_method_name(sec.encryption_method), "128bit");
        assert_eq!(encryption_level_name(sec.encryption_level), "High");
        assert_eq!(sec.server_random_len, 32);
        let cert = sec.cert.unwrap();
        assert_eq!(cert.kind, CertKind::Proprietary);
        assert!(cert.permanent);
        assert_eq!(cert.public_key_bits, Some(512));
        assert_eq!(
            (cert_type_name(cert.chain_version()), cert.count()),
            ("RSA".into(), 1)
        );
    }

    #[test]
    fn reads_an_x509_chain_and_a_refusal() {
        let pdu = connect_response(0, 0, &server_blocks(&x509_cert(true)));
        let Some(McsPdu::ConnectResponse(cr)) = parse_mcs(&pdu) else {
            panic!()
        };
        assert!(cr.problems.is_empty(), "{:?}", cr.problems);
        let cert = cr.server_security.unwrap().cert.unwrap();
        assert_eq!(cert.kind, CertKind::X509 { cert_count: 2 });
        assert!(!cert.permanent);
        assert_eq!(cert.x509_chain.len(), 2);
        assert_eq!(cert.x509_chain[1], vec![0x30, 0x00]);
        assert_eq!(cert_type_name(cert.chain_version()), "X.509");

        // rt-parameters-unacceptable with GCC userRejected and no server data.
        let pdu = connect_response(8, 1, &[]);
        let Some(McsPdu::ConnectResponse(cr)) = parse_mcs(&pdu) else {
            panic!()
        };
        assert_eq!(mcs_result_name(cr.result), "rt-parameters-unacceptable");
        assert_eq!(
            cr.gcc_result.map(gcc_result_name).as_deref(),
            Some("User rejected")
        );
        assert_eq!(cr.server_security, None);
    }

    #[test]
    fn reads_domain_pdus() {
        let cases: &[(&[u8], McsPdu)] = &[
            (&[0x04, 0x01, 0x00, 0x01, 0x00], McsPdu::ErectDomainRequest),
            (&[0x28], McsPdu::AttachUserRequest),
            (
                &[0x2e, 0x00, 0x00, 0x06],
                McsPdu::AttachUserConfirm {
                    result: 0,
                    initiator: Some(1007),
                },
            ),
            (
                &[0x38, 0x00, 0x06, 0x03, 0xef],
                McsPdu::ChannelJoinRequest {
                    initiator: 1007,
                    channel: 1007,
                },
            ),
            (
                &[0x3e, 0x00, 0x00, 0x06, 0x03, 0xeb, 0x03, 0xeb],
                McsPdu::ChannelJoinConfirm {
                    result: 0,
                    requested: 1003,
                    channel: Some(1003),
                },
            ),
            // rt-unspecified-failure (14), no channel joined.
            (
                &[0x3d, 0xc0, 0x00, 0x06, 0x03, 0xec],
                McsPdu::ChannelJoinConfirm {
                    result: 14,
                    requested: 1004,
                    channel: None,
                },
            ),
            (
                &[0x21, 0x80],
                McsPdu::DisconnectProviderUltimatum { reason: 3 },
            ),
            (
                &[0x64, 0x00, 0x06, 0x03, 0xeb, 0x70, 0x03, 1, 2, 3],
                McsPdu::SendDataRequest {
                    initiator: 1007,
                    channel: 1003,
                    len: 3,
                },
            ),
            (
                &[0x68, 0x00, 0x01, 0x03, 0xeb, 0x70, 0x81, 0x00, 9],
                McsPdu::SendDataIndication {
                    initiator: 1002,
                    channel: 1003,
                    len: 256,
                },
            ),
            (&[0x30, 0x00], McsPdu::Other(domain::DETACH_USER_REQUEST)),
            // Too short for their fixed fields.
            (&[0x38, 0x00], McsPdu::Other(domain::CHANNEL_JOIN_REQUEST)),
            (
                &[0x20],
                McsPdu::Other(domain::DISCONNECT_PROVIDER_ULTIMATUM),
            ),
        ];
        for (mcs, want) in cases {
            assert_eq!(parse_mcs(&tpkt(mcs)).as_ref(), Some(want), "{mcs:02x?}");
        }
        assert_eq!(reason_name(3), "rn-user-requested");
        assert_eq!(mcs_result_name(14), "rt-unspecified-failure");
        assert_eq!(mcs_result_name(16), "result-16");
        let sd = tpkt(&[0x64, 0x00, 0x06, 0x03, 0xeb, 0x70, 0x05, 1, 2, 3]);
        assert_eq!(mcs_user_data(&sd), Some(&[1u8, 2, 3][..]));
        assert_eq!(mcs_user_data(&tpkt(&[0x28])), None);
    }

    #[test]
    fn only_x224_data_is_mcs() {
        let cr = b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00";
        let cc = b"\x03\x00\x00\x0b\x06\xd0\x00\x00\x12\x34\x00";
        assert_eq!(parse_mcs(cr), None);
        assert_eq!(parse_mcs(cc), None);
        assert_eq!(parse_mcs(&[0x44, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(
            parse_mcs(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]),
            None
        );
        assert_eq!(parse_mcs(&[3, 0, 0, 7, 2, 0xf0, 0x80]), None);
    }

    #[test]
    fn a_cut_connect_initial_keeps_what_is_there() {
        let pdu = connect_initial(&client_blocks());
        // Cut inside the client name of the core data.
        let at = pdu.windows(4).position(|w| w == b"Duca").unwrap() + 6 + 4 + 30;
        let Some(McsPdu::ConnectInitial(ci)) = parse_mcs(&pdu[..at]) else {
            panic!()
        };
        let core = ci.client_core.unwrap();
        assert_eq!((core.desktop_width, core.client_build), (1152, 6000));
        assert_eq!(core.client_name, "");
        assert!(
            ci.problems
                .iter()
                .any(|p| p.starts_with("TPKT packet cut short"))
        );
        assert!(
            ci.problems
                .iter()
                .any(|p| p.contains("128 mandatory bytes"))
        );
        assert!(ci.channels.is_empty());
    }

    #[test]
    fn an_unusual_gcc_layout_is_read_by_its_key() {
        // conferenceName with a text part flagged: not the layout RDP clients write.
        let blocks = client_blocks();
        let mut pdu = connect_initial(&blocks);
        let at = pdu.windows(4).position(|w| w == b"Duca").unwrap() - 7;
        assert_eq!(pdu[at], 0x08);
        pdu[at] = 0x04;
        let Some(McsPdu::ConnectInitial(ci)) = parse_mcs(&pdu) else {
            panic!()
        };
        assert_eq!(ci.channels, vec!["rdpdr", "cliprdr"]);
        assert!(
            ci.problems
                .iter()
                .any(|p| p.contains("found by its H.221 key")),
            "{:?}",
            ci.problems
        );
    }

    #[test]
    fn never_panics_on_cut_or_altered_input() {
        let pdus = [
            connect_initial(&client_blocks()),
            connect_response(0, 0, &server_blocks(&proprietary_cert())),
            connect_response(0, 0, &server_blocks(&x509_cert(false))),
            tpkt(&[0x3e, 0x00, 0x00, 0x06, 0x03, 0xeb, 0x03, 0xeb]),
        ];
        for p in &pdus {
            for n in 0..=p.len() {
                let _ = parse_mcs(&p[..n]);
                let _ = mcs_user_data(&p[..n]);
            }
            for i in 0..p.len() {
                for v in [0x00, 0x7f, 0x80, 0xff] {
                    let mut q = p.clone();
                    q[i] = v;
                    let _ = parse_mcs(&q);
                }
            }
        }
    }

    #[test]
    fn names_as_zeek_gives_them() {
        assert_eq!(keyboard_layout_name(1033), "English - United States");
        assert_eq!(
            keyboard_layout_name(0x0001_0409),
            "English - United States (Dvorak)"
        );
        // Unknown layout, known language in the low 16 bits (Zeek's rdp-unknown-keyboard).
        assert_eq!(keyboard_layout_name(263198), "Thai (Best Guess for 263198)");
        assert_eq!(keyboard_layout_name(0x1234_5678), "keyboard-305419896");
        // Zeek's table lists 66568 twice (Greek (220), then Uyghur, whose KLID is 66688) and
        // writes a tab into 3179; the layout's own name is kept.
        assert_eq!(keyboard_layout_name(66568), "Greek (220)");
        assert_eq!(keyboard_layout_name(66688), "Uyghur");
        assert_eq!(keyboard_layout_name(3179), "Quecha - Peru CB");
        assert!(KEYBOARD_LAYOUTS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(client_build_name(6000), "RDP 6.0");
        assert_eq!(client_build_name(9600), "RDP 8.1");
        assert_eq!(client_build_name(2600), "RDP 5.1");
        assert_eq!(client_build_name(19041), "client_build-19041");
        assert_eq!(color_depth_name(16), "16bit");
        assert_eq!(color_depth_name(32), "high_color_depth-32");
        assert_eq!(encryption_method_name(0x10), "FIPS");
        assert_eq!(encryption_method_name(10), "encryption_method-10");
        assert_eq!(
            encryption_method_names(27),
            vec!["40bit", "128bit", "56bit", "FIPS"]
        );
        assert_eq!(encryption_level_name(2), "Client compatible");
        assert_eq!(encryption_level_name(9), "encryption_level-9");
        assert_eq!(cert_type_name(1), "RSA");
        assert_eq!(cert_type_name(3), "cert_type-3");
        assert_eq!(rdp_version_name(0x0008_0004), "RDP 5.0 to 8.1");
        assert_eq!(rdp_version_name(0x0008_000c), "RDP 10.7");
        assert_eq!(
            early_capability_names(0x1001),
            vec!["SUPPORT_ERRINFO_PDU".to_string(), "0x1000".into()]
        );
    }
}
