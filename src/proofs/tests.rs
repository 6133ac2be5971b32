//! Tests across the proofs module: RFC 6962 known answers, agreement between the stored-node tree,
//! the frontier and the recursive reference, tamper detection, and the auditor's JSON checks.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::merkle::{
    consistency_path_len, inclusion_path_len, reference_consistency_path, reference_inclusion_path,
    root_from_inclusion_path, split_point,
};
use super::*;

fn h(text: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).unwrap();
    out
}

fn hs(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|t| h(t)).collect()
}

// ----------------------------------------------------------------------------------------------
// Known answers.
//
// Leaf inputs, node hashes and roots: transparency-dev/merkle, testonly/constants.go
// (`LeafInputs`, `NodeHashes`, `RootHashes`), the RFC 6962 test data shared with Google's
// certificate-transparency-go and trillian. Inclusion and consistency proofs:
// transparency-dev/merkle, proof/verify_test.go (`inclusionProofs`, `consistencyProofs`; leaf
// numbers there are 1-based). Node lists of proofs: proof/proof_test.go (`TestInclusion`,
// `TestConsistency`), compared as sets since we list a right-edge range's tiles left to right.
// ----------------------------------------------------------------------------------------------

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots for sizes 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Complete-subtree hashes of the 8-leaf tree, by level.
const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// (leaf index 0-based, tree size, path).
fn known_inclusion_proofs() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            5,
            8,
            hs(&[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            3,
            hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        ),
        (
            1,
            5,
            hs(&[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
    ]
}

/// (first size, second size, path).
fn known_consistency_proofs() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            6,
            8,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            5,
            hs(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
        (
            6,
            7,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
    ]
}

fn kat_leaves() -> Vec<Hash> {
    LEAF_INPUTS
        .iter()
        .map(|t| leaf_hash(&hex::decode(t).unwrap()))
        .collect()
}

fn kat_root(size: u64) -> Hash {
    h(ROOTS[usize::try_from(size).unwrap()])
}

#[test]
fn known_hashes() {
    assert_eq!(empty_root(), h(ROOTS[0]));
    assert_eq!(leaf_hash(b""), h(ROOTS[1]));
    let leaves = kat_leaves();
    let tree = MemoryTree::from_leaves(leaves.iter().copied());
    let mut frontier = Frontier::new();
    assert_eq!(frontier.root(), h(ROOTS[0]));
    assert_eq!(root_at(tree.store(), 0).unwrap(), h(ROOTS[0]));
    for size in 0..=8usize {
        let want = h(ROOTS[size]);
        assert_eq!(
            root_of(&leaves[..size]),
            want,
            "reference root at size {size}"
        );
        assert_eq!(
            tree.root_at(size as u64).unwrap(),
            want,
            "stored root at size {size}"
        );
        if size > 0 {
            frontier.push(leaves[size - 1]);
        }
        assert_eq!(frontier.root(), want, "frontier root at size {size}");
    }
    for (level, hashes) in NODE_HASHES.iter().enumerate() {
        for (index, want) in hashes.iter().enumerate() {
            let level = u8::try_from(level).unwrap();
            assert_eq!(
                tree.store().get(level, index as u64),
                Some(h(want)),
                "node {level}/{index}"
            );
        }
    }
}

#[test]
fn known_inclusion_proofs_generate_and_verify() {
    let leaves = kat_leaves();
    let tree = MemoryTree::from_leaves(leaves.iter().copied());
    for (index, size, want) in known_inclusion_proofs() {
        let i = usize::try_from(index).unwrap();
        let n = usize::try_from(size).unwrap();
        assert_eq!(
            tree.inclusion_proof(index, size).unwrap(),
            want,
            "stored {index}/{size}"
        );
        assert_eq!(
            reference_inclusion_path(&leaves[..n], i).unwrap(),
            want,
            "ref {index}/{size}"
        );
        verify_inclusion(index, size, &leaves[i], &want, &kat_root(size)).unwrap();
        assert_corrupted_inclusion_fails(index, size, &leaves[i], &want, &kat_root(size));
    }
}

#[test]
fn known_consistency_proofs_generate_and_verify() {
    let leaves = kat_leaves();
    let tree = MemoryTree::from_leaves(leaves.iter().copied());
    for (first, second, want) in known_consistency_proofs() {
        let m = usize::try_from(first).unwrap();
        let n = usize::try_from(second).unwrap();
        assert_eq!(
            tree.consistency_proof(first, second).unwrap(),
            want,
            "stored {first}/{second}"
        );
        assert_eq!(reference_consistency_path(&leaves[..n], m).unwrap(), want);
        verify_consistency(first, second, &kat_root(first), &kat_root(second), &want).unwrap();
        if !want.is_empty() {
            assert_corrupted_consistency_fails(
                first,
                second,
                &kat_root(first),
                &kat_root(second),
                &want,
            );
        }
    }
}

#[test]
fn every_small_proof_verifies_against_known_roots() {
    let leaves = kat_leaves();
    let tree = MemoryTree::from_leaves(leaves.iter().copied());
    for second in 0..=8u64 {
        for first in 0..=second {
            let path = tree.consistency_proof(first, second).unwrap();
            verify_consistency(first, second, &kat_root(first), &kat_root(second), &path).unwrap();
        }
        for index in 0..second {
            let path = tree.inclusion_proof(index, second).unwrap();
            let leaf = &leaves[usize::try_from(index).unwrap()];
            verify_inclusion(index, second, leaf, &path, &kat_root(second)).unwrap();
        }
    }
}

/// (description, leaf index, tree size, leaf hash, path, root).
type InclusionProbe = (String, u64, u64, Hash, Vec<Hash>, Hash);
/// (description, first size, second size, first root, second root, path).
type ConsistencyProbe = (String, u64, u64, Hash, Hash, Vec<Hash>);

/// The corruptions of transparency-dev/merkle's `corruptInclusionProof`.
fn assert_corrupted_inclusion_fails(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) {
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    let mut probes: Vec<InclusionProbe> = vec![
        (
            "index - 1".into(),
            index.wrapping_sub(1),
            size,
            *leaf,
            path.to_vec(),
            *root,
        ),
        (
            "index + 1".into(),
            index + 1,
            size,
            *leaf,
            path.to_vec(),
            *root,
        ),
        (
            "index ^ 2".into(),
            index ^ 2,
            size,
            *leaf,
            path.to_vec(),
            *root,
        ),
        (
            "size * 2".into(),
            index,
            size * 2,
            *leaf,
            path.to_vec(),
            *root,
        ),
        (
            "size / 2".into(),
            index,
            size / 2,
            *leaf,
            path.to_vec(),
            *root,
        ),
        (
            "wrong leaf".into(),
            index,
            size,
            leaf_hash(b"WrongLeaf"),
            path.to_vec(),
            *root,
        ),
        (
            "empty root".into(),
            index,
            size,
            *leaf,
            path.to_vec(),
            empty_root(),
        ),
        (
            "random root".into(),
            index,
            size,
            *leaf,
            path.to_vec(),
            some,
        ),
        (
            "trailing root".into(),
            index,
            size,
            *leaf,
            [path, &[*root]].concat(),
            *root,
        ),
        (
            "preceding root".into(),
            index,
            size,
            *leaf,
            [&[*root], path].concat(),
            *root,
        ),
    ];
    for i in 0..path.len() {
        let mut p = path.to_vec();
        p[i][0] ^= 8;
        probes.push((format!("proof[{i}] bit 3"), index, size, *leaf, p, *root));
    }
    if let Some((_, shorter)) = path.split_last() {
        probes.push((
            "removed".into(),
            index,
            size,
            *leaf,
            shorter.to_vec(),
            *root,
        ));
    }
    if path.len() > 1 {
        let p = [&[path[0], some], &path[1..]].concat();
        probes.push(("inserted".into(), index, size, *leaf, p, *root));
    }
    for (desc, i, n, l, p, r) in probes {
        assert!(
            verify_inclusion(i, n, &l, &p, &r).is_err(),
            "accepted {desc} for {index}/{size}"
        );
    }
}

/// The corruptions of transparency-dev/merkle's `corruptConsistencyProof`.
fn assert_corrupted_consistency_fails(m: u64, n: u64, r1: &Hash, r2: &Hash, path: &[Hash]) {
    let wrong = leaf_hash(b"WrongRoot");
    let mut probes: Vec<ConsistencyProbe> = vec![
        ("m - 1".into(), m - 1, n, *r1, *r2, path.to_vec()),
        ("m + 1".into(), m + 1, n, *r1, *r2, path.to_vec()),
        ("m ^ 2".into(), m ^ 2, n, *r1, *r2, path.to_vec()),
        ("n * 2".into(), m, n * 2, *r1, *r2, path.to_vec()),
        ("n / 2".into(), m, n / 2, *r1, *r2, path.to_vec()),
        ("wrong r1".into(), m, n, wrong, *r2, path.to_vec()),
        ("wrong r2".into(), m, n, *r1, wrong, path.to_vec()),
        ("swapped".into(), m, n, *r2, *r1, path.to_vec()),
        ("empty".into(), m, n, *r1, *r2, vec![]),
        (
            "trailing r1".into(),
            m,
            n,
            *r1,
            *r2,
            [path, &[*r1]].concat(),
        ),
        (
            "trailing r2".into(),
            m,
            n,
            *r1,
            *r2,
            [path, &[*r2]].concat(),
        ),
        (
            "preceding r1".into(),
            m,
            n,
            *r1,
            *r2,
            [&[*r1], path].concat(),
        ),
        (
            "preceding r2".into(),
            m,
            n,
            *r1,
            *r2,
            [&[*r2], path].concat(),
        ),
        (
            "preceding p0".into(),
            m,
            n,
            *r1,
            *r2,
            [&[path[0]], path].concat(),
        ),
        (
            "truncated".into(),
            m,
            n,
            *r1,
            *r2,
            path[..path.len() - 1].to_vec(),
        ),
    ];
    for i in 0..path.len() {
        let mut p = path.to_vec();
        p[i][0] ^= 16;
        probes.push((format!("proof[{i}] bit 4"), m, n, *r1, *r2, p));
    }
    for (desc, a, b, x, y, p) in probes {
        assert!(
            verify_consistency(a, b, &x, &y, &p).is_err(),
            "accepted {desc} for {m}/{n}"
        );
    }
}

#[test]
fn trivial_and_invalid_requests() {
    let root = kat_root(3);
    // Out of range.
    assert_eq!(
        verify_inclusion(3, 3, &root, &[], &root),
        Err(ProofError::LeafIndexOutOfRange { index: 3, size: 3 })
    );
    assert!(verify_inclusion(0, 0, &root, &[], &root).is_err());
    assert!(inclusion_proof_nodes(0, 0).is_err());
    assert_eq!(
        consistency_proof_nodes(5, 4),
        Err(ProofError::SizesOutOfOrder {
            first: 5,
            second: 4
        })
    );
    assert!(verify_consistency(2, 1, &root, &root, &[]).is_err());
    // Same size: empty path, equal roots.
    verify_consistency(3, 3, &root, &root, &[]).unwrap();
    assert!(matches!(
        verify_consistency(3, 3, &root, &kat_root(2), &[]),
        Err(ProofError::RootsDiffer { size: 3, .. })
    ));
    assert!(matches!(
        verify_consistency(3, 3, &root, &root, &[root]),
        Err(ProofError::ConsistencyPathLength {
            expected: 0,
            got: 1,
            ..
        })
    ));
    // From the empty tree: only the empty root, only an empty path.
    verify_consistency(0, 3, &empty_root(), &root, &[]).unwrap();
    assert!(verify_consistency(0, 3, &root, &root, &[]).is_err());
    assert!(verify_consistency(0, 3, &empty_root(), &root, &[root]).is_err());
    // Missing nodes are named.
    let tree = MemoryTree::from_leaves(kat_leaves());
    assert_eq!(
        tree.root_at(9),
        Err(ProofError::MissingNode { level: 0, index: 8 })
    );
    assert_eq!(
        tree.inclusion_proof(0, 16),
        Err(ProofError::MissingNode { level: 3, index: 1 })
    );
}

#[test]
fn error_messages_name_what_failed() {
    let leaves = kat_leaves();
    let (index, size, path) = known_inclusion_proofs().remove(1);
    let wrong = empty_root();
    let err = verify_inclusion(index, size, &leaves[0], &path, &wrong).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "root mismatch at size 8: expected {} got {}",
            ROOTS[0], ROOTS[8]
        )
    );
    let err = verify_inclusion(index, size, &leaves[0], &path[..2], &kat_root(8)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inclusion path length for leaf 0 in a tree of size 8: expected 3 hashes, got 2"
    );
    let err = verify_consistency(6, 8, &kat_root(6), &kat_root(8), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "consistency path length from size 6 to size 8: expected 3 hashes, got 0"
    );
}

