//! The report: one serde structure, the JSON contract of `REPORT.md` (`schema: rdptriage/1`),
//! and its renderings — JSON, JSON Lines and the terminal table ([`text`]).
//!
//! Field names here are a contract with scripts and dashboards: add fields, never rename or
//! remove them. Absent facts are `null` or `[]`, never guessed.

mod connection;
pub mod explain;
pub mod html;
pub mod markdown;
pub mod pretty;
pub mod rollup;
pub mod scope;
mod story;
pub mod text;

use serde::Serialize;

pub use crate::correlate::ClockOffset;
pub use crate::correlate::timeline::{Timeline, TimelineEntry};
pub use crate::diagnose::Finding;
pub use crate::eventlog::CatalogEvent;
pub use crate::handshake::judged::JudgedConnection;
pub use crate::model::{AttemptId, ConnId, EventRef};

pub const SCHEMA: &str = "rdptriage/1";

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// The program and its version (`rdptriage 0.1.0`).
    pub tool: &'static str,
    /// What the run was asked for, as far as it shapes the report.
    pub options: RunOptions,
    /// The answer in one line, for the top of a ticket (`diagnose::answer`); null when
    /// nothing was found.
    pub verdict: Option<String>,
    /// What a scoped run (`--client`, `--server`, `--since`, `--until`, `--cause`) kept of
    /// the report, in words; null when the run was not scoped.
    pub scoped: Option<String>,
    pub inputs: Vec<InputReport>,
    pub connections: Vec<JudgedConnection>,
    /// Catalog events of the Windows event logs read, by time, then input, then record id.
    pub events: Vec<CatalogEvent>,
    /// What went wrong, one per failed connection attempt and per problem a log shows that
    /// no capture covers (`diagnose::rules`).
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    /// Per log host: how far its clock is from the captures' (`correlate::join_events`).
    pub clock_offsets: Vec<ClockOffset>,
    /// Per server, client address and session: the catalog events in time order and what is
    /// missing from them (`correlate::timeline`).
    pub timelines: Vec<Timeline>,
    /// The catalog events counted past the caps on kept events, read again from their files
    /// as the report is written: `events` in JSON and JSON Lines lists them after the kept
    /// ones.
    #[serde(skip)]
    pub more_events: MoreEvents,
}

/// The program and its version, as reports name it.
pub const TOOL: &str = concat!("rdptriage ", env!("CARGO_PKG_VERSION"));

/// The options of a run that shape its report (`Report::options`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunOptions {
    /// TCP ports read as RDP (3389 and each `--rdp-port`).
    pub rdp_ports: Vec<u16>,
    /// Payload bytes read per direction of an RDP connection (`--payload-cap`).
    pub payload_cap: usize,
    /// Whether links out of a folder given were followed (`--follow-symlinks`).
    pub follow_symlinks: bool,
    /// Whether server keys or key logs were given to decrypt with (`--key`, `--keylog`);
    /// their names and contents are never written.
    pub decryption: bool,
    /// What the report was narrowed to, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<scope::Scope>,
}

/// A reader of the catalog events a run counted but did not keep: given a sink, it feeds it
/// the events a batch at a time.
type EventFeed = dyn Fn(&mut dyn FnMut(Vec<CatalogEvent>) -> std::io::Result<()>) -> std::io::Result<()>
    + Send
    + Sync;

/// The events past the caps, read again when the report is written (see
/// [`Report::more_events`]); none by default.
#[derive(Clone, Default)]
pub struct MoreEvents(Option<std::sync::Arc<EventFeed>>);

impl MoreEvents {
    pub fn new(
        feed: impl Fn(&mut dyn FnMut(Vec<CatalogEvent>) -> std::io::Result<()>) -> std::io::Result<()>
        + Send
        + Sync
        + 'static,
    ) -> MoreEvents {
        MoreEvents(Some(std::sync::Arc::new(feed)))
    }

    /// Feeds `sink` the events, a batch at a time.
    pub fn for_each(
        &self,
        sink: &mut dyn FnMut(Vec<CatalogEvent>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match &self.0 {
            Some(feed) => feed(sink),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for MoreEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "MoreEvents(read again)"
        } else {
            "MoreEvents(none)"
        })
    }
}

