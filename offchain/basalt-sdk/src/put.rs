//! `put`: encrypt → chunk → Reed-Solomon → shard Merkle trees → providers from the on-chain
//! registry → parallel upload with signed receipts → manifest on every holder → the
//! wallet's registration, which places the shards and funds the deal (ONE transaction on
//! Solana; four on the EVM, `backend::evm`) → the holders' nodes accept their shards on
//! chain, which `put` waits for. Written once over [`ChainBackend`] ([`put_on`]); [`put`]
//! is its Solana form.
//!
//! Nothing is registered unless every shard has a verified receipt from the provider the
//! transaction names (receipts are signed after the node's durable write). Uploads are
//! idempotent, so a retried shard or a retried `put` of the same blob is harmless.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::anchor_lang::prelude::Pubkey;
use basalt_core::{
    BlobEncoder, BlobId, BlobManifest, Caller, Cid, DataKey, EncodedChunk, Liveness,
    LivenessThresholds, StoredManifest,
};
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};
use solana_keypair::Keypair;
use solana_signature::Signature;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::backend::solana::{solana_account, SolanaBackend};
use crate::backend::{ChainBackend, StorageProvider};
use crate::chain::{ChainClient, ChainError};
use crate::latency::{Latencies, LatencyPolicy};
use crate::node::{NodeClient, NodeError};

/// Whose blob a put registers, and who pays for it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Registrar {
    /// The wallet registers, places and funds a blob of its own.
    #[default]
    Owner,
    /// The wallet, a worker that revealed job `job`'s agreed result, registers the job's
    /// output as a blob of the job's `requester`, paid by the job's output budget
    /// (`job_output_register`): the program sets the expiry, the price and the access
    /// (public when plain, private when sealed), so [`PutOptions::epochs`],
    /// [`PutOptions::price_per_shard_epoch`] and [`PutOptions::public`] are not used; an
    /// encrypted output's key is wrapped for the requester.
    JobOutput { job: Pubkey, requester: Pubkey },
    /// The wallet, a worker that revealed the job's agreed result, stores the manifest of
    /// the version the job's requester asked its output to be published as, and publishes
    /// it (`job_output_publish`): the manifest is a public blob of the requester's, paid
    /// by the job's publication budget, so the same options are unused as for
    /// [`Registrar::JobOutput`].
    JobPublication(JobPublicationTarget),
}

/// The version a job's output is published as, and the accounts its publication names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPublicationTarget {
    pub job: Pubkey,
    pub requester: Pubkey,
    pub dataset: Pubkey,
    pub tag: String,
    /// The job's input version: the published version's parent.
    pub input_version: Option<Pubkey>,
    /// The requester publishes as a WRITE grantee of the dataset, not its owner.
    pub via_grant: bool,
}

/// How to store a blob.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// Whose blob it is (the wallet's own by default).
    pub registrar: Registrar,
    /// Data shards per chunk; the Config's default when `None`.
    pub k: Option<u16>,
    /// Parity shards per chunk; the Config's default when `None`.
    pub m: Option<u16>,
    /// Stored bytes per chunk before coding.
    pub chunk_size: u32,
    /// Encrypt under a fresh data key wrapped for the wallet. Off only for public data.
    pub encrypt: bool,
    /// Encrypt under this key instead of a fresh one (a private dataset's blobs are sealed
    /// under keys derived from the dataset's key: `basalt_core::dataset::DatasetKey`). It is
    /// still wrapped for the owner. Only with `encrypt`.
    pub data_key: Option<DataKey>,
    /// Anyone may read (the chain's public flag).
    pub public: bool,
    /// Epochs of storage to pay for.
    pub epochs: u64,
    /// Stake-token base units per shard per epoch.
    pub price_per_shard_epoch: u64,
    /// Shard uploads in flight at once. Each waits for its holder's durable write (an
    /// fsync), so the default keeps about four RS(10, 4) chunks in flight (~27 MB). The
    /// network bench (`app-tests/benches/network.rs`) found 16 too few on one machine and no
    /// difference on another (`docs/benchmarks.md`), so the choice is not settled.
    pub concurrency: usize,
    /// A shard upload slower than this is cancelled and retried.
    pub shard_timeout: Duration,
    /// While spare providers remain, a holder whose shard upload takes longer than the
    /// bound the other uploads set ([`crate::latency`]) is given up at once, without
    /// retries, and its column moves to a spare: a hung or trickling node costs the put
    /// one bound, not `attempts` timeouts.
    pub stall: LatencyPolicy,
    /// Attempts per shard before the put gives up.
    pub attempts: u32,
    /// A lookup table holding the provider accounts (published by the network): lets the
    /// registration of a wide blob fit in one transaction.
    pub lookup_table: Option<Pubkey>,
    /// How long to wait, once the blob is registered, for every holder to accept its shard
    /// (the holders' nodes do on their own once they see the placement; until then a
    /// holder owes nothing for it); once half have, the others get four times as long (at
    /// least 5 s). `None` returns right after the registration.
    pub acceptance_timeout: Option<Duration>,
    /// Only providers `online` by these thresholds get shards: one silent past the warning
    /// threshold is likely down, and a shard placed there would need repair at once.
    pub liveness: LivenessThresholds,
    /// Told the blob's id just before its registration is sent. A caller that must never
    /// lose track of a paid blob (the S3 gateway, if it crashes before recording the put)
    /// writes the id down here; an error stops the put before anything is registered.
    pub before_register: Option<BeforeRegister>,
}

