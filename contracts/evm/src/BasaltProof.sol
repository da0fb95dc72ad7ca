// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BasaltRules} from "./generated/BasaltRules.sol";

/// `basalt-proof` in Solidity: a blob's layout (chunks, shards, leaves), the challenge of an
/// epoch, and the check of a storage proof against a shard's column root, with the same
/// byte layout and leaf rules as the Rust crate the nodes and the other chains use. Hashes
/// are SHA-256 through the precompile (Solidity's `sha256`), domain-separated as in
/// `basalt_proof::hash`: a leaf is `sha256(0x00 || leaf)`, a node `sha256(0x01 || l || r)`.
/// The tests check this library against the Rust crate on the same inputs.
library BasaltProof {
    /// `basalt_proof::BlobLayout`: what `with_leaf_size` accepted.
    struct Layout {
        uint64 size;
        uint32 chunkSize;
        uint16 k;
        uint16 m;
        uint32 leafSize;
        uint32 chunkCount;
    }

    bytes private constant CHALLENGE_DOMAIN = "basalt/challenge/v1";

    /// `BlobLayout::with_leaf_size`: the layout, and whether it is one the protocol accepts
    /// (k and m non-zero and at most `MAX_BLOB_SHARDS` together, chunk and leaf sizes in
    /// bounds, a power-of-two leaf, and a proof that fits the Solana transaction every chain
    /// keeps to, so a blob is provable on each).
    function layout(uint64 size, uint32 chunkSize, uint16 k, uint16 m, uint32 leafSize)
        internal
        pure
        returns (Layout memory l, bool ok)
    {
        if (k == 0 || m == 0 || uint256(k) + m > BasaltRules.MAX_BLOB_SHARDS) return (l, false);
        if (chunkSize == 0 || chunkSize > BasaltRules.MAX_CHUNK_SIZE) return (l, false);
        if (
            leafSize < BasaltRules.MIN_LEAF_SIZE || leafSize > BasaltRules.MAX_LEAF_SIZE
                || leafSize & (leafSize - 1) != 0
        ) return (l, false);
        uint256 chunks = (uint256(size) + chunkSize - 1) / chunkSize;
        if (chunks > type(uint32).max) return (l, false);
        l = Layout(size, chunkSize, k, m, leafSize, uint32(chunks));
        uint256 proofBytes = BasaltRules.PROOF_TX_OVERHEAD + uint256(leafSize) + 32 * maxPathLen(l);
        ok = proofBytes <= BasaltRules.SOLANA_TX_MAX;
    }

    /// `basalt_proof::tree_depth`: ceil(log2(leaves)), 0 for one leaf or none.
    function treeDepth(uint256 leaves) internal pure returns (uint256 depth) {
        if (leaves <= 1) return 0;
        uint256 x = leaves - 1;
        while (x != 0) {
            depth += 1;
            x >>= 1;
        }
    }

    function chunkLen(Layout memory l, uint256 chunk) internal pure returns (uint256) {
        if (chunk >= l.chunkCount) return 0;
        uint256 rest = uint256(l.size) - chunk * l.chunkSize;
        return rest < l.chunkSize ? rest : l.chunkSize;
    }

    /// Bytes of one shard of `chunk`: the chunk split in k, at least one byte, rounded up
    /// to whole leaves.
    function shardLen(Layout memory l, uint256 chunk) internal pure returns (uint256) {
        uint256 perShard = (chunkLen(l, chunk) + l.k - 1) / l.k;
        if (perShard == 0) perShard = 1;
        return (perShard + l.leafSize - 1) / l.leafSize * l.leafSize;
    }

    function leavesPerShard(Layout memory l, uint256 chunk) internal pure returns (uint256) {
        return shardLen(l, chunk) / l.leafSize;
    }

    function pathLen(Layout memory l, uint256 chunk) internal pure returns (uint256) {
        return treeDepth(leavesPerShard(l, chunk)) + treeDepth(l.chunkCount);
    }

    function maxPathLen(Layout memory l) internal pure returns (uint256) {
        return l.chunkCount == 0 ? 0 : pathLen(l, 0);
    }

    /// Leaves of one shard index over every chunk: what a challenge picks among.
    function columnLeaves(Layout memory l) internal pure returns (uint256) {
        if (l.chunkCount == 0) return 0;
        return uint256(l.chunkCount - 1) * leavesPerShard(l, 0) + leavesPerShard(l, l.chunkCount - 1);
    }

    /// `basalt_proof::derive_challenge`: the chunk and leaf shard `index` must prove in
    /// `epoch`; `ok` false for an empty blob (nothing to challenge).
    function challenge(bytes32 seed, bytes32 root, uint16 index, uint64 epoch, Layout memory l)
        internal
        pure
        returns (bool ok, uint32 chunk, uint32 leaf)
    {
        uint256 leaves = columnLeaves(l);
        if (leaves == 0) return (false, 0, 0);
        bytes32 digest = sha256(abi.encodePacked(CHALLENGE_DOMAIN, seed, root, _le16(index), _le64(epoch)));
        // The digest's first 8 bytes as a little-endian integer, scaled onto the leaves.
        uint256 x = uint64(_le64(uint64(bytes8(digest))));
        uint256 global = (x * leaves) >> 64;
        uint256 perChunk = leavesPerShard(l, 0);
        return (true, uint32(global / perChunk), uint32(global % perChunk));
    }

    /// `basalt_proof::selection_draw`: the `i`-th uniform 128-bit number of a job's
    /// selection seed, the first 16 bytes of `sha256(seed || i as u64 LE)` read little-endian.
    function selectionDraw(bytes32 seed, uint256 i) internal pure returns (uint256 x) {
        bytes32 hash = sha256(abi.encodePacked(seed, _le64(uint64(i))));
        for (uint256 b = 0; b < 16; b++) {
            x |= uint256(uint8(hash[b])) << (8 * b);
        }
    }

    /// `basalt_proof::verify_storage_proof`: `leaf`, at `leafIndex` of the shard of
    /// `chunk`, with `path` (the shard tree's siblings, then the column tree's), reaches
    /// `columnRoot`.
    function verifyStorageProof(
        Layout memory l,
        bytes32 columnRoot,
        uint256 chunk,
        uint256 leafIndex,
        bytes calldata leaf,
        bytes32[] calldata path
    ) internal pure returns (bool) {
        if (l.chunkCount == 0 || chunk >= l.chunkCount) return false;
        uint256 leaves = leavesPerShard(l, chunk);
        if (leafIndex >= leaves || leaf.length != l.leafSize) return false;
        uint256 shardDepth = treeDepth(leaves);
        if (path.length != shardDepth + treeDepth(l.chunkCount)) return false;
        bytes32 node = sha256(abi.encodePacked(bytes1(0x00), leaf));
        node = _climb(node, leafIndex, path, 0, shardDepth);
        return _climb(node, chunk, path, shardDepth, path.length) == columnRoot;
    }

    /// `basalt_proof::commitment_root`: the Merkle root over `roots`, an odd node paired
    /// with the empty subtree (zero), as `MerkleRootBuilder` builds it.
    function commitmentRoot(bytes32[] memory roots) internal pure returns (bytes32) {
        uint256 n = roots.length;
        if (n == 0) return bytes32(0);
        // INV: roots.length <= MAX_BLOB_SHARDS, so this halves at most 6 times.
        while (n > 1) {
            uint256 half = (n + 1) / 2;
            for (uint256 i = 0; i < half; i++) {
                bytes32 right = 2 * i + 1 < n ? roots[2 * i + 1] : bytes32(0);
                roots[i] = _node(roots[2 * i], right);
            }
            n = half;
        }
        return roots[0];
    }

    /// `basalt_proof::compute_root` over `path[from..to]`, from `node` at `position`.
    function _climb(bytes32 node, uint256 position, bytes32[] calldata path, uint256 from, uint256 to)
        private
        pure
        returns (bytes32)
    {
        for (uint256 i = from; i < to; i++) {
            node = position & 1 == 0 ? _node(node, path[i]) : _node(path[i], node);
            position >>= 1;
        }
        return node;
    }

    function _node(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    function _le16(uint16 v) private pure returns (bytes2) {
        return bytes2((v >> 8) | (v << 8));
    }

    /// The 8 bytes of `v` in little-endian order (Rust's `to_le_bytes`).
    function _le64(uint64 v) private pure returns (bytes8) {
        v = ((v & 0xFF00FF00FF00FF00) >> 8) | ((v & 0x00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000) >> 16) | ((v & 0x0000FFFF0000FFFF) << 16);
        return bytes8((v >> 32) | (v << 32));
    }
}
