//! The command line: argument parsing and output only; the work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use rdptriage::analyze::{Options, analyze_paths};
use rdptriage::report::text;
use rdptriage::tcp::TrackerConfig;

/// Offline analyzer for failed Remote Desktop (RDP) connections.
#[derive(Parser)]
#[command(name = "rdptriage", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse captures (pcap, pcapng, NetMon; gzip or zip too), files or folders.
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
        /// Bytes of payload kept per direction of each RDP connection.
        #[arg(long, default_value_t = 64 * 1024, hide = true)]
        payload_cap: usize,
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
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Jsonl,
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
        Command::Explain {
            code,
            extended,
            format,
        } => ExitCode::from(rdptriage::diagnose::explain(
            &code,
            extended.as_deref(),
            matches!(format, ExplainFormat::Json),
        )),
        Command::Analyze {
            paths,
            format,
            threads,
            rdp_ports,
            payload_cap,
        } => {
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
            let report = analyze_paths(&paths, &Options { tracker });
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let written = match format {
                Format::Text => stdout.write_all(text::render(&report).as_bytes()),
                Format::Json => report.write_json(&mut stdout),
                Format::Jsonl => report.write_jsonl(&mut stdout),
            }
            .and_then(|_| stdout.flush());
            if let Err(e) = written
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("rdptriage: cannot write the report: {e}");
            }
            if report.inputs.iter().any(|i| !i.skipped) {
                ExitCode::SUCCESS
            } else {
                eprintln!("rdptriage: no readable input (see the list above)");
                ExitCode::from(2)
            }
        }
    }
}
