//! The catalog of `reference/events.md` as one data table: which events matter for an RDP
//! connection (channel + event id, and the provider where a channel is shared), what each
//! means, which fields carry the facts and how to decode them, and its one-line summary.
//!
//! Field names were checked against the corpus files (`../shared/corpus/evtx`) where events.md
//! marks them unconfirmed: RdpCoreTS 131 `ConnType`/`ClientIP`, 140 `IPString`, 103
//! `ReasonCode`, 142/143 `error`, 226 `StateTransition`…`ErrorCode`, 227 `Name`/`Value`/
//! `CustomLevel`, 228 `ComponentName`/`Message`/`ErrorCode`; RCM 261 `listenerName`, 1149
//! `Param1..3`; LSM 40 `Session`/`Reason`; Security 4776 `Workstation`/`Status`, 4778/4779
//! `AccountName`/`SessionName`/`ClientName`/`ClientAddress`, 5152/5156/5157
//! `SourcePort`/`DestPort`; System RCM 1056 unnamed `Data` (→ `param1`) and `Binary`. The
//! others (Schannel, TermDD, RDPClient, LSM 39) are not in the corpus and stay as events.md
//! names them; summaries fall back to the values present when a name is missing.

use super::Event;
use crate::model::codes::{self, disc_reason, extended_reason, status};
use crate::model::codes::{kerberos_error_name as krb_error_name, tls_alert_name as alert_name};

pub const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
pub const LSM: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
pub const CORE: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
pub const CLIENT: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
pub const SECURITY: &str = "Security";
pub const SYSTEM: &str = "System";

const RCM_PROVIDER: &[&str] = &["Microsoft-Windows-TerminalServices-RemoteConnectionManager"];
const SCHANNEL: &[&str] = &["Schannel", "Microsoft-Windows-Schannel"];
const TERMDD: &[&str] = &["TermDD", "Microsoft-Windows-TermDD"];
const ANY: &[&str] = &[];

/// The RDP port that makes a Windows Filtering Platform event part of the catalog.
pub const RDP_PORT: &str = "3389";
/// Logon types of RDP logons: 3 (NLA's network pre-authentication), 7 (reconnect/unlock),
/// 10 (RemoteInteractive), 12 (CachedRemoteInteractive) — codes.md §9.
pub const RDP_LOGON_TYPES: &[u32] = &[3, 7, 10, 12];

/// How a field's raw value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    /// Shown as written.
    Plain,
    /// NTSTATUS / SEC_E code (`0xc000006d`), named from `model::codes::STATUS_CODES`; the
    /// HRESULT form `0xD…` of TermDD is read as `0xC…`.
    NtStatus,
    /// HRESULT or Win32 error (hex or decimal): NTSTATUS/SEC_E names, `0x8007xxxx` as Win32.
    HResult,
    /// A Win32 error number (decimal).
    Win32,
    /// Security `LogonType` (codes.md §9).
    LogonType,
    /// A TLS alert description number (Schannel 36887/36888).
    TlsAlert,
    /// mstsc `discReason` (RDPClient 1026; codes.md §1).
    DiscReason,
    /// Extended disconnect reason (LSM 40; codes.md §2).
    ExtendedReason,
    /// Kerberos error code (4771 `Status`; codes.md §8).
    Kerberos,
}

/// When an event of a catalog id belongs to the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Always,
    /// Only for the logon types of [`RDP_LOGON_TYPES`].
    RdpLogonType,
    /// Only when `SourcePort` or `DestPort` is [`RDP_PORT`].
    RdpPort,
    /// Only when `ServiceName` is an RDP server principal ([`RDP_SPN_PREFIX`]).
    RdpSpn,
}

/// The service class of an RDP server's Kerberos principal (`TERMSRV/host`).
pub const RDP_SPN_PREFIX: &str = "TERMSRV/";

/// One catalog row.
pub struct Entry {
    pub channel: &'static str,
    /// Providers accepted (case-insensitive); empty = any provider of the channel.
    pub providers: &'static [&'static str],
    pub id: u32,
    /// Short name, stable: used in the report and by rules.
    pub name: &'static str,
    /// Where Windows logs it.
    pub side: LogSide,
    pub meaning: &'static str,
    /// The fields that matter, and how to decode them.
    pub fields: &'static [(&'static str, Decode)],
    pub filter: Filter,
    /// The one-line summary, from the fields.
    pub summary: fn(&Event) -> String,
}

crate::model::vocabulary! {
    /// Which host's log an event is written to.
    LogSide {
        /// The RDP server.
        Server = "server",
        /// The client running mstsc.
        Client = "client",
        /// A domain controller.
        Dc = "dc",
    }
}

use Decode::*;
use Filter::*;

macro_rules! entry {
    ($ch:expr, $prov:expr, $id:expr, $name:expr, $side:expr, $meaning:expr, [$($f:expr),* $(,)?], $filter:expr, $sum:expr) => {
        Entry {
            channel: $ch,
            providers: $prov,
            id: $id,
            name: $name,
            side: $side,
            meaning: $meaning,
            fields: &[$($f),*],
            filter: $filter,
            summary: $sum,
        }
    };
}

