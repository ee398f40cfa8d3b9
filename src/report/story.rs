//! What the Markdown and HTML reports tell in the same order: one headline, then a merged
//! timeline of what the captures and the event logs saw, limited to what matters (the
//! connections and events the findings name, then the other failures, then the rest up to a
//! cap). Kept apart from the renderers so both say the same thing.

use super::text::{is_eventlog, plural, short_channel};
use super::{CatalogEvent, InputReport, JudgedConnection, Report};
use crate::handshake::messages::Sender;
use crate::model::{Cause, Verdict, Word};

/// Most timeline rows shown; the JSON report has them all.
pub const MAX_TIMELINE_ROWS: usize = 80;

/// The connections whose handshake the Markdown and HTML reports draw: every one that did
/// not end `ok` and that no later connection of its attempt went further than.
pub fn drawn_failures(report: &Report) -> Vec<&JudgedConnection> {
    report
        .connections
        .iter()
        .filter(|c| c.verdict.is_some_and(|v| v != Verdict::Ok) && c.superseded_by.is_none())
        .collect()
}

/// The inputs read, split: captures, event logs; and the files skipped.
pub struct InputKinds<'a> {
    pub captures: Vec<&'a InputReport>,
    pub logs: Vec<&'a InputReport>,
    pub skipped: Vec<&'a InputReport>,
}

pub fn input_kinds(report: &Report) -> InputKinds<'_> {
    let mut kinds = InputKinds {
        captures: Vec::new(),
        logs: Vec::new(),
        skipped: Vec::new(),
    };
    for i in &report.inputs {
        if i.skipped {
            kinds.skipped.push(i);
        } else if is_eventlog(i) {
            kinds.logs.push(i);
        } else {
            kinds.captures.push(i);
        }
    }
    kinds
}

/// What an input held, in a few words: `16 packets, <first> → <last>` or `5 RDP events`.
pub fn input_contents(i: &InputReport) -> String {
    if is_eventlog(i) {
        return format!("{} RDP event{}", i.events, plural(i.events as usize));
    }
    match (&i.first_packet, &i.last_packet) {
        (Some(a), Some(b)) => format!("{} packets, {a} → {b}", i.packets),
        _ => format!("{} packets", i.packets),
    }
}

/// Timeline times: the full date and time on the first row of each day, the time alone on
/// the others. `day` carries the current day from row to row.
pub fn shown_time<'a>(time: &'a str, day: &mut &'a str) -> String {
    if time.get(..10) == Some(*day) {
        super::text::short_time(time)
    } else {
        *day = time.get(..10).unwrap_or("");
        time.replace('T', " ").trim_end_matches('Z').to_string()
    }
}

/// One row of a connection's message sequence (`connections[].messages`), ready to draw.
pub struct SequenceRow {
    /// `10`, or `29–31` for a folded run.
    pub frames: String,
    pub ms: f64,
    /// `client`, `server` or `network`.
    pub from: Sender,
    /// The label, with the run's count (`TLS application data ×3`).
    pub label: String,
    /// Whether the row holds the frame that shows the break ([`super::text::frame_to_open`]).
    pub is_break: bool,
    /// Rows the sequence's cap left out before this one.
    pub omitted_before: Option<u64>,
}

/// The message sequence of a connection, read once for both drawings.
pub fn sequence(c: &JudgedConnection) -> Vec<SequenceRow> {
    let detail = c.detail();
    let break_frame = super::text::frame_to_open(c);
    let Some(rows) = detail.messages.as_ref() else {
        return Vec::new();
    };
    rows.iter()
        .map(|m| {
            let frame = m.frame;
            let last = m.last_frame;
            let mut label = m.label.clone();
            let count = m.count;
            // Labels of units folded within one frame already say `×n`; SYN retries say
            // `sent n times`.
            if count > 1 && !label.contains('×') && !label.contains("times") {
                label.push_str(&format!(" ×{count}"));
            }
            SequenceRow {
                frames: match last {
                    Some(l) => format!("{frame}–{l}"),
                    None => frame.to_string(),
                },
                ms: m.ms,
                from: m.from,
                label,
                is_break: break_frame.is_some_and(|b| b >= frame && b <= last.unwrap_or(frame)),
                omitted_before: m.omitted_before.map(|n| n as u64),
            }
        })
        .collect()
}

