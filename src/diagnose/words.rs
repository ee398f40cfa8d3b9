//! The words of a connection: each stage's note and the connection's summary, written from
//! what the handshake floor saw ([`Seen`], typed) once the connection is judged
//! ([`word`], called by `verdict::conclude`), and the summary as the report prints it
//! ([`summary_of`]: with what its attempt tells).
//!
//! Every sentence here cites the frames and counts its [`Seen`] carries; the names of
//! protocols, codes and results are the decoders' and `model::codes`'.

use crate::handshake::decrypt::{Fault, NotDecrypted};
use crate::handshake::facts::CredsspPackage;
use std::borrow::Cow;

use crate::handshake::judged::{ConnectionDetail, JudgedConnection, Stop};
use crate::handshake::mcs::{gcc_result_name, mcs_result_name, reason_name};
use crate::handshake::nla_records::CredsspMessage;
use crate::handshake::observed::{
    CertificateDoubt, EndSeen, Refusal, Seen, SessionEvidence, Stalled,
};
use crate::handshake::x224::{protocol_name, protocol_names};
use crate::model::codes;
use crate::tcp::RoleSource;

/// Writes a judged connection's stage notes and summary from what its stages saw, and drops
/// the typed facts. A connection's words are written while its detail is held (right after
/// it is judged); one already spilled keeps the words it was spilled with.
pub fn word(c: &mut JudgedConnection) {
    let Some(detail) = c.detail.held_mut() else {
        return;
    };
    // The typed facts are dropped once worded: nothing reads them after, and a run holds
    // thousands of details.
    for stage in &mut detail.stages {
        if let Some(seen) = stage.seen.take() {
            stage.note = Some(note(&seen));
        }
    }
    if let Some(seen) = detail.seen.take() {
        detail.summary = summary_line(&seen);
    }
}

/// The connection's one line, as the report prints it (see [`summary_of`]).
pub fn summary(c: &JudgedConnection) -> String {
    summary_of(c, &c.detail()).into_owned()
}

/// The connection's one line, given its detail already read: the judge's line, and, when a
/// later connection of the same attempt got further, that it did.
pub fn summary_of<'a>(c: &JudgedConnection, detail: &'a ConnectionDetail) -> Cow<'a, str> {
    match c.superseded_by {
        None => Cow::Borrowed(&detail.summary),
        Some(later) => Cow::Owned(format!(
            "{} (the client tried again: {later}, of the same attempt, got further)",
            detail.summary
        )),
    }
}

/// The summary of a connection whose stages saw `seen` last: a stage's note, but for the
/// TCP stops, whose summaries say what they mean.
pub fn summary_line(seen: &Seen) -> String {
    match seen {
        Seen::SynReset {
            server,
            reset_frame,
        } => format!(
            "refused: {server} answered the SYN with RST (frame {reset_frame}); nothing listens on port {} or a firewall rejects it",
            server.port
        ),
        Seen::SynUnreachable {
            message,
            reporter,
            frame,
        } => format!("unreachable: {reporter} reported \"{message}\" for the SYN (frame {frame})"),
        Seen::SynUnanswered {
            server,
            sent,
            waited_ns,
            no_longer_followed,
            ..
        } => format!(
            "no answer: {sent} SYN{} to {server} unanswered for at least {:.1} s after the first ({}); a silent drop (firewall), a host that is down, or a wrong address",
            plural(*sent),
            seconds(*waited_ns),
            if *no_longer_followed {
                "until it was no longer followed, as too many connections were open at once"
            } else {
                "as far as the capture shows"
            }
        ),
        Seen::SynTooRecent {
            no_longer_followed: true,
            ..
        } => "no longer followed right after the SYN, as too many connections were open at once (bounded memory); nothing can be said of the connection".to_string(),
        Seen::SynTooRecent { .. } => {
            "the capture ends right after the SYN; nothing can be said of the connection"
                .to_string()
        }
        Seen::MidStreamOneWay => {
            "seen mid-stream (no handshake captured); RDP stages are not analysed by this version"
                .to_string()
        }
        Seen::PayloadCapped(inner) => format!("{}; {PAYLOAD_CAPPED}", summary_line(inner)),
        other => note(other),
    }
}

/// Where a stage in progress meets the end of the bytes read.
const PAYLOAD_CAP_REACHED: &str = "the bytes read of each direction (`--payload-cap`, 64 KiB by default) end there: the capture holds more, not read; analyse it again with a larger --payload-cap to see how it ended";

/// What a session capped by `--payload-cap` cannot say.
const PAYLOAD_CAPPED: &str = "only the first bytes of each direction are read (`--payload-cap`, 64 KiB by default): the counts stop there, and how the session ended is from TCP alone";

