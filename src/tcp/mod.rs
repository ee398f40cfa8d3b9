//! TCP connection tracking and per-direction reassembly (RFC 9293), over the packet facts
//! of one shard, in frame order.
//!
//! A connection is keyed by its unordered address pair; a SYN with a new initial sequence
//! number on a pair already in use starts a new connection (port reuse), the same ISN again is
//! a SYN retry. Connections first seen without a SYN (the capture started mid-stream) get their
//! roles from the RDP port, the TPKT header of the first client bytes, or the lower port.
//!
//! Network health per direction follows Wireshark's `tcp.analysis.*` vocabulary where it can:
//! retransmissions, out-of-order segments, "previous segment not captured" (gaps), bytes never
//! seen (missed bytes), duplicate ACKs, zero windows, keep-alives.
//!
//! Payload is kept only for connections that can carry RDP (an RDP port, or first client bytes
//! that look like a TPKT X.224 Connection Request) and for Kerberos and DNS over TCP, and only
//! the first [`TrackerConfig::payload_cap`] bytes of each direction: the connection sequence
//! lives there. Everything else is counted, not stored.
//!
//! Memory stays bounded whatever the capture: kept payload past a budget is moved to disk
//! until the connection ends ([`park`]); closed connections end sooner when a shard holds
//! many ([`PRESSURE_FLOWS`]); and a shard tracks at most [`MAX_FLOWS`] connections, of which
//! [`MAX_HALF_OPEN`] half-open, the longest idle ending early past either (`Shard::evict`).

pub mod park;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::capture::decode::{Endpoint, FactKind, IcmpFact, PacketFact, SHARDS, tcp_flags};

/// A UDP datagram (or one message of a TCP stream) on port 53 or 88, as captured.
#[derive(Clone, Debug)]
pub struct SideDatagram {
    pub frame: u64,
    pub ts_ns: i64,
    pub src: std::net::IpAddr,
    pub dst: std::net::IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// What the tracker keeps and for how long.
#[derive(Clone, Debug)]
pub struct TrackerConfig {
    /// Server ports treated as RDP whatever the payload says.
    pub rdp_ports: Vec<u16>,
    /// Bytes of payload kept per direction of an RDP, Kerberos or DNS connection.
    pub payload_cap: usize,
    /// Bytes of kept payload a capture holds in memory for its open connections before the
    /// largest are moved to disk ([`park::held_payload`]).
    pub held_payload: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            rdp_ports: vec![3389],
            payload_cap: 64 * 1024,
            held_payload: park::held_payload(),
        }
    }
}

/// What a connection carries, as far as the tracker can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No client payload yet, and no RDP port.
    Undecided,
    Rdp,
    Kerberos,
    Dns,
    Other,
}

/// Which side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    /// The side as the report names it.
    pub fn party(self) -> crate::model::Party {
        match self {
            Side::Client => crate::model::Party::Client,
            Side::Server => crate::model::Party::Server,
        }
    }
}

/// How the client and server roles were decided (the report's `network.roles_from`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// The client sent the first SYN.
    #[default]
    Syn,
    /// Only the server's SYN-ACK was captured.
    SynAck,
    /// Mid-stream: one port is an RDP port.
    RdpPort,
    /// Mid-stream: one side's first bytes were an X.224 Connection Request.
    Payload,
    /// Mid-stream: the lower port was taken as the server's.
    LowerPort,
}

/// A packet that matters as evidence: its frame number and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    pub frame: u64,
    pub ts_ns: i64,
}

/// A stretch of one direction's reassembled stream and the frame that carried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Offset in the direction's stream.
    pub offset: u32,
    pub len: u32,
    pub frame: u64,
    pub ts_ns: i64,
}

/// An ICMP error that quoted one of this connection's packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpEvent {
    pub mark: Mark,
    pub icmp: IcmpFact,
    /// Which side's packet the error quoted.
    pub about: Side,
}

/// Most gaps remembered per direction; older ones are folded into the missed-byte count.
const MAX_HOLES: usize = 256;
/// ICMP errors kept per connection; more are counted (`Connection::icmp_omitted`).
pub const MAX_ICMP: usize = 16;
/// Most stream segments remembered per direction (evidence for the kept payload).
const MAX_SEGMENTS: usize = 4096;
/// Most out-of-order stretches held per direction while waiting for the gap before them.
const MAX_PENDING: usize = 256;

/// One direction of a connection: sequence-space bookkeeping, health counters and the kept
/// start of its byte stream.
#[derive(Clone, Debug, Default)]
pub struct Direction {
    /// Sequence number of stream offset 0 (ISN + 1 when the SYN was seen).
    base: Option<u32>,
    /// Highest stream offset + 1 seen (relative to `base`; may start negative-free at 0).
    high: i64,
    /// Ranges of stream offsets never seen yet, with the time the gap appeared.
    holes: Vec<(i64, i64, i64)>,
    /// Bytes in gaps forgotten because there were too many to remember.
    folded_missed: u64,
    pub packets: u64,
    pub bytes: u64,
    pub retransmissions: u64,
    /// Retransmissions that are the same IP packet captured twice (same IPv4 identification):
    /// an artefact of the capture, not loss.
    pub duplicates: u64,
    /// The last data segment: stream offset, length, IPv4 identification.
    last_data: Option<(i64, u32, u16)>,
    /// The furthest stream offset a real retransmission (not a packet captured twice)
    /// carried, 0 when none did: whether the peer acknowledged it says whether the loss was
    /// recovered ([`Connection::retransmission_unrecovered`]).
    retransmitted_end: i64,
    pub out_of_order: u64,
    /// "Previous segment not captured" events.
    pub gaps: u64,
    pub dup_acks: u64,
    pub zero_windows: u64,
    pub keep_alives: u64,
    /// The last packet this side sent was a keep-alive (so the peer's next pure ACK is its
    /// answer, not a duplicate ACK).
    keep_alive_last: bool,
    /// The last ACK number and window this side sent.
    last_ack: Option<(u32, u16)>,
    /// Consecutive duplicate ACKs, and when the last one was sent.
    dup_run: u32,
    last_dup_ns: i64,
    pub first_fin: Option<Mark>,
    pub first_rst: Option<Mark>,
    /// Payload past [`TrackerConfig::payload_cap`] was seen, counted and not kept: what the
    /// stream carried after its first bytes (how a session ended) is not read.
    pub beyond_cap: bool,
    /// Kept bytes, contiguous from stream offset 0.
    pub stream: Vec<u8>,
    pub segments: Vec<Segment>,
    /// Stretches of `stream` filled with zeros because their bytes were never captured.
    pub stream_holes: Vec<(u32, u32)>,
    pending: Vec<(u32, Vec<u8>, u64, i64)>,
    /// Time of the most recent data segment that advanced `high`.
    last_advance_ns: i64,
    /// The start of `stream` and `segments`, moved to disk while the connection is open
    /// (`park`): `stream` then holds the bytes after them. Read back when the connection ends.
    parked: Option<Box<park::Parked>>,
}

impl Direction {
    /// This direction with other bytes in place of its kept stream (its decrypted plaintext,
    /// `handshake::decrypt`), each segment naming the frame that carried them; its counts,
    /// FIN, RST and losses stay as they were.
    pub fn with_stream(&self, stream: Vec<u8>, segments: Vec<Segment>) -> Direction {
        Direction {
            holes: self.holes.clone(),
            stream,
            segments,
            stream_holes: Vec::new(),
            pending: Vec::new(),
            parked: None,
            ..self.clone_counts()
        }
    }

