//! The HTTP service: JSON under `/api/v1`, errors as problem+json, bearer-token access. Handlers
//! stay thin: extract, build the command, run the use case, map the result.
//!
//! # Layout
//!
//! - this file: [`AppState`], [`Application`] (build, port, run until stopped), the router,
//!   health and readiness, the auditor's raw stream view;
//! - [`error`]: [`error::ApiError`] (RFC 9457) and the [`error::AppJson`] extractor;
//! - [`auth`]: [`auth::Caller`] and [`auth::Ctx`] extractors;
//! - [`memory`]: returning the allocator's free memory to the system;
//! - one module per resource, each with `pub fn router() -> Router<AppState>`.

pub mod auth;
pub mod awards;
pub mod error;
pub mod ledger;
pub mod memory;
pub mod officers;
pub mod openapi;
pub mod plans;
pub mod projections;
pub mod survey;
pub mod trainings;
pub mod units;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::app::access::TokenRegistry;
use crate::ledger::SignerSettings;
use crate::proofs::SigningKey;
use crate::store::{Direction, ReadFrom, StreamId};
use auth::Caller;
use error::ApiError;

/// Largest accepted request body: 1 MiB (evidence is referenced by URI and SHA-256).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub tokens: Arc<TokenRegistry>,
    /// The key that signs tree heads (its public half is served to auditors).
    pub signing_key: Option<Arc<SigningKey>>,
    /// The read models' projector (`None` where this service runs none).
    pub projector: Option<Arc<crate::projections::Projector>>,
    /// The unit dashboards' inputs, kept up to date from the projector's change feed.
    pub dashboards: Option<Arc<crate::projections::dashboard::cache::DashboardCache>>,
}

impl AppState {
    /// The state over a use-case layer, a token registry, an optional signing key and an
    /// optional projector (with it, the dashboard cache that follows it).
    pub fn new(
        app: App,
        tokens: Arc<TokenRegistry>,
        signing_key: Option<Arc<SigningKey>>,
        projector: Option<Arc<crate::projections::Projector>>,
    ) -> Self {
        let dashboards = projector.as_ref().map(|p| {
            Arc::new(crate::projections::dashboard::cache::DashboardCache::new(
                p.clone(),
            ))
        });
        Self {
            app,
            tokens,
            signing_key,
            projector,
            dashboards,
        }
    }
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/streams/{stream_id}", get(get_stream))
        .merge(units::router())
        .merge(officers::router())
        .merge(plans::router())
        .merge(ledger::router())
        .merge(awards::router())
        .merge(trainings::router())
        .merge(survey::router())
        .merge(openapi::router())
        .merge(projections::router());
    Router::new()
        .route("/healthz", get(healthz))
        .merge(projections::root_router())
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
        .merge(openapi::docs_router())
        .merge(crate::web::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("Alamat ini")
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.store.head().await {
        Ok(head) => {
            let projector = match &state.projector {
                Some(p) => match p.lag().await {
                    Ok(lag) => json!({
                        "position": lag.position,
                        "lag_events": lag.events,
                        "lag_seconds": lag.seconds,
                    }),
                    Err(e) => json!({ "error": e.to_string() }),
                },
                None => serde_json::Value::Null,
            };
            Json(json!({ "status": "ready", "position": head.position, "projector": projector }))
                .into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": e.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    /// First revision to return.
    from: Option<u64>,
    /// At most this many events (default 1000, at most 10000).
    limit: Option<usize>,
}

/// Every event of a stream with its full envelope (auditors and admins). ETag: the revision.
async fn get_stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(stream_id): Path<String>,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let stream = StreamId::parse(stream_id).map_err(ApiError::from)?;
    let from = q.from.map_or(ReadFrom::Start, ReadFrom::Revision);
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let events = state
        .app
        .store
        .read_stream(&stream, from, Direction::Forwards, limit)
        .await
        .map_err(ApiError::from)?;
    let revision = state
        .app
        .store
        .stream_revision(&stream)
        .await
        .map_err(ApiError::from)?;
    let Some(revision) = revision else {
        return Err(ApiError::not_found("Aliran (stream) ini"));
    };
    // Data and metadata as JSON objects: their canonical text (which the hash covers: the same
    // JSON with sorted keys and no whitespace) is written into the answer as it is stored.
    let mut body = String::with_capacity(
        64 + events
            .iter()
            .map(|e| e.data.len() + e.metadata.len() + 400)
            .sum::<usize>(),
    );
    body.push_str(&json!({ "stream_id": stream.as_str(), "revision": revision }).to_string());
    body.pop();
    body.push_str(",\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        event_json(&mut body, e);
    }
    body.push_str("]}");
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    response = with_etag(response, revision);
    Ok(response)
}

/// One recorded event as a JSON object onto `out`: the envelope's fields, with `data` and
/// `metadata` as JSON objects (their stored canonical text).
fn event_json(out: &mut String, e: &crate::store::RecordedEvent) {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        event_id: &'a uuid::Uuid,
        event_type: &'a str,
        hash: String,
        position: u64,
        recorded_at: &'a chrono::DateTime<chrono::Utc>,
        revision: u64,
        schema_version: u32,
        stream_id: &'a str,
    }
    let objects = e.data.starts_with('{') && e.metadata.starts_with('{');
    let envelope = serde_json::to_string(&Envelope {
        event_id: &e.event_id,
        event_type: &e.event_type,
        hash: hex::encode(e.hash),
        position: e.position,
        recorded_at: &e.recorded_at,
        revision: e.revision,
        schema_version: e.schema_version,
        stream_id: &e.stream_id,
    });
    match envelope {
        Ok(envelope) if objects => {
            out.push_str("{\"data\":");
            out.push_str(&e.data);
            out.push_str(",\"metadata\":");
            out.push_str(&e.metadata);
            out.push(',');
            out.push_str(envelope.get(1..).unwrap_or("}"));
        }
        _ => {
            let mut v = json!(e);
            v["data"] = e.data_json();
            v["metadata"] = e.metadata_json();
            out.push_str(&v.to_string());
        }
    }
}

/// Set the ETag of a response to a stream revision.
pub fn with_etag(mut response: Response, revision: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// What `kinerja serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub database_url: String,
    /// SQLite only: the file of the read models (default: next to the log, see
    /// [`crate::projections::db::read_url_for`]).
    pub read_database_url: Option<String>,
    pub signing_key: Option<SigningKey>,
    pub signer: SignerSettings,
}

/// A built service: bound to its port, not yet serving.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    signer: SignerSettings,
    follower: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Open the store, load the token registry and bind the listener (port 0 picks a free one).
    pub async fn build(options: ServeOptions) -> anyhow::Result<Self> {
        let store = crate::store::open(&options.database_url, Default::default()).await?;
        Self::with_store(store, options).await
    }