/// What [`BeforeRegister`] calls with the blob's id.
pub type BeforeRegisterFn = dyn Fn(&BlobId) -> std::io::Result<()> + Send + Sync;

/// The hook [`PutOptions::before_register`] holds.
#[derive(Clone)]
pub struct BeforeRegister(pub Arc<BeforeRegisterFn>);

impl std::fmt::Debug for BeforeRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeRegister(..)")
    }
}

impl Default for PutOptions {
    fn default() -> Self {
        Self {
            registrar: Registrar::Owner,
            k: None,
            m: None,
            chunk_size: 4 << 20,
            encrypt: true,
            data_key: None,
            public: false,
            epochs: 10,
            price_per_shard_epoch: 10,
            concurrency: 64,
            shard_timeout: Duration::from_secs(30),
            stall: LatencyPolicy::STALL,
            attempts: 3,
            lookup_table: None,
            acceptance_timeout: Some(Duration::from_secs(30)),
            liveness: LivenessThresholds::default(),
            before_register: None,
        }
    }
}

/// What a put did on any chain, with its timings ([`PutReport`] is Solana's).
#[derive(Debug, Clone)]
pub struct Stored<Tx> {
    /// The blob's id: what `get`, `grant` and `delete` take.
    pub id: BlobId,
    /// The content's CID.
    pub cid: Cid,
    /// The transaction that completed the registration.
    pub tx: Tx,
    /// Bytes read from the source.
    pub plain_bytes: u64,
    /// Bytes sent to nodes (every shard, parity included).
    pub shard_bytes: u64,
    /// Storage providers, one per shard index.
    pub providers: Vec<Caller>,
    /// Encoding and uploading, until the last receipt.
    pub upload: Duration,
    /// From sending the registration until it was confirmed.
    pub confirm: Duration,
    /// Holders that had accepted their shard when the put returned.
    // INV: accepted <= providers.len()
    pub accepted: usize,
    /// From the confirmed registration until every holder accepted (or the wait ended).
    pub acceptance: Duration,
}

impl<Tx> Stored<Tx> {
    /// Whether every holder accepted its shard before the put returned.
    pub fn fully_accepted(&self) -> bool {
        self.accepted == self.providers.len()
    }
}

/// What a put did, with its timings.
#[derive(Debug, Clone)]
pub struct PutReport {
    /// The blob's id: what `get`, `grant` and `delete` take. On Solana, the Blob account's
    /// address, the program address of the wallet and the CID.
    pub id: BlobId,
    /// The content's CID.
    pub cid: Cid,
    /// The Blob account.
    pub blob: Pubkey,
    pub signature: Signature,
    /// Bytes read from the source.
    pub plain_bytes: u64,
    /// Bytes sent to nodes (every shard, parity included).
    pub shard_bytes: u64,
    /// Storage providers, one per shard index.
    pub providers: Vec<Pubkey>,
    /// Encoding and uploading, until the last receipt.
    pub upload: Duration,
    /// From sending the registration until it was confirmed.
    pub confirm: Duration,
    /// Holders that had accepted their shard when the put returned (0 when it did not wait:
    /// [`PutOptions::acceptance_timeout`]).
    // INV: accepted <= providers.len()
    pub accepted: usize,
    /// From the confirmed registration until every holder accepted (or the wait ended).
    pub acceptance: Duration,
}

