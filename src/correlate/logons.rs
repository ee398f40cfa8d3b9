//! The joins logon trouble is judged from, by account, address and time: which addresses
//! something shows reached a server over RDP ([`RdpSources`]), the logon that followed an
//! account's failures ([`Logons`]), and each lockout with the failures before it, the attempts
//! refused while it held and the unlock that ended it ([`lockout_stories`]).

use std::collections::{HashMap, HashSet};

use super::windows::LOCKOUT_LOOKBACK_NS;
use crate::eventlog::CatalogEvent;
use crate::eventlog::catalog::number;

/// Per server, the addresses something shows connected over RDP: RdpCoreTS 131/140, RCM
/// 1149, a logon of type 10 or 12 (any server: `""`), and captured connections' clients.
pub struct RdpSources {
    by_server: HashSet<(String, String)>,
    anywhere: HashSet<String>,
}

impl RdpSources {
    pub fn new(events: &[CatalogEvent], captured_clients: &[String]) -> RdpSources {
        let mut by_server = HashSet::new();
        for e in events {
            // A 131 is a TCP accept any scanner makes: not RDP evidence.
            let rdp = match e.id {
                140 | 1149 => true,
                4624 | 4625 => matches!(e.logon_type(), Some(10 | 12)),
                _ => false,
            };
            if rdp && let Some((ip, _)) = crate::correlate::event_client(e) {
                by_server.insert((e.computer.to_string(), ip));
            }
        }
        RdpSources {
            by_server,
            anywhere: captured_clients.iter().cloned().collect(),
        }
    }

    /// What shows that a source reached `server` over RDP, when something does.
    pub fn why(&self, server: &str, source: &str) -> Option<RdpEvidence> {
        if self
            .by_server
            .contains(&(server.to_string(), source.to_string()))
        {
            Some(RdpEvidence::ServerEvents)
        } else if self.anywhere.contains(source) {
            Some(RdpEvidence::Capture)
        } else {
            None
        }
    }
}

/// Per server and account as written, the logons (4624) in time order: what tells a user's
/// mistyped password from an attack.
pub struct Logons<'e> {
    events: &'e [CatalogEvent],
    /// Indexes into `events`, in time order.
    by_account: HashMap<(&'e str, String), Vec<usize>>,
}

impl<'e> Logons<'e> {
    pub fn new(events: &'e [CatalogEvent]) -> Logons<'e> {
        let mut by_account: HashMap<(&str, String), Vec<usize>> = HashMap::new();
        for (k, e) in events.iter().enumerate().filter(|(_, e)| e.id == 4624) {
            if let Some(a) = e.account() {
                by_account
                    .entry((e.computer.as_ref(), a.to_lowercase()))
                    .or_default()
                    .push(k);
            }
        }
        for list in by_account.values_mut() {
            list.sort_by_key(|&k| (events[k].time_ns, k));
        }
        Logons { events, by_account }
    }

    /// The first logon (its index) of `account` (as written, or without its edge spaces) on
    /// `server` from `source` after `after_ns`.
    pub fn after(
        &self,
        server: &str,
        account: &str,
        source: Option<&str>,
        after_ns: i64,
    ) -> Option<usize> {
        let key = |a: &str| (server, a.to_lowercase());
        let trimmed = trim_account(account);
        [account.to_string(), trimmed]
            .iter()
            .filter_map(|a| self.by_account.get(&key(a)))
            .flatten()
            .copied()
            .filter(|&k| self.events[k].time_ns > after_ns)
            .filter(|&k| {
                source.is_none_or(|s| {
                    crate::correlate::event_client(&self.events[k]).is_some_and(|(ip, _)| ip == s)
                })
            })
            .min_by_key(|&k| (self.events[k].time_ns, k))
    }
}

/// `DOMAIN\name` with the spaces around the name taken away.
pub fn trim_account(account: &str) -> String {
    match account.rsplit_once('\\') {
        Some((d, n)) => format!("{d}\\{}", n.trim()),
        None => account.trim().to_string(),
    }
}

/// What shows that an address reached a server over RDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdpEvidence {
    /// The server's RdpCoreTS 140, RCM 1149 or a logon of type 10/12 name the address.
    ServerEvents,
    /// A captured connection comes from the address.
    Capture,
}

/// A lockout (Security 4740) and the events of its story, as indexes into the events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutStory {
    pub lockout: usize,
    /// The account's failures (4625, 4771, 4776) on the same computer within
    /// [`LOCKOUT_LOOKBACK_NS`] before it, after its previous lockout or unlock, in time order.
    pub before: Vec<usize>,
    /// The 4625s refused with 0xC0000234 (locked out) until its unlock or next lockout.
    pub while_locked: Vec<usize>,
    /// The first 4767 (unlocked) of the account before its next lockout.
    pub unlock: Option<usize>,
}

