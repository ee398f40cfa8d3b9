//! Capture formats and containers: pcap (LE/BE, µs/ns), pcapng (interfaces with their own
//! link types and clocks, byte orders, sections, unknown blocks, simple packets), NetMon,
//! gzip, zip, folders. Every capture is built here byte by byte, and every expected value
//! follows from how it was built.

mod support;

use rdptriage::model::{Cause, Party, Stage, Status, Verdict};
use std::path::PathBuf;

use support::*;

/// Client 10.0.0.5:50123 → server 10.0.0.9:3389.
fn conv() -> Conv {
    Conv::new("10.0.0.5:50123", "10.0.0.9:3389")
}

/// Checks the facts of the three-frame handshake built by the format tests.
fn assert_handshake(r: &rdptriage::report::Report, start: &str, end: &str, rtt_ms: f64) {
    let c = only_conn(r);
    assert_eq!(c.client, "10.0.0.5:50123");
    assert_eq!(c.server, "10.0.0.9:3389");
    assert_eq!(c.first_frame, 1);
    assert_eq!(c.last_frame, 3);
    assert_eq!(c.reached, Some(Stage::Tcp));
    assert_eq!(stages(c)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
    assert_eq!(c.detail().network.mss_client, Some(1460));
    assert_eq!(c.detail().network.mss_server, Some(1380));
    assert_eq!(c.detail().network.rtt_ms, Some(rtt_ms));
    let v = json(r);
    assert_eq!(v["connections"][0]["start"], start);
    assert_eq!(v["connections"][0]["end"], end);
}

/// SYN at T0+0.123456789, SYN-ACK at +0.133, ACK at +0.143456000. In a nanosecond file the
/// handshake RTT is 19.999211 ms (reported rounded to the µs: 19.999); in a microsecond file
/// the SYN is stored as .123456, so the RTT is exactly 20 ms. Times are printed to the µs.
#[test]
fn pcap_both_byte_orders_and_resolutions() {
    let c = conv();
    let segs = vec![
        (T0 + 123_456_789, c.syn()),
        (T0 + 133_000_000, c.synack()),
        (T0 + 143_456_000, c.ack()),
    ];
    let fr = frames(Link::Eth, &segs);
    for (be, nanos) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut w = Pcap::new(1);
        if be {
            w = w.be();
        }
        if nanos {
            w = w.nanos();
        }
        let bytes = w.file(&fr);
        // The magic as written on disk.
        let magic: [u8; 4] = match (be, nanos) {
            (false, false) => [0xd4, 0xc3, 0xb2, 0xa1],
            (false, true) => [0x4d, 0x3c, 0xb2, 0xa1],
            (true, false) => [0xa1, 0xb2, 0xc3, 0xd4],
            (true, true) => [0xa1, 0xb2, 0x3c, 0x4d],
        };
        assert_eq!(bytes[..4], magic);
        let (r, _d, _p) = analyze_bytes("x.pcap", &bytes);
        let i = only_input(&r);
        assert_eq!((i.kind.as_str(), i.container.as_str()), ("pcap", "file"));
        assert_eq!(i.packets, 3, "be={be} nanos={nanos}");
        assert!(i.warnings.is_empty(), "{:?}", i.warnings);
        assert_eq!(
            i.first_packet.as_deref(),
            Some("2023-11-14T22:13:20.123456Z")
        );
        assert_eq!(
            i.last_packet.as_deref(),
            Some("2023-11-14T22:13:20.143456Z")
        );
        let rtt = if nanos { 19.999 } else { 20.0 };
        assert_handshake(
            &r,
            "2023-11-14T22:13:20.123456Z",
            "2023-11-14T22:13:20.143456Z",
            rtt,
        );
    }
}