/// (size or first size, index or second size, expected (level, index) nodes).
type NodeCase = (u64, u64, &'static [(u8, u64)]);

#[test]
fn proof_node_lists_match_transparency_dev() {
    let set = |v: &[(u8, u64)]| {
        v.iter()
            .map(|&(l, i)| NodeRef::new(l, i))
            .collect::<BTreeSet<_>>()
    };
    let inclusion: &[NodeCase] = &[
        (1, 0, &[]),
        (2, 0, &[(0, 1)]),
        (3, 1, &[(0, 0), (0, 2)]),
        (7, 0, &[(0, 1), (1, 1), (0, 6), (1, 2)]),
        (7, 4, &[(0, 5), (0, 6), (2, 0)]),
        (7, 6, &[(1, 2), (2, 0)]),
        (5, 3, &[(0, 2), (1, 0), (0, 4)]),
        (15, 10, &[(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)]),
        (
            31,
            24,
            &[(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)],
        ),
        (
            95,
            81,
            &[
                (0, 80),
                (1, 41),
                (2, 21),
                (0, 94),
                (1, 46),
                (2, 22),
                (4, 4),
                (6, 0),
            ],
        ),
    ];
    for &(size, index, want) in inclusion {
        let got: BTreeSet<_> = inclusion_proof_nodes(index, size)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(got, set(want), "inclusion {index}/{size}");
    }
    let consistency: &[NodeCase] = &[
        (1, 2, &[(0, 1)]),
        (1, 6, &[(0, 1), (1, 1), (1, 2)]),
        (2, 8, &[(1, 1), (2, 1)]),
        (3, 7, &[(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)]),
        (4, 7, &[(0, 6), (1, 2)]),
        (5, 7, &[(0, 4), (0, 5), (0, 6), (2, 0)]),
        (7, 8, &[(0, 6), (0, 7), (1, 2), (2, 0)]),
        (8, 8, &[]),
        (10, 15, &[(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)]),
        (24, 31, &[(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)]),
        (
            81,
            95,
            &[
                (0, 80),
                (0, 81),
                (1, 41),
                (2, 21),
                (0, 94),
                (1, 46),
                (2, 22),
                (4, 4),
                (6, 0),
            ],
        ),
    ];
    for &(first, second, want) in consistency {
        let got: BTreeSet<_> = consistency_proof_nodes(first, second)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(got, set(want), "consistency {first}/{second}");
    }
}

// ----------------------------------------------------------------------------------------------
// Agreement with the reference, on many sizes.
// ----------------------------------------------------------------------------------------------

fn test_leaves(n: u64, seed: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

fn us(x: u64) -> usize {
    usize::try_from(x).unwrap()
}

/// Everything about trees of `n` leaves: every root, every inclusion proof at every size ≤ n and
/// every consistency proof m..=n, from the store, from a map of only the listed nodes, and from
/// the reference, all verified.
fn check_all_against_reference(n: u64, first_from: u64, seed: u64) {
    let leaves = test_leaves(n, seed);
    let tree = MemoryTree::from_leaves(leaves.iter().copied());
    let roots: Vec<Hash> = (0..=n).map(|s| root_of(&leaves[..us(s)])).collect();
    assert_eq!(tree.root(), roots[us(n)]);
    for s in 0..=n {
        assert_eq!(tree.root_at(s).unwrap(), roots[us(s)], "root at {s}");
        assert_eq!(root_nodes(s).len(), us(u64::from(s.count_ones())));
    }
    for index in 0..n {
        let path = tree.inclusion_proof(index, n).unwrap();
        assert_eq!(
            path,
            reference_inclusion_path(&leaves, us(index)).unwrap(),
            "{index}/{n}"
        );
        assert_eq!(path.len(), inclusion_path_len(index, n));
        verify_inclusion(index, n, &leaves[us(index)], &path, &roots[us(n)]).unwrap();

        let nodes = inclusion_proof_nodes(index, n).unwrap();
        assert!(
            nodes.len() <= 2 * 64 - 2 * us(u64::from(n.leading_zeros())),
            "{nodes:?}"
        );
        let fetched: HashMap<NodeRef, Hash> = nodes
            .iter()
            .map(|r| (*r, tree.store().get(r.level, r.index).unwrap()))
            .collect();
        assert_eq!(fetched.len(), nodes.len(), "node list has duplicates");
        assert_eq!(inclusion_proof(&fetched, index, n).unwrap(), path);
    }
    // Inclusion at an older size, served by the bigger store.
    let older = first_from.max(1);
    for index in 0..older {
        let path = tree.inclusion_proof(index, older).unwrap();
        let want = reference_inclusion_path(&leaves[..us(older)], us(index)).unwrap();
        assert_eq!(path, want);
    }
    for m in first_from..=n {
        let path = tree.consistency_proof(m, n).unwrap();
        assert_eq!(
            path,
            reference_consistency_path(&leaves, us(m)).unwrap(),
            "{m}/{n}"
        );
        assert_eq!(path.len(), consistency_path_len(m, n));
        verify_consistency(m, n, &roots[us(m)], &roots[us(n)], &path).unwrap();

        let nodes = consistency_proof_nodes(m, n).unwrap();
        assert!(
            nodes.len() <= 3 * (64 - us(u64::from(n.leading_zeros()))),
            "{nodes:?}"
        );
        let fetched: HashMap<NodeRef, Hash> = nodes
            .iter()
            .map(|r| (*r, tree.store().get(r.level, r.index).unwrap()))
            .collect();
        assert_eq!(fetched.len(), nodes.len(), "node list has duplicates");
        assert_eq!(consistency_proof(&fetched, m, n).unwrap(), path);
    }
}

#[test]
fn every_proof_up_to_size_40_matches_the_reference() {
    for n in 1..=40 {
        check_all_against_reference(n, 0, n);
    }
}

#[test]
fn split_point_is_the_largest_power_of_two_below() {
    for n in 2..=1025u64 {
        let k = split_point(n);
        assert!(k.is_power_of_two() && k < n && 2 * k >= n, "{n} -> {k}");
    }
    assert_eq!(split_point(u64::MAX), 1 << 63);
}

#[test]
fn huge_sizes_plan_without_overflow() {
    let size = u64::MAX;
    // The last leaf of 2^64 - 1 leaves has one complete sibling per level 0..63.
    assert_eq!(inclusion_proof_nodes(size - 1, size).unwrap().len(), 63);
    assert_eq!(inclusion_path_len(size - 1, size), 63);
    assert_eq!(root_nodes(size).len(), 64);
    assert!(!consistency_proof_nodes(size / 3, size).unwrap().is_empty());
    // Verification of an absurd claim terminates with an error rather than looping.
    let leaf = leaf_hash(b"x");
    assert!(verify_inclusion(size - 1, size, &leaf, &[leaf; 3], &leaf).is_err());
    assert!(verify_consistency(size / 3, size, &leaf, &leaf, &[leaf; 3]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn stored_tree_matches_reference(n in 1u64..=300, first in 0u64..=300, seed in any::<u64>()) {
        check_all_against_reference(n, first.min(n), seed);
    }

    #[test]
    fn flipping_any_inclusion_byte_fails(
        n in 1u64..=300,
        index in any::<prop::sample::Index>(),
        target in any::<prop::sample::Index>(),
        byte in 0usize..32,
        mask in 1u8..=255,
    ) {
        let leaves = test_leaves(n, 7);
        let tree = MemoryTree::from_leaves(leaves.iter().copied());
        let i = index.index(us(n)) as u64;
        let mut path = tree.inclusion_proof(i, n).unwrap();
        let mut leaf = leaves[us(i)];
        let mut root = tree.root();
        prop_assert!(verify_inclusion(i, n, &leaf, &path, &root).is_ok());
        match target.index(path.len() + 2) {
            t if t < path.len() => path[t][byte] ^= mask,
            t if t == path.len() => leaf[byte] ^= mask,
            _ => root[byte] ^= mask,
        }
        prop_assert!(verify_inclusion(i, n, &leaf, &path, &root).is_err());
    }

    #[test]
    fn flipping_any_consistency_byte_fails(
        n in 1u64..=300,
        first in any::<prop::sample::Index>(),
        target in any::<prop::sample::Index>(),
        byte in 0usize..32,
        mask in 1u8..=255,
    ) {
        let leaves = test_leaves(n, 9);
        let tree = MemoryTree::from_leaves(leaves.iter().copied());
        // 1 ≤ m ≤ n; m == n exercises the equal-size rule.
        let m = first.index(us(n)) as u64 + 1;
        let mut path = tree.consistency_proof(m, n).unwrap();
        let mut r1 = tree.root_at(m).unwrap();
        let mut r2 = tree.root();
        prop_assert!(verify_consistency(m, n, &r1, &r2, &path).is_ok());
        match target.index(path.len() + 2) {
            t if t < path.len() => path[t][byte] ^= mask,
            t if t == path.len() => r1[byte] ^= mask,
            _ => r2[byte] ^= mask,
        }
        prop_assert!(verify_consistency(m, n, &r1, &r2, &path).is_err());
    }

    #[test]
    fn frontier_emits_exactly_the_completed_nodes(n in 0u64..=300, seed in any::<u64>()) {
        let leaves = test_leaves(n, seed);
        let mut frontier = Frontier::new();
        let mut store = MemoryNodeStore::new();
        let mut all_emitted = BTreeSet::new();
        for t in 1..=n {
            let emitted = frontier.push(leaves[us(t - 1)]);
            // Exactly the nodes (L, i) whose last leaf is leaf t - 1, bottom-up.
            let want: Vec<StoredNode> = (0u8..64)
                .take_while(|&l| t % (1u64 << l) == 0)
                .map(|l| {
                    let index = (t >> l) - 1;
                    let hash = root_of(&leaves[us(index << l)..us(t)]);
                    StoredNode { level: l, index, hash }
                })
                .collect();
            prop_assert_eq!(&emitted, &want);
            for node in &emitted {
                prop_assert!(all_emitted.insert(node.node_ref()), "emitted twice: {:?}", node);
            }
            store.put_all(&emitted).unwrap();
            prop_assert_eq!(frontier.size(), t);
            prop_assert_eq!(frontier.root(), root_of(&leaves[..us(t)]));
            prop_assert_eq!(root_at(&store, t).unwrap(), frontier.root());
            // Rebuildable from the store, and from only the nodes it says it needs.
            prop_assert_eq!(&Frontier::from_store(&store, t).unwrap(), &frontier);
            let fetched: HashMap<NodeRef, Hash> = Frontier::nodes_needed(t)
                .into_iter()
                .map(|r| (r, store.get(r.level, r.index).unwrap()))
                .collect();
            prop_assert_eq!(&Frontier::from_store(&fetched, t).unwrap(), &frontier);
        }
        // Every complete node of the final tree was emitted, and nothing else.
        let complete: usize = (0u8..64).map(|l| us(n >> l)).sum();
        prop_assert_eq!(all_emitted.len(), complete);
        // The rebuilt frontier keeps growing like the original.
        if n > 0 {
            let mut rebuilt = Frontier::from_store(&store, n / 2).unwrap();
            let tail = rebuilt.extend(leaves[us(n / 2)..].iter().copied());
            prop_assert_eq!(rebuilt.root(), frontier.root());
            prop_assert!(tail.iter().all(|s| store.get(s.level, s.index) == Some(s.hash)));
        }
    }

    #[test]
    fn inclusion_root_recomputation_matches_rfc_lengths(size in 1u64.., raw in any::<u64>()) {
        let index = raw % size;
        let leaf = leaf_hash(b"l");
        let len = inclusion_path_len(index, size);
        prop_assert_eq!(len, inclusion_proof_nodes(index, size).map(|_| len).unwrap());
        let path = vec![leaf; len];
        prop_assert!(root_from_inclusion_path(index, size, &leaf, &path).is_ok());
        if len > 0 {
            prop_assert!(root_from_inclusion_path(index, size, &leaf, &path[1..]).is_err());
        }
        prop_assert!(root_from_inclusion_path(index, size, &leaf, &[path, vec![leaf]].concat()).is_err());
    }
}

#[test]
fn memory_store_rejects_gaps_and_conflicts() {
    let mut store = MemoryNodeStore::new();
    let node = |level, index, byte| StoredNode {
        level,
        index,
        hash: [byte; 32],
    };
    store.put(&node(0, 0, 1)).unwrap();
    store.put(&node(0, 0, 1)).unwrap();
    assert_eq!(
        store.put(&node(0, 0, 2)),
        Err(ProofError::NodeConflict { level: 0, index: 0 })
    );
    assert_eq!(
        store.put(&node(0, 2, 1)),
        Err(ProofError::NodeGap {
            level: 0,
            index: 2,
            stored: 1
        })
    );
    assert_eq!(store.leaf_count(), 1);
    assert_eq!(
        store.get_many(&[NodeRef::new(0, 0), NodeRef::new(1, 0)]),
        vec![Some([1; 32]), None]
    );
}

// ----------------------------------------------------------------------------------------------
// Auditor JSON.
// ----------------------------------------------------------------------------------------------

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

struct Audit {
    key: SigningKey,
    tree: MemoryTree,
    chain: Vec<Hash>,
}

fn audit_fixture() -> Audit {
    // Chain hashes stand in for the events' chain hashes; leaves are their leaf hashes.
    let chain: Vec<Hash> = (0u8..13).map(|i| [i; 32]).collect();
    let tree = MemoryTree::from_leaves(chain.iter().map(|c| leaf_hash(c)));
    Audit {
        key: SigningKey::from_seed(&[3; 32]),
        tree,
        chain,
    }
}

impl Audit {
    fn head(&self, size: u64) -> SignedTreeHead {
        sign_head(
            &self.key,
            size,
            self.tree.root_at(size).unwrap(),
            at("2025-02-01T00:00:00Z"),
        )
    }

    fn inclusion(&self, index: u64, size: u64) -> InclusionProof {
        InclusionProof {
            leaf_index: index,
            tree_size: size,
            leaf_hash: leaf_hash(&self.chain[us(index)]),
            audit_path: self.tree.inclusion_proof(index, size).unwrap(),
            root_hash: self.tree.root_at(size).unwrap(),
        }
    }

    fn consistency(&self, first: u64, second: u64) -> ConsistencyProof {
        ConsistencyProof {
            first_size: first,
            second_size: second,
            first_root: self.tree.root_at(first).unwrap(),
            second_root: self.tree.root_at(second).unwrap(),
            path: self.tree.consistency_proof(first, second).unwrap(),
        }
    }
}

#[test]
fn inclusion_json_is_hex_and_round_trips() {
    let a = audit_fixture();
    let proof = a.inclusion(5, 13);
    let value = serde_json::to_value(&proof).unwrap();
    assert_eq!(value["leaf_index"], 5);
    assert_eq!(value["tree_size"], 13);
    assert_eq!(value["leaf_hash"], hex::encode(proof.leaf_hash));
    assert_eq!(value["root_hash"], hex::encode(proof.root_hash));
    let path: Vec<String> = proof.audit_path.iter().map(hex::encode).collect();
    assert_eq!(value["audit_path"], serde_json::json!(path));
    let back: InclusionProof = serde_json::from_value(value).unwrap();
    assert_eq!(back, proof);
    check_inclusion(&back).unwrap();
    check_event_inclusion(&back, &a.chain[5]).unwrap();
    assert!(matches!(
        check_event_inclusion(&back, &a.chain[6]),
        Err(ProofError::LeafHashMismatch { index: 5, .. })
    ));
    check_inclusion_with_head(&back, &a.head(13), &a.key.public_key()).unwrap();
}

#[test]
fn consistency_json_round_trips_and_checks_with_heads() {
    let a = audit_fixture();
    let proof = a.consistency(6, 13);
    let json = serde_json::to_string_pretty(&proof).unwrap();
    let back: ConsistencyProof = serde_json::from_str(&json).unwrap();
    assert_eq!(back, proof);
    check_consistency(&back).unwrap();
    let public = a.key.public_key();
    check_consistency_with_heads(&back, &a.head(6), &a.head(13), &public).unwrap();
    // Heads for other sizes, or with the roots swapped, are caught.
    assert_eq!(
        check_consistency_with_heads(&back, &a.head(5), &a.head(13), &public),
        Err(ProofError::HeadSizeMismatch {
            head_size: 5,
            proof_size: 6
        })
    );
    let mut lying = back.clone();
    lying.second_root = lying.first_root;
    assert!(matches!(
        check_consistency_with_heads(&lying, &a.head(6), &a.head(13), &public),
        Err(ProofError::HeadRootMismatch { size: 13, .. })
    ));
}

#[test]
fn audit_documents_check_offline() {
    let a = audit_fixture();
    let public = a.key.public_key();
    let docs = [
        AuditDocument::Head { head: a.head(13) },
        AuditDocument::Inclusion {
            proof: a.inclusion(12, 13),
            head: a.head(13),
        },
        AuditDocument::Inclusion {
            proof: a.inclusion(0, 1),
            head: a.head(1),
        },
        AuditDocument::Consistency {
            proof: a.consistency(1, 13),
            first_head: a.head(1),
            second_head: a.head(13),
        },
    ];
    for doc in &docs {
        let json = serde_json::to_string(doc).unwrap();
        let back: AuditDocument = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, doc);
        back.check(&public).unwrap();
        let other = SigningKey::from_seed(&[4; 32]).public_key();
        assert!(matches!(
            back.check(&other),
            Err(ProofError::KeyIdMismatch { .. })
        ));
    }
    let json = serde_json::to_value(&docs[1]).unwrap();
    assert_eq!(json["kind"], "inclusion");

    // A tampered audit path under a valid head.
    let mut proof = a.inclusion(3, 13);
    proof.audit_path[1][0] ^= 1;
    let doc = AuditDocument::Inclusion {
        proof,
        head: a.head(13),
    };
    assert!(matches!(
        doc.check(&public),
        Err(ProofError::RootMismatch { size: 13, .. })
    ));
    // A head whose signature was made for another root.
    let mut head = a.head(13);
    head.root_hash = a.tree.root_at(12).unwrap();
    let doc = AuditDocument::Inclusion {
        proof: a.inclusion(3, 13),
        head,
    };
    assert_eq!(
        doc.check(&public),
        Err(ProofError::BadSignature { size: 13 })
    );
}

#[test]
fn malformed_json_is_rejected_with_the_field() {
    let a = audit_fixture();
    let mut value = serde_json::to_value(a.inclusion(2, 13)).unwrap();
    value["audit_path"][0] = serde_json::json!("zz");
    let err = serde_json::from_value::<InclusionProof>(value)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected 32 bytes as 64 hex digits"), "{err}");
}
