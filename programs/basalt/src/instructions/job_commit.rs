use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::JobCommitted;
use crate::seeds;
use crate::state::{Job, JobStatus};

/// A selected worker commits to `SHA-256(result_hash || worker || salt)` before the commit
/// deadline; once only, so a commitment cannot be replaced after seeing others' reveals.
#[event_cpi]
#[derive(Accounts)]
pub struct JobCommit<'info> {
    pub worker: Signer<'info>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
}

impl JobCommit<'_> {
    pub fn handle(ctx: Context<Self>, commitment: [u8; 32]) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.worker.key();
        let job = &mut ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        job.deadlines()
            .check_commit_open(slot)
            .map_err(BasaltError::from)?;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        require!(job.workers[i].selected, BasaltError::NotSelected);
        require!(!job.workers[i].committed, BasaltError::AlreadyCommitted);
        job.workers[i].commitment = commitment;
        job.workers[i].committed = true;
        emit_cpi!(JobCommitted {
            job: job.key(),
            worker,
            commitment,
            slot,
        });
        Ok(())
    }
}
