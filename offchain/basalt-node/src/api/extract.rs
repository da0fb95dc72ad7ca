//! What every handler needs before it starts: who signed the request, and for uploads the
//! body read within the node's limits. One extractor each, so handlers do not repeat it.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use basalt_core::{BlobId, Caller};
use tokio::sync::OwnedSemaphorePermit;

use super::ApiError;
use crate::metrics::RefusalLabels;
use crate::node::Node;
use crate::store::ShardKey;

/// Who signed a request without a body.
pub struct SignedBy(pub Caller);

impl FromRequestParts<Arc<Node>> for SignedBy {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, ApiError> {
        let empty = blake3::hash(b"");
        authenticate(
            node,
            &parts.method,
            &parts.uri,
            &parts.headers,
            empty.as_bytes(),
        )
        .map(SignedBy)
    }
}

/// A signed upload: the body, read whole within `max_shard_bytes` while holding one of the
/// node's upload slots, and who signed it over the body's hash.
pub struct SignedBody {
    pub caller: Caller,
    pub bytes: Bytes,
    /// BLAKE3 of `bytes`, as the signature covers it.
    pub hash: [u8; 32],
    /// INV: held until the handler is done with `bytes` (bounds buffered uploads).
    _slot: OwnedSemaphorePermit,
}

impl FromRequest<Arc<Node>> for SignedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, node: &Arc<Node>) -> Result<Self, ApiError> {
        let slot = Arc::clone(&node.upload_slots)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("node is shutting down"))?;
        let (parts, body) = request.into_parts();
        let bytes = read_body(node, body).await?;
        let hash = *blake3::hash(&bytes).as_bytes();
        let caller = authenticate(node, &parts.method, &parts.uri, &parts.headers, &hash)?;
        Ok(Self {
            caller,
            bytes,
            hash,
            _slot: slot,
        })
    }
}

/// The shard a route names: `{blob}/{chunk}/{shard}`.
pub struct ShardAt(pub ShardKey);

#[derive(serde::Deserialize)]
struct ShardPath {
    blob: String,
    chunk: u32,
    shard: u16,
}

impl FromRequestParts<Arc<Node>> for ShardAt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, ApiError> {
        let p: ShardPath = path_params(parts, node).await?;
        Ok(Self(ShardKey {
            blob: parse_blob_id(&p.blob)?,
            chunk: p.chunk,
            shard: p.shard,
        }))
    }
}

/// The blob a route names: `{blob}`.
pub struct BlobAt(pub BlobId);

impl FromRequestParts<Arc<Node>> for BlobAt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, ApiError> {
        let blob: String = path_params(parts, node).await?;
        parse_blob_id(&blob).map(Self)
    }
}

/// The route's path parameters as `T`; a malformed one is a 400 `bad_path`.
async fn path_params<T: serde::de::DeserializeOwned + Send>(
    parts: &mut Parts,
    node: &Arc<Node>,
) -> Result<T, ApiError> {
    let Path(value) = Path::<T>::from_request_parts(parts, node)
        .await
        .map_err(|e| ApiError::bad_request("bad_path", e.body_text()))?;
    Ok(value)
}

/// Parses a blob id path segment.
fn parse_blob_id(blob: &str) -> Result<BlobId, ApiError> {
    blob.parse()
        .map_err(|e| ApiError::bad_request("bad_blob_id", format!("{blob}: {e}")))
}

/// Checks a request's signature, freshness and rate over a body hashing to `body_hash`
/// and returns who signed. Every refusal is counted under its code in
/// `basalt_node_refusals_total`.
fn authenticate(
    node: &Node,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body_hash: &[u8; 32],
) -> Result<Caller, ApiError> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    node.auth
        .check(method.as_str(), path, headers, body_hash)
        .map_err(|r| {
            node.metrics
                .refusals
                .get_or_create(&RefusalLabels { reason: r.code() })
                .inc();
            r.into()
        })
}

/// Reads an upload body of at most `max_shard_bytes`.
async fn read_body(node: &Node, body: Body) -> Result<Bytes, ApiError> {
    let max = node.config.max_shard_bytes;
    axum::body::to_bytes(body, max).await.map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("body exceeds this node's limit of {max} bytes"),
            )
        } else {
            ApiError::bad_request(
                "incomplete_body",
                format!("upload did not complete ({e}); nothing was stored"),
            )
        }
    })
}
