//! Limits on hostile input (issue 7): decompression bombs, nested archives, member names that
//! look like paths, records and blocks claiming gigabytes, snap lengths that lie, 100,000
//! connections, millions of tiny packets, a SYN flood, clocks going backwards, evtx chunks with
//! bad checksums. Every input is built here, in memory or in a temp folder; each test checks
//! that the run ends, what was read before the bad part is still reported, and the exact
//! warning (file and offset) for the rest.

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Stage, Verdict};
use std::io::Read;
use std::path::PathBuf;

use rdptriage::input::{self, Limits, MAX_DEPTH, MAX_RATIO, RATIO_FREE_BYTES};
use rdptriage::report::{JudgedConnection, Report};
use support::*;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).expect("fixture")
}

/// `fixtures/captures/cert-expired.pcap`: 16 packets, one RDP connection from
/// 10.99.1.2:53850 that failed at TLS (the client rejected the expired certificate).
fn cert_expired() -> Vec<u8> {
    fixture("fixtures/captures/cert-expired.pcap")
}

fn assert_cert_expired_connection(c: &JudgedConnection, input: &str) {
    assert_eq!(c.input(), input);
    assert_eq!(
        (c.client.to_string().as_str(), c.server.to_string().as_str()),
        ("10.99.1.2:53850", "10.99.2.2:3389")
    );
    assert_eq!(
        (c.verdict, c.failed_stage, c.cause),
        (
            Some(Verdict::Failed),
            Some(Stage::Tls),
            Some(Cause::CertificateRejected)
        )
    );
}

/// A 54-byte Ethernet frame carrying a UDP datagram that is neither DNS nor Kerberos: it
/// counts as a packet and nothing else.
fn udp_frame() -> Vec<u8> {
    Link::Eth.wrap(&udp(
        ep("10.7.0.1:40000"),
        ep("10.7.0.2:9999"),
        b"hello, world",
    ))
}

/// The same with 60,000 zero bytes of payload (what makes a bomb: deflate packs it ~1000:1).
fn big_udp_frame() -> Vec<u8> {
    Link::Eth.wrap(&udp(
        ep("10.7.0.1:40000"),
        ep("10.7.0.2:9999"),
        &[0; 60_000],
    ))
}

// ---------------------------------------------------------------------------------------
// Decompression bombs
// ---------------------------------------------------------------------------------------

/// A zip whose one member is the fixture capture followed by ~80 MiB of one repeated UDP
/// record (deflate makes that about 1000 to 1): decompression stops once the member has
/// given [`RATIO_FREE_BYTES`] (64 MiB) and more than [`MAX_RATIO`] (200) times the bytes read
/// from the file. The connection before the bomb is reported; the warning names the member
/// and the exact offset where reading stopped.
#[test]
fn zip_bomb_stops_at_the_ratio_cap() {
    let started = std::time::Instant::now();
    let head = cert_expired();
    let rec = Pcap::new(1).record(1_795_320_150_593_219_000, &big_udp_frame());
    let mut member = head.clone();
    while member.len() < 80 << 20 {
        member.extend_from_slice(&rec);
    }
    let z = zip_of(&[("bomb.pcap", true, &member)]);
    assert!(
        (z.len() as u64) * MAX_RATIO < RATIO_FREE_BYTES,
        "{} bytes",
        z.len()
    );
    let (r, _dir, p) = analyze_bytes("bundle.zip", &z);
    let name = format!("{}!bomb.pcap", p.display());
    let i = only_input(&r);
    assert_eq!(
        (i.path.as_str(), i.container.as_str()),
        (name.as_str(), "zip")
    );
    // Whole records within the first 64 MiB: the fixture's 16 packets, then the UDP ones.
    let udp_records = (RATIO_FREE_BYTES as usize - head.len()) / rec.len();
    assert_eq!(i.packets, 16 + udp_records as u64);
    let cut_record_at = head.len() + udp_records * rec.len();
    assert_eq!(
        i.warnings,
        vec![
            format!(
                "read error: decompression stopped after {RATIO_FREE_BYTES} bytes of this zip \
                 member: it gave {RATIO_FREE_BYTES} bytes from {} compressed bytes, more than \
                 200 to 1, once the file's compressed streams had given {RATIO_FREE_BYTES} bytes \
                 (a decompression bomb?) at offset {RATIO_FREE_BYTES}",
                bytes_read_at_stop(&i.warnings[0])
            ),
            format!(
                "truncated record: frame {} claims {} bytes, the file ends after {} at offset {cut_record_at}",
                17 + udp_records,
                rec.len() - 16,
                RATIO_FREE_BYTES as usize - cut_record_at - 16
            ),
        ]
    );
    assert!(bytes_read_at_stop(&i.warnings[0]) * MAX_RATIO <= RATIO_FREE_BYTES);
    assert_cert_expired_connection(only_conn(&r), &name);
    eprintln!("zip bomb: {:?}", started.elapsed());
}

/// The "N bytes read" figure of a ratio-cap message (it depends on how far the decompressor
/// had read ahead, so it is read back and checked against what it must be near).
fn bytes_read_at_stop(warning: &str) -> u64 {
    let n: u64 = warning
        .split(" bytes from ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {warning}"));
    n
}

/// One stream reached through [`input::open_bytes`]: display, container, bytes it gave and
/// the read error that ended it.
type Reached = (String, String, usize, Option<String>);

/// Every stream reached through [`input::open_bytes`], and the failures to open, as text.
fn streams(data: &[u8], limits: Limits) -> (Vec<Reached>, Vec<String>) {
    let mut out = Vec::new();
    let mut failures = Vec::new();
    input::open_bytes(
        "upload",
        data,
        limits,
        &mut |mut s| {
            let mut buf = Vec::new();
            let err = s.reader.read_to_end(&mut buf).err().map(|e| e.to_string());
            out.push((s.display.clone(), s.container.clone(), buf.len(), err));
        },
        &mut failures,
    );
    let failures = failures
        .into_iter()
        .map(|f| format!("{} [{}]: {}", f.display, f.container, f.message))
        .collect();
    (out, failures)
}

/// The size cap, per gzip stream and per zip member, shown with a 1 MiB cap (the tool's is
/// [`input::MAX_DECOMPRESSED_BYTES`], 64 GiB): a stream gives exactly the cap, then a read
/// error naming it; a stream of exactly the cap is whole; other members are still read.
#[test]
fn decompressed_size_cap_per_stream() {
    let limits = Limits {
        max_decompressed_bytes: 1 << 20,
        ratio_free_bytes: u64::MAX,
        max_ratio: MAX_RATIO,
        ..Limits::DEFAULT
    };
    let mut big = cert_expired();
    big.resize(3 << 20, 0x55);
    let mut exact = cert_expired();
    exact.resize(1 << 20, 0x55);
    let stop = "decompression stopped after 1048576 bytes: a gzip stream may give at most 1 MiB";
    assert_eq!(
        streams(&gzip(&big), limits),
        (
            vec![("upload".into(), "gzip".into(), 1 << 20, Some(stop.into()))],
            vec![]
        )
    );
    assert_eq!(
        streams(&gzip(&exact), limits),
        (
            vec![("upload".into(), "gzip".into(), 1 << 20, None)],
            vec![]
        )
    );
    let z = zip_of(&[
        ("big.pcap", true, &big),
        ("big.pcap.gz", false, &gzip(&big)),
        ("small.pcap", true, &cert_expired()),
    ]);
    let member_stop = stop.replace("gzip stream", "zip member");
    assert_eq!(
        streams(&z, limits),
        (
            vec![
                (
                    "upload!big.pcap".into(),
                    "zip".into(),
                    1 << 20,
                    Some(member_stop)
                ),
                (
                    "upload!big.pcap.gz".into(),
                    "zip/gzip".into(),
                    1 << 20,
                    Some(stop.into())
                ),
                ("upload!small.pcap".into(), "zip".into(), 3294, None),
            ],
            vec![]
        )
    );
    assert_eq!(Limits::default(), Limits::DEFAULT);
    assert_eq!(
        (
            Limits::DEFAULT.max_decompressed_bytes,
            Limits::DEFAULT.ratio_free_bytes,
            Limits::DEFAULT.max_ratio
        ),
        (64 << 30, 64 << 20, 200)
    );
}

