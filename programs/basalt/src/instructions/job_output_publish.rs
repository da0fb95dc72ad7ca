use anchor_lang::prelude::*;
use basalt_rules::{NewVersion, OutputPublication, OutputTerms, ParentFacts};

use crate::errors::BasaltError;
use crate::events::{DealFunded, VersionPublished};
use crate::instructions::blob_register::{blob_registered, new_blob};
use crate::instructions::job_output_register::{pay_back_rent, JobOutputArgs};
use crate::instructions::version_publish::store_version;
use crate::seeds;
use crate::state::{
    dataset_standing, Blob, Config, Dataset, DatasetGrant, Deal, Job, JobStatus, Version,
};

/// The version a worker publishes: the tag the requester asked for and the manifest blob
/// (the canonical manifest's bytes, stored plain, so its digest is the version id).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct JobOutputPublishArgs {
    pub tag: String,
    pub manifest: JobOutputArgs,
}

/// Publishes a succeeded job's stored output as the version its requester asked for when
/// posting (`basalt_rules::OutputPublication`), signed by a selected worker that revealed
/// the agreed result, once, up to the output deadline. The worker registers the version's
/// manifest as a public blob of the requester's, funded by the publication budget (priced
/// as the output, the requester its payer), and creates the Version: published by the
/// requester, derived by the job, the job's input version (if any) its one parent. The
/// requester's standing in the dataset is checked again now, so a grant revoked since the
/// posting stops the publication. The worker is paid back the rent of the Blob, Deal and
/// Version accounts from what the requester put into the job account for them.
///
/// The chain cannot read the manifest: every agreeing worker builds the same one from the
/// job and its output (`basalt_core::dataset::derived_manifest`), and a reader rebuilds it
/// to check.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: JobOutputPublishArgs)]
pub struct JobOutputPublish<'info> {
    #[account(mut)]
    pub worker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::JOB, job.requester.as_ref(), &job.nonce.to_le_bytes()], bump = job.bump)]
    pub job: Account<'info, Job>,
    #[account(mut, seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    /// The requester's grant on the dataset, when it is not its owner.
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), job.requester.as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, DatasetGrant>>,
    /// CHECK: the Version account to create at its address (`create_version`, which
    /// refuses a taken tag by name).
    #[account(mut, seeds = [seeds::VERSION, dataset.key().as_ref(), seeds::label(&args.tag)], bump)]
    pub version: UncheckedAccount<'info>,
    #[account(init, payer = worker,
        space = Blob::space(usize::from(args.manifest.k) + usize::from(args.manifest.m)),
        seeds = [seeds::BLOB, job.requester.as_ref(), args.manifest.cid_digest.as_ref()], bump)]
    pub manifest_blob: Account<'info, Blob>,
    #[account(init, payer = worker, space = 8 + Deal::INIT_SPACE,
        seeds = [seeds::DEAL, manifest_blob.key().as_ref()], bump)]
    pub deal: Account<'info, Deal>,
    /// The job's input version, the new version's parent, when the job has one.
    pub input_version: Option<Account<'info, Version>>,
    pub system_program: Program<'info, System>,
}

