//! Logon trouble in the Security log, judged as an analyst would: a group of failed logons
//! (Security 4625, with the RdpCoreTS 140s of the same failures) is put into words from its
//! counts — per account and status, per source address and workstation, its span and rate —
//! never from its first event; lockouts (4740) become `account_locked_out` findings with the
//! failures that led to them and who unlocked the account (4767).
//!
//! What the counts prove, and only that:
//! * logons are called RDP's only when something shows RDP: logon type 10 or 12, RdpCoreTS
//!   140 or RCM 1149 from the same address, or a captured connection from it. A type-3
//!   failure alone is a network logon, SMB's as much as RDP NLA's (`reference/events.md`).
//! * 0xC0000072 (account disabled) inside a run of failures means the password was right:
//!   Windows checks the password before it reports that the account is disabled.
//! * An account that logged on from the same address after its failures was mistyped, not
//!   attacked; a name with leading or trailing spaces that fails while the name without them
//!   logs on is a typo.
//!
//! The joins (which addresses reached a server over RDP, the logon after the failures, each
//! lockout's story) are `correlate::logons`'; this module judges and words them.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::correlate::logons::{Logons, RdpEvidence, RdpSources, lockout_stories, trim_account};
use crate::eventlog::CatalogEvent;
use crate::model::{Cause, Confidence, Severity};

use super::Finding;
use super::explain::Remedy;
use super::words::{shown_name, status_fix};

/// A status in a few words, as a breakdown names it.
fn reason_words(code: Option<u32>) -> String {
    match code {
        Some(0xC000_006A) => "wrong password".into(),
        Some(0xC000_0064) => "no such user".into(),
        Some(0xC000_0072) => "account disabled".into(),
        Some(0xC000_0234) => "locked out".into(),
        Some(0xC000_0193) => "account expired".into(),
        Some(0xC000_0071) => "password expired".into(),
        Some(0xC000_0224) => "password must change".into(),
        Some(0xC000_006F) => "outside logon hours".into(),
        Some(0xC000_0070) => "workstation not allowed".into(),
        Some(0xC000_006E) => "account restriction".into(),
        Some(0xC000_015B) => "no Remote Desktop logon right".into(),
        Some(0xC000_006D) => "bad user name or password".into(),
        Some(c) => match crate::model::codes::status(c) {
            Some((name, _)) => format!("{name} (0x{c:08X})"),
            None => format!("0x{c:08X}"),
        },
        None => "no status".into(),
    }
}

/// `1,234`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `N×` in a breakdown.
fn times(n: usize) -> String {
    format!("×{}", thousands(n))
}

/// A rate in the unit that reads best.
fn rate_words(n: usize, span_ns: i64) -> Option<String> {
    if n < 3 || span_ns <= 0 {
        return None;
    }
    let per_s = (n - 1) as f64 / (span_ns as f64 / 1e9);
    Some(if per_s >= 1.0 {
        format!("{per_s:.1} a second")
    } else if per_s * 60.0 >= 1.0 {
        format!("{:.1} a minute", per_s * 60.0)
    } else {
        format!("{:.1} an hour", per_s * 3600.0)
    })
}

