//! Findings: what went wrong, from the connections and events of one report.
//!
//! One finding per failed connection attempt (the cause of its furthest connection,
//! `REPORT.md`), with the events joined to it (`correlate::join_events`) as evidence, and one
//! per problem a Windows log shows that no capture covers (`REPORT.md`'s extra cause names).
//! What each cause means, which events agree with or contradict it, and its fix are data:
//! [`RULES`] and [`EVENT_RULES`], whose remediation and what-to-collect come from the
//! knowledge table of [`super::explain::CAUSES`] (`reference/remedies.md`).
//!
//! A capture names the stage and what the wire showed (`tcp_no_answer`, `tls_aborted`,
//! `nla_failure`); the logs and the side traffic often say why. [`REFINEMENTS`] name the more
//! precise cause of `REPORT.md` (`firewall_blocked`, `private_key_inaccessible`, `clock_skew`,
//! `spn_unknown`, `credssp_policy_mismatch`) only when the evidence `remedies.md` asks for is
//! there beside the capture's failure: a Security 5152 for the dropped SYNs, a Schannel 36870
//! at the aborted handshake, the KDC's KRB-ERROR or 4769/4771 for the failed CredSSP exchange
//! — never an error code alone. Evidence against a refinement lowers its confidence. DNS
//! failures and Kerberos errors of a capture with no RDP connection to explain give findings
//! of their own when they name the RDP server (`side_findings`).

use super::explain::Remedy;
use crate::model::{Cause, Confidence, Severity, Stage, Status, Verdict, Word};
use std::collections::{BTreeMap, HashMap};

use crate::correlate::Joined;
use crate::correlate::windows::{FIREWALL_CONTRADICTION_NS, NLA_LOGON_WINDOW_NS, SIDE_WINDOW_NS};
use crate::eventlog::CatalogEvent;
use crate::eventlog::catalog::LogSide;
use crate::eventlog::catalog::{RDP_SPN_PREFIX, number};
use crate::handshake::judged::{JudgedConnection, Stop};
use crate::handshake::nla_records::Mechanism;
use crate::handshake::side::{SideEvent, SideKind};
use crate::handshake::x224::{FailureCode, protocol};
use crate::model::{AttemptId, ConnId};

use super::Finding;

use super::explain::{CAUSES, Cause as Knowledge};

/// What a cause of a connection means for a finding.
pub struct Rule {
    /// The connection's cause (`REPORT.md`).
    pub cause: Cause,
    /// The row of [`CAUSES`] with its fix and what to collect next.
    pub knowledge: Remedy,
    /// Event ids that, joined to the attempt, confirm the cause.
    pub agree: &'static [u32],
    /// Event ids that, joined to the attempt, contradict it.
    pub contradict: &'static [u32],
}

/// Capture causes → knowledge and events.
pub const RULES: &[Rule] = &[
    Rule {
        cause: Cause::TcpNoAnswer,
        knowledge: Remedy::FirewallDrop,
        agree: &[5152, 5157],
        contradict: &[131, 1149],
    },
    Rule {
        cause: Cause::TcpRefused,
        knowledge: Remedy::NothingListening,
        agree: &[],
        contradict: &[131, 1149],
    },
    Rule {
        cause: Cause::IcmpUnreachable,
        knowledge: Remedy::FirewallDrop,
        agree: &[5152, 5157],
        contradict: &[1149],
    },
    Rule {
        cause: Cause::NegotiationFailure,
        knowledge: Remedy::SecurityLayerMismatch,
        agree: &[139],
        contradict: &[1149],
    },
    Rule {
        cause: Cause::X224Rejected,
        knowledge: Remedy::SecurityLayerMismatch,
        agree: &[139],
        contradict: &[1149],
    },
    Rule {
        cause: Cause::TlsAlert,
        knowledge: Remedy::TlsMismatch,
        agree: &[36871, 36874, 36887, 36888],
        contradict: &[1149],
    },
    Rule {
        cause: Cause::TlsAborted,
        knowledge: Remedy::ServerCertificate,
        agree: &[1057, 1058, 36870, 36871],
        contradict: &[1149],
    },
    Rule {
        cause: Cause::CertificateRejected,
        knowledge: Remedy::ServerCertificate,
        agree: &[1057, 1058, 36870],
        contradict: &[1149, 4624],
    },
    Rule {
        cause: Cause::NlaFailure,
        knowledge: Remedy::NlaFailure,
        agree: &[4625, 140, 4771, 4776, 4825],
        contradict: &[1149, 4624],
    },
    Rule {
        cause: Cause::ServerDenied,
        knowledge: Remedy::ServerDenied,
        agree: &[50, 56, 97, 102, 103, 40],
        contradict: &[],
    },
    Rule {
        cause: Cause::PacketLoss,
        knowledge: Remedy::PacketLoss,
        agree: &[],
        contradict: &[],
    },
    Rule {
        cause: Cause::Timeout,
        knowledge: Remedy::PacketLoss,
        agree: &[],
        contradict: &[],
    },
    // No attempt: its finding is `probe_findings`', one per server.
    Rule {
        cause: Cause::Probe,
        knowledge: Remedy::Probe,
        agree: &[],
        contradict: &[],
    },
];

/// One piece of evidence a refinement looks for.
pub enum Proof {
    /// An event joined to the attempt: one of `ids`, and when `field` is given, one of those
    /// fields holding one of those codes (hex or decimal, as Windows writes them).
    Event {
        ids: &'static [u32],
        field: Option<(&'static [&'static str], &'static [u32])>,
    },
    /// A KRB-ERROR sent to the client around the connection (`connections[].kerberos`,
    /// RFC 4120 §5.9.1) with one of these codes, for a server principal starting with
    /// `sname` (case-insensitive) when given.
    Kerberos {
        codes: &'static [i32],
        sname: Option<&'static str>,
    },
}

/// Statuses with which a server names a credential or account problem (codes.md §6): a 4625
/// carrying one says NLA failed on the user's credentials, not on Kerberos or CredSSP.
const CREDENTIAL_STATUSES: &[u32] = &[
    0xC000_006A,
    0xC000_0064,
    0xC000_0234,
    0xC000_0072,
    0xC000_0071,
    0xC000_0224,
    0xC000_0193,
    0xC000_006E,
    0xC000_015B,
];

/// KRB_AP_ERR_SKEW (RFC 4120 §7.5.9; codes.md §8).
pub const KRB_AP_ERR_SKEW: i32 = 37;
/// KDC_ERR_S_PRINCIPAL_UNKNOWN.
pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = 7;
/// The KDC asks for pre-authentication (RFC 4120 §7.5.9): the first step of a password logon.
pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
/// KDC_ERR_BADOPTION (RFC 4120 §7.5.9): an option the KDC cannot grant; clients retry.
pub const KDC_ERR_BADOPTION: i32 = 13;
/// Kerberos allows clocks this far apart by default (5 minutes; RFC 4120 §1.6 leaves it to
/// policy, Windows' "Maximum tolerance for computer clock synchronization").
pub const MAX_SKEW_S: f64 = 300.0;

/// A more precise cause than the capture's, when its proof is there.
pub struct Refinement {
    /// The connection causes it refines.
    pub from: &'static [Cause],
    /// The finding's cause (`REPORT.md`).
    pub cause: Cause,
    /// The row of [`CAUSES`] with its fix.
    pub knowledge: Remedy,
    /// Any of these proves it.
    pub proof: &'static [Proof],
    /// Any of these lowers its confidence.
    pub contradict: &'static [Proof],
    /// What it is, for the summary.
    pub what: &'static str,
}

/// Capture cause + evidence → the precise cause, first match wins (`reference/remedies.md`).
pub const REFINEMENTS: &[Refinement] = &[
    Refinement {
        from: &[Cause::TcpNoAnswer, Cause::IcmpUnreachable],
        cause: Cause::FirewallBlocked,
        knowledge: Remedy::FirewallDrop,
        proof: &[Proof::Event {
            ids: &[5152, 5157],
            field: None,
        }],
        contradict: &[Proof::Event {
            ids: &[131, 1149],
            field: None,
        }],
        what: "the server's firewall dropped it (Windows Filtering Platform)",
    },
    Refinement {
        from: &[Cause::TlsAborted, Cause::TlsAlert],
        cause: Cause::PrivateKeyInaccessible,
        knowledge: Remedy::PrivateKey,
        proof: &[Proof::Event {
            ids: &[36870],
            field: None,
        }],
        contradict: &[Proof::Event {
            ids: &[36874, 1149],
            field: None,
        }],
        what: "the server could not use the private key of its TLS certificate, so it could not answer the ClientHello",
    },
    Refinement {
        from: &[Cause::NlaFailure],
        cause: Cause::ClockSkew,
        knowledge: Remedy::ClockSkew,
        proof: &[
            Proof::Kerberos {
                codes: &[KRB_AP_ERR_SKEW],
                sname: None,
            },
            Proof::Event {
                ids: &[4771, 4769],
                field: Some((&["Status"], &[0x25])),
            },
            Proof::Event {
                ids: &[4625],
                field: Some((&["Status", "SubStatus"], &[0xC000_0133])),
            },
            Proof::Event {
                ids: &[226],
                field: Some((&["ErrorCode"], &[0x8009_0324])),
            },
        ],
        contradict: &[Proof::Event {
            ids: &[4625],
            field: Some((&["Status", "SubStatus"], CREDENTIAL_STATUSES)),
        }],
        what: "Kerberos refused the client's clock (KRB_AP_ERR_SKEW), so NLA could not authenticate",
    },
    Refinement {
        from: &[Cause::NlaFailure],
        cause: Cause::SpnUnknown,
        knowledge: Remedy::SpnUnknown,
        proof: &[
            Proof::Kerberos {
                codes: &[KDC_ERR_S_PRINCIPAL_UNKNOWN],
                sname: Some(RDP_SPN_PREFIX),
            },
            Proof::Event {
                ids: &[4769],
                field: Some((&["Status"], &[0x7])),
            },
        ],
        contradict: &[Proof::Event {
            ids: &[4625],
            field: Some((&["Status", "SubStatus"], CREDENTIAL_STATUSES)),
        }],
        what: "the domain has no Kerberos principal for the name the client connected to (KDC_ERR_S_PRINCIPAL_UNKNOWN), so NLA could not use Kerberos",
    },
    Refinement {
        from: &[Cause::NlaFailure],
        cause: Cause::CredsspPolicyMismatch,
        knowledge: Remedy::CredsspPolicy,
        // SEC_E_UNSUPPORTED_FUNCTION after TLS completed: not a TLS version mismatch (TLS
        // worked), the CredSSP versions (CVE-2018-0886) or policies disagree.
        proof: &[Proof::Event {
            ids: &[226],
            field: Some((&["ErrorCode"], &[0x8009_0302])),
        }],
        // The server got as far as checking the user's credentials: CredSSP itself agreed.
        contradict: &[Proof::Event {
            ids: &[4625, 140, 1149],
            field: None,
        }],
        what: "client and server disagree on CredSSP (encryption oracle remediation, CVE-2018-0886): the client refused to go on after TLS",
    },
];

/// A problem an event shows on its own.
pub struct EventRule {
    pub cause: Cause,
    pub ids: &'static [u32],
    /// When given: one of these fields holds one of these codes.
    pub when: Option<(&'static [&'static str], &'static [u32])>,
    pub severity: Severity,
    /// How sure an event alone makes it: `low` when the event is not specific to RDP.
    pub confidence: Confidence,
    pub knowledge: Remedy,
    /// What the events say, for the summary.
    pub what: &'static str,
}

