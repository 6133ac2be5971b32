//! Signed tree heads: the log's periodic, ed25519-signed statement "after `tree_size` events the
//! Merkle root was `root_hash`, at `timestamp`". Also the head signing key and its public key,
//! with a one-line text file format for each.
//!
//! # Signed bytes
//! The signature is ed25519 (RFC 8032, verified strictly) over exactly 62 bytes:
//!
//! ```text
//! b"kinerja-sth-v1"          14 bytes, ASCII, no terminator
//! tree_size                   8 bytes, u64 big-endian
//! root_hash                  32 bytes
//! timestamp                   8 bytes, i64 big-endian, milliseconds since 1970-01-01T00:00:00Z
//! ```
//!
//! `key_id` is not signed; it is the hex of the first 8 bytes of SHA-256 of the 32-byte public
//! key and only says which key to verify with.
//!
//! # Key files
//! One line each, base64 (standard alphabet, padded) of the 32 raw bytes after a prefix:
//! `kinerja-ed25519-secret-v1:<seed>` and `kinerja-ed25519-public-v1:<public key>`. Public keys
//! are also accepted as 64 bare hex digits.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SubsecRound as _, Utc};
use ed25519_dalek::{Signature, Signer as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::encoding::{hex_array, rfc3339_millis};
use super::error::ProofError;
use super::merkle::Hash;

/// Domain separator at the start of the signed bytes of every head.
pub const HEAD_SIGNATURE_DOMAIN: &[u8; 14] = b"kinerja-sth-v1";
/// Length of the signed bytes of a head.
pub const HEAD_SIGNED_LEN: usize = 14 + 8 + 32 + 8;
/// Prefix of a secret key file's line.
pub const SECRET_KEY_PREFIX: &str = "kinerja-ed25519-secret-v1:";
/// Prefix of a public key file's line.
pub const PUBLIC_KEY_PREFIX: &str = "kinerja-ed25519-public-v1:";

/// The exact bytes a head's signature covers (see the module documentation).
#[must_use]
pub fn head_signed_bytes(
    tree_size: u64,
    root_hash: &Hash,
    timestamp_millis: i64,
) -> [u8; HEAD_SIGNED_LEN] {
    let mut out = [0u8; HEAD_SIGNED_LEN];
    out[..14].copy_from_slice(HEAD_SIGNATURE_DOMAIN);
    out[14..22].copy_from_slice(&tree_size.to_be_bytes());
    out[22..54].copy_from_slice(root_hash);
    out[54..].copy_from_slice(&timestamp_millis.to_be_bytes());
    out
}

/// Hex of the first 8 bytes of SHA-256 of a 32-byte public key.
#[must_use]
pub fn key_id_of(public_key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

fn decode_key_bytes(text: &str, what: &str) -> Result<[u8; 32], ProofError> {
    let raw = BASE64.decode(text).map_err(|e| ProofError::InvalidKey {
        reason: format!("{what} is not base64: {e}"),
    })?;
    <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| ProofError::InvalidKey {
        reason: format!("{what} must be 32 bytes, got {}", raw.len()),
    })
}

/// The head signing key (ed25519). Its `Debug` shows only the key id.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random number generator.
    #[must_use]
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// The key with the given 32-byte seed (RFC 8032 secret key).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The public key's id.
    #[must_use]
    pub fn key_id(&self) -> String {
        self.public_key().key_id()
    }

    /// The secret key file's content: `kinerja-ed25519-secret-v1:<base64 seed>` and a newline.
    #[must_use]
    pub fn to_text(&self) -> String {
        format!("{SECRET_KEY_PREFIX}{}\n", BASE64.encode(self.0.to_bytes()))
    }

    /// Reads a secret key file's content (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`ProofError::InvalidKey`] naming what is wrong.
    pub fn from_text(text: &str) -> Result<Self, ProofError> {
        let body =
            text.trim()
                .strip_prefix(SECRET_KEY_PREFIX)
                .ok_or_else(|| ProofError::InvalidKey {
                    reason: format!(
                        "a secret key file must be one line starting with {SECRET_KEY_PREFIX}"
                    ),
                })?;
        Ok(Self::from_seed(&decode_key_bytes(body, "secret key")?))
    }

    /// Signs a head for the tree of `tree_size` leaves with root `root_hash`. The timestamp is
    /// truncated to whole milliseconds.
    #[must_use]
    pub fn sign_head(
        &self,
        tree_size: u64,
        root_hash: Hash,
        timestamp: DateTime<Utc>,
    ) -> SignedTreeHead {
        let timestamp = timestamp.trunc_subsecs(3);
        let bytes = head_signed_bytes(tree_size, &root_hash, timestamp.timestamp_millis());
        SignedTreeHead {
            tree_size,
            root_hash,
            timestamp,
            key_id: self.key_id(),
            signature: self.0.sign(&bytes).to_bytes(),
        }
    }
}