/// A stage's note: what the capture shows there.
pub fn note(seen: &Seen) -> String {
    match seen {
        // --- TCP
        Seen::FinalAckMissing => "SYN-ACK seen; the client's final ACK was not captured".into(),
        Seen::HalfOpen {
            synacks,
            reset_frame,
        } => {
            let sent = if *synacks > 1 {
                format!(" (sent {synacks} times)")
            } else {
                String::new()
            };
            let reset = reset_frame
                .map(|f| format!(", the client reset it (frame {f})"))
                .unwrap_or_default();
            format!(
                "a half-open SYN scan, not an RDP attempt: the server's SYN-ACK{sent} was never acknowledged{reset}"
            )
        }
        Seen::SynReset { reset_frame, .. } => {
            format!("the server answered the SYN with a reset (frame {reset_frame})")
        }
        Seen::SynUnreachable {
            message,
            reporter,
            frame,
        } => format!("ICMP {message} from {reporter} (frame {frame})"),
        Seen::SynUnanswered { sent, span_ns, .. } => format!(
            "{sent} SYN{} over {:.1} s, never answered",
            plural(*sent),
            seconds(*span_ns)
        ),
        Seen::SynTooRecent {
            waited_ns,
            no_longer_followed: true,
        } => format!(
            "no longer followed {:.2} s after the SYN, too soon to call it unanswered: too many connections were open at once",
            seconds(*waited_ns)
        ),
        Seen::SynTooRecent { waited_ns, .. } => format!(
            "the capture ends {:.2} s after the SYN, too soon to call it unanswered",
            seconds(*waited_ns)
        ),
        Seen::SynNotCaptured => "the client's SYN was not captured; the server's SYN-ACK was".into(),
        Seen::MidStream { roles_from } => format!(
            "the capture began after the handshake; roles taken from {}",
            roles(*roles_from)
        ),
        Seen::MidStreamOneWay => summary_line(seen),

        // --- X.224
        Seen::X224NotCaptured => "the capture began after the X.224 exchange".into(),
        Seen::BeforeCapture => "before the capture began".into(),
        Seen::SessionUnderway {
            first_frame,
            from,
            fast_path,
            end,
        } => format!(
            "the capture began during a session already up: {} from the {from} (frame {first_frame}) with no handshake before it{}",
            if *fast_path {
                "fast-path PDUs"
            } else {
                "TLS application data"
            },
            end.map(|e| format!("; then {}", ended(e)))
                .unwrap_or_default()
        ),
        Seen::ClientSilentAfterTcp(st) if st.stop == Stop::StillOpen => {
            "the client sent nothing after the TCP handshake before the capture ended".into()
        }
        Seen::ClientSilentAfterTcp(st) => format!(
            "the client sent nothing after the TCP handshake; {}",
            stalled(st)
        ),
        Seen::PortCheck {
            frame,
            reset,
            after_ns,
        } => format!(
            "a port check, not an RDP attempt: the client {} the connection {} after the handshake without sending a byte (frame {frame})",
            if *reset { "reset" } else { "closed" },
            duration(*after_ns)
        ),
        Seen::NotX224 {
            tls_first: Some(frame),
            ..
        } => format!(
            "not an RDP attempt: the client began with a TLS record (frame {frame}) instead of the X.224 Connection Request every RDP client sends first: a TLS scanner or certificate check, or a TLS client on the wrong port"
        ),
        Seen::NotX224 { confirm, .. } => {
            let mut words = "not an RDP attempt: the client's first bytes are not an X.224 Connection Request (a scanner's probe, another protocol on the RDP port, or bytes damaged in the capture)".to_string();
            if let Some((frame, problems)) = confirm {
                words.push_str(&format!(
                    "; the server still sent a Connection Confirm (frame {frame})"
                ));
                if !problems.is_empty() {
                    words.push_str(&format!(" with {}", problems.join(", ")));
                }
            }
            words
        }
        Seen::ScannerRequest {
            tool,
            request_frame,
            end,
        } => format!(
            "not an RDP attempt: the Connection Request (frame {request_frame}) names {tool} in its cookie, a scanner's service probe{}",
            then(*end)
        ),
        Seen::SynOnce {
            server,
            frame,
            waited_ns,
        } => format!(
            "a scanner's SYN, not an RDP attempt: one SYN to {server} (frame {frame}), never answered and never sent again in the {:.1} s the capture went on (a client's kernel sends it again within 1 to 3 s)",
            seconds(*waited_ns)
        ),
        Seen::NoConfirm {
            request_frame,
            stalled: st,
        } => match st.stop {
            Stop::Ended => format!(
                "the server never confirmed the X.224 Connection Request (frame {request_frame}); {}",
                stalled(st)
            ),
            Stop::StillOpen => format!(
                "no X.224 Connection Confirm before the capture ended (request in frame {request_frame})"
            ),
            _ => format!(
                "no X.224 Connection Confirm for the request in frame {request_frame}: {}",
                stalled(st)
            ),
        },
        Seen::NegotiationRefused {
            confirm_frame,
            failure,
            request_frame,
        } => format!(
            "the server refused the negotiation (frame {confirm_frame}): {} — {} (request in frame {request_frame})",
            failure.name(),
            failure.meaning()
        ),
        Seen::SelectionNotOffered {
            selected,
            confirm_frame,
            requested,
        } => format!(
            "the server selected {} (frame {confirm_frame}), which the client did not offer ({}); the client then ended the connection",
            protocol_name(*selected),
            protocol_names(*requested).join("|")
        ),
        Seen::SelectionRefused {
            selected,
            confirm_frame,
            requested,
            close_frame,
        } => {
            use crate::handshake::x224::protocol::{HYBRID, HYBRID_EX};
            let why = if requested & (HYBRID | HYBRID_EX) != 0
                && selected & (HYBRID | HYBRID_EX) == 0
            {
                ": the client requires NLA (CredSSP), which it offered and the server did not select"
            } else {
                ""
            };
            format!(
                "the client closed the connection (frame {close_frame}) right after the server selected {} (frame {confirm_frame}; requested {}), without starting it: it refused the selection{why}",
                protocol_name(*selected),
                protocol_names(*requested).join("|")
            )
        }
        Seen::Selected(protocol) => format!("selected {}", protocol_name(*protocol)),
        Seen::StandardSecurityNoTls => "Standard RDP Security was selected: no TLS".into(),
        Seen::StandardSecurityNoNla => "Standard RDP Security: no NLA".into(),

        // --- TLS
        Seen::FatalAlert {
            from,
            description,
            frame,
        } => format!("the {from} sent a fatal TLS alert: {description} (frame {frame})"),
        Seen::PlaintextAnswer { frame, end } => format!(
            "the server answered the ClientHello with a plaintext X.224/MCS PDU instead of TLS (frame {frame}){}: it could not start TLS — its certificate or private key, or its TLS versions and ciphers",
            end.map(|e| format!(", then {}", ended(e)))
                .unwrap_or_default()
        ),
        Seen::ClientLeftAtCertificate {
            certificate_frame,
            end,
        } => format!(
            "the client ended the connection right after the server's certificate (frame {certificate_frame}): {}",
            ended(*end)
        ),
        Seen::NoClientHello {
            confirm_frame,
            stalled: st,
        } => format!(
            "no ClientHello after the X.224 exchange (frame {confirm_frame}); {}",
            stalled(st)
        ),
        Seen::TlsUnfinished(st) if st.stop == Stop::PayloadCapped => {
            format!("the TLS handshake is not over: {}", stalled(st))
        }
        Seen::TlsUnfinished(st) => format!("the TLS handshake did not finish: {}", stalled(st)),
        Seen::TlsFinished { version, frame } => {
            format!("{version} handshake finished both ways (frame {frame})")
        }
        Seen::CertificateRefused {
            alert_frame,
            end,
            doubts,
            nla_selected,
        } => {
            let why = if doubts.is_empty() {
                String::new()
            } else {
                let doubts: Vec<String> = doubts.iter().map(doubt).collect();
                format!(": {}", doubts.join("; "))
            };
            match alert_frame {
                Some(alert) => format!(
                    "the client closed right after the TLS handshake with an encrypted alert (frame {alert}) and no application data: it did not accept the server's certificate{why}"
                ),
                None => format!(
                    "the client {} right after the TLS handshake (frame {}) without an alert and without sending any data{}: it did not go on past the server's certificate{why} (a client whose user refused the certificate, or a scanner that only collected it)",
                    if end.reset {
                        "reset the connection"
                    } else {
                        "closed"
                    },
                    end.frame,
                    if *nla_selected {
                        ", so no credentials were tried"
                    } else {
                        ""
                    }
                ),
            }
        }

        // --- NLA
        Seen::NlaInferred {
            next_frame,
            early_authorization_frame,
            messages,
        } => {
            let named = named_records(messages);
            let early = early_authorization_frame
                .filter(|_| {
                    !messages
                        .iter()
                        .any(|(_, m)| *m == CredsspMessage::EarlyUserAuthorization)
                })
                .map(|f| format!("; Early User Authorization Result in frame {f}"))
                .unwrap_or_default();
            format!(
                "inferred from encrypted records{}: the CredSSP exchange ended {}{early}",
                named.map(|r| format!(" by size ({r})")).unwrap_or_default(),
                match next_frame {
                    Some(f) => format!("and the client went on (frame {f})"),
                    None => "with the server's Early User Authorization Result (encrypted: whether it grants access, a server that denies it closes the connection next)".into(),
                }
            )
        }
        Seen::NlaRefused {
            refused: (refused_frame, refused),
            by,
            after_ns,
            messages,
        } => {
            let records = named_records(messages)
                .map(|r| format!(" (inferred from encrypted record sizes: {r})"))
                .unwrap_or_default();
            let refused = credssp_message(*refused);
            match by {
                Refusal::ErrorCode { frame, bytes } => format!(
                    "the server answered the client's {refused} (frame {refused_frame}) {} later with a TSRequest of {bytes} bytes (frame {frame}), room for an errorCode only: it refused the logon{records}; most often wrong credentials, or an account that may not log on",
                    duration(*after_ns)
                ),
                Refusal::Closed { alert_frame, end } => {
                    let how: Vec<String> = alert_frame
                        .map(|f| format!("an encrypted alert in frame {f}"))
                        .into_iter()
                        .chain(end.map(|e| {
                            format!(
                                "{} in frame {}",
                                if e.reset { "a reset" } else { "a FIN" },
                                e.frame
                            )
                        }))
                        .collect();
                    format!(
                        "the server closed TLS {} after the client's {refused} (frame {refused_frame}) without answering it ({}): it refused the credentials{records}; most often wrong credentials, or an account that may not log on",
                        duration(*after_ns),
                        how.join(", then ")
                    )
                }
            }
        }
        Seen::NlaUnfinished {
            client_records,
            server_records,
            stalled: st,
            confirmed,
            messages,
        } => {
            let records = format!(
                "after {client_records} client and {server_records} server record{} (inferred from encrypted records{})",
                if *server_records == 1 { "" } else { "s" },
                named_records(messages)
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
            );
            // Only an end the server or client made says something about the credentials;
            // a capture stopped mid-exchange or a stall on loss does not.
            match (st.stop, confirmed) {
                (Stop::PayloadCapped, _) => format!(
                    "the CredSSP exchange is not over {records}: {}",
                    stalled(st)
                ),
                (Stop::StillOpen, _) => format!(
                    "the capture ends during the CredSSP exchange, {records}, with the connection still open: how NLA ended is not in the capture"
                ),
                (Stop::Ended, Some((frame, bytes))) => format!(
                    "the connection ended during the CredSSP exchange {records}: {}; the server's answer to the client's authentication (frame {frame}, {bytes} bytes) has the size of its public-key confirmation, not of an error, so the server most likely accepted the credentials and the client stopped (a prompt cancelled, the server's identity or a CredSSP policy refused on the client)",
                    stalled(st)
                ),
                (Stop::Ended, None) => format!(
                    "the connection ended during the CredSSP exchange {records}: {}; most often wrong credentials, or an account that may not log on",
                    stalled(st)
                ),
                _ => format!(
                    "the connection ended during the CredSSP exchange {records}: {}",
                    stalled(st)
                ),
            }
        }
        Seen::NlaUnknownMidStream => "the X.224 exchange is not in the capture: whether CredSSP (NLA) ran inside TLS is not known".into(),
        Seen::McsUnknownMidStream => "the X.224 exchange is not in the capture: which encrypted records are CredSSP's and which MCS's is not known".into(),
        Seen::RecordsAfterTls { client, server } => {
            format!("inferred: {client} client and {server} server records after TLS")
        }
        Seen::ConnectedMidStream {
            version,
            client,
            server,
            end,
        } => format!(
            "connected: {version} handshake done, the connection then carried {client} client and {server} server records (the X.224 exchange, before the capture began, would say whether NLA ran){}",
            then(*end)
        ),
        Seen::EndedAfterTls(st) if st.stop == Stop::PayloadCapped => format!(
            "no session yet after TLS: {}",
            stalled(st)
        ),
        Seen::EndedAfterTls(st) if st.stop == Stop::StillOpen => "the capture ends after TLS, with the connection still open (the X.224 exchange, before the capture began, would say whether NLA ran)".into(),
        Seen::EndedAfterTls(st) => format!(
            "the connection ended after TLS, before it carried a session: {}",
            stalled(st)
        ),
        Seen::NoNla(protocol) => format!("{} without CredSSP: no NLA", protocol_name(*protocol)),
        Seen::CredsspInClear => "no TLS: the CredSSP messages are in clear (a capture behind a TLS-terminating gateway, or decrypted)".into(),
        Seen::CredsspError { frame, code, user } => {
            let named = match codes::status(*code) {
                Some((name, meaning)) => format!("{name} — {meaning}"),
                None => "an unknown status".to_string(),
            };
            let whom = user
                .as_deref()
                .map(|u| format!(" for {}", shown_name(u)))
                .unwrap_or_default();
            format!("the server's TSRequest (frame {frame}) carries errorCode 0x{code:08X}{whom}: {named}")
        }
        Seen::CredsspRefused {
            auth_frame,
            user,
            mechanism,
            alert,
            end,
        } => {
            let what = match mechanism {
                Some(CredsspPackage::Kerberos) => "Kerberos authentication",
                Some(CredsspPackage::Ntlm) => "NTLM AUTHENTICATE",
                None => "authentication",
            };
            let whom = user
                .as_deref()
                .map(|u| format!(" for {}", shown_name(u)))
                .unwrap_or_default();
            let alert = alert
                .as_ref()
                .map(|(f, d)| format!("an alert {d} (frame {f}), then "))
                .unwrap_or_default();
            format!(
                "the server refused the client's {what}{whom} (frame {auth_frame}): it answered with no TSRequest but {alert}{}, so the credentials or the account were refused (a FreeRDP server sends no errorCode; a Windows server's 4625 says which)",
                ended(*end)
            )
        }
        Seen::EarlyAuthorizationDenied { frame, user } => format!(
            "the server's Early User Authorization Result (frame {frame}) is ACCESS_DENIED{}: the credentials were right, but the account may not log on remotely",
            user.as_deref()
                .map(|u| format!(" for {}", shown_name(u)))
                .unwrap_or_default()
        ),
        Seen::CredsspCredentials { frame } => format!(
            "the client sent its credentials (authInfo, frame {frame}) and the exchange ended"
        ),
        Seen::CredsspUnfinished(st) => format!(
            "the CredSSP exchange, read in clear, did not finish: {}",
            stalled(st)
        ),

        // --- MCS and the session
        Seen::McsInferred => "inferred: the server answered the client's first record after the security exchange (MCS Connect Initial / Response)".into(),
        Seen::RecordsAfterMcs {
            client,
            server,
            evidence,
        } => format!(
            "inferred: {client} client and {server} server records after the MCS exchange; {}",
            match evidence {
                SessionEvidence::Activation { frame } => format!(
                    "the client's burst from frame {frame} has the shape of its Confirm Active and finalization, answered by the server: the session became active"
                ),
                SessionEvidence::ServerOutput { bytes } => format!(
                    "the server sent {bytes} bytes, screen updates beyond any connection sequence"
                ),
                SessionEvidence::Duration { ns } => format!(
                    "records went both ways for {} after it",
                    duration(*ns)
                ),
            }
        ),
        Seen::Connected {
            version,
            client,
            server,
            end,
        } => format!(
            "connected: {version} handshake done, session carried {client} client and {server} server records{}",
            then(*end)
        ),
        Seen::NoMcsAnswer {
            connect_initial_frame,
            stalled: st,
        } => format!(
            "no answer to the client's MCS Connect Initial (frame {connect_initial_frame}, inferred): {}",
            stalled(st)
        ),
        Seen::ClientSilentAfterSecurity(st) => format!(
            "the client sent nothing after the security exchange: {}",
            stalled(st)
        ),
        Seen::McsRefused {
            result,
            gcc_result,
            frame,
        } => format!(
            "the server refused the MCS connection: {}{} (frame {frame})",
            mcs_result_name(*result),
            gcc_result
                .map(|g| format!(", GCC {}", gcc_result_name(g)))
                .unwrap_or_default()
        ),
        Seen::McsInClear => "MCS Connect Initial and Connect Response in clear".into(),
        Seen::PdusAfterMcs { client, server } => {
            format!("{client} client and {server} server PDUs after the MCS exchange")
        }
        Seen::ConnectedStandard {
            client,
            server,
            ultimatum,
            end,
        } => format!(
            "connected with Standard RDP Security; session carried {client} client and {server} server PDUs{}{}",
            ultimatum
                .map(|(reason, frame)| format!(
                    "; the server ended it with {}",
                    ultimatum_words(reason, frame)
                ))
                .unwrap_or_default(),
            then(*end)
        ),
        Seen::ServerErrorInfo { code, frame, end } => format!(
            "the server sent a Set Error Info PDU (frame {frame}) before a session: {}{}",
            errinfo_words(*code),
            then(*end)
        ),
        Seen::LicenseError {
            code,
            transition,
            frame,
            end,
        } => format!(
            "the server's licensing answer (frame {frame}) is the error {} (state transition {}){}",
            crate::handshake::mcs::license_error_name(*code),
            crate::handshake::mcs::license_transition_name(*transition),
            then(*end)
        ),
        Seen::ClosedAfterActivation {
            user,
            activation_frame,
            after_ns,
            alert,
            end,
        } => format!(
            "the server activated the session{} (frame {activation_frame}) and then, {} later and before sending any screen update, {}{}: it ended the session it had just set up (an authentication or policy check after the logon, a session limit)",
            user.as_deref()
                .map(|u| format!(" of {}", shown_name(u)))
                .unwrap_or_default(),
            duration(*after_ns),
            alert
                .as_ref()
                .map(|(f, d)| format!("sent an alert {d} (frame {f}) and "))
                .unwrap_or_default(),
            ended(*end)
        ),
        Seen::UltimatumInSetup { reason, frame } => format!(
            "the server sent {} during connection setup",
            ultimatum_words(*reason, *frame)
        ),
        Seen::UltimatumForConnectInitial {
            connect_initial_frame,
            reason,
            frame,
        } => format!(
            "the server answered the MCS Connect Initial (frame {connect_initial_frame}) with {}: it refuses Standard RDP Security (xrdp set to TLS does this)",
            ultimatum_words(*reason, *frame)
        ),
        Seen::NoConnectResponse {
            connect_initial_frame,
            stalled: st,
        } => format!(
            "no MCS Connect Response to the Connect Initial in frame {connect_initial_frame}: {}",
            stalled(st)
        ),
        Seen::NoConnectInitial(st) => format!(
            "no MCS Connect Initial after the X.224 exchange: {}",
            stalled(st)
        ),
        // A capture stopped while the connection was open says nothing of how setup ended.
        Seen::SetupUnfinished(st) if st.stop == Stop::PayloadCapped => format!(
            "connection setup, after the MCS exchange, is not over: {}",
            stalled(st)
        ),
        Seen::SetupUnfinished(st) if st.stop == Stop::StillOpen => "the capture ends during connection setup, after the MCS exchange, with the connection still open".into(),
        Seen::SetupUnfinished(st) => format!(
            "the connection ended during connection setup, after the MCS exchange, before the capture showed an active session: {}",
            stalled(st)
        ),
        Seen::PayloadCapped(inner) => format!("{}; {PAYLOAD_CAPPED}", note(inner)),
    }
}

