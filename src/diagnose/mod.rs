//! Judgement and words: connections, joins and events → [`Finding`]s ([`rules`]: what went
//! wrong, how sure, the evidence, the fix), and [`explain_code`], which turns a code a user pasted
//! into its readings and the candidate causes with the evidence that tells them apart.

pub mod answer;
pub mod checklist;
pub mod explain;
pub mod logons;
pub mod rules;
pub mod scope;
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
    /// Where it happened: the server's address and port (`10.0.0.9:3389`) from a capture,
    /// else the computer (or, for a client's log, the server it named) from the events; null
    /// when the finding spans several servers.
    pub server: Option<String>,
    /// The client addresses (or, for a client's own log, its computer name), each once.
    pub clients: Vec<String>,
    /// The earliest and latest time it covers (RFC 3339 UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    /// How many times it happened: the connections, or the events (failed logons counted
    /// past the caps included).
    pub count: u64,
    /// The error dialog's code with its candidate causes judged, when the finding has one
    /// (the client's RDPClient 1026, or `analyze --dialog`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<checklist::Checklist>,
    /// `frame N: …` and `input#record_id: …` lines.
    pub evidence: Vec<String>,
    pub remediation: Vec<String>,
    pub collect_next: Vec<String>,
}
