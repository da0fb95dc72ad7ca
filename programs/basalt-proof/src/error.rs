//! Error types. Kept free of `std` so the on-chain programs can map them to their own codes.

use core::fmt;

/// A blob layout that cannot be stored or proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutError {
    /// `k` must be at least 1.
    NoDataShards,
    /// `m` must be at least 1: without parity there is nothing to repair from.
    NoParityShards,
    /// `k + m` exceeds [`crate::layout::MAX_SHARDS`].
    TooManyShards { total: u32, max: u32 },
    /// The chunk size is zero or above [`crate::layout::MAX_CHUNK_SIZE`].
    BadChunkSize { chunk_size: u32 },
    /// The leaf size is not a power of two in `[MIN_LEAF_SIZE, MAX_LEAF_SIZE]`.
    BadLeafSize { leaf_size: u32 },
    /// The blob has more chunks than a `u32` chunk index can name.
    TooManyChunks,
    /// Even with the smallest leaf, a storage proof for this blob would not fit in one
    /// Solana transaction. Split the blob (see [`crate::layout`]).
    ProofTooLarge { proof_tx_bytes: usize, max: usize },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDataShards => write!(f, "erasure code needs at least one data shard (k >= 1)"),
            Self::NoParityShards => {
                write!(f, "erasure code needs at least one parity shard (m >= 1)")
            }
            Self::TooManyShards { total, max } => {
                write!(f, "k + m = {total} shards exceeds the maximum of {max}")
            }
            Self::BadChunkSize { chunk_size } => write!(
                f,
                "chunk size {chunk_size} is outside 1..={}",
                crate::layout::MAX_CHUNK_SIZE
            ),
            Self::BadLeafSize { leaf_size } => write!(
                f,
                "leaf size {leaf_size} is not a power of two in {}..={}",
                crate::layout::MIN_LEAF_SIZE,
                crate::layout::MAX_LEAF_SIZE
            ),
            Self::TooManyChunks => write!(f, "blob has more chunks than fit in a u32 index"),
            Self::ProofTooLarge {
                proof_tx_bytes,
                max,
            } => write!(
                f,
                "a storage proof for this blob needs a {proof_tx_bytes}-byte transaction \
                 (limit {max}); split it into smaller blobs"
            ),
        }
    }
}

/// Why a storage or inclusion proof was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The chunk index is not below the blob's chunk count.
    ChunkOutOfRange { chunk: u32, chunk_count: u32 },
    /// The shard index is not below `k + m`.
    ShardOutOfRange { shard: u32, total: u32 },
    /// The leaf index is not below the shard's leaf count.
    LeafOutOfRange { leaf: u32, leaves: u32 },
    /// The leaf is not exactly `leaf_size` bytes long.
    LeafLength { expected: u32, actual: usize },
    /// The path has the wrong number of siblings for this position in the tree.
    PathLength { expected: u32, actual: usize },
    /// The path does not lead to the expected root.
    RootMismatch,
    /// The blob has no chunks, so there is nothing to prove.
    EmptyBlob,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChunkOutOfRange { chunk, chunk_count } => {
                write!(
                    f,
                    "chunk {chunk} out of range (blob has {chunk_count} chunks)"
                )
            }
            Self::ShardOutOfRange { shard, total } => {
                write!(f, "shard index {shard} out of range (k + m = {total})")
            }
            Self::LeafOutOfRange { leaf, leaves } => {
                write!(f, "leaf {leaf} out of range (shard has {leaves} leaves)")
            }
            Self::LeafLength { expected, actual } => {
                write!(f, "leaf is {actual} bytes, expected {expected}")
            }
            Self::PathLength { expected, actual } => {
                write!(f, "Merkle path has {actual} siblings, expected {expected}")
            }
            Self::RootMismatch => write!(f, "Merkle path does not lead to the committed root"),
            Self::EmptyBlob => write!(f, "an empty blob has nothing to prove"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LayoutError {}
#[cfg(feature = "std")]
impl std::error::Error for ProofError {}