/// How a stage in progress was left.
fn stalled(st: &Stalled) -> String {
    let end = st.end.map(ended).unwrap_or_default();
    match st.stop {
        Stop::LossThenStillOpen => format!(
            "the handshake stalled on loss: no progress for {:.1} s while {} segments were retransmitted; the capture ends with the connection still open",
            seconds(st.silence_ns),
            st.retransmissions
        ),
        Stop::LossThenEnded => {
            let counts: Vec<String> = [
                (st.retransmissions, "retransmission", "retransmissions"),
                (st.gaps, "gap", "gaps"),
            ]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .chain((st.missed_bytes > 0).then(|| format!("{} bytes never seen", st.missed_bytes)))
            .collect();
            format!(
                "the handshake stalled on loss ({}), then, {} after the last progress, {end}",
                counts.join(", "),
                duration(st.silence_ns)
            )
        }
        Stop::Silence => format!(
            "nothing came from the {} for {:.1} s, then {end}",
            st.waiting_for,
            seconds(st.silence_ns)
        ),
        Stop::Ended => end,
        Stop::PayloadCapped => PAYLOAD_CAP_REACHED.into(),
        _ => "the capture ends while the connection is still open".into(),
    }
}

/// Who ended the connection, how, and in which frame.
fn ended(e: EndSeen) -> String {
    format!(
        "the {} {} (frame {})",
        e.by,
        if e.reset {
            "reset the connection"
        } else {
            "closed the connection"
        },
        e.frame
    )
}

