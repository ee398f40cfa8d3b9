//! `rdptriage explain CODE [EXTENDED]`: what a code from an error dialog or a log means, which
//! causes it is compatible with (most likely first) and the evidence that tells them apart.
//!
//! A code alone never proves a cause (`reference/users.md` §1): every candidate comes with what
//! a capture (our stage and cause) and the Windows event logs show when it is the one, and the
//! output ends with what to collect next (`reference/remedies.md`). The knowledge is data:
//! [`CAUSES`] (one row per cause), [`RULES`] (which causes a code is compatible with) and
//! [`PAIRS`] (an error code with its extended code). [`explain_code`] gives an [`Explanation`];
//! `report::explain` writes it.

use serde::Serialize;

use crate::model::codes::Table;
use crate::model::vocabulary;

/// What to collect next (`reference/remedies.md`, last list).
const COLLECT_CAPTURE: &str = "a capture of one failed attempt, on both ends if possible (`rdptriage analyze` names the stage and cause; both ends show middleboxes that inject resets or drop large segments)";
const COLLECT_SERVER_LOGS: &str = "server logs: System, Security, RemoteConnectionManager, LocalSessionManager and RdpCoreTS operational channels (evtx or Event Viewer XML)";
const COLLECT_CLIENT_LOG: &str = "client log: TerminalServices-RDPClient/Operational (1024 connecting, 1026 disconnect reason, 1027 connected)";
const COLLECT_TEST_NET: &str = "`Test-NetConnection HOST -Port 3389` from the client";
const COLLECT_DNS: &str = "the client's resolution of the server name (`Resolve-DnsName HOST`) and the address the server logs (RdpCoreTS 131)";
const COLLECT_DC_LOGS: &str =
    "domain controller Security log (4771, 4776) when the account is a domain account";

vocabulary! {
    /// The causes a code or a finding can point to, each with its row of [`CAUSES`]
    /// (`reference/remedies.md`): what proves it and its fix.
    Remedy {
        ServerCertificate = "server_certificate",
        CertificateExpired = "certificate_expired",
        CertificateName = "certificate_name",
        CertificateUntrusted = "certificate_untrusted",
        PrivateKey = "private_key",
        TlsMismatch = "tls_mismatch",
        PacketLoss = "packet_loss",
        FirewallDrop = "firewall_drop",
        NothingListening = "nothing_listening",
        NameResolution = "name_resolution",
        SecurityLayerMismatch = "security_layer_mismatch",
        StandardSecurityServer = "standard_security_server",
        NlaFailure = "nla_failure",
        PasswordGuessing = "password_guessing",
        ClockSkew = "clock_skew",
        SpnUnknown = "spn_unknown",
        CredsspPolicy = "credssp_policy",
        LogonRight = "logon_right",
        ServerDenied = "server_denied",
        Probe = "probe",
    }
}

/// A cause a code can point to, and how to tell it from the others.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Cause {
    pub id: Remedy,
    pub title: &'static str,
    /// What a capture of the attempt shows (the stage and cause `rdptriage analyze` reports).
    pub capture: &'static str,
    /// The Windows events that show it.
    pub events: &'static str,
    /// The fix, once the evidence proves this cause.
    pub fix: &'static str,
    #[serde(skip)]
    pub collect: &'static [&'static str],
}

