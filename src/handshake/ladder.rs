//! The RDP part of the ladder: from the X.224 exchange to the session, over the PDUs of both
//! directions in time order, for a connection whose TCP handshake completed (or that was
//! captured mid-stream).
//!
//! What is proven from clear bytes (X.224 negotiation, TLS handshake, alerts in clear, MCS
//! under Standard RDP Security) is reported as such; what can only be inferred from encrypted
//! records — CredSSP round trips, the MCS exchange inside TLS, the session — is inferred from
//! record directions, counts and sizes, and its note says so. FreeRDP and xrdp behaviours the
//! rules rely on are those of `reference/behaviours.md`.
//!
//! The ladder says where a connection stopped ([`Break`]: the stage and what the capture shows
//! there) and records what each stage showed as typed [`Seen`] facts; `diagnose::verdict`
//! names the cause and `diagnose::words` writes the sentences.
//!
//! Written by hand: the stage machine is this project's own reading, no crate offers it.

use super::judged::{Break, StageOutcome, Stop};
use super::observed::{CertificateDoubt, EndSeen, Refusal, Seen, SessionEvidence, Stalled};
use crate::model::{Evidence, Stage, Status};
use crate::tcp::{Connection, Mark, Side};

use super::credssp;
use super::facts::{
    Alert, AlertLevel, Certificate, ClientHelloFacts, MAX_ALERTS, McsFacts, Negotiation, TlsFacts,
};
use super::facts::{Decoded, Tpdu, Units};
use super::mcs::{self, McsPdu};
use super::nla_records::{self, CredsspMessage, NamedRecord, NlaExchange};
use super::pdu::{Pdu, PduKind};
use super::tls::{self, HandshakeMessage, content};
use super::x224::{self, protocol};

/// How the RDP stages turned out.
#[derive(Debug)]
pub struct RdpOutcome {
    pub stages: Vec<StageOutcome>,
    /// Where the connection stopped short of a session; none when the session ran.
    pub stop: Option<Break>,
    /// Last stage completed (tcp when nothing after it was).
    pub reached: Stage,
    /// What the capture shows of the connection as a whole: the matter of its summary.
    pub summary: Option<Seen>,
    pub negotiation: Option<Negotiation>,
    pub tls: Option<TlsFacts>,
    pub mcs: Option<McsFacts>,
    pub credssp: Option<super::facts::CredsspFacts>,
    /// CredSSP's security package inside TLS, named by size.
    pub nla_mechanism: Option<nla_records::Mechanism>,
}

/// A connection whose last packets came this long after the last progress, with the client
/// closing, is said to have given up waiting.
const GAVE_UP_AFTER_NS: i64 = 5_000_000_000;

/// Records each way after the security exchange from which encrypted traffic is taken for a
/// session that ran (connection setup takes fewer).
const SESSION_MIN_RECORDS: usize = 5;

/// Who ended the connection, and how.
/// A client that closes a connection it never sent a byte on within this time of the
/// handshake is checking the port (a load balancer's health probe, a monitor, a scanner), not
/// trying RDP: a real client sends its Connection Request at once (MS-RDPBCGR 1.3.1.1), and
/// the checks seen close within a millisecond.
pub const PORT_CHECK_CLOSE_NS: i64 = 5_000_000_000;

#[derive(Clone, Copy, Debug)]
struct Ending {
    by: Side,
    mark: Mark,
    reset: bool,
}

fn ending(conn: &Connection) -> Option<Ending> {
    let fin = conn.first_fin();
    let rst = conn.first_reset();
    match (fin, rst) {
        (Some((fs, fm)), Some((rs, rm))) => Some(if fm.frame <= rm.frame {
            Ending {
                by: fs,
                mark: fm,
                reset: false,
            }
        } else {
            Ending {
                by: rs,
                mark: rm,
                reset: true,
            }
        }),
        (Some((s, m)), None) => Some(Ending {
            by: s,
            mark: m,
            reset: false,
        }),
        (None, Some((s, m))) => Some(Ending {
            by: s,
            mark: m,
            reset: true,
        }),
        (None, None) => None,
    }
}

impl Ending {
    fn seen(&self) -> EndSeen {
        EndSeen {
            by: self.by.party(),
            reset: self.reset,
            frame: self.mark.frame,
        }
    }
}

/// Builds the x224…session stages.
struct Ladder {
    stages: Vec<StageOutcome>,
}

impl Ladder {
    fn push(
        &mut self,
        stage: Stage,
        status: Status,
        frames: Vec<u64>,
        seen: impl Into<Option<Seen>>,
    ) {
        let mut frames = frames;
        frames.retain(|&f| f != 0);
        frames.sort_unstable();
        frames.dedup();
        let evidence = (status != Status::NotReached).then_some(Evidence::Clear);
        self.stages.push(StageOutcome {
            stage,
            status,
            frames,
            note: None,
            seen: seen.into().map(Box::new),
            evidence,
        });
    }

    /// Marks every stage not yet written as not reached.
    fn rest_not_reached(&mut self) {
        for name in Stage::AFTER_TCP {
            if !self.stages.iter().any(|s| s.stage == name) {
                self.stages.push(StageOutcome {
                    stage: name,
                    status: Status::NotReached,
                    frames: vec![],
                    note: None,
                    seen: None,
                    evidence: None,
                });
            }
        }
        self.stages.sort_by_key(|s| s.stage);
    }
}

/// How a stage in progress was left: the connection ended (or the capture did) before it
/// completed, with `waiting_for` the side whose turn it was.
struct Stall {
    stop: Stop,
    waiting_for: Side,
    seen: Stalled,
}

/// How a stage was left that never completed, when nothing more specific explains it: the
/// capture ended, loss stalled it, one side gave up after silence, or one side closed.
fn stall(
    conn: &Connection,
    end: Option<Ending>,
    last_progress_ns: i64,
    expected_from: Side,
) -> Stall {
    // Packets captured twice are not loss.
    let retransmissions = (conn.c2s.retransmissions - conn.c2s.duplicates)
        + (conn.s2c.retransmissions - conn.s2c.duplicates);
    let gaps = conn.c2s.gaps + conn.s2c.gaps;
    let missed_bytes = conn.c2s.missed_bytes() + conn.s2c.missed_bytes();
    // Loss decides only where data is missing at the stop: bytes never seen, or data sent
    // again that the peer never acknowledged. Retransmissions that were acknowledged, and
    // progress after them, did not stop the connection.
    let lossy = missed_bytes > 0
        || conn.retransmission_unrecovered(Side::Client)
        || conn.retransmission_unrecovered(Side::Server);
    let (stop, silence_ns) = match end {
        // The bytes read of a direction end before the stage did (`--payload-cap`): what
        // followed is in the capture but not read, so nothing is said of how it ended.
        _ if conn.c2s.beyond_cap || conn.s2c.beyond_cap => {
            (Stop::PayloadCapped, conn.last.ts_ns - last_progress_ns)
        }
        // Still open when the capture ends: stalled on loss if the last seconds were spent
        // retransmitting, else simply cut.
        None => {
            let silence = conn.last.ts_ns - last_progress_ns;
            if lossy && silence >= GAVE_UP_AFTER_NS {
                (Stop::LossThenStillOpen, silence)
            } else {
                (Stop::StillOpen, silence)
            }
        }
        Some(e) => {
            let silence = e.mark.ts_ns - last_progress_ns;
            if lossy && (silence > 1_000_000_000 || e.by == Side::Client) {
                (Stop::LossThenEnded, silence)
            } else if e.by != expected_from && silence >= GAVE_UP_AFTER_NS {
                (Stop::Silence, silence)
            } else {
                (Stop::Ended, silence)
            }
        }
    };
    Stall {
        stop,
        waiting_for: expected_from,
        seen: Stalled {
            stop,
            waiting_for: expected_from.party(),
            silence_ns,
            retransmissions,
            gaps,
            missed_bytes,
            end: end.map(|e| e.seen()),
        },
    }
}

/// What the TLS handshake showed.
#[derive(Debug, Default)]
struct TlsView {
    client_hello: Option<(u64, tls::ClientHelloInfo)>,
    server_hello: Option<(u64, tls::ServerHelloInfo)>,
    certificate: Option<(u64, Option<tls::CertificateInfo>)>,
    server_done: Option<u64>,
    client_key_exchange: Option<u64>,
    client_ccs: Option<u64>,
    server_ccs: Option<u64>,
    /// Records each side sent after its ChangeCipherSpec (the first is its Finished).
    client_after_ccs: Vec<Pdu>,
    server_after_ccs: Vec<Pdu>,
    alerts: Vec<Alert>,
    alerts_omitted: u64,
    fatal_alert: Option<(Side, String, u64)>,
    /// A TPKT where the server's TLS records were due (xrdp's plaintext disconnect).
    server_plaintext: Option<u64>,
    /// The frame completing the handshake, both ways.
    done: Option<(u64, i64)>,
    /// TLS 1.3: everything after the ServerHello is encrypted.
    tls13: bool,
    /// TLS 1.3: the certificate was read after decryption.
    certificate_decrypted: bool,
}

impl TlsView {
    /// Keeps an alert record while fewer than `MAX_ALERTS` are kept, else counts it.
    fn keep_alert(&mut self, a: Alert) {
        if self.alerts.len() < MAX_ALERTS {
            self.alerts.push(a);
        } else {
            self.alerts_omitted += 1;
        }
    }
}

