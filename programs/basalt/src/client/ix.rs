//! Instruction builders, one per instruction, over Anchor's generated account lists and
//! argument encodings. Arguments named `via_grant` pass the signer's Grant account, for a
//! signer acting on someone else's blob through a grant.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::sysvar::SysvarId;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use anchor_spl::token::ID as TOKEN_PROGRAM;

use super::pda;
use crate::instructions::{
    BlobRegisterArgs, JobOutputArgs, JobOutputPublishArgs, JobPostArgs, VersionPublishArgs,
};
use crate::state::{ConfigParams, TokenGate};
use crate::{accounts, instruction, ID};

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn grant_of(via_grant: bool, blob: &Pubkey, signer: &Pubkey) -> Option<Pubkey> {
    via_grant.then(|| pda::grant(blob, signer))
}

/// `program_data`: the program's ProgramData account when it is deployed upgradeable.
pub fn config_initialize(
    admin: &Pubkey,
    stake_mint: &Pubkey,
    epoch_slots: u64,
    proof_window_slots: u64,
    params: ConfigParams,
    program_data: Option<Pubkey>,
) -> Instruction {
    build(
        accounts::ConfigInitialize {
            admin: *admin,
            config: pda::config(),
            stake_mint: *stake_mint,
            stake_vault: pda::stake_vault(),
            escrow_vault: pda::escrow_vault(),
            treasury: pda::treasury(),
            this_program: ID,
            program_data,
            token_program: TOKEN_PROGRAM,
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ConfigInitialize {
            epoch_slots,
            proof_window_slots,
            params,
        },
    )
}

pub fn config_update(
    admin: &Pubkey,
    params: ConfigParams,
    new_admin: Option<Pubkey>,
) -> Instruction {
    build(
        accounts::ConfigUpdate {
            admin: *admin,
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ConfigUpdate { params, new_admin },
    )
}

/// Puts the proposed parameters in force once their epoch of notice passed (anyone).
pub fn config_apply() -> Instruction {
    build(
        accounts::ConfigApply {
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ConfigApply {},
    )
}

/// `new_admin`, proposed by the admin (`config_update`), takes the admin role.
pub fn admin_accept(new_admin: &Pubkey) -> Instruction {
    build(
        accounts::AdminAccept {
            new_admin: *new_admin,
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::AdminAccept {},
    )
}

pub fn provider_register(
    authority: &Pubkey,
    endpoint: &str,
    region: &str,
    roles: u8,
    capacity: u64,
) -> Instruction {
    build(
        accounts::ProviderRegister {
            authority: *authority,
            provider: pda::provider(authority),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderRegister {
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            roles,
            capacity,
        },
    )
}

pub fn provider_update(
    authority: &Pubkey,
    endpoint: &str,
    region: &str,
    roles: u8,
    capacity: u64,
) -> Instruction {
    build(
        accounts::ProviderUpdate {
            authority: *authority,
            provider: pda::provider(authority),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderUpdate {
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            roles,
            capacity,
        },
    )
}

/// Stakes `amount` from the authority's token account `from`.
pub fn provider_stake(authority: &Pubkey, from: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::ProviderStake {
            authority: *authority,
            config: pda::config(),
            provider: pda::provider(authority),
            from: *from,
            stake_vault: pda::stake_vault(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderStake { amount },
    )
}

pub fn provider_unstake(authority: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::ProviderUnstake {
            authority: *authority,
            config: pda::config(),
            provider: pda::provider(authority),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderUnstake { amount },
    )
}

pub fn provider_withdraw(authority: &Pubkey, to: &Pubkey) -> Instruction {
    build(
        accounts::ProviderWithdraw {
            authority: *authority,
            config: pda::config(),
            provider: pda::provider(authority),
            to: *to,
            stake_vault: pda::stake_vault(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderWithdraw {},
    )
}

pub fn provider_heartbeat(authority: &Pubkey) -> Instruction {
    build(
        accounts::ProviderHeartbeat {
            authority: *authority,
            provider: pda::provider(authority),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderHeartbeat {},
    )
}

/// `authority` closes its Provider account (nothing staked, no obligation), rent back to it.
pub fn provider_deregister(authority: &Pubkey) -> Instruction {
    build(
        accounts::ProviderDeregister {
            authority: *authority,
            provider: pda::provider(authority),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderDeregister {},
    )
}

pub fn provider_unjail(authority: &Pubkey) -> Instruction {
    build(
        accounts::ProviderUnjail {
            authority: *authority,
            config: pda::config(),
            provider: pda::provider(authority),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProviderUnjail {},
    )
}

pub fn blob_register(owner: &Pubkey, args: BlobRegisterArgs) -> Instruction {
    build(
        accounts::BlobRegister {
            owner: *owner,
            config: pda::config(),
            blob: pda::blob(owner, &args.cid_digest),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::BlobRegister { args },
    )
}

/// Places shards `first ..` on `providers` (authority keys, one per column root).
pub fn blob_place(
    signer: &Pubkey,
    blob: &Pubkey,
    first: u16,
    column_roots: Vec<[u8; 32]>,
    providers: &[Pubkey],
    via_grant: bool,
) -> Instruction {
    let mut ix = build(
        accounts::BlobPlace {
            signer: *signer,
            config: pda::config(),
            blob: *blob,
            grant: grant_of(via_grant, blob, signer),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::BlobPlace {
            first,
            column_roots,
        },
    );
    ix.accounts.extend(providers.iter().map(|p| {
        anchor_lang::solana_program::instruction::AccountMeta::new_readonly(pda::provider(p), false)
    }));
    ix
}

/// The placed holder `holder` accepts shard `index` of `blob` on `terms`: the column it
/// stored and checked against `terms.column_root`, the blob's expiry and its deal's price.
pub fn shard_accept(
    holder: &Pubkey,
    blob: &Pubkey,
    index: u16,
    terms: &basalt_rules::Terms,
) -> Instruction {
    build(
        accounts::ShardAccept {
            holder: *holder,
            provider: pda::provider(holder),
            blob: *blob,
            deal: pda::deal(blob),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ShardAccept {
            index,
            column_root: terms.column_root,
            expiry_epoch: terms.expiry_epoch,
            // A Solana deal's price is a u64: a larger one matches no deal and is refused.
            price_per_shard_epoch: u64::try_from(terms.price_per_shard_epoch).unwrap_or(u64::MAX),
        },
    )
}

/// The holder `holder` releases shard `index` of `blob`, whose deal lapsed.
pub fn shard_release(holder: &Pubkey, blob: &Pubkey, index: u16) -> Instruction {
    build(
        accounts::ShardRelease {
            holder: *holder,
            provider: pda::provider(holder),
            blob: *blob,
            deal: pda::deal(blob),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ShardRelease { index },
    )
}

/// `cranker` sends shard `index` of `blob`, held by `holder` (an authority) who has been
/// silent past the configuration's `offline_ticks`, to repair.
pub fn shard_evict(cranker: &Pubkey, blob: &Pubkey, holder: &Pubkey, index: u16) -> Instruction {
    build(
        accounts::ShardEvict {
            cranker: *cranker,
            config: pda::config(),
            blob: *blob,
            provider: pda::provider(holder),
            deal: pda::deal(blob),
            stake_vault: pda::stake_vault(),
            escrow_vault: pda::escrow_vault(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ShardEvict { index },
    )
}

pub fn blob_set_access(
    signer: &Pubkey,
    blob: &Pubkey,
    public: bool,
    token_gate: Option<TokenGate>,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::BlobSetAccess {
            signer: *signer,
            blob: *blob,
            grant: grant_of(via_grant, blob, signer),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::BlobSetAccess { public, token_gate },
    )
}

/// Deletes `blob`. `holders` are the authorities of the holders that accepted a shard, in
/// index order ([`crate::state::Blob::accepted_holders`] of the blob as read just before):
/// their obligations end with the blob.
/// `signer` deletes `blob`, ending the obligations of `holders` (the authorities of the
/// holders that accepted, in index order: `Blob::accepted_holders`) and closing `grants`
/// (each grant's grantee and payer): every grant of the blob not revoked before.
pub fn blob_delete(
    signer: &Pubkey,
    blob: &Pubkey,
    owner: &Pubkey,
    via_grant: bool,
    holders: &[Pubkey],
    grants: &[(Pubkey, Pubkey)],
) -> Instruction {
    let mut ix = build(
        accounts::BlobDelete {
            signer: *signer,
            blob: *blob,
            owner: *owner,
            deal: pda::deal(blob),
            grant: grant_of(via_grant, blob, signer),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::BlobDelete {},
    );
    use anchor_lang::solana_program::instruction::AccountMeta;
    ix.accounts.extend(
        holders
            .iter()
            .map(|h| AccountMeta::new(pda::provider(h), false)),
    );
    for (grantee, payer) in grants {
        ix.accounts
            .push(AccountMeta::new(pda::grant(blob, grantee), false));
        ix.accounts.push(AccountMeta::new(*payer, false));
    }
    ix
}

pub fn grant_create(
    signer: &Pubkey,
    blob: &Pubkey,
    grantee: &Pubkey,
    roles: u8,
    expires_at: Option<i64>,
    wrapped_key: Vec<u8>,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::GrantCreate {
            signer: *signer,
            blob: *blob,
            signer_grant: grant_of(via_grant, blob, signer),
            grant: pda::grant(blob, grantee),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::GrantCreate {
            grantee: *grantee,
            roles,
            expires_at,
            wrapped_key,
        },
    )
}

/// `payer`: who paid the grant's rent (`Grant::payer`).
pub fn grant_revoke(
    signer: &Pubkey,
    blob: &Pubkey,
    grantee: &Pubkey,
    payer: &Pubkey,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::GrantRevoke {
            signer: *signer,
            blob: *blob,
            signer_grant: grant_of(via_grant, blob, signer),
            grant: pda::grant(blob, grantee),
            payer: *payer,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::GrantRevoke {},
    )
}

pub fn deal_fund(
    payer: &Pubkey,
    blob: &Pubkey,
    from: &Pubkey,
    price_per_shard_epoch: u64,
    amount: u64,
) -> Instruction {
    build(
        accounts::DealFund {
            payer: *payer,
            config: pda::config(),
            blob: *blob,
            deal: pda::deal(blob),
            from: *from,
            escrow_vault: pda::escrow_vault(),
            token_program: TOKEN_PROGRAM,
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DealFund {
            price_per_shard_epoch,
            amount,
        },
    )
}

/// `via_grant`: the funder is a WRITE grantee, not the owner.
pub fn deal_top_up(
    funder: &Pubkey,
    blob: &Pubkey,
    from: &Pubkey,
    amount: u64,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::DealTopUp {
            funder: *funder,
            config: pda::config(),
            blob: *blob,
            grant: grant_of(via_grant, blob, funder),
            deal: pda::deal(blob),
            from: *from,
            escrow_vault: pda::escrow_vault(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DealTopUp { amount },
    )
}

/// `provider_tokens`: a token account of the shard holder.
pub fn deal_settle(blob: &Pubkey, index: u16, provider_tokens: &Pubkey) -> Instruction {
    build(
        accounts::DealSettle {
            config: pda::config(),
            blob: *blob,
            deal: pda::deal(blob),
            provider_tokens: *provider_tokens,
            escrow_vault: pda::escrow_vault(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DealSettle { index },
    )
}

pub fn deal_refund(
    signer: &Pubkey,
    blob: &Pubkey,
    payer: &Pubkey,
    payer_tokens: &Pubkey,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::DealRefund {
            signer: *signer,
            config: pda::config(),
            blob: *blob,
            deal: pda::deal(blob),
            payer: *payer,
            payer_tokens: *payer_tokens,
            escrow_vault: pda::escrow_vault(),
            grant: grant_of(via_grant, blob, signer),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DealRefund {},
    )
}

pub fn proof_submit(
    prover: &Pubkey,
    blob: &Pubkey,
    index: u16,
    epoch: u64,
    leaf: Vec<u8>,
    path: Vec<[u8; 32]>,
) -> Instruction {
    build(
        accounts::ProofSubmit {
            prover: *prover,
            blob: *blob,
            slot_hashes: anchor_lang::prelude::SlotHashes::id(),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProofSubmit {
            index,
            epoch,
            leaf,
            path,
        },
    )
}

/// Compute units a proof transaction asks for. The proof check itself is metered at under
/// 6k units on SBF (`docs/benchmarks.md`); the Anchor account handling and the event CPI
/// around it cannot be metered without an SBF build of the whole program, so the limit
/// leaves them ample room while the priority fee is paid on half the default 200k.
pub const PROOF_COMPUTE_UNIT_LIMIT: u32 = 100_000;

/// The compute-budget instructions a prover puts in front of each proof: a limit of
/// [`PROOF_COMPUTE_UNIT_LIMIT`] and a priority fee of `micro_lamports_per_unit`.
/// `basalt_proof::tx_budget` budgets exactly these two, so a proof at the deepest path still
/// fits one packet with them.
pub fn proof_compute_budget(micro_lamports_per_unit: u64) -> [Instruction; 2] {
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    [
        ComputeBudgetInstruction::set_compute_unit_limit(PROOF_COMPUTE_UNIT_LIMIT),
        ComputeBudgetInstruction::set_compute_unit_price(micro_lamports_per_unit),
    ]
}

/// `holder`: the authority recorded in the shard's slot; `bounty_to`: the cranker's token
/// account.
pub fn proof_slash(
    cranker: &Pubkey,
    blob: &Pubkey,
    holder: &Pubkey,
    bounty_to: &Pubkey,
    index: u16,
    epoch: u64,
) -> Instruction {
    build(
        accounts::ProofSlash {
            cranker: *cranker,
            config: pda::config(),
            blob: *blob,
            provider: pda::provider(holder),
            deal: pda::deal(blob),
            bounty_to: *bounty_to,
            stake_vault: pda::stake_vault(),
            treasury: pda::treasury(),
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::ProofSlash { index, epoch },
    )
}

pub fn job_post(requester: &Pubkey, from: &Pubkey, args: JobPostArgs) -> Instruction {
    job_post_over(requester, from, args, &JobPostSources::default())
}

/// The dataset accounts a job's posting names: the version whose files are its input, and
/// the dataset its output is to be published into (with `args.publication`).
#[derive(Debug, Clone, Default)]
pub struct JobPostSources {
    pub input_version: Option<Pubkey>,
    pub publish_dataset: Option<Pubkey>,
    /// The requester publishes as a WRITE grantee of `publish_dataset`, not its owner.
    pub via_grant: bool,
}

/// `job_post` over a dataset version as input, or publishing into a dataset.
pub fn job_post_over(
    requester: &Pubkey,
    from: &Pubkey,
    args: JobPostArgs,
    sources: &JobPostSources,
) -> Instruction {
    let publish_grant = sources
        .publish_dataset
        .and_then(|d| dataset_grant_of(sources.via_grant, &d, requester));
    build(
        accounts::JobPost {
            requester: *requester,
            config: pda::config(),
            job: pda::job(requester, args.nonce),
            from: *from,
            escrow_vault: pda::escrow_vault(),
            token_program: TOKEN_PROGRAM,
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
            input_version: sources.input_version,
            publish_dataset: sources.publish_dataset,
            publish_grant,
        },
        instruction::JobPost { args },
    )
}

/// `displaced`: the authority of the applicant this application displaces from a full job
/// (`basalt_rules::admit` over the job's applicants says which), else `None`.
pub fn job_apply(worker: &Pubkey, job: &Pubkey, displaced: Option<&Pubkey>) -> Instruction {
    build(
        accounts::JobApply {
            worker: *worker,
            config: pda::config(),
            provider: pda::provider(worker),
            job: *job,
            displaced: displaced.map(pda::provider),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobApply {},
    )
}

pub fn job_select(job: &Pubkey) -> Instruction {
    build(
        accounts::JobSelect {
            job: *job,
            slot_hashes: anchor_lang::prelude::SlotHashes::id(),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobSelect {},
    )
}

pub fn job_commit(worker: &Pubkey, job: &Pubkey, commitment: [u8; 32]) -> Instruction {
    build(
        accounts::JobCommit {
            worker: *worker,
            job: *job,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobCommit { commitment },
    )
}

pub fn job_reveal(
    worker: &Pubkey,
    job: &Pubkey,
    result_hash: [u8; 32],
    salt: [u8; 32],
) -> Instruction {
    build(
        accounts::JobReveal {
            worker: *worker,
            job: *job,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobReveal { result_hash, salt },
    )
}

/// `requester`: the job's requester, which gets the account's rent back when it closes.
pub fn job_finalize(job: &Pubkey, requester: &Pubkey, requester_tokens: &Pubkey) -> Instruction {
    build(
        accounts::JobFinalize {
            config: pda::config(),
            job: *job,
            requester_tokens: *requester_tokens,
            escrow_vault: pda::escrow_vault(),
            requester: *requester,
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobFinalize {},
    )
}

/// Registers job `job`'s output as a blob of `requester`'s (signed by an agreeing worker).
pub fn job_output_register(
    worker: &Pubkey,
    job: &Pubkey,
    requester: &Pubkey,
    args: JobOutputArgs,
) -> Instruction {
    let blob = pda::blob(requester, &args.cid_digest);
    build(
        accounts::JobOutputRegister {
            worker: *worker,
            config: pda::config(),
            job: *job,
            blob,
            deal: pda::deal(&blob),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobOutputRegister { args },
    )
}

/// Publishes job `job`'s output as the version `requester` asked for in `dataset` (signed
/// by an agreeing worker): registers the manifest blob and creates the Version.
/// `input_version`: the job's input version, when it has one; `via_grant`: the requester
/// publishes as a WRITE grantee.
pub fn job_output_publish(
    worker: &Pubkey,
    job: &Pubkey,
    requester: &Pubkey,
    dataset: &Pubkey,
    input_version: Option<&Pubkey>,
    via_grant: bool,
    args: JobOutputPublishArgs,
) -> Instruction {
    let manifest_blob = pda::blob(requester, &args.manifest.cid_digest);
    build(
        accounts::JobOutputPublish {
            worker: *worker,
            config: pda::config(),
            job: *job,
            dataset: *dataset,
            grant: dataset_grant_of(via_grant, dataset, requester),
            version: pda::version(dataset, &args.tag),
            manifest_blob,
            deal: pda::deal(&manifest_blob),
            input_version: input_version.copied(),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobOutputPublish { args },
    )
}

/// Records as job `job`'s output `requester`'s blob whose content is the agreed result
/// `result` (signed by an agreeing worker).
pub fn job_output_link(
    worker: &Pubkey,
    job: &Pubkey,
    requester: &Pubkey,
    result: &[u8; 32],
) -> Instruction {
    build(
        accounts::JobOutputLink {
            worker: *worker,
            job: *job,
            blob: pda::blob(requester, result),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobOutputLink {},
    )
}

/// `requester`: the job's requester, which gets the account's rent (and, with
/// `requester_tokens`, an unused output budget) back when the last applicant is settled.
pub fn job_settle(
    job: &Pubkey,
    requester: &Pubkey,
    requester_tokens: &Pubkey,
    worker: &Pubkey,
    worker_tokens: &Pubkey,
) -> Instruction {
    build(
        accounts::JobSettle {
            config: pda::config(),
            job: *job,
            provider: pda::provider(worker),
            worker_tokens: *worker_tokens,
            escrow_vault: pda::escrow_vault(),
            stake_vault: pda::stake_vault(),
            treasury: pda::treasury(),
            requester_tokens: *requester_tokens,
            requester: *requester,
            token_program: TOKEN_PROGRAM,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::JobSettle {},
    )
}

fn dataset_grant_of(via_grant: bool, dataset: &Pubkey, signer: &Pubkey) -> Option<Pubkey> {
    via_grant.then(|| pda::dataset_grant(dataset, signer))
}

/// Creates the dataset `owner` names `name`; its address is `pda::dataset(owner, name)`.
pub fn dataset_create(owner: &Pubkey, name: &str, public: bool) -> Instruction {
    build(
        accounts::DatasetCreate {
            owner: *owner,
            dataset: pda::dataset(owner, name),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DatasetCreate {
            name: name.to_owned(),
            public,
        },
    )
}

/// `via_grant`: the signer acts through its ADMIN grant on the dataset.
pub fn dataset_set_access(
    signer: &Pubkey,
    dataset: &Pubkey,
    public: bool,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::DatasetSetAccess {
            signer: *signer,
            dataset: *dataset,
            grant: dataset_grant_of(via_grant, dataset, signer),
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DatasetSetAccess { public },
    )
}

/// `via_grant`: the signer acts through its ADMIN grant on the dataset.
pub fn dataset_grant_create(
    signer: &Pubkey,
    dataset: &Pubkey,
    grantee: &Pubkey,
    roles: u8,
    expires_at: Option<i64>,
    wrapped_key: Vec<u8>,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::DatasetGrantCreate {
            signer: *signer,
            dataset: *dataset,
            signer_grant: dataset_grant_of(via_grant, dataset, signer),
            grant: pda::dataset_grant(dataset, grantee),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DatasetGrantCreate {
            grantee: *grantee,
            roles,
            expires_at,
            wrapped_key,
        },
    )
}

/// `payer`: who paid the grant's rent (`DatasetGrant::payer`).
pub fn dataset_grant_revoke(
    signer: &Pubkey,
    dataset: &Pubkey,
    grantee: &Pubkey,
    payer: &Pubkey,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::DatasetGrantRevoke {
            signer: *signer,
            dataset: *dataset,
            signer_grant: dataset_grant_of(via_grant, dataset, signer),
            grant: pda::dataset_grant(dataset, grantee),
            payer: *payer,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::DatasetGrantRevoke {},
    )
}

/// Publishes `args.tag` of `dataset`, whose manifest `manifest_blob` stores, on `parents`
/// (Version accounts), derived by `job` if given. `via_grant`: the publisher acts through
/// its WRITE grant on the dataset.
pub fn version_publish(
    publisher: &Pubkey,
    dataset: &Pubkey,
    manifest_blob: &Pubkey,
    parents: &[Pubkey],
    job: Option<&Pubkey>,
    args: VersionPublishArgs,
    via_grant: bool,
) -> Instruction {
    let mut ix = build(
        accounts::VersionPublish {
            publisher: *publisher,
            dataset: *dataset,
            grant: dataset_grant_of(via_grant, dataset, publisher),
            version: pda::version(dataset, &args.tag),
            manifest_blob: *manifest_blob,
            job: job.copied(),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::VersionPublish { args },
    );
    ix.accounts.extend(
        parents.iter().map(|p| {
            anchor_lang::solana_program::instruction::AccountMeta::new_readonly(*p, false)
        }),
    );
    ix
}

/// `via_grant`: the signer acts through its DELETE grant on the dataset.
pub fn version_retract(
    signer: &Pubkey,
    dataset: &Pubkey,
    version: &Pubkey,
    via_grant: bool,
) -> Instruction {
    build(
        accounts::VersionRetract {
            signer: *signer,
            dataset: *dataset,
            grant: dataset_grant_of(via_grant, dataset, signer),
            version: *version,
            event_authority: pda::event_authority(),
            program: ID,
        },
        instruction::VersionRetract {},
    )
}
