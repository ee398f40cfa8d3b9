//! A chunk's records read straight from their Binary XML (MS-EVEN6 §2.2.12 BinXml, §3.1.4.7
//! templates), without rendering them: the fast path of [`super::evtx`].
//!
//! Written by hand because the `evtx` crate offers no way to it: its record iterator builds
//! every record's whole tree before a caller sees the record, and its public API then gives a
//! record only as rendered XML or JSON, or as typed substitution values without the template
//! they fill. Mapping a catalog event meant rendering XML and reading it back, and even a
//! record outside the catalog cost a tree. Here each template of a chunk is read once into a
//! small tree (`Template`); a record is its template id and its substitution values, so its
//! event id and channel are two values (a record outside the catalog costs little more than
//! that), and a catalog event is mapped by walking the template with the record's values into
//! the same `Building` the XML reader fills, so both readers keep one mapping. The walk is
//! worked out once per template and record shape (which values are null, which are nested
//! BinXml) into a `Plan`: the `Building` calls that set something and the pieces of text
//! each reads; records then run their plan (`plans_read_records_as_the_walk_does` compares
//! the two on every chunk of the fixtures and the corpus).
//!
//! Only the common shape is read: records that are one template instance, templates of
//! elements, attributes, text and substitutions, values of the scalar types Windows writes for
//! the fields we keep. Anything else (a nested BinXml or array value where the event needs it,
//! CDATA, character or entity references, a control character XML would alter, a record the
//! crate would have to search for…) declines the whole chunk, which the crate then reads as
//! before: `read_chunk` either gives exactly what the crate path gives, or nothing. The
//! `fast_path_matches_the_crate` test compares both on every chunk of the fixtures and the
//! corpus.

use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use super::xml::{Building, CloseKind, MAX_DEPTH, OpenKind, Tag, data_field_name, push_capped};
use super::{Counts, Event};

/// Bytes of the chunk header (with its string and template tables); records follow.
pub(super) const CHUNK_HEADER_BYTES: usize = 512;
/// Bytes of a record header: magic, size, record id, FILETIME (MS-EVEN6 §2.2.3).
const RECORD_HEADER_BYTES: usize = 24;
const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
/// Elements and pieces one template may hold: more declines the chunk.
const MAX_TEMPLATE_NODES: usize = 4096;

/// Why a chunk is left to the crate (for tests and debugging; never shown to users).
pub(super) type Decline = &'static str;

/// BinXml tokens (MS-EVEN6 §2.2.12), without the 0x40 "more" flag.
mod token {
    pub const EOF: u8 = 0x00;
    pub const OPEN_START_ELEMENT: u8 = 0x01;
    pub const CLOSE_START_ELEMENT: u8 = 0x02;
    pub const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
}

/// Value types (MS-EVEN6 §2.2.12, "Type" of a value or substitution descriptor).
mod value_type {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0a;
    pub const BOOL: u8 = 0x0d;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const SIZE_T: u8 = 0x10;
    pub const FILETIME: u8 = 0x11;
    pub const SYSTEMTIME: u8 = 0x12;
    pub const SID: u8 = 0x13;
    pub const HEX_INT32: u8 = 0x14;
    pub const HEX_INT64: u8 = 0x15;
    pub const BINXML: u8 = 0x21;
}

/// What a chunk gave.
#[derive(Default)]
pub(super) struct FastChunk {
    pub events: Vec<Event>,
    pub counts: Counts,
    /// Catalog events counted without being read (`count_only`), so not in `events`.
    pub counted_only: u64,
}

/// Text of an element or attribute: literal text or a substitution value.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    /// The record's substitution value at this index (normal or optional: for the text we
    /// read, an optional substitution left out and an empty value are the same).
    Value(u16),
}

#[derive(Debug)]
enum Node {
    Element(usize),
    Piece(Piece),
}

/// One element of a template (MS-EVEN6 §2.2.12 OpenStartElement … EndElement).
#[derive(Debug, Default)]
struct Element {
    name: String,
    /// Left out of a record whose value at this index is null (MS-EVEN6 §2.2.12
    /// DependencyId).
    dependency: Option<u16>,
    attributes: Vec<(String, Vec<Piece>)>,
    children: Vec<Node>,
}

/// A template definition (MS-EVEN6 §2.2.13): its elements (the first is the root, `Event`),
/// and where `System/EventID` and `System/Channel` are when they are plain text.
#[derive(Debug)]
struct Template {
    elements: Vec<Element>,
    /// The pieces of `System/EventID` and `System/Channel`, when each is a single element
    /// of text only under a single `System` that no value can leave out: then a record's id
    /// and channel are read from them alone.
    key: Option<(Key, Key)>,
    /// The value indexes elements depend on, each once: which of them are null is a
    /// record's shape (which elements it has), the key of its [`Plan`].
    dependencies: Vec<u16>,
    /// The value indexes that stand as element content, each once: a BinXml value there
    /// becomes elements, so such a record is walked, not planned.
    content_values: Vec<u16>,
    /// The plans made so far, by shape (see [`plan_for`]).
    plans: std::cell::RefCell<Vec<PlanEntry>>,
}

impl Template {
    fn new(elements: Vec<Element>, key: Option<(Key, Key)>) -> Template {
        let mut dependencies: Vec<u16> = elements.iter().filter_map(|e| e.dependency).collect();
        dependencies.sort_unstable();
        dependencies.dedup();
        let mut content_values: Vec<u16> = elements
            .iter()
            .flat_map(|e| &e.children)
            .filter_map(|n| match n {
                Node::Piece(Piece::Value(i)) => Some(*i),
                _ => None,
            })
            .collect();
        content_values.sort_unstable();
        content_values.dedup();
        Template {
            elements,
            key,
            dependencies,
            content_values,
            plans: Default::default(),
        }
    }
}

/// A record's substitution values: (type, offset in the chunk, size).
struct Values<'a> {
    data: &'a [u8],
    items: Vec<(u8, usize, usize)>,
}

impl Values<'_> {
    fn bytes(&self, (_, at, len): (u8, usize, usize)) -> &[u8] {
        &self.data[at..at + len]
    }

    /// Value `index` when it is a non-empty BinXml fragment (MS-EVEN6 §2.2.12, type 0x21):
    /// its range in the chunk.
    fn fragment(&self, index: u16) -> Option<std::ops::Range<usize>> {
        match self.items.get(usize::from(index)) {
            Some(&(value_type::BINXML, at, len)) if len > 0 => Some(at..at + len),
            _ => None,
        }
    }

    /// Whether an element depending on value `index` is left out: the value is null.
    fn is_null(&self, index: u16) -> Result<bool, Decline> {
        match self.items.get(usize::from(index)) {
            None => Ok(false),
            Some((value_type::NULL, _, _)) => Ok(true),
            // A fragment is rendered, so not null; an empty one would be.
            Some((value_type::BINXML, _, 0)) => Err("a dependency on an empty BinXml value"),
            Some(_) => Ok(false),
        }
    }

    /// Whether value `index` can be written ([`check_value`]).
    fn check(&self, index: u16) -> Result<(), Decline> {
        match self.items.get(usize::from(index)) {
            Some(&item) => check_value(item.0, self.bytes(item)),
            None => Ok(()),
        }
    }

    /// Appends value `index` as the XML text the crate renders for it (the text, unescaped).
    fn write(&self, index: u16, out: &mut String) -> Result<(), Decline> {
        let Some(&item) = self.items.get(usize::from(index)) else {
            return Ok(());
        };
        write_value(item.0, self.bytes(item), out)
    }
}

