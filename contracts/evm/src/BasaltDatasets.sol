// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BasaltBlobs} from "./BasaltBlobs.sol";
import {BasaltChecks} from "./BasaltChecks.sol";
import {BasaltConfig} from "./BasaltConfig.sol";
import {BasaltJobs} from "./BasaltJobs.sol";
import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// Datasets: named, owned series of immutable versions, and the roles others hold on them,
/// as the Solana program's `dataset_*` and `version_*` instructions (the rules are
/// `basalt_rules`' dataset rules).
///
/// A version names its manifest (the id of the canonical manifest bytes and the blob
/// storing them, the publisher's or the dataset owner's), its parents (published versions,
/// none retracted) and, when a job derived it, that job. A version is never changed but for
/// its retraction, a tombstone that keeps it in the history, and never removed. A job's
/// output is published as a version by the jobs contract (`recordPublication`), which
/// checked the job's side of it.
contract BasaltDatasets {
    struct Dataset {
        /// Zero: no dataset.
        address owner;
        /// Anyone may read its versions' manifests and files.
        bool isPublic;
        /// Versions published so far; the next one is numbered this.
        uint64 versions;
        uint64 createdBlock;
        /// The version published last (retracted or not); zero before the first.
        bytes32 latest;
        // INV: passes BasaltChecks.checkDatasetName; with the owner, it is the dataset's id
        string name;
    }

    /// Roles on one dataset for one address: READ (read its versions, receive its key),
    /// WRITE (publish versions), DELETE (retract versions); ADMIN (all three) also grants.
    struct DatasetGrant {
        /// 0: no grant.
        uint8 roles;
        /// Unix time from which it no longer applies; 0: never.
        uint64 expiresAt;
        /// The owner or the ADMIN grantee that granted it.
        address grantedBy;
        /// The dataset's key sealed to the grantee (empty for a public dataset).
        bytes wrappedKey;
    }

    /// What a publisher names (`basalt_rules::NewVersion`).
    struct VersionArgs {
        string tag;
        /// BLAKE3 of the canonical manifest bytes (`basalt_core::dataset`); non-zero.
        bytes32 versionId;
        /// The blob storing the manifest.
        bytes32 manifestBlob;
        /// Published, unretracted versions, each once, at most `MAX_VERSION_PARENTS`.
        bytes32[] parents;
        /// The job that derived this version; zero for none.
        bytes32 job;
        string message;
    }

    struct Version {
        /// Zero: no version.
        bytes32 dataset;
        /// Its place in the dataset's history: the dataset's `versions` when published.
        uint64 seq;
        uint64 publishedBlock;
        bool retracted;
        uint64 retractedBlock;
        address publisher;
        // INV: passes every check of VersionArgs when stored
        VersionArgs args;
    }

    BasaltConfig public immutable config;
    BasaltBlobs public immutable blobs;

    mapping(bytes32 => Dataset) private datasets;
    mapping(bytes32 => mapping(address => DatasetGrant)) private grants;
    mapping(bytes32 => Version) private versions;

    event DatasetCreated(bytes32 indexed dataset, address indexed owner, string name, bool isPublic);
    event DatasetAccessChanged(bytes32 indexed dataset, bool isPublic);
    event DatasetGrantCreated(
        bytes32 indexed dataset, address indexed grantee, uint8 roles, uint64 expiresAt, address grantedBy
    );
    event DatasetGrantRevoked(bytes32 indexed dataset, address indexed grantee, address revokedBy);
    event VersionPublished(
        bytes32 indexed dataset, bytes32 indexed version, address indexed publisher, uint64 seq, VersionArgs args
    );
    event VersionRetracted(bytes32 indexed dataset, bytes32 indexed version, address retractedBy);

    constructor(BasaltConfig config_, BasaltBlobs blobs_) {
        config = config_;
        blobs = blobs_;
    }

    // ---------------------------------------------------------------- views

    /// A dataset's id: `owner`'s dataset `name` (the Solana program's
    /// `["dataset", owner, name]`).
    function datasetId(address owner, string memory name) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, name));
    }

    /// A version's id in the contract: dataset `dataset`'s version `tag` (the Solana
    /// program's `["version", dataset, tag]`).
    function versionKey(bytes32 dataset, string memory tag) public pure returns (bytes32) {
        return keccak256(abi.encode(dataset, tag));
    }

    /// The dataset `id`; reverts with `DatasetNotFound` when there is none.
    function dataset(bytes32 id) external view returns (Dataset memory) {
        return _dataset(id);
    }

    /// `grantee`'s grant on dataset `id`; all zero when it holds none.
    function grant(bytes32 id, address grantee) external view returns (DatasetGrant memory) {
        return grants[id][grantee];
    }

    /// The version `key`; reverts with `VersionNotFound` when there is none.
    function version(bytes32 key) external view returns (Version memory) {
        return _version(key);
    }

    /// The manifest id of version `key`, and whether it is retracted.
    ///
    /// # Errors
    ///
    /// `VersionNotFound`.
    function versionIdOf(bytes32 key) external view returns (bytes32 versionId, bool retracted) {
        Version storage v = _version(key);
        return (v.args.versionId, v.retracted);
    }

    /// `who`'s standing with dataset `id` (`basalt_rules::DatasetStanding`): its owner, or
    /// the roles of its unexpired grant.
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`.
    function standing(bytes32 id, address who) public view returns (bool owner, uint8 roles) {
        Dataset storage d = _dataset(id);
        DatasetGrant storage g = grants[id][who];
        bool live = g.expiresAt == 0 || block.timestamp < g.expiresAt;
        return (d.owner == who, live ? g.roles : 0);
    }

    /// Checks that `publisher` may have a job's output published into dataset `id`
    /// (`basalt_rules::NewPublication`'s dataset side): it is public, and the publisher its
    /// owner or a WRITE grantee.
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`, `DatasetNotPublic`, `NotDatasetWriter`.
    function checkPublicationInto(bytes32 id, address publisher) public view {
        if (!_dataset(id).isPublic) revert DatasetNotPublic();
        _require(id, publisher, BasaltRules.ROLE_WRITE);
    }

    // ---------------------------------------------------------------- datasets

    /// Creates the caller's dataset `name`.
    ///
    /// # Errors
    ///
    /// `InvalidDatasetName`, `DatasetExists`.
    function create(string calldata name, bool isPublic) external returns (bytes32 id) {
        BasaltChecks.checkDatasetName(name);
        id = datasetId(msg.sender, name);
        Dataset storage d = datasets[id];
        if (d.owner != address(0)) revert DatasetExists();
        d.owner = msg.sender;
        d.isPublic = isPublic;
        d.createdBlock = uint64(block.number);
        d.name = name;
        emit DatasetCreated(id, msg.sender, name, isPublic);
    }

    /// Makes dataset `id` public or private; signed by its owner or an ADMIN grantee.
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`, `NotDatasetAdmin`.
    function setAccess(bytes32 id, bool isPublic) external {
        _require(id, msg.sender, BasaltRules.ROLE_ADMIN);
        datasets[id].isPublic = isPublic;
        emit DatasetAccessChanged(id, isPublic);
    }

    /// Gives `grantee` `roles` on dataset `id` until unix time `expiresAt` (0: never), with
    /// the dataset's key sealed to it; signed by the owner or an ADMIN grantee.
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`, `NotDatasetAdmin`, `InvalidGrantRoles`, `WrappedKeyTooLong`,
    /// `InvalidGrantExpiry`, `GrantExists`.
    function createGrant(bytes32 id, address grantee, uint8 roles, uint64 expiresAt, bytes calldata wrappedKey)
        external
    {
        _require(id, msg.sender, BasaltRules.ROLE_ADMIN);
        BasaltChecks.checkNewGrant(roles, wrappedKey.length, expiresAt);
        DatasetGrant storage g = grants[id][grantee];
        if (g.roles != 0) revert GrantExists();
        g.roles = roles;
        g.expiresAt = expiresAt;
        g.grantedBy = msg.sender;
        g.wrappedKey = wrappedKey;
        emit DatasetGrantCreated(id, grantee, roles, expiresAt, msg.sender);
    }

    /// Removes `grantee`'s grant on dataset `id`: signed by the owner, an ADMIN grantee, or
    /// the grantee itself (renouncing).
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`, `GrantsMismatch` when it holds none, `NotDatasetAdmin`.
    function revokeGrant(bytes32 id, address grantee) external {
        _dataset(id);
        if (grants[id][grantee].roles == 0) revert GrantsMismatch();
        if (grantee != msg.sender) _require(id, msg.sender, BasaltRules.ROLE_ADMIN);
        delete grants[id][grantee];
        emit DatasetGrantRevoked(id, grantee, msg.sender);
    }

    // ---------------------------------------------------------------- versions

    /// Publishes a version of dataset `id`, signed by its owner or a WRITE grantee. The
    /// manifest blob is the publisher's or the owner's; a deriving job succeeded with its
    /// output stored, and was the publisher's or the owner's.
    ///
    /// # Errors
    ///
    /// `DatasetNotFound`, `NotDatasetWriter`, `BlobNotFound`, `ManifestMismatch`,
    /// `JobNotFound`, `DerivationJobMismatch`, and what `_store` refuses.
    function publish(bytes32 id, VersionArgs calldata args) external returns (bytes32 key) {
        _require(id, msg.sender, BasaltRules.ROLE_WRITE);
        address owner = datasets[id].owner;
        address manifestOwner = blobs.blob(args.manifestBlob).owner;
        if (manifestOwner != msg.sender && manifestOwner != owner) revert ManifestMismatch();
        if (args.job != bytes32(0)) {
            (address requester, bool outputStored) = BasaltJobs(config.jobs()).derivation(args.job);
            if (!outputStored || (requester != msg.sender && requester != owner)) revert DerivationJobMismatch();
        }
        return _store(id, args, msg.sender);
    }

    /// Records the version a job's output is published as, in its requester's name: called
    /// by the jobs contract only, which checked the job, the worker and the manifest
    /// (`basalt_rules::OutputPublication`); the dataset's side is checked here again.
    ///
    /// # Errors
    ///
    /// `NotProtocol`, what `checkPublicationInto` and `_store` refuse.
    function recordPublication(bytes32 id, VersionArgs calldata args, address requester)
        external
        returns (bytes32 key)
    {
        if (msg.sender != config.jobs()) revert NotProtocol();
        checkPublicationInto(id, requester);
        return _store(id, args, requester);
    }

    /// Retracts version `key`: signed by the dataset's owner or a DELETE grantee.
    ///
    /// # Errors
    ///
    /// `VersionNotFound`, `NotDatasetAdmin`, `AlreadyRetracted`.
    function retract(bytes32 key) external {
        Version storage v = _version(key);
        _require(v.dataset, msg.sender, BasaltRules.ROLE_DELETE);
        if (v.retracted) revert AlreadyRetracted();
        v.retracted = true;
        v.retractedBlock = uint64(block.number);
        emit VersionRetracted(v.dataset, key, msg.sender);
    }

    // ---------------------------------------------------------------- internals

    function _dataset(bytes32 id) private view returns (Dataset storage d) {
        d = datasets[id];
        if (d.owner == address(0)) revert DatasetNotFound();
    }

    function _version(bytes32 key) private view returns (Version storage v) {
        v = versions[key];
        if (v.dataset == bytes32(0)) revert VersionNotFound();
    }

    /// `basalt_rules::DatasetStanding::require`: `who` owns dataset `id` or holds every
    /// bit of `roles` in an unexpired grant.
    function _require(bytes32 id, address who, uint8 roles) private view {
        (bool owner, uint8 held) = standing(id, who);
        if (owner || held & roles == roles) return;
        if (roles == BasaltRules.ROLE_WRITE) revert NotDatasetWriter();
        revert NotDatasetAdmin();
    }

    /// Stores a version of dataset `id` as the next in its history: every parent read
    /// (published, not retracted), then `basalt_rules::NewVersion::check`, then the tag
    /// taken once.
    ///
    /// # Errors
    ///
    /// `TooManyParents`, `ParentsMismatch`, `ParentRetracted`, `InvalidVersionTag`,
    /// `VersionMessageTooLong`, `InvalidVersionId`, `DuplicateParent`, `VersionTagTaken`.
    function _store(bytes32 id, VersionArgs calldata args, address publisher) private returns (bytes32 key) {
        uint256 count = args.parents.length;
        if (count > BasaltRules.MAX_VERSION_PARENTS) revert TooManyParents();
        for (uint256 i = 0; i < count; i++) {
            Version storage parent = versions[args.parents[i]];
            if (parent.dataset == bytes32(0)) revert ParentsMismatch();
            if (parent.retracted) revert ParentRetracted();
        }
        BasaltChecks.checkVersionTag(args.tag);
        if (bytes(args.message).length > BasaltRules.MAX_VERSION_MESSAGE_LEN) revert VersionMessageTooLong();
        if (args.versionId == bytes32(0)) revert InvalidVersionId();
        for (uint256 i = 1; i < count; i++) {
            for (uint256 j = 0; j < i; j++) {
                if (args.parents[i] == args.parents[j]) revert DuplicateParent();
            }
        }
        key = versionKey(id, args.tag);
        Version storage v = versions[key];
        if (v.dataset != bytes32(0)) revert VersionTagTaken();
        Dataset storage d = datasets[id];
        uint64 seq = d.versions;
        d.versions = seq + 1;
        d.latest = key;
        v.dataset = id;
        v.seq = seq;
        v.publishedBlock = uint64(block.number);
        v.publisher = publisher;
        v.args = args;
        emit VersionPublished(id, key, publisher, seq, args);
    }
}
