//! A Basalt EVM contract's log in the indexer's stored form: the same kinds, field names and
//! encodings as the Solana program's (`crate::solana::payload`) and the NEAR contract's
//! (`crate::near::payload`), so the derived tables, the API and the dApps reading them do
//! not care which chain a deployment runs on.
//!
//! What the translation does, field by field:
//! - kinds: the Solidity event's name, already the Solana event's;
//! - an address is its lower-case `0x` hex (a wallet, a provider, a token), as
//!   `eth_getLogs` filters and explorers compare it; a provider is its own address, so
//!   `provider` and `authority` are the same;
//! - a blob, a dataset, a version and a job are named by their `bytes32` id in base58, as
//!   `basalt_core::BlobId` writes it (NEAR's blob ids and Solana's account addresses read the
//!   same way); a deal is its blob's (one deal per blob on every chain);
//! - digests become hex, CIDs (BLAKE3 digests of content) CID text;
//! - token amounts are decimal strings: ERC-20 amounts are `uint256` and exceed what a JSON
//!   number carries exactly (the derived tables cast them to NUMERIC either way);
//! - the log's block number is stored as `slot`, the chain-position field every event has,
//!   and `*Block` fields as their `*_slot` names;
//! - a zero address or id where the Solidity event has no optional type is `null`;
//! - five kinds are the EVM's own and derive nothing (migrations/*_evm.sql says why):
//!   `ProtocolBound`, `ObligationOpened`, `ObligationClosed`, `ProviderCharged` and
//!   `JobOutputPublished`.

use alloy::primitives::{Address, Log, B256};
use alloy::sol_types::SolEventInterface;
use basalt_core::Cid;
use basalt_evm_client::alloy;
use basalt_evm_client::{BasaltBlobs, BasaltConfig, BasaltDatasets, BasaltJobs, BasaltProviders};
use serde_json::{json, Value};

use crate::record::{EventRecord, Fields};

use BasaltBlobs::BasaltBlobsEvents as BlobsEvent;
use BasaltConfig::BasaltConfigEvents as ConfigEvent;
use BasaltDatasets::BasaltDatasetsEvents as DatasetsEvent;
use BasaltJobs::BasaltJobsEvents as JobsEvent;
use BasaltProviders::BasaltProvidersEvents as ProvidersEvent;

/// The kinds only the EVM contracts log (every other kind is the Solana program's).
pub const EVM_OWN_KINDS: [&str; 5] = [
    "ProtocolBound",
    "ObligationOpened",
    "ObligationClosed",
    "ProviderCharged",
    "JobOutputPublished",
];

/// Which of the deployment's contracts emitted a log: each decodes its own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    Config,
    Providers,
    Blobs,
    Datasets,
    Jobs,
}

/// Why a log could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{contract:?} log with topic {topic}: {reason}")]
pub struct EvmEventError {
    pub contract: Contract,
    /// The event's signature hash (`topics[0]`), zero when there is none.
    pub topic: B256,
    pub reason: String,
}

/// The stored form of `log`, which `contract` emitted in block `block`.
///
/// # Errors
///
/// [`EvmEventError`] when the log is not one of the contract's events (an unknown
/// signature, topics or data that do not decode).
pub fn record(contract: Contract, log: &Log, block: u64) -> Result<EventRecord, EvmEventError> {
    let error = |reason: String| EvmEventError {
        contract,
        topic: log.topics().first().copied().unwrap_or_default(),
        reason,
    };
    let undecoded = |e: alloy::sol_types::Error| error(e.to_string());
    let (topics, data) = (log.topics(), &log.data.data[..]);
    Ok(match contract {
        Contract::Config => config(ConfigEvent::decode_raw_log(topics, data).map_err(undecoded)?),
        Contract::Providers => {
            provider(ProvidersEvent::decode_raw_log(topics, data).map_err(undecoded)?)
        }
        Contract::Blobs => blob(BlobsEvent::decode_raw_log(topics, data).map_err(undecoded)?),
        Contract::Datasets => {
            dataset(DatasetsEvent::decode_raw_log(topics, data).map_err(undecoded)?)
        }
        Contract::Jobs => {
            job(JobsEvent::decode_raw_log(topics, data).map_err(undecoded)?).map_err(error)?
        }
    }
    .done(block))
}

