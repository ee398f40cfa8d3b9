//! "Session reached" needs evidence of an active session (issue 20 §2): records after the
//! MCS exchange are not enough, as a connection whose activation never completed has them
//! too. Both ways, on real captures: `activation-lost.pcap` (xrdp's Demand Active dropped by
//! the router; xfreerdp logs "Timeout waiting for activation") fails, `tls-success.pcap` and
//! `nla-success.pcap` (the client's Confirm Active burst, answered) are sessions.

mod support;

use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Stage, Status, Verdict};
use support::*;

fn only(name: &str) -> rdptriage::handshake::judged::JudgedConnection {
    let r = analyze(&[capture_fixture(name)]);
    assert_eq!(r.connections.len(), 1, "{name}");
    r.connections[0].clone()
}

fn session_note(c: &rdptriage::handshake::judged::JudgedConnection) -> String {
    c.detail()
        .stages
        .iter()
        .find(|s| s.stage == Stage::Session)
        .and_then(|s| s.note.clone())
        .unwrap_or_default()
}

#[test]
fn a_connection_sequence_without_activation_is_no_session() {
    let c = only("activation-lost.pcap");
    assert_eq!(c.verdict, Some(Verdict::Failed));
    assert_eq!(c.cause, Some(Cause::PacketLoss));
    assert_eq!(c.reached, Some(Stage::Mcs));
    assert_eq!(c.failed_stage, Some(Stage::Session));
    // The MCS answer (14), the last record (the server's, 37), the client's FIN (42).
    assert_eq!(
        stage(&c, Stage::Session),
        (Status::Failed, vec![14, 37, 42])
    );
    assert_eq!(c.detail().network.server.missed_bytes, 447);
    assert_eq!(
        summary(&c),
        "the connection ended during connection setup, after the MCS exchange, before the \
         capture showed an active session: the handshake stalled on loss (1 gap, 447 bytes never seen), then, 8.32 s after the \
         last progress, the client closed the connection (frame 42)"
    );
}

#[test]
fn the_clients_confirm_active_burst_answered_is_a_session() {
    // tshark: xrdp's Demand Active is frame 40; the client's Confirm Active, Synchronize,
    // Control Cooperate, Control Request and Font List are frames 42-46; the server's
    // finalization follows from 48.
    for (name, burst, client, server) in [
        ("tls-success.pcap", 42, 15, 46),
        ("nla-success.pcap", 49, 19, 14),
    ] {
        let c = only(name);
        assert_eq!(c.verdict, Some(Verdict::Ok), "{name}");
        assert_eq!(c.reached, Some(Stage::Session), "{name}");
        assert_eq!(
            session_note(&c),
            format!(
                "inferred: {client} client and {server} server records after the MCS exchange; \
                 the client's burst from frame {burst} has the shape of its Confirm Active and \
                 finalization, answered by the server: the session became active"
            ),
            "{name}"
        );
    }
}
