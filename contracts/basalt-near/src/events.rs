//! Events, one per state change, logged as NEP-297 JSON:
//! `EVENT_JSON:{"standard":"basalt","version":"1.0.0","event":"stake_added","data":{...}}`.
//!
//! The kinds and fields are the Solana program's events (`basalt::events`) with NEAR's
//! types: accounts are account IDs, digests base58, token amounts decimal strings (U128),
//! and `block` (the block height) stands where Solana has `slot`. A blob is named by its
//! id (`basalt_proof::blob_id` of owner and CID digest, where Solana has the blob account's
//! address) and a job by (requester, nonce), since NEAR has no per-record addresses.
//! Two kinds are NEAR's own: `challenge_seed_drawn` (see `randomness`) and
//! `tokens_withdrawn` (see `ledger`).

use near_sdk::json_types::U128;
use near_sdk::{near, AccountId};

use crate::state::{ConfigParams, Digest, JobRef, JobStatus, TokenGate, WorkerOutcome};

#[near(event_json(standard = "basalt"))]
#[derive(Debug, Clone)]
// Off chain only (the wasm does not carry it): the indexer reads `{"event", "data"}` back
// into this enum, so a field the contract adds fails to compile there until it is mapped.
#[cfg_attr(not(target_family = "wasm"), derive(near_sdk::serde::Deserialize))]
// The indexer accepts these names as `?kind=` values: the list is the enum's own.
#[cfg_attr(not(target_family = "wasm"), derive(strum::VariantNames))]
pub enum Event {
    #[event_version("1.0.0")]
    ConfigInitialized {
        admin: AccountId,
        stake_token: AccountId,
        epoch_blocks: u64,
        proof_window_blocks: u64,
        params: ConfigParams,
        block: u64,
    },
    #[event_version("1.0.0")]
    ConfigUpdated {
        admin: AccountId,
        /// The account proposed for the admin role, until it accepts (`admin_accept`).
        pending_admin: Option<AccountId>,
        /// The parameters in force.
        params: ConfigParams,
        /// Parameters proposed by `config_update`, in force once `config_apply` runs at or
        /// after block `pending_params_at`.
        pending_params: Option<ConfigParams>,
        pending_params_at: u64,
        block: u64,
    },
    #[event_version("1.0.0")]
    ProviderRegistered {
        provider: AccountId,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
        block: u64,
    },
    #[event_version("1.0.0")]
    ProviderUpdated {
        provider: AccountId,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
        block: u64,
    },
    #[event_version("1.0.0")]
    StakeAdded {
        provider: AccountId,
        amount: U128,
        stake: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    UnstakeRequested {
        provider: AccountId,
        amount: U128,
        stake: U128,
        unbonding_until_epoch: u64,
        block: u64,
    },
    #[event_version("1.0.0")]
    StakeWithdrawn {
        provider: AccountId,
        amount: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    ProviderHeartbeat { provider: AccountId, block: u64 },
    /// The provider removed its record (`provider_deregister`); its storage went back to it.
    #[event_version("1.0.0")]
    ProviderDeregistered { provider: AccountId, block: u64 },
    #[event_version("1.0.0")]
    ProviderUnjailed { provider: AccountId, block: u64 },
    /// A provider lost `amount` of stake: `bounty` to `beneficiary`, the rest to the
    /// treasury. `subject` is the blob's CID digest or the job's `requester:nonce`.
    #[event_version("1.0.0")]
    ProviderSlashed {
        provider: AccountId,
        amount: U128,
        bounty: U128,
        beneficiary: AccountId,
        subject: String,
        reputation: i64,
        block: u64,
    },
    #[event_version("1.0.0")]
    BlobRegistered {
        /// The blob's id (`basalt_proof::blob_id` of the owner and the CID), the key every
        /// other event names it by.
        blob: Digest,
        /// The content: the BLAKE3 digest the blob's CID wraps.
        cid_digest: Digest,
        owner: AccountId,
        size: u64,
        k: u16,
        m: u16,
        chunk_count: u32,
        commitment_root: Digest,
        expiry_epoch: u64,
        public: bool,
        encrypted: bool,
        block: u64,
    },
    #[event_version("1.0.0")]
    ShardPlaced {
        blob: Digest,
        index: u16,
        provider: AccountId,
        /// The previous holder when this is a repair.
        previous: Option<AccountId>,
        assigned_epoch: u64,
        block: u64,
    },
    /// The holder accepted a placement: from `assigned_epoch` on it owes proofs of the
    /// index and is paid for them.
    #[event_version("1.0.0")]
    ShardAccepted {
        blob: Digest,
        index: u16,
        provider: AccountId,
        assigned_epoch: u64,
        price_per_shard_epoch: U128,
        block: u64,
    },
    /// The holder walked away from a shard whose deal lapsed; the index awaits repair.
    #[event_version("1.0.0")]
    ShardReleased {
        blob: Digest,
        index: u16,
        provider: AccountId,
        block: u64,
    },
    /// The holder went silent past the configuration's `offline_ticks`; the index awaits
    /// repair (`shard_evict`).
    #[event_version("1.0.0")]
    ShardEvicted {
        blob: Digest,
        index: u16,
        provider: AccountId,
        /// The holder's latest heartbeat the eviction judged (0: never).
        last_heartbeat_block: u64,
        /// Taken from the holder's stake (bonded first, then unbonding) into the blob's
        /// deal: the repair its silence makes necessary (`Eviction::repair_charge`).
        charged: U128,
        cranker: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    BlobActivated { blob: Digest, block: u64 },
    #[event_version("1.0.0")]
    BlobAccessChanged {
        blob: Digest,
        public: bool,
        token_gate: Option<TokenGate>,
        block: u64,
    },
    #[event_version("1.0.0")]
    BlobDeleted {
        blob: Digest,
        by: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    GrantCreated {
        blob: Digest,
        grantee: AccountId,
        roles: u8,
        expires_at: Option<u64>,
        granted_by: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    GrantRevoked {
        blob: Digest,
        grantee: AccountId,
        revoked_by: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    DealFunded {
        blob: Digest,
        payer: AccountId,
        price_per_shard_epoch: U128,
        amount: U128,
        balance: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    DealSettled {
        blob: Digest,
        index: u16,
        provider: AccountId,
        epochs_paid: u64,
        /// Proven epochs the escrow could not cover: still owed, paid by a settle after a
        /// top-up.
        epochs_owed: u64,
        amount: U128,
        balance: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    DealRefunded {
        blob: Digest,
        payer: AccountId,
        amount: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    ChallengeSeedDrawn {
        epoch: u64,
        seed: Digest,
        by: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    ProofAccepted {
        blob: Digest,
        index: u16,
        provider: AccountId,
        epoch: u64,
        chunk: u32,
        leaf: u32,
        block: u64,
    },
    /// Nobody proved shard `index` of `blob` in `epoch`: its holder was slashed (see the
    /// `provider_slashed` event of the same call) and the shard awaits repair.
    #[event_version("1.0.0")]
    ProofMissed {
        blob: Digest,
        index: u16,
        provider: AccountId,
        epoch: u64,
        cranker: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobPosted {
        requester: AccountId,
        nonce: u64,
        module_cid: Digest,
        input_cid: Digest,
        fuel_limit: u64,
        n: u8,
        k: u8,
        reward_per_worker: U128,
        apply_deadline_block: u64,
        commit_deadline_block: u64,
        reveal_deadline_block: u64,
        /// Escrowed for the output blob's deal; zero when the output is not stored.
        output_budget: U128,
        output_price_per_shard_epoch: U128,
        output_deadline_block: u64,
        output_encrypted: bool,
        /// The dataset version whose files are the input, if the input is one.
        input_version: Option<Digest>,
        /// The dataset and tag the output is to be published as, if asked.
        publish_dataset: Option<Digest>,
        publish_tag: Option<String>,
        /// Escrowed for the published version's manifest blob.
        publish_budget: U128,
        block: u64,
    },
    /// An agreeing worker registered the job's output as a blob of the requester's, whose
    /// deal the output budget opened (`BlobRegistered` and `DealFunded` come with it).
    #[event_version("1.0.0")]
    JobOutputRegistered {
        requester: AccountId,
        nonce: u64,
        blob: Digest,
        worker: AccountId,
        cid_digest: Digest,
        budget: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobApplied {
        requester: AccountId,
        nonce: u64,
        worker: AccountId,
        /// Its weight in the selection: its bonded stake when it applied.
        stake: U128,
        /// The applicant it displaced from a full list, whose obligation ended.
        displaced: Option<AccountId>,
        block: u64,
    },
    /// `job_select` drew the job's workers.
    #[event_version("1.0.0")]
    JobSelected {
        requester: AccountId,
        nonce: u64,
        /// The `env::random_seed()` of the selecting call: what the draws came from.
        seed: Digest,
        /// The selected applicants, in application order.
        workers: Vec<AccountId>,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobCommitted {
        requester: AccountId,
        nonce: u64,
        worker: AccountId,
        commitment: Digest,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobRevealed {
        requester: AccountId,
        nonce: u64,
        worker: AccountId,
        result_hash: Digest,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobFinalized {
        requester: AccountId,
        nonce: u64,
        status: JobStatus,
        /// All zero when the job failed.
        result_hash: Digest,
        agreeing: u8,
        refunded: U128,
        /// No applicant was left to settle: the job's record went, its storage back.
        job_closed: bool,
        block: u64,
    },
    #[event_version("1.0.0")]
    JobWorkerSettled {
        requester: AccountId,
        nonce: u64,
        worker: AccountId,
        outcome: WorkerOutcome,
        paid: U128,
        slashed: U128,
        reputation: i64,
        /// This was the job's last applicant: the job's record went, its storage back to
        /// the requester and the applicants.
        job_closed: bool,
        /// The output budget nobody used, credited back to the requester as the job closed.
        output_refunded: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    TokensWithdrawn {
        account: AccountId,
        amount: U128,
        block: u64,
    },
    #[event_version("1.0.0")]
    DatasetCreated {
        dataset: Digest,
        owner: AccountId,
        name: String,
        public: bool,
        block: u64,
    },
    #[event_version("1.0.0")]
    DatasetAccessChanged {
        dataset: Digest,
        public: bool,
        block: u64,
    },
    #[event_version("1.0.0")]
    DatasetGrantCreated {
        dataset: Digest,
        grantee: AccountId,
        roles: u8,
        expires_at: Option<u64>,
        granted_by: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    DatasetGrantRevoked {
        dataset: Digest,
        grantee: AccountId,
        revoked_by: AccountId,
        block: u64,
    },
    /// A version was published; its parents and job were read by the contract.
    #[event_version("1.0.0")]
    VersionPublished {
        dataset: Digest,
        /// The version's key (`basalt_proof::version_key`).
        version: Digest,
        tag: String,
        seq: u64,
        version_id: Digest,
        manifest_blob: Digest,
        parents: Vec<Digest>,
        job: Option<JobRef>,
        message: String,
        publisher: AccountId,
        block: u64,
    },
    #[event_version("1.0.0")]
    VersionRetracted {
        dataset: Digest,
        version: Digest,
        retracted_by: AccountId,
        block: u64,
    },
}

/// Every event kind's name (the variants' names, as the indexer stores them).
#[cfg(not(target_family = "wasm"))]
pub fn kinds() -> &'static [&'static str] {
    <Event as strum::VariantNames>::VARIANTS
}
