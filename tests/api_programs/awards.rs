//! Awards: granted on a basis evaluation that supports them, refused otherwise unless
//! overridden with a reason (recorded), revoked with a reason, admin only.

use axum::http::StatusCode;
use kinerja::domain::officer::Post;
use kinerja::domain::plan::{self, Indicator, PlanEvent, ResultPlan};
use kinerja::domain::values::{
    ActorId, Aspek, JenisRhk, Milli, Pendekatan, PositionKind, Quantity,
};
use kinerja::domain::{Period, Rating, UnitCode, Year};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{ME, OTHER, TestApp, at, nip};
use crate::on_both;

fn qty(v: i64) -> Quantity {
    Quantity::new(Milli::whole(v).unwrap(), "Aplikasi").unwrap()
}

/// SKP 2025 #1 of ME: one UTAMA indicator (target 4), a TW4 report of `realised` and an annual
/// evaluation `hk` × `pk`.
async fn plan_with_evaluation(t: &TestApp, realised: i64, hk: Rating, pk: Rating) {
    let ind = Uuid::from_u128(2);
    let boss = ActorId::Nip(nip(OTHER));
    let events = vec![
        PlanEvent::PlanDrafted {
            nip: nip(ME),
            year: Year::new(2025).unwrap(),
            seq: 1,
            approach: Pendekatan::Kuantitatif,
            post: Post {
                unit: UnitCode::parse("DISKOMINFO").unwrap(),
                position: "Pranata Komputer".into(),
                kind: PositionKind::Pelaksana,
            },
            by: ActorId::Nip(nip(ME)),
            at: at("2025-01-05T00:00:00Z"),
        },
        PlanEvent::ResultPlanned {
            result: ResultPlan {
                id: Uuid::from_u128(1),
                jenis: JenisRhk::Utama,
                text: "Aplikasi layanan publik".into(),
                superior_result: Some("Layanan digital".into()),
                perspektif: None,
                indicators: vec![Indicator {
                    id: ind,
                    text: "Jumlah aplikasi".into(),
                    aspek: Some(Aspek::Kuantitas),
                    target: Some(qty(4)),
                }],
            },
            at: at("2025-01-05T00:00:00Z"),
        },
        PlanEvent::PlanSubmitted {
            at: at("2025-01-06T00:00:00Z"),
        },
        PlanEvent::PlanApproved {
            by: boss.clone(),
            late: false,
            at: at("2025-01-07T00:00:00Z"),
        },
        PlanEvent::ReportFiled {
            report_id: Uuid::from_u128(3),
            indicator_id: ind,
            period: Period::Tw4,
            value: qty(realised),
            evidence: vec![],
            note: None,
            client_time: None,
            late: false,
            at: at("2025-12-20T00:00:00Z"),
        },
        PlanEvent::EvaluationRecorded {
            period: Period::Tahunan,
            hasil_kerja: hk,
            perilaku: pk,
            predikat: kinerja::domain::rules::predikat(hk, pk),
            suggested_hasil_kerja: None,
            result_ratings: vec![],
            behaviour_feedback: vec![],
            note: None,
            by: boss,
            at: at("2026-01-10T00:00:00Z"),
        },
    ];
    t.given(
        plan::stream_id(&nip(ME), Year::new(2025).unwrap(), 1),
        events,
    )
    .await;
}

fn grant(override_reason: Option<&str>) -> Value {
    json!({
        "nip": ME,
        "kind": "ACARA_RESMI",
        "ground": "MELAMPAUI_TARGET",
        "basis": [{ "year": 2025, "period": "TAHUNAN" }],
        "override_reason": override_reason,
    })
}