/// A capture left running for days (`tcpdump port 3389` over a weekend): records three days
/// apart are records, not corruption; also when the jump is at the very last record.
#[test]
fn pcap_records_days_apart() {
    let a = Conv::new("10.1.0.5:50001", "10.2.0.9:3389");
    let b = Conv::new("10.1.0.5:50002", "10.2.0.9:3389");
    let c = Conv::new("10.1.0.5:50003", "10.2.0.9:3389");
    let days = 3 * 86_400 * SEC;
    let segs = vec![
        (T0, a.syn()),
        (T0 + MS, a.refuse()),
        (T0 + days, b.syn()),
        (T0 + days + MS, b.refuse()),
        (T0 + 2 * days, c.syn()),
    ];
    let (r, _d, _p) = analyze_bytes("days.pcap", &pcap_of(Link::Eth, &segs));
    let i = only_input(&r);
    assert_eq!(i.packets, 5);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    assert_eq!(
        i.last_packet.as_deref(),
        Some("2023-11-20T22:13:20.000000Z")
    );
    let got: Vec<(String, u64, Option<Cause>)> = r
        .connections
        .iter()
        .map(|c| (c.client.to_string(), c.first_frame, c.cause))
        .collect();
    assert_eq!(
        got,
        [
            ("10.1.0.5:50001".to_string(), 1, Some(Cause::TcpRefused)),
            ("10.1.0.5:50002".to_string(), 3, Some(Cause::TcpRefused)),
            ("10.1.0.5:50003".to_string(), 5, Some(Cause::CaptureEnded)),
        ]
    );
}

/// Two interfaces: 0 is Ethernet with `if_tsresol` 6 (µs), 1 is raw IP (101) with 9 (ns).
/// SYN on 0 at T0+0.25 s; SYN-ACK and ACK on 1 at +0.26 s and +0.2701234 s. The RTT
/// (SYN → ACK = 20.1234 ms → 20.123) is only right if both clocks are read right.
fn two_interface_pcapng(be: bool) -> Vec<u8> {
    let c = conv();
    let mut w = Pcapng::new(be);
    w.idb(1, 0, Some(6));
    w.idb(101, 0, Some(9));
    w.epb(0, us(T0 + 250 * MS), &c.syn().frame(Link::Eth));
    w.epb(1, (T0 + 260 * MS) as u64, &c.synack().frame(Link::Raw));
    w.epb(1, (T0 + 270_123_400) as u64, &c.ack().frame(Link::Raw));
    w.bytes()
}

#[test]
fn pcapng_two_interfaces_link_types_and_clocks() {
    let (r, _d, _p) = analyze_bytes("two.pcapng", &two_interface_pcapng(false));
    let i = only_input(&r);
    assert_eq!(i.kind, "pcapng");
    assert_eq!(i.packets, 3);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let s = i.stats.as_ref().expect("stats");
    assert_eq!((s.ipv4, s.tcp_packets, s.undecodable_frames), (3, 3, 0));
    assert_handshake(
        &r,
        "2023-11-14T22:13:20.250000Z",
        "2023-11-14T22:13:20.270123Z",
        20.123,
    );
}

#[test]
fn pcapng_big_endian_section() {
    let bytes = two_interface_pcapng(true);
    // SHB block type is palindromic; the byte-order magic is written big-endian.
    assert_eq!(bytes[8..12], [0x1a, 0x2b, 0x3c, 0x4d]);
    let (r, _d, _p) = analyze_bytes("be.pcapng", &bytes);
    let i = only_input(&r);
    assert_eq!(i.packets, 3);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    assert_handshake(
        &r,
        "2023-11-14T22:13:20.250000Z",
        "2023-11-14T22:13:20.270123Z",
        20.123,
    );
}

/// Section 1 (LE) has interface 0 = Ethernet µs and the SYN; section 2 (BE) redefines
/// interface 0 as raw IPv4 (228) in ns and carries the SYN-ACK and the ACK. Reading section 2's
/// frames with section 1's interface would make them undecodable.
#[test]
fn pcapng_second_section_resets_interfaces_and_byte_order() {
    let c = conv();
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    w.epb(0, us(T0), &c.syn().frame(Link::Eth));
    w.section(true);
    w.idb(228, 0, Some(9));
    w.epb(0, (T0 + 10 * MS) as u64, &c.synack().frame(Link::RawV4));
    w.epb(
        0,
        (T0 + 20 * MS + 7_000) as u64,
        &c.ack().frame(Link::RawV4),
    );
    let (r, _d, _p) = analyze_bytes("sections.pcapng", &w.bytes());
    let i = only_input(&r);
    assert_eq!(i.packets, 3);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let s = i.stats.as_ref().expect("stats");
    assert_eq!((s.ipv4, s.undecodable_frames), (3, 0));
    assert_handshake(
        &r,
        "2023-11-14T22:13:20.000000Z",
        "2023-11-14T22:13:20.020007Z",
        20.007,
    );
}