/// Each layer is held to its own compressed bytes once the file's free bytes are spent: a
/// gzip bomb inside a stored zip member stops at 200 times the compressed bytes the gzip
/// decoder read, whatever the member around it gave.
#[test]
fn ratio_cap_holds_each_layer_to_its_own_compressed_bytes() {
    let limits = Limits {
        ratio_free_bytes: 1 << 20,
        ..Limits::DEFAULT
    };
    let zeros = vec![0u8; 8 << 20];
    let packed = gzip(&zeros);
    let z = zip_of(&[("zeros.gz", false, &packed)]);
    let (s, failures) = streams(&z, limits);
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(s.len(), 1);
    let (display, container, given, err) = &s[0];
    assert_eq!(
        (display.as_str(), container.as_str()),
        ("upload!zeros.gz", "zip/gzip")
    );
    let err = err.as_deref().expect("stopped");
    let compressed = bytes_read_at_stop(err);
    assert!(
        compressed <= packed.len() as u64,
        "{compressed} of {}",
        packed.len()
    );
    assert_eq!(*given as u64, MAX_RATIO * compressed);
    assert_eq!(
        err,
        format!(
            "decompression stopped after {given} bytes of this gzip stream: it gave {given} \
             bytes from {compressed} compressed bytes, more than 200 to 1, once the file's \
             compressed streams had given {} bytes (a decompression bomb?)",
            *given as u64 + packed.len() as u64
        )
    );
}

