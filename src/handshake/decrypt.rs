//! TLS decryption of one connection with the secrets the user gave ([`Secrets`]): the
//! handshake's randoms, suite and key exchange read from the records sent in clear, the keys
//! derived, and each side's protected records opened in order (RFC 2246, RFC 4346, RFC 5246,
//! RFC 8446). What comes out is each side's plaintext records, for the CredSSP, MCS and
//! session decoders to read as they read bytes sent in clear.
//!
//! Written by hand: the TLS PRF (RFC 5246 §5, RFC 2246 §5), the key block (RFC 5246 §6.3),
//! the extended master secret (RFC 7627 §4), the TLS 1.3 key schedule glue (RFC 8446 §7.1,
//! §7.3) and record unprotection (RFC 5246 §6.2.3, RFC 7366 encrypt-then-MAC, RFC 5288,
//! RFC 7905, RFC 8446 §5.2): no crate reads a passive capture's TLS (rustls and OpenSSL must
//! be an endpoint). The ciphers, MACs, HKDF and RSA are the RustCrypto crates'.
//!
//! Every length is checked: a wrong key, a cut record or bad padding is a [`Fault`], never a
//! panic.

use aes_gcm::aead::{Aead, KeyInit as AeadKeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, StreamCipher};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use rsa::Pkcs1v15Encrypt;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};
use zeroize::Zeroizing;

use crate::tcp::Side;

use super::pdu::{Pdu, PduKind};
use super::secrets::Secrets;
use super::tls::content;

/// What a cipher suite needs to open records (RFC 5246 Appendix C, RFC 8446 Appendix B.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub exchange: Exchange,
    pub cipher: Cipher,
    /// The record MAC (block and stream ciphers); `None` for AEAD ciphers.
    pub mac: Option<Hash>,
    /// The PRF's hash under TLS 1.2, the transcript hash under TLS 1.3.
    pub prf: Hash,
}

/// How the pre-master secret was agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// Encrypted to the server's RSA key (RFC 5246 §7.4.7.1): the server's key decrypts it.
    Rsa,
    /// (EC)DHE, or TLS 1.3: only a key log can decrypt it.
    Ephemeral,
}

/// A record cipher (RFC 5246 §6.2.3, RFC 5288, RFC 7905, RFC 8446 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    Aes128Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    Rc4,
}

impl Cipher {
    fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Cbc | Cipher::Aes128Gcm | Cipher::Rc4 => 16,
            Cipher::Aes256Cbc | Cipher::Aes256Gcm | Cipher::ChaCha20Poly1305 => 32,
        }
    }

    /// The fixed IV's length in a TLS 1.2 key block (RFC 5288 §3, RFC 7905 §2); a CBC IV is
    /// in the key block under TLS 1.0 only (RFC 4346 §6.3).
    fn fixed_iv_len(self, version: u16) -> usize {
        match self {
            Cipher::Aes128Cbc | Cipher::Aes256Cbc if version <= TLS10 => 16,
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => 4,
            Cipher::ChaCha20Poly1305 => 12,
            _ => 0,
        }
    }
}

/// A hash, for the record MAC (HMAC, RFC 2104), the PRF (RFC 5246 §5) or HKDF (RFC 5869).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
}

impl Hash {
    fn len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Md5 => Md5::digest(data).to_vec(),
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
        }
    }
}

pub const TLS10: u16 = 0x0301;
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

/// The suites this module opens, by number (IANA TLS Cipher Suites registry).
pub fn suite(id: u16) -> Option<Suite> {
    use Cipher::*;
    use Exchange::*;
    use Hash::*;
    let (exchange, cipher, mac, prf) = match id {
        0x0004 => (Rsa, Rc4, Some(Md5), Sha256),
        0x0005 => (Rsa, Rc4, Some(Sha1), Sha256),
        0x002F => (Rsa, Aes128Cbc, Some(Sha1), Sha256),
        0x0035 => (Rsa, Aes256Cbc, Some(Sha1), Sha256),
        0x003C => (Rsa, Aes128Cbc, Some(Sha256), Sha256),
        0x003D => (Rsa, Aes256Cbc, Some(Sha256), Sha256),
        0x009C => (Rsa, Aes128Gcm, None, Sha256),
        0x009D => (Rsa, Aes256Gcm, None, Sha384),
        0x0033 | 0xC009 | 0xC013 => (Ephemeral, Aes128Cbc, Some(Sha1), Sha256),
        0x0039 | 0xC00A | 0xC014 => (Ephemeral, Aes256Cbc, Some(Sha1), Sha256),
        0x0067 | 0xC023 | 0xC027 => (Ephemeral, Aes128Cbc, Some(Sha256), Sha256),
        0x006B => (Ephemeral, Aes256Cbc, Some(Sha256), Sha256),
        0xC024 | 0xC028 => (Ephemeral, Aes256Cbc, Some(Sha384), Sha384),
        0x009E | 0xC02B | 0xC02F => (Ephemeral, Aes128Gcm, None, Sha256),
        0x009F | 0xC02C | 0xC030 => (Ephemeral, Aes256Gcm, None, Sha384),
        0xCCA8..=0xCCAA => (Ephemeral, ChaCha20Poly1305, None, Sha256),
        0xC011 | 0xC007 => (Ephemeral, Rc4, Some(Sha1), Sha256),
        0x1301 => (Ephemeral, Aes128Gcm, None, Sha256),
        0x1302 => (Ephemeral, Aes256Gcm, None, Sha384),
        0x1303 => (Ephemeral, ChaCha20Poly1305, None, Sha256),
        _ => return None,
    };
    Some(Suite {
        id,
        exchange,
        cipher,
        mac,
        prf,
    })
}

