//! The analysis engine: inputs in, one [`Report`] out.
//!
//! Files under 4 MiB are analysed in parallel (rayon), larger ones one at a time after them
//! ([`PARALLEL_FILE_BYTES`]), each with the whole pool. Inside one capture, the stream is cut into blocks
//! a window of [`WINDOW_BLOCKS`] at a time, and three windows are in flight on the pool at
//! once: one is cut from the stream, the one before it is decoded block by block in
//! parallel, and the one before that has its packet facts applied to [`SHARDS`] connection
//! tables in parallel (each shard in frame order) and its finished connections judged.
//! Blocks, windows and shards are fixed sizes, never derived from the thread count, so the
//! report is byte-identical for any `--threads`. Memory is bounded by the windows in flight,
//! the connection tables, the payload kept for open connections (the largest parked on disk
//! past a budget: `tcp::park`) and, per reported connection, its compact head of 144 bytes
//! (the detail is spilled to disk past a limit: `handshake::held`).

pub mod extract;

use crate::model::Word;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use crate::capture::decode::{DecodeStats, DecodedBlock, SHARDS, decode_block};
use crate::capture::{Block, CaptureFormat, Framer};
use crate::handshake;
use crate::handshake::side::{SideDatagram, SideEvent, SideTracker};
use crate::input::{self, OpenFailure, Sniffed, Stream};
use crate::report::{
    CaptureStats, CatalogEvent, InputReport, JudgedConnection, LinkTypeCount, Report, SCHEMA,
    rfc3339,
};
use crate::tcp::{Class, Shard, TrackerConfig, TrackerCounts};

/// Blocks decoded together before their facts are applied.
pub const WINDOW_BLOCKS: usize = 8;

/// What the analysis is asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub tracker: TrackerConfig,
    /// Connection details this run holds in memory (`handshake::held`): shared by the run's
    /// streams, so the run as a whole spills past the limit.
    pub held_details: Arc<AtomicUsize>,
    /// Catalog events a run keeps at most; `None`: [`crate::eventlog::MAX_RUN_EVENTS`].
    pub max_run_events: Option<usize>,
    /// RDP connections listed by the inputs read before (set by [`analyze_paths`] for each
    /// file, from what was listed when its batch started): a capture lists at most the run's
    /// room left, and the run's limit is applied after the batch, in reading order.
    pub listed_connections: Arc<AtomicUsize>,
    /// RDP connections a capture and a run list at most; `None`: [`MAX_CONNECTIONS`] and
    /// [`MAX_RUN_CONNECTIONS`].
    pub max_connections: Option<(usize, usize)>,
    /// Symbolic links inside a folder given may lead out of it (`--follow-symlinks`).
    pub follow_symlinks: bool,
    /// Servers' RSA keys and TLS key logs to decrypt with (`--key`, `--keylog`).
    pub secrets: Arc<crate::handshake::secrets::Secrets>,
    /// The error dialog's code the user saw (`--dialog`): failed connections' findings get
    /// its checklist.
    pub dialog: Option<crate::diagnose::checklist::DialogCode>,
    /// What the report is narrowed to (`--client`, `--server`, `--since`, `--until`,
    /// `--cause`), after the analysis of everything.
    pub scope: Option<crate::report::scope::Scope>,
}

/// Files at least this large (as read: a gzip or zip file by the sizes it declares,
/// `input::expanded_size`) are read one at a time, after the smaller ones, which are read
/// side by side. A capture's memory follows its
/// connections more than its bytes (a 28 MB SYN flood holds 200 MB at its peak), and one
/// file is parallel inside (a capture's pipeline, an event log's chunks): six 20 MB captures
/// took 0.075 s one at a time against 0.071 s side by side, and 66 MB instead of 113 MB.
pub const PARALLEL_FILE_BYTES: u64 = 4 << 20;

/// RDP connections one capture lists in the report at most; later ones are judged and
/// counted by cause, and a warning says how many (a SYN flood of millions of spoofed
/// addresses would otherwise take gigabytes, and give a report nobody reads whole).
pub const MAX_CONNECTIONS: usize = 250_000;
/// RDP connections a run lists at most, over all its captures.
pub const MAX_RUN_CONNECTIONS: usize = 500_000;

