//! TCP tracking and the tcp-stage verdicts, over conversations built segment by segment:
//! refused, unanswered, cut short, ICMP errors, port reuse, SYN retries, mid-stream starts,
//! retransmissions, out-of-order segments, gaps, duplicate ACKs, zero windows, resets and
//! closes, RTT and MSS, RDP recognised by port or by payload, and thread-count determinism.

mod support;

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::diagnose::words::summary;
use rdptriage::model::{Cause, Party, Stage, Status, Verdict};
use rdptriage::report::{JudgedConnection, Report};
use support::*;

const CLIENT: &str = "10.1.0.5:50000";
const SERVER: &str = "10.2.0.9:3389";

fn conv() -> Conv {
    Conv::new(CLIENT, SERVER)
}

/// Analyses an Ethernet pcap of `segs`.
fn run(name: &str, segs: &[(i64, Seg)]) -> Report {
    analyze_bytes(name, &pcap_of(Link::Eth, segs)).0
}

/// Analyses an Ethernet pcap of already framed packets.
fn run_frames(name: &str, fr: &[(i64, Vec<u8>)]) -> Report {
    analyze_bytes(name, &Pcap::new(1).file(fr)).0
}

fn conn_of<'a>(r: &'a Report, client: &str) -> &'a JudgedConnection {
    r.connections
        .iter()
        .find(|c| c.client == client)
        .unwrap_or_else(|| panic!("no connection from {client}"))
}

fn assert_tcp_failed(c: &JudgedConnection, cause: Cause, frames: Vec<u64>) {
    assert_eq!(c.verdict, Some(Verdict::Failed));
    assert_eq!(c.cause, Some(cause));
    assert_eq!(c.failed_stage, Some(Stage::Tcp));
    assert_eq!(c.reached, None);
    assert_eq!(stages(c)[0], (Stage::Tcp, Status::Failed, frames));
    assert_eq!(later_statuses(c), [Status::NotReached; 5]);
}

// ---------------------------------------------------------------------------------------
// Connections that never got through TCP
// ---------------------------------------------------------------------------------------

#[test]
fn refused_syn_answered_by_rst() {
    let c = conv();
    let r = run("refused.pcap", &[(T0, c.syn()), (T0 + 400_000, c.refuse())]);
    let conn = only_conn(&r);
    assert_tcp_failed(conn, Cause::TcpRefused, vec![1, 2]);
    assert_eq!((conn.first_frame, conn.last_frame), (1, 2));
    assert_eq!(conn.detail().network.reset_by, Some(Party::Server));
    assert_eq!(conn.detail().network.reset_frame, Some(2));
    assert_eq!(conn.detail().network.closed_by, None);
    assert_eq!(conn.detail().network.syn_retries, 0);
    assert_eq!(conn.detail().network.rtt_ms, None);
    let v = json(&r);
    assert_eq!(v["connections"][0]["cause"], "tcp_refused");
    assert_eq!(v["connections"][0]["verdict"], "failed");
    assert_eq!(v["connections"][0]["failed_stage"], "tcp");
    assert!(v["connections"][0]["reached"].is_null());
}

/// Three SYNs with one ISN at 0, 1 and 3 s, never answered.
#[test]
fn unanswered_syn_with_retries() {
    let c = conv();
    let r = run(
        "noanswer.pcap",
        &[(T0, c.syn()), (T0 + SEC, c.syn()), (T0 + 3 * SEC, c.syn())],
    );
    let conn = only_conn(&r);
    assert_tcp_failed(conn, Cause::TcpNoAnswer, vec![1, 2, 3]);
    assert_eq!(conn.detail().network.syn_retries, 2);
    assert_eq!(conn.detail().network.client.packets, 3);
    assert_eq!(conn.detail().network.retransmissions, 0);
    assert_eq!(conn.start().as_deref(), Some("2023-11-14T22:13:20.000000Z"));
    assert_eq!(conn.end().as_deref(), Some("2023-11-14T22:13:23.000000Z"));
    assert_eq!(
        only_input(&r)
            .stats
            .as_ref()
            .expect("stats")
            .tcp_connections,
        1
    );
}

