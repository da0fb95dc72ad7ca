//! The dApp API (axum): read-only views of the indexed chain, a server-sent-event stream
//! of new events, `/openapi.json`, `/health` and `/metrics`.
//!
//! Everything served is public chain data, so no request is authenticated; every
//! parameter is validated (addresses, CIDs, enums, cursors) and a bad one is a 400 with a
//! message, never a 500.

mod openapi;
mod stream;

use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use basalt::anchor_lang::prelude::Pubkey;
use basalt_core::Cid;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::db::{Page, PageRequest, Store};
use crate::metrics::{Metrics, RequestLabels};

pub use openapi::document as openapi_document;
pub use stream::listen_for_events;

/// What every handler shares.
pub struct ApiState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// The newest event id committed, pushed by [`listen_for_events`].
    pub newest_event: watch::Receiver<i64>,
    pub program_id: String,
}

/// An API error: a status and a message for the caller.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The API's router.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/v1/providers", get(providers))
        .route("/v1/providers/{id}", get(provider))
        .route("/v1/blobs", get(blobs))
        .route("/v1/blobs/{cid}", get(blob))
        .route("/v1/blobs/{cid}/grants", get(grants))
        .route("/v1/deals", get(deals))
        .route("/v1/payouts", get(payouts))
        .route("/v1/proofs", get(proofs))
        .route("/v1/slashes", get(slashes))
        .route("/v1/jobs", get(jobs))
        .route("/v1/jobs/{address}", get(job))
        .route("/v1/events", get(events))
        .route("/v1/events/stream", get(stream::events_stream))
        .route("/v1/stats", get(stats))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
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

fn address(value: &str, what: &str) -> Result<String, ApiError> {
    Pubkey::from_str(value)
        .map(|k| k.to_string())
        .map_err(|_| ApiError::bad_request(format!("{what}={value}: not a base58 address")))
}

fn optional_address(value: Option<&String>, what: &str) -> Result<Option<String>, ApiError> {
    value.map(|v| address(v, what)).transpose()
}

fn cid(value: &str) -> Result<String, ApiError> {
    Cid::from_str(value)
        .map(|c| c.to_string())
        .map_err(|e| ApiError::bad_request(format!("{value}: not a Basalt CID ({e})")))
}

