//! The Windows event logs of `../shared/corpus/evtx` read through the public API, checked
//! against what other tools saw in them: the per-channel event-id counts evtx_dump 0.15.1 gave
//! (`reference/curation-evtx-eventid-counts.json`), exact field values read with it, and the
//! sessions Velociraptor's Windows.EventLogs.RDPAuth lists
//! (`reference/velociraptor/evtx.out.yaml.RDPAuth-section`). Skips with a message when the
//! corpus is absent.

use rdptriage::correlate::timeline::Outcome;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::eventlog::catalog::{CATALOG, Filter, RDP_LOGON_TYPES};
use rdptriage::eventlog::{CatalogEvent, EventlogResult, read_evtx};

/// What the catalog made of a kept event (named and summarized as it was read).
struct Named {
    name: &'static str,
    summary: String,
    decoded: Vec<(String, String)>,
}

fn describe(e: &CatalogEvent) -> Option<Named> {
    (!e.name.is_empty()).then(|| Named {
        name: e.name,
        summary: e.summary.to_string(),
        decoded: e
            .decoded
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("evtx").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} not found", dir.join("evtx").display());
        None
    }
}

fn evtx_files(corpus: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(corpus.join("evtx")).unwrap().flatten() {
        if dir.path().is_dir() {
            for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "evtx") {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> EventlogResult {
    read_evtx(&path.display().to_string(), File::open(path).unwrap())
}

/// What evtx_dump's counts say the catalog should hold, per (channel, id): plain ids from the
/// per-channel counts; logon events by logon type and filtering-platform events on port 3389
/// from the RDP breakdown; System events of one provider from the RDP breakdown too.
fn expected(entry: &serde_json::Value) -> BTreeMap<(String, u32), u64> {
    let mut out = BTreeMap::new();
    let all = entry["all"].as_object().unwrap();
    let rdp = entry["rdp"].as_object().unwrap();
    for c in CATALOG {
        let n = match (c.channel, c.filter) {
            ("System", _) => {
                // "System/TerminalServices-RemoteConnectionManager:1056", "System/Schannel:36888"…
                rdp.iter()
                    .filter(|(k, _)| {
                        k.starts_with("System/")
                            && k.ends_with(&format!(":{}", c.id))
                            && c.providers.iter().any(|p| {
                                let short = p.trim_start_matches("Microsoft-Windows-");
                                k[7..].starts_with(short)
                            })
                    })
                    .map(|(_, v)| v.as_u64().unwrap())
                    .sum()
            }
            (ch, Filter::RdpLogonType) => RDP_LOGON_TYPES
                .iter()
                .filter_map(|t| rdp.get(&format!("{ch}:{}/LT{t}", c.id)))
                .map(|v| v.as_u64().unwrap())
                .sum(),
            (ch, Filter::RdpPort) => rdp
                .get(&format!("{ch}:{}/3389", c.id))
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            // The counts have no service-name breakdown; the corpus's only 4769s (9 in
            // velociraptor/RDPAuth_Security.evtx) are for DC$, WEF$ and krbtgt, none TERMSRV/.
            (_, Filter::RdpSpn) => 0,
            (ch, Filter::Always) => all
                .get(&format!("{ch}:{}", c.id))
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
        };
        if n > 0 {
            *out.entry((c.channel.to_string(), c.id)).or_default() += n;
        }
    }
    out
}

#[test]
fn every_file_reads_and_catalog_counts_match_evtx_dump() {
    let Some(corpus) = corpus() else { return };
    let counts: serde_json::Value = serde_json::from_reader(
        File::open(corpus.join("reference/curation-evtx-eventid-counts.json")).unwrap(),
    )
    .unwrap();
    let files = evtx_files(&corpus);
    assert!(files.len() >= 20, "{} files", files.len());
    let mut checked = 0;
    for path in &files {
        let r = read(path);
        assert!(r.readable, "{}", path.display());
        let key = format!(
            "evtx/{}",
            path.strip_prefix(corpus.join("evtx")).unwrap().display()
        );
        let Some(entry) = counts.get(&key) else {
            panic!("{key} not in the curation counts");
        };
        // Every record evtx_dump read, we read (catalog or not).
        assert_eq!(
            r.counts.records,
            entry["total"].as_u64().unwrap(),
            "{key}: records"
        );
        let want = expected(entry);
        assert_eq!(r.counts.catalog, want, "{key}: catalog counts");
        assert_eq!(r.events.len() as u64, r.counts.catalog_total(), "{key}");
        checked += 1;
    }
    assert_eq!(checked, files.len());
}

#[test]
fn rdpcorets_sample_gives_its_nla_failures_and_skips_corrupt_records() {
    let Some(corpus) = corpus() else { return };
    let r = read(&corpus.join(
        "evtx/omerbenamram-evtx/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
    ));
    // The four records evtx_dump cannot read either: skipped, counted, named. Their chunks
    // (0 and 13) fail their records' CRC32 too: said once each, their other records read.
    assert_eq!(r.counts.corrupt, 4);
    assert_eq!(r.warnings.len(), 6, "{:#?}", r.warnings);
    for chunk in [0, 13] {
        assert!(
            r.warnings.iter().any(|w| w.ends_with(&format!(
                "chunk {chunk}: CRC32 of its records does not match; its records are read anyway"
            ))),
            "{:#?}",
            r.warnings
        );
    }
    assert!(r.warnings.iter().any(|w| w.contains("6335011")));
    let nla: Vec<_> = r.events.iter().filter(|e| e.id == 140).collect();
    assert_eq!(nla.len(), 126);
    assert!(nla.iter().all(|e| e.field("IPString").is_some()));
    let first = nla.iter().min_by_key(|e| e.record_id).unwrap();
    assert_eq!(first.record_id, 5281377);
    assert_eq!(first.field("IPString"), Some("43.228.99.228"));
    assert_eq!(&*first.time, "2018-08-02T04:32:34.436959Z");
    assert_eq!(&*first.computer, "DESKTOP-1N4R894");
    let second = nla.iter().find(|e| e.record_id == 5281387).unwrap();
    assert_eq!(second.field("IPString"), Some("62.170.2.215"));
    let d = describe(second).unwrap();
    assert_eq!(d.name, "nla_failed");
    assert_eq!(
        d.summary,
        "NLA failed for 62.170.2.215 (user name or password incorrect)"
    );
    // The connection it failed on.
    let accepted = r.events.iter().find(|e| e.record_id == 5281372).unwrap();
    assert_eq!(accepted.id, 131);
    assert_eq!(accepted.field("ClientIP"), Some("62.170.2.215:50270"));
    assert_eq!(accepted.field("ConnType"), Some("TCP"));
    // 226: the state machine's error, decoded.
    let t = r.events.iter().find(|e| e.record_id == 5281379).unwrap();
    assert_eq!(t.id, 226);
    let d = describe(t).unwrap();
    assert!(d.summary.contains("ERROR_NETNAME_DELETED"), "{}", d.summary);
}

#[test]
fn security_sample_names_the_rdp_logon_failure_and_the_firewall_drop() {
    let Some(corpus) = corpus() else { return };
    let path = corpus.join("evtx/omerbenamram-evtx/Security_short_selected.evtx");
    let r = read(&path);
    let failed: Vec<_> = r.events.iter().filter(|e| e.id == 4625).collect();
    assert_eq!(failed.len(), 1);
    let f = failed[0];
    assert_eq!(f.field("LogonType"), Some("10"));
    assert_eq!(f.field("TargetUserName"), Some("Administrator"));
    assert_eq!(f.field("IpAddress"), Some("23.94.153.202"));
    assert_eq!(f.record_id, 319457832);
    let d = describe(f).unwrap();
    let decoded: BTreeMap<_, _> = d.decoded.iter().cloned().collect();
    assert!(
        decoded["Status"].starts_with("STATUS_LOGON_FAILURE"),
        "{decoded:?}"
    );
    assert!(
        decoded["SubStatus"].starts_with("STATUS_WRONG_PASSWORD"),
        "{decoded:?}"
    );
    assert_eq!(decoded["LogonType"], "RemoteInteractive");
    assert!(
        d.summary.contains("0xC000006D STATUS_LOGON_FAILURE"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("0xC000006A STATUS_WRONG_PASSWORD"),
        "{}",
        d.summary
    );
    // Of the two drops, the one to 3389 is in the catalog; the ICMP one is not.
    let drops: Vec<_> = r.events.iter().filter(|e| e.id == 5152).collect();
    assert_eq!(drops.len(), 1);
    assert_eq!(drops[0].field("DestPort"), Some("3389"));
    assert_eq!(drops[0].field("SourceAddress"), Some("23.94.153.202"));
    assert_eq!(
        describe(drops[0]).unwrap().summary,
        "Firewall dropped a packet 23.94.153.202:59639 → 169.46.6.101:3389"
    );
    assert!(!r.events.iter().any(|e| e.id == 5157));
    // 4776 on the same host: the NTLM check behind it.
    let ntlm = r.events.iter().find(|e| e.id == 4776).unwrap();
    assert!(
        describe(ntlm)
            .unwrap()
            .summary
            .contains("STATUS_WRONG_PASSWORD")
    );
}

/// Rows of the Velociraptor reference: EventID, DomainName, UserName, SourceIP.
fn velociraptor_rows(corpus: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(
        corpus.join("reference/velociraptor/evtx.out.yaml.RDPAuth-section"),
    )
    .unwrap();
    let start = text.find("Output: [").unwrap() + "Output: ".len();
    let end = start + text[start..].find("\n]").unwrap() + 2;
    serde_json::from_str::<Vec<serde_json::Value>>(&text[start..end]).unwrap()
}

#[test]
fn velociraptor_rdpauth_sessions_are_found() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("evtx/velociraptor");
    let report = analyze_paths(&[dir], &Options::default());
    assert_eq!(report.inputs.len(), 4);
    let rows = velociraptor_rows(&corpus);
    assert_eq!(rows.len(), 10);
    for row in &rows {
        let id = row["EventID"].as_u64().unwrap() as u32;
        let s = |k: &str| row[k].as_str().filter(|v| *v != "null").map(str::to_string);
        let (domain, user, ip) = (s("DomainName"), s("UserName"), s("SourceIP"));
        // Velociraptor groups by event id: some event of that id carries these values.
        let found = report.events.iter().filter(|e| e.id == id).any(|e| {
            let f = |k: &str| e.fields.get(k).map(|v| v.trim().to_string());
            let (u, a) = match id {
                21..=25 => (f("User"), f("Address")),
                1149 => (f("Param1"), f("Param3")),
                4624 | 4625 => (
                    f("TargetUserName")
                        .map(|n| format!("{}\\{n}", f("TargetDomainName").unwrap_or_default())),
                    f("IpAddress"),
                ),
                4634 | 4647 => (
                    f("TargetUserName")
                        .map(|n| format!("{}\\{n}", f("TargetDomainName").unwrap_or_default())),
                    None,
                ),
                _ => (None, None),
            };
            let want_user = match (&domain, &user) {
                (Some(d), Some(u)) => Some(format!("{d}\\{u}")),
                (None, Some(u)) => Some(u.clone()),
                _ => None,
            };
            (want_user.is_none() || u == want_user) && (ip.is_none() || a == ip)
        });
        assert!(found, "no event matches {row}");
    }
    // The sessions of the LocalSessionManager log.
    let lsm: Vec<_> = report
        .timelines
        .iter()
        .filter(|t| t.server == "dc.windomain.local" && t.session.is_some())
        .collect();
    let ids = |client: Option<&str>, session: &str| -> Vec<u32> {
        lsm.iter()
            .filter(|t| t.client.as_deref() == client && t.session.as_deref() == Some(session))
            .flat_map(|t| t.events.iter().map(|e| e.id))
            .collect()
    };
    // Session 1 at the console: arbitration, logon, shell, then replaced by the RDP connection
    // (40 reason 5, twice) and disconnected.
    assert_eq!(ids(Some("LOCAL"), "1"), vec![41, 21, 22, 40, 24, 40]);
    // Session 1 taken over from 192.168.38.1: authenticated (1149), logon type 10, reconnect,
    // disconnect, logoff.
    let remote = ids(Some("192.168.38.1"), "1");
    for id in [1149, 25, 24, 23] {
        assert!(remote.contains(&id), "{remote:?}");
    }
    let t = lsm
        .iter()
        .find(|t| t.client.as_deref() == Some("192.168.38.1"))
        .unwrap();
    assert_eq!(t.user.as_deref(), Some("WINDOMAIN\\vagrant"));
    assert_eq!(t.outcome, Outcome::Session);
    assert!(t.missing.is_empty(), "{:?}", t.missing);
    // Sessions 2 and 3 appear only through session-only events.
    assert_eq!(ids(None, "2"), vec![41, 40]);
    assert_eq!(ids(None, "3"), vec![23]);
}

#[test]
fn many_hosts_in_one_run_are_sorted_and_deterministic() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("evtx");
    let a = analyze_paths(std::slice::from_ref(&dir), &Options::default());
    let b = analyze_paths(&[dir], &Options::default());
    assert_eq!(a.to_json(), b.to_json());
    assert!(a.inputs.iter().all(|i| i.kind == "evtx" && !i.skipped));
    let servers: std::collections::BTreeSet<_> = a.events.iter().map(|e| &e.computer).collect();
    assert!(servers.len() >= 8, "{servers:?}");
    assert!(
        a.events
            .windows(2)
            .all(|w| (w[0].time_ns, &w[0].input, w[0].record_id)
                <= (w[1].time_ns, &w[1].input, w[1].record_id))
    );
    // The brute force on DESKTOP-1N4R894: NLA failures with what is missing said.
    let nla = a
        .timelines
        .iter()
        .filter(|t| t.server == "DESKTOP-1N4R894" && t.outcome == Outcome::NlaFailed)
        .count();
    assert!(nla >= 100, "{nla}");
    // The corrupt records are reported, prefixed with their file.
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("RdpCoreTS%4Operational.evtx: chunk 0: record skipped"))
    );
    assert_eq!(a.inputs.iter().map(|i| i.corrupt_records).sum::<u64>(), 7);
    let text = rdptriage::report::text::render(&a);
    assert!(text.contains("NLA failed"), "{text}");
}