/// Why a record did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Shorter than its explicit IV, tag or MAC, or not whole blocks.
    TooShort,
    /// The padding bytes do not say what TLS says they must (RFC 5246 §6.2.3.2).
    BadPadding,
    /// The MAC or the AEAD tag did not verify: the secrets are not this connection's.
    NotAuthentic,
    /// Bytes of the record were never captured.
    NotCaptured,
    /// A second ChangeCipherSpec: the session renegotiated its keys (RFC 5746).
    Renegotiated,
    /// No secret for this side (a key log without its TLS 1.3 lines).
    NoSecret,
}

// ---------------------------------------------------------------------------------------
// Key derivation

fn hmac(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    macro_rules! run {
        ($h:ty) => {{
            match <Hmac<$h> as KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    for p in parts {
                        m.update(p);
                    }
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }};
    }
    match hash {
        Hash::Md5 => run!(Md5),
        Hash::Sha1 => run!(Sha1),
        Hash::Sha256 => run!(Sha256),
        Hash::Sha384 => run!(Sha384),
    }
}

/// P_hash (RFC 5246 §5).
fn p_hash(hash: Hash, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    let mut a = hmac(hash, secret, &[seed]);
    while out.len() < len && !a.is_empty() {
        out.extend(hmac(hash, secret, &[&a, seed]));
        a = hmac(hash, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// The TLS PRF: TLS 1.2's `P_<hash>` (RFC 5246 §5), TLS 1.0 and 1.1's P_MD5 ⊕ P_SHA1 over the
/// secret's two halves (RFC 2246 §5).
pub fn prf(
    version: u16,
    hash: Hash,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let mut full = label.to_vec();
    full.extend_from_slice(seed);
    if version >= TLS12 {
        return Zeroizing::new(p_hash(hash, secret, &full, len));
    }
    let half = secret.len().div_ceil(2);
    let s1 = &secret[..half];
    let s2 = &secret[secret.len() - half..];
    let mut out = p_hash(Hash::Md5, s1, &full, len);
    for (o, x) in out.iter_mut().zip(p_hash(Hash::Sha1, s2, &full, len)) {
        *o ^= x;
    }
    Zeroizing::new(out)
}

/// The handshake transcript's hash for the extended master secret (RFC 7627 §3): MD5 ‖ SHA-1
/// before TLS 1.2, the PRF's hash from it.
fn session_hash(version: u16, hash: Hash, transcript: &[u8]) -> Vec<u8> {
    if version >= TLS12 {
        hash.digest(transcript)
    } else {
        let mut h = Hash::Md5.digest(transcript);
        h.extend(Hash::Sha1.digest(transcript));
        h
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(hash: Hash, secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label.as_bytes());
    info.push(0);
    let mut out = vec![0u8; len];
    match hash {
        Hash::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        Hash::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        _ => return None,
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Record protection

/// One direction's record protection: its keys and sequence number.
pub struct Protection {
    suite: Suite,
    version: u16,
    key: Zeroizing<Vec<u8>>,
    iv: Zeroizing<Vec<u8>>,
    mac_key: Zeroizing<Vec<u8>>,
    /// Encrypt-then-MAC was negotiated (RFC 7366).
    etm: bool,
    rc4: Option<rc4::Rc4>,
    seq: u64,
}

impl Protection {
    /// TLS 1.0–1.2: one side's keys from the key block (RFC 5246 §6.3).
    pub fn from_key_block(
        suite: Suite,
        version: u16,
        block: &[u8],
        side: Side,
        etm: bool,
    ) -> Option<Protection> {
        let mac_len = suite.mac.map_or(0, Hash::len);
        let key_len = suite.cipher.key_len();
        let iv_len = suite.cipher.fixed_iv_len(version);
        let mut at = 0;
        let mut take = |n: usize| {
            let s = block.get(at..at + n).map(|b| Zeroizing::new(b.to_vec()));
            at += n;
            s
        };
        let (c_mac, s_mac) = (take(mac_len)?, take(mac_len)?);
        let (c_key, s_key) = (take(key_len)?, take(key_len)?);
        let (c_iv, s_iv) = (take(iv_len)?, take(iv_len)?);
        let (mac_key, key, iv) = match side {
            Side::Client => (c_mac, c_key, c_iv),
            Side::Server => (s_mac, s_key, s_iv),
        };
        let rc4 = (suite.cipher == Cipher::Rc4)
            .then(|| <rc4::Rc4 as cbc::cipher::KeyInit>::new_from_slice(&key).ok())
            .flatten();
        Some(Protection {
            suite,
            version,
            key,
            iv,
            mac_key,
            etm,
            rc4,
            seq: 0,
        })
    }

    /// TLS 1.3: keys from a traffic secret (RFC 8446 §7.3).
    pub fn from_traffic_secret(suite: Suite, secret: &[u8]) -> Option<Protection> {
        Some(Protection {
            suite,
            version: TLS13,
            key: Zeroizing::new(expand_label(
                suite.prf,
                secret,
                "key",
                suite.cipher.key_len(),
            )?),
            iv: Zeroizing::new(expand_label(suite.prf, secret, "iv", 12)?),
            mac_key: Zeroizing::new(Vec::new()),
            etm: false,
            rc4: None,
            seq: 0,
        })
    }

    /// Opens one record (its 5-byte header and fragment): its content type and plaintext.
    pub fn open(&mut self, header: &[u8], fragment: &[u8]) -> Result<(u8, Vec<u8>), Fault> {
        let content_type = *header.first().ok_or(Fault::TooShort)?;
        let seq = self.seq;
        self.seq += 1;
        if self.version >= TLS13 {
            let mut plain = self.aead(&self.nonce_xor(seq), header, fragment)?;
            // TLSInnerPlaintext (RFC 8446 §5.2): content, the real type, zero padding.
            while plain.last() == Some(&0) {
                plain.pop();
            }
            let inner = plain.pop().ok_or(Fault::NotAuthentic)?;
            return Ok((inner, plain));
        }
        let aad = |len: usize| {
            let mut a = seq.to_be_bytes().to_vec();
            a.push(content_type);
            a.extend_from_slice(&self.version.to_be_bytes());
            a.extend_from_slice(&(len as u16).to_be_bytes());
            a
        };
        match self.suite.cipher {
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => {
                // RFC 5288 §3: the 4-byte salt, then the record's 8-byte explicit nonce.
                let explicit = fragment.get(..8).ok_or(Fault::TooShort)?;
                let sealed = &fragment[8..];
                let len = sealed.len().checked_sub(16).ok_or(Fault::TooShort)?;
                let mut nonce = self.iv.to_vec();
                nonce.extend_from_slice(explicit);
                let plain = self.aead(&nonce, &aad(len), sealed)?;
                Ok((content_type, plain))
            }
            Cipher::ChaCha20Poly1305 => {
                let len = fragment.len().checked_sub(16).ok_or(Fault::TooShort)?;
                let plain = self.aead(&self.nonce_xor(seq), &aad(len), fragment)?;
                Ok((content_type, plain))
            }
            Cipher::Rc4 => {
                let mut plain = fragment.to_vec();
                if let Some(rc4) = self.rc4.as_mut() {
                    rc4.apply_keystream(&mut plain);
                }
                let mac_len = self.mac_key.len();
                let len = plain.len().checked_sub(mac_len).ok_or(Fault::TooShort)?;
                let mac = plain.split_off(len);
                self.verify(&aad(len), &plain, &mac)?;
                Ok((content_type, plain))
            }
            Cipher::Aes128Cbc | Cipher::Aes256Cbc => {
                let mac_len = self.mac_key.len();
                let body = if self.etm {
                    // RFC 7366 §3: the MAC covers IV and ciphertext, and comes last.
                    let len = fragment.len().checked_sub(mac_len).ok_or(Fault::TooShort)?;
                    let (body, mac) = fragment.split_at(len);
                    self.verify(&aad(len), body, mac)?;
                    body
                } else {
                    fragment
                };
                let (iv, sealed) = if self.version <= TLS10 {
                    (self.iv.to_vec(), body)
                } else {
                    let iv = body.get(..16).ok_or(Fault::TooShort)?;
                    (iv.to_vec(), &body[16..])
                };
                if sealed.is_empty() || sealed.len() % 16 != 0 {
                    return Err(Fault::TooShort);
                }
                if self.version <= TLS10 {
                    // RFC 2246 §6.2.3.2: the next record's IV is this one's last block.
                    self.iv = Zeroizing::new(sealed[sealed.len() - 16..].to_vec());
                }
                let mut buf = sealed.to_vec();
                let ok = match self.suite.cipher {
                    Cipher::Aes128Cbc => {
                        cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, &iv)
                            .ok()
                            .and_then(|d| d.decrypt_padded::<NoPadding>(&mut buf).ok().map(|_| ()))
                    }
                    _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, &iv)
                        .ok()
                        .and_then(|d| d.decrypt_padded::<NoPadding>(&mut buf).ok().map(|_| ())),
                };
                ok.ok_or(Fault::TooShort)?;
                let pad = *buf.last().ok_or(Fault::TooShort)? as usize;
                let unpadded = buf.len().checked_sub(pad + 1).ok_or(Fault::BadPadding)?;
                if buf[unpadded..].iter().any(|&b| b as usize != pad) {
                    return Err(Fault::BadPadding);
                }
                buf.truncate(unpadded);
                if !self.etm {
                    let len = buf.len().checked_sub(mac_len).ok_or(Fault::TooShort)?;
                    let mac = buf.split_off(len);
                    self.verify(&aad(len), &buf, &mac)?;
                }
                Ok((content_type, buf))
            }
        }
    }

    /// The per-record nonce of RFC 7905 §2 and RFC 8446 §5.3: the IV XOR the sequence number.
    fn nonce_xor(&self, seq: u64) -> Vec<u8> {
        let mut nonce = self.iv.to_vec();
        let n = nonce.len();
        for (i, b) in seq.to_be_bytes().iter().enumerate() {
            if let Some(x) = (n + i).checked_sub(8).and_then(|j| nonce.get_mut(j)) {
                *x ^= b;
            }
        }
        nonce
    }

    fn aead(&self, nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Fault> {
        if nonce.len() != 12 {
            return Err(Fault::TooShort);
        }
        let payload = Payload { msg: sealed, aad };
        let opened = match self.suite.cipher {
            Cipher::Aes128Gcm => Aes128Gcm::new_from_slice(&self.key)
                .ok()
                .and_then(|c| c.decrypt(nonce.try_into().ok()?, payload).ok()),
            Cipher::Aes256Gcm => Aes256Gcm::new_from_slice(&self.key)
                .ok()
                .and_then(|c| c.decrypt(nonce.try_into().ok()?, payload).ok()),
            Cipher::ChaCha20Poly1305 => ChaCha20Poly1305::new_from_slice(&self.key)
                .ok()
                .and_then(|c| c.decrypt(nonce.try_into().ok()?, payload).ok()),
            _ => None,
        };
        opened.ok_or(Fault::NotAuthentic)
    }

    fn verify(&self, header: &[u8], data: &[u8], mac: &[u8]) -> Result<(), Fault> {
        let hash = self.suite.mac.ok_or(Fault::NotAuthentic)?;
        let want = hmac(hash, &self.mac_key, &[header, data]);
        if want.len() == mac.len() && want == mac {
            Ok(())
        } else {
            Err(Fault::NotAuthentic)
        }
    }
}

// ---------------------------------------------------------------------------------------
// A connection

/// One record after decryption. Its `Debug` shows the plaintext's length only: a Client
/// Info PDU carries a password.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainRecord {
    pub side: Side,
    /// The content type (for TLS 1.3, the inner one).
    pub content: u8,
    pub first_frame: u64,
    pub last_frame: u64,
    pub first_ts_ns: i64,
    pub ts_ns: i64,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for PlainRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainRecord")
            .field("side", &self.side)
            .field("content", &self.content)
            .field("first_frame", &self.first_frame)
            .field("last_frame", &self.last_frame)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Which secret opened a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The server's RSA key, from this file.
    ServerKey(String),
    /// A key log line for the ClientHello's random (or an `RSA` pre-master line).
    KeyLog,
}

/// A connection's plaintext records, each side in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decrypted {
    pub source: KeySource,
    pub suite: u16,
    pub version: u16,
    pub client: Vec<PlainRecord>,
    pub server: Vec<PlainRecord>,
    /// A side whose records stopped opening: the side, the record's frame and why.
    pub stopped: Option<(Side, u64, Fault)>,
}

/// Why a connection with a TLS handshake was not decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotDecrypted {
    /// The ClientHello or ServerHello was not captured.
    HandshakeMissing,
    /// A suite this module does not open (3DES, CCM, …).
    UnsupportedSuite(u16),
    /// RSA key exchange, keys were given, but none matches the certificate.
    NoMatchingKey,
    /// RSA key exchange, but the server's certificate or the ClientKeyExchange was not
    /// captured.
    KeyExchangeMissing,
    /// An ephemeral key exchange, and no key log line for the ClientHello's random.
    NotInKeyLog { ephemeral: bool },
    /// The key decrypted no well-formed pre-master secret.
    PremasterRejected,
    /// The derived keys did not open the first record: the secrets are not this connection's.
    WrongSecrets(Side, u64, Fault),
    /// A resumed session (no key exchange) whose master secret is in no key log.
    Resumed,
    /// TLS 1.3: the key log holds no traffic secret of this side.
    MissingSecret(Side),
    /// SSL 3.0, which this module does not open.
    UnsupportedVersion(u16),
    /// The first records opened, then one of this side did not (at this frame): the rest
    /// is not read.
    Stopped(Side, u64, Fault),
}

/// A TLS handshake message sent in clear: its type and whole bytes (header included).
struct ClearMessage<'a> {
    kind: u8,
    raw: &'a [u8],
}

/// The handshake messages of one side's clear handshake records, and the index of the first
/// record after its ChangeCipherSpec (or after the ServerHello of TLS 1.3).
fn clear_handshake(records: &[(Pdu, &[u8])]) -> Vec<u8> {
    let mut buf = Vec::new();
    for (p, bytes) in records {
        match p.kind {
            PduKind::Tls(content::HANDSHAKE) => {
                buf.extend_from_slice(bytes.get(5..).unwrap_or(&[]))
            }
            PduKind::Tls(content::CHANGE_CIPHER_SPEC) => break,
            _ => {}
        }
    }
    buf
}

fn messages(buf: &[u8]) -> Vec<ClearMessage<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = buf.get(at..at + 4) {
        let len = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
        let Some(raw) = buf.get(at..at + 4 + len) else {
            break;
        };
        out.push(ClearMessage { kind: h[0], raw });
        at += 4 + len;
    }
    out
}

