//! The JSON forms of proofs handed to auditors, and the offline checks run on them (what
//! `kinerja proof check FILE --key PUBKEY` does). Every hash is 64 hex digits; the fields map
//! one-to-one onto the inputs of the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms, so a third party
//! can check a proof with any RFC 9162 implementation, without kinerja.
//!
//! Leaf `leaf_index` (0-based) is the event at log position `leaf_index + 1`; its `leaf_hash` is
//! `SHA-256(0x00 || chain hash of that event)`.

use serde::{Deserialize, Serialize};

use super::encoding::{hex_array, hex_hashes};
use super::error::ProofError;
use super::head::{PublicKey, SignedTreeHead, verify_head};
use super::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};

/// Proof that one event is in the log at a given size (RFC 9162 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// 0-based leaf index (log position − 1).
    pub leaf_index: u64,
    /// Size of the tree the proof is for.
    pub tree_size: u64,
    /// `SHA-256(0x00 || chain hash)` of the event.
    #[serde(with = "hex_array")]
    pub leaf_hash: Hash,
    /// Sibling hashes from the leaf up to the root.
    #[serde(with = "hex_hashes")]
    pub audit_path: Vec<Hash>,
    /// Root of the tree of `tree_size` leaves.
    #[serde(with = "hex_array")]
    pub root_hash: Hash,
}

/// Proof that the tree of `first_size` leaves is a prefix of the tree of `second_size` leaves
/// (RFC 9162 §2.1.4): nothing logged was changed or removed in between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub first_size: u64,
    /// The newer tree size.
    pub second_size: u64,
    /// Root of the older tree.
    #[serde(with = "hex_array")]
    pub first_root: Hash,
    /// Root of the newer tree.
    #[serde(with = "hex_array")]
    pub second_root: Hash,
    /// The RFC 9162 consistency path.
    #[serde(with = "hex_hashes")]
    pub path: Vec<Hash>,
}

/// Checks an inclusion proof against its own root (RFC 9162 §2.1.3.2).
///
/// # Errors
/// The [`ProofError`] naming what does not verify.
pub fn check_inclusion(proof: &InclusionProof) -> Result<(), ProofError> {
    verify_inclusion(
        proof.leaf_index,
        proof.tree_size,
        &proof.leaf_hash,
        &proof.audit_path,
        &proof.root_hash,
    )
}

/// Checks that the proof is about the event with the given chain hash, then the proof itself.
///
/// # Errors
/// [`ProofError::LeafHashMismatch`], or as [`check_inclusion`].
pub fn check_event_inclusion(proof: &InclusionProof, chain_hash: &Hash) -> Result<(), ProofError> {
    let expected = leaf_hash(chain_hash);
    if expected != proof.leaf_hash {
        return Err(ProofError::LeafHashMismatch {
            index: proof.leaf_index,
            expected,
            got: proof.leaf_hash,
        });
    }
    check_inclusion(proof)
}

/// Checks a consistency proof between its two roots (RFC 9162 §2.1.4.2).
///
/// # Errors
/// The [`ProofError`] naming what does not verify.
pub fn check_consistency(proof: &ConsistencyProof) -> Result<(), ProofError> {
    verify_consistency(
        proof.first_size,
        proof.second_size,
        &proof.first_root,
        &proof.second_root,
        &proof.path,
    )
}

fn head_matches(head: &SignedTreeHead, size: u64, root: &Hash) -> Result<(), ProofError> {
    if head.tree_size != size {
        return Err(ProofError::HeadSizeMismatch {
            head_size: head.tree_size,
            proof_size: size,
        });
    }
    if &head.root_hash != root {
        return Err(ProofError::HeadRootMismatch {
            size,
            head_root: head.root_hash,
            proof_root: *root,
        });
    }
    Ok(())
}

/// Checks a head's signature, that it is the head the proof is for, and the proof.
///
/// # Errors
/// As [`verify_head`], [`ProofError::HeadSizeMismatch`], [`ProofError::HeadRootMismatch`], or
/// as [`check_inclusion`].
pub fn check_inclusion_with_head(
    proof: &InclusionProof,
    head: &SignedTreeHead,
    key: &PublicKey,
) -> Result<(), ProofError> {
    verify_head(head, key)?;
    head_matches(head, proof.tree_size, &proof.root_hash)?;
    check_inclusion(proof)
}

/// Checks both heads' signatures, that they are the heads the proof joins, and the proof.
///
/// # Errors
/// As [`verify_head`], [`ProofError::HeadSizeMismatch`], [`ProofError::HeadRootMismatch`], or
/// as [`check_consistency`].
pub fn check_consistency_with_heads(
    proof: &ConsistencyProof,
    first_head: &SignedTreeHead,
    second_head: &SignedTreeHead,
    key: &PublicKey,
) -> Result<(), ProofError> {
    verify_head(first_head, key)?;
    verify_head(second_head, key)?;
    head_matches(first_head, proof.first_size, &proof.first_root)?;
    head_matches(second_head, proof.second_size, &proof.second_root)?;
    check_consistency(proof)
}

/// A self-contained file for `kinerja proof check`: what is claimed plus the signed heads that
/// vouch for it. Tagged by `"kind"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditDocument {
    /// A signed head on its own.
    Head {
        /// The head.
        head: SignedTreeHead,
    },
    /// An event's inclusion under a signed head.
    Inclusion {
        /// The proof.
        proof: InclusionProof,
        /// The head for `proof.tree_size`.
        head: SignedTreeHead,
    },
    /// Consistency between two signed heads.
    Consistency {
        /// The proof.
        proof: ConsistencyProof,
        /// The head for `proof.first_size`.
        first_head: SignedTreeHead,
        /// The head for `proof.second_size`.
        second_head: SignedTreeHead,
    },
}

impl AuditDocument {
    /// Runs every check the document calls for, with the log's public key.
    ///
    /// # Errors
    /// The first [`ProofError`] found.
    pub fn check(&self, key: &PublicKey) -> Result<(), ProofError> {
        match self {
            Self::Head { head } => verify_head(head, key),
            Self::Inclusion { proof, head } => check_inclusion_with_head(proof, head, key),
            Self::Consistency {
                proof,
                first_head,
                second_head,
            } => check_consistency_with_heads(proof, first_head, second_head, key),
        }
    }
}
