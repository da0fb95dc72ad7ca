//! Basalt's NEAR contract: the Solana program's protocol (`programs/basalt`) on NEAR — the
//! provider registry and staking, blobs and their access control, storage deals, storage
//! proofs, compute jobs and versioned datasets.
//!
//! Layout: [`state`] holds one file per record kind, `methods/` one file per noun with its
//! public methods, [`errors`] every error (named as on Solana), [`events`] every NEP-297
//! event, [`ledger`] the token books and storage deposits, [`randomness`] where storage
//! challenges come from. Storage proofs are checked by `basalt_proof`, the crate the Solana
//! program and the off-chain nodes use, compiled to wasm unchanged.
//!
//! Where NEAR differs from Solana (written next to each scenario in `app-tests` too):
//! - **Token**: stakes, escrow and rewards are a NEP-141 token sent with `ft_transfer_call`
//!   (see [`ledger`]); payouts are credited to the recipient's withdrawable balance and
//!   leave with `token_withdraw`, because a NEP-141 transfer is an asynchronous receipt that
//!   can fail after this contract's call committed. Attached NEAR was not chosen: it would
//!   make stake and payments a different asset from the Solana deployment's SPL token, and
//!   a bridged or native NEP-141 stake token keeps the economics the same on both chains.
//! - **Storage**: the account that creates state pays its storage staking from a NEP-145
//!   style storage balance (a deposit attached to the call, or `storage_deposit`), and gets
//!   it back when the record is deleted (Solana: rent).
//! - **Time**: block heights stand for slots; grant expiry is unix seconds on both.
//! - **Randomness**: challenge seeds come from `env::random_seed()` (see [`randomness`]).
//!
//! Every method checks its caller, its attached deposit and its arithmetic; a failed check
//! is an `Err(BasaltError)` that panics with a readable message and reverts the call.

use near_sdk::collections::{LookupMap, UnorderedMap};
use near_sdk::{env, near, AccountId, BorshStorageKey, PanicOnDefault};

pub mod errors;
pub mod events;
pub mod ledger;
mod methods;
pub mod randomness;
pub mod state;

pub use methods::*;

use errors::{ensure, BasaltError, Result};
use events::Event;
use state::{
    Blob, Config, ConfigParams, Dataset, DatasetGrant, Deal, Digest, Grant, Job, Provider, Version,
};

/// Collections are `near_sdk::collections` (not `store`) on purpose: they write through
/// on every insert and remove, so `env::storage_usage()` measured around a change is
/// exactly the storage it costs, which is what the caller is charged (see `ledger`).
#[near]
#[derive(BorshStorageKey)]
enum StorageKey {
    Providers,
    Blobs,
    Grants,
    Deals,
    Jobs,
    StorageBalances,
    Tokens,
    Datasets,
    DatasetGrants,
    Versions,
}

/// Token books: what the contract holds of the stake token, by purpose.
// INV: stake == sum of every provider's stake + unbonding_amount;
//      escrow == sum of every deal's balance + every job's escrow;
//      the token balance of this contract == stake + escrow + treasury + sum(tokens)
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Books {
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub stake: u128,
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub escrow: u128,
    /// Slashed stake minus bounties. Like the Solana treasury, nothing moves it out.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub treasury: u128,
    /// Credited to accounts and not yet withdrawn.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub withdrawable: u128,
}

#[near(contract_state)]
#[derive(PanicOnDefault)]
pub struct Contract {
    config: Config,
    books: Books,
    providers: UnorderedMap<AccountId, Provider>,
    blobs: LookupMap<Digest, Blob>,
    /// Keyed by (blob CID digest, grantee).
    grants: LookupMap<(Digest, AccountId), Grant>,
    /// Keyed by the blob's CID digest.
    deals: LookupMap<Digest, Deal>,
    /// Keyed by (requester, nonce).
    jobs: LookupMap<(AccountId, u64), Job>,
    /// Storage balance (yoctoNEAR) each account has deposited and not yet spent.
    storage_balances: LookupMap<AccountId, u128>,
    /// Stake tokens each account may withdraw (payouts, refunds, withdrawn stake).
    tokens: LookupMap<AccountId, u128>,
    /// The current epoch's challenge seed once drawn (see `randomness`).
    seed: Option<(u64, Digest)>,
    /// Keyed by `basalt_proof::dataset_id(owner, name)`.
    datasets: LookupMap<Digest, Dataset>,
    /// Keyed by (dataset id, grantee).
    dataset_grants: LookupMap<(Digest, AccountId), DatasetGrant>,
    /// Keyed by `basalt_proof::version_key(dataset id, tag)`.
    versions: LookupMap<Digest, Version>,
}

