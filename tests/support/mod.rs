//! Test support: captures built packet by packet.
//!
//! * [`Seg`]: one TCP segment, built into an IP packet with `etherparse::PacketBuilder`;
//!   [`Conv`] hands out the segments of one client/server conversation with sequence numbers
//!   relative to each side's ISN, so tests say "client bytes 100..200" instead of raw numbers.
//! * [`Link`]: the link-layer framings the analyzer decodes. Ethernet, 802.1Q, QinQ (88a8)
//!   and Linux SLL headers come from etherparse's header types; SLL2, BSD null/loop and the
//!   old 8100/8100 double tag are written by hand (etherparse has no writer for them).
//! * [`Pcap`] (LE/BE, micro/nano) and [`Pcapng`] (SHB/IDB with `if_tsresol`/EPB/SPB/any
//!   block, LE and BE, several sections) writers that also report where each record starts,
//!   so warnings can be checked against exact offsets.
//! * Small runners over the library (`analyze_paths`) and helpers to write temp files.
//! * [`corpus_file`]: a file of `../shared/corpus`, or `None` (saying the test skips) where
//!   the corpus is absent.
#![allow(dead_code)]

use rdptriage::model::{Stage, Status};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use etherparse::{
    ArpHardwareId, EtherType, Ethernet2Header, Icmpv4Type, Icmpv6Type, IpNumber, Ipv4Header,
    LinuxSllHeader, LinuxSllPacketType, LinuxSllProtocolType, PacketBuilder, SingleVlanHeader,
    TcpOptionElement, VlanId, VlanPcp,
};
use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{InputReport, JudgedConnection, Report};
use rdptriage::tcp::TrackerConfig;

/// 2023-11-14T22:13:20Z, in nanoseconds since the epoch.
pub const T0: i64 = 1_700_000_000_000_000_000;
/// One millisecond in nanoseconds.
pub const MS: i64 = 1_000_000;
/// One second in nanoseconds.
pub const SEC: i64 = 1_000_000_000;

/// Parses `"10.0.0.5:50123"` or `"[2001:db8::5]:50123"`.
pub fn ep(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

// ---------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------

/// One TCP segment.
#[derive(Clone, Debug)]
pub struct Seg {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub window: u16,
    pub mss: Option<u16>,
    pub ttl: u8,
    pub payload: Vec<u8>,
}

impl Seg {
    pub fn new(src: SocketAddr, dst: SocketAddr, seq: u32) -> Seg {
        Seg {
            src,
            dst,
            seq,
            ack: None,
            syn: false,
            fin: false,
            rst: false,
            psh: false,
            window: 8192,
            mss: None,
            ttl: 64,
            payload: Vec::new(),
        }
    }
    pub fn syn(mut self) -> Seg {
        self.syn = true;
        self
    }
    pub fn fin(mut self) -> Seg {
        self.fin = true;
        self
    }
    pub fn rst(mut self) -> Seg {
        self.rst = true;
        self
    }
    pub fn ack(mut self, ack: u32) -> Seg {
        self.ack = Some(ack);
        self
    }
    pub fn no_ack(mut self) -> Seg {
        self.ack = None;
        self
    }
    pub fn win(mut self, w: u16) -> Seg {
        self.window = w;
        self
    }
    pub fn mss(mut self, m: u16) -> Seg {
        self.mss = Some(m);
        self
    }
    pub fn ttl(mut self, t: u8) -> Seg {
        self.ttl = t;
        self
    }
    pub fn data(mut self, p: &[u8]) -> Seg {
        self.payload = p.to_vec();
        self.psh = !p.is_empty();
        self
    }
    /// `n` payload bytes (a recognisable pattern, never a TPKT header).
    pub fn bytes(self, n: usize) -> Seg {
        let p: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
        self.data(&p)
    }

    /// The segment as an IPv4 or IPv6 packet (by its addresses).
    pub fn ip(&self) -> Vec<u8> {
        let step = ip_step(self.src.ip(), self.dst.ip(), self.ttl);
        let mut b = step.tcp(self.src.port(), self.dst.port(), self.seq, self.window);
        if self.syn {
            b = b.syn();
        }
        if self.fin {
            b = b.fin();
        }
        if self.rst {
            b = b.rst();
        }
        if self.psh {
            b = b.psh();
        }
        if let Some(a) = self.ack {
            b = b.ack(a);
        }
        if let Some(m) = self.mss {
            b = b
                .options(&[TcpOptionElement::MaximumSegmentSize(m)])
                .expect("mss option");
        }
        let mut out = Vec::with_capacity(b.size(self.payload.len()));
        b.write(&mut out, &self.payload).expect("write tcp");
        out
    }

    /// The segment framed for `link`.
    pub fn frame(&self, link: Link) -> Vec<u8> {
        link.wrap(&self.ip())
    }
}

fn ip_step(
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), ttl),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), ttl),
        _ => panic!("mixed address families"),
    }
}

