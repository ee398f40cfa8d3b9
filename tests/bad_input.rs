//! Bad input: empty files, cut files, garbage between records, corrupt block lengths,
//! corrupt archive members. Whatever is readable is analysed; every problem is a warning
//! naming the file and the byte offset; nothing panics.

mod support;

use rdptriage::model::{Stage, Status};
use std::io::Cursor;

use rayon::prelude::*;
use rdptriage::analyze::{Options, analyze_capture};
use rdptriage::capture::CaptureFormat;
use rdptriage::report::Report;
use support::*;

fn conv() -> Conv {
    Conv::new("10.1.0.5:50000", "10.2.0.9:3389")
}

/// SYN (58 bytes), SYN-ACK (58), ACK (54), 100 client bytes (154), 100 more (154).
fn five_frames() -> Vec<(i64, Vec<u8>)> {
    let c = conv();
    let mut segs = handshake(&c, T0);
    segs.push((T0 + 30 * MS, c.c(0, 0).bytes(100)));
    segs.push((T0 + 31 * MS, c.c(100, 0).bytes(100)));
    frames(Link::Eth, &segs)
}

#[test]
fn zero_length_file_is_skipped() {
    let (r, _d, p) = analyze_bytes("empty.pcap", b"");
    let i = only_input(&r);
    assert_eq!(i.path, p.display().to_string());
    assert_eq!(
        (i.kind.as_str(), i.skipped, i.packets),
        ("unknown", true, 0)
    );
    assert!(r.connections.is_empty());
}

/// Record offsets: 24, 98, 172, 242, 412; the file would end at 582. Cut 50 bytes into
/// record 5's data: frames 1–4 are analysed, and the warning names record 5's offset.
#[test]
fn pcap_truncated_inside_a_record() {
    let (bytes, offsets) = Pcap::new(1).file_with_offsets(&five_frames());
    assert_eq!(offsets, [24, 98, 172, 242, 412]);
    assert_eq!(bytes.len(), 582);
    let cut = &bytes[..412 + 16 + 50];
    let (r, _d, p) = analyze_bytes("cut.pcap", cut);
    let i = only_input(&r);
    assert_eq!((i.packets, i.skipped), (4, false));
    let w = "truncated record: frame 5 claims 154 bytes, the file ends after 50 at offset 412";
    assert_eq!(i.warnings, [w]);
    assert_eq!(r.warnings, [format!("{}: {w}", p.display())]);
    let conn = only_conn(&r);
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
    assert_eq!(conn.last_frame, 4);
    assert_eq!(conn.detail().network.client.payload_bytes, 100);

    // Cut 5 bytes into record 5's header.
    let (r, _d, _p) = analyze_bytes("cut2.pcap", &bytes[..412 + 5]);
    let i = only_input(&r);
    assert_eq!(i.packets, 4);
    assert_eq!(
        i.warnings,
        ["truncated record header: the file ends 5 bytes into a 16-byte header at offset 412"]
    );
}

/// 37 bytes of garbage between records 2 and 3 (at offset 172): skipped, reported at its
/// offset, and records 3–5 are still read as frames 3–5.
#[test]
fn pcap_garbage_between_records_resyncs() {
    let (bytes, _) = Pcap::new(1).file_with_offsets(&five_frames());
    // Pseudo-random bytes (a fixed LCG), so the test is repeatable.
    let mut x: u32 = 12345;
    let garbage: Vec<u8> = (0..37)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let mut bad = bytes[..172].to_vec();
    bad.extend_from_slice(&garbage);
    bad.extend_from_slice(&bytes[172..]);
    let (r, _d, p) = analyze_bytes("garbage.pcap", &bad);
    let i = only_input(&r);
    assert_eq!(i.packets, 5);
    let w = "corrupt record header after frame 2; skipped 37 bytes to the next valid record at offset 172";
    assert_eq!(i.warnings, [w]);
    assert_eq!(r.warnings, [format!("{}: {w}", p.display())]);
    let conn = only_conn(&r);
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
    assert_eq!(conn.last_frame, 5);
    assert_eq!(conn.detail().network.client.payload_bytes, 200);
    assert_eq!(conn.detail().network.missed_bytes, 0);

    // Garbage to the end of the file.
    let mut tail = bytes[..98].to_vec();
    tail.extend(std::iter::repeat_n(0xee, 1000));
    let (r, _d, _p) = analyze_bytes("tail.pcap", &tail);
    let i = only_input(&r);
    assert_eq!(i.packets, 1);
    assert_eq!(
        i.warnings,
        [
            "corrupt record header after frame 1; skipped 1000 bytes to the end of the file at offset 98"
        ]
    );
}

