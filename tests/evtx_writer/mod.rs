//! A small EVTX writer for tests: it turns event records into a Windows XML Event Log file
//! (`.evtx`) laid out the way Windows lays it out, so that fixtures for events no public sample
//! has can be made as binary files too.
//!
//! Layout (libyal/libevtx "Windows XML Event Log (EVTX) format"; the `evtx` crate's
//! `evtx_file_header.rs`, `evtx_chunk.rs`, `evtx_record.rs`, `binxml/*.rs`; and byte dumps of
//! real files in `shared/corpus/evtx`, see `fixtures/eventlog/README.md`):
//!
//! * file header, 4096 bytes: `ElfFile\0`, first/last chunk number, next record id, header size
//!   128, version 3.1, header block size 4096, chunk count, flags, CRC32 of its first 120 bytes;
//! * chunks of 64 KiB: `ElfChnk\0`, first/last record number and id, header size 128, offsets of
//!   the last record and of the free space, CRC32 of the records, flags, CRC32 of the header
//!   (bytes 0..120 and 128..512), 64 string-table buckets and 32 template buckets;
//! * records: `**\0\0`, size, record id, FILETIME, BinXML, size again, padded to 8 bytes.
//!
//! The BinXML is what Windows writes: a fragment header and a *template instance* whose template
//! definition is written inline the first time it is used in a chunk (and referenced by offset
//! after that), followed by typed substitution values (UInt8 Level, UInt16 EventID, HexInt64
//! Keywords, FILETIME SystemTime, GUID ActivityID, SID UserID, ...). `EventData`/`UserData` is a
//! nested BinXML value with a template of its own. Element and attribute names live in the
//! chunk's string table: written in place at their first use and chained into the 64 hash
//! buckets of the chunk header (hash: `h = h * 65599 + c`, low 16 bits), referenced by offset
//! after that. The template pointer table of the chunk header is left empty: the bucketing
//! Windows uses for it was not found in the sources read, and readers do not need it.
//!
//! No panics: every function returns a `Result`, and sizes are checked before they are narrowed.

use std::collections::HashMap;

/// What can go wrong while writing.
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, WriteError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(WriteError(msg.into()))
}

const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const FILE_HEADER_SIZE: usize = 4096;

// ---------------------------------------------------------------------------------------------
// CRC32 (IEEE 802.3, reflected polynomial 0xEDB88320), the one EVTX uses.

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// CRC32 of the concatenation of `parts`.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
        }
    }
    !crc
}

// ---------------------------------------------------------------------------------------------
// Values and templates.

/// A typed substitution value (MS-EVEN6 2.2.18 value types).
#[derive(Debug, Clone)]
pub enum Value {
    /// 0x00: the substitution is empty (an optional one then leaves its element or attribute out).
    Null,
    /// 0x01: UTF-16LE string, without a terminating NUL.
    Str(String),
    /// 0x01: UTF-16LE string with a terminating NUL (as RemoteConnectionManager's UserData has).
    StrZ(String),
    /// 0x04
    U8(u8),
    /// 0x06
    U16(u16),
    /// 0x08
    U32(u32),
    /// 0x0A
    U64(u64),
    /// 0x0E: binary data (rendered as upper-case hex).
    Binary(Vec<u8>),
    /// 0x0F: GUID, written in the Windows mixed-endian layout.
    Guid(String),
    /// 0x10: SizeT, 4 bytes (rendered as hex).
    SizeT32(u32),
    /// 0x11: FILETIME (100 ns since 1601-01-01 UTC).
    FileTime(u64),
    /// 0x13: SID, from its `S-1-...` string.
    Sid(String),
    /// 0x14: HexInt32.
    HexInt32(u32),
    /// 0x15: HexInt64.
    HexInt64(u64),
    /// 0x81: array of strings, each NUL-terminated (classic `<Data>` insertion strings).
    StrArray(Vec<String>),
    /// 0x21: nested BinXML (EventData / UserData).
    BinXml(Box<Instance>),
}