/// A span in the unit that reads best.
fn span_words(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// How many of each, most first (ties by name), at most `top` named and the rest counted.
fn ranked(counts: &BTreeMap<String, usize>, top: usize, noun: &str) -> String {
    let mut list: Vec<(&String, &usize)> = counts.iter().collect();
    list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = list
        .iter()
        .take(top)
        .map(|(k, n)| format!("{k} {}", times(**n)))
        .collect();
    if list.len() > top {
        parts.push(format!("{} more {noun}", thousands(list.len() - top)));
    }
    parts.join(", ")
}

/// The failed logons of one group counted.
#[derive(Default)]
pub struct Tally {
    /// 4625s counted.
    pub failures: usize,
    /// RdpCoreTS 140s of the same failures.
    pub nla_failures: usize,
    pub first_ns: i64,
    pub last_ns: i64,
    /// Account as written → status → count (`None`: no status).
    pub by_account: BTreeMap<String, BTreeMap<Option<u32>, usize>>,
    pub by_source: BTreeMap<String, usize>,
    pub by_workstation: BTreeMap<String, usize>,
    pub by_logon_type: BTreeMap<u32, usize>,
    /// The first 4625 of each (account, status), and the disabled-account hits: the telling
    /// examples.
    pub examples: Vec<usize>,
    /// 4625s with 0xC0000072 per account.
    pub disabled: BTreeMap<String, Vec<usize>>,
    /// Failures counted past the caps ([`crate::eventlog::LogonCounts`]) whose workstation
    /// name was not told apart: the names are at least as many as `by_workstation` holds.
    pub workstations_uncounted: u64,
}

impl Tally {
    pub fn of(events: &[CatalogEvent], ks: &[usize]) -> Tally {
        let mut t = Tally {
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            ..Tally::default()
        };
        let mut seen: HashSet<(String, Option<u32>)> = HashSet::new();
        let mut seen_nla: HashSet<Option<String>> = HashSet::new();
        for &k in ks {
            let e = &events[k];
            t.first_ns = t.first_ns.min(e.time_ns);
            t.last_ns = t.last_ns.max(e.time_ns);
            if e.id == 140 {
                // The first of each address shows what RdpCoreTS logged.
                let ip = crate::correlate::event_client(e).map(|(ip, _)| ip);
                if seen_nla.insert(ip) {
                    t.examples.push(k);
                }
                t.nla_failures += 1;
                continue;
            }
            if e.id != 4625 {
                continue;
            }
            t.failures += 1;
            let who = e.account().unwrap_or_else(|| "(no account)".into());
            let why = e.failure_status();
            *t.by_account
                .entry(who.clone())
                .or_default()
                .entry(why)
                .or_default() += 1;
            if let Some((ip, _)) = crate::correlate::event_client(e) {
                *t.by_source.entry(ip).or_default() += 1;
            }
            if let Some(w) = e.field("WorkstationName") {
                *t.by_workstation.entry(w.to_string()).or_default() += 1;
            }
            if let Some(lt) = e.logon_type() {
                *t.by_logon_type.entry(lt).or_default() += 1;
            }
            if why == Some(0xC000_0072) {
                t.disabled.entry(who.clone()).or_default().push(k);
            }
            if seen.insert((who, why)) {
                t.examples.push(k);
            }
        }
        t
    }

    /// Adds the failures of `address` counted past the caps. Those of other event rules
    /// (0xC000015B, 0xC0000133: findings of their own) are left out, as for kept events.
    pub fn add_counts(&mut self, address: &str, c: &crate::eventlog::FailureCounts) {
        let mut added = 0u64;
        for ((who, why, logon_type), &n) in &c.by_kind {
            if matches!(why, Some(0xC000_015B | 0xC000_0133)) {
                continue;
            }
            let who = if who.is_empty() { "(no account)" } else { who };
            *self
                .by_account
                .entry(who.to_string())
                .or_default()
                .entry(*why)
                .or_default() += n as usize;
            if let Some(lt) = logon_type {
                *self.by_logon_type.entry(*lt).or_default() += n as usize;
            }
            added += n;
        }
        if c.other_kinds > 0 {
            *self
                .by_account
                .entry("(other accounts)".to_string())
                .or_default()
                .entry(None)
                .or_default() += c.other_kinds as usize;
            added += c.other_kinds;
        }
        if added == 0 {
            return;
        }
        self.failures += added as usize;
        *self.by_source.entry(address.to_string()).or_default() += added as usize;
        for (w, &n) in &c.workstations {
            *self.by_workstation.entry(w.clone()).or_default() += n as usize;
        }
        self.workstations_uncounted += c.other_workstations;
        self.first_ns = self.first_ns.min(c.first_ns);
        self.last_ns = self.last_ns.max(c.last_ns);
    }

    /// Adds the failed NLA logons (RdpCoreTS 140) of `address` counted past the caps.
    pub fn add_nla_counts(&mut self, address: &str, c: &crate::eventlog::FailureCounts) {
        if c.nla_failures == 0 {
            return;
        }
        self.nla_failures += c.nla_failures as usize;
        *self.by_source.entry(address.to_string()).or_default() += c.nla_failures as usize;
        self.first_ns = self.first_ns.min(c.first_ns);
        self.last_ns = self.last_ns.max(c.last_ns);
    }

    /// Accounts tried.
    pub fn accounts(&self) -> usize {
        self.by_account.len()
    }

    /// Whether only network logons (type 3) failed.
    pub fn network_only(&self) -> bool {
        !self.by_logon_type.is_empty() && self.by_logon_type.keys().all(|&t| t == 3)
    }

    /// Failures a second over the group's span.
    pub fn per_second(&self) -> f64 {
        let n = self.failures.max(self.nla_failures);
        let span = self.last_ns.saturating_sub(self.first_ns) as f64 / 1e9;
        if n < 2 || span <= 0.0 {
            0.0
        } else {
            (n - 1) as f64 / span
        }
    }

    /// `administrator ×117 (wrong password), admin ×3 (no such user) …`.
    pub fn accounts_words(&self, top: usize) -> String {
        let mut list: Vec<(&String, usize)> = self
            .by_account
            .iter()
            .map(|(a, s)| (a, s.values().sum()))
            .collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        // One more is named rather than counted.
        let top = if list.len() == top + 1 { top + 1 } else { top };
        let mut parts: Vec<String> = list
            .iter()
            .take(top)
            .map(|(a, n)| {
                let statuses = &self.by_account[*a];
                let why: Vec<String> = if statuses.len() == 1 {
                    vec![reason_words(*statuses.keys().next().unwrap_or(&None))]
                } else {
                    let mut s: Vec<(&Option<u32>, &usize)> = statuses.iter().collect();
                    s.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
                    s.iter()
                        .map(|(c, n)| format!("{} {}", reason_words(**c), times(**n)))
                        .collect()
                };
                format!("{} {} ({})", shown_name(a), times(*n), why.join(", "))
            })
            .collect();
        if list.len() > top {
            let rest: usize = list[top..].iter().map(|(_, n)| n).sum();
            let more = list.len() - top;
            parts.push(format!(
                "{} more account{} {}",
                thousands(more),
                if more == 1 { "" } else { "s" },
                times(rest)
            ));
        }
        parts.join(", ")
    }
}

/// Which spaces a name as written has around it, when it has any.
fn edge_spaces(account: &str) -> Option<&'static str> {
    let name = account.rsplit_once('\\').map_or(account, |(_, n)| n);
    match (name.starts_with(' '), name.ends_with(' ')) {
        _ if name.trim().is_empty() => None,
        (true, true) => Some("leading and trailing spaces"),
        (true, false) => Some("a leading space"),
        (false, true) => Some("a trailing space"),
        (false, false) => None,
    }
}

