//! A judged connection as the report's `connections[]` entry (`REPORT.md` "Connections"):
//! its compact head, its summary in words (`diagnose::words::summary`), and its detail, the
//! negotiation, TLS, MCS and message blocks written as compact JSON.

use serde::Serialize;

use super::JudgedConnection;
use crate::diagnose::words;

impl Serialize for JudgedConnection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let detail = self.detail();
        let mut st = s.serialize_struct("JudgedConnection", 28)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("input", self.input())?;
        st.serialize_field("transport", &self.transport)?;
        st.serialize_field("client", &Shown(&self.client))?;
        st.serialize_field("server", &Shown(&self.server))?;
        st.serialize_field("first_frame", &self.first_frame)?;
        st.serialize_field("last_frame", &self.last_frame)?;
        st.serialize_field("display_filter", &self.display_filter())?;
        st.serialize_field("start", &self.start())?;
        st.serialize_field("end", &self.end())?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("reached", &self.reached)?;
        st.serialize_field("failed_stage", &self.failed_stage)?;
        st.serialize_field("cause", &self.cause)?;
        st.serialize_field("confidence", &self.confidence)?;
        st.serialize_field("summary", &words::summary_of(self, &detail))?;
        st.serialize_field("attempt", &self.attempt)?;
        st.serialize_field("attempt_connections", &self.attempt_connections)?;
        st.serialize_field("attempt_index", &self.attempt_index)?;
        st.serialize_field("superseded_by", &self.superseded_by)?;
        st.serialize_field("stages", &detail.stages)?;
        // Present only when CredSSP was read in clear or decrypted (`REPORT.md`).
        if let Some(c) = &detail.credssp {
            st.serialize_field("credssp", &Compact(c))?;
        }
        st.serialize_field("negotiation", &Compact(&detail.negotiation))?;
        st.serialize_field("dns", self.dns())?;
        st.serialize_field("kerberos", self.kerberos())?;
        // Written only when some were left out (a client flooding lookups).
        if self.side_omitted() > 0 {
            st.serialize_field("side_events_omitted", &self.side_omitted())?;
        }
        st.serialize_field("tls", &Compact(&detail.tls))?;
        st.serialize_field("mcs", &Compact(&detail.mcs))?;
        st.serialize_field("messages", &Compact(&detail.messages))?;
        st.serialize_field("network", &detail.network)?;
        st.end()
    }
}

/// A value serialized as the string its `Display` writes (an endpoint as `10.0.0.5:50123`).
struct Shown<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// A block written as compact JSON wherever it stands, as the report has always written a
/// connection's negotiation, TLS, MCS and message blocks (one line each, inside the pretty
/// report).
struct Compact<'a, T: Serialize>(&'a T);

impl<T: Serialize> Serialize for Compact<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::value::to_raw_value(self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use crate::handshake::judged::sample_connection;
    use crate::model::{AttemptId, ConnId};

    use super::words;

    #[test]
    fn a_connection_serializes_as_the_report_names_its_fields() {
        let mut c = sample_connection("c4");
        c.attempt = Some(AttemptId(2));
        c.start_ns = 1_234_567_890_123_456_789;
        c.end_ns = c.start_ns + 1_000;
        assert_eq!((c.start(), c.end()), (None, None));
        c.timed = true;
        assert_eq!(c.start().as_deref(), Some("2009-02-13T23:31:30.123456Z"));
        assert_eq!(c.end().as_deref(), Some("2009-02-13T23:31:30.123457Z"));
        assert_eq!(words::summary(&c), "refused");
        c.superseded_by = Some(ConnId(9));
        assert_eq!(
            words::summary(&c),
            "refused (the client tried again: c9, of the same attempt, got further)"
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["id"], "c4");
        assert_eq!(v["input"], "a \"quoted\"\npath.pcap");
        assert_eq!(v["start"], "2009-02-13T23:31:30.123456Z");
        assert_eq!(v["attempt"], "a2");
        assert_eq!(v["superseded_by"], "c9");
        assert_eq!(v["summary"], words::summary(&c).as_str());
        c.attempt = None;
        c.superseded_by = None;
        c.timed = false;
        let v = serde_json::to_value(&c).unwrap();
        assert!(v["attempt"].is_null() && v["superseded_by"].is_null() && v["end"].is_null());
    }
}