/// Cut and damaged copies of a real log: never a panic, the undamaged chunks still read.
#[test]
fn cut_and_damaged_evtx_never_panics() {
    let Some(corpus) = corpus() else { return };
    let bytes = std::fs::read(corpus.join("evtx/velociraptor/RDPAuth_Security.evtx")).unwrap();
    let whole = read_evtx("whole.evtx", &bytes[..]);
    for cut in [
        0,
        7,
        8,
        100,
        4095,
        4096,
        4097,
        4096 + 65535,
        4096 + 65536,
        bytes.len() - 1,
    ] {
        let r = read_evtx("cut.evtx", &bytes[..cut.min(bytes.len())]);
        assert!(r.counts.records <= whole.counts.records);
    }
    // Deterministic damage: bytes overwritten in the second chunk only.
    let mut damaged = bytes.clone();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = 4096 + 65536 + 512 + (x as usize % (65536 - 512));
        damaged[at] = (x >> 32) as u8;
    }
    let r = read_evtx("damaged.evtx", &damaged[..]);
    assert!(r.readable);
    // The first chunk is intact: its records are all there.
    let first_chunk_records = {
        let one = &bytes[..4096 + 65536];
        read_evtx("one.evtx", one).counts.records
    };
    assert!(first_chunk_records > 0);
    assert!(r.counts.records >= first_chunk_records);
    assert!(r.counts.records + r.counts.corrupt <= whole.counts.records + 1000);
}

