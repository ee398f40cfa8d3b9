//! Connection details kept on disk once a run holds many connections, so memory stays bounded
//! by what a person reads (addresses, verdicts, attempts), not by the capture's size.
//!
//! A connection's report is two parts: the compact head every consumer reads (addresses,
//! times, verdict, cause, attempt) and its [`ConnectionDetail`] (summary, stages, negotiation,
//! TLS, MCS, message sequence, network counters), about 2.5 KB of JSON and several KB in
//! memory.
//! The first [`held_limit`] details of a run stay in memory; later ones are written, as
//! compact JSON, to one unnamed temporary file (removed by the system when the process ends)
//! and read back one at a time when a finding, a renderer or the JSON writer asks for them.
//! A capture of more connections than that is a large run: its held details are then
//! trimmed to the first [`trimmed_limit`] ([`trim`]), as spilling costs about 15 µs a
//! detail, small beside such a run, and frees tens of MB.
//! The report is byte-for-byte the same whichever way a detail was kept (tested by
//! `tests/spill.rs` with `RDPTRIAGE_HOLD_DETAILS=0`).
//!
//! The records go to the run's scratch file (`model::scratch`). Written by hand: a single
//! append-only file of JSON records addressed by offset
//! (positional writes and reads, no locks); no crate does just that without a database.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::judged::{ConnectionDetail, JudgedConnection};
use crate::model::scratch::{append, read_at};

/// How many connection details a run keeps in memory before it spills the rest: 16,384
/// (about 60 MB), or `RDPTRIAGE_HOLD_DETAILS` when set (tests set 0 to spill everything).
pub fn held_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("RDPTRIAGE_HOLD_DETAILS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(16_384)
    })
}

/// A connection's detail: in memory, or at an offset of the spill file.
#[derive(Clone, Debug)]
pub enum Detail {
    Held(Box<ConnectionDetail>),
    Spilled(Spilled),
}

/// Where a spilled detail sits in the process's spill file: its offset and length in one
/// number (the offset above `LEN_BITS`, the length below), so that a connection's head
/// stays small. A detail too long for it (16 MiB; one is a few KB) or past the first TiB of
/// the file stays in memory.
#[derive(Clone, Debug)]
pub struct Spilled(u64);

/// Bits of [`Spilled`] that hold the length.
const LEN_BITS: u32 = 24;

impl Spilled {
    fn new(offset: u64, len: usize) -> Option<Spilled> {
        (len < 1 << LEN_BITS && offset < 1 << (64 - LEN_BITS))
            .then_some(Spilled(offset << LEN_BITS | len as u64))
    }

    fn offset(&self) -> u64 {
        self.0 >> LEN_BITS
    }

    fn len(&self) -> usize {
        (self.0 & ((1 << LEN_BITS) - 1)) as usize
    }
}

impl Detail {
    pub fn held(d: ConnectionDetail) -> Detail {
        Detail::Held(Box::new(d))
    }

    /// The detail, borrowed when held, read back when spilled. A spilled detail that cannot
    /// be read back (the temporary file damaged under us) reads as empty, never a panic.
    pub fn get(&self) -> Cow<'_, ConnectionDetail> {
        match self {
            Detail::Held(d) => Cow::Borrowed(d),
            Detail::Spilled(s) => Cow::Owned(s.read().unwrap_or_default()),
        }
    }

    /// The detail to change, while it is held.
    pub fn held_mut(&mut self) -> Option<&mut ConnectionDetail> {
        match self {
            Detail::Held(d) => Some(d),
            Detail::Spilled(_) => None,
        }
    }

    pub fn is_spilled(&self) -> bool {
        matches!(self, Detail::Spilled(_))
    }
}

impl Spilled {
    fn read(&self) -> Option<ConnectionDetail> {
        let mut buf = vec![0u8; self.len()];
        read_at(&mut buf, self.offset()).then_some(())?;
        serde_json::from_slice(&buf).ok()
    }
}