    /// Everything but the bytes.
    fn clone_counts(&self) -> Direction {
        Direction {
            holes: Vec::new(),
            stream: Vec::new(),
            segments: Vec::new(),
            stream_holes: Vec::new(),
            pending: Vec::new(),
            parked: None,
            ..*self
        }
    }

    /// Bytes in this direction's sequence space that were never captured.
    pub fn missed_bytes(&self) -> u64 {
        self.folded_missed
            + self
                .holes
                .iter()
                .map(|&(a, b, _)| (b - a).max(0) as u64)
                .sum::<u64>()
    }

    /// Length of the kept stream, parked bytes included.
    fn kept_len(&self) -> usize {
        self.parked.as_ref().map_or(0, |p| p.stream_len) + self.stream.len()
    }

    /// Segments remembered, parked ones included.
    fn segment_count(&self) -> usize {
        self.parked.as_ref().map_or(0, |p| p.segment_count) + self.segments.len()
    }

    /// Memory the kept stream and segment list hold.
    fn held_bytes(&self) -> usize {
        self.stream.capacity() + self.segments.capacity() * std::mem::size_of::<Segment>()
    }

    /// Adds the kept stream and segments in memory to a batch being parked.
    fn park_into(&self, batch: &mut park::Batch) -> park::Piece {
        batch.add(&self.stream, &self.segments)
    }

    /// Records that the batch holding `piece` was written: frees the memory it parked.
    fn parked_as(&mut self, piece: park::Piece, batch: &park::Batch) {
        self.parked
            .get_or_insert_with(Default::default)
            .record(piece, batch);
        self.stream = Vec::new();
        self.segments = Vec::new();
    }

    /// Reads parked bytes and segments back in front of those in memory.
    fn unpark(&mut self) {
        if let Some(parked) = self.parked.take() {
            (self.stream, self.segments) =
                parked.unpark(&self.stream, &self.segments, &mut self.stream_holes);
        }
    }

    /// Stream offset of a sequence number, unwrapped around `high`.
    fn rel(&self, base: u32, seq: u32) -> i64 {
        let expected = base.wrapping_add(self.high as u32);
        self.high + seq.wrapping_sub(expected) as i32 as i64
    }

    fn add_hole(&mut self, from: i64, to: i64, ts: i64) {
        if self.holes.len() >= MAX_HOLES {
            let (a, b, _) = self.holes.remove(0);
            self.folded_missed += (b - a).max(0) as u64;
        }
        self.holes.push((from, to, ts));
    }

