//! `get`: read the blob's placement from the chain → fetch its manifest from any holder and
//! check it against the on-chain commitment → fetch the fastest k shards of each chunk,
//! verify each against its root → decode → decrypt → write in order.
//!
//! Works with any m holders gone or hung: a request that fails makes the next holder be
//! asked at once, one that has not answered within the hedge delay ([`crate::latency`]) has
//! another raced against it, and the slowest requests are dropped once k good shards of a
//! chunk are in hand. The manifest is fetched the same way. [`GetReport::holders`] says
//! what each holder did.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use basalt_core::encryption::TAG_LEN;
use basalt_core::{BlobId, BlobManifest, CheckedShard, ChunkDecoder, Cid, DataKey, StoredManifest};
use futures::stream::{FuturesUnordered, StreamExt};
use solana_keypair::Keypair;

use crate::backend::solana::SolanaBackend;
use crate::backend::{BlobRecord, ChainBackend};
use crate::chain::{ChainClient, ChainError};
use crate::latency::{Latencies, LatencyPolicy};
use crate::node::{NodeClient, NodeError};

/// How to read a blob.
#[derive(Debug, Clone)]
pub struct GetOptions {
    /// Chunks fetched at once.
    pub parallel_chunks: usize,
    /// One request's time limit. A hung holder never costs this much: another holder is
    /// asked once the hedge delay passed.
    pub shard_timeout: Duration,
    /// When another holder is raced against a request that has not answered.
    pub hedge: LatencyPolicy,
    /// The blob's data key when the reader holds it already (a private dataset's blob,
    /// derived from the dataset's key); otherwise the owner's wrapped key in the manifest,
    /// or the reader's grant, gives it.
    pub data_key: Option<DataKey>,
    /// Only these plaintext bytes (a half-open range); only the chunks holding them are
    /// fetched. A range past the end is cut at the end. The whole blob when `None`.
    pub range: Option<Range<u64>>,
}

impl Default for GetOptions {
    fn default() -> Self {
        Self {
            parallel_chunks: 4,
            shard_timeout: Duration::from_secs(30),
            hedge: LatencyPolicy::HEDGE,
            data_key: None,
            range: None,
        }
    }
}

/// What one holder (one shard index) did for a read, so that an operator sees a gray
/// failure: a node that answers nothing shows as hedged, timed out or cancelled requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolderReport {
    pub index: u16,
    /// Its registered endpoint (`None`: the provider has none).
    pub url: Option<String>,
    /// Requests it answered with verified data (the manifest or shards).
    pub served: u32,
    /// Requests it had not answered within the hedge delay, so another holder was asked.
    pub hedged: u32,
    /// Requests that ran out their time limit.
    pub timed_out: u32,
    /// Requests it refused or broke off.
    pub failed: u32,
    /// Shards it sent that failed their root check.
    pub corrupt: u32,
    /// Requests still unanswered when the read no longer needed them.
    pub cancelled: u32,
    /// Its last error.
    pub error: Option<String>,
}

impl HolderReport {
    fn count_error(&mut self, error: &NodeError) {
        if error.is_corrupt() {
            self.corrupt += 1;
        } else if error.is_timeout() {
            self.timed_out += 1;
        } else {
            self.failed += 1;
        }
        self.error = Some(error.to_string());
    }
}

/// What a read learns as it goes, shared by its concurrent requests: the latencies that
/// set the hedge delay, and what each holder did.
pub(crate) struct ReadState {
    latencies: Latencies,
    holders: Mutex<Vec<HolderReport>>,
}

impl ReadState {
    pub(crate) fn new(options: &GetOptions, holders: &[Option<NodeClient>]) -> Self {
        Self {
            latencies: Latencies::new(options.hedge),
            holders: Mutex::new(
                holders
                    .iter()
                    .enumerate()
                    .map(|(j, node)| HolderReport {
                        index: j as u16,
                        url: node.as_ref().map(|n| n.url().to_owned()),
                        ..HolderReport::default()
                    })
                    .collect(),
            ),
        }
    }

