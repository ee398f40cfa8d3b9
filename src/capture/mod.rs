//! Capture files → blocks of frames.
//!
//! A capture is read as a stream (a plain file, a gzip stream or a zip member alike) and cut
//! into [`Block`]s of about [`BLOCK_BYTES`] of frames: the read buffer itself plus an index of
//! the frames inside it (offset, length, timestamp, link type). Frames are never copied: a
//! block ends at its budget or where the buffer ends inside a record, takes the buffer, and
//! only that cut record is carried over to the next buffer. Reads fill the buffer to a size
//! that follows the file position, so block boundaries depend on the bytes alone (the same
//! for any thread count, and for a file and its gzip). Cutting is sequential and cheap (it
//! reads record headers only); decoding the frames of each block ([`decode::decode_block`])
//! is what runs in parallel.
//!
//! Formats: pcap (both byte orders, micro- and nanosecond; tcpdump.org "pcap" file format),
//! pcapng (draft-ietf-opsawg-pcapng: several sections and interfaces, each with its own link
//! type and timestamp resolution; unknown blocks skipped with a warning) and NetMon 2.x
//! ([`netmon`]). The pcap global header, pcapng section headers and interface descriptions are
//! parsed with `pcap-parser`; record and packet-block headers are read here by hand because the
//! framer must survive garbage: when a header is implausible it resynchronises on the next
//! plausible record instead of stopping, and says where (see [`FormatError`]).
//!
//! Files are read with `read()` into reusable buffers rather than memory-mapped: mapped pages
//! of a multi-gigabyte capture count in the resident set, and the memory bound is a promise.
//! A plain file's large reads are positional reads split across the thread pool
//! (`input::SplitReads`), so the copy out of the page cache is not all on the framer's thread.

pub mod decode;
pub mod netmon;
pub mod record;

use std::io::Read;
use std::sync::Arc;

pub use record::{FormatError, RawRecord, linktype};

/// Target size of the raw bytes of one block.
pub const BLOCK_BYTES: usize = 1 << 20;
/// Most frames in one block: a capture of tiny packets (a SYN flood, 60 bytes a frame)
/// would otherwise put 17,000 frames in a block, and each frame can start a connection that
/// waits, with its packet facts, until its window is done.
pub const BLOCK_FRAMES: usize = 4096;
/// A record or pcapng block larger than this is treated as corruption.
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// Problems of one capture listed as warnings; the rest are counted in one more (with the
/// last of them, where reading stopped when it stopped early).
pub const MAX_LISTED_PROBLEMS: u64 = 100;
/// Largest captured length accepted for one frame (jumbo frames and offloaded segments fit).
const MAX_FRAME_BYTES: u32 = 262_144;

pub use crate::input::CaptureFormat;

/// The problems met while reading one capture: the first [`MAX_LISTED_PROBLEMS`] are listed;
/// later ones are counted, and the latest is kept to be listed at the end, so that the one
/// that stopped the read is never crowded out by many before it.
#[derive(Debug, Default)]
struct Problems {
    listed: Vec<FormatError>,
    count: u64,
    last_unlisted: Option<FormatError>,
    /// The unlisted ones have been told (once, at the end of the capture).
    told: bool,
}

impl Problems {
    fn warn(&mut self, w: FormatError) {
        self.count += 1;
        if self.count <= MAX_LISTED_PROBLEMS {
            self.listed.push(w);
        } else {
            self.last_unlisted = Some(w);
        }
    }

    /// At the end of the capture: how many problems were not listed, and the last of them.
    fn tell_unlisted(&mut self) {
        if std::mem::replace(&mut self.told, true) {
            return;
        }
        let Some(last) = self.last_unlisted.take() else {
            return;
        };
        let others = self.count - MAX_LISTED_PROBLEMS - 1;
        self.listed.push(FormatError::new(
            last.offset,
            format!(
                "{others} more problems were counted, not listed; the last of them: {}",
                last.message
            ),
        ));
    }
}

/// Where one frame lies inside its block, and what the capture file says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameIndex {
    /// Offset of the frame's bytes in [`Block::bytes`].
    pub offset: u32,
    /// Captured length.
    pub len: u32,
    pub orig_len: u32,
    pub linktype: u32,
    pub ts_ns: i64,
}

/// A run of consecutive frames, owned, ready to be decoded on any thread.
#[derive(Debug, Default)]
pub struct Block {
    /// Position of this block in its capture (0, 1, 2…).
    pub seq: u64,
    /// Frame number (1-based, as Wireshark counts) of `frames[0]`.
    pub first_frame: u64,
    pub bytes: Vec<u8>,
    pub frames: Vec<FrameIndex>,
    /// Problems met while cutting this block (file offsets).
    pub warnings: Vec<FormatError>,
}

impl Block {
    /// The transport payload a decoded fact points at (empty when it lies outside the block).
    pub fn payload(&self, p: decode::PayloadRef) -> &[u8] {
        let start = p.offset as usize;
        self.bytes.get(start..start + p.len as usize).unwrap_or(&[])
    }

