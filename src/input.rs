//! Inputs: walking the paths given on the command line (folders recursively, in a stable
//! order), recognising each file by its magic bytes — never its name — and opening it as a
//! byte stream: plain files, gzip streams (RFC 1952, multi-member) and zip archives (members
//! streamed through the decompressor, never extracted to disk; archives nested in archives
//! are read in memory up to [`MAX_NESTED_ARCHIVE_BYTES`]).
//!
//! Decompression is bounded ([`Limits`]): every gzip stream and zip member stops, with a read
//! error naming the cap, past [`MAX_DECOMPRESSED_BYTES`], and once a file's streams together
//! have given more than [`RATIO_FREE_BYTES`] they may give at most [`MAX_RATIO`] times the
//! bytes read from the file (a decompression bomb). What was read before the stop is analysed;
//! the reader of the stream (capture framer, event log reader) turns the error into a warning
//! with its offset.
//!
//! This module only opens and names things; decoding belongs to `capture` (and to `eventlog`
//! for Windows event logs).

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How deep archives may nest (a zip in a gzip in a zip…).
pub const MAX_DEPTH: usize = 4;
/// Archives inside an archive are read into memory to be opened, at most this many bytes of
/// them at once, all levels of nesting together; larger ones are skipped.
pub const MAX_NESTED_ARCHIVE_BYTES: u64 = 256 << 20;
/// The most bytes one gzip stream or zip member may decompress to.
pub const MAX_DECOMPRESSED_BYTES: u64 = 64 << 30;
/// Decompressed bytes a file's streams may give in all before [`MAX_RATIO`] applies.
pub const RATIO_FREE_BYTES: u64 = 64 << 20;
/// Past [`RATIO_FREE_BYTES`], the most decompressed bytes per byte read from the file
/// (deflate itself cannot exceed about 1032:1; captures and logs compress 3–20:1).
pub const MAX_RATIO: u64 = 200;
/// Members of one zip archive opened; the rest are counted in one failure entry (each member
/// read becomes an entry of the report, so an archive of millions of empty members would
/// otherwise grow the report without bound).
pub const MAX_ZIP_MEMBERS: usize = 100_000;

/// Caps on decompression (see the module doc); [`Limits::DEFAULT`] is what the tool uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Per gzip stream or zip member.
    pub max_decompressed_bytes: u64,
    /// Per file, all its decompressed streams together, before the ratio applies.
    pub ratio_free_bytes: u64,
    pub max_ratio: u64,
    /// Members opened per zip archive.
    pub max_zip_members: usize,
    /// Bytes of archives inside archives held in memory at once, all levels together.
    pub max_nested_archive_bytes: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_decompressed_bytes: MAX_DECOMPRESSED_BYTES,
        ratio_free_bytes: RATIO_FREE_BYTES,
        max_ratio: MAX_RATIO,
        max_zip_members: MAX_ZIP_MEMBERS,
        max_nested_archive_bytes: MAX_NESTED_ARCHIVE_BYTES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What one opened file has given so far: bytes read from the file itself, and bytes given
/// by all its decompressing layers together (a gzip inside a zip counts twice).
#[derive(Clone, Debug)]
struct Budget {
    limits: Limits,
    read: Arc<AtomicU64>,
    decompressed: Arc<AtomicU64>,
    /// The file's size, when known (a FIFO's is not).
    file_bytes: u64,
    /// Bytes of nested archives held in memory now: levels of nesting share
    /// [`MAX_NESTED_ARCHIVE_BYTES`] (each level its own would stack).
    in_memory: Arc<AtomicU64>,
}

