//! The store conformance suite: plain async functions over `&dyn EventStore` (plus the fixture for
//! the tests that need a second instance or raw SQL), run against every backend below.

use std::collections::HashSet;
use std::time::Duration;

use kinerja::store::verify::{ChainBreak, verify_chain};
use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    Direction, ExpectedRevision as E, NewEvent, ReadFrom, RecordedEvent, StoreError, StreamId,
    Subscription,
};
use serde_json::json;

use crate::fixture::{Backend, Kind};

fn sid(s: &str) -> StreamId {
    StreamId::parse(s).unwrap()
}

fn ev(n: u64) -> NewEvent {
    NewEvent::new("ThingHappened", json!({ "n": n }))
}

pub async fn every_expectation_kind(b: Backend) {
    let s = b.store.as_ref();
    let a = sid("officer-1");
    // NoStream on a new stream.
    let r = s.append(&a, E::NoStream, vec![ev(0)]).await.unwrap();
    assert_eq!((r.revision, r.position), (0, 1));
    // NoStream on an existing stream.
    let err = s.append(&a, E::NoStream, vec![ev(1)]).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::WrongExpectedVersion {
            stream_id: "officer-1".into(),
            expected: E::NoStream,
            actual: Some(0)
        }
    );
    // StreamExists on a missing stream.
    let err = s
        .append(&sid("officer-2"), E::StreamExists, vec![ev(2)])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::WrongExpectedVersion {
            stream_id: "officer-2".into(),
            expected: E::StreamExists,
            actual: None
        }
    );
    // StreamExists on an existing stream.
    assert_eq!(
        s.append(&a, E::StreamExists, vec![ev(3)])
            .await
            .unwrap()
            .revision,
        1
    );
    // Revision(n): right and wrong.
    assert_eq!(
        s.append(&a, E::Revision(1), vec![ev(4)])
            .await
            .unwrap()
            .revision,
        2
    );
    let err = s.append(&a, E::Revision(1), vec![ev(5)]).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::WrongExpectedVersion {
            stream_id: "officer-1".into(),
            expected: E::Revision(1),
            actual: Some(2)
        }
    );
    let err = s
        .append(&sid("officer-3"), E::Revision(0), vec![ev(6)])
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::WrongExpectedVersion { actual: None, .. }
    ));
    // Any, on a new and an existing stream.
    assert_eq!(
        s.append(&sid("officer-4"), E::Any, vec![ev(7)])
            .await
            .unwrap()
            .revision,
        0
    );
    assert_eq!(s.append(&a, E::Any, vec![ev(8)]).await.unwrap().revision, 3);
    // Failed appends wrote nothing.
    assert_eq!(s.head().await.unwrap().position, 5);
    assert_eq!(s.stream_revision(&sid("officer-2")).await.unwrap(), None);
    assert_eq!(s.stream_revision(&a).await.unwrap(), Some(3));
    let ns: Vec<u64> = s
        .read_stream(&a, ReadFrom::Start, Direction::Forwards, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.data_json()["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, vec![0, 3, 4, 8]);
    b.store.shutdown().await;
}

pub async fn multi_event_appends_are_atomic(b: Backend) {
    let s = b.store.as_ref();
    let a = sid("skp-1_2026");
    let r = s
        .append(&a, E::NoStream, vec![ev(0), ev(1), ev(2)])
        .await
        .unwrap();
    assert_eq!((r.revision, r.first_position, r.position), (2, 1, 3));
    // One bad event spoils the whole append, and nothing is written.
    let bad = NewEvent::new("ThingHappened", json!("not an object"));
    let err = s
        .append(&a, E::Revision(2), vec![ev(3), bad])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent { .. }), "{err:?}");
    // A failed expectation with several events writes none of them.
    assert!(
        s.append(&a, E::Revision(0), vec![ev(3), ev(4)])
            .await
            .is_err()
    );
    assert_eq!(s.head().await.unwrap().position, 3);
    let events = s.read_all(0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.revision).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    b.store.shutdown().await;
}

