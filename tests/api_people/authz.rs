//! One test per authorisation rule, the refusals included. Every refusal appends nothing.

use kinerja::domain::Nip;
use kinerja::domain::access::Subject;
use serde_json::json;

use crate::fixture::{BOSS, Env, ME, OTHER};

pub async fn another_officer_cannot_file_my_report(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let path = format!("/officers/{ME}/plans/{}/reports", w.year);
    let head = env.head().await;
    env.post(&path, &w.other, Env::report(&ind, "TW1", json!(1)))
        .await
        .problem(403, "NOT_OWN_RECORD");
    // Not even my appraiser files it for me.
    env.post(&path, &w.boss, Env::report(&ind, "TW1", json!(1)))
        .await
        .problem(403, "NOT_OWN_RECORD");
    assert_eq!(env.head().await, head);
    env.post(&path, &w.me, Env::report(&ind, "TW1", json!(1)))
        .await
        .expect(200);
}

pub async fn a_non_appraiser_cannot_approve(env: Env) {
    let w = env.world().await;
    let base = format!("/officers/{ME}/plans/{}", w.year);
    env.post(&base, &w.me, json!({"approach": "KUALITATIF"}))
        .await
        .expect(201);
    env.post(
        &format!("{base}/results"),
        &w.me,
        json!({"jenis": "UTAMA", "text": "Hasil", "superior_result": "Atasan",
               "indicators": [{"text": "Indikator"}]}),
    )
    .await
    .expect(200);
    env.post(&format!("{base}/submit"), &w.me, json!({}))
        .await
        .expect(200);
    let head = env.head().await;
    for token in [&w.me, &w.other, &w.big, &w.admin] {
        let a = env.post(&format!("{base}/approve"), token, json!({})).await;
        a.problem(403, "NOT_ASSIGNED_APPRAISER");
        let r = env
            .post(
                &format!("{base}/return"),
                token,
                json!({"reason": "kurang"}),
            )
            .await;
        r.problem(403, "NOT_ASSIGNED_APPRAISER");
    }
    assert_eq!(env.head().await, head);
    env.post(
        &format!("{base}/return"),
        &w.boss,
        json!({"reason": "Lengkapi indikator"}),
    )
    .await
    .expect(200);
}

pub async fn a_non_appraiser_cannot_evaluate(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let base = format!("/officers/{ME}/plans/{}", w.year);
    let eval = json!({"period": "TW1", "hasil_kerja": "DI_ATAS", "perilaku": "DI_ATAS"});
    let head = env.head().await;
    for token in [&w.me, &w.other, &w.big] {
        env.post(&format!("{base}/evaluations"), token, eval.clone())
            .await
            .problem(403, "NOT_ASSIGNED_APPRAISER");
        env.post(
            &format!("{base}/feedback"),
            token,
            json!({"about": {"kind": "INDICATOR", "ref": ind}, "text": "x"}),
        )
        .await
        .problem(403, "NOT_ASSIGNED_APPRAISER");
    }
    assert_eq!(env.head().await, head);
    env.post(&format!("{base}/evaluations"), &w.boss, eval)
        .await
        .expect(200);
}

pub async fn only_the_atasan_decides_objections(env: Env) {
    let w = env.world().await;
    env.approved_plan(&w, w.year).await;
    let base = format!("/officers/{ME}/plans/{}", w.year);
    env.post(
        &format!("{base}/evaluations"),
        &w.boss,
        json!({"period": "TW1", "hasil_kerja": "DI_BAWAH", "perilaku": "DI_BAWAH"}),
    )
    .await
    .expect(200);
    // Only the officer objects.
    env.post(
        &format!("{base}/objections"),
        &w.other,
        json!({"period": "TW1", "reason": "Tidak adil"}),
    )
    .await
    .problem(403, "NOT_OWN_RECORD");
    env.post(
        &format!("{base}/objections"),
        &w.me,
        json!({"period": "TW1", "reason": "Tidak adil"}),
    )
    .await
    .expect(200);
    let head = env.head().await;
    let decide = json!({"decision": "REJECTED", "reason": "Penilaian sudah tepat"});
    for token in [&w.me, &w.boss, &w.other, &w.admin] {
        env.post(
            &format!("{base}/objections/TW1/decide"),
            token,
            decide.clone(),
        )
        .await
        .problem(403, "NOT_ATASAN_PENILAI");
    }
    assert_eq!(env.head().await, head);
    env.post(&format!("{base}/objections/TW1/decide"), &w.big, decide)
        .await
        .expect(200);
}