    /// Applies `update` to holder `j`'s report.
    fn holder(&self, j: usize, update: impl FnOnce(&mut HolderReport)) {
        let mut holders = self
            .holders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(report) = holders.get_mut(j) {
            update(report);
        }
    }

    fn answered(&self, j: usize, latency: Duration) {
        self.latencies.record(latency);
        self.holder(j, |h| h.served += 1);
    }

    fn into_reports(self) -> Vec<HolderReport> {
        self.holders
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a get did.
#[derive(Debug, Clone)]
pub struct GetReport {
    pub id: BlobId,
    /// The content's CID, as the chain records it.
    pub cid: Cid,
    /// Plaintext bytes written.
    pub bytes: u64,
    /// Shards that failed their root check, as (chunk, shard index): the holders served
    /// corrupt data and the shards need repair.
    pub rejected: Vec<(u32, u16)>,
    /// Shard requests that failed (holder down, refused, timed out).
    pub failed_requests: usize,
    /// Per shard index, what its holder did.
    pub holders: Vec<HolderReport>,
    pub elapsed: Duration,
}

/// Why a get failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("no blob {0} is registered on this chain")]
    NotFound(BlobId),
    #[error("blob {0} is registered but its shards are not all placed yet")]
    NotActive(BlobId),
    #[error("no holder of blob {id} served a manifest that matches the chain: {why}")]
    Manifest { id: BlobId, why: String },
    #[error(
        "blob {0} is encrypted and this wallet holds no key for it: ask its owner for a READ grant"
    )]
    NoKey(BlobId),
    /// A READ grant on an encrypted blob carries the data key wrapped for the grantee,
    /// which takes its public key: an EVM address is a hash of it.
    #[error("granting READ on an encrypted blob needs {0}'s public key, not its address")]
    NeedsPublicKey(basalt_core::Caller),
    #[error("the data key for this wallet does not open: {0}")]
    Key(#[from] basalt_core::CryptoError),
    #[error("chunk {chunk}: only {good} of the {needed} shards needed could be fetched and verified ({why})")]
    NotEnoughShards {
        chunk: u32,
        good: usize,
        needed: usize,
        why: String,
    },
    #[error("this wallet may not read blob {0}: the holders refused (no grant, not public)")]
    Forbidden(BlobId),
    #[error("decoding: {0}")]
    Decode(#[from] basalt_core::DecodeError),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

/// Reads blob `id` from the Basalt program with `wallet`'s access: [`get_from`] with
/// Solana's [`SolanaBackend`].
///
/// # Errors
///
/// [`GetError`], as [`get_from`].
pub async fn get<W: Write + Send + 'static>(
    chain: &ChainClient,
    wallet: &Keypair,
    id: &BlobId,
    out: W,
    options: &GetOptions,
    progress: impl Fn(u64) + Send + Sync,
) -> Result<GetReport, GetError> {
    get_from(
        &SolanaBackend::new(chain, wallet),
        id,
        out,
        options,
        progress,
    )
    .await
}

/// Reads blob `id` from `chain` with its wallet's access and writes its plaintext to
/// `out`. `progress` is called with the bytes written so far.
///
/// # Errors
///
/// [`GetError`]. Nothing unverified is ever written: a chunk is written only after each of
/// its shards matched the committed root.
pub async fn get_from<W: Write + Send + 'static>(
    chain: &impl ChainBackend,
    id: &BlobId,
    out: W,
    options: &GetOptions,
    progress: impl Fn(u64) + Send + Sync,
) -> Result<GetReport, GetError> {
    let started = Instant::now();
    let blob = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
    if !blob.is_placed() {
        return Err(GetError::NotActive(*id));
    }
    let holders = holders_of(chain, &blob).await?;
    let state = Arc::new(ReadState::new(options, &holders));
    let stored = fetch_manifest(&blob, id, &holders, options, &state).await?;
    let key = match (&options.data_key, blob.encrypted) {
        (Some(key), true) => Some(key.clone()),
        _ => data_key(chain, &blob, &stored).await?,
    };
    let manifest = Arc::new(stored.manifest);
    let layout = manifest.layout();
    let plain_per_chunk =
        u64::from(layout.chunk_size()) - if blob.encrypted { TAG_LEN as u64 } else { 0 };
    let wanted = options.range.clone();
    let chunk_span = match &wanted {
        Some(range) => chunks_holding(range, plain_per_chunk, layout.chunk_count()),
        None => 0..layout.chunk_count(),
    };

    let mut writer = Some(out);
    let mut written = 0u64;
    let mut rejected = Vec::new();
    let mut failed_requests = 0;
    let holders = Arc::new(holders);
    // Each chunk is fetched (and its shards verified) in a task of its own, so chunks move on
    // all runtime threads, and on while this loop waits for a decode. In one task, every
    // fetch and root check ran on one thread and stopped during each decode, and
    // `parallel_chunks` made no difference (network bench, `docs/benchmarks.md`).
    let mut chunks = futures::stream::iter(chunk_span)
        .map(|chunk| {
            let (manifest, holders, options, state) = (
                Arc::clone(&manifest),
                Arc::clone(&holders),
                options.clone(),
                Arc::clone(&state),
            );
            let id = *id;
            AbortOnDrop(tokio::spawn(async move {
                fetch_chunk(&id, &manifest, &holders, chunk, &options, &state).await
            }))
        })
        .buffered(options.parallel_chunks.max(1));
    while let Some(fetched) = chunks.next().await {
        let fetched =
            fetched.map_err(|e| GetError::Internal(format!("chunk fetch task failed: {e}")))??;
        failed_requests += fetched.failed;
        rejected.extend(fetched.rejected.iter().map(|j| (fetched.chunk, *j)));
        let (manifest, key, w) = (Arc::clone(&manifest), key.clone(), writer.take());
        let chunk_start = u64::from(fetched.chunk) * plain_per_chunk;
        let wanted = wanted.clone();
        let (w, len) = tokio::task::spawn_blocking(move || -> Result<(W, u64), GetError> {
            let mut w = w.expect("the writer is put back after every chunk");
            let mut decoder = ChunkDecoder::new(&manifest, key.as_ref())?;
            let decoded = decoder.decode_checked(fetched.chunk, fetched.shards)?;
            let part = match &wanted {
                Some(range) => clip(range, chunk_start, decoded.data.len()),
                None => 0..decoded.data.len(),
            };
            w.write_all(&decoded.data[part.clone()])?;
            Ok((w, part.len() as u64))
        })
        .await
        .map_err(|e| GetError::Internal(format!("decode task failed: {e}")))??;
        writer = Some(w);
        written += len;
        progress(written);
    }
    if let Some(mut w) = writer {
        w.flush()?;
    }
    // Every chunk task has ended: the read state is this function's alone again.
    drop(chunks);
    let holders = Arc::try_unwrap(state)
        .map(ReadState::into_reports)
        .unwrap_or_default();
    Ok(GetReport {
        id: *id,
        cid: Cid::from_digest(blob.cid_digest),
        bytes: written,
        rejected,
        failed_requests,
        holders,
        elapsed: started.elapsed(),
    })
}