/// The catalog (reference/events.md §1–§6 and the RDPClient events of §4), one row per event:
/// channel, providers, id, name, side, meaning, fields with their decoders, filter, summary.
#[rustfmt::skip]
pub static CATALOG: &[Entry] = &[
    // §1 RemoteConnectionManager/Operational (server).
    entry!(RCM, ANY, 261, "listener_connection", LogSide::Server,
        "the RDP listener received a TCP connection (no address logged)",
        [("listenerName", Plain)], Always,
        |e| format!("Listener {} received a connection", v(e, "listenerName"))),
    entry!(RCM, ANY, 1149, "rcm_auth_succeeded", LogSide::Server,
        "user authentication succeeded (NLA passed, or the connection was accepted without NLA); not proof of a logon",
        [("Param1", Plain), ("Param2", Plain), ("Param3", Plain)], Always,
        |e| format!("Authentication succeeded for {} from {}", user(e, "Param2", "Param1"), v(e, "Param3"))),
    // §1, logged in System by the same provider.
    entry!(SYSTEM, RCM_PROVIDER, 1056, "rdp_cert_created", LogSide::Server,
        "a new self-signed certificate was created for RDP TLS",
        [("param1", Plain), ("Binary", Plain)], Always,
        |e| format!("New self-signed RDP certificate created{}", opt(" (thumbprint ", e.field("Binary"), ")"))),
    entry!(SYSTEM, RCM_PROVIDER, 1057, "rdp_cert_create_failed", LogSide::Server,
        "failed to create a new self-signed certificate for RDP TLS",
        [("param1", Plain)], Always,
        |e| format!("Creating the self-signed RDP certificate failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(SYSTEM, RCM_PROVIDER, 1058, "rdp_cert_replace_failed", LogSide::Server,
        "failed to replace the expired self-signed RDP certificate (\"Access is denied\": MachineKeys permissions)",
        [("param1", Plain)], Always,
        |e| format!("Replacing the expired self-signed RDP certificate failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(SYSTEM, RCM_PROVIDER, 1059, "rdp_cert_config_reset", LogSide::Server,
        "the configured RDP certificate hash was invalid and was reset",
        [("param1", Plain)], Always,
        |e| format!("The configured RDP certificate was invalid and was reset{}", opt(": ", params(e).as_deref(), ""))),
    entry!(SYSTEM, RCM_PROVIDER, 1065, "rdp_cert_template_expired", LogSide::Server,
        "the template-based RDP certificate expired and could not be replaced",
        [("param1", Plain)], Always,
        |e| format!("The template-based RDP certificate expired and could not be replaced{}", opt(": ", params(e).as_deref(), ""))),
    // §2 LocalSessionManager/Operational (server).
    entry!(LSM, ANY, 21, "session_logon", LogSide::Server,
        "session logon succeeded (a new session)",
        [("User", Plain), ("SessionID", Plain), ("Address", Plain)], Always,
        |e| format!("Session {} logon succeeded for {} from {}", v(e, "SessionID"), v(e, "User"), v(e, "Address"))),
    entry!(LSM, ANY, 22, "shell_start", LogSide::Server,
        "the session's shell started",
        [("User", Plain), ("SessionID", Plain), ("Address", Plain)], Always,
        |e| format!("Shell started in session {} for {} from {}", v(e, "SessionID"), v(e, "User"), v(e, "Address"))),
    entry!(LSM, ANY, 23, "session_logoff", LogSide::Server,
        "session logoff succeeded",
        [("User", Plain), ("SessionID", Plain)], Always,
        |e| format!("Session {} of {} logged off", v(e, "SessionID"), v(e, "User"))),
    entry!(LSM, ANY, 24, "session_disconnected", LogSide::Server,
        "the session was disconnected",
        [("User", Plain), ("SessionID", Plain), ("Address", Plain)], Always,
        |e| format!("Session {} of {} from {} disconnected", v(e, "SessionID"), v(e, "User"), v(e, "Address"))),
    entry!(LSM, ANY, 25, "session_reconnected", LogSide::Server,
        "session reconnection succeeded",
        [("User", Plain), ("SessionID", Plain), ("Address", Plain)], Always,
        |e| format!("Session {} of {} reconnected from {}", v(e, "SessionID"), v(e, "User"), v(e, "Address"))),
    entry!(LSM, ANY, 39, "session_disconnected_by", LogSide::Server,
        "a session was disconnected by another session",
        [("TargetSession", Plain), ("Source", Plain)], Always,
        |e| format!("Session {} was disconnected by session {}", v(e, "TargetSession"), v(e, "Source"))),
    entry!(LSM, ANY, 40, "session_disconnect_reason", LogSide::Server,
        "a session was disconnected, with the reason code",
        [("Session", Plain), ("Reason", ExtendedReason)], Always,
        |e| format!("Session {} disconnected, reason {}", v(e, "Session"), coded(e, "Reason", ExtendedReason))),
    entry!(LSM, ANY, 41, "session_arbitration", LogSide::Server,
        "session arbitration began (which session the user gets)",
        [("User", Plain), ("SessionID", Plain)], Always,
        |e| format!("Session arbitration began for {} (session {})", v(e, "User"), v(e, "SessionID"))),
    // §3 RdpCoreTS/Operational (server): the connection sequence.
    entry!(CORE, ANY, 131, "connection_accepted", LogSide::Server,
        "the server accepted a new TCP/UDP connection from the client (logged for failed attempts too)",
        [("ConnType", Plain), ("ClientIP", Plain)], Always,
        |e| format!("Accepted a {} connection from {}", v(e, "ConnType"), v(e, "ClientIP"))),
    entry!(CORE, ANY, 140, "nla_failed", LogSide::Server,
        "the connection failed because the user name or password is not correct (NLA)",
        [("IPString", Plain)], Always,
        |e| format!("NLA failed for {} (user name or password incorrect)", v(e, "IPString"))),
    entry!(CORE, ANY, 139, "security_layer_error", LogSide::Server,
        "the server security layer detected an error in the protocol stream and disconnected the client",
        [], Always,
        |e| format!("Security layer error, client disconnected{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 97, "protocol_error", LogSide::Server,
        "a protocol component detected an error in the protocol stream; client disconnected",
        [], Always,
        |e| format!("Protocol stream error, client disconnected{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 98, "tcp_established", LogSide::Server,
        "a TCP connection was established",
        [], Always,
        |_| "TCP connection established".into()),
    entry!(CORE, ANY, 99, "tcp_failed", LogSide::Server,
        "a TCP connection failed",
        [], Always,
        |e| format!("TCP connection failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 65, "connection_created", LogSide::Server,
        "connection RDP-Tcp#N created",
        [("ConnectionName", Plain)], Always,
        |e| format!("Connection {} created", v(e, "ConnectionName"))),
    entry!(CORE, ANY, 66, "connection_assigned", LogSide::Server,
        "the connection was assigned to a session",
        [("ConnectionName", Plain), ("SessionID", Plain)], Always,
        |e| format!("Connection {} assigned to session {}", v(e, "ConnectionName"), v(e, "SessionID"))),
    entry!(CORE, ANY, 68, "connection_timing", LogSide::Server,
        "connection timing (ms): credentials prompt, graphics channel, first graphics",
        [("ConnectionName", Plain), ("PromptForCredentials", Plain), ("GfxChannelOpened", Plain), ("FirstGraphicsReceived", Plain)], Always,
        |e| format!("Connection {} timing: graphics channel at {} ms, first graphics at {} ms", v(e, "ConnectionName"), v(e, "GfxChannelOpened"), v(e, "FirstGraphicsReceived"))),
    entry!(CORE, ANY, 102, "connection_terminated", LogSide::Server,
        "the server terminated the main RDP connection",
        [], Always,
        |_| "The server terminated the main RDP connection".into()),
    entry!(CORE, ANY, 103, "disconnect_reason", LogSide::Server,
        "the disconnect reason code",
        [("ReasonCode", Plain)], Always,
        |e| format!("Disconnect reason {}", v(e, "ReasonCode"))),
    entry!(CORE, ANY, 130, "udp_requested", LogSide::Server,
        "multi-transport (UDP) was requested",
        [("TunnelID", Plain)], Always,
        |e| format!("Multi-transport (UDP) requested, tunnel {}", v(e, "TunnelID"))),
    entry!(CORE, ANY, 132, "channel_created", LogSide::Server,
        "a dynamic channel was created",
        [("ChannelName", Plain), ("TunnelID", Plain)], Always,
        |e| format!("Channel {} created on tunnel {}", v(e, "ChannelName"), v(e, "TunnelID"))),
    entry!(CORE, ANY, 133, "udp_latency", LogSide::Server,
        "multi-transport latency and bandwidth measured",
        [], Always,
        |e| format!("Multi-transport latency/bandwidth{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 135, "transport_finished", LogSide::Server,
        "the transport negotiation finished",
        [("TunnelID", Plain), ("TransportType", Plain)], Always,
        |e| format!("Transport for tunnel {}: {}", v(e, "TunnelID"), v(e, "TransportType"))),
    entry!(CORE, ANY, 136, "udp_unavailable", LogSide::Server,
        "UDP transport not available",
        [], Always,
        |e| format!("UDP transport not available{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 138, "dtls_failed", LogSide::Server,
        "DTLS initialisation failed (UDP)",
        [], Always,
        |e| format!("DTLS initialisation failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 142, "socket_read_failed", LogSide::Server,
        "a TCP socket READ failed",
        [("error", Win32)], Always,
        |e| format!("TCP socket read failed: {}", coded(e, "error", Win32))),
    entry!(CORE, ANY, 143, "socket_write_failed", LogSide::Server,
        "a TCP socket WRITE failed",
        [("error", Win32)], Always,
        |e| format!("TCP socket write failed: {}", coded(e, "error", Win32))),
    entry!(CORE, ANY, 144, "socket_closed", LogSide::Server,
        "the TCP socket was gracefully closed",
        [], Always,
        |_| "TCP socket gracefully closed".into()),
    entry!(CORE, ANY, 145, "idle", LogSide::Server,
        "no data was sent for a while",
        [("IdleSeconds", Plain)], Always,
        |e| format!("Idle {} s", v(e, "IdleSeconds"))),
    entry!(CORE, ANY, 146, "autoreconnect_failed", LogSide::Server,
        "AutoReconnect failed",
        [], Always,
        |e| format!("AutoReconnect failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 147, "logon_user_failed", LogSide::Server,
        "LogonUserExEx failed",
        [], Always,
        |e| format!("LogonUserExEx failed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 149, "logon_certificate_invalid", LogSide::Server,
        "the client's logon certificate did not validate (smart card)",
        [], Always,
        |e| format!("Client logon certificate did not validate{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 150, "flush_delay", LogSide::Server,
        "flush delay",
        [], Always,
        |e| format!("Flush delay{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 151, "heartbeat_stats", LogSide::Server,
        "heartbeat statistics",
        [], Always,
        |e| format!("Heartbeat statistics{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 152, "heartbeat_missed", LogSide::Server,
        "heartbeats missed",
        [], Always,
        |e| format!("Heartbeats missed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 153, "tls_version", LogSide::Server,
        "the TLS version the session negotiated",
        [], Always,
        |e| format!("TLS negotiated{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CORE, ANY, 226, "state_transition_error", LogSide::Server,
        "the connection state machine failed a transition (names the stage and the error)",
        [("StateTransition", Plain), ("PreviousStateName", Plain), ("NewStateName", Plain), ("EventName", Plain), ("ErrorCode", HResult)], Always,
        |e| transition(e)),
    entry!(CORE, ANY, 227, "component_error", LogSide::Server,
        "a component reported an error (free text, HRESULT)",
        [("Name", Plain), ("Value", HResult), ("CustomLevel", Plain)], Always,
        |e| format!("{} error {}: {}", v(e, "Name"), coded(e, "Value", HResult), v(e, "CustomLevel"))),
    entry!(CORE, ANY, 228, "disconnect_trace", LogSide::Server,
        "disconnect trace with an error code",
        [("ComponentName", Plain), ("Message", Plain), ("ErrorCode", Plain)], Always,
        |e| format!("{}: {} (error {})", v(e, "ComponentName"), v(e, "Message"), v(e, "ErrorCode"))),
    // §4 RDPClient/Operational (client).
    entry!(CLIENT, ANY, 1024, "client_connecting", LogSide::Client,
        "the client is trying to connect to the server",
        [("Value", Plain)], Always,
        |e| format!("Client connecting to {}", v(e, "Value"))),
    entry!(CLIENT, ANY, 1025, "client_connected", LogSide::Client,
        "the client connected to the server (transport up)",
        [], Always,
        |_| "Client connected (transport up)".into()),
    entry!(CLIENT, ANY, 1026, "client_disconnected", LogSide::Client,
        "the client disconnected; Value is mstsc's discReason",
        [("Value", DiscReason)], Always,
        |e| format!("Client disconnected, {}", dialog_code(e))),
    entry!(CLIENT, ANY, 1027, "client_session", LogSide::Client,
        "connected to the domain with a session id",
        [("DomainName", Plain), ("SessionId", Plain)], Always,
        |e| format!("Client connected to domain {} with session {}", v(e, "DomainName"), v(e, "SessionId"))),
    entry!(CLIENT, ANY, 1029, "client_user_hash", LogSide::Client,
        "Base64(SHA256(user name)) the client used",
        [("TraceMessage", Plain)], Always,
        |e| format!("User name hash {}", first(e, &["TraceMessage", "param1"]))),
    entry!(CLIENT, ANY, 1102, "client_udp_started", LogSide::Client,
        "the client started a multi-transport (UDP) connection",
        [("Value", Plain)], Always,
        |e| format!("Client started multi-transport (UDP) to {}", v(e, "Value"))),
    entry!(CLIENT, ANY, 1105, "client_udp_closed", LogSide::Client,
        "the multi-transport (UDP) connection closed",
        [], Always,
        |e| format!("Client multi-transport (UDP) closed{}", opt(": ", params(e).as_deref(), ""))),
    entry!(CLIENT, ANY, 226, "client_state_transition_error", LogSide::Client,
        "the client's state machine failed a transition: the stage where it failed",
        [("StateTransitionName", Plain), ("PreviousStateName", Plain), ("NewStateName", Plain), ("EventName", Plain), ("ErrorCode", HResult)], Always,
        |e| transition(e)),
    // §5 Security.
    entry!(SECURITY, ANY, 4624, "logon_succeeded", LogSide::Server,
        "logon succeeded (type 10 RDP, 7 reconnect, 3 NLA pre-auth)",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("LogonType", LogonType), ("IpAddress", Plain), ("TargetLogonId", Plain)], RdpLogonType,
        |e| format!("Logon succeeded for {} from {} (logon type {})", user(e, "TargetDomainName", "TargetUserName"), v(e, "IpAddress"), coded(e, "LogonType", LogonType))),
    entry!(SECURITY, ANY, 4625, "logon_failed", LogSide::Server,
        "logon failed; Status/SubStatus say why",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("LogonType", LogonType), ("Status", NtStatus), ("SubStatus", NtStatus), ("IpAddress", Plain), ("WorkstationName", Plain), ("LogonProcessName", Plain)], RdpLogonType,
        |e| format!("Logon failed for {} from {} (logon type {}): {}", user(e, "TargetDomainName", "TargetUserName"), v(e, "IpAddress"), coded(e, "LogonType", LogonType), failure(e))),
    entry!(SECURITY, ANY, 4634, "logoff", LogSide::Server,
        "an account was logged off",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("LogonType", LogonType), ("TargetLogonId", Plain)], RdpLogonType,
        |e| format!("{} logged off (logon type {})", user(e, "TargetDomainName", "TargetUserName"), coded(e, "LogonType", LogonType))),
    entry!(SECURITY, ANY, 4647, "user_logoff", LogSide::Server,
        "the user initiated a logoff",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("TargetLogonId", Plain)], Always,
        |e| format!("{} initiated a logoff", user(e, "TargetDomainName", "TargetUserName"))),
    entry!(SECURITY, ANY, 4648, "explicit_credentials", LogSide::Client,
        "a logon with explicit credentials (mstsc on the client: TERMSRV/host)",
        [("SubjectUserName", Plain), ("TargetUserName", Plain), ("TargetDomainName", Plain), ("TargetServerName", Plain), ("TargetInfo", Plain), ("IpAddress", Plain), ("ProcessName", Plain)], Always,
        |e| format!("{} used explicit credentials of {} for {}", v(e, "SubjectUserName"), user(e, "TargetDomainName", "TargetUserName"), v(e, "TargetServerName"))),
    entry!(SECURITY, ANY, 4776, "ntlm_validation", LogSide::Dc,
        "NTLM credential validation",
        [("TargetUserName", Plain), ("Workstation", Plain), ("Status", NtStatus)], Always,
        |e| format!("NTLM validation of {} from {}: {}", v(e, "TargetUserName"), v(e, "Workstation"), status_or_ok(e, "Status"))),
    entry!(SECURITY, ANY, 4771, "kerberos_preauth_failed", LogSide::Dc,
        "Kerberos pre-authentication failed",
        [("TargetUserName", Plain), ("ServiceName", Plain), ("Status", Kerberos), ("IpAddress", Plain)], Always,
        |e| format!("Kerberos pre-authentication failed for {} from {}: {}", v(e, "TargetUserName"), v(e, "IpAddress"), coded(e, "Status", Kerberos))),
    entry!(SECURITY, ANY, 4740, "account_locked_out", LogSide::Dc,
        "a user account was locked out (logged by the domain controller for a domain account, by the computer itself for a local one); TargetDomainName is the caller computer whose failures locked it",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("SubjectUserName", Plain), ("SubjectDomainName", Plain)], Always,
        |e| format!("Account {} was locked out{}{}", user(e, "", "TargetUserName"), opt(" by failures from computer ", e.field("TargetDomainName"), ""), opt(" (logged by ", e.field("SubjectUserName"), ")"))),
    entry!(SECURITY, ANY, 4767, "account_unlocked", LogSide::Dc,
        "a user account was unlocked; Subject* name who unlocked it",
        [("TargetUserName", Plain), ("TargetDomainName", Plain), ("SubjectUserName", Plain), ("SubjectDomainName", Plain)], Always,
        |e| format!("Account {} was unlocked by {}", user(e, "TargetDomainName", "TargetUserName"), user(e, "SubjectDomainName", "SubjectUserName"))),
    entry!(SECURITY, ANY, 4769, "kerberos_service_ticket", LogSide::Dc,
        "a Kerberos service ticket was requested for an RDP server (TERMSRV/host); Status 0x7 = no such principal",
        [("TargetUserName", Plain), ("ServiceName", Plain), ("Status", Kerberos), ("IpAddress", Plain)], RdpSpn,
        |e| format!("Service ticket for {} requested by {} from {}: {}", v(e, "ServiceName"), v(e, "TargetUserName"), v(e, "IpAddress"), kerberos_result(e))),
    entry!(SECURITY, ANY, 4778, "session_reconnected_ws", LogSide::Server,
        "a session was reconnected to a window station",
        [("AccountName", Plain), ("AccountDomain", Plain), ("SessionName", Plain), ("ClientName", Plain), ("ClientAddress", Plain)], Always,
        |e| format!("{} reconnected to {} from {} ({})", user(e, "AccountDomain", "AccountName"), v(e, "SessionName"), v(e, "ClientAddress"), v(e, "ClientName"))),
    entry!(SECURITY, ANY, 4779, "session_disconnected_ws", LogSide::Server,
        "a session was disconnected from a window station",
        [("AccountName", Plain), ("AccountDomain", Plain), ("SessionName", Plain), ("ClientName", Plain), ("ClientAddress", Plain)], Always,
        |e| format!("{} disconnected from {} ({} {})", user(e, "AccountDomain", "AccountName"), v(e, "SessionName"), v(e, "ClientAddress"), v(e, "ClientName"))),
    entry!(SECURITY, ANY, 4825, "rdp_access_denied", LogSide::Server,
        "a user was denied Remote Desktop access (not in Remote Desktop Users or Administrators)",
        [("AccountName", Plain), ("AccountDomain", Plain), ("ClientAddress", Plain)], Always,
        |e| format!("{} was denied Remote Desktop access from {} (not in Remote Desktop Users)", user(e, "AccountDomain", "AccountName"), v(e, "ClientAddress"))),
    entry!(SECURITY, ANY, 5152, "wfp_packet_dropped", LogSide::Server,
        "the Windows Filtering Platform dropped a packet (RDP port)",
        [("SourceAddress", Plain), ("SourcePort", Plain), ("DestAddress", Plain), ("DestPort", Plain), ("Protocol", Plain)], RdpPort,
        |e| format!("Firewall dropped a packet {} → {}", endpoint(e, "SourceAddress", "SourcePort"), endpoint(e, "DestAddress", "DestPort"))),
    entry!(SECURITY, ANY, 5156, "wfp_connection_allowed", LogSide::Server,
        "the Windows Filtering Platform allowed a connection (RDP port)",
        [("SourceAddress", Plain), ("SourcePort", Plain), ("DestAddress", Plain), ("DestPort", Plain), ("Application", Plain)], RdpPort,
        |e| format!("Firewall allowed {} → {}", endpoint(e, "SourceAddress", "SourcePort"), endpoint(e, "DestAddress", "DestPort"))),
    entry!(SECURITY, ANY, 5157, "wfp_connection_blocked", LogSide::Server,
        "the Windows Filtering Platform blocked a connection (RDP port)",
        [("SourceAddress", Plain), ("SourcePort", Plain), ("DestAddress", Plain), ("DestPort", Plain), ("Application", Plain)], RdpPort,
        |e| format!("Firewall blocked {} → {}", endpoint(e, "SourceAddress", "SourcePort"), endpoint(e, "DestAddress", "DestPort"))),
    // §6 System: Schannel and TermDD.
    entry!(SYSTEM, SCHANNEL, 36870, "tls_private_key_error", LogSide::Server,
        "fatal error accessing the TLS server credential's private key (MachineKeys permissions or corruption)",
        [("Type", Plain), ("ErrorCode", NtStatus), ("ErrorStatus", Plain)], Always,
        |e| format!("Schannel cannot use the private key of its TLS {} credential: {}{}", e.field("Type").unwrap_or("server"), coded(e, "ErrorCode", NtStatus), opt(" (internal error ", e.field("ErrorStatus").or_else(|| e.field("ErrorState")), ")"))),
    entry!(SYSTEM, SCHANNEL, 36871, "tls_credential_error", LogSide::Server,
        "fatal error creating a TLS credential (e.g. protocol versions disabled)",
        [("ErrorState", Plain)], Always,
        |e| format!("Schannel could not create a TLS credential{}", opt(": ", params(e).as_deref(), ""))),
    entry!(SYSTEM, SCHANNEL, 36874, "tls_no_common_version", LogSide::Server,
        "a TLS connection request arrived but none of the client's protocol versions is enabled on the server",
        [], Always,
        |_| "TLS request refused: no protocol version in common with the client".into()),
    entry!(SYSTEM, SCHANNEL, 36887, "tls_alert_received", LogSide::Server,
        "a fatal TLS alert was received from the remote end",
        [("AlertDesc", TlsAlert)], Always,
        |e| format!("Fatal TLS alert received: {}", alert(e))),
    entry!(SYSTEM, SCHANNEL, 36888, "tls_alert_sent", LogSide::Server,
        "a fatal TLS alert was generated and sent to the remote end",
        [("AlertDesc", TlsAlert), ("ErrorState", Plain)], Always,
        |e| format!("Fatal TLS alert sent: {}{}", alert(e), opt(" (internal state ", e.field("ErrorState"), ")"))),
    entry!(SYSTEM, TERMDD, 50, "rdp_protocol_error", LogSide::Server,
        "the RDP protocol component detected an error in the protocol stream and disconnected the client",
        [], Always,
        |e| format!("RDP protocol error, client disconnected{}", opt(": ", params(e).as_deref(), ""))),
    entry!(SYSTEM, TERMDD, 56, "rdp_protocol_error_client", LogSide::Server,
        "the RDP protocol component detected an error and disconnected the client (param2: its address; the status in the binary data)",
        [("param1", Plain), ("param2", Plain), ("Binary", Plain)], Always,
        |e| format!("RDP protocol error, client {} disconnected{}", v(e, "param2"), termdd_summary(e))),
];

/// Whether an event of this channel and id can be in the catalog (providers and filters
/// aside): records for which this is false are counted without being read whole.
pub fn may_match(channel: &str, id: u32) -> bool {
    CATALOG
        .iter()
        .any(|c| c.id == id && c.channel.eq_ignore_ascii_case(channel))
}

/// Whether every event of this channel and id is a catalog event, whatever its provider and
/// fields: a row of the pair that names no provider and filters on no field. Such an event can
/// be counted from its id and channel alone.
pub fn always_in_catalog(channel: &str, id: u32) -> bool {
    CATALOG.iter().any(|c| {
        c.id == id
            && c.channel.eq_ignore_ascii_case(channel)
            && c.providers.is_empty()
            && matches!(c.filter, Filter::Always)
    })
}

/// The catalog row of an event, if it is one.
pub fn lookup(e: &Event) -> Option<&'static Entry> {
    CATALOG.iter().find(|c| {
        c.id == e.id
            && c.channel.eq_ignore_ascii_case(&e.channel)
            && (c.providers.is_empty()
                || c.providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&e.provider)))
            && match c.filter {
                Filter::Always => true,
                Filter::RdpLogonType => e
                    .field("LogonType")
                    .and_then(|t| t.parse::<u32>().ok())
                    .is_some_and(|t| RDP_LOGON_TYPES.contains(&t)),
                Filter::RdpPort => {
                    e.field("SourcePort") == Some(RDP_PORT) || e.field("DestPort") == Some(RDP_PORT)
                }
                Filter::RdpSpn => e.field("ServiceName").is_some_and(|n| {
                    n.get(..RDP_SPN_PREFIX.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(RDP_SPN_PREFIX))
                }),
            }
    })
}

/// A catalog event, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    pub name: &'static str,
    pub side: LogSide,
    pub meaning: &'static str,
    pub summary: String,
    /// Decoded values of the fields that have a decoder (field name → reading).
    pub decoded: Vec<(String, String)>,
}

/// Names and summarizes a catalog event; `None` for events outside the catalog.
pub fn describe(e: &Event) -> Option<Described> {
    let c = lookup(e)?;
    let decoded = c
        .fields
        .iter()
        .filter(|(_, d)| *d != Decode::Plain)
        .filter_map(|&(f, d)| {
            let raw = e.field(f)?;
            decode(d, raw).map(|s| (f.to_string(), s))
        })
        .collect();
    Some(Described {
        name: c.name,
        side: c.side,
        meaning: c.meaning,
        summary: (c.summary)(e),
        decoded,
    })
}

/// Reads a number written in decimal or `0x` hex.
pub fn number(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    match raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => raw.parse().ok(),
    }
}

/// The reading of one raw value, when the decoder knows it.
pub fn decode(d: Decode, raw: &str) -> Option<String> {
    let n = number(raw);
    match d {
        Decode::Plain => None,
        Decode::NtStatus | Decode::HResult => {
            let code = u32::try_from(n?).ok()?;
            // TermDD writes NTSTATUS as HRESULT (0xD… for 0xC…).
            let code = if code >> 28 == 0xD {
                code & 0xCFFF_FFFF
            } else {
                code
            };
            if let Some((name, meaning)) = status(code) {
                return Some(format!("{name}: {meaning}"));
            }
            if code >> 16 == 0x8007 {
                return Some(win32(code & 0xFFFF));
            }
            None
        }
        Decode::Win32 => Some(win32(u32::try_from(n?).ok()?)),
        Decode::LogonType => logon_type(u32::try_from(n?).ok()?).map(str::to_string),
        Decode::TlsAlert => Some(alert_name(u8::try_from(n?).ok()?)),
        Decode::DiscReason => {
            disc_reason(u32::try_from(n?).ok()?).map(|(name, meaning)| format!("{name}: {meaning}"))
        }
        Decode::ExtendedReason => extended_reason(u32::try_from(n?).ok()?)
            .map(|(name, meaning)| format!("{name}: {meaning}")),
        Decode::Kerberos => Some(krb_error_name(i32::try_from(n?).ok()?)),
    }
}

/// Logon types (codes.md §9).
pub fn logon_type(t: u32) -> Option<&'static str> {
    Some(match t {
        2 => "Interactive",
        3 => "Network",
        4 => "Batch",
        5 => "Service",
        7 => "Unlock",
        8 => "NetworkCleartext",
        9 => "NewCredentials",
        10 => "RemoteInteractive",
        11 => "CachedInteractive",
        12 => "CachedRemoteInteractive",
        13 => "CachedUnlock",
        _ => return None,
    })
}

/// Win32 errors RDP connections die of (`model::codes::WIN32_ERRORS`); others by number.
fn win32(code: u32) -> String {
    match codes::win32(code) {
        Some((name, meaning)) => format!("{name}: {meaning}"),
        None => format!("Win32 error {code}"),
    }
}

// ---- summary helpers ----

/// A field's value, or `?` when absent.
fn v<'a>(e: &'a Event, f: &str) -> &'a str {
    e.field(f).unwrap_or("?")
}

/// `DOMAIN\user`, or `user` when the domain is empty.
fn user(e: &Event, domain: &str, name: &str) -> String {
    // A name with leading or trailing spaces is another account than the one without (a
    // typo users cannot see): shown as written, quoted, so that the spaces show.
    let raw = e
        .fields
        .get(name)
        .filter(|n| n.trim() != *n && !n.trim().is_empty());
    let shown = match (e.field(domain), raw.or(e.field(name))) {
        (Some(d), Some(n)) => format!("{d}\\{n}"),
        (None, Some(n)) => n.to_string(),
        _ => return "?".into(),
    };
    if raw.is_some() {
        format!("\"{shown}\"")
    } else {
        shown
    }
}

/// `prefix value suffix` when the value is there, else nothing.
fn opt(prefix: &str, value: Option<&str>, suffix: &str) -> String {
    match value {
        Some(x) if !x.is_empty() => format!("{prefix}{x}{suffix}"),
        _ => String::new(),
    }
}

/// The first of several field names present.
fn first<'a>(e: &'a Event, names: &[&str]) -> &'a str {
    names.iter().find_map(|n| e.field(n)).unwrap_or("?")
}

