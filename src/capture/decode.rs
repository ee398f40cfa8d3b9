//! Frames → packet facts: the link layer (Ethernet with 802.1Q/QinQ, Linux cooked SLL and
//! SLL2, raw IPv4/IPv6, BSD null/loopback), IPv4/IPv6 (RFC 791, RFC 8200), TCP (RFC 9293),
//! UDP and ICMP/ICMPv6 errors (RFC 792, RFC 4443), decoded with `etherparse`'s lax slicer so
//! frames cut by the snap length still give their headers.
//!
//! A [`PacketFact`] is what the TCP tracker needs of one frame — never the frame itself; its
//! payload stays in the block and is referred to by offset. Facts are sorted into
//! [`SHARDS`] buckets by the hash of the connection's unordered address pair, so that every
//! packet of one connection (and the ICMP errors quoting it) lands in the same bucket.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::err::Layer;
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use super::{Block, linktype};

/// Number of buckets connections are spread over. Fixed, so results never depend on the
/// number of threads.
pub const SHARDS: usize = 64;

pub use crate::model::Endpoint;

/// TCP flag bits (RFC 9293 §3.1).
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// The TCP header fields the tracker uses (RFC 9293 §3.1, options §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFact {
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Segment length as the IP header declares it (the captured payload may be shorter).
    pub seg_len: u32,
    /// Maximum Segment Size option, on SYNs.
    pub mss: Option<u16>,
    /// Window scale option, on SYNs.
    pub wscale: Option<u8>,
}

/// An ICMP or ICMPv6 error and the packet it quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpFact {
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// Who sent the error (a router, or the destination host).
    pub reporter: IpAddr,
    /// Transport protocol of the quoted packet (6 TCP, 17 UDP).
    pub quoted_protocol: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactKind {
    Tcp(TcpFact),
    Udp,
    /// `src`/`dst` of the fact are those of the quoted packet.
    IcmpError(IcmpFact),
}

/// Bytes of a frame's transport payload, inside the block it came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayloadRef {
    pub offset: u32,
    pub len: u32,
}

/// What the tracker needs to know of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketFact {
    /// Frame number, 1-based, as Wireshark counts.
    pub frame: u64,
    pub ts_ns: i64,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6): the same value twice is the same packet captured twice.
    pub ip_id: u16,
    pub kind: FactKind,
    pub payload: PayloadRef,
}

/// Counts of what a capture contained, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u64,
    pub bytes: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub ip_fragments: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmp: u64,
    /// Frames that are not IP (ARP, LLDP…).
    pub non_ip: u64,
    /// Frames whose headers were cut or malformed.
    pub undecodable: u64,
    /// Frames of link types this tool does not decode, by link type.
    pub unsupported_links: Vec<(u32, u64)>,
}

impl DecodeStats {
    pub fn merge(&mut self, o: &DecodeStats) {
        self.frames += o.frames;
        self.bytes += o.bytes;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.ip_fragments += o.ip_fragments;
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmp += o.icmp;
        self.non_ip += o.non_ip;
        self.undecodable += o.undecodable;
        for &(lt, n) in &o.unsupported_links {
            self.count_unsupported(lt, n);
        }
    }

    fn count_unsupported(&mut self, lt: u32, n: u64) {
        match self.unsupported_links.iter_mut().find(|(l, _)| *l == lt) {
            Some((_, c)) => *c += n,
            None => {
                self.unsupported_links.push((lt, n));
                self.unsupported_links.sort_unstable();
            }
        }
    }
}

/// The facts of one block, already sorted into shards (each in frame order).
pub struct DecodedBlock {
    pub shards: Vec<Vec<PacketFact>>,
    pub stats: DecodeStats,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
}

/// Decodes every frame of a block.
pub fn decode_block(block: &Block) -> DecodedBlock {
    let mut out = DecodedBlock {
        // Sized for an even spread with room to spare, so pushes rarely reallocate.
        shards: (0..SHARDS)
            .map(|_| Vec::with_capacity(block.frames.len() / SHARDS * 2 + 8))
            .collect(),
        stats: DecodeStats::default(),
        first_ts_ns: None,
        last_ts_ns: None,
    };
    for (i, f) in block.frames.iter().enumerate() {
        let Some(rec) = block.frame(i) else { continue };
        out.stats.frames += 1;
        out.stats.bytes += f.orig_len.max(f.len) as u64;
        if f.ts_ns != 0 {
            out.first_ts_ns.get_or_insert(f.ts_ns);
            out.last_ts_ns = Some(out.last_ts_ns.map_or(f.ts_ns, |t: i64| t.max(f.ts_ns)));
        }
        let frame = block.first_frame + i as u64;
        if let Some(fact) = decode_frame(
            rec.data,
            rec.linktype,
            frame,
            rec.ts_ns,
            f.offset,
            &mut out.stats,
        ) {
            let shard = shard_of(&fact.src, &fact.dst);
            out.shards[shard].push(fact);
        }
    }
    out
}