/// SYNs at 0, 1 and 3 s never answered, in a capture that goes on for 1,000 s (20 MB of
/// frames that decode as nothing, so that the connection is ended for being idle well before
/// the capture ends): it was seen unanswered until its idle limit (300 s after its last SYN)
/// ran out, whatever the moment the tracker noticed, which follows how the capture is cut
/// into blocks.
#[test]
fn unanswered_syns_ended_for_being_idle_say_how_long_they_were_seen() {
    let c = conv();
    let pcap = Pcap::new(1);
    let mut fr = vec![
        (T0, c.syn().frame(Link::Eth)),
        (T0 + SEC, c.syn().frame(Link::Eth)),
        (T0 + 3 * SEC, c.syn().frame(Link::Eth)),
    ];
    for k in 0..20_000i64 {
        fr.push((T0 + 10 * SEC + k * 49_500_000, vec![0x42; 1_000]));
    }
    let file = pcap.file(&fr);
    assert!(file.len() > 20_000_000);
    let (r, _dir, _path) = analyze_bytes("idle.pcap", &file);
    let conn = only_conn(&r);
    assert_tcp_failed(conn, Cause::TcpNoAnswer, vec![1, 2, 3]);
    assert_eq!(
        summary(conn),
        "no answer: 3 SYNs to 10.2.0.9:3389 unanswered for at least 303.0 s after the first \
         (as far as the capture shows); a silent drop (firewall), a host that is down, or a \
         wrong address"
    );
}

/// A single SYN is called unanswered only when the capture went on at least 3 s after it;
/// a SYN at the very end of the capture is `capture_ended` (verdict `incomplete`).
#[test]
fn single_syn_capture_ended_vs_no_answer() {
    let other = Conv::new("10.1.0.7:40000", SERVER);
    let c = conv();
    for (after, cause) in [
        (0, Cause::CaptureEnded),
        (2_999 * MS, Cause::CaptureEnded),
        (3 * SEC, Cause::TcpNoAnswer),
    ] {
        // Another connection's handshake, then our SYN, then (maybe) that connection's FIN.
        let mut segs = handshake(&other, T0);
        segs.push((T0 + SEC, c.syn()));
        if after > 0 {
            segs.push((T0 + SEC + after, other.c(0, 0).fin()));
        }
        let r = run("lastsyn.pcap", &segs);
        let conn = conn_of(&r, CLIENT);
        assert_eq!(conn.cause, Some(cause), "SYN then {after} ns");
        assert_eq!(conn.detail().network.syn_retries, 0);
        if cause == Cause::CaptureEnded {
            assert_eq!(conn.verdict, Some(Verdict::Incomplete));
            assert_eq!(conn.failed_stage, None);
            assert_eq!(conn.reached, None);
            assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Unknown, vec![4]));
        } else {
            assert_tcp_failed(conn, Cause::TcpNoAnswer, vec![4]);
        }
    }
}

