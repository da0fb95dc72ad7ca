use anchor_lang::prelude::*;
use basalt_rules::OutputRegistration;

use crate::errors::BasaltError;
use crate::events::{DealFunded, JobOutputRegistered};
use crate::instructions::blob_register::{blob_registered, new_blob, BlobRegisterArgs};
use crate::seeds;
use crate::state::{Blob, Config, Deal, Job, JobStatus};

/// The output blob a worker registers: what `blob_register` takes, less what the job
/// decides (the owner, access, encryption and expiry).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct JobOutputArgs {
    pub cid_digest: [u8; 32],
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub commitment_root: [u8; 32],
}

impl JobOutputArgs {
    /// The blob registration these describe, with what the registrar decides besides.
    pub fn to_register(
        &self,
        expiry_epoch: u64,
        public: bool,
        encrypted: bool,
    ) -> BlobRegisterArgs {
        BlobRegisterArgs {
            cid_digest: self.cid_digest,
            size: self.size,
            chunk_size: self.chunk_size,
            leaf_size: self.leaf_size,
            k: self.k,
            m: self.m,
            commitment_root: self.commitment_root,
            expiry_epoch,
            public,
            encrypted,
        }
    }
}

/// Registers a succeeded job's output as a blob of the job's requester, signed by a
/// selected worker that revealed the agreed result, once, up to the job's output deadline
/// (`basalt_rules::OutputRegistration`). A plain output is public and must have the agreed
/// result as its digest; an encrypted one is private, sealed for the requester, who checks
/// it when reading. The blob expires after as many epochs as the output budget pays for
/// every shard (at most the configuration's limit); its deal opens with that budget, the
/// requester as its payer. The worker may place the shards until the blob is active (the
/// blob's `writer`), and is paid back the two accounts' rent from what the requester put
/// into the job account for them.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: JobOutputArgs)]
pub struct JobOutputRegister<'info> {
    #[account(mut)]
    pub worker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    #[account(init, payer = worker,
        space = Blob::space(usize::from(args.k) + usize::from(args.m)),
        seeds = [seeds::BLOB, job.requester.as_ref(), args.cid_digest.as_ref()], bump)]
    pub blob: Account<'info, Blob>,
    #[account(init, payer = worker, space = 8 + Deal::INIT_SPACE,
        seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: Account<'info, Deal>,
    pub system_program: Program<'info, System>,
}

impl JobOutputRegister<'_> {
    pub fn handle(ctx: Context<Self>, args: JobOutputArgs) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.worker.key();
        let job = &ctx.accounts.job;
        let terms = job.output_terms();
        OutputRegistration {
            terms,
            succeeded: job.status == JobStatus::Succeeded,
            agreed: &job.result_hash,
            worker_agreed: job.agreed(&worker),
            stored: job.output_stored(),
            encrypted: job.output_encrypted,
            cid_digest: &args.cid_digest,
        }
        .check(slot)
        .map_err(BasaltError::from)?;
        let config = &ctx.accounts.config;
        let shards = args.k.checked_add(args.m).ok_or(BasaltError::Overflow)?;
        let epochs = terms
            .epochs(shards, config.max_deal_epochs)
            .map_err(BasaltError::from)?;
        let register = args.to_register(
            config
                .epoch_at(slot)
                .checked_add(epochs)
                .ok_or(BasaltError::Overflow)?,
            !job.output_encrypted,
            job.output_encrypted,
        );
        let requester = job.requester;
        let budget = job.output_budget;
        let price = job.output_price_per_shard_epoch;
        let blob = new_blob(
            requester,
            Some(worker),
            &register,
            config,
            slot,
            ctx.bumps.blob,
        )?;
        ctx.accounts.blob.set_inner(blob);
        let blob_key = ctx.accounts.blob.key();
        ctx.accounts.deal.set_inner(Deal {
            blob: blob_key,
            payer: requester,
            price_per_shard_epoch: price,
            balance: budget,
            total_paid: 0,
            bump: ctx.bumps.deal,
        });
        // The budget stays in the escrow vault: it is the deal's balance now.
        let job = &mut ctx.accounts.job;
        job.output_budget = 0;
        job.output_blob = blob_key;

        let rent_refunded = refund_rent(ctx.accounts)?;
        let a = &ctx.accounts;
        emit_cpi!(blob_registered(blob_key, &a.blob, slot));
        emit_cpi!(DealFunded {
            deal: a.deal.key(),
            blob: blob_key,
            payer: requester,
            price_per_shard_epoch: price,
            amount: budget,
            balance: budget,
            slot,
        });
        emit_cpi!(JobOutputRegistered {
            job: a.job.key(),
            blob: blob_key,
            worker,
            cid_digest: args.cid_digest,
            budget,
            rent_refunded,
            slot,
        });
        Ok(())
    }
}

/// Pays the worker back the rent of the Blob and Deal accounts it just created, out of the
/// lamports the requester put into the job account above its own rent for them (a wider
/// code than the network's default may cost the worker the difference).
fn refund_rent(a: &JobOutputRegister) -> Result<u64> {
    let paid = a
        .blob
        .to_account_info()
        .lamports()
        .checked_add(a.deal.to_account_info().lamports())
        .ok_or(BasaltError::Overflow)?;
    pay_back_rent(&a.job.to_account_info(), &a.worker.to_account_info(), paid)
}

/// Moves up to `paid` lamports from the job account, above its own rent, to the worker that
/// paid that much rent for accounts the job asked for; returns what moved.
pub(crate) fn pay_back_rent(job: &AccountInfo, worker: &AccountInfo, paid: u64) -> Result<u64> {
    let own_rent = Rent::get()?.minimum_balance(job.data_len());
    let refund = paid.min(job.lamports().saturating_sub(own_rent));
    **job.try_borrow_mut_lamports()? -= refund;
    let credited = worker
        .lamports()
        .checked_add(refund)
        .ok_or(BasaltError::Overflow)?;
    **worker.try_borrow_mut_lamports()? = credited;
    Ok(refund)
}