/// Reads the TLS handshake from each side's units from `from` on (those after the X.224
/// exchange), the handshake messages as the decode pass read them.
fn read_tls(conn: &Connection, decoded: &Decoded, (c_from, s_from): (usize, usize)) -> TlsView {
    let mut v = TlsView::default();
    for (side, units, from, dir) in [
        (Side::Client, &decoded.client, c_from, &conn.c2s),
        (Side::Server, &decoded.server, s_from, &conn.s2c),
    ] {
        let mut ccs_seen = false;
        let mut handshake = units.handshake.iter().peekable();
        for (i, p) in units.pdus.iter().enumerate().skip(from) {
            match p.kind {
                // In TLS 1.3 the server's handshake after its ServerHello is encrypted.
                PduKind::Tls(content::HANDSHAKE)
                    if !(ccs_seen || side == Side::Server && v.tls13 && v.server_hello.is_some()) =>
                {
                    let frame = p.last_frame;
                    while handshake.next_if(|h| h.completed < i).is_some() {}
                    while let Some(h) = handshake.next_if(|h| h.completed == i) {
                        match &h.message {
                            HandshakeMessage::ClientHello(hello) if side == Side::Client => {
                                v.client_hello.get_or_insert_with(|| (frame, hello.clone()));
                            }
                            HandshakeMessage::ServerHello(hello) if side == Side::Server => {
                                v.tls13 = hello.version_raw == 0x0304;
                                v.server_hello.get_or_insert_with(|| (frame, hello.clone()));
                            }
                            HandshakeMessage::Certificate(ci)
                                if side == Side::Server && v.certificate.is_none() =>
                            {
                                let mut ci = ci.clone();
                                // Validity is judged at the capture's own time.
                                if let Some(c) = ci.as_mut() {
                                    let at = p.ts_ns.div_euclid(1_000_000_000);
                                    c.expired_at_capture = at > c.not_after_s;
                                    c.not_yet_valid_at_capture = at < c.not_before_s;
                                }
                                v.certificate.get_or_insert((frame, ci));
                            }
                            HandshakeMessage::ServerHelloDone if side == Side::Server => {
                                v.server_done.get_or_insert(frame);
                            }
                            HandshakeMessage::ClientKeyExchange if side == Side::Client => {
                                v.client_key_exchange.get_or_insert(frame);
                            }
                            _ => {}
                        }
                    }
                }
                PduKind::Tls(content::CHANGE_CIPHER_SPEC)
                    // TLS 1.3 middlebox-compatibility CCS records change nothing.
                    if !v.tls13 => {
                        ccs_seen = true;
                        match side {
                            Side::Client => v.client_ccs = v.client_ccs.or(Some(p.last_frame)),
                            Side::Server => v.server_ccs = v.server_ccs.or(Some(p.last_frame)),
                        }
                    }
                PduKind::Tls(content::ALERT) => {
                    let body = p.bytes(dir).get(5..).unwrap_or(&[]);
                    if !ccs_seen && !v.tls13 && body.len() == 2 {
                        let level = if body[0] == 2 {
                            AlertLevel::Fatal
                        } else {
                            AlertLevel::Warning
                        };
                        let desc = tls::alert_name(body[1]);
                        if body[0] == 2 && v.fatal_alert.is_none() {
                            v.fatal_alert = Some((side, desc.clone(), p.last_frame));
                        }
                        v.keep_alert(Alert {
                            from: side.party(),
                            level,
                            description: Some(desc),
                            frame: p.last_frame,
                        });
                    } else {
                        v.keep_alert(Alert {
                            from: side.party(),
                            level: AlertLevel::Encrypted,
                            description: None,
                            frame: p.last_frame,
                        });
                        match side {
                            Side::Client => v.client_after_ccs.push(*p),
                            Side::Server => v.server_after_ccs.push(*p),
                        }
                    }
                }
                PduKind::Tls(_)
                    if (ccs_seen || v.tls13) => {
                        match side {
                            Side::Client => v.client_after_ccs.push(*p),
                            Side::Server => v.server_after_ccs.push(*p),
                        }
                    }
                PduKind::Tpkt if side == Side::Server && v.server_plaintext.is_none() => {
                    v.server_plaintext = Some(p.last_frame);
                }
                _ => {}
            }
        }
    }
    // Done when both Finished messages went: TLS ≤ 1.2, the first record after each CCS; TLS
    // 1.3, the server's encrypted flight and then the client's first encrypted record.
    v.done = match (v.client_after_ccs.first(), v.server_after_ccs.first()) {
        (Some(c), Some(s)) => Some(if c.last_frame > s.last_frame {
            (c.last_frame, c.ts_ns)
        } else {
            (s.last_frame, s.ts_ns)
        }),
        _ => None,
    };
    v
}