/// Which judged connections a capture lists: the first up to its limit and the run's, the
/// others counted by cause (or verdict, for those without one).
struct Listing<'a> {
    listed: usize,
    max: usize,
    /// The run's room left when the capture's batch started: at most this many are listed
    /// (the run's limit itself is applied after the batch, `Listed::apply_run_limit`).
    run_room: usize,
    run_max: usize,
    unlisted: std::collections::BTreeMap<&'static str, u64>,
    held_details: &'a AtomicUsize,
}

impl<'a> Listing<'a> {
    fn new(opts: &'a Options) -> Listing<'a> {
        let (max, run_max) = opts
            .max_connections
            .unwrap_or((MAX_CONNECTIONS, MAX_RUN_CONNECTIONS));
        let before = opts
            .listed_connections
            .load(std::sync::atomic::Ordering::Relaxed);
        Listing {
            listed: 0,
            max,
            run_room: run_max.saturating_sub(before),
            run_max,
            unlisted: Default::default(),
            held_details: &opts.held_details,
        }
    }

    /// Keeps the connections of `judged` there is room for, in order, counting the others.
    /// Connections that stopped at TCP (a SYN flood's, a scan's) fill at most nine tenths of
    /// the room: the rest is kept for connections that got further, so that a flood never
    /// hides the real failure it surrounds.
    fn admit(&mut self, judged: &mut Vec<JudgedConnection>) {
        let limit = self.max.min(self.run_room);
        let tcp_only_limit = limit - limit / 10;
        let mut listed = self.listed;
        let unlisted = &mut self.unlisted;
        judged.retain(|c| {
            let room = if stopped_at_tcp(c) {
                tcp_only_limit
            } else {
                limit
            };
            if listed < room {
                listed += 1;
                true
            } else {
                *unlisted.entry(outcome_word(c)).or_default() += 1;
                false
            }
        });
        self.listed = listed;
    }
}

/// The result of reading one stream: its input entry, its RDP connections and, for event
/// logs, its catalog events.
pub struct StreamResult {
    pub input: InputReport,
    pub connections: Vec<JudgedConnection>,
    pub events: Vec<CatalogEvent>,
    /// An event log's failed logons counted past the caps, not kept.
    pub overflow: crate::eventlog::LogonCounts,
    /// An event log read straight from disk, by its path and whether it is an `.evtx`: it
    /// can be read again to list the events past the caps when the report is written.
    pub rereadable: Option<(String, bool)>,
    /// A capture's listing, for the run's limit applied after it was read.
    listing: Option<Listed>,
}

/// What a capture listed and counted (see `Listing`), and where in its warnings the warning
/// about those not listed is.
struct Listed {
    unlisted: std::collections::BTreeMap<&'static str, u64>,
    max: usize,
    run_max: usize,
    /// Where the warning is (or would go) among the capture's warnings.
    warning_at: usize,
    /// Whether the capture's warnings hold it.
    warned: bool,
}

impl Listed {
    /// The warning for the connections not listed, once `listed` were, if any were not.
    fn warning(&self, listed: usize) -> Option<String> {
        let n: u64 = self.unlisted.values().sum();
        if n == 0 {
            return None;
        }
        let mut by_cause: Vec<(&&str, &u64)> = self.unlisted.iter().collect();
        by_cause.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let causes: Vec<String> = by_cause.iter().map(|(c, n)| format!("{c} {n}")).collect();
        Some(format!(
            "{n} RDP connections were judged and counted, not listed, once {listed} were listed \
             (a capture lists at most {}, a run {}; bounded memory): {}",
            self.max,
            self.run_max,
            causes.join(", ")
        ))
    }

