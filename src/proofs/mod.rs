//! Tamper evidence beyond the hash chain: the RFC 6962 Merkle tree, signed tree heads and proofs.
//! Leaf i (0-based) of the tree is the event at log position i + 1, with leaf hash
//! `SHA-256(0x00 || chain hash)`; interior nodes are `SHA-256(0x01 || left || right)`, split at
//! the largest power of two below the size (RFC 9162 §2.1.1). The log periodically signs the root
//! as a [`SignedTreeHead`]; auditors then ask for inclusion proofs (this event is in the log) and
//! consistency proofs (the log only grew) and check them offline. Everything here is pure: no
//! I/O, no clock, no async; storage is behind the synchronous [`NodeStore`] trait.
//!
//! # Layout
//!
//! - [`merkle`]: hashing, the recursive reference `MTH`/`PATH`/`PROOF`, and the RFC 9162
//!   verification algorithms.
//! - [`tree`]: the complete-subtree node store ([`NodeStore`], [`MemoryNodeStore`]), proof
//!   planning ([`inclusion_proof_nodes`], [`consistency_proof_nodes`], [`root_nodes`]) and
//!   assembly, and the writer's [`Frontier`].
//! - [`head`]: signing keys, key files, [`SignedTreeHead`], [`sign_head`] and [`verify_head`].
//! - [`audit`]: the JSON proofs ([`InclusionProof`], [`ConsistencyProof`], [`AuditDocument`])
//!   and the offline checks.
//! - [`error`]: the one error type, [`ProofError`].

pub mod audit;
mod encoding;
pub mod error;
pub mod head;
pub mod merkle;
pub mod tree;

#[cfg(test)]
mod tests;

pub use audit::{
    AuditDocument, ConsistencyProof, InclusionProof, check_consistency,
    check_consistency_with_heads, check_event_inclusion, check_inclusion,
    check_inclusion_with_head,
};
pub use error::ProofError;
pub use head::{PublicKey, SignedTreeHead, SigningKey, head_signed_bytes, sign_head, verify_head};
pub use merkle::{
    Hash, empty_root, leaf_hash, node_hash, root_of, verify_consistency, verify_inclusion,
};
pub use tree::{
    Frontier, MemoryNodeStore, MemoryTree, NodeRef, NodeStore, StoredNode, consistency_proof,
    consistency_proof_nodes, inclusion_proof, inclusion_proof_nodes, root_at, root_nodes,
};
