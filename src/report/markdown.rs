//! `--format md`: the report as a postmortem section (CommonMark with GitHub tables) that
//! pastes into a ticket or a wiki page: what was read, the findings (summary, evidence, fix,
//! what to collect next), the merged timeline of captures and logs, the handshake of each
//! failed connection as a frame-by-frame sequence, every connection in one table, warnings.

use super::Report;
use super::story::{self, Row};
use super::text::{frame_to_open, ladder_line, plural};
use crate::handshake::messages::Sender;
use crate::model::Word;

/// Most connections given their own handshake section; the table lists all of them.
const MAX_SEQUENCES: usize = 20;
/// Most rows of the connections table.
const MAX_CONNECTION_ROWS: usize = 200;
/// Inputs listed one per line; a bundle's others are counted.
const MAX_INPUT_LINES: usize = 12;
/// Most warnings listed.
const MAX_WARNINGS: usize = 50;
/// Lines of evidence shown per finding; the rest are counted.
const MAX_EVIDENCE_LINES: usize = 8;
/// The size a report aims to stay within: under the 32,767 characters of common ticket
/// comments (Jira's), with room for the ticket's own words.
pub const BUDGET: usize = 30_000;

/// Renders the report as Markdown within [`BUDGET`] characters.
pub fn render(report: &Report) -> String {
    render_within(report, BUDGET)
}

/// Renders the report as Markdown; the sections after the findings are kept whole while the
/// whole stays within `budget` bytes, else each is replaced by a line saying it was left out.
pub fn render_within(report: &Report, budget: usize) -> String {
    let mut out = String::from("## RDP connection triage\n\n");
    if let Some(v) = &report.verdict {
        out.push_str(&format!("**Verdict:** {}\n\n", text(v)));
    }
    out.push_str(&story::headline(report));
    out.push_str("\n\n");
    if let Some(s) = &report.scoped {
        out.push_str(&format!("_{}_\n\n", text(s)));
    }
    let rollup = super::rollup::lines(report);
    if !rollup.is_empty() {
        out.push_str("**Roll-up**\n\n");
        for l in &rollup {
            out.push_str(&format!("- {}\n", text(l)));
        }
        out.push('\n');
    }
    let read: Vec<_> = report.inputs.iter().filter(|i| !i.skipped).collect();
    for i in read.iter().take(MAX_INPUT_LINES) {
        out.push_str(&format!(
            "- `{}` ({}): {}\n",
            code(&i.path),
            text(&i.kind),
            text(&story::input_contents(i))
        ));
    }
    if read.len() > MAX_INPUT_LINES {
        out.push_str(&format!(
            "- … and {} more inputs read (all in `--format json`)\n",
            read.len() - MAX_INPUT_LINES
        ));
    }
    let skipped: Vec<_> = report.inputs.iter().filter(|i| i.skipped).collect();
    if skipped.len() <= 3 {
        for i in &skipped {
            out.push_str(&format!(
                "- `{}` skipped: {}\n",
                code(&i.path),
                text(i.skipped_reason.as_deref().unwrap_or("not analysed"))
            ));
        }
    } else {
        let names: Vec<String> = skipped
            .iter()
            .take(3)
            .map(|i| format!("`{}`", code(&i.path)))
            .collect();
        out.push_str(&format!(
            "- {} files skipped (neither captures nor event logs): {} … (all in `--format json`)\n",
            skipped.len(),
            names.join(", ")
        ));
    }
    out.push('\n');

    findings(report, &mut out, budget);
    // The sections after the findings, in the order a reader wants them, each kept whole
    // while the report stays within its budget, else replaced by a line that says so.
    let mut rest: Vec<(&str, String)> = Vec::new();
    let mut part = String::new();
    timeline(report, &mut part);
    rest.push(("Timeline", std::mem::take(&mut part)));
    sequences(report, &mut part);
    rest.push(("Handshakes that failed", std::mem::take(&mut part)));
    connections(report, &mut part);
    rest.push(("Connections", std::mem::take(&mut part)));
    warnings(report, &mut part);
    rest.push(("Warnings", part));
    rest.retain(|(_, s)| !s.is_empty());
    // The room left is shared out smallest first: a section that fits whole leaves what it
    // does not use to the larger ones, which are cut to their share.
    let mut room = budget.saturating_sub(out.len() + 300 * rest.len());
    let mut share = vec![0usize; rest.len()];
    let mut by_size: Vec<usize> = (0..rest.len()).collect();
    by_size.sort_by_key(|&i| rest[i].1.len());
    for (k, &i) in by_size.iter().enumerate() {
        let fair = room / (rest.len() - k);
        share[i] = rest[i].1.len().min(fair);
        room -= share[i];
    }
    for ((name, section), room) in rest.iter().zip(share) {
        if section.len() <= room {
            out.push_str(section);
        } else {
            out.push_str(&cut(name, section, room, budget));
        }
    }
    out
}

