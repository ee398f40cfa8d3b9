//! The report's vocabulary as enums (`REPORT.md` "Stages", "Causes", evidence levels): every
//! floor names a stage, a status or a cause with these, never with a string, so a typo does not
//! compile and a match says when a case is missed. Serde names are the words of `REPORT.md`;
//! [`Word::word`] gives the same word for text.

/// A type whose values are words of the report.
pub trait Word: Copy {
    /// The word, as `REPORT.md` spells it.
    fn word(self) -> &'static str;
}

/// Defines a vocabulary enum: its variants with their words, `word()`, `Display`, `Serialize`
/// and `Deserialize` as the word, and `ALL` in declaration order. Floors define their own
/// vocabularies with it too (`crate::model::vocabulary!`).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value a word names (`None` for a word that is not one of them).
            pub fn from_word(word: &str) -> Option<$name> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::model::Word for $name {
            fn word(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad($crate::model::Word::word(*self))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::model::Word::word(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::from_word(&word).ok_or_else(|| {
                    serde::de::Error::custom(format_args!("not a {}: {word}", stringify!($name)))
                })
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// The stages of an RDP connection, in order (`REPORT.md` "Stages"; MS-RDPBCGR 1.3.1.1).
    Stage {
        /// The TCP three-way handshake (RFC 9293 §3.5).
        Tcp = "tcp",
        /// X.224 Connection Request / Confirm with RDP_NEG_REQ / RSP (MS-RDPBCGR 2.2.1.1–2.2.1.2).
        X224 = "x224",
        /// The TLS handshake of Enhanced RDP Security (MS-RDPBCGR 5.4.5.1).
        Tls = "tls",
        /// CredSSP (MS-CSSP) when HYBRID or HYBRID_EX was selected.
        Nla = "nla",
        /// MCS Connect Initial / Response with the GCC blocks (MS-RDPBCGR 2.2.1.3–2.2.1.4).
        Mcs = "mcs",
        /// The connection sequence past MCS and the session itself.
        Session = "session",
    }
}

impl Stage {
    /// The stages after TCP, judged over the reassembled streams.
    pub const AFTER_TCP: [Stage; 5] = [
        Stage::X224,
        Stage::Tls,
        Stage::Nla,
        Stage::Mcs,
        Stage::Session,
    ];
}

vocabulary! {
    /// How one stage ended (`REPORT.md` `stages[].status`).
    Status {
        Ok = "ok",
        Failed = "failed",
        NotReached = "not_reached",
        Unknown = "unknown",
    }
}

vocabulary! {
    /// How a whole connection ended (`REPORT.md` `verdict`).
    Verdict {
        Ok = "ok",
        Failed = "failed",
        /// The capture stops before the connection could be judged.
        Incomplete = "incomplete",
    }
}

vocabulary! {
    /// How a stage's outcome is known (`REPORT.md` evidence levels).
    Evidence {
        /// Read from bytes sent in clear.
        Clear = "clear",
        /// Read after decrypting with a key the user gave.
        Decrypted = "decrypted",
        /// Judged from encrypted records' directions, sizes and timing.
        Inferred = "inferred",
    }
}

vocabulary! {
    /// Where a candidate cause of an error code stands against the evidence read
    /// (`diagnose::checklist`).
    Check {
        /// The evidence shows it is the cause.
        Proven = "proven",
        /// The evidence shows it is not: the stage it breaks passed, or the failure came
        /// before it could matter.
        RuledOut = "ruled_out",
        /// Nothing read tells either way.
        StillPossible = "still_possible",
    }
}

vocabulary! {
    /// How bad a finding is.
    Severity {
        Error = "error",
        Warning = "warning",
        Info = "info",
    }
}

vocabulary! {
    /// How sure a verdict or a finding is, from least to most sure.
    Confidence {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

impl Confidence {
    /// One level up (`by` > 0) or down, kept within low and high.
    pub fn shifted(self, by: i32) -> Confidence {
        let at = (self as i32 + by).clamp(0, 2);
        Confidence::ALL[at as usize]
    }
}

vocabulary! {
    /// What carried a connection.
    Transport {
        Tcp = "tcp",
        /// MS-RDPEUDP.
        Udp = "udp",
    }
}

vocabulary! {
    /// One end of a connection, as the report names who did something.
    Party {
        Client = "client",
        Server = "server",
    }
}

vocabulary! {
    /// Why a connection or a log shows failure (`REPORT.md` "Causes", with the event-log-only
    /// causes). Declared in the order of their words, so that lists and maps ordered by cause
    /// are ordered as the words are.
    Cause {
        AccountLockedOut = "account_locked_out",
        CaptureEnded = "capture_ended",
        CertificateRejected = "certificate_rejected",
        CertificateRenewalFailed = "certificate_renewal_failed",
        /// The client's own log (RDPClient 1026) names an error that nothing read explains.
        ClientError = "client_error",
        ClockSkew = "clock_skew",
        CredsspPolicyMismatch = "credssp_policy_mismatch",
        FirewallBlocked = "firewall_blocked",
        GatewayDenied = "gateway_denied",
        IcmpUnreachable = "icmp_unreachable",
        LogonFailed = "logon_failed",
        LogonRightMissing = "logon_right_missing",
        NameResolutionFailed = "name_resolution_failed",
        NegotiationFailure = "negotiation_failure",
        NlaFailure = "nla_failure",
        PacketLoss = "packet_loss",
        PasswordGuessing = "password_guessing",
        PrivateKeyInaccessible = "private_key_inaccessible",
        Probe = "probe",
        ServerDenied = "server_denied",
        SpnUnknown = "spn_unknown",
        TcpNoAnswer = "tcp_no_answer",
        TcpRefused = "tcp_refused",
        Timeout = "timeout",
        TlsAborted = "tls_aborted",
        TlsAlert = "tls_alert",
        TlsProtocolMismatch = "tls_protocol_mismatch",
        UdpBlocked = "udp_blocked",
        X224Rejected = "x224_rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_contract() {
        let stages: Vec<_> = Stage::ALL.iter().map(|s| s.word()).collect();
        assert_eq!(stages, ["tcp", "x224", "tls", "nla", "mcs", "session"]);
        assert!(Stage::Tcp < Stage::Session);
        assert_eq!(format!("{:<5}|", Stage::Tls), "tls  |");
        assert_eq!(Stage::AFTER_TCP[0], Stage::X224);
        assert_eq!(
            serde_json::to_string(&Status::NotReached).unwrap(),
            "\"not_reached\""
        );
        assert_eq!(Cause::from_word("tls_alert"), Some(Cause::TlsAlert));
        assert_eq!(Cause::from_word("tls alert"), None);
        for c in Cause::ALL {
            assert_eq!(Cause::from_word(c.word()), Some(*c));
        }
        assert_eq!(Cause::ALL.len(), 29);
        assert!(Cause::ALL.windows(2).all(|w| w[0].word() < w[1].word()));
        let back: Stage = serde_json::from_str("\"nla\"").unwrap();
        assert_eq!(back, Stage::Nla);
        assert!(serde_json::from_str::<Stage>("\"NLA\"").is_err());
    }
}