    /// Removes `[from, to)` from the holes.
    fn fill_holes(&mut self, from: i64, to: i64) {
        let mut i = 0;
        while i < self.holes.len() {
            let (a, b, t) = self.holes[i];
            let lo = a.max(from);
            let hi = b.min(to);
            if lo < hi {
                self.holes.remove(i);
                if a < lo {
                    self.holes.insert(i, (a, lo, t));
                    i += 1;
                }
                if hi < b {
                    self.holes.insert(i, (hi, b, t));
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
    }

    /// Stores payload for stream offset `off` (already known to be ≥ 0).
    fn keep(&mut self, off: i64, data: &[u8], frame: u64, ts: i64, cap: usize) {
        if data.is_empty() {
            return;
        }
        if off.saturating_add(data.len() as i64) > cap as i64 {
            self.beyond_cap = true;
        }
        if off >= cap as i64 {
            return;
        }
        let off = off as usize;
        let data = &data[..data.len().min(cap - off)];
        let have = self.kept_len();
        if off > have {
            if self.pending.len() < MAX_PENDING {
                self.pending.push((off as u32, data.to_vec(), frame, ts));
            }
            return;
        }
        if off + data.len() <= have {
            return;
        }
        self.append(&data[have - off..], frame, ts);
        self.drain_pending();
    }

    fn append(&mut self, data: &[u8], frame: u64, ts: i64) {
        let offset = self.kept_len() as u32;
        if self.stream.capacity() == 0 {
            // A handshake's first flight in one allocation, not grown by doubling from a few
            // bytes (each growth copies what came before).
            self.stream.reserve(data.len().max(1024));
        }
        self.stream.extend_from_slice(data);
        if self.segment_count() < MAX_SEGMENTS {
            self.segments.push(Segment {
                offset,
                len: data.len() as u32,
                frame,
                ts_ns: ts,
            });
        }
    }

    fn drain_pending(&mut self) {
        loop {
            let have = self.kept_len();
            let Some(i) = self
                .pending
                .iter()
                .position(|(o, d, _, _)| (*o as usize) <= have && *o as usize + d.len() > have)
            else {
                let have = self.kept_len();
                self.pending
                    .retain(|(o, d, _, _)| *o as usize + d.len() > have);
                return;
            };
            let (o, d, frame, ts) = self.pending.swap_remove(i);
            let skip = have - o as usize;
            self.append(&d[skip..], frame, ts);
        }
    }

    /// At the end of the connection: bytes held after a gap that never filled are placed in
    /// the stream behind zero-filled holes, so decoders see them and know what is missing.
    /// The stream is read back first when it was parked.
    fn flush_pending(&mut self) {
        self.unpark();
        self.pending.sort_by_key(|p| p.0);
        let pending = std::mem::take(&mut self.pending);
        for (o, d, frame, ts) in pending {
            let have = self.stream.len();
            let o = o as usize;
            if o + d.len() <= have {
                continue;
            }
            if o > have {
                self.stream_holes.push((have as u32, (o - have) as u32));
                self.stream.resize(o, 0);
            }
            let skip = self.stream.len() - o;
            self.append(&d[skip..], frame, ts);
        }
    }
}

/// One TCP connection as tracked so far.
#[derive(Clone, Debug)]
pub struct Connection {
    pub client: Endpoint,
    pub server: Endpoint,
    pub roles: RoleSource,
    pub class: Class,
    pub first: Mark,
    pub last: Mark,
    /// Client SYNs: the first, and how many times it was sent again.
    pub syn: Option<Mark>,
    pub syn_retries: u32,
    /// Frames of the client's SYNs for the current ISN (the first and its retries, up to 16).
    pub syn_frames: Vec<u64>,
    /// The client's SYN was sent again before the first SYN-ACK: which SYN the SYN-ACK
    /// answers is ambiguous, so it gives no RTT sample (Karn's rule, RFC 6298 §3).
    syn_retried_before_synack: bool,
    /// A SYN or SYN-ACK was sent again before the client's handshake ACK: which one the ACK
    /// follows is ambiguous, so SYN → ACK gives no RTT sample (Karn's rule).
    handshake_retried: bool,
    /// The IPv4 identification of the latest client SYN: a SYN seen again with the same one
    /// is the same packet captured twice, not a retransmission.
    last_syn_ip_id: u16,
    /// The same for the server's SYN-ACK.
    last_synack_ip_id: u16,
    client_isn: Option<u32>,
    pub synack: Option<Mark>,
    pub synack_retries: u32,
    server_isn: Option<u32>,
    /// The client's ACK completing the three-way handshake.
    pub handshake_ack: Option<Mark>,
    pub mss_client: Option<u16>,
    pub mss_server: Option<u16>,
    pub c2s: Direction,
    pub s2c: Direction,
    /// The first [`MAX_ICMP`] ICMP errors quoting the connection's packets.
    pub icmp: Vec<IcmpEvent>,
    /// ICMP errors past the first [`MAX_ICMP`], counted.
    pub icmp_omitted: u32,
    /// TTLs seen from the server, to tell its own packets from injected ones later.
    pub server_ttls: Vec<u8>,
    pub rst_ttl: Option<u8>,
    /// For a connection ended for being idle: the capture time up to which it was seen
    /// idle (its last packet plus the idle limit), whatever the moment its shard noticed.
    pub idle_until_ns: Option<i64>,
    /// Ended while still open because its shard tracked too many connections
    /// (`Shard::evict`): what follows in the capture was not looked at.
    pub ended_early: bool,
}

impl Connection {
    fn new(fact: &PacketFact, cfg: &TrackerConfig) -> Connection {
        let mark = Mark {
            frame: fact.frame,
            ts_ns: fact.ts_ns,
        };
        let (client, server, roles) = match fact.kind {
            FactKind::Tcp(t) if t.flags & tcp_flags::SYN != 0 && t.flags & tcp_flags::ACK == 0 => {
                (fact.src, fact.dst, RoleSource::Syn)
            }
            FactKind::Tcp(t) if t.flags & tcp_flags::SYN != 0 => {
                (fact.dst, fact.src, RoleSource::SynAck)
            }
            _ => guess_roles(fact, cfg),
        };
        Connection {
            client,
            server,
            roles,
            class: Class::Undecided,
            first: mark,
            last: mark,
            syn: None,
            syn_retries: 0,
            syn_frames: Vec::new(),
            syn_retried_before_synack: false,
            handshake_retried: false,
            last_syn_ip_id: 0,
            last_synack_ip_id: 0,
            client_isn: None,
            synack: None,
            synack_retries: 0,
            server_isn: None,
            handshake_ack: None,
            mss_client: None,
            mss_server: None,
            c2s: Direction::default(),
            s2c: Direction::default(),
            icmp: Vec::new(),
            icmp_omitted: 0,
            server_ttls: Vec::new(),
            rst_ttl: None,
            idle_until_ns: None,
            ended_early: false,
        }
    }

    pub fn dir(&self, side: Side) -> &Direction {
        match side {
            Side::Client => &self.c2s,
            Side::Server => &self.s2c,
        }
    }

    /// The first RST and who sent it.
    pub fn first_reset(&self) -> Option<(Side, Mark)> {
        first_of(self.c2s.first_rst, self.s2c.first_rst)
    }

    /// Whether data `side` sent again was still not acknowledged by the peer when the
    /// capture of the connection ends: loss not recovered (RFC 9293 §3.10.7.4: what the
    /// peer's last ACK covers arrived).
    pub fn retransmission_unrecovered(&self, side: Side) -> bool {
        let (dir, peer) = match side {
            Side::Client => (&self.c2s, &self.s2c),
            Side::Server => (&self.s2c, &self.c2s),
        };
        if dir.retransmitted_end == 0 {
            return false;
        }
        match (dir.base, peer.last_ack) {
            (Some(base), Some((ack, _))) => dir.rel(base, ack) < dir.retransmitted_end,
            _ => true,
        }
    }

    /// The first FIN and who sent it.
    pub fn first_fin(&self) -> Option<(Side, Mark)> {
        first_of(self.c2s.first_fin, self.s2c.first_fin)
    }

    pub fn is_closed(&self) -> bool {
        self.first_reset().is_some()
            || (self.c2s.first_fin.is_some() && self.s2c.first_fin.is_some())
    }

    /// Round-trip time from the handshake, following Karn's rule (RFC 6298 §3): no sample
    /// spans a retransmitted SYN or SYN-ACK, as which packet it answers is ambiguous.
    ///
    /// The client's SYN to its ACK of the SYN-ACK, which is one round trip wherever the
    /// capture was taken, when neither the SYN nor the SYN-ACK was sent again before that ACK;
    /// otherwise (or without the ACK) the SYN to the first SYN-ACK, when the SYN was not sent
    /// again before it; otherwise none.
    pub fn handshake_rtt_ns(&self) -> Option<i64> {
        let syn = self.syn?;
        let sa = self.synack?;
        if self.syn_retried_before_synack {
            return None;
        }
        match self.handshake_ack {
            Some(ack) if !self.handshake_retried => Some(ack.ts_ns - syn.ts_ns),
            _ => Some(sa.ts_ns - syn.ts_ns),
        }
        .filter(|&d| d >= 0)
    }

    fn apply_tcp(
        &mut self,
        fact: &PacketFact,
        t: &crate::capture::decode::TcpFact,
        payload: &[u8],
        cfg: &TrackerConfig,
    ) {
        let mark = Mark {
            frame: fact.frame,
            ts_ns: fact.ts_ns,
        };
        let from_client = fact.src == self.client;
        self.last = mark;
        let syn = t.flags & tcp_flags::SYN != 0;
        let ack = t.flags & tcp_flags::ACK != 0;
        let rst = t.flags & tcp_flags::RST != 0;
        let fin = t.flags & tcp_flags::FIN != 0;
        if !from_client {
            if self.server_ttls.len() < 8 && !rst && !self.server_ttls.contains(&fact.ttl) {
                self.server_ttls.push(fact.ttl);
            }
            if rst && self.rst_ttl.is_none() {
                self.rst_ttl = Some(fact.ttl);
            }
        }

        if syn {
            if from_client && !ack {
                match self.client_isn {
                    // The same SYN captured twice (same nonzero IPv4 identification).
                    Some(isn)
                        if isn == t.seq && fact.ip_id != 0 && fact.ip_id == self.last_syn_ip_id => {
                    }
                    Some(isn) if isn == t.seq => {
                        self.last_syn_ip_id = fact.ip_id;
                        self.syn_retries += 1;
                        if self.synack.is_none() {
                            self.syn_retried_before_synack = true;
                        }
                        if self.handshake_ack.is_none() {
                            self.handshake_retried = true;
                        }
                        if self.syn_frames.len() < 16 {
                            self.syn_frames.push(fact.frame);
                        }
                    }
                    _ => {
                        self.last_syn_ip_id = fact.ip_id;
                        self.syn = Some(mark);
                        self.syn_retried_before_synack = false;
                        self.handshake_retried = false;
                        self.syn_frames = vec![fact.frame];
                        self.client_isn = Some(t.seq);
                        self.c2s.base = Some(t.seq.wrapping_add(1));
                        self.mss_client = t.mss;
                    }
                }
            } else if !from_client && ack {
                match self.server_isn {
                    Some(isn)
                        if isn == t.seq
                            && fact.ip_id != 0
                            && fact.ip_id == self.last_synack_ip_id => {}
                    Some(isn) if isn == t.seq => {
                        self.last_synack_ip_id = fact.ip_id;
                        self.synack_retries += 1;
                        if self.handshake_ack.is_none() {
                            self.handshake_retried = true;
                        }
                    }
                    _ => {
                        self.last_synack_ip_id = fact.ip_id;
                        self.synack = Some(mark);
                        self.server_isn = Some(t.seq);
                        self.s2c.base = Some(t.seq.wrapping_add(1));
                        self.mss_server = t.mss;
                    }
                }
            }
        } else if from_client
            && ack
            && self.handshake_ack.is_none()
            && self.synack.is_some()
            && let Some(isn) = self.server_isn
            && t.ack == isn.wrapping_add(1)
        {
            self.handshake_ack = Some(mark);
        }

        let ooo_thres_ns = self.handshake_rtt_ns().unwrap_or(3_000_000);
        let keep = matches!(
            self.class,
            Class::Rdp | Class::Kerberos | Class::Dns | Class::Undecided
        );
        let cap = cfg.payload_cap;
        let (dir, other) = if from_client {
            (&mut self.c2s, &self.s2c)
        } else {
            (&mut self.s2c, &self.c2s)
        };
        let other_dup_run = other.dup_run;
        let other_last_ack = other.last_ack.map(|(a, _)| a);
        let other_last_dup_ns = other.last_dup_ns;
        let other_keep_alive = other.keep_alive_last;
        dir.packets += 1;
        dir.keep_alive_last = false;
        if rst && dir.first_rst.is_none() {
            dir.first_rst = Some(mark);
        }
        if fin && dir.first_fin.is_none() {
            dir.first_fin = Some(mark);
        }
        if t.window == 0 && !rst && !syn {
            dir.zero_windows += 1;
        }
        if syn || rst {
            return;
        }
        // Sequence space: the first segment seen fixes offset 0 when no SYN was.
        let base = *dir.base.get_or_insert(t.seq);
        let len = t.seg_len as i64;
        let off = dir.rel(base, t.seq);
        let end = off + len;
        if len == 0 {
            // Duplicate ACK: a pure ACK repeating the previous ACK and a non-zero window
            // (Wireshark's tcp.analysis.duplicate_ack without its in-flight refinement; a
            // repeated zero window is a zero window, and the answer to the peer's keep-alive
            // is a keep-alive ACK, neither a duplicate ACK).
            if !fin && ack {
                if off == dir.high - 1 {
                    // A keep-alive (counted below), not a duplicate ACK.
                    dir.keep_alive_last = true;
                    dir.dup_run = 0;
                } else if t.window != 0
                    && !other_keep_alive
                    && dir.last_ack == Some((t.ack, t.window))
                {
                    dir.dup_acks += 1;
                    dir.dup_run += 1;
                    dir.last_dup_ns = fact.ts_ns;
                } else {
                    dir.dup_run = 0;
                }
                dir.last_ack = Some((t.ack, t.window));
            }
            if !fin && off == dir.high - 1 {
                // A zero-length keep-alive one byte behind (Wireshark's tcp.analysis.keep_alive).
                dir.keep_alives += 1;
            } else if off > dir.high {
                // Even an empty segment shows that bytes before it went by unseen
                // (Wireshark flags it "previous segment not captured").
                dir.gaps += 1;
                let from = dir.high;
                dir.add_hole(from, off, fact.ts_ns);
                dir.high = off;
            }
            if fin {
                // The FIN takes one sequence number: the ACKs after it are no gap.
                dir.high = dir.high.max(off + 1);
            }
            return;
        }
        dir.last_ack = Some((t.ack, t.window));
        dir.dup_run = 0;
        dir.bytes += len as u64;
        if len <= 1 && off == dir.high - 1 {
            dir.keep_alives += 1;
            dir.keep_alive_last = true;
            return;
        }
        if off > dir.high {
            dir.gaps += 1;
            let from = dir.high;
            dir.add_hole(from, off, fact.ts_ns);
            dir.high = end;
            dir.last_advance_ns = fact.ts_ns;
        } else if off == dir.high {
            dir.high = end;
            dir.last_advance_ns = fact.ts_ns;
        } else {
            // Starts below what was seen: a retransmission, unless it came within one
            // handshake round trip of the segment that last advanced the stream (Wireshark's
            // out-of-order rule; 3 ms when the handshake was not seen).
            dir.fill_holes(off, end.min(dir.high));
            let soon = fact.ts_ns - dir.last_advance_ns < ooo_thres_ns;
            // A fast retransmission answers the peer's duplicate ACKs (two or more, the last
            // within 20 ms, asking for exactly this sequence number); Wireshark checks it first.
            let fast = other_dup_run >= 2
                && other_last_ack == Some(t.seq)
                && fact.ts_ns - other_last_dup_ns < 20_000_000;
            let duplicate = dir.last_data == Some((off, t.seg_len, fact.ip_id)) && fact.ip_id != 0;
            if duplicate {
                dir.duplicates += 1;
            }
            if soon && !fast && end != dir.high {
                dir.out_of_order += 1;
            } else {
                dir.retransmissions += 1;
                if !duplicate {
                    dir.retransmitted_end = dir.retransmitted_end.max(end);
                }
            }
            if end > dir.high {
                dir.high = end;
                dir.last_advance_ns = fact.ts_ns;
            }
        }
        dir.last_data = Some((off, t.seg_len, fact.ip_id));
        if fin {
            dir.high = dir.high.max(end + 1);
        }
        if keep && off + (payload.len() as i64) > 0 {
            let (o, p) = if off < 0 {
                (0, &payload[(-off) as usize..])
            } else {
                (off, payload)
            };
            dir.keep(o, p, fact.frame, fact.ts_ns, cap);
        }
    }

    /// Decides what the connection carries from its first client payload.
    fn classify(&mut self, from_client: bool, payload: &[u8], cfg: &TrackerConfig) {
        if self.class != Class::Undecided {
            return;
        }
        if cfg.rdp_ports.contains(&self.server.port) {
            self.class = Class::Rdp;
            return;
        }
        if payload.is_empty() || !from_client {
            return;
        }
        self.class = if looks_like_x224_request(payload) {
            Class::Rdp
        } else if self.server.port == 88 {
            Class::Kerberos
        } else if self.server.port == 53 {
            Class::Dns
        } else {
            Class::Other
        };
        if self.class == Class::Other {
            // Nothing of it will be analysed: free what was held while undecided.
            self.c2s.stream = Vec::new();
            self.s2c.stream = Vec::new();
            self.c2s.segments = Vec::new();
            self.s2c.segments = Vec::new();
            self.c2s.pending = Vec::new();
            self.s2c.pending = Vec::new();
            self.c2s.parked = None;
            self.s2c.parked = None;
        }
    }

    /// Completes the streams of a connection whose tracking ended, before anything decodes
    /// them: parked bytes are read back, and remaining out-of-order bytes go into the streams
    /// behind zero-filled holes. Done as each connection is judged, not when it ends, so that
    /// the streams of the many connections a capture's end finishes at once are not all
    /// read back together.
    pub fn finish(&mut self) {
        self.c2s.flush_pending();
        self.s2c.flush_pending();
    }
}

fn first_of(c: Option<Mark>, s: Option<Mark>) -> Option<(Side, Mark)> {
    match (c, s) {
        (Some(c), Some(s)) => Some(if c.frame <= s.frame {
            (Side::Client, c)
        } else {
            (Side::Server, s)
        }),
        (Some(c), None) => Some((Side::Client, c)),
        (None, Some(s)) => Some((Side::Server, s)),
        (None, None) => None,
    }
}

/// TPKT version 3 (RFC 1006 §6) carrying an X.224 Connection Request (X.224 §13.3, code 0xE0),
/// as MS-RDPBCGR 2.2.1.1 sends first.
pub fn looks_like_x224_request(p: &[u8]) -> bool {
    p.len() >= 7
        && p[0] == 3
        && p[1] == 0
        && u16::from_be_bytes([p[2], p[3]]) >= 11
        && p[5] & 0xf0 == 0xe0
}

fn guess_roles(fact: &PacketFact, cfg: &TrackerConfig) -> (Endpoint, Endpoint, RoleSource) {
    let (a, b) = (fact.src, fact.dst);
    if cfg.rdp_ports.contains(&b.port) {
        (a, b, RoleSource::RdpPort)
    } else if cfg.rdp_ports.contains(&a.port) {
        (b, a, RoleSource::RdpPort)
    } else if b.port <= a.port {
        (a, b, RoleSource::LowerPort)
    } else {
        (b, a, RoleSource::LowerPort)
    }
}

/// Canonical key of a connection: its endpoints in sorted order.
type PairKey = (Endpoint, Endpoint);

fn pair_key(a: Endpoint, b: Endpoint) -> PairKey {
    if a <= b { (a, b) } else { (b, a) }
}

/// Counts of everything the tracker saw but did not keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackerCounts {
    pub tcp_connections: u64,
    pub rdp_connections: u64,
    pub udp_packets_rdp_port: u64,
    /// ICMP errors quoting a packet of no tracked connection.
    pub icmp_unmatched: u64,
    /// DNS/Kerberos datagrams not kept because too many came at once.
    pub side_dropped: u64,
    /// Closed connections ended before their linger was over, because the shard held too
    /// many connections (see [`Shard::expire`]).
    pub ended_early: u64,
    /// Packets of connections ended early that came afterwards, ignored.
    pub late_ignored: u64,
    /// Times an open connection's kept payload was moved to disk (see [`park`]).
    pub parked: u64,
    /// Connections still open ended because the shard tracked too many at once
    /// ([`MAX_FLOWS`], [`MAX_HALF_OPEN`]).
    pub evicted: u64,
}

impl TrackerCounts {
    /// The input warning for UDP packets to or from an RDP port (`rdp_ports`): they are
    /// counted, as RDP-UDP (MS-RDPEUDP) is not analysed; none when there were none.
    pub fn udp_rdp_port_warning(&self, rdp_ports: &[u16]) -> Option<String> {
        let n = self.udp_packets_rdp_port;
        if n == 0 {
            return None;
        }
        let ports = rdp_ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "{n} UDP {} to or from {} {ports} (the RDP-UDP transport, MS-RDPEUDP) {} counted, \
             not analysed",
            if n == 1 { "packet" } else { "packets" },
            if rdp_ports.len() == 1 {
                "port"
            } else {
                "ports"
            },
            if n == 1 { "was" } else { "were" },
        ))
    }

