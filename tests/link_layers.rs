//! Link layers and IP: every framing the decoder knows carries the same TCP handshake, and
//! must give the same connection; IPv6, fragments, snap-length cuts and frames that are not
//! IP are counted as built.

mod support;

use rdptriage::model::{Stage, Status};
use rdptriage::report::Report;
use support::*;

const V4: (&str, &str) = ("10.0.0.5:50123", "10.0.0.9:3389");
const V6: (&str, &str) = ("[2001:db8::5]:50123", "[2001:db8::9]:3389");

/// Builds SYN, SYN-ACK, ACK and a 19-byte X.224 Connection Request from the client, framed
/// for `link`, and checks the facts every framing must give.
fn check_link(link: Link, (client, server): (&str, &str)) -> Report {
    let c = Conv::new(client, server);
    let mut segs = handshake(&c, T0);
    segs.push((T0 + 30 * MS, c.c(0, 0).data(&X224_CR)));
    let bytes = pcap_of(link, &segs);
    let name = format!("{link:?}.pcap").replace(['(', ')', ','], "_");
    let (r, _d, _p) = analyze_bytes(&name, &bytes);
    let i = only_input(&r);
    assert_eq!(i.packets, 4, "{link:?}");
    assert!(i.warnings.is_empty(), "{link:?}: {:?}", i.warnings);
    let s = i.stats.as_ref().expect("stats");
    let v6 = client.starts_with('[');
    assert_eq!(
        (s.ipv4, s.ipv6),
        if v6 { (0, 4) } else { (4, 0) },
        "{link:?}"
    );
    assert_eq!(s.tcp_packets, 4, "{link:?}");
    assert_eq!(
        (s.non_ip_frames, s.undecodable_frames, s.ip_fragments),
        (0, 0, 0),
        "{link:?}"
    );
    assert!(s.unsupported_link_types.is_empty(), "{link:?}");
    assert_eq!((s.tcp_connections, s.rdp_connections), (1, 1), "{link:?}");
    let conn = only_conn(&r);
    assert_eq!(conn.client, client, "{link:?}");
    assert_eq!(conn.server, server, "{link:?}");
    assert_eq!(
        stages(conn)[0],
        (Stage::Tcp, Status::Ok, vec![1, 2, 3]),
        "{link:?}"
    );
    assert_eq!(conn.detail().network.mss_client, Some(1460), "{link:?}");
    assert_eq!(conn.detail().network.mss_server, Some(1380), "{link:?}");
    assert_eq!(conn.detail().network.client.payload_bytes, 19, "{link:?}");
    assert_eq!(conn.detail().network.rtt_ms, Some(20.0), "{link:?}");
    r
}

#[test]
fn ethernet() {
    check_link(Link::Eth, V4);
}

#[test]
fn vlan_802_1q() {
    check_link(Link::Vlan(42), V4);
}

#[test]
fn qinq_802_1ad() {
    check_link(Link::QinQ(100, 42), V4);
}

#[test]
fn double_8100_tag() {
    check_link(Link::Vlan2x8100(100, 42), V4);
}

#[test]
fn linux_sll() {
    check_link(Link::Sll, V4);
}

#[test]
fn linux_sll2() {
    check_link(Link::Sll2, V4);
}

#[test]
fn raw_ip_101_and_228() {
    check_link(Link::Raw, V4);
    check_link(Link::RawV4, V4);
}

#[test]
fn bsd_null_both_byte_orders_and_loop() {
    check_link(Link::NullLe, V4);
    check_link(Link::NullBe, V4);
    check_link(Link::Loop, V4);
}

#[test]
fn ipv6_over_every_framing() {
    for link in [
        Link::Eth,
        Link::Vlan(7),
        Link::QinQ(8, 9),
        Link::Sll,
        Link::Sll2,
        Link::Raw,
        Link::RawV6,
        Link::NullLe,
        Link::NullBe,
        Link::Loop,
    ] {
        check_link(link, V6);
    }
}