/// Reads every record of a chunk (`data`: its 64 KiB), or declines. `free_space_offset` and
/// `last_record_id` come from the chunk header.
///
/// With `count_only` (the log's kept events are at their cap: more would be counted, not
/// kept), a record whose id and channel make it a catalog event whatever its fields is only
/// counted, as one outside the catalog is; the others are read as always.
pub(super) fn read_chunk(
    data: &[u8],
    free_space_offset: u32,
    last_record_id: u64,
    count_only: bool,
) -> Result<FastChunk, Decline> {
    let mut out = FastChunk::default();
    let mut reader = Reader {
        data,
        templates: FxHashMap::default(),
    };
    let mut values = Values {
        data,
        items: Vec::new(),
    };
    let (mut id_text, mut channel_text, mut raw) = (String::new(), String::new(), String::new());
    let mut buffers = RunBuffers::default();
    let record_place = Rc::new(Place::default());
    let mut building = Building::default();
    let mut outside_seen = OutsideTally::default();
    let live_end = (free_space_offset as usize).min(data.len());
    // Room for as many events as the chunk has records, by the first and last record
    // numbers of its header (at 8 and 16; libyal's "Windows XML Event Log format" §3):
    // growing the list a record at a time was a twentieth of a log of catalog events.
    if let (Ok(first), Ok(last)) = (u64_at(data, 8), u64_at(data, 16)) {
        let records = last.saturating_sub(first).saturating_add(1);
        out.events.reserve(records.min(1024) as usize);
    }
    let mut offset = CHUNK_HEADER_BYTES;
    while offset < live_end {
        let header = data
            .get(offset..offset + RECORD_HEADER_BYTES)
            .ok_or("a record header past the chunk")?;
        if &header[..4] != RECORD_MAGIC {
            return Err("no record magic where a record starts");
        }
        let size = u32_at(header, 4)? as usize;
        let record_id = u64_at(header, 8)?;
        let filetime = u64_at(header, 16)?;
        if size < RECORD_HEADER_BYTES + 4 {
            return Err("a record shorter than its header");
        }
        let binxml = offset + RECORD_HEADER_BYTES..offset + size - 4;
        if binxml.end > data.len() {
            return Err("a record past the chunk");
        }
        let written_ns = filetime_ns(filetime)?;
        let template = reader.read_fragment(binxml, &mut values)?;
        if template.elements[0].name != "Event" {
            return Err("a record whose root is not Event");
        }

        // Outside the catalog by id and channel alone, or past the cap and in the catalog by
        // them alone: counted, not read.
        let mut counted = false;
        if let Some((id_key, channel_key)) = &template.key {
            id_text.clear();
            channel_text.clear();
            id_key.read(&values, &mut raw, &mut id_text)?;
            channel_key.read(&values, &mut raw, &mut channel_text)?;
            let id = id_text.trim().parse().unwrap_or(0);
            let channel = channel_text.trim();
            if !super::catalog::may_match(channel, id) {
                outside_seen.add(channel, id, &mut out.counts);
                counted = true;
            } else if count_only
                && super::catalog::always_in_catalog(channel, id)
                && !super::counted_past_caps(channel, id)
            {
                out.counts.add_catalog(channel, id);
                out.counted_only += 1;
                counted = true;
            }
        }
        if !counted {
            match plan_for(&template, &values, &record_place, false)? {
                Some(plan) => {
                    #[cfg(test)]
                    tests::PLANNED.set(tests::PLANNED.get() + 1);
                    plan.run(&mut reader, &values, &mut building, &mut buffers, 0)?
                }
                None => reader.walk(&template, 0, &values, &mut building, &mut raw, 0)?,
            }
            super::evtx::keep_event(
                building.take_event(),
                written_ns,
                record_id,
                &mut out.counts,
                &mut out.events,
            );
        }
        if record_id == last_record_id {
            break;
        }
        offset += size;
    }
    outside_seen.flush(&mut out.counts);
    Ok(out)
}

/// Records outside the catalog counted per (channel, id) while a chunk is read, merged into
/// [`super::Counts`] at its end: a chunk holds few distinct pairs, and a short list compared
/// in place spares the count map a lookup and an allocation per record. Past
/// [`OutsideTally::MAX`] pairs, records go to the map directly.
#[derive(Default)]
struct OutsideTally {
    pairs: Vec<(String, u32, u64)>,
}

impl OutsideTally {
    const MAX: usize = 32;

    fn add(&mut self, channel: &str, id: u32, counts: &mut super::Counts) {
        if let Some(p) = self.pairs.iter_mut().find(|p| p.1 == id && p.0 == channel) {
            p.2 += 1;
        } else if self.pairs.len() < Self::MAX {
            self.pairs.push((channel.to_string(), id, 1));
        } else {
            counts.add_outside_n(channel, id, 1);
        }
    }

    fn flush(&mut self, counts: &mut super::Counts) {
        for (channel, id, n) in self.pairs.drain(..) {
            counts.add_outside_n(&channel, id, n);
        }
    }
}

/// A chunk being read: its bytes and the templates read so far, by offset.
struct Reader<'a> {
    data: &'a [u8],
    templates: FxHashMap<u32, Rc<Template>>,
}

/// BinXml fragments nested in values deeper than this decline the chunk.
const MAX_NESTING: usize = 8;

impl<'a> Reader<'a> {
    /// Reads BinXml (`range` of the chunk: a record's, or a BinXml value's): a fragment header
    /// and one template instance (MS-EVEN6 §2.2.12 TemplateInstance), its substitution values
    /// into `values`. Returns its template, read and kept the first time.
    fn read_instance(
        &mut self,
        range: std::ops::Range<usize>,
        values: &mut Values<'_>,
    ) -> Result<Rc<Template>, Decline> {
        let data = self.data;
        let end = range.end;
        let mut pos = range.start;
        if data.get(pos) == Some(&token::FRAGMENT_HEADER) {
            pos += 4;
        }
        if data.get(pos) != Some(&token::TEMPLATE_INSTANCE) {
            return Err("BinXml that is not a template instance");
        }
        // Token, an unknown byte, the template id, the definition's offset.
        let def_offset = u32_at(data, pos + 6)?;
        pos += 10;
        if def_offset as usize == pos {
            // The definition is inline: next offset, GUID, size, then its data.
            let size = u32_at(data, pos + 20)? as usize;
            pos += 24 + size;
        }
        let template = match self.templates.get(&def_offset) {
            Some(t) => Rc::clone(t),
            None => {
                let t = TEMPLATES
                    .with(|cache| cache.borrow_mut().get_or_read(data, def_offset as usize))?;
                self.templates.insert(def_offset, Rc::clone(&t));
                t
            }
        };
        let count = u32_at(data, pos)? as usize;
        pos += 4;
        let descriptors_end = count
            .checked_mul(4)
            .and_then(|n| n.checked_add(pos))
            .filter(|&e| e <= end)
            .ok_or("substitution descriptors past the record")?;
        let descriptors = &data[pos..descriptors_end];
        pos = descriptors_end;
        values.items.clear();
        values.items.reserve(count);
        for d in descriptors.chunks_exact(4) {
            let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
            if pos + size > end {
                return Err("a substitution value past the record");
            }
            values.items.push((d[2], pos, size));
            pos += size;
        }
        // The instance ends the BinXml, or an EOF token follows it.
        if pos != end && data.get(pos) != Some(&token::EOF) {
            return Err("more than one template instance in BinXml");
        }
        Ok(template)
    }

    /// Feeds the content of a template's `element` with a record's `values` to `b`, as the
    /// XML reader would from the rendered record: child elements (those whose dependency is
    /// null left out), text, values, and BinXml values as the elements they hold. Text and
    /// values next to each other are one run of text, as they are in the XML.
    fn walk(
        &mut self,
        template: &Template,
        element: usize,
        values: &Values<'_>,
        b: &mut Building,
        scratch: &mut String,
        nesting: usize,
    ) -> Result<(), Decline> {
        scratch.clear();
        for node in &template.elements[element].children {
            if let Node::Piece(Piece::Value(i)) = node
                && let Some(range) = values.fragment(*i)
            {
                flush_text(b, scratch);
                let (t, inner) = self.nested(range, nesting)?;
                // A fragment's root is always rendered, whatever its dependency.
                self.element(&t, 0, &inner, b, scratch, nesting + 1)?;
                continue;
            }
            match node {
                Node::Piece(p) => write_pieces(std::slice::from_ref(p), values, scratch)?,
                Node::Element(i) => {
                    if let Some(d) = template.elements[*i].dependency
                        && values.is_null(d)?
                    {
                        continue;
                    }
                    flush_text(b, scratch);
                    self.element(template, *i, values, b, scratch, nesting)?;
                }
            }
        }
        flush_text(b, scratch);
        Ok(())
    }

    /// One element: its start tag, its content, its end. `scratch` is empty on the way in
    /// and out (the caller has flushed its run of text).
    fn element(
        &mut self,
        template: &Template,
        index: usize,
        values: &Values<'_>,
        b: &mut Building,
        scratch: &mut String,
        nesting: usize,
    ) -> Result<(), Decline> {
        let e = &template.elements[index];
        if b.path.len() >= MAX_DEPTH {
            return Err("an event nested too deep");
        }
        let tag = FastTag {
            name: &e.name,
            attributes: &e.attributes,
            values,
            problem: std::cell::Cell::new(None),
        };
        b.open(&tag);
        if let Some(problem) = tag.problem.get() {
            return Err(problem);
        }
        self.walk(template, index, values, b, scratch, nesting)?;
        b.close();
        Ok(())
    }

    /// A BinXml value of a record at `nesting` levels of such values: its template and its
    /// own values (the walk and the plans both read nested values through here).
    fn nested(
        &mut self,
        range: std::ops::Range<usize>,
        nesting: usize,
    ) -> Result<(Rc<Template>, Values<'a>), Decline> {
        if nesting >= MAX_NESTING {
            return Err("BinXml values nested too deep");
        }
        let mut inner = Values {
            data: self.data,
            items: Vec::new(),
        };
        let t = self.read_fragment(range, &mut inner)?;
        Ok((t, inner))
    }

