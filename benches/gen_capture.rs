//! Deterministic generator of large benchmark captures (placeholder).
fn main() {}
