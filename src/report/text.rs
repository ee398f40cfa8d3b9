//! The terminal view: what was read, then one row per RDP connection (comfy-table) with where
//! it broke and the frame to open in Wireshark, then the warnings.

use crate::correlate::timeline::Outcome;
use crate::handshake::facts::AlertLevel;
use crate::model::{Cause, Check, Severity, Status, Verdict, Word};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};

use super::{InputReport, JudgedConnection, Report};

/// How the terminal view is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Table width in columns.
    pub width: u16,
    /// ANSI colours (only for a terminal: `main` sets it when stdout is one and `NO_COLOR` is
    /// not set).
    pub colour: bool,
    /// Long finding lines broken at spaces to `width` (only for a terminal: a file or a pipe
    /// keeps one line per fact, for grep).
    pub wrap: bool,
}

impl Default for Style {
    /// `COLUMNS` wide (120 when unset), no colour.
    fn default() -> Self {
        Style {
            width: std::env::var("COLUMNS")
                .ok()
                .and_then(|w| w.parse::<u16>().ok())
                .unwrap_or(120),
            colour: false,
            wrap: false,
        }
    }
}

impl Style {
    /// For a terminal: its width (`COLUMNS` first, else what the terminal says, else 120),
    /// colour unless `NO_COLOR` is set, long lines wrapped.
    pub fn terminal() -> Style {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|w| w.parse::<u16>().ok())
            .or_else(|| Table::new().width())
            .unwrap_or(120);
        Style {
            width,
            colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            wrap: true,
        }
    }
}

/// Long lines broken at spaces to `width` visible columns (ANSI colour codes take none), each
/// continuation indented three columns past its line's own indent.
fn wrap_lines(text: &str, width: usize) -> String {
    let visible = |s: &str| {
        let mut n = 0;
        let mut in_escape = false;
        for c in s.chars() {
            match (in_escape, c) {
                (false, '\u{1b}') => in_escape = true,
                (true, 'm') => in_escape = false,
                (true, _) => {}
                _ => n += 1,
            }
        }
        n
    };
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if visible(body) <= width || width < 20 {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len() + 3;
        let mut used = 0;
        let mut first = true;
        for word in body.split(' ') {
            let w = visible(word);
            if !first && used + 1 + w > width && used > indent {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                used = indent;
            } else if !first {
                out.push(' ');
                used += 1;
            }
            out.push_str(word);
            used += w;
            first = false;
        }
        out.push_str(end);
    }
    out
}

/// SGR codes used.
const RED: &str = "1;31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const BOLD: &str = "1";

/// Text from an input (a name, a path, a field, a summary quoting one), written so that it
/// can neither act on the terminal nor forge the report's layout: C0 and C1 controls, DEL,
/// bidi controls and line or paragraph separators are written escaped (`\x1b`, `\u{202e}`);
/// the rest as it is, cut after [`MAX_SHOWN_CHARS`] with an ellipsis and the count left out
/// (the JSON report has it whole). The tool's own colour codes are added around it, never
/// inside.
pub(crate) fn neutral(s: &str) -> Neutral<'_> {
    Neutral(s)
}

/// See [`neutral`].
pub(crate) struct Neutral<'a>(&'a str);

/// Whether a character from an input must be shown escaped.
fn disarmed(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Characters of one value from an input shown in a person's report: ten lines' worth of
/// summary or name; a longer one is an attack or an accident, and would bury the rest.
pub(crate) const MAX_SHOWN_CHARS: usize = 2000;

impl std::fmt::Display for Neutral<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (shown, left) = match self.0.char_indices().nth(MAX_SHOWN_CHARS) {
            Some((at, _)) => (&self.0[..at], self.0[at..].chars().count()),
            None => (self.0, 0),
        };
        Neutral::write(shown, f)?;
        if left > 0 {
            write!(f, "… ({left} more characters)")?;
        }
        Ok(())
    }
}