/// The bucket of a connection: the same for both directions.
pub fn shard_of(a: &Endpoint, b: &Endpoint) -> usize {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let fold = |e: &Endpoint| -> u64 {
        let ip = match e.ip {
            IpAddr::V4(ip) => u32::from(ip) as u128,
            IpAddr::V6(ip) => u128::from(ip),
        };
        ((ip >> 64) as u64 ^ ip as u64).rotate_left(16) ^ e.port as u64
    };
    // A multiply-xorshift mix (splitmix64's finaliser): fixed, so shards never depend on the
    // machine or the run.
    let mut h = fold(lo).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fold(hi);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h % SHARDS as u64) as usize
}

/// Decodes one frame. `frame_offset` is where the frame's bytes start in its block, so the
/// payload can be referred to by offset.
pub fn decode_frame(
    data: &[u8],
    link: u32,
    frame: u64,
    ts_ns: i64,
    frame_offset: u32,
    stats: &mut DecodeStats,
) -> Option<PacketFact> {
    if link == linktype::ETHERNET
        && let Some(fact) = fast_ethernet_ipv4_tcp(data, frame, ts_ns, frame_offset)
    {
        stats.ipv4 += 1;
        stats.tcp += 1;
        return Some(fact);
    }
    decode_frame_general(data, link, frame, ts_ns, frame_offset, stats)
}

/// The common case read at fixed offsets: Ethernet II, an IPv4 header without options, not
/// fragmented, complete in the capture, carrying TCP (RFC 791 §3.1, RFC 9293 §3.1). Anything
/// else — VLAN tags, options, fragments, cut frames, odd lengths — goes through `etherparse`.
/// It gives exactly the facts the general path gives (tested on every frame of the fixtures
/// and the corpus).
fn fast_ethernet_ipv4_tcp(
    data: &[u8],
    frame: u64,
    ts_ns: i64,
    frame_offset: u32,
) -> Option<PacketFact> {
    let ip = data.get(14..)?;
    if data[12..14] != [0x08, 0x00] || ip.len() < 40 || ip[0] != 0x45 || ip[9] != 6 {
        return None;
    }
    let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
    let frag = u16::from_be_bytes([ip[6], ip[7]]);
    if frag & 0x3fff != 0 || total < 40 || total > ip.len() {
        return None;
    }
    let tcp = &ip[20..total];
    let hlen = ((tcp[12] >> 4) as usize) * 4;
    if hlen < 20 || hlen > tcp.len() {
        return None;
    }
    let be16 = |b: &[u8], at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let raw_flags = tcp[13];
    let flags = raw_flags
        & (tcp_flags::FIN | tcp_flags::SYN | tcp_flags::RST | tcp_flags::PSH | tcp_flags::ACK);
    let (mss, wscale) = if flags & tcp_flags::SYN != 0 {
        syn_options(&tcp[20..hlen])
    } else {
        (None, None)
    };
    let payload = &tcp[hlen..];
    Some(PacketFact {
        frame,
        ts_ns,
        src: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15])),
            port: be16(tcp, 0),
        },
        dst: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19])),
            port: be16(tcp, 2),
        },
        ttl: ip[8],
        ip_id: be16(ip, 4),
        kind: FactKind::Tcp(TcpFact {
            seq: be32(tcp, 4),
            ack: be32(tcp, 8),
            flags,
            window: be16(tcp, 14),
            seg_len: payload.len() as u32,
            mss,
            wscale,
        }),
        payload: PayloadRef {
            offset: frame_offset + (14 + 20 + hlen) as u32,
            len: payload.len() as u32,
        },
    })
}

/// MSS and window scale of a SYN's options (RFC 9293 §3.2, RFC 7323 §2.2), read the same way
/// by both decoding paths: options are walked by their length, so an option this reader does
/// not know (SACK, timestamps, MPTCP, Fast Open…) is skipped; an option of impossible length
/// ends the walk, keeping what came before. (etherparse's iterator stops at the first option
/// it does not know or whose length it rejects, which lost the window scale behind an MPTCP
/// option on the general path while the fast path kept it: found by the `decode` fuzz target,
/// `tests/fuzz-regressions/decode/`.)
fn syn_options(opts: &[u8]) -> (Option<u16>, Option<u8>) {
    let (mut mss, mut wscale) = (None, None);
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            kind => {
                let Some(&len) = opts.get(i + 1) else { break };
                let len = len as usize;
                if len < 2 || i + len > opts.len() {
                    break;
                }
                match (kind, len) {
                    (2, 4) => mss = Some(u16::from_be_bytes([opts[i + 2], opts[i + 3]])),
                    (3, 3) => wscale = Some(opts[i + 2]),
                    _ => {}
                }
                i += len;
            }
        }
    }
    (mss, wscale)
}

