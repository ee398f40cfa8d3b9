//! A connection's verdict, cause and confidence, from where the handshake says it stopped
//! ([`Break`]): the judgement the ladder does not make. [`CAUSES`] is the table, one row per
//! way a connection stops; the first row that matches names the cause (`REPORT.md` "Causes").

use crate::handshake::judged::{Break, JudgedConnection, StageOutcome, Stop};
use crate::model::{Cause, Confidence, Evidence, Party, Stage, Verdict};

/// One row of the cause table: a stop, optionally only at one stage or while one side's turn,
/// and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CauseRow {
    pub stop: Stop,
    /// The row applies only at this stage.
    pub stage: Option<Stage>,
    /// The row applies only while it was this side's turn.
    pub waiting_for: Option<Party>,
    pub verdict: Verdict,
    /// `None` where no cause of `REPORT.md` fits (the bytes are not RDP at all).
    pub cause: Option<Cause>,
}

const fn row(stop: Stop, verdict: Verdict, cause: Option<Cause>) -> CauseRow {
    CauseRow {
        stop,
        stage: None,
        waiting_for: None,
        verdict,
        cause,
    }
}

const fn ended_at(stage: Stage, waiting_for: Option<Party>, cause: Cause) -> CauseRow {
    CauseRow {
        stop: Stop::Ended,
        stage: Some(stage),
        waiting_for,
        verdict: Verdict::Failed,
        cause: Some(cause),
    }
}

use Verdict::{Failed, Incomplete};

/// How each way of stopping is judged, first match wins (`REPORT.md` "Causes";
/// `reference/behaviours.md` for what real clients and servers do at each stage).
pub const CAUSES: &[CauseRow] = &[
    row(Stop::SynReset, Failed, Some(Cause::TcpRefused)),
    row(Stop::SynUnreachable, Failed, Some(Cause::IcmpUnreachable)),
    row(Stop::SynUnanswered, Failed, Some(Cause::TcpNoAnswer)),
    row(Stop::SynTooRecent, Incomplete, Some(Cause::CaptureEnded)),
    row(Stop::Probe, Failed, Some(Cause::Probe)),
    row(Stop::NotRdp, Failed, Some(Cause::Probe)),
    row(Stop::SynOnce, Failed, Some(Cause::Probe)),
    row(Stop::Swept, Failed, Some(Cause::Probe)),
    row(
        Stop::NegotiationRefused,
        Failed,
        Some(Cause::NegotiationFailure),
    ),
    row(
        Stop::SelectionNotOffered,
        Failed,
        Some(Cause::NegotiationFailure),
    ),
    row(Stop::FatalAlert, Failed, Some(Cause::TlsAlert)),
    row(Stop::PlaintextAnswer, Failed, Some(Cause::TlsAborted)),
    row(
        Stop::CertificateRefused,
        Failed,
        Some(Cause::CertificateRejected),
    ),
    row(Stop::CredsspError, Failed, Some(Cause::NlaFailure)),
    row(Stop::CredentialsRefused, Failed, Some(Cause::NlaFailure)),
    row(Stop::McsRefused, Failed, Some(Cause::ServerDenied)),
    row(Stop::ServerDisconnected, Failed, Some(Cause::ServerDenied)),
    // Not the capture's end but the reading's: the capture holds more than was read.
    row(Stop::PayloadCapped, Incomplete, Some(Cause::CaptureEnded)),
    // A stage left unfinished: what the capture shows of its end decides.
    row(Stop::StillOpen, Incomplete, Some(Cause::CaptureEnded)),
    row(Stop::LossThenStillOpen, Failed, Some(Cause::PacketLoss)),
    row(Stop::LossThenEnded, Failed, Some(Cause::PacketLoss)),
    row(Stop::Silence, Failed, Some(Cause::Timeout)),
    // One side ended it while the stage was in progress: the stage says what was refused.
    ended_at(Stage::X224, Some(Party::Client), Cause::Timeout),
    ended_at(Stage::X224, Some(Party::Server), Cause::X224Rejected),
    ended_at(Stage::Tls, None, Cause::TlsAborted),
    ended_at(Stage::Nla, None, Cause::NlaFailure),
    ended_at(Stage::Mcs, None, Cause::ServerDenied),
    ended_at(Stage::Session, None, Cause::ServerDenied),
];

impl CauseRow {
    fn matches(&self, b: &Break) -> bool {
        self.stop == b.stop
            && self.stage.is_none_or(|s| s == b.stage)
            && self.waiting_for.is_none_or(|p| b.waiting_for == Some(p))
    }
}