impl Neutral<'_> {
    fn write(s: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(disarmed) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            if (c as u32) < 0x80 {
                write!(f, "\\x{:02x}", c as u32)?;
            } else {
                write!(f, "\\u{{{:04x}}}", c as u32)?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// `s` in colour `sgr` when colour is on.
fn paint(s: &str, sgr: &str, style: Style) -> String {
    if style.colour {
        format!("\x1b[{sgr}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Renders the report for a person at a terminal, `COLUMNS` wide, without colour.
pub fn render(report: &Report) -> String {
    render_styled(report, Style::default())
}

/// Renders the report for a person at a terminal.
pub fn render_styled(report: &Report, style: Style) -> String {
    let mut out = String::new();
    if let Some(v) = &report.verdict {
        out.push_str(&format!(
            "{} {}\n",
            paint("Verdict:", BOLD, style),
            neutral(v)
        ));
    }
    out.push_str(&format!(
        "{}\n\n",
        paint(&super::story::headline(report), BOLD, style)
    ));
    if let Some(s) = &report.scoped {
        out.push_str(&format!("{}\n\n", paint(s, YELLOW, style)));
    }
    let rollup = super::rollup::lines(report);
    if !rollup.is_empty() {
        out.push_str(&format!("{}\n", paint("Roll-up:", BOLD, style)));
        for l in &rollup {
            out.push_str(&format!("  {}\n", neutral(l)));
        }
        out.push('\n');
    }
    out.push_str(&findings(report, style));
    if style.wrap {
        out = wrap_lines(&out, usize::from(style.width));
    }
    let super::story::InputKinds {
        captures: read,
        logs,
        skipped,
    } = super::story::input_kinds(report);
    let packets: u64 = read.iter().map(|i| i.packets).sum();
    // The headline said how many; these are the sections' titles. With only event logs
    // read, no section for captures.
    if !read.is_empty() || logs.is_empty() || !report.connections.is_empty() {
        out.push_str(&format!(
            "Captures ({}, {} packets, {} RDP connection{}):\n",
            read.len(),
            packets,
            report.connections.len(),
            plural(report.connections.len())
        ));
    }
    for i in &read {
        let span = match (&i.first_packet, &i.last_packet) {
            (Some(a), Some(b)) => format!(", {a} → {b}"),
            _ => String::new(),
        };
        let container = if i.container == "file" {
            String::new()
        } else {
            format!(" via {}", i.container)
        };
        out.push_str(&format!(
            "  {} [{}{}]: {} packets{}\n",
            neutral(&i.path),
            i.kind,
            container,
            i.packets,
            span
        ));
    }
    if !logs.is_empty() {
        out.push_str(&eventlogs(report, &logs));
    }
    if !skipped.is_empty() {
        out.push_str(&format!(
            "Skipped {} file{}:\n",
            skipped.len(),
            plural(skipped.len())
        ));
        // Grouped by reason: a customer's folder holds many files that are not captures.
        let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
        for i in &skipped {
            let reason = format!(
                "[{}] {}",
                neutral(&i.kind),
                neutral(i.skipped_reason.as_deref().unwrap_or("skipped"))
            );
            match reasons.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, paths)) => paths.push(&i.path),
                None => reasons.push((reason, vec![&i.path])),
            }
        }
        for (reason, paths) in &reasons {
            if paths.len() <= 3 {
                for p in paths {
                    out.push_str(&format!("  {} {reason}\n", neutral(p)));
                }
            } else {
                out.push_str(&format!(
                    "  {} files {reason}: {}, {} … (all in --format json)\n",
                    paths.len(),
                    neutral(paths[0]),
                    neutral(paths[1])
                ));
            }
        }
    }
    if !report.connections.is_empty() {
        let shown = shown_connections(report);
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "id",
                "client → server",
                "start (UTC)",
                "result",
                "ladder",
                "network",
            ]);
        for &c in &shown {
            let attempt = match (&c.attempt, c.attempt_connections) {
                (Some(a), n) if n > 1 => format!("\n{a} {}/{n}", c.attempt_index),
                _ => String::new(),
            };
            table.add_row(vec![
                format!("{}{attempt}", c.id),
                format!("{}\n→ {}", c.client, c.server),
                start_cell(report, c),
                result_cell(c),
                ladder_line(c),
                network_cell(c),
            ]);
        }
        table.set_width(style.width);
        // Cause names and addresses are never broken mid-word.
        for (i, min) in [(1usize, 24u16), (3, 22), (4, 18)] {
            if let Some(col) = table.column_mut(i) {
                col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(min)));
            }
        }
        out.push_str(&table.to_string());
        out.push('\n');
        out.push('\n');
        // The ladder of every connection that did not simply work; the others are in the table.
        if shown.len() < report.connections.len() {
            out.push_str(&format!(
                "Showing {} of {} connections (those the findings name first, then in order); all are in --format json.\n\n",
                shown.len(),
                report.connections.len()
            ));
        }
        let failed: Vec<_> = shown
            .iter()
            .filter(|c| c.verdict != Some(Verdict::Ok))
            .collect();
        for c in failed.iter().take(MAX_LADDERS) {
            out.push_str(&details(c, style));
        }
        if failed.len() > MAX_LADDERS {
            out.push_str(&format!(
                "… and the ladders of {} more failed connections (--format json, md or html)\n\n",
                failed.len() - MAX_LADDERS
            ));
        }
    }
    if !report.warnings.is_empty() {
        out.push_str(&format!(
            "{} warning{}:\n",
            report.warnings.len(),
            plural(report.warnings.len())
        ));
        for w in report.warnings.iter().take(50) {
            out.push_str(&format!("  {}\n", neutral(w)));
        }
        if report.warnings.len() > 50 {
            out.push_str(&format!(
                "  … and {} more (see --format json)\n",
                report.warnings.len() - 50
            ));
        }
    }
    out
}