/// What the hellos say (RFC 5246 §7.4.1, RFC 8446 §4.1).
struct Hellos {
    client_random: Vec<u8>,
    server_random: Vec<u8>,
    version: u16,
    suite: u16,
    etm: bool,
    ems: bool,
}

fn hellos(client: &[ClearMessage<'_>], server: &[ClearMessage<'_>]) -> Option<Hellos> {
    use tls_parser::{TlsMessage, TlsMessageHandshake};
    let ch = client.iter().find(|m| m.kind == 1)?;
    let sh = server.iter().rev().find(|m| m.kind == 2)?;
    let client_random = match tls_parser::parse_tls_message_handshake(ch.raw).ok()?.1 {
        TlsMessage::Handshake(TlsMessageHandshake::ClientHello(c)) => c.random.to_vec(),
        _ => return None,
    };
    let TlsMessage::Handshake(TlsMessageHandshake::ServerHello(s)) =
        tls_parser::parse_tls_message_handshake(sh.raw).ok()?.1
    else {
        return None;
    };
    let mut h = Hellos {
        client_random,
        server_random: s.random.to_vec(),
        version: s.version.0,
        suite: s.cipher.0,
        etm: false,
        ems: false,
    };
    // The extensions by hand (RFC 8446 §4.2: a type and a length each): the three read here
    // carry no more than a version.
    let mut ext = s.ext.unwrap_or(&[]);
    while let [t0, t1, l0, l1, rest @ ..] = ext {
        let (kind, len) = (
            u16::from_be_bytes([*t0, *t1]),
            u16::from_be_bytes([*l0, *l1]) as usize,
        );
        let Some(body) = rest.get(..len) else { break };
        match kind {
            // supported_versions (RFC 8446 §4.2.1): the selected version.
            43 if len == 2 => h.version = u16::from_be_bytes([body[0], body[1]]),
            22 => h.etm = true,
            23 => h.ems = true,
            _ => {}
        }
        ext = &rest[len..];
    }
    (h.client_random.len() == 32 && h.server_random.len() == 32).then_some(h)
}

