//! A service over a fresh database, tokens for the usual callers, and request helpers.
//!
//! PostgreSQL tests use `KINERJA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create a database per test. When the server
//! cannot be reached they fail, unless `KINERJA_TEST_POSTGRES=skip` is set, in which case they say
//! plainly on stderr that they were skipped.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use kinerja::app::{App, Meta, stream};
use kinerja::domain::access::{StaffRole, Subject};
use kinerja::domain::{DomainEvent, Nip};
use kinerja::http::AppState;
use kinerja::store::EventStore;
use serde_json::Value;
use sqlx::Connection;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Officer NIPs used by the tests.
pub const ME: &str = "198503142010011002";
pub const OTHER: &str = "199001012015032001";

pub fn nip(s: &str) -> Nip {
    Nip::parse(s).unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
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
                "PostgreSQL is not reachable at {admin} ({e}). Start it, point \
                 KINERJA_TEST_POSTGRES_URL at one, or set KINERJA_TEST_POSTGRES=skip to skip"
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
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub admin: String,
    pub auditor: String,
    pub me: String,
    pub other: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub async fn new(kind: Kind) -> Option<Self> {
        let (url, dir) = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (
                    format!("sqlite://{}/kinerja.db", dir.path().display()),
                    Some(dir),
                )
            }
            Kind::Postgres => (fresh_postgres_url().await?, None),
        };
        let store = kinerja::store::open(&url, Default::default())
            .await
            .unwrap();
        let app = App::new(store.clone());
        let meta = Meta::default();
        let issue = |subject: Subject| {
            let app = app.clone();
            let meta = meta.clone();
            async move { app.issue_token(subject, &meta).await.unwrap().0 }
        };
        let admin = issue(Subject::Staff {
            role: StaffRole::Admin,
            name: "bkpsdm".into(),
        })
        .await;
        let auditor = issue(Subject::Staff {
            role: StaffRole::Auditor,
            name: "inspektorat".into(),
        })
        .await;
        let me = issue(Subject::Officer { nip: nip(ME) }).await;
        let other = issue(Subject::Officer { nip: nip(OTHER) }).await;
        let tokens = kinerja::app::access::TokenRegistry::load(store.as_ref())
            .await
            .unwrap();
        let state = AppState::new(app, tokens, None, None);
        let router = kinerja::http::router(state.clone());
        Some(Self {
            state,
            router,
            admin,
            auditor,
            me,
            other,
            _dir: dir,
        })
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.state.app.store
    }

    pub async fn head(&self) -> u64 {
        self.store().head().await.unwrap().position
    }

    /// Send a request; `body` is sent as is (`None`: no body).
    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
        addr: Option<SocketAddr>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let mut req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        if let Some(addr) = addr {
            req.extensions_mut().insert(ConnectInfo(addr));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.raw(Method::GET, uri, Some(token), None, None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.raw(Method::POST, uri, Some(token), Some(body.to_string()), None)
            .await
    }

    /// Append events to a stream as if commands had decided them (test set-up).
    pub async fn given<E: DomainEvent>(&self, stream_id: String, events: Vec<E>) {
        let s = stream(stream_id).unwrap();
        let meta = Meta::default();
        self.state
            .app
            .execute::<E>(&s, &meta, Utc::now(), |_| Ok(events.clone()))
            .await
            .unwrap();
    }

    /// Register a unit through the API.
    pub async fn unit(&self, code: &str) {
        let r = self
            .post(
                "/api/v1/units",
                &self.admin,
                serde_json::json!({ "code": code, "name": format!("Dinas {code}"), "kind": "DINAS", "parent": null }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    /// Register an officer (set-up through the domain events).
    pub async fn officer(&self, nip_text: &str) {
        use kinerja::domain::officer::{self, OfficerEvent, Post};
        use kinerja::domain::values::{EmploymentType, PositionKind};
        let n = nip(nip_text);
        self.given(
            officer::stream_id(&n),
            vec![OfficerEvent::OfficerRegistered {
                nip: n,
                name: "Teuku Ahmad, S.Kom.".into(),
                golongan: "Penata, III/c".into(),
                employment: EmploymentType::Pns,
                post: Post {
                    unit: kinerja::domain::UnitCode::parse("DISKOMINFO").unwrap(),
                    position: "Pranata Komputer".into(),
                    kind: PositionKind::Pelaksana,
                },
                at: at("2025-01-02T00:00:00Z"),
            }],
        )
        .await;
    }
}

/// Run a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = $crate::harness::TestApp::new($crate::harness::Kind::Sqlite)
                    .await
                    .unwrap();
                super::$name(t).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(t) =
                    $crate::harness::TestApp::new($crate::harness::Kind::Postgres).await
                {
                    super::$name(t).await;
                }
            }
        }
    };
}