/// Connection ids named in a finding's line; the JSON report lists them all.
const MAX_IDS: usize = 12;

/// `c1, c2, c3` — or the first [`MAX_IDS`] and how many more.
pub(crate) fn id_list(ids: &[String]) -> String {
    if ids.len() <= MAX_IDS {
        return ids.join(", ");
    }
    format!(
        "{} … ({} more)",
        ids[..MAX_IDS].join(", "),
        ids.len() - MAX_IDS
    )
}

/// Rows of the connection table at most: a table of thousands of rows is read by no one.
const MAX_TABLE_ROWS: usize = 100;
/// Ladders printed at most.
const MAX_LADDERS: usize = 30;

/// The connections the table shows, in report order: all of them when they fit, else the
/// ones the findings name (their first connection each), then failed ones, then the rest.
fn shown_connections(report: &Report) -> Vec<&JudgedConnection> {
    if report.connections.len() <= MAX_TABLE_ROWS {
        return report.connections.iter().collect();
    }
    let named: std::collections::HashSet<super::ConnId> = report
        .findings
        .iter()
        .filter_map(|f| f.connections.last().and_then(|id| super::ConnId::parse(id)))
        .collect();
    let mut picked: Vec<usize> = Vec::with_capacity(MAX_TABLE_ROWS);
    let rank = |c: &JudgedConnection| {
        if named.contains(&c.id) {
            0
        } else if c.verdict != Some(Verdict::Ok) {
            1
        } else {
            2
        }
    };
    for wanted in 0..3 {
        for (i, c) in report.connections.iter().enumerate() {
            if picked.len() == MAX_TABLE_ROWS {
                break;
            }
            if rank(c) == wanted {
                picked.push(i);
            }
        }
    }
    picked.sort_unstable();
    picked.iter().map(|&i| &report.connections[i]).collect()
}

