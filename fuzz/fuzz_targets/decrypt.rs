//! Fuzz target `decrypt`: see [`harness::decrypt`] (fuzz/harness.rs) for what it feeds where.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::decrypt(data));