pub async fn an_auditor_reads_but_cannot_write(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let base = format!("/officers/{ME}/plans/{}", w.year);
    let head = env.head().await;
    env.post(
        &format!("{base}/reports"),
        &w.auditor,
        Env::report(&ind, "TW1", json!(1)),
    )
    .await
    .problem(403, "READ_ONLY");
    env.post(
        &format!("{base}/revise"),
        &w.auditor,
        json!({"reason": "x"}),
    )
    .await
    .problem(403, "READ_ONLY");
    env.post(
        "/units/DISKOMINFO/predikat-finalisation",
        &w.auditor,
        json!({"year": w.year, "period": "TW1"}),
    )
    .await
    .problem(403, "READ_ONLY");
    env.post(
        &format!("/officers/{ME}/status"),
        &w.auditor,
        json!({"status": "CLTN", "effective": "2025-01-01", "reason": "x"}),
    )
    .await
    .problem(403, "FORBIDDEN");
    assert_eq!(env.head().await, head);
    env.get(&base, &w.auditor).await.expect(200);
    env.get(&format!("/officers/{ME}"), &w.auditor)
        .await
        .expect(200);
}

pub async fn only_admin_registers_transfers_and_assigns(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    let new = json!({"nip": "199203042020121001", "name": "Baru", "golongan": "Penata Muda, III/a",
                     "employment": "PPPK", "post": {"unit": "DISKOMINFO", "position": "Staf", "kind": {"kind": "PELAKSANA"}}});
    for token in [&w.me, &w.boss, &w.auditor] {
        env.post("/officers", token, new.clone())
            .await
            .problem(403, "FORBIDDEN");
        env.post(
            &format!("/officers/{OTHER}/appraisers"),
            token,
            json!({"penilai": ME, "atasan": BOSS, "from": "2025-01-01"}),
        )
        .await
        .problem(403, "FORBIDDEN");
        env.post(
            &format!("/officers/{OTHER}/transfer"),
            token,
            json!({"post": {"unit": "PEMKO", "position": "Staf", "kind": {"kind": "PELAKSANA"}}, "effective": "2025-01-01"}),
        )
        .await
        .problem(403, "FORBIDDEN");
    }
    assert_eq!(env.head().await, head);
    env.post("/officers", &w.admin, new).await.expect(201);
    // An officer cannot appraise themself.
    env.post(
        &format!("/officers/{OTHER}/appraisers"),
        &w.admin,
        json!({"penilai": OTHER, "atasan": BOSS, "from": "2025-01-01"}),
    )
    .await
    .problem(422, "SELF_APPRAISAL");
}

pub async fn officers_read_only_their_own_and_their_teams_records(env: Env) {
    let w = env.world().await;
    env.approved_plan(&w, w.year).await;
    let plan = format!("/officers/{ME}/plans/{}", w.year);
    let officer = format!("/officers/{ME}");
    for token in [&w.me, &w.boss, &w.big, &w.admin, &w.auditor] {
        env.get(&plan, token).await.expect(200);
        env.get(&officer, token).await.expect(200);
    }
    env.get(&plan, &w.other).await.problem(403, "FORBIDDEN");
    env.get(&officer, &w.other).await.problem(403, "FORBIDDEN");
    // An unknown officer: 404 for staff, 403 (not a hint) for other officers.
    let ghost = "/officers/199505052021011001";
    env.get(ghost, &w.admin).await.problem(404, "NOT_FOUND");
    env.get(ghost, &w.other).await.problem(403, "FORBIDDEN");
}

pub async fn a_missing_or_unknown_token_is_401(env: Env) {
    let w = env.world().await;
    let path = format!("/officers/{ME}");
    env.send(axum::http::Method::GET, &path, None, None, &[])
        .await
        .problem(401, "UNAUTHENTICATED");
    env.get(&path, "knj_not-a-real-token")
        .await
        .problem(401, "UNAUTHENTICATED");
    env.send(
        axum::http::Method::GET,
        &path,
        None,
        None,
        &[("authorization", &format!("Basic {}", w.me))],
    )
    .await
    .problem(401, "UNAUTHENTICATED");
}

pub async fn a_revoked_token_is_401(env: Env) {
    let w = env.world().await;
    let (token, id, _) = env
        .app()
        .issue_token(
            Subject::Officer {
                nip: Nip::parse(ME).unwrap(),
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let path = format!("/officers/{ME}");
    env.get(&path, &token).await.expect(200);
    env.app()
        .revoke_token(id, "laptop hilang".into(), &Default::default())
        .await
        .unwrap();
    // The running service follows the access category; here we catch up by hand.
    env.state
        .tokens
        .catch_up(env.app().store.as_ref())
        .await
        .unwrap();
    let head = env.head().await;
    env.get(&path, &token).await.problem(401, "UNAUTHENTICATED");
    env.post(
        &format!("/officers/{ME}/plans/{}", w.year),
        &token,
        json!({"approach": "KUANTITATIF"}),
    )
    .await
    .problem(401, "UNAUTHENTICATED");
    assert_eq!(env.head().await, head);
}