/// An ICMPv4 destination unreachable (code `code`) from `reporter` quoting `quoted` (an IP
/// packet; RFC 792 asks for its header and first 8 data bytes, which is what is quoted).
pub fn icmp4_unreachable(reporter: IpAddr, to: IpAddr, code: u8, quoted: &[u8]) -> Vec<u8> {
    let (IpAddr::V4(r), IpAddr::V4(t)) = (reporter, to) else {
        panic!("v4 only")
    };
    let ihl = ((quoted[0] & 0x0f) as usize) * 4;
    let quote = &quoted[..(ihl + 8).min(quoted.len())];
    let header = etherparse::icmpv4::DestUnreachableHeader::from_values(code, 0).expect("code");
    let b = PacketBuilder::ipv4(r.octets(), t.octets(), 63)
        .icmpv4(Icmpv4Type::DestinationUnreachable(header));
    let mut out = Vec::new();
    b.write(&mut out, quote).expect("icmp");
    out
}

/// An ICMPv6 destination unreachable (code `code`) from `reporter` quoting `quoted` whole.
pub fn icmp6_unreachable(reporter: IpAddr, to: IpAddr, code: u8, quoted: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(r), IpAddr::V6(t)) = (reporter, to) else {
        panic!("v6 only")
    };
    let code = etherparse::icmpv6::DestUnreachableCode::from_u8(code).expect("code");
    let b = PacketBuilder::ipv6(r.octets(), t.octets(), 63)
        .icmpv6(Icmpv6Type::DestinationUnreachable(code));
    let mut out = Vec::new();
    b.write(&mut out, quoted).expect("icmpv6");
    out
}

/// A UDP datagram as an IPv4/IPv6 packet.
pub fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let b = ip_step(src.ip(), dst.ip(), 64).udp(src.port(), dst.port());
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("udp");
    out
}

