use anchor_lang::prelude::*;
use basalt_proof::BlobLayout;

use crate::errors::BasaltError;
use crate::events::BlobRegistered;
use crate::seeds;
use crate::state::{Blob, Config, ShardSlot, MAX_BLOB_SHARDS};

/// What a client commits to when it registers a blob (computed by `basalt-core`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct BlobRegisterArgs {
    pub cid_digest: [u8; 32],
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub commitment_root: [u8; 32],
    pub expiry_epoch: u64,
    pub public: bool,
    /// The stored bytes are ciphertext (`basalt_core` per-chunk AEAD). Recorded on chain
    /// so a reader never takes ciphertext for the file because a node said otherwise.
    pub encrypted: bool,
}

/// Creates a blob with its shards unplaced; `blob_place` places them and activates it
/// (the same transaction can carry both, and `deal_fund`).
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: BlobRegisterArgs)]
pub struct BlobRegister<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(init, payer = owner,
        space = Blob::space(usize::from(args.k) + usize::from(args.m)),
        seeds = [seeds::BLOB, owner.key().as_ref(), args.cid_digest.as_ref()], bump)]
    pub blob: Account<'info, Blob>,
    pub system_program: Program<'info, System>,
}

impl BlobRegister<'_> {
    pub fn handle(ctx: Context<Self>, args: BlobRegisterArgs) -> Result<()> {
        let slot = Clock::get()?.slot;
        let owner = ctx.accounts.owner.key();
        let blob = new_blob(
            owner,
            None,
            &args,
            &ctx.accounts.config,
            slot,
            ctx.bumps.blob,
        )?;
        ctx.accounts.blob.set_inner(blob);
        let blob = &ctx.accounts.blob;
        emit_cpi!(blob_registered(blob.key(), blob, slot));
        Ok(())
    }
}

/// A new blob of `owner` with its shards unplaced, checked as `blob_register` checks it
/// (shared with `job_output_register`, which registers for a job's requester).
///
/// # Errors
///
/// `TooManyShards`, `InvalidLayout` or `InvalidExpiry`.
pub(crate) fn new_blob(
    owner: Pubkey,
    writer: Option<Pubkey>,
    args: &BlobRegisterArgs,
    config: &Config,
    slot: u64,
    bump: u8,
) -> Result<Blob> {
    let total = usize::from(args.k) + usize::from(args.m);
    require!(total <= MAX_BLOB_SHARDS, BasaltError::TooManyShards);
    // Rejects zero k or m, bad chunk or leaf sizes, and blobs whose proofs would not fit in
    // one transaction.
    let layout =
        BlobLayout::with_leaf_size(args.size, args.chunk_size, args.k, args.m, args.leaf_size)
            .map_err(|_| error!(BasaltError::InvalidLayout))?;
    basalt_rules::check_expiry(
        config.epoch_at(slot),
        args.expiry_epoch,
        config.max_deal_epochs,
    )
    .map_err(BasaltError::from)?;
    Ok(Blob {
        owner,
        cid_digest: args.cid_digest,
        size: args.size,
        chunk_size: args.chunk_size,
        leaf_size: args.leaf_size,
        k: args.k,
        m: args.m,
        chunk_count: layout.chunk_count(),
        commitment_root: args.commitment_root,
        expiry_epoch: args.expiry_epoch,
        created_slot: slot,
        epoch_slots: config.epoch_slots,
        proof_window_slots: config.proof_window_slots,
        public: args.public,
        encrypted: args.encrypted,
        token_gate: None,
        active: false,
        grant_count: 0,
        writer,
        bump,
        shards: vec![ShardSlot::default(); total],
    })
}

/// The event a new blob at `address` emits.
pub(crate) fn blob_registered(address: Pubkey, blob: &Blob, slot: u64) -> BlobRegistered {
    BlobRegistered {
        blob: address,
        owner: blob.owner,
        cid_digest: blob.cid_digest,
        size: blob.size,
        k: blob.k,
        m: blob.m,
        chunk_count: blob.chunk_count,
        commitment_root: blob.commitment_root,
        expiry_epoch: blob.expiry_epoch,
        public: blob.public,
        encrypted: blob.encrypted,
        slot,
    }
}
