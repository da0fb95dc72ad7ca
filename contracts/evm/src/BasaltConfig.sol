// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// The network parameters an admin may change, as the Solana program's `ConfigParams` and
/// the NEAR contract's: the fields keep the Rust names so that one list of attacks
/// (`basalt_rules::invalid_params!`) is run against all three chains.
/// Packed in two storage slots (the order matters: 16+8+2+2+2+2 bytes, then 2+8+2+8+8).
struct Params {
    /// Least stake a provider needs to be given shards or jobs.
    uint128 min_stake;
    /// Whole epochs unstaked tokens stay slashable before they can be withdrawn.
    uint64 unbonding_epochs;
    /// Fraction of a provider's stake slashed for a missed storage proof.
    uint16 proof_slash_bps;
    /// Fraction of a compute provider's stake slashed for a result the quorum disagrees with.
    uint16 job_slash_bps;
    /// Fraction of a slashed amount paid to whoever proved the fault; the treasury gets the rest.
    uint16 bounty_bps;
    /// Erasure parameters clients use unless told otherwise.
    uint16 default_k;
    uint16 default_m;
    /// Most epochs ahead of registration a blob may expire.
    uint64 max_deal_epochs;
    /// Most proof slashes that take stake from one provider in one epoch.
    uint16 max_slashes_per_epoch;
    /// Blocks a holder has to accept a placement before the owner may place it elsewhere.
    uint64 accept_window_ticks;
    /// Blocks a provider may go without a heartbeat before its shards may go to repair.
    uint64 offline_ticks;
}