impl PutReport {
    /// Whether every holder accepted its shard before the put returned: only then is every
    /// shard an obligation its holder is paid for and slashed for missing.
    pub fn fully_accepted(&self) -> bool {
        self.accepted == self.providers.len()
    }
}

/// Why a put failed. Nothing was registered on chain unless the error says so.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("the Basalt Config is not initialized on this chain")]
    NoConfig,
    #[error(
        "need {needed} active, online storage providers with the minimum stake, the registry has {found}"
    )]
    NotEnoughProviders { needed: usize, found: usize },
    #[error("encoding: {0}")]
    Encode(#[from] basalt_core::EncodeError),
    #[error(
        "shard {chunk}/{shard} could not be stored on {provider} after {attempts} attempts: {last}"
    )]
    Upload {
        chunk: u32,
        shard: u16,
        provider: Caller,
        attempts: u32,
        last: NodeError,
    },
    #[error("the manifest could not be stored on {provider}: {last}")]
    Manifest { provider: Caller, last: NodeError },
    #[error("wrapping the data key: {0}")]
    Crypto(#[from] basalt_core::CryptoError),
    #[error("reading the source: {0}")]
    Source(String),
    #[error("{0}")]
    Invalid(String),
    /// The owner already registered these exact stored bytes: the blob exists.
    #[error("the owner already stores these bytes as blob {0}")]
    AlreadyStored(BlobId),
    /// The blob is registered, but a later step of its registration failed (on the EVM
    /// it takes several transactions): its owner may delete it, or run the put again
    /// once the cause is mended (it is then [`PutError::AlreadyStored`]: delete first).
    #[error("blob {id} is registered, but {step} failed: {source}")]
    Incomplete {
        id: BlobId,
        step: &'static str,
        #[source]
        source: Box<ChainError>,
    },
    /// [`PutOptions::before_register`] refused: nothing was registered.
    #[error("before registering blob {id}: {reason}")]
    BeforeRegister { id: BlobId, reason: String },
}

/// The wallet's ed25519 key, as the nodes and the key wrapping use it.
pub fn wallet_signing_key(wallet: &Keypair) -> SigningKey {
    SigningKey::from_bytes(wallet.secret_bytes())
}

/// One provider chosen for one shard index.
#[derive(Clone)]
struct Holder {
    authority: Caller,
    node: NodeClient,
}

/// Stores `size` bytes and registers them on the Basalt program, signed by `wallet`:
/// [`put_on`] with Solana's [`SolanaBackend`].
///
/// # Errors
///
/// [`PutError`], as [`put_on`].
pub async fn put<R: Read + Send + 'static>(
    chain: &ChainClient,
    wallet: &Keypair,
    open: impl Fn() -> std::io::Result<R> + Send + Sync + 'static,
    size: u64,
    options: &PutOptions,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<PutReport, PutError> {
    let stored = put_on(
        &SolanaBackend::new(chain, wallet),
        open,
        size,
        options,
        progress,
    )
    .await?;
    let providers = stored
        .providers
        .iter()
        .map(solana_account)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PutReport {
        id: stored.id,
        cid: stored.cid,
        blob: crate::chain::blob_address(&stored.id),
        signature: stored.tx,
        plain_bytes: stored.plain_bytes,
        shard_bytes: stored.shard_bytes,
        providers,
        upload: stored.upload,
        confirm: stored.confirm,
        accepted: stored.accepted,
        acceptance: stored.acceptance,
    })
}

