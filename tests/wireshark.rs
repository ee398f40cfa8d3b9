//! What the reports hand to Wireshark users, checked against Wireshark itself (`tshark`, which
//! `.ci/run` installs; the tests skip, saying so, where it is absent): each connection's
//! display filter selects its frames, first to last, under Wireshark's own frame numbers, and
//! the certificate's SHA-1 thumbprint is that of the certificate tshark extracts.

use std::path::{Path, PathBuf};
use std::process::Command;

use rdptriage::analyze::{Options, analyze_paths};

fn tshark() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: tshark is not installed (apt-get install tshark)");
    }
    ok
}

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/captures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    files
}

/// The frame numbers tshark shows for a display filter.
fn frames(file: &Path, filter: &str) -> Vec<u64> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn display_filters_select_each_connection_first_to_last_frame() {
    if !tshark() {
        return;
    }
    let mut checked = 0;
    for file in captures() {
        let r = analyze_paths(std::slice::from_ref(&file), &Options::default());
        for c in &r.connections {
            let got = frames(&file, &c.display_filter());
            assert_eq!(
                (got.first().copied(), got.last().copied()),
                (Some(c.first_frame), Some(c.last_frame)),
                "{} {}: {}",
                file.display(),
                c.id,
                c.display_filter()
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} connections checked");
}

#[test]
fn certificate_thumbprints_are_those_of_the_certificates_wireshark_extracts() {
    if !tshark() {
        return;
    }
    use sha1::Digest;
    let mut checked = 0;
    for file in captures() {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&file)
            .args([
                "-d",
                "tcp.port==3389,tls",
                "-Y",
                "tls.handshake.certificate",
                "-T",
                "fields",
                "-e",
                "tls.handshake.certificate",
            ])
            .output()
            .expect("tshark runs");
        // The leaf certificate of each Certificate message: the first of its list.
        let wireshark: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split(',').next())
            .filter(|h| !h.is_empty())
            .map(|h| {
                let der: Vec<u8> = (0..h.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
                    .collect();
                sha1::Sha1::digest(&der)
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect()
            })
            .collect();
        let r = analyze_paths(std::slice::from_ref(&file), &Options::default());
        let ours: Vec<String> = r
            .connections
            .iter()
            .filter_map(|c| {
                c.detail()
                    .tls
                    .as_ref()
                    .and_then(|t| t.certificate.as_ref())
                    .map(|cert| cert.info.sha1.clone())
            })
            .collect();
        assert_eq!(ours, wireshark, "{}", file.display());
        checked += ours.len();
    }
    assert!(checked >= 5, "only {checked} certificates checked");
}