/// What a log-only logon group says, worded: the sentence after the server's name, extra
/// evidence lines, whether the group is password guessing, and the fixes.
pub struct LogonWords {
    /// Failures counted (kept and past the caps).
    pub count: usize,
    /// When the first and the last of them were logged (ns since the epoch).
    pub first_ns: i64,
    pub last_ns: i64,
    pub summary: String,
    pub notes: Vec<String>,
    pub guessing: bool,
    /// True when every account that failed logged on afterwards from the same address.
    pub all_got_in: bool,
    pub rdp: bool,
    pub remediation: Vec<String>,
    /// The events to show as examples, in time order.
    pub examples: Vec<usize>,
}

/// Failures from one address on the internet after which it is taken for guessing.
pub const GUESSING_FROM_ONE_ADDRESS: usize = 20;

/// Words for one group of failed logons on `server` from `sources` (one address or the
/// label of many), `many` when many addresses were merged.
#[allow(clippy::too_many_arguments)]
pub fn logon_words(
    events: &[CatalogEvent],
    ks: &[usize],
    server: &str,
    source_label: &str,
    many: bool,
    internet: bool,
    (extra, nla): (&[(&str, &crate::eventlog::FailureCounts)], bool),
    rdp_sources: &RdpSources,
    logons: &Logons,
) -> LogonWords {
    let mut t = Tally::of(events, ks);
    for (address, counts) in extra {
        if nla {
            t.add_nla_counts(address, counts);
        }
        t.add_counts(address, counts);
    }
    let n = t.failures.max(t.nla_failures);
    let rdp_why = if t.nla_failures > 0 {
        Some("RdpCoreTS 140 logged the same failures")
    } else if t.by_logon_type.keys().any(|lt| matches!(lt, 10 | 12)) {
        Some("the logons are of type 10 (RemoteInteractive)")
    } else {
        t.by_source
            .keys()
            .find_map(|ip| rdp_sources.why(server, ip))
            .map(|why| match why {
                RdpEvidence::ServerEvents => "the server's RDP events (RdpCoreTS 140, RCM 1149 or a logon of type 10) name the same address",
                RdpEvidence::Capture => "a captured RDP connection comes from the same address",
            })
    };
    let s = if n == 1 { "" } else { "s" };
    let kind = match (rdp_why.is_some(), t.network_only()) {
        (true, _) => format!("RDP logon{s}"),
        (false, true) => {
            format!("network logon{s} (SMB or RDP NLA; the log cannot tell which)")
        }
        (false, false) => format!("logon{s}"),
    };
    // Many names from one address show a tool; one account from one workstation failing
    // fast is a client retrying a saved wrong password.
    let burst =
        n >= GUESSING_FROM_ONE_ADDRESS && (t.by_workstation.len() >= 5 || t.accounts() >= 5);
    let guessing = many || burst || (internet && n >= GUESSING_FROM_ONE_ADDRESS);

    // Accounts that logged on afterwards from the same address.
    let mut got_in: Vec<String> = Vec::new();
    let mut later: Vec<usize> = Vec::new();
    let single_source = (t.by_source.len() == 1)
        .then(|| t.by_source.keys().next().cloned())
        .flatten();
    let mut all_got_in = !t.by_account.is_empty();
    for who in t.by_account.keys() {
        match logons.after(server, who, single_source.as_deref(), t.last_ns) {
            Some(k) => {
                let e = &events[k];
                let typo = match edge_spaces(who) {
                    Some(which) => format!(
                        " — {} has {which}, which makes it another account: a typo",
                        shown_name(who)
                    ),
                    None => String::new(),
                };
                got_in.push(format!(
                    "{} then logged on from {} at {} ({}){typo}{}",
                    shown_name(&e.account().unwrap_or_default()),
                    crate::correlate::event_client(e)
                        .map(|(ip, _)| ip)
                        .unwrap_or_else(|| "?".into()),
                    e.time,
                    e.reference(),
                    if guessing {
                        ": the guessing may have succeeded"
                    } else {
                        ""
                    }
                ));
                later.push(k);
            }
            None => all_got_in = false,
        }
    }

    let from = if source_label.is_empty() {
        String::new()
    } else {
        format!(" from {source_label}")
    };
    let first = crate::model::time::rfc3339(t.first_ns);
    let when = if n == 1 {
        format!("at {first} (no capture covers it)")
    } else {
        let span = t.last_ns.saturating_sub(t.first_ns);
        let rate = rate_words(n, span)
            .map(|r| format!(", {r}"))
            .unwrap_or_default();
        format!(
            "between {first} and {} ({}{rate}; no capture covers it)",
            crate::model::time::rfc3339(t.last_ns),
            span_words(span)
        )
    };
    let mut summary = format!("rejected {} {kind}{from} {when}", thousands(n));
    if t.failures > 0 {
        summary.push_str(&format!(": {}", t.accounts_words(5)));
    }
    let most_used = t.by_workstation.values().max().copied().unwrap_or(0);
    if t.by_workstation.len() > 3 && most_used <= 2 {
        let some: Vec<String> = t
            .by_workstation
            .keys()
            .take(3)
            .map(|w| shown_name(w))
            .collect();
        summary.push_str(&format!(
            "; {}{} different workstation names, none used more than {} (such as {}): made up by a tool",
            if t.workstations_uncounted > 0 { "at least " } else { "" },
            thousands(t.by_workstation.len()),
            if most_used == 1 { "once" } else { "twice" },
            some.join(", ")
        ));
    } else if t.by_workstation.len() > 3 {
        summary.push_str(&format!(
            "; {} workstation names ({})",
            thousands(t.by_workstation.len()),
            ranked(&t.by_workstation, 3, "names")
        ));
    } else if !t.by_workstation.is_empty() && !many {
        let names: Vec<String> = t.by_workstation.keys().map(|w| shown_name(w)).collect();
        summary.push_str(&format!("; workstation {}", names.join(", ")));
    }
    if t.nla_failures > 0 && t.failures > 0 {
        summary.push_str(&format!(
            "; RdpCoreTS 140 logged {} failed NLA logons",
            thousands(t.nla_failures)
        ));
    } else if t.nla_failures > 0 {
        summary.push_str(": RdpCoreTS 140, NLA failed (user name or password incorrect); no Security 4625 read says which account or why");
    }
    let mut notes = Vec::new();
    for (who, hits) in &t.disabled {
        // Counted with those past the caps; the records named are kept ones.
        let all = t
            .by_account
            .get(who)
            .and_then(|s| s.get(&Some(0xC000_0072)))
            .copied()
            .unwrap_or(hits.len());
        notes.push(format!(
            "{} of these on {} got 0xC0000072 (account disabled): Windows checks the password before it says an account is disabled, so the password tried was right ({})",
            thousands(all),
            shown_name(who),
            hits.iter()
                .take(5)
                .map(|&k| events[k].reference())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // RdpCoreTS 140s alone have said it already.
    if guessing && t.failures > 0 {
        notes.push(match rdp_why {
            Some(why) => format!("these came over RDP: {why}"),
            None => "nothing shows RDP: no RdpCoreTS 140, RCM 1149 or logon of type 10 from these addresses, and no capture of them".into(),
        });
    }
    notes.extend(got_in.iter().cloned());

    let remediation = if guessing {
        let mut fix = super::rules::remedy_of(Remedy::PasswordGuessing).0;
        if rdp_why.is_none() {
            fix.insert(0, "Nothing shows these logons came over RDP: a network logon is SMB's (TCP 445) as much as RDP NLA's. Block both from the internet, and find which service the address reached (the firewall's log, a capture on 445 and 3389).".to_string());
        }
        fix
    } else {
        let mut fixes: Vec<String> = Vec::new();
        let mut done: BTreeSet<u32> = BTreeSet::new();
        for (who, statuses) in &t.by_account {
            for code in statuses.keys().flatten() {
                if done.insert(*code)
                    && let Some(f) = status_fix(*code, Some(who))
                {
                    fixes.push(f);
                }
            }
        }
        for who in t.by_account.keys() {
            if let Some(which) = edge_spaces(who) {
                fixes.insert(
                    0,
                    format!(
                        "Correct the user name: {} has {which}, which makes it another account than {}. Fix it where it is typed or saved (the .rdp file's `username:s:`, Credential Manager).",
                        shown_name(who),
                        trim_account(who)
                    ),
                );
            }
        }
        if fixes.is_empty() {
            super::rules::remedy_of(Remedy::NlaFailure).0
        } else {
            fixes
        }
    };
    let mut examples = t.examples.clone();
    for hits in t.disabled.values() {
        examples.extend(hits.iter().take(5));
    }
    examples.extend(later);
    examples.sort_by_key(|&k| (events[k].time_ns, k));
    examples.dedup();
    LogonWords {
        count: n,
        first_ns: t.first_ns,
        last_ns: t.last_ns,
        summary,
        notes,
        guessing,
        all_got_in: all_got_in && !guessing,
        rdp: rdp_why.is_some(),
        remediation,
        examples,
    }
}

/// One `account_locked_out` finding per lockout (4740), from its story
/// ([`crate::correlate::logons::lockout_stories`]): which account, when, the failures before
/// it, the attempts refused while it was locked, and who unlocked it. Returns the findings and
/// the events they hold (the failures before each lockout are its story, not a logon finding
/// of their own).
pub fn lockout_findings(events: &[CatalogEvent]) -> (Vec<Finding>, HashSet<usize>) {
    let mut out = Vec::new();
    let mut held = HashSet::new();
    for story in lockout_stories(events) {
        out.push(lockout_finding(
            events,
            story.lockout,
            &story.before,
            &story.while_locked,
            story.unlock,
        ));
        held.insert(story.lockout);
        held.extend(
            story
                .before
                .iter()
                .chain(&story.while_locked)
                .chain(story.unlock.iter()),
        );
    }
    (out, held)
}

/// The finding of one lockout, from its events (see [`lockout_findings`]).
fn lockout_finding(
    events: &[CatalogEvent],
    k: usize,
    before: &[usize],
    while_locked: &[usize],
    unlock: Option<usize>,
) -> Finding {
    let e = &events[k];
    let account = e.account().unwrap_or_default();
    let name = shown_name(e.fields.get("TargetUserName").unwrap_or_default());
    let caller = e.field("TargetDomainName");
    let tally = Tally::of(events, before);
    let failed_4625 = before.iter().filter(|&&i| events[i].id == 4625).count();
    // The failures' account as they name it (with its domain), else the 4740's.
    let shown = tally
        .by_account
        .keys()
        .next()
        .map(|a| shown_name(a))
        .unwrap_or_else(|| shown_name(&account));
    let mut summary = format!(
        "Account {shown} was locked out on {} at {}",
        e.computer, e.time
    );
    if failed_4625 > 0 {
        let span = tally.last_ns.saturating_sub(tally.first_ns);
        let sources = match tally.by_source.len() {
            0 => String::new(),
            1 => format!(
                " from {}",
                tally.by_source.keys().next().cloned().unwrap_or_default()
            ),
            _ => format!(" from {}", ranked(&tally.by_source, 3, "addresses")),
        };
        let statuses: Vec<String> = {
            let mut all: BTreeMap<Option<u32>, usize> = BTreeMap::new();
            for s in tally.by_account.values() {
                for (c, n) in s {
                    *all.entry(*c).or_default() += n;
                }
            }
            let mut list: Vec<(Option<u32>, usize)> = all.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            list.iter()
                .map(|(c, n)| format!("{} {}", reason_words(*c), times(*n)))
                .collect()
        };
        summary.push_str(&format!(
            " after {} failed logon{} in {}{sources}{} ({})",
            thousands(failed_4625),
            if failed_4625 == 1 { "" } else { "s" },
            span_words(span),
            caller
                .map(|c| format!(", caller computer {c}"))
                .unwrap_or_default(),
            statuses.join(", ")
        ));
    } else if !before.is_empty() {
        summary.push_str(&format!(
            " after {} failed validations on this domain controller{}",
            before.len(),
            caller
                .map(|c| format!(" (caller computer {c})"))
                .unwrap_or_default()
        ));
    } else {
        summary.push_str(&format!(
            "{}; this log holds none of the failures that led to it (they are on the computer that validated them: the domain controller's 4771/4776, or the caller computer's 4625)",
            caller.map(|c| format!(" (caller computer {c})")).unwrap_or_default()
        ));
    }
    if !while_locked.is_empty() {
        summary.push_str(&format!(
            "; {} more attempt{} refused while it was locked (0xC0000234)",
            while_locked.len(),
            if while_locked.len() == 1 {
                " was"
            } else {
                "s were"
            }
        ));
    }
    let severity = match unlock {
        Some(u) => {
            let u = &events[u];
            summary.push_str(&format!(
                "; {} unlocked it at {} ({})",
                match (u.field("SubjectDomainName"), u.field("SubjectUserName")) {
                    (Some(d), Some(n)) => format!("{d}\\{n}"),
                    (None, Some(n)) => n.to_string(),
                    _ => "someone".to_string(),
                },
                u.time,
                u.reference()
            ));
            Severity::Warning
        }
        None => {
            summary.push_str("; no unlock (4767) follows in these logs");
            Severity::Error
        }
    };
    summary.push('.');
    let mut ks: Vec<usize> = before.to_vec();
    ks.push(k);
    ks.extend(while_locked);
    ks.extend(unlock);
    ks.sort_by_key(|&i| (events[i].time_ns, i));
    let mut shown_examples: Vec<usize> = tally.examples.clone();
    shown_examples.push(k);
    shown_examples.extend(while_locked.first());
    shown_examples.extend(unlock);
    shown_examples.sort_by_key(|&i| (events[i].time_ns, i));
    let mut evidence: Vec<String> = shown_examples
        .iter()
        .map(|&i| super::rules::event_line(&events[i]))
        .collect();
    if ks.len() > shown_examples.len() {
        evidence.push(format!("… {} events in all (listed in `events`)", ks.len()));
    }
    let mut remediation = vec![format!(
        "Unlock {name} (Local Users and Groups, Active Directory Users and Computers, or `Unlock-ADAccount`), then find what keeps sending the wrong password from {}: a saved RDP credential (`cmdkey /list`, Credential Manager), a mapped drive, a service or scheduled task running as the account, a phone's mail client.",
        caller.unwrap_or("the caller computer")
    )];
    if tally.by_source.keys().any(|s| {
        s.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| super::rules::global_address(&ip))
    }) {
        remediation.push(
            super::rules::remedy_of(Remedy::PasswordGuessing)
                .0
                .join(" "),
        );
    }
    Finding {
        cause: Cause::AccountLockedOut,
        severity,
        confidence: Confidence::High,
        summary,
        attempt: None,
        connections: Vec::new(),
        events: ks.iter().map(|&i| events[i].reference()).collect(),
        evidence,
        remediation,
        collect_next: if before.is_empty() {
            vec!["the Security log of the domain controller that locked the account (4740, 4771, 4776) and of the caller computer it names".to_string()]
        } else {
            Vec::new()
        },
        server: None,
        clients: Vec::new(),
        first: None,
        last: None,
        count: 0,
        dialog: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(600_000), "600,000");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(
            rate_words(121, 6_000_000_000).as_deref(),
            Some("20.0 a second")
        );
        assert_eq!(
            rate_words(5, 40_000_000_000).as_deref(),
            Some("6.0 a minute")
        );
        assert_eq!(rate_words(2, 1), None);
        assert_eq!(span_words(40_370_000_000), "40.4 s");
        assert_eq!(trim_account("SRV\\carol "), "SRV\\carol");
    }
}
