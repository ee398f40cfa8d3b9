//! Inputs: walking the paths given on the command line (folders recursively, in a stable
//! order), recognising each file by its magic bytes — never its name — and opening it as a
//! byte stream: plain files, gzip streams (RFC 1952, multi-member) and zip archives (members
//! streamed through the decompressor, never extracted to disk; archives nested in archives
//! are read in memory up to [`MAX_NESTED_ARCHIVE_BYTES`]).
//!
//! This module only opens and names things; decoding belongs to `capture` (and to `eventlog`
//! for Windows event logs).

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use crate::capture::CaptureFormat;

/// How deep archives may nest (a zip in a gzip in a zip…).
pub const MAX_DEPTH: usize = 4;
/// An archive inside an archive is read into memory to be opened; larger ones are skipped.
pub const MAX_NESTED_ARCHIVE_BYTES: u64 = 256 << 20;

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
}

/// Lists the files under `paths`: files as given, folders walked recursively with entries in
/// byte order of their names, so every run sees the same order. Unreadable folders are
/// reported, not fatal.
pub fn collect_files(paths: &[PathBuf], failures: &mut Vec<OpenFailure>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out, failures, 0);
    }
    out
}

fn walk(p: &Path, out: &mut Vec<PathBuf>, failures: &mut Vec<OpenFailure>, depth: usize) {
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            failures.push(OpenFailure {
                display: p.display().to_string(),
                container: "file".into(),
                message: format!("cannot open: {e}"),
            });
            return;
        }
    };
    if meta.is_file() {
        out.push(p.to_path_buf());
        return;
    }
    if !meta.is_dir() || depth > 64 {
        return;
    }
    let entries = match std::fs::read_dir(p) {
        Ok(e) => e,
        Err(e) => {
            failures.push(OpenFailure {
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
        // Symbolic links to folders are not followed (no cycles); links to files are.
        let is_link_dir = std::fs::symlink_metadata(&c)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
            && c.is_dir();
        if !is_link_dir {
            walk(&c, out, failures, depth + 1);
        }
    }
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
    let mut file = match File::open(path) {
        Ok(f) => Metered(f),
        Err(e) => {
            failures.push(OpenFailure {
                display,
                container: "file".into(),
                message: format!("cannot open: {e}"),
            });
            return;
        }
    };
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head);
    if Sniffed::of(&head[..n]) == Sniffed::Zip {
        if file.rewind().is_err() {
            failures.push(OpenFailure {
                display,
                container: "zip".into(),
                message: "cannot seek in the archive".into(),
            });
            return;
        }
        open_zip(file, &display, "zip", 1, visit, failures);
        return;
    }
    if let Err(e) = file.rewind() {
        failures.push(OpenFailure {
            display,
            container: "file".into(),
            message: format!("cannot read: {e}"),
        });
        return;
    }
    open_stream(display, "file".into(), Box::new(file), 0, visit, failures);
}

/// Bytes read from files on disk so far by the whole process: what the progress bar shows
/// against the files' total size.
pub static BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A file whose reads are added to [`BYTES_READ`].
struct Metered(File);

impl Read for Metered {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        BYTES_READ.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Metered {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(pos)
    }
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
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let (head, reader) = match peek(reader, 16) {
        Ok(x) => x,
        Err(e) => {
            failures.push(OpenFailure {
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
            let inner = flate2::read::MultiGzDecoder::new(reader);
            open_stream(
                display,
                nest(&container, "gzip"),
                Box::new(inner),
                depth + 1,
                visit,
                failures,
            );
        }
        Sniffed::Zip if depth < MAX_DEPTH => {
            let mut data = Vec::new();
            let read = reader
                .take(MAX_NESTED_ARCHIVE_BYTES + 1)
                .read_to_end(&mut data);
            if let Err(e) = read {
                failures.push(OpenFailure {
                    display,
                    container,
                    message: format!("cannot read the archive: {e}"),
                });
                return;
            }
            if data.len() as u64 > MAX_NESTED_ARCHIVE_BYTES {
                failures.push(OpenFailure {
                    display,
                    container,
                    message: format!(
                        "nested archive larger than {} MiB not opened",
                        MAX_NESTED_ARCHIVE_BYTES >> 20
                    ),
                });
                return;
            }
            let container = nest(&container, "zip");
            open_zip(
                Cursor::new(data),
                &display,
                &container,
                depth + 1,
                visit,
                failures,
            );
        }
        Sniffed::Gzip | Sniffed::Zip => failures.push(OpenFailure {
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
    visit: &mut dyn FnMut(Stream<'_>),
    failures: &mut Vec<OpenFailure>,
) {
    let mut zip = match zip::ZipArchive::new(archive) {
        Ok(z) => z,
        Err(e) => {
            failures.push(OpenFailure {
                display: display.to_string(),
                container: container.to_string(),
                message: format!("not a readable zip archive: {e}"),
            });
            return;
        }
    };
    for i in 0..zip.len() {
        let member = match zip.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                failures.push(OpenFailure {
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
        let member_display = format!("{display}!{name}");
        open_stream(
            member_display,
            container.to_string(),
            Box::new(member),
            depth,
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
    fn peek_keeps_the_whole_stream() {
        let data: Vec<u8> = (0..100u8).collect();
        let (head, mut r) = peek(Box::new(Cursor::new(data.clone())), 16).unwrap();
        assert_eq!(head, &data[..16]);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
    }
}
