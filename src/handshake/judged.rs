//! A connection as the handshake floor read it: the compact head every later floor reads
//! (addresses, times, where it stopped, and the verdict, cause and attempt the later floors
//! fill in) and its [`ConnectionDetail`] (summary, stage outcomes, typed negotiation, TLS and
//! MCS facts, the message sequence, network counters), held in memory or spilled
//! ([`super::held`]). `diagnose::verdict` sets the verdict, cause and confidence from the
//! [`Break`] and `diagnose::words` the stage notes and summary from what the stages saw
//! (`observed::Seen`), `correlate` the attempt and the side traffic, `diagnose` reads it,
//! `report` writes it (`report::connection`: the report's `connections[]` entry).

use serde::{Deserialize, Serialize};

use super::nla_records::Mechanism;

use super::facts::{McsFacts, Negotiation, TlsFacts};
use super::held::Detail;
use super::messages::Message;
use super::observed::Seen;
use super::side::SideEvent;
use crate::model::time::rfc3339;
use crate::model::{
    AttemptId, Cause, Confidence, ConnId, Endpoint, Evidence, InputName, Party, Stage, Status,
    Transport, Verdict,
};
use crate::tcp::RoleSource;

/// Where a connection stopped short of a session, and what the capture shows of how: the
/// handshake's account of it, free of judgement (`diagnose::verdict` names its verdict and
/// cause from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Break {
    /// The stage in progress when it stopped.
    pub stage: Stage,
    pub stop: Stop,
    /// For a stage left unfinished (from `Stop::StillOpen` on): whose turn it was.
    pub waiting_for: Option<Party>,
}

impl Break {
    /// A stop at `stage` with nobody's turn in question.
    pub fn at(stage: Stage, stop: Stop) -> Break {
        Break {
            stage,
            stop,
            waiting_for: None,
        }
    }
}

/// What the capture shows at the point a connection stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stop {
    /// The server answered the SYN with a reset (RFC 9293 §3.5).
    SynReset,
    /// An ICMP or ICMPv6 error quoted the connection's SYN (RFC 792, RFC 4443).
    SynUnreachable,
    /// SYNs went unanswered for long enough to say so (a retry, or 3 s; 1 s for a connection
    /// no longer followed).
    SynUnanswered,
    /// The capture ends, or the connection was no longer followed, too soon after the SYN to
    /// say anything.
    SynTooRecent,
    /// Not an RDP attempt (`REPORT.md` `probe`): the client's first bytes are not an X.224
    /// Connection Request (MS-RDPBCGR 2.2.1.1), or its request names a scanner.
    NotRdp,
    /// The server answered with RDP_NEG_FAILURE (MS-RDPBCGR 2.2.1.2.2).
    NegotiationRefused,
    /// The server selected a protocol the client had not offered, or one the client then
    /// refused by leaving without starting it.
    SelectionNotOffered,
    /// A fatal TLS alert in clear (RFC 5246 §7.2).
    FatalAlert,
    /// The server answered the ClientHello with a plaintext X.224/MCS PDU instead of TLS.
    PlaintextAnswer,
    /// The client ended the connection right after the server's certificate.
    CertificateRefused,
    /// A server TSRequest read in clear carries an errorCode (MS-CSSP 2.2.1).
    CredsspError,
    /// Encrypted CredSSP records show the server refusing the client's authentication: an
    /// answer with room for an `errorCode` only, or TLS closed before any answer
    /// (`nla_records`).
    CredentialsRefused,
    /// The MCS Connect Response refused the connection (MS-RDPBCGR 2.2.1.4, T.125 result).
    McsRefused,
    /// The server sent an MCS Disconnect Provider Ultimatum (MS-RDPBCGR 2.2.2.3).
    ServerDisconnected,
    /// A stage left unfinished where the bytes read of a direction end (`--payload-cap`):
    /// the capture holds more, not read.
    PayloadCapped,
    /// A stage left unfinished, still open when the capture ends.
    StillOpen,
    /// Left unfinished, still open when the capture ends, after seconds without progress
    /// while segments were retransmitted.
    LossThenStillOpen,
    /// Left unfinished: loss (real retransmissions, gaps, bytes never seen), then an end.
    LossThenEnded,
    /// Left unfinished: nothing from the side whose turn it was for seconds, then an end.
    Silence,
    /// Left unfinished: one side closed or reset the connection.
    Ended,
    /// Not an RDP attempt (`REPORT.md` `probe`): the client connected and closed without
    /// a byte either way (a port check, a load balancer's health probe), or never
    /// acknowledged the SYN-ACK of its single SYN (a half-open SYN scan).
    Probe,
    /// Not an RDP attempt (`REPORT.md` `probe`): one SYN, never answered and never sent again
    /// though the capture went on (a scanner's SYN to a filtered port: a client's kernel
    /// sends it again within 1 to 3 s).
    SynOnce,
    /// Not an RDP attempt (`REPORT.md` `probe`): a SYN the server refused, or that got no
    /// answer, from a source sweeping ports at the time (`tcp::sweepers`), set once the
    /// whole capture was read (`diagnose::verdict::mark_sweeps`).
    Swept,
}

