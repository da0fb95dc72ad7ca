//! Operational endpoints: health, metrics, stats.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use basalt_core::wire::{HealthAnswer, StatsAnswer};

use super::extract::SignedBy;
use super::ApiError;
use crate::node::Node;

/// `GET /health`: the node is serving, and how its chain RPC answers (`degraded` while it
/// fails or hangs). Unauthenticated, for load balancers and operators; answered from
/// memory, so it answers at once whatever the chain does.
pub async fn health(State(node): State<Arc<Node>>) -> Json<HealthAnswer> {
    let chain = node.chain_link.link();
    Json(HealthAnswer {
        status: if chain.reachable { "ok" } else { "degraded" }.to_owned(),
        node: node.address().to_string(),
        chain,
    })
}

/// `GET /metrics`: Prometheus text format. Unauthenticated: scrapers cannot sign, and it
/// reveals only counts; bind the node to loopback or firewall it if that matters.
pub async fn metrics(State(node): State<Arc<Node>>) -> Response {
    node.refresh_usage_gauges();
    if let Err(why) = node.refresh_repair_gauge().await {
        tracing::warn!(%why, "metrics: cannot read the repair queue");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.render(),
    )
        .into_response()
}

/// `GET /v1/stats`: capacity, usage, shard and repair counts, and the terms the node
/// accepts placements on. Signed by any key.
pub async fn stats(
    State(node): State<Arc<Node>>,
    _signed: SignedBy,
) -> Result<Json<StatsAnswer>, ApiError> {
    let marked_for_repair = node
        .refresh_repair_gauge()
        .await
        .map_err(ApiError::internal)?;
    let u = node.store.usage();
    Ok(Json(StatsAnswer {
        node: node.address().to_string(),
        capacity_bytes: u.capacity_bytes,
        used_bytes: u.used_bytes,
        shards: u.shards,
        marked_for_repair,
        terms: node.config.terms(),
        proofs: node.proof_stats(),
        crank: node.crank_stats(),
    }))
}