/// An IPv4 fragment carrying `payload` (protocol `proto`) at byte offset `offset` (a
/// multiple of 8), with the More Fragments flag `more`.
pub fn ipv4_fragment(
    src: [u8; 4],
    dst: [u8; 4],
    id: u16,
    proto: u8,
    offset: u16,
    more: bool,
    payload: &[u8],
) -> Vec<u8> {
    let mut h =
        Ipv4Header::new(payload.len() as u16, 64, IpNumber(proto), src, dst).expect("ipv4 header");
    h.identification = id;
    h.more_fragments = more;
    h.fragment_offset = etherparse::IpFragOffset::try_new(offset / 8).expect("offset");
    h.header_checksum = h.calc_header_checksum();
    let mut out = h.to_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// A TPKT + X.224 Connection Request with an RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1), 19 bytes.
pub const X224_CR: [u8; 19] = [
    0x03, 0x00, 0x00, 0x13, // TPKT v3, length 19
    0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, // X.224 CR, LI 14
    0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, // RDP_NEG_REQ: SSL|HYBRID
];

/// The segments of one conversation, sequence numbers relative to the ISNs.
#[derive(Clone, Debug)]
pub struct Conv {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub cisn: u32,
    pub sisn: u32,
}

impl Conv {
    pub fn new(client: &str, server: &str) -> Conv {
        Conv {
            client: ep(client),
            server: ep(server),
            cisn: 1_000_000,
            sisn: 3_000_000_000,
        }
    }
    pub fn isn(mut self, cisn: u32, sisn: u32) -> Conv {
        self.cisn = cisn;
        self.sisn = sisn;
        self
    }
    /// Client SYN, MSS 1460, window 64240.
    pub fn syn(&self) -> Seg {
        Seg::new(self.client, self.server, self.cisn)
            .syn()
            .mss(1460)
            .win(64240)
    }
    /// Server SYN-ACK, MSS 1380, window 65535.
    pub fn synack(&self) -> Seg {
        Seg::new(self.server, self.client, self.sisn)
            .syn()
            .ack(self.cisn.wrapping_add(1))
            .mss(1380)
            .win(65535)
    }
    /// Client ACK completing the handshake.
    pub fn ack(&self) -> Seg {
        self.c(0, 0)
    }
    /// Server RST+ACK refusing the SYN.
    pub fn refuse(&self) -> Seg {
        Seg::new(self.server, self.client, 0)
            .rst()
            .ack(self.cisn.wrapping_add(1))
            .win(0)
    }
    /// A client segment at client stream offset `off`, acknowledging server offset `ack`.
    pub fn c(&self, off: u32, ack: u32) -> Seg {
        Seg::new(
            self.client,
            self.server,
            self.cisn.wrapping_add(1).wrapping_add(off),
        )
        .ack(self.sisn.wrapping_add(1).wrapping_add(ack))
    }
    /// A server segment at server stream offset `off`, acknowledging client offset `ack`.
    pub fn s(&self, off: u32, ack: u32) -> Seg {
        Seg::new(
            self.server,
            self.client,
            self.sisn.wrapping_add(1).wrapping_add(off),
        )
        .ack(self.cisn.wrapping_add(1).wrapping_add(ack))
    }
}

// ---------------------------------------------------------------------------------------
// Link layers
// ---------------------------------------------------------------------------------------

pub const MAC_C: [u8; 6] = [0x02, 0, 0, 0, 0, 0x05];
pub const MAC_S: [u8; 6] = [0x02, 0, 0, 0, 0, 0x09];

/// Link-layer framings, with their pcap link types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// LINKTYPE_ETHERNET (1).
    Eth,
    /// Ethernet with one 802.1Q tag.
    Vlan(u16),
    /// Ethernet with an 802.1ad outer tag (88a8) and an 802.1Q inner tag.
    QinQ(u16, u16),
    /// Ethernet with two 8100 tags (pre-802.1ad double tagging).
    Vlan2x8100(u16, u16),
    /// LINKTYPE_LINUX_SLL (113).
    Sll,
    /// LINKTYPE_LINUX_SLL2 (276).
    Sll2,
    /// LINKTYPE_RAW (101).
    Raw,
    /// LINKTYPE_IPV4 (228).
    RawV4,
    /// LINKTYPE_IPV6 (229).
    RawV6,
    /// LINKTYPE_NULL (0), family in little-endian (the capturing host's order).
    NullLe,
    /// LINKTYPE_NULL (0), family in big-endian.
    NullBe,
    /// LINKTYPE_LOOP (108), family in network order.
    Loop,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Link::Eth | Link::Vlan(_) | Link::QinQ(..) | Link::Vlan2x8100(..) => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Raw => 101,
            Link::RawV4 => 228,
            Link::RawV6 => 229,
            Link::NullLe | Link::NullBe => 0,
            Link::Loop => 108,
        }
    }

    /// Frames the IP packet `ip`.
    pub fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip[0] >> 4 == 6;
        let et = if v6 { EtherType::IPV6 } else { EtherType::IPV4 };
        let tag = |vid: u16, next: EtherType| {
            SingleVlanHeader {
                pcp: VlanPcp::ZERO,
                drop_eligible_indicator: false,
                vlan_id: VlanId::try_new(vid).expect("vlan id"),
                ether_type: next,
            }
            .to_bytes()
        };
        let eth = |next: EtherType| {
            Ethernet2Header {
                source: MAC_C,
                destination: MAC_S,
                ether_type: next,
            }
            .to_bytes()
        };
        let mut out = Vec::new();
        match self {
            Link::Eth => out.extend_from_slice(&eth(et)),
            Link::Vlan(v) => {
                out.extend_from_slice(&eth(EtherType::VLAN_TAGGED_FRAME));
                out.extend_from_slice(&tag(v, et));
            }
            Link::QinQ(outer, inner) => {
                out.extend_from_slice(&eth(EtherType::PROVIDER_BRIDGING));
                out.extend_from_slice(&tag(outer, EtherType::VLAN_TAGGED_FRAME));
                out.extend_from_slice(&tag(inner, et));
            }
            Link::Vlan2x8100(outer, inner) => {
                out.extend_from_slice(&eth(EtherType::VLAN_TAGGED_FRAME));
                out.extend_from_slice(&tag(outer, EtherType::VLAN_TAGGED_FRAME));
                out.extend_from_slice(&tag(inner, et));
            }
            Link::Sll => {
                let mut addr = [0u8; 8];
                addr[..6].copy_from_slice(&MAC_C);
                out.extend_from_slice(
                    &LinuxSllHeader {
                        packet_type: LinuxSllPacketType::OUTGOING,
                        arp_hrd_type: ArpHardwareId::ETHERNET,
                        sender_address_valid_length: 6,
                        sender_address: addr,
                        protocol_type: LinuxSllProtocolType::EtherType(et),
                    }
                    .to_bytes(),
                );
            }
            Link::Sll2 => {
                // protocol (2), reserved (2), interface index (4), ARPHRD (2), packet type (1),
                // address length (1), address (8).
                out.extend_from_slice(&et.0.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&3u32.to_be_bytes());
                out.extend_from_slice(&1u16.to_be_bytes());
                out.push(4);
                out.push(6);
                out.extend_from_slice(&MAC_C);
                out.extend_from_slice(&[0, 0]);
            }
            Link::Raw | Link::RawV4 | Link::RawV6 => {}
            // AF_INET is 2 everywhere; AF_INET6 is 30 on macOS/FreeBSD (24 on OpenBSD).
            Link::NullLe => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
            Link::NullBe => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_be_bytes()),
            Link::Loop => out.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        }
        out.extend_from_slice(ip);
        out
    }
}