/// The leaf certificate's RSA modulus (RFC 5280 §4.1.2.7, RFC 8017 §A.1.1).
fn certificate_modulus(server: &[ClearMessage<'_>]) -> Option<Vec<u8>> {
    let cert = server.iter().find(|m| m.kind == 11)?;
    // Certificate: 3-byte list length, then 3-byte length and DER per certificate.
    let body = cert.raw.get(4..)?;
    let len = u32::from_be_bytes([0, *body.get(3)?, *body.get(4)?, *body.get(5)?]) as usize;
    let der = body.get(6..6 + len)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(der).ok()?;
    match parsed.public_key().parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(k) => Some(k.modulus.to_vec()),
        _ => None,
    }
}

/// TLS 1.3's server Certificate message (RFC 8446 §4.4.2), read from the server's decrypted
/// handshake records: the frame of the record that completed it, the leaf's DER and the
/// chain's length.
pub fn tls13_certificate(server: &[PlainRecord]) -> Option<(u64, Vec<u8>, usize)> {
    let mut buf = Vec::new();
    for r in server.iter().filter(|r| r.content == content::HANDSHAKE) {
        buf.extend_from_slice(&r.data);
        let Some(m) = messages(&buf).into_iter().find(|m| m.kind == 11) else {
            continue;
        };
        // certificate_request_context<0..255>, then certificate_list<0..2^24-1> of
        // CertificateEntry { cert_data<1..2^24-1>, extensions<0..2^16-1> }.
        let body = m.raw.get(4..)?;
        let ctx = *body.first()? as usize;
        let list = body.get(1 + ctx + 3..)?;
        let mut at = 0;
        let mut certs: Vec<&[u8]> = Vec::new();
        while let Some(h) = list.get(at..at + 3) {
            let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
            let Some(der) = list.get(at + 3..at + 3 + len) else {
                break;
            };
            certs.push(der);
            at += 3 + len;
            let Some(e) = list.get(at..at + 2) else { break };
            at += 2 + u16::from_be_bytes([e[0], e[1]]) as usize;
        }
        return certs
            .first()
            .map(|leaf| (r.last_frame, leaf.to_vec(), certs.len()));
    }
    None
}