impl JobOutputPublish<'_> {
    pub fn handle(ctx: Context<Self>, args: JobOutputPublishArgs) -> Result<()> {
        let clock = Clock::get()?;
        let slot = clock.slot;
        let a = &ctx.accounts;
        let job = &a.job;
        let worker = a.worker.key();
        let request = job.publication.clone();
        OutputPublication {
            succeeded: job.status == JobStatus::Succeeded,
            wanted: request.is_some(),
            published: request.as_ref().is_some_and(|p| p.published()),
            output_stored: job.output_stored(),
            deadline: job.output_deadline_slot,
            worker_agreed: job.agreed(&worker),
            dataset_public: a.dataset.public,
            standing: dataset_standing(
                &a.dataset,
                &job.requester,
                a.grant.as_ref(),
                clock.unix_timestamp,
            ),
        }
        .check(slot)
        .map_err(BasaltError::from)?;
        let request = request.ok_or(BasaltError::NoPublicationWanted)?;
        require!(
            request.dataset == a.dataset.key() && request.tag == args.tag,
            BasaltError::NoPublicationWanted
        );
        let parents = match (&a.input_version, job.input_version) {
            (None, input) if input == Pubkey::default() => Vec::new(),
            (Some(version), input) if version.key() == input => {
                ParentFacts {
                    retracted: version.retracted,
                }
                .check()
                .map_err(BasaltError::from)?;
                vec![input]
            }
            _ => return err!(BasaltError::InputVersionMismatch),
        };
        let version_id = args.manifest.cid_digest;
        NewVersion {
            tag: &args.tag,
            message: "",
            version_id: &version_id,
            parents: &parents,
        }
        .check()
        .map_err(BasaltError::from)?;

        // The manifest: the requester's public blob, paid by the publication budget.
        let config = &a.config;
        let terms = OutputTerms {
            budget: u128::from(request.budget),
            price_per_shard_epoch: u128::from(job.output_price_per_shard_epoch),
            deadline: job.output_deadline_slot,
        };
        let shards = args
            .manifest
            .k
            .checked_add(args.manifest.m)
            .ok_or(BasaltError::Overflow)?;
        let epochs = terms
            .epochs(shards, config.max_deal_epochs)
            .map_err(BasaltError::from)?;
        let expiry = config
            .epoch_at(slot)
            .checked_add(epochs)
            .ok_or(BasaltError::Overflow)?;
        let requester = job.requester;
        let price = job.output_price_per_shard_epoch;
        let register = args.manifest.to_register(expiry, true, false);
        let blob = new_blob(
            requester,
            Some(worker),
            &register,
            config,
            slot,
            ctx.bumps.manifest_blob,
        )?;
        ctx.accounts.manifest_blob.set_inner(blob);
        let manifest_blob = ctx.accounts.manifest_blob.key();
        ctx.accounts.deal.set_inner(Deal {
            blob: manifest_blob,
            payer: requester,
            price_per_shard_epoch: price,
            balance: request.budget,
            total_paid: 0,
            bump: ctx.bumps.deal,
        });

        // The version, published in the requester's name.
        let dataset = ctx.accounts.dataset.key();
        let version = ctx.accounts.version.key();
        let job_key = ctx.accounts.job.key();
        let seq = ctx.accounts.dataset.versions;
        ctx.accounts.dataset.versions = seq.checked_add(1).ok_or(BasaltError::Overflow)?;
        ctx.accounts.dataset.latest = version;
        let record = Version {
            dataset,
            tag: args.tag.clone(),
            seq,
            version_id,
            manifest_blob,
            parents: parents.clone(),
            job: Some(job_key),
            message: String::new(),
            publisher: requester,
            slot,
            retracted: false,
            retracted_slot: 0,
            bump: ctx.bumps.version,
        };
        let a = &ctx.accounts;
        store_version(
            a.worker.to_account_info(),
            a.version.to_account_info(),
            &record,
        )?;

        // The budget stays in the escrow vault: it is the manifest deal's balance now.
        if let Some(p) = ctx.accounts.job.publication.as_mut() {
            p.budget = 0;
            p.version = version;
        }
        let a = &ctx.accounts;
        let paid = [
            a.manifest_blob.to_account_info().lamports(),
            a.deal.to_account_info().lamports(),
            a.version.lamports(),
        ]
        .into_iter()
        .try_fold(0u64, u64::checked_add)
        .ok_or(BasaltError::Overflow)?;
        pay_back_rent(&a.job.to_account_info(), &a.worker.to_account_info(), paid)?;

        emit_cpi!(blob_registered(manifest_blob, &a.manifest_blob, slot));
        emit_cpi!(DealFunded {
            deal: a.deal.key(),
            blob: manifest_blob,
            payer: requester,
            price_per_shard_epoch: price,
            amount: request.budget,
            balance: request.budget,
            slot,
        });
        emit_cpi!(VersionPublished {
            dataset,
            version,
            tag: args.tag,
            seq,
            version_id,
            manifest_blob,
            parents,
            job: Some(job_key),
            message: String::new(),
            publisher: requester,
            slot,
        });
        Ok(())
    }
}
