//! Repair of this node's own shards. A shard that failed an integrity check when it was
//! read (a RocksDB checksum mismatch, data that no longer hashes to its root) is marked
//! in the store's repair queue and no longer served. Each pass rebuilds the queued shards:
//! for each, the same chunk's shards are fetched from the blob's other holders (any `k`
//! of them, each checked against the committed root in the blob's manifest), the missing
//! one is recomputed by Reed-Solomon, checked against its committed root and written back,
//! which clears its mark.
//!
//! The holders read each other's shards as holders (`api::authorize_blob_read`): they are
//! ciphertext when the owner encrypted, and nobody needs the key to rebuild one.
//! Bounded: at most `repair_concurrency` shards are rebuilt at once, and each reads `k`
//! shards. Idempotent: a pass interrupted at any point leaves the shard marked, and the
//! next pass starts it over; a rebuilt shard written twice is the same bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use basalt_core::{BlobManifest, Cid, ErasureCodec, StoredManifest};
use futures::stream::{self, StreamExt};

use crate::node::Node;
use crate::store::{ShardKey, ShardUpload};

/// How long one shard fetch from a peer may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RepairReport {
    /// Shards marked for repair when the pass began.
    pub queued: usize,
    /// Shards rebuilt and written back.
    pub repaired: usize,
    /// Shards that could not be rebuilt this pass (too few healthy peers, no manifest, a
    /// chain or store error): they stay marked and are tried again.
    pub failed: usize,
}

/// Runs a pass every `interval` until `stop` says so.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let report = pass(&node).await;
        if report.queued > 0 {
            tracing::info!(?report, "repair pass");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass over the store's repair queue.
pub async fn pass(node: &Node) -> RepairReport {
    let store = Arc::clone(&node.store);
    let queue = match tokio::task::spawn_blocking(move || store.repair_queue()).await {
        Ok(Ok(queue)) => queue,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "repair: cannot read the queue");
            return RepairReport::default();
        }
        Err(e) => {
            tracing::error!(error = %e, "repair: queue task failed");
            return RepairReport::default();
        }
    };
    let mut report = RepairReport {
        queued: queue.len(),
        ..RepairReport::default()
    };
    let mut by_blob: HashMap<Cid, Vec<ShardKey>> = HashMap::new();
    for (key, _why) in queue {
        by_blob.entry(key.blob).or_default().push(key);
    }
    for (blob, keys) in by_blob {
        let sources = match sources(node, &blob).await {
            Ok(s) => s,
            Err(why) => {
                report.failed += keys.len();
                tracing::warn!(%blob, %why, "repair: cannot find the blob's holders");
                continue;
            }
        };
        let concurrency = node.config.repair_concurrency.max(1);
        let sources = &sources;
        // In the order they finish, each with its key.
        let results: Vec<(ShardKey, Result<(), String>)> = stream::iter(keys)
            .map(|key| async move { (key, rebuild(node, sources, key).await) })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for (key, result) in &results {
            match result {
                Ok(()) => {
                    report.repaired += 1;
                    node.metrics.shards_repaired.inc();
                }
                Err(why) => {
                    report.failed += 1;
                    tracing::warn!(blob = %key.blob, chunk = key.chunk, shard = key.shard, %why, "repair: not rebuilt");
                }
            }
        }
    }
    if let Err(why) = node.refresh_repair_gauge().await {
        tracing::warn!(%why, "repair: cannot refresh the gauge");
    }
    report
}

/// Where a blob's shards can be fetched from, and its manifest.
struct Sources {
    manifest: BlobManifest,
    /// A client of each index's holder; `None` for an unknown endpoint.
    holders: Vec<Option<basalt_sdk::NodeClient>>,
}

/// The blob's manifest (kept here since the upload) and a client for each other holder.
async fn sources(node: &Node, blob: &Cid) -> Result<Sources, String> {
    let store = Arc::clone(&node.store);
    let cid = *blob;
    let record = tokio::task::spawn_blocking(move || store.get_manifest(&cid))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?
        .ok_or("this node keeps no manifest of the blob")?;
    let manifest = StoredManifest::decode(&record.bytes)
        .map_err(|e| e.to_string())?
        .manifest;
    let endpoints = node
        .chain
        .holder_endpoints(blob)
        .await
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    let holders = endpoints
        .into_iter()
        .map(|endpoint| {
            endpoint
                .map(|url| basalt_sdk::NodeClient::new(http.clone(), &url, node.identity.clone()))
        })
        .collect();
    Ok(Sources { manifest, holders })
}

/// Rebuilds the shard at `key` from `k` of the same chunk's other shards and writes it back.
async fn rebuild(node: &Node, sources: &Sources, key: ShardKey) -> Result<(), String> {
    let manifest = &sources.manifest;
    let layout = manifest.layout();
    let (k, m) = (layout.k(), layout.m());
    let mut shards: Vec<Option<Vec<u8>>> = vec![None; usize::from(k + m)];
    let mut fetched = 0;
    let mut why = Vec::new();
    for (index, holder) in (0u16..).zip(&sources.holders) {
        if fetched == usize::from(k) {
            break;
        }
        let Some(holder) = holder.as_ref().filter(|_| index != key.shard) else {
            continue;
        };
        match holder
            .get_shard(manifest, key.chunk, index, FETCH_TIMEOUT)
            .await
        {
            Ok(shard) => {
                shards[usize::from(index)] = Some(shard.into_data());
                fetched += 1;
            }
            Err(e) => why.push(format!("{}: {e}", holder.url())),
        }
    }
    if fetched < usize::from(k) {
        return Err(format!(
            "{fetched} of the {k} shards needed could be fetched: {}",
            why.join("; ")
        ));
    }
    let header = manifest
        .shard_header(key.chunk, key.shard)
        .ok_or("the manifest has no such shard")?;
    let shard_len = header.shard_len() as usize;
    let rebuilt = tokio::task::spawn_blocking(move || {
        let mut codec = ErasureCodec::new(k, m).map_err(|e| e.to_string())?;
        codec
            .reconstruct_all(&mut shards, shard_len)
            .map_err(|e| e.to_string())?;
        shards[usize::from(key.shard)]
            .take()
            .ok_or_else(|| "the codec restored nothing".to_owned())
    })
    .await
    .map_err(|e| e.to_string())??;
    // The rebuilt bytes must be the committed shard, as a fetched one must.
    let rebuilt = manifest
        .check_shard(key.chunk, key.shard, rebuilt)
        .map_err(|_| "the rebuilt shard does not hash to its committed root".to_owned())?
        .into_data();
    let store = Arc::clone(&node.store);
    tokio::task::spawn_blocking(move || {
        let uploader = store
            .head(&key)
            .ok()
            .flatten()
            .map_or([0; 32], |(_, uploader)| uploader);
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        store.put(&ShardUpload::new(&header, &rebuilt), uploader, now_ms)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    Ok(())
}