/// The server host answers the SYN with ICMP port unreachable (type 3 code 3); a router
/// answers another client's two SYNs with host unreachable (code 1); an ICMP error quoting
/// a flow never seen is counted as unmatched.
#[test]
fn icmp_unreachable_quoting_the_syn() {
    let a = conv();
    let b = Conv::new("10.1.0.6:50001", SERVER);
    let stray = Conv::new("10.1.0.8:50002", "10.2.0.10:3389");
    let a_syn = a.syn().ip();
    let b_syn = b.syn().ip();
    let fr = vec![
        (T0, Link::Eth.wrap(&a_syn)),
        (
            T0 + MS,
            Link::Eth.wrap(&icmp4_unreachable(a.server.ip(), a.client.ip(), 3, &a_syn)),
        ),
        (T0 + 2 * MS, Link::Eth.wrap(&b_syn)),
        (T0 + SEC + 2 * MS, Link::Eth.wrap(&b_syn)),
        (
            T0 + SEC + 5 * MS,
            Link::Eth.wrap(&icmp4_unreachable(
                "10.1.0.1".parse().expect("ip"),
                b.client.ip(),
                1,
                &b_syn,
            )),
        ),
        (
            T0 + SEC + 6 * MS,
            Link::Eth.wrap(&icmp4_unreachable(
                "10.1.0.1".parse().expect("ip"),
                stray.client.ip(),
                1,
                &stray.syn().ip(),
            )),
        ),
    ];
    let r = run_frames("icmp.pcap", &fr);
    assert_eq!(r.connections.len(), 2);
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!((s.icmp_packets, s.icmp_errors_unmatched), (3, 1));

    let ca = conn_of(&r, CLIENT);
    assert_tcp_failed(ca, Cause::IcmpUnreachable, vec![1, 2]);
    assert_eq!(ca.detail().network.icmp.len(), 1);
    let e = &ca.detail().network.icmp[0];
    assert_eq!(e.frame, 2);
    assert_eq!(e.time, "2023-11-14T22:13:20.001000Z");
    assert_eq!(e.from, "10.2.0.9");
    assert_eq!(e.message, "destination unreachable: port unreachable");
    assert_eq!((e.icmp_type, e.code, e.about), (3, 3, Party::Client));

    let cb = conn_of(&r, "10.1.0.6:50001");
    assert_tcp_failed(cb, Cause::IcmpUnreachable, vec![3, 4, 5]);
    assert_eq!(cb.detail().network.syn_retries, 1);
    let e = &cb.detail().network.icmp[0];
    assert_eq!((e.frame, e.from.as_str()), (5, "10.1.0.1"));
    assert_eq!(e.message, "destination unreachable: host unreachable");
    assert_eq!((e.icmp_type, e.code), (3, 1));
    let v = json(&r);
    assert_eq!(
        v["connections"][1]["network"]["icmp"][0]["from"],
        "10.1.0.1"
    );
}

/// A flood of ICMP errors quoting one connection: it keeps the first 16 and counts the
/// rest, which the JSON writes as `network.icmp_omitted` (absent when none were).
#[test]
fn icmp_errors_kept_per_connection_are_capped() {
    let a = conv();
    let a_syn = a.syn().ip();
    let mut fr = vec![(T0, Link::Eth.wrap(&a_syn))];
    for k in 0..40 {
        fr.push((
            T0 + (k + 1) * MS,
            Link::Eth.wrap(&icmp4_unreachable(a.server.ip(), a.client.ip(), 3, &a_syn)),
        ));
    }
    let r = run_frames("icmp-flood.pcap", &fr);
    let c = conn_of(&r, CLIENT);
    let detail = c.detail();
    assert_eq!(detail.network.icmp.len(), 16);
    assert_eq!(detail.network.icmp[15].frame, 17);
    assert_eq!(detail.network.icmp_omitted, 24);
    let v = json(&r);
    assert_eq!(v["connections"][0]["network"]["icmp_omitted"], 24);
    let quiet = run_frames("icmp.pcap", &fr[..3]);
    assert!(
        json(&quiet)["connections"][0]["network"]
            .get("icmp_omitted")
            .is_none()
    );
}

