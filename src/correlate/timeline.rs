//! Session timelines: the catalog events of one server (computer), client address and session
//! id in time order, and what is missing from them — the server-side story of a connection
//! attempt when there is no capture.
//!
//! Built in three passes over events sorted by time:
//! 1. events with a session id *and* an address (LocalSessionManager 21, 22, 24, 25) make the
//!    session timelines, keyed (server, address, session);
//! 2. events with a session id only (LSM 23, 39, 40, 41) join the timeline of the same server
//!    and session that had started by then (the latest), else the first one starting within a
//!    minute after (41 comes just before 21), else a timeline without an address;
//! 3. events with an address only (RdpCoreTS 131/140, RCM 1149, Security 4624/4625/4778/4779/
//!    4825, RDPClient none) are cut into attempts per (server, address) — a new attempt at each
//!    RdpCoreTS 131 or after a minute of silence — and an attempt that authenticated (1149 or
//!    4624) joins the session of that address starting within two minutes after it; the others
//!    stay timelines of their own (`session` null).
//!
//! The client's RDPClient/Operational events make timelines of their own: one per 1024
//! ("connecting to X"), with the computer's later client events.
//!
//! Then the RdpCoreTS events that name neither (65, 102, 103, 143, 226…) join the timeline
//! holding an RdpCoreTS event with the same activity id (`System/Correlation@ActivityID`).
//!
//! Attempts seen only through Security logons of type 3 (file shares as much as RDP) make no
//! timeline. Notes about a missing event are made only when the log that would hold it was read
//! for that server (it has catalog events of that channel).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::windows::{
    ACTIVITY_WINDOW_NS, LOCKOUT_AFTER_FAILURE_NS, LOG_ATTEMPT_GAP_NS, LOGON_WINDOW_NS,
    RCM_COVER_NS, SESSION_BEFORE_ATTEMPT_END_NS, SESSION_EARLY_NS,
};
use crate::eventlog::CatalogEvent;
use crate::eventlog::catalog::{CLIENT, CORE, LSM, RCM};
use crate::model::EventRef;

/// The events of one session (or one attempt that never got a session) on one server.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timeline {
    pub server: String,
    /// The client's address as the events give it (`LOCAL` for the console), or null.
    pub client: Option<String>,
    pub session: Option<String>,
    pub user: Option<String>,
    pub start: Arc<str>,
    pub end: Arc<str>,
    pub outcome: Outcome,
    pub events: Vec<TimelineEntry>,
    /// What the events lack, said plainly ("131 and 140 without 1149: NLA failed").
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TimelineEntry {
    pub time: Arc<str>,
    pub id: u32,
    pub name: &'static str,
    /// `input#record_id` of the event in `events`.
    pub event: EventRef,
    pub summary: Arc<str>,
}

crate::model::vocabulary! {
    /// How a timeline ended. Server-side ones end `session`, `nla_failed`, `logon_failed`,
    /// `authenticated` or `connected`; client-side ones (RDPClient/Operational: `server` is
    /// the name typed, `client` the computer) `session`, `connected`, `client_failed` or
    /// `connecting`.
    Outcome {
        /// A session was created, or session events were seen.
        Session = "session",
        NlaFailed = "nla_failed",
        LogonFailed = "logon_failed",
        /// Authentication passed, no session seen.
        Authenticated = "authenticated",
        /// Failed logons that ended in the account's lockout (Security 4740).
        LockedOut = "locked_out",
        /// A connection, nothing after.
        Connected = "connected",
        /// The server accepted a TCP connection (RdpCoreTS 131) and logged nothing after: a
        /// port check or scan, or a client that gave up before TLS.
        Accepted = "accepted",
        /// The client logged a disconnect before the connection completed (1026 without 1025).
        ClientFailed = "client_failed",
        /// The client logged only that it was connecting (1024).
        Connecting = "connecting",
    }
}

/// What a timeline holds before it is judged: a connection, nothing after.
impl Default for Outcome {
    fn default() -> Outcome {
        Outcome::Connected
    }
}

/// The client address of an event, without its port.
pub fn address(e: &CatalogEvent) -> Option<String> {
    address_in(e).map(str::to_string)
}