    /// Keeps the capture's listed connections within the run's room (`listed_before`: those
    /// the inputs read before it listed), counting the others by cause; when it cuts, the
    /// capture's warning says so.
    fn apply_run_limit(
        mut self,
        input: &mut InputReport,
        connections: &mut Vec<JudgedConnection>,
        listed_before: &mut usize,
    ) {
        let room = self.run_max.saturating_sub(*listed_before);
        if connections.len() > room {
            // Those that got past TCP first, then those that stopped at it, each in order.
            let further = connections.iter().filter(|c| !stopped_at_tcp(c)).count();
            let mut tcp_room = room.saturating_sub(further);
            let mut further_room = room;
            let unlisted = &mut self.unlisted;
            connections.retain(|c| {
                let room = if stopped_at_tcp(c) {
                    &mut tcp_room
                } else {
                    &mut further_room
                };
                if *room > 0 {
                    *room -= 1;
                    true
                } else {
                    *unlisted.entry(outcome_word(c)).or_default() += 1;
                    false
                }
            });
            if let Some(warning) = self.warning(connections.len()) {
                let at = self.warning_at.min(input.warnings.len());
                if self.warned && at < input.warnings.len() {
                    input.warnings[at] = warning;
                } else {
                    input.warnings.insert(at, warning);
                }
            }
        }
        *listed_before += connections.len();
    }
}

/// With `RDPTRIAGE_PHASES` set, prints on stderr the seconds since the run's first mark and
/// the phase just finished: where a run's time goes, without a profiler.
pub fn phase(what: &str) {
    static START: std::sync::OnceLock<Option<std::time::Instant>> = std::sync::OnceLock::new();
    let start = START
        .get_or_init(|| std::env::var_os("RDPTRIAGE_PHASES").map(|_| std::time::Instant::now()));
    if let Some(start) = start {
        // Resident memory now and at its peak (Linux), to find where a run's peak happens.
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(String::from("?"), |kb| (kb / 1024).to_string())
        };
        eprintln!(
            "{:>8.3} s  {:>5} MiB  (peak {:>5} MiB)  {what}",
            start.elapsed().as_secs_f64(),
            kb("VmRSS:"),
            kb("VmHWM:")
        );
    }
}