/// `; ` and how the connection ended, when it did.
fn then(end: Option<EndSeen>) -> String {
    end.map(|e| format!("; {}", ended(e))).unwrap_or_default()
}

/// An ERRINFO code (MS-RDPBCGR 2.2.5.1.1) by its name and meaning, with the extended error
/// code mstsc shows for it.
pub fn errinfo_words(code: u32) -> String {
    match codes::errinfo(code) {
        // ExtendedDisconnectReasonCode mirrors errorInfo below 0x8000 (codes.md §2).
        Some((name, meaning)) if code < 0x8000 => format!(
            "{name} (0x{code:X}): {meaning}; mstsc's dialog gives it as extended error code 0x{code:X}"
        ),
        Some((name, meaning)) => format!("{name} (0x{code:X}): {meaning}"),
        None => format!("ERRINFO 0x{code:X} (not a code rdptriage knows)"),
    }
}

/// The fix for a logon the server refused with NTSTATUS `code` (a CredSSP `errorCode`, MS-ERREF
/// 2.3), for the account `user` when known; `None` for a status without a fix of its own.
pub fn status_fix(code: u32, user: Option<&str>) -> Option<String> {
    let who = user.map_or_else(|| "the account".to_string(), shown_name);
    let name = codes::status(code).map_or_else(|| "an NTSTATUS".to_string(), |s| s.0.to_string());
    let refused = format!("The server refused the logon of {who} with {name} (0x{code:08X})");
    let fix = match code {
        0xC000_006D => "the user name or password is wrong. Type them again; if the client saved them, remove the saved entry (Credential Manager, `cmdkey /delete:TERMSRV/<server>`). A Windows server's Security 4625 (SubStatus) says which of the two.".to_string(),
        0xC000_006A => "the password is wrong. Type it again; if the client saved it, remove the saved entry (Credential Manager, `cmdkey /delete:TERMSRV/<server>`).".to_string(),
        0xC000_0064 => "no such account exists on the server or in its domain: check the user name and its domain (DOMAIN\\user or user@domain).".to_string(),
        0xC000_0234 => "the account is locked out: unlock it (Active Directory Users and Computers, `Unlock-ADAccount`, or Local Users and Groups) and find what keeps sending a wrong password (Security 4740 on a domain controller names the caller computer).".to_string(),
        0xC000_0072 => "the account is disabled: enable it (`Enable-ADAccount`, or Local Users and Groups) if it should log on.".to_string(),
        0xC000_0071 | 0xC000_0224 => "its password has expired or must be changed, which NLA cannot do: change it another way (Ctrl+Alt+Del on a domain computer, `Set-ADAccountPassword`) or have an administrator reset it.".to_string(),
        0xC000_0193 => "the account has expired: extend its expiry date (Active Directory Users and Computers, Account tab).".to_string(),
        0xC000_006E => "an account restriction applies: a blank password (refused over the network), logon hours, or the computers it may log on to.".to_string(),
        0xC000_006F => "it may not log on at this time (logon hours).".to_string(),
        0xC000_0070 => "it may not log on from this computer (the account's Log On To list).".to_string(),
        0xC000_015B => "the account lacks the right to log on through Remote Desktop Services: add it to Remote Desktop Users on the server, or grant \"Allow log on through Remote Desktop Services\" (and check \"Deny log on through Remote Desktop Services\").".to_string(),
        _ => return None,
    };
    let dialog = dialog_code(code)
        .and_then(|d| codes::disc_reason(d).map(|(name, _)| (d, name)))
        .map(|(d, name)| format!(" mstsc reports it as error code 0x{d:X} ({name})."))
        .unwrap_or_default();
    Some(format!("{refused}: {fix}{dialog}"))
}

