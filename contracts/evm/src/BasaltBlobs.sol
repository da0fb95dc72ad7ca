// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {BasaltChecks} from "./BasaltChecks.sol";
import {BasaltConfig, Params} from "./BasaltConfig.sol";
import {BasaltProof} from "./BasaltProof.sol";
import {BasaltProviders} from "./BasaltProviders.sol";
import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// Storage: blobs, the consented placement of their shards, storage proofs, the deals that
/// pay for proven epochs, and who may read or change a blob (grants, public flag, token
/// gate), as the Solana program's `blob_*`, `shard_*`, `proof_*`, `deal_*` and `grant_*`
/// instructions.
///
/// A placement is an offer: the holder answers for a shard (proofs, slashes, pay) only once
/// it accepts it with its own transaction, naming the column root, expiry and price it
/// signs for (`accept`). The blob becomes active when every index is accepted; from then on
/// each holder proves one challenged leaf per epoch, and the deal pays the holder for every
/// proven epoch. A missed proof is slashed by anyone (`slashMissedProof`, through the
/// registry); a silent holder is evicted and pays the repair (`evict`). Every loop runs over
/// a blob's shards, at most `MAX_BLOB_SHARDS`.
contract BasaltBlobs is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// What a client commits to when it registers a blob (computed by `basalt-core`).
    struct BlobArgs {
        /// BLAKE3 digest of the stored bytes; the CID is CIDv1(raw, blake3, this digest).
        bytes32 cidDigest;
        /// Stored size in bytes (after encryption, before erasure coding).
        uint64 size;
        uint32 chunkSize;
        uint32 leafSize;
        uint16 k;
        uint16 m;
        /// Merkle root over the shards' column roots (`basalt_proof::commitment_root`).
        bytes32 commitmentRoot;
        /// First epoch in which the blob is no longer stored or paid for.
        uint64 expiryEpoch;
        bool isPublic;
        /// The stored bytes are ciphertext.
        bool encrypted;
    }

    struct Blob {
        address owner;
        /// Every slot is accepted: the holders owe proofs and the deal pays. Stays set.
        bool active;
        bool isPublic;
        bool encrypted;
        uint16 k;
        uint16 m;
        /// Indices with a holder, and indices whose holder accepted.
        // INV: acceptedCount <= placedCount <= k + m
        uint16 placedCount;
        uint16 acceptedCount;
        /// Grants on the blob: it is deleted only once none is left.
        // INV: == the number of grants[id][*] with roles != 0
        uint32 grantCount;
        bytes32 cidDigest;
        bytes32 commitmentRoot;
        uint64 size;
        uint32 chunkSize;
        uint32 leafSize;
        uint32 chunkCount;
        uint64 expiryEpoch;
        uint64 createdBlock;
        /// The epoch the blob became active in: no holder owes a proof of it or earlier
        /// (`basalt_rules::assigned_at_activation`, applied when a slot is read).
        uint64 activatedEpoch;
        /// Proven epochs of every shard not yet paid: what the deal owes first.
        // INV: == the sum of the slots' unpaidEpochs
        uint64 owedEpochs;
        /// Who else may place the shards until the blob is active (a job's worker
        /// registering its output for the requester); zero for a blob its owner registered.
        address writer;
        /// Holders of at least `gateMinBalance` of `gateToken` may read; zero for no gate.
        address gateToken;
        uint256 gateMinBalance;
    }

    /// One shard index: who holds it and its proof state (`basalt_rules::SlotState`).
    struct Slot {
        /// Zero while unplaced.
        address provider;
        /// First epoch the holder must prove (before the activation's floor, see `Blob`).
        uint64 assignedEpoch;
        bool needsRepair;
        bool accepted;
        bytes32 columnRoot;
        /// Latest proven epoch, meaningful only when `provenMask != 0`; bit i of the mask:
        /// epoch `lastProvenEpoch - i` was proven.
        uint64 lastProvenEpoch;
        uint64 provenMask;
        uint64 unpaidEpochs;
        /// Last block the holder may accept the latest placement at.
        uint64 acceptBy;
        /// The price per shard-epoch the holder accepted; 0 until it did.
        uint128 acceptedPrice;
    }

    /// The terms a holder signs when it accepts an index (`basalt_rules::Terms`).
    struct Terms {
        bytes32 columnRoot;
        uint64 expiryEpoch;
        uint128 pricePerShardEpoch;
    }

    struct Deal {
        /// Funded the deal; receives the refund. Zero: no deal.
        address payer;
        uint128 pricePerShardEpoch;
        /// Escrow not yet paid out, held by this contract.
        // INV: this contract's token balance >= the sum of every deal's balance
        uint128 balance;
        uint128 totalPaid;
    }

    struct Grant {
        /// Bits of ROLE_READ | ROLE_WRITE | ROLE_DELETE; 0: no grant.
        uint8 roles;
        /// Unix time from which it no longer applies; 0: never.
        uint64 expiresAt;
        address grantedBy;
        /// The blob's data key sealed to the grantee.
        bytes wrappedKey;
    }

    /// `basalt_rules::ReadDecision`, in its order.
    enum ReadDecision {
        Owner,
        Public,
        Grant,
        TokenGate,
        DenyUnregistered,
        DenyInactive,
        DenyExpired,
        Deny
    }

    BasaltConfig public immutable config;
    BasaltProviders public immutable providers;
    IERC20 public immutable stakeToken;
    uint64 public immutable epochBlocks;
    uint64 public immutable proofWindowBlocks;

    mapping(bytes32 => Blob) private blobs;
    mapping(bytes32 => mapping(uint256 => Slot)) private slots;
    /// index + 1 of the slot a provider holds in a blob; 0: none.
    // INV: holderIndex[id][a] == i + 1 exactly when slots[id][i].provider == a
    mapping(bytes32 => mapping(address => uint256)) private holderIndex;
    mapping(bytes32 => Deal) private deals;
    mapping(bytes32 => mapping(address => Grant)) private grants;

    /// A blob registered with `args` (its whole description); `chunkCount` follows from them.
    event BlobRegistered(bytes32 indexed blob, address indexed owner, BlobArgs args, uint32 chunkCount);
    event ShardPlaced(
        bytes32 indexed blob, uint16 index, address indexed provider, address previous, uint64 assignedEpoch
    );
    event ShardAccepted(
        bytes32 indexed blob, uint16 index, address indexed provider, uint64 assignedEpoch, uint128 pricePerShardEpoch
    );
    event BlobActivated(bytes32 indexed blob);
    event ShardReleased(bytes32 indexed blob, uint16 index, address indexed provider);
    event ShardEvicted(
        bytes32 indexed blob,
        uint16 index,
        address indexed provider,
        uint64 lastHeartbeatBlock,
        uint256 charged,
        address cranker
    );
    event ProofAccepted(
        bytes32 indexed blob, uint16 index, address indexed provider, uint64 epoch, uint32 chunk, uint32 leaf
    );
    event ProofMissed(bytes32 indexed blob, uint16 index, address indexed provider, uint64 epoch, address cranker);
    event DealFunded(
        bytes32 indexed blob, address indexed payer, uint128 pricePerShardEpoch, uint128 amount, uint128 balance
    );
    event DealSettled(
        bytes32 indexed blob,
        uint16 index,
        address indexed provider,
        uint64 epochsPaid,
        uint64 epochsOwed,
        uint128 amount,
        uint128 balance
    );
    event DealRefunded(bytes32 indexed blob, address indexed payer, uint128 amount);
    event BlobDeleted(bytes32 indexed blob, address by);
    event GrantCreated(bytes32 indexed blob, address indexed grantee, uint8 roles, uint64 expiresAt, address grantedBy);
    event GrantRevoked(bytes32 indexed blob, address indexed grantee, address revokedBy);
    event BlobAccessChanged(bytes32 indexed blob, bool isPublic, address gateToken, uint256 gateMinBalance);

    constructor(BasaltConfig config_, BasaltProviders providers_) {
        config = config_;
        providers = providers_;
        stakeToken = config_.stakeToken();
        epochBlocks = config_.epochBlocks();
        proofWindowBlocks = config_.proofWindowBlocks();
    }

    // ---------------------------------------------------------------- views

    /// A blob's id: its owner's registration of some content, so registering a digest first
    /// blocks nobody else from storing it (the Solana program's `["blob", owner, digest]`).
    function blobId(address owner, bytes32 cidDigest) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, cidDigest));
    }

    function currentEpoch() public view returns (uint64) {
        return uint64(block.number / epochBlocks);
    }

    /// The blob `id`; reverts with `BlobNotFound` when there is none.
    function blob(bytes32 id) external view returns (Blob memory) {
        return _blob(id);
    }

    /// Shard `index` of blob `id`, with the first epoch its holder owes as it applies now.
    function slot(bytes32 id, uint16 index) external view returns (Slot memory s) {
        Blob storage b = _blob(id);
        s = _slot(id, b, index);
        s.assignedEpoch = _assigned(b, slots[id][index]);
    }

    /// Whether `who` may act on blob `id` with every bit of `roles` now: its owner, or the
    /// holder of an unexpired grant with them, the check `deleteBlob` makes of its caller.
    /// Reverts `BlobNotFound`.
    function mayAct(bytes32 id, address who, uint8 roles) external view returns (bool) {
        Blob storage b = _blob(id);
        return who == b.owner || _allows(grants[id][who], roles);
    }

    /// The deal of blob `id` (all zero when it has none).
    function deal(bytes32 id) external view returns (Deal memory) {
        return deals[id];
    }

    /// The grant `grantee` holds on blob `id` (roles 0 when none).
    function grant(bytes32 id, address grantee) external view returns (Grant memory) {
        return grants[id][grantee];
    }

    /// Whether `reader` may read blob `id`: `basalt_rules::decide_read` over this chain's
    /// records, the token gate included. What a storage node asks before serving shards.
    function readDecision(bytes32 id, address reader) external view returns (ReadDecision) {
        Blob storage b = blobs[id];
        if (b.owner == address(0)) return ReadDecision.DenyUnregistered;
        if (b.placedCount < b.k + b.m) return ReadDecision.DenyInactive;
        if (currentEpoch() >= b.expiryEpoch) return ReadDecision.DenyExpired;
        if (reader == b.owner) return ReadDecision.Owner;
        if (b.isPublic) return ReadDecision.Public;
        if (_allows(grants[id][reader], BasaltRules.ROLE_READ)) return ReadDecision.Grant;
        if (b.gateToken != address(0)) {
            (bool known, uint256 balance) = _gateBalance(b.gateToken, reader);
            if (known && balance >= b.gateMinBalance) return ReadDecision.TokenGate;
        }
        return ReadDecision.Deny;
    }

    /// The chunk and leaf shard `index` of blob `id` must prove in `epoch` (the current
    /// epoch, or one whose first block is among the newest 256).
    ///
    /// # Errors
    ///
    /// `SeedUnavailable` when the epoch's first block is not yet mined or too old;
    /// `InvalidLayout` for an empty blob.
    function challengeOf(bytes32 id, uint16 index, uint64 epoch) external view returns (uint32 chunk, uint32 leaf) {
        Blob storage b = _blob(id);
        return _challenge(b, index, epoch, _seed(epoch));
    }

    /// `BlobLayout::with_leaf_size`, for clients: whether the layout is accepted, and its
    /// chunk count.
    function checkLayout(uint64 size, uint32 chunkSize, uint16 k, uint16 m, uint32 leafSize)
        external
        pure
        returns (bool ok, uint32 chunkCount)
    {
        (BasaltProof.Layout memory l, bool valid) = BasaltProof.layout(size, chunkSize, k, m, leafSize);
        return (valid, l.chunkCount);
    }

    // ---------------------------------------------------------------- blobs

    /// Registers a blob of the caller with its shards unplaced; `place` places them.
    ///
    /// # Errors
    ///
    /// `BlobExists`, `TooManyShards`, `InvalidLayout`, `InvalidExpiry`.
    function register(BlobArgs calldata args) external returns (bytes32 id) {
        return _register(msg.sender, address(0), args);
    }

    /// Registers a job's output for its requester `owner`, as the jobs contract decided
    /// (`basalt_rules::OutputRegistration`), with `writer` (the registering worker) allowed
    /// to place it, and opens its deal: `owner` the payer, `budget` the balance, which the
    /// jobs contract has moved here. The jobs contract only.
    ///
    /// # Errors
    ///
    /// `NotProtocol`, and what `register` refuses.
    function registerOutput(address owner, address writer, BlobArgs calldata args, uint128 price, uint128 budget)
        external
        returns (bytes32 id)
    {
        if (msg.sender != config.jobs()) revert NotProtocol();
        id = _register(owner, writer, args);
        deals[id] = Deal(owner, price, budget, 0);
        emit DealFunded(id, owner, price, budget, budget);
    }

    function _register(address owner, address writer, BlobArgs calldata args) private returns (bytes32 id) {
        if (uint256(args.k) + args.m > BasaltRules.MAX_BLOB_SHARDS) revert TooManyShards();
        (BasaltProof.Layout memory l, bool ok) =
            BasaltProof.layout(args.size, args.chunkSize, args.k, args.m, args.leafSize);
        if (!ok) revert InvalidLayout();
        uint64 epoch = currentEpoch();
        // basalt_rules::check_expiry
        if (args.expiryEpoch <= epoch || args.expiryEpoch - epoch > config.params().max_deal_epochs) {
            revert InvalidExpiry();
        }
        id = blobId(owner, args.cidDigest);
        Blob storage b = blobs[id];
        if (b.owner != address(0)) revert BlobExists();
        b.owner = owner;
        b.writer = writer;
        b.isPublic = args.isPublic;
        b.encrypted = args.encrypted;
        b.k = args.k;
        b.m = args.m;
        b.cidDigest = args.cidDigest;
        b.commitmentRoot = args.commitmentRoot;
        b.size = args.size;
        b.chunkSize = args.chunkSize;
        b.leafSize = args.leafSize;
        b.chunkCount = l.chunkCount;
        b.expiryEpoch = args.expiryEpoch;
        b.createdBlock = uint64(block.number);
        emit BlobRegistered(id, owner, args, l.chunkCount);
    }

    /// Offers indices `first..first + holders.length` of blob `id` to `holders`, with the
    /// column root each must store. Until the blob is active only the owner (or a WRITE
    /// grantee, or the blob's writer) places; afterwards anyone may move an index awaiting
    /// repair, or whose offer lapsed, to another eligible provider, on the same column root
    /// (`basalt_rules::check_placement`). When the last index is placed the column roots
    /// must hash to the commitment root.
    ///
    /// # Errors
    ///
    /// `Unauthorized`/`GrantExpired`, `PlacementMismatch`, `ShardOutOfRange`, `BlobExpired`,
    /// `ProviderNotEligible`, `DuplicateProvider`, `ShardNotRepairable`, `ColumnRootChanged`,
    /// `UnsettledPayouts`, `CommitmentMismatch`.
    function place(bytes32 id, uint16 first, address[] calldata holders, bytes32[] calldata columnRoots) external {
        Blob storage b = _blob(id);
        bool wasActive = b.active;
        if (!wasActive && msg.sender != b.writer) _authorize(id, b, BasaltRules.ROLE_WRITE);
        if (holders.length == 0 || holders.length != columnRoots.length) revert PlacementMismatch();
        uint256 total = uint256(b.k) + b.m;
        if (uint256(first) + holders.length > total) revert ShardOutOfRange();
        uint64 epoch = currentEpoch();
        if (epoch >= b.expiryEpoch) revert BlobExpired();
        uint64 acceptWindow = config.params().accept_window_ticks;
        for (uint256 i = 0; i < holders.length; i++) {
            _placeOne(id, b, first + i, holders[i], columnRoots[i], epoch, acceptWindow);
        }
        // INV: whenever every index is placed, the column roots hash to the commitment root
        // (checked at each placement until activation; a repair keeps its index's root).
        if (!wasActive && b.placedCount == total) {
            bytes32[] memory roots = new bytes32[](total);
            for (uint256 i = 0; i < total; i++) {
                roots[i] = slots[id][i].columnRoot;
            }
            if (BasaltProof.commitmentRoot(roots) != b.commitmentRoot) revert CommitmentMismatch();
        }
    }

    /// The holder of index `index` accepts it on `terms`: the column root it checked its
    /// stored data against, the blob's expiry and the deal's price. From the next epoch on
    /// it owes proofs and is paid for them; its registry record counts the obligation. A
    /// repair of an active blob is owed one epoch of pay (`REPAIR_CREDIT_EPOCHS`).
    ///
    /// # Errors
    ///
    /// `BlobExpired`, `NotShardHolder`, and `basalt_rules::SlotState::accept`'s:
    /// `AlreadyAccepted`, `ShardNeedsRepair`, `AcceptanceLapsed`, `ColumnRootChanged`,
    /// `DealLapsed`, `TermsChanged`.
    function accept(bytes32 id, uint16 index, Terms calldata terms) external {
        Blob storage b = _blob(id);
        uint64 epoch = currentEpoch();
        if (epoch >= b.expiryEpoch) revert BlobExpired();
        Slot storage s = _holderSlot(id, b, index);
        if (s.accepted) revert AlreadyAccepted();
        if (s.needsRepair) revert ShardNeedsRepair();
        if (block.number > s.acceptBy) revert AcceptanceLapsed();
        if (terms.columnRoot != s.columnRoot) revert ColumnRootChanged();
        Deal storage d = deals[id];
        if (d.payer == address(0)) revert DealLapsed();
        if (terms.expiryEpoch != b.expiryEpoch || terms.pricePerShardEpoch != d.pricePerShardEpoch) {
            revert TermsChanged();
        }
        if (s.assignedEpoch < epoch + 1) s.assignedEpoch = epoch + 1;
        s.accepted = true;
        s.acceptedPrice = d.pricePerShardEpoch;
        if (b.active) {
            s.unpaidEpochs += BasaltRules.REPAIR_CREDIT_EPOCHS;
            b.owedEpochs += BasaltRules.REPAIR_CREDIT_EPOCHS;
        }
        b.acceptedCount += 1;
        bool activated = !b.active && b.acceptedCount == b.k + b.m;
        if (activated) {
            b.active = true;
            b.activatedEpoch = epoch;
        }
        emit ShardAccepted(id, index, msg.sender, _assigned(b, s), s.acceptedPrice);
        if (activated) emit BlobActivated(id);
        providers.openObligation(msg.sender);
    }

    /// The holder of `index` walks away from it without penalty once the blob expired or its
    /// deal no longer pays for it; the epochs the deal can pay must be settled first
    /// (`basalt_rules::check_release`). The index awaits repair.
    ///
    /// # Errors
    ///
    /// `NotShardHolder`, `ShardNotAccepted`, `DealStillFunded`, `UnsettledPayouts`.
    function release(bytes32 id, uint16 index) external {
        Blob storage b = _blob(id);
        Slot storage s = _holderSlot(id, b, index);
        if (!s.accepted) revert ShardNotAccepted();
        bool expired = currentEpoch() >= b.expiryEpoch;
        Deal storage d = deals[id];
        if (!expired && _slashable(b, d, s.acceptedPrice)) revert DealStillFunded();
        if (s.unpaidEpochs > 0 && d.payer != address(0) && _paysAnEpoch(d)) revert UnsettledPayouts();
        _toRepair(b, s);
        emit ShardReleased(id, index, msg.sender);
        providers.closeObligation(msg.sender);
    }

    /// Anyone sends index `index` to repair once its holder has been silent (no heartbeat,
    /// nor registration) for more than `offline_ticks` blocks. The holder is neither slashed
    /// nor jailed, but pays the repair from its stake into the deal
    /// (`basalt_rules::Eviction`); a miss already slashable is slashed instead.
    ///
    /// # Errors
    ///
    /// `BlobExpired`, `NotShardHolder`, `ShardNeedsRepair`, `ShardNotAccepted`,
    /// `HolderNotOffline`, `MissedProofPending`.
    function evict(bytes32 id, uint16 index) external nonReentrant {
        Blob storage b = _blob(id);
        if (currentEpoch() >= b.expiryEpoch) revert BlobExpired();
        Slot storage s = _slot(id, b, index);
        address holder = s.provider;
        if (holder == address(0)) revert NotShardHolder();
        if (s.needsRepair) revert ShardNeedsRepair();
        if (!s.accepted) revert ShardNotAccepted();
        (uint64 lastHeartbeat, uint64 registered) = providers.silence(holder);
        uint64 lastSign = lastHeartbeat > registered ? lastHeartbeat : registered;
        if (block.number <= lastSign || block.number - lastSign <= config.params().offline_ticks) {
            revert HolderNotOffline();
        }
        Deal storage d = deals[id];
        if (_slashableMiss(b, s, d)) revert MissedProofPending();
        uint256 charge = b.active && d.payer != address(0) ? uint256(s.acceptedPrice) * BasaltRules.REPAIR_CREDIT_EPOCHS : 0;
        _toRepair(b, s);
        uint256 charged = providers.chargeEviction(holder, charge, address(this), id);
        // INV: charged <= charge <= the deal's price, a uint128.
        d.balance += uint128(charged);
        emit ShardEvicted(id, index, holder, lastHeartbeat, charged, msg.sender);
    }

    /// Sets the public flag and the token gate (owner or an ADMIN grantee).
    function setAccess(bytes32 id, bool isPublic, address gateToken, uint256 gateMinBalance) external {
        Blob storage b = _blob(id);
        _authorize(id, b, BasaltRules.ROLE_ADMIN);
        b.isPublic = isPublic;
        b.gateToken = gateToken;
        b.gateMinBalance = gateMinBalance;
        emit BlobAccessChanged(id, isPublic, gateToken, gateMinBalance);
    }

    /// Deletes blob `id` (owner or a DELETE grantee): its deal must be refunded first, the
    /// grants of `grantees` are revoked with it and none may be left
    /// (`basalt_rules::check_no_grants`), and the obligations of the holders that accepted
    /// a shard end.
    ///
    /// # Errors
    ///
    /// `Unauthorized`/`GrantExpired`, `UnsettledPayouts` (a deal is open), `GrantsMismatch`,
    /// `GrantsOpen`.
    function deleteBlob(bytes32 id, address[] calldata grantees) external {
        Blob storage b = _blob(id);
        _authorize(id, b, BasaltRules.ROLE_DELETE);
        if (deals[id].payer != address(0)) revert UnsettledPayouts();
        for (uint256 i = 0; i < grantees.length; i++) {
            if (grants[id][grantees[i]].roles == 0) revert GrantsMismatch();
            delete grants[id][grantees[i]];
            emit GrantRevoked(id, grantees[i], msg.sender);
        }
        if (b.grantCount > grantees.length) revert GrantsOpen();
        uint256 total = uint256(b.k) + b.m;
        address[] memory released = new address[](b.acceptedCount);
        uint256 n = 0;
        for (uint256 i = 0; i < total; i++) {
            Slot storage s = slots[id][i];
            if (s.accepted) released[n++] = s.provider;
            delete holderIndex[id][s.provider];
            delete slots[id][i];
        }
        delete blobs[id];
        emit BlobDeleted(id, msg.sender);
        for (uint256 i = 0; i < n; i++) {
            providers.closeObligation(released[i]);
        }
    }

    // ---------------------------------------------------------------- grants

    /// Gives `grantee` `roles` on blob `id` until `expiresAt` (unix seconds, 0: never), with
    /// the blob's data key sealed to it. The owner or an ADMIN grantee signs.
    ///
    /// # Errors
    ///
    /// `Unauthorized`/`GrantExpired`, `InvalidGrantRoles`, `WrappedKeyTooLong`,
    /// `InvalidGrantExpiry` (`basalt_rules::NewGrant::check`), `GrantExists`.
    function createGrant(bytes32 id, address grantee, uint8 roles, uint64 expiresAt, bytes calldata wrappedKey)
        external
    {
        Blob storage b = _blob(id);
        _authorize(id, b, BasaltRules.ROLE_ADMIN);
        BasaltChecks.checkNewGrant(roles, wrappedKey.length, expiresAt);
        Grant storage g = grants[id][grantee];
        if (g.roles != 0) revert GrantExists();
        g.roles = roles;
        g.expiresAt = expiresAt;
        g.grantedBy = msg.sender;
        g.wrappedKey = wrappedKey;
        b.grantCount += 1;
        emit GrantCreated(id, grantee, roles, expiresAt, msg.sender);
    }

    /// Removes `grantee`'s grant: signed by the owner, an ADMIN grantee, or the grantee
    /// itself (renouncing).
    ///
    /// # Errors
    ///
    /// `GrantsMismatch` when it holds none; `Unauthorized`/`GrantExpired`.
    function revokeGrant(bytes32 id, address grantee) external {
        Blob storage b = _blob(id);
        if (grants[id][grantee].roles == 0) revert GrantsMismatch();
        if (grantee != msg.sender) _authorize(id, b, BasaltRules.ROLE_ADMIN);
        delete grants[id][grantee];
        b.grantCount -= 1;
        emit GrantRevoked(id, grantee, msg.sender);
    }

    // ---------------------------------------------------------------- deals

    /// Opens blob `id`'s deal: `amount` of the stake token into escrow (approved to this
    /// contract), and each holder earns `price` for every epoch it proves. Only the owner
    /// opens it (a stranger opening it first would fix the price). Epochs proven while the
    /// blob had no deal are not this deal's debt (`basalt_rules::unpaid_at_opening`).
    ///
    /// # Errors
    ///
    /// `ZeroPrice`, `ZeroAmount`, `Unauthorized`, `BlobExpired`, `DealExists`.
    function fundDeal(bytes32 id, uint128 price, uint128 amount) external nonReentrant {
        if (price == 0) revert ZeroPrice();
        if (amount == 0) revert ZeroAmount();
        Blob storage b = _blob(id);
        if (msg.sender != b.owner) revert Unauthorized();
        if (currentEpoch() >= b.expiryEpoch) revert BlobExpired();
        Deal storage d = deals[id];
        if (d.payer != address(0)) revert DealExists();
        uint256 total = uint256(b.k) + b.m;
        for (uint256 i = 0; i < total; i++) {
            slots[id][i].unpaidEpochs = 0;
        }
        b.owedEpochs = 0;
        d.payer = msg.sender;
        d.pricePerShardEpoch = price;
        d.balance = amount;
        d.totalPaid = 0;
        emit DealFunded(id, msg.sender, price, amount, amount);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// Adds escrow to blob `id`'s deal: the owner or a WRITE grantee.
    ///
    /// # Errors
    ///
    /// `ZeroAmount`, `Unauthorized`/`GrantExpired`, `DealMismatch` (no deal).
    function topUp(bytes32 id, uint128 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Blob storage b = _blob(id);
        _authorize(id, b, BasaltRules.ROLE_WRITE);
        Deal storage d = _deal(id);
        d.balance += amount;
        emit DealFunded(id, msg.sender, d.pricePerShardEpoch, amount, d.balance);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// Pays the holder of `index` for its proven, unpaid epochs, as many as the escrow
    /// covers (`basalt_rules::Settlement`); the rest stay owed. Anyone may call it.
    ///
    /// # Errors
    ///
    /// `ShardOutOfRange`, `DealMismatch` (no deal).
    function settle(bytes32 id, uint16 index) external nonReentrant {
        Blob storage b = _blob(id);
        Slot storage s = _slot(id, b, index);
        Deal storage d = _deal(id);
        uint256 affordable = d.balance / d.pricePerShardEpoch;
        uint64 paid = affordable < s.unpaidEpochs ? uint64(affordable) : s.unpaidEpochs;
        // INV: paid * price <= balance, a uint128.
        uint128 amount = uint128(uint256(paid) * d.pricePerShardEpoch);
        s.unpaidEpochs -= paid;
        b.owedEpochs -= paid;
        d.balance -= amount;
        d.totalPaid += amount;
        address holder = s.provider;
        emit DealSettled(id, index, holder, paid, s.unpaidEpochs, amount, d.balance);
        if (amount > 0) stakeToken.safeTransfer(holder, amount);
    }

    /// Returns the deal's escrow to its payer and closes it: after the blob expired (anyone
    /// may call it), or earlier by the owner or a DELETE grantee. Every shard must be
    /// settled first.
    ///
    /// # Errors
    ///
    /// `DealMismatch` (no deal), `Unauthorized`/`GrantExpired`, `UnsettledPayouts`.
    function refund(bytes32 id) external nonReentrant {
        Blob storage b = _blob(id);
        Deal storage d = _deal(id);
        if (currentEpoch() < b.expiryEpoch) _authorize(id, b, BasaltRules.ROLE_DELETE);
        if (b.owedEpochs != 0) revert UnsettledPayouts();
        address payer = d.payer;
        uint128 amount = d.balance;
        delete deals[id];
        emit DealRefunded(id, payer, amount);
        if (amount > 0) stakeToken.safeTransfer(payer, amount);
    }

    // ---------------------------------------------------------------- proofs

    /// The holder of `index` proves it stores the leaf the chain challenges in the current
    /// epoch: `leaf` and its `path` (shard tree, then column tree) must reach the index's
    /// column root (`basalt_proof::verify_storage_proof`). Accepted in the epoch's first
    /// `proofWindowBlocks` blocks after its first; the challenge's seed is the hash of that
    /// first block.
    ///
    /// # Errors
    ///
    /// `WrongEpoch`, `OutsideProofWindow`, `basalt_rules::check_provable`'s
    /// (`BlobNotActive`, `BlobExpired`, `NotShardHolder`, `ShardNeedsRepair`,
    /// `ShardNotAccepted`, `EpochBeforeAssignment`), `SeedUnavailable`, `InvalidProof`,
    /// `AlreadyProven`.
    function submitProof(bytes32 id, uint16 index, uint64 epoch, bytes calldata leaf, bytes32[] calldata path)
        external
    {
        Blob storage b = _blob(id);
        if (epoch != currentEpoch()) revert WrongEpoch();
        uint256 start = uint256(epoch) * epochBlocks;
        if (block.number <= start || block.number - start > proofWindowBlocks) revert OutsideProofWindow();
        Slot storage s = _slot(id, b, index);
        _checkProvable(b, s, epoch, s.provider == msg.sender);
        (uint32 chunk, uint32 leafIndex) = _challenge(b, index, epoch, _seed(epoch));
        if (!BasaltProof.verifyStorageProof(_layout(b), s.columnRoot, chunk, leafIndex, leaf, path)) {
            revert InvalidProof();
        }
        // basalt_rules::ProofRecord::record
        if (s.provenMask != 0) {
            if (epoch <= s.lastProvenEpoch) revert AlreadyProven();
            uint64 shift = epoch - s.lastProvenEpoch;
            s.provenMask = shift >= 64 ? 0 : s.provenMask << shift;
        }
        s.provenMask |= 1;
        s.lastProvenEpoch = epoch;
        s.unpaidEpochs += 1;
        b.owedEpochs += 1;
        emit ProofAccepted(id, index, msg.sender, epoch, chunk, leafIndex);
    }

    /// After the proof window of `epoch` closed without a proof of `index` (which its holder
    /// accepted and the deal still pays for at the accepted price), anyone may call this:
    /// the index goes to repair and the registry slashes and jails the holder, the caller
    /// getting the bounty.
    ///
    /// # Errors
    ///
    /// `InvalidLayout` (nothing to prove), `check_provable`'s, `SelfSlash`, `DealLapsed`,
    /// `DeadlineNotPassed`, `EpochWasProven`, `EpochTooOld`.
    function slashMissedProof(bytes32 id, uint16 index, uint64 epoch) external nonReentrant {
        Blob storage b = _blob(id);
        if (BasaltProof.columnLeaves(_layout(b)) == 0) revert InvalidLayout();
        Slot storage s = _slot(id, b, index);
        address holder = s.provider;
        _checkProvable(b, s, epoch, true);
        if (msg.sender == holder) revert SelfSlash();
        if (!_slashable(b, deals[id], s.acceptedPrice)) revert DealLapsed();
        if (block.number <= uint256(epoch) * epochBlocks + proofWindowBlocks) revert DeadlineNotPassed();
        (bool known, bool proven) = _isProven(s, epoch);
        if (!known) revert EpochTooOld();
        if (proven) revert EpochWasProven();
        _toRepair(b, s);
        emit ProofMissed(id, index, holder, epoch, msg.sender);
        providers.slashMissedProof(holder, msg.sender, id);
    }

    // ---------------------------------------------------------------- internals

    function _blob(bytes32 id) private view returns (Blob storage b) {
        b = blobs[id];
        if (b.owner == address(0)) revert BlobNotFound();
    }

    function _slot(bytes32 id, Blob storage b, uint256 index) private view returns (Slot storage) {
        if (index >= uint256(b.k) + b.m) revert ShardOutOfRange();
        return slots[id][index];
    }

    /// The slot of `index`, which the caller must hold.
    function _holderSlot(bytes32 id, Blob storage b, uint256 index) private view returns (Slot storage s) {
        s = _slot(id, b, index);
        if (s.provider == address(0) || s.provider != msg.sender) revert NotShardHolder();
    }

    function _deal(bytes32 id) private view returns (Deal storage d) {
        d = deals[id];
        if (d.payer == address(0)) revert DealMismatch();
    }

    function _layout(Blob storage b) private view returns (BasaltProof.Layout memory) {
        return BasaltProof.Layout(b.size, b.chunkSize, b.k, b.m, b.leafSize, b.chunkCount);
    }

    /// The first epoch the holder of `s` owes: its own, or the one after the activation
    /// (`basalt_rules::assigned_at_activation`).
    function _assigned(Blob storage b, Slot storage s) private view returns (uint64) {
        uint64 floor = b.active ? b.activatedEpoch + 1 : 0;
        return s.assignedEpoch > floor ? s.assignedEpoch : floor;
    }

    /// Checks that the caller may act on blob `id` with `roles`: the owner, or the holder of
    /// an unexpired grant with every bit of `roles`.
    function _authorize(bytes32 id, Blob storage b, uint8 roles) private view {
        if (msg.sender == b.owner) return;
        Grant storage g = grants[id][msg.sender];
        if (g.roles == 0 || g.roles & roles != roles) revert Unauthorized();
        if (_expired(g)) revert GrantExpired();
    }

    function _allows(Grant storage g, uint8 roles) private view returns (bool) {
        return g.roles & roles == roles && g.roles != 0 && !_expired(g);
    }

    function _expired(Grant storage g) private view returns (bool) {
        return g.expiresAt != 0 && block.timestamp >= g.expiresAt;
    }

    /// `reader`'s balance of the gate token, unknown (`basalt_rules::GateBalance::Unknown`,
    /// which denies) when the token does not answer `balanceOf`: it reverts, or is no
    /// contract (a raw static call, since Solidity's `try` cannot catch a missing
    /// contract's empty answer).
    function _gateBalance(address token, address reader) private view returns (bool known, uint256 balance) {
        (bool ok, bytes memory answer) = token.staticcall(abi.encodeCall(IERC20.balanceOf, (reader)));
        if (!ok || answer.length < 32) return (false, 0);
        return (true, abi.decode(answer, (uint256)));
    }

    /// One index of `place`.
    function _placeOne(
        bytes32 id,
        Blob storage b,
        uint256 index,
        address holder,
        bytes32 columnRoot,
        uint64 epoch,
        uint64 acceptWindow
    ) private {
        if (!providers.isEligible(holder, BasaltRules.ROLE_STORAGE)) revert ProviderNotEligible();
        uint256 held = holderIndex[id][holder];
        if (held != 0 && held != index + 1) revert DuplicateProvider();
        Slot storage s = slots[id][index];
        address previous = s.provider;
        // basalt_rules::check_placement
        if (s.accepted) revert ShardNotRepairable();
        if (b.active) {
            bool lapsed = previous != address(0) && block.number > s.acceptBy;
            if (!s.needsRepair && !lapsed) revert ShardNotRepairable();
            if (s.columnRoot != columnRoot) revert ColumnRootChanged();
        }
        if (s.unpaidEpochs != 0) revert UnsettledPayouts();
        if (previous == address(0)) b.placedCount += 1;
        else delete holderIndex[id][previous];
        holderIndex[id][holder] = index + 1;
        s.provider = holder;
        s.columnRoot = columnRoot;
        s.assignedEpoch = epoch + 1;
        s.lastProvenEpoch = 0;
        s.provenMask = 0;
        s.needsRepair = false;
        s.acceptBy = uint64(block.number) + acceptWindow;
        s.acceptedPrice = 0;
        emit ShardPlaced(id, uint16(index), holder, previous, epoch + 1);
    }

    /// Ends the holder's acceptance of `s`: the index awaits repair.
    function _toRepair(Blob storage b, Slot storage s) private {
        s.accepted = false;
        s.needsRepair = true;
        b.acceptedCount -= 1;
    }

    /// `basalt_rules::check_provable`: `s` is an obligation of its holder for `epoch`.
    function _checkProvable(Blob storage b, Slot storage s, uint64 epoch, bool namesHolder) private view {
        if (!b.active) revert BlobNotActive();
        if (epoch >= b.expiryEpoch) revert BlobExpired();
        if (!namesHolder || s.provider == address(0)) revert NotShardHolder();
        if (s.needsRepair) revert ShardNeedsRepair();
        if (!s.accepted) revert ShardNotAccepted();
        if (epoch < _assigned(b, s)) revert EpochBeforeAssignment();
    }

    /// `basalt_rules::ProofRecord::is_proven`: (whether the record can tell, whether it was).
    function _isProven(Slot storage s, uint64 epoch) private view returns (bool known, bool proven) {
        if (s.provenMask == 0 || epoch > s.lastProvenEpoch) return (true, false);
        uint64 behind = s.lastProvenEpoch - epoch;
        if (behind >= 64) return (false, false);
        return (true, s.provenMask & (uint64(1) << behind) != 0);
    }

    /// `basalt_rules::check_slashable`: the deal pays at least `acceptedPrice` and holds,
    /// after every epoch it owes, one more shard-epoch (`DealCover::funds_the_shard`).
    function _slashable(Blob storage b, Deal storage d, uint128 acceptedPrice) private view returns (bool) {
        if (d.payer == address(0) || d.pricePerShardEpoch < acceptedPrice || d.pricePerShardEpoch == 0) return false;
        return (uint256(b.owedEpochs) + 1) * d.pricePerShardEpoch <= d.balance;
    }

    /// `DealCover::pays_an_epoch`.
    function _paysAnEpoch(Deal storage d) private view returns (bool) {
        return d.pricePerShardEpoch > 0 && d.balance >= d.pricePerShardEpoch;
    }

    /// `SlotState::slashable_miss`: the latest epoch whose window closed is a miss of `s`
    /// that `slashMissedProof` would take.
    function _slashableMiss(Blob storage b, Slot storage s, Deal storage d) private view returns (bool) {
        // basalt_rules::latest_closed_epoch
        uint64 epoch = currentEpoch();
        if (block.number <= uint256(epoch) * epochBlocks + proofWindowBlocks) {
            if (epoch == 0) return false;
            epoch -= 1;
        }
        if (!b.active || epoch >= b.expiryEpoch || s.needsRepair || !s.accepted || epoch < _assigned(b, s)) {
            return false;
        }
        (bool known, bool proven) = _isProven(s, epoch);
        return known && !proven && _slashable(b, d, s.acceptedPrice);
    }

    /// The seed of `epoch`'s challenges: the hash of its first block.
    function _seed(uint64 epoch) private view returns (bytes32 seed) {
        seed = blockhash(uint256(epoch) * epochBlocks);
        if (seed == bytes32(0)) revert SeedUnavailable();
    }

    function _challenge(Blob storage b, uint16 index, uint64 epoch, bytes32 seed)
        private
        view
        returns (uint32 chunk, uint32 leaf)
    {
        bool ok;
        (ok, chunk, leaf) = BasaltProof.challenge(seed, b.commitmentRoot, index, epoch, _layout(b));
        if (!ok) revert InvalidLayout();
    }
}