/// What a connection's stop means: its verdict, cause and failed stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub cause: Option<Cause>,
    /// The stage that failed (none for an incomplete connection).
    pub failed_stage: Option<Stage>,
}

/// Makes probes of the connections stopped at TCP (refused, unanswered, unreachable) whose
/// client was sweeping ports at the time (`sweepers`: per source, the first and last SYN of
/// each bucket in which it sent SYNs to [`crate::tcp::SWEEP_PORTS`] ports or more,
/// `tcp::sweepers`): a scanner's SYNs, not RDP attempts. Their words stay what the capture
/// showed of them; the probe finding names the sweep.
pub fn mark_sweeps(
    conns: &mut [JudgedConnection],
    sweepers: &rustc_hash::FxHashMap<std::net::IpAddr, Vec<(i64, i64)>>,
) {
    if sweepers.is_empty() {
        return;
    }
    for c in conns.iter_mut() {
        let Some(stop) = c.stop.as_mut() else {
            continue;
        };
        let at_tcp = matches!(
            stop.stop,
            Stop::SynReset | Stop::SynUnanswered | Stop::SynUnreachable
        );
        let swept = sweepers.get(&c.client.ip).is_some_and(|spans| {
            spans
                .iter()
                .any(|&(first, last)| (first..=last).contains(&c.start_ns))
        });
        if at_tcp && swept {
            stop.stop = Stop::Swept;
            if let Some(j) = judge_break(stop) {
                c.verdict = Some(j.verdict);
                c.cause = j.cause;
                c.failed_stage = j.failed_stage;
            }
        }
    }
}

/// Judges where a connection stopped; `None` for a stop no row covers (the table covers
/// every stop the handshake makes: see the tests).
pub fn judge_break(b: &Break) -> Option<Judgement> {
    let row = CAUSES.iter().find(|r| r.matches(b))?;
    Some(Judgement {
        verdict: row.verdict,
        cause: row.cause,
        failed_stage: (row.verdict == Verdict::Failed).then_some(b.stage),
    })
}

/// Sets a judged connection's verdict, cause, failed stage and confidence from its stop: `ok`
/// when the session ran, no verdict when nothing after TCP could be judged (a capture of one
/// direction, begun mid-stream); and writes its words (`words::word`).
pub fn conclude(c: &mut JudgedConnection) {
    super::words::word(c);
    let judgement = match &c.stop {
        Some(b) => judge_break(b),
        None if c.reached == Some(Stage::Session) => Some(Judgement {
            verdict: Verdict::Ok,
            cause: None,
            failed_stage: None,
        }),
        None => None,
    };
    c.verdict = judgement.map(|j| j.verdict);
    c.cause = judgement.and_then(|j| j.cause);
    c.failed_stage = judgement.and_then(|j| j.failed_stage);
    c.confidence = judgement.and_then(|j| {
        let deciding = j.failed_stage.or(c.reached)?;
        Some(confidence(&c.detail().stages, deciding))
    });
}

