//! The fuzz harnesses: one function per fuzz target, each feeding arbitrary bytes to the
//! library's public entry points the way the analysis does.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, one line each) and by the
//! regression test (`tests/fuzz_regressions.rs`, which runs every saved input under
//! `tests/fuzz-regressions/<target>/` through the same function), so a crash found by the
//! fuzzer and its regression test always exercise exactly the same code.
//!
//! A harness must never panic on any input: a panic is the bug the fuzzer reports. The only
//! assertion beyond "returns" is in [`decode`]: the fixed-offset Ethernet/IPv4/TCP fast path
//! must give the same fact as the general decoder (its documented promise).
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::capture::decode::{
    DecodeStats, Endpoint, FactKind, IcmpFact, PacketFact, PayloadRef, TcpFact, decode_block,
    decode_frame, decode_frame_general,
};
use rdptriage::capture::{CaptureFormat, Framer};
use rdptriage::handshake::side::{SideDatagram, SideTracker, parse_dns};
use rdptriage::handshake::{credssp, judge, mcs, tls, x224};
use rdptriage::input::{self, Sniffed};
use rdptriage::tcp::{Class, Shard, TrackerConfig};

/// A harness: arbitrary bytes in, nothing out (a panic is a failure).
pub type Harness = fn(&[u8]);

/// Every fuzz target, by name (the `fuzz/fuzz_targets/<name>.rs` file and the
/// `tests/fuzz-regressions/<name>/` folder).
pub const TARGETS: &[(&str, Harness)] = &[
    ("capture", capture),
    ("decode", decode),
    ("tcp", tcp),
    ("x224", x224),
    ("tls", tls),
    ("credssp", credssp),
    ("decrypt", decrypt),
    ("mcs", mcs),
    ("side", side),
    ("evtx", evtx),
    ("eventlog_xml", eventlog_xml),
    ("archive", archive),
    ("pipeline", pipeline),
];

/// Capture readers (pcap, pcapng, NetMon — chosen by the magic bytes, as the tool does):
/// framing into blocks, then decoding every frame of every block.
pub fn capture(data: &[u8]) {
    let Some(format) = CaptureFormat::sniff(data) else {
        return;
    };
    let mut framer = Framer::new(data, format);
    while let Some(block) = framer.next_block() {
        let decoded = decode_block(&block);
        // Every payload reference must lie inside its block (the tracker slices by it).
        for fact in decoded.shards.iter().flatten() {
            let end = fact.payload.offset as usize + fact.payload.len as usize;
            assert!(fact.payload.len == 0 || end <= block.bytes.len());
        }
    }
}

/// Link types the decoder knows, and a few it does not; the first input byte picks one.
const LINKS: [u32; 11] = [0, 1, 12, 101, 108, 113, 228, 229, 276, 6, 105];

/// Packet decoding of one frame, under the link type picked by the first byte. For Ethernet
/// the fast path's fact must equal the general decoder's.
pub fn decode(data: &[u8]) {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link = LINKS[pick as usize % LINKS.len()];
    let mut stats = DecodeStats::default();
    let fast = decode_frame(frame, link, 1, 1, 0, &mut stats);
    let general = decode_frame_general(frame, link, 1, 1, 0, &mut DecodeStats::default());
    assert_eq!(fast, general, "fast path and general decoder disagree");
    if let Some(f) = fast {
        assert!(f.payload.len == 0 || (f.payload.offset + f.payload.len) as usize <= frame.len());
    }
}

/// Bytes per segment record of the [`tcp`] input (see there).
pub const TCP_RECORD: usize = 16;

