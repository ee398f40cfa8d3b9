//! Joining facts across connections: grouping the connections of one connection attempt.
//!
//! One click on "Connect" is often several TCP connections: mstsc's probe before it asks for
//! credentials, FreeRDP's retry after a failure, a fallback to another security protocol after
//! a negotiation failure (Zeek's `rdp-proprietary-encryption` trace). Connections from the
//! same client address to the same server, with the same cookie when both carry one, each
//! starting within [`ATTEMPT_GAP_NS`] of the previous one's end, form one attempt. The report
//! then says which connection of the attempt got furthest, so a reader looks at the one that
//! really failed.

use std::collections::HashMap;

use crate::report::ConnectionReport;

/// A connection belongs to the previous one's attempt when it starts within this long of
/// that one's end.
/// Two minutes: mstsc's first connection often ends while the user types a password, and the
/// real one follows tens of seconds later.
pub const ATTEMPT_GAP_NS: i64 = 120_000_000_000;

/// Rank of the last stage reached, for comparing connections of one attempt.
fn progress(c: &ConnectionReport) -> usize {
    match c.reached {
        None => 0,
        Some(s) => {
            1 + super::handshake::STAGES
                .iter()
                .position(|x| *x == s)
                .unwrap_or(0)
        }
    }
}

fn host(endpoint: &str) -> &str {
    endpoint
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(endpoint)
}

fn cookie(c: &ConnectionReport) -> Option<String> {
    c.negotiation
        .as_ref()?
        .value()
        .get("cookie")?
        .as_str()
        .map(str::to_string)
}

/// Assigns `attempt` ids (`a1`, `a2`… in report order) and, within attempts of several
/// connections, marks each connection that a later one of the same attempt went beyond.
pub fn group_attempts(conns: &mut [ConnectionReport]) {
    let times: Vec<(i64, i64)> = conns.iter().map(|c| (c.start_ns, c.end_ns)).collect();
    // Open attempts per (input, client host, server endpoint): index of the last connection.
    let mut open: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
    let mut attempt_of: Vec<usize> = vec![usize::MAX; conns.len()];
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut order: Vec<usize> = (0..conns.len()).collect();
    order.sort_by_key(|&i| (times.get(i).map(|t| t.0).unwrap_or(0), i));
    for i in order {
        let key = (
            conns[i].input.clone(),
            host(&conns[i].client).to_string(),
            conns[i].server.clone(),
        );
        let (start, _) = times.get(i).copied().unwrap_or((0, 0));
        let mut joined = None;
        if let Some(list) = open.get(&key)
            && let Some(&last) = list.last()
        {
            let last_end = times.get(last).map(|t| t.1).unwrap_or(0);
            let same_cookie = match (cookie(&conns[i]), cookie(&conns[last])) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if same_cookie && start - last_end <= ATTEMPT_GAP_NS {
                joined = Some(attempt_of[last]);
            }
        }
        let a = match joined {
            Some(a) => a,
            None => {
                members.push(Vec::new());
                members.len() - 1
            }
        };
        attempt_of[i] = a;
        members[a].push(i);
        open.entry(key).or_default().push(i);
    }
    // Number attempts in report order of their first connection.
    let mut firsts: Vec<(usize, usize)> = members
        .iter()
        .enumerate()
        .map(|(a, m)| (m.iter().copied().min().unwrap_or(0), a))
        .collect();
    firsts.sort_unstable();
    let mut number = vec![0usize; members.len()];
    for (n, (_, a)) in firsts.iter().enumerate() {
        number[*a] = n + 1;
    }
    for (a, m) in members.iter().enumerate() {
        let best = m
            .iter()
            .copied()
            .max_by_key(|&i| (progress(&conns[i]), std::cmp::Reverse(i)));
        for (k, &i) in m.iter().enumerate() {
            conns[i].attempt = Some(format!("a{}", number[a]));
            conns[i].attempt_connections = m.len();
            conns[i].attempt_index = k + 1;
            if let Some(b) = best
                && b != i
                && progress(&conns[b]) > progress(&conns[i])
            {
                let later = conns[b].id.clone();
                conns[i].summary.push_str(&format!(
                    " (the client tried again: {later}, of the same attempt, got further)"
                ));
                conns[i].superseded_by = Some(later);
            }
        }
    }
}