/// A bomb member spends its own allowance and the file's free bytes, never what the members
/// after it may give: a genuine capture after a zip bomb is read whole (it was lost when the
/// whole file shared one allowance).
#[test]
fn a_member_after_a_bomb_is_read_whole() {
    let head = cert_expired();
    let rec = Pcap::new(1).record(1_795_320_150_593_219_000, &big_udp_frame());
    let mut bomb = head.clone();
    while bomb.len() < 80 << 20 {
        bomb.extend_from_slice(&rec);
    }
    let genuine = cert_expired();
    let z = zip_of(&[("bomb.pcap", true, &bomb), ("genuine.pcap", true, &genuine)]);
    let (s, failures) = streams(&z, Limits::DEFAULT);
    assert_eq!(failures, Vec::<String>::new());
    let read: Vec<(&str, usize, bool)> = s
        .iter()
        .map(|(d, _, n, e)| (d.as_str(), *n, e.is_some()))
        .collect();
    assert_eq!(
        read,
        [
            ("upload!bomb.pcap", RATIO_FREE_BYTES as usize, true),
            ("upload!genuine.pcap", genuine.len(), false),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Nested archives and member names
// ---------------------------------------------------------------------------------------

/// Archives nested in archives are opened [`MAX_DEPTH`] (4) levels deep: a zip holding a
/// capture and a zip holding a capture and a zip… The captures of levels 1–4 are read; the
/// archive at level 5 is listed as not opened, naming it by its whole chain.
#[test]
fn nested_archives_are_opened_four_levels_deep() {
    let pcap = cert_expired();
    let mut level = zip_of(&[("l5.pcap", false, &pcap)]);
    for n in (1..=4).rev() {
        let name = format!("l{n}.pcap");
        let inner = format!("l{}.zip", n + 1);
        level = zip_of(&[
            (name.as_str(), n % 2 == 0, &pcap),
            (inner.as_str(), n % 2 == 1, &level),
        ]);
    }
    assert_eq!(MAX_DEPTH, 4);
    let (r, _dir, p) = analyze_bytes("l1.zip", &level);
    let base = p.display().to_string();
    let paths: Vec<(&str, &str, u64, bool)> = r
        .inputs
        .iter()
        .map(|i| (i.path.as_str(), i.container.as_str(), i.packets, i.skipped))
        .collect();
    let chain = [
        format!("{base}!l1.pcap"),
        format!("{base}!l2.zip!l2.pcap"),
        format!("{base}!l2.zip!l3.zip!l3.pcap"),
        format!("{base}!l2.zip!l3.zip!l4.zip!l4.pcap"),
        format!("{base}!l2.zip!l3.zip!l4.zip!l5.zip"),
    ];
    assert_eq!(
        paths,
        vec![
            (chain[0].as_str(), "zip", 16, false),
            (chain[1].as_str(), "zip/zip", 16, false),
            (chain[2].as_str(), "zip/zip/zip", 16, false),
            (chain[3].as_str(), "zip/zip/zip/zip", 16, false),
            (chain[4].as_str(), "zip/zip/zip/zip", 0, true),
        ]
    );
    assert_eq!(
        r.inputs[4].warnings,
        vec!["archives nested deeper than 4 levels are not opened"]
    );
    assert_eq!(r.connections.len(), 4);
    for (c, input) in r.connections.iter().zip(&chain) {
        assert_cert_expired_connection(c, input);
    }
}

/// gzip counts as a level too: a capture gzipped five times is not opened.
#[test]
fn gzip_nested_five_times_is_not_opened() {
    let mut g = cert_expired();
    for _ in 0..4 {
        g = gzip(&g);
    }
    let (r, _d, p) = analyze_bytes("four.pcap.gz", &g);
    let i = only_input(&r);
    assert_eq!(
        (i.container.as_str(), i.packets),
        ("gzip/gzip/gzip/gzip", 16)
    );
    let (r, _d, p5) = analyze_bytes("five.pcap.gz", &gzip(&g));
    let i = only_input(&r);
    assert_eq!(
        (
            i.path.clone(),
            i.container.as_str(),
            i.skipped,
            i.warnings.clone()
        ),
        (
            p5.display().to_string(),
            "gzip/gzip/gzip/gzip",
            true,
            vec!["archives nested deeper than 4 levels are not opened".to_string()]
        )
    );
    assert_ne!(p, p5);
}

/// Member names are shown, never used as paths: `..`, absolute, drive-letter and
/// backslashed names are read like any other member (control characters dropped from the
/// name shown), and nothing is written anywhere.
#[test]
fn member_names_are_never_paths() {
    let pcap = cert_expired();
    let names = [
        "../../escape.pcap",
        "/etc/absolute.pcap",
        "C:\\Windows\\drive.pcap",
        "a/../../../up.pcap",
        "bell\u{7}\nline.pcap",
    ];
    let members: Vec<(&str, bool, &[u8])> = names.iter().map(|n| (*n, true, &pcap[..])).collect();
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    let z = write(&inner, "bundle.zip", &zip_of(&members));
    let before = std::env::current_dir().unwrap();
    let r = analyze(std::slice::from_ref(&z));
    let shown: Vec<String> = r.inputs.iter().map(|i| i.path.clone()).collect();
    let expect: Vec<String> = [
        "../../escape.pcap",
        "/etc/absolute.pcap",
        "C:\\Windows\\drive.pcap",
        "a/../../../up.pcap",
        "bellline.pcap",
    ]
    .iter()
    .map(|n| format!("{}!{n}", z.display()))
    .collect();
    assert_eq!(shown, expect);
    assert!(r.inputs.iter().all(|i| i.packets == 16 && !i.skipped));
    assert_eq!(r.connections.len(), 5);
    // Nothing was extracted: the temp folder holds the archive only, and the working folder
    // did not change.
    let all: Vec<PathBuf> = walk(dir.path());
    assert_eq!(all, vec![z.clone()]);
    assert_eq!(std::env::current_dir().unwrap(), before);
    assert!(!dir.path().join("escape.pcap").exists());
}

fn walk(p: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        } else {
            out.push(e);
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------
// Records and blocks that lie
// ---------------------------------------------------------------------------------------

/// The fixture's frames as (time, bytes).
fn cert_expired_frames() -> Vec<(i64, Vec<u8>)> {
    let data = cert_expired();
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let w = |o: usize| u32::from_le_bytes(data[at + o..at + o + 4].try_into().unwrap());
        let ts = w(0) as i64 * SEC + w(4) as i64 * 1000;
        let len = w(8) as usize;
        out.push((ts, data[at + 16..at + 16 + len].to_vec()));
        at += 16 + len;
    }
    assert_eq!(out.len(), 16);
    out
}

/// A pcapng block whose length claims nearly 4 GiB between the fixture's frames 8 and 9:
/// the length is not believed, the framer finds the next block, frames 9–16 are read, the
/// connection is whole, and the warning names the block's offset.
#[test]
fn pcapng_block_claiming_gigabytes() {
    let frames = cert_expired_frames();
    let mut ng = Pcapng::new(false);
    ng.idb(1, 65535, None);
    for (t, f) in &frames[..8] {
        ng.epb(0, us(*t), f);
    }
    let bad_at = ng.epb(0, us(frames[8].0), &udp_frame());
    ng.buf[bad_at + 4..bad_at + 8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    for (t, f) in &frames[8..] {
        ng.epb(0, us(*t), f);
    }
    let (r, _d, p) = analyze_bytes("huge-block.pcapng", &ng.bytes());
    let i = only_input(&r);
    assert_eq!(i.packets, 16);
    assert_eq!(
        i.warnings,
        vec![format!(
            "corrupt pcapng block after frame 8 (block length 4294967280 is invalid); skipped 88 \
             bytes to the next valid block at offset {bad_at}"
        )]
    );
    assert_cert_expired_connection(only_conn(&r), &p.display().to_string());
}

/// A pcap record whose captured length claims 2 GiB: the header is not believed (longer
/// than any frame), the framer resynchronises on the next record, and the frames after it
/// are read.
#[test]
fn pcap_record_claiming_gigabytes() {
    let frames = cert_expired_frames();
    let pcap = Pcap::new(1);
    let mut file = pcap.header();
    for (t, f) in &frames[..8] {
        file.extend(pcap.record(*t, f));
    }
    let bad_at = file.len();
    let mut bad = pcap.record(frames[8].0, &udp_frame());
    bad[8..12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    file.extend(bad);
    for (t, f) in &frames[8..] {
        file.extend(pcap.record(*t, f));
    }
    let (r, _d, p) = analyze_bytes("huge-record.pcap", &file);
    let i = only_input(&r);
    assert_eq!(i.packets, 16);
    assert_eq!(
        i.warnings,
        vec![format!(
            "corrupt record header after frame 8; skipped 70 bytes to the next valid record at \
             offset {bad_at}"
        )]
    );
    assert_cert_expired_connection(only_conn(&r), &p.display().to_string());
}

/// Snap lengths that lie: a pcap header or a pcapng interface declaring 64 bytes over frames
/// of up to 1514. The frames' own lengths are believed (writers do this), so the frames are
/// read whole and the certificate is still found.
#[test]
fn snap_lengths_that_lie() {
    let frames = cert_expired_frames();
    let mut pcap = Pcap::new(1);
    pcap.snaplen = 64;
    let (r, _d, p) = analyze_bytes("snap64.pcap", &pcap.file(&frames));
    let i = only_input(&r);
    assert_eq!((i.packets, i.warnings.len()), (16, 0));
    assert_cert_expired_connection(only_conn(&r), &p.display().to_string());

    let mut ng = Pcapng::new(false);
    ng.idb(1, 64, None);
    for (t, f) in &frames {
        ng.epb(0, us(*t), f);
    }
    let (r, _d, p) = analyze_bytes("snap64.pcapng", &ng.bytes());
    let i = only_input(&r);
    assert_eq!((i.packets, i.warnings.clone()), (16, vec![]));
    let c = only_conn(&r);
    assert_cert_expired_connection(c, &p.display().to_string());
    assert!(
        summary(c).contains("it had expired on 2020-01-31T00:00:00.000000Z"),
        "{}",
        summary(c)
    );

    // A snap length of 0 or 4 GiB means "no limit": frames up to 256 KiB are believed.
    for snap in [0, u32::MAX] {
        pcap.snaplen = snap;
        let (r, _d, _p) = analyze_bytes("snap.pcap", &pcap.file(&frames));
        assert_eq!(only_input(&r).packets, 16);
        assert_eq!(r.connections.len(), 1);
    }
}

// ---------------------------------------------------------------------------------------
// Volume
// ---------------------------------------------------------------------------------------

/// 100,000 RDP connections, each a SYN refused by a RST: every one is reported, in frame
/// order, and the run ends.
#[test]
fn hundred_thousand_connections() {
    const N: usize = 100_000;
    let pcap = Pcap::new(1);
    let mut file = pcap.header();
    for n in 0..N {
        let client = format!(
            "10.{}.{}.{}:{}",
            1 + n / 60_000,
            (n / 240) % 250,
            1 + n % 240,
            40_000 + n % 7
        );
        let c = Conv::new(&client, "10.0.0.1:3389");
        let t = T0 + n as i64 * MS;
        file.extend(pcap.record(t, &c.syn().frame(Link::Eth)));
        file.extend(pcap.record(t + MS / 2, &c.refuse().frame(Link::Eth)));
    }
    let (r, _d, _p) = analyze_bytes("many.pcap", &file);
    let i = only_input(&r);
    assert_eq!(i.packets, 2 * N as u64);
    let stats = i.stats.as_ref().unwrap();
    assert_eq!(
        (stats.tcp_connections, stats.rdp_connections),
        (N as u64, N as u64)
    );
    assert_eq!(r.connections.len(), N);
    let causes: std::collections::BTreeSet<Option<Cause>> =
        r.connections.iter().map(|c| c.cause).collect();
    assert_eq!(causes, [Some(Cause::TcpRefused)].into_iter().collect());
    assert_eq!(
        (
            r.connections[0].first_frame,
            r.connections[N - 1].last_frame
        ),
        (1, 2 * N as u64)
    );
}

/// Connections at a high rate: 20,000 refused in 4 s, so that more than 16,384 are held at
/// once (closed ones linger 30 s for late packets). Closed connections then end a second after
/// closing, which bounds the memory a brute force takes; a late packet of one that ended so is
/// ignored and counted, not taken for a new connection, and every connection is reported as
/// it was. Frames that decode as nothing push the late packet into a later window of blocks.
#[test]
fn a_high_connection_rate_ends_closed_connections_early() {
    const N: usize = 20_000;
    let pcap = Pcap::new(1);
    let mut file = pcap.header();
    let mut frames = 0u64;
    let conv = |n: usize| {
        Conv::new(
            &format!(
                "10.{}.{}.{}:{}",
                1 + n / 60_000,
                (n / 240) % 250,
                1 + n % 240,
                40_000
            ),
            "10.0.0.1:3389",
        )
    };
    for n in 0..N {
        let c = conv(n);
        let t = T0 + n as i64 * 200_000;
        file.extend(pcap.record(t, &c.syn().frame(Link::Eth)));
        file.extend(pcap.record(t + 50_000, &c.refuse().frame(Link::Eth)));
        frames += 2;
    }
    let junk = |file: &mut Vec<u8>, frames: &mut u64, from: i64, count: usize| {
        for k in 0..count {
            file.extend(pcap.record(from + k as i64 * 1_000, &[0x42]));
            *frames += 1;
        }
    };
    junk(&mut file, &mut frames, T0 + 4 * SEC, 400_000);
    // A late packet of the first connection, 5 s after it closed.
    file.extend(pcap.record(T0 + 5 * SEC, &conv(0).c(1, 0).data(b"x").frame(Link::Eth)));
    frames += 1;
    junk(&mut file, &mut frames, T0 + 5 * SEC, 10);
    let (r, _d, _p) = analyze_bytes("rate.pcap", &file);
    let i = only_input(&r);
    assert_eq!(i.packets, frames);
    assert_eq!(r.connections.len(), N);
    assert!(
        r.connections
            .iter()
            .all(|c| c.cause == Some(Cause::TcpRefused))
    );
    let warning = r
        .warnings
        .iter()
        .find(|w| w.contains("closed connections were ended one second after closing"))
        .expect("a warning saying connections ended early");
    let early: u64 = warning
        .split("rate.pcap: ")
        .nth(1)
        .and_then(|w| w.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(early > 0 && early <= N as u64, "{warning}");
    assert!(
        warning.ends_with("1 packets of theirs that came later were ignored"),
        "{warning}"
    );
}

/// A run keeps a bounded number of catalog events over all its inputs: with the limit at 5,
/// two fixture logs of 6 and 2 catalog events keep 5, the first five of the first log (inputs
/// are cut in the order given, whatever the threads' timing); the other 3 are counted (per-id
/// counts stay whole) and each input's warning says how many it could not keep.
#[test]
fn a_run_keeps_a_bounded_number_of_events_over_all_its_inputs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/eventlog");
    let paths = [
        dir.join("server-rdpcorets.evtx"),
        dir.join("server-security.evtx"),
    ];
    let opts = rdptriage::analyze::Options {
        max_run_events: Some(5),
        ..Default::default()
    };
    // Without the run's limit all 8 are kept.
    let all = rdptriage::analyze::analyze_paths(&paths, &Default::default());
    assert_eq!(all.events.len(), 8);
    assert!(all.warnings.is_empty(), "{:?}", all.warnings);
    let first_five: Vec<u64> = all
        .events
        .iter()
        .filter(|e| e.input.ends_with("server-rdpcorets.evtx"))
        .map(|e| e.record_id)
        .take(5)
        .collect();
    for _ in 0..5 {
        let r = rdptriage::analyze::analyze_paths(&paths, &opts);
        let kept: Vec<u64> = r.events.iter().map(|e| e.record_id).collect();
        assert_eq!(kept, first_five);
        assert_eq!(
            r.inputs.iter().map(|i| i.events).collect::<Vec<_>>(),
            [5, 0]
        );
        let counted: u64 = r
            .inputs
            .iter()
            .flat_map(|i| i.event_counts.iter().map(|c| c.count))
            .sum();
        assert_eq!(counted, 8);
        let cut: Vec<&String> = r
            .warnings
            .iter()
            .filter(|w| w.ends_with("a run keeps at most 5 over all its inputs"))
            .collect();
        assert_eq!(cut.len(), 2, "{:?}", r.warnings);
        assert!(cut[0].contains("server-rdpcorets.evtx: 1 catalog events were counted, not kept"));
        assert!(cut[1].contains("server-security.evtx: 2 catalog events were counted, not kept"));
        // JSON still lists all 8: the 5 kept, then the 3 others read again from their files.
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let listed: Vec<u64> = json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["record_id"].as_u64().unwrap())
            .collect();
        assert_eq!(listed.len(), 8, "{listed:?}");
    }
}

/// Millions of tiny packets: one RDP connection whose client sends 1,000,000 one-byte
/// segments, and 1,000,000 one-byte frames that decode as nothing, interleaved. Every frame
/// is counted; the connection's kept stream stops at the per-direction cap (64 KiB).
#[test]
fn millions_of_tiny_packets() {
    const N: u32 = 1_000_000;
    let c = Conv::new("10.1.0.5:50123", "10.0.0.1:3389");
    let pcap = Pcap::new(1);
    let mut file = pcap.header();
    for (t, s) in handshake(&c, T0) {
        file.extend(pcap.record(t, &s.frame(Link::Eth)));
    }
    let tiny = pcap.record(T0, &[0x42]);
    for n in 0..N {
        let t = T0 + SEC + n as i64 * 1000;
        file.extend(pcap.record(t, &c.c(n, 0).data(b"x").frame(Link::Eth)));
        let mut junk = tiny.clone();
        junk[..8].copy_from_slice(&pcap.record(t, &[])[..8]);
        file.extend(junk);
    }
    let (r, _d, _p) = analyze_bytes("tiny.pcap", &file);
    let i = only_input(&r);
    assert_eq!(i.packets, 3 + 2 * N as u64);
    let stats = i.stats.as_ref().unwrap();
    assert_eq!(
        (stats.tcp_packets, stats.undecodable_frames),
        (3 + N as u64, N as u64)
    );
    let conn = only_conn(&r);
    assert_eq!((conn.first_frame, conn.last_frame), (1, 2 + 2 * N as u64));
    // Its bytes are counted whole though only the first 64 KiB are kept; they are not RDP.
    assert_eq!(
        summary(conn),
        "not an RDP attempt: the client's first bytes are not an X.224 Connection Request (a \
         scanner's probe, another protocol on the RDP port, or bytes damaged in the capture)"
    );
}

/// A pcap of `n` SYNs to 10.99.2.2:3389 from spoofed addresses in `net` (`172.16` …), one
/// every `step` ns from `t0`, none answered; with `real`, the fixture's connection in the
/// middle of them.
fn spoofed_syn_flood(net: &str, n: usize, step: i64, t0: i64, real: bool) -> Vec<u8> {
    let pcap = Pcap::new(1);
    let mut file = pcap.header();
    for k in 0..n {
        if real && k == n / 2 {
            for (t, f) in &cert_expired_frames() {
                file.extend(pcap.record(*t, f));
            }
        }
        let client = format!("{net}.{}.{}:{}", k / 250, k % 250, 1024 + k % 5000);
        let syn = Conv::new(&client, "10.99.2.2:3389")
            .isn(k as u32 * 7919, 0)
            .syn();
        file.extend(pcap.record(t0 + k as i64 * step, &syn.frame(Link::Eth)));
    }
    file
}

/// The flood's connections, once the real one among them (the fixture's, from
/// 10.99.1.2:53850) was found once and whole.
fn flood_around_real<'a>(r: &'a Report, input: &std::path::Path) -> Vec<&'a JudgedConnection> {
    let (real, flood): (Vec<&JudgedConnection>, Vec<&JudgedConnection>) = r
        .connections
        .iter()
        .partition(|c| c.client == "10.99.1.2:53850");
    assert_eq!(real.len(), 1);
    assert_cert_expired_connection(real[0], &input.display().to_string());
    flood
}

/// The number a run-level warning about `input` starts with, for the warning containing
/// `words`.
fn warned_count(r: &Report, input: &str, words: &str) -> Option<usize> {
    r.warnings
        .iter()
        .find(|w| w.contains(words))
        .and_then(|w| w.split(&format!("{input}: ")).nth(1))
        .and_then(|w| w.split(' ').next())
        .and_then(|n| n.parse().ok())
}

/// A SYN flood: 50,000 SYNs to the RDP port from spoofed addresses, none answered, around
/// one real connection (the fixture's, its frames in the middle of the flood). The real
/// connection keeps its verdict; every SYN is a connection that got no answer, and, sent
/// once and never again, a scanner's or flooder's (`probe`) once the capture went on 4 s
/// past it.
#[test]
fn syn_flood() {
    const N: usize = 50_000;
    let real = cert_expired_frames();
    let t0 = real[0].0 - (N as i64 / 2) * MS - MS / 2;
    let file = spoofed_syn_flood("172.16", N, MS, t0, true);
    let (r, _d, p) = analyze_bytes("flood.pcap", &file);
    let i = only_input(&r);
    assert_eq!(i.packets, N as u64 + 16);
    assert_eq!(r.connections.len(), N + 1);
    // SYNs sent in the capture's last 3 s may still have been answered after it ended; those
    // of the second before could still have been sent again (Windows does at 3 s).
    let mut causes = std::collections::BTreeMap::new();
    for c in flood_around_real(&r, &p) {
        *causes.entry(c.cause).or_insert(0) += 1;
    }
    assert_eq!(
        causes,
        [
            (Some(Cause::CaptureEnded), 3000),
            (Some(Cause::TcpNoAnswer), 1000),
            (Some(Cause::Probe), N - 4000)
        ]
        .into_iter()
        .collect()
    );
}

/// A faster SYN flood: 50,000 SYNs in 3 s from spoofed addresses, none answered, around one
/// real connection. More than 32,768 half-open connections are never tracked at once: the
/// longest idle end early (each more than a second after its SYN, with no answer: called
/// unanswered until it was no longer followed) and a warning says how many; the last ones
/// are cut by the capture's end; the real connection keeps its verdict.
#[test]
fn a_faster_syn_flood_ends_the_longest_idle_half_open_connections_early() {
    const N: usize = 50_000;
    const STEP: i64 = 60_000;
    let t0 = cert_expired_frames()[0].0 - (N as i64 / 2) * STEP - STEP / 2;
    let file = spoofed_syn_flood("172.17", N, STEP, t0, true);
    let (r, _d, p) = analyze_bytes("fast-flood.pcap", &file);
    assert_eq!(r.connections.len(), N + 1);
    let flood = flood_around_real(&r, &p);
    let ended = warned_count(
        &r,
        "fast-flood.pcap",
        "connections still open were ended early",
    )
    .expect("a warning saying connections were ended early");
    assert!((N - 32_768 - 64 * 64..N).contains(&ended), "{ended}");
    let count = |cause: Cause, says: fn(&str) -> bool| {
        flood
            .iter()
            .filter(|c| c.cause == Some(cause) && says(&summary(c)))
            .count()
    };
    let no_longer_followed = count(Cause::TcpNoAnswer, |s| {
        s.contains("until it was no longer followed, as too many")
    });
    let capture_ends = count(Cause::CaptureEnded, |s| {
        s.starts_with("the capture ends right after the SYN")
    });
    assert_eq!((no_longer_followed, capture_ends), (ended, N - ended));
}

/// A flood ten times faster (60,000 SYNs in 0.6 s): the half-open connections ended early
/// were followed for less than a second, too short to call them unanswered: each is
/// `capture_ended`, "no longer followed right after the SYN", never "the capture ends".
#[test]
fn syns_no_longer_followed_within_a_second_are_not_called_unanswered() {
    const N: usize = 60_000;
    let file = spoofed_syn_flood("172.18", N, 10_000, T0, false);
    let (r, _d, _p) = analyze_bytes("faster-flood.pcap", &file);
    assert_eq!(r.connections.len(), N);
    let ended = warned_count(
        &r,
        "faster-flood.pcap",
        "connections still open were ended early",
    )
    .expect("a warning saying connections were ended early");
    assert!(ended >= N - 32_768 - 64 * 64, "{ended}");
    assert!(
        r.connections
            .iter()
            .all(|c| c.cause == Some(Cause::CaptureEnded))
    );
    let count = |start: &str| {
        r.connections
            .iter()
            .filter(|c| summary(c).starts_with(start))
            .count()
    };
    assert_eq!(
        (
            count("no longer followed right after the SYN, as too many connections"),
            count("the capture ends right after the SYN")
        ),
        (ended, N - ended)
    );
}

/// Files of 4 MiB or more are read after the smaller ones, one at a time; the report keeps
/// the files' order all the same. Here a small capture, a 5 MB one (the fixture's
/// connection after 5 MB of frames that decode as nothing) and the small one again.
#[test]
fn large_files_are_read_one_at_a_time_in_their_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pcap = Pcap::new(1);
    let real = cert_expired_frames();
    let mut big = pcap.header();
    for k in 0..5_000i64 {
        big.extend(pcap.record(real[0].0 - SEC + k, &[0x42; 1_000]));
    }
    for (t, f) in &real {
        big.extend(pcap.record(*t, f));
    }
    assert!(big.len() as u64 >= rdptriage::analyze::PARALLEL_FILE_BYTES);
    let paths = vec![
        write(dir.path(), "a-small.pcap", &cert_expired()),
        write(dir.path(), "b-large.pcap", &big),
        write(dir.path(), "c-small.pcap", &cert_expired()),
    ];
    let r = rdptriage::analyze::analyze_paths(&paths, &Default::default());
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let inputs: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(inputs, names.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.inputs[1].packets, 5_000 + 16);
    assert_eq!(r.connections.len(), 3);
    for (c, name) in r.connections.iter().zip(&names) {
        assert_cert_expired_connection(c, name);
    }
    let ids: Vec<String> = r.connections.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
}

/// A flood of connections that stopped at TCP around one that got further: the flood fills
/// nine tenths of the listing, and the real failure is listed (and has its finding) even
/// though it comes after the flood; at the run's limit too, it is kept before the flood.
#[test]
fn a_flood_never_hides_the_failure_it_surrounds() {
    let pcap = Pcap::new(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut fr = Vec::new();
    for n in 0..300usize {
        let c = Conv::new(
            &format!("10.5.{}.{}:40000", n / 200, n % 200),
            "10.0.0.1:3389",
        );
        let t = T0 + n as i64 * MS;
        fr.push((t, c.syn().frame(Link::Eth)));
        fr.push((t + MS / 2, c.refuse().frame(Link::Eth)));
    }
    // After the flood: a client whose X.224 Connection Request the server answers with a
    // reset (x224_rejected).
    let real = Conv::new("10.6.0.7:50000", "10.0.0.1:3389");
    let t = T0 + 400 * MS;
    let mut segs = handshake(&real, t);
    segs.push((t + 5 * MS, real.c(0, 0).data(&X224_CR)));
    segs.push((t + 6 * MS, real.s(0, X224_CR.len() as u32).rst()));
    fr.extend(frames(Link::Eth, &segs));
    let path = write(dir.path(), "flood.pcap", &pcap.file(&fr));
    // Refused ones listed: nine tenths of the room, a capture's 200 or the run's 100 (the
    // connection that got further, listed when it finished, counts in the first).
    for (max, listed_refused) in [((200, 1000), 179), ((1000, 100), 90)] {
        let opts = rdptriage::analyze::Options {
            max_connections: Some(max),
            ..Default::default()
        };
        let r = rdptriage::analyze::analyze_paths(std::slice::from_ref(&path), &opts);
        let refused = r
            .connections
            .iter()
            .filter(|c| c.cause == Some(Cause::TcpRefused))
            .count();
        assert_eq!(refused, listed_refused, "{max:?}");
        let real_one: Vec<_> = r
            .connections
            .iter()
            .filter(|c| c.client.port == 50000)
            .collect();
        assert_eq!(real_one.len(), 1, "{max:?}");
        assert_eq!(
            real_one[0].failed_stage,
            Some(rdptriage::model::Stage::X224)
        );
        let id = real_one[0].id.to_string();
        assert!(
            r.findings.iter().any(|f| f.connections.contains(&id)),
            "{max:?}: {:?}",
            r.findings.iter().map(|f| &f.summary).collect::<Vec<_>>()
        );
    }
}

/// A capture lists at most so many RDP connections, and a run so many over its captures;
/// the others are judged and counted by cause, and a warning says how many. Here two
/// captures of 300 refused connections each, with at most 200 a capture and 350 a run.
#[test]
fn captures_and_runs_list_a_bounded_number_of_connections() {
    let pcap = Pcap::new(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for f in 0..2 {
        let mut fr = Vec::new();
        for n in 0..300usize {
            let c = Conv::new(
                &format!("10.{f}.{}.{}:40000", n / 200, n % 200),
                "10.0.0.1:3389",
            );
            let t = T0 + n as i64 * MS;
            fr.push((t, c.syn().frame(Link::Eth)));
            fr.push((t + MS / 2, c.refuse().frame(Link::Eth)));
        }
        paths.push(write(
            dir.path(),
            &format!("refused-{f}.pcap"),
            &pcap.file(&fr),
        ));
    }
    let opts = rdptriage::analyze::Options {
        max_connections: Some((200, 350)),
        ..Default::default()
    };
    // The run's limit goes to the captures in the order given, whatever the threads' timing.
    // Connections that stopped at TCP fill at most nine tenths of a capture's room (the rest
    // is kept for any that got further): the first lists 180, the second the 170 left.
    for _ in 0..5 {
        let r = rdptriage::analyze::analyze_paths(&paths, &opts);
        assert_eq!(r.connections.len(), 350);
        assert!(
            r.connections
                .iter()
                .all(|c| c.cause == Some(Cause::TcpRefused))
        );
        for (path, listed) in paths.iter().zip([180, 170]) {
            let name = path.display().to_string();
            assert_eq!(
                r.connections.iter().filter(|c| c.input() == name).count(),
                listed,
                "{name}"
            );
            let input = r.inputs.iter().find(|i| i.path == name).expect("input");
            assert_eq!(input.stats.as_ref().map(|s| s.rdp_connections), Some(300));
            let counted = 300 - listed;
            let warnings: Vec<&String> = input
                .warnings
                .iter()
                .filter(|w| w.contains("judged and counted, not listed"))
                .collect();
            assert_eq!(
                warnings,
                [&format!(
                    "{counted} RDP connections were judged and counted, not listed, once \
                     {listed} were listed (a capture lists at most 200, a run 350; bounded \
                     memory): tcp_refused {counted}"
                )]
            );
        }
    }
    let r = rdptriage::analyze::analyze_paths(&paths, &opts);
    // The headline counts what was judged, then what is listed.
    let text = rdptriage::report::text::render(&r);
    let headline = text.lines().nth(1).unwrap_or_default();
    assert!(
        headline.starts_with(
            "Read 2 captures (1200 packets): 600 RDP connections, 350 listed (350 failed) in 350 attempts, 350 failed in the end; "
        ),
        "{headline}"
    );
}

/// Which files are read side by side and which alone, after them, follows their size as
/// read, not as stored: a gzip of 30 KB that expands to 5 MiB is read after a plain capture
/// given after it, and so the run's listing limit goes to the plain capture first.
#[test]
fn a_small_gzip_that_expands_is_read_as_a_large_file() {
    let pcap = Pcap::new(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = |net: u8, padding: usize| {
        let c = Conv::new(&format!("10.{net}.0.5:40000"), "10.0.0.1:3389");
        let mut fr = vec![
            (T0, c.syn().frame(Link::Eth)),
            (T0 + MS, c.refuse().frame(Link::Eth)),
        ];
        // Frames of another conversation, all alike: they compress to almost nothing.
        let other = Conv::new("10.9.0.1:5000", "10.9.0.2:80");
        for k in 0..padding {
            fr.push((
                T0 + 2 * MS + k as i64,
                other.c(0, 0).bytes(1400).frame(Link::Eth),
            ));
        }
        pcap.file(&fr)
    };
    let big = refused(1, 3800);
    assert!(big.len() as u64 >= rdptriage::analyze::PARALLEL_FILE_BYTES);
    let packed = gzip(&big);
    assert!((packed.len() as u64) < rdptriage::analyze::PARALLEL_FILE_BYTES / 16);
    let first = write(dir.path(), "a-expands.pcap.gz", &packed);
    let second = write(dir.path(), "b-small.pcap", &refused(2, 0));
    assert_eq!(
        rdptriage::input::expanded_size(&first),
        big.len() as u64,
        "the gzip trailer's size"
    );
    let opts = rdptriage::analyze::Options {
        max_connections: Some((10, 1)),
        ..Default::default()
    };
    let r = rdptriage::analyze::analyze_paths(&[first.clone(), second.clone()], &opts);
    let listed: Vec<String> = r
        .connections
        .iter()
        .map(|c| c.input().to_string())
        .collect();
    assert_eq!(listed, [second.display().to_string()]);
}

// ---------------------------------------------------------------------------------------
// Clocks and checksums
// ---------------------------------------------------------------------------------------

/// Timestamps going backwards: the fixture's frames 9–16 an hour earlier than frames 1–8,
/// and then a capture whose clock jumps back three days. Frames are analysed in file order
/// (as Wireshark numbers them); every frame is read and the connection keeps its verdict.
#[test]
fn timestamps_going_backwards() {
    let mut frames = cert_expired_frames();
    for (t, _) in frames[8..].iter_mut() {
        *t -= 3600 * SEC;
    }
    let (r, _d, p) = analyze_bytes("back-1h.pcap", &Pcap::new(1).file(&frames));
    let i = only_input(&r);
    assert_eq!((i.packets, i.warnings.clone()), (16, vec![]));
    assert_cert_expired_connection(only_conn(&r), &p.display().to_string());
    // The capture's span: its first frame's time, and the latest time seen (frame 8's).
    assert_eq!(
        (i.first_packet.as_deref(), i.last_packet.as_deref()),
        (
            Some("2026-11-22T03:42:30.462804Z"),
            Some("2026-11-22T03:42:30.554757Z")
        )
    );

    for (t, _) in frames[8..].iter_mut() {
        *t -= 3 * 86_400 * SEC;
    }
    let (r, _d, p) = analyze_bytes("back-3d.pcap", &Pcap::new(1).file(&frames));
    let i = only_input(&r);
    assert_eq!((i.packets, i.warnings.clone()), (16, vec![]));
    assert_cert_expired_connection(only_conn(&r), &p.display().to_string());
}

/// evtx chunks with bad checksums: a file of two chunks (the fixtures' RdpCoreTS and
/// Security chunks), the first with a record byte changed (its records' CRC no longer
/// matches) and the second with its header CRC zeroed. Both chunks' records are still read;
/// a warning names each chunk.
#[test]
fn evtx_chunks_with_bad_checksums() {
    let core = fixture("fixtures/eventlog/server-rdpcorets.evtx");
    let sec = fixture("fixtures/eventlog/server-security.evtx");
    let (header, chunk_a, chunk_b) = (
        &core[..4096],
        &core[4096..4096 + 65536],
        &sec[4096..4096 + 65536],
    );
    let mut a = chunk_a.to_vec();
    // The last byte of the records area (before the free space) is padding: changing it
    // breaks the CRC, not the records.
    let free = u32::from_le_bytes(a[48..52].try_into().unwrap()) as usize;
    a[free - 1] ^= 0xff;
    let mut b = chunk_b.to_vec();
    b[124..128].copy_from_slice(&[0; 4]);
    let file = [header, &a, &b].concat();
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad-crc.evtx", &file);
    let good_core = write(dir.path(), "core.evtx", &core);
    let good_sec = write(dir.path(), "sec.evtx", &sec);
    let r_bad = analyze(std::slice::from_ref(&bad));
    let r_good = analyze(&[good_core, good_sec]);
    let i = only_input(&r_bad);
    assert_eq!(
        i.warnings,
        vec![
            "chunk 0: CRC32 of its records does not match; its records are read anyway".to_string(),
            "chunk 1: CRC32 of its header does not match; its records are read anyway".to_string(),
        ]
    );
    assert_eq!(i.corrupt_records, 0);
    let ids =
        |r: &Report| -> Vec<(u32, u64)> { r.events.iter().map(|e| (e.id, e.record_id)).collect() };
    assert_eq!(ids(&r_bad), ids(&r_good));
    assert_eq!(
        i.events,
        r_good.inputs.iter().map(|i| i.events).sum::<u64>()
    );
    assert!(i.events > 0);
}

// ---------------------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------------------

/// The command line on hostile input: 0 when anything was read (the bad part is a warning in
/// the report), 2 when nothing was.
#[test]
fn exit_codes_on_hostile_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = |paths: &[&PathBuf]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rdptriage"))
            .arg("analyze")
            .args(paths)
            .args(["--format", "json"])
            .output()
            .expect("run rdptriage")
    };
    let mut five = cert_expired();
    for _ in 0..5 {
        five = gzip(&five);
    }
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let five = write(dir.path(), "five.gz", &five);
    let junk = write(dir.path(), "junk.bin", &junk);
    let out = run(&[&five, &junk]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "rdptriage: no readable input (see the list above)"
    );

    let mut cut = cert_expired();
    cut.truncate(cut.len() - 10);
    let cut = write(dir.path(), "cut.pcap", &cut);
    let out = run(&[&five, &cut]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(v["connections"].as_array().map(Vec::len), Some(1));
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(
        warnings,
        vec![
            format!(
                "{}: archives nested deeper than 4 levels are not opened",
                five.display()
            ),
            format!(
                "{}: truncated record: frame 16 claims 54 bytes, the file ends after 44 at offset 3224",
                cut.display()
            ),
        ]
    );
}

/// An archive of more members than [`input::MAX_ZIP_MEMBERS`] (here a cap of 3 for the test):
/// the first ones are read in archive order, and one failure entry names how many were left.
#[test]
fn zip_members_past_the_cap_are_counted_not_opened() {
    let limits = Limits {
        max_zip_members: 3,
        ..Limits::DEFAULT
    };
    let z = zip_of(&[
        ("a.txt", false, b"one"),
        ("b.txt", false, b"two"),
        ("c.txt", false, b"three"),
        ("d.txt", false, b"four"),
        ("e.txt", false, b"five"),
    ]);
    let (s, failures) = streams(&z, limits);
    let names: Vec<&str> = s.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["upload!a.txt", "upload!b.txt", "upload!c.txt"]);
    assert_eq!(
        failures,
        ["upload [zip]: the archive has 5 members: the first 3 were opened, the other 2 were not"]
    );
}

/// Archives inside archives share one memory budget, all levels together (each level its
/// own would stack: three nested archives of 255 MiB held 1 GB): with room for 6,000 bytes,
/// a 4,000-byte inner zip is opened, a 4,000-byte zip inside it is not, and a sibling
/// opened after the first is released has the room again.
#[test]
fn nested_archives_share_one_memory_budget() {
    let limits = Limits {
        max_nested_archive_bytes: 6_000,
        ..Limits::DEFAULT
    };
    let pad = |n: usize| -> Vec<u8> { (0..n).map(|i| (i * 7919 % 251) as u8).collect() };
    let innermost = zip_of(&[("deep.bin", false, &pad(3_900))]);
    let inner = zip_of(&[("inner.zip", false, &innermost), ("c.bin", false, b"c")]);
    let sibling = zip_of(&[("s.bin", false, &pad(4_000))]);
    assert!((4_000..6_000).contains(&inner.len()), "{}", inner.len());
    assert!((4_000..6_000).contains(&sibling.len()), "{}", sibling.len());
    let z = zip_of(&[
        ("inner.zip", false, &inner),
        ("sibling.zip", false, &sibling),
    ]);
    let (s, failures) = streams(&z, limits);
    let names: Vec<&str> = s.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        names,
        ["upload!inner.zip!c.bin", "upload!sibling.zip!s.bin"]
    );
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with(&format!(
            "upload!inner.zip!inner.zip [zip/zip]: nested archive not opened: archives inside archives may hold 6000 bytes in memory at once, all levels together, and this one is larger than the {} bytes left",
            6_000 - inner.len()
        )),
        "{failures:?}"
    );
}

