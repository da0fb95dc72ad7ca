//! Datasets and their versions: lists, one dataset, a dataset's history, the publications of
//! one version id, and lineage walks up (parents, jobs) and down (what was made from it).
//! Every answer is a typed row (`db::datasets`), so the document lists its fields.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::params::{Account, Address, BlobCid, Depth, KeyPage, SeqPage, Text};
use super::{ApiError, ApiResult, ApiState, ErrorBody, Path, Query};
use crate::db::{DatasetRow, Direction, Lineage, Listed, PageRequest, VersionRow};

/// Which way a lineage walk goes: `up` to parents, `down` to children.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum LineageDir {
    Up,
    Down,
}

/// Filters of the dataset list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DatasetQuery {
    /// Owner wallet.
    #[param(inline)]
    owner: Option<Account>,
    /// Only datasets with this name.
    #[param(inline)]
    name: Option<Text>,
    #[serde(flatten)]
    #[param(ignore)]
    page: KeyPage,
}

/// Datasets, optionally of one owner and/or of one name, by address (the dataset's id).
#[utoipa::path(get, path = "/v1/datasets", params(DatasetQuery, KeyPage),
    responses((status = 200, body = Listed<DatasetRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn datasets(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<DatasetQuery>,
) -> ApiResult<Listed<DatasetRow>> {
    let owner = q.owner.map(|o| o.0);
    let name = q.name.map(|n| n.0);
    Ok(Json(
        s.store
            .datasets(owner.as_deref(), name.as_deref(), &q.page.into())
            .await?,
    ))
}

/// A dataset named by its id: the Dataset account (Solana) or `basalt_proof::dataset_id`
/// of owner and name (NEAR), base58.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DatasetPath {
    /// Dataset id (base58).
    #[param(inline)]
    dataset: Address,
}

/// One dataset.
#[utoipa::path(get, path = "/v1/datasets/{dataset}", params(DatasetPath),
    responses((status = 200, body = DatasetRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn dataset(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<DatasetPath>,
) -> ApiResult<DatasetRow> {
    s.store
        .dataset(&p.dataset.0)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("dataset"))
}

/// A dataset's versions, newest first, retracted ones included (marked).
#[utoipa::path(get, path = "/v1/datasets/{dataset}/versions", params(DatasetPath, SeqPage),
    responses((status = 200, body = Listed<VersionRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn versions(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<DatasetPath>,
    Query(page): Query<SeqPage>,
) -> ApiResult<Listed<VersionRow>> {
    let page: PageRequest = page.into();
    Ok(Json(s.store.versions(&p.dataset.0, &page).await?))
}

/// A version named by its id: the CID of its manifest.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct VersionPath {
    /// Version id (the manifest's CID).
    #[param(inline)]
    cid: BlobCid,
}

/// Every publication of a version id (one manifest may be published under several tags or
/// datasets), oldest first.
#[utoipa::path(get, path = "/v1/versions/{cid}", params(VersionPath),
    responses((status = 200, body = Listed<VersionRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn version(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<VersionPath>,
) -> ApiResult<Listed<VersionRow>> {
    let items = s.store.versions_with_id(&p.cid.0).await?;
    if items.is_empty() {
        return Err(ApiError::not_found("version"));
    }
    Ok(Json(Listed { items, next: None }))
}

/// How to walk a lineage.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LineageQuery {
    /// `up` (default): parents and the jobs that derived each version; `down`: versions
    /// made from it.
    #[param(inline)]
    dir: Option<LineageDir>,
    #[param(inline)]
    depth: Option<Depth>,
}

/// A version's lineage: every version within `depth` generations up or down, the parent
/// edges between them, and parents named but not indexed (`missing`). Each version is
/// visited once per depth, so merges and cycles cannot loop the walk.
#[utoipa::path(get, path = "/v1/versions/{cid}/lineage", params(VersionPath, LineageQuery),
    responses((status = 200, body = Lineage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn lineage(
    State(s): State<Arc<ApiState>>,
    Path(p): Path<VersionPath>,
    Query(q): Query<LineageQuery>,
) -> ApiResult<Lineage> {
    let direction = match q.dir.unwrap_or(LineageDir::Up) {
        LineageDir::Up => Direction::Up,
        LineageDir::Down => Direction::Down,
    };
    let depth = q.depth.map_or(100, |d| d.0);
    s.store
        .lineage(&p.cid.0, direction, depth)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("version"))
}
