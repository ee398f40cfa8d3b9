//! Event XML → [`Event`]: the schema of `http://schemas.microsoft.com/win/2004/08/events/event`
//! as Event Viewer exports it, `wevtutil qe /f:xml` prints it and the `evtx` crate renders a
//! record. Read with `quick-xml`, by local names (namespaces and prefixes ignored):
//!
//! * `System/Provider@Name`, `System/EventID`, `System/TimeCreated@SystemTime`,
//!   `System/EventRecordID`, `System/Channel`, `System/Computer`;
//! * `EventData/Data@Name` → field (unnamed `Data` → `param1`, `param2`…; `Binary` → `Binary`);
//! * `UserData/<element>/<leaf>` → field named after the leaf (nested leaves joined with `.`).
//!
//! `RenderingInfo` (the localized message) is skipped. A document that breaks off or is not
//! well-formed loses the event it was in; reading goes on at the next `<Event`.
//!
//! The same mapping (`Building`) is fed by the `.evtx` BinXml reader (`super::binxml`), so
//! both input kinds give the same [`Event`].

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};

use super::fields::Fields;
use super::{Event, EventlogResult, MAX_EVENTS, MAX_FIELD_BYTES, MAX_FIELDS, parse_time};
use crate::model::time::rfc3339;

/// Elements nested deeper than this inside an event are ignored.
pub(super) const MAX_DEPTH: usize = 32;

/// Reads an XML export (with or without an `<Events>` root, with or without XML
/// declarations between events): every event is counted, catalog events are kept.
pub fn read_xml(display: &str, text: &str) -> EventlogResult {
    let mut reader = XmlReader::new(display);
    reader.feed(text, 0);
    reader.finish()
}

/// An XML export read a piece at a time: [`XmlReader::feed`] takes text cut between events
/// (`super::read_stream` cuts after a `</Event>`), with where it starts in the whole text.
pub struct XmlReader<'a> {
    display: &'a str,
    /// The input's name, shared by its events.
    input: std::sync::Arc<str>,
    out: EventlogResult,
    dropped: u64,
    seen_any: bool,
    over_cap: u64,
    /// Reading again to list the events past the cap ([`XmlReader::listing_after`]): the
    /// catalog events to pass over, those seen, and those read since the last
    /// [`XmlReader::take_listed`].
    listing: Option<(u64, u64, Vec<super::CatalogEvent>)>,
}

