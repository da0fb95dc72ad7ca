// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// The protocol's errors, named as the Solana program's `BasaltError` variants (and
// `basalt_rules::RuleError`), so a client decodes the same names from every chain. One file,
// imported by every contract, as the program's `errors.rs`.

// Arithmetic and parameters
error InvalidBps();
error InvalidEpochParams();
error InvalidLayout();
error ZeroAmount();

// Configuration
error NotAdmin();
error NotPendingAdmin();
error NoPendingParams();
error ParamsNotDue();
/// The protocol's contracts are bound once, at deployment.
error AlreadyBound();
/// Only the protocol's own contracts (storage, jobs) may change a provider's obligations
/// or take its stake.
error NotProtocol();

// Providers
error InvalidEndpoint();
error InvalidRegion();
error InvalidRoles();
error InsufficientStake();
error NothingUnbonding();
error StillUnbonding();
error NotJailed();
error CannotUnjail();
error ProviderNotEligible();
error ObligationsOpen();
error StakeRemaining();
error ProviderExists();
error ProviderNotFound();
error SelfSlash();

// Blobs and placement
error TooManyShards();
error InvalidExpiry();
error ShardOutOfRange();
error PlacementMismatch();
error DuplicateProvider();
error ShardNotRepairable();
error ColumnRootChanged();
error CommitmentMismatch();
error BlobNotActive();
error BlobExpired();
error NotShardHolder();
error ShardNeedsRepair();
error AlreadyAccepted();
error AcceptanceLapsed();
error ShardNotAccepted();
error TermsChanged();
error HolderNotOffline();
error MissedProofPending();
/// A blob of this owner and content digest is registered already (the Solana program's
/// account creation fails the same way).
error BlobExists();
/// No blob has this id: never registered, or deleted.
error BlobNotFound();

// Access
error Unauthorized();
error GrantExpired();
error InvalidGrantRoles();
error WrappedKeyTooLong();
error InvalidGrantExpiry();
error GrantsOpen();
/// A grantee named for revocation holds no grant on the blob.
error GrantsMismatch();
/// The grantee holds a grant on the blob already: revoke it first.
error GrantExists();

// Deals
error ZeroPrice();
error UnsettledPayouts();
/// The blob has no deal (never funded, or refunded).
error DealMismatch();
/// The blob's deal is open already; `topUp` adds to it.
error DealExists();
error DealLapsed();
error DealStillFunded();

// Proofs
error WrongEpoch();
error OutsideProofWindow();
error EpochBeforeAssignment();
error AlreadyProven();
error SeedUnavailable();
error InvalidProof();
error DeadlineNotPassed();
error EpochWasProven();
error EpochTooOld();

// Jobs
error InvalidJobParams();
error JobNotOpen();
error ApplyPhaseOver();
error ApplyPhaseOpen();
error CommitPhaseOver();
error CommitPhaseOpen();
error RevealPhaseOver();
error ApplicantsFull();
error AlreadyApplied();
error AlreadySelected();
error NotJobWorker();
error NotSelected();
error AlreadyCommitted();
error NotCommitted();
error AlreadyRevealed();
error RevealMismatch();
error TooEarlyToFinalize();
error JobNotFinalized();
error AlreadySettled();
/// The requester has a job of this nonce already (the Solana program's account creation
/// fails the same way).
error JobExists();
/// No job has this id: never posted, or closed once every applicant was settled.
error JobNotFound();
error JobNotSucceeded();
error OutputAlreadyStored();
error NoOutputWanted();
error OutputDeadlinePassed();
error NotAgreeingWorker();
error OutputMismatch();
error OutputBudgetTooSmall();
/// An agreeing worker is paid once the job's output is stored, or its deadline passed.
error OutputPending();

// Datasets and versions
error InvalidDatasetName();
error InvalidVersionTag();
error VersionMessageTooLong();
error InvalidVersionId();
error TooManyParents();
error DuplicateParent();
error NotDatasetWriter();
error NotDatasetAdmin();
error ParentRetracted();
error ParentsMismatch();
error VersionTagTaken();
error AlreadyRetracted();
error ManifestMismatch();
error DerivationJobMismatch();
error InputVersionMismatch();
error NoPublicationWanted();
error AlreadyPublished();
error DatasetNotPublic();
error PublicationNeedsOutput();
error OutputNotStored();
/// The owner has a dataset of this name already (the Solana program's account creation
/// fails the same way).
error DatasetExists();
/// No dataset has this id.
error DatasetNotFound();
/// No version has this id: never published (versions are never removed).
error VersionNotFound();
