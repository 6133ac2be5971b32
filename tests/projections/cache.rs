//! The dashboard cache against the uncached dashboard: after every commit of a growing random
//! history (reports, evaluations, transfers, training, surveys), the cached dashboard of every
//! unit and period equals the one computed from the read model; a report committed by the
//! projector shows in the next cached dashboard; read-your-writes over HTTP; each change of the
//! feed names the tables it wrote.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use kinerja::domain::DomainConfig;
use kinerja::domain::OfficerEvent;
use kinerja::domain::values::Period;
use kinerja::projections::dashboard;
use kinerja::projections::projector::CARRIED_TABLES;

use crate::api::Api;
use crate::fixture::{Backend, Kind};
use crate::scenario::{self, Rng, Writer, boss, nip, post, t};

const UNITS: [&str; 5] = ["PEMKO", "DINKES", "PKM-BANDA", "DISKOMINFO", "NOPE"];
const PERIODS: [Period; 3] = [Period::Tw1, Period::Tw2, Period::Tahunan];

/// Every unit's dashboard for every period from the cache equals the uncached one.
async fn same_as_uncached(api: &Api, what: &str) {
    let cache = api.state.dashboards.clone().expect("a cache");
    let config = DomainConfig::default();
    let now = Utc::now();
    let at = api.projector.position();
    for year in [2025, 2026] {
        for code in UNITS {
            for period in PERIODS {
                let cached = cache
                    .dashboard(&config, at, code, year, period, now)
                    .await
                    .unwrap();
                let direct =
                    dashboard::dashboard(api.projector.db(), &config, code, year, period, now)
                        .await
                        .unwrap();
                assert_eq!(
                    cached, direct,
                    "{what}: {code} {year} {period:?} at position {at}"
                );
            }
        }
    }
}

/// With `carry` the changes carry the rows the cache keeps
/// ([`kinerja::projections::LiveChange::docs`], pages of 5 events); without, none does and
/// the cache reads them again.
async fn the_cache_follows_every_commit(kind: Kind, carry: bool) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(0xCAC4E);
    let api = match carry {
        true => Api::with_page(&b, Some(5), None).await,
        false => Api::with_page(&b, None, Some(0)).await,
    };
    let mut feed = api.projector.subscribe();
    scenario::units(&mut w).await;
    api.catch_up().await;
    // Loaded here, before most of the history exists: from now on only the feed updates it.
    same_as_uncached(&api, "units only").await;
    for round in 0..4 {
        scenario::random_history(&mut w, &mut rng, 6 + round).await;
        api.catch_up().await;
        same_as_uncached(&api, &format!("round {round}")).await;
    }
    // A transfer moves an officer (and nothing else) from one unit to another.
    let moved = nip(2);
    let before = dashboard::dashboard(
        api.projector.db(),
        &DomainConfig::default(),
        "DISKOMINFO",
        2025,
        Period::Tahunan,
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    w.emit(
        &format!("officer-{moved}"),
        OfficerEvent::OfficerTransferred {
            post: post("DISKOMINFO"),
            effective: scenario::d("2025-06-01"),
            at: t("2025-06-01T01:00:00Z"),
        },
        serde_json::json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    api.catch_up().await;
    same_as_uncached(&api, "after a transfer").await;
    let cache = api.state.dashboards.clone().unwrap();
    let after = cache
        .dashboard(
            &DomainConfig::default(),
            api.projector.position(),
            "DISKOMINFO",
            2025,
            Period::Tahunan,
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.total.officers, before.total.officers + 1);
    // The changes that wrote rows of the kept tables were followed the way the test names.
    let carried = std::iter::from_fn(|| feed.try_recv().ok())
        .filter(|c| {
            c.tables
                .iter()
                .any(|t| CARRIED_TABLES.contains(&t.as_str()))
        })
        .map(|c| c.docs.is_some())
        .collect::<std::collections::BTreeSet<bool>>();
    assert_eq!(carried, [carry].into());
}

#[tokio::test]
async fn the_dashboard_cache_equals_the_read_model_after_every_commit_sqlite() {
    the_cache_follows_every_commit(Kind::Sqlite, false).await;
}

#[tokio::test]
async fn the_dashboard_cache_follows_small_commits_sqlite() {
    the_cache_follows_every_commit(Kind::Sqlite, true).await;
}

#[tokio::test]
async fn the_dashboard_cache_follows_small_commits_postgres() {
    the_cache_follows_every_commit(Kind::Postgres, true).await;
}

#[tokio::test]
async fn the_dashboard_cache_equals_the_read_model_after_every_commit_postgres() {
    the_cache_follows_every_commit(Kind::Postgres, false).await;
}

/// The line of a unit in a dashboard answer.
fn line<'a>(v: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no line for {code} in {v}"))
}

/// Units, one officer in DINKES with an approved SKP for 2025, and the service caught up.
async fn one_approved_plan(b: &Backend) -> (Writer, Api) {
    let mut w = Writer::new(b.store.clone());
    scenario::units(&mut w).await;
    scenario::officer(&mut w, &nip(1), "DINKES", &boss()).await;
    scenario::approved_plan(&mut w, &nip(1), "DINKES", "2025-01-20T01:00:00Z", false).await;
    let api = Api::new(b).await;
    api.catch_up().await;
    (w, api)
}

