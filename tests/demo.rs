//! The demo city: a small seed through the library, its counts, approvals and evaluations, the
//! hash chain, determinism; and the load generator's latency summary.

use std::sync::Arc;

use kinerja::app::App;
use kinerja::app::plans::PlanRef;
use kinerja::demo::{self, DemoOptions};
use kinerja::domain::Period;
use kinerja::store::{self, EventStore, writer::WriterOptions};

fn opts(concurrency: usize) -> DemoOptions {
    DemoOptions {
        officers: 60,
        years: 1,
        seed: 7,
        concurrency,
        progress: false,
        current_year: 2026,
    }
}

async fn seeded(
    dir: &tempfile::TempDir,
    name: &str,
    o: &DemoOptions,
) -> (Arc<dyn EventStore>, App, demo::DemoSummary) {
    let url = format!("sqlite://{}", dir.path().join(name).display());
    let s = store::open(&url, WriterOptions::default()).await.unwrap();
    let app = App::new(s.clone());
    let summary = demo::seed(&app, o).await.unwrap();
    (s, app, summary)
}

async fn log(s: &dyn EventStore) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = s.read_all(after, 1000).await.unwrap();
        if page.is_empty() {
            return out;
        }
        for e in page {
            after = e.position;
            out.push((e.stream_id, e.event_type));
        }
    }
}

#[tokio::test]
async fn a_small_city_is_seeded_approved_evaluated_and_chained() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(8);
    let (s, app, summary) = seeded(&dir, "a.db", &o).await;
    assert_eq!(summary.units, demo::units().len());
    assert!(summary.units >= 40);
    assert_eq!(summary.officers, 60);
    assert_eq!(app.all_officers().await.unwrap().len(), 60);
    let all = log(s.as_ref()).await;
    assert_eq!(all.len() as u64, summary.events);
    let units = all.iter().filter(|(_, t)| t == "UnitRegistered").count();
    assert_eq!(units, summary.units);
    let at = chrono::Utc::now();
    for officer in demo::city(&o).officers {
        let r = PlanRef {
            nip: officer.nip.clone(),
            year: summary.years[0],
            seq: Some(1),
        };
        let p = app.load_plan(&r, at).await.unwrap();
        assert!(p.plan.approvals > 0, "{} not approved", officer.nip);
        for period in Period::ALL {
            assert!(
                p.plan.evaluations.contains_key(&period),
                "{} not evaluated for {period}",
                officer.nip
            );
        }
    }
    let report = kinerja::store::verify::verify_chain(s.as_ref(), 500, |_| ())
        .await
        .unwrap()
        .expect("the chain verifies");
    assert_eq!(report.events, summary.events);
    s.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(1);
    let (a, ..) = seeded(&dir, "a.db", &o).await;
    let (b, ..) = seeded(&dir, "b.db", &o).await;
    let (la, lb) = (log(a.as_ref()).await, log(b.as_ref()).await);
    assert!(!la.is_empty());
    assert_eq!(la, lb);
    a.shutdown().await;
    b.shutdown().await;
}

#[test]
fn load_percentiles_use_the_nearest_rank() {
    use kinerja::cli::load::{loopback_addr, percentile, summarise};
    let v: Vec<u64> = (1..=100).collect();
    assert_eq!(percentile(&v, 50.0), 50);
    assert_eq!(percentile(&v, 95.0), 95);
    assert_eq!(percentile(&v, 99.0), 99);
    assert_eq!(percentile(&v, 100.0), 100);
    assert_eq!(percentile(&[], 50.0), 0);
    assert_eq!(percentile(&[7], 99.0), 7);
    let s = summarise(vec![30, 10, 20], 1);
    assert_eq!((s.count, s.errors, s.p50, s.p99, s.max), (3, 1, 20, 30, 30));
    assert!(loopback_addr("http://127.0.0.1:8080").is_ok());
    assert!(loopback_addr("http://localhost:8080/").is_ok());
    assert!(loopback_addr("http://10.0.0.1:8080").is_err());
    assert!(loopback_addr("http://example.com").is_err());
}
