//! A fresh database per test, the service's state over it, tokens, and a small client that sends
//! requests through the router in process.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::Datelike;
use http_body_util::BodyExt;
use kinerja::app::access::TokenRegistry;
use kinerja::app::{App, Meta};
use kinerja::domain::Nip;
use kinerja::domain::access::{StaffRole, Subject};
use kinerja::http::AppState;
use serde_json::{Value, json};
use sqlx::Connection;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct Env {
    /// The database URL (for tests that open a second instance).
    #[allow(dead_code)]
    pub url: String,
    pub state: AppState,
    _dir: Option<tempfile::TempDir>,
}

/// The officers of the test organisation.
pub const ME: &str = "198503142010011002";
pub const BOSS: &str = "197001011995031001";
pub const BIG: &str = "196501011990031003";
pub const OTHER: &str = "199001012019032001";
pub const UNIT: &str = "DISKOMINFO";

pub fn hash() -> String {
    "ab".repeat(32)
}

async fn fresh_postgres_url() -> Option<String> {
    let admin = std::env::var("KINERJA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("KINERJA_TEST_POSTGRES").as_deref() == Ok("skip") {
                eprintln!("SKIPPED: PostgreSQL test, server not reachable at {admin}: {e}");
                return None;
            }
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}); set KINERJA_TEST_POSTGRES=skip to skip"
            );
        }
    };
    let db = format!("kinerja_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {db}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{db}"))
}

/// An answer: status, headers, JSON body (Null when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
    /// Assert the status, with the body in the message.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self
    }
    /// Assert a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/problem+json"
        );
        self
    }
}

/// The tokens of the test organisation (see [`Env::world`]).
pub struct World {
    pub admin: String,
    pub auditor: String,
    pub me: String,
    pub boss: String,
    pub big: String,
    pub other: String,
    /// The year the test plans are for (last year: every quarter has begun).
    pub year: i32,
}