/// As much of a section as fits in `room` bytes, cut after a whole table row or a whole
/// folded handshake, with a line saying how much was left out and where it all is.
fn cut(name: &str, section: &str, room: usize, budget: usize) -> String {
    let note = |left: usize| {
        format!(
            "\n… {left} more lines left out to keep this report within {budget} characters for a ticket: `--format html` or `--format json` has them all, or narrow the run (`--client`, `--server`, `--since`, `--cause`).\n\n"
        )
    };
    let lines: Vec<&str> = section.split_inclusive('\n').collect();
    let mut kept = 0;
    let mut used = 0;
    let mut last_whole = 0;
    for (i, l) in lines.iter().enumerate() {
        if used + l.len() + 300 > room {
            break;
        }
        used += l.len();
        kept = i + 1;
        // A folded handshake is cut only after its end; other lines anywhere.
        if !section.contains("<details>") || l.starts_with("</details>") {
            last_whole = kept;
        }
    }
    let kept = last_whole.min(kept);
    if kept <= 3 {
        return format!(
            "### {name}\n\nLeft out ({} characters) to keep this report within {budget} characters for a ticket: `--format html` or `--format json` has it, or narrow the run (`--client`, `--server`, `--since`, `--cause`).\n\n",
            section.len()
        );
    }
    let mut out: String = lines[..kept].concat();
    out.push_str(&note(lines.len() - kept));
    out
}

/// The warnings, the first [`MAX_WARNINGS`].
fn warnings(report: &Report, out: &mut String) {
    if !report.warnings.is_empty() {
        out.push_str(&format!("### Warnings ({})\n\n", report.warnings.len()));
        for w in report.warnings.iter().take(MAX_WARNINGS) {
            out.push_str(&format!("- {}\n", text(w)));
        }
        if report.warnings.len() > MAX_WARNINGS {
            out.push_str(&format!(
                "- … and {} more (all in `--format json`)\n",
                report.warnings.len() - MAX_WARNINGS
            ));
        }
        out.push('\n');
    }
}

/// How much of each finding the Markdown shows: all of it up to [`MAX_EVIDENCE_LINES`] of
/// evidence, or, when the findings alone would fill most of the budget, less.
#[derive(Clone, Copy)]
struct Detail {
    evidence: usize,
    collect_next: bool,
    fixes: usize,
}

const FULL: Detail = Detail {
    evidence: MAX_EVIDENCE_LINES,
    collect_next: true,
    fixes: usize::MAX,
};
const SHORT: Detail = Detail {
    evidence: 3,
    collect_next: false,
    fixes: 1,
};

/// The findings, as full as the budget allows: whole, then shorter (three lines of evidence,
/// the first fix), then the first findings only, the rest counted.
fn findings(report: &Report, out: &mut String, budget: usize) {
    let room = budget.saturating_sub(out.len()) * 3 / 4;
    let mut part = String::new();
    findings_as(report, &mut part, FULL, usize::MAX);
    if part.len() > room {
        part.clear();
        findings_as(report, &mut part, SHORT, usize::MAX);
    }
    let mut shown = report.findings.len();
    while part.len() > room && shown > 1 {
        shown -= 1;
        part.clear();
        findings_as(report, &mut part, SHORT, shown);
    }
    out.push_str(&part);
}

