//! The report's answer in one line, for the top of a ticket: the leading finding (the most
//! severe, then the one that happened most) said as what broke where, how often, from whom and
//! when, and the first step of its fix; the other findings counted. Built from the findings'
//! structured fields (`server`, `clients`, `count`, `first`), never from their prose.

use super::Finding;
use crate::model::{Cause, Severity};

/// What a cause means, in the few words a verdict line has room for (rules as data: one row
/// per cause).
fn what(cause: Cause) -> &'static str {
    match cause {
        Cause::AccountLockedOut => "an account was locked out",
        Cause::CaptureEnded => "the capture ends before the handshake did",
        Cause::CertificateRejected => "the client rejected the server's certificate",
        Cause::CertificateRenewalFailed => "the server could not renew its RDP certificate",
        Cause::ClientError => "the client logged an error no evidence read explains yet",
        Cause::ClockSkew => "Kerberos refused a clock that is off",
        Cause::CredsspPolicyMismatch => "client and server disagree on the CredSSP policy",
        Cause::FirewallBlocked => "the Windows firewall blocked RDP",
        Cause::GatewayDenied => "the RD Gateway refused the connection",
        Cause::IcmpUnreachable => "the path answered unreachable (ICMP)",
        Cause::LogonFailed => "logons failed",
        Cause::LogonRightMissing => "the account may not log on over RDP",
        Cause::NameResolutionFailed => "the server name did not resolve",
        Cause::NegotiationFailure => "client and server did not agree on a security layer",
        Cause::NlaFailure => "NLA refused the credentials",
        Cause::PacketLoss => "the handshake stalled on packet loss",
        Cause::PasswordGuessing => "password guessing",
        Cause::PrivateKeyInaccessible => "the server cannot use its TLS private key",
        Cause::Probe => "port checks and scans only, no RDP attempt",
        Cause::ServerDenied => "the server ended the connection before a session",
        Cause::SpnUnknown => "Kerberos knows no principal for the name used",
        Cause::TcpNoAnswer => {
            "SYNs went unanswered (a firewall drop, a host down, a wrong address)"
        }
        Cause::TcpRefused => "the connection was refused (nothing listening, or a REJECT rule)",
        Cause::Timeout => "one side stopped answering",
        Cause::TlsAborted => "TLS stopped before it finished, without an alert",
        Cause::TlsAlert => "TLS failed with an alert",
        Cause::TlsProtocolMismatch => "no TLS version or cipher in common",
        Cause::UdpBlocked => "RDP over UDP is blocked (sessions run over TCP only)",
        Cause::X224Rejected => "the server closed before confirming the connection",
    }
}

/// The unit a finding counts.
fn unit(f: &Finding) -> &'static str {
    match (f.connections.is_empty(), f.cause, f.count) {
        (false, _, 1) => "connection",
        (false, _, _) => "connections",
        (
            true,
            Cause::LogonFailed
            | Cause::PasswordGuessing
            | Cause::NlaFailure
            | Cause::AccountLockedOut,
            1,
        ) => "failed logon",
        (
            true,
            Cause::LogonFailed
            | Cause::PasswordGuessing
            | Cause::NlaFailure
            | Cause::AccountLockedOut,
            _,
        ) => "failed logons",
        (true, _, 1) => "event",
        (true, _, _) => "events",
    }
}

/// `2026-11-22T03:42:30.462804Z` → `2026-11-22 03:42 UTC`.
fn minute(t: &str) -> String {
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => t.to_string(),
    }
}

/// The first step of the fix where a cause has one whatever the details (rules as data);
/// for the others the finding's own first fix says it better.
fn step(cause: Cause) -> Option<&'static str> {
    Some(match cause {
        Cause::PasswordGuessing => {
            "take RDP off the internet (an RD Gateway or a VPN), keep NLA, set an account lockout policy"
        }
        Cause::NlaFailure => {
            "check the account and its password: the server's Security 4625 names the status"
        }
        Cause::TcpNoAnswer => {
            "allow TCP 3389 through the server's and the path's firewalls, after checking the host is up and the address right"
        }
        Cause::ClientError => {
            "collect the server's logs and a capture of one attempt for the window the finding gives"
        }
        Cause::Probe => "nothing in RDP; find what scans, and narrow who reaches 3389",
        Cause::LogonFailed => {
            "per the account and status the finding names: reset the password, unlock or enable the account, or correct the user name"
        }
        Cause::AccountLockedOut => {
            "unlock the account, then find what keeps sending the old password"
        }
        _ => return None,
    })
}

/// The first step of a fix: its first sentence, cut at its first colon or semicolon when
/// long.
fn first_step(fix: &str) -> String {
    let sentence = fix.split(". ").next().unwrap_or(fix).trim_end_matches('.');
    if sentence.chars().count() > 100 {
        for cut in [": ", "; "] {
            if let Some((head, _)) = sentence.split_once(cut) {
                return head.to_string();
            }
        }
    }
    sentence.to_string()
}

/// The one line, or `None` when nothing was found.
pub fn answer(findings: &[Finding]) -> Option<String> {
    let rank = |s: Severity| match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    };
    let lead = findings
        .iter()
        .enumerate()
        .min_by_key(|(i, f)| (rank(f.severity), std::cmp::Reverse(f.count), *i))
        .map(|(_, f)| f)?;
    let mut line = match &lead.server {
        Some(s) => format!("{s}: {}", what(lead.cause)),
        None => {
            let w = what(lead.cause);
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    };
    let mut facts = Vec::new();
    if let Some(d) = &lead.dialog {
        facts.push(match &d.extended {
            Some(x) => format!("error code {}, extended {x}", d.code),
            None => format!("error code {}", d.code),
        });
    }
    let mut how_many = if lead.count > 0 {
        format!("{} {}", lead.count, unit(lead))
    } else {
        String::new()
    };
    let from = match lead.clients.as_slice() {
        [] => String::new(),
        [one] => format!("from {one}"),
        many => format!("from {} clients", many.len()),
    };
    if !from.is_empty() {
        if !how_many.is_empty() {
            how_many.push(' ');
        }
        how_many.push_str(&from);
    }
    if !how_many.is_empty() {
        facts.push(how_many);
    }
    if let Some(first) = &lead.first {
        facts.push(minute(first));
    }
    if !facts.is_empty() {
        line.push_str(&format!(" ({})", facts.join("; ")));
    }
    let fix = step(lead.cause)
        .map(str::to_string)
        .or_else(|| lead.remediation.first().map(|f| first_step(f)));
    if let Some(fix) = fix {
        line.push_str(&format!("; fix: {fix}"));
    }
    let others = findings
        .iter()
        .filter(|f| !std::ptr::eq(*f, lead) && f.severity != Severity::Info)
        .count();
    if others > 0 {
        line.push_str(&format!(
            "; {others} more finding{}",
            if others == 1 { "" } else { "s" }
        ));
    }
    line.push('.');
    Some(line)
}
