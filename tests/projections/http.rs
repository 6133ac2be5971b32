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
