//! The error dialog's checklist: for a code the user saw (mstsc's "error code 0x904,
//! extended error code 0x7", from RDPClient 1026 or `analyze --dialog`), each candidate cause
//! `explain` lists, marked proven, ruled out or still possible, with the frame or record that
//! decides it. The web offers a dozen guesses for such a code; this says which of them the
//! evidence read leaves standing.
//!
//! A candidate is judged by the stage of the handshake it breaks (`stage_of`): against a
//! captured connection, a stage that passed rules it out (with the frame that shows it), the
//! stage that failed proves it when the connection's cause is one that candidate gives
//! (`proving`), and a later stage was never reached. Without a connection, a log finding of
//! a proving cause proves it, and the code itself rules out what cannot give it (0x904 is a
//! close after the socket connected: nothing dropped the SYN). Everything else is still
//! possible, and the finding says what to collect, for which time window.

use serde::Serialize;

use super::Finding;
use super::explain::{CAUSES, Remedy, explain_code};
use crate::eventlog::CatalogEvent;
use crate::eventlog::catalog::CLIENT;
use crate::handshake::judged::{ConnectionDetail, JudgedConnection};
use crate::model::codes::{disc_reason, extended_reason};
use crate::model::{Cause, Check, Confidence, Severity, Stage, Status};

/// A dialog code with its candidates judged.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    /// As the dialog shows it: `0x904`.
    pub code: String,
    /// The dialog's "extended error code", when known: `0x7`.
    pub extended: Option<String>,
    /// The codes' names and meanings.
    pub meaning: String,
    /// Where the code came from: the client's log record, or `--dialog`.
    pub source: String,
    pub checks: Vec<CheckItem>,
}

/// One candidate cause and where it stands.
#[derive(Clone, Debug, Serialize)]
pub struct CheckItem {
    pub candidate: Remedy,
    /// A few words a support engineer knows it by.
    pub label: &'static str,
    pub check: Check,
    /// What decides it, with its frame or record.
    pub because: String,
}

/// The few words a candidate is known by.
pub fn label(r: Remedy) -> &'static str {
    match r {
        Remedy::ServerCertificate => "server certificate or its private key",
        Remedy::CertificateExpired => "expired certificate",
        Remedy::CertificateName => "certificate name mismatch",
        Remedy::CertificateUntrusted => "untrusted certificate",
        Remedy::PrivateKey => "TLS private key unusable",
        Remedy::TlsMismatch => "TLS version or cipher mismatch",
        Remedy::PacketLoss => "packet loss on the path (VPN, MTU)",
        Remedy::FirewallDrop => "firewall dropping 3389",
        Remedy::NothingListening => "nothing listening on the port",
        Remedy::NameResolution => "name resolution",
        Remedy::SecurityLayerMismatch => "security layer or NLA setting mismatch",
        Remedy::StandardSecurityServer => "server only offers Standard RDP Security",
        Remedy::NlaFailure => "NLA failure (credentials, account)",
        Remedy::PasswordGuessing => "password guessing",
        Remedy::ClockSkew => "clock skew (Kerberos)",
        Remedy::SpnUnknown => "unknown SPN (Kerberos)",
        Remedy::CredsspPolicy => "CredSSP policy (encryption oracle)",
        Remedy::LogonRight => "missing logon right (Remote Desktop Users)",
        Remedy::ServerDenied => "the server denied the session",
        Remedy::Probe => "a port check, not a connection",
    }
}

/// The handshake stage a candidate breaks; `None` for those of no one stage (packet loss).
fn stage_of(r: Remedy) -> Option<Stage> {
    Some(match r {
        Remedy::FirewallDrop | Remedy::NothingListening | Remedy::NameResolution => Stage::Tcp,
        Remedy::SecurityLayerMismatch | Remedy::StandardSecurityServer => Stage::X224,
        Remedy::ServerCertificate
        | Remedy::CertificateExpired
        | Remedy::CertificateName
        | Remedy::CertificateUntrusted
        | Remedy::PrivateKey
        | Remedy::TlsMismatch => Stage::Tls,
        Remedy::NlaFailure
        | Remedy::PasswordGuessing
        | Remedy::ClockSkew
        | Remedy::SpnUnknown
        | Remedy::CredsspPolicy => Stage::Nla,
        Remedy::LogonRight | Remedy::ServerDenied => Stage::Mcs,
        Remedy::PacketLoss | Remedy::Probe => return None,
    })
}

