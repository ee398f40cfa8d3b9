//! The renderings of one report: the terminal view and the Markdown postmortem section as
//! snapshots (insta: a change to either shows as a diff to review), the HTML page checked for
//! being self-contained and escaped and rendered in headless Chromium (the screenshot must
//! show the page and the red break of the ladder diagram), the handshake message sequence in
//! the JSON report, and the rule that colour and the progress bar only go to a terminal.
//!
//! Every input is a fixture of this repository: real captures (`fixtures/captures`, see
//! EXPECTED.md) and event-log exports of the same scenarios (`fixtures/eventlog`).

use rdptriage::model::Cause;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{Report, html, markdown, text};

fn analyze(paths: &[&str]) -> Report {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    analyze_paths(&paths, &Options::default())
}

/// An expired certificate, an unanswered SYN and a refused negotiation, with the server's
/// System and RemoteConnectionManager logs.
const SCENARIO: &[&str] = &[
    "fixtures/captures/cert-expired.pcap",
    "fixtures/captures/tcp-dropped.pcap",
    "fixtures/captures/neg-hybrid-required.pcap",
    "fixtures/eventlog/server-system.xml",
    "fixtures/eventlog/server-rcm.xml",
];

/// A wrong password: two NLA failures and the Security and RdpCoreTS logs that agree.
const NLA: &[&str] = &[
    "fixtures/captures/nla-wrong-password.pcap",
    "fixtures/eventlog/server-security.xml",
    "fixtures/eventlog/server-rdpcorets.xml",
];

fn plain() -> text::Style {
    text::Style {
        width: 120,
        colour: false,
        wrap: false,
    }
}

#[test]
fn terminal_view_snapshot() {
    insta::assert_snapshot!(
        "terminal_scenario",
        text::render_styled(&analyze(SCENARIO), plain())
    );
    insta::assert_snapshot!("terminal_nla", text::render_styled(&analyze(NLA), plain()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown_scenario", markdown::render(&analyze(SCENARIO)));
    insta::assert_snapshot!("markdown_nla", markdown::render(&analyze(NLA)));
}

#[test]
fn markdown_marks_the_break_in_the_sequence_and_links_evidence() {
    let md = markdown::render(&analyze(SCENARIO));
    // The certificate frame is where cert-expired broke (EXPECTED.md: frame 10 carries it).
    assert!(md.contains(
        "| 10 | 92.7 |  | ← | **TLS ServerHello, Certificate, ServerKeyExchange, ServerHelloDone** ✗ |"
    ));
    // tcp-dropped: 8 SYNs in frames 1–8, one row.
    assert!(md.contains("| 1–8 | 0.0 | **SYN (sent 8 times)** ✗ | → |  |"));
    // The event the finding rests on is in the timeline, marked as a failure.
    assert!(md.contains("| RDPT-SRV System#15402 | ✗ RemoteConnectionManager 1058: Replacing the expired self-signed RDP certificate failed: Access is denied |"));
    assert!(md.starts_with("## RDP connection triage\n\n**Verdict:** 10.99.2.2:3389: the client rejected the server's certificate (1 connection from 10.99.1.2; 2026-11-22 03:42 UTC); fix: Renew the certificate; 2 more findings.\n\nRead 3 captures (34 packets) and 2 event logs (6 RDP events): 3 RDP connections (3 failed) in 3 attempts, 3 failed in the end; 3 findings.\n"));
}

#[test]
fn json_carries_the_message_sequence_of_failed_connections_only() {
    let r = analyze(&[
        "fixtures/captures/cert-expired.pcap",
        "fixtures/captures/tls-success.pcap",
    ]);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
    let conns = json["connections"].as_array().expect("connections");
    let failed = conns
        .iter()
        .find(|c| c["cause"] == "certificate_rejected")
        .expect("cert-expired connection");
    let rows: Vec<(u64, &str, &str)> = failed["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["frame"].as_u64().unwrap_or(0),
                m["from"].as_str().unwrap_or(""),
                m["label"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "client", "SYN"),
            (2, "server", "SYN-ACK"),
            (3, "client", "ACK"),
            (4, "client", "X.224 Connection Request (SSL)"),
            (6, "server", "X.224 Connection Confirm (selects SSL)"),
            (8, "client", "TLS ClientHello"),
            (
                10,
                "server",
                "TLS ServerHello, Certificate, ServerKeyExchange, ServerHelloDone"
            ),
            (
                11,
                "client",
                "TLS ClientKeyExchange, ChangeCipherSpec, Finished (encrypted)"
            ),
            (
                12,
                "server",
                "TLS NewSessionTicket, ChangeCipherSpec, Finished (encrypted)"
            ),
            (13, "client", "TLS alert (encrypted)"),
            (14, "client", "FIN"),
            (15, "server", "TLS alert (encrypted)"),
            (16, "client", "RST"),
        ]
    );
    // tshark: frame 10 at 0.092688000 s (frame.time_relative).
    assert_eq!(failed["messages"][6]["ms"], 92.688);
    let ok = conns
        .iter()
        .find(|c| c["verdict"] == "ok")
        .expect("tls-success connection");
    assert!(ok["messages"].is_null());
}

#[test]
fn html_is_self_contained_and_draws_one_ladder_per_failed_connection() {
    let page = html::render(&analyze(SCENARIO));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.ends_with("</html>\n"));
    for fetch in ["<script", "src=", "<link", "@import", "url(", "href=\"http"] {
        assert!(
            !page.contains(fetch),
            "the page must fetch nothing: {fetch}"
        );
    }
    assert_eq!(page.matches("<svg ").count(), 3);
    assert_eq!(page.matches("<article class=\"finding error\">").count(), 3);
    // The break of each ladder, named by its cause.
    for cause in [
        Cause::CertificateRejected,
        Cause::TcpNoAnswer,
        Cause::NegotiationFailure,
    ] {
        assert!(page.contains(&format!("✗ {cause}</text>")), "{cause}");
    }
    // Every failed connection in the table links to its diagram.
    assert!(page.contains("<a href=\"#c1\">c1</a>"));
    assert!(page.contains("<h3 id=\"c1\">"));
}

