//! The protocol's rules that do not depend on a chain, written once for both deployments:
//! the Solana program (`programs/basalt`) and the NEAR contract (`contracts/basalt-near`)
//! call these and map [`RuleError`] to their own error of the same name. What differs
//! between the chains (accounts, tokens, clocks, storage) stays in each of them.
//!
//! `no_std`, no allocation, no dependencies: it builds for SBF, wasm and the host alike.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod access;
mod dataset;
mod deal;
mod eviction;
mod grants;
mod job_output;
mod jobs;
mod limits;
mod placement;
mod proofs;
mod publication;
mod quorum;
mod selection;
mod stake;

pub use access::{
    check_no_grants, decide_read, decide_read_before_gate, GateBalance, ReadDecision, ReadFacts,
};
pub use dataset::{
    check_dataset_name, check_version_tag, DatasetStanding, NewVersion, ParentFacts,
    MAX_DATASET_NAME_LEN, MAX_VERSION_MESSAGE_LEN, MAX_VERSION_PARENTS, MAX_VERSION_TAG_LEN,
};
pub use deal::{
    check_expiry, check_release, check_slashable, unpaid_at_opening, DealCover, Settlement,
    MAX_DEAL_EPOCHS_LIMIT,
};
pub use eviction::{latest_closed_epoch, Eviction, HolderSilence};
pub use grants::{NewGrant, MAX_WRAPPED_KEY_LEN, ROLE_ADMIN, ROLE_DELETE, ROLE_READ, ROLE_WRITE};
pub use job_output::{OutputRegistration, OutputTerms};
pub use jobs::{JobDeadlines, JobParams, MAX_JOB_APPLICANTS, MAX_JOB_WORKERS};
pub use limits::*;
pub use placement::{
    accept_by, activates, assigned_at_activation, check_placement, check_provable,
    placement_needs_owner, Acceptance, NewPlacement, OfferedBlob, SlotBeforePlacement, SlotState,
    SlotUnderProof, Terms, REPAIR_CREDIT_EPOCHS,
};
pub use proofs::ProofRecord;
pub use publication::{publication_pending, NewPublication, OutputPublication};
pub use quorum::quorum;
pub use selection::{
    admit, dissent_is_slashable, job_outcome, select_weighted, Admission, JobOutcome,
};
pub use stake::{bps_of, check_deregister, check_slasher, check_stake_kept, Slash, SlashCounter};

