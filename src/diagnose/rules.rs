//! Findings: what went wrong, from the connections and events of one report.
//!
//! One finding per failed connection attempt (the cause of its furthest connection,
//! `REPORT.md`), with the events joined to it (`correlate::join_events`) as evidence, and one
//! per problem a Windows log shows that no capture covers (`REPORT.md`'s extra cause names).
//! What each cause means, which events agree with or contradict it, and its fix are data:
//! [`RULES`] and [`EVENT_RULES`], whose remediation and what-to-collect come from the
//! knowledge table of [`super::explain::CAUSES`] (`reference/remedies.md`).

use std::collections::BTreeMap;

use crate::correlate::Joined;
use crate::report::{ConnectionReport, EventReport, Finding};

use super::explain::{CAUSES, Cause};

/// What a cause of a connection means for a finding.
pub struct Rule {
    /// The connection's cause (`REPORT.md`).
    pub cause: &'static str,
    /// The row of [`CAUSES`] with its fix and what to collect next.
    pub knowledge: &'static str,
    /// Event ids that, joined to the attempt, confirm the cause.
    pub agree: &'static [u32],
    /// Event ids that, joined to the attempt, contradict it.
    pub contradict: &'static [u32],
}

/// Capture causes → knowledge and events.
pub const RULES: &[Rule] = &[
    Rule {
        cause: "tcp_no_answer",
        knowledge: "firewall_drop",
        agree: &[5152, 5157],
        contradict: &[131, 1149],
    },
    Rule {
        cause: "tcp_refused",
        knowledge: "nothing_listening",
        agree: &[],
        contradict: &[131, 1149],
    },
    Rule {
        cause: "icmp_unreachable",
        knowledge: "firewall_drop",
        agree: &[5152, 5157],
        contradict: &[1149],
    },
    Rule {
        cause: "negotiation_failure",
        knowledge: "security_layer_mismatch",
        agree: &[139],
        contradict: &[1149],
    },
    Rule {
        cause: "x224_rejected",
        knowledge: "security_layer_mismatch",
        agree: &[139],
        contradict: &[1149],
    },
    Rule {
        cause: "tls_alert",
        knowledge: "tls_mismatch",
        agree: &[36871, 36874, 36887, 36888],
        contradict: &[1149],
    },
    Rule {
        cause: "tls_aborted",
        knowledge: "server_certificate",
        agree: &[1057, 1058, 36870, 36871],
        contradict: &[1149],
    },
    Rule {
        cause: "certificate_rejected",
        knowledge: "server_certificate",
        agree: &[1057, 1058, 36870],
        contradict: &[1149, 4624],
    },
    Rule {
        cause: "nla_failure",
        knowledge: "nla_failure",
        agree: &[4625, 140, 4771, 4776, 4825],
        contradict: &[1149, 4624],
    },
    Rule {
        cause: "server_denied",
        knowledge: "server_denied",
        agree: &[50, 56, 97, 102, 103, 40],
        contradict: &[],
    },
    Rule {
        cause: "packet_loss",
        knowledge: "packet_loss",
        agree: &[],
        contradict: &[],
    },
    Rule {
        cause: "timeout",
        knowledge: "packet_loss",
        agree: &[],
        contradict: &[],
    },
];

/// A problem an event shows on its own.
pub struct EventRule {
    pub cause: &'static str,
    pub ids: &'static [u32],
    pub severity: &'static str,
    pub knowledge: &'static str,
    /// What the events say, for the summary.
    pub what: &'static str,
}

/// Event-log-only causes (`REPORT.md`), first matching row wins.
pub const EVENT_RULES: &[EventRule] = &[
    EventRule {
        cause: "certificate_renewal_failed",
        ids: &[1057, 1058],
        severity: "warning",
        knowledge: "server_certificate",
        what: "could not create or replace its self-signed RDP certificate",
    },
    EventRule {
        cause: "private_key_inaccessible",
        ids: &[36870],
        severity: "error",
        knowledge: "server_certificate",
        what: "could not use the private key of its TLS server certificate",
    },
    EventRule {
        cause: "tls_protocol_mismatch",
        ids: &[36871, 36874],
        severity: "error",
        knowledge: "tls_mismatch",
        what: "found no TLS version or cipher suite in common with a client",
    },
    EventRule {
        cause: "logon_right_missing",
        ids: &[4825],
        severity: "error",
        knowledge: "logon_right",
        what: "denied a user who may not log on through Remote Desktop",
    },
    EventRule {
        cause: "logon_failed",
        ids: &[4625],
        severity: "warning",
        knowledge: "nla_failure",
        what: "rejected logons",
    },
    EventRule {
        cause: "firewall_blocked",
        ids: &[5152, 5157],
        severity: "error",
        knowledge: "firewall_drop",
        what: "dropped inbound packets to the RDP port (Windows Filtering Platform)",
    },
];

