//! Every join and every time window, in one place ([`windows`]): the connections of one
//! attempt ([`group_attempts`]), events ↔ connections and the log hosts' clock offsets
//! ([`join_events`]), side traffic ↔ connections ([`attach_side`]), the session timelines
//! of the logs ([`timeline`]), and the events of all inputs in one order, each record once
//! ([`sort_events`], [`drop_copied_events`]). Joins say what belongs together; `diagnose` judges it.
//!
//! One click on "Connect" is often several TCP connections: mstsc's probe before it asks for
//! credentials, FreeRDP's retry after a failure, a fallback to another security protocol after
//! a negotiation failure (Zeek's `rdp-proprietary-encryption` trace). Connections from the
//! same client address to the same server, with the same cookie when both carry one, each
//! starting within [`ATTEMPT_GAP_NS`] of the previous one's end, form one attempt. The report
//! then says which connection of the attempt got furthest, so a reader looks at the one that
//! really failed.

pub mod logons;
pub mod timeline;
pub mod windows;

use std::collections::HashMap;

use serde::Serialize;

use crate::capture::decode::Endpoint;
use crate::eventlog::catalog::LogSide;
use crate::handshake::judged::{Break, JudgedConnection, Stop};
use crate::handshake::side::{SideEvent, SideKind};
use crate::model::{AttemptId, Cause, InputName, Stage, Verdict};
use windows::{ATTEMPT_GAP_NS, CERT_EVENT_WINDOW_NS, EVENT_SLACK_NS, SIDE_WINDOW_NS};

fn cookie(c: &JudgedConnection) -> Option<String> {
    c.detail().negotiation.as_ref()?.cookie.clone()
}

/// Assigns `attempt` ids (`a1`, `a2`… in report order) and, within attempts of several
/// connections, marks each connection that a later one of the same attempt went beyond.
///
/// Connections are sorted by (input, client host, server endpoint, start): an attempt is then
/// a run of that order, each connection joining the one just before it. Nothing is kept per
/// connection but its place in that order (no map of open attempts, no member lists: a flood
/// of 250,000 listed SYNs from as many hosts is 250,000 attempts). A probe (a port check, a
/// half-open scan: cause `probe`) is no RDP attempt: it belongs to none, and never makes the
/// connections around it one attempt.
pub fn group_attempts(conns: &mut [JudgedConnection]) {
    let Ok(n) = u32::try_from(conns.len()) else {
        return;
    };
    let key = |c: &JudgedConnection| (c.input, c.client.ip, c.server);
    let mut order: Vec<u32> = (0..n)
        .filter(|&i| conns[i as usize].cause != Some(Cause::Probe))
        .collect();
    order.sort_unstable_by(|&a, &b| {
        let (ca, cb) = (&conns[a as usize], &conns[b as usize]);
        key(ca)
            .cmp(&key(cb))
            .then(ca.start_ns.cmp(&cb.start_ns))
            .then(a.cmp(&b))
    });
    // Attempts as runs of `order`: (first connection in report order, run start, run end).
    let mut attempts: Vec<(u32, u32, u32)> = Vec::new();
    let mut run_start = 0usize;
    // The cookie of the connection before (read once: a spilled detail comes from disk).
    let mut previous_cookie: Option<Option<String>> = None;
    for k in 0..order.len() {
        let i = order[k] as usize;
        let mut joins = false;
        if k > 0 {
            let last = order[k - 1] as usize;
            if key(&conns[last]) == key(&conns[i]) {
                let last_cookie = previous_cookie
                    .take()
                    .unwrap_or_else(|| cookie(&conns[last]));
                let this_cookie = cookie(&conns[i]);
                let same_cookie = match (&this_cookie, &last_cookie) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                // After a session that ran, the next connection is a new session, not a retry.
                let after_success = conns[last].verdict == Some(Verdict::Ok);
                joins = same_cookie
                    && !after_success
                    && conns[i].start_ns - conns[last].end_ns <= ATTEMPT_GAP_NS;
                previous_cookie = Some(this_cookie);
            } else {
                previous_cookie = None;
            }
        }
        if !joins && k > 0 {
            attempts.push(run(&order, run_start, k));
            run_start = k;
        }
    }
    if !order.is_empty() {
        attempts.push(run(&order, run_start, order.len()));
    }
    // Numbered in report order of their first connection.
    attempts.sort_unstable();
    for (number, &(_, from, to)) in attempts.iter().enumerate() {
        let members = &order[from as usize..to as usize];
        // The connection that got furthest (the first of those): its place in the run, its
        // index, progress, id.
        let best = members
            .iter()
            .enumerate()
            .map(|(at, &i)| (at, i as usize))
            .max_by_key(|&(_, i)| (conns[i].reached, std::cmp::Reverse(i)))
            .map(|(at, b)| (at, b, conns[b].reached, conns[b].id));
        for (k, &i) in members.iter().enumerate() {
            let c = &mut conns[i as usize];
            c.attempt = Some(AttemptId(u32::try_from(number + 1).unwrap_or(u32::MAX)));
            c.attempt_connections = to - from;
            c.attempt_index = u32::try_from(k + 1).unwrap_or(u32::MAX);
            // Only a later connection is a retry of this one.
            if let Some((best_at, b, best_progress, best_id)) = best
                && b != i as usize
                && best_at > k
                && best_progress > c.reached
            {
                // `JudgedConnection::summary` says so.
                c.superseded_by = Some(best_id);
            }
        }
    }
}