    /// Build over an already open store (tests).
    pub async fn with_store(
        store: Arc<dyn crate::store::EventStore>,
        options: ServeOptions,
    ) -> anyhow::Result<Self> {
        let app = App::new(store.clone());
        let tokens = TokenRegistry::load(store.as_ref()).await?;
        let follower = tokens.follow(store.clone());
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        // The read models: on SQLite a file of their own next to the log, on PostgreSQL the same
        // database; a backend without SQL runs no projector.
        let read_db = crate::projections::ReadDb::open_with(
            &options.database_url,
            options.read_database_url.as_deref(),
        );
        let projector = match read_db.await {
            Ok(db) => Some(Arc::new(
                crate::projections::Projector::new(db, store.clone()).await?,
            )),
            Err(crate::projections::ProjectionError::Invalid(why)) => {
                tracing::warn!(%why, "no read models for this database");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let state = AppState::new(app, tokens, options.signing_key.map(Arc::new), projector);
        Ok(Self {
            listener,
            state,
            signer: options.signer,
            follower,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state handlers see (tests use it to reach the store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` resolves; then finish in-flight requests, let the writer drain,
    /// sign a last tree head and stop.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let store = self.state.app.store.clone();
        let signer = self.state.signing_key.clone().map(|key| {
            let mut stop = stop_rx.clone();
            tokio::spawn(crate::ledger::run_signer(
                store.clone(),
                (*key).clone(),
                self.signer.clone(),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            ))
        });
        let projector = self.state.projector.clone().map(|p| {
            let mut stop = stop_rx.clone();
            tokio::spawn(p.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        });
        // Once the read models have caught up, load this year's and last year's dashboard
        // inputs, so that the first dashboards do not wait for them.
        if let (Some(p), Some(cache)) =
            (self.state.projector.clone(), self.state.dashboards.clone())
        {
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    match p.lag().await {
                        Ok(lag) if lag.events == 0 => break,
                        _ => {}
                    }
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => return,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
                let year = chrono::Datelike::year(&chrono::Utc::now());
                if let Err(e) = cache.warm(&[year - 1, year]).await {
                    tracing::warn!(error = %e, "warming the dashboard cache failed");
                }
            });
        }
        let trimmer = {
            let mut stop = stop_rx.clone();
            tokio::spawn(memory::trim_periodically(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        };
        let app = router(self.state.clone());
        let serve = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown);
        let result = serve.await;
        tracing::info!("HTTP server stopped; draining the writer");
        store.shutdown().await;
        let _ = stop_tx.send(true);
        if let Some(signer) = signer {
            let _ = tokio::time::timeout(Duration::from_secs(10), signer).await;
        }
        if let Some(projector) = projector {
            let _ = tokio::time::timeout(Duration::from_secs(10), projector).await;
        }
        self.follower.abort();
        trimmer.abort();
        result.map_err(Into::into)
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
