//! `get`: read the blob's placement from the chain → fetch its manifest from any holder and
//! check it against the on-chain commitment → fetch the fastest k shards of each chunk,
//! verify each against its root → decode → decrypt → write in order.
//!
//! Works with any m holders gone: a shard request that fails or straggles makes the next
//! shard index be asked for, and the slowest requests are dropped once k good shards of a
//! chunk are in hand.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::pda;
use basalt::state::{Blob, Grant};
use basalt_core::{BlobId, BlobManifest, CheckedShard, ChunkDecoder, Cid, DataKey, StoredManifest};
use futures::stream::{FuturesUnordered, StreamExt};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::chain::{ChainClient, ChainError};
use crate::node::{NodeClient, NodeError};
use crate::put::wallet_signing_key;

/// How to read a blob.
#[derive(Debug, Clone)]
pub struct GetOptions {
    /// Chunks fetched at once.
    pub parallel_chunks: usize,
    /// One shard request's time limit.
    pub shard_timeout: Duration,
    /// Ask one more holder when a chunk's k shards are not all in after this long.
    pub hedge_after: Duration,
}

impl Default for GetOptions {
    fn default() -> Self {
        Self {
            parallel_chunks: 4,
            shard_timeout: Duration::from_secs(30),
            hedge_after: Duration::from_millis(500),
        }
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

/// Reads blob `id` with `wallet`'s access and writes its plaintext to `out`. `progress`
/// is called with the bytes written so far.
///
/// # Errors
///
/// [`GetError`]. Nothing unverified is ever written: a chunk is written only after each of
/// its shards matched the committed root.
pub async fn get<W: Write + Send + 'static>(
    chain: &ChainClient,
    wallet: &Keypair,
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
    let holders = holders_of(chain, wallet, &blob).await?;
    let stored = fetch_manifest(&blob, id, &holders, options).await?;
    let key = data_key(chain, wallet, &blob, &stored).await?;
    let manifest = Arc::new(stored.manifest);
    let chunk_count = manifest.layout().chunk_count();

    let mut writer = Some(out);
    let mut written = 0u64;
    let mut rejected = Vec::new();
    let mut failed_requests = 0;
    let holders = Arc::new(holders);
    // Each chunk is fetched (and its shards verified) in a task of its own, so chunks move on
    // all runtime threads, and on while this loop waits for a decode. In one task, every
    // fetch and root check ran on one thread and stopped during each decode, and
    // `parallel_chunks` made no difference (network bench, `docs/benchmarks.md`).
    let mut chunks = futures::stream::iter(0..chunk_count)
        .map(|chunk| {
            let (manifest, holders, options) =
                (Arc::clone(&manifest), Arc::clone(&holders), options.clone());
            let id = *id;
            AbortOnDrop(tokio::spawn(async move {
                fetch_chunk(&id, &manifest, &holders, chunk, &options).await
            }))
        })
        .buffered(options.parallel_chunks.max(1));
    while let Some(fetched) = chunks.next().await {
        let fetched =
            fetched.map_err(|e| GetError::Internal(format!("chunk fetch task failed: {e}")))??;
        failed_requests += fetched.failed;
        rejected.extend(fetched.rejected.iter().map(|j| (fetched.chunk, *j)));
        let (manifest, key, w) = (Arc::clone(&manifest), key.clone(), writer.take());
        let (w, len) = tokio::task::spawn_blocking(move || -> Result<(W, u64), GetError> {
            let mut w = w.expect("the writer is put back after every chunk");
            let mut decoder = ChunkDecoder::new(&manifest, key.as_ref())?;
            let decoded = decoder.decode_checked(fetched.chunk, fetched.shards)?;
            w.write_all(&decoded.data)?;
            Ok((w, decoded.data.len() as u64))
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
    Ok(GetReport {
        id: *id,
        cid: Cid::from_digest(blob.cid_digest),
        bytes: written,
        rejected,
        failed_requests,
        elapsed: started.elapsed(),
    })
}

/// A client of each shard index's holder, signing as `wallet` (`None` where the holder's
/// provider account or endpoint is gone).
pub(crate) async fn holders_of(
    chain: &ChainClient,
    wallet: &Keypair,
    blob: &Blob,
) -> Result<Vec<Option<NodeClient>>, ChainError> {
    let signing_key = wallet_signing_key(wallet);
    let http = reqwest::Client::new();
    let endpoints: HashMap<Pubkey, String> = chain
        .providers()
        .await?
        .into_iter()
        .map(|p| (p.authority, p.endpoint))
        .collect();
    Ok(blob
        .shards
        .iter()
        .map(|slot| {
            endpoints
                .get(&slot.provider)
                .map(|url| NodeClient::new(http.clone(), url, signing_key.clone()))
        })
        .collect())
}

/// The first manifest a holder serves that matches the chain's record of the blob.
pub(crate) async fn fetch_manifest(
    blob: &Blob,
    id: &BlobId,
    holders: &[Option<NodeClient>],
    options: &GetOptions,
) -> Result<StoredManifest, GetError> {
    let mut why = Vec::new();
    let mut forbidden = 0;
    for node in holders.iter().flatten() {
        match node.get_manifest(id, options.shard_timeout).await {
            Ok(bytes) => match StoredManifest::decode(&bytes) {
                Ok(stored) => match matches_chain(id, &stored, blob) {
                    Ok(()) => return Ok(stored),
                    Err(e) => why.push(format!("{}: {e}", node.url())),
                },
                Err(e) => why.push(format!("{}: {e}", node.url())),
            },
            Err(e) => {
                forbidden += usize::from(e.is_forbidden());
                why.push(e.to_string());
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

/// Checks a manifest of blob `id` against its Blob account: same blob, CID, layout,
/// encryption, column roots and commitment root. Every shard root in it is then
/// authenticated by the chain.
fn matches_chain(id: &BlobId, stored: &StoredManifest, blob: &Blob) -> Result<(), String> {
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
            .zip(&blob.shards)
            .any(|(root, slot)| *root != slot.column_root)
    {
        return Err("manifest roots differ from the chain's commitment".into());
    }
    Ok(())
}

/// The data key for `wallet`: the owner's from the manifest, anyone else's from their
/// grant on chain. `None` for a blob stored in the clear.
pub(crate) async fn data_key(
    chain: &ChainClient,
    wallet: &Keypair,
    blob: &Blob,
    stored: &StoredManifest,
) -> Result<Option<DataKey>, GetError> {
    if !blob.encrypted {
        return Ok(None);
    }
    let signing_key = wallet_signing_key(wallet);
    if blob.owner == wallet.pubkey() {
        return Ok(Some(basalt_core::unwrap_key(
            &stored.owner_key,
            &signing_key,
        )?));
    }
    let grant_address = pda::grant(&crate::chain::blob_address(&stored.blob), &wallet.pubkey());
    let grant: Option<Grant> = chain.program_account(&grant_address, "Grant").await?;
    match grant {
        Some(g) if !g.wrapped_key.is_empty() => {
            Ok(Some(basalt_core::unwrap_key(&g.wrapped_key, &signing_key)?))
        }
        _ => Err(GetError::NoKey(stored.blob)),
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
/// all arrive), then parity for each failure or straggler.
async fn fetch_chunk(
    id: &BlobId,
    manifest: &BlobManifest,
    holders: &[Option<NodeClient>],
    chunk: u32,
    options: &GetOptions,
) -> Result<FetchedChunk, GetError> {
    let layout = manifest.layout();
    let (k, n) = (usize::from(layout.k()), usize::from(layout.total_shards()));
    let mut shards: Vec<Option<CheckedShard>> = vec![None; n];
    let mut next = 0usize;
    let (mut good, mut failed, mut forbidden) = (0usize, 0usize, 0usize);
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let launch = |j: usize| {
        let node = holders[j].clone();
        let timeout = options.shard_timeout;
        async move {
            let result = match node {
                Some(node) => node.get_shard(id, manifest, chunk, j as u16, timeout).await,
                None => Err(NodeError::BadAnswer {
                    url: "(none)".into(),
                    why: format!("shard {j}'s provider has no registered endpoint"),
                }),
            };
            (j, result)
        }
    };
    while next < k.min(n) {
        in_flight.push(launch(next));
        next += 1;
    }
    while good < k {
        let hedge = tokio::time::sleep(options.hedge_after);
        tokio::pin!(hedge);
        tokio::select! {
            done = in_flight.next() => {
                let Some((j, result)) = done else { break };
                match result {
                    Ok(checked) => {
                        shards[j] = Some(checked);
                        good += 1;
                        continue;
                    }
                    Err(e) if e.is_corrupt() => rejected.push(j as u16),
                    Err(e) => {
                        failed += 1;
                        forbidden += usize::from(e.is_forbidden());
                        errors.push(e.to_string());
                    }
                }
                if next < n {
                    in_flight.push(launch(next));
                    next += 1;
                }
            }
            () = &mut hedge, if next < n => {
                in_flight.push(launch(next));
                next += 1;
            }
        }
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