/// One file (or archive member) read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputReport {
    pub path: String,
    /// `pcap`, `pcapng`, `netmon`, `evtx`, `evtx-xml` or `unknown`.
    pub kind: String,
    /// How the bytes reached the reader: `file`, `gzip`, `zip`, or a chain such as `zip/gzip`.
    pub container: String,
    /// Frames read.
    pub packets: u64,
    /// Catalog events read (event logs).
    pub events: u64,
    /// Event log records outside the catalog: counted, not listed.
    pub events_outside_catalog: u64,
    /// Event log records that could not be read (skipped; the warnings name them).
    pub corrupt_records: u64,
    /// Catalog events per channel and id.
    pub event_counts: Vec<crate::eventlog::IdCount>,
    /// Records outside the catalog per channel and id.
    pub outside_catalog: Vec<crate::eventlog::IdCount>,
    /// True when the file was recognised but not analysed; `skipped_reason` says why.
    pub skipped: bool,
    pub skipped_reason: Option<String>,
    pub warnings: Vec<String>,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub stats: Option<CaptureStats>,
    /// Failed DNS lookups (NXDOMAIN, SERVFAIL, no answer) and Kerberos errors anywhere in the
    /// capture, the first 200: they may explain a connection that never started.
    pub side_failures: Vec<crate::handshake::side::SideEvent>,
}

/// What a capture contained, counted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CaptureStats {
    pub bytes: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub ip_fragments: u64,
    pub tcp_packets: u64,
    pub udp_packets: u64,
    pub icmp_packets: u64,
    pub non_ip_frames: u64,
    pub undecodable_frames: u64,
    /// Link types not decoded, with their frame counts.
    pub unsupported_link_types: Vec<LinkTypeCount>,
    pub tcp_connections: u64,
    pub rdp_connections: u64,
    pub udp_packets_rdp_port: u64,
    pub icmp_errors_unmatched: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkTypeCount {
    pub link_type: u32,
    pub frames: u64,
}

pub use crate::model::time::rfc3339;

/// serde_json's compact output with U+0085, U+2028 and U+2029 written as `\u` escapes: JSON
/// allows them raw inside strings, but readers that split text on every Unicode line break
/// (JavaScript's, Python's `splitlines`) would cut a JSON Lines line there.
struct LineSafe;

impl serde_json::ser::Formatter for LineSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // U+0085 is C2 85 in UTF-8, U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        if !fragment.bytes().any(|b| b == 0xC2 || b == 0xE2) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '\u{85}' => "\\u0085",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