/// [`address`], borrowed from the event's fields.
fn address_in(e: &CatalogEvent) -> Option<&str> {
    // TermDD 56 names the client in its second insertion string.
    if e.name == "rdp_protocol_error_client" {
        return e
            .fields
            .get("param2")
            .map(|v| host_of(v.trim()))
            .filter(|v| !v.is_empty());
    }
    let raw = [
        "ClientIP",
        "IPString",
        "Param3",
        "Address",
        "IpAddress",
        "ClientAddress",
    ]
    .iter()
    .filter(|f| !(e.channel.as_ref() == CORE && **f == "Address"))
    .find_map(|f| e.field(f))?;
    Some(host_of(raw))
}

/// `10.0.0.5:50123` → `10.0.0.5`, `[fe80::1]:3389` → `fe80::1`, `::ffff:10.0.0.5` → `10.0.0.5`.
pub fn strip_port(raw: &str) -> String {
    host_of(raw).to_string()
}

/// [`strip_port`], borrowed: the host is always a part of `raw`.
fn host_of(raw: &str) -> &str {
    let host = if let Some(rest) = raw.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if raw.matches(':').count() == 1 {
        raw.split(':').next().unwrap_or(raw)
    } else {
        raw
    };
    crate::eventlog::unmapped(host)
}

/// The session id of an event.
fn session(e: &CatalogEvent) -> Option<&str> {
    if e.channel.as_ref() != LSM {
        return None;
    }
    ["SessionID", "Session", "TargetSession"]
        .iter()
        .find_map(|f| e.fields.get(f).map(|v| v.trim()))
        .filter(|v| !v.is_empty())
}

/// The account an event names, as written: a name with leading or trailing spaces is
/// another account (a typo), quoted so that the spaces show.
fn user(e: &CatalogEvent) -> Option<String> {
    let get = |f: &str| e.field(f);
    let (dom, name_field) = match e.id {
        1149 => (get("Param2"), "Param1"),
        4624 | 4625 | 4740 => (
            get("TargetDomainName").filter(|_| e.id != 4740),
            "TargetUserName",
        ),
        4778 | 4779 | 4825 => (get("AccountDomain"), "AccountName"),
        _ => (None, "User"),
    };
    let name = e
        .fields
        .get(name_field)
        .filter(|n| !n.trim().is_empty() && n.trim() != "-")?;
    let shown = match dom {
        Some(d) => format!("{d}\\{name}"),
        None => name.to_string(),
    };
    Some(if name.trim() != name {
        format!("\"{shown}\"")
    } else {
        shown
    })
}

/// The account name alone as written (no domain), for telling attempts apart.
fn account_name(e: &CatalogEvent) -> Option<&str> {
    let field = match e.id {
        1149 => "Param1",
        4624 | 4625 | 4740 => "TargetUserName",
        4778 | 4779 | 4825 => "AccountName",
        _ => return None,
    };
    e.fields
        .get(field)
        .filter(|n| !n.trim().is_empty() && n.trim() != "-")
}

/// A console unlock: winlogon's logon of type 7 from the loopback address. Not RDP.
fn console_unlock(e: &CatalogEvent, address: &str) -> bool {
    matches!(e.id, 4624 | 4625)
        && logon_type(e) == Some(7)
        && matches!(address, "127.0.0.1" | "::1")
}

fn logon_type(e: &CatalogEvent) -> Option<u32> {
    e.fields.get("LogonType")?.trim().parse().ok()
}

struct Building {
    server: String,
    client: Option<String>,
    session: Option<String>,
    /// Indexes into the sorted events.
    events: Vec<usize>,
    start_ns: i64,
}

/// The lockouts (Security 4740) per server and account name (lower case), in time order:
/// where a burst of failures ends.
struct Lockouts<'a> {
    by_account: HashMap<(&'a str, String), Vec<(i64, usize)>>,
}