impl Value {
    fn type_byte(&self) -> u8 {
        match self {
            Value::Null => 0x00,
            Value::Str(_) | Value::StrZ(_) => 0x01,
            Value::U8(_) => 0x04,
            Value::U16(_) => 0x06,
            Value::U32(_) => 0x08,
            Value::U64(_) => 0x0A,
            Value::Binary(_) => 0x0E,
            Value::Guid(_) => 0x0F,
            Value::SizeT32(_) => 0x10,
            Value::FileTime(_) => 0x11,
            Value::Sid(_) => 0x13,
            Value::HexInt32(_) => 0x14,
            Value::HexInt64(_) => 0x15,
            Value::BinXml(_) => 0x21,
            Value::StrArray(_) => 0x81,
        }
    }
}

/// What an attribute or element holds in a template: literal text or a substitution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Content {
    Text(String),
    /// Substitution `index` of type `ty`; `optional` (token 0x0E) leaves the element or
    /// attribute out when the value is null, as Windows' System templates do.
    Sub {
        index: u16,
        ty: u8,
        optional: bool,
    },
}

/// A template node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Element(Element),
    Content(Content),
}

/// A template element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, Content)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }
    pub fn attr_text(mut self, name: &str, text: &str) -> Self {
        self.attrs
            .push((name.to_string(), Content::Text(text.to_string())));
        self
    }
    pub fn attr_sub(mut self, name: &str, index: u16, ty: u8) -> Self {
        self.attrs.push((
            name.to_string(),
            Content::Sub {
                index,
                ty,
                optional: true,
            },
        ));
        self
    }
    pub fn child(mut self, e: Element) -> Self {
        self.children.push(Node::Element(e));
        self
    }
    pub fn text(mut self, text: &str) -> Self {
        self.children
            .push(Node::Content(Content::Text(text.to_string())));
        self
    }
    /// A child substitution; `optional` as in [`Content::Sub`].
    pub fn sub(mut self, index: u16, ty: u8, optional: bool) -> Self {
        self.children.push(Node::Content(Content::Sub {
            index,
            ty,
            optional,
        }));
        self
    }
    /// An element whose only content is an optional substitution.
    pub fn with_sub(name: &str, index: u16, ty: u8) -> Self {
        Element::new(name).sub(index, ty, true)
    }
}

/// A template instance: a template and the values of its substitutions.
#[derive(Debug, Clone)]
pub struct Instance {
    pub template: Element,
    pub values: Vec<Value>,
    /// Whether the BinXML starts with a fragment header (0x0F 01 01 00). Records always do;
    /// nested EventData does for Security-Auditing and classic events, not for RdpCoreTS or
    /// RemoteConnectionManager (as in the corpus files).
    pub fragment_header: bool,
}

/// One event record.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    /// FILETIME of the record header (the same instant as System/TimeCreated).
    pub filetime: u64,
    pub content: Instance,
}

// ---------------------------------------------------------------------------------------------
// Helpers for values.

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn parse_guid(s: &str) -> Result<[u8; 16]> {
    let hex: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let t = s.trim_matches(|c| c == '{' || c == '}');
    if hex.len() != 32 || t.split('-').map(str::len).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
        return err(format!("bad GUID {s:?}"));
    }
    let mut raw = [0u8; 16];
    for (i, b) in raw.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).unwrap_or("00");
        *b = u8::from_str_radix(pair, 16).map_err(|e| WriteError(format!("GUID {s:?}: {e}")))?;
    }
    // Data1 (u32), Data2 (u16) and Data3 (u16) are little-endian on disk, Data4 as is.
    let mut out = raw;
    out[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
    out[4..6].copy_from_slice(&[raw[5], raw[4]]);
    out[6..8].copy_from_slice(&[raw[7], raw[6]]);
    Ok(out)
}