fn findings_as(report: &Report, out: &mut String, detail: Detail, shown: usize) {
    if report.findings.is_empty() {
        out.push_str("### Findings\n\nNo failure found: every RDP connection read ended ok, and the logs name no problem.\n\n");
        return;
    }
    // The summary is a table of the findings' structured fields: their words follow once,
    // each under its own heading.
    out.push_str("### Summary\n\n| # | cause | severity | server | clients | count | first (UTC) |\n|---:|---|---|---|---|---:|---|\n");
    for (n, f) in report.findings.iter().enumerate() {
        let clients = match f.clients.as_slice() {
            [] => String::new(),
            [one] => cell(one),
            [one, rest @ ..] => format!("{} and {} more", cell(one), rest.len()),
        };
        out.push_str(&format!(
            "| {} | `{}` | {} ({} confidence) | {} | {clients} | {} | {} |\n",
            n + 1,
            f.cause,
            f.severity,
            f.confidence,
            f.server.as_deref().map(cell).unwrap_or_default(),
            f.count,
            f.first
                .as_deref()
                .map(|t| t.replace('T', " ").chars().take(19).collect::<String>())
                .unwrap_or_default()
        ));
    }
    out.push('\n');
    // When not all fit, the most severe are shown (errors, then warnings, then info; in
    // report order within each), in report order.
    let mut picked: Vec<usize> = (0..report.findings.len()).collect();
    picked.sort_by_key(|&i| {
        let rank = match report.findings[i].severity {
            crate::model::Severity::Error => 0,
            crate::model::Severity::Warning => 1,
            crate::model::Severity::Info => 2,
        };
        (rank, i)
    });
    picked.truncate(shown);
    picked.sort_unstable();
    for &n in &picked {
        let f = &report.findings[n];
        out.push_str(&format!("### Finding {}: {}\n\n", n + 1, f.cause));
        out.push_str(&format!("{}\n\n", text(&f.summary)));
        let mut facts = vec![
            format!("severity **{}**", f.severity),
            format!("confidence **{}**", f.confidence),
        ];
        if !f.connections.is_empty() {
            facts.push(format!(
                "connections {}",
                super::text::id_list(&f.connections)
            ));
        }
        if let Some(a) = &f.attempt {
            facts.push(format!("attempt {a}"));
        }
        out.push_str(&format!("{}\n\n", facts.join(" · ")));
        if let Some(d) = &f.dialog {
            out.push_str(&format!(
                "**Error code {}**, {}\n\n| candidate cause | check | because |\n| --- | --- | --- |\n",
                text(&d.meaning),
                text(&d.source)
            ));
            for c in &d.checks {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    c.label,
                    match c.check {
                        crate::model::Check::Proven => "**proven**",
                        crate::model::Check::StillPossible => "still possible",
                        crate::model::Check::RuledOut => "ruled out",
                    },
                    cell(&c.because)
                ));
            }
            out.push('\n');
        }
        out.push_str("**Evidence**\n\n");
        for e in f.evidence.iter().take(detail.evidence) {
            out.push_str(&format!("- {}\n", text(e)));
        }
        if f.evidence.len() > detail.evidence {
            out.push_str(&format!(
                "- … {} more lines of evidence (all in `--format json`)\n",
                f.evidence.len() - detail.evidence
            ));
        }
        out.push('\n');
        if !f.remediation.is_empty() {
            out.push_str("**Fix**\n\n");
            for (k, r) in f.remediation.iter().enumerate().take(detail.fixes) {
                out.push_str(&format!("{}. {}\n", k + 1, own(r)));
            }
            out.push('\n');
        }
        if detail.collect_next && !f.collect_next.is_empty() {
            out.push_str("**Collect next**\n\n");
            for c in &f.collect_next {
                out.push_str(&format!("- {}\n", own(c)));
            }
            out.push('\n');
        }
    }
    if shown < report.findings.len() {
        let left: Vec<String> = (0..report.findings.len())
            .filter(|i| !picked.contains(i))
            .map(|i| (i + 1).to_string())
            .collect();
        out.push_str(&format!(
            "… findings {} are in the summary above; their evidence and fixes are left out to keep this report within a ticket's size, the most severe shown first (`--format html` or `--format json` has them all).\n\n",
            left.join(", ")
        ));
    }
    if !report.clock_offsets.is_empty() {
        let list: Vec<String> = report
            .clock_offsets
            .iter()
            .map(|o| {
                format!(
                    "{} {:+.3} ms ({} pair{})",
                    text(&o.computer),
                    o.offset_ms,
                    o.pairs,
                    plural(o.pairs)
                )
            })
            .collect();
        out.push_str(&format!(
            "Log clocks against the capture: {}.\n\n",
            list.join(", ")
        ));
    }
}

