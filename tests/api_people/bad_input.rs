//! Bad input: each a clear 4xx problem+json with a stable code, never a 500, nothing appended.

use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};

use crate::fixture::{Env, ME, hash};

fn officer(nip: &str, name: &str) -> Value {
    json!({"nip": nip, "name": name, "golongan": "Penata, III/c", "employment": "PNS",
           "post": {"unit": "DISKOMINFO", "position": "Staf", "kind": {"kind": "PELAKSANA"}}})
}

const NEW: &str = "199203042020121001";

pub async fn malformed_and_mistyped_bodies_are_400(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    env.post_raw("/officers", &w.admin, "{\"nip\": ")
        .await
        .problem(400, "MALFORMED_JSON");
    env.post_raw("/officers", &w.admin, "")
        .await
        .problem(400, "MALFORMED_JSON");
    let mut wrong_type = officer(NEW, "Baru");
    wrong_type["name"] = json!(7);
    let a = env.post("/officers", &w.admin, wrong_type).await;
    a.problem(400, "INVALID_BODY");
    assert_eq!(a.body["errors"][0]["field"], "name");
    // serde_json reports a number where an enum is expected as a syntax error: still a 400.
    let mut wrong_enum_type = officer(NEW, "Baru");
    wrong_enum_type["employment"] = json!(7);
    let a = env.post("/officers", &w.admin, wrong_enum_type).await;
    a.expect(400);
    assert!(a.body["detail"].as_str().unwrap().contains("employment"));
    let mut unknown = officer(NEW, "Baru");
    unknown["salary"] = json!(1);
    env.post("/officers", &w.admin, unknown)
        .await
        .problem(400, "INVALID_BODY");
    let mut missing = officer(NEW, "Baru");
    missing.as_object_mut().unwrap().remove("name");
    env.post("/officers", &w.admin, missing)
        .await
        .problem(400, "INVALID_BODY");
    let mut bad_enum = officer(NEW, "Baru");
    bad_enum["post"]["kind"] = json!({"kind": "MENTERI"});
    env.post("/officers", &w.admin, bad_enum)
        .await
        .problem(400, "INVALID_BODY");
    // Not JSON at all.
    env.send(
        Method::POST,
        "/officers",
        Some(&w.admin),
        Some(Body::from("nip=1")),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
    .await
    .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    // Over the body limit.
    let huge = "x".repeat(kinerja::http::MAX_BODY_BYTES + 10);
    env.post("/officers", &w.admin, officer(NEW, &huge))
        .await
        .problem(413, "PAYLOAD_TOO_LARGE");
    // A command without parameters takes `{}` and nothing else.
    env.post(
        &format!("/officers/{ME}/plans/{}/submit", w.year),
        &w.me,
        json!({"now": true}),
    )
    .await
    .problem(400, "INVALID_BODY");
    assert_eq!(env.head().await, head);
}

pub async fn invalid_nips_are_422(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    for bad in [
        "123",
        "19850314201001100a",
        "198502302010011002",
        "198503142010013002",
    ] {
        env.post("/officers", &w.admin, officer(bad, "Baru"))
            .await
            .problem(422, "INVALID_NIP");
        env.get(&format!("/officers/{bad}"), &w.admin)
            .await
            .problem(422, "INVALID_NIP");
    }
    env.post(
        &format!("/officers/{ME}/appraisers"),
        &w.admin,
        json!({"penilai": "12", "atasan": ME, "from": "2025-01-01"}),
    )
    .await
    .problem(422, "INVALID_NIP");
    // A valid NIP of nobody registered.
    env.post(
        &format!("/officers/{ME}/appraisers"),
        &w.admin,
        json!({"penilai": NEW, "atasan": crate::fixture::BIG, "from": "2025-01-01"}),
    )
    .await
    .problem(422, "APPRAISER_NOT_REGISTERED");
    // Twice the same NIP.
    env.post("/officers", &w.admin, officer(ME, "Lagi"))
        .await
        .problem(422, "OFFICER_ALREADY_REGISTERED");
    // An unknown unit.
    let mut o = officer(NEW, "Baru");
    o["post"]["unit"] = json!("DINAS-ENTAH");
    env.post("/officers", &w.admin, o)
        .await
        .problem(404, "NOT_FOUND");
    let mut o = officer(NEW, "Baru");
    o["post"]["unit"] = json!("DINAS_ENTAH");
    env.post("/officers", &w.admin, o)
        .await
        .problem(422, "INVALID_UNIT_CODE");
    assert_eq!(env.head().await, head);
}

pub async fn odd_unicode_in_names_is_refused(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    for name in [
        "Cut\u{0000}Nyak",
        "Cut\nNyak",
        "Cut \u{202E}kayN",
        "Teuku\u{2066}Umar\u{2069}",
        "Ali\u{200B}",
        "\u{FEFF}Ali",
    ] {
        let a = env.post("/officers", &w.admin, officer(NEW, name)).await;
        a.problem(400, "INVALID_FIELD");
        assert_eq!(a.body["errors"][0]["field"], "name", "{name:?}");
    }
    // Free text may have line breaks but no bidi overrides.
    let plan = format!("/officers/{ME}/plans/{}", w.year);
    env.post(&plan, &w.me, json!({"approach": "KUANTITATIF"}))
        .await
        .expect(201);
    let head2 = env.head().await;
    env.post(
        &format!("{plan}/results"),
        &w.me,
        json!({"jenis": "UTAMA", "text": "Hasil \u{202E}", "superior_result": "x",
               "indicators": [{"text": "i", "aspek": "KUANTITAS", "target": {"value": 1, "unit": "Dokumen"}}]}),
    )
    .await
    .problem(400, "INVALID_FIELD");
    env.post(
        &format!("{plan}/results"),
        &w.me,
        json!({"jenis": "UTAMA", "text": "Hasil\nbaris dua", "superior_result": "x",
               "indicators": [{"text": "i", "aspek": "KUANTITAS", "target": {"value": 1, "unit": "Doku\u{0007}men"}}]}),
    )
    .await
    .problem(400, "INVALID_FIELD");
    assert_eq!(env.head().await, head2);
    // Names with ordinary non-ASCII letters and punctuation are fine.
    env.post(
        "/officers",
        &w.admin,
        officer(NEW, "Dr. Ça’ Muñoz-Öztürk, M.Kes."),
    )
    .await
    .expect(201);
    assert_eq!(env.head().await, head2 + 1);
    let _ = head;
}

pub async fn over_long_and_empty_text_is_422(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    env.post("/officers", &w.admin, officer(NEW, &"a".repeat(201)))
        .await
        .problem(422, "REQUIRED_TEXT");
    env.post("/officers", &w.admin, officer(NEW, "   "))
        .await
        .problem(422, "REQUIRED_TEXT");
    env.post(
        &format!("/officers/{ME}/status"),
        &w.admin,
        json!({"status": "CLTN", "effective": "2025-01-01", "reason": ""}),
    )
    .await
    .problem(422, "REQUIRED_TEXT");
    assert_eq!(env.head().await, head);
}

pub async fn dates_and_clocks_in_the_future_are_422(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let head = env.head().await;
    let future = (chrono::Utc::now() + chrono::TimeDelta::days(30))
        .date_naive()
        .to_string();
    env.post(
        &format!("/officers/{ME}/transfer"),
        &w.admin,
        json!({"post": {"unit": "PEMKO", "position": "Staf", "kind": {"kind": "PELAKSANA"}}, "effective": future}),
    )
    .await
    .problem(422, "DATE_IN_FUTURE");
    env.post(
        &format!("/officers/{ME}/status"),
        &w.admin,
        json!({"status": "CLTN", "effective": future, "reason": "SK"}),
    )
    .await
    .problem(422, "DATE_IN_FUTURE");
    let plan = format!("/officers/{ME}/plans/{}", w.year);
    env.post(
        &format!("{plan}/dialogues"),
        &w.me,
        json!({"held_on": future, "participants": [ME], "summary": "x"}),
    )
    .await
    .problem(422, "DATE_IN_FUTURE");
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339();
    let mut r = Env::report(&ind, "TW1", json!(1));
    r["client_time"] = json!(tomorrow);
    env.post(&format!("{plan}/reports"), &w.me, r)
        .await
        .problem(422, "DATE_IN_FUTURE");
    env.post_with(
        &format!("{plan}/reports"),
        &w.me,
        Env::report(&ind, "TW1", json!(1)),
        &[("x-client-time", &tomorrow)],
    )
    .await
    .problem(422, "DATE_IN_FUTURE");
    env.post_with(
        &format!("{plan}/reports"),
        &w.me,
        Env::report(&ind, "TW1", json!(1)),
        &[("x-client-time", "yesterday")],
    )
    .await
    .problem(400, "INVALID_FIELD");
    // A date that is no date.
    env.post(
        &format!("/officers/{ME}/status"),
        &w.admin,
        json!({"status": "CLTN", "effective": "2025-02-30", "reason": "SK"}),
    )
    .await
    .problem(400, "INVALID_BODY");
    assert_eq!(env.head().await, head);
    // The header's clock is recorded when it is plausible.
    let earlier = (chrono::Utc::now() - chrono::TimeDelta::minutes(5)).to_rfc3339();
    env.post_with(
        &format!("{plan}/reports"),
        &w.me,
        Env::report(&ind, "TW1", json!(1)),
        &[("x-client-time", &earlier)],
    )
    .await
    .expect(200);
}

pub async fn bad_reports_are_refused(env: Env) {
    let w = env.world().await;
    let ind = env.approved_plan(&w, w.year).await;
    let path = format!("/officers/{ME}/plans/{}/reports", w.year);
    let head = env.head().await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            {
                let mut r = Env::report(&ind, "TW1", json!(1));
                r["evidence"][0]["sha256"] = json!("abc");
                r
            },
            422,
            "INVALID_EVIDENCE",
        ),
        (
            {
                let mut r = Env::report(&ind, "TW1", json!(1));
                r["evidence"][0]["uri"] = json!("not a uri");
                r
            },
            422,
            "INVALID_EVIDENCE",
        ),
        (
            {
                let mut r = Env::report(&ind, "TW1", json!(1));
                r["realised"]["unit"] = json!("Dokumen");
                r
            },
            422,
            "UNIT_MISMATCH",
        ),
        (
            Env::report(&ind, "TW1", json!(-1)),
            422,
            "NEGATIVE_QUANTITY",
        ),
        (
            Env::report(&ind, "TW1", json!("1.2345")),
            422,
            "INVALID_QUANTITY",
        ),
        (
            Env::report(&ind, "TW1", json!("banyak")),
            422,
            "INVALID_QUANTITY",
        ),
        (Env::report(&ind, "TW9", json!(1)), 400, "INVALID_BODY"),
        (
            Env::report(&uuid::Uuid::now_v7().to_string(), "TW1", json!(1)),
            404,
            "NOT_FOUND",
        ),
        (
            Env::report("not-a-uuid", "TW1", json!(1)),
            400,
            "INVALID_BODY",
        ),
        (
            {
                let mut r = Env::report(&ind, "TW1", json!(1));
                r["evidence"][0]["extra"] = json!(hash());
                r
            },
            400,
            "INVALID_BODY",
        ),
    ];
    for (body, status, code) in cases {
        env.post(&path, &w.me, body).await.problem(status, code);
    }
    assert_eq!(env.head().await, head);
}

