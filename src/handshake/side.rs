//! Side traffic that explains RDP failures: DNS lookups (RFC 1035 §4.1) of the names clients
//! resolved — answers, NXDOMAIN, SERVFAIL, no answer at all — and Kerberos KRB-ERRORs
//! (RFC 4120 §5.9.1, decoded with `kerberos-parser`) such as clock skew, unknown server
//! principal or failed pre-authentication.
//!
//! The DNS reader is written by hand: only the header, the question and A/AAAA answers are
//! needed, and it must be lenient with anything a capture holds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::model::time::rfc3339;

pub use crate::tcp::SideDatagram;

crate::model::vocabulary! {
    /// Which protocol a side event is of.
    SideKind {
        /// A DNS lookup (RFC 1035).
        Dns = "dns",
        /// A KRB-ERROR (RFC 4120 §5.9.1).
        Kerberos = "kerberos",
    }
}

/// What the side traffic showed, in the report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SideEvent {
    pub kind: SideKind,
    /// Frame of the query (DNS) or of the error (Kerberos).
    pub frame: u64,
    pub time: String,
    #[serde(skip)]
    pub ts_ns: i64,
    /// The host that asked (DNS client, Kerberos client).
    pub client: String,
    pub server: String,
    /// DNS: the name looked up; Kerberos: the server principal.
    pub name: Option<String>,
    /// DNS: `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, `no answer`; Kerberos: the error name.
    pub result: String,
    pub addresses: Vec<String>,
    /// Frame of the DNS answer.
    pub answer_frame: Option<u64>,
    /// Kerberos: error code and realm.
    pub code: Option<i32>,
    pub realm: Option<String>,
    /// Kerberos: the KDC's time, to compare with the client's clock (clock skew).
    pub server_time: Option<String>,
    /// Kerberos: the client's time as its request stated it (`ctime`, RFC 4120 §5.9.1, echoed
    /// by the KDC when the request carried it).
    pub client_time: Option<String>,
    /// Kerberos: the KDC's time minus the client's, in seconds: from `ctime` when the error
    /// echoes it, else from the capture's timestamp of the error (the capturing host's clock;
    /// `skew_from` says which).
    pub skew_s: Option<f64>,
    /// `client_time` or `capture_time`.
    pub skew_from: Option<&'static str>,
}

impl SideEvent {
    /// True for failures worth a reader's attention.
    pub fn is_failure(&self) -> bool {
        match self.kind {
            SideKind::Dns => self.result != "NOERROR" || self.addresses.is_empty(),
            SideKind::Kerberos => true,
        }
    }
}

#[derive(Clone, Debug)]
struct PendingQuery {
    frame: u64,
    ts_ns: i64,
    client: IpAddr,
    server: IpAddr,
    name: String,
}

impl PendingQuery {
    /// The event for a query that got no answer.
    fn unanswered(self) -> SideEvent {
        SideEvent {
            kind: SideKind::Dns,
            frame: self.frame,
            time: rfc3339(self.ts_ns),
            ts_ns: self.ts_ns,
            client: self.client.to_string(),
            server: self.server.to_string(),
            name: Some(self.name),
            result: "no answer".into(),
            addresses: vec![],
            answer_frame: None,
            code: None,
            realm: None,
            server_time: None,
            client_time: None,
            skew_s: None,
            skew_from: None,
        }
    }
}

/// The most DNS queries waiting for an answer; beyond it the oldest are given up.
const MAX_PENDING: usize = 100_000;
/// The most events kept per capture.
pub const MAX_EVENTS: usize = 100_000;

/// Follows DNS queries to their answers and collects Kerberos errors.
#[derive(Default)]
pub struct SideTracker {
    pending: HashMap<(IpAddr, u16, u16), PendingQuery>,
    pub events: Vec<SideEvent>,
    pub dropped: u64,
}

impl SideTracker {
    pub fn feed(&mut self, d: &SideDatagram) {
        if d.src_port == 53 || d.dst_port == 53 {
            self.dns(d);
        } else if d.src_port == 88 || d.dst_port == 88 {
            self.kerberos(d);
        }
    }

