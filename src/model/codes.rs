//! The code tables of `reference/codes.md`, one place each: what every number a user, a log or
//! a capture shows is called and what it means. Decoders (`handshake`), the event catalog
//! (`eventlog::catalog`) and `explain` all read them here.
//!
//! Rows are `(value, name, meaning)`; meanings are paraphrased. A number may be in several
//! tables (7 is an extended reason, an ERRINFO code and a Kerberos error): [`Table`] says which
//! table a reading came from.

use serde::Serialize;

/// One row: value, name, meaning.
pub type Code = (u32, &'static str, &'static str);

/// The tables, in the order a bare number is tried by `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// mstsc `discReason` (codes.md §1): "Error code 0x904".
    DiscReason,
    /// `ExtendedDisconnectReasonCode` (codes.md §2): "Extended error code 0x7".
    ExtendedReason,
    /// Set Error Info PDU `errorInfo` (codes.md §3).
    ErrInfo,
    /// RDP_NEG_FAILURE `failureCode` (codes.md §4).
    NegFailure,
    /// NTSTATUS / SEC_E / HRESULT (codes.md §6).
    Status,
    /// TLS alert description (codes.md §7).
    TlsAlert,
    /// Kerberos KRB-ERROR code (codes.md §8).
    Kerberos,
    /// Win32 / Winsock error (in `0x8007xxxx` HRESULTs and event fields).
    Win32,
}

impl Table {
    pub const ALL: [Table; 8] = [
        Table::DiscReason,
        Table::ExtendedReason,
        Table::ErrInfo,
        Table::NegFailure,
        Table::Status,
        Table::TlsAlert,
        Table::Kerberos,
        Table::Win32,
    ];

    /// What a person calls a value of this table.
    pub fn title(self) -> &'static str {
        match self {
            Table::DiscReason => {
                "mstsc disconnect reason (discReason; the dialog's \"Error code\")"
            }
            Table::ExtendedReason => {
                "extended disconnect reason (the dialog's \"Extended error code\")"
            }
            Table::ErrInfo => "server Set Error Info PDU code (ERRINFO)",
            Table::NegFailure => "X.224 negotiation failure code (RDP_NEG_FAILURE)",
            Table::Status => "NTSTATUS / SEC_E status code",
            Table::TlsAlert => "TLS alert description",
            Table::Kerberos => "Kerberos error code (KRB-ERROR)",
            Table::Win32 => "Win32 / Winsock error",
        }
    }

    /// Where codes.md holds the table.
    pub fn section(self) -> &'static str {
        match self {
            Table::DiscReason => "codes.md §1",
            Table::ExtendedReason => "codes.md §2",
            Table::ErrInfo => "codes.md §3",
            Table::NegFailure => "codes.md §4",
            Table::Status => "codes.md §6",
            Table::TlsAlert => "codes.md §7",
            Table::Kerberos => "codes.md §8",
            Table::Win32 => "Win32 error list",
        }
    }

    /// Its rows.
    pub fn rows(self) -> &'static [Code] {
        match self {
            Table::DiscReason => DISC_REASONS,
            Table::ExtendedReason => EXTENDED_REASONS,
            Table::ErrInfo => ERRINFO,
            Table::NegFailure => NEG_FAILURES,
            Table::Status => STATUS_CODES,
            Table::TlsAlert => TLS_ALERTS,
            Table::Kerberos => KERBEROS_ERRORS,
            Table::Win32 => WIN32_ERRORS,
        }
    }

    /// The row of `value`, when the table knows it (ranges included: extended reasons
    /// 256–266 and 4096–32767 mirror ERRINFO).
    pub fn find(self, value: u32) -> Option<(&'static str, &'static str)> {
        if let Some(&(_, n, m)) = self.rows().iter().find(|(c, _, _)| *c == value) {
            return Some((n, m));
        }
        match (self, value) {
            (Table::ExtendedReason, 256..=266) => Some((
                "exDiscReasonLicense*",
                "a licensing error; the same value as the server's ERRINFO_LICENSE_* code",
            )),
            (Table::ExtendedReason, 4096..=32767) => Some((
                "exDiscReasonProtocolRange",
                "a protocol error; the same value as the server's ERRINFO protocol code",
            )),
            _ => None,
        }
    }

    /// The rows whose name is `name` (ASCII case ignored).
    pub fn by_name(self, name: &str) -> Option<u32> {
        self.rows()
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(c, _, _)| c)
    }
}

/// mstsc disconnect reason (`discReason`), when known.
pub fn disc_reason(code: u32) -> Option<(&'static str, &'static str)> {
    Table::DiscReason.find(code)
}

/// Extended disconnect reason, when known.
pub fn extended_reason(code: u32) -> Option<(&'static str, &'static str)> {
    Table::ExtendedReason.find(code)
}

/// Set Error Info PDU code, when known.
pub fn errinfo(code: u32) -> Option<(&'static str, &'static str)> {
    Table::ErrInfo.find(code)
}

/// RDP_NEG_FAILURE code, when known.
pub fn neg_failure(code: u32) -> Option<(&'static str, &'static str)> {
    Table::NegFailure.find(code)
}

/// NTSTATUS / SEC_E code, when known.
pub fn status(code: u32) -> Option<(&'static str, &'static str)> {
    Table::Status.find(code)
}

/// TLS alert description, when known.
pub fn tls_alert(code: u32) -> Option<(&'static str, &'static str)> {
    Table::TlsAlert.find(code)
}

/// Kerberos error, when known.
pub fn kerberos(code: u32) -> Option<(&'static str, &'static str)> {
    Table::Kerberos.find(code)
}

/// Win32 error, when known.
pub fn win32(code: u32) -> Option<(&'static str, &'static str)> {
    Table::Win32.find(code)
}

/// KRB-ERROR code names (RFC 4120 §7.5.9; [`KERBEROS_ERRORS`]), unknown ones
/// as `KRB_ERROR_<n>`.
pub fn kerberos_error_name(code: i32) -> String {
    match u32::try_from(code).ok().and_then(kerberos) {
        Some((name, _)) => name.to_string(),
        None => format!("KRB_ERROR_{code}"),
    }
}

