//! `.evtx` files through the `evtx` crate, streamed: the 4 KiB file header, then 64 KiB
//! chunks read one after another from any [`Read`] (no seeking, so archive members work too).
//! Chunks are parsed in batches of [`BATCH_CHUNKS`] in parallel on the rayon pool (the crate's
//! own pipeline spawns onto the global pool and blocks waiting, which can starve a pool that is
//! already busy reading other files; a `par_iter` over a batch cannot). Only catalog events
//! are decoded fully: each chunk is read from its BinXml by [`super::binxml`]; a chunk that
//! reader declines is left to the crate, whose rendered XML gives a record's id and channel (a
//! record outside the catalog is then only counted) and is mapped by [`super::xml`]
//! (`quick-xml`), so both input kinds share one mapping.
//!
//! Chunks come in file order, not the "oldest chunk first" order of a log that has wrapped:
//! events are sorted by time in the report anyway. A chunk or record the crate cannot read is
//! skipped, counted in [`Counts::corrupt`](super::Counts) and named in a warning; a panic in
//! the crate on a hostile chunk is caught and treated the same way.

use std::io::Read;
use std::sync::Arc;

use evtx::{EvtxChunkData, ParserSettings};
use rayon::prelude::*;

use super::{CatalogEvent, Counts, Event, EventlogResult, MAX_EVENTS, parse_event_xml};
use crate::model::time::rfc3339;

/// Bytes of the file header; chunks follow it.
pub const FILE_HEADER_BYTES: usize = 4096;
/// Bytes of one chunk.
pub const CHUNK_BYTES: usize = 65536;
/// Chunks parsed together: a fixed number, so the output never depends on the thread count.
pub const BATCH_CHUNKS: usize = 16;

/// What one chunk gave.
#[derive(Default)]
struct ChunkOut {
    /// The chunk's catalog events as read ([`parse_chunk_inner`]).
    events: Vec<Event>,
    /// The same, named and summarized ([`parse_chunk`]).
    named: Vec<CatalogEvent>,
    counts: Counts,
    warnings: Vec<String>,
    /// The chunk's buffer, given back for a later read when the fast path read the chunk.
    buffer: Option<Vec<u8>>,
    /// Catalog events counted but not read (the log's kept events were at their cap).
    counted_only: u64,
}