/// The sessions that ran (verdict `ok`), per capture, client host and server, in start
/// order: whether, and by which session, a client got past a failure (binary search).
pub struct Sessions {
    by_pair: HashMap<(InputName, std::net::IpAddr, Endpoint), Vec<(i64, usize)>>,
}

impl Sessions {
    pub fn of(conns: &[JudgedConnection]) -> Sessions {
        let mut by_pair: HashMap<_, Vec<(i64, usize)>> = HashMap::new();
        for (i, c) in conns.iter().enumerate() {
            if c.verdict == Some(Verdict::Ok) {
                by_pair
                    .entry((c.input, c.client.ip, c.server))
                    .or_default()
                    .push((c.start_ns, i));
            }
        }
        for list in by_pair.values_mut() {
            list.sort_unstable();
        }
        Sessions { by_pair }
    }

    /// The first session of `c`'s client host to its server that started no earlier than
    /// `c` and within [`ATTEMPT_GAP_NS`] of `c`'s end: the client got past `c`'s failure.
    pub fn after(&self, c: &JudgedConnection) -> Option<usize> {
        let list = self.by_pair.get(&(c.input, c.client.ip, c.server))?;
        let at = list.partition_point(|&(start, _)| start < c.start_ns);
        list.get(at)
            .filter(|&&(start, _)| start - c.end_ns <= ATTEMPT_GAP_NS)
            .map(|&(_, i)| i)
    }

    /// The session by which the client got past an attempt (`members`, indices into
    /// `conns`): one of its own, else the first to follow its last-ending connection
    /// ([`Self::after`]); `None` when the attempt failed in the end.
    pub fn got_past(&self, conns: &[JudgedConnection], members: &[usize]) -> Option<usize> {
        members
            .iter()
            .copied()
            .find(|&i| conns[i].verdict == Some(Verdict::Ok))
            .or_else(|| {
                let last = members.iter().copied().max_by_key(|&i| conns[i].end_ns)?;
                self.after(&conns[last])
            })
    }

    /// How many attempts `conns` make, and how many of them failed in the end: one of their
    /// connections failed and the client never got past it ([`Self::got_past`]).
    pub fn attempts_failed_in_the_end(&self, conns: &[JudgedConnection]) -> (usize, usize) {
        let mut members: HashMap<AttemptId, Vec<usize>> = HashMap::new();
        for (i, c) in conns.iter().enumerate() {
            if let Some(a) = c.attempt {
                members.entry(a).or_default().push(i);
            }
        }
        let failed = members
            .values()
            .filter(|m| {
                m.iter().any(|&i| conns[i].verdict == Some(Verdict::Failed))
                    && self.got_past(conns, m).is_none()
            })
            .count();
        (members.len(), failed)
    }
}

