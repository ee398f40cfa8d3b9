//! Windows event logs: `.evtx` files (read through the `evtx` crate) and Event Viewer XML
//! exports ("Save All Events As… XML", `<Events><Event>…</Event>…</Events>`, and
//! `wevtutil qe /f:xml` output, a run of `<Event>` elements without a root), normalized into
//! one [`Event`]: UTC time, computer, channel, provider, event id, record id and the named
//! fields of `EventData/Data@Name` or `UserData/<element>/<child>`. Rendered message text
//! (localized) is never read.
//!
//! # Public API (used by the analysis and by tests)
//!
//! * [`read_evtx`]`(display, reader)` reads an `.evtx` stream from any [`std::io::Read`]
//!   (a file, an archive member, `&bytes[..]`), chunk by chunk: memory stays bounded by a
//!   batch of 64 KiB chunks, and the batch's chunks are parsed in parallel on the rayon pool.
//! * [`read_xml`]`(display, text)` reads an XML export already in memory.
//! * [`parse_event_xml`]`(xml)` reads one `<Event>` element.
//!
//! Both readers return an [`EventlogResult`]: the **catalog** events (those of
//! [`catalog::CATALOG`], `reference/events.md`) in file order, warnings (corrupt records are
//! skipped, counted and named; the rest is read) and [`Counts`] (records read, corrupt ones,
//! catalog and outside-catalog events per channel and id). Events outside the catalog are
//! counted, never kept. [`catalog::describe`] names a catalog event and builds its one-line
//! summary (`correlate::timeline` groups them into per-session timelines).
//!
//! Unnamed `EventData/Data` elements (classic providers) are named `param1`, `param2`…, and
//! `EventData/Binary` is kept as `Binary` (hex, as written). `System/Correlation@ActivityID` is
//! kept too: RdpCoreTS gives every event of one connection the same one.

pub mod binxml;
pub mod catalog;
pub mod evtx;
pub mod fields;
pub mod xml;

use std::collections::BTreeMap;

use serde::Serialize;

pub use evtx::{read_evtx, stream_evtx};
pub use xml::{parse_event_xml, read_xml};

/// Every `.evtx` under `fixtures/eventlog` and `../shared/corpus/evtx` (when present), in
/// path order: the logs the readers' tests compare on.
#[cfg(test)]
pub(crate) fn test_evtx_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures/eventlog", "../shared/corpus/evtx"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "evtx") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

/// One event record, normalized.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Event {
    /// `System/TimeCreated@SystemTime` as RFC 3339 UTC with microseconds.
    pub time: String,
    /// The same instant in nanoseconds since the Unix epoch (0 when absent or unreadable).
    #[serde(skip)]
    pub time_ns: i64,
    /// Shared with the other events of the chunk that name the same computer, channel or
    /// provider (see `xml::Building`).
    pub computer: std::sync::Arc<str>,
    pub channel: std::sync::Arc<str>,
    pub provider: std::sync::Arc<str>,
    pub id: u32,
    pub record_id: u64,
    /// `System/Correlation@ActivityID`: RdpCoreTS gives all events of one connection the same.
    pub activity_id: Option<String>,
    /// Named fields: `EventData/Data@Name`, or the children of `UserData`'s element.
    /// Shared with the file's other events whose fields are the same ([`EventlogResult::keep`]).
    pub fields: std::sync::Arc<fields::Fields>,
}

impl Event {
    /// A field's value, trimmed; `None` when absent, empty or `-` ([`fields::Fields::value`]).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.value(name)
    }
}

/// One catalog event of a Windows event log (`eventlog::catalog`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CatalogEvent {
    /// Shared by every event of the input (and by its timeline entries).
    pub input: std::sync::Arc<str>,
    pub record_id: u64,
    /// Shared with the event's timeline entry.
    pub time: std::sync::Arc<str>,
    /// The computer, channel and provider are shared by the events that name the same ones
    /// (a log holds few).
    pub computer: std::sync::Arc<str>,
    pub channel: std::sync::Arc<str>,
    pub provider: std::sync::Arc<str>,
    pub id: u32,
    /// The catalog's short name (`nla_failed`, `logon_failed`…).
    pub name: &'static str,
    /// Where Windows logs it (written `""` for an event outside the catalog).
    #[serde(serialize_with = "side_word")]
    pub side: Option<catalog::LogSide>,
    /// Shared with the event's timeline entry.
    pub summary: std::sync::Arc<str>,
    /// Shared, like the summary, with the input's other events that have the same (a
    /// password-guessing log repeats one user's failure by the hundred thousand): see
    /// [`EventlogResult::keep`].
    pub fields: std::sync::Arc<fields::Fields>,
    /// Readings of coded fields (`Status` → `STATUS_LOGON_FAILURE: …`).
    pub decoded: std::sync::Arc<fields::Fields>,
    /// `System/Correlation@ActivityID`, when the event has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    #[serde(skip)]
    pub time_ns: i64,
}

