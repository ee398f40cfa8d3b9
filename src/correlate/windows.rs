//! Every time window the joins use, in one place: how far apart two things may be and still
//! be one attempt, one session, or evidence of each other. Each is named for what it joins.

/// Captures: a connection belongs to the previous one's attempt when it starts within this long
/// of that one's end. Two minutes: mstsc's first connection often ends while the user types a
/// password, and the real one follows tens of seconds later.
pub const ATTEMPT_GAP_NS: i64 = 120_000_000_000;

/// Logs: address-only events (131, 140, 4625 without a session) further apart than this start
/// a new attempt in the session timelines. Shorter than [`ATTEMPT_GAP_NS`]: a log has no
/// connection's end to measure from, only the events' own times.
pub const LOG_ATTEMPT_GAP_NS: i64 = 60_000_000_000;

/// Logs: an authenticated attempt joins a session starting at most this long after it.
pub const LOGON_WINDOW_NS: i64 = 120_000_000_000;

/// Logs: events joined by activity id lie at most this far from their timeline's start.
pub const ACTIVITY_WINDOW_NS: i64 = 600_000_000_000;

/// Logs: session-only events may precede their session's first event by this much.
pub const SESSION_EARLY_NS: i64 = 60_000_000_000;

/// Logs: an authenticated attempt of a client joins that client's first session starting
/// no earlier than this before the attempt's last event (the logs write the session's
/// first event and the attempt's last at nearly the same moment, in either order) and no
/// later than [`LOGON_WINDOW_NS`] after it.
pub const SESSION_BEFORE_ATTEMPT_END_NS: i64 = 5_000_000_000;

/// How near a connection an event of the server's RemoteConnectionManager log must be for that
/// log to be taken as covering it: RCM logs a 261 (its listener received a connection) at the
/// moment of every connection's 131, so a log that holds none within this reach had not kept
/// that time (rolled over, cleared, or another span of the log), and its lack of a 1149 says
/// nothing.
pub const RCM_COVER_NS: i64 = 5_000_000_000;

/// Events ↔ connections: a connection's events are those whose (clock-corrected) time falls
/// this long before its start or after its end.
pub const EVENT_SLACK_NS: i64 = 2_000_000_000;

/// Events ↔ connections: RemoteConnectionManager 1057/1058 (the certificate could not be made)
/// are logged when the service starts: they explain a certificate failure up to this long
/// after.
pub const CERT_EVENT_WINDOW_NS: i64 = 600_000_000_000;

/// Side traffic ↔ connections: DNS lookups by the client up to this long before a connection,
/// and Kerberos errors this long either side of it; and, for a side failure no connection
/// explains, how far around it the client's own events and connections are looked for.
pub const SIDE_WINDOW_NS: i64 = 120_000_000_000;

/// Logs: how far around a firewall drop an event of the same client that only a connection to
/// the RDP port makes (RdpCoreTS 131/140, RCM 1149, a 4624/4625 from it, 4778) is taken to
/// show the port was reachable after all.
pub const FIREWALL_CONTRADICTION_NS: i64 = 600_000_000_000;

/// Logs: how far apart a failed NLA's RdpCoreTS 140 and Security 4625 may be logged (the same
/// failure logs both within milliseconds, on one clock).
pub const NLA_LOGON_WINDOW_NS: i64 = 10_000_000_000;

/// Logs: the failed logons of an account up to this long before its lockout (Security 4740)
/// are the ones that led to it (Windows' default lockout observation window is 30 minutes).
pub const LOCKOUT_LOOKBACK_NS: i64 = 30 * 60 * 1_000_000_000;

/// Logs: a lockout (4740) ends the burst of failures it follows when it is logged at most
/// this long after the burst's last failure (Windows logs it with the failure that crossed
/// the threshold).
pub const LOCKOUT_AFTER_FAILURE_NS: i64 = 1_000_000_000;
