//! The report's pretty JSON, item by item: serde_json's pretty printer started at the depth
//! where an item sits in the report, so that `Report::write_json` can serialize the items of
//! its arrays in parallel, each straight into its window's buffer.
//!
//! The output is byte for byte what `serde_json::to_writer_pretty` writes for the whole
//! report (tested here on hostile strings, and in `tests/report_formats.rs` on every fixture
//! and the corpus). Written by hand because serde_json's own `PrettyFormatter` always starts
//! at depth 0: items used to be serialized on their own, then re-indented and copied, which
//! was a fifth of the run on a log of 200,000 catalog events. (A writer of events and
//! timelines by hand, tried after, was no faster than this within the noise, and was removed.)

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventlog::fields::Fields;
    use crate::report::{CatalogEvent, EventRef, Timeline, TimelineEntry};
    use serde::Serialize;

    /// `value` as the report writes it at `depth`.
    fn at<T: Serialize>(value: &T, depth: usize) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, NestedPretty::at(depth));
        value.serialize(&mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// serde_json's pretty text, every line after the first indented `depth` levels more.
    fn serde_at<T: Serialize>(value: &T, depth: usize) -> String {
        serde_json::to_string_pretty(value)
            .unwrap()
            .replace('\n', &format!("\n{}", "  ".repeat(depth)))
    }

    const HOSTILE: &str =
        "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}k é \u{2028} 😀 </script>";

    #[test]
    fn deep_nesting_is_indented_as_serde_json_does() {
        // 70 levels of arrays and objects.
        let mut v = serde_json::json!({"leaf": [1, "x"]});
        for i in 0..70 {
            v = if i % 2 == 0 {
                serde_json::json!([v, i])
            } else {
                serde_json::json!({"k": v})
            };
        }
        for depth in [0, 3] {
            assert_eq!(at(&v, depth), serde_at(&v, depth), "depth {depth}");
        }
    }

    #[test]
    fn items_at_any_depth_are_serde_json_s_pretty_text_indented() {
        let event = CatalogEvent {
            input: format!("dir/{HOSTILE}.evtx").into(),
            record_id: u64::MAX,
            time: "2026-11-22T03:42:30.462911Z".into(),
            computer: HOSTILE.into(),
            channel: "Security".into(),
            provider: "Microsoft-Windows-Security-Auditing".into(),
            id: 4625,
            name: "logon_failed",
            side: Some(crate::eventlog::catalog::LogSide::Server),
            summary: HOSTILE.into(),
            fields: [
                ("TargetUserName", "alice"),
                (HOSTILE, HOSTILE),
                ("Empty", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Fields>()
            .into(),
            decoded: Default::default(),
            activity_id: Some("{f420a1d2}".into()),
            time_ns: 5,
        };
        let entry = TimelineEntry {
            time: "2026-11-22T03:42:30Z".into(),
            id: 131,
            name: "connection_accepted",
            event: EventRef {
                input: format!("a{HOSTILE}.evtx").into(),
                record_id: 1,
            },
            summary: HOSTILE.into(),
        };
        let timeline = Timeline {
            server: "SRV".into(),
            client: Some("10.0.0.5".into()),
            session: None,
            user: Some(HOSTILE.into()),
            start: "s".into(),
            end: "e".into(),
            outcome: crate::correlate::timeline::Outcome::Connected,
            events: vec![entry.clone(), entry],
            missing: vec!["131 and 140 without 1149".into(), HOSTILE.into()],
        };
        for depth in [0, 1, 2, 5] {
            assert_eq!(at(&event, depth), serde_at(&event, depth));
            assert_eq!(at(&timeline, depth), serde_at(&timeline, depth));
            let empty = Timeline::default();
            assert_eq!(at(&empty, depth), serde_at(&empty, depth));
            let nothing: (Vec<u8>, Fields) = (Vec::new(), Fields::new());
            assert_eq!(at(&nothing, depth), serde_at(&nothing, depth));
        }
    }
}
