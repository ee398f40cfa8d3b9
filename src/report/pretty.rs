//! Pretty JSON for the report's two bulk arrays, `events` and `timelines`, written straight
//! into a byte buffer at any indentation depth.
//!
//! The output is byte for byte what `serde_json::to_writer_pretty` writes for the same values
//! (two-space indent, `"key": value`, `{}`/`[]` when empty, serde_json's string escapes), which
//! the tests check on hostile strings and on every fixture event log. Written by hand because
//! serde's pretty printer made each item its own string, which the report then re-indented
//! and copied: on a log of 200,000 catalog events that path was a fifth of the run. Here one
//! buffer per window of items is filled in a single pass, and strings without anything to
//! escape (nearly all) are copied whole.

use crate::eventlog::fields::Fields;

use super::{EventReport, TimelineEntry, TimelineReport};

/// serde_json's pretty printer (two-space indent, `"key": value`) started at a given depth:
/// an item nested in the report is serialized straight into the output where it sits,
/// instead of on its own and indented after. Each method does what serde_json's
/// `PrettyFormatter` does (the tests compare the report with `to_writer_pretty`'s).
pub struct NestedPretty {
    depth: usize,
    has_value: bool,
}

impl NestedPretty {
    pub fn at(depth: usize) -> NestedPretty {
        NestedPretty {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl NestedPretty {
    /// Opens an array or object: its members go one level deeper.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// Closes an array or object: on its own line when it had members, else right after `[`/`{`.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }

    /// Starts a member on its own line.
    fn member<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A value the report writes with this module: `depth` is the indentation level of the line
/// the value starts on (its closing bracket goes at that level).
pub trait PrettyJson {
    fn write_pretty(&self, out: &mut Vec<u8>, depth: usize);
}

/// Writes `s` as a JSON string, escaped as serde_json escapes: `"` `\` and the C0 controls
/// (`\b \f \n \r \t`, others as `\u00XX` in lower-case hex); everything else as it is.
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    string_contents(out, s);
    out.push(b'"');
}

/// What [`string`] writes between the quotes. Eight bytes at a time are checked for anything
/// to escape (nearly all text has nothing), then copied whole.
fn string_contents(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8)
            && !needs_escape(u64::from_le_bytes([
                word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
            ]))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        i += 1;
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i - 1]);
        start = i;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Whether any of the eight bytes of `word` is `"`, `\` or below 0x20 (the classic
/// zero-byte and less-than tests on a machine word, exact for these values).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    has_zero(word ^ (ONES * u64::from(b'"')))
        || has_zero(word ^ (ONES * u64::from(b'\\')))
        || word.wrapping_sub(ONES * 0x20) & !word & HIGH != 0
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

/// An object being written: its members go one level deeper than `depth`.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn start(out: &'a mut Vec<u8>, depth: usize) -> Object<'a> {
        out.push(b'{');
        Object {
            out,
            depth,
            empty: true,
        }
    }

    /// Starts a member: writes its key; the caller writes the value.
    pub fn key(&mut self, name: &str) -> &mut Vec<u8> {
        self.out
            .extend_from_slice(if self.empty { b"\n" } else { b",\n" });
        self.empty = false;
        indent(self.out, self.depth + 1);
        string(self.out, name);
        self.out.extend_from_slice(b": ");
        self.out
    }

    pub fn str(&mut self, name: &str, value: &str) {
        let out = self.key(name);
        string(out, value);
    }

    pub fn opt_str(&mut self, name: &str, value: Option<&str>) {
        let out = self.key(name);
        match value {
            Some(v) => string(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }

    pub fn uint(&mut self, name: &str, value: u64) {
        let out = self.key(name);
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A member whose value is written by `value` at this object's member depth.
    pub fn nested(&mut self, name: &str, value: &impl PrettyJson) {
        let depth = self.depth + 1;
        let out = self.key(name);
        value.write_pretty(out, depth);
    }

    pub fn end(self) {
        if !self.empty {
            self.out.push(b'\n');
            indent(self.out, self.depth);
        }
        self.out.push(b'}');
    }
}

/// Writes `items` as a JSON array at `depth`.
pub fn array<T>(
    out: &mut Vec<u8>,
    depth: usize,
    items: &[T],
    mut item: impl FnMut(&T, &mut Vec<u8>, usize),
) {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        indent(out, depth + 1);
        item(v, out, depth + 1);
    }
    out.push(b'\n');
    indent(out, depth);
    out.push(b']');
}

impl PrettyJson for Fields {
    fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        let mut o = Object::start(out, depth);
        for (k, v) in self.iter() {
            o.str(k, v);
        }
        o.end();
    }
}

impl PrettyJson for EventReport {
    fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        let mut o = Object::start(out, depth);
        o.str("input", &self.input);
        o.uint("record_id", self.record_id);
        o.str("time", &self.time);
        o.str("computer", &self.computer);
        o.str("channel", &self.channel);
        o.str("provider", &self.provider);
        o.uint("id", u64::from(self.id));
        o.str("name", self.name);
        o.str("side", self.side);
        o.str("summary", &self.summary);
        o.nested("fields", &self.fields);
        o.nested("decoded", &self.decoded);
        if let Some(a) = &self.activity_id {
            o.str("activity_id", a);
        }
        o.end();
    }
}

impl PrettyJson for TimelineEntry {
    fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        let mut o = Object::start(out, depth);
        o.str("time", &self.time);
        o.uint("id", u64::from(self.id));
        o.str("name", self.name);
        let out = o.key("event");
        out.push(b'"');
        string_contents(out, &self.event.input);
        out.push(b'#');
        out.extend_from_slice(itoa::Buffer::new().format(self.event.record_id).as_bytes());
        out.push(b'"');
        o.str("summary", &self.summary);
        o.end();
    }
}

impl PrettyJson for TimelineReport {
    fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        let mut o = Object::start(out, depth);
        o.str("server", &self.server);
        o.opt_str("client", self.client.as_deref());
        o.opt_str("session", self.session.as_deref());
        o.opt_str("user", self.user.as_deref());
        o.str("start", &self.start);
        o.str("end", &self.end);
        o.str("outcome", self.outcome);
        let d = depth + 1;
        array(o.key("events"), d, &self.events, |e, out, depth| {
            e.write_pretty(out, depth)
        });
        array(o.key("missing"), d, &self.missing, |m, out, _| {
            string(out, m)
        });
        o.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_pretty<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }

    fn ours<T: PrettyJson>(v: &T) -> String {
        let mut out = Vec::new();
        v.write_pretty(&mut out, 0);
        String::from_utf8(out).unwrap()
    }

    /// Nested at depth 2 the text is serde's, every line after the first indented by two
    /// more levels.
    fn ours_at_depth_2<T: PrettyJson>(v: &T) -> String {
        let mut out = Vec::new();
        v.write_pretty(&mut out, 2);
        String::from_utf8(out).unwrap()
    }

    const HOSTILE: &str =
        "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}k é \u{2028} 😀 </script>";

    fn sample_event(activity: Option<&str>) -> EventReport {
        EventReport {
            input: format!("dir/{HOSTILE}.evtx").into(),
            record_id: u64::MAX,
            time: "2026-11-22T03:42:30.462911Z".into(),
            computer: HOSTILE.into(),
            channel: "Security".into(),
            provider: "Microsoft-Windows-Security-Auditing".into(),
            id: 4625,
            name: "logon_failed",
            side: "server",
            summary: HOSTILE.into(),
            fields: [
                ("TargetUserName", "alice"),
                (HOSTILE, HOSTILE),
                ("Empty", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            decoded: Fields::new(),
            activity_id: activity.map(str::to_string),
            time_ns: 5,
        }
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut all = String::new();
        for c in (0u32..0x80).filter_map(char::from_u32) {
            all.push(c);
        }
        all.push_str(HOSTILE);
        let mut out = Vec::new();
        string(&mut out, &all);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&all).unwrap()
        );
    }

    #[test]
    fn every_escaped_byte_is_found_at_every_place_of_a_word() {
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{7f}', 'é', ' '] {
            for at in 0..20 {
                for len in [at + 1, at + 3, 24] {
                    let mut text: String = "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                    text.insert(at.min(text.len()), special);
                    let mut out = Vec::new();
                    string(&mut out, &text);
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        serde_json::to_string(&text).unwrap(),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn events_and_timelines_match_serde_json() {
        for e in [sample_event(None), sample_event(Some("{f420a1d2}"))] {
            assert_eq!(ours(&e), serde_pretty(&e));
            let indented = serde_pretty(&e).replace('\n', "\n    ");
            assert_eq!(ours_at_depth_2(&e), indented);
        }
        let entry = TimelineEntry {
            time: "2026-11-22T03:42:30Z".into(),
            id: 131,
            name: "connection_accepted",
            event: crate::report::EventRef {
                input: format!("a{HOSTILE}.evtx").into(),
                record_id: 1,
            },
            summary: HOSTILE.into(),
        };
        let full = TimelineReport {
            server: "SRV".into(),
            client: Some("10.0.0.5".into()),
            session: None,
            user: Some(HOSTILE.into()),
            start: "s".into(),
            end: "e".into(),
            outcome: "connected",
            events: vec![entry.clone(), entry],
            missing: vec!["131 and 140 without 1149".into(), HOSTILE.into()],
        };
        let empty = TimelineReport::default();
        for t in [full, empty] {
            assert_eq!(ours(&t), serde_pretty(&t));
            assert_eq!(
                ours_at_depth_2(&t),
                serde_pretty(&t).replace('\n', "\n    ")
            );
        }
    }
}
