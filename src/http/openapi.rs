//! OpenAPI placeholder.
use super::AppState;
use axum::Router;
pub fn router() -> Router<AppState> {
    Router::new()
}
pub fn docs_router() -> Router<AppState> {
    Router::new()
}