/// The pcap link type field's upper bits can carry FCS flags (pcap-linktype §: "LINKTYPE
/// field"); the low 28 bits still name Ethernet.
#[test]
fn link_type_with_fcs_flag_bits() {
    let c = Conv::new(V4.0, V4.1);
    let mut w = Pcap::new(1 | 0x1000_0000);
    w.snaplen = 65535;
    let (r, _d, _p) = analyze_bytes(
        "fcsbits.pcap",
        &w.file(&frames(Link::Eth, &handshake(&c, T0))),
    );
    assert_eq!(
        stages(only_conn(&r))[0],
        (Stage::Tcp, Status::Ok, vec![1, 2, 3])
    );
}

/// IPv4 fragments (first with MF, last with an offset) and an IPv6 fragment (Fragment
/// extension header) are counted; their transport headers are not decoded, so they count
/// as neither UDP nor TCP. One whole UDP datagram to port 3389 is counted as such.
#[test]
fn ip_fragments_counted() {
    let c = Conv::new(V4.0, V4.1);
    let mut fr = frames(Link::Eth, &handshake(&c, T0));
    let src = [10, 0, 0, 5];
    let dst = [10, 0, 0, 9];
    // A 2000-byte UDP datagram (8-byte header + 1992 data) cut at 1480 bytes.
    let mut dgram = vec![0xc3, 0x50, 0x0d, 0x3d, 0x07, 0xd0, 0, 0];
    dgram.extend(std::iter::repeat_n(0x55u8, 1992));
    fr.push((
        T0 + 30 * MS,
        Link::Eth.wrap(&ipv4_fragment(src, dst, 77, 17, 0, true, &dgram[..1480])),
    ));
    fr.push((
        T0 + 31 * MS,
        Link::Eth.wrap(&ipv4_fragment(
            src,
            dst,
            77,
            17,
            1480,
            false,
            &dgram[1480..],
        )),
    ));
    // IPv6 header + Fragment header (next header UDP, offset 0, M=1) + 16 bytes.
    let mut v6 = vec![0x60, 0, 0, 0, 0, 24, 44, 64];
    v6.extend_from_slice(
        &"2001:db8::5"
            .parse::<std::net::Ipv6Addr>()
            .expect("ip")
            .octets(),
    );
    v6.extend_from_slice(
        &"2001:db8::9"
            .parse::<std::net::Ipv6Addr>()
            .expect("ip")
            .octets(),
    );
    v6.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0, 99]);
    v6.extend_from_slice(&[0x11; 16]);
    fr.push((T0 + 32 * MS, Link::Eth.wrap(&v6)));
    fr.push((
        T0 + 33 * MS,
        Link::Eth.wrap(&udp(ep("10.0.0.5:50000"), ep("10.0.0.9:3389"), b"rdp-udp")),
    ));
    let (r, _d, _p) = analyze_bytes("frag.pcap", &Pcap::new(1).file(&fr));
    let i = only_input(&r);
    assert_eq!(i.packets, 7);
    let s = i.stats.as_ref().expect("stats");
    assert_eq!(s.ip_fragments, 3);
    assert_eq!((s.ipv4, s.ipv6), (6, 1));
    assert_eq!((s.tcp_packets, s.udp_packets), (3, 1));
    assert_eq!(s.udp_packets_rdp_port, 1);
    assert_eq!((s.non_ip_frames, s.undecodable_frames), (0, 0));
}

