//! A NEAR contract event in the indexer's stored form: the same kinds, field names and
//! encodings as the Solana program's (`crate::solana::payload`), so the derived tables, the API and
//! the dApps reading them do not care which chain a deployment runs on.
//!
//! What the translation does, field by field:
//! - kinds: the NEP-297 `event` (`blob_registered`) becomes the Solana event's name
//!   (`BlobRegistered`);
//! - a blob is named by its id on NEAR (`basalt_proof::blob_id` of owner and CID, in base58,
//!   as Solana's blob is by its account's address: both read like `basalt_core::BlobId`);
//!   its `cid` is the CID text; a deal is its blob's (one deal per blob on both chains); a job
//!   is `requester:nonce`, as the contract names it in `provider_slashed.subject`;
//! - a provider is its account: `provider` and `authority` are the same account ID;
//! - digests (base58 on NEAR) become hex, as Solana's hashes are stored; CIDs become CID text;
//! - token amounts stay decimal strings: NEP-141 amounts are u128 and exceed what a JSON
//!   number carries exactly (the derived tables cast them to NUMERIC either way);
//! - `block` (the block height) is stored as `slot`, the chain-position field every event
//!   has, and `*_blocks` / `*_block` fields as their `*_slots` / `*_slot` names;
//! - two kinds are NEAR's own and have no Solana twin: `ChallengeSeedDrawn` and
//!   `TokensWithdrawn` (migrations/*_near.sql says why they derive nothing).

use basalt_core::Cid;
use basalt_near::events::Event;
use basalt_near::state::{ConfigParams, Digest, JobStatus, TokenGate, WorkerOutcome};
use near_sdk::json_types::U128;
use near_sdk::AccountId;
use serde_json::{json, Value};

use crate::record::{EventRecord, Fields};

/// The event versions this indexer reads; an event of another version is kept aside
/// (`undecoded`) rather than read with the wrong field meanings.
pub const SUPPORTED_VERSION: &str = "1.0.0";

/// Why a logged event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NearEventError {
    #[error("event {event} has version {version}; this indexer reads {SUPPORTED_VERSION}")]
    Version { event: String, version: String },
    #[error("malformed or unknown event {event}: {reason}")]
    Malformed { event: String, reason: String },
}

/// The stored form of one logged event (`event`, `version` and `data` of its NEP-297 JSON).
///
/// # Errors
///
/// [`NearEventError`] for another version, an unknown kind, or fields that do not match
/// the contract's event.
pub fn record(event: &str, version: &str, data: &Value) -> Result<EventRecord, NearEventError> {
    if version != SUPPORTED_VERSION {
        return Err(NearEventError::Version {
            event: event.to_owned(),
            version: version.to_owned(),
        });
    }
    let parsed: Event =
        serde_json::from_value(json!({ "event": event, "data": data })).map_err(|e| {
            NearEventError::Malformed {
                event: event.to_owned(),
                reason: e.to_string(),
            }
        })?;
    Ok(of(&parsed))
}

/// What a NEAR event names beside plain values: accounts, blob ids, jobs, digests and u128
/// amounts, each in the stored form.
trait NearFields: Sized {
    fn account(self, name: &str, account: &AccountId) -> Self;
    fn optional_account(self, name: &str, account: Option<&AccountId>) -> Self;
    /// An account the event names inside a nested value (a token gate's token).
    fn names(self, account: &AccountId) -> Self;
    fn blob(self, id: &Digest) -> Self;
    fn job(self, requester: &AccountId, nonce: u64) -> Self;
    fn hex(self, name: &str, digest: &Digest) -> Self;
    fn amount(self, name: &str, amount: U128) -> Self;
}

impl NearFields for Fields {
    fn account(self, name: &str, account: &AccountId) -> Self {
        self.address(name, account.to_string())
    }

    fn optional_account(self, name: &str, account: Option<&AccountId>) -> Self {
        self.optional_address(name, account.map(ToString::to_string))
    }

    fn names(mut self, account: &AccountId) -> Self {
        self.note(account.as_str());
        self
    }