impl Stop {
    /// Every stop, in declaration order.
    pub const ALL: [Stop; 23] = [
        Stop::SynReset,
        Stop::SynUnreachable,
        Stop::SynUnanswered,
        Stop::SynTooRecent,
        Stop::NotRdp,
        Stop::NegotiationRefused,
        Stop::SelectionNotOffered,
        Stop::FatalAlert,
        Stop::PlaintextAnswer,
        Stop::CertificateRefused,
        Stop::CredsspError,
        Stop::CredentialsRefused,
        Stop::McsRefused,
        Stop::ServerDisconnected,
        Stop::PayloadCapped,
        Stop::StillOpen,
        Stop::LossThenStillOpen,
        Stop::LossThenEnded,
        Stop::Silence,
        Stop::Ended,
        Stop::Probe,
        Stop::SynOnce,
        Stop::Swept,
    ];
}

/// One RDP connection.
///
/// What every consumer reads (addresses, times, verdict, attempt) is held here, in a compact
/// form of about 140 bytes and no allocation of its own, so that a run holds millions of
/// connections in a few hundred MB: addresses and times are numbers written out when printed,
/// the words are one-byte enums and the input's name a small code (`model::InputName`), the rare DNS and
/// Kerberos events sit behind one pointer. The summary and the handshake detail (stages,
/// negotiation, TLS, MCS, messages, network counters) sit behind [`JudgedConnection::detail`],
/// in memory or, once a run holds many connections, in the spill file ([`super::held`]). The
/// JSON is the same either way.
#[derive(Clone, Debug)]
pub struct JudgedConnection {
    pub id: ConnId,
    /// The input's name: read it with [`JudgedConnection::input`].
    pub input: InputName,
    pub transport: Transport,
    pub client: Endpoint,
    pub server: Endpoint,
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
    /// Where it stopped short of a session (none when the session ran, or when nothing after
    /// TCP was judged); `diagnose::verdict` reads it.
    pub stop: Option<Break>,
    /// A later connection of the same attempt that got further than this one.
    pub superseded_by: Option<ConnId>,
    /// The security package of its CredSSP exchange inside TLS, named by the size of the
    /// client's first token (`nla_records`): which Kerberos errors around it can explain.
    pub nla_mechanism: Option<Mechanism>,
    pub start_ns: i64,
    pub end_ns: i64,
    /// DNS lookups and Kerberos errors around the connection, when there are any: read them
    /// with [`JudgedConnection::dns`] and [`JudgedConnection::kerberos`].
    pub side: Option<Box<SideLists>>,
    /// The summary and handshake detail, held or spilled: read them with
    /// [`JudgedConnection::detail`] (`diagnose::words::summary` for the summary as printed).
    pub detail: Detail,
}