    /// Feeds the messages of a DNS or Kerberos connection over TCP: each is preceded by its
    /// length, 2 bytes for DNS (RFC 1035 §4.2.2), 4 for Kerberos (RFC 4120 §7.2.2; the length
    /// stays on the message, as [`SideTracker::feed`] expects).
    pub fn feed_connection(&mut self, c: &crate::tcp::Connection) {
        let dns = c.class == crate::tcp::Class::Dns;
        let prefix = if dns { 2 } else { 4 };
        for (dir, from, to) in [(&c.c2s, c.client, c.server), (&c.s2c, c.server, c.client)] {
            let s = &dir.stream;
            let mut at = 0usize;
            while at + prefix <= s.len() {
                let len = s[at..at + prefix]
                    .iter()
                    .fold(0usize, |n, &b| (n << 8) | b as usize);
                let end = (at + prefix).saturating_add(len).min(s.len());
                let (frame, ts_ns) = super::pdu::frame_at(dir, end.saturating_sub(1));
                let start = if dns { at + 2 } else { at };
                self.feed(&SideDatagram {
                    frame,
                    ts_ns,
                    src: from.ip,
                    dst: to.ip,
                    src_port: from.port,
                    dst_port: to.port,
                    payload: s[start..end].to_vec(),
                });
                if len == 0 {
                    break;
                }
                at = end;
            }
        }
    }

    fn push(&mut self, e: SideEvent) {
        // The same datagram captured twice at the same instant (on two interfaces of one
        // host, as the corpus' FreeRDP-Kerberos capture was) is one event.
        let twice = self.events.last().is_some_and(|l| {
            l.ts_ns == e.ts_ns
                && l.kind == e.kind
                && l.client == e.client
                && l.server == e.server
                && l.code == e.code
                && l.result == e.result
                && l.name == e.name
        });
        if twice {
            return;
        }
        if self.events.len() < MAX_EVENTS {
            self.events.push(e);
        } else {
            self.dropped += 1;
        }
    }

    fn dns(&mut self, d: &SideDatagram) {
        let Some(msg) = parse_dns(&d.payload) else {
            return;
        };
        if !msg.response {
            if self.pending.len() >= MAX_PENDING {
                self.flush_older_than(i64::MAX);
            }
            let Some(name) = msg.question else { return };
            self.pending.insert(
                (d.src, d.src_port, msg.id),
                PendingQuery {
                    frame: d.frame,
                    ts_ns: d.ts_ns,
                    client: d.src,
                    server: d.dst,
                    name,
                },
            );
            return;
        }
        let q = self.pending.remove(&(d.dst, d.dst_port, msg.id));
        let (frame, ts_ns, name) = match q {
            Some(q) => (q.frame, q.ts_ns, Some(q.name)),
            None => (d.frame, d.ts_ns, msg.question.clone()),
        };
        self.push(SideEvent {
            kind: SideKind::Dns,
            frame,
            time: rfc3339(ts_ns),
            ts_ns,
            client: d.dst.to_string(),
            server: d.src.to_string(),
            name: name.or(msg.question),
            result: rcode_name(msg.rcode),
            addresses: msg.addresses.iter().map(|a| a.to_string()).collect(),
            answer_frame: Some(d.frame),
            code: None,
            realm: None,
            server_time: None,
            client_time: None,
            skew_s: None,
            skew_from: None,
        });
    }

    fn kerberos(&mut self, d: &SideDatagram) {
        // Over UDP a KRB-ERROR is the whole datagram; over TCP a 4-byte length comes first.
        let body = if d.payload.first() == Some(&0x7e) {
            &d.payload[..]
        } else {
            d.payload.get(4..).unwrap_or(&[])
        };
        if body.first() != Some(&0x7e) {
            return;
        }
        // The crate marks its parsing functions deprecated in favour of asn1-rs traits; this
        // one is the same call and keeps asn1-rs out of our direct dependencies.
        #[allow(deprecated)]
        let Ok((_, err)) = kerberos_parser::krb5_parser::parse_krb_error(body) else {
            return;
        };
        let code = err.error_code.0;
        let sname = err.sname.name_string.join("/");
        // KerberosTime fields (the asn1-rs type is not named here, its fields are).
        let s = &err.stime.0;
        let stime = krb_time_ns(
            [
                s.year,
                s.month.into(),
                s.day.into(),
                s.hour.into(),
                s.minute.into(),
                s.second.into(),
            ],
            Some(err.susec),
            s.millisecond,
        );
        let ctime = err.ctime.as_ref().and_then(|c| {
            let c = &c.0;
            krb_time_ns(
                [
                    c.year,
                    c.month.into(),
                    c.day.into(),
                    c.hour.into(),
                    c.minute.into(),
                    c.second.into(),
                ],
                err.cusec,
                c.millisecond,
            )
        });
        let (skew_s, skew_from) = match (stime, ctime) {
            (Some(s), Some(c)) => (Some(seconds(s - c)), Some("client_time")),
            (Some(s), None) => (Some(seconds(s - d.ts_ns)), Some("capture_time")),
            _ => (None, None),
        };
        self.push(SideEvent {
            kind: SideKind::Kerberos,
            frame: d.frame,
            time: rfc3339(d.ts_ns),
            ts_ns: d.ts_ns,
            client: d.dst.to_string(),
            server: d.src.to_string(),
            name: Some(sname),
            result: krb_error_name(code),
            addresses: vec![],
            answer_frame: None,
            code: Some(code),
            realm: Some(err.realm.0.clone()),
            server_time: Some(format!("{}", err.stime)),
            client_time: err.ctime.as_ref().map(|c| format!("{c}")),
            skew_s,
            skew_from,
        });
    }

