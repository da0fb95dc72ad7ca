//! API errors: one JSON shape, one status per cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use basalt_core::wire::ErrorAnswer;

use crate::auth::Refusal;
use crate::chain::ChainError;
use crate::store::StoreError;

/// An error answered to the caller.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such shard on this node",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorAnswer {
            error: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let status = match &r {
            Refusal::Auth(_) => StatusCode::UNAUTHORIZED,
            Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, r.code(), r.to_string())
    }
}

impl From<ChainError> for ApiError {
    fn from(e: ChainError) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "chain_unavailable",
            format!("{e}; access to registered blobs cannot be decided until it answers"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let (status, code) = match &e {
            StoreError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_shard"),
            StoreError::Full { .. } => (StatusCode::INSUFFICIENT_STORAGE, "full"),
            StoreError::Conflict => (StatusCode::CONFLICT, "conflict"),
            StoreError::Manifest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest"),
            StoreError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "corrupt"),
            StoreError::OutOfRange(_) => (StatusCode::NOT_FOUND, "out_of_range"),
            // Only opening a store reports this; a request never sees it.
            StoreError::Engine(_) | StoreError::DirectIoUnsupported { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "storage_engine")
            }
        };
        Self::new(status, code, e.to_string())
    }
}
