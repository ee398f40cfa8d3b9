//! The CredSSP messages of an NLA exchange inside TLS (MS-CSSP 3.1.5), named from their order
//! and their plaintext sizes, since the bytes themselves are encrypted.
//!
//! Each record's plaintext length is its length less the negotiated suite's overhead
//! ([`super::tls::record_overhead`]). The exchange then has a fixed shape: the client's first token
//! (an NTLM negotiate, or a Kerberos AP-REQ, which carries a ticket and is far larger), the
//! server's answer (challenge or AP-REP), the client's authentication (NTLM's authenticate
//! message with `pubKeyAuth`, or Kerberos' `pubKeyAuth`), the server's `pubKeyAuth` when it
//! accepted it, the client's credentials (`authInfo`) and, under HYBRID_EX, the server's 4-byte
//! Early User Authorization Result. A server TSRequest carrying only a version and an
//! `errorCode` (MS-CSSP 2.2.1, versions 3 and later) is some 15 bytes, smaller than any other
//! server TSRequest: it is how a server reports a failed logon.
//!
//! The sizes the bounds rest on were read from decrypted real exchanges: the corpus'
//! `rdp-ssl.pcap` (CredSSP v2, NTLM: 57, 262, 805, 303, 84 bytes) and
//! `freerdp-client-krb5.pcapng` (v6, Kerberos: 1320, 179, 140, 103, 179), and FreeRDP
//! against freerdp-shadow here (v6, NTLM: 93, 162, 433, 95, 128); the `handshake::tls` tests
//! check the overheads against them, `tests/credssp_sizes.rs` the judgement.
//!
//! Written by hand: naming encrypted records by size is this project's own reading.

use super::pdu::Pdu;
use super::tls::RecordOverhead;
use crate::tcp::Side;

/// Which CredSSP message an encrypted record is taken for (MS-CSSP 3.1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredsspMessage {
    /// The client's first token when small: an NTLM NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1), bare
    /// or in SPNEGO.
    NtlmNegotiate,
    /// The client's first token when large: a Kerberos AP-REQ and its ticket (RFC 4120
    /// §5.5.1), in SPNEGO.
    KerberosApReq,
    /// The server's answer to an NTLM negotiate: CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
    NtlmChallenge,
    /// The server's answer to an AP-REQ: AP-REP (RFC 4120 §5.5.2).
    KerberosApRep,
    /// NTLM's AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with the client's `pubKeyAuth`.
    NtlmAuthenticate,
    /// Kerberos: the client's `pubKeyAuth`, its proof of the server's public key.
    ClientPubKeyAuth,
    /// The server's `pubKeyAuth`: it accepted the client's authentication.
    ServerPubKeyAuth,
    /// A TSRequest with room for a version and an `errorCode` only: a failed logon.
    ErrorCode,
    /// The client's credentials, `authInfo` (TSCredentials, MS-CSSP 2.2.1.2).
    AuthInfo,
    /// HYBRID_EX's Early User Authorization Result (MS-RDPBCGR 2.2.10.2), 4 bytes.
    EarlyUserAuthorization,
    /// TLS 1.3: a NewSessionTicket the server sent before its first answer (RFC 8446
    /// §4.6.1), encrypted like application data.
    SessionTicket,
}

/// The security package the client's first token shows: NTLM (MS-NLMP) or Kerberos (RFC
/// 4120), bare or in SPNEGO (MS-SPNG), as MS-CSSP 3.1.5 carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Ntlm,
    Kerberos,
}

/// One record and the message it is taken for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedRecord {
    pub side: Side,
    /// The frame that completed the record.
    pub frame: u64,
    pub ts_ns: i64,
    /// The plaintext length: least and most, as block ciphers pad.
    pub plaintext: (u32, u32),
    pub message: CredsspMessage,
}

/// The exchange as far as the records name it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NlaExchange {
    pub mechanism: Option<Mechanism>,
    /// In the order sent.
    pub messages: Vec<NamedRecord>,
    /// The client's first record after its credentials: the next protocol's (an MCS Connect
    /// Initial).
    pub next_client: Option<Pdu>,
}

impl NlaExchange {
    pub fn find(&self, message: CredsspMessage) -> Option<&NamedRecord> {
        self.messages.iter().find(|m| m.message == message)
    }

    /// The client's authentication: NTLM's authenticate message or Kerberos' `pubKeyAuth`.
    pub fn authentication(&self) -> Option<&NamedRecord> {
        self.messages.iter().find(|m| {
            matches!(
                m.message,
                CredsspMessage::NtlmAuthenticate | CredsspMessage::ClientPubKeyAuth
            )
        })
    }
}

