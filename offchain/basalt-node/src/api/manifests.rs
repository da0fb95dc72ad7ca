//! Manifest handlers: a blob's [`basalt_core::StoredManifest`], stored next to its shards.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use basalt_core::wire::PutManifestAnswer;

use super::extract::{BlobAt, Caller, SignedBody};
use super::{authorize_blob_read, blocking, octet_stream, put_status, ApiError};
use crate::auth::now_ms;
use crate::node::Node;
use crate::store::PutOutcome;

/// `PUT /v1/manifests/{cid}`: body = the encoded manifest.
pub async fn put(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    upload: SignedBody,
) -> Result<Response, ApiError> {
    let (bytes, uploader) = (upload.bytes.clone(), upload.caller);
    let outcome = blocking(&node, "put_manifest", move |s| {
        s.put_manifest(&blob, &bytes, uploader, now_ms())
    })
    .await?;
    drop(upload);
    node.refresh_usage_gauges();
    let answer = PutManifestAnswer {
        stored: outcome == PutOutcome::Stored,
    };
    Ok((put_status(outcome), Json(answer)).into_response())
}

/// `GET /v1/manifests/{cid}`.
pub async fn get(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let found = blocking(&node, "get_manifest", move |s| s.get_manifest(&blob)).await?;
    authorize_blob_read(&node, &blob, found.as_ref().map(|r| r.uploader), &caller).await?;
    let bytes = found.ok_or_else(ApiError::not_found)?.bytes;
    Ok(octet_stream(bytes))
}