#[near]
impl Contract {
    /// Initializes the contract: the caller becomes the admin. Only the contract account
    /// itself may call it (deploy-and-init in one transaction), so nobody can front-run
    /// the deployer. `stake_token` is the NEP-141 contract of stakes and payments.
    #[init]
    #[private]
    #[handle_result]
    pub fn new(
        admin: AccountId,
        stake_token: AccountId,
        epoch_blocks: u64,
        proof_window_blocks: u64,
        params: ConfigParams,
    ) -> Result<Self> {
        // Chain difference: Solana caps the window at 500 slots (the SlotHashes history);
        // NEAR's seed is stored in state, so only the epoch bounds it.
        basalt_rules::check_epoch_geometry(epoch_blocks, proof_window_blocks, u64::MAX)?;
        params.validate()?;
        let mut config = Config {
            admin,
            pending_admin: None,
            stake_token,
            min_stake: 0,
            epoch_blocks,
            proof_window_blocks,
            unbonding_epochs: 0,
            proof_slash_bps: 0,
            job_slash_bps: 0,
            bounty_bps: 0,
            default_k: 0,
            default_m: 0,
            max_deal_epochs: 0,
            max_slashes_per_epoch: 0,
            accept_window_ticks: 0,
            offline_ticks: 0,
            pending_params: None,
            pending_params_at: 0,
        };
        config.apply(&params);
        Event::ConfigInitialized {
            admin: config.admin.clone(),
            stake_token: config.stake_token.clone(),
            epoch_blocks,
            proof_window_blocks,
            params,
            block: env::block_height(),
        }
        .emit();
        Ok(Self {
            config,
            books: Books::default(),
            providers: UnorderedMap::new(StorageKey::Providers),
            blobs: LookupMap::new(StorageKey::Blobs),
            grants: LookupMap::new(StorageKey::Grants),
            deals: LookupMap::new(StorageKey::Deals),
            jobs: LookupMap::new(StorageKey::Jobs),
            storage_balances: LookupMap::new(StorageKey::StorageBalances),
            tokens: LookupMap::new(StorageKey::Tokens),
            seed: None,
            datasets: LookupMap::new(StorageKey::Datasets),
            dataset_grants: LookupMap::new(StorageKey::DatasetGrants),
            versions: LookupMap::new(StorageKey::Versions),
        })
    }
}

impl Contract {
    /// The current Basalt epoch.
    fn current_epoch(&self) -> u64 {
        self.config.epoch_at(env::block_height())
    }

    fn provider(&self, account: &AccountId) -> Result<Provider> {
        self.providers
            .get(account)
            .ok_or(BasaltError::ProviderNotFound)
    }

    fn blob(&self, blob_id: &Digest) -> Result<Blob> {
        self.blobs.get(blob_id).ok_or(BasaltError::BlobNotFound)
    }

    fn job(&self, requester: &AccountId, nonce: u64) -> Result<Job> {
        self.jobs
            .get(&(requester.clone(), nonce))
            .ok_or(BasaltError::JobNotFound)
    }

    /// Checks that `caller` may act on `blob` with `roles`: it is the owner, or holds an
    /// unexpired grant on the blob with every bit of `roles`.
    ///
    /// # Errors
    ///
    /// [`BasaltError::GrantExpired`] for an expired grant, [`BasaltError::Unauthorized`]
    /// otherwise.
    fn authorize(&self, blob: &Blob, caller: &AccountId, roles: u8) -> Result<()> {
        if blob.owner == *caller {
            return Ok(());
        }
        let grant = self
            .grants
            .get(&(blob.id(), caller.clone()))
            .ok_or(BasaltError::Unauthorized)?;
        ensure!(grant.roles & roles == roles, BasaltError::Unauthorized);
        ensure!(!grant.is_expired(unix_seconds()), BasaltError::GrantExpired);
        Ok(())
    }
}

/// The block time in whole unix seconds.
fn unix_seconds() -> u64 {
    env::block_timestamp() / 1_000_000_000
}

/// Checks a grant about to be created (`basalt_rules::NewGrant`) at the block time.
fn check_new_grant(
    roles: u8,
    wrapped_key: &near_sdk::json_types::Base64VecU8,
    expires_at: Option<u64>,
) -> Result<()> {
    let seconds = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
    basalt_rules::NewGrant {
        roles,
        wrapped_key_len: wrapped_key.0.len(),
        expires_at: expires_at.map(seconds),
    }
    .check(seconds(unix_seconds()))?;
    Ok(())
}

/// Adds with overflow check.
fn add(a: u128, b: u128) -> Result<u128> {
    a.checked_add(b).ok_or(BasaltError::Overflow)
}

/// Subtracts with underflow check (a books invariant broke if this fails).
fn sub(a: u128, b: u128) -> Result<u128> {
    a.checked_sub(b).ok_or(BasaltError::Overflow)
}

#[cfg(test)]
mod tests;