/// The findings, first: what went wrong, the evidence, the fix.
fn findings(report: &Report, style: Style) -> String {
    let mut out = String::new();
    if report.findings.is_empty() {
        return out;
    }
    out.push_str(&format!("Findings ({}):\n", report.findings.len()));
    for (n, f) in report.findings.iter().enumerate() {
        let colour = match f.severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
            _ => BOLD,
        };
        out.push_str(&format!(
            "{}. {} {}\n",
            n + 1,
            paint(
                &format!("[{} {}, {} confidence]", f.severity, f.cause, f.confidence),
                colour,
                style
            ),
            neutral(&f.summary)
        ));
        if !f.connections.is_empty() {
            out.push_str(&format!("   connections: {}\n", id_list(&f.connections)));
        }
        if let Some(d) = &f.dialog {
            out.push_str(&format!(
                "   {} {}, {}:\n",
                paint("error code", BOLD, style),
                neutral(&d.meaning),
                neutral(&d.source)
            ));
            for c in &d.checks {
                let (word, colour) = match c.check {
                    Check::Proven => ("proven", RED),
                    Check::StillPossible => ("still possible", YELLOW),
                    Check::RuledOut => ("ruled out", GREEN),
                };
                out.push_str(&format!(
                    "     {} {}: {}\n",
                    paint(&format!("{word:<15}"), colour, style),
                    c.label,
                    neutral(&c.because)
                ));
            }
        }
        out.push_str(&format!("   {}\n", paint("evidence:", BOLD, style)));
        for e in &f.evidence {
            out.push_str(&format!("     - {}\n", neutral(e)));
        }
        for r in &f.remediation {
            out.push_str(&format!("   {} {r}\n", paint("fix:", GREEN, style)));
        }
        for c in &f.collect_next {
            out.push_str(&format!("   collect next: {c}\n"));
        }
    }
    if !report.clock_offsets.is_empty() {
        let list: Vec<String> = report
            .clock_offsets
            .iter()
            .map(|o| {
                format!(
                    "{} {:+.3} ms ({} pairs)",
                    neutral(&o.computer),
                    o.offset_ms,
                    o.pairs
                )
            })
            .collect();
        out.push_str(&format!("   log clocks vs capture: {}\n", list.join(", ")));
    }
    out.push('\n');
    out
}

pub(crate) fn is_eventlog(i: &InputReport) -> bool {
    i.kind == "evtx" || i.kind == "evtx-xml"
}

/// Timelines shown in full; the rest are counted.
const MAX_TIMELINES: usize = 12;
/// Events shown per timeline.
const MAX_TIMELINE_EVENTS: usize = 10;

/// `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational` → `RdpCoreTS`.
pub(crate) fn short_channel(c: &str) -> &str {
    let c = c.strip_suffix("/Operational").unwrap_or(c);
    let c = c.strip_prefix("Microsoft-Windows-").unwrap_or(c);
    c.rsplit('-').next().unwrap_or(c)
}