impl CatalogEvent {
    /// A field's value, trimmed; `None` when absent, empty or `-` ([`fields::Fields::value`]).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.value(name)
    }

    /// A logon event's account as written (`DOMAIN\\name`, or the name), its spaces kept.
    pub fn account(&self) -> Option<String> {
        let name = self
            .fields
            .get("TargetUserName")
            .filter(|n| !n.is_empty() && *n != "-")?;
        Some(match self.field("TargetDomainName") {
            Some(d) => format!("{d}\\{name}"),
            None => name.to_string(),
        })
    }

    /// The status that says why a 4625 failed: its SubStatus where Status is the generic
    /// 0xC000006D or 0xC000006E (the sub-status names the reason), else its Status.
    pub fn failure_status(&self) -> Option<u32> {
        let code = |f: &str| {
            self.field(f)
                .and_then(catalog::number)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&c| c != 0)
        };
        match (code("Status"), code("SubStatus")) {
            (Some(0xC000_006D | 0xC000_006E), Some(sub)) | (None, Some(sub)) => Some(sub),
            (s, _) => s,
        }
    }

    /// A Security logon event's `LogonType` (codes.md §9), when it has one.
    pub fn logon_type(&self) -> Option<u32> {
        self.field("LogonType").and_then(|t| t.parse().ok())
    }

    /// How findings name the event: `input#record_id`.
    pub fn reference(&self) -> String {
        self.event_ref().to_string()
    }
}

/// The events `refs` name (`input#record_id`, as [`CatalogEvent::reference`] writes them), by
/// reference. Only events whose record id some reference ends with are written out to be
/// compared: a log of 400,000 events costs a number lookup each, not a string.
pub fn referenced<'a, 'e>(
    events: &'e [CatalogEvent],
    refs: impl IntoIterator<Item = &'a str>,
) -> std::collections::HashMap<String, &'e CatalogEvent> {
    let refs: std::collections::HashSet<&str> = refs.into_iter().collect();
    let ids: std::collections::HashSet<u64> = refs
        .iter()
        .filter_map(|r| r.rsplit_once('#').and_then(|(_, n)| n.parse().ok()))
        .collect();
    if ids.is_empty() {
        return std::collections::HashMap::new();
    }
    events
        .iter()
        .filter(|e| ids.contains(&e.record_id))
        .filter_map(|e| {
            let r = e.reference();
            refs.contains(r.as_str()).then_some((r, e))
        })
        .collect()
}

impl CatalogEvent {
    /// The event's name in findings and timelines, without writing it out.
    pub fn event_ref(&self) -> crate::model::EventRef {
        crate::model::EventRef {
            input: self.input.clone(),
            record_id: self.record_id,
        }
    }
}

fn side_word<S: serde::Serializer>(
    side: &Option<catalog::LogSide>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match side {
        Some(side) => side.serialize(s),
        None => s.serialize_str(""),
    }
}

/// One (channel, event id) and how many events had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdCount {
    pub channel: String,
    pub id: u32,
    pub count: u64,
}

/// What one file held, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (parsed), catalog or not.
    pub records: u64,
    /// Records (or whole chunks, counted as one) that could not be read.
    pub corrupt: u64,
    /// Catalog events per (channel, id).
    pub catalog: BTreeMap<(String, u32), u64>,
    /// Events outside the catalog per (channel, id).
    pub outside: BTreeMap<(String, u32), u64>,
}

impl Counts {
    pub fn catalog_total(&self) -> u64 {
        self.catalog.values().sum()
    }

    pub fn outside_total(&self) -> u64 {
        self.outside.values().sum()
    }

    /// Catalog events of one channel and id.
    pub fn catalog_count(&self, channel: &str, id: u32) -> u64 {
        self.catalog
            .get(&(channel.to_string(), id))
            .copied()
            .unwrap_or(0)
    }

    fn merge(&mut self, other: Counts) {
        self.records += other.records;
        self.corrupt += other.corrupt;
        for (k, v) in other.catalog {
            *self.catalog.entry(k).or_default() += v;
        }
        for (k, v) in other.outside {
            *self.outside.entry(k).or_default() += v;
        }
    }

    /// A map as a sorted list.
    pub fn list(map: &BTreeMap<(String, u32), u64>) -> Vec<IdCount> {
        map.iter()
            .map(|((channel, id), &count)| IdCount {
                channel: channel.clone(),
                id: *id,
                count,
            })
            .collect()
    }

    /// Counts one record known to be outside the catalog without reading it whole.
    fn add_outside(&mut self, channel: &str, id: u32) {
        self.add_outside_n(channel, id, 1);
    }

    /// Counts `n` records of one channel and id known to be outside the catalog.
    pub(super) fn add_outside_n(&mut self, channel: &str, id: u32, n: u64) {
        self.records += n;
        *self.outside.entry((channel.to_string(), id)).or_default() += n;
    }