/// The chunks holding plaintext bytes `range` of a blob of `chunk_count` chunks, each
/// holding `per_chunk` plaintext bytes (the last one fewer).
fn chunks_holding(range: &Range<u64>, per_chunk: u64, chunk_count: u32) -> Range<u32> {
    if range.is_empty() || per_chunk == 0 {
        return 0..0;
    }
    let end = ((range.end - 1) / per_chunk + 1).min(u64::from(chunk_count));
    let first = (range.start / per_chunk).min(end);
    // INV: end <= chunk_count, so both fit in u32.
    first as u32..end as u32
}

/// Which of a chunk's `len` decoded bytes, starting at plaintext offset `chunk_start`,
/// fall in `range`.
fn clip(range: &Range<u64>, chunk_start: u64, len: usize) -> Range<usize> {
    let chunk_end = chunk_start + len as u64;
    let start = range.start.clamp(chunk_start, chunk_end) - chunk_start;
    let end = range.end.clamp(chunk_start, chunk_end) - chunk_start;
    // INV: both are at most len.
    start as usize..end.max(start) as usize
}

/// A client of each shard index's holder, signing as the chain's wallet (`None` where the
/// index is unplaced or its holder's registration or endpoint is gone).
pub(crate) async fn holders_of(
    chain: &impl ChainBackend,
    blob: &BlobRecord,
) -> Result<Vec<Option<NodeClient>>, ChainError> {
    let http = reqwest::Client::new();
    let placed: Vec<_> = blob.slots.iter().filter_map(|s| s.provider).collect();
    let mut endpoints = chain.endpoints(&placed).await?.into_iter();
    Ok(blob
        .slots
        .iter()
        .map(|slot| {
            slot.provider
                .and_then(|_| endpoints.next().flatten())
                .map(|url| NodeClient::new(http.clone(), &url, chain.wallet().clone()))
        })
        .collect())
}