    pub fn merge(&mut self, o: &TrackerCounts) {
        self.tcp_connections += o.tcp_connections;
        self.rdp_connections += o.rdp_connections;
        self.udp_packets_rdp_port += o.udp_packets_rdp_port;
        self.icmp_unmatched += o.icmp_unmatched;
        self.side_dropped += o.side_dropped;
        self.ended_early += o.ended_early;
        self.late_ignored += o.late_ignored;
        self.parked += o.parked;
        self.evicted += o.evicted;
    }
}

/// Closed connections are kept this long (capture time) for late packets before they end.
const CLOSED_LINGER_NS: i64 = 30_000_000_000;
/// Connections that never completed the handshake end after this long without packets.
const EMBRYONIC_IDLE_NS: i64 = 300_000_000_000;
/// Any connection ends after this long without packets.
const IDLE_NS: i64 = 3_600_000_000_000;
/// Connections a shard holds before closed ones end after `CLOSED_LINGER_PRESSED_NS`
/// instead of `CLOSED_LINGER_NS`: 16,384 over the shards. A closed connection keeps its
/// payload (up to 64 KiB a direction) while it lingers, so at hundreds of connections a second
/// (an RDP brute force) thirty seconds of them took hundreds of MB.
pub const PRESSURE_FLOWS: usize = 256;
/// Connections a shard tracks at once (65,536 over the shards, about 80 MB): past it, the
/// longest idle end early (`Shard::evict`).
pub const MAX_FLOWS: usize = 1024;
/// Connections whose handshake never completed (a SYN, perhaps a SYN-ACK, no ACK) a shard
/// tracks before the longest idle of them end early (32,768 over the shards): a SYN flood is
/// all of them. At 10,000 SYNs a second each is still followed for three seconds.
pub const MAX_HALF_OPEN: usize = 512;
/// How long a closed connection lingers while its shard is pressed.
const CLOSED_LINGER_PRESSED_NS: i64 = 1_000_000_000;
/// Connections ended early that a shard remembers, so that their late packets are ignored
/// instead of starting a connection of their own (about 64 bytes each).
const MAX_TOMBSTONES: usize = 1_024;

