//! Reader for Microsoft Network Monitor 2.x capture files (`.cap`, magic `GMBU`), the format
//! written by Network Monitor 2.x/3.x and by Wireshark's `editcap -F netmon2`, so that RDP
//! captures taken on Windows hosts can be triaged without converting them first.
//!
//! No Rust crate reads this format, so it is parsed here by hand, over the whole file in
//! memory, borrowing frame bytes from it. The layout follows Microsoft's Network Monitor
//! capture-file documentation (the `CAPTUREFILE_HEADER_VALUES` structure and the NetMon 3.x
//! "Capture File Format" help pages, referred to below as \[MS-CAPTURE\]) and what Wireshark's
//! `wiretap/netmon.c` learned from real files. Nothing here is copied from Wireshark.
//!
//! # Layout (all integers little-endian)
//!
//! * File header at offset 0: `"GMBU"`, minor version (u8), major version (u8, must be 2),
//!   MAC type (u16), capture start time as a `SYSTEMTIME` (eight u16: year, month,
//!   day-of-week, day, hour, minute, second, millisecond), frame table offset (u32), frame
//!   table length in bytes (u32), then further offset/length pairs this reader does not need.
//!   Writers pad the header to 128 bytes.
//! * Frame table: `length / 4` u32 file offsets, one per frame, in frame order. Frames are
//!   located only through it, because real files have gaps and out-of-order frames.
//! * Frame: `TimeOffsetLocal` (u64, microseconds since the header's start time),
//!   `FrameLengthWire` (u32), `FrameLength` (u32, bytes stored), the frame bytes, then, from
//!   version 2.1 on, a trailer: in 2.1 the media type (u16, 2 bytes); in 2.2 also a
//!   process-info index (u32, 6 bytes in all); in 2.3 and later also a UTC timestamp (u64
//!   `FILETIME`, 100 ns units since 1601-01-01) and a time-zone index (u8, 15 bytes in all).
//!   A frame whose trailer does not fit in the file is reported as bad.
//!
//! # Timestamps
//!
//! For versions 2.0–2.2 a frame's time is the header's `SYSTEMTIME` plus its
//! `TimeOffsetLocal`. NetMon itself writes that `SYSTEMTIME` in the capturing host's *local*
//! time and the file does not record the zone, so this reader treats it as UTC (as does every
//! file written by `editcap` running with `TZ=UTC`); times from NetMon captures made in
//! another zone are therefore shifted by that zone's UTC offset. Out-of-range day, hour,
//! minute, second or millisecond values carry over as C `mktime` would; a month outside 1..=12
//! makes every frame that needs the start time an error. For version 2.3 and later the
//! per-frame UTC `FILETIME` in the trailer is used instead, as Wireshark does, unless it is
//! zero (then the header time plus offset is used).
//!
//! # Media types
//!
//! Version 2.0 files use the header's MAC type for every frame; 2.1 and later use the media
//! type in each frame's trailer (NetMon 3 writes 1 in the header for compatibility). Values map
//! to pcap `LINKTYPE_*` numbers as Wireshark interprets them:
//!
//! | NetMon value | meaning | reported link type |
//! | --- | --- | --- |
//! | 0, 1 | Ethernet (0 seen in NetMon 3.4 VPN captures) | 1 `ETHERNET` |
//! | 2 | Token Ring | 6 `IEEE802_5` |
//! | 3 | FDDI (NDIS, bit-swapped addresses) | 10 `FDDI` |
//! | 7, 8, 9 | tunnel / wireless WAN / raw IP frames | 101 `RAW` |
//! | 0xE080 | Message Analyzer "WiFi message" | 105 `IEEE802_11` |
//! | other 0xE000..=0xEFFF | converted pcap; low 12 bits are the pcap link type | that value |
//! | 0xFFE0, 0xFFFB..=0xFFFF | NetMon metadata frames (ETW event, network info, payload header, DNS cache, filter) | [`LINKTYPE_NETMON_METADATA`] |
//! | 4 (ATM over NDIS WAN), 5 (IP over 1394), 6 (802.11 with NetMon radio header), 10, 11, 0xE081..=0xE08A, anything else | no pcap equivalent | per-frame `Err` |
//!
//! Metadata frames are *reported*, not skipped (Wireshark skips 0xFFFC..=0xFFFE), so that
//! [`NetmonFile::records`] yields exactly one item per frame-table entry; callers should ignore
//! records whose link type is [`LINKTYPE_NETMON_METADATA`].
//!
//! In a 2.0 file whose header MAC type has no pcap equivalent, [`parse`] fails, since no frame
//! could be decoded.

use super::record::{FormatError, RawRecord, linktype};

/// Link type given to NetMon metadata frames (media types 0xFFE0 and 0xFFFB..=0xFFFF: ETW
/// events, adapter information, reassembly payload headers, DNS cache, filter strings). It is
/// not a pcap `LINKTYPE_*` value; such records carry no network traffic.
pub const LINKTYPE_NETMON_METADATA: u32 = u32::MAX;

/// pcap link type for Token Ring (IEEE 802.5).
const LINKTYPE_IEEE802_5: u32 = 6;
/// pcap link type for FDDI.
const LINKTYPE_FDDI: u32 = 10;
/// pcap link type for IEEE 802.11 without a radio header.
const LINKTYPE_IEEE802_11: u32 = 105;

