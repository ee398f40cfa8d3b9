//! The per-connection stage machine `tcp → x224 → tls → nla → mcs → session` (REPORT.md
//! "Stages"): each stage `ok / failed / not_reached / unknown` with the frames that prove it,
//! and where the connection stopped ([`judged::Break`]). Which cause a stop means is
//! `diagnose::verdict`'s to say.
//!
//! The `tcp` stage is read here from the tracker's facts: a completed three-way handshake
//! (RFC 9293 §3.5), a SYN answered by RST, an ICMP error quoting the connection, SYNs never
//! answered, or a capture that stops before an answer could be expected. The stages after it
//! are read by [`ladder`] over the reassembled streams; the protocol decoders are [`x224`],
//! [`tls`], [`credssp`], [`mcs`] and [`side`] (DNS, Kerberos), their typed results
//! [`facts`], and a judged connection is held or spilled by [`held`].

pub mod credssp;
pub mod decrypt;
pub mod facts;
pub mod held;
pub mod judged;
pub mod ladder;
pub mod mcs;
pub mod messages;
pub mod nla_records;
pub mod observed;
pub mod pdu;
pub mod secrets;
pub mod side;
pub mod tls;
pub mod x224;

use crate::model::InputName;
use crate::model::time::rfc3339;
use crate::model::{Evidence, Stage, Status, Transport};
use crate::tcp::{Connection, Direction};
use held::Detail;
use judged::{
    Break, ConnectionDetail, DirectionCounts, IcmpError, JudgedConnection, NetworkFacts,
    StageOutcome, Stop,
};
use observed::Seen;

/// An unanswered SYN is only called unanswered when the capture went on at least this long
/// after it (or the client retried): the first SYN retransmission timeout is 1 s (RFC 6298
/// §2.1) and Windows waits 3 s.
pub const NO_ANSWER_AFTER_NS: i64 = 3_000_000_000;
/// A SYN that no SYN of the same connection followed within this time was a scanner's (or a
/// port check's with a short timeout): a client's kernel sends it again after its first
/// retransmission timeout, 1 s on Linux (RFC 6298 §2.1) and 3 s on Windows.
pub const SENT_AGAIN_WITHIN_NS: i64 = 4_000_000_000;
/// The same for a connection the tracker stopped following while the capture went on (a
/// flood of them, `tcp::Shard::evict`): the first retransmission timeout, as an answer comes
/// within a round trip.
pub const NO_ANSWER_WHEN_ENDED_EARLY_NS: i64 = 1_000_000_000;

/// Writes the `tcp` stage of a connection that stopped there, as `seen` says: where it
/// stopped and its summary.
fn tcp_stopped(
    stages: &mut Vec<StageOutcome>,
    status: Status,
    frames: Vec<u64>,
    stop: Stop,
    seen: Seen,
) -> (Option<Break>, Option<Seen>) {
    stages.push(stage(Stage::Tcp, status, frames, Some(seen.clone())));
    (Some(Break::at(Stage::Tcp, stop)), Some(seen))
}

/// A decrypted connection: the connection with each direction's kept stream replaced by its
/// bytes before TLS and then its application data in clear (each plaintext byte still names
/// the frame of the record that carried it), those bytes cut into units, and the records.
pub struct Plain {
    pub conn: Connection,
    pub decoded: facts::Decoded,
    pub decrypted: decrypt::Decrypted,
    /// The server's Early User Authorization Result (MS-RDPBCGR 2.2.10.2, HYBRID_EX): its
    /// frame and value (0 ACCESS_GRANTED, 5 ACCESS_DENIED); not part of the plaintext stream.
    pub early_authorization: Option<(u64, u32)>,
    /// The alerts both sides sent encrypted, read (RFC 5246 §7.2).
    pub alerts: Vec<DecryptedAlert>,
}

/// An alert record, decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptedAlert {
    pub side: crate::tcp::Side,
    pub frame: u64,
    pub level: facts::AlertLevel,
    /// The description's name (`close_notify`).
    pub description: String,
}