/// The connections of one shard.
pub struct Shard {
    cfg: Arc<TrackerConfig>,
    /// Keyed with Fx hashing: the keys are addresses from the capture, and a DoS-resistant
    /// hash buys nothing offline while costing a few percent of the whole run. Boxed: a table
    /// grows by doubling and never shrinks, and a connection is most of a kilobyte, so a
    /// table of connections in place would hold up to twice the busiest moment's worth of
    /// them (tens of MB on a capture of many connections a second).
    flows: FxHashMap<PairKey, Box<Connection>>,
    /// Closed connections ended early (see [`Shard::expire`]), with the capture time they
    /// ended at: a packet of one that comes within [`CLOSED_LINGER_NS`] is ignored.
    tombstones: FxHashMap<PairKey, i64>,
    /// Connections whose tracking ended, waiting to be taken by [`Shard::take_finished`].
    /// Boxed as in `flows`: they move there and on by pointer, and a batch of tens of
    /// thousands (a capture's end) is not a copy of them all.
    #[allow(clippy::vec_box)]
    finished: Vec<Box<Connection>>,
    /// DNS and Kerberos datagrams, waiting to be taken by [`Shard::take_side`].
    side: Vec<SideDatagram>,
    /// Bytes the open connections' kept streams grew by since the shard last counted them
    /// ([`Shard::park_if_over`]).
    grown: usize,
    /// New connections since the shard last looked for half-open ones to end
    /// (`Shard::evict`).
    new_since_look: usize,
    pub counts: TrackerCounts,
    /// Per source address, the distinct destination ports of its bare SYNs by time bucket
    /// ([`SweepTally`]): what tells a host sweeping ports from a client.
    sweeps: FxHashMap<std::net::IpAddr, SweepTally>,
}

/// Distinct destination ports from which a source's bare SYNs are a port sweep (nmap's
/// default scan sends a thousand).
pub const SWEEP_PORTS: usize = 10;
/// The time buckets a sweep is looked for in: a scanner sends its SYNs within seconds.
pub const SWEEP_WINDOW_NS: i64 = 10_000_000_000;
/// Sources tallied per shard; a flood of spoofed sources beyond it is not tallied.
const MAX_SWEEP_SOURCES: usize = 4096;
/// Earlier buckets kept per source (those with two ports or more).
const MAX_SWEEP_BUCKETS: usize = 16;

/// The distinct destination ports of one source's bare SYNs (RFC 9293 §3.5: SYN without
/// ACK) in one bucket of [`SWEEP_WINDOW_NS`], up to [`SWEEP_PORTS`], with the first and last
/// SYN's times.
#[derive(Clone, Copy, Debug, Default)]
struct SweepBucket {
    bucket: i64,
    ports: [u16; SWEEP_PORTS],
    n: u8,
    first_ns: i64,
    last_ns: i64,
}

/// One source's buckets in one shard: the current one and earlier ones with two ports or
/// more (a client that keeps connecting to one port leaves none).
#[derive(Clone, Debug, Default)]
pub struct SweepTally {
    current: SweepBucket,
    earlier: Vec<SweepBucket>,
}