/// One attempt: the run `order[from..to]`, with its first connection in report order.
fn run(order: &[u32], from: usize, to: usize) -> (u32, u32, u32) {
    let first = order[from..to].iter().copied().min().unwrap_or(0);
    (first, from as u32, to as u32)
}

/// How far one log host's clock is from the captures', from events joined to connections by
/// address and port (`offset_ms` = event time − capture time).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClockOffset {
    pub computer: String,
    pub offset_ms: f64,
    /// How many event/connection pairs gave it.
    pub pairs: usize,
}

/// Events joined to connections, and the clock offsets used.
#[derive(Debug, Default)]
pub struct Joined {
    /// Per connection (report order): indices into the events.
    pub by_connection: Vec<Vec<usize>>,
    /// Per event: joined to at least one connection.
    pub joined: Vec<bool>,
    pub offsets: Vec<ClockOffset>,
}

/// The client address (and port, when the event has one) an event names: RdpCoreTS 131
/// `ClientIP`, 140 `IPString`, Security `IpAddress`/`IpPort` (the KDC's 4768/4769/4771:
/// `IpAddress` only) and WFP `SourceAddress`/`SourcePort`, RCM 1149 `Param3`, TermDD 56
/// `param2`.
pub fn event_client(e: &crate::eventlog::CatalogEvent) -> Option<(String, Option<u16>)> {
    let f = |k: &str| e.field(k).map(str::to_string);
    let port = |v: Option<String>| v.and_then(|p| p.parse::<u16>().ok()).filter(|&p| p != 0);
    // Domain controllers write IPv4 clients as IPv4-mapped IPv6 (`::ffff:10.0.0.5`).
    let unmapped = |v: String| crate::eventlog::unmapped(&v).to_string();
    match e.id {
        131 => {
            let v = f("ClientIP")?;
            match v.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') || h.starts_with('[') => Some((
                    h.trim_matches(['[', ']']).to_string(),
                    port(Some(p.to_string())),
                )),
                _ => Some((v, None)),
            }
        }
        140 => f("IPString").map(|v| (v, None)),
        4624 | 4625 => f("IpAddress").map(|v| (unmapped(v), port(f("IpPort")))),
        // The KDC's events: `IpPort` is the port of the Kerberos exchange, not of RDP.
        4768 | 4769 | 4771 => f("IpAddress").map(|v| (unmapped(v), None)),
        5152 | 5156 | 5157 => f("SourceAddress").map(|v| (v, port(f("SourcePort")))),
        1149 => f("Param3").map(|v| (v, None)),
        56 => f("param2").map(|v| (v, None)),
        // Security 4778/4779 (session reconnected/disconnected) and 4825 (RDP access denied).
        4778 | 4779 | 4825 => f("ClientAddress").map(|v| (unmapped(v), None)),
        _ => None,
    }
}

/// The server address a client-side event names (RDPClient 1024 `Value`, the name typed).
pub fn event_server(e: &crate::eventlog::CatalogEvent) -> Option<String> {
    (e.side == Some(LogSide::Client) && e.id == 1024)
        .then(|| e.fields.get("Value").map(|v| v.trim().to_string()))
        .flatten()
}

fn median(v: &mut [i64]) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Connections ordered by start time, to look up those starting within a span by binary
/// search; `longest` is the longest of their durations.
struct ByStart {
    order: Vec<usize>,
    starts: Vec<i64>,
    longest: i64,
}

impl ByStart {
    fn new(mut order: Vec<usize>, conns: &[JudgedConnection]) -> ByStart {
        order.sort_by_key(|&i| (conns[i].start_ns, i));
        let starts = order.iter().map(|&i| conns[i].start_ns).collect();
        let longest = order
            .iter()
            .map(|&i| conns[i].end_ns.max(conns[i].start_ns) - conns[i].start_ns)
            .max()
            .unwrap_or(0);
        ByStart {
            order,
            starts,
            longest,
        }
    }