/// Alert descriptions (RFC 8446 §6, RFC 5246 §7.2; [`TLS_ALERTS`]).
pub fn tls_alert_name(d: u8) -> String {
    match tls_alert(d.into()) {
        Some((name, _)) => name.to_string(),
        None => format!("unknown({d})"),
    }
}

/// mstsc / ActiveX disconnect reasons, `discReason` (codes.md §1; RDPClient 1026 `Value`).
pub const DISC_REASONS: &[Code] = &[
    (0, "disconnectReasonNoInfo", "no information"),
    (
        1,
        "disconnectReasonLocalNotError",
        "local disconnect, not an error",
    ),
    (
        2,
        "disconnectReasonRemoteByUser",
        "remote disconnect by user, not an error",
    ),
    (3, "disconnectReasonByServer", "the server disconnected"),
    (
        260,
        "disconnectReasonDNSLookupFailed",
        "DNS name lookup failed",
    ),
    (262, "disconnectReasonOutOfMemory", "out of memory"),
    (
        264,
        "disconnectReasonConnectionTimedOut",
        "connection timed out",
    ),
    (
        516,
        "disconnectReasonSocketConnectFailed",
        "TCP connect failed",
    ),
    (518, "disconnectReasonOutOfMemory2", "out of memory"),
    (520, "disconnectReasonHostNotFound", "host not found"),
    (
        772,
        "disconnectReasonWinsockSendFailed",
        "socket send failed",
    ),
    (774, "disconnectReasonOutOfMemory3", "out of memory"),
    (776, "disconnectReasonInvalidIPAddr", "IP address not valid"),
    (
        1028,
        "disconnectReasonSocketRecvFailed",
        "socket receive failed",
    ),
    (
        1030,
        "disconnectReasonInvalidSecurityData",
        "security data not valid",
    ),
    (1032, "disconnectReasonInternalError", "internal error"),
    (
        1286,
        "disconnectReasonInvalidEncryption",
        "encryption method not valid",
    ),
    (
        1288,
        "disconnectReasonDNSLookupFailed2",
        "DNS lookup failed",
    ),
    (
        1540,
        "disconnectReasonGetHostByNameFailed",
        "gethostbyname failed",
    ),
    (
        1542,
        "disconnectReasonInvalidServerSecurityInfo",
        "server security data not valid",
    ),
    (1544, "disconnectReasonTimerError", "internal timer error"),
    (1796, "disconnectReasonTimeoutOccurred", "time-out occurred"),
    (
        1798,
        "disconnectReasonServerCertificateUnpackErr",
        "could not unpack server certificate",
    ),
    (2052, "disconnectReasonInvalidIP", "bad IP address"),
    (
        2055,
        "SSL_ERR_LOGON_FAILURE",
        "NLA logon failure (bad user name or password)",
    ),
    (
        2056,
        "disconnectReasonLicensingFailed",
        "licence negotiation failed",
    ),
    (
        2308,
        "disconnectReasonAtClientWinsockFDCLOSE",
        "socket closed by the peer or the network",
    ),
    (
        2310,
        "disconnectReasonInternalSecurityError",
        "internal security error",
    ),
    (
        2312,
        "disconnectReasonLicensingTimeout",
        "licensing time-out",
    ),
    (
        2566,
        "disconnectReasonInternalSecurityError2",
        "internal security error",
    ),
    (2567, "SSL_ERR_NO_SUCH_USER", "NLA: no such user"),
    (2822, "disconnectReasonEncryptionError", "encryption error"),
    (2823, "SSL_ERR_ACCOUNT_DISABLED", "NLA: account disabled"),
    (3078, "disconnectReasonDecryptionError", "decryption error"),
    (
        3079,
        "SSL_ERR_ACCOUNT_RESTRICTION",
        "NLA: account restriction",
    ),
    (
        3080,
        "disconnectReasonClientDecompressionError",
        "decompression error",
    ),
    (
        3335,
        "SSL_ERR_ACCOUNT_LOCKED_OUT",
        "NLA: account locked out",
    ),
    (3591, "SSL_ERR_ACCOUNT_EXPIRED", "NLA: account expired"),
    (3847, "SSL_ERR_PASSWORD_EXPIRED", "NLA: password expired"),
    (
        4615,
        "SSL_ERR_PASSWORD_MUST_CHANGE",
        "NLA: password must change",
    ),
    (
        5639,
        "SSL_ERR_DELEGATION_POLICY",
        "CredSSP delegation policy forbids sending credentials",
    ),
    (5895, "SSL_ERR_POLICY_NTLM_ONLY", "policy allows NTLM only"),
    (
        6151,
        "SSL_ERR_NO_AUTHENTICATING_AUTHORITY",
        "no authority (KDC/DC) could be contacted",
    ),
    (6919, "SSL_ERR_CERT_EXPIRED", "certificate expired"),
    (7175, "SSL_ERR_SMARTCARD_WRONG_PIN", "smart card wrong PIN"),
    (
        8455,
        "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER",
        "the server demands fresh credentials",
    ),
    (8711, "SSL_ERR_SMARTCARD_CARD_BLOCKED", "smart card blocked"),
];

