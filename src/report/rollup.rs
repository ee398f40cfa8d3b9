//! The roll-up a busy report opens with, before its findings: connections by cause, then per
//! server its health (connections and failures by cause, the certificate's expiry in days at
//! the capture's time, the security protocol it selects or demands) and per client its
//! attempts; password guessing from the internet is said apart from users' own failures.
//! Counted from the report's connections and findings; shown only when there is more than
//! one finding or server to roll up.

use std::collections::BTreeMap;

use super::Report;
use super::text::plural;
use crate::model::{Cause, Verdict};

/// Servers and clients named one by one; the rest are counted.
const MAX_LISTED: usize = 8;

/// Health of one server, as its connections show it.
#[derive(Default)]
struct Server {
    connections: usize,
    failed: usize,
    causes: BTreeMap<Cause, usize>,
    /// The latest certificate seen: its expiry, and days from the capture's time to it.
    certificate: Option<(String, i64)>,
    /// Protocols the server selected, and failures it answered with.
    selected: BTreeMap<String, usize>,
    demanded: BTreeMap<String, usize>,
}

fn counts<K: std::fmt::Display>(map: &BTreeMap<K, usize>) -> String {
    let mut list: Vec<(&K, &usize)> = map.iter().collect();
    list.sort_by(|a, b| b.1.cmp(a.1));
    list.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The roll-up's lines, or none when there is nothing to roll up.
pub fn lines(report: &Report) -> Vec<String> {
    let mut servers: BTreeMap<String, Server> = BTreeMap::new();
    let mut clients: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_cause: BTreeMap<Cause, usize> = BTreeMap::new();
    let mut probes = 0usize;
    for c in &report.connections {
        // Probes are no attempt: counted apart.
        if c.cause == Some(Cause::Probe) {
            probes += 1;
            continue;
        }
        let s = servers.entry(c.server.to_string()).or_default();
        s.connections += 1;
        let failed = c.verdict == Some(Verdict::Failed);
        let client = clients.entry(c.client.ip.to_string()).or_default();
        client.0 += 1;
        if let Some(cause) = c.cause.filter(|_| failed) {
            s.failed += 1;
            *s.causes.entry(cause).or_default() += 1;
            *by_cause.entry(cause).or_default() += 1;
            client.1 += 1;
        }
        let d = c.detail();
        // From the written time: a spilled detail keeps its words, not its numbers.
        if let Some(cert) = d.tls.as_ref().and_then(|t| t.certificate.as_ref())
            && let Some(until_ns) = crate::eventlog::parse_time(&cert.info.not_after)
        {
            let days = (until_ns - c.start_ns).div_euclid(86_400_000_000_000);
            s.certificate = Some((cert.info.not_after.clone(), days));
        }
        if let Some(n) = &d.negotiation {
            if let Some(p) = &n.selected {
                *s.selected.entry(p.clone()).or_default() += 1;
            }
            if let Some(f) = &n.failure {
                *s.demanded.entry(f.clone()).or_default() += 1;
            }
        }
    }
    // Servers only the logs name, with their findings.
    let mut log_servers: BTreeMap<String, BTreeMap<Cause, u64>> = BTreeMap::new();
    let mut guessing: Vec<String> = Vec::new();
    for f in &report.findings {
        if f.cause == Cause::PasswordGuessing {
            guessing.push(format!(
                "{} on {} from {}",
                f.count,
                f.server.as_deref().unwrap_or("a server"),
                match f.clients.as_slice() {
                    [one] => one.clone(),
                    many => format!("{} addresses", many.len()),
                }
            ));
        }
        if f.connections.is_empty()
            && let Some(s) = &f.server
        {
            *log_servers
                .entry(s.clone())
                .or_default()
                .entry(f.cause)
                .or_default() += f.count.max(1);
        }
    }
    if report.findings.len() < 2 && servers.len() + log_servers.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !by_cause.is_empty() {
        out.push(format!(
            "failed connections by cause: {}",
            counts(&by_cause)
        ));
    }
    if probes > 0 {
        out.push(format!(
            "probes (port checks and scans, no RDP attempt): {probes} connection{}",
            plural(probes)
        ));
    }
    let mut listed: Vec<(&String, &Server)> = servers.iter().collect();
    listed.sort_by(|a, b| b.1.failed.cmp(&a.1.failed).then(a.0.cmp(b.0)));
    for (name, s) in listed.iter().take(MAX_LISTED) {
        let mut line = format!(
            "server {name}: {} connection{}",
            s.connections,
            plural(s.connections)
        );
        if s.failed > 0 {
            line.push_str(&format!(", {} failed ({})", s.failed, counts(&s.causes)));
        }
        if let Some((until, days)) = &s.certificate {
            let date = until.get(..10).unwrap_or(until);
            line.push_str(&if *days < 0 {
                format!(
                    "; certificate expired {date} ({} days before the capture)",
                    -days
                )
            } else {
                format!("; certificate valid until {date} ({days} days left at the capture)")
            });
        }
        if !s.demanded.is_empty() {
            line.push_str(&format!("; refused with {}", counts(&s.demanded)));
        }
        if !s.selected.is_empty() {
            line.push_str(&format!("; selected {}", counts(&s.selected)));
        }
        out.push(line);
    }
    if listed.len() > MAX_LISTED {
        out.push(format!("… {} more servers", listed.len() - MAX_LISTED));
    }
    for (name, causes) in log_servers.iter().take(MAX_LISTED) {
        let words: BTreeMap<Cause, usize> = causes.iter().map(|(c, n)| (*c, *n as usize)).collect();
        out.push(format!("server {name} (logs): {}", counts(&words)));
    }
    let mut busy: Vec<(&String, &(usize, usize))> = clients.iter().collect();
    busy.sort_by(|a, b| (b.1).1.cmp(&(a.1).1).then(a.0.cmp(b.0)));
    if clients.len() > 1 {
        out.push(format!(
            "clients: {}{}",
            busy.iter()
                .take(MAX_LISTED)
                .map(|(c, (n, f))| format!("{c} {n} connection{} ({f} failed)", plural(*n)))
                .collect::<Vec<_>>()
                .join(", "),
            if busy.len() > MAX_LISTED {
                format!(", {} more", busy.len() - MAX_LISTED)
            } else {
                String::new()
            }
        ));
    }
    if !guessing.is_empty() {
        out.push(format!(
            "password guessing, apart from users' own failures: {} failed logons ({})",
            report
                .findings
                .iter()
                .filter(|f| f.cause == Cause::PasswordGuessing)
                .map(|f| f.count)
                .sum::<u64>(),
            guessing.join("; ")
        ));
    }
    out
}
