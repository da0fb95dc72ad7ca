//! Every error the contract returns. The names are the Solana program's
//! (`basalt::errors::BasaltError`), so clients and the cross-chain scenarios match on the
//! same name on both chains; NEAR has no error codes, so the name leads the panic message:
//! `"InsufficientStake: the provider does not have that much stake"`.
//!
//! Methods return `Result<_, BasaltError>` with `#[handle_result]`: an `Err` panics with
//! that message, and a panic reverts every state change of the call.

use near_sdk::FunctionError;

macro_rules! errors {
    ($($name:ident => $msg:literal,)*) => {
        /// An error a method can fail with; see the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum BasaltError {
            $($name,)*
        }

        impl BasaltError {
            /// The variant's name, which clients match on.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$name => stringify!($name),)*
                }
            }

            /// What went wrong, for people.
            pub fn message(self) -> &'static str {
                match self {
                    $(Self::$name => $msg,)*
                }
            }
        }
    };
}

errors! {
    Overflow => "arithmetic overflow",
    InvalidBps => "a basis-point fraction must be at most 10000",
    InvalidEpochParams => "epoch length or proof window is out of range",
    NotAdmin => "only the config admin may do this",
    InvalidEndpoint => "endpoint URL is empty or too long",
    InvalidRegion => "region is too long",
    InvalidRoles => "roles must be a non-empty combination of STORAGE and COMPUTE",
    ZeroAmount => "amount must be greater than zero",
    InsufficientStake => "the provider does not have that much stake",
    NothingUnbonding => "nothing is unbonding",
    StillUnbonding => "the unbonding period has not ended",
    NotJailed => "the provider is not jailed",
    CannotUnjail => "the provider stays jailed until its jail epoch has passed and its stake is at least the minimum",
    ProviderNotEligible => "the provider is not active with enough stake for this role",
    ProviderNotFound => "no provider is registered for this account",
    ProviderExists => "this account is already registered as a provider",
    InvalidLayout => "the blob layout is invalid or its proofs would not fit in a transaction",
    TooManyShards => "the blob has more shards than this contract places",
    InvalidExpiry => "expiry must be a future epoch within the configuration's max_deal_epochs",
    ShardOutOfRange => "shard index out of range",
    PlacementMismatch => "the providers do not match the shards being placed",
    DuplicateProvider => "a provider may hold only one shard of a blob",
    ShardNotRepairable => "this shard is placed and healthy; only shards marked for repair can move",
    ColumnRootChanged => "a repaired shard keeps its column root",
    CommitmentMismatch => "the column roots do not hash to the blob's commitment root",
    BlobNotActive => "the blob is not fully placed yet",
    BlobNotFound => "no blob is registered under this CID digest",
    BlobExists => "a blob is already registered under this CID digest",
    Unauthorized => "the caller is not allowed to do this to the blob",
    GrantExpired => "the grant has expired",
    GrantNotFound => "no grant exists for this blob and grantee",
    GrantExists => "the grantee already has a grant on this blob; revoke it first",
    InvalidGrantRoles => "roles must be a non-empty subset of READ|WRITE|DELETE (ADMIN = 7)",
    WrappedKeyTooLong => "the wrapped key is too long",
    InvalidGrantExpiry => "grant expiry must be in the future",
    WrongToken => "only the configured stake token is accepted",
    InvalidTransferMessage => "the ft_transfer_call message is not a Basalt action",
    ZeroPrice => "price must be greater than zero",
    UnsettledPayouts => "the shard has proven epochs not yet paid: settle the deal first",
    DealNotFound => "the blob has no deal",
    DealExists => "the blob already has a deal",
    NotExpired => "the blob has not expired yet",
    BlobExpired => "the blob has expired",
    NotShardHolder => "the caller does not hold this shard",
    ShardNeedsRepair => "the shard is marked for repair",
    WrongEpoch => "proofs are accepted only for the current epoch",
    OutsideProofWindow => "the proof window of this epoch is closed or not yet open",
    EpochBeforeAssignment => "the shard was not yet assigned in that epoch",
    AlreadyProven => "this epoch is already proven",
    SeedUnavailable => "this epoch's challenge seed has not been drawn: call challenge_seed_draw first",
    InvalidProof => "the storage proof does not verify",
    DeadlineNotPassed => "the proof deadline of that epoch has not passed",
    EpochWasProven => "that epoch was proven",
    EpochTooOld => "that epoch is too old to judge",
    InvalidJobParams => "job parameters are invalid (1 <= k <= n <= 16, deadlines in order, in the future)",
    JobNotFound => "no job with this requester and nonce",
    JobExists => "the requester already posted a job with this nonce",
    JobNotOpen => "the job is not open",
    CommitPhaseOver => "the commit phase is over",
    CommitPhaseOpen => "the commit phase is not over",
    RevealPhaseOver => "the reveal phase is over",
    ApplicantsFull => "the job has its most applicants, none with less stake than this one",
    AlreadyApplied => "this worker already applied for the job",
    NotJobWorker => "the caller is not a worker of this job",
    AlreadyCommitted => "this worker already committed",
    NotCommitted => "this worker has not committed",
    AlreadyRevealed => "this worker already revealed",
    RevealMismatch => "the reveal does not match the commitment",
    TooEarlyToFinalize => "the job cannot be finalized yet",
    JobNotFinalized => "the job is not finalized",
    AlreadySettled => "this worker is already settled",
    SelfSlash => "a provider cannot crank its own slash",
    AlreadyAccepted => "the holder already accepted this placement",
    AcceptanceLapsed => "the placement was not accepted in time; place the shard again",
    ShardNotAccepted => "the holder has not accepted this shard: it owes no proofs for it",
    DealLapsed => "the blob's deal does not pay for this shard at the price its holder accepted: the holder owes no proof",
    DealStillFunded => "the blob's deal still pays for this shard: it cannot be released",
    ObligationsOpen => "the provider holds open obligations: its bonded stake must stay at least the minimum",
    InsufficientStorageDeposit => "the storage deposit does not cover the state this call creates: attach more NEAR or call storage_deposit",
    InsufficientTokens => "the account's withdrawable token balance is too small",
    OneYoctoRequired => "attach exactly 1 yoctoNEAR (a full-access key must sign token moves)",
    DepositNotAllowed => "this method does not take an attached deposit",
    TermsChanged => "the acceptance names an expiry or a price other than the blob's and its deal's",
    HolderNotOffline => "the holder heartbeated within the configuration's offline_ticks: its shards stay with it",
    MissedProofPending => "the holder missed a proof it can be slashed for: slash it (proof_slash) rather than evict it",
    GrantsOpen => "the blob still has grants: revoke them before deleting it",
    StakeRemaining => "stake is still bonded or unbonding: unstake and withdraw it before deregistering",
    NotPendingAdmin => "only the account the admin proposed may accept the admin role",
    ApplyPhaseOver => "the job's apply deadline has passed",
    ApplyPhaseOpen => "the job's apply deadline has not passed: its workers cannot be selected yet",
    NotSelected => "this applicant was not selected to work on the job",
    AlreadySelected => "the job's workers are already selected",
    ParamsNotDue => "proposed parameters apply one epoch after their proposal, not before",
    NoPendingParams => "no parameters are proposed",
    JobNotSucceeded => "the job did not succeed: it has no agreed result to store",
    NoOutputWanted => "the job's requester did not ask for its output to be stored",
    OutputAlreadyStored => "the job's output is already registered",
    OutputDeadlinePassed => "the job's output deadline has passed",
    NotAgreeingWorker => "only a selected worker that revealed the agreed result registers the output",
    OutputMismatch => "a plain output's digest must be the job's agreed result",
    OutputBudgetTooSmall => "the job's output budget does not pay one epoch of the output's shards",
    OutputPending => "the job's output is not stored yet and its deadline has not passed: agreeing workers are paid after it",
    InvalidDatasetName => "a dataset name is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
    InvalidVersionTag => "a version tag is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
    VersionMessageTooLong => "the version message is too long",
    InvalidVersionId => "a version names its manifest's id, which is not all zeros",
    TooManyParents => "a version names at most 8 parents",
    DuplicateParent => "a parent version is named twice",
    ParentRetracted => "a parent version was retracted: it stays in the history but is not built on",
    NotDatasetWriter => "only the dataset's owner or a WRITE grantee publishes its versions",
    NotDatasetAdmin => "only the dataset's owner or a grantee holding this role may do this",
    ParentsMismatch => "each parent must be a published version",
    ManifestMismatch => "the manifest's blob must be owned by the publisher or the dataset's owner",
    DerivationJobMismatch => "the job named did not succeed with a stored output, or is neither the publisher's nor the dataset owner's",
    AlreadyRetracted => "the version is already retracted",
    DatasetNotFound => "no dataset with this id",
    DatasetExists => "the owner already has a dataset of this name",
    VersionNotFound => "no version with this tag in the dataset",
    VersionTagTaken => "the dataset already has a version with this tag; tags are never reused",
    DatasetGrantNotFound => "no grant exists for this dataset and grantee",
    DatasetGrantExists => "the grantee already has a grant on this dataset; revoke it first",
    PublicationNeedsOutput => "a job's output is published as a version only when it is stored plain",
    DatasetNotPublic => "job outputs are published into public datasets only",
    NoPublicationWanted => "the job's requester did not ask for its output to be published",
    AlreadyPublished => "the job's output is already published",
    OutputNotStored => "the job's output is not stored yet: it holds the published files",
    InputVersionMismatch => "the input version must be the job's: its version id is the job's input CID",
}

impl std::fmt::Display for BasaltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl FunctionError for BasaltError {
    fn panic(&self) -> ! {
        near_sdk::env::panic_str(&self.to_string())
    }
}

basalt_rules::impl_from_rule_error!(BasaltError);

/// `Err(error)` unless `condition` holds (Anchor's `require!` for this contract).
macro_rules! ensure {
    ($condition:expr, $error:expr) => {
        if !$condition {
            return Err($error);
        }
    };
}
pub(crate) use ensure;

pub type Result<T> = std::result::Result<T, BasaltError>;