/// Frames each `(time, segment)` for `link`.
pub fn frames(link: Link, segs: &[(i64, Seg)]) -> Vec<(i64, Vec<u8>)> {
    segs.iter().map(|(t, s)| (*t, s.frame(link))).collect()
}

// ---------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------

/// A classic pcap file writer.
#[derive(Clone, Copy, Debug)]
pub struct Pcap {
    pub big_endian: bool,
    pub nanos: bool,
    pub linktype: u32,
    pub snaplen: u32,
}

impl Pcap {
    pub fn new(linktype: u32) -> Pcap {
        Pcap {
            big_endian: false,
            nanos: false,
            linktype,
            snaplen: 65535,
        }
    }
    pub fn be(mut self) -> Pcap {
        self.big_endian = true;
        self
    }
    pub fn nanos(mut self) -> Pcap {
        self.nanos = true;
        self
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// The 24-byte global header.
    pub fn header(&self) -> Vec<u8> {
        let magic: u32 = if self.nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&self.u32(magic));
        h.extend_from_slice(&self.u16(2));
        h.extend_from_slice(&self.u16(4));
        h.extend_from_slice(&self.u32(0));
        h.extend_from_slice(&self.u32(0));
        h.extend_from_slice(&self.u32(self.snaplen));
        h.extend_from_slice(&self.u32(self.linktype));
        h
    }