/// Event-log-only causes (`REPORT.md`), first matching row wins.
pub const EVENT_RULES: &[EventRule] = &[
    EventRule {
        cause: Cause::CertificateRenewalFailed,
        ids: &[1057, 1058],
        when: None,
        severity: Severity::Warning,
        confidence: Confidence::Medium,
        knowledge: Remedy::ServerCertificate,
        what: "could not create or replace its self-signed RDP certificate",
    },
    EventRule {
        cause: Cause::PrivateKeyInaccessible,
        ids: &[36870],
        when: None,
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::PrivateKey,
        what: "could not use the private key of its TLS server certificate",
    },
    EventRule {
        cause: Cause::TlsProtocolMismatch,
        ids: &[36871, 36874],
        when: None,
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::TlsMismatch,
        what: "found no TLS version or cipher suite in common with a client",
    },
    EventRule {
        cause: Cause::LogonRightMissing,
        ids: &[4825],
        when: None,
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::LogonRight,
        what: "denied a user who may not log on through Remote Desktop",
    },
    EventRule {
        cause: Cause::LogonRightMissing,
        ids: &[4625],
        when: Some((&["Status", "SubStatus"], &[0xC000_015B])),
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::LogonRight,
        what: "denied a user who may not log on through Remote Desktop",
    },
    EventRule {
        cause: Cause::ClockSkew,
        ids: &[4625],
        when: Some((&["Status", "SubStatus"], &[0xC000_0133])),
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::ClockSkew,
        what: "rejected a logon because the clocks differ (STATUS_TIME_DIFFERENCE_AT_DC)",
    },
    EventRule {
        cause: Cause::NlaFailure,
        ids: &[140],
        when: None,
        severity: Severity::Warning,
        confidence: Confidence::Medium,
        knowledge: Remedy::NlaFailure,
        what: "rejected Network Level Authentication (CredSSP)",
    },
    EventRule {
        cause: Cause::LogonFailed,
        ids: &[4625],
        when: None,
        severity: Severity::Warning,
        confidence: Confidence::Medium,
        knowledge: Remedy::NlaFailure,
        what: "rejected logons",
    },
    EventRule {
        cause: Cause::FirewallBlocked,
        ids: &[5152, 5157],
        when: None,
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::FirewallDrop,
        what: "dropped inbound packets to the RDP port (Windows Filtering Platform)",
    },
    EventRule {
        cause: Cause::SpnUnknown,
        // 4769 is in the catalog only for TERMSRV/ service names.
        ids: &[4769],
        when: Some((&["Status"], &[0x7])),
        severity: Severity::Error,
        confidence: Confidence::Medium,
        knowledge: Remedy::SpnUnknown,
        what: "has no Kerberos principal for an RDP server name a client asked a ticket for (KDC_ERR_S_PRINCIPAL_UNKNOWN)",
    },
    EventRule {
        cause: Cause::ClockSkew,
        // A pre-authentication or ticket request refused for the clock; not tied to RDP by
        // itself (any Kerberos client), hence low.
        ids: &[4771, 4769],
        when: Some((&["Status"], &[0x25])),
        severity: Severity::Warning,
        confidence: Confidence::Low,
        knowledge: Remedy::ClockSkew,
        what: "refused Kerberos requests because the client's clock is off (KRB_AP_ERR_SKEW)",
    },
];

/// A coded field's value: hex (`0x25`), decimal, or a signed decimal HRESULT (`-2146893054`).
fn code(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    if let Some(n) = number(raw) {
        return u32::try_from(n).ok();
    }
    raw.parse::<i32>().ok().map(|n| n as u32)
}

/// True when one of `fields` of the event holds one of `codes`.
fn has_code(e: &CatalogEvent, fields: &[&str], codes: &[u32]) -> bool {
    fields.iter().any(|f| {
        e.fields
            .get(f)
            .and_then(code)
            .is_some_and(|c| codes.contains(&c))
    })
}

/// True when the event matches a [`Proof::Event`] (false for the other kinds).
fn event_proves(p: &Proof, e: &CatalogEvent) -> bool {
    match p {
        Proof::Event { ids, field } => {
            ids.contains(&e.id) && field.is_none_or(|(fields, codes)| has_code(e, fields, codes))
        }
        Proof::Kerberos { .. } => false,
    }
}

/// True when the KRB-ERROR matches a [`Proof::Kerberos`].
fn kerberos_proves(p: &Proof, k: &SideEvent) -> bool {
    match p {
        Proof::Kerberos { codes, sname } => {
            k.code.is_some_and(|c| codes.contains(&c))
                && sname.is_none_or(|prefix| {
                    k.name.as_deref().is_some_and(|n| {
                        n.get(..prefix.len())
                            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
                    })
                })
        }
        Proof::Event { .. } => false,
    }
}

/// Evidence line of a KRB-ERROR: `frame 5: the KDC 10.0.0.1 answered KRB_AP_ERR_SKEW (37) for
/// TERMSRV/rdp.corp.example@CORP.EXAMPLE; its clock 1050 s ahead of the client's`.
fn kerberos_line(k: &SideEvent, prefix: &str) -> String {
    let mut line = format!(
        "{prefix}frame {}: the KDC {} answered {}{} for {}{}",
        k.frame,
        k.server,
        k.result,
        k.code.map(|c| format!(" ({c})")).unwrap_or_default(),
        k.name.as_deref().unwrap_or("?"),
        k.realm
            .as_deref()
            .map(|r| format!("@{r}"))
            .unwrap_or_default()
    );
    if k.code == Some(KRB_AP_ERR_SKEW)
        && let Some(s) = k.skew_s
    {
        let whose = match k.skew_from {
            Some("client_time") => "the client's (its request's time)",
            _ => "the capture's",
        };
        line.push_str(&format!(
            "; the KDC's clock {} s {} {whose}",
            s.abs(),
            if s >= 0.0 { "ahead of" } else { "behind" }
        ));
    }
    line
}

/// Evidence line of a DNS lookup.
fn dns_line(d: &SideEvent, prefix: &str) -> String {
    let frames = match d.answer_frame {
        Some(a) if a != d.frame => format!("frames {}, {a}", d.frame),
        _ => format!("frame {}", d.frame),
    };
    let answer = if d.addresses.is_empty() {
        d.result.clone()
    } else {
        d.addresses.join(", ")
    };
    format!(
        "{prefix}{frames}: {} asked {} for {}: {answer}",
        d.client,
        d.server,
        d.name.as_deref().unwrap_or("?")
    )
}

/// The knowledge row for a certificate the client rejected, from what the capture shows of
/// the certificate: `certificate_name` when it does not name what the client asked for,
/// `certificate_untrusted` when it is valid but self-signed or from another CA. `None` for an
/// expired one (the rule's own row) or when the certificate was not seen (TLS 1.3).
fn certificate_knowledge(c: &JudgedConnection) -> Option<Remedy> {
    let detail = c.detail();
    let cert = detail.tls.as_ref()?.certificate.as_ref()?;
    // Proven out of date: its own fix, not the key store's.
    if cert.info.expired_at_capture || cert.info.not_yet_valid_at_capture {
        return Some(Remedy::CertificateExpired);
    }
    Some(if cert.matches_sni == Some(false) {
        Remedy::CertificateName
    } else {
        Remedy::CertificateUntrusted
    })
}

/// What Kerberos errors around an NLA failure (`correlate`'s side window) mean when the
/// CredSSP exchange ran NTLM (by the size of the client's first token): the client did not
/// use Kerberos, so they say why it fell back (no principal for the name it connected to, a
/// clock or password the KDC refused), not why NLA failed. One line, `None` when there is
/// nothing to say.
fn kerberos_beside_ntlm(c: &JudgedConnection, kerberos: &[&SideEvent]) -> Option<String> {
    if c.nla_mechanism != Some(Mechanism::Ntlm) || c.failed_stage != Some(Stage::Nla) {
        return None;
    }
    let mut named: Vec<String> = Vec::new();
    // PREAUTH_REQUIRED is the KDC's first step of every password logon and BADOPTION a
    // request its client retries without the option: neither is a failure.
    for k in kerberos
        .iter()
        .filter(|k| !matches!(k.code, Some(KDC_ERR_PREAUTH_REQUIRED | KDC_ERR_BADOPTION)))
    {
        let what = format!("{} for {}", k.result, k.name.as_deref().unwrap_or("?"));
        if !named.contains(&what) {
            named.push(what);
        }
    }
    if named.is_empty() {
        return None;
    }
    Some(format!(
        "the CredSSP exchange ran NTLM (the client's first token has NTLM's size), so Kerberos was not used: the KDC's errors around it ({}) say why the client fell back to NTLM, not why NLA failed; if the domain restricts NTLM, they are the cause",
        named.join("; ")
    ))
}

/// The knowledge row for a negotiation failure the server caused by offering only Standard
/// RDP Security (MS-RDPBCGR 2.2.1.2.2 SSL_NOT_ALLOWED_BY_SERVER, or PROTOCOL_RDP selected
/// for a client that offered TLS or CredSSP): its fix is the server's. `None` otherwise
/// (the rule's own row: the client and server settings to make agree).
fn negotiation_knowledge(c: &JudgedConnection) -> Option<Remedy> {
    let detail = c.detail();
    let n = detail.negotiation.as_ref()?;
    // The negotiation facts carry the failure by the decoder's name for it.
    let refused_tls =
        n.failure.as_deref() == Some(FailureCode::SslNotAllowedByServer.name().as_str());
    let chose_rdp = n.selected_raw == Some(protocol::RDP)
        && n.requested_raw
            .is_some_and(|r| r & (protocol::SSL | protocol::HYBRID) != 0);
    (refused_tls || chose_rdp).then_some(Remedy::StandardSecurityServer)
}

/// The fix for the NTSTATUS of the connection's CredSSP `errorCode`, with the account named.
fn credssp_status_fix(c: &JudgedConnection) -> Option<String> {
    let detail = c.detail();
    let f = detail.credssp.as_ref()?;
    let code = f.error_code?;
    super::words::status_fix(code, f.user.as_deref())
}

/// What a connection's decoded PDUs say beyond its cause: an Early User Authorization Result
/// that denied access (a logon right), a Set Error Info PDU's ERRINFO code (explain's rows).
fn decoded_knowledge(c: &JudgedConnection) -> Option<Remedy> {
    let detail = c.detail();
    if detail
        .credssp
        .as_ref()
        .and_then(|f| f.early_user_authorization)
        == Some(crate::handshake::facts::EarlyAuthorization::AccessDenied)
    {
        return Some(Remedy::LogonRight);
    }
    let code = detail.mcs.as_ref()?.error_info?;
    super::explain::causes_of(crate::model::codes::Table::ErrInfo, code)
        .first()
        .copied()
}

fn knowledge(id: Remedy) -> Option<&'static Knowledge> {
    CAUSES.iter().find(|c| c.id == id)
}

/// A cause's fix and what to collect next, from its row of [`CAUSES`].
pub fn remedy_of(id: Remedy) -> (Vec<String>, Vec<String>) {
    remedy(id)
}

