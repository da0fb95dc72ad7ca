//! Every error the program returns. Clients match on the code (6000 + position), not on
//! the message: natively hosted, messages go to stdout rather than the transaction log.

use anchor_lang::prelude::*;

/// Declares the error enum through Anchor's `#[error_code]`, and [`BasaltError::ALL`]
/// from the same list, so off-chain code names a code with the program's own type.
macro_rules! basalt_errors {
    ($( #[msg($msg:tt)] $name:ident, )*) => {
        #[error_code]
        pub enum BasaltError {
            $( #[msg($msg)] $name, )*
        }

        impl BasaltError {
            /// Every error, in code order (6000 + position).
            pub const ALL: &'static [BasaltError] = &[$(BasaltError::$name),*];
        }
    };
}

basalt_errors! {
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("a basis-point fraction must be at most 10000")]
    InvalidBps,
    #[msg("epoch length, unbonding period or proof window is out of range")]
    InvalidEpochParams,
    #[msg("only the config admin may do this")]
    NotAdmin,
    #[msg("the signer is not the program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("endpoint URL is empty or too long")]
    InvalidEndpoint,
    #[msg("region is too long")]
    InvalidRegion,
    #[msg("roles must be a non-empty combination of STORAGE and COMPUTE")]
    InvalidRoles,
    #[msg("amount must be greater than zero")]
    ZeroAmount,
    #[msg("the provider does not have that much stake")]
    InsufficientStake,
    #[msg("nothing is unbonding")]
    NothingUnbonding,
    #[msg("the unbonding period has not ended")]
    StillUnbonding,
    #[msg("the provider is not jailed")]
    NotJailed,
    #[msg("the provider stays jailed until its jail epoch has passed and its stake is at least the minimum")]
    CannotUnjail,
    #[msg("the provider is not active with enough stake for this role")]
    ProviderNotEligible,
    #[msg("the blob layout is invalid or its proofs would not fit in a transaction")]
    InvalidLayout,
    #[msg("the blob has more shards than this program places")]
    TooManyShards,
    #[msg("expiry must be a future epoch within the configuration's max_deal_epochs")]
    InvalidExpiry,
    #[msg("shard index out of range")]
    ShardOutOfRange,
    #[msg("the provider accounts do not match the shards being placed")]
    PlacementMismatch,
    #[msg("a provider may hold only one shard of a blob")]
    DuplicateProvider,
    #[msg("this shard is placed and healthy; only shards marked for repair can move")]
    ShardNotRepairable,
    #[msg("a repaired shard keeps its column root")]
    ColumnRootChanged,
    #[msg("the column roots do not hash to the blob's commitment root")]
    CommitmentMismatch,
    #[msg("the blob is not fully placed yet")]
    BlobNotActive,
    #[msg("the signer is not allowed to do this to the blob")]
    Unauthorized,
    #[msg("the grant has expired")]
    GrantExpired,
    #[msg("roles must be a non-empty subset of READ|WRITE|DELETE (ADMIN = 7)")]
    InvalidGrantRoles,
    #[msg("the wrapped key is too long")]
    WrappedKeyTooLong,
    #[msg("grant expiry must be in the future")]
    InvalidGrantExpiry,
    #[msg("the token account's mint or owner is wrong")]
    WrongTokenAccount,
    #[msg("price must be greater than zero")]
    ZeroPrice,
    #[msg("the shard has proven epochs not yet paid: settle the deal first")]
    UnsettledPayouts,
    #[msg("the deal does not belong to this blob")]
    DealMismatch,
    #[msg("the blob has not expired yet")]
    NotExpired,
    #[msg("the blob has expired")]
    BlobExpired,
    #[msg("the signer does not hold this shard")]
    NotShardHolder,
    #[msg("the shard is marked for repair")]
    ShardNeedsRepair,
    #[msg("proofs are accepted only for the current epoch")]
    WrongEpoch,
    #[msg("the proof window of this epoch is closed or not yet open")]
    OutsideProofWindow,
    #[msg("the shard was not yet assigned in that epoch")]
    EpochBeforeAssignment,
    #[msg("this epoch is already proven")]
    AlreadyProven,
    #[msg("the SlotHashes sysvar no longer holds this epoch's seed slot")]
    SeedUnavailable,
    #[msg("the storage proof does not verify")]
    InvalidProof,
    #[msg("the proof deadline of that epoch has not passed")]
    DeadlineNotPassed,
    #[msg("that epoch was proven")]
    EpochWasProven,
    #[msg("that epoch is too old to judge")]
    EpochTooOld,
    #[msg("job parameters are invalid (1 <= k <= n <= 16, deadlines in order, in the future)")]
    InvalidJobParams,
    #[msg("the job is not open")]
    JobNotOpen,
    #[msg("the commit phase is over")]
    CommitPhaseOver,
    #[msg("the commit phase is not over")]
    CommitPhaseOpen,
    #[msg("the reveal phase is over")]
    RevealPhaseOver,
    #[msg("the job has its most applicants, none with less stake than this one")]
    ApplicantsFull,
    #[msg("this worker already applied for the job")]
    AlreadyApplied,
    #[msg("the signer is not a worker of this job")]
    NotJobWorker,
    #[msg("this worker already committed")]
    AlreadyCommitted,
    #[msg("this worker has not committed")]
    NotCommitted,
    #[msg("this worker already revealed")]
    AlreadyRevealed,
    #[msg("the reveal does not match the commitment")]
    RevealMismatch,
    #[msg("the job cannot be finalized yet")]
    TooEarlyToFinalize,
    #[msg("the job is not finalized")]
    JobNotFinalized,
    #[msg("this worker is already settled")]
    AlreadySettled,
    #[msg("a provider cannot crank its own slash")]
    SelfSlash,
    #[msg("the holder already accepted this placement")]
    AlreadyAccepted,
    #[msg("the placement was not accepted in time; place the shard again")]
    AcceptanceLapsed,
    #[msg("the holder has not accepted this shard: it owes no proofs for it")]
    ShardNotAccepted,
    #[msg("the blob's deal does not pay for this shard at the price its holder accepted: the holder owes no proof")]
    DealLapsed,
    #[msg("the blob's deal still pays for this shard: it cannot be released")]
    DealStillFunded,
    #[msg("the provider holds open obligations: its bonded stake must stay at least the minimum")]
    ObligationsOpen,
    #[msg("pass the Provider account of every holder that accepted a shard of the blob, in index order")]
    HoldersMismatch,
    #[msg("the acceptance names an expiry or a price other than the blob's and its deal's")]
    TermsChanged,
    #[msg("the holder heartbeated within the configuration's offline_ticks: its shards stay with it")]
    HolderNotOffline,
    #[msg("the holder missed a proof it can be slashed for: slash it (proof_slash) rather than evict it")]
    MissedProofPending,
    #[msg("the blob still has grants: revoke them before deleting it")]
    GrantsOpen,
    #[msg("after the holders' Provider accounts, pass grants of the blob, each followed by its payer, all writable")]
    GrantsMismatch,
    #[msg("stake is still bonded or unbonding: unstake and withdraw it before deregistering")]
    StakeRemaining,
    #[msg("only the key the admin proposed may accept the admin role")]
    NotPendingAdmin,
    #[msg("the job's apply deadline has passed")]
    ApplyPhaseOver,
    #[msg("the job's apply deadline has not passed: its workers cannot be selected yet")]
    ApplyPhaseOpen,
    #[msg("this applicant was not selected to work on the job")]
    NotSelected,
    #[msg("the job's workers are already selected")]
    AlreadySelected,
    #[msg("pass the Provider account of the applicant this application displaces (and only then)")]
    DisplacedMismatch,
    #[msg("proposed parameters apply one epoch after their proposal, not before")]
    ParamsNotDue,
    #[msg("no parameters are proposed")]
    NoPendingParams,
    #[msg("the job did not succeed: it has no agreed result to store")]
    JobNotSucceeded,
    #[msg("the job's requester did not ask for its output to be stored")]
    NoOutputWanted,
    #[msg("the job's output is already registered")]
    OutputAlreadyStored,
    #[msg("the job's output deadline has passed")]
    OutputDeadlinePassed,
    #[msg("only a selected worker that revealed the agreed result registers the output")]
    NotAgreeingWorker,
    #[msg("a plain output's digest must be the job's agreed result")]
    OutputMismatch,
    #[msg("the job's output budget does not pay one epoch of the output's shards")]
    OutputBudgetTooSmall,
    #[msg("the job's output is not stored yet and its deadline has not passed: agreeing workers are paid after it")]
    OutputPending,
    #[msg("a dataset name is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    InvalidDatasetName,
    #[msg("a version tag is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    InvalidVersionTag,
    #[msg("the version message is too long")]
    VersionMessageTooLong,
    #[msg("a version names its manifest's id, which is not all zeros")]
    InvalidVersionId,
    #[msg("a version names at most 8 parents")]
    TooManyParents,
    #[msg("a parent version is named twice")]
    DuplicateParent,
    #[msg("a parent version was retracted: it stays in the history but is not built on")]
    ParentRetracted,
    #[msg("only the dataset's owner or a WRITE grantee publishes its versions")]
    NotDatasetWriter,
    #[msg("only the dataset's owner or a grantee holding this role may do this")]
    NotDatasetAdmin,
    #[msg("pass each parent's Version account, in the order of the parents named, after the fixed accounts")]
    ParentsMismatch,
    #[msg("the manifest's Blob account must be owned by the publisher or the dataset's owner")]
    ManifestMismatch,
    #[msg("the job named did not succeed with a stored output, or is neither the publisher's nor the dataset owner's")]
    DerivationJobMismatch,
    #[msg("the version is already retracted")]
    AlreadyRetracted,
    #[msg("the dataset already has a version with this tag; tags are never reused")]
    VersionTagTaken,
    #[msg("a job's output is published as a version only when it is stored plain")]
    PublicationNeedsOutput,
    #[msg("job outputs are published into public datasets only")]
    DatasetNotPublic,
    #[msg("the job's requester did not ask for its output to be published")]
    NoPublicationWanted,
    #[msg("the job's output is already published")]
    AlreadyPublished,
    #[msg("the job's output is not stored yet: it holds the published files")]
    OutputNotStored,
    #[msg("the input version must be the job's: its version id is the job's input CID")]
    InputVersionMismatch,
}

basalt_rules::impl_from_rule_error!(BasaltError);