/// Reads an `.evtx` stream: every record is counted, catalog events are kept (see the module
/// doc of [`super`]). `display` names the file in warnings.
pub fn read_evtx<R: Read + Send>(display: &str, mut reader: R) -> EventlogResult {
    let mut out = EventlogResult::default();
    let mut dropped_warnings = 0u64;
    let mut header = vec![0u8; FILE_HEADER_BYTES];
    let (got, _) = read_up_to(&mut reader, &mut header);
    if got < 8 || &header[..8] != b"ElfFile\0" {
        out.unreadable_reason = Some("not an evtx file (no ElfFile header)".into());
        return out;
    }
    if got < FILE_HEADER_BYTES {
        out.unreadable_reason = Some(format!(
            "the evtx file header is cut ({got} of {FILE_HEADER_BYTES} bytes)"
        ));
        return out;
    }
    out.readable = true;
    if let Err(e) = evtx::EvtxFileHeader::from_stream(&mut std::io::Cursor::new(&header)) {
        out.warn(
            format!("{display}: evtx file header not readable ({e}); reading chunks anyway"),
            &mut dropped_warnings,
        );
    }
    // Room for the events of as many chunks as the header counts (at 42; a hint only: a
    // log can hold more), at most the cap: the list then never grows by copying itself
    // (growing was a twentieth of a log of catalog events). Pages no event fills are only
    // reserved, never touched.
    let chunks_in_header = usize::from(u16::from_le_bytes([header[42], header[43]]));
    out.events
        .reserve((chunks_in_header * 512).clamp(1024, MAX_EVENTS));
    let settings = Arc::new(ParserSettings::new().indent(false));
    let input: Arc<str> = display.into();
    let mut over_cap = 0u64;
    let mut stream = ChunkStream {
        reader,
        ahead: Vec::new(),
        offset: FILE_HEADER_BYTES as u64,
        next_chunk: 0,
    };
    // Chunk buffers parsed and given back, for the batch after next: fresh 64 KiB buffers
    // cost their zeroing and page faults (a tenth of the run on a mostly non-catalog log).
    let mut spare: Vec<Vec<u8>> = Vec::new();
    // The next batch is read while this one is parsed.
    let mut pending = read_batch(display, &mut stream, &mut spare);
    loop {
        let current = pending;
        // Once the kept events are at their cap, later catalog events are only counted: those
        // that their id and channel alone make catalog events are not read at all. (Decided
        // per batch, from the events kept before it: the same whatever the thread count.)
        let count_only = out.events.len() >= MAX_EVENTS;
        let parse = |chunks: Vec<(u64, Vec<u8>)>| -> Vec<ChunkOut> {
            chunks
                .into_par_iter()
                .map(|(n, data)| parse_chunk(display, &input, n, data, &settings, count_only))
                .collect()
        };
        let (parsed, next) = if current.end {
            (parse(current.chunks), None)
        } else {
            let (parsed, next) = rayon::join(
                || parse(current.chunks),
                || read_batch(display, &mut stream, &mut spare),
            );
            (parsed, Some(next))
        };
        out.counts.corrupt += current.cut;
        for w in current.warnings {
            out.warn(w, &mut dropped_warnings);
        }
        for mut c in parsed {
            spare.extend(c.buffer.take());
            over_cap += c.counted_only;
            out.counts.merge(c.counts);
            for w in c.warnings {
                out.warn(w, &mut dropped_warnings);
            }
            let room = MAX_EVENTS.saturating_sub(out.events.len());
            let mut events = c.named;
            if events.len() > room {
                over_cap += (events.len() - room) as u64;
                for e in &events[room..] {
                    out.overflow.add(e);
                }
                events.truncate(room);
            }
            for e in events {
                out.keep(e);
            }
        }
        match next {
            Some(b) => pending = b,
            None => break,
        }
    }
    if over_cap > 0 {
        out.warnings.push(format!(
            "{display}: {over_cap} catalog events beyond the first {MAX_EVENTS} were counted but not kept: findings count their failed logons, timelines leave them out, JSON and JSON Lines list them when the log is a file read again as the report is written"
        ));
    }
    out.finish_warnings(dropped_warnings);
    out
}