impl<'a> XmlReader<'a> {
    /// A reader that keeps nothing and lists the catalog events after the first `skip`
    /// (those a first read kept), for [`XmlReader::take_listed`].
    pub fn listing_after(display: &'a str, skip: u64) -> XmlReader<'a> {
        XmlReader {
            listing: Some((skip, 0, Vec::new())),
            ..XmlReader::new(display)
        }
    }

    /// The events listed since the last call.
    pub fn take_listed(&mut self) -> Vec<super::CatalogEvent> {
        self.listing
            .as_mut()
            .map(|(_, _, list)| std::mem::take(list))
            .unwrap_or_default()
    }

    pub fn new(display: &'a str) -> XmlReader<'a> {
        XmlReader {
            display,
            input: display.into(),
            out: EventlogResult {
                readable: true,
                ..Default::default()
            },
            dropped: 0,
            seen_any: false,
            over_cap: 0,
            listing: None,
        }
    }

    /// Reads the events of `text`, which starts at byte `base` of the whole text (warnings
    /// give offsets in the whole).
    pub fn feed(&mut self, text: &str, base: usize) {
        let display = self.display;
        let mut offset = 0usize;
        while offset < text.len() {
            let rest = &text[offset..];
            let mut broken: Vec<String> = Vec::new();
            let out = &mut self.out;
            let (seen_any, over_cap, input) = (&mut self.seen_any, &mut self.over_cap, &self.input);
            let listing = &mut self.listing;
            let mut sink = |e: Result<Event, String>| match e {
                Ok(e) => {
                    *seen_any = true;
                    if let Some((skip, seen, list)) = listing.as_mut() {
                        if super::catalog::lookup(&e).is_some() {
                            if *seen >= *skip {
                                list.push(super::event_report(input, e));
                            }
                            *seen += 1;
                        }
                    } else if out.counts.add(&e) {
                        if out.events.len() < MAX_EVENTS {
                            out.keep(super::event_report(input, e));
                        } else {
                            *over_cap += 1;
                            if super::counted_past_caps(&e.channel, e.id) {
                                out.overflow.add(&super::event_report(input, e));
                            }
                        }
                    }
                }
                Err(m) => broken.push(m),
            };
            let scanned = scan(rest, &mut sink);
            for m in broken {
                self.out.counts.corrupt += 1;
                self.out.warn(format!("{display}: {m}"), &mut self.dropped);
            }
            match scanned {
                Ok(()) => break,
                Err((pos, message)) => {
                    self.out.counts.corrupt += 1;
                    self.out.warn(
                        format!(
                            "{display}: unreadable XML at byte {}: {message}",
                            base + offset + pos
                        ),
                        &mut self.dropped,
                    );
                    // Go on at the next event after the error.
                    let from = (offset + pos.max(1)).min(text.len());
                    match next_event_start(text, from) {
                        Some(next) => offset = next,
                        None => break,
                    }
                }
            }
        }
    }

    /// A warning of the reader's own (a read error, a cap), counted with the others.
    pub fn warn(&mut self, message: String) {
        self.out.warn(message, &mut self.dropped);
    }

    pub fn finish(mut self) -> EventlogResult {
        let display = self.display;
        if self.over_cap > 0 {
            self.out.warnings.push(format!(
                "{display}: {} catalog events beyond the first {MAX_EVENTS} were counted but not kept: findings count their failed logons, timelines leave them out, JSON and JSON Lines list them when the log is a file read again as the report is written",
                self.over_cap
            ));
        }
        self.out.finish_warnings(self.dropped);
        if !self.seen_any && self.out.counts.corrupt > 0 {
            self.out.readable = false;
            self.out.unreadable_reason = Some("no event could be read from the XML".into());
        }
        self.out
    }
}

/// Reads one `<Event>` element (the first one in `xml`).
pub fn parse_event_xml(xml: &str) -> Result<Event, String> {
    let mut first = None;
    let mut sink = |e: Result<Event, String>| {
        if let (None, Ok(e)) = (&first, e) {
            first = Some(e);
        }
    };
    let result = scan(xml, &mut sink);
    match (first, result) {
        (Some(e), _) => Ok(e),
        (None, Err((pos, m))) => Err(format!("at byte {pos}: {m}")),
        (None, Ok(())) => Err("no <Event> element".into()),
    }
}

/// The byte offset of the next `<Event` start tag (not `<Events`) at or after `from`.
fn next_event_start(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while at < text.len() {
        if !text.is_char_boundary(at) {
            at += 1;
            continue;
        }
        let found = text[at..].find("<Event")?;
        let start = at + found;
        let after = text.as_bytes().get(start + 6).copied();
        if matches!(after, Some(b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n')) {
            return Some(start);
        }
        at = start + 6;
    }
    None
}

/// A start (or empty-element) tag as [`Building`] reads it: its local name and attributes.
pub(super) trait Tag {
    fn local(&self) -> &str;
    /// The first attribute of this local name, its value normalized as XML 1.0 says.
    fn attr(&self, name: &str) -> Option<String>;
}

impl Tag for BytesStart<'_> {
    fn local(&self) -> &str {
        self.local_name().into_inner()
    }

    fn attr(&self, name: &str) -> Option<String> {
        attr(self, name)
    }
}

/// An attribute's value, normalized as XML 1.0 says.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    // Without the check for duplicate names (it keeps a list per tag): the first attribute
    // of the name is the one taken either way.
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// An event being read.
#[derive(Default)]
pub(super) struct Building {
    event: Event,
    /// Local names of the open elements from the `Event` element down (exclusive), one after
    /// another in `names`: element `i` is `names[path[i].0..path[i].1]` (one buffer, not a
    /// `String` per element).
    names: String,
    pub(super) path: Vec<(usize, usize)>,
    /// Whether each open element has had a child element.
    had_child: Vec<bool>,
    /// The field name a `Data` element in progress will fill.
    data_name: Option<String>,
    unnamed: usize,
    pub(super) text: String,
    time_text: Option<String>,
    /// `System/TimeCreated@SystemTime` when the BinXml reader had it as a FILETIME value it
    /// read directly (see [`Building::time_created_ns`]).
    time_ns: Option<i64>,
    /// The event's fields as they are read, appended unsorted; the event gets a sorted,
    /// compact copy when it is complete.
    fields: Fields,
    /// Computer, channel and provider names given to events so far: a reader of many events
    /// gives each the one shared copy (a chunk names a few).
    shared: Vec<std::sync::Arc<str>>,
}

/// How many distinct names [`Building`] shares; past that each event gets its own copy.
const SHARED_NAMES: usize = 16;

/// `text` as a shared name, from `names` when it is there.
fn shared_name(names: &mut Vec<std::sync::Arc<str>>, text: &str) -> std::sync::Arc<str> {
    if let Some(n) = names.iter().find(|n| &***n == text) {
        return n.clone();
    }
    let n: std::sync::Arc<str> = text.into();
    if names.len() < SHARED_NAMES {
        names.push(n.clone());
    }
    n
}

/// What opening an element does to the event, by where the element is
/// ([`OpenKind::of`]): shared by [`Building::open`] and the BinXml reader's record plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OpenKind {
    /// `System/Provider`: `@Name` is the provider.
    Provider,
    /// `System/Correlation`: `@ActivityID`.
    Correlation,
    /// `System/TimeCreated`: `@SystemTime`.
    TimeCreated,
    /// `EventData/Data`: `@Name` names the field its text fills.
    Data,
    Other,
}

impl OpenKind {
    /// The kind of an element named `name` opened at `depth` (0: a child of `Event`) under
    /// the child of `Event` named `first` (`""` at depth 0).
    pub(super) fn of(first: &str, depth: usize, name: &str) -> OpenKind {
        match (first, depth, name) {
            ("System", 1, "Provider") => OpenKind::Provider,
            ("System", 1, "Correlation") => OpenKind::Correlation,
            ("System", 1, "TimeCreated") => OpenKind::TimeCreated,
            ("EventData", 1, "Data") => OpenKind::Data,
            _ => OpenKind::Other,
        }
    }

