// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {BasaltRules} from "./generated/BasaltRules.sol";

/// The provider registry and staking, as the Solana program's `provider_*` instructions
/// and the NEAR contract's provider methods: a provider registers its profile, bonds stake
/// in the ERC-20 stake token, and unbonds it over `unbondingEpochs` epochs during which it
/// stays slashable. A provider is its own address (the Solana program's authority).
/// Epochs count blocks: epoch `block.number / epochBlocks`.
contract BasaltProviders is ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum ProviderStatus {
        /// Can be given work if its stake is at least the minimum.
        Active,
        /// Part of its stake is unbonding: no new work until it withdraws.
        Unbonding,
        /// Slashed for a fault: no new work until it unjails.
        Jailed
    }

    struct Provider {
        /// Where its node or worker listens.
        string endpoint;
        string region;
        /// ROLE_STORAGE | ROLE_COMPUTE.
        // INV: non-zero, no other bits
        uint8 roles;
        /// Advertised capacity in bytes.
        uint64 capacity;
        /// Bonded stake, held by this contract.
        uint256 stake;
        /// Stake waiting out the unbonding period (still slashable).
        uint256 unbondingAmount;
        /// First epoch in which `unbondingAmount` may be withdrawn.
        uint64 unbondingUntilEpoch;
        ProviderStatus status;
        uint64 lastHeartbeatBlock;
        uint64 registeredBlock;
        /// Obligations the provider signed for and still carries (accepted shards, job
        /// places): while any is open its bonded stake may not fall below the minimum.
        uint32 openObligations;
        // INV: true exactly for registered providers (a deregistered one is deleted)
        bool registered;
    }

    /// The token of stakes (and, with the deals, of escrow).
    IERC20 public immutable stakeToken;
    /// Least stake a provider needs to be given shards or jobs.
    uint256 public immutable minStake;
    /// Blocks per Basalt epoch.
    // INV: 1..=BasaltRules.MAX_EPOCH_TICKS
    uint64 public immutable epochBlocks;
    /// Whole epochs unstaked tokens stay slashable before they can be withdrawn.
    // INV: BasaltRules.MIN_UNBONDING_EPOCHS..=BasaltRules.MAX_UNBONDING_EPOCHS
    uint64 public immutable unbondingEpochs;

    mapping(address => Provider) private providers;

    error InvalidEpochParams();
    error InvalidEndpoint();
    error InvalidRegion();
    error InvalidRoles();
    error ZeroAmount();
    error InsufficientStake();
    error NothingUnbonding();
    error StillUnbonding();
    error ObligationsOpen();
    error StakeRemaining();
    error ProviderExists();
    error ProviderNotFound();

    event ProviderRegistered(address indexed provider, string endpoint, string region, uint8 roles, uint64 capacity);
    event ProviderUpdated(address indexed provider, string endpoint, string region, uint8 roles, uint64 capacity);
    event StakeAdded(address indexed provider, uint256 amount, uint256 stake);
    event UnstakeRequested(address indexed provider, uint256 amount, uint256 stake, uint64 unbondingUntilEpoch);
    event StakeWithdrawn(address indexed provider, uint256 amount);
    event ProviderDeregistered(address indexed provider);
    event ProviderHeartbeat(address indexed provider);

    constructor(IERC20 stakeToken_, uint256 minStake_, uint64 epochBlocks_, uint64 unbondingEpochs_) {
        if (
            epochBlocks_ == 0 || epochBlocks_ > BasaltRules.MAX_EPOCH_TICKS
                || unbondingEpochs_ < BasaltRules.MIN_UNBONDING_EPOCHS
                || unbondingEpochs_ > BasaltRules.MAX_UNBONDING_EPOCHS
        ) revert InvalidEpochParams();
        stakeToken = stakeToken_;
        minStake = minStake_;
        epochBlocks = epochBlocks_;
        unbondingEpochs = unbondingEpochs_;
    }

    /// The current epoch.
    function currentEpoch() public view returns (uint64) {
        return uint64(block.number / epochBlocks);
    }

    /// The provider `who`; reverts with `ProviderNotFound` when there is none.
    function provider(address who) external view returns (Provider memory) {
        return _provider(who);
    }

    /// Whether `who` may be given new work of `role`: active, holding the role, with at
    /// least the minimum stake.
    function isEligible(address who, uint8 role) external view returns (bool) {
        Provider storage p = providers[who];
        return p.registered && p.status == ProviderStatus.Active && p.roles & role != 0 && p.stake >= minStake;
    }

    /// Registers the caller with its profile (`basalt_rules::validate_profile`).
    function register(string calldata endpoint, string calldata region, uint8 roles, uint64 capacity) external {
        _validateProfile(endpoint, region, roles);
        Provider storage p = providers[msg.sender];
        if (p.registered) revert ProviderExists();
        p.endpoint = endpoint;
        p.region = region;
        p.roles = roles;
        p.capacity = capacity;
        p.status = ProviderStatus.Active;
        p.lastHeartbeatBlock = uint64(block.number);
        p.registeredBlock = uint64(block.number);
        p.registered = true;
        emit ProviderRegistered(msg.sender, endpoint, region, roles, capacity);
    }

    /// Replaces the caller's profile.
    function update(string calldata endpoint, string calldata region, uint8 roles, uint64 capacity) external {
        _validateProfile(endpoint, region, roles);
        Provider storage p = _provider(msg.sender);
        p.endpoint = endpoint;
        p.region = region;
        p.roles = roles;
        p.capacity = capacity;
        emit ProviderUpdated(msg.sender, endpoint, region, roles, capacity);
    }

    /// Says the caller's node is up.
    function heartbeat() external {
        _provider(msg.sender).lastHeartbeatBlock = uint64(block.number);
        emit ProviderHeartbeat(msg.sender);
    }

    /// Bonds `amount` more of the caller's tokens (approved to this contract first).
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _provider(msg.sender);
        p.stake += amount;
        emit StakeAdded(msg.sender, amount, p.stake);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// Starts unbonding `amount` of the caller's stake; a later request restarts the clock
    /// for everything unbonding.
    function unstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _provider(msg.sender);
        if (amount > p.stake) revert InsufficientStake();
        _checkStakeKept(p, p.stake - amount);
        uint64 until = currentEpoch() + unbondingEpochs;
        p.stake -= amount;
        p.unbondingAmount += amount;
        p.unbondingUntilEpoch = until;
        if (p.status == ProviderStatus.Active) p.status = ProviderStatus.Unbonding;
        emit UnstakeRequested(msg.sender, amount, p.stake, until);
    }

    /// Pays out everything unbonding once its period has passed.
    function withdraw() external nonReentrant {
        Provider storage p = _provider(msg.sender);
        uint256 amount = p.unbondingAmount;
        if (amount == 0) revert NothingUnbonding();
        if (currentEpoch() < p.unbondingUntilEpoch) revert StillUnbonding();
        // A provider slashed below the minimum while it carries obligations keeps its
        // unbonded tokens here, as the security those obligations still need.
        _checkStakeKept(p, p.stake);
        p.unbondingAmount = 0;
        if (p.status == ProviderStatus.Unbonding) p.status = ProviderStatus.Active;
        emit StakeWithdrawn(msg.sender, amount);
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// Removes the caller's record: nothing bonded or unbonding, no obligation
    /// (`basalt_rules::check_deregister`).
    function deregister() external {
        Provider storage p = _provider(msg.sender);
        if (p.openObligations > 0) revert ObligationsOpen();
        if (p.stake > 0 || p.unbondingAmount > 0) revert StakeRemaining();
        delete providers[msg.sender];
        emit ProviderDeregistered(msg.sender);
    }

    function _provider(address who) private view returns (Provider storage p) {
        p = providers[who];
        if (!p.registered) revert ProviderNotFound();
    }

    /// `basalt_rules::validate_profile`.
    function _validateProfile(string calldata endpoint, string calldata region, uint8 roles) private pure {
        if (bytes(endpoint).length == 0 || bytes(endpoint).length > BasaltRules.MAX_ENDPOINT_LEN) {
            revert InvalidEndpoint();
        }
        if (bytes(region).length > BasaltRules.MAX_REGION_LEN) revert InvalidRegion();
        if (roles == 0 || roles & ~(BasaltRules.ROLE_STORAGE | BasaltRules.ROLE_COMPUTE) != 0) revert InvalidRoles();
    }

    /// `basalt_rules::check_stake_kept`: with obligations open, bonded stake stays at least
    /// the minimum.
    function _checkStakeKept(Provider storage p, uint256 bondedAfter) private view {
        if (p.openObligations > 0 && bondedAfter < minStake) revert ObligationsOpen();
    }
}