/// A record waiting for its block: `Fields` with the event's kind.
struct Pending(Fields, &'static str);

impl Pending {
    fn done(self, block: u64) -> EventRecord {
        self.0.done(self.1, block)
    }
}

/// What an EVM event names beside plain values, each in the stored form.
trait EvmFields: Sized {
    fn account(self, name: &str, address: Address) -> Self;
    /// `null` for the zero address.
    fn optional_account(self, name: &str, address: Address) -> Self;
    /// A blob, dataset, version or job by its id.
    fn id(self, name: &str, id: B256) -> Self;
    /// `null` for the zero id.
    fn optional_id(self, name: &str, id: B256) -> Self;
    fn hex(self, name: &str, digest: B256) -> Self;
    fn cid(self, name: &str, digest: B256) -> Self;
    /// A token amount (`uint128` or `uint256`) as a decimal string.
    fn amount(self, name: &str, amount: impl std::fmt::Display) -> Self;
    fn kind(self, kind: &'static str) -> Pending;
}

impl EvmFields for Fields {
    fn account(self, name: &str, address: Address) -> Self {
        self.address(name, account(address))
    }

    fn optional_account(self, name: &str, address: Address) -> Self {
        self.optional_address(name, (!address.is_zero()).then(|| account(address)))
    }

    fn id(self, name: &str, id: B256) -> Self {
        self.address(name, base58_id(id))
    }

    fn optional_id(self, name: &str, id: B256) -> Self {
        self.optional_address(name, (!id.is_zero()).then(|| base58_id(id)))
    }

    fn hex(self, name: &str, digest: B256) -> Self {
        self.value(name, data_encoding::HEXLOWER.encode(digest.as_slice()))
    }

    fn cid(self, name: &str, digest: B256) -> Self {
        self.value(name, Cid::from_digest(digest.0).to_string())
    }

    fn amount(self, name: &str, amount: impl std::fmt::Display) -> Self {
        self.value(name, amount.to_string())
    }

    fn kind(self, kind: &'static str) -> Pending {
        Pending(self, kind)
    }
}

/// An address as the index stores it: lower-case `0x` hex.
pub fn account(address: Address) -> String {
    format!("{address:#x}")
}

/// A `bytes32` id as every chain's blob is named: base58, as `basalt_core::BlobId` writes it.
pub fn base58_id(id: B256) -> String {
    basalt_core::BlobId::from_bytes(id.0).to_string()
}

fn params(p: &BasaltConfig::Params) -> Value {
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

/// The ABI carries a Solidity enum as a `uint8` (`BasaltJobs.JobStatus` here): a value
/// beyond its variants does not read.
fn job_status(status: u8) -> Result<&'static str, String> {
    match status {
        0 => Ok("open"),
        1 => Ok("succeeded"),
        2 => Ok("failed"),
        other => Err(format!(
            "job status {other} is not one of BasaltJobs.JobStatus"
        )),
    }
}

/// `BasaltJobs.WorkerOutcome`, as [`job_status`].
fn worker_outcome(outcome: u8) -> Result<&'static str, String> {
    match outcome {
        0 => Ok("paid"),
        1 => Ok("disagreed"),
        2 => Ok("no_show"),
        3 => Ok("no_quorum"),
        4 => Ok("not_selected"),
        other => Err(format!(
            "outcome {other} is not one of BasaltJobs.WorkerOutcome"
        )),
    }
}

// Every event is destructured without `..`: a field added to an event in Solidity fails to
// compile here until it is mapped.

/// The deployment's configuration.
fn config(event: ConfigEvent) -> Pending {
    let f = Fields::default();
    match event {
        ConfigEvent::ConfigInitialized(BasaltConfig::ConfigInitialized {
            admin,
            stakeToken,
            epochBlocks,
            proofWindowBlocks,
            treasury,
            params: p,
        }) => f
            .account("admin", admin)
            .account("stake_mint", stakeToken)
            .value("epoch_slots", epochBlocks)
            .value("proof_window_slots", proofWindowBlocks)
            .account("treasury", treasury)
            .value("params", params(&p))
            .kind("ConfigInitialized"),
        ConfigEvent::ConfigUpdated(BasaltConfig::ConfigUpdated {
            admin,
            pendingAdmin,
            params: p,
            pendingParams,
            pendingParamsAt,
        }) => f
            .account("admin", admin)
            .optional_account("pending_admin", pendingAdmin)
            .value("params", params(&p))
            .value(
                "pending_params",
                if pendingParamsAt == 0 {
                    Value::Null
                } else {
                    params(&pendingParams)
                },
            )
            .value("pending_params_at", pendingParamsAt)
            .kind("ConfigUpdated"),
        ConfigEvent::ProtocolBound(BasaltConfig::ProtocolBound {
            providers,
            blobs,
            jobs,
        }) => f
            .account("providers", providers)
            .account("blobs", blobs)
            .account("jobs", jobs)
            .kind("ProtocolBound"),
    }
}

/// Providers: registration, stake, liveness, obligations, slashes and charges.
fn provider(event: ProvidersEvent) -> Pending {
    let f = Fields::default();
    match event {
        ProvidersEvent::ProviderRegistered(BasaltProviders::ProviderRegistered {
            provider,
            endpoint,
            region,
            roles,
            capacity,
        }) => f
            .account("provider", provider)
            .account("authority", provider)
            .value("endpoint", endpoint)
            .value("region", region)
            .value("roles", roles)
            .value("capacity", capacity)
            .kind("ProviderRegistered"),
        ProvidersEvent::ProviderUpdated(BasaltProviders::ProviderUpdated {
            provider,
            endpoint,
            region,
            roles,
            capacity,
        }) => f
            .account("provider", provider)
            .value("endpoint", endpoint)
            .value("region", region)
            .value("roles", roles)
            .value("capacity", capacity)
            .kind("ProviderUpdated"),
        ProvidersEvent::StakeAdded(BasaltProviders::StakeAdded {
            provider,
            amount,
            stake,
        }) => f
            .account("provider", provider)
            .amount("amount", amount)
            .amount("stake", stake)
            .kind("StakeAdded"),
        ProvidersEvent::UnstakeRequested(BasaltProviders::UnstakeRequested {
            provider,
            amount,
            stake,
            unbondingUntilEpoch,
        }) => f
            .account("provider", provider)
            .amount("amount", amount)
            .amount("stake", stake)
            .value("unbonding_until_epoch", unbondingUntilEpoch)
            .kind("UnstakeRequested"),
        ProvidersEvent::StakeWithdrawn(BasaltProviders::StakeWithdrawn { provider, amount }) => f
            .account("provider", provider)
            .amount("amount", amount)
            .kind("StakeWithdrawn"),
        ProvidersEvent::ProviderDeregistered(BasaltProviders::ProviderDeregistered {
            provider,
        }) => f
            .account("provider", provider)
            .account("authority", provider)
            .kind("ProviderDeregistered"),
        ProvidersEvent::ProviderHeartbeat(BasaltProviders::ProviderHeartbeat { provider }) => {
            f.account("provider", provider).kind("ProviderHeartbeat")
        }
        ProvidersEvent::ProviderUnjailed(BasaltProviders::ProviderUnjailed { provider }) => {
            f.account("provider", provider).kind("ProviderUnjailed")
        }
        ProvidersEvent::ProviderSlashed(BasaltProviders::ProviderSlashed {
            provider,
            amount,
            bounty,
            beneficiary,
            subject,
            reputation,
            jailedUntilEpoch,
        }) => f
            .account("provider", provider)
            .amount("amount", amount)
            .amount("bounty", bounty)
            .account("beneficiary", beneficiary)
            .id("subject", subject)
            .value("reputation", reputation)
            .value("jailed_until_epoch", jailedUntilEpoch)
            .kind("ProviderSlashed"),
        ProvidersEvent::ProviderCharged(BasaltProviders::ProviderCharged {
            provider,
            amount,
            to,
            subject,
        }) => f
            .account("provider", provider)
            .amount("amount", amount)
            .account("to", to)
            .id("subject", subject)
            .kind("ProviderCharged"),
        ProvidersEvent::ObligationOpened(BasaltProviders::ObligationOpened {
            provider,
            openObligations,
        }) => f
            .account("provider", provider)
            .value("open_obligations", openObligations)
            .kind("ObligationOpened"),
        ProvidersEvent::ObligationClosed(BasaltProviders::ObligationClosed {
            provider,
            openObligations,
        }) => f
            .account("provider", provider)
            .value("open_obligations", openObligations)
            .kind("ObligationClosed"),
    }
}

/// Blobs: registration, placement, access, grants, deals and storage proofs.
fn blob(event: BlobsEvent) -> Pending {
    let f = Fields::default();
    match event {
        BlobsEvent::BlobRegistered(BasaltBlobs::BlobRegistered {
            blob,
            owner,
            args:
                BasaltBlobs::BlobArgs {
                    cidDigest,
                    size,
                    chunkSize: _,
                    leafSize: _,
                    k,
                    m,
                    commitmentRoot,
                    expiryEpoch,
                    isPublic,
                    encrypted,
                },
            chunkCount,
        }) => f
            .id("blob", blob)
            .account("owner", owner)
            .hex("cid_digest", cidDigest)
            .value("size", size)
            .value("k", k)
            .value("m", m)
            .value("chunk_count", chunkCount)
            .hex("commitment_root", commitmentRoot)
            .value("expiry_epoch", expiryEpoch)
            .value("public", isPublic)
            .value("encrypted", encrypted)
            .cid("cid", cidDigest)
            .kind("BlobRegistered"),
        BlobsEvent::ShardPlaced(BasaltBlobs::ShardPlaced {
            blob,
            index,
            provider,
            previous,
            assignedEpoch,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .optional_account("previous", previous)
            .value("assigned_epoch", assignedEpoch)
            .kind("ShardPlaced"),
        BlobsEvent::ShardAccepted(BasaltBlobs::ShardAccepted {
            blob,
            index,
            provider,
            assignedEpoch,
            pricePerShardEpoch,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .value("assigned_epoch", assignedEpoch)
            .amount("price_per_shard_epoch", pricePerShardEpoch)
            .kind("ShardAccepted"),
        BlobsEvent::BlobActivated(BasaltBlobs::BlobActivated { blob }) => {
            f.id("blob", blob).kind("BlobActivated")
        }
        BlobsEvent::ShardReleased(BasaltBlobs::ShardReleased {
            blob,
            index,
            provider,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .kind("ShardReleased"),
        BlobsEvent::ShardEvicted(BasaltBlobs::ShardEvicted {
            blob,
            index,
            provider,
            lastHeartbeatBlock,
            charged,
            cranker,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .value("last_heartbeat_slot", lastHeartbeatBlock)
            .amount("charged", charged)
            .account("cranker", cranker)
            .kind("ShardEvicted"),
        BlobsEvent::ProofAccepted(BasaltBlobs::ProofAccepted {
            blob,
            index,
            provider,
            epoch,
            chunk,
            leaf,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .value("epoch", epoch)
            .value("chunk", chunk)
            .value("leaf", leaf)
            .kind("ProofAccepted"),
        BlobsEvent::ProofMissed(BasaltBlobs::ProofMissed {
            blob,
            index,
            provider,
            epoch,
            cranker,
        }) => f
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .value("epoch", epoch)
            .account("cranker", cranker)
            .kind("ProofMissed"),
        BlobsEvent::DealFunded(BasaltBlobs::DealFunded {
            blob,
            payer,
            pricePerShardEpoch,
            amount,
            balance,
        }) => f
            .id("deal", blob)
            .id("blob", blob)
            .account("payer", payer)
            .amount("price_per_shard_epoch", pricePerShardEpoch)
            .amount("amount", amount)
            .amount("balance", balance)
            .kind("DealFunded"),
        BlobsEvent::DealSettled(BasaltBlobs::DealSettled {
            blob,
            index,
            provider,
            epochsPaid,
            epochsOwed,
            amount,
            balance,
        }) => f
            .id("deal", blob)
            .id("blob", blob)
            .value("index", index)
            .account("provider", provider)
            .value("epochs_paid", epochsPaid)
            .value("epochs_owed", epochsOwed)
            .amount("amount", amount)
            .amount("balance", balance)
            .kind("DealSettled"),
        BlobsEvent::DealRefunded(BasaltBlobs::DealRefunded {
            blob,
            payer,
            amount,
        }) => f
            .id("deal", blob)
            .id("blob", blob)
            .account("payer", payer)
            .amount("amount", amount)
            .kind("DealRefunded"),
        BlobsEvent::BlobDeleted(BasaltBlobs::BlobDeleted { blob, by }) => {
            f.id("blob", blob).account("by", by).kind("BlobDeleted")
        }
        BlobsEvent::GrantCreated(BasaltBlobs::GrantCreated {
            blob,
            grantee,
            roles,
            expiresAt,
            grantedBy,
        }) => f
            .id("blob", blob)
            .account("grantee", grantee)
            .value("roles", roles)
            .value("expires_at", expiresAt)
            .account("granted_by", grantedBy)
            .kind("GrantCreated"),
        BlobsEvent::GrantRevoked(BasaltBlobs::GrantRevoked {
            blob,
            grantee,
            revokedBy,
        }) => f
            .id("blob", blob)
            .account("grantee", grantee)
            .account("revoked_by", revokedBy)
            .kind("GrantRevoked"),
        BlobsEvent::BlobAccessChanged(BasaltBlobs::BlobAccessChanged {
            blob,
            isPublic,
            gateToken,
            gateMinBalance,
        }) => {
            let mut f = f.id("blob", blob).value("public", isPublic);
            if gateToken.is_zero() {
                f = f.value("token_gate", Value::Null);
            } else {
                f.note(&account(gateToken));
                f = f.value(
                    "token_gate",
                    json!({ "mint": account(gateToken), "min_balance": gateMinBalance.to_string() }),
                );
            }
            f.kind("BlobAccessChanged")
        }
    }
}

/// Datasets and their versions.
fn dataset(event: DatasetsEvent) -> Pending {
    let f = Fields::default();
    match event {
        DatasetsEvent::DatasetCreated(BasaltDatasets::DatasetCreated {
            dataset,
            owner,
            name,
            isPublic,
        }) => f
            .id("dataset", dataset)
            .account("owner", owner)
            .value("name", name)
            .value("public", isPublic)
            .kind("DatasetCreated"),
        DatasetsEvent::DatasetAccessChanged(BasaltDatasets::DatasetAccessChanged {
            dataset,
            isPublic,
        }) => f
            .id("dataset", dataset)
            .value("public", isPublic)
            .kind("DatasetAccessChanged"),
        DatasetsEvent::DatasetGrantCreated(BasaltDatasets::DatasetGrantCreated {
            dataset,
            grantee,
            roles,
            expiresAt,
            grantedBy,
        }) => f
            .id("dataset", dataset)
            .account("grantee", grantee)
            .value("roles", roles)
            .value("expires_at", expiresAt)
            .account("granted_by", grantedBy)
            .kind("DatasetGrantCreated"),
        DatasetsEvent::DatasetGrantRevoked(BasaltDatasets::DatasetGrantRevoked {
            dataset,
            grantee,
            revokedBy,
        }) => f
            .id("dataset", dataset)
            .account("grantee", grantee)
            .account("revoked_by", revokedBy)
            .kind("DatasetGrantRevoked"),
        DatasetsEvent::VersionPublished(BasaltDatasets::VersionPublished {
            dataset,
            version,
            publisher,
            seq,
            args:
                BasaltDatasets::VersionArgs {
                    tag,
                    versionId,
                    manifestBlob,
                    parents,
                    job,
                    message,
                },
        }) => {
            let mut f = f
                .id("dataset", dataset)
                .id("version", version)
                .value("tag", tag)
                .value("seq", seq)
                .cid("version_id", versionId)
                .id("manifest_blob", manifestBlob);
            let parents: Vec<String> = parents.into_iter().map(base58_id).collect();
            for p in &parents {
                f.note(p);
            }
            f.value("parents", parents)
                .optional_id("job", job)
                .value("message", message)
                .account("publisher", publisher)
                .kind("VersionPublished")
        }
        DatasetsEvent::VersionRetracted(BasaltDatasets::VersionRetracted {
            dataset,
            version,
            retractedBy,
        }) => f
            .id("dataset", dataset)
            .id("version", version)
            .account("retracted_by", retractedBy)
            .kind("VersionRetracted"),
    }
}

/// Compute jobs.
fn job(event: JobsEvent) -> Result<Pending, String> {
    let f = Fields::default();
    Ok(match event {
        JobsEvent::JobPosted(BasaltJobs::JobPosted {
            job,
            requester,
            args:
                BasaltJobs::JobArgs {
                    nonce,
                    moduleCid,
                    inputCid,
                    fuelLimit,
                    n,
                    k,
                    rewardPerWorker,
                    applyDeadline,
                    commitDeadline,
                    revealDeadline,
                    outputBudget,
                    outputPrice,
                    outputDeadline,
                    outputEncrypted,
                    inputVersion,
                    publishDataset,
                    publishTag,
                    publishBudget,
                },
        }) => f
            .id("job", job)
            .account("requester", requester)
            .value("nonce", nonce)
            .cid("module_cid", moduleCid)
            .cid("input_cid", inputCid)
            .value("fuel_limit", fuelLimit)
            .value("n", n)
            .value("k", k)
            .amount("reward_per_worker", rewardPerWorker)
            .value("apply_deadline_slot", applyDeadline)
            .value("commit_deadline_slot", commitDeadline)
            .value("reveal_deadline_slot", revealDeadline)
            .amount("output_budget", outputBudget)
            .amount("output_price_per_shard_epoch", outputPrice)
            .value("output_deadline_slot", outputDeadline)
            .value("output_encrypted", outputEncrypted)
            .optional_id("input_version", inputVersion)
            .optional_id("publish_dataset", publishDataset)
            .value(
                "publish_tag",
                (!publishTag.is_empty()).then_some(publishTag),
            )
            .amount("publish_budget", publishBudget)
            .kind("JobPosted"),
        JobsEvent::JobApplied(BasaltJobs::JobApplied {
            job,
            worker,
            stake,
            displaced,
        }) => f
            .id("job", job)
            .account("worker", worker)
            .amount("stake", stake)
            .optional_account("displaced", displaced)
            .kind("JobApplied"),
        JobsEvent::JobSelected(BasaltJobs::JobSelected { job, seed, workers }) => {
            let mut f = f.id("job", job).hex("seed", seed);
            let workers: Vec<String> = workers.into_iter().map(account).collect();
            for w in &workers {
                f.note(w);
            }
            f.value("workers", workers).kind("JobSelected")
        }
        JobsEvent::JobCommitted(BasaltJobs::JobCommitted {
            job,
            worker,
            commitment,
        }) => f
            .id("job", job)
            .account("worker", worker)
            .hex("commitment", commitment)
            .kind("JobCommitted"),
        JobsEvent::JobRevealed(BasaltJobs::JobRevealed {
            job,
            worker,
            resultHash,
        }) => f
            .id("job", job)
            .account("worker", worker)
            .hex("result_hash", resultHash)
            .kind("JobRevealed"),
        JobsEvent::JobFinalized(BasaltJobs::JobFinalized {
            job,
            status,
            resultHash,
            agreeing,
            refunded,
            jobClosed,
        }) => f
            .id("job", job)
            .value("status", job_status(status)?)
            .hex("result_hash", resultHash)
            .value("agreeing", agreeing)
            .amount("refunded", refunded)
            .value("job_closed", jobClosed)
            .kind("JobFinalized"),
        JobsEvent::JobWorkerSettled(BasaltJobs::JobWorkerSettled {
            job,
            worker,
            outcome,
            paid,
            slashed,
            reputation,
            jobClosed,
            outputRefunded,
        }) => f
            .id("job", job)
            .account("worker", worker)
            .value("outcome", worker_outcome(outcome)?)
            .amount("paid", paid)
            .amount("slashed", slashed)
            .value("reputation", reputation)
            .value("job_closed", jobClosed)
            .amount("output_refunded", outputRefunded)
            .kind("JobWorkerSettled"),
        JobsEvent::JobOutputRegistered(BasaltJobs::JobOutputRegistered {
            job,
            blob,
            worker,
            cidDigest,
            budget,
        }) => f
            .id("job", job)
            .id("blob", blob)
            .account("worker", worker)
            .cid("cid_digest", cidDigest)
            .amount("budget", budget)
            .kind("JobOutputRegistered"),
        JobsEvent::JobOutputPublished(BasaltJobs::JobOutputPublished {
            job,
            version,
            worker,
            manifestBlob,
            budget,
        }) => f
            .id("job", job)
            .id("version", version)
            .account("worker", worker)
            .id("manifest_blob", manifestBlob)
            .amount("budget", budget)
            .kind("JobOutputPublished"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;
    use alloy::sol_types::SolEvent;

    const ALICE: Address = Address::repeat_byte(0xA1);
    const BLOB: B256 = B256::repeat_byte(7);

    /// `event` as `contract` logs it, read back at block 7.
    fn logged(contract: Contract, event: &impl SolEvent) -> Result<EventRecord, EvmEventError> {
        let log = Log {
            address: Address::ZERO,
            data: event.encode_log_data(),
        };
        record(contract, &log, 7)
    }

    #[test]
    fn every_event_the_contracts_declare_is_the_programs_or_listed_as_the_evms_own() {
        let abis = [
            include_str!("../../../contracts/evm/out/BasaltConfig.json"),
            include_str!("../../../contracts/evm/out/BasaltProviders.json"),
            include_str!("../../../contracts/evm/out/BasaltBlobs.json"),
            include_str!("../../../contracts/evm/out/BasaltDatasets.json"),
            include_str!("../../../contracts/evm/out/BasaltJobs.json"),
        ];
        let program = basalt::client::decode::BasaltEvent::NAMES;
        let mut declared = Vec::new();
        for abi in abis {
            let artifact: Value = serde_json::from_str(abi).expect("an artifact is JSON");
            for item in artifact["abi"].as_array().expect("an ABI") {
                if item["type"] == "event" {
                    declared.push(item["name"].as_str().expect("a name").to_owned());
                }
            }
        }
        for kind in &declared {
            assert!(
                program.contains(&kind.as_str()) != EVM_OWN_KINDS.contains(&kind.as_str()),
                "{kind}: the program's, or else the EVM's own"
            );
        }
        for kind in EVM_OWN_KINDS {
            assert!(declared.iter().any(|k| k == kind), "{kind} is declared");
        }
    }

    #[test]
    fn amounts_stay_exact_addresses_are_lower_case_and_ids_base58() -> Result<(), EvmEventError> {
        let stake = logged(
            Contract::Providers,
            &BasaltProviders::StakeAdded {
                provider: ALICE,
                amount: U256::MAX,
                stake: U256::from(5),
            },
        )?;
        assert_eq!(stake.kind, "StakeAdded");
        assert_eq!(stake.payload["amount"], U256::MAX.to_string());
        assert_eq!(stake.payload["stake"], "5");
        assert_eq!(stake.payload["slot"], 7);
        assert_eq!(stake.accounts, ["0x".to_owned() + &"a1".repeat(20)]);

        let settled = logged(
            Contract::Blobs,
            &BasaltBlobs::DealSettled {
                blob: BLOB,
                index: 2,
                provider: ALICE,
                epochsPaid: 1,
                epochsOwed: 0,
                amount: 5,
                balance: u128::MAX,
            },
        )?;
        let id = basalt_core::BlobId::from_bytes([7; 32]).to_string();
        // One deal per blob: the deal is named by the blob's id.
        assert_eq!(
            (&settled.payload["deal"], &settled.payload["blob"]),
            (&json!(id), &json!(id))
        );
        assert_eq!(settled.payload["balance"], u128::MAX.to_string());
        assert_eq!(settled.accounts, [id, account(ALICE)]);
        Ok(())
    }

    #[test]
    fn zero_addresses_and_ids_are_null() -> Result<(), EvmEventError> {
        let placed = logged(
            Contract::Blobs,
            &BasaltBlobs::ShardPlaced {
                blob: BLOB,
                index: 0,
                provider: ALICE,
                previous: Address::ZERO,
                assignedEpoch: 3,
            },
        )?;
        assert_eq!(placed.payload["previous"], Value::Null);
        let opened = logged(
            Contract::Blobs,
            &BasaltBlobs::BlobAccessChanged {
                blob: BLOB,
                isPublic: true,
                gateToken: Address::ZERO,
                gateMinBalance: U256::ZERO,
            },
        )?;
        assert_eq!(opened.payload["token_gate"], Value::Null);
        let gated = logged(
            Contract::Blobs,
            &BasaltBlobs::BlobAccessChanged {
                blob: BLOB,
                isPublic: false,
                gateToken: ALICE,
                gateMinBalance: U256::MAX,
            },
        )?;
        assert_eq!(
            gated.payload["token_gate"],
            json!({ "mint": account(ALICE), "min_balance": U256::MAX.to_string() })
        );
        assert!(gated.accounts.contains(&account(ALICE)));
        let retracted_none = logged(
            Contract::Datasets,
            &BasaltDatasets::VersionPublished {
                dataset: BLOB,
                version: B256::repeat_byte(8),
                publisher: ALICE,
                seq: 1,
                args: BasaltDatasets::VersionArgs {
                    tag: "v1".into(),
                    versionId: B256::repeat_byte(9),
                    manifestBlob: B256::repeat_byte(10),
                    parents: vec![B256::repeat_byte(11)],
                    job: B256::ZERO,
                    message: String::new(),
                },
            },
        )?;
        assert_eq!(retracted_none.payload["job"], Value::Null);
        assert_eq!(
            retracted_none.payload["parents"],
            json!([base58_id(B256::repeat_byte(11))])
        );
        Ok(())
    }

    #[test]
    fn a_job_settlement_carries_the_reputation_and_outcomes_read_by_name(
    ) -> Result<(), EvmEventError> {
        let settled = logged(
            Contract::Jobs,
            &BasaltJobs::JobWorkerSettled {
                job: BLOB,
                worker: ALICE,
                outcome: 2,
                paid: 0,
                slashed: U256::from(9),
                reputation: -3,
                jobClosed: true,
                outputRefunded: 0,
            },
        )?;
        assert_eq!(settled.payload["outcome"], "no_show");
        assert_eq!(settled.payload["reputation"], -3);
        assert_eq!(settled.payload["job"], base58_id(BLOB));
        Ok(())
    }

    #[test]
    fn an_enum_beyond_its_variants_or_another_contracts_log_does_not_read() {
        let finalized = BasaltJobs::JobFinalized {
            job: BLOB,
            status: 3,
            resultHash: B256::ZERO,
            agreeing: 0,
            refunded: 0,
            jobClosed: false,
        };
        let refused = logged(Contract::Jobs, &finalized);
        assert!(
            matches!(&refused, Err(e) if e.reason.contains("JobStatus")),
            "{refused:?}"
        );
        let heartbeat = BasaltProviders::ProviderHeartbeat { provider: ALICE };
        assert!(logged(Contract::Providers, &heartbeat).is_ok());
        let misread = logged(Contract::Blobs, &heartbeat);
        assert!(
            matches!(&misread, Err(e) if e.topic == BasaltProviders::ProviderHeartbeat::SIGNATURE_HASH),
            "{misread:?}"
        );
    }
}
