use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::JobFinalized;
use crate::seeds;
use crate::state::{Config, Job, JobStatus};
use crate::token::pay_out;

/// Closes a job's voting (anyone may crank): after the reveal deadline, or as soon as every
/// selected worker revealed. If exactly one result has `k` or more matching reveals the job
/// succeeds: their rewards stay reserved in the job's escrow for `job_settle` and the rest
/// goes back to the requester (the output budget stays for `job_output_register`).
/// Otherwise it fails and the whole escrow is refunded, output budget included. A job
/// with no applicant left to settle closes here, its rent back to the requester.
#[event_cpi]
#[derive(Accounts)]
pub struct JobFinalize<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    #[account(mut, token::mint = config.stake_mint, token::authority = job.requester)]
    pub requester_tokens: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    /// CHECK: the job's requester, which gets the job account's rent back when no
    /// applicant is left to settle.
    #[account(mut, address = job.requester)]
    pub requester: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

impl JobFinalize<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let job = &ctx.accounts.job;
        require!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        job.deadlines()
            .check_finalizable(slot, job.everyone_revealed())
            .map_err(BasaltError::from)?;
        let (status, result_hash, agreeing, reserved) = match job.quorum_result() {
            Some((hash, votes)) => {
                // Cannot overflow: votes <= n and n * reward was checked at posting.
                let reserved = job.reward_per_worker * votes as u64;
                (JobStatus::Succeeded, hash, votes as u8, reserved)
            }
            None => (JobStatus::Failed, [0; 32], 0, 0),
        };
        // A failed job has no output to store: its budget goes back with the rewards.
        let output_refund = if status == JobStatus::Failed {
            job.output_budget
        } else {
            0
        };
        let refund = job
            .escrow
            .checked_sub(reserved)
            .and_then(|r| r.checked_add(output_refund))
            .ok_or(BasaltError::Overflow)?;
        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.escrow_vault,
            &a.requester_tokens.to_account_info(),
            &a.config,
            refund,
        )?;
        let job = &mut ctx.accounts.job;
        job.escrow = reserved;
        job.output_budget -= output_refund;
        job.status = status;
        job.result_hash = result_hash;
        let job_closed = job.all_settled();
        emit_cpi!(JobFinalized {
            job: job.key(),
            status,
            result_hash,
            agreeing,
            refunded: refund,
            job_closed,
            slot,
        });
        if job_closed {
            let requester = ctx.accounts.requester.to_account_info();
            ctx.accounts.job.close(requester)?;
        }
        Ok(())
    }
}
