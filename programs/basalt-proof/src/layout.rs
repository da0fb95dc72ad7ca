//! How a blob's stored bytes are cut into chunks, shards and Merkle leaves.
//!
//! ```text
//! blob (size bytes) ── chunk 0 ── chunk 1 ── … ── chunk C-1 (shorter; true length recorded)
//!                         │
//!                         ├─ k data shards   (chunk bytes, zero-padded to k * shard_len)
//!                         └─ m parity shards (Reed-Solomon over the data shards)
//! shard ── leaf 0 ── leaf 1 ── … (leaf_size bytes each; shard_len is a multiple of leaf_size)
//! ```
//!
//! # Commitments
//!
//! Three Merkle levels, all SHA-256 ([`crate::hash`]), each padded to a power of two with
//! [`crate::EMPTY_SUBTREE`]:
//!
//! 1. **shard root**: over the leaves of one shard (chunk `c`, shard index `j`);
//! 2. **column root** `R_j`: over the shard roots of chunks `0..C` at shard index `j`; the
//!    provider placed at index `j` holds exactly this column;
//! 3. **commitment root**: over the column roots `R_0 .. R_{k+m-1}`.
//!
//! The chain keeps the `k + m` column roots next to the commitment root (the program checks
//! at registration that they hash to it). A holder therefore proves a challenged leaf against
//! its own column root, and its path has `shard_depth + column_depth` siblings instead of
//! `log2(k + m)` more.
//!
//! # Why a storage proof fits in one Solana transaction
//!
//! A proof carries one leaf and its path, so it costs `leaf_size + 32 * path_len` bytes on
//! top of the transaction envelope ([`crate::tx_budget::PROOF_TX_OVERHEAD`] = 349 bytes for
//! one signature, six account keys, the blockhash, the compute-budget instructions that carry
//! a priority fee and the instruction framing). The limit is 1232 bytes, which leaves 883
//! bytes for leaf + path.
//!
//! For the default layout (4 MiB chunks, RS(10, 4)) and a 16 GiB blob:
//!
//! - shard_len = round_up(4 MiB / 10, 64) = 419 456 bytes;
//! - with 64-byte leaves: 6 554 leaves per shard -> shard_depth 13;
//! - C = 4 096 chunks -> column_depth 12;
//! - proof = 64 + 32 * 25 = 864 bytes <= 883: it fits, with 19 bytes to spare.
//!
//! Smaller leaves do not help (32-byte leaves add one level: 32 + 32 * 26 = 864), and larger
//! leaves add more bytes than the levels they save, so 16 GiB at RS(10, 4) is the size this
//! scheme proves in one transaction. Small blobs are cheaper to hash with larger leaves (the
//! Merkle work per byte falls from 4 SHA-256 blocks per 64 bytes at 64-byte leaves to about
//! 1.1 at 4 KiB leaves), so [`BlobLayout::new`] picks the **largest** leaf size whose
//! worst-case proof still fits, and records it in the layout (on chain and in every shard
//! header).
//!
//! # Larger blobs
//!
//! A blob whose proof would not fit even with 64-byte leaves is rejected by
//! [`BlobLayout::new`] with [`LayoutError::ProofTooLarge`]. Clients split such a file into
//! several blobs of at most [`BlobLayout::max_size`] bytes each (plus a small manifest blob
//! listing their CIDs); every part is then an ordinary blob, proven, paid for and repaired
//! like any other, and no proof ever needs a second transaction.

use crate::error::LayoutError;
use crate::tx_budget::{proof_tx_size, SOLANA_TX_MAX};

