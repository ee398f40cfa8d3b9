//! `rdptriage extract`: one connection's proof cut out of a capture for a ticket. The inputs
//! are analysed as `analyze` would (so `c3` names the same connection), then the connection's
//! capture is read again and its frames written to a small pcap: every frame of its addresses
//! and ports from its first frame to its last, and the frames joined to it (the ICMP errors
//! quoting it, the DNS answers and Kerberos errors of its side lists), with their original
//! times, in frame order. Re-analysed, the small pcap gives the same verdict.
//!
//! The pcap is written by hand: it is a 24-byte file header and a 16-byte header per record
//! (tcpdump.org "pcap" format, the nanosecond variant, so no time is rounded), and
//! `pcap-parser`, the reader the tool uses, does not write.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use super::{Options, analyze_paths};
use crate::capture::Framer;
use crate::capture::decode::{DecodeStats, decode_frame_general};
use crate::input::{self, Sniffed};
use crate::model::ConnId;

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The capture the connection came from (its name in the report).
    pub input: String,
    /// Frames written, in order, by their number in that capture.
    pub frames: Vec<u64>,
    /// The link type written (pcap `LINKTYPE_*`).
    pub linktype: u32,
    /// Frames of the connection left out because their link type differs from the first's (a
    /// pcapng with several interfaces): a classic pcap has one.
    pub other_links: u64,
}

/// Why nothing was written.
#[derive(Debug)]
pub enum ExtractError {
    /// No connection of that id in the report, or not from a capture read again: the message
    /// says which.
    NotFound(String),
    /// The output could not be written.
    Write(std::io::Error),
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::NotFound(m) => f.write_str(m),
            ExtractError::Write(e) => write!(f, "cannot write the capture: {e}"),
        }
    }
}

/// Analyses `paths`, finds connection `id` (`c3`) and writes its frames as a pcap to `out`.
pub fn extract(
    paths: &[PathBuf],
    opts: &Options,
    id: &str,
    out: &mut dyn Write,
) -> Result<Extracted, ExtractError> {
    let wanted = ConnId::parse(id).ok_or_else(|| {
        ExtractError::NotFound(format!(
            "{id:?} is not a connection id (they read c1, c2… as the report lists them)"
        ))
    })?;
    let report = analyze_paths(paths, opts);
    let c = report
        .connections
        .iter()
        .find(|c| c.id == wanted)
        .ok_or_else(|| {
            ExtractError::NotFound(format!(
                "no connection {id} in the report of these inputs ({} connections listed)",
                report.connections.len()
            ))
        })?;
    let input_name = c.input().to_string();
    let detail = c.detail();
    let mut joined: BTreeSet<u64> = detail.network.icmp.iter().map(|i| i.frame).collect();
    joined.extend(c.dns().iter().map(|d| d.frame));
    joined.extend(c.kerberos().iter().map(|k| k.frame));
    let ends = [c.client, c.server];
    let (first, last) = (c.first_frame, c.last_frame);

    let mut records: Vec<(i64, u32, Vec<u8>, u64)> = Vec::new();
    let mut linktype: Option<u32> = None;
    let mut other_links = 0u64;
    let mut found = false;
    let mut failures = Vec::new();
    let mut ignored = Vec::new();
    for path in input::collect_files(paths, opts.follow_symlinks, &mut ignored) {
        input::open_file(
            &path,
            &mut |stream| {
                let Sniffed::Capture(format) = stream.sniffed else {
                    return;
                };
                if found || stream.display != input_name {
                    return;
                }
                found = true;
                let mut framer = Framer::new(stream.reader, format);
                let mut stats = DecodeStats::default();
                while let Some(block) = framer.next_block() {
                    for i in 0..block.frames.len() {
                        let n = block.first_frame + i as u64;
                        if n > last && joined.range(n..).next().is_none() {
                            return;
                        }
                        let Some(raw) = block.frame(i) else { continue };
                        let mine = (first..=last).contains(&n)
                            && decode_frame_general(
                                raw.data,
                                raw.linktype,
                                n,
                                raw.ts_ns,
                                0,
                                &mut stats,
                            )
                            .is_some_and(|f| {
                                (f.src == ends[0] && f.dst == ends[1])
                                    || (f.src == ends[1] && f.dst == ends[0])
                            });
                        if !(mine || joined.contains(&n)) {
                            continue;
                        }
                        match linktype {
                            None => linktype = Some(raw.linktype),
                            Some(l) if l != raw.linktype => {
                                other_links += 1;
                                continue;
                            }
                            _ => {}
                        }
                        records.push((raw.ts_ns, raw.orig_len, raw.data.to_vec(), n));
                    }
                }
            },
            &mut failures,
        );
        if found {
            break;
        }
    }
    if !found {
        return Err(ExtractError::NotFound(format!(
            "{id} came from {input_name}, which could not be read again (standard input is read once)"
        )));
    }
    let linktype = linktype.unwrap_or(crate::capture::linktype::ETHERNET);
    write_pcap(out, linktype, &records).map_err(ExtractError::Write)?;
    Ok(Extracted {
        input: input_name,
        frames: records.iter().map(|r| r.3).collect(),
        linktype,
        other_links,
    })
}

/// A nanosecond pcap of `records` (time, length on the wire, bytes, frame number).
fn write_pcap(
    out: &mut dyn Write,
    linktype: u32,
    records: &[(i64, u32, Vec<u8>, u64)],
) -> std::io::Result<()> {
    let snaplen = records
        .iter()
        .map(|r| r.2.len() as u32)
        .max()
        .unwrap_or(0)
        .max(65535);
    let mut head = Vec::with_capacity(24);
    head.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    head.extend_from_slice(&2u16.to_le_bytes());
    head.extend_from_slice(&4u16.to_le_bytes());
    head.extend_from_slice(&0i32.to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&snaplen.to_le_bytes());
    head.extend_from_slice(&linktype.to_le_bytes());
    out.write_all(&head)?;
    for (ts, orig, data, _) in records {
        let secs = ts.div_euclid(1_000_000_000);
        let nanos = ts.rem_euclid(1_000_000_000);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs.clamp(0, i64::from(u32::MAX)) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(nanos as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&(*orig).max(data.len() as u32).to_le_bytes());
        out.write_all(&h)?;
        out.write_all(data)?;
    }
    out.flush()
}
