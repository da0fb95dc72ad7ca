//! The rows the API answers with, one type per kind of row, decoded by sqlx from columns the
//! reads in [`super::read`] name one by one: a column the query lacks is an error, so a type
//! and its query cannot drift apart, and the OpenAPI document lists every field with its
//! type (utoipa `ToSchema`).
//!
//! Two conventions hold for every row:
//! - integers the chain keeps as `u64` or `u128` (token amounts, sizes, capacities, nonces,
//!   NUMERIC columns here) are decimal strings, [`Uint`]: a JSON number loses them past 2^53
//!   in JavaScript, and NEAR's yoctoNEAR amounts pass 2^64;
//! - times are RFC 3339 strings in UTC, slots and epochs plain integers.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// An unsigned integer of up to 128 bits as a decimal string (`"0"`, `"1500"`).
///
/// Read from a NUMERIC column cast to text by the query (`col::text AS col`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct Uint(pub String);

/// What [`Uint`] holds: decimal digits, no sign, no leading zero.
pub const UINT_PATTERN: &str = "^(0|[1-9][0-9]{0,38})$";

impl Uint {
    /// The value, for callers that compute with it.
    ///
    /// # Panics
    ///
    /// Never for a value read from the database: the columns are NUMERIC(39, 0) or
    /// narrower, never negative.
    pub fn value(&self) -> u128 {
        self.0.parse().expect("an unsigned NUMERIC column")
    }
}

impl PartialSchema for Uint {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(UINT_PATTERN))
            .description(Some(
                "An unsigned integer (up to 128 bits) as a decimal string: token amounts in \
                 base units (lamports of the stake token on Solana, yoctoNEAR on NEAR), \
                 sizes and capacities in bytes.",
            ))
            .into()
    }
}

impl ToSchema for Uint {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Uint")
    }
}

/// A storage or compute provider.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProviderRow {
    /// Its account (Solana) or account ID (NEAR).
    pub address: String,
    /// The wallet that signs for it (on NEAR the same as `address`).
    pub authority: String,
    pub endpoint: String,
    pub region: String,
    /// Bit set: 1 storage, 2 compute.
    pub roles: i16,
    /// `roles` by name.
    pub role_names: Vec<String>,
    /// Bytes offered.
    pub capacity: Uint,
    pub stake: Uint,
    /// Stake waiting out its unbonding period.
    pub unbonding: Uint,
    pub unbonding_until_epoch: i64,
    /// `active`, `unbonding` or `jailed`.
    pub status: String,
    pub reputation: i64,
    pub slashed_total: Uint,
    pub last_heartbeat_slot: Option<i64>,
    /// The block time of its last heartbeat.
    #[schema(format = DateTime)]
    pub last_heartbeat_at: Option<String>,
    /// Seconds since `last_heartbeat_at`, by this server's clock (absent: never).
    pub silent_secs: Option<i64>,
    /// `online`, `warning` (it gets no new shards) or `offline` (its shards are repaired),
    /// from `silent_secs`.
    #[sqlx(default)]
    pub liveness: String,
    pub registered_slot: i64,
    pub updated_slot: i64,
    /// Shards it holds now: placed on it, of blobs not deleted, not released or evicted.
    pub shards_held: i64,
    /// The data of those shards: each about its blob's size / k.
    pub bytes_held: Uint,
    /// Its storage proofs accepted, over all time.
    pub proofs_accepted: i64,
    /// Its storage proofs missed (and slashed), over all time.
    pub proofs_missed: i64,
    /// What deals have paid it for proven epochs, over all time.
    pub earned: Uint,
    /// Whether the row last changed at or below the finalized watermark.
    pub finalized: bool,
}

/// The network over time, for charts: stored bytes and payouts by slot, proofs by epoch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct History {
    /// The slots each point of `points` covers.
    pub slots_per_point: i64,
    /// From the first indexed slot to the last, oldest first.
    pub points: Vec<HistoryPoint>,
    /// The latest epochs with proofs, oldest first.
    pub epochs: Vec<EpochProofs>,
}

