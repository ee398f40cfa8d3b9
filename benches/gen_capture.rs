//! Deterministic generator of large benchmark captures.
//!
//! ```text
//! cargo run --release --example gen-capture -- OUT.pcap --size-mb 1100 [--seed N]
//!     [--format pcap|pcapng] [--duration-s 3600] [--rdp-scale 100] [--templates DIR]
//! cargo run --release --example gen-capture -- --walk FILE     # the floor: walk the records
//! cargo run --release --example gen-capture -- --stage frame|decode|track FILE
//! ```
//!
//! `--stage` runs the library's pipeline on one thread up to a stage, to see where time goes:
//! `frame` (the `Framer` cuts the file into blocks), `decode` (and `decode_block` on each),
//! `track` (and every fact applied to the 64 `Shard`s in frame order, then all ended).
//!
//! `--rdp-scale 400` makes four times as many RDP connections (of every kind) per MB.
//! The same arguments give a byte-identical file. MB means 10^6 bytes. What the capture holds
//! is described in `gen_lib.rs`; what was generated is printed at the end as `key: value`
//! lines (counts of each kind of connection, frames, bytes).

#[path = "gen_lib.rs"]
mod gen_lib;

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use gen_lib::{Config, Format};
use rdptriage::capture::decode::{SHARDS, decode_block};
use rdptriage::capture::{CaptureFormat, Framer};
use rdptriage::tcp::{Shard, TrackerConfig};

const USAGE: &str = "usage: gen-capture OUT --size-mb N [--seed N] [--format pcap|pcapng] \
[--duration-s S] [--rdp-scale PCT] [--templates DIR]\n       gen-capture OUT --syn-flood N [--rate PER_S]\n       gen-capture --walk FILE\n       gen-capture --stage frame|decode|track FILE";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-capture: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out: Option<PathBuf> = None;
    let mut walk: Option<PathBuf> = None;
    let mut stage: Option<String> = None;
    let mut size_mb: Option<u64> = None;
    let mut seed = 1u64;
    let mut format = Format::Pcap;
    let mut duration_s = 3600u64;
    let mut rdp_scale = 100u64;
    let mut templates = gen_lib::default_template_dir();
    let mut syn_flood: Option<u64> = None;
    let mut rate = 10_000u64;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        let number = |v: String, name: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match a.as_str() {
            "--size-mb" => size_mb = Some(number(value("--size-mb")?, "--size-mb")?),
            "--seed" => seed = number(value("--seed")?, "--seed")?,
            "--duration-s" => duration_s = number(value("--duration-s")?, "--duration-s")?,
            "--rdp-scale" => rdp_scale = number(value("--rdp-scale")?, "--rdp-scale")?,
            "--templates" => templates = PathBuf::from(value("--templates")?),
            "--syn-flood" => syn_flood = Some(number(value("--syn-flood")?, "--syn-flood")?),
            "--rate" => rate = number(value("--rate")?, "--rate")?.max(1),
            "--walk" => walk = Some(PathBuf::from(value("--walk")?)),
            "--stage" => stage = Some(value("--stage")?),
            "--format" => {
                format = match value("--format")?.as_str() {
                    "pcap" => Format::Pcap,
                    "pcapng" => Format::Pcapng,
                    other => return Err(format!("--format: pcap or pcapng, not {other}")),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}\n{USAGE}")),
            _ if out.is_none() => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}\n{USAGE}")),
        }
    }

    if let Some(path) = walk {
        let t = Instant::now();
        let st = gen_lib::walk(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let secs = t.elapsed().as_secs_f64();
        println!("records: {}", st.records);
        println!("caplen_sum: {}", st.caplen_sum);
        println!("file_bytes: {}", st.file_bytes);
        println!("seconds: {secs:.3}");
        println!("mb_per_s: {:.1}", st.file_bytes as f64 / 1e6 / secs);
        return Ok(());
    }

    if let Some(stage) = stage {
        let path = out.ok_or(format!("--stage needs a capture file\n{USAGE}"))?;
        return run_stage(&stage, &path);
    }

    let out = out.ok_or(format!("no output file\n{USAGE}"))?;
    if let Some(n) = syn_flood {
        let file = File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        write_syn_flood(BufWriter::with_capacity(1 << 20, file), n, rate, seed)
            .map_err(|e| format!("{}: {e}", out.display()))?;
        println!("file: {}", out.display());
        println!("syn_flood: {n} SYNs at {rate}/s to 10.1.0.10:3389");
        println!("frames: {n}");
        println!("rdp_connections: {n}");
        return Ok(());
    }
    let size_mb = size_mb.ok_or(format!("--size-mb is required\n{USAGE}"))?;
    let tmpls = gen_lib::load_templates(&templates).map_err(|e| e.to_string())?;
    for t in &tmpls {
        eprintln!(
            "template {}: {} segments, {} client bytes, {} server bytes",
            t.name,
            t.segs.len(),
            t.bytes(true),
            t.bytes(false)
        );
    }
    let cfg = Config {
        format,
        duration_us: duration_s.max(1) * 1_000_000,
        rdp_scale_pct: rdp_scale,
        ..Config::new(size_mb * 1_000_000, seed)
    };
    let file = File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let w = BufWriter::with_capacity(1 << 20, file);
    let t = Instant::now();
    let sum = gen_lib::generate(&cfg, &tmpls, w).map_err(|e| format!("{}: {e}", out.display()))?;
    let secs = t.elapsed().as_secs_f64();
    println!("file: {}", out.display());
    println!(
        "format: {}",
        match format {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        }
    );
    println!("seed: {seed}");
    println!("size_mb_requested: {size_mb}");
    println!("{sum}");
    eprintln!(
        "generated {:.1} MB in {secs:.1} s ({:.0} MB/s)",
        sum.file_bytes as f64 / 1e6,
        sum.file_bytes as f64 / 1e6 / secs
    );
    Ok(())
}

