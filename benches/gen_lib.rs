//! Deterministic generator of large benchmark captures, shared by the `gen-capture` example
//! (`benches/gen_capture.rs`) and the `pipeline` bench (`benches/pipeline.rs`), which both
//! include this file with `#[path = "gen_lib.rs"] mod gen_lib;`.
//!
//! The capture looks like an incident capture taken at a busy site over about an hour:
//!
//! * RDP connections on port 3389 whose payloads are real handshakes: the TCP payload
//!   sequence of each direction of the template captures' 3389 connection
//!   (`fixtures/captures/tls-success.pcap`, and `nla-success.pcap` / `stdrdp-success.pcap`
//!   when present), replayed with fresh client addresses and ports, random initial sequence
//!   numbers, correct sequence and acknowledgement numbers, a three-way handshake and a
//!   FIN (or RST) close;
//! * failures: SYNs answered by RST (refused), SYNs never answered (retries after 1 s, 2 s,
//!   4 s), a server RST in the middle of the handshake, and lossy replays where segments are
//!   lost before the capture point (a gap, then the retransmission fills it) or after it
//!   (the same segment seen twice), with the duplicate ACKs that go with them;
//! * bulk background TCP flows (443, 445, 22) of full 1448-byte segments that make up most
//!   of the bytes, and a trickle of DNS over UDP.
//!
//! Flows are interleaved in time by a small discrete-event scheduler (a binary heap ordered
//! by timestamp, then by a creation counter), so timestamps never decrease. Everything random
//! comes from one splitmix64 stream and only integer arithmetic is used, so the same
//! arguments give a byte-identical file on any machine. Memory is bounded by the number of
//! live flows (a few dozen), never by the size of the output, which is streamed.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use etherparse::{PacketBuilder, SlicedPacket, TcpOptionElement, TransportSlice};

/// The RDP server port.
pub const RDP_PORT: u16 = 3389;
/// TCP payload of a full-size Ethernet segment (1500 - 20 IP - 20 TCP - 12 timestamps).
pub const BULK_SEGMENT: u32 = 1448;
/// 2024-03-12T09:00:00Z: where the generated timeline starts.
pub const START_UNIX_S: u64 = 1_710_234_000;
/// Template captures, in the order they are used; the first one is required.
pub const TEMPLATE_FILES: [&str; 3] = [
    "tls-success.pcap",
    "nla-success.pcap",
    "stdrdp-success.pcap",
];