pub async fn reappending_stored_ids_is_idempotent(b: Backend) {
    let s = b.store.as_ref();
    let a = sid("award-1");
    let batch = vec![ev(0), ev(1)];
    let first = s.append(&a, E::NoStream, batch.clone()).await.unwrap();
    let again = s.append(&a, E::NoStream, batch.clone()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(s.head().await.unwrap().position, 2);
    // Same id, other content: refused.
    let mut changed = batch[0].clone();
    changed.data = json!({ "n": 99 });
    let err = s.append(&a, E::NoStream, vec![changed]).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::DuplicateEventId {
            event_id: batch[0].event_id
        }
    );
    // Same ids under a different expectation: a conflict, not a silent success.
    let err = s
        .append(&a, E::Revision(5), batch.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::WrongExpectedVersion { .. }),
        "{err:?}"
    );
    // Same id in another stream: refused.
    let err = s
        .append(&sid("award-2"), E::Any, vec![batch[0].clone()])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::DuplicateEventId {
            event_id: batch[0].event_id
        }
    );
    // Part stored, part new: refused, nothing written.
    let err = s
        .append(&a, E::Any, vec![batch[1].clone(), ev(2)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateEventId { .. }),
        "{err:?}"
    );
    assert_eq!(s.head().await.unwrap().position, 2);
    // A retry with Any returns the original result too.
    assert_eq!(s.append(&a, E::Any, batch).await.unwrap(), first);
    b.store.shutdown().await;
}

