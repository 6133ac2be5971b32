//! The KurrentDB backend (`--features kurrentdb`).
//!
//! - Always (with the feature): the backend opens without a reachable cluster, keeps answering reads from the ledger
//!   database, and refuses commands with `NotCommitted` (HTTP 503) while the cluster is away.
//! - Without the feature: a KurrentDB URL is refused with a message naming the feature.
//! - With `KINERJA_TEST_KURRENTDB_URL` pointing at a server (e.g.
//!   `kurrentdb://127.0.0.1:2113?tls=false`): the conformance cases, adapted to a shared server
//!   (unique stream names per test, positions relative to the sealed head at the start, since
//!   every test's fresh ledger seals the whole of the server's `$all`). Without it, one test
//!   says plainly that the conformance run was skipped.

const SKIPPED: &str = "SKIPPED: KurrentDB conformance (KINERJA_TEST_KURRENTDB_URL not set)";

#[tokio::test]
async fn conformance_run_or_skip_notice() {
    if std::env::var("KINERJA_TEST_KURRENTDB_URL").is_err() {
        eprintln!("{SKIPPED}");
    } else if cfg!(not(feature = "kurrentdb")) {
        eprintln!("SKIPPED: KurrentDB conformance (built without the kurrentdb feature)");
    }
}

/// Without the feature, a KurrentDB URL is refused with a message that names the feature.
#[cfg(not(feature = "kurrentdb"))]
#[tokio::test]
async fn without_the_feature_the_url_names_it() {
    for url in [
        "kurrentdb://127.0.0.1:2113?tls=false",
        "esdb://127.0.0.1:2113",
        "esdb+discover://cluster.example:2113",
    ] {
        let err = kinerja::store::open(url, Default::default())
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains("`kurrentdb` feature"), "{err}");
    }
}

#[cfg(feature = "kurrentdb")]
mod backend {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use kinerja::store::kurrentdb::KurrentDbStore;
    use kinerja::store::verify::verify_chain;
    use kinerja::store::{
        Direction, EventStore, ExpectedRevision as E, NewEvent, ReadFrom, RecordedEvent,
        StoreError, StreamId, Subscription,
    };
    use serde_json::json;

    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    fn with_ledger(cluster: &str, dir: &tempfile::TempDir, name: &str) -> String {
        let ledger = format!("sqlite://{}", dir.path().join(name).display());
        let sep = if cluster.contains('?') { '&' } else { '?' };
        format!("{cluster}{sep}ledger={}", encode(&ledger))
    }

    fn ev(n: u64) -> NewEvent {
        NewEvent::new("ThingHappened", json!({ "n": n }))
    }

    /// Stream names unique to one test run.
    struct Names(String);

    impl Names {
        fn new() -> Self {
            Self(uuid::Uuid::new_v4().simple().to_string()[..12].to_string())
        }
        fn sid(&self, category: &str, id: &str) -> StreamId {
            StreamId::parse(format!("{category}{}-{id}", self.0)).unwrap()
        }
        fn category(&self, category: &str) -> String {
            format!("{category}{}", self.0)
        }
    }

    struct Server {
        store: Arc<dyn EventStore>,
        cluster: String,
        dir: tempfile::TempDir,
    }

    impl Server {
        async fn new() -> Option<Self> {
            let Ok(cluster) = std::env::var("KINERJA_TEST_KURRENTDB_URL") else {
                return None;
            };
            let dir = tempfile::tempdir().unwrap();
            let url = with_ledger(&cluster, &dir, "ledger.db");
            let store: Arc<dyn EventStore> = Arc::new(
                KurrentDbStore::open(&url, Default::default())
                    .await
                    .unwrap(),
            );
            // The fresh ledger seals everything already in the server's $all first.
            wait_sealed_to_end(&store).await;
            Some(Self {
                store,
                cluster,
                dir,
            })
        }