async fn an_award_on_a_di_atas_evaluation_above_target_is_granted_read_and_revoked(t: TestApp) {
    t.officer(ME).await;
    plan_with_evaluation(&t, 5, Rating::DiAtas, Rating::DiAtas).await;
    let r = t.post("/api/v1/awards", &t.admin, grant(None)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["award_id"].as_str().unwrap().to_string();
    assert_eq!(r.body["events"], json!(["AwardGranted"]));
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/awards/{id}")
    );

    let g = t.get(&format!("/api/v1/awards/{id}"), &t.admin).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body["status"], "GRANTED");
    assert_eq!(g.body["overridden"], false);
    assert_eq!(g.body["basis"][0]["hasil_kerja"], "DI_ATAS");
    assert_eq!(g.body["basis"][0]["predikat"], "SANGAT_BAIK");
    // The officer reads their own award; another officer may not.
    assert_eq!(
        t.get(&format!("/api/v1/awards/{id}"), &t.me).await.status,
        StatusCode::OK
    );
    assert_eq!(
        t.get(&format!("/api/v1/awards/{id}"), &t.other)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Revocation: admin only, with a reason, once.
    let uri = format!("/api/v1/awards/{id}/revoke");
    let head = t.head().await;
    let r = t.post(&uri, &t.me, json!({ "reason": "x" })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post(&uri, &t.admin, json!({ "reason": "  " })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(t.head().await, head);
    let r = t
        .post(&uri, &t.admin, json!({ "reason": "Hukuman disiplin" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["events"], json!(["AwardRevoked"]));
    let r = t.post(&uri, &t.admin, json!({ "reason": "lagi" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "AWARD_REVOKED");
    let g = t.get(&format!("/api/v1/awards/{id}"), &t.auditor).await;
    assert_eq!(g.body["status"], "REVOKED");
    assert_eq!(g.body["revocation"]["reason"], "Hukuman disiplin");

    // Unknown award, malformed id.
    let r = t
        .post(
            &format!("/api/v1/awards/{}/revoke", Uuid::now_v7()),
            &t.admin,
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/api/v1/awards/bukan-uuid", &t.admin).await.status,
        StatusCode::NOT_FOUND
    );
}
on_both!(an_award_on_a_di_atas_evaluation_above_target_is_granted_read_and_revoked);

async fn an_award_without_a_supporting_basis_is_refused_unless_overridden_with_a_reason(
    t: TestApp,
) {
    t.officer(ME).await;
    // Realisation only meets the target and the rating is Sesuai Ekspektasi.
    plan_with_evaluation(&t, 4, Rating::Sesuai, Rating::Sesuai).await;
    let head = t.head().await;
    let r = t.post("/api/v1/awards", &t.admin, grant(None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "AWARD_BASIS_INSUFFICIENT");
    assert_eq!(r.headers["content-type"], "application/problem+json");
    // No basis at all.
    let mut none = grant(None);
    none["basis"] = json!([]);
    let r = t.post("/api/v1/awards", &t.admin, none).await;
    assert_eq!(r.code(), "AWARD_BASIS_INSUFFICIENT");
    // A basis evaluation that does not exist.
    let mut missing = grant(None);
    missing["basis"] = json!([{ "year": 2024, "period": "TAHUNAN" }]);
    let r = t.post("/api/v1/awards", &t.admin, missing).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // An override without a reason is no override.
    let r = t.post("/api/v1/awards", &t.admin, grant(Some(" "))).await;
    assert_eq!(r.code(), "AWARD_BASIS_INSUFFICIENT");
    // Not the admin.
    let r = t
        .post("/api/v1/awards", &t.me, grant(Some("Keputusan Wali Kota")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post("/api/v1/awards", &t.auditor, grant(None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An officer that is not registered.
    let mut stranger = grant(Some("x"));
    stranger["nip"] = json!(OTHER);
    assert_eq!(
        t.post("/api/v1/awards", &t.admin, stranger).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.head().await, head, "refusals append nothing");

    let r = t
        .post(
            "/api/v1/awards",
            &t.admin,
            grant(Some("Keputusan Wali Kota Nomor 12/2026")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["award_id"].as_str().unwrap().to_string();
    let g = t.get(&format!("/api/v1/awards/{id}"), &t.auditor).await;
    assert_eq!(g.body["overridden"], true);
    assert_eq!(
        g.body["override_reason"],
        "Keputusan Wali Kota Nomor 12/2026"
    );
    assert_eq!(g.body["overridden_findings"].as_array().unwrap().len(), 2);
    // The stream shows it too: in the event data and in the metadata's reason.
    let s = t
        .get(&format!("/api/v1/streams/award-{id}"), &t.auditor)
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    let e = &s.body["events"][0];
    assert_eq!(
        e["data"]["override_reason"],
        "Keputusan Wali Kota Nomor 12/2026"
    );
    assert_eq!(e["metadata"]["reason"], "Keputusan Wali Kota Nomor 12/2026");
    assert_eq!(e["metadata"]["actor"], "bkpsdm");
}
on_both!(an_award_without_a_supporting_basis_is_refused_unless_overridden_with_a_reason);

async fn a_retried_grant_with_the_same_idempotency_key_grants_once(t: TestApp) {
    t.officer(ME).await;
    plan_with_evaluation(&t, 5, Rating::DiAtas, Rating::DiAtas).await;
    let send = || async {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/awards")
            .header("authorization", format!("Bearer {}", t.admin))
            .header("content-type", "application/json")
            .header("idempotency-key", "award-1")
            .body(axum::body::Body::from(grant(None).to_string()))
            .unwrap();
        let res = tower::ServiceExt::oneshot(t.router.clone(), req)
            .await
            .unwrap();
        let status = res.status();
        let bytes = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, serde_json::from_slice::<Value>(&bytes).unwrap())
    };
    let (s1, b1) = send().await;
    let head = t.head().await;
    let (s2, b2) = send().await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, s1, "a replay answers as the first time");
    assert_eq!(b1["award_id"], b2["award_id"]);
    assert_eq!(t.head().await, head);
}
on_both!(a_retried_grant_with_the_same_idempotency_key_grants_once);