/// All field values but `Binary`, joined: the summary of events whose field names are not
/// confirmed. Unnamed insertion strings (`param1`…) are shown as values only.
fn params(e: &Event) -> Option<String> {
    let vals: Vec<String> = e
        .fields
        .iter()
        .filter(|(k, v)| *k != "Binary" && !v.trim().is_empty())
        .map(|(k, v)| {
            let v = v.trim().trim_end_matches('.');
            if k.starts_with("param") {
                v.to_string()
            } else {
                format!("{k}={v}")
            }
        })
        .take(6)
        .collect();
    (!vals.is_empty()).then(|| vals.join(", "))
}

/// ` (status 0xC0000184 NAME)` from TermDD's binary data, or nothing.
fn termdd_summary(e: &Event) -> String {
    termdd_status(e)
        .map(|c| {
            let name = status(c).map(|(n, _)| format!(" {n}")).unwrap_or_default();
            format!(" (status 0x{c:08X}{name})")
        })
        .unwrap_or_default()
}

/// The NTSTATUS in TermDD's binary data: its last little-endian dword when it looks like one
/// (`0xC…`, or the HRESULT form `0xD…` read as `0xC…`; codes.md §6).
pub fn termdd_status(e: &Event) -> Option<u32> {
    let hex = e.field("Binary")?;
    if hex.len() < 8 || hex.len() % 8 != 0 || !hex.is_ascii() {
        return None;
    }
    let last = &hex[hex.len() - 8..];
    let b = u32::from_str_radix(last, 16).ok()?.swap_bytes();
    match b >> 28 {
        0xC => Some(b),
        0xD => Some(b & 0xCFFF_FFFF),
        _ => None,
    }
}