/// A head verification key (ed25519 public key).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PublicKey").field(&self.to_hex()).finish()
    }
}

impl PublicKey {
    /// A public key from its 32 raw bytes.
    ///
    /// # Errors
    /// [`ProofError::InvalidKey`] when the bytes are not a valid curve point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, ProofError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|e| ProofError::InvalidKey {
                reason: format!("not an ed25519 public key: {e}"),
            })
    }

    /// The 32 raw bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32 raw bytes in hex.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Hex of the first 8 bytes of SHA-256 of the raw key.
    #[must_use]
    pub fn key_id(&self) -> String {
        key_id_of(&self.to_bytes())
    }

    /// The public key file's content: `kinerja-ed25519-public-v1:<base64 key>` and a newline.
    #[must_use]
    pub fn to_text(&self) -> String {
        format!("{PUBLIC_KEY_PREFIX}{}\n", BASE64.encode(self.to_bytes()))
    }

    /// Reads a public key: the file form of [`PublicKey::to_text`], or 64 bare hex digits.
    ///
    /// # Errors
    /// [`ProofError::InvalidKey`] naming what is wrong.
    pub fn from_text(text: &str) -> Result<Self, ProofError> {
        let text = text.trim();
        let bytes = if let Some(body) = text.strip_prefix(PUBLIC_KEY_PREFIX) {
            decode_key_bytes(body, "public key")?
        } else if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut out = [0u8; 32];
            hex::decode_to_slice(text, &mut out).map_err(|e| ProofError::InvalidKey {
                reason: format!("public key is not hex: {e}"),
            })?;
            out
        } else {
            return Err(ProofError::InvalidKey {
                reason: format!(
                    "a public key must be one line starting with {PUBLIC_KEY_PREFIX} or 64 hex digits"
                ),
            });
        };
        Self::from_bytes(&bytes)
    }
}

/// A signed tree head. JSON form (hashes and signature in hex):
///
/// ```json
/// {"tree_size": 8,
///  "root_hash": "5dc9da79…",
///  "timestamp": "2025-01-31T08:15:00.123Z",
///  "key_id": "1a2b3c4d5e6f7081",
///  "signature": "…128 hex digits…"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    /// Number of leaves (events) the head covers: positions 1..=tree_size.
    pub tree_size: u64,
    /// RFC 6962 root of the tree of `tree_size` leaves.
    #[serde(with = "hex_array")]
    pub root_hash: Hash,
    /// When the head was signed (RFC 3339 UTC, milliseconds).
    #[serde(with = "rfc3339_millis")]
    pub timestamp: DateTime<Utc>,
    /// Which key signed it (hex of the first 8 bytes of SHA-256 of the public key).
    pub key_id: String,
    /// ed25519 signature over [`SignedTreeHead::signed_bytes`].
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// The bytes the signature covers.
    #[must_use]
    pub fn signed_bytes(&self) -> [u8; HEAD_SIGNED_LEN] {
        head_signed_bytes(
            self.tree_size,
            &self.root_hash,
            self.timestamp.timestamp_millis(),
        )
    }
}

/// Signs a head (see [`SigningKey::sign_head`]).
#[must_use]
pub fn sign_head(
    key: &SigningKey,
    tree_size: u64,
    root_hash: Hash,
    timestamp: DateTime<Utc>,
) -> SignedTreeHead {
    key.sign_head(tree_size, root_hash, timestamp)
}

