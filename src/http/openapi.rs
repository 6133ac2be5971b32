//! The OpenAPI 3.1 document of the whole API (`GET /api/v1/openapi.json`) and a self-contained
//! HTML rendering of it (`GET /docs`: server-side, no script, nothing fetched). The document is
//! built from one table of routes below, which a test checks against the router: every path in
//! it must reach a handler.
//!
//! Routes owned by the officers/SKP module carry `x-kinerja-owner: api-people` so that the test
//! can say plainly when that module is not merged in yet.

use std::fmt::Write;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::AppState;

/// `GET /api/v1/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(get_openapi))
}

/// `GET /docs` (outside `/api/v1`).
pub fn docs_router() -> Router<AppState> {
    Router::new().route("/docs", get(get_docs))
}

async fn get_openapi() -> Response {
    let mut r = Json(document()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    r
}

async fn get_docs() -> Html<String> {
    Html(render_html(&document()))
}

/// Who may call a route.
#[derive(Clone, Copy)]
enum Who {
    Public,
    Any,
    Admin,
    Reader,
    Writer,
    AdminOrSelf,
    ReaderOrSelf,
}

impl Who {
    fn text(self) -> &'static str {
        match self {
            Who::Public => "tanpa token (publik)",
            Who::Any => "setiap token yang berlaku",
            Who::Admin => "admin BKPSDM",
            Who::Reader => "admin atau auditor",
            Who::Writer => "setiap token kecuali auditor; aturan organisasi diperiksa domain",
            Who::AdminOrSelf => "admin, atau pegawai untuk dirinya sendiri",
            Who::ReaderOrSelf => "admin, auditor, atau pegawai untuk datanya sendiri",
        }
    }
}

struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    who: Who,
    body: Option<Value>,
    ok: u16,
    people: bool,
}

fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    who: Who,
    body: Option<Value>,
    ok: u16,
) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        who,
        body,
        ok,
        people: false,
    }
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
}

fn s(t: &str) -> Value {
    json!({ "type": t })
}