/// An unknown block type between packets is skipped with a warning naming its offset; known
/// blocks without packets (Interface Statistics, Name Resolution) are skipped silently.
#[test]
fn pcapng_unknown_block_skipped_with_offset() {
    let c = conv();
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    w.epb(0, us(T0), &c.syn().frame(Link::Eth));
    let unknown_at = w.block(0x99, &[1, 2, 3, 4, 5, 6, 7, 8]);
    w.epb(0, us(T0 + 10 * MS), &c.synack().frame(Link::Eth));
    w.block(5, &[0; 12]); // Interface Statistics Block
    w.block(4, &[0, 0, 0, 0]); // Name Resolution Block with only opt_endofrecord
    w.epb(0, us(T0 + 20 * MS), &c.ack().frame(Link::Eth));
    let (r, _d, p) = analyze_bytes("unknown.pcapng", &w.bytes());
    let i = only_input(&r);
    assert_eq!(i.packets, 3);
    let expected =
        format!("skipped unknown pcapng block type 0x00000099 (20 bytes) at offset {unknown_at}");
    assert_eq!(i.warnings, vec![expected.clone()]);
    assert_eq!(r.warnings, vec![format!("{}: {expected}", p.display())]);
    // Frame numbers count packets only.
    assert_handshake(
        &r,
        "2023-11-14T22:13:20.000000Z",
        "2023-11-14T22:13:20.020000Z",
        20.0,
    );
}

/// A Simple Packet Block carries the SYN-ACK (interface 0, no timestamp of its own).
#[test]
fn pcapng_simple_packet_block() {
    let c = conv();
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    w.epb(0, us(T0), &c.syn().frame(Link::Eth));
    w.spb(&c.synack().frame(Link::Eth));
    w.epb(0, us(T0 + 20 * MS), &c.ack().frame(Link::Eth));
    let (r, _d, _p) = analyze_bytes("spb.pcapng", &w.bytes());
    let i = only_input(&r);
    assert_eq!(i.packets, 3);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    // The SPB frame has no time: first/last packet come from the EPBs.
    assert_eq!(
        i.first_packet.as_deref(),
        Some("2023-11-14T22:13:20.000000Z")
    );
    assert_eq!(
        i.last_packet.as_deref(),
        Some("2023-11-14T22:13:20.020000Z")
    );
    let c = only_conn(&r);
    assert_eq!(stages(c)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
    // The server's MSS is only in the SPB.
    assert_eq!(c.detail().network.mss_server, Some(1380));
    assert_eq!(c.detail().network.rtt_ms, Some(20.0));
}

/// `if_tsresol` with the high bit set is a negative power of two: 0x94 = 2^-20 s.
#[test]
fn pcapng_power_of_two_resolution() {
    let c = conv();
    let mut w = Pcapng::new(false);
    w.idb(1, 0, Some(0x80 | 20));
    let unit = 1u64 << 20;
    let secs = (T0 / SEC) as u64;
    w.epb(0, secs * unit + unit / 2, &c.syn().frame(Link::Eth)); // +0.5 s
    w.epb(
        0,
        secs * unit + unit / 2 + unit / 64,
        &c.synack().frame(Link::Eth),
    ); // +15.625 ms
    w.epb(
        0,
        secs * unit + unit / 2 + unit / 32,
        &c.ack().frame(Link::Eth),
    ); // +31.25 ms
    let (r, _d, _p) = analyze_bytes("pow2.pcapng", &w.bytes());
    assert_eq!(only_input(&r).packets, 3);
    assert_handshake(
        &r,
        "2023-11-14T22:13:20.500000Z",
        "2023-11-14T22:13:20.531250Z",
        31.25,
    );
}

fn netmon_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/netmon")
        .join(name)
}

