// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {BasaltConfig, Params} from "./BasaltConfig.sol";
import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// The provider registry and staking, as the Solana program's `provider_*` instructions
/// and the NEAR contract's provider methods: a provider registers its profile, bonds stake
/// in the configuration's stake token, and unbonds it over `unbonding_epochs` epochs during
/// which it stays slashable. A provider is its own address (the Solana program's
/// authority). The protocol's other contracts (`BasaltConfig.blobs`, `.jobs`) count the
/// obligations a provider signs for and take stake for its faults; nothing else can.
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
        /// Last epoch of the current jail term.
        uint64 jailedUntilEpoch;
        /// Raised for each agreeing job result, lowered for each fault or no-show.
        int64 reputation;
        uint64 lastHeartbeatBlock;
        uint64 registeredBlock;
        /// Epoch of the latest proof slash, and how many took stake in it
        /// (`basalt_rules::SlashCounter`).
        // INV: slashesInEpoch <= the max_slashes_per_epoch in force when it was counted
        uint64 slashEpoch;
        uint16 slashesInEpoch;
        /// Obligations the provider signed for and still carries (accepted shards, job
        /// places): while any is open its bonded stake may not fall below the minimum.
        // INV: == accepted shard slots naming this provider + its unsettled job places
        uint32 openObligations;
        // INV: true exactly for registered providers (a deregistered one is deleted)
        bool registered;
    }

    BasaltConfig public immutable config;
    /// The configuration's stake token, read once.
    IERC20 public immutable stakeToken;
    /// The configuration's epoch length, read once (it never changes).
    uint64 public immutable epochBlocks;

    mapping(address => Provider) private providers;

    event ProviderRegistered(address indexed provider, string endpoint, string region, uint8 roles, uint64 capacity);
    event ProviderUpdated(address indexed provider, string endpoint, string region, uint8 roles, uint64 capacity);
    event StakeAdded(address indexed provider, uint256 amount, uint256 stake);
    event UnstakeRequested(address indexed provider, uint256 amount, uint256 stake, uint64 unbondingUntilEpoch);
    event StakeWithdrawn(address indexed provider, uint256 amount);
    event ProviderDeregistered(address indexed provider);
    event ProviderHeartbeat(address indexed provider);
    event ProviderUnjailed(address indexed provider);
    /// A provider lost `amount` of stake: `bounty` to `beneficiary`, the rest to the
    /// treasury. `subject` is the blob (missed proof) or job (disagreeing result) the fault
    /// is about. Emitted with `amount` 0 beyond the per-epoch cap: the jail still applies.
    event ProviderSlashed(
        address indexed provider,
        uint256 amount,
        uint256 bounty,
        address beneficiary,
        bytes32 indexed subject,
        int64 reputation,
        uint64 jailedUntilEpoch
    );
    /// A provider paid `amount` from its stake to `to` (an evicted holder's repair charge,
    /// into the deal that owes the next holder).
    event ProviderCharged(address indexed provider, uint256 amount, address to, bytes32 indexed subject);
    event ObligationOpened(address indexed provider, uint32 openObligations);
    event ObligationClosed(address indexed provider, uint32 openObligations);

    /// Only the protocol's storage and jobs contracts.
    modifier onlyProtocol() {
        if (msg.sender != config.blobs() && msg.sender != config.jobs()) revert NotProtocol();
        _;
    }

    constructor(BasaltConfig config_) {
        config = config_;
        stakeToken = config_.stakeToken();
        epochBlocks = config_.epochBlocks();
    }

    /// The current epoch.
    function currentEpoch() public view returns (uint64) {
        return uint64(block.number / epochBlocks);
    }

    /// The provider `who`; reverts with `ProviderNotFound` when there is none.
    function provider(address who) external view returns (Provider memory) {
        return _provider(who);
    }

    /// Whether `who` may be given new work of `role`: active (neither unbonding nor
    /// jailed), holding the role, with at least the minimum stake.
    function isEligible(address who, uint8 role) public view returns (bool) {
        Provider storage p = providers[who];
        return p.registered && p.status == ProviderStatus.Active && p.roles & role != 0
            && p.stake >= config.params().min_stake;
    }

    /// When `who` last heartbeated and registered (blocks): what `basalt_rules::HolderSilence`
    /// judges an eviction by.
    function silence(address who) external view returns (uint64 lastHeartbeatBlock, uint64 registeredBlock) {
        Provider storage p = _provider(who);
        return (p.lastHeartbeatBlock, p.registeredBlock);
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
        Params memory params = config.params();
        _checkStakeKept(p, p.stake - amount, params.min_stake);
        uint64 until = currentEpoch() + params.unbonding_epochs;
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
        _checkStakeKept(p, p.stake, config.params().min_stake);
        p.unbondingAmount = 0;
        if (p.status == ProviderStatus.Unbonding) p.status = ProviderStatus.Active;
        emit StakeWithdrawn(msg.sender, amount);
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// Ends the caller's jail term once it has passed and its stake is back at the minimum.
    function unjail() external {
        Provider storage p = _provider(msg.sender);
        if (p.status != ProviderStatus.Jailed) revert NotJailed();
        if (currentEpoch() <= p.jailedUntilEpoch || p.stake < config.params().min_stake) revert CannotUnjail();
        p.status = p.unbondingAmount > 0 ? ProviderStatus.Unbonding : ProviderStatus.Active;
        emit ProviderUnjailed(msg.sender);
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

    /// Counts an obligation `who` just signed for (a shard it accepted, a job place it
    /// took); the protocol's contracts only.
    function openObligation(address who) external onlyProtocol {
        Provider storage p = _provider(who);
        p.openObligations += 1;
        emit ObligationOpened(who, p.openObligations);
    }

    /// Counts an obligation of `who` that ended (released, deleted, settled); the
    /// protocol's contracts only.
    function closeObligation(address who) external onlyProtocol {
        Provider storage p = _provider(who);
        _close(p);
        emit ObligationClosed(who, p.openObligations);
    }

    /// `who` missed a storage proof of `subject` (a blob) that `cranker` proved: the
    /// obligation ends (the shard goes to repair), its reputation drops, it is jailed for
    /// the rest of this epoch and the next, and, unless it was already slashed
    /// `max_slashes_per_epoch` times this epoch, it loses `proof_slash_bps` of its
    /// slashable tokens: `bounty_bps` of that to the cranker, the rest to the treasury.
    /// The protocol's contracts only. Returns the amount taken.
    ///
    /// # Errors
    ///
    /// `SelfSlash` when the cranker is the provider (`basalt_rules::check_slasher`).
    function slashMissedProof(address who, address cranker, bytes32 subject)
        external
        onlyProtocol
        nonReentrant
        returns (uint256 amount)
    {
        if (cranker == who) revert SelfSlash();
        Params memory params = config.params();
        Provider storage p = _provider(who);
        uint64 epoch = currentEpoch();
        if (_countSlash(p, epoch, params.max_slashes_per_epoch)) {
            amount = _take(p, _bpsOf(p.stake + p.unbondingAmount, params.proof_slash_bps));
        }
        _close(p);
        _jail(p, epoch);
        uint256 bounty = _bpsOf(amount, params.bounty_bps);
        emit ProviderSlashed(who, amount, bounty, cranker, subject, p.reputation, p.jailedUntilEpoch);
        emit ObligationClosed(who, p.openObligations);
        if (bounty > 0) stakeToken.safeTransfer(cranker, bounty);
        if (amount > bounty) stakeToken.safeTransfer(config.treasury(), amount - bounty);
    }

    /// `who` lost shard slot of `subject` to an eviction: the obligation ends and it pays
    /// up to `amount` from its slashable tokens (bonded first) to `to`, the protocol's
    /// contract holding the deal's escrow. The protocol's contracts only. Returns what it
    /// paid: all it has when that is less.
    function chargeEviction(address who, uint256 amount, address to, bytes32 subject)
        external
        onlyProtocol
        nonReentrant
        returns (uint256 charged)
    {
        Provider storage p = _provider(who);
        _close(p);
        charged = _take(p, amount);
        emit ObligationClosed(who, p.openObligations);
        emit ProviderCharged(who, charged, to, subject);
        if (charged > 0) stakeToken.safeTransfer(to, charged);
    }

    /// `who`'s place in job `job` ended (`basalt_rules::JobOutcome`): the obligation ends,
    /// its reputation moves by `reputationChange` (+1 paid, -1 a disagreeing result or a
    /// no-show, 0 otherwise), and when `slash` (a disagreeing result under a strict
    /// majority) it loses `job_slash_bps` of its slashable tokens to the treasury. The
    /// protocol's contracts only. Returns the amount taken and the reputation after.
    function settleJobPlace(address who, int8 reputationChange, bool slash, bytes32 job)
        external
        onlyProtocol
        nonReentrant
        returns (uint256 slashed, int64 reputation)
    {
        Provider storage p = _provider(who);
        _close(p);
        if (reputationChange > 0 && p.reputation < type(int64).max) p.reputation += 1;
        if (reputationChange < 0 && p.reputation > type(int64).min) p.reputation -= 1;
        reputation = p.reputation;
        if (slash) slashed = _take(p, _bpsOf(p.stake + p.unbondingAmount, config.params().job_slash_bps));
        emit ObligationClosed(who, p.openObligations);
        if (slashed > 0) {
            address treasury = config.treasury();
            emit ProviderSlashed(who, slashed, 0, treasury, job, p.reputation, p.jailedUntilEpoch);
            stakeToken.safeTransfer(treasury, slashed);
        }
    }

    /// `who`'s bonded stake (0 for no provider): its weight in a job's selection.
    function bondedStake(address who) external view returns (uint256) {
        return providers[who].stake;
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
    function _checkStakeKept(Provider storage p, uint256 bondedAfter, uint256 minStake) private view {
        if (p.openObligations > 0 && bondedAfter < minStake) revert ObligationsOpen();
    }

    function _close(Provider storage p) private {
        // INV above: every close follows its open, so this never goes below zero.
        if (p.openObligations > 0) p.openObligations -= 1;
    }

    /// `basalt_rules::SlashCounter::record`: whether a slash in `epoch` may take stake.
    function _countSlash(Provider storage p, uint64 epoch, uint16 cap) private returns (bool) {
        if (epoch != p.slashEpoch) {
            p.slashEpoch = epoch;
            p.slashesInEpoch = 0;
        }
        if (p.slashesInEpoch >= cap) return false;
        p.slashesInEpoch += 1;
        return true;
    }

    /// `basalt_rules::Slash::up_to`: up to `amount` of the slashable tokens, bonded first.
    function _take(Provider storage p, uint256 amount) private returns (uint256) {
        uint256 fromStake = amount < p.stake ? amount : p.stake;
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < p.unbondingAmount ? rest : p.unbondingAmount;
        p.stake -= fromStake;
        p.unbondingAmount -= fromUnbonding;
        return fromStake + fromUnbonding;
    }

    /// Jails `p` for the rest of `epoch` and the next one, and lowers its reputation.
    function _jail(Provider storage p, uint64 epoch) private {
        p.status = ProviderStatus.Jailed;
        p.jailedUntilEpoch = epoch + 1;
        if (p.reputation > type(int64).min) p.reputation -= 1;
    }

    /// `basalt_rules::bps_of`: `amount * bps / 10000`, rounded down, `bps` capped at 100 %
    /// (exact for every uint256 amount: `mulDiv` keeps the 512-bit product).
    function _bpsOf(uint256 amount, uint16 bps) private pure returns (uint256) {
        return Math.mulDiv(amount, bps > BasaltRules.BPS ? BasaltRules.BPS : bps, BasaltRules.BPS);
    }
}