/// The slots `[slot, slot + slots_per_point)`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryPoint {
    pub slot: i64,
    /// Bytes of the blobs registered and not deleted by the end of these slots.
    pub stored_bytes: Uint,
    /// Paid to holders for proven epochs in these slots.
    pub paid: Uint,
}

/// The proof outcomes of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct EpochProofs {
    pub epoch: i64,
    pub accepted: i64,
    pub missed: i64,
}

/// What a search term names: each list holds the rows whose key is the term.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct SearchHits {
    /// Blobs whose address or CID is the term (one content may be stored by several owners).
    pub blobs: Vec<String>,
    /// Jobs whose address is the term.
    pub jobs: Vec<String>,
    /// Providers whose account or authority is the term, by authority.
    pub providers: Vec<String>,
    /// Datasets whose address is the term.
    pub datasets: Vec<String>,
    /// Whether the term is a wallet that owns blobs or asked for jobs.
    pub wallet: bool,
}

/// A blob: one owner's registration of some content.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct BlobRow {
    /// Its id: the Blob account (Solana) or `basalt_proof::blob_id` (NEAR), base58.
    pub address: String,
    pub cid: String,
    pub owner: String,
    /// Bytes stored (before erasure coding).
    pub size: Uint,
    /// Data shards.
    pub k: i32,
    /// Parity shards.
    pub m: i32,
    pub chunk_count: i64,
    /// The shards' Merkle root, hex.
    pub commitment_root: String,
    pub expiry_epoch: i64,
    pub public: bool,
    pub encrypted: bool,
    pub token_gate_mint: Option<String>,
    pub token_gate_min_balance: Option<Uint>,
    /// `registered`, `active` or `deleted`.
    pub status: String,
    pub registered_slot: i64,
    pub activated_slot: Option<i64>,
    pub deleted_by: Option<String>,
    pub deleted_slot: Option<i64>,
    pub updated_slot: i64,
    /// Whether the row last changed at or below the finalized watermark.
    pub finalized: bool,
}

/// Where one shard of a blob is held.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct PlacementRow {
    pub shard_index: i32,
    /// The holding provider's authority.
    pub holder: String,
    /// The holder before a repair moved the shard.
    pub previous: Option<String>,
    pub assigned_epoch: i64,
    pub last_proven_epoch: Option<i64>,
    pub needs_repair: bool,
    pub slot: i64,
    /// When the holder signed for the shard (absent: not yet).
    pub accepted_slot: Option<i64>,
    /// The price per epoch the holder accepted.
    pub accepted_price: Option<Uint>,
    pub released_slot: Option<i64>,
    pub evicted_slot: Option<i64>,
}

/// A storage deal: a blob's escrow and what it has paid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DealRow {
    pub address: String,
    pub blob: String,
    /// The blob's CID (absent if its registration is not indexed).
    pub cid: Option<String>,
    /// Who funded the deal first; refunds go back to this wallet.
    pub payer: String,
    pub price_per_shard_epoch: Uint,
    pub balance: Uint,
    pub funded_total: Uint,
    pub paid_total: Uint,
    pub refunded: Uint,
    /// `open` or `refunded`.
    pub status: String,
    pub created_slot: i64,
    pub updated_slot: i64,
    /// Whether the row last changed at or below the finalized watermark.
    pub finalized: bool,
}

/// A blob with its shards' placement and its deal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BlobDetail {
    #[serde(flatten)]
    pub blob: BlobRow,
    /// By shard index.
    pub placements: Vec<PlacementRow>,
    /// Absent until the blob's deal is funded.
    pub deal: Option<DealRow>,
}

/// An access grant on a blob, active or revoked.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct GrantRow {
    pub blob: String,
    pub grantee: String,
    /// Bit set: 1 read, 2 write, 4 delete.
    pub roles: i16,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub granted_by: String,
    pub active: bool,
    pub revoked_by: Option<String>,
    pub created_slot: i64,
    pub updated_slot: i64,
    /// Whether the row last changed at or below the finalized watermark.
    pub finalized: bool,
}

