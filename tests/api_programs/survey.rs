//! The public-satisfaction survey: codes issued once and stored as digests, answered without a
//! token once each, rate-limited per address, IKM (R13, R14) and sample adequacy (R16) from the
//! folded stream, and improvement actions only for categories C and D.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{Method, StatusCode};
use kinerja::domain::survey::{self, SurveyEvent};
use kinerja::domain::{Period, UnitCode, Year};
use kinerja::http::survey::code_digest;
use serde_json::{Value, json};

use crate::harness::{Answer, TestApp, at};
use crate::on_both;

static NEXT_ADDR: AtomicU32 = AtomicU32::new(1);

/// Answer from a fresh client address each time (the limiter has its own test).
async fn answer(t: &TestApp, body: Value) -> Answer {
    let n = NEXT_ADDR.fetch_add(1, Ordering::Relaxed);
    let addr = SocketAddr::from(([10, 1, (n >> 8) as u8, n as u8], 40000));
    answer_from(t, body, addr).await
}

async fn answer_from(t: &TestApp, body: Value, addr: SocketAddr) -> Answer {
    t.raw(
        Method::POST,
        "/api/v1/public/survey",
        None,
        Some(body.to_string()),
        Some(addr),
    )
    .await
}

async fn issue(t: &TestApp, unit: &str, period: &str, count: u32) -> Vec<String> {
    let r = t
        .post(
            &format!("/api/v1/units/{unit}/survey-codes"),
            &t.admin,
            json!({ "year": 2025, "period": period, "service": "Penerbitan KTP-el", "count": count }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

async fn a_code_answers_once_without_a_token_and_only_its_digest_is_stored(t: TestApp) {
    t.unit("DISDUKCAPIL").await;
    // Only the admin issues codes, for a registered unit, 1–500 at a time.
    let body = json!({ "year": 2025, "period": "TW1", "service": "KTP-el", "count": 2 });
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/survey-codes",
            &t.me,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            "/api/v1/units/TIDAKADA/survey-codes",
            &t.admin,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut zero = body.clone();
    zero["count"] = json!(0);
    let r = t
        .post("/api/v1/units/DISDUKCAPIL/survey-codes", &t.admin, zero)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "count");

    let codes = issue(&t, "DISDUKCAPIL", "TW1", 3).await;
    assert_eq!(codes.len(), 3);
    for c in &codes {
        let (prefix, random) = c.rsplit_once('-').unwrap();
        assert_eq!(prefix, "DISDUKCAPIL-2025");
        assert_eq!(random.len(), 10);
    }
    // The stream holds digests, never the codes.
    let s = t
        .get("/api/v1/streams/survey-DISDUKCAPIL_2025", &t.auditor)
        .await;
    assert_eq!(s.status, StatusCode::OK);
    for c in &codes {
        assert!(!s.text.contains(c.as_str()));
        assert!(s.text.contains(&code_digest(c)));
    }

    // Invalid answers are refused with the failing field and do not use the code.
    let head = t.head().await;
    let r = answer(
        &t,
        json!({ "code": codes[0], "answers": [4, 4, 5, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "answers[2]");
    let r = answer(
        &t,
        json!({ "code": codes[0], "answers": [4, 4, 0, 4, 4, 4, 4, 4, -1] }),
    )
    .await;
    assert_eq!(r.body["errors"][0]["field"], "answers[2]");
    let r = answer(&t, json!({ "code": codes[0], "answers": [4, 4, 4] })).await;
    assert_eq!(r.body["errors"][0]["field"], "answers");
    let r = answer(
        &t,
        json!({ "code": codes[0], "answers": [4, 4, "x", 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "INVALID_BODY");
    let r = answer(
        &t,
        json!({ "code": codes[0], "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4], "nama": "Budi" }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "no personal fields are accepted"
    );
    // Unknown codes, of the right shape or not.
    let r = answer(
        &t,
        json!({ "code": "DISDUKCAPIL-2025-ZZZZZZZZZZ", "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "SURVEY_CODE_UNKNOWN");
    let r = answer(
        &t,
        json!({ "code": "sembarang", "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.code(), "SURVEY_CODE_UNKNOWN");
    let r = answer(
        &t,
        json!({ "code": "DINSOS-2025-ZZZZZZZZZZ", "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.code(), "SURVEY_CODE_UNKNOWN");
    assert_eq!(t.head().await, head);

    // The real answer: no token needed; codes are case-insensitive.
    let r = answer(
        &t,
        json!({ "code": codes[0].to_lowercase(), "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4], "comment": "Cepat dan ramah" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = answer(
        &t,
        json!({ "code": codes[0], "answers": [3, 3, 3, 3, 3, 3, 3, 3, 3] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "SURVEY_CODE_USED");
    // No personal data: no actor, no address in the metadata.
    let s = t
        .get("/api/v1/streams/survey-DISDUKCAPIL_2025", &t.auditor)
        .await;
    let answered = s.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "SurveyAnswered")
        .unwrap()
        .clone();
    let keys: Vec<&String> = answered["metadata"].as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| *k == "server_time" || *k == "request_id"),
        "{keys:?}"
    );
    assert!(!s.text.contains("10.1."));
}
on_both!(a_code_answers_once_without_a_token_and_only_its_digest_is_stored);

async fn an_expired_code_is_refused(t: TestApp) {
    t.unit("DISDUKCAPIL").await;
    let code = "DISDUKCAPIL-2025-2222222222";
    let unit = UnitCode::parse("DISDUKCAPIL").unwrap();
    let year = Year::new(2025).unwrap();
    t.given(
        survey::stream_id(&unit, year),
        vec![SurveyEvent::SurveyCodesIssued {
            batch_id: uuid::Uuid::now_v7(),
            unit: unit.clone(),
            year,
            period: Period::Tw1,
            service: "KTP-el".into(),
            code_digests: vec![code_digest(code)],
            at: at("2025-01-02T00:00:00Z"),
        }],
    )
    .await;
    let r = answer(
        &t,
        json!({ "code": code, "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "SURVEY_CODE_EXPIRED");
}
on_both!(an_expired_code_is_refused);

async fn concurrent_answers_for_one_unit_all_succeed(t: TestApp) {
    // Every answer of a unit's year appends to the one survey stream with its expected
    // revision; answers sent at the same time must not fail on each other.
    t.unit("DISDUKCAPIL").await;
    let codes = issue(&t, "DISDUKCAPIL", "TW1", 48).await;
    let answers = codes.iter().map(|code| {
        answer(
            &t,
            json!({ "code": code, "answers": [4, 3, 4, 3, 4, 3, 4, 3, 4] }),
        )
    });
    let results = futures::future::join_all(answers).await;
    for r in &results {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = t
        .get("/api/v1/units/DISDUKCAPIL/surveys/2025", &t.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["codes"]["used"], 48, "{}", r.text);
    // Each code still answers once only.
    let again = answer(
        &t,
        json!({ "code": codes[0], "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] }),
    )
    .await;
    assert_eq!(again.code(), "SURVEY_CODE_USED");
}
on_both!(concurrent_answers_for_one_unit_all_succeed);

async fn the_public_endpoint_is_rate_limited_per_address(t: TestApp) {
    let addr = SocketAddr::from(([192, 0, 2, 7], 5000));
    let bad = json!({ "code": "x", "answers": [] });
    for i in 0..kinerja::http::survey::PUBLIC_PER_MINUTE {
        let r = answer_from(&t, bad.clone(), addr).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "request {i}: {}", r.text);
    }
    let r = answer_from(&t, bad.clone(), addr).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "RATE_LIMITED");
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("Silakan coba lagi")
    );
    // Even a well-formed request is refused now, and before its body is read.
    let r = answer_from(&t, json!("bukan objek"), addr).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let r = answer_from(&t, bad, SocketAddr::from(([192, 0, 2, 8], 5000))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
on_both!(the_public_endpoint_is_rate_limited_per_address);

async fn ikm_follows_r13_and_improvement_actions_need_category_c_or_d(t: TestApp) {
    t.unit("DISDUKCAPIL").await;
    let tw1 = issue(&t, "DISDUKCAPIL", "TW1", 2).await;
    let tw2 = issue(&t, "DISDUKCAPIL", "TW2", 1).await;
    for (code, answers) in [
        (&tw1[0], json!([4, 3, 2, 1, 4, 3, 2, 1, 4])),
        (&tw1[1], json!([2, 3, 4, 1, 2, 3, 4, 1, 2])),
        (&tw2[0], json!([4, 4, 4, 4, 4, 4, 4, 4, 4])),
    ] {
        let r = answer(&t, json!({ "code": code, "answers": answers })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // By hand: NRR = [3,3,3,1,3,3,3,1,3]; with 1/9 each, IKM = 23/9 = 2.5556; × 25 = 63.89 → D.
    let uri = "/api/v1/units/DISDUKCAPIL/surveys/2025?population=100";
    assert_eq!(t.get(uri, &t.me).await.status, StatusCode::FORBIDDEN);
    let g = t.get(uri, &t.auditor).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    let period = |g: &Answer, p: &str| -> Value {
        g.body["periods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["period"] == p)
            .unwrap()
            .clone()
    };
    let p1 = period(&g, "TW1");
    assert_eq!(p1["respondents"], 2);
    assert_eq!(
        p1["ikm"]["nrr"],
        json!([3.0, 3.0, 3.0, 1.0, 3.0, 3.0, 3.0, 1.0, 3.0])
    );
    assert_eq!(p1["ikm"]["konversi"], 63.89);
    assert_eq!(p1["ikm"]["category"], "D");
    assert_eq!(p1["sample"]["recommended"], 80);
    assert_eq!(p1["sample"]["adequate"], false);
    assert_eq!(period(&g, "TW2")["ikm"]["konversi"], 100.0);
    assert_eq!(period(&g, "TW3")["ikm"], Value::Null);
    assert_eq!(period(&g, "TAHUNAN")["respondents"], 3);
    assert_eq!(g.body["codes"], json!({ "issued": 3, "used": 3 }));
    let g = t
        .get(
            "/api/v1/units/DISDUKCAPIL/surveys/2025?population=2",
            &t.admin,
        )
        .await;
    assert_eq!(period(&g, "TW1")["sample"]["adequate"], true);

    // The unit's own weights (sum 1): U1 0.3, U4 0, the rest 0.1 → 0.9 + 1.8 + 0.1 = 2.8 → 70.00 → C.
    let head = t.head().await;
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/survey-weights",
            &t.admin,
            json!({ "year": 2025, "weights": [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "WEIGHTS_DO_NOT_SUM_TO_ONE");
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/survey-weights",
            &t.admin,
            json!({ "year": 2025, "weights": [0.5, 0.5] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "weights");
    assert_eq!(t.head().await, head);
    let weights = json!({ "year": 2025, "weights": [0.3, 0.1, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1, 0.1] });
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/survey-weights",
            &t.me,
            weights.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/survey-weights",
            &t.admin,
            weights,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let g = t
        .get("/api/v1/units/DISDUKCAPIL/surveys/2025", &t.admin)
        .await;
    assert_eq!(period(&g, "TW1")["ikm"]["konversi"], 70.0);
    assert_eq!(period(&g, "TW1")["ikm"]["category"], "C");
    assert_eq!(period(&g, "TW1")["sample"], Value::Null);
    assert_eq!(g.body["default_weights"], false);

    // Improvement actions: TW2 is A (refused), TW3 has no answers (refused), TW1 is C (opened).
    let open = |period: &str| json!({ "year": 2025, "period": period, "plan": "Tambah loket dan perpendek antrean" });
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/improvement-actions",
            &t.admin,
            open("TW2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "IMPROVEMENT_NOT_REQUIRED");
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/improvement-actions",
            &t.admin,
            open("TW3"),
        )
        .await;
    assert_eq!(r.code(), "NO_SURVEY_RESPONSES");
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/improvement-actions",
            &t.me,
            open("TW1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut y2024 = open("TW1");
    y2024["year"] = json!(2024);
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/improvement-actions",
            &t.admin,
            y2024,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .post(
            "/api/v1/units/DISDUKCAPIL/improvement-actions",
            &t.admin,
            open("TW1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let action = r.body["action_id"].as_str().unwrap().to_string();

    let close = format!("/api/v1/units/DISDUKCAPIL/improvement-actions/{action}/close");
    let done = json!({ "year": 2025, "outcome": "Dua loket baru dibuka sejak April" });
    let r = t
        .post(
            &format!(
                "/api/v1/units/DISDUKCAPIL/improvement-actions/{}/close",
                uuid::Uuid::now_v7()
            ),
            &t.admin,
            done.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.post(&close, &t.admin, done.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.post(&close, &t.admin, done).await;
    assert_eq!(r.code(), "IMPROVEMENT_ACTION_STATE");
    let g = t
        .get("/api/v1/units/DISDUKCAPIL/surveys/2025", &t.auditor)
        .await;
    let a = &g.body["improvement_actions"][0];
    assert_eq!(a["category"], "C");
    assert_eq!(a["ikm_hundredths"], 7000);
    assert_eq!(a["open"], false);
    assert_eq!(a["outcome"], "Dua loket baru dibuka sejak April");
}
on_both!(ikm_follows_r13_and_improvement_actions_need_category_c_or_d);