fn remedy(id: Remedy) -> (Vec<String>, Vec<String>) {
    match knowledge(id) {
        Some(k) => (
            vec![k.fix.to_string()],
            k.collect.iter().map(|s| s.to_string()).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    }
}

/// An endpoint's address, as the report prints it (`10.0.0.5`, `fe80::1`).
fn host(endpoint: &crate::capture::decode::Endpoint) -> String {
    endpoint.ip.to_string()
}

fn frames(list: &[u64]) -> String {
    let s: Vec<String> = list.iter().map(u64::to_string).collect();
    match list.len() {
        1 => format!("frame {}", s[0]),
        _ => format!("frames {}", s.join(", ")),
    }
}

/// One evidence line per event: `input#record: Provider id: summary` (with the decoded fields
/// the summary does not already name).
pub fn event_line(e: &CatalogEvent) -> String {
    let mut line = format!("{}: {} {}: {}", e.reference(), e.provider, e.id, e.summary);
    for (k, v) in e.decoded.iter() {
        let name = v.split(':').next().unwrap_or(v);
        if !e.summary.contains(name) {
            line.push_str(&format!("; {k} {v}"));
        }
    }
    line
}

/// The `frame N: …` lines of one connection, from its stages, TLS facts and TCP ends.
fn connection_lines(c: &JudgedConnection, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let detail = c.detail();
    let n = &detail.network;
    // SYNs retransmitted before the answer (an unanswered SYN is the failed stage's line).
    if c.reached.is_some()
        && n.syn_retries > 0
        && let Some(s) = detail.stages.iter().find(|s| s.stage == Stage::Tcp)
    {
        out.push(format!(
            "{prefix}{}: SYN sent {} times ({} retransmissions) before an answer",
            frames(&s.frames),
            n.syn_retries + 1,
            n.syn_retries
        ));
    }
    for i in &n.icmp {
        out.push(format!(
            "{prefix}frame {}: {} sent ICMP {}",
            i.frame, i.from, i.message
        ));
    }
    if let Some(neg) = &detail.negotiation
        && let Some(f) = &neg.failure
    {
        let at = at_frame(neg.confirm_frame);
        out.push(format!(
            "{prefix}{at}the server answered the Connection Request with RDP_NEG_FAILURE {f}"
        ));
    }
    // The user name mstsc put in its cookie: who was connecting, before any credentials.
    if let Some(neg) = &detail.negotiation
        && let Some(user) = neg.cookie_user()
    {
        let at = at_frame(neg.request_frame);
        out.push(format!(
            "{prefix}{at}the Connection Request names the user {user} (mstshash cookie: the user name the client was given, as typed)"
        ));
    }
    if let Some(cert) = detail.tls.as_ref().and_then(|t| t.certificate.as_ref()) {
        let info = &cert.info;
        let mut line = format!(
            "{prefix}frame {}: server certificate {} (issuer {}), valid {} to {}",
            cert.frame, info.subject, info.issuer, info.not_before, info.not_after
        );
        if info.expired_at_capture {
            line.push_str(", expired at capture time");
        }
        if info.self_signed {
            line.push_str(", self-signed");
        }
        if !info.sha1.is_empty() {
            line.push_str(&format!(", SHA-1 thumbprint {}", info.sha1));
        }
        out.push(line);
    }
    for a in detail.tls.iter().flat_map(|t| &t.alerts) {
        out.push(format!(
            "{prefix}frame {}: {} sent {} TLS alert{}",
            a.frame,
            a.from,
            a.level.word(),
            a.description
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default()
        ));
    }
    for s in detail.stages.iter().filter(|s| s.status == Status::Failed) {
        let note = s.note.clone().unwrap_or_default();
        let what = if s.frames.is_empty() {
            String::new()
        } else {
            format!("{}: ", frames(&s.frames))
        };
        out.push(format!("{prefix}{what}{} stage failed: {note}", s.stage));
    }
    if let (Some(by), Some(f)) = (n.closed_by, n.close_frame) {
        out.push(format!(
            "{prefix}frame {f}: the {by} closed the connection (FIN)"
        ));
    }
    if let (Some(by), Some(f)) = (n.reset_by, n.reset_frame) {
        out.push(format!("{prefix}frame {f}: the {by} reset the connection"));
    }
    out
}

/// `frame N: ` before an evidence line, when the frame is known.
fn at_frame(frame: Option<u64>) -> String {
    frame.map(|n| format!("frame {n}: ")).unwrap_or_default()
}

/// The DNS lookups and KRB-ERRORs of an attempt's connections, each once (connections of one
/// attempt share them).
fn side_lines(conns: &[JudgedConnection], members: &[usize]) -> Vec<String> {
    let mut seen: Vec<(SideKind, u64)> = Vec::new();
    let mut out = Vec::new();
    for &i in members {
        for e in conns[i].dns().iter().chain(conns[i].kerberos()) {
            if seen.contains(&(e.kind, e.frame)) {
                continue;
            }
            seen.push((e.kind, e.frame));
            out.push(match e.kind {
                SideKind::Dns => dns_line(e, ""),
                SideKind::Kerberos => kerberos_line(e, ""),
            });
        }
    }
    out
}

/// What proves a refinement for one attempt: the joined events and the KRB-ERRORs.
struct Proved<'a> {
    rule: &'static Refinement,
    events: Vec<usize>,
    kerberos: Vec<&'a SideEvent>,
}

/// The first refinement of `cause` whose proof is among the attempt's events and KRB-ERRORs.
fn refine<'a>(
    cause: Cause,
    evs: &[usize],
    events: &[CatalogEvent],
    kerberos: &[&'a SideEvent],
) -> Option<Proved<'a>> {
    REFINEMENTS
        .iter()
        .filter(|r| r.from.contains(&cause))
        .find_map(|r| {
            let ev: Vec<usize> = evs
                .iter()
                .copied()
                .filter(|&k| r.proof.iter().any(|p| event_proves(p, &events[k])))
                .collect();
            let mut krb: Vec<&SideEvent> = kerberos
                .iter()
                .copied()
                .filter(|k| r.proof.iter().any(|p| kerberos_proves(p, k)))
                .collect();
            // The connections of one attempt share the KRB-ERRORs around them.
            krb.sort_by_key(|k| k.frame);
            krb.dedup_by_key(|k| k.frame);
            (!ev.is_empty() || !krb.is_empty()).then_some(Proved {
                rule: r,
                events: ev,
                kerberos: krb,
            })
        })
}

/// `RDPT-SRV 5152 ×8: Firewall dropped a packet …` per computer and id, in first-seen order.
fn event_words(ks: &[usize], events: &[CatalogEvent]) -> Vec<String> {
    let mut groups: Vec<((&str, u32), Vec<usize>)> = Vec::new();
    for &k in ks {
        let key = (events[k].computer.as_ref(), events[k].id);
        match groups.iter_mut().find(|(g, _)| *g == key) {
            Some((_, list)) => list.push(k),
            None => groups.push((key, vec![k])),
        }
    }
    groups
        .iter()
        .map(|((computer, id), list)| {
            let times = if list.len() > 1 {
                format!(" ×{}", list.len())
            } else {
                String::new()
            };
            format!("{computer} {id}{times}: {}", events[list[0]].summary)
        })
        .collect()
}

/// A capture's DNS failures and Kerberos errors (`inputs[].side_failures` of the report).
pub struct CaptureSide<'a> {
    pub path: &'a str,
    pub side_failures: &'a [SideEvent],
}

/// The findings of a report: one per failed attempt, then what the logs show that no
/// connection explains, then what the side traffic of captures without such a connection
/// shows (`side_findings`).
pub fn findings(
    conns: &[JudgedConnection],
    events: &[CatalogEvent],
    overflow: &crate::eventlog::LogonCounts,
    joined: &Joined,
    inputs: &[CaptureSide],
    dialog: Option<super::checklist::DialogCode>,
) -> Vec<Finding> {
    let (findings, alike) = attempt_findings(conns, events, joined);
    let mut out = merge_repeated(findings, alike, conns);
    out.extend(probe_findings(conns));
    let (lockouts, in_lockouts) = super::logons::lockout_findings(events);
    out.extend(lockouts);
    let captured_clients: Vec<String> = conns.iter().map(|c| host(&c.client)).collect();
    out.extend(event_findings(
        events,
        overflow,
        joined,
        &in_lockouts,
        &captured_clients,
    ));
    out.extend(side_findings(inputs, conns, events, joined));
    super::checklist::attach(&mut out, conns, events, dialog);
    super::scope::fill(&mut out, conns, events);
    out
}

/// The clients of a group of connections and the time it spans, as a merged finding says
/// them.
struct Span {
    /// Each client address once, in order.
    clients: Vec<std::net::IpAddr>,
    /// The earliest start and the latest end, written out (empty when none was timed).
    start: String,
    end: String,
}

impl Span {
    fn of(conns: &[&JudgedConnection]) -> Span {
        let mut clients: Vec<std::net::IpAddr> = conns.iter().map(|c| c.client.ip).collect();
        clients.sort_unstable();
        clients.dedup();
        let timed = || conns.iter().filter(|c| c.timed);
        Span {
            clients,
            start: timed()
                .min_by_key(|c| c.start_ns)
                .and_then(|c| c.start())
                .unwrap_or_default(),
            end: timed()
                .max_by_key(|c| c.end_ns)
                .and_then(|c| c.end())
                .unwrap_or_default(),
        }
    }
}

/// The fix of a firewall drop that a later connection of the same client got past.
const DROP_GOT_PAST: &str = "A later connection got through, so no rule blocks RDP for good: the drop was passing (a firewall's connection or rate limit, a path that flapped) or hit another address or port of the server. Compare the failed connection's addresses and port with the one that worked; act only if the drops come back.";

/// Probes of one server named one by one in their finding's evidence (its `connections` has
/// them all).
const MAX_NAMED_PROBES: usize = 5;

/// What kind of probe a connection of cause `probe` is, from where it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProbeKind {
    PortCheck,
    HalfOpen,
    SynOnce,
    Swept,
    Service,
}

impl ProbeKind {
    /// In the order a finding names them.
    const ALL: [ProbeKind; 5] = [
        ProbeKind::PortCheck,
        ProbeKind::HalfOpen,
        ProbeKind::SynOnce,
        ProbeKind::Swept,
        ProbeKind::Service,
    ];

    fn of(c: &JudgedConnection) -> Option<ProbeKind> {
        let stop = c.stop?;
        Some(match (stop.stop, stop.stage) {
            (Stop::Probe, Stage::Tcp) => ProbeKind::HalfOpen,
            (Stop::Probe, _) => ProbeKind::PortCheck,
            (Stop::SynOnce, _) => ProbeKind::SynOnce,
            (Stop::Swept, _) => ProbeKind::Swept,
            (Stop::NotRdp, _) => ProbeKind::Service,
            _ => return None,
        })
    }

    /// What one is, what several are, and how it showed.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ProbeKind::PortCheck => (
                "port check",
                "port checks",
                "connect, then close without a byte",
            ),
            ProbeKind::HalfOpen => (
                "half-open SYN scan",
                "half-open SYN scans",
                "the SYN-ACK never acknowledged",
            ),
            ProbeKind::SynOnce => (
                "unanswered scan SYN",
                "unanswered scan SYNs",
                "one SYN, never sent again",
            ),
            ProbeKind::Swept => (
                "SYN of a port sweep",
                "SYNs of a port sweep",
                "the client sent SYNs to many other ports at the time",
            ),
            ProbeKind::Service => (
                "service probe",
                "service probes",
                "bytes no RDP client sends first, or a scanner's request",
            ),
        }
    }
}

/// One `info` finding per server that was probed (`REPORT.md` `probe`): how many of each
/// kind ([`ProbeKind`]), from which clients, when; a few examples with their frames; and no
/// network fix, as nothing failed.
fn probe_findings(conns: &[JudgedConnection]) -> Vec<Finding> {
    let mut by_server: BTreeMap<String, Vec<&JudgedConnection>> = BTreeMap::new();
    for c in conns.iter().filter(|c| c.cause == Some(Cause::Probe)) {
        by_server.entry(c.server.to_string()).or_default().push(c);
    }
    by_server
        .into_iter()
        .map(|(server, probes)| {
            let mut counts = [0usize; ProbeKind::ALL.len()];
            for kind in probes.iter().filter_map(|c| ProbeKind::of(c)) {
                counts[kind as usize] += 1;
            }
            let Span {
                clients,
                start: first,
                end: last,
            } = Span::of(&probes);
            let kinds: Vec<String> = ProbeKind::ALL
                .iter()
                .zip(counts)
                .filter(|&(_, n)| n > 0)
                .map(|(kind, n)| {
                    let (one, many, how) = kind.words();
                    format!("{n} {} ({how})", if n == 1 { one } else { many })
                })
                .collect();
            let named: Vec<String> = clients.iter().take(3).map(|ip| ip.to_string()).collect();
            let from = if clients.len() > named.len() {
                format!(
                    "{} clients ({} …)",
                    clients.len(),
                    named.join(", ")
                )
            } else {
                named.join(", ")
            };
            let mut evidence: Vec<String> = probes
                .iter()
                .take(MAX_NAMED_PROBES)
                .map(|c| format!("{}: {}", c.id, c.detail().summary))
                .collect();
            if probes.len() > MAX_NAMED_PROBES {
                let more = probes.len() - MAX_NAMED_PROBES;
                evidence.push(format!(
                    "… and {more} more probe{} (all listed in `connections`)",
                    if more == 1 { "" } else { "s" }
                ));
            }
            let (remediation, collect_next) = remedy(Remedy::Probe);
            Finding {
                cause: Cause::Probe,
                severity: Severity::Info,
                confidence: Confidence::High,
                summary: format!(
                    "{} probe{} of {server} from {from} between {first} and {last}: {}; not RDP attempts",
                    probes.len(),
                    if probes.len() == 1 { "" } else { "s" },
                    match kinds.split_last() {
                        Some((last, rest)) if !rest.is_empty() =>
                            format!("{} and {last}", rest.join(", ")),
                        _ => kinds.join(""),
                    }
                ),
                attempt: None,
                connections: probes.iter().map(|c| c.id.to_string()).collect(),
                events: Vec::new(),
                evidence,
                remediation,
                collect_next,
                server: None,
                clients: Vec::new(),
                first: None,
                last: None,
                count: 0,
                dialog: None,
            }
        })
        .collect()
}

