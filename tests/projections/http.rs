//! The read side's HTTP endpoints, in process, on SQLite and PostgreSQL.

use axum::http::StatusCode;
use chrono::Duration as D;
use kinerja::domain::values::{Period, Rating};

use crate::api::Api;
use crate::fixture::{Backend, Kind};
use crate::scenario::*;

/// Officer 1 in DISKOMINFO appraised by `boss()` (atasan `other_boss()`), with an approved SKP,
/// a TW1 report and evaluation; officer 2 a colleague with no rights on officer 1.
async fn one_officer(w: &mut Writer) -> u64 {
    units(w).await;
    officer(w, &boss(), "PEMKO", &other_boss()).await;
    let me = nip(1);
    officer(w, &me, "DISKOMINFO", &boss()).await;
    officer(w, &nip(2), "DISKOMINFO", &boss()).await;
    approved_plan(w, &me, "DISKOMINFO", "2025-01-20T01:00:00Z", false).await;
    let filed = t("2025-04-03T01:00:00Z");
    report(
        w,
        &me,
        uuid::Uuid::from_u128(1),
        Period::Tw1,
        5,
        filed,
        None,
        false,
    )
    .await;
    evaluate(
        w,
        &me,
        &boss(),
        Period::Tw1,
        Rating::DiAtas,
        Rating::DiAtas,
        filed + D::days(2),
    )
    .await;
    w.last
}