    /// The one attribute this kind reads.
    pub(super) fn attribute(self) -> Option<&'static str> {
        match self {
            OpenKind::Provider | OpenKind::Data => Some("Name"),
            OpenKind::Correlation => Some("ActivityID"),
            OpenKind::TimeCreated => Some("SystemTime"),
            OpenKind::Other => None,
        }
    }
}

/// What closing an element does with its text ([`CloseKind::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CloseKind {
    /// `System/EventID`, `System/EventRecordID`, `System/Channel`, `System/Computer`.
    EventId,
    RecordId,
    Channel,
    Computer,
    /// `EventData/Data`: the field named when it opened.
    Data,
    /// `EventData/Binary`: the field `Binary`, trimmed.
    Binary,
    /// A leaf at depth 3 or more under `UserData`: the field named by its path below
    /// `UserData`'s element, joined with `.`.
    UserData,
    Other,
}

impl CloseKind {
    /// The kind of the element closed at `depth` (1: a child of `Event`; the element
    /// itself counted) under the child of `Event` named `first`, whose child on the path is
    /// `second`; `leaf` when it had no child element.
    pub(super) fn of(first: &str, depth: usize, second: &str, leaf: bool) -> CloseKind {
        match (first, depth, second) {
            ("System", 2, "EventID") => CloseKind::EventId,
            ("System", 2, "EventRecordID") => CloseKind::RecordId,
            ("System", 2, "Channel") => CloseKind::Channel,
            ("System", 2, "Computer") => CloseKind::Computer,
            ("EventData", 2, "Data") => CloseKind::Data,
            ("EventData", 2, "Binary") => CloseKind::Binary,
            ("UserData", 3.., _) if leaf => CloseKind::UserData,
            _ => CloseKind::Other,
        }
    }
}

/// The field a `Data` element with this `Name` attribute fills: the name, or `param1`,
/// `param2`… (`unnamed` counts the event's unnamed ones so far).
pub(super) fn data_field_name(attr: Option<&str>, unnamed: &mut usize) -> String {
    match attr.filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => {
            *unnamed += 1;
            format!("param{unnamed}")
        }
    }
}

impl Building {
    /// The local name of the open element at `depth` (0: a child of `Event`).
    fn name(&self, depth: usize) -> &str {
        self.path
            .get(depth)
            .map_or("", |&(from, to)| &self.names[from..to])
    }

