//! What the capture shows at the stage where a connection stopped or completed, typed: the
//! matter of a stage's note and of a connection's summary. The handshake floor records it
//! (`handshake::judge`, `ladder`); `diagnose::words` alone puts it into words.
//!
//! Each variant holds the facts its sentence cites (frames, counts, names read from the
//! wire) and nothing judged: which cause a stop means is `diagnose::verdict`'s.

use std::net::IpAddr;

use super::judged::Stop;
use super::nla_records::CredsspMessage;
use super::x224::FailureCode;
use crate::model::{Endpoint, Party};
use crate::tcp::RoleSource;

/// How a connection ended, as its first FIN or RST shows (RFC 9293 §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndSeen {
    pub by: Party,
    /// A reset, not a close.
    pub reset: bool,
    pub frame: u64,
}

/// What shows that a session inside TLS became active, beyond records of the connection
/// sequence (MS-RDPBCGR 1.3.1.1), which a connection whose activation never completed has
/// too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEvidence {
    /// The client's Confirm Active and finalization PDUs in one burst (from `frame`), which
    /// it sends on the server's Demand Active, and the server's records after them.
    Activation { frame: u64 },
    /// Server output of the size of screen updates: bytes after the MCS exchange.
    ServerOutput { bytes: u64 },
    /// Records both ways for this long after the MCS exchange.
    Duration { ns: i64 },
}

/// How a server refused a CredSSP message it could not read in clear (`Seen::NlaRefused`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An answer with room for a TSRequest's version and `errorCode` only (MS-CSSP 2.2.1):
    /// its frame and plaintext bytes.
    ErrorCode { frame: u64, bytes: u32 },
    /// TLS closed before any answer: the server's encrypted alert (RFC 8446 §6.1), its FIN or
    /// RST, whichever the capture shows.
    Closed {
        alert_frame: Option<u64>,
        end: Option<EndSeen>,
    },
}

/// How a stage in progress was left (`Stop::PayloadCapped`, `StillOpen`,
/// `LossThenStillOpen`, `LossThenEnded`, `Silence` or `Ended`), with the counts its words
/// cite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalled {
    pub stop: Stop,
    /// The side whose turn it was.
    pub waiting_for: Party,
    /// From the last progress to the end (or to the last packet, for a connection still
    /// open).
    pub silence_ns: i64,
    /// Retransmissions that were not capture duplicates, both ways.
    pub retransmissions: u64,
    pub gaps: u64,
    pub missed_bytes: u64,
    pub end: Option<EndSeen>,
}

/// Why a certificate the client refused may have been refused, as its fields show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateDoubt {
    /// Expired at the capture's time: its notAfter.
    Expired(String),
    /// Not yet valid at the capture's time: its notBefore.
    NotYetValid(String),
    /// It does not name the host the client asked for (SNI).
    NameMismatch { named: String, asked: String },
    /// Self-signed: its subject.
    SelfSigned(String),
    /// None of the above: its issuer, which the client may not trust.
    Issuer(String),
    /// TLS 1.3 encrypts the certificate: nothing of it is seen.
    Encrypted,
}

