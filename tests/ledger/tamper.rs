//! Tampering by an administrator with plain SQL, after the log signed heads that an auditor kept
//! as JSON: an edited event, a deleted event, two events' data swapped, and history rewritten
//! with a recomputed hash chain. `verify_kept_head` names each one (the chain position, or the
//! size of the head whose root no longer matches), and so does `verify_all`.

use chrono::Utc;
use kinerja::ledger::{self, VerifyFailure};
use kinerja::proofs::{PublicKey, SignedTreeHead, SigningKey};
use kinerja::store::chain::event_hash;
use kinerja::store::verify::{ChainBreak, verify_chain};
use kinerja::store::{EventStore, RecordedEvent};
use serde_json::json;

use crate::fixture::{Backend, Kind, append_batches, text_literal};

/// What the auditor kept: the JSON of the heads signed after 10, 20 and 40 events.
struct Kept {
    public: PublicKey,
    heads: Vec<String>,
}

impl Kept {
    fn head(&self, size: u64) -> SignedTreeHead {
        self.heads
            .iter()
            .map(|json| serde_json::from_str::<SignedTreeHead>(json).unwrap())
            .find(|h| h.tree_size == size)
            .unwrap()
    }

    /// `verify_kept_head` on the kept head of `size`.
    async fn check(&self, store: &dyn EventStore, size: u64) -> Result<(), VerifyFailure> {
        ledger::verify_kept_head(store, &self.head(size), &self.public, 7, |_| ())
            .await
            .unwrap()
    }
}

/// 40 events in batches; heads signed (and kept by the auditor) after 10, 20 and 40.
async fn signed_log(store: &dyn EventStore) -> Kept {
    let key = SigningKey::from_seed(&[3; 32]);
    let mut heads = Vec::new();
    for sizes in [&[4usize, 6][..], &[7, 3], &[12, 8]] {
        append_batches(store, sizes).await;
        let head = ledger::sign_head(store, &key, Utc::now()).await.unwrap();
        heads.push(serde_json::to_string(&head).unwrap());
    }
    let kept = Kept {
        public: key.public_key(),
        heads,
    };
    for size in [10, 20, 40] {
        kept.check(store, size).await.unwrap();
    }
    ledger::verify_all(store, Some(&kept.public), 7, |_| ())
        .await
        .unwrap()
        .unwrap();
    kept
}

async fn event(store: &dyn EventStore, position: u64) -> RecordedEvent {
    store.read_all(position - 1, 1).await.unwrap().remove(0)
}

async fn verify_all(store: &dyn EventStore, kept: &Kept) -> VerifyFailure {
    ledger::verify_all(store, Some(&kept.public), 7, |_| ())
        .await
        .unwrap()
        .unwrap_err()
}

fn assert_hash_mismatch_at(failure: &VerifyFailure, position: u64) {
    assert!(
        matches!(
            failure,
            VerifyFailure::Chain(ChainBreak::HashMismatch { position: p, .. }) if *p == position
        ),
        "expected a hash mismatch at {position}, got: {failure}"
    );
    assert_eq!(failure.position(), position);
    assert!(
        failure
            .to_string()
            .contains(&format!("position {position} ")),
        "{failure}"
    );
}

pub async fn an_edited_event_is_named(b: Backend) {
    let s = b.store.as_ref();
    let kept = signed_log(s).await;
    b.drop_guards().await;
    let forged = json!({"n": 13, "report": "laporan kinerja 13 (diubah)"}).to_string();
    b.raw_sql(&[format!(
        "update events set data = {} where position = 13",
        text_literal(&forged)
    )])
    .await;
    assert_eq!(event(s, 13).await.data, forged);

    assert_hash_mismatch_at(&kept.check(s, 40).await.unwrap_err(), 13);
    assert_hash_mismatch_at(&kept.check(s, 20).await.unwrap_err(), 13);
    kept.check(s, 10).await.unwrap();
    assert_hash_mismatch_at(&verify_all(s, &kept).await, 13);
}

