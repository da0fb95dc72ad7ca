//! Basalt's Solana program (Anchor): the provider registry and staking, blobs and their
//! access control, storage deals, storage proofs, compute jobs and versioned datasets.
//!
//! Layout: `state/` holds one file per account, `instructions/` one file per instruction
//! (`<noun>_<verb>.rs`, accounts struct and handler together), [`seeds`] every PDA seed,
//! [`errors`] every error, [`events`] every event. Storage proofs are checked with
//! `basalt_proof`, the same crate the off-chain nodes use, and challenged with the
//! randomness described in [`randomness`]. Which accounts decide a read is written down in
//! [`state::grant`].
//!
//! Every instruction checks its signer, the owner and seeds of every account it reads
//! (Anchor's `Account` and `seeds` constraints) and its arithmetic (checked or proven not to
//! overflow); bad input is an error code from [`errors::BasaltError`], never a panic.
//!
//! The crate builds for SBF unchanged (`anchor build`); natively it is hosted by the
//! `basalt-native` crate. With the `client` feature it also exports [`client`]: instruction
//! builders, PDA helpers and account and event decoding for off-chain code.

pub use ::anchor_lang;
use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod randomness;
pub mod seeds;
pub mod state;
mod token;

#[cfg(feature = "client")]
pub mod client;

use instructions::*;
use state::{ConfigParams, TokenGate};

declare_id!("BasngbvH8ed8WMm4vC7dqjFgrkdGkYGDJnGPUZ1C4kps");

#[program]
pub mod basalt {
    use super::*;

    pub fn config_initialize(
        ctx: Context<ConfigInitialize>,
        epoch_slots: u64,
        proof_window_slots: u64,
        params: ConfigParams,
    ) -> Result<()> {
        ConfigInitialize::handle(ctx, epoch_slots, proof_window_slots, params)
    }

    pub fn config_update(
        ctx: Context<ConfigUpdate>,
        params: ConfigParams,
        new_admin: Option<Pubkey>,
    ) -> Result<()> {
        ConfigUpdate::handle(ctx, params, new_admin)
    }

    pub fn config_apply(ctx: Context<ConfigApply>) -> Result<()> {
        ConfigApply::handle(ctx)
    }

    pub fn admin_accept(ctx: Context<AdminAccept>) -> Result<()> {
        AdminAccept::handle(ctx)
    }

    pub fn provider_register(
        ctx: Context<ProviderRegister>,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        ProviderRegister::handle(ctx, endpoint, region, roles, capacity)
    }

    pub fn provider_update(
        ctx: Context<ProviderUpdate>,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        ProviderUpdate::handle(ctx, endpoint, region, roles, capacity)
    }

    pub fn provider_stake(ctx: Context<ProviderStake>, amount: u64) -> Result<()> {
        ProviderStake::handle(ctx, amount)
    }

    pub fn provider_unstake(ctx: Context<ProviderUnstake>, amount: u64) -> Result<()> {
        ProviderUnstake::handle(ctx, amount)
    }

    pub fn provider_withdraw(ctx: Context<ProviderWithdraw>) -> Result<()> {
        ProviderWithdraw::handle(ctx)
    }

    pub fn provider_heartbeat(ctx: Context<ProviderHeartbeat>) -> Result<()> {
        ProviderHeartbeat::handle(ctx)
    }

    pub fn provider_deregister(ctx: Context<ProviderDeregister>) -> Result<()> {
        ProviderDeregister::handle(ctx)
    }

    pub fn provider_unjail(ctx: Context<ProviderUnjail>) -> Result<()> {
        ProviderUnjail::handle(ctx)
    }

    pub fn blob_register(ctx: Context<BlobRegister>, args: BlobRegisterArgs) -> Result<()> {
        BlobRegister::handle(ctx, args)
    }