    /// Reports queries still unanswered `after_ns` after they were sent (all of them with
    /// `i64::MAX`… as the capture's end).
    pub fn flush_older_than(&mut self, now_ns: i64) {
        let mut stale: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, q)| now_ns == i64::MAX || now_ns - q.ts_ns > 5_000_000_000)
            .map(|(k, q)| (*k, q.clone()))
            .collect();
        stale.sort_by_key(|(_, q)| q.frame);
        for (k, q) in stale {
            self.pending.remove(&k);
            self.push(q.unanswered());
        }
    }

    /// Ends tracking: unanswered queries become events; events sorted by frame.
    pub fn finish(mut self, capture_end_ns: i64) -> (Vec<SideEvent>, u64) {
        // A query is only unanswered when the capture went on long enough for an answer.
        let pending: Vec<_> = self.pending.drain().map(|(_, q)| q).collect();
        for q in pending {
            if capture_end_ns - q.ts_ns > 2_000_000_000 {
                self.push(q.unanswered());
            }
        }
        self.events.sort_by_key(|e| (e.frame, e.answer_frame));
        (self.events, self.dropped)
    }
}

/// Seconds, to the millisecond.
fn seconds(ns: i64) -> f64 {
    (ns as f64 / 1e6).round() / 1e3
}

/// A KerberosTime (RFC 4120 §5.2.3: GeneralizedTime, UTC, no fraction) — `[year, month, day,
/// hour, minute, second]` — plus its microseconds field, as nanoseconds since 1970; None for
/// an impossible date.
fn krb_time_ns(t: [u32; 6], usec: Option<u32>, millis: Option<u16>) -> Option<i64> {
    let [year, month, day, hour, minute, second] = t;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days since 1970-01-01 (H. Hinnant's days_from_civil).
    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(60));
    let frac = match usec {
        Some(u) => i64::from(u.min(999_999)) * 1000,
        None => i64::from(millis.unwrap_or(0)) * 1_000_000,
    };
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

/// A DNS message, as far as this tool needs it (RFC 1035 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub rcode: u8,
    pub question: Option<String>,
    pub addresses: Vec<IpAddr>,
}

/// Parses a DNS message; None when it is not one.
pub fn parse_dns(b: &[u8]) -> Option<DnsMessage> {
    if b.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([b[0], b[1]]);
    let flags = u16::from_be_bytes([b[2], b[3]]);
    let qd = u16::from_be_bytes([b[4], b[5]]);
    let an = u16::from_be_bytes([b[6], b[7]]);
    let mut at = 12;
    let mut question = None;
    for i in 0..qd.min(4) {
        let (name, next) = read_name(b, at)?;
        if i == 0 {
            question = Some(name);
        }
        at = next.checked_add(4)?;
    }
    let mut addresses = Vec::new();
    for _ in 0..an.min(64) {
        let Some((_, next)) = read_name(b, at) else {
            break;
        };
        let Some(h) = b.get(next..next + 10) else {
            break;
        };
        let rtype = u16::from_be_bytes([h[0], h[1]]);
        let rdlen = u16::from_be_bytes([h[8], h[9]]) as usize;
        let Some(rdata) = b.get(next + 10..next + 10 + rdlen) else {
            break;
        };
        match (rtype, rdlen) {
            (1, 4) => addresses.push(IpAddr::V4(Ipv4Addr::new(
                rdata[0], rdata[1], rdata[2], rdata[3],
            ))),
            (28, 16) => {
                let a: [u8; 16] = rdata.try_into().ok()?;
                addresses.push(IpAddr::V6(Ipv6Addr::from(a)));
            }
            _ => {}
        }
        at = next + 10 + rdlen;
    }
    Some(DnsMessage {
        id,
        response: flags & 0x8000 != 0,
        rcode: (flags & 0x000f) as u8,
        question,
        addresses,
    })
}