impl Report {
    /// The report as pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes,
    /// with every array (connections and events are most of a large report) serialized in
    /// parallel a window at a time: memory holds one window's text, never the whole report's.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        /// `value` pretty-printed as the member of an object or array at `depth`, straight
        /// into `out` (serde_json's pretty printer started at that depth).
        fn nested<T: Serialize>(value: &T, depth: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
            let mut ser =
                serde_json::Serializer::with_formatter(out, pretty::NestedPretty::at(depth));
            value.serialize(&mut ser).map_err(std::io::Error::other)
        }
        fn field<T: Serialize>(
            w: &mut dyn std::io::Write,
            name: &str,
            value: &T,
            last: bool,
        ) -> std::io::Result<()> {
            let mut text = Vec::new();
            nested(value, 1, &mut text)?;
            write!(w, "  {}: ", serde_json::to_string(name)?)?;
            w.write_all(&text)?;
            w.write_all(if last { b"\n" } else { b",\n" })
        }
        /// An array member, its items serialized a window at a time in parallel (64 items to
        /// a task, each straight into its task's buffer) and put out in order: memory holds
        /// one window's text, never the whole array's.
        fn array<T: Serialize + Sync>(
            w: &mut dyn std::io::Write,
            name: &str,
            items: &[T],
            last: bool,
        ) -> std::io::Result<()> {
            write!(w, "  {}: ", serde_json::to_string(name)?)?;
            let mut written = false;
            array_items(w, items, &mut written)?;
            array_end(w, written, last)
        }
        /// Items of an open array (`written`: whether any came before, and the `[` with it).
        fn array_items<T: Serialize + Sync>(
            w: &mut dyn std::io::Write,
            items: &[T],
            written: &mut bool,
        ) -> std::io::Result<()> {
            const WINDOW: usize = 2048;
            const TASK: usize = 64;
            if items.is_empty() {
                return Ok(());
            }
            if !*written {
                w.write_all(b"[\n")?;
            }
            let before = *written;
            for (k, window) in items.chunks(WINDOW).enumerate() {
                let texts: Vec<std::io::Result<Vec<u8>>> = window
                    .par_chunks(TASK)
                    .enumerate()
                    .map(|(j, task)| {
                        let mut out = Vec::new();
                        for (i, c) in task.iter().enumerate() {
                            if before || k > 0 || j > 0 || i > 0 {
                                out.extend_from_slice(b",\n");
                            }
                            out.extend_from_slice(b"    ");
                            nested(c, 2, &mut out)?;
                        }
                        Ok(out)
                    })
                    .collect();
                for t in texts {
                    w.write_all(&t?)?;
                }
            }
            *written = true;
            Ok(())
        }
        fn array_end(w: &mut dyn std::io::Write, written: bool, last: bool) -> std::io::Result<()> {
            w.write_all(if written { b"\n  ]" } else { b"[]" })?;
            w.write_all(if last { b"\n" } else { b",\n" })
        }
        w.write_all(b"{\n")?;
        field(w, "schema", &self.schema, false)?;
        field(w, "tool", &self.tool, false)?;
        field(w, "options", &self.options, false)?;
        field(w, "verdict", &self.verdict, false)?;
        field(w, "scoped", &self.scoped, false)?;
        array(w, "inputs", &self.inputs, false)?;
        array(w, "connections", &self.connections, false)?;
        // The kept events, then those past the caps, read again.
        write!(w, "  \"events\": ")?;
        let mut written = false;
        array_items(w, &self.events, &mut written)?;
        self.more_events
            .for_each(&mut |batch| array_items(w, &batch, &mut written))?;
        array_end(w, written, false)?;
        array(w, "findings", &self.findings, false)?;
        array(w, "warnings", &self.warnings, false)?;
        array(w, "clock_offsets", &self.clock_offsets, false)?;
        array(w, "timelines", &self.timelines, true)?;
        w.write_all(b"}\n")
    }

    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// JSON Lines: one object per input, connection, event, timeline, finding and warning, each with
    /// its `type` first. Each list is written a window at a time, its lines serialized in
    /// parallel (as `write_json` does): memory holds one window's text, never the whole list's.
    pub fn write_jsonl(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        #[derive(Serialize)]
        struct Line<'a, T: Serialize> {
            r#type: &'a str,
            #[serde(flatten)]
            item: &'a T,
        }
        #[derive(Serialize)]
        struct Message<'a> {
            message: &'a str,
        }
        fn lines<T: Serialize + Sync>(
            w: &mut dyn std::io::Write,
            kind: &str,
            items: &[T],
        ) -> std::io::Result<()> {
            const WINDOW: usize = 2048;
            const TASK: usize = 64;
            for window in items.chunks(WINDOW) {
                let texts: Vec<std::io::Result<Vec<u8>>> = window
                    .par_chunks(TASK)
                    .map(|task| {
                        let mut out = Vec::new();
                        for item in task {
                            let mut ser =
                                serde_json::Serializer::with_formatter(&mut out, LineSafe);
                            Line { r#type: kind, item }
                                .serialize(&mut ser)
                                .map_err(std::io::Error::other)?;
                            out.push(b'\n');
                        }
                        Ok(out)
                    })
                    .collect();
                for t in texts {
                    w.write_all(&t?)?;
                }
            }
            Ok(())
        }
        // The header: what made the report and how the logs' clocks stand against the
        // captures', before anything that may need them.
        #[derive(Serialize)]
        struct Header<'a> {
            r#type: &'static str,
            schema: &'static str,
            tool: &'static str,
            options: &'a RunOptions,
            verdict: &'a Option<String>,
            scoped: &'a Option<String>,
            clock_offsets: &'a [ClockOffset],
        }
        {
            let mut ser = serde_json::Serializer::with_formatter(&mut *w, LineSafe);
            Header {
                r#type: "report",
                schema: self.schema,
                tool: self.tool,
                options: &self.options,
                verdict: &self.verdict,
                scoped: &self.scoped,
                clock_offsets: &self.clock_offsets,
            }
            .serialize(&mut ser)
            .map_err(std::io::Error::other)?;
        }
        w.write_all(b"\n")?;
        lines(w, "input", &self.inputs)?;
        lines(w, "connection", &self.connections)?;
        lines(w, "event", &self.events)?;
        self.more_events
            .for_each(&mut |batch| lines(w, "event", &batch))?;
        lines(w, "timeline", &self.timelines)?;
        lines(w, "finding", &self.findings)?;
        let messages: Vec<Message> = self
            .warnings
            .iter()
            .map(|m| Message { message: m })
            .collect();
        lines(w, "warning", &messages)
    }

    pub fn to_jsonl(&self) -> String {
        let mut out = Vec::new();
        let _ = self.write_jsonl(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::judged::sample_connection;
    use crate::model::{Cause, Confidence, Severity};

    #[test]
    fn json_written_in_parallel_is_what_serde_writes() {
        let conn = sample_connection;
        for n in [0usize, 1, 3, 2049] {
            let report = Report {
                schema: SCHEMA,
                connections: (0..n).map(|i| conn(&format!("c{i}"))).collect(),
                events: (0..n)
                    .map(|i| CatalogEvent {
                        record_id: i as u64,
                        fields: std::sync::Arc::new(
                            [("a\"b".to_string(), "x\ny".to_string())].into(),
                        ),
                        ..Default::default()
                    })
                    .collect(),
                findings: vec![
                    Finding {
                        cause: Cause::TcpRefused,
                        severity: Severity::Error,
                        confidence: Confidence::High,
                        summary: "s".into(),
                        attempt: None,
                        connections: vec![],
                        events: vec![],
                        evidence: vec![],
                        remediation: vec![],
                        collect_next: vec![],
                        server: None,
                        clients: Vec::new(),
                        first: None,
                        last: None,
                        count: 0,
                        dialog: None,
                    };
                    n.min(3)
                ],
                warnings: vec!["w".into()],
                ..Default::default()
            };
            let mut ours = Vec::new();
            report.write_json(&mut ours).expect("write");
            let mut serde = serde_json::to_vec_pretty(&report).expect("serde");
            serde.push(b'\n');
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde).unwrap(),
                "{n}"
            );
            // JSON Lines, windows in parallel: each line is serde_json's object with its type
            // first, in the report's order.
            let lines = report.to_jsonl();
            let typed = |kind: &str, v: serde_json::Value| {
                let mut line = serde_json::Map::new();
                line.insert("type".into(), kind.into());
                line.extend(v.as_object().expect("an object").clone());
                serde_json::to_string(&line).expect("serde") + "\n"
            };
            let mut expected = typed(
                "report",
                serde_json::json!({
                    "schema": report.schema,
                    "tool": report.tool,
                    "options": report.options,
                    "verdict": report.verdict,
                    "scoped": report.scoped,
                    "clock_offsets": report.clock_offsets,
                }),
            );
            for c in &report.connections {
                expected += &typed("connection", serde_json::to_value(c).unwrap());
            }
            for e in &report.events {
                expected += &typed("event", serde_json::to_value(e).unwrap());
            }
            for f in &report.findings {
                expected += &typed("finding", serde_json::to_value(f).unwrap());
            }
            expected += &typed("warning", serde_json::json!({"message": "w"}));
            assert_eq!(lines, expected, "{n}");
            assert_eq!(lines.lines().count(), 1 + 2 * n + n.min(3) + 1);
        }
    }

    /// U+0085, U+2028 and U+2029 from an input are escaped in JSON Lines (each line stays one
    /// line for readers that split on Unicode line breaks) and read back as they were; other
    /// text, line breaks included, is serde_json's.
    #[test]
    fn json_lines_escape_unicode_line_breaks() {
        let mut conn = sample_connection("c1");
        if let Some(d) = match &mut conn.detail {
            crate::handshake::held::Detail::Held(d) => Some(d),
            _ => None,
        } {
            d.summary = "a\u{2028}b\u{2029}c\u{85}d\ne é".into();
        }
        let report = Report {
            schema: SCHEMA,
            connections: vec![conn],
            warnings: vec!["w\u{2028}".into()],
            ..Default::default()
        };
        let text = report.to_jsonl();
        assert!(
            !text.contains('\u{2028}') && !text.contains('\u{2029}') && !text.contains('\u{85}')
        );
        assert!(text.contains(r#"a\u2028b\u2029c\u0085d\ne é"#), "{text}");
        assert_eq!(text.lines().count(), 3);
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("each line parses");
            if v["type"] == "report" {
                assert_eq!(v["schema"], SCHEMA);
            } else if v["type"] == "connection" {
                assert_eq!(v["summary"], "a\u{2028}b\u{2029}c\u{85}d\ne é");
            } else {
                assert_eq!(v["message"], "w\u{2028}");
            }
        }
    }
}