/// More attempts than this failing the same way at one server make one finding.
const MAX_ALIKE_FINDINGS: usize = 3;
/// Attempts named in a merged finding's evidence (its `connections` has them all).
const MAX_NAMED_ATTEMPTS: usize = 20;

/// The attempts of a group failing alike after its first, as `merge_repeated` needs them
/// (not whole findings, made and then merged away: a flood has millions of them).
#[derive(Default)]
struct Alike {
    count: usize,
    /// The first attempts' names (the merged evidence names at most [`MAX_NAMED_ATTEMPTS`]).
    attempts: Vec<String>,
    connections: Vec<ConnId>,
    events: Vec<String>,
    confidence: Option<Confidence>,
}

/// The lower of two confidences.
fn lower(a: Confidence, b: Confidence) -> Confidence {
    a.min(b)
}

/// Attempt findings of the same cause at the same server, when there are more than
/// [`MAX_ALIKE_FINDINGS`], become one: a scan or a flood of refused connections is one
/// problem, not thousands. The merged finding keeps every connection and event, the first
/// attempt's evidence as the example, and the lowest confidence of the group.
fn merge_repeated(
    findings: Vec<Finding>,
    mut alike: std::collections::HashMap<(Cause, String), Alike>,
    conns: &[JudgedConnection],
) -> Vec<Finding> {
    // A report numbers its connections c1, c2… in order: `cN` is `conns[N - 1]` (checked;
    // a list numbered otherwise is searched).
    let by_id = |id: ConnId| {
        (id.0 as usize)
            .checked_sub(1)
            .and_then(|i| conns.get(i))
            .filter(|c| c.id == id)
            .or_else(|| conns.iter().find(|c| c.id == id))
    };
    let named = |id: &str| ConnId::parse(id).and_then(by_id);
    let server_of = |f: &Finding| {
        f.connections
            .last()
            .and_then(|id| named(id))
            .map(|c| c.server.to_string())
    };
    let mut groups: BTreeMap<(Cause, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some(server) = server_of(f) {
            groups.entry((f.cause, server)).or_default().push(i);
        }
    }
    let group_size =
        |alike: &std::collections::HashMap<(Cause, String), Alike>,
         key: &(Cause, String),
         members: &[usize]| { members.len() + alike.get(key).map_or(0, |a| a.count) };
    let mut merged_into: Vec<Option<usize>> = vec![None; findings.len()];
    for (key, members) in &groups {
        if group_size(&alike, key, members) > MAX_ALIKE_FINDINGS {
            for &i in members {
                merged_into[i] = Some(members[0]);
            }
        }
    }
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    let mut out: std::collections::HashMap<usize, Finding> = std::collections::HashMap::new();
    for (key, members) in &groups {
        if group_size(&alike, key, members) <= MAX_ALIKE_FINDINGS {
            continue;
        }
        let (cause, server) = (key.0, &key.1);
        let rest = alike.remove(key).unwrap_or_default();
        let parts: Vec<Finding> = members.iter().filter_map(|&i| slots[i].take()).collect();
        let Some(first) = parts.first() else { continue };
        // In report order (`c2` before `c10`), as numbers until written out: a flood's merged
        // finding names hundreds of thousands.
        let mut ids: Vec<Result<ConnId, &String>> = parts
            .iter()
            .flat_map(|f| f.connections.iter())
            .map(|id| ConnId::parse(id).ok_or(id))
            .chain(rest.connections.iter().map(|&c| Ok(c)))
            .collect();
        ids.sort_by_key(|id| id.as_ref().map_or(u64::MAX, |c| u64::from(c.0)));
        let span: Vec<&JudgedConnection> = ids
            .iter()
            .filter_map(|id| id.as_ref().ok().and_then(|&c| by_id(c)))
            .collect();
        let conn_ids: Vec<String> = ids
            .into_iter()
            .map(|id| id.map_or_else(String::clone, |c| c.to_string()))
            .collect();
        let Span {
            clients,
            start,
            end,
        } = Span::of(&span);
        let confidence = parts
            .iter()
            .map(|f| f.confidence)
            .chain(rest.confidence)
            .fold(first.confidence, lower);
        let attempts: Vec<&str> = parts
            .iter()
            .filter_map(|f| f.attempt.as_deref())
            .chain(rest.attempts.iter().map(String::as_str))
            .collect();
        let count = parts.len() + rest.count;
        let named = attempts.len().min(MAX_NAMED_ATTEMPTS);
        let mut evidence = vec![format!(
            "{count} attempts alike: {}{}",
            attempts[..named].join(", "),
            if count > named {
                format!(" … ({} more)", count - named)
            } else {
                String::new()
            }
        )];
        evidence.extend(
            first
                .evidence
                .iter()
                .map(|l| format!("first ({}): {l}", first.connections.join(", "))),
        );
        let mut events: Vec<String> = parts
            .iter()
            .flat_map(|f| f.events.clone())
            .chain(rest.events)
            .collect();
        events.dedup();
        out.insert(
            members[0],
            Finding {
            cause,
            severity: first.severity,
            confidence,
            summary: format!(
                "{} RDP attempts from {} client{} to {server} failed alike ({cause}) between {start} and {end}; the first: {}",
                count,
                clients.len(),
                if clients.len() == 1 { "" } else { "s" },
                first.summary
            ),
            attempt: None,
            connections: conn_ids,
            events,
            evidence,
            remediation: first.remediation.clone(),
            collect_next: first.collect_next.clone(),
            server: None,
            clients: Vec::new(),
            first: None,
            last: None,
            count: 0,
            dialog: None,
        });
    }
    // Unmerged findings keep their place; each merged one takes its first member's place.
    let mut result = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        match (slot, merged_into[i]) {
            (Some(f), None) => result.push(f),
            (_, Some(first)) if first == i => result.extend(out.remove(&i)),
            _ => {}
        }
    }
    result
}

/// One finding per failed connection attempt.
#[allow(clippy::type_complexity)]
fn attempt_findings(
    conns: &[JudgedConnection],
    events: &[CatalogEvent],
    joined: &Joined,
) -> (
    Vec<Finding>,
    std::collections::HashMap<(Cause, String), Alike>,
) {
    let mut out = Vec::new();
    // Connections by attempt, in report order.
    // An attempt, or a connection in none (named after the connection).
    let mut attempts: Vec<(Result<AttemptId, ConnId>, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<Result<AttemptId, ConnId>, usize> =
        std::collections::HashMap::new();
    for (i, c) in conns.iter().enumerate() {
        let a = c.attempt.ok_or(c.id);
        match index.get(&a) {
            Some(&at) => attempts[at].1.push(i),
            None => {
                index.insert(a, attempts.len());
                attempts.push((a, vec![i]));
            }
        }
    }
    // An attempt that ended in a session (`correlate::group_attempts` ends an attempt at
    // its success) still has its failures judged, said beside the success and at a lower
    // severity: its members become the failed connections alone.
    // A failed attempt followed within the attempt gap by a session of the same client to
    // the same server (another attempt: another user name, say) is said the same way.
    let sessions = crate::correlate::Sessions::of(conns);
    let successes: Vec<Option<usize>> = attempts
        .iter_mut()
        .map(|(_, members)| {
            let got_past = sessions.got_past(conns, members);
            if got_past.is_some_and(|ok| members.contains(&ok)) {
                members.retain(|&i| conns[i].verdict == Some(Verdict::Failed));
            }
            got_past
        })
        .collect();
    // The connection an attempt is judged by: the one that got furthest (the last of those);
    // none when that one is unfinished (`incomplete` is not a failure: the table shows it).
    let judged_by = |members: &[usize]| -> Option<(usize, Cause)> {
        let &best = members.iter().max_by_key(|&&i| (conns[i].reached, i))?;
        match (conns[best].verdict, conns[best].cause) {
            // Probes are no attempts: `probe_findings` says what they were.
            (_, Some(Cause::Probe)) => None,
            (Some(Verdict::Failed), Some(cause)) => Some((best, cause)),
            _ => None,
        }
    };
    let attempt_events = |members: &[usize]| -> Vec<usize> {
        let mut evs: Vec<usize> = members
            .iter()
            .flat_map(|&i| joined.by_connection[i].iter().copied())
            .collect();
        evs.sort_unstable();
        evs.dedup();
        evs
    };
    let attempt_kerberos = |members: &[usize]| -> Vec<&SideEvent> {
        members
            .iter()
            .flat_map(|&i| conns[i].kerberos().iter())
            .collect()
    };
    // How many attempts will fail alike at each server (`merge_repeated`'s groups), and
    // the first of each: past `MAX_ALIKE_FINDINGS` the others are merged into the first, so
    // they are made as stubs (no summary, evidence or remedies), not written out in full
    // only to be dropped: a SYN flood lists hundreds of thousands of them.
    // Each failed attempt judged once: (the connection it is judged by, the capture's cause,
    // its events, the refinement the logs and its Kerberos errors prove).
    type Judged<'a> = (usize, Cause, Vec<usize>, Option<Proved<'a>>);
    let judged: Vec<Option<Judged>> = attempts
        .iter()
        .map(|(_, members)| {
            let (best, cause) = judged_by(members)?;
            let evs = attempt_events(members);
            // A CredSSP exchange that ran NTLM did not use Kerberos: the KRB-ERRORs around
            // it say why not, not why NLA failed (`kerberos_beside_ntlm`).
            let kerberos = if conns[best].nla_mechanism == Some(Mechanism::Ntlm) {
                Vec::new()
            } else {
                attempt_kerberos(members)
            };
            let refined = refine(cause, &evs, events, &kerberos);
            Some((best, cause, evs, refined))
        })
        .collect();
    let mut alike: std::collections::HashMap<(Cause, String), (usize, usize)> =
        std::collections::HashMap::new();
    for (k, ((_, members), judged)) in attempts.iter().zip(&judged).enumerate() {
        let (Some((_, cause, _, refined)), Some(&last)) = (judged, members.last()) else {
            continue;
        };
        let cause = refined.as_ref().map_or(*cause, |p| p.rule.cause);
        let group = alike
            .entry((cause, conns[last].server.to_string()))
            .or_insert((k, 0));
        group.1 += 1;
    }
    // The group an attempt is merged into without a finding of its own, if any.
    let stub = |k: usize, cause: Cause, members: &[usize]| {
        let key = (cause, conns[*members.last()?].server.to_string());
        let &(first, count) = alike.get(&key)?;
        (count > MAX_ALIKE_FINDINGS && first != k).then_some(key)
    };
    let mut rest_of_groups: std::collections::HashMap<(Cause, String), Alike> =
        std::collections::HashMap::new();
    for (k, (((attempt, members), judged), success)) in
        attempts.iter().zip(judged).zip(&successes).enumerate()
    {
        let Some((best, cause, evs, refined)) = judged else {
            continue;
        };
        let c = &conns[best];
        let rule = RULES.iter().find(|r| r.cause == cause);
        let mut confidence = c.confidence.unwrap_or(Confidence::Low);
        let (agreeing, mut contradicting) = weigh(rule, refined.as_ref(), &evs, events);
        // A clock difference measured within Kerberos' tolerance speaks against clock skew.
        if let Some(p) = &refined {
            for k in &p.kerberos {
                if k.code == Some(KRB_AP_ERR_SKEW)
                    && let Some(s) = k.skew_s.filter(|s| s.abs() < MAX_SKEW_S)
                {
                    contradicting.push(format!(
                        "frame {} contradicts this: the clocks differ by {} s only, within Kerberos' {} s",
                        k.frame,
                        s.abs(),
                        MAX_SKEW_S
                    ));
                }
            }
        }
        if !agreeing.is_empty() || refined.as_ref().is_some_and(|p| !p.kerberos.is_empty()) {
            confidence = confidence.shifted(1);
        }
        if !contradicting.is_empty() {
            confidence = confidence.shifted(-1);
        }
        let finding_cause = refined.as_ref().map_or(cause, |p| p.rule.cause);
        let attempt_name = match attempt {
            Ok(a) => a.to_string(),
            Err(c) => c.to_string(),
        };
        if let Some(key) = stub(k, finding_cause, members) {
            let rest = rest_of_groups.entry(key).or_default();
            rest.count += 1;
            if rest.attempts.len() < MAX_NAMED_ATTEMPTS {
                rest.attempts.push(attempt_name);
            }
            rest.connections
                .extend(members.iter().map(|&i| conns[i].id));
            rest.events
                .extend(evs.iter().map(|&k| events[k].reference()));
            rest.confidence = Some(rest.confidence.map_or(confidence, |c| lower(c, confidence)));
            continue;
        }
        let many = members.len() > 1;
        let mut evidence = Vec::new();
        for &i in members {
            if many && i != best && conns[i].cause == c.cause {
                // The other tries of the attempt, one line each.
                evidence.push(format!(
                    "{} (same attempt, same cause): {}",
                    conns[i].id,
                    super::words::summary(&conns[i])
                ));
                continue;
            }
            let prefix = if many {
                format!("{} ", conns[i].id)
            } else {
                String::new()
            };
            evidence.extend(connection_lines(&conns[i], &prefix));
        }
        evidence.extend(side_lines(conns, members));
        evidence.extend(kerberos_beside_ntlm(c, &attempt_kerberos(members)));
        evidence.extend(evs.iter().map(|&k| event_line(&events[k])));
        evidence.extend(contradicting.iter().cloned());
        let knowledge = match (&refined, rule) {
            (Some(p), _) => Some(p.rule.knowledge),
            (None, Some(r)) if c.cause == Some(Cause::CertificateRejected) => {
                Some(certificate_knowledge(c).unwrap_or(r.knowledge))
            }
            (None, Some(r)) if c.cause == Some(Cause::NegotiationFailure) => {
                Some(negotiation_knowledge(c).unwrap_or(r.knowledge))
            }
            (None, Some(r)) => Some(decoded_knowledge(c).unwrap_or(r.knowledge)),
            (None, None) => None,
        };
        let (mut remediation, collect_next) = knowledge.map(remedy).unwrap_or_default();
        // A status read from CredSSP (in clear or decrypted) has its own fix, first.
        if let Some(fix) = credssp_status_fix(c) {
            remediation.insert(0, fix);
        }
        // A drop the client got past is no rule that blocks RDP: no "allow the rule" fix.
        if success.is_some() && knowledge == Some(Remedy::FirewallDrop) {
            remediation = vec![DROP_GOT_PAST.to_string()];
        }
        let stage = c.failed_stage.map_or("?", Word::word);
        let tries = if many {
            format!(" ({} connections)", members.len())
        } else {
            String::new()
        };
        let start = members
            .iter()
            .filter_map(|&i| conns[i].start())
            .min()
            .unwrap_or_else(|| "?".into());
        // A retry that succeeded is said once, by "succeeded at" below.
        let line = match *success {
            Some(ok) if c.superseded_by == Some(conns[ok].id) => c.detail().summary.clone(),
            _ => super::words::summary(c),
        };
        let mut summary = match &refined {
            Some(p) => {
                let mut proofs = event_words(&p.events, events);
                proofs.extend(p.kerberos.iter().map(|k| kerberos_line(k, "")));
                format!(
                    "RDP from {} to {} at {start}{tries} failed at the {stage} stage ({}): {} — {}; the capture alone ({cause}): {}",
                    host(&c.client),
                    c.server,
                    p.rule.cause,
                    p.rule.what,
                    proofs.join("; "),
                    line
                )
            }
            None => format!(
                "RDP from {} to {} at {start}{tries} failed at the {stage} stage ({cause}): {}",
                host(&c.client),
                c.server,
                line
            ),
        };
        if refined.is_none() && !agreeing.is_empty() {
            let mut ids: Vec<String> = agreeing
                .iter()
                .map(|e| format!("{} {}", e.computer, e.id))
                .collect();
            ids.sort();
            ids.dedup();
            summary.push_str(&format!("; the logs agree ({})", ids.join(", ")));
        }
        if let Some(&ok) = success.as_ref() {
            let when = conns[ok].start().unwrap_or_else(|| "?".into());
            let beside = if conns[ok].start_ns > c.start_ns {
                ""
            } else {
                ", from the same client beside it,"
            };
            let of_attempt = match conns[ok].attempt {
                Some(a) if conns[ok].attempt != conns[best].attempt => format!(" (attempt {a})"),
                _ => String::new(),
            };
            summary.push_str(&format!(
                "; {}{of_attempt}{beside} succeeded at {when}",
                conns[ok].id
            ));
        }
        summary.push('.');
        out.push(Finding {
            cause: finding_cause,
            // A failure the client got past is no outage.
            severity: if success.is_some() {
                Severity::Warning
            } else {
                Severity::Error
            },
            confidence,
            summary,
            attempt: Some(attempt_name),
            connections: members.iter().map(|&i| conns[i].id.to_string()).collect(),
            events: evs.iter().map(|&k| events[k].reference()).collect(),
            evidence,
            remediation,
            collect_next,
            server: None,
            clients: Vec::new(),
            first: None,
            last: None,
            count: 0,
            dialog: None,
        });
    }
    (out, rest_of_groups)
}