    /// Reads a BinXml value: a template instance (its values into `values`), or elements
    /// written out without a template (MS-EVEN6 §2.2.12: then their start tags carry no
    /// DependencyId and there are no values).
    fn read_fragment(
        &mut self,
        range: std::ops::Range<usize>,
        values: &mut Values<'_>,
    ) -> Result<Rc<Template>, Decline> {
        let mut pos = range.start;
        if self.data.get(pos) == Some(&token::FRAGMENT_HEADER) {
            pos += 4;
        }
        match self.data.get(pos) {
            Some(&token::TEMPLATE_INSTANCE) => self.read_instance(range, values),
            Some(t) if t & 0x1f == token::OPEN_START_ELEMENT => {
                values.items.clear();
                let mut reader = TemplateReader {
                    data: &self.data[..range.end],
                    pos,
                    elements: Vec::new(),
                    nodes: 0,
                    dependencies: false,
                    name_refs: Vec::new(),
                };
                reader.element(0)?;
                if reader.pos != range.end && reader.peek()? != token::EOF {
                    return Err("a BinXml value of more than one element");
                }
                Ok(Rc::new(Template::new(reader.elements, None)))
            }
            _ => Err("a BinXml value of another shape"),
        }
    }
}

/// A plan kept by its template: (shape, whether the template is a BinXml value's, place,
/// plan); see [`plan_for`].
type PlanEntry = (u64, bool, Rc<Place>, Rc<Planned>);

/// Plans a template keeps (by shape and place); a record of another is walked.
const MAX_PLANS: usize = 16;

/// How a record of one template and shape is read (see [`Plan`]).
#[derive(Debug)]
enum Planned {
    Plan(Plan),
    /// Walked instead: which fields the record has depends on more than its shape (a
    /// `Data` element's `Name` is a value, or unnamed `Data` elements follow a BinXml value).
    Walk,
    /// The walk would decline the chunk on every record of this shape.
    Decline(Decline),
}

/// What [`Reader::walk`] does with a record of one template and shape, worked out once:
/// the [`Building`] calls that set something, in document order, with the pieces of text
/// each reads. Running it does what the walk does (the same values written, the same calls,
/// the same declines), without going through the template's elements and attributes again
/// for every record: on a log of catalog events the walk was a third of the run.
///
/// A record's shape is which of the values its elements depend on are null and which of its
/// content values are BinXml (elements of their own template: `EventData` and `UserData`
/// are written so): each of those is a [`Step::Nested`], planned for its own template at the
/// place it stands.
#[derive(Debug, Default)]
struct Plan {
    steps: Vec<Step>,
}

#[derive(Debug)]
enum Step {
    /// Text the walk writes and drops (a run before a child element, or of an element that
    /// keeps nothing): its values must still be readable.
    Check(Vec<Piece>),
    /// An element whose start tag sets something, with its attribute's pieces (`None`: no
    /// such attribute).
    Open(OpenKind, Option<Vec<Piece>>),
    /// An element whose text sets something.
    Close(CloseKind, Vec<Piece>),
    /// A `Data` or `UserData` element's text as the field it fills.
    Field(String, Vec<Piece>),
    /// A BinXml value's elements, at `place`.
    Nested { value: u16, place: Rc<Place> },
}

/// Where a BinXml value's elements stand: the names of the open elements below `Event`, and
/// how many unnamed `Data` elements the event has had before.
#[derive(Debug, Default, PartialEq, Eq)]
struct Place {
    names: Vec<String>,
    unnamed: usize,
}

/// The plan for a record of `template` with `values`, or `None` when it is to be walked.
/// `nested`: the template is a BinXml value's, at `place` (its root element is read too);
/// else a record's (only its root's content).
fn plan_for(
    template: &Template,
    values: &Values<'_>,
    place: &Rc<Place>,
    nested: bool,
) -> Result<Option<Rc<Planned>>, Decline> {
    let (deps, content) = (&template.dependencies, &template.content_values);
    #[cfg(test)]
    if tests::WALK_ONLY.get() {
        return Ok(None);
    }
    if deps.len() + content.len() > 64 {
        return Ok(None);
    }
    let mut shape = 0u64;
    for (bit, &d) in deps.iter().enumerate() {
        match values.is_null(d) {
            Ok(true) => shape |= 1 << bit,
            Ok(false) => {}
            // Left to the walk, which declines only if it reaches that element.
            Err(_) => return Ok(None),
        }
    }
    for (bit, &v) in content.iter().enumerate() {
        if values.fragment(v).is_some() {
            shape |= 1 << (deps.len() + bit);
        }
    }
    let mut plans = template.plans.borrow_mut();
    let found = plans
        .iter()
        .find(|(s, n, p, _)| *s == shape && *n == nested && **p == **place);
    let planned = match found {
        Some((_, _, _, planned)) => Rc::clone(planned),
        None => {
            let null = |d: u16| {
                deps.iter()
                    .position(|&x| x == d)
                    .is_some_and(|bit| shape & (1 << bit) != 0)
            };
            let fragment = |v: u16| {
                content
                    .iter()
                    .position(|&x| x == v)
                    .is_some_and(|bit| shape & (1 << (deps.len() + bit)) != 0)
            };
            let mut planner = Planner {
                template,
                null: &null,
                fragment: &fragment,
                names: place.names.iter().map(String::as_str).collect(),
                had_child: vec![true; place.names.len()],
                unnamed: Some(place.unnamed),
                data_name: None,
                plan: Plan::default(),
            };
            let made = if nested {
                planner.element(0)
            } else {
                planner.content(0).map(|run| planner.check(run))
            };
            let planned = Rc::new(match made {
                Ok(()) => Planned::Plan(planner.plan),
                Err(stop) => stop,
            });
            if plans.len() < MAX_PLANS {
                plans.push((shape, nested, Rc::clone(place), Rc::clone(&planned)));
            }
            planned
        }
    };
    match &*planned {
        Planned::Plan(_) => Ok(Some(planned.clone())),
        Planned::Walk => Ok(None),
        Planned::Decline(d) => Err(d),
    }
}

/// Buffers a plan runs with.
#[derive(Default)]
struct RunBuffers {
    scratch: String,
    text: String,
}

