//! The shard store: RocksDB with one column family per kind of record.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `shards` | [`ShardKey`] (38 bytes) | the shard data, without its header |
//! | `meta` | [`ShardKey`] | shard header (108 B) ‖ uploader (32 B) ‖ stored-at ms (u64 LE) ‖ BLAKE3 of header ‖ data (32 B) |
//! | `blobs` | blob CID digest (32 B) | uploader (32 B) ‖ first-seen ms (u64 LE) |
//! | `repair` | [`ShardKey`] | why the shard was marked (UTF-8) |
//! | `manifests` | blob CID digest (32 B) | uploader (32 B) ‖ [`basalt_core::StoredManifest`] |
//!
//! An uploader is recorded as its [`basalt_core::Caller::word`]: an ed25519 key as is, an
//! EVM address padded to 32 bytes.
//!
//! Keys are big-endian (digest ‖ chunk ‖ shard) so that every shard of a blob, and every
//! chunk of one column, sits under one key prefix in order.
//!
//! Shards are large values, so the `shards` family keeps them in RocksDB blob files
//! (BlobDB): compaction then moves 38-byte keys and pointers instead of rewriting megabytes.
//!
//! # Durability
//!
//! A put writes data, metadata and the blob index in ONE `WriteBatch`, so a crash leaves
//! either all of them or none. [`SyncPolicy`] says when the write is acknowledged. Under
//! `fsync`, concurrent puts share WAL syncs (group commit; see `ShardStore::sync_wal`).
//!
//! # Integrity
//!
//! A put recomputes the shard's SHA-256 Merkle root from its data and refuses a mismatch
//! with the root in its header; the BLAKE3 digest of header ‖ data (see [`ShardUpload`]) is
//! kept in `meta`. Every read re-hashes the header and data it is about to return and
//! compares the digest (one BLAKE3 pass, several times cheaper than rebuilding the Merkle
//! tree over 64- to 256-byte leaves); the header's own checksum is checked too, and
//! RocksDB's block and blob checksums are verified on the same read. Records written before
//! the digest was kept are checked against their Merkle root instead. Any mismatch is
//! [`StoreError::Corrupt`]: the bytes are not returned, and the shard is recorded in the
//! `repair` family for the repair process.
//!
//! # Files
//!
//! The types are here; the `impl ShardStore` blocks are split by what they do: `engine.rs`
//! (open, write options and WAL syncs, usage, flush), `write.rs` (put, delete),
//! `read.rs` (head, get, corruption, leaf proofs), `index.rs` (the blob index),
//! `manifest.rs` (blob manifests).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use basalt_core::proof::Hash;
use basalt_core::{BlobId, HeaderError, MerkleTree, ShardHeader, HEADER_LEN};
use bytes::Bytes;
mod engine;
mod group_sync;
mod index;
mod manifest;
mod pinned;
mod read;
#[cfg(test)]
mod tests;
mod upload;
mod write;

use engine::batch_with_room_for;
use group_sync::GroupSync;
pub use manifest::ManifestRecord;
use pinned::PinnedValue;
pub use upload::ShardUpload;

use rocksdb::{
    BlockBasedOptions, ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch,
    WriteOptions, DB,
};

const CF_SHARDS: &str = "shards";
const CF_META: &str = "meta";
const CF_BLOBS: &str = "blobs";
const CF_REPAIR: &str = "repair";
const CF_MANIFESTS: &str = "manifests";
const META_LEN: usize = HEADER_LEN + 32 + 8 + 32;
/// A `meta` record from before the body digest was kept: checked by Merkle root on read.
const META_LEN_NO_DIGEST: usize = HEADER_LEN + 32 + 8;
/// Puts of the same key are serialized on one of this many locks; different keys mostly
/// proceed in parallel, so RocksDB can group-commit their WAL syncs.
const LOCK_STRIPES: usize = 64;
/// The write-ahead log's total size, past which the small column families are flushed so
/// old WAL files can go (see [`ShardStore::open`]). Four `shards` memtables' worth.
const MAX_TOTAL_WAL_BYTES: u64 = 256 << 20;
/// Room a write batch needs beyond its values: the 12-byte batch header, and per record a
/// tag, a column family id, two varint lengths and a key of at most 38 bytes, for the at
/// most four records a put writes (the blob index entry's 40-byte value included).
const BATCH_OVERHEAD: usize = 512;

/// When a put is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncPolicy {
    /// The write-ahead log is fsynced before the put returns: an acknowledged shard
    /// survives power loss. The default.
    Fsync,
    /// The write reaches the WAL in the OS page cache before the put returns: it survives
    /// a crash of the node process, but not of the machine. For disposable local networks.
    Wal,
}

impl std::str::FromStr for SyncPolicy {
    type Err = String;

    /// `fsync` or `wal`, as in the configuration file.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fsync" => Ok(Self::Fsync),
            "wal" => Ok(Self::Wal),
            other => Err(format!("{other:?} is not a sync policy: fsync or wal")),
        }
    }
}

