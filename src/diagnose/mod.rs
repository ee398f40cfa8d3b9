//! Judgement and words: connections, joins and events → [`Finding`]s ([`rules`]: what went
//! wrong, how sure, the evidence, the fix), and [`explain_code`], which turns a code a user pasted
//! into its readings and the candidate causes with the evidence that tells them apart.

pub mod explain;
pub mod logons;
pub mod rules;
pub mod verdict;
pub mod words;

use serde::Serialize;

use crate::model::{Cause, Confidence, Severity};

pub use explain::{Explanation, explain_code};

/// One conclusion: a cause, how sure, the evidence that proves it and the fix.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub cause: Cause,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One sentence a support engineer can paste into a ticket.
    pub summary: String,
    /// The connection attempt (`a1`…), for findings from captures.
    pub attempt: Option<String>,
    pub connections: Vec<String>,
    /// `input#record_id` of the events that belong to it.
    pub events: Vec<String>,
    /// `frame N: …` and `input#record_id: …` lines.
    pub evidence: Vec<String>,
    pub remediation: Vec<String>,
    pub collect_next: Vec<String>,
}