/// The row of [`EVENT_RULES`] an event falls under: the first whose ids and codes it has.
fn event_rule(e: &CatalogEvent) -> Option<usize> {
    EVENT_RULES.iter().position(|r| {
        r.ids.contains(&e.id)
            && r.when
                .is_none_or(|(fields, codes)| has_code(e, fields, codes))
    })
}

/// The events of an attempt that agree with its cause and those that contradict it (as
/// evidence lines): the refinement's proofs and contradictions when one was proved, else the
/// capture cause's [`RULES`] row's.
fn weigh<'e>(
    rule: Option<&Rule>,
    refined: Option<&Proved>,
    evs: &[usize],
    events: &'e [CatalogEvent],
) -> (Vec<&'e CatalogEvent>, Vec<String>) {
    let of = |keep: &dyn Fn(&CatalogEvent) -> bool| -> Vec<&'e CatalogEvent> {
        evs.iter()
            .map(|&k| &events[k])
            .filter(|e| keep(e))
            .collect()
    };
    let (agreeing, contradicting) = match refined {
        Some(p) => (
            p.events.iter().map(|&k| &events[k]).collect(),
            of(&|e| p.rule.contradict.iter().any(|c| event_proves(c, e))),
        ),
        None => (
            of(&|e| rule.is_some_and(|r| r.agree.contains(&e.id))),
            of(&|e| rule.is_some_and(|r| r.contradict.contains(&e.id))),
        ),
    };
    let contradicting = contradicting
        .iter()
        .map(|e| format!("{} contradicts this: {}", e.reference(), e.summary))
        .collect();
    (agreeing, contradicting)
}