/// A peer that floods TLS alerts: the connection keeps the first 32 alert records and counts
/// the rest, so memory does not grow with them (the JSON says how many were left out).
#[test]
fn tls_alerts_kept_per_connection_are_capped() {
    let c = Conv::new("10.7.0.5:50000", "10.7.0.9:3389");
    // The server selects SSL (RDP_NEG_RSP, PROTOCOL_SSL), then the client sends 100 warning
    // alerts (close_notify), each a 7-byte record, in one segment.
    let cc: [u8; 19] = [
        0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00,
        0x01, 0x00, 0x00, 0x00,
    ];
    let alerts: Vec<u8> = (0..100)
        .flat_map(|_| [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00])
        .collect();
    let mut segs = handshake(&c, T0);
    segs.extend([
        (T0 + 30 * MS, c.c(0, 0).data(&X224_CR)),
        (T0 + 31 * MS, c.s(0, 19).data(&cc)),
        (T0 + 32 * MS, c.c(19, 19).data(&alerts)),
        (T0 + 33 * MS, c.s(19, 19 + alerts.len() as u32)),
    ]);
    let bytes = Pcap::new(1).file(&frames(Link::Eth, &segs));
    let (r, _dir, _) = analyze_bytes("alerts.pcap", &bytes);
    assert_eq!(r.connections.len(), 1);
    let detail = r.connections[0].detail();
    let tls = detail.tls.as_ref().expect("tls facts");
    assert_eq!(tls.alerts.len(), 32);
    assert_eq!(tls.alerts_omitted, 68);
    assert!(
        tls.alerts.iter().all(|a| a.frame == 6),
        "{:?}",
        tls.alerts[0]
    );
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
    assert_eq!(v["connections"][0]["tls"]["alerts_omitted"], 68);
    assert_eq!(
        v["connections"][0]["tls"]["alerts"]
            .as_array()
            .map(Vec::len),
        Some(32)
    );
}