/// Decodes any frame with `etherparse`.
pub fn decode_frame_general(
    data: &[u8],
    link: u32,
    frame: u64,
    ts_ns: i64,
    frame_offset: u32,
    stats: &mut DecodeStats,
) -> Option<PacketFact> {
    let sliced = match link {
        linktype::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok(),
        linktype::RAW | linktype::RAW_BSD | linktype::IPV4 | linktype::IPV6 => {
            LaxSlicedPacket::from_ip(data).ok()
        }
        linktype::NULL | linktype::LOOP => {
            // The 4-byte family is in the writer's byte order (NULL) or network order (LOOP);
            // the IP version nibble tells more reliably what follows.
            data.get(4..)
                .and_then(|ip| LaxSlicedPacket::from_ip(ip).ok())
        }
        linktype::LINUX_SLL => {
            // 16-byte header: packet type, ARPHRD, address length, 8-byte address, protocol.
            let proto = u16::from_be_bytes([*data.get(14)?, *data.get(15)?]);
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(proto),
                data.get(16..)?,
            ))
        }
        linktype::LINUX_SLL2 => {
            // 20-byte header starting with the protocol type.
            let proto = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(proto),
                data.get(20..)?,
            ))
        }
        other => {
            stats.count_unsupported(other, 1);
            return None;
        }
    };
    let Some(sliced) = sliced else {
        stats.undecodable += 1;
        return None;
    };
    let base = data.as_ptr() as usize;
    let mut ip_id = 0u16;
    let (src_ip, dst_ip, ttl, declared_payload, fragmented) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            stats.ipv4 += 1;
            let h = v4.header();
            ip_id = h.identification();
            let declared = (h.total_len() as usize).saturating_sub(h.slice().len());
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                h.ttl(),
                declared,
                v4.is_payload_fragmented(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            stats.ipv6 += 1;
            let h = v6.header();
            let declared =
                (h.payload_length() as usize).saturating_sub(v6.extensions().slice().len());
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                h.hop_limit(),
                declared,
                v6.is_payload_fragmented(),
            )
        }
        Some(LaxNetSlice::Arp(_)) | None => {
            // A header that failed to parse (a cut VLAN tag, a malformed IP header) makes the
            // frame undecodable, on any link; a malformed ARP packet is still not IP.
            let broken = sliced.net.is_none()
                && matches!(&sliced.stop_err, Some((_, layer)) if *layer != Layer::Arp);
            if broken {
                stats.undecodable += 1;
            } else {
                stats.non_ip += 1;
            }
            return None;
        }
    };
    if fragmented {
        stats.ip_fragments += 1;
    }
    let transport = sliced.transport.as_ref()?;
    let payload_ref = |payload: &[u8]| PayloadRef {
        offset: frame_offset + (payload.as_ptr() as usize - base) as u32,
        len: payload.len() as u32,
    };
    match transport {
        TransportSlice::Tcp(tcp) => {
            stats.tcp += 1;
            let header_len = tcp.header_slice().len();
            let (mss, wscale) = if tcp.syn() {
                syn_options(tcp.options())
            } else {
                (None, None)
            };
            let bit = |set: bool, flag: u8| if set { flag } else { 0 };
            let flags = bit(tcp.fin(), tcp_flags::FIN)
                | bit(tcp.syn(), tcp_flags::SYN)
                | bit(tcp.rst(), tcp_flags::RST)
                | bit(tcp.psh(), tcp_flags::PSH)
                | bit(tcp.ack(), tcp_flags::ACK);
            let captured = tcp.payload();
            let seg_len = declared_payload
                .saturating_sub(header_len)
                .max(captured.len());
            Some(PacketFact {
                frame,
                ts_ns,
                src: Endpoint {
                    ip: src_ip,
                    port: tcp.source_port(),
                },
                dst: Endpoint {
                    ip: dst_ip,
                    port: tcp.destination_port(),
                },
                ttl,
                ip_id,
                kind: FactKind::Tcp(TcpFact {
                    seq: tcp.sequence_number(),
                    ack: tcp.acknowledgment_number(),
                    flags,
                    window: tcp.window_size(),
                    seg_len: seg_len as u32,
                    mss,
                    wscale,
                }),
                payload: payload_ref(captured),
            })
        }
        TransportSlice::Udp(udp) => {
            stats.udp += 1;
            Some(PacketFact {
                frame,
                ts_ns,
                src: Endpoint {
                    ip: src_ip,
                    port: udp.source_port(),
                },
                dst: Endpoint {
                    ip: dst_ip,
                    port: udp.destination_port(),
                },
                ttl,
                ip_id,
                kind: FactKind::Udp,
                payload: payload_ref(udp.payload()),
            })
        }
        TransportSlice::Icmpv4(icmp) => {
            stats.icmp += 1;
            let t = icmp.type_u8();
            // Destination unreachable, source quench, time exceeded, parameter problem.
            if !matches!(t, 3 | 4 | 11 | 12) {
                return None;
            }
            icmp_error(
                frame,
                ts_ns,
                ttl,
                src_ip,
                false,
                t,
                icmp.code_u8(),
                icmp.payload(),
            )
        }
        TransportSlice::Icmpv6(icmp) => {
            stats.icmp += 1;
            let t = icmp.type_u8();
            // Destination unreachable, packet too big, time exceeded, parameter problem.
            if !matches!(t, 1..=4) {
                return None;
            }
            icmp_error(
                frame,
                ts_ns,
                ttl,
                src_ip,
                true,
                t,
                icmp.code_u8(),
                icmp.payload(),
            )
        }
        _ => None,
    }
}