/// A capture with a 128-byte snap length: the 1000-byte segment is stored cut, but its
/// length on the wire comes from the IP header, so no bytes are counted as missed.
#[test]
fn snap_length_cut_keeps_segment_lengths() {
    let c = Conv::new(V4.0, V4.1);
    let mut segs = handshake(&c, T0);
    segs.push((T0 + 30 * MS, c.c(0, 0).bytes(1000)));
    segs.push((T0 + 31 * MS, c.c(1000, 0).bytes(500)));
    let w = Pcap {
        snaplen: 128,
        ..Pcap::new(1)
    };
    let mut out = w.header();
    for (t, s) in &segs {
        let f = s.frame(Link::Eth);
        let cut = &f[..f.len().min(128)];
        out.extend_from_slice(&w.record_with_orig(*t, cut, f.len() as u32));
    }
    let (r, _d, _p) = analyze_bytes("snap.pcap", &out);
    let i = only_input(&r);
    assert_eq!(i.packets, 5);
    // Bytes on the wire: 3 × 58/54-byte handshake frames + 1054 + 554.
    let s = i.stats.as_ref().expect("stats");
    assert_eq!(s.bytes, 58 + 58 + 54 + 1054 + 554);
    let conn = only_conn(&r);
    assert_eq!(conn.detail().network.client.payload_bytes, 1500);
    assert_eq!(conn.detail().network.missed_bytes, 0);
    assert_eq!(conn.detail().network.gaps, 0);
}

/// Frames that are not IP (ARP, LLDP), are too short for their link header, have a cut VLAN
/// tag or a broken IP header, and link types the decoder does not know.
#[test]
fn non_ip_undecodable_and_unsupported() {
    // ARP request on Ethernet: not IP.
    let mut arp = Vec::new();
    etherparse::PacketBuilder::ethernet2(MAC_C, [0xff; 6])
        .arp(
            etherparse::ArpPacket::new(
                etherparse::ArpHardwareId::ETHERNET,
                etherparse::EtherType::IPV4,
                etherparse::ArpOperation::REQUEST,
                &MAC_C,
                &[10, 0, 0, 5],
                &[0; 6],
                &[10, 0, 0, 9],
            )
            .expect("arp"),
        )
        .write(&mut arp)
        .expect("arp frame");
    // An Ethernet frame cut inside its own header.
    let short = vec![0u8; 10];
    // An IPv4 ethertype whose "IP header" says version 4, header length 2 words.
    let mut broken_ip = Link::Eth.wrap(&[0x42; 20]);
    broken_ip[14] = 0x42;
    // LLDP (ethertype 88cc): not IP either.
    let mut lldp = [0x01, 0x80, 0xc2, 0, 0, 0x0e].to_vec();
    lldp.extend_from_slice(&MAC_C);
    lldp.extend_from_slice(&[0x88, 0xcc, 0x02, 0x07, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 802.1Q tag cut after two of its four bytes.
    let mut cut_vlan = Link::Vlan(5).wrap(&[0x45; 20]);
    cut_vlan.truncate(16);
    let fr = vec![
        (T0, arp),
        (T0 + MS, short),
        (T0 + 2 * MS, broken_ip),
        (T0 + 3 * MS, lldp),
        (T0 + 4 * MS, cut_vlan),
    ];
    let (r, _d, _p) = analyze_bytes("nonip.pcap", &Pcap::new(1).file(&fr));
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!(only_input(&r).packets, 5);
    assert_eq!(s.non_ip_frames, 2);
    assert_eq!(s.undecodable_frames, 3);
    assert_eq!((s.ipv4, s.tcp_packets), (0, 0));

    // Raw IP whose version nibble is 5.
    let fr = vec![(T0, vec![0x55; 40])];
    let (r, _d, _p) = analyze_bytes("badraw.pcap", &Pcap::new(101).file(&fr));
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!((s.undecodable_frames, s.non_ip_frames), (1, 0));

    // LINKTYPE_USER0 (147): counted by link type, nothing decoded.
    let c = Conv::new(V4.0, V4.1);
    let fr = frames(Link::Eth, &handshake(&c, T0));
    let (r, _d, _p) = analyze_bytes("user0.pcap", &Pcap::new(147).file(&fr));
    let i = only_input(&r);
    assert_eq!(i.packets, 3);
    let s = i.stats.as_ref().expect("stats");
    let unsupported: Vec<(u32, u64)> = s
        .unsupported_link_types
        .iter()
        .map(|l| (l.link_type, l.frames))
        .collect();
    assert_eq!(unsupported, vec![(147, 3)]);
    assert_eq!((s.ipv4, s.tcp_packets, s.undecodable_frames), (0, 0, 0));
    assert!(r.connections.is_empty());
}