/// Set Error Info PDU `errorInfo` codes (codes.md §3; MS-RDPBCGR 2.2.5.1.1).
pub const ERRINFO: &[Code] = &[
    (
        0x0000_0001,
        "ERRINFO_RPC_INITIATED_DISCONNECT",
        "admin tool in another session disconnected the session",
    ),
    (
        0x0000_0002,
        "ERRINFO_RPC_INITIATED_LOGOFF",
        "admin tool in another session forced a logoff",
    ),
    (
        0x0000_0003,
        "ERRINFO_IDLE_TIMEOUT",
        "server idle-session time limit reached",
    ),
    (
        0x0000_0004,
        "ERRINFO_LOGON_TIMEOUT",
        "server active-session time limit reached",
    ),
    (
        0x0000_0005,
        "ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION",
        "another connection took over the session",
    ),
    (0x0000_0006, "ERRINFO_OUT_OF_MEMORY", "server out of memory"),
    (
        0x0000_0007,
        "ERRINFO_SERVER_DENIED_CONNECTION",
        "server refused the connection (e.g. remote connections disabled/policy, or early network failure per MS header comment)",
    ),
    (
        0x0000_0009,
        "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES",
        "user lacks the right to log on through Remote Desktop",
    ),
    (
        0x0000_000A,
        "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED",
        "server requires freshly typed credentials (saved credentials not accepted)",
    ),
    (
        0x0000_000B,
        "ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER",
        "admin tool inside the user's session disconnected it",
    ),
    (0x0000_000C, "ERRINFO_LOGOFF_BY_USER", "user logged off"),
    (
        0x0000_000F,
        "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY",
        "remote display driver did not report ready in time",
    ),
    (
        0x0000_0010,
        "ERRINFO_SERVER_DWM_CRASH",
        "DWM in the remote session crashed",
    ),
    (
        0x0000_0011,
        "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE",
        "remote display driver failed to start",
    ),
    (
        0x0000_0012,
        "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE",
        "remote display driver started but unusable by the remoting stack",
    ),
    (
        0x0000_0017,
        "ERRINFO_SERVER_WINLOGON_CRASH",
        "Winlogon in the remote session crashed",
    ),
    (
        0x0000_0018,
        "ERRINFO_SERVER_CSRSS_CRASH",
        "CSRSS in the remote session crashed",
    ),
    (
        0x0000_0019,
        "ERRINFO_SERVER_SHUTDOWN",
        "server shutting down — probable (see note)",
    ),
    (
        0x0000_001A,
        "ERRINFO_SERVER_REBOOT",
        "server rebooting — probable (see note)",
    ),
    (
        0x0000_0100,
        "ERRINFO_LICENSE_INTERNAL",
        "licensing component internal error",
    ),
    (
        0x0000_0101,
        "ERRINFO_LICENSE_NO_LICENSE_SERVER",
        "no RD license server found",
    ),
    (
        0x0000_0102,
        "ERRINFO_LICENSE_NO_LICENSE",
        "no Client Access License available",
    ),
    (
        0x0000_0103,
        "ERRINFO_LICENSE_BAD_CLIENT_MSG",
        "server got an invalid licensing message from the client",
    ),
    (
        0x0000_0104,
        "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE",
        "client's stored CAL was modified (hardware ID mismatch)",
    ),
    (
        0x0000_0105,
        "ERRINFO_LICENSE_BAD_CLIENT_LICENSE",
        "client's stored CAL has an invalid format",
    ),
    (
        0x0000_0106,
        "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL",
        "network problems ended the licensing exchange",
    ),
    (
        0x0000_0107,
        "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL",
        "client ended the licensing exchange early",
    ),
    (
        0x0000_0108,
        "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION",
        "licensing message incorrectly encrypted",
    ),
    (
        0x0000_0109,
        "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE",
        "client's CAL could not be upgraded/renewed",
    ),
    (
        0x0000_010A,
        "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS",
        "server not licensed for remote connections",
    ),
    (
        0x0000_0400,
        "ERRINFO_CB_DESTINATION_NOT_FOUND",
        "broker: target endpoint not found",
    ),
    (
        0x0000_0402,
        "ERRINFO_CB_LOADING_DESTINATION",
        "broker: target endpoint is disconnecting from the broker",
    ),
    (
        0x0000_0404,
        "ERRINFO_CB_REDIRECTING_TO_DESTINATION",
        "broker: error while redirecting to the endpoint",
    ),
    (
        0x0000_0405,
        "ERRINFO_CB_SESSION_ONLINE_VM_WAKE",
        "broker: error waking the target VM",
    ),
    (
        0x0000_0406,
        "ERRINFO_CB_SESSION_ONLINE_VM_BOOT",
        "broker: error booting the target VM",
    ),
    (
        0x0000_0407,
        "ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS",
        "broker: target VM IP address unknown (no DNS)",
    ),
    (
        0x0000_0408,
        "ERRINFO_CB_DESTINATION_POOL_NOT_FREE",
        "broker: no free endpoint in the pool",
    ),
    (
        0x0000_0409,
        "ERRINFO_CB_CONNECTION_CANCELLED",
        "broker: connection processing cancelled",
    ),
    (
        0x0000_0410,
        "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS",
        "broker: routingToken settings in X.224 CR invalid",
    ),
    (
        0x0000_0411,
        "ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT",
        "broker: timeout booting the target VM",
    ),
    (
        0x0000_0412,
        "ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED",
        "broker: session monitoring error while booting VM",
    ),
    (
        0x0000_10C9,
        "ERRINFO_UNKNOWN_DATA_PDU_TYPE",
        "protocol error: unknown data pdu type",
    ),
    (
        0x0000_10CA,
        "ERRINFO_UNKNOWN_PDU_TYPE",
        "protocol error: unknown pdu type",
    ),
    (
        0x0000_10CB,
        "ERRINFO_DATA_PDU_SEQUENCE",
        "protocol error: data pdu sequence",
    ),
    (
        0x0000_10CD,
        "ERRINFO_CONTROL_PDU_SEQUENCE",
        "protocol error: control pdu sequence",
    ),
    (
        0x0000_10CE,
        "ERRINFO_INVALID_CONTROL_PDU_ACTION",
        "protocol error: invalid control pdu action",
    ),
    (
        0x0000_10CF,
        "ERRINFO_INVALID_INPUT_PDU_TYPE",
        "protocol error: invalid input pdu type",
    ),
    (
        0x0000_10D0,
        "ERRINFO_INVALID_INPUT_PDU_MOUSE",
        "protocol error: invalid input pdu mouse",
    ),
    (
        0x0000_10D1,
        "ERRINFO_INVALID_REFRESH_RECT_PDU",
        "protocol error: invalid refresh rect pdu",
    ),
    (
        0x0000_10D2,
        "ERRINFO_CREATE_USER_DATA_FAILED",
        "protocol error: create user data failed",
    ),
    (
        0x0000_10D3,
        "ERRINFO_CONNECT_FAILED",
        "protocol error: connect failed",
    ),
    (
        0x0000_10D4,
        "ERRINFO_CONFIRM_ACTIVE_HAS_WRONG_SHAREID",
        "protocol error: confirm active has wrong shareid",
    ),
    (
        0x0000_10D5,
        "ERRINFO_CONFIRM_ACTIVE_HAS_WRONG_ORIGINATOR",
        "protocol error: confirm active has wrong originator",
    ),
    (
        0x0000_10DA,
        "ERRINFO_PERSISTENT_KEY_PDU_BAD_LENGTH",
        "protocol error: persistent key pdu bad length",
    ),
    (
        0x0000_10DB,
        "ERRINFO_PERSISTENT_KEY_PDU_ILLEGAL_FIRST",
        "protocol error: persistent key pdu illegal first",
    ),
    (
        0x0000_10DC,
        "ERRINFO_PERSISTENT_KEY_PDU_TOO_MANY_TOTAL_KEYS",
        "protocol error: persistent key pdu too many total keys",
    ),
    (
        0x0000_10DD,
        "ERRINFO_PERSISTENT_KEY_PDU_TOO_MANY_CACHE_KEYS",
        "protocol error: persistent key pdu too many cache keys",
    ),
    (
        0x0000_10DE,
        "ERRINFO_INPUT_PDU_BAD_LENGTH",
        "protocol error: input pdu bad length",
    ),
    (
        0x0000_10DF,
        "ERRINFO_BITMAP_CACHE_ERROR_PDU_BAD_LENGTH",
        "protocol error: bitmap cache error pdu bad length",
    ),
    (
        0x0000_10E0,
        "ERRINFO_SECURITY_DATA_TOO_SHORT",
        "protocol error: security data too short",
    ),
    (
        0x0000_10E1,
        "ERRINFO_VCHANNEL_DATA_TOO_SHORT",
        "protocol error: vchannel data too short",
    ),
    (
        0x0000_10E2,
        "ERRINFO_SHARE_DATA_TOO_SHORT",
        "protocol error: share data too short",
    ),
    (
        0x0000_10E3,
        "ERRINFO_BAD_SUPPRESS_OUTPUT_PDU",
        "protocol error: bad suppress output pdu",
    ),
    (
        0x0000_10E5,
        "ERRINFO_CONFIRM_ACTIVE_PDU_TOO_SHORT",
        "protocol error: confirm active pdu too short",
    ),
    (
        0x0000_10E7,
        "ERRINFO_CAPABILITY_SET_TOO_SMALL",
        "protocol error: capability set too small",
    ),
    (
        0x0000_10E8,
        "ERRINFO_CAPABILITY_SET_TOO_LARGE",
        "protocol error: capability set too large",
    ),
    (
        0x0000_10E9,
        "ERRINFO_NO_CURSOR_CACHE",
        "protocol error: no cursor cache",
    ),
    (
        0x0000_10EA,
        "ERRINFO_BAD_CAPABILITIES",
        "protocol error: bad capabilities",
    ),
    (
        0x0000_10EC,
        "ERRINFO_VIRTUAL_CHANNEL_DECOMPRESSION",
        "protocol error: virtual channel decompression",
    ),
    (
        0x0000_10ED,
        "ERRINFO_INVALID_VC_COMPRESSION_TYPE",
        "protocol error: invalid vc compression type",
    ),
    (
        0x0000_10EF,
        "ERRINFO_INVALID_CHANNEL_ID",
        "protocol error: invalid channel id",
    ),
    (
        0x0000_10F0,
        "ERRINFO_VCHANNELS_TOO_MANY",
        "protocol error: vchannels too many",
    ),
    (
        0x0000_10F3,
        "ERRINFO_REMOTEAPP_NOT_ENABLED",
        "protocol error: remoteapp not enabled",
    ),
    (
        0x0000_10F4,
        "ERRINFO_CACHE_CAP_NOT_SET",
        "protocol error: cache cap not set",
    ),
    (
        0x0000_10F5,
        "ERRINFO_BITMAP_CACHE_ERROR_PDU_BAD_LENGTH2",
        "protocol error: bitmap cache error pdu bad length2",
    ),
    (
        0x0000_10F6,
        "ERRINFO_OFFSCREEN_CACHE_ERROR_PDU_BAD_LENGTH",
        "protocol error: offscreen cache error pdu bad length",
    ),
    (
        0x0000_10F7,
        "ERRINFO_DRAWNINEGRID_CACHE_ERROR_PDU_BAD_LENGTH",
        "protocol error: drawninegrid cache error pdu bad length",
    ),
    (
        0x0000_10F8,
        "ERRINFO_GDIPLUS_PDU_BAD_LENGTH",
        "protocol error: gdiplus pdu bad length",
    ),
    (
        0x0000_1111,
        "ERRINFO_SECURITY_DATA_TOO_SHORT2",
        "protocol error: security data too short2",
    ),
    (
        0x0000_1112,
        "ERRINFO_SECURITY_DATA_TOO_SHORT3",
        "protocol error: security data too short3",
    ),
    (
        0x0000_1113,
        "ERRINFO_SECURITY_DATA_TOO_SHORT4",
        "protocol error: security data too short4",
    ),
    (
        0x0000_1114,
        "ERRINFO_SECURITY_DATA_TOO_SHORT5",
        "protocol error: security data too short5",
    ),
    (
        0x0000_1115,
        "ERRINFO_SECURITY_DATA_TOO_SHORT6",
        "protocol error: security data too short6",
    ),
    (
        0x0000_1116,
        "ERRINFO_SECURITY_DATA_TOO_SHORT7",
        "protocol error: security data too short7",
    ),
    (
        0x0000_1117,
        "ERRINFO_SECURITY_DATA_TOO_SHORT8",
        "protocol error: security data too short8",
    ),
    (
        0x0000_1118,
        "ERRINFO_SECURITY_DATA_TOO_SHORT9",
        "protocol error: security data too short9",
    ),
    (
        0x0000_1119,
        "ERRINFO_SECURITY_DATA_TOO_SHORT10",
        "protocol error: security data too short10",
    ),
    (
        0x0000_111A,
        "ERRINFO_SECURITY_DATA_TOO_SHORT11",
        "protocol error: security data too short11",
    ),
    (
        0x0000_111B,
        "ERRINFO_SECURITY_DATA_TOO_SHORT12",
        "protocol error: security data too short12",
    ),
    (
        0x0000_111C,
        "ERRINFO_SECURITY_DATA_TOO_SHORT13",
        "protocol error: security data too short13",
    ),
    (
        0x0000_111D,
        "ERRINFO_SECURITY_DATA_TOO_SHORT14",
        "protocol error: security data too short14",
    ),
    (
        0x0000_111E,
        "ERRINFO_SECURITY_DATA_TOO_SHORT15",
        "protocol error: security data too short15",
    ),
    (
        0x0000_111F,
        "ERRINFO_SECURITY_DATA_TOO_SHORT16",
        "protocol error: security data too short16",
    ),
    (
        0x0000_1120,
        "ERRINFO_SECURITY_DATA_TOO_SHORT17",
        "protocol error: security data too short17",
    ),
    (
        0x0000_1121,
        "ERRINFO_SECURITY_DATA_TOO_SHORT18",
        "protocol error: security data too short18",
    ),
    (
        0x0000_1122,
        "ERRINFO_SECURITY_DATA_TOO_SHORT19",
        "protocol error: security data too short19",
    ),
    (
        0x0000_1123,
        "ERRINFO_SECURITY_DATA_TOO_SHORT20",
        "protocol error: security data too short20",
    ),
    (
        0x0000_1124,
        "ERRINFO_SECURITY_DATA_TOO_SHORT21",
        "protocol error: security data too short21",
    ),
    (
        0x0000_1125,
        "ERRINFO_SECURITY_DATA_TOO_SHORT22",
        "protocol error: security data too short22",
    ),
    (
        0x0000_1126,
        "ERRINFO_SECURITY_DATA_TOO_SHORT23",
        "protocol error: security data too short23",
    ),
    (
        0x0000_1129,
        "ERRINFO_BAD_MONITOR_DATA",
        "protocol error: bad monitor data",
    ),
    (
        0x0000_112A,
        "ERRINFO_VC_DECOMPRESSED_REASSEMBLE_FAILED",
        "protocol error: vc decompressed reassemble failed",
    ),
    (
        0x0000_112B,
        "ERRINFO_VC_DATA_TOO_LONG",
        "protocol error: vc data too long",
    ),
    (
        0x0000_112C,
        "ERRINFO_BAD_FRAME_ACK_DATA",
        "protocol error: bad frame ack data",
    ),
    (
        0x0000_112D,
        "ERRINFO_GRAPHICS_MODE_NOT_SUPPORTED",
        "protocol error: graphics mode not supported",
    ),
    (
        0x0000_112E,
        "ERRINFO_GRAPHICS_SUBSYSTEM_RESET_FAILED",
        "protocol error: graphics subsystem reset failed",
    ),
    (
        0x0000_112F,
        "ERRINFO_GRAPHICS_SUBSYSTEM_FAILED",
        "protocol error: graphics subsystem failed",
    ),
    (
        0x0000_1130,
        "ERRINFO_TIMEZONE_KEY_NAME_LENGTH_TOO_SHORT",
        "protocol error: timezone key name length too short",
    ),
    (
        0x0000_1131,
        "ERRINFO_TIMEZONE_KEY_NAME_LENGTH_TOO_LONG",
        "protocol error: timezone key name length too long",
    ),
    (
        0x0000_1132,
        "ERRINFO_DYNAMIC_DST_DISABLED_FIELD_MISSING",
        "protocol error: dynamic dst disabled field missing",
    ),
    (
        0x0000_1133,
        "ERRINFO_VC_DECODING_ERROR",
        "protocol error: vc decoding error",
    ),
    (
        0x0000_1134,
        "ERRINFO_VIRTUALDESKTOPTOOLARGE",
        "protocol error: virtualdesktoptoolarge",
    ),
    (
        0x0000_1135,
        "ERRINFO_MONITORGEOMETRYVALIDATIONFAILED",
        "protocol error: monitorgeometryvalidationfailed",
    ),
    (
        0x0000_1136,
        "ERRINFO_INVALIDMONITORCOUNT",
        "protocol error: invalidmonitorcount",
    ),
    (
        0x0000_1191,
        "ERRINFO_UPDATE_SESSION_KEY_FAILED",
        "protocol error: update session key failed",
    ),
    (
        0x0000_1192,
        "ERRINFO_DECRYPT_FAILED",
        "protocol error: decrypt failed",
    ),
    (
        0x0000_1193,
        "ERRINFO_ENCRYPT_FAILED",
        "protocol error: encrypt failed",
    ),
    (
        0x0000_1194,
        "ERRINFO_ENCRYPTION_PACKAGE_MISMATCH",
        "protocol error: encryption package mismatch",
    ),
    (
        0x0000_1195,
        "ERRINFO_DECRYPT_FAILED2",
        "protocol error: decrypt failed2",
    ),
    (
        0x0000_1196,
        "ERRINFO_PEER_DISCONNECTED",
        "protocol error: peer disconnected",
    ),
];