/// The causes (of a connection or a log finding) that prove a candidate.
fn proving(r: Remedy) -> &'static [Cause] {
    match r {
        Remedy::FirewallDrop => &[
            Cause::TcpNoAnswer,
            Cause::IcmpUnreachable,
            Cause::FirewallBlocked,
        ],
        Remedy::NothingListening => &[Cause::TcpRefused],
        Remedy::NameResolution => &[Cause::NameResolutionFailed],
        Remedy::SecurityLayerMismatch | Remedy::StandardSecurityServer => {
            &[Cause::NegotiationFailure]
        }
        Remedy::ServerCertificate => &[
            Cause::CertificateRejected,
            Cause::PrivateKeyInaccessible,
            Cause::CertificateRenewalFailed,
        ],
        Remedy::CertificateExpired | Remedy::CertificateName | Remedy::CertificateUntrusted => {
            &[Cause::CertificateRejected]
        }
        Remedy::PrivateKey => &[Cause::PrivateKeyInaccessible],
        Remedy::TlsMismatch => &[Cause::TlsAlert, Cause::TlsProtocolMismatch],
        Remedy::NlaFailure => &[
            Cause::NlaFailure,
            Cause::LogonFailed,
            Cause::AccountLockedOut,
        ],
        Remedy::PasswordGuessing => &[Cause::PasswordGuessing],
        Remedy::ClockSkew => &[Cause::ClockSkew],
        Remedy::SpnUnknown => &[Cause::SpnUnknown],
        Remedy::CredsspPolicy => &[Cause::CredsspPolicyMismatch],
        Remedy::LogonRight => &[Cause::LogonRightMissing],
        Remedy::ServerDenied => &[Cause::ServerDenied],
        Remedy::PacketLoss => &[Cause::PacketLoss],
        Remedy::Probe => &[Cause::Probe],
    }
}

/// Connection causes a candidate is consistent with without being proven by them.
fn consistent(r: Remedy) -> &'static [Cause] {
    match r {
        Remedy::ServerCertificate | Remedy::PrivateKey => &[Cause::TlsAborted],
        Remedy::PacketLoss => &[Cause::Timeout, Cause::TlsAborted],
        Remedy::ServerDenied | Remedy::LogonRight => &[Cause::Timeout],
        _ => &[],
    }
}

/// Disconnect reasons that end a connection that was up (FD_CLOSE, receive failed): the TCP
/// connect itself succeeded.
fn after_connect(code: u32) -> bool {
    matches!(code, 0x904 | 0x404)
}

/// The code as a dialog shows it, with its name: `0x904 (disconnectReasonAtClientWinsockFDCLOSE:
/// socket closed by the peer or the network)`.
fn meaning(code: u32, extended: Option<u32>) -> String {
    let main = match disc_reason(code) {
        Some((name, m)) => format!("0x{code:X} ({name}: {m})"),
        None => format!("0x{code:X}"),
    };
    match extended {
        Some(x) => match extended_reason(x) {
            Some((name, m)) => format!("{main}, extended 0x{x:X} ({name}: {m})"),
            None => format!("{main}, extended 0x{x:X}"),
        },
        None => main,
    }
}

/// Whether a disconnect reason is an error worth a checklist (not a disconnect by the user,
/// and not "the server disconnected", which needs the extended reason a 1026 lacks).
pub fn is_error(code: u32) -> bool {
    code > 3
}

/// The candidates of a code, most likely first, with the two guesses every forum offers
/// (firewall, name resolution) added when the tables do not list them.
fn candidates(code: u32, extended: Option<u32>) -> Vec<Remedy> {
    let ext = extended.map(|x| format!("0x{x:X}"));
    let mut list: Vec<Remedy> = explain_code(&format!("0x{code:X}"), ext.as_deref())
        .map(|e| e.causes.iter().map(|c| c.cause.id).collect())
        .unwrap_or_default();
    for r in [Remedy::FirewallDrop, Remedy::NameResolution] {
        if !list.contains(&r) {
            list.push(r);
        }
    }
    list
}