/// One junk byte right after the global header: the first "record" read there is
/// believed only if the record after it agrees with its clock, so the real first record,
/// one byte on, is found and all five frames are read.
#[test]
fn pcap_junk_byte_before_the_first_record_loses_only_the_byte() {
    let (bytes, _) = Pcap::new(1).file_with_offsets(&five_frames());
    for junk in [0x00u8, 0x4a, 0xff] {
        let mut bad = bytes[..24].to_vec();
        bad.push(junk);
        bad.extend_from_slice(&bytes[24..]);
        let (r, _d, _p) = analyze_bytes("junk.pcap", &bad);
        let i = only_input(&r);
        assert_eq!(i.packets, 5, "junk {junk:#x}: {:?}", i.warnings);
        assert_eq!(
            i.warnings,
            [
                "corrupt record header after frame 0; skipped 1 bytes to the next valid record at offset 24"
            ]
        );
        assert_eq!(only_conn(&r).last_frame, 5);
    }
}

/// A corrupt stretch longer than one 16 MiB search window: the search goes on over the next
/// windows and the records after it are read, with one warning for the whole stretch.
#[test]
fn pcap_corrupt_stretch_longer_than_a_window_resyncs() {
    let (bytes, _) = Pcap::new(1).file_with_offsets(&five_frames());
    let stretch = 40 << 20;
    let mut bad = bytes[..172].to_vec();
    bad.extend(std::iter::repeat_n(0xee, stretch));
    bad.extend_from_slice(&bytes[172..]);
    let (r, _d, _p) = analyze_bytes("long-garbage.pcap", &bad);
    let i = only_input(&r);
    assert_eq!(i.packets, 5);
    assert_eq!(
        i.warnings,
        [format!(
            "corrupt record header after frame 2; skipped {stretch} bytes to the next valid record at offset 172"
        )]
    );
    assert_eq!(only_conn(&r).last_frame, 5);
}

/// Damage right after a clock jump of more than a day (a capture left running over a
/// weekend): the records after the damage agree with each other, not with the clock before
/// it, and are still read.
#[test]
fn pcap_damage_after_a_clock_jump_loses_only_the_damage() {
    let c = conv();
    let mut segs = handshake(&c, T0);
    let later = T0 + 3 * 86_400 * 1_000 * MS;
    segs.push((later, c.c(0, 0).bytes(100)));
    segs.push((later + MS, c.c(100, 0).bytes(100)));
    let (bytes, offsets) = Pcap::new(1).file_with_offsets(&frames(Link::Eth, &segs));
    let mut bad = bytes[..offsets[3]].to_vec();
    bad.extend_from_slice(&[0x5a; 29]);
    bad.extend_from_slice(&bytes[offsets[3]..]);
    let (r, _d, _p) = analyze_bytes("weekend.pcap", &bad);
    let i = only_input(&r);
    assert_eq!(i.packets, 5, "{:?}", i.warnings);
    assert_eq!(
        i.warnings,
        [format!(
            "corrupt record header after frame 3; skipped 29 bytes to the next valid record at offset {}",
            offsets[3]
        )]
    );
}

/// A pcapng of the five frames whose 4th Enhanced Packet Block has its length field
/// overwritten with `bad_len`. Returns the file, the 4th block's offset and its length.
fn pcapng_with_bad_length(bad_len: u32) -> (Vec<u8>, usize, usize) {
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    let mut at = 0;
    for (k, (t, f)) in five_frames().iter().enumerate() {
        let o = w.epb(0, us(*t), f);
        if k == 3 {
            at = o;
        }
    }
    let mut bytes = w.bytes();
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4")) as usize;
    bytes[at + 4..at + 8].copy_from_slice(&bad_len.to_le_bytes());
    (bytes, at, len)
}