    /// One record: 16-byte header then `data`; `orig_len` as on the wire.
    pub fn record_with_orig(&self, ts_ns: i64, data: &[u8], orig_len: u32) -> Vec<u8> {
        let sec = ts_ns.div_euclid(SEC) as u32;
        let frac_ns = ts_ns.rem_euclid(SEC) as u32;
        let frac = if self.nanos { frac_ns } else { frac_ns / 1000 };
        let mut r = Vec::with_capacity(16 + data.len());
        r.extend_from_slice(&self.u32(sec));
        r.extend_from_slice(&self.u32(frac));
        r.extend_from_slice(&self.u32(data.len() as u32));
        r.extend_from_slice(&self.u32(orig_len));
        r.extend_from_slice(data);
        r
    }

    pub fn record(&self, ts_ns: i64, data: &[u8]) -> Vec<u8> {
        self.record_with_orig(ts_ns, data, data.len() as u32)
    }

    /// The whole file.
    pub fn file(&self, frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
        self.file_with_offsets(frames).0
    }

    /// The whole file and the offset where each record starts.
    pub fn file_with_offsets(&self, frames: &[(i64, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
        let mut out = self.header();
        let mut offsets = Vec::new();
        for (t, d) in frames {
            offsets.push(out.len());
            out.extend_from_slice(&self.record(*t, d));
        }
        (out, offsets)
    }
}

/// A little-endian microsecond pcap of `link` frames.
pub fn pcap_of(link: Link, segs: &[(i64, Seg)]) -> Vec<u8> {
    Pcap::new(link.linktype()).file(&frames(link, segs))
}

// ---------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------

/// A pcapng writer: blocks are appended in order; each section has its own byte order.
#[derive(Clone, Debug)]
pub struct Pcapng {
    big_endian: bool,
    pub buf: Vec<u8>,
}

impl Pcapng {
    /// Starts a file with a Section Header Block in the given byte order.
    pub fn new(big_endian: bool) -> Pcapng {
        let mut p = Pcapng {
            big_endian,
            buf: Vec::new(),
        };
        p.section(big_endian);
        p
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Where the next block will start.
    pub fn offset(&self) -> usize {
        self.buf.len()
    }

    /// Appends a block of type `btype` around `body` (padded to 4 bytes). Returns its offset.
    pub fn block(&mut self, btype: u32, body: &[u8]) -> usize {
        let at = self.buf.len();
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        let t = self.u32(btype);
        let l = self.u32(len);
        self.buf.extend_from_slice(&t);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(body);
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self.buf.extend_from_slice(&l);
        at
    }

    /// A new section (SHB, version 1.0, unknown section length); interfaces start again at 0.
    pub fn section(&mut self, big_endian: bool) -> usize {
        self.big_endian = big_endian;
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(0x1a2b_3c4d));
        body.extend_from_slice(&self.u16(1));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &body)
    }

    /// An Interface Description Block, with an `if_tsresol` option when given.
    pub fn idb(&mut self, linktype: u16, snaplen: u32, tsresol: Option<u8>) -> usize {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16(linktype));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u32(snaplen));
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.u16(9)); // if_tsresol
            body.extend_from_slice(&self.u16(1));
            body.extend_from_slice(&[r, 0, 0, 0]);
            body.extend_from_slice(&self.u16(0)); // opt_endofopt
            body.extend_from_slice(&self.u16(0));
        }
        self.block(1, &body)
    }

    /// An Interface Description Block with the given `(code, value)` options (each padded
    /// to 4 bytes), then opt_endofopt.
    pub fn idb_with_options(
        &mut self,
        linktype: u16,
        snaplen: u32,
        opts: &[(u16, Vec<u8>)],
    ) -> usize {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16(linktype));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u32(snaplen));
        for (code, value) in opts {
            body.extend_from_slice(&self.u16(*code));
            body.extend_from_slice(&self.u16(value.len() as u16));
            body.extend_from_slice(value);
            body.extend(std::iter::repeat_n(0u8, (4 - value.len() % 4) % 4));
        }
        body.extend_from_slice(&[0; 4]);
        self.block(1, &body)
    }

    /// An Enhanced Packet Block; `ts` is in the interface's units.
    pub fn epb(&mut self, iface: u32, ts: u64, data: &[u8]) -> usize {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(iface));
        body.extend_from_slice(&self.u32((ts >> 32) as u32));
        body.extend_from_slice(&self.u32(ts as u32));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(data);
        self.block(6, &body)
    }

    /// A Simple Packet Block (interface 0, no timestamp).
    pub fn spb(&mut self, data: &[u8]) -> usize {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.buf.clone()
    }
}