/// Decrypts one connection's TLS with `secrets`: `client` and `server` are each side's units
/// with their bytes, from the first TLS record on.
pub fn decrypt(
    secrets: &Secrets,
    client: &[(Pdu, &[u8])],
    server: &[(Pdu, &[u8])],
) -> Result<Decrypted, NotDecrypted> {
    let c_hs = clear_handshake(client);
    let s_hs = clear_handshake(server);
    let (c_msgs, s_msgs) = (messages(&c_hs), messages(&s_hs));
    let h = hellos(&c_msgs, &s_msgs).ok_or(NotDecrypted::HandshakeMissing)?;
    if h.version < TLS10 {
        return Err(NotDecrypted::UnsupportedVersion(h.version));
    }
    // The server's key, when one given matches its certificate (sent in clear before TLS
    // 1.3): matched even where the key exchange is ephemeral, so that the warning says so
    // rather than that the key matches no server.
    let server_key = (h.version < TLS13 && secrets.has_keys())
        .then(|| certificate_modulus(&s_msgs))
        .flatten()
        .and_then(|m| secrets.key_for(&m));
    let suite = suite(h.suite).ok_or(NotDecrypted::UnsupportedSuite(h.suite))?;
    let logged = secrets.logged_for(&h.client_random);

    if h.version >= TLS13 {
        let logged = logged.ok_or(NotDecrypted::NotInKeyLog { ephemeral: true })?;
        let keys = |hs: &Option<Zeroizing<Vec<u8>>>, app: &Option<Zeroizing<Vec<u8>>>| SideKeys {
            handshake: hs
                .as_ref()
                .and_then(|s| Protection::from_traffic_secret(suite, s)),
            application: app
                .as_ref()
                .and_then(|s| Protection::from_traffic_secret(suite, s)),
        };
        let c_keys = keys(&logged.client_handshake, &logged.client_traffic);
        let s_keys = keys(&logged.server_handshake, &logged.server_traffic);
        let (c_plain, c_stop) = open_side(Side::Client, client, c_keys, true);
        let (s_plain, s_stop) = open_side(Side::Server, server, s_keys, true);
        return finish(KeySource::KeyLog, &h, (c_plain, c_stop), (s_plain, s_stop));
    }

    let resumed = !c_msgs.iter().any(|m| m.kind == 16);
    let (master, source) = match logged.and_then(|l| l.master.clone()) {
        Some(m) => (m, KeySource::KeyLog),
        None if resumed => return Err(NotDecrypted::Resumed),
        None => {
            if suite.exchange == Exchange::Ephemeral {
                return Err(NotDecrypted::NotInKeyLog { ephemeral: true });
            }
            let cke = c_msgs
                .iter()
                .find(|m| m.kind == 16)
                .ok_or(NotDecrypted::KeyExchangeMissing)?;
            // EncryptedPreMasterSecret: a 2-byte length from TLS 1.0 on (RFC 5246 §7.4.7.1).
            let body = cke.raw.get(4..).unwrap_or(&[]);
            let encrypted = match body.get(..2) {
                Some(l) if u16::from_be_bytes([l[0], l[1]]) as usize == body.len() - 2 => {
                    &body[2..]
                }
                _ => body,
            };
            let (premaster, source) = if let Some(pm) = secrets.premaster_for(encrypted) {
                (Zeroizing::new(pm.to_vec()), KeySource::KeyLog)
            } else {
                if !secrets.has_keys() {
                    return Err(NotDecrypted::NotInKeyLog { ephemeral: false });
                }
                if certificate_modulus(&s_msgs).is_none() {
                    return Err(NotDecrypted::KeyExchangeMissing);
                }
                let key = server_key.ok_or(NotDecrypted::NoMatchingKey)?;
                let pm = key
                    .key
                    .decrypt(Pkcs1v15Encrypt, encrypted)
                    .map_err(|_| NotDecrypted::PremasterRejected)?;
                (Zeroizing::new(pm), KeySource::ServerKey(key.source.clone()))
            };
            if premaster.len() != 48 {
                return Err(NotDecrypted::PremasterRejected);
            }
            let master = if h.ems {
                // The transcript up to and including the ClientKeyExchange (RFC 7627 §3).
                let mut transcript = Vec::new();
                let upto = c_msgs.iter().position(|m| m.kind == 16).unwrap_or(0);
                transcript.extend_from_slice(c_msgs.first().map_or(&[][..], |m| m.raw));
                // The server's flight up to its ServerHelloDone: a NewSessionTicket, sent in
                // clear after the client's Finished, is not part of it.
                let done = s_msgs
                    .iter()
                    .position(|m| m.kind == 14)
                    .unwrap_or(s_msgs.len());
                for m in s_msgs.iter().take(done + 1) {
                    transcript.extend_from_slice(m.raw);
                }
                for m in c_msgs.iter().take(upto + 1).skip(1) {
                    transcript.extend_from_slice(m.raw);
                }
                let hash = session_hash(h.version, suite.prf, &transcript);
                prf(
                    h.version,
                    suite.prf,
                    &premaster,
                    b"extended master secret",
                    &hash,
                    48,
                )
            } else {
                let mut seed = h.client_random.clone();
                seed.extend_from_slice(&h.server_random);
                prf(
                    h.version,
                    suite.prf,
                    &premaster,
                    b"master secret",
                    &seed,
                    48,
                )
            };
            (master, source)
        }
    };
    let mut seed = h.server_random.clone();
    seed.extend_from_slice(&h.client_random);
    let block_len = 2
        * (suite.mac.map_or(0, Hash::len)
            + suite.cipher.key_len()
            + suite.cipher.fixed_iv_len(h.version));
    let block = prf(
        h.version,
        suite.prf,
        &master,
        b"key expansion",
        &seed,
        block_len,
    );
    let side_keys = |side| SideKeys {
        handshake: None,
        application: Protection::from_key_block(
            suite,
            h.version,
            &block,
            side,
            h.etm && suite.mac.is_some() && suite.cipher != Cipher::Rc4,
        ),
    };
    let c = open_side(Side::Client, client, side_keys(Side::Client), false);
    let s = open_side(Side::Server, server, side_keys(Side::Server), false);
    finish(source, &h, c, s)
}

