//! The HTTP API (axum). Routes and bodies are `basalt_core::wire`, shared with the SDK.
//!
//! | method | route | who may call | what |
//! |---|---|---|---|
//! | PUT | `/v1/shards/{blob}/{chunk}/{shard}` | any signed key | store a shard (header ‖ data); returns a signed receipt |
//! | GET | same | a reader (below) | the shard (header ‖ data), or a byte range of its data with `Range: bytes=a-b` |
//! | HEAD | same | a reader | length and root, without reading the data |
//! | DELETE | same | blob owner or DELETE grantee; the uploader while the blob is unregistered | delete |
//! | GET | `/v1/shards/{blob}/{chunk}/{shard}/proof/{leaf}` | a reader | leaf, Merkle path to the column root |
//! | PUT | `/v1/manifests/{blob}` | any signed key | store the blob's manifest (`basalt_core::StoredManifest`) |
//! | GET | `/v1/manifests/{blob}` | a reader | the manifest, to check against the chain's commitment root |
//! | GET | `/v1/stats` | any signed key | capacity, usage, shard and repair counts |
//! | GET | `/health` | anyone | liveness |
//! | GET | `/metrics` | anyone | Prometheus text format |
//!
//! **Readers** are the key that uploaded the shard (or manifest), and any key the chain's ACL
//! admits (owner, public blob, READ grant, token gate: see `chain/mod.rs`). Every request
//! except `/health` and `/metrics` is signed (see `basalt_core::auth`) and checked by the
//! extractors in `extract.rs`; errors are `basalt_core::wire::ErrorAnswer`.

mod body;
mod error;
mod extract;
mod manifests;
mod ops;
mod shards;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use basalt_core::wire;
use basalt_core::{BlobId, Caller};
use tower_http::timeout::TimeoutLayer;

use crate::metrics::{OpLabels, RequestLabels};
use crate::node::Node;
use crate::store::{PutOutcome, ShardStore, StoreError};

pub use error::ApiError;

/// The router with every route, per-operation metrics and the request timeout.
pub fn router(node: Arc<Node>) -> Router {
    let timeout = Duration::from_secs(node.config.request_timeout_secs);
    // Counts each request under its operation, whatever answered it (handler or extractor).
    let op = |name: &'static str| from_fn_with_state((Arc::clone(&node), name), count_request);
    Router::new()
        .route(
            wire::SHARD_ROUTE,
            get(shards::get.layer(op("get")))
                .head(shards::head.layer(op("head")))
                .put(shards::put.layer(op("put")))
                .delete(shards::delete.layer(op("delete"))),
        )
        .route(
            wire::LEAF_PROOF_ROUTE,
            get(shards::proof.layer(op("proof"))),
        )
        .route(
            wire::MANIFEST_ROUTE,
            get(manifests::get.layer(op("get_manifest")))
                .put(manifests::put.layer(op("put_manifest"))),
        )
        .route(
            wire::PLACEMENT_ROUTE,
            post(manifests::registered.layer(op("placement"))),
        )
        .route(wire::STATS_ROUTE, get(ops::stats))
        .route(wire::HEALTH_ROUTE, get(ops::health))
        .route(wire::METRICS_ROUTE, get(ops::metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(node)
}

/// Records a request's duration and final status under its operation.
async fn count_request(
    State((node, op)): State<(Arc<Node>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    node.metrics
        .request_seconds
        .get_or_create(&OpLabels { op })
        .observe(started.elapsed().as_secs_f64());
    node.metrics
        .requests
        .get_or_create(&RequestLabels {
            op,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Runs a blocking store call off the async threads.
async fn blocking<T: Send + 'static>(
    node: &Node,
    op: &'static str,
    f: impl FnOnce(&ShardStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = Arc::clone(&node.store);
    let started = Instant::now();
    let result = tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?;
    node.metrics
        .store_seconds
        .get_or_create(&OpLabels { op })
        .observe(started.elapsed().as_secs_f64());
    if let Err(StoreError::Corrupt(_)) = &result {
        node.metrics.corrupt_shards.inc();
    }
    result.map_err(ApiError::from)
}

/// 201 when a put stored something new, 200 when it was already there.
fn put_status(outcome: PutOutcome) -> StatusCode {
    match outcome {
        PutOutcome::Stored => StatusCode::CREATED,
        PutOutcome::AlreadyStored => StatusCode::OK,
    }
}

/// A binary body.
fn octet_stream(body: impl IntoResponse) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/octet-stream"),
        )],
        body,
    )
        .into_response()
}

/// Allows a read of `blob`'s data by the caller that uploaded it here (`uploader`, its
/// [`Caller::word`]), by whoever the chain's ACL admits, or by another holder of the blob
/// (a repair).
/// Unauthorized callers get 403 whether or not the data exists here.
async fn authorize_blob_read(
    node: &Node,
    blob: &BlobId,
    uploader: Option<[u8; 32]>,
    caller: &Caller,
) -> Result<(), ApiError> {
    if uploader == Some(caller.word()) {
        return Ok(());
    }
    let decision = node.chain.read_access(blob, caller).await?;
    if decision.allowed() {
        return Ok(());
    }
    // Another holder of the blob (or the provider a repair placed it on) reads shards to
    // rebuild its own from: ciphertext, which the owner already trusted it with.
    if node.chain.holds(blob, caller).await? {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "the chain's access list does not let this key read blob {blob} ({decision:?}), \
         and it holds no shard of it"
    )))
}
