//! Helpers shared by the indexer's tests.
#![allow(dead_code)]

pub mod db;

use anyhow::Result;
use basalt::client::decode::BasaltEvent;
use basalt_indexer::record::{EventRecord, TxRecord};
use serde_json::Value;
use sqlx::PgPool;

/// Tables whose rows are keyed by the event that made them.
const BY_EVENT: &[&str] = &[
    "stake_changes",
    "payouts",
    "proofs",
    "slashes",
    "reputation",
];
/// Tables with a natural key.
const NATURAL: &[(&str, &str)] = &[
    ("config", "id"),
    ("providers", "address"),
    ("blobs", "address"),
    ("placements", "blob, shard_index"),
    ("grants", "blob, grantee"),
    ("deals", "address"),
    ("jobs", "address"),
    ("job_results", "job, worker"),
    ("datasets", "address"),
    ("dataset_grants", "dataset, grantee"),
    ("versions", "address"),
    ("version_parents", "version, position"),
    ("transactions", "signature"),
    ("undecoded", "signature, inner_index"),
];

/// Every table of the index as JSON, independent of the event ids the sequence handed
/// out (a replay after a crash consumes other ids): events are named by (signature,
/// position) instead. Two indexes of the same chain must have equal snapshots. A reorg's
/// notices (`ChainReorganized`) are the index's own history, not the chain's, and are
/// left out.
pub async fn snapshot(pool: &PgPool) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let events: Value = sqlx::query_scalar(
        "SELECT coalesce(jsonb_agg(to_jsonb(e) - 'id' - 'commitment' ORDER BY e.id), '[]') \
         FROM events e WHERE kind <> 'ChainReorganized'",
    )
    .fetch_one(pool)
    .await?;
    out.push(("events".into(), events));
    for table in BY_EVENT {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) - 'event_id' \
                 || jsonb_build_object('event', e.signature || ':' || e.event_index) \
                 ORDER BY e.id), '[]') \
             FROM {table} t JOIN events e ON e.id = t.event_id"
        ))
        .fetch_one(pool)
        .await?;
        out.push(((*table).into(), rows));
    }
    for (table, key) in NATURAL {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY {key}), '[]') FROM {table} t"
        ))
        .fetch_one(pool)
        .await?;
        out.push(((*table).into(), rows));
    }
    let cursor: Value = sqlx::query_scalar(
        "SELECT coalesce(jsonb_agg(to_jsonb(c) - 'updated_at' - 'finalized_slot'), '[]') \
         FROM cursors c",
    )
    .fetch_one(pool)
    .await?;
    out.push(("cursors".into(), cursor));
    Ok(out)
}

/// Asserts two snapshots are equal, naming the first table that differs.
pub fn assert_same(a: &[(String, Value)], b: &[(String, Value)]) {
    for ((table, x), (_, y)) in a.iter().zip(b) {
        assert_eq!(x, y, "table {table} differs");
    }
}

/// Rows in `table`.
pub async fn count(pool: &PgPool, table: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await?)
}

/// Rows in `table` matching `condition`.
pub async fn count_where(pool: &PgPool, table: &str, condition: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE {condition}"))
            .fetch_one(pool)
            .await?,
    )
}

/// Transaction `n` (signature `txNNNN`, slot 100 + n) emitting `events` in order.
pub fn tx(n: u64, events: Vec<BasaltEvent>) -> TxRecord {
    TxRecord {
        signature: format!("tx{n:04}"),
        slot: 100 + n,
        block_time: Some(1_800_000_000),
        error: None,
        events: (0u32..)
            .zip(&events)
            .map(|(i, e)| (i, EventRecord::of(e)))
            .collect(),
        undecoded: Vec::new(),
        truncated_logs: false,
    }
}

/// Serves the API of `url`'s index (of `program_id`) on a free port; returns its base URL.
pub async fn serve(url: &str, program_id: &str) -> Result<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let options = basalt_indexer::IndexerOptions {
        database_url: url.to_owned(),
        follow: None,
        listen: Some("127.0.0.1:0".parse()?),
        program_id: program_id.into(),
        liveness: basalt_core::LivenessThresholds::default(),
        explorer: basalt_indexer::explorer::ExplorerOptions::default(),
    };
    tokio::spawn(basalt_indexer::run(
        options,
        std::future::pending(),
        move |addr| {
            let _ = tx.send(addr);
        },
    ));
    let addr = tokio::time::timeout(std::time::Duration::from_secs(30), rx).await??;
    Ok(format!("http://{addr}"))
}

/// GETs `url`: its status and JSON body (`Null` when the body is not JSON).
pub async fn get(url: String) -> Result<(u16, Value)> {
    let r = reqwest::get(url).await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}