/// A broken rule. Each chain reports it as its error of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// A fraction above its limit.
    InvalidBps,
    /// Unusable erasure parameters.
    InvalidLayout,
    /// An empty or too long provider endpoint.
    InvalidEndpoint,
    /// A too long provider region.
    InvalidRegion,
    /// An empty provider role set, or unknown role bits.
    InvalidRoles,
    /// A proof of an epoch not later than the latest proven one.
    AlreadyProven,
    /// A counter would overflow.
    Overflow,
    /// Unusable job parameters (workers, quorum, fuel, deadlines).
    InvalidJobParams,
    /// The job's commit deadline has passed.
    CommitPhaseOver,
    /// The job's commit deadline has not passed yet.
    CommitPhaseOpen,
    /// The job's reveal deadline has passed.
    RevealPhaseOver,
    /// Neither the reveal deadline nor every worker's reveal has come yet.
    TooEarlyToFinalize,
    /// An active blob's shard index that does not await repair.
    ShardNotRepairable,
    /// A repair that would change the index's column root.
    ColumnRootChanged,
    /// Proven epochs the deal has not paid yet.
    UnsettledPayouts,
    /// A provider cranking its own slash (and taking back the bounty).
    SelfSlash,
    /// An unbonding period (or epoch geometry) out of range.
    InvalidEpochParams,
    /// An amount that must not be zero is.
    ZeroAmount,
    /// The holder already accepted this placement.
    AlreadyAccepted,
    /// The placement was not accepted within its window; it must be placed again.
    AcceptanceLapsed,
    /// An expiry epoch not in the future, or further ahead than the configuration allows.
    InvalidExpiry,
    /// The blob's deal does not (or no longer) pay for the shard at the price its holder
    /// accepted: the holder owes no proof.
    DealLapsed,
    /// The blob's deal still pays for the shard: its holder cannot walk away from it.
    DealStillFunded,
    /// The shard index awaits repair: its holder missed a proof or released it.
    ShardNeedsRepair,
    /// The provider still holds obligations, which its stake must keep covering.
    ObligationsOpen,
    /// The blob is not fully placed yet.
    BlobNotActive,
    /// The blob has expired.
    BlobExpired,
    /// The caller (or the provider named) does not hold this shard.
    NotShardHolder,
    /// The holder never accepted this shard: it owes nothing for it.
    ShardNotAccepted,
    /// The shard was not yet assigned in that epoch.
    EpochBeforeAssignment,
    /// An acceptance naming an expiry or a price other than the blob's and its deal's.
    TermsChanged,
    /// The holder's node heartbeated within the configuration's `offline_ticks`: its
    /// shards stay with it.
    HolderNotOffline,
    /// The holder missed the latest closed epoch's proof and can be slashed for it: slash
    /// it (`proof_slash`) rather than evict it.
    MissedProofPending,
    /// The blob still has grants: they are revoked before it is deleted.
    GrantsOpen,
    /// Stake is still bonded or unbonding: unstake and withdraw it first.
    StakeRemaining,
    /// The job's apply deadline has passed.
    ApplyPhaseOver,
    /// The job's apply deadline has not passed yet: its workers cannot be selected.
    ApplyPhaseOpen,
    /// The job has its most applicants, none with less stake than the newcomer.
    ApplicantsFull,
    /// Proposed parameters apply one epoch after their proposal, not before.
    ParamsNotDue,
    /// The job did not succeed: it has no agreed result to store.
    JobNotSucceeded,
    /// The job's requester did not ask for its output to be stored.
    NoOutputWanted,
    /// The job's output is already registered.
    OutputAlreadyStored,
    /// The job's output deadline has passed.
    OutputDeadlinePassed,
    /// Only a selected worker that revealed the agreed result registers the output.
    NotAgreeingWorker,
    /// A plain output's digest is not the job's agreed result.
    OutputMismatch,
    /// The output budget does not pay one epoch of the output's shards.
    OutputBudgetTooSmall,
    /// The job's output is not stored yet and its deadline has not passed: the agreeing
    /// workers are paid once it is, or after the deadline.
    OutputPending,
    /// Grant roles outside READ|WRITE|DELETE, or none.
    InvalidGrantRoles,
    /// A wrapped key longer than a grant holds.
    WrappedKeyTooLong,
    /// A grant expiry that is not in the future.
    InvalidGrantExpiry,
    /// A dataset name that is empty, too long or not a plain label.
    InvalidDatasetName,
    /// A version tag that is empty, too long or not a plain label.
    InvalidVersionTag,
    /// A version message longer than its limit.
    VersionMessageTooLong,
    /// A version without a manifest id.
    InvalidVersionId,
    /// More parent versions than a version may name.
    TooManyParents,
    /// A parent version named twice.
    DuplicateParent,
    /// A parent version that was retracted: it is history, not a base.
    ParentRetracted,
    /// The signer neither owns the dataset nor holds its WRITE role.
    NotDatasetWriter,
    /// The signer neither owns the dataset nor holds the role this takes.
    NotDatasetAdmin,
    /// A job's output is published only when it is stored plain.
    PublicationNeedsOutput,
    /// Job outputs are published into public datasets only.
    DatasetNotPublic,
    /// The job's requester did not ask for its output to be published.
    NoPublicationWanted,
    /// The job's output is already published.
    AlreadyPublished,
    /// The job's output is not stored yet: it holds the published files.
    OutputNotStored,
}