impl<'a> Lockouts<'a> {
    fn new(events: &'a [CatalogEvent], order: &[usize]) -> Lockouts<'a> {
        let mut by_account: HashMap<(&str, String), Vec<(i64, usize)>> = HashMap::new();
        for &i in order {
            let e = &events[i];
            if e.id == 4740
                && let Some(name) = account_name(e)
            {
                by_account
                    .entry((e.computer.as_ref(), name.to_lowercase()))
                    .or_default()
                    .push((e.time_ns, i));
            }
        }
        Lockouts { by_account }
    }

    /// The first lockout of `name` on `server` at or after a failure at `at` (within a
    /// second: Windows logs the 4740 with the failure that crossed the threshold).
    fn after(&self, server: &str, name: Option<&str>, at: i64) -> Option<usize> {
        let list = self.by_account.get(&(server, name?.to_lowercase()))?;
        list.iter()
            .find(|(t, _)| *t >= at && t.saturating_sub(at) <= LOCKOUT_AFTER_FAILURE_NS)
            .map(|&(_, i)| i)
    }

    /// Whether a lockout of `name` on `server` lies between two events of an attempt.
    fn ends_burst(&self, server: &str, name: Option<&str>, from: i64, to: i64) -> bool {
        name.and_then(|n| self.by_account.get(&(server, n.to_lowercase())))
            .is_some_and(|list| list.iter().any(|(t, _)| *t >= from && *t < to))
    }
}

/// Builds the timelines of `events` (any order; several servers mixed).
pub fn build(events: &[CatalogEvent]) -> Vec<Timeline> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    // The report gives its events sorted this way already.
    if !events.is_sorted_by(|x, y| {
        (x.time_ns, &x.input, x.record_id) <= (y.time_ns, &y.input, y.record_id)
    }) {
        order.sort_by(|&a, &b| {
            let (x, y) = (&events[a], &events[b]);
            (x.time_ns, &x.input, x.record_id).cmp(&(y.time_ns, &y.input, y.record_id))
        });
    }
    // Which channels were read per server, and when each server's RemoteConnectionManager
    // log has events.
    let mut channels = Channels::default();
    let mut last = None;
    for e in events {
        let pair = (e.computer.as_ref(), e.channel.as_ref());
        if last != Some(pair) {
            channels.read.insert(pair);
            last = Some(pair);
        }
        if pair.1 == RCM {
            channels.rcm_at.entry(pair.0).or_default().push(e.time_ns);
        }
    }
    for times in channels.rcm_at.values_mut() {
        times.sort_unstable();
    }

    // Each event's session id and address, read once (three passes ask), on the rayon pool.
    let keys: Vec<(Option<&str>, Option<&str>)> = events
        .par_iter()
        .map(|e| (session(e), address_in(e)))
        .collect();