/// Settles a batch of freshly judged connections: while the run holds fewer than
/// [`held_limit`] details in memory (`held` counts them) their details stay there; the rest
/// are written to the spill file, the batch in one write. A detail that cannot be written
/// (no temporary file, disk full) stays in memory rather than be lost.
pub fn settle(batch: &mut [JudgedConnection], held: &AtomicUsize) {
    settle_within(batch, held, held_limit());
}

fn settle_within(batch: &mut [JudgedConnection], held: &AtomicUsize, limit: usize) {
    let n = batch.len();
    let held_before = held.fetch_add(n, Ordering::Relaxed);
    let keep = limit.saturating_sub(held_before).min(n);
    if keep == n {
        return;
    }
    let spilled = spill_all(&mut batch[keep..]);
    held.fetch_sub(spilled, Ordering::Relaxed);
}

/// How many details a single stream of more than [`held_limit`] connections goes on holding
/// once it has that many: a quarter of the limit (4,096 by default).
pub fn trimmed_limit() -> usize {
    held_limit() / 4
}

/// For a stream of many connections: once `list` (one stream's connections in the order
/// they were judged) holds more than [`held_limit`] connections, the run is a large one,
/// where a few more spilled details cost little time and the memory they free matters;
/// the details it holds past the first [`trimmed_limit`] are spilled. Those stay counted in
/// `held`, so the stream's later details are spilled as they come. Returns true once done
/// (or when there was nothing to do because the list is still small: then false).
pub fn trim(list: &mut [JudgedConnection]) -> bool {
    trim_within(list, held_limit(), trimmed_limit())
}

fn trim_within(list: &mut [JudgedConnection], limit: usize, keep: usize) -> bool {
    if list.len() <= limit {
        return false;
    }
    let mut kept = 0;
    let from = list
        .iter()
        .position(|c| {
            if !c.detail.is_spilled() {
                kept += 1;
            }
            kept > keep
        })
        .unwrap_or(list.len());
    // A chunk at a time: the text written is held until the write.
    for chunk in list[from..].chunks_mut(1024) {
        spill_all(chunk);
    }
    true
}

