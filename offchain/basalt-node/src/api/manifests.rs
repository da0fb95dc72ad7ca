//! Manifest handlers: a blob's [`basalt_core::StoredManifest`], stored next to its shards.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{
    authorize_blob_read, blocking, caller, counted, octet_stream, parse_cid, put_status, read_body,
    ApiError, Node,
};
use crate::auth::now_ms;
use crate::store::PutOutcome;

/// `PUT /v1/manifests/{cid}`: body = the encoded manifest.
pub async fn put(
    State(node): State<Arc<Node>>,
    Path(cid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let result = async {
        let blob = parse_cid(&cid)?;
        let _slot = node
            .upload_slots
            .acquire()
            .await
            .map_err(|_| ApiError::internal("node is shutting down"))?;
        let bytes = read_body(&node, body).await?;
        let uploader =
            node.authenticate(&method, &uri, &headers, blake3::hash(&bytes).as_bytes())?;
        let outcome = blocking(&node, "put_manifest", move |s| {
            s.put_manifest(&blob, &bytes, uploader, now_ms())
        })
        .await?;
        node.refresh_usage_gauges();
        Ok((
            put_status(outcome),
            Json(serde_json::json!({ "stored": outcome == PutOutcome::Stored })),
        )
            .into_response())
    }
    .await;
    counted(&node, started, "put_manifest", result)
}

/// `GET /v1/manifests/{cid}`.
pub async fn get(
    State(node): State<Arc<Node>>,
    Path(cid): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let result = async {
        let blob = parse_cid(&cid)?;
        let caller = caller(&node, &method, &uri, &headers)?;
        let found = blocking(&node, "get_manifest", move |s| s.get_manifest(&blob)).await?;
        authorize_blob_read(&node, &blob, found.as_ref().map(|r| r.uploader), &caller).await?;
        let bytes = found.ok_or_else(ApiError::not_found)?.bytes;
        Ok(octet_stream(bytes))
    }
    .await;
    counted(&node, started, "get_manifest", result)
}