/// Default stored chunk size: 4 MiB.
pub const DEFAULT_CHUNK_SIZE: u32 = 4 << 20;
/// Default number of data shards.
pub const DEFAULT_K: u16 = 10;
/// Default number of parity shards.
pub const DEFAULT_M: u16 = 4;
/// Largest chunk the layout accepts (256 MiB): a chunk is held in memory whole while coding.
pub const MAX_CHUNK_SIZE: u32 = 256 << 20;
/// Largest `k + m`. Both erasure libraries handle more, but placement lives on chain.
pub const MAX_SHARDS: u32 = 1024;
/// Smallest Merkle leaf.
pub const MIN_LEAF_SIZE: u32 = 64;
/// Largest Merkle leaf.
pub const MAX_LEAF_SIZE: u32 = 4096;

/// The shape of one stored blob. Pure arithmetic; every method is total on a valid layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobLayout {
    /// Stored bytes (after encryption, before padding and parity).
    size: u64,
    // INV: 1 <= chunk_size <= MAX_CHUNK_SIZE.
    chunk_size: u32,
    // INV: k >= 1, m >= 1, k + m <= MAX_SHARDS.
    k: u16,
    m: u16,
    // INV: power of two in MIN_LEAF_SIZE..=MAX_LEAF_SIZE; the worst-case storage proof of
    // this layout fits in one Solana transaction (checked by `new` and `with_leaf_size`).
    leaf_size: u32,
    // INV: chunk_count = ceil(size / chunk_size), fits in u32.
    chunk_count: u32,
}

impl BlobLayout {
    /// The layout of a `size`-byte blob, with the largest leaf size whose storage proof fits
    /// in one Solana transaction.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] when the parameters are out of range, or when even 64-byte leaves
    /// give a proof larger than one transaction (split the blob; see the module docs).
    pub fn new(size: u64, chunk_size: u32, k: u16, m: u16) -> Result<Self, LayoutError> {
        // No leaf larger than a shard's share of the first chunk: a tiny blob would
        // otherwise be padded to k + m whole 4 KiB leaves.
        let first_chunk = size.min(u64::from(chunk_size)) as u32;
        let natural = first_chunk.div_ceil(u32::from(k.max(1))).max(MIN_LEAF_SIZE);
        let mut leaf_size = MAX_LEAF_SIZE.min(1 << (u32::BITS - 1 - natural.leading_zeros()));
        loop {
            match Self::with_leaf_size(size, chunk_size, k, m, leaf_size) {
                Err(LayoutError::ProofTooLarge { .. }) if leaf_size > MIN_LEAF_SIZE => {
                    leaf_size /= 2;
                }
                other => return other,
            }
        }
    }

    /// The default layout (4 MiB chunks, RS(10, 4)) for a `size`-byte blob.
    ///
    /// # Errors
    ///
    /// As [`BlobLayout::new`].
    pub fn with_defaults(size: u64) -> Result<Self, LayoutError> {
        Self::new(size, DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M)
    }