/// The NetMon fixtures (fixtures/netmon/README.md): two curl → python http.server
/// connections on 127.0.0.1:18080. Frame lengths from the README (and tshark) give the
/// payload bytes: GET 155-66 = 89, response 251-66 = 185 and 102-66 = 36 (first
/// connection); GET 152-66 = 86, response 185 + 401-66 = 335 (second).
#[test]
fn netmon_fixtures_match_the_pcap() {
    let cap = netmon_fixture("http-lo.cap");
    let pcap = netmon_fixture("http-lo.pcap");

    // Port 18080 is not RDP and the payload is HTTP: nothing reported by default.
    let r = analyze(std::slice::from_ref(&cap));
    let i = only_input(&r);
    assert_eq!((i.kind.as_str(), i.packets), ("netmon", 24));
    assert!(r.connections.is_empty());
    let s = i.stats.as_ref().expect("stats");
    assert_eq!(
        (s.tcp_connections, s.rdp_connections, s.tcp_packets),
        (2, 0, 24)
    );

    let r_cap = analyze_ports(std::slice::from_ref(&cap), &[18080]);
    let r_pcap = analyze_ports(std::slice::from_ref(&pcap), &[18080]);
    let i = only_input(&r_cap);
    assert_eq!(i.packets, 24);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    assert_eq!(
        i.first_packet.as_deref(),
        Some("2026-11-22T03:12:39.298460Z")
    );
    assert_eq!(
        i.last_packet.as_deref(),
        Some("2026-11-22T03:12:39.310204Z")
    );
    assert_eq!(r_cap.connections.len(), 2);
    let expect = [
        // first, last, tcp frames, start, end, rtt, close frame, client bytes, server bytes
        (
            1,
            12,
            vec![1, 2, 3],
            ".298460Z",
            ".302659Z",
            0.03,
            10,
            89,
            221,
            37138,
        ),
        (
            13,
            24,
            vec![13, 14, 15],
            ".309189Z",
            ".310204Z",
            0.029,
            22,
            86,
            520,
            37146,
        ),
    ];
    for (c, e) in r_cap.connections.iter().zip(&expect) {
        assert_eq!(c.client, format!("127.0.0.1:{}", e.9));
        assert_eq!(c.server, "127.0.0.1:18080");
        assert_eq!((c.first_frame, c.last_frame), (e.0, e.1));
        assert_eq!(stages(c)[0], (Stage::Tcp, Status::Ok, e.2.clone()));
        assert_eq!(
            c.start().as_deref(),
            Some(&*format!("2026-11-22T03:12:39{}", e.3))
        );
        assert_eq!(
            c.end().as_deref(),
            Some(&*format!("2026-11-22T03:12:39{}", e.4))
        );
        assert_eq!(c.detail().network.rtt_ms, Some(e.5));
        assert_eq!(c.detail().network.closed_by, Some(Party::Server));
        assert_eq!(c.detail().network.close_frame, Some(e.6));
        assert_eq!(c.detail().network.client.payload_bytes, e.7);
        assert_eq!(c.detail().network.server.payload_bytes, e.8);
        assert_eq!(
            (
                c.detail().network.client.packets,
                c.detail().network.server.packets
            ),
            (6, 6)
        );
    }
    // The NetMon file and the pcap it was converted from say the same thing.
    let strip = |r: &rdptriage::report::Report| {
        let mut v = json(r);
        for c in v["connections"].as_array_mut().expect("array") {
            c["input"] = serde_json::Value::Null;
        }
        v["connections"].clone()
    };
    assert_eq!(strip(&r_cap), strip(&r_pcap));
}

/// NetMon 2.1 with three frames relabelled Token Ring and a 96-byte snap length.
#[test]
fn netmon_mixed_media_and_snap_length() {
    let cap = netmon_fixture("http-lo-mixed-s96.cap");
    let r = analyze_ports(&[cap], &[18080]);
    let i = only_input(&r);
    assert_eq!(i.packets, 27);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    let s = i.stats.as_ref().expect("stats");
    let unsupported: Vec<(u32, u64)> = s
        .unsupported_link_types
        .iter()
        .map(|l| (l.link_type, l.frames))
        .collect();
    assert_eq!(unsupported, vec![(6, 3)]);
    assert_eq!(s.tcp_packets, 24);
    assert_eq!(r.connections.len(), 2);
    let (a, b) = (&r.connections[0], &r.connections[1]);
    // Frames 1, 3, 5 are the Token Ring copies; the Ethernet ones are 2, 4, 6.
    assert_eq!(stages(a)[0], (Stage::Tcp, Status::Ok, vec![2, 4, 6]));
    assert_eq!((a.first_frame, a.last_frame), (2, 15));
    assert_eq!(a.detail().network.close_frame, Some(13));
    assert_eq!(stages(b)[0], (Stage::Tcp, Status::Ok, vec![16, 17, 18]));
    assert_eq!((b.first_frame, b.last_frame), (16, 27));
    // Frames cut at 96 bytes still count their bytes on the wire (from the IP length).
    assert_eq!(a.detail().network.client.payload_bytes, 89);
    assert_eq!(a.detail().network.server.payload_bytes, 221);
    assert_eq!(b.detail().network.server.payload_bytes, 520);
    assert_eq!(
        a.detail().network.missed_bytes + b.detail().network.missed_bytes,
        0
    );
}