impl Env {
    pub async fn new(kind: Kind) -> Option<Self> {
        let (url, dir) = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    format!("sqlite://{}/kinerja.db", dir.path().display()),
                    Some(dir),
                )
            }
            Kind::Postgres => (fresh_postgres_url().await?, None),
        };
        let store = kinerja::store::open(&url, Default::default())
            .await
            .expect("open store");
        let app = App::new(store.clone());
        let tokens = TokenRegistry::load(store.as_ref()).await.expect("tokens");
        let state = AppState::new(app, tokens, None, None);
        Some(Self {
            url,
            state,
            _dir: dir,
        })
    }

    pub fn app(&self) -> &App {
        &self.state.app
    }

    /// The global log head.
    pub async fn head(&self) -> u64 {
        self.state.app.store.head().await.unwrap().position
    }

    pub async fn token(&self, subject: Subject) -> String {
        self.state
            .app
            .issue_token(subject, &Meta::default())
            .await
            .expect("issue token")
            .0
    }

    pub async fn officer_token(&self, nip: &str) -> String {
        self.token(Subject::Officer {
            nip: Nip::parse(nip).unwrap(),
        })
        .await
    }

    /// Send a request; `headers` are extra (name, value) pairs.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.unwrap_or_else(Body::empty)).unwrap();
        let response = kinerja::http::router(self.state.clone())
            .oneshot(req)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert!(
            status.as_u16() < 500,
            "server error {status} for {path}: {body}"
        );
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.post_with(path, token, body, &[]).await
    }

    pub async fn post_with(
        &self,
        path: &str,
        token: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(Body::from(body.to_string())),
            &h,
        )
        .await
    }

    /// POST raw bytes as JSON.
    pub async fn post_raw(&self, path: &str, token: &str, raw: &str) -> Answer {
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(Body::from(raw.to_string())),
            &[("content-type", "application/json")],
        )
        .await
    }

    /// POST without a token, from a client address (the public survey).
    pub async fn public_post(&self, path: &str, body: Value) -> Answer {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1{path}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let addr: std::net::SocketAddr = "192.0.2.7:40000".parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        let response = kinerja::http::router(self.state.clone())
            .oneshot(req)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    /// Units PEMKO > DISKOMINFO; officers ME and OTHER (pelaksana), BOSS (their appraiser) and
    /// BIG (the atasan, head of PEMKO); appraisers assigned from 1 January of last year.
    pub async fn world(&self) -> World {
        let admin = self
            .token(Subject::Staff {
                role: StaffRole::Admin,
                name: "admin bkpsdm".into(),
            })
            .await;
        let auditor = self
            .token(Subject::Staff {
                role: StaffRole::Auditor,
                name: "inspektorat".into(),
            })
            .await;
        let year = chrono::Utc::now().year() - 1;
        self.post(
            "/units",
            &admin,
            json!({"code": "PEMKO", "name": "Pemerintah Kota Lhokseumawe", "kind": "PEMKO"}),
        )
        .await
        .expect(201);
        self.post(
            "/units",
            &admin,
            json!({"code": UNIT, "name": "Dinas Komunikasi dan Informatika", "kind": "DINAS", "parent": "PEMKO"}),
        )
        .await
        .expect(201);
        for (nip, name, kind) in [
            (BIG, "Drs. Kepala Besar", json!({"kind": "JPT"})),
            (BOSS, "Ir. Kepala Bidang", json!({"kind": "ADMINISTRATOR"})),
            (ME, "Cut Nyak Pegawai, S.Kom.", json!({"kind": "PELAKSANA"})),
            (
                OTHER,
                "Teuku Lain, S.T.",
                json!({"kind": "FUNGSIONAL", "level": "AHLI_PERTAMA"}),
            ),
        ] {
            let unit = if nip == BIG { "PEMKO" } else { UNIT };
            self.post(
                "/officers",
                &admin,
                json!({
                    "nip": nip, "name": name, "golongan": "Penata, III/c", "employment": "PNS",
                    "post": {"unit": unit, "position": "Jabatan uji", "kind": kind},
                }),
            )
            .await
            .expect(201);
        }
        self.post(
            "/units/PEMKO/head",
            &admin,
            json!({"nip": BIG, "effective_from": format!("{year}-01-01")}),
        )
        .await
        .expect(200);
        for nip in [ME, OTHER] {
            self.post(
                &format!("/officers/{nip}/appraisers"),
                &admin,
                json!({"penilai": BOSS, "atasan": BIG, "from": format!("{year}-01-01")}),
            )
            .await
            .expect(200);
        }
        World {
            admin,
            auditor,
            me: self.officer_token(ME).await,
            boss: self.officer_token(BOSS).await,
            big: self.officer_token(BIG).await,
            other: self.officer_token(OTHER).await,
            year,
        }
    }

    /// ME's plan for `year` drafted with one main result (indicator target 4 Aplikasi),
    /// submitted and approved by BOSS. Returns the indicator id.
    pub async fn approved_plan(&self, w: &World, year: i32) -> String {
        let base = format!("/officers/{ME}/plans/{year}");
        self.post(&base, &w.me, json!({"approach": "KUANTITATIF"}))
            .await
            .expect(201);
        let indicator = uuid::Uuid::now_v7().to_string();
        self.post(
            &format!("{base}/results"),
            &w.me,
            json!({
                "jenis": "UTAMA",
                "text": "Tersedianya layanan aplikasi",
                "superior_result": "Meningkatnya layanan digital",
                "indicators": [{
                    "id": indicator, "text": "Jumlah aplikasi yang dikembangkan",
                    "aspek": "KUANTITAS", "target": {"value": 4, "unit": "Aplikasi"},
                }],
            }),
        )
        .await
        .expect(200);
        self.post(&format!("{base}/submit"), &w.me, json!({}))
            .await
            .expect(200);
        self.post(&format!("{base}/approve"), &w.boss, json!({}))
            .await
            .expect(200);
        indicator
    }

    /// A report body for ME's indicator.
    pub fn report(indicator: &str, period: &str, value: Value) -> Value {
        json!({
            "indicator_id": indicator, "period": period,
            "realised": {"value": value, "unit": "Aplikasi"},
            "evidence": [{"uri": "https://files.lhokseumawekota.go.id/bukti/1.pdf", "sha256": hash(), "media_type": "application/pdf"}],
            "note": "Aplikasi layanan perizinan",
        })
    }
}