/// Reads an `.evtx` stream again to list the catalog events a first read counted but did not
/// keep: `sink` gets each batch's catalog events after the first `skip` (in file order, as the
/// first read kept them), one batch at a time, so memory never holds more than a batch.
/// Damaged chunks are skipped, as the first read skipped them (its warnings named them).
pub fn stream_evtx<R: Read + Send>(
    display: &str,
    mut reader: R,
    skip: u64,
    sink: &mut dyn FnMut(Vec<CatalogEvent>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut header = vec![0u8; FILE_HEADER_BYTES];
    let (got, _) = read_up_to(&mut reader, &mut header);
    if got < FILE_HEADER_BYTES || &header[..8] != b"ElfFile\0" {
        return Ok(());
    }
    let settings = Arc::new(ParserSettings::new().indent(false));
    let input: Arc<str> = display.into();
    let mut stream = ChunkStream {
        reader,
        ahead: Vec::new(),
        offset: FILE_HEADER_BYTES as u64,
        next_chunk: 0,
    };
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut seen = 0u64;
    loop {
        let batch = read_batch(display, &mut stream, &mut spare);
        let parsed: Vec<ChunkOut> = batch
            .chunks
            .into_par_iter()
            .map(|(n, data)| parse_chunk(display, &input, n, data, &settings, false))
            .collect();
        for mut c in parsed {
            spare.extend(c.buffer.take());
            let mut events = c.named;
            let n = events.len() as u64;
            if seen + n <= skip {
                seen += n;
                continue;
            }
            events.drain(..skip.saturating_sub(seen) as usize);
            seen += n;
            sink(events)?;
        }
        if batch.end {
            return Ok(());
        }
    }
}

/// Up to [`BATCH_CHUNKS`] chunks read from the stream, with what reading them found.
struct ReadBatch {
    /// (chunk number, its bytes) of the chunks holding anything but zeroes.
    chunks: Vec<(u64, Vec<u8>)>,
    /// A read error, a chunk cut short.
    warnings: Vec<String>,
    /// Chunks cut short (counted as corrupt).
    cut: u64,
    /// Whether the stream ended (or failed) in this batch.
    end: bool,
}

/// The chunks of an `.evtx` stream, read one after another without seeking. Chunks follow
/// the file header every [`CHUNK_BYTES`]; where bytes that are not a chunk come instead
/// (inserted, or a chunk whose header is damaged), the stream resynchronises on the next
/// `ElfChnk` signature, so that damage loses only the chunks it touches.
struct ChunkStream<R> {
    reader: R,
    /// Bytes read past a resynchronisation, served before the reader's.
    ahead: Vec<u8>,
    /// File offset of the next byte.
    offset: u64,
    /// Number of the next chunk.
    next_chunk: u64,
}

/// A chunk's signature (the start of its header).
const CHUNK_SIGNATURE: &[u8; 8] = b"ElfChnk\0";

impl<R: Read> ChunkStream<R> {
    /// Fills `buf` from the bytes read ahead, then from the reader.
    fn read_up_to(&mut self, buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
        let from_ahead = self.ahead.len().min(buf.len());
        buf[..from_ahead].copy_from_slice(&self.ahead[..from_ahead]);
        self.ahead.drain(..from_ahead);
        let (got, error) = read_up_to(&mut self.reader, &mut buf[from_ahead..]);
        (from_ahead + got, error)
    }

    /// Reads the next chunk's bytes into `data` (all [`CHUNK_BYTES`] of them, or fewer where
    /// the stream ends), past any stretch that is not a chunk: its offset and length are
    /// returned with it.
    fn next(&mut self, data: &mut [u8]) -> NextChunk {
        let mut skipped: Option<(u64, u64)> = None;
        loop {
            let (got, error) = self.read_up_to(data);
            let chunk = &data[..got];
            // (Bytes too few to hold a signature are a cut chunk, unless they end a stretch
            // being skipped.)
            let is_chunk = chunk.starts_with(CHUNK_SIGNATURE)
                || chunk.iter().all(|&b| b == 0)
                || got < CHUNK_SIGNATURE.len() && skipped.is_none();
            if is_chunk || error.is_some() {
                let at = self.offset;
                self.offset += got as u64;
                return NextChunk {
                    got,
                    at,
                    error,
                    skipped,
                };
            }
            // Not a chunk: skip to the next signature in it, else over all of it but the
            // bytes that may begin a signature cut by its end.
            let skip = match chunk
                .get(1..)
                .unwrap_or_default()
                .windows(CHUNK_SIGNATURE.len())
                .position(|w| w == CHUNK_SIGNATURE)
            {
                Some(k) => k + 1,
                None if got == data.len() => got - (CHUNK_SIGNATURE.len() - 1),
                None => got,
            };
            let stretch = skipped.get_or_insert((self.offset, 0));
            stretch.1 += skip as u64;
            self.offset += skip as u64;
            let mut rest = data[skip..got].to_vec();
            rest.append(&mut self.ahead);
            self.ahead = rest;
            if skip == got && got < data.len() {
                // The stream ended inside the stretch.
                return NextChunk {
                    got: 0,
                    at: self.offset,
                    error: None,
                    skipped,
                };
            }
        }
    }
}

/// What [`ChunkStream::next`] read.
struct NextChunk {
    got: usize,
    /// File offset of the chunk.
    at: u64,
    error: Option<std::io::Error>,
    /// A stretch skipped before it: (file offset, bytes).
    skipped: Option<(u64, u64)>,
}

/// Reads the next batch of chunks into `spare` buffers while there are some (a reused buffer's
/// old bytes past a short read are never looked at: a short chunk is skipped), else fresh
/// ones.
fn read_batch<R: Read>(
    display: &str,
    stream: &mut ChunkStream<R>,
    spare: &mut Vec<Vec<u8>>,
) -> ReadBatch {
    let mut batch = ReadBatch {
        chunks: Vec::with_capacity(BATCH_CHUNKS),
        warnings: Vec::new(),
        cut: 0,
        end: false,
    };
    while batch.chunks.len() < BATCH_CHUNKS {
        let chunk_number = stream.next_chunk;
        let mut data = spare
            .pop()
            .filter(|b| b.len() == CHUNK_BYTES)
            .unwrap_or_else(|| vec![0u8; CHUNK_BYTES]);
        let NextChunk {
            got,
            at,
            error,
            skipped,
        } = stream.next(&mut data);
        if let Some((from, bytes)) = skipped {
            batch.cut += 1;
            batch.warnings.push(format!(
                "{display}: {bytes} bytes at offset {from} are not a chunk (no ElfChnk signature where one was due), skipped{}",
                if got > 0 {
                    format!(" to the chunk at offset {at}")
                } else {
                    " to the end of the file".to_string()
                }
            ));
        }
        let end = got < CHUNK_BYTES;
        // A read error used to end the file silently, as if it had ended there.
        if let Some(e) = error {
            let offset = at + got as u64;
            batch.warnings.push(format!(
                "{display}: read error at offset {offset}: {e}; the rest of the file is not read"
            ));
        }
        if got > 0 && data[..got].iter().any(|&b| b != 0) {
            if end && got >= super::binxml::CHUNK_HEADER_BYTES && data.starts_with(CHUNK_SIGNATURE)
            {
                // A chunk cut mid-way (a log copied while Windows wrote it, a truncated
                // upload): its header and the records wholly before the cut are read, the
                // rest of the buffer is zeros, so the record the cut went through is skipped.
                data[got..].fill(0);
                batch.warnings.push(format!(
                    "{display}: chunk {chunk_number} is cut ({got} of {CHUNK_BYTES} bytes); the records wholly before the cut are read"
                ));
                batch.chunks.push((chunk_number, data));
            } else if end {
                batch.cut += 1;
                batch.warnings.push(format!(
                    "{display}: chunk {chunk_number} is cut ({got} of {CHUNK_BYTES} bytes), skipped"
                ));
            } else {
                batch.chunks.push((chunk_number, data));
            }
        }
        if end {
            batch.end = true;
            break;
        }
        stream.next_chunk += 1;
    }
    batch
}

/// Parses one chunk and names and summarizes its catalog events (on the pool, as the chunk
/// is); a panic inside the crate is caught and reported as a corrupt chunk.
fn parse_chunk(
    display: &str,
    input: &Arc<str>,
    n: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    count_only: bool,
) -> ChunkOut {
    let settings = Arc::clone(settings);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = parse_chunk_inner(display, n, data, settings, true, count_only);
        out.named = std::mem::take(&mut out.events)
            .into_iter()
            .map(|e| super::event_report(input, e))
            .collect();
        out
    }))
    .unwrap_or_else(|_| ChunkOut {
        counts: Counts {
            corrupt: 1,
            ..Default::default()
        },
        warnings: vec![format!(
            "{display}: chunk {n} could not be parsed (parser panic), skipped"
        )],
        ..Default::default()
    })
}