/// Event logs reach the reader through gzip (no seeking) and as UTF-16 XML exports.
#[test]
fn gzipped_evtx_and_utf16_xml_exports_are_read() {
    use std::io::Write;
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let src =
        std::fs::read(corpus.join("evtx/omerbenamram-evtx/Security_short_selected.evtx")).unwrap();
    let gz = dir.path().join("a.evtx.gz");
    let mut enc =
        flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&src).unwrap();
    enc.finish().unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-RemoteDesktopServices-RdpCoreTS'/><EventID>140</EventID><TimeCreated SystemTime='2024-03-05T10:11:12.5Z'/><EventRecordID>7</EventRecordID><Channel>Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational</Channel><Computer>SRV</Computer></System><EventData><Data Name='IPString'>203.0.113.7</Data></EventData></Event></Events>";
    let mut utf16 = vec![0xff, 0xfe];
    for u in xml.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let x = dir.path().join("b.xml");
    std::fs::write(&x, utf16).unwrap();
    let r = analyze_paths(&[dir.path().to_path_buf()], &Options::default());
    let kinds: Vec<_> = r
        .inputs
        .iter()
        .map(|i| (i.kind.as_str(), i.container.as_str(), i.events))
        .collect();
    assert_eq!(kinds, vec![("evtx", "gzip", 3), ("evtx-xml", "file", 1)]);
    let nla = r.events.iter().find(|e| e.id == 140).unwrap();
    assert_eq!(&*nla.time, "2024-03-05T10:11:12.500000Z");
    assert_eq!(nla.reference(), format!("{}#7", x.display()));
    assert_eq!(
        &*nla.summary,
        "NLA failed for 203.0.113.7 (user name or password incorrect)"
    );
}
