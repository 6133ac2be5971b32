//! On SQLite the read models live in a file of their own next to the event log: the log's file
//! holds no projection table, and the read file is found again (restored, caught up, rebuilt)
//! after the projector is reopened, or rebuilt from the log when it was deleted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kinerja::projections::db::read_url_for;
use kinerja::projections::{Projector, ReadDb};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::fixture::{Backend, Kind};
use super::scenario::{self, Rng, Writer};
use super::{catch_up, snapshot};

/// The tables of a SQLite file, read through a connection of its own.
async fn tables_in(file: &Path) -> BTreeSet<String> {
    let options = SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", file.display()));
    let names: Vec<String> =
        sqlx::query_scalar("select name from sqlite_master where type = 'table'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    names.into_iter().collect()
}

/// Every table the projections of this build declare, and the checkpoints.
fn read_model_tables() -> BTreeSet<String> {
    let mut out: BTreeSet<String> = kinerja::projections::all()
        .iter()
        .flat_map(|p| p.tables().iter().map(|t| t.name.to_string()))
        .collect();
    out.insert("projection_checkpoints".into());
    out
}

fn file_of(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("sqlite://").expect("a sqlite:// URL"))
}

#[test]
fn the_read_file_is_named_after_the_log() {
    let cases = [
        (
            "sqlite://data/kinerja.db",
            "sqlite://data/kinerja.projections.db",
        ),
        ("sqlite:log", "sqlite:log.projections"),
        (
            "sqlite:///srv/v1.2/ledger?mode=rwc",
            "sqlite:///srv/v1.2/ledger.projections?mode=rwc",
        ),
        ("sqlite::memory:", "sqlite::memory:"),
        ("sqlite://?mode=memory", "sqlite://?mode=memory"),
    ];
    for (log, read) in cases {
        assert_eq!(read_url_for(log).as_deref(), Some(read), "for {log}");
    }
    assert_eq!(read_url_for("postgres://kinerja@db/kinerja"), None);
}

#[tokio::test]
async fn sqlite_read_models_live_in_their_own_file_and_survive_a_reopen() {
    let b = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let log_file = file_of(&b.url);
    let read_file = log_file.with_file_name("kinerja.projections.db");
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(0xf11e);
    scenario::units(&mut w).await;
    scenario::random_history(&mut w, &mut rng, 30).await;
    let mut projector = b.projector().await;
    projector.page = 11;
    catch_up(&projector).await;
    assert_eq!(projector.position(), w.last);
    let folded = snapshot(projector.db()).await;
    assert!(folded.iter().map(|(_, r)| r.len()).sum::<usize>() > 50);

    // The log's file has the events and no read model; the read file every read model and no
    // event.
    let wanted = read_model_tables();
    let in_log = tables_in(&log_file).await;
    assert!(in_log.contains("events"), "{in_log:?}");
    assert!(
        in_log.is_disjoint(&wanted),
        "read models in the log: {in_log:?}"
    );
    assert!(!in_log.iter().any(|t| t.starts_with("rm_")), "{in_log:?}");
    let in_read = tables_in(&read_file).await;
    assert!(in_read.is_superset(&wanted), "{in_read:?}");
    assert!(!in_read.contains("events"), "{in_read:?}");

    // Reopened, the projector restores its state and checkpoint from the read file…
    drop(projector);
    let reopened = b.projector().await;
    assert_eq!(reopened.position(), w.last);
    assert_eq!(snapshot(reopened.db()).await, folded);
    // …catches up with what was written meanwhile, and a rebuild gives the same rows.
    scenario::random_history(&mut w, &mut rng, 10).await;
    catch_up(&reopened).await;
    assert_eq!(reopened.position(), w.last);
    let continued = snapshot(reopened.db()).await;
    assert_ne!(continued, folded);
    reopened.rebuild(None, |_| {}).await.unwrap();
    assert_eq!(snapshot(reopened.db()).await, continued);

    // Deleted, the read file is rebuilt from the log on the next start.
    let db = reopened.db().clone();
    drop(reopened);
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", read_file.display()));
        if f.exists() {
            std::fs::remove_file(&f).unwrap();
        }
    }
    let fresh = b.projector().await;
    assert_eq!(fresh.position(), 0);
    catch_up(&fresh).await;
    assert_eq!(snapshot(fresh.db()).await, continued);
    assert!(tables_in(&log_file).await.is_disjoint(&wanted));
}