/// Parses one chunk: through [`super::binxml`] when `fast` and it reads the chunk (only
/// counting what it can when `count_only`), else through the crate.
fn parse_chunk_inner(
    display: &str,
    n: u64,
    data: Vec<u8>,
    settings: Arc<ParserSettings>,
    fast: bool,
    count_only: bool,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    let mut chunk_data = match EvtxChunkData::new(data, false) {
        Ok(c) => c,
        Err(e) => {
            out.counts.corrupt += 1;
            out.warnings
                .push(format!("{display}: chunk {n} skipped: {e}"));
            return out;
        }
    };
    chunk_data.number = Some(n);
    // A bad checksum is said, not fatal: every record is still checked on its own as it is
    // read (a log copied while Windows was writing it can have a stale chunk).
    let (header_ok, data_ok) = (
        chunk_data.validate_header_checksum(),
        chunk_data.validate_data_checksum(),
    );
    if !(header_ok && data_ok) {
        let which = match (header_ok, data_ok) {
            (false, false) => "header and records",
            (false, true) => "header",
            _ => "records",
        };
        out.warnings.push(format!(
            "{display}: chunk {n}: CRC32 of its {which} does not match; its records are read anyway"
        ));
    }
    // The fast path reads the chunk's records from their BinXml, or leaves the whole chunk
    // to the crate below.
    if fast
        && let Ok(fast) = super::binxml::read_chunk(
            &chunk_data.data,
            chunk_data.header.free_space_offset,
            chunk_data.header.last_event_record_id,
            count_only,
        )
    {
        out.events = fast.events;
        out.counts = fast.counts;
        out.counted_only = fast.counted_only;
        out.buffer = Some(chunk_data.data);
        return out;
    }
    let mut chunk = match chunk_data.parse(settings) {
        Ok(c) => c,
        Err(e) => {
            out.counts.corrupt += 1;
            out.warnings
                .push(format!("{display}: chunk {n} skipped: {e}"));
            return out;
        }
    };
    for record in chunk.iter() {
        // Records outside the catalog are only counted, from the rendered XML's System part.
        let rendered = record.and_then(|r| r.into_xml());
        if let Ok(r) = &rendered
            && let Some((id, channel)) = system_key(&r.data)
            && !super::catalog::may_match(channel, id)
        {
            out.counts.add_outside(channel, id);
            continue;
        }
        let r = match rendered {
            Ok(r) => r,
            Err(e) => {
                out.counts.corrupt += 1;
                out.warnings
                    .push(format!("{display}: chunk {n}: record skipped: {e}"));
                continue;
            }
        };
        match parse_event_xml(&r.data) {
            Ok(e) => keep_event(
                e,
                i64::try_from(r.timestamp.as_nanosecond()).ok(),
                r.event_record_id,
                &mut out.counts,
                &mut out.events,
            ),
            Err(m) => {
                out.counts.corrupt += 1;
                out.warnings.push(format!(
                    "{display}: record {} skipped: its XML is unreadable ({m})",
                    r.event_record_id
                ));
            }
        }
    }
    out
}

