//! Deterministic generator of large benchmark captures.
//!
//! ```text
//! cargo run --release --example gen-capture -- OUT.pcap --size-mb 1100 [--seed N]
//!     [--format pcap|pcapng] [--duration-s 3600] [--templates DIR]
//! cargo run --release --example gen-capture -- --walk FILE     # the floor: walk the records
//! ```
//!
//! The same arguments give a byte-identical file. MB means 10^6 bytes. What the capture holds
//! is described in `gen_lib.rs`; what was generated is printed at the end as `key: value`
//! lines (counts of each kind of connection, frames, bytes).

#[path = "gen_lib.rs"]
mod gen_lib;

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use gen_lib::{Config, Format};

const USAGE: &str = "usage: gen-capture OUT --size-mb N [--seed N] [--format pcap|pcapng] \
[--duration-s S] [--templates DIR]\n       gen-capture --walk FILE";

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
    let mut size_mb: Option<u64> = None;
    let mut seed = 1u64;
    let mut format = Format::Pcap;
    let mut duration_s = 3600u64;
    let mut templates = gen_lib::default_template_dir();
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
            "--templates" => templates = PathBuf::from(value("--templates")?),
            "--walk" => walk = Some(PathBuf::from(value("--walk")?)),
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

    let out = out.ok_or(format!("no output file\n{USAGE}"))?;
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