/// Findings from events no connection of the run explains, one per cause, computer and
/// client address.
fn event_findings(
    events: &[CatalogEvent],
    overflow: &crate::eventlog::LogonCounts,
    joined: &Joined,
    in_lockouts: &std::collections::HashSet<usize>,
    captured_clients: &[String],
) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, String, String), Vec<usize>> = BTreeMap::new();
    for (k, e) in events.iter().enumerate() {
        if joined.joined.get(k).copied().unwrap_or(false) || in_lockouts.contains(&k) {
            continue;
        }
        let Some(rule) = event_rule(e) else {
            continue;
        };
        if matches!(e.id, 5152 | 5157)
            && e.fields.get("DestPort").map(|p| p.trim())
                != Some(crate::eventlog::catalog::RDP_PORT)
        {
            continue;
        }
        let client = crate::correlate::event_client(e)
            .map(|(ip, _)| ip)
            .unwrap_or_default();
        // A failed network logon (type 3) without a remote source address is a local
        // process's (a service, explorer's Advapi logon): not RDP's, whose failed NLA logs
        // the client's address (events.md, 4625 samples).
        if e.id == 4625 && !network_logon_from_afar(e, &client) {
            continue;
        }
        // Rows of one cause (4825, and 4625 with 0xC000015B) group together.
        let rule = EVENT_RULES
            .iter()
            .position(|r| {
                let this = &EVENT_RULES[rule];
                (r.cause, r.severity, r.confidence) == (this.cause, this.severity, this.confidence)
            })
            .unwrap_or(rule);
        groups
            .entry((rule, e.computer.to_string(), client))
            .or_default()
            .push(k);
    }
    // The 4625s that are the same failures as an address's 140s go with those (before many
    // addresses are made one finding, so that they go along).
    let mut agreeing = fold_logons_into_nla_failures(events, &mut groups);
    // Failed logons past the event caps: counted into the group of their server and address
    // (a network logon without a remote address is a local process's, as above).
    let rule_of = |cause: Cause| {
        EVENT_RULES
            .iter()
            .position(|r| r.cause == cause)
            .unwrap_or(usize::MAX)
    };
    let (logon_rule, nla_rule) = (rule_of(Cause::LogonFailed), rule_of(Cause::NlaFailure));
    // The counts of a group's rule: 4625s for `logon_failed`, 140s for `nla_failure`.
    // Addresses whose failures RdpCoreTS logged (140): their 4625s past the caps fold into
    // that `nla_failure` group, as the kept ones do.
    let nla_addresses: std::collections::HashSet<(String, String)> = groups
        .keys()
        .filter(|(r, _, _)| *r == nla_rule)
        .map(|(_, c, a)| (c.clone(), a.clone()))
        .chain(
            overflow
                .by_source
                .iter()
                .filter(|(_, c)| c.nla_failures > 0)
                .map(|((c, a), _)| (c.to_string(), a.clone())),
        )
        .collect();
    // The failures past the caps a group adds: 140s (and the folded 4625s) for
    // `nla_failure`, 4625s for `logon_failed`.
    let extra_count = |r: usize, computer: &str, client: &str| -> u64 {
        let Some(c) = overflow
            .by_source
            .get(&(std::sync::Arc::<str>::from(computer), client.to_string()))
        else {
            return 0;
        };
        let nla_address = nla_addresses.contains(&(computer.to_string(), client.to_string()));
        if r == nla_rule && nla_address {
            c.nla_failures + c.count
        } else if r == logon_rule && !nla_address {
            c.count
        } else {
            0
        }
    };
    let extra_of = |r: usize, computer: &str, client: &str| {
        (extra_count(r, computer, client) > 0)
            .then(|| {
                overflow
                    .by_source
                    .get(&(std::sync::Arc::<str>::from(computer), client.to_string()))
            })
            .flatten()
    };
    for (computer, ip) in overflow.by_source.keys() {
        let local = ip.is_empty()
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback());
        for r in [logon_rule, nla_rule] {
            if !local && extra_count(r, computer, ip) > 0 {
                groups
                    .entry((r, computer.to_string(), ip.clone()))
                    .or_default();
            }
        }
    }
    // Many client addresses failing the same way on one server (password guessing, a
    // misconfigured fleet) make one finding, not one per address.
    type Clients = Vec<(String, Vec<usize>, Vec<usize>)>;
    let mut per_server: BTreeMap<(usize, String), Clients> = BTreeMap::new();
    for ((r, computer, client), ks) in groups {
        if ks.is_empty() && extra_of(r, &computer, &client).is_none() {
            continue;
        }
        let agree = agreeing
            .remove(&(r, computer.clone(), client.clone()))
            .unwrap_or_default();
        per_server
            .entry((r, computer))
            .or_default()
            .push((client, ks, agree));
    }
    /// Rule, server, client (or the label of many), events, agreeing events, many clients,
    /// whether a client address is on the internet, the addresses.
    type Merged = (
        usize,
        String,
        String,
        Vec<usize>,
        Vec<usize>,
        bool,
        bool,
        Vec<String>,
    );
    let mut merged: Vec<Merged> = Vec::new();
    for ((r, computer), clients) in per_server {
        if clients.len() <= MAX_CLIENT_FINDINGS {
            for (client, ks, agree) in clients {
                let internet = on_the_internet(&client);
                let addresses = vec![client.clone()];
                merged.push((
                    r,
                    computer.clone(),
                    client,
                    ks,
                    agree,
                    false,
                    internet,
                    addresses,
                ));
            }
            continue;
        }
        let mut ranked: Vec<(usize, &str)> = clients
            .iter()
            .map(|(c, ks, _)| {
                let extra = extra_count(r, &computer, c) as usize;
                (ks.len() + extra, c.as_str())
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let top: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|(n, c)| format!("{c} ×{n}"))
            .collect();
        let label = format!("{} addresses (most: {})", clients.len(), top.join(", "));
        let internet = clients.iter().any(|(c, _, _)| on_the_internet(c));
        let (mut ks, mut agree, mut addresses) = (Vec::new(), Vec::new(), Vec::new());
        for (c, k, a) in clients {
            ks.extend(k);
            agree.extend(a);
            addresses.push(c);
        }
        ks.sort_by_key(|&k| (events[k].time_ns, k));
        agree.sort_by_key(|&k| (events[k].time_ns, k));
        merged.push((r, computer, label, ks, agree, true, internet, addresses));
    }
    let mut out = Vec::new();
    // Built at the first firewall finding, if any.
    let mut reached: Option<Reached> = None;
    let rdp_sources = crate::correlate::logons::RdpSources::new(events, captured_clients);
    let logons = crate::correlate::logons::Logons::new(events);
    for (r, computer, client, mut ks, agree, many, internet, addresses) in merged {
        let rule = &EVENT_RULES[r];
        let extra: Vec<(&str, &crate::eventlog::FailureCounts)> = addresses
            .iter()
            .filter_map(|a| extra_of(r, &computer, a).map(|x| (a.as_str(), x)))
            .collect();
        let extra_nla = r == nla_rule;
        if matches!(rule.cause, Cause::NlaFailure | Cause::LogonFailed) {
            ks.extend(&agree);
            ks.sort_by_key(|&k| (events[k].time_ns, k));
            out.extend(logon_finding(
                rule,
                &computer,
                &client,
                &ks,
                many,
                internet,
                !agree.is_empty(),
                events,
                (&extra, extra_nla),
                &rdp_sources,
                &logons,
            ));
            continue;
        }
        let first = &events[ks[0]];
        let last = &events[ks[ks.len() - 1]];
        let (mut remediation, collect_next) = remedy(rule.knowledge);
        let (mut severity, mut confidence) = (rule.severity, rule.confidence);
        let mut what = rule.what.to_string();
        let mut but = String::new();
        let mut cause = rule.cause;
        let mut rdp_or_not = String::new();
        if matches!(rule.cause, Cause::NlaFailure | Cause::LogonFailed)
            && (many || (internet && ks.len().max(agree.len()) >= GUESSING_FROM_ONE_ADDRESS))
        {
            // Many addresses failing on one server, or one address on the internet failing
            // again and again, is password guessing, not one user's password: the fix is
            // the server's exposure, never the client's saved credentials.
            cause = Cause::PasswordGuessing;
            severity = Severity::Error;
            remediation = remedy(Remedy::PasswordGuessing).0;
            let rdp = ks.iter().chain(&agree).any(|&k| events[k].id == 140);
            rdp_or_not = if rdp {
                "; RdpCoreTS 140 shows the logons came over RDP".into()
            } else {
                "; nothing shows these were RDP rather than SMB or another network logon (Security 4625 alone)".into()
            };
        }
        if rule.cause == Cause::FirewallBlocked {
            if ks.len() == 1 {
                what = "dropped an inbound packet to the RDP port (Windows Filtering Platform)"
                    .to_string();
            }
            // A drop the same client got past (a stray packet of a closed connection, a
            // scan's probe) blocked nothing: said, and made a low-confidence warning.
            let reached = reached.get_or_insert_with(|| reached_by_client(events));
            if !many
                && let Some(e) = reached
                    .get(&(computer.as_str(), client.clone()))
                    .and_then(|list| reached_despite_drops(list, events, &ks))
            {
                severity = Severity::Warning;
                confidence = Confidence::Low;
                but = format!(
                    "; but {client} reached the RDP server at {} ({}#{}, event {}), so the drop did not block its connections",
                    e.time, e.input, e.record_id, e.id
                );
            }
        }
        let from = if client.is_empty() {
            String::new()
        } else {
            format!(" from {client}")
        };
        let when = if ks.len() == 1 {
            format!("at {}", first.time)
        } else {
            format!(
                "{} times between {} and {}",
                ks.len(),
                first.time,
                last.time
            )
        };
        // The Security log's 4625s of the same failures say why NLA failed.
        let agrees = match agree.first() {
            None => String::new(),
            Some(&k) => format!(
                "; the Security log agrees ({} × 4625): {}",
                agree.len(),
                events[k].summary
            ),
        };
        if !agree.is_empty() {
            ks.extend(&agree);
            ks.sort_by_key(|&k| (events[k].time_ns, k));
        }
        out.push(Finding {
            cause,
            severity,
            // Two logs of the server say the same: RdpCoreTS that NLA failed, Security why.
            confidence: if agree.is_empty() {
                confidence
            } else {
                Confidence::High
            },
            summary: format!(
                "{computer} {what}{from} {when} (no capture covers it): {}{agrees}{but}{rdp_or_not}.",
                first.summary
            ),
            attempt: None,
            connections: Vec::new(),
            events: ks.iter().map(|&k| events[k].reference()).collect(),
            evidence: {
                let mut lines: Vec<String> = ks
                    .iter()
                    .take(MAX_EVENT_EVIDENCE)
                    .map(|&k| event_line(&events[k]))
                    .collect();
                if ks.len() > MAX_EVENT_EVIDENCE {
                    lines.push(format!(
                        "… and {} more events of the same kind (all listed in `events`)",
                        ks.len() - MAX_EVENT_EVIDENCE
                    ));
                }
                lines
            },
            remediation,
            collect_next,
            server: None,
            clients: Vec::new(),
            first: None,
            last: None,
            count: 0,
            dialog: None,
        });
    }
    out
}

/// Failed logons from one address on the internet, in one finding, from which they are
/// taken for password guessing rather than one user's mistyped password.
const GUESSING_FROM_ONE_ADDRESS: usize = super::logons::GUESSING_FROM_ONE_ADDRESS;

/// The finding of one log-only group of failed logons (4625s, with the RdpCoreTS 140s of the
/// same failures), worded from its counts ([`super::logons`]).
#[allow(clippy::too_many_arguments)]
fn logon_finding(
    rule: &EventRule,
    computer: &str,
    client: &str,
    ks: &[usize],
    many: bool,
    internet: bool,
    two_logs: bool,
    events: &[CatalogEvent],
    (extra, extra_nla): (&[(&str, &crate::eventlog::FailureCounts)], bool),
    rdp_sources: &crate::correlate::logons::RdpSources,
    logons: &crate::correlate::logons::Logons,
) -> Option<Finding> {
    let w = super::logons::logon_words(
        events,
        ks,
        computer,
        client,
        many,
        internet,
        (extra, extra_nla),
        rdp_sources,
        logons,
    );
    if w.count == 0 {
        return None;
    }
    let (cause, severity, confidence) = if w.guessing {
        (
            Cause::PasswordGuessing,
            Severity::Error,
            if w.rdp || two_logs {
                Confidence::High
            } else {
                Confidence::Medium
            },
        )
    } else if w.all_got_in {
        (rule.cause, Severity::Info, Confidence::High)
    } else {
        (
            rule.cause,
            rule.severity,
            if two_logs {
                Confidence::High
            } else {
                rule.confidence
            },
        )
    };
    let notes = if w.notes.is_empty() {
        String::new()
    } else {
        format!("; {}", w.notes.join("; "))
    };
    let mut evidence: Vec<String> = w
        .examples
        .iter()
        .take(MAX_EVENT_EVIDENCE)
        .map(|&k| event_line(&events[k]))
        .collect();
    let uncounted: u64 = extra
        .iter()
        .map(|(_, x)| {
            if extra_nla {
                x.nla_failures + x.count
            } else {
                x.count
            }
        })
        .sum();
    if uncounted > 0 {
        evidence.push(format!(
            "… {} failures in all: {} listed in `events`, {} more counted past the cap on kept events",
            super::logons::thousands(ks.len() + uncounted as usize),
            super::logons::thousands(ks.len()),
            super::logons::thousands(uncounted as usize)
        ));
    } else if ks.len() > evidence.len() {
        evidence.push(format!(
            "… {} events in all, an example of each account and status (or each address, for RdpCoreTS 140) above; all listed in `events`",
            super::logons::thousands(ks.len())
        ));
    }
    let (_, collect_next) = remedy(if w.guessing {
        Remedy::PasswordGuessing
    } else {
        rule.knowledge
    });
    Some(Finding {
        cause,
        severity,
        confidence,
        summary: format!("{computer} {}{notes}.", w.summary),
        attempt: None,
        connections: Vec::new(),
        events: ks.iter().map(|&k| events[k].reference()).collect(),
        evidence,
        remediation: w.remediation,
        collect_next,
        server: Some(computer.to_string()),
        clients: ks
            .iter()
            .filter_map(|&k| crate::correlate::event_client(&events[k]).map(|(a, _)| a))
            .chain(extra.iter().map(|(a, _)| a.to_string()))
            .filter(|a| !a.is_empty() && a != "-")
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect(),
        first: (w.first_ns <= w.last_ns).then(|| crate::model::time::rfc3339(w.first_ns)),
        last: (w.first_ns <= w.last_ns).then(|| crate::model::time::rfc3339(w.last_ns)),
        count: w.count as u64,
        dialog: None,
    })
}

/// Whether a client address (as a finding names it) is a global one: not private (RFC 1918,
/// RFC 4193), shared (RFC 6598), loopback, link-local or unspecified.
fn on_the_internet(client: &str) -> bool {
    client
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| global_address(&ip))
}

/// Whether an address is a global one: not private (RFC 1918, RFC 4193), shared (RFC 6598),
/// loopback, link-local or unspecified.
pub fn global_address(ip: &std::net::IpAddr) -> bool {
    match *ip {
        std::net::IpAddr::V4(a) => {
            let [x, y, ..] = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || (x == 100 && (64..128).contains(&y)))
        }
        std::net::IpAddr::V6(a) => {
            let first = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// False for a 4625 of a network logon (type 3) whose source address is missing (`-`) or
/// the server's own loopback: a local process logging on, not an RDP client. Every other
/// 4625 (types 10, 7, 12…, or no type given) is kept.
fn network_logon_from_afar(e: &CatalogEvent, client: &str) -> bool {
    let network = e.fields.get("LogonType").is_some_and(|t| t.trim() == "3");
    if !network {
        return true;
    }
    !client.is_empty()
        && client
            .parse::<std::net::IpAddr>()
            .map_or(true, |ip| !ip.is_loopback())
}

/// Per server and client address, the events showing a connection from that client reached
/// the RDP server (RdpCoreTS 131/140, RCM 1149, a 4624/4625 from it, 4778), in time order:
/// what a firewall drop is checked against.
type Reached<'a> = HashMap<(&'a str, String), Vec<&'a CatalogEvent>>;

fn reached_by_client(events: &[CatalogEvent]) -> Reached<'_> {
    let mut out: Reached<'_> = HashMap::new();
    for e in events {
        if !matches!(e.id, 131 | 140 | 1149 | 4624 | 4625 | 4778) {
            continue;
        }
        if let Some((ip, _)) = crate::correlate::event_client(e) {
            out.entry((e.computer.as_ref(), ip)).or_default().push(e);
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|e| e.time_ns);
    }
    out
}

/// The first of `reached` within [`FIREWALL_CONTRADICTION_NS`] of one of `drops`.
fn reached_despite_drops<'a>(
    reached: &[&'a CatalogEvent],
    events: &[CatalogEvent],
    drops: &[usize],
) -> Option<&'a CatalogEvent> {
    let mut times: Vec<i64> = drops.iter().map(|&k| events[k].time_ns).collect();
    times.sort_unstable();
    reached.iter().copied().find(|e| {
        let at =
            times.partition_point(|&t| t < e.time_ns.saturating_sub(FIREWALL_CONTRADICTION_NS));
        times
            .get(at)
            .is_some_and(|&t| t <= e.time_ns.saturating_add(FIREWALL_CONTRADICTION_NS))
    })
}

