//! Reads of datasets and versions, decoded into typed rows (their fields are the API's, and
//! the OpenAPI document states them), and the lineage walk: a recursive query over
//! `version_parents` that visits each version once per depth, so merges and cycles cannot
//! make it explode or loop, and keeps a parent it has no row for as missing.

use serde::Serialize;
use utoipa::ToSchema;

use super::read::{listed, Listed, PageRequest};
use super::Store;

/// A dataset.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DatasetRow {
    /// Its id: the Dataset account (Solana) or `basalt_proof::dataset_id` (NEAR), base58.
    pub address: String,
    pub owner: String,
    pub name: String,
    pub public: bool,
    /// Versions published.
    pub versions: i64,
    pub created_slot: i64,
    pub updated_slot: i64,
}

/// A version of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct VersionRow {
    /// Its record: the Version account (Solana) or `basalt_proof::version_key` (NEAR).
    pub address: String,
    pub dataset: String,
    /// The dataset's name (absent if the dataset's creation is not indexed).
    pub dataset_name: Option<String>,
    pub tag: String,
    /// Its place in the dataset's history, from 0.
    pub seq: i64,
    /// The manifest's CID: the version's id.
    pub version_id: String,
    /// The blob storing the manifest.
    pub manifest_blob: String,
    /// The job it was derived by: a Job account (Solana) or `requester:nonce` (NEAR).
    pub job: Option<String>,
    pub message: String,
    pub publisher: String,
    pub slot: i64,
    pub retracted: bool,
    pub retracted_by: Option<String>,
    pub retracted_slot: Option<i64>,
    /// Parent versions' addresses, in the order published.
    pub parents: Vec<String>,
}

/// Which way a lineage walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards parents: where a version came from.
    Up,
    /// Towards children: what was made from it.
    Down,
}

/// An edge of a lineage: `version` names `parent`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct LineageEdge {
    pub version: String,
    pub parent: String,
}

/// A version's lineage.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Lineage {
    /// The versions the walk started from (every publication of the asked version id).
    pub roots: Vec<String>,
    /// Every version reached within the depth, the roots included.
    pub versions: Vec<VersionRow>,
    /// Every parent edge walked.
    pub edges: Vec<LineageEdge>,
    /// Parents named by an edge that this index holds no version for.
    pub missing: Vec<String>,
    /// The depth asked for, and whether versions lay beyond it.
    pub depth: i32,
    pub truncated: bool,
}

/// The columns of a [`VersionRow`], from `versions v` joined with `datasets d`.
const VERSION_COLUMNS: &str = "v.address, v.dataset, d.name AS dataset_name, v.tag, v.seq, \
    v.version_id, v.manifest_blob, v.job, v.message, v.publisher, v.slot, v.retracted, \
    v.retracted_by, v.retracted_slot, \
    COALESCE((SELECT array_agg(vp.parent ORDER BY vp.position) FROM version_parents vp \
              WHERE vp.version = v.address), '{}') AS parents";

impl Store {
    /// Datasets, optionally of one owner and/or with one name, by address.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn datasets(
        &self,
        owner: Option<&str>,
        name: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<DatasetRow>, sqlx::Error> {
        let rows: Vec<DatasetRow> = sqlx::query_as(
            "SELECT address, owner, name, public, versions, created_slot, updated_slot \
             FROM datasets \
             WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR name = $2) \
               AND ($3::text IS NULL OR address > $3) \
             ORDER BY address LIMIT $4",
        )
        .bind(owner)
        .bind(name)
        .bind(&page.after)
        .bind(page.fetch())
        .fetch_all(&self.pool)
        .await?;
        Ok(listed(rows, page, |r| r.address.clone()))
    }

