//! The command line: argument parsing and output only; the work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::{html, markdown, text};
use rdptriage::tcp::TrackerConfig;

/// mimalloc rather than glibc's malloc: a run allocates and frees millions of small objects
/// across threads (connections, streams, events, report strings), where glibc's arenas cost
/// a quarter to a third of the time (page faults on heap growth, `mprotect` on every arena
/// extension, `malloc_consolidate`). Measured on the bench captures and logs: 17–46% less
/// wall time. Version 2 without transparent huge pages: version 3, or huge pages, hold
/// 30–60 MB more at the peak, and the memory bound is a promise (`benches/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Offline analyzer for failed Remote Desktop (RDP) connections.
#[derive(Parser)]
#[command(name = "rdptriage", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse captures (pcap, pcapng, NetMon) and Windows event logs (.evtx, Event Viewer
    /// XML), plain, gzip or zip, files or folders: one report across all of them.
    Analyze {
        /// Files or folders (read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Worker threads (default: all cores). The output is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
        /// Extra TCP port to treat as RDP (repeatable); 3389 always is.
        #[arg(long = "rdp-port", value_name = "PORT")]
        rdp_ports: Vec<u16>,
        /// Bytes of payload read per direction of each RDP connection: the handshake lies in
        /// the first few KiB; a longer session's PDUs past them are counted, not read.
        #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
        payload_cap: usize,
        /// Follow symbolic links inside a folder given that lead out of it (by default they
        /// are listed as skipped).
        #[arg(long)]
        follow_symlinks: bool,
        /// A server's RSA private key (PEM or DER, PKCS#1 or PKCS#8; repeatable). It decrypts
        /// the TLS of connections to the server whose certificate carries its public key,
        /// when they used RSA key exchange. Never printed.
        #[arg(long = "key", value_name = "FILE")]
        keys: Vec<PathBuf>,
        /// A TLS key log (the SSLKEYLOGFILE format of NSS, Wireshark and browsers;
        /// repeatable). It decrypts the sessions whose client randoms it lists, any version
        /// and key exchange. A pcapng's own Decryption Secrets Block is read without it.
        #[arg(long = "keylog", value_name = "FILE")]
        keylogs: Vec<PathBuf>,
        /// Keep only this client address's connections, findings, events and timelines (the
        /// analysis still reads everything).
        #[arg(long, value_name = "ADDR")]
        client: Option<String>,
        /// Keep only this server (an address, or a computer name as the logs write it).
        #[arg(long, value_name = "ADDR|NAME")]
        server: Option<String>,
        /// Keep only what happened from this time on: RFC 3339 (2026-11-22T03:42:00Z) or a
        /// date and time in UTC (2026-11-22 03:42, 2026-11-22).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Keep only what happened up to this time (same forms as --since).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Keep only findings and connections of this cause (nla_failure, tcp_refused…).
        #[arg(long, value_name = "CAUSE")]
        cause: Option<String>,
        /// Write the report to this file instead of standard output (a write that fails
        /// exits 1).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The error dialog's codes, as mstsc shows them: `0x904` or `0x904:0x7` (error code
        /// and extended error code; hex with 0x, decimal without). Each failed connection's
        /// finding then checks the code's candidate causes against the evidence.
        #[arg(long, value_name = "CODE[:EXTENDED]")]
        dialog: Option<String>,
    },
    /// Cut one connection's frames out of a capture into a small pcap for a ticket: the
    /// connection's addresses and ports from its first frame to its last, with the ICMP, DNS
    /// and Kerberos frames joined to it. Give the same inputs as to `analyze`, so that the id
    /// names the same connection.
    Extract {
        /// The connection, as the report names it (`c3`).
        #[arg(long, value_name = "ID")]
        connection: String,
        /// The pcap to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The inputs given to `analyze` (files or folders).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Extra TCP port to treat as RDP (repeatable), as given to `analyze`.
        #[arg(long = "rdp-port", value_name = "PORT")]
        rdp_ports: Vec<u16>,
    },
    /// Explain an error code from a dialog or a log, offline: what it means, the candidate
    /// causes (most likely first) and the evidence that tells them apart.
    Explain {
        /// The code: hex (0x904), decimal (2308), negative decimal (-2146893044) or a name
        /// (SEC_E_UNTRUSTED_ROOT).
        #[arg(allow_negative_numbers = true)]
        code: String,
        /// The dialog's "Extended error code" (looked up as an extended disconnect reason).
        #[arg(allow_negative_numbers = true)]
        extended: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
        /// Check the code's candidate causes against these captures and logs (repeatable):
        /// each is marked proven, ruled out or still possible with the frame or record that
        /// decides it, as `analyze --dialog` does.
        #[arg(long = "with", value_name = "PATH")]
        with: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// For a person at a terminal: findings, what was read, connections (colour on a TTY).
    Text,
    /// The report contract (REPORT.md, schema rdptriage/1).
    Json,
    /// The same objects one per line, each with a `type`.
    Jsonl,
    /// Markdown: a postmortem section for a ticket or a wiki.
    Md,
    /// One self-contained HTML file with a ladder diagram per failed connection.
    Html,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Extract {
            connection,
            output,
            paths,
            rdp_ports,
        } => {
            let mut tracker = TrackerConfig::default();
            for p in rdp_ports {
                if !tracker.rdp_ports.contains(&p) {
                    tracker.rdp_ports.push(p);
                }
            }
            let opts = Options {
                tracker,
                ..Default::default()
            };
            let mut file = match std::fs::File::create(&output) {
                Ok(f) => std::io::BufWriter::new(f),
                Err(e) => {
                    eprintln!("rdptriage: cannot write {}: {e}", output.display());
                    return ExitCode::from(1);
                }
            };
            match rdptriage::analyze::extract::extract(&paths, &opts, &connection, &mut file) {
                Ok(x) => {
                    eprintln!(
                        "rdptriage: wrote {} frames of {connection} from {} to {}{}",
                        x.frames.len(),
                        x.input,
                        output.display(),
                        if x.other_links > 0 {
                            format!(
                                " ({} frames on another link type left out: a pcap has one)",
                                x.other_links
                            )
                        } else {
                            String::new()
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(rdptriage::analyze::extract::ExtractError::Write(e)) => {
                    eprintln!("rdptriage: cannot write {}: {e}", output.display());
                    ExitCode::from(1)
                }
                Err(e) => {
                    drop(file);
                    let _ = std::fs::remove_file(&output);
                    eprintln!("rdptriage: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Explain {
            code,
            extended,
            format,
            with,
        } => {
            let json = matches!(format, ExplainFormat::Json);
            if with.is_empty() {
                return ExitCode::from(rdptriage::report::explain::explain(
                    &code,
                    extended.as_deref(),
                    json,
                ));
            }
            let raw = match &extended {
                Some(x) => format!("{code}:{x}"),
                None => code.clone(),
            };
            let dialog = match rdptriage::diagnose::checklist::DialogCode::parse(&raw) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("rdptriage: --with checks a dialog's numeric code: {e}");
                    return ExitCode::from(2);
                }
            };
            let report = analyze_paths(
                &with,
                &Options {
                    dialog: Some(dialog),
                    ..Default::default()
                },
            );
            if !report.inputs.iter().any(|i| !i.skipped) {
                eprintln!("rdptriage: --with: no readable input");
                return ExitCode::from(2);
            }
            ExitCode::from(rdptriage::report::explain::explain_checked(
                &code,
                extended.as_deref(),
                json,
                &report,
            ))
        }
        Command::Analyze {
            paths,
            format,
            threads,
            rdp_ports,
            payload_cap,
            follow_symlinks,
            keys,
            keylogs,
            dialog,
            output,
            client,
            server,
            since,
            until,
            cause,
        } => {
            let scope = match scope_of(client, server, since, until, cause) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("rdptriage: {e}");
                    return ExitCode::from(2);
                }
            };
            let dialog = match dialog
                .as_deref()
                .map(rdptriage::diagnose::checklist::DialogCode::parse)
                .transpose()
            {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("rdptriage: --dialog: {e}");
                    return ExitCode::from(2);
                }
            };
            let secrets = match load_secrets(&keys, &keylogs) {
                Ok(s) => std::sync::Arc::new(s),
                Err(e) => {
                    eprintln!("rdptriage: {e}");
                    return ExitCode::from(2);
                }
            };
            if payload_cap == 0 {
                eprintln!(
                    "rdptriage: --payload-cap must be at least 1 byte (the handshake lies in the first few KiB; the default is 65536)"
                );
                return ExitCode::from(2);
            }
            if let Some(n) = threads {
                if n == 0 {
                    eprintln!("rdptriage: --threads must be at least 1");
                    return ExitCode::from(2);
                }
                if let Err(e) = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build_global()
                {
                    eprintln!("rdptriage: cannot start {n} threads: {e}");
                    return ExitCode::from(2);
                }
            }
            let mut tracker = TrackerConfig {
                payload_cap,
                ..TrackerConfig::default()
            };
            for p in rdp_ports {
                if !tracker.rdp_ports.contains(&p) {
                    tracker.rdp_ports.push(p);
                }
            }
            let progress = Progress::start(&paths, follow_symlinks);
            let report = analyze_paths(
                &paths,
                &Options {
                    tracker,
                    follow_symlinks,
                    secrets,
                    dialog,
                    scope,
                    ..Default::default()
                },
            );
            progress.finish();
            // The report goes to `--output` or standard output; a file that cannot be made is
            // a report that cannot be written.
            let (sink, to_terminal): (Box<dyn Write>, bool) = match &output {
                Some(path) => match std::fs::File::create(path) {
                    Ok(f) => (Box::new(f), false),
                    Err(e) => {
                        eprintln!(
                            "rdptriage: cannot write the report to {}: {e}",
                            path.display()
                        );
                        return ExitCode::from(1);
                    }
                },
                None => {
                    use std::io::IsTerminal;
                    let tty = std::io::stdout().is_terminal();
                    (Box::new(std::io::stdout().lock()), tty)
                }
            };
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, sink);
            let written = match format {
                Format::Text => {
                    let style = if to_terminal {
                        text::Style::terminal()
                    } else {
                        text::Style::default()
                    };
                    stdout.write_all(text::render_styled(&report, style).as_bytes())
                }
                Format::Json => report.write_json(&mut stdout),
                Format::Jsonl => report.write_jsonl(&mut stdout),
                Format::Md => stdout.write_all(markdown::render(&report).as_bytes()),
                Format::Html => stdout.write_all(html::render(&report).as_bytes()),
            }
            .and_then(|_| stdout.flush());
            rdptriage::analyze::phase("report written");
            // A reader that stopped reading (`| head`) is not a failure; any other write error
            // is (a full disk, /dev/full): the report is not there, and the exit code says so.
            let not_written = match written {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("rdptriage: cannot write the report: {e}");
                    true
                }
                _ => false,
            };
            let code = if not_written {
                ExitCode::from(1)
            } else if report.inputs.iter().any(|i| !i.skipped) {
                ExitCode::SUCCESS
            } else {
                eprintln!("rdptriage: no readable input (see the list above)");
                ExitCode::from(2)
            };
            // The process ends here: freeing every event, string and map of a large report
            // one by one would only cost time (a tenth of a run on a large event log).
            std::mem::forget(report);
            code
        }
    }
}

