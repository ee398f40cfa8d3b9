//! The secrets a user gives to decrypt TLS: servers' RSA private keys (`--key`, PEM or DER,
//! PKCS#1 or PKCS#8), NSS key logs (`--keylog`, the `SSLKEYLOGFILE` format), and the key log
//! a pcapng file carries in its Decryption Secrets Block (pcapng §4.7, secrets type `TLSK`).
//!
//! A key is matched to a server by its certificate's public key (the RSA modulus), never
//! tried blindly; a key log line by the ClientHello's random. Neither the keys nor the
//! secrets ever reach the report, the terminal or a file: this type has no `Serialize`, and
//! its `Debug` prints counts only. What was never used is said in a warning at the end of the
//! run ([`Secrets::unused`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rsa::PrivateKey as RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rustc_hash::FxHashMap;
use zeroize::Zeroizing;

/// A server's RSA private key, with where it came from and whether a connection used it.
#[derive(Clone)]
pub struct ServerKey {
    /// The file it was read from, as the user named it.
    pub source: String,
    /// The public modulus, big-endian, without leading zero bytes.
    modulus: Vec<u8>,
    pub(crate) key: RsaPrivateKey,
    used: Arc<AtomicBool>,
}

/// The secrets an NSS key log gives for one ClientHello random (NSS "Key Log Format").
#[derive(Clone, Default)]
pub struct LoggedSecrets {
    /// `CLIENT_RANDOM`: the TLS 1.0–1.2 master secret (48 bytes).
    pub(crate) master: Option<Zeroizing<Vec<u8>>>,
    /// TLS 1.3 (RFC 8446 §7.1): `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`.
    pub(crate) client_handshake: Option<Zeroizing<Vec<u8>>>,
    pub(crate) server_handshake: Option<Zeroizing<Vec<u8>>>,
    pub(crate) client_traffic: Option<Zeroizing<Vec<u8>>>,
    pub(crate) server_traffic: Option<Zeroizing<Vec<u8>>>,
    used: Arc<AtomicBool>,
}

/// Every secret the run was given. A clone shares whether each secret was used, so that a
/// capture's own key log (its Decryption Secrets Block) is added to a copy of the run's.
#[derive(Clone, Default)]
pub struct Secrets {
    keys: Vec<ServerKey>,
    logged: FxHashMap<[u8; 32], LoggedSecrets>,
    /// `RSA` key log lines: the pre-master secret by the first 8 bytes of its encryption.
    premasters: FxHashMap<[u8; 8], Zeroizing<Vec<u8>>>,
    /// Where the key log lines came from, for the warnings.
    keylog_sources: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: a secret never reaches a log or a panic message.
        f.debug_struct("Secrets")
            .field("keys", &self.keys.len())
            .field("logged_randoms", &self.logged.len())
            .field("premasters", &self.premasters.len())
            .finish()
    }
}

impl Secrets {
    /// No secret at all: decryption is not tried.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.logged.is_empty() && self.premasters.is_empty()
    }

    /// Reads the RSA private keys of a key file: PEM blocks (`RSA PRIVATE KEY` is PKCS#1,
    /// `PRIVATE KEY` PKCS#8; a file may hold certificates and other text too) or one DER key.
    /// Returns how many keys it held, or why none could be read.
    pub fn add_key_file(&mut self, source: &str, bytes: &[u8]) -> Result<usize, String> {
        let mut found = Vec::new();
        let mut problems = Vec::new();
        if let Ok(text) = std::str::from_utf8(bytes)
            && text.contains("-----BEGIN")
        {
            for (label, block) in pem_blocks(text) {
                let key = match label {
                    "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(block).map_err(|e| e.to_string()),
                    "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(block).map_err(|e| e.to_string()),
                    "ENCRYPTED PRIVATE KEY" => Err(
                        "the key is protected by a passphrase: write it out in clear first (openssl pkey -in KEY -out plain.pem)".into(),
                    ),
                    _ => continue,
                };
                match key {
                    Ok(k) => found.push(k),
                    Err(e) => problems.push(format!("{label}: {e}")),
                }
            }
        } else if let Ok(k) = RsaPrivateKey::from_pkcs1_der(bytes) {
            found.push(k);
        } else if let Ok(k) = RsaPrivateKey::from_pkcs8_der(bytes) {
            found.push(k);
        }
        if found.is_empty() {
            return Err(if problems.is_empty() {
                "no RSA private key in it (expected PEM or DER, PKCS#1 or PKCS#8)".into()
            } else {
                problems.join("; ")
            });
        }
        let n = found.len();
        for key in found {
            let modulus = trimmed(&key.n().to_be_bytes());
            self.keys.push(ServerKey {
                source: source.to_string(),
                modulus,
                key,
                used: Arc::new(AtomicBool::new(false)),
            });
        }
        Ok(n)
    }

    /// Reads an NSS key log. Returns the lines used; lines of other labels (exporter and
    /// early secrets) are skipped; a line that does not read is counted in the second number.
    pub fn add_keylog(&mut self, source: &str, text: &str) -> (usize, usize) {
        let (mut used, mut bad) = (0, 0);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_ascii_whitespace();
            let (Some(label), Some(id), Some(secret), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                bad += 1;
                continue;
            };
            let (Some(id), Some(secret)) = (unhex(id), unhex(secret)) else {
                bad += 1;
                continue;
            };
            if label == "RSA" {
                if let Ok(prefix) = <[u8; 8]>::try_from(id.as_slice()) {
                    self.premasters.insert(prefix, Zeroizing::new(secret));
                    used += 1;
                } else {
                    bad += 1;
                }
                continue;
            }
            let Ok(random) = <[u8; 32]>::try_from(id.as_slice()) else {
                bad += 1;
                continue;
            };
            const LABELS: [&str; 5] = [
                "CLIENT_RANDOM",
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0",
            ];
            if !LABELS.contains(&label) {
                continue;
            }
            let entry = self.logged.entry(random).or_default();
            let slot = match label {
                "CLIENT_RANDOM" => &mut entry.master,
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_traffic,
                _ => &mut entry.server_traffic,
            };
            *slot = Some(Zeroizing::new(secret));
            used += 1;
        }
        if used > 0 && !self.keylog_sources.iter().any(|s| s == source) {
            self.keylog_sources.push(source.to_string());
        }
        (used, bad)
    }

    /// The key whose public modulus is `modulus` (a certificate's), marked used.
    pub(crate) fn key_for(&self, modulus: &[u8]) -> Option<&ServerKey> {
        let modulus = trimmed(modulus);
        let key = self.keys.iter().find(|k| k.modulus == modulus)?;
        key.used.store(true, Ordering::Relaxed);
        Some(key)
    }

    /// Whether any RSA key was given.
    pub(crate) fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Whether any key log line was given.
    pub fn has_keylog(&self) -> bool {
        !self.logged.is_empty() || !self.premasters.is_empty()
    }

    /// The key log's secrets for a ClientHello random, marked used.
    pub(crate) fn logged_for(&self, client_random: &[u8]) -> Option<&LoggedSecrets> {
        let s = self
            .logged
            .get(<&[u8; 32]>::try_from(client_random).ok()?)?;
        s.used.store(true, Ordering::Relaxed);
        Some(s)
    }

    /// A logged pre-master secret for an RSA-encrypted one.
    pub(crate) fn premaster_for(&self, encrypted: &[u8]) -> Option<&[u8]> {
        let prefix = <[u8; 8]>::try_from(encrypted.get(..8)?).ok()?;
        self.premasters.get(&prefix).map(|p| p.as_slice())
    }

    /// The secrets no connection of the run used: keys that matched no certificate, and the
    /// key log when none of its randoms was in a ClientHello.
    pub fn unused(&self) -> Unused {
        Unused {
            keys: self
                .keys
                .iter()
                .filter(|k| !k.used.load(Ordering::Relaxed))
                .map(|k| (k.source.clone(), k.modulus.len() * 8))
                .collect(),
            keylog: (!self.logged.is_empty()
                && !self.logged.values().any(|s| s.used.load(Ordering::Relaxed)))
            .then(|| (self.keylog_sources.clone(), self.logged.len())),
        }
    }
}

