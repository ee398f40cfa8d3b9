//! The report: one serde structure, the JSON contract of `REPORT.md` (`schema: rdptriage/1`),
//! and its renderings — JSON, JSON Lines and the terminal table ([`text`]).
//!
//! Field names here are a contract with scripts and dashboards: add fields, never rename or
//! remove them. Absent facts are `null` or `[]`, never guessed.

pub mod compact;
pub mod html;
pub mod markdown;
pub mod pretty;
pub mod spill;
mod story;
pub mod text;

use serde::{Deserialize, Serialize};

pub use crate::model::{AttemptId, ConnId, EventRef};
use crate::model::{
    Cause, Confidence, Evidence, Party, Severity, Stage, Status, Transport, Verdict,
};

pub const SCHEMA: &str = "rdptriage/1";

/// A block written as compact JSON wherever it stands, as the report has always written a
/// connection's negotiation, TLS, MCS and message blocks (one line each, inside the pretty
/// report).
struct Compact<'a, T: Serialize>(&'a T);

impl<T: Serialize> Serialize for Compact<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::value::to_raw_value(self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub inputs: Vec<InputReport>,
    pub connections: Vec<ConnectionReport>,
    /// Catalog events of the Windows event logs read, by time, then input, then record id.
    pub events: Vec<EventReport>,
    /// What went wrong, one per failed connection attempt and per problem a log shows that
    /// no capture covers (`diagnose::rules`).
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    /// Per log host: how far its clock is from the captures' (`correlate::join_events`).
    pub clock_offsets: Vec<ClockOffset>,
    /// Per server, client address and session: the catalog events in time order and what is
    /// missing from them (`correlate::timeline`).
    pub timelines: Vec<TimelineReport>,
}

/// One conclusion: a cause, how sure, the evidence that proves it and the fix.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub cause: Cause,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One sentence a support engineer can paste into a ticket.
    pub summary: String,
    /// The connection attempt (`a1`…), for findings from captures.
    pub attempt: Option<String>,
    pub connections: Vec<String>,
    /// `input#record_id` of the events that belong to it.
    pub events: Vec<String>,
    /// `frame N: …` and `input#record_id: …` lines.
    pub evidence: Vec<String>,
    pub remediation: Vec<String>,
    pub collect_next: Vec<String>,
}

/// How far one log host's clock is from the captures', from events joined to connections by
/// address and port (`offset_ms` = event time − capture time).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClockOffset {
    pub computer: String,
    pub offset_ms: f64,
    /// How many event/connection pairs gave it.
    pub pairs: usize,
}

/// One catalog event of a Windows event log (`eventlog::catalog`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct EventReport {
    /// Shared by every event of the input (and by its timeline entries).
    pub input: std::sync::Arc<str>,
    pub record_id: u64,
    /// Shared with the event's timeline entry.
    pub time: std::sync::Arc<str>,
    /// The computer, channel and provider are shared by the events that name the same ones
    /// (a log holds few).
    pub computer: std::sync::Arc<str>,
    pub channel: std::sync::Arc<str>,
    pub provider: std::sync::Arc<str>,
    pub id: u32,
    /// The catalog's short name (`nla_failed`, `logon_failed`…).
    pub name: &'static str,
    /// Where Windows logs it: `server`, `client` or `dc`.
    pub side: &'static str,
    /// Shared with the event's timeline entry.
    pub summary: std::sync::Arc<str>,
    pub fields: crate::eventlog::fields::Fields,
    /// Readings of coded fields (`Status` → `STATUS_LOGON_FAILURE: …`).
    pub decoded: crate::eventlog::fields::Fields,
    /// `System/Correlation@ActivityID`, when the event has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    #[serde(skip)]
    pub time_ns: i64,
}

impl EventReport {
    /// How findings name the event: `input#record_id`.
    pub fn reference(&self) -> String {
        self.event_ref().to_string()
    }