/// Block 4 (the first 100 client bytes) is lost to a corrupt length, whatever the corrupt
/// value: the block is skipped, the 5th block is read as frame 4, and the lost bytes show as
/// 100 missed bytes in the client's direction.
#[test]
fn pcapng_corrupt_block_length_resyncs() {
    for (bad_len, why) in [
        // Aligned and inside the file: the trailing length disagrees.
        (192, "block lengths at its start and end differ"),
        // Not a multiple of 4.
        (93, "block length 93 is invalid"),
        // Aligned, but runs past the end of the file.
        (65_536, "block length 65536 runs past the end of the file"),
    ] {
        let (bytes, at, len) = pcapng_with_bad_length(bad_len);
        assert_eq!(len, 188, "EPB of a 154-byte frame: 28 + 156 (padded) + 4");
        let (r, _d, p) = analyze_bytes("badlen.pcapng", &bytes);
        let i = only_input(&r);
        assert_eq!(i.packets, 4, "{why}");
        let w = format!(
            "corrupt pcapng block after frame 3 ({why}); skipped {len} bytes to the next valid block at offset {at}"
        );
        assert_eq!(i.warnings, std::slice::from_ref(&w));
        assert_eq!(r.warnings, [format!("{}: {w}", p.display())]);
        let conn = only_conn(&r);
        assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
        assert_eq!(conn.last_frame, 4);
        assert_eq!(conn.detail().network.client.gaps, 1);
        assert_eq!(conn.detail().network.client.missed_bytes, 100);
    }
}

/// A corrupt stretch longer than one 16 MiB search window between two blocks: the search
/// goes on over the next windows; one warning covers the whole stretch.
#[test]
fn pcapng_corrupt_stretch_longer_than_a_window_resyncs() {
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    let mut offsets = Vec::new();
    for (t, f) in five_frames() {
        offsets.push(w.epb(0, us(t), &f));
    }
    let bytes = w.bytes();
    let stretch = (40 << 20) + 8;
    let mut bad = bytes[..offsets[2]].to_vec();
    bad.extend(std::iter::repeat_n(0xee, stretch));
    bad.extend_from_slice(&bytes[offsets[2]..]);
    let (r, _d, _p) = analyze_bytes("long-garbage.pcapng", &bad);
    let i = only_input(&r);
    assert_eq!(i.packets, 5);
    assert_eq!(
        i.warnings,
        [format!(
            "corrupt pcapng block after frame 2 (block length 4008636142 is invalid); skipped {stretch} bytes to the next valid block at offset {}",
            offsets[2]
        )]
    );
    assert_eq!(only_conn(&r).last_frame, 5);
}

/// A zip whose central directory is gone (cut off entirely, or only its last 10 bytes):
/// every member is still read, by its local header, with one warning saying so.
#[test]
fn zip_without_its_central_directory_reads_every_member() {
    let caps: Vec<Vec<u8>> = (1..=3)
        .map(|k| {
            let c = Conv::new(&format!("10.1.0.5:5000{k}"), "10.2.0.9:3389");
            pcap_of(Link::Eth, &handshake(&c, T0))
        })
        .collect();
    let z = zip_of(&[
        ("one.pcap", false, &caps[0]),
        ("two.pcap", true, &caps[1]),
        ("three.pcap", false, &caps[2]),
    ]);
    let (_, central) = zip_headers(&z, "one.pcap");
    for (label, cut) in [
        ("no central directory", central),
        ("last 10 bytes", z.len() - 10),
    ] {
        let (r, _d, p) = analyze_bytes("cut.zip", &z[..cut]);
        let base = p.display().to_string();
        let read: Vec<(String, u64)> = r
            .inputs
            .iter()
            .map(|i| (i.path.clone(), i.packets))
            .collect();
        // The members, then the archive itself, listed for its warning.
        assert_eq!(
            read[..3],
            ["one.pcap", "two.pcap", "three.pcap"].map(|m| (format!("{base}!{m}"), 3)),
            "{label}"
        );
        assert_eq!(read[3..], [(base.clone(), 0)], "{label}");
        assert_eq!(r.connections.len(), 3, "{label}");
        assert!(
            r.warnings
                .iter()
                .any(|w| w.starts_with(&format!(
                    "{base}: the zip's central directory cannot be read ("
                )) && w.ends_with("): its members are read by their local headers")),
            "{label}: {:?}",
            r.warnings
        );
    }
}