/// The file's magic (`GMBU`).
const MAGIC: &[u8] = crate::input::NETMON2_MAGIC;
/// Bytes of the file header this reader uses (magic through the frame table length).
const HEADER_USED_LEN: usize = 32;
const VERSION_MINOR_OFFSET: usize = 4;
const VERSION_MAJOR_OFFSET: usize = 5;
const MAC_TYPE_OFFSET: usize = 6;
const SYSTEMTIME_OFFSET: usize = 8;
const FRAME_TABLE_OFFSET_OFFSET: usize = 24;
const FRAME_TABLE_LENGTH_OFFSET: usize = 28;
/// TimeOffsetLocal (8) + FrameLengthWire (4) + FrameLength (4).
const FRAME_HEADER_LEN: usize = 16;
/// FILETIME of 1970-01-01T00:00:00Z.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// A parsed NetMon 2.x file over its whole contents in memory.
#[derive(Clone, Debug)]
pub struct NetmonFile<'a> {
    data: &'a [u8],
    version_minor: u8,
    /// Link type of every frame in a 2.0 file (`None` for 2.1+, which use per-frame types).
    file_linktype: Option<u32>,
    /// Capture start from the header, in ns since the Unix epoch; `None` if unusable.
    start_ns: Option<i64>,
    /// The frame table: `frame_count() * 4` bytes of little-endian u32 offsets.
    frame_table: &'a [u8],
}

/// Checks the header ("GMBU", major version 2) and reads the frame table.
pub fn parse<'a>(data: &'a [u8]) -> Result<NetmonFile<'a>, FormatError> {
    if !is_netmon2(data) {
        return Err(if data.starts_with(b"RTSS") {
            FormatError::new(0, "NetMon 1.x capture (magic \"RTSS\") is not supported")
        } else {
            FormatError::new(0, "not a NetMon 2.x capture (magic \"GMBU\" missing)")
        });
    }
    if data.len() < HEADER_USED_LEN {
        return Err(FormatError::new(
            data.len() as u64,
            format!(
                "NetMon file header truncated: {} of at least {HEADER_USED_LEN} bytes",
                data.len()
            ),
        ));
    }
    let version_minor = read_u8(data, VERSION_MINOR_OFFSET).unwrap_or(0);
    let version_major = read_u8(data, VERSION_MAJOR_OFFSET).unwrap_or(0);
    if version_major != 2 {
        return Err(FormatError::new(
            VERSION_MAJOR_OFFSET as u64,
            format!(
                "unsupported NetMon major version {version_major}.{version_minor} (expected 2)"
            ),
        ));
    }

    let file_linktype = if version_minor == 0 {
        let mac_type = read_u16(data, MAC_TYPE_OFFSET).unwrap_or(0);
        match media_type_to_linktype(mac_type) {
            Ok(lt) => Some(lt),
            Err(why) => {
                return Err(FormatError::new(
                    MAC_TYPE_OFFSET as u64,
                    format!("NetMon MAC type {mac_type:#06x} in file header: {why}"),
                ));
            }
        }
    } else {
        None
    };

    let start_ns = systemtime_to_ns(data.get(SYSTEMTIME_OFFSET..SYSTEMTIME_OFFSET + 16));

    let table_offset = read_u32(data, FRAME_TABLE_OFFSET_OFFSET).unwrap_or(0);
    let table_len = read_u32(data, FRAME_TABLE_LENGTH_OFFSET).unwrap_or(0);
    if !table_len.is_multiple_of(4) {
        return Err(FormatError::new(
            FRAME_TABLE_LENGTH_OFFSET as u64,
            format!("frame table length {table_len} is not a multiple of 4"),
        ));
    }
    let table_end = u64::from(table_offset) + u64::from(table_len);
    if table_end > data.len() as u64 {
        return Err(FormatError::new(
            u64::from(table_offset),
            format!(
                "frame table ({table_len} bytes at offset {table_offset}) extends past the end \
                 of the file ({} bytes)",
                data.len()
            ),
        ));
    }
    let frame_table = usize::try_from(table_offset)
        .ok()
        .zip(usize::try_from(table_end).ok())
        .and_then(|(start, end)| data.get(start..end))
        .ok_or_else(|| {
            FormatError::new(u64::from(table_offset), "frame table is not addressable")
        })?;

    Ok(NetmonFile {
        data,
        version_minor,
        file_linktype,
        start_ns,
        frame_table,
    })
}

