//! Loss is the cause only where it stalls the handshake (issue 20 §1): retransmissions the
//! peer acknowledged, followed by progress, do not make a later stop `packet_loss`; data
//! still unacknowledged at the stop does. Built packet by packet: a ClientHello sent three
//! times and acknowledged, then the server's reset (`tls_aborted`); the same ClientHello never
//! acknowledged before the client gives up (`packet_loss`). The real captures of loss
//! (`loss-handshake.pcap`, `loss-path.pcap`) stay `packet_loss` (tests/fixtures.rs).

mod support;

use rdptriage::model::{Cause, Stage};
use support::*;

/// An X.224 Connection Confirm selecting TLS (MS-RDPBCGR 2.2.1.2.1, RDP_NEG_RSP
/// PROTOCOL_SSL), 19 bytes.
const X224_CC_SSL: [u8; 19] = [
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00, 0x01,
    0x00, 0x00, 0x00,
];

/// A minimal TLS 1.2 ClientHello record (RFC 5246 §7.4.1.2): one suite, no extensions.
fn client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([0x5a; 32]);
    body.extend([0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00]);
    let mut hs = vec![0x01, 0x00, 0x00, body.len() as u8];
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01, 0x00, hs.len() as u8];
    rec.extend(hs);
    rec
}

/// TCP and X.224 done; the ClientHello sent at 10 ms and again at 310 ms and 910 ms.
fn to_the_client_hello(c: &Conv) -> (Vec<(i64, Seg)>, u32) {
    let ch = client_hello();
    let ch_len = ch.len() as u32;
    let segs = vec![
        (0, c.syn()),
        (MS, c.synack()),
        (2 * MS, c.ack()),
        (3 * MS, c.c(0, 0).data(&X224_CR)),
        (4 * MS, c.s(0, 19).data(&X224_CC_SSL)),
        (10 * MS, c.c(19, 19).data(&ch)),
        (310 * MS, c.c(19, 19).data(&ch)),
        (910 * MS, c.c(19, 19).data(&ch)),
    ];
    (segs, 19 + ch_len)
}

#[test]
fn a_reset_after_recovered_loss_is_no_packet_loss() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    let (mut segs, acked) = to_the_client_hello(&c);
    // The server acknowledges the whole ClientHello, says nothing more, and resets 5 s later.
    segs.push((911 * MS, c.s(19, acked)));
    segs.push((6 * SEC, c.s(19, acked).rst()));
    let r = analyze_bytes("recovered.pcap", &pcap_of(Link::Eth, &segs)).0;
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::TlsAborted));
    assert_eq!(conn.failed_stage, Some(Stage::Tls));
    assert_eq!(conn.detail().network.client.retransmissions, 2);
}

#[test]
fn data_never_acknowledged_at_the_stop_is_packet_loss() {
    let c = Conv::new("10.1.0.5:50000", "10.2.0.9:3389");
    let (mut segs, _) = to_the_client_hello(&c);
    // The server never acknowledges the ClientHello; the client gives up.
    segs.push((6 * SEC, c.c(19 + client_hello().len() as u32, 19).fin()));
    let r = analyze_bytes("stalled.pcap", &pcap_of(Link::Eth, &segs)).0;
    let conn = only_conn(&r);
    assert_eq!(conn.cause, Some(Cause::PacketLoss));
    assert_eq!(conn.failed_stage, Some(Stage::Tls));
}