impl Planned {
    /// Runs the plan on a record's `values` into `b`, at BinXml `nesting` as
    /// [`Reader::walk`] counts it.
    fn run(
        &self,
        reader: &mut Reader<'_>,
        values: &Values<'_>,
        b: &mut Building,
        buffers: &mut RunBuffers,
        nesting: usize,
    ) -> Result<(), Decline> {
        let Planned::Plan(plan) = self else {
            return Err("a record planned without a plan");
        };
        // The element's text as `flush_text` gives it to `Building`, into `buffers.text`.
        let element_text = |pieces: &[Piece], buffers: &mut RunBuffers| -> Result<(), Decline> {
            buffers.scratch.clear();
            write_pieces(pieces, values, &mut buffers.scratch)?;
            buffers.text.clear();
            push_xml_text(&mut buffers.text, &buffers.scratch);
            Ok(())
        };
        for step in &plan.steps {
            match step {
                Step::Check(pieces) => {
                    for p in pieces {
                        if let Piece::Value(i) = p {
                            values.check(*i)?;
                        }
                    }
                }
                Step::Open(kind, None) => b.opened(*kind, None),
                Step::Open(OpenKind::TimeCreated, Some(pieces))
                    if let Some(ns) = filetime_value(pieces, values) =>
                {
                    b.time_created_ns(ns)
                }
                Step::Open(kind, Some(pieces)) => {
                    let scratch = &mut buffers.scratch;
                    scratch.clear();
                    write_pieces(pieces, values, scratch)?;
                    // As `FastTag::attr`.
                    if scratch.bytes().any(|b| b < 0x20) {
                        return Err("a tab or line end in an attribute");
                    }
                    b.opened(*kind, Some(scratch));
                }
                Step::Close(kind, pieces) => {
                    element_text(pieces, buffers)?;
                    b.closed(*kind, &buffers.text);
                }
                Step::Field(name, pieces) => {
                    element_text(pieces, buffers)?;
                    b.field(name, &buffers.text);
                }
                Step::Nested { value, place } => {
                    let range = values
                        .fragment(*value)
                        .ok_or("a planned BinXml value that is not one")?;
                    let (t, inner) = reader.nested(range, nesting)?;
                    match plan_for(&t, &inner, place, true)? {
                        Some(p) => p.run(reader, &inner, b, buffers, nesting + 1)?,
                        None => {
                            // Walked at its place (a fragment's root is always rendered).
                            b.enter(&place.names, place.unnamed);
                            buffers.scratch.clear();
                            let walked =
                                reader.element(&t, 0, &inner, b, &mut buffers.scratch, nesting + 1);
                            b.leave();
                            walked?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Works out a [`Plan`] by going through a template as [`Reader::walk`] and
/// [`Building`] would for records of one shape, keeping what `Building` would be told.
struct Planner<'a> {
    template: &'a Template,
    /// Whether the value an element depends on is null in this shape.
    null: &'a dyn Fn(u16) -> bool,
    /// Whether a content value is BinXml in this shape.
    fragment: &'a dyn Fn(u16) -> bool,
    /// The open elements' names below `Event`, as `Building::path`.
    names: Vec<&'a str>,
    had_child: Vec<bool>,
    /// Unnamed `Data` elements so far; `None` once a BinXml value may have had some.
    unnamed: Option<usize>,
    data_name: Option<String>,
    plan: Plan,
}

impl<'a> Planner<'a> {
    /// A run of text the walk writes and drops.
    fn check(&mut self, run: Vec<Piece>) {
        if run.iter().any(|p| matches!(p, Piece::Value(_))) {
            self.plan.steps.push(Step::Check(run));
        }
    }

    /// The content of element `index`, as [`Reader::walk`]; returns its last run of text
    /// (what `Building` has when the element closes).
    fn content(&mut self, index: usize) -> Result<Vec<Piece>, Planned> {
        let template = self.template;
        let mut run = Vec::new();
        for node in &template.elements[index].children {
            match node {
                Node::Piece(Piece::Value(v)) if (self.fragment)(*v) => {
                    self.check(std::mem::take(&mut run));
                    if let Some(parent) = self.had_child.last_mut() {
                        *parent = true;
                    }
                    let Some(unnamed) = self.unnamed else {
                        return Err(Planned::Walk);
                    };
                    let place = Place {
                        names: self.names.iter().map(|n| n.to_string()).collect(),
                        unnamed,
                    };
                    self.plan.steps.push(Step::Nested {
                        value: *v,
                        place: Rc::new(place),
                    });
                    self.unnamed = None;
                }
                Node::Piece(p) => run.push(p.clone()),
                Node::Element(i) => {
                    if let Some(d) = template.elements[*i].dependency
                        && (self.null)(d)
                    {
                        continue;
                    }
                    self.check(std::mem::take(&mut run));
                    self.element(*i)?;
                }
            }
        }
        Ok(run)
    }

    /// One element, as [`Reader::element`] with `Building::open` and `Building::close`.
    fn element(&mut self, index: usize) -> Result<(), Planned> {
        let e = &self.template.elements[index];
        if self.names.len() >= MAX_DEPTH {
            return Err(Planned::Decline("an event nested too deep"));
        }
        if let Some(parent) = self.had_child.last_mut() {
            *parent = true;
        }
        let first = self.names.first().copied().unwrap_or("");
        let kind = OpenKind::of(first, self.names.len(), &e.name);
        if let Some(attr) = kind.attribute() {
            let pieces = e
                .attributes
                .iter()
                .find(|(n, _)| n == attr)
                .map(|(_, p)| p.clone());
            if kind == OpenKind::Data {
                let name = match pieces {
                    None => None,
                    Some(p) => {
                        let mut text = String::new();
                        for piece in &p {
                            match piece {
                                Piece::Text(t) => text.push_str(t),
                                Piece::Value(_) => return Err(Planned::Walk),
                            }
                        }
                        if text.bytes().any(|b| b < 0x20) {
                            return Err(Planned::Decline("a tab or line end in an attribute"));
                        }
                        Some(text).filter(|t| !t.is_empty())
                    }
                };
                if name.is_none() && self.unnamed.is_none() {
                    return Err(Planned::Walk);
                }
                let mut unnamed = self.unnamed.unwrap_or(0);
                self.data_name = Some(data_field_name(name.as_deref(), &mut unnamed));
                self.unnamed = self.unnamed.map(|_| unnamed);
            } else {
                self.plan.steps.push(Step::Open(kind, pieces));
            }
        }
        self.names.push(&e.name);
        self.had_child.push(false);
        let run = self.content(index)?;
        let leaf = !self.had_child.last().copied().unwrap_or(false);
        let second = self.names.get(1).copied().unwrap_or("");
        match CloseKind::of(self.names[0], self.names.len(), second, leaf) {
            CloseKind::Data => match self.data_name.take() {
                Some(name) => self.plan.steps.push(Step::Field(name, run)),
                None => self.check(run),
            },
            CloseKind::UserData => {
                let name = self.names[2..].join(".");
                self.plan.steps.push(Step::Field(name, run));
            }
            CloseKind::Other => self.check(run),
            kind => self.plan.steps.push(Step::Close(kind, run)),
        }
        self.names.pop();
        self.had_child.pop();
        Ok(())
    }
}

/// Gives a run of element text to `b`, as the XML reader reads it, and empties `run`.
fn flush_text(b: &mut Building, run: &mut String) {
    if run.is_empty() {
        return;
    }
    if run.contains('\r') {
        let mut text = String::with_capacity(run.len());
        push_xml_text(&mut text, run);
        push_capped(&mut b.text, &text);
    } else {
        push_capped(&mut b.text, run);
    }
    run.clear();
}

/// A name reference read in a template definition: where its offset field is, and, for a
/// name stored elsewhere in the chunk (not inline after the field), that name's bytes (its
/// length in UTF-16 units, then the units).
#[derive(Debug)]
struct NameRef {
    field: usize,
    elsewhere: Option<Vec<u8>>,
}

/// A template definition read in an earlier chunk, with what makes another chunk's
/// definition the same.
struct CachedTemplate {
    guid: [u8; 16],
    /// The definition's data (after its 24-byte header).
    data: Vec<u8>,
    /// Its name references, `field` relative to the data's start, in order.
    names: Vec<NameRef>,
    template: Rc<Template>,
}

/// Templates read in earlier chunks, on this thread: a log's chunks define the same few
/// templates again and again (each chunk holds its own copy), and reading one into a tree
/// was a tenth of the time on a log of mostly non-catalog records.
///
/// A definition is taken from here only when it is the same as one read before, byte for
/// byte, except where it refers to names: a name written inline must be inline again (its
/// offset is then its place in this chunk, which differs), and a name stored elsewhere in
/// the chunk must have the same bytes there. What is read from such a definition is then
/// exactly what reading it again would give; anything else is read afresh.
#[derive(Default)]
struct TemplateCache {
    entries: Vec<CachedTemplate>,
    /// Definitions taken from here (for tests).
    hits: usize,
}

thread_local! {
    static TEMPLATES: std::cell::RefCell<TemplateCache> = std::cell::RefCell::default();
}

impl TemplateCache {
    /// Definitions kept at most; past that the cache starts over.
    const MAX: usize = 256;

    fn get_or_read(&mut self, chunk: &[u8], offset: usize) -> Result<Rc<Template>, Decline> {
        let guid: [u8; 16] = chunk
            .get(offset + 4..offset + 20)
            .and_then(|g| g.try_into().ok())
            .ok_or("a template past the chunk")?;
        let size = u32_at(chunk, offset + 20)? as usize;
        let start = offset + 24;
        if let Some(data) = start
            .checked_add(size)
            .and_then(|end| chunk.get(start..end))
            && let Some(hit) = self
                .entries
                .iter()
                .find(|c| c.guid == guid && c.data.len() == size && c.same_as(chunk, start, data))
        {
            self.hits += 1;
            return Ok(Rc::clone(&hit.template));
        }
        let (template, refs) = read_template(chunk, offset)?;
        let template = Rc::new(template);
        if self.entries.len() >= Self::MAX {
            self.entries.clear();
        }
        self.entries.push(CachedTemplate {
            guid,
            data: chunk[start..start + size].to_vec(),
            names: refs
                .into_iter()
                .map(|r| NameRef {
                    field: r.field - start,
                    elsewhere: r.elsewhere,
                })
                .collect(),
            template: Rc::clone(&template),
        });
        Ok(template)
    }
}

impl CachedTemplate {
    /// Whether `data`, a definition's data at `start` of `chunk`, reads as this one.
    fn same_as(&self, chunk: &[u8], start: usize, data: &[u8]) -> bool {
        let mut from = 0;
        for r in &self.names {
            let Some(field) = data.get(r.field..r.field + 4) else {
                return false;
            };
            if self.data.get(from..r.field) != data.get(from..r.field) {
                return false;
            }
            let points = u32::from_le_bytes([field[0], field[1], field[2], field[3]]) as usize;
            let inline_at = start + r.field + 4;
            match &r.elsewhere {
                None if points != inline_at => return false,
                None => {}
                Some(_) if points == inline_at => return false,
                Some(bytes) => {
                    // Read as the reader reads it: within the chunk up to the definition's end.
                    let name = points + 6..points + 6 + bytes.len();
                    if name.end > start + data.len() || chunk.get(name) != Some(&bytes[..]) {
                        return false;
                    }
                }
            }
            from = r.field + 4;
        }
        self.data.get(from..) == data.get(from..)
    }
}

/// Reads a template definition at `offset` (MS-EVEN6 §2.2.13: next offset, GUID, data size,
/// then a BinXml fragment of one element), with the name references it holds.
fn read_template(data: &[u8], offset: usize) -> Result<(Template, Vec<NameRef>), Decline> {
    let size = u32_at(data, offset + 20)? as usize;
    let start = offset + 24;
    let end = start
        .checked_add(size)
        .filter(|&e| e <= data.len())
        .ok_or("a template past the chunk")?;
    let mut reader = TemplateReader {
        data: &data[..end],
        pos: start,
        elements: Vec::new(),
        nodes: 0,
        dependencies: true,
        name_refs: Vec::new(),
    };
    if reader.peek()? == token::FRAGMENT_HEADER {
        reader.pos += 4;
    }
    if reader.peek()? & 0x1f != token::OPEN_START_ELEMENT {
        return Err("a template not starting with an element");
    }
    reader.element(0)?;
    if reader.peek()? != token::EOF {
        return Err("a template with more than one root");
    }
    let elements = reader.elements;
    let key = find_key(&elements);
    Ok((Template::new(elements, key), reader.name_refs))
}

/// `System/EventID` and `System/Channel` as plain text pieces, when a record can be keyed by
/// them alone (see [`Template::key`]).
fn find_key(elements: &[Element]) -> Option<(Key, Key)> {
    let children = |e: &Element| {
        e.children
            .iter()
            .filter_map(|n| match n {
                Node::Element(i) => Some(*i),
                Node::Piece(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let only = |list: &[usize], name: &str| {
        let mut found = list.iter().filter(|&&i| elements[i].name == name);
        match (found.next(), found.next()) {
            (Some(&i), None) => Some(i),
            _ => None,
        }
    };
    let system = only(&children(&elements[0]), "System")?;
    if elements[system].dependency.is_some() {
        return None;
    }
    let in_system = children(&elements[system]);
    let key = |i: usize| -> Option<Key> {
        let pieces = elements[i]
            .children
            .iter()
            .map(|n| match n {
                Node::Piece(Piece::Text(t)) => Some(Piece::Text(t.clone())),
                Node::Piece(Piece::Value(v)) => Some(Piece::Value(*v)),
                Node::Element(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Key {
            dependency: elements[i].dependency,
            pieces,
        })
    };
    Some((
        key(only(&in_system, "EventID")?)?,
        key(only(&in_system, "Channel")?)?,
    ))
}

/// The text of one element of `System`: its pieces, or nothing when its dependency is null.
#[derive(Debug)]
struct Key {
    dependency: Option<u16>,
    pieces: Vec<Piece>,
}

impl Key {
    /// Appends the element's text as the XML reader reads it (`raw`: a scratch buffer).
    fn read(&self, values: &Values<'_>, raw: &mut String, out: &mut String) -> Result<(), Decline> {
        if let Some(d) = self.dependency
            && values.is_null(d)?
        {
            return Ok(());
        }
        raw.clear();
        // A BinXml value here is declined by `write_value` (not a text type).
        write_pieces(&self.pieces, values, raw)?;
        push_xml_text(out, raw);
        Ok(())
    }
}

struct TemplateReader<'a> {
    data: &'a [u8],
    pos: usize,
    elements: Vec<Element>,
    nodes: usize,
    /// Whether start tags carry a DependencyId: in template definitions, not in elements
    /// written out in a BinXml value.
    dependencies: bool,
    /// The name references read, for [`TemplateCache`] (template definitions only).
    name_refs: Vec<NameRef>,
}

impl TemplateReader<'_> {
    fn peek(&self) -> Result<u8, Decline> {
        self.data
            .get(self.pos)
            .copied()
            .ok_or("a template cut short")
    }

    fn u16(&mut self) -> Result<u16, Decline> {
        let v = u16_at(self.data, self.pos)?;
        self.pos += 2;
        Ok(v)
    }

    fn u32(&mut self) -> Result<u32, Decline> {
        let v = u32_at(self.data, self.pos)?;
        self.pos += 4;
        Ok(v)
    }

    fn count(&mut self) -> Result<(), Decline> {
        self.nodes += 1;
        if self.nodes > MAX_TEMPLATE_NODES {
            return Err("a template too large");
        }
        Ok(())
    }

    /// A name reference (MS-EVEN6 §2.2.12 Name): an offset in the chunk; the name itself
    /// follows inline when the offset is where the reader is.
    fn name(&mut self) -> Result<String, Decline> {
        let field = self.pos;
        let offset = self.u32()? as usize;
        // Next name's offset, hash, length in UTF-16 units, the units, a NUL.
        let units = usize::from(u16_at(self.data, offset + 6)?);
        let text = self
            .data
            .get(offset + 8..offset + 8 + units * 2)
            .ok_or("a name past the chunk")?;
        let name = utf16(text)?;
        let inline = offset == self.pos;
        if self.dependencies {
            self.name_refs.push(NameRef {
                field,
                elsewhere: (!inline)
                    .then(|| self.data[offset + 6..offset + 8 + units * 2].to_vec()),
            });
        }
        if inline {
            self.pos += 8 + units * 2 + 2;
        }
        // The XML reader goes by local names: `xmlns:auto-ns2` is read as `auto-ns2`.
        let local = match name.split_once(':') {
            None => name,
            Some((prefix, local)) if !prefix.is_empty() && !local.contains(':') => {
                local.to_string()
            }
            _ => return Err("a name with an odd prefix"),
        };
        if local.is_empty() {
            return Err("an empty name");
        }
        Ok(local)
    }

    /// A text value or a substitution at the reader, appended to `pieces`; false when the
    /// token is neither.
    fn piece(&mut self, pieces: &mut Vec<Piece>) -> Result<bool, Decline> {
        match self.peek()? & !0x40 {
            token::VALUE => {
                self.pos += 1;
                if self.peek()? != value_type::STRING {
                    return Err("a template text value that is not a string");
                }
                self.pos += 1;
                let units = usize::from(self.u16()?);
                let text = self
                    .data
                    .get(self.pos..self.pos + units * 2)
                    .ok_or("a template text past the chunk")?;
                let text = xml_text(text);
                self.pos += units * 2;
                pieces.push(Piece::Text(text));
            }
            token::NORMAL_SUBSTITUTION | token::OPTIONAL_SUBSTITUTION => {
                self.pos += 1;
                let index = self.u16()?;
                self.pos += 1;
                pieces.push(Piece::Value(index));
            }
            _ => return Ok(false),
        }
        self.count()?;
        Ok(true)
    }

    /// An element at the reader (its OpenStartElement token), with its attributes and
    /// content, up to its end; returns its index.
    fn element(&mut self, depth: usize) -> Result<usize, Decline> {
        if depth > MAX_DEPTH {
            return Err("a template nested too deep");
        }
        self.count()?;
        let has_attributes = self.peek()? & 0x40 != 0;
        self.pos += 1;
        let dependency = if self.dependencies {
            Some(self.u16()?).filter(|&d| d != 0xffff)
        } else {
            None
        };
        let _data_size = self.u32()?;
        let name = self.name()?;
        if has_attributes {
            let _attribute_list_size = self.u32()?;
        }
        let index = self.elements.len();
        self.elements.push(Element {
            name,
            dependency,
            ..Default::default()
        });
        let mut attributes = Vec::new();
        loop {
            match self.peek()? & !0x40 {
                token::ATTRIBUTE => {
                    self.pos += 1;
                    let name = self.name()?;
                    let mut pieces = Vec::new();
                    while self.piece(&mut pieces)? {}
                    attributes.push((name, pieces));
                }
                token::CLOSE_EMPTY_ELEMENT => {
                    self.pos += 1;
                    self.elements[index].attributes = attributes;
                    return Ok(index);
                }
                token::CLOSE_START_ELEMENT => {
                    self.pos += 1;
                    break;
                }
                _ => return Err("an unexpected token in a start tag"),
            }
        }
        let mut children = Vec::new();
        loop {
            let mut pieces = Vec::new();
            if self.piece(&mut pieces)? {
                children.extend(pieces.into_iter().map(Node::Piece));
                continue;
            }
            match self.peek()? & !0x40 {
                token::OPEN_START_ELEMENT => children.push(Node::Element(self.element(depth + 1)?)),
                token::END_ELEMENT => {
                    self.pos += 1;
                    break;
                }
                _ => return Err("an unexpected token in element content"),
            }
        }
        let e = &mut self.elements[index];
        e.attributes = attributes;
        e.children = children;
        Ok(index)
    }
}

/// A start tag for [`Building`]: the element's name, and its attributes' text made when
/// [`Building`] asks for one (it reads four attributes of all an event has). A value that
/// cannot be read is kept in `problem`, for the caller to decline the chunk.
struct FastTag<'a> {
    name: &'a str,
    attributes: &'a [(String, Vec<Piece>)],
    values: &'a Values<'a>,
    problem: std::cell::Cell<Option<Decline>>,
}

impl Tag for FastTag<'_> {
    fn local(&self) -> &str {
        self.name
    }

    fn attr(&self, name: &str) -> Option<String> {
        let (_, pieces) = self.attributes.iter().find(|(n, _)| n == name)?;
        let mut text = String::new();
        if let Err(e) = write_pieces(pieces, self.values, &mut text) {
            self.problem.set(Some(e));
            return None;
        }
        // XML normalizes white space in attribute values: not done here.
        if text.bytes().any(|b| b < 0x20) {
            self.problem.set(Some("a tab or line end in an attribute"));
            return None;
        }
        Some(text)
    }
}

fn write_pieces(pieces: &[Piece], values: &Values<'_>, out: &mut String) -> Result<(), Decline> {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Value(i) => values.write(*i, out)?,
        }
    }
    Ok(())
}

/// Whether [`write_value`] would render a value (`Ok`) or decline it, without rendering it:
/// for text the walk writes and drops (`Step::Check`).
fn check_value(ty: u8, bytes: &[u8]) -> Result<(), Decline> {
    use value_type as t;
    let size = |n: usize| {
        if bytes.len() == n {
            Ok(())
        } else {
            Err("a value of the wrong size for its type")
        }
    };
    match ty {
        t::NULL | t::BINARY => Ok(()),
        t::STRING if !bytes.len().is_multiple_of(2) => Err("a string of an odd number of bytes"),
        t::STRING => Ok(()),
        t::INT8 | t::UINT8 => size(1),
        t::INT16 | t::UINT16 => size(2),
        t::INT32 | t::UINT32 | t::HEX_INT32 => size(4),
        t::INT64 | t::UINT64 | t::HEX_INT64 => size(8),
        t::GUID => size(16),
        t::SIZE_T if matches!(bytes.len(), 4 | 8) => Ok(()),
        t::SID if bytes.len() < 8 || bytes.len() != 8 + 4 * usize::from(bytes[1]) => {
            Err("a SID of the wrong size")
        }
        t::SID => Ok(()),
        // The rest decline by content too: rendered into a scratch buffer.
        t::BOOL | t::FILETIME | t::SYSTEMTIME => write_value(ty, bytes, &mut String::new()),
        _ => Err("a value type not read here"),
    }
}

/// Appends a substitution value as the text the crate renders for it (before XML escaping,
/// which the XML reader undoes), or declines a type or value it would render otherwise.
fn write_value(ty: u8, bytes: &[u8], out: &mut String) -> Result<(), Decline> {
    use value_type as t;
    let fixed = |n: usize| -> Result<&[u8], Decline> {
        if bytes.len() == n {
            Ok(bytes)
        } else {
            Err("a value of the wrong size for its type")
        }
    };
    match ty {
        t::NULL => {}
        t::STRING => {
            if !bytes.len().is_multiple_of(2) {
                return Err("a string of an odd number of bytes");
            }
            // Up to the first NUL, as the crate reads it.
            let units = bytes
                .chunks_exact(2)
                .position(|u| u == [0, 0])
                .unwrap_or(bytes.len() / 2);
            push_utf16_xml(out, &bytes[..units * 2]);
        }
        t::INT8 => write_num(out, fixed(1)?[0] as i8),
        t::UINT8 => write_num(out, fixed(1)?[0]),
        t::INT16 => write_num(out, i16::from_le_bytes(array(fixed(2)?))),
        t::UINT16 => write_num(out, u16::from_le_bytes(array(fixed(2)?))),
        t::INT32 => write_num(out, i32::from_le_bytes(array(fixed(4)?))),
        t::UINT32 => write_num(out, u32::from_le_bytes(array(fixed(4)?))),
        t::INT64 => write_num(out, i64::from_le_bytes(array(fixed(8)?))),
        t::UINT64 => write_num(out, u64::from_le_bytes(array(fixed(8)?))),
        t::HEX_INT32 => {
            let _ = write!(out, "0x{:x}", u32::from_le_bytes(array(fixed(4)?)));
        }
        t::HEX_INT64 => {
            let _ = write!(out, "0x{:x}", u64::from_le_bytes(array(fixed(8)?)));
        }
        t::BOOL => match u32::from_le_bytes(array(fixed(4)?)) {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            _ => return Err("a boolean neither 0 nor 1"),
        },
        t::BINARY => {
            for &b in bytes {
                push_hex_byte(out, b, b"0123456789ABCDEF");
            }
        }
        t::GUID => {
            // Data1, Data2, Data3 little-endian, then Data4 as written: `{d1-d2-d3-d4-d4}`.
            const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
            let g = fixed(16)?;
            out.push('{');
            for (i, &at) in ORDER.iter().enumerate() {
                if matches!(i, 4 | 6 | 8 | 10) {
                    out.push('-');
                }
                push_hex_byte(out, g[at], b"0123456789abcdef");
            }
            out.push('}');
        }
        t::FILETIME => {
            let ticks = u64::from_le_bytes(array(fixed(8)?));
            if ticks > i64::MAX as u64 {
                return Err("a FILETIME past i64");
            }
            write_filetime(out, ticks);
        }
        t::SYSTEMTIME => {
            let s = fixed(16)?;
            let f = |i: usize| u16::from_le_bytes([s[2 * i], s[2 * i + 1]]);
            let (year, month, day) = (f(0), f(1), f(3));
            let (hour, minute, second, ms) = (f(4), f(5), f(6), f(7));
            let valid = (1601..=30827).contains(&year)
                && (1..=12).contains(&month)
                && day >= 1
                && u32::from(day) <= days_in_month(u64::from(year), month)
                && hour < 24
                && minute < 60
                && second < 60
                && ms < 1000;
            if !valid {
                return Err("a SYSTEMTIME that is not valid");
            }
            let _ = write!(
                out,
                "{:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:07}Z",
                year % 10_000,
                u32::from(ms) * 10_000
            );
        }
        t::SID => {
            if bytes.len() < 8 || bytes.len() != 8 + 4 * usize::from(bytes[1]) {
                return Err("a SID of the wrong size");
            }
            let authority = u64::from_be_bytes([
                0, 0, bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            ]);
            let _ = write!(out, "S-{}-{authority}", bytes[0]);
            for sub in bytes[8..].chunks_exact(4) {
                let _ = write!(out, "-{}", u32::from_le_bytes(array(sub)));
            }
        }
        // The crate reads a SizeT of 4 or 8 bytes as a HexInt of that width.
        t::SIZE_T if bytes.len() == 4 => {
            let _ = write!(out, "0x{:x}", u32::from_le_bytes(array(bytes)));
        }
        t::SIZE_T if bytes.len() == 8 => {
            let _ = write!(out, "0x{:x}", u64::from_le_bytes(array(bytes)));
        }
        _ => return Err("a value type not read here"),
    }
    Ok(())
}

fn write_num(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A FILETIME (100 ns since 1601-01-01 UTC) as Windows renders it, seven fractional digits;
/// years past 9999 keep their last four digits.
fn write_filetime(out: &mut String, ticks: u64) {
    const TICKS_PER_SECOND: u64 = 10_000_000;
    const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SECOND;
    let (days, rest) = (ticks / TICKS_PER_DAY, ticks % TICKS_PER_DAY);
    // Howard Hinnant's civil_from_days, counting from 0000-03-01 (584,694 days before
    // 1601-01-01) in eras of 400 years.
    let z = days + 584_694;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    let secs = rest / TICKS_PER_SECOND;
    push_digits(out, year % 10_000, 4);
    out.push('-');
    push_digits(out, month, 2);
    out.push('-');
    push_digits(out, day, 2);
    out.push('T');
    push_digits(out, secs / 3600, 2);
    out.push(':');
    push_digits(out, secs / 60 % 60, 2);
    out.push(':');
    push_digits(out, secs % 60, 2);
    out.push('.');
    push_digits(out, rest % TICKS_PER_SECOND, 7);
    out.push('Z');
}

/// `value`'s last `width` decimal digits, zero-padded.
fn push_digits(out: &mut String, value: u64, width: u32) {
    let mut d = 10u64.pow(width - 1);
    while d > 0 {
        out.push(char::from(b'0' + (value / d % 10) as u8));
        d /= 10;
    }
}

fn push_hex_byte(out: &mut String, b: u8, digits: &[u8; 16]) {
    out.push(char::from(digits[usize::from(b >> 4)]));
    out.push(char::from(digits[usize::from(b & 0x0f)]));
}

fn days_in_month(year: u64, month: u16) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The instant of `pieces` when they are one FILETIME value from 1970 to 2199, in
/// nanoseconds since the Unix epoch: what reading the text [`write_filetime`] gives back
/// with `parse_time` would give (`filetime_text_reads_back_as_its_instant`).
fn filetime_value(pieces: &[Piece], values: &Values<'_>) -> Option<i64> {
    /// 1970-01-01 and 2200-01-01 in FILETIME ticks (nanoseconds since 1970 fit an `i64`
    /// up to 2262).
    const FROM: u64 = 116_444_736_000_000_000;
    const UNTIL: u64 = 189_025_920_000_000_000;
    let [Piece::Value(i)] = pieces else {
        return None;
    };
    let &(ty, at, len) = values.items.get(usize::from(*i))?;
    if ty != value_type::FILETIME || len != 8 {
        return None;
    }
    let ticks = u64_at(values.data, at).ok()?;
    (FROM..UNTIL)
        .contains(&ticks)
        .then(|| ((ticks - FROM) * 100) as i64)
}

/// A record header's FILETIME as nanoseconds since the Unix epoch (`None` before 1677, out
/// of `i64`); declines past the year 9999, where the crate takes the record as unreadable.
fn filetime_ns(filetime: u64) -> Result<Option<i64>, Decline> {
    const UNIX_EPOCH_SECS: i64 = 11_644_473_600;
    let secs = (filetime / 10_000_000) as i64 - UNIX_EPOCH_SECS;
    let nanos = ((filetime % 10_000_000) * 100) as i64;
    if secs > 253_402_300_799 {
        return Err("a record time past the year 9999");
    }
    Ok(secs
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(nanos)))
}

/// UTF-16 text as the crate's XML rendering writes it, before escaping (which the XML reader
/// undoes): `_` for what XML cannot hold (a lone surrogate, a C0 control but tab, line feed
/// and carriage return, U+FFFE, U+FFFF).
fn xml_text(bytes: &[u8]) -> String {
    char::decode_utf16(
        bytes
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]])),
    )
    .map(|c| match c {
        Ok(c)
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{fffe}' | '\u{ffff}') =>
        {
            '_'
        }
        Ok(c) => c,
        Err(_) => '_',
    })
    .collect()
}

/// Appends UTF-16 text as [`xml_text`] gives it; printable ASCII (most values) directly.
fn push_utf16_xml(out: &mut String, bytes: &[u8]) {
    if bytes
        .chunks_exact(2)
        .all(|u| u[1] == 0 && (0x20..0x80).contains(&u[0]))
    {
        // Copied through a small buffer: a `char` pushed at a time was a tenth of the read.
        let mut buf = [0u8; 64];
        for units in bytes.chunks(128) {
            let n = units.len() / 2;
            for (b, u) in buf.iter_mut().zip(units.chunks_exact(2)) {
                *b = u[0];
            }
            out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
        }
    } else {
        out.push_str(&xml_text(bytes));
    }
}

/// Appends element text as the XML reader gives it: line ends normalized as XML 1.0 says
/// (`\r\n` and a lone `\r` become `\n`).
fn push_xml_text(out: &mut String, text: &str) {
    if !text.contains('\r') {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
    }
    out.push_str(rest);
}

fn utf16(bytes: &[u8]) -> Result<String, Decline> {
    char::decode_utf16(
        bytes
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]])),
    )
    .collect::<Result<String, _>>()
    .map_err(|_| "a string that is not valid UTF-16")
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[..N]);
    a
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, Decline> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or("a read past the chunk")
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, Decline> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes(array(b)))
        .ok_or("a read past the chunk")
}

