//! The off-chain Merkle trees (hashed a level at a time with multi-buffer SHA-256) are the
//! trees the on-chain code builds and checks one hash at a time.

use crate::common;

use basalt_core::proof::merkle::{compute_root, root_of, MerkleRootBuilder};
use basalt_core::proof::{hash_leaf, Hash};
use basalt_core::{shard_root, MerkleTree};
use common::bytes;

/// The on-chain construction: one leaf at a time through `basalt_proof`'s builder.
fn reference_shard_root(shard: &[u8], leaf_size: usize) -> Hash {
    let mut builder = MerkleRootBuilder::new();
    for leaf in shard.chunks_exact(leaf_size) {
        builder.push(hash_leaf(leaf));
    }
    builder.finish()
}

#[test]
fn batched_tree_matches_the_on_chain_builder_for_every_small_size() {
    for n in 0..70u8 {
        let leaves: Vec<Hash> = (0..n).map(|i| [i; 32]).collect();
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        assert_eq!(tree.root(), root_of(&leaves), "n = {n}");
        for (i, leaf) in leaves.iter().enumerate() {
            let path = tree.path(i).expect("index in range");
            assert_eq!(
                compute_root(*leaf, i as u32, &path),
                tree.root(),
                "n = {n}, leaf {i}"
            );
        }
        assert_eq!(tree.path(usize::from(n)), None);
    }
}

#[test]
fn batched_shard_root_matches_leaf_by_leaf_hashing() {
    for leaf_size in [64usize, 128, 256, 512, 1024, 2048, 4096] {
        for leaves in [0usize, 1, 2, 3, 5, 16, 17, 33] {
            let shard = bytes(leaf_size * leaves, (leaf_size * 31 + leaves) as u64);
            let expected = reference_shard_root(&shard, leaf_size);
            assert_eq!(
                shard_root(&shard, leaf_size),
                expected,
                "{leaves} leaves of {leaf_size} B"
            );
            assert_eq!(MerkleTree::over_shard(&shard, leaf_size).root(), expected);
        }
    }
}
