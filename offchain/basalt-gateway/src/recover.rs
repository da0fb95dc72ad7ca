//! `basalt-gateway recover`: the bucket and key index rebuilt from the network alone, for
//! a gateway on a new machine with only its configuration and wallets (docs/gateway.md,
//! "Recovery"). Every wallet's blobs are listed on chain, each blob's object record is read
//! (a ranged get of its first bytes), and [`rebuild`] makes the index of them.

mod rebuild;

use std::path::PathBuf;
use std::sync::Arc;

use basalt::client::pda;
use basalt_core::{plain_size, BlobId};
use basalt_sdk::chain::ChainError;
use futures::StreamExt;
use solana_signer::Signer;

pub use rebuild::{rebuild, FoundBlob, Rebuilt};

use crate::auth::KeyRing;
use crate::config::{ConfigError, GatewayConfig};
use crate::index::{Index, IndexError};
use crate::network::{Network, NetworkError};

/// Records read at once.
const READS_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("the index at {0} is not empty: recovery writes a new one (move this one away)")]
    NotEmpty(PathBuf),
    #[error("listing the blobs of wallet {wallet}: {source}")]
    List { wallet: String, source: ChainError },
    #[error("reading the record of a blob of wallet {wallet}: {source}")]
    Read {
        wallet: String,
        source: NetworkError,
    },
}

/// What a recovery found and wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The wallets' blobs on chain.
    pub blobs: usize,
    /// Blobs that are not gateway objects (stored with `basalt put`, say): left alone.
    pub foreign: usize,
    /// Blobs whose shards are not all placed, so unreadable: left alone.
    pub unplaced: Vec<String>,
    pub buckets: usize,
    pub objects: usize,
    pub uploads: usize,
    /// Blobs nothing holds (replaced versions, parts not chosen): in the trash, deleted
    /// once the gateway runs.
    pub trashed: usize,
    /// Blobs of objects or parts with pieces missing: left alone.
    pub incomplete: Vec<String>,
}

/// Rebuilds `config`'s index (which must be empty) from its wallets' blobs.
///
/// # Errors
///
/// [`RecoverError`]: a wallet that does not load, an index that is not empty, a chain or
/// a blob that cannot be read (nothing is written then: run it again).
pub async fn recover(config: &GatewayConfig) -> Result<Summary, RecoverError> {
    let keys = KeyRing::load(config)?;
    let index = Index::open(&config.index)?;
    if !index.is_empty()? {
        return Err(RecoverError::NotEmpty(config.index.clone()));
    }
    let network = Network::from_config(config)?;
    let mut summary = Summary::default();
    let mut found = Vec::new();
    for wallet in keys.wallets() {
        let owner = wallet.pubkey();
        let blobs =
            network
                .chain()
                .blobs_of(&owner)
                .await
                .map_err(|source| RecoverError::List {
                    wallet: owner.to_string(),
                    source,
                })?;
        summary.blobs += blobs.len();
        let reads = blobs.into_iter().map(|blob| {
            let (network, wallet) = (&network, Arc::clone(&wallet));
            async move {
                let id = BlobId::from_bytes(pda::blob(&blob.owner, &blob.cid_digest).to_bytes());
                let plain = plain_size(blob.size, blob.chunk_count, blob.encrypted);
                let read = network.read_record(&wallet, &id, plain).await;
                (id, blob.created_slot, plain, read)
            }
        });
        let read: Vec<_> = futures::stream::iter(reads)
            .buffer_unordered(READS_IN_FLIGHT)
            .collect()
            .await;
        for (id, slot, plain, record) in read {
            match record {
                Ok(Some((record, offset, parts))) => found.push(FoundBlob {
                    blob: id.to_string(),
                    owner: owner.to_string(),
                    slot,
                    record,
                    offset,
                    len: plain.saturating_sub(offset),
                    parts,
                }),
                Ok(None) => summary.foreign += 1,
                Err(NetworkError::Get {
                    source: basalt_sdk::GetError::NotActive(_),
                    ..
                }) => summary.unplaced.push(id.to_string()),
                Err(source) => {
                    return Err(RecoverError::Read {
                        wallet: owner.to_string(),
                        source,
                    })
                }
            }
        }
    }
    let rebuilt = rebuild(found);
    index.restore(&rebuilt)?;
    summary.buckets = rebuilt.buckets.len();
    summary.objects = rebuilt.objects.len();
    summary.uploads = rebuilt.uploads.len();
    summary.trashed = rebuilt.trash.len();
    summary.incomplete = rebuilt.incomplete;
    Ok(summary)
}
