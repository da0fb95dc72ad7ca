//! Merkle trees over shards, columns and blobs, with the same hashes as [`basalt_proof`]
//! so that whatever this crate proves, the on-chain check accepts.
//!
//! Off chain the trees are built a whole level at a time: every leaf of a shard, then every
//! pair of each level, goes through `tape-sha256`'s multi-buffer SHA-256, which keeps several
//! independent messages in flight (four SHA-NI streams, or 16 or 2 x 16 AVX-512 lanes, picked
//! at run time). One SHA-256 stream is latency-bound, so hashing leaf by leaf with `sha2`
//! leaves the hardware mostly idle: batched, a 4 MiB shard's root is about three times as
//! fast with 256-byte leaves and twice as fast with 64-byte ones (`benches/hashing.rs`
//! prints both; figures in `docs/benchmarks.md`). The digests are
//! plain SHA-256 of `LEAF_PREFIX || leaf` and `NODE_PREFIX || left || right`, exactly
//! [`basalt_proof::hash_leaf`] and [`basalt_proof::hash_node`]; `tests/merkle.rs` checks
//! the two constructions agree for every tree size up to 70 and for every leaf size.

use basalt_proof::merkle::{root_of, tree_depth, MerkleRootBuilder};
use basalt_proof::{hash_node, BlobLayout, Hash, EMPTY_SUBTREE, LEAF_PREFIX, NODE_PREFIX};

/// The root of the Merkle tree over `shard`, cut into `leaf_size` leaves.
/// Use [`MerkleTree`] when paths are needed too.
///
/// `shard.len()` must be a multiple of `leaf_size` (layouts guarantee it).
pub fn shard_root(shard: &[u8], leaf_size: usize) -> Hash {
    let mut level = leaf_hashes(shard, leaf_size);
    if level.is_empty() {
        return EMPTY_SUBTREE;
    }
    while level.len() > 1 {
        level = level_above(&level);
    }
    level[0]
}

/// The hash of every `leaf_size` leaf of `shard`, in order.
fn leaf_hashes(shard: &[u8], leaf_size: usize) -> Vec<Hash> {
    debug_assert_eq!(
        shard.len() % leaf_size,
        0,
        "shard is a whole number of leaves"
    );
    let leaves: Vec<&[u8]> = shard.chunks_exact(leaf_size).collect();
    let mut hashes = vec![EMPTY_SUBTREE; leaves.len()];
    tape_sha256::hash_many_prefixed(LEAF_PREFIX, &leaves, &mut hashes);
    hashes
}

/// The level above `below`: each pair hashed into its parent, and a last node without a
/// right neighbour paired with [`EMPTY_SUBTREE`] (the padded tree of `basalt_proof`).
fn level_above(below: &[Hash]) -> Vec<Hash> {
    let pairs = below.chunks_exact(2);
    let unpaired = pairs.remainder().first();
    // Two adjacent digests are the 64-byte body of their parent's hash input.
    let bodies: Vec<&[u8]> = pairs.map(<[Hash]>::as_flattened).collect();
    let mut above = vec![EMPTY_SUBTREE; below.len().div_ceil(2)];
    tape_sha256::hash_many_prefixed(NODE_PREFIX, &bodies, &mut above[..bodies.len()]);
    if let Some(last) = unpaired {
        above[bodies.len()] = hash_node(last, &EMPTY_SUBTREE);
    }
    above
}

/// A Merkle tree with every level kept, for producing inclusion paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    // INV: levels[0] holds the leaf hashes; levels[i + 1][j] = hash_node(levels[i][2j],
    // levels[i][2j + 1] or EMPTY_SUBTREE); the last level holds exactly one node (the root)
    // unless the tree is empty, in which case `levels` is empty.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// The tree over the given leaf hashes.
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Self {
        if leaves.is_empty() {
            return Self { levels: Vec::new() };
        }
        let depth = tree_depth(u32::try_from(leaves.len()).expect("at most 2^32 leaves"));
        let mut levels = Vec::with_capacity(depth as usize + 1);
        levels.push(leaves);
        for _ in 0..depth {
            let above = level_above(levels.last().expect("levels is non-empty"));
            levels.push(above);
        }
        Self { levels }
    }

    /// The tree over one shard cut into `leaf_size` leaves.
    pub fn over_shard(shard: &[u8], leaf_size: usize) -> Self {
        Self::from_leaf_hashes(leaf_hashes(shard, leaf_size))
    }

    /// The root; [`EMPTY_SUBTREE`] for an empty tree.
    pub fn root(&self) -> Hash {
        self.levels.last().map_or(EMPTY_SUBTREE, |top| top[0])
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// Siblings from leaf `index` up to the root; `None` if `index` is out of range.
    pub fn path(&self, index: usize) -> Option<Vec<Hash>> {
        if index >= self.leaf_count() {
            return None;
        }
        let depth = self.levels.len() - 1;
        let mut position = index;
        let mut path = Vec::with_capacity(depth);
        for level in &self.levels[..depth] {
            path.push(*level.get(position ^ 1).unwrap_or(&EMPTY_SUBTREE));
            position >>= 1;
        }
        Some(path)
    }
}