/// Stores `size` bytes and registers them on `chain`. `open` opens the source; it is
/// called twice, because every shard header names the blob's id, which binds the CID, a
/// hash of all the stored bytes: a first pass seals and hashes, a second one codes and
/// uploads (and fails if the source changed in between). `progress` is called with the
/// number of source bytes uploaded so far.
///
/// # Errors
///
/// [`PutError`]; in every case but a failed registration, nothing was registered
/// (uploaded shards of an unregistered blob are collected by the nodes).
pub async fn put_on<B: ChainBackend, R: Read + Send + 'static>(
    chain: &B,
    open: impl Fn() -> std::io::Result<R> + Send + Sync + 'static,
    size: u64,
    options: &PutOptions,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Stored<B::Tx>, PutError> {
    let started = Instant::now();
    let terms = chain.terms().await?;
    // The chain refuses it too, but only after every shard was uploaded.
    if options.epochs > terms.max_deal_epochs {
        return Err(PutError::Invalid(format!(
            "a blob may be stored for at most {} epochs on this network, not {}",
            terms.max_deal_epochs, options.epochs
        )));
    }
    let k = options.k.unwrap_or(terms.default_k);
    let m = options.m.unwrap_or(terms.default_m);
    let n = usize::from(k) + usize::from(m);
    let http = reqwest::Client::new();
    let providers = chain.storage_providers().await?;
    let mut holders: Vec<Holder> = pick_providers(providers, options, n)?
        .into_iter()
        .map(|p| Holder {
            authority: p.id,
            node: NodeClient::new(http.clone(), &p.endpoint, chain.wallet().clone()),
        })
        .collect();
    // Providers beyond the first n stand by for columns whose holder fails.
    let mut spares = holders.split_off(n);
    let key = options
        .encrypt
        .then(|| options.data_key.clone().unwrap_or_else(DataKey::generate));
    let open = Arc::new(open);

    let cid = {
        let (open, key, chunk_size) = (Arc::clone(&open), key.clone(), options.chunk_size);
        tokio::task::spawn_blocking(move || -> Result<Cid, PutError> {
            let source = open().map_err(|e| PutError::Source(e.to_string()))?;
            Ok(BlobEncoder::new(source, size, chunk_size, k, m, key.as_ref())?.into_cid()?)
        })
        .await
        .map_err(|e| PutError::Invalid(format!("hashing task failed: {e}")))??
    };
    // The blob is its owner's registration of this content: its id binds both, so a
    // registration of the same digest by anyone else is another blob.
    let (owner, owner_recipient) = chain.owner(options)?;
    let id = chain.blob_id(&owner, &cid)?;
    // The same owner's registration of the same stored bytes (plain data put twice, or a
    // dataset's convergently sealed blob): registering it again would fail only after
    // every shard was uploaded.
    if chain.blob(&id).await?.is_some() {
        return Err(PutError::AlreadyStored(id));
    }
    let source = open().map_err(|e| PutError::Source(e.to_string()))?;
    let columns: Vec<(u16, Holder)> = holders
        .iter()
        .cloned()
        .enumerate()
        .map(|(j, h)| (j as u16, h))
        .collect();
    let latencies = Arc::new(Latencies::new(options.stall));
    let mut job = UploadJob {
        size,
        id,
        options,
        k,
        m,
        key: key.clone(),
        stall: (!spares.is_empty()).then(|| Arc::clone(&latencies)),
    };
    let pass = upload_all(&job, source, &columns, Arc::new(progress)).await?;
    let mut shard_bytes = pass.sent;
    let manifest = pass.manifest;
    if manifest.cid != cid {
        return Err(changed_source());
    }
    let owner_key = match &key {
        Some(key) => basalt_core::wrap_key_for(key, &owner_recipient, &mut OsRng)?,
        None => Vec::new(),
    };
    let stored = StoredManifest {
        blob: id,
        manifest: manifest.clone(),
        owner_key,
    }
    .encode();
    // A column whose holder fails or stalls, with its shards or with the manifest, moves
    // to a spare provider: the source is coded again (sealing is deterministic) and only
    // that column is sent, then the manifest to its new holder.
    let mut failed = pass.failed;
    let mut needs_manifest: Vec<u16> = (0..).take(n).collect();
    loop {
        while !failed.is_empty() {
            let moved = move_to_spares(&mut holders, &mut spares, failed)?;
            let source = open().map_err(|e| PutError::Source(e.to_string()))?;
            job.stall = (!spares.is_empty()).then(|| Arc::clone(&latencies));
            let again = upload_all(&job, source, &moved, Arc::new(|_| {})).await?;
            if again.manifest != manifest {
                return Err(changed_source());
            }
            shard_bytes += again.sent;
            failed = again.failed;
            needs_manifest.extend(moved.iter().map(|(j, _)| *j));
        }
        needs_manifest.sort_unstable();
        needs_manifest.dedup();
        let stall = (!spares.is_empty()).then_some(latencies.as_ref());
        failed = store_manifest(&holders, &needs_manifest, &id, &stored, options, stall).await;
        if failed.is_empty() {
            break;
        }
        needs_manifest.clear();
    }
    let upload = started.elapsed();

    let providers: Vec<Caller> = holders.iter().map(|h| h.authority).collect();
    let sent = Instant::now();
    if let Some(BeforeRegister(hook)) = &options.before_register {
        hook(&id).map_err(|e| PutError::BeforeRegister {
            id,
            reason: e.to_string(),
        })?;
    }
    let tx = chain.register(&id, &manifest, &providers, options).await?;
    let confirm = sent.elapsed();
    let waited = Instant::now();
    let accepted = match options.acceptance_timeout {
        Some(timeout) => {
            // Best effort (a holder finds the placement on its own): not worth more than
            // the uploads' own bound.
            tell_holders(&holders, &id, latencies.bound()).await;
            wait_for_acceptances(chain, &id, timeout).await
        }
        None => 0,
    };
    Ok(Stored {
        id,
        cid: manifest.cid,
        tx,
        plain_bytes: size,
        shard_bytes,
        providers,
        upload,
        confirm,
        accepted,
        acceptance: waited.elapsed(),
    })
}