/// True when `head` starts with the NetMon 2.x magic.
pub fn is_netmon2(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

impl<'a> NetmonFile<'a> {
    /// Number of entries in the frame table.
    pub fn frame_count(&self) -> usize {
        self.frame_table.len() / 4
    }

    /// Frames in file order; a bad frame yields Err(FormatError with the file offset) and
    /// iteration continues with the next frame-table entry.
    ///
    /// NetMon writes frames one after another, so an entry must point past the end of the
    /// frame before it: one pointing back into frames already read (a table whose entries
    /// alias one large frame, crafted to be read again and again) is an error, and each byte
    /// of the file is read as a frame at most once.
    ///
    /// Yields exactly [`frame_count`](Self::frame_count) items; metadata frames are yielded
    /// with link type [`LINKTYPE_NETMON_METADATA`].
    pub fn records(&self) -> impl Iterator<Item = Result<RawRecord<'a>, FormatError>> + '_ {
        // The end of the last frame read, and its number.
        let mut read_to: Option<(usize, usize)> = None;
        self.frame_table
            .chunks_exact(4)
            .enumerate()
            .map(move |(index, entry)| {
                let offset = read_u32(entry, 0).unwrap_or(0);
                if let Some((end, number)) = read_to
                    && (offset as usize) < end
                {
                    return Err(FormatError::new(
                        u64::from(offset),
                        format!(
                            "frame {}: its frame-table entry points back into frame {number} or before it (frames end at offset {end}): skipped, as each frame is read once",
                            index + 1
                        ),
                    ));
                }
                let (record, end) = self.frame(index, offset)?;
                read_to = Some((end, index + 1));
                Ok(record)
            })
    }

    /// Size of the per-frame trailer for this file's version.
    fn trailer_len(&self) -> usize {
        match self.version_minor {
            0 => 0,
            1 => 2,
            2 => 6,
            _ => 15,
        }
    }

    /// Decodes the frame that frame-table entry `index` places at `offset`, and where it ends
    /// (its trailer included).
    fn frame(&self, index: usize, offset: u32) -> Result<(RawRecord<'a>, usize), FormatError> {
        let frame_no = index.saturating_add(1);
        let err = |at: usize, msg: String| {
            FormatError::new(at as u64, format!("frame {frame_no}: {msg}"))
        };
        let start = usize::try_from(offset).map_err(|_| {
            FormatError::new(
                u64::from(offset),
                format!("frame {frame_no}: offset not addressable"),
            )
        })?;
        if start < HEADER_USED_LEN {
            return Err(err(
                start,
                "frame table entry points into the file header".into(),
            ));
        }
        let header = start
            .checked_add(FRAME_HEADER_LEN)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(|| {
                err(
                    start,
                    format!(
                        "frame header ({FRAME_HEADER_LEN} bytes) extends past the end of the file ({} bytes)",
                        self.data.len()
                    ),
                )
            })?;
        let time_offset_us = read_u64(header, 0).unwrap_or(0);
        let orig_len = read_u32(header, 8).unwrap_or(0);
        let incl_len = read_u32(header, 12).unwrap_or(0);

        let data_start = start.saturating_add(FRAME_HEADER_LEN);
        let data_end = usize::try_from(incl_len)
            .ok()
            .and_then(|n| data_start.checked_add(n))
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| {
                err(
                    data_start,
                    format!(
                        "{incl_len} bytes of frame data extend past the end of the file ({} bytes)",
                        self.data.len()
                    ),
                )
            })?;
        let bytes = self
            .data
            .get(data_start..data_end)
            .ok_or_else(|| err(data_start, "frame data not addressable".into()))?;

        let trailer_len = self.trailer_len();
        let trailer = data_end
            .checked_add(trailer_len)
            .and_then(|end| self.data.get(data_end..end))
            .ok_or_else(|| {
                err(
                    data_end,
                    format!(
                        "{trailer_len}-byte frame trailer (version 2.{}) extends past the end of the file ({} bytes)",
                        self.version_minor,
                        self.data.len()
                    ),
                )
            })?;

        let linktype = match self.file_linktype {
            Some(lt) => lt,
            None => {
                let media = read_u16(trailer, 0).unwrap_or(0);
                media_type_to_linktype(media).map_err(|why| {
                    err(data_end, format!("NetMon media type {media:#06x}: {why}"))
                })?
            }
        };

        let filetime = if self.version_minor >= 3 {
            read_u64(trailer, 6).unwrap_or(0)
        } else {
            0
        };
        let ts_ns = if filetime != 0 {
            filetime_to_ns(filetime).ok_or_else(|| {
                err(
                    data_end.saturating_add(6),
                    format!("UTC timestamp {filetime:#x} (FILETIME) is out of range"),
                )
            })?
        } else {
            let start_ns = self.start_ns.ok_or_else(|| {
                FormatError::new(
                    SYSTEMTIME_OFFSET as u64,
                    format!("frame {frame_no}: capture start time in the file header is invalid or out of range"),
                )
            })?;
            // TimeOffsetLocal is documented as unsigned, but NetMon treats it as signed
            // (frames may precede the nominal start), so reinterpret the bits.
            let delta_us = time_offset_us as i64;
            delta_us
                .checked_mul(1_000)
                .and_then(|delta_ns| start_ns.checked_add(delta_ns))
                .ok_or_else(|| {
                    err(
                        start,
                        format!("time offset of {delta_us} µs puts the frame out of range"),
                    )
                })?
        };

        Ok((
            RawRecord {
                ts_ns,
                linktype,
                orig_len,
                data: bytes,
            },
            data_end + trailer_len,
        ))
    }
}