/// A log-only group of events: (rule, server, client address).
type GroupKey = (usize, String, String);

/// Moves the Security 4625s of each log-only `logon_failed` group (per server and client)
/// that lie within [`NLA_LOGON_WINDOW_NS`] of an RdpCoreTS 140 of the `nla_failure` group of
/// the same server and client out of their group: one failure, one finding. Only network
/// logons (`LogonType` 3, or none given) fold: a failed NLA logs its 4625 as type 3, while a
/// type 10 is winlogon's own logon failing, after a connection without NLA (events.md, 4625
/// samples), so another attempt. Returns the 4625s that now agree with each `nla_failure`
/// group, by its key; a `logon_failed` group left without events makes no finding.
fn fold_logons_into_nla_failures(
    events: &[CatalogEvent],
    groups: &mut BTreeMap<GroupKey, Vec<usize>>,
) -> BTreeMap<GroupKey, Vec<usize>> {
    let mut agreeing = BTreeMap::new();
    let rule = |cause: Cause| EVENT_RULES.iter().position(|r| r.cause == cause);
    let (Some(nla), Some(logon)) = (rule(Cause::NlaFailure), rule(Cause::LogonFailed)) else {
        return agreeing;
    };
    let logon_keys: Vec<GroupKey> = groups
        .keys()
        .filter(|(r, _, client)| *r == logon && !client.is_empty())
        .cloned()
        .collect();
    for key in logon_keys {
        let nla_key = (nla, key.1.clone(), key.2.clone());
        let Some(failures) = groups.get(&nla_key) else {
            continue;
        };
        let mut failed_at: Vec<i64> = failures.iter().map(|&k| events[k].time_ns).collect();
        failed_at.sort_unstable();
        let Some(logons) = groups.get_mut(&key) else {
            continue;
        };
        // The 140 logged nearest a 4625 is the first at or after the window's start.
        let (near, far): (Vec<usize>, Vec<usize>) = logons.iter().partition(|&&k| {
            let network_logon = events[k]
                .fields
                .get("LogonType")
                .is_none_or(|v| v.trim() == "3");
            if !network_logon {
                return false;
            }
            let t = events[k].time_ns;
            let at = failed_at.partition_point(|&f| f < t.saturating_sub(NLA_LOGON_WINDOW_NS));
            failed_at
                .get(at)
                .is_some_and(|&f| f <= t.saturating_add(NLA_LOGON_WINDOW_NS))
        });
        *logons = far;
        if !near.is_empty() {
            agreeing.insert(nla_key, near);
        }
    }
    agreeing
}

/// Above this many client addresses, a log-only cause on one server is one finding.
const MAX_CLIENT_FINDINGS: usize = 5;
/// Evidence lines of a log-only finding; its `events` list has every record.
const MAX_EVENT_EVIDENCE: usize = 12;

/// mstsc disconnect reasons that mean the name did not resolve: those whose only candidate
/// cause in [`super::explain::RULES`] is name resolution (codes.md §1: 0x104, 0x208, 0x508…).
fn dns_reason(value: u32) -> bool {
    super::explain::RULES
        .iter()
        .find(|(t, lo, hi, _)| {
            *t == crate::model::codes::Table::DiscReason && (*lo..=*hi).contains(&value)
        })
        .is_some_and(|(_, _, _, causes)| *causes == [Remedy::NameResolution])
}

/// True when `typed` (what the user typed in mstsc, RDPClient 1024) is the looked-up name or
/// its first label (`rdp` for `rdp.corp.example`, which the resolver's suffix search made).
fn same_name(typed: &str, looked_up: &str) -> bool {
    let (t, l) = (
        typed.trim().trim_end_matches('.').to_ascii_lowercase(),
        looked_up.trim_end_matches('.').to_ascii_lowercase(),
    );
    !t.is_empty() && (t == l || l.split('.').next() == Some(t.as_str()))
}