/// Every lockout of `events` with its story, per computer and account (lower case, spaces
/// kept) in order: one pass over the events, then one over each account's own.
pub fn lockout_stories(events: &[CatalogEvent]) -> Vec<LockoutStory> {
    let mut by_account: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (k, e) in events.iter().enumerate() {
        let relevant = match e.id {
            4625 | 4740 | 4767 => true,
            4771 | 4776 => e.field("Status").and_then(number).is_some_and(|s| s != 0),
            _ => false,
        };
        if !relevant {
            continue;
        }
        if let Some(name) = e
            .fields
            .get("TargetUserName")
            .filter(|n| !n.trim().is_empty())
        {
            by_account
                .entry((e.computer.as_ref(), name.to_lowercase()))
                .or_default()
                .push(k);
        }
    }
    let mut accounts: Vec<_> = by_account.into_iter().collect();
    accounts.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for (_, mut list) in accounts {
        list.sort_by_key(|&k| (events[k].time_ns, k));
        for (at, &k) in list.iter().enumerate() {
            let e = &events[k];
            if e.id != 4740 {
                continue;
            }
            // Back to the previous lockout or unlock, within the lookback.
            let since = e.time_ns.saturating_sub(LOCKOUT_LOOKBACK_NS);
            let mut before: Vec<usize> = list[..at]
                .iter()
                .rev()
                .take_while(|&&i| !matches!(events[i].id, 4740 | 4767))
                .filter(|&&i| events[i].time_ns >= since)
                .copied()
                .collect();
            before.reverse();
            // Forward to the next lockout: refused attempts, then the unlock.
            let mut while_locked = Vec::new();
            let mut unlock = None;
            for &i in list[at + 1..].iter().take_while(|&&i| events[i].id != 4740) {
                match events[i].id {
                    4767 => {
                        unlock = Some(i);
                        break;
                    }
                    4625 if events[i].failure_status() == Some(0xC000_0234) => while_locked.push(i),
                    _ => {}
                }
            }
            out.push(LockoutStory {
                lockout: k,
                before,
                while_locked,
                unlock,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_s: i64, computer: &str, id: u32, fields: &[(&str, &str)]) -> CatalogEvent {
        CatalogEvent {
            computer: computer.into(),
            channel: "Security".into(),
            id,
            time_ns: t_s * 1_000_000_000,
            fields: std::sync::Arc::new(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn failed(t_s: i64, computer: &str, user: &str, status: &str) -> CatalogEvent {
        ev(
            t_s,
            computer,
            4625,
            &[
                ("TargetUserName", user),
                ("Status", status),
                ("SubStatus", "0x0"),
            ],
        )
    }

    /// Each lockout takes the failures since the account's previous lockout or unlock, on
    /// its own computer only, the refusals until its unlock, and the unlock before the next
    /// lockout: two lockouts of one account never share events, nor two computers' accounts
    /// of one name.
    #[test]
    fn each_lockout_keeps_to_its_own_account_computer_and_time() {
        let wrong = "0xc000006a";
        let events = vec![
            failed(0, "SRV-A", "bob", wrong),                              // 0
            failed(1, "SRV-A", "Bob", wrong),                              // 1
            failed(1, "SRV-B", "bob", wrong),                              // 2
            failed(2, "SRV-A", "bob", wrong),                              // 3
            ev(3, "SRV-A", 4740, &[("TargetUserName", "bob")]),            // 4
            failed(4, "SRV-A", "bob", "0xc0000234"),                       // 5
            ev(5, "SRV-B", 4740, &[("TargetUserName", "bob")]),            // 6
            ev(10, "SRV-A", 4767, &[("TargetUserName", "bob")]),           // 7
            failed(11, "SRV-A", "bob", wrong),                             // 8: after the unlock
            failed(20, "SRV-A", "bob", wrong),                             // 9
            failed(21, "SRV-A", "bob", wrong),                             // 10
            ev(22, "SRV-A", 4740, &[("TargetUserName", "bob")]),           // 11
            failed(23, "SRV-A", "alice", wrong),                           // 12
            failed(30 * 60 + 30, "SRV-B", "bob", wrong),                   // 13
            ev(30 * 60 + 31, "SRV-B", 4740, &[("TargetUserName", "bob")]), // 14
            failed(2 * 3600, "SRV-B", "bob", wrong),                       // 15
            ev(2 * 3600 + 1, "SRV-B", 4740, &[("TargetUserName", "bob")]), // 16
        ];
        let story = |lockout, before: &[usize], while_locked: &[usize], unlock| LockoutStory {
            lockout,
            before: before.to_vec(),
            while_locked: while_locked.to_vec(),
            unlock,
        };
        assert_eq!(
            lockout_stories(&events),
            [
                story(4, &[0, 1, 3], &[5], Some(7)),
                story(11, &[8, 9, 10], &[], None),
                story(6, &[2], &[], None),
                // Past the 30-minute lookback nothing earlier counts, and each lockout stops
                // at the one before it.
                story(14, &[13], &[], None),
                story(16, &[15], &[], None),
            ]
        );
    }
}