    /// Counts one catalog event by its channel and id, without reading it whole (see
    /// [`catalog::always_in_catalog`]).
    pub(super) fn add_catalog(&mut self, channel: &str, id: u32) {
        self.records += 1;
        *self.catalog.entry((channel.to_string(), id)).or_default() += 1;
    }

    /// Counts one event read: into the catalog (returns true) or outside it.
    fn add(&mut self, e: &Event) -> bool {
        let in_catalog = catalog::lookup(e).is_some();
        if in_catalog {
            self.add_catalog(&e.channel, e.id);
        } else {
            self.add_outside_n(&e.channel, e.id, 1);
        }
        in_catalog
    }
}

/// Failed logons (Security 4625, RdpCoreTS 140) that the analysis did not keep as events (past
/// [`MAX_EVENTS`] or [`MAX_RUN_EVENTS`]), counted per server and source address: findings add
/// them to the events kept, so that every failure counts in their counts, span and rate.
/// Bounded: at most [`MAX_COUNTED_SOURCES`] sources and [`MAX_COUNTED_KINDS`] kinds and
/// workstation names over all sources are told apart; more are counted together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogonCounts {
    pub by_source: BTreeMap<(std::sync::Arc<str>, String), FailureCounts>,
    /// Kinds and workstation names told apart so far, over all sources.
    entries: usize,
}

/// Whether events of this channel and id past the caps are still read, to be counted in
/// [`LogonCounts`]: Security 4625 and RdpCoreTS 140 (failed NLA).
pub fn counted_past_caps(channel: &str, id: u32) -> bool {
    (id == 4625 && channel.eq_ignore_ascii_case(catalog::SECURITY))
        || (id == 140 && channel.eq_ignore_ascii_case(catalog::CORE))
}

/// Adds `n` to `key`'s count; a key not counted yet is added while `entries` (over all
/// maps of a [`LogonCounts`]) is under [`MAX_COUNTED_KINDS`], else `n` goes to `other`.
fn count_bounded<K: Ord>(
    map: &mut BTreeMap<K, u64>,
    key: K,
    n: u64,
    entries: &mut usize,
    other: &mut u64,
) {
    if let Some(m) = map.get_mut(&key) {
        *m += n;
    } else if *entries < MAX_COUNTED_KINDS {
        map.insert(key, n);
        *entries += 1;
    } else {
        *other += n;
    }
}

/// An address as Windows may log an IPv4 client (`::ffff:10.0.0.5`), as the IPv4 address.
pub fn unmapped(address: &str) -> &str {
    match address.strip_prefix("::ffff:") {
        Some(v4) if v4.contains('.') => v4,
        _ => address,
    }
}

/// Sources (server, address) a [`LogonCounts`] tells apart; later ones count under the
/// address `OTHER_SOURCES`.
pub const MAX_COUNTED_SOURCES: usize = 10_000;
/// Kinds (account, status, logon type) and workstation names told apart, over all sources.
pub const MAX_COUNTED_KINDS: usize = 100_000;
/// The address under which sources past [`MAX_COUNTED_SOURCES`] are counted.
pub const OTHER_SOURCES: &str = "other addresses";

/// The failed logons of one server and source address, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureCounts {
    /// Security 4625s.
    pub count: u64,
    /// RdpCoreTS 140s (failed NLA; no account or status).
    pub nla_failures: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// (account as written, [`CatalogEvent::failure_status`], LogonType) → failures.
    pub by_kind: BTreeMap<(String, Option<u32>, Option<u32>), u64>,
    /// Failures past [`MAX_COUNTED_KINDS`] kinds.
    pub other_kinds: u64,
    /// Workstation name → failures.
    pub workstations: BTreeMap<String, u64>,
    /// Failures whose workstation name was past [`MAX_COUNTED_KINDS`] names.
    pub other_workstations: u64,
}

impl LogonCounts {
    /// Counts a 4625 or a 140; other events are not counted.
    pub fn add(&mut self, e: &CatalogEvent) {
        if !counted_past_caps(&e.channel, e.id) {
            return;
        }
        let nla = e.id == 140;
        // The address as `correlate::event_client` reads it.
        let ip = match nla {
            true => e.field("IPString").map(str::to_string),
            false => e.field("IpAddress").map(|v| unmapped(v).to_string()),
        }
        .unwrap_or_default();
        let c = Self::source(&mut self.by_source, (e.computer.clone(), ip));
        c.first_ns = c.first_ns.min(e.time_ns);
        c.last_ns = c.last_ns.max(e.time_ns);
        if nla {
            c.nla_failures += 1;
            return;
        }
        c.count += 1;
        let kind = (
            e.account().unwrap_or_default(),
            e.failure_status(),
            e.logon_type(),
        );
        let (by_kind, other_kinds) = (&mut c.by_kind, &mut c.other_kinds);
        count_bounded(by_kind, kind, 1, &mut self.entries, other_kinds);
        if let Some(w) = e.field("WorkstationName") {
            let (names, other) = (&mut c.workstations, &mut c.other_workstations);
            count_bounded(names, w.to_string(), 1, &mut self.entries, other);
        }
    }