    /// The connections starting within `from..=to`.
    fn starting(&self, from: i64, to: i64) -> &[usize] {
        let a = self.starts.partition_point(|&s| s < from);
        let b = self.starts.partition_point(|&s| s <= to);
        &self.order[a..b.max(a)]
    }
}

/// Joins events to connections by client address and time.
///
/// First the clock offset of each log host: from the events that name the client's address
/// *and port* (RdpCoreTS 131, Security 4625 with `IpPort`), or the server's address (RDPClient
/// 1024), paired with the connection of that endpoint nearest in time (within
/// [`ATTEMPT_GAP_NS`]); per connection the earliest such event; the median over connections
/// of `event time − connection start`. Then, on corrected
/// times: address-carrying events join the nearest connection of that client whose span
/// (± [`EVENT_SLACK_NS`]) holds them; events without an address (Schannel, RDPClient 1026)
/// join by time alone (Schannel, TermDD, RDPClient 1026/226) on a host whose events joined that connection's server, or on any host
/// when the run has one server; RCM 1057/1058 join the certificate failures of the next
/// [`CERT_EVENT_WINDOW_NS`]; events sharing an ActivityID with a joined event join its
/// connection.
pub fn join_events(conns: &[JudgedConnection], events: &[crate::eventlog::CatalogEvent]) -> Joined {
    let mut out = Joined {
        by_connection: vec![Vec::new(); conns.len()],
        joined: vec![false; events.len()],
        offsets: Vec::new(),
    };
    if conns.is_empty() || events.is_empty() {
        return out;
    }
    let cl: Vec<(String, Option<u16>)> = conns
        .iter()
        .map(|c| (c.client.ip.to_string(), Some(c.client.port)))
        .collect();
    let sv: Vec<String> = conns.iter().map(|c| c.server.ip.to_string()).collect();
    // Connections by client and by server address, in time order: an event looks at its own
    // only, and among those at the ones whose time can match (a password-guessing bundle has
    // tens of thousands of events and connections of one address).
    let mut by_client: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_server: HashMap<&str, Vec<usize>> = HashMap::new();
    for i in 0..conns.len() {
        by_client.entry(cl[i].0.as_str()).or_default().push(i);
        by_server.entry(sv[i].as_str()).or_default().push(i);
    }
    let by_client: HashMap<&str, ByStart> = by_client
        .into_iter()
        .map(|(k, v)| (k, ByStart::new(v, conns)))
        .collect();
    let by_server: HashMap<&str, ByStart> = by_server
        .into_iter()
        .map(|(k, v)| (k, ByStart::new(v, conns)))
        .collect();
    let all = ByStart::new((0..conns.len()).collect(), conns);
    let none = ByStart::new(Vec::new(), conns);
    // Clock offsets per computer.
    let mut samples: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut first: HashMap<(&str, usize), i64> = HashMap::new();
    for e in events {
        // The nearest by start within the attempt gap; of equals, the first in report order.
        let pick = |among: &ByStart, want: &dyn Fn(usize) -> bool| {
            among
                .starting(
                    e.time_ns.saturating_sub(ATTEMPT_GAP_NS),
                    e.time_ns.saturating_add(ATTEMPT_GAP_NS),
                )
                .iter()
                .copied()
                .filter(|&i| want(i))
                .min_by_key(|&i| ((e.time_ns - conns[i].start_ns).abs(), i))
        };
        let hit = if let Some((ip, Some(port))) = event_client(e) {
            pick(by_client.get(ip.as_str()).unwrap_or(&none), &|i| {
                cl[i].1 == Some(port)
            })
        } else if let Some(server) = event_server(e) {
            pick(by_server.get(server.as_str()).unwrap_or(&none), &|_| true)
        } else {
            None
        };
        if let Some(i) = hit {
            // One sample per connection and host, from its earliest event: a firewall logs
            // every dropped SYN (5152), and only the first is at the connection's start.
            let d = e.time_ns - conns[i].start_ns;
            let at = first.entry((e.computer.as_ref(), i)).or_insert(d);
            *at = (*at).min(d);
        }
    }
    for ((computer, _), d) in first {
        samples.entry(computer).or_default().push(d);
    }
    let mut offset: HashMap<&str, i64> = HashMap::new();
    let mut names: Vec<&str> = samples.keys().copied().collect();
    names.sort_unstable();
    for name in names {
        let v = samples.get_mut(name).expect("key");
        if let Some(m) = median(v) {
            offset.insert(name, m);
            out.offsets.push(ClockOffset {
                computer: name.to_string(),
                offset_ms: (m as f64 / 1e3).round() / 1e3,
                pairs: v.len(),
            });
        }
    }
    let t = |e: &crate::eventlog::CatalogEvent| {
        e.time_ns - offset.get(e.computer.as_ref()).copied().unwrap_or(0)
    };
    let within = |i: usize, at: i64| {
        at >= conns[i].start_ns - EVENT_SLACK_NS
            && at <= conns[i].end_ns.max(conns[i].start_ns) + EVENT_SLACK_NS
    };
    // The connection whose span (± the slack) holds `at`, nearest first; of equals, the first
    // in report order. Only connections starting late enough to still run at `at` are looked
    // at.
    let nearest = |among: &ByStart, want: &dyn Fn(usize) -> bool, at: i64| {
        among
            .starting(
                at.saturating_sub(among.longest)
                    .saturating_sub(EVENT_SLACK_NS),
                at.saturating_add(EVENT_SLACK_NS),
            )
            .iter()
            .copied()
            .filter(|&i| want(i) && within(i, at))
            .min_by_key(|&i| {
                let (s, e) = (conns[i].start_ns, conns[i].end_ns.max(conns[i].start_ns));
                let distance = if at < s {
                    s - at
                } else if at > e {
                    at - e
                } else {
                    0
                };
                (distance, i)
            })
    };
    let join = |out: &mut Joined, i: usize, k: usize| {
        if !out.by_connection[i].contains(&k) {
            out.by_connection[i].push(k);
        }
        out.joined[k] = true;
    };
    // Pass 1: events that name an address.
    let mut host_servers: HashMap<&str, Vec<String>> = HashMap::new();
    for (k, e) in events.iter().enumerate() {
        let at = t(e);
        let hit = if let Some((ip, port)) = event_client(e) {
            nearest(
                by_client.get(ip.as_str()).unwrap_or(&none),
                &|i| port.is_none() || cl[i].1 == port,
                at,
            )
        } else if let Some(server) = event_server(e) {
            nearest(
                by_server.get(server.as_str()).unwrap_or(&none),
                &|_| true,
                at,
            )
        } else {
            None
        };
        if let Some(i) = hit {
            join(&mut out, i, k);
            let servers = host_servers.entry(e.computer.as_ref()).or_default();
            let s = if e.side == Some(LogSide::Client) {
                cl[i].0.clone()
            } else {
                sv[i].clone()
            };
            if !servers.contains(&s) {
                servers.push(s);
            }
        }
    }
    // Pass 2: ActivityIDs shared with a joined event.
    let mut by_activity: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, list) in out.by_connection.iter().enumerate() {
        for &k in list {
            if let Some(a) = events[k].activity_id.as_deref() {
                by_activity.insert((events[k].computer.as_ref(), a), i);
            }
        }
    }
    let mut servers_in_run: Vec<&str> = sv.iter().map(String::as_str).collect();
    servers_in_run.sort_unstable();
    servers_in_run.dedup();
    for (k, e) in events.iter().enumerate() {
        if out.joined[k] || event_client(e).is_some() || event_server(e).is_some() {
            continue;
        }
        if let Some(a) = e.activity_id.as_deref()
            && let Some(&i) = by_activity.get(&(e.computer.as_ref(), a))
        {
            join(&mut out, i, k);
            continue;
        }
        // Pass 3: by time, on a host known to be this connection's server (or client).
        let known = host_servers.get(e.computer.as_ref());
        let mine = |i: usize| match known {
            Some(list) => list.contains(if e.side == Some(LogSide::Client) {
                &cl[i].0
            } else {
                &sv[i]
            }),
            None => e.side == Some(LogSide::Client) || servers_in_run.len() == 1,
        };
        let at = t(e);
        if e.id == 1057 || e.id == 1058 {
            // A TLS handshake refused or cut by one side: what a certificate that could not
            // be made leads to (not a capture that ended, nor loss or silence).
            let cert = |c: &JudgedConnection| {
                matches!(
                    c.stop,
                    Some(Break {
                        stage: Stage::Tls,
                        stop: Stop::FatalAlert
                            | Stop::PlaintextAnswer
                            | Stop::CertificateRefused
                            | Stop::Ended,
                        ..
                    })
                )
            };
            for (i, c) in conns.iter().enumerate() {
                if mine(i) && cert(c) && at <= c.start_ns && c.start_ns - at <= CERT_EVENT_WINDOW_NS
                {
                    join(&mut out, i, k);
                }
            }
        } else if matches!(
            e.id,
            36870 | 36871 | 36874 | 36887 | 36888 | 1026 | 226 | 50 | 56
        ) && let Some(i) = nearest(&all, &mine, at)
        {
            join(&mut out, i, k);
        }
    }
    for list in &mut out.by_connection {
        list.sort_unstable();
    }
    out
}
/// Joins side traffic to connections: DNS lookups and Kerberos errors that may explain a
/// connection, from its client, before it started (DNS, up to [`SIDE_WINDOW_NS`], the lookup
/// that gave the server's address or failed) or around it (Kerberos, that long either side).
pub fn attach_side(connections: &mut [JudgedConnection], events: &[SideEvent]) {
    if events.is_empty() {
        return;
    }
    // Events by the client that received them, so each connection looks at its own only.
    let mut by_client: std::collections::HashMap<&str, Vec<&SideEvent>> =
        std::collections::HashMap::new();
    for e in events {
        by_client.entry(e.client.as_str()).or_default().push(e);
    }
    for list in by_client.values_mut() {
        list.sort_by_key(|e| e.ts_ns);
    }
    for c in connections.iter_mut() {
        let client = c.client.ip.to_string();
        let server = c.server.ip.to_string();
        let Some(mine) = by_client.get(client.as_str()) else {
            continue;
        };
        // Only the events within the window around the connection's start.
        let from = mine.partition_point(|e| e.ts_ns < c.start_ns - SIDE_WINDOW_NS);
        let to = mine.partition_point(|e| e.ts_ns <= c.start_ns + SIDE_WINDOW_NS);
        let window = &mine[from..to];
        // DNS: the latest lookups before the start (the one that gave the address is last).
        let dns: Vec<&SideEvent> = window
            .iter()
            .filter(|e| {
                e.kind == SideKind::Dns
                    && e.ts_ns <= c.start_ns
                    && (e.addresses.contains(&server) || e.is_failure())
            })
            .copied()
            .collect();
        // Kerberos: the errors nearest the start, in time order.
        let mut kerberos: Vec<&SideEvent> = window
            .iter()
            .filter(|e| e.kind == SideKind::Kerberos)
            .copied()
            .collect();
        let all_kerberos = kerberos.len();
        if all_kerberos > MAX_SIDE_EVENTS {
            kerberos.sort_by_key(|e| (e.ts_ns - c.start_ns).abs());
            kerberos.truncate(MAX_SIDE_EVENTS);
            kerberos.sort_by_key(|e| e.ts_ns);
        }
        if dns.is_empty() && kerberos.is_empty() {
            continue;
        }
        let side = c.side_mut();
        let skipped_dns = dns.len().saturating_sub(MAX_SIDE_EVENTS);
        side.dns
            .extend(dns[skipped_dns..].iter().map(|e| (*e).clone()));
        side.kerberos.extend(kerberos.iter().map(|e| (*e).clone()));
        side.omitted = (skipped_dns + all_kerberos - kerberos.len()) as u64;
    }
}

