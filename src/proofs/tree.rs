//! The storage-backed Merkle tree. Only hashes of *complete* subtrees are ever stored: node
//! (level L, index i) is the hash of leaves `[i·2^L, (i+1)·2^L)`; such a node never changes once
//! its last leaf exists, so a store at size N answers for every size ≤ N. The root at any size and
//! every proof element (which may cover an incomplete subtree at the right edge) are computed
//! from O(log n) complete nodes.
//!
//! Proofs are planned before they are fetched: [`inclusion_proof_nodes`],
//! [`consistency_proof_nodes`] and [`root_nodes`] list every node a computation will read, so a
//! database backend can fetch them in one query into a `HashMap<NodeRef, Hash>` (which is itself a
//! [`NodeStore`]) and then call [`inclusion_proof`], [`consistency_proof`] or [`root_at`] on it.
//! The writer keeps a [`Frontier`] (one node per level, O(log n) memory) that ingests leaf hashes
//! and returns the nodes that became complete, to persist next to the events.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::merkle::{Hash, empty_root, node_hash, split_point};

/// The address of a complete subtree: `level` L and `index` i cover leaves `[i·2^L, (i+1)·2^L)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeRef {
    /// Height of the subtree: 0 for a leaf hash, L for a subtree of 2^L leaves.
    pub level: u8,
    /// Position of the subtree within its level.
    pub index: u64,
}

impl NodeRef {
    /// The node at `level`, `index`.
    #[must_use]
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// First leaf (0-based) the node covers.
    #[must_use]
    pub const fn begin(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf the node covers.
    #[must_use]
    pub const fn end(self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// A node that has just become complete, with its hash: what the writer persists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredNode {
    /// Height of the subtree (0 = leaf hash).
    pub level: u8,
    /// Position within the level.
    pub index: u64,
    /// The subtree's RFC 6962 hash.
    pub hash: Hash,
}

impl StoredNode {
    /// The node's address.
    #[must_use]
    pub const fn node_ref(&self) -> NodeRef {
        NodeRef::new(self.level, self.index)
    }
}

/// Read access to stored complete-subtree hashes. Synchronous on purpose: a database backend
/// lists the nodes it needs up front (see [`inclusion_proof_nodes`] and friends), fetches them
/// asynchronously into a `HashMap<NodeRef, Hash>`, and runs the computation on that map.
pub trait NodeStore {
    /// The hash of the complete subtree at `level`, `index`, if stored.
    fn get(&self, level: u8, index: u64) -> Option<Hash>;

    /// Several nodes at once, in the order asked. The default calls [`NodeStore::get`] per node.
    fn get_many(&self, nodes: &[NodeRef]) -> Vec<Option<Hash>> {
        nodes.iter().map(|n| self.get(n.level, n.index)).collect()
    }
}

impl<S: NodeStore + ?Sized> NodeStore for &S {
    fn get(&self, level: u8, index: u64) -> Option<Hash> {
        (**self).get(level, index)
    }
}

impl<S: std::hash::BuildHasher> NodeStore for HashMap<NodeRef, Hash, S> {
    fn get(&self, level: u8, index: u64) -> Option<Hash> {
        HashMap::get(self, &NodeRef::new(level, index)).copied()
    }
}

impl NodeStore for BTreeMap<NodeRef, Hash> {
    fn get(&self, level: u8, index: u64) -> Option<Hash> {
        BTreeMap::get(self, &NodeRef::new(level, index)).copied()
    }
}

fn fetch(store: &impl NodeStore, node: NodeRef) -> Result<Hash, ProofError> {
    store
        .get(node.level, node.index)
        .ok_or(ProofError::MissingNode {
            level: node.level,
            index: node.index,
        })
}

fn level_of(bits: u32) -> u8 {
    // Callers pass values ≤ 63; saturate rather than cast.
    u8::try_from(bits).unwrap_or(u8::MAX)
}

// ----------------------------------------------------------------------------------------------
// Planning: which leaf ranges make up a proof, and which stored nodes make up a range.
// ----------------------------------------------------------------------------------------------

/// The leaf range `[begin, end)` of one RFC 6962 subtree; `begin` is aligned to a power of two
/// at least as large as the range, so the range is either a complete node or the right edge of a
/// tree. Each proof element is the hash of one such range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LeafRange {
    begin: u64,
    end: u64,
}

/// The complete subtrees that tile `[begin, end)`, largest (leftmost) first.
fn range_nodes(range: LeafRange, out: &mut Vec<NodeRef>) {
    let LeafRange { mut begin, end } = range;
    while begin < end {
        let fit = 63 - (end - begin).leading_zeros();
        let level = level_of(begin.trailing_zeros().min(fit));
        out.push(NodeRef::new(level, begin >> level));
        begin += 1u64 << level;
    }
}

/// The RFC 6962 hash of the subtree over `range`: the right fold
/// `H(c1, H(c2, … H(ck-1, ck)))` of its complete tiles.
fn range_hash(store: &impl NodeStore, range: LeafRange) -> Result<Hash, ProofError> {
    let mut tiles = Vec::new();
    range_nodes(range, &mut tiles);
    let mut acc: Option<Hash> = None;
    for node in tiles.iter().rev() {
        let h = fetch(store, *node)?;
        acc = Some(match acc {
            None => h,
            Some(right) => node_hash(&h, &right),
        });
    }
    Ok(acc.unwrap_or_else(empty_root))
}

/// The ranges whose hashes form the audit path of `index` in a tree of `size`, bottom-up.
fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<LeafRange>, ProofError> {
    if index >= size {
        return Err(ProofError::LeafIndexOutOfRange { index, size });
    }
    let (mut lo, mut hi) = (0u64, size);
    let mut out = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            out.push(LeafRange {
                begin: mid,
                end: hi,
            });
            hi = mid;
        } else {
            out.push(LeafRange {
                begin: lo,
                end: mid,
            });
            lo = mid;
        }
    }
    out.reverse();
    Ok(out)
}