/// A server record of at most this many plaintext bytes holds a TSRequest with a version
/// and an `errorCode` only (15 to 17 bytes as DER); the smallest other server message, a
/// `pubKeyAuth` of CredSSP 5 and later (a 32-byte hash, sealed, in a TSRequest), is over 50.
const ERROR_CODE_MAX: u32 = 40;
/// A client's first token of at least this many plaintext bytes is a Kerberos AP-REQ (a
/// ticket: 1320 bytes in the corpus' capture, several hundred without a PAC); NTLM's
/// negotiate is under 200, in SPNEGO or not.
const KERBEROS_FIRST_MIN: u32 = 400;
/// The Early User Authorization Result: a 4-byte flags field.
const EARLY_USER_AUTHORIZATION_LEN: u32 = 4;
/// Overhead taken when the suite is not known: AES-GCM under TLS 1.2, the most common.
const DEFAULT_OVERHEAD: RecordOverhead = RecordOverhead { min: 24, max: 24 };

/// Names the data records of both sides (alerts left out), each in frame order, of an NLA
/// exchange inside TLS.
pub fn name(
    client: &[Pdu],
    server: &[Pdu],
    overhead: Option<RecordOverhead>,
    tls13: bool,
    hybrid_ex: bool,
) -> NlaExchange {
    let overhead = overhead.unwrap_or(DEFAULT_OVERHEAD);
    let mut merged: Vec<&Pdu> = client.iter().chain(server).collect();
    merged.sort_by_key(|p| (p.first_frame, p.last_frame));
    let mut out = NlaExchange::default();
    let mut client_sent = 0usize;
    let mut server_answered = 0usize;
    let mut refused = false;
    for (i, p) in merged.iter().enumerate() {
        let plaintext = overhead.plaintext(p.tls_payload_len());
        // The middle of the range: exact for stream and AEAD suites, within half a block
        // otherwise.
        let size = (plaintext.0 + plaintext.1) / 2;
        let message = match p.side {
            Side::Client => {
                if refused {
                    break;
                }
                client_sent += 1;
                match client_sent {
                    1 => {
                        let kerberos = size >= KERBEROS_FIRST_MIN;
                        out.mechanism = Some(if kerberos {
                            Mechanism::Kerberos
                        } else {
                            Mechanism::Ntlm
                        });
                        if kerberos {
                            CredsspMessage::KerberosApReq
                        } else {
                            CredsspMessage::NtlmNegotiate
                        }
                    }
                    // A second record before the server answered the first is not the
                    // exchange's shape: nothing more is named.
                    2 if server_answered == 0 => break,
                    2 if out.mechanism == Some(Mechanism::Kerberos) => {
                        CredsspMessage::ClientPubKeyAuth
                    }
                    2 => CredsspMessage::NtlmAuthenticate,
                    3 if out.find(CredsspMessage::ServerPubKeyAuth).is_some() => {
                        CredsspMessage::AuthInfo
                    }
                    _ => {
                        if out.find(CredsspMessage::AuthInfo).is_some() {
                            out.next_client = Some(**p);
                        }
                        break;
                    }
                }
            }
            Side::Server => {
                let next_is_server = merged.get(i + 1).is_some_and(|n| n.side == Side::Server);
                if client_sent == 0 {
                    continue;
                }
                if tls13 && server_answered == 0 && next_is_server && size > ERROR_CODE_MAX {
                    CredsspMessage::SessionTicket
                } else if client_sent == 3 {
                    if hybrid_ex
                        && (plaintext.0..=plaintext.1).contains(&EARLY_USER_AUTHORIZATION_LEN)
                    {
                        CredsspMessage::EarlyUserAuthorization
                    } else {
                        continue;
                    }
                } else if size <= ERROR_CODE_MAX {
                    refused = true;
                    CredsspMessage::ErrorCode
                } else {
                    server_answered += 1;
                    match (client_sent, out.mechanism) {
                        (1, Some(Mechanism::Kerberos)) => CredsspMessage::KerberosApRep,
                        (1, _) => CredsspMessage::NtlmChallenge,
                        (2, _) => CredsspMessage::ServerPubKeyAuth,
                        _ => continue,
                    }
                }
            }
        };
        out.messages.push(NamedRecord {
            side: p.side,
            frame: p.last_frame,
            ts_ns: p.ts_ns,
            plaintext,
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::tls::record_overhead;
    use CredsspMessage::*;

    /// Records of `(side, frame, TLS payload length)`.
    fn records(list: &[(Side, u64, u32)]) -> (Vec<Pdu>, Vec<Pdu>) {
        let pdu = |&(side, frame, len): &(Side, u64, u32)| {
            Pdu::sealed_record(side, frame, frame as i64, len)
        };
        let of = |s: Side| list.iter().filter(|r| r.0 == s).map(pdu).collect();
        (of(Side::Client), of(Side::Server))
    }

    fn named(x: &NlaExchange) -> Vec<(u64, CredsspMessage)> {
        x.messages.iter().map(|m| (m.frame, m.message)).collect()
    }

    use Side::{Client as C, Server as S};

    /// nla-success.pcap, stream 0: TLS 1.3 with AES-256-GCM; two tickets, then NTLM.
    #[test]
    fn ntlm_success_under_tls13_with_tickets() {
        let (c, s) = records(&[
            (S, 11, 250),
            (S, 12, 250),
            (C, 13, 110),
            (S, 14, 179),
            (C, 16, 450),
            (S, 17, 112),
            (C, 19, 145),
            (C, 20, 460),
        ]);
        // Tickets before the client's first record are left to the caller in TLS 1.3 (they
        // come before the client's Finished is answered), and skipped here too.
        let x = name(&c, &s, record_overhead(0x0304, 0x1302), true, false);
        assert_eq!(x.mechanism, Some(Mechanism::Ntlm));
        assert_eq!(
            named(&x),
            [
                (13, NtlmNegotiate),
                (14, NtlmChallenge),
                (16, NtlmAuthenticate),
                (17, ServerPubKeyAuth),
                (19, AuthInfo)
            ]
        );
        assert_eq!(x.next_client.map(|p| p.last_frame), Some(20));
        assert_eq!(x.find(ServerPubKeyAuth).unwrap().plaintext, (95, 95));
    }

    /// nla-wrong-password.pcap, stream 1: the client's negotiate went before the server's
    /// tickets.
    #[test]
    fn tickets_after_the_first_token_are_not_the_challenge() {
        let (c, s) = records(&[
            (C, 30, 110),
            (S, 32, 250),
            (S, 33, 250),
            (S, 34, 179),
            (C, 37, 450),
        ]);
        let x = name(&c, &s, record_overhead(0x0304, 0x1302), true, false);
        assert_eq!(
            named(&x),
            [
                (30, NtlmNegotiate),
                (32, SessionTicket),
                (33, SessionTicket),
                (34, NtlmChallenge),
                (37, NtlmAuthenticate)
            ]
        );
        assert_eq!(x.authentication().map(|m| m.frame), Some(37));
        assert_eq!(x.next_client, None);
    }

    /// freerdp-client-krb5.pcapng's records (TLS 1.2, AES-256-CBC-SHA, HYBRID), one copy of
    /// each: the large first token makes it Kerberos.
    #[test]
    fn kerberos_by_the_size_of_the_first_token() {
        let (c, s) = records(&[
            (C, 108, 1360),
            (S, 110, 224),
            (C, 114, 192),
            (S, 116, 144),
            (C, 120, 224),
            (C, 122, 496),
            (S, 126, 176),
        ]);
        let x = name(&c, &s, record_overhead(0x0303, 0x0035), false, false);
        assert_eq!(x.mechanism, Some(Mechanism::Kerberos));
        assert_eq!(
            named(&x),
            [
                (108, KerberosApReq),
                (110, KerberosApRep),
                (114, ClientPubKeyAuth),
                (116, ServerPubKeyAuth),
                (120, AuthInfo),
            ]
        );
        assert_eq!(x.next_client.map(|p| p.last_frame), Some(122));
        // Decrypted, the AP-REQ is 1320 bytes: within the range its record allows.
        let (least, most) = x.messages[0].plaintext;
        assert!(least <= 1320 && 1320 <= most, "{least}..{most}");
    }

    /// A server that answers the authentication with a TSRequest of some 16 bytes (TLS 1.2
    /// AES-GCM: a 40-byte record), after which nothing the client sends is CredSSP.
    #[test]
    fn a_small_answer_to_the_authentication_is_an_error_code() {
        let (c, s) = records(&[
            (C, 10, 80),
            (S, 11, 300),
            (C, 12, 600),
            (S, 13, 40),
            (C, 14, 200),
            (C, 15, 400),
        ]);
        let x = name(&c, &s, record_overhead(0x0303, 0xc030), false, false);
        assert_eq!(
            named(&x),
            [
                (10, NtlmNegotiate),
                (11, NtlmChallenge),
                (12, NtlmAuthenticate),
                (13, ErrorCode)
            ]
        );
        assert_eq!(x.find(ErrorCode).unwrap().plaintext, (16, 16));
        assert_eq!(x.next_client, None);
        // The same answer at its smallest pubKeyAuth size is an acceptance.
        let (c, s) = records(&[(C, 10, 80), (S, 11, 300), (C, 12, 600), (S, 13, 24 + 56)]);
        let x = name(&c, &s, record_overhead(0x0303, 0xc030), false, false);
        assert_eq!(x.messages.last().map(|m| m.message), Some(ServerPubKeyAuth));
    }

    #[test]
    fn early_user_authorization_is_four_bytes_after_the_credentials() {
        let (c, s) = records(&[
            (C, 1, 80),
            (S, 2, 300),
            (C, 3, 600),
            (S, 4, 100),
            (C, 5, 150),
            (S, 6, 4 + 24),
            (C, 7, 450),
        ]);
        let x = name(&c, &s, record_overhead(0x0303, 0xc02f), false, true);
        assert_eq!(
            x.messages.last().map(|m| m.message),
            Some(EarlyUserAuthorization)
        );
        assert_eq!(x.next_client.map(|p| p.last_frame), Some(7));
    }
}
