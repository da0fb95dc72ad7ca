//! Checking storage proofs and commitments.

use crate::error::ProofError;
use crate::hash::{hash_leaf, Hash};
use crate::layout::BlobLayout;
use crate::merkle::{compute_root, MerkleRootBuilder};

/// The commitment root over a blob's column roots (one per shard index, in order).
pub fn commitment_root(column_roots: &[Hash]) -> Hash {
    let mut builder = MerkleRootBuilder::new();
    for root in column_roots {
        builder.push(*root);
    }
    builder.finish()
}

/// Checks that `leaf` is leaf `leaf_index` of the shard of chunk `chunk` in the column whose
/// root is `column_root`. `path` runs from the leaf up: first the siblings inside the shard
/// tree ([`BlobLayout::shard_depth`]), then inside the column tree
/// ([`BlobLayout::column_depth`]). This is the check `submit_proof` runs on chain.
///
/// # Errors
///
/// [`ProofError`] naming the first thing that is wrong: an index out of range, a leaf or
/// path of the wrong length, or a path that does not reach `column_root`.
pub fn verify_storage_proof(
    layout: &BlobLayout,
    column_root: &Hash,
    chunk: u32,
    leaf_index: u32,
    leaf: &[u8],
    path: &[Hash],
) -> Result<(), ProofError> {
    let shard_depth = check_position(layout, chunk, leaf_index, leaf)?;
    let expected = layout.path_len(chunk);
    if path.len() != expected as usize {
        return Err(ProofError::PathLength {
            expected,
            actual: path.len(),
        });
    }
    let (in_shard, in_column) = path.split_at(shard_depth as usize);
    let shard_root = compute_root(hash_leaf(leaf), leaf_index, in_shard);
    if compute_root(shard_root, chunk, in_column) != *column_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that `column_root` is the root of column `shard_index` under `commitment_root`.
/// With [`verify_storage_proof`] this proves a leaf against the commitment root alone.
///
/// # Errors
///
/// [`ProofError::ShardOutOfRange`], [`ProofError::PathLength`] or
/// [`ProofError::RootMismatch`].
pub fn verify_column_root(
    layout: &BlobLayout,
    commitment_root: &Hash,
    shard_index: u16,
    column_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    let total = u32::from(layout.total_shards());
    if u32::from(shard_index) >= total {
        return Err(ProofError::ShardOutOfRange {
            shard: u32::from(shard_index),
            total,
        });
    }
    let expected = layout.commitment_depth();
    if path.len() != expected as usize {
        return Err(ProofError::PathLength {
            expected,
            actual: path.len(),
        });
    }
    if compute_root(*column_root, u32::from(shard_index), path) != *commitment_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Range and length checks shared by the proof checks; returns the shard tree depth.
fn check_position(
    layout: &BlobLayout,
    chunk: u32,
    leaf_index: u32,
    leaf: &[u8],
) -> Result<u32, ProofError> {
    let chunk_count = layout.chunk_count();
    if chunk_count == 0 {
        return Err(ProofError::EmptyBlob);
    }
    if chunk >= chunk_count {
        return Err(ProofError::ChunkOutOfRange { chunk, chunk_count });
    }
    let leaves = layout.leaves_per_shard(chunk);
    if leaf_index >= leaves {
        return Err(ProofError::LeafOutOfRange {
            leaf: leaf_index,
            leaves,
        });
    }
    if leaf.len() != layout.leaf_size() as usize {
        return Err(ProofError::LeafLength {
            expected: layout.leaf_size(),
            actual: leaf.len(),
        });
    }
    Ok(layout.shard_depth(chunk))
}
