//! The unit every capture reader produces: one stored frame, not yet decoded, with its
//! timestamp normalised to nanoseconds since the Unix epoch (UTC) and its link type named
//! by the pcap `LINKTYPE_*` registry (<https://www.tcpdump.org/linktypes.html>), plus the
//! error type readers use to say where a file went wrong.

use std::fmt;

/// pcap link-layer type numbers this project decodes (tcpdump.org link-layer header types).
pub mod linktype {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    /// IEEE 802.3 Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (the value some BSDs used instead of 101).
    pub const RAW_BSD: u32 = 12;
    /// Raw IP, version taken from the first nibble.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: u32 = 276;
}

/// One frame as stored in a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// Capture time in nanoseconds since 1970-01-01T00:00:00Z.
    pub ts_ns: i64,
    /// pcap `LINKTYPE_*` value of `data` (see [`linktype`]).
    pub linktype: u32,
    /// Length of the frame on the wire (may exceed `data.len()` when the snap length cut it).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

/// A problem in a capture file, located by byte offset from the start of that file
/// (or of the decompressed stream, for gzip and zip members).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub offset: u64,
    pub message: String,
}

impl FormatError {
    pub fn new(offset: u64, message: impl Into<String>) -> Self {
        FormatError {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for FormatError {}