/// TCP tracking and reassembly, then the RDP stage machine, on segments described by the
/// input, run as the pipeline runs them (expiry by capture time, then judging). The first
/// byte picks the kept-payload cap (256 B … 64 KiB) and, by its top bit, whether open
/// connections keep their payload in memory or park it at every expiry (`tcp::park`); then
/// records of [`TCP_RECORD`] bytes:
///
/// | byte | meaning |
/// | --- | --- |
/// | 0 | TCP flags (low 5 bits: FIN SYN RST PSH ACK); 0x20 same IP id as the previous packet (a capture duplicate); 0x40 an ICMP error quoting this segment instead; 0x80 server → client |
/// | 1 | bits 0–1 client port 50000+n; bits 2–3 server port 3389/88/53/443; bit 4 IPv6; bits 5–7 client address |
/// | 2–5 | sequence number (LE) |
/// | 6–9 | acknowledgement number (LE) |
/// | 10–11 | window (LE); for ICMP, type and code |
/// | 12–13 | time step, signed, in 10 ms (LE): time may go backwards |
/// | 14–15 | payload length (LE), taken from the bytes that follow, as many as remain |
pub fn tcp(data: &[u8]) {
    let Some((&cap, mut rest)) = data.split_first() else {
        return;
    };
    let cfg = Arc::new(TrackerConfig {
        rdp_ports: vec![3389],
        payload_cap: 256 << (cap % 9),
        // Half the inputs park every open connection's kept payload at every expiry.
        held_payload: if cap & 0x80 == 0 { 0 } else { 64 << 20 },
    });
    let mut shard = Shard::new(cfg);
    let mut side = SideTracker::default();
    let mut ts: i64 = 1_700_000_000_000_000_000;
    let mut max_ts = i64::MIN;
    let mut frame = 0u64;
    let mut ip_id = 0u16;
    let mut reports = 0usize;
    while rest.len() >= TCP_RECORD {
        let (h, tail) = rest.split_at(TCP_RECORD);
        let len = (u16::from_le_bytes([h[14], h[15]]) as usize).min(tail.len());
        let (payload, tail) = tail.split_at(len);
        rest = tail;
        frame += 1;
        ts += i16::from_le_bytes([h[12], h[13]]) as i64 * 10_000_000;
        max_ts = max_ts.max(ts);
        if h[0] & 0x20 == 0 {
            ip_id = ip_id.wrapping_add(1);
        }
        let v6 = h[1] & 0x10 != 0;
        let host = |n: u8| -> IpAddr {
            if v6 {
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n as u16))
            } else {
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
            }
        };
        let client = Endpoint {
            ip: host(1 + (h[1] >> 5)),
            port: 50000 + (h[1] & 3) as u16,
        };
        let server = Endpoint {
            ip: host(100),
            port: [3389, 88, 53, 443][(h[1] >> 2 & 3) as usize],
        };
        let (src, dst) = if h[0] & 0x80 != 0 {
            (server, client)
        } else {
            (client, server)
        };
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let kind = if h[0] & 0x40 != 0 {
            FactKind::IcmpError(IcmpFact {
                v6,
                icmp_type: h[10],
                code: h[11],
                reporter: host(200),
                quoted_protocol: 6,
            })
        } else {
            FactKind::Tcp(TcpFact {
                seq: u32_at(2),
                ack: u32_at(6),
                flags: h[0] & 0x1f,
                window: u16::from_le_bytes([h[10], h[11]]),
                seg_len: len as u32,
                mss: (h[0] & 0x02 != 0).then_some(1460),
                wscale: (h[0] & 0x02 != 0).then_some(7),
            })
        };
        let fact = PacketFact {
            frame,
            ts_ns: ts,
            src,
            dst,
            ttl: 64,
            ip_id,
            kind,
            payload: PayloadRef {
                offset: 0,
                len: len as u32,
            },
        };
        shard.apply(&fact, payload);
        if frame.is_multiple_of(64) {
            shard.expire(max_ts);
            reports += finish(&mut shard, &mut side, max_ts);
        }
    }
    shard.expire_all();
    reports += finish(&mut shard, &mut side, max_ts);
    std::hint::black_box(reports);
    let (events, _) = side.finish(max_ts);
    std::hint::black_box(events);
}

/// The key log of fixtures/captures/decrypt-keylog.pcap: seeds made from that capture
/// decrypt, so that mutations reach the decryptors and the plaintext decoders.
fn fixture_secrets() -> &'static Arc<rdptriage::handshake::secrets::Secrets> {
    static SECRETS: std::sync::OnceLock<Arc<rdptriage::handshake::secrets::Secrets>> =
        std::sync::OnceLock::new();
    SECRETS.get_or_init(|| {
        let mut s = rdptriage::handshake::secrets::Secrets::default();
        s.add_keylog(
            "decrypt-keylog.keys",
            include_str!("../fixtures/captures/decrypt-keylog.keys"),
        );
        Arc::new(s)
    })
}