/// The last block cut short is a truncation, not a corrupt length.
#[test]
fn pcapng_truncated_last_block() {
    let mut w = Pcapng::new(false);
    w.idb(1, 0, None);
    let mut last = 0;
    for (t, f) in five_frames() {
        last = w.epb(0, us(t), &f);
    }
    let bytes = w.bytes();
    let cut = &bytes[..last + 100];
    let (r, _d, _p) = analyze_bytes("cutng.pcapng", cut);
    let i = only_input(&r);
    assert_eq!(i.packets, 4);
    assert_eq!(
        i.warnings,
        [format!(
            "truncated pcapng block: a block of 188 bytes, the file ends after 100 at offset {last}"
        )]
    );
}

/// Offset of the local header of the member named `name` in zip bytes `z`, and of its
/// central directory entry.
fn zip_headers(z: &[u8], name: &str) -> (usize, usize) {
    let find = |sig: &[u8], name_at: usize| {
        (0..z.len() - 4)
            .find(|&i| z[i..].starts_with(sig) && z[i + name_at..].starts_with(name.as_bytes()))
            .expect("header")
    };
    (find(b"PK\x03\x04", 30), find(b"PK\x01\x02", 46))
}

/// A zip with two corrupt members between two good ones: `badcrc.pcap` (stored) has a wrong
/// CRC-32 in its headers, so its bytes are all read and the check fails at its end;
/// `bad.pcap` (deflated) has the second half of its deflate stream overwritten. The good
/// members are analysed in full; each corrupt one is listed with a warning.
#[test]
fn zip_with_corrupt_members() {
    let convs: Vec<Conv> = (1..=4)
        .map(|k| Conv::new(&format!("10.1.0.5:5000{k}"), "10.2.0.9:3389"))
        .collect();
    let cap = |c: &Conv| {
        let mut segs = handshake(c, T0);
        for k in 0..20 {
            segs.push((T0 + (30 + k) * MS, c.c(k as u32 * 500, 0).bytes(500)));
        }
        pcap_of(Link::Eth, &segs)
    };
    let caps: Vec<Vec<u8>> = convs.iter().map(cap).collect();
    let mut z = zip_of(&[
        ("good1.pcap", false, &caps[0]),
        ("badcrc.pcap", false, &caps[1]),
        ("bad.pcap", true, &caps[2]),
        ("good2.pcap", false, &caps[3]),
    ]);
    let (local, central) = zip_headers(&z, "badcrc.pcap");
    for at in [local + 14, central + 16] {
        z[at] ^= 0x5a;
    }
    let (local, _) = zip_headers(&z, "bad.pcap");
    let csize = u32::from_le_bytes(z[local + 18..local + 22].try_into().expect("4")) as usize;
    let extra = u16::from_le_bytes([z[local + 28], z[local + 29]]) as usize;
    let data_at = local + 30 + "bad.pcap".len() + extra;
    for b in &mut z[data_at + csize / 2..data_at + csize] {
        *b = 0xff;
    }

    let (r, _d, p) = analyze_bytes("bundle.zip", &z);
    let base = p.display().to_string();
    let paths: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        ["good1.pcap", "badcrc.pcap", "bad.pcap", "good2.pcap"].map(|m| format!("{base}!{m}"))
    );
    // 3 handshake frames + 20 data segments each.
    for i in [&r.inputs[0], &r.inputs[3]] {
        assert_eq!((i.packets, i.skipped), (23, false), "{}", i.path);
        assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    }
    let crc = &r.inputs[1];
    assert_eq!((crc.packets, crc.skipped), (23, false));
    assert_eq!(
        crc.warnings,
        [format!(
            "read error: Invalid checksum at offset {}",
            caps[1].len()
        )]
    );
    let bad = &r.inputs[2];
    assert!(bad.packets < 23, "{}", bad.packets);
    assert!(
        bad.warnings
            .first()
            .is_some_and(|w| w.starts_with("read error: ")),
        "{:?}",
        bad.warnings
    );
    for m in ["badcrc.pcap", "bad.pcap"] {
        let prefix = format!("{base}!{m}: ");
        assert!(
            r.warnings.iter().any(|w| w.starts_with(&prefix)),
            "{:?}",
            r.warnings
        );
    }
    let clients: Vec<String> = r.connections.iter().map(|c| c.client.to_string()).collect();
    assert_eq!(clients.first().map(String::as_str), Some("10.1.0.5:50001"));
    assert_eq!(clients.last().map(String::as_str), Some("10.1.0.5:50004"));
    assert!(clients.iter().any(|c| c == "10.1.0.5:50002"));
    let good2 = r.connections.last().expect("conn");
    assert_eq!(good2.detail().network.client.payload_bytes, 10_000);
}