/// The ranges whose hashes form the consistency proof from `first` to `second`, in proof order.
fn consistency_ranges(first: u64, second: u64) -> Result<Vec<LeafRange>, ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    let mut out = Vec::new();
    if first == 0 || first == second {
        return Ok(out);
    }
    let (mut lo, mut hi) = (0u64, second);
    let mut complete = true;
    loop {
        if first == hi {
            if !complete {
                out.push(LeafRange { begin: lo, end: hi });
            }
            break;
        }
        let mid = lo + split_point(hi - lo);
        if first <= mid {
            out.push(LeafRange {
                begin: mid,
                end: hi,
            });
            hi = mid;
        } else {
            out.push(LeafRange {
                begin: lo,
                end: mid,
            });
            lo = mid;
            complete = false;
        }
    }
    out.reverse();
    Ok(out)
}

fn nodes_of(ranges: &[LeafRange]) -> Vec<NodeRef> {
    let mut out = Vec::new();
    for r in ranges {
        range_nodes(*r, &mut out);
    }
    out
}

/// Every stored node needed for the root of a tree of `size` (one per set bit of `size`).
#[must_use]
pub fn root_nodes(size: u64) -> Vec<NodeRef> {
    nodes_of(&[LeafRange {
        begin: 0,
        end: size,
    }])
}

/// Every stored node needed for the inclusion proof of leaf `index` in a tree of `size`: at most
/// about 2·log2(size) nodes, all distinct.
///
/// # Errors
/// [`ProofError::LeafIndexOutOfRange`] when `index >= size`.
pub fn inclusion_proof_nodes(index: u64, size: u64) -> Result<Vec<NodeRef>, ProofError> {
    Ok(nodes_of(&inclusion_ranges(index, size)?))
}