/// The checklist of a dialog code against one connection (the one the code was joined to, or
/// the failed connection a finding is about) and the other findings of the report.
pub fn judge(
    code: u32,
    extended: Option<u32>,
    source: String,
    conn: Option<&JudgedConnection>,
    findings: &[Finding],
) -> Checklist {
    let detail = conn.map(|c| c.detail());
    let mut checks: Vec<CheckItem> = candidates(code, extended)
        .into_iter()
        .map(|r| {
            let (check, because) = match (conn, detail.as_deref()) {
                (Some(c), Some(d)) => against_connection(r, c, d),
                _ => against_logs(r, code, findings),
            };
            CheckItem {
                candidate: r,
                label: label(r),
                check,
                because,
            }
        })
        .collect();
    // What is proven first, then what remains, then what is ruled out; the likelier first
    // within each.
    checks.sort_by_key(|c| match c.check {
        Check::Proven => 0,
        Check::StillPossible => 1,
        Check::RuledOut => 2,
    });
    Checklist {
        code: format!("0x{code:X}"),
        extended: extended.map(|x| format!("0x{x:X}")),
        meaning: meaning(code, extended),
        source,
        checks,
    }
}

/// Frames as a list says them: `frame 2`, `frames 8, 10`, `frames 1–8` (runs of three or
/// more joined).
fn frames_words(frames: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let mut j = i;
        while j + 1 < frames.len() && frames[j + 1] == frames[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            parts.push(format!("{}–{}", frames[i], frames[j]));
        } else {
            parts.extend(frames[i..=j].iter().map(u64::to_string));
        }
        i = j + 1;
    }
    match (frames.len(), parts.len()) {
        (0, _) => String::new(),
        (1, _) => format!("frame {}", parts[0]),
        _ => format!("frames {}", parts.join(", ")),
    }
}

/// What shows a stage passed, in words with its frame.
fn passed(stage: Stage, d: &ConnectionDetail) -> String {
    let frames = d
        .stages
        .iter()
        .find(|s| s.stage == stage)
        .map(|s| s.frames.clone())
        .unwrap_or_default();
    match stage {
        Stage::Tcp => match frames.get(1) {
            Some(f) => format!("TCP connected: the SYN-ACK came (frame {f})"),
            None => "TCP connected".into(),
        },
        Stage::X224 => {
            let selected = d.negotiation.as_ref().and_then(|n| n.selected.clone());
            let at = frames
                .last()
                .map(|f| format!(" (frame {f})"))
                .unwrap_or_default();
            match selected {
                Some(p) => format!("the negotiation passed: the server selected {p}{at}"),
                None => format!("the X.224 negotiation passed{at}"),
            }
        }
        Stage::Tls => {
            let version = d
                .tls
                .as_ref()
                .and_then(|t| t.version.clone())
                .map(|v| format!("{v} "))
                .unwrap_or_default();
            let mut words = format!(
                "the {version}handshake completed ({})",
                frames_words(&frames)
            );
            if let Some(cert) = d.tls.as_ref().and_then(|t| t.certificate.as_ref())
                && !cert.info.expired_at_capture
            {
                words.push_str(&format!(
                    "; the certificate is valid until {} (frame {})",
                    cert.info.not_after, cert.frame
                ));
            }
            words
        }
        Stage::Nla => format!("NLA completed ({})", frames_words(&frames)),
        Stage::Mcs | Stage::Session => format!("{stage} passed ({})", frames_words(&frames)),
    }
}

