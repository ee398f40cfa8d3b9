//! Fuzz target `evtx`: see [`harness::evtx`] (fuzz/harness.rs) for what it feeds where.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

// The evtx crate may panic on a hostile chunk; the reader catches that and reports the
// chunk as corrupt. libFuzzer's hook would abort on the caught panic: put the default
// hook back, so only a panic that escapes the library (caught by libfuzzer-sys) is a crash.
fuzz_target!(init: { let _ = std::panic::take_hook(); }, |data: &[u8]| harness::evtx(data));