/// One row of the merged timeline.
#[derive(Clone, Debug)]
pub struct Row {
    pub time_ns: i64,
    /// RFC 3339 UTC.
    pub time: String,
    /// `capture c1 frame 10` or `RDPT-SRV System#15402`.
    pub source: String,
    pub what: String,
    /// Whether the row is a failure (a connection breaking, an error event).
    pub failure: bool,
}

/// `Read 1 capture (16 packets) and 2 event logs (6 RDP events): 1 RDP connection, 1
/// failed. 1 finding.`
pub fn headline(report: &Report) -> String {
    let InputKinds {
        captures,
        logs,
        skipped,
    } = input_kinds(report);
    let skipped = skipped.len();
    let packets: u64 = captures.iter().map(|i| i.packets).sum();
    let events: u64 = logs.iter().map(|i| i.events).sum();
    let mut read = Vec::new();
    if !captures.is_empty() {
        read.push(format!(
            "{} capture{} ({packets} packets)",
            captures.len(),
            plural(captures.len())
        ));
    }
    if !logs.is_empty() {
        // Copies of one log given twice are listed once, and a run keeps at most so many
        // events: then the count listed follows, as for connections.
        let listed = report.events.len() as u64;
        let of_them = if listed < events {
            format!(", {listed} listed")
        } else {
            String::new()
        };
        read.push(format!(
            "{} event log{} ({events} RDP event{}{of_them})",
            logs.len(),
            plural(logs.len()),
            plural(events as usize)
        ));
    }
    if read.is_empty() {
        read.push("nothing readable".to_string());
    }
    // Probes (port checks, half-open scans) are counted apart: they are no failed attempts.
    let is_probe = |c: &&JudgedConnection| c.cause == Some(Cause::Probe);
    let count = |v: Verdict| {
        report
            .connections
            .iter()
            .filter(|c| c.verdict == Some(v) && !is_probe(c))
            .count()
    };
    let probes = report.connections.iter().filter(is_probe).count();
    let n = report.connections.len();
    // Past a capture's or the run's listing cap, the count judged comes first: a SYN flood
    // is millions of connections, of which a quarter of a million are listed.
    let judged: usize = captures
        .iter()
        .filter_map(|i| i.stats.as_ref())
        .map(|s| s.rdp_connections as usize)
        .sum();
    let mut conns = if judged > n {
        format!("{judged} RDP connections, {n} listed")
    } else {
        format!("{n} RDP connection{}", plural(n))
    };
    let mut parts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| (v, count(v)))
        .filter(|(_, k)| *k > 0)
        .map(|(v, k)| format!("{k} {v}"))
        .collect();
    if probes > 0 {
        parts.push(format!("{probes} probe{}", plural(probes)));
    }
    if !parts.is_empty() {
        conns.push_str(&format!(" ({})", parts.join(", ")));
    }
    // Attempts, and those the client never got past (no session in them or after them).
    let (attempts, failed_in_the_end) = crate::correlate::Sessions::of(&report.connections)
        .attempts_failed_in_the_end(&report.connections);
    if attempts > 0 {
        conns.push_str(&format!(
            " in {attempts} attempt{}, {failed_in_the_end} failed in the end",
            plural(attempts)
        ));
    }
    let f = report.findings.len();
    // Logs alone: no word about connections no capture could show.
    let conns = if captures.is_empty() && n == 0 {
        String::new()
    } else {
        format!("{conns}; ")
    };
    format!(
        "Read {}{}: {conns}{f} finding{}.",
        read.join(" and "),
        if skipped > 0 {
            format!(", skipped {skipped} file{}", plural(skipped))
        } else {
            String::new()
        },
        plural(f)
    )
}