/// DNS lookups and Kerberos errors kept per connection, each; more are counted
/// (`SideLists::omitted`): a client that floods lookups would otherwise copy them all into
/// every one of its connections.
pub const MAX_SIDE_EVENTS: usize = 16;

/// Sorts events by (time, input, record id), stably; a list already in that order (a single
/// log read in time order) is only checked.
///
/// Up to one log's worth of events ([`crate::eventlog::MAX_EVENTS`]) the sort runs on every
/// thread, with a buffer the size of the list (60 MB at most); a longer list, gathered from
/// several logs, is sorted on one thread with a buffer half its size: two logs of catalog
/// events peaked at 532 MiB with the parallel sort, 448 MiB so. Sorting small keys and then
/// moving each event once to its place was tried: the moves, in random order over some 300
/// bytes an event, took twice the merge sort's time.
pub fn sort_events(events: &mut [crate::eventlog::CatalogEvent]) {
    use rayon::prelude::*;
    let order = |a: &crate::eventlog::CatalogEvent, b: &crate::eventlog::CatalogEvent| {
        (a.time_ns, &a.input, a.record_id).cmp(&(b.time_ns, &b.input, b.record_id))
    };
    if !events.is_sorted_by(|a, b| order(a, b).is_le()) {
        if events.len() <= crate::eventlog::MAX_EVENTS {
            events.par_sort_by(order);
        } else {
            events.sort_by(order);
        }
    }
}