/// Analyses every file under `paths` into one report.
pub fn analyze_paths(paths: &[PathBuf], opts: &Options) -> Report {
    phase("start");
    let mut failures = Vec::new();
    let files = input::collect_files(paths, opts.follow_symlinks, &mut failures);
    // `listed_before`: the RDP connections listed when the file's batch started. The captures
    // of one file (an archive's members, one after the other) list within the run's room left
    // then, less what the members before them listed: never what another file, read at the
    // same time, took.
    let read = |path: &PathBuf, listed_before: usize| {
        let mut results = Vec::new();
        let mut failures = Vec::new();
        let file_opts = Options {
            listed_connections: Arc::new(AtomicUsize::new(listed_before)),
            ..opts.clone()
        };
        input::open_file(
            path,
            &mut |s| {
                let r = analyze_stream(s, &file_opts);
                file_opts
                    .listed_connections
                    .fetch_add(r.connections.len(), std::sync::atomic::Ordering::Relaxed);
                results.push(r)
            },
            &mut failures,
        );
        (results, failures)
    };
    // Small files are read side by side, one to a thread; large ones after them, one at a
    // time, each with the whole pool (a capture's pipeline is parallel inside): each large
    // one bounds its memory (connection tables, payload budget, blocks in flight), and two
    // side by side would take twice that.
    // Sized as read (a gzip or zip by the sizes it declares): a small archive may expand to
    // gigabytes.
    let large = |path: &PathBuf| input::expanded_size(path) >= PARALLEL_FILE_BYTES;
    // The run's limits on kept catalog events and listed RDP connections are applied to the
    // inputs in the order they are read (the small files in the order given, then the large
    // ones), a batch of small files at a time: what is kept never depends on which thread
    // finished first, and no more than a batch's events and connections wait to be cut.
    let max_run_events = opts
        .max_run_events
        .unwrap_or(crate::eventlog::MAX_RUN_EVENTS);
    let (mut kept_events, mut listed) = (0usize, 0usize);
    let mut keep_within_run = |(mut results, fails): (Vec<StreamResult>, Vec<OpenFailure>),
                               listed: &mut usize| {
        for r in &mut results {
            if let Some(w) = crate::eventlog::keep_within_run(
                &mut r.events,
                &mut kept_events,
                max_run_events,
                &mut r.overflow,
            ) {
                r.input.events = r.events.len() as u64;
                r.input.warnings.push(w);
            }
            if let Some(listing) = r.listing.take() {
                listing.apply_run_limit(&mut r.input, &mut r.connections, listed);
            }
        }
        Some((results, fails))
    };
    let (small, large): (Vec<usize>, Vec<usize>) =
        (0..files.len()).partition(|&i| !large(&files[i]));
    let mut per_file: Vec<Option<(Vec<StreamResult>, Vec<OpenFailure>)>> =
        (0..files.len()).map(|_| None).collect();
    for batch in small.chunks(rayon::current_num_threads().max(1)) {
        let before = listed;
        let read_side_by_side: Vec<_> =
            batch.par_iter().map(|&i| read(&files[i], before)).collect();
        for (&i, result) in batch.iter().zip(read_side_by_side) {
            per_file[i] = keep_within_run(result, &mut listed);
        }
    }
    for i in large {
        let result = read(&files[i], listed);
        per_file[i] = keep_within_run(result, &mut listed);
    }
    let per_file = per_file.into_iter().flatten();

    phase("inputs read");
    let mut report = Report {
        schema: SCHEMA,
        tool: crate::report::TOOL,
        options: crate::report::RunOptions {
            rdp_ports: opts.tracker.rdp_ports.clone(),
            payload_cap: opts.tracker.payload_cap,
            follow_symlinks: opts.follow_symlinks,
            decryption: !opts.secrets.is_empty(),
            scope: None,
        },
        ..Default::default()
    };
    for f in failures {
        report.inputs.push(failure_input(f));
    }
    // The first capture's list is taken as it is and sized once for all: copying lists into
    // a growing one would hold two copies at the peak.
    let per_file: Vec<_> = per_file.collect();
    let total: usize = per_file
        .iter()
        .flat_map(|(results, _)| results.iter().map(|r| r.connections.len()))
        .sum();
    let mut overflow = crate::eventlog::LogonCounts::default();
    // The `.evtx` files whose events past the caps are read again when the report is
    // written, with how many of their catalog events were kept.
    let mut read_again: Vec<((String, bool), u64)> = Vec::new();
    for (results, fails) in per_file {
        for r in results {
            let counted: u64 = r.input.event_counts.iter().map(|c| c.count).sum();
            if let Some(path) = r.rereadable
                && counted > r.events.len() as u64
            {
                read_again.push((path, r.events.len() as u64));
            }
            report.inputs.push(r.input);
            overflow.merge(r.overflow);
            if report.connections.is_empty() {
                report.connections = r.connections;
                report
                    .connections
                    .reserve_exact(total - report.connections.len());
            } else {
                report.connections.extend(r.connections);
            }
            if report.events.is_empty() {
                report.events = r.events;
            } else {
                report.events.extend(r.events);
            }
        }
        for f in fails {
            report.inputs.push(failure_input(f));
        }
    }
    for (i, c) in report.connections.iter_mut().enumerate() {
        c.id = crate::report::ConnId(u32::try_from(i + 1).unwrap_or(u32::MAX));
    }
    crate::correlate::group_attempts(&mut report.connections);
    phase("merged");
    crate::correlate::sort_events(&mut report.events);
    let before = report.events.len();
    crate::correlate::drop_copied_events(&mut report.events);
    if report.events.len() < before {
        report.warnings.push(format!(
            "{} events were read from more than one input (the same log given twice) and are kept once",
            before - report.events.len()
        ));
    }
    phase("events sorted, copies dropped");
    // Timelines and findings are independent of each other: built side by side.
    let (timelines, (findings, joined)) = rayon::join(
        || {
            let t = crate::correlate::timeline::build(&report.events);
            phase("(timelines built)");
            t
        },
        || {
            let joined = crate::correlate::join_events(&report.connections, &report.events);
            phase("(events joined)");
            let side: Vec<crate::diagnose::rules::CaptureSide> = report
                .inputs
                .iter()
                .map(|i| crate::diagnose::rules::CaptureSide {
                    path: &i.path,
                    side_failures: &i.side_failures,
                })
                .collect();
            let findings = crate::diagnose::rules::findings(
                &report.connections,
                &report.events,
                &overflow,
                &joined,
                &side,
                opts.dialog,
            );
            (findings, joined)
        },
    );
    phase("timelines built, events joined, findings made");
    report.timelines = timelines;
    if !read_again.is_empty() {
        report.more_events = crate::report::MoreEvents::new(move |sink| {
            for ((path, evtx), kept) in &read_again {
                // Gone since (moved, deleted): its kept events are all the report lists.
                let Ok(file) = std::fs::File::open(path) else {
                    continue;
                };
                let file = std::io::BufReader::with_capacity(1 << 20, file);
                if *evtx {
                    crate::eventlog::stream_evtx(path, file, *kept, sink)?;
                } else {
                    crate::eventlog::stream_xml(path, Box::new(file), *kept, sink)?;
                }
            }
            Ok(())
        });
    }
    report.verdict = crate::diagnose::answer::answer(&findings);
    report.findings = findings;
    report.clock_offsets = joined.offsets;
    // The run's list repeats the inputs' own (each capped), up to MAX_RUN_WARNINGS: a
    // bundle of thousands of damaged files lists the first, and says how many more there are
    // (every input still lists its own).
    let all: usize = report.inputs.iter().map(|i| i.warnings.len()).sum();
    let mut from_inputs = 0usize;
    'inputs: for input in &report.inputs {
        for w in &input.warnings {
            if from_inputs == MAX_RUN_WARNINGS {
                break 'inputs;
            }
            report.warnings.push(format!("{}: {w}", input.path));
            from_inputs += 1;
        }
    }
    if from_inputs < all {
        report.warnings.push(format!(
            "{} more warnings of the inputs are not repeated here: each input lists its own",
            all - from_inputs
        ));
    }
    report
        .warnings
        .extend(crate::diagnose::words::unused_secrets(
            &opts.secrets.unused(),
        ));
    if let Some(scope) = &opts.scope {
        report.scoped = crate::report::scope::narrow(&mut report, scope);
        report.options.scope = Some(scope.clone());
    }
    report
}