/// Judges the connections whose tracking ended, as the pipeline does; Kerberos and DNS
/// over TCP go to the side tracker.
fn finish(shard: &mut Shard, side: &mut SideTracker, now: i64) -> usize {
    for d in shard.take_side() {
        side.feed(&d);
    }
    let mut n = 0;
    for mut c in shard.take_finished() {
        c.finish();
        match c.class {
            Class::Rdp => {
                let mut r = judge(
                    &c,
                    rdptriage::model::InputName::of("fuzz"),
                    now,
                    Some(&**fixture_secrets()),
                );
                rdptriage::diagnose::verdict::conclude(&mut r);
                std::hint::black_box(serde_json::to_string(&r).ok());
                n += 1;
            }
            Class::Kerberos | Class::Dns => side.feed_connection(&c),
            _ => {}
        }
    }
    n
}

/// X.224: TPKT length, Connection Request and Confirm with their RDP negotiation data.
pub fn x224(data: &[u8]) {
    std::hint::black_box(x224::tpkt_len(data));
    if let Some(r) = x224::parse_connection_request(data) {
        std::hint::black_box(format!("{r:?}"));
    }
    if let Some(c) = x224::parse_connection_confirm(data) {
        std::hint::black_box(format!("{c:?}"));
        if let Some(code) = c.failure() {
            std::hint::black_box((code.name(), code.meaning()));
        }
    }
}

/// TLS: record length, the handshake message stream (hellos, certificates), and the bytes
/// as a DER certificate.
pub fn tls(data: &[u8]) {
    std::hint::black_box(tls::record_len(data));
    let (messages, used) = tls::parse_handshake_stream(data);
    assert!(used <= data.len());
    for (_, _, m) in messages {
        if let tls::HandshakeMessage::Certificate(Some(c)) = m {
            std::hint::black_box(tls::certificate_names(&c, "rdp.example.com"));
            std::hint::black_box(tls::certificate_names(&c, "10.0.0.1"));
        }
    }
    if let Some(c) = tls::certificate_info(data, 1) {
        std::hint::black_box(tls::certificate_names(&c, "rdp.example.com"));
    }
}

/// CredSSP: a TSRequest's DER framing and fields.
pub fn credssp(data: &[u8]) {
    if let Some(n) = credssp::der_sequence_len(data) {
        assert!(n >= 2);
    }
    std::hint::black_box(credssp::parse_ts_request(data));
}

/// TLS record decryption: a suite, version and encrypt-then-MAC choice from the first bytes,
/// a key block (or a TLS 1.3 traffic secret) from the next 256, and the rest cut into records
/// and opened in order: wrong keys, cut records and bad padding must be faults, never panics.
pub fn decrypt(data: &[u8]) {
    use rdptriage::handshake::decrypt::{self, Protection};
    const SUITES: [u16; 12] = [
        0x0004, 0x0005, 0x002F, 0x0035, 0x003C, 0x009C, 0x009D, 0xC014, 0xC030, 0xCCA8, 0x1301,
        0x1302,
    ];
    if data.len() < 4 + 256 {
        return;
    }
    let Some(suite) = decrypt::suite(SUITES[data[0] as usize % SUITES.len()]) else {
        return;
    };
    let version = [0x0301, 0x0302, 0x0303][data[1] as usize % 3];
    let block = &data[4..260];
    let protection = if suite.id >= 0x1301 {
        Protection::from_traffic_secret(suite, &block[..48.min(block.len())])
    } else {
        Protection::from_key_block(
            suite,
            version,
            block,
            rdptriage::tcp::Side::Client,
            data[3] & 1 == 1,
        )
    };
    let Some(mut p) = protection else { return };
    let mut rest = &data[260..];
    while rest.len() >= 5 {
        let len = 5 + u16::from_be_bytes([rest[3], rest[4]]) as usize;
        let take = len.min(rest.len());
        let (record, tail) = rest.split_at(take);
        let opened = p.open(&record[..5], &record[5..]);
        std::hint::black_box(&opened);
        rest = tail;
    }
}

