//! The dApp API (axum): read-only views of the indexed chain, a server-sent-event stream
//! of new events, `/openapi.json`, `/health` and `/metrics`.
//!
//! Everything served is public chain data, so no request is authenticated. Every parameter
//! is a type from [`params`] that checks its value as it is parsed and states the same rule
//! in the OpenAPI document, which utoipa builds from these handlers' own signatures and
//! types: a bad value is a 400 with a message, never a 500, and the document says which
//! values are good.

mod datasets;
mod openapi;
mod params;
mod stream;

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use basalt_core::{ChainLink, LinkMonitor, LivenessThresholds};

use crate::db::{
    BlobDetail, BlobRow, DealRow, EventRow, GrantRow, History, JobDetail, JobRow, Listed,
    PageRequest, PayoutRow, ProofRow, ProviderRow, SearchHits, SlashRow, Stats, Store,
};
use crate::metrics::{Metrics, RequestLabels};
use params::{Account, Address, BlobCid, EventKind, IdPage, JobKey, KeyPage, Named, Text};

pub use stream::listen_for_events;

/// What every handler shares.
pub struct ApiState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// The newest event id committed, pushed by [`listen_for_events`].
    pub newest_event: watch::Receiver<i64>,
    pub program_id: String,
    /// When a silent provider is `warning`, then `offline`.
    pub liveness: LivenessThresholds,
    /// How the followed chain's RPC answers; `None` when this process only serves.
    pub chain: Option<Arc<LinkMonitor>>,
    /// The web explorer's options.
    pub explorer: crate::explorer::ExplorerOptions,
}

/// Sets a provider row's `liveness` (`online`, `warning`, `offline`) from its
/// `silent_secs`, the seconds since its last heartbeat (absent: never).
fn with_liveness(mut row: ProviderRow, thresholds: &LivenessThresholds) -> ProviderRow {
    // A block time ahead of this machine's clock counts as just now.
    let silent = row.silent_secs.map(|s| s.max(0).unsigned_abs());
    row.liveness = thresholds.classify(silent).as_str().to_owned();
    row
}

/// An API error: a status and a message for the caller.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

/// Every error's body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }

    fn not_found(what: &str) -> Self {
        Self(
            StatusCode::NOT_FOUND,
            format!("no {what} indexed with that key"),
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!("API query failed: {e}");
        Self(
            StatusCode::SERVICE_UNAVAILABLE,
            "the index database is unavailable; try again".into(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::bad_request(e.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        Self::bad_request(e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

/// axum's `Query`, refusing a bad query string with an [`ApiError`] (JSON, 400).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// axum's `Path`, refusing a bad segment with an [`ApiError`] (JSON, 400).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The API's router, and the OpenAPI document of exactly its routes; the explorer's page
/// beside them.
pub fn router(state: Arc<ApiState>) -> Router {
    let (router, document) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(providers))
        .routes(routes!(provider))
        .routes(routes!(blobs))
        .routes(routes!(blob))
        .routes(routes!(grants))
        .routes(routes!(deals))
        .routes(routes!(payouts))
        .routes(routes!(proofs))
        .routes(routes!(slashes))
        .routes(routes!(jobs))
        .routes(routes!(job))
        .routes(routes!(datasets::datasets))
        .routes(routes!(datasets::dataset))
        .routes(routes!(datasets::versions))
        .routes(routes!(datasets::version))
        .routes(routes!(datasets::lineage))
        .routes(routes!(events))
        .routes(routes!(stream::events_stream))
        .routes(routes!(search))
        .routes(routes!(history))
        .routes(routes!(stats))
        .routes(routes!(health))
        .routes(routes!(metrics))
        .split_for_parts();
    let document = Arc::new(document);
    router
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { Json(Arc::clone(&document)) }),
        )
        .merge(crate::explorer::router(&state.explorer, &state.program_id))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            count_requests,
        ))
        .with_state(state)
}

async fn count_requests(State(state): State<Arc<ApiState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

fn found<T>(value: Option<T>, what: &str) -> ApiResult<T> {
    value.map(Json).ok_or_else(|| ApiError::not_found(what))
}

/// Declares a filter's closed set of values: serde and the document take the lowercase
/// names, and the store gets the same name back.
macro_rules! filter_values {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        // INV: each text is its variant's name in lower case (what `rename_all` gives).
        #[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }
    };
}

filter_values!(
    /// A provider's role.
    Role { Storage => "storage", Compute => "compute" }
);
filter_values!(
    /// A provider's status.
    ProviderStatus { Active => "active", Unbonding => "unbonding", Jailed => "jailed" }
);
filter_values!(
    /// A job's status.
    JobStatus { Open => "open", Succeeded => "succeeded", Failed => "failed" }
);

/// Filters of the provider list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ProviderQuery {
    /// Only providers with this role.
    #[param(inline)]
    role: Option<Role>,
    /// Only providers in this status.
    #[param(inline)]
    status: Option<ProviderStatus>,
    /// Only providers that declared this region.
    #[param(inline)]
    region: Option<Text>,
    #[serde(flatten)]
    #[param(ignore)]
    page: KeyPage,
}