/// What the capture shows at a stage (a stage's note) or of a whole connection (its summary).
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    // --- TCP (RFC 9293 §3.5)
    /// A SYN-ACK without the client's final ACK in the capture.
    FinalAckMissing,
    /// A half-open SYN scan: one SYN, its SYN-ACK (sent `synacks` times) never acknowledged,
    /// the client's kernel resetting it (`reset_frame`) or nothing at all.
    HalfOpen {
        synacks: u64,
        reset_frame: Option<u64>,
    },
    /// The server answered the SYN with a reset.
    SynReset {
        server: Endpoint,
        reset_frame: u64,
    },
    /// An ICMP error quoted the SYN.
    SynUnreachable {
        message: String,
        reporter: IpAddr,
        frame: u64,
    },
    /// SYNs never answered: `sent` of them over `span_ns`, seen unanswered for `waited_ns`.
    SynUnanswered {
        server: Endpoint,
        sent: u64,
        span_ns: i64,
        waited_ns: i64,
        /// The tracker stopped following it (too many connections open at once).
        no_longer_followed: bool,
    },
    /// Too soon after the SYN to call it unanswered.
    SynTooRecent {
        waited_ns: i64,
        no_longer_followed: bool,
    },
    /// The server's SYN-ACK is captured, the client's SYN is not.
    SynNotCaptured,
    /// The capture began after the handshake.
    MidStream {
        roles_from: RoleSource,
    },
    /// Mid-stream and one direction only: nothing after TCP can be judged.
    MidStreamOneWay,

    // --- X.224 (MS-RDPBCGR 2.2.1.1, 2.2.1.2)
    /// The capture began after the X.224 exchange.
    X224NotCaptured,
    /// A stage that ran before the capture began (it began during the session).
    BeforeCapture,
    /// The capture began during a session already up: its first unit (`first_frame`, from
    /// `from`) is TLS application data or, under Standard RDP Security, a fast-path PDU
    /// (`fast_path`), with no handshake before it; `end` is how the session ended, when seen.
    SessionUnderway {
        first_frame: u64,
        from: Party,
        fast_path: bool,
        end: Option<EndSeen>,
    },
    /// The client sent nothing after the TCP handshake.
    ClientSilentAfterTcp(Stalled),
    /// A port check: the client connected and closed (`reset`: reset) `after_ns` later at
    /// `frame`, with no byte sent either way.
    PortCheck {
        frame: u64,
        reset: bool,
        after_ns: i64,
    },
    /// The client's first bytes are not a Connection Request; the server may still have
    /// confirmed one (its frame and the problems read in it).
    NotX224 {
        /// The first bytes were a TLS record (a ClientHello without the X.224 exchange RDP
        /// begins with: a TLS scanner or client on the wrong port), in this frame.
        tls_first: Option<u64>,
        confirm: Option<(u64, Vec<String>)>,
    },
    /// The Connection Request's cookie names a scanner (`mstshash=nmap`: nmap's service
    /// detection).
    ScannerRequest {
        tool: &'static str,
        request_frame: u64,
        end: Option<EndSeen>,
    },
    /// One SYN, never answered and never sent again in `waited_ns`.
    SynOnce {
        server: Endpoint,
        frame: u64,
        waited_ns: i64,
    },
    /// No Connection Confirm for the request.
    NoConfirm {
        request_frame: u64,
        stalled: Stalled,
    },
    /// RDP_NEG_FAILURE (2.2.1.2.2).
    NegotiationRefused {
        confirm_frame: u64,
        failure: FailureCode,
        request_frame: u64,
    },
    /// The server selected a protocol the client did not offer, and the client left.
    SelectionNotOffered {
        selected: u32,
        confirm_frame: u64,
        requested: u32,
    },
    /// The server selected a protocol the client offered, and the client closed the
    /// connection (`close_frame`) without starting it (no ClientHello, no byte): it refused
    /// the selection (FreeRDP asked for NLA alone offers TLS too, then leaves when TLS is
    /// chosen).
    SelectionRefused {
        selected: u32,
        confirm_frame: u64,
        requested: u32,
        close_frame: u64,
    },
    /// The protocol the server selected.
    Selected(u32),
    /// Standard RDP Security: no TLS stage.
    StandardSecurityNoTls,
    /// Standard RDP Security: no NLA stage.
    StandardSecurityNoNla,

    // --- TLS (MS-RDPBCGR 5.4.5.1, RFC 5246, RFC 8446)
    FatalAlert {
        from: Party,
        description: String,
        frame: u64,
    },
    /// A TPKT where the server's TLS records were due (xrdp's plaintext disconnect).
    PlaintextAnswer {
        frame: u64,
        end: Option<EndSeen>,
    },
    /// The client ended the connection right after the server's certificate.
    ClientLeftAtCertificate {
        certificate_frame: u64,
        end: EndSeen,
    },
    /// No ClientHello after the X.224 exchange.
    NoClientHello {
        confirm_frame: u64,
        stalled: Stalled,
    },
    TlsUnfinished(Stalled),
    TlsFinished {
        version: String,
        frame: u64,
    },
    /// The client left right after the handshake without application data: with an
    /// encrypted alert (its frame), or without one.
    CertificateRefused {
        alert_frame: Option<u64>,
        end: EndSeen,
        doubts: Vec<CertificateDoubt>,
        /// NLA was selected, so no credentials were tried.
        nla_selected: bool,
    },

    // --- NLA (MS-CSSP 3.1.5)
    /// Inferred: the exchange ended and the client went on with the record in `next_frame`
    /// (none when the capture ends after the server's Early User Authorization Result).
    NlaInferred {
        next_frame: Option<u64>,
        /// HYBRID_EX's Early User Authorization Result.
        early_authorization_frame: Option<u64>,
        /// The records named by size (`nla_records`): frame and message.
        messages: Vec<(u64, CredsspMessage)>,
    },
    /// Inferred from record sizes (`nla_records`): the server refused the client's message
    /// in `refused` (its frame), most often its authentication.
    NlaRefused {
        refused: (u64, CredsspMessage),
        by: Refusal,
        /// From the client's message to the server's answer or close.
        after_ns: i64,
        messages: Vec<(u64, CredsspMessage)>,
    },
    /// The connection ended (or the capture did) during the exchange inside TLS.
    NlaUnfinished {
        client_records: usize,
        server_records: usize,
        stalled: Stalled,
        /// The server's answer to the client's authentication had the size of a public-key
        /// confirmation, and the client then ended it: its frame and plaintext bytes.
        confirmed: Option<(u64, u32)>,
        messages: Vec<(u64, CredsspMessage)>,
    },
    /// Mid-stream: whether CredSSP ran is not known.
    NlaUnknownMidStream,
    /// Mid-stream: which records are CredSSP's and which MCS's is not known.
    McsUnknownMidStream,
    /// Mid-stream: records each way after TLS (a session stage note).
    RecordsAfterTls {
        client: usize,
        server: usize,
    },
    /// Mid-stream: a session ran after TLS.
    ConnectedMidStream {
        version: String,
        client: usize,
        server: usize,
        end: Option<EndSeen>,
    },
    /// Mid-stream: the connection ended after TLS, before a session.
    EndedAfterTls(Stalled),
    /// A protocol without CredSSP.
    NoNla(u32),
    /// CredSSP in clear: no TLS (a TLS-terminating gateway, or decrypted).
    CredsspInClear,
    /// A server TSRequest's errorCode (MS-CSSP 2.2.1): an NTSTATUS, and the account the
    /// client's NTLM AUTHENTICATE named (`DOMAIN\\user`), when it was read.
    CredsspError {
        frame: u64,
        code: u32,
        user: Option<String>,
    },
    /// CredSSP read in clear or decrypted: the server ended TLS after the client's
    /// authentication (`auth_frame`: NTLM AUTHENTICATE, Kerberos AP-REQ or pubKeyAuth)
    /// without a TSRequest answering it (FreeRDP's server sends no errorCode).
    CredsspRefused {
        auth_frame: u64,
        user: Option<String>,
        mechanism: Option<super::facts::CredsspPackage>,
        /// The server's alert, decrypted: its frame and description.
        alert: Option<(u64, String)>,
        end: EndSeen,
    },
    /// The server's Early User Authorization Result (MS-RDPBCGR 2.2.10.2, HYBRID_EX) denied
    /// the account access after CredSSP.
    EarlyAuthorizationDenied {
        frame: u64,
        user: Option<String>,
    },
    /// The client sent its credentials (authInfo).
    CredsspCredentials {
        frame: u64,
    },
    CredsspUnfinished(Stalled),

    // --- MCS (MS-RDPBCGR 2.2.1.3, 2.2.1.4) and the session
    /// Inferred: the server answered the client's first record after the security exchange.
    McsInferred,
    /// Inferred: records each way after the MCS exchange (a session stage note).
    RecordsAfterMcs {
        client: usize,
        server: usize,
        evidence: SessionEvidence,
    },
    /// A session ran inside TLS.
    Connected {
        version: String,
        client: usize,
        server: usize,
        end: Option<EndSeen>,
    },
    NoMcsAnswer {
        connect_initial_frame: u64,
        stalled: Stalled,
    },
    ClientSilentAfterSecurity(Stalled),
    /// An MCS Connect Response with a failed result (T.125 Result, T.124 GCC result).
    McsRefused {
        result: u8,
        gcc_result: Option<u8>,
        frame: u64,
    },
    McsInClear,
    /// Standard RDP Security: PDUs each way after the MCS exchange (a session stage note).
    PdusAfterMcs {
        client: usize,
        server: usize,
    },
    /// A session ran under Standard RDP Security, and may have been ended by a Disconnect
    /// Provider Ultimatum (reason, frame).
    ConnectedStandard {
        client: usize,
        server: usize,
        ultimatum: Option<(u8, u64)>,
        end: Option<EndSeen>,
    },
    /// A Disconnect Provider Ultimatum (reason, frame) during connection setup.
    /// The server's Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1) before a session: its ERRINFO
    /// code (MS-RDPBCGR 2.2.5.1.1 errorInfo), read in clear or decrypted.
    ServerErrorInfo {
        code: u32,
        frame: u64,
        end: Option<EndSeen>,
    },
    /// A licensing error message (MS-RDPBCGR 2.2.1.12.1.3, MS-RDPELE 2.2.2.7.1) other than
    /// STATUS_VALID_CLIENT: its dwErrorCode and dwStateTransition.
    LicenseError {
        code: u32,
        transition: u32,
        frame: u64,
        end: Option<EndSeen>,
    },
    /// Read decrypted: the server finished activating the session (its Font Map or
    /// finalization answer, `activation_frame`), then closed it without sending a screen
    /// update.
    ClosedAfterActivation {
        /// The account its Client Info PDU named.
        user: Option<String>,
        activation_frame: u64,
        after_ns: i64,
        alert: Option<(u64, String)>,
        end: EndSeen,
    },
    UltimatumInSetup {
        reason: u8,
        frame: u64,
    },
    /// A Disconnect Provider Ultimatum answering the Connect Initial.
    UltimatumForConnectInitial {
        connect_initial_frame: u64,
        reason: u8,
        frame: u64,
    },
    NoConnectResponse {
        connect_initial_frame: u64,
        stalled: Stalled,
    },
    NoConnectInitial(Stalled),
    /// The connection ended (or the capture did) after the MCS exchange, before a session.
    SetupUnfinished(Stalled),
    /// Only the first bytes of each direction were read (`--payload-cap`).
    PayloadCapped(Box<Seen>),
}
