//! `--format html`: the report as one self-contained page (inline CSS and SVG, no script, no
//! fetch of any kind) to attach to a ticket or open offline: the findings with their evidence
//! and fix, a ladder diagram per failed connection (client and server columns, one arrow per
//! message with its frame number, the break marked), the merged timeline of captures and
//! event logs, every connection, and the warnings.

use super::story;
use super::text::plural;
use super::{JudgedConnection, Report};
use crate::handshake::messages::Sender;
use crate::model::{Status, Verdict, Word};

/// Most connections drawn; the table lists all of them.
const MAX_DIAGRAMS: usize = 20;
const MAX_CONNECTION_ROWS: usize = 500;
const MAX_WARNINGS: usize = 100;

const STYLE: &str = r#"
:root { --fg:#1d232b; --muted:#5b6673; --line:#d5dbe2; --bg:#ffffff; --panel:#f5f7fa;
  --err:#c62828; --warn:#b26a00; --ok:#2e7d32; --info:#1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 10px;
  border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 14px 0 6px; }
.headline { font-size: 16px; margin: 4px 0 10px; }
.muted, .inputs { color: var(--muted); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--info); border-radius: 6px;
  padding: 10px 16px; margin: 12px 0; background: var(--panel); }
.finding.error { border-left-color: var(--err); } .finding.warning { border-left-color: var(--warn); }
.badge { display: inline-block; border-radius: 10px; padding: 1px 9px; font-size: 12px; color: #fff;
  background: var(--info); margin-right: 6px; vertical-align: middle; }
