use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::{JobWorkerSettled, ProviderSlashed, WorkerOutcome};
use crate::seeds;
use crate::state::{Config, Job, JobStatus, Provider};
use crate::token::pay_out;

/// Settles one worker of a finalized job (anyone may crank, once per worker): a worker that
/// revealed the agreed result is paid its reward and gains reputation; one that revealed
/// another result is slashed `job_slash_bps` to the treasury and loses reputation; one that
/// claimed but never revealed loses reputation. Either way the worker's place, an open
/// obligation since `job_claim`, ends.
#[event_cpi]
#[derive(Accounts)]
pub struct JobSettle<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    #[account(mut, seeds = [seeds::PROVIDER, provider.authority.as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    /// The worker's token account for the reward.
    #[account(mut, token::mint = config.stake_mint, token::authority = provider.authority)]
    pub worker_tokens: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::STAKE_VAULT], bump = config.stake_vault_bump)]
    pub stake_vault: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::TREASURY], bump = config.treasury_bump)]
    pub treasury: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl JobSettle<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.provider.authority;
        let job = &ctx.accounts.job;
        require!(job.status != JobStatus::Open, BasaltError::JobNotFinalized);
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        let entry = job.workers[i];
        require!(!entry.settled, BasaltError::AlreadySettled);
        let outcome = match (job.status, entry.revealed) {
            (_, false) => WorkerOutcome::NoShow,
            (JobStatus::Succeeded, true) if entry.result_hash == job.result_hash => {
                WorkerOutcome::Paid
            }
            (JobStatus::Succeeded, true) => WorkerOutcome::Disagreed,
            _ => WorkerOutcome::NoQuorum,
        };
        let reward = job.reward_per_worker;
        let slash_bps = ctx.accounts.config.job_slash_bps;

        let (paid, slashed) = {
            let job = &mut ctx.accounts.job;
            job.workers[i].settled = true;
            let provider = &mut ctx.accounts.provider;
            provider.close_obligation();
            match outcome {
                WorkerOutcome::Paid => {
                    job.escrow = job
                        .escrow
                        .checked_sub(reward)
                        .ok_or(BasaltError::Overflow)?;
                    provider.reputation = provider.reputation.saturating_add(1);
                    (reward, 0)
                }
                WorkerOutcome::Disagreed => {
                    provider.reputation = provider.reputation.saturating_sub(1);
                    (0, provider.slash(slash_bps))
                }
                WorkerOutcome::NoShow => {
                    provider.reputation = provider.reputation.saturating_sub(1);
                    (0, 0)
                }
                WorkerOutcome::NoQuorum => (0, 0),
            }
        };
        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.escrow_vault,
            &a.worker_tokens.to_account_info(),
            &a.config,
            paid,
        )?;
        pay_out(
            &a.token_program,
            &a.stake_vault,
            &a.treasury.to_account_info(),
            &a.config,
            slashed,
        )?;
        let reputation = a.provider.reputation;
        if slashed > 0 {
            emit_cpi!(ProviderSlashed {
                provider: a.provider.key(),
                amount: slashed,
                bounty: 0,
                beneficiary: a.treasury.key(),
                subject: a.job.key(),
                reputation,
                slot,
            });
        }
        emit_cpi!(JobWorkerSettled {
            job: a.job.key(),
            worker,
            outcome,
            paid,
            slashed,
            reputation,
            slot,
        });
        Ok(())
    }
}