/// The RDP stages of a connection whose TCP handshake completed.
pub fn rdp_stages(
    conn: &Connection,
    decoded: &Decoded,
    tcp_frames_end: u64,
    plain: Option<&super::Plain>,
) -> RdpOutcome {
    let mut out = RdpOutcome {
        stages: Vec::new(),
        stop: None,
        reached: Stage::Tcp,
        summary: None,
        negotiation: None,
        tls: None,
        mcs: None,
        credssp: None,
        nla_mechanism: None,
    };
    let mut ladder = Ladder { stages: Vec::new() };
    let end = ending(conn);
    let tcp_done_ns = conn
        .handshake_ack
        .or(conn.synack)
        .map(|m| m.ts_ns)
        .unwrap_or(conn.first.ts_ns);

    let c_all = &decoded.client.pdus;
    let s_all = &decoded.server.pdus;
    let mid_stream = conn.syn.is_none() && conn.synack.is_none();

    // --- X.224 (MS-RDPBCGR 2.2.1.1 / 2.2.1.2)
    let cr = decoded.client.iter().next().and_then(|(p, t)| match t {
        Some(Tpdu::Request(Some(r))) => Some((*p, r.clone())),
        _ => None,
    });
    let cc = decoded
        .server
        .iter()
        .find(|(p, _)| p.kind == PduKind::Tpkt)
        .and_then(|(p, t)| match t {
            Some(Tpdu::Confirm(Some(c))) => Some((*p, c.clone())),
            _ => None,
        });

    // Begun during a session: session data with no handshake record or X.224 PDU in either
    // direction (MS-RDPBCGR 1.3.1.1: TLS application data, or fast-path PDUs under Standard
    // RDP Security, come only once the connection is up).
    let underway = (mid_stream && cr.is_none() && cc.is_none())
        .then(|| session_underway(c_all, s_all))
        .flatten();
    if let Some(first) = underway {
        ladder.push(Stage::X224, Status::Unknown, vec![], Seen::X224NotCaptured);
        for stage in [Stage::Tls, Stage::Nla, Stage::Mcs] {
            ladder.push(stage, Status::Unknown, vec![], Seen::BeforeCapture);
        }
        let seen = Seen::SessionUnderway {
            first_frame: first.first_frame,
            from: first.side.party(),
            fast_path: first.kind == PduKind::FastPath,
            end: end.map(|e| e.seen()),
        };
        let last_frame = end.map_or(conn.last.frame, |e| e.mark.frame);
        return session_ok(out, ladder, last_frame, seen.clone(), seen);
    }

    // A scanner's request (its cookie names the tool): not an RDP attempt, however the
    // server answered it.
    if let Some((crp, r)) = &cr
        && let Some(tool) = r.cookie.as_deref().and_then(scanner_cookie)
    {
        out.negotiation = Some(negotiation_facts(
            Some(r),
            cc.as_ref().map(|(_, c)| c),
            Some(crp.last_frame),
            cc.as_ref().map(|(p, _)| p.last_frame),
        ));
        let seen = Seen::ScannerRequest {
            tool,
            request_frame: crp.last_frame,
            end: end.map(|e| e.seen()),
        };
        let mut frames = vec![crp.last_frame];
        frames.extend(cc.as_ref().map(|(p, _)| p.last_frame));
        return failed_at(out, ladder, (Stage::X224, Stop::NotRdp), frames, seen);
    }
    // A TLS record first on a connection whose start was captured: no X.224 exchange came
    // before it, and RDP always begins with one (MS-RDPBCGR 1.3.1.1).
    let tls_first = (!mid_stream && cr.is_none())
        .then(|| c_all.first().filter(|p| matches!(p.kind, PduKind::Tls(_))))
        .flatten()
        .filter(|p| p.offset == 0 && !p.has_hole);
    if let Some(first) = tls_first {
        let seen = Seen::NotX224 {
            tls_first: Some(first.last_frame),
            confirm: None,
        };
        let mut frames = vec![first.last_frame];
        frames.extend(end.map(|e| e.mark.frame));
        return failed_at(out, ladder, (Stage::X224, Stop::NotRdp), frames, seen);
    }

    let selected: Option<u32>;
    // The capture began after the X.224 exchange: TLS is seen, but not whether the server
    // selected SSL, HYBRID or HYBRID_EX, so nor whether CredSSP runs inside it.
    let mut selection_unseen = false;
    match (&cr, &cc) {
        (None, _)
            if mid_stream
                || c_all
                    .first()
                    .is_some_and(|p| matches!(p.kind, PduKind::Tls(_))) =>
        {
            ladder.push(Stage::X224, Status::Unknown, vec![], Seen::X224NotCaptured);
            selected = c_all
                .first()
                .and_then(|p| matches!(p.kind, PduKind::Tls(_)).then_some(protocol::SSL));
            selection_unseen = selected.is_some();
        }
        (None, _) => {
            let e = end;
            if conn.c2s.bytes == 0 {
                // A port check: connected, then closed by the client at once, no byte sent
                // either way.
                if let Some(close) = e.filter(|close| {
                    close.by == Side::Client
                        && conn.s2c.bytes == 0
                        && close.mark.ts_ns - tcp_done_ns <= PORT_CHECK_CLOSE_NS
                }) {
                    let seen = Seen::PortCheck {
                        frame: close.mark.frame,
                        reset: close.reset,
                        after_ns: close.mark.ts_ns - tcp_done_ns,
                    };
                    ladder.push(
                        Stage::X224,
                        Status::Failed,
                        vec![close.mark.frame],
                        seen.clone(),
                    );
                    return finish(out, ladder, Some(Break::at(Stage::X224, Stop::Probe)), seen);
                }
                let st = stall(conn, e, tcp_done_ns, Side::Client);
                let seen = Seen::ClientSilentAfterTcp(st.seen);
                return end_stalled(out, ladder, Stage::X224, &st, vec![tcp_frames_end], seen);
            }
            // Not a Connection Request: not an RDP client (`probe`).
            let mut frames = vec![c_all.first().map(|p| p.first_frame).unwrap_or(0)];
            let mut confirm = None;
            if let Some((ccp, ccf)) = &cc {
                out.negotiation = Some(negotiation_facts(
                    None,
                    Some(ccf),
                    None,
                    Some(ccp.last_frame),
                ));
                frames.push(ccp.last_frame);
                confirm = Some((ccp.last_frame, ccf.problems.clone()));
            }
            let seen = Seen::NotX224 {
                tls_first: None,
                confirm,
            };
            return failed_at(out, ladder, (Stage::X224, Stop::NotRdp), frames, seen);
        }
        (Some((crp, crq)), None) => {
            out.negotiation = Some(negotiation_facts(
                Some(crq),
                None,
                Some(crp.last_frame),
                None,
            ));
            let st = stall(conn, end, crp.ts_ns, Side::Server);
            let seen = Seen::NoConfirm {
                request_frame: crp.last_frame,
                stalled: st.seen,
            };
            let mut frames = vec![crp.last_frame];
            frames.extend(end.map(|e| e.mark.frame));
            return end_stalled(out, ladder, Stage::X224, &st, frames, seen);
        }
        (Some((crp, crq)), Some((ccp, ccf))) => {
            out.negotiation = Some(negotiation_facts(
                Some(crq),
                Some(ccf),
                Some(crp.last_frame),
                Some(ccp.last_frame),
            ));
            let frames = vec![crp.last_frame, ccp.last_frame];
            if let Some(f) = ccf.failure() {
                // The meaning speaks of what the client asked for: the request is cited with
                // it, the Connection Confirm carrying the refusal with the refusal.
                let seen = Seen::NegotiationRefused {
                    confirm_frame: ccp.last_frame,
                    failure: f,
                    request_frame: crp.last_frame,
                };
                return failed_at(
                    out,
                    ladder,
                    (Stage::X224, Stop::NegotiationRefused),
                    frames,
                    seen,
                );
            }
            let sel = ccf.selected().unwrap_or(protocol::RDP);
            let offered = match crq.requested {
                Some(r) => sel == protocol::RDP || r & sel != 0,
                None => sel == protocol::RDP,
            };
            let client_went_on = c_all.iter().any(|p| p.first_frame > ccp.last_frame);
            if !offered
                || (sel == protocol::RDP
                    && crq.requested.is_some_and(|r| r != 0)
                    && !client_went_on
                    && end.is_some_and(|e| e.by == Side::Client))
            {
                let seen = Seen::SelectionNotOffered {
                    selected: sel,
                    confirm_frame: ccp.last_frame,
                    requested: crq.requested.unwrap_or(0),
                };
                let mut frames = frames;
                frames.extend(end.map(|e| e.mark.frame));
                return failed_at(
                    out,
                    ladder,
                    (Stage::X224, Stop::SelectionNotOffered),
                    frames,
                    seen,
                );
            }
            // An offered protocol selected, and the client closed at once without starting it
            // (TLS or CredSSP would begin with its own bytes): it refused the selection. The
            // alert or reset the server sends after the close is a consequence.
            if let (Some(requested), Some(close)) = (
                crq.requested,
                end.filter(|e| e.by == Side::Client && !client_went_on),
            ) {
                let seen = Seen::SelectionRefused {
                    selected: sel,
                    confirm_frame: ccp.last_frame,
                    requested,
                    close_frame: close.mark.frame,
                };
                let mut frames = frames;
                frames.push(close.mark.frame);
                return failed_at(
                    out,
                    ladder,
                    (Stage::X224, Stop::SelectionNotOffered),
                    frames,
                    seen,
                );
            }
            ladder.push(Stage::X224, Status::Ok, frames, Seen::Selected(sel));
            out.reached = Stage::X224;
            selected = Some(sel);
        }
    }

    let after_cc = cc.as_ref().map(|(p, _)| p.last_frame).unwrap_or(0);
    let x224_done_ns = cc.as_ref().map(|(p, _)| p.ts_ns).unwrap_or(tcp_done_ns);
    let sel = selected.unwrap_or(protocol::RDP);
    // The units after the X.224 exchange: past the Connection Request and Confirm.
    let c_from = c_all
        .iter()
        .take_while(|p| cr.as_ref().is_some_and(|(q, _)| p.offset <= q.offset))
        .count();
    let s_from = s_all
        .iter()
        .take_while(|p| cc.as_ref().is_some_and(|(q, _)| p.offset <= q.offset))
        .count();
    let c_rest: Vec<Pdu> = c_all
        .iter()
        .filter(|p| cr.as_ref().is_none_or(|(q, _)| p.offset > q.offset))
        .copied()
        .collect();
    let s_rest: Vec<Pdu> = s_all
        .iter()
        .filter(|p| cc.as_ref().is_none_or(|(q, _)| p.offset > q.offset))
        .copied()
        .collect();

    if sel == protocol::RDP && selected.is_some() {
        ladder.push(
            Stage::Tls,
            Status::NotReached,
            vec![],
            Seen::StandardSecurityNoTls,
        );
        ladder.push(
            Stage::Nla,
            Status::NotReached,
            vec![],
            Seen::StandardSecurityNoNla,
        );
        return standard_security(conn, decoded, out, ladder, end, x224_done_ns, None);
    }

    // --- CredSSP in clear (no TLS: a capture behind a TLS-terminating gateway, or decrypted).
    let nla_selected = sel & (protocol::HYBRID | protocol::HYBRID_EX) != 0;
    if nla_selected && c_rest.first().is_some_and(|p| p.kind == PduKind::Der) {
        let rest = (c_rest.as_slice(), s_rest.as_slice());
        return credssp_in_clear((conn, decoded), out, ladder, rest, end, x224_done_ns, None);
    }

    // --- TLS (MS-RDPBCGR 5.4.5.1)
    let mut t = read_tls(conn, decoded, (c_from, s_from));
    // TLS 1.3 sends the certificate encrypted: decrypted, it is read as if in clear.
    if t.tls13
        && t.certificate.is_none()
        && let Some((frame, der, chain)) =
            plain.and_then(|p| super::decrypt::tls13_certificate(&p.decrypted.server))
    {
        t.certificate = Some((frame, tls::certificate_info(&der, chain)));
        t.certificate_decrypted = true;
    }
    out.tls = Some(tls_facts(&t));
    let hello_frames = |t: &TlsView| {
        let mut f = Vec::new();
        f.extend(t.client_hello.as_ref().map(|x| x.0));
        f.extend(t.server_hello.as_ref().map(|x| x.0));
        f.extend(t.certificate.as_ref().map(|x| x.0));
        f
    };
    let Some((tls_done_frame, tls_done_ns)) = t.done else {
        let mut frames = hello_frames(&t);
        if let Some((side, desc, frame)) = &t.fatal_alert {
            frames.push(*frame);
            let seen = Seen::FatalAlert {
                from: side.party(),
                description: desc.clone(),
                frame: *frame,
            };
            return failed_at(out, ladder, (Stage::Tls, Stop::FatalAlert), frames, seen);
        }
        if let Some(f) = t.server_plaintext {
            frames.push(f);
            frames.extend(end.map(|e| e.mark.frame));
            let seen = Seen::PlaintextAnswer {
                frame: f,
                end: end.map(|e| e.seen()),
            };
            return failed_at(
                out,
                ladder,
                (Stage::Tls, Stop::PlaintextAnswer),
                frames,
                seen,
            );
        }
        if let (Some((cf, _)), Some(e)) = (&t.certificate, end)
            && e.by == Side::Client
            && t.client_key_exchange.is_none()
            && t.client_ccs.is_none()
        {
            frames.push(e.mark.frame);
            let seen = Seen::ClientLeftAtCertificate {
                certificate_frame: *cf,
                end: e.seen(),
            };
            return failed_at(
                out,
                ladder,
                (Stage::Tls, Stop::CertificateRefused),
                frames,
                seen,
            );
        }
        let last = c_rest
            .iter()
            .chain(&s_rest)
            .map(|p| p.ts_ns)
            .max()
            .unwrap_or(x224_done_ns);
        let expected = if t.client_hello.is_some() && t.server_hello.is_none() {
            Side::Server
        } else {
            Side::Client
        };
        let st = stall(conn, end, last, expected);
        frames.extend(end.map(|e| e.mark.frame));
        let seen = if t.client_hello.is_none() && st.stop != Stop::StillOpen {
            Seen::NoClientHello {
                confirm_frame: after_cc,
                stalled: st.seen,
            }
        } else {
            Seen::TlsUnfinished(st.seen)
        };
        return end_stalled(out, ladder, Stage::Tls, &st, frames, seen);
    };
    let mut tls_frames = hello_frames(&t);
    tls_frames.push(tls_done_frame);
    let version = t
        .server_hello
        .as_ref()
        .map(|(_, s)| s.version.clone())
        .unwrap_or_else(|| "TLS".into());
    ladder.push(
        Stage::Tls,
        Status::Ok,
        tls_frames.clone(),
        Seen::TlsFinished {
            version: version.clone(),
            frame: tls_done_frame,
        },
    );
    out.reached = Stage::Tls;

    // Records after the handshake. Each side's first record after its ChangeCipherSpec is its
    // Finished; in TLS 1.3 the server's encrypted flight comes before the client's Finished,
    // and the tickets a server sends right after it come before any application data.
    let client_fin = t
        .client_after_ccs
        .first()
        .map(|p| p.last_frame)
        .unwrap_or(0);
    let c_app: Vec<Pdu> = t.client_after_ccs.iter().skip(1).copied().collect();
    let first_client_data = c_app.first().map(|p| p.first_frame).unwrap_or(u64::MAX);
    let s_app: Vec<Pdu> = if t.tls13 {
        t.server_after_ccs
            .iter()
            .filter(|p| p.first_frame > client_fin && p.first_frame > first_client_data)
            .copied()
            .collect()
    } else {
        t.server_after_ccs.iter().skip(1).copied().collect()
    };
    // An alert is content type 21; in TLS 1.3 it hides as application data, and its size
    // gives it away: 2 bytes of alert, the inner content type and a 16-byte AEAD tag.
    let is_alert = |p: &Pdu| {
        p.kind == PduKind::Tls(content::ALERT)
            || (t.tls13
                && p.kind == PduKind::Tls(content::APPLICATION_DATA)
                && p.tls_payload_len() == 19)
    };
    let is_data = |p: &Pdu| p.kind == PduKind::Tls(content::APPLICATION_DATA) && !is_alert(p);
    // A client that rejects the certificate after the handshake (FreeRDP) sends an
    // encrypted alert and closes without any application data.
    let client_data: Vec<Pdu> = c_app.iter().filter(|p| is_data(p)).copied().collect();
    let client_alert = c_app.iter().find(|p| is_alert(p)).copied();
    // One that closes or resets without an alert and without sending a byte after the
    // handshake (mstsc when the user refuses the certificate warning, a scanner that only
    // wanted the certificate) did not go on past the certificate either: with NLA it never
    // sent its first TSRequest, so no credentials were tried.
    if client_data.is_empty()
        && let Some(e) = end
        && e.by == Side::Client
        && c_app.iter().all(is_alert)
    {
        let cert = t.certificate.as_ref().and_then(|c| c.1.as_ref());
        let sni = t.client_hello.as_ref().and_then(|(_, c)| c.sni.clone());
        let mut doubts = Vec::new();
        if let Some(c) = cert {
            if c.expired_at_capture {
                doubts.push(CertificateDoubt::Expired(c.not_after.clone()));
            }
            if c.not_yet_valid_at_capture {
                doubts.push(CertificateDoubt::NotYetValid(c.not_before.clone()));
            }
            if let Some(host) = sni.as_deref().filter(|h| !tls::certificate_names(c, h)) {
                let named = c
                    .subject_alt_names
                    .first()
                    .cloned()
                    .unwrap_or_else(|| c.subject.clone());
                doubts.push(CertificateDoubt::NameMismatch {
                    named,
                    asked: host.to_string(),
                });
            }
            if c.self_signed {
                doubts.push(CertificateDoubt::SelfSigned(c.subject.clone()));
            } else if doubts.is_empty() {
                doubts.push(CertificateDoubt::Issuer(c.issuer.clone()));
            }
        }
        if cert.is_none() && t.tls13 {
            doubts.push(CertificateDoubt::Encrypted);
        }
        let mut frames = tls_frames;
        frames.extend(client_alert.map(|a| a.last_frame));
        let seen = Seen::CertificateRefused {
            alert_frame: client_alert.map(|a| a.last_frame),
            end: e.seen(),
            doubts,
            nla_selected: sel & (protocol::HYBRID | protocol::HYBRID_EX) != 0,
        };
        frames.push(e.mark.frame);
        // The TLS stage itself completed; the client refused what it carried, which only
        // the encrypted records after the handshake tell.
        ladder.stages.pop();
        ladder.push(Stage::Tls, Status::Failed, frames, seen.clone());
        if let Some(tls) = ladder.stages.last_mut() {
            tls.evidence = Some(Evidence::Inferred);
        }
        out.reached = Stage::X224;
        return finish(
            out,
            ladder,
            Some(Break::at(Stage::Tls, Stop::CertificateRefused)),
            seen,
        );
    }

    // --- Decrypted: CredSSP, MCS and the session read from the plaintext as in clear.
    if let Some(plain) = plain {
        // CredSSP's TSRequests first in the plaintext: NLA, seen even where the X.224
        // exchange was not captured.
        let nla = sel & (protocol::HYBRID | protocol::HYBRID_EX) != 0
            || plain
                .decoded
                .client
                .pdus
                .first()
                .is_some_and(|p| p.kind == PduKind::Der);
        let mut out = if nla {
            let der = |u: &Units| -> Vec<Pdu> {
                u.pdus
                    .iter()
                    .filter(|p| p.kind == PduKind::Der)
                    .copied()
                    .collect()
            };
            let (c, s) = (der(&plain.decoded.client), der(&plain.decoded.server));
            credssp_in_clear(
                (&plain.conn, &plain.decoded),
                out,
                ladder,
                (&c, &s),
                end,
                tls_done_ns,
                Some(plain),
            )
        } else {
            ladder.push(Stage::Nla, Status::NotReached, vec![], Seen::NoNla(sel));
            standard_security(
                &plain.conn,
                &plain.decoded,
                out,
                ladder,
                end,
                tls_done_ns,
                Some(plain),
            )
        };
        if let Some(c) = out.credssp.as_mut() {
            c.decrypted = true;
            c.early_user_authorization = plain.early_authorization.map(|(_, v)| {
                if v == 0 {
                    super::facts::EarlyAuthorization::AccessGranted
                } else {
                    super::facts::EarlyAuthorization::AccessDenied
                }
            });
        }
        // The alerts sent encrypted, read.
        if let Some(tls) = out.tls.as_mut() {
            for a in tls
                .alerts
                .iter_mut()
                .filter(|a| a.level == AlertLevel::Encrypted)
            {
                if let Some(d) = plain
                    .alerts
                    .iter()
                    .find(|d| d.frame == a.frame && d.side.party() == a.from)
                {
                    a.level = d.level;
                    a.description = Some(d.description.clone());
                }
            }
        }
        for st in out
            .stages
            .iter_mut()
            .filter(|st| st.stage > Stage::Tls && st.evidence.is_some())
        {
            st.evidence = Some(Evidence::Decrypted);
        }
        return out;
    }

    let server_data: Vec<Pdu> = s_app.iter().filter(|p| is_data(p)).copied().collect();
    let nla = sel & (protocol::HYBRID | protocol::HYBRID_EX) != 0;
    let mut mcs_start = 0usize; // index in client_data of the MCS Connect Initial
    let mut nla_done_ns = tls_done_ns;
    if nla {
        // --- NLA (MS-CSSP 3.1.5): TSRequests inside TLS, named by order and size.
        let overhead = t
            .server_hello
            .as_ref()
            .and_then(|(_, h)| tls::record_overhead(h.version_raw, h.cipher_id));
        let exchange = nla_records::name(
            &client_data,
            &server_data,
            overhead,
            t.tls13,
            sel == protocol::HYBRID_EX,
        );
        out.nla_mechanism = exchange.mechanism;
        let messages: Vec<(u64, CredsspMessage)> = exchange
            .messages
            .iter()
            .map(|m| (m.frame, m.message))
            .collect();
        let server_alerts: Vec<Mark> = s_app
            .iter()
            .filter(|p| is_alert(p))
            .map(|p| Mark {
                frame: p.last_frame,
                ts_ns: p.ts_ns,
            })
            .collect();
        let credentials = exchange.find(CredsspMessage::AuthInfo).copied();
        let named_next = exchange.next_client.filter(|_| credentials.is_some());
        let client_alerts: Vec<Mark> = c_app
            .iter()
            .filter(|p| is_alert(p))
            .map(|p| Mark {
                frame: p.last_frame,
                ts_ns: p.ts_ns,
            })
            .collect();
        if let Some(refusal) = refusal(
            conn,
            &exchange,
            &server_data,
            (&server_alerts, &client_alerts),
        ) {
            let NlaRefusal {
                refused,
                by,
                at: (frame, ts_ns),
            } = refusal;
            let mut frames: Vec<u64> = messages
                .iter()
                .filter(|(_, m)| *m != CredsspMessage::SessionTicket)
                .map(|(f, _)| *f)
                .collect();
            frames.push(frame);
            if let Refusal::Closed { end: Some(e), .. } = by {
                frames.push(e.frame);
            }
            let seen = Seen::NlaRefused {
                refused: (refused.frame, refused.message),
                by,
                after_ns: ts_ns - refused.ts_ns,
                messages,
            };
            ladder.push(Stage::Nla, Status::Failed, frames, seen.clone());
            if let Some(nla) = ladder.stages.last_mut() {
                nla.evidence = Some(Evidence::Inferred);
            }
            return finish(
                out,
                ladder,
                Some(Break::at(Stage::Nla, Stop::CredentialsRefused)),
                seen,
            );
        }
        // The named exchange, else the shape NTLM gives when sizes mislead: three client
        // records before the next protocol's.
        // Done when the client went on after its credentials, or when the server's Early
        // User Authorization Result followed them (the capture may end before the next
        // record).
        let early = exchange
            .find(CredsspMessage::EarlyUserAuthorization)
            .copied();
        let done: Option<(u64, i64, Option<Pdu>)> = match (credentials, named_next, early) {
            (Some(cr), Some(ci), _) => Some((cr.frame, cr.ts_ns, Some(ci))),
            (Some(_), None, Some(ea)) => Some((ea.frame, ea.ts_ns, None)),
            _ => client_data
                .get(2)
                .zip(client_data.get(3))
                .map(|(cr, ci)| (cr.last_frame, cr.ts_ns, Some(*ci))),
        };
        match done {
            Some((done_frame, done_ts, ci)) => {
                let until = ci.map(|p| p.first_frame).unwrap_or(done_frame + 1);
                let mut frames: Vec<u64> = client_data
                    .iter()
                    .filter(|p| p.last_frame <= done_frame)
                    .map(|p| p.last_frame)
                    .collect();
                frames.extend(
                    server_data
                        .iter()
                        .filter(|p| p.last_frame < until)
                        .filter(|p| {
                            !exchange.messages.iter().any(|m| {
                                m.frame == p.last_frame
                                    && m.message == CredsspMessage::SessionTicket
                            })
                        })
                        .map(|p| p.last_frame),
                );
                frames.sort_unstable();
                let early_authorization_frame = early.map(|m| m.frame).or_else(|| {
                    server_data
                        .iter()
                        .filter(|_| sel == protocol::HYBRID_EX)
                        .find(|p| {
                            p.last_frame > done_frame
                                && p.last_frame < until
                                && p.tls_payload_len() <= 64
                        })
                        .map(|p| p.last_frame)
                });
                let seen = Seen::NlaInferred {
                    next_frame: ci.map(|p| p.first_frame),
                    early_authorization_frame,
                    messages,
                };
                ladder.push(Stage::Nla, Status::Ok, frames, seen);
                out.reached = Stage::Nla;
                mcs_start = ci
                    .and_then(|ci| {
                        client_data
                            .iter()
                            .position(|p| p.first_frame == ci.first_frame)
                    })
                    .unwrap_or(client_data.len());
                nla_done_ns = done_ts;
            }
            None => {
                let tickets = exchange
                    .messages
                    .iter()
                    .filter(|m| m.message == CredsspMessage::SessionTicket)
                    .count();
                let mut frames: Vec<u64> = client_data
                    .iter()
                    .chain(&server_data)
                    .map(|p| p.last_frame)
                    .filter(|f| {
                        !exchange
                            .messages
                            .iter()
                            .any(|m| m.frame == *f && m.message == CredsspMessage::SessionTicket)
                    })
                    .collect();
                frames.sort_unstable();
                frames.extend(end.map(|e| e.mark.frame));
                let last = client_data
                    .iter()
                    .chain(&server_data)
                    .map(|p| p.ts_ns)
                    .max()
                    .unwrap_or(tls_done_ns);
                let st = stall(conn, end, last, Side::Server);
                // The server's answer to the client's authentication: its public-key
                // confirmation (pubKeyAuth) when it accepted the credentials. When the
                // client then left, it did so with the credentials accepted.
                let confirmed = exchange
                    .find(CredsspMessage::ServerPubKeyAuth)
                    .filter(|_| end.is_some_and(|e| e.by == Side::Client))
                    .map(|m| (m.frame, m.plaintext.0));
                let seen = Seen::NlaUnfinished {
                    client_records: client_data.len(),
                    server_records: server_data.len() - tickets,
                    stalled: st.seen,
                    confirmed,
                    messages,
                };
                return end_stalled(out, ladder, Stage::Nla, &st, frames, seen);
            }
        }
    } else if selection_unseen {
        ladder.push(
            Stage::Nla,
            Status::Unknown,
            vec![],
            Seen::NlaUnknownMidStream,
        );
        // Which encrypted records are CredSSP's and which MCS's is not known either: only
        // that the connection carried data both ways.
        ladder.push(
            Stage::Mcs,
            Status::Unknown,
            vec![],
            Seen::McsUnknownMidStream,
        );
        let (n_c, n_s) = (client_data.len(), server_data.len());
        let last = client_data
            .iter()
            .chain(&server_data)
            .map(|p| p.last_frame)
            .max();
        if let Some(last) =
            last.filter(|_| n_c >= SESSION_MIN_RECORDS && n_s >= SESSION_MIN_RECORDS)
        {
            let note = Seen::RecordsAfterTls {
                client: n_c,
                server: n_s,
            };
            let summary = Seen::ConnectedMidStream {
                version,
                client: n_c,
                server: n_s,
                end: end.map(|e| e.seen()),
            };
            return session_ok(out, ladder, last, note, summary);
        }
        let st = stall(conn, end, tls_done_ns, Side::Server);
        let seen = Seen::EndedAfterTls(st.seen);
        let mut frames: Vec<u64> = last.into_iter().collect();
        frames.extend(end.map(|e| e.mark.frame));
        return end_stalled(out, ladder, Stage::Session, &st, frames, seen);
    } else {
        ladder.push(Stage::Nla, Status::NotReached, vec![], Seen::NoNla(sel));
    }

    // --- MCS inside TLS (inferred): the client's Connect Initial, the server's answer.
    let ci = client_data.get(mcs_start).copied();
    let reply = ci.and_then(|ci| {
        server_data
            .iter()
            .find(|p| p.first_frame > ci.last_frame)
            .copied()
    });
    match (ci, reply) {
        (Some(ci), Some(rsp)) => {
            ladder.push(
                Stage::Mcs,
                Status::Ok,
                vec![ci.last_frame, rsp.last_frame],
                Seen::McsInferred,
            );
            out.reached = Stage::Mcs;
            let after_c = client_data
                .iter()
                .filter(|p| p.first_frame > rsp.last_frame)
                .count();
            let after_s = server_data
                .iter()
                .filter(|p| p.first_frame > rsp.last_frame)
                .count();
            let evidence = session_evidence(&client_data, &server_data, rsp);
            if let Some(evidence) = evidence
                .filter(|_| after_c >= SESSION_MIN_RECORDS && after_s >= SESSION_MIN_RECORDS)
            {
                let last = client_data
                    .iter()
                    .chain(&server_data)
                    .map(|p| p.last_frame)
                    .max()
                    .unwrap_or(rsp.last_frame);
                let note = Seen::RecordsAfterMcs {
                    client: after_c,
                    server: after_s,
                    evidence,
                };
                let summary = Seen::Connected {
                    version,
                    client: after_c,
                    server: after_s,
                    end: end.map(|e| e.seen()),
                };
                return session_ok(out, ladder, last, note, summary);
            }
            // The connection sequence went on without a session: the last record is the
            // last progress.
            let last = client_data
                .iter()
                .chain(&server_data)
                .filter(|p| p.first_frame > rsp.last_frame)
                .max_by_key(|p| p.last_frame)
                .copied()
                .unwrap_or(rsp);
            setup_ended(conn, out, ladder, end, last.ts_ns, {
                let mut f = vec![rsp.last_frame, last.last_frame];
                f.extend(end.map(|e| e.mark.frame));
                f
            })
        }
        (Some(ci), None) => {
            let st = stall(conn, end, ci.ts_ns, Side::Server);
            let seen = Seen::NoMcsAnswer {
                connect_initial_frame: ci.last_frame,
                stalled: st.seen,
            };
            let mut frames = vec![ci.last_frame];
            frames.extend(end.map(|e| e.mark.frame));
            end_stalled(out, ladder, Stage::Mcs, &st, frames, seen)
        }
        (None, _) => {
            let st = stall(conn, end, nla_done_ns, Side::Client);
            let seen = Seen::ClientSilentAfterSecurity(st.seen);
            end_stalled(
                out,
                ladder,
                Stage::Mcs,
                &st,
                end.map(|e| vec![e.mark.frame]).unwrap_or_default(),
                seen,
            )
        }
    }
}