/// The merged timeline: rows named by findings always, then failures, then the rest, up to
/// [`MAX_TIMELINE_ROWS`]; returned in time order with the count of rows left out.
pub fn timeline(report: &Report) -> (Vec<Row>, usize) {
    let named_conns: std::collections::HashSet<super::ConnId> = report
        .findings
        .iter()
        .flat_map(|f| {
            f.connections
                .iter()
                .filter_map(|id| super::ConnId::parse(id))
        })
        .collect();
    let named_events: std::collections::HashSet<&str> = report
        .findings
        .iter()
        .flat_map(|f| f.events.iter().map(String::as_str))
        .collect();
    // Every row is first only its rank (whether a finding names it, whether it is a failure,
    // its time) and where it comes from; only the rows kept are written out. A capture of
    // 250,000 connections wrote half a million rows, reading each spilled summary back, to
    // keep eighty.
    #[derive(Clone, Copy)]
    enum From {
        Opened(usize),
        Ended(usize),
        Event(usize),
    }
    let mut ranked: Vec<(bool, bool, i64, From)> = Vec::new();
    for (i, c) in report.connections.iter().enumerate() {
        let in_finding = named_conns.contains(&c.id);
        let failure = c.verdict.is_some_and(|v| v != Verdict::Ok);
        ranked.push((!in_finding, true, c.start_ns, From::Opened(i)));
        ranked.push((!in_finding, !failure, c.end_ns, From::Ended(i)));
    }
    for (k, e) in report.events.iter().enumerate() {
        let reference = e.reference();
        let in_finding = named_events.contains(reference.as_str());
        ranked.push((!in_finding, !event_failure(e), e.time_ns, From::Event(k)));
    }
    let total = ranked.len();
    // Keep the most telling rows (stable: equal ranks keep their order), then put them back
    // in time order.
    ranked.sort_by_key(|&(a, b, t, _)| (a, b, t));
    ranked.truncate(MAX_TIMELINE_ROWS);
    let mut rows: Vec<Row> = ranked
        .iter()
        .map(|&(_, _, _, from)| match from {
            From::Opened(i) => opened_row(&report.connections[i]),
            From::Ended(i) => ended_row(&report.connections[i]),
            From::Event(k) => event_row(&report.events[k]),
        })
        .collect();
    rows.sort_by(|a, b| a.time_ns.cmp(&b.time_ns).then(a.source.cmp(&b.source)));
    let left_out = total - rows.len();
    (rows, left_out)
}

fn opened_row(c: &JudgedConnection) -> Row {
    Row {
        time_ns: c.start_ns,
        time: c.start().unwrap_or_default(),
        source: format!("capture {} frame {}", c.id, c.first_frame),
        what: format!("{} {} → {}: connection opened", c.id, c.client, c.server),
        failure: false,
    }
}

fn ended_row(c: &JudgedConnection) -> Row {
    let end = c.end().unwrap_or_default();
    let frame = super::text::frame_to_open(c).unwrap_or(c.last_frame);
    let what = match (c.verdict, c.failed_stage, c.cause) {
        (Some(Verdict::Ok), _, _) => format!("{}: {}", c.id, crate::diagnose::words::summary(c)),
        (Some(v), Some(stage), Some(cause)) => {
            format!(
                "{} {v} at the {stage} stage ({cause}): {}",
                c.id,
                crate::diagnose::words::summary(c)
            )
        }
        (Some(v), _, _) => format!("{} {v}: {}", c.id, crate::diagnose::words::summary(c)),
        (None, _, _) => format!(
            "{} reached {}",
            c.id,
            c.reached.map_or("nothing", Word::word)
        ),
    };
    Row {
        time_ns: c.end_ns,
        time: end,
        source: format!("capture {} frame {frame}", c.id),
        what,
        failure: c.verdict.is_some_and(|v| v != Verdict::Ok),
    }
}

/// Whether an event reads as a failure, by its catalog name.
fn event_failure(e: &CatalogEvent) -> bool {
    [
        "fail",
        "error",
        "denied",
        "dropped",
        "blocked",
        "invalid",
        "expired",
        "missed",
        "alert",
        "no_common",
        "unavailable",
    ]
    .iter()
    .any(|w| e.name.contains(w))
}

fn event_row(e: &CatalogEvent) -> Row {
    Row {
        failure: event_failure(e),
        time_ns: e.time_ns,
        time: e.time.to_string(),
        source: format!(
            "{} {}#{}",
            e.computer,
            short_channel(&e.channel),
            e.record_id
        ),
        what: format!("{} {}: {}", short_provider(&e.provider), e.id, e.summary),
    }
}

/// `Microsoft-Windows-TerminalServices-RemoteConnectionManager` → `RemoteConnectionManager`.
pub fn short_provider(p: &str) -> &str {
    let p = p.strip_prefix("Microsoft-Windows-").unwrap_or(p);
    p.rsplit('-').next().unwrap_or(p)
}