/// Everything a blob commits to: its layout and every shard root, with the column roots and
/// the commitment root derived from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCommitment {
    layout: BlobLayout,
    // INV: len = chunk_count * total_shards; chunk-major (index c * (k + m) + j).
    shard_roots: Vec<Hash>,
    // INV: column_roots[j] = root over shard_roots of column j; len = k + m.
    column_roots: Vec<Hash>,
    // INV: commitment_root = root over column_roots.
    commitment_root: Hash,
}

/// A storage proof as `submit_proof` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageProof {
    /// Challenged chunk.
    pub chunk: u32,
    /// Challenged leaf inside that chunk's shard.
    pub leaf_index: u32,
    /// The leaf bytes (`leaf_size` of them).
    pub leaf: Vec<u8>,
    /// Siblings from the leaf to the column root.
    pub path: Vec<Hash>,
}

impl BlobCommitment {
    /// Derives column and commitment roots from every shard root (chunk-major order).
    ///
    /// # Panics
    ///
    /// If `shard_roots` does not hold exactly one root per (chunk, shard index).
    pub fn from_shard_roots(layout: BlobLayout, shard_roots: Vec<Hash>) -> Self {
        let n = usize::from(layout.total_shards());
        assert_eq!(
            shard_roots.len(),
            layout.chunk_count() as usize * n,
            "one root per shard"
        );
        let column_roots: Vec<Hash> = (0..n)
            .map(|j| {
                let mut builder = MerkleRootBuilder::new();
                for root in shard_roots.iter().skip(j).step_by(n) {
                    builder.push(*root);
                }
                builder.finish()
            })
            .collect();
        let commitment_root = root_of(&column_roots);
        Self {
            layout,
            shard_roots,
            column_roots,
            commitment_root,
        }
    }

    /// The layout committed to.
    pub fn layout(&self) -> &BlobLayout {
        &self.layout
    }
    /// The root the chain records for the whole blob.
    pub fn commitment_root(&self) -> Hash {
        self.commitment_root
    }
    /// Every shard root, chunk-major (index `chunk * (k + m) + shard`).
    pub fn shard_roots(&self) -> &[Hash] {
        &self.shard_roots
    }
    /// One root per shard index (what the chain keeps next to the commitment root).
    pub fn column_roots(&self) -> &[Hash] {
        &self.column_roots
    }
    /// The expected root of shard `shard` of chunk `chunk`.
    pub fn shard_root(&self, chunk: u32, shard: u16) -> Option<Hash> {
        if chunk >= self.layout.chunk_count() || shard >= self.layout.total_shards() {
            return None;
        }
        let n = usize::from(self.layout.total_shards());
        Some(self.shard_roots[chunk as usize * n + usize::from(shard)])
    }

    /// The tree over the shard roots of column `shard`.
    pub fn column_tree(&self, shard: u16) -> MerkleTree {
        let n = usize::from(self.layout.total_shards());
        MerkleTree::from_leaf_hashes(
            self.shard_roots
                .iter()
                .skip(usize::from(shard))
                .step_by(n)
                .copied()
                .collect(),
        )
    }

    /// The proof of leaf `leaf_index` of `shard_bytes` (shard `shard` of chunk `chunk`)
    /// against the column root. `None` if an index is out of range or `shard_bytes` is not
    /// the committed shard.
    pub fn storage_proof(
        &self,
        shard_bytes: &[u8],
        chunk: u32,
        shard: u16,
        leaf_index: u32,
    ) -> Option<StorageProof> {
        let leaf_size = self.layout.leaf_size() as usize;
        let shard_tree = MerkleTree::over_shard(shard_bytes, leaf_size);
        if Some(shard_tree.root()) != self.shard_root(chunk, shard) {
            return None;
        }
        let mut path = shard_tree.path(leaf_index as usize)?;
        path.extend(self.column_tree(shard).path(chunk as usize)?);
        let start = leaf_index as usize * leaf_size;
        let leaf = shard_bytes[start..start + leaf_size].to_vec();
        Some(StorageProof {
            chunk,
            leaf_index,
            leaf,
            path,
        })
    }

    /// The path from column root `shard` to the commitment root.
    pub fn column_path(&self, shard: u16) -> Option<Vec<Hash>> {
        MerkleTree::from_leaf_hashes(self.column_roots.clone()).path(usize::from(shard))
    }
}