/// The scope the flags ask for (`None` when none was given); a time or cause that cannot be
/// read is bad usage.
fn scope_of(
    client: Option<String>,
    server: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cause: Option<String>,
) -> Result<Option<rdptriage::report::scope::Scope>, String> {
    use rdptriage::report::scope::Scope;
    let time = |flag: &str, t: &Option<String>| {
        t.as_deref()
            .map(Scope::parse_time)
            .transpose()
            .map_err(|e| format!("--{flag}: {e}"))
    };
    let since_ns = time("since", &since)?;
    let until_ns = time("until", &until)?;
    let cause = match cause.as_deref() {
        None => None,
        Some(c) => Some(rdptriage::model::Cause::from_word(c.trim()).ok_or_else(|| {
            format!(
                "--cause: {c:?} is not a cause ({})",
                rdptriage::model::Cause::ALL
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
    };
    if let Some(c) = &client
        && c.parse::<std::net::IpAddr>().is_err()
    {
        return Err(format!("--client: {c:?} is not an IP address"));
    }
    let scope = Scope {
        client,
        server,
        since: since_ns.map(rdptriage::model::time::rfc3339),
        until: until_ns.map(rdptriage::model::time::rfc3339),
        cause,
        since_ns,
        until_ns,
    };
    Ok((!scope.is_empty()).then_some(scope))
}

/// Reads `--key` and `--keylog` files. An unreadable file, a key file without a key, or a
/// key log without a line is bad usage: the user meant to decrypt, and would get a report
/// that silently did not. What the error says never holds key bytes.
fn load_secrets(
    keys: &[PathBuf],
    keylogs: &[PathBuf],
) -> Result<rdptriage::handshake::secrets::Secrets, String> {
    let mut secrets = rdptriage::handshake::secrets::Secrets::default();
    for path in keys {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("--key {shown}: {e}"))?;
        secrets
            .add_key_file(&shown, &bytes)
            .map_err(|e| format!("--key {shown}: {e}"))?;
    }
    for path in keylogs {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("--keylog {shown}: {e}"))?;
        let (used, bad) = secrets.add_keylog(&shown, &String::from_utf8_lossy(&bytes));
        if used == 0 {
            return Err(format!(
                "--keylog {shown}: no key log line in it ({bad} lines that are not; expected lines such as CLIENT_RANDOM <64 hex digits> <96 hex digits>)"
            ));
        }
    }
    Ok(secrets)
}

/// The progress bar on stderr: bytes read from disk against the files' total size, shown
/// only when stderr is a terminal (never in a pipe, a log file or CI) and the run lasts.
struct Progress {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(paths: &[PathBuf], follow_symlinks: bool) -> Progress {
        use std::io::IsTerminal;
        use std::sync::atomic::{AtomicBool, Ordering};
        let done = std::sync::Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { done, thread: None };
        }
        let flag = done.clone();
        let paths = paths.to_vec();
        let thread = std::thread::spawn(move || {
            // The files' total size is summed here, beside the analysis, which walks the
            // folders itself: a large tree no longer delays the start by a walk of its own.
            let mut ignored = Vec::new();
            let files = rdptriage::input::collect_files(&paths, follow_symlinks, &mut ignored);
            let total: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            // Made hidden: a bar drawn at once and erased at the end of a short run flashes.
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reading {msg}: {bytes}/{total_bytes} {wide_bar} {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(format!(
                "{} file{}",
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            ));
            // Short runs draw nothing: the bar appears after half a second
            // (`RDPTRIAGE_PROGRESS_AFTER_MS` changes that, for tests).
            let after_ms: u64 = std::env::var("RDPTRIAGE_PROGRESS_AFTER_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(500);
            let started = std::time::Instant::now();
            let mut shown = false;
            loop {
                if started.elapsed().as_millis() as u64 >= after_ms {
                    if !shown {
                        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                        shown = true;
                    }
                    bar.set_position(
                        rdptriage::input::BYTES_READ
                            .load(Ordering::Relaxed)
                            .min(total),
                    );
                    bar.tick();
                }
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }

    fn finish(self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread {
            let _ = t.join();
        }
    }
}
