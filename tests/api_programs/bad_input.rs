//! Bad input for every command endpoint of this side: malformed JSON, unknown fields, wrong
//! types, a wrong content type and an oversized body give problem+json with a stable code, and
//! the store head does not move.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ME, TestApp};
use crate::on_both;

async fn bad_bodies_are_refused_and_change_nothing(t: TestApp) {
    t.unit("DISDUKCAPIL").await;
    t.officer(ME).await;
    let id = uuid::Uuid::now_v7();
    let endpoints = [
        ("/api/v1/awards".to_string(), Some(&t.admin)),
        (format!("/api/v1/awards/{id}/revoke"), Some(&t.admin)),
        ("/api/v1/trainings".to_string(), Some(&t.admin)),
        (format!("/api/v1/trainings/{id}/enrolments"), Some(&t.admin)),
        (
            format!("/api/v1/trainings/{id}/completions"),
            Some(&t.admin),
        ),
        (format!("/api/v1/trainings/{id}/cancel"), Some(&t.admin)),
        (
            "/api/v1/units/DISDUKCAPIL/survey-codes".to_string(),
            Some(&t.admin),
        ),
        (
            "/api/v1/units/DISDUKCAPIL/survey-weights".to_string(),
            Some(&t.admin),
        ),
        (
            "/api/v1/units/DISDUKCAPIL/improvement-actions".to_string(),
            Some(&t.admin),
        ),
        (
            format!("/api/v1/units/DISDUKCAPIL/improvement-actions/{id}/close"),
            Some(&t.admin),
        ),
        ("/api/v1/public/survey".to_string(), None),
    ];
    let head = t.head().await;
    let big = format!("{{\"reason\":\"{}\"}}", "a".repeat(1024 * 1024 + 10));
    for (uri, token) in &endpoints {
        let token = token.map(String::as_str);
        let cases: [(&str, String, StatusCode, &str); 5] = [
            (
                "malformed",
                "{,}".into(),
                StatusCode::BAD_REQUEST,
                "MALFORMED_JSON",
            ),
            (
                "not an object",
                "[1,2]".into(),
                StatusCode::BAD_REQUEST,
                "INVALID_BODY",
            ),
            (
                "unknown field",
                json!({ "zzz_unknown": 1 }).to_string(),
                StatusCode::BAD_REQUEST,
                "INVALID_BODY",
            ),
            (
                "wrong type",
                json!({ "year": "dua ribu", "reason": 7, "nip": 5, "code": 1, "title": 1 })
                    .to_string(),
                StatusCode::BAD_REQUEST,
                "INVALID_BODY",
            ),
            (
                "oversized",
                big.clone(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
            ),
        ];
        for (what, body, status, code) in cases {
            let r = t
                .raw(
                    Method::POST,
                    uri,
                    token,
                    Some(body),
                    Some(([198, 51, 100, 1], 1).into()),
                )
                .await;
            assert_eq!(r.status, status, "{uri} {what}: {}", r.text);
            assert_eq!(r.code(), code, "{uri} {what}: {}", r.text);
            assert_eq!(r.headers["content-type"], "application/problem+json");
        }
        // No content type.
        let mut req = axum::http::Request::builder()
            .method("POST")
            .uri(uri.as_str());
        if let Some(tok) = token {
            req = req.header("authorization", format!("Bearer {tok}"));
        }
        let req = req.body(axum::body::Body::from("{}")).unwrap();
        let res = tower::ServiceExt::oneshot(t.router.clone(), req)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{uri}");
        // Without a token (except the public endpoint).
        if token.is_some() {
            let r = t
                .raw(Method::POST, uri, None, Some("{}".into()), None)
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        }
    }
    assert_eq!(t.head().await, head, "no bad request appended anything");
}
on_both!(bad_bodies_are_refused_and_change_nothing);