impl SweepTally {
    fn add(&mut self, port: u16, ts_ns: i64) {
        let bucket = ts_ns.div_euclid(SWEEP_WINDOW_NS);
        let c = &mut self.current;
        if c.n > 0 && c.bucket != bucket {
            if c.n >= 2 && self.earlier.len() < MAX_SWEEP_BUCKETS {
                self.earlier.push(*c);
            }
            *c = SweepBucket::default();
        }
        if c.n == 0 {
            c.bucket = bucket;
            c.first_ns = ts_ns;
        }
        c.last_ns = ts_ns;
        let n = c.n as usize;
        if n < SWEEP_PORTS && !c.ports[..n].contains(&port) {
            c.ports[n] = port;
            c.n += 1;
        }
    }
}

/// The sources that swept ports, with the first and last SYN of each bucket they swept in,
/// from every shard's tally: a shard sees only the connections hashed to it, so one
/// source's ports of a bucket are put together across shards.
pub fn sweepers(shards: &[Shard]) -> FxHashMap<std::net::IpAddr, Vec<(i64, i64)>> {
    type Union = (Vec<u16>, i64, i64);
    let mut buckets: FxHashMap<(std::net::IpAddr, i64), Union> = FxHashMap::default();
    for shard in shards {
        for (ip, t) in &shard.sweeps {
            for b in t.earlier.iter().chain(std::iter::once(&t.current)) {
                if b.n == 0 {
                    continue;
                }
                let u =
                    buckets
                        .entry((*ip, b.bucket))
                        .or_insert((Vec::new(), b.first_ns, b.last_ns));
                u.1 = u.1.min(b.first_ns);
                u.2 = u.2.max(b.last_ns);
                for &p in &b.ports[..b.n as usize] {
                    if u.0.len() < SWEEP_PORTS && !u.0.contains(&p) {
                        u.0.push(p);
                    }
                }
            }
        }
    }
    let mut out: FxHashMap<std::net::IpAddr, Vec<(i64, i64)>> = FxHashMap::default();
    for ((ip, _), (ports, first, last)) in buckets {
        if ports.len() >= SWEEP_PORTS {
            out.entry(ip).or_default().push((first, last));
        }
    }
    out
}

/// Ports whose datagrams are kept as side traffic: DNS and Kerberos.
const SIDE_PORTS: [u16; 2] = [53, 88];
/// The most side datagrams held per shard between two takes.
const MAX_SIDE_PER_TAKE: usize = 65_536;

impl Shard {
    pub fn new(cfg: Arc<TrackerConfig>) -> Shard {
        Shard {
            cfg,
            flows: FxHashMap::default(),
            tombstones: FxHashMap::default(),
            finished: Vec::new(),
            side: Vec::new(),
            grown: 0,
            new_since_look: 0,
            counts: TrackerCounts::default(),
            sweeps: FxHashMap::default(),
        }
    }

    /// Applies one packet fact. `payload` is the captured transport payload of the frame.
    pub fn apply(&mut self, fact: &PacketFact, payload: &[u8]) {
        match &fact.kind {
            FactKind::Tcp(t) => self.apply_tcp(fact, t, payload),
            FactKind::Udp => {
                if self.cfg.rdp_ports.contains(&fact.dst.port)
                    || self.cfg.rdp_ports.contains(&fact.src.port)
                {
                    self.counts.udp_packets_rdp_port += 1;
                }
                if (SIDE_PORTS.contains(&fact.src.port) || SIDE_PORTS.contains(&fact.dst.port))
                    && !payload.is_empty()
                {
                    if self.side.len() < MAX_SIDE_PER_TAKE {
                        self.side.push(SideDatagram {
                            frame: fact.frame,
                            ts_ns: fact.ts_ns,
                            src: fact.src.ip,
                            dst: fact.dst.ip,
                            src_port: fact.src.port,
                            dst_port: fact.dst.port,
                            payload: payload[..payload.len().min(4096)].to_vec(),
                        });
                    } else {
                        self.counts.side_dropped += 1;
                    }
                }
            }
            FactKind::IcmpError(icmp) => {
                if icmp.quoted_protocol != 6 {
                    return;
                }
                let key = pair_key(fact.src, fact.dst);
                match self.flows.get_mut(&key) {
                    Some(conn) => {
                        let about = if fact.src == conn.client {
                            Side::Client
                        } else {
                            Side::Server
                        };
                        let mark = Mark {
                            frame: fact.frame,
                            ts_ns: fact.ts_ns,
                        };
                        if conn.icmp.len() < MAX_ICMP {
                            conn.icmp.push(IcmpEvent {
                                mark,
                                icmp: *icmp,
                                about,
                            });
                        } else {
                            conn.icmp_omitted = conn.icmp_omitted.saturating_add(1);
                        }
                    }
                    None => self.counts.icmp_unmatched += 1,
                }
            }
        }
    }

    fn apply_tcp(
        &mut self,
        fact: &PacketFact,
        t: &crate::capture::decode::TcpFact,
        payload: &[u8],
    ) {
        let key = pair_key(fact.src, fact.dst);
        let new_syn = t.flags & tcp_flags::SYN != 0 && t.flags & tcp_flags::ACK == 0;
        if new_syn {
            let room = self.sweeps.len() < MAX_SWEEP_SOURCES;
            match self.sweeps.get_mut(&fact.src.ip) {
                Some(tally) => tally.add(fact.dst.port, fact.ts_ns),
                None if room => {
                    let mut tally = SweepTally::default();
                    tally.add(fact.dst.port, fact.ts_ns);
                    self.sweeps.insert(fact.src.ip, tally);
                }
                None => {}
            }
        }
        // Whether the packet belongs to a connection being tracked (one lookup for the checks
        // below, on every packet).
        let mut tracked = false;
        if let Some(conn) = self.flows.get(&key) {
            let restart = new_syn
                && match conn.client_isn {
                    // The same ISN from the same side is a retry; anything else is a new
                    // connection on reused ports.
                    Some(isn) => !(isn == t.seq && fact.src == conn.client),
                    None => true,
                };
            if restart {
                if let Some(old) = self.flows.remove(&key) {
                    self.end(old);
                }
            } else {
                tracked = true;
            }
        }
        // A late packet of a connection ended early is ignored; a new SYN starts a new one.
        if !tracked && !self.tombstones.is_empty() && self.tombstones.contains_key(&key) {
            if !new_syn {
                self.counts.late_ignored += 1;
                return;
            }
            self.tombstones.remove(&key);
        }
        if !tracked && self.flows.len() >= MAX_HALF_OPEN {
            self.new_since_look += 1;
            if self.flows.len() >= MAX_FLOWS {
                self.evict(fact.ts_ns, false);
            } else if self.new_since_look >= 64 {
                self.evict(fact.ts_ns, true);
            }
        }
        // Borrowed, not cloned: the shards of both threads share this Arc, and counting it
        // up and down per packet bounced its cache line between the cores.
        let cfg = &self.cfg;
        let conn = self
            .flows
            .entry(key)
            .or_insert_with(|| Box::new(Connection::new(fact, cfg)));
        if conn.first.frame == fact.frame {
            self.counts.tcp_connections += 1;
        }
        let from_client = fact.src == conn.client;
        if conn.class == Class::Undecided {
            if conn.roles != RoleSource::Syn
                && conn.roles != RoleSource::SynAck
                && !payload.is_empty()
                && conn.syn.is_none()
                && conn.c2s.packets + conn.s2c.packets == 0
            {
                // Mid-stream start: an X.224 Connection Request names its sender the client.
                if looks_like_x224_request(payload) && !from_client {
                    std::mem::swap(&mut conn.client, &mut conn.server);
                    conn.roles = RoleSource::Payload;
                }
            }
            let from_client = fact.src == conn.client;
            conn.classify(from_client, if from_client { payload } else { &[] }, cfg);
        }
        if payload.is_empty() {
            conn.apply_tcp(fact, t, payload, cfg);
            return;
        }
        let before = conn.c2s.held_bytes() + conn.s2c.held_bytes();
        conn.apply_tcp(fact, t, payload, cfg);
        let after = conn.c2s.held_bytes() + conn.s2c.held_bytes();
        // Kept bytes grow here only; a quarter of the shard's budget grown since the last
        // look and the shard counts what it holds again (parking if over), so that the budget
        // holds packet by packet, not only at the end of a window.
        self.grown += after.saturating_sub(before);
        if self.grown > self.cfg.held_payload / SHARDS / 4 {
            self.park_if_over();
        }
    }

