//! The RFC 6962 / RFC 9162 Merkle tree hash and its proofs, in their plain form: leaf and node
//! hashing, a recursive reference implementation of `MTH`, `PATH` and `PROOF` (RFC 6962 §2.1,
//! O(n), for tests and tiny trees), and the two verification algorithms of RFC 9162 (§2.1.3.2
//! inclusion, §2.1.4.2 consistency), which is all a third party needs to check a proof.
//!
//! Leaf i (0-based) is log position i + 1; its leaf data is the event's 32-byte chain hash.

use sha2::{Digest, Sha256};

use super::error::ProofError;

/// A SHA-256 digest: leaf hash, node hash or root.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf hash.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash.
pub const NODE_PREFIX: u8 = 0x01;

/// Root of the empty tree: SHA-256 of the empty string.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 || data)`. In kinerja `data` is the event's 32-byte chain hash.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (RFC 9162 §2.1.1). Requires `n >= 2`.
#[must_use]
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2, "split_point needs n >= 2");
    1u64 << (63 - (n - 1).leading_zeros())
}

fn split_len(n: usize) -> usize {
    debug_assert!(n >= 2);
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

// ----------------------------------------------------------------------------------------------
// Reference implementation (RFC 6962 §2.1, recursive, O(n) per call).
// ----------------------------------------------------------------------------------------------

/// `MTH(D[n])` over already-hashed leaves, straight from the RFC's recursive definition.
#[must_use]
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let k = split_len(leaves.len());
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// `PATH(m, D[n])` (RFC 6962 §2.1.1): the audit path of leaf `index`, bottom-up.
///
/// # Errors
/// [`ProofError::LeafIndexOutOfRange`] when `index >= leaves.len()`.
pub fn reference_inclusion_path(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, ProofError> {
    if index >= leaves.len() {
        return Err(ProofError::LeafIndexOutOfRange {
            index: index as u64,
            size: leaves.len() as u64,
        });
    }
    fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return Vec::new();
        }
        let k = split_len(d.len());
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(root_of(&d[..k]));
            p
        }
    }
    Ok(path(index, leaves))
}