/// One direction of a decrypted connection: its bytes before its first TLS record (the X.224
/// exchange), then the plaintext of its application data records but the 4-byte one in frame
/// `skip` (each byte named by the frame that completed its record).
fn plaintext_direction(
    dir: &crate::tcp::Direction,
    units: &facts::Units,
    plain: &[decrypt::PlainRecord],
    skip: Option<u64>,
) -> crate::tcp::Direction {
    let from = units
        .pdus
        .iter()
        .find(|p| matches!(p.kind, pdu::PduKind::Tls(_)))
        .map_or(dir.stream.len(), |p| p.offset as usize)
        .min(dir.stream.len());
    let mut stream = dir.stream[..from].to_vec();
    let mut segments: Vec<crate::tcp::Segment> = dir
        .segments
        .iter()
        .filter(|g| (g.offset as usize) < from)
        .map(|g| crate::tcp::Segment {
            len: g.len.min((from - g.offset as usize) as u32),
            ..*g
        })
        .collect();
    for r in plain.iter().filter(|r| {
        r.content == tls::content::APPLICATION_DATA
            && !r.data.is_empty()
            && !(Some(r.last_frame) == skip && r.data.len() == 4)
    }) {
        segments.push(crate::tcp::Segment {
            offset: stream.len() as u32,
            len: r.data.len() as u32,
            frame: r.last_frame,
            ts_ns: r.ts_ns,
        });
        stream.extend_from_slice(&r.data);
    }
    dir.with_stream(stream, segments)
}

/// How decryption went for a connection that had a TLS handshake while secrets were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecryptionOutcome {
    /// Decrypted with the server's key from this file, or a key log.
    Decrypted(decrypt::KeySource),
    /// Not decrypted, and why.
    Not(decrypt::NotDecrypted),
}

/// Decrypts a connection whose TLS handshake was captured, when `secrets` hold its keys.
/// `None` when it has no ClientHello.
fn plaintext_view(
    conn: &Connection,
    decoded: &facts::Decoded,
    secrets: &secrets::Secrets,
) -> Option<Result<Plain, decrypt::NotDecrypted>> {
    use pdu::{Pdu, PduKind};
    let hello = decoded
        .client
        .handshake
        .iter()
        .any(|h| matches!(h.message, tls::HandshakeMessage::ClientHello(_)));
    if !hello {
        // TLS records without the handshake (a capture begun later): say it cannot decrypt.
        let tls = |u: &facts::Units| u.pdus.iter().any(|p| matches!(p.kind, PduKind::Tls(_)));
        return (tls(&decoded.client) || tls(&decoded.server))
            .then_some(Err(decrypt::NotDecrypted::HandshakeMissing));
    }
    fn records<'a>(units: &facts::Units, dir: &'a crate::tcp::Direction) -> Vec<(Pdu, &'a [u8])> {
        units
            .pdus
            .iter()
            .filter(|p| matches!(p.kind, PduKind::Tls(_)))
            .map(|p| (*p, p.bytes(dir)))
            .collect()
    }
    let c = records(&decoded.client, &conn.c2s);
    let s = records(&decoded.server, &conn.s2c);
    let decrypted = match decrypt::decrypt(secrets, &c, &s) {
        // Records that stop opening part-way leave the rest unread: judged without them.
        Ok(d) if d.stopped.is_some() => {
            let (side, frame, fault) =
                d.stopped
                    .unwrap_or((crate::tcp::Side::Client, 0, decrypt::Fault::TooShort));
            return Some(Err(decrypt::NotDecrypted::Stopped(side, frame, fault)));
        }
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    // HYBRID_EX: four bytes from the server right after its last TSRequest, before MCS.
    let hybrid_ex = decoded.server.iter().any(|(_, t)| {
        matches!(t, Some(facts::Tpdu::Confirm(Some(cc))) if cc.selected() == Some(x224::protocol::HYBRID_EX))
    });
    let early_authorization = if !hybrid_ex {
        None
    } else {
        let data: Vec<&decrypt::PlainRecord> = decrypted
            .server
            .iter()
            .filter(|r| r.content == tls::content::APPLICATION_DATA && !r.data.is_empty())
            .collect();
        data.windows(2).find_map(|w| {
            let value = <[u8; 4]>::try_from(w[1].data.as_slice()).ok()?;
            (w[0].data.first() == Some(&0x30)).then(|| (w[1].last_frame, u32::from_le_bytes(value)))
        })
    };
    let alerts = decrypted
        .client
        .iter()
        .chain(&decrypted.server)
        .filter(|r| r.content == tls::content::ALERT && r.data.len() >= 2)
        .map(|r| DecryptedAlert {
            side: r.side,
            frame: r.last_frame,
            level: if r.data[0] == 2 {
                facts::AlertLevel::Fatal
            } else {
                facts::AlertLevel::Warning
            },
            description: tls::alert_name(r.data[1]),
        })
        .collect();
    let mut plain_conn = conn.clone();
    plain_conn.c2s = plaintext_direction(&conn.c2s, &decoded.client, &decrypted.client, None);
    plain_conn.s2c = plaintext_direction(
        &conn.s2c,
        &decoded.server,
        &decrypted.server,
        early_authorization.map(|(f, _)| f),
    );
    let plain_decoded = facts::Decoded::of_plaintext(&plain_conn);
    Some(Ok(Plain {
        conn: plain_conn,
        decoded: plain_decoded,
        decrypted,
        early_authorization,
        alerts,
    }))
}

