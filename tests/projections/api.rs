//! In-process HTTP helpers: an [`AppState`] with a projector over a test backend, tokens for
//! staff and officers, and GET requests through `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kinerja::app::access::TokenRegistry;
use kinerja::app::{App, Meta};
use kinerja::domain::Nip;
use kinerja::domain::access::{StaffRole, Subject};
use kinerja::http::AppState;
use kinerja::projections::Projector;
use tower::ServiceExt;

use crate::fixture::Backend;

pub struct Api {
    pub state: AppState,
    pub projector: Arc<Projector>,
    pub admin: String,
    pub auditor: String,
}

impl Api {
    /// A state over `b` with a projector (not running; call [`Api::catch_up`] or [`Api::run`]).
    pub async fn new(b: &Backend) -> Self {
        Self::with_page(b, None, None).await
    }

    /// [`Api::new`] whose projector reads (and commits) `page` events at a time when given,
    /// and whose changes carry at most `carried_rows` rows when given.
    pub async fn with_page(b: &Backend, page: Option<usize>, carried_rows: Option<usize>) -> Self {
        let app = App::new(b.store.clone());
        let staff = |role, name: &str| Subject::Staff {
            role,
            name: name.into(),
        };
        let (admin, ..) = app
            .issue_token(staff(StaffRole::Admin, "bkpsdm"), &Meta::default())
            .await
            .unwrap();
        let (auditor, ..) = app
            .issue_token(staff(StaffRole::Auditor, "inspektorat"), &Meta::default())
            .await
            .unwrap();
        let tokens = TokenRegistry::load(b.store.as_ref()).await.unwrap();
        let mut projector = b.projector().await;
        // Generous for a loaded CI machine; the two 503 checks wait it out in full.
        projector.wait_limit = Duration::from_secs(2);
        if let Some(page) = page {
            projector.page = page;
        }
        if let Some(rows) = carried_rows {
            projector.carried_rows = rows;
        }
        let projector = Arc::new(projector);
        let state = AppState::new(app, tokens, None, Some(projector.clone()));
        Self {
            state,
            projector,
            admin,
            auditor,
        }
    }

    /// A token for an officer.
    pub async fn officer(&self, nip: &Nip) -> String {
        let (token, ..) = self
            .state
            .app
            .issue_token(Subject::Officer { nip: nip.clone() }, &Meta::default())
            .await
            .unwrap();
        token
    }

    pub async fn catch_up(&self) {
        self.projector.catch_up(|_| {}).await.unwrap();
    }

    /// Run the projector until the returned sender is dropped or fired.
    pub fn run(
        &self,
    ) -> (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(self.projector.clone().run(async {
            let _ = stopped.await;
        }));
        (stop, run)
    }

    pub fn router(&self) -> Router {
        kinerja::http::router(self.state.clone())
    }

    /// GET `path` with an optional bearer token and extra headers.
    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::get(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.get_with(path, token, &[]).await
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn position(&self) -> Option<u64> {
        self.headers
            .get("kinerja-position")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.text());
        self
    }
}

/// A Server-Sent Events stream read from a response body.
pub struct Sse {
    body: axum::body::Body,
    buf: String,
}

/// One SSE event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub event: String,
    pub data: serde_json::Value,
}

impl Api {
    /// Open `GET path` as an event stream.
    pub async fn sse(&self, path: &str, token: &str, last_event_id: Option<u64>) -> Sse {
        let mut req = Request::get(path).header("authorization", format!("Bearer {token}"));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = self
            .router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Sse {
            body: resp.into_body(),
            buf: String::new(),
        }
    }
}

impl Sse {
    /// The next event (keep-alive comments skipped), at most `timeout` away.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some(SseEvent {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(bytes) = frame.unwrap().into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    /// The next event that satisfies `pred`, skipping others.
    pub async fn until(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&SseEvent) -> bool,
    ) -> Option<SseEvent> {
        let mut found = self.until_each(timeout, &[&pred]).await?;
        found.pop()
    }

    /// For each of `preds`, the first event that satisfies it, reading until every one has been
    /// seen (`None` when the time runs out first). The documents of one event are each as of at
    /// least its position, so two that change in one commit may arrive in different events.
    pub async fn until_each(
        &mut self,
        timeout: Duration,
        preds: &[&dyn Fn(&SseEvent) -> bool],
    ) -> Option<Vec<SseEvent>> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut found: Vec<Option<SseEvent>> = vec![None; preds.len()];
        while found.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let e = self.next(left).await?;
            for (slot, pred) in found.iter_mut().zip(preds) {
                if slot.is_none() && pred(&e) {
                    *slot = Some(e.clone());
                }
            }
        }
        found.into_iter().collect()
    }
}