/// Storage and compute providers, by account address. Each says when it last heartbeat
/// (`last_heartbeat_at`, `silent_secs`) and so whether it is `online`, `warning` (it gets no
/// new shards) or `offline` (its shards are repaired): `liveness`.
#[utoipa::path(get, path = "/v1/providers", params(ProviderQuery, KeyPage),
    responses((status = 200, body = Listed<ProviderRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn providers(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<ProviderQuery>,
) -> ApiResult<Listed<ProviderRow>> {
    let filter = crate::db::ProviderFilter {
        role: q.role.map(|r| r.as_str().to_owned()),
        status: q.status.map(|st| st.as_str().to_owned()),
        region: q.region.map(|r| r.0),
    };
    let mut page = s.store.providers(&filter, &q.page.into()).await?;
    page.items = page
        .items
        .into_iter()
        .map(|row| with_liveness(row, &s.liveness))
        .collect();
    Ok(Json(page))
}

/// A provider's account address or its authority.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct ProviderPath {
    /// Provider account or authority (on NEAR: the provider's account ID).
    #[param(inline)]
    id: Account,
}

/// One provider by account address or authority, with its `liveness`.
#[utoipa::path(get, path = "/v1/providers/{id}", params(ProviderPath),
    responses((status = 200, body = ProviderRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn provider(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<ProviderPath>,
) -> ApiResult<ProviderRow> {
    let row = s.store.provider(&p.id.0).await?;
    found(row.map(|r| with_liveness(r, &s.liveness)), "provider")
}

/// Filters of the blob list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OwnerQuery {
    /// Owner wallet.
    #[param(inline)]
    owner: Option<Account>,
    /// Content CID: every owner's blob of that content.
    #[param(inline)]
    cid: Option<BlobCid>,
    #[serde(flatten)]
    #[param(ignore)]
    page: KeyPage,
}

/// Blobs, optionally of one owner and/or of one content, by address (the blob's id).
#[utoipa::path(get, path = "/v1/blobs", params(OwnerQuery, KeyPage),
    responses((status = 200, body = Listed<BlobRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn blobs(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<OwnerQuery>,
) -> ApiResult<Listed<BlobRow>> {
    let owner = q.owner.map(|o| o.0);
    let cid = q.cid.map(|c| c.0);
    Ok(Json(
        s.store
            .blobs(owner.as_deref(), cid.as_deref(), &q.page.into())
            .await?,
    ))
}

/// A blob named by its id: one owner's registration of some content (on Solana the Blob
/// account's address; on NEAR `basalt_proof::blob_id` of owner and CID, in base58).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct BlobPath {
    /// Blob id (base58).
    #[param(inline)]
    blob: Address,
}

/// One blob by id, with its shard placement and deal.
#[utoipa::path(get, path = "/v1/blobs/{blob}", params(BlobPath),
    responses((status = 200, body = BlobDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn blob(State(s): State<Arc<ApiState>>, Path(p): Path<BlobPath>) -> ApiResult<BlobDetail> {
    found(s.store.blob(&p.blob.0).await?, "blob")
}

/// Access grants on a blob (active and revoked), by grantee.
#[utoipa::path(get, path = "/v1/blobs/{blob}/grants", params(BlobPath, KeyPage),
    responses((status = 200, body = Listed<GrantRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn grants(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<BlobPath>,
    Query(page): Query<KeyPage>,
) -> ApiResult<Listed<GrantRow>> {
    Ok(Json(s.store.grants(&p.blob.0, &page.into()).await?))
}

/// Filters of the deal list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DealQuery {
    /// Payer wallet.
    #[param(inline)]
    payer: Option<Account>,
    #[serde(flatten)]
    #[param(ignore)]
    page: KeyPage,
}

/// Storage deals (escrow and payouts so far), by address.
#[utoipa::path(get, path = "/v1/deals", params(DealQuery, KeyPage),
    responses((status = 200, body = Listed<DealRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn deals(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<DealQuery>,
) -> ApiResult<Listed<DealRow>> {
    let payer = q.payer.map(|p| p.0);
    Ok(Json(s.store.deals(payer.as_deref(), &q.page.into()).await?))
}

/// Filters of the payout and proof histories.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Holder (provider authority).
    #[param(inline)]
    holder: Option<Account>,
    /// Blob id (base58).
    #[param(inline)]
    blob: Option<Address>,
    #[serde(flatten)]
    #[param(ignore)]
    page: IdPage,
}

impl HistoryQuery {
    fn parts(self) -> (Option<String>, Option<String>, PageRequest) {
        (
            self.holder.map(|h| h.0),
            self.blob.map(|b| b.0),
            self.page.into(),
        )
    }
}

/// Deal payouts to shard holders, oldest first.
#[utoipa::path(get, path = "/v1/payouts", params(HistoryQuery, IdPage),
    responses((status = 200, body = Listed<PayoutRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn payouts(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Listed<PayoutRow>> {
    let (holder, blob, page) = q.parts();
    Ok(Json(
        s.store
            .payouts(holder.as_deref(), blob.as_deref(), &page)
            .await?,
    ))
}

/// Storage-proof history (accepted and missed), oldest first.
#[utoipa::path(get, path = "/v1/proofs", params(HistoryQuery, IdPage),
    responses((status = 200, body = Listed<ProofRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn proofs(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Listed<ProofRow>> {
    let (holder, blob, page) = q.parts();
    Ok(Json(
        s.store
            .proofs(holder.as_deref(), blob.as_deref(), &page)
            .await?,
    ))
}

/// Filters of the slash list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SlashQuery {
    /// Provider account or authority.
    #[param(inline)]
    provider: Option<Account>,
    #[serde(flatten)]
    #[param(ignore)]
    page: IdPage,
}

/// Slashes (missed proofs, disagreeing job results), oldest first.
#[utoipa::path(get, path = "/v1/slashes", params(SlashQuery, IdPage),
    responses((status = 200, body = Listed<SlashRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn slashes(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<SlashQuery>,
) -> ApiResult<Listed<SlashRow>> {
    let provider = q.provider.map(|p| p.0);
    Ok(Json(
        s.store.slashes(provider.as_deref(), &q.page.into()).await?,
    ))
}

/// Filters of the job list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct JobQuery {
    /// Requester wallet.
    #[param(inline)]
    requester: Option<Account>,
    /// Only jobs in this status.
    #[param(inline)]
    status: Option<JobStatus>,
    #[serde(flatten)]
    #[param(ignore)]
    page: KeyPage,
}

/// Compute jobs, by address.
#[utoipa::path(get, path = "/v1/jobs", params(JobQuery, KeyPage),
    responses((status = 200, body = Listed<JobRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn jobs(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<JobQuery>,
) -> ApiResult<Listed<JobRow>> {
    let requester = q.requester.map(|r| r.0);
    let status = q.status.map(JobStatus::as_str);
    Ok(Json(
        s.store
            .jobs(requester.as_deref(), status, &q.page.into())
            .await?,
    ))
}

/// A job: its account on Solana, `requester:nonce` on NEAR.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct JobPath {
    /// The job's account (Solana) or `requester:nonce` (NEAR).
    #[param(inline)]
    address: JobKey,
}

/// One job with every applicant's application, selection, commitment, reveal and outcome.
#[utoipa::path(get, path = "/v1/jobs/{address}", params(JobPath),
    responses((status = 200, body = JobDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn job(State(s): State<Arc<ApiState>>, Path(p): Path<JobPath>) -> ApiResult<JobDetail> {
    found(s.store.job(&p.address.0).await?, "job")
}

/// Filters of the event list and stream.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Only events of this kind, and the notices of a reorg's rollback
    /// (`ChainReorganized`: the events with ids from its `first_removed_id` to its
    /// `last_removed_id` are gone).
    #[param(inline)]
    kind: Option<EventKind>,
    /// Only events naming this account, blob or job.
    #[param(inline)]
    account: Option<Named>,
    #[serde(flatten)]
    #[param(ignore)]
    page: IdPage,
}

impl EventQuery {
    /// The filters and the page.
    fn parts(self) -> (Option<String>, Option<String>, PageRequest) {
        (
            self.kind.map(|k| k.0),
            self.account.map(|a| a.0),
            self.page.into(),
        )
    }
}

/// Raw program events in chain order.
#[utoipa::path(get, path = "/v1/events", params(EventQuery, IdPage),
    responses((status = 200, body = Listed<EventRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn events(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Listed<EventRow>> {
    let (kind, account, page) = q.parts();
    Ok(Json(
        s.store
            .events(kind.as_deref(), account.as_deref(), &page)
            .await?,
    ))
}

/// The search term.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// A CID, or a blob, job, provider, dataset or wallet address.
    #[param(inline)]
    q: Text,
}

/// What a term names, for a search box: every list empty and `wallet` false when nothing.
#[utoipa::path(get, path = "/v1/search", params(SearchQuery),
    responses((status = 200, body = SearchHits), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn search(
    State(s): State<Arc<ApiState>>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<SearchHits> {
    Ok(Json(s.store.search(query.q.0.trim()).await?))
}

/// Points of [`history`]'s slot series.
const HISTORY_POINTS: i64 = 120;
/// Epochs of [`history`]'s proof series.
const HISTORY_EPOCHS: i64 = 120;

/// The network over time, for charts: stored bytes and payouts over the indexed slots (up
/// to 120 points), and proof outcomes of the latest 120 epochs with proofs.
#[utoipa::path(get, path = "/v1/history",
    responses((status = 200, body = History), (status = 503, body = ErrorBody)))]
async fn history(State(s): State<Arc<ApiState>>) -> ApiResult<History> {
    Ok(Json(
        s.store
            .network_history(HISTORY_POINTS, HISTORY_EPOCHS)
            .await?,
    ))
}

/// Network totals and how far the indexer has followed the chain.
#[utoipa::path(get, path = "/v1/stats",
    responses((status = 200, body = Stats), (status = 503, body = ErrorBody)))]
async fn stats(State(s): State<Arc<ApiState>>) -> ApiResult<Stats> {
    Ok(Json(s.store.stats().await?))
}

/// Where the follower is, and how its chain RPC answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` while the database answers and the chain's RPC does; `degraded` while the RPC
    /// fails or hangs (the API then serves what was indexed before, and the follower goes
    /// on from its cursor when the RPC answers again).
    pub status: String,
    pub program_id: String,
    /// The slot (or NEAR block height) written up to, once anything was.
    pub cursor_slot: Option<u64>,
    /// The highest slot known finalized.
    pub finalized_slot: Option<u64>,
    /// How the followed chain's RPC answers; absent when this process only serves the API.
    pub chain: Option<ChainLink>,
}

/// 200 while the database answers, with the cursor's slots and the chain RPC's state.
#[utoipa::path(get, path = "/health",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
async fn health(State(s): State<Arc<ApiState>>) -> ApiResult<Health> {
    let cursor = s.store.cursor(&s.program_id).await?;
    let chain = s.chain.as_ref().map(|link| link.link());
    let reachable = chain.as_ref().is_none_or(|c| c.reachable);
    Ok(Json(Health {
        status: if reachable { "ok" } else { "degraded" }.to_owned(),
        chain,
        program_id: s.program_id.clone(),
        cursor_slot: cursor.as_ref().map(|c| c.slot),
        finalized_slot: cursor.as_ref().map(|c| c.finalized_slot),
    }))
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, body = String, content_type = "application/openmetrics-text")))]
async fn metrics(State(s): State<Arc<ApiState>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_liveness_follows_its_silence() {
        let t = LivenessThresholds::default();
        let of = |silent_secs: Option<i64>| {
            let row = ProviderRow {
                silent_secs,
                ..ProviderRow::example()
            };
            with_liveness(row, &t).liveness
        };
        assert_eq!(of(Some(5)), "online");
        assert_eq!(of(Some(-3)), "online", "clock skew");
        assert_eq!(of(Some(61)), "warning");
        assert_eq!(of(Some(301)), "offline");
        assert_eq!(of(None), "offline", "never heard from");
    }
}