/// Client records in a row, with no server record between, from which a burst is taken for
/// the client's Confirm Active and finalization (MS-RDPBCGR 1.3.1.1 phases 9 and 10: Confirm
/// Active, Synchronize, Control Cooperate, Control Request, Font List), which clients send
/// together on the server's Demand Active. Earlier in the connection sequence each client
/// request waits for its answer, Erect Domain and Attach User at most going together.
const ACTIVATION_BURST: usize = 4;
/// Server bytes after the MCS exchange taken for screen updates: a connection sequence's
/// server side (join confirms, licensing, Demand Active, finalization) stays under 4 KiB.
const SESSION_OUTPUT_BYTES: u64 = 16 * 1024;
/// Records both ways for this long after the MCS exchange: no client waits this long for an
/// activation that does not come (FreeRDP gives up after 10 s).
const SESSION_DURATION_NS: i64 = 30_000_000_000;

/// What shows that a session inside TLS became active after the MCS exchange that ended with
/// the server's `rsp`; `None` when the records are only a connection sequence's.
fn session_evidence(client: &[Pdu], server: &[Pdu], rsp: Pdu) -> Option<SessionEvidence> {
    let mut after: Vec<&Pdu> = client
        .iter()
        .chain(server)
        .filter(|p| p.first_frame > rsp.last_frame)
        .collect();
    after.sort_by_key(|p| (p.first_frame, p.last_frame));
    let mut run = 0usize;
    let mut run_start = None;
    for p in &after {
        match p.side {
            Side::Client => {
                if run == 0 {
                    run_start = Some(p.first_frame);
                }
                run += 1;
            }
            Side::Server if run >= ACTIVATION_BURST => {
                return run_start.map(|frame| SessionEvidence::Activation { frame });
            }
            Side::Server => run = 0,
        }
    }
    let bytes: u64 = after
        .iter()
        .filter(|p| p.side == Side::Server)
        .map(|p| u64::from(p.tls_payload_len()))
        .sum();
    if bytes >= SESSION_OUTPUT_BYTES {
        return Some(SessionEvidence::ServerOutput { bytes });
    }
    let last = |side: Side| {
        after
            .iter()
            .filter(|p| p.side == side)
            .map(|p| p.ts_ns)
            .max()
    };
    let both = last(Side::Client)?.min(last(Side::Server)?);
    let ns = both - rsp.ts_ns;
    (ns >= SESSION_DURATION_NS).then_some(SessionEvidence::Duration { ns })
}