    fn blob(self, id: &Digest) -> Self {
        self.address("blob", blob_id(id))
    }

    fn job(self, requester: &AccountId, nonce: u64) -> Self {
        self.address("job", format!("{requester}:{nonce}"))
            .account("requester", requester)
            .value("nonce", nonce)
    }

    fn hex(self, name: &str, digest: &Digest) -> Self {
        self.value(name, hex(digest))
    }

    fn amount(self, name: &str, amount: U128) -> Self {
        self.value(name, amount.0.to_string())
    }
}

fn digest_bytes(digest: &Digest) -> [u8; 32] {
    digest.into()
}

fn cid(digest: &Digest) -> String {
    Cid::from_digest(digest_bytes(digest)).to_string()
}

/// A blob id as every chain's blob is named: base58, as `basalt_core::BlobId` writes it.
fn blob_id(id: &Digest) -> String {
    basalt_core::BlobId::from_bytes(digest_bytes(id)).to_string()
}

fn hex(digest: &Digest) -> String {
    data_encoding::HEXLOWER.encode(&digest_bytes(digest))
}

fn params(p: &ConfigParams) -> Value {
    json!({
        "min_stake": p.min_stake.to_string(),
        "unbonding_epochs": p.unbonding_epochs,
        "proof_slash_bps": p.proof_slash_bps,
        "job_slash_bps": p.job_slash_bps,
        "bounty_bps": p.bounty_bps,
        "default_k": p.default_k,
        "default_m": p.default_m,
        "max_deal_epochs": p.max_deal_epochs,
        "max_slashes_per_epoch": p.max_slashes_per_epoch,
        "accept_window_ticks": p.accept_window_ticks,
        "offline_ticks": p.offline_ticks,
    })
}

fn token_gate(gate: Option<&TokenGate>) -> Value {
    gate.map_or(
        Value::Null,
        |g| json!({ "mint": g.token.to_string(), "min_balance": g.min_balance.to_string() }),
    )
}

fn job_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Open => "open",
        JobStatus::Succeeded => "succeeded",
        JobStatus::Failed => "failed",
    }
}

fn worker_outcome(outcome: WorkerOutcome) -> &'static str {
    match outcome {
        WorkerOutcome::Paid => "paid",
        WorkerOutcome::Disagreed => "disagreed",
        WorkerOutcome::NoShow => "no_show",
        WorkerOutcome::NoQuorum => "no_quorum",
        WorkerOutcome::NotSelected => "not_selected",
    }
}

/// `provider_slashed.subject`: a blob's id (base58) or a job's `requester:nonce`, both
/// already their ids here.
fn subject(subject: &str) -> String {
    subject
        .parse::<Digest>()
        .map_or_else(|_| subject.to_owned(), |d| blob_id(&d))
}

/// The stored form of a contract event, by event family. Every variant is routed here by
/// name and destructured without `..` in its family's function: a variant or a field added
/// to an event in the contract fails to compile here until it is mapped.
pub fn of(event: &Event) -> EventRecord {
    match event {
        Event::ConfigInitialized { .. } | Event::ConfigUpdated { .. } => config(event),
        Event::ProviderRegistered { .. }
        | Event::ProviderUpdated { .. }
        | Event::StakeAdded { .. }
        | Event::UnstakeRequested { .. }
        | Event::StakeWithdrawn { .. }
        | Event::ProviderHeartbeat { .. }
        | Event::ProviderDeregistered { .. }
        | Event::ProviderUnjailed { .. }
        | Event::ProviderSlashed { .. }
        | Event::TokensWithdrawn { .. } => provider(event),
        Event::BlobRegistered { .. }
        | Event::ShardPlaced { .. }
        | Event::ShardAccepted { .. }
        | Event::ShardReleased { .. }
        | Event::ShardEvicted { .. }
        | Event::BlobActivated { .. }
        | Event::BlobAccessChanged { .. }
        | Event::BlobDeleted { .. }
        | Event::GrantCreated { .. }
        | Event::GrantRevoked { .. } => blob(event),
        Event::DealFunded { .. }
        | Event::DealSettled { .. }
        | Event::DealRefunded { .. }
        | Event::ChallengeSeedDrawn { .. }
        | Event::ProofAccepted { .. }
        | Event::ProofMissed { .. } => storage_economy(event),
        Event::JobPosted { .. }
        | Event::JobOutputRegistered { .. }
        | Event::JobApplied { .. }
        | Event::JobSelected { .. }
        | Event::JobCommitted { .. }
        | Event::JobRevealed { .. }
        | Event::JobFinalized { .. }
        | Event::JobWorkerSettled { .. } => job(event),
        Event::DatasetCreated { .. }
        | Event::DatasetAccessChanged { .. }
        | Event::DatasetGrantCreated { .. }
        | Event::DatasetGrantRevoked { .. }
        | Event::VersionPublished { .. }
        | Event::VersionRetracted { .. } => dataset(event),
    }
}