/// Judges one connection. `capture_end_ns` is the time of the capture's last frame.
/// `input` is the capture's name; `secrets` what the user gave to decrypt TLS.
pub fn judge(
    conn: &Connection,
    input: InputName,
    capture_end_ns: i64,
    secrets: Option<&secrets::Secrets>,
) -> JudgedConnection {
    let network = network_report(conn);
    // The one pass over the connection's bytes, read by the ladder and the message sequence.
    let decoded = facts::Decoded::of(conn);
    let view = secrets
        .filter(|s| !s.is_empty())
        .and_then(|s| plaintext_view(conn, &decoded, s));
    let decryption = view.as_ref().map(|v| match v {
        Ok(p) => DecryptionOutcome::Decrypted(p.decrypted.source.clone()),
        Err(e) => DecryptionOutcome::Not(e.clone()),
    });
    let plain = view.and_then(Result::ok);
    let mut stages = Vec::with_capacity(Stage::ALL.len());
    let mut stop = None;
    let mut reached = None;
    // Replaced by the ladder's when it runs (every connection whose TCP stage completed).
    let mut summary = None;

    let server_rst = conn.s2c.first_rst;
    if let Some(syn) = conn.syn {
        let mut syn_frames = conn.syn_frames.clone();
        if let Some((frames, seen)) = half_open_scan(conn, syn.frame) {
            (stop, summary) = tcp_stopped(&mut stages, Status::Failed, frames, Stop::Probe, seen);
        } else if let Some(sa) = conn.synack {
            let mut frames = vec![syn.frame, sa.frame];
            frames.extend(conn.handshake_ack.map(|m| m.frame));
            let note = conn
                .handshake_ack
                .is_none()
                .then_some(Seen::FinalAckMissing);
            stages.push(stage(Stage::Tcp, Status::Ok, frames, note));
            reached = Some(Stage::Tcp);
        } else if let Some(rst) = server_rst.filter(|r| r.frame > syn.frame) {
            syn_frames.push(rst.frame);
            let seen = Seen::SynReset {
                server: conn.server,
                reset_frame: rst.frame,
            };
            (stop, summary) = tcp_stopped(
                &mut stages,
                Status::Failed,
                syn_frames,
                Stop::SynReset,
                seen,
            );
        } else if let Some(icmp) = conn.icmp.first() {
            syn_frames.extend(conn.icmp.iter().map(|e| e.mark.frame));
            let seen = Seen::SynUnreachable {
                message: icmp_message(icmp.icmp.v6, icmp.icmp.icmp_type, icmp.icmp.code),
                reporter: icmp.icmp.reporter,
                frame: icmp.mark.frame,
            };
            (stop, summary) = tcp_stopped(
                &mut stages,
                Status::Failed,
                syn_frames,
                Stop::SynUnreachable,
                seen,
            );
        } else {
            // Seen unanswered until the capture ended or, for a connection ended for being
            // idle, until its idle limit ran out (not the moment that was noticed, which
            // follows how the capture was cut into blocks).
            let seen_until = conn.idle_until_ns.unwrap_or(capture_end_ns);
            let waited = seen_until.max(conn.last.ts_ns) - syn.ts_ns;
            let sent = 1 + conn.syn_retries;
            let enough = if conn.ended_early {
                NO_ANSWER_WHEN_ENDED_EARLY_NS
            } else {
                NO_ANSWER_AFTER_NS
            };
            if conn.syn_retries == 0 && waited >= SENT_AGAIN_WITHIN_NS {
                let seen = Seen::SynOnce {
                    server: conn.server,
                    frame: syn.frame,
                    waited_ns: waited,
                };
                (stop, summary) =
                    tcp_stopped(&mut stages, Status::Failed, syn_frames, Stop::SynOnce, seen);
            } else if conn.syn_retries > 0 || waited >= enough {
                let seen = Seen::SynUnanswered {
                    server: conn.server,
                    sent: u64::from(sent),
                    span_ns: conn.last.ts_ns - syn.ts_ns,
                    waited_ns: waited,
                    no_longer_followed: conn.ended_early,
                };
                (stop, summary) = tcp_stopped(
                    &mut stages,
                    Status::Failed,
                    syn_frames,
                    Stop::SynUnanswered,
                    seen,
                );
            } else {
                let seen = Seen::SynTooRecent {
                    waited_ns: waited,
                    no_longer_followed: conn.ended_early,
                };
                (stop, summary) = tcp_stopped(
                    &mut stages,
                    Status::Unknown,
                    syn_frames,
                    Stop::SynTooRecent,
                    seen,
                );
            }
        }
    } else if let Some(sa) = conn.synack {
        stages.push(stage(
            Stage::Tcp,
            Status::Ok,
            vec![sa.frame],
            Some(Seen::SynNotCaptured),
        ));
        reached = Some(Stage::Tcp);
    } else {
        let both = conn.c2s.packets > 0 && conn.s2c.packets > 0;
        let note = Seen::MidStream {
            roles_from: conn.roles,
        };
        if both {
            stages.push(stage(
                Stage::Tcp,
                Status::Ok,
                vec![conn.first.frame],
                Some(note),
            ));
            reached = Some(Stage::Tcp);
        } else {
            stages.push(stage(
                Stage::Tcp,
                Status::Unknown,
                vec![conn.first.frame],
                Some(note),
            ));
        }
        summary = Some(Seen::MidStreamOneWay);
    }

    let mut negotiation = None;
    let mut tls = None;
    let mut mcs = None;
    let mut credssp = None;
    let mut nla_mechanism = None;
    if reached == Some(Stage::Tcp) {
        let last_tcp_frame = stages
            .last()
            .and_then(|s| s.frames.last().copied())
            .unwrap_or(conn.first.frame);
        let mut rdp = ladder::rdp_stages(conn, &decoded, last_tcp_frame, plain.as_ref());
        // A session's records past the payload cap are counted, not read: its counts stop
        // there, and an end it carried there (a Disconnect Provider Ultimatum, an error info
        // PDU) is not seen; the TCP end still is.
        if rdp.reached == Stage::Session && (conn.c2s.beyond_cap || conn.s2c.beyond_cap) {
            if let Some(s) = rdp.stages.iter_mut().find(|s| s.stage == Stage::Session)
                && let Some(seen) = s.seen.take()
            {
                s.seen = Some(Box::new(Seen::PayloadCapped(seen)));
            }
            rdp.summary = rdp.summary.map(|s| Seen::PayloadCapped(Box::new(s)));
        }
        stages.extend(rdp.stages);
        stop = rdp.stop;
        reached = Some(rdp.reached);
        summary = rdp.summary;
        negotiation = rdp.negotiation;
        tls = rdp.tls;
        mcs = rdp.mcs;
        credssp = rdp.credssp;
        nla_mechanism = rdp.nla_mechanism;
    } else {
        for name in Stage::AFTER_TCP {
            stages.push(stage(name, Status::NotReached, vec![], None));
        }
    }

    JudgedConnection {
        id: crate::model::ConnId(0),
        input,
        transport: Transport::Tcp,
        client: conn.client,
        server: conn.server,
        first_frame: conn.first.frame,
        last_frame: conn.last.frame,
        timed: true,
        // Judged by `diagnose::verdict` from `stop`.
        verdict: None,
        reached,
        failed_stage: None,
        cause: None,
        confidence: None,
        attempt: None,
        attempt_connections: 1,
        attempt_index: 1,
        superseded_by: None,
        nla_mechanism,
        stop,
        start_ns: conn.first.ts_ns,
        end_ns: conn.last.ts_ns,
        side: decryption.map(|d| {
            Box::new(judged::SideLists {
                decryption: Some(d),
                ..Default::default()
            })
        }),
        detail: Detail::held(ConnectionDetail {
            summary: String::new(),
            seen: summary.map(Box::new),
            stages,
            credssp,
            negotiation,
            tls,
            mcs,
            // The sequence costs memory; a connection that worked needs no diagram.
            messages: if stop.is_none() && reached == Some(Stage::Session) {
                None
            } else {
                Some(match &plain {
                    Some(p) => messages::decrypted_sequence(conn, &decoded, p),
                    None => messages::sequence(conn, &decoded),
                })
            },
            network,
        }),
    }
}