/// Reads a possibly compressed domain name (RFC 1035 §4.1.4); returns it and the offset after
/// it in the message.
fn read_name(b: &[u8], start: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let mut at = start;
    let mut end = None;
    for _ in 0..128 {
        let len = *b.get(at)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = ((len & 0x3f) << 8) | *b.get(at + 1)? as usize;
            end.get_or_insert(at + 2);
            at = ptr;
            continue;
        }
        let label = b.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + len;
    }
    None
}

fn rcode_name(r: u8) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        other => format!("RCODE{other}"),
    }
}

pub use crate::model::codes::kerberos_error_name as krb_error_name;

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for rdp.example.com (id 0x1234) and an NXDOMAIN answer to it.
    fn query(id: u16, response: bool, rcode: u8, answer: Option<[u8; 4]>) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(id.to_be_bytes());
        let flags: u16 = if response {
            0x8180 | rcode as u16
        } else {
            0x0100
        };
        b.extend(flags.to_be_bytes());
        b.extend(1u16.to_be_bytes());
        b.extend((answer.is_some() as u16).to_be_bytes());
        b.extend([0, 0, 0, 0]);
        for l in ["rdp", "example", "com"] {
            b.push(l.len() as u8);
            b.extend(l.as_bytes());
        }
        b.push(0);
        b.extend([0, 1, 0, 1]);
        if let Some(a) = answer {
            b.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            b.extend(a);
        }
        b
    }

    fn dgram(
        frame: u64,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        payload: Vec<u8>,
    ) -> SideDatagram {
        SideDatagram {
            frame,
            ts_ns: frame as i64 * 1_000_000,
            src: IpAddr::V4(src.into()),
            dst: IpAddr::V4(dst.into()),
            src_port: sport,
            dst_port: dport,
            payload,
        }
    }

    #[test]
    fn dns_answers_and_failures() {
        let m = parse_dns(&query(0x1234, true, 0, Some([10, 0, 0, 9]))).unwrap();
        assert_eq!(m.question.as_deref(), Some("rdp.example.com"));
        assert_eq!(m.addresses, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9))]);
        let mut t = SideTracker::default();
        t.feed(&dgram(
            1,
            [10, 0, 0, 5],
            5555,
            [10, 0, 0, 1],
            53,
            query(7, false, 0, None),
        ));
        t.feed(&dgram(
            2,
            [10, 0, 0, 1],
            53,
            [10, 0, 0, 5],
            5555,
            query(7, true, 3, None),
        ));
        t.feed(&dgram(
            3,
            [10, 0, 0, 5],
            5556,
            [10, 0, 0, 1],
            53,
            query(8, false, 0, None),
        ));
        let (events, _) = t.finish(60_000_000_000);
        assert_eq!(events.len(), 2);
        assert_eq!(
            (
                events[0].frame,
                events[0].answer_frame,
                events[0].result.as_str()
            ),
            (1, Some(2), "NXDOMAIN")
        );
        assert_eq!(events[0].client, "10.0.0.5");
        assert_eq!(
            (events[1].frame, events[1].result.as_str()),
            (3, "no answer")
        );
    }

    #[test]
    fn kerberos_times_to_instants() {
        // 2026-11-22T04:00:00Z is 1795320000 s (tshark's epoch time of the fixtures, plus 18:10).
        assert_eq!(
            krb_time_ns([2026, 11, 22, 4, 0, 0], Some(250_000), None),
            Some(1_795_320_000_250_000_000)
        );
        assert_eq!(
            krb_time_ns([2000, 2, 29, 0, 0, 0], None, Some(5)),
            Some(951_782_400_005_000_000)
        );
        assert_eq!(krb_time_ns([2026, 13, 1, 0, 0, 0], None, None), None);
        assert_eq!(krb_time_ns([u32::MAX, 1, 1, 0, 0, 0], None, None), None);
    }

    #[test]
    fn never_panics_on_cut_dns() {
        let q = query(1, true, 0, Some([1, 2, 3, 4]));
        for n in 0..q.len() {
            let _ = parse_dns(&q[..n]);
        }
        // A compression pointer loop ends.
        let mut l = query(1, false, 0, None);
        l[12] = 0xc0;
        l[13] = 12;
        let _ = parse_dns(&l);
    }
}