    /// The event's name in findings and timelines, without writing it out.
    pub fn event_ref(&self) -> EventRef {
        EventRef {
            input: self.input.clone(),
            record_id: self.record_id,
        }
    }
}

/// The events of one session (or one attempt that never got a session) on one server.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TimelineReport {
    pub server: String,
    /// The client's address as the events give it (`LOCAL` for the console), or null.
    pub client: Option<String>,
    pub session: Option<String>,
    pub user: Option<String>,
    pub start: std::sync::Arc<str>,
    pub end: std::sync::Arc<str>,
    /// Client-side timelines (RDPClient/Operational: `server` is the name typed, `client` the
    /// computer) end `session`, `connected`, `client_failed` or `connecting`.
    /// `session` (a session was created, or session events were seen), `nla_failed`, `logon_failed`, `authenticated`
    /// (authentication passed, no session seen), `connected` (a connection, nothing after).
    pub outcome: &'static str,
    pub events: Vec<TimelineEntry>,
    /// What the events lack, said plainly ("131 and 140 without 1149: NLA failed").
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TimelineEntry {
    pub time: std::sync::Arc<str>,
    pub id: u32,
    pub name: &'static str,
    /// `input#record_id` of the event in `events`.
    pub event: EventRef,
    pub summary: std::sync::Arc<str>,
}

/// One file (or archive member) read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputReport {
    pub path: String,
    /// `pcap`, `pcapng`, `netmon`, `evtx`, `evtx-xml` or `unknown`.
    pub kind: String,
    /// How the bytes reached the reader: `file`, `gzip`, `zip`, or a chain such as `zip/gzip`.
    pub container: String,
    /// Frames read.
    pub packets: u64,
    /// Catalog events read (event logs).
    pub events: u64,
    /// Event log records outside the catalog: counted, not listed.
    pub events_outside_catalog: u64,
    /// Event log records that could not be read (skipped; the warnings name them).
    pub corrupt_records: u64,
    /// Catalog events per channel and id.
    pub event_counts: Vec<crate::eventlog::IdCount>,
    /// Records outside the catalog per channel and id.
    pub outside_catalog: Vec<crate::eventlog::IdCount>,
    /// True when the file was recognised but not analysed; `skipped_reason` says why.
    pub skipped: bool,
    pub skipped_reason: Option<String>,
    pub warnings: Vec<String>,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub stats: Option<CaptureStats>,
    /// Failed DNS lookups (NXDOMAIN, SERVFAIL, no answer) and Kerberos errors anywhere in the
    /// capture, the first 200: they may explain a connection that never started.
    pub side_failures: Vec<crate::handshake::side::SideEvent>,
}

/// What a capture contained, counted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CaptureStats {
    pub bytes: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub ip_fragments: u64,
    pub tcp_packets: u64,
    pub udp_packets: u64,
    pub icmp_packets: u64,
    pub non_ip_frames: u64,
    pub undecodable_frames: u64,
    /// Link types not decoded, with their frame counts.
    pub unsupported_link_types: Vec<LinkTypeCount>,
    pub tcp_connections: u64,
    pub rdp_connections: u64,
    pub udp_packets_rdp_port: u64,
    pub icmp_errors_unmatched: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkTypeCount {
    pub link_type: u32,
    pub frames: u64,
}

