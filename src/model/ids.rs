//! Names of things the report points at: connections (`c1`), attempts (`a1`), events
//! (`input#record_id`), and endpoints (`10.0.0.5:50123`). Each is a small value in memory,
//! written out only when printed.

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

/// An IP address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// `10.0.0.5:50123` or `[fe80::1]:3389`, as [`Endpoint`] prints.
impl std::str::FromStr for Endpoint {
    type Err = std::net::AddrParseError;

    fn from_str(s: &str) -> Result<Endpoint, Self::Err> {
        let a: std::net::SocketAddr = s.parse()?;
        Ok(Endpoint {
            ip: a.ip(),
            port: a.port(),
        })
    }
}

/// An endpoint equals the text it prints as (tests and callers compare with `"10.0.0.5:1"`).
impl PartialEq<str> for Endpoint {
    fn eq(&self, other: &str) -> bool {
        use std::fmt::Write;
        // The longest endpoint, `[ffff:…:ffff]:65535`, is 47 bytes.
        let mut buf = String::with_capacity(48);
        let _ = write!(buf, "{self}");
        buf == other
    }
}

impl PartialEq<&str> for Endpoint {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<String> for Endpoint {
    fn eq(&self, other: &String) -> bool {
        *self == *other.as_str()
    }
}

/// A connection's name in the report: `c1`, `c2`… in report order (`c0` before numbering).
/// A number in memory, written as its name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

impl ConnId {
    /// The connection a name (`c12`) gives.
    pub fn parse(name: &str) -> Option<ConnId> {
        name.strip_prefix('c')?.parse().ok().map(ConnId)
    }
}

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl Serialize for ConnId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A connection attempt's name: `a1`, `a2`… in report order of its first connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptId(pub u32);

impl std::fmt::Display for AttemptId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl Serialize for AttemptId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An event named as `input#record_id` (how timelines and findings point into `events`),
/// written out only when printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventRef {
    pub input: Arc<str>,
    pub record_id: u64,
}

impl std::fmt::Display for EventRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.input, self.record_id)
    }
}

impl Serialize for EventRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