    /// Sets a field of the event (borrowing the value: the text buffer is kept for the next
    /// element instead of being given away and allocated again).
    fn set_field(fields: &mut Fields, name: &str, value: &str) {
        // Fields are appended unsorted and sorted once the event is read (`take_event`); a
        // name given again is kept too (as `name_1`…), so every field counts to the cap.
        if fields.len() >= MAX_FIELDS {
            return;
        }
        let mut value = value;
        if value.len() > MAX_FIELD_BYTES {
            let mut cut = MAX_FIELD_BYTES;
            while !value.is_char_boundary(cut) {
                cut -= 1;
            }
            value = &value[..cut];
        }
        fields.append_unsorted(name, value);
    }

    pub(super) fn open(&mut self, e: &impl Tag) {
        if let Some(parent) = self.had_child.last_mut() {
            *parent = true;
        }
        let name = e.local();
        let kind = OpenKind::of(self.name(0), self.path.len(), name);
        if let Some(attr) = kind.attribute() {
            let value = e.attr(attr);
            self.opened(kind, value.as_deref());
        }
        let from = self.names.len();
        self.names.push_str(name);
        self.path.push((from, self.names.len()));
        self.had_child.push(false);
        self.text.clear();
    }

    /// What opening an element of `kind` sets, given its attribute ([`OpenKind::attribute`]).
    /// A `Data` element's field name is [`data_field_name`]'s.
    pub(super) fn opened(&mut self, kind: OpenKind, attr: Option<&str>) {
        match kind {
            OpenKind::Provider => {
                if let Some(n) = attr {
                    self.event.provider = shared_name(&mut self.shared, n);
                }
            }
            OpenKind::Correlation => {
                // Event Viewer writes GUIDs in upper case, the evtx crate in lower case.
                self.event.activity_id = attr
                    .map(|a| a.trim().to_ascii_lowercase())
                    .filter(|a| !a.is_empty());
            }
            OpenKind::TimeCreated => {
                self.time_text = attr.map(str::to_string);
                self.time_ns = None;
            }
            OpenKind::Data => self.data_name = Some(data_field_name(attr, &mut self.unnamed)),
            OpenKind::Other => {}
        }
    }

    /// Opens `System/TimeCreated` whose `SystemTime` is the instant `ns`: what
    /// [`Building::opened`] with its text does, without writing the text and reading it back.
    pub(super) fn time_created_ns(&mut self, ns: i64) {
        self.time_text = None;
        self.time_ns = Some(ns);
    }

    pub(super) fn close(&mut self) {
        let leaf = !self.had_child.last().copied().unwrap_or(false);
        let depth = self.path.len();
        let kind = CloseKind::of(self.name(0), depth, self.name(1), leaf);
        let text = std::mem::take(&mut self.text);
        match kind {
            CloseKind::Data => {
                if let Some(n) = self.data_name.take() {
                    Self::set_field(&mut self.fields, &n, &text);
                }
            }
            CloseKind::UserData => {
                let mut name = String::new();
                for i in 2..depth {
                    if i > 2 {
                        name.push('.');
                    }
                    name.push_str(self.name(i));
                }
                Self::set_field(&mut self.fields, &name, &text);
            }
            _ => self.closed(kind, &text),
        }
        self.text = text;
        self.text.clear();
        if let Some((from, _)) = self.path.pop() {
            self.names.truncate(from);
        }
        self.had_child.pop();
    }

    /// What closing an element of `kind` (neither `Data` nor `UserData`, whose field names
    /// the caller knows) sets from the element's `text`.
    pub(super) fn closed(&mut self, kind: CloseKind, text: &str) {
        match kind {
            CloseKind::EventId => self.event.id = text.trim().parse().unwrap_or(0),
            CloseKind::RecordId => self.event.record_id = text.trim().parse().unwrap_or(0),
            CloseKind::Channel => self.event.channel = shared_name(&mut self.shared, text.trim()),
            CloseKind::Computer => self.event.computer = shared_name(&mut self.shared, text.trim()),
            CloseKind::Binary => Self::set_field(&mut self.fields, "Binary", text.trim()),
            CloseKind::Data | CloseKind::UserData | CloseKind::Other => {}
        }
    }