/// The disconnect reason mstsc's dialog gives for a logon the server refused with NTSTATUS
/// `status` (codes.md §1: the SSL_ERR_* reasons named for the statuses).
pub fn dialog_code(status: u32) -> Option<u32> {
    Some(match status {
        0xC000_006D | 0xC000_006A => 0x807,
        0xC000_0064 => 0xA07,
        0xC000_0072 => 0xB07,
        0xC000_006E..=0xC000_0070 => 0xC07,
        0xC000_0234 => 0xD07,
        0xC000_0193 => 0xE07,
        0xC000_0071 => 0xF07,
        0xC000_0224 => 0x1207,
        _ => return None,
    })
}

/// The `credssp` block in one line: how it was read, the package, the account, the version,
/// the server's errorCode and whether the credentials went.
pub fn credssp_line(f: &crate::handshake::facts::CredsspFacts) -> String {
    let mut parts = vec![
        f.mechanism
            .map_or("package unknown", crate::model::Word::word)
            .to_string(),
    ];
    if let Some(u) = f.user.as_deref() {
        let from = f
            .workstation
            .as_deref()
            .map(|w| format!(" from {w}"))
            .unwrap_or_default();
        parts.push(format!("account {}{from}", shown_name(u)));
    }
    if let Some(v) = f.version {
        parts.push(format!("TSRequest version {v}"));
    }
    if let Some(code) = f.error_code {
        parts.push(format!(
            "errorCode 0x{code:08X}{}",
            f.error
                .as_deref()
                .map(|e| format!(" {e}"))
                .unwrap_or_default()
        ));
    }
    if let Some(e) = f.early_user_authorization {
        parts.push(format!("Early User Authorization {e}"));
    }
    parts.push(
        if f.credentials_sent {
            "credentials sent"
        } else {
            "no credentials sent"
        }
        .into(),
    );
    format!(
        "CredSSP ({}): {}",
        if f.decrypted { "decrypted" } else { "in clear" },
        parts.join(", ")
    )
}