/// The first manifest a holder serves that matches the chain's record of the blob. The
/// holders are asked in turn, the next one as soon as a request fails or the hedge delay
/// passed without an answer, the earlier requests still running: a hung holder costs one
/// hedge delay, not a timeout.
pub(crate) async fn fetch_manifest(
    blob: &BlobRecord,
    id: &BlobId,
    holders: &[Option<NodeClient>],
    options: &GetOptions,
    state: &ReadState,
) -> Result<StoredManifest, GetError> {
    let mut why = Vec::new();
    let mut forbidden = 0;
    let mut candidates = holders
        .iter()
        .enumerate()
        .filter_map(|(j, node)| node.as_ref().map(|node| (j, node)));
    let ask = |(j, node): (usize, &NodeClient)| {
        let node = node.clone();
        async move {
            let started = Instant::now();
            let answer = node.get_manifest(id, options.shard_timeout).await;
            (j, node.url().to_owned(), started.elapsed(), answer)
        }
    };
    let mut in_flight = FuturesUnordered::new();
    // The holders asked and not answered yet, in the order asked.
    let mut pending: Vec<usize> = Vec::new();
    let mut ask_next = |in_flight: &mut FuturesUnordered<_>, pending: &mut Vec<usize>| {
        candidates.next().map(|candidate| {
            pending.push(candidate.0);
            in_flight.push(ask(candidate));
        })
    };
    let mut more = ask_next(&mut in_flight, &mut pending).is_some();
    while !in_flight.is_empty() {
        let hedge = tokio::time::sleep(state.latencies.bound());
        tokio::select! {
            Some((j, url, latency, answer)) = in_flight.next() => {
                pending.retain(|&p| p != j);
                match answer {
                    Err(e) => {
                        forbidden += usize::from(e.is_forbidden());
                        state.holder(j, |h| h.count_error(&e));
                        why.push(e.to_string());
                    }
                    Ok(bytes) => match checked_manifest(id, &bytes, blob) {
                        Ok(stored) => {
                            state.answered(j, latency);
                            for &p in &pending {
                                state.holder(p, |h| h.cancelled += 1);
                            }
                            return Ok(stored);
                        }
                        Err(e) => {
                            state.holder(j, |h| {
                                h.corrupt += 1;
                                h.error = Some(e.clone());
                            });
                            why.push(format!("{url}: {e}"));
                        }
                    },
                }
                if more {
                    more = ask_next(&mut in_flight, &mut pending).is_some();
                }
            }
            () = hedge, if more => {
                if let Some(&slow) = pending.last() {
                    state.holder(slow, |h| h.hedged += 1);
                }
                more = ask_next(&mut in_flight, &mut pending).is_some();
            }
        }
    }
    if forbidden > 0 && forbidden == why.len() {
        return Err(GetError::Forbidden(*id));
    }
    Err(GetError::Manifest {
        id: *id,
        why: if why.is_empty() {
            "no holder has a known endpoint".into()
        } else {
            why.join("; ")
        },
    })
}