/// One RDP connection.
///
/// What every consumer reads (addresses, times, verdict, attempt) is held here, in a compact
/// form of about 140 bytes and no allocation of its own, so that a run holds millions of
/// connections in a few hundred MB: addresses and times are numbers written out when printed,
/// the fixed words and the input's name are small codes (`report::compact`), the rare DNS and
/// Kerberos events sit behind one pointer. The summary and the handshake detail (stages,
/// negotiation, TLS, MCS, messages, network counters) sit behind [`ConnectionReport::detail`],
/// in memory or, once a run holds many connections, in the spill file (`report::spill`). The
/// JSON is the same either way.
#[derive(Clone, Debug)]
pub struct ConnectionReport {
    pub id: ConnId,
    /// The input's name: read it with [`ConnectionReport::input`].
    pub input: compact::Name,
    pub transport: Transport,
    pub client: crate::capture::decode::Endpoint,
    pub server: crate::capture::decode::Endpoint,
    pub first_frame: u64,
    pub last_frame: u64,
    /// False when the connection has no times (`start` and `end` are then null).
    pub timed: bool,
    /// Null while the stages after TCP are not judged.
    pub verdict: Option<Verdict>,
    pub reached: Option<Stage>,
    pub failed_stage: Option<Stage>,
    pub cause: Option<Cause>,
    /// How sure the verdict is: `high` when the stage that decided it was read in clear,
    /// `medium` when it was inferred from encrypted records.
    pub confidence: Option<Confidence>,
    /// The connection attempt this connection belongs to (`a1`…): retries and fallbacks of
    /// one "Connect" share it.
    pub attempt: Option<AttemptId>,
    /// How many connections the attempt has, and this one's place in it (1-based).
    pub attempt_connections: u32,
    pub attempt_index: u32,
    /// A later connection of the same attempt that got further than this one.
    pub superseded_by: Option<ConnId>,
    pub start_ns: i64,
    pub end_ns: i64,
    /// DNS lookups and Kerberos errors around the connection, when there are any: read them
    /// with [`ConnectionReport::dns`] and [`ConnectionReport::kerberos`].
    pub side: Option<Box<SideLists>>,
    /// The summary and handshake detail, held or spilled: read them with
    /// [`ConnectionReport::detail`] and [`ConnectionReport::summary`].
    pub detail: spill::Detail,
}

/// The DNS and Kerberos events of one connection.
#[derive(Clone, Debug, Default)]
pub struct SideLists {
    /// DNS lookups by this client before the connection: the one that gave the server's
    /// address, and any that failed.
    pub dns: Vec<crate::handshake::side::SideEvent>,
    /// Kerberos errors sent to this client around the connection.
    pub kerberos: Vec<crate::handshake::side::SideEvent>,
}

impl ConnectionReport {
    /// The connection's handshake detail: borrowed when held, read back from the spill file
    /// when spilled.
    pub fn detail(&self) -> std::borrow::Cow<'_, ConnectionDetail> {
        self.detail.get()
    }

    /// The name of the input the connection was read from.
    pub fn input(&self) -> &'static str {
        self.input.get()
    }

    /// DNS lookups by this client before the connection: the one that gave the server's
    /// address, and any that failed.
    pub fn dns(&self) -> &[crate::handshake::side::SideEvent] {
        self.side.as_deref().map_or(&[], |s| &s.dns)
    }

    /// Kerberos errors sent to this client around the connection.
    pub fn kerberos(&self) -> &[crate::handshake::side::SideEvent] {
        self.side.as_deref().map_or(&[], |s| &s.kerberos)
    }

    /// The DNS and Kerberos lists, to add to.
    pub fn side_mut(&mut self) -> &mut SideLists {
        self.side.get_or_insert_with(Default::default)
    }

    /// When the first frame was captured (RFC 3339 UTC), or null.
    pub fn start(&self) -> Option<String> {
        self.timed.then(|| rfc3339(self.start_ns))
    }

    /// When the last frame was captured (RFC 3339 UTC), or null.
    pub fn end(&self) -> Option<String> {
        self.timed.then(|| rfc3339(self.end_ns))
    }

    /// One line a person reads first (read from the detail: see [`Self::summary_of`]).
    pub fn summary(&self) -> String {
        self.summary_of(&self.detail()).into_owned()
    }

    /// The summary, given the connection's detail already read: the judge's line, and, when
    /// a later connection of the same attempt got further, that it did.
    pub fn summary_of<'a>(&self, detail: &'a ConnectionDetail) -> std::borrow::Cow<'a, str> {
        match self.superseded_by {
            None => std::borrow::Cow::Borrowed(&detail.summary),
            Some(later) => std::borrow::Cow::Owned(format!(
                "{} (the client tried again: {later}, of the same attempt, got further)",
                detail.summary
            )),
        }
    }
}

