use anchor_lang::prelude::*;
use basalt_proof::hash::sha256v;

use crate::errors::BasaltError;
use crate::events::JobRevealed;
use crate::seeds;
use crate::state::{Job, JobStatus};

/// The commitment a worker posts for `result_hash`: SHA-256(result_hash || worker || salt).
/// Binding the worker's key stops another worker from copying a commitment.
pub fn job_commitment(result_hash: &[u8; 32], worker: &Pubkey, salt: &[u8; 32]) -> [u8; 32] {
    sha256v(&[result_hash, worker.as_ref(), salt])
}

/// After the commit deadline and up to the reveal deadline, a worker opens its commitment.
#[event_cpi]
#[derive(Accounts)]
pub struct JobReveal<'info> {
    pub worker: Signer<'info>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
}

impl JobReveal<'_> {
    pub fn handle(ctx: Context<Self>, result_hash: [u8; 32], salt: [u8; 32]) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.worker.key();
        let job = &mut ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        job.deadlines()
            .check_reveal_open(slot)
            .map_err(BasaltError::from)?;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        let entry = &mut job.workers[i];
        require!(entry.committed, BasaltError::NotCommitted);
        require!(!entry.revealed, BasaltError::AlreadyRevealed);
        require!(
            job_commitment(&result_hash, &worker, &salt) == entry.commitment,
            BasaltError::RevealMismatch
        );
        entry.revealed = true;
        entry.result_hash = result_hash;
        emit_cpi!(JobRevealed {
            job: job.key(),
            worker,
            result_hash,
            slot,
        });
        Ok(())
    }
}