/// How the store uses the OS page cache and memory. The default leaves both to the OS.
///
/// `direct_io_flush` with a `blob_cache_bytes` large enough for the shards read soon after
/// they are written is the faster setting under the default `fsync` policy: in the node
/// bench it put about twice as fast at about 60 % of the CPU per GB, and got faster too
/// (`docs/benchmarks.md`). Its cost: shards older than what the cache holds are read from disk,
/// where the page cache would have kept them as long as memory allowed. So it is opt-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreTuning {
    /// Write the files RocksDB flushes (blob and table files) with `O_DIRECT`, past the
    /// page cache. On VMs that hand memory the kernel frees back to the host, every
    /// page-cache write of new data first faults its page in again, which dominated the
    /// node's CPU under fsync puts (`docs/benchmarks.md`).
    pub direct_io_flush: bool,
    /// Bytes of RocksDB blob cache for shard data (0: none). It is filled as memtables are
    /// flushed (`prepopulate_blob_cache = kFlushOnly`), so recent shards are served from
    /// memory without a read, a copy or a CRC pass (the BLAKE3 check stays).
    pub blob_cache_bytes: usize,
}

/// Identifies one shard: (blob, chunk, shard index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardKey {
    pub blob: BlobId,
    pub chunk: u32,
    pub shard: u16,
}

impl ShardKey {
    /// The key of the shard `header` describes.
    pub fn of(header: &ShardHeader) -> Self {
        Self {
            blob: header.blob,
            chunk: header.chunk,
            shard: header.shard,
        }
    }

    fn encode(&self) -> [u8; 38] {
        let mut k = [0u8; 38];
        k[..32].copy_from_slice(self.blob.as_bytes());
        k[32..36].copy_from_slice(&self.chunk.to_be_bytes());
        k[36..].copy_from_slice(&self.shard.to_be_bytes());
        k
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let k: &[u8; 38] = bytes.try_into().ok()?;
        Some(Self {
            blob: BlobId::from_bytes(k[..32].try_into().ok()?),
            chunk: u32::from_be_bytes(k[32..36].try_into().ok()?),
            shard: u16::from_be_bytes(k[36..].try_into().ok()?),
        })
    }

    fn stripe(&self) -> usize {
        let d = self.blob.as_bytes();
        (usize::from(d[0]) ^ self.chunk as usize ^ usize::from(self.shard)) % LOCK_STRIPES
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("shard rejected: {0}")]
    Invalid(#[from] HeaderError),
    #[error("node is full: {used} of {capacity} bytes used, this shard needs {needed}")]
    Full {
        capacity: u64,
        used: u64,
        needed: u64,
    },
    #[error("a different shard is already stored at this blob, chunk and index")]
    Conflict,
    #[error("shard is corrupt on this node ({0}); it was marked for repair and is not served")]
    Corrupt(String),
    #[error("no such leaf or chunk: {0}")]
    OutOfRange(String),
    #[error("manifest rejected: {0}")]
    Manifest(String),
    #[error("storage engine: {0}")]
    Engine(#[from] rocksdb::Error),
    #[error(
        "direct I/O was asked for, but opening a file in {dir} with O_DIRECT failed: {source}"
    )]
    DirectIoUnsupported {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What a put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The shard was written.
    Stored,
    /// The same shard was already stored; nothing changed (puts are idempotent).
    AlreadyStored,
}

/// A shard read back and verified.
#[derive(Debug, Clone)]
pub struct StoredShard {
    pub header: ShardHeader,
    pub uploader: [u8; 32],
    pub stored_at_ms: u64,
    // INV: header.encode() ‖ data passed the record's integrity check when read (the stored
    // header bytes are that encoding: it is canonical). `data` is RocksDB's own buffer,
    // still pinned: serving it costs no copy.
    data: Bytes,
}

impl StoredShard {
    /// The encoded header and the data: `GET` returns the two back to back.
    pub fn into_parts(self) -> (Bytes, Bytes) {
        (Bytes::copy_from_slice(&self.header.encode()), self.data)
    }

    /// The shard data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// What [`ShardStore::get_if`] found.
#[derive(Debug)]
pub enum Lookup {
    /// No shard is stored at the key.
    Missing,
    /// The shard, read and verified.
    Found(StoredShard),
    /// The shard is stored, but its data was not read (the caller's predicate declined).
    Withheld {
        header: ShardHeader,
        uploader: [u8; 32],
    },
}

/// A blob this node holds shards of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobEntry {
    pub blob: BlobId,
    pub uploader: [u8; 32],
    pub first_seen_ms: u64,
}

/// A storage proof of one leaf, against the node's column root.
#[derive(Debug, Clone)]
pub struct LeafProof {
    pub leaf: Vec<u8>,
    /// Siblings from the leaf to the shard root, then from the shard root to the column root.
    pub path: Vec<Hash>,
    pub column_root: Hash,
}

/// Capacity and usage.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Usage {
    pub capacity_bytes: u64,
    pub used_bytes: u64,
    pub shards: u64,
}

/// A `meta` record, decoded.
struct ParsedMeta {
    header: ShardHeader,
    uploader: [u8; 32],
    stored_at_ms: u64,
    /// BLAKE3 of header ‖ data; `None` in records from before it was kept.
    digest: Option<[u8; 32]>,
}

/// The RocksDB-backed shard store. Every method blocks: call it from a blocking thread.
pub struct ShardStore {
    // Shared with the pinned values a read hands out (`PinnedValue`), which borrow from it.
    db: Arc<DB>,
    sync: SyncPolicy,
    capacity: u64,
    // INV: used == sum of shard_len over every record in `meta`, plus the length of every
    // record in `manifests`, plus reservations of puts in flight; shards == number of
    // records in `meta`.
    used: AtomicU64,
    shards: AtomicU64,
    stripes: Vec<Mutex<()>>,
    wal_sync: GroupSync,
}
