//! Events, one per state change, emitted with `emit_cpi!` as self-CPI inner instructions
//! (`EVENT_IX_TAG_LE ++ discriminator ++ borsh(event)`), which the indexer decodes with these
//! same types. Every event carries the slot it happened in.

use anchor_lang::prelude::*;

use crate::state::{ConfigParams, JobStatus, TokenGate};

#[event]
#[derive(Debug)]
pub struct ConfigInitialized {
    pub admin: Pubkey,
    pub stake_mint: Pubkey,
    pub epoch_slots: u64,
    pub proof_window_slots: u64,
    pub params: ConfigParams,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ConfigUpdated {
    pub admin: Pubkey,
    /// The key proposed for the admin role, until it accepts (`admin_accept`).
    pub pending_admin: Option<Pubkey>,
    /// The parameters in force.
    pub params: ConfigParams,
    /// Parameters proposed by `config_update`, in force once `config_apply` runs at or
    /// after slot `pending_params_at`.
    pub pending_params: Option<ConfigParams>,
    pub pending_params_at: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ProviderRegistered {
    pub provider: Pubkey,
    pub authority: Pubkey,
    pub endpoint: String,
    pub region: String,
    pub roles: u8,
    pub capacity: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ProviderUpdated {
    pub provider: Pubkey,
    pub endpoint: String,
    pub region: String,
    pub roles: u8,
    pub capacity: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct StakeAdded {
    pub provider: Pubkey,
    pub amount: u64,
    pub stake: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct UnstakeRequested {
    pub provider: Pubkey,
    pub amount: u64,
    pub stake: u64,
    pub unbonding_until_epoch: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct StakeWithdrawn {
    pub provider: Pubkey,
    pub amount: u64,
    pub slot: u64,
}

/// The provider closed its record (`provider_deregister`); its rent went back to it.
#[event]
#[derive(Debug)]
pub struct ProviderDeregistered {
    pub provider: Pubkey,
    pub authority: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ProviderHeartbeat {
    pub provider: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ProviderUnjailed {
    pub provider: Pubkey,
    pub slot: u64,
}

/// A provider lost `amount` of stake: `bounty` to `beneficiary`, the rest to the treasury.
#[event]
#[derive(Debug)]
pub struct ProviderSlashed {
    pub provider: Pubkey,
    pub amount: u64,
    pub bounty: u64,
    pub beneficiary: Pubkey,
    /// The blob (missed proof) or job (disagreeing result) the fault is about.
    pub subject: Pubkey,
    pub reputation: i64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct BlobRegistered {
    pub blob: Pubkey,
    pub owner: Pubkey,
    pub cid_digest: [u8; 32],
    pub size: u64,
    pub k: u16,
    pub m: u16,
    pub chunk_count: u32,
    pub commitment_root: [u8; 32],
    pub expiry_epoch: u64,
    pub public: bool,
    pub encrypted: bool,
    pub slot: u64,
}

/// Shard `index` of `blob` is now held by `provider` (an authority key).
#[event]
#[derive(Debug)]
pub struct ShardPlaced {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    /// The previous holder when this is a repair.
    pub previous: Option<Pubkey>,
    pub assigned_epoch: u64,
    pub slot: u64,
}

/// The holder accepted a placement: from `assigned_epoch` on it owes proofs of the index
/// and is paid for them, while the deal pays at least `price_per_shard_epoch`.
#[event]
#[derive(Debug)]
pub struct ShardAccepted {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    pub assigned_epoch: u64,
    pub price_per_shard_epoch: u64,
    pub slot: u64,
}

/// The holder walked away from a shard whose deal lapsed; the index awaits repair.
#[event]
#[derive(Debug)]
pub struct ShardReleased {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    pub slot: u64,
}

/// The holder of a shard went silent past the configuration's `offline_ticks`; the index
/// awaits repair (`shard_evict`).
#[event]
#[derive(Debug)]
pub struct ShardEvicted {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    /// The holder's latest heartbeat the eviction judged (0: never).
    pub last_heartbeat_slot: u64,
    /// Taken from the holder's stake (bonded first, then unbonding) into the blob's deal:
    /// the repair its silence makes necessary (`Eviction::repair_charge`).
    pub charged: u64,
    pub cranker: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct BlobActivated {
    pub blob: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct BlobAccessChanged {
    pub blob: Pubkey,
    pub public: bool,
    pub token_gate: Option<TokenGate>,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct BlobDeleted {
    pub blob: Pubkey,
    pub by: Pubkey,
    pub refunded: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct GrantCreated {
    pub blob: Pubkey,
    pub grantee: Pubkey,
    pub roles: u8,
    pub expires_at: Option<i64>,
    pub granted_by: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct GrantRevoked {
    pub blob: Pubkey,
    pub grantee: Pubkey,
    pub revoked_by: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DealFunded {
    pub deal: Pubkey,
    pub blob: Pubkey,
    pub payer: Pubkey,
    pub price_per_shard_epoch: u64,
    pub amount: u64,
    pub balance: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DealSettled {
    pub deal: Pubkey,
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    pub epochs_paid: u64,
    /// Proven epochs the escrow could not cover: still owed, paid by a settle after a
    /// top-up.
    pub epochs_owed: u64,
    pub amount: u64,
    pub balance: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DealRefunded {
    pub deal: Pubkey,
    pub blob: Pubkey,
    pub payer: Pubkey,
    pub amount: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ProofAccepted {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    pub epoch: u64,
    pub chunk: u32,
    pub leaf: u32,
    pub slot: u64,
}

/// Nobody proved shard `index` of `blob` in `epoch`: its holder was slashed (see the
/// `ProviderSlashed` event in the same transaction) and the shard awaits repair.
#[event]
#[derive(Debug)]
pub struct ProofMissed {
    pub blob: Pubkey,
    pub index: u16,
    pub provider: Pubkey,
    pub epoch: u64,
    pub cranker: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct JobPosted {
    pub job: Pubkey,
    pub requester: Pubkey,
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
    /// Escrowed for the output blob's deal; zero when the output is not stored.
    pub output_budget: u64,
    pub output_price_per_shard_epoch: u64,
    pub output_deadline_slot: u64,
    pub output_encrypted: bool,
    /// The dataset version whose files are the input, if the input is one.
    pub input_version: Option<Pubkey>,
    /// The dataset and tag the output is to be published as, if asked.
    pub publish_dataset: Option<Pubkey>,
    pub publish_tag: Option<String>,
    /// Escrowed for the published version's manifest blob.
    pub publish_budget: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct JobApplied {
    pub job: Pubkey,
    pub worker: Pubkey,
    /// Its weight in the selection: its bonded stake when it applied.
    pub stake: u64,
    /// The applicant it displaced from a full list, whose obligation ended.
    pub displaced: Option<Pubkey>,
    pub slot: u64,
}

/// `job_select` drew the job's workers.
#[event]
#[derive(Debug)]
pub struct JobSelected {
    pub job: Pubkey,
    /// SHA-256(bank hash at the apply deadline || job): what the draws came from.
    pub seed: [u8; 32],
    /// The selected applicants, in application order.
    pub workers: Vec<Pubkey>,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct JobCommitted {
    pub job: Pubkey,
    pub worker: Pubkey,
    pub commitment: [u8; 32],
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct JobRevealed {
    pub job: Pubkey,
    pub worker: Pubkey,
    pub result_hash: [u8; 32],
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct JobFinalized {
    pub job: Pubkey,
    pub status: JobStatus,
    pub result_hash: [u8; 32],
    pub agreeing: u8,
    /// Tokens back to the requester: the rewards nobody earned, and the output budget of
    /// a failed job.
    pub refunded: u64,
    /// No applicant was left to settle: the job account closed, its rent back to the
    /// requester.
    pub job_closed: bool,
    pub slot: u64,
}

/// An agreeing worker registered the job's output as a blob of the requester's, whose
/// deal the output budget opened (`BlobRegistered` and `DealFunded` come with it).
#[event]
#[derive(Debug)]
pub struct JobOutputRegistered {
    pub job: Pubkey,
    pub blob: Pubkey,
    pub worker: Pubkey,
    pub cid_digest: [u8; 32],
    /// The output budget, now the deal's balance (0 when the requester's own blob of the
    /// output was linked, `job_output_link`: the budget stays with the job).
    pub budget: u64,
    /// Lamports paid back to the worker for the Blob and Deal accounts' rent.
    pub rent_refunded: u64,
    pub slot: u64,
}

/// How one worker of a finalized job came out.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerOutcome {
    /// Revealed the agreed result: paid, reputation up.
    Paid,
    /// Revealed another result: reputation down, and slashed when the agreeing results
    /// were a strict majority of those revealed.
    Disagreed,
    /// Selected but never revealed: reputation down.
    NoShow,
    /// Revealed, but no quorum was reached: nothing happens.
    NoQuorum,
    /// Applied but was not selected: its obligation ends, nothing else happens.
    NotSelected,
}

basalt_rules::impl_from_job_outcome!(WorkerOutcome);

#[event]
#[derive(Debug)]
pub struct JobWorkerSettled {
    pub job: Pubkey,
    pub worker: Pubkey,
    pub outcome: WorkerOutcome,
    pub paid: u64,
    pub slashed: u64,
    pub reputation: i64,
    /// This was the job's last applicant: the job account closed, its rent back to the
    /// requester.
    pub job_closed: bool,
    /// The output budget nobody used, back to the requester as the job closed.
    pub output_refunded: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DatasetCreated {
    pub dataset: Pubkey,
    pub owner: Pubkey,
    pub name: String,
    pub public: bool,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DatasetAccessChanged {
    pub dataset: Pubkey,
    pub public: bool,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DatasetGrantCreated {
    pub dataset: Pubkey,
    pub grantee: Pubkey,
    pub roles: u8,
    pub expires_at: Option<i64>,
    pub granted_by: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct DatasetGrantRevoked {
    pub dataset: Pubkey,
    pub grantee: Pubkey,
    pub revoked_by: Pubkey,
    pub slot: u64,
}

/// A version was published; its parents and job were read by the program, so each existed.
#[event]
#[derive(Debug)]
pub struct VersionPublished {
    pub dataset: Pubkey,
    pub version: Pubkey,
    pub tag: String,
    pub seq: u64,
    pub version_id: [u8; 32],
    pub manifest_blob: Pubkey,
    pub parents: Vec<Pubkey>,
    pub job: Option<Pubkey>,
    pub message: String,
    pub publisher: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct VersionRetracted {
    pub dataset: Pubkey,
    pub version: Pubkey,
    pub retracted_by: Pubkey,
    pub slot: u64,
}