/// Runs the library pipeline on one thread up to `stage` over the capture at `path`.
fn run_stage(stage: &str, path: &Path) -> Result<(), String> {
    let (decode, track) = match stage {
        "frame" => (false, false),
        "decode" => (true, false),
        "track" => (true, true),
        other => return Err(format!("--stage: frame, decode or track, not {other}")),
    };
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut head = [0u8; 16];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(err)?;
    let format = CaptureFormat::sniff(&head).ok_or(format!("{}: not a capture", path.display()))?;
    let t = Instant::now();
    let mut framer = Framer::new(File::open(path).map_err(err)?, format);
    let cfg = Arc::new(TrackerConfig::default());
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::new(Arc::clone(&cfg))).collect();
    let (mut blocks, mut frames, mut facts) = (0u64, 0u64, 0u64);
    while let Some(block) = framer.next_block() {
        blocks += 1;
        frames += block.frames.len() as u64;
        if !decode {
            continue;
        }
        let d = decode_block(&block);
        for (si, shard_facts) in d.shards.iter().enumerate() {
            facts += shard_facts.len() as u64;
            if !track {
                continue;
            }
            for fact in shard_facts {
                let payload = block.payload(fact.payload);
                shards[si].apply(fact, payload);
            }
            if let Some(now) = d.last_ts_ns {
                shards[si].expire(now);
            }
            drop(shards[si].take_finished());
        }
    }
    let mut rdp = 0;
    for s in &mut shards {
        s.expire_all();
        drop(s.take_finished());
        rdp += s.counts.rdp_connections;
    }
    let secs = t.elapsed().as_secs_f64();
    println!("stage: {stage}");
    println!("blocks: {blocks}");
    println!("frames: {frames}");
    println!("facts: {facts}");
    println!("rdp_connections: {rdp}");
    println!("seconds: {secs:.3}");
    Ok(())
}

/// A SYN flood: `n` SYNs to 10.1.0.10:3389 from spoofed addresses in 172.16.0.0/12, `rate`
/// a second, none answered (Ethernet, IPv4, TCP; RFC 9293 §3.1), as a pcap. The stress case
/// for connection tracking: every SYN opens a connection that nothing closes.
fn write_syn_flood<W: std::io::Write>(
    mut w: W,
    n: u64,
    rate: u64,
    seed: u64,
) -> std::io::Result<()> {
    // pcap global header: microseconds, snaplen 65535, Ethernet.
    w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    w.write_all(&[2, 0, 4, 0])?;
    w.write_all(&[0; 8])?;
    w.write_all(&65_535u32.to_le_bytes())?;
    w.write_all(&1u32.to_le_bytes())?;
    let t0_us: u64 = 1_710_234_000_000_000;
    for i in 0..n {
        let mut frame = Vec::with_capacity(54);
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
        let src = [172, 16 + ((i >> 16) % 16) as u8, (i >> 8) as u8, i as u8];
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&40u16.to_be_bytes());
        ip[4..6].copy_from_slice(&(i as u16).to_be_bytes());
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&src);
        ip[16..20].copy_from_slice(&[10, 1, 0, 10]);
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        frame.extend_from_slice(&ip);
        let sport = 1024 + ((i * 7 + seed) % 60_000) as u16;
        let isn = (i.wrapping_mul(2_654_435_761).wrapping_add(seed)) as u32;
        frame.extend_from_slice(&sport.to_be_bytes());
        frame.extend_from_slice(&3389u16.to_be_bytes());
        frame.extend_from_slice(&isn.to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02]);
        frame.extend_from_slice(&64_240u16.to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        let t = t0_us + i * 1_000_000 / rate;
        w.write_all(&((t / 1_000_000) as u32).to_le_bytes())?;
        w.write_all(&((t % 1_000_000) as u32).to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(&frame)?;
    }
    w.flush()
}