/// The tool a Connection Request's cookie names when it is a scanner's, not a user's
/// (`Cookie: mstshash=nmap` is nmap's RDP service probe, `nmap-service-probes`): the x224
/// decoder reads the cookie, the ladder judges whose it is. A user who types "nmap" as
/// their name is taken for the scanner.
fn scanner_cookie(cookie: &str) -> Option<&'static str> {
    let name = cookie.strip_prefix("mstshash=")?.trim();
    ["nmap"]
        .into_iter()
        .find(|tool| name.eq_ignore_ascii_case(tool))
}

/// A server's refusal of a CredSSP message, read from encrypted records: the message, how,
/// and the frame and time of the answer or close.
struct NlaRefusal {
    refused: NamedRecord,
    by: Refusal,
    at: (u64, i64),
}

/// The server refused the client's CredSSP message when it answered it with an
/// `errorCode`-sized TSRequest, or when the first thing it did after the client's
/// authentication was to close TLS (an encrypted alert, a FIN or a RST) before the client
/// closed: the client's data records after that are not CredSSP, whatever their size.
fn refusal(
    conn: &Connection,
    exchange: &NlaExchange,
    server_data: &[Pdu],
    (server_alerts, client_alerts): (&[Mark], &[Mark]),
) -> Option<NlaRefusal> {
    if let Some(i) = exchange
        .messages
        .iter()
        .position(|m| m.message == CredsspMessage::ErrorCode)
    {
        let answer = exchange.messages[i];
        let refused = exchange.messages[..i]
            .iter()
            .rev()
            .find(|m| m.side == Side::Client)?;
        return Some(NlaRefusal {
            refused: *refused,
            by: Refusal::ErrorCode {
                frame: answer.frame,
                bytes: answer.plaintext.0,
            },
            at: (answer.frame, answer.ts_ns),
        });
    }
    let auth = *exchange.authentication()?;
    let after = |f: &u64| *f > auth.frame;
    let answer = server_data
        .iter()
        .map(|p| p.first_frame)
        .find(after)
        .unwrap_or(u64::MAX);
    let alert = server_alerts.iter().copied().find(|m| after(&m.frame));
    let fin = conn.s2c.first_fin.filter(|m| after(&m.frame));
    let rst = conn.s2c.first_rst.filter(|m| after(&m.frame));
    let end = match (fin, rst) {
        (Some(f), Some(r)) if r.frame < f.frame => Some((r, true)),
        (Some(f), _) => Some((f, false)),
        (None, Some(r)) => Some((r, true)),
        (None, None) => None,
    };
    let first_close = alert
        .into_iter()
        .chain(end.map(|(m, _)| m))
        .min_by_key(|m| m.frame)?;
    if first_close.frame > answer {
        return None;
    }
    // The server's close must come first: after a client that gave up (its alert, FIN or
    // RST), the server's is an answer to that, not a refusal.
    let client_close = client_alerts
        .iter()
        .map(|m| m.frame)
        .chain(conn.c2s.first_fin.map(|m| m.frame))
        .chain(conn.c2s.first_rst.map(|m| m.frame))
        .filter(|f| after(f))
        .min();
    if client_close.is_some_and(|f| f < first_close.frame) {
        return None;
    }
    Some(NlaRefusal {
        refused: auth,
        by: Refusal::Closed {
            alert_frame: alert.map(|m| m.frame),
            end: end.map(|(m, reset)| EndSeen {
                by: Side::Server.party(),
                reset,
                frame: m.frame,
            }),
        },
        at: (first_close.frame, first_close.ts_ns),
    })
}