/// Decodes a manifest of blob `id` a holder served and checks it against the chain.
fn checked_manifest(
    id: &BlobId,
    bytes: &[u8],
    blob: &BlobRecord,
) -> Result<StoredManifest, String> {
    let stored = StoredManifest::decode(bytes).map_err(|e| e.to_string())?;
    matches_chain(id, &stored, blob)?;
    Ok(stored)
}

/// Checks a manifest of blob `id` against its Blob account: same blob, CID, layout,
/// encryption, column roots and commitment root. Every shard root in it is then
/// authenticated by the chain.
fn matches_chain(id: &BlobId, stored: &StoredManifest, blob: &BlobRecord) -> Result<(), String> {
    let manifest = &stored.manifest;
    let l = manifest.layout();
    if stored.blob != *id || manifest.cid.digest() != &blob.cid_digest {
        return Err("manifest is for another blob".into());
    }
    if (l.size(), l.chunk_size(), l.leaf_size(), l.k(), l.m())
        != (blob.size, blob.chunk_size, blob.leaf_size, blob.k, blob.m)
    {
        return Err("manifest layout differs from the chain's".into());
    }
    if manifest.encrypted != blob.encrypted {
        return Err("manifest's encryption flag differs from the chain's".into());
    }
    if manifest.commitment.commitment_root() != blob.commitment_root
        || manifest
            .commitment
            .column_roots()
            .iter()
            .zip(&blob.slots)
            .any(|(root, slot)| *root != slot.column_root)
    {
        return Err("manifest roots differ from the chain's commitment".into());
    }
    Ok(())
}

/// The data key for the chain's wallet: the owner's from the manifest, anyone else's from
/// their grant on chain. `None` for a blob stored in the clear.
pub(crate) async fn data_key(
    chain: &impl ChainBackend,
    blob: &BlobRecord,
    stored: &StoredManifest,
) -> Result<Option<DataKey>, GetError> {
    if !blob.encrypted {
        return Ok(None);
    }
    let wallet = chain.wallet();
    let me = wallet.caller();
    if blob.owner == me {
        return Ok(Some(basalt_core::unwrap_key_with(
            &stored.owner_key,
            wallet,
        )?));
    }
    match chain.wrapped_key(&stored.blob, &me).await? {
        Some(wrapped) => Ok(Some(basalt_core::unwrap_key_with(&wrapped, wallet)?)),
        None => Err(GetError::NoKey(stored.blob)),
    }
}

/// A spawned task, aborted when dropped: a get that fails or is dropped stops the fetches
/// it started instead of leaving them running.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

/// The shards of one chunk as fetched: k verified ones, the rest `None`.
struct FetchedChunk {
    chunk: u32,
    shards: Vec<Option<CheckedShard>>,
    rejected: Vec<u16>,
    failed: usize,
}