#[test]
fn gzip_compressed_pcap() {
    let c = conv();
    let plain = pcap_of(Link::Eth, &handshake(&c, T0));
    let (r, _d, p) = analyze_bytes("cap.pcap.gz", &gzip(&plain));
    let i = only_input(&r);
    assert_eq!(i.path, p.display().to_string());
    assert_eq!((i.kind.as_str(), i.container.as_str()), ("pcap", "gzip"));
    assert_eq!(i.packets, 3);
    assert!(!i.skipped);
    let conn = only_conn(&r);
    assert_eq!(conn.input(), i.path);
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
}

/// A zip with a stored pcap, a deflated pcapng, a gzip'd pcap, a folder entry and a text
/// file: every member is listed as `archive.zip!member`, in archive order.
#[test]
fn zip_members_each_listed() {
    let refused = Conv::new("10.0.0.5:50001", "10.0.0.9:3389");
    let ok_ng = Conv::new("10.0.0.5:50002", "10.0.0.9:3389");
    let ok_gz = Conv::new("10.0.0.5:50003", "10.0.0.9:3389");
    let a = pcap_of(
        Link::Eth,
        &[(T0, refused.syn()), (T0 + MS, refused.refuse())],
    );
    let mut ng = Pcapng::new(false);
    ng.idb(1, 0, None);
    for (t, s) in handshake(&ok_ng, T0) {
        ng.epb(0, us(t), &s.frame(Link::Eth));
    }
    let c = gzip(&pcap_of(Link::Eth, &handshake(&ok_gz, T0)));
    let z = zip_of(&[
        ("a/refused.pcap", false, &a),
        ("b.pcapng", true, &ng.bytes()),
        ("dir/", false, b""),
        ("c.pcap.gz", true, &c),
        ("notes.txt", false, b"just some notes, not a capture\n"),
    ]);
    let (r, _d, p) = analyze_bytes("archive.zip", &z);
    let base = p.display().to_string();
    let got: Vec<(String, &str, &str, u64, bool)> = r
        .inputs
        .iter()
        .map(|i| {
            (
                i.path.clone(),
                i.kind.as_str(),
                i.container.as_str(),
                i.packets,
                i.skipped,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (format!("{base}!a/refused.pcap"), "pcap", "zip", 2, false),
            (format!("{base}!b.pcapng"), "pcapng", "zip", 3, false),
            (format!("{base}!c.pcap.gz"), "pcap", "zip/gzip", 3, false),
            (format!("{base}!notes.txt"), "unknown", "zip", 0, true),
        ]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let conns: Vec<(String, String, String, Option<Cause>)> = r
        .connections
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                c.input().to_string(),
                c.client.to_string(),
                c.cause,
            )
        })
        .collect();
    assert_eq!(conns.len(), 3);
    assert_eq!(
        conns[0],
        (
            "c1".to_string(),
            format!("{base}!a/refused.pcap"),
            "10.0.0.5:50001".into(),
            Some(Cause::TcpRefused)
        )
    );
    assert_eq!(
        (conns[1].0.as_str(), &conns[1].1, &conns[1].2),
        (
            "c2",
            &format!("{base}!b.pcapng"),
            &"10.0.0.5:50002".to_string()
        )
    );
    assert_eq!(
        (conns[2].0.as_str(), &conns[2].1, &conns[2].2),
        (
            "c3",
            &format!("{base}!c.pcap.gz"),
            &"10.0.0.5:50003".to_string()
        )
    );
}

