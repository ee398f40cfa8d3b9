//! Scoping (`--client`, `--server`, `--since`, `--until`, `--cause`): the analysis reads
//! everything, the report keeps what is in scope and says what it left out.

use std::path::{Path, PathBuf};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::model::Cause;
use rdptriage::report::scope::Scope;

fn fixtures(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn scoped(paths: &[PathBuf], scope: Scope) -> rdptriage::report::Report {
    analyze_paths(
        paths,
        &Options {
            scope: Some(scope),
            ..Options::default()
        },
    )
}

/// One server, one morning: the lockout fixture's three findings and nothing of the other
/// days or servers.
#[test]
fn a_server_and_a_window_keep_that_morning() {
    let since = Scope::parse_time("2026-11-23 09:00").unwrap();
    let until = Scope::parse_time("2026-11-23T09:40:00Z").unwrap();
    let r = scoped(
        &[fixtures("eventlog")],
        Scope {
            server: Some("rdpt-srv".into()),
            since: Some("2026-11-23T09:00:00Z".into()),
            until: Some("2026-11-23T09:40:00Z".into()),
            since_ns: Some(since),
            until_ns: Some(until),
            ..Scope::default()
        },
    );
    let causes: Vec<Cause> = r.findings.iter().map(|f| f.cause).collect();
    assert_eq!(
        causes,
        [
            Cause::AccountLockedOut,
            Cause::LogonFailed,
            Cause::LogonFailed
        ]
    );
    assert!(
        r.events
            .iter()
            .all(|e| e.computer.as_ref() == "RDPT-SRV" && (since..=until).contains(&e.time_ns))
    );
    assert!(r.events.iter().any(|e| e.id == 4740));
    assert_eq!(
        r.scoped
            .as_deref()
            .map(|s| s.split(':').next().unwrap_or_default()),
        Some("Scoped to server rdpt-srv, since 2026-11-23T09")
    );
    assert!(
        r.verdict
            .as_deref()
            .is_some_and(|v| v.starts_with("RDPT-SRV: an account was locked out")),
        "{:?}",
        r.verdict
    );
}

/// One client and one cause across every capture.
#[test]
fn a_client_and_a_cause_keep_only_those() {
    let all = analyze_paths(&[fixtures("captures")], &Options::default());
    let r = scoped(
        &[fixtures("captures")],
        Scope {
            client: Some("10.99.1.2".into()),
            cause: Some(Cause::NlaFailure),
            ..Scope::default()
        },
    );
    let want = all
        .connections
        .iter()
        .filter(|c| c.client.ip.to_string() == "10.99.1.2" && c.cause == Some(Cause::NlaFailure))
        .count();
    assert!(want > 0);
    assert_eq!(r.connections.len(), want);
    assert!(!r.findings.is_empty());
    assert!(r.findings.iter().all(|f| f.cause == Cause::NlaFailure));
    assert_eq!(
        r.scoped.as_deref(),
        Some(
            format!(
                "Scoped to client 10.99.1.2, cause nla_failure: {want} of {} connections, {} of {} findings, 0 of 0 events, 0 of 0 timelines kept (the analysis read everything).",
                all.connections.len(),
                r.findings.len(),
                all.findings.len()
            )
            .as_str()
        )
    );
}

#[test]
fn times_are_read_as_users_write_them() {
    let t = |s: &str| Scope::parse_time(s);
    assert_eq!(t("2026-11-22"), t("2026-11-22T00:00:00Z"));
    assert_eq!(t("2026-11-22 03:42"), t("2026-11-22T03:42:00Z"));
    assert_eq!(t("2026-11-22T05:42:00+02:00"), t("2026-11-22T03:42:00Z"));
    assert!(t("yesterday").is_err());
    assert!(t("2026-13-01").is_err());
}

/// The connection table shows dates when the connections start on different days.
#[test]
fn the_start_column_has_dates_when_a_run_spans_days() {
    let r = analyze_paths(&[fixtures("captures")], &Options::default());
    let text = rdptriage::report::text::render(&r);
    // The date, then the time, in the cell (the column wraps at the space).
    assert!(
        text.contains("┆ 2026-11-22   ┆") && text.contains("┆ 03:43:51.380 ┆"),
        "{text}"
    );
    let one = analyze_paths(
        &[fixtures("captures/cert-expired.pcap")],
        &Options::default(),
    );
    let text = rdptriage::report::text::render(&one);
    assert!(text.contains("┆ 03:42:30.462 ┆"), "{text}");
}