fn knowledge(id: &str) -> Option<&'static Cause> {
    CAUSES.iter().find(|c| c.id == id)
}

fn remedy(id: &str) -> (Vec<String>, Vec<String>) {
    match knowledge(id) {
        Some(k) => (
            vec![k.fix.to_string()],
            k.collect.iter().map(|s| s.to_string()).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    }
}

const LEVELS: [&str; 3] = ["low", "medium", "high"];

fn shift(level: &str, by: i32) -> &'static str {
    let at = LEVELS.iter().position(|l| *l == level).unwrap_or(0) as i32;
    LEVELS[(at + by).clamp(0, 2) as usize]
}

fn host(endpoint: &str) -> &str {
    endpoint
        .rsplit_once(':')
        .map(|(h, _)| h.trim_matches(['[', ']']))
        .unwrap_or(endpoint)
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
pub fn event_line(e: &EventReport) -> String {
    let mut line = format!("{}: {} {}: {}", e.reference(), e.provider, e.id, e.summary);
    for (k, v) in &e.decoded {
        let name = v.split(':').next().unwrap_or(v);
        if !e.summary.contains(name) {
            line.push_str(&format!("; {k} {v}"));
        }
    }
    line
}

/// The `frame N: …` lines of one connection, from its stages, TLS facts and TCP ends.
fn connection_lines(c: &ConnectionReport, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let n = &c.network;
    // SYNs retransmitted before the answer (an unanswered SYN is the failed stage's line).
    if c.reached.is_some()
        && n.syn_retries > 0
        && let Some(s) = c.stages.iter().find(|s| s.stage == "tcp")
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
    if let Some(neg) = c.negotiation.as_ref().map(|b| b.value())
        && let Some(f) = neg.get("failure").and_then(|v| v.as_str())
    {
        out.push(format!("{prefix}X.224 negotiation failed: {f}"));
    }
    let tls = c.tls.as_ref().map(|b| b.value());
    if let Some(cert) = tls
        .as_ref()
        .and_then(|t| t.get("certificate"))
        .filter(|v| v.is_object())
    {
        let s = |k: &str| {
            cert.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string()
        };
        let mut line = format!(
            "{prefix}frame {}: server certificate {} (issuer {}), valid {} to {}",
            cert.get("frame").and_then(|v| v.as_u64()).unwrap_or(0),
            s("subject"),
            s("issuer"),
            s("not_before"),
            s("not_after")
        );
        if cert.get("expired_at_capture").and_then(|v| v.as_bool()) == Some(true) {
            line.push_str(", expired at capture time");
        }
        if cert.get("self_signed").and_then(|v| v.as_bool()) == Some(true) {
            line.push_str(", self-signed");
        }
        out.push(line);
    }
    if let Some(alerts) = tls
        .as_ref()
        .and_then(|t| t.get("alerts"))
        .and_then(|v| v.as_array())
    {
        for a in alerts {
            let g = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let desc = a.get("description").and_then(|v| v.as_str());
            out.push(format!(
                "{prefix}frame {}: {} sent {} TLS alert{}",
                a.get("frame").and_then(|v| v.as_u64()).unwrap_or(0),
                g("from"),
                g("level"),
                desc.map(|d| format!(" {d}")).unwrap_or_default()
            ));
        }
    }
    for s in c.stages.iter().filter(|s| s.status == "failed") {
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

fn progress(c: &ConnectionReport) -> usize {
    c.reached
        .and_then(|s| crate::handshake::STAGES.iter().position(|x| *x == s))
        .map(|p| p + 1)
        .unwrap_or(0)
}

/// The findings of a report.
pub fn findings(
    conns: &[ConnectionReport],
    events: &[EventReport],
    joined: &Joined,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // Connections by attempt, in report order.
    let mut attempts: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, c) in conns.iter().enumerate() {
        let a = c.attempt.clone().unwrap_or_else(|| c.id.clone());
        match index.get(&a) {
            Some(&at) => attempts[at].1.push(i),
            None => {
                index.insert(a.clone(), attempts.len());
                attempts.push((a, vec![i]));
            }
        }
    }
    for (attempt, members) in &attempts {
        if members.iter().any(|&i| conns[i].verdict == Some("ok")) {
            continue;
        }
        // The connection that got furthest (the last of those), not superseded.
        let Some(&best) = members
            .iter()
            .filter(|&&i| conns[i].superseded_by.is_none())
            .max_by_key(|&&i| (progress(&conns[i]), i))
        else {
            continue;
        };
        let c = &conns[best];
        // An unfinished connection (`incomplete`) is not a failure: the table shows it.
        let (Some(verdict @ "failed"), Some(cause)) = (c.verdict, c.cause) else {
            continue;
        };
        let rule = RULES.iter().find(|r| r.cause == cause);
        let mut evs: Vec<usize> = members
            .iter()
            .flat_map(|&i| joined.by_connection[i].iter().copied())
            .collect();
        evs.sort_unstable();
        evs.dedup();
        let mut confidence = c.confidence.unwrap_or("low");
        let agreeing: Vec<&EventReport> = evs
            .iter()
            .map(|&k| &events[k])
            .filter(|e| rule.is_some_and(|r| r.agree.contains(&e.id)))
            .collect();
        let contradicting: Vec<&EventReport> = evs
            .iter()
            .map(|&k| &events[k])
            .filter(|e| rule.is_some_and(|r| r.contradict.contains(&e.id)))
            .collect();
        if !agreeing.is_empty() {
            confidence = shift(confidence, 1);
        }
        if !contradicting.is_empty() {
            confidence = shift(confidence, -1);
        }
        let many = members.len() > 1;
        let mut evidence = Vec::new();
        for &i in members {
            if many && i != best && conns[i].cause == c.cause {
                // The other tries of the attempt, one line each.
                evidence.push(format!(
                    "{} (same attempt, same cause): {}",
                    conns[i].id, conns[i].summary
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
        evidence.extend(evs.iter().map(|&k| event_line(&events[k])));
        for e in &contradicting {
            evidence.push(format!("{} contradicts this: {}", e.reference(), e.summary));
        }
        let (remediation, collect_next) = rule
            .map(|r| remedy(r.knowledge))
            .unwrap_or_else(|| remedy(""));
        let stage = c.failed_stage.unwrap_or("?");
        let tries = if many {
            format!(" ({} connections)", members.len())
        } else {
            String::new()
        };
        let mut summary = format!(
            "RDP from {} to {} at {}{tries} {} at the {stage} stage ({cause}): {}",
            host(&c.client),
            c.server,
            members
                .iter()
                .filter_map(|&i| conns[i].start.as_deref())
                .min()
                .unwrap_or("?"),
            if verdict == "failed" {
                "failed"
            } else {
                "stopped, unfinished,"
            },
            c.summary
        );
        if !agreeing.is_empty() {
            let mut ids: Vec<String> = agreeing
                .iter()
                .map(|e| format!("{} {}", e.computer, e.id))
                .collect();
            ids.sort();
            ids.dedup();
            summary.push_str(&format!("; the logs agree ({})", ids.join(", ")));
        }
        summary.push('.');
        out.push(Finding {
            cause,
            severity: if verdict == "failed" {
                "error"
            } else {
                "warning"
            },
            confidence,
            summary,
            attempt: Some(attempt.clone()),
            connections: members.iter().map(|&i| conns[i].id.clone()).collect(),
            events: evs.iter().map(|&k| events[k].reference()).collect(),
            evidence,
            remediation,
            collect_next,
        });
    }
    out.extend(event_findings(events, joined));
    out
}

/// Findings from events no connection of the run explains, one per cause, computer and
/// client address.
fn event_findings(events: &[EventReport], joined: &Joined) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, String, String), Vec<usize>> = BTreeMap::new();
    for (k, e) in events.iter().enumerate() {
        if joined.joined.get(k).copied().unwrap_or(false) {
            continue;
        }
        let Some(r) = EVENT_RULES.iter().position(|r| r.ids.contains(&e.id)) else {
            continue;
        };
        if matches!(e.id, 5152 | 5157)
            && e.fields.get("DestPort").map(|p| p.trim())
                != Some(crate::eventlog::catalog::RDP_PORT)
        {
            continue;
        }
        let mut rule = r;
        if e.id == 4625 {
            let st = |k: &str| {
                e.fields
                    .get(k)
                    .map(|v| v.to_ascii_lowercase())
                    .unwrap_or_default()
            };
            if st("Status") == "0xc000015b" || st("SubStatus") == "0xc000015b" {
                rule = EVENT_RULES
                    .iter()
                    .position(|r| r.cause == "logon_right_missing")
                    .unwrap_or(r);
            }
        }
        let client = crate::correlate::event_client(e)
            .map(|(ip, _)| ip)
            .unwrap_or_default();
        groups
            .entry((rule, e.computer.clone(), client))
            .or_default()
            .push(k);
    }
    let mut out = Vec::new();
    for ((r, computer, client), ks) in groups {
        let rule = &EVENT_RULES[r];
        let first = &events[ks[0]];
        let last = &events[ks[ks.len() - 1]];
        let (remediation, collect_next) = remedy(rule.knowledge);
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
        out.push(Finding {
            cause: rule.cause,
            severity: rule.severity,
            confidence: "medium",
            summary: format!(
                "{computer} {}{from} {when} (no capture covers it): {}.",
                rule.what, first.summary
            ),
            attempt: None,
            connections: Vec::new(),
            events: ks.iter().map(|&k| events[k].reference()).collect(),
            evidence: ks.iter().map(|&k| event_line(&events[k])).collect(),
            remediation,
            collect_next,
        });
    }
    out
}