/// NLA whose TSRequests are readable (MS-CSSP 2.2.1): a server `errorCode` names the failure;
/// the client's credentials (`authInfo`) end a successful exchange, after which MCS is in
/// clear too.
fn credssp_in_clear(
    (conn, decoded): (&Connection, &Decoded),
    out: RdpOutcome,
    mut ladder: Ladder,
    (c, s): (&[Pdu], &[Pdu]),
    end: Option<Ending>,
    x224_done_ns: i64,
    plain: Option<&super::Plain>,
) -> RdpOutcome {
    if !ladder.stages.iter().any(|st| st.stage == Stage::Tls) {
        ladder.push(Stage::Tls, Status::NotReached, vec![], Seen::CredsspInClear);
    }
    let mut msgs: Vec<(Pdu, credssp::TsRequest)> = c
        .iter()
        .map(|p| (p, &conn.c2s))
        .chain(s.iter().map(|p| (p, &conn.s2c)))
        .filter(|(p, _)| p.kind == PduKind::Der)
        .filter_map(|(p, dir)| credssp::parse_ts_request(p.bytes(dir)).map(|r| (*p, r)))
        .collect();
    msgs.sort_by_key(|(p, _)| p.last_frame);
    let frames: Vec<u64> = msgs.iter().map(|(p, _)| p.last_frame).collect();
    let mut out = out;
    let facts = credssp_facts(&msgs);
    let user = facts.user.clone();
    let mechanism = facts.mechanism;
    out.credssp = Some(facts);
    if let Some((p, r)) = msgs
        .iter()
        .find(|(p, r)| p.side == Side::Server && r.error_code.is_some_and(|e| e != 0))
    {
        let seen = Seen::CredsspError {
            frame: p.last_frame,
            code: r.error_code.unwrap_or(0),
            user,
        };
        let mut frames = frames;
        frames.extend(end.map(|e| e.mark.frame));
        return failed_at(out, ladder, (Stage::Nla, Stop::CredsspError), frames, seen);
    }
    if let Some((p, _)) = msgs
        .iter()
        .find(|(p, r)| p.side == Side::Client && r.auth_info)
    {
        // HYBRID_EX: the server's verdict on the account, after the credentials.
        if let Some((frame, result)) = plain.and_then(|p| p.early_authorization)
            && result != 0
        {
            let seen = Seen::EarlyAuthorizationDenied { frame, user };
            let mut frames = frames;
            frames.push(frame);
            frames.extend(end.map(|e| e.mark.frame));
            return failed_at(
                out,
                ladder,
                (Stage::Nla, Stop::CredentialsRefused),
                frames,
                seen,
            );
        }
        let note = Seen::CredsspCredentials {
            frame: p.last_frame,
        };
        ladder.push(Stage::Nla, Status::Ok, frames, note);
        out.reached = Stage::Nla;
        return standard_security(conn, decoded, out, ladder, end, x224_done_ns, plain);
    }
    // The client's authentication left unanswered, and the server ending TLS first: the
    // credentials or the account were refused.
    let last_client = msgs.iter().rev().find(|(p, _)| p.side == Side::Client);
    let answered = |after: u64| {
        msgs.iter()
            .any(|(p, _)| p.side == Side::Server && p.first_frame > after)
    };
    if let (Some((auth, r)), Some(e)) = (last_client, end.filter(|e| e.by == Side::Server))
        && (r.pub_key_auth
            || matches!(
                r.token,
                Some(credssp::AuthToken::NtlmAuthenticate { .. } | credssp::AuthToken::Kerberos)
            ))
        && !answered(auth.last_frame)
        && e.mark.frame > auth.last_frame
    {
        let alert = plain.and_then(|p| {
            p.alerts
                .iter()
                .find(|a| a.side == Side::Server && a.frame > auth.last_frame)
                .map(|a| (a.frame, a.description.clone()))
        });
        let seen = Seen::CredsspRefused {
            auth_frame: auth.last_frame,
            user,
            mechanism,
            alert: alert.clone(),
            end: e.seen(),
        };
        let mut frames = frames;
        frames.extend(alert.map(|a| a.0));
        frames.push(e.mark.frame);
        return failed_at(
            out,
            ladder,
            (Stage::Nla, Stop::CredentialsRefused),
            frames,
            seen,
        );
    }
    let last = msgs.last().map(|(p, _)| p.ts_ns).unwrap_or(x224_done_ns);
    let st = stall(conn, end, last, Side::Server);
    let seen = Seen::CredsspUnfinished(st.seen);
    let mut frames = frames;
    frames.extend(end.map(|e| e.mark.frame));
    end_stalled(out, ladder, Stage::Nla, &st, frames, seen)
}

/// What the TSRequests read in clear say (`REPORT.md` `credssp`).
fn credssp_facts(msgs: &[(Pdu, credssp::TsRequest)]) -> super::facts::CredsspFacts {
    use credssp::AuthToken;
    let mut f = super::facts::CredsspFacts {
        version: msgs.iter().filter_map(|(_, r)| r.version).max(),
        frames: msgs.iter().map(|(p, _)| p.last_frame).collect(),
        credentials_sent: msgs
            .iter()
            .any(|(p, r)| p.side == Side::Client && r.auth_info),
        ..Default::default()
    };
    for (_, r) in msgs {
        if let Some(t) = &r.token {
            f.mechanism.get_or_insert(t.mechanism());
            if let AuthToken::NtlmAuthenticate {
                domain,
                user,
                workstation,
            } = t
            {
                f.user = Some(if domain.is_empty() {
                    user.clone()
                } else {
                    format!("{domain}\\{user}")
                });
                f.workstation = Some(workstation.clone()).filter(|w| !w.is_empty());
            }
        }
    }
    if let Some(code) = msgs
        .iter()
        .filter(|(p, _)| p.side == Side::Server)
        .find_map(|(_, r)| r.error_code.filter(|&e| e != 0))
    {
        f.error_code = Some(code);
        f.error = crate::model::codes::status(code).map(|s| s.0.to_string());
    }
    f
}

