//! Criterion benches of the hot paths, over an in-memory capture made by the same generator
//! as `gen-capture` (`benches/gen_lib.rs`): record walking (`Framer` → blocks), packet decode
//! (`decode_block`), TCP tracking and reassembly (`Shard::apply`) and the whole
//! `analyze_capture`. Throughput is in bytes of capture file.
//!
//! `cargo bench --bench pipeline` (about a minute); `BENCH_CAPTURE_MB=32` for a larger input.

#[path = "gen_lib.rs"]
mod gen_lib;

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use rdptriage::analyze::{Options, analyze_capture};
use rdptriage::capture::decode::{DecodedBlock, SHARDS, decode_block};
use rdptriage::capture::{Block, CaptureFormat, Framer};
use rdptriage::tcp::{Shard, TrackerConfig};

struct Input {
    pcap: Vec<u8>,
    pcapng: Vec<u8>,
    summary: gen_lib::Summary,
}

/// The capture every bench reads: 8 MB by default, 60 s of traffic.
fn input() -> &'static Input {
    static INPUT: OnceLock<Input> = OnceLock::new();
    INPUT.get_or_init(|| {
        let mb: u64 = std::env::var("BENCH_CAPTURE_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8);
        let templates = gen_lib::load_templates(&gen_lib::default_template_dir())
            .expect("template captures in fixtures/captures");
        let mut cfg = gen_lib::Config::new(mb * 1_000_000, 7);
        cfg.duration_us = 60_000_000;
        let (pcap, summary) = gen_lib::generate_vec(&cfg, &templates).expect("generate");
        cfg.format = gen_lib::Format::Pcapng;
        let (pcapng, _) = gen_lib::generate_vec(&cfg, &templates).expect("generate");
        eprintln!(
            "bench capture: {:.1} MB, {} frames, {} RDP connections",
            pcap.len() as f64 / 1e6,
            summary.frames,
            summary.rdp_connections()
        );
        Input {
            pcap,
            pcapng,
            summary,
        }
    })
}

fn blocks(data: &[u8], format: CaptureFormat) -> Vec<Block> {
    let mut framer = Framer::new(data, format);
    let mut out = Vec::new();
    while let Some(b) = framer.next_block() {
        out.push(b);
    }
    out
}

/// Applies every fact of `decoded` to fresh shards, as `analyze_capture` does (shard by
/// shard, blocks in order), then ends all connections. Returns the RDP connections seen.
fn track(blocks: &[Block], decoded: &[DecodedBlock]) -> u64 {
    let cfg = Arc::new(TrackerConfig::default());
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::new(Arc::clone(&cfg))).collect();
    for (si, shard) in shards.iter_mut().enumerate() {
        for (block, d) in blocks.iter().zip(decoded) {
            for fact in &d.shards[si] {
                let payload = block.payload(fact.payload);
                shard.apply(fact, payload);
            }
        }
    }
    let mut rdp = 0;
    for s in &mut shards {
        s.expire_all();
        black_box(s.take_finished());
        rdp += s.counts.rdp_connections;
    }
    rdp
}

fn benches(c: &mut Criterion) {
    let input = input();
    let bytes = input.pcap.len() as u64;
    let pcap_blocks = blocks(&input.pcap, CaptureFormat::Pcap);
    let decoded: Vec<DecodedBlock> = pcap_blocks.iter().map(decode_block).collect();
    let seen = track(&pcap_blocks, &decoded);
    if seen != input.summary.rdp_connections() {
        eprintln!(
            "warning: the tracker saw {seen} RDP connections, the generator made {}",
            input.summary.rdp_connections()
        );
    }

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(bytes));

    g.bench_function("frame_pcap", |b| {
        b.iter(|| {
            let mut framer = Framer::new(black_box(&input.pcap[..]), CaptureFormat::Pcap);
            let mut n = 0;
            while let Some(block) = framer.next_block() {
                n += block.frames.len();
            }
            n
        })
    });
    g.throughput(Throughput::Bytes(input.pcapng.len() as u64));
    g.bench_function("frame_pcapng", |b| {
        b.iter(|| {
            let mut framer = Framer::new(black_box(&input.pcapng[..]), CaptureFormat::Pcapng);
            let mut n = 0;
            while let Some(block) = framer.next_block() {
                n += block.frames.len();
            }
            n
        })
    });
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("decode", |b| {
        b.iter(|| {
            pcap_blocks
                .iter()
                .map(|bl| decode_block(black_box(bl)).stats.tcp)
                .sum::<u64>()
        })
    });
    g.bench_function("track", |b| b.iter(|| track(&pcap_blocks, &decoded)));
    g.bench_function("analyze_capture", |b| {
        let opts = Options::default();
        b.iter(|| {
            let r = analyze_capture(
                "bench.pcap",
                CaptureFormat::Pcap,
                Box::new(black_box(&input.pcap[..])),
                &opts,
            );
            r.connections.len()
        })
    });
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