/// What few connections have, behind one pointer: their DNS and Kerberos events, and how
/// decrypting them went.
#[derive(Clone, Debug, Default)]
pub struct SideLists {
    /// How decryption went, when secrets were given and the connection had a TLS handshake.
    pub decryption: Option<super::DecryptionOutcome>,
    /// DNS lookups by this client before the connection: the one that gave the server's
    /// address, and any that failed.
    pub dns: Vec<SideEvent>,
    /// Kerberos errors sent to this client around the connection.
    pub kerberos: Vec<SideEvent>,
    /// DNS lookups and Kerberos errors past those kept (`correlate::MAX_SIDE_EVENTS` each),
    /// counted.
    pub omitted: u64,
}

impl JudgedConnection {
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
    pub fn dns(&self) -> &[SideEvent] {
        self.side.as_deref().map_or(&[], |s| &s.dns)
    }

    /// Kerberos errors sent to this client around the connection.
    pub fn kerberos(&self) -> &[SideEvent] {
        self.side.as_deref().map_or(&[], |s| &s.kerberos)
    }

    /// How decryption went, when secrets were given and the connection had a TLS handshake.
    pub fn decryption(&self) -> Option<&super::DecryptionOutcome> {
        self.side.as_deref()?.decryption.as_ref()
    }