    pub fn frame(&self, i: usize) -> Option<RawRecord<'_>> {
        let f = self.frames.get(i)?;
        let start = f.offset as usize;
        let data = self.bytes.get(start..start.checked_add(f.len as usize)?)?;
        Some(RawRecord {
            ts_ns: f.ts_ns,
            linktype: f.linktype,
            orig_len: f.orig_len,
            data,
        })
    }
}

/// Reads a capture stream and hands out blocks in file order.
pub struct Framer<R: Read> {
    reader: R,
    format: CaptureFormat,
    /// Bytes read but not yet framed (`pending[start..]`); `pending[0]` is at file offset
    /// `pending_offset`.
    pending: Vec<u8>,
    /// How much of `pending` holds data; the rest is zeroed room for the next read (zeroed
    /// once when the buffer grows, not on every read).
    filled: usize,
    start: usize,
    pending_offset: u64,
    eof: bool,
    next_frame: u64,
    next_seq: u64,
    state: FramerState,
    warnings: Problems,
    /// NetMon files are read whole (their frame table is at the end), then served from here.
    netmon_frames: Option<std::vec::IntoIter<(FrameIndex, Vec<u8>)>>,
    done: bool,
    /// Processed blocks coming back for their buffers to be reused.
    recycled: Option<std::sync::mpsc::Receiver<Block>>,
    /// A buffer to read into next (a processed block's, come back).
    spare: Option<Vec<u8>>,
    /// True while the block being cut indexes frames inside `pending`: the buffer may then
    /// grow but its bytes never move (frames are offsets into it).
    frozen: bool,
    /// A corrupt stretch being skipped, longer than one search window: where it began, the
    /// frame before it and the bytes skipped so far.
    skipping: Option<Skipping>,
    /// True once the file's own header was read: the pcap global header, a pcapng Section
    /// Header Block, or the NetMon header and frame table. A capture without one had nothing
    /// that could be read.
    pub header_ok: bool,
    /// TLS key logs read from Decryption Secrets Blocks (pcapng §4.7, secrets type `TLSK`),
    /// in file order, not yet taken; at most [`MAX_KEY_LOG_BYTES`] in all.
    pub key_logs: Vec<String>,
    key_log_bytes: usize,
}

/// Key log text a capture's Decryption Secrets Blocks give at most: one line per TLS
/// session, about 200 bytes each.
pub const MAX_KEY_LOG_BYTES: usize = 64 << 20;

/// Whether a plausible pcap record header starts at `i` of `avail` (agreeing with `clock`)
/// and is followed by another that agrees with it, or (when `end_agrees`) by the end of the
/// bytes.
fn record_chain_at(
    avail: &[u8],
    i: usize,
    big_endian: bool,
    snaplen: u32,
    clock: Option<u32>,
    end_agrees: bool,
) -> bool {
    let Some(head) = avail.get(i..i + 16) else {
        return false;
    };
    let h = PcapRecordHeader::read(head, big_endian);
    if !h.plausible(snaplen, clock) {
        return false;
    }
    let next = i + 16 + h.caplen as usize;
    if next == avail.len() {
        return end_agrees;
    }
    match avail.get(next..next + 16) {
        Some(n) => PcapRecordHeader::read(n, big_endian).plausible(snaplen, Some(h.ts_sec)),
        None => false,
    }
}

/// A corrupt stretch of a capture being skipped across search windows.
#[derive(Clone, Debug)]
struct Skipping {
    bad_at: u64,
    after_frame: u64,
    skipped: u64,
    /// What was wrong where it began (pcapng).
    why: Option<String>,
}

/// Bytes kept from the end of one search window for the next: a candidate record near the
/// end needs its whole record and the header after it to be confirmed.
const RESYNC_OVERLAP: usize = MAX_FRAME_BYTES as usize + 32;

#[derive(Clone, Debug)]
enum FramerState {
    /// Global header not read yet.
    Start,
    Pcap {
        big_endian: bool,
        nanos: bool,
        linktype: u32,
        snaplen: u32,
        last_ts_sec: Option<u32>,
    },
    Pcapng {
        big_endian: bool,
        interfaces: Arc<Vec<Interface>>,
    },
}

/// A pcapng interface (Interface Description Block): its link type and clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub linktype: u32,
    pub snaplen: u32,
    /// Timestamp units per second (`if_tsresol`), 1_000_000 by default.
    pub units_per_sec: u64,
    /// Seconds to add to every timestamp (`if_tsoffset`).
    pub offset_sec: i64,
}

/// The largest NetMon file read into memory; beyond it the file is reported and skipped.
pub const MAX_NETMON_BYTES: u64 = 512 << 20;

impl<R: Read> Framer<R> {
    pub fn new(reader: R, format: CaptureFormat) -> Self {
        Framer {
            reader,
            format,
            pending: Vec::new(),
            filled: 0,
            start: 0,
            pending_offset: 0,
            eof: false,
            next_frame: 1,
            next_seq: 0,
            state: FramerState::Start,
            warnings: Problems::default(),
            netmon_frames: None,
            done: false,
            header_ok: false,
            key_logs: Vec::new(),
            key_log_bytes: 0,
            recycled: None,
            spare: None,
            frozen: false,
            skipping: None,
        }
    }

