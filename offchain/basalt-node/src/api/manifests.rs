//! Manifest handlers: a blob's [`basalt_core::StoredManifest`], stored next to its shards;
//! and the uploader's word, after the manifest, that the blob is registered.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
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

/// `POST /v1/placements/{cid}`: the uploader registered the blob; the acceptor looks for
/// this node's placement in it now. Only for a blob this node received a shard of lately
/// (404 otherwise), so a caller cannot make it ask the chain about arbitrary blobs.
pub async fn registered(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    _signed: Caller,
) -> Result<StatusCode, ApiError> {
    let recent = node
        .recent_uploads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains_key(&blob);
    if !recent {
        return Err(ApiError::not_found());
    }
    node.placement_registered.notify_one();
    Ok(StatusCode::ACCEPTED)
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
