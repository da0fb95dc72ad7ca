//! Manifest handlers: a blob's [`basalt_core::StoredManifest`], stored next to its shards;
//! and the uploader's word, after the manifest, that the blob is registered.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use basalt_core::wire::PutManifestAnswer;

use super::extract::{BlobAt, SignedBody, SignedBy};
use super::{authorize_blob_read, blocking, octet_stream, put_status, ApiError};
use crate::auth::now_ms;
use crate::chain::Placement;
use crate::node::Node;
use crate::store::PutOutcome;

/// `PUT /v1/manifests/{blob}`: body = the encoded manifest.
pub async fn put(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    upload: SignedBody,
) -> Result<Response, ApiError> {
    let (bytes, uploader) = (upload.bytes.clone(), upload.caller.word());
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

/// `POST /v1/placements/{blob}`: the blob was placed on this node. For a blob it received a
/// shard of lately (an upload), the acceptor looks for its placement now. Otherwise the
/// chain must offer this node an index of it (a repair placement: a crank says so), which
/// the repair task then rebuilds from the other holders; 404 when it does not. Signed, and
/// so rate limited per key like every call.
pub async fn registered(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    _signed: SignedBy,
) -> Result<StatusCode, ApiError> {
    let recent = node
        .recent_uploads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains_key(&blob);
    if recent {
        node.placement_registered.notify_one();
        return Ok(StatusCode::ACCEPTED);
    }
    match node.chain.placement(&blob, &node.address()).await? {
        Placement::Offered(_) => {
            node.repair_offers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(blob);
            node.repair_wanted.notify_one();
            Ok(StatusCode::ACCEPTED)
        }
        Placement::Unregistered | Placement::Settled => Err(ApiError::not_found()),
    }
}

/// `GET /v1/manifests/{blob}`.
pub async fn get(
    State(node): State<Arc<Node>>,
    BlobAt(blob): BlobAt,
    SignedBy(caller): SignedBy,
) -> Result<Response, ApiError> {
    let found = blocking(&node, "get_manifest", move |s| s.get_manifest(&blob)).await?;
    authorize_blob_read(&node, &blob, found.as_ref().map(|r| r.uploader), &caller).await?;
    let bytes = found.ok_or_else(ApiError::not_found)?.bytes;
    Ok(octet_stream(bytes))
}