/// Warnings the run's list repeats from its inputs (each input lists its own, capped).
pub const MAX_RUN_WARNINGS: usize = 1_000;

fn failure_input(f: OpenFailure) -> InputReport {
    InputReport {
        path: f.display,
        kind: "unknown".into(),
        container: f.container,
        warnings: vec![f.message],
        skipped: true,
        skipped_reason: Some(f.skipped.unwrap_or("could not be read").into()),
        ..Default::default()
    }
}

fn analyze_stream(stream: Stream<'_>, opts: &Options) -> StreamResult {
    let Stream {
        display,
        container,
        sniffed,
        reader,
    } = stream;
    let skipped = |kind: &str, why: &str| StreamResult {
        input: InputReport {
            path: display.clone(),
            kind: kind.into(),
            container: container.clone(),
            skipped: true,
            skipped_reason: Some(why.into()),
            ..Default::default()
        },
        connections: Vec::new(),
        events: Vec::new(),
        overflow: Default::default(),
        rereadable: None,
        listing: None,
    };
    match sniffed {
        Sniffed::Capture(format) => {
            let mut r = analyze_capture(&display, format, reader, opts);
            r.input.container = container;
            r
        }
        Sniffed::Evtx | Sniffed::Xml => {
            let (mut log, events) =
                crate::eventlog::read_stream(&display, sniffed == Sniffed::Evtx, reader);
            let overflow = std::mem::take(&mut log.overflow);
            let rereadable =
                (container == "file").then(|| (display.clone(), sniffed == Sniffed::Evtx));
            StreamResult {
                input: log_input(&display, container, log),
                connections: Vec::new(),
                events,
                overflow,
                rereadable,
                listing: None,
            }
        }
        _ => skipped(
            "unknown",
            "not a capture, event log or archive this tool recognises",
        ),
    }
}