/// `raw (reading)` or `raw`.
fn coded(e: &Event, f: &str, d: Decode) -> String {
    match e.field(f) {
        Some(raw) => match decode(d, raw) {
            Some(r) => format!("{raw} ({r})"),
            None => raw.to_string(),
        },
        None => "?".into(),
    }
}

/// RDPClient 1026's reason as the error dialog shows it: `error code 0x904 (2308,
/// disconnectReasonAtClientWinsockFDCLOSE: …)`; the log writes it in decimal, the dialog in
/// hex.
fn dialog_code(e: &Event) -> String {
    let Some(raw) = e.field("Value") else {
        return "no reason given".into();
    };
    match number(raw).and_then(|n| u32::try_from(n).ok()) {
        Some(code) => match decode(Decode::DiscReason, raw) {
            Some(r) => format!("error code 0x{code:X} ({code}, {r})"),
            None => format!("error code 0x{code:X} ({code})"),
        },
        None => format!("reason {raw}"),
    }
}

/// A status field's name and meaning (`STATUS_LOGON_FAILURE, bad user name or password`).
fn status_text(e: &Event, f: &str) -> Option<String> {
    let raw = e.field(f)?;
    let code = number(raw).and_then(|n| u32::try_from(n).ok())?;
    if code == 0 {
        return None;
    }
    Some(match status(code) {
        Some((name, meaning)) => format!("0x{code:08X} {name} ({meaning})"),
        None => format!("0x{code:08X}"),
    })
}