/// Drops the copies of events read from more than one input (the same log given twice: an
/// `.evtx` and its XML export, or two copies in a bundle), keeping each record once, from the
/// first input in report order. `events` is sorted ([`sort_events`]): copies have the same
/// time, so they sit in one run of equal times, and only those runs (rare, short) are looked
/// into.
pub fn drop_copied_events(events: &mut Vec<crate::eventlog::CatalogEvent>) {
    let keep: Vec<bool> = {
        let events = &*events;
        let mut keep = vec![true; events.len()];
        let mut seen = std::collections::HashSet::new();
        let mut from = 0;
        while from < events.len() {
            let time = events[from].time_ns;
            // A scan, not a binary search: runs are short, and a search over the rest of
            // the list for each run made this pass O(n log n) in scattered reads.
            let to = from
                + events[from..]
                    .iter()
                    .take_while(|e| e.time_ns == time)
                    .count();
            if to - from > 1 {
                seen.clear();
                for (k, e) in events[from..to].iter().enumerate() {
                    keep[from + k] =
                        seen.insert((e.computer.as_ref(), e.channel.as_ref(), e.record_id, e.id));
                }
            }
            from = to;
        }
        keep
    };
    let mut kept = keep.into_iter();
    events.retain(|_| kept.next().unwrap_or(true));
}