    /// Stands at `names` below `Event` (each with a child element), after `unnamed` unnamed
    /// `Data` elements: where a BinXml value's elements are walked from a record's plan.
    pub(super) fn enter(&mut self, names: &[String], unnamed: usize) {
        self.leave();
        for n in names {
            let from = self.names.len();
            self.names.push_str(n);
            self.path.push((from, self.names.len()));
            self.had_child.push(true);
        }
        self.unnamed = unnamed;
    }

    /// Leaves what [`Building::enter`] stood at.
    pub(super) fn leave(&mut self) {
        self.names.clear();
        self.path.clear();
        self.had_child.clear();
        self.text.clear();
    }

    /// Sets the field `name` of the event being read (a `Data` or `UserData` element's).
    pub(super) fn field(&mut self, name: &str, value: &str) {
        Self::set_field(&mut self.fields, name, value);
    }

    pub(super) fn finish(mut self) -> Event {
        self.take_event()
    }

    /// The event read, leaving this ready for the next one with its buffers kept (the
    /// BinXml reader reads a chunk's events with one).
    pub(super) fn take_event(&mut self) -> Event {
        let mut event = std::mem::take(&mut self.event);
        self.fields.sort_appended();
        event.fields = std::sync::Arc::new(self.fields.compacted());
        self.fields.clear();
        let time_text = self.time_text.take();
        if let Some(t) = self.time_ns.take() {
            event.time_ns = t;
            event.time = rfc3339(t);
        } else if let Some(t) = time_text.as_deref().and_then(parse_time) {
            event.time_ns = t;
            event.time = rfc3339(t);
        } else if let Some(t) = time_text {
            // Kept as written when it cannot be read as a time.
            event.time = t;
        }
        self.names.clear();
        self.path.clear();
        self.had_child.clear();
        self.data_name = None;
        self.unnamed = 0;
        self.text.clear();
        event
    }
}

/// Scans `text` for `<Event>` elements, calling `sink` for each complete one. Returns the
/// byte position and message of the first XML error.
fn scan(text: &str, sink: &mut dyn FnMut(Result<Event, String>)) -> Result<(), (usize, String)> {
    let mut reader = Reader::from_str(text);
    // End tags are matched by the event's own path: an event cut short and followed by the
    // next `<Event>` loses only itself.
    reader.config_mut().check_end_names = false;
    // After a resync the root's close tag has no open tag: not an error.
    reader.config_mut().allow_unmatched_ends = true;
    let mut current: Option<Building> = None;
    // Depth of ignored elements below MAX_DEPTH inside the current event.
    let mut ignored = 0usize;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err((reader.error_position() as usize, e.to_string())),
        };
        match ev {
            XmlEvent::Start(e) => match current.as_mut() {
                _ if e.local_name().as_ref() == "Event" => {
                    if current.is_some() {
                        sink(Err(format!(
                            "an event breaks off at byte {} (a new <Event> starts inside it)",
                            reader.buffer_position()
                        )));
                    }
                    ignored = 0;
                    current = Some(Building::default());
                }
                None => {}
                Some(_) if ignored > 0 => ignored += 1,
                Some(b) if b.path.len() >= MAX_DEPTH => ignored = 1,
                Some(b) => b.open(&e),
            },
            XmlEvent::Empty(e) => match current.as_mut() {
                None if e.local_name().as_ref() == "Event" => sink(Ok(Event::default())),
                None => {}
                Some(_) if ignored > 0 => {}
                Some(b) if b.path.len() >= MAX_DEPTH => {}
                Some(b) => {
                    b.open(&e);
                    b.close();
                }
            },
            XmlEvent::End(_) => {
                if ignored > 0 {
                    ignored -= 1;
                    continue;
                }
                match current.as_mut() {
                    Some(b) if b.path.is_empty() => {
                        if let Some(b) = current.take() {
                            sink(Ok(b.finish()));
                        }
                    }
                    Some(b) => b.close(),
                    None => {}
                }
            }
            XmlEvent::Text(t) => {
                if let Some(b) = current.as_mut().filter(|_| ignored == 0) {
                    push_capped(&mut b.text, &t.xml10_content());
                }
            }
            XmlEvent::CData(t) => {
                if let Some(b) = current.as_mut().filter(|_| ignored == 0) {
                    push_capped(&mut b.text, &t);
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some(b) = current.as_mut().filter(|_| ignored == 0) {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        _ => match r.xml10_content().as_ref() {
                            "amp" => Some("&".into()),
                            "lt" => Some("<".into()),
                            "gt" => Some(">".into()),
                            "quot" => Some("\"".into()),
                            "apos" => Some("'".into()),
                            _ => None,
                        },
                    };
                    if let Some(s) = resolved {
                        push_capped(&mut b.text, &s);
                    }
                }
            }
            XmlEvent::Eof => {
                if current.is_some() {
                    return Err((text.len(), "the document ends inside an event".into()));
                }
                return Ok(());
            }
            _ => {}
        }
    }
}