type SideResult = (Vec<PlainRecord>, Option<(u64, Fault)>);

fn finish(
    source: KeySource,
    h: &Hellos,
    c: SideResult,
    s: SideResult,
) -> Result<Decrypted, NotDecrypted> {
    // A side none of whose records opened: its secret missing, its bytes never captured,
    // or secrets that are not this connection's.
    for (side, (plain, stop)) in [(Side::Client, &c), (Side::Server, &s)] {
        match (plain.is_empty(), stop) {
            (true, Some((_, Fault::NoSecret))) => return Err(NotDecrypted::MissingSecret(side)),
            (true, Some((frame, Fault::NotCaptured))) => {
                return Err(NotDecrypted::Stopped(side, *frame, Fault::NotCaptured));
            }
            (true, Some((frame, fault))) => {
                return Err(NotDecrypted::WrongSecrets(side, *frame, *fault));
            }
            _ => {}
        }
    }
    let stopped =
        c.1.map(|(f, x)| (Side::Client, f, x))
            .or(s.1.map(|(f, x)| (Side::Server, f, x)));
    Ok(Decrypted {
        source,
        suite: h.suite,
        version: h.version,
        client: c.0,
        server: s.0,
        stopped,
    })
}

/// The keys of one side: TLS 1.0–1.2's one protection, or TLS 1.3's handshake and application
/// traffic keys, each present when its secret was logged.
pub struct SideKeys {
    pub handshake: Option<Protection>,
    pub application: Option<Protection>,
}

