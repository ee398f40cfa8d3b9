//! The run's one scratch file: an unnamed temporary file (removed by the system when the
//! process ends) that floors spill to when memory must stay bounded — `tcp::park` parks kept
//! payload of open connections there, `handshake::held` the details of judged connections.
//! Appends are positional writes at offsets handed out atomically, so no lock is taken.
//!
//! Written by hand: an append-only file addressed by offset; no crate does just that without a
//! database.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Appends `bytes` to the run's temporary file in one positional write and returns where
/// they start; `None` when they could not be written (no temporary file, disk full), and
/// the caller keeps what it meant to write in memory.
pub fn append(bytes: &[u8]) -> Option<u64> {
    let file = spill_file()?;
    let at = file.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    file.file.write_all_at(bytes, at).ok()?;
    Some(at)
}

/// Fills `buf` from offset `at` of the run's temporary file; false when it cannot be read.
pub fn read_at(buf: &mut [u8], at: u64) -> bool {
    spill_file().is_some_and(|file| file.file.read_exact_at(buf, at).is_ok())
}

/// The run's temporary file (details spilled by `handshake::held`, payload parked by
/// `tcp::park`): appended to with positional writes at offsets handed out atomically.
#[derive(Debug)]
struct SpillFile {
    file: File,
    end: AtomicU64,
}

/// The process's spill file, made on first use; `None` when no temporary file could be made
/// (then details stay in memory). Spilled details name only their offset: the file is the
/// process's one.
fn spill_file() -> Option<&'static SpillFile> {
    static FILE: OnceLock<Option<SpillFile>> = OnceLock::new();
    FILE.get_or_init(|| {
        tempfile::tempfile().ok().map(|file| SpillFile {
            file,
            end: AtomicU64::new(0),
        })
    })
    .as_ref()
}