/// Verifies a head's signature with `key`.
///
/// # Errors
/// [`ProofError::KeyIdMismatch`] when the head names another key, [`ProofError::BadSignature`]
/// when the signature does not verify (strict RFC 8032 verification).
pub fn verify_head(head: &SignedTreeHead, key: &PublicKey) -> Result<(), ProofError> {
    let key_id = key.key_id();
    if head.key_id != key_id {
        return Err(ProofError::KeyIdMismatch {
            size: head.tree_size,
            head_key_id: head.key_id.clone(),
            key_id,
        });
    }
    let signature = Signature::from_bytes(&head.signature);
    key.0
        .verify_strict(&head.signed_bytes(), &signature)
        .map_err(|_| ProofError::BadSignature {
            size: head.tree_size,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proofs::merkle::{empty_root, leaf_hash};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn fixture() -> (SigningKey, SignedTreeHead) {
        let key = SigningKey::from_seed(&[7u8; 32]);
        let head = key.sign_head(42, leaf_hash(b"root"), at("2025-01-31T08:15:00.123456Z"));
        (key, head)
    }

    #[test]
    fn signed_bytes_layout() {
        let bytes = head_signed_bytes(0x0102_0304_0506_0708, &[0xaa; 32], -2);
        assert_eq!(&bytes[..14], b"kinerja-sth-v1");
        assert_eq!(&bytes[14..22], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&bytes[22..54], &[0xaa; 32]);
        assert_eq!(
            &bytes[54..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]
        );
    }

    #[test]
    fn sign_verify_round_trip_truncates_to_millis() {
        let (key, head) = fixture();
        assert_eq!(head.timestamp, at("2025-01-31T08:15:00.123Z"));
        assert_eq!(head.key_id.len(), 16);
        assert_eq!(head.key_id, key.public_key().key_id());
        verify_head(&head, &key.public_key()).unwrap();
        // The free function and the method agree.
        let again = sign_head(&key, head.tree_size, head.root_hash, head.timestamp);
        assert_eq!(again, head);
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let (key, head) = fixture();
        let public = key.public_key();
        let bad = Err(ProofError::BadSignature { size: 42 });

        let mut h = head.clone();
        h.tree_size += 1;
        assert_eq!(
            verify_head(&h, &public),
            Err(ProofError::BadSignature { size: 43 })
        );

        let mut h = head.clone();
        h.root_hash[31] ^= 1;
        assert_eq!(verify_head(&h, &public), bad.clone());

        let mut h = head.clone();
        h.root_hash = empty_root();
        assert_eq!(verify_head(&h, &public), bad.clone());

        let mut h = head.clone();
        h.timestamp += chrono::Duration::milliseconds(1);
        assert_eq!(verify_head(&h, &public), bad.clone());

        for i in [0, 31, 32, 63] {
            let mut h = head.clone();
            h.signature[i] ^= 0x10;
            assert_eq!(verify_head(&h, &public), bad.clone(), "signature byte {i}");
        }
    }

    #[test]
    fn wrong_key_fails() {
        let (_, head) = fixture();
        let other = SigningKey::from_seed(&[8u8; 32]).public_key();
        let err = verify_head(&head, &other).unwrap_err();
        assert!(
            matches!(err, ProofError::KeyIdMismatch { size: 42, .. }),
            "{err}"
        );

        // Same key id claimed, but signed by another key.
        let mut forged =
            SigningKey::from_seed(&[8u8; 32]).sign_head(42, head.root_hash, head.timestamp);
        forged.key_id = head.key_id.clone();
        let public = SigningKey::from_seed(&[7u8; 32]).public_key();
        assert_eq!(
            verify_head(&forged, &public),
            Err(ProofError::BadSignature { size: 42 })
        );
        assert_eq!(
            verify_head(&forged, &public).unwrap_err().to_string(),
            "signature does not verify for head of size 42"
        );
    }

    #[test]
    fn json_round_trip() {
        let (key, head) = fixture();
        let json = serde_json::to_string(&head).unwrap();
        assert!(
            json.contains("\"timestamp\":\"2025-01-31T08:15:00.123Z\""),
            "{json}"
        );
        assert!(json.contains(&format!(
            "\"root_hash\":\"{}\"",
            hex::encode(head.root_hash)
        )));
        assert!(json.contains(&format!(
            "\"signature\":\"{}\"",
            hex::encode(head.signature)
        )));
        let back: SignedTreeHead = serde_json::from_str(&json).unwrap();
        assert_eq!(back, head);
        verify_head(&back, &key.public_key()).unwrap();

        let bad = json.replace(&hex::encode(head.root_hash), "abcd");
        assert!(serde_json::from_str::<SignedTreeHead>(&bad).is_err());
    }

    #[test]
    fn key_text_round_trips() {
        let key = SigningKey::generate();
        let text = key.to_text();
        assert!(text.starts_with(SECRET_KEY_PREFIX) && text.ends_with('\n'));
        let back = SigningKey::from_text(&text).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(!format!("{key:?}").contains(text.trim().trim_start_matches(SECRET_KEY_PREFIX)));

        let public = key.public_key();
        assert_eq!(PublicKey::from_text(&public.to_text()).unwrap(), public);
        assert_eq!(PublicKey::from_text(&public.to_hex()).unwrap(), public);
        assert_eq!(
            PublicKey::from_text(&public.to_hex().to_uppercase()).unwrap(),
            public
        );

        assert!(SigningKey::from_text("hello").is_err());
        assert!(SigningKey::from_text(&format!("{SECRET_KEY_PREFIX}AAAA")).is_err());
        assert!(PublicKey::from_text(&public.to_text().replace(PUBLIC_KEY_PREFIX, "")).is_err());
        assert!(PublicKey::from_text(SECRET_KEY_PREFIX).is_err());
    }

    #[test]
    fn key_id_is_first_eight_bytes_of_sha256() {
        let public = SigningKey::from_seed(&[7u8; 32]).public_key();
        let digest = Sha256::digest(public.to_bytes());
        assert_eq!(public.key_id(), hex::encode(&digest[..8]));
    }
}