    let mut sessions: Vec<Building> = Vec::new();
    // Pass 1: session timelines. Indexes keep every pass near-linear: the last timeline per
    // (server, client, session), and the timelines per (server, session) and per (server,
    // client) in the order they start.
    let mut last_of: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut by_session: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_client: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for &i in &order {
        let e = &events[i];
        let (Some(s), Some(a)) = keys[i] else {
            continue;
        };
        if !matches!(e.id, 21 | 22 | 24 | 25) {
            continue;
        }
        let key = (e.computer.as_ref(), a, s);
        match last_of.get(&key).copied() {
            // A new logon (21) after a logoff starts over only when the last one ended.
            Some(k) if !(e.id == 21 && ended(&sessions[k], events)) => sessions[k].events.push(i),
            _ => {
                let k = sessions.len();
                sessions.push(Building {
                    server: e.computer.to_string(),
                    client: Some(a.to_string()),
                    session: Some(s.to_string()),
                    events: vec![i],
                    start_ns: e.time_ns,
                });
                last_of.insert(key, k);
                by_session
                    .entry((e.computer.as_ref(), s))
                    .or_default()
                    .push(k);
                by_client
                    .entry((e.computer.as_ref(), a))
                    .or_default()
                    .push(k);
            }
        }
    }
    // Pass 2: session-only events.
    let mut orphans: HashMap<(&str, &str), usize> = HashMap::new();
    for &i in &order {
        let e = &events[i];
        let Some(s) = keys[i].0 else { continue };
        if keys[i].1.is_some() && matches!(e.id, 21 | 22 | 24 | 25) {
            continue;
        }
        let key = (e.computer.as_ref(), s);
        let list = by_session.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        // The latest session started by then, else the first starting within a minute.
        let at = list.partition_point(|&k| sessions[k].start_ns <= e.time_ns);
        let started = at.checked_sub(1).map(|p| list[p]);
        let early = list
            .get(at)
            .copied()
            .filter(|&k| sessions[k].start_ns <= e.time_ns + SESSION_EARLY_NS);
        let orphan = orphans
            .get(&key)
            .copied()
            .filter(|&k| sessions[k].start_ns <= e.time_ns);
        let target = match (started, orphan) {
            (Some(a), Some(b)) => Some(if sessions[b].start_ns > sessions[a].start_ns {
                b
            } else {
                a
            }),
            (Some(a), None) => Some(a),
            (None, Some(b)) => Some(b),
            (None, None) => early,
        };
        match target {
            Some(k) => {
                sessions[k].events.push(i);
                sessions[k].start_ns = sessions[k].start_ns.min(e.time_ns);
            }
            None => {
                orphans.insert(key, sessions.len());
                sessions.push(Building {
                    server: e.computer.to_string(),
                    client: None,
                    session: Some(s.to_string()),
                    events: vec![i],
                    start_ns: e.time_ns,
                });
            }
        }
    }
    let lockouts = Lockouts::new(events, &order);
    // Pass 3: address-only events, cut into attempts.
    // Per (server, address): its attempts, and the RdpCoreTS activity ids each attempt holds
    // (matching an event to its attempt stays linear even when one attempt gathers thousands
    // of events). Found through `slot_of`, or as the previous event's when it has the same
    // key (most do: a log's events come in runs per client).
    type Slot<'a> = (Vec<Vec<usize>>, Vec<Vec<&'a str>>, Vec<Option<&'a str>>);
    let mut slots: Vec<((&str, &str), Slot)> = Vec::new();
    let mut slot_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut last_slot: Option<((&str, &str), usize)> = None;
    for &i in &order {
        let e = &events[i];
        if keys[i].0.is_some() {
            continue;
        }
        let Some(a) = keys[i].1 else {
            continue;
        };
        if !matches!(
            e.id,
            56 | 131 | 140 | 1149 | 4624 | 4625 | 4778 | 4779 | 4825
        ) || console_unlock(e, a)
        {
            continue;
        }
        let key = (e.computer.as_ref(), a);
        let slot = match last_slot {
            Some((k, slot)) if k == key => slot,
            _ => *slot_of.entry(key).or_insert_with(|| {
                slots.push((key, Default::default()));
                slots.len() - 1
            }),
        };
        last_slot = Some((key, slot));
        let (list, acts, users) = &mut slots[slot].1;
        let who = account_name(e);
        let core_activity = (e.channel.as_ref() == CORE)
            .then_some(e.activity_id.as_deref())
            .flatten();
        // Two connections of one client can overlap: RdpCoreTS's activity id says which
        // attempt an event belongs to (the 140 of the 131 it follows).
        let same_activity = core_activity.filter(|_| e.id != 131).and_then(|act| {
            // The last few attempts only: a flood from one address stays linear.
            let from = acts.len().saturating_sub(16);
            acts[from..]
                .iter()
                .rposition(|l| l.contains(&act))
                .map(|k| from + k)
        });
        if let Some(k) = same_activity {
            list[k].push(i);
            continue;
        }
        let new = match list.last().and_then(|l| l.last()) {
            None => true,
            Some(&last) => {
                let gap = e.time_ns.saturating_sub(events[last].time_ns) > LOG_ATTEMPT_GAP_NS;
                // A timeline never mixes accounts (`carol ` failing, then `carol`).
                let other_user = matches!(
                    (who, users.last().copied().flatten()),
                    (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b)
                );
                // A lockout ends its burst: what follows is another attempt.
                let after_lockout =
                    lockouts.ends_burst(e.computer.as_ref(), who, events[last].time_ns, e.time_ns);
                // A TCP 131 is a new connection. A UDP one soon after is the UDP transport
                // (MS-RDPEUDP) of the client's connection in progress, not another attempt.
                let udp = e
                    .fields
                    .get("ConnType")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("UDP"));
                (e.channel.as_ref() == CORE && e.id == 131 && !udp)
                    || gap
                    || other_user
                    || after_lockout
            }
        };
        if new {
            list.push(vec![i]);
            acts.push(Vec::new());
            users.push(who);
        } else if let Some(l) = list.last_mut() {
            l.push(i);
            if let (Some(w), Some(u)) = (who, users.last_mut())
                && u.is_none()
            {
                *u = Some(w);
            }
        }
        if let (Some(act), Some(l)) = (core_activity, acts.last_mut())
            && !l.contains(&act)
        {
            l.push(act);
        }
    }
    let mut out_attempts: Vec<Building> = Vec::new();
    // In key order, as a map by key would give them.
    slots.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for ((server, client), (list, _, _)) in slots {
        for mut attempt in list {
            let Some(&last) = attempt.last() else {
                continue;
            };
            // The lockout a burst of failures ended in joins it.
            let lockout = attempt
                .iter()
                .rev()
                .find(|&&i| events[i].id == 4625)
                .and_then(|&i| lockouts.after(server, account_name(&events[i]), events[i].time_ns));
            if let Some(k) = lockout {
                attempt.push(k);
            }
            let first_ns = events[attempt[0]].time_ns;
            let authenticated = attempt.iter().any(|&i| {
                let e = &events[i];
                (e.channel.as_ref() == RCM && e.id == 1149) || e.id == 4624
            });
            let end_ns = events[last].time_ns;
            let list = by_client
                .get(&(server, client))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let at = list.partition_point(|&k| {
                sessions[k].start_ns < end_ns - SESSION_BEFORE_ATTEMPT_END_NS
            });
            let joined = match list.get(at).copied() {
                Some(k) if authenticated && sessions[k].start_ns <= end_ns + LOGON_WINDOW_NS => {
                    sessions[k].events.extend(&attempt);
                    sessions[k].start_ns = sessions[k].start_ns.min(first_ns);
                    true
                }
                _ => false,
            };
            if joined {
                continue;
            }
            // Security logons of type 3 alone are not RDP evidence.
            let rdp_specific = attempt.iter().any(|&i| {
                let e = &events[i];
                e.channel.as_ref() != "Security"
                    || matches!(logon_type(e), Some(7 | 10 | 12))
                    || e.id >= 4778
            });
            if rdp_specific || lockout.is_some() {
                out_attempts.push(Building {
                    server: server.to_string(),
                    client: Some(client.to_string()),
                    session: None,
                    events: attempt,
                    start_ns: first_ns,
                });
            }
        }
    }
    sessions.extend(out_attempts);
    join_by_activity(&mut sessions, events, &order);
    sessions.extend(client_attempts(events, &order));

    // Each timeline is finished on its own: on the rayon pool, in the same order.
    let mut timelines: Vec<Timeline> = sessions
        .into_par_iter()
        .map(|mut t| {
            t.events.sort_by(|&a, &b| {
                let (x, y) = (&events[a], &events[b]);
                (x.time_ns, &x.input, x.record_id).cmp(&(y.time_ns, &y.input, y.record_id))
            });
            t.events.dedup();
            finish(t, events, &channels)
        })
        .collect();
    timelines.sort_by(|a, b| {
        (&a.start, &a.server, &a.client, &a.session)
            .cmp(&(&b.start, &b.server, &b.client, &b.session))
    });
    timelines
}