/// Tells every holder the blob is registered, so each accepts its shard within about one
/// confirmation instead of at its next look at the chain. A holder that does not answer
/// still finds the placement on its own.
async fn tell_holders(holders: &[Holder], id: &BlobId, timeout: Duration) {
    let mut told = JoinSet::new();
    for holder in holders {
        let holder = holder.clone();
        let id = *id;
        told.spawn(async move {
            if let Err(e) = holder.node.placement_registered(&id, timeout).await {
                tracing::debug!(provider = %holder.authority, error = %e, "telling a holder of the registration");
            }
        });
    }
    while told.join_next().await.is_some() {}
}

/// Polls the registered blob until every holder accepted its shard or `timeout` passed,
/// and returns how many had. The blob is registered and its data stored either way, so a
/// chain read that fails is retried until the deadline rather than failing the put.
///
/// Once half the holders accepted, the rest get [`STRAGGLER_FACTOR`] times as long (at
/// least [`STRAGGLER_FLOOR`]): a hung holder's node never accepts, and waiting out the
/// whole timeout for it would make every put it holds a column of that slow. An offer left
/// unaccepted lapses and is repaired.
async fn wait_for_acceptances(chain: &impl ChainBackend, id: &BlobId, timeout: Duration) -> usize {
    // The holders' acceptances take about one confirmation: poll at a fraction of it for
    // the first second, then back off, so a holder that never answers costs the RPC
    // endpoint a few reads a second, not forty.
    const FIRST_POLL: Duration = Duration::from_millis(25);
    const FAST_FOR: Duration = Duration::from_secs(1);
    const LAST_POLL: Duration = Duration::from_millis(400);
    let started = Instant::now();
    let mut deadline = started + timeout;
    let mut half_accepted = false;
    let mut poll = FIRST_POLL;
    let mut accepted = 0;
    loop {
        match chain.blob(id).await {
            Ok(Some(blob)) => {
                accepted = blob.accepted();
                if accepted == blob.slots.len() {
                    return accepted;
                }
                if !half_accepted && accepted * 2 >= blob.slots.len() {
                    half_accepted = true;
                    let rest = started
                        .elapsed()
                        .saturating_mul(STRAGGLER_FACTOR)
                        .max(STRAGGLER_FLOOR);
                    deadline = deadline.min(started + rest);
                }
            }
            Ok(None) => tracing::warn!(%id, "the registered blob is gone (deleted?)"),
            Err(e) => tracing::warn!(%id, error = %e, "reading the blob's acceptances"),
        }
        if Instant::now() + poll > deadline {
            return accepted;
        }
        tokio::time::sleep(poll).await;
        if started.elapsed() > FAST_FOR {
            poll = (poll * 2).min(LAST_POLL);
        }
    }
}

