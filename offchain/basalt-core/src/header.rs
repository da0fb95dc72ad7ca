//! The versioned binary header in front of every shard, on disk and on the wire.
//!
//! Explicit little-endian layout (108 bytes, version 2):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 4 | magic `BSLT` |
//! | 4 | 1 | version (2) |
//! | 5 | 1 | flags: bit 0 = encrypted; other bits must be 0 |
//! | 6 | 2 | k |
//! | 8 | 2 | m |
//! | 10 | 2 | shard index |
//! | 12 | 4 | chunk index |
//! | 16 | 4 | chunk size of the layout |
//! | 20 | 4 | leaf size |
//! | 24 | 8 | blob size (stored bytes) |
//! | 32 | 4 | shard length |
//! | 36 | 32 | blob id ([`BlobId`]: the content bound to its owner) |
//! | 68 | 32 | shard Merkle root |
//! | 100 | 8 | checksum: first 8 bytes of BLAKE3 over bytes 0..100 |
//!
//! The header carries the whole layout, so a node can check the shard length and root of
//! every shard it receives without asking the chain. Decoding never panics: anything short,
//! foreign, inconsistent or corrupted is a [`HeaderError`].

use basalt_proof::{BlobLayout, Hash, LayoutError};

use crate::blob_id::BlobId;
use crate::merkle::shard_root;

/// Header length in bytes (version 1).
pub const HEADER_LEN: usize = 108;
const MAGIC: [u8; 4] = *b"BSLT";
// Version 1 named the blob by its CID; a blob is one owner's registration of content, so
// version 2 names it by its id.
const VERSION: u8 = 2;
const FLAG_ENCRYPTED: u8 = 1;
const CHECKSUMMED: usize = 100;

/// Why a header or the shard behind it was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("shard header truncated: {actual} bytes, need {HEADER_LEN}")]
    Truncated { actual: usize },
    #[error("not a Basalt shard (magic {0:02x?})")]
    Magic([u8; 4]),
    #[error("unsupported shard header version {0} (this build reads version {VERSION})")]
    Version(u8),
    #[error("shard header checksum mismatch: the header is corrupted")]
    Checksum,
    #[error("unknown shard header flags 0x{0:02x}")]
    Flags(u8),
    #[error("shard header describes an invalid layout: {0}")]
    Layout(#[from] LayoutError),
    #[error("chunk index {chunk} out of range: blob has {chunk_count} chunks")]
    Chunk { chunk: u32, chunk_count: u32 },
    #[error("shard index {shard} out of range: k + m = {total}")]
    Shard { shard: u16, total: u16 },
    #[error("shard length {actual} does not match the layout's {expected}")]
    ShardLen { actual: u32, expected: u32 },
    #[error("shard data is {actual} bytes, header says {expected}")]
    DataLen { actual: usize, expected: usize },
    #[error("shard data does not hash to the shard root in its header: it is corrupted")]
    Root,
}

/// Identifies one shard of one blob and commits to its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardHeader {
    /// The blob's id.
    pub blob: BlobId,
    /// The blob's layout.
    pub layout: BlobLayout,
    /// Whether the stored bytes are ciphertext.
    pub encrypted: bool,
    // INV: chunk < layout.chunk_count(); shard < layout.total_shards().
    /// Chunk index.
    pub chunk: u32,
    /// Shard index inside the chunk (0..k data, k..k+m parity).
    pub shard: u16,
    /// Merkle root of the shard data.
    pub shard_root: Hash,
}

impl ShardHeader {
    /// Length of the shard data this header describes.
    pub fn shard_len(&self) -> u32 {
        self.layout.shard_len(self.chunk)
    }