fn against_connection(r: Remedy, c: &JudgedConnection, d: &ConnectionDetail) -> (Check, String) {
    let cause = c.cause;
    let failed = c.failed_stage;
    let failed_frames = failed
        .and_then(|s| d.stages.iter().find(|o| o.stage == s))
        .map(|o| frames_words(&o.frames))
        .unwrap_or_default();
    let cert = d.tls.as_ref().and_then(|t| t.certificate.as_ref());
    if let Some(x) = cause.filter(|x| proving(r).contains(x)) {
        // A rejected certificate proves only what the certificate shows.
        if x == Cause::CertificateRejected
            && let Some(cert) = cert
        {
            let expired = cert.info.expired_at_capture;
            let mismatch = cert.matches_sni == Some(false);
            let shows = match r {
                Remedy::CertificateExpired => expired,
                Remedy::CertificateName => mismatch,
                Remedy::CertificateUntrusted => !expired && !mismatch,
                _ => true,
            };
            let what = if expired {
                format!("it had expired on {}", cert.info.not_after)
            } else if mismatch {
                "its name does not match the server name asked for".into()
            } else if cert.info.self_signed {
                format!(
                    "valid until {}, self-signed: not trusted",
                    cert.info.not_after
                )
            } else {
                format!("valid until {}: not trusted", cert.info.not_after)
            };
            return if shows {
                (
                    Check::Proven,
                    format!(
                        "the client rejected the server's certificate (frame {}): {what}",
                        cert.frame
                    ),
                )
            } else {
                (
                    Check::RuledOut,
                    format!(
                        "the client rejected the certificate (frame {}) for another reason: {what}",
                        cert.frame
                    ),
                )
            };
        }
        return (
            Check::Proven,
            format!(
                "the {} stage failed: {x}{}",
                failed.map(|s| s.to_string()).unwrap_or_default(),
                if failed_frames.is_empty() {
                    String::new()
                } else {
                    format!(" ({failed_frames})")
                }
            ),
        );
    }
    if let Some(x) = cause.filter(|x| consistent(r).contains(x)) {
        return (
            Check::StillPossible,
            format!(
                "consistent with what the capture shows ({x}{}), which does not prove it",
                if failed_frames.is_empty() {
                    String::new()
                } else {
                    format!(", {failed_frames}")
                }
            ),
        );
    }
    let n = &d.network;
    match (r, stage_of(r), failed) {
        // The client reached for an address: whatever name it was given resolved.
        (Remedy::NameResolution, _, _) => (
            Check::RuledOut,
            format!(
                "the client connected to {} (frame {}): the name resolved",
                c.server.ip, c.first_frame
            ),
        ),
        (Remedy::PacketLoss, _, _)
            if matches!(cause, Some(Cause::TcpNoAnswer | Cause::TcpRefused)) =>
        {
            (
                Check::RuledOut,
                format!(
                    "no data was exchanged: the tcp stage failed ({})",
                    cause.map(|x| x.to_string()).unwrap_or_default()
                ),
            )
        }
        (Remedy::PacketLoss, _, _) => {
            let lost = n.retransmissions.saturating_sub(n.capture_duplicates);
            if lost == 0 && n.missed_bytes == 0 {
                (
                    Check::RuledOut,
                    format!(
                        "no retransmission and no byte missing (frames {}–{})",
                        c.first_frame, c.last_frame
                    ),
                )
            } else {
                (
                    Check::StillPossible,
                    format!(
                        "{lost} retransmissions and {} bytes never seen, but the handshake did not stall on them",
                        n.missed_bytes
                    ),
                )
            }
        }
        (_, Some(t), Some(s)) if t < s => (Check::RuledOut, passed(t, d)),
        (_, Some(t), Some(s)) if t == s => {
            let other = cause
                .map(|x| x.to_string())
                .unwrap_or_else(|| "unknown".into());
            let agreed = d.tls.as_ref().and_then(|t| {
                Some(format!(
                    "{} and a cipher suite were agreed (frame {}), ",
                    t.version.clone()?,
                    t.server_hello_frame?
                ))
            });
            match (r, agreed) {
                (Remedy::TlsMismatch, Some(agreed)) => (
                    Check::RuledOut,
                    format!("{agreed}then the tls stage failed another way: {other}"),
                ),
                _ => (
                    Check::RuledOut,
                    format!("the {s} stage failed another way: {other}"),
                ),
            }
        }
        (_, Some(t), Some(s)) => (
            Check::RuledOut,
            format!("the connection ended at the {s} stage, before {t} ({failed_frames})"),
        ),
        (_, Some(t), None) => {
            // No stage failed: the connection got through every stage it shows.
            let reached = d
                .stages
                .iter()
                .any(|o| o.stage == t && o.status == Status::Ok);
            if reached {
                (Check::RuledOut, passed(t, d))
            } else {
                (
                    Check::StillPossible,
                    format!("the capture does not show the {t} stage"),
                )
            }
        }
        (_, None, _) => (
            Check::StillPossible,
            "nothing in the capture tells either way".into(),
        ),
    }
}