/// NTSTATUS and SEC_E values of NLA, Schannel and the Security log (codes.md §6).
pub const STATUS_CODES: &[Code] = &[
    (
        0xC000_006D,
        "STATUS_LOGON_FAILURE",
        "bad user name or password",
    ),
    (
        0xC000_006A,
        "STATUS_WRONG_PASSWORD",
        "right user, wrong password",
    ),
    (
        0xC000_0064,
        "STATUS_NO_SUCH_USER",
        "the user name does not exist",
    ),
    (
        0xC000_0234,
        "STATUS_ACCOUNT_LOCKED_OUT",
        "the account is locked out",
    ),
    (
        0xC000_0072,
        "STATUS_ACCOUNT_DISABLED",
        "the account is disabled",
    ),
    (
        0xC000_0071,
        "STATUS_PASSWORD_EXPIRED",
        "the password has expired",
    ),
    (
        0xC000_0224,
        "STATUS_PASSWORD_MUST_CHANGE",
        "the password must be changed at next logon, which NLA cannot do",
    ),
    (
        0xC000_0193,
        "STATUS_ACCOUNT_EXPIRED",
        "the account has expired",
    ),
    (
        0xC000_006E,
        "STATUS_ACCOUNT_RESTRICTION",
        "an account restriction (e.g. a blank password) forbids the logon",
    ),
    (
        0xC000_006F,
        "STATUS_INVALID_LOGON_HOURS",
        "outside the account's logon hours",
    ),
    (
        0xC000_0070,
        "STATUS_INVALID_WORKSTATION",
        "the account may not log on from this workstation",
    ),
    (
        0xC000_015B,
        "STATUS_LOGON_TYPE_NOT_GRANTED",
        "the user lacks \"Allow log on through Remote Desktop Services\"",
    ),
    (
        0xC000_0133,
        "STATUS_TIME_DIFFERENCE_AT_DC",
        "the clocks of the server and the domain controller differ",
    ),
    (
        0xC000_005E,
        "STATUS_NO_LOGON_SERVERS",
        "no domain controller could be reached",
    ),
    (
        0xC000_018C,
        "STATUS_TRUSTED_DOMAIN_FAILURE",
        "the trust relationship failed",
    ),
    (
        0xC000_0192,
        "STATUS_NETLOGON_NOT_STARTED",
        "Netlogon not running",
    ),
    (
        0xC000_0413,
        "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        "selective-authentication firewall denied",
    ),
    (0xC000_0022, "STATUS_ACCESS_DENIED", "access denied"),
    (
        0xC000_0380,
        "STATUS_SMARTCARD_WRONG_PIN",
        "smart card PIN wrong",
    ),
    (
        0xC000_0236,
        "STATUS_CONNECTION_REFUSED",
        "connection refused",
    ),
    (
        0xC000_00DC,
        "STATUS_INVALID_SERVER_STATE",
        "invalid server state",
    ),
    (
        0x8009_0302,
        "SEC_E_UNSUPPORTED_FUNCTION",
        "TLS or CredSSP version mismatch",
    ),
    (
        0x8009_0303,
        "SEC_E_TARGET_UNKNOWN",
        "the target (SPN) is unknown",
    ),
    (
        0x8009_0304,
        "SEC_E_INTERNAL_ERROR",
        "the Local Security Authority cannot be contacted",
    ),
    (
        0x8009_0308,
        "SEC_E_INVALID_TOKEN",
        "malformed security token",
    ),
    (
        0x8009_030C,
        "SEC_E_LOGON_DENIED",
        "logon denied (bad credentials)",
    ),
    (
        0x8009_030D,
        "SEC_E_UNKNOWN_CREDENTIALS",
        "the credentials are not recognised (with Schannel: the certificate's private key cannot be used)",
    ),
    (
        0x8009_030E,
        "SEC_E_NO_CREDENTIALS",
        "no credentials available",
    ),
    (0x8009_030F, "SEC_E_MESSAGE_ALTERED", "message altered"),
    (
        0x8009_0311,
        "SEC_E_NO_AUTHENTICATING_AUTHORITY",
        "no domain controller or KDC could be contacted",
    ),
    (
        0x8009_0317,
        "SEC_E_CONTEXT_EXPIRED",
        "security context expired",
    ),
    (
        0x8009_0318,
        "SEC_E_INCOMPLETE_MESSAGE",
        "incomplete message (truncation or packet loss)",
    ),
    (
        0x8009_0322,
        "SEC_E_WRONG_PRINCIPAL",
        "the target principal name is wrong (SPN or host name)",
    ),
    (0x8009_0324, "SEC_E_TIME_SKEW", "clock skew"),
    (
        0x8009_0325,
        "SEC_E_UNTRUSTED_ROOT",
        "the certificate chain ends in an untrusted root",
    ),
    (
        0x8009_0326,
        "SEC_E_ILLEGAL_MESSAGE",
        "the peer sent an illegal or unexpected message",
    ),
    (
        0x8009_0327,
        "SEC_E_CERT_UNKNOWN",
        "unknown certificate problem",
    ),
    (
        0x8009_0328,
        "SEC_E_CERT_EXPIRED",
        "the certificate has expired",
    ),
    (
        0x8009_0331,
        "SEC_E_ALGORITHM_MISMATCH",
        "no cipher suite or protocol in common",
    ),
    (
        0x8009_0345,
        "SEC_E_DELEGATION_REQUIRED",
        "delegation required",
    ),
    (
        0x8009_0346,
        "SEC_E_BAD_BINDINGS",
        "channel-binding mismatch",
    ),
    (
        0x8009_0349,
        "SEC_E_CERT_WRONG_USAGE",
        "the certificate's key usage is wrong for TLS",
    ),
    (
        0x8009_0350,
        "SEC_E_DOWNGRADE_DETECTED",
        "downgrade detected",
    ),
    (
        0x8009_0352,
        "SEC_E_ISSUING_CA_UNTRUSTED",
        "issuing CA untrusted",
    ),
    (
        0x8009_0353,
        "SEC_E_REVOCATION_OFFLINE_C",
        "revocation check offline",
    ),
    (
        0x8009_035E,
        "SEC_E_DELEGATION_POLICY",
        "delegation policy forbids sending credentials",
    ),
    (
        0x8009_035F,
        "SEC_E_POLICY_NLTM_ONLY",
        "policy restricts to NTLM",
    ),
    (
        0x8009_0363,
        "SEC_E_MUTUAL_AUTH_FAILED",
        "mutual authentication failed",
    ),
    (0x8000_4005, "E_FAIL", "unspecified failure"),
];