/// Standard RDP Security: MCS in clear (MS-RDPBCGR 2.2.1.3, 2.2.1.4), decoded by [`mcs`].
fn standard_security(
    conn: &Connection,
    decoded: &Decoded,
    mut out: RdpOutcome,
    mut ladder: Ladder,
    end: Option<Ending>,
    x224_done_ns: i64,
    plain: Option<&super::Plain>,
) -> RdpOutcome {
    // The units as the decode pass cut them, fast-path PDUs included (from the start, or
    // after CredSSP in clear).
    let (cu, su) = (&decoded.client, &decoded.server);
    let c: Vec<Pdu> = cu.pdus.iter().skip(1).copied().collect();
    let s: Vec<Pdu> = su.pdus.iter().skip(1).copied().collect();
    fn mcs_of(u: &Units) -> Vec<(Pdu, &McsPdu)> {
        u.iter()
            .skip(1)
            .filter_map(|(p, t)| match t {
                Some(Tpdu::Data(Some(m))) => Some((*p, &**m)),
                _ => None,
            })
            .collect()
    }
    let (c_mcs, s_mcs) = (mcs_of(cu), mcs_of(su));
    let ci = c_mcs.iter().find_map(|(p, m)| match m {
        McsPdu::ConnectInitial(ci) => Some((*p, ci.clone())),
        _ => None,
    });
    let cresp = s_mcs.iter().find_map(|(p, m)| match m {
        McsPdu::ConnectResponse(r) => Some((*p, r.clone())),
        _ => None,
    });
    let dpum = s_mcs.iter().find_map(|(p, m)| match m {
        McsPdu::DisconnectProviderUltimatum { reason } => Some((*p, *reason)),
        _ => None,
    });
    out.mcs = Some(mcs_facts(
        ci.as_ref().map(|x| (&x.1, x.0.last_frame)),
        cresp.as_ref().map(|x| (&x.1, x.0.last_frame)),
    ));
    match (ci, cresp) {
        (Some((cip, _)), Some((rsp, r))) => {
            let frames = vec![cip.last_frame, rsp.last_frame];
            if r.result != 0 || r.gcc_result.is_some_and(|g| g != 0) {
                let seen = Seen::McsRefused {
                    result: r.result,
                    gcc_result: r.gcc_result.filter(|g| *g != 0),
                    frame: rsp.last_frame,
                };
                return failed_at(out, ladder, (Stage::Mcs, Stop::McsRefused), frames, seen);
            }
            ladder.push(Stage::Mcs, Status::Ok, frames, Seen::McsInClear);
            out.reached = Stage::Mcs;
            let counts_before = |f: u64| {
                (
                    c.iter()
                        .filter(|p| p.first_frame > rsp.last_frame && p.first_frame < f)
                        .count(),
                    s.iter()
                        .filter(|p| p.first_frame > rsp.last_frame && p.first_frame < f)
                        .count(),
                )
            };
            // A Disconnect Provider Ultimatum ends every session; it is a refusal only when it
            // comes before the session got going. The session runs once the server sends
            // fast-path updates, or when both sides exchanged well beyond the channel joins,
            // licensing and capability PDUs of connection setup.
            let dpum = dpum.filter(|(d, _)| d.first_frame > rsp.last_frame);
            let until = dpum.map(|(d, _)| d.first_frame).unwrap_or(u64::MAX);
            let (after_c, after_s) = counts_before(until);
            let updates = s
                .iter()
                .filter(|p| {
                    p.kind == PduKind::FastPath
                        && p.first_frame > rsp.last_frame
                        && p.first_frame < until
                })
                .count();
            // What the server's PDUs say in clear (decrypted, or encryption level none): its
            // error info, a licensing error, screen updates on the slow path.
            let notices: Vec<(Pdu, mcs::ServerNotice)> = s_mcs
                .iter()
                .filter(|(p, m)| {
                    p.first_frame > rsp.last_frame && matches!(m, McsPdu::SendDataIndication { .. })
                })
                .filter_map(|(p, _)| {
                    mcs::mcs_user_data(p.bytes(&conn.s2c))
                        .and_then(mcs::server_notice)
                        .map(|n| (*p, n))
                })
                .collect();
            let slow_updates = notices
                .iter()
                .filter(|(p, n)| *n == mcs::ServerNotice::Update && p.first_frame < until)
                .count();
            let updates = updates + slow_updates;
            let error_info = notices.iter().find_map(|(p, n)| match n {
                mcs::ServerNotice::ErrorInfo(code) if *code != 0 => Some((*p, *code)),
                _ => None,
            });
            let license_error = notices.iter().find_map(|(p, n)| match n {
                mcs::ServerNotice::License { code, transition } if *code != 0x07 => {
                    Some((*p, *code, *transition))
                }
                _ => None,
            });
            // The account the client logs on with, from its Client Info PDU when readable.
            // The Client Info PDU is the client's first Send Data Request after the channel
            // joins (MS-RDPBCGR 1.3.1.1, phase 5, under Enhanced RDP Security).
            let user = c_mcs
                .iter()
                .find(|(p, m)| {
                    p.first_frame > rsp.last_frame && matches!(m, McsPdu::SendDataRequest { .. })
                })
                .and_then(|(p, _)| {
                    mcs::mcs_user_data(p.bytes(&conn.c2s)).and_then(mcs::client_info_user)
                });
            if let Some(m) = out.mcs.as_mut() {
                m.client_info_user = user.clone();
                if let Some((_, code)) = error_info {
                    m.error_info = Some(code);
                    m.error_info_name = crate::model::codes::errinfo(code).map(|e| e.0.to_string());
                }
                m.license_error = license_error.map(|(_, code, _)| mcs::license_error_name(code));
            }
            // Before any screen update, the server's error info, else its licensing error,
            // is why it ended the connection.
            let server_reason = error_info
                .map(|(p, code)| {
                    let seen = Seen::ServerErrorInfo {
                        code,
                        frame: p.last_frame,
                        end: end.map(|e| e.seen()),
                    };
                    (p, seen)
                })
                .or_else(|| {
                    license_error.map(|(p, code, transition)| {
                        let seen = Seen::LicenseError {
                            code,
                            transition,
                            frame: p.last_frame,
                            end: end.map(|e| e.seen()),
                        };
                        (p, seen)
                    })
                })
                .filter(|_| updates == 0);
            if let Some((p, seen)) = server_reason {
                let mut frames = vec![p.last_frame];
                frames.extend(end.map(|e| e.mark.frame));
                return failed_at(
                    out,
                    ladder,
                    (Stage::Session, Stop::ServerDisconnected),
                    frames,
                    seen,
                );
            }
            // Decrypted: a server that activated the session and closed it before any screen
            // output ended it; the PDU counts alone would call it a session.
            if let (Some(plain), Some(e)) = (plain, end.filter(|e| e.by == Side::Server))
                && updates == 0
                && dpum.is_none()
                && let Some(last) = s
                    .iter()
                    .filter(|p| p.first_frame > rsp.last_frame && p.first_frame < e.mark.frame)
                    .max_by_key(|p| p.last_frame)
            {
                let alert = plain
                    .alerts
                    .iter()
                    .find(|a| a.side == Side::Server && a.frame > last.last_frame)
                    .map(|a| (a.frame, a.description.clone()));
                let seen = Seen::ClosedAfterActivation {
                    user: user.clone(),
                    activation_frame: last.last_frame,
                    after_ns: e.mark.ts_ns - last.ts_ns,
                    alert: alert.clone(),
                    end: e.seen(),
                };
                let mut frames = vec![last.last_frame];
                frames.extend(alert.map(|a| a.0));
                frames.push(e.mark.frame);
                return failed_at(
                    out,
                    ladder,
                    (Stage::Session, Stop::ServerDisconnected),
                    frames,
                    seen,
                );
            }
            let session = updates > 0 || (after_c >= 12 && after_s >= 12);
            if session {
                let last = c
                    .iter()
                    .chain(&s)
                    .map(|p| p.last_frame)
                    .max()
                    .unwrap_or(rsp.last_frame);
                let note = Seen::PdusAfterMcs {
                    client: after_c,
                    server: after_s,
                };
                let summary = Seen::ConnectedStandard {
                    client: after_c,
                    server: after_s,
                    ultimatum: dpum.map(|(d, r)| (r, d.last_frame)),
                    end: end.map(|e| e.seen()),
                };
                return session_ok(out, ladder, last, note, summary);
            }
            if let Some((d, r)) = dpum {
                let seen = Seen::UltimatumInSetup {
                    reason: r,
                    frame: d.last_frame,
                };
                ladder.push(
                    Stage::Session,
                    Status::Failed,
                    vec![d.last_frame],
                    seen.clone(),
                );
                return finish(
                    out,
                    ladder,
                    Some(Break::at(Stage::Session, Stop::ServerDisconnected)),
                    seen,
                );
            }
            setup_ended(
                conn,
                out,
                ladder,
                end,
                rsp.ts_ns,
                end.map(|e| vec![e.mark.frame]).unwrap_or_default(),
            )
        }
        (Some((cip, _)), None) => {
            if let Some((d, r)) = dpum {
                let mut frames = vec![cip.last_frame, d.last_frame];
                frames.extend(end.map(|e| e.mark.frame));
                let seen = Seen::UltimatumForConnectInitial {
                    connect_initial_frame: cip.last_frame,
                    reason: r,
                    frame: d.last_frame,
                };
                return failed_at(
                    out,
                    ladder,
                    (Stage::Mcs, Stop::ServerDisconnected),
                    frames,
                    seen,
                );
            }
            let st = stall(conn, end, cip.ts_ns, Side::Server);
            let seen = Seen::NoConnectResponse {
                connect_initial_frame: cip.last_frame,
                stalled: st.seen,
            };
            end_stalled(out, ladder, Stage::Mcs, &st, vec![cip.last_frame], seen)
        }
        (None, _) => {
            let st = stall(conn, end, x224_done_ns, Side::Client);
            let seen = Seen::NoConnectInitial(st.seen);
            end_stalled(
                out,
                ladder,
                Stage::Mcs,
                &st,
                end.map(|e| vec![e.mark.frame]).unwrap_or_default(),
                seen,
            )
        }
    }
}

/// What the MCS exchange says in clear: the client's name, build, keyboard, display and
/// channels, and the server's encryption and certificate (Zeek's rdp.log fields, named as Zeek
/// names them).
fn mcs_facts(
    ci: Option<(&mcs::ConnectInitial, u64)>,
    cr: Option<(&mcs::ConnectResponse, u64)>,
) -> McsFacts {
    let core = ci.and_then(|(c, _)| c.client_core.as_ref());
    let sec = cr.and_then(|(r, _)| r.server_security.as_ref());
    let cert = sec.and_then(|s| s.cert.as_ref());
    let mut problems: Vec<String> = Vec::new();
    if let Some((c, _)) = ci {
        problems.extend(c.problems.iter().cloned());
    }
    if let Some((r, _)) = cr {
        problems.extend(r.problems.iter().cloned());
    }
    McsFacts {
        connect_initial_frame: ci.map(|(_, f)| f),
        connect_response_frame: cr.map(|(_, f)| f),
        client_name: core.map(|c| c.client_name.clone()),
        client_build: core.map(|c| mcs::client_build_name(c.client_build)),
        client_build_raw: core.map(|c| c.client_build),
        keyboard_layout: core.map(|c| mcs::keyboard_layout_name(c.keyboard_layout)),
        desktop_width: core.map(|c| c.desktop_width),
        desktop_height: core.map(|c| c.desktop_height),
        requested_color_depth: core.and_then(|c| c.requested_color_depth()),
        client_dig_product_id: core.and_then(|c| c.client_dig_product_id.clone()),
        server_selected_protocol_echo: core
            .and_then(|c| c.server_selected_protocol)
            .map(x224::protocol_name),
        channels: ci.map(|(c, _)| c.channels.clone()).unwrap_or_default(),
        result: cr.map(|(r, _)| mcs::mcs_result_name(r.result)),
        gcc_result: cr.and_then(|(r, _)| r.gcc_result).map(mcs::gcc_result_name),
        encryption_method: sec.map(|s| mcs::encryption_method_name(s.encryption_method)),
        encryption_level: sec.map(|s| mcs::encryption_level_name(s.encryption_level)),
        cert_type: cert.map(|c| mcs::cert_type_name(c.chain_version())),
        cert_count: cert.map(|c| c.count()),
        cert_permanent: cert.map(|c| c.permanent),
        // Each certificate of the chain decoded like a TLS certificate.
        certificates: cert
            .map(|c| {
                c.x509_chain
                    .iter()
                    .filter_map(|der| tls::certificate_info(der, c.x509_chain.len()))
                    .collect()
            })
            .unwrap_or_default(),
        problems,
        ..Default::default()
    }
}