pub async fn reads_by_stream_all_category_and_type(b: Backend) {
    let s = b.store.as_ref();
    for i in 0..5u64 {
        s.append(&sid("officer-7"), E::Any, vec![ev(i)])
            .await
            .unwrap();
        let other = NewEvent::new("OtherThing", json!({ "i": i }));
        s.append(&sid(&format!("unit-u{i}")), E::NoStream, vec![other])
            .await
            .unwrap();
    }
    let o = sid("officer-7");
    let revs = |v: Vec<RecordedEvent>| v.iter().map(|e| e.revision).collect::<Vec<_>>();
    assert_eq!(
        revs(
            s.read_stream(&o, ReadFrom::Start, Direction::Forwards, 3)
                .await
                .unwrap()
        ),
        vec![0, 1, 2]
    );
    assert_eq!(
        revs(
            s.read_stream(&o, ReadFrom::Revision(3), Direction::Forwards, 9)
                .await
                .unwrap()
        ),
        vec![3, 4]
    );
    assert_eq!(
        revs(
            s.read_stream(&o, ReadFrom::End, Direction::Backwards, 2)
                .await
                .unwrap()
        ),
        vec![4, 3]
    );
    assert_eq!(
        revs(
            s.read_stream(&o, ReadFrom::Revision(1), Direction::Backwards, 9)
                .await
                .unwrap()
        ),
        vec![1, 0]
    );
    assert_eq!(
        revs(
            s.read_stream(&o, ReadFrom::Start, Direction::Backwards, 9)
                .await
                .unwrap()
        ),
        vec![0]
    );
    assert!(
        s.read_stream(&o, ReadFrom::End, Direction::Forwards, 9)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.read_stream(
            &sid("officer-none"),
            ReadFrom::Start,
            Direction::Forwards,
            9
        )
        .await
        .unwrap()
        .is_empty()
    );

    let all = s.read_all(0, 100).await.unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.windows(2).all(|w| w[1].position == w[0].position + 1));
    let page = s.read_all(4, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.position).collect::<Vec<_>>(),
        vec![5, 6, 7]
    );

    // Events by position: each once, in position order, whatever the order and repeats asked;
    // positions the log does not hold (0, past the head) left out.
    let picked = s.read_positions(&[7, 2, 7, 0, 99, 10]).await.unwrap();
    assert_eq!(
        picked.iter().map(|e| e.position).collect::<Vec<_>>(),
        vec![2, 7, 10]
    );
    assert_eq!(picked[1], all[6]);
    assert!(s.read_positions(&[]).await.unwrap().is_empty());

    let units = s.read_category("unit", 0, 100).await.unwrap();
    assert_eq!(units.len(), 5);
    assert!(units.iter().all(|e| e.stream_id.starts_with("unit-")));
    let later = s
        .read_category("unit", units[2].position, 100)
        .await
        .unwrap();
    assert_eq!(later.len(), 2);
    let other = s.read_event_type("OtherThing", 0, 100).await.unwrap();
    assert_eq!(other.len(), 5);
    assert!(
        s.read_event_type("Nothing", 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Envelope fields come back as written.
    let first = &all[0];
    assert_eq!(first.stream_id, "officer-7");
    assert_eq!(first.event_type, "ThingHappened");
    assert_eq!(first.schema_version, 1);
    assert_eq!(first.data, r#"{"n":0}"#);
    assert_eq!(first.metadata, "{}");
    b.store.shutdown().await;
}

pub async fn bad_input_is_refused_and_changes_nothing(b: Backend) {
    for bad in [
        "",
        "has space",
        "tab\there",
        "nl\nx",
        "ctl\u{7}x",
        &"x".repeat(201),
    ] {
        let err = StreamId::parse(bad).unwrap_err();
        assert!(matches!(err, StoreError::InvalidStreamId { .. }), "{bad:?}");
    }
    assert!(StreamId::parse("x".repeat(200)).is_ok());
    let s = b.store.as_ref();
    let a = sid("officer-1");
    for data in [json!(null), json!(1), json!("s"), json!([1, 2])] {
        let err = s
            .append(&a, E::Any, vec![NewEvent::new("T", data)])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidEvent { .. }));
    }
    let big = NewEvent::new("T", json!({ "x": "é".repeat(600 * 1024) }));
    assert!(matches!(
        s.append(&a, E::Any, vec![big]).await,
        Err(StoreError::InvalidEvent { .. })
    ));
    let bad_meta = NewEvent::new("T", json!({})).with_metadata(json!([]));
    assert!(matches!(
        s.append(&a, E::Any, vec![bad_meta]).await,
        Err(StoreError::InvalidEvent { .. })
    ));
    let bad_type = NewEvent::new("Bad Type", json!({}));
    assert!(matches!(
        s.append(&a, E::Any, vec![bad_type]).await,
        Err(StoreError::InvalidEvent { .. })
    ));
    assert_eq!(s.head().await.unwrap().position, 0);
    b.store.shutdown().await;
}

/// 16 writers × 500 events while a subscriber tails `$all`.
pub async fn concurrent_writers_and_a_live_subscriber(b: Backend) {
    const WRITERS: u64 = 16;
    const EACH: u64 = 500;
    let store = b.store.clone();
    let mut sub = Subscription::all(store.clone(), 0);
    let tail = tokio::spawn(async move {
        let mut seen = Vec::with_capacity(usize::try_from(WRITERS * EACH).unwrap());
        while (seen.len() as u64) < WRITERS * EACH {
            let e = tokio::time::timeout(Duration::from_secs(60), sub.next())
                .await
                .expect("subscriber stalled")
                .unwrap();
            seen.push(e);
        }
        seen
    });
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let stream = sid(&format!("officer-w{w}"));
            for i in 0..EACH {
                let expected = if i == 0 {
                    E::NoStream
                } else {
                    E::Revision(i - 1)
                };
                // Half the writers also race on one shared stream with Any.
                if w % 2 == 0 {
                    store
                        .append(&sid("unit-shared"), E::Any, vec![ev(i)])
                        .await
                        .unwrap();
                } else {
                    store.append(&stream, expected, vec![ev(i)]).await.unwrap();
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let seen = tail.await.unwrap();
    let positions: Vec<u64> = seen.iter().map(|e| e.position).collect();
    assert!(
        positions.windows(2).all(|w| w[1] > w[0]),
        "positions strictly increase"
    );
    let ids: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), seen.len(), "every event exactly once");
    let all = store.read_all(0, 100_000).await.unwrap();
    assert_eq!(
        all, seen,
        "the subscriber saw what read_all sees, in the same order"
    );
    let shared = store
        .read_stream(
            &sid("unit-shared"),
            ReadFrom::Start,
            Direction::Forwards,
            100_000,
        )
        .await
        .unwrap();
    assert_eq!(shared.len() as u64, WRITERS / 2 * EACH);
    assert!(
        shared
            .iter()
            .enumerate()
            .all(|(i, e)| e.revision == i as u64)
    );
    assert!(
        verify_chain(store.as_ref(), 1000, |_| ())
            .await
            .unwrap()
            .is_ok()
    );
    // No subscriber event arrives twice, and there are no more.
    store.shutdown().await;
}