/// Keeps a mapped record: its time from the record header when its XML had none (`written_ns`,
/// when the header's time is one), its record id from the header when the XML had none;
/// counted, and kept when it is a catalog event.
pub(super) fn keep_event(
    mut e: Event,
    written_ns: Option<i64>,
    record_id: u64,
    counts: &mut Counts,
    events: &mut Vec<Event>,
) {
    if e.time_ns == 0
        && e.time.is_empty()
        && let Some(ns) = written_ns
    {
        e.time_ns = ns;
        e.time = rfc3339(ns);
    }
    if e.record_id == 0 {
        e.record_id = record_id;
    }
    if counts.add(&e) {
        events.push(e);
    }
}

/// `System/EventID` and `System/Channel` of a record the crate rendered, read by searching the
/// text (the crate writes them as `<EventID …>N</EventID>` and `<Channel>C</Channel>`); `None`
/// when either is missing or holds an entity, so the record goes through the full parse.
fn system_key(xml: &str) -> Option<(u32, &str)> {
    let after = &xml[xml.find("<EventID")? + 8..];
    let digits = &after[after.find('>')? + 1..];
    let digits = &digits[..digits.find('<')?];
    let id = digits.trim().parse::<u32>().ok()?;
    let start = xml.find("<Channel>")? + 9;
    let len = xml[start..].find("</Channel>")?;
    let channel = &xml[start..start + len];
    (!channel.contains('&')).then_some((id, channel))
}