/// A half-open SYN scan (`syn_frame`'s SYN): its SYN-ACK never acknowledged but reset by the
/// client's kernel (which opened no connection) or sent again and again unanswered, the SYN
/// never sent again, no byte either way. The tcp stage's frames and what it saw.
fn half_open_scan(conn: &Connection, syn_frame: u64) -> Option<(Vec<u64>, Seen)> {
    let sa = conn.synack?;
    let reset = conn.c2s.first_rst.filter(|r| r.frame > sa.frame);
    let half_open = conn.handshake_ack.is_none()
        && conn.syn_retries == 0
        && conn.c2s.bytes == 0
        && conn.s2c.bytes == 0
        && (reset.is_some() || conn.synack_retries > 0);
    if !half_open {
        return None;
    }
    let mut frames = vec![syn_frame, sa.frame];
    frames.extend(reset.map(|r| r.frame));
    let seen = Seen::HalfOpen {
        synacks: 1 + u64::from(conn.synack_retries),
        reset_frame: reset.map(|r| r.frame),
    };
    Some((frames, seen))
}

fn stage(name: Stage, status: Status, frames: Vec<u64>, seen: Option<Seen>) -> StageOutcome {
    let evidence = (status != Status::NotReached).then_some(Evidence::Clear);
    let mut frames = frames;
    frames.sort_unstable();
    frames.dedup();
    StageOutcome {
        stage: name,
        status,
        frames,
        note: None,
        seen: seen.map(Box::new),
        evidence,
    }
}