/// The deployment's configuration.
fn config(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::ConfigInitialized {
            admin,
            stake_token,
            epoch_blocks,
            proof_window_blocks,
            params: p,
            block,
        } => f
            .account("admin", admin)
            .account("stake_mint", stake_token)
            .value("epoch_slots", *epoch_blocks)
            .value("proof_window_slots", *proof_window_blocks)
            .value("params", params(p))
            .done("ConfigInitialized", *block),
        Event::ConfigUpdated {
            admin,
            pending_admin,
            params: p,
            pending_params,
            pending_params_at,
            block,
        } => f
            .account("admin", admin)
            .optional_account("pending_admin", pending_admin.as_ref())
            .value("params", params(p))
            .value(
                "pending_params",
                pending_params.as_ref().map_or(Value::Null, params),
            )
            .value("pending_params_at", *pending_params_at)
            .done("ConfigUpdated", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

/// Providers: registration, stake, liveness, slashes, and withdrawals of tokens.
fn provider(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::ProviderRegistered {
            provider,
            endpoint,
            region,
            roles,
            capacity,
            block,
        } => f
            .account("provider", provider)
            .account("authority", provider)
            .value("endpoint", endpoint.as_str())
            .value("region", region.as_str())
            .value("roles", *roles)
            .value("capacity", *capacity)
            .done("ProviderRegistered", *block),
        Event::ProviderUpdated {
            provider,
            endpoint,
            region,
            roles,
            capacity,
            block,
        } => f
            .account("provider", provider)
            .value("endpoint", endpoint.as_str())
            .value("region", region.as_str())
            .value("roles", *roles)
            .value("capacity", *capacity)
            .done("ProviderUpdated", *block),
        Event::StakeAdded {
            provider,
            amount,
            stake,
            block,
        } => f
            .account("provider", provider)
            .amount("amount", *amount)
            .amount("stake", *stake)
            .done("StakeAdded", *block),
        Event::UnstakeRequested {
            provider,
            amount,
            stake,
            unbonding_until_epoch,
            block,
        } => f
            .account("provider", provider)
            .amount("amount", *amount)
            .amount("stake", *stake)
            .value("unbonding_until_epoch", *unbonding_until_epoch)
            .done("UnstakeRequested", *block),
        Event::StakeWithdrawn {
            provider,
            amount,
            block,
        } => f
            .account("provider", provider)
            .amount("amount", *amount)
            .done("StakeWithdrawn", *block),
        Event::ProviderHeartbeat { provider, block } => f
            .account("provider", provider)
            .done("ProviderHeartbeat", *block),
        Event::ProviderDeregistered { provider, block } => f
            .account("provider", provider)
            .account("authority", provider)
            .done("ProviderDeregistered", *block),
        Event::ProviderUnjailed { provider, block } => f
            .account("provider", provider)
            .done("ProviderUnjailed", *block),
        Event::ProviderSlashed {
            provider,
            amount,
            bounty,
            beneficiary,
            subject: s,
            reputation,
            block,
        } => f
            .account("provider", provider)
            .amount("amount", *amount)
            .amount("bounty", *bounty)
            .account("beneficiary", beneficiary)
            .address("subject", subject(s))
            .value("reputation", *reputation)
            .done("ProviderSlashed", *block),
        Event::TokensWithdrawn {
            account,
            amount,
            block,
        } => f
            .account("account", account)
            .amount("amount", *amount)
            .done("TokensWithdrawn", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

/// Blobs: registration, shard placement, access and grants.
fn blob(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::BlobRegistered {
            blob,
            cid_digest,
            owner,
            size,
            k,
            m,
            chunk_count,
            commitment_root,
            expiry_epoch,
            public,
            encrypted,
            block,
        } => f
            .blob(blob)
            .account("owner", owner)
            .hex("cid_digest", cid_digest)
            .value("size", *size)
            .value("k", *k)
            .value("m", *m)
            .value("chunk_count", *chunk_count)
            .hex("commitment_root", commitment_root)
            .value("expiry_epoch", *expiry_epoch)
            .value("public", *public)
            .value("encrypted", *encrypted)
            .value("cid", cid(cid_digest))
            .done("BlobRegistered", *block),
        Event::ShardPlaced {
            blob,
            index,
            provider,
            previous,
            assigned_epoch,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .optional_account("previous", previous.as_ref())
            .value("assigned_epoch", *assigned_epoch)
            .done("ShardPlaced", *block),
        Event::ShardAccepted {
            blob,
            index,
            provider,
            assigned_epoch,
            price_per_shard_epoch,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .value("assigned_epoch", *assigned_epoch)
            .amount("price_per_shard_epoch", *price_per_shard_epoch)
            .done("ShardAccepted", *block),
        Event::ShardReleased {
            blob,
            index,
            provider,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .done("ShardReleased", *block),
        Event::ShardEvicted {
            blob,
            index,
            provider,
            last_heartbeat_block,
            charged,
            cranker,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .value("last_heartbeat_slot", *last_heartbeat_block)
            .amount("charged", *charged)
            .account("cranker", cranker)
            .done("ShardEvicted", *block),
        Event::BlobActivated { blob, block } => f.blob(blob).done("BlobActivated", *block),
        Event::BlobAccessChanged {
            blob,
            public,
            token_gate: gate,
            block,
        } => {
            let f = f
                .blob(blob)
                .value("public", *public)
                .value("token_gate", token_gate(gate.as_ref()));
            match gate {
                Some(g) => f.names(&g.token),
                None => f,
            }
            .done("BlobAccessChanged", *block)
        }
        Event::BlobDeleted { blob, by, block } => {
            f.blob(blob).account("by", by).done("BlobDeleted", *block)
        }
        Event::GrantCreated {
            blob,
            grantee,
            roles,
            expires_at,
            granted_by,
            block,
        } => f
            .blob(blob)
            .account("grantee", grantee)
            .value("roles", *roles)
            .value("expires_at", *expires_at)
            .account("granted_by", granted_by)
            .done("GrantCreated", *block),
        Event::GrantRevoked {
            blob,
            grantee,
            revoked_by,
            block,
        } => f
            .blob(blob)
            .account("grantee", grantee)
            .account("revoked_by", revoked_by)
            .done("GrantRevoked", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

/// Deals and storage proofs.
fn storage_economy(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::DealFunded {
            blob,
            payer,
            price_per_shard_epoch,
            amount,
            balance,
            block,
        } => f
            .address("deal", blob_id(blob))
            .blob(blob)
            .account("payer", payer)
            .amount("price_per_shard_epoch", *price_per_shard_epoch)
            .amount("amount", *amount)
            .amount("balance", *balance)
            .done("DealFunded", *block),
        Event::DealSettled {
            blob,
            index,
            provider,
            epochs_paid,
            epochs_owed,
            amount,
            balance,
            block,
        } => f
            .address("deal", blob_id(blob))
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .value("epochs_paid", *epochs_paid)
            .value("epochs_owed", *epochs_owed)
            .amount("amount", *amount)
            .amount("balance", *balance)
            .done("DealSettled", *block),
        Event::DealRefunded {
            blob,
            payer,
            amount,
            block,
        } => f
            .address("deal", blob_id(blob))
            .blob(blob)
            .account("payer", payer)
            .amount("amount", *amount)
            .done("DealRefunded", *block),
        Event::ChallengeSeedDrawn {
            epoch,
            seed,
            by,
            block,
        } => f
            .value("epoch", *epoch)
            .hex("seed", seed)
            .account("by", by)
            .done("ChallengeSeedDrawn", *block),
        Event::ProofAccepted {
            blob,
            index,
            provider,
            epoch,
            chunk,
            leaf,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .value("epoch", *epoch)
            .value("chunk", *chunk)
            .value("leaf", *leaf)
            .done("ProofAccepted", *block),
        Event::ProofMissed {
            blob,
            index,
            provider,
            epoch,
            cranker,
            block,
        } => f
            .blob(blob)
            .value("index", *index)
            .account("provider", provider)
            .value("epoch", *epoch)
            .account("cranker", cranker)
            .done("ProofMissed", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

/// Compute jobs.
fn job(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::JobPosted {
            requester,
            nonce,
            module_cid,
            input_cid,
            fuel_limit,
            n,
            k,
            reward_per_worker,
            apply_deadline_block,
            commit_deadline_block,
            reveal_deadline_block,
            output_budget,
            output_price_per_shard_epoch,
            output_deadline_block,
            output_encrypted,
            input_version,
            publish_dataset,
            publish_tag,
            publish_budget,
            block,
        } => f
            .job(requester, *nonce)
            .value("module_cid", cid(module_cid))
            .value("input_cid", cid(input_cid))
            .value("fuel_limit", *fuel_limit)
            .value("n", *n)
            .value("k", *k)
            .amount("reward_per_worker", *reward_per_worker)
            .value("apply_deadline_slot", *apply_deadline_block)
            .value("commit_deadline_slot", *commit_deadline_block)
            .value("reveal_deadline_slot", *reveal_deadline_block)
            .amount("output_budget", *output_budget)
            .amount(
                "output_price_per_shard_epoch",
                *output_price_per_shard_epoch,
            )
            .value("output_deadline_slot", *output_deadline_block)
            .value("output_encrypted", *output_encrypted)
            .optional_address("input_version", input_version.as_ref().map(blob_id))
            .optional_address("publish_dataset", publish_dataset.as_ref().map(blob_id))
            .value("publish_tag", publish_tag.clone())
            .amount("publish_budget", *publish_budget)
            .done("JobPosted", *block),
        Event::JobOutputRegistered {
            requester,
            nonce,
            blob,
            worker,
            cid_digest,
            budget,
            block,
        } => f
            .job(requester, *nonce)
            .blob(blob)
            .account("worker", worker)
            .value("cid_digest", cid(cid_digest))
            .amount("budget", *budget)
            .done("JobOutputRegistered", *block),
        Event::JobApplied {
            requester,
            nonce,
            worker,
            stake,
            displaced,
            block,
        } => f
            .job(requester, *nonce)
            .account("worker", worker)
            .amount("stake", *stake)
            .optional_account("displaced", displaced.as_ref())
            .done("JobApplied", *block),
        Event::JobSelected {
            requester,
            nonce,
            seed,
            workers,
            block,
        } => {
            let mut f = f.job(requester, *nonce).hex("seed", seed);
            for w in workers {
                f = f.names(w);
            }
            let workers: Vec<Value> = workers.iter().map(|w| w.to_string().into()).collect();
            f.value("workers", workers).done("JobSelected", *block)
        }
        Event::JobCommitted {
            requester,
            nonce,
            worker,
            commitment,
            block,
        } => f
            .job(requester, *nonce)
            .account("worker", worker)
            .hex("commitment", commitment)
            .done("JobCommitted", *block),
        Event::JobRevealed {
            requester,
            nonce,
            worker,
            result_hash,
            block,
        } => f
            .job(requester, *nonce)
            .account("worker", worker)
            .hex("result_hash", result_hash)
            .done("JobRevealed", *block),
        Event::JobFinalized {
            requester,
            nonce,
            status,
            result_hash,
            agreeing,
            refunded,
            job_closed,
            block,
        } => f
            .job(requester, *nonce)
            .value("status", job_status(*status))
            .hex("result_hash", result_hash)
            .value("agreeing", *agreeing)
            .amount("refunded", *refunded)
            .value("job_closed", *job_closed)
            .done("JobFinalized", *block),
        Event::JobWorkerSettled {
            requester,
            nonce,
            worker,
            outcome,
            paid,
            slashed,
            reputation,
            job_closed,
            output_refunded,
            block,
        } => f
            .job(requester, *nonce)
            .account("worker", worker)
            .value("outcome", worker_outcome(*outcome))
            .amount("paid", *paid)
            .amount("slashed", *slashed)
            .value("reputation", *reputation)
            .value("job_closed", *job_closed)
            .amount("output_refunded", *output_refunded)
            .done("JobWorkerSettled", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

/// Datasets and their versions.
fn dataset(event: &Event) -> EventRecord {
    let f = Fields::default();
    match event {
        Event::DatasetCreated {
            dataset,
            owner,
            name,
            public,
            block,
        } => f
            .address("dataset", blob_id(dataset))
            .account("owner", owner)
            .value("name", name.as_str())
            .value("public", *public)
            .done("DatasetCreated", *block),
        Event::DatasetAccessChanged {
            dataset,
            public,
            block,
        } => f
            .address("dataset", blob_id(dataset))
            .value("public", *public)
            .done("DatasetAccessChanged", *block),
        Event::DatasetGrantCreated {
            dataset,
            grantee,
            roles,
            expires_at,
            granted_by,
            block,
        } => f
            .address("dataset", blob_id(dataset))
            .account("grantee", grantee)
            .value("roles", *roles)
            .value("expires_at", *expires_at)
            .account("granted_by", granted_by)
            .done("DatasetGrantCreated", *block),
        Event::DatasetGrantRevoked {
            dataset,
            grantee,
            revoked_by,
            block,
        } => f
            .address("dataset", blob_id(dataset))
            .account("grantee", grantee)
            .account("revoked_by", revoked_by)
            .done("DatasetGrantRevoked", *block),
        Event::VersionPublished {
            dataset,
            version,
            tag,
            seq,
            version_id,
            manifest_blob,
            parents,
            job,
            message,
            publisher,
            block,
        } => {
            let mut f = f
                .address("dataset", blob_id(dataset))
                .address("version", blob_id(version))
                .value("tag", tag.as_str())
                .value("seq", *seq)
                .value("version_id", cid(version_id))
                .address("manifest_blob", blob_id(manifest_blob));
            let parents: Vec<String> = parents.iter().map(blob_id).collect();
            for p in &parents {
                f.note(p);
            }
            f = f.value("parents", parents);
            f = match job {
                Some(j) => f.address("job", format!("{}:{}", j.requester, j.nonce)),
                None => f.value("job", Value::Null),
            };
            f.value("message", message.as_str())
                .account("publisher", publisher)
                .done("VersionPublished", *block)
        }
        Event::VersionRetracted {
            dataset,
            version,
            retracted_by,
            block,
        } => f
            .address("dataset", blob_id(dataset))
            .address("version", blob_id(version))
            .account("retracted_by", retracted_by)
            .done("VersionRetracted", *block),
        other => unreachable!("routed to another family: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: u128 = 10u128.pow(27);

    fn account(name: &str) -> AccountId {
        name.parse().expect("a valid account id")
    }

    /// `event` as the contract logs it, read back.
    fn logged(event: &Event) -> Result<EventRecord, NearEventError> {
        let nep297 = event.to_json();
        assert_eq!(nep297["standard"], "basalt");
        record(
            nep297["event"].as_str().unwrap_or_default(),
            nep297["version"].as_str().unwrap_or_default(),
            &nep297["data"],
        )
    }

    #[test]
    fn amounts_stay_exact_and_fields_take_the_solana_names() -> Result<(), NearEventError> {
        let stake = logged(&Event::StakeAdded {
            provider: account("alice.testnet"),
            amount: U128(BIG),
            stake: U128(BIG + 1),
            block: 9,
        })?;
        assert_eq!(stake.kind, "StakeAdded");
        assert_eq!(stake.payload["amount"], BIG.to_string());
        assert_eq!(stake.payload["stake"], (BIG + 1).to_string());
        assert_eq!(stake.payload["slot"], 9);
        assert_eq!(stake.accounts, ["alice.testnet"]);

        let config = logged(&Event::ConfigInitialized {
            admin: account("admin.testnet"),
            stake_token: account("usdc.testnet"),
            epoch_blocks: 100,
            proof_window_blocks: 40,
            params: ConfigParams {
                min_stake: BIG,
                unbonding_epochs: 2,
                proof_slash_bps: 1,
                job_slash_bps: 2,
                bounty_bps: 3,
                default_k: 10,
                default_m: 4,
                max_deal_epochs: 10_000,
                max_slashes_per_epoch: 1,
                accept_window_ticks: 150,
                offline_ticks: 750,
            },
            block: 1,
        })?;
        let p = &config.payload;
        assert_eq!(p["stake_mint"], "usdc.testnet");
        assert_eq!(
            (p["epoch_slots"].clone(), p["proof_window_slots"].clone()),
            (json!(100), json!(40))
        );
        assert_eq!(p["params"]["min_stake"], BIG.to_string());
        assert_eq!(p["params"]["default_m"], 4);
        Ok(())
    }

    #[test]
    fn blobs_are_named_by_id_and_digests_are_hex() -> Result<(), NearEventError> {
        let blob = Digest::from([7u8; 32]);
        let id_text = basalt_core::BlobId::from_bytes([7; 32]).to_string();
        let cid_text = Cid::from_digest([8; 32]).to_string();
        let registered = logged(&Event::BlobRegistered {
            blob,
            cid_digest: Digest::from([8u8; 32]),
            owner: account("carol.testnet"),
            size: u64::MAX,
            k: 10,
            m: 4,
            chunk_count: 3,
            commitment_root: Digest::from([0xAB; 32]),
            expiry_epoch: 9,
            public: true,
            encrypted: false,
            block: 5,
        })?;
        let p = &registered.payload;
        assert_eq!(
            (p["blob"].as_str(), p["cid"].as_str()),
            (Some(id_text.as_str()), Some(cid_text.as_str()))
        );
        // The id is the contract's digest in base58, as Solana writes a blob's address.
        assert_eq!(id_text, blob.to_string());
        assert_eq!(p["cid_digest"], "08".repeat(32));
        assert_eq!(p["commitment_root"], "ab".repeat(32));
        assert_eq!(p["size"].as_u64(), Some(u64::MAX));
        assert_eq!(
            registered.accounts,
            [id_text.clone(), "carol.testnet".into()]
        );

        let settled = logged(&Event::DealSettled {
            blob,
            index: 2,
            provider: account("alice.testnet"),
            epochs_paid: 1,
            epochs_owed: 0,
            amount: U128(5),
            balance: U128(0),
            block: 6,
        })?;
        // One deal per blob: the deal is named by the blob's id.
        assert_eq!(settled.payload["deal"], id_text);
        assert_eq!(settled.accounts, [id_text, "alice.testnet".into()]);
        Ok(())
    }

    #[test]
    fn slash_subjects_name_the_blob_by_id_or_the_job_by_requester_and_nonce(
    ) -> Result<(), NearEventError> {
        let slash = |subject: String| Event::ProviderSlashed {
            provider: account("bob.testnet"),
            amount: U128(BIG),
            bounty: U128(1),
            beneficiary: account("alice.testnet"),
            subject,
            reputation: -3,
            block: 1,
        };
        let blob = Digest::from([9u8; 32]);
        let by_proof = logged(&slash(blob.to_string()))?;
        assert_eq!(by_proof.payload["subject"], blob.to_string());
        let by_job = logged(&slash("carol.testnet:4".into()))?;
        assert_eq!(by_job.payload["subject"], "carol.testnet:4");
        assert_eq!(by_job.payload["reputation"], -3);

        let applied = logged(&Event::JobApplied {
            requester: account("carol.testnet"),
            nonce: 4,
            worker: account("alice.testnet"),
            stake: U128(BIG),
            displaced: Some(account("dave.testnet")),
            block: 2,
        })?;
        assert_eq!(applied.payload["job"], "carol.testnet:4");
        assert_eq!(applied.payload["stake"], BIG.to_string());
        assert_eq!(
            applied.accounts,
            [
                "carol.testnet:4",
                "carol.testnet",
                "alice.testnet",
                "dave.testnet"
            ]
        );
        let selected = logged(&Event::JobSelected {
            requester: account("carol.testnet"),
            nonce: 4,
            seed: Digest::from([3u8; 32]),
            workers: vec![account("alice.testnet"), account("erin.testnet")],
            block: 3,
        })?;
        assert_eq!(
            selected.payload["workers"],
            json!(["alice.testnet", "erin.testnet"])
        );
        assert!(selected.accounts.contains(&"erin.testnet".to_owned()));
        Ok(())
    }

    #[test]
    fn token_gates_and_enums_render_as_the_derived_tables_read_them() -> Result<(), NearEventError>
    {
        let changed = logged(&Event::BlobAccessChanged {
            blob: Digest::from([1u8; 32]),
            public: false,
            token_gate: Some(TokenGate {
                token: account("gate.testnet"),
                min_balance: BIG,
            }),
            block: 3,
        })?;
        assert_eq!(
            changed.payload["token_gate"],
            json!({ "mint": "gate.testnet", "min_balance": BIG.to_string() })
        );
        assert!(changed.accounts.contains(&"gate.testnet".to_owned()));

        let settled = logged(&Event::JobWorkerSettled {
            requester: account("carol.testnet"),
            nonce: 1,
            worker: account("alice.testnet"),
            outcome: WorkerOutcome::NoShow,
            paid: U128(0),
            slashed: U128(7),
            reputation: -2,
            job_closed: true,
            output_refunded: U128(0),
            block: 4,
        })?;
        assert_eq!(settled.payload["outcome"], "no_show");
        assert_eq!(settled.payload["job_closed"], true);
        let finalized = logged(&Event::JobFinalized {
            requester: account("carol.testnet"),
            nonce: 1,
            status: JobStatus::Failed,
            result_hash: Digest::from([0u8; 32]),
            agreeing: 0,
            refunded: U128(BIG),
            job_closed: false,
            block: 4,
        })?;
        assert_eq!(finalized.payload["status"], "failed");
        Ok(())
    }

    #[test]
    fn other_versions_unknown_kinds_and_wrong_fields_are_errors() {
        let data = json!({ "provider": "alice.testnet", "block": 1 });
        assert!(matches!(
            record("provider_heartbeat", "2.0.0", &data),
            Err(NearEventError::Version { .. })
        ));
        assert!(record("provider_heartbeat", "1.0.0", &data).is_ok());
        let unknown = record("provider_teleported", "1.0.0", &data);
        assert!(
            matches!(unknown, Err(NearEventError::Malformed { .. })),
            "{unknown:?}"
        );
        // A u128 amount must be a decimal string, as near-sdk writes it.
        let bad = json!({ "provider": "alice.testnet", "amount": 5, "block": 1 });
        assert!(matches!(
            record("stake_withdrawn", "1.0.0", &bad),
            Err(NearEventError::Malformed { .. })
        ));
        let bad_account = json!({ "provider": "Not An Account!", "block": 1 });
        assert!(record("provider_heartbeat", "1.0.0", &bad_account).is_err());
    }
}
