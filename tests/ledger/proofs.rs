//! Proofs answered from the stored tree agree with a Merkle tree rebuilt from the events, and
//! verify against the heads the log signed; `verify_all` passes a clean log and names a head
//! signed by another key.

use chrono::Utc;
use kinerja::ledger::{self, LedgerError, VerifyFailure};
use kinerja::proofs::{
    AuditDocument, MemoryTree, ProofError, SignedTreeHead, SigningKey, check_consistency,
    check_consistency_with_heads, check_event_inclusion, check_inclusion,
    check_inclusion_with_head, leaf_hash,
};
use kinerja::store::EventStore;

use crate::fixture::{Backend, append_batches};

/// Sizes at which heads are signed; the batches below land on each of them.
const SIGNED_AT: [u64; 5] = [1, 16, 17, 37, 100];

/// Append 100 events in batches of varied sizes, signing a head after 1, 16, 17, 37 and 100.
async fn signed_log(store: &dyn EventStore, key: &SigningKey) -> Vec<SignedTreeHead> {
    let batches: [&[usize]; 5] = [&[1], &[15], &[1], &[5, 15], &[33, 2, 28]];
    let mut heads = Vec::new();
    for (sizes, at) in batches.iter().zip(SIGNED_AT) {
        append_batches(store, sizes).await;
        let head = ledger::sign_head(store, key, Utc::now()).await.unwrap();
        assert_eq!(head.tree_size, at);
        heads.push(head);
    }
    heads
}

/// A tree over the log's events as read back (leaf = `leaf_hash(chain hash)`).
async fn rebuilt_tree(store: &dyn EventStore) -> (MemoryTree, Vec<[u8; 32]>) {
    let events = store.read_all(0, 10_000).await.unwrap();
    let hashes: Vec<[u8; 32]> = events.iter().map(|e| e.hash).collect();
    (
        MemoryTree::from_leaves(hashes.iter().map(|h| leaf_hash(h))),
        hashes,
    )
}

