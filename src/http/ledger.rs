//! `/api/v1/ledger`: what auditors need to check the log without trusting its operator — the
//! public key, signed tree heads (latest, at a size, all; signing one on request), inclusion
//! proofs and consistency proofs, each in a JSON form a third party checks with RFC 9162's
//! algorithms (`kinerja proof check`). The key and the latest head need no token.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::ledger::{self, LedgerError};
use crate::proofs::AuditDocument;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger/keys", get(get_keys))
        .route("/ledger/head", get(get_latest_head).post(sign_head_now))
        .route("/ledger/heads", get(list_heads))
        .route("/ledger/heads/{size}", get(get_head_at))
        .route("/ledger/proofs/inclusion", get(get_inclusion_proof))
        .route("/ledger/proofs/consistency", get(get_consistency_proof))
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(s) => s.into(),
            LedgerError::OutOfRange(detail) => Self::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "OUT_OF_RANGE",
                format!("Ukuran atau posisi di luar log: {detail}"),
            ),
            LedgerError::Proof(p) => {
                tracing::error!(error = %p, "proof could not be built");
                Self::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "PROOF_UNAVAILABLE",
                    "Bukti tidak dapat dibuat dari pohon Merkle yang tersimpan. Jalankan kinerja verify.",
                )
            }
        }
    }
}

async fn get_keys(State(state): State<AppState>) -> Json<Value> {
    let keys: Vec<Value> = state
        .signing_key
        .iter()
        .map(|k| {
            let public = k.public_key();
            json!({
                "key_id": public.key_id(),
                "algorithm": "ed25519",
                "public_key": public.to_text().trim(),
                "public_key_hex": public.to_hex(),
            })
        })
        .collect();
    Json(json!({ "keys": keys }))
}

async fn get_latest_head(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let head = state
        .app
        .store
        .latest_tree_head()
        .await
        .map_err(ApiError::from)?;
    match head {
        Some(head) => Ok(Json(json!(head))),
        None => Err(ApiError::not_found("Kepala pohon bertanda tangan")),
    }
}

async fn sign_head_now(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require_reader(false)?;
    let Some(key) = &state.signing_key else {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "NO_SIGNING_KEY",
            "Layanan ini berjalan tanpa kunci penandatangan.",
        ));
    };
    let head = ledger::sign_head(state.app.store.as_ref(), key, chrono::Utc::now()).await?;
    Ok(Json(json!(head)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadsQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

async fn list_heads(
    State(state): State<AppState>,
    Query(q): Query<HeadsQuery>,
) -> Result<Json<Value>, ApiError> {
    let heads = state
        .app
        .store
        .tree_heads(q.from.unwrap_or(0), q.limit.unwrap_or(100).clamp(1, 1000))
        .await
        .map_err(ApiError::from)?;
    Ok(Json(json!({ "heads": heads })))
}

async fn get_head_at(
    State(state): State<AppState>,
    Path(size): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    match ledger::head_at(state.app.store.as_ref(), size).await? {
        Some(head) => Ok(Json(json!(head))),
        None => Err(ApiError::not_found("Kepala pohon pada ukuran ini")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    /// Position of the event in `$all` (1-based).
    position: u64,
    /// Size of the tree; default: the latest signed head's size, else the log's size.
    tree_size: Option<u64>,
}

async fn default_size(state: &AppState) -> Result<u64, ApiError> {
    let store = state.app.store.as_ref();
    match store.latest_tree_head().await.map_err(ApiError::from)? {
        Some(h) => Ok(h.tree_size),
        None => Ok(store.head().await.map_err(ApiError::from)?.position),
    }
}

async fn get_inclusion_proof(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require_reader(true)?;
    let size = match q.tree_size {
        Some(s) => s,
        None => default_size(&state).await?,
    };
    let store = state.app.store.as_ref();
    let proof = ledger::inclusion_proof(store, q.position, size).await?;
    // With a signed head at that size the answer is a complete AuditDocument.
    Ok(Json(match ledger::head_at(store, size).await? {
        Some(head) => json!(AuditDocument::Inclusion { proof, head }),
        None => json!({ "kind": "inclusion", "proof": proof, "head": null }),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    first: u64,
    second: Option<u64>,
}

async fn get_consistency_proof(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require_reader(true)?;
    let second = match q.second {
        Some(s) => s,
        None => default_size(&state).await?,
    };
    let store = state.app.store.as_ref();
    let proof = ledger::consistency_proof(store, q.first, second).await?;
    let first_head = ledger::head_at(store, q.first).await?;
    let second_head = ledger::head_at(store, second).await?;
    Ok(Json(match (first_head, second_head) {
        (Some(first_head), Some(second_head)) => json!(AuditDocument::Consistency {
            proof,
            first_head,
            second_head,
        }),
        (first_head, second_head) => json!({
            "kind": "consistency", "proof": proof,
            "first_head": first_head, "second_head": second_head,
        }),
    }))
}