// --- Decryption (`handshake::decrypt`, `handshake::secrets`)

/// Why a record did not open, in words.
pub fn fault_words(fault: Fault) -> &'static str {
    match fault {
        Fault::TooShort => "a record too short for its cipher",
        Fault::BadPadding => "bad block padding",
        Fault::NotAuthentic => "its MAC or tag did not verify",
        Fault::NotCaptured => "bytes of it were never captured",
        Fault::Renegotiated => "the session renegotiated its keys there",
        Fault::NoSecret => "no secret for it",
    }
}

/// Why a connection was not decrypted, in words.
pub fn not_decrypted_words(why: &NotDecrypted) -> String {
    match why {
            NotDecrypted::HandshakeMissing => {
                "the capture does not hold its ClientHello and ServerHello, which decryption needs".into()
            }
            NotDecrypted::UnsupportedSuite(id) => format!(
                "its cipher suite {} is not one rdptriage decrypts",
                crate::handshake::tls::cipher_name(*id)
            ),
            NotDecrypted::NoMatchingKey => {
                "none of the keys given matches the public key of the server's certificate".into()
            }
            NotDecrypted::KeyExchangeMissing => {
                "the server's certificate or the client's key exchange was not captured".into()
            }
            NotDecrypted::NotInKeyLog { ephemeral: true } => {
                "its key exchange is ephemeral ((EC)DHE or TLS 1.3): a server key cannot decrypt it, only a key log with its client random".into()
            }
            NotDecrypted::NotInKeyLog { ephemeral: false } => {
                "no key log line has its client random".into()
            }
            NotDecrypted::PremasterRejected => {
                "the key matching the certificate did not decrypt a well-formed pre-master secret".into()
            }
            NotDecrypted::WrongSecrets(side, frame, fault) => format!(
                "the {} record in frame {frame} did not open with the derived keys ({}): the secrets are not this connection's",
                crate::model::Word::word(side.party()),
                fault_words(*fault)
            ),
            NotDecrypted::Stopped(side, frame, fault) => format!(
                "the {} record in frame {frame} did not open ({}) after earlier ones did",
                crate::model::Word::word(side.party()),
                fault_words(*fault)
            ),
            NotDecrypted::MissingSecret(side) => format!(
                "the key log has its client random but no traffic secret of the {} (CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET, _TRAFFIC_SECRET_0)",
                crate::model::Word::word(side.party())
            ),
            NotDecrypted::UnsupportedVersion(v) => format!(
                "its version {} is not one rdptriage decrypts",
                crate::handshake::tls::version_name(*v)
            ),
            NotDecrypted::Resumed => {
                "it resumed an earlier session: only a key log line with its client random holds its master secret".into()
            }
        }
}