/// Every stored node needed for the consistency proof from `first` to `second`.
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`] when `first > second`.
pub fn consistency_proof_nodes(first: u64, second: u64) -> Result<Vec<NodeRef>, ProofError> {
    Ok(nodes_of(&consistency_ranges(first, second)?))
}

// ----------------------------------------------------------------------------------------------
// Assembly from a store (or from the map of fetched nodes).
// ----------------------------------------------------------------------------------------------

/// The root of the tree of `size` leaves, from [`root_nodes`]`(size)`.
///
/// # Errors
/// [`ProofError::MissingNode`] when the store lacks a needed node.
pub fn root_at(store: &impl NodeStore, size: u64) -> Result<Hash, ProofError> {
    range_hash(
        store,
        LeafRange {
            begin: 0,
            end: size,
        },
    )
}

/// The RFC 9162 inclusion path (bottom-up) of leaf `index` in the tree of `size` leaves, from
/// the nodes listed by [`inclusion_proof_nodes`].
///
/// # Errors
/// [`ProofError::LeafIndexOutOfRange`] or [`ProofError::MissingNode`].
pub fn inclusion_proof(
    store: &impl NodeStore,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    inclusion_ranges(index, size)?
        .into_iter()
        .map(|r| range_hash(store, r))
        .collect()
}

/// The RFC 9162 consistency proof from `first` to `second` leaves, from the nodes listed by
/// [`consistency_proof_nodes`]. Empty when `first` is 0 or equals `second`.
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`] or [`ProofError::MissingNode`].
pub fn consistency_proof(
    store: &impl NodeStore,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProofError> {
    consistency_ranges(first, second)?
        .into_iter()
        .map(|r| range_hash(store, r))
        .collect()
}

// ----------------------------------------------------------------------------------------------
// Frontier.
// ----------------------------------------------------------------------------------------------

/// The right edge of the tree: for each set bit L of the size, the hash of the complete subtree
/// of 2^L leaves that ends the tree's decomposition at that level. O(log n) memory; enough to
/// append leaves and to compute the current root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// `levels[L]` is `Some` exactly when bit L of `size` is set.
    levels: Vec<Option<Hash>>,
}

impl Frontier {
    /// The frontier of the empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves ingested.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The nodes the frontier of a tree of `size` holds (same as [`root_nodes`]), so a backend
    /// can fetch them in one query before [`Frontier::from_store`].
    #[must_use]
    pub fn nodes_needed(size: u64) -> Vec<NodeRef> {
        root_nodes(size)
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored nodes.
    ///
    /// # Errors
    /// [`ProofError::MissingNode`] when a frontier node is not stored.
    pub fn from_store(store: &impl NodeStore, size: u64) -> Result<Self, ProofError> {
        let mut levels = Vec::new();
        for level in 0u8..64 {
            let above = size >> level;
            if above == 0 {
                break;
            }
            levels.push(if above & 1 == 1 {
                Some(fetch(store, NodeRef::new(level, above - 1))?)
            } else {
                None
            });
        }
        Ok(Self { size, levels })
    }

    /// Appends one leaf hash (`SHA-256(0x00 || chain hash)`) and returns the nodes that became
    /// complete, bottom-up: always the leaf itself at level 0, then one node per level the new
    /// leaf closes.
    ///
    /// # Panics
    /// If the tree already holds `u64::MAX` leaves.
    pub fn push(&mut self, leaf_hash: Hash) -> Vec<StoredNode> {
        let mut index = self.size;
        let mut level: u8 = 0;
        let mut hash = leaf_hash;
        let mut completed = vec![StoredNode { level, index, hash }];
        while index & 1 == 1 {
            let left = self.levels[usize::from(level)]
                .take()
                .expect("frontier invariant: a node exists at every set bit of the size");
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed.push(StoredNode { level, index, hash });
        }
        let slot = usize::from(level);
        if self.levels.len() <= slot {
            self.levels.resize(slot + 1, None);
        }
        self.levels[slot] = Some(hash);
        self.size = self.size.checked_add(1).expect("tree size overflows u64");
        completed
    }

    /// Appends several leaf hashes; returns every node completed, in completion order.
    pub fn extend(&mut self, leaf_hashes: impl IntoIterator<Item = Hash>) -> Vec<StoredNode> {
        let mut out = Vec::new();
        for h in leaf_hashes {
            out.extend(self.push(h));
        }
        out
    }

    /// The root of the current tree: O(log n) hashes, no store access.
    #[must_use]
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for h in self.levels.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(empty_root)
    }
}