fn timeline(report: &Report, out: &mut String) {
    let (rows, left_out) = story::timeline(report);
    if rows.is_empty() {
        return;
    }
    out.push_str("### Timeline (UTC)\n\n");
    out.push_str("| time | source | what |\n|---|---|---|\n");
    let mut day = "";
    for Row {
        time,
        source,
        what,
        failure,
        ..
    } in &rows
    {
        let shown = story::shown_time(time, &mut day);
        // A failure is marked, not bold: a column of bold rows reads as a wall.
        let what = if *failure {
            format!("✗ {}", cell(what))
        } else {
            cell(what)
        };
        out.push_str(&format!("| {shown} | {} | {what} |\n", cell(source)));
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n{left_out} more row{} (connections that worked, routine events) are in `--format json`.\n",
            plural(left_out)
        ));
    }
    out.push('\n');
}

fn sequences(report: &Report, out: &mut String) {
    let failed = story::drawn_failures(report);
    if failed.is_empty() {
        return;
    }
    out.push_str("### Handshakes that failed\n\n");
    for c in failed.iter().take(MAX_SEQUENCES) {
        // Each handshake folds (GitHub, GitLab and most wikis render <details>).
        out.push_str(&format!(
            "<details><summary>{} {} → {}: {} — {}</summary>\n\n",
            c.id,
            c.client,
            c.server,
            c.verdict.map_or("not judged", Word::word).to_uppercase(),
            c.cause.map_or("no cause", Word::word)
        ));
        out.push_str(&format!(
            "**{}** `{}` → `{}` in `{}`: {} — {}\n\n",
            c.id,
            c.client,
            c.server,
            code(c.input()),
            c.verdict.map_or("not judged", Word::word).to_uppercase(),
            c.cause.map_or("no cause", Word::word)
        ));
        out.push_str(&format!("Ladder: {}.", ladder_line(c)));
        if let Some(f) = c.detail().credssp.as_ref() {
            out.push_str(&format!(
                " {}.",
                text(&crate::diagnose::words::credssp_line(f))
            ));
        }
        if let Some(f) = frame_to_open(c) {
            out.push_str(&format!(" Open frame {f} in Wireshark."));
        }
        out.push_str(&format!(
            " Wireshark display filter: `{}`.",
            c.display_filter()
        ));
        out.push_str("\n\n");
        let rows = story::sequence(c);
        if rows.is_empty() {
            out.push_str("</details>\n\n");
            continue;
        }
        out.push_str("| frame | ms | client | | server |\n|---:|---:|---|:---:|---|\n");
        for r in rows {
            if let Some(n) = r.omitted_before {
                out.push_str(&format!("| … | | {n} rows left out | | |\n"));
            }
            let mut label = cell(&r.label);
            if r.is_break {
                label = format!("**{label}** ✗");
            }
            let (client, arrow, server) = match r.from {
                Sender::Client => (label, "→", String::new()),
                Sender::Server => (String::new(), "←", label),
                Sender::Network => (label, "⚡", String::new()),
            };
            out.push_str(&format!(
                "| {} | {:.1} | {client} | {arrow} | {server} |\n",
                r.frames, r.ms
            ));
        }
        out.push_str("\n</details>\n\n");
    }
    if failed.len() > MAX_SEQUENCES {
        out.push_str(&format!(
            "{} more failed connections: see the table below and `--format json`.\n\n",
            failed.len() - MAX_SEQUENCES
        ));
    }
}