#[tokio::test]
async fn the_read_file_can_be_put_elsewhere() {
    let b = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(5);
    scenario::units(&mut w).await;
    scenario::random_history(&mut w, &mut rng, 10).await;
    let elsewhere = file_of(&b.url).with_file_name("read").join("models.db");
    let url = format!("sqlite://{}", elsewhere.display());
    let db = ReadDb::open_with(&b.url, Some(&url)).await.unwrap();
    let projector = Projector::new(db, b.store.clone()).await.unwrap();
    catch_up(&projector).await;
    let rows = snapshot(projector.db()).await;
    assert!(
        tables_in(&elsewhere)
            .await
            .is_superset(&read_model_tables())
    );
    let beside = file_of(&b.url).with_file_name("kinerja.projections.db");
    assert!(!beside.exists(), "{} exists", beside.display());
    drop(projector);
    // The default place is another, empty read side: it starts from 0 and folds the same rows.
    let default = b.projector().await;
    assert_eq!(default.position(), 0);
    catch_up(&default).await;
    assert_eq!(snapshot(default.db()).await, rows);
}

#[tokio::test]
async fn a_read_url_is_refused_where_it_means_nothing() {
    // PostgreSQL keeps its read models in the events' database; refused before connecting.
    let pg = ReadDb::open_with(
        "postgres://kinerja@127.0.0.1:1/kinerja",
        Some("sqlite:x.db"),
    )
    .await;
    assert!(pg.is_err());
    let not_sqlite = ReadDb::open_with("sqlite::memory:", Some("postgres://x@127.0.0.1:1/x")).await;
    assert!(not_sqlite.is_err());
}

#[tokio::test]
async fn read_models_of_another_log_are_rebuilt_not_restored() {
    // The read file of log A, opened over log B (as after deleting the event file and filling
    // it again): B's first event differs, so nothing of A is restored.
    let a = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let mut wa = Writer::new(a.store.clone());
    scenario::units(&mut wa).await;
    scenario::random_history(&mut wa, &mut Rng::new(1), 30).await;
    let pa = a.projector().await;
    catch_up(&pa).await;
    let rows_a = snapshot(pa.db()).await;
    let db = pa.db().clone();
    drop(pa);
    db.close().await;
    let read_a = read_url_for(&a.url).unwrap();

    let b = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let mut wb = Writer::new(b.store.clone());
    scenario::units(&mut wb).await;
    scenario::random_history(&mut wb, &mut Rng::new(2), 40).await;
    assert!(wb.last > wa.last);
    let own = b.projector().await;
    catch_up(&own).await;
    let rows_b = snapshot(own.db()).await;
    assert_ne!(rows_a, rows_b);

    let db = ReadDb::open_with(&b.url, Some(&read_a)).await.unwrap();
    let moved = Projector::new(db, b.store.clone()).await.unwrap();
    assert_eq!(
        moved.position(),
        0,
        "read models of another log were restored"
    );
    catch_up(&moved).await;
    assert_eq!(snapshot(moved.db()).await, rows_b);
}