/// Connections a capture names in its warnings about decryption; the rest are counted.
pub const NOT_DECRYPTED_NAMED: usize = 10;

/// A warning for each connection with a TLS handshake that the secrets given did not decrypt,
/// saying why (the first [`NOT_DECRYPTED_NAMED`], then a count): each is still judged
/// without decryption.
pub fn decryption_warnings(connections: &[JudgedConnection]) -> Vec<String> {
    use crate::handshake::DecryptionOutcome;
    let not: Vec<(&JudgedConnection, &NotDecrypted)> = connections
        .iter()
        .filter_map(|c| match c.decryption() {
            Some(DecryptionOutcome::Not(why)) => Some((c, why)),
            _ => None,
        })
        .collect();
    let mut out: Vec<String> = not
        .iter()
        .take(NOT_DECRYPTED_NAMED)
        .map(|(c, why)| {
            format!(
                "frame {}, {} → {}: not decrypted, {}; judged from the encrypted records",
                c.first_frame,
                c.client,
                c.server,
                not_decrypted_words(why)
            )
        })
        .collect();
    if not.len() > NOT_DECRYPTED_NAMED {
        out.push(format!(
            "{} more connections were not decrypted",
            not.len() - NOT_DECRYPTED_NAMED
        ));
    }
    out
}

/// Warnings for the secrets no connection of the run used.
pub fn unused_secrets(unused: &crate::handshake::secrets::Unused) -> Vec<String> {
    let mut out: Vec<String> = unused
        .keys
        .iter()
        .map(|(source, bits)| {
            format!(
                "--key {source}: its public key ({bits}-bit RSA) matches no server certificate seen in clear in the inputs (TLS 1.3 sends it encrypted): no connection was decrypted with it"
            )
        })
        .collect();
    if let Some((sources, randoms)) = &unused.keylog {
        out.push(format!(
            "key log {}: none of its {randoms} client randoms is in a ClientHello of the inputs: no connection was decrypted with it",
            sources.join(", ")
        ));
    }
    out
}

/// A user name from the capture, its leading and trailing spaces shown (`"alice "` and
/// `alice` are different accounts).
pub fn shown_name(name: &str) -> String {
    if name.trim() != name || name.is_empty() {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

fn ultimatum_words(reason: u8, frame: u64) -> String {
    format!(
        "an MCS Disconnect Provider Ultimatum ({}, frame {frame})",
        reason_name(reason)
    )
}

fn doubt(d: &CertificateDoubt) -> String {
    match d {
        CertificateDoubt::Expired(not_after) => format!("it had expired on {not_after}"),
        CertificateDoubt::NotYetValid(not_before) => format!("it is valid only from {not_before}"),
        CertificateDoubt::NameMismatch { named, asked } => {
            format!("it names {named} but the client asked for {asked}")
        }
        CertificateDoubt::SelfSigned(subject) => format!("it is self-signed ({subject})"),
        CertificateDoubt::Issuer(issuer) => {
            format!("issued by {issuer}, a CA the client may not trust")
        }
        CertificateDoubt::Encrypted => "with TLS 1.3 the certificate is encrypted, so the capture cannot say what was wrong with it: check its validity and name on the server".into(),
    }
}

fn roles(r: RoleSource) -> &'static str {
    match r {
        RoleSource::Syn => "the SYN",
        RoleSource::SynAck => "the SYN-ACK",
        RoleSource::RdpPort => "the RDP port",
        RoleSource::Payload => "the X.224 Connection Request",
        RoleSource::LowerPort => "the lower port (a guess)",
    }
}

/// What a CredSSP message named by size is (`handshake::nla_records`).
fn credssp_message(m: CredsspMessage) -> &'static str {
    match m {
        CredsspMessage::NtlmNegotiate => "NTLM negotiate",
        CredsspMessage::KerberosApReq => "Kerberos AP-REQ",
        CredsspMessage::NtlmChallenge => "NTLM challenge",
        CredsspMessage::KerberosApRep => "Kerberos AP-REP",
        CredsspMessage::NtlmAuthenticate => "NTLM authenticate with pubKeyAuth",
        CredsspMessage::ClientPubKeyAuth => "pubKeyAuth (Kerberos authentication)",
        CredsspMessage::ServerPubKeyAuth => "server pubKeyAuth",
        CredsspMessage::ErrorCode => "errorCode TSRequest",
        CredsspMessage::AuthInfo => "authInfo (credentials)",
        CredsspMessage::EarlyUserAuthorization => "Early User Authorization Result",
        CredsspMessage::SessionTicket => "TLS session ticket",
    }
}

