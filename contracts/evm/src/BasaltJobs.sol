// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {BasaltBlobs} from "./BasaltBlobs.sol";
import {BasaltChecks} from "./BasaltChecks.sol";
import {BasaltConfig} from "./BasaltConfig.sol";
import {BasaltDatasets} from "./BasaltDatasets.sol";
import {BasaltProof} from "./BasaltProof.sol";
import {BasaltProviders} from "./BasaltProviders.sol";
import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// k-of-n compute jobs, as the Solana program's `job_post`, `job_apply`, `job_select`,
/// `job_commit`, `job_reveal`, `job_finalize` and `job_settle`: a requester escrows
/// `n * reward`; compute providers apply until the apply deadline (a full list admits a
/// newcomer only over the applicant with the least stake, `basalt_rules::admit`); anyone
/// then draws the `n` workers, weighted by stake (`basalt_rules::select_weighted`), from the
/// hash of the apply deadline's block; the selected commit to a result and reveal it; at
/// least `k` equal reveals decide the job. Agreeing workers are paid, dissenters lose
/// reputation and, under a strict majority, stake; a place is an obligation from the
/// application to the settlement. Every loop runs over a job's applicants, at most
/// `MAX_JOB_APPLICANTS`.
///
/// A job may ask for its output to be stored (`basalt_rules::OutputTerms`): a budget
/// escrowed beside the rewards opens the deal of the output blob an agreeing worker
/// registers for the requester (`registerOutput`), or links when the requester stores the
/// result already (`linkOutput`); agreeing workers are paid once it is stored or its
/// deadline passed, and an unused budget goes back.
///
/// A job over a dataset version names it (`inputVersion`, whose manifest id is the input);
/// a job may ask for its output to be published as a version of a public dataset the
/// requester may write (`basalt_rules::NewPublication`), escrowing a budget for the
/// manifest's deal: an agreeing worker registers the manifest for the requester and
/// publishes the version in its name, derived by the job from the input version
/// (`publishOutput`); agreeing workers are paid once it is published or the output deadline
/// passed.
contract BasaltJobs is ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum JobStatus {
        /// Applications, the selection, commits and reveals are accepted.
        Open,
        /// k or more reveals agreed on `resultHash`.
        Succeeded,
        /// No quorum by the reveal deadline; the escrow went back to the requester.
        Failed
    }

    /// `basalt_rules::JobOutcome`, in its order.
    enum WorkerOutcome {
        Paid,
        Disagreed,
        NoShow,
        NoQuorum,
        NotSelected
    }

    /// What a requester chooses (`basalt_rules::JobParams`).
    struct JobArgs {
        uint64 nonce;
        /// BLAKE3 digests of the WASM module and the input blob.
        bytes32 moduleCid;
        bytes32 inputCid;
        uint64 fuelLimit;
        uint8 n;
        uint8 k;
        uint128 rewardPerWorker;
        /// Blocks: applications up to and including the first, commits up to the second,
        /// reveals up to the third.
        uint64 applyDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        /// Escrowed for the output blob's deal; 0: the output is not stored (price and
        /// deadline 0 too).
        uint128 outputBudget;
        uint128 outputPrice;
        /// Last block the output may be registered at; after the reveal deadline.
        uint64 outputDeadline;
        /// The output is sealed for the requester (a private blob) instead of public.
        bool outputEncrypted;
        /// The dataset version whose files are the input (its manifest id `inputCid`);
        /// zero for none.
        bytes32 inputVersion;
        /// The dataset to publish the output into, as version `publishTag`, with
        /// `publishBudget` escrowed for the manifest's deal; zero, empty and 0 for none.
        bytes32 publishDataset;
        string publishTag;
        uint128 publishBudget;
    }

    /// What a worker registers as a job's output: the blob `basalt-core` encoded.
    struct OutputArgs {
        bytes32 cidDigest;
        uint64 size;
        uint32 chunkSize;
        uint32 leafSize;
        uint16 k;
        uint16 m;
        bytes32 commitmentRoot;
    }

    struct Job {
        address requester;
        JobStatus status;
        /// The selection ran.
        bool selectionDone;
        // INV: 1 <= k <= n <= MAX_JOB_WORKERS
        uint8 n;
        uint8 k;
        /// Applicants, and those settled.
        // INV: settledCount <= workerCount <= MAX_JOB_APPLICANTS
        uint8 workerCount;
        uint8 settledCount;
        uint64 nonce;
        uint64 fuelLimit;
        // INV: applyDeadline < commitDeadline < revealDeadline
        uint64 applyDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint128 rewardPerWorker;
        /// Escrow left; payouts and refunds come out of it and never exceed it.
        uint128 escrow;
        bytes32 moduleCid;
        bytes32 inputCid;
        /// The agreed result once `Succeeded`.
        bytes32 resultHash;
        /// Beside `escrow`, for the output's deal; moves there at registration, back to the
        /// requester when the job ends without one.
        uint128 outputBudget;
        uint128 outputPrice;
        uint64 outputDeadline;
        bool outputEncrypted;
        /// The output's blob once registered or linked; zero until then.
        bytes32 outputBlob;
        bytes32 inputVersion;
        Publication publication;
    }

    /// The publication a job asked for (`basalt_rules::NewPublication`), and its outcome.
    struct Publication {
        /// Zero: none asked for.
        bytes32 dataset;
        string tag;
        /// Beside `escrow`, like `outputBudget`, for the manifest's deal; moves there at
        /// publication, back to the requester when the job ends without one.
        uint128 budget;
        /// The published version; zero until then.
        bytes32 version;
    }

    struct Worker {
        address worker;
        /// Selected by the draw: only selected applicants commit, reveal and are paid.
        bool selected;
        bool committed;
        bool revealed;
        /// Paid, penalized or released; its obligation ended.
        bool settled;
        /// Its bonded stake when it applied: its weight in the selection.
        uint256 stake;
        /// sha256(resultHash || worker || salt).
        bytes32 commitment;
        bytes32 resultHash;
    }

    BasaltConfig public immutable config;
    BasaltProviders public immutable providers;
    BasaltBlobs public immutable blobs;
    BasaltDatasets public immutable datasets;
    IERC20 public immutable stakeToken;

    mapping(bytes32 => Job) private jobs;
    /// A job's applicants, in application order (a displaced one's entry is taken over).
    mapping(bytes32 => mapping(uint256 => Worker)) private applicants;
    /// index + 1 of an applicant; 0: none.
    // INV: applicantIndex[id][a] == i + 1 exactly when applicants[id][i].worker == a
    mapping(bytes32 => mapping(address => uint256)) private applicantIndex;

    event JobPosted(bytes32 indexed job, address indexed requester, JobArgs args);
    event JobApplied(bytes32 indexed job, address indexed worker, uint256 stake, address displaced);
    event JobSelected(bytes32 indexed job, bytes32 seed, address[] workers);
    event JobCommitted(bytes32 indexed job, address indexed worker, bytes32 commitment);
    event JobRevealed(bytes32 indexed job, address indexed worker, bytes32 resultHash);
    event JobFinalized(
        bytes32 indexed job, JobStatus status, bytes32 resultHash, uint8 agreeing, uint128 refunded, bool jobClosed
    );
    event JobWorkerSettled(
        bytes32 indexed job,
        address indexed worker,
        WorkerOutcome outcome,
        uint128 paid,
        uint256 slashed,
        int64 reputation,
        bool jobClosed,
        uint128 outputRefunded
    );
    event JobOutputRegistered(
        bytes32 indexed job, bytes32 indexed blob, address indexed worker, bytes32 cidDigest, uint128 budget
    );
    event JobOutputPublished(
        bytes32 indexed job, bytes32 indexed version, address indexed worker, bytes32 manifestBlob, uint128 budget
    );

    constructor(BasaltConfig config_, BasaltProviders providers_, BasaltBlobs blobs_, BasaltDatasets datasets_) {
        config = config_;
        providers = providers_;
        blobs = blobs_;
        datasets = datasets_;
        stakeToken = config_.stakeToken();
    }

    // ---------------------------------------------------------------- views

    /// A job's id: its requester's job of `nonce` (the Solana program's
    /// `["job", requester, nonce]`).
    function jobId(address requester, uint64 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(requester, nonce));
    }

    /// The job `id`; reverts with `JobNotFound` when there is none.
    function job(bytes32 id) external view returns (Job memory) {
        return _job(id);
    }

    /// The job's applicants, in application order.
    function workers(bytes32 id) external view returns (Worker[] memory list) {
        Job storage j = _job(id);
        list = new Worker[](j.workerCount);
        for (uint256 i = 0; i < j.workerCount; i++) {
            list[i] = applicants[id][i];
        }
    }

    /// Who posted job `id`, and whether it succeeded with its output stored: what a version
    /// derived by the job needs (`BasaltDatasets.publish`).
    ///
    /// # Errors
    ///
    /// `JobNotFound`.
    function derivation(bytes32 id) external view returns (address requester, bool outputStored) {
        Job storage j = _job(id);
        return (j.requester, j.status == JobStatus.Succeeded && j.outputBlob != bytes32(0));
    }

    /// What a worker commits to: `sha256(resultHash || worker || salt)`.
    function commitmentOf(bytes32 resultHash, address worker, bytes32 salt) public pure returns (bytes32) {
        return sha256(abi.encodePacked(resultHash, worker, salt));
    }

    // ---------------------------------------------------------------- the job's life

    /// Posts a job and escrows `n * rewardPerWorker`, the output budget and the publication
    /// budget of the stake token (approved to this contract).
    ///
    /// # Errors
    ///
    /// `InvalidJobParams` (`basalt_rules::JobParams::check`), `ZeroAmount`, `JobExists`,
    /// and what `_checkDatasets` refuses.
    function post(JobArgs calldata args) external nonReentrant returns (bytes32 id) {
        bool valid = args.k >= 1 && args.k <= args.n && args.n <= BasaltRules.MAX_JOB_WORKERS && args.fuelLimit > 0
            && args.applyDeadline > block.number && args.commitDeadline > args.applyDeadline
            && args.revealDeadline > args.commitDeadline;
        // basalt_rules::OutputTerms::check
        valid = valid
            && (
                args.outputBudget > 0
                    ? args.outputPrice > 0 && args.outputDeadline > args.revealDeadline
                    : args.outputPrice == 0 && args.outputDeadline == 0
            );
        if (!valid) revert InvalidJobParams();
        if (args.rewardPerWorker == 0) revert ZeroAmount();
        _checkDatasets(args);
        id = jobId(msg.sender, args.nonce);
        Job storage j = jobs[id];
        if (j.requester != address(0)) revert JobExists();
        uint128 escrow = args.rewardPerWorker * args.n;
        j.requester = msg.sender;
        j.n = args.n;
        j.k = args.k;
        j.nonce = args.nonce;
        j.fuelLimit = args.fuelLimit;
        j.applyDeadline = args.applyDeadline;
        j.commitDeadline = args.commitDeadline;
        j.revealDeadline = args.revealDeadline;
        j.rewardPerWorker = args.rewardPerWorker;
        j.escrow = escrow;
        j.moduleCid = args.moduleCid;
        j.inputCid = args.inputCid;
        j.outputBudget = args.outputBudget;
        j.outputPrice = args.outputPrice;
        j.outputDeadline = args.outputDeadline;
        j.outputEncrypted = args.outputEncrypted;
        j.inputVersion = args.inputVersion;
        j.publication = Publication(args.publishDataset, args.publishTag, args.publishBudget, bytes32(0));
        emit JobPosted(id, msg.sender, args);
        stakeToken.safeTransferFrom(msg.sender, address(this), escrow + args.outputBudget + args.publishBudget);
    }

    /// The caller, an eligible compute provider, applies with its bonded stake as weight;
    /// into a full list it displaces the earliest applicant with the least stake, if that
    /// staked less (whose obligation then ends).
    ///
    /// # Errors
    ///
    /// `ProviderNotEligible`, `JobNotOpen`, `ApplyPhaseOver`, `AlreadyApplied`,
    /// `ApplicantsFull`.
    function applyFor(bytes32 id) external {
        if (!providers.isEligible(msg.sender, BasaltRules.ROLE_COMPUTE)) revert ProviderNotEligible();
        Job storage j = _job(id);
        if (j.status != JobStatus.Open) revert JobNotOpen();
        if (block.number > j.applyDeadline) revert ApplyPhaseOver();
        if (applicantIndex[id][msg.sender] != 0) revert AlreadyApplied();
        uint256 stake = providers.bondedStake(msg.sender);
        uint256 at = j.workerCount;
        address displaced;
        if (at == BasaltRules.MAX_JOB_APPLICANTS) {
            // basalt_rules::admit: the earliest of those with the least stake, if less.
            uint256 least = type(uint256).max;
            for (uint256 i = 0; i < j.workerCount; i++) {
                if (applicants[id][i].stake < least) {
                    least = applicants[id][i].stake;
                    at = i;
                }
            }
            if (least >= stake) revert ApplicantsFull();
            displaced = applicants[id][at].worker;
            delete applicantIndex[id][displaced];
        } else {
            j.workerCount += 1;
        }
        applicants[id][at] = Worker(msg.sender, false, false, false, false, stake, bytes32(0), bytes32(0));
        applicantIndex[id][msg.sender] = at + 1;
        emit JobApplied(id, msg.sender, stake, displaced);
        providers.openObligation(msg.sender);
        if (displaced != address(0)) providers.closeObligation(displaced);
    }

    /// Draws the job's `n` workers among its applicants, weighted by stake; anyone may
    /// call it once, after the apply deadline and up to the commit deadline. The seed is
    /// the hash of the apply deadline's block, which no applicant knew when applying,
    /// hashed with the job's id; the EVM keeps it for 256 blocks, after which a job nobody
    /// selected gets no workers and fails.
    ///
    /// # Errors
    ///
    /// `JobNotOpen`, `AlreadySelected`, `ApplyPhaseOpen`, `CommitPhaseOver`,
    /// `SeedUnavailable`.
    function select(bytes32 id) external {
        Job storage j = _job(id);
        if (j.status != JobStatus.Open) revert JobNotOpen();
        if (j.selectionDone) revert AlreadySelected();
        if (block.number <= j.applyDeadline) revert ApplyPhaseOpen();
        if (block.number > j.commitDeadline) revert CommitPhaseOver();
        bytes32 blockHash = blockhash(j.applyDeadline);
        if (blockHash == bytes32(0)) revert SeedUnavailable();
        bytes32 seed = sha256(abi.encodePacked(blockHash, id));
        uint256 set = _selectWeighted(id, j.workerCount, j.n, seed);
        address[] memory chosen = new address[](j.workerCount < j.n ? j.workerCount : j.n);
        uint256 c = 0;
        for (uint256 i = 0; i < j.workerCount; i++) {
            if (set & (1 << i) != 0) {
                applicants[id][i].selected = true;
                chosen[c++] = applicants[id][i].worker;
            }
        }
        j.selectionDone = true;
        emit JobSelected(id, seed, chosen);
    }

    /// A selected worker commits to its result, up to the commit deadline.
    ///
    /// # Errors
    ///
    /// `JobNotOpen`, `CommitPhaseOver`, `NotJobWorker`, `NotSelected`, `AlreadyCommitted`.
    function commit(bytes32 id, bytes32 commitment) external {
        Job storage j = _job(id);
        if (j.status != JobStatus.Open) revert JobNotOpen();
        if (block.number > j.commitDeadline) revert CommitPhaseOver();
        Worker storage w = _applicant(id);
        if (!w.selected) revert NotSelected();
        if (w.committed) revert AlreadyCommitted();
        w.commitment = commitment;
        w.committed = true;
        emit JobCommitted(id, msg.sender, commitment);
    }

    /// A worker opens its commitment, after the commit deadline and up to the reveal
    /// deadline.
    ///
    /// # Errors
    ///
    /// `JobNotOpen`, `CommitPhaseOpen`, `RevealPhaseOver`, `NotJobWorker`, `NotCommitted`,
    /// `AlreadyRevealed`, `RevealMismatch`.
    function reveal(bytes32 id, bytes32 resultHash, bytes32 salt) external {
        Job storage j = _job(id);
        if (j.status != JobStatus.Open) revert JobNotOpen();
        if (block.number <= j.commitDeadline) revert CommitPhaseOpen();
        if (block.number > j.revealDeadline) revert RevealPhaseOver();
        Worker storage w = _applicant(id);
        if (!w.committed) revert NotCommitted();
        if (w.revealed) revert AlreadyRevealed();
        if (commitmentOf(resultHash, msg.sender, salt) != w.commitment) revert RevealMismatch();
        w.revealed = true;
        w.resultHash = resultHash;
        emit JobRevealed(id, msg.sender, resultHash);
    }

    /// Decides the job after the reveal deadline, or once committing is over and every
    /// selected worker revealed: `Succeeded` when exactly one result has at least `k`
    /// reveals (`basalt_rules::quorum`), with the agreeing workers' rewards kept and the
    /// rest refunded; `Failed` otherwise, everything refunded. Anyone may call it.
    ///
    /// # Errors
    ///
    /// `JobNotOpen`, `TooEarlyToFinalize`.
    function finalize(bytes32 id) external nonReentrant {
        Job storage j = _job(id);
        if (j.status != JobStatus.Open) revert JobNotOpen();
        bool early = block.number > j.commitDeadline && _everyoneRevealed(id, j);
        if (block.number <= j.revealDeadline && !early) revert TooEarlyToFinalize();
        (bool agreed, bytes32 result, uint256 votes) = _quorum(id, j.workerCount, j.k);
        uint128 reserved = agreed ? j.rewardPerWorker * uint128(votes) : 0;
        // A failed job has no output to store or publish: the budgets go back with the
        // rewards.
        uint128 refund = j.escrow - reserved + (agreed ? 0 : j.outputBudget + j.publication.budget);
        if (!agreed) (j.outputBudget, j.publication.budget) = (0, 0);
        j.escrow = reserved;
        j.status = agreed ? JobStatus.Succeeded : JobStatus.Failed;
        j.resultHash = result;
        address requester = j.requester;
        bool closed = j.settledCount == j.workerCount;
        emit JobFinalized(id, j.status, result, uint8(votes), refund, closed);
        if (closed) _close(id, j);
        if (refund > 0) stakeToken.safeTransfer(requester, refund);
    }

    /// Settles applicant `worker` (anyone may call it, once per applicant): one not
    /// selected as soon as the selection ran or the job ended; a selected one once the job
    /// is finalized (`basalt_rules::job_outcome`). The last settlement closes the job.
    ///
    /// # Errors
    ///
    /// `NotJobWorker`, `AlreadySettled`, `JobNotFinalized`.
    function settle(bytes32 id, address worker) external nonReentrant {
        Job storage j = _job(id);
        WorkerOutcome outcome = _markSettled(id, j, worker);
        (uint128 paid, int8 reputation, bool slash) = _consequences(id, j, outcome);
        bool closed = j.status != JobStatus.Open && j.settledCount == j.workerCount;
        // INV: outputBudget and publication.budget are what the contract holds for an
        // output not registered and a version not published.
        uint128 outputRefunded = closed ? j.outputBudget + j.publication.budget : 0;
        address requester = j.requester;
        if (closed) _close(id, j);
        _endPlace(id, worker, outcome, paid, reputation, slash, closed, outputRefunded);
        if (paid > 0) stakeToken.safeTransfer(worker, paid);
        if (outputRefunded > 0) stakeToken.safeTransfer(requester, outputRefunded);
    }

    /// Ends `worker`'s place in the registry (its obligation, reputation and any slash)
    /// and logs the settlement with the reputation it leaves. A function of its own for
    /// the stack: `settle` holds too many values to make the call itself.
    function _endPlace(
        bytes32 id,
        address worker,
        WorkerOutcome outcome,
        uint128 paid,
        int8 reputationChange,
        bool slash,
        bool closed,
        uint128 outputRefunded
    ) private {
        (uint256 slashed, int64 reputation) = providers.settleJobPlace(worker, reputationChange, slash, id);
        emit JobWorkerSettled(id, worker, outcome, paid, slashed, reputation, closed, outputRefunded);
    }

    /// A selected worker that revealed the agreed result registers the job's output as a
    /// blob of the requester, once, up to the output deadline
    /// (`basalt_rules::OutputRegistration`): a plain output is public and its digest is the
    /// agreed result; a sealed one is private. It expires after as many epochs as the
    /// budget pays for every shard (at most `max_deal_epochs`); its deal opens with the
    /// budget, the requester its payer; the worker may place it until it is active.
    ///
    /// # Errors
    ///
    /// `JobNotSucceeded`, `OutputAlreadyStored`, `NoOutputWanted`, `OutputDeadlinePassed`,
    /// `NotAgreeingWorker`, `OutputMismatch`, `OutputBudgetTooSmall`, and what the blob's
    /// registration refuses.
    function registerOutput(bytes32 id, OutputArgs calldata args) external nonReentrant returns (bytes32 blob) {
        Job storage j = _job(id);
        _checkOutput(id, j, j.outputEncrypted ? j.resultHash : args.cidDigest);
        uint128 budget = j.outputBudget;
        j.outputBudget = 0;
        blob = _registerBlob(j, args, budget, !j.outputEncrypted);
        j.outputBlob = blob;
        emit JobOutputRegistered(id, blob, msg.sender, args.cidDigest, budget);
    }

    /// A selected worker that revealed the agreed result publishes the job's stored output
    /// as the version the requester asked for, once, up to the output deadline
    /// (`basalt_rules::OutputPublication`): it registers `manifest` (the canonical manifest
    /// bytes naming the output's files) as a public blob of the requester, its deal opened
    /// with the publication budget at the output's price, and the version, its id the
    /// manifest's digest, in the requester's name, derived by the job from its input
    /// version.
    ///
    /// # Errors
    ///
    /// `JobNotSucceeded`, `NoPublicationWanted`, `AlreadyPublished`, `OutputNotStored`,
    /// `OutputDeadlinePassed`, `NotAgreeingWorker`, `OutputBudgetTooSmall`, and what the
    /// blob's registration and `BasaltDatasets.recordPublication` refuse.
    function publishOutput(bytes32 id, OutputArgs calldata manifest)
        external
        nonReentrant
        returns (bytes32 versionKey)
    {
        Job storage j = _job(id);
        if (j.status != JobStatus.Succeeded) revert JobNotSucceeded();
        if (j.publication.dataset == bytes32(0)) revert NoPublicationWanted();
        if (j.publication.version != bytes32(0)) revert AlreadyPublished();
        if (j.outputBlob == bytes32(0)) revert OutputNotStored();
        if (block.number > j.outputDeadline) revert OutputDeadlinePassed();
        _requireAgreeing(id, j);
        uint128 budget = j.publication.budget;
        j.publication.budget = 0;
        bytes32 blob = _registerBlob(j, manifest, budget, true);
        bytes32[] memory parents = new bytes32[](j.inputVersion == bytes32(0) ? 0 : 1);
        if (parents.length == 1) parents[0] = j.inputVersion;
        BasaltDatasets.VersionArgs memory version =
            BasaltDatasets.VersionArgs(j.publication.tag, manifest.cidDigest, blob, parents, id, "");
        versionKey = datasets.recordPublication(j.publication.dataset, version, j.requester);
        j.publication.version = versionKey;
        emit JobOutputPublished(id, versionKey, msg.sender, blob, budget);
    }

    /// Records as the output the blob the requester already stores with exactly the agreed
    /// result as its content (the output's own blob would have its id). Signed, once, by an
    /// agreeing worker up to the output deadline; nothing is funded, and the budget goes
    /// back when the job closes.
    ///
    /// # Errors
    ///
    /// As `registerOutput` (the plain rule), and `BlobNotFound` when the requester stores
    /// no such blob.
    function linkOutput(bytes32 id) external {
        Job storage j = _job(id);
        _checkOutput(id, j, j.resultHash);
        bytes32 blob = blobs.blobId(j.requester, j.resultHash);
        // Reverts with BlobNotFound when the requester stores no blob of that content.
        blobs.blob(blob);
        j.outputBlob = blob;
        emit JobOutputRegistered(id, blob, msg.sender, j.resultHash, 0);
    }

    // ---------------------------------------------------------------- internals

    function _job(bytes32 id) private view returns (Job storage j) {
        j = jobs[id];
        if (j.requester == address(0)) revert JobNotFound();
    }

    /// The caller's entry among the job's applicants.
    function _applicant(bytes32 id) private view returns (Worker storage) {
        uint256 index = applicantIndex[id][msg.sender];
        if (index == 0) revert NotJobWorker();
        return applicants[id][index - 1];
    }

    /// Removes a job whose applicants are all settled.
    // INV: a closed job holds no escrow (every agreeing worker was paid its reward).
    function _close(bytes32 id, Job storage j) private {
        for (uint256 i = 0; i < j.workerCount; i++) {
            delete applicantIndex[id][applicants[id][i].worker];
            delete applicants[id][i];
        }
        delete jobs[id];
    }

    /// `basalt_rules::OutputRegistration::check` for the caller and an output of digest
    /// `cidDigest` (the agreed result itself for a sealed output, which any digest fits).
    function _checkOutput(bytes32 id, Job storage j, bytes32 cidDigest) private view {
        if (j.status != JobStatus.Succeeded) revert JobNotSucceeded();
        if (j.outputBlob != bytes32(0)) revert OutputAlreadyStored();
        if (j.outputDeadline == 0) revert NoOutputWanted();
        if (block.number > j.outputDeadline) revert OutputDeadlinePassed();
        _requireAgreeing(id, j);
        if (cidDigest != j.resultHash) revert OutputMismatch();
    }

    /// The caller was selected and revealed the job's agreed result.
    function _requireAgreeing(bytes32 id, Job storage j) private view {
        uint256 index = applicantIndex[id][msg.sender];
        if (index == 0) revert NotAgreeingWorker();
        Worker storage w = applicants[id][index - 1];
        if (!w.selected || !w.revealed || w.resultHash != j.resultHash) revert NotAgreeingWorker();
    }

    /// Registers `args` as a blob of the requester, `plain` (public) or sealed, that the
    /// caller may place, its deal opened with `budget` (already taken off the job) at the
    /// output's price for as many epochs as it pays every shard, at most `max_deal_epochs`
    /// (`basalt_rules::OutputTerms::epochs`).
    function _registerBlob(Job storage j, OutputArgs calldata args, uint128 budget, bool plain)
        private
        returns (bytes32 blob)
    {
        uint256 perEpoch = uint256(j.outputPrice) * (uint256(args.k) + args.m);
        if (perEpoch == 0 || budget < perEpoch) revert OutputBudgetTooSmall();
        uint256 epochs = budget / perEpoch;
        uint64 maxEpochs = config.params().max_deal_epochs;
        if (epochs > maxEpochs) epochs = maxEpochs;
        BasaltBlobs.BlobArgs memory register = BasaltBlobs.BlobArgs(
            args.cidDigest,
            args.size,
            args.chunkSize,
            args.leafSize,
            args.k,
            args.m,
            args.commitmentRoot,
            blobs.currentEpoch() + uint64(epochs),
            plain,
            !plain
        );
        // The budget moves to the storage contract, which holds deals' escrow.
        stakeToken.safeTransfer(address(blobs), budget);
        return blobs.registerOutput(j.requester, msg.sender, register, j.outputPrice, budget);
    }

    /// `basalt_rules::NewPublication` and the input version, as a job is posted: the input
    /// version's manifest id is the input, and it is not retracted; a publication names a
    /// valid tag and a budget, stores the output plain, and goes into a public dataset the
    /// requester may write.
    ///
    /// # Errors
    ///
    /// `VersionNotFound`, `InputVersionMismatch`, `InvalidVersionTag`, `InvalidJobParams`,
    /// `PublicationNeedsOutput`, `DatasetNotFound`, `DatasetNotPublic`, `NotDatasetWriter`.
    function _checkDatasets(JobArgs calldata args) private view {
        if (args.inputVersion != bytes32(0)) {
            (bytes32 versionId, bool retracted) = datasets.versionIdOf(args.inputVersion);
            if (versionId != args.inputCid || retracted) revert InputVersionMismatch();
        }
        if (args.publishDataset == bytes32(0)) {
            if (args.publishBudget != 0 || bytes(args.publishTag).length != 0) revert InvalidJobParams();
            return;
        }
        BasaltChecks.checkVersionTag(args.publishTag);
        if (args.publishBudget == 0) revert InvalidJobParams();
        if (args.outputBudget == 0 || args.outputEncrypted) revert PublicationNeedsOutput();
        datasets.checkPublicationInto(args.publishDataset, msg.sender);
    }

    /// Marks `worker`'s application settled and returns its outcome.
    function _markSettled(bytes32 id, Job storage j, address worker) private returns (WorkerOutcome outcome) {
        uint256 index = applicantIndex[id][worker];
        if (index == 0) revert NotJobWorker();
        Worker storage w = applicants[id][index - 1];
        if (w.settled) revert AlreadySettled();
        bool passedOver = j.selectionDone && !w.selected;
        if (j.status == JobStatus.Open && !passedOver) revert JobNotFinalized();
        outcome = _outcome(j, w);
        w.settled = true;
        j.settledCount += 1;
    }

    /// What an outcome does: the reward paid out of the escrow, the reputation change, and
    /// whether the worker is slashed.
    function _consequences(bytes32 id, Job storage j, WorkerOutcome outcome)
        private
        returns (uint128 paid, int8 reputation, bool slash)
    {
        if (outcome == WorkerOutcome.Paid) {
            // basalt_rules::OutputTerms::pending: storing a wanted output is part of the work.
            // basalt_rules::publication_pending: so is publishing it, when asked.
            bool outputPending = j.outputBudget > 0 && j.outputBlob == bytes32(0);
            bool publicationPending = j.publication.dataset != bytes32(0) && j.publication.version == bytes32(0);
            if ((outputPending || publicationPending) && block.number <= j.outputDeadline) revert OutputPending();
            paid = j.rewardPerWorker;
            j.escrow -= paid;
            reputation = 1;
        } else if (outcome == WorkerOutcome.Disagreed) {
            reputation = -1;
            slash = _dissentIsSlashable(id, j);
        } else if (outcome == WorkerOutcome.NoShow) {
            reputation = -1;
        }
    }

    /// `basalt_rules::job_outcome`.
    function _outcome(Job storage j, Worker storage w) private view returns (WorkerOutcome) {
        if (!w.selected) return WorkerOutcome.NotSelected;
        if (!w.revealed) return WorkerOutcome.NoShow;
        if (j.status != JobStatus.Succeeded) return WorkerOutcome.NoQuorum;
        return w.resultHash == j.resultHash ? WorkerOutcome.Paid : WorkerOutcome.Disagreed;
    }

    function _everyoneRevealed(bytes32 id, Job storage j) private view returns (bool) {
        if (!j.selectionDone) return false;
        for (uint256 i = 0; i < j.workerCount; i++) {
            Worker storage w = applicants[id][i];
            if (w.selected && !w.revealed) return false;
        }
        return true;
    }

    /// `basalt_rules::quorum` over the selected workers' reveals: the result at least `k`
    /// agree on, when exactly one does, with its votes.
    function _quorum(bytes32 id, uint256 count, uint8 k)
        private
        view
        returns (bool agreed, bytes32 result, uint256 votes)
    {
        for (uint256 i = 0; i < count; i++) {
            Worker storage candidate = applicants[id][i];
            if (!candidate.selected || !candidate.revealed) continue;
            bytes32 hash = candidate.resultHash;
            bool seen = false;
            uint256 n = 0;
            for (uint256 x = 0; x < count; x++) {
                Worker storage other = applicants[id][x];
                if (!other.selected || !other.revealed || other.resultHash != hash) continue;
                if (x < i) {
                    seen = true;
                    break;
                }
                n++;
            }
            if (seen || n < k) continue;
            if (agreed) return (false, bytes32(0), 0);
            (agreed, result, votes) = (true, hash, n);
        }
    }

    /// `basalt_rules::dissent_is_slashable`: the agreeing reveals are a strict majority of
    /// the reveals.
    function _dissentIsSlashable(bytes32 id, Job storage j) private view returns (bool) {
        uint256 votes = 0;
        uint256 revealed = 0;
        for (uint256 i = 0; i < j.workerCount; i++) {
            Worker storage w = applicants[id][i];
            if (!w.selected || !w.revealed) continue;
            revealed++;
            if (w.resultHash == j.resultHash) votes++;
        }
        return votes * 2 > revealed;
    }

    /// `basalt_rules::select_weighted`: `n` of the `count` applicants, without replacement,
    /// each draw weighted by stake, as a bit set over their indices.
    function _selectWeighted(bytes32 id, uint256 count, uint256 n, bytes32 seed) private view returns (uint256 set) {
        if (count <= n) return (1 << count) - 1;
        for (uint256 round = 0; round < n; round++) {
            uint256 total = 0;
            for (uint256 i = 0; i < count; i++) {
                if (set & (1 << i) == 0) total += applicants[id][i].stake;
            }
            if (total == 0) {
                for (uint256 i = 0; i < count; i++) {
                    if (set & (1 << i) == 0) {
                        set |= 1 << i;
                        break;
                    }
                }
                continue;
            }
            uint256 target = BasaltProof.selectionDraw(seed, round) % total;
            for (uint256 i = 0; i < count; i++) {
                if (set & (1 << i) != 0) continue;
                uint256 stake = applicants[id][i].stake;
                if (target < stake) {
                    set |= 1 << i;
                    break;
                }
                target -= stake;
            }
        }
    }
}