#[tokio::test]
async fn read_models_ahead_of_their_log_are_rebuilt() {
    // The event file restored from an older backup beside a newer read file: the checkpoints are
    // past the log's head, so they are not trusted.
    use kinerja::store::EventStore;
    use kinerja::store::sqlite::SqliteStore;
    let a = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let mut w = Writer::new(a.store.clone());
    scenario::units(&mut w).await;
    let backup_head = w.last;
    let log = file_of(&a.url);
    let backup = tempfile::tempdir().unwrap();
    for suffix in ["", "-wal"] {
        let from = PathBuf::from(format!("{}{suffix}", log.display()));
        if from.exists() {
            std::fs::copy(&from, backup.path().join(format!("kinerja.db{suffix}"))).unwrap();
        }
    }
    scenario::random_history(&mut w, &mut Rng::new(3), 20).await;
    let p = a.projector().await;
    catch_up(&p).await;
    assert!(p.position() > backup_head);
    let db = p.db().clone();
    drop(p);
    db.close().await;

    let restored_url = format!("sqlite://{}/kinerja.db", backup.path().display());
    let restored = std::sync::Arc::new(
        SqliteStore::open(&restored_url, Default::default())
            .await
            .unwrap(),
    );
    assert_eq!(restored.head().await.unwrap().position, backup_head);
    let read = read_url_for(&a.url).unwrap();
    let db = ReadDb::open_with(&restored_url, Some(&read)).await.unwrap();
    let p = Projector::new(db, restored.clone()).await.unwrap();
    assert_eq!(
        p.position(),
        0,
        "read models ahead of the log were restored"
    );
    catch_up(&p).await;
    assert_eq!(p.position(), backup_head);
}

#[tokio::test]
async fn a_big_commit_writes_every_row_and_leaves_checkpointing_as_it_was() {
    use kinerja::projections::db::BIG_BATCH_ROWS;
    use kinerja::projections::{Changes, Val};

    let b = Backend::new(Kind::Sqlite).await.expect("sqlite");
    let db = ReadDb::open(&b.url).await.unwrap();
    let projections = kinerja::projections::all();
    let audit = projections.iter().find(|p| p.name() == "audit").unwrap();
    db.reinstall(audit.as_ref()).await.unwrap();
    let tables = audit.tables().iter().map(|t| (t.name, t)).collect();
    let rows = BIG_BATCH_ROWS + 1_000;
    let mut changes = Changes::default();
    for i in 0..rows {
        let k = format!("award-{i:08}");
        let doc = format!(r#"{{"stream_id":"{k}","nip":"{i:018}"}}"#);
        changes.upsert("rm_audit_owner", vec![Val::from(k), Val::from(doc)]);
    }
    assert!(db.commit(&tables, changes, &[]).await.unwrap());
    let stored = db.dump("rm_audit_owner").await.unwrap();
    assert_eq!(stored.len(), rows);
    assert_eq!(stored[0].0, "award-00000000");
    assert_eq!(stored[rows - 1].0, format!("award-{:08}", rows - 1));

    // Every connection of the pool checkpoints on commit again (SQLite's default, 1,000 pages).
    let ReadDb::Sqlite(pool) = &db else {
        unreachable!("a SQLite backend")
    };
    let mut held = Vec::new();
    for _ in 0..pool.size() {
        let mut conn = pool.acquire().await.unwrap();
        let pages: i64 = sqlx::query_scalar("pragma wal_autocheckpoint")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(pages, 1000);
        held.push(conn);
    }
    assert!(!held.is_empty());
}

#[tokio::test]
async fn postgres_read_models_compress_documents_with_lz4_and_commit_asynchronously() {
    use kinerja::projections::{Changes, Val};

    let Some(b) = Backend::new(Kind::Postgres).await else {
        return;
    };
    let db = b.read_db().await;
    let projections = kinerja::projections::all();
    let audit = projections.iter().find(|p| p.name() == "audit").unwrap();
    db.reinstall(audit.as_ref()).await.unwrap();
    let tables = audit.tables().iter().map(|t| (t.name, t)).collect();
    // A document well over PostgreSQL's 2 kB threshold, so that it is compressed.
    let doc = format!(r#"{{"stream_id":"award-1","nip":"{}"}}"#, "1".repeat(8_000));
    let mut changes = Changes::default();
    changes.upsert("rm_audit_owner", vec![Val::from("award-1"), Val::from(doc)]);
    assert!(db.commit(&tables, changes, &[]).await.unwrap());
    let ReadDb::Postgres(pool) = &db else {
        unreachable!("a PostgreSQL backend")
    };
    let method: Option<String> =
        sqlx::query_scalar("select pg_column_compression(doc) from rm_audit_owner")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(method.as_deref(), Some("lz4"));
    let sync: String = sqlx::query_scalar("show synchronous_commit")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sync, "off");
}