/// Joins the RdpCoreTS events that name neither client nor session (65, 102, 103, 143, 226…)
/// to the timeline holding an RdpCoreTS event of the same server and activity id (one
/// connection's events share it), within [`ACTIVITY_WINDOW_NS`] of that timeline's start.
fn join_by_activity(timelines: &mut [Building], events: &[CatalogEvent], order: &[usize]) {
    let mut by_activity: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut placed = vec![false; events.len()];
    for (k, t) in timelines.iter().enumerate() {
        for &i in &t.events {
            placed[i] = true;
            let e = &events[i];
            if let (true, Some(a)) = (e.channel.as_ref() == CORE, e.activity_id.as_deref()) {
                by_activity.entry((e.computer.as_ref(), a)).or_insert(k);
            }
        }
    }
    for &i in order {
        let e = &events[i];
        if e.channel.as_ref() != CORE || placed[i] {
            continue;
        }
        let Some(a) = e.activity_id.as_deref() else {
            continue;
        };
        if let Some(&k) = by_activity.get(&(e.computer.as_ref(), a))
            && (e.time_ns - timelines[k].start_ns).abs() <= ACTIVITY_WINDOW_NS
        {
            timelines[k].events.push(i);
        }
    }
}

/// Whether a session timeline has ended (logoff 23 or a disconnect 24 last).
fn ended(t: &Building, events: &[CatalogEvent]) -> bool {
    t.events
        .last()
        .is_some_and(|&i| matches!(events[i].id, 23 | 24))
}