/// Once half the holders accepted, the others get this many times as long …
const STRAGGLER_FACTOR: u32 = 4;
/// … and at least this long in all.
const STRAGGLER_FLOOR: Duration = Duration::from_secs(5);

fn changed_source() -> PutError {
    PutError::Source(
        "the source changed while it was being stored (its hash differs between passes); nothing was registered".into(),
    )
}

/// Every provider the chain will accept for new shards that is `online`, in random order
/// so load spreads across the registry: the first `n` hold the shards, the rest stand by.
///
/// # Errors
///
/// [`PutError::NotEnoughProviders`].
fn pick_providers(
    providers: Vec<StorageProvider>,
    options: &PutOptions,
    n: usize,
) -> Result<Vec<StorageProvider>, PutError> {
    let mut eligible: Vec<(u64, StorageProvider)> = providers
        .into_iter()
        .filter(|p| options.liveness.classify(p.silence) == Liveness::Online)
        .map(|p| (OsRng.next_u64(), p))
        .collect();
    if eligible.len() < n {
        return Err(PutError::NotEnoughProviders {
            needed: n,
            found: eligible.len(),
        });
    }
    eligible.sort_by_key(|(r, _)| *r);
    Ok(eligible.into_iter().map(|(_, p)| p).collect())
}

/// What one upload pass did.
struct Uploaded {
    manifest: BlobManifest,
    /// Shard bytes that holders acknowledged.
    sent: u64,
    /// Columns whose holder failed, with the last failure: not every shard of these
    /// columns is stored.
    failed: Vec<(u16, PutError)>,
}

/// What every upload pass of one put codes the same way.
struct UploadJob<'a> {
    size: u64,
    id: BlobId,
    options: &'a PutOptions,
    k: u16,
    m: u16,
    key: Option<DataKey>,
    /// The uploads' latencies, when a stalled holder can be given up (spares remain).
    stall: Option<Arc<Latencies>>,
}

/// Encodes `source` on a blocking thread and uploads every chunk's shard `j` to the holder
/// of each `(j, holder)` in `columns`, with at most `options.concurrency` uploads in
/// flight. A column whose holder fails (after its retries) gets no more uploads and is
/// reported in [`Uploaded::failed`]; the others go on.
async fn upload_all(
    job: &UploadJob<'_>,
    source: impl Read + Send + 'static,
    columns: &[(u16, Holder)],
    progress: Arc<dyn Fn(u64) + Send + Sync>,
) -> Result<Uploaded, PutError> {
    let UploadJob {
        size,
        id,
        options,
        k,
        m,
        ..
    } = *job;
    let key = job.key.clone();
    let chunk_size = options.chunk_size;
    let key_present = key.is_some();
    // Two chunks ahead of the uploads: the encoder keeps the network busy without holding
    // more than a few chunks in memory.
    let (tx, mut rx) = mpsc::channel::<EncodedChunk>(2);
    let encoder = tokio::task::spawn_blocking(move || -> Result<BlobManifest, PutError> {
        let mut encoder = BlobEncoder::new(source, size, chunk_size, k, m, key.as_ref())?;
        while let Some(chunk) = encoder.next_chunk()? {
            if tx.blocking_send(chunk).is_err() {
                // The uploader stopped (an upload failed): its error is the one to report.
                return Err(PutError::Invalid("upload stopped".into()));
            }
        }
        Ok(encoder.finish()?)
    });

    let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut uploads: JoinSet<Result<u64, PutError>> = JoinSet::new();
    let layout_plain = |index: u32| -> u64 {
        let start = u64::from(index) * u64::from(chunk_size);
        size.saturating_sub(start).min(u64::from(chunk_size))
    };
    let layout = basalt_core::BlobLayout::new(
        basalt_core::stored_size(size, chunk_size, key_present)?,
        chunk_size,
        k,
        m,
    )
    .map_err(basalt_core::EncodeError::from)?;
    let mut sent = 0u64;
    let mut failed: Vec<(u16, PutError)> = Vec::new();
    let mut done_plain = 0u64;
    while let Some(chunk) = rx.recv().await {
        let chunk = Arc::new(ChunkToSend {
            id,
            layout,
            encrypted: key_present,
            chunk,
        });
        for (j, holder) in columns {
            let permit = Arc::clone(&slots)
                .acquire_owned()
                .await
                .map_err(|_| PutError::Invalid("upload slots closed".into()))?;
            // Learn of failures as soon as they happen, so a dead holder's column gets no
            // more uploads.
            while let Some(done) = uploads.try_join_next() {
                sent += joined(done, &mut failed)?;
            }
            if failed.iter().any(|(f, _)| f == j) {
                continue;
            }
            let chunk = Arc::clone(&chunk);
            let (j, holder) = (*j, holder.clone());
            let (options, stall) = (options.clone(), job.stall.clone());
            uploads.spawn(async move {
                let _permit = permit;
                upload_shard(&holder, &chunk, j, &options, stall.as_deref()).await
            });
        }
        done_plain += layout_plain(chunk.chunk.index);
        progress(done_plain.min(size));
    }
    while let Some(done) = uploads.join_next().await {
        sent += joined(done, &mut failed)?;
    }
    let manifest = encoder
        .await
        .map_err(|e| PutError::Invalid(format!("encoder task failed: {e}")))??;
    Ok(Uploaded {
        manifest,
        sent,
        failed,
    })
}

