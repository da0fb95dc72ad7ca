use anchor_lang::prelude::*;
use basalt_rules::{NewVersion, ParentFacts};

use crate::errors::BasaltError;
use crate::events::VersionPublished;
use crate::seeds;
use crate::state::{dataset_standing, Blob, Dataset, DatasetGrant, Job, JobStatus, Version};

/// What a publisher names for a new version; its parents are passed as accounts.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionPublishArgs {
    pub tag: String,
    /// BLAKE3 of the canonical manifest bytes (`basalt_core::dataset::DatasetManifest`).
    pub version_id: [u8; 32],
    pub message: String,
}

/// Publishes a version of a dataset (its owner or a WRITE grantee, who pays the rent).
///
/// After the fixed accounts come the parents' Version accounts, in order: the program
/// reads each, so a parent that does not exist (or was retracted) cannot be named. The
/// tag's address must be free: a tag is never reused, even once retracted. A version
/// derived by a job passes the Job account, which must have succeeded with its output
/// stored, for the publisher or the dataset's owner.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: VersionPublishArgs)]
pub struct VersionPublish<'info> {
    #[account(mut)]
    pub publisher: Signer<'info>,
    #[account(mut, seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), publisher.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, DatasetGrant>>,
    /// CHECK: the Version account to create at its address: created by the handler
    /// (`create_version`), which refuses a taken tag by name (`VersionTagTaken`).
    #[account(mut, seeds = [seeds::VERSION, dataset.key().as_ref(), seeds::label(&args.tag)], bump)]
    pub version: UncheckedAccount<'info>,
    /// The manifest's blob.
    pub manifest_blob: Account<'info, Blob>,
    /// The job the version was derived by, if any.
    pub job: Option<Account<'info, Job>>,
    pub system_program: Program<'info, System>,
}

impl<'info> VersionPublish<'info> {
    pub fn handle(ctx: Context<'info, Self>, args: VersionPublishArgs) -> Result<()> {
        let a = &ctx.accounts;
        let clock = Clock::get()?;
        let publisher = a.publisher.key();
        dataset_standing(
            &a.dataset,
            &publisher,
            a.grant.as_ref(),
            clock.unix_timestamp,
        )
        .may_publish()
        .map_err(BasaltError::from)?;
        require!(
            a.manifest_blob.owner == publisher || a.manifest_blob.owner == a.dataset.owner,
            BasaltError::ManifestMismatch
        );
        let job = match &a.job {
            None => None,
            Some(job) => {
                require!(
                    job.status == JobStatus::Succeeded
                        && job.output_stored()
                        && (job.requester == publisher || job.requester == a.dataset.owner),
                    BasaltError::DerivationJobMismatch
                );
                Some(job.key())
            }
        };
        let parents = read_parents(ctx.remaining_accounts)?;
        NewVersion {
            tag: &args.tag,
            message: &args.message,
            version_id: &args.version_id,
            parents: &parents,
        }
        .check()
        .map_err(BasaltError::from)?;

        let dataset = a.dataset.key();
        let manifest_blob = a.manifest_blob.key();
        let version = a.version.key();
        let seq = a.dataset.versions;
        ctx.accounts.dataset.versions = seq.checked_add(1).ok_or(BasaltError::Overflow)?;
        ctx.accounts.dataset.latest = version;
        let record = Version {
            dataset,
            tag: args.tag.clone(),
            seq,
            version_id: args.version_id,
            manifest_blob,
            parents: parents.clone(),
            job,
            message: args.message.clone(),
            publisher,
            slot: clock.slot,
            retracted: false,
            retracted_slot: 0,
            bump: ctx.bumps.version,
        };
        let a = &ctx.accounts;
        store_version(
            a.publisher.to_account_info(),
            a.version.to_account_info(),
            &record,
        )?;
        emit_cpi!(VersionPublished {
            dataset,
            version,
            tag: args.tag,
            seq,
            version_id: args.version_id,
            manifest_blob,
            parents,
            job,
            message: args.message,
            publisher,
            slot: clock.slot,
        });
        Ok(())
    }
}

/// Creates the Version account of `record` at its address (`["version", dataset, tag]`,
/// its `bump`), paid by `payer`, and writes `record` into it.
pub(crate) fn store_version<'info>(
    payer: AccountInfo<'info>,
    version: AccountInfo<'info>,
    record: &Version,
) -> Result<()> {
    let bump = [record.bump];
    let signer: &[&[u8]] = &[
        seeds::VERSION,
        record.dataset.as_ref(),
        seeds::label(&record.tag),
        &bump,
    ];
    create_version(payer, version.clone(), signer)?;
    let mut data = version.try_borrow_mut_data()?;
    record.try_serialize(&mut &mut data[..])
}

/// Creates the Version account at its address, as Anchor's `init` does (a fresh address, or
/// one someone sent lamports to beforehand: topped up, allocated, assigned), except that a
/// tag already published is refused by name rather than by the System program.
fn create_version<'info>(
    payer: AccountInfo<'info>,
    version: AccountInfo<'info>,
    signer: &[&[u8]],
) -> Result<()> {
    use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};
    require!(
        version.owner == &System::id() && version.data_is_empty(),
        BasaltError::VersionTagTaken
    );
    let space = 8 + Version::INIT_SPACE;
    let rent = Rent::get()?.minimum_balance(space);
    let program = System::id();
    let signers = &[signer];
    if version.lamports() == 0 {
        let accounts = CreateAccount {
            from: payer,
            to: version,
        };
        return system_program::create_account(
            CpiContext::new_with_signer(program, accounts, signers),
            rent,
            space as u64,
            &crate::ID,
        );
    }
    let top_up = rent.saturating_sub(version.lamports());
    if top_up > 0 {
        let accounts = Transfer {
            from: payer,
            to: version.clone(),
        };
        system_program::transfer(CpiContext::new(program, accounts), top_up)?;
    }
    let allocate = Allocate {
        account_to_allocate: version.clone(),
    };
    system_program::allocate(
        CpiContext::new_with_signer(program, allocate, signers),
        space as u64,
    )?;
    let assign = Assign {
        account_to_assign: version,
    };
    system_program::assign(
        CpiContext::new_with_signer(program, assign, signers),
        &crate::ID,
    )
}

/// The parents' addresses, each read as a Version account the program created (owner and
/// discriminator checked by `Account::try_from`) that was not retracted.
fn read_parents<'info>(passed: &'info [AccountInfo<'info>]) -> Result<Vec<Pubkey>> {
    require!(
        passed.len() <= basalt_rules::MAX_VERSION_PARENTS,
        BasaltError::TooManyParents
    );
    let mut parents = Vec::with_capacity(passed.len());
    for info in passed {
        let parent: Account<Version> =
            Account::try_from(info).map_err(|_| error!(BasaltError::ParentsMismatch))?;
        ParentFacts {
            retracted: parent.retracted,
        }
        .check()
        .map_err(BasaltError::from)?;
        parents.push(parent.key());
    }
    Ok(parents)
}