/// `high` when the stage that decided the verdict was read in clear, `medium` when it was
/// inferred from encrypted records.
pub fn confidence(stages: &[StageOutcome], deciding: Stage) -> Confidence {
    let evidence = stages
        .iter()
        .find(|s| s.stage == deciding)
        .and_then(|s| s.evidence);
    if evidence == Some(Evidence::Inferred) {
        Confidence::Medium
    } else {
        Confidence::High
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn judged(stage: Stage, stop: Stop, waiting_for: Option<Party>) -> Option<Judgement> {
        judge_break(&Break {
            stage,
            stop,
            waiting_for,
        })
    }

    fn failed(stage: Stage, cause: Cause) -> Option<Judgement> {
        Some(Judgement {
            verdict: Verdict::Failed,
            cause: Some(cause),
            failed_stage: Some(stage),
        })
    }

    #[test]
    fn tcp_stops() {
        use Stage::Tcp;
        assert_eq!(
            judged(Tcp, Stop::SynReset, None),
            failed(Tcp, Cause::TcpRefused)
        );
        assert_eq!(
            judged(Tcp, Stop::SynUnreachable, None),
            failed(Tcp, Cause::IcmpUnreachable)
        );
        assert_eq!(
            judged(Tcp, Stop::SynUnanswered, None),
            failed(Tcp, Cause::TcpNoAnswer)
        );
        // Too soon to say: incomplete, and no stage failed.
        assert_eq!(
            judged(Tcp, Stop::SynTooRecent, None),
            Some(Judgement {
                verdict: Verdict::Incomplete,
                cause: Some(Cause::CaptureEnded),
                failed_stage: None,
            })
        );
    }

    #[test]
    fn refusals_by_message() {
        assert_eq!(
            judged(Stage::X224, Stop::NotRdp, None),
            failed(Stage::X224, Cause::Probe)
        );
        assert_eq!(
            judged(Stage::Tcp, Stop::SynOnce, None),
            failed(Stage::Tcp, Cause::Probe)
        );
        assert_eq!(
            judged(Stage::X224, Stop::NegotiationRefused, None),
            failed(Stage::X224, Cause::NegotiationFailure)
        );
        assert_eq!(
            judged(Stage::X224, Stop::SelectionNotOffered, None),
            failed(Stage::X224, Cause::NegotiationFailure)
        );
        assert_eq!(
            judged(Stage::Tls, Stop::FatalAlert, None),
            failed(Stage::Tls, Cause::TlsAlert)
        );
        assert_eq!(
            judged(Stage::Tls, Stop::PlaintextAnswer, None),
            failed(Stage::Tls, Cause::TlsAborted)
        );
        assert_eq!(
            judged(Stage::Tls, Stop::CertificateRefused, None),
            failed(Stage::Tls, Cause::CertificateRejected)
        );
        assert_eq!(
            judged(Stage::Nla, Stop::CredsspError, None),
            failed(Stage::Nla, Cause::NlaFailure)
        );
        assert_eq!(
            judged(Stage::Nla, Stop::CredentialsRefused, None),
            failed(Stage::Nla, Cause::NlaFailure)
        );
        assert_eq!(
            judged(Stage::Mcs, Stop::McsRefused, None),
            failed(Stage::Mcs, Cause::ServerDenied)
        );
        for stage in [Stage::Mcs, Stage::Session] {
            assert_eq!(
                judged(stage, Stop::ServerDisconnected, None),
                failed(stage, Cause::ServerDenied)
            );
        }
    }

    #[test]
    fn stalls_by_how_they_end() {
        for stage in Stage::AFTER_TCP {
            for who in [Party::Client, Party::Server] {
                // Where the bytes read end, as where the capture ends: nothing is said.
                assert_eq!(
                    judged(stage, Stop::PayloadCapped, Some(who)),
                    Some(Judgement {
                        verdict: Verdict::Incomplete,
                        cause: Some(Cause::CaptureEnded),
                        failed_stage: None,
                    }),
                    "{stage} {who}"
                );
                assert_eq!(
                    judged(stage, Stop::StillOpen, Some(who)),
                    Some(Judgement {
                        verdict: Verdict::Incomplete,
                        cause: Some(Cause::CaptureEnded),
                        failed_stage: None,
                    }),
                    "{stage} {who}"
                );
                for loss in [Stop::LossThenStillOpen, Stop::LossThenEnded] {
                    assert_eq!(
                        judged(stage, loss, Some(who)),
                        failed(stage, Cause::PacketLoss),
                        "{stage} {who} {loss:?}"
                    );
                }
                assert_eq!(
                    judged(stage, Stop::Silence, Some(who)),
                    failed(stage, Cause::Timeout),
                    "{stage} {who}"
                );
            }
        }
    }

    #[test]
    fn an_end_is_named_by_the_stage_it_cut() {
        let ended = |stage, who| judged(stage, Stop::Ended, Some(who));
        // The client never sent its Connection Request: it gave up, nothing was refused.
        assert_eq!(
            ended(Stage::X224, Party::Client),
            failed(Stage::X224, Cause::Timeout)
        );
        assert_eq!(
            ended(Stage::X224, Party::Server),
            failed(Stage::X224, Cause::X224Rejected)
        );
        for who in [Party::Client, Party::Server] {
            assert_eq!(
                ended(Stage::Tls, who),
                failed(Stage::Tls, Cause::TlsAborted)
            );
            assert_eq!(
                ended(Stage::Nla, who),
                failed(Stage::Nla, Cause::NlaFailure)
            );
            assert_eq!(
                ended(Stage::Mcs, who),
                failed(Stage::Mcs, Cause::ServerDenied)
            );
            assert_eq!(
                ended(Stage::Session, who),
                failed(Stage::Session, Cause::ServerDenied)
            );
        }
        // An end at X.224 without knowing whose turn it was matches no row.
        assert_eq!(judged(Stage::X224, Stop::Ended, None), None);
    }

    #[test]
    fn probes_are_failed_connections_of_cause_probe_where_they_stop() {
        for stage in [Stage::Tcp, Stage::X224] {
            assert_eq!(
                judged(stage, Stop::Probe, None),
                failed(stage, Cause::Probe)
            );
        }
    }

    /// Its place in the declaration: fails to compile when a stop is added, so that
    /// [`Stop::ALL`] and the table are looked at again.
    fn declared_at(s: Stop) -> usize {
        match s {
            Stop::SynReset => 0,
            Stop::SynUnreachable => 1,
            Stop::SynUnanswered => 2,
            Stop::SynTooRecent => 3,
            Stop::NotRdp => 4,
            Stop::NegotiationRefused => 5,
            Stop::SelectionNotOffered => 6,
            Stop::FatalAlert => 7,
            Stop::PlaintextAnswer => 8,
            Stop::CertificateRefused => 9,
            Stop::CredsspError => 10,
            Stop::CredentialsRefused => 11,
            Stop::McsRefused => 12,
            Stop::ServerDisconnected => 13,
            Stop::PayloadCapped => 14,
            Stop::StillOpen => 15,
            Stop::LossThenStillOpen => 16,
            Stop::LossThenEnded => 17,
            Stop::Silence => 18,
            Stop::Ended => 19,
            Stop::Probe => 20,
            Stop::SynOnce => 21,
            Stop::Swept => 22,
        }
    }

    /// Every stop, at every stage it can happen at and whoever's turn it was, is covered by a
    /// row; and no row is shadowed by an earlier one.
    #[test]
    fn the_table_covers_every_stop() {
        for (i, &stop) in Stop::ALL.iter().enumerate() {
            assert_eq!(declared_at(stop), i, "Stop::ALL out of order at {stop:?}");
            let stages: &[Stage] = match stop {
                Stop::SynReset
                | Stop::SynUnreachable
                | Stop::SynUnanswered
                | Stop::SynTooRecent
                | Stop::SynOnce
                | Stop::Swept => &[Stage::Tcp],
                // A half-open scan stops at tcp, a port check at x224.
                Stop::Probe => &[Stage::Tcp, Stage::X224],
                _ => &Stage::AFTER_TCP,
            };
            for &stage in stages {
                for who in [Party::Client, Party::Server] {
                    assert!(
                        judged(stage, stop, Some(who)).is_some(),
                        "{stage} {stop:?} {who}"
                    );
                }
            }
        }
        for (i, r) in CAUSES.iter().enumerate() {
            let b = Break {
                stage: r.stage.unwrap_or(Stage::Mcs),
                stop: r.stop,
                waiting_for: r.waiting_for,
            };
            assert_eq!(
                CAUSES.iter().position(|x| x.matches(&b)),
                Some(i),
                "row {i} is shadowed"
            );
        }
    }

    #[test]
    fn confidence_follows_the_deciding_stage() {
        let outcome = |stage, evidence| StageOutcome {
            stage,
            status: Status::Ok,
            frames: vec![1],
            note: None,
            seen: None,
            evidence,
        };
        let stages = [
            outcome(Stage::Tls, Some(Evidence::Clear)),
            outcome(Stage::Nla, Some(Evidence::Inferred)),
        ];
        assert_eq!(confidence(&stages, Stage::Tls), Confidence::High);
        assert_eq!(confidence(&stages, Stage::Nla), Confidence::Medium);
        assert_eq!(confidence(&stages, Stage::Mcs), Confidence::High);
    }

    #[test]
    fn conclude_sets_the_head() {
        let mut c = crate::handshake::judged::sample_connection("c1");
        c.stop = Some(Break::at(Stage::Tcp, Stop::SynReset));
        conclude(&mut c);
        assert_eq!(
            (c.verdict, c.cause, c.failed_stage, c.confidence),
            (
                Some(Verdict::Failed),
                Some(Cause::TcpRefused),
                Some(Stage::Tcp),
                Some(Confidence::High)
            )
        );
        c.stop = None;
        c.reached = Some(Stage::Session);
        conclude(&mut c);
        assert_eq!((c.verdict, c.cause), (Some(Verdict::Ok), None));
        // The sample's one stage is tcp; an ok session decided by a stage not listed is
        // read in clear.
        assert_eq!(c.confidence, Some(Confidence::High));
        c.reached = None;
        conclude(&mut c);
        assert_eq!((c.verdict, c.confidence), (None, None));
    }
}
