//! Rules and knowledge; explain.
//!
//! [`explain()`] turns a code a user pasted into its readings and the
//! candidate causes with the evidence that tells them apart.

pub mod explain;
pub mod rules;

pub use explain::{Explanation, explain, explain_code};
