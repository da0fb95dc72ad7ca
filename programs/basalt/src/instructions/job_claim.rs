use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::JobClaimed;
use crate::seeds;
use crate::state::{Config, Job, JobStatus, JobWorker, Provider, ROLE_COMPUTE};

/// An eligible compute provider (active, staked, not jailed or unbonding) takes one of the
/// job's `n` places during the commit phase. The place is an obligation its Provider
/// account counts until `job_settle`.
#[event_cpi]
#[derive(Accounts)]
pub struct JobClaim<'info> {
    pub worker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, worker.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
}

impl JobClaim<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let a = &ctx.accounts;
        require!(
            a.provider.is_eligible(&a.config, ROLE_COMPUTE),
            BasaltError::ProviderNotEligible
        );
        let worker = a.worker.key();
        let job = &mut ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        job.deadlines()
            .check_commit_open(slot)
            .map_err(BasaltError::from)?;
        require!(
            job.worker_index(&worker).is_none(),
            BasaltError::AlreadyClaimed
        );
        require!(job.workers.len() < usize::from(job.n), BasaltError::JobFull);
        job.workers.push(JobWorker {
            worker,
            ..JobWorker::default()
        });
        ctx.accounts.provider.open_obligation()?;
        emit_cpi!(JobClaimed {
            job: job.key(),
            worker,
            slot,
        });
        Ok(())
    }
}