/// A KDC event's `Status`: `success`, or the Kerberos error by name (`0x7 (KDC_ERR_S_PRINCIPAL_UNKNOWN)`).
fn kerberos_result(e: &Event) -> String {
    match e.field("Status").and_then(number) {
        Some(0) => "success".into(),
        Some(_) => coded(e, "Status", Decode::Kerberos),
        None => "?".into(),
    }
}

fn status_or_ok(e: &Event, f: &str) -> String {
    status_text(e, f).unwrap_or_else(|| "success".into())
}

/// 4625's Status and SubStatus, both named.
fn failure(e: &Event) -> String {
    match (status_text(e, "Status"), status_text(e, "SubStatus")) {
        (Some(s), Some(sub)) => format!("{s}, sub-status {sub}"),
        (Some(s), None) => s,
        (None, Some(sub)) => sub,
        (None, None) => "no status".into(),
    }
}

fn endpoint(e: &Event, addr: &str, port: &str) -> String {
    let a = v(e, addr);
    if a.contains(':') {
        format!("[{a}]:{}", v(e, port))
    } else {
        format!("{a}:{}", v(e, port))
    }
}

fn alert(e: &Event) -> String {
    let raw = e.field("AlertDesc").or_else(|| e.field("param1"));
    match raw.and_then(number).and_then(|n| u8::try_from(n).ok()) {
        Some(d) => format!("{} ({d})", alert_name(d)),
        None => raw.unwrap_or("?").to_string(),
    }
}