pub(super) fn push_capped(buf: &mut String, s: &str) {
    if buf.len() >= MAX_FIELD_BYTES {
        return;
    }
    buf.push_str(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 4625 and one LocalSessionManager 21 as Event Viewer's "Save All Events As… XML"
    /// writes them (one line per event, `RenderingInfo` included).
    const EXPORT: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='2024-03-05T10:11:12.1234567Z'/><EventRecordID>4242</EventRecordID><Correlation ActivityID='{0D5A8C4E-6E2B-0001-0000-00000000000A}'/><Execution ProcessID='680' ThreadID='5012'/><Channel>Security</Channel><Computer>SRV01.corp.example</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>alice</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='Status'>0xc000006d</Data><Data Name='FailureReason'>%%2313</Data><Data Name='SubStatus'>0xc000006a</Data><Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>NtLmSsp </Data><Data Name='WorkstationName'>LAPTOP&amp;1</Data><Data Name='IpAddress'>203.0.113.7</Data><Data Name='IpPort'>0</Data></EventData><RenderingInfo Culture='en-US'><Message>An account failed to log on.</Message><Level>Information</Level></RenderingInfo></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-LocalSessionManager' Guid='{5d896912-022d-40aa-a3a8-4fa5515c76d7}'/><EventID>21</EventID><TimeCreated SystemTime='2024-03-05T10:11:20.5Z'/><EventRecordID>77</EventRecordID><Channel>Microsoft-Windows-TerminalServices-LocalSessionManager/Operational</Channel><Computer>SRV01.corp.example</Computer><Security UserID='S-1-5-18'/></System><UserData><EventXML xmlns='Event_NS'><User>CORP\alice</User><SessionID>2</SessionID><Address>203.0.113.7</Address></EventXML></UserData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID><TimeCreated SystemTime='2024-03-05T10:11:21.0Z'/><EventRecordID>9</EventRecordID><Channel>System</Channel><Computer>SRV01</Computer></System><EventData><Data>Remote Desktop Services</Data><Data>stopped</Data><Binary>5400650072006D00</Binary></EventData></Event></Events>"#;

    #[test]
    fn reads_an_event_viewer_export() {
        let r = read_xml("export.xml", EXPORT);
        assert!(r.readable);
        assert_eq!(r.counts.records, 3);
        assert_eq!(r.counts.corrupt, 0);
        // 7036 is outside the catalog: counted, not kept.
        assert_eq!(r.events.len(), 2);
        assert_eq!(r.counts.outside_total(), 1);
        let e = &r.events[0];
        assert_eq!(e.id, 4625);
        assert_eq!(&*e.channel, "Security");
        assert_eq!(&*e.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(&*e.computer, "SRV01.corp.example");
        assert_eq!(e.record_id, 4242);
        assert_eq!(&*e.time, "2024-03-05T10:11:12.123456Z");
        assert_eq!(
            e.activity_id.as_deref(),
            Some("{0d5a8c4e-6e2b-0001-0000-00000000000a}")
        );
        assert_eq!(e.field("Status"), Some("0xc000006d"));
        assert_eq!(e.field("LogonProcessName"), Some("NtLmSsp"));
        assert_eq!(e.field("WorkstationName"), Some("LAPTOP&1"));
        assert!(!e.fields.contains_key("Message"));
        let lsm = &r.events[1];
        assert_eq!(lsm.id, 21);
        assert_eq!(lsm.field("User"), Some("CORP\\alice"));
        assert_eq!(lsm.field("SessionID"), Some("2"));
        assert_eq!(lsm.field("Address"), Some("203.0.113.7"));
        assert_eq!(&*lsm.time, "2024-03-05T10:11:20.500000Z");
    }

    #[test]
    fn names_unnamed_data_and_keeps_binary() {
        let scm = &EXPORT[EXPORT.rfind("<Event ").unwrap()..];
        let e = parse_event_xml(scm).unwrap();
        assert_eq!(e.id, 7036);
        assert_eq!(e.field("param1"), Some("Remote Desktop Services"));
        assert_eq!(e.field("param2"), Some("stopped"));
        assert_eq!(e.field("Binary"), Some("5400650072006D00"));
    }

    #[test]
    fn reads_wevtutil_output_without_root() {
        // `wevtutil qe … /f:xml` prints events back to back, no root, no declaration.
        let start = EXPORT.find("<Event ").unwrap();
        let end = EXPORT.rfind("</Events>").unwrap();
        let body = &EXPORT[start..end];
        let r = read_xml("qe.xml", body);
        assert_eq!(r.counts.records, 3);
        assert_eq!(r.events.len(), 2);
    }

    #[test]
    fn skips_a_broken_event_and_goes_on() {
        let start = EXPORT.find("<Event ").unwrap();
        let second = EXPORT[start + 1..].find("<Event ").unwrap() + start + 1;
        // The first event cut in the middle, then the rest intact.
        let broken = format!(
            "<Events>{}{}",
            &EXPORT[start..start + 300],
            &EXPORT[second..]
        );
        let r = read_xml("broken.xml", &broken);
        assert_eq!(r.counts.corrupt, 1);
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0].starts_with("broken.xml: an event breaks off"),
            "{:?}",
            r.warnings
        );
        assert_eq!(r.counts.records, 2);
        assert_eq!(r.events[0].id, 21);
    }

    #[test]
    fn resyncs_after_malformed_markup() {
        let lsm = &EXPORT[EXPORT.find("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-LocalSessionManager'").unwrap()..];
        let lsm = &lsm[..lsm.find("</Event>").unwrap() + 8];
        let doc = format!(
            "<Events><Event><System><!x><EventID>1</EventID></System></Event>{lsm}</Events>"
        );
        let r = read_xml("bad.xml", &doc);
        assert_eq!(r.counts.corrupt, 1, "{:?}", r.warnings);
        assert!(r.warnings[0].starts_with("bad.xml: unreadable XML at byte"));
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].id, 21);
    }

    #[test]
    fn never_panics_on_cut_or_odd_input() {
        for n in (0..EXPORT.len()).step_by(7) {
            if EXPORT.is_char_boundary(n) {
                let _ = read_xml("cut.xml", &EXPORT[..n]);
            }
        }
        for odd in [
            "",
            "<",
            "<Event",
            "<Event/>",
            "<Events><Event>",
            "&amp;",
            "<a><b></a>",
        ] {
            let _ = read_xml("odd.xml", odd);
            let _ = parse_event_xml(odd);
        }
    }
}