    pub fn blob_place<'info>(
        ctx: Context<'info, BlobPlace<'info>>,
        first: u16,
        column_roots: Vec<[u8; 32]>,
    ) -> Result<()> {
        BlobPlace::handle(ctx, first, column_roots)
    }

    pub fn shard_accept(
        ctx: Context<ShardAccept>,
        index: u16,
        column_root: [u8; 32],
        expiry_epoch: u64,
        price_per_shard_epoch: u64,
    ) -> Result<()> {
        let terms = basalt_rules::Terms {
            column_root,
            expiry_epoch,
            price_per_shard_epoch: u128::from(price_per_shard_epoch),
        };
        ShardAccept::handle(ctx, index, &terms)
    }

    pub fn shard_release(ctx: Context<ShardRelease>, index: u16) -> Result<()> {
        ShardRelease::handle(ctx, index)
    }

    pub fn shard_evict(ctx: Context<ShardEvict>, index: u16) -> Result<()> {
        ShardEvict::handle(ctx, index)
    }

    pub fn blob_set_access(
        ctx: Context<BlobSetAccess>,
        public: bool,
        token_gate: Option<TokenGate>,
    ) -> Result<()> {
        BlobSetAccess::handle(ctx, public, token_gate)
    }

    pub fn blob_delete<'info>(ctx: Context<'info, BlobDelete<'info>>) -> Result<()> {
        BlobDelete::handle(ctx)
    }

    pub fn grant_create(
        ctx: Context<GrantCreate>,
        grantee: Pubkey,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<()> {
        GrantCreate::handle(ctx, grantee, roles, expires_at, wrapped_key)
    }

    pub fn grant_revoke(ctx: Context<GrantRevoke>) -> Result<()> {
        GrantRevoke::handle(ctx)
    }

    pub fn deal_fund(
        ctx: Context<DealFund>,
        price_per_shard_epoch: u64,
        amount: u64,
    ) -> Result<()> {
        DealFund::handle(ctx, price_per_shard_epoch, amount)
    }

    pub fn deal_top_up(ctx: Context<DealTopUp>, amount: u64) -> Result<()> {
        DealTopUp::handle(ctx, amount)
    }

    pub fn deal_settle(ctx: Context<DealSettle>, index: u16) -> Result<()> {
        DealSettle::handle(ctx, index)
    }

    pub fn deal_refund(ctx: Context<DealRefund>) -> Result<()> {
        DealRefund::handle(ctx)
    }

    pub fn proof_submit(
        ctx: Context<ProofSubmit>,
        index: u16,
        epoch: u64,
        leaf: Vec<u8>,
        path: Vec<[u8; 32]>,
    ) -> Result<()> {
        ProofSubmit::handle(ctx, index, epoch, leaf, path)
    }

    pub fn proof_slash(ctx: Context<ProofSlash>, index: u16, epoch: u64) -> Result<()> {
        ProofSlash::handle(ctx, index, epoch)
    }

    pub fn job_post(ctx: Context<JobPost>, args: JobPostArgs) -> Result<()> {
        JobPost::handle(ctx, args)
    }

    pub fn job_output_register(ctx: Context<JobOutputRegister>, args: JobOutputArgs) -> Result<()> {
        JobOutputRegister::handle(ctx, args)
    }

    pub fn job_output_publish(
        ctx: Context<JobOutputPublish>,
        args: JobOutputPublishArgs,
    ) -> Result<()> {
        JobOutputPublish::handle(ctx, args)
    }

    pub fn job_output_link(ctx: Context<JobOutputLink>) -> Result<()> {
        JobOutputLink::handle(ctx)
    }

    pub fn job_apply(ctx: Context<JobApply>) -> Result<()> {
        JobApply::handle(ctx)
    }

    pub fn job_select(ctx: Context<JobSelect>) -> Result<()> {
        JobSelect::handle(ctx)
    }

    pub fn job_commit(ctx: Context<JobCommit>, commitment: [u8; 32]) -> Result<()> {
        JobCommit::handle(ctx, commitment)
    }

    pub fn job_reveal(
        ctx: Context<JobReveal>,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<()> {
        JobReveal::handle(ctx, result_hash, salt)
    }

    pub fn job_finalize(ctx: Context<JobFinalize>) -> Result<()> {
        JobFinalize::handle(ctx)
    }

    pub fn job_settle(ctx: Context<JobSettle>) -> Result<()> {
        JobSettle::handle(ctx)
    }

    pub fn dataset_create(ctx: Context<DatasetCreate>, name: String, public: bool) -> Result<()> {
        DatasetCreate::handle(ctx, name, public)
    }

    pub fn dataset_set_access(ctx: Context<DatasetSetAccess>, public: bool) -> Result<()> {
        DatasetSetAccess::handle(ctx, public)
    }

    pub fn dataset_grant_create(
        ctx: Context<DatasetGrantCreate>,
        grantee: Pubkey,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<()> {
        DatasetGrantCreate::handle(ctx, grantee, roles, expires_at, wrapped_key)
    }

    pub fn dataset_grant_revoke(ctx: Context<DatasetGrantRevoke>) -> Result<()> {
        DatasetGrantRevoke::handle(ctx)
    }

    pub fn version_publish<'info>(
        ctx: Context<'info, VersionPublish<'info>>,
        args: VersionPublishArgs,
    ) -> Result<()> {
        VersionPublish::handle(ctx, args)
    }

    pub fn version_retract(ctx: Context<VersionRetract>) -> Result<()> {
        VersionRetract::handle(ctx)
    }
}