/// The causes (`reference/remedies.md`, `reference/events.md` stage table).
pub const CAUSES: &[Cause] = &[
    Cause {
        id: Remedy::ServerCertificate,
        title: "certificate problem on the server: expired self-signed RDP certificate, or a TLS private key the server cannot use (MachineKeys corrupt or wrong permissions, common on Azure VMs)",
        capture: "the server resets or sends an internal_error alert right after the ClientHello (stage tls, cause tls_aborted or tls_alert); or a Certificate whose not_after is before the capture time, which the client rejects (certificate_rejected)",
        events: "System: RemoteConnectionManager 1057/1058 (self-signed certificate could not be created/replaced; \"access denied\" means the key store); Schannel 36870 (fatal error accessing the TLS server credential private key, e.g. 0x8009030D / 0x8009030E); client RDPClient 226 with a 0x8009… code",
        fix: "Expired certificate: certlm.msc → Remote Desktop → Certificates, delete it, then `Restart-Service TermService -Force` (a fresh self-signed one is made). Unusable key: give NETWORK SERVICE read access to the private key, or rename C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys to MachineKeys_old (on Azure through Run Command) and reboot.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::CertificateExpired,
        title: "the server's certificate is expired, or not yet valid, at the time of the connection",
        capture: "the client ends the connection right after a Certificate whose validity does not include the capture's time (certificate_rejected; the evidence gives not_before and not_after)",
        events: "System: RemoteConnectionManager 1057/1058 when the self-signed certificate could not be renewed; the client's RDPClient/Operational 1026",
        fix: "Renew the certificate: a self-signed RDP certificate is made again once deleted (certlm.msc → Remote Desktop → Certificates, delete it, then `Restart-Service TermService -Force`); a CA-issued one is re-enrolled from its template, and its new thumbprint set in Win32_TSGeneralSetting.SSLCertificateSHA1Hash. A certificate not yet valid means a clock is wrong: check the server's and the client's time.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_CLIENT_LOG],
    },
    Cause {
        id: Remedy::CertificateName,
        title: "the server's certificate does not name what the client connected to",
        capture: "the client ends the connection right after the server's Certificate, whose subject and alternative names do not include the name or address in the ClientHello's server_name (certificate_rejected)",
        events: "no server event (the server saw nothing wrong); the client's RDPClient/Operational log records the disconnect (1026)",
        fix: "Connect by a name the certificate carries (the evidence shows both), or give the server a certificate for the name clients use (Remote Desktop certificate template by Group Policy, or its thumbprint set in Win32_TSGeneralSetting.SSLCertificateSHA1Hash) and restart TermService.",
        collect: &[COLLECT_CLIENT_LOG, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::CertificateUntrusted,
        title: "the client does not trust the server's certificate: self-signed, or issued by a CA it does not trust",
        capture: "the client ends the connection right after a Certificate that is valid at the capture's time and names the server, but is self-signed or from an unknown issuer (certificate_rejected)",
        events: "no server event; the client's RDPClient/Operational log records the disconnect (1026)",
        fix: "Deploy a certificate from a CA the clients trust (Remote Desktop certificate template by Group Policy), or import the issuing CA's root into the clients' Trusted Root Certification Authorities; for one known self-signed server, have the user check the thumbprint and accept it once.",
        collect: &[COLLECT_CLIENT_LOG, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::PrivateKey,
        title: "the server cannot use the private key of its TLS certificate (MachineKeys corrupt or wrong permissions, common on Azure VMs)",
        capture: "the server resets, or sends an internal_error alert or a plaintext disconnect, right after the ClientHello: no ServerHello (stage tls, cause tls_aborted or tls_alert)",
        events: "System: Schannel 36870 (fatal error accessing the TLS server credential private key, e.g. 0x8009030D / 0x8009030E) at the ClientHello; RemoteConnectionManager 1057/1058 with \"access denied\" at service start; TermDD 56",
        fix: "Give NETWORK SERVICE read access to the certificate's private key, or rename C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys to MachineKeys_old (on Azure through the portal's Run Command) and reboot so the store and the certificate are rebuilt.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::TlsMismatch,
        title: "TLS version or cipher suite mismatch between client and server",
        capture: "a fatal alert protocol_version / handshake_failure / insufficient_security (stage tls, cause tls_alert); the ClientHello offers only versions the server disabled",
        events: "Schannel 36874 (none of the client's protocol versions supported), 36871 (cannot create a TLS credential), 36887/36888 (fatal alert received/sent, with its code)",
        fix: "Align enabled TLS versions and cipher suites (SCHANNEL registry / group policy) on both ends; do not leave TLS 1.2 disabled on either side.",
        collect: &[COLLECT_CAPTURE, COLLECT_SERVER_LOGS],
    },
    Cause {
        id: Remedy::PacketLoss,
        title: "firewall, VPN or network path losing packets (VPN, Wi-Fi, overloaded link, MTU black hole)",
        capture: "retransmissions, missed bytes and long gaps during the handshake (cause packet_loss); the large Certificate record never arrives while small segments pass",
        events: "the server logs the connection (RdpCoreTS 131) but no certificate, Schannel or logon error for it",
        fix: "Fix the path or lower the MTU/MSS on the VPN; retry on a wired or direct link to confirm.",
        collect: &[COLLECT_CAPTURE, COLLECT_TEST_NET],
    },
    Cause {
        id: Remedy::FirewallDrop,
        title: "a firewall drops port 3389 (host firewall, network security group, perimeter)",
        capture: "SYNs to 3389 never answered (stage tcp, cause tcp_no_answer)",
        events: "Security 5152/5157 (WFP dropped/blocked) on port 3389 when auditing is on; no RdpCoreTS 131 for the attempt; RDPClient 1026 reason 264",
        fix: "Allow \"Remote Desktop - User Mode (TCP-In)\" for the active profile on the server; check network security groups and perimeter firewalls on the path; allow mstsc.exe in third-party security software.",
        collect: &[COLLECT_TEST_NET, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::NothingListening,
        title: "nothing listens on the port, or a REJECT rule answers",
        capture: "an RST answers the SYN (stage tcp, cause tcp_refused)",
        events: "no RdpCoreTS 131 for the attempt; RDPClient 1026 reason 516",
        fix: "Enable Remote Desktop on the server, check the listener port (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\PortNumber) and that TermService runs.",
        collect: &[COLLECT_TEST_NET, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::NameResolution,
        title: "wrong address or name resolution",
        capture: "a DNS answer NXDOMAIN/SERVFAIL for the server name, or an address that never answers (side traffic beside tcp_no_answer)",
        events: "RDPClient 1026 reason 260/520/1288/1540; the server never logs the attempt, or logs a different client address",
        fix: "Connect by IP to confirm, then fix the DNS record or the client's resolver / hosts file.",
        collect: &[COLLECT_DNS, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::SecurityLayerMismatch,
        title: "security layer or NLA setting mismatch between client and server",
        capture: "an RDP_NEG_FAILURE such as HYBRID_REQUIRED_BY_SERVER / SSL_REQUIRED_BY_SERVER / SSL_NOT_ALLOWED_BY_SERVER (stage x224, cause negotiation_failure); requested vs selected protocols",
        events: "RCM 261 and RdpCoreTS 131 for the attempt, then nothing further; RDPClient 1026 with an extended reason or 226",
        fix: "Make client and server agree: the policies \"Require use of specific security layer for remote (RDP) connections\" and \"Require user authentication … by using Network Level Authentication\"; a client that cannot do NLA must be updated, not the server weakened (turning NLA off is a diagnostic step, never the fix).",
        collect: &[COLLECT_CAPTURE, COLLECT_SERVER_LOGS],
    },
    Cause {
        id: Remedy::StandardSecurityServer,
        title: "the server allows only Standard RDP Security",
        capture: "an RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER, or a Connection Confirm selecting PROTOCOL_RDP for a client that offered TLS or CredSSP (stage x224, cause negotiation_failure)",
        events: "RCM 261 and RdpCoreTS 131 for the attempt, then nothing further; the server's RDP-Tcp SecurityLayer is 0",
        fix: "Fix the server, not the client: it is set to Standard RDP Security (the policy \"Require use of specific security layer for remote (RDP) connections\" = RDP, or SecurityLayer = 0 under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp), which authenticates no server and encrypts weakly. Set it to SSL (2) or Negotiate (1), give it a certificate and require NLA; never lower the client's security to match.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::NlaFailure,
        title: "NLA / CredSSP authentication failure (credentials, account state, domain controller, Kerberos)",
        capture: "TLS completes and the connection dies during the CredSSP exchange (stage nla, cause nla_failure); a Kerberos KRB-ERROR on port 88; decrypted with the server's key or a key log (`analyze --key`, `--keylog`), the server's TSRequest errorCode names the status and NTLM's AUTHENTICATE the account",
        events: "Security 4625 (logon type 3, NtLmSsp) with Status/SubStatus; RdpCoreTS 140; DC 4771/4776",
        fix: "Read the status: bad password (0xC000006A) or stale saved credentials → clear the entry in Credential Manager; locked out, disabled, expired → account fix; 0xC000015B → Remote Desktop Users; KRB_AP_ERR_SKEW → time sync; KDC_ERR_S_PRINCIPAL_UNKNOWN → connect by the name in the SPN, not by IP; no DC reachable → restore DC connectivity.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_DC_LOGS, COLLECT_CAPTURE],
    },
    Cause {
        id: Remedy::PasswordGuessing,
        title: "password guessing: logons failing again and again, from many client addresses or from one on the internet",
        capture: "many short connections from many addresses, each ending during the CredSSP exchange (stage nla, cause nla_failure)",
        events: "RdpCoreTS 140 and Security 4625 (logon type 3) from many IpAddress values on one server, often with user names that do not exist (0xC0000064)",
        fix: "Logons failing again and again, from many addresses or from one on the internet, are password guessing: do not expose TCP 3389 to the internet (put RDP behind an RD Gateway or a VPN, or allow only known source addresses), keep NLA required, and set an account lockout policy.",
        collect: &[COLLECT_SERVER_LOGS],
    },
    Cause {
        id: Remedy::ClockSkew,
        title: "the client's and the domain's clocks differ by more than Kerberos allows (5 minutes by default)",
        capture: "TLS completes and the connection dies during the CredSSP exchange (stage nla, cause nla_failure) while the KDC answers the client with KRB_AP_ERR_SKEW (37) on port 88; the KRB-ERROR carries the KDC's time",
        events: "DC: Security 4771 / 4769 with Status 0x25; server: Security 4625 with 0xC0000133 (STATUS_TIME_DIFFERENCE_AT_DC); client: RDPClient 226 with 0x80090324 (SEC_E_TIME_SKEW)",
        fix: "Fix time sync: `w32tm /query /status` on the client, server and DC, then `w32tm /resync` (domain members follow the domain hierarchy; the PDC emulator follows a reliable source).",
        collect: &[COLLECT_DC_LOGS, COLLECT_CAPTURE, COLLECT_CLIENT_LOG],
    },
    Cause {
        id: Remedy::SpnUnknown,
        title: "the name the client connects to has no Kerberos service principal (TERMSRV/name): connecting by IP address, an alias, or a name not registered for the server",
        capture: "TLS completes and the connection dies during the CredSSP exchange (stage nla, cause nla_failure) while the KDC answers KDC_ERR_S_PRINCIPAL_UNKNOWN (7) for TERMSRV/<name> on port 88; Negotiate then falls back to NTLM, which policy may forbid",
        events: "DC: Security 4769 for TERMSRV/<name> with Status 0x7; client: RDPClient 226 with 0x80090303 (SEC_E_TARGET_UNKNOWN) or 0x80090322 (SEC_E_WRONG_PRINCIPAL)",
        fix: "Connect by the name registered in the SPN (the server's DNS host name), not by IP or an alias; or register the alias: `setspn -S TERMSRV/alias SERVER`.",
        collect: &[COLLECT_DC_LOGS, COLLECT_CAPTURE, COLLECT_CLIENT_LOG],
    },
    Cause {
        id: Remedy::CredsspPolicy,
        title: "CredSSP policy or patch-level mismatch (encryption oracle remediation, credential delegation policy)",
        capture: "TLS completes and the client itself ends the CredSSP exchange early (stage nla)",
        events: "the client dialog names \"CredSSP encryption oracle remediation\" or the delegation policy; RDPClient 226; no 4625 on the server",
        fix: "Patch both ends (CVE-2018-0886); the policy \"Encryption Oracle Remediation\" is a temporary bridge only; check the client's credential delegation policies.",
        collect: &[COLLECT_CLIENT_LOG, COLLECT_SERVER_LOGS],
    },
    Cause {
        id: Remedy::LogonRight,
        title: "the user is not allowed to log on remotely",
        capture: "NLA completes or fails late; with HYBRID_EX an Early User Authorization Result of ACCESS_DENIED (stage nla or session)",
        events: "Security 4825, or 4625 with 0xC000015B (STATUS_LOGON_TYPE_NOT_GRANTED)",
        fix: "Add the user to Remote Desktop Users or grant \"Allow log on through Remote Desktop Services\".",
        collect: &[COLLECT_SERVER_LOGS],
    },
    Cause {
        id: Remedy::ServerDenied,
        title: "the server denied the session after authentication (licensing, session limits, policy)",
        capture: "the connection ends after NLA/MCS (stage mcs or session, cause server_denied); a Set Error Info PDU when the capture can be read",
        events: "RdpCoreTS 97/102/103, TermDD 50/56, LSM 40 (reason code); the ERRINFO code names the reason",
        fix: "Find the server's reason, then act on it: the Set Error Info code or MCS result when the capture shows one (in the evidence); else the server's RdpCoreTS 97/102/103, TermDD 50/56 or LSM 40 events, or the extended code of the client's dialog (`rdptriage explain`). Licensing: the RD Licensing mode and server; session limits: log off idle sessions or raise the limit; logon rights and policy: the user's groups.",
        collect: &[COLLECT_SERVER_LOGS, COLLECT_CLIENT_LOG],
    },
    Cause {
        id: Remedy::Probe,
        title: "port checks and scans, not RDP attempts: a load balancer's health probe, a monitor, a port scanner",
        capture: "the client connects and closes without a byte within moments (stage x224, cause probe), or never acknowledges the SYN-ACK of its single SYN (a half-open SYN scan: stage tcp, cause probe)",
        events: "RdpCoreTS 131 may log each connect; no logon or certificate event follows",
        fix: "Nothing in RDP to fix. Expected checks (a load balancer, monitoring) can stay; from an address you do not know, find what runs the scan and narrow who can reach 3389 (firewall scope, network security group, RD Gateway or VPN).",
        collect: &[],
    },
];

/// Which causes a code is compatible with, most likely first: `(table, first, last, causes)`.
/// The first row whose range holds the value wins.
pub const RULES: &[(Table, u32, u32, &[Remedy])] = &[
    // §1 mstsc disconnect reasons.
    (Table::DiscReason, 0, 2, &[]),
    (
        Table::DiscReason,
        3,
        3,
        &[Remedy::ServerDenied, Remedy::LogonRight],
    ),
    (Table::DiscReason, 0x104, 0x104, &[Remedy::NameResolution]),
    (
        Table::DiscReason,
        0x108,
        0x108,
        &[
            Remedy::FirewallDrop,
            Remedy::NameResolution,
            Remedy::PacketLoss,
        ],
    ),
    (
        Table::DiscReason,
        0x204,
        0x204,
        &[
            Remedy::NothingListening,
            Remedy::FirewallDrop,
            Remedy::NameResolution,
        ],
    ),
    (Table::DiscReason, 0x208, 0x208, &[Remedy::NameResolution]),
    (
        Table::DiscReason,
        0x304,
        0x304,
        &[Remedy::PacketLoss, Remedy::ServerCertificate],
    ),
    (Table::DiscReason, 0x308, 0x308, &[Remedy::NameResolution]),
    (
        Table::DiscReason,
        0x404,
        0x404,
        &[
            Remedy::PacketLoss,
            Remedy::ServerCertificate,
            Remedy::NlaFailure,
        ],
    ),
    (
        Table::DiscReason,
        0x406,
        0x406,
        &[Remedy::SecurityLayerMismatch, Remedy::TlsMismatch],
    ),
    (
        Table::DiscReason,
        0x506,
        0x506,
        &[Remedy::SecurityLayerMismatch, Remedy::TlsMismatch],
    ),
    (Table::DiscReason, 0x508, 0x508, &[Remedy::NameResolution]),
    (Table::DiscReason, 0x604, 0x604, &[Remedy::NameResolution]),
    (
        Table::DiscReason,
        0x606,
        0x606,
        &[Remedy::ServerCertificate, Remedy::SecurityLayerMismatch],
    ),
    (
        Table::DiscReason,
        0x704,
        0x704,
        &[
            Remedy::PacketLoss,
            Remedy::FirewallDrop,
            Remedy::ServerDenied,
        ],
    ),
    (
        Table::DiscReason,
        0x706,
        0x706,
        &[Remedy::ServerCertificate, Remedy::SecurityLayerMismatch],
    ),
    (Table::DiscReason, 0x804, 0x804, &[Remedy::NameResolution]),
    (
        Table::DiscReason,
        0x807,
        0x807,
        &[Remedy::NlaFailure, Remedy::CredsspPolicy],
    ),
    (Table::DiscReason, 0x808, 0x808, &[Remedy::ServerDenied]),
    (
        Table::DiscReason,
        0x904,
        0x904,
        &[
            Remedy::ServerCertificate,
            Remedy::PacketLoss,
            Remedy::SecurityLayerMismatch,
            Remedy::NlaFailure,
            Remedy::TlsMismatch,
        ],
    ),
    (
        Table::DiscReason,
        0x906,
        0x906,
        &[
            Remedy::ServerCertificate,
            Remedy::TlsMismatch,
            Remedy::CredsspPolicy,
        ],
    ),
    (
        Table::DiscReason,
        0x908,
        0x908,
        &[Remedy::ServerDenied, Remedy::PacketLoss],
    ),
    (
        Table::DiscReason,
        0xA06,
        0xA06,
        &[
            Remedy::ServerCertificate,
            Remedy::TlsMismatch,
            Remedy::CredsspPolicy,
        ],
    ),
    (
        Table::DiscReason,
        0xB06,
        0xC06,
        &[Remedy::TlsMismatch, Remedy::PacketLoss],
    ),
    (
        Table::DiscReason,
        0x1607,
        0x1707,
        &[Remedy::CredsspPolicy, Remedy::NlaFailure],
    ),
    (
        Table::DiscReason,
        0x1B07,
        0x1B07,
        &[Remedy::ServerCertificate],
    ),
    (
        Table::DiscReason,
        0x2107,
        0x2107,
        &[Remedy::CredsspPolicy, Remedy::NlaFailure],
    ),
    (Table::DiscReason, 0xC08, 0xC08, &[]),
    (
        Table::DiscReason,
        0xA07,
        0x2207,
        &[Remedy::NlaFailure, Remedy::LogonRight],
    ),
    (Table::DiscReason, 0, u32::MAX, &[]),
    // §2 extended reasons.
    (Table::ExtendedReason, 0, 2, &[]),
    (
        Table::ExtendedReason,
        7,
        7,
        &[
            Remedy::ServerCertificate,
            Remedy::PacketLoss,
            Remedy::SecurityLayerMismatch,
            Remedy::NlaFailure,
            Remedy::ServerDenied,
        ],
    ),
    (
        Table::ExtendedReason,
        8,
        8,
        &[Remedy::TlsMismatch, Remedy::SecurityLayerMismatch],
    ),
    (
        Table::ExtendedReason,
        9,
        9,
        &[Remedy::LogonRight, Remedy::ServerDenied],
    ),
    (
        Table::ExtendedReason,
        10,
        10,
        &[Remedy::CredsspPolicy, Remedy::NlaFailure],
    ),
    (Table::ExtendedReason, 768, 768, &[Remedy::NlaFailure]),
    (Table::ExtendedReason, 3, 32767, &[Remedy::ServerDenied]),
    // §3 ERRINFO: the server sent a PDU, so the connection reached MCS.
    (
        Table::ErrInfo,
        9,
        9,
        &[Remedy::LogonRight, Remedy::ServerDenied],
    ),
    (
        Table::ErrInfo,
        10,
        10,
        &[Remedy::CredsspPolicy, Remedy::ServerDenied],
    ),
    (Table::ErrInfo, 0, u32::MAX, &[Remedy::ServerDenied]),
    // §4 negotiation failures.
    (
        Table::NegFailure,
        3,
        3,
        &[Remedy::ServerCertificate, Remedy::SecurityLayerMismatch],
    ),
    (
        Table::NegFailure,
        0,
        u32::MAX,
        &[Remedy::SecurityLayerMismatch],
    ),
    // §6 status codes.
    (
        Table::Status,
        0xC000_0133,
        0xC000_0133,
        &[Remedy::ClockSkew, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0xC000_015B,
        0xC000_015B,
        &[Remedy::LogonRight, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0xC000_0236,
        0xC000_0236,
        &[Remedy::ServerDenied, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0xC000_0000,
        0xCFFF_FFFF,
        &[Remedy::NlaFailure, Remedy::CredsspPolicy],
    ),
    (
        Table::Status,
        0x8009_0302,
        0x8009_0302,
        &[Remedy::TlsMismatch, Remedy::CredsspPolicy],
    ),
    (
        Table::Status,
        0x8009_030D,
        0x8009_030E,
        &[
            Remedy::PrivateKey,
            Remedy::ServerCertificate,
            Remedy::NlaFailure,
        ],
    ),
    (
        Table::Status,
        0x8009_0324,
        0x8009_0324,
        &[Remedy::ClockSkew, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0x8009_0303,
        0x8009_0303,
        &[Remedy::SpnUnknown, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0x8009_0318,
        0x8009_0318,
        &[Remedy::PacketLoss, Remedy::TlsMismatch],
    ),
    (
        Table::Status,
        0x8009_0322,
        0x8009_0322,
        &[
            Remedy::SpnUnknown,
            Remedy::ServerCertificate,
            Remedy::NlaFailure,
        ],
    ),
    (
        Table::Status,
        0x8009_0326,
        0x8009_0326,
        &[Remedy::TlsMismatch, Remedy::ServerCertificate],
    ),
    (
        Table::Status,
        0x8009_0325,
        0x8009_0328,
        &[Remedy::ServerCertificate],
    ),
    (
        Table::Status,
        0x8009_0331,
        0x8009_0331,
        &[Remedy::TlsMismatch],
    ),
    (
        Table::Status,
        0x8009_0349,
        0x8009_0353,
        &[Remedy::ServerCertificate],
    ),
    (
        Table::Status,
        0x8009_035E,
        0x8009_035F,
        &[Remedy::CredsspPolicy, Remedy::NlaFailure],
    ),
    (
        Table::Status,
        0x8009_0346,
        0x8009_0346,
        &[Remedy::CredsspPolicy, Remedy::TlsMismatch],
    ),
    (
        Table::Status,
        0x8000_4005,
        0x8000_4005,
        &[
            Remedy::ServerCertificate,
            Remedy::CredsspPolicy,
            Remedy::NlaFailure,
            Remedy::TlsMismatch,
        ],
    ),
    (
        Table::Status,
        0x8009_0000,
        0x8009_FFFF,
        &[Remedy::NlaFailure, Remedy::CredsspPolicy],
    ),
    // §7 TLS alerts.
    (Table::TlsAlert, 0, 0, &[]),
    (
        Table::TlsAlert,
        10,
        10,
        &[Remedy::SecurityLayerMismatch, Remedy::TlsMismatch],
    ),
    (
        Table::TlsAlert,
        20,
        22,
        &[Remedy::PacketLoss, Remedy::TlsMismatch],
    ),
    (
        Table::TlsAlert,
        40,
        40,
        &[Remedy::TlsMismatch, Remedy::ServerCertificate],
    ),
    (Table::TlsAlert, 41, 48, &[Remedy::ServerCertificate]),
    (
        Table::TlsAlert,
        51,
        51,
        &[Remedy::PacketLoss, Remedy::TlsMismatch],
    ),
    (Table::TlsAlert, 70, 71, &[Remedy::TlsMismatch]),
    (
        Table::TlsAlert,
        80,
        80,
        &[Remedy::ServerCertificate, Remedy::TlsMismatch],
    ),
    (
        Table::TlsAlert,
        0,
        u32::MAX,
        &[Remedy::TlsMismatch, Remedy::ServerCertificate],
    ),
    // §8 Kerberos errors.
    (Table::Kerberos, 25, 25, &[]),
    (Table::Kerberos, 52, 52, &[]),
    (
        Table::Kerberos,
        37,
        37,
        &[Remedy::ClockSkew, Remedy::NlaFailure],
    ),
    (
        Table::Kerberos,
        7,
        7,
        &[Remedy::SpnUnknown, Remedy::NlaFailure],
    ),
    (Table::Kerberos, 0, u32::MAX, &[Remedy::NlaFailure]),
    // Win32.
    (
        Table::Win32,
        64,
        64,
        &[Remedy::PacketLoss, Remedy::ServerCertificate],
    ),
    (
        Table::Win32,
        10054,
        10054,
        &[Remedy::PacketLoss, Remedy::ServerCertificate],
    ),
    (
        Table::Win32,
        121,
        121,
        &[Remedy::PacketLoss, Remedy::FirewallDrop],
    ),
    (
        Table::Win32,
        10060,
        10060,
        &[Remedy::FirewallDrop, Remedy::PacketLoss],
    ),
    (Table::Win32, 0, u32::MAX, &[]),
];

/// Error code with extended code, when the pair ranks the causes differently from each code
/// alone: `(discReason, extended, causes, note)`.
pub const PAIRS: &[(u32, u32, &[Remedy], &str)] = &[(
    0x904,
    7,
    &[
        Remedy::ServerCertificate,
        Remedy::PacketLoss,
        Remedy::SecurityLayerMismatch,
        Remedy::NlaFailure,
        Remedy::TlsMismatch,
    ],
    "0x904 + 0x7 means the socket was closed and the server \"denied\" the connection. Where mstsc takes 0x7 from when TCP dies before any Set Error Info PDU (during TLS or CredSSP) is unconfirmed; field reports tie it to TLS/Schannel failures on the server (expired self-signed certificate, MachineKeys permissions), firewalls, VPN packet loss and NLA/security-layer mismatch. Only a capture or the event logs tell them apart (codes.md §1). Against \"the socket was connected, then closed\", the six causes the web offers: an unusable certificate or private key (the server resets during TLS) is consistent; loss on a VPN or an MTU black hole (the large certificate record never arrives, the client gives up) is consistent; a security-layer or NLA setting mismatch (closed right after the negotiation) is consistent; NLA refusing the credentials (closed during CredSSP) is consistent, though mstsc usually says so itself; a TLS version or cipher mismatch (an alert after the ClientHello) is consistent; a firewall dropping 3389 is not (the socket never connects: 0x108 or 0x204 instead), unless a device past the handshake resets the connection.",
)];

/// Notes about whole tables (codes.md).
fn table_note(t: Table, value: u32) -> Option<&'static str> {
    match t {
        Table::ErrInfo => Some(
            "a Set Error Info PDU travels inside MCS: it exists only when the connection got that far; failures in TCP, TLS or CredSSP never produce one",
        ),
        Table::DiscReason if value & 0xFF == 0x07 && value >= 0x807 => {
            Some("SSL_ERR_* values come from a public mstscax header only, not from MS Learn")
        }
        Table::Status if value == 0x8000_4005 => Some(
            "E_FAIL is unspecified: RDPClient 226 often carries it, and it is not proof of a particular certificate or policy problem",
        ),
        _ => None,
    }
}

/// One reading of a code.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    pub table: Table,
    pub table_title: &'static str,
    pub source: &'static str,
    pub value: u32,
    pub hex: String,
    pub name: &'static str,
    pub meaning: &'static str,
    /// How the input was read, when not plainly (`0xD…` as `0xC…`, `0x8007xxxx` as Win32…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// A second reading of decimal digits as hex (they are decimal: hex is written with
    /// 0x): listed, its causes not counted unless it is the only reading.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub if_hex: bool,
}

/// A candidate cause in an explanation.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub rank: usize,
    #[serde(flatten)]
    pub cause: Cause,
}

/// Everything `explain` says about a code (and its extended code).
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub input: String,
    /// The readings of CODE, most likely first.
    pub readings: Vec<Reading>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_input: Option<String>,
    /// The readings of EXTENDED (the extended-reason table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<Reading>,
    /// Windows events of the catalog whose id is the number (`explain 36870`, `explain 1026
    /// 2308`): a number can be both a code and an event id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventReading>,
    pub notes: Vec<&'static str>,
    /// Candidate causes, most likely first; none of them proven by the code alone.
    pub causes: Vec<Candidate>,
    pub collect_next: Vec<&'static str>,
}

/// A Windows event of the catalog a number names.
#[derive(Clone, Debug, Serialize)]
pub struct EventReading {
    pub id: u32,
    pub channel: &'static str,
    /// The catalog's short name (`client_disconnected`).
    pub name: &'static str,
    pub meaning: &'static str,
    /// What its value field means, when EXTENDED was read as that value (`1026 2308`: the
    /// disconnect reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_read_as: Option<&'static str>,
}

/// The catalog events whose id is `id`, each channel once.
fn events_of(id: u32) -> Vec<EventReading> {
    let mut out: Vec<EventReading> = Vec::new();
    for e in crate::eventlog::catalog::CATALOG
        .iter()
        .filter(|e| e.id == id)
    {
        if out.iter().any(|o| o.channel == e.channel) {
            continue;
        }
        out.push(EventReading {
            id,
            channel: e.channel,
            name: e.name,
            meaning: e.meaning,
            value_read_as: None,
        });
    }
    out
}

/// The table an event's value is read from, for `explain EVENT VALUE`: RDPClient 1026's
/// disconnect reason, a logon failure's status, a TLS alert of Schannel 36887/36888.
fn value_table(id: u32) -> Option<(Table, &'static str)> {
    Some(match id {
        1026 => (
            Table::DiscReason,
            "the disconnect reason (mstsc's dialog code)",
        ),
        4625 | 4771 | 4776 => (Table::Status, "the failure status"),
        36887 | 36888 => (Table::TlsAlert, "the TLS alert"),
        _ => return None,
    })
}

/// The candidate causes an event of the catalog points to, most likely first (the events
/// column of [`CAUSES`], read the other way).
fn event_causes(id: u32) -> &'static [Remedy] {
    match id {
        36870 => &[Remedy::PrivateKey, Remedy::ServerCertificate],
        36871 | 36874 => &[Remedy::TlsMismatch],
        36887 | 36888 => &[Remedy::TlsMismatch, Remedy::ServerCertificate],
        1057 | 1058 => &[Remedy::ServerCertificate, Remedy::PrivateKey],
        140 | 4625 | 4771 | 4776 => &[Remedy::NlaFailure, Remedy::PasswordGuessing],
        4825 => &[Remedy::LogonRight],
        5152 | 5157 => &[Remedy::FirewallDrop],
        226 => &[Remedy::CredsspPolicy, Remedy::NlaFailure],
        _ => &[],
    }
}

/// The candidate causes of a code no table knows: one that can break any stage, so only the
/// stage a capture shows tells them apart.
const UNKNOWN_CODE_CAUSES: &[Remedy] = &[
    Remedy::FirewallDrop,
    Remedy::NothingListening,
    Remedy::NameResolution,
    Remedy::PacketLoss,
    Remedy::ServerCertificate,
    Remedy::SecurityLayerMismatch,
    Remedy::NlaFailure,
    Remedy::ServerDenied,
];

/// A number as a user pastes it: `0x904`, `2308`, `-2146893044` (an HRESULT printed signed).
fn parse_number(raw: &str) -> Option<(u32, Option<String>)> {
    let s = raw.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        let hex = hex.replace('_', "");
        return u32::from_str_radix(&hex, 16).ok().map(|v| (v, None));
    }
    let n: i64 = s.parse().ok()?;
    if n < 0 {
        let v = i32::try_from(n).ok()? as u32;
        return Some((v, Some(format!("{n} read as the signed form of 0x{v:08X}"))));
    }
    u32::try_from(n).ok().map(|v| (v, None))
}

fn reading(t: Table, value: u32, read_as: Option<String>) -> Option<Reading> {
    let (name, meaning) = t.find(value)?;
    Some(Reading {
        table: t,
        table_title: t.title(),
        source: t.section(),
        value,
        hex: format!("0x{value:X}"),
        name,
        meaning,
        read_as,
        note: table_note(t, value),
        if_hex: false,
    })
}

/// The readings of one number in the given tables, in order; then the derived forms (NTSTATUS
/// as HRESULT `0xD…`, Win32 in `0x8007xxxx`).
fn readings_of(value: u32, read_as: Option<String>, tables: &[Table]) -> Vec<Reading> {
    let mut out: Vec<Reading> = tables
        .iter()
        .filter(|t| **t != Table::Win32)
        .filter_map(|&t| reading(t, value, read_as.clone()))
        .collect();
    if tables.contains(&Table::Status) && value >> 28 == 0xD {
        let c = value & 0xCFFF_FFFF;
        out.extend(reading(
            Table::Status,
            c,
            Some(format!(
                "0x{value:08X} is an NTSTATUS written as HRESULT: read as 0x{c:08X}"
            )),
        ));
    }
    if tables.contains(&Table::Win32) && value >> 16 == 0x8007 {
        let w = value & 0xFFFF;
        out.extend(reading(
            Table::Win32,
            w,
            Some(format!("0x{value:08X} is HRESULT_FROM_WIN32({w})")),
        ));
    }
    out
}

/// A code as pasted: a number in any table (most likely first), or a name from any table.
fn readings(raw: &str, tables: &[Table]) -> Vec<Reading> {
    if let Some((v, read_as)) = parse_number(raw) {
        let mut out = readings_of(v, read_as, tables);
        // Digits without 0x are decimal; when the same digits read as hex name something
        // too (`80090325`), that reading follows, said as such.
        let digits = raw.trim();
        if digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(h) = u32::from_str_radix(digits, 16)
            && h != v
        {
            let decimal_found = !out.is_empty();
            out.extend(
                readings_of(
                    h,
                    Some(format!(
                        "{digits} read as hex 0x{h:X} (hex is written with 0x)"
                    )),
                    tables,
                )
                .into_iter()
                // A row of its own, not a range's catch-all.
                .filter(|r| has_row(r.table, r.value))
                .map(|mut r| {
                    r.if_hex = decimal_found;
                    r
                }),
            );
        }
        return out;
    }
    let s = raw.trim();
    let mut out: Vec<Reading> = tables
        .iter()
        .filter_map(|&t| t.by_name(s).and_then(|v| reading(t, v, None)))
        .collect();
    // Hex without 0x that contains letters (`C000006D`).
    if out.is_empty()
        && s.len() <= 8
        && let Ok(h) = u32::from_str_radix(s, 16)
    {
        out = readings_of(h, Some(format!("{s} read as hex 0x{h:X}")), tables);
    }
    out
}

/// Whether table `t` has a row of its own for `value` (not a range's catch-all).
fn has_row(t: Table, value: u32) -> bool {
    t.rows().iter().any(|(c, _, _)| *c == value)
}

/// The causes explain's rows give a code of table `t`, most likely first.
pub(crate) fn causes_of(t: Table, value: u32) -> &'static [Remedy] {
    RULES
        .iter()
        .find(|(rt, lo, hi, _)| *rt == t && (*lo..=*hi).contains(&value))
        .map(|r| r.3)
        .unwrap_or(&[])
}

/// The row of a cause (every [`Remedy`] has one: see the tests).
fn cause(id: Remedy) -> Option<Cause> {
    CAUSES.iter().find(|c| c.id == id).copied()
}

/// Reads CODE (and EXTENDED) and gathers what the tables say; `Err` names what is unknown.
pub fn explain_code(code: &str, extended: Option<&str>) -> Result<Explanation, String> {
    let all = &Table::ALL;
    // A decimal number may be an event id too (`36870`); hex is never read as one.
    let trimmed = code.trim();
    let decimal = !trimmed.starts_with("0x") && !trimmed.starts_with("0X");
    let mut events = match parse_number(code) {
        Some((v, None)) if decimal => events_of(v),
        _ => Vec::new(),
    };
    // `explain 1026 2308`: an event id and its value, read from the event's own table.
    if let Some(ext) = extended
        && let Some(k) = events.iter().position(|e| value_table(e.id).is_some())
        && let Some((table, what)) = value_table(events[k].id)
    {
        let mut event = events.swap_remove(k);
        event.value_read_as = Some(what);
        let values = readings(ext, &[table]);
        if values.is_empty() {
            return Err(format!(
                "{ext} is not a value {what} of event {} can have (none of codes.md's {})",
                event.id,
                table.title()
            ));
        }
        let ids: Vec<Remedy> = causes_of(table, values[0].value).to_vec();
        return Ok(finish(
            code,
            values,
            (Some(ext), Vec::new()),
            vec![event],
            Vec::new(),
            &ids,
        ));
    }
    let mut readings_main = match extended {
        // With an extended code, CODE is the dialog's error code: a disconnect reason.
        Some(_) => readings(code, &[Table::DiscReason]),
        None => Vec::new(),
    };
    if readings_main.is_empty() {
        readings_main = readings(code, all);
    }
    if readings_main.is_empty() && !events.is_empty() && extended.is_none() {
        let mut ids: Vec<Remedy> = Vec::new();
        for e in &events {
            for r in event_causes(e.id) {
                if !ids.contains(r) {
                    ids.push(*r);
                }
            }
        }
        return Ok(finish(
            code,
            Vec::new(),
            (None, Vec::new()),
            events,
            vec![
                "an event id, not a code: give the event's value after it (`explain 1026 2308`, `explain 4625 0xC000006A`) to read that too",
            ],
            &ids,
        ));
    }
    // A number no table knows, of a dialog code's size: undocumented; its candidates are
    // every stage's, and only the stage a capture shows tells them apart.
    if readings_main.is_empty()
        && extended.is_none()
        && let Some((v, _)) = parse_number(code)
        && v < 0x1_0000
    {
        return Ok(finish(
            code,
            Vec::new(),
            (None, Vec::new()),
            events,
            vec![
                "in none of the code tables: not a documented mstsc disconnect reason (codes.md §1 lists the documented ones; a number read in decimal without 0x may be the hex the dialog showed: write 0x to read it so). An undocumented dialog code says only that the connection failed: the candidates below are those of every stage, and a capture of one attempt (`rdptriage analyze`) names the stage",
            ],
            UNKNOWN_CODE_CAUSES,
        ));
    }
    if readings_main.is_empty() {
        return Err(match parse_number(code) {
            Some((v, _)) => format!("{code} (0x{v:X}) is in none of the code tables"),
            None if code
                .trim()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-') =>
            {
                format!("{code} is not a 32-bit code (hex 0x…, decimal or negative decimal)")
            }
            None => format!(
                "{code:?} is neither a number (0x…, decimal, -decimal) nor a known code name"
            ),
        });
    }
    let ext_readings = match extended {
        Some(e) => {
            let mut r = readings(e, &[Table::ExtendedReason]);
            if r.is_empty() {
                return Err(format!(
                    "extended code {e} is not an extended disconnect reason"
                ));
            }
            // Values from 256 up mirror the server's Set Error Info code (codes.md §2).
            let v = r[0].value;
            if v >= 256 {
                r.extend(reading(
                    Table::ErrInfo,
                    v,
                    Some("the same value as the server's Set Error Info code".to_string()),
                ));
            }
            r
        }
        None => Vec::new(),
    };

    let mut notes = Vec::new();
    let mut ids: Vec<Remedy> = Vec::new();
    let add = |list: &[Remedy], ids: &mut Vec<Remedy>| {
        for id in list {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
    };
    let first = &readings_main[0];
    let pair = ext_readings.first().and_then(|e| {
        PAIRS.iter().find(|(d, x, _, _)| {
            first.table == Table::DiscReason && *d == first.value && *x == e.value
        })
    });
    match (pair, ext_readings.first()) {
        (Some((_, _, list, note)), _) => {
            add(list, &mut ids);
            notes.push(*note);
        }
        (None, Some(e)) => {
            let disc = causes_of(first.table, first.value);
            let ext = causes_of(Table::ExtendedReason, e.value);
            // 0x3: the server disconnected, the extended code is the reason.
            if first.table == Table::DiscReason && first.value == 3 {
                add(ext, &mut ids);
                add(disc, &mut ids);
            } else {
                add(disc, &mut ids);
                add(ext, &mut ids);
            }
        }
        (None, None) => {
            for r in readings_main.iter().filter(|r| !r.if_hex) {
                add(causes_of(r.table, r.value), &mut ids);
            }
        }
    }
    if readings_main.iter().any(|r| r.if_hex) {
        notes.push("digits without 0x are read as decimal; a reading marked \"read as hex\" is what the same digits mean in hex, in case the code was copied without its 0x (its causes are not among the candidates)");
    }
    if readings_main.iter().filter(|r| !r.if_hex).count() > 1 {
        notes.push("the number is in several tables: each reading is listed, most likely first, and the causes of all of them are candidates");
    }
    if !events.is_empty() {
        notes
            .push("the number is a Windows event id too: the events are listed after the readings");
    }
    Ok(finish(
        code,
        readings_main,
        (extended, ext_readings),
        events,
        notes,
        &ids,
    ))
}

/// The explanation with its candidate causes (`ids`, most likely first) and what to collect.
fn finish(
    code: &str,
    readings: Vec<Reading>,
    (extended_input, extended): (Option<&str>, Vec<Reading>),
    events: Vec<EventReading>,
    notes: Vec<&'static str>,
    ids: &[Remedy],
) -> Explanation {
    let causes: Vec<Candidate> = ids
        .iter()
        .filter_map(|&id| cause(id))
        .enumerate()
        .map(|(i, cause)| Candidate { rank: i + 1, cause })
        .collect();
    let mut collect_next: Vec<&'static str> = Vec::new();
    for c in &causes {
        for item in c.cause.collect {
            if !collect_next.contains(item) {
                collect_next.push(item);
            }
        }
    }
    if !causes.is_empty() && !collect_next.contains(&COLLECT_CLIENT_LOG) {
        collect_next.push(COLLECT_CLIENT_LOG);
    }
    Explanation {
        input: code.to_string(),
        readings,
        extended_input: extended_input.map(str::to_string),
        extended,
        events,
        notes,
        causes,
        collect_next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_one_row() {
        for &id in Remedy::ALL {
            assert_eq!(CAUSES.iter().filter(|c| c.id == id).count(), 1, "{id}");
            assert!(cause(id).is_some());
        }
        assert_eq!(CAUSES.len(), Remedy::ALL.len());
    }

    #[test]
    fn every_known_code_has_a_rule() {
        for t in Table::ALL {
            for (v, n, _) in t.rows() {
                assert!(
                    RULES
                        .iter()
                        .any(|(rt, lo, hi, _)| *rt == t && (*lo..=*hi).contains(v)),
                    "{n} has no rule"
                );
            }
        }
    }

    #[test]
    fn parses_numbers() {
        assert_eq!(parse_number("0x904").unwrap().0, 2308);
        assert_eq!(parse_number("2308").unwrap().0, 0x904);
        assert_eq!(parse_number("-2146893044").unwrap().0, 0x8009_030C);
        assert!(parse_number("0x1_0000_0000").is_none());
        assert!(parse_number("nope").is_none());
    }

    #[test]
    fn derived_forms() {
        let e = explain_code("0xD000006D", None).unwrap();
        assert_eq!(e.readings[0].name, "STATUS_LOGON_FAILURE");
        let e = explain_code("0x80072746", None).unwrap();
        assert_eq!(e.readings[0].name, "WSAECONNRESET");
        let e = explain_code("80090325", None).unwrap();
        assert_eq!(e.readings[0].name, "SEC_E_UNTRUSTED_ROOT");
    }
}
