//! [`ProofError`]: the one error type of the proofs module. Every variant names exactly what failed
//! (which size, which leaf, which node, which hashes) so that an auditor reading the message of
//! `kinerja proof check` knows what to look at without a debugger. Hashes are printed in hex.

use super::merkle::Hash;

/// Everything that can go wrong while building, storing, signing or checking a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// An inclusion proof was asked for (or claims) a leaf that is not in the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    LeafIndexOutOfRange {
        /// 0-based leaf index (leaf i is log position i + 1).
        index: u64,
        /// Tree size (number of leaves).
        size: u64,
    },

    /// A consistency proof was asked for (or claims) a first size beyond the second.
    #[error("first tree size {first} is larger than second tree size {second}")]
    SizesOutOfOrder {
        /// The older (smaller) tree size.
        first: u64,
        /// The newer (larger) tree size.
        second: u64,
    },

    /// An inclusion path has the wrong number of hashes for its leaf index and tree size.
    #[error(
        "inclusion path length for leaf {index} in a tree of size {size}: expected {expected} hashes, got {got}"
    )]
    InclusionPathLength {
        /// 0-based leaf index.
        index: u64,
        /// Tree size.
        size: u64,
        /// Length the RFC 9162 algorithm requires.
        expected: usize,
        /// Length that was supplied.
        got: usize,
    },

    /// A consistency path has the wrong number of hashes for its two tree sizes.
    #[error(
        "consistency path length from size {first} to size {second}: expected {expected} hashes, got {got}"
    )]
    ConsistencyPathLength {
        /// Older tree size.
        first: u64,
        /// Newer tree size.
        second: u64,
        /// Length the RFC 9162 algorithm requires.
        expected: usize,
        /// Length that was supplied.
        got: usize,
    },

    /// The root recomputed from a proof is not the root it claims.
    #[error("root mismatch at size {size}: expected {} got {}", hex::encode(.expected), hex::encode(.got))]
    RootMismatch {
        /// Tree size whose root was checked.
        size: u64,
        /// The root that was claimed (in the proof or head).
        expected: Hash,
        /// The root recomputed from the proof.
        got: Hash,
    },

    /// Two roots claimed for the same tree size differ: the log forked or was rewritten.
    #[error("two different roots for the same size {size}: first {} second {}", hex::encode(.first), hex::encode(.second))]
    RootsDiffer {
        /// The tree size both roots claim.
        size: u64,
        /// Root given as the first (older) root.
        first: Hash,
        /// Root given as the second (newer) root.
        second: Hash,
    },

    /// The leaf hash in a proof is not `SHA-256(0x00 || chain hash)` of the event being checked.
    #[error("leaf hash mismatch for leaf {index}: expected {} got {}", hex::encode(.expected), hex::encode(.got))]
    LeafHashMismatch {
        /// 0-based leaf index.
        index: u64,
        /// The leaf hash computed from the event's chain hash.
        expected: Hash,
        /// The leaf hash carried by the proof.
        got: Hash,
    },

    /// A node the computation needs is not in the node store (or was not fetched).
    #[error("node store has no node at level {level} index {index}")]
    MissingNode {
        /// Level (0 = leaves; level L covers 2^L leaves).
        level: u8,
        /// Index within the level.
        index: u64,
    },

    /// A node was written twice with different hashes.
    #[error("node at level {level} index {index} is already stored with a different hash")]
    NodeConflict {
        /// Level of the node.
        level: u8,
        /// Index within the level.
        index: u64,
    },

    /// A node was written out of order, which would leave a hole in its level.
    #[error(
        "node at level {level} index {index} cannot be stored: level {level} holds only {stored} nodes"
    )]
    NodeGap {
        /// Level of the node.
        level: u8,
        /// Index within the level.
        index: u64,
        /// Number of nodes the level already holds.
        stored: u64,
    },

    /// A signed head was checked together with a proof for another tree size.
    #[error("signed head is for size {head_size} but the proof is for size {proof_size}")]
    HeadSizeMismatch {
        /// `tree_size` in the signed head.
        head_size: u64,
        /// Tree size in the proof.
        proof_size: u64,
    },

    /// A signed head and a proof for the same size carry different roots.
    #[error("root mismatch at size {size}: signed head has {} proof has {}", hex::encode(.head_root), hex::encode(.proof_root))]
    HeadRootMismatch {
        /// The tree size.
        size: u64,
        /// Root in the signed head.
        head_root: Hash,
        /// Root in the proof.
        proof_root: Hash,
    },

    /// The head names a key other than the one it is being verified with.
    #[error(
        "head of size {size} names key id {head_key_id} but the public key has key id {key_id}"
    )]
    KeyIdMismatch {
        /// Tree size of the head.
        size: u64,
        /// `key_id` written in the head.
        head_key_id: String,
        /// Key id of the public key used to verify.
        key_id: String,
    },

    /// The ed25519 signature over the head's signed bytes does not verify.
    #[error("signature does not verify for head of size {size}")]
    BadSignature {
        /// Tree size of the head.
        size: u64,
    },

    /// A key (secret or public) could not be read.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong with it.
        reason: String,
    },

    /// A timestamp cannot be represented in a signed head.
    #[error("invalid head timestamp: {reason}")]
    InvalidTimestamp {
        /// What is wrong with it.
        reason: String,
    },
}