/// ICMPv6 destination unreachable: port unreachable (code 4) from the server, address
/// unreachable (code 3) from a router.
#[test]
fn icmpv6_unreachable_quoting_the_syn() {
    let a = Conv::new("[2001:db8:1::5]:50000", "[2001:db8:2::9]:3389");
    let b = Conv::new("[2001:db8:1::6]:50001", "[2001:db8:2::9]:3389");
    let router: std::net::IpAddr = "2001:db8:1::1".parse().expect("ip");
    let (a_syn, b_syn) = (a.syn().ip(), b.syn().ip());
    let fr = vec![
        (T0, Link::Eth.wrap(&a_syn)),
        (
            T0 + MS,
            Link::Eth.wrap(&icmp6_unreachable(a.server.ip(), a.client.ip(), 4, &a_syn)),
        ),
        (T0 + 2 * MS, Link::Eth.wrap(&b_syn)),
        (
            T0 + 3 * MS,
            Link::Eth.wrap(&icmp6_unreachable(router, b.client.ip(), 3, &b_syn)),
        ),
    ];
    let r = run_frames("icmp6.pcap", &fr);
    assert_eq!(r.connections.len(), 2);
    let ca = conn_of(&r, "[2001:db8:1::5]:50000");
    assert_tcp_failed(ca, Cause::IcmpUnreachable, vec![1, 2]);
    let e = &ca.detail().network.icmp[0];
    assert_eq!(e.from, "2001:db8:2::9");
    assert_eq!(e.message, "destination unreachable: port unreachable");
    assert_eq!((e.icmp_type, e.code, e.about), (1, 4, Party::Client));
    let cb = conn_of(&r, "[2001:db8:1::6]:50001");
    assert_tcp_failed(cb, Cause::IcmpUnreachable, vec![3, 4]);
    let e = &cb.detail().network.icmp[0];
    assert_eq!(e.from, "2001:db8:1::1");
    assert_eq!(e.message, "destination unreachable: address unreachable");
    assert_eq!((e.icmp_type, e.code), (1, 3));
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!((s.ipv6, s.icmp_packets, s.icmp_errors_unmatched), (4, 2, 0));
}

// ---------------------------------------------------------------------------------------
// Connection identity
// ---------------------------------------------------------------------------------------

/// Two connections on one 4-tuple: the second SYN has another ISN.
#[test]
fn port_reuse_makes_two_connections() {
    let a = conv().isn(1_000, 7_000);
    let b = conv().isn(900_000, 8_000);
    let mut segs = handshake(&a, T0);
    segs.push((T0 + SEC, a.c(0, 0).rst()));
    segs.extend(handshake(&b, T0 + 2 * SEC));
    let r = run("reuse.pcap", &segs);
    assert_eq!(r.connections.len(), 2);
    let (ca, cb) = (&r.connections[0], &r.connections[1]);
    assert_eq!(
        (ca.id.to_string(), cb.id.to_string()),
        ("c1".into(), "c2".into())
    );
    assert_eq!((ca.first_frame, ca.last_frame), (1, 4));
    assert_eq!(stages(ca)[0], (Stage::Tcp, Status::Ok, vec![1, 2, 3]));
    assert_eq!(ca.detail().network.reset_by, Some(Party::Client));
    assert_eq!(ca.detail().network.reset_frame, Some(4));
    assert_eq!((cb.first_frame, cb.last_frame), (5, 7));
    assert_eq!(stages(cb)[0], (Stage::Tcp, Status::Ok, vec![5, 6, 7]));
    assert_eq!(cb.detail().network.reset_by, None);
    assert_eq!(cb.start().as_deref(), Some("2023-11-14T22:13:22.000000Z"));
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!((s.tcp_connections, s.rdp_connections), (2, 2));
}