/// Files that are not captures are listed as skipped with a reason, never as errors.
#[test]
fn unknown_files_are_skipped_not_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let txt = write(dir.path(), "readme.txt", b"hello\n");
    let evtx = write(dir.path(), "System.evtx", b"ElfFile\0rest of a header");
    let r = analyze(&[txt.clone(), evtx.clone()]);
    assert_eq!(r.inputs.len(), 2);
    let t = &r.inputs[0];
    assert_eq!(t.path, txt.display().to_string());
    assert_eq!((t.kind.as_str(), t.skipped), ("unknown", true));
    assert_eq!(
        t.skipped_reason.as_deref(),
        Some("not a capture, event log or archive this tool recognises")
    );
    assert!(t.warnings.is_empty());
    let e = &r.inputs[1];
    assert_eq!((e.kind.as_str(), e.skipped), ("evtx", true));
    assert!(e.warnings.is_empty());
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.connections.is_empty());
}

/// Folders are walked recursively, entries in byte order of their names at every level:
/// `C.pcap` < `a/` < `a.txt` < `b.pcap`, and inside `a/`: `y/` < `z.pcap`.
#[test]
fn folders_walked_recursively_in_sorted_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("caps");
    let cap = |port: u16| {
        let c = Conv::new(&format!("10.0.0.5:{port}"), "10.0.0.9:3389");
        pcap_of(Link::Eth, &[(T0, c.syn()), (T0 + MS, c.refuse())])
    };
    // Written in an order unlike the expected one.
    write(&root, "b.pcap", &cap(4));
    write(&root, "a/z.pcap", &cap(3));
    write(&root, "a.txt", b"not a capture");
    write(&root, "C.pcap", &cap(1));
    write(&root, "a/y/x.pcap", &cap(2));
    let r = analyze(std::slice::from_ref(&root));
    let rel: Vec<String> = r
        .inputs
        .iter()
        .map(|i| {
            i.path
                .strip_prefix(&format!("{}/", root.display()))
                .expect("under root")
                .to_string()
        })
        .collect();
    assert_eq!(rel, ["C.pcap", "a/y/x.pcap", "a/z.pcap", "a.txt", "b.pcap"]);
    let clients: Vec<String> = r.connections.iter().map(|c| c.client.to_string()).collect();
    assert_eq!(
        clients,
        ["10.0.0.5:1", "10.0.0.5:2", "10.0.0.5:3", "10.0.0.5:4"]
    );
    let ids: Vec<String> = r.connections.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4"]);
}

/// `if_tsoffset` (option 14, a signed 64-bit count of seconds in the section's byte order)
/// is added to every timestamp of the interface: here the packets carry times relative to
/// T0 (0.25 s, 0.26 s, 0.27 s) and the offset is T0's seconds.
#[test]
fn pcapng_ts_offset_in_both_byte_orders() {
    let c = conv();
    for be in [false, true] {
        let mut w = Pcapng::new(be);
        let offset = T0 / SEC;
        let value = if be {
            offset.to_be_bytes()
        } else {
            offset.to_le_bytes()
        };
        w.idb_with_options(1, 0, &[(9, vec![6]), (14, value.to_vec())]);
        for (k, (_, s)) in handshake(&c, T0).into_iter().enumerate() {
            w.epb(0, 250_000 + 10_000 * k as u64, &s.frame(Link::Eth));
        }
        let (r, _d, _p) = analyze_bytes("tsoffset.pcapng", &w.bytes());
        assert!(only_input(&r).warnings.is_empty());
        assert_handshake(
            &r,
            "2023-11-14T22:13:20.250000Z",
            "2023-11-14T22:13:20.270000Z",
            20.0,
        );
    }
}

/// An Interface Description Block too short for its snap length (16 bytes): pcap-parser
/// rejects it, the framer warns and keeps its link type, in either byte order.
#[test]
fn pcapng_short_interface_block() {
    let c = conv();
    for be in [false, true] {
        let mut w = Pcapng::new(be);
        let lt: [u8; 2] = if be {
            1u16.to_be_bytes()
        } else {
            1u16.to_le_bytes()
        };
        let idb_at = w.block(1, &[lt[0], lt[1], 0, 0]);
        for (t, s) in handshake(&c, T0) {
            w.epb(0, us(t), &s.frame(Link::Eth));
        }
        let (r, _d, _p) = analyze_bytes("shortidb.pcapng", &w.bytes());
        let i = only_input(&r);
        assert_eq!(i.packets, 3, "be {be}");
        assert_eq!(
            i.warnings,
            [format!(
                "interface description options could not be parsed; microsecond timestamps assumed at offset {idb_at}"
            )],
            "be {be}"
        );
        assert_eq!(
            i.stats.as_ref().expect("stats").undecodable_frames,
            0,
            "be {be}"
        );
        assert_handshake(
            &r,
            "2023-11-14T22:13:20.000000Z",
            "2023-11-14T22:13:20.020000Z",
            20.0,
        );
    }
}