pub async fn bad_addresses_are_4xx(env: Env) {
    let w = env.world().await;
    let head = env.head().await;
    let p = format!("/officers/{ME}/plans");
    env.get(&format!("{p}/1999"), &w.me)
        .await
        .problem(422, "INVALID_YEAR");
    env.get(&format!("{p}/duaribu"), &w.me)
        .await
        .problem(400, "INVALID_FIELD");
    env.get(&format!("{p}/{}?seq=0", w.year), &w.me)
        .await
        .problem(400, "INVALID_FIELD");
    env.get(&format!("{p}/{}?foo=1", w.year), &w.me)
        .await
        .problem(400, "INVALID_FIELD");
    env.get(&format!("{p}/{}", w.year), &w.me)
        .await
        .problem(404, "NOT_FOUND");
    env.post(
        &format!("{p}/{}/reports/123/withdraw", w.year),
        &w.me,
        json!({"reason": "x"}),
    )
    .await
    .problem(400, "INVALID_FIELD");
    env.post(
        &format!("{p}/{}/evaluations/TW7/amend", w.year),
        &w.boss,
        json!({"hasil_kerja": "SESUAI", "perilaku": "SESUAI", "reason": "x"}),
    )
    .await
    .problem(422, "INVALID_PERIOD");
    env.post(&format!("{p}/{}/submit", w.year), &w.me, json!({}))
        .await
        .problem(404, "PLAN_NOT_DRAFTED");
    env.get("/officers/nowhere/else", &w.me)
        .await
        .problem(404, "NOT_FOUND");
    assert_eq!(env.head().await, head);
}