/// The same SYN (same ISN) sent again is a retry of one connection, and so is the same
/// SYN-ACK. No RTT: the SYN was sent again before the SYN-ACK and the SYN-ACK before the ACK,
/// so which packet each answers is ambiguous (Karn's rule).
#[test]
fn syn_retry_same_isn_is_one_connection() {
    let c = conv();
    let segs = vec![
        (T0, c.syn()),
        (T0 + SEC, c.syn()),
        (T0 + SEC + 10 * MS, c.synack()),
        (T0 + SEC + 15 * MS, c.synack()),
        (T0 + SEC + 20 * MS, c.ack()),
    ];
    let r = run("synretry.pcap", &segs);
    let conn = only_conn(&r);
    assert_eq!(conn.detail().network.syn_retries, 1);
    assert_eq!(conn.detail().network.synack_retries, 1);
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 3, 5]));
    assert_eq!(conn.reached, Some(Stage::Tcp));
    assert_eq!(conn.detail().network.rtt_ms, None);
    assert_eq!(conn.detail().network.retransmissions, 0);
    assert_eq!(
        only_input(&r)
            .stats
            .as_ref()
            .expect("stats")
            .tcp_connections,
        1
    );
}

/// The capture starts mid-stream with the server's data: roles come from the RDP port.
#[test]
fn mid_stream_roles_from_rdp_port() {
    let c = conv();
    let segs = vec![
        (T0, c.s(5_000, 7_000).bytes(100)),
        (T0 + MS, c.c(7_000, 5_100)),
        (T0 + 2 * MS, c.c(7_000, 5_100).bytes(50)),
        (T0 + 3 * MS, c.s(5_100, 7_050)),
    ];
    let r = run("midstream.pcap", &segs);
    let conn = only_conn(&r);
    assert_eq!(conn.client, CLIENT);
    assert_eq!(conn.server, SERVER);
    assert!(conn.detail().network.mid_stream);
    assert_eq!(
        conn.detail().network.roles_from,
        rdptriage::tcp::RoleSource::RdpPort
    );
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1]));
    assert_eq!(conn.reached, Some(Stage::Tcp));
    assert_eq!(
        (
            conn.detail().network.server.payload_bytes,
            conn.detail().network.client.payload_bytes
        ),
        (100, 50)
    );
    assert_eq!(conn.detail().network.rtt_ms, None);
    assert_eq!(conn.detail().network.missed_bytes, 0);
    let v = json(&r);
    assert_eq!(v["connections"][0]["network"]["mid_stream"], true);
}

/// Mid-stream on ports that are not RDP: the side whose first bytes are an X.224
/// Connection Request is the client, even though its port (1500) is the lower one.
#[test]
fn mid_stream_roles_from_x224_payload() {
    let c = Conv::new("10.1.0.5:1500", "10.2.0.9:4000");
    let segs = vec![(T0, c.c(0, 0).data(&X224_CR)), (T0 + MS, c.s(0, 19))];
    let r = run("midpayload.pcap", &segs);
    let conn = only_conn(&r);
    assert_eq!(conn.client, "10.1.0.5:1500");
    assert_eq!(conn.server, "10.2.0.9:4000");
    assert_eq!(
        conn.detail().network.roles_from,
        rdptriage::tcp::RoleSource::Payload
    );
    assert!(conn.detail().network.mid_stream);
}

// ---------------------------------------------------------------------------------------
// Network health counters (Wireshark's tcp.analysis vocabulary)
// ---------------------------------------------------------------------------------------

/// Handshake with a 20 ms RTT, then `segs`.
fn after_handshake(c: &Conv, segs: Vec<(i64, Seg)>) -> Vec<(i64, Seg)> {
    let mut all = handshake(c, T0);
    all.extend(segs);
    all
}

/// The client's first 100 bytes sent again 300 ms later (well past the 20 ms RTT).
#[test]
fn retransmission() {
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.c(0, 0).bytes(100)),
            (T0 + 330 * MS, c.c(0, 0).bytes(100)),
            (T0 + 340 * MS, c.s(0, 100)),
        ],
    );
    let r = run("retrans.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.retransmissions, n.client.retransmissions), (1, 1));
    assert_eq!((n.out_of_order, n.gaps, n.missed_bytes), (0, 0, 0));
    // Payload bytes count what was on the wire, the retransmission included.
    assert_eq!(n.client.payload_bytes, 200);
}