/// Reads the IP header and first 8 transport bytes an ICMP error quotes (RFC 792, RFC 4443
/// §3): enough for the addresses and ports of the packet that failed.
#[allow(clippy::too_many_arguments)]
fn icmp_error(
    frame: u64,
    ts_ns: i64,
    ttl: u8,
    reporter: IpAddr,
    v6: bool,
    icmp_type: u8,
    code: u8,
    quoted: &[u8],
) -> Option<PacketFact> {
    let version = quoted.first()? >> 4;
    let (src, dst, proto, rest) = match version {
        4 => {
            let ihl = ((quoted[0] & 0x0f) as usize) * 4;
            if ihl < 20 {
                return None;
            }
            let s: [u8; 4] = quoted.get(12..16)?.try_into().ok()?;
            let d: [u8; 4] = quoted.get(16..20)?.try_into().ok()?;
            (
                IpAddr::V4(Ipv4Addr::from(s)),
                IpAddr::V4(Ipv4Addr::from(d)),
                *quoted.get(9)?,
                quoted.get(ihl..)?,
            )
        }
        6 => {
            let s: [u8; 16] = quoted.get(8..24)?.try_into().ok()?;
            let d: [u8; 16] = quoted.get(24..40)?.try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(s)),
                IpAddr::V6(Ipv6Addr::from(d)),
                *quoted.get(6)?,
                quoted.get(40..)?,
            )
        }
        _ => return None,
    };
    if proto != 6 && proto != 17 {
        return None;
    }
    let sport = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
    let dport = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
    Some(PacketFact {
        frame,
        ts_ns,
        src: Endpoint {
            ip: src,
            port: sport,
        },
        dst: Endpoint {
            ip: dst,
            port: dport,
        },
        ttl,
        ip_id: 0,
        kind: FactKind::IcmpError(IcmpFact {
            v6,
            icmp_type,
            code,
            reporter,
            quoted_protocol: proto,
        }),
        payload: PayloadRef::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureFormat, Framer};

    /// The fixed-offset path and etherparse agree on every frame the fast path takes, over
    /// the project's fixtures and, when present, the public corpus.
    #[test]
    fn fast_path_agrees_with_etherparse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for dir in [
            "fixtures/captures",
            "../shared/corpus/pcap/zeek",
            "../shared/corpus/pcap/wireshark-wiki",
            "../shared/corpus/pcap/nDPI",
        ] {
            if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
                files.extend(
                    entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng")),
                );
            }
        }
        let mut compared = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let Some(format) = CaptureFormat::sniff(&bytes) else {
                continue;
            };
            let mut framer = Framer::new(&bytes[..], format);
            while let Some(block) = framer.next_block() {
                for (i, f) in block.frames.iter().enumerate() {
                    let rec = block.frame(i).unwrap();
                    if rec.linktype != linktype::ETHERNET {
                        continue;
                    }
                    if let Some(fast) =
                        fast_ethernet_ipv4_tcp(rec.data, i as u64, rec.ts_ns, f.offset)
                    {
                        let mut stats = DecodeStats::default();
                        let general = decode_frame_general(
                            rec.data,
                            rec.linktype,
                            i as u64,
                            rec.ts_ns,
                            f.offset,
                            &mut stats,
                        );
                        assert_eq!(
                            Some(fast),
                            general,
                            "{} frame {}",
                            path.display(),
                            block.first_frame + i as u64
                        );
                        compared += 1;
                    }
                }
            }
        }
        // The fixtures alone have 588 such frames; with the corpus there are thousands.
        let corpus = root.join("../shared/corpus/pcap").is_dir();
        let least = if corpus { 1000 } else { 500 };
        assert!(compared > least, "only {compared} frames compared");
    }
}