/// The network's configuration, as the Solana program's `Config` account: the parameters
/// (changed by the admin, in force one epoch after the change is proposed, by anyone's
/// `applyParams`), the admin role (handed over in two steps), and what is fixed at
/// deployment: the stake token, the epoch geometry and the treasury. It also names the
/// protocol's other contracts, bound once, so each can tell the others' calls from a user's.
contract BasaltConfig {
    /// Blocks after an epoch starts during which its storage proofs are accepted. A
    /// challenge's seed is the hash of the epoch's first block, and the EVM keeps the hashes
    /// of the newest 256 blocks only (BLOCKHASH), so every proof of the window still finds it.
    uint64 public constant MAX_PROOF_WINDOW_BLOCKS = 256;

    /// The token of stakes, deal escrow and job rewards.
    IERC20 public immutable stakeToken;
    /// Blocks per Basalt epoch. Fixed: changing it would renumber epochs.
    // INV: BasaltRules.MAX_EPOCH_TICKS >= epochBlocks > proofWindowBlocks > 0
    uint64 public immutable epochBlocks;
    // INV: 0 < proofWindowBlocks <= MAX_PROOF_WINDOW_BLOCKS
    uint64 public immutable proofWindowBlocks;
    /// Receives the slashed tokens that are not a bounty.
    address public immutable treasury;

    address public admin;
    /// The address the admin proposed to hand its role to; it takes the role by calling
    /// `acceptAdmin`, so a mistyped address cannot take it.
    address public pendingAdmin;

    Params private current;
    Params private pending;
    /// First block at which `pending` may be applied; 0 when nothing is pending.
    // INV: pendingParamsAt == 0 exactly when no parameters are pending
    uint64 public pendingParamsAt;

    /// The protocol's contracts: the registry and staking (`BasaltProviders`), storage
    /// (`BasaltBlobs`: blobs, placement, grants, deals, proofs) and jobs. Zero until `bind`.
    address public providers;
    address public blobs;
    address public jobs;

    /// The deployment's configuration as its constructor set it.
    event ConfigInitialized(
        address admin,
        IERC20 stakeToken,
        uint64 epochBlocks,
        uint64 proofWindowBlocks,
        address treasury,
        Params params
    );
    /// The configuration as it now stands, after every change.
    event ConfigUpdated(
        address admin, address pendingAdmin, Params params, Params pendingParams, uint64 pendingParamsAt
    );
    event ProtocolBound(address providers, address blobs, address jobs);

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin();
        _;
    }

    /// # Errors
    ///
    /// `InvalidEpochParams` for an epoch or proof window out of bounds, and what
    /// `validateParams` refuses.
    constructor(IERC20 stakeToken_, uint64 epochBlocks_, uint64 proofWindowBlocks_, address treasury_, Params memory params_) {
        if (
            epochBlocks_ > BasaltRules.MAX_EPOCH_TICKS || proofWindowBlocks_ == 0
                || proofWindowBlocks_ > MAX_PROOF_WINDOW_BLOCKS || epochBlocks_ <= proofWindowBlocks_
        ) revert InvalidEpochParams();
        validateParams(params_);
        stakeToken = stakeToken_;
        epochBlocks = epochBlocks_;
        proofWindowBlocks = proofWindowBlocks_;
        treasury = treasury_;
        admin = msg.sender;
        current = params_;
        emit ConfigInitialized(admin, stakeToken_, epochBlocks_, proofWindowBlocks_, treasury_, params_);
    }

    /// Names the protocol's contracts; the admin does it once, right after deploying them.
    function bind(address providers_, address blobs_, address jobs_) external onlyAdmin {
        if (providers != address(0)) revert AlreadyBound();
        providers = providers_;
        blobs = blobs_;
        jobs = jobs_;
        emit ProtocolBound(providers_, blobs_, jobs_);
    }

    /// The parameters in force.
    function params() external view returns (Params memory) {
        return current;
    }

    /// The parameters proposed and not yet applied (all zero when none are).
    function pendingParams() external view returns (Params memory) {
        return pending;
    }

    /// The current epoch.
    function currentEpoch() external view returns (uint64) {
        return uint64(block.number / epochBlocks);
    }

    /// Proposes new parameters, which `applyParams` puts in force one epoch later
    /// (`basalt_rules::params_due_at`; a newer proposal replaces a pending one and restarts
    /// the wait), and optionally another address for the admin role (`newAdmin`, zero for
    /// none; it takes the role with `acceptAdmin`).
    ///
    /// # Errors
    ///
    /// `NotAdmin`, and what `validateParams` refuses.
    function update(Params calldata params_, address newAdmin) external onlyAdmin {
        validateParams(params_);
        pending = params_;
        pendingParamsAt = uint64(block.number) + epochBlocks;
        if (newAdmin != address(0)) pendingAdmin = newAdmin;
        _updated();
    }

    /// Puts the proposed parameters in force once their epoch of notice has passed
    /// (`basalt_rules::check_params_due`). Anyone may call it: the admin can neither hold
    /// back a change it announced nor make one sooner.
    ///
    /// # Errors
    ///
    /// `NoPendingParams`, `ParamsNotDue`.
    function applyParams() external {
        if (pendingParamsAt == 0) revert NoPendingParams();
        if (block.number < pendingParamsAt) revert ParamsNotDue();
        current = pending;
        delete pending;
        pendingParamsAt = 0;
        _updated();
    }

    /// The proposed admin takes the role.
    ///
    /// # Errors
    ///
    /// `NotPendingAdmin` for any other caller.
    function acceptAdmin() external {
        if (pendingAdmin == address(0) || msg.sender != pendingAdmin) revert NotPendingAdmin();
        admin = msg.sender;
        pendingAdmin = address(0);
        _updated();
    }

    /// `basalt_rules::validate_params`.
    ///
    /// # Errors
    ///
    /// `ZeroAmount` for a zero minimum stake; `InvalidEpochParams` for an unbonding period,
    /// deal horizon, slash cap, acceptance window or offline threshold out of bounds;
    /// `InvalidBps` for a slash or bounty fraction above its limit; `InvalidLayout` for
    /// unusable default erasure parameters.
    function validateParams(Params memory p) public pure {
        if (p.min_stake == 0) revert ZeroAmount();
        if (
            p.unbonding_epochs < BasaltRules.MIN_UNBONDING_EPOCHS
                || p.unbonding_epochs > BasaltRules.MAX_UNBONDING_EPOCHS || p.max_deal_epochs == 0
                || p.max_deal_epochs > BasaltRules.MAX_DEAL_EPOCHS_LIMIT || p.max_slashes_per_epoch == 0
                || p.max_slashes_per_epoch > BasaltRules.MAX_SLASHES_PER_EPOCH_LIMIT || p.accept_window_ticks == 0
                || p.accept_window_ticks > BasaltRules.MAX_EPOCH_TICKS || p.offline_ticks == 0
                || p.offline_ticks > BasaltRules.MAX_EPOCH_TICKS
        ) revert InvalidEpochParams();
        if (
            p.proof_slash_bps > BasaltRules.MAX_SLASH_BPS || p.job_slash_bps > BasaltRules.MAX_SLASH_BPS
                || p.bounty_bps > BasaltRules.MAX_BOUNTY_BPS
        ) revert InvalidBps();
        if (p.default_k == 0 || p.default_m == 0 || uint256(p.default_k) + p.default_m > BasaltRules.MAX_BLOB_SHARDS) {
            revert InvalidLayout();
        }
    }

    function _updated() private {
        emit ConfigUpdated(admin, pendingAdmin, current, pending, pendingParamsAt);
    }
}