/// The bytes a finished upload task stored; a holder's failure is recorded against its
/// column in `failed`, anything else ends the put.
fn joined(
    done: Result<Result<u64, PutError>, tokio::task::JoinError>,
    failed: &mut Vec<(u16, PutError)>,
) -> Result<u64, PutError> {
    match done.map_err(|e| PutError::Invalid(format!("upload task failed: {e}")))? {
        Ok(bytes) => Ok(bytes),
        Err(e @ PutError::Upload { shard, .. }) => {
            if !failed.iter().any(|(f, _)| *f == shard) {
                failed.push((shard, e));
            }
            Ok(0)
        }
        Err(e) => Err(e),
    }
}

/// Shard `.1` of a shared chunk, as the owner of a [`Bytes`].
struct ShardOf(Arc<ChunkToSend>, usize);

impl AsRef<[u8]> for ShardOf {
    fn as_ref(&self) -> &[u8] {
        self.0.chunk.shard(self.1)
    }
}

/// An encoded chunk with what its shard headers need.
struct ChunkToSend {
    id: BlobId,
    layout: basalt_core::BlobLayout,
    encrypted: bool,
    chunk: EncodedChunk,
}

impl ChunkToSend {
    fn header(&self, j: u16) -> basalt_core::ShardHeader {
        basalt_core::ShardHeader {
            blob: self.id,
            layout: self.layout,
            encrypted: self.encrypted,
            chunk: self.chunk.index,
            shard: j,
            shard_root: self.chunk.roots[usize::from(j)],
        }
    }
}