/// A connection's summary and handshake detail: the heavy part of its report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConnectionDetail {
    /// The judge's one line (`ConnectionReport::summary` adds what the attempt tells).
    pub summary: String,
    pub stages: Vec<StageReport>,
    pub negotiation: Option<crate::handshake::facts::Negotiation>,
    pub tls: Option<crate::handshake::facts::TlsFacts>,
    /// MCS/GCC in clear (Standard RDP Security): client name, build, keyboard, channels, the
    /// server's encryption and certificate.
    pub mcs: Option<crate::handshake::facts::McsFacts>,
    /// The handshake as a message sequence (`handshake::messages`: frame, ms since the first
    /// frame, from `client|server|network`, label, count), for connections that did not end
    /// `ok`; null for those that did.
    pub messages: Option<Vec<crate::handshake::messages::Message>>,
    pub network: NetworkReport,
}

impl Serialize for ConnectionReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let detail = self.detail();
        let mut st = s.serialize_struct("ConnectionReport", 27)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("input", self.input())?;
        st.serialize_field("transport", &self.transport)?;
        st.serialize_field("client", &Shown(&self.client))?;
        st.serialize_field("server", &Shown(&self.server))?;
        st.serialize_field("first_frame", &self.first_frame)?;
        st.serialize_field("last_frame", &self.last_frame)?;
        st.serialize_field("start", &self.start())?;
        st.serialize_field("end", &self.end())?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("reached", &self.reached)?;
        st.serialize_field("failed_stage", &self.failed_stage)?;
        st.serialize_field("cause", &self.cause)?;
        st.serialize_field("confidence", &self.confidence)?;
        st.serialize_field("summary", &self.summary_of(&detail))?;
        st.serialize_field("attempt", &self.attempt)?;
        st.serialize_field("attempt_connections", &self.attempt_connections)?;
        st.serialize_field("attempt_index", &self.attempt_index)?;
        st.serialize_field("superseded_by", &self.superseded_by)?;
        st.serialize_field("stages", &detail.stages)?;
        st.serialize_field("negotiation", &Compact(&detail.negotiation))?;
        st.serialize_field("dns", self.dns())?;
        st.serialize_field("kerberos", self.kerberos())?;
        st.serialize_field("tls", &Compact(&detail.tls))?;
        st.serialize_field("mcs", &Compact(&detail.mcs))?;
        st.serialize_field("messages", &Compact(&detail.messages))?;
        st.serialize_field("network", &detail.network)?;
        st.end()
    }
}

/// A value serialized as the string its `Display` writes (an endpoint as `10.0.0.5:50123`).
struct Shown<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageReport {
    pub stage: Stage,
    pub status: Status,
    pub frames: Vec<u64>,
    pub note: Option<String>,
    /// Null for stages not reached.
    pub evidence: Option<Evidence>,
}

/// TCP-level health of a connection.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NetworkReport {
    pub syn_retries: u32,
    pub synack_retries: u32,
    /// Retransmitted data segments, both directions (Wireshark's count: includes
    /// `capture_duplicates`).
    pub retransmissions: u64,
    /// Retransmissions that are one packet captured twice (same IPv4 identification): not loss.
    pub capture_duplicates: u64,
    pub out_of_order: u64,
    /// "Previous segment not captured" events, both directions.
    pub gaps: u64,
    /// Bytes of sequence space never captured, both directions.
    pub missed_bytes: u64,
    pub duplicate_acks: u64,
    pub zero_windows: u64,
    pub keep_alives: u64,
    pub rtt_ms: Option<f64>,
    pub mss_client: Option<u16>,
    pub mss_server: Option<u16>,
    pub reset_by: Option<Party>,
    pub reset_frame: Option<u64>,
    pub closed_by: Option<Party>,
    pub close_frame: Option<u64>,
    pub icmp: Vec<IcmpReport>,
    pub client: DirectionReport,
    pub server: DirectionReport,
    /// How client and server were told apart: `syn`, `syn_ack`, `rdp_port`, `payload`, `lower_port`.
    pub roles_from: crate::tcp::RoleSource,
    /// True when the capture began after the connection's handshake.
    pub mid_stream: bool,
}