async fn scorecard_audit_accountability(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    let then = one_officer(&mut w).await;
    amend(
        &mut w,
        &nip(1),
        Period::Tw1,
        Rating::Sesuai,
        Rating::Sesuai,
        t("2025-04-10T01:00:00Z"),
    )
    .await;
    let api = Api::new(&b).await;
    api.catch_up().await;
    let me = api.officer(&nip(1)).await;
    let colleague = api.officer(&nip(2)).await;
    let penilai = api.officer(&boss()).await;
    let atasan = api.officer(&other_boss()).await;
    let n1 = nip(1);
    let card = format!("/api/v1/officers/{n1}/scorecard/2025?period=TW1");

    // Scorecard: the officer, the appraiser, the atasan, admin and auditor; nobody else.
    for token in [&me, &penilai, &atasan, &api.admin, &api.auditor] {
        let r = api.get(&card, Some(token)).await;
        r.expect(StatusCode::OK);
        let v = r.json();
        assert_eq!(v["nip"], n1.as_str());
        assert_eq!(v["predikat"], "BAIK");
        assert_eq!(v["plans"][0]["indicators"][0]["capaian_percent"], 125.0);
        assert!(r.position().unwrap() >= w.last);
    }
    api.get(&card, Some(&colleague))
        .await
        .expect(StatusCode::FORBIDDEN);
    api.get(&card, None).await.expect(StatusCode::UNAUTHORIZED);
    let r = api
        .get(
            &format!("/api/v1/officers/{n1}/scorecard/2025?period=TW9"),
            Some(&api.admin),
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    assert_eq!(r.content_type(), "application/problem+json");
    api.get(
        &format!("/api/v1/officers/{}/scorecard/2025", nip(9)),
        Some(&api.admin),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    // The annual scorecard (default period) has no evaluation yet.
    let annual = api
        .get(&format!("/api/v1/officers/{n1}/scorecard/2025"), Some(&me))
        .await;
    assert_eq!(
        annual.expect(StatusCode::OK).json()["predikat"],
        serde_json::Value::Null
    );

    // min_position beyond the read models: 503 with the current position, after the bounded wait.
    let r = api
        .get(&format!("{card}&min_position={}", w.last + 1000), Some(&me))
        .await;
    r.expect(StatusCode::SERVICE_UNAVAILABLE);
    let v = r.json();
    assert_eq!(v["code"], "NOT_YET");
    assert_eq!(v["position"], api.projector.position());
    assert_eq!(r.headers["retry-after"], "1");
    // Read-your-writes: a later command's position is waited for while the projector runs.
    let (stop, run) = api.run();
    evaluate(
        &mut w,
        &nip(1),
        &boss(),
        Period::Tahunan,
        Rating::DiAtas,
        Rating::DiAtas,
        t("2025-12-20T01:00:00Z"),
    )
    .await;
    let r = api
        .get(
            &format!(
                "/api/v1/officers/{n1}/scorecard/2025?period=TAHUNAN&min_position={}",
                w.last
            ),
            Some(&me),
        )
        .await;
    assert_eq!(r.expect(StatusCode::OK).json()["predikat"], "SANGAT_BAIK");
    let _ = stop.send(());
    run.await.unwrap();

    // As of a position: what the appraiser saw before the amendment (auditor, admin only).
    let as_of = format!("/api/v1/officers/{n1}/scorecard/2025/as-of?period=TW1&position={then}");
    let r = api.get(&as_of, Some(&api.auditor)).await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["scorecard"]["predikat"], "SANGAT_BAIK");
    assert_eq!(v["as_of"]["position"], then);
    api.get(&as_of, Some(&api.admin))
        .await
        .expect(StatusCode::OK);
    api.get(&as_of, Some(&me))
        .await
        .expect(StatusCode::FORBIDDEN);
    let r = api
        .get(
            &format!("/api/v1/officers/{n1}/scorecard/2025/as-of?time=2000-01-01T00:00:00Z"),
            Some(&api.auditor),
        )
        .await;
    r.expect(StatusCode::NOT_FOUND);
    let r = api
        .get(
            &format!("/api/v1/officers/{n1}/scorecard/2025/as-of?time=2999-01-01T00:00:00Z"),
            Some(&api.auditor),
        )
        .await;
    // The default period is the year: the annual evaluation recorded above.
    assert_eq!(
        r.expect(StatusCode::OK).json()["scorecard"]["predikat"],
        "SANGAT_BAIK"
    );
    api.get(
        &format!("/api/v1/officers/{n1}/scorecard/2025/as-of"),
        Some(&api.auditor),
    )
    .await
    .expect(StatusCode::BAD_REQUEST);

    // Audit trail: the officer and staff; not the appraiser, not a colleague.
    let trail = format!("/api/v1/officers/{n1}/audit-trail");
    let r = api.get(&trail, Some(&me)).await;
    let v = r.expect(StatusCode::OK).json();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries[0]["event_type"], "EvaluationRecorded");
    assert_eq!(entries.last().unwrap()["event_type"], "OfficerRegistered");
    api.get(&trail, Some(&api.auditor))
        .await
        .expect(StatusCode::OK);
    api.get(&trail, Some(&penilai))
        .await
        .expect(StatusCode::FORBIDDEN);
    api.get(&trail, Some(&colleague))
        .await
        .expect(StatusCode::FORBIDDEN);
    let r = api
        .get(
            &format!("{trail}?type=ReportFiled,EvaluationAmended&format=csv"),
            Some(&api.auditor),
        )
        .await;
    r.expect(StatusCode::OK);
    assert!(r.content_type().starts_with("text/csv"));
    let csv = r.text();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("position,recorded_at"));
    let r = api
        .get(&format!("{trail}?format=jsonl&limit=2"), Some(&me))
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.content_type(), "application/jsonl");
    assert_eq!(r.text().lines().count(), 2);
    let r = api
        .get(&format!("{trail}?until=2000-01-01T00:00:00Z"), Some(&me))
        .await;
    assert!(
        r.expect(StatusCode::OK).json()["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    api.get(&format!("{trail}?format=xml"), Some(&me))
        .await
        .expect(StatusCode::BAD_REQUEST);

    // Accountability: the list and each kind (auditor, admin).
    let r = api.get("/api/v1/accountability", Some(&api.auditor)).await;
    let kinds = r.expect(StatusCode::OK).json()["kinds"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(kinds.len(), 9);
    api.get("/api/v1/accountability", Some(&me))
        .await
        .expect(StatusCode::FORBIDDEN);
    let r = api
        .get(
            "/api/v1/accountability/amendment_after_objection_window",
            Some(&api.admin),
        )
        .await;
    let found = r.expect(StatusCode::OK).json()["findings"]
        .as_array()
        .unwrap()
        .clone();
    // The amendment is committed now, long after the 2025 result was received.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["stream_id"], plan_stream(&nip(1)));
    let r = api
        .get(
            "/api/v1/accountability/evaluation_without_report?format=csv",
            Some(&api.auditor),
        )
        .await;
    r.expect(StatusCode::OK);
    // The annual evaluation rests on the TW1 report: no finding, a header only.
    assert_eq!(r.text().lines().count(), 1, "{}", r.text());
    api.get("/api/v1/accountability/no_such_kind", Some(&api.auditor))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.get("/api/v1/accountability/award_override", Some(&penilai))
        .await
        .expect(StatusCode::FORBIDDEN);

    // Metrics and readiness show the projector.
    let r = api.get("/metrics", None).await;
    r.expect(StatusCode::OK);
    let text = r.text();
    assert!(text.contains("kinerja_log_head_position "), "{text}");
    for p in kinerja::projections::names() {
        assert!(
            text.contains(&format!(
                "kinerja_projection_lag_events{{projection=\"{p}\"}} 0"
            )),
            "{text}"
        );
        assert!(text.contains(&format!(
            "kinerja_projection_lag_seconds{{projection=\"{p}\"}}"
        )));
    }
    let r = api.get("/readyz", None).await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["projector"]["lag_events"], 0);
}

#[tokio::test]
async fn scorecard_audit_trail_and_accountability_over_http_sqlite() {
    scorecard_audit_accountability(Kind::Sqlite).await;
}

#[tokio::test]
async fn scorecard_audit_trail_and_accountability_over_http_postgres() {
    scorecard_audit_accountability(Kind::Postgres).await;
}

/// DINKES (head `other_boss()`, organisation predikat BAIK for TW1) with PKM-BANDA below it;
/// officers 1–4 in DINKES and 5–6 in PKM-BANDA appraised by `boss()`; officer 7 in DISKOMINFO
/// appraised by officer 8. Plans, reports, evaluations, a survey per unit, a training.
async fn city(w: &mut Writer) {
    use kinerja::domain::values::PredikatOrganisasi;
    use kinerja::domain::{SurveyEvent, UnitEvent};
    let now = chrono::Utc::now();
    units(w).await;
    w.emit(
        "unit-DINKES",
        UnitEvent::UnitHeadAssigned {
            head: other_boss(),
            effective_from: d("2025-01-01"),
            at: t("2025-01-01T05:00:00Z"),
        },
        serde_json::json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    w.emit(
        "unit-DINKES",
        UnitEvent::OrganisationPredikatSet {
            year: year(),
            period: Period::Tw1,
            predikat: PredikatOrganisasi::Baik,
            decree_ref: "800/1/2025".into(),
            set_by: boss(),
            at: t("2025-04-01T05:00:00Z"),
        },
        meta(&boss(), "PPK"),
    )
    .await;
    for i in 1..=4 {
        officer(w, &nip(i), "DINKES", &boss()).await;
    }
    for i in 5..=6 {
        officer(w, &nip(i), "PKM-BANDA", &boss()).await;
    }
    officer(w, &nip(7), "DISKOMINFO", &nip(8)).await;
    for i in [1, 2, 3, 5] {
        let u = if i == 5 { "PKM-BANDA" } else { "DINKES" };
        approved_plan(w, &nip(i), u, "2025-01-20T01:00:00Z", false).await;
    }
    for (i, at) in [
        (1, now - D::days(1)),
        (2, t("2025-04-02T01:00:00Z")),
        (5, t("2025-04-02T01:00:00Z")),
    ] {
        let rid = uuid::Uuid::from_u128(500 + u128::from(i));
        report(w, &nip(i), rid, Period::Tw1, 4, at, None, false).await;
    }
    for (i, hk) in [
        (1, Rating::DiAtas),
        (2, Rating::Sesuai),
        (5, Rating::Sesuai),
    ] {
        evaluate(
            w,
            &nip(i),
            &boss(),
            Period::Tw1,
            hk,
            hk,
            t("2025-04-05T01:00:00Z"),
        )
        .await;
    }
    survey(w, "DINKES", "Rawat Jalan", 20, &[4, 3, 3, 2, 4]).await;
    survey(w, "PKM-BANDA", "Imunisasi", 4, &[1, 1, 2]).await;
    w.emit(
        &kinerja::domain::survey::stream_id(&unit("PKM-BANDA"), year()),
        SurveyEvent::ImprovementActionOpened {
            action_id: uuid::Uuid::from_u128(77),
            period: Period::Tw1,
            ikm_hundredths: 3333,
            category: kinerja::domain::rules::IkmCategory::D,
            plan: "Tambah petugas".into(),
            at: t("2025-04-10T01:00:00Z"),
        },
        serde_json::json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    training(
        w,
        uuid::Uuid::from_u128(42),
        24,
        &[(nip(1), true), (nip(2), false)],
    )
    .await;
}

async fn dashboard_survey_training(kind: Kind) {
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    city(&mut w).await;
    let api = Api::new(&b).await;
    api.catch_up().await;
    let head = api.officer(&other_boss()).await;
    let penilai = api.officer(&boss()).await;
    let plain = api.officer(&nip(1)).await;
    let other_penilai = api.officer(&nip(8)).await;
    let url = "/api/v1/units/DINKES/dashboard/2025?period=TW1";

    let r = api.get(url, Some(&api.auditor)).await;
    let v = r.expect(StatusCode::OK).json();
    let total = &v["total"];
    assert_eq!(total["officers"], 6);
    assert_eq!(total["plans"]["approved"], 4);
    assert_eq!(total["plans"]["officers_without_plan"], 2);
    assert_eq!(total["reports"]["filed"], 3);
    assert_eq!(total["reports"]["officers_reporting"], 3);
    assert_eq!(total["evaluations"]["done"], 3);
    // TW1 2025 ended long before now: officer 3's missing evaluation is overdue.
    assert_eq!(total["evaluations"]["overdue"], 1);
    assert_eq!(total["evaluations"]["pending"], 0);
    let dist = &total["distribution"];
    assert_eq!(dist["n"], 3);
    assert_eq!(dist["counts"]["SANGAT_BAIK"], 1);
    assert_eq!(dist["counts"]["BAIK"], 2);
    assert_eq!(dist["organisation"]["predikat"], "BAIK");
    // BAIK needs at least one Butuh Perbaikan or Kurang (R5).
    assert_eq!(dist["quota_ok"], false);
    assert_eq!(dist["violations"].as_array().unwrap().len(), 1);
    // Both units' answers pooled: 20 points over 8 answers per element = 2.5 → 62.50 (D).
    assert_eq!(total["ikm"]["ikm"], 62.5);
    assert_eq!(total["ikm"]["category"], "D");
    assert_eq!(total["open_improvement_actions"], 1);
    assert_eq!(total["adoption"]["active_officers"], 6);
    assert_eq!(total["adoption"]["filed_last_30_days"], 1);
    assert_eq!(total["training"]["compliant"], 1);
    assert_eq!(total["training"]["non_compliant"], 5);
    let lines = v["units"].as_array().unwrap();
    let codes: Vec<&str> = lines.iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["DINKES", "PKM-BANDA"]);
    assert_eq!(lines[0]["officers"], 4);
    assert_eq!(lines[0]["ikm"]["ikm"], 80.0);
    assert_eq!(lines[0]["ikm"]["category"], "B");
    assert_eq!(
        lines[1]["distribution"]["quota_ok"],
        serde_json::Value::Null
    );
    assert_eq!(lines[1]["ikm"]["category"], "D");

    // Who may see it.
    for token in [&api.admin, &head, &penilai] {
        api.get(url, Some(token)).await.expect(StatusCode::OK);
    }
    for token in [&plain, &other_penilai] {
        api.get(url, Some(token))
            .await
            .expect(StatusCode::FORBIDDEN);
    }
    // The appraiser of an officer in DISKOMINFO sees it and PEMKO (which contains it).
    for u in ["DISKOMINFO", "PEMKO"] {
        api.get(
            &format!("/api/v1/units/{u}/dashboard/2025"),
            Some(&other_penilai),
        )
        .await
        .expect(StatusCode::OK);
    }
    api.get("/api/v1/units/NOPE/dashboard/2025", Some(&api.admin))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.get(
        &format!("{url}&min_position={}", w.last + 100),
        Some(&api.admin),
    )
    .await
    .expect(StatusCode::SERVICE_UNAVAILABLE);

    // SKM: per unit, per service, city-wide (admin, auditor).
    let r = api
        .get("/api/v1/surveys/2025?period=TW1", Some(&api.admin))
        .await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["city"]["ikm"], 62.5);
    assert_eq!(v["city"]["respondents"], 8);
    let dinkes = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "DINKES")
        .unwrap();
    assert_eq!(dinkes["ikm"], 80.0);
    assert_eq!(dinkes["category_label"], "Baik");
    assert_eq!(dinkes["nrr"].as_array().unwrap().len(), 9);
    assert_eq!(dinkes["nrr"][0], 3.2);
    assert_eq!(dinkes["issued"], 20);
    assert_eq!(dinkes["respondents"], 5);
    // R16: s(20) = 19 respondents recommended.
    assert_eq!(dinkes["recommended_sample"], 19);
    assert_eq!(dinkes["sample_ok"], false);
    assert_eq!(dinkes["services"][0]["service"], "Rawat Jalan");
    api.get("/api/v1/surveys/2025", Some(&head))
        .await
        .expect(StatusCode::FORBIDDEN);
    let tw2 = api
        .get("/api/v1/surveys/2025?period=TW2", Some(&api.auditor))
        .await;
    assert_eq!(
        tw2.expect(StatusCode::OK).json()["city"]["ikm"],
        serde_json::Value::Null
    );

    // The public summary: no token, IKM per unit, the latest signed head.
    let key = kinerja::proofs::SigningKey::generate();
    let signed = kinerja::ledger::sign_head(b.store.as_ref(), &key, chrono::Utc::now())
        .await
        .unwrap();
    let r = api.get("/api/v1/public/summary", None).await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["year"], 2025);
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(units[0]["unit"], "DINKES");
    assert_eq!(units[0]["name"], "Unit DINKES");
    assert_eq!(units[0]["category"], "B");
    assert_eq!(v["ledger_head"]["tree_size"], signed.tree_size);
    let r = api.get("/api/v1/public/summary?year=2024", None).await;
    assert!(
        r.expect(StatusCode::OK).json()["units"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Training: a programme, an officer's year, compliance.
    let program = uuid::Uuid::from_u128(42);
    let r = api
        .get(
            &format!("/api/v1/trainings/{program}/summary"),
            Some(&api.auditor),
        )
        .await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["enrolled"], 2);
    assert_eq!(v["completed"], 1);
    assert_eq!(v["completion_rate"], 0.5);
    assert_eq!(v["jp_credited"], 24);
    assert_eq!(v["programme"]["title"], "Pelatihan 24 JP");
    api.get(
        &format!("/api/v1/trainings/{program}/summary"),
        Some(&plain),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    api.get(
        &format!("/api/v1/trainings/{}/summary", uuid::Uuid::from_u128(43)),
        Some(&api.admin),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    let mine = format!("/api/v1/officers/{}/trainings/2025", nip(1));
    let v = api
        .get(&mine, Some(&plain))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(v["jp_total"], 24);
    assert_eq!(v["compliant"], true);
    assert_eq!(v["completions"].as_array().unwrap().len(), 1);
    let theirs = format!("/api/v1/officers/{}/trainings/2025", nip(2));
    let v = api
        .get(&theirs, Some(&penilai))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(v["jp_total"], 0);
    assert_eq!(v["compliant"], false);
    assert_eq!(v["enrolments"][0]["program_id"], program.to_string());
    api.get(&theirs, Some(&plain))
        .await
        .expect(StatusCode::FORBIDDEN);
    let r = api
        .get("/api/v1/trainings/compliance/2025", Some(&api.auditor))
        .await;
    let v = r.expect(StatusCode::OK).json();
    assert_eq!(v["officers"], 7);
    assert_eq!(v["compliant"], 1);
    assert_eq!(v["non_compliant"].as_array().unwrap().len(), 6);
    let r = api
        .get(
            "/api/v1/trainings/compliance/2025?unit=DINKES&format=csv",
            Some(&api.admin),
        )
        .await;
    r.expect(StatusCode::OK);
    assert!(r.content_type().starts_with("text/csv"));
    assert_eq!(r.text().lines().count(), 6, "{}", r.text());
    api.get("/api/v1/trainings/compliance/2025", Some(&head))
        .await
        .expect(StatusCode::FORBIDDEN);
    api.get(
        "/api/v1/trainings/compliance/2025?unit=NOPE",
        Some(&api.admin),
    )
    .await
    .expect(StatusCode::NOT_FOUND);

    // The survey read model rebuilt from 0 equals the incremental one.
    let before = api.projector.db().dump("rm_survey").await.unwrap();
    api.projector.rebuild(Some("survey"), |_| {}).await.unwrap();
    assert_eq!(api.projector.db().dump("rm_survey").await.unwrap(), before);
}

#[tokio::test]
async fn dashboard_surveys_public_summary_and_training_over_http_sqlite() {
    dashboard_survey_training(Kind::Sqlite).await;
}

#[tokio::test]
async fn dashboard_surveys_public_summary_and_training_over_http_postgres() {
    dashboard_survey_training(Kind::Postgres).await;
}

/// Whether one of `e`'s changes satisfies `pred`.
fn has_change(e: &crate::api::SseEvent, pred: impl Fn(&serde_json::Value) -> bool) -> bool {
    e.data["changes"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(pred))
}

fn scorecard_of(e: &crate::api::SseEvent, nip: &str) -> Option<serde_json::Value> {
    e.data["changes"]
        .as_array()?
        .iter()
        .find(|c| c["topic"]["kind"] == "scorecard" && c["topic"]["nip"] == nip)
        .map(|c| c["scorecard"].clone())
}

async fn live_feed(kind: Kind) {
    use std::time::Duration;
    let Some(b) = Backend::new(kind).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    units(&mut w).await;
    officer(&mut w, &nip(1), "DINKES", &boss()).await;
    officer(&mut w, &nip(2), "DINKES", &boss()).await;
    let api = Api::new(&b).await;
    let penilai = api.officer(&boss()).await;
    let colleague = api.officer(&nip(2)).await;
    let (stop, run) = api.run();
    api.projector
        .wait_for(w.last, Duration::from_secs(5))
        .await
        .unwrap();

    // Subscribed before the command: the appraiser gets the scorecard, the colleague does not.
    let live = "/api/v1/live?period=TW1&year=2025";
    let mut boss_feed = api.sse(live, &penilai, None).await;
    let ready = boss_feed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(ready.event, "ready");
    let mut colleague_feed = api.sse(live, &colleague, None).await;
    colleague_feed.next(Duration::from_secs(5)).await.unwrap();
    let mut auditor_feed = api.sse(live, &api.auditor, None).await;
    auditor_feed.next(Duration::from_secs(5)).await.unwrap();
    approved_plan(&mut w, &nip(1), "DINKES", "2025-01-20T01:00:00Z", false).await;
    let n1 = nip(1).as_str().to_string();
    // The plan's events commit one by one: wait for the change that approved it.
    let approved = |e: &crate::api::SseEvent| {
        scorecard_of(e, &n1).is_some_and(|c| c["plans"][0]["status"] == "APPROVED")
    };
    // Officer 2 is in DINKES, so the appraiser also sees the unit's dashboard (in the same event
    // or a later one: each document of an event is as of at least its position).
    let unit_approved = |e: &crate::api::SseEvent| {
        has_change(e, |c| {
            c["topic"] == serde_json::json!({"kind": "dashboard", "unit": "DINKES"})
                && c["dashboard"]["total"]["plans"]["approved"] == 1
        })
    };
    let seen = boss_feed
        .until_each(Duration::from_secs(5), &[&approved, &unit_approved])
        .await
        .expect("the appraiser receives the scorecard and the dashboard");
    for e in &seen {
        assert_eq!(e.event, "change");
        assert!(e.id.unwrap() > ready.id.unwrap());
    }
    assert_eq!(
        scorecard_of(&seen[0], &n1).unwrap()["plans"][0]["status"],
        "APPROVED"
    );
    // DINKES's dashboard is inside PEMKO's, which the auditor may also see.
    let inside_pemko = |e: &crate::api::SseEvent| {
        has_change(e, |c| {
            c["topic"]["kind"] == "dashboard" && c["also_changes"] == serde_json::json!(["PEMKO"])
        })
    };
    let seen = auditor_feed
        .until_each(Duration::from_secs(5), &[&approved, &inside_pemko])
        .await
        .expect("the auditor receives it");
    let last_seen = seen[0].id.unwrap();
    // The colleague sees positions, never officer 1's scorecard.
    let seen = colleague_feed
        .until(Duration::from_millis(1500), |e| {
            scorecard_of(e, &n1).is_some()
        })
        .await;
    assert!(seen.is_none());
    drop(boss_feed);

    // Disconnected: a report is filed. Reconnecting with Last-Event-ID delivers it first.
    report(
        &mut w,
        &nip(1),
        uuid::Uuid::from_u128(9),
        Period::Tw1,
        3,
        t("2025-04-02T01:00:00Z"),
        None,
        false,
    )
    .await;
    api.projector
        .wait_for(w.last, Duration::from_secs(5))
        .await
        .unwrap();
    let mut again = api.sse(live, &penilai, Some(last_seen)).await;
    let e = again.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(e.event, "change");
    assert!(e.id.unwrap() >= w.last);
    let card = scorecard_of(&e, &n1).expect("the missed change");
    assert!(!card["plans"][0]["indicators"][0]["realisation"].is_null());
    // A Last-Event-ID at the current position: nothing to catch up, just ready.
    let mut current = api.sse(live, &penilai, Some(e.id.unwrap())).await;
    assert_eq!(
        current.next(Duration::from_secs(5)).await.unwrap().event,
        "ready"
    );
    let _ = stop.send(());
    run.await.unwrap();
}

#[tokio::test]
async fn a_live_feed_client_gets_its_changes_and_what_it_missed_sqlite() {
    live_feed(Kind::Sqlite).await;
}

#[tokio::test]
async fn a_live_feed_client_gets_its_changes_and_what_it_missed_postgres() {
    live_feed(Kind::Postgres).await;
}

#[tokio::test]
async fn kinerja_rebuild_rebuilds_a_named_projection_and_refuses_an_unknown_one() {
    let Some(b) = Backend::new(Kind::Sqlite).await else {
        return;
    };
    let mut w = Writer::new(b.store.clone());
    let mut rng = Rng::new(3);
    random_history(&mut w, &mut rng, 5).await;
    let projector = b.projector().await;
    projector.catch_up(|_| {}).await.unwrap();
    let before = projector.db().dump("rm_plan").await.unwrap();
    let bin = env!("CARGO_BIN_EXE_kinerja");
    let out = std::process::Command::new(bin)
        .args(["rebuild", "performance", "--database-url", &b.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("rebuilt performance up to position {}", w.last)),
        "{stdout}"
    );
    assert_eq!(projector.db().dump("rm_plan").await.unwrap(), before);
    let out = std::process::Command::new(bin)
        .args(["rebuild", "nothing", "--database-url", &b.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("survey"));
}
