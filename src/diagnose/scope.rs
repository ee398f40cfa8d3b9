//! The structured fields of a finding (`REPORT.md`: `server`, `clients`, `first`, `last`,
//! `count`), filled from what the finding names, so that a script groups log-only findings by
//! server without reading prose. A rule that knows better (a logon finding counts the
//! failures past the caps too) sets them itself; this fills only what is still empty.
//!
//! - From its connections: the server's address and port when all share one, each client
//!   address once, the earliest start and latest end, and the number of connections.
//! - Else from its events: the computer of server-side events (or the server a client's log
//!   named, RDPClient 1024), the client addresses the events carry (or, for a client's own
//!   log, its computer), the first and last event time, and the number of events.

use std::collections::{BTreeSet, HashMap};

use super::Finding;
use crate::correlate::{event_client, event_server};
use crate::eventlog::CatalogEvent;
use crate::eventlog::catalog::LogSide;
use crate::handshake::judged::JudgedConnection;
use crate::model::time::rfc3339;

/// Fills the empty structured fields of every finding.
pub fn fill(findings: &mut [Finding], conns: &[JudgedConnection], events: &[CatalogEvent]) {
    let conn_of: HashMap<String, &JudgedConnection> =
        conns.iter().map(|c| (c.id.to_string(), c)).collect();
    // Only the events some finding names are looked up.
    let event_of = crate::eventlog::referenced(
        events,
        findings
            .iter()
            .filter(|f| f.connections.is_empty())
            .flat_map(|f| f.events.iter().map(String::as_str)),
    );
    for f in findings {
        let listed: Vec<&JudgedConnection> = f
            .connections
            .iter()
            .filter_map(|id| conn_of.get(id).copied())
            .collect();
        if !listed.is_empty() {
            from_connections(f, &listed);
        } else {
            let named: Vec<&CatalogEvent> = f
                .events
                .iter()
                .filter_map(|r| event_of.get(r).copied())
                .collect();
            from_events(f, &named);
        }
    }
}

fn from_connections(f: &mut Finding, conns: &[&JudgedConnection]) {
    let servers: BTreeSet<String> = conns.iter().map(|c| c.server.to_string()).collect();
    if f.server.is_none() && servers.len() == 1 {
        f.server = servers.into_iter().next();
    }
    if f.clients.is_empty() {
        let ips: BTreeSet<std::net::IpAddr> = conns.iter().map(|c| c.client.ip).collect();
        f.clients = ips.iter().map(ToString::to_string).collect();
    }
    let timed = || conns.iter().filter(|c| c.timed);
    if f.first.is_none() {
        f.first = timed().map(|c| c.start_ns).min().map(rfc3339);
    }
    if f.last.is_none() {
        f.last = timed().map(|c| c.end_ns).max().map(rfc3339);
    }
    if f.count == 0 {
        f.count = conns.len() as u64;
    }
}

fn from_events(f: &mut Finding, events: &[&CatalogEvent]) {
    if events.is_empty() {
        return;
    }
    if f.server.is_none() {
        let servers: BTreeSet<String> = events
            .iter()
            .filter_map(|e| match e.side {
                Some(LogSide::Client) => event_server(e),
                _ => Some(e.computer.to_string()),
            })
            .collect();
        if servers.len() == 1 {
            f.server = servers.into_iter().next();
        }
    }
    if f.clients.is_empty() {
        let clients: BTreeSet<String> = events
            .iter()
            .filter_map(|e| match e.side {
                Some(LogSide::Client) => Some(e.computer.to_string()),
                _ => event_client(e).map(|(address, _)| address),
            })
            .filter(|c| !c.is_empty() && c != "-")
            .collect();
        f.clients = clients.into_iter().collect();
    }
    let timed = || events.iter().filter(|e| e.time_ns != 0).map(|e| e.time_ns);
    if f.first.is_none() {
        f.first = timed().min().map(rfc3339);
    }
    if f.last.is_none() {
        f.last = timed().max().map(rfc3339);
    }
    if f.count == 0 {
        f.count = events.len() as u64;
    }
}