fn en(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn period() -> Value {
    json!({ "$ref": "#/components/schemas/Period" })
}

fn year() -> Value {
    json!({ "type": "integer", "minimum": 2000, "maximum": 2100 })
}

fn nip() -> Value {
    json!({ "$ref": "#/components/schemas/Nip" })
}

fn reason() -> Value {
    obj(&["reason"], json!({ "reason": s("string") }))
}

fn any_object(note: &str) -> Value {
    json!({ "type": "object", "description": note })
}

fn routes() -> Vec<Op> {
    use Who::*;
    let people = "Lihat modul pegawai/SKP; badan JSON dengan `deny_unknown_fields`.";
    let mut v = vec![
        op("get", "/healthz", "service", "Liveness", Public, None, 200),
        op(
            "get",
            "/readyz",
            "service",
            "Readiness: the store answers",
            Public,
            None,
            200,
        ),
        op(
            "get",
            "/docs",
            "service",
            "This documentation as HTML",
            Public,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/openapi.json",
            "service",
            "This OpenAPI document",
            Public,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/streams/{stream_id}",
            "audit",
            "Every event of a stream with its envelope (query: from, limit)",
            Reader,
            None,
            200,
        ),
        // Units
        op(
            "post",
            "/api/v1/units",
            "units",
            "Register a unit",
            Admin,
            Some(obj(
                &["code", "name", "kind"],
                json!({
            "code": s("string"), "name": s("string"),
            "kind": en(&["PEMKO", "SEKRETARIAT", "DINAS", "BADAN", "INSPEKTORAT", "KANTOR", "BIDANG", "KECAMATAN", "GAMPONG", "PUSKESMAS", "RUMAH_SAKIT", "SEKOLAH", "UPTD", "LAINNYA"]),
            "parent": { "type": ["string", "null"] } }),
            )),
            201,
        ),
        op(
            "get",
            "/api/v1/units/{code}",
            "units",
            "A unit",
            Any,
            None,
            200,
        ),
        op(
            "post",
            "/api/v1/units/{code}/rename",
            "units",
            "Rename a unit",
            Admin,
            Some(obj(&["name"], json!({ "name": s("string") }))),
            200,
        ),
        op(
            "post",
            "/api/v1/units/{code}/move",
            "units",
            "Move a unit under another parent",
            Admin,
            Some(obj(
                &[],
                json!({ "parent": { "type": ["string", "null"] } }),
            )),
            200,
        ),
        op(
            "post",
            "/api/v1/units/{code}/head",
            "units",
            "Name the unit head",
            Admin,
            Some(obj(
                &["nip", "effective_from"],
                json!({ "nip": nip(), "effective_from": { "type": "string", "format": "date" } }),
            )),
            200,
        ),
        op(
            "post",
            "/api/v1/units/{code}/organisation-predikat",
            "units",
            "Set the organisation predikat (R7; head of the parent unit)",
            Writer,
            Some(obj(
                &["year", "period", "predikat", "decree_ref"],
                json!({
            "year": year(), "period": period(), "predikat": en(&["ISTIMEWA", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"]), "decree_ref": s("string") }),
            )),
            200,
        ),
        // Ledger
        op(
            "get",
            "/api/v1/ledger/keys",
            "ledger",
            "The public key that signs tree heads",
            Public,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/ledger/head",
            "ledger",
            "The latest signed tree head",
            Public,
            None,
            200,
        ),
        op(
            "post",
            "/api/v1/ledger/head",
            "ledger",
            "Sign a tree head now",
            Admin,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/ledger/heads",
            "ledger",
            "Signed tree heads",
            Reader,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/ledger/heads/{size}",
            "ledger",
            "The signed tree head at a size",
            Reader,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/ledger/proofs/inclusion",
            "ledger",
            "Inclusion proof (RFC 9162)",
            Reader,
            None,
            200,
        ),
        op(
            "get",
            "/api/v1/ledger/proofs/consistency",
            "ledger",
            "Consistency proof (RFC 9162)",
            Reader,
            None,
            200,
        ),
        // Awards
        op(
            "post",
            "/api/v1/awards",
            "awards",
            "Grant an award on the basis of evaluations (R24); an override needs a reason and is recorded",
            Admin,
            Some(obj(
                &["nip", "kind", "ground", "basis"],
                json!({
            "nip": nip(), "kind": en(&["TANDA_KEHORMATAN", "KP_ISTIMEWA", "PRIORITAS_BANGKOM", "ACARA_RESMI"]),
            "ground": en(&["MELAMPAUI_TARGET", "PREDIKAT_SANGAT_BAIK", "LAINNYA"]),
            "note": { "type": ["string", "null"], "description": "required for LAINNYA" },
            "basis": { "type": "array", "maxItems": 20, "items": obj(&["year", "period"], json!({ "year": year(), "period": period(), "seq": { "type": "integer", "default": 1 } })) },
            "override_reason": { "type": ["string", "null"] } }),
            )),
            201,
        ),
        op(
            "get",
            "/api/v1/awards/{id}",
            "awards",
            "An award, with its basis, override and revocation",
            ReaderOrSelf,
            None,
            200,
        ),
        op(
            "post",
            "/api/v1/awards/{id}/revoke",
            "awards",
            "Revoke an award",
            Admin,
            Some(reason()),
            200,
        ),
        // Trainings
        op(
            "post",
            "/api/v1/trainings",
            "trainings",
            "Announce a programme",
            Admin,
            Some(obj(
                &[
                    "title",
                    "competence",
                    "route",
                    "jp",
                    "start",
                    "end",
                    "provider",
                ],
                json!({
            "title": s("string"), "competence": en(&["TEKNIS", "MANAJERIAL", "SOSIAL_KULTURAL"]), "route": en(&["KLASIKAL", "NONKLASIKAL"]),
            "jp": { "type": "integer", "minimum": 1 }, "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" }, "provider": s("string") }),
            )),
            201,
        ),
        op(
            "get",
            "/api/v1/trainings/{id}",
            "trainings",
            "A programme; officers see only their own participation",
            Any,
            None,
            200,
        ),
        op(
            "post",
            "/api/v1/trainings/{id}/enrolments",
            "trainings",
            "Enrol an officer",
            AdminOrSelf,
            Some(obj(&["nip"], json!({ "nip": nip() }))),
            200,
        ),
        op(
            "post",
            "/api/v1/trainings/{id}/completions",
            "trainings",
            "Record a completion: JP credited, certificate",
            Admin,
            Some(obj(
                &["nip", "jp", "completed_on", "certificate"],
                json!({
            "nip": nip(), "jp": { "type": "integer", "minimum": 1 }, "completed_on": { "type": "string", "format": "date" },
            "certificate": obj(&["uri", "sha256"], json!({ "uri": s("string"), "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" } })) }),
            )),
            200,
        ),
        op(
            "post",
            "/api/v1/trainings/{id}/cancel",
            "trainings",
            "Cancel a programme",
            Admin,
            Some(reason()),
            200,
        ),
        // Survey
        op(
            "post",
            "/api/v1/units/{code}/survey-codes",
            "survey",
            "Issue single-use survey codes `{UNIT}-{YEAR}-{10 random}`; shown once, stored as SHA-256 digests; valid 30 days",
            Admin,
            Some(obj(
                &["year", "period", "service", "count"],
                json!({
            "year": year(), "period": period(), "service": s("string"), "count": { "type": "integer", "minimum": 1, "maximum": 500 } }),
            )),
            201,
        ),
        op(
            "post",
            "/api/v1/units/{code}/survey-weights",
            "survey",
            "Set the unit's nine element weights (sum 1, R13)",
            Admin,
            Some(obj(
                &["year", "weights"],
                json!({
            "year": year(), "weights": { "type": "array", "minItems": 9, "maxItems": 9, "items": { "type": "number", "minimum": 0 } } }),
            )),
            200,
        ),
        op(
            "get",
            "/api/v1/units/{code}/surveys/{year}",
            "survey",
            "IKM per period (R13, R14), sample adequacy (R16; query: population), improvement actions",
            Reader,
            None,
            200,
        ),
        op(
            "post",
            "/api/v1/units/{code}/improvement-actions",
            "survey",
            "Open an improvement action (category C or D only)",
            Admin,
            Some(obj(
                &["year", "period", "plan"],
                json!({ "year": year(), "period": period(), "plan": s("string") }),
            )),
            201,
        ),
        op(
            "post",
            "/api/v1/units/{code}/improvement-actions/{id}/close",
            "survey",
            "Close an improvement action",
            Admin,
            Some(obj(
                &["year", "outcome"],
                json!({ "year": year(), "outcome": s("string") }),
            )),
            200,
        ),
        op(
            "post",
            "/api/v1/public/survey",
            "survey",
            "Answer the survey with a code (no token; rate-limited per address: 429 with Retry-After)",
            Public,
            Some(obj(
                &["code", "answers"],
                json!({
            "code": s("string"), "answers": { "type": "array", "minItems": 9, "maxItems": 9, "items": { "type": "integer", "minimum": 1, "maximum": 4 } },
            "comment": { "type": ["string", "null"], "maxLength": 2000 } }),
            )),
            201,
        ),
    ];
    // Officers and SKP (written in parallel; bodies described in that module).
    let people_ops: Vec<(&'static str, &'static str, &'static str, Who, bool, u16)> = vec![
        (
            "post",
            "/api/v1/officers",
            "Register an officer",
            Admin,
            true,
            201,
        ),
        (
            "get",
            "/api/v1/officers/{nip}",
            "An officer",
            ReaderOrSelf,
            false,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/transfer",
            "Transfer an officer (closes the current SKP)",
            Admin,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/appraisers",
            "Assign appraisers (R23)",
            Admin,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/status",
            "Change an officer's status",
            Admin,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/units/{code}/predikat-finalisation",
            "Finalise the predikat of a unit's SKPs (R5)",
            Writer,
            true,
            200,
        ),
        (
            "get",
            "/api/v1/officers/{nip}/plans/{year}",
            "An SKP",
            ReaderOrSelf,
            false,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}",
            "Draft an SKP",
            Writer,
            true,
            201,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/results",
            "Plan a result (RHK)",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/behaviour-expectations",
            "Set a behaviour expectation",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/submit",
            "Submit the SKP",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/approve",
            "Approve the SKP",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/return",
            "Return the SKP",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/revise",
            "Revise the SKP",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/reports",
            "File a realisation report",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/reports/{report_id}/correct",
            "Correct a report",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/reports/{report_id}/withdraw",
            "Withdraw a report",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/feedback",
            "Give feedback",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/dialogues",
            "Record a dialogue",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/evaluations",
            "Record an evaluation",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/evaluations/{period}/amend",
            "Amend an evaluation",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/objections",
            "File an objection (keberatan)",
            Writer,
            true,
            200,
        ),
        (
            "post",
            "/api/v1/officers/{nip}/plans/{year}/objections/{period}/decide",
            "Decide an objection",
            Writer,
            true,
            200,
        ),
    ];
    for (method, path, summary, who, has_body, ok) in people_ops {
        let tag = if path.contains("/plans/") {
            "skp"
        } else {
            "officers"
        };
        v.push(Op {
            method,
            path,
            tag,
            summary,
            who,
            body: has_body.then(|| any_object(people)),
            ok,
            people: true,
        });
    }
    v
}

fn param_schema(name: &str) -> Value {
    match name {
        "nip" => nip(),
        "year" => year(),
        "period" => period(),
        "size" => json!({ "type": "integer", "minimum": 1 }),
        "id" | "report_id" => json!({ "type": "string", "format": "uuid" }),
        _ => s("string"),
    }
}

fn operation(o: &Op) -> Value {
    let params: Vec<Value> = o
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": param_schema(name) }))
        .collect();
    let problem = |d: &str| json!({ "description": d, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } });
    let mut responses = Map::new();
    responses.insert(
        o.ok.to_string(),
        json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } }),
    );
    if o.body.is_some() {
        responses.insert(
            "400".into(),
            problem(
                "Bad input: malformed JSON, unknown field, wrong type (`errors` names the field)",
            ),
        );
        responses.insert("413".into(), problem("Body over 1 MiB"));
        responses.insert("415".into(), problem("Not application/json"));
        responses.insert(
            "422".into(),
            problem("A domain rule refuses it (`code` says which)"),
        );
        responses.insert(
            "409".into(),
            problem("Concurrent change or If-Match did not hold"),
        );
    }
    if !matches!(o.who, Who::Public) {
        responses.insert("401".into(), problem("No, unknown or revoked token"));
        responses.insert("403".into(), problem("Not allowed for this caller"));
    }
    if o.path.contains('{') {
        responses.insert("404".into(), problem("Not found"));
    }
    if o.path == "/api/v1/public/survey" {
        responses.insert(
            "429".into(),
            json!({ "description": "Too many answers from this address", "headers": { "Retry-After": { "schema": { "type": "integer" } } },
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }),
        );
    }
    let mut v = json!({
        "summary": o.summary,
        "description": format!("Siapa: {}.", o.who.text()),
        "tags": [o.tag],
        "operationId": format!("{}_{}", o.method, o.path.trim_start_matches('/').replace(['/', '{', '}', '-', '.'], "_")),
        "parameters": params,
        "responses": responses,
    });
    v["security"] = if matches!(o.who, Who::Public) {
        json!([])
    } else {
        json!([{ "bearer": [] }])
    };
    if let Some(body) = &o.body {
        v["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": body } } });
    }
    if o.people {
        v["x-kinerja-owner"] = json!("api-people");
    }
    v
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for o in routes() {
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = operation(&o);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "kinerja",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Buku besar kinerja ASN Pemerintah Kota Lhokseumawe (event-sourced). JSON di bawah /api/v1; galat sebagai application/problem+json (RFC 9457) dengan `code` yang stabil dan `detail` dalam Bahasa Indonesia. Perintah menerima Idempotency-Key, If-Match (revisi aliran dari ETag) dan X-Client-Time.",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "Token akses `knj_…` dari `kinerja token issue`." }
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "code", "detail"],
                    "properties": {
                        "type": { "type": "string" },
                        "title": { "type": "string" },
                        "status": { "type": "integer" },
                        "code": { "type": "string", "description": "stable English code, e.g. AWARD_BASIS_INSUFFICIENT" },
                        "detail": { "type": "string", "description": "Bahasa Indonesia" },
                        "errors": { "type": "array", "items": { "type": "object", "required": ["field", "detail"], "properties": { "field": { "type": "string" }, "detail": { "type": "string" } } } }
                    }
                },
                "Period": { "type": "string", "enum": ["TW1", "TW2", "TW3", "TW4", "TAHUNAN"] },
                "Nip": { "type": "string", "pattern": "^[0-9]{18}$" }
            }
        }
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The document as one HTML page: a table of contents by tag and each operation with who may
/// call it and its request body schema.
pub fn render_html(doc: &Value) -> String {
    let mut h = String::from(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>kinerja API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}\
         .op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}\
         .m{display:inline-block;min-width:4rem;font-weight:bold;text-transform:uppercase}\
         .get{color:#07a}.post{color:#080}code{background:#f4f4f4;padding:0 .2rem}\
         pre{background:#f7f7f7;padding:.5rem;overflow:auto;font-size:.85rem}</style></head><body>",
    );
    let info = &doc["info"];
    let _ = write!(
        h,
        "<h1>{} {}</h1><p>{}</p><p>OpenAPI: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (versi {})</p>",
        esc(info["title"].as_str().unwrap_or("")),
        esc(info["version"].as_str().unwrap_or("")),
        esc(info["description"].as_str().unwrap_or("")),
        esc(doc["openapi"].as_str().unwrap_or("")),
    );
    let mut by_tag: std::collections::BTreeMap<String, Vec<(String, String, Value)>> =
        Default::default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, o) in item.as_object().into_iter().flatten() {
                let tag = o["tags"][0].as_str().unwrap_or("lain").to_string();
                by_tag
                    .entry(tag)
                    .or_default()
                    .push((method.clone(), path.clone(), o.clone()));
            }
        }
    }
    h.push_str("<nav><ul>");
    for tag in by_tag.keys() {
        let _ = write!(h, "<li><a href=\"#{0}\">{0}</a></li>", esc(tag));
    }
    h.push_str("</ul></nav>");
    for (tag, ops) in &by_tag {
        let _ = write!(h, "<h2 id=\"{0}\">{0}</h2>", esc(tag));
        for (method, path, o) in ops {
            let _ = write!(
                h,
                "<div class=\"op\"><span class=\"m {m}\">{m}</span> <code>{p}</code> — {s}<br><small>{d}</small>",
                m = esc(method),
                p = esc(path),
                s = esc(o["summary"].as_str().unwrap_or("")),
                d = esc(o["description"].as_str().unwrap_or("")),
            );
            let codes: Vec<&String> = o["responses"]
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            let _ = write!(
                h,
                "<br><small>Jawaban: {}</small>",
                esc(&codes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
            );
            if let Some(schema) =
                o["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
                let _ = write!(
                    h,
                    "<details><summary>Isi permintaan</summary><pre>{}</pre></details>",
                    esc(&pretty)
                );
            }
            h.push_str("</div>");
        }
    }
    let problem =
        serde_json::to_string_pretty(&doc["components"]["schemas"]["Problem"]).unwrap_or_default();
    let _ = write!(
        h,
        "<h2>Galat (problem+json)</h2><pre>{}</pre></body></html>",
        esc(&problem)
    );
    h
}