/// 226 on either side: `RDP_TCP: StateUnknown → StateDisconnected on Event_Disconnect, error
/// 0x80070040 (ERROR_NETNAME_DELETED …)`.
fn transition(e: &Event) -> String {
    let err = match e.field("ErrorCode") {
        Some(raw) => match decode(Decode::HResult, raw) {
            Some(r) => format!("{raw} ({r})"),
            None => raw.to_string(),
        },
        None => "?".into(),
    };
    format!(
        "{}: {} → {} on {}, error {}",
        first(e, &["StateTransition", "StateTransitionName"]),
        v(e, "PreviousStateName"),
        v(e, "NewStateName"),
        v(e, "EventName"),
        err
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(channel: &str, provider: &str, id: u32, fields: &[(&str, &str)]) -> Event {
        Event {
            channel: channel.into(),
            provider: provider.into(),
            id,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<super::super::fields::Fields>()
                .into(),
            ..Default::default()
        }
    }

    #[test]
    fn one_row_per_channel_provider_and_id() {
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                assert!(
                    !(a.id == b.id && a.channel == b.channel && a.providers == b.providers),
                    "{} twice",
                    a.name
                );
            }
        }
    }

    #[test]
    fn a_user_name_with_edge_spaces_is_quoted() {
        let fields = |name: &'static str| {
            [
                ("TargetUserName", name),
                ("TargetDomainName", "CORP"),
                ("LogonType", "10"),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc0000064"),
                ("IpAddress", "203.0.113.7"),
            ]
        };
        let typo = ev(
            SECURITY,
            "Microsoft-Windows-Security-Auditing",
            4625,
            &fields("alice "),
        );
        let d = describe(&typo).unwrap();
        assert!(
            d.summary
                .starts_with("Logon failed for \"CORP\\alice \" from 203.0.113.7"),
            "{}",
            d.summary
        );
        let plain = ev(
            SECURITY,
            "Microsoft-Windows-Security-Auditing",
            4625,
            &fields("alice"),
        );
        assert!(
            describe(&plain)
                .unwrap()
                .summary
                .starts_with("Logon failed for CORP\\alice from")
        );
    }

    #[test]
    fn summaries_name_what_failed() {
        let e = ev(CORE, "x", 140, &[("IPString", "203.0.113.7")]);
        assert_eq!(
            describe(&e).unwrap().summary,
            "NLA failed for 203.0.113.7 (user name or password incorrect)"
        );
        let e = ev(
            SECURITY,
            "Microsoft-Windows-Security-Auditing",
            4625,
            &[
                ("TargetUserName", "alice"),
                ("TargetDomainName", "CORP"),
                ("LogonType", "3"),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc000006a"),
                ("IpAddress", "203.0.113.7"),
            ],
        );
        let d = describe(&e).unwrap();
        assert_eq!(d.name, "logon_failed");
        assert!(
            d.summary.contains("CORP\\alice from 203.0.113.7"),
            "{}",
            d.summary
        );
        assert!(d.summary.contains("STATUS_LOGON_FAILURE"), "{}", d.summary);
        assert!(d.summary.contains("STATUS_WRONG_PASSWORD"), "{}", d.summary);
        assert!(d.decoded.contains(&("LogonType".into(), "Network".into())));
        // Logon type 2 is not an RDP logon.
        let mut local = e.clone();
        std::sync::Arc::make_mut(&mut local.fields).set("LogonType", "2");
        assert!(describe(&local).is_none());
        let e = ev(CLIENT, "x", 1026, &[("Value", "2308")]);
        assert!(
            describe(&e)
                .unwrap()
                .summary
                .contains("disconnectReasonAtClientWinsockFDCLOSE")
        );
        let e = ev(
            SYSTEM,
            "Schannel",
            36888,
            &[("AlertDesc", "48"), ("ErrorState", "552")],
        );
        assert_eq!(
            describe(&e).unwrap().summary,
            "Fatal TLS alert sent: unknown_ca (48) (internal state 552)"
        );
        // The same id from another System provider is not Schannel's.
        assert!(describe(&ev(SYSTEM, "Other", 36888, &[])).is_none());
        let e = ev(LSM, "x", 40, &[("Session", "1"), ("Reason", "5")]);
        assert!(
            describe(&e)
                .unwrap()
                .summary
                .contains("ReplacedByOtherConnection")
        );
    }

    #[test]
    fn filtering_platform_events_only_on_the_rdp_port() {
        let on = ev(
            SECURITY,
            "x",
            5152,
            &[("SourcePort", "59639"), ("DestPort", "3389")],
        );
        let off = ev(
            SECURITY,
            "x",
            5152,
            &[("SourcePort", "0"), ("DestPort", "8")],
        );
        assert!(lookup(&on).is_some());
        assert!(lookup(&off).is_none());
    }

    #[test]
    fn status_codes_come_from_the_code_tables() {
        assert_eq!(
            status(0x8009_030D).map(|s| s.0),
            Some("SEC_E_UNKNOWN_CREDENTIALS")
        );
    }

    #[test]
    fn decoders() {
        assert_eq!(
            decode(Decode::HResult, "0x80070040").as_deref(),
            Some("ERROR_NETNAME_DELETED: the network connection was closed or reset")
        );
        assert_eq!(
            decode(Decode::HResult, "2147942487").as_deref(),
            Some("ERROR_INVALID_PARAMETER: invalid parameter")
        );
        assert!(
            decode(Decode::NtStatus, "0xD000006D")
                .unwrap()
                .starts_with("STATUS_LOGON_FAILURE")
        );
        assert_eq!(
            decode(Decode::Kerberos, "0x18").as_deref(),
            Some("KDC_ERR_PREAUTH_FAILED")
        );
        assert_eq!(decode(Decode::NtStatus, "junk"), None);
        assert_eq!(decode(Decode::TlsAlert, "999"), None);
    }
}
