//! Kept payload of open connections, moved to disk while a capture has more of it in memory
//! than [`held_payload`] allows, and read back when the connection ends.
//!
//! The tracker keeps the first bytes of each direction of an RDP connection (up to 64 KiB)
//! until the connection ends, because the handshake is decoded from them then. A capture
//! with thousands of connections open at the same moment (a gateway, a brute force, a scan
//! answered by a listening server) held all of that at once: about 16,000 open connections
//! took 160 MB of kept bytes, and the sum had no bound. Now each shard moves ("parks") its
//! largest in-memory streams, and their segment lists, to a temporary file once it holds
//! more than its part of the budget, and a connection's parked pieces are read back in
//! order when it is judged, before anything decodes them. The report is byte-for-byte the
//! same either way (`tests/spill.rs` runs every fixture and the corpus with nothing held).
//!
//! The bytes go to the run's one unnamed temporary file, the one `handshake::held` writes
//! connection details to (`model::scratch`) (positional writes at offsets handed out atomically, no locks).

use std::sync::OnceLock;

use super::Segment;
use crate::model::scratch;

/// Bytes of kept payload (and segment lists) a capture holds in memory for its open
/// connections before it parks the largest: 64 MiB, or `RDPTRIAGE_HOLD_PAYLOAD` when set
/// (tests set 0 to park everything at every chance).
pub fn held_payload() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("RDPTRIAGE_HOLD_PAYLOAD")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(64 << 20)
    })
}

/// A batch of streams being parked together: their bytes, written to the run's temporary file in one
/// call by [`Batch::write`], then recorded in each direction's [`Parked`] by
/// [`Parked::record`].
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    /// Where the batch starts in the run's temporary file, once written.
    at: u64,
}

impl Batch {
    /// Adds one direction's stream and segments (as one piece); returns the piece to
    /// record once the batch is written.
    pub fn add(&mut self, stream: &[u8], segments: &[Segment]) -> Piece {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(stream);
        for s in segments {
            self.bytes.extend_from_slice(&s.offset.to_le_bytes());
            self.bytes.extend_from_slice(&s.len.to_le_bytes());
            self.bytes.extend_from_slice(&s.frame.to_le_bytes());
            self.bytes.extend_from_slice(&s.ts_ns.to_le_bytes());
        }
        Piece {
            at: start as u64,
            stream_len: stream.len() as u32,
            segment_count: segments.len() as u32,
        }
    }

    /// Writes the batch to the run's temporary file; false when it could not be (no temporary file,
    /// disk full): nothing is then to be recorded, and the streams stay in memory.
    pub fn write(&mut self) -> bool {
        match scratch::append(&self.bytes) {
            Some(at) => {
                self.at = at;
                true
            }
            None => false,
        }
    }
}

/// One direction's stream bytes and segments parked together: where in its batch (then, once
/// recorded, in the run's temporary file) and how much of each.
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    at: u64,
    stream_len: u32,
    segment_count: u32,
}

/// Bytes of one [`Segment`] in the run's temporary file.
const SEGMENT_BYTES: usize = 24;

/// The start of one direction's kept stream and segment list, parked on disk in pieces, in
/// stream order.
#[derive(Clone, Debug, Default)]
pub struct Parked {
    pieces: Vec<Piece>,
    /// Total of the stream pieces: the stream offset where the bytes in memory start.
    pub stream_len: usize,
    /// How many segments are parked.
    pub segment_count: usize,
}

impl Parked {
    /// Records a piece of a batch that was written.
    pub fn record(&mut self, piece: Piece, batch: &Batch) {
        self.pieces.push(Piece {
            at: batch.at + piece.at,
            ..piece
        });
        self.stream_len += piece.stream_len as usize;
        self.segment_count += piece.segment_count as usize;
    }

    /// Reads the parked stream and segments back, followed by those held in memory. A piece
    /// that cannot be read back (the temporary file damaged under us) reads as zeros, listed
    /// in `holes` as (offset, length) the way bytes never captured are, and without its
    /// segments (evidence for frame numbers, not the bytes themselves).
    pub fn unpark(
        &self,
        stream: &[u8],
        segments: &[Segment],
        holes: &mut Vec<(u32, u32)>,
    ) -> (Vec<u8>, Vec<Segment>) {
        let mut out = Vec::with_capacity(self.stream_len + stream.len());
        let mut out_segments = Vec::with_capacity(self.segment_count + segments.len());
        let mut buf = Vec::new();
        for p in &self.pieces {
            let stream_len = p.stream_len as usize;
            let len = stream_len + p.segment_count as usize * SEGMENT_BYTES;
            buf.clear();
            buf.resize(len, 0);
            if !scratch::read_at(&mut buf, p.at) {
                holes.push((out.len() as u32, p.stream_len));
                out.resize(out.len() + stream_len, 0);
                continue;
            }
            out.extend_from_slice(&buf[..stream_len]);
            for s in buf[stream_len..].chunks_exact(SEGMENT_BYTES) {
                let word = |i: usize| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&s[i..i + 8]);
                    b
                };
                let head = word(0);
                out_segments.push(Segment {
                    offset: u32::from_le_bytes([head[0], head[1], head[2], head[3]]),
                    len: u32::from_le_bytes([head[4], head[5], head[6], head[7]]),
                    frame: u64::from_le_bytes(word(8)),
                    ts_ns: i64::from_le_bytes(word(16)),
                });
            }
        }
        out.extend_from_slice(stream);
        out_segments.extend_from_slice(segments);
        (out, out_segments)
    }
}