async fn a_new_report_shows_in_the_cached_dashboard(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let (mut w, api) = one_approved_plan(&b).await;
    let url = "/api/v1/units/PEMKO/dashboard/2025?period=TW1";
    let v = api
        .get(url, Some(&api.admin))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(v["total"]["reports"]["filed"], 0);
    assert_eq!(line(&v, "DINKES")["reports"]["filed"], 0);

    // Filed, not yet folded: the read model (and so the cache) does not have it.
    let rid = uuid::Uuid::from_u128(1);
    let at = t("2025-04-02T01:00:00Z");
    scenario::report(&mut w, &nip(1), rid, Period::Tw1, 3, at, None, false).await;
    api.get(&format!("{url}&min_position={}", w.last), Some(&api.admin))
        .await
        .expect(StatusCode::SERVICE_UNAVAILABLE);
    let v = api
        .get(url, Some(&api.admin))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(v["total"]["reports"]["filed"], 0);

    // Committed by the running projector: a read at the command's position sees it.
    let (stop, run) = api.run();
    api.projector
        .wait_for(w.last, Duration::from_secs(5))
        .await
        .unwrap();
    let r = api
        .get(&format!("{url}&min_position={}", w.last), Some(&api.admin))
        .await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["total"]["reports"]["filed"], 1);
    assert_eq!(v["total"]["reports"]["officers_reporting"], 1);
    assert_eq!(line(&v, "DINKES")["reports"]["filed"], 1);
    assert_eq!(line(&v, "DISKOMINFO")["reports"]["filed"], 0);
    // The unit's head sees it too (scoping from the cache), a stranger does not.
    let stranger = api.officer(&nip(9)).await;
    api.get(url, Some(&stranger))
        .await
        .expect(StatusCode::FORBIDDEN);
    let appraiser = api.officer(&boss()).await;
    let v = api
        .get(url, Some(&appraiser))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(v["total"]["reports"]["filed"], 1);
    let _ = stop.send(());
    run.await.unwrap();
}

#[tokio::test]
async fn a_report_committed_by_the_projector_shows_in_the_cached_dashboard_sqlite() {
    a_new_report_shows_in_the_cached_dashboard(Kind::Sqlite).await;
}

#[tokio::test]
async fn a_report_committed_by_the_projector_shows_in_the_cached_dashboard_postgres() {
    a_new_report_shows_in_the_cached_dashboard(Kind::Postgres).await;
}

/// Every change of the feed names the tables its batch wrote: a report writes the SKP's and the
/// officer's rows but no unit's or survey's, a transfer the officer's.
async fn a_change_names_the_tables_it_wrote(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let (mut w, api) = one_approved_plan(&b).await;
    let mut feed = api.projector.subscribe();
    let changes = |feed: &mut tokio::sync::broadcast::Receiver<
        kinerja::projections::LiveChange,
    >| { std::iter::from_fn(|| feed.try_recv().ok()).collect::<Vec<_>>() };
    let at = t("2025-04-02T01:00:00Z");
    let rid = uuid::Uuid::from_u128(1);
    scenario::report(&mut w, &nip(1), rid, Period::Tw1, 3, at, None, false).await;
    api.catch_up().await;
    let after_report = changes(&mut feed);
    assert!(!after_report.is_empty());
    assert!(after_report.iter().any(|c| c.wrote("rm_plan")));
    // The officer's row changes too (the time of their last report), the unit's and the
    // surveys' do not: the cache reads neither again.
    assert!(after_report.iter().any(|c| c.wrote("rm_officer")));
    assert!(
        after_report
            .iter()
            .all(|c| !c.tables.is_empty() && !c.wrote("rm_unit") && !c.wrote("rm_survey"))
    );
    // It names the one officer whose row it wrote (the cache reads them, not the unit's list).
    let officers_of = |changes: &[kinerja::projections::LiveChange]| {
        let mut named: Vec<String> = changes.iter().flat_map(|c| c.officers.clone()).collect();
        named.dedup();
        named
    };
    assert_eq!(
        officers_of(&after_report),
        vec![nip(1).as_str().to_string()]
    );
    assert!(
        after_report
            .iter()
            .all(|c| c.wrote("rm_officer") != c.officers.is_empty())
    );
    w.emit(
        &format!("officer-{}", nip(1)),
        OfficerEvent::OfficerTransferred {
            post: post("DISKOMINFO"),
            effective: scenario::d("2025-06-01"),
            at: t("2025-06-01T01:00:00Z"),
        },
        serde_json::json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    api.catch_up().await;
    let after_transfer = changes(&mut feed);
    assert!(after_transfer.iter().any(|c| c.wrote("rm_officer")));
    assert!(after_transfer.iter().all(|c| !c.tables.is_empty()));
    assert_eq!(
        officers_of(&after_transfer),
        vec![nip(1).as_str().to_string()]
    );
}

#[tokio::test]
async fn a_change_names_the_tables_it_wrote_sqlite() {
    a_change_names_the_tables_it_wrote(Kind::Sqlite).await;
}

#[tokio::test]
async fn a_change_names_the_tables_it_wrote_postgres() {
    a_change_names_the_tables_it_wrote(Kind::Postgres).await;
}
