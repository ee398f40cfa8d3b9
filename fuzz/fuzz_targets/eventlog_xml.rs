//! Fuzz target `eventlog_xml`: see [`harness::eventlog_xml`] (fuzz/harness.rs) for what it feeds where.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::eventlog_xml(data));