/// Microseconds since the epoch of `ts_ns` (for µs interfaces).
pub fn us(ts_ns: i64) -> u64 {
    (ts_ns / 1000) as u64
}

// ---------------------------------------------------------------------------------------
// Running the analyzer
// ---------------------------------------------------------------------------------------

/// Writes `bytes` to `dir/name` (creating folders) and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, bytes).expect("write file");
    p
}

/// gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// Analyses the given paths with default options.
pub fn analyze(paths: &[PathBuf]) -> Report {
    analyze_paths(paths, &Options::default())
}

/// Analyses the given paths with extra RDP ports.
pub fn analyze_ports(paths: &[PathBuf], extra: &[u16]) -> Report {
    let mut tracker = TrackerConfig::default();
    tracker.rdp_ports.extend_from_slice(extra);
    analyze_paths(
        paths,
        &Options {
            tracker,
            ..Default::default()
        },
    )
}

/// Writes `bytes` as `name` in a fresh temp dir and analyses it. The dir lives as long as
/// the returned guard.
pub fn analyze_bytes(name: &str, bytes: &[u8]) -> (Report, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), name, bytes);
    dump(name, bytes);
    let r = analyze(std::slice::from_ref(&p));
    (r, dir, p)
}

/// When `RDPTRIAGE_TEST_DUMP` names a folder, test inputs are also written there, to open
/// them in Wireshark or tshark when checking an expectation by hand.
pub fn dump(name: &str, bytes: &[u8]) {
    if let Some(d) = std::env::var_os("RDPTRIAGE_TEST_DUMP") {
        let _ = std::fs::create_dir_all(&d);
        let _ = std::fs::write(Path::new(&d).join(name), bytes);
    }
}

/// Like [`analyze_bytes`], with extra RDP ports.
pub fn analyze_bytes_ports(name: &str, bytes: &[u8], extra: &[u16]) -> Report {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), name, bytes);
    dump(name, bytes);
    analyze_ports(std::slice::from_ref(&p), extra)
}

/// The only input of a report.
pub fn only_input(r: &Report) -> &InputReport {
    assert_eq!(r.inputs.len(), 1, "inputs: {:#?}", r.inputs);
    &r.inputs[0]
}

/// The only connection of a report.
pub fn only_conn(r: &Report) -> &JudgedConnection {
    assert_eq!(
        r.connections.len(),
        1,
        "connections: {}",
        serde_json::to_string_pretty(&r.connections).unwrap_or_default()
    );
    &r.connections[0]
}

/// The report as a JSON value (through its own serialisation).
pub fn json(r: &Report) -> serde_json::Value {
    serde_json::from_str(&r.to_json()).expect("report JSON parses")
}