fn direction_report(d: &Direction) -> DirectionCounts {
    DirectionCounts {
        packets: d.packets,
        payload_bytes: d.bytes,
        retransmissions: d.retransmissions,
        capture_duplicates: d.duplicates,
        out_of_order: d.out_of_order,
        gaps: d.gaps,
        missed_bytes: d.missed_bytes(),
        duplicate_acks: d.dup_acks,
        zero_windows: d.zero_windows,
    }
}

/// The `network` block of a connection.
pub fn network_report(conn: &Connection) -> NetworkFacts {
    let client = direction_report(&conn.c2s);
    let server = direction_report(&conn.s2c);
    let reset = conn.first_reset();
    let fin = conn.first_fin();
    NetworkFacts {
        syn_retries: conn.syn_retries,
        synack_retries: conn.synack_retries,
        retransmissions: client.retransmissions + server.retransmissions,
        capture_duplicates: client.capture_duplicates + server.capture_duplicates,
        out_of_order: client.out_of_order + server.out_of_order,
        gaps: client.gaps + server.gaps,
        missed_bytes: client.missed_bytes + server.missed_bytes,
        duplicate_acks: client.duplicate_acks + server.duplicate_acks,
        zero_windows: client.zero_windows + server.zero_windows,
        keep_alives: conn.c2s.keep_alives + conn.s2c.keep_alives,
        rtt_ms: conn
            .handshake_rtt_ns()
            .map(|n| (n as f64 / 1e3).round() / 1e3),
        mss_client: conn.mss_client,
        mss_server: conn.mss_server,
        reset_by: reset.map(|(s, _)| s.party()),
        reset_frame: reset.map(|(_, m)| m.frame),
        closed_by: fin.map(|(s, _)| s.party()),
        close_frame: fin.map(|(_, m)| m.frame),
        icmp: conn
            .icmp
            .iter()
            .map(|e| IcmpError {
                frame: e.mark.frame,
                time: rfc3339(e.mark.ts_ns),
                from: e.icmp.reporter.to_string(),
                message: icmp_message(e.icmp.v6, e.icmp.icmp_type, e.icmp.code),
                icmp_type: e.icmp.icmp_type,
                code: e.icmp.code,
                about: e.about.party(),
            })
            .collect(),
        icmp_omitted: conn.icmp_omitted,
        client,
        server,
        roles_from: conn.roles,
        mid_stream: conn.syn.is_none() && conn.synack.is_none(),
    }
}