/// Uploads shard `j` of `chunk` to `holder`, retrying a failed or slow attempt. With
/// `stall`, an attempt unanswered past the bound the uploads' latencies set gives the
/// holder up at once (no retry: a hung node does not come back within a put).
async fn upload_shard(
    holder: &Holder,
    chunk: &Arc<ChunkToSend>,
    j: u16,
    options: &PutOptions,
    stall: Option<&Latencies>,
) -> Result<u64, PutError> {
    let header = chunk.header(j);
    let holder_key = holder.authority.word();
    // A view of the shard in the chunk buffer that the other uploads share: no copy.
    let data = Bytes::from_owner(ShardOf(Arc::clone(chunk), usize::from(j)));
    let mut last = None;
    let mut attempts = 0;
    for attempt in 0..options.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
        }
        attempts += 1;
        let started = Instant::now();
        let upload =
            holder
                .node
                .put_shard(&header, data.clone(), &holder_key, options.shard_timeout);
        let answer = match unless_stalled(upload, stall, started, holder.node.url()).await {
            Ok(answer) => answer,
            Err(stalled) => {
                last = Some(stalled);
                break;
            }
        };
        match answer {
            Ok(_receipt) => {
                if let Some(latencies) = stall {
                    latencies.record(started.elapsed());
                }
                return Ok(data.len() as u64);
            }
            // A refusal that a retry cannot change (full, conflict, bad shard) ends it.
            Err(e @ NodeError::Refused { status, .. })
                if status.is_client_error() && !matches!(status.as_u16(), 408 | 429) =>
            {
                last = Some(e);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    Err(PutError::Upload {
        chunk: chunk.chunk.index,
        shard: j,
        provider: holder.authority,
        attempts,
        last: last.expect("at least one attempt"),
    })
}

/// `request`'s answer, or `Err(NodeError::Stalled)` when, with `stall`, it runs past the
/// bound first (a request sent at `started` to the node at `url`).
async fn unless_stalled<T>(
    request: impl std::future::Future<Output = Result<T, NodeError>>,
    stall: Option<&Latencies>,
    started: Instant,
    url: &str,
) -> Result<Result<T, NodeError>, NodeError> {
    match stall {
        Some(latencies) => tokio::select! {
            answer = request => Ok(answer),
            after = stalled(latencies, started) => Err(NodeError::Stalled { url: url.to_owned(), after }),
        },
        None => Ok(request.await),
    }
}

/// Resolves, with the bound, once a request sent at `started` has run past the bound the
/// latencies set; the bound is read again as answers come in (it starts patient and
/// tightens).
async fn stalled(latencies: &Latencies, started: Instant) -> Duration {
    const RECHECK: Duration = Duration::from_millis(100);
    loop {
        let bound = latencies.bound();
        let elapsed = started.elapsed();
        if elapsed >= bound {
            return bound;
        }
        tokio::time::sleep((bound - elapsed).min(RECHECK)).await;
    }
}

/// Stores the manifest on the holders of `columns` (any holder can then serve it to
/// readers), retrying a failed attempt. With `stall`, a holder whose attempt runs past the
/// uploads' bound is given up at once. Returns the columns whose holder failed, with why.
async fn store_manifest(
    holders: &[Holder],
    columns: &[u16],
    id: &BlobId,
    manifest: &[u8],
    options: &PutOptions,
    stall: Option<&Latencies>,
) -> Vec<(u16, PutError)> {
    let stores = columns.iter().map(|&j| {
        let holder = &holders[usize::from(j)];
        async move {
            let mut last = None;
            for _ in 0..options.attempts.max(1) {
                let started = Instant::now();
                let store = holder
                    .node
                    .put_manifest(id, manifest.to_vec(), options.shard_timeout);
                let answer = match unless_stalled(store, stall, started, holder.node.url()).await {
                    Ok(answer) => answer,
                    Err(stalled) => {
                        last = Some(stalled);
                        break;
                    }
                };
                match answer {
                    Ok(()) => return None,
                    Err(e) => last = Some(e),
                }
            }
            let error = PutError::Manifest {
                provider: holder.authority,
                last: last.expect("at least one attempt"),
            };
            Some((j, error))
        }
    });
    futures::future::join_all(stores)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Gives each failed column's index to the next spare provider, returning the moved
/// columns with their new holders.
///
/// # Errors
///
/// A failed column's error when no spare is left for it.
fn move_to_spares(
    holders: &mut [Holder],
    spares: &mut Vec<Holder>,
    failed: Vec<(u16, PutError)>,
) -> Result<Vec<(u16, Holder)>, PutError> {
    let mut moved = Vec::with_capacity(failed.len());
    for (j, error) in failed {
        let Some(spare) = spares.pop() else {
            return Err(error);
        };
        tracing::warn!(column = j, failed = %holders[usize::from(j)].authority, spare = %spare.authority, "{error}; moving the column to a spare provider");
        holders[usize::from(j)] = spare.clone();
        moved.push((j, spare));
    }
    Ok(moved)
}

/// The escrow a deal of `options` over `shards` shards needs.
///
/// # Errors
///
/// [`PutError::Invalid`] when it overflows.
pub(crate) fn deal_amount(options: &PutOptions, shards: usize) -> Result<u64, PutError> {
    options
        .price_per_shard_epoch
        .checked_mul(shards as u64)
        .and_then(|a| a.checked_mul(options.epochs.max(1)))
        .ok_or_else(|| PutError::Invalid("deal amount overflows".into()))
}