/// The event logs read (catalog counts per input), then the session timelines: failed ones
/// first, each with its events and what is missing from them.
fn eventlogs(report: &Report, logs: &[&InputReport]) -> String {
    let mut out = String::new();
    let catalog: u64 = logs.iter().map(|i| i.events).sum();
    let outside: u64 = logs.iter().map(|i| i.events_outside_catalog).sum();
    let corrupt: u64 = logs.iter().map(|i| i.corrupt_records).sum();
    out.push_str(&format!(
        "Event logs ({}): {catalog} RDP event{} (catalog), {outside} other{}{}.\n",
        logs.len(),
        plural(catalog as usize),
        plural(outside as usize),
        if corrupt > 0 {
            format!(
                ", {corrupt} corrupt record{} skipped",
                plural(corrupt as usize)
            )
        } else {
            String::new()
        }
    ));
    for i in logs {
        let mut counts: Vec<_> = i.event_counts.iter().collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
        let mut parts: Vec<String> = counts
            .iter()
            .take(6)
            .map(|c| {
                format!(
                    "{} {}×{}",
                    neutral(short_channel(&c.channel)),
                    c.id,
                    c.count
                )
            })
            .collect();
        if counts.len() > 6 {
            parts.push(format!("+{} more ids", counts.len() - 6));
        }
        let container = if i.container == "file" {
            String::new()
        } else {
            format!(" via {}", i.container)
        };
        out.push_str(&format!(
            "  {} [{}{}]: {} RDP event{}{}{}{}\n",
            neutral(&i.path),
            i.kind,
            container,
            i.events,
            plural(i.events as usize),
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            },
            if i.events_outside_catalog > 0 {
                format!(", {} other", i.events_outside_catalog)
            } else {
                String::new()
            },
            if i.corrupt_records > 0 {
                format!(", {} corrupt", i.corrupt_records)
            } else {
                String::new()
            }
        ));
    }
    if report.timelines.is_empty() {
        return out;
    }
    // Outcomes per server, in one line each.
    let mut per_server: Vec<(&str, Vec<(Outcome, usize)>)> = Vec::new();
    for t in &report.timelines {
        let entry = match per_server.iter_mut().position(|(s, _)| *s == t.server) {
            Some(k) => &mut per_server[k].1,
            None => {
                per_server.push((&t.server, Vec::new()));
                &mut per_server.last_mut().expect("just pushed").1
            }
        };
        match entry.iter_mut().find(|(o, _)| *o == t.outcome) {
            Some((_, n)) => *n += 1,
            None => entry.push((t.outcome, 1)),
        }
    }
    out.push_str(&format!(
        "\nSession timelines ({}):\n",
        report.timelines.len()
    ));
    for (server, outcomes) in per_server.iter().take(MAX_TIMELINES) {
        let list: Vec<String> = outcomes
            .iter()
            .map(|(o, n)| format!("{n} {}", o.word()))
            .collect();
        out.push_str(&format!("  {}: {}\n", neutral(server), list.join(", ")));
    }
    if per_server.len() > MAX_TIMELINES {
        out.push_str(&format!(
            "  … and {} more servers\n",
            per_server.len() - MAX_TIMELINES
        ));
    }
    // Failed attempts first, then sessions; each group in time order.
    let rank = |o: Outcome| match o {
        Outcome::NlaFailed | Outcome::LogonFailed | Outcome::LockedOut => 0,
        Outcome::Authenticated | Outcome::Connected | Outcome::Accepted => 1,
        Outcome::Session | Outcome::ClientFailed | Outcome::Connecting => 2,
    };
    let mut shown: Vec<_> = report.timelines.iter().collect();
    shown.sort_by_key(|t| rank(t.outcome));
    out.push('\n');
    for t in shown.iter().take(MAX_TIMELINES) {
        out.push_str(&format!(
            "  {}{}{}{}: {} ({} → {})\n",
            neutral(&t.server),
            t.client
                .as_deref()
                .map(|c| format!(" ← {}", neutral(c)))
                .unwrap_or_default(),
            t.session
                .as_deref()
                .map(|s| format!(", session {}", neutral(s)))
                .unwrap_or_default(),
            t.user
                .as_deref()
                .map(|u| format!(", {}", neutral(u)))
                .unwrap_or_default(),
            t.outcome.word().to_uppercase(),
            t.start,
            short_time(&t.end)
        ));
        for e in t.events.iter().take(MAX_TIMELINE_EVENTS) {
            out.push_str(&format!(
                "    {} {:>5} {}\n",
                short_time(&e.time),
                e.id,
                neutral(&e.summary)
            ));
        }
        if t.events.len() > MAX_TIMELINE_EVENTS {
            out.push_str(&format!(
                "    … {} more events\n",
                t.events.len() - MAX_TIMELINE_EVENTS
            ));
        }
        for m in &t.missing {
            out.push_str(&format!("    ! {}\n", neutral(m)));
        }
    }
    if shown.len() > MAX_TIMELINES {
        out.push_str(&format!(
            "  … and {} more timelines (all in --format json)\n",
            shown.len() - MAX_TIMELINES
        ));
    }
    out.push('\n');
    out
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `2026-06-01T10:02:03.120456Z` → `10:02:03.120` (the date is on the capture's line).
pub(crate) fn short_time(t: &str) -> String {
    t.get(11..23).unwrap_or(t).to_string()
}

/// A connection's start as the tables show it: the time of day, with the date too when the
/// report's connections start on more than one day.
pub(crate) fn start_cell(report: &Report, c: &JudgedConnection) -> String {
    let Some(t) = c.start() else {
        return String::new();
    };
    let mut days = report
        .connections
        .iter()
        .filter(|c| c.timed)
        .map(|c| c.start_ns.div_euclid(86_400_000_000_000));
    let first = days.next();
    if days.any(|d| Some(d) != first) {
        format!("{} {}", t.get(..10).unwrap_or_default(), short_time(&t))
    } else {
        short_time(&t)
    }
}

/// One mark per stage reached or tried: ✓ ok, ✗ failed, ? unknown (stages never reached are
/// left out).
pub(crate) fn ladder_line(c: &JudgedConnection) -> String {
    c.detail()
        .stages
        .iter()
        .filter(|s| s.status != Status::NotReached)
        .map(|s| format!("{} {}", s.stage, mark(s.status)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn mark(status: Status) -> &'static str {
    match status {
        Status::Ok => "✓",
        Status::Failed => "✗",
        Status::Unknown => "?",
        Status::NotReached => "·",
    }
}

/// The ladder of one connection, stage by stage, with the frames to open.
fn details(c: &JudgedConnection, style: Style) -> String {
    let mut out = format!(
        "{} {} → {} ({}): {}\n",
        c.id,
        c.client,
        c.server,
        neutral(c.input()),
        match (c.verdict, c.cause) {
            (Some(v), Some(cause)) => paint(
                &format!("{} — {cause}", v.word().to_uppercase()),
                RED,
                style
            ),
            (Some(v), None) => paint(&v.word().to_uppercase(), YELLOW, style),
            (None, _) => "not judged".into(),
        }
    );
    let detail = c.detail();
    let summary = crate::diagnose::words::summary_of(c, &detail);
    out.push_str(&format!("  {}\n", neutral(&summary)));
    out.push_str(&format!("  Wireshark: {}\n", c.display_filter()));
    for s in &detail.stages {
        if s.status == Status::NotReached && s.note.is_none() {
            continue;
        }
        let frames = if s.frames.is_empty() {
            String::new()
        } else {
            format!(
                " [frames {}]",
                s.frames
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // The failed stage's note is the summary above: not twice.
        let note = match s.note.as_deref() {
            Some(n) if n == summary || summary.starts_with(n) => match s.status {
                Status::Failed => "failed here (above)",
                _ => "ended here (above)",
            },
            Some(n) => n,
            None => s.status.word(),
        };
        out.push_str(&format!(
            "  {} {:<8}{}{}\n",
            match s.status {
                Status::Ok => paint(mark(s.status), GREEN, style),
                Status::Failed => paint(mark(s.status), RED, style),
                _ => mark(s.status).to_string(),
            },
            s.stage,
            neutral(note),
            frames
        ));
    }
    if let Some(f) = c.detail().credssp.as_ref() {
        out.push_str(&format!(
            "  {}\n",
            neutral(&crate::diagnose::words::credssp_line(f))
        ));
    }
    if let Some(f) = frame_to_open(c) {
        out.push_str(&format!(
            "  → {}\n",
            paint(&format!("open frame {f} in Wireshark"), BOLD, style)
        ));
    }
    out.push('\n');
    out
}

/// The frame that shows the failure best: the certificate a client rejected, the fatal alert,
/// else the last frame of the failed stage.
pub(crate) fn frame_to_open(c: &JudgedConnection) -> Option<u64> {
    let detail = c.detail();
    let tls = detail.tls.as_ref();
    match c.cause {
        Some(Cause::CertificateRejected) => {
            if let Some(f) = tls.and_then(|t| t.certificate.as_ref()).map(|c| c.frame) {
                return Some(f);
            }
        }
        Some(Cause::TlsAlert) => {
            let fatal = tls
                .and_then(|t| t.alerts.iter().find(|x| x.level == AlertLevel::Fatal))
                .map(|x| x.frame);
            if fatal.is_some() {
                return fatal;
            }
        }
        _ => {}
    }
    detail
        .stages
        .iter()
        .find(|s| s.status == Status::Failed)
        .and_then(|s| s.frames.last().copied())
}

fn result_cell(c: &JudgedConnection) -> String {
    let mut cell = match (c.verdict, c.cause) {
        (Some(v), Some(cause)) => format!("{}\n{}", v.word().to_uppercase(), cause),
        (Some(v), None) => v.word().to_uppercase(),
        (None, _) => format!("reached {}", c.reached.map_or("nothing", Word::word)),
    };
    if let Some(later) = &c.superseded_by {
        cell.push_str(&format!("\n(retried: {later})"));
    }
    cell
}

pub(crate) fn network_cell(c: &JudgedConnection) -> String {
    let detail = c.detail();
    let n = &detail.network;
    let mut parts = Vec::new();
    if let Some(rtt) = n.rtt_ms {
        parts.push(format!("rtt {rtt:.1} ms"));
    }
    if n.syn_retries > 0 {
        parts.push(format!("{} SYN retr.", n.syn_retries));
    }
    if n.retransmissions > 0 {
        if n.capture_duplicates == n.retransmissions {
            parts.push(format!("{} captured twice", n.retransmissions));
        } else {
            parts.push(format!(
                "{} retrans.",
                n.retransmissions - n.capture_duplicates
            ));
        }
    }
    if n.missed_bytes > 0 {
        parts.push(format!("{} B missed", n.missed_bytes));
    }
    if let (Some(by), Some(f)) = (n.reset_by, n.reset_frame) {
        parts.push(format!("RST by {by} #{f}"));
    } else if let (Some(by), Some(f)) = (n.closed_by, n.close_frame) {
        parts.push(format!("FIN by {by} #{f}"));
    }
    parts.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Finding;
    use crate::handshake::judged::sample_connection;
    use crate::model::{Cause, Confidence};
    use crate::report::{InputReport, SCHEMA};

    /// A terminal escape (a window title, OSC 52 clipboard write, a screen clear), a forged
    /// report line after a carriage return and a newline, and a right-to-left override: what
    /// a hostile upload puts into a name, a field or a file name.
    const HOSTILE: &str = "a\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\n[error ok] everything ok\u{202e}gnp.exe\u{85}";

    #[test]
    fn input_text_cannot_act_on_the_terminal_or_forge_lines() {
        let mut conn = sample_connection("c1");
        if let crate::handshake::held::Detail::Held(d) = &mut conn.detail {
            d.summary = HOSTILE.into();
            d.stages[0].note = Some(format!("note {HOSTILE}"));
        }
        let report = Report {
            schema: SCHEMA,
            inputs: vec![InputReport {
                path: format!("dir/{HOSTILE}.pcap"),
                kind: "pcap".into(),
                container: "file".into(),
                packets: 2,
                ..Default::default()
            }],
            connections: vec![conn],
            findings: vec![Finding {
                cause: Cause::TcpRefused,
                severity: Severity::Error,
                confidence: Confidence::High,
                summary: HOSTILE.into(),
                attempt: None,
                connections: vec!["c1".into()],
                events: vec![],
                evidence: vec![HOSTILE.into()],
                remediation: vec![],
                collect_next: vec![],
                server: None,
                clients: Vec::new(),
                first: None,
                last: None,
                count: 0,
                dialog: None,
            }],
            warnings: vec![HOSTILE.into()],
            ..Default::default()
        };
        for colour in [false, true] {
            let text = render_styled(
                &report,
                Style {
                    colour,
                    ..Style::default()
                },
            );
            // Nothing of the input reaches the terminal raw…
            for bad in ['\x07', '\r', '\u{202e}', '\u{85}'] {
                assert!(!text.contains(bad), "{bad:?} in\n{text}");
            }
            assert!(!text.contains("\x1b]"), "{text}");
            assert!(!text.contains("\x1b[2J"), "{text}");
            // … no line starts with the forged text…
            assert!(
                !text
                    .lines()
                    .any(|l| l.trim_start().starts_with("[error ok]")),
                "{text}"
            );
            // … it is shown escaped, where it was…
            let shown = r"a\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\x0d\x0a[error ok] everything ok\u{202e}gnp.exe\u{0085}";
            assert!(text.contains(&format!("dir/{shown}.pcap")), "{text}");
            assert!(text.contains(&format!("     - {shown}\n")), "{text}");
            assert!(text.contains(&format!("  {shown}\n")), "{text}");
            // … and the tool's own colour codes are the only escapes left.
            let escapes = text.matches('\x1b').count();
            let ours = text.matches("\x1b[").count();
            assert_eq!(escapes, ours, "{text}");
            assert_eq!(ours > 0, colour);
        }
    }

    #[test]
    fn plain_text_passes_unchanged() {
        let s = "CN=rdp.example.test, café, 10.0.0.5:3389 — ok";
        assert_eq!(neutral(s).to_string(), s);
        assert_eq!(neutral("\t").to_string(), r"\x09");
        assert_eq!(neutral("\u{7f}\u{9b}").to_string(), r"\x7f\u{009b}");
        assert_eq!(
            neutral("\u{2066}x\u{2069}").to_string(),
            r"\u{2066}x\u{2069}"
        );
        // A very long value is cut, saying how much was left out.
        let long = "é".repeat(MAX_SHOWN_CHARS + 37);
        assert_eq!(
            neutral(&long).to_string(),
            format!("{}… (37 more characters)", "é".repeat(MAX_SHOWN_CHARS))
        );
        let exact = "é".repeat(MAX_SHOWN_CHARS);
        assert_eq!(neutral(&exact).to_string(), exact);
    }
}