/// A pcap whose 24-byte file header is cut: nothing can be read; the input is skipped.
#[test]
fn pcap_header_cut() {
    let bytes = Pcap::new(1).file(&five_frames());
    let (r, _d, p) = analyze_bytes("hdr.pcap", &bytes[..10]);
    let i = only_input(&r);
    assert_eq!((i.kind.as_str(), i.packets, i.skipped), ("pcap", 0, true));
    let w = "pcap file header incomplete (10 of 24 bytes) at offset 0";
    assert_eq!(i.warnings, [w]);
    assert_eq!(r.warnings, [format!("{}: {w}", p.display())]);

    // A pcapng cut inside its Section Header Block.
    let mut ng = Pcapng::new(false);
    ng.idb(1, 0, None);
    let (r, _d, _p) = analyze_bytes("hdr.pcapng", &ng.bytes()[..20]);
    let i = only_input(&r);
    assert_eq!((i.kind.as_str(), i.packets, i.skipped), ("pcapng", 0, true));
    assert_eq!(
        i.warnings,
        ["truncated pcapng block: a block of 28 bytes, the file ends after 20 at offset 0"]
    );
}

/// Analyses in memory, as the file's first bytes say.
fn analyze_mem(bytes: &[u8]) -> Option<Report> {
    let format = CaptureFormat::sniff(bytes)?;
    let r = analyze_capture(
        "mem",
        format,
        Box::new(Cursor::new(bytes.to_vec())),
        &Options::default(),
    );
    Some(Report {
        inputs: vec![r.input],
        connections: r.connections,
        ..Default::default()
    })
}

/// A small capture with a bit of everything: handshake, data, an ICMP error, IPv6 in a VLAN
/// tag, a FIN, junk.
fn mixed_frames() -> Vec<(i64, Vec<u8>)> {
    let c = conv();
    let v6 = Conv::new("[2001:db8::5]:50000", "[2001:db8::9]:3389");
    let mut segs = handshake(&c, T0);
    segs.push((T0 + 30 * MS, c.c(0, 0).bytes(10)));
    let mut fr = frames(Link::Eth, &segs);
    let syn = Conv::new("10.1.0.6:50001", "10.2.0.9:3389").syn().ip();
    fr.push((T0 + 40 * MS, Link::Eth.wrap(&syn)));
    fr.push((
        T0 + 41 * MS,
        Link::Eth.wrap(&icmp4_unreachable(
            "10.2.0.9".parse().expect("ip"),
            "10.1.0.6".parse().expect("ip"),
            3,
            &syn,
        )),
    ));
    fr.push((T0 + 42 * MS, v6.syn().frame(Link::Vlan(5))));
    fr.push((T0 + 43 * MS, c.s(0, 10).fin().frame(Link::Eth)));
    fr.push((T0 + 44 * MS, vec![0xab; 30]));
    fr
}