/// A writer whose transaction is slow to commit cannot make a subscriber skip its event: another
/// instance's writer waits for the lock, so commit order stays position order.
pub async fn a_slow_commit_cannot_make_a_subscriber_skip(b: Backend) {
    let slow = b
        .another_instance(WriterOptions {
            commit_delay: Some(Duration::from_millis(400)),
            ..Default::default()
        })
        .await;
    let fast = b.store.clone();
    let mut sub = Subscription::all(fast.clone(), 0);
    sub.poll = Duration::from_millis(20);
    let tail = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 40 {
            seen.push(
                tokio::time::timeout(Duration::from_secs(30), sub.next())
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        seen
    });
    let mut tasks = Vec::new();
    for i in 0..20u64 {
        let (slow, fast) = (slow.clone(), fast.clone());
        tasks.push(tokio::spawn(async move {
            slow.append(&sid(&format!("slow-{i}")), E::NoStream, vec![ev(i)])
                .await
                .unwrap();
        }));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            fast.append(&sid(&format!("fast-{i}")), E::NoStream, vec![ev(i)])
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seen = tail.await.unwrap();
    let all = fast.read_all(0, 1000).await.unwrap();
    assert_eq!(all.len(), 40);
    assert_eq!(seen, all, "the subscriber skipped or reordered nothing");
    assert!(seen.iter().any(|e| e.stream_id.starts_with("slow-")));
    slow.shutdown().await;
    fast.shutdown().await;
}

/// Edit one stored event with plain SQL; `verify` names exactly that position.
pub async fn tampering_is_named_by_verify(b: Backend) {
    let s = b.store.as_ref();
    for i in 0..20u64 {
        s.append(&sid(&format!("officer-{}", i % 3)), E::Any, vec![ev(i)])
            .await
            .unwrap();
    }
    assert!(verify_chain(s, 7, |_| ()).await.unwrap().is_ok());
    // The guards refuse a plain update.
    assert!(matches!(b.kind, Kind::Sqlite | Kind::Postgres));
    b.drop_guards().await;
    b.raw_sql(&[r#"update events set data = '{"n":666}' where position = 7"#])
        .await;
    // Pages are checked several at once: the break is named wherever it falls in a page (first,
    // last, or the event just before the next page).
    for page in [1, 5, 6, 7, 100] {
        let broken = verify_chain(s, page, |_| ()).await.unwrap().unwrap_err();
        assert!(
            matches!(broken, ChainBreak::HashMismatch { position: 7, .. }),
            "page {page}: {broken}"
        );
        assert_eq!(broken.position(), 7);
    }
    b.store.shutdown().await;
}

/// A row whose stored fields cannot be an event (a short hash, a text column holding a blob) is
/// reported as corrupt at its position by every read; nothing is made up for it.
pub async fn damaged_rows_are_reported_as_corrupt(b: Backend) {
    let s = b.store.as_ref();
    for i in 0..6u64 {
        s.append(&sid("officer-1"), E::Any, vec![ev(i)])
            .await
            .unwrap();
    }
    b.drop_guards().await;
    b.raw_sql(&["update events set hash = substr(hash, 1, 3) where position = 4"])
        .await;
    for read in [
        s.read_all(0, 100).await,
        s.read_all(3, 1).await,
        s.read_category("officer", 0, 100).await,
    ] {
        match read {
            Err(StoreError::Corrupt { position: 4, .. }) => {}
            other => panic!("expected Corrupt at 4, got {other:?}"),
        }
    }
    // Rows before it still read.
    assert_eq!(s.read_all(0, 3).await.unwrap().len(), 3);
    b.store.shutdown().await;
}

/// Long pages of `$all` (which PostgreSQL reads with COPY) hold exactly what short pages hold,
/// from any position; a damaged row inside a long page is reported at its position.
pub async fn long_pages_read_as_short_pages(b: Backend) {
    let s = b.store.as_ref();
    for chunk in 0..15u64 {
        let events = (0..100).map(|i| ev(chunk * 100 + i)).collect();
        s.append(&sid(&format!("officer-{}", chunk % 4)), E::Any, events)
            .await
            .unwrap();
    }
    let mut short = Vec::new();
    loop {
        let page = s.read_all(short.len() as u64, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        short.extend(page);
    }
    assert_eq!(short.len(), 1_500);
    assert_eq!(s.read_all(0, 10_000).await.unwrap(), short);
    assert_eq!(s.read_all(700, 600).await.unwrap(), short[700..1_300]);
    assert_eq!(s.read_all(1_499, 10_000).await.unwrap(), short[1_499..]);
    assert!(s.read_all(1_500, 10_000).await.unwrap().is_empty());
    if b.kind == Kind::Memory {
        return; // nothing stored to damage
    }

    b.drop_guards().await;
    b.raw_sql(&["update events set hash = substr(hash, 1, 3) where position = 1000"])
        .await;
    match s.read_all(0, 10_000).await {
        Err(StoreError::Corrupt { position: 1000, .. }) => {}
        other => panic!("expected Corrupt at 1000, got {:?}", other.map(|v| v.len())),
    }
    assert_eq!(s.read_all(0, 999).await.unwrap(), short[..999]);
    b.store.shutdown().await;
}

/// Deleting an event, or the tail of the log, is named too.
pub async fn deletions_are_named_by_verify(b: Backend) {
    let s = b.store.as_ref();
    for i in 0..10u64 {
        s.append(&sid("officer-1"), E::Any, vec![ev(i)])
            .await
            .unwrap();
    }
    b.drop_guards().await;
    b.raw_sql(&["delete from events where position = 10"]).await;
    let broken = verify_chain(s, 4, |_| ()).await.unwrap().unwrap_err();
    assert!(
        matches!(
            broken,
            ChainBreak::HeadMismatch {
                recorded: 10,
                actual: 9
            }
        ),
        "{broken}"
    );
    b.raw_sql(&["delete from events where position = 4"]).await;
    let broken = verify_chain(s, 4, |_| ()).await.unwrap().unwrap_err();
    assert!(
        matches!(
            broken,
            ChainBreak::Gap {
                expected: 4,
                found: 5,
                ..
            }
        ),
        "{broken}"
    );
    b.store.shutdown().await;
}

pub async fn guards_refuse_updates_and_deletes(b: Backend) {
    b.store
        .append(&sid("officer-1"), E::Any, vec![ev(1)])
        .await
        .unwrap();
    let url = b.url.clone();
    let outcome = match b.kind {
        Kind::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let u = sqlx::query("update events set data = '{}'")
                .execute(&mut c)
                .await;
            let d = sqlx::query("delete from events").execute(&mut c).await;
            (u.is_err(), d.is_err())
        }
        Kind::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let u = sqlx::query("update events set data = '{}'")
                .execute(&mut c)
                .await;
            let d = sqlx::query("delete from events").execute(&mut c).await;
            (u.is_err(), d.is_err())
        }
        Kind::Memory => unreachable!(),
    };
    assert_eq!(outcome, (true, true));
    b.store.shutdown().await;
}

pub async fn category_subscription_catches_up_then_goes_live(b: Backend) {
    let store = b.store.clone();
    for i in 0..5u64 {
        store
            .append(&sid(&format!("officer-{i}")), E::NoStream, vec![ev(i)])
            .await
            .unwrap();
        store
            .append(&sid(&format!("unit-{i}")), E::NoStream, vec![ev(i)])
            .await
            .unwrap();
    }
    let mut sub = Subscription::category(store.clone(), "unit", 0);
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(sub.next().await.unwrap());
    }
    let writer = store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer
            .append(&sid("officer-9"), E::Any, vec![ev(9)])
            .await
            .unwrap();
        writer
            .append(&sid("unit-9"), E::Any, vec![ev(9)])
            .await
            .unwrap();
    });
    let live = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.stream_id, "unit-9");
    assert!(got.iter().all(|e| e.category() == "unit"));
    store.shutdown().await;
}