fn parse_sid(s: &str) -> Result<Vec<u8>> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || parts[0] != "S" {
        return err(format!("bad SID {s:?}"));
    }
    let num = |p: &str| {
        p.parse::<u64>()
            .map_err(|e| WriteError(format!("SID {s:?}: {e}")))
    };
    let revision = u8::try_from(num(parts[1])?).map_err(|e| WriteError(e.to_string()))?;
    let authority = num(parts[2])?;
    let subs = &parts[3..];
    let count = u8::try_from(subs.len()).map_err(|e| WriteError(e.to_string()))?;
    let mut out = vec![revision, count];
    out.extend_from_slice(&authority.to_be_bytes()[2..8]);
    for p in subs {
        let v = u32::try_from(num(p)?).map_err(|e| WriteError(e.to_string()))?;
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

fn u16_len(n: usize, what: &str) -> Result<u16> {
    u16::try_from(n).map_err(|_| WriteError(format!("{what} too long ({n})")))
}

fn u32_len(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| WriteError(format!("{what} too long ({n})")))
}

/// Name hash of the chunk string table.
fn name_hash(name: &str) -> u16 {
    let mut h: u32 = 0;
    for c in name.encode_utf16() {
        h = h.wrapping_mul(65599).wrapping_add(u32::from(c));
    }
    (h & 0xFFFF) as u16
}

// ---------------------------------------------------------------------------------------------
// Chunk writer.