#[test]
fn html_and_markdown_escape_what_the_input_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = dir.path().join("<img src=x onerror=alert(1)>|*x*.pcap");
    std::fs::copy("fixtures/captures/cert-expired.pcap", &hostile).expect("copy");
    let r = analyze_paths(&[hostile], &Options::default());
    let page = html::render(&r);
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;|*x*.pcap"));
    let md = markdown::render(&r);
    // In code spans the name is literal; in table cells and text its specials are escaped.
    assert!(md.contains("<img src=x onerror=alert(1)>|*x*.pcap`"));
    assert!(!md.contains("| <img"));
}

/// Chromium, where installed (`.ci/run` installs Debian's package).
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipping: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    std::fs::write(&page, html::render(&analyze(SCENARIO))).expect("write");
    let shot = dir.path().join("report.png");
    let png = screenshot(&browser, &page, &shot, dir.path());
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!((info.width, info.height), (1200, 2400));
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut inked = 0usize;
    let mut red = 0usize;
    for px in pixels.chunks_exact(channels) {
        let (r, g, b) = (px[0], px[1], px[2]);
        if r < 200 || g < 200 || b < 200 {
            inked += 1;
        }
        // #c62828, the colour of the break and of error badges.
        if r > 170 && g < 80 && b < 80 {
            red += 1;
        }
    }
    let total = (info.width * info.height) as usize;
    assert!(
        inked * 100 > total * 3,
        "the page looks blank: {inked} of {total} pixels have ink"
    );
    assert!(red > 500, "no break drawn in red: {red} red pixels");
}

/// Renders `page` to `shot` at 1200×2400 and returns the PNG's bytes.
fn screenshot(browser: &Path, page: &Path, shot: &Path, profile: &Path) -> Vec<u8> {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,2400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("chromium").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read(shot).expect("screenshot written")
}

#[test]
fn colour_and_progress_only_for_a_terminal() {
    // Under the test harness stdout and stderr are pipes.
    let out = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .arg("analyze")
        .args(SCENARIO)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.contains(&0x1b), "no ANSI escapes in a pipe");
    assert!(
        out.stderr.is_empty(),
        "no progress bar in a pipe: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );

    let coloured = text::render_styled(
        &analyze(SCENARIO),
        text::Style {
            width: 120,
            colour: true,
            wrap: false,
        },
    );
    assert!(coloured.contains("\x1b[1;31m[error certificate_rejected, high confidence]\x1b[0m"));

    // On a terminal, long finding lines wrap to its width (colour codes take no columns),
    // indented past their own indent, and say the same words.
    let report = analyze(SCENARIO);
    let wrapped = text::render_styled(
        &report,
        text::Style {
            width: 72,
            colour: true,
            wrap: true,
        },
    );
    let flat = text::render_styled(
        &report,
        text::Style {
            width: 72,
            colour: true,
            wrap: false,
        },
    );
    let findings_of = |t: &str| t.split("\nCaptures").next().unwrap_or_default().to_string();
    let strip = |t: &str| {
        let mut out = String::new();
        let mut esc = false;
        for c in t.chars() {
            match (esc, c) {
                (false, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                _ => out.push(c),
            }
        }
        out
    };
    let shown = strip(&findings_of(&wrapped));
    assert!(
        shown
            .lines()
            .all(|l| l.chars().count() <= 72 || !l.trim().contains(' ')),
        "{shown}"
    );
    assert!(shown.lines().count() > strip(&findings_of(&flat)).lines().count());
    let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(&shown), words(&strip(&findings_of(&flat))));
}

#[test]
fn formats_are_chosen_on_the_command_line() {
    for (format, start) in [
        ("md", "## RDP connection triage"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
            .args(["analyze", "--format", format])
            .args(NLA)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            text.starts_with(start),
            "{format}: {}",
            &text[..80.min(text.len())]
        );
        assert!(text.contains("nla_failure"));
    }
}

