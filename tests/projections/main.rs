//! Projection tests on SQLite and PostgreSQL: rebuild equals incremental, a crash in the middle
//! of a batch, the scorecard and the audit trail.

mod api;
mod cache;
mod files;
mod fixture;
mod http;
mod scenario;

use std::time::Duration;

use fixture::{Backend, Kind};
use kinerja::domain::DomainConfig;
use kinerja::domain::values::Period;
use kinerja::projections::audit::{
    AuditFilter, audit_csv, audit_json, audit_jsonl, audit_jsonl_docs, audit_trail,
    audit_trail_docs, entries,
};
use kinerja::projections::{Projector, ReadDb, scorecard};
use scenario::{Rng, Writer};

/// Every read-model row of every projection, all columns.
async fn snapshot(db: &ReadDb) -> Vec<(String, Vec<Vec<Option<String>>>)> {
    let mut out = Vec::new();
    for p in kinerja::projections::all() {
        for t in p.tables() {
            out.push((t.name.to_string(), db.dump_all_columns(t).await.unwrap()));
        }
    }
    out
}

async fn catch_up(p: &Projector) {
    p.catch_up(|_| {}).await.unwrap();
}

async fn rebuild_equals_incremental(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(0x5eed);
    let mut projector = b.projector().await;
    projector.page = 7;
    // Fold while the history is written: small pages, many commits.
    scenario::units(&mut w).await;
    catch_up(&projector).await;
    scenario::random_history(&mut w, &mut rng, 40).await;
    for _ in 0..5 {
        projector.step().await.unwrap();
    }
    scenario::random_history(&mut w, &mut rng, 25).await;
    catch_up(&projector).await;
    assert_eq!(projector.position(), w.last);
    let incremental = snapshot(projector.db()).await;
    assert!(incremental.iter().map(|(_, r)| r.len()).sum::<usize>() > 100);

    // Rebuild from 0 with big pages.
    projector.page = 100_000;
    projector.rebuild(None, |_| {}).await.unwrap();
    assert_eq!(snapshot(projector.db()).await, incremental);

    // And a fresh projector restored from the tables continues the same way.
    scenario::random_history(&mut w, &mut rng, 5).await;
    catch_up(&projector).await;
    let continued = snapshot(projector.db()).await;
    let fresh = b.projector().await;
    assert_eq!(fresh.position(), w.last);
    fresh.rebuild(None, |_| {}).await.unwrap();
    assert_eq!(snapshot(fresh.db()).await, continued);
}

#[tokio::test]
async fn rebuild_equals_incremental_sqlite() {
    rebuild_equals_incremental(Kind::Sqlite).await;
}

#[tokio::test]
async fn rebuild_equals_incremental_postgres() {
    rebuild_equals_incremental(Kind::Postgres).await;
}

