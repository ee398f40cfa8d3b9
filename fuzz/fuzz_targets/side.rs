//! Fuzz target `side`: see [`harness::side`] (fuzz/harness.rs) for what it feeds where.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::side(data));
