//! rdptriage: an offline analyzer of failed Remote Desktop connections.
//!
//! Data flows one way (see `../shared/DESIGN.md`):
//! `input` (paths, magic bytes, gzip/zip) → `capture` (records, link layer, IP, TCP facts) →
//! `tcp` (connections, reassembly, network health) → `handshake` (the stage machine) →
//! `report` (JSON contract, terminal table); `input` → `eventlog` (Windows event logs: catalog
//! events and session timelines) joins at `report`. [`analyze`] wires them together in parallel.

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