    /// Adds another's counts, within the same bounds.
    pub fn merge(&mut self, other: LogonCounts) {
        for (key, o) in other.by_source {
            let c = Self::source(&mut self.by_source, key);
            c.count += o.count;
            c.nla_failures += o.nla_failures;
            c.first_ns = c.first_ns.min(o.first_ns);
            c.last_ns = c.last_ns.max(o.last_ns);
            for (k, n) in o.by_kind {
                count_bounded(&mut c.by_kind, k, n, &mut self.entries, &mut c.other_kinds);
            }
            c.other_kinds += o.other_kinds;
            for (w, n) in o.workstations {
                let other = &mut c.other_workstations;
                count_bounded(&mut c.workstations, w, n, &mut self.entries, other);
            }
            c.other_workstations += o.other_workstations;
        }
    }

    /// The counts of a source, made when new; past [`MAX_COUNTED_SOURCES`] new sources count
    /// under [`OTHER_SOURCES`].
    fn source(
        by_source: &mut BTreeMap<(std::sync::Arc<str>, String), FailureCounts>,
        mut key: (std::sync::Arc<str>, String),
    ) -> &mut FailureCounts {
        if !by_source.contains_key(&key) && by_source.len() >= MAX_COUNTED_SOURCES {
            key.1 = OTHER_SOURCES.to_string();
        }
        by_source.entry(key).or_insert_with(|| FailureCounts {
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            ..FailureCounts::default()
        })
    }

    /// Failures counted (4625s and 140s).
    pub fn total(&self) -> u64 {
        self.by_source
            .values()
            .map(|c| c.count + c.nla_failures)
            .sum()
    }
}

/// What reading one event log gave.
#[derive(Clone, Debug, Default)]
pub struct EventlogResult {
    /// Catalog events, in the order the file holds them, named and summarized as they are
    /// kept ([`event_report`]).
    pub events: Vec<CatalogEvent>,
    /// Corrupt records and other problems, at most [`MAX_WARNINGS`] (then one line saying how
    /// many more).
    pub warnings: Vec<String>,
    pub counts: Counts,
    /// False when nothing could be read at all (no file header, not XML);
    /// `unreadable_reason` then says why.
    pub readable: bool,
    pub unreadable_reason: Option<String>,
    /// The failed logons counted past [`MAX_EVENTS`], not kept.
    pub overflow: LogonCounts,
    /// The fields, readings and summaries of the events kept so far, each once.
    shared: SharedParts,
}

/// Catalog events kept per file; more are counted, not kept (bounded memory: a kept event
/// takes some 300 bytes of its own, and its fields, readings and summary when no earlier
/// event of the file has the same).
pub const MAX_EVENTS: usize = 200_000;
/// Catalog events kept by one run over all its inputs; more are counted, not kept, so that a
/// bundle of many large logs stays bounded too.
pub const MAX_RUN_EVENTS: usize = 400_000;
/// Warnings kept per file; the rest are counted in one line.
pub const MAX_WARNINGS: usize = 20;
/// Fields kept per event, and bytes per field value: more is cut (and never needed).
pub const MAX_FIELDS: usize = 256;
pub const MAX_FIELD_BYTES: usize = 16 << 10;

impl EventlogResult {
    /// Keeps a catalog event, its fields, readings and summary shared with an earlier
    /// event's that are the same.
    pub fn keep(&mut self, mut e: CatalogEvent) {
        self.shared.share(&mut e);
        self.events.push(e);
    }

    fn warn(&mut self, message: String, dropped: &mut u64) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            *dropped += 1;
        }
    }

    fn finish_warnings(&mut self, dropped: u64) {
        if dropped > 0 {
            self.warnings
                .push(format!("… and {dropped} more unreadable records"));
        }
    }
}

/// XML exports larger than this are not read (they are read into memory to be parsed).
pub const MAX_XML_BYTES: u64 = 1 << 30;

/// What reading one event-log stream gave, besides its events: what the report says of the
/// input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogRead {
    /// `evtx` or `evtx-xml`.
    pub kind: &'static str,
    /// Catalog events read.
    pub events: u64,
    /// Records outside the catalog: counted, not listed.
    pub events_outside_catalog: u64,
    /// Records that could not be read (skipped; the warnings name them).
    pub corrupt_records: u64,
    /// Catalog events per channel and id.
    pub event_counts: Vec<IdCount>,
    /// Records outside the catalog per channel and id.
    pub outside_catalog: Vec<IdCount>,
    /// Why the stream was recognised but could not be read, when it could not.
    pub unreadable: Option<String>,
    /// What went wrong while reading, without the input's name.
    pub warnings: Vec<String>,
    /// Failed logons counted, not kept (past the caps).
    pub overflow: LogonCounts,
}