fn connections(report: &Report, out: &mut String) {
    if report.connections.is_empty() {
        return;
    }
    out.push_str(&format!(
        "### Connections ({})\n\n| id | client → server | start (UTC) | result | ladder | network |\n|---|---|---|---|---|---|\n",
        report.connections.len()
    ));
    for c in report.connections.iter().take(MAX_CONNECTION_ROWS) {
        let result = match (c.verdict, c.cause) {
            (Some(v), Some(cause)) => format!("{} `{cause}`", v.word().to_uppercase()),
            (Some(v), None) => v.word().to_uppercase(),
            (None, _) => format!("reached {}", c.reached.map_or("nothing", Word::word)),
        };
        let retried = c
            .superseded_by
            .map(|l| format!(" (retried: {l})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | `{}` → `{}` | {} | {result}{retried} | {} | {} |\n",
            c.id,
            c.client,
            c.server,
            super::text::start_cell(report, c),
            ladder_line(c),
            cell(&super::text::network_cell(c).replace('\n', ", "))
        ));
    }
    if report.connections.len() > MAX_CONNECTION_ROWS {
        out.push_str(&format!(
            "\n{} more connections are in `--format json`.\n",
            report.connections.len() - MAX_CONNECTION_ROWS
        ));
    }
    out.push('\n');
}

/// Text that may hold Markdown's special characters, made literal: it can open no block
/// (heading, list, quote, code fence: no line break passes, controls are shown escaped as in
/// the terminal report, and a leading `-`, `+`, `=`, `#` or `~` is escaped) and no inline
/// structure (emphasis, link, HTML, code span, table cell).
fn text(s: &str) -> String {
    let s = super::text::neutral(s).to_string();
    let mut out = String::with_capacity(s.len());
    if s.starts_with(['-', '+', '=', '#', '~']) {
        out.push('\\');
    }
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        // A backslash escapes only ASCII punctuation (CommonMark §2.4): `C:\Windows` stays.
        if ch == '\\' {
            out.push(ch);
            if chars.peek().is_some_and(|c| c.is_ascii_punctuation()) {
                out.push('\\');
            }
            continue;
        }
        // `_` is left alone: GitHub-flavoured Markdown never reads it as emphasis inside a
        // word (`certificate_rejected`).
        if matches!(ch, '*' | '[' | ']' | '<' | '>' | '|' | '`') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The tool's own words (a fix, what to collect next), whose code spans are meant: literal but
/// for them.
fn own(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_string()
            } else {
                text(part)
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// A table cell: literal text on one line.
fn cell(s: &str) -> String {
    text(&s.replace(['\n', '\r'], " "))
}

/// Inside backticks only a backtick needs care, and controls are shown escaped.
fn code(s: &str) -> String {
    super::text::neutral(s).to_string().replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_literal() {
        assert_eq!(text("a|b *c* [d]"), r"a\|b \*c\* \[d\]");
        assert_eq!(cell("x\ny|z"), r"x y\|z");
        assert_eq!(code("a`b"), "a'b");
        assert_eq!(text(r"C:\ProgramData\*"), r"C:\ProgramData\\\*");
    }

    /// What an input can hold to break a ticket's Markdown: a code fence in a user name, a
    /// line break starting a heading or a list item, a leading list marker, a right-to-left
    /// override.
    #[test]
    fn inputs_open_no_structure() {
        assert_eq!(text("al```ice"), r"al\`\`\`ice");
        assert_eq!(text("x\n# Finding 9: ok"), r"x\x0a# Finding 9: ok");
        assert_eq!(text("- item"), r"\- item");
        assert_eq!(text("~~~"), r"\~~~");
        assert_eq!(text("# x"), r"\# x");
        assert_eq!(text("RST #16"), "RST #16");
        assert_eq!(
            own("run `rdptriage analyze` *now*"),
            r"run `rdptriage analyze` \*now\*"
        );
        assert_eq!(text("a\u{202e}b"), r"a\u{202e}b");
        assert_eq!(code("a`b\nc"), r"a'b\x0ac");
        assert_eq!(cell("x\r\ny"), "x  y");
    }
}