/// A gzip file of two members (`cat a.gz b.gz`), the pcap cut between them in the middle of
/// a record: read as one stream.
#[test]
fn gzip_multi_member() {
    let c = conv();
    let plain = pcap_of(Link::Eth, &handshake(&c, T0));
    let mut gz = gzip(&plain[..100]);
    gz.extend_from_slice(&gzip(&plain[100..]));
    let (r, _d, _p) = analyze_bytes("multi.pcap.gz", &gz);
    let i = only_input(&r);
    assert_eq!((i.packets, i.container.as_str()), (3, "gzip"));
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    assert_eq!(
        stages(only_conn(&r))[0],
        (Stage::Tcp, Status::Ok, vec![1, 2, 3])
    );
}

/// A zip inside a zip: members are named through both archives.
#[test]
fn zip_inside_zip() {
    let c = conv();
    let plain = pcap_of(Link::Eth, &handshake(&c, T0));
    let inner = zip_of(&[("x.pcap", true, &plain)]);
    let outer = zip_of(&[("logs/inner.zip", false, &inner)]);
    let (r, _d, p) = analyze_bytes("outer.zip", &outer);
    let i = only_input(&r);
    assert_eq!(i.path, format!("{}!logs/inner.zip!x.pcap", p.display()));
    assert_eq!(
        (i.kind.as_str(), i.container.as_str(), i.packets),
        ("pcap", "zip/zip", 3)
    );
    assert_eq!(only_conn(&r).input(), i.path);
}

/// Frames are indexed inside the read buffers, never copied, and blocks end where a buffer
/// ends inside a record: over 3 MB of frames (several blocks, records cut at buffer ends),
/// the plain file and its gzip give the same report, frame for frame.
#[test]
fn blocks_cut_inside_records_give_the_same_report_plain_and_gzipped() {
    let mut segs = Vec::new();
    // 400 short conversations with data both ways (2,000 bytes a segment).
    for k in 0..400u32 {
        let c = Conv::new(
            &format!("10.8.{}.{}:{}", k / 200, k % 200 + 1, 40000 + k),
            "10.9.0.1:3389",
        );
        let t = T0 + i64::from(k) * MS;
        segs.push((t, c.syn()));
        segs.push((t + 1, c.synack()));
        segs.push((t + 2, c.ack()));
        for i in 0..3u32 {
            segs.push((t + 3 + i64::from(i), c.c(i * 2000, 0).bytes(2000)));
        }
        segs.push((t + 9, c.s(0, 6000).bytes(2000)));
    }
    let plain = pcap_of(Link::Eth, &segs);
    assert!(plain.len() > 3_000_000, "{}", plain.len());
    let (a, _d1, _) = analyze_bytes("big.pcap", &plain);
    let (b, _d2, _) = analyze_bytes("big.pcap.gz", &gzip(&plain));
    assert_eq!(only_input(&a).packets, 2800);
    assert_eq!(only_input(&b).packets, 2800);
    assert!(
        only_input(&a).warnings.is_empty(),
        "{:?}",
        only_input(&a).warnings
    );
    let key = |r: &rdptriage::report::Report| -> Vec<(String, u64, u64, Option<Verdict>, u64)> {
        r.connections
            .iter()
            .map(|c| {
                (
                    c.client.to_string(),
                    c.first_frame,
                    c.last_frame,
                    c.verdict,
                    c.detail().network.client.payload_bytes
                        + c.detail().network.server.payload_bytes,
                )
            })
            .collect()
    };
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.connections.len(), 400);
    // Every conversation's 8,000 payload bytes, from frames spread over the blocks.
    assert!(
        a.connections
            .iter()
            .all(|c| c.detail().network.client.payload_bytes == 6000
                && c.detail().network.server.payload_bytes == 2000)
    );
}
