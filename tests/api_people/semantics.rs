//! Idempotency keys, If-Match and ETags.

use serde_json::json;

use crate::fixture::{Env, ME};

pub async fn an_idempotent_retry_returns_the_first_answer_and_appends_nothing(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let path = format!("/officers/{ME}/plans/{}/reports", w.year);
    // No report_id in the body: the server makes one, so only the key makes the retry safe.
    let body = Env::report(&ind, "TW1", json!(2));
    let key = [("idempotency-key", "laporan-tw1-0001")];
    let first = env.post_with(&path, &w.me, body.clone(), &key).await;
    first.expect(200);
    let head = env.head().await;
    let again = env.post_with(&path, &w.me, body.clone(), &key).await;
    again.expect(200);
    assert_eq!(again.body, first.body);
    assert_eq!(env.head().await, head);
    let plan = env
        .get(&format!("/officers/{ME}/plans/{}", w.year), &w.me)
        .await;
    assert_eq!(plan.body["reports"].as_array().unwrap().len(), 1);
    // The same key from another caller is that caller's own command (and refused here).
    env.post_with(&path, &w.other, body.clone(), &key)
        .await
        .problem(403, "NOT_OWN_RECORD");
    // A new key is a new report.
    env.post_with(
        &path,
        &w.me,
        body,
        &[("idempotency-key", "laporan-tw1-0002")],
    )
    .await
    .expect(200);
    assert_eq!(env.head().await, head + 1);
    // Registration too.
    let officer = json!({"nip": "199203042020121001", "name": "Baru", "golongan": "III/a",
        "employment": "PNS", "post": {"unit": "DISKOMINFO", "position": "Staf", "kind": {"kind": "PELAKSANA"}}});
    let k = [("idempotency-key", "reg-1")];
    let a = env
        .post_with("/officers", &w.admin, officer.clone(), &k)
        .await;
    a.expect(201);
    let b = env.post_with("/officers", &w.admin, officer, &k).await;
    assert_eq!(b.body, a.body);
}

pub async fn a_stale_if_match_is_409_with_both_revisions(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let plan_path = format!("/officers/{ME}/plans/{}", w.year);
    let plan = env.get(&plan_path, &w.me).await;
    let etag = plan.etag();
    let revision = plan.body["revision"].as_u64().unwrap();
    // Someone else moves the stream.
    env.post(
        &format!("{plan_path}/reports"),
        &w.me,
        Env::report(&ind, "TW1", json!(1)),
    )
    .await
    .expect(200);
    let head = env.head().await;
    let stale = env
        .post_with(
            &format!("{plan_path}/reports"),
            &w.me,
            Env::report(&ind, "TW2", json!(2)),
            &[("if-match", &etag)],
        )
        .await;
    stale.problem(409, "CONFLICT");
    assert_eq!(stale.body["expected_revision"]["revision"], json!(revision));
    assert_eq!(stale.body["actual_revision"], json!(revision + 1));
    assert_eq!(env.head().await, head);
    // The current ETag works.
    let fresh = env.get(&plan_path, &w.me).await.etag();
    env.post_with(
        &format!("{plan_path}/reports"),
        &w.me,
        Env::report(&ind, "TW2", json!(2)),
        &[("if-match", &fresh)],
    )
    .await
    .expect(200);
    // A malformed If-Match is 400.
    env.post_with(
        &format!("{plan_path}/reports"),
        &w.me,
        Env::report(&ind, "TW3", json!(2)),
        &[("if-match", "\"abc\"")],
    )
    .await
    .problem(400, "INVALID_FIELD");
}

pub async fn gets_carry_the_stream_revision_as_etag(env: Env) {
    let w = env.world().await;
    let officer = env.get(&format!("/officers/{ME}"), &w.me).await;
    // Registered (0) and appraisers assigned (1).
    assert_eq!(officer.etag(), "\"1\"");
    let transfer = env
        .post(
            &format!("/officers/{ME}/status"),
            &w.admin,
            json!({"status": "TUGAS_BELAJAR", "effective": "2025-02-01", "reason": "SK 800/1"}),
        )
        .await;
    transfer.expect(200);
    assert_eq!(transfer.etag(), "\"2\"");
    let officer = env.get(&format!("/officers/{ME}"), &w.me).await;
    assert_eq!(officer.etag(), "\"2\"");
    assert_eq!(officer.body["status"], "TUGAS_BELAJAR");
    // Exempt from planning now (R8).
    env.post(
        &format!("/officers/{ME}/plans/{}", w.year + 1),
        &w.me,
        json!({"approach": "KUANTITATIF"}),
    )
    .await
    .problem(422, "OFFICER_EXEMPT");
}