/// Names an ICMP (RFC 792) or ICMPv6 (RFC 4443) error.
pub fn icmp_message(v6: bool, t: u8, code: u8) -> String {
    let (kind, detail): (&str, Option<&str>) = if v6 {
        match t {
            1 => (
                "destination unreachable",
                match code {
                    0 => Some("no route to destination"),
                    1 => Some("administratively prohibited"),
                    2 => Some("beyond scope of source address"),
                    3 => Some("address unreachable"),
                    4 => Some("port unreachable"),
                    5 => Some("source address failed policy"),
                    6 => Some("reject route"),
                    _ => None,
                },
            ),
            2 => ("packet too big", None),
            3 => (
                "time exceeded",
                Some(if code == 0 {
                    "hop limit exceeded"
                } else {
                    "fragment reassembly"
                }),
            ),
            4 => ("parameter problem", None),
            _ => ("icmpv6 error", None),
        }
    } else {
        match t {
            3 => (
                "destination unreachable",
                match code {
                    0 => Some("net unreachable"),
                    1 => Some("host unreachable"),
                    2 => Some("protocol unreachable"),
                    3 => Some("port unreachable"),
                    4 => Some("fragmentation needed"),
                    5 => Some("source route failed"),
                    6 => Some("destination network unknown"),
                    7 => Some("destination host unknown"),
                    9 | 10 => Some("administratively prohibited"),
                    13 => Some("communication administratively prohibited"),
                    _ => None,
                },
            ),
            4 => ("source quench", None),
            11 => (
                "time exceeded",
                Some(if code == 0 {
                    "TTL exceeded in transit"
                } else {
                    "fragment reassembly"
                }),
            ),
            12 => ("parameter problem", None),
            _ => ("icmp error", None),
        }
    };
    match detail {
        Some(d) => format!("{kind}: {d}"),
        None => format!("{kind} (code {code})"),
    }
}