/// Fetches k verified shards of `chunk`: data shards first (no decoding needed when they
/// all arrive), then parity for each failure, and for each request unanswered after the
/// hedge delay.
async fn fetch_chunk(
    id: &BlobId,
    manifest: &BlobManifest,
    holders: &[Option<NodeClient>],
    chunk: u32,
    options: &GetOptions,
    state: &ReadState,
) -> Result<FetchedChunk, GetError> {
    let layout = manifest.layout();
    let (k, n) = (usize::from(layout.k()), usize::from(layout.total_shards()));
    let mut shards: Vec<Option<CheckedShard>> = vec![None; n];
    let mut next = 0usize;
    let (mut good, mut failed, mut forbidden) = (0usize, 0usize, 0usize);
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    // Requests not answered yet: when each was sent, and whether another was raced
    // against it already.
    let mut pending: HashMap<usize, (Instant, bool)> = HashMap::new();
    let launch = |j: usize| {
        let node = holders[j].clone();
        let timeout = options.shard_timeout;
        async move {
            let started = Instant::now();
            let result = match node {
                Some(node) => node.get_shard(id, manifest, chunk, j as u16, timeout).await,
                None => Err(NodeError::BadAnswer {
                    url: "(none)".into(),
                    why: format!("shard {j}'s provider has no registered endpoint"),
                }),
            };
            (j, started.elapsed(), result)
        }
    };
    while next < k.min(n) {
        pending.insert(next, (Instant::now(), false));
        in_flight.push(launch(next));
        next += 1;
    }
    while good < k {
        // The oldest request nothing was raced against yet, and when its hedge is due.
        let due = pending
            .iter()
            .filter(|(_, (_, hedged))| !hedged)
            .min_by_key(|(_, (sent, _))| *sent)
            .map(|(j, (sent, _))| (*j, *sent + state.latencies.bound()));
        let hedge = async move {
            match due {
                Some((_, at)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            done = in_flight.next() => {
                let Some((j, latency, result)) = done else { break };
                pending.remove(&j);
                match result {
                    Ok(checked) => {
                        state.answered(j, latency);
                        shards[j] = Some(checked);
                        good += 1;
                        continue;
                    }
                    Err(e) => {
                        state.holder(j, |h| h.count_error(&e));
                        if e.is_corrupt() {
                            rejected.push(j as u16);
                        } else {
                            failed += 1;
                            forbidden += usize::from(e.is_forbidden());
                            errors.push(e.to_string());
                        }
                    }
                }
                if next < n {
                    pending.insert(next, (Instant::now(), false));
                    in_flight.push(launch(next));
                    next += 1;
                }
            }
            () = hedge, if next < n => {
                if let Some((slow, _)) = due {
                    state.holder(slow, |h| h.hedged += 1);
                    if let Some(entry) = pending.get_mut(&slow) {
                        entry.1 = true;
                    }
                }
                pending.insert(next, (Instant::now(), false));
                in_flight.push(launch(next));
                next += 1;
            }
        }
    }
    for &j in pending.keys() {
        state.holder(j, |h| h.cancelled += 1);
    }
    // Dropping `in_flight` cancels the stragglers still running.
    drop(in_flight);
    if good < k {
        if forbidden > 0 && forbidden == errors.len() {
            return Err(GetError::Forbidden(*id));
        }
        return Err(GetError::NotEnoughShards {
            chunk,
            good,
            needed: k,
            why: if rejected.is_empty() {
                errors.join("; ")
            } else {
                format!("corrupt shards {rejected:?}; {}", errors.join("; "))
            },
        });
    }
    Ok(FetchedChunk {
        chunk,
        shards,
        rejected,
        failed,
    })
}

/// A `Write` that keeps what it is given, for reading a small blob into memory with
/// [`get`] (which takes its writer by value): clone it, hand one clone to `get`, take the
/// bytes from the other.
#[derive(Clone, Default)]
pub struct MemoryWriter(Arc<std::sync::Mutex<Vec<u8>>>);

impl MemoryWriter {
    /// The bytes written so far, leaving it empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Write for MemoryWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_fetches_only_the_chunks_holding_it_and_keeps_only_its_bytes() {
        // 3 chunks of 10 plaintext bytes, the last one 5: bytes 0..25.
        assert_eq!(chunks_holding(&(0..25), 10, 3), 0..3);
        assert_eq!(chunks_holding(&(0..1), 10, 3), 0..1);
        assert_eq!(chunks_holding(&(9..11), 10, 3), 0..2);
        assert_eq!(chunks_holding(&(10..20), 10, 3), 1..2);
        assert_eq!(chunks_holding(&(24..25), 10, 3), 2..3);
        assert_eq!(chunks_holding(&(20..1000), 10, 3), 2..3, "cut at the end");
        assert!(chunks_holding(&(40..50), 10, 3).is_empty(), "past the end");
        assert!(chunks_holding(&(5..5), 10, 3).is_empty());

        assert_eq!(clip(&(9..11), 0, 10), 9..10);
        assert_eq!(clip(&(9..11), 10, 10), 0..1);
        assert_eq!(clip(&(0..25), 20, 5), 0..5);
        assert_eq!(clip(&(22..23), 20, 5), 2..3);
        assert!(clip(&(0..5), 20, 5).is_empty());
    }
}