        /// Another service instance: same cluster, its own ledger database.
        async fn another_instance(&self, name: &str) -> Arc<dyn EventStore> {
            let url = with_ledger(&self.cluster, &self.dir, name);
            let store: Arc<dyn EventStore> = Arc::new(
                KurrentDbStore::open(&url, Default::default())
                    .await
                    .unwrap(),
            );
            wait_sealed_to_end(&store).await;
            store
        }
    }

    /// Append a marker and wait for it: everything before it in $all is then sealed.
    async fn wait_sealed_to_end(store: &Arc<dyn EventStore>) {
        let marker = StreamId::parse(format!("marker-{}", uuid::Uuid::new_v4().simple())).unwrap();
        store
            .append(&marker, E::NoStream, vec![ev(0)])
            .await
            .expect("the sealer reached the end of $all");
    }

    async fn base(s: &dyn EventStore) -> u64 {
        s.head().await.unwrap().position
    }

    async fn ours(s: &dyn EventStore, after: u64, prefix: &str) -> Vec<RecordedEvent> {
        s.read_all(after, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.stream_id.contains(prefix))
            .collect()
    }

    /// No cluster at all (a port nothing listens on): the store opens, reads answer from the ledger
    /// database, and appends are refused as not committed, quickly enough for a 503.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_a_cluster_reads_work_and_commands_are_not_committed() {
        let dir = tempfile::tempdir().unwrap();
        let url = with_ledger(
            "kurrentdb://127.0.0.1:9?tls=false&maxDiscoverAttempts=1&discoveryInterval=50&gossipTimeout=200&sealTimeoutMs=500",
            &dir,
            "ledger.db",
        );
        let store = KurrentDbStore::open(&url, Default::default())
            .await
            .unwrap();
        assert_eq!(store.head().await.unwrap().position, 0);
        assert!(store.read_all(0, 10).await.unwrap().is_empty());
        let s = StreamId::parse("officer-1").unwrap();
        let started = Instant::now();
        let err = store
            .append(&s, E::NoStream, vec![ev(1)])
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotCommitted(_) | StoreError::CommitUnknown(_)
            ),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        // Validation is the same as on every backend, before the cluster is asked.
        let bad = store
            .append(&s, E::Any, vec![NewEvent::new("T", json!([1]))])
            .await
            .unwrap_err();
        assert!(matches!(bad, StoreError::InvalidEvent { .. }));
        let reserved =
            NewEvent::new("T", json!({})).with_metadata(json!({"$kinerjaSchemaVersion": 1}));
        assert!(matches!(
            store.append(&s, E::Any, vec![reserved]).await,
            Err(StoreError::InvalidEvent { .. })
        ));
        // Reads keep answering from the sealed log while the cluster is away.
        assert!(
            store
                .read_stream(&s, ReadFrom::Start, Direction::Forwards, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.stream_revision(&s).await.unwrap(), None);
        assert!(!store.sealer_status().connected);
        store.shutdown().await;
        assert_eq!(
            store.append(&s, E::Any, vec![ev(2)]).await.unwrap_err(),
            StoreError::ShuttingDown
        );
    }

    /// A ledger database that already holds events not sealed from a cluster is refused.
    #[tokio::test]
    async fn a_ledger_with_foreign_events_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let plain = kinerja::store::sqlite::SqliteStore::open(&ledger, Default::default())
            .await
            .unwrap();
        plain
            .append(&StreamId::parse("officer-1").unwrap(), E::Any, vec![ev(1)])
            .await
            .unwrap();
        plain.shutdown().await;
        let url = with_ledger("kurrentdb://127.0.0.1:9?tls=false", &dir, "ledger.db");
        let err = KurrentDbStore::open(&url, Default::default())
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains("not sealed from"), "{err}");
    }

    macro_rules! with_server {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(server) = Server::new().await {
                    cases::$name(server).await;
                }
            }
        )*
    };
}

    with_server!(
        every_expectation_kind,
        multi_event_appends_are_atomic,
        reappending_stored_ids_is_idempotent,
        reads_by_stream_all_category_and_type,
        concurrent_writers_and_a_live_subscriber,
        category_subscription_catches_up_then_goes_live,
        two_instances_see_each_others_revisions,
        recorded_at_is_monotonic_and_the_chain_verifies,
    );

    mod cases {
        use super::*;

        pub async fn every_expectation_kind(server: Server) {
            let n = Names::new();
            let s = server.store.as_ref();
            let a = n.sid("officer", "1");
            let r = s.append(&a, E::NoStream, vec![ev(0)]).await.unwrap();
            assert_eq!(r.revision, 0);
            let err = s.append(&a, E::NoStream, vec![ev(1)]).await.unwrap_err();
            assert_eq!(
                err,
                StoreError::WrongExpectedVersion {
                    stream_id: a.to_string(),
                    expected: E::NoStream,
                    actual: Some(0)
                }
            );
            let missing = n.sid("officer", "2");
            let err = s
                .append(&missing, E::StreamExists, vec![ev(2)])
                .await
                .unwrap_err();
            assert!(matches!(
                err,
                StoreError::WrongExpectedVersion { actual: None, .. }
            ));
            assert_eq!(
                s.append(&a, E::StreamExists, vec![ev(3)])
                    .await
                    .unwrap()
                    .revision,
                1
            );
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
                    stream_id: a.to_string(),
                    expected: E::Revision(1),
                    actual: Some(2)
                }
            );
            assert_eq!(
                s.append(&n.sid("officer", "4"), E::Any, vec![ev(7)])
                    .await
                    .unwrap()
                    .revision,
                0
            );
            assert_eq!(s.append(&a, E::Any, vec![ev(8)]).await.unwrap().revision, 3);
            assert_eq!(s.stream_revision(&missing).await.unwrap(), None);
            assert_eq!(s.stream_revision(&a).await.unwrap(), Some(3));
            let ns: Vec<u64> = s
                .read_stream(&a, ReadFrom::Start, Direction::Forwards, 100)
                .await
                .unwrap()
                .iter()
                .map(|e| e.data_json()["n"].as_u64().unwrap())
                .collect();
            assert_eq!(ns, vec![0, 3, 4, 8]);
            server.store.shutdown().await;
        }

        pub async fn multi_event_appends_are_atomic(server: Server) {
            let n = Names::new();
            let s = server.store.as_ref();
            let start = base(s).await;
            let a = n.sid("skp", "1_2026");
            let r = s
                .append(&a, E::NoStream, vec![ev(0), ev(1), ev(2)])
                .await
                .unwrap();
            assert_eq!(r.revision, 2);
            assert_eq!(r.position - r.first_position, 2);
            assert!(r.first_position > start);
            let bad = NewEvent::new("ThingHappened", json!("not an object"));
            let err = s
                .append(&a, E::Revision(2), vec![ev(3), bad])
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::InvalidEvent { .. }), "{err:?}");
            assert!(
                s.append(&a, E::Revision(0), vec![ev(3), ev(4)])
                    .await
                    .is_err()
            );
            let events = ours(s, start, &n.0).await;
            assert_eq!(
                events.iter().map(|e| e.revision).collect::<Vec<_>>(),
                vec![0, 1, 2]
            );
            assert!(
                events
                    .windows(2)
                    .all(|w| w[1].position == w[0].position + 1)
            );
            server.store.shutdown().await;
        }

        pub async fn reappending_stored_ids_is_idempotent(server: Server) {
            let n = Names::new();
            let s = server.store.as_ref();
            let a = n.sid("award", "1");
            let batch = vec![ev(0), ev(1)];
            let first = s.append(&a, E::NoStream, batch.clone()).await.unwrap();
            let head = base(s).await;
            let again = s.append(&a, E::NoStream, batch.clone()).await.unwrap();
            assert_eq!(first, again);
            let mut changed = batch[0].clone();
            changed.data = json!({ "n": 99 });
            assert_eq!(
                s.append(&a, E::NoStream, vec![changed]).await.unwrap_err(),
                StoreError::DuplicateEventId {
                    event_id: batch[0].event_id
                }
            );
            let err = s
                .append(&a, E::Revision(5), batch.clone())
                .await
                .unwrap_err();
            assert!(
                matches!(err, StoreError::WrongExpectedVersion { .. }),
                "{err:?}"
            );
            assert_eq!(
                s.append(&n.sid("award", "2"), E::Any, vec![batch[0].clone()])
                    .await
                    .unwrap_err(),
                StoreError::DuplicateEventId {
                    event_id: batch[0].event_id
                }
            );
            let err = s
                .append(&a, E::Any, vec![batch[1].clone(), ev(2)])
                .await
                .unwrap_err();
            assert!(
                matches!(err, StoreError::DuplicateEventId { .. }),
                "{err:?}"
            );
            assert_eq!(s.append(&a, E::Any, batch).await.unwrap(), first);
            assert_eq!(ours(s, head, &n.0).await.len(), 0, "nothing more written");
            server.store.shutdown().await;
        }

        pub async fn reads_by_stream_all_category_and_type(server: Server) {
            let n = Names::new();
            let s = server.store.as_ref();
            let start = base(s).await;
            let o = n.sid("officer", "7");
            for i in 0..5u64 {
                s.append(&o, E::Any, vec![ev(i)]).await.unwrap();
                let other = NewEvent::new(format!("Other{}", n.0), json!({ "i": i }));
                s.append(&n.sid("unit", &format!("u{i}")), E::NoStream, vec![other])
                    .await
                    .unwrap();
            }
            let revs = |v: Vec<RecordedEvent>| v.iter().map(|e| e.revision).collect::<Vec<_>>();
            let read = |from, dir, limit| s.read_stream(&o, from, dir, limit);
            assert_eq!(
                revs(read(ReadFrom::Start, Direction::Forwards, 3).await.unwrap()),
                vec![0, 1, 2]
            );
            assert_eq!(
                revs(
                    read(ReadFrom::Revision(3), Direction::Forwards, 9)
                        .await
                        .unwrap()
                ),
                vec![3, 4]
            );
            assert_eq!(
                revs(read(ReadFrom::End, Direction::Backwards, 2).await.unwrap()),
                vec![4, 3]
            );
            assert_eq!(
                revs(
                    read(ReadFrom::Revision(1), Direction::Backwards, 9)
                        .await
                        .unwrap()
                ),
                vec![1, 0]
            );
            assert_eq!(
                revs(
                    read(ReadFrom::Start, Direction::Backwards, 9)
                        .await
                        .unwrap()
                ),
                vec![0]
            );
            assert!(
                read(ReadFrom::End, Direction::Forwards, 9)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let all = ours(s, start, &n.0).await;
            assert_eq!(all.len(), 10);
            let units = s.read_category(&n.category("unit"), 0, 100).await.unwrap();
            assert_eq!(units.len(), 5);
            let later = s
                .read_category(&n.category("unit"), units[2].position, 100)
                .await
                .unwrap();
            assert_eq!(later.len(), 2);
            let other = s
                .read_event_type(&format!("Other{}", n.0), 0, 100)
                .await
                .unwrap();
            assert_eq!(other.len(), 5);
            let first = &all[0];
            assert_eq!(first.event_type, "ThingHappened");
            assert_eq!(first.schema_version, 1);
            assert_eq!(first.data, r#"{"n":0}"#);
            assert_eq!(first.metadata, "{}");
            server.store.shutdown().await;
        }

        pub async fn concurrent_writers_and_a_live_subscriber(server: Server) {
            const WRITERS: u64 = 8;
            const EACH: u64 = 50;
            let n = Names::new();
            let store = server.store.clone();
            let start = base(store.as_ref()).await;
            let mut sub = Subscription::all(store.clone(), start);
            let prefix = n.0.clone();
            let tail = tokio::spawn(async move {
                let mut seen = Vec::new();
                while (seen.len() as u64) < WRITERS * EACH {
                    let e = tokio::time::timeout(Duration::from_secs(60), sub.next())
                        .await
                        .expect("subscriber stalled")
                        .unwrap();
                    if e.stream_id.contains(&prefix) {
                        seen.push(e);
                    }
                }
                seen
            });
            let mut writers = Vec::new();
            for w in 0..WRITERS {
                let store = store.clone();
                let stream = n.sid("officer", &format!("w{w}"));
                let shared = n.sid("unit", "shared");
                writers.push(tokio::spawn(async move {
                    for i in 0..EACH {
                        if w % 2 == 0 {
                            store.append(&shared, E::Any, vec![ev(i)]).await.unwrap();
                        } else {
                            let expected = if i == 0 {
                                E::NoStream
                            } else {
                                E::Revision(i - 1)
                            };
                            store.append(&stream, expected, vec![ev(i)]).await.unwrap();
                        }
                    }
                }));
            }
            for w in writers {
                w.await.unwrap();
            }
            let seen = tail.await.unwrap();
            assert!(seen.windows(2).all(|w| w[1].position > w[0].position));
            let ids: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
            assert_eq!(ids.len(), seen.len());
            assert_eq!(ours(store.as_ref(), start, &n.0).await, seen);
            assert!(
                verify_chain(store.as_ref(), 1000, |_| ())
                    .await
                    .unwrap()
                    .is_ok()
            );
            store.shutdown().await;
        }

        pub async fn category_subscription_catches_up_then_goes_live(server: Server) {
            let n = Names::new();
            let store = server.store.clone();
            for i in 0..5u64 {
                for c in ["officer", "unit"] {
                    store
                        .append(&n.sid(c, &i.to_string()), E::NoStream, vec![ev(i)])
                        .await
                        .unwrap();
                }
            }
            let mut sub = Subscription::category(store.clone(), &n.category("unit"), 0);
            for _ in 0..5 {
                sub.next().await.unwrap();
            }
            let writer = store.clone();
            let live_stream = n.sid("unit", "9");
            let expected = live_stream.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                writer
                    .append(&live_stream, E::Any, vec![ev(9)])
                    .await
                    .unwrap();
            });
            let live = tokio::time::timeout(Duration::from_secs(10), sub.next())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(live.stream_id, expected);
            store.shutdown().await;
        }

        pub async fn two_instances_see_each_others_revisions(server: Server) {
            let n = Names::new();
            let other = server.another_instance("other.db").await;
            let me = server.store.clone();
            let s = n.sid("officer", "shared");
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
            let err = me
                .append(&s, E::Revision(0), vec![ev(2)])
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::WrongExpectedVersion {
                        actual: Some(1),
                        ..
                    }
                ),
                "{err:?}"
            );
            // A stream read on one instance is as fresh as the cluster.
            assert_eq!(
                me.read_stream(&s, ReadFrom::End, Direction::Backwards, 1)
                    .await
                    .unwrap()[0]
                    .revision,
                1
            );
            other.shutdown().await;
            me.shutdown().await;
        }

        pub async fn recorded_at_is_monotonic_and_the_chain_verifies(server: Server) {
            let n = Names::new();
            let s = server.store.as_ref();
            for i in 0..30u64 {
                s.append(&n.sid("officer", "1"), E::Any, vec![ev(i)])
                    .await
                    .unwrap();
            }
            let all = s.read_all(0, 100_000).await.unwrap();
            assert!(all.windows(2).all(|w| w[1].recorded_at >= w[0].recorded_at));
            assert!(all.windows(2).all(|w| w[1].position == w[0].position + 1));
            assert!(verify_chain(s, 100, |_| ()).await.unwrap().is_ok());
            server.store.shutdown().await;
        }
    }
}