fn against_logs(r: Remedy, code: u32, findings: &[Finding]) -> (Check, String) {
    if let Some(f) = findings
        .iter()
        .find(|f| proving(r).contains(&f.cause) && f.cause != Cause::ClientError)
    {
        let shown = f
            .evidence
            .first()
            .cloned()
            .unwrap_or_else(|| f.summary.clone());
        return (Check::Proven, format!("{}: {shown}", f.cause));
    }
    if after_connect(code) && stage_of(r) == Some(Stage::Tcp) {
        return (
            Check::RuledOut,
            format!(
                "0x{code:X} is a close after the socket connected: the address resolved and nothing dropped the SYN"
            ),
        );
    }
    let capture = CAUSES
        .iter()
        .find(|c| c.id == r)
        .map(|c| c.capture)
        .unwrap_or_default();
    (
        Check::StillPossible,
        if capture.is_empty() {
            "nothing read tells either way".into()
        } else {
            format!("nothing read tells either way; a capture would show: {capture}")
        },
    )
}

/// A dialog code the user gave (`analyze --dialog 0x904[:0x7]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DialogCode {
    pub code: u32,
    pub extended: Option<u32>,
}

impl DialogCode {
    /// `0x904`, `0x904:0x7`, `2308`, `2308:7`: hex only with `0x`, decimal otherwise.
    pub fn parse(raw: &str) -> Result<DialogCode, String> {
        let number = |t: &str| -> Result<u32, String> {
            let t = t.trim();
            let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => t.parse::<u32>(),
            };
            parsed
                .map_err(|_| format!("{t:?} is not a code (write 0x904 for hex, 2308 for decimal)"))
        };
        let (main, ext) = match raw.split_once(':') {
            Some((m, x)) => (m, Some(x)),
            None => (raw, None),
        };
        Ok(DialogCode {
            code: number(main)?,
            extended: ext.map(number).transpose()?,
        })
    }
}

/// How far either side of the client's error a log or capture to collect should reach.
const COLLECT_WINDOW_NS: i64 = 5 * 60 * 1_000_000_000;

