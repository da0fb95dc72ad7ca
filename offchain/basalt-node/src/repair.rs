//! Repair of the shards this node should hold. Two cases: a shard of its own that rots,
//! and a whole column it was offered by a repair placement (`crank.rs` places a lost
//! index on an online provider and tells its node, which rebuilds the column here and
//! then accepts it). A shard that failed an integrity check when it was
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

use basalt_core::{BlobId, BlobManifest, ErasureCodec, StoredManifest};
use futures::stream::{self, StreamExt};

use crate::chain::Placement;
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
    /// Repair offers this node was told of (`POST /v1/placements/{blob}`), and the columns
    /// rebuilt for them.
    pub columns: usize,
    pub columns_rebuilt: usize,
}

/// Runs a pass every `interval` until `stop` says so.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let report = pass(&node).await;
        if report.queued > 0 || report.columns > 0 {
            tracing::info!(?report, "repair pass");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = node.repair_wanted.notified() => {}
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
    let mut by_blob: HashMap<BlobId, Vec<ShardKey>> = HashMap::new();
    for (key, _why) in queue {
        by_blob.entry(key.blob).or_default().push(key);
    }
    for (blob, keys) in by_blob {
        let sources = match sources(node, &blob, None).await {
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
    let offers: Vec<BlobId> = node
        .repair_offers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .copied()
        .collect();
    for blob in offers {
        report.columns += 1;
        match rebuild_column(node, &blob).await {
            Ok(rebuilt) => {
                if rebuilt {
                    report.columns_rebuilt += 1;
                    node.metrics.columns_rebuilt.inc();
                    tracing::info!(%blob, "repair: column rebuilt for an offered index");
                }
                node.repair_offers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&blob);
            }
            Err(why) => tracing::warn!(%blob, %why, "repair: column not rebuilt; tried again"),
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

/// The blob's manifest and a client for each holder. The manifest is the one kept here
/// since the upload; a node that never held the blob (a repair offer) fetches it from the
/// other holders, takes the first whose root for `expect`'s index is the placed column
/// root, and keeps it.
async fn sources(
    node: &Node,
    blob: &BlobId,
    expect: Option<(u16, [u8; 32])>,
) -> Result<Sources, String> {
    let endpoints = node
        .chain
        .holder_endpoints(blob)
        .await
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    let holders: Vec<Option<basalt_sdk::NodeClient>> = endpoints
        .into_iter()
        .map(|endpoint| {
            endpoint.map(|url| basalt_sdk::NodeClient::new(http.clone(), &url, node.key.clone()))
        })
        .collect();
    let store = Arc::clone(&node.store);
    let id = *blob;
    let kept = tokio::task::spawn_blocking(move || store.get_manifest(&id))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let manifest = match kept {
        Some(record) => {
            StoredManifest::decode(&record.bytes)
                .map_err(|e| e.to_string())?
                .manifest
        }
        None => {
            let (index, column_root) = expect.ok_or("this node keeps no manifest of the blob")?;
            fetch_manifest(node, blob, &holders, index, &column_root).await?
        }
    };
    Ok(Sources { manifest, holders })
}

/// A manifest of `blob` from one of `holders` whose column root for `index` is
/// `column_root` (the chain's, so every shard root of that column is authenticated),
/// stored here.
async fn fetch_manifest(
    node: &Node,
    blob: &BlobId,
    holders: &[Option<basalt_sdk::NodeClient>],
    index: u16,
    column_root: &[u8; 32],
) -> Result<BlobManifest, String> {
    let mut why = Vec::new();
    for (i, holder) in (0u16..).zip(holders) {
        let Some(holder) = holder.as_ref().filter(|_| i != index) else {
            continue;
        };
        let bytes = match holder.get_manifest(blob, FETCH_TIMEOUT).await {
            Ok(bytes) => bytes,
            Err(e) => {
                why.push(e.to_string());
                continue;
            }
        };
        let stored = match StoredManifest::decode(&bytes) {
            Ok(stored) => stored,
            Err(e) => {
                why.push(format!("{}: {e}", holder.url()));
                continue;
            }
        };
        let root = stored
            .manifest
            .commitment
            .column_roots()
            .get(usize::from(index));
        if stored.blob != *blob || root != Some(column_root) {
            why.push(format!(
                "{}: a manifest of another column root",
                holder.url()
            ));
            continue;
        }
        let store = Arc::clone(&node.store);
        let id = *blob;
        tokio::task::spawn_blocking(move || store.put_manifest(&id, &bytes, [0; 32], now_ms()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        return Ok(stored.manifest);
    }
    Err(format!("no holder served a manifest: {}", why.join("; ")))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Rebuilds every chunk's shard of the index this node was offered in `blob` (a repair
/// placement), then lets the acceptor accept it. `Ok(false)` when no offer awaits this
/// node any more (accepted, lapsed, or placed elsewhere): nothing to do.
async fn rebuild_column(node: &Node, blob: &BlobId) -> Result<bool, String> {
    let offer = match node
        .chain
        .placement(blob, &node.address())
        .await
        .map_err(|e| e.to_string())?
    {
        Placement::Offered(offer) => offer,
        Placement::Unregistered | Placement::Settled => return Ok(false),
    };
    let sources = sources(node, blob, Some((offer.index, offer.column_root))).await?;
    let keys: Vec<ShardKey> = (0..sources.manifest.layout().chunk_count())
        .map(|chunk| ShardKey {
            blob: *blob,
            chunk,
            shard: offer.index,
        })
        .collect();
    // Told again before its acceptor accepted: what was rebuilt is not fetched again.
    let store = Arc::clone(&node.store);
    let keys = tokio::task::spawn_blocking(move || {
        keys.into_iter()
            .filter(|key| !matches!(store.head(key), Ok(Some(_))))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| e.to_string())?;
    let sources = &sources;
    let failed: Vec<String> = stream::iter(keys)
        .map(|key| async move { rebuild(node, sources, key).await })
        .buffer_unordered(node.config.repair_concurrency.max(1))
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    if let Some(why) = failed.first() {
        return Err(format!("{} chunks not rebuilt: {why}", failed.len()));
    }
    // The column is whole here: the acceptor checks it against the offer and accepts.
    node.note_upload(*blob);
    node.placement_registered.notify_one();
    Ok(true)
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
            .get_shard(&key.blob, manifest, key.chunk, index, FETCH_TIMEOUT)
            .await
        {
            Ok(shard) => {
                let data = shard.into_data();
                node.metrics.repair_fetched_bytes.inc_by(data.len() as u64);
                shards[usize::from(index)] = Some(data);
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
        .shard_header(key.blob, key.chunk, key.shard)
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
        store.put(&ShardUpload::new(&header, &rebuilt), uploader, now_ms())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    Ok(())
}