/// Reads until `buf` is full or the stream ends; a read error ends it too and is returned
/// (a corrupt archive member, or a decompression cap of [`crate::input`]).
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file header and one chunk of each of two fixtures, as one log of two chunks, and
    /// the events each chunk holds (record ids).
    fn two_chunk_log() -> (Vec<u8>, Vec<u64>) {
        let security = std::fs::read("fixtures/eventlog/server-security.evtx").expect("fixture");
        let rdp = std::fs::read("fixtures/eventlog/server-rdpcorets.evtx").expect("fixture");
        let mut log = security.clone();
        log.extend_from_slice(&rdp[FILE_HEADER_BYTES..FILE_HEADER_BYTES + CHUNK_BYTES]);
        let ids = |file: &[u8]| -> Vec<u64> {
            read_evtx("f", file)
                .events
                .iter()
                .map(|e| e.record_id)
                .collect()
        };
        let mut expected = ids(&security);
        expected.extend(ids(&rdp));
        (log, expected)
    }

    #[test]
    fn bytes_inserted_between_chunks_lose_nothing_but_themselves() {
        let (log, expected) = two_chunk_log();
        let whole = read_evtx("log", log.as_slice());
        let ids: Vec<u64> = whole.events.iter().map(|e| e.record_id).collect();
        assert_eq!(ids, expected);
        assert!(whole.warnings.is_empty(), "{:?}", whole.warnings);

        let at = FILE_HEADER_BYTES + CHUNK_BYTES;
        let mut damaged = log[..at].to_vec();
        damaged.extend((0..1000u32).map(|i| (i * 7 + 3) as u8));
        damaged.extend_from_slice(&log[at..]);
        let read = read_evtx("log", damaged.as_slice());
        let ids: Vec<u64> = read.events.iter().map(|e| e.record_id).collect();
        assert_eq!(ids, expected);
        assert_eq!(
            read.warnings,
            [format!(
                "log: 1000 bytes at offset {at} are not a chunk (no ElfChnk signature where one was due), skipped to the chunk at offset {}",
                at + 1000
            )]
        );
        assert_eq!(read.counts.corrupt, 1);
    }

    #[test]
    fn a_chunk_with_a_damaged_signature_loses_only_itself() {
        let (mut log, expected) = two_chunk_log();
        log[FILE_HEADER_BYTES] = b'X';
        let read = read_evtx("log", log.as_slice());
        let ids: Vec<u64> = read.events.iter().map(|e| e.record_id).collect();
        let second: Vec<u64> = read_evtx(
            "f",
            std::fs::read("fixtures/eventlog/server-rdpcorets.evtx")
                .expect("fixture")
                .as_slice(),
        )
        .events
        .iter()
        .map(|e| e.record_id)
        .collect();
        assert!(!second.is_empty() && expected.ends_with(&second));
        assert_eq!(ids, second);
        assert_eq!(
            read.warnings,
            [format!(
                "log: {CHUNK_BYTES} bytes at offset {FILE_HEADER_BYTES} are not a chunk (no ElfChnk signature where one was due), skipped to the chunk at offset {}",
                FILE_HEADER_BYTES + CHUNK_BYTES
            )]
        );
    }

    /// Every chunk of the fixtures' and the corpus's logs (the corpus when present): the
    /// BinXml fast path gives exactly what the crate path gives, or declines; and it must
    /// read most chunks, or it is no fast path.
    #[test]
    fn fast_path_matches_the_crate() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = super::super::test_evtx_files();
        if !root.join("../shared/corpus/evtx").is_dir() {
            eprintln!("../shared/corpus/evtx is absent: comparing on fixtures/eventlog only");
        }
        let settings = Arc::new(ParserSettings::new().indent(false));
        let (mut read, mut declined) = (0, Vec::new());
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            for (n, chunk) in bytes[FILE_HEADER_BYTES.min(bytes.len())..]
                .chunks_exact(CHUNK_BYTES)
                .enumerate()
            {
                let Ok(data) = EvtxChunkData::new(chunk.to_vec(), false) else {
                    continue;
                };
                let slow = parse_chunk_inner(
                    "t",
                    n as u64,
                    chunk.to_vec(),
                    settings.clone(),
                    false,
                    false,
                );
                match super::super::binxml::read_chunk(
                    &data.data,
                    data.header.free_space_offset,
                    data.header.last_event_record_id,
                    false,
                ) {
                    Ok(fast) => {
                        read += 1;
                        assert_eq!(fast.events, slow.events, "{} chunk {n}", f.display());
                        assert_eq!(fast.counts, slow.counts, "{} chunk {n}", f.display());
                    }
                    Err(why) => declined.push(format!("{} chunk {n}: {why}", f.display())),
                }
            }
        }
        eprintln!("fast path: {read} chunks read, {} declined", declined.len());
        for d in &declined {
            eprintln!("  declined {d}");
        }
        assert!(read > 0);
        assert!(
            declined.len() * 4 < read,
            "the fast path declines too often"
        );
    }

    #[test]
    fn system_key_reads_id_and_channel_of_rendered_xml() {
        let xml = "<Event><System><Provider Name=\"P\"/><EventID Qualifiers=\"\">4688</EventID><Channel>Security</Channel></System></Event>";
        assert_eq!(system_key(xml), Some((4688, "Security")));
        assert_eq!(
            system_key("<Event><EventID>x</EventID><Channel>S</Channel>"),
            None
        );
        assert_eq!(
            system_key("<Event><EventID>5</EventID><Channel>a&amp;b</Channel>"),
            None
        );
        assert_eq!(system_key("<Event><EventID>5</EventID>"), None);
    }

    #[test]
    fn refuses_what_is_not_evtx_without_panicking() {
        for bad in [&b""[..], b"ElfFile", b"ElfFile\0short", b"hello world"] {
            let r = read_evtx("bad.evtx", bad);
            assert!(r.events.is_empty());
            assert!(!r.readable);
            assert!(r.unreadable_reason.is_some());
        }
        // A header and a chunk of garbage: the chunk is skipped and counted.
        let mut bytes = b"ElfFile\0".to_vec();
        bytes.resize(FILE_HEADER_BYTES, 0);
        bytes.extend(std::iter::repeat_n(0x41u8, CHUNK_BYTES));
        let r = read_evtx("garbage.evtx", &bytes[..]);
        assert!(r.readable);
        assert_eq!(r.counts.corrupt, 1);
        assert!(r.events.is_empty());
    }

    /// The file offsets and record ids of the records of a one-chunk fixture, by walking
    /// the record headers (magic, size at 4, id at 8: MS-EVEN6 / libyal §4).
    fn records_of(log: &[u8]) -> Vec<(usize, u64)> {
        let chunk = &log[FILE_HEADER_BYTES..FILE_HEADER_BYTES + CHUNK_BYTES];
        let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
        let mut offset = super::super::binxml::CHUNK_HEADER_BYTES;
        let mut records = Vec::new();
        while offset < free {
            assert_eq!(&chunk[offset..offset + 4], b"**\0\0");
            let size = u32::from_le_bytes(chunk[offset + 4..offset + 8].try_into().unwrap());
            let id = u64::from_le_bytes(chunk[offset + 8..offset + 16].try_into().unwrap());
            records.push((FILE_HEADER_BYTES + offset, id));
            offset += size as usize;
        }
        records
    }

    #[test]
    fn a_damaged_record_loses_only_itself() {
        let log = std::fs::read("fixtures/eventlog/server-security-wfp.evtx").expect("fixture");
        let records = records_of(&log);
        assert_eq!(records.len(), 8);
        let ids = |r: &EventlogResult| r.events.iter().map(|e| e.record_id).collect::<Vec<_>>();
        let whole = read_evtx("log", log.as_slice());
        let all: Vec<u64> = records.iter().map(|r| r.1).collect();
        assert_eq!(ids(&whole), all);
        let (at, damaged_id) = records[3];
        let others: Vec<u64> = all.iter().copied().filter(|&i| i != damaged_id).collect();
        // Its signature, its size, or bytes inside its BinXml.
        let damages: [fn(&mut [u8], usize); 3] = [
            |b, at| b[at] = b'X',
            |b, at| b[at + 4..at + 6].copy_from_slice(&[0xff, 0xff]),
            |b, at| b[at + 40..at + 60].iter_mut().for_each(|x| *x ^= 0x5a),
        ];
        for (n, damage) in damages.iter().enumerate() {
            let mut bytes = log.clone();
            damage(&mut bytes, at);
            let read = read_evtx("log", bytes.as_slice());
            assert_eq!(ids(&read), others, "damage {n}");
            assert_eq!(read.counts.corrupt, 1, "damage {n}");
            assert_eq!(read.warnings.len(), 2, "damage {n}: {:?}", read.warnings);
            assert_eq!(
                read.warnings[0],
                "log: chunk 0: CRC32 of its records does not match; its records are read anyway"
            );
            assert!(
                read.warnings[1].starts_with("log: chunk 0: record skipped: "),
                "{:?}",
                read.warnings
            );
        }
    }

    #[test]
    fn a_chunk_cut_mid_way_keeps_its_whole_records() {
        let log = std::fs::read("fixtures/eventlog/server-security-wfp.evtx").expect("fixture");
        let records = records_of(&log);
        let (at, cut_id) = records[3];
        let cut = &log[..at + 30];
        let read = read_evtx("log", cut);
        let ids: Vec<u64> = read.events.iter().map(|e| e.record_id).collect();
        let before: Vec<u64> = records[..3].iter().map(|r| r.1).collect();
        assert_eq!(ids, before);
        assert_eq!(read.counts.corrupt, 1);
        assert_eq!(
            read.warnings,
            [
                format!(
                    "log: chunk 0 is cut ({} of {CHUNK_BYTES} bytes); the records wholly before the cut are read",
                    at + 30 - FILE_HEADER_BYTES
                ),
                "log: chunk 0: CRC32 of its records does not match; its records are read anyway"
                    .to_string(),
                format!("log: chunk 0: record skipped: Failed to parse record number {cut_id}"),
            ]
        );
        // Cut inside the chunk header: nothing of the chunk can be read.
        let read = read_evtx("log", &log[..FILE_HEADER_BYTES + 300]);
        assert!(read.events.is_empty());
        assert_eq!(
            read.warnings,
            [format!(
                "log: chunk 0 is cut (300 of {CHUNK_BYTES} bytes), skipped"
            )]
        );
    }
}