/// Implements `From<RuleError>` for a chain's error enum, whose variants carry the same
/// names, so each chain reports a broken rule as its own error.
#[macro_export]
macro_rules! impl_from_rule_error {
    ($error:ty) => {
        impl From<$crate::RuleError> for $error {
            fn from(e: $crate::RuleError) -> Self {
                match e {
                    $crate::RuleError::InvalidBps => Self::InvalidBps,
                    $crate::RuleError::InvalidLayout => Self::InvalidLayout,
                    $crate::RuleError::InvalidEndpoint => Self::InvalidEndpoint,
                    $crate::RuleError::InvalidRegion => Self::InvalidRegion,
                    $crate::RuleError::InvalidRoles => Self::InvalidRoles,
                    $crate::RuleError::AlreadyProven => Self::AlreadyProven,
                    $crate::RuleError::Overflow => Self::Overflow,
                    $crate::RuleError::InvalidJobParams => Self::InvalidJobParams,
                    $crate::RuleError::CommitPhaseOver => Self::CommitPhaseOver,
                    $crate::RuleError::CommitPhaseOpen => Self::CommitPhaseOpen,
                    $crate::RuleError::RevealPhaseOver => Self::RevealPhaseOver,
                    $crate::RuleError::TooEarlyToFinalize => Self::TooEarlyToFinalize,
                    $crate::RuleError::ShardNotRepairable => Self::ShardNotRepairable,
                    $crate::RuleError::ColumnRootChanged => Self::ColumnRootChanged,
                    $crate::RuleError::UnsettledPayouts => Self::UnsettledPayouts,
                    $crate::RuleError::SelfSlash => Self::SelfSlash,
                    $crate::RuleError::InvalidEpochParams => Self::InvalidEpochParams,
                    $crate::RuleError::ZeroAmount => Self::ZeroAmount,
                    $crate::RuleError::AlreadyAccepted => Self::AlreadyAccepted,
                    $crate::RuleError::AcceptanceLapsed => Self::AcceptanceLapsed,
                    $crate::RuleError::InvalidExpiry => Self::InvalidExpiry,
                    $crate::RuleError::DealLapsed => Self::DealLapsed,
                    $crate::RuleError::DealStillFunded => Self::DealStillFunded,
                    $crate::RuleError::ShardNeedsRepair => Self::ShardNeedsRepair,
                    $crate::RuleError::ObligationsOpen => Self::ObligationsOpen,
                    $crate::RuleError::BlobNotActive => Self::BlobNotActive,
                    $crate::RuleError::BlobExpired => Self::BlobExpired,
                    $crate::RuleError::NotShardHolder => Self::NotShardHolder,
                    $crate::RuleError::ShardNotAccepted => Self::ShardNotAccepted,
                    $crate::RuleError::EpochBeforeAssignment => Self::EpochBeforeAssignment,
                    $crate::RuleError::TermsChanged => Self::TermsChanged,
                    $crate::RuleError::HolderNotOffline => Self::HolderNotOffline,
                    $crate::RuleError::MissedProofPending => Self::MissedProofPending,
                    $crate::RuleError::GrantsOpen => Self::GrantsOpen,
                    $crate::RuleError::StakeRemaining => Self::StakeRemaining,
                    $crate::RuleError::ApplyPhaseOver => Self::ApplyPhaseOver,
                    $crate::RuleError::ApplyPhaseOpen => Self::ApplyPhaseOpen,
                    $crate::RuleError::ApplicantsFull => Self::ApplicantsFull,
                    $crate::RuleError::ParamsNotDue => Self::ParamsNotDue,
                    $crate::RuleError::JobNotSucceeded => Self::JobNotSucceeded,
                    $crate::RuleError::NoOutputWanted => Self::NoOutputWanted,
                    $crate::RuleError::OutputAlreadyStored => Self::OutputAlreadyStored,
                    $crate::RuleError::OutputDeadlinePassed => Self::OutputDeadlinePassed,
                    $crate::RuleError::NotAgreeingWorker => Self::NotAgreeingWorker,
                    $crate::RuleError::OutputMismatch => Self::OutputMismatch,
                    $crate::RuleError::OutputBudgetTooSmall => Self::OutputBudgetTooSmall,
                    $crate::RuleError::OutputPending => Self::OutputPending,
                    $crate::RuleError::InvalidGrantRoles => Self::InvalidGrantRoles,
                    $crate::RuleError::WrappedKeyTooLong => Self::WrappedKeyTooLong,
                    $crate::RuleError::InvalidGrantExpiry => Self::InvalidGrantExpiry,
                    $crate::RuleError::InvalidDatasetName => Self::InvalidDatasetName,
                    $crate::RuleError::InvalidVersionTag => Self::InvalidVersionTag,
                    $crate::RuleError::VersionMessageTooLong => Self::VersionMessageTooLong,
                    $crate::RuleError::InvalidVersionId => Self::InvalidVersionId,
                    $crate::RuleError::TooManyParents => Self::TooManyParents,
                    $crate::RuleError::DuplicateParent => Self::DuplicateParent,
                    $crate::RuleError::ParentRetracted => Self::ParentRetracted,
                    $crate::RuleError::NotDatasetWriter => Self::NotDatasetWriter,
                    $crate::RuleError::NotDatasetAdmin => Self::NotDatasetAdmin,
                    $crate::RuleError::PublicationNeedsOutput => Self::PublicationNeedsOutput,
                    $crate::RuleError::DatasetNotPublic => Self::DatasetNotPublic,
                    $crate::RuleError::NoPublicationWanted => Self::NoPublicationWanted,
                    $crate::RuleError::AlreadyPublished => Self::AlreadyPublished,
                    $crate::RuleError::OutputNotStored => Self::OutputNotStored,
                }
            }
        }
    };
}