/// Gives every finding its dialog checklist where a code is known:
/// - an error the client logged (RDPClient 1026) that joined a finding's connection: judged
///   against that connection;
/// - the errors no finding holds: one `client_error` finding per client, server and code,
///   judged against the other findings;
/// - `dialog` (the user's `--dialog`): every finding of failed connections without one, or a
///   `client_error` finding of its own when none has any.
pub fn attach(
    out: &mut Vec<Finding>,
    conns: &[JudgedConnection],
    events: &[CatalogEvent],
    dialog: Option<DialogCode>,
) {
    use std::collections::{BTreeMap, HashMap};
    let client_error = |e: &CatalogEvent| {
        e.channel.as_ref() == CLIENT
            && e.id == 1026
            && e.field("Value")
                .and_then(|v| v.parse::<u32>().ok())
                .is_some_and(is_error)
    };
    let errors: HashMap<String, usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| client_error(e))
        .map(|(k, e)| (e.reference(), k))
        .collect();
    let conn_of: HashMap<String, &JudgedConnection> =
        conns.iter().map(|c| (c.id.to_string(), c)).collect();
    let failed_conn = |f: &Finding| {
        // The last: the one the finding's words are about (an attempt's final connection).
        f.connections
            .iter()
            .rev()
            .filter_map(|id| conn_of.get(id).copied())
            .find(|c| c.failed_stage.is_some() || c.cause.is_some())
    };
    let code_of = |k: usize| {
        events[k]
            .field("Value")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or_default()
    };
    // Errors joined to a finding's connection.
    let mut held = std::collections::HashSet::new();
    let mut lists: Vec<(usize, Checklist)> = Vec::new();
    for (i, f) in out.iter().enumerate() {
        // An error another finding already explains (a failed name lookup) is held by it.
        let mine: Vec<usize> = f
            .events
            .iter()
            .filter_map(|r| errors.get(r).copied())
            .collect();
        held.extend(mine.iter().copied());
        let Some(c) = failed_conn(f) else { continue };
        if let Some(&k) = mine.first() {
            let e = &events[k];
            let source = format!("RDPClient 1026 on {}, {}", e.computer, e.reference());
            lists.push((i, judge(code_of(k), None, source, Some(c), out)));
        } else if let Some(d) = dialog.filter(|_| f.severity != Severity::Info) {
            lists.push((
                i,
                judge(
                    d.code,
                    d.extended,
                    "given with --dialog".into(),
                    Some(c),
                    out,
                ),
            ));
        }
    }
    let attached = !lists.is_empty();
    for (i, list) in lists {
        out[i].dialog = Some(list);
    }
    // Errors no finding holds, per client, server and code.
    let mut groups: BTreeMap<(String, String, u32), Vec<usize>> = BTreeMap::new();
    for (&_, &k) in errors.iter().filter(|(_, k)| !held.contains(*k)) {
        let e = &events[k];
        let server = server_named(events, k).unwrap_or_else(|| "the server".into());
        groups
            .entry((e.computer.to_string(), server, code_of(k)))
            .or_default()
            .push(k);
    }
    let mut made = Vec::new();
    for ((client, server, code), mut ks) in groups {
        ks.sort_by_key(|&k| (events[k].time_ns, k));
        let source = format!("RDPClient 1026 on {client}, {}", events[ks[0]].reference());
        let list = judge(code, None, source, None, out);
        made.push(client_error_finding(events, &ks, &client, &server, list));
    }
    if let Some(d) = dialog.filter(|_| !attached && made.is_empty()) {
        let list = judge(d.code, d.extended, "given with --dialog".into(), None, out);
        made.push(client_error_finding(
            events,
            &[],
            "the client",
            "the server",
            list,
        ));
    }
    out.extend(made);
}

/// The server a client's 1026 was about: the server name of the last 1024 before it on the
/// same computer (with the same activity id when both have one).
fn server_named(events: &[CatalogEvent], k: usize) -> Option<String> {
    let e = &events[k];
    events[..k]
        .iter()
        .rev()
        .filter(|b| b.computer == e.computer && b.channel == e.channel && b.id == 1024)
        .find(|b| match (&b.activity_id, &e.activity_id) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        })
        .and_then(crate::correlate::event_server)
}

/// Whether the client had connected before its 1026 (a 1025 or 1027 after the last 1024 on
/// the same computer): the error then dropped a session, not a connection attempt.
fn had_connected(events: &[CatalogEvent], k: usize) -> bool {
    let e = &events[k];
    events[..k]
        .iter()
        .rev()
        .filter(|b| b.computer == e.computer && b.channel == e.channel)
        .find(|b| matches!(b.id, 1024 | 1025 | 1027))
        .is_some_and(|b| b.id != 1024)
}