    /// Ends connections that closed a while ago or went idle, as of capture time `now_ns`.
    /// A shard holding more than [`PRESSURE_FLOWS`] connections ends its closed ones after a
    /// second instead of thirty, remembering them so that their late packets are ignored (and
    /// counted): memory then follows the connections open at once, not the connection rate.
    /// Which connections end early depends on the capture alone, never on thread timing.
    pub fn expire(&mut self, now_ns: i64) {
        let pressed = self.flows.len() > PRESSURE_FLOWS;
        let linger = if pressed {
            CLOSED_LINGER_PRESSED_NS
        } else {
            CLOSED_LINGER_NS
        };
        let (mut expired, mut early) = (Vec::new(), Vec::new());
        for (k, c) in &self.flows {
            let idle = now_ns - c.last.ts_ns;
            let embryonic = c.handshake_ack.is_none() && c.synack.is_none() && c.syn.is_some();
            if c.is_closed() && idle > linger {
                expired.push((*k, None));
                if idle <= CLOSED_LINGER_NS {
                    early.push(*k);
                }
            } else if embryonic && idle > EMBRYONIC_IDLE_NS {
                expired.push((*k, Some(c.last.ts_ns + EMBRYONIC_IDLE_NS)));
            } else if idle > IDLE_NS {
                expired.push((*k, Some(c.last.ts_ns + IDLE_NS)));
            }
        }
        if !self.tombstones.is_empty() {
            self.tombstones
                .retain(|_, ended| now_ns - *ended <= CLOSED_LINGER_NS);
        }
        self.counts.ended_early += early.len() as u64;
        for k in early {
            if self.tombstones.len() < MAX_TOMBSTONES {
                self.tombstones.insert(k, now_ns);
            }
        }
        for (k, idle_until_ns) in expired {
            if let Some(mut c) = self.flows.remove(&k) {
                c.idle_until_ns = idle_until_ns;
                self.end(c);
            }
        }
        self.park_if_over();
    }

    /// Ends connections early to bound how many a shard tracks: a SYN flood or a scan
    /// opens connections faster than any limit of time ends them. With `half_open_only`,
    /// once more than [`MAX_HALF_OPEN`] connections whose handshake never completed are
    /// tracked, the longest idle of them, down to three quarters of that; otherwise (the
    /// shard tracks [`MAX_FLOWS`]) a quarter of all, half-open ones first, then the longest
    /// idle. Each is judged on what the capture showed until `now_ns` (the time of the packet
    /// that would have been one too many), and its later packets are ignored and counted like
    /// those of connections ended early. Which connections end depends on the capture alone
    /// (state, idle time, then addresses).
    fn evict(&mut self, now_ns: i64, half_open_only: bool) {
        self.new_since_look = 0;
        let half_open =
            |c: &Connection| (c.syn.is_some() || c.synack.is_some()) && c.handshake_ack.is_none();
        let mut candidates: Vec<(bool, i64, PairKey)> = self
            .flows
            .iter()
            .filter(|(_, c)| !half_open_only || half_open(c))
            .map(|(k, c)| (!half_open(c), c.last.ts_ns, *k))
            .collect();
        let n = if half_open_only {
            if candidates.len() <= MAX_HALF_OPEN {
                return;
            }
            candidates.len() - MAX_HALF_OPEN * 3 / 4
        } else {
            self.flows.len().saturating_sub(MAX_FLOWS * 3 / 4)
        };
        if n == 0 {
            return;
        }
        candidates.select_nth_unstable(n - 1);
        candidates.truncate(n);
        candidates.sort_unstable();
        self.counts.evicted += n as u64;
        for (_, _, k) in candidates {
            if let Some(mut c) = self.flows.remove(&k) {
                c.idle_until_ns = Some(now_ns.max(c.last.ts_ns));
                c.ended_early = true;
                if self.tombstones.len() < MAX_TOMBSTONES {
                    self.tombstones.insert(k, now_ns);
                }
                self.end(c);
            }
        }
    }

    /// Parks the largest kept streams of open connections (`park`) while the shard holds
    /// more than its share of [`TrackerConfig::held_payload`], down to half of it, so that
    /// parking comes in batches. The report is the same whether a stream was parked or not.
    fn park_if_over(&mut self) {
        self.grown = 0;
        let budget = self.cfg.held_payload / SHARDS;
        let held: usize = self
            .flows
            .values()
            .map(|c| c.c2s.held_bytes() + c.s2c.held_bytes())
            .sum();
        if held <= budget {
            return;
        }
        let mut largest: Vec<(usize, PairKey)> = self
            .flows
            .iter()
            .map(|(k, c)| (c.c2s.held_bytes() + c.s2c.held_bytes(), *k))
            .filter(|&(bytes, _)| bytes > 0)
            .collect();
        largest.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut left = held;
        let mut chosen = Vec::new();
        for (bytes, k) in largest {
            if left <= budget / 2 {
                break;
            }
            chosen.push(k);
            left -= bytes;
        }
        // One write for the batch; the streams are freed only once it is on disk.
        let mut batch = park::Batch::default();
        let pieces: Vec<_> = chosen
            .iter()
            .filter_map(|k| {
                let c = self.flows.get(k)?;
                Some((k, c.c2s.park_into(&mut batch), c.s2c.park_into(&mut batch)))
            })
            .collect();
        if !batch.write() {
            // No park file, or the disk is full: the streams stay in memory.
            return;
        }
        for (k, c2s, s2c) in pieces {
            if let Some(c) = self.flows.get_mut(k) {
                c.c2s.parked_as(c2s, &batch);
                c.s2c.parked_as(s2c, &batch);
                self.counts.parked += 1;
            }
        }
    }

    /// Ends every connection (the capture is over).
    pub fn expire_all(&mut self) {
        let all: Vec<Box<Connection>> = self.flows.drain().map(|(_, c)| c).collect();
        for c in all {
            self.end(c);
        }
    }

    fn end(&mut self, mut conn: Box<Connection>) {
        let rdp = conn.class == Class::Rdp
            || (conn.class == Class::Undecided && self.cfg.rdp_ports.contains(&conn.server.port));
        if rdp {
            conn.class = Class::Rdp;
            self.counts.rdp_connections += 1;
            self.finished.push(conn);
        } else if matches!(conn.class, Class::Kerberos | Class::Dns) {
            self.finished.push(conn);
        }
    }

