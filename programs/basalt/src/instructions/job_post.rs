use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::JobPosted;
use crate::seeds;
use basalt_rules::JobParams;

use crate::state::{
    dataset_standing, Blob, Config, Dataset, DatasetGrant, Deal, Job, JobPublication, JobStatus,
    Version,
};
use crate::token::deposit;

/// `Default` posts nothing valid; it fills what a caller leaves out (no stored output).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
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
    /// Store the output as a blob of the requester's, paid by this budget (zero: do not
    /// store it; `basalt_rules::OutputTerms`).
    pub output_budget: u64,
    pub output_price_per_shard_epoch: u64,
    pub output_deadline_slot: u64,
    /// Seal the output for the requester (a private blob) instead of storing it plain and
    /// public.
    pub output_encrypted: bool,
    /// Publish the output as a version of the `publish_dataset` account's dataset
    /// (`basalt_rules::NewPublication`).
    pub publication: Option<JobPublicationArgs>,
}

/// A request to publish a job's output as a version of a public dataset.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct JobPublicationArgs {
    pub tag: String,
    /// Escrowed for the manifest blob's deal (priced as the output's).
    pub budget: u64,
}

/// Posts a WASM job: `n * reward_per_worker` of the stake mint, plus the output budget, goes
/// into escrow; compute providers apply up to the apply deadline, `job_select` draws `n` of
/// them by stake, and those commit, then reveal their result hashes; `k` must agree. When
/// the output is to be stored, the job account also takes the lamports for the output's
/// Blob and Deal accounts at the network's default code, which the worker that registers
/// them is paid back (`job_output_register`); what is left returns with the job's rent.
///
/// A job over a dataset version passes that Version account (`input_version`): the input
/// is its files, and `input_cid` must be its version id. A job whose output is to be
/// published passes the dataset (and the requester's DatasetGrant, for a WRITE grantee);
/// the job account then also takes the rent of the manifest's Blob and Deal and of the
/// Version, paid back to the worker that publishes (`job_output_publish`).
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
    /// The dataset version whose files are the input.
    pub input_version: Option<Account<'info, Version>>,
    /// The dataset the output is to be published into.
    #[account(seeds = [seeds::DATASET, publish_dataset.owner.as_ref(), seeds::label(&publish_dataset.name)], bump = publish_dataset.bump)]
    pub publish_dataset: Option<Account<'info, Dataset>>,
    /// The requester's grant on that dataset, when it is not its owner.
    pub publish_grant: Option<Account<'info, DatasetGrant>>,
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
        let output = basalt_rules::OutputTerms {
            budget: u128::from(args.output_budget),
            price_per_shard_epoch: u128::from(args.output_price_per_shard_epoch),
            deadline: args.output_deadline_slot,
        };
        output
            .check(args.reveal_deadline_slot)
            .map_err(BasaltError::from)?;
        let escrow = args
            .reward_per_worker
            .checked_mul(u64::from(args.n))
            .ok_or(BasaltError::Overflow)?;
        let a = &ctx.accounts;
        let input_version = match &a.input_version {
            None => Pubkey::default(),
            Some(version) => {
                require!(
                    version.version_id == args.input_cid && !version.retracted,
                    BasaltError::InputVersionMismatch
                );
                version.key()
            }
        };
        let publication = publication(a, &args, &output)?;
        let publish_budget = publication.as_ref().map_or(0, |p| p.budget);
        deposit(
            &a.token_program,
            &a.from,
            &a.escrow_vault,
            &a.requester,
            escrow
                .checked_add(args.output_budget)
                .and_then(|e| e.checked_add(publish_budget))
                .ok_or(BasaltError::Overflow)?,
        )?;
        if output.wanted() {
            let shards = usize::from(a.config.default_k) + usize::from(a.config.default_m);
            let rent = Rent::get()?;
            let blob_and_deal = rent
                .minimum_balance(Blob::space(shards))
                .checked_add(rent.minimum_balance(8 + Deal::INIT_SPACE))
                .ok_or(BasaltError::Overflow)?;
            // A publication registers a second blob (the manifest) and a Version.
            let lamports = if publication.is_some() {
                blob_and_deal
                    .checked_mul(2)
                    .and_then(|l| l.checked_add(rent.minimum_balance(8 + Version::INIT_SPACE)))
                    .ok_or(BasaltError::Overflow)?
            } else {
                blob_and_deal
            };
            system_program::transfer(
                CpiContext::new(
                    a.system_program.key(),
                    system_program::Transfer {
                        from: a.requester.to_account_info(),
                        to: a.job.to_account_info(),
                    },
                ),
                lamports,
            )?;
        }
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
            output_budget: args.output_budget,
            output_price_per_shard_epoch: args.output_price_per_shard_epoch,
            output_deadline_slot: args.output_deadline_slot,
            output_encrypted: args.output_encrypted,
            output_blob: Pubkey::default(),
            input_version,
            publication: publication.clone(),
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
            output_budget: args.output_budget,
            output_price_per_shard_epoch: args.output_price_per_shard_epoch,
            output_deadline_slot: args.output_deadline_slot,
            output_encrypted: args.output_encrypted,
            input_version: (input_version != Pubkey::default()).then_some(input_version),
            publish_dataset: publication.as_ref().map(|p| p.dataset),
            publish_tag: publication.as_ref().map(|p| p.tag.clone()),
            publish_budget,
            slot,
        });
        Ok(())
    }
}

/// The publication the requester asked for, checked (`basalt_rules::NewPublication`): the
/// dataset account must come with it, and only with it.
fn publication(
    a: &JobPost<'_>,
    args: &JobPostArgs,
    output: &basalt_rules::OutputTerms,
) -> Result<Option<JobPublication>> {
    let (request, dataset) = match (&args.publication, &a.publish_dataset) {
        (None, None) => return Ok(None),
        (Some(request), Some(dataset)) => (request, dataset),
        _ => return err!(BasaltError::InvalidJobParams),
    };
    let now = Clock::get()?.unix_timestamp;
    basalt_rules::NewPublication {
        tag: &request.tag,
        budget: u128::from(request.budget),
        output: *output,
        output_encrypted: args.output_encrypted,
        dataset_public: dataset.public,
        standing: dataset_standing(dataset, &a.requester.key(), a.publish_grant.as_ref(), now),
    }
    .check()
    .map_err(BasaltError::from)?;
    Ok(Some(JobPublication {
        dataset: dataset.key(),
        tag: request.tag.clone(),
        budget: request.budget,
        version: Pubkey::default(),
    }))
}
