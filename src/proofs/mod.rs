//! Tamper evidence beyond the hash chain: the RFC 6962 Merkle tree, signed tree heads and proofs.