async fn crash_in_the_middle_of_a_batch(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(77);
    scenario::random_history(&mut w, &mut rng, 20).await;
    let mut projector = b.projector().await;
    projector.page = 50;
    projector.step().await.unwrap();
    projector.step().await.unwrap();
    let before = projector.position();
    projector.crash_next_batch().await;
    assert!(projector.step().await.is_err());
    // Nothing of the failed batch is visible, and the state went back to the tables.
    assert_eq!(projector.position(), before);
    drop(projector);
    // Restart: a new projector restores from the tables and continues.
    let restarted = b.projector().await;
    assert_eq!(restarted.position(), before);
    catch_up(&restarted).await;
    let after_restart = snapshot(restarted.db()).await;
    restarted.rebuild(None, |_| {}).await.unwrap();
    assert_eq!(snapshot(restarted.db()).await, after_restart);
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_batch_loses_and_repeats_nothing_sqlite() {
    crash_in_the_middle_of_a_batch(Kind::Sqlite).await;
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_batch_loses_and_repeats_nothing_postgres() {
    crash_in_the_middle_of_a_batch(Kind::Postgres).await;
}

async fn scorecard_and_audit(kind: Kind) {
    use chrono::Duration as D;
    use kinerja::domain::values::Rating;
    use scenario::*;
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    units(&mut w).await;
    let me = nip(1);
    officer(&mut w, &me, "DISKOMINFO", &boss()).await;
    approved_plan(&mut w, &me, "DISKOMINFO", "2025-01-20T01:00:00Z", false).await;
    let filed = t("2025-04-03T01:00:00Z");
    report(
        &mut w,
        &me,
        uuid::Uuid::from_u128(1),
        Period::Tw1,
        5,
        filed,
        Some(filed - D::days(3)),
        true,
    )
    .await;
    feedback(&mut w, &me, Period::Tw1, filed + D::hours(1)).await;
    evaluate(
        &mut w,
        &me,
        &boss(),
        Period::Tw1,
        Rating::DiAtas,
        Rating::DiAtas,
        filed + D::days(2),
    )
    .await;
    training(&mut w, uuid::Uuid::from_u128(5), 12, &[(me.clone(), true)]).await;
    award(
        &mut w,
        uuid::Uuid::from_u128(6),
        &me,
        Rating::DiAtas,
        kinerja::domain::PredikatPegawai::SangatBaik,
        false,
        t("2025-05-01T00:00:00Z"),
    )
    .await;
    revoke_award(&mut w, uuid::Uuid::from_u128(6), t("2025-05-02T00:00:00Z")).await;

    let projector = b.projector().await;
    catch_up(&projector).await;
    let cfg = DomainConfig::default();
    let card = scorecard::scorecard(projector.db(), &cfg, me.as_str(), 2025, Period::Tw1)
        .await
        .unwrap()
        .expect("scorecard");
    assert_eq!(card.unit.as_deref(), Some("DISKOMINFO"));
    assert_eq!(card.plans.len(), 1);
    let plan = &card.plans[0];
    assert_eq!(plan.status, "APPROVED");
    assert_eq!(plan.indicators.len(), 1);
    let line = &plan.indicators[0];
    assert_eq!(line.target.as_ref().unwrap().value.get(), 4000);
    assert_eq!(line.realisation.as_ref().unwrap().value.get(), 5000);
    assert_eq!(line.capaian_percent, Some(125.0));
    assert!(line.reported_late);
    assert_eq!(plan.feedback.len(), 1);
    assert_eq!(
        card.predikat,
        Some(kinerja::domain::PredikatPegawai::SangatBaik)
    );
    assert_eq!(card.late_reports, 1);
    assert_eq!(card.training.jp_total, 12);
    assert!(!card.training.compliant);
    assert_eq!(card.awards.len(), 1);
    assert!(card.awards[0].revoked.is_some());
    // TW2 has no realisation and no evaluation yet.
    let tw2 = scorecard::scorecard(projector.db(), &cfg, me.as_str(), 2025, Period::Tw2)
        .await
        .unwrap()
        .unwrap();
    assert!(tw2.plans[0].indicators[0].realisation.is_none());
    assert_eq!(tw2.predikat, None);
    assert!(
        scorecard::scorecard(projector.db(), &cfg, nip(2).as_str(), 2025, Period::Tw1)
            .await
            .unwrap()
            .is_none()
    );

    // Audit trail: newest first, across officer, SKP, training and award streams.
    let trail = audit_trail(
        projector.db(),
        projector.store().as_ref(),
        me.as_str(),
        &AuditFilter::default(),
    )
    .await
    .unwrap();
    let types: Vec<&str> = trail.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "AwardRevoked",
            "AwardGranted",
            "TrainingCompleted",
            "OfficerEnrolled",
            "EvaluationRecorded",
            "FeedbackGiven",
            "ReportFiled",
            "PlanApproved",
            "PlanSubmitted",
            "ResultPlanned",
            "PlanDrafted",
            "AppraiserAssigned",
            "OfficerRegistered"
        ]
    );
    assert!(trail.windows(2).all(|p| p[0].position > p[1].position));
    let filed_entry = trail
        .iter()
        .find(|e| e.event_type == "ReportFiled")
        .unwrap();
    assert_eq!(filed_entry.actor.as_deref(), Some(me.as_str()));
    assert_eq!(filed_entry.role.as_deref(), Some("PEGAWAI"));
    assert_eq!(filed_entry.client_time, Some(filed - D::days(3)));
    let revoked = &trail[0];
    assert_eq!(revoked.reason.as_deref(), Some("dasar berubah"));
    let approved = trail
        .iter()
        .find(|e| e.event_type == "PlanApproved")
        .unwrap();
    assert_eq!(approved.actor.as_deref(), Some(boss().as_str()));
    // Filters.
    let only = audit_trail(
        projector.db(),
        projector.store().as_ref(),
        me.as_str(),
        &AuditFilter {
            types: vec!["ReportFiled".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(only.len(), 1);
    let two = audit_trail(
        projector.db(),
        projector.store().as_ref(),
        me.as_str(),
        &AuditFilter {
            types: vec!["ReportFiled".into(), "PlanDrafted".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(two.len(), 2);
    let window = audit_trail(
        projector.db(),
        projector.store().as_ref(),
        me.as_str(),
        &AuditFilter {
            from: Some(t("2025-04-01T00:00:00Z")),
            until: Some(t("2025-05-01T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // recorded_at is the server's commit time (now), so a window in 2025 finds nothing ...
    assert!(window.is_empty() || window.len() == trail.len());
    let paged = audit_trail(
        projector.db(),
        projector.store().as_ref(),
        me.as_str(),
        &AuditFilter {
            limit: Some(3),
            before_position: Some(trail[0].position),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(paged, trail[1..4].to_vec());
    // Exports.
    let csv = audit_csv(&trail);
    assert_eq!(csv.lines().count(), trail.len() + 1);
    assert!(csv.starts_with("position,recorded_at,client_time,nip"));
    let jsonl = audit_jsonl(&trail);
    assert_eq!(jsonl.lines().count(), trail.len());
    let back: kinerja::projections::audit::AuditEntry =
        serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(back, trail[0]);
    // The answers written from the built documents as they are: the same text as serialising
    // the parsed entries, with and without a filter of two types.
    for filter in [
        AuditFilter::default(),
        AuditFilter {
            types: vec!["ReportFiled".into(), "PlanDrafted".into()],
            ..Default::default()
        },
    ] {
        let docs = audit_trail_docs(
            projector.db(),
            projector.store().as_ref(),
            me.as_str(),
            &filter,
        )
        .await
        .unwrap();
        let parsed = entries(&docs).unwrap();
        assert_eq!(docs.len(), parsed.len());
        let whole = format!(
            "{{\"nip\":\"{}\",\"entries\":{}}}",
            me.as_str(),
            serde_json::to_string(&parsed).unwrap()
        );
        assert_eq!(audit_json(me.as_str(), &docs).unwrap(), whole);
        assert_eq!(audit_jsonl_docs(&docs).unwrap(), audit_jsonl(&parsed));
    }
    assert!(audit_json(me.as_str(), &["[1]".to_string()]).is_err());
    assert!(audit_json(me.as_str(), &["{\"a\":".to_string()]).is_err());
}

#[tokio::test]
async fn scorecard_and_audit_trail_sqlite() {
    scorecard_and_audit(Kind::Sqlite).await;
}

#[tokio::test]
async fn scorecard_and_audit_trail_postgres() {
    scorecard_and_audit(Kind::Postgres).await;
}

#[tokio::test]
async fn min_position_waits_then_gives_up_with_the_current_position() {
    let Some(b) = Backend::new(Kind::Sqlite).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    scenario::units(&mut w).await;
    let projector = std::sync::Arc::new(b.projector().await);
    let err = projector
        .wait_for(w.last, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        kinerja::projections::ProjectionError::NotYet { current: 0, .. }
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(projector.clone().run(async {
        let _ = stopped.await;
    }));
    assert_eq!(
        projector
            .wait_for(w.last, Duration::from_secs(5))
            .await
            .unwrap(),
        w.last
    );
    let lag = projector.lag().await.unwrap();
    assert_eq!(lag.events, 0);
    let _ = stop.send(());
    run.await.unwrap();
}

async fn planted_accountability_cases(kind: Kind) {
    use chrono::{Duration as D, Utc};
    use kinerja::domain::values::{PredikatOrganisasi, Rating};
    use kinerja::domain::{PredikatPegawai, UnitEvent, rules};
    use kinerja::projections::accountability::{KINDS, findings, findings_csv};
    use scenario::*;
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    units(&mut w).await;
    officer(&mut w, &boss(), "PEMKO", &other_boss()).await;
    let now = Utc::now();
    let o: Vec<_> = (1..=6).map(nip).collect();
    for n in &o {
        officer(&mut w, n, "DISKOMINFO", &boss()).await;
    }
    let ok_at = "2025-01-20T01:00:00Z";
    // o1: clean, on time, evaluated by the assigned appraiser, amended within the window.
    approved_plan(&mut w, &o[0], "DISKOMINFO", ok_at, false).await;
    report(
        &mut w,
        &o[0],
        uuid::Uuid::from_u128(101),
        Period::Tw1,
        5,
        now - D::days(2),
        Some(now - D::minutes(1)),
        false,
    )
    .await;
    evaluate(
        &mut w,
        &o[0],
        &boss(),
        Period::Tw1,
        Rating::DiAtas,
        Rating::Sesuai,
        now - D::days(1),
    )
    .await;
    amend(
        &mut w,
        &o[0],
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        now,
    )
    .await;
    // o2: evaluation without any report.
    approved_plan(&mut w, &o[1], "DISKOMINFO", ok_at, false).await;
    evaluate(
        &mut w,
        &o[1],
        &boss(),
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        now,
    )
    .await;
    // o3: Di Atas with a realisation below target.
    approved_plan(&mut w, &o[2], "DISKOMINFO", ok_at, false).await;
    report(
        &mut w,
        &o[2],
        uuid::Uuid::from_u128(301),
        Period::Tw1,
        2,
        now,
        None,
        false,
    )
    .await;
    evaluate(
        &mut w,
        &o[2],
        &boss(),
        Period::Tw1,
        Rating::DiAtas,
        Rating::Sesuai,
        now,
    )
    .await;
    // o4: approved late, report late.
    approved_plan(&mut w, &o[3], "DISKOMINFO", "2025-02-10T01:00:00Z", true).await;
    report(
        &mut w,
        &o[3],
        uuid::Uuid::from_u128(401),
        Period::Tw1,
        4,
        now,
        None,
        true,
    )
    .await;
    // o5: backdated report, evaluated by someone who is not the assigned appraiser.
    approved_plan(&mut w, &o[4], "DISKOMINFO", ok_at, false).await;
    report(
        &mut w,
        &o[4],
        uuid::Uuid::from_u128(501),
        Period::Tw1,
        4,
        now,
        Some(now - D::days(5)),
        false,
    )
    .await;
    evaluate(
        &mut w,
        &o[4],
        &other_boss(),
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        now,
    )
    .await;
    // o6: an award with an override; another whose basis is amended after the grant (after the
    // objection window of an evaluation received 30 days ago).
    approved_plan(&mut w, &o[5], "DISKOMINFO", ok_at, false).await;
    report(
        &mut w,
        &o[5],
        uuid::Uuid::from_u128(601),
        Period::Tw1,
        6,
        now - D::days(31),
        None,
        false,
    )
    .await;
    evaluate(
        &mut w,
        &o[5],
        &boss(),
        Period::Tw1,
        Rating::DiAtas,
        Rating::DiAtas,
        now - D::days(30),
    )
    .await;
    award(
        &mut w,
        uuid::Uuid::from_u128(61),
        &o[5],
        Rating::DiAtas,
        PredikatPegawai::SangatBaik,
        true,
        now - D::days(29),
    )
    .await;
    award(
        &mut w,
        uuid::Uuid::from_u128(62),
        &o[5],
        Rating::DiAtas,
        PredikatPegawai::SangatBaik,
        false,
        now - D::days(29),
    )
    .await;
    amend(
        &mut w,
        &o[5],
        Period::Tw1,
        Rating::Sesuai,
        Rating::DiAtas,
        now,
    )
    .await;
    // DINKES broke the quota, with a justification.
    let violations = rules::check_distribution(
        PredikatOrganisasi::Baik,
        &[
            PredikatPegawai::SangatBaik,
            PredikatPegawai::Baik,
            PredikatPegawai::Baik,
        ],
        kinerja::domain::config::DistributionRounding::FloorMaxCeilMin,
    );
    assert!(!violations.is_empty());
    w.emit(
        "unit-DINKES",
        UnitEvent::DistributionWarningRecorded {
            year: year(),
            period: Period::Tw1,
            violations,
            justification: "unit kecil".into(),
            at: now,
        },
        meta(&other_boss(), "PPK"),
    )
    .await;

    let projector = b.projector().await;
    catch_up(&projector).await;
    let db = projector.db();
    let expect = |kind: &str| -> Vec<String> {
        let s = |i: usize| plan_stream(&o[i]);
        match kind {
            "evaluation_without_report" => vec![s(1)],
            "di_atas_below_target" => vec![s(2)],
            "award_override" => vec![format!("award-{}", uuid::Uuid::from_u128(61))],
            // Both awards rest on the evaluation amended after the grants.
            "award_basis_amended" => vec![
                format!("award-{}", uuid::Uuid::from_u128(61)),
                format!("award-{}", uuid::Uuid::from_u128(62)),
            ],
            "evaluator_not_assigned" => vec![s(4)],
            "report_late_or_backdated" => vec![s(3), s(4)],
            "plan_approved_late" => vec![s(3)],
            "distribution_quota_broken" => vec!["unit-DINKES".into()],
            "amendment_after_objection_window" => vec![s(5)],
            _ => unreachable!(),
        }
    };
    for k in KINDS {
        let found = findings(db, k).await.unwrap();
        let mut streams: Vec<String> = found.iter().map(|f| f.stream_id.clone()).collect();
        streams.sort();
        assert_eq!(streams, expect(k), "{k}: {found:#?}");
        let csv = findings_csv(&found);
        assert_eq!(csv.lines().count(), found.len() + 1);
    }
    let quota = findings(db, "distribution_quota_broken").await.unwrap();
    assert_eq!(quota[0].detail["justification"], "unit kecil");

    // Amending o3's rating down withdraws the Di Atas finding.
    amend(
        &mut w,
        &o[2],
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        Utc::now(),
    )
    .await;
    catch_up(&projector).await;
    assert!(
        findings(db, "di_atas_below_target")
            .await
            .unwrap()
            .is_empty()
    );
    let incremental = snapshot(db).await;
    projector
        .rebuild(Some("accountability"), |_| {})
        .await
        .unwrap();
    assert_eq!(snapshot(db).await, incremental);
}

#[tokio::test]
async fn each_accountability_query_finds_its_planted_cases_and_nothing_else_sqlite() {
    planted_accountability_cases(Kind::Sqlite).await;
}

#[tokio::test]
async fn each_accountability_query_finds_its_planted_cases_and_nothing_else_postgres() {
    planted_accountability_cases(Kind::Postgres).await;
}

#[tokio::test]
async fn an_as_of_scorecard_shows_what_the_supervisor_saw_then() {
    use kinerja::domain::values::Rating;
    use kinerja::projections::asof::{AsOf, scorecard_as_of};
    use scenario::*;
    let Some(b) = Backend::new(Kind::Sqlite).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    units(&mut w).await;
    let me = nip(1);
    officer(&mut w, &me, "DISKOMINFO", &boss()).await;
    approved_plan(&mut w, &me, "DISKOMINFO", "2025-01-20T01:00:00Z", false).await;
    let filed = t("2025-04-03T01:00:00Z");
    report(
        &mut w,
        &me,
        uuid::Uuid::from_u128(1),
        Period::Tw1,
        3,
        filed,
        None,
        false,
    )
    .await;
    evaluate(
        &mut w,
        &me,
        &boss(),
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        filed,
    )
    .await;
    let then = w.last;
    amend(
        &mut w,
        &me,
        Period::Tw1,
        Rating::DiBawah,
        Rating::Sesuai,
        filed,
    )
    .await;
    let projector = b.projector().await;
    catch_up(&projector).await;
    let cfg = DomainConfig::default();
    let old = scorecard_as_of(
        b.store.as_ref(),
        &cfg,
        me.as_str(),
        2025,
        Period::Tw1,
        AsOf::Position(then),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(old.predikat, Some(kinerja::domain::PredikatPegawai::Baik));
    let now = scorecard_as_of(
        b.store.as_ref(),
        &cfg,
        me.as_str(),
        2025,
        Period::Tw1,
        AsOf::Position(w.last),
    )
    .await
    .unwrap()
    .unwrap();
    let read_model = scorecard::scorecard(projector.db(), &cfg, me.as_str(), 2025, Period::Tw1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now, read_model);
    assert_eq!(
        now.predikat,
        Some(kinerja::domain::PredikatPegawai::ButuhPerbaikan)
    );
    let before_anything = scorecard_as_of(
        b.store.as_ref(),
        &cfg,
        me.as_str(),
        2025,
        Period::Tw1,
        AsOf::Position(1),
    )
    .await
    .unwrap();
    assert!(before_anything.is_none());
}

#[tokio::test]
async fn a_live_feed_subscriber_receives_the_change_of_a_later_command() {
    use kinerja::projections::Topic;
    use scenario::*;
    let Some(b) = Backend::new(Kind::Sqlite).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    units(&mut w).await;
    let projector = std::sync::Arc::new(b.projector().await);
    let mut feed = projector.subscribe();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(projector.clone().run(async {
        let _ = stopped.await;
    }));
    let me = nip(3);
    officer(&mut w, &me, "DINKES", &boss()).await;
    approved_plan(&mut w, &me, "DINKES", "2025-01-20T01:00:00Z", false).await;
    let wanted = Topic::Scorecard {
        nip: me.as_str().into(),
        year: 2025,
    };
    let change = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let change = feed.recv().await.unwrap();
            if change.topics.contains(&wanted) {
                return change;
            }
        }
    })
    .await
    .expect("the change reaches the live feed");
    assert!(change.position > 0);
    let _ = stop.send(());
    run.await.unwrap();
}
