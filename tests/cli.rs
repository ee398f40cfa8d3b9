//! The command line: exit codes (0 when anything was read, 2 otherwise or on a usage
//! error), the JSON and JSON Lines outputs, the text table, `--rdp-port`, `--threads`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::*;

fn rdptriage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .args(args)
        .env("COLUMNS", "220")
        .output()
        .expect("run rdptriage")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

/// SYN from 10.1.0.5:50000 refused by 10.2.0.9:`port`.
fn refused_pcap(port: u16) -> Vec<u8> {
    let c = Conv::new("10.1.0.5:50000", &format!("10.2.0.9:{port}"));
    pcap_of(Link::Eth, &[(T0, c.syn()), (T0 + MS, c.refuse())])
}

#[test]
fn json_output_and_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "refused.pcap", &refused_pcap(3389));
    let o = rdptriage(&["analyze", "--format", "json", p(&cap)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON parses");
    assert_eq!(v["schema"], "rdptriage/1");
    assert_eq!(v["inputs"][0]["path"], p(&cap));
    assert_eq!(v["inputs"][0]["kind"], "pcap");
    assert_eq!(v["inputs"][0]["packets"], 2);
    let c = &v["connections"][0];
    assert_eq!(c["id"], "c1");
    assert_eq!(c["client"], "10.1.0.5:50000");
    assert_eq!(c["server"], "10.2.0.9:3389");
    assert_eq!(c["cause"], "tcp_refused");
    assert_eq!(c["verdict"], "failed");
    assert_eq!(c["stages"][0]["frames"], serde_json::json!([1, 2]));
    assert_eq!(c["start"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn exit_2_when_nothing_was_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = write(dir.path(), "empty.pcap", b"");
    let o = rdptriage(&["analyze", "--format", "json", p(&empty)]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON parses");
    assert_eq!(v["inputs"][0]["skipped"], true);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no readable input"));

    // A pcap whose file header is cut.
    let cut = write(dir.path(), "cut.pcap", &refused_pcap(3389)[..20]);
    let o = rdptriage(&["analyze", p(&cut)]);
    assert_eq!(o.status.code(), Some(2));

    // A path that does not exist.
    let missing = dir.path().join("missing.pcap");
    let o = rdptriage(&["analyze", "--format", "json", p(&missing)]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON parses");
    assert_eq!(v["inputs"][0]["path"], p(&missing));
    assert!(
        v["inputs"][0]["warnings"][0]
            .as_str()
            .expect("warning")
            .starts_with("cannot open: ")
    );

    // One readable file among unreadable ones is enough for 0.
    let cap = write(dir.path(), "ok.pcap", &refused_pcap(3389));
    let o = rdptriage(&["analyze", p(&empty), p(&cut), p(&cap)]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(rdptriage(&["analyze"]).status.code(), Some(2));
    assert_eq!(
        rdptriage(&["analyze", "--format", "xml", "x.pcap"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rdptriage(&["analyze", "--threads", "0", "x.pcap"])
            .status
            .code(),
        Some(2)
    );
    // A payload cap of 0 would read no handshake at all.
    let refused = rdptriage(&["analyze", "--payload-cap", "0", "x.pcap"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--payload-cap must be at least 1 byte"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(rdptriage(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(rdptriage(&["--help"]).status.code(), Some(0));
}

/// JSON Lines: the header (`report`), inputs, then connections, findings and warnings, each
/// line an object with its type.
#[test]
fn jsonl_lines_each_have_a_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = refused_pcap(3389);
    let cap = write(dir.path(), "a.pcap", &bytes);
    // The same capture cut 10 bytes into its second record (which starts at 24 + 16 + 58).
    let cut = write(dir.path(), "b.pcap", &bytes[..98 + 10]);
    let txt = write(dir.path(), "c.txt", b"notes");
    let o = rdptriage(&[
        "analyze",
        "--format",
        "jsonl",
        "--rdp-port",
        "3390",
        p(&cap),
        p(&cut),
        p(&txt),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let mut lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let header = lines.remove(0);
    assert_eq!(
        header,
        serde_json::json!({
            "type": "report",
            "schema": "rdptriage/1",
            "tool": format!("rdptriage {}", env!("CARGO_PKG_VERSION")),
            "options": {"rdp_ports": [3389, 3390], "payload_cap": 65536,
                        "follow_symlinks": false, "decryption": false},
            "verdict": "10.2.0.9:3389: the connection was refused (nothing listening, or a REJECT rule) (1 connection from 10.1.0.5; 2023-11-14 22:13 UTC); fix: Enable Remote Desktop on the server, check the listener port (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\PortNumber) and that TermService runs.",
            "scoped": null,
            "clock_offsets": [],
        })
    );
    let types: Vec<&str> = lines
        .iter()
        .map(|v| v["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "input",
            "input",
            "input",
            "connection",
            "connection",
            "finding",
            "warning"
        ]
    );
    assert_eq!(lines[0]["path"], p(&cap));
    assert_eq!(lines[2]["skipped"], true);
    assert_eq!(lines[3]["cause"], "tcp_refused");
    // In b.pcap only the SYN survived, at the very end of the capture.
    assert_eq!(lines[4]["cause"], "capture_ended");
    assert_eq!(lines[4]["verdict"], "incomplete");
    // One finding: the refused attempt (an unfinished connection is not a failure).
    assert_eq!(lines[5]["cause"], "tcp_refused");
    assert_eq!(lines[5]["connections"], serde_json::json!(["c1"]));
    // Its structured fields, for scripts that group findings without reading prose.
    assert_eq!(lines[5]["server"], "10.2.0.9:3389");
    assert_eq!(lines[5]["clients"], serde_json::json!(["10.1.0.5"]));
    assert_eq!(lines[5]["first"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(lines[5]["last"], "2023-11-14T22:13:20.001000Z");
    assert_eq!(lines[5]["count"], 1);
    assert_eq!(
        lines[6]["message"],
        format!(
            "{}: truncated record header: the file ends 10 bytes into a 16-byte header at offset 98",
            p(&cut)
        )
    );
}

#[test]
fn text_output_names_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "refused.pcap", &refused_pcap(3389));
    let o = rdptriage(&["analyze", p(&cap)]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    // The verdict, a headline, the findings, then the inputs and the connection table.
    assert!(
        out.starts_with(
            "Verdict: 10.2.0.9:3389: the connection was refused (nothing listening, or a REJECT rule) (1 connection from 10.1.0.5; 2023-11-14 22:13 UTC); fix: Enable Remote Desktop on the server, check the listener port (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\PortNumber) and that TermService runs.\nRead 1 capture (2 packets): 1 RDP connection (1 failed) in 1 attempt, 1 failed in the end; 1 finding.\n\nFindings (1):\n1. [error tcp_refused"
        ),
        "{out}"
    );
    assert!(
        out.contains("   fix: Enable Remote Desktop on the server"),
        "{out}"
    );
    let findings_at = out.find("Findings").expect("findings");
    let read_at = out
        .find("Captures (1, 2 packets, 1 RDP connection):\n")
        .expect("read line");
    assert!(findings_at < read_at, "{out}");
    assert!(out.contains(p(&cap)), "{out}");
    assert!(out.contains("tcp_refused"), "{out}");
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("10.2.0.9:3389"), "{out}");
}

#[test]
fn rdp_port_option() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "p3390.pcap", &refused_pcap(3390));
    let o = rdptriage(&["analyze", "--format", "json", p(&cap)]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["connections"], serde_json::json!([]));
    let o = rdptriage(&["analyze", "--format", "json", "--rdp-port", "3390", p(&cap)]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["connections"][0]["server"], "10.2.0.9:3390");
    assert_eq!(v["connections"][0]["cause"], "tcp_refused");
}

#[test]
fn threads_do_not_change_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut fr = Vec::new();
    for i in 0..200u16 {
        let c = Conv::new(
            &format!("10.1.0.{}:{}", i % 5 + 1, 40_000 + i),
            "10.2.0.9:3389",
        );
        let t = T0 + i64::from(i) * MS;
        fr.push((t, c.syn().frame(Link::Eth)));
        if i % 3 == 0 {
            fr.push((t + 100_000, c.refuse().frame(Link::Eth)));
        } else if i % 3 == 1 {
            fr.push((t + 100_000, c.synack().frame(Link::Eth)));
        }
    }
    let a = write(dir.path(), "a.pcap", &Pcap::new(1).file(&fr));
    let b = write(dir.path(), "b.pcap.gz", &gzip(&Pcap::new(1).file(&fr)));
    let one = rdptriage(&[
        "analyze",
        "--format",
        "json",
        "--threads",
        "1",
        p(&a),
        p(&b),
    ]);
    let two = rdptriage(&[
        "analyze",
        "--format",
        "json",
        "--threads",
        "2",
        p(&a),
        p(&b),
    ]);
    assert_eq!(one.status.code(), Some(0));
    assert!(one.stdout == two.stdout, "outputs differ");
    let v: serde_json::Value = serde_json::from_str(&stdout(&one)).expect("json");
    assert_eq!(v["connections"].as_array().expect("array").len(), 400);
}

/// A report that cannot be written (a full disk: `/dev/full`) exits 1 with a message, in every
/// format; a reader that stops early (a closed pipe) is no failure.
#[test]
fn a_report_that_cannot_be_written_exits_1() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: /dev/full is not on this system");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "refused.pcap", &refused_pcap(3389));
    for format in ["text", "json", "jsonl", "md", "html"] {
        let o = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
            .args(["analyze", "--format", format, p(&cap)])
            .stdout(full.try_clone().expect("dup"))
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(1), "{format}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("cannot write the report"), "{format}: {err}");
    }
    // `| head -c 1`: the reader leaves after one byte of a report larger than a pipe holds
    // (the fixtures' JSON is about 170 KB); the run still counts as analysed.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .args(["analyze", "--format", "json", p(&fixtures)])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut one = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut one).expect("one byte");
    drop(out);
    assert_eq!(child.wait().expect("exits").code(), Some(0));
}

/// A folder a customer's archive unpacked into: links leading out of it, links to folders,
/// FIFOs and folders nested too deep are listed as skipped with the reason, not read (nor
/// waited on); `--follow-symlinks` follows the links leading out. A capture given as `-`
/// is read from standard input, and a FIFO given by name is read as a stream.
#[cfg(unix)]
#[test]
fn paths_passed_over_are_listed_and_streams_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let cap = refused_pcap(3389);
    write(&bundle, "a.pcap", &cap);
    let secret = write(&outside, "secret.pcap", &cap);
    std::os::unix::fs::symlink(&secret, bundle.join("leak.pcap")).expect("symlink");
    std::os::unix::fs::symlink("a.pcap", bundle.join("same.pcap")).expect("symlink");
    std::os::unix::fs::symlink(&outside, bundle.join("dirlink")).expect("symlink");
    let mut deep = bundle.join("deep");
    for k in 0..66 {
        deep = deep.join(format!("{k}"));
    }
    write(&deep, "buried.pcap", &cap);
    let fifo = bundle.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = made.is_ok_and(|s| s.success());

    let inputs = |extra: &[&str]| -> Vec<(String, bool, Option<String>)> {
        let mut args = vec!["analyze", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(p(&bundle));
        let o = rdptriage(&args);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        v["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .map(|i| {
                let path = i["path"].as_str().expect("path");
                let rel = path
                    .strip_prefix(p(&bundle))
                    .unwrap_or(path)
                    .trim_start_matches('/');
                let rel = if rel.starts_with("deep/") {
                    "deep/…".to_string()
                } else {
                    rel.to_string()
                };
                (
                    rel,
                    i["skipped"].as_bool().expect("skipped"),
                    i["skipped_reason"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let skip = |path: &str, why: &str| (path.to_string(), true, Some(why.to_string()));
    let read = |path: &str| (path.to_string(), false, None);
    let mut expected = vec![
        skip("deep/…", "folder nested too deep"),
        skip("dirlink", "symbolic link to a folder"),
    ];
    if have_fifo {
        expected.push(skip("fifo", "not a regular file"));
    }
    expected.extend([
        skip("leak.pcap", "symbolic link leaving the folder"),
        read("a.pcap"),
        read("same.pcap"),
    ]);
    assert_eq!(inputs(&[]), expected);
    let followed: Vec<_> = inputs(&["--follow-symlinks"])
        .into_iter()
        .filter(|i| !i.1)
        .map(|i| i.0)
        .collect();
    assert_eq!(followed, ["a.pcap", "leak.pcap", "same.pcap"]);

    // Standard input, and a FIFO given by name.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
        .args(["analyze", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &cap).expect("write");
    let o = child.wait_with_output().expect("exits");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["inputs"][0]["path"], "(standard input)");
    assert_eq!(v["connections"][0]["cause"], "tcp_refused");
    if have_fifo {
        let writer = {
            let fifo = fifo.clone();
            let cap = cap.clone();
            std::thread::spawn(move || std::fs::write(fifo, cap).expect("write fifo"))
        };
        // Run with a deadline: a reader that opened the FIFO twice would wait for ever.
        let mut child = Command::new(env!("CARGO_BIN_EXE_rdptriage"))
            .args(["analyze", "--format", "json", p(&fifo)])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().expect("wait").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("reading a FIFO given by name did not end within 60 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let o = child.wait_with_output().expect("exits");
        writer.join().expect("writer");
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        assert_eq!(v["inputs"][0]["kind"], "pcap");
        assert_eq!(v["connections"][0]["cause"], "tcp_refused");
    }
}

/// `-o/--output FILE` writes the report to the file (what standard output would have had);
/// a file that cannot be made, or a write that fails, exits 1 with a message.
#[test]
fn output_option_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "refused.pcap", &refused_pcap(3389));
    let out = dir.path().join("report.json");
    let o = rdptriage(&["analyze", "--format", "json", "-o", p(&out), p(&cap)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty());
    let piped = rdptriage(&["analyze", "--format", "json", p(&cap)]);
    assert_eq!(std::fs::read(&out).expect("written"), piped.stdout);
    let text = dir.path().join("report.txt");
    let o = rdptriage(&["analyze", "--output", p(&text), p(&cap)]);
    assert_eq!(o.status.code(), Some(0));
    let written = std::fs::read_to_string(&text).expect("written");
    assert!(written.contains("[error tcp_refused"), "{written}");
    assert!(!written.contains('\x1b'), "no colour in a file: {written}");

    let nowhere = dir.path().join("no/such/folder/report.json");
    let o = rdptriage(&["analyze", "-o", p(&nowhere), p(&cap)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot write the report to"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    if Path::new("/dev/full").exists() {
        let o = rdptriage(&["analyze", "-o", "/dev/full", p(&cap)]);
        assert_eq!(o.status.code(), Some(1));
    }
}

/// `rdptriage extract --connection c1 -o FILE PATH`: the pcap holds the connection, and
/// analysed again it gives the same cause; an unknown id exits 2 and leaves no file.
#[test]
fn extract_writes_a_connection_to_a_pcap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = write(dir.path(), "refused.pcap", &refused_pcap(3389));
    let out = dir.path().join("c1.pcap");
    let o = rdptriage(&["extract", "--connection", "c1", "-o", p(&out), p(&cap)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "rdptriage: wrote 2 frames of c1 from {} to {}\n",
            p(&cap),
            p(&out)
        )
    );
    let again = rdptriage(&["analyze", "--format", "json", p(&out)]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&again)).expect("json");
    assert_eq!(v["connections"][0]["cause"], "tcp_refused");
    assert_eq!(v["connections"][0]["client"], "10.1.0.5:50000");

    let missing = dir.path().join("c9.pcap");
    let o = rdptriage(&["extract", "--connection", "c9", "-o", p(&missing), p(&cap)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!missing.exists());
}