    /// DNS lookups and Kerberos errors around the connection past those kept, counted.
    pub fn side_omitted(&self) -> u64 {
        self.side.as_deref().map_or(0, |s| s.omitted)
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

    /// A Wireshark display filter that shows this connection's frames and nothing else: both
    /// addresses and ports, within its first and last frame (a later connection reusing the
    /// ports stays out). Frame numbers are the capture file's, as Wireshark counts them.
    pub fn display_filter(&self) -> String {
        let (ip, l4) = match (self.client.ip, self.transport) {
            (std::net::IpAddr::V4(_), Transport::Tcp) => ("ip.addr", "tcp.port"),
            (std::net::IpAddr::V4(_), Transport::Udp) => ("ip.addr", "udp.port"),
            (std::net::IpAddr::V6(_), Transport::Tcp) => ("ipv6.addr", "tcp.port"),
            (std::net::IpAddr::V6(_), Transport::Udp) => ("ipv6.addr", "udp.port"),
        };
        format!(
            "{ip}=={} && {l4}=={} && {ip}=={} && {l4}=={} && frame.number>={} && frame.number<={}",
            self.client.ip,
            self.client.port,
            self.server.ip,
            self.server.port,
            self.first_frame,
            self.last_frame
        )
    }
}

/// A connection's summary and handshake detail: the heavy part of its report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConnectionDetail {
    /// What the capture shows of the connection as a whole, in words (`diagnose::words`, from
    /// [`Self::seen`]; `diagnose::words::summary` adds what the attempt tells).
    pub summary: String,
    /// What the capture shows of the connection as a whole, typed (not kept when spilled:
    /// the words are).
    #[serde(skip)]
    pub seen: Option<Box<Seen>>,
    pub stages: Vec<StageOutcome>,
    /// CredSSP read in clear or decrypted; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credssp: Option<super::facts::CredsspFacts>,
    pub negotiation: Option<Negotiation>,
    pub tls: Option<TlsFacts>,
    /// MCS/GCC in clear (Standard RDP Security): client name, build, keyboard, channels, the
    /// server's encryption and certificate.
    pub mcs: Option<McsFacts>,
    /// The handshake as a message sequence (`handshake::messages`: frame, ms since the first
    /// frame, from `client|server|network`, label, count), for connections that did not end
    /// `ok`; null for those that did.
    pub messages: Option<Vec<Message>>,
    pub network: NetworkFacts,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageOutcome {
    pub stage: Stage,
    pub status: Status,
    pub frames: Vec<u64>,
    /// What the stage showed, in words (`diagnose::words`, from [`Self::seen`]).
    pub note: Option<String>,
    /// What the stage showed, typed (not kept when spilled: the words are).
    #[serde(skip)]
    pub seen: Option<Box<Seen>>,
    /// Null for stages not reached.
    pub evidence: Option<Evidence>,
}

/// TCP-level health of a connection.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NetworkFacts {
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
    /// The first `tcp::MAX_ICMP` ICMP errors quoting the connection's packets.
    pub icmp: Vec<IcmpError>,
    /// ICMP errors past those, counted (written only when some were).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub icmp_omitted: u32,
    pub client: DirectionCounts,
    pub server: DirectionCounts,
    /// How client and server were told apart: `syn`, `syn_ack`, `rdp_port`, `payload`, `lower_port`.
    pub roles_from: RoleSource,
    /// True when the capture began after the connection's handshake.
    pub mid_stream: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Counters of one direction, named after the side that sent the packets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DirectionCounts {
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
pub struct IcmpError {
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

#[cfg(test)]
/// A refused connection with one held stage: what unit tests build reports from.
pub(crate) fn sample_connection(id: &str) -> JudgedConnection {
    JudgedConnection {
        id: ConnId(id.trim_start_matches('c').parse().unwrap_or(0)),
        input: InputName::of("a \"quoted\"\npath.pcap"),
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
        nla_mechanism: None,
        stop: Some(Break::at(Stage::Tcp, Stop::SynReset)),
        start_ns: 0,
        end_ns: 0,
        side: None,
        detail: Detail::held(ConnectionDetail {
            summary: "refused".into(),
            seen: None,
            stages: vec![StageOutcome {
                stage: Stage::Tcp,
                status: Status::Failed,
                frames: vec![1, 2],
                note: None,
                seen: None,
                evidence: Some(Evidence::Clear),
            }],
            credssp: None,
            negotiation: Some(Negotiation {
                requested: Some(vec![]),
                ..Default::default()
            }),
            tls: None,
            mcs: None,
            messages: None,
            network: NetworkFacts::default(),
        }),
    }
}

/// `sample_connection` `c{id}` timed from `start` to `end` seconds after
/// 2026-11-22T03:12:39Z (what unit tests of attempts and findings build from).
#[cfg(test)]
fn sample_timed(id: u32, (start, end): (i64, i64)) -> JudgedConnection {
    const BASE_NS: i64 = 1_795_317_159_000_000_000;
    let mut c = sample_connection(&format!("c{id}"));
    c.timed = true;
    c.start_ns = BASE_NS + start * 1_000_000_000;
    c.end_ns = BASE_NS + end * 1_000_000_000;
    c
}

/// A timed sample connection that reached `reached` and failed with `cause`.
#[cfg(test)]
pub(crate) fn sample_failed(
    id: u32,
    span: (i64, i64),
    reached: Option<Stage>,
    cause: Cause,
) -> JudgedConnection {
    let mut c = sample_timed(id, span);
    c.reached = reached;
    c.cause = Some(cause);
    c
}

/// A timed sample connection whose session ran.
#[cfg(test)]
pub(crate) fn sample_session(id: u32, span: (i64, i64)) -> JudgedConnection {
    let mut c = sample_timed(id, span);
    c.verdict = Some(Verdict::Ok);
    c.reached = Some(Stage::Session);
    c.failed_stage = None;
    c.cause = None;
    c.stop = None;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_head_fields_print_as_the_report_names_them() {
        assert_eq!(ConnId(12).to_string(), "c12");
        assert_eq!(AttemptId(3).to_string(), "a3");
        assert_eq!(ConnId::parse("c12"), Some(ConnId(12)));
        assert_eq!(ConnId::parse("a12"), None);
        assert_eq!(ConnId::parse("c"), None);
    }

    #[test]
    fn a_connection_head_stays_small() {
        // The head is what a run holds per connection; a field added here multiplies by
        // millions of connections.
        assert!(std::mem::size_of::<JudgedConnection>() <= 144);
        assert!(std::mem::size_of::<Detail>() <= 16);
        // A run holds 16,384 details of six stages each: the typed facts behind a pointer
        // (inline, they took 10 MB more on the timing capture).
        assert!(std::mem::size_of::<StageOutcome>() <= 64);
    }
}