/// Extended disconnect reasons (codes.md §2), which LSM 40's reason codes follow; 256–266 and
/// 4096–32767 are ranges ([`Table::find`]).
pub const EXTENDED_REASONS: &[Code] = &[
    (0, "exDiscReasonNoInfo", "no information"),
    (
        1,
        "exDiscReasonAPIInitiatedDisconnect",
        "an application disconnected",
    ),
    (
        2,
        "exDiscReasonAPIInitiatedLogoff",
        "an application logged the session off",
    ),
    (
        3,
        "exDiscReasonServerIdleTimeout",
        "idle timeout on the server",
    ),
    (
        4,
        "exDiscReasonServerLogonTimeout",
        "logon time limit exceeded",
    ),
    (
        5,
        "exDiscReasonReplacedByOtherConnection",
        "replaced by another connection",
    ),
    (6, "exDiscReasonOutOfMemory", "server out of memory"),
    (
        7,
        "exDiscReasonServerDeniedConnection",
        "the server refused the connection",
    ),
    (
        8,
        "exDiscReasonServerDeniedConnectionFips",
        "the server refused the connection (FIPS)",
    ),
    (
        9,
        "exDiscReasonServerInsufficientPrivileges",
        "insufficient privileges",
    ),
    (
        10,
        "exDiscReasonServerFreshCredsRequired",
        "fresh credentials required",
    ),
    (
        11,
        "exDiscReasonRpcInitiatedDisconnectByUser",
        "disconnected by an admin tool or the user",
    ),
    (12, "exDiscReasonLogoffByUser", "the user logged off"),
    (
        25,
        "exDiscReasonShutdown",
        "the server is shutting down (from a public header only)",
    ),
    (
        26,
        "exDiscReasonReboot",
        "the server is rebooting (from a public header only)",
    ),
    (
        267,
        "exDiscReasonLicenseCreatingLicStoreAccDenied",
        "the client could not create its licence store (access denied)",
    ),
    (
        768,
        "exDiscReasonRdpEncInvalidCredentials",
        "invalid credentials (RDP encryption path)",
    ),
];