/// Counters of one direction, named after the side that sent the packets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DirectionReport {
    pub packets: u64,
    pub payload_bytes: u64,
    pub retransmissions: u64,
    pub capture_duplicates: u64,
    pub out_of_order: u64,
    pub gaps: u64,
    pub missed_bytes: u64,
    pub duplicate_acks: u64,
    pub zero_windows: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IcmpReport {
    pub frame: u64,
    pub time: String,
    pub from: String,
    /// e.g. `destination unreachable: port unreachable`.
    pub message: String,
    pub icmp_type: u8,
    pub code: u8,
    /// Whose packet the error quoted.
    pub about: Party,
}

pub use crate::model::time::rfc3339;

impl Report {
    /// The report as pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes,
    /// with every array (connections and events are most of a large report) serialized in
    /// parallel a window at a time: memory holds one window's text, never the whole report's.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        /// `value` pretty-printed as the member of an object or array at `depth`, straight
        /// into `out` (serde_json's pretty printer started at that depth).
        fn nested<T: Serialize>(value: &T, depth: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
            let mut ser =
                serde_json::Serializer::with_formatter(out, pretty::NestedPretty::at(depth));
            value.serialize(&mut ser).map_err(std::io::Error::other)
        }
        fn field<T: Serialize>(
            w: &mut dyn std::io::Write,
            name: &str,
            value: &T,
            last: bool,
        ) -> std::io::Result<()> {
            let mut text = Vec::new();
            nested(value, 1, &mut text)?;
            write!(w, "  {}: ", serde_json::to_string(name)?)?;
            w.write_all(&text)?;
            w.write_all(if last { b"\n" } else { b",\n" })
        }
        /// An array member, its items serialized a window at a time in parallel (64 items to
        /// a task, each straight into its task's buffer) and put out in order: memory holds
        /// one window's text, never the whole array's.
        fn array<T: Serialize + Sync>(
            w: &mut dyn std::io::Write,
            name: &str,
            items: &[T],
            last: bool,
        ) -> std::io::Result<()> {
            const WINDOW: usize = 2048;
            const TASK: usize = 64;
            write!(w, "  {}: ", serde_json::to_string(name)?)?;
            if items.is_empty() {
                w.write_all(b"[]")?;
            } else {
                w.write_all(b"[\n")?;
                for (k, window) in items.chunks(WINDOW).enumerate() {
                    let texts: Vec<std::io::Result<Vec<u8>>> = window
                        .par_chunks(TASK)
                        .enumerate()
                        .map(|(j, task)| {
                            let mut out = Vec::new();
                            for (i, c) in task.iter().enumerate() {
                                if k > 0 || j > 0 || i > 0 {
                                    out.extend_from_slice(b",\n");
                                }
                                out.extend_from_slice(b"    ");
                                nested(c, 2, &mut out)?;
                            }
                            Ok(out)
                        })
                        .collect();
                    for t in texts {
                        w.write_all(&t?)?;
                    }
                }
                w.write_all(b"\n  ]")?;
            }
            w.write_all(if last { b"\n" } else { b",\n" })
        }
        w.write_all(b"{\n")?;
        field(w, "schema", &self.schema, false)?;
        array(w, "inputs", &self.inputs, false)?;
        array(w, "connections", &self.connections, false)?;
        array(w, "events", &self.events, false)?;
        array(w, "findings", &self.findings, false)?;
        array(w, "warnings", &self.warnings, false)?;
        array(w, "clock_offsets", &self.clock_offsets, false)?;
        array(w, "timelines", &self.timelines, true)?;
        w.write_all(b"}\n")
    }

    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// JSON Lines: one object per input, connection, event, timeline, finding and warning, each with
    /// its `type` first. Each list is written a window at a time, its lines serialized in
    /// parallel (as `write_json` does): memory holds one window's text, never the whole list's.
    pub fn write_jsonl(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        #[derive(Serialize)]
        struct Line<'a, T: Serialize> {
            r#type: &'a str,
            #[serde(flatten)]
            item: &'a T,
        }
        #[derive(Serialize)]
        struct Message<'a> {
            message: &'a str,
        }
        fn lines<T: Serialize + Sync>(
            w: &mut dyn std::io::Write,
            kind: &str,
            items: &[T],
        ) -> std::io::Result<()> {
            const WINDOW: usize = 2048;
            const TASK: usize = 64;
            for window in items.chunks(WINDOW) {
                let texts: Vec<std::io::Result<Vec<u8>>> = window
                    .par_chunks(TASK)
                    .map(|task| {
                        let mut out = Vec::new();
                        for item in task {
                            serde_json::to_writer(&mut out, &Line { r#type: kind, item })?;
                            out.push(b'\n');
                        }
                        Ok(out)
                    })
                    .collect();
                for t in texts {
                    w.write_all(&t?)?;
                }
            }
            Ok(())
        }
        lines(w, "input", &self.inputs)?;
        lines(w, "connection", &self.connections)?;
        lines(w, "event", &self.events)?;
        lines(w, "timeline", &self.timelines)?;
        lines(w, "finding", &self.findings)?;
        let messages: Vec<Message> = self
            .warnings
            .iter()
            .map(|m| Message { message: m })
            .collect();
        lines(w, "warning", &messages)
    }

    pub fn to_jsonl(&self) -> String {
        let mut out = Vec::new();
        let _ = self.write_jsonl(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A refused connection with one held stage: what unit tests build reports from.
#[cfg(test)]
pub(crate) fn sample_connection(id: &str) -> ConnectionReport {
    ConnectionReport {
        id: ConnId(id.trim_start_matches('c').parse().unwrap_or(0)),
        input: compact::Name::of("a \"quoted\"\npath.pcap"),
        transport: Transport::Tcp,
        client: "10.0.0.5:50123".parse().expect("endpoint"),
        server: "10.0.0.9:3389".parse().expect("endpoint"),
        first_frame: 1,
        last_frame: 9,
        timed: false,
        verdict: Some(Verdict::Failed),
        reached: None,
        failed_stage: Some(Stage::Tcp),
        cause: Some(Cause::TcpRefused),
        confidence: Some(Confidence::High),
        attempt: None,
        attempt_connections: 1,
        attempt_index: 1,
        superseded_by: None,
        start_ns: 0,
        end_ns: 0,
        side: None,
        detail: spill::Detail::held(ConnectionDetail {
            summary: "refused".into(),
            stages: vec![StageReport {
                stage: Stage::Tcp,
                status: Status::Failed,
                frames: vec![1, 2],
                note: None,
                evidence: Some(Evidence::Clear),
            }],
            negotiation: Some(crate::handshake::facts::Negotiation {
                requested: Some(vec![]),
                ..Default::default()
            }),
            tls: None,
            mcs: None,
            messages: None,
            network: NetworkReport::default(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_written_in_parallel_is_what_serde_writes() {
        let conn = sample_connection;
        for n in [0usize, 1, 3, 2049] {
            let report = Report {
                schema: SCHEMA,
                connections: (0..n).map(|i| conn(&format!("c{i}"))).collect(),
                events: (0..n)
                    .map(|i| EventReport {
                        record_id: i as u64,
                        fields: [("a\"b".to_string(), "x\ny".to_string())].into(),
                        ..Default::default()
                    })
                    .collect(),
                findings: vec![
                    Finding {
                        cause: Cause::TcpRefused,
                        severity: Severity::Error,
                        confidence: Confidence::High,
                        summary: "s".into(),
                        attempt: None,
                        connections: vec![],
                        events: vec![],
                        evidence: vec![],
                        remediation: vec![],
                        collect_next: vec![],
                    };
                    n.min(3)
                ],
                warnings: vec!["w".into()],
                ..Default::default()
            };
            let mut ours = Vec::new();
            report.write_json(&mut ours).expect("write");
            let mut serde = serde_json::to_vec_pretty(&report).expect("serde");
            serde.push(b'\n');
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde).unwrap(),
                "{n}"
            );
            // JSON Lines, windows in parallel: each line is serde_json's object with its type
            // first, in the report's order.
            let lines = report.to_jsonl();
            let mut expected = String::new();
            let typed = |kind: &str, v: serde_json::Value| {
                let mut line = serde_json::Map::new();
                line.insert("type".into(), kind.into());
                line.extend(v.as_object().expect("an object").clone());
                serde_json::to_string(&line).expect("serde") + "\n"
            };
            for c in &report.connections {
                expected += &typed("connection", serde_json::to_value(c).unwrap());
            }
            for e in &report.events {
                expected += &typed("event", serde_json::to_value(e).unwrap());
            }
            for f in &report.findings {
                expected += &typed("finding", serde_json::to_value(f).unwrap());
            }
            expected += &typed("warning", serde_json::json!({"message": "w"}));
            assert_eq!(lines, expected, "{n}");
            assert_eq!(lines.lines().count(), 2 * n + n.min(3) + 1);
        }
    }

    #[test]
    fn compact_head_fields_print_as_the_report_names_them() {
        assert_eq!(ConnId(12).to_string(), "c12");
        assert_eq!(AttemptId(3).to_string(), "a3");
        assert_eq!(ConnId::parse("c12"), Some(ConnId(12)));
        assert_eq!(ConnId::parse("a12"), None);
        assert_eq!(ConnId::parse("c"), None);
        let mut c = sample_connection("c4");
        c.attempt = Some(AttemptId(2));
        c.start_ns = 1_234_567_890_123_456_789;
        c.end_ns = c.start_ns + 1_000;
        assert_eq!((c.start(), c.end()), (None, None));
        c.timed = true;
        assert_eq!(c.start().as_deref(), Some("2009-02-13T23:31:30.123456Z"));
        assert_eq!(c.end().as_deref(), Some("2009-02-13T23:31:30.123457Z"));
        assert_eq!(c.summary(), "refused");
        c.superseded_by = Some(ConnId(9));
        assert_eq!(
            c.summary(),
            "refused (the client tried again: c9, of the same attempt, got further)"
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["id"], "c4");
        assert_eq!(v["input"], "a \"quoted\"\npath.pcap");
        assert_eq!(v["start"], "2009-02-13T23:31:30.123456Z");
        assert_eq!(v["attempt"], "a2");
        assert_eq!(v["superseded_by"], "c9");
        assert_eq!(v["summary"], c.summary().as_str());
        c.attempt = None;
        c.superseded_by = None;
        c.timed = false;
        let v = serde_json::to_value(&c).unwrap();
        assert!(v["attempt"].is_null() && v["superseded_by"].is_null() && v["end"].is_null());
    }

    #[test]
    fn a_connection_head_stays_small() {
        // The head is what a run holds per connection (REPORT.md numbers: 144 bytes on
        // x86-64); a field added here multiplies by millions of connections.
        assert!(std::mem::size_of::<ConnectionReport>() <= 144);
        assert!(std::mem::size_of::<spill::Detail>() <= 16);
    }
}