/// Cut at every length, a pcap reads exactly the records that fit, warns exactly when the
/// cut is not on a record boundary, and never panics.
#[test]
fn pcap_truncated_at_every_length() {
    let (bytes, offsets) = Pcap::new(1).file_with_offsets(&mixed_frames());
    let mut ends: Vec<usize> = offsets[1..].to_vec();
    ends.push(bytes.len());
    (0..=bytes.len()).into_par_iter().for_each(|len| {
        let Some(r) = analyze_mem(&bytes[..len]) else {
            assert!(len < 4, "{len}");
            return;
        };
        let i = &r.inputs[0];
        let fit = ends.iter().filter(|&&e| e <= len).count() as u64;
        assert_eq!(i.packets, fit, "len {len}");
        let boundary = len == 24 || ends.contains(&len);
        assert_eq!(
            i.warnings.is_empty(),
            boundary,
            "len {len}: {:?}",
            i.warnings
        );
        assert_eq!(i.skipped, len < 24, "len {len}");
    });
}

/// The same for pcapng in both byte orders: exactly the blocks that fit are read.
#[test]
fn pcapng_truncated_at_every_length() {
    for be in [false, true] {
        let mut w = Pcapng::new(be);
        let mut ends = vec![w.offset()];
        w.idb(1, 0, Some(6));
        ends.push(w.offset());
        let mut packet_ends = Vec::new();
        for (t, f) in mixed_frames() {
            w.epb(0, us(t), &f);
            ends.push(w.offset());
            packet_ends.push(w.offset());
        }
        let bytes = w.bytes();
        (0..=bytes.len()).into_par_iter().for_each(|len| {
            let Some(r) = analyze_mem(&bytes[..len]) else {
                assert!(len < 4, "{len}");
                return;
            };
            let i = &r.inputs[0];
            let fit = packet_ends.iter().filter(|&&e| e <= len).count() as u64;
            assert_eq!(i.packets, fit, "be {be} len {len}");
            assert_eq!(
                i.warnings.is_empty(),
                ends.contains(&len),
                "be {be} len {len}: {:?}",
                i.warnings
            );
            assert_eq!(i.skipped, len < ends[0], "be {be} len {len}");
        });
    }
}

/// NetMon keeps its frame table at the end: a cut file has no table, so nothing is read,
/// but nothing panics either. Only the whole file gives the 24 frames.
#[test]
fn netmon_truncated_at_every_length() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/netmon/http-lo.cap");
    let bytes = std::fs::read(path).expect("fixture");
    (0..=bytes.len()).into_par_iter().for_each(|len| {
        let Some(r) = analyze_mem(&bytes[..len]) else {
            assert!(len < 4, "{len}");
            return;
        };
        let want = if len == bytes.len() { 24 } else { 0 };
        assert_eq!(r.inputs[0].packets, want, "len {len}");
    });
}

/// gzip and zip containers cut anywhere: no panic, and a warning or a skip for every cut.
#[test]
fn containers_truncated_anywhere() {
    let pcap = Pcap::new(1).file(&mixed_frames());
    let gz = gzip(&pcap);
    let z = zip_of(&[("a.pcap", true, &pcap), ("b.pcap", false, &pcap)]);
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in [("x.pcap.gz", &gz), ("x.zip", &z)] {
        (0..bytes.len()).into_par_iter().for_each(|len| {
            let p = write(dir.path(), &format!("{len}-{name}"), &bytes[..len]);
            let r = analyze(&[p]);
            assert!(!r.inputs.is_empty(), "{name} {len}");
            let total: u64 = r.inputs.iter().map(|i| i.packets).sum();
            assert!(total <= 2 * mixed_frames().len() as u64, "{name} {len}");
            // Every input says it was damaged, or the archive says its directory was cut
            // off (the members read whole by their local headers are then complete).
            let flagged = r.inputs.iter().all(|i| i.skipped || !i.warnings.is_empty())
                || r.inputs.iter().any(|i| {
                    i.warnings
                        .iter()
                        .any(|w| w.contains("central directory cannot be read"))
                });
            assert!(flagged, "{name} cut at {len}: {:#?}", r.inputs);
        });
    }
}
