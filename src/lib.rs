//! rdptriage: an offline analyzer of failed Remote Desktop connections.
//!
//! Data flows one way (`../shared/DESIGN.md`); each floor imports only the floors before it and
//! [`model`], and nothing but [`analyze`] and `main` imports [`report`]
//! (`tests/architecture.rs` checks it):
//!
//! - [`model`]: the vocabulary as enums (`Stage`, `Status`, `Verdict`, `Cause`, `Severity`,
//!   `Confidence`, `Evidence`, `Transport`, `Party`), ids and endpoints, instants, the code
//!   tables of `reference/codes.md`, the run's scratch file. Imports nothing of ours.
//! - [`input`]: paths, folders, gzip and zip members, stdin; formats sniffed by magic bytes.
//! - [`capture`]: pcap, pcapng and NetMon records → link layer → IP, TCP, UDP, ICMP facts.
//! - [`tcp`]: connection tracking, per-direction reassembly with caps, network health.
//! - [`handshake`]: one decode pass per connection (`facts::Decoded`; decoders `x224`, `tls`,
//!   `credssp`, `mcs`, `side`), typed facts (`facts`), the stage ladder and where the
//!   connection stopped (`ladder`, `judged::Break`), what each stage showed, typed
//!   (`observed::Seen`), the judged connection held or spilled (`judged`, `held`).
//! - [`eventlog`]: `.evtx` and XML exports → catalog events (`CatalogEvent`) and their counts.
//! - [`correlate`]: every join and time window (`windows`): attempts, events ↔ connections and
//!   clock offsets, side traffic ↔ connections, the logs' session timelines.
//! - [`diagnose`]: judgement and words: a stop's verdict and cause (`verdict`), the stage notes
//!   and summaries (`words`), findings with evidence and fixes (`rules`), `explain`.
//! - [`report`]: the `Report` of `REPORT.md` (a connection's entry: `report::connection`),
//!   rendered as text, JSON, JSON Lines, Markdown and HTML.
//! - [`analyze`]: runs the floors in order, in parallel.

pub mod analyze;
pub mod capture;
pub mod correlate;
pub mod diagnose;
pub mod eventlog;
pub mod handshake;
pub mod input;
pub mod model;
pub mod report;
pub mod tcp;