// ---------------------------------------------------------------------------------------
// Random numbers

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for traffic shapes.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_0fba_5eba_1100)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..n` (`n` > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A duration around `mean`: uniform in `[mean/2, 3*mean/2]`.
    pub fn jitter(&mut self, mean: u64) -> u64 {
        let mean = mean.max(1);
        self.range(mean / 2, mean + mean / 2)
    }
}

// ---------------------------------------------------------------------------------------
// Templates

/// One TCP payload segment of a template connection.
#[derive(Clone, Debug)]
pub struct TemplateSeg {
    pub from_client: bool,
    /// Microseconds since the previous kept segment (or since the handshake for the first).
    pub gap_us: u64,
    pub data: Vec<u8>,
}

/// The payload sequence of a real RDP connection, both directions, in capture order.
#[derive(Clone, Debug)]
pub struct Template {
    pub name: String,
    pub segs: Vec<TemplateSeg>,
}

impl Template {
    pub fn bytes(&self, from_client: bool) -> usize {
        self.segs
            .iter()
            .filter(|s| s.from_client == from_client)
            .map(|s| s.data.len())
            .sum()
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Where the template captures live in this repository.
pub fn default_template_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures")
}

/// Loads the templates found in `dir` (`tls-success.pcap` is required, the others optional).
pub fn load_templates(dir: &Path) -> io::Result<Vec<Template>> {
    let mut out = Vec::new();
    for (i, name) in TEMPLATE_FILES.iter().enumerate() {
        let path = dir.join(name);
        if i > 0 && !path.exists() {
            continue;
        }
        let t = load_template(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        out.push(t);
    }
    Ok(out)
}

/// Extracts the payload sequence of the first 3389 connection of a pcap file: each
/// direction's bytes in stream order (template retransmissions dropped), with the timing.
pub fn load_template(path: &Path) -> io::Result<Template> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let (mut rest, header) = pcap_parser::parse_pcap_header(&data)
        .map_err(|e| invalid(format!("not a pcap file: {e:?}")))?;
    let big_endian = header.is_bigendian();
    let nanos = header.is_nanosecond_precision();
    let linktype = header.network.0;

    // (client, server) endpoints, per-direction next expected sequence number.
    let mut conn: Option<([u8; 4], u16, [u8; 4], u16)> = None;
    let mut next_seq: [Option<u32>; 2] = [None, None];
    let mut segs: Vec<TemplateSeg> = Vec::new();
    let mut last_ts_us: Option<u64> = None;
    while !rest.is_empty() {
        let parsed = if big_endian {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        };
        let Ok((r, block)) = parsed else { break };
        rest = r;
        let frac_us = if nanos {
            block.ts_usec as u64 / 1000
        } else {
            block.ts_usec as u64
        };
        let ts_us = block.ts_sec as u64 * 1_000_000 + frac_us;
        let sliced = match linktype {
            1 => SlicedPacket::from_ethernet(block.data),
            101 | 228 => SlicedPacket::from_ip(block.data),
            _ => return Err(invalid(format!("unsupported link type {linktype}"))),
        };
        let Ok(p) = sliced else { continue };
        let Some(etherparse::NetSlice::Ipv4(ip)) = &p.net else {
            continue;
        };
        let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
            continue;
        };
        let (src, dst) = (
            ip.header().source_addr().octets(),
            ip.header().destination_addr().octets(),
        );
        let (sp, dp) = (tcp.source_port(), tcp.destination_port());
        if sp != RDP_PORT && dp != RDP_PORT {
            continue;
        }
        let c = *conn.get_or_insert(if dp == RDP_PORT {
            (src, sp, dst, dp)
        } else {
            (dst, dp, src, sp)
        });
        let from_client = (src, sp) == (c.0, c.1);
        if !from_client && (src, sp, dst, dp) != (c.2, c.3, c.0, c.1) {
            continue; // another connection
        }
        let d = usize::from(!from_client);
        if tcp.syn() {
            next_seq[d] = Some(tcp.sequence_number().wrapping_add(1));
            last_ts_us.get_or_insert(ts_us);
            continue;
        }
        if last_ts_us.is_none() {
            last_ts_us = Some(ts_us);
        }
        let payload = tcp.payload();
        if payload.is_empty() || tcp.rst() {
            continue;
        }
        let seq = tcp.sequence_number();
        let expected = *next_seq[d].get_or_insert(seq);
        let ahead = seq.wrapping_sub(expected) as i32;
        let take: &[u8] = if ahead >= 0 {
            // In order, or a gap in the template (taken as is).
            payload
        } else {
            let behind = (-(ahead as i64)) as usize;
            if behind >= payload.len() {
                continue; // a retransmission of bytes already taken
            }
            &payload[behind..]
        };
        next_seq[d] = Some(seq.wrapping_add(payload.len() as u32));
        let gap_us = ts_us.saturating_sub(last_ts_us.unwrap_or(ts_us));
        last_ts_us = Some(ts_us);
        segs.push(TemplateSeg {
            from_client,
            gap_us,
            data: take.to_vec(),
        });
    }
    if segs.is_empty() {
        return Err(invalid("no TCP payload on port 3389".into()));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Template { name, segs })
}

// ---------------------------------------------------------------------------------------
// Configuration and summary

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Pcapng,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The output is at least this many bytes.
    pub size_bytes: u64,
    pub seed: u64,
    pub format: Format,
    /// Capture time the traffic is spread over.
    pub duration_us: u64,
    /// RDP connections (all kinds) relative to the default mix, in percent.
    pub rdp_scale_pct: u64,
}

impl Config {
    pub fn new(size_bytes: u64, seed: u64) -> Config {
        Config {
            size_bytes,
            seed,
            format: Format::Pcap,
            duration_us: 3_600_000_000,
            rdp_scale_pct: 100,
        }
    }
}

/// What was generated. RDP connections are all complete; bulk flows still running when the
/// size was reached are cut (as a capture that stops).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rdp_success: u64,
    /// Successful replays per template, in template order.
    pub rdp_success_by_template: Vec<(String, u64)>,
    pub rdp_refused: u64,
    pub rdp_unanswered: u64,
    pub rdp_reset_mid_handshake: u64,
    pub rdp_lossy: u64,
    /// Segments of lossy replays lost before the capture point (a gap, filled later).
    pub lossy_gaps: u64,
    /// Segments seen twice (lost after the capture point, or retransmitted gap fills).
    pub lossy_retransmissions: u64,
    pub bulk_flows: u64,
    pub bulk_flows_cut: u64,
    pub bulk_gaps: u64,
    pub dns_exchanges: u64,
    pub frames: u64,
    pub rdp_frames: u64,
    pub bulk_frames: u64,
    /// Bytes of captured frames (without record headers).
    pub frame_bytes: u64,
    pub rdp_frame_bytes: u64,
    pub bulk_frame_bytes: u64,
    /// Size of the file written.
    pub file_bytes: u64,
    pub first_ts_us: u64,
    pub last_ts_us: u64,
}

impl Summary {
    /// All connections to port 3389.
    pub fn rdp_connections(&self) -> u64 {
        self.rdp_success
            + self.rdp_refused
            + self.rdp_unanswered
            + self.rdp_reset_mid_handshake
            + self.rdp_lossy
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rdp_connections: {}", self.rdp_connections())?;
        writeln!(f, "rdp_success: {}", self.rdp_success)?;
        for (name, n) in &self.rdp_success_by_template {
            writeln!(f, "rdp_success_{name}: {n}")?;
        }
        writeln!(f, "rdp_refused: {}", self.rdp_refused)?;
        writeln!(f, "rdp_unanswered: {}", self.rdp_unanswered)?;
        writeln!(
            f,
            "rdp_reset_mid_handshake: {}",
            self.rdp_reset_mid_handshake
        )?;
        writeln!(f, "rdp_lossy: {}", self.rdp_lossy)?;
        writeln!(f, "lossy_gaps: {}", self.lossy_gaps)?;
        writeln!(f, "lossy_retransmissions: {}", self.lossy_retransmissions)?;
        writeln!(f, "bulk_flows: {}", self.bulk_flows)?;
        writeln!(f, "bulk_flows_cut: {}", self.bulk_flows_cut)?;
        writeln!(f, "bulk_gaps: {}", self.bulk_gaps)?;
        writeln!(f, "dns_exchanges: {}", self.dns_exchanges)?;
        writeln!(f, "frames: {}", self.frames)?;
        writeln!(f, "rdp_frames: {}", self.rdp_frames)?;
        writeln!(f, "bulk_frames: {}", self.bulk_frames)?;
        writeln!(f, "frame_bytes: {}", self.frame_bytes)?;
        writeln!(f, "rdp_frame_bytes: {}", self.rdp_frame_bytes)?;
        writeln!(f, "bulk_frame_bytes: {}", self.bulk_frame_bytes)?;
        writeln!(f, "file_bytes: {}", self.file_bytes)?;
        writeln!(f, "first_ts_us: {}", self.first_ts_us)?;
        writeln!(f, "last_ts_us: {}", self.last_ts_us)?;
        write!(
            f,
            "duration_s: {}",
            (self.last_ts_us.saturating_sub(self.first_ts_us)) / 1_000_000
        )
    }
}

// ---------------------------------------------------------------------------------------
// Packets and flows

const F_FIN: u8 = 0x01;
const F_SYN: u8 = 0x02;
const F_RST: u8 = 0x04;
const F_PSH: u8 = 0x08;
const F_ACK: u8 = 0x10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    None,
    /// `len` bytes of template `tmpl`'s segment `seg`, from `start`.
    Tmpl {
        seg: u32,
        start: u32,
        len: u32,
    },
    /// `len` pseudo-random bytes, taken from the noise pool at `at`.
    Noise {
        at: u32,
        len: u32,
    },
    /// A DNS query (or its answer) for the A record of `rdpNN.corp.example`.
    Dns {
        id: u16,
        host: u16,
        answer: bool,
    },
}

#[derive(Clone, Copy, Debug)]
struct Pkt {
    ts_us: u64,
    from_client: bool,
    flags: u8,
    seq: u32,
    ack: u32,
    win: u16,
    payload: Payload,
}

#[derive(Clone, Copy, Debug)]
struct Endpoints {
    client_mac: [u8; 6],
    server_mac: [u8; 6],
    client_ip: [u8; 4],
    server_ip: [u8; 4],
    client_port: u16,
    server_port: u16,
    client_ttl: u8,
    server_ttl: u8,
    udp: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    RdpSuccess,
    RdpRefused,
    RdpUnanswered,
    RdpResetMid,
    RdpLossy,
    Bulk,
    Dns,
}

const KINDS: [Kind; 7] = [
    Kind::RdpSuccess,
    Kind::RdpRefused,
    Kind::RdpUnanswered,
    Kind::RdpResetMid,
    Kind::RdpLossy,
    Kind::Bulk,
    Kind::Dns,
];

/// A bulk transfer, produced a few packets at a time.
#[derive(Clone, Debug)]
struct Bulk {
    /// Data flows server → client (a download) or client → server (an upload).
    download: bool,
    /// Stream offsets (relative to ISN + 1) of the next new byte, per direction.
    client_off: u32,
    server_off: u32,
    client_isn: u32,
    server_isn: u32,
    remaining: u64,
    interval_us: u64,
    rtt_us: u64,
    next_ts: u64,
    segs_unacked: u32,
    /// A segment lost before the capture point: (offset, len, segments until resent).
    lost: Option<(u32, u32, u32)>,
    closed: bool,
    rst_close: bool,
}

struct Flow {
    kind: Kind,
    tmpl: usize,
    ep: Endpoints,
    pkts: VecDeque<Pkt>,
    bulk: Option<Bulk>,
}

/// What a receiver has of its peer's stream (offsets relative to ISN + 1).
#[derive(Clone, Debug, Default)]
struct Rcv {
    next: u32,
    /// Stretches received beyond a hole.
    ooo: Vec<(u32, u32)>,
}

impl Rcv {
    fn receive(&mut self, off: u32, len: u32) {
        let end = off + len;
        if off > self.next {
            self.ooo.push((off, end));
            return;
        }
        self.next = self.next.max(end);
        // Absorb every stretch that now touches the contiguous prefix.
        loop {
            let mut advanced = false;
            for &(a, b) in &self.ooo {
                if a <= self.next && b > self.next {
                    self.next = b;
                    advanced = true;
                }
            }
            if !advanced {
                break;
            }
        }
        let next = self.next;
        self.ooo.retain(|&(_, b)| b > next);
    }
}

/// Builds the packet list of one RDP replay (success, reset mid-handshake or lossy).
struct Replay<'a> {
    rng: &'a mut Rng,
    tmpl: &'a Template,
    out: VecDeque<Pkt>,
    t: u64,
    client_isn: u32,
    server_isn: u32,
    /// Next new stream offset per direction (0 client, 1 server).
    sent: [u32; 2],
    /// What each side has received of the other: rcv[0] is the client's view of the server.
    rcv: [Rcv; 2],
    /// Retransmissions waiting for their time: (ts, from_client, offset, seg, start, len).
    retx: Vec<(u64, bool, u32, u32, u32, u32)>,
    gaps: u64,
    retransmissions: u64,
}

impl Replay<'_> {
    fn seq(&self, from_client: bool, off: u32) -> u32 {
        let isn = if from_client {
            self.client_isn
        } else {
            self.server_isn
        };
        isn.wrapping_add(1).wrapping_add(off)
    }

    /// The ACK number a side sends now.
    fn ack_of(&self, from_client: bool) -> u32 {
        let r = &self.rcv[usize::from(!from_client)];
        self.seq(!from_client, r.next)
    }

    fn push(&mut self, ts: u64, from_client: bool, flags: u8, off: u32, payload: Payload) {
        self.flush_retx(ts);
        let ts = ts.max(self.out.back().map_or(0, |p| p.ts_us));
        let ack = if flags & F_ACK != 0 {
            self.ack_of(from_client)
        } else {
            0
        };
        let win = if from_client { 502 } else { 509 };
        self.out.push_back(Pkt {
            ts_us: ts,
            from_client,
            flags,
            seq: self.seq(from_client, off),
            ack,
            win,
            payload,
        });
    }

    /// A data segment reaches the capture point, and the receiver when `delivered`.
    fn data(&mut self, ts: u64, from_client: bool, off: u32, seg: u32, len: u32, delivered: bool) {
        self.push(
            ts,
            from_client,
            F_PSH | F_ACK,
            off,
            Payload::Tmpl { seg, start: 0, len },
        );
        if delivered {
            self.rcv[usize::from(from_client)].receive(off, len);
        }
    }

    fn flush_retx(&mut self, upto: u64) {
        while let Some(i) = self
            .retx
            .iter()
            .enumerate()
            .filter(|(_, r)| r.0 <= upto)
            .min_by_key(|(_, r)| r.0)
            .map(|(i, _)| i)
        {
            let (ts, from_client, off, seg, start, len) = self.retx.swap_remove(i);
            let ts = ts.max(self.out.back().map_or(0, |p| p.ts_us));
            let ack = self.ack_of(from_client);
            self.out.push_back(Pkt {
                ts_us: ts,
                from_client,
                flags: F_PSH | F_ACK,
                seq: self.seq(from_client, off),
                ack,
                win: if from_client { 502 } else { 509 },
                payload: Payload::Tmpl { seg, start, len },
            });
            self.rcv[usize::from(from_client)].receive(off, len);
            self.retransmissions += 1;
            // The receiver acknowledges what it now has.
            let ack_ts = ts + 40;
            let ack = self.ack_of(!from_client);
            self.out.push_back(Pkt {
                ts_us: ack_ts,
                from_client: !from_client,
                flags: F_ACK,
                seq: self.seq(!from_client, self.sent[usize::from(from_client)]),
                ack,
                win: if from_client { 509 } else { 502 },
                payload: Payload::None,
            });
        }
    }
}

/// Which way a replay goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplayKind {
    Success,
    /// The server resets after this many template segments.
    ResetAfter(usize),
    Lossy,
}

fn build_replay(
    rng: &mut Rng,
    tmpl: &Template,
    t0: u64,
    kind: ReplayKind,
    gaps: &mut u64,
    retransmissions: &mut u64,
) -> VecDeque<Pkt> {
    // Round trip: mostly LAN, some WAN/VPN clients. The capture point is near the server.
    let rtt = if rng.per_mille(700) {
        rng.range(150, 2_000)
    } else {
        rng.range(8_000, 90_000)
    };
    let mut r = Replay {
        out: VecDeque::with_capacity(tmpl.segs.len() * 2 + 8),
        t: t0,
        client_isn: rng.next_u32(),
        server_isn: rng.next_u32(),
        sent: [0, 0],
        rcv: [Rcv::default(), Rcv::default()],
        retx: Vec::new(),
        gaps: 0,
        retransmissions: 0,
        tmpl,
        rng,
    };
    // Three-way handshake, as seen next to the server: SYN, SYN-ACK at once, ACK one RTT later.
    let isn_c = r.client_isn;
    let isn_s = r.server_isn;
    r.out.push_back(Pkt {
        ts_us: t0,
        from_client: true,
        flags: F_SYN,
        seq: isn_c,
        ack: 0,
        win: 64240,
        payload: Payload::None,
    });
    r.out.push_back(Pkt {
        ts_us: t0 + 40,
        from_client: false,
        flags: F_SYN | F_ACK,
        seq: isn_s,
        ack: isn_c.wrapping_add(1),
        win: 65160,
        payload: Payload::None,
    });
    r.t = t0 + 40 + rtt;
    r.push(r.t, true, F_ACK, 0, Payload::None);

    let n = match kind {
        ReplayKind::ResetAfter(k) => k.min(tmpl.segs.len()),
        _ => tmpl.segs.len(),
    };
    let loss_before = if kind == ReplayKind::Lossy { 150 } else { 0 };
    let loss_after = if kind == ReplayKind::Lossy { 120 } else { 0 };
    let rto = (2 * rtt).max(200_000);
    let mut prev_from_client = true;
    for i in 0..n {
        let seg = &tmpl.segs[i];
        let from_client = seg.from_client;
        let d = usize::from(!from_client);
        // Template think time (scaled 0.5-2x, capped), plus a round trip when the turn goes
        // from server to client (the server's bytes must reach the client first).
        let gap = (seg.gap_us.min(3_000_000) * r.rng.range(50, 200)) / 100;
        let turn = if from_client && !prev_from_client {
            rtt
        } else {
            0
        };
        r.t += gap.max(turn).max(5);
        prev_from_client = from_client;
        let len = seg.data.len() as u32;
        let off = r.sent[d];
        r.sent[d] += len;
        // The capture is taken next to the server: client segments may be lost before it
        // (a gap, filled by the retransmission), server segments after it (seen twice).
        if from_client && r.rng.per_mille(loss_before) {
            r.gaps += 1;
            r.retx.push((r.t + rto, from_client, off, i as u32, 0, len));
        } else if !from_client && r.rng.per_mille(loss_after) {
            r.data(r.t, from_client, off, i as u32, len, false);
            r.retx.push((r.t + rto, from_client, off, i as u32, 0, len));
        } else {
            r.data(r.t, from_client, off, i as u32, len, true);
        }
        // The receiver acknowledges unless its own data follows at once.
        let next = tmpl.segs.get(i + 1);
        let piggyback = next.is_some_and(|s| s.from_client != from_client && s.gap_us < 2_000);
        if !piggyback {
            let delay = if from_client { 40 } else { rtt };
            let delay = match next {
                Some(s) => delay.min(s.gap_us / 2),
                None => delay,
            };
            let ts = r.t + delay;
            let recv_off = r.sent[usize::from(from_client)];
            r.push(ts, !from_client, F_ACK, recv_off, Payload::None);
        }
    }
    let t_end = r.t + rto + 1_000;
    r.flush_retx(t_end);
    r.t = r.t.max(r.out.back().map_or(0, |p| p.ts_us));
    let (c_off, s_off) = (r.sent[0], r.sent[1]);
    match kind {
        ReplayKind::ResetAfter(_) => {
            r.t += r.rng.range(200, 40_000);
            r.push(r.t, false, F_RST | F_ACK, s_off, Payload::None);
        }
        _ => {
            // The session runs, then the client closes: FIN exchange, or FIN then RST as
            // xfreerdp does.
            r.t += r.rng.range(300_000, 3_000_000);
            r.push(r.t, true, F_FIN | F_ACK, c_off, Payload::None);
            r.rcv[1].receive(c_off, 1);
            if r.rng.per_mille(250) {
                r.t += 30;
                r.push(r.t, true, F_RST, c_off + 1, Payload::None);
            } else {
                r.t += 50;
                r.push(r.t, false, F_FIN | F_ACK, s_off, Payload::None);
                r.rcv[0].receive(s_off, 1);
                r.t += rtt;
                r.push(r.t, true, F_ACK, c_off + 1, Payload::None);
            }
        }
    }
    *gaps += r.gaps;
    *retransmissions += r.retransmissions;
    r.out
}

fn syn_pkt(ts: u64, isn: u32) -> Pkt {
    Pkt {
        ts_us: ts,
        from_client: true,
        flags: F_SYN,
        seq: isn,
        ack: 0,
        win: 64240,
        payload: Payload::None,
    }
}

/// SYNs answered by RST/ACK; the client tries up to three times.
fn build_refused(rng: &mut Rng, t0: u64) -> VecDeque<Pkt> {
    let isn = rng.next_u32();
    let tries = rng.range(1, 3);
    let mut out = VecDeque::new();
    let mut t = t0;
    for _ in 0..tries {
        out.push_back(syn_pkt(t, isn));
        out.push_back(Pkt {
            ts_us: t + rng.range(30, 400),
            from_client: false,
            flags: F_RST | F_ACK,
            seq: 0,
            ack: isn.wrapping_add(1),
            win: 0,
            payload: Payload::None,
        });
        t += rng.range(450_000, 550_000);
    }
    out
}

/// SYNs nobody answers: the first, then retries after 1 s, 2 s and 4 s (same ISN).
fn build_unanswered(rng: &mut Rng, t0: u64) -> VecDeque<Pkt> {
    let isn = rng.next_u32();
    let mut out = VecDeque::new();
    let mut t = t0;
    for backoff in [1_000_000u64, 2_000_000, 4_000_000, 0] {
        out.push_back(syn_pkt(t, isn));
        t += backoff + rng.range(0, 3_000);
    }
    out
}

/// A DNS query for an RDP server's name and its answer (UDP).
fn build_dns(rng: &mut Rng, t0: u64) -> VecDeque<Pkt> {
    let id = rng.next_u32() as u16;
    let host = rng.below(RDP_SERVERS as u64) as u16;
    let q = Pkt {
        ts_us: t0,
        from_client: true,
        flags: 0,
        seq: 0,
        ack: 0,
        win: 0,
        payload: Payload::Dns {
            id,
            host,
            answer: false,
        },
    };
    let a = Pkt {
        ts_us: t0 + rng.range(300, 20_000),
        from_client: false,
        payload: Payload::Dns {
            id,
            host,
            answer: true,
        },
        ..q
    };
    VecDeque::from([q, a])
}

/// Writes a DNS message (RFC 1035 §4.1) asking for (or answering) `rdpNN.corp.example`.
fn dns_message(out: &mut Vec<u8>, id: u16, host: u16, answer: bool) {
    out.clear();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(if answer { &[0x81, 0x80] } else { &[0x01, 0x00] });
    out.extend_from_slice(&[0, 1, 0, u8::from(answer), 0, 0, 0, 0]);
    let name = format!("rdp{:02}", host + 10);
    for label in [name.as_str(), "corp", "example"] {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.extend_from_slice(&[0, 0, 1, 0, 1]);
    if answer {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4]);
        out.extend_from_slice(&[10, 1, 0, 10 + host as u8]);
    }
}

impl Bulk {
    fn start(rng: &mut Rng, t0: u64, size: u64, rate_bps: u64) -> (Bulk, VecDeque<Pkt>) {
        let rtt = rng.range(200, 30_000);
        let rate = (rate_bps * rng.range(50, 200) / 100).max(10_000);
        let interval_us = (BULK_SEGMENT as u64 * 1_000_000 / rate).max(20);
        let mut b = Bulk {
            download: rng.per_mille(700),
            client_off: 0,
            server_off: 0,
            client_isn: rng.next_u32(),
            server_isn: rng.next_u32(),
            remaining: size,
            interval_us,
            rtt_us: rtt,
            next_ts: 0,
            segs_unacked: 0,
            lost: None,
            closed: false,
            rst_close: rng.per_mille(100),
        };
        let mut out = VecDeque::new();
        out.push_back(syn_pkt(t0, b.client_isn));
        out.push_back(Pkt {
            ts_us: t0 + 40,
            from_client: false,
            flags: F_SYN | F_ACK,
            seq: b.server_isn,
            ack: b.client_isn.wrapping_add(1),
            win: 65160,
            payload: Payload::None,
        });
        let mut t = t0 + 40 + rtt;
        out.push_back(b.pkt(t, true, F_ACK, Payload::None));
        // A request from the client, then the transfer.
        t += 200;
        let req = rng.range(80, 600) as u32;
        out.push_back(b.pkt(
            t,
            true,
            F_PSH | F_ACK,
            Payload::Noise {
                at: rng.below(NOISE_LEN as u64 - 2048) as u32,
                len: req,
            },
        ));
        b.client_off += req;
        b.next_ts = t + rtt + 100;
        (b, out)
    }

    fn seq(&self, from_client: bool, off: u32) -> u32 {
        if from_client {
            self.client_isn.wrapping_add(1).wrapping_add(off)
        } else {
            self.server_isn.wrapping_add(1).wrapping_add(off)
        }
    }

    fn pkt(&self, ts: u64, from_client: bool, flags: u8, payload: Payload) -> Pkt {
        let off = if from_client {
            self.client_off
        } else {
            self.server_off
        };
        let peer_off = if from_client {
            self.server_off
        } else {
            self.client_off
        };
        // While a segment of the peer is missing, the ACK stays at its start.
        let peer_has = match self.lost {
            Some((lo, _, _)) if self.download == from_client => lo,
            _ => peer_off,
        };
        Pkt {
            ts_us: ts,
            from_client,
            flags,
            seq: self.seq(from_client, off),
            ack: if flags & F_ACK != 0 {
                self.seq(!from_client, peer_has)
            } else {
                0
            },
            win: if from_client { 2053 } else { 1024 },
            payload,
        }
    }

    /// Appends the next few packets; false when the flow is over.
    fn refill(&mut self, rng: &mut Rng, out: &mut VecDeque<Pkt>, gaps: &mut u64) -> bool {
        if self.closed {
            return false;
        }
        let sender_is_client = !self.download;
        let t = self.next_ts;
        if self.remaining == 0 {
            // Close: FIN from the sender, FIN from the receiver, last ACK; or a reset.
            self.closed = true;
            if self.rst_close {
                out.push_back(self.pkt(t, true, F_RST | F_ACK, Payload::None));
                return true;
            }
            out.push_back(self.pkt(t, sender_is_client, F_FIN | F_ACK, Payload::None));
            self.bump(sender_is_client, 1);
            let t2 = t + self.rtt_us;
            out.push_back(self.pkt(t2, !sender_is_client, F_FIN | F_ACK, Payload::None));
            self.bump(!sender_is_client, 1);
            out.push_back(self.pkt(t2 + 40, sender_is_client, F_ACK, Payload::None));
            return true;
        }
        // A segment lost before the capture point is resent after three more segments.
        if let Some((lo, len, left)) = self.lost {
            if left == 0 {
                let saved = if sender_is_client {
                    self.client_off
                } else {
                    self.server_off
                };
                self.set_off(sender_is_client, lo);
                let p = self.pkt(
                    t,
                    sender_is_client,
                    F_PSH | F_ACK,
                    Payload::Noise {
                        at: lo % (NOISE_LEN as u32 - 2048),
                        len,
                    },
                );
                self.lost = None;
                self.set_off(sender_is_client, saved);
                out.push_back(p);
                out.push_back(self.pkt(t + 30, !sender_is_client, F_ACK, Payload::None));
                self.next_ts = t + self.interval_us / 2 + 1;
                return true;
            }
            self.lost = Some((lo, len, left - 1));
        }
        let len = (self.remaining.min(BULK_SEGMENT as u64)) as u32;
        let off = if sender_is_client {
            self.client_off
        } else {
            self.server_off
        };
        let noise = Payload::Noise {
            at: off % (NOISE_LEN as u32 - 2048),
            len,
        };
        if self.lost.is_none() && rng.per_mille(1) && self.remaining > 4 * BULK_SEGMENT as u64 {
            *gaps += 1;
            self.lost = Some((off, len, 3));
        } else {
            out.push_back(self.pkt(t, sender_is_client, F_ACK, noise));
        }
        self.bump(sender_is_client, len);
        self.remaining -= len as u64;
        self.segs_unacked += 1;
        if self.segs_unacked >= 2 || self.remaining == 0 || self.lost.is_some() {
            self.segs_unacked = 0;
            let at = t + (self.interval_us / 3).clamp(1, 150);
            out.push_back(self.pkt(at, !sender_is_client, F_ACK, Payload::None));
        }
        self.next_ts = t + rng.jitter(self.interval_us).max(2);
        true
    }

    fn bump(&mut self, from_client: bool, n: u32) {
        if from_client {
            self.client_off += n;
        } else {
            self.server_off += n;
        }
    }

    fn set_off(&mut self, from_client: bool, v: u32) {
        if from_client {
            self.client_off = v;
        } else {
            self.server_off = v;
        }
    }
}

// ---------------------------------------------------------------------------------------
// The generator

const NOISE_LEN: usize = 1 << 16;
const CLIENT_HOSTS: u32 = 4000;
const RDP_SERVERS: u8 = 8;
const BULK_SERVERS: u8 = 24;

/// Frames per million bytes of output, per kind (RDP kinds and DNS); bulk fills the rest.
/// For 1100 MB: about 6600 successful sessions, 1100 refused, 550 unanswered, 1100 reset
/// mid-handshake, 1650 lossy.
const PER_MB_MILLI: [u64; 7] = [6_000, 1_000, 500, 1_000, 1_500, 0, 4_000];
/// Share of the bytes carried by bulk flows, in per mille (the rest is mostly RDP).
const BULK_SHARE: u64 = 870;

struct Writer<W: Write> {
    out: W,
    format: Format,
    buf: Vec<u8>,
    rec: Vec<u8>,
    written: u64,
}

impl<W: Write> Writer<W> {
    fn new(mut out: W, format: Format) -> io::Result<Writer<W>> {
        let mut head = Vec::new();
        match format {
            Format::Pcap => {
                head.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
                head.extend_from_slice(&2u16.to_le_bytes());
                head.extend_from_slice(&4u16.to_le_bytes());
                head.extend_from_slice(&0i32.to_le_bytes());
                head.extend_from_slice(&0u32.to_le_bytes());
                head.extend_from_slice(&65_535u32.to_le_bytes());
                head.extend_from_slice(&1u32.to_le_bytes());
            }
            Format::Pcapng => {
                // Section Header Block (no options), then one Ethernet interface (µs clock).
                head.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
                head.extend_from_slice(&28u32.to_le_bytes());
                head.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                head.extend_from_slice(&1u16.to_le_bytes());
                head.extend_from_slice(&0u16.to_le_bytes());
                head.extend_from_slice(&(-1i64).to_le_bytes());
                head.extend_from_slice(&28u32.to_le_bytes());
                head.extend_from_slice(&1u32.to_le_bytes());
                head.extend_from_slice(&20u32.to_le_bytes());
                head.extend_from_slice(&1u16.to_le_bytes());
                head.extend_from_slice(&0u16.to_le_bytes());
                head.extend_from_slice(&65_535u32.to_le_bytes());
                head.extend_from_slice(&20u32.to_le_bytes());
            }
        }
        out.write_all(&head)?;
        Ok(Writer {
            out,
            format,
            buf: Vec::with_capacity(2048),
            rec: Vec::with_capacity(2048),
            written: head.len() as u64,
        })
    }

    /// Writes the frame in `self.buf` as one record.
    fn record(&mut self, ts_us: u64) -> io::Result<()> {
        let len = self.buf.len() as u32;
        self.rec.clear();
        match self.format {
            Format::Pcap => {
                self.rec
                    .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
                self.rec
                    .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
                self.rec.extend_from_slice(&len.to_le_bytes());
                self.rec.extend_from_slice(&len.to_le_bytes());
                self.rec.extend_from_slice(&self.buf);
            }
            Format::Pcapng => {
                let padded = (len as usize).div_ceil(4) * 4;
                let total = (32 + padded) as u32;
                self.rec.extend_from_slice(&6u32.to_le_bytes());
                self.rec.extend_from_slice(&total.to_le_bytes());
                self.rec.extend_from_slice(&0u32.to_le_bytes());
                self.rec
                    .extend_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
                self.rec.extend_from_slice(&(ts_us as u32).to_le_bytes());
                self.rec.extend_from_slice(&len.to_le_bytes());
                self.rec.extend_from_slice(&len.to_le_bytes());
                self.rec.extend_from_slice(&self.buf);
                self.rec.resize(28 + padded, 0);
                self.rec.extend_from_slice(&total.to_le_bytes());
            }
        }
        self.out.write_all(&self.rec)?;
        self.written += self.rec.len() as u64;
        Ok(())
    }
}

struct Gen<'a, W: Write> {
    cfg: &'a Config,
    templates: &'a [Template],
    rng: Rng,
    noise: Vec<u8>,
    scratch: Vec<u8>,
    w: Writer<W>,
    flows: Vec<Option<Flow>>,
    free: Vec<usize>,
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
    order: u64,
    next_port: Vec<u16>,
    sum: Summary,
    last_ts: u64,
    stopping: bool,
}

impl<W: Write> Gen<'_, W> {
    fn client(&mut self) -> ([u8; 4], [u8; 6], u16) {
        let h = self.rng.below(CLIENT_HOSTS as u64) as u32;
        let host = h + 1;
        let ip = [10, 20, (host >> 8) as u8, host as u8];
        let mac = [0x00, 0x15, 0x5d, 0x14, (host >> 8) as u8, host as u8];
        let p = &mut self.next_port[h as usize];
        let port = *p;
        *p = if *p >= 65_000 {
            49_152
        } else {
            *p + 1 + (h as u16 % 3)
        };
        (ip, mac, port)
    }

    fn endpoints(&mut self, kind: Kind) -> Endpoints {
        let (client_ip, client_mac, client_port) = self.client();
        let (server_ip, server_port, udp) = match kind {
            Kind::Bulk => {
                let s = self.rng.below(BULK_SERVERS as u64) as u8;
                let port = match self.rng.below(10) {
                    0..=4 => 443,
                    5..=8 => 445,
                    _ => 22,
                };
                ([10, 2, 0, 10 + s], port, false)
            }
            Kind::Dns => ([10, 1, 1, 53 + self.rng.below(2) as u8], 53, true),
            _ => (
                [10, 1, 0, 10 + self.rng.below(RDP_SERVERS as u64) as u8],
                RDP_PORT,
                false,
            ),
        };
        Endpoints {
            client_mac,
            // Clients sit behind the router; the capture is on the server side.
            server_mac: [0x00, 0x50, 0x56, server_ip[1], server_ip[2], server_ip[3]],
            client_ip,
            server_ip,
            client_port,
            server_port,
            client_ttl: 127 - self.rng.below(3) as u8,
            server_ttl: 128,
            udp,
        }
    }

    fn spawn(&mut self, kind: Kind, t: u64, bulk_size: u64, bulk_rate: u64) {
        let ep = self.endpoints(kind);
        let ntmpl = self.templates.len();
        let mut tmpl = 0;
        let mut bulk = None;
        let rng = &mut self.rng;
        let pkts = match kind {
            Kind::RdpSuccess | Kind::RdpResetMid | Kind::RdpLossy => {
                tmpl = rng.below(ntmpl as u64) as usize;
                let t_ = &self.templates[tmpl];
                let rk = match kind {
                    Kind::RdpSuccess => ReplayKind::Success,
                    Kind::RdpLossy => ReplayKind::Lossy,
                    _ => {
                        // Reset somewhere in the handshake: after the X.224 exchange, in
                        // TLS or in the first protected PDUs.
                        let hi = (t_.segs.len() / 2).max(2) as u64;
                        ReplayKind::ResetAfter(rng.range(1, hi) as usize)
                    }
                };
                build_replay(
                    rng,
                    t_,
                    t,
                    rk,
                    &mut self.sum.lossy_gaps,
                    &mut self.sum.lossy_retransmissions,
                )
            }
            Kind::RdpRefused => build_refused(rng, t),
            Kind::RdpUnanswered => build_unanswered(rng, t),
            Kind::Dns => build_dns(rng, t),
            Kind::Bulk => {
                let (b, p) = Bulk::start(rng, t, bulk_size, bulk_rate);
                bulk = Some(b);
                p
            }
        };
        match kind {
            Kind::RdpSuccess => {
                self.sum.rdp_success += 1;
                self.sum.rdp_success_by_template[tmpl].1 += 1;
            }
            Kind::RdpRefused => self.sum.rdp_refused += 1,
            Kind::RdpUnanswered => self.sum.rdp_unanswered += 1,
            Kind::RdpResetMid => self.sum.rdp_reset_mid_handshake += 1,
            Kind::RdpLossy => self.sum.rdp_lossy += 1,
            Kind::Bulk => self.sum.bulk_flows += 1,
            Kind::Dns => self.sum.dns_exchanges += 1,
        }
        let flow = Flow {
            kind,
            tmpl,
            ep,
            pkts,
            bulk,
        };
        let first = flow.pkts.front().map_or(t, |p| p.ts_us);
        let slot = match self.free.pop() {
            Some(s) => {
                self.flows[s] = Some(flow);
                s
            }
            None => {
                self.flows.push(Some(flow));
                self.flows.len() - 1
            }
        };
        self.schedule(first, slot);
    }

    fn schedule(&mut self, ts: u64, slot: usize) {
        self.order += 1;
        self.heap.push(Reverse((ts, self.order, slot)));
    }

    fn emit(&mut self, slot: usize, p: Pkt) -> io::Result<()> {
        let flow = self.flows[slot].as_ref().expect("live flow");
        let ep = flow.ep;
        let payload: &[u8] = match p.payload {
            Payload::None => &[],
            Payload::Tmpl { seg, start, len } => {
                let d = &self.templates[flow.tmpl].segs[seg as usize].data;
                &d[start as usize..(start + len) as usize]
            }
            Payload::Noise { at, len } => &self.noise[at as usize..(at + len) as usize],
            Payload::Dns { id, host, answer } => {
                dns_message(&mut self.scratch, id, host, answer);
                &self.scratch
            }
        };
        let (smac, dmac, sip, dip, sport, dport, ttl) = if p.from_client {
            (
                ep.client_mac,
                ep.server_mac,
                ep.client_ip,
                ep.server_ip,
                ep.client_port,
                ep.server_port,
                ep.client_ttl,
            )
        } else {
            (
                ep.server_mac,
                ep.client_mac,
                ep.server_ip,
                ep.client_ip,
                ep.server_port,
                ep.client_port,
                ep.server_ttl,
            )
        };
        let ip = PacketBuilder::ethernet2(smac, dmac).ipv4(sip, dip, ttl);
        self.w.buf.clear();
        let written = if ep.udp {
            ip.udp(sport, dport).write(&mut self.w.buf, payload)
        } else {
            let mut b = ip.tcp(sport, dport, p.seq, p.win);
            if p.flags & F_SYN != 0 {
                b = b.syn();
                let mss = if p.from_client { 1460 } else { 1380 };
                b = b
                    .options(&[
                        TcpOptionElement::MaximumSegmentSize(mss),
                        TcpOptionElement::Noop,
                        TcpOptionElement::WindowScale(8),
                        TcpOptionElement::SelectiveAcknowledgementPermitted,
                    ])
                    .expect("options fit");
            }
            if p.flags & F_ACK != 0 {
                b = b.ack(p.ack);
            }
            if p.flags & F_FIN != 0 {
                b = b.fin();
            }
            if p.flags & F_RST != 0 {
                b = b.rst();
            }
            if p.flags & F_PSH != 0 {
                b = b.psh();
            }
            b.write(&mut self.w.buf, payload)
        };
        written.map_err(|e| io::Error::other(format!("building a frame: {e}")))?;
        let ts = (START_UNIX_S * 1_000_000 + p.ts_us).max(self.last_ts);
        self.last_ts = ts;
        if self.sum.frames == 0 {
            self.sum.first_ts_us = ts;
        }
        self.sum.last_ts_us = ts;
        let n = self.w.buf.len() as u64;
        self.sum.frames += 1;
        self.sum.frame_bytes += n;
        match flow.kind {
            Kind::Bulk => {
                self.sum.bulk_frames += 1;
                self.sum.bulk_frame_bytes += n;
            }
            Kind::Dns => {}
            _ => {
                self.sum.rdp_frames += 1;
                self.sum.rdp_frame_bytes += n;
            }
        }
        self.w.record(ts)
    }

    fn run(&mut self) -> io::Result<()> {
        let cfg = self.cfg;
        let dur = cfg.duration_us.max(1_000_000);
        let size_mb = (cfg.size_bytes / 1_000_000).max(1);
        // Mean time between arrivals, per kind.
        let mut mean = [0u64; 7];
        for (i, k) in KINDS.iter().enumerate() {
            if *k != Kind::Bulk {
                let scale = if *k == Kind::Dns {
                    100
                } else {
                    cfg.rdp_scale_pct
                };
                let count = (size_mb * PER_MB_MILLI[i] * scale / 100_000).max(1);
                mean[i] = (dur / count).max(1);
            }
        }
        // Bulk flows: sizes from hi/512 to hi, about eight at a time.
        let bulk_bytes = cfg.size_bytes * BULK_SHARE / 1000;
        let hi = (cfg.size_bytes / 16).clamp(256 << 10, 32 << 20);
        let mean_size = (0..10).map(|k| hi >> k).sum::<u64>() / 10;
        let n_bulk = (bulk_bytes / mean_size).max(1);
        mean[5] = (dur / n_bulk).max(1);
        let bulk_rate = (bulk_bytes * 1_000_000 / dur / 8).max(20_000);
        let mut next_arrival = [0u64; 7];
        for (i, n) in next_arrival.iter_mut().enumerate() {
            *n = self.rng.below(mean[i]);
        }
        next_arrival[5] = 0;
        loop {
            let top = self.heap.peek().map(|Reverse((ts, _, _))| *ts);
            if !self.stopping {
                let (ak, at) = next_arrival
                    .iter()
                    .enumerate()
                    .min_by_key(|(i, t)| (**t, *i))
                    .map(|(i, t)| (i, *t))
                    .expect("kinds");
                if top.is_none_or(|ts| at <= ts) {
                    let size = (hi >> self.rng.below(10)) * self.rng.range(50, 150) / 100;
                    self.spawn(KINDS[ak], at, size.max(4096), bulk_rate);
                    next_arrival[ak] = at + self.rng.jitter(mean[ak]);
                    continue;
                }
            }
            let Some(Reverse((_, _, slot))) = self.heap.pop() else {
                break;
            };
            if self.stopping
                && self.flows[slot]
                    .as_ref()
                    .is_some_and(|f| f.kind == Kind::Bulk)
            {
                // The capture stops: transfers still running are cut.
                self.sum.bulk_flows_cut += 1;
                self.flows[slot] = None;
                self.free.push(slot);
                continue;
            }
            let p = {
                let flow = self.flows[slot].as_mut().expect("live flow");
                flow.pkts.pop_front()
            };
            if let Some(p) = p {
                self.emit(slot, p)?;
            }
            let flow = self.flows[slot].as_mut().expect("live flow");
            if let Some(b) = flow.bulk.as_mut().filter(|_| flow.pkts.is_empty()) {
                b.refill(&mut self.rng, &mut flow.pkts, &mut self.sum.bulk_gaps);
            }
            match flow.pkts.front().map(|p| p.ts_us) {
                Some(ts) => self.schedule(ts, slot),
                None => {
                    self.flows[slot] = None;
                    self.free.push(slot);
                }
            }
            if !self.stopping && self.w.written >= cfg.size_bytes {
                self.stopping = true;
            }
        }
        Ok(())
    }
}

/// Writes a capture of at least `cfg.size_bytes` bytes to `out` and says what is in it.
pub fn generate<W: Write>(cfg: &Config, templates: &[Template], out: W) -> io::Result<Summary> {
    if templates.is_empty() {
        return Err(invalid("no RDP template".into()));
    }
    let mut rng = Rng::new(cfg.seed);
    let mut noise = vec![0u8; NOISE_LEN];
    for chunk in noise.chunks_mut(8) {
        let v = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    let next_port = (0..CLIENT_HOSTS)
        .map(|_| 49_152 + rng.below(12_000) as u16)
        .collect();
    let mut g = Gen {
        cfg,
        templates,
        rng,
        noise,
        scratch: Vec::new(),
        w: Writer::new(out, cfg.format)?,
        flows: Vec::new(),
        free: Vec::new(),
        heap: BinaryHeap::new(),
        order: 0,
        next_port,
        sum: Summary {
            rdp_success_by_template: templates.iter().map(|t| (t.name.clone(), 0)).collect(),
            ..Default::default()
        },
        last_ts: 0,
        stopping: false,
    };
    g.run()?;
    g.w.out.flush()?;
    g.sum.file_bytes = g.w.written;
    Ok(g.sum)
}

/// Generates into memory (for benches).
pub fn generate_vec(cfg: &Config, templates: &[Template]) -> io::Result<(Vec<u8>, Summary)> {
    let mut v = Vec::with_capacity(cfg.size_bytes as usize + (1 << 20));
    let s = generate(cfg, templates, &mut v)?;
    Ok((v, s))
}

// ---------------------------------------------------------------------------------------
// The floor: a bare walk over the records

/// Records and captured bytes found by [`walk`].
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkStats {
    pub records: u64,
    pub caplen_sum: u64,
    pub file_bytes: u64,
}

/// Reads a little-endian pcap (or pcapng) file sequentially with plain `read()` calls into a
/// 1 MiB buffer, the way the analyzer's framer does, and walks the record headers: the least
/// any reader of this file must do.
pub fn walk(path: &Path) -> io::Result<WalkStats> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut end) = (0usize, 0usize);
    let mut st = WalkStats::default();
    let mut eof = false;
    // Bytes the next record needs, when more than what is buffered.
    let mut need: usize;
    let mut format: Option<bool> = None; // Some(true) for pcapng
    loop {
        let avail = &buf[start..end];
        match format {
            None if avail.len() >= 24 => match &avail[..4] {
                [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => {
                    format = Some(false);
                    start += 24;
                    continue;
                }
                [0x0a, 0x0d, 0x0d, 0x0a] => {
                    format = Some(true);
                    continue;
                }
                _ => return Err(invalid("not a little-endian pcap or pcapng file".into())),
            },
            None => need = 24,
            Some(pcapng) => loop {
                let avail = &buf[start..end];
                let (total, caplen, packet) = if pcapng {
                    if avail.len() < 28 {
                        need = 28;
                        break;
                    }
                    let t = u32::from_le_bytes(avail[0..4].try_into().unwrap());
                    let len = u32::from_le_bytes(avail[4..8].try_into().unwrap()) as usize;
                    let cap = u32::from_le_bytes(avail[20..24].try_into().unwrap());
                    (len.max(12), cap, t == 6)
                } else {
                    if avail.len() < 16 {
                        need = 16;
                        break;
                    }
                    let cap = u32::from_le_bytes(avail[8..12].try_into().unwrap());
                    (16 + cap as usize, cap, true)
                };
                if avail.len() < total {
                    need = total;
                    break;
                }
                if packet {
                    st.records += 1;
                    st.caplen_sum += caplen as u64;
                }
                start += total;
            },
        }
        if eof {
            if end > start {
                return Err(invalid(format!(
                    "{} bytes of a truncated record at the end",
                    end - start
                )));
            }
            break;
        }
        // Keep the partial record, then read more straight after it.
        buf.copy_within(start..end, 0);
        end -= start;
        start = 0;
        if need > buf.len() || end == buf.len() {
            buf.resize(need.max(buf.len() * 2), 0);
        }
        let n = f.read(&mut buf[end..])?;
        if n == 0 {
            eof = true;
        }
        end += n;
        st.file_bytes += n as u64;
    }
    Ok(st)
}