    /// A layout with an explicit leaf size, as read back from a shard header or from chain.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] when any parameter is out of range or the proof would not fit.
    pub fn with_leaf_size(
        size: u64,
        chunk_size: u32,
        k: u16,
        m: u16,
        leaf_size: u32,
    ) -> Result<Self, LayoutError> {
        if k == 0 {
            return Err(LayoutError::NoDataShards);
        }
        if m == 0 {
            return Err(LayoutError::NoParityShards);
        }
        let total = u32::from(k) + u32::from(m);
        if total > MAX_SHARDS {
            return Err(LayoutError::TooManyShards {
                total,
                max: MAX_SHARDS,
            });
        }
        if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
            return Err(LayoutError::BadChunkSize { chunk_size });
        }
        if !leaf_size.is_power_of_two() || !(MIN_LEAF_SIZE..=MAX_LEAF_SIZE).contains(&leaf_size) {
            return Err(LayoutError::BadLeafSize { leaf_size });
        }
        let chunk_count = u32::try_from(size.div_ceil(u64::from(chunk_size)))
            .map_err(|_| LayoutError::TooManyChunks)?;
        let layout = Self {
            size,
            chunk_size,
            k,
            m,
            leaf_size,
            chunk_count,
        };
        let proof_tx_bytes = proof_tx_size(leaf_size, layout.max_path_len());
        if proof_tx_bytes > SOLANA_TX_MAX {
            return Err(LayoutError::ProofTooLarge {
                proof_tx_bytes,
                max: SOLANA_TX_MAX,
            });
        }
        Ok(layout)
    }

    /// The largest blob (in stored bytes) that the given code proves in one transaction.
    pub fn max_size(chunk_size: u32, k: u16, m: u16) -> u64 {
        // Binary search over chunk counts: proof size only grows with the chunk count.
        let (mut lo, mut hi) = (0u64, u64::from(u32::MAX));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let size = mid.saturating_mul(u64::from(chunk_size));
            if Self::with_leaf_size(size, chunk_size, k, m, MIN_LEAF_SIZE).is_ok() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo * u64::from(chunk_size)
    }

    /// Stored bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Bytes per chunk (all chunks but the last are exactly this long).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }
    /// Data shards per chunk.
    pub fn k(&self) -> u16 {
        self.k
    }
    /// Parity shards per chunk.
    pub fn m(&self) -> u16 {
        self.m
    }
    /// Shards per chunk, `k + m`.
    pub fn total_shards(&self) -> u16 {
        self.k + self.m
    }
    /// Merkle leaf size in bytes.
    pub fn leaf_size(&self) -> u32 {
        self.leaf_size
    }
    /// Number of chunks, `ceil(size / chunk_size)`; 0 for an empty blob.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }

    /// True length of chunk `chunk` before padding; 0 when out of range.
    pub fn chunk_len(&self, chunk: u32) -> u32 {
        if chunk >= self.chunk_count {
            return 0;
        }
        let start = u64::from(chunk) * u64::from(self.chunk_size);
        // Cannot truncate: the remainder is at most chunk_size, a u32.
        (self.size - start).min(u64::from(self.chunk_size)) as u32
    }

    /// Byte offset of chunk `chunk` in the stored stream.
    pub fn chunk_offset(&self, chunk: u32) -> u64 {
        u64::from(chunk) * u64::from(self.chunk_size)
    }

    /// Length of every shard of chunk `chunk`: `ceil(chunk_len / k)` rounded up to a whole
    /// number of leaves. Always even, as reed-solomon-simd requires.
    pub fn shard_len(&self, chunk: u32) -> u32 {
        Self::shard_len_for(self.chunk_len(chunk), self.k, self.leaf_size)
    }

    /// Shard length for a chunk of `chunk_len` bytes under code `k` and `leaf_size`.
    pub fn shard_len_for(chunk_len: u32, k: u16, leaf_size: u32) -> u32 {
        let per_shard = chunk_len.div_ceil(u32::from(k)).max(1);
        // Cannot overflow: per_shard <= MAX_CHUNK_SIZE and leaf_size <= 4096.
        per_shard.div_ceil(leaf_size) * leaf_size
    }

    /// Leaves in each shard of chunk `chunk`.
    pub fn leaves_per_shard(&self, chunk: u32) -> u32 {
        self.shard_len(chunk) / self.leaf_size
    }

    /// Depth of the Merkle tree over one shard of chunk `chunk`.
    pub fn shard_depth(&self, chunk: u32) -> u32 {
        crate::merkle::tree_depth(self.leaves_per_shard(chunk))
    }

    /// Depth of the Merkle tree over the shard roots of one column.
    pub fn column_depth(&self) -> u32 {
        crate::merkle::tree_depth(self.chunk_count)
    }

    /// Depth of the Merkle tree over the column roots.
    pub fn commitment_depth(&self) -> u32 {
        crate::merkle::tree_depth(u32::from(self.total_shards()))
    }

    /// Siblings in a storage proof of a leaf of chunk `chunk` (leaf to column root).
    pub fn path_len(&self, chunk: u32) -> u32 {
        self.shard_depth(chunk) + self.column_depth()
    }

    /// The longest storage-proof path of this layout (chunk 0 has the most leaves).
    pub fn max_path_len(&self) -> u32 {
        if self.chunk_count == 0 {
            return 0;
        }
        self.path_len(0)
    }

    /// Leaves in one column: every leaf a provider at one shard index holds.
    pub fn column_leaves(&self) -> u64 {
        match self.chunk_count {
            0 => 0,
            c => {
                u64::from(c - 1) * u64::from(self.leaves_per_shard(0))
                    + u64::from(self.leaves_per_shard(c - 1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn default_16_gib_blob_proves_in_one_transaction() {
        let layout = BlobLayout::with_defaults(16 * GIB).unwrap();
        assert_eq!(layout.leaf_size(), 64);
        assert_eq!(layout.chunk_count(), 4_096);
        assert_eq!(layout.shard_len(0), 419_456);
        assert_eq!(layout.shard_depth(0), 13);
        assert_eq!(layout.column_depth(), 12);
        assert_eq!(proof_tx_size(64, layout.max_path_len()), 1213);
        assert_eq!(
            BlobLayout::max_size(DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M),
            16 * GIB
        );
    }

    #[test]
    fn larger_blobs_are_rejected_with_a_clear_error() {
        let err = BlobLayout::with_defaults(16 * GIB + 1).unwrap_err();
        assert!(matches!(err, LayoutError::ProofTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn small_blobs_get_large_leaves() {
        let small = BlobLayout::with_defaults(1 << 20).unwrap();
        let big = BlobLayout::with_defaults(GIB).unwrap();
        assert!(small.leaf_size() > big.leaf_size());
        for layout in [small, big] {
            assert!(proof_tx_size(layout.leaf_size(), layout.max_path_len()) <= SOLANA_TX_MAX);
        }
    }

    #[test]
    fn leaves_never_exceed_a_shard_share_of_the_data() {
        assert_eq!(BlobLayout::with_defaults(1).unwrap().leaf_size(), 64);
        assert_eq!(BlobLayout::with_defaults(1).unwrap().shard_len(0), 64);
        // 3000 bytes / 10 = 300 per shard -> 256-byte leaves, 512-byte shards.
        let layout = BlobLayout::with_defaults(3000).unwrap();
        assert_eq!((layout.leaf_size(), layout.shard_len(0)), (256, 512));
    }

    #[test]
    fn last_chunk_keeps_its_true_length() {
        let layout = BlobLayout::new(10 * 1000 + 7, 1000, 3, 2).unwrap();
        assert_eq!(layout.chunk_count(), 11);
        assert_eq!(layout.chunk_len(9), 1000);
        assert_eq!(layout.chunk_len(10), 7);
        assert_eq!(layout.chunk_len(11), 0);
        assert_eq!(layout.shard_len(10) % 2, 0);
        assert!(u64::from(layout.shard_len(10)) * 3 >= 7);
    }

    #[test]
    fn empty_blob_has_no_chunks() {
        let layout = BlobLayout::with_defaults(0).unwrap();
        assert_eq!(layout.chunk_count(), 0);
        assert_eq!(layout.column_leaves(), 0);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert_eq!(
            BlobLayout::new(1, 1024, 0, 4),
            Err(LayoutError::NoDataShards)
        );
        assert_eq!(
            BlobLayout::new(1, 1024, 4, 0),
            Err(LayoutError::NoParityShards)
        );
        assert!(matches!(
            BlobLayout::new(1, 1024, 1000, 100),
            Err(LayoutError::TooManyShards { .. })
        ));
        assert!(matches!(
            BlobLayout::new(1, 0, 4, 2),
            Err(LayoutError::BadChunkSize { .. })
        ));
        assert!(matches!(
            BlobLayout::with_leaf_size(1, 1024, 4, 2, 100),
            Err(LayoutError::BadLeafSize { .. })
        ));
        assert!(matches!(
            BlobLayout::new(u64::MAX, 1, 4, 2),
            Err(LayoutError::TooManyChunks)
        ));
    }
}