/// One warning per unknown pcapng block, for a file of thousands of them: the first 100 are
/// listed, the rest counted in one more warning that names the last of them, so the problem
/// that ended the read (here the file cut inside a block header) is never crowded out.
#[test]
fn problems_of_a_capture_are_listed_up_to_a_hundred() {
    let c = Conv::new("10.8.0.5:50000", "10.8.0.9:3389");
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    w.epb(0, (T0 / 1000) as u64, &c.syn().frame(Link::Eth));
    let first_unknown = w.block(0x99, &[0; 8]);
    for _ in 1..5000 {
        w.block(0x99, &[0; 8]);
    }
    w.epb(
        0,
        ((T0 + 10 * MS) / 1000) as u64,
        &c.refuse().frame(Link::Eth),
    );
    let mut bytes = w.bytes();
    let cut_at = bytes.len();
    bytes.extend_from_slice(&[0x99, 0, 0, 0, 20, 0]);
    let (r, _d, _p) = analyze_bytes("flood.pcapng", &bytes);
    let i = &r.inputs[0];
    assert_eq!(i.packets, 2);
    assert_eq!(i.warnings.len(), 101, "{:?}", &i.warnings[95..]);
    assert_eq!(
        i.warnings[0],
        format!(
            "skipped unknown pcapng block type 0x00000099 (20 bytes) at offset {first_unknown}"
        )
    );
    let last = &i.warnings[100];
    assert!(
        last.starts_with(
            "4900 more problems were counted, not listed; the last of them: truncated pcapng block"
        ),
        "{last}"
    );
    assert!(last.contains(&format!("at offset {cut_at}")), "{last}");
    assert_eq!(r.connections[0].cause, Some(Cause::TcpRefused));
}

