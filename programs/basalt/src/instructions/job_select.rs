use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::SysvarId;
use basalt_proof::hash::sha256v;
use basalt_proof::selection_draw;

use crate::errors::BasaltError;
use crate::events::JobSelected;
use crate::randomness::slot_hash_at_or_before;
use crate::seeds;
use crate::state::{Job, JobStatus};

/// Draws the job's `n` workers among its applicants (anyone may crank, once, after the apply
/// deadline and up to the commit deadline), each draw weighted by the applicant's stake
/// (`basalt_rules::select_weighted`). The seed is the bank hash of the apply deadline's
/// slot (the newest at or before it), which no applicant knew when applying, hashed with
/// the job's address so jobs sharing a deadline draw independently. SlotHashes keeps it
/// for about 500 slots after the deadline: a job nobody selects in that time gets no
/// workers and fails, its escrow refunded.
#[event_cpi]
#[derive(Accounts)]
pub struct JobSelect<'info> {
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    /// CHECK: the SlotHashes sysvar, read in place (see `randomness`).
    #[account(address = SlotHashes::id())]
    pub slot_hashes: UncheckedAccount<'info>,
}

impl JobSelect<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let key = ctx.accounts.job.key();
        let job = &mut ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        require!(!job.selection_done, BasaltError::AlreadySelected);
        job.deadlines()
            .check_select_open(slot)
            .map_err(BasaltError::from)?;
        let bank_hash = {
            let data = ctx.accounts.slot_hashes.try_borrow_data()?;
            slot_hash_at_or_before(&data, job.apply_deadline_slot)
                .ok_or(BasaltError::SeedUnavailable)?
        };
        let seed = sha256v(&[&bank_hash, key.as_ref()]);
        let stakes: Vec<u128> = job.workers.iter().map(|w| w.stake.into()).collect();
        let set = basalt_rules::select_weighted(&stakes, usize::from(job.n), |i| {
            selection_draw(&seed, i)
        });
        let mut workers = Vec::new();
        for (i, w) in job.workers.iter_mut().enumerate() {
            w.selected = set & (1 << i) != 0;
            if w.selected {
                workers.push(w.worker);
            }
        }
        job.selection_done = true;
        emit_cpi!(JobSelected {
            job: key,
            seed,
            workers,
            slot,
        });
        Ok(())
    }
}
