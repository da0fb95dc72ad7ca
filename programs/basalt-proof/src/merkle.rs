//! Binary SHA-256 Merkle trees padded to a power of two.
//!
//! A tree over `n` leaves has depth `ceil(log2 n)` (0 for a single leaf). A node whose range
//! holds no real leaf is [`EMPTY_SUBTREE`] at every level, so padding costs no hashing and a
//! path always has exactly `depth` siblings.

use crate::hash::{hash_node, Hash, EMPTY_SUBTREE};

/// Depth of a padded tree over `leaves` leaves: `ceil(log2 leaves)`, 0 for 0 or 1 leaf.
pub const fn tree_depth(leaves: u32) -> u32 {
    if leaves <= 1 {
        0
    } else {
        u32::BITS - (leaves - 1).leading_zeros()
    }
}

/// The root reached from `leaf` at position `index` by following `siblings` bottom-up.
///
/// Bits of `index` above `siblings.len()` are ignored; callers check `index` against the
/// leaf count first.
pub fn compute_root(leaf: Hash, index: u32, siblings: &[Hash]) -> Hash {
    let mut node = leaf;
    let mut position = index;
    for sibling in siblings {
        node = if position & 1 == 0 {
            hash_node(&node, sibling)
        } else {
            hash_node(sibling, &node)
        };
        position >>= 1;
    }
    node
}

/// Computes a padded Merkle root from leaf hashes pushed one at a time, in O(depth) memory
/// and without allocating (so the on-chain programs can recompute a commitment root).
#[derive(Debug, Clone)]
pub struct MerkleRootBuilder {
    // INV: levels[..len] hold (level, hash) with strictly decreasing levels; together they
    // are the roots of the complete subtrees covering the leaves pushed so far.
    levels: [(u8, Hash); 33],
    len: usize,
    // INV: count < 2^32 (a u32 leaf index names every leaf).
    count: u64,
}

impl Default for MerkleRootBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MerkleRootBuilder {
    /// An empty builder.
    pub const fn new() -> Self {
        Self {
            levels: [(0, EMPTY_SUBTREE); 33],
            len: 0,
            count: 0,
        }
    }

    /// Leaves pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Appends the next leaf hash.
    ///
    /// # Panics
    ///
    /// After 2^32 leaves (a tree that large cannot be indexed by `u32`).
    pub fn push(&mut self, leaf: Hash) {
        assert!(self.count < 1 << 32, "Merkle tree limited to 2^32 leaves");
        self.count += 1;
        let mut node = (0u8, leaf);
        while self.len > 0 && self.levels[self.len - 1].0 == node.0 {
            self.len -= 1;
            let left = self.levels[self.len].1;
            node = (node.0 + 1, hash_node(&left, &node.1));
        }
        self.levels[self.len] = node;
        self.len += 1;
    }

    /// The root of the padded tree over every pushed leaf; [`EMPTY_SUBTREE`] if none.
    pub fn finish(mut self) -> Hash {
        if self.count == 0 {
            return EMPTY_SUBTREE;
        }
        // count <= 2^32 so the depth fits; tree_depth takes the leaf count minus nothing.
        let depth = if self.count == 1 << 32 {
            32
        } else {
            tree_depth(self.count as u32)
        };
        loop {
            self.len -= 1;
            let (level, node) = self.levels[self.len];
            if self.len == 0 && u32::from(level) == depth {
                return node;
            }
            // `node` is the rightmost subtree at `level`. If a left neighbour of the same
            // level waits below it, they pair; otherwise its right sibling is all padding.
            let parent = if self.len > 0 && self.levels[self.len - 1].0 == level {
                self.len -= 1;
                hash_node(&self.levels[self.len].1, &node)
            } else {
                hash_node(&node, &EMPTY_SUBTREE)
            };
            self.levels[self.len] = (level + 1, parent);
            self.len += 1;
        }
    }
}

/// The root of the padded tree over `leaves`.
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut builder = MerkleRootBuilder::new();
    for leaf in leaves {
        builder.push(*leaf);
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference construction straight from the definition, level by level.
    fn reference_root(leaves: &[Hash]) -> Hash {
        if leaves.is_empty() {
            return EMPTY_SUBTREE;
        }
        let width = 1usize << tree_depth(leaves.len() as u32);
        let mut level: std::vec::Vec<Option<Hash>> =
            (0..width).map(|i| leaves.get(i).copied()).collect();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|pair| match (pair[0], pair[1]) {
                    (None, None) => None,
                    (l, r) => Some(hash_node(
                        &l.unwrap_or(EMPTY_SUBTREE),
                        &r.unwrap_or(EMPTY_SUBTREE),
                    )),
                })
                .collect();
        }
        level[0].unwrap()
    }

    extern crate std;

    #[test]
    fn depth_is_ceil_log2() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (6554, 13),
            (16384, 14),
        ];
        for (leaves, depth) in cases {
            assert_eq!(tree_depth(leaves), depth, "leaves = {leaves}");
        }
    }

    #[test]
    fn builder_matches_reference_for_every_small_size() {
        for n in 0..70u8 {
            let leaves: std::vec::Vec<Hash> = (0..n).map(|i| [i; 32]).collect();
            assert_eq!(root_of(&leaves), reference_root(&leaves), "n = {n}");
        }
    }
}