/// Findings from the DNS failures and KRB-ERRORs of captures (`inputs[].side_failures`) that
/// no RDP connection of the run explains: a KRB-ERROR for a `TERMSRV/` principal (unknown
/// principal; clock skew measured beyond Kerberos' tolerance), and a failed lookup of the name
/// the client's RDPClient 1024 says the user typed, with no RDP connection from that client
/// after it. A DNS failure alone is never one: resolvers' suffix searches fail all day.
fn side_findings(
    inputs: &[CaptureSide],
    conns: &[JudgedConnection],
    events: &[CatalogEvent],
    joined: &Joined,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let attached = |input: &str, frame: u64| {
        conns.iter().any(|c| {
            c.input() == input
                && c.kerberos()
                    .iter()
                    .chain(c.dns().iter())
                    .any(|e| e.frame == frame)
        })
    };
    let spn = |k: &SideEvent| {
        k.name.as_deref().is_some_and(|n| {
            n.get(..RDP_SPN_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(RDP_SPN_PREFIX))
        })
    };
    for input in inputs {
        // Kerberos: (cause, client, principal) → errors.
        // (cause and its remedy, client, principal) → the errors.
        type Key = ((Cause, Remedy), String, String);
        let mut krb: BTreeMap<Key, Vec<&SideEvent>> = BTreeMap::new();
        for k in input
            .side_failures
            .iter()
            .filter(|k| k.kind == SideKind::Kerberos)
        {
            if attached(input.path, k.frame) {
                continue;
            }
            let cause = match k.code {
                Some(KDC_ERR_S_PRINCIPAL_UNKNOWN) if spn(k) => {
                    (Cause::SpnUnknown, Remedy::SpnUnknown)
                }
                Some(KRB_AP_ERR_SKEW) if k.skew_s.is_some_and(|s| s.abs() >= MAX_SKEW_S) => {
                    (Cause::ClockSkew, Remedy::ClockSkew)
                }
                _ => continue,
            };
            krb.entry((cause, k.client.clone(), k.name.clone().unwrap_or_default()))
                .or_default()
                .push(k);
        }
        for (((cause, knowledge), client, principal), ks) in krb {
            let (remediation, collect_next) = remedy(knowledge);
            let what = match cause {
                Cause::SpnUnknown => format!(
                    "the KDC {} has no principal {principal}: Kerberos cannot authenticate the RDP server by that name (connect by the name registered in the SPN, not by IP or alias)",
                    ks[0].server
                ),
                _ => format!(
                    "the KDC {} refused {client}'s requests for its clock (KRB_AP_ERR_SKEW, beyond Kerberos' {MAX_SKEW_S} s)",
                    ks[0].server
                ),
            };
            out.push(Finding {
                cause,
                severity: Severity::Error,
                // Tied to RDP by the TERMSRV principal, not by a connection.
                confidence: if spn(ks[0]) {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
                summary: format!(
                    "{client} in {} at {} (no RDP connection of the capture explains it): {what}.",
                    input.path, ks[0].time
                ),
                attempt: None,
                connections: Vec::new(),
                events: Vec::new(),
                evidence: ks.iter().map(|k| kerberos_line(k, "")).collect(),
                remediation,
                collect_next,
                server: None,
                clients: Vec::new(),
                first: None,
                last: None,
                count: 0,
                dialog: None,
            });
        }
        // DNS: (client, name) → failed lookups.
        let mut dns: BTreeMap<(String, String), Vec<&SideEvent>> = BTreeMap::new();
        for d in input
            .side_failures
            .iter()
            .filter(|d| d.kind == SideKind::Dns)
        {
            let Some(name) = d.name.clone() else { continue };
            // A connection from that client soon after: the lookup did not stop it.
            let client: Option<std::net::IpAddr> = d.client.parse().ok();
            let connected = conns.iter().any(|c| {
                c.input() == input.path
                    && Some(c.client.ip) == client
                    && c.start_ns >= d.ts_ns
                    && c.start_ns - d.ts_ns <= SIDE_WINDOW_NS
            });
            if !connected {
                dns.entry((d.client.clone(), name)).or_default().push(d);
            }
        }
        for ((client, name), ds) in dns {
            let near = |e: &CatalogEvent| (e.time_ns - ds[0].ts_ns).abs() <= SIDE_WINDOW_NS;
            let typed: Vec<usize> = (0..events.len())
                .filter(|&k| {
                    let e = &events[k];
                    e.side == Some(LogSide::Client)
                        && e.id == 1024
                        && near(e)
                        && e.fields.get("Value").is_some_and(|v| same_name(v, &name))
                })
                .collect();
            if typed.is_empty() {
                continue;
            }
            let reasons: Vec<usize> = (0..events.len())
                .filter(|&k| {
                    let e = &events[k];
                    e.side == Some(LogSide::Client)
                        && e.id == 1026
                        && near(e)
                        && !joined.joined.get(k).copied().unwrap_or(false)
                        && e.fields.get("Value").and_then(code).is_some_and(dns_reason)
                })
                .collect();
            let mut ks: Vec<usize> = typed.iter().chain(&reasons).copied().collect();
            ks.sort_unstable();
            let (remediation, collect_next) = remedy(Remedy::NameResolution);
            let mut evidence: Vec<String> = ds.iter().map(|d| dns_line(d, "")).collect();
            evidence.extend(ks.iter().map(|&k| event_line(&events[k])));
            let results: Vec<&str> = ds.iter().map(|d| d.result.as_str()).collect();
            out.push(Finding {
                cause: Cause::NameResolutionFailed,
                severity: Severity::Error,
                confidence: if reasons.is_empty() {
                    Confidence::Medium
                } else {
                    Confidence::High
                },
                summary: format!(
                    "{client} could not resolve {name} ({}) at {}, the server name the client was asked to connect to ({}), and no RDP connection followed{}.",
                    results.join(", "),
                    ds[0].time,
                    event_words(&typed, events).join("; "),
                    if reasons.is_empty() {
                        String::new()
                    } else {
                        format!("; the client agrees ({})", event_words(&reasons, events).join("; "))
                    }
                ),
                attempt: None,
                connections: Vec::new(),
                events: ks.iter().map(|&k| events[k].reference()).collect(),
                evidence,
                remediation,
                collect_next,
                server: None,
                clients: Vec::new(),
                first: None,
                last: None,
                count: 0,
                dialog: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::verdict;

    #[test]
    fn internet_addresses_are_the_global_ones() {
        for a in ["212.92.115.217", "23.94.153.202", "2001:4860::8888"] {
            assert!(on_the_internet(a), "{a}");
        }
        for a in [
            "10.20.0.118",
            "172.16.2.185",
            "192.168.56.1",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
            "::1",
            "62 addresses (most: 1.2.3.4 ×2)",
            "",
        ] {
            assert!(!on_the_internet(a), "{a}");
        }
    }

    fn findings_of(conns: &mut [JudgedConnection]) -> Vec<Finding> {
        crate::correlate::group_attempts(conns);
        let joined = Joined {
            by_connection: vec![Vec::new(); conns.len()],
            joined: Vec::new(),
            offsets: Vec::new(),
        };
        findings(conns, &[], &Default::default(), &joined, &[], None)
    }

    /// A drop the client got past: a warning naming the session, and no "allow the rule".
    #[test]
    fn a_firewall_drop_the_client_got_past_gets_no_firewall_fix() {
        use crate::handshake::judged::{sample_failed, sample_session};
        let dropped = sample_failed(1, (0, 3), None, Cause::TcpNoAnswer);
        let mut conns = vec![dropped.clone(), sample_session(2, (5, 30))];
        let f = findings_of(&mut conns);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].cause, Cause::TcpNoAnswer);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].remediation, [DROP_GOT_PAST]);
        assert!(
            f[0].summary
                .ends_with("; c2 succeeded at 2026-11-22T03:12:44.000000Z."),
            "{}",
            f[0].summary
        );
        // Without the session, the drop is an error with the firewall fix.
        let mut alone = vec![dropped];
        let f = findings_of(&mut alone);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].remediation[0].starts_with("Allow"),
            "{:?}",
            f[0].remediation
        );
    }

    /// A catalog event with an id and, when given, one field holding a code in hex.
    fn event(id: u32, field: Option<(&str, u32)>) -> CatalogEvent {
        CatalogEvent {
            id,
            record_id: u64::from(id),
            fields: std::sync::Arc::new(
                field
                    .map(|(name, code)| (name.to_string(), format!("0x{code:08X}")))
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn krb_error(code: i32, principal: &str) -> SideEvent {
        SideEvent {
            kind: SideKind::Kerberos,
            frame: 7,
            time: String::new(),
            ts_ns: 0,
            client: "10.0.0.5".into(),
            server: "10.0.0.1".into(),
            name: Some(principal.into()),
            result: String::new(),
            addresses: vec![],
            answer_frame: None,
            code: Some(code),
            realm: None,
            server_time: None,
            client_time: None,
            skew_s: None,
            skew_from: None,
        }
    }

    /// Each row of [`EVENT_RULES`] is the first that an event of its first id (with its first
    /// field holding its first code, when it asks for one) falls under, and its fix exists.
    #[test]
    fn every_event_rule_row_is_reached() {
        for (i, row) in EVENT_RULES.iter().enumerate() {
            let e = event(
                row.ids[0],
                row.when.map(|(fields, codes)| (fields[0], codes[0])),
            );
            assert_eq!(event_rule(&e), Some(i), "row {i} ({})", row.cause);
            assert!(knowledge(row.knowledge).is_some(), "row {i}");
        }
        // Without the code a row asks for, the event falls to a later row or none.
        assert_eq!(
            EVENT_RULES[event_rule(&event(4625, None)).expect("a row")].cause,
            Cause::LogonFailed
        );
        assert_eq!(event_rule(&event(4769, Some(("Status", 0x6)))), None);
        assert_eq!(event_rule(&event(4624, None)), None);
    }

    /// Each row of [`RULES`]: an event of an id it lists as agreeing agrees, one it lists as
    /// contradicting contradicts, and others do neither; its fix exists.
    #[test]
    fn every_capture_rule_row_weighs_its_events() {
        for row in RULES {
            assert!(knowledge(row.knowledge).is_some(), "{}", row.cause);
            for &id in row.agree {
                let events = [event(id, None)];
                let (agree, against) = weigh(Some(row), None, &[0], &events);
                assert_eq!((agree.len(), against.len()), (1, 0), "{} {id}", row.cause);
            }
            for &id in row.contradict {
                let events = [event(id, None)];
                let (agree, against) = weigh(Some(row), None, &[0], &events);
                assert_eq!((agree.len(), against.len()), (0, 1), "{} {id}", row.cause);
                assert_eq!(against[0], format!("#{id} contradicts this: "));
            }
            let events = [event(4688, None)];
            let (agree, against) = weigh(Some(row), None, &[0], &events);
            assert!(agree.is_empty() && against.is_empty(), "{}", row.cause);
        }
    }

    /// Every cause a connection fails with has its row in [`RULES`] (its fix and evidence).
    #[test]
    fn every_failing_cause_of_a_connection_has_a_rule() {
        for row in verdict::CAUSES {
            if let (Verdict::Failed, Some(cause)) = (row.verdict, row.cause) {
                assert!(
                    RULES.iter().any(|r| r.cause == cause),
                    "{cause} has no row in RULES"
                );
            }
        }
    }

    /// Each row of [`REFINEMENTS`] is proved by each of its proofs, from each capture cause
    /// it refines, and an event that proves nothing refines nothing.
    #[test]
    fn every_refinement_row_is_proved_by_its_evidence() {
        for row in REFINEMENTS {
            assert!(knowledge(row.knowledge).is_some(), "{}", row.cause);
            for &from in row.from {
                for proof in row.proof {
                    let (events, krb) = match proof {
                        Proof::Event { ids, field } => (
                            vec![event(ids[0], field.map(|(f, codes)| (f[0], codes[0])))],
                            vec![],
                        ),
                        Proof::Kerberos { codes, sname } => (
                            vec![],
                            vec![krb_error(
                                codes[0],
                                &format!("{}rdp.example.test", sname.unwrap_or("host/")),
                            )],
                        ),
                    };
                    let evs: Vec<usize> = (0..events.len()).collect();
                    let krb: Vec<&SideEvent> = krb.iter().collect();
                    let proved = refine(from, &evs, &events, &krb).expect("proved");
                    assert_eq!(proved.rule.cause, row.cause, "from {from}");
                    assert_eq!(
                        (proved.events.len(), proved.kerberos.len()),
                        (events.len(), krb.len())
                    );
                }
            }
            // What contradicts a refinement does not prove it.
            for c in row.contradict {
                if let Proof::Event { ids, field } = c {
                    let events = [event(ids[0], field.map(|(f, codes)| (f[0], codes[0])))];
                    let proved = refine(row.from[0], &[0], &events, &[]);
                    assert!(
                        proved.is_none_or(|p| p.rule.cause != row.cause),
                        "{}",
                        row.cause
                    );
                    // … and lowers a proved one's confidence.
                    let proof = Proved {
                        rule: row,
                        events: vec![],
                        kerberos: vec![],
                    };
                    let (_, against) = weigh(None, Some(&proof), &[0], &events);
                    assert_eq!(against.len(), 1, "{}", row.cause);
                }
            }
        }
        let events = [event(4688, None)];
        assert!(refine(Cause::NlaFailure, &[0], &events, &[]).is_none());
        // A KRB-ERROR for another service's principal is no SPN problem of RDP's.
        let other = krb_error(KDC_ERR_S_PRINCIPAL_UNKNOWN, "cifs/files.example.test");
        assert!(refine(Cause::NlaFailure, &[], &[], &[&other]).is_none());
    }

    /// What each log event means on its own, written down from `REPORT.md` and
    /// `reference/remedies.md` rather than read from the table.
    #[test]
    fn log_events_name_their_causes() {
        use Confidence::{Low, Medium};
        use Severity::{Error, Warning};
        type Case = (
            u32,
            Option<(&'static str, u32)>,
            Cause,
            Severity,
            Confidence,
        );
        let cases: &[Case] = &[
            (1057, None, Cause::CertificateRenewalFailed, Warning, Medium),
            (1058, None, Cause::CertificateRenewalFailed, Warning, Medium),
            (36870, None, Cause::PrivateKeyInaccessible, Error, Medium),
            (36871, None, Cause::TlsProtocolMismatch, Error, Medium),
            (36874, None, Cause::TlsProtocolMismatch, Error, Medium),
            (4825, None, Cause::LogonRightMissing, Error, Medium),
            (
                4625,
                Some(("SubStatus", 0xC000_015B)),
                Cause::LogonRightMissing,
                Error,
                Medium,
            ),
            (
                4625,
                Some(("Status", 0xC000_0133)),
                Cause::ClockSkew,
                Error,
                Medium,
            ),
            (
                4625,
                Some(("SubStatus", 0xC000_006A)),
                Cause::LogonFailed,
                Warning,
                Medium,
            ),
            (140, None, Cause::NlaFailure, Warning, Medium),
            (5152, None, Cause::FirewallBlocked, Error, Medium),
            (5157, None, Cause::FirewallBlocked, Error, Medium),
            (
                4769,
                Some(("Status", 0x7)),
                Cause::SpnUnknown,
                Error,
                Medium,
            ),
            (4769, Some(("Status", 0x25)), Cause::ClockSkew, Warning, Low),
            (4771, Some(("Status", 0x25)), Cause::ClockSkew, Warning, Low),
        ];
        for &(id, field, cause, severity, confidence) in cases {
            let row = &EVENT_RULES[event_rule(&event(id, field)).expect("a row")];
            assert_eq!(
                (row.cause, row.severity, row.confidence),
                (cause, severity, confidence),
                "{id} {field:?}"
            );
        }
        // Not problems on their own: a success, a process start, a 4771 of another status.
        for (id, field) in [(4624, None), (4688, None), (4771, Some(("Status", 0x18)))] {
            assert_eq!(event_rule(&event(id, field)), None, "{id}");
        }
    }

    /// Which events agree with and contradict a connection's cause, written down from
    /// `reference/remedies.md` rather than read from the table.
    #[test]
    fn joined_events_weigh_as_remedies_says() {
        // (cause, agreeing ids, contradicting ids, ids that say nothing of it)
        type Case = (Cause, &'static [u32], &'static [u32], &'static [u32]);
        let cases: &[Case] = &[
            (Cause::TcpNoAnswer, &[5152, 5157], &[131, 1149], &[4625]),
            (Cause::TcpRefused, &[], &[131, 1149], &[5152]),
            (Cause::TlsAborted, &[36870, 1057], &[1149], &[4625]),
            (Cause::CertificateRejected, &[36870], &[4624, 1149], &[140]),
            (
                Cause::NlaFailure,
                &[4625, 140, 4771],
                &[4624, 1149],
                &[36870],
            ),
            (Cause::NegotiationFailure, &[139], &[1149], &[4625]),
            (Cause::ServerDenied, &[56], &[], &[4625]),
        ];
        for &(cause, agree, against, neutral) in cases {
            let row = RULES.iter().find(|r| r.cause == cause).expect("a row");
            let count = |id| {
                let events = [event(id, None)];
                let (a, c) = weigh(Some(row), None, &[0], &events);
                (a.len(), c.len())
            };
            for &id in agree {
                assert_eq!(count(id), (1, 0), "{cause} {id}");
            }
            for &id in against {
                assert_eq!(count(id), (0, 1), "{cause} {id}");
            }
            for &id in neutral {
                assert_eq!(count(id), (0, 0), "{cause} {id}");
            }
        }
    }

    /// The precise cause the evidence beside a capture's failure proves, written down from
    /// `reference/remedies.md` rather than read from the table.
    #[test]
    fn evidence_refines_causes_as_remedies_says() {
        let refined = |cause, e: Option<CatalogEvent>, k: Option<SideEvent>| {
            let events: Vec<CatalogEvent> = e.into_iter().collect();
            let krb: Vec<SideEvent> = k.into_iter().collect();
            let evs: Vec<usize> = (0..events.len()).collect();
            let krb_refs: Vec<&SideEvent> = krb.iter().collect();
            refine(cause, &evs, &events, &krb_refs).map(|p| {
                (
                    p.rule.cause,
                    p.kerberos.iter().map(|k| k.frame).collect::<Vec<_>>(),
                )
            })
        };
        let ev = |id, field| Some(event(id, field));
        assert_eq!(
            refined(Cause::TcpNoAnswer, ev(5152, None), None),
            Some((Cause::FirewallBlocked, vec![]))
        );
        assert_eq!(
            refined(Cause::IcmpUnreachable, ev(5157, None), None),
            Some((Cause::FirewallBlocked, vec![]))
        );
        assert_eq!(
            refined(Cause::TlsAborted, ev(36870, None), None),
            Some((Cause::PrivateKeyInaccessible, vec![]))
        );
        assert_eq!(
            refined(Cause::TlsAlert, ev(36870, None), None),
            Some((Cause::PrivateKeyInaccessible, vec![]))
        );
        // The KRB-ERROR is cited by its frame.
        assert_eq!(
            refined(Cause::NlaFailure, None, Some(krb_error(37, "TERMSRV/rdp"))),
            Some((Cause::ClockSkew, vec![7]))
        );
        assert_eq!(
            refined(
                Cause::NlaFailure,
                ev(4625, Some(("SubStatus", 0xC000_0133))),
                None
            ),
            Some((Cause::ClockSkew, vec![]))
        );
        assert_eq!(
            refined(
                Cause::NlaFailure,
                None,
                Some(krb_error(7, "TERMSRV/10.0.0.9"))
            ),
            Some((Cause::SpnUnknown, vec![7]))
        );
        assert_eq!(
            refined(Cause::NlaFailure, ev(4769, Some(("Status", 0x7))), None),
            Some((Cause::SpnUnknown, vec![]))
        );
        assert_eq!(
            refined(
                Cause::NlaFailure,
                ev(226, Some(("ErrorCode", 0x8009_0302))),
                None
            ),
            Some((Cause::CredsspPolicyMismatch, vec![]))
        );
        // Evidence of another stage proves nothing here.
        assert_eq!(refined(Cause::NlaFailure, ev(5152, None), None), None);
        assert_eq!(refined(Cause::TcpRefused, ev(5152, None), None), None);
        assert_eq!(refined(Cause::TlsAborted, ev(4625, None), None), None);
    }
}
