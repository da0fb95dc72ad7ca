use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::{JobWorkerSettled, ProviderSlashed, WorkerOutcome};
use crate::seeds;
use crate::state::{Config, Job, JobStatus, Provider};
use crate::token::pay_out;

/// Settles one applicant of a job (anyone may crank, once per applicant): an applicant that
/// was not selected, as soon as the selection ran (or the job ended without one); a selected
/// worker once the job is finalized. A worker that revealed the agreed result is paid its
/// reward and gains reputation; one that revealed another result loses reputation and,
/// when the agreeing results were a strict majority of those revealed, is slashed
/// `job_slash_bps` to the treasury; one that was selected but never revealed loses
/// reputation. Either way the application, an open obligation since `job_apply`, ends.
/// Storing a wanted output is part of the paid work: a worker that agreed is paid once the
/// output is registered or its deadline passed (`OutputPending` before). The last
/// settlement closes the job account, its rent and any unused output budget back to the
/// requester.
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
    /// The requester's token account, for an output budget nobody used.
    #[account(mut, token::mint = config.stake_mint, token::authority = job.requester)]
    pub requester_tokens: Account<'info, TokenAccount>,
    /// CHECK: the job's requester, which paid the job account's rent and gets it back when
    /// the last applicant is settled.
    #[account(mut, address = job.requester)]
    pub requester: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

impl JobSettle<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let worker = ctx.accounts.provider.authority;
        let job = &ctx.accounts.job;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        let entry = job.workers[i];
        require!(!entry.settled, BasaltError::AlreadySettled);
        let passed_over = job.selection_done && !entry.selected;
        require!(
            job.status != JobStatus::Open || passed_over,
            BasaltError::JobNotFinalized
        );
        let reveal = entry
            .revealed
            .then_some(entry.result_hash == job.result_hash);
        let succeeded = job.status == JobStatus::Succeeded;
        let outcome =
            WorkerOutcome::from(basalt_rules::job_outcome(entry.selected, succeeded, reveal));
        require!(
            outcome != WorkerOutcome::Paid || !job.pay_waits(slot),
            BasaltError::OutputPending
        );
        let reward = job.reward_per_worker;
        let slash_bps = if job.dissent_is_slashable() {
            ctx.accounts.config.job_slash_bps
        } else {
            0
        };

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
                WorkerOutcome::NoQuorum | WorkerOutcome::NotSelected => (0, 0),
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
        let job_closed = a.job.status != JobStatus::Open && a.job.all_settled();
        // INV: output_budget and the publication's budget are what the escrow holds for
        // an output not registered and a version not published.
        let output_refunded = if job_closed {
            let publication = a.job.publication.as_ref().map_or(0, |p| p.budget);
            a.job
                .output_budget
                .checked_add(publication)
                .ok_or(BasaltError::Overflow)?
        } else {
            0
        };
        pay_out(
            &a.token_program,
            &a.escrow_vault,
            &a.requester_tokens.to_account_info(),
            &a.config,
            output_refunded,
        )?;
        emit_cpi!(JobWorkerSettled {
            job: a.job.key(),
            worker,
            outcome,
            paid,
            slashed,
            reputation,
            job_closed,
            output_refunded,
            slot,
        });
        if job_closed {
            // INV: every agreeing worker was paid its reserved reward, so nothing is left.
            require!(a.job.escrow == 0, BasaltError::Overflow);
            let requester = a.requester.to_account_info();
            ctx.accounts.job.close(requester)?;
        }
        Ok(())
    }
}