/// The client's side (RDPClient/Operational): each 1024 "connecting to X" starts an attempt of
/// that computer; its later client events (1025, 1026, 1027, 226, 1029, 1102, 1105) join the
/// computer's latest attempt. The timeline's `server` is the name the user typed, its `client`
/// the computer that logged it.
fn client_attempts(events: &[CatalogEvent], order: &[usize]) -> Vec<Building> {
    let mut out: Vec<Building> = Vec::new();
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for &i in order {
        let e = &events[i];
        if e.channel.as_ref() != CLIENT {
            continue;
        }
        if e.id == 1024 {
            latest.insert(e.computer.as_ref(), out.len());
            out.push(Building {
                server: e
                    .fields
                    .get("Value")
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| "?".into()),
                client: Some(e.computer.to_string()),
                session: None,
                events: vec![i],
                start_ns: e.time_ns,
            });
        } else if let Some(&k) = latest.get(e.computer.as_ref()) {
            out[k].events.push(i);
        }
    }
    out
}

/// A client attempt's outcome and notes.
fn finish_client(evs: &[&CatalogEvent]) -> (Outcome, Vec<String>) {
    let has = |id: u32| {
        evs.iter()
            .any(|e| e.channel.as_ref() == CLIENT && e.id == id)
    };
    let reason = evs
        .iter()
        .rev()
        .find(|e| e.channel.as_ref() == CLIENT && e.id == 1026)
        .map(|e| {
            let raw = e.fields.get("Value").map(|v| v.trim()).unwrap_or("?");
            match e.decoded.get("Value") {
                Some(d) => format!(
                    "disconnect reason {raw}, {}",
                    d.split(':').next().unwrap_or(d)
                ),
                None => format!("disconnect reason {raw}"),
            }
        });
    let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    let mut missing = Vec::new();
    let outcome = if has(1027) {
        Outcome::Session
    } else if has(1025) {
        missing.push(format!("1025 without 1027: connected, but no session{why}"));
        Outcome::Connected
    } else if has(1026) {
        missing.push(format!(
            "1024 without 1025: the connection was never completed{why}"
        ));
        Outcome::ClientFailed
    } else {
        Outcome::Connecting
    };
    (outcome, missing)
}

/// What the logs read say about each server's channels.
#[derive(Default)]
struct Channels<'a> {
    /// (server, channel) pairs with at least one catalog event.
    read: BTreeSet<(&'a str, &'a str)>,
    /// Per server, the times of its RemoteConnectionManager events, sorted.
    rcm_at: HashMap<&'a str, Vec<i64>>,
}

impl Channels<'_> {
    /// Whether `server`'s RCM log has an event within [`RCM_COVER_NS`] of `from..=to`.
    fn rcm_covers(&self, server: &str, from: i64, to: i64) -> bool {
        self.rcm_at.get(server).is_some_and(|times| {
            let at = times.partition_point(|&t| t < from.saturating_sub(RCM_COVER_NS));
            times
                .get(at)
                .is_some_and(|&t| t <= to.saturating_add(RCM_COVER_NS))
        })
    }
}