#[derive(Clone)]
struct Chunk {
    /// The chunk from offset 0; its first 512 bytes are the header, filled in at the end.
    buf: Vec<u8>,
    names: HashMap<String, u32>,
    string_buckets: [u32; 64],
    templates: HashMap<String, (u32, u32)>,
    first_id: Option<u64>,
    last_id: u64,
    last_record_offset: u32,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            buf: vec![0; CHUNK_HEADER_SIZE],
            names: HashMap::new(),
            string_buckets: [0; 64],
            templates: HashMap::new(),
            first_id: None,
            last_id: 0,
            last_record_offset: 0,
        }
    }

    fn pos(&self) -> Result<u32> {
        u32_len(self.buf.len(), "chunk")
    }

    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn patch_u32(&mut self, at: usize, v: u32) -> Result<()> {
        match self.buf.get_mut(at..at + 4) {
            Some(slot) => {
                slot.copy_from_slice(&v.to_le_bytes());
                Ok(())
            }
            None => err("patch out of range"),
        }
    }

    fn patch_u16(&mut self, at: usize, v: u16) -> Result<()> {
        match self.buf.get_mut(at..at + 2) {
            Some(slot) => {
                slot.copy_from_slice(&v.to_le_bytes());
                Ok(())
            }
            None => err("patch out of range"),
        }
    }

    /// A name reference: its offset, and the name itself in place when first used.
    fn name_ref(&mut self, name: &str) -> Result<()> {
        if let Some(&off) = self.names.get(name) {
            self.put(&off.to_le_bytes());
            return Ok(());
        }
        let here = self.pos()? + 4;
        self.put(&here.to_le_bytes());
        let hash = name_hash(name);
        let bucket = usize::from(hash) % 64;
        // New strings go to the head of their bucket and link to the previous head.
        self.put(&self.string_buckets[bucket].to_le_bytes());
        self.put(&hash.to_le_bytes());
        self.put(&u16_len(name.encode_utf16().count(), "name")?.to_le_bytes());
        self.put(&utf16(name));
        self.put(&[0, 0]);
        self.string_buckets[bucket] = here;
        self.names.insert(name.to_string(), here);
        Ok(())
    }

    fn content(&mut self, c: &Content) -> Result<()> {
        match c {
            Content::Text(t) => {
                // Value text token, string type.
                self.put(&[0x05, 0x01]);
                self.put(&u16_len(t.encode_utf16().count(), "text")?.to_le_bytes());
                self.put(&utf16(t));
            }
            Content::Sub {
                index,
                ty,
                optional,
            } => {
                self.put(&[if *optional { 0x0E } else { 0x0D }]);
                self.put(&index.to_le_bytes());
                self.put(&[*ty]);
            }
        }
        Ok(())
    }

    /// An element of a template definition.
    fn element(&mut self, e: &Element) -> Result<()> {
        let has_attrs = !e.attrs.is_empty();
        // DependencyId: an element whose only content is an optional substitution depends on
        // it (it is left out when the value is null); 0xFFFF = none. As in the corpus files.
        let dependency = match (has_attrs, e.children.as_slice()) {
            (
                false,
                [
                    Node::Content(Content::Sub {
                        index,
                        optional: true,
                        ..
                    }),
                ],
            ) => *index,
            _ => 0xFFFF,
        };
        self.put(&[if has_attrs { 0x41 } else { 0x01 }]);
        self.put(&dependency.to_le_bytes());
        let size_at = self.buf.len();
        self.put(&[0; 4]);
        self.name_ref(&e.name)?;
        if has_attrs {
            let attr_size_at = self.buf.len();
            self.put(&[0; 4]);
            let attrs_start = self.buf.len();
            for (i, (name, value)) in e.attrs.iter().enumerate() {
                // 0x46: more attributes follow.
                self.put(&[if i + 1 < e.attrs.len() { 0x46 } else { 0x06 }]);
                self.name_ref(name)?;
                self.content(value)?;
            }
            let n = u32_len(self.buf.len() - attrs_start, "attribute list")?;
            self.patch_u32(attr_size_at, n)?;
        }
        if e.children.is_empty() {
            self.put(&[0x03]);
        } else {
            self.put(&[0x02]);
            for child in &e.children {
                match child {
                    Node::Element(c) => self.element(c)?,
                    Node::Content(c) => self.content(c)?,
                }
            }
            self.put(&[0x04]);
        }
        let n = u32_len(self.buf.len() - size_at - 4, "element")?;
        self.patch_u32(size_at, n)
    }

    /// A template instance, with its definition inline when it is new in this chunk.
    fn instance(&mut self, inst: &Instance) -> Result<()> {
        if inst.fragment_header {
            self.put(&[0x0F, 0x01, 0x01, 0x00]);
        }
        let key = format!("{:?}", inst.template);
        self.put(&[0x0C, 0x01]);
        let known = self.templates.get(&key).copied();
        match known {
            Some((id, def_offset)) => {
                self.put(&id.to_le_bytes());
                self.put(&def_offset.to_le_bytes());
            }
            None => {
                let guid = template_guid(&key);
                let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
                let def_offset = self.pos()? + 8;
                self.put(&id.to_le_bytes());
                self.put(&def_offset.to_le_bytes());
                // Template definition header: next template offset, GUID, data size.
                self.put(&0u32.to_le_bytes());
                self.put(&guid);
                let size_at = self.buf.len();
                self.put(&[0; 4]);
                let data_start = self.buf.len();
                self.put(&[0x0F, 0x01, 0x01, 0x00]);
                self.element(&inst.template)?;
                self.put(&[0x00]);
                let n = u32_len(self.buf.len() - data_start, "template")?;
                self.patch_u32(size_at, n)?;
                self.templates.insert(key, (id, def_offset));
            }
        }
        self.values(&inst.values)
    }

    fn values(&mut self, values: &[Value]) -> Result<()> {
        self.put(&u32_len(values.len(), "values")?.to_le_bytes());
        let desc_at = self.buf.len();
        for v in values {
            self.put(&[0, 0, v.type_byte(), 0]);
        }
        for (i, v) in values.iter().enumerate() {
            let start = self.buf.len();
            match v {
                Value::Null => {}
                Value::Str(s) => self.put(&utf16(s)),
                Value::StrZ(s) => {
                    self.put(&utf16(s));
                    self.put(&[0, 0]);
                }
                Value::U8(x) => self.put(&[*x]),
                Value::U16(x) => self.put(&x.to_le_bytes()),
                Value::U32(x) | Value::SizeT32(x) | Value::HexInt32(x) => {
                    self.put(&x.to_le_bytes())
                }
                Value::U64(x) | Value::FileTime(x) | Value::HexInt64(x) => {
                    self.put(&x.to_le_bytes())
                }
                Value::Binary(b) => self.put(b),
                Value::Guid(g) => {
                    let raw = parse_guid(g)?;
                    self.put(&raw);
                }
                Value::Sid(s) => {
                    let raw = parse_sid(s)?;
                    self.put(&raw);
                }
                Value::StrArray(items) => {
                    for s in items {
                        self.put(&utf16(s));
                        self.put(&[0, 0]);
                    }
                }
                Value::BinXml(inner) => {
                    self.instance(inner)?;
                    // EOF token ending the nested fragment.
                    self.put(&[0x00]);
                }
            }
            let n = u16_len(self.buf.len() - start, "value")?;
            self.patch_u16(desc_at + 4 * i, n)?;
        }
        Ok(())
    }

    fn record(&mut self, r: &Record) -> Result<()> {
        let start = self.buf.len();
        self.put(b"**\0\0");
        self.put(&[0; 4]);
        self.put(&r.id.to_le_bytes());
        self.put(&r.filetime.to_le_bytes());
        let mut top = r.content.clone();
        top.fragment_header = true;
        self.instance(&top)?;
        self.put(&[0x00]);
        while !(self.buf.len() + 4 - start).is_multiple_of(8) {
            self.put(&[0x00]);
        }
        let size = u32_len(self.buf.len() + 4 - start, "record")?;
        self.put(&size.to_le_bytes());
        self.patch_u32(start + 4, size)?;
        self.first_id.get_or_insert(r.id);
        self.last_id = r.id;
        self.last_record_offset = u32_len(start, "record offset")?;
        Ok(())
    }

    /// The finished 64 KiB chunk.
    fn finish(mut self) -> Result<Vec<u8>> {
        let free = self.pos()?;
        if self.buf.len() > CHUNK_SIZE {
            return err("chunk overflow");
        }
        let first = self.first_id.unwrap_or(0);
        let mut h = Vec::with_capacity(CHUNK_HEADER_SIZE);
        h.extend_from_slice(b"ElfChnk\0");
        // Record numbers are the record ids, as in the corpus files.
        h.extend_from_slice(&first.to_le_bytes());
        h.extend_from_slice(&self.last_id.to_le_bytes());
        h.extend_from_slice(&first.to_le_bytes());
        h.extend_from_slice(&self.last_id.to_le_bytes());
        h.extend_from_slice(&128u32.to_le_bytes());
        h.extend_from_slice(&self.last_record_offset.to_le_bytes());
        h.extend_from_slice(&free.to_le_bytes());
        let records_crc = crc32(&[self.buf.get(CHUNK_HEADER_SIZE..).unwrap_or(&[])]);
        h.extend_from_slice(&records_crc.to_le_bytes());
        h.resize(120, 0);
        h.extend_from_slice(&0u32.to_le_bytes()); // flags: clean
        h.extend_from_slice(&0u32.to_le_bytes()); // header CRC, below
        for b in self.string_buckets {
            h.extend_from_slice(&b.to_le_bytes());
        }
        h.resize(CHUNK_HEADER_SIZE, 0); // template pointers: left empty (see module doc)
        let header_crc = crc32(&[&h[..120], &h[128..512]]);
        h[124..128].copy_from_slice(&header_crc.to_le_bytes());
        self.buf[..CHUNK_HEADER_SIZE].copy_from_slice(&h);
        self.buf.resize(CHUNK_SIZE, 0);
        Ok(self.buf)
    }
}

