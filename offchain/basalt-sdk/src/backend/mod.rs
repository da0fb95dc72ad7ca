//! What the data path asks a chain, whichever it is: [`ChainBackend`].
//!
//! `put`, `get` and the access calls are written once against this trait; each chain
//! answers it with its own accounts or contracts:
//!
//! - [`solana::SolanaBackend`]: the Basalt program through [`crate::ChainClient`], signed by
//!   an ed25519 wallet;
//! - [`evm::EvmBackend`]: the contracts of `contracts/evm` through `basalt-evm-client`,
//!   signed by a secp256k1 key.
//!
//! Identities are [`Caller`]s (an ed25519 key or an EVM address), the same values the nodes
//! authenticate, and blob records are chain-neutral [`BlobRecord`]s.

pub mod evm;
pub mod solana;

use std::fmt::{Debug, Display};
use std::future::Future;

use basalt_core::{BlobId, BlobManifest, Caller, Cid, KeyRecipient, RequestKey};

use crate::chain::ChainError;
use crate::put::{PutError, PutOptions};

/// The network's terms for new blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Data and parity shards per chunk unless a put chooses others.
    pub default_k: u16,
    pub default_m: u16,
    /// The longest deal a blob may be registered with, in epochs.
    pub max_deal_epochs: u64,
}

/// A storage provider the chain would give a new shard: registered for storage, active,
/// staked at least the minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageProvider {
    pub id: Caller,
    pub endpoint: String,
    /// Seconds since the chain last heard from it, by the chain's clock (`None`: never).
    pub silence: Option<u64>,
}

/// One shard index of a registered blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecord {
    /// Its holder; `None` while the index is unplaced.
    pub provider: Option<Caller>,
    pub column_root: [u8; 32],
    /// The holder accepted it: it owes proofs and is paid for them.
    pub accepted: bool,
}

/// A registered blob as the chain records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    pub owner: Caller,
    pub cid_digest: [u8; 32],
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub chunk_count: u32,
    pub encrypted: bool,
    pub commitment_root: [u8; 32],
    /// One per shard index, in order.
    // INV: slots.len() == k + m
    pub slots: Vec<SlotRecord>,
}

impl BlobRecord {
    /// Every index has a holder: the blob can be read.
    pub fn is_placed(&self) -> bool {
        self.slots.iter().all(|s| s.provider.is_some())
    }

    /// Indices whose holder accepted.
    pub fn accepted(&self) -> usize {
        self.slots.iter().filter(|s| s.accepted).count()
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// A wallet whose public key is known: a READ grant on an encrypted blob carries the
    /// data key wrapped for it.
    Key(KeyRecipient),
    /// An account known by its address only: enough for a grant that carries no key (a
    /// plain blob, or roles without READ). An EVM address is not its public key.
    Account(Caller),
}

impl Grantee {
    /// The account the grant names.
    pub fn caller(&self) -> Caller {
        match self {
            Self::Key(key) => key.caller(),
            Self::Account(caller) => *caller,
        }
    }
}

/// The chain side of the data path, for one wallet on one deployment.
///
/// Futures are `Send` so that a put or a get can run on any runtime thread.
pub trait ChainBackend: Send + Sync {
    /// A transaction as the chain names it (a Solana signature, an EVM transaction hash).
    type Tx: Clone + Debug + Display + Send + Sync;

    /// The wallet: it signs the transactions, the requests to nodes, and opens data keys
    /// wrapped for it.
    fn wallet(&self) -> &RequestKey;

    /// The network's terms for new blobs.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read or the protocol is not set up on it.
    fn terms(&self) -> impl Future<Output = Result<Terms, ChainError>> + Send;

    /// The owner of the blob a put with `options` registers (the wallet, unless the put
    /// stores a job's output for its requester), and the key its data key is wrapped for.
    ///
    /// # Errors
    ///
    /// [`PutError::Invalid`] for a registration this chain does not make.
    fn owner(&self, options: &PutOptions) -> Result<(Caller, KeyRecipient), PutError>;

    /// The id the chain gives `owner`'s registration of content `cid`.
    ///
    /// # Errors
    ///
    /// [`PutError::Invalid`] for an owner of a kind this chain has no accounts for.
    fn blob_id(&self, owner: &Caller, cid: &Cid) -> Result<BlobId, PutError>;

    /// Every storage provider the chain would give a new shard, with its silence.
    ///
    /// # Errors
    ///
    /// When the registry cannot be read.
    fn storage_providers(
        &self,
    ) -> impl Future<Output = Result<Vec<StorageProvider>, ChainError>> + Send;

    /// Blob `id`, or `None` when it is not registered.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    fn blob(
        &self,
        id: &BlobId,
    ) -> impl Future<Output = Result<Option<BlobRecord>, ChainError>> + Send;

    /// The registered endpoint of each of `providers`, in order (`None`: not registered).
    ///
    /// # Errors
    ///
    /// When the registry cannot be read.
    fn endpoints(
        &self,
        providers: &[Caller],
    ) -> impl Future<Output = Result<Vec<Option<String>>, ChainError>> + Send;

    /// Registers blob `id` as `manifest` describes it, places shard index `j` with
    /// `holders[j]` and funds its deal as `options` say. Returns the transaction that
    /// completed it.
    ///
    /// # Errors
    ///
    /// [`PutError::Chain`] when the chain refuses; the error says whether anything landed.
    fn register(
        &self,
        id: &BlobId,
        manifest: &BlobManifest,
        holders: &[Caller],
        options: &PutOptions,
    ) -> impl Future<Output = Result<Self::Tx, PutError>> + Send;

    /// Grants `roles` on blob `id` to `grantee` until `expires_at` (Unix seconds), with
    /// `wrapped_key` (empty: none).
    ///
    /// # Errors
    ///
    /// When the chain refuses (not the owner, bad roles, already granted).
    fn create_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> impl Future<Output = Result<Self::Tx, ChainError>> + Send;

    /// Revokes `grantee`'s grant on blob `id`; `None` when it holds none.
    ///
    /// # Errors
    ///
    /// When the chain refuses.
    fn revoke_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
    ) -> impl Future<Output = Result<Option<Self::Tx>, ChainError>> + Send;

    /// Deletes blob `id` on chain: its grants revoked, its holders paid for what they
    /// proved, the rest of its escrow refunded, the holders' obligations ended.
    ///
    /// # Errors
    ///
    /// When the chain refuses (not the owner or a DELETE grantee).
    fn delete_blob(&self, id: &BlobId)
        -> impl Future<Output = Result<Self::Tx, ChainError>> + Send;

    /// The data key of blob `id` wrapped for `reader` in its grant (`None`: no grant, or
    /// one without a key).
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    fn wrapped_key(
        &self,
        id: &BlobId,
        reader: &Caller,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ChainError>> + Send;
}