/// Analyses one capture stream: its input entry and its RDP connections.
pub fn analyze_capture(
    display: &str,
    format: CaptureFormat,
    reader: Box<dyn Read + Send + '_>,
    opts: &Options,
) -> StreamResult {
    let cfg = Arc::new(opts.tracker.clone());
    // The name every connection of the capture reports, coded.
    let input_name = crate::model::InputName::of(display);
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::new(Arc::clone(&cfg))).collect();
    let mut stats = DecodeStats::default();
    let mut warnings = Vec::new();
    let mut connections = Vec::new();
    let mut first_ts: Option<i64> = None;
    let mut last_ts: Option<i64> = None;
    let mut max_ts = i64::MIN;
    let mut side = SideTracker::default();
    // Whether this stream's held details were trimmed (`handshake::held::trim`).
    let mut trimmed = false;
    let mut listing = Listing::new(opts);

    // Processed blocks go back to the framer, whose next reads reuse their buffers. Room for
    // three windows: a window's blocks come back while the framer is still taking the ones
    // before, and a block that finds the queue full is freed, its successor paged in anew.
    const RECYCLED_BLOCKS: usize = 3 * WINDOW_BLOCKS;
    let (back_tx, back_rx) = sync_channel::<Block>(RECYCLED_BLOCKS);
    let mut framer = Framer::new(reader, format).recycle_from(back_rx);
    let next_window = |framer: &mut Framer<_>| {
        let mut window: Vec<Block> = Vec::with_capacity(WINDOW_BLOCKS);
        while window.len() < WINDOW_BLOCKS {
            match framer.next_block() {
                Some(b) => window.push(b),
                None => break,
            }
        }
        window
    };
    // Three windows in flight, all on the pool (no thread of its own, so no more threads than
    // `--threads`): while window k's facts are applied to the connection tables and its
    // finished connections judged, window k+1 is decoded and window k+2 cut from the stream.
    // Facts are still applied in window order, and `now` is the latest time seen through the
    // window applied, as when the steps ran one after the other.
    let mut framed = next_window(&mut framer);
    // The run's secrets, and the key logs of the capture's own Decryption Secrets Blocks,
    // which come before the packets they decrypt.
    let mut secrets = Arc::clone(&opts.secrets);
    fn take_key_logs<R: Read>(
        framer: &mut Framer<R>,
        secrets: &mut Arc<crate::handshake::secrets::Secrets>,
        warnings: &mut Vec<String>,
        display: &str,
    ) {
        if framer.key_logs.is_empty() {
            return;
        }
        let mut own = (**secrets).clone();
        for text in framer.key_logs.drain(..) {
            let source = format!("{display} (decryption secrets block)");
            let (_, bad) = own.add_keylog(&source, &text);
            if bad > 0 {
                warnings.push(format!("{source}: {bad} lines are not key log lines"));
            }
        }
        *secrets = Arc::new(own);
    }
    take_key_logs(&mut framer, &mut secrets, &mut warnings, display);
    let mut applying: Option<(Vec<Block>, Vec<DecodedBlock>, i64)> = None;
    loop {
        if framed.is_empty() && applying.is_none() {
            break;
        }
        let ((decoded, next_framed), judged) = rayon::join(
            || {
                rayon::join(
                    || framed.par_iter().map(decode_block).collect::<Vec<_>>(),
                    || {
                        if framed.is_empty() {
                            Vec::new()
                        } else {
                            next_window(&mut framer)
                        }
                    },
                )
            },
            || {
                applying.take().map(|(blocks, decoded, now)| {
                    let judged = apply_window(
                        &mut shards,
                        &mut side,
                        (&blocks, &decoded),
                        now,
                        input_name,
                        &mut listing,
                        &secrets,
                    );
                    for block in blocks {
                        // A full queue means the framer has spares enough: the buffer is dropped.
                        let _ = back_tx.try_send(block);
                    }
                    judged
                })
            },
        );
        connections.extend(judged.unwrap_or_default());
        take_key_logs(&mut framer, &mut secrets, &mut warnings, display);
        if !trimmed {
            trimmed = crate::handshake::held::trim(&mut connections);
        }
        let mut window = std::mem::replace(&mut framed, next_framed);
        if window.is_empty() {
            continue;
        }
        for (b, d) in window.iter_mut().zip(&decoded) {
            warnings.extend(b.warnings.drain(..).map(|w| w.to_string()));
            stats.merge(&d.stats);
            if let Some(t) = d.first_ts_ns {
                first_ts.get_or_insert(t);
            }
            if let Some(t) = d.last_ts_ns {
                last_ts = Some(t);
                max_ts = max_ts.max(t);
            }
        }
        applying = Some((window, decoded, max_ts));
    }
    phase("capture: last window applied");
    let header_ok = framer.header_ok;
    shards.par_iter_mut().for_each(|s| s.expire_all());
    feed_side(&mut shards, &mut side);
    let judged = judge_finished(
        &mut shards,
        input_name,
        max_ts,
        &mut side,
        &mut listing,
        &secrets,
    );
    connections.extend(judged);
    if !trimmed {
        crate::handshake::held::trim(&mut connections);
    }
    // Unstable (no buffer of half the list): no two connections share a first frame. Were
    // two to share one, they would go by their addresses as printed, as always.
    connections.sort_unstable_by(|a, b| {
        a.first_frame.cmp(&b.first_frame).then_with(|| {
            (a.client.to_string(), a.server.to_string())
                .cmp(&(b.client.to_string(), b.server.to_string()))
        })
    });
    connections.shrink_to_fit();
    crate::diagnose::verdict::mark_sweeps(&mut connections, &crate::tcp::sweepers(&shards));
    warnings.extend(crate::diagnose::words::decryption_warnings(&connections));
    phase("capture: open connections judged");
    let (side_events, side_dropped) = side.finish(max_ts);
    crate::correlate::attach_side(&mut connections, &side_events);
    let side_failures: Vec<SideEvent> = side_events
        .iter()
        .filter(|e| e.is_failure())
        .take(200)
        .cloned()
        .collect();
    if side_dropped > 0 {
        warnings.push(format!(
            "{side_dropped} DNS/Kerberos messages beyond the first {} were not analysed",
            crate::handshake::side::MAX_EVENTS
        ));
    }

    let mut counts = TrackerCounts::default();
    for s in &shards {
        counts.merge(&s.counts);
    }
    if counts.ended_early > 0 {
        warnings.push(format!(
            "{} closed connections were ended one second after closing instead of thirty, as \
             more than {} connections were open or lingering at once (bounded memory); {} \
             packets of theirs that came later were ignored",
            counts.ended_early,
            crate::tcp::PRESSURE_FLOWS * crate::capture::decode::SHARDS,
            counts.late_ignored
        ));
    }
    warnings.extend(counts.udp_rdp_port_warning(&cfg.rdp_ports));
    let mut listed = Listed {
        unlisted: std::mem::take(&mut listing.unlisted),
        max: listing.max,
        run_max: listing.run_max,
        warning_at: warnings.len(),
        warned: false,
    };
    if let Some(warning) = listed.warning(connections.len()) {
        warnings.push(warning);
        listed.warned = true;
    }
    if counts.evicted > 0 {
        warnings.push(format!(
            "{} connections still open were ended early, the longest idle first, as more than \
             {} were open at once, or more than {} with their handshake unfinished (bounded \
             memory): each is reported as the capture showed it until then{}",
            counts.evicted,
            crate::tcp::MAX_FLOWS * crate::capture::decode::SHARDS,
            crate::tcp::MAX_HALF_OPEN * crate::capture::decode::SHARDS,
            if counts.ended_early > 0 {
                String::new()
            } else {
                format!(
                    "; {} packets of theirs that came later were ignored",
                    counts.late_ignored
                )
            }
        ));
    }
    let input = InputReport {
        path: display.to_string(),
        kind: format.name().into(),
        container: "file".into(),
        packets: stats.frames,
        events: 0,
        // Without its file header nothing of the capture could be read.
        skipped: !header_ok,
        skipped_reason: (!header_ok)
            .then(|| format!("the {} file header is cut or corrupt", format.name())),
        warnings,
        first_packet: first_ts.map(rfc3339),
        last_packet: last_ts.map(rfc3339),
        side_failures,
        stats: Some(CaptureStats {
            bytes: stats.bytes,
            ipv4: stats.ipv4,
            ipv6: stats.ipv6,
            ip_fragments: stats.ip_fragments,
            tcp_packets: stats.tcp,
            udp_packets: stats.udp,
            icmp_packets: stats.icmp,
            non_ip_frames: stats.non_ip,
            undecodable_frames: stats.undecodable,
            unsupported_link_types: stats
                .unsupported_links
                .iter()
                .map(|&(link_type, frames)| LinkTypeCount { link_type, frames })
                .collect(),
            tcp_connections: counts.tcp_connections,
            rdp_connections: counts.rdp_connections,
            udp_packets_rdp_port: counts.udp_packets_rdp_port,
            icmp_errors_unmatched: counts.icmp_unmatched,
        }),
        ..Default::default()
    };
    StreamResult {
        input,
        connections,
        events: Vec::new(),
        overflow: Default::default(),
        rereadable: None,
        listing: Some(listed),
    }
}