.badge.error, .badge.failed { background: var(--err); } .badge.warning, .badge.incomplete { background: var(--warn); }
.badge.ok { background: var(--ok); } .badge.conf { background: #607080; }
.summary { font-size: 15px; margin: 8px 0; }
ul, ol { margin: 4px 0 8px; padding-left: 22px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
tr.failure td { color: var(--err); }
.stages span { display: inline-block; padding: 1px 8px; margin: 0 4px 4px 0; border-radius: 4px;
  border: 1px solid var(--line); font-size: 12.5px; }
.stages .ok { background: #e8f5e9; border-color: #a5d6a7; } .stages .failed { background: #ffebee; border-color: #ef9a9a; font-weight: 600; }
.stages .unknown { background: #fff8e1; border-color: #ffe082; }
.ladder { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0 18px; background: #fff; overflow-x: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"#;

/// Renders the report as one HTML page.
/// The page's Content-Security-Policy: nothing but its inline style.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // The page runs nothing and fetches nothing: its own inline style is all it may use, so
    // no markup an input smuggled past the escaping could load or run anything.
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>rdptriage report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>RDP connection triage</h1>\n");
    if let Some(v) = &report.verdict {
        out.push_str(&format!(
            "<p class=\"verdict\"><strong>Verdict:</strong> {}</p>\n",
            esc(v)
        ));
    }
    let read = report.inputs.iter().filter(|i| !i.skipped).count();
    out.push_str(&format!(
        "<p class=\"headline\">{}</p>\n<details class=\"inputs\"{}><summary>{read} input{} read</summary>\n<ul>\n",
        esc(&story::headline(report)),
        // A few inputs are shown; a bundle's list is folded.
        if read <= 12 { " open" } else { "" },
        plural(read)
    ));
    for i in report.inputs.iter().filter(|i| !i.skipped) {
        out.push_str(&format!(
            "<li><code>{}</code> ({}): {}</li>\n",
            esc(&i.path),
            esc(&i.kind),
            esc(&story::input_contents(i))
        ));
    }
    out.push_str("</ul>\n</details>\n");
    // Files that are neither captures nor logs (notes, other tools' output): folded away.
    let skipped: Vec<_> = report.inputs.iter().filter(|i| i.skipped).collect();
    if !skipped.is_empty() {
        out.push_str(&format!(
            "<details class=\"inputs\"><summary>{} file{} skipped</summary>\n<ul>\n",
            skipped.len(),
            plural(skipped.len())
        ));
        for i in skipped {
            out.push_str(&format!(
                "<li><code>{}</code> ({}): {}</li>\n",
                esc(&i.path),
                esc(&i.kind),
                esc(i.skipped_reason.as_deref().unwrap_or("not analysed"))
            ));
        }
        out.push_str("</ul>\n</details>\n");
    }

    findings(report, &mut out);
    diagrams(report, &mut out);
    timeline(report, &mut out);
    connections(report, &mut out);
    if !report.warnings.is_empty() {
        out.push_str(&format!(
            "<h2>Warnings ({})</h2>\n<ul>\n",
            report.warnings.len()
        ));
        for w in report.warnings.iter().take(MAX_WARNINGS) {
            out.push_str(&format!("<li>{}</li>\n", esc(w)));
        }
        if report.warnings.len() > MAX_WARNINGS {
            out.push_str(&format!(
                "<li>… and {} more (all in <code>--format json</code>)</li>\n",
                report.warnings.len() - MAX_WARNINGS
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&format!(
        "<footer>rdptriage {} · report schema {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        report.schema
    ));
    out
}

fn findings(report: &Report, out: &mut String) {
    out.push_str(&format!("<h2>Findings ({})</h2>\n", report.findings.len()));
    if report.findings.is_empty() {
        out.push_str("<p>No failure found: every RDP connection read ended ok, and the logs name no problem.</p>\n");
    }
    for f in &report.findings {
        out.push_str(&format!(
            "<article class=\"finding {sev}\">\n<h3><span class=\"badge {sev}\">{sev}</span><span class=\"badge conf\">{} confidence</span> <code>{}</code>{}</h3>\n",
            esc(f.confidence.word()),
            esc(f.cause.word()),
            if f.connections.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"muted\">— {}</span>", esc(&super::text::id_list(&f.connections)))
            },
            sev = esc(f.severity.word()),
        ));
        out.push_str(&format!("<p class=\"summary\">{}</p>\n", rich(&f.summary)));
        if let Some(d) = &f.dialog {
            out.push_str(&format!(
                "<h4>Error code {} <span class=\"muted\">({})</span></h4>\n<table>\n<tr><th>candidate cause</th><th>check</th><th>because</th></tr>\n",
                esc(&d.meaning),
                esc(&d.source)
            ));
            for c in &d.checks {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    esc(c.label),
                    esc(match c.check {
                        crate::model::Check::Proven => "proven",
                        crate::model::Check::StillPossible => "still possible",
                        crate::model::Check::RuledOut => "ruled out",
                    }),
                    esc(&c.because)
                ));
            }
            out.push_str("</table>\n");
        }
        list(out, "Evidence", "ul", &f.evidence);
        list(out, "Fix", "ol", &f.remediation);
        list(out, "Collect next", "ul", &f.collect_next);
        out.push_str("</article>\n");
    }
    if !report.clock_offsets.is_empty() {
        let l: Vec<String> = report
            .clock_offsets
            .iter()
            .map(|o| format!("{} {:+.3} ms ({} pairs)", o.computer, o.offset_ms, o.pairs))
            .collect();
        out.push_str(&format!(
            "<p class=\"muted\">Log clocks against the capture: {}.</p>\n",
            esc(&l.join(", "))
        ));
    }
}

fn list(out: &mut String, title: &str, tag: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("<h3>{title}</h3>\n<{tag}>\n"));
    for i in items {
        out.push_str(&format!("<li>{}</li>\n", rich(i)));
    }
    out.push_str(&format!("</{tag}>\n"));
}

fn diagrams(report: &Report, out: &mut String) {
    let failed = story::drawn_failures(report);
    if failed.is_empty() {
        return;
    }
    out.push_str("<h2>Handshakes that failed</h2>\n");
    for c in failed.iter().take(MAX_DIAGRAMS) {
        let verdict = c.verdict.map_or("incomplete", Word::word);
        out.push_str(&format!(
            "<h3 id=\"{id}\">{id} <code>{}</code> → <code>{}</code> <span class=\"badge {v}\">{v}</span> <code>{}</code></h3>\n",
            esc(&c.client.to_string()),
            esc(&c.server.to_string()),
            esc(c.cause.map_or("", Word::word)),
            id = esc(&c.id.to_string()),
            v = esc(verdict),
        ));
        out.push_str(&format!(
            "<p>{} <span class=\"muted\">({})</span></p>\n<div class=\"stages\">",
            esc(&crate::diagnose::words::summary(c)),
            esc(c.input())
        ));
        if let Some(f) = c.detail().credssp.as_ref() {
            out.push_str(&format!(
                "<p class=\"muted\">{}</p>\n",
                esc(&crate::diagnose::words::credssp_line(f))
            ));
        }
        for s in c
            .detail()
            .stages
            .iter()
            .filter(|s| s.status != Status::NotReached)
        {
            out.push_str(&format!(
                "<span class=\"{}\">{} {}</span>",
                esc(s.status.word()),
                esc(s.stage.word()),
                super::text::mark(s.status)
            ));
        }
        out.push_str("</div>\n<div class=\"ladder\">\n");
        out.push_str(&ladder_svg(c));
        out.push_str("</div>\n");
    }
    if failed.len() > MAX_DIAGRAMS {
        out.push_str(&format!(
            "<p class=\"muted\">{} more failed connections: see the table and <code>--format json</code>.</p>\n",
            failed.len() - MAX_DIAGRAMS
        ));
    }
}

/// Geometry of the ladder diagram.
const CLIENT_X: f64 = 230.0;
const SERVER_X: f64 = 800.0;
const WIDTH: f64 = 1000.0;
const TOP: f64 = 56.0;
const ROW: f64 = 30.0;
/// Characters of a label drawn on an arrow (the whole label is in the row's tooltip).
const LABEL_CHARS: usize = 80;

/// One connection's messages as an SVG sequence diagram.
fn ladder_svg(c: &JudgedConnection) -> String {
    let rows = story::sequence(c);
    let extra = rows.iter().filter(|r| r.omitted_before.is_some()).count();
    let height = TOP + ROW * (rows.len() + extra) as f64 + 24.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">\n<title>{} handshake: {} messages</title>\n",
        esc(&c.id.to_string()),
        rows.len()
    );
    // Column heads and life lines.
    for (x, who, addr) in [
        (CLIENT_X, "client", &c.client),
        (SERVER_X, "server", &c.server),
    ] {
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\">{who}</text>\n<text x=\"{x}\" y=\"36\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6673\">{}</text>\n<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#9aa5b1\" stroke-width=\"2\"/>\n",
            esc(&addr.to_string()),
            TOP - 12.0,
            height - 8.0
        ));
    }
    s.push_str("<text x=\"8\" y=\"36\" font-size=\"12\" fill=\"#5b6673\">frame · ms</text>\n");
    let mut y = TOP;
    for r in &rows {
        if let Some(n) = r.omitted_before {
            y += ROW;
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6673\">⋯ {n} rows left out ⋯</text>\n",
                (CLIENT_X + SERVER_X) / 2.0,
                y - 8.0
            ));
        }
        y += ROW;
        let (full, is_break, frames) = (&r.label, r.is_break, &r.frames);
        let label = full.as_str();
        let colour =
            if is_break || label == "RST" || label.contains("fatal") || label.contains("FAILURE") {
                "#c62828"
            } else if label.contains("alert")
                || label.contains("Ultimatum")
                || label.starts_with("ICMP")
            {
                "#b26a00"
            } else if label == "FIN" {
                "#607080"
            } else {
                "#1d232b"
            };
        s.push_str(&format!(
            "<g><title>frame {frames}, {:.3} ms: {}</title>\n<text x=\"8\" y=\"{}\" font-size=\"12\" class=\"mono\" fill=\"#5b6673\">#{frames} · {:.1}</text>\n",
            r.ms,
            esc(full),
            y - 2.0,
            r.ms,
        ));
        let (x1, x2) = match r.from {
            Sender::Client => (CLIENT_X, SERVER_X),
            Sender::Server => (SERVER_X, CLIENT_X),
            // An ICMP error from the network: drawn from the middle to the client.
            Sender::Network => ((CLIENT_X + SERVER_X) / 2.0, CLIENT_X),
        };
        let dir = if x2 > x1 { 1.0 } else { -1.0 };
        let dash = if label == "FIN" || label == "RST" {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        s.push_str(&format!(
            "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"{}\"{dash}/>\n<polygon points=\"{x2},{y} {},{} {},{}\" fill=\"{colour}\"/>\n",
            x2 - dir * 8.0,
            if is_break { 3 } else { 2 },
            x2 - dir * 10.0,
            y - 5.0,
            x2 - dir * 10.0,
            y + 5.0,
        ));
        let shown: String = if full.chars().count() > LABEL_CHARS {
            let mut t: String = full.chars().take(LABEL_CHARS - 1).collect();
            t.push('…');
            t
        } else {
            full.clone()
        };
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12.5\" fill=\"{colour}\"{}>{}</text>\n",
            (CLIENT_X + SERVER_X) / 2.0,
            y - 6.0,
            if is_break { " font-weight=\"700\"" } else { "" },
            esc(&shown)
        ));
        if is_break {
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"700\" fill=\"#c62828\">✗ {}</text>\n",
                SERVER_X + 14.0,
                y + 4.0,
                esc(c.cause.map_or("break", Word::word))
            ));
        }
        s.push_str("</g>\n");
    }
    if rows.is_empty() {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#5b6673\">no messages kept for this connection</text>\n",
            (CLIENT_X + SERVER_X) / 2.0,
            TOP + 20.0
        ));
    }
    s.push_str("</svg>\n");
    s
}