/// Client bytes 0..100, 200..300, then 100..200 1 ms later (within the 20 ms RTT):
/// a gap that the out-of-order segment fills.
#[test]
fn out_of_order() {
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.c(0, 0).bytes(100)),
            (T0 + 31 * MS, c.c(200, 0).bytes(100)),
            (T0 + 32 * MS, c.c(100, 0).bytes(100)),
            (T0 + 40 * MS, c.s(0, 300)),
        ],
    );
    let r = run("ooo.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.out_of_order, n.client.out_of_order), (1, 1));
    assert_eq!((n.gaps, n.client.gaps), (1, 1));
    assert_eq!((n.retransmissions, n.missed_bytes), (0, 0));
    assert_eq!(n.client.payload_bytes, 300);
}

/// Client bytes 0..100 then 300..400 and the gap is never filled: 200 bytes missed. The
/// server side loses 1000 bytes too (0..500 then 1500..1600).
#[test]
fn gap_never_filled() {
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.c(0, 0).bytes(100)),
            (T0 + 31 * MS, c.c(300, 0).bytes(100)),
            (T0 + 50 * MS, c.s(0, 400).bytes(500)),
            (T0 + 51 * MS, c.s(1_500, 400).bytes(100)),
            (T0 + 60 * MS, c.c(400, 1_600)),
        ],
    );
    let r = run("gap.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.client.gaps, n.client.missed_bytes), (1, 200));
    assert_eq!((n.server.gaps, n.server.missed_bytes), (1, 1_000));
    assert_eq!((n.gaps, n.missed_bytes), (2, 1_200));
    assert_eq!((n.retransmissions, n.out_of_order), (0, 0));
}

/// The server's second segment is lost; the client acknowledges the first three times
/// (two duplicates) and the server fast-retransmits the lost one.
#[test]
fn duplicate_acks_and_fast_retransmission() {
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.s(0, 0).bytes(100)),
            (T0 + 31 * MS, c.c(0, 100)),
            (T0 + 32 * MS, c.s(200, 0).bytes(100)),
            (T0 + 33 * MS, c.c(0, 100)),
            (T0 + 34 * MS, c.s(300, 0).bytes(100)),
            (T0 + 35 * MS, c.c(0, 100)),
            (T0 + 36 * MS, c.s(100, 0).bytes(100)),
            (T0 + 37 * MS, c.c(0, 400)),
        ],
    );
    let r = run("dupack.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.duplicate_acks, n.client.duplicate_acks), (2, 2));
    assert_eq!((n.retransmissions, n.server.retransmissions), (1, 1));
    assert_eq!((n.server.gaps, n.missed_bytes, n.out_of_order), (1, 0, 0));
}

/// The client advertises a zero window twice, then opens it again. Repeated zero-window
/// ACKs are not duplicate ACKs (Wireshark requires a non-zero window for those).
#[test]
fn zero_windows() {
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.s(0, 0).bytes(1000)),
            (T0 + 31 * MS, c.c(0, 1000).win(0)),
            (T0 + 500 * MS, c.c(0, 1000).win(0)),
            (T0 + 900 * MS, c.c(0, 1000).win(8192)),
        ],
    );
    let r = run("zerowin.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!(
        (n.zero_windows, n.client.zero_windows, n.server.zero_windows),
        (2, 2, 0)
    );
    assert_eq!(n.duplicate_acks, 0);
}