    /// One dataset.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn dataset(&self, address: &str) -> Result<Option<DatasetRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT address, owner, name, public, versions, created_slot, updated_slot \
             FROM datasets WHERE address = $1",
        )
        .bind(address)
        .fetch_optional(&self.pool)
        .await
    }

    /// A dataset's versions, newest first (the cursor is a sequence number).
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn versions(
        &self,
        dataset: &str,
        page: &PageRequest,
    ) -> Result<Listed<VersionRow>, sqlx::Error> {
        let after = page.after_id().ok().flatten();
        let rows: Vec<VersionRow> = sqlx::query_as(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions v LEFT JOIN datasets d ON d.address = v.dataset \
             WHERE v.dataset = $1 AND ($2::bigint IS NULL OR v.seq < $2) \
             ORDER BY v.seq DESC LIMIT $3"
        ))
        .bind(dataset)
        .bind(after)
        .bind(page.fetch())
        .fetch_all(&self.pool)
        .await?;
        Ok(listed(rows, page, |r| r.seq.to_string()))
    }

    /// Every publication of the manifest whose CID is `version_id`, oldest first.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn versions_with_id(&self, version_id: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions v LEFT JOIN datasets d ON d.address = v.dataset \
             WHERE v.version_id = $1 ORDER BY v.slot, v.address"
        ))
        .bind(version_id)
        .fetch_all(&self.pool)
        .await
    }

    /// The lineage of the versions with id `version_id`: `depth` generations of parents
    /// (`Up`) or children (`Down`). `None` when no version has that id.
    ///
    /// # Errors
    ///
    /// When a query fails.
    pub async fn lineage(
        &self,
        version_id: &str,
        direction: Direction,
        depth: i32,
    ) -> Result<Option<Lineage>, sqlx::Error> {
        let roots: Vec<String> = sqlx::query_scalar(
            "SELECT address FROM versions WHERE version_id = $1 ORDER BY address",
        )
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?;
        if roots.is_empty() {
            return Ok(None);
        }
        // (from, to) of a step: up walks version → parent, down parent → version. UNION
        // keeps one row per (address, depth): a merge is reached once per depth, a cycle
        // ends at the depth bound.
        let (from, to) = match direction {
            Direction::Up => ("version", "parent"),
            Direction::Down => ("parent", "version"),
        };
        let walk = format!(
            "WITH RECURSIVE walk(address, depth) AS ( \
                 SELECT unnest($1::text[]), 0 \
                 UNION \
                 SELECT e.{to}, w.depth + 1 FROM walk w \
                 JOIN version_parents e ON e.{from} = w.address WHERE w.depth < $2 \
             )"
        );
        let reached: Vec<(String, i32)> = sqlx::query_as(&format!(
            "{walk} SELECT address, min(depth) FROM walk GROUP BY address"
        ))
        .bind(&roots)
        .bind(depth)
        .fetch_all(&self.pool)
        .await?;
        let addresses: Vec<String> = reached.iter().map(|(a, _)| a.clone()).collect();
        let inner: Vec<String> = reached
            .iter()
            .filter(|(_, d)| *d < depth)
            .map(|(a, _)| a.clone())
            .collect();
        let edges: Vec<LineageEdge> = sqlx::query_as(&format!(
            "SELECT version, parent FROM version_parents WHERE {from} = ANY($1) \
             ORDER BY version, position"
        ))
        .bind(&inner)
        .fetch_all(&self.pool)
        .await?;
        let truncated: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM version_parents WHERE {from} = ANY($1) \
             AND NOT {to} = ANY($2))"
        ))
        .bind(
            reached
                .iter()
                .filter(|(_, d)| *d == depth)
                .map(|(a, _)| a.clone())
                .collect::<Vec<_>>(),
        )
        .bind(&addresses)
        .fetch_one(&self.pool)
        .await?;
        let versions: Vec<VersionRow> = sqlx::query_as(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions v LEFT JOIN datasets d ON d.address = v.dataset \
             WHERE v.address = ANY($1) ORDER BY v.slot, v.address"
        ))
        .bind(&addresses)
        .fetch_all(&self.pool)
        .await?;
        let mut missing: Vec<String> = addresses
            .into_iter()
            .filter(|a| !versions.iter().any(|v| v.address == *a))
            .collect();
        missing.sort();
        Ok(Some(Lineage {
            roots,
            versions,
            edges,
            missing,
            depth,
            truncated,
        }))
    }
}