fn one_of(value: Option<&String>, what: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::bad_request(format!(
            "{what}={v}: expected one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn checked(page: PageRequest, by_id: bool) -> Result<PageRequest, ApiError> {
    page.validate(by_id).map_err(ApiError::bad_request)?;
    Ok(page)
}

fn found(value: Option<Value>, what: &str) -> ApiResult<Value> {
    value.map(Json).ok_or_else(|| ApiError::not_found(what))
}

#[derive(Deserialize)]
struct ProviderQuery {
    role: Option<String>,
    status: Option<String>,
    region: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

async fn providers(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<ProviderQuery>,
) -> ApiResult<Page> {
    one_of(q.role.as_ref(), "role", &["storage", "compute"])?;
    one_of(
        q.status.as_ref(),
        "status",
        &["active", "unbonding", "jailed"],
    )?;
    let filter = crate::db::ProviderFilter {
        role: q.role,
        status: q.status,
        region: q.region,
    };
    Ok(Json(
        s.store.providers(&filter, &checked(q.page, false)?).await?,
    ))
}

async fn provider(State(s): State<Arc<ApiState>>, Path(id): Path<String>) -> ApiResult<Value> {
    let id = address(&id, "provider")?;
    found(s.store.provider(&id).await?, "provider")
}

#[derive(Deserialize)]
struct OwnerQuery {
    owner: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

async fn blobs(State(s): State<Arc<ApiState>>, Query(q): Query<OwnerQuery>) -> ApiResult<Page> {
    let owner = optional_address(q.owner.as_ref(), "owner")?;
    Ok(Json(
        s.store
            .blobs(owner.as_deref(), &checked(q.page, false)?)
            .await?,
    ))
}

async fn blob(State(s): State<Arc<ApiState>>, Path(c): Path<String>) -> ApiResult<Value> {
    found(s.store.blob(&cid(&c)?).await?, "blob")
}

async fn grants(
    State(s): State<Arc<ApiState>>,
    Path(c): Path<String>,
    Query(page): Query<PageRequest>,
) -> ApiResult<Page> {
    Ok(Json(
        s.store.grants(&cid(&c)?, &checked(page, false)?).await?,
    ))
}

#[derive(Deserialize)]
struct DealQuery {
    payer: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

async fn deals(State(s): State<Arc<ApiState>>, Query(q): Query<DealQuery>) -> ApiResult<Page> {
    let payer = optional_address(q.payer.as_ref(), "payer")?;
    Ok(Json(
        s.store
            .deals(payer.as_deref(), &checked(q.page, false)?)
            .await?,
    ))
}

#[derive(Deserialize)]
struct HistoryQuery {
    holder: Option<String>,
    cid: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

impl HistoryQuery {
    fn parsed(self) -> Result<(Option<String>, Option<String>, PageRequest), ApiError> {
        let holder = optional_address(self.holder.as_ref(), "holder")?;
        let cid = self.cid.as_deref().map(cid).transpose()?;
        Ok((holder, cid, checked(self.page, true)?))
    }
}

async fn payouts(State(s): State<Arc<ApiState>>, Query(q): Query<HistoryQuery>) -> ApiResult<Page> {
    let (holder, cid, page) = q.parsed()?;
    Ok(Json(
        s.store
            .payouts(holder.as_deref(), cid.as_deref(), &page)
            .await?,
    ))
}

async fn proofs(State(s): State<Arc<ApiState>>, Query(q): Query<HistoryQuery>) -> ApiResult<Page> {
    let (holder, cid, page) = q.parsed()?;
    Ok(Json(
        s.store
            .proofs(holder.as_deref(), cid.as_deref(), &page)
            .await?,
    ))
}

#[derive(Deserialize)]
struct SlashQuery {
    provider: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

async fn slashes(State(s): State<Arc<ApiState>>, Query(q): Query<SlashQuery>) -> ApiResult<Page> {
    let provider = optional_address(q.provider.as_ref(), "provider")?;
    let page = checked(q.page, true)?;
    Ok(Json(s.store.slashes(provider.as_deref(), &page).await?))
}

#[derive(Deserialize)]
struct JobQuery {
    requester: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

async fn jobs(State(s): State<Arc<ApiState>>, Query(q): Query<JobQuery>) -> ApiResult<Page> {
    let requester = optional_address(q.requester.as_ref(), "requester")?;
    one_of(
        q.status.as_ref(),
        "status",
        &["open", "succeeded", "failed"],
    )?;
    Ok(Json(
        s.store
            .jobs(
                requester.as_deref(),
                q.status.as_deref(),
                &checked(q.page, false)?,
            )
            .await?,
    ))
}

async fn job(State(s): State<Arc<ApiState>>, Path(a): Path<String>) -> ApiResult<Value> {
    found(s.store.job(&address(&a, "job")?).await?, "job")
}

/// Filters of the event list and stream.
#[derive(Deserialize)]
pub(crate) struct EventQuery {
    kind: Option<String>,
    account: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

impl EventQuery {
    /// Checks the filters; the account in canonical base58.
    fn parsed(self) -> Result<(Option<String>, Option<String>, PageRequest), ApiError> {
        if let Some(kind) = &self.kind {
            if !openapi::EVENT_KINDS.contains(&kind.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "kind={kind}: not an event of the program (see /openapi.json)"
                )));
            }
        }
        let account = optional_address(self.account.as_ref(), "account")?;
        Ok((self.kind, account, checked(self.page, true)?))
    }
}

async fn events(State(s): State<Arc<ApiState>>, Query(q): Query<EventQuery>) -> ApiResult<Page> {
    let (kind, account, page) = q.parsed()?;
    Ok(Json(
        s.store
            .events(kind.as_deref(), account.as_deref(), &page)
            .await?,
    ))
}

async fn stats(State(s): State<Arc<ApiState>>) -> ApiResult<Value> {
    Ok(Json(s.store.stats().await?))
}

/// 200 when the database answers and the follower has written something, with where it is.
async fn health(State(s): State<Arc<ApiState>>) -> Response {
    match s.store.cursor(&s.program_id).await {
        Ok(cursor) => Json(json!({
            "status": "ok",
            "program_id": s.program_id,
            "cursor_slot": cursor.as_ref().map(|c| c.slot),
            "finalized_slot": cursor.as_ref().map(|c| c.finalized_slot),
        }))
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn metrics(State(s): State<Arc<ApiState>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}