#[cfg(test)]
mod event_order_tests {
    use crate::eventlog::CatalogEvent;

    #[test]
    fn sort_events_gives_the_stable_order() {
        let inputs: [std::sync::Arc<str>; 3] = ["b.evtx".into(), "a.evtx".into(), "b.evtx".into()];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut events: Vec<CatalogEvent> = (0..5000)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                CatalogEvent {
                    input: inputs[(seed % 3) as usize].clone(),
                    time_ns: (seed >> 8 & 0x3f) as i64,
                    record_id: seed >> 20 & 0x7,
                    // Which event this was, to see that ties keep their order.
                    id: i,
                    ..Default::default()
                }
            })
            .collect();
        let mut stable = events.clone();
        stable.sort_by(|a, b| {
            (a.time_ns, &a.input, a.record_id).cmp(&(b.time_ns, &b.input, b.record_id))
        });
        super::sort_events(&mut events);
        let ids = |v: &[CatalogEvent]| v.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&events), ids(&stable));
        assert_ne!(ids(&events), (0..5000).collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod attempt_tests {
    use super::{Sessions, group_attempts};
    use crate::handshake::judged::{JudgedConnection, sample_failed, sample_session};
    use crate::model::{AttemptId, Cause, ConnId, Stage};

    /// A connection refused at x224 after TCP, from `start` to `end` seconds.
    fn refused(id: u32, span: (i64, i64)) -> JudgedConnection {
        sample_failed(id, span, Some(Stage::Tcp), Cause::X224Rejected)
    }

    fn attempts(conns: &[JudgedConnection]) -> Vec<Option<AttemptId>> {
        conns.iter().map(|c| c.attempt).collect()
    }

    #[test]
    fn only_a_later_connection_retries_one() {
        let tls_aborted = sample_failed(1, (0, 10), Some(Stage::Tls), Cause::TlsAborted);
        let mut conns = vec![
            tls_aborted.clone(),
            refused(2, (1, 2)),
            sample_failed(3, (12, 14), Some(Stage::Nla), Cause::NlaFailure),
        ];
        group_attempts(&mut conns);
        assert_eq!(attempts(&conns), [Some(AttemptId(1)); 3]);
        // c2 got less far than c1, which started before it: c1 is no retry of c2. Both are
        // retried by c3, which started after them and got further.
        assert_eq!(conns[0].superseded_by, Some(ConnId(3)));
        assert_eq!(conns[1].superseded_by, Some(ConnId(3)));
        assert_eq!(conns[2].superseded_by, None);

        let mut conns = vec![tls_aborted, refused(2, (1, 2))];
        group_attempts(&mut conns);
        assert_eq!(conns[1].superseded_by, None);
    }

    #[test]
    fn a_session_ends_its_attempt() {
        let mut conns = vec![
            refused(1, (0, 1)),
            sample_session(2, (2, 30)),
            sample_session(3, (40, 70)),
            refused(4, (75, 76)),
        ];
        group_attempts(&mut conns);
        // The failure before the first session is of its attempt; each session after it
        // begins another.
        let (a1, a2, a3) = (AttemptId(1), AttemptId(2), AttemptId(3));
        assert_eq!(attempts(&conns), [Some(a1), Some(a1), Some(a2), Some(a3)]);
        assert_eq!(conns[0].superseded_by, Some(ConnId(2)));
        assert_eq!(conns[3].superseded_by, None);
    }

    #[test]
    fn attempts_that_failed_in_the_end_are_those_no_session_followed() {
        let mut conns = vec![
            refused(1, (0, 1)),
            sample_session(2, (2, 30)),
            refused(3, (200, 201)),
            refused(4, (202, 203)),
        ];
        group_attempts(&mut conns);
        let sessions = Sessions::of(&conns);
        // a1 (c1, c2) ran a session; a2 (c3, c4) never got past its failure.
        assert_eq!(sessions.attempts_failed_in_the_end(&conns), (2, 1));
        assert_eq!(sessions.after(&conns[0]), Some(1));
        assert_eq!(sessions.after(&conns[2]), None);
        // A session 100 s after c4's end: the client got past it.
        conns.push(sample_session(5, (303, 330)));
        group_attempts(&mut conns);
        let sessions = Sessions::of(&conns);
        assert_eq!(sessions.after(&conns[3]), Some(4));
        assert_eq!(sessions.attempts_failed_in_the_end(&conns), (2, 0));
    }

    #[test]
    fn probes_belong_to_no_attempt() {
        let mut conns = vec![
            sample_failed(1, (0, 1), Some(Stage::Tcp), Cause::Probe),
            refused(2, (2, 3)),
            sample_failed(3, (4, 5), None, Cause::Probe),
            sample_session(4, (6, 9)),
        ];
        group_attempts(&mut conns);
        assert_eq!(
            attempts(&conns),
            [None, Some(AttemptId(1)), None, Some(AttemptId(1))]
        );
        assert_eq!(conns[0].superseded_by, None);
    }
}