/// Opens one side's protected records in order. Under TLS 1.3 the handshake keys open the
/// records up to the side's Finished (found in the handshake plaintext, which a message may
/// span records of), the application keys those after it; without the handshake keys, the
/// records before the first the application keys open are skipped.
fn open_side(side: Side, records: &[(Pdu, &[u8])], keys: SideKeys, tls13: bool) -> SideResult {
    let SideKeys {
        handshake,
        mut application,
    } = keys;
    let had_protected = |records: &[(Pdu, &[u8])]| -> Option<u64> {
        let mut after_ccs = false;
        records.iter().find_map(|(p, _)| {
            let PduKind::Tls(kind) = p.kind else {
                return None;
            };
            let protected = if tls13 {
                kind == content::APPLICATION_DATA
            } else {
                let was = after_ccs && kind != content::CHANGE_CIPHER_SPEC;
                after_ccs |= kind == content::CHANGE_CIPHER_SPEC;
                was
            };
            protected.then_some(p.first_frame)
        })
    };
    let skipping_handshake = tls13 && handshake.is_none();
    let Some(mut current) = handshake.or_else(|| application.take()) else {
        // No key for this side: say so when it sent protected records.
        return (
            Vec::new(),
            had_protected(records).map(|f| (f, Fault::NoSecret)),
        );
    };
    let mut out: Vec<PlainRecord> = Vec::new();
    let mut protected = false;
    let mut handshake_plain: Vec<u8> = Vec::new();
    for (p, bytes) in records {
        let PduKind::Tls(kind) = p.kind else { continue };
        if !tls13 {
            if !protected {
                protected = kind == content::CHANGE_CIPHER_SPEC;
                continue;
            }
            // A second ChangeCipherSpec (renegotiation) changes keys this cannot follow.
            if kind == content::CHANGE_CIPHER_SPEC {
                return (out, Some((p.first_frame, Fault::Renegotiated)));
            }
        } else if kind != content::APPLICATION_DATA {
            // TLS 1.3: records in clear (hellos, the compatibility ChangeCipherSpec, alerts
            // sent before the keys).
            continue;
        }
        // A record the capture (or the payload cap) cuts off ends what can be read, as its
        // bytes in clear would; bytes never captured inside one stop decryption.
        if !p.complete {
            return (out, None);
        }
        if p.has_hole {
            return (out, Some((p.first_frame, Fault::NotCaptured)));
        }
        let (header, fragment) = bytes.split_at(5.min(bytes.len()));
        let opened = match current.open(header, fragment) {
            // Only the application keys: the handshake records before them do not open.
            Err(Fault::NotAuthentic) if skipping_handshake && out.is_empty() => {
                current.seq = 0;
                continue;
            }
            r => r,
        };
        match opened {
            Ok((content_type, data)) => {
                // TLS 1.3: the side's Finished, in its handshake plaintext, ends the keys.
                let mut finished = false;
                if tls13 && content_type == content::HANDSHAKE {
                    handshake_plain.extend_from_slice(&data);
                    finished = messages(&handshake_plain).iter().any(|m| m.kind == 20);
                }
                out.push(PlainRecord {
                    side,
                    content: content_type,
                    first_frame: p.first_frame,
                    last_frame: p.last_frame,
                    first_ts_ns: p.first_ts_ns,
                    ts_ns: p.ts_ns,
                    data,
                });
                if finished && let Some(next) = application.take() {
                    current = next;
                    handshake_plain.clear();
                }
            }
            Err(fault) => return (out, Some((p.last_frame, fault))),
        }
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5246's PRF over SHA-256, the test vector published with it on the IETF TLS list
    /// (secret 9b be 43 6b…, label "test label").
    #[test]
    fn tls12_prf_matches_the_published_vector() {
        let secret = unhex("9bbe436ba940f017b17652849a71db35");
        let seed = unhex("a0ba9f936cda311827a6f796ffd5198c");
        let out = prf(TLS12, Hash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            hex(&out[..32]),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        );
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn nonces_xor_the_sequence_number_into_the_iv_end() {
        let suite = suite(0x1301).unwrap();
        let p = Protection {
            suite,
            version: TLS13,
            key: Zeroizing::new(vec![0; 16]),
            iv: Zeroizing::new(vec![0xff; 12]),
            mac_key: Zeroizing::new(vec![]),
            etm: false,
            rc4: None,
            seq: 0,
        };
        let n = p.nonce_xor(0x0102);
        assert_eq!(hex(&n), "fffffffffffffffffffffefd");
    }

    #[test]
    fn records_that_do_not_open_are_faults_not_panics() {
        for id in [
            0x002F, 0x0035, 0x003C, 0x009C, 0x009D, 0xC030, 0xCCA8, 0x0005, 0x0004,
        ] {
            let s = suite(id).unwrap();
            for version in [TLS10, 0x0302, TLS12] {
                for etm in [false, true] {
                    let block = vec![7u8; 256];
                    let mut p =
                        Protection::from_key_block(s, version, &block, Side::Client, etm).unwrap();
                    for len in [0usize, 1, 15, 16, 17, 31, 32, 48, 64, 100] {
                        let fragment = vec![0x42u8; len];
                        let header = [23, 3, 3, 0, len as u8];
                        assert!(
                            p.open(&header, &fragment).is_err(),
                            "{id:04x} {version:04x} {len}"
                        );
                        assert!(p.open(&[], &fragment).is_err());
                    }
                }
            }
        }
        for id in [0x1301, 0x1302, 0x1303] {
            let s = suite(id).unwrap();
            let secret = vec![1u8; s.prf.len()];
            let mut p = Protection::from_traffic_secret(s, &secret).unwrap();
            for len in [0usize, 5, 16, 17, 40] {
                assert!(p.open(&[23, 3, 3, 0, len as u8], &vec![0; len]).is_err());
            }
        }
    }

    /// Seals `plain` as a TLS 1.2 record of `suite` with the client keys of `block`, the way
    /// RFC 5246 §6.2.3 says (MAC-then-encrypt), for the suites no capture here uses.
    fn seal(suite: Suite, block: &[u8], seq: u64, plain: &[u8]) -> Vec<u8> {
        let p = Protection::from_key_block(suite, TLS12, block, Side::Client, false).unwrap();
        let mut header = seq.to_be_bytes().to_vec();
        header.push(23);
        header.extend(TLS12.to_be_bytes());
        header.extend((plain.len() as u16).to_be_bytes());
        let mut data = plain.to_vec();
        data.extend(hmac(suite.mac.unwrap(), &p.mac_key, &[&header, plain]));
        match suite.cipher {
            Cipher::Rc4 => {
                let mut rc4 = <rc4::Rc4 as cbc::cipher::KeyInit>::new_from_slice(&p.key).unwrap();
                rc4.apply_keystream(&mut data);
                data
            }
            _ => {
                use cbc::cipher::{BlockModeEncrypt, block_padding::NoPadding};
                let pad = 15 - data.len() % 16;
                data.extend(std::iter::repeat_n(pad as u8, pad + 1));
                let iv = [0x24u8; 16];
                let mut out = iv.to_vec();
                let enc = cbc::Encryptor::<aes::Aes256>::new_from_slices(&p.key, &iv).unwrap();
                let len = data.len();
                let sealed = enc
                    .encrypt_padded::<NoPadding>(&mut data, len)
                    .unwrap()
                    .to_vec();
                out.extend(sealed);
                out
            }
        }
    }

    #[test]
    fn rc4_and_cbc_sha384_records_open_to_what_was_sealed() {
        let block: Vec<u8> = (0..=255u8).collect();
        for id in [0x0005, 0x0004, 0xC028] {
            let s = suite(id).unwrap();
            let plain = b"\x30\x0e\xa0\x03\x02\x01\x06 a TSRequest".to_vec();
            let sealed = seal(s, &block, 0, &plain);
            let mut p = Protection::from_key_block(s, TLS12, &block, Side::Client, false).unwrap();
            let header = [23, 3, 3, (sealed.len() >> 8) as u8, sealed.len() as u8];
            assert_eq!(
                p.open(&header, &sealed),
                Ok((23, plain.clone())),
                "{id:04x}"
            );
            // The same bytes again under the next sequence number: the MAC no longer fits.
            let mut again =
                Protection::from_key_block(s, TLS12, &block, Side::Client, false).unwrap();
            again.seq = 1;
            assert_eq!(
                again.open(&header, &sealed),
                Err(Fault::NotAuthentic),
                "{id:04x}"
            );
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