// ----------------------------------------------------------------------------------------------
// In-memory store.
// ----------------------------------------------------------------------------------------------

/// Complete-subtree hashes in memory, one `Vec` per level (level L holds `size >> L` nodes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryNodeStore {
    levels: Vec<Vec<Hash>>,
}

impl MemoryNodeStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves stored (nodes at level 0).
    #[must_use]
    pub fn leaf_count(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Stores one node. Nodes of a level must arrive in index order; re-storing an identical
    /// node is a no-op.
    ///
    /// # Errors
    /// [`ProofError::NodeGap`] for an out-of-order node, [`ProofError::NodeConflict`] for a
    /// different hash at an occupied address.
    pub fn put(&mut self, node: &StoredNode) -> Result<(), ProofError> {
        let slot = usize::from(node.level);
        if self.levels.len() <= slot {
            self.levels.resize_with(slot + 1, Vec::new);
        }
        let level = &mut self.levels[slot];
        let stored = level.len() as u64;
        match node.index.cmp(&stored) {
            std::cmp::Ordering::Equal => {
                level.push(node.hash);
                Ok(())
            }
            std::cmp::Ordering::Less => {
                let existing = usize::try_from(node.index).ok().and_then(|i| level.get(i));
                if existing == Some(&node.hash) {
                    Ok(())
                } else {
                    Err(ProofError::NodeConflict {
                        level: node.level,
                        index: node.index,
                    })
                }
            }
            std::cmp::Ordering::Greater => Err(ProofError::NodeGap {
                level: node.level,
                index: node.index,
                stored,
            }),
        }
    }

    /// Stores every node of a batch, in order.
    ///
    /// # Errors
    /// As [`MemoryNodeStore::put`].
    pub fn put_all(&mut self, nodes: &[StoredNode]) -> Result<(), ProofError> {
        nodes.iter().try_for_each(|n| self.put(n))
    }
}

impl NodeStore for MemoryNodeStore {
    fn get(&self, level: u8, index: u64) -> Option<Hash> {
        let level = self.levels.get(usize::from(level))?;
        level.get(usize::try_from(index).ok()?).copied()
    }
}

/// A [`Frontier`] and a [`MemoryNodeStore`] kept in step: an append-only Merkle tree in memory
/// (what the in-memory event store and tests use).
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    frontier: Frontier,
    store: MemoryNodeStore,
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes.
    #[must_use]
    pub fn from_leaves(leaf_hashes: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for h in leaf_hashes {
            tree.push(h);
        }
        tree
    }

    /// Appends a leaf hash; returns the nodes that became complete (already stored).
    pub fn push(&mut self, leaf_hash: Hash) -> Vec<StoredNode> {
        let nodes = self.frontier.push(leaf_hash);
        self.store
            .put_all(&nodes)
            .expect("frontier emits each node once, in index order");
        nodes
    }

    /// Number of leaves.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The current root.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The stored nodes.
    #[must_use]
    pub const fn store(&self) -> &MemoryNodeStore {
        &self.store
    }

    /// The root at an earlier (or the current) size.
    ///
    /// # Errors
    /// [`ProofError::MissingNode`] when `size` exceeds the tree.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        root_at(&self.store, size)
    }

    /// Inclusion path of `index` in the tree of `size` leaves.
    ///
    /// # Errors
    /// As [`inclusion_proof`].
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        inclusion_proof(&self.store, index, size)
    }

    /// Consistency proof from `first` to `second` leaves.
    ///
    /// # Errors
    /// As [`consistency_proof`].
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        consistency_proof(&self.store, first, second)
    }
}