fn timeline(report: &Report, out: &mut String) {
    let (rows, left_out) = story::timeline(report);
    if rows.is_empty() {
        return;
    }
    out.push_str("<h2>Timeline (UTC)</h2>\n<table>\n<thead><tr><th>time</th><th>source</th><th>what</th></tr></thead>\n<tbody>\n");
    let mut day = "";
    for r in &rows {
        let shown = story::shown_time(&r.time, &mut day);
        out.push_str(&format!(
            "<tr{}><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>\n",
            if r.failure { " class=\"failure\"" } else { "" },
            esc(&shown),
            esc(&r.source),
            esc(&r.what)
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if left_out > 0 {
        out.push_str(&format!(
            "<p class=\"muted\">{left_out} more rows (connections that worked, routine events) are in <code>--format json</code>.</p>\n"
        ));
    }
}

fn connections(report: &Report, out: &mut String) {
    if report.connections.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<h2>Connections ({})</h2>\n<table>\n<thead><tr><th>id</th><th>client → server</th><th>start (UTC)</th><th>result</th><th>stages</th><th>network</th></tr></thead>\n<tbody>\n",
        report.connections.len()
    ));
    for c in report.connections.iter().take(MAX_CONNECTION_ROWS) {
        let verdict = c.verdict.map_or("not judged", Word::word);
        let id = if c.verdict.is_some_and(|v| v != Verdict::Ok) && c.superseded_by.is_none() {
            format!("<a href=\"#{0}\">{0}</a>", esc(&c.id.to_string()))
        } else {
            esc(&c.id.to_string())
        };
        out.push_str(&format!(
            "<tr><td>{id}</td><td class=\"mono\">{} → {}</td><td class=\"mono\">{}</td><td><span class=\"badge {v}\">{v}</span> {}{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&c.client.to_string()),
            esc(&c.server.to_string()),
            esc(&super::text::start_cell(report, c)),
            esc(c.cause.map_or("", Word::word)),
            c.superseded_by
                .map(|l| format!(" (retried: {})", esc(&l.to_string())))
                .unwrap_or_default(),
            esc(&super::text::ladder_line(c)),
            esc(&super::text::network_cell(c).replace('\n', ", ")),
            v = esc(verdict),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if report.connections.len() > MAX_CONNECTION_ROWS {
        out.push_str(&format!(
            "<p class=\"muted\">{} more connections are in <code>--format json</code>.</p>\n",
            report.connections.len() - MAX_CONNECTION_ROWS
        ));
    }
}

/// Escaped text whose `backtick spans` become `<code>` (remedies quote commands that way).
fn rich(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return esc(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", esc(p)));
        } else {
            out.push_str(&esc(p));
        }
    }
    out
}

/// HTML text and attribute escaping.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_attributes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(rich("run `a<b` now"), "run <code>a&lt;b</code> now");
        assert_eq!(rich("one ` only"), "one ` only");
    }

    /// The page carries its Content-Security-Policy in its head, before anything an input
    /// could have written.
    #[test]
    fn the_page_forbids_scripts_and_fetches() {
        let page = render(&Report::default());
        let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">");
        let at = page.find(&meta).expect("CSP meta");
        assert!(at < page.find("<title>").expect("title"));
        assert!(CSP.starts_with("default-src 'none';") && !CSP.contains("script-src"));
    }
}