/// RDP_NEG_FAILURE `failureCode` (codes.md §4; MS-RDPBCGR 2.2.1.2.2).
pub const NEG_FAILURES: &[Code] = &[
    (
        1,
        "SSL_REQUIRED_BY_SERVER",
        "the server requires TLS or CredSSP; the client offered only Standard RDP Security",
    ),
    (
        2,
        "SSL_NOT_ALLOWED_BY_SERVER",
        "the server allows only Standard RDP Security (SecurityLayer = RDP); the client asked for TLS",
    ),
    (
        3,
        "SSL_CERT_NOT_ON_SERVER",
        "the server has no certificate to use for TLS",
    ),
    (
        4,
        "INCONSISTENT_FLAGS",
        "the client's requested protocols are inconsistent",
    ),
    (
        5,
        "HYBRID_REQUIRED_BY_SERVER",
        "the server requires Network Level Authentication (CredSSP); the client did not offer it",
    ),
    (
        6,
        "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        "the server requires TLS with user authentication",
    ),
];

/// TLS alert descriptions (codes.md §7; RFC 5246/8446).
pub const TLS_ALERTS: &[Code] = &[
    (0, "close_notify", "orderly close"),
    (
        10,
        "unexpected_message",
        "protocol confusion (e.g. non-TLS bytes, wrong layer)",
    ),
    (20, "bad_record_mac", "corruption or decryption failure"),
    (21, "decryption_failed", "decryption failed (legacy)"),
    (22, "record_overflow", "a record was too long"),
    (30, "decompression_failure", "decompression failed"),
    (
        40,
        "handshake_failure",
        "no common cipher or version; also Schannel's \"fatal error code 40\" when the server cannot use its credential",
    ),
    (41, "no_certificate", "no certificate (SSLv3 only)"),
    (42, "bad_certificate", "the certificate was bad"),
    (
        43,
        "unsupported_certificate",
        "the certificate type is not supported",
    ),
    (44, "certificate_revoked", "the certificate was revoked"),
    (
        45,
        "certificate_expired",
        "the certificate has expired (e.g. the RDP self-signed certificate)",
    ),
    (
        46,
        "certificate_unknown",
        "the client rejected the server certificate for another reason",
    ),
    (
        47,
        "illegal_parameter",
        "a handshake field was out of range",
    ),
    (
        48,
        "unknown_ca",
        "the issuer is not trusted (self-signed or private CA)",
    ),
    (49, "access_denied", "access denied"),
    (50, "decode_error", "a message could not be decoded"),
    (
        51,
        "decrypt_error",
        "a handshake cryptographic operation failed",
    ),
    (60, "export_restriction", "export restriction (legacy)"),
    (
        70,
        "protocol_version",
        "TLS version mismatch (TLS 1.0/1.1 disabled on one side)",
    ),
    (
        71,
        "insufficient_security",
        "the cipher is too weak for the peer's policy",
    ),
    (
        80,
        "internal_error",
        "failure inside the peer (Schannel sends it when it cannot access its private key)",
    ),
    (
        86,
        "inappropriate_fallback",
        "inappropriate version fallback",
    ),
    (90, "user_canceled", "the handshake was cancelled"),
    (100, "no_renegotiation", "renegotiation refused"),
    (
        109,
        "missing_extension",
        "a required extension is missing (TLS 1.3)",
    ),
    (
        110,
        "unsupported_extension",
        "an extension was not supported",
    ),
    (
        111,
        "certificate_unobtainable",
        "the certificate could not be obtained",
    ),
    (112, "unrecognized_name", "the SNI name is not recognised"),
    (
        113,
        "bad_certificate_status_response",
        "bad certificate status (OCSP) response",
    ),
    (
        114,
        "bad_certificate_hash_value",
        "bad certificate hash value",
    ),
    (115, "unknown_psk_identity", "unknown PSK identity"),
    (
        116,
        "certificate_required",
        "a certificate is required (TLS 1.3)",
    ),
    (
        120,
        "no_application_protocol",
        "no common application protocol (ALPN)",
    ),
];