fn finish(t: Building, events: &[CatalogEvent], channels: &Channels) -> Timeline {
    let evs: Vec<&CatalogEvent> = t.events.iter().map(|&i| &events[i]).collect();
    if evs.first().is_some_and(|e| e.channel.as_ref() == CLIENT) {
        let (outcome, missing) = finish_client(&evs);
        return Timeline {
            server: t.server,
            client: t.client,
            session: t.session,
            user: None,
            start: evs.first().map(|e| e.time.clone()).unwrap_or_default(),
            end: evs.last().map(|e| e.time.clone()).unwrap_or_default(),
            outcome,
            events: entries(&evs),
            missing,
        };
    }
    let has = |channel: &str, id: u32| {
        evs.iter()
            .any(|e| e.channel.as_ref() == channel && e.id == id)
    };
    let read = |channel: &str| channels.read.contains(&(t.server.as_str(), channel));
    let logon = has(LSM, 21) || has(LSM, 22) || has(LSM, 25);
    let accepted = has(CORE, 131);
    let nla_failed = has(CORE, 140);
    let authenticated = has(RCM, 1149);
    let failed_logon = evs.iter().find(|e| e.id == 4625);
    let locked_out = evs.iter().any(|e| e.id == 4740);
    // Failed logons followed by a logon of the same account: the user got in.
    let last_failure = evs.iter().rposition(|e| e.id == 4625);
    let failures = evs.iter().filter(|e| e.id == 4625).count();
    let got_in_after = last_failure.is_some_and(|at| {
        evs[at + 1..]
            .iter()
            .any(|e| e.id == 4624 || (e.channel.as_ref() == RCM && e.id == 1149))
    });
    let mut missing = Vec::new();
    if nla_failed && !authenticated {
        missing
            .push("131 and 140 without 1149: NLA failed (user name or password incorrect)".into());
    } else if accepted
        && !authenticated
        && !logon
        && channels.rcm_covers(
            &t.server,
            evs.first().map_or(0, |e| e.time_ns),
            evs.last().map_or(0, |e| e.time_ns),
        )
    {
        missing.push(
            "131 without 1149: the connection ended before authentication completed (TLS or NLA)"
                .into(),
        );
    }
    if authenticated && !logon {
        if read(LSM) {
            missing
                .push("1149 without 21: authentication passed but the logon itself failed".into());
        } else {
            missing.push(
                "1149 without 21? the LocalSessionManager log was not read for this server".into(),
            );
        }
    }
    if got_in_after {
        missing.push(format!(
            "succeeded after {failures} failed logon{} (4625)",
            if failures == 1 { "" } else { "s" }
        ));
    } else if let Some(f) = failed_logon {
        // The codes' names only: the event's summary says the rest.
        let names: Vec<&str> = ["Status", "SubStatus"]
            .iter()
            .filter_map(|k| f.decoded.get(k))
            .map(|d| d.split(':').next().unwrap_or(d))
            .collect();
        missing.push(if names.is_empty() {
            "4625: the logon failed".into()
        } else {
            format!("4625: the logon failed ({})", names.join(", "))
        });
    }
    if locked_out {
        missing.push(format!(
            "4740: the account was locked out after {failures} failed logon{}",
            if failures == 1 { "" } else { "s" }
        ));
    }
    let only_accepted = evs
        .iter()
        .all(|e| e.channel.as_ref() == CORE && e.id == 131);
    let outcome = if logon || t.session.is_some() {
        Outcome::Session
    } else if locked_out {
        Outcome::LockedOut
    } else if got_in_after {
        Outcome::Authenticated
    } else if nla_failed {
        Outcome::NlaFailed
    } else if failed_logon.is_some() {
        Outcome::LogonFailed
    } else if authenticated || evs.iter().any(|e| e.id == 4624) {
        Outcome::Authenticated
    } else if only_accepted {
        Outcome::Accepted
    } else {
        Outcome::Connected
    };
    Timeline {
        server: t.server,
        client: t.client,
        session: t.session,
        user: evs.iter().find_map(|e| user(e)),
        start: evs.first().map(|e| e.time.clone()).unwrap_or_default(),
        end: evs.last().map(|e| e.time.clone()).unwrap_or_default(),
        outcome,
        events: entries(&evs),
        missing,
    }
}