/// Applies one decoded window's packet facts to the connection tables (each shard in frame
/// order, shards in parallel), expires idle connections as of `now`, and judges the
/// connections whose tracking ended; their details are settled (held or spilled).
fn apply_window(
    shards: &mut [Shard],
    side: &mut SideTracker,
    (window, decoded): (&[Block], &[DecodedBlock]),
    now: i64,
    display: crate::model::InputName,
    listing: &mut Listing<'_>,
    secrets: &crate::handshake::secrets::Secrets,
) -> Vec<JudgedConnection> {
    shards.par_iter_mut().enumerate().for_each(|(si, shard)| {
        for (block, d) in window.iter().zip(decoded) {
            for fact in &d.shards[si] {
                let payload = block.payload(fact.payload);
                shard.apply(fact, payload);
            }
        }
        if now != i64::MIN {
            shard.expire(now);
        }
    });
    feed_side(shards, side);
    judge_finished(shards, display, now, side, listing, secrets)
}

/// Feeds the shards' DNS and Kerberos datagrams to the side tracker, in frame order.
fn feed_side(shards: &mut [Shard], side: &mut SideTracker) {
    let mut datagrams: Vec<SideDatagram> = shards.iter_mut().flat_map(|s| s.take_side()).collect();
    datagrams.sort_by_key(|d| d.frame);
    for d in &datagrams {
        side.feed(d);
    }
}