impl Budget {
    fn new(limits: Limits, file_bytes: u64) -> Budget {
        Budget {
            limits,
            read: Arc::new(AtomicU64::new(0)),
            decompressed: Arc::new(AtomicU64::new(0)),
            file_bytes,
            in_memory: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Bytes read from files on disk so far by the whole process: what the progress bar shows
/// against the files' total size.
pub static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// The file's own bytes, counted as they are read.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        BYTES_READ.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A decoder's compressed input, counted (for its own ratio: [`Capped`]).
struct Tally<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A file on disk read with positional reads, each large read split into pieces copied on
/// the thread pool side by side. Copying a capture out of the page cache is the largest part
/// of cutting it into blocks, and the cutting is the one step of a capture's pipeline that
/// runs in order on one thread; split, that copy runs on every core. The bytes, and where
/// each read ends, are those of reading the file in order (a piece that comes back short ends
/// the read there: the file ends, or the next read goes on from there).
struct SplitReads {
    file: File,
    pos: u64,
}

impl SplitReads {
    /// Reads this large or more are split.
    const SPLIT_FROM: usize = 512 * 1024;
    /// Bytes per piece of a split read.
    const PIECE: usize = 256 * 1024;
}

impl Read for SplitReads {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use rayon::prelude::*;
        let start = self.pos;
        if buf.len() < Self::SPLIT_FROM {
            let n = read_at(&self.file, buf, start)?;
            self.pos += n as u64;
            return Ok(n);
        }
        let pieces: Vec<(std::io::Result<usize>, usize)> = buf
            .par_chunks_mut(Self::PIECE)
            .enumerate()
            .map(|(k, piece)| {
                let len = piece.len();
                (
                    fill_at(&self.file, piece, start + (k * Self::PIECE) as u64),
                    len,
                )
            })
            .collect();
        let mut n = 0;
        for (got, len) in pieces {
            match got {
                Ok(got) => {
                    n += got;
                    if got < len {
                        break;
                    }
                }
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SplitReads {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let base = match to {
            std::io::SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            std::io::SeekFrom::Current(d) => (self.pos, d),
            std::io::SeekFrom::End(d) => (self.file.metadata()?.len(), d),
        };
        self.pos = base.0.checked_add_signed(base.1).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// One positional read (`pread`), retried when interrupted.
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt;
    loop {
        #[cfg(unix)]
        let r = file.read_at(buf, at);
        #[cfg(windows)]
        let r = file.seek_read(buf, at);
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Fills `buf` from `at` on, short only where the file ends.
fn fill_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match read_at(file, &mut buf[got..], at + got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// A decompressing layer's output, stopped with an error past the [`Limits`].
struct Capped<R> {
    inner: R,
    /// `gzip stream` or `zip member`, for the message.
    what: &'static str,
    given: u64,
    budget: Budget,
    /// The compressed bytes this stream decompresses: counted as its decoder reads them (a
    /// gzip stream), or as its archive declares them (a zip member).
    compressed: Compressed,
    stopped: Option<String>,
}

/// How a stream's compressed size is known.
enum Compressed {
    Counted(Arc<AtomicU64>),
    Declared(u64),
}

impl Compressed {
    fn bytes(&self) -> u64 {
        match self {
            Compressed::Counted(n) => n.load(Ordering::Relaxed),
            Compressed::Declared(n) => *n,
        }
    }
}

impl<R> Capped<R> {
    fn new(inner: R, what: &'static str, budget: &Budget, compressed: Compressed) -> Self {
        Capped {
            inner,
            what,
            given: 0,
            budget: budget.clone(),
            compressed,
            stopped: None,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    /// Gives exactly up to a cap, then fails. A stream gives at most
    /// [`Limits::max_decompressed_bytes`]; and at most [`Limits::max_ratio`] bytes per
    /// compressed byte of its own, unless the file's streams together have given less than
    /// [`Limits::ratio_free_bytes`]: a bomb member spends its own allowance and the free
    /// bytes, never the allowance of the members after it. All the file's streams together
    /// give at most the ratio times the file's size, plus the free bytes (members that
    /// overlap in the archive, each decompressing the same bytes, cannot multiply it). The
    /// error names the cap.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(m) = &self.stopped {
            return Err(std::io::Error::other(m.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let l = self.budget.limits;
        let total = self.budget.decompressed.load(Ordering::Relaxed);
        let read = self.budget.read.load(Ordering::Relaxed);
        let own = self.compressed.bytes().saturating_mul(l.max_ratio);
        let file = self
            .budget
            .file_bytes
            .max(read)
            .saturating_mul(l.max_ratio)
            .saturating_add(l.ratio_free_bytes);
        // What this stream may still give: its own allowance, or what the file's free bytes
        // have left, whichever is more.
        let own_left = own.saturating_sub(self.given);
        let free_left = l.ratio_free_bytes.saturating_sub(total);
        let room = own_left
            .max(free_left)
            .min(file.saturating_sub(total))
            .min(l.max_decompressed_bytes.saturating_sub(self.given));
        let stop = if self.given >= l.max_decompressed_bytes {
            Some(format!(
                "decompression stopped after {} bytes: a {} may give at most {} MiB",
                self.given,
                self.what,
                l.max_decompressed_bytes >> 20
            ))
        } else if room == 0 {
            Some(format!(
                "decompression stopped after {} bytes of this {}: it gave {} bytes from {} compressed bytes, more than {} to 1, once the file's compressed streams had given {total} bytes (a decompression bomb?)",
                self.given,
                self.what,
                self.given,
                self.compressed.bytes(),
                l.max_ratio
            ))
        } else {
            None
        };
        if let Some(m) = stop {
            // A stream that ends exactly at the cap is whole: only more bytes are refused.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.stopped = Some(m.clone());
            return Err(std::io::Error::other(m));
        }
        // Never step over a cap inside one read, so the bytes given before the error are
        // exactly the cap's.
        let want = (buf.len() as u64).min(room);
        let n = self.inner.read(&mut buf[..want as usize])?;
        self.given += n as u64;
        self.budget
            .decompressed
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The magic of a NetMon 2.x capture file (`GMBU`, the Network Monitor capture file format).
pub const NETMON2_MAGIC: &[u8] = b"GMBU";

/// The capture formats recognised by their magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    Pcapng,
    Netmon,
}

impl CaptureFormat {
    /// Recognises a capture from its first bytes (at least 4 are needed).
    pub fn sniff(head: &[u8]) -> Option<CaptureFormat> {
        let magic = head.get(..4)?;
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => Some(CaptureFormat::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => Some(CaptureFormat::Pcapng),
            _ if head.starts_with(NETMON2_MAGIC) => Some(CaptureFormat::Netmon),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::Pcapng => "pcapng",
            CaptureFormat::Netmon => "netmon",
        }
    }
}

/// What a stream's first bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Capture(CaptureFormat),
    Gzip,
    Zip,
    /// Windows event log (`ElfFile\0`).
    Evtx,
    /// XML, possibly an Event Viewer export.
    Xml,
    Unknown,
}

impl Sniffed {
    pub fn of(head: &[u8]) -> Sniffed {
        if let Some(f) = CaptureFormat::sniff(head) {
            return Sniffed::Capture(f);
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            return Sniffed::Gzip;
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Sniffed::Zip;
        }
        if head.starts_with(b"ElfFile\0") {
            return Sniffed::Evtx;
        }
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let text: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if text.starts_with(b"<?xml") || text.starts_with(b"<Events") || text.starts_with(b"<Event")
        {
            return Sniffed::Xml;
        }
        // UTF-16LE XML, as some Windows tools write it.
        if head.starts_with(b"\xff\xfe<\0") {
            return Sniffed::Xml;
        }
        Sniffed::Unknown
    }
}

/// A stream ready to be read: its name in the report and how it was reached.
pub struct Stream<'a> {
    /// `dir/file.pcap`, or `bundle.zip!inner/file.pcap` for archive members.
    pub display: String,
    /// `file`, `gzip`, `zip`, `zip/gzip`…
    pub container: String,
    pub sniffed: Sniffed,
    pub reader: Box<dyn Read + Send + 'a>,
}

/// A file or member that could not be opened at all.
#[derive(Clone, Debug)]
pub struct OpenFailure {
    pub display: String,
    pub container: String,
    pub message: String,
    /// Why a path was passed over on purpose (not a regular file, a link leaving the folder
    /// given, nested too deep); none when it failed to open or read.
    pub skipped: Option<&'static str>,
}

/// Lists the files under `paths`: files as given, folders walked recursively with entries in
/// byte order of their names, so every run sees the same order. Unreadable folders are
/// reported, not fatal. A path given by name that is not a regular file (`-` for standard
/// input, `/dev/stdin`, a FIFO such as bash's `<(zcat log.pcap.gz)`) is read as a stream.
/// Inside a folder, what is passed over is listed with why: FIFOs, devices and sockets
/// (reading one could wait for ever), folders nested more than [`MAX_WALK_DEPTH`] deep,
/// symbolic links to folders (no cycles), and links to files outside the folder given (an
/// unpacked customer archive must not read `/etc/shadow`) unless `follow_symlinks`.
pub fn collect_files(
    paths: &[PathBuf],
    follow_symlinks: bool,
    failures: &mut Vec<OpenFailure>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == STDIN_PATH {
            out.push(p.clone());
            continue;
        }
        let root = std::fs::canonicalize(p).ok();
        let walk = Walk {
            root: root.as_deref(),
            follow_symlinks,
        };
        walk.visit(p, &mut out, failures, 0);
    }
    out
}

/// The path that names standard input.
pub const STDIN_PATH: &str = "-";

/// Folders nested deeper than this under a folder given are not read.
pub const MAX_WALK_DEPTH: usize = 64;

/// One folder given, being walked.
struct Walk<'a> {
    /// The folder given, resolved: links inside it may lead only inside it.
    root: Option<&'a Path>,
    follow_symlinks: bool,
}

impl Walk<'_> {
    fn visit(
        &self,
        p: &Path,
        out: &mut Vec<PathBuf>,
        failures: &mut Vec<OpenFailure>,
        depth: usize,
    ) {
        let skip = |failures: &mut Vec<OpenFailure>, reason: &'static str, message: String| {
            failures.push(OpenFailure {
                skipped: Some(reason),
                display: p.display().to_string(),
                container: "file".into(),
                message,
            });
        };
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                failures.push(OpenFailure {
                    skipped: None,
                    display: p.display().to_string(),
                    container: "file".into(),
                    message: format!("cannot open: {e}"),
                });
                return;
            }
        };
        let is_link =
            depth > 0 && std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            if meta.is_dir() {
                skip(
                    failures,
                    "symbolic link to a folder",
                    "skipped: a symbolic link to a folder is not followed".into(),
                );
                return;
            }
            let target = std::fs::canonicalize(p).ok();
            let inside = match (&target, self.root) {
                (Some(t), Some(root)) => t.starts_with(root),
                _ => false,
            };
            if !inside && !self.follow_symlinks {
                skip(
                    failures,
                    "symbolic link leaving the folder",
                    format!(
                        "skipped: a symbolic link to {}, outside the folder given, is not followed (--follow-symlinks follows it)",
                        target.map_or_else(|| "?".to_string(), |t| t.display().to_string())
                    ),
                );
                return;
            }
        }
        if meta.is_file() || (depth == 0 && !meta.is_dir()) {
            out.push(p.to_path_buf());
            return;
        }
        if !meta.is_dir() {
            skip(
                failures,
                "not a regular file",
                "skipped: not a regular file (a FIFO, device or socket): reading it could wait for ever".into(),
            );
            return;
        }
        if depth > MAX_WALK_DEPTH {
            skip(
                failures,
                "folder nested too deep",
                format!(
                    "skipped: a folder nested more than {MAX_WALK_DEPTH} levels deep is not read"
                ),
            );
            return;
        }
        let entries = match std::fs::read_dir(p) {
            Ok(e) => e,
            Err(e) => {
                failures.push(OpenFailure {
                    skipped: None,
                    display: p.display().to_string(),
                    container: "file".into(),
                    message: format!("cannot list folder: {e}"),
                });
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            self.visit(&c, out, failures, depth + 1);
        }
    }
}

/// How many bytes reading `path` gives, as far as can be told without reading it: a gzip
/// file's size as its trailer declares it (ISIZE, RFC 1952 §2.3.1; modulo 4 GiB), a zip
/// archive's members' sizes as its central directory declares them (`u64::MAX` when it
/// does not declare them all), else the file's size;
/// never less than the file's size. What decides whether a file is read beside others or
/// alone (a small compressed file may expand to gigabytes). A declared size may lie: the
/// decompression caps bound what a lie can cost.
pub fn expanded_size(path: &Path) -> u64 {
    // A FIFO or device is never opened here: opening would wait for a writer, and reading
    // would take the bytes from the analysis.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return 0;
    }
    let Ok(mut file) = File::open(path) else {
        return 0;
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head);
    let declared = match Sniffed::of(&head[..n]) {
        Sniffed::Gzip if len >= 18 => {
            let mut isize = [0u8; 4];
            file.seek(std::io::SeekFrom::End(-4))
                .ok()
                .filter(|_| read_up_to(&mut file, &mut isize) == 4)
                .map_or(0, |_| u64::from(u32::from_le_bytes(isize)))
        }
        Sniffed::Zip => file
            .rewind()
            .ok()
            .and_then(|_| zip::ZipArchive::new(&mut file).ok())
            // Sizes the archive does not declare (data descriptors) count as large.
            .map_or(0, |z| {
                z.decompressed_size()
                    .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(u64::MAX))
            }),
        _ => 0,
    };
    len.max(declared)
}

/// Reads up to `n` bytes from the start of `reader` and returns them with a reader that
/// still yields the whole stream.
pub fn peek<'a>(
    mut reader: Box<dyn Read + Send + 'a>,
    n: usize,
) -> std::io::Result<(Vec<u8>, Box<dyn Read + Send + 'a>)> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let chained: Box<dyn Read + Send + 'a> = Box::new(Cursor::new(head.clone()).chain(reader));
    Ok((head, chained))
}

/// Opens one file and calls `visit` for every stream in it: the file itself, or each member
/// of an archive (recursively). Streams that are archives or gzip are unwrapped here, so
/// `visit` sees only captures, event logs and unknown files.
pub fn open_file(path: &Path, visit: &mut dyn FnMut(Stream<'_>), failures: &mut Vec<OpenFailure>) {
    let display = path.display().to_string();
    if path.as_os_str() == STDIN_PATH {
        let budget = Budget::new(Limits::DEFAULT, 0);
        let stdin = Counted {
            inner: std::io::stdin(),
            read: Arc::clone(&budget.read),
        };
        open_stream(
            "(standard input)".into(),
            "file".into(),
            Box::new(stdin),
            0,
            &budget,
            visit,
            failures,
        );
        return;
    }
    match File::open(path) {
        // A FIFO or device given by name: read in order, as a stream.
        Ok(file) if file.metadata().is_ok_and(|m| !m.is_file()) => {
            let budget = Budget::new(Limits::DEFAULT, 0);
            let file = Counted {
                inner: file,
                read: Arc::clone(&budget.read),
            };
            open_stream(
                display,
                "file".into(),
                Box::new(file),
                0,
                &budget,
                visit,
                failures,
            );
        }
        Ok(file) => open_source(
            display,
            SplitReads { file, pos: 0 },
            Limits::DEFAULT,
            visit,
            failures,
        ),
        Err(e) => failures.push(OpenFailure {
            skipped: None,
            display,
            container: "file".into(),
            message: format!("cannot open: {e}"),
        }),
    }
}

/// [`open_file`] for a file already in memory, named `display`, under explicit `limits`
/// (the fuzz targets and tests use it; the tool reads files with [`open_file`]).
pub fn open_bytes(
    display: &str,
    data: &[u8],
    limits: Limits,
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    open_source(
        display.to_string(),
        Cursor::new(data),
        limits,
        visit,
        failures,
    );
}

fn open_source<R: Read + Seek + Send>(
    display: String,
    mut source: R,
    limits: Limits,
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let file_bytes = source
        .seek(std::io::SeekFrom::End(0))
        .and_then(|n| source.rewind().map(|_| n))
        .unwrap_or(0);
    let budget = Budget::new(limits, file_bytes);
    let mut file = Counted {
        inner: source,
        read: Arc::clone(&budget.read),
    };
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head);
    if Sniffed::of(&head[..n]) == Sniffed::Zip {
        if file.rewind().is_err() {
            failures.push(OpenFailure {
                skipped: None,
                display,
                container: "zip".into(),
                message: "cannot seek in the archive".into(),
            });
            return;
        }
        open_zip(file, &display, "zip", 1, &budget, visit, failures);
        return;
    }
    if let Err(e) = file.rewind() {
        failures.push(OpenFailure {
            skipped: None,
            display,
            container: "file".into(),
            message: format!("cannot read: {e}"),
        });
        return;
    }
    open_stream(
        display,
        "file".into(),
        Box::new(file),
        0,
        &budget,
        visit,
        failures,
    );
}

/// The container chain after one more layer: a plain file's member is just `gzip`, a gzip in
/// a zip `zip/gzip`.
fn nest(container: &str, layer: &str) -> String {
    if container == "file" {
        layer.to_string()
    } else {
        format!("{container}/{layer}")
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => got += k,
        }
    }
    got
}

fn open_stream<'a>(
    display: String,
    container: String,
    reader: Box<dyn Read + Send + 'a>,
    depth: usize,
    budget: &Budget,
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let (head, reader) = match peek(reader, 16) {
        Ok(x) => x,
        Err(e) => {
            failures.push(OpenFailure {
                skipped: None,
                display,
                container,
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    let sniffed = Sniffed::of(&head);
    match sniffed {
        Sniffed::Gzip if depth < MAX_DEPTH => {
            let compressed = Arc::new(AtomicU64::new(0));
            let counted = Tally {
                inner: reader,
                read: Arc::clone(&compressed),
            };
            let inner = Capped::new(
                flate2::read::MultiGzDecoder::new(counted),
                "gzip stream",
                budget,
                Compressed::Counted(compressed),
            );
            open_stream(
                display,
                nest(&container, "gzip"),
                Box::new(inner),
                depth + 1,
                budget,
                visit,
                failures,
            );
        }
        Sniffed::Zip if depth < MAX_DEPTH => {
            // The room the archives around this one left of the memory budget.
            let room = budget
                .limits
                .max_nested_archive_bytes
                .saturating_sub(budget.in_memory.load(Ordering::Relaxed));
            let mut data = Vec::new();
            let read = reader.take(room + 1).read_to_end(&mut data);
            if let Err(e) = read {
                failures.push(OpenFailure {
                    skipped: None,
                    display,
                    container,
                    message: format!("cannot read the archive: {e}"),
                });
                return;
            }
            if data.len() as u64 > room {
                failures.push(OpenFailure {
                    skipped: None,
                    display,
                    container,
                    message: format!(
                        "nested archive not opened: archives inside archives may hold {} bytes in memory at once, all levels together, and this one is larger than the {room} bytes left",
                        budget.limits.max_nested_archive_bytes
                    ),
                });
                return;
            }
            let held = data.len() as u64;
            budget.in_memory.fetch_add(held, Ordering::Relaxed);
            let container = nest(&container, "zip");
            open_zip(
                Cursor::new(data),
                &display,
                &container,
                depth + 1,
                budget,
                visit,
                failures,
            );
            budget.in_memory.fetch_sub(held, Ordering::Relaxed);
        }
        Sniffed::Gzip | Sniffed::Zip => failures.push(OpenFailure {
            skipped: None,
            display,
            container,
            message: format!("archives nested deeper than {MAX_DEPTH} levels are not opened"),
        }),
        _ => visit(Stream {
            display,
            container,
            sniffed,
            reader,
        }),
    }
}

fn open_zip<R: Read + Seek + Send>(
    archive: R,
    display: &str,
    container: &str,
    depth: usize,
    budget: &Budget,
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let mut archive = archive;
    let mut zip = match zip::ZipArchive::new(&mut archive) {
        Ok(z) => z,
        Err(e) => {
            // No central directory to go by (cut off, or damaged): the members are read by
            // their local headers, one after another.
            let why = format!("{e}");
            drop(e);
            open_zip_by_local_headers(
                archive, &why, display, container, depth, budget, visit, failures,
            );
            return;
        }
    };
    let members = zip.len();
    let opened = members.min(budget.limits.max_zip_members);
    if opened < members {
        failures.push(OpenFailure {
            skipped: None,
            display: display.to_string(),
            container: container.to_string(),
            message: format!(
                "the archive has {members} members: the first {opened} were opened, the other {} were not",
                members - opened
            ),
        });
    }
    for i in 0..opened {
        let member = match zip.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                failures.push(OpenFailure {
                    skipped: None,
                    display: format!("{display}!#{i}"),
                    container: container.to_string(),
                    message: format!("zip member {i} cannot be opened: {e}"),
                });
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        // Member names are shown, never used as paths: strip control characters only.
        let name: String = match member.name() {
            Ok(n) => n.chars().filter(|c| !c.is_control()).collect(),
            Err(_) => format!("#{i}"),
        };
        let declared = member.compressed_size();
        let member_display = format!("{display}!{name}");
        open_stream(
            member_display,
            container.to_string(),
            Box::new(Capped::new(
                member,
                "zip member",
                budget,
                Compressed::Declared(declared),
            )),
            depth,
            budget,
            visit,
            failures,
        );
    }
}

/// Reads a zip archive whose central directory could not be read (`why`) by the local
/// header before each member (APPNOTE 4.3.7), in file order, until the central directory,
/// the end, or a header that does not read; says so in one warning, and in another where
/// the reading stopped early.
#[allow(clippy::too_many_arguments)]
fn open_zip_by_local_headers<R: Read + Seek + Send>(
    mut archive: R,
    why: &str,
    display: &str,
    container: &str,
    depth: usize,
    budget: &Budget,
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let warn = |failures: &mut Vec<OpenFailure>, message: String| {
        failures.push(OpenFailure {
            skipped: None,
            display: display.to_string(),
            container: container.to_string(),
            message,
        })
    };
    if archive.rewind().is_err() {
        warn(failures, format!("not a readable zip archive: {why}"));
        return;
    }
    warn(
        failures,
        format!(
            "the zip's central directory cannot be read ({why}): its members are read by their local headers"
        ),
    );
    let mut read = 0usize;
    loop {
        if read == budget.limits.max_zip_members {
            warn(
                failures,
                format!("the first {read} members were opened, the others were not"),
            );
            return;
        }
        let at = archive.stream_position().unwrap_or(0);
        let member = match zip::read::read_zipfile_from_stream(&mut archive) {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                // The end of the bytes where a header was due is the end of an archive
                // whose directory was cut off.
                let ended = matches!(&e, zip::result::ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof);
                if !ended {
                    warn(
                        failures,
                        format!(
                            "zip member {} at offset {at} cannot be read by its local header ({e}): the members after it are not read",
                            read + 1
                        ),
                    );
                }
                return;
            }
        };
        read += 1;
        if member.is_dir() {
            continue;
        }
        let name: String = match member.name() {
            Ok(n) => n.chars().filter(|c| !c.is_control()).collect(),
            Err(_) => format!("#{}", read - 1),
        };
        let declared = member.compressed_size();
        open_stream(
            format!("{display}!{name}"),
            container.to_string(),
            Box::new(Capped::new(
                member,
                "zip member",
                budget,
                Compressed::Declared(declared),
            )),
            depth,
            budget,
            visit,
            failures,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(
            Sniffed::of(&[0xd4, 0xc3, 0xb2, 0xa1]),
            Sniffed::Capture(CaptureFormat::Pcap)
        );
        assert_eq!(
            Sniffed::of(&[0xa1, 0xb2, 0x3c, 0x4d]),
            Sniffed::Capture(CaptureFormat::Pcap)
        );
        assert_eq!(
            Sniffed::of(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]),
            Sniffed::Capture(CaptureFormat::Pcapng)
        );
        assert_eq!(Sniffed::of(b"\x1f\x8b\x08"), Sniffed::Gzip);
        assert_eq!(Sniffed::of(b"PK\x03\x04"), Sniffed::Zip);
        assert_eq!(Sniffed::of(b"ElfFile\0\0"), Sniffed::Evtx);
        assert_eq!(Sniffed::of(b"\xef\xbb\xbf<?xml version"), Sniffed::Xml);
        assert_eq!(Sniffed::of(b"hello"), Sniffed::Unknown);
        assert_eq!(Sniffed::of(b""), Sniffed::Unknown);
    }

    #[test]
    fn split_reads_give_the_file_in_order() {
        use std::io::{SeekFrom, Write};
        // Not a multiple of the piece: the last piece of a split read is short.
        let data: Vec<u8> = (0..3 * SplitReads::PIECE + 12_345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        let mut r = SplitReads { file, pos: 0 };
        // A small read, then split ones of sizes that end inside a piece and past the end.
        let mut got = Vec::new();
        for size in [
            100,
            SplitReads::SPLIT_FROM + 3,
            2 * SplitReads::SPLIT_FROM,
            4096,
        ] {
            let mut buf = vec![0u8; size];
            let n = r.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), data.len());
        assert_eq!(got, data);
        let mut buf = vec![0u8; SplitReads::SPLIT_FROM];
        assert_eq!(r.read(&mut buf).unwrap(), 0, "at the end");
        // Seeks move where the next read starts.
        assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), data.len() as u64 - 10);
        assert_eq!(r.read(&mut buf).unwrap(), 10);
        assert_eq!(&buf[..10], &data[data.len() - 10..]);
        assert_eq!(r.seek(SeekFrom::Start(5)).unwrap(), 5);
        assert_eq!(r.seek(SeekFrom::Current(-2)).unwrap(), 3);
        assert!(r.seek(SeekFrom::Current(-4)).is_err());
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, &data[3..]);
    }

    #[test]
    fn peek_keeps_the_whole_stream() {
        let data: Vec<u8> = (0..100u8).collect();
        let (head, mut r) = peek(Box::new(Cursor::new(data.clone())), 16).unwrap();
        assert_eq!(head, &data[..16]);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
    }
}