/// A bundle of many damaged files: each lists its own warning, and the run's list repeats
/// the first 1,000 and says how many more there are.
#[test]
fn the_runs_warnings_are_capped_with_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bytes, _) = Pcap::new(1).file_with_offsets(&[]);
    let mut damaged = bytes.clone();
    damaged.extend(std::iter::repeat_n(0xee, 40));
    let n = rdptriage::analyze::MAX_RUN_WARNINGS + 100;
    for k in 0..n {
        write(dir.path(), &format!("d{k:05}.pcap"), &damaged);
    }
    let r = analyze(&[dir.path().to_path_buf()]);
    assert_eq!(r.inputs.len(), n);
    assert!(r.inputs.iter().all(|i| i.warnings.len() == 1));
    assert_eq!(r.warnings.len(), rdptriage::analyze::MAX_RUN_WARNINGS + 1);
    assert!(r.warnings[0].ends_with("d00000.pcap: corrupt record header after frame 0; skipped 40 bytes to the end of the file at offset 24"), "{}", r.warnings[0]);
    assert_eq!(
        r.warnings.last().map(String::as_str),
        Some("100 more warnings of the inputs are not repeated here: each input lists its own")
    );
}

/// An XML export past the run's limit is read again too: with the limit at 5, the JSON of
/// the two XML fixtures (6 and 2 catalog events) lists all 8, the 5 kept first, then the
/// others in file order; a gzip of the same is not read twice and lists the 5 kept.
#[test]
fn an_xml_export_past_the_limit_is_listed_whole() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/eventlog");
    let paths = [
        dir.join("server-rdpcorets.xml"),
        dir.join("server-security.xml"),
    ];
    let opts = rdptriage::analyze::Options {
        max_run_events: Some(5),
        ..Default::default()
    };
    let r = rdptriage::analyze::analyze_paths(&paths, &opts);
    assert_eq!(r.events.len(), 5);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let listed: Vec<(String, u64)> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let input = e["input"].as_str().unwrap();
            let file = input.rsplit('/').next().unwrap().to_string();
            (file, e["record_id"].as_u64().unwrap())
        })
        .collect();
    let names: Vec<&str> = listed.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "server-rdpcorets.xml",
            "server-rdpcorets.xml",
            "server-rdpcorets.xml",
            "server-rdpcorets.xml",
            "server-rdpcorets.xml",
            "server-rdpcorets.xml",
            "server-security.xml",
            "server-security.xml"
        ]
    );
    assert_eq!(
        listed.iter().map(|(_, id)| *id).collect::<Vec<_>>()[5..],
        [4216, 118734, 118735]
    );

    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("server-rdpcorets.xml.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut enc, &std::fs::read(&paths[0]).unwrap()).unwrap();
    enc.finish().unwrap();
    let opts = rdptriage::analyze::Options {
        max_run_events: Some(4),
        ..Default::default()
    };
    let r = rdptriage::analyze::analyze_paths(&[gz], &opts);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["events"].as_array().unwrap().len(), 4);
}
