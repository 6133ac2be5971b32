//! Trainings: announce, enrol (admin or the officer themself), complete with JP and a
//! certificate, cancel; and the refusals.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{ME, OTHER, TestApp};
use crate::on_both;

fn programme(jp: u32) -> Value {
    json!({
        "title": "Pelatihan Keamanan Siber",
        "competence": "TEKNIS",
        "route": "KLASIKAL",
        "jp": jp,
        "start": "2025-03-03",
        "end": "2025-03-05",
        "provider": "BPSDM Aceh",
    })
}

fn completion(nip: &str, jp: u32) -> Value {
    json!({
        "nip": nip,
        "jp": jp,
        "completed_on": "2025-03-05",
        "certificate": { "uri": "https://files.lhokseumawekota.go.id/sertifikat/1.pdf", "sha256": "cd".repeat(32) },
    })
}

async fn a_programme_is_announced_enrolled_completed_and_cancelled(t: TestApp) {
    t.officer(ME).await;
    t.officer(OTHER).await;
    let r = t.post("/api/v1/trainings", &t.admin, programme(12)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["program_id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/trainings/{id}");

    // The officer enrols themself; the admin enrols another; an officer may not enrol another.
    let r = t
        .post(&format!("{base}/enrolments"), &t.me, json!({ "nip": ME }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["events"], json!(["OfficerEnrolled"]));
    let r = t
        .post(
            &format!("{base}/enrolments"),
            &t.me,
            json!({ "nip": OTHER }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            &format!("{base}/enrolments"),
            &t.admin,
            json!({ "nip": OTHER }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .post(
            &format!("{base}/enrolments"),
            &t.admin,
            json!({ "nip": ME }),
        )
        .await;
    assert_eq!(r.code(), "ALREADY_ENROLLED");
    let r = t
        .post(
            &format!("{base}/enrolments"),
            &t.admin,
            json!({ "nip": "198001012005011003" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an unregistered officer");

    // Completion: admin only; JP at most the programme's; a valid certificate.
    let head = t.head().await;
    let r = t
        .post(&format!("{base}/completions"), &t.me, completion(ME, 12))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(&format!("{base}/completions"), &t.admin, completion(ME, 13))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "INVALID_JP");
    let mut bad_cert = completion(ME, 12);
    bad_cert["certificate"]["sha256"] = json!("xyz");
    let r = t
        .post(&format!("{base}/completions"), &t.admin, bad_cert)
        .await;
    assert_eq!(r.code(), "INVALID_EVIDENCE", "{}", r.text);
    let r = t
        .post(
            &format!("{base}/completions"),
            &t.admin,
            completion("198001012005011003", 12),
        )
        .await;
    assert_eq!(r.code(), "NOT_ENROLLED");
    assert_eq!(t.head().await, head);
    let r = t
        .post(&format!("{base}/completions"), &t.admin, completion(ME, 12))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["events"], json!(["TrainingCompleted"]));
    let r = t
        .post(&format!("{base}/completions"), &t.admin, completion(ME, 12))
        .await;
    assert_eq!(r.code(), "ALREADY_COMPLETED");

    // Reading: the admin sees everyone; an officer only themself.
    let g = t.get(&base, &t.admin).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.body["programme"]["jp"], 12);
    assert_eq!(g.body["participants"].as_array().unwrap().len(), 2);
    let g = t.get(&base, &t.me).await;
    let mine = g.body["participants"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["jp"], 12);
    assert_eq!(mine[0]["completed"], true);

    // Cancel: admin, with a reason; afterwards nothing more.
    let r = t
        .post(
            &format!("{base}/cancel"),
            &t.auditor,
            json!({ "reason": "Anggaran" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            &format!("{base}/cancel"),
            &t.admin,
            json!({ "reason": "Anggaran dialihkan" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .post(
            &format!("{base}/completions"),
            &t.admin,
            completion(OTHER, 12),
        )
        .await;
    assert_eq!(r.code(), "TRAINING_CANCELLED");
    assert_eq!(t.get(&base, &t.admin).await.body["status"], "CANCELLED");
    let s = t
        .get(&format!("/api/v1/streams/training-{id}"), &t.auditor)
        .await;
    let last = s.body["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["metadata"]["reason"], "Anggaran dialihkan");
}
on_both!(a_programme_is_announced_enrolled_completed_and_cancelled);

async fn announcing_checks_the_programme(t: TestApp) {
    let head = t.head().await;
    let r = t.post("/api/v1/trainings", &t.me, programme(12)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post("/api/v1/trainings", &t.admin, programme(0)).await;
    assert_eq!(r.code(), "INVALID_JP");
    let mut p = programme(10);
    p["end"] = json!("2025-03-01");
    let r = t.post("/api/v1/trainings", &t.admin, p).await;
    assert_eq!(r.code(), "INVALID_DATE_RANGE");
    let mut p = programme(10);
    p["competence"] = json!("MEMASAK");
    let r = t.post("/api/v1/trainings", &t.admin, p).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "competence", "{}", r.text);
    assert_eq!(t.head().await, head);
    let unknown = format!("/api/v1/trainings/{}", uuid::Uuid::now_v7());
    assert_eq!(
        t.get(&unknown, &t.admin).await.status,
        StatusCode::NOT_FOUND
    );
    let r = t
        .post(
            &format!("{unknown}/enrolments"),
            &t.admin,
            json!({ "nip": ME }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
on_both!(announcing_checks_the_programme);