/// Writes the held details of `batch` to the spill file, in one write; returns how many.
/// A detail that cannot be written (no temporary file, disk full) stays in memory rather
/// than be lost.
fn spill_all(batch: &mut [JudgedConnection]) -> usize {
    let mut buf = Vec::with_capacity(batch.len() * 3072);
    let mut spans = Vec::with_capacity(batch.len());
    for c in batch.iter() {
        let start = buf.len();
        let written = match &c.detail {
            Detail::Held(d) => serde_json::to_writer(&mut buf, d).is_ok(),
            Detail::Spilled(_) => false,
        };
        if !written {
            buf.truncate(start);
            spans.push(None);
            continue;
        }
        spans.push(Some((start as u64, buf.len() - start)));
    }
    if buf.is_empty() {
        return 0;
    }
    let Some(base) = append(&buf) else {
        return 0;
    };
    let mut spilled = 0;
    for (c, span) in batch.iter_mut().zip(spans) {
        if let Some((offset, len)) = span
            && let Some(at) = Spilled::new(base + offset, len)
        {
            c.detail = Detail::Spilled(at);
            spilled += 1;
        }
    }
    spilled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::facts::{Alert, AlertLevel, TlsFacts};
    use crate::handshake::judged::{IcmpError, NetworkFacts, StageOutcome};
    use crate::handshake::messages::{Message, Sender};
    use crate::model::{Evidence, Party, Stage, Status};

    fn connection(i: u64) -> JudgedConnection {
        let mut network = NetworkFacts {
            rtt_ms: Some(0.1 + i as f64 / 3.0),
            reset_by: Some(Party::Server),
            reset_frame: Some(7 + i),
            roles_from: crate::tcp::RoleSource::Syn,
            ..Default::default()
        };
        network.icmp.push(IcmpError {
            frame: 4,
            time: "2024-01-01T00:00:00.000001Z".into(),
            from: "10.0.0.1".into(),
            message: "destination unreachable: port \"unreachable\"".into(),
            icmp_type: 3,
            code: 3,
            about: Party::Client,
        });
        let mut c = crate::handshake::judged::sample_connection(&format!("c{i}"));
        c.first_frame = i;
        c.timed = i.is_multiple_of(2);
        c.start_ns = i as i64 * 1_000_000_007;
        c.superseded_by = i
            .is_multiple_of(3)
            .then_some(crate::model::ConnId(i as u32 + 1));
        c.detail = Detail::held(ConnectionDetail {
            summary: format!("refused \"{i}\""),
            seen: None,
            stages: vec![StageOutcome {
                stage: Stage::Nla,
                status: Status::Failed,
                frames: vec![i, i + 3],
                note: Some("a \"quoted\"\nnote".into()),
                seen: None,
                evidence: Some(Evidence::Inferred),
            }],
            credssp: None,
            negotiation: None,
            tls: Some(TlsFacts {
                version: Some("TLS 1.2".into()),
                alerts: vec![Alert {
                    from: Party::Server,
                    level: AlertLevel::Fatal,
                    description: Some("a \"quoted\" alert".into()),
                    frame: i,
                }],
                ..Default::default()
            }),
            mcs: None,
            messages: Some(vec![Message {
                frame: 1,
                last_frame: None,
                ms: 1.5 + i as f64 / 7.0,
                from: Sender::Client,
                label: "SYN".into(),
                count: 1,
                omitted_before: None,
            }]),
            network,
        });
        c
    }

    #[test]
    fn spilled_details_read_back_as_written() {
        let held = AtomicUsize::new(0);
        let mut batch: Vec<JudgedConnection> = (0..5).map(connection).collect();
        let before = serde_json::to_string_pretty(&batch).unwrap();
        settle_within(&mut batch, &held, 2);
        let spilled: Vec<bool> = batch.iter().map(|c| c.detail.is_spilled()).collect();
        assert_eq!(spilled, [false, false, true, true, true]);
        assert_eq!(held.load(Ordering::Relaxed), 2);
        assert_eq!(serde_json::to_string_pretty(&batch).unwrap(), before);
        let d = batch[4].detail();
        assert_eq!(d.stages[0].frames, [4, 7]);
        assert_eq!(d.summary, "refused \"4\"");
        assert_eq!(batch[3].detail().summary, "refused \"3\"");
        assert_eq!(d.network.rtt_ms, Some(0.1 + 4.0 / 3.0));
        assert_eq!(d.network.icmp[0].about, Party::Client);
        // A second batch past the limit spills whole.
        let mut more: Vec<JudgedConnection> = (5..8).map(connection).collect();
        settle_within(&mut more, &held, 2);
        assert!(more.iter().all(|c| c.detail.is_spilled()));
        assert_eq!(more[2].detail().stages[0].frames, [7, 10]);
    }

    #[test]
    fn a_long_list_is_trimmed_once_past_the_limit() {
        let mut list: Vec<JudgedConnection> = (0..6).map(connection).collect();
        let before = serde_json::to_string_pretty(&list).unwrap();
        // Not past the limit: nothing to do.
        assert!(!trim_within(&mut list, 6, 2));
        assert!(list.iter().all(|c| !c.detail.is_spilled()));
        // Past it: the first two held details stay, the rest are spilled.
        list[1].detail = {
            let mut one = vec![connection(1)];
            settle_within(&mut one, &AtomicUsize::new(0), 0);
            one.pop().unwrap().detail
        };
        assert!(trim_within(&mut list, 5, 2));
        let spilled: Vec<bool> = list.iter().map(|c| c.detail.is_spilled()).collect();
        assert_eq!(spilled, [false, true, false, true, true, true]);
        assert_eq!(serde_json::to_string_pretty(&list).unwrap(), before);
    }
}