/// A GUID for a template, derived from its shape (Windows derives its own; any value works as
/// long as the same shape gets the same GUID within a chunk).
fn template_guid(key: &str) -> [u8; 16] {
    let a = crc32(&[key.as_bytes()]);
    let b = crc32(&[key.as_bytes(), b"1"]);
    let c = crc32(&[key.as_bytes(), b"2"]);
    let d = crc32(&[key.as_bytes(), b"3"]);
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&a.to_le_bytes());
    g[4..8].copy_from_slice(&b.to_le_bytes());
    g[8..12].copy_from_slice(&c.to_le_bytes());
    g[12..16].copy_from_slice(&d.to_le_bytes());
    g
}

/// The whole `.evtx` file for `records` (in the order given).
pub fn write_evtx(records: &[Record]) -> Result<Vec<u8>> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut chunk = Chunk::new();
    // The chunk is copied before a record only when the record could overflow it: twice
    // the largest record written so far, and 4 KiB, from its end (a copy per record made
    // large logs take minutes).
    let mut largest = 0usize;
    for r in records {
        let at = chunk.buf.len();
        let before = (at + 2 * largest + 4096 > CHUNK_SIZE).then(|| chunk.clone());
        chunk.record(r)?;
        largest = largest.max(chunk.buf.len().saturating_sub(at));
        if chunk.buf.len() > CHUNK_SIZE {
            let Some(before) = before.filter(|b| b.first_id.is_some()) else {
                return err(format!("record {} does not fit in a chunk", r.id));
            };
            chunks.push(before.finish()?);
            chunk = Chunk::new();
            chunk.record(r)?;
            if chunk.buf.len() > CHUNK_SIZE {
                return err(format!("record {} does not fit in a chunk", r.id));
            }
        }
    }
    if chunk.first_id.is_some() {
        chunks.push(chunk.finish()?);
    }
    let count = u16::try_from(chunks.len()).map_err(|_| WriteError("too many chunks".into()))?;
    let next_id = records.iter().map(|r| r.id).max().map_or(1, |m| m + 1);
    let mut h = Vec::with_capacity(FILE_HEADER_SIZE);
    h.extend_from_slice(b"ElfFile\0");
    h.extend_from_slice(&0u64.to_le_bytes());
    h.extend_from_slice(&u64::from(count.saturating_sub(1)).to_le_bytes());
    h.extend_from_slice(&next_id.to_le_bytes());
    h.extend_from_slice(&128u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // minor version
    h.extend_from_slice(&3u16.to_le_bytes()); // major version
    h.extend_from_slice(&4096u16.to_le_bytes());
    h.extend_from_slice(&count.to_le_bytes());
    h.resize(120, 0);
    h.extend_from_slice(&0u32.to_le_bytes()); // flags: clean
    let crc = crc32(&[&h[..120]]);
    h.extend_from_slice(&crc.to_le_bytes());
    h.resize(FILE_HEADER_SIZE, 0);
    for c in chunks {
        h.extend_from_slice(&c);
    }
    Ok(h)
}

/// FILETIME of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (up to 9 fraction digits;
/// FILETIME keeps 7).
pub fn filetime(rfc3339: &str) -> Result<u64> {
    let bad = || WriteError(format!("bad time {rfc3339:?}"));
    let s = rfc3339.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = s.split_once('T').ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms
        .split(':')
        .map(|p| p.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    if d.len() != 3 || t.len() != 3 || frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let mut frac7 = frac.to_string();
    frac7.truncate(7);
    while frac7.len() < 7 {
        frac7.push('0');
    }
    let ticks: i64 = frac7.parse().map_err(|_| bad())?;
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let (y, m, day) = (d[0] - i64::from(d[1] <= 2), d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2];
    let ft = (secs + 11_644_473_600) * 10_000_000 + ticks;
    u64::try_from(ft).map_err(|_| bad())
}
