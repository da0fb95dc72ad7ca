use anchor_lang::prelude::*;
use basalt_rules::Admission;

use crate::errors::BasaltError;
use crate::events::JobApplied;
use crate::seeds;
use crate::state::{Config, Job, JobStatus, JobWorker, Provider, ROLE_COMPUTE};

/// An eligible compute provider (active, staked, not jailed or unbonding) applies for the
/// job up to its apply deadline, with its bonded stake as its weight in `job_select`. The
/// application is the provider's consent to work if selected: it is an obligation its
/// Provider account counts until `job_settle`. Once the job has `MAX_JOB_APPLICANTS`, a
/// newcomer with more stake displaces the earliest of the least staked (`basalt_rules::admit`),
/// whose Provider account is passed as `displaced` so its obligation ends.
#[event_cpi]
#[derive(Accounts)]
pub struct JobApply<'info> {
    pub worker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, worker.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    /// The applicant this application displaces, when the job is full.
    #[account(mut, seeds = [seeds::PROVIDER, displaced.authority.as_ref()], bump = displaced.bump)]
    pub displaced: Option<Account<'info, Provider>>,
}

impl JobApply<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let a = &ctx.accounts;
        require!(
            a.provider.is_eligible(&a.config, ROLE_COMPUTE),
            BasaltError::ProviderNotEligible
        );
        let worker = a.worker.key();
        let stake = a.provider.stake;
        let job = &mut ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        job.deadlines()
            .check_apply_open(slot)
            .map_err(BasaltError::from)?;
        require!(
            job.worker_index(&worker).is_none(),
            BasaltError::AlreadyApplied
        );
        let entry = JobWorker {
            worker,
            stake,
            ..JobWorker::default()
        };
        let stakes = job.workers.iter().map(|w| u128::from(w.stake));
        let displaced =
            match basalt_rules::admit(stakes, stake.into()).map_err(BasaltError::from)? {
                Admission::Append => {
                    require!(
                        ctx.accounts.displaced.is_none(),
                        BasaltError::DisplacedMismatch
                    );
                    job.workers.push(entry);
                    None
                }
                Admission::Displace(i) => {
                    let gone = job.workers[i].worker;
                    let provider = ctx
                        .accounts
                        .displaced
                        .as_mut()
                        .filter(|p| p.authority == gone)
                        .ok_or(BasaltError::DisplacedMismatch)?;
                    provider.close_obligation();
                    job.workers[i] = entry;
                    Some(gone)
                }
            };
        ctx.accounts.provider.open_obligation()?;
        emit_cpi!(JobApplied {
            job: ctx.accounts.job.key(),
            worker,
            stake,
            displaced,
            slot,
        });
        Ok(())
    }
}