    /// The 108-byte encoding.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let l = &self.layout;
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = VERSION;
        out[5] = if self.encrypted { FLAG_ENCRYPTED } else { 0 };
        out[6..8].copy_from_slice(&l.k().to_le_bytes());
        out[8..10].copy_from_slice(&l.m().to_le_bytes());
        out[10..12].copy_from_slice(&self.shard.to_le_bytes());
        out[12..16].copy_from_slice(&self.chunk.to_le_bytes());
        out[16..20].copy_from_slice(&l.chunk_size().to_le_bytes());
        out[20..24].copy_from_slice(&l.leaf_size().to_le_bytes());
        out[24..32].copy_from_slice(&l.size().to_le_bytes());
        out[32..36].copy_from_slice(&self.shard_len().to_le_bytes());
        out[36..68].copy_from_slice(self.blob.as_bytes());
        out[68..100].copy_from_slice(&self.shard_root);
        let checksum = blake3::hash(&out[..CHECKSUMMED]);
        out[CHECKSUMMED..].copy_from_slice(&checksum.as_bytes()[..8]);
        out
    }

    /// Parses a header from the front of `bytes`; returns it and the bytes after it.
    ///
    /// # Errors
    ///
    /// [`HeaderError`] for short, foreign, corrupted or inconsistent input.
    pub fn decode(bytes: &[u8]) -> Result<(Self, &[u8]), HeaderError> {
        if bytes.len() < HEADER_LEN {
            return Err(HeaderError::Truncated {
                actual: bytes.len(),
            });
        }
        let (h, rest) = bytes.split_at(HEADER_LEN);
        let magic: [u8; 4] = array(&h[0..4]);
        if magic != MAGIC {
            return Err(HeaderError::Magic(magic));
        }
        if h[4] != VERSION {
            return Err(HeaderError::Version(h[4]));
        }
        if blake3::hash(&h[..CHECKSUMMED]).as_bytes()[..8] != h[CHECKSUMMED..] {
            return Err(HeaderError::Checksum);
        }
        if h[5] & !FLAG_ENCRYPTED != 0 {
            return Err(HeaderError::Flags(h[5]));
        }
        let k = u16::from_le_bytes(array(&h[6..8]));
        let m = u16::from_le_bytes(array(&h[8..10]));
        let shard = u16::from_le_bytes(array(&h[10..12]));
        let chunk = u32::from_le_bytes(array(&h[12..16]));
        let chunk_size = u32::from_le_bytes(array(&h[16..20]));
        let leaf_size = u32::from_le_bytes(array(&h[20..24]));
        let size = u64::from_le_bytes(array(&h[24..32]));
        let shard_len = u32::from_le_bytes(array(&h[32..36]));
        let layout = BlobLayout::with_leaf_size(size, chunk_size, k, m, leaf_size)?;
        if chunk >= layout.chunk_count() {
            return Err(HeaderError::Chunk {
                chunk,
                chunk_count: layout.chunk_count(),
            });
        }
        if shard >= layout.total_shards() {
            return Err(HeaderError::Shard {
                shard,
                total: layout.total_shards(),
            });
        }
        if shard_len != layout.shard_len(chunk) {
            return Err(HeaderError::ShardLen {
                actual: shard_len,
                expected: layout.shard_len(chunk),
            });
        }
        let header = Self {
            blob: BlobId::from_bytes(array(&h[36..68])),
            layout,
            encrypted: h[5] & FLAG_ENCRYPTED != 0,
            chunk,
            shard,
            shard_root: array(&h[68..100]),
        };
        Ok((header, rest))
    }

    /// Checks that `data` is exactly the shard this header commits to.
    ///
    /// # Errors
    ///
    /// [`HeaderError::DataLen`] or [`HeaderError::Root`].
    pub fn verify_data(&self, data: &[u8]) -> Result<(), HeaderError> {
        let expected = self.shard_len() as usize;
        if data.len() != expected {
            return Err(HeaderError::DataLen {
                actual: data.len(),
                expected,
            });
        }
        if shard_root(data, self.layout.leaf_size() as usize) != self.shard_root {
            return Err(HeaderError::Root);
        }
        Ok(())
    }
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().expect("caller slices exactly N bytes")
}