pub async fn proofs_from_the_store_verify(b: Backend) {
    let s = b.store.as_ref();
    let key = SigningKey::from_seed(&[1; 32]);
    let public = key.public_key();
    let heads = signed_log(s, &key).await;
    let (tree, chain) = rebuilt_tree(s).await;
    assert_eq!(tree.size(), 100);

    // Kept heads: what the store returns is what was signed, and the roots are the rebuilt ones.
    let kept = s.tree_heads(0, 100).await.unwrap();
    assert_eq!(kept, heads);
    assert_eq!(s.latest_tree_head().await.unwrap().as_ref(), heads.last());
    for head in &heads {
        assert_eq!(
            ledger::head_at(s, head.tree_size).await.unwrap().as_ref(),
            Some(head)
        );
        assert_eq!(head.root_hash, tree.root_at(head.tree_size).unwrap());
        assert_eq!(
            ledger::root_at(s, head.tree_size).await.unwrap(),
            head.root_hash
        );
        AuditDocument::Head { head: head.clone() }
            .check(&public)
            .unwrap();
    }
    assert_eq!(ledger::head_at(s, 2).await.unwrap(), None);
    // Signing again at the same size keeps (and returns) the first head.
    let again = ledger::sign_head(s, &SigningKey::from_seed(&[9; 32]), Utc::now())
        .await
        .unwrap();
    assert_eq!(&again, heads.last().unwrap());

    // Every position under every kept head: the proof verifies against the head, is about that
    // event, and equals the rebuilt tree's.
    let mut checked = 0;
    for head in &heads {
        let size = head.tree_size;
        for position in 1..=size {
            let index = position - 1;
            let proof = ledger::inclusion_proof(s, position, size).await.unwrap();
            assert_eq!(proof.leaf_index, index);
            assert_eq!(proof.tree_size, size);
            assert_eq!(proof.root_hash, head.root_hash);
            assert_eq!(proof.audit_path, tree.inclusion_proof(index, size).unwrap());
            check_inclusion_with_head(&proof, head, &public)
                .unwrap_or_else(|e| panic!("position {position} size {size}: {e}"));
            check_event_inclusion(&proof, &chain[usize::try_from(index).unwrap()]).unwrap();
            let doc = AuditDocument::Inclusion {
                proof: proof.clone(),
                head: head.clone(),
            };
            let json = serde_json::to_string(&doc).unwrap();
            let back: AuditDocument = serde_json::from_str(&json).unwrap();
            back.check(&public).unwrap();
            // The proof says nothing about another event, nor under another head.
            if position > 1 {
                assert!(matches!(
                    check_event_inclusion(&proof, &chain[0]),
                    Err(ProofError::LeafHashMismatch { .. })
                ));
            }
            if let Some(other) = heads.iter().find(|h| h.tree_size != size) {
                assert!(matches!(
                    check_inclusion_with_head(&proof, other, &public),
                    Err(ProofError::HeadSizeMismatch { .. })
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 16 + 17 + 37 + 100);

    // Every size, many positions (first, last, and a stride): equal to the rebuilt tree.
    for size in 1..=100u64 {
        let root = tree.root_at(size).unwrap();
        assert_eq!(ledger::root_at(s, size).await.unwrap(), root, "size {size}");
        let mut positions: Vec<u64> = (1..=size).step_by(7).collect();
        positions.push(size);
        for position in positions {
            let proof = ledger::inclusion_proof(s, position, size).await.unwrap();
            assert_eq!(proof.root_hash, root);
            assert_eq!(
                proof.audit_path,
                tree.inclusion_proof(position - 1, size).unwrap(),
                "position {position} size {size}"
            );
            check_inclusion(&proof).unwrap();
        }
    }

    // Consistency between every pair of kept heads (a head with itself included).
    for (i, first) in heads.iter().enumerate() {
        for second in &heads[i..] {
            let proof = ledger::consistency_proof(s, first.tree_size, second.tree_size)
                .await
                .unwrap();
            assert_eq!(
                proof.path,
                tree.consistency_proof(first.tree_size, second.tree_size)
                    .unwrap()
            );
            check_consistency_with_heads(&proof, first, second, &public)
                .unwrap_or_else(|e| panic!("{} → {}: {e}", first.tree_size, second.tree_size));
            let doc = AuditDocument::Consistency {
                proof,
                first_head: first.clone(),
                second_head: second.clone(),
            };
            let back: AuditDocument =
                serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
            back.check(&public).unwrap();
        }
    }
    // And between many sizes that have no head.
    for first in (1..=100u64).step_by(9) {
        for second in (first..=100).step_by(13) {
            let proof = ledger::consistency_proof(s, first, second).await.unwrap();
            assert_eq!(proof.path, tree.consistency_proof(first, second).unwrap());
            check_consistency(&proof).unwrap();
        }
    }

    // Out of range.
    for (position, size) in [(0, 10), (11, 10), (1, 101)] {
        assert!(matches!(
            ledger::inclusion_proof(s, position, size).await,
            Err(LedgerError::OutOfRange(_))
        ));
    }
    for (first, second) in [(0, 10), (11, 10), (10, 101)] {
        assert!(matches!(
            ledger::consistency_proof(s, first, second).await,
            Err(LedgerError::OutOfRange(_))
        ));
    }
}

pub async fn verify_all_passes_a_clean_log_and_names_a_foreign_head(b: Backend) {
    let s = b.store.as_ref();
    let key = SigningKey::from_seed(&[1; 32]);
    let public = key.public_key();
    let heads = signed_log(s, &key).await;
    let (tree, _) = rebuilt_tree(s).await;

    for page in [7, 10_000] {
        let mut seen = Vec::new();
        let report = ledger::verify_all(s, None, page, |p| seen.push(p))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.events, 100);
        assert_eq!(report.root, tree.root());
        assert_eq!(report.heads_checked, heads.len());
        assert_eq!(seen.last(), Some(&100));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");

        let report = ledger::verify_all(s, Some(&public), page, |_| ())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((report.events, report.heads_checked), (100, 5));
    }
    for head in &heads {
        ledger::verify_kept_head(s, head, &public, 5, |_| ())
            .await
            .unwrap()
            .unwrap();
    }

    // A head signed by another key: the roots match, the signature does not.
    append_batches(s, &[3]).await;
    let intruder = SigningKey::from_seed(&[2; 32]);
    let foreign = ledger::sign_head(s, &intruder, Utc::now()).await.unwrap();
    assert_eq!(foreign.tree_size, 103);
    let report = ledger::verify_all(s, None, 50, |_| ())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.events, report.heads_checked), (103, 6));
    let failure = ledger::verify_all(s, Some(&public), 50, |_| ())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(failure, VerifyFailure::HeadSignature { tree_size: 103, .. }),
        "{failure}"
    );
    assert_eq!(failure.position(), 103);
    assert!(failure.to_string().contains("key id"), "{failure}");
    // The same head, checked on its own.
    let failure = ledger::verify_kept_head(s, &foreign, &public, 50, |_| ())
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(
        failure,
        VerifyFailure::HeadSignature { tree_size: 103, .. }
    ));
    // A kept head claiming the right key id but signed by another key.
    let mut forged = intruder.sign_head(100, heads[4].root_hash, heads[4].timestamp);
    forged.key_id = public.key_id();
    let failure = ledger::verify_kept_head(s, &forged, &public, 50, |_| ())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        failure,
        VerifyFailure::HeadSignature {
            tree_size: 100,
            reason: "signature does not verify for head of size 100".into()
        }
    );
    // A genuine head beyond the log (e.g. from another deployment's log).
    let beyond = key.sign_head(500, tree.root(), Utc::now());
    let failure = ledger::verify_kept_head(s, &beyond, &public, 50, |_| ())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        failure,
        VerifyFailure::HeadBeyondLog {
            tree_size: 500,
            log_size: 103
        }
    );
}