    /// Lets the framer reuse the buffers of blocks already processed (sent back on `rx`):
    /// fresh 1 MiB buffers would be page-faulted in, block after block.
    pub fn recycle_from(mut self, rx: std::sync::mpsc::Receiver<Block>) -> Self {
        self.recycled = Some(rx);
        self
    }

    /// An empty block, reusing a processed one's buffers when one came back: its frame index,
    /// and its bytes as the next read buffer (already paged in, never zeroed again).
    fn empty_block(&mut self) -> Block {
        let mut frames = match self.recycled.as_ref().and_then(|rx| rx.try_recv().ok()) {
            Some(b) => {
                if self.spare.is_none() && !b.bytes.is_empty() {
                    self.spare = Some(b.bytes);
                }
                b.frames
            }
            None => Vec::with_capacity(BLOCK_BYTES / 256),
        };
        frames.clear();
        Block {
            seq: self.next_seq,
            first_frame: self.next_frame,
            bytes: Vec::new(),
            frames,
            warnings: Vec::new(),
        }
    }

    /// Hands the read buffer, whose framed records the block indexes, to the block, and
    /// carries the bytes not framed yet (a record cut by the end of the last read) over to a
    /// fresh buffer: the only bytes copied.
    fn hand_over(&mut self, block: &mut Block) {
        let rest = self.filled - self.start;
        // A fresh buffer is made big enough for a block plus a cut record up front: grown
        // later, realloc would copy its megabytes (glibc keeps such buffers in the heap once
        // a few were freed, where realloc moves them).
        let mut next = self
            .spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES + 2 * MAX_FRAME_BYTES as usize));
        if next.len() < rest {
            next.resize(rest, 0);
        }
        next[..rest].copy_from_slice(&self.pending[self.start..self.filled]);
        block.bytes = std::mem::replace(&mut self.pending, next);
        self.pending_offset += self.start as u64;
        self.filled = rest;
        self.start = 0;
        self.frozen = false;
    }

    /// Whether the next record lies whole in the buffer (or looks corrupt, for the framing
    /// code to deal with): if not, the block ends here rather than read with frames indexed.
    fn next_record_buffered(&self) -> bool {
        let a = self.available();
        let (need_header, len) = match &self.state {
            FramerState::Pcap { big_endian, .. } => {
                if a.len() < 16 {
                    return false;
                }
                (16, 16 + read_u32(a, 8, *big_endian) as usize)
            }
            FramerState::Pcapng { big_endian, .. } => {
                if a.len() < 12 {
                    return false;
                }
                (12, read_u32(a, 4, *big_endian) as usize)
            }
            FramerState::Start => return false,
        };
        len < need_header || len > MAX_RECORD_BYTES || len <= a.len()
    }

    fn available(&self) -> &[u8] {
        &self.pending[self.start..self.filled]
    }

    /// File offset of the unframed byte `rel` (relative to `start`).
    fn offset_of(&self, rel: usize) -> u64 {
        self.pending_offset + (self.start + rel) as u64
    }

    /// Makes at least `want` unframed bytes available, unless the stream ends first.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        if self.available().len() >= want || self.eof {
            return Ok(());
        }
        if self.start > 0 && !self.frozen {
            self.pending.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.pending_offset += self.start as u64;
            self.start = 0;
        }
        // Read straight into the buffer's tail, a block at a time once the stream proved
        // long (small captures never pay for a large buffer).
        // (The size follows the file position, not the buffer's length, which depends on
        // which recycled buffer came back.)
        let read_so_far = self.pending_offset as usize + self.filled;
        let chunk = (read_so_far.max(32 * 1024) * 2).min(BLOCK_BYTES);
        let room = want.max(self.filled + chunk);
        if self.pending.len() < room {
            self.pending.resize(room, 0);
        }
        // Fill the whole room, whatever sizes the reads return: block boundaries then depend
        // on the bytes alone (the same for a file and its gzip), never on how reads split.
        while self.filled < room && !self.eof {
            match self.reader.read(&mut self.pending[self.filled..room]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn fill_or_warn(&mut self, want: usize) {
        if let Err(e) = self.fill(want) {
            let at = self.offset_of(self.available().len());
            self.warnings
                .warn(FormatError::new(at, format!("read error: {e}")));
        }
    }

    /// Returns the next block, or `None` at the end of the capture.
    pub fn next_block(&mut self) -> Option<Block> {
        let block = self.next_block_read();
        if !self.done || self.warnings.told {
            return block;
        }
        self.warnings.tell_unlisted();
        match block {
            Some(mut b) => {
                b.warnings.append(&mut self.warnings.listed);
                Some(b)
            }
            None => self.take_warnings_block(),
        }
    }

    fn next_block_read(&mut self) -> Option<Block> {
        if self.done {
            return None;
        }
        if self.format == CaptureFormat::Netmon {
            return self.next_netmon_block();
        }
        if matches!(self.state, FramerState::Start) {
            self.read_global_header();
            if matches!(self.state, FramerState::Start) {
                self.done = true;
                return self.take_warnings_block();
            }
        }
        // Frames are indexed where they were read (no copy): the block ends at BLOCK_BYTES of
        // frames, or where the read buffer ends inside a record, and then takes the buffer.
        let mut block = self.empty_block();
        loop {
            if let (Some(first), Some(last)) = (block.frames.first(), block.frames.last())
                && ((last.offset + last.len - first.offset) as usize >= BLOCK_BYTES
                    || block.frames.len() >= BLOCK_FRAMES)
            {
                break;
            }
            if !block.frames.is_empty() && !self.eof && !self.next_record_buffered() {
                break;
            }
            let progressed = match self.state {
                FramerState::Pcap { .. } => self.frame_pcap_record(&mut block),
                FramerState::Pcapng { .. } => self.frame_pcapng_block(&mut block),
                FramerState::Start => false,
            };
            if !block.frames.is_empty() {
                self.frozen = true;
                // A corrupt stretch goes on past the search window: the frames so far go
                // out, so that the buffer can move on over the stretch.
                if self.skipping.is_some() {
                    break;
                }
            }
            if !progressed {
                self.done = true;
                break;
            }
        }
        if !block.frames.is_empty() {
            self.hand_over(&mut block);
        }
        block.warnings.append(&mut self.warnings.listed);
        if block.frames.is_empty() && block.warnings.is_empty() {
            return None;
        }
        self.next_seq += 1;
        self.next_frame += block.frames.len() as u64;
        Some(block)
    }

    fn take_warnings_block(&mut self) -> Option<Block> {
        if self.warnings.listed.is_empty() {
            return None;
        }
        let block = Block {
            seq: self.next_seq,
            first_frame: self.next_frame,
            warnings: std::mem::take(&mut self.warnings.listed),
            ..Default::default()
        };
        self.next_seq += 1;
        Some(block)
    }

    fn read_global_header(&mut self) {
        match self.format {
            CaptureFormat::Pcap => {
                self.fill_or_warn(24);
                let head = self.available();
                match pcap_parser::parse_pcap_header(head) {
                    Ok((_, h)) => {
                        let big_endian = h.is_bigendian();
                        let nanos = h.is_nanosecond_precision();
                        let linktype = h.network.0 as u32;
                        // Some writers put FCS flags in the upper bits of the link type field.
                        let linktype = linktype & 0x0fff_ffff;
                        self.state = FramerState::Pcap {
                            big_endian,
                            nanos,
                            linktype,
                            snaplen: h.snaplen,
                            last_ts_sec: None,
                        };
                        self.start += 24;
                        self.header_ok = true;
                    }
                    Err(_) => {
                        let got = head.len();
                        self.warnings.warn(FormatError::new(
                            0,
                            format!("pcap file header incomplete ({got} of 24 bytes)"),
                        ));
                    }
                }
            }
            CaptureFormat::Pcapng => {
                // The first Section Header Block sets the byte order.
                self.state = FramerState::Pcapng {
                    big_endian: false,
                    interfaces: Arc::new(Vec::new()),
                };
            }
            CaptureFormat::Netmon => {}
        }
    }

    /// Frames one pcap record into `block`. Returns false at the end of the stream.
    fn frame_pcap_record(&mut self, block: &mut Block) -> bool {
        let FramerState::Pcap {
            big_endian,
            nanos,
            linktype,
            snaplen,
            last_ts_sec,
        } = self.state
        else {
            return false;
        };
        self.fill_or_warn(16);
        let avail = &self.pending[self.start..self.filled];
        if avail.is_empty() {
            return false;
        }
        let header_at = self.offset_of(0);
        if avail.len() < 16 {
            self.warnings.warn(FormatError::new(
                header_at,
                format!(
                    "truncated record header: the file ends {} bytes into a 16-byte header",
                    avail.len()
                ),
            ));
            return false;
        }
        let h = PcapRecordHeader::read(avail, big_endian);
        // The first record, with no clock before it to agree with, is believed when the
        // record after it agrees with its clock, or when no two agreeing records start
        // inside it (a junk byte before the real first record would otherwise set the clock
        // every later record is checked against).
        let believed = match last_ts_sec {
            Some(_) if h.plausible(snaplen, last_ts_sec) => true,
            Some(_) => self.confirms_time_jump(&h, big_endian, snaplen),
            None => {
                self.confirms_time_jump(&h, big_endian, snaplen)
                    || h.plausible(snaplen, None) && {
                        let avail = self.available();
                        let inside = (16 + h.caplen as usize).min(avail.len());
                        !(1..inside)
                            .any(|i| record_chain_at(avail, i, big_endian, snaplen, None, false))
                    }
            }
        };
        if !believed || self.skipping.is_some() {
            return self.resync_pcap(block, big_endian, snaplen, last_ts_sec, header_at);
        }
        let total = 16 + h.caplen as usize;
        self.fill_or_warn(total);
        let avail_len = self.available().len();
        if avail_len < total {
            self.warnings.warn(FormatError::new(
                header_at,
                format!(
                    "truncated record: frame {} claims {} bytes, the file ends after {}",
                    self.next_frame + block.frames.len() as u64,
                    h.caplen,
                    avail_len - 16
                ),
            ));
            self.start += avail_len;
            return false;
        }
        let frac_ns = if nanos {
            h.ts_frac as i64
        } else {
            h.ts_frac as i64 * 1000
        };
        let ts_ns = (h.ts_sec as i64) * 1_000_000_000 + frac_ns;
        index_frame(
            block,
            self.start + 16,
            h.caplen as usize,
            h.orig_len,
            linktype,
            ts_ns,
        );
        self.start += total;
        if let FramerState::Pcap { last_ts_sec, .. } = &mut self.state {
            *last_ts_sec = Some(h.ts_sec);
        }
        true
    }

    /// A record more than a day after the previous one (a capture left running over a
    /// weekend) is believed when its lengths are plausible and the record after it agrees
    /// with its clock, or it is the last record of the file.
    fn confirms_time_jump(&mut self, h: &PcapRecordHeader, big_endian: bool, snaplen: u32) -> bool {
        if !h.plausible(snaplen, None) {
            return false;
        }
        let next = 16 + h.caplen as usize;
        self.fill_or_warn(next + 16);
        let avail = self.available();
        match avail.get(next..next + 16) {
            Some(n) => PcapRecordHeader::read(n, big_endian).plausible(snaplen, Some(h.ts_sec)),
            None => avail.len() == next,
        }
    }

    /// Skips garbage up to the next offset where two consecutive plausible record headers
    /// start, and reports the skipped range. A record whose clock agrees with the last one
    /// read is preferred; failing that, any two that agree with each other (the capture's
    /// clock jumped inside the damage). The search runs a window of `MAX_RECORD_BYTES` at a
    /// time, and goes on over the next window while the file does (`skipping`): CPU is linear
    /// in the bytes skipped, memory one window.
    fn resync_pcap(
        &mut self,
        block: &mut Block,
        big_endian: bool,
        snaplen: u32,
        last_ts_sec: Option<u32>,
        bad_at: u64,
    ) -> bool {
        self.fill_or_warn(MAX_RECORD_BYTES);
        let avail = &self.pending[self.start..self.filled];
        // Offset 0 is where the damage was found, unless a window moved on to it.
        let from = usize::from(self.skipping.is_none());
        let fresh_start = |clock: Option<u32>| {
            (from..avail.len().saturating_sub(16))
                .find(|&i| record_chain_at(avail, i, big_endian, snaplen, clock, true))
        };
        let found =
            fresh_start(last_ts_sec).or_else(|| last_ts_sec.and_then(|_| fresh_start(None)));
        let first_frame = self.next_frame + block.frames.len() as u64;
        let mut skipping = self.skipping.take().unwrap_or(Skipping {
            bad_at,
            after_frame: first_frame.saturating_sub(1),
            skipped: 0,
            why: None,
        });
        let skip = match found {
            Some(i) => i,
            // The window held no fresh start: move on over it, keeping its end for the
            // next window.
            None if !self.eof && avail.len() > RESYNC_OVERLAP => avail.len() - RESYNC_OVERLAP,
            None => avail.len(),
        };
        skipping.skipped += skip as u64;
        self.start += skip;
        if found.is_none() && !self.eof && skip > 0 {
            self.skipping = Some(skipping);
            return true;
        }
        self.warnings.warn(FormatError::new(
            skipping.bad_at,
            format!(
                "corrupt record header after frame {}; skipped {} bytes{}",
                skipping.after_frame,
                skipping.skipped,
                if found.is_some() {
                    " to the next valid record"
                } else {
                    " to the end of the file"
                }
            ),
        ));
        found.is_some()
    }

    /// Frames one pcapng block. Returns false at the end of the stream.
    fn frame_pcapng_block(&mut self, block: &mut Block) -> bool {
        self.fill_or_warn(12);
        let avail = &self.pending[self.start..self.filled];
        if avail.is_empty() {
            return false;
        }
        let at = self.offset_of(0);
        if avail.len() < 12 {
            self.warnings.warn(FormatError::new(
                at,
                format!(
                    "truncated pcapng block: the file ends {} bytes into a block header",
                    avail.len()
                ),
            ));
            self.start += avail.len();
            return false;
        }
        if self.skipping.is_some() {
            return self.resync_pcapng(block, at, "");
        }
        let FramerState::Pcapng { mut big_endian, .. } = self.state.clone() else {
            return false;
        };
        let block_type_le = u32::from_le_bytes([avail[0], avail[1], avail[2], avail[3]]);
        if block_type_le == 0x0a0d_0d0a {
            // Section Header Block: the byte-order magic decides the section's endianness.
            match &avail[8..12] {
                [0x4d, 0x3c, 0x2b, 0x1a] => big_endian = false,
                [0x1a, 0x2b, 0x3c, 0x4d] => big_endian = true,
                _ => {
                    return self.resync_pcapng(
                        block,
                        at,
                        "section header with a bad byte-order magic",
                    );
                }
            }
        }
        let rd = |b: &[u8], o: usize| read_u32(b, o, big_endian);
        let block_type = rd(avail, 0);
        let len = rd(avail, 4) as usize;
        if len < 12 || !len.is_multiple_of(4) || len > MAX_RECORD_BYTES {
            return self.resync_pcapng(block, at, &format!("block length {len} is invalid"));
        }
        self.fill_or_warn(len);
        let avail = &self.pending[self.start..self.filled];
        if avail.len() < len {
            // Past the end of the file: a corrupt length when a valid block follows, else the
            // file was cut inside this block.
            if self.find_pcapng_block().is_some() {
                return self.resync_pcapng(
                    block,
                    at,
                    &format!("block length {len} runs past the end of the file"),
                );
            }
            let avail = &self.pending[self.start..self.filled];
            self.warnings.warn(FormatError::new(
                at,
                format!(
                    "truncated pcapng block: a block of {len} bytes, the file ends after {}",
                    avail.len()
                ),
            ));
            self.start += avail.len();
            return false;
        }
        if rd(avail, len - 4) as usize != len {
            return self.resync_pcapng(block, at, "block lengths at its start and end differ");
        }
        let body = &avail[..len];
        match block_type {
            0x0a0d_0d0a => {
                let parsed = if big_endian {
                    pcap_parser::parse_sectionheaderblock_be(body)
                } else {
                    pcap_parser::parse_sectionheaderblock_le(body)
                };
                if parsed.is_err() {
                    self.warnings.warn(FormatError::new(
                        at,
                        "section header block could not be parsed; its options are ignored",
                    ));
                }
                self.state = FramerState::Pcapng {
                    big_endian,
                    interfaces: Arc::new(Vec::new()),
                };
                self.header_ok = true;
            }
            1 => {
                let parsed = if big_endian {
                    pcap_parser::parse_interfacedescriptionblock_be(body)
                } else {
                    pcap_parser::parse_interfacedescriptionblock_le(body)
                };
                let iface = match parsed {
                    Ok((_, idb)) => Interface {
                        linktype: idb.linktype.0 as u32,
                        snaplen: idb.snaplen,
                        units_per_sec: ts_units_per_sec(idb.if_tsresol).unwrap_or(1_000_000),
                        offset_sec: ts_offset_sec(&idb.options, big_endian),
                    },
                    Err(_) => {
                        self.warnings.warn(FormatError::new(
                            at,
                            "interface description options could not be parsed; microsecond timestamps assumed",
                        ));
                        // The link type is the block's first u16, in the section's order.
                        let lt = rd(body, 8);
                        Interface {
                            linktype: if big_endian { lt >> 16 } else { lt & 0xffff },
                            snaplen: if len >= 20 { rd(body, 12) } else { 0 },
                            units_per_sec: 1_000_000,
                            offset_sec: 0,
                        }
                    }
                };
                if let FramerState::Pcapng { interfaces, .. } = &mut self.state {
                    Arc::make_mut(interfaces).push(iface);
                }
            }
            // Enhanced Packet Block, and the obsolete Packet Block.
            6 | 2 => {
                let (if_id, ts_high, ts_low, caplen, orig_len) = if block_type == 6 {
                    (
                        rd(body, 8),
                        rd(body, 12),
                        rd(body, 16),
                        rd(body, 20),
                        rd(body, 24),
                    )
                } else {
                    let v = rd(body, 8);
                    let if_id = if big_endian { v >> 16 } else { v & 0xffff };
                    (
                        if_id,
                        rd(body, 12),
                        rd(body, 16),
                        rd(body, 20),
                        rd(body, 24),
                    )
                };
                let frame_no = self.next_frame + block.frames.len() as u64;
                if len < 32 {
                    self.warnings.warn(FormatError::new(
                        at,
                        format!("packet block of frame {frame_no} is too short ({len} bytes)"),
                    ));
                } else {
                    let room = len - 32;
                    let caplen = (caplen as usize).min(room);
                    let iface = match &self.state {
                        FramerState::Pcapng { interfaces, .. } => {
                            interfaces.get(if_id as usize).cloned()
                        }
                        _ => None,
                    };
                    match iface {
                        Some(iface) => {
                            let ts = ((ts_high as u64) << 32) | ts_low as u64;
                            let ts_ns = ts_to_ns(ts, iface.units_per_sec, iface.offset_sec);
                            index_frame(block, self.start + 28, caplen, orig_len, iface.linktype, ts_ns);
                        }
                        None => self.warnings.warn(FormatError::new(
                            at,
                            format!("frame {frame_no} names interface {if_id}, which no interface description defined; skipped"),
                        )),
                    }
                }
            }
            // Simple Packet Block: interface 0, no timestamp.
            3 => {
                let iface = match &self.state {
                    FramerState::Pcapng { interfaces, .. } => interfaces.first().cloned(),
                    _ => None,
                };
                if let Some(iface) = iface {
                    let orig_len = rd(body, 8);
                    let mut caplen = (orig_len as usize).min(len.saturating_sub(16));
                    if iface.snaplen > 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    index_frame(block, self.start + 12, caplen, orig_len, iface.linktype, 0);
                } else {
                    self.warnings.warn(FormatError::new(
                        at,
                        "simple packet block before any interface description; skipped",
                    ));
                }
            }
            // Decryption Secrets Block: a TLS key log is kept for the connections.
            0x0a => {
                const TLS_KEY_LOG: u32 = 0x544c_534b;
                let (kind, n) = (rd(body, 8), rd(body, 12) as usize);
                let data = body.get(16..16usize.saturating_add(n).min(len.saturating_sub(4)));
                match data {
                    Some(d) if kind == TLS_KEY_LOG => {
                        if self.key_log_bytes + d.len() <= MAX_KEY_LOG_BYTES {
                            self.key_log_bytes += d.len();
                            self.key_logs.push(String::from_utf8_lossy(d).into_owned());
                        } else {
                            self.warnings.warn(FormatError::new(
                                at,
                                "decryption secrets past 64 MiB in all are not read",
                            ));
                        }
                    }
                    _ => self.warnings.warn(FormatError::new(
                        at,
                        format!("decryption secrets block of type 0x{kind:08x} is not a TLS key log; skipped"),
                    )),
                }
            }
            // Known blocks that carry no packets: name resolution, interface statistics,
            // systemd journal, custom blocks.
            4 | 5 | 9 | 0x8000_0001 | 0x0000_0bad | 0x4000_0bad => {}
            other => self.warnings.warn(FormatError::new(
                at,
                format!("skipped unknown pcapng block type 0x{other:08x} ({len} bytes)"),
            )),
        }
        self.start += len;
        true
    }

    /// Where the next plausible block starts after a corrupt one at `start` (or from `start`,
    /// in a window the search moved on to): an Enhanced Packet, Interface Description or
    /// Section Header Block whose two length fields agree. Blocks are 4-byte multiples, so it
    /// lies a multiple of 4 bytes further on.
    fn find_pcapng_block(&mut self) -> Option<usize> {
        let FramerState::Pcapng { big_endian, .. } = self.state else {
            return None;
        };
        self.fill_or_warn(MAX_RECORD_BYTES);
        let from = if self.skipping.is_some() { 0 } else { 4 };
        let avail = self.available();
        (from..=avail.len().saturating_sub(12))
            .step_by(4)
            .find(|&i| {
                let t = read_u32(avail, i, big_endian);
                if t != 6 && t != 0x0a0d_0d0a && t != 1 {
                    return false;
                }
                let l = read_u32(avail, i + 4, big_endian) as usize;
                l >= 12
                    && l.is_multiple_of(4)
                    && l <= MAX_RECORD_BYTES
                    && i + l <= avail.len()
                    && read_u32(avail, i + l - 4, big_endian) as usize == l
            })
    }

    /// Skips a corrupt block up to the next plausible one, a window of `MAX_RECORD_BYTES` at
    /// a time while the file goes on (as [`Self::resync_pcap`]); `why` says what was wrong.
    fn resync_pcapng(&mut self, block: &mut Block, bad_at: u64, why: &str) -> bool {
        let found = self.find_pcapng_block();
        let avail = self.available().len();
        let first_frame = self.next_frame + block.frames.len() as u64;
        let mut skipping = self.skipping.take().unwrap_or(Skipping {
            bad_at,
            after_frame: first_frame.saturating_sub(1),
            skipped: 0,
            why: None,
        });
        let skip = match found {
            Some(i) => i,
            // Blocks are 4-byte aligned from the corrupt one: move on by a multiple of 4.
            None if !self.eof && avail > RESYNC_OVERLAP => (avail - RESYNC_OVERLAP) & !3,
            None => avail,
        };
        skipping.skipped += skip as u64;
        self.start += skip;
        if found.is_none() && !self.eof && skip > 0 {
            self.skipping = Some(Skipping {
                why: skipping.why.or_else(|| Some(why.to_string())),
                ..skipping
            });
            return true;
        }
        let why = skipping.why.as_deref().unwrap_or(why);
        self.warnings.warn(FormatError::new(
            skipping.bad_at,
            format!(
                "corrupt pcapng block after frame {} ({why}); skipped {} bytes{}",
                skipping.after_frame,
                skipping.skipped,
                if found.is_some() {
                    " to the next valid block"
                } else {
                    " to the end of the file"
                }
            ),
        ));
        found.is_some()
    }

    fn next_netmon_block(&mut self) -> Option<Block> {
        if self.netmon_frames.is_none() {
            let mut data = Vec::new();
            let limited = (&mut self.reader)
                .take(MAX_NETMON_BYTES + 1)
                .read_to_end(&mut data);
            if let Err(e) = limited {
                self.warnings.warn(FormatError::new(
                    data.len() as u64,
                    format!("read error: {e}"),
                ));
            }
            if data.len() as u64 > MAX_NETMON_BYTES {
                self.warnings.warn(FormatError::new(
                    MAX_NETMON_BYTES,
                    format!(
                        "NetMon file larger than {} MiB is not read",
                        MAX_NETMON_BYTES >> 20
                    ),
                ));
                self.done = true;
                return self.take_warnings_block();
            }
            let mut frames = Vec::new();
            match netmon::parse(&data) {
                Ok(file) => {
                    self.header_ok = true;
                    for rec in file.records() {
                        match rec {
                            Ok(r) => frames.push((
                                FrameIndex {
                                    offset: 0,
                                    len: r.data.len() as u32,
                                    orig_len: r.orig_len,
                                    linktype: r.linktype,
                                    ts_ns: r.ts_ns,
                                },
                                r.data.to_vec(),
                            )),
                            Err(e) => self.warnings.warn(e),
                        }
                    }
                }
                Err(e) => self.warnings.warn(e),
            }
            self.netmon_frames = Some(frames.into_iter());
        }
        let mut block = Block {
            seq: self.next_seq,
            first_frame: self.next_frame,
            ..Default::default()
        };
        let iter = self.netmon_frames.as_mut()?;
        while block.bytes.len() < BLOCK_BYTES && block.frames.len() < BLOCK_FRAMES {
            let Some((idx, bytes)) = iter.next() else {
                self.done = true;
                break;
            };
            push_frame(&mut block, &bytes, idx.orig_len, idx.linktype, idx.ts_ns);
        }
        block.warnings.append(&mut self.warnings.listed);
        if block.frames.is_empty() && block.warnings.is_empty() {
            return None;
        }
        self.next_seq += 1;
        self.next_frame += block.frames.len() as u64;
        Some(block)
    }
}

/// Indexes a frame lying at `offset` of the read buffer the block will take.
fn index_frame(
    block: &mut Block,
    offset: usize,
    len: usize,
    orig_len: u32,
    linktype: u32,
    ts_ns: i64,
) {
    block.frames.push(FrameIndex {
        offset: offset as u32,
        len: len as u32,
        orig_len,
        linktype,
        ts_ns,
    });
}

/// Copies a frame into the block (NetMon frames, read whole from the file first).
fn push_frame(block: &mut Block, data: &[u8], orig_len: u32, linktype: u32, ts_ns: i64) {
    let offset = block.bytes.len() as u32;
    block.bytes.extend_from_slice(data);
    block.frames.push(FrameIndex {
        offset,
        len: data.len() as u32,
        orig_len,
        linktype,
        ts_ns,
    });
}

/// Timestamp units per second of an `if_tsresol` value: 10^-n seconds, or 2^-n when the high
/// bit is set (pcapng §4.2). `None` when the unit does not fit in a u64. (pcap-parser's
/// `ts_resolution` rejects every power-of-two value, so it is not used.)
fn ts_units_per_sec(if_tsresol: u8) -> Option<u64> {
    let n = u32::from(if_tsresol & 0x7f);
    if if_tsresol & 0x80 != 0 {
        1u64.checked_shl(n)
    } else {
        10u64.checked_pow(n)
    }
}

/// `if_tsoffset` (option 14, signed seconds) in the section's byte order. (pcap-parser's
/// `ts_offset` always reads it little-endian.)
fn ts_offset_sec(options: &[pcap_parser::PcapNGOption<'_>], big_endian: bool) -> i64 {
    options
        .iter()
        .find(|o| o.code == pcap_parser::OptionCode::IfTsoffset)
        .and_then(|o| o.value().get(..8)?.try_into().ok())
        .map(|v: [u8; 8]| {
            if big_endian {
                i64::from_be_bytes(v)
            } else {
                i64::from_le_bytes(v)
            }
        })
        .unwrap_or(0)
}

/// Converts a pcapng timestamp in `units_per_sec` to nanoseconds since the epoch.
fn ts_to_ns(ts: u64, units_per_sec: u64, offset_sec: i64) -> i64 {
    let secs = ts / units_per_sec;
    let frac = ts % units_per_sec;
    let frac_ns = (frac as u128 * 1_000_000_000u128 / units_per_sec as u128) as i64;
    (secs as i64)
        .saturating_add(offset_sec)
        .saturating_mul(1_000_000_000)
        .saturating_add(frac_ns)
}

fn read_u32(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let Some(s) = b.get(at..at + 4) else {
        return 0;
    };
    let a = [s[0], s[1], s[2], s[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// The 16-byte pcap record header.
struct PcapRecordHeader {
    ts_sec: u32,
    ts_frac: u32,
    caplen: u32,
    orig_len: u32,
}

impl PcapRecordHeader {
    fn read(b: &[u8], big_endian: bool) -> Self {
        PcapRecordHeader {
            ts_sec: read_u32(b, 0, big_endian),
            ts_frac: read_u32(b, 4, big_endian),
            caplen: read_u32(b, 8, big_endian),
            orig_len: read_u32(b, 12, big_endian),
        }
    }

    /// A header is believed when its lengths fit the snap length and its clock is within a
    /// day of the previous record's (when there is one).
    fn plausible(&self, snaplen: u32, last_ts_sec: Option<u32>) -> bool {
        let cap_limit = if snaplen == 0 || snaplen > MAX_FRAME_BYTES {
            MAX_FRAME_BYTES
        } else {
            // Some writers store frames slightly longer than their declared snap length.
            snaplen.max(65_535)
        };
        if self.caplen > cap_limit || self.ts_frac >= 1_000_000_000 {
            return false;
        }
        if self.orig_len < self.caplen && self.orig_len != 0 {
            return false;
        }
        match last_ts_sec {
            Some(last) => self.ts_sec.abs_diff(last) <= 86_400,
            None => true,
        }
    }
}