/// An idle session kept alive: two zero-length keep-alives (Linux: one below the next
/// sequence number), two one-byte ones (Windows), each answered by the server. tshark: 4
/// "TCP keep-alive segment", 4 "ACK to a TCP keep-alive segment", no duplicate ACK.
#[test]
fn keep_alives_are_not_duplicate_acks() {
    let c = conv();
    let mut segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.c(0, 0).bytes(100)),
            (T0 + 31 * MS, c.s(0, 100)),
        ],
    );
    for k in 1..=4 {
        let t = T0 + k * 10 * SEC;
        let ka = if k <= 2 {
            c.c(99, 0)
        } else {
            c.c(99, 0).data(&[0])
        };
        segs.push((t, ka));
        segs.push((t + MS, c.s(0, 100)));
    }
    let r = run("keepalive.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!(n.keep_alives, 4);
    assert_eq!((n.duplicate_acks, n.retransmissions), (0, 0));
    assert_eq!((n.gaps, n.missed_bytes, n.out_of_order), (0, 0, 0));
}

#[test]
fn closed_by_and_reset_by_with_frames() {
    // The client closes first.
    let c = conv();
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.c(0, 0).data(&X224_CR)),
            (T0 + 31 * MS, c.s(0, 19)),
            (T0 + 40 * MS, c.c(19, 0).fin()),
            (T0 + 41 * MS, c.s(0, 20).fin()),
            (T0 + 42 * MS, c.c(20, 1)),
        ],
    );
    let r = run("fin.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.closed_by, n.close_frame), (Some(Party::Client), Some(6)));
    assert_eq!((n.reset_by, n.reset_frame), (None, None));
    // A FIN takes one sequence number: the ACK after it is not a gap (tshark agrees).
    assert_eq!((n.gaps, n.missed_bytes, n.retransmissions), (0, 0, 0));

    // The server resets right after the handshake.
    let segs = after_handshake(&c, vec![(T0 + 30 * MS, c.s(0, 0).rst())]);
    let r = run("srvrst.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.reset_by, n.reset_frame), (Some(Party::Server), Some(4)));
    assert_eq!((n.closed_by, n.close_frame), (None, None));

    // The server closes, the client then resets.
    let segs = after_handshake(
        &c,
        vec![
            (T0 + 30 * MS, c.s(0, 0).fin()),
            (T0 + 31 * MS, c.c(0, 1).rst()),
        ],
    );
    let r = run("finrst.pcap", &segs);
    let n = &only_conn(&r).detail().network;
    assert_eq!((n.closed_by, n.close_frame), (Some(Party::Server), Some(4)));
    assert_eq!((n.reset_by, n.reset_frame), (Some(Party::Client), Some(5)));
}

/// SYN at 0, SYN-ACK at 12.345 ms, ACK at 12.845 ms: the RTT is SYN → ACK. Without the
/// final ACK, it is SYN → SYN-ACK. The MSS options are the ones each side sent.
#[test]
fn rtt_and_mss_from_the_handshake() {
    let c = conv();
    let syn = c.syn().mss(1200);
    let synack = c.synack().mss(8960);
    let r = run(
        "rtt.pcap",
        &[
            (T0, syn.clone()),
            (T0 + 12_345_000, synack.clone()),
            (T0 + 12_845_000, c.ack()),
        ],
    );
    let n = &only_conn(&r).detail().network;
    assert_eq!(n.rtt_ms, Some(12.845));
    assert_eq!((n.mss_client, n.mss_server), (Some(1200), Some(8960)));

    let r = run("rtt2.pcap", &[(T0, syn), (T0 + 12_345_000, synack)]);
    let conn = only_conn(&r);
    assert_eq!(conn.detail().network.rtt_ms, Some(12.345));
    assert_eq!(stages(conn)[0], (Stage::Tcp, Status::Ok, vec![1, 2]));
}

// ---------------------------------------------------------------------------------------
// Which connections are RDP
// ---------------------------------------------------------------------------------------

/// Port 8443 carrying an X.224 Connection Request is RDP; port 8080 carrying HTTP is not.
#[test]
fn rdp_recognised_by_payload_on_other_ports() {
    let rdp = Conv::new("10.1.0.5:50000", "10.2.0.9:8443");
    let http = Conv::new("10.1.0.5:50001", "10.2.0.9:8080");
    let mut segs = handshake(&rdp, T0);
    segs.push((T0 + 30 * MS, rdp.c(0, 0).data(&X224_CR)));
    segs.extend(handshake(&http, T0 + SEC));
    segs.push((
        T0 + SEC + 30 * MS,
        http.c(0, 0).data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ));
    let r = run("byport.pcap", &segs);
    let conn = only_conn(&r);
    assert_eq!(conn.server, "10.2.0.9:8443");
    assert_eq!(conn.first_frame, 1);
    assert_eq!(conn.detail().network.client.payload_bytes, 19);
    let s = only_input(&r).stats.clone().expect("stats");
    assert_eq!((s.tcp_connections, s.rdp_connections), (2, 1));
}

/// A refused SYN to 3390 is not RDP by default; with 3390 as an extra RDP port it is.
#[test]
fn extra_rdp_port() {
    let c = Conv::new(CLIENT, "10.2.0.9:3390");
    let bytes = pcap_of(Link::Eth, &[(T0, c.syn()), (T0 + MS, c.refuse())]);
    let (r, _d, _p) = analyze_bytes("port3390.pcap", &bytes);
    assert!(r.connections.is_empty());
    let r = analyze_bytes_ports("port3390.pcap", &bytes, &[3390]);
    assert_tcp_failed(only_conn(&r), Cause::TcpRefused, vec![1, 2]);
    assert_eq!(only_conn(&r).server, "10.2.0.9:3390");
}

// ---------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------

/// 900 connections of four kinds over ~6 MB (six 1 MiB blocks): the JSON is
/// byte-identical whatever the thread count.
#[test]
fn json_identical_with_1_and_2_threads() {
    let mut fr: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut t = T0;
    let mut tick = || {
        t += 137_000;
        t
    };
    let mut expected = 0;
    for i in 0..900u32 {
        let client = format!("10.{}.{}.5:{}", 1 + i % 3, i % 250, 40_000 + i);
        let c = Conv::new(&client, SERVER).isn(i * 7_919, i * 104_729);
        let segs: Vec<Seg> = match i % 4 {
            0 => vec![c.syn(), c.refuse()],
            1 => vec![c.syn(), c.syn()],
            2 => {
                let mut v = vec![c.syn(), c.synack(), c.ack()];
                for k in 0..16 {
                    v.push(c.c(k * 1400, 0).bytes(1400));
                    if k == 3 {
                        v.push(c.c(k * 1400, 0).bytes(1400));
                    }
                }
                v.push(c.s(0, 16 * 1400).fin());
                v
            }
            _ => vec![c.s(0, 0).bytes(900), c.c(0, 900)],
        };
        expected += 1;
        for s in segs {
            fr.push((tick(), s.frame(Link::Eth)));
        }
    }
    let bytes = Pcap::new(1).file(&fr);
    assert!(bytes.len() > 5 << 20, "{} bytes", bytes.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "many.pcap", &bytes);
    let b = write(dir.path(), "copy.pcap.gz", &gzip(&bytes));
    let paths = vec![a, b];
    let run_with = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool")
            .install(|| analyze_paths(&paths, &Options::default()))
            .to_json()
    };
    let one = run_with(1);
    let two = run_with(2);
    assert!(one == two, "JSON differs between 1 and 2 threads");
    assert_eq!(run_with(4), one);
    let v: serde_json::Value = serde_json::from_str(&one).expect("json");
    assert_eq!(
        v["connections"].as_array().expect("array").len(),
        2 * expected
    );
    assert_eq!(v["inputs"][0]["packets"], fr.len());
    assert_eq!(v["inputs"][1]["packets"], fr.len());
    // Ids follow the inputs, then frame order.
    assert_eq!(v["connections"][0]["id"], "c1");
    assert_eq!(v["connections"][0]["first_frame"], 1);
    assert_eq!(v["connections"][900]["input"], v["inputs"][1]["path"]);
}
