//! The vocabulary and plain data every floor may use: the report's words as enums
//! ([`vocab`]), names of connections, attempts, events and endpoints ([`ids`]), instants
//! ([`time`]), the code tables of `reference/codes.md` as data ([`codes`]) and the run's
//! scratch file for spilling ([`scratch`]).
//!
//! This floor imports nothing else of the crate; every other floor may import it.

pub mod codes;
pub mod ids;
pub mod input_name;
pub mod scratch;
pub mod time;
pub mod vocab;

pub use ids::{AttemptId, ConnId, Endpoint, EventRef};
pub use input_name::InputName;
pub(crate) use vocab::vocabulary;
pub use vocab::{
    Cause, Check, Confidence, Evidence, Party, Severity, Stage, Status, Transport, Verdict, Word,
};