pub async fn a_deleted_event_is_named(b: Backend) {
    let s = b.store.as_ref();
    let kept = signed_log(s).await;
    let gone = event(s, 13).await;
    b.drop_guards().await;
    b.raw_sql(&["delete from events where position = 13".to_string()])
        .await;

    let expected = VerifyFailure::Chain(ChainBreak::Gap {
        expected: 13,
        found: 14,
        event_id: event(s, 14).await.event_id,
    });
    assert_ne!(gone.event_id, event(s, 14).await.event_id);
    for size in [20, 40] {
        let failure = kept.check(s, size).await.unwrap_err();
        assert_eq!(failure, expected, "head {size}");
        assert_eq!(failure.position(), 13);
        assert!(
            failure.to_string().contains("position 13 is missing"),
            "{failure}"
        );
    }
    kept.check(s, 10).await.unwrap();
    assert_eq!(verify_all(s, &kept).await, expected);
}

pub async fn swapped_data_is_named(b: Backend) {
    let s = b.store.as_ref();
    let kept = signed_log(s).await;
    let (e12, e27) = (event(s, 12).await, event(s, 27).await);
    assert_ne!(e12.data, e27.data);
    b.drop_guards().await;
    b.raw_sql(&[
        format!(
            "update events set data = {} where position = 12",
            text_literal(&e27.data)
        ),
        format!(
            "update events set data = {} where position = 27",
            text_literal(&e12.data)
        ),
    ])
    .await;
    assert_eq!(event(s, 12).await.data, e27.data);
    assert_eq!(event(s, 27).await.data, e12.data);

    assert_hash_mismatch_at(&kept.check(s, 40).await.unwrap_err(), 12);
    assert_hash_mismatch_at(&kept.check(s, 20).await.unwrap_err(), 12);
    kept.check(s, 10).await.unwrap();
    assert_hash_mismatch_at(&verify_all(s, &kept).await, 12);
}

pub async fn rewritten_history_is_named(b: Backend) {
    let s = b.store.as_ref();
    let kept = signed_log(s).await;
    let events = s.read_all(0, 100).await.unwrap();
    assert_eq!(events.len(), 40);

    // Replace event 13 with a forged one and recompute the whole chain from there on.
    let k = 13;
    let mut forged = events.clone();
    forged[k - 1].data = json!({"n": 13, "report": "tidak pernah terjadi"}).to_string();
    let mut prev = forged[k - 2].hash;
    let mut statements = Vec::new();
    for e in &mut forged[k - 1..] {
        e.hash = event_hash(&prev, (&*e).into());
        prev = e.hash;
        statements.push(format!(
            "update events set data = {}, hash = {} where position = {}",
            text_literal(&e.data),
            b.bytes_literal(&e.hash),
            e.position
        ));
    }
    statements.push(format!(
        "update log_head set hash = {} where id = 1",
        b.bytes_literal(&prev)
    ));
    b.drop_guards().await;
    b.raw_sql(&statements).await;
    assert_eq!(s.read_all(0, 100).await.unwrap(), forged);
    assert_eq!(s.head().await.unwrap().hash, prev);

    // The plain chain check is fooled.
    let report = verify_chain(s, 7, |_| ()).await.unwrap().unwrap();
    assert_eq!(report.events, 40);

    // The heads the auditor kept are not.
    for size in [20, 40] {
        let failure = kept.check(s, size).await.unwrap_err();
        assert!(
            matches!(&failure, VerifyFailure::HeadRoot { tree_size, .. } if *tree_size == size),
            "head {size}: {failure}"
        );
        assert_eq!(failure.position(), size);
        assert!(
            failure
                .to_string()
                .contains(&format!("the log's first {size} events give")),
            "{failure}"
        );
    }
    kept.check(s, 10).await.unwrap();

    // Nor are the heads kept in the database: the first one after the rewrite is named.
    let failure = verify_all(s, &kept).await;
    assert!(
        matches!(failure, VerifyFailure::HeadRoot { tree_size: 20, .. }),
        "{failure}"
    );

    // An administrator who also removes the kept heads leaves the stored tree behind.
    b.raw_sql(&[match b.kind {
        Kind::Sqlite => "drop trigger tree_heads_are_never_deleted".to_string(),
        Kind::Postgres => "alter table tree_heads disable trigger user".to_string(),
    }])
    .await;
    b.raw_sql(&["delete from tree_heads".to_string()]).await;
    let failure = verify_all(s, &kept).await;
    assert!(
        matches!(failure, VerifyFailure::StoredTree { size: 40, .. }),
        "{failure}"
    );
    // Still, only the auditor's copy proves what the log said at size 40.
    assert!(matches!(
        kept.check(s, 40).await.unwrap_err(),
        VerifyFailure::HeadRoot { tree_size: 40, .. }
    ));
}
