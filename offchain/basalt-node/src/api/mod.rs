//! The HTTP API (axum).
//!
//! | method | path | who may call | what |
//! |---|---|---|---|
//! | PUT | `/v1/shards/{cid}/{chunk}/{shard}` | any signed key | store a shard (header ‖ data); returns a signed receipt |
//! | GET | same | a reader (below) | the shard (header ‖ data), or a byte range of its data with `Range: bytes=a-b` |
//! | HEAD | same | a reader | length and root, without reading the data |
//! | DELETE | same | blob owner or DELETE grantee; the uploader while the blob is unregistered | delete |
//! | GET | `/v1/shards/{cid}/{chunk}/{shard}/proof/{leaf}` | a reader | leaf, Merkle path to the column root |
//! | PUT | `/v1/manifests/{cid}` | any signed key | store the blob's manifest (`basalt_core::StoredManifest`) |
//! | GET | `/v1/manifests/{cid}` | a reader | the manifest, to check against the chain's commitment root |
//! | GET | `/v1/stats` | any signed key | capacity, usage, shard and repair counts |
//! | GET | `/health` | anyone | liveness |
//! | GET | `/metrics` | anyone | Prometheus text format |
//!
//! **Readers** are the key that uploaded the shard (or manifest), and any key the chain's ACL admits
//! (owner, public blob, READ grant, token gate: see `chain.rs`). Every request except
//! `/health` and `/metrics` is signed (see `basalt_core::auth`); errors are JSON
//! `{"error": code, "message": text}`.

mod body;
mod error;
mod manifests;
mod ops;
mod shards;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use basalt_core::{Cid, Receipt};
use ed25519_dalek::SigningKey;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

use crate::auth::Authenticator;
use crate::chain::Chain;
use crate::config::NodeConfig;
use crate::metrics::{Metrics, OpLabels, RequestLabels};
use crate::store::{PutOutcome, ShardStore, StoreError};

pub use error::ApiError;

/// Uploads buffered at once: bounds memory at this many times `max_shard_bytes`.
const UPLOAD_SLOTS: usize = 32;

/// Everything a handler can reach.
pub struct Node {
    pub store: Arc<ShardStore>,
    pub chain: Arc<dyn Chain>,
    pub auth: Authenticator,
    pub metrics: Metrics,
    pub identity: SigningKey,
    pub config: NodeConfig,
    pub upload_slots: Semaphore,
}

impl Node {
    /// Assembles a node from its parts.
    pub fn new(
        store: Arc<ShardStore>,
        chain: Arc<dyn Chain>,
        identity: SigningKey,
        config: NodeConfig,
    ) -> Self {
        let metrics = Metrics::new();
        metrics.capacity_bytes.set(config.capacity as i64);
        Self {
            auth: Authenticator::new(
                config.signature_window_secs * 1_000,
                config.rate_limit_per_second,
            ),
            store,
            chain,
            metrics,
            identity,
            config,
            upload_slots: Semaphore::new(UPLOAD_SLOTS),
        }
    }

    /// The node's public key.
    pub fn address(&self) -> [u8; 32] {
        self.identity.verifying_key().to_bytes()
    }

    /// Authenticates a request whose body hashes to `body_hash` (BLAKE3; of the empty
    /// string when there is none) and returns the caller's key. Every refusal is counted
    /// under its code in `basalt_node_refusals_total`.
    ///
    /// # Errors
    ///
    /// The refusal as an [`ApiError`] (401, 429 or 503).
    pub fn authenticate(
        &self,
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        headers: &axum::http::HeaderMap,
        body_hash: &[u8; 32],
    ) -> Result<[u8; 32], ApiError> {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        self.auth
            .check(method.as_str(), path, headers, body_hash)
            .map_err(|r| {
                self.metrics
                    .refusals
                    .get_or_create(&crate::metrics::RefusalLabels { reason: r.code() })
                    .inc();
                r.into()
            })
    }

    /// Copies the store's usage into the gauges.
    pub fn refresh_usage_gauges(&self) {
        let u = self.store.usage();
        self.metrics.used_bytes.set(u.used_bytes as i64);
        self.metrics.shards.set(u.shards as i64);
    }

    fn receipt(&self, header: &basalt_core::ShardHeader) -> Receipt {
        Receipt::sign(&self.identity, header)
    }
}

/// Counts the request under `op` with its final status.
fn counted(
    node: &Node,
    started: Instant,
    op: &'static str,
    result: Result<Response, ApiError>,
) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
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

/// Authenticates a body-less request.
fn caller(
    node: &Node,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<[u8; 32], ApiError> {
    node.authenticate(method, uri, headers, blake3::hash(b"").as_bytes())
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

/// Reads an upload body of at most `max_shard_bytes`, holding one upload slot.
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

/// Parses a CID path segment.
fn parse_cid(cid: &str) -> Result<Cid, ApiError> {
    cid.parse()
        .map_err(|e| ApiError::bad_request("bad_cid", format!("{cid}: {e}")))
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

/// Allows a read of `blob`'s data by the key that uploaded it here (`uploader`), or by
/// whoever the chain's ACL admits. Unauthorized callers get 403 whether or not the data
/// exists here.
async fn authorize_blob_read(
    node: &Node,
    blob: &Cid,
    uploader: Option<[u8; 32]>,
    caller: &[u8; 32],
) -> Result<(), ApiError> {
    if uploader == Some(*caller) {
        return Ok(());
    }
    let decision = node.chain.read_access(blob, caller).await?;
    if !decision.allowed() {
        return Err(ApiError::forbidden(format!(
            "the chain's access list does not let this key read blob {blob} ({decision:?})"
        )));
    }
    Ok(())
}

/// The router with every route and the request timeout.
pub fn router(node: Arc<Node>) -> Router {
    let timeout = Duration::from_secs(node.config.request_timeout_secs);
    let shard = "/v1/shards/{cid}/{chunk}/{shard}";
    Router::new()
        .route(
            shard,
            get(shards::get)
                .head(shards::head)
                .put(shards::put)
                .delete(shards::delete),
        )
        .route(&format!("{shard}/proof/{{leaf}}"), get(shards::proof))
        .route(
            "/v1/manifests/{cid}",
            get(manifests::get).put(manifests::put),
        )
        .route("/v1/stats", get(ops::stats))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(node)
}