fn u64_at(data: &[u8], at: usize) -> Result<u64, Decline> {
    data.get(at..at + 8)
        .map(|b| u64::from_le_bytes(array(b)))
        .ok_or("a read past the chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture logs whose first chunks the tests read.
    const FIXTURE_LOGS: [&str; 5] = [
        "server-security.evtx",
        "server-rdpcorets.evtx",
        "server-system.evtx",
        "server-rcm.evtx",
        "client-rdpclient.evtx",
    ];

    /// The first chunk of a fixture log: (its bytes, free space offset, last record id).
    fn fixture_chunk(name: &str) -> (Vec<u8>, u32, u64) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/eventlog")
            .join(name);
        let bytes = std::fs::read(path).unwrap();
        let chunk = bytes[4096..4096 + 65536].to_vec();
        let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap());
        let last = u64::from_le_bytes(chunk[24..32].try_into().unwrap());
        (chunk, free, last)
    }

    thread_local! {
        /// Set: every record is walked, none planned.
        pub(super) static WALK_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        /// Records read through a plan on this thread.
        pub(super) static PLANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Every chunk of every .evtx under `fixtures/eventlog` and `../shared/corpus/evtx`.
    fn all_chunks() -> Vec<(String, Vec<u8>, u32, u64)> {
        let mut chunks = Vec::new();
        for f in super::super::test_evtx_files() {
            let bytes = std::fs::read(&f).unwrap();
            for (n, chunk) in bytes
                .get(4096..)
                .unwrap_or_default()
                .chunks_exact(65536)
                .enumerate()
            {
                if &chunk[..8] != b"ElfChnk\0" {
                    continue;
                }
                let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap());
                let last = u64::from_le_bytes(chunk[24..32].try_into().unwrap());
                chunks.push((
                    format!("{} chunk {n}", f.display()),
                    chunk.to_vec(),
                    free,
                    last,
                ));
            }
        }
        chunks
    }

    #[test]
    fn plans_read_records_as_the_walk_does() {
        let chunks = all_chunks();
        if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/evtx")
            .is_dir()
        {
            eprintln!("../shared/corpus/evtx is absent: comparing on fixtures/eventlog only");
        }
        let (mut compared, mut planned, mut events) = (0, 0, 0);
        for (name, chunk, free, last) in &chunks {
            // Fresh templates for each reading: the cache keeps their plans.
            TEMPLATES.with(|c| c.borrow_mut().entries.clear());
            WALK_ONLY.set(true);
            let walked = read_chunk(chunk, *free, *last, false);
            WALK_ONLY.set(false);
            TEMPLATES.with(|c| c.borrow_mut().entries.clear());
            PLANNED.set(0);
            let read = read_chunk(chunk, *free, *last, false);
            match (walked, read) {
                (Ok(w), Ok(r)) => {
                    assert_eq!(r.events, w.events, "{name}");
                    assert_eq!(r.counts, w.counts, "{name}");
                    compared += 1;
                    planned += PLANNED.get();
                    events += r.events.len();
                }
                (Err(w), Err(r)) => assert_eq!(r, w, "{name}: both decline"),
                (w, r) => panic!("{name}: walked {:?}, planned {:?}", w.err(), r.err()),
            }
        }
        assert!(compared >= FIXTURE_LOGS.len(), "{compared} chunks compared");
        // Every catalog event of these logs is read through a plan (records outside the
        // catalog are counted by their key, not read).
        // Seven in the fixtures alone, more with the corpus.
        assert!(events >= 7, "{events} events in {compared} chunks");
        assert!(
            planned >= events,
            "{planned} records planned in {compared} chunks, {events} events"
        );
    }

    #[test]
    fn filetime_text_reads_back_as_its_instant() {
        // Both ends of the range, and a spread of instants between them.
        let (from, until) = (116_444_736_000_000_000u64, 189_025_920_000_000_000u64);
        let mut ticks: Vec<u64> = vec![from, from + 1, until - 1, 133_500_000_001_234_567];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ticks.push(from + x % (until - from));
        }
        for t in ticks {
            let data = t.to_le_bytes();
            let v = Values {
                data: &data,
                items: vec![(value_type::FILETIME, 0, 8)],
            };
            let direct = filetime_value(&[Piece::Value(0)], &v);
            let mut text = String::new();
            write_filetime(&mut text, t);
            assert_eq!(direct, super::super::parse_time(&text), "{t} {text}");
            assert!(direct.is_some());
        }
        // Outside the range, or not one FILETIME value: left to the text.
        let before = (from - 1).to_le_bytes();
        let v = Values {
            data: &before,
            items: vec![(value_type::FILETIME, 0, 8)],
        };
        assert_eq!(filetime_value(&[Piece::Value(0)], &v), None);
        let at = from.to_le_bytes();
        let v = Values {
            data: &at,
            items: vec![(value_type::UINT64, 0, 8)],
        };
        assert_eq!(filetime_value(&[Piece::Value(0)], &v), None);
        assert_eq!(
            filetime_value(&[Piece::Text("x".into()), Piece::Value(0)], &v),
            None
        );
    }

    #[test]
    fn check_value_declines_what_write_value_declines() {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for len in 0..=24usize {
            patterns.push(vec![0; len]);
            patterns.push(vec![0xff; len]);
            patterns.push((0..len as u8).collect());
            patterns.push((0..len).map(|i| if i == 1 { 2 } else { 1 }).collect());
        }
        // Booleans 0, 1, 2; FILETIMEs below and past i64; valid and invalid SYSTEMTIMEs.
        for v in [0u32, 1, 2] {
            patterns.push(v.to_le_bytes().to_vec());
        }
        for v in [
            0u64,
            133_000_000_000_000_000,
            i64::MAX as u64,
            i64::MAX as u64 + 1,
        ] {
            patterns.push(v.to_le_bytes().to_vec());
        }
        for fields in [
            [2024u16, 3, 2, 5, 10, 11, 12, 999],
            [2024, 2, 4, 30, 0, 0, 0, 0],
            [1600, 1, 0, 1, 0, 0, 0, 0],
            [2024, 13, 0, 1, 0, 0, 0, 0],
            [2024, 1, 0, 1, 24, 0, 0, 0],
        ] {
            patterns.push(fields.iter().flat_map(|f| f.to_le_bytes()).collect());
        }
        let mut compared = 0;
        for ty in 0..=0x30u8 {
            for bytes in &patterns {
                let written = write_value(ty, bytes, &mut String::new());
                assert_eq!(
                    check_value(ty, bytes).is_ok(),
                    written.is_ok(),
                    "type {ty:#x}, {bytes:?}"
                );
                compared += 1;
            }
        }
        assert_eq!(compared, 49 * patterns.len());
    }

    #[test]
    fn past_the_cap_catalog_events_known_by_key_are_counted_not_read() {
        let mut skipped = 0;
        for name in FIXTURE_LOGS {
            let (chunk, free, last) = fixture_chunk(name);
            let Ok(full) = read_chunk(&chunk, free, last, false) else {
                continue;
            };
            let counting = read_chunk(&chunk, free, last, true).unwrap();
            // The same counts, whether a catalog event was read or only counted.
            assert_eq!(counting.counts, full.counts, "{name}");
            assert_eq!(full.counted_only, 0, "{name}");
            // Read still: exactly the events whose fields decide whether they are in the
            // catalog (4624/4625's logon type, WFP's ports…), in order.
            let kept: Vec<&Event> = full
                .events
                .iter()
                .filter(|e| {
                    !crate::eventlog::catalog::always_in_catalog(&e.channel, e.id)
                        || crate::eventlog::counted_past_caps(&e.channel, e.id)
                })
                .collect();
            assert_eq!(counting.events.iter().collect::<Vec<_>>(), kept, "{name}");
            assert_eq!(
                counting.counted_only as usize,
                full.events.len() - kept.len(),
                "{name}"
            );
            skipped += counting.counted_only;
        }
        // Some were (RdpCoreTS 131/140, RCM 1149…), else this test tests nothing.
        assert!(skipped > 0, "no event counted by key");
    }

    #[test]
    fn template_cache_takes_only_the_same_definition() {
        let (mut tested, mut external) = (0, 0);
        for name in FIXTURE_LOGS {
            let (chunk, free, last) = fixture_chunk(name);
            TEMPLATES.with(|c| *c.borrow_mut() = TemplateCache::default());
            // A chunk this reader declines is not what this test is about.
            let Ok(first) = read_chunk(&chunk, free, last, false) else {
                continue;
            };
            tested += 1;
            let (entries, hits) = TEMPLATES.with(|c| (c.borrow().entries.len(), c.borrow().hits));
            assert!(
                entries > 0 && hits == 0,
                "{name}: {entries} read, {hits} taken"
            );
            // The same chunk again: every definition comes from the cache, same events.
            let again = read_chunk(&chunk, free, last, false).unwrap();
            assert_eq!(again.events, first.events, "{name}");
            assert_eq!(again.counts, first.counts, "{name}");
            assert_eq!(TEMPLATES.with(|c| c.borrow().hits), entries, "{name}");
            TEMPLATES.with(|c| {
                let cache = c.borrow();
                for t in &cache.entries {
                    let start = chunk
                        .windows(t.data.len())
                        .position(|w| w == &t.data[..])
                        .unwrap();
                    let data = &chunk[start..start + t.data.len()];
                    assert!(t.same_as(&chunk, start, data), "{name}");
                    // One byte changed outside the name references: not the same.
                    let mut other = chunk.clone();
                    let outside = (0..t.data.len())
                        .find(|i| t.names.iter().all(|r| !(r.field..r.field + 4).contains(i)))
                        .unwrap();
                    other[start + outside] ^= 0x01;
                    let data = &other[start..start + t.data.len()];
                    assert!(!t.same_as(&other, start, data), "{name}");
                    // A name reference pointing somewhere else: not the same.
                    if let Some(r) = t.names.first() {
                        let mut other = chunk.clone();
                        other[start + r.field] ^= 0x02;
                        let data = &other[start..start + t.data.len()];
                        assert!(!t.same_as(&other, start, data), "{name}");
                    }
                    // Names stored elsewhere in the chunk must still say the same there.
                    for r in &t.names {
                        let Some(bytes) = &r.elsewhere else { continue };
                        external += 1;
                        let at = u32::from_le_bytes(
                            chunk[start + r.field..start + r.field + 4]
                                .try_into()
                                .unwrap(),
                        ) as usize;
                        let mut other = chunk.clone();
                        other[at + 6 + bytes.len() - 1] ^= 0x01;
                        let data = &other[start..start + t.data.len()];
                        assert!(!t.same_as(&other, start, data), "{name}");
                    }
                }
            });
        }
        assert!(tested >= 3, "{tested} fixture chunks read");
        assert!(
            external > 0,
            "no name stored outside its template was tried"
        );
    }

    #[test]
    fn filetimes_render_as_windows_does() {
        let mut s = String::new();
        // 2024-03-05T10:11:12.1234567Z
        write_filetime(&mut s, 133_541_070_721_234_567);
        assert_eq!(s, "2024-03-05T10:11:12.1234567Z");
        s.clear();
        write_filetime(&mut s, 0);
        assert_eq!(s, "1601-01-01T00:00:00.0000000Z");
        assert_eq!(filetime_ns(116_444_736_000_000_000), Ok(Some(0)));
        assert_eq!(
            filetime_ns(0),
            Ok(None),
            "1601 is before i64 nanoseconds begin"
        );
        assert!(filetime_ns(u64::MAX).is_err());
    }

    #[test]
    fn values_render_as_the_crate_renders_them() {
        let render = |ty: u8, bytes: &[u8]| {
            let mut s = String::new();
            write_value(ty, bytes, &mut s).map(|_| s)
        };
        assert_eq!(render(value_type::UINT16, &[0x21, 0x12]).unwrap(), "4641");
        assert_eq!(render(value_type::INT32, &[0xff; 4]).unwrap(), "-1");
        assert_eq!(
            render(value_type::HEX_INT32, &[0x6d, 0, 0, 0xc0]).unwrap(),
            "0xc000006d"
        );
        assert_eq!(render(value_type::HEX_INT64, &[0; 8]).unwrap(), "0x0");
        assert_eq!(
            render(value_type::STRING, b"a\0b\0\0\0c\0").unwrap(),
            "ab",
            "a string ends at its first NUL"
        );
        // A carriage return is kept (the line ends of a run of text are normalized when it
        // is given to the mapping); controls XML cannot hold become `_`.
        assert_eq!(
            render(value_type::STRING, b"a\0\r\0\x01\0").unwrap(),
            "a\r_"
        );
        let mut run = String::new();
        push_xml_text(&mut run, "a\r\nb\rc");
        assert_eq!(run, "a\nb\nc");
        assert_eq!(render(value_type::BINARY, &[0xab, 0x01]).unwrap(), "AB01");
        assert_eq!(
            render(
                value_type::GUID,
                &[
                    0x4e, 0x8c, 0x5a, 0x0d, 0x2b, 0x6e, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x0a
                ]
            )
            .unwrap(),
            "{0d5a8c4e-6e2b-0001-0000-00000000000a}"
        );
        assert_eq!(
            render(
                value_type::SID,
                &[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0]
            )
            .unwrap(),
            "S-1-5-32-544"
        );
        assert_eq!(render(value_type::BOOL, &[1, 0, 0, 0]).unwrap(), "true");
        assert!(render(value_type::BOOL, &[2, 0, 0, 0]).is_err());
        assert!(render(value_type::UINT16, &[1, 2, 3, 4]).is_err());
        assert!(render(0x81, &[]).is_err(), "arrays are left to the crate");
        assert!(render(value_type::BINXML, &[]).is_err());
    }

    #[test]
    fn plans_match_the_walk_on_damaged_chunks() {
        // Real chunks with a few bytes changed: values of other types and sizes, null or
        // BinXml where text was, templates cut or nested oddly. Planned or walked, a record
        // reads the same, or both decline the chunk; neither panics.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut same, mut declined) = (0, 0);
        for name in FIXTURE_LOGS {
            let (chunk, free, last) = fixture_chunk(name);
            let live = (free as usize).min(chunk.len());
            for _ in 0..400 {
                let mut damaged = chunk.clone();
                for _ in 0..1 + next() % 3 {
                    let at = CHUNK_HEADER_BYTES + (next() as usize) % (live - CHUNK_HEADER_BYTES);
                    damaged[at] = next() as u8;
                }
                TEMPLATES.with(|c| c.borrow_mut().entries.clear());
                WALK_ONLY.set(true);
                let walked = read_chunk(&damaged, free, last, false);
                WALK_ONLY.set(false);
                TEMPLATES.with(|c| c.borrow_mut().entries.clear());
                let planned = read_chunk(&damaged, free, last, false);
                match (walked, planned) {
                    (Ok(w), Ok(p)) => {
                        assert_eq!(p.events, w.events, "{name}");
                        assert_eq!(p.counts, w.counts, "{name}");
                        same += 1;
                    }
                    (Err(_), Err(_)) => declined += 1,
                    (w, p) => panic!("{name}: walked {:?}, planned {:?}", w.err(), p.err()),
                }
            }
        }
        // Most damage lands in values the reader never looks at, some makes it decline.
        assert!(
            same > 800 && declined > 500,
            "{same} read alike, {declined} declined"
        );
    }

    #[test]
    fn never_panics_on_hostile_chunks() {
        // A chunk header, then noise: every way in must decline or read, never panic.
        let mut data = vec![0u8; 65536];
        data[..8].copy_from_slice(b"ElfChnk\0");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..2000 {
            for b in data[512..].iter_mut().take(256) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            // A record header at 512 pointing into the noise, with a fragment and instance.
            data[512..516].copy_from_slice(RECORD_MAGIC);
            data[516..520].copy_from_slice(&(200u32 + round % 64).to_le_bytes());
            data[536..541].copy_from_slice(&[0x0f, 1, 1, 0, 0x0c]);
            let _ = read_chunk(&data, 65536, u64::MAX, false);
        }
    }
}