/// MCS and GCC: every MCS PDU, the conference create request/response with its user data
/// blocks, and Send Data user data.
pub fn mcs(data: &[u8]) {
    if let Some(p) = mcs::parse_mcs(data) {
        std::hint::black_box(format!("{p:?}"));
    }
    std::hint::black_box(mcs::mcs_user_data(data));
}

/// DNS and Kerberos: the DNS reader, then the bytes as a DNS query, a DNS answer and a
/// Kerberos KRB-ERROR (UDP and TCP framing) through the side tracker.
pub fn side(data: &[u8]) {
    std::hint::black_box(parse_dns(data));
    let client = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let server = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53));
    let mut t = SideTracker::default();
    let mut feed = |frame: u64, to_server: bool, port: u16, payload: Vec<u8>| {
        let (src, dst, src_port, dst_port) = if to_server {
            (client, server, 50000, port)
        } else {
            (server, client, port, 50000)
        };
        t.feed(&SideDatagram {
            frame,
            ts_ns: frame as i64 * 1_000_000,
            src,
            dst,
            src_port,
            dst_port,
            payload,
        });
    };
    feed(1, true, 53, data.to_vec());
    feed(2, false, 53, data.to_vec());
    feed(3, false, 88, data.to_vec());
    let mut framed = (data.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(data);
    feed(4, false, 88, framed);
    std::hint::black_box(t.finish(i64::MAX));
}

/// Event mapping from `.evtx`: the chunk reader, the record → XML → event mapping and the
/// catalog, then the session timelines.
pub fn evtx(data: &[u8]) {
    let (input, events) = rdptriage::eventlog::read_stream("fuzz.evtx", true, Box::new(data));
    std::hint::black_box(input);
    std::hint::black_box(rdptriage::correlate::timeline::build(&events));
}

/// Event mapping from Event Viewer XML exports (UTF-8 or UTF-16), then the timelines.
pub fn eventlog_xml(data: &[u8]) {
    let (input, events) = rdptriage::eventlog::read_stream("fuzz.xml", false, Box::new(data));
    std::hint::black_box(input);
    std::hint::black_box(rdptriage::correlate::timeline::build(&events));
    let one = rdptriage::eventlog::parse_event_xml(&String::from_utf8_lossy(data));
    std::hint::black_box(one.ok());
}

/// The input layer: magic-byte sniffing, gzip (multi-member) and zip (nested) unwrapping
/// with their caps; every stream reached is read to its end.
pub fn archive(data: &[u8]) {
    let mut failures = Vec::new();
    let mut streams = 0u64;
    input::open_bytes(
        "fuzz.bin",
        data,
        input::Limits::DEFAULT,
        &mut |mut s| {
            streams += 1;
            assert!(!matches!(s.sniffed, Sniffed::Gzip | Sniffed::Zip));
            let _ = std::io::copy(&mut s.reader, &mut std::io::sink());
        },
        &mut failures,
    );
    std::hint::black_box((streams, failures));
}

/// A temporary file name of this thread's own (fuzz processes and parallel tests alike),
/// the same on every call: the analysis keeps each input name it sees for the life of the
/// process (`model::InputName`), so a new name per call grew memory with every run and had
/// LeakSanitizer scan the whole heap after each one (a sixth of the pipeline's speed).
fn temp_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static PATH: PathBuf = std::env::temp_dir().join(format!(
            "rdptriage-fuzz-{}-{}.bin",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
    }
    PATH.with(|p| p.clone())
}

/// The whole pipeline on one uploaded file: sniffing, archives, captures or event logs,
/// connections, findings, and the report in every output format (JSON, JSON lines, text,
/// Markdown, HTML).
pub fn pipeline(data: &[u8]) {
    let path = temp_path();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = Options {
        secrets: Arc::clone(fixture_secrets()),
        ..Options::default()
    };
    let report = analyze_paths(std::slice::from_ref(&path), &opts);
    let _ = std::fs::remove_file(&path);
    std::hint::black_box(report.to_json());
    std::hint::black_box(report.to_jsonl());
    std::hint::black_box(rdptriage::report::text::render(&report));
    std::hint::black_box(rdptriage::report::markdown::render(&report));
    std::hint::black_box(rdptriage::report::html::render(&report));
}