fn entries(evs: &[&CatalogEvent]) -> Vec<TimelineEntry> {
    evs.iter()
        .map(|e| TimelineEntry {
            time: e.time.clone(),
            id: e.id,
            name: e.name,
            event: e.event_ref(),
            summary: e.summary.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, channel: &str, id: u32, fields: &[(&str, &str)]) -> CatalogEvent {
        CatalogEvent {
            input: "a.evtx".into(),
            record_id: t as u64,
            time: crate::model::time::rfc3339(t * 1_000_000_000).into(),
            time_ns: t * 1_000_000_000,
            computer: "SRV".into(),
            channel: channel.into(),
            id,
            fields: std::sync::Arc::new(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn strips_ports() {
        assert_eq!(strip_port("10.0.0.5:50123"), "10.0.0.5");
        assert_eq!(strip_port("[fe80::1]:3389"), "fe80::1");
        assert_eq!(strip_port("fe80::1"), "fe80::1");
        assert_eq!(strip_port("::ffff:10.0.0.5"), "10.0.0.5");
        assert_eq!(strip_port("LOCAL"), "LOCAL");
    }

    fn with_activity(mut e: CatalogEvent) -> CatalogEvent {
        e.activity_id = Some("{a1}".into());
        e
    }

    #[test]
    fn says_what_is_missing() {
        let events = vec![
            // A failed NLA attempt.
            with_activity(ev(
                100,
                CORE,
                131,
                &[("ConnType", "TCP"), ("ClientIP", "203.0.113.7:50000")],
            )),
            ev(101, CORE, 140, &[("IPString", "203.0.113.7")]),
            with_activity(ev(102, CORE, 226, &[("ErrorCode", "0x80070040")])),
            // An attempt that authenticated and got a session.
            ev(200, CORE, 131, &[("ClientIP", "203.0.113.7:50001")]),
            ev(
                201,
                RCM,
                1149,
                &[("Param1", "alice"), ("Param3", "203.0.113.7")],
            ),
            ev(
                203,
                LSM,
                21,
                &[
                    ("User", "CORP\\alice"),
                    ("SessionID", "2"),
                    ("Address", "203.0.113.7"),
                ],
            ),
            ev(300, LSM, 23, &[("User", "CORP\\alice"), ("SessionID", "2")]),
            // Authenticated, then nothing.
            ev(400, CORE, 131, &[("ClientIP", "198.51.100.9:40000")]),
            ev(
                401,
                RCM,
                1149,
                &[("Param1", "bob"), ("Param3", "198.51.100.9")],
            ),
        ];
        let t = build(&events);
        assert_eq!(t.len(), 3, "{t:#?}");
        assert_eq!(t[0].outcome, Outcome::NlaFailed);
        assert_eq!(t[0].client.as_deref(), Some("203.0.113.7"));
        assert!(t[0].missing[0].starts_with("131 and 140 without 1149"));
        // 226 names no client: it joins by its activity id.
        assert_eq!(
            t[0].events.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![131, 140, 226]
        );
        assert_eq!(t[1].outcome, Outcome::Session);
        assert_eq!(t[1].session.as_deref(), Some("2"));
        assert_eq!(
            t[1].events.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![131, 1149, 21, 23]
        );
        assert!(t[1].missing.is_empty());
        assert_eq!(t[2].outcome, Outcome::Authenticated);
        assert!(t[2].missing[0].starts_with("1149 without 21"));
    }

    #[test]
    fn client_attempts_say_where_they_stopped() {
        let mut fail = ev(101, CLIENT, 1026, &[("Value", "2308")]);
        std::sync::Arc::make_mut(&mut fail.decoded).insert(
            "Value",
            "disconnectReasonAtClientWinsockFDCLOSE: socket closed",
        );
        let events = vec![
            ev(100, CLIENT, 1024, &[("Value", "srv.example")]),
            fail,
            ev(200, CLIENT, 1024, &[("Value", "srv.example")]),
            ev(201, CLIENT, 1025, &[]),
            ev(
                202,
                CLIENT,
                1027,
                &[("DomainName", "CORP"), ("SessionId", "3")],
            ),
        ];
        let t = build(&events);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].server, "srv.example");
        assert_eq!(t[0].client.as_deref(), Some("SRV"));
        assert_eq!(t[0].outcome, Outcome::ClientFailed);
        assert_eq!(
            t[0].missing,
            vec![
                "1024 without 1025: the connection was never completed (disconnect reason 2308, disconnectReasonAtClientWinsockFDCLOSE)"
            ]
        );
        assert_eq!(t[1].outcome, Outcome::Session);
        assert!(t[1].missing.is_empty());
    }

    #[test]
    fn overlapping_connections_of_one_client_are_told_apart_by_activity() {
        let act = |mut e: CatalogEvent, a: &str| {
            e.activity_id = Some(a.into());
            e
        };
        let events = vec![
            act(ev(100, CORE, 131, &[("ClientIP", "203.0.113.7:1")]), "{a}"),
            act(ev(101, CORE, 131, &[("ClientIP", "203.0.113.7:2")]), "{b}"),
            act(ev(102, CORE, 140, &[("IPString", "203.0.113.7")]), "{a}"),
            act(ev(103, CORE, 140, &[("IPString", "203.0.113.7")]), "{b}"),
        ];
        let t = build(&events);
        assert_eq!(t.len(), 2);
        for (k, tl) in t.iter().enumerate() {
            let ids: Vec<_> = tl.events.iter().map(|e| e.event.to_string()).collect();
            let want = vec![format!("a.evtx#{}", 100 + k), format!("a.evtx#{}", 102 + k)];
            assert_eq!(ids, want);
            assert_eq!(tl.outcome, Outcome::NlaFailed);
        }
    }
}