/// What of the secrets given no connection used (`diagnose::words::unused_secrets` says it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unused {
    /// Each key's file and its size in bits.
    pub keys: Vec<(String, usize)>,
    /// The key logs' files and how many client randoms they held.
    pub keylog: Option<(Vec<String>, usize)>,
}

/// The PEM blocks of a text: each block's label and its text from `-----BEGIN` to the end
/// of its `-----END` line (RFC 7468 §2).
fn pem_blocks(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN ") {
        let from = &rest[at..];
        let Some(label_end) = from[11..].find("-----") else {
            break;
        };
        let label = &from[11..11 + label_end];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = from.find(&end_marker) else {
            break;
        };
        let block_end = end + end_marker.len();
        out.push((label, &from[..block_end]));
        rest = &from[block_end..];
    }
    out
}

/// Big-endian bytes without leading zeros.
fn trimmed(b: &[u8]) -> Vec<u8> {
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

/// Hex text to bytes; `None` for an odd length or a non-hex character.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_log_lines_are_read_by_label() {
        let mut s = Secrets::default();
        let random = "11".repeat(32);
        let text = format!(
            "# comment\nCLIENT_RANDOM {random} {}\nSERVER_TRAFFIC_SECRET_0 {random} {}\nEXPORTER_SECRET {random} 00\nCLIENT_RANDOM zz 00\nRSA 0102030405060708 {}\n",
            "ab".repeat(48),
            "cd".repeat(32),
            "ef".repeat(48)
        );
        assert_eq!(s.add_keylog("k.log", &text), (3, 1));
        let got = s.logged_for(&[0x11; 32]).unwrap();
        assert_eq!(
            got.master.as_deref().map(Vec::as_slice),
            Some(&[0xab; 48][..])
        );
        assert_eq!(
            got.server_traffic.as_deref().map(Vec::as_slice),
            Some(&[0xcd; 32][..])
        );
        assert!(got.client_traffic.is_none());
        assert_eq!(
            s.premaster_for(&[1, 2, 3, 4, 5, 6, 7, 8, 9]),
            Some(&[0xef; 48][..])
        );
        assert_eq!(s.unused(), Unused::default(), "the random was used");
        assert_eq!(
            format!("{s:?}"),
            "Secrets { keys: 0, logged_randoms: 1, premasters: 1 }"
        );
    }

    #[test]
    fn key_files_say_why_they_hold_no_key() {
        let mut s = Secrets::default();
        let err = s.add_key_file("x.pem", b"hello").unwrap_err();
        assert!(err.contains("no RSA private key"), "{err}");
        let enc =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let err = s.add_key_file("e.pem", enc).unwrap_err();
        assert!(err.contains("passphrase"), "{err}");
        assert!(s.is_empty());
    }

    #[test]
    fn pem_blocks_are_found_among_other_text() {
        let text = "Bag Attributes\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\nx\n-----BEGIN RSA PRIVATE KEY-----\nBB\n-----END RSA PRIVATE KEY-----\n";
        let blocks = pem_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].0, "RSA PRIVATE KEY");
        assert!(blocks[1].1.ends_with("-----END RSA PRIVATE KEY-----"));
    }
}