/// `(stage, status, frames)` of every stage.
pub fn stages(c: &JudgedConnection) -> Vec<(Stage, Status, Vec<u64>)> {
    c.detail()
        .stages
        .iter()
        .map(|s| (s.stage, s.status, s.frames.clone()))
        .collect()
}

/// `(status, frames)` of one stage.
pub fn stage(c: &JudgedConnection, stage: Stage) -> (Status, Vec<u64>) {
    stages(c)
        .into_iter()
        .find(|s| s.0 == stage)
        .map(|(_, status, frames)| (status, frames))
        .unwrap_or_else(|| panic!("{} has no {stage} stage", c.id))
}

/// `fixtures/captures/NAME`.
pub fn capture_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/captures")
        .join(name)
}

/// The statuses of the five stages after `tcp`.
pub fn later_statuses(c: &JudgedConnection) -> Vec<Status> {
    c.detail().stages.iter().skip(1).map(|s| s.status).collect()
}

/// SYN at `t`, SYN-ACK at `t` + 10 ms, ACK at `t` + 20 ms (handshake RTT 20 ms).
pub fn handshake(c: &Conv, t: i64) -> Vec<(i64, Seg)> {
    vec![
        (t, c.syn()),
        (t + 10 * MS, c.synack()),
        (t + 20 * MS, c.ack()),
    ]
}

/// A zip archive of `(name, deflate, bytes)` members; names ending in `/` are folders.
pub fn zip_of(members: &[(&str, bool, &[u8])]) -> Vec<u8> {
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, deflate, bytes) in members {
        let method = if *deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let opts = SimpleFileOptions::default().compression_method(method);
        if name.ends_with('/') {
            w.add_directory(*name, opts).expect("zip dir");
        } else {
            w.start_file(*name, opts).expect("zip member");
            w.write_all(bytes).expect("zip write");
        }
    }
    w.finish().expect("zip finish").into_inner()
}

/// `rel` under `../shared/corpus`, or `None` after saying on stderr that the test skips:
/// the corpus is not part of this repository (its licences differ) and may be absent.
pub fn corpus_file(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} not found (../shared/corpus absent)",
            p.display()
        );
        None
    }
}

/// A DER tag-length-value.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER, minimal length.
pub fn int(v: u32) -> Vec<u8> {
    let mut b: Vec<u8> = v.to_be_bytes().to_vec();
    while b.len() > 1 && b[0] == 0 && b[1] & 0x80 == 0 {
        b.remove(0);
    }
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

/// KRB-ERROR (RFC 4120 §5.9.1): pvno 5, msg-type 30, [ctime, cusec], stime, susec,
/// error-code, realm, sname. Times as GeneralizedTime `YYYYMMDDHHMMSSZ`.
pub fn krb_error(
    code: u32,
    ctime: Option<(&str, u32)>,
    stime: (&str, u32),
    realm: &str,
    sname: &[&str],
) -> Vec<u8> {
    let names: Vec<u8> = sname.iter().flat_map(|n| tlv(0x1b, n.as_bytes())).collect();
    let principal = tlv(
        0x30,
        &[tlv(0xa0, &int(2)), tlv(0xa1, &tlv(0x30, &names))].concat(),
    );
    let mut body = vec![tlv(0xa0, &int(5)), tlv(0xa1, &int(30))];
    if let Some((t, us)) = ctime {
        body.push(tlv(0xa2, &tlv(0x18, t.as_bytes())));
        body.push(tlv(0xa3, &int(us)));
    }
    body.extend([
        tlv(0xa4, &tlv(0x18, stime.0.as_bytes())),
        tlv(0xa5, &int(stime.1)),
        tlv(0xa6, &int(code)),
        tlv(0xa9, &tlv(0x1b, realm.as_bytes())),
        tlv(0xaa, &principal),
    ]);
    tlv(0x7e, &tlv(0x30, &body.concat()))
}
