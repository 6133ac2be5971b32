//! The Merkle tree beside the log, as the SQL backends keep it. Leaf i is the event at position
//! i + 1 with leaf hash `SHA-256(0x00 || chain hash)` (see [`crate::proofs`]).
//!
//! Only complete subtrees of 2^[`STORED_FROM_LEVEL`] leaves or more are stored (table
//! `merkle_nodes`), about one row per eight events; the lower nodes a proof needs are recomputed
//! from the chain hashes of at most a few blocks of 16 events, read from the `events` table. The
//! writer keeps a [`Frontier`] and writes the newly completed nodes in the same transaction as
//! the events, so the tree is never behind the log.

use std::collections::{BTreeMap, HashMap};

use crate::proofs::{Frontier, Hash, NodeRef, StoredNode, leaf_hash, root_of};

/// Lowest level of the tree that is stored; lower nodes are recomputed from events.
pub const STORED_FROM_LEVEL: u8 = 4;

/// The refs among `refs` that are stored in `merkle_nodes`.
pub fn stored_refs(refs: &[NodeRef]) -> Vec<NodeRef> {
    let mut out: Vec<NodeRef> = refs
        .iter()
        .copied()
        .filter(|r| r.level >= STORED_FROM_LEVEL)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The event positions (inclusive ranges, 1-based) whose chain hashes the low nodes among `refs`
/// are computed from; overlapping ranges are merged.
pub fn position_ranges(refs: &[NodeRef]) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = refs
        .iter()
        .filter(|r| r.level < STORED_FROM_LEVEL)
        .map(|r| (r.begin() + 1, r.end()))
        .collect();
    ranges.sort();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Every node among `refs`, from the stored ones and the chain hashes by position. Nodes whose
/// inputs are missing are left out (the proof code then reports which node is missing).
pub fn compose(
    refs: &[NodeRef],
    mut stored: HashMap<NodeRef, Hash>,
    chain: &BTreeMap<u64, Hash>,
) -> HashMap<NodeRef, Hash> {
    for r in refs.iter().filter(|r| r.level < STORED_FROM_LEVEL) {
        let leaves: Option<Vec<Hash>> = (r.begin() + 1..=r.end())
            .map(|p| chain.get(&p).map(|h| leaf_hash(h)))
            .collect();
        if let Some(leaves) = leaves {
            stored.insert(*r, root_of(&leaves));
        }
    }
    stored
}

/// The frontier of the tree at `size` from the nodes `Frontier::nodes_needed(size)` fetched; a
/// missing node means the stored tree is damaged.
pub fn frontier_from(
    nodes: &HashMap<NodeRef, Hash>,
    size: u64,
) -> Result<Frontier, crate::store::StoreError> {
    Frontier::from_store(nodes, size).map_err(|e| crate::store::StoreError::Corrupt {
        position: size,
        reason: format!("merkle tree: {e}"),
    })
}

/// Feed a batch's chain hashes to the frontier; the nodes to store.
pub fn grow(
    frontier: &mut Frontier,
    chain_hashes: impl IntoIterator<Item = Hash>,
) -> Vec<StoredNode> {
    chain_hashes
        .into_iter()
        .flat_map(|h| frontier.push(leaf_hash(&h)))
        .filter(|n| n.level >= STORED_FROM_LEVEL)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proofs::{MemoryTree, inclusion_proof, inclusion_proof_nodes, root_at, root_nodes};

    #[test]
    fn stored_nodes_plus_chain_hashes_answer_like_the_full_tree() {
        let chain: BTreeMap<u64, Hash> = (1..=100u64)
            .map(|p| (p, crate::proofs::leaf_hash(&p.to_be_bytes())))
            .collect();
        let full = MemoryTree::from_leaves(chain.values().map(|h| leaf_hash(h)));
        let mut frontier = Frontier::new();
        let stored: HashMap<NodeRef, Hash> = grow(&mut frontier, chain.values().copied())
            .into_iter()
            .map(|n| (n.node_ref(), n.hash))
            .collect();
        assert!(stored.keys().all(|r| r.level >= STORED_FROM_LEVEL));
        assert_eq!(frontier.root(), full.root());
        for size in 1..=100u64 {
            let refs = root_nodes(size);
            let nodes = compose(&refs, stored.clone(), &chain);
            assert_eq!(root_at(&nodes, size).unwrap(), full.root_at(size).unwrap());
            for index in (0..size).step_by(7) {
                let refs = inclusion_proof_nodes(index, size).unwrap();
                let nodes = compose(&refs, stored.clone(), &chain);
                assert_eq!(
                    inclusion_proof(&nodes, index, size).unwrap(),
                    full.inclusion_proof(index, size).unwrap()
                );
            }
        }
    }

    #[test]
    fn ranges_merge_and_stay_small() {
        let refs = [
            NodeRef::new(0, 5),
            NodeRef::new(1, 3),
            NodeRef::new(3, 0),
            NodeRef::new(5, 1),
        ];
        assert_eq!(position_ranges(&refs), vec![(1, 8)]);
        assert_eq!(stored_refs(&refs), vec![NodeRef::new(5, 1)]);
    }
}