/// Reads one event-log stream for the analysis: `.evtx` when `evtx`, else an XML export
/// (UTF-8, or UTF-16 with its byte-order mark). Returns what was read (kind `evtx` or
/// `evtx-xml`, counts, warnings) and its catalog events.
pub fn read_stream(
    display: &str,
    evtx: bool,
    reader: Box<dyn std::io::Read + Send + '_>,
) -> (LogRead, Vec<CatalogEvent>) {
    let kind = if evtx { "evtx" } else { "evtx-xml" };
    let result = if evtx {
        read_evtx(display, reader)
    } else {
        read_xml_stream(display, reader)
    };
    let input = LogRead {
        kind,
        events: result.events.len() as u64,
        events_outside_catalog: result.counts.outside_total(),
        corrupt_records: result.counts.corrupt,
        event_counts: Counts::list(&result.counts.catalog),
        outside_catalog: Counts::list(&result.counts.outside),
        unreadable: (!result.readable).then(|| {
            result
                .unreadable_reason
                .clone()
                .unwrap_or_else(|| format!("not a readable {kind} file"))
        }),
        // The report prefixes each warning with the input's path: not twice.
        warnings: result
            .warnings
            .into_iter()
            .map(
                |w| match w.strip_prefix(display).and_then(|w| w.strip_prefix(": ")) {
                    Some(rest) => rest.to_string(),
                    None => w,
                },
            )
            .collect(),
        overflow: result.overflow,
    };
    (input, result.events)
}

/// The fields, readings and summaries of one input's events, kept once each: a log of one
/// attack repeats the same failure, and these are most of an event's memory. Sharing them
/// as events are kept is what lets a run hold hundreds of thousands of catalog events
/// within the memory the README promises.
#[derive(Clone, Debug, Default)]
struct SharedParts {
    fields: rustc_hash::FxHashSet<std::sync::Arc<fields::Fields>>,
    summaries: rustc_hash::FxHashSet<std::sync::Arc<str>>,
}

impl SharedParts {
    /// Makes the event's parts the copies seen before, where equal.
    fn share(&mut self, e: &mut CatalogEvent) {
        for slot in [&mut e.fields, &mut e.decoded] {
            match self.fields.get(slot) {
                Some(same) => *slot = same.clone(),
                None => {
                    self.fields.insert(slot.clone());
                }
            }
        }
        match self.summaries.get(&e.summary) {
            Some(same) => e.summary = same.clone(),
            None => {
                self.summaries.insert(e.summary.clone());
            }
        }
    }
}

/// Keeps a run's catalog events within `max_run` over all its inputs, `kept` counting those
/// kept by the inputs before: this input's events past the limit are dropped (they stay
/// counted in its `event_counts`, their failed logons in `overflow`) and a warning says how
/// many. The analysis calls it on its
/// inputs in the order it reads them, so which events are kept never depends on timing.
/// Returns the warning to give the input when some were dropped.
pub fn keep_within_run(
    events: &mut Vec<CatalogEvent>,
    kept: &mut usize,
    max_run: usize,
    overflow: &mut LogonCounts,
) -> Option<String> {
    let granted = events.len().min(max_run.saturating_sub(*kept));
    *kept += granted;
    if granted == events.len() {
        return None;
    }
    for e in &events[granted..] {
        overflow.add(e);
    }
    let dropped = events.len() - granted;
    events.truncate(granted);
    events.shrink_to_fit();
    Some(format!(
        "{dropped} catalog events were counted, not kept: a run keeps at most {max_run} \
         over all its inputs"
    ))
}

/// Reads an XML export as a stream (UTF-8, or UTF-16 with its byte-order mark), a window
/// of text at a time cut after its last `</Event>`: memory holds one window and the events
/// kept, however large the export (read whole, a 7.5 MB gzip of UTF-16 took 3.4 GB).
fn read_xml_stream(display: &str, reader: Box<dyn std::io::Read + Send + '_>) -> EventlogResult {
    let mut xml = xml::XmlReader::new(display);
    // Nothing is passed on after a window: the reader keeps its events.
    let _ = read_xml_windows(display, reader, &mut xml, &mut |_| Ok(()));
    xml.finish()
}

