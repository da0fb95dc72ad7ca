use anchor_lang::prelude::*;
use basalt_rules::OutputRegistration;

use crate::errors::BasaltError;
use crate::events::JobOutputRegistered;
use crate::seeds;
use crate::state::{Blob, Job, JobStatus};

/// Records as a succeeded job's output a blob the requester already stores with exactly
/// the agreed result as its content: a blob is its owner's registration of a content, so
/// the output's own blob would have this very address and cannot be registered again.
/// Signed, like `job_output_register`, by a selected worker that revealed the agreed
/// result, once, up to the output deadline (`basalt_rules::OutputRegistration`). Nothing
/// is stored or paid for: the output budget stays with the job and goes back to the
/// requester when the job closes, and the agreeing workers may settle at once. The blob's
/// lifetime is its own deal's, the requester's to extend.
#[event_cpi]
#[derive(Accounts)]
pub struct JobOutputLink<'info> {
    pub worker: Signer<'info>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    // INV: the requester's blob of the agreed result: its seeds bind owner and content.
    #[account(seeds = [seeds::BLOB, job.requester.as_ref(), job.result_hash.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
}

impl JobOutputLink<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.worker.key();
        let job = &ctx.accounts.job;
        OutputRegistration {
            terms: job.output_terms(),
            succeeded: job.status == JobStatus::Succeeded,
            agreed: &job.result_hash,
            worker_agreed: job.agreed(&worker),
            stored: job.output_stored(),
            // The blob's content is the agreed result itself, whatever the job asked
            // for its own blob: the plain rule applies.
            encrypted: false,
            cid_digest: &ctx.accounts.blob.cid_digest,
        }
        .check(slot)
        .map_err(BasaltError::from)?;
        let blob = ctx.accounts.blob.key();
        let job = &mut ctx.accounts.job;
        job.output_blob = blob;
        let (job_key, cid_digest) = (job.key(), job.result_hash);
        emit_cpi!(JobOutputRegistered {
            job: job_key,
            blob,
            worker,
            cid_digest,
            budget: 0,
            rent_refunded: 0,
            slot,
        });
        Ok(())
    }
}