/// A deal's payout to one shard's holder.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct PayoutRow {
    /// The event's id: the list's order and cursor.
    pub event_id: i64,
    pub deal: String,
    pub blob: String,
    /// The blob's CID (absent if its registration is not indexed).
    pub cid: Option<String>,
    pub shard_index: i32,
    pub holder: String,
    pub epochs_paid: i64,
    /// Epochs proven but not paid (the deal ran dry).
    pub epochs_owed: i64,
    pub amount: Uint,
    pub signature: String,
    pub slot: i64,
    /// Whether the event is at or below the finalized watermark.
    pub finalized: bool,
}

/// A storage proof's outcome for one shard in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProofRow {
    /// The event's id: the list's order and cursor.
    pub event_id: i64,
    pub blob: String,
    /// The blob's CID (absent if its registration is not indexed).
    pub cid: Option<String>,
    pub shard_index: i32,
    pub holder: String,
    pub epoch: i64,
    /// `accepted` or `missed`.
    pub outcome: String,
    /// The challenged chunk and leaf (accepted proofs).
    pub chunk: Option<i64>,
    pub leaf: Option<i64>,
    /// Who reported a miss.
    pub cranker: Option<String>,
    pub signature: String,
    pub slot: i64,
    /// Whether the event is at or below the finalized watermark.
    pub finalized: bool,
}

/// A slash of a provider's stake.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct SlashRow {
    /// The event's id: the list's order and cursor.
    pub event_id: i64,
    pub provider: String,
    /// The provider's authority (absent if its registration is not indexed).
    pub authority: Option<String>,
    pub amount: Uint,
    /// The share paid to `beneficiary`.
    pub bounty: Uint,
    pub beneficiary: String,
    /// The blob (missed proof) or job (disagreeing result) the fault is about.
    pub subject: String,
    /// The provider's reputation after the slash.
    pub reputation: i64,
    pub signature: String,
    pub slot: i64,
    /// Whether the event is at or below the finalized watermark.
    pub finalized: bool,
}

/// A compute job.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobRow {
    /// Its key: the Job account (Solana) or `requester:nonce` (NEAR).
    pub address: String,
    pub requester: String,
    pub nonce: Uint,
    pub module_cid: String,
    pub input_cid: String,
    /// The dataset version the input is, if it is one.
    pub input_version: Option<String>,
    pub fuel_limit: Uint,
    /// Workers selected.
    pub n: i16,
    /// Agreeing results needed.
    pub k: i16,
    pub reward_per_worker: Uint,
    pub apply_deadline_slot: Option<i64>,
    pub commit_deadline_slot: i64,
    pub reveal_deadline_slot: i64,
    /// `open`, `succeeded` or `failed`.
    pub status: String,
    /// The agreed result's hash, hex.
    pub result_hash: Option<String>,
    pub agreeing: Option<i16>,
    pub refunded: Option<Uint>,
    /// The selection's randomness, hex.
    pub seed: Option<String>,
    pub selected_slot: Option<i64>,
    pub output_budget: Uint,
    pub output_price_per_shard_epoch: Uint,
    pub output_deadline_slot: Option<i64>,
    pub output_encrypted: bool,
    pub output_blob: Option<String>,
    pub output_cid: Option<String>,
    pub output_worker: Option<String>,
    pub output_slot: Option<i64>,
    pub output_refunded: Option<Uint>,
    /// The dataset and tag the output is published as, if asked.
    pub publish_dataset: Option<String>,
    pub publish_tag: Option<String>,
    pub publish_budget: Uint,
    pub published_version: Option<String>,
    pub posted_slot: i64,
    pub finalized_slot: Option<i64>,
    pub closed_slot: Option<i64>,
    pub updated_slot: i64,
    /// Whether the row last changed at or below the finalized watermark.
    pub finalized: bool,
}