/// `PROOF(m, D[n])` (RFC 6962 §2.1.2): the consistency proof from the first `first` leaves to
/// all of `leaves`. Empty when `first` is 0 or equals `leaves.len()`.
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`] when `first > leaves.len()`.
pub fn reference_consistency_path(leaves: &[Hash], first: usize) -> Result<Vec<Hash>, ProofError> {
    if first > leaves.len() {
        return Err(ProofError::SizesOutOfOrder {
            first: first as u64,
            second: leaves.len() as u64,
        });
    }
    fn subproof(m: usize, d: &[Hash], complete: bool) -> Vec<Hash> {
        if m == d.len() {
            return if complete {
                Vec::new()
            } else {
                vec![root_of(d)]
            };
        }
        let k = split_len(d.len());
        if m <= k {
            let mut p = subproof(m, &d[..k], complete);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(root_of(&d[..k]));
            p
        }
    }
    if first == 0 {
        return Ok(Vec::new());
    }
    Ok(subproof(first, leaves, true))
}

// ----------------------------------------------------------------------------------------------
// Expected proof lengths (used to give a precise error before running the RFC algorithms).
// ----------------------------------------------------------------------------------------------

/// Number of hashes in the inclusion path of leaf `index` in a tree of `size` (`index < size`).
#[must_use]
pub fn inclusion_path_len(index: u64, size: u64) -> usize {
    let (mut lo, mut hi) = (0u64, size);
    let mut len = 0;
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            hi = mid;
        } else {
            lo = mid;
        }
        len += 1;
    }
    len
}

/// Number of hashes in the consistency proof from `first` to `second` (`first <= second`).
#[must_use]
pub fn consistency_path_len(first: u64, second: u64) -> usize {
    if first == 0 || first >= second {
        return 0;
    }
    let (mut lo, mut hi) = (0u64, second);
    let mut complete = true;
    let mut len = 0;
    loop {
        if first == hi {
            return len + usize::from(!complete);
        }
        let mid = lo + split_point(hi - lo);
        if first <= mid {
            hi = mid;
        } else {
            lo = mid;
            complete = false;
        }
        len += 1;
    }
}

// ----------------------------------------------------------------------------------------------
// Verification (RFC 9162).
// ----------------------------------------------------------------------------------------------

/// Recomputes the root from an inclusion path with the RFC 9162 §2.1.3.2 algorithm.
///
/// # Errors
/// [`ProofError::LeafIndexOutOfRange`] or [`ProofError::InclusionPathLength`].
pub fn root_from_inclusion_path(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    path: &[Hash],
) -> Result<Hash, ProofError> {
    // 1. leaf_index must be inside the tree.
    if leaf_index >= tree_size {
        return Err(ProofError::LeafIndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let length_error = || ProofError::InclusionPathLength {
        index: leaf_index,
        size: tree_size,
        expected: inclusion_path_len(leaf_index, tree_size),
        got: path.len(),
    };
    if path.len() != inclusion_path_len(leaf_index, tree_size) {
        return Err(length_error());
    }
    // 2. fn = leaf_index, sn = tree_size - 1; 3. r = hash.
    let (mut fnode, mut snode) = (leaf_index, tree_size - 1);
    let mut r = *leaf;
    // 4. For each p in the path:
    for p in path {
        // a. sn == 0 means the path is too long.
        if snode == 0 {
            return Err(length_error());
        }
        // b. Is p a left sibling?
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // c. Up one level.
        fnode >>= 1;
        snode >>= 1;
    }
    // 5. sn must be 0 (path not too short).
    if snode != 0 {
        return Err(length_error());
    }
    Ok(r)
}

/// Verifies that `leaf` is leaf `leaf_index` of the tree of `tree_size` leaves with root `root`
/// (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`ProofError::LeafIndexOutOfRange`], [`ProofError::InclusionPathLength`] or
/// [`ProofError::RootMismatch`].
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let got = root_from_inclusion_path(leaf_index, tree_size, leaf, path)?;
    if &got != root {
        return Err(ProofError::RootMismatch {
            size: tree_size,
            expected: *root,
            got,
        });
    }
    Ok(())
}

/// Verifies that the tree of `first_size` leaves with root `first_root` is a prefix of the tree
/// of `second_size` leaves with root `second_root` (RFC 9162 §2.1.4.2).
///
/// Edge cases the RFC algorithm leaves to the caller: equal sizes need an empty path and equal
/// roots; a first size of 0 needs an empty path and the empty-tree root as `first_root`.
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`], [`ProofError::ConsistencyPathLength`],
/// [`ProofError::RootsDiffer`] or [`ProofError::RootMismatch`] (naming which of the two sizes).
pub fn verify_consistency(
    first_size: u64,
    second_size: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if first_size > second_size {
        return Err(ProofError::SizesOutOfOrder {
            first: first_size,
            second: second_size,
        });
    }
    let expected_len = consistency_path_len(first_size, second_size);
    let length_error = || ProofError::ConsistencyPathLength {
        first: first_size,
        second: second_size,
        expected: expected_len,
        got: path.len(),
    };
    if path.len() != expected_len {
        return Err(length_error());
    }
    if first_size == second_size {
        if first_root != second_root {
            return Err(ProofError::RootsDiffer {
                size: first_size,
                first: *first_root,
                second: *second_root,
            });
        }
        return Ok(());
    }
    if first_size == 0 {
        let empty = empty_root();
        if first_root != &empty {
            return Err(ProofError::RootMismatch {
                size: 0,
                expected: *first_root,
                got: empty,
            });
        }
        return Ok(());
    }

    // 1. An empty path was rejected by the length check above (0 < first < second).
    // 2. If first is an exact power of 2, prepend first_hash to the path.
    let mut nodes: Vec<&Hash> = Vec::with_capacity(path.len() + 1);
    if first_size.is_power_of_two() {
        nodes.push(first_root);
    }
    nodes.extend(path.iter());
    // 3. fn = first - 1, sn = second - 1.
    let (mut fnode, mut snode) = (first_size - 1, second_size - 1);
    // 4. Skip the levels where the first tree's last node is a right child.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // 5. fr = sr = first value.
    let Some((&seed, rest)) = nodes.split_first() else {
        return Err(length_error());
    };
    let (mut fr, mut sr) = (*seed, *seed);
    // 6. For each subsequent value c:
    for c in rest {
        // a. sn == 0 means the path is too long.
        if snode == 0 {
            return Err(length_error());
        }
        // b.
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // c.
        fnode >>= 1;
        snode >>= 1;
    }
    // 7. fr == first_hash, sr == second_hash, sn == 0.
    if snode != 0 {
        return Err(length_error());
    }
    if &fr != first_root {
        return Err(ProofError::RootMismatch {
            size: first_size,
            expected: *first_root,
            got: fr,
        });
    }
    if &sr != second_root {
        return Err(ProofError::RootMismatch {
            size: second_size,
            expected: *second_root,
            got: sr,
        });
    }
    Ok(())
}
