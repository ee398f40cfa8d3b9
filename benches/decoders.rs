//! Criterion benches of the decoders above TCP, on the repository's real fixtures:
//!
//! * `judge`: the whole ladder of every RDP connection of the fixture captures
//!   (`handshake::judge`: X.224 negotiation, TLS records, handshake messages and the server
//!   certificate, CredSSP inference, MCS/GCC in clear, the message sequence);
//! * `x224_request`, `tls_handshake_stream`: the two parsers a ladder always runs, on the
//!   client's first TPKT and the server's first TLS flight of `cert-expired.pcap`;
//! * `event_xml`: Event Viewer XML → normalized events → catalog (`eventlog::read_xml`) on
//!   the fixture exports;
//! * `evtx`: the same events from the binary `.evtx` fixtures (`eventlog::evtx::read_evtx`);
//! * `event_timelines`, `event_json`: what a report does with events once read, on the
//!   fixture logs' catalog events copied 100 times (distinct record ids, a second apart):
//!   sessions and attempts (`correlate::timeline::build`) and the JSON report's `events` and
//!   `timelines` (`Report::write_json`).
//!
//! `cargo bench --bench decoders` (about half a minute).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use rdptriage::capture::decode::{SHARDS, decode_block};
use rdptriage::capture::{CaptureFormat, Framer};
use rdptriage::handshake::{judge, tls, x224};
use rdptriage::tcp::{Connection, Shard, Side, TrackerConfig};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

/// Every connection of one capture, reassembled, as the pipeline hands them to `judge`.
fn connections(name: &str) -> Vec<Connection> {
    let data = std::fs::read(fixtures().join("captures").join(name)).expect("fixture");
    let mut framer = Framer::new(&data[..], CaptureFormat::Pcap);
    let cfg = Arc::new(TrackerConfig::default());
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::new(Arc::clone(&cfg))).collect();
    while let Some(block) = framer.next_block() {
        let decoded = decode_block(&block);
        for (si, shard) in shards.iter_mut().enumerate() {
            for fact in &decoded.shards[si] {
                let payload = block.payload(fact.payload);
                shard.apply(fact, payload);
            }
        }
    }
    let mut out = Vec::new();
    for s in &mut shards {
        s.expire_all();
        out.extend(s.take_finished().into_iter().map(|mut c| {
            c.finish();
            *c
        }));
    }
    out
}

fn benches(c: &mut Criterion) {
    let names: Vec<String> = std::fs::read_dir(fixtures().join("captures"))
        .expect("fixtures/captures")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    let conns: Vec<Connection> = names.iter().flat_map(|n| connections(n)).collect();
    let cert = connections("cert-expired.pcap")
        .into_iter()
        .next()
        .expect("cert-expired connection");
    let request = cert.dir(Side::Client).stream.clone();
    let request = request[..x224::tpkt_len(&request).expect("a TPKT first")].to_vec();
    // The server's stream: the Connection Confirm, then the TLS flight.
    let server = cert.dir(Side::Server).stream.clone();
    let tls_start = x224::tpkt_len(&server).expect("the confirm first");
    let mut flight = Vec::new();
    let mut at = tls_start;
    while let Some(len) = server.get(at..).and_then(tls::record_len) {
        if server[at] != 22 {
            break;
        }
        flight.extend_from_slice(&server[at + 5..at + len]);
        at += len;
    }

    let mut g = c.benchmark_group("decoders");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(conns.len() as u64));
    let input = rdptriage::model::InputName::of("bench.pcap");
    g.bench_function("judge", |b| {
        b.iter(|| {
            conns
                .iter()
                .map(|c| {
                    let mut j = judge(black_box(c), input, i64::MAX, None);
                    rdptriage::diagnose::verdict::conclude(&mut j);
                    j.detail().stages.len()
                })
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function("x224_request", |b| {
        b.iter(|| x224::parse_connection_request(black_box(&request)).is_some())
    });
    g.throughput(Throughput::Bytes(flight.len() as u64));
    g.bench_function("tls_handshake_stream", |b| {
        b.iter(|| tls::parse_handshake_stream(black_box(&flight)).0.len())
    });

    let logs = fixtures().join("eventlog");
    let read = |ext: &str| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&logs)
            .expect("fixtures/eventlog")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read(&p).expect("event log"),
                )
            })
            .collect();
        v.sort();
        v
    };
    let xml = read("xml");
    let evtx = read("evtx");
    g.throughput(Throughput::Bytes(
        xml.iter().map(|(_, b)| b.len() as u64).sum(),
    ));
    g.bench_function("event_xml", |b| {
        b.iter(|| {
            xml.iter()
                .map(|(name, bytes)| {
                    let text = std::str::from_utf8(bytes).unwrap_or("");
                    rdptriage::eventlog::xml::read_xml(name, black_box(text))
                        .events
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Bytes(
        evtx.iter().map(|(_, b)| b.len() as u64).sum(),
    ));
    g.bench_function("evtx", |b| {
        b.iter(|| {
            evtx.iter()
                .map(|(name, bytes)| {
                    rdptriage::eventlog::evtx::read_evtx(name, black_box(&bytes[..]))
                        .events
                        .len()
                })
                .sum::<usize>()
        })
    });

    // Every fixture log's catalog events, copied 100 times a second apart.
    let base = rdptriage::analyze::analyze_paths(std::slice::from_ref(&logs), &Default::default());
    let mut events = Vec::new();
    for copy in 0..100i64 {
        for e in &base.events {
            let mut e = e.clone();
            e.record_id += copy as u64 * 1_000_000;
            e.time_ns += copy * 1_000_000_000;
            events.push(e);
        }
    }
    events.sort_by(|a, b| {
        (a.time_ns, &a.input, a.record_id).cmp(&(b.time_ns, &b.input, b.record_id))
    });
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("event_timelines", |b| {
        b.iter(|| rdptriage::correlate::timeline::build(black_box(&events)).len())
    });
    let report = rdptriage::report::Report {
        timelines: rdptriage::correlate::timeline::build(&events),
        events,
        ..Default::default()
    };
    g.bench_function("event_json", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(1 << 20);
            report.write_json(&mut out).expect("write");
            out.len()
        })
    });
    g.finish();

    // Joins of a password-guessing bundle: 20,000 connections of one client and 20,000 of its
    // failed logons (a fixture's, repeated every 10 s), joined by address and time.
    let mut g = c.benchmark_group("correlate");
    g.sample_size(10).measurement_time(Duration::from_secs(2));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = rdptriage::analyze::analyze_paths(
        &[
            root.join("fixtures/captures/nla-wrong-password.pcap"),
            root.join("fixtures/eventlog/server-security.evtx"),
        ],
        &Default::default(),
    );
    const N: i64 = 20_000;
    let conns: Vec<_> = (0..N)
        .map(|k| {
            let mut c = run.connections[0].clone();
            c.start_ns += k * 10_000_000_000;
            c.end_ns += k * 10_000_000_000;
            c
        })
        .collect();
    let logons: Vec<_> = (0..N)
        .map(|k| {
            let mut e = run.events[0].clone();
            e.record_id += k as u64;
            e.time_ns += k * 10_000_000_000;
            e
        })
        .collect();
    assert!(
        rdptriage::correlate::join_events(&conns[..100], &logons[..100])
            .joined
            .iter()
            .all(|&j| j),
        "each logon joins its connection"
    );
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("join_events_one_address", |b| {
        b.iter(|| {
            rdptriage::correlate::join_events(black_box(&conns), &logons)
                .joined
                .len()
        })
    });
    g.finish();
}

criterion_group!(decoders, benches);
criterion_main!(decoders);