    /// Takes the DNS and Kerberos datagrams seen since the last call.
    pub fn take_side(&mut self) -> Vec<SideDatagram> {
        std::mem::take(&mut self.side)
    }

    /// Takes the connections whose tracking ended since the last call; each is to be
    /// completed by [`Connection::finish`] before its streams are read.
    pub fn take_finished(&mut self) -> Vec<Box<Connection>> {
        std::mem::take(&mut self.finished)
    }

    pub fn live_connections(&self) -> usize {
        self.flows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::decode::{PayloadRef, TcpFact};

    /// Payload bytes that differ from offset to offset.
    fn bytes(from: usize, len: usize) -> Vec<u8> {
        (from..from + len)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect()
    }

    fn park(dir: &mut Direction) {
        let mut batch = park::Batch::default();
        let piece = dir.park_into(&mut batch);
        assert!(batch.write(), "the park file could not be written");
        dir.parked_as(piece, &batch);
    }

    /// A direction parked twice, with bytes out of order and waiting when it was parked,
    /// reads back the same stream, segments and holes as one never parked.
    #[test]
    fn a_parked_direction_reads_back_the_same() {
        const CAP: usize = 64 * 1024;
        let (mut held, mut parked) = (Direction::default(), Direction::default());
        // (offset, length): in order, then a stretch out of order, a gap never filled.
        let steps: [&[(usize, usize)]; 3] = [
            &[(0, 1_000), (1_000, 3_000), (6_000, 500)],
            &[(4_000, 2_000), (6_500, 700), (9_000, 300)],
            &[(7_200, 800), (9_300, 100)],
        ];
        let mut frame = 0;
        for (i, step) in steps.iter().enumerate() {
            for &(off, len) in *step {
                frame += 1;
                let data = bytes(off, len);
                held.keep(off as i64, &data, frame, frame as i64 * 1_000, CAP);
                parked.keep(off as i64, &data, frame, frame as i64 * 1_000, CAP);
            }
            if i < 2 {
                let len = parked.kept_len();
                park(&mut parked);
                assert_eq!(parked.held_bytes(), 0);
                assert_eq!(parked.kept_len(), len);
                assert!(parked.stream.is_empty());
            }
        }
        assert_eq!(parked.parked.as_ref().map(|p| p.stream_len), Some(7_200));
        held.flush_pending();
        parked.flush_pending();
        assert!(parked.parked.is_none());
        assert_eq!(parked.stream.len(), 9_400);
        assert_eq!(parked.stream, held.stream);
        assert_eq!(parked.segments, held.segments);
        assert_eq!(parked.stream_holes, vec![(8_000, 1_000)]);
        assert_eq!(parked.stream_holes, held.stream_holes);
        assert_eq!(&parked.stream[..8_000], &bytes(0, 8_000)[..]);
    }

    fn endpoint(s: &str) -> Endpoint {
        let (ip, port) = s.rsplit_once(':').expect("address:port");
        Endpoint {
            ip: ip.parse().expect("address"),
            port: port.parse().expect("port"),
        }
    }

    fn fact(frame: u64, src: &str, dst: &str, flags: u8, seq: u32, len: usize) -> PacketFact {
        PacketFact {
            frame,
            ts_ns: frame as i64 * 1_000_000,
            src: endpoint(src),
            dst: endpoint(dst),
            ttl: 64,
            ip_id: frame as u16,
            kind: FactKind::Tcp(TcpFact {
                seq,
                ack: 0,
                flags,
                window: 65_535,
                seg_len: len as u32,
                mss: None,
                wscale: None,
            }),
            payload: PayloadRef {
                offset: 0,
                len: len as u32,
            },
        }
    }

    /// Kept bytes a shard's open connections hold in memory.
    fn held(shard: &Shard) -> usize {
        shard
            .flows
            .values()
            .map(|c| c.c2s.held_bytes() + c.s2c.held_bytes())
            .sum()
    }

    const SERVER: &str = "10.0.0.1:3389";

    fn client(i: usize) -> String {
        format!("10.0.1.{}:50000", i + 1)
    }

    /// The next frame number.
    fn next(frame: &mut u64) -> u64 {
        *frame += 1;
        *frame
    }

    /// Opens `count` connections to [`SERVER`] (SYN, SYN-ACK, ACK); the client of the i-th
    /// starts its bytes at sequence number 100,000 × i + 1.
    fn open_connections(shard: &mut Shard, count: usize, frame: &mut u64) {
        use tcp_flags::{ACK, SYN};
        for i in 0..count {
            let (c, s) = (client(i), SERVER);
            let isn = 100_000 * i as u32;
            shard.apply(&fact(next(frame), &c, s, SYN, isn, 0), &[]);
            shard.apply(&fact(next(frame), s, &c, SYN | ACK, 77, 0), &[]);
            shard.apply(&fact(next(frame), &c, s, ACK, isn + 1, 0), &[]);
        }
    }

    /// A shard whose open connections' kept bytes grow past its share of the budget parks
    /// the largest: after every packet it holds at most its share plus the quarter it may
    /// grow by between two counts, and the connections read back whole when they end.
    #[test]
    fn a_shard_over_its_budget_parks_its_largest_streams() {
        use tcp_flags::ACK;
        const BUDGET: usize = 10_000;
        let cfg = TrackerConfig {
            held_payload: SHARDS * BUDGET,
            ..TrackerConfig::default()
        };
        let mut shard = Shard::new(Arc::new(cfg));
        // Ten connections, each sending 6,000 bytes in pieces of 1,000, interleaved: 60,000
        // bytes kept in all, six times the budget.
        const CONNS: usize = 10;
        const SIZE: usize = 6_000;
        let mut frame = 0u64;
        open_connections(&mut shard, CONNS, &mut frame);
        let data = bytes(0, SIZE);
        let mut most = 0;
        for (k, piece) in data.chunks(1_000).enumerate() {
            for i in 0..CONNS {
                let seq = 100_000 * i as u32 + 1 + (k * 1_000) as u32;
                let f = fact(next(&mut frame), &client(i), SERVER, ACK, seq, piece.len());
                shard.apply(&f, piece);
                most = most.max(held(&shard));
            }
        }
        assert!(shard.counts.parked > 0);
        assert!(most <= BUDGET + BUDGET / 4, "{most} bytes held at most");
        shard.expire(frame as i64 * 1_000_000);
        assert!(held(&shard) <= BUDGET);
        shard.expire_all();
        let mut ended = shard.take_finished();
        assert_eq!(ended.len(), CONNS);
        for c in ended.iter_mut() {
            c.finish();
            assert_eq!(c.c2s.stream, data);
            assert_eq!(c.c2s.segments.len(), SIZE / 1_000);
            assert!(c.c2s.stream_holes.is_empty());
        }
        let parked_some = shard.counts.parked;
        // The same connections with the default budget are never parked.
        let mut roomy = Shard::new(Arc::new(TrackerConfig::default()));
        let mut frame = 0u64;
        open_connections(&mut roomy, CONNS, &mut frame);
        for i in 0..CONNS {
            let seq = 100_000 * i as u32 + 1;
            let f = fact(next(&mut frame), &client(i), SERVER, ACK, seq, SIZE);
            roomy.apply(&f, &data);
        }
        roomy.expire_all();
        assert_eq!(roomy.counts.parked, 0);
        assert!(parked_some >= (CONNS * SIZE - BUDGET) as u64 / 8_192);
    }
}