/// The CredSSP messages named by size, with their frames, session tickets left out; `None`
/// when none was named.
fn named_records(messages: &[(u64, CredsspMessage)]) -> Option<String> {
    let named: Vec<String> = messages
        .iter()
        .filter(|(_, m)| *m != CredsspMessage::SessionTicket)
        .map(|(f, m)| format!("{} {f}", credssp_message(*m)))
        .collect();
    (!named.is_empty()).then(|| named.join(", "))
}

/// A short time as a person reads it: µs under a millisecond, ms under a second, else s.
fn duration(ns: i64) -> String {
    if ns < 1_000_000 {
        format!("{} µs", ns / 1_000)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", seconds(ns))
    }
}

fn seconds(ns: i64) -> f64 {
    ns as f64 / 1e9
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Party;

    fn stall(stop: Stop, end: Option<EndSeen>) -> Stalled {
        Stalled {
            stop,
            waiting_for: Party::Server,
            silence_ns: 6_250_000_000,
            retransmissions: 4,
            gaps: 1,
            missed_bytes: 1460,
            end,
        }
    }

    const RESET_BY_CLIENT: EndSeen = EndSeen {
        by: Party::Client,
        reset: true,
        frame: 41,
    };

    #[test]
    fn each_way_of_stalling_cites_its_counts_and_its_end() {
        let end = Some(RESET_BY_CLIENT);
        assert_eq!(
            stalled(&stall(Stop::Ended, end)),
            "the client reset the connection (frame 41)"
        );
        assert_eq!(
            stalled(&stall(Stop::Silence, end)),
            "nothing came from the server for 6.2 s, then the client reset the connection (frame 41)"
        );
        assert_eq!(
            stalled(&stall(Stop::LossThenEnded, end)),
            "the handshake stalled on loss (4 retransmissions, 1 gap, 1460 bytes never seen), then, 6.25 s after the last progress, the client reset the connection (frame 41)"
        );
        let only_missed = Stalled {
            retransmissions: 0,
            ..stall(Stop::LossThenEnded, end)
        };
        assert_eq!(
            stalled(&only_missed),
            "the handshake stalled on loss (1 gap, 1460 bytes never seen), then, 6.25 s after the last progress, the client reset the connection (frame 41)"
        );
        assert_eq!(
            stalled(&stall(Stop::LossThenStillOpen, None)),
            "the handshake stalled on loss: no progress for 6.2 s while 4 segments were retransmitted; the capture ends with the connection still open"
        );
        assert_eq!(
            stalled(&stall(Stop::StillOpen, None)),
            "the capture ends while the connection is still open"
        );
    }

    #[test]
    fn a_stage_left_open_is_worded_apart_from_one_a_side_ended() {
        let open = Seen::NoConfirm {
            request_frame: 4,
            stalled: stall(Stop::StillOpen, None),
        };
        assert_eq!(
            note(&open),
            "no X.224 Connection Confirm before the capture ended (request in frame 4)"
        );
        let ended = Seen::NoConfirm {
            request_frame: 4,
            stalled: stall(Stop::Ended, Some(RESET_BY_CLIENT)),
        };
        assert_eq!(
            note(&ended),
            "the server never confirmed the X.224 Connection Request (frame 4); the client reset the connection (frame 41)"
        );
    }

    #[test]
    fn a_refused_certificate_lists_every_doubt_its_fields_raise() {
        let seen = Seen::CertificateRefused {
            alert_frame: None,
            end: RESET_BY_CLIENT,
            doubts: vec![
                CertificateDoubt::Expired("2020-01-31T00:00:00Z".into()),
                CertificateDoubt::NameMismatch {
                    named: "old.example".into(),
                    asked: "rdp.example".into(),
                },
            ],
            nla_selected: true,
        };
        assert_eq!(
            note(&seen),
            "the client reset the connection right after the TLS handshake (frame 41) without an alert and without sending any data, so no credentials were tried: it did not go on past the server's certificate: it had expired on 2020-01-31T00:00:00Z; it names old.example but the client asked for rdp.example (a client whose user refused the certificate, or a scanner that only collected it)"
        );
    }

    #[test]
    fn tcp_stops_have_a_summary_of_their_own_and_a_capped_session_says_so() {
        let reset = Seen::SynReset {
            server: "10.0.0.9:3389".parse().expect("endpoint"),
            reset_frame: 2,
        };
        assert_eq!(
            note(&reset),
            "the server answered the SYN with a reset (frame 2)"
        );
        assert_eq!(
            summary_line(&reset),
            "refused: 10.0.0.9:3389 answered the SYN with RST (frame 2); nothing listens on port 3389 or a firewall rejects it"
        );
        let capped = Seen::PayloadCapped(Box::new(Seen::PdusAfterMcs {
            client: 12,
            server: 30,
        }));
        assert!(note(&capped).starts_with(
            "12 client and 30 server PDUs after the MCS exchange; only the first bytes"
        ));
        let unknown = Seen::CredsspError {
            frame: 9,
            code: 0xDEAD_BEEF,
            user: None,
        };
        assert_eq!(
            note(&unknown),
            "the server's TSRequest (frame 9) carries errorCode 0xDEADBEEF: an unknown status"
        );
    }
}