/// A `client_error` finding: the client logged an error code (or the user gave one) that no
/// connection read explains; its checklist says what the logs rule out and what to collect.
fn client_error_finding(
    events: &[CatalogEvent],
    ks: &[usize],
    client: &str,
    server: &str,
    list: Checklist,
) -> Finding {
    let proven: Vec<&CheckItem> = list
        .checks
        .iter()
        .filter(|c| c.check == Check::Proven)
        .collect();
    let open: Vec<&CheckItem> = list
        .checks
        .iter()
        .filter(|c| c.check == Check::StillPossible)
        .collect();
    let when = match ks {
        [] => String::new(),
        [one] => format!(" at {} ({})", events[*one].time, events[*one].reference()),
        [first, .., last] => format!(
            " {} times between {} and {} ({} …)",
            ks.len(),
            events[*first].time,
            events[*last].time,
            events[*first].reference()
        ),
    };
    let mut summary = if ks.is_empty() {
        format!("The error dialog showed {}", list.meaning)
    } else {
        format!(
            "{client}'s Remote Desktop client {} {server}{when}: error code {}",
            if had_connected(events, ks[0]) {
                "lost its connection to"
            } else {
                "failed to connect to"
            },
            list.meaning
        )
    };
    summary.push_str(&match (proven.as_slice(), open.len()) {
        ([p], _) => format!(
            ". The logs prove one candidate: {} ({})",
            p.label, p.because
        ),
        (_, 0) => ". The logs rule out every candidate cause the code has".to_string(),
        (_, n) => format!(
            ". No capture covers it: {} of {} candidate causes remain ({}); the checklist below says what rules out the others",
            n,
            list.checks.len(),
            open.iter().map(|c| c.label).collect::<Vec<_>>().join(", ")
        ),
    });
    summary.push('.');
    let mut collect_next: Vec<String> = Vec::new();
    if let (Some(&first), Some(&last)) = (ks.first(), ks.last()) {
        let from = crate::model::time::rfc3339(events[first].time_ns - COLLECT_WINDOW_NS);
        let to = crate::model::time::rfc3339(events[last].time_ns + COLLECT_WINDOW_NS);
        collect_next.push(format!(
            "the time window to collect: {from} to {to} (5 minutes either side of the client's error, by its clock; widen it by any clock difference between the hosts)"
        ));
    }
    for c in &open {
        if let Some(k) = CAUSES.iter().find(|k| k.id == c.candidate) {
            for s in k.collect {
                if !collect_next.iter().any(|x| x == s) {
                    collect_next.push(s.to_string());
                }
            }
        }
    }
    let remediation = match proven.as_slice() {
        [p] => CAUSES
            .iter()
            .find(|k| k.id == p.candidate)
            .map(|k| vec![k.fix.to_string()])
            .unwrap_or_default(),
        _ => vec![
            "Do not act on the code alone: collect what the checklist still needs (below) and run rdptriage on it; the stage that broke names the fix."
                .to_string(),
        ],
    };
    Finding {
        cause: Cause::ClientError,
        severity: Severity::Error,
        confidence: if proven.len() == 1 {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        summary,
        attempt: None,
        connections: Vec::new(),
        events: ks.iter().map(|&k| events[k].reference()).collect(),
        evidence: ks
            .iter()
            .take(5)
            .map(|&k| super::rules::event_line(&events[k]))
            .collect(),
        remediation,
        collect_next,
        server: (!ks.is_empty() && server != "the server").then(|| server.to_string()),
        clients: if ks.is_empty() {
            Vec::new()
        } else {
            vec![client.to_string()]
        },
        first: None,
        last: None,
        count: 0,
        dialog: Some(list),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_candidate_of_a_disconnect_reason_has_a_stage_or_is_judged_by_the_network() {
        for r in Remedy::ALL.iter().copied() {
            assert!(!label(r).is_empty());
            assert!(
                stage_of(r).is_some() || matches!(r, Remedy::PacketLoss | Remedy::Probe),
                "{r}"
            );
            assert!(!proving(r).is_empty(), "{r}");
        }
    }

    #[test]
    fn a_log_alone_rules_out_what_0x904_cannot_be() {
        let list = judge(0x904, Some(7), "test".into(), None, &[]);
        assert_eq!(list.code, "0x904");
        assert_eq!(list.extended.as_deref(), Some("0x7"));
        let got: Vec<(Remedy, Check)> =
            list.checks.iter().map(|c| (c.candidate, c.check)).collect();
        assert_eq!(
            got,
            [
                (Remedy::ServerCertificate, Check::StillPossible),
                (Remedy::PacketLoss, Check::StillPossible),
                (Remedy::SecurityLayerMismatch, Check::StillPossible),
                (Remedy::NlaFailure, Check::StillPossible),
                (Remedy::TlsMismatch, Check::StillPossible),
                (Remedy::FirewallDrop, Check::RuledOut),
                (Remedy::NameResolution, Check::RuledOut),
            ]
        );
    }
}