/// Kerberos KRB-ERROR codes (codes.md §8; RFC 4120 §7.5.9, RFC 4556).
pub const KERBEROS_ERRORS: &[Code] = &[
    (
        6,
        "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        "the user is unknown to the KDC",
    ),
    (
        7,
        "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        "SPN TERMSRV/host not found (connecting by IP, alias or a wrong name); Negotiate falls back to NTLM or fails",
    ),
    (
        12,
        "KDC_ERR_POLICY",
        "a policy rejects the logon (e.g. logon restrictions)",
    ),
    (
        13,
        "KDC_ERR_BADOPTION",
        "the KDC cannot grant an option the request asked for (RFC 4120 §7.5.9); clients retry without it: not a failure by itself",
    ),
    (
        14,
        "KDC_ERR_ETYPE_NOSUPP",
        "no common encryption type (RC4/AES settings)",
    ),
    (
        18,
        "KDC_ERR_CLIENT_REVOKED",
        "the account is disabled, locked, expired or outside its logon hours",
    ),
    (23, "KDC_ERR_KEY_EXPIRED", "the password has expired"),
    (
        24,
        "KDC_ERR_PREAUTH_FAILED",
        "wrong password (4771 failure code 0x18)",
    ),
    (
        25,
        "KDC_ERR_PREAUTH_REQUIRED",
        "pre-authentication required: the normal first round, not an error",
    ),
    (
        29,
        "KDC_ERR_SVC_UNAVAILABLE",
        "the KDC service is unavailable",
    ),
    (31, "KRB_AP_ERR_BAD_INTEGRITY", "integrity check failed"),
    (32, "KRB_AP_ERR_TKT_EXPIRED", "the ticket has expired"),
    (33, "KRB_AP_ERR_TKT_NYV", "the ticket is not yet valid"),
    (34, "KRB_AP_ERR_REPEAT", "a replay was detected"),
    (35, "KRB_AP_ERR_NOT_US", "the ticket is not for this server"),
    (
        36,
        "KRB_AP_ERR_BADMATCH",
        "ticket and authenticator do not match",
    ),
    (
        37,
        "KRB_AP_ERR_SKEW",
        "clock skew too great (more than 5 minutes by default)",
    ),
    (
        41,
        "KRB_AP_ERR_MODIFIED",
        "the server cannot decrypt the ticket: duplicate SPN, wrong machine password or stale computer account",
    ),
    (
        52,
        "KRB_ERR_RESPONSE_TOO_BIG",
        "switch from UDP to TCP: normal",
    ),
    (60, "KRB_ERR_GENERIC", "generic error"),
    (
        62,
        "KDC_ERR_CLIENT_NOT_TRUSTED",
        "PKINIT: the client certificate is not trusted (smart card)",
    ),
    (
        63,
        "KDC_ERR_KDC_NOT_TRUSTED",
        "PKINIT: the KDC is not trusted (smart card)",
    ),
    (
        64,
        "KDC_ERR_INVALID_SIG",
        "PKINIT: invalid signature (smart card)",
    ),
    (
        65,
        "KDC_ERR_KEY_TOO_WEAK",
        "PKINIT: key too weak (smart card)",
    ),
    (68, "KDC_ERR_WRONG_REALM", "referral to another realm"),
    (
        70,
        "KDC_ERR_CANT_VERIFY_CERTIFICATE",
        "PKINIT: the certificate cannot be verified (smart card)",
    ),
    (
        71,
        "KDC_ERR_INVALID_CERTIFICATE",
        "PKINIT: invalid certificate (smart card)",
    ),
    (
        72,
        "KDC_ERR_REVOKED_CERTIFICATE",
        "PKINIT: the certificate is revoked (smart card)",
    ),
    (
        73,
        "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
        "PKINIT: revocation status unknown (smart card)",
    ),
    (
        74,
        "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE",
        "PKINIT: revocation status unavailable (smart card)",
    ),
    (
        75,
        "KDC_ERR_CLIENT_NAME_MISMATCH",
        "PKINIT: client name mismatch (smart card)",
    ),
    (
        76,
        "KDC_ERR_KDC_NAME_MISMATCH",
        "PKINIT: KDC name mismatch (smart card)",
    ),
];