#[test]
fn colour_and_progress_on_a_terminal() {
    // `script` (util-linux) runs the tool on a pseudo-terminal and copies what it drew.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: `script` (util-linux) is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rdptriage");
    let out = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "'{bin}' analyze fixtures/captures/cert-expired.pcap"
        ))
        .arg("/dev/null")
        .env("RDPTRIAGE_PROGRESS_AFTER_MS", "0")
        .env_remove("NO_COLOR")
        .output()
        .expect("run script");
    let tty = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("pseudo-terminal") {
        eprintln!(
            "skipping: no pseudo-terminal here ({})",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{tty}");
    // The bar (drawn, then cleared) and the coloured finding.
    assert!(tty.contains("reading 1 file: "), "{tty}");
    assert!(
        tty.contains("\x1b[1;31m[error certificate_rejected, medium confidence]\x1b[0m"),
        "{tty}"
    );

    // NO_COLOR turns colour off even on a terminal.
    let out = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "'{bin}' analyze fixtures/captures/cert-expired.pcap"
        ))
        .arg("/dev/null")
        .env("NO_COLOR", "1")
        .output()
        .expect("run script");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(
        tty.contains("[error certificate_rejected, medium confidence]"),
        "{tty}"
    );
    assert!(!tty.contains("\x1b[1;31m"), "{tty}");
}

/// The JSON report is written by hand for its bulk arrays (`report::pretty`) and through serde
/// for the rest: byte for byte what `serde_json::to_writer_pretty` writes for the whole
/// report, on every fixture and, when present, on the corpus (its events carry real-world
/// text: user names, paths, control characters).
#[test]
fn json_report_is_what_serde_json_writes() {
    let mut sets = vec![vec![PathBuf::from("fixtures")]];
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if corpus.is_dir() {
        sets.push(vec![corpus]);
    } else {
        eprintln!("corpus part skipped: {} not found", corpus.display());
    }
    for paths in sets {
        let report = analyze_paths(&paths, &Options::default());
        assert!(report.events.len() > 10, "{paths:?}");
        assert!(!report.timelines.is_empty(), "{paths:?}");
        let mut ours = Vec::new();
        report.write_json(&mut ours).unwrap();
        let mut serde = serde_json::to_vec_pretty(&report).unwrap();
        serde.push(b'\n');
        assert!(
            ours == serde,
            "{paths:?}: write_json differs from serde_json"
        );
    }
}

/// A busy input's Markdown fits a ticket comment: within `markdown::BUDGET` characters, every
/// finding in the summary table, and each section cut says so instead of vanishing.
#[test]
fn markdown_of_a_busy_input_fits_a_ticket() {
    let r = analyze(&["fixtures"]);
    let md = markdown::render(&r);
    assert!(
        md.len() <= markdown::BUDGET,
        "{} characters over the budget",
        md.len() - markdown::BUDGET
    );
    for (n, f) in r.findings.iter().enumerate() {
        assert!(
            md.contains(&format!("| {} | `{}` |", n + 1, f.cause)),
            "finding {} missing from the summary",
            n + 1
        );
    }
    assert!(md.contains("left out to keep this report within 30000 characters"));
    assert!(md.contains("### Handshakes that failed"));
    // Unbudgeted, the same report is larger: the budget did cut.
    assert!(markdown::render_within(&r, usize::MAX).len() > md.len());
    // A small report is never cut.
    let small = analyze(NLA);
    assert_eq!(
        markdown::render(&small),
        markdown::render_within(&small, usize::MAX)
    );
}

/// The roll-up before the findings: failures by cause, each server's health (its certificate's
/// expiry against the capture's time, what it refused and selected), log-only servers by
/// cause, and password guessing said apart from users' failures.
#[test]
fn a_busy_report_opens_with_its_roll_up() {
    let lines = rdptriage::report::rollup::lines(&analyze(SCENARIO));
    assert_eq!(
        lines,
        [
            "failed connections by cause: certificate_rejected 1, negotiation_failure 1, tcp_no_answer 1",
            "server 10.99.2.2:3389: 3 connections, 3 failed (certificate_rejected 1, negotiation_failure 1, tcp_no_answer 1); certificate expired 2020-01-31 (2488 days before the capture); refused with HYBRID_REQUIRED_BY_SERVER 1; selected SSL 1",
        ]
    );
    let logs = analyze(&[
        "fixtures/eventlog/server-security-guessing.xml",
        "fixtures/eventlog/server-security-lockout.xml",
    ]);
    assert_eq!(
        rdptriage::report::rollup::lines(&logs),
        [
            "server RDPT-SRV (logs): password_guessing 120, account_locked_out 8, logon_failed 5",
            "password guessing, apart from users' own failures: 120 failed logons (120 on RDPT-SRV from 203.0.113.50)",
        ]
    );
    let text = text::render_styled(&logs, plain());
    assert!(
        text.contains("\n\nRoll-up:\n  server RDPT-SRV (logs)"),
        "{text}"
    );
    // One finding about one server: nothing to roll up.
    assert!(
        rdptriage::report::rollup::lines(&analyze(&["fixtures/captures/cert-expired.pcap"]))
            .is_empty()
    );
}