/// The first unit of a session already up when the capture began: a direction's first unit
/// is TLS application data or a fast-path PDU, and neither direction holds a handshake
/// record or an X.224 PDU.
fn session_underway(c_all: &[Pdu], s_all: &[Pdu]) -> Option<Pdu> {
    let handshake = |p: &Pdu| matches!(p.kind, PduKind::Tpkt | PduKind::Tls(content::HANDSHAKE));
    if c_all.iter().chain(s_all).any(handshake) {
        return None;
    }
    let session_unit = |p: &&Pdu| {
        matches!(
            p.kind,
            PduKind::Tls(content::APPLICATION_DATA) | PduKind::FastPath
        )
    };
    c_all
        .first()
        .filter(session_unit)
        .into_iter()
        .chain(s_all.first().filter(session_unit))
        .min_by_key(|p| p.first_frame)
        .copied()
}

/// The session ran: the last stage is `session`, the verdict `ok`.
fn session_ok(
    mut out: RdpOutcome,
    mut ladder: Ladder,
    last_frame: u64,
    note: Seen,
    summary: Seen,
) -> RdpOutcome {
    ladder.push(Stage::Session, Status::Ok, vec![last_frame], note);
    out.reached = Stage::Session;
    finish(out, ladder, None, summary)
}

/// The connection ended after the MCS exchange and before the session ran.
fn setup_ended(
    conn: &Connection,
    out: RdpOutcome,
    ladder: Ladder,
    end: Option<Ending>,
    mcs_done_ns: i64,
    frames: Vec<u64>,
) -> RdpOutcome {
    let st = stall(conn, end, mcs_done_ns, Side::Server);
    let seen = Seen::SetupUnfinished(st.seen);
    end_stalled(out, ladder, Stage::Session, &st, frames, seen)
}

/// Ends the ladder at `stage`, which failed as `seen` says, stopping there with `stop`.
fn failed_at(
    out: RdpOutcome,
    mut ladder: Ladder,
    (stage, stop): (Stage, Stop),
    frames: Vec<u64>,
    seen: Seen,
) -> RdpOutcome {
    ladder.push(stage, Status::Failed, frames, seen.clone());
    finish(out, ladder, Some(Break::at(stage, stop)), seen)
}

/// Ends the ladder at `stage`, which stalled: `unknown` when the capture simply ended, else
/// `failed`.
fn end_stalled(
    out: RdpOutcome,
    mut ladder: Ladder,
    stage: Stage,
    st: &Stall,
    frames: Vec<u64>,
    seen: Seen,
) -> RdpOutcome {
    let status = if matches!(st.stop, Stop::StillOpen | Stop::PayloadCapped) {
        Status::Unknown
    } else {
        Status::Failed
    };
    ladder.push(stage, status, frames, seen.clone());
    let stop = Break {
        stage,
        stop: st.stop,
        waiting_for: Some(st.waiting_for.party()),
    };
    finish(out, ladder, Some(stop), seen)
}

/// Ends the ladder: the stages not reached, the evidence of each, and where it stopped (none
/// when the session ran).
fn finish(
    mut out: RdpOutcome,
    mut ladder: Ladder,
    stop: Option<Break>,
    summary: Seen,
) -> RdpOutcome {
    ladder.rest_not_reached();
    // Inside TLS, everything after the handshake is judged from encrypted records, and so is
    // the session under Standard RDP Security (PDU counts).
    let in_tls = out.tls.is_some();
    for s in &mut ladder.stages {
        let inferred = match s.stage {
            Stage::Nla | Stage::Mcs => in_tls,
            Stage::Session => true,
            _ => false,
        };
        if inferred && s.evidence.is_some() {
            s.evidence = Some(Evidence::Inferred);
        }
    }
    out.stages = ladder.stages;
    out.stop = stop;
    out.summary = Some(summary);
    out
}

fn negotiation_facts(
    cr: Option<&x224::ConnectionRequest>,
    cc: Option<&x224::ConnectionConfirm>,
    cr_frame: Option<u64>,
    cc_frame: Option<u64>,
) -> Negotiation {
    let mut problems: Vec<String> = Vec::new();
    if let Some(c) = cr {
        problems.extend(c.problems.iter().cloned());
    }
    if let Some(c) = cc {
        problems.extend(c.problems.iter().cloned());
    }
    Negotiation {
        cookie: cr.and_then(|c| c.cookie.clone()),
        routing_token: cr.and_then(|c| c.routing_token.clone()),
        requested: cr.and_then(|c| c.requested).map(x224::protocol_names),
        requested_raw: cr.and_then(|c| c.requested),
        request_flags: cr.and_then(|c| c.neg_flags),
        correlation_id: cr.and_then(|c| c.correlation_id.clone()),
        selected: cc.and_then(|c| {
            c.failure()
                .is_none()
                .then(|| x224::protocol_name(c.selected().unwrap_or(0)))
        }),
        selected_raw: cc.and_then(|c| c.selected()),
        response_flags: cc.and_then(|c| c.flags()),
        failure: cc.and_then(|c| c.failure()).map(|f| f.name()),
        request_frame: cr_frame,
        confirm_frame: cc_frame,
        problems,
    }
}

fn tls_facts(t: &TlsView) -> TlsFacts {
    let sni = t.client_hello.as_ref().and_then(|(_, c)| c.sni.clone());
    let certificate = t.certificate.as_ref().and_then(|(frame, c)| {
        c.as_ref().map(|c| Certificate {
            info: c.clone(),
            frame: *frame,
            matches_sni: sni.as_deref().map(|h| tls::certificate_names(c, h)),
        })
    });
    TlsFacts {
        version: t.server_hello.as_ref().map(|(_, s)| s.version.clone()),
        cipher: t.server_hello.as_ref().map(|(_, s)| s.cipher.clone()),
        sni,
        client_hello: t.client_hello.as_ref().map(|(f, c)| ClientHelloFacts {
            frame: *f,
            version: c.version.clone(),
            supported_versions: c.supported_versions.clone(),
            cipher_suites: c.cipher_suites,
        }),
        server_hello_frame: t.server_hello.as_ref().map(|(f, _)| *f),
        alerts: t.alerts.clone(),
        alerts_omitted: t.alerts_omitted,
        certificate,
        certificate_encrypted: t.tls13 && (t.certificate.is_none() || t.certificate_decrypted),
        client_finished_frame: t.client_after_ccs.first().map(|p| p.last_frame),
        server_finished_frame: t.server_after_ccs.first().map(|p| p.last_frame),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS application-data record of `len` payload bytes from `side`, in `frame` at
    /// `ms` milliseconds.
    fn rec(side: Side, frame: u64, ms: i64, len: u32) -> Pdu {
        Pdu::sealed_record(side, frame, ms, len)
    }

    fn split(all: &[Pdu]) -> (Vec<Pdu>, Vec<Pdu>) {
        let of = |s| all.iter().filter(|p| p.side == s).copied().collect();
        (of(Side::Client), of(Side::Server))
    }

    /// The connection sequence after the MCS answer (frame 2): joins one by one, Client
    /// Info, licensing; the same with the activation burst; with screen updates and no burst;
    /// with a long exchange of small records and no burst.
    #[test]
    fn scanners_are_named_by_their_cookie() {
        assert_eq!(scanner_cookie("mstshash=nmap"), Some("nmap"));
        assert_eq!(scanner_cookie("mstshash=NMAP "), Some("nmap"));
        assert_eq!(scanner_cookie("mstshash=alice"), None);
        assert_eq!(scanner_cookie("msts=nmap"), None);
    }

    #[test]
    fn session_evidence_needs_more_than_a_connection_sequence() {
        let rsp = rec(Side::Server, 2, 10, 100);
        let mut sequence = vec![rec(Side::Client, 3, 20, 30), rec(Side::Client, 4, 20, 30)];
        for i in 0..6u64 {
            sequence.push(rec(Side::Server, 5 + 2 * i, 30, 35));
            sequence.push(rec(Side::Client, 6 + 2 * i, 40, 35));
        }
        sequence.push(rec(Side::Server, 20, 50, 350));
        let (c, s) = split(&sequence);
        assert_eq!(session_evidence(&c, &s, rsp), None);

        let mut active = sequence.clone();
        active.push(rec(Side::Server, 21, 60, 450));
        for f in 22..27 {
            active.push(rec(Side::Client, f, 70, 60));
        }
        active.push(rec(Side::Server, 27, 80, 60));
        let (c, s) = split(&active);
        assert_eq!(
            session_evidence(&c, &s, rsp),
            Some(SessionEvidence::Activation { frame: 22 })
        );
        // A client burst with no server record after it proves nothing yet.
        active.pop();
        let (c, s) = split(&active);
        assert_eq!(session_evidence(&c, &s, rsp), None);

        let mut updates = sequence.clone();
        updates.extend((0..12).map(|i| rec(Side::Server, 30 + i, 100, 1400)));
        let (c, s) = split(&updates);
        assert_eq!(
            session_evidence(&c, &s, rsp),
            Some(SessionEvidence::ServerOutput {
                bytes: 6 * 35 + 350 + 12 * 1400
            })
        );

        let mut long = sequence.clone();
        long.push(rec(Side::Client, 50, 40_000, 40));
        long.push(rec(Side::Server, 51, 40_010, 40));
        let (c, s) = split(&long);
        assert_eq!(
            session_evidence(&c, &s, rsp),
            Some(SessionEvidence::Duration { ns: 39_990_000_000 })
        );
    }
}