/// Maps a NetMon MAC / media type to a pcap link type, or says why it cannot.
fn media_type_to_linktype(media: u16) -> Result<u32, &'static str> {
    match media {
        0 | 1 => Ok(linktype::ETHERNET),
        2 => Ok(LINKTYPE_IEEE802_5),
        3 => Ok(LINKTYPE_FDDI),
        4 => Err("ATM over NDIS WAN has no pcap equivalent"),
        5 => Err("IP over IEEE 1394 is not supported"),
        6 => Err("802.11 with a NetMon radio header has no pcap equivalent"),
        7..=9 => Ok(linktype::RAW),
        0xE080 => Ok(LINKTYPE_IEEE802_11),
        0xE081..=0xE08A => Err("Message Analyzer media type is not supported"),
        0xE000..=0xEFFF => Ok(u32::from(media & 0x0FFF)),
        0xFFE0 | 0xFFFB..=0xFFFF => Ok(LINKTYPE_NETMON_METADATA),
        _ => Err("unknown or unsupported media type"),
    }
}

/// Converts the header's SYSTEMTIME (eight u16 fields) to ns since the Unix epoch, reading it
/// as UTC. `None` when the bytes are missing, the month is not 1..=12, or the result does not
/// fit in an i64.
fn systemtime_to_ns(raw: Option<&[u8]>) -> Option<i64> {
    let raw = raw?;
    let field = |i: usize| read_u16(raw, i * 2).map(i64::from);
    let (year, month, day) = (field(0)?, field(1)?, field(3)?);
    let (hour, minute, second, milli) = (field(4)?, field(5)?, field(6)?, field(7)?);
    if !(1..=12).contains(&month) {
        return None;
    }
    // All terms are bounded by small multiples of 65535, so none of this overflows an i64.
    let days = days_from_civil(year, month, 1) + day - 1;
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    secs.checked_mul(1_000_000_000)?
        .checked_add(milli * 1_000_000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` in 1..=12, `day` in 1..=31).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Converts a FILETIME (100 ns units since 1601-01-01 UTC) to ns since the Unix epoch.
fn filetime_to_ns(filetime: u64) -> Option<i64> {
    let ticks = i128::from(filetime) - i128::from(FILETIME_UNIX_EPOCH);
    i64::try_from(ticks.checked_mul(100)?).ok()
}

fn read_u8(buf: &[u8], at: usize) -> Option<u8> {
    buf.get(at).copied()
}

fn read_u16(buf: &[u8], at: usize) -> Option<u16> {
    let bytes = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn read_u64(buf: &[u8], at: usize) -> Option<u64> {
    let bytes = buf.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NetMon 2.0 file written by `editcap -F netmon2` from `HTTP_LO_PCAP` (see the README).
    const HTTP_LO_CAP: &[u8] = include_bytes!("../../fixtures/netmon/http-lo.cap");
    /// The loopback capture (classic pcap, Ethernet, microseconds) it was converted from.
    const HTTP_LO_PCAP: &[u8] = include_bytes!("../../fixtures/netmon/http-lo.pcap");
    /// NetMon 2.1 file with per-frame media types, snap length 96 (see the README).
    const MIXED_S96_CAP: &[u8] = include_bytes!("../../fixtures/netmon/http-lo-mixed-s96.cap");

    /// `tshark -T fields -e frame.time_epoch` of the first and last frame of both `.cap` files.
    const FIRST_TS_NS: i64 = 1_795_317_159_298_460_000;
    const LAST_TS_NS: i64 = 1_795_317_159_310_204_000;
    /// `tshark -T fields -e frame.len` of http-lo.cap.
    const HTTP_LO_LENS: [usize; 24] = [
        74, 74, 66, 155, 66, 251, 66, 102, 66, 66, 66, 66, 74, 74, 66, 152, 66, 251, 66, 401, 66,
        66, 66, 66,
    ];

    /// (ts_ns, orig_len, data) of each record of a little-endian microsecond classic pcap.
    fn pcap_frames(file: &[u8]) -> Vec<(i64, u32, &[u8])> {
        assert_eq!(file.get(..4), Some(&[0xd4, 0xc3, 0xb2, 0xa1][..]));
        let mut out = Vec::new();
        let mut at = 24;
        while at < file.len() {
            let sec = i64::from(read_u32(file, at).expect("ts_sec"));
            let usec = i64::from(read_u32(file, at + 4).expect("ts_usec"));
            let incl = read_u32(file, at + 8).expect("incl_len") as usize;
            let orig = read_u32(file, at + 12).expect("orig_len");
            let data = &file[at + 16..at + 16 + incl];
            out.push((sec * 1_000_000_000 + usec * 1_000, orig, data));
            at += 16 + incl;
        }
        out
    }

    fn collect<'a>(file: &NetmonFile<'a>) -> Vec<Result<RawRecord<'a>, FormatError>> {
        file.records().collect()
    }

    fn put_u16(buf: &mut [u8], at: usize, v: u16) {
        buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u32(buf: &mut [u8], at: usize, v: u32) {
        buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// One frame for [`build`]: TimeOffsetLocal, FrameLengthWire, data, trailer bytes.
    struct Frame {
        offset_us: u64,
        orig_len: u32,
        data: Vec<u8>,
        trailer: Vec<u8>,
    }

    /// 2.1 trailer carrying just a media type.
    fn media(media: u16) -> Vec<u8> {
        media.to_le_bytes().to_vec()
    }

    /// 2.3 trailer: media type, process-info index, UTC FILETIME, time-zone index.
    fn trailer_2_3(media: u16, filetime: u64) -> Vec<u8> {
        let mut t = media.to_le_bytes().to_vec();
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&filetime.to_le_bytes());
        t.push(0);
        t
    }

    /// Writes a NetMon 2.`minor` file the way editcap lays it out: 128-byte header, frames,
    /// then the frame table. The start time is 2026-11-22 03:12:39.298 (a Sunday).
    fn build(minor: u8, mac_type: u16, frames: &[Frame]) -> Vec<u8> {
        let mut out = vec![0u8; 128];
        out[..4].copy_from_slice(MAGIC);
        out[4] = minor;
        out[5] = 2;
        put_u16(&mut out, 6, mac_type);
        for (i, v) in [2026u16, 11, 0, 22, 3, 12, 39, 298].into_iter().enumerate() {
            put_u16(&mut out, 8 + 2 * i, v);
        }
        let mut table = Vec::new();
        for f in frames {
            table.extend_from_slice(&(out.len() as u32).to_le_bytes());
            out.extend_from_slice(&f.offset_us.to_le_bytes());
            out.extend_from_slice(&f.orig_len.to_le_bytes());
            out.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&f.data);
            out.extend_from_slice(&f.trailer);
        }
        let table_offset = out.len() as u32;
        put_u32(&mut out, 24, table_offset);
        put_u32(&mut out, 28, table.len() as u32);
        out.extend_from_slice(&table);
        out
    }

    /// Start time of [`build`] files and of both fixtures: 2026-11-22T03:12:39.298Z.
    const BUILD_START_NS: i64 = 1_795_317_159_298_000_000;

    /// Rewrites `cap` with its frame table moved to just after the 128-byte header, so that
    /// truncating the file cuts frames but leaves the table intact.
    fn table_first(cap: &[u8]) -> Vec<u8> {
        let table_offset = read_u32(cap, 24).expect("table offset") as usize;
        let table_len = read_u32(cap, 28).expect("table length") as usize;
        let mut out = cap[..128].to_vec();
        put_u32(&mut out, 24, 128);
        for entry in cap[table_offset..table_offset + table_len].chunks_exact(4) {
            let old = read_u32(entry, 0).expect("entry");
            out.extend_from_slice(&(old + table_len as u32).to_le_bytes());
        }
        out.extend_from_slice(&cap[128..table_offset]);
        out
    }

    #[test]
    fn detects_magic() {
        assert!(is_netmon2(HTTP_LO_CAP));
        assert!(is_netmon2(MIXED_S96_CAP));
        assert!(is_netmon2(b"GMBU"));
        assert!(!is_netmon2(HTTP_LO_PCAP));
        assert!(!is_netmon2(b"GMB"));
        assert!(!is_netmon2(b""));
        assert!(!is_netmon2(b"RTSS\x01\x01"));
    }

    #[test]
    fn reads_editcap_netmon_2_0_fixture() {
        let file = parse(HTTP_LO_CAP).expect("fixture parses");
        assert_eq!(file.frame_count(), 24);
        let records: Vec<RawRecord<'_>> = file
            .records()
            .collect::<Result<_, _>>()
            .expect("every frame is good");
        assert_eq!(records.len(), 24);
        assert_eq!(records[0].ts_ns, FIRST_TS_NS);
        assert_eq!(records[23].ts_ns, LAST_TS_NS);
        let lens: Vec<usize> = records.iter().map(|r| r.data.len()).collect();
        assert_eq!(lens, HTTP_LO_LENS);

        let original = pcap_frames(HTTP_LO_PCAP);
        assert_eq!(original.len(), 24);
        for (rec, (ts_ns, orig_len, data)) in records.iter().zip(&original) {
            assert_eq!(rec.linktype, linktype::ETHERNET);
            assert_eq!(rec.ts_ns, *ts_ns);
            assert_eq!(rec.orig_len, *orig_len);
            assert_eq!(rec.orig_len as usize, rec.data.len());
            assert_eq!(rec.data, *data);
        }
    }

    #[test]
    fn reads_editcap_netmon_2_1_fixture_with_per_frame_media_and_snaplen() {
        let file = parse(MIXED_S96_CAP).expect("fixture parses");
        assert_eq!(file.frame_count(), 27);
        let records: Vec<RawRecord<'_>> = file
            .records()
            .collect::<Result<_, _>>()
            .expect("every frame is good");
        assert_eq!(records[0].ts_ns, FIRST_TS_NS);
        assert_eq!(records[26].ts_ns, LAST_TS_NS);

        // Frames 1, 3 and 5 are the Token-Ring-labelled copies of pcap frames 1..=3; each is
        // followed by the Ethernet original; frames 7..=27 are pcap frames 4..=24.
        let original = pcap_frames(HTTP_LO_PCAP);
        let source: Vec<usize> = [0, 0, 1, 1, 2, 2].into_iter().chain(3..24).collect();
        assert_eq!(source.len(), records.len());
        for (i, (rec, &src)) in records.iter().zip(&source).enumerate() {
            let (ts_ns, orig_len, data) = original[src];
            let expected_lt = if matches!(i, 0 | 2 | 4) {
                LINKTYPE_IEEE802_5
            } else {
                linktype::ETHERNET
            };
            assert_eq!(rec.linktype, expected_lt, "frame {}", i + 1);
            assert_eq!(rec.ts_ns, ts_ns, "frame {}", i + 1);
            assert_eq!(rec.orig_len, orig_len, "frame {}", i + 1);
            assert_eq!(rec.data, &data[..data.len().min(96)], "frame {}", i + 1);
        }
        // tshark: frame 7 is 155 bytes on the wire, 96 captured.
        assert_eq!((records[6].orig_len, records[6].data.len()), (155, 96));
        assert_eq!(records.iter().filter(|r| r.data.len() == 96).count(), 6);
    }

    #[test]
    fn every_truncation_of_the_fixtures_is_handled() {
        for cap in [HTTP_LO_CAP, MIXED_S96_CAP] {
            let full_frames = parse(cap).expect("full file parses").frame_count();
            for len in 0..=cap.len() {
                match parse(&cap[..len]) {
                    Ok(file) => {
                        // The frame table is the last thing in these files.
                        assert_eq!(len, cap.len());
                        assert_eq!(file.records().count(), full_frames);
                    }
                    Err(e) => assert!(e.offset <= cap.len() as u64, "{e}"),
                }
            }
            // Same, with the table first so that truncation cuts frames instead.
            let moved = table_first(cap);
            for len in 0..=moved.len() {
                if let Ok(file) = parse(&moved[..len]) {
                    for r in file.records() {
                        if let Err(e) = r {
                            assert!(e.offset <= moved.len() as u64, "{e}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn mutated_fixture_never_panics() {
        // Deterministic xorshift; flip bytes in the header, frame headers and frame table.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let mut cap = MIXED_S96_CAP.to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() % cap.len() as u64) as usize;
                cap[at] = next() as u8;
            }
            if let Ok(file) = parse(&cap) {
                assert!(file.records().count() == file.frame_count());
            }
        }
    }

    #[test]
    fn truncated_in_the_frame_table() {
        let table_offset = read_u32(HTTP_LO_CAP, 24).expect("table offset");
        assert_eq!(table_offset, 3044);
        let cut = &HTTP_LO_CAP[..table_offset as usize + 10];
        let e = parse(cut).expect_err("table is cut");
        assert_eq!(e.offset, 3044);
        assert!(e.message.contains("past the end"), "{e}");
    }

    #[test]
    fn truncated_in_the_middle_of_a_frame() {
        let moved = table_first(HTTP_LO_CAP);
        let file = parse(&moved).expect("relocated file parses");
        let offsets: Vec<usize> = file
            .frame_table
            .chunks_exact(4)
            .map(|e| read_u32(e, 0).expect("entry") as usize)
            .collect();
        // Cut 20 bytes into the data of frame 10.
        let frame10 = offsets[9];
        let cut = &moved[..frame10 + 16 + 20];
        let file = parse(cut).expect("table is intact");
        assert_eq!(file.frame_count(), 24);
        let records = collect(&file);
        assert!(records[..9].iter().all(Result::is_ok));
        let e = records[9].as_ref().expect_err("frame 10 is cut");
        assert_eq!(e.offset, (frame10 + 16) as u64);
        assert!(e.message.starts_with("frame 10:"), "{e}");
        // Later frames start past the cut: each error names that frame's own offset.
        for (i, r) in records.iter().enumerate().skip(10) {
            let e = r.as_ref().expect_err("frame beyond the cut");
            assert_eq!(e.offset, offsets[i] as u64);
        }
        // Cutting inside a frame header is reported at the frame's start.
        let cut = &moved[..offsets[3] + 5];
        let records = collect(&parse(cut).expect("table intact"));
        assert_eq!(records.iter().filter(|r| r.is_ok()).count(), 3);
        assert_eq!(
            records[3].as_ref().expect_err("cut").offset,
            offsets[3] as u64
        );
    }

    #[test]
    fn frame_table_entry_past_the_end() {
        let mut cap = HTTP_LO_CAP.to_vec();
        let entry5 = 3044 + 4 * 4;
        put_u32(&mut cap, entry5, 0xFFFF_FFF0);
        // Entry 6: the header fits, the 74+ data bytes do not.
        let near_end = cap.len() as u32 - 20;
        put_u32(&mut cap, entry5 + 4, near_end);
        let file = parse(&cap).expect("header and table are fine");
        let records = collect(&file);
        assert_eq!(records.len(), 24);
        assert_eq!(records.iter().filter(|r| r.is_ok()).count(), 22);
        assert_eq!(records[4].as_ref().expect_err("bad").offset, 0xFFFF_FFF0);
        assert_eq!(
            records[5].as_ref().expect_err("bad").offset,
            u64::from(near_end) + 16
        );
        assert_eq!(records[6].as_ref().expect("good").data.len(), 66);
    }

    #[test]
    fn frame_table_entry_into_the_header() {
        let mut cap = HTTP_LO_CAP.to_vec();
        put_u32(&mut cap, 3044, 4);
        let records = collect(&parse(&cap).expect("parses"));
        let e = records[0].as_ref().expect_err("points into header");
        assert_eq!(e.offset, 4);
        assert!(records[1..].iter().all(Result::is_ok));
    }

    #[test]
    fn huge_or_malformed_frame_table_in_header() {
        let mut cap = HTTP_LO_CAP.to_vec();
        put_u32(&mut cap, 28, 0xFFFF_FFFC);
        let e = parse(&cap).expect_err("huge table");
        assert_eq!(e.offset, 3044);

        let mut cap = HTTP_LO_CAP.to_vec();
        put_u32(&mut cap, 24, 0xFFFF_FFFF);
        put_u32(&mut cap, 28, 0xFFFF_FFFC);
        assert_eq!(parse(&cap).expect_err("table far away").offset, 0xFFFF_FFFF);

        let mut cap = HTTP_LO_CAP.to_vec();
        put_u32(&mut cap, 28, 95);
        assert_eq!(parse(&cap).expect_err("odd length").offset, 28);

        let mut cap = HTTP_LO_CAP.to_vec();
        put_u32(&mut cap, 28, 0);
        let file = parse(&cap).expect("empty table is an empty capture");
        assert_eq!(file.frame_count(), 0);
        assert_eq!(file.records().count(), 0);
    }

    #[test]
    fn empty_short_and_foreign_inputs() {
        assert_eq!(parse(b"").expect_err("empty").offset, 0);
        assert_eq!(parse(b"GMBU\x00\x02").expect_err("short header").offset, 6);
        assert_eq!(parse(&HTTP_LO_CAP[..31]).expect_err("short").offset, 31);
        let e = parse(HTTP_LO_PCAP).expect_err("pcap");
        assert_eq!(e.offset, 0);
        let mut rtss = HTTP_LO_CAP.to_vec();
        rtss[..4].copy_from_slice(b"RTSS");
        assert!(parse(&rtss).expect_err("1.x").message.contains("1.x"));
        let mut v3 = HTTP_LO_CAP.to_vec();
        v3[5] = 3;
        assert_eq!(parse(&v3).expect_err("major 3").offset, 5);
    }

    #[test]
    fn maps_media_types_per_frame_and_continues_after_bad_ones() {
        let eth = pcap_frames(HTTP_LO_PCAP)[0].2.to_vec();
        let ip = eth[14..].to_vec();
        let frame = |offset_us, data: &Vec<u8>, trailer| Frame {
            offset_us,
            orig_len: data.len() as u32,
            data: data.clone(),
            trailer,
        };
        let cap = build(
            1,
            1,
            &[
                frame(0, &eth, media(0)),
                frame(1, &ip, media(0xE000 | 101)),
                frame(2, &ip, media(0xE000 | 228)),
                frame(3, &eth, media(0xE000 | 276)),
                frame(4, &ip, media(9)),
                frame(5, &eth, media(6)),
                frame(6, &b"filter".to_vec(), media(0xFFFF)),
                frame(7, &b"event".to_vec(), media(0xFFE0)),
                frame(8, &eth, media(0x1234)),
                frame(9, &eth, media(0xE080)),
                frame(10, &eth, media(0xE083)),
                frame(11, &eth, media(1)),
            ],
        );
        let file = parse(&cap).expect("parses");
        let got: Vec<Result<u32, u64>> = file
            .records()
            .map(|r| r.map(|r| r.linktype).map_err(|e| e.offset))
            .collect();
        let lt: Vec<Option<u32>> = got.iter().map(|r| r.as_ref().ok().copied()).collect();
        assert_eq!(
            lt,
            [
                Some(linktype::ETHERNET),
                Some(linktype::RAW),
                Some(linktype::IPV4),
                Some(linktype::LINUX_SLL2),
                Some(linktype::RAW),
                None,
                Some(LINKTYPE_NETMON_METADATA),
                Some(LINKTYPE_NETMON_METADATA),
                None,
                Some(LINKTYPE_IEEE802_11),
                None,
                Some(linktype::ETHERNET),
            ]
        );
        // The error for the 802.11-with-NetMon-header frame points at its trailer.
        let frame6_trailer = read_u32(&cap, read_u32(&cap, 24).expect("t") as usize + 20)
            .expect("entry") as u64
            + 16
            + eth.len() as u64;
        assert_eq!(got[5], Err(frame6_trailer));
        let records = collect(&file);
        assert_eq!(
            records[11].as_ref().expect("ok").ts_ns,
            BUILD_START_NS + 11_000
        );
        assert_eq!(records[6].as_ref().expect("ok").data, b"filter");
    }

    #[test]
    fn header_mac_type_applies_to_version_2_0() {
        let data = vec![0x45u8; 40];
        let f = Frame {
            offset_us: 1_500_000,
            orig_len: 60,
            data,
            trailer: Vec::new(),
        };
        let cap = build(0, 9, &[f]);
        let rec = parse(&cap)
            .expect("ok")
            .records()
            .next()
            .expect("one")
            .expect("good");
        assert_eq!(rec.linktype, linktype::RAW);
        assert_eq!(rec.orig_len, 60);
        assert_eq!(rec.ts_ns, BUILD_START_NS + 1_500_000_000);

        let cap = build(0, 6, &[]);
        assert_eq!(parse(&cap).expect_err("802.11 netmon").offset, 6);
        // For 2.1+ the header MAC type is ignored.
        assert!(parse(&build(1, 6, &[])).is_ok());
    }

    #[test]
    fn version_2_3_prefers_the_utc_filetime() {
        // 2024-01-02T03:04:05.1234567Z as FILETIME.
        let unix_100ns: u64 = 1_704_164_645 * 10_000_000 + 1_234_567;
        let filetime = FILETIME_UNIX_EPOCH + unix_100ns;
        let f = |offset_us, trailer| Frame {
            offset_us,
            orig_len: 4,
            data: vec![1, 2, 3, 4],
            trailer,
        };
        let cap = build(
            3,
            1,
            &[
                f(7, trailer_2_3(1, filetime)),
                f(8, trailer_2_3(1, 0)),
                f(9, trailer_2_3(1, u64::MAX)),
                f(10, trailer_2_3(1, 1)),
            ],
        );
        let records = collect(&parse(&cap).expect("ok"));
        assert_eq!(
            records[0].as_ref().expect("ok").ts_ns,
            1_704_164_645_123_456_700
        );
        assert_eq!(
            records[1].as_ref().expect("ok").ts_ns,
            BUILD_START_NS + 8_000
        );
        assert!(records[2].is_err());
        // 100 ns after 1601-01-01 is before i64 nanoseconds can reach.
        assert!(records[3].is_err());

        // A 2.3 trailer that does not fit is an error at the end of the frame data.
        let moved = table_first(&build(3, 1, &[f(0, trailer_2_3(1, filetime))]));
        let records = collect(&parse(&moved[..moved.len() - 5]).expect("table intact"));
        let e = records[0].as_ref().expect_err("trailer cut");
        assert_eq!(e.offset, 128 + 4 + 16 + 4);
        assert!(e.message.contains("trailer"), "{e}");
    }

    #[test]
    fn a_frame_table_aliasing_one_frame_reads_it_once() {
        let big = Frame {
            offset_us: 0,
            orig_len: 1000,
            data: vec![0x45; 1000],
            trailer: Vec::new(),
        };
        let small = Frame {
            offset_us: 5,
            orig_len: 60,
            data: vec![0x45; 60],
            trailer: Vec::new(),
        };
        let mut cap = build(0, 1, &[big, small]);
        // Rewrite the table as [frame 1, frame 1, frame 2, frame 1, frame 2]: entries 2, 4
        // and 5 point back at bytes already read.
        let table_offset = read_u32(&cap, 24).expect("table") as usize;
        let first = read_u32(&cap, table_offset).expect("entry 1");
        let second = read_u32(&cap, table_offset + 4).expect("entry 2");
        cap.truncate(table_offset);
        for entry in [first, first, second, first, second] {
            cap.extend_from_slice(&entry.to_le_bytes());
        }
        put_u32(&mut cap, 28, 20);
        let records = collect(&parse(&cap).expect("header parses"));
        let read: Vec<usize> = records
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|r| r.data.len()))
            .collect();
        assert_eq!(read, [1000, 60]);
        let errors: Vec<(u64, bool)> = records
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| (e.offset, e.message.contains("points back into frame")))
            .collect();
        assert_eq!(
            errors,
            [
                (u64::from(first), true),
                (u64::from(first), true),
                (u64::from(second), true)
            ]
        );
        assert!(
            records[1]
                .as_ref()
                .is_err_and(|e| e.message.starts_with("frame 2:"))
        );
    }

    #[test]
    fn header_time_edge_cases() {
        let f = |offset_us| Frame {
            offset_us,
            orig_len: 1,
            data: vec![0],
            trailer: Vec::new(),
        };
        // Negative offsets (two's complement) give frames before the nominal start.
        let cap = build(0, 1, &[f((-2_000i64) as u64), f(u64::MAX / 2)]);
        let records = collect(&parse(&cap).expect("ok"));
        assert_eq!(
            records[0].as_ref().expect("ok").ts_ns,
            BUILD_START_NS - 2_000_000
        );
        assert_eq!(records[1].as_ref().expect_err("overflow").offset, 128 + 17);

        // Month 13 makes the start time unusable: per-frame errors pointing at the header.
        let mut cap = build(0, 1, &[f(0), f(1)]);
        put_u16(&mut cap, 10, 13);
        let records = collect(&parse(&cap).expect("header still parses"));
        assert!(
            records
                .iter()
                .all(|r| r.as_ref().is_err_and(|e| e.offset == 8))
        );

        // Year 65535 overflows i64 nanoseconds; day 0 and hour 24 carry like mktime.
        let mut cap = build(0, 1, &[f(0)]);
        put_u16(&mut cap, 8, 65535);
        assert!(collect(&parse(&cap).expect("ok"))[0].is_err());
        let mut cap = build(0, 1, &[f(0)]);
        put_u16(&mut cap, 14, 0); // day 0 = last day of the previous month
        put_u16(&mut cap, 16, 24); // hour 24 (was 3) = 00:12 the next day
        let ts = collect(&parse(&cap).expect("ok"))[0]
            .as_ref()
            .expect("ok")
            .ts_ns;
        let hour_ns = 3_600_000_000_000;
        assert_eq!(ts, BUILD_START_NS - 22 * 24 * hour_ns + 21 * hour_ns);

        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