/// One applicant of a job: application, selection, commitment, reveal and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobResultRow {
    pub worker: String,
    pub applied_slot: i64,
    /// The stake it applied with.
    pub stake: Option<Uint>,
    pub selected: bool,
    /// Its result commitment, hex.
    pub commitment: Option<String>,
    pub committed_slot: Option<i64>,
    /// Its revealed result's hash, hex.
    pub result_hash: Option<String>,
    pub revealed_slot: Option<i64>,
    /// `paid`, `disagreed`, `no_show` or `no_quorum`, once settled.
    pub outcome: Option<String>,
    pub paid: Option<Uint>,
    pub slashed: Option<Uint>,
    pub settled_slot: Option<i64>,
}

/// A job with every applicant.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: JobRow,
    /// In the order they applied.
    pub results: Vec<JobResultRow>,
}

/// An event as the chain emitted it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct EventRow {
    /// Grows in chain order: the list's order and cursor.
    pub id: i64,
    pub signature: String,
    /// Its place among its transaction's events.
    pub event_index: i32,
    pub slot: i64,
    #[schema(format = DateTime)]
    pub block_time: Option<String>,
    /// The event's name in the program or contract (`BlobRegistered`, ...).
    pub kind: String,
    /// The event's fields by their names in the program: addresses base58 (NEAR accounts
    /// by ID), hashes hex, CIDs as text; which fields depends on `kind`.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// `confirmed` or `finalized`.
    pub commitment: String,
}

/// Providers by state, with their stake and capacity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProviderTotals {
    pub total: i64,
    pub active: i64,
    pub unbonding: i64,
    pub jailed: i64,
    /// With the storage role.
    pub storage: i64,
    /// With the compute role.
    pub compute: i64,
    pub stake: Uint,
    pub capacity: Uint,
}

/// Blobs stored and deleted.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct BlobTotals {
    pub active: i64,
    /// Bytes of the active blobs.
    pub bytes: Uint,
    pub deleted: i64,
}

/// Deals open, their escrow, and what they paid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DealTotals {
    pub open: i64,
    pub escrow: Uint,
    pub paid: Uint,
}

/// Proof outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProofTotals {
    pub accepted: i64,
    pub missed: i64,
}

/// Jobs by status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobTotals {
    pub open: i64,
    pub succeeded: i64,
    pub failed: i64,
}

/// How far the follower has read the chain.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct CursorRow {
    pub program_id: String,
    /// The newest transaction (Solana) or block hash (NEAR) processed.
    pub signature: String,
    /// The slot (NEAR: block height) processed up to.
    pub slot: i64,
    /// Every event at or below this slot is finalized.
    pub finalized_slot: i64,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Network totals and how far the indexer has followed the chain.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    pub providers: ProviderTotals,
    pub blobs: BlobTotals,
    pub deals: DealTotals,
    pub proofs: ProofTotals,
    pub jobs: JobTotals,
    /// Events indexed.
    pub events: i64,
    /// Program instructions whose event could not be decoded.
    pub undecoded: i64,
    /// Absent until the follower has written anything.
    pub cursor: Option<CursorRow>,
}

#[cfg(test)]
impl ProviderRow {
    /// A provider row with placeholder values, for tests that set the fields they check.
    pub fn example() -> Self {
        Self {
            address: "provider".into(),
            authority: "authority".into(),
            endpoint: "http://127.0.0.1:1".into(),
            region: "local".into(),
            roles: 1,
            role_names: vec!["storage".into()],
            capacity: Uint("0".into()),
            stake: Uint("0".into()),
            unbonding: Uint("0".into()),
            unbonding_until_epoch: 0,
            status: "active".into(),
            reputation: 0,
            slashed_total: Uint("0".into()),
            last_heartbeat_slot: None,
            last_heartbeat_at: None,
            silent_secs: None,
            liveness: String::new(),
            registered_slot: 0,
            updated_slot: 0,
            shards_held: 0,
            bytes_held: Uint("0".into()),
            proofs_accepted: 0,
            proofs_missed: 0,
            earned: Uint("0".into()),
            finalized: false,
        }
    }
}