#[cfg(test)]
mod repeated_names {
    use super::*;

    /// A 4648 that names `LogonGuid` twice keeps both values: the first under its name, the
    /// second as `LogonGuid_1`, as `evtx_dump` names it.
    #[test]
    fn a_name_written_twice_keeps_both_values() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4648</EventID><TimeCreated SystemTime='2024-03-05T10:11:12Z'/><EventRecordID>5</EventRecordID><Channel>Security</Channel><Computer>WS01</Computer></System><EventData><Data Name='SubjectUserName'>alice</Data><Data Name='LogonGuid'>{00000000-0000-0000-0000-000000000000}</Data><Data Name='TargetUserName'>admin</Data><Data Name='LogonGuid'>{6B1D5C0E-4A6F-2B3C-9D8E-7F6A5B4C3D2E}</Data><Data Name='TargetServerName'>SRV01</Data></EventData></Event>";
        let e = parse_event_xml(xml).expect("one event");
        assert_eq!(
            e.fields.get("LogonGuid"),
            Some("{00000000-0000-0000-0000-000000000000}")
        );
        assert_eq!(
            e.fields.get("LogonGuid_1"),
            Some("{6B1D5C0E-4A6F-2B3C-9D8E-7F6A5B4C3D2E}")
        );
        assert_eq!(e.fields.len(), 5);
    }
}