/// Win32 and Winsock errors RDP connections die of.
pub const WIN32_ERRORS: &[Code] = &[
    (5, "ERROR_ACCESS_DENIED", "access denied"),
    (
        64,
        "ERROR_NETNAME_DELETED",
        "the network connection was closed or reset",
    ),
    (87, "ERROR_INVALID_PARAMETER", "invalid parameter"),
    (121, "ERROR_SEM_TIMEOUT", "the network timed out"),
    (
        1236,
        "ERROR_CONNECTION_ABORTED",
        "the connection was aborted locally",
    ),
    (10053, "WSAECONNABORTED", "the connection was aborted"),
    (
        10054,
        "WSAECONNRESET",
        "the connection was reset by the peer",
    ),
    (10060, "WSAETIMEDOUT", "the connection timed out"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_value_or_name_twice_in_a_table() {
        for t in Table::ALL {
            let rows = t.rows();
            for (i, (v, n, _)) in rows.iter().enumerate() {
                for (w, m, _) in &rows[i + 1..] {
                    assert!(v != w, "{t:?}: 0x{v:X} twice");
                    assert!(!n.eq_ignore_ascii_case(m), "{t:?}: {n} twice");
                }
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            disc_reason(0x904).unwrap().0,
            "disconnectReasonAtClientWinsockFDCLOSE"
        );
        assert_eq!(
            extended_reason(7).unwrap().0,
            "exDiscReasonServerDeniedConnection"
        );
        assert_eq!(extended_reason(258).unwrap().0, "exDiscReasonLicense*");
        assert_eq!(errinfo(0x10C9).unwrap().0, "ERRINFO_UNKNOWN_DATA_PDU_TYPE");
        assert_eq!(neg_failure(5).unwrap().0, "HYBRID_REQUIRED_BY_SERVER");
        assert_eq!(status(0x8009_030D).unwrap().0, "SEC_E_UNKNOWN_CREDENTIALS");
        assert_eq!(tls_alert(48).unwrap().0, "unknown_ca");
        assert_eq!(kerberos(37).unwrap().0, "KRB_AP_ERR_SKEW");
        assert_eq!(
            Table::Status.by_name("sec_e_untrusted_root"),
            Some(0x8009_0325)
        );
        assert_eq!(win32(10054).unwrap().0, "WSAECONNRESET");
        assert!(status(0x1234).is_none());
    }
}