/// On shutdown the writer answers everything queued; what was acknowledged is stored; later
/// appends are refused.
pub async fn shutdown_drains_the_queue(b: Backend) {
    let store = b.store.clone();
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .append(&sid(&format!("officer-{i}")), E::NoStream, vec![ev(i)])
                .await
        }));
    }
    tokio::task::yield_now().await;
    store.shutdown().await;
    let mut acknowledged = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => acknowledged.push(r.position),
            Err(e) => assert_eq!(e, StoreError::ShuttingDown),
        }
    }
    let after = store
        .append(&sid("officer-late"), E::Any, vec![ev(0)])
        .await
        .unwrap_err();
    assert_eq!(after, StoreError::ShuttingDown);
    if b.kind != Kind::Memory {
        let reopened = b.another_instance(WriterOptions::default()).await;
        let all = reopened.read_all(0, 1000).await.unwrap();
        let stored: HashSet<u64> = all.iter().map(|e| e.position).collect();
        assert!(acknowledged.iter().all(|p| stored.contains(p)));
        reopened.shutdown().await;
    }
}

/// Recorded times never go back along the log and the envelope round-trips through JSON.
pub async fn recorded_at_is_monotonic(b: Backend) {
    let s = b.store.as_ref();
    for i in 0..50u64 {
        s.append(&sid("officer-1"), E::Any, vec![ev(i)])
            .await
            .unwrap();
    }
    let all = s.read_all(0, 100).await.unwrap();
    assert!(all.windows(2).all(|w| w[1].recorded_at >= w[0].recorded_at));
    let text = serde_json::to_string(&all[3]).unwrap();
    let back: RecordedEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(back, all[3]);
    b.store.shutdown().await;
}

/// Two writers (processes or instances) on one stream: each sees the other's commits, so a
/// writer never decides on a stale revision it remembers from its own last batch.
pub async fn two_instances_see_each_others_revisions(b: Backend) {
    let other = b.another_instance(WriterOptions::default()).await;
    let me = b.store.clone();
    let s = sid("officer-shared");
    assert_eq!(
        me.append(&s, E::NoStream, vec![ev(0)])
            .await
            .unwrap()
            .revision,
        0
    );
    assert_eq!(
        other
            .append(&s, E::Revision(0), vec![ev(1)])
            .await
            .unwrap()
            .revision,
        1
    );
    assert_eq!(
        me.append(&s, E::Revision(1), vec![ev(2)])
            .await
            .unwrap()
            .revision,
        2
    );
    let err = other
        .append(&s, E::Revision(1), vec![ev(3)])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::WrongExpectedVersion {
                actual: Some(2),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        other
            .append(&s, E::Revision(2), vec![ev(3)])
            .await
            .unwrap()
            .revision,
        3
    );
    assert!(verify_chain(me.as_ref(), 10, |_| ()).await.unwrap().is_ok());
    other.shutdown().await;
    me.shutdown().await;
}
