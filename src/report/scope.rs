//! Scoping a report to what the user asked about (`--client`, `--server`, `--since`,
//! `--until`, `--cause`): the analysis runs on everything (a retry, a join or a sweep needs
//! its context), then the report keeps the connections, findings, events and timelines in
//! scope, says what it left out, and its verdict is said again from what stays.
//!
//! A finding is in scope by its structured fields (`server`, `clients`, `first`, `last`), a
//! connection by its addresses and times, an event by its computer, the client address it
//! names and its time. With `--cause`, the events kept are those the kept findings cite.

use std::collections::HashSet;

use serde::Serialize;

use super::Report;

/// What the user scoped the report to; `None` fields do not narrow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// A client address.
    pub client: Option<String>,
    /// A server address or computer name (case ignored).
    pub server: Option<String>,
    /// From this time on (RFC 3339 UTC when written).
    pub since: Option<String>,
    /// Up to this time.
    pub until: Option<String>,
    /// A cause (`nla_failure`).
    pub cause: Option<crate::model::Cause>,
    #[serde(skip)]
    pub since_ns: Option<i64>,
    #[serde(skip)]
    pub until_ns: Option<i64>,
}

impl Scope {
    /// Whether it narrows anything.
    pub fn is_empty(&self) -> bool {
        self.client.is_none()
            && self.server.is_none()
            && self.since_ns.is_none()
            && self.until_ns.is_none()
            && self.cause.is_none()
    }

    /// A time as users write it: RFC 3339 (`2026-11-22T03:42:00Z`, an offset, or none for
    /// UTC), or a date and time (`2026-11-22 03:42`, `2026-11-22`), taken as UTC.
    pub fn parse_time(raw: &str) -> Result<i64, String> {
        let t = raw.trim();
        let padded = match t.len() {
            10 => format!("{t}T00:00:00Z"),
            16 => format!("{t}:00Z"),
            _ => t.to_string(),
        };
        crate::eventlog::parse_time(&padded).ok_or_else(|| {
            format!(
                "{raw:?} is not a time (write 2026-11-22T03:42:00Z, 2026-11-22 03:42 or 2026-11-22)"
            )
        })
    }

    fn in_time(&self, first_ns: i64, last_ns: i64) -> bool {
        self.since_ns.is_none_or(|s| last_ns >= s) && self.until_ns.is_none_or(|u| first_ns <= u)
    }

    fn server_is(&self, address_or_name: &str) -> bool {
        self.server.as_deref().is_none_or(|want| {
            let host = address_or_name
                .rsplit_once(':')
                .filter(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok() && !h.ends_with(':'))
                .map_or(address_or_name, |(h, _)| h)
                .trim_matches(['[', ']']);
            host.eq_ignore_ascii_case(want) || address_or_name.eq_ignore_ascii_case(want)
        })
    }

    fn client_is(&self, address: Option<&str>) -> bool {
        self.client
            .as_deref()
            .is_none_or(|want| address.is_some_and(|a| a.eq_ignore_ascii_case(want)))
    }
}

impl Scope {
    /// Whether an event is in scope: its server (the computer that logged it, or the server
    /// a client's log names), the client address it names (or the client's own computer),
    /// and its time.
    pub fn keeps_event(&self, e: &crate::eventlog::CatalogEvent) -> bool {
        let client_side = e.side == Some(crate::eventlog::catalog::LogSide::Client);
        let (server, client) = if client_side {
            (
                crate::correlate::event_server(e),
                Some(e.computer.to_string()),
            )
        } else {
            (
                Some(e.computer.to_string()),
                crate::correlate::event_client(e).map(|(a, _)| a),
            )
        };
        (self.client.is_none() || self.client_is(client.as_deref()))
            && (self.server.is_none() || server.as_deref().is_some_and(|s| self.server_is(s)))
            && self.in_time(e.time_ns, e.time_ns)
    }
}