/// Judges the connections whose tracking ended, in parallel; Kerberos and DNS over TCP go to
/// the side tracker.
fn judge_finished(
    shards: &mut [Shard],
    display: crate::model::InputName,
    now: i64,
    side: &mut SideTracker,
    listing: &mut Listing<'_>,
    secrets: &crate::handshake::secrets::Secrets,
) -> Vec<JudgedConnection> {
    /// Connections judged before their details are settled: the end of a capture finishes
    /// every connection still open at once (tens of thousands on a busy capture), and their
    /// details, several KB each, are settled (held or spilled) a batch at a time.
    const JUDGED_AT_ONCE: usize = 4096;
    let mut finished: Vec<_> = shards.iter_mut().flat_map(|s| s.take_finished()).collect();
    for c in finished
        .iter_mut()
        .filter(|c| matches!(c.class, Class::Kerberos | Class::Dns))
    {
        c.finish();
        side.feed_connection(c);
    }
    finished.retain(|c| c.class == Class::Rdp);
    let mut judged = Vec::with_capacity(finished.len());
    let mut rest = finished.into_iter();
    loop {
        let batch: Vec<_> = rest.by_ref().take(JUDGED_AT_ONCE).collect();
        if batch.is_empty() {
            break;
        }
        // Each connection's streams are completed (read back when parked) just before it is
        // judged and dropped just after: a few at a time in memory, not the whole batch.
        let mut reports: Vec<JudgedConnection> = batch
            .into_par_iter()
            .map(|mut c| {
                c.finish();
                let mut judged = handshake::judge(&c, display, now, Some(secrets));
                crate::diagnose::verdict::conclude(&mut judged);
                judged
            })
            .collect();
        listing.admit(&mut reports);
        crate::handshake::held::settle(&mut reports, listing.held_details);
        judged.append(&mut reports);
    }
    judged
}

/// Whether a connection stopped at TCP (never established: refused, unanswered, unreachable).
fn stopped_at_tcp(c: &JudgedConnection) -> bool {
    c.stop.is_some_and(|b| b.stage == crate::model::Stage::Tcp)
}

/// How a connection not listed is counted: by its cause, else its verdict.
fn outcome_word(c: &JudgedConnection) -> &'static str {
    c.cause
        .map(Word::word)
        .or(c.verdict.map(Word::word))
        .unwrap_or("unknown")
}

/// The report's entry for an event log, from what reading it gave.
fn log_input(display: &str, container: String, log: crate::eventlog::LogRead) -> InputReport {
    InputReport {
        path: display.to_string(),
        kind: log.kind.into(),
        container,
        events: log.events,
        events_outside_catalog: log.events_outside_catalog,
        corrupt_records: log.corrupt_records,
        event_counts: log.event_counts,
        outside_catalog: log.outside_catalog,
        skipped: log.unreadable.is_some(),
        skipped_reason: log.unreadable,
        warnings: log.warnings,
        ..Default::default()
    }
}
