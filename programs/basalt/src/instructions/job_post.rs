use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::JobPosted;
use crate::seeds;
use basalt_rules::JobParams;

use crate::state::{Config, Job, JobStatus};
use crate::token::deposit;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct JobPostArgs {
    pub nonce: u64,
    pub module_cid: [u8; 32],
    pub input_cid: [u8; 32],
    pub fuel_limit: u64,
    pub n: u8,
    pub k: u8,
    pub reward_per_worker: u64,
    pub apply_deadline_slot: u64,
    pub commit_deadline_slot: u64,
    pub reveal_deadline_slot: u64,
}

/// Posts a WASM job: `n * reward_per_worker` of the stake mint goes into escrow; compute
/// providers apply up to the apply deadline, `job_select` draws `n` of them by stake, and
/// those commit, then reveal their result hashes; `k` must agree.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: JobPostArgs)]
pub struct JobPost<'info> {
    #[account(mut)]
    pub requester: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(init, payer = requester, space = 8 + Job::INIT_SPACE,
        seeds = [seeds::JOB, requester.key().as_ref(), &args.nonce.to_le_bytes()], bump)]
    pub job: Account<'info, Job>,
    #[account(mut, token::mint = config.stake_mint, token::authority = requester)]
    pub from: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl JobPost<'_> {
    pub fn handle(ctx: Context<Self>, args: JobPostArgs) -> Result<()> {
        let slot = Clock::get()?.slot;
        JobParams {
            n: args.n,
            k: args.k,
            fuel_limit: args.fuel_limit,
            apply_deadline: args.apply_deadline_slot,
            commit_deadline: args.commit_deadline_slot,
            reveal_deadline: args.reveal_deadline_slot,
        }
        .check(slot)
        .map_err(BasaltError::from)?;
        require!(args.reward_per_worker > 0, BasaltError::ZeroAmount);
        let escrow = args
            .reward_per_worker
            .checked_mul(u64::from(args.n))
            .ok_or(BasaltError::Overflow)?;
        let a = &ctx.accounts;
        deposit(
            &a.token_program,
            &a.from,
            &a.escrow_vault,
            &a.requester,
            escrow,
        )?;
        let requester = a.requester.key();
        let job = &mut ctx.accounts.job;
        job.set_inner(Job {
            requester,
            nonce: args.nonce,
            module_cid: args.module_cid,
            input_cid: args.input_cid,
            fuel_limit: args.fuel_limit,
            n: args.n,
            k: args.k,
            reward_per_worker: args.reward_per_worker,
            escrow,
            apply_deadline_slot: args.apply_deadline_slot,
            commit_deadline_slot: args.commit_deadline_slot,
            reveal_deadline_slot: args.reveal_deadline_slot,
            status: JobStatus::Open,
            result_hash: [0; 32],
            selection_done: false,
            bump: ctx.bumps.job,
            workers: Vec::new(),
        });
        emit_cpi!(JobPosted {
            job: job.key(),
            requester,
            nonce: args.nonce,
            module_cid: args.module_cid,
            input_cid: args.input_cid,
            fuel_limit: args.fuel_limit,
            n: args.n,
            k: args.k,
            reward_per_worker: args.reward_per_worker,
            apply_deadline_slot: args.apply_deadline_slot,
            commit_deadline_slot: args.commit_deadline_slot,
            reveal_deadline_slot: args.reveal_deadline_slot,
            slot,
        });
        Ok(())
    }
}