fn ns_of(t: Option<&str>) -> Option<i64> {
    t.and_then(crate::eventlog::parse_time)
}

/// Keeps what is in scope; returns the line that says what was left out (none when the
/// scope is empty).
pub fn narrow(report: &mut Report, scope: &Scope) -> Option<String> {
    if scope.is_empty() {
        return None;
    }
    let before = (
        report.connections.len(),
        report.findings.len(),
        report.events.len(),
        report.timelines.len(),
    );
    report.connections.retain(|c| {
        scope.client_is(Some(&c.client.ip.to_string()))
            && scope.server_is(&c.server.to_string())
            && (!c.timed || scope.in_time(c.start_ns, c.end_ns))
            && scope.cause.is_none_or(|x| c.cause == Some(x))
    });
    let kept_conns: HashSet<String> = report
        .connections
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    report.findings.retain(|f| {
        let by_conn = !f.connections.is_empty();
        let in_conns = f.connections.iter().any(|id| kept_conns.contains(id));
        let first = ns_of(f.first.as_deref());
        let last = ns_of(f.last.as_deref()).or(first);
        let fields = scope.cause.is_none_or(|x| f.cause == x)
            && f.server.as_deref().is_none_or(|s| scope.server_is(s))
            && (scope.server.is_none() || f.server.is_some())
            && (scope.client.is_none() || f.clients.iter().any(|c| scope.client_is(Some(c))))
            && match (first, last) {
                (Some(a), Some(b)) => scope.in_time(a, b),
                _ => true,
            };
        if by_conn { in_conns && fields } else { fields }
    });
    if scope.cause.is_some() {
        let cited: HashSet<(std::sync::Arc<str>, u64)> = crate::eventlog::referenced(
            &report.events,
            report
                .findings
                .iter()
                .flat_map(|f| f.events.iter().map(String::as_str)),
        )
        .into_values()
        .map(|e| (e.input.clone(), e.record_id))
        .collect();
        report
            .events
            .retain(|e| cited.contains(&(e.input.clone(), e.record_id)));
        // Events past the caps are cited by no finding.
        report.more_events = super::MoreEvents::default();
    } else {
        report.events.retain(|e| scope.keeps_event(e));
        let more = std::mem::take(&mut report.more_events);
        let kept = scope.clone();
        report.more_events = super::MoreEvents::new(move |sink| {
            more.for_each(&mut |mut batch| {
                batch.retain(|e| kept.keeps_event(e));
                if batch.is_empty() {
                    Ok(())
                } else {
                    sink(batch)
                }
            })
        });
    }
    report.timelines.retain(|t| {
        let (a, b) = (ns_of(Some(&t.start)), ns_of(Some(&t.end)));
        scope.server_is(&t.server)
            && (scope.client.is_none() || scope.client_is(t.client.as_deref()))
            && match (a, b) {
                (Some(a), Some(b)) => scope.in_time(a, b),
                _ => true,
            }
            && (scope.cause.is_none() || !t.events.is_empty())
    });
    report.verdict = crate::diagnose::answer::answer(&report.findings);
    let mut asked = Vec::new();
    if let Some(c) = &scope.client {
        asked.push(format!("client {c}"));
    }
    if let Some(s) = &scope.server {
        asked.push(format!("server {s}"));
    }
    if let Some(s) = &scope.since {
        asked.push(format!("since {s}"));
    }
    if let Some(u) = &scope.until {
        asked.push(format!("until {u}"));
    }
    if let Some(c) = scope.cause {
        asked.push(format!("cause {c}"));
    }
    Some(format!(
        "Scoped to {}: {} of {} connections, {} of {} findings, {} of {} events, {} of {} timelines kept (the analysis read everything).",
        asked.join(", "),
        report.connections.len(),
        before.0,
        report.findings.len(),
        before.1,
        report.events.len(),
        before.2,
        report.timelines.len(),
        before.3
    ))
}