/// Reads an XML export again to list the catalog events a first read counted but did not
/// keep: `sink` gets those after the first `skip`, in file order, a window of text at a time.
pub fn stream_xml(
    display: &str,
    reader: Box<dyn std::io::Read + Send + '_>,
    skip: u64,
    sink: &mut dyn FnMut(Vec<CatalogEvent>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut xml = xml::XmlReader::listing_after(display, skip);
    read_xml_windows(display, reader, &mut xml, &mut |xml| {
        let listed = xml.take_listed();
        if listed.is_empty() {
            Ok(())
        } else {
            sink(listed)
        }
    })
}

/// Feeds `xml` an export's text a window at a time (see [`read_xml_stream`]), calling
/// `after_feed` after each window; stops at its first error.
fn read_xml_windows(
    display: &str,
    reader: Box<dyn std::io::Read + Send + '_>,
    xml: &mut xml::XmlReader,
    after_feed: &mut dyn FnMut(&mut xml::XmlReader) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Read;
    /// Text read before it is cut after its last `</Event>` and read.
    const WINDOW: usize = 8 << 20;
    /// Text without any `</Event>` read as it is past this (one event never is so long:
    /// its fields are capped).
    const MAX_EVENT_TEXT: usize = 32 << 20;
    let mut reader = reader.take(MAX_XML_BYTES + 1);
    let mut decoder = TextDecoder::default();
    let mut raw = vec![0u8; 1 << 20];
    let mut text = String::new();
    // Where `text` starts in the whole decoded text.
    let mut base = 0usize;
    let mut read_bytes = 0u64;
    loop {
        let (n, error) = match reader.read(&mut raw) {
            Ok(n) => (n, None),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => (0, Some(e)),
        };
        let over = read_bytes + n as u64 > MAX_XML_BYTES;
        let n = if over {
            (MAX_XML_BYTES - read_bytes) as usize
        } else {
            n
        };
        read_bytes += n as u64;
        let end = n == 0 || over;
        decoder.decode(&raw[..n], end, &mut text);
        if let Some(e) = &error {
            xml.warn(format!(
                "{display}: read error after {read_bytes} bytes: {e}"
            ));
        }
        if over {
            xml.warn(format!(
                "{display}: only the first {} MiB of the XML export were read",
                MAX_XML_BYTES >> 20
            ));
        }
        if end || text.len() >= WINDOW {
            // Stopped early (the cap, a read error): the event the stop cut through is not
            // read, and not called unreadable XML either: the warning above says why.
            let stopped = over || error.is_some();
            let cut = if end && !stopped {
                text.len()
            } else if end {
                text.rfind("</Event>").map_or(0, |at| at + "</Event>".len())
            } else {
                match text.rfind("</Event>") {
                    Some(at) => at + "</Event>".len(),
                    None if text.len() >= MAX_EVENT_TEXT => text.len(),
                    None => continue,
                }
            };
            xml.feed(&text[..cut], base);
            after_feed(xml)?;
            text.drain(..cut);
            base += cut;
        }
        if end {
            break;
        }
    }
    Ok(())
}

/// Bytes to text, a piece at a time: UTF-16 after its byte-order mark (little or big
/// endian), else UTF-8 (a UTF-8 byte-order mark dropped); what does not decode becomes
/// U+FFFD, as `String::from_utf8_lossy` and `from_utf16_lossy` make it.
#[derive(Default)]
struct TextDecoder {
    /// `None` until the first bytes said which encoding: `Some(None)` UTF-8, `Some(Some(le))`
    /// UTF-16.
    utf16: Option<Option<bool>>,
    /// Bytes of a character cut by the end of a piece.
    carry: Vec<u8>,
}

impl TextDecoder {
    fn decode(&mut self, bytes: &[u8], end: bool, out: &mut String) {
        self.carry.extend_from_slice(bytes);
        let encoding = match self.utf16 {
            Some(e) => e,
            None if self.carry.len() < 3 && !end => return,
            None => {
                let e = if self.carry.starts_with(b"\xff\xfe") {
                    self.carry.drain(..2);
                    Some(true)
                } else if self.carry.starts_with(b"\xfe\xff") {
                    self.carry.drain(..2);
                    Some(false)
                } else {
                    if self.carry.starts_with(b"\xef\xbb\xbf") {
                        self.carry.drain(..3);
                    }
                    None
                };
                self.utf16 = Some(e);
                e
            }
        };
        match encoding {
            Some(le) => {
                let whole = self.carry.len() / 2 * 2;
                let mut units: Vec<u16> = self.carry[..whole]
                    .chunks_exact(2)
                    .map(|c| {
                        if le {
                            u16::from_le_bytes([c[0], c[1]])
                        } else {
                            u16::from_be_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
                // A high surrogate at the end waits for its pair.
                let keep_last = !end && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u));
                let kept = if keep_last { units.pop() } else { None };
                out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
                let mut rest = self.carry.split_off(whole);
                if let Some(u) = kept {
                    let b = if le { u.to_le_bytes() } else { u.to_be_bytes() };
                    rest.splice(0..0, b);
                }
                // An odd byte at the very end is no character.
                if end {
                    rest.clear();
                }
                self.carry = rest;
            }
            None => {
                let mut at = 0;
                loop {
                    match std::str::from_utf8(&self.carry[at..]) {
                        Ok(t) => {
                            out.push_str(t);
                            at = self.carry.len();
                            break;
                        }
                        Err(e) => {
                            let good = at + e.valid_up_to();
                            out.push_str(
                                std::str::from_utf8(&self.carry[at..good]).unwrap_or_default(),
                            );
                            match e.error_len() {
                                Some(bad) => {
                                    out.push('\u{FFFD}');
                                    at = good + bad;
                                }
                                // A character cut by the end of the piece.
                                None if !end => {
                                    at = good;
                                    break;
                                }
                                None => {
                                    out.push('\u{FFFD}');
                                    at = self.carry.len();
                                    break;
                                }
                            }
                        }
                    }
                }
                self.carry.drain(..at);
            }
        }
    }
}

/// A catalog event as the report lists it: named, summarized, coded fields decoded. Events
/// outside the catalog get an empty name and a summary saying so.
pub fn event_report(input: &std::sync::Arc<str>, e: Event) -> crate::eventlog::CatalogEvent {
    let described = catalog::describe(&e);
    let (name, side, summary, decoded) = match described {
        Some(d) => (
            d.name,
            Some(d.side),
            d.summary,
            std::sync::Arc::new(d.decoded.into_iter().collect::<fields::Fields>()),
        ),
        None => (
            "",
            None,
            format!("event {} of {}", e.id, e.channel),
            std::sync::Arc::default(),
        ),
    };
    crate::eventlog::CatalogEvent {
        input: input.clone(),
        record_id: e.record_id,
        time: e.time.into(),
        computer: e.computer,
        channel: e.channel,
        provider: e.provider,
        id: e.id,
        name,
        side,
        summary: summary.into(),
        fields: e.fields,
        decoded,
        activity_id: e.activity_id,
        time_ns: e.time_ns,
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (the forms Windows writes) into
/// nanoseconds since the epoch, UTC. A missing zone is taken as UTC.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    if !matches!(b.get(10), Some(b'T') | Some(b't') | Some(b' ')) {
        return None;
    }
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let mut digits = 0;
        while let Some(d) = b.get(at).filter(|c| c.is_ascii_digit()) {
            if digits < 9 {
                nanos = nanos * 10 + (d - b'0') as i64;
                digits += 1;
            }
            at += 1;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset_s = match b.get(at) {
        None | Some(b'Z') | Some(b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let h = num(at + 1, 2)?;
            let m = if b.get(at + 3) == Some(&b':') {
                num(at + 4, 2)?
            } else {
                num(at + 3, 2)?
            };
            let off = h * 3600 + m * 60;
            if sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// (year, month, day) → days since 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::rfc3339;

    #[test]
    fn parses_windows_times() {
        let t = parse_time("2018-08-02T04:32:33.1773324Z").unwrap();
        assert_eq!(rfc3339(t), "2018-08-02T04:32:33.177332Z");
        assert_eq!(t % 1000, 400);
        let t = parse_time("2021-02-12T12:34:25.606423000Z").unwrap();
        assert_eq!(rfc3339(t), "2021-02-12T12:34:25.606423Z");
        assert_eq!(
            parse_time("2000-02-29T01:00:00+01:00")
                .map(rfc3339)
                .as_deref(),
            Some("2000-02-29T00:00:00.000000Z")
        );
        assert_eq!(parse_time("1970-01-01T00:00:00"), Some(0));
        for bad in [
            "",
            "2018",
            "2018-13-01T00:00:00Z",
            "2018-01-01X00:00:00",
            "２０１８",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    /// Decodes `bytes` cut into pieces of `piece` bytes.
    fn decode_in_pieces(bytes: &[u8], piece: usize) -> String {
        let mut d = TextDecoder::default();
        let mut out = String::new();
        let pieces: Vec<&[u8]> = bytes.chunks(piece.max(1)).collect();
        for (i, p) in pieces.iter().enumerate() {
            d.decode(p, i + 1 == pieces.len(), &mut out);
        }
        if pieces.is_empty() {
            d.decode(&[], true, &mut out);
        }
        out
    }

    #[test]
    fn text_decodes_the_same_however_it_is_cut() {
        let text = "<Event>é ü 漢字 😀 end</Event>";
        let mut utf8 = b"\xef\xbb\xbf".to_vec();
        utf8.extend_from_slice(text.as_bytes());
        // Invalid bytes in the middle and a character cut at the very end.
        let mut bad = text.as_bytes().to_vec();
        bad.extend_from_slice(b"\xff\xfe x \xf0\x9f");
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut le = b"\xff\xfe".to_vec();
        let mut be = b"\xfe\xff".to_vec();
        for u in &units {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        // A lone high surrogate, then an odd byte at the end.
        let mut lone = le.clone();
        lone.extend_from_slice(&0xD83Du16.to_le_bytes());
        lone.extend_from_slice(b"a\x00b");
        for piece in 1..=9 {
            assert_eq!(decode_in_pieces(&utf8, piece), text, "utf-8 / {piece}");
            assert_eq!(
                decode_in_pieces(&bad, piece),
                String::from_utf8_lossy(&bad),
                "bad utf-8 / {piece}"
            );
            assert_eq!(decode_in_pieces(&le, piece), text, "utf-16le / {piece}");
            assert_eq!(decode_in_pieces(&be, piece), text, "utf-16be / {piece}");
            assert_eq!(
                decode_in_pieces(&lone, piece),
                format!("{text}\u{FFFD}a"),
                "lone surrogate / {piece}"
            );
        }
        assert_eq!(decode_in_pieces(b"", 4), "");
        assert_eq!(decode_in_pieces(b"ab", 1), "ab");
    }

    /// An export larger than the reading window, in UTF-16: every event is read, the same
    /// as from its UTF-8 form, and a broken event's offset is the one in the whole text.
    #[test]
    fn an_export_larger_than_the_window_is_read_whole() {
        let event = |i: usize| {
            format!(
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2024-03-05T10:11:12Z'/><EventRecordID>{i}</EventRecordID><Channel>Security</Channel><Computer>SRV01</Computer></System><EventData><Data Name='TargetUserName'>user{i}</Data><Data Name='IpAddress'>203.0.113.7</Data><Data Name='Status'>0xc000006d</Data><Data Name='LogonType'>3</Data></EventData></Event>\r\n"
            )
        };
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>");
        let mut i = 0;
        while text.len() < 20 << 20 {
            i += 1;
            text.push_str(&event(i));
        }
        text.push_str("</Events>");
        let mut utf16 = b"\xff\xfe".to_vec();
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let streamed = read_xml_stream("big.xml", Box::new(std::io::Cursor::new(utf16)));
        assert_eq!(streamed.events.len(), i);
        assert_eq!(streamed.events[i - 1].record_id, i as u64);
        assert!(streamed.warnings.is_empty(), "{:?}", streamed.warnings);
        let whole = read_xml("big.xml", &text);
        assert_eq!(whole.events.len(), i);
        assert_eq!(streamed.counts.corrupt, 0);
    }

    /// A reader that fails after `left` bytes, as a damaged disk or a cut network share does.
    struct FailsAfter {
        bytes: std::io::Cursor<Vec<u8>>,
        left: usize,
    }

    impl std::io::Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::other("device gone"));
            }
            let n = buf.len().min(self.left);
            let got = self.bytes.read(&mut buf[..n])?;
            self.left -= got;
            Ok(got)
        }
    }

    /// A read that stops inside an event keeps the events before it, and says why it stopped
    /// once: the event it cut is not also called unreadable XML.
    #[test]
    fn a_read_stopped_inside_an_event_keeps_the_events_before_it() {
        let event = |i: usize| {
            format!(
                "<Event><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2024-03-05T10:11:12Z'/><EventRecordID>{i}</EventRecordID><Channel>Security</Channel><Computer>SRV01</Computer></System><EventData><Data Name='IpAddress'>203.0.113.7</Data><Data Name='LogonType'>3</Data></EventData></Event>"
            )
        };
        let text = format!("<Events>{}{}{}</Events>", event(1), event(2), event(3));
        let third = text.find("<EventRecordID>3").expect("third event");
        let read = read_xml_stream(
            "cut.xml",
            Box::new(FailsAfter {
                bytes: std::io::Cursor::new(text.into_bytes()),
                left: third,
            }),
        );
        let ids: Vec<u64> = read.events.iter().map(|e| e.record_id).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(
            read.warnings,
            [format!(
                "cut.xml: read error after {third} bytes: device gone"
            )]
        );
        assert_eq!(read.counts.corrupt, 0);
    }

    /// Events whose fields, readings or summaries are the same hold one copy of each; an
    /// event that differs holds its own.
    #[test]
    fn repeated_events_share_their_fields_readings_and_summary() {
        let event = |record: u32, user: &str| {
            format!(
                "<Event><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2024-03-05T10:11:{record:02}Z'/><EventRecordID>{record}</EventRecordID><Channel>Security</Channel><Computer>SRV01</Computer></System><EventData><Data Name='TargetUserName'>{user}</Data><Data Name='IpAddress'>203.0.113.7</Data><Data Name='Status'>0xc000006d</Data><Data Name='LogonType'>3</Data></EventData></Event>"
            )
        };
        let text = format!(
            "<Events>{}{}{}</Events>",
            event(1, "alice"),
            event(2, "alice"),
            event(3, "bob")
        );
        let (read, events) = read_stream(
            "s.xml",
            false,
            Box::new(std::io::Cursor::new(text.into_bytes())),
        );
        assert!(read.unreadable.is_none());
        let ids: Vec<u64> = events.iter().map(|e| e.record_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        use std::sync::Arc;
        assert!(Arc::ptr_eq(&events[0].fields, &events[1].fields));
        assert!(Arc::ptr_eq(&events[0].decoded, &events[1].decoded));
        assert!(Arc::ptr_eq(&events[0].summary, &events[1].summary));
        assert!(!Arc::ptr_eq(&events[0].fields, &events[2].fields));
        assert!(!Arc::ptr_eq(&events[0].summary, &events[2].summary));
        // Bob's readings (the status and logon type) are alice's: shared too.
        assert!(Arc::ptr_eq(&events[0].decoded, &events[2].decoded));
        assert_eq!(events[2].fields.get("TargetUserName"), Some("bob"));
        assert!(events[2].summary.contains("bob"), "{}", events[2].summary);
        assert_eq!(events[0].decoded.get("LogonType"), Some("Network"));
    }
}
