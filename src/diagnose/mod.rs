//! Rules and knowledge; explain.
//!
//! [`codes`] holds the code tables of `reference/codes.md`, one place each, which the decoders
//! and the event catalog read; [`explain()`] turns a code a user pasted into its readings and the
//! candidate causes with the evidence that tells them apart.

pub mod codes;
pub mod explain;
pub mod rules;

pub use explain::{Explanation, explain, explain_code};
