//! The API's one error shape: RFC 9457 problem details (`application/problem+json`) with a
//! stable English `code`, a `detail` in Bahasa Indonesia an officer can act on, and for
//! validation errors the failing fields. Also [`AppJson`], the JSON extractor whose rejections
//! use that shape.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::app::AppError;
use crate::domain::DomainError;
use crate::store::StoreError;

/// One failing field of a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field (`indicators[0].target`), or the parameter name.
    pub field: String,
    /// What is wrong, in Bahasa Indonesia.
    pub detail: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extra members of the problem object (e.g. expected and actual revision).
    pub extra: Map<String, Value>,
    /// Seconds for a Retry-After header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// 400 with one failing field.
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            format!("Isian tidak valid: {detail}"),
        );
        e.errors.push(FieldError {
            field: field.into(),
            detail,
        });
        e
    }

    /// 401: no token, or a token that is unknown or revoked.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Token akses tidak ada, tidak dikenal, atau sudah dicabut. Masuk kembali dengan token yang berlaku.",
        )
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", detail)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} tidak ditemukan. Periksa kembali alamat atau kode yang dipakai."),
        )
    }

    /// Add an extra member to the problem object.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }
}

/// HTTP status of a domain rejection: who-may-do-what rules are 403, missing things 404, the rest
/// 422 (the request was understood but a rule refuses it).
fn domain_status(e: &DomainError) -> StatusCode {
    match e.code() {
        "NOT_ASSIGNED_APPRAISER"
        | "NOT_ATASAN_PENILAI"
        | "NOT_OWN_RECORD"
        | "NOT_PARENT_UNIT_HEAD"
        | "ROLE_NOT_ALLOWED" => StatusCode::FORBIDDEN,
        "UNIT_NOT_REGISTERED"
        | "OFFICER_NOT_REGISTERED"
        | "NOT_FOUND"
        | "PLAN_NOT_DRAFTED"
        | "TRAINING_NOT_ANNOUNCED" => StatusCode::NOT_FOUND,
        "UNKNOWN_EVENT_TYPE" | "UNSUPPORTED_SCHEMA_VERSION" | "EVENT_DECODE" => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = domain_status(&e);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, code = e.code(), "stored event could not be decoded");
            return internal();
        }
        Self::new(status, e.code(), e.to_string())
    }
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "Terjadi kesalahan pada server. Tidak ada data yang berubah karena permintaan ini; coba lagi nanti atau hubungi admin BKPSDM.",
    )
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongExpectedVersion {
                stream_id,
                expected,
                actual,
            } => conflict(&stream_id, expected, actual),
            StoreError::InvalidStreamId { reason, .. } => Self::invalid_field("id", reason),
            StoreError::InvalidEvent { reason } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_EVENT", reason)
            }
            StoreError::DuplicateEventId { .. } => Self::new(
                StatusCode::CONFLICT,
                "DUPLICATE_EVENT_ID",
                "Data ini sudah tercatat dengan isi yang berbeda.",
            ),
            StoreError::NotCommitted(reason) => {
                tracing::warn!(%reason, "append not committed");
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "NOT_SAVED",
                    "Data belum tersimpan karena gangguan basis data. Tidak ada yang berubah; silakan kirim ulang.",
                );
                e.retry_after = Some(1);
                e
            }
            StoreError::CommitUnknown(reason) => {
                tracing::error!(%reason, "append outcome unknown");
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SAVE_OUTCOME_UNKNOWN",
                    "Status penyimpanan tidak diketahui karena gangguan basis data. Periksa riwayat sebelum mengirim ulang, atau kirim ulang dengan Idempotency-Key yang sama.",
                );
                e.retry_after = Some(1);
                e
            }
            StoreError::ShuttingDown => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SHUTTING_DOWN",
                    "Layanan sedang dihentikan untuk pemeliharaan. Silakan kirim ulang sebentar lagi.",
                );
                e.retry_after = Some(5);
                e
            }
            other => {
                tracing::error!(error = %other, "store failure");
                internal()
            }
        }
    }
}

fn conflict(
    stream_id: &str,
    expected: crate::store::ExpectedRevision,
    actual: Option<u64>,
) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "CONFLICT",
        "Data ini baru saja diubah oleh orang lain. Muat ulang untuk melihat versi terbaru, lalu ulangi.",
    )
    .with("stream_id", json!(stream_id))
    .with("expected_revision", json!(expected))
    .with("actual_revision", json!(actual))
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(d) => d.into(),
            AppError::Conflict {
                stream_id,
                expected,
                actual,
            } => conflict(&stream_id, expected, actual),
            AppError::NotFound(what) => Self::not_found(&what),
            AppError::Forbidden(why) => Self::forbidden(why),
            AppError::Invalid { field, detail } => Self::invalid_field(field, detail),
            AppError::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("type".into(), json!("about:blank"));
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("code".into(), json!(self.code));
        body.insert("detail".into(), json!(self.detail));
        if !self.errors.is_empty() {
            body.insert("errors".into(), json!(self.errors));
        }
        for (k, v) in self.extra {
            body.insert(k, v);
        }
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// `Json<T>` whose rejections are problem+json: malformed JSON, wrong types, unknown or missing
/// fields → 400 with the failing field; a body over the limit → 413; a wrong content type → 415.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(AppJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            status,
            "PAYLOAD_TOO_LARGE",
            "Isi permintaan melebihi 1 MiB. Berkas bukti tidak diunggah: kirim tautan (URI) dan SHA-256-nya saja.",
        );
    }
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Kirim data sebagai JSON dengan header Content-Type: application/json.",
        ),
        JsonRejection::JsonDataError(e) => {
            // "Failed to deserialize the JSON body into the target type: path: message"
            let text = e.body_text();
            let inner = text
                .split_once("target type: ")
                .map_or(text.as_str(), |(_, t)| t);
            let (field, detail) = match inner.split_once(": ") {
                Some((path, msg)) if !path.contains(' ') => (path.to_string(), msg.to_string()),
                _ => (String::from("(body)"), inner.to_string()),
            };
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_BODY",
                format!("Isian tidak sesuai format: {detail}. Periksa kolom {field}."),
            );
            err.errors.push(FieldError { field, detail });
            err
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
            format!("JSON tidak dapat dibaca: {}", e.body_text()),
        ),
        other => ApiError::new(
            other.status(),
            "BAD_REQUEST",
            format!("Permintaan tidak dapat dibaca: {}", other.body_text()),
        ),
    }
}
