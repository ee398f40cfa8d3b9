//! Criterion benches of the hot paths (placeholder until the generator lands).
fn main() {}
