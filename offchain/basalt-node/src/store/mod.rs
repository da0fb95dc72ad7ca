//! The shard store: RocksDB with one column family per kind of record.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `shards` | [`ShardKey`] (38 bytes) | the shard data, without its header |
//! | `meta` | [`ShardKey`] | shard header (108 B) ‖ uploader key (32 B) ‖ stored-at ms (u64 LE) ‖ BLAKE3 of header ‖ data (32 B) |
//! | `blobs` | blob CID digest (32 B) | uploader key (32 B) ‖ first-seen ms (u64 LE) |
//! | `repair` | [`ShardKey`] | why the shard was marked (UTF-8) |
//! | `manifests` | blob CID digest (32 B) | uploader key (32 B) ‖ [`basalt_core::StoredManifest`] |
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

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use basalt_core::proof::Hash;
use basalt_core::{Cid, HeaderError, MerkleTree, ShardHeader, HEADER_LEN};
use bytes::Bytes;
mod group_sync;
mod manifest;
mod pinned;
mod upload;

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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum SyncPolicy {
    /// The write-ahead log is fsynced before the put returns: an acknowledged shard
    /// survives power loss. The default.
    Fsync,
    /// The write reaches the WAL in the OS page cache before the put returns: it survives
    /// a crash of the node process, but not of the machine. For disposable local networks.
    Wal,
}

/// How the store uses the OS page cache and memory. The default leaves both to the OS.
///
/// `direct_io_flush` with a `blob_cache_bytes` large enough for the shards read soon after
/// they are written is the faster setting under the default `fsync` policy. In the node
/// bench (3 rounds, 588 MB per round, 1 GiB cache; AMD EPYC Zen 4 VM, 2026-12-03) it put
/// 333-382 MB/s against 176-185 with the default tuning, at 3.9-4.4 against 6.5-7.0 node
/// CPU seconds per GB, and got 1082-1673 against 875-1154 MB/s at 0.70-0.95 against
/// 1.14-1.45 s/GB. Its cost: shards older than what the cache holds are read from disk,
/// where the page cache would have kept them as long as memory allowed. So it is opt-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreTuning {
    /// Write the files RocksDB flushes (blob and table files) with `O_DIRECT`, past the
    /// page cache. On these VMs memory the kernel frees goes back to the host within
    /// seconds, so every page-cache write of new data first faults its page in again (`dd`
    /// of 1 GiB into the page cache: 200-350 MB/s, then 3.3-4.3 GB/s when repeated at
    /// once); `copy_folio_from_iter_atomic` was 61 % of the node's CPU under fsync puts.
    pub direct_io_flush: bool,
    /// Bytes of RocksDB blob cache for shard data (0: none). It is filled as memtables are
    /// flushed (`prepopulate_blob_cache = kFlushOnly`), so recent shards are served from
    /// memory without a read, a copy or a CRC pass (the BLAKE3 check stays).
    pub blob_cache_bytes: usize,
}

/// Identifies one shard: (blob, chunk, shard index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardKey {
    pub blob: Cid,
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
        k[..32].copy_from_slice(self.blob.digest());
        k[32..36].copy_from_slice(&self.chunk.to_be_bytes());
        k[36..].copy_from_slice(&self.shard.to_be_bytes());
        k
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let k: &[u8; 38] = bytes.try_into().ok()?;
        Some(Self {
            blob: Cid::from_digest(k[..32].try_into().ok()?),
            chunk: u32::from_be_bytes(k[32..36].try_into().ok()?),
            shard: u16::from_be_bytes(k[36..].try_into().ok()?),
        })
    }

    fn stripe(&self) -> usize {
        let d = self.blob.digest();
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
    pub blob: Cid,
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

impl ShardStore {
    /// Opens (or creates) the store in `dir`.
    ///
    /// # Errors
    ///
    /// When RocksDB cannot open the directory (missing permissions, another process holds
    /// its lock, unrecoverable corruption) or existing metadata does not parse.
    pub fn open(dir: &Path, capacity: u64, sync: SyncPolicy) -> Result<Self, StoreError> {
        Self::open_tuned(dir, capacity, sync, StoreTuning::default())
    }

    /// Opens (or creates) the store in `dir` with `tuning`.
    ///
    /// # Errors
    ///
    /// As [`Self::open`]; also [`StoreError::DirectIoUnsupported`] when
    /// `tuning.direct_io_flush` is set and the directory's filesystem refuses `O_DIRECT`
    /// (tmpfs before Linux 6.6, some FUSE and network filesystems). RocksDB would otherwise
    /// fail at its first flush and stop taking writes.
    pub fn open_tuned(
        dir: &Path,
        capacity: u64,
        sync: SyncPolicy,
        tuning: StoreTuning,
    ) -> Result<Self, StoreError> {
        let mut db_opts = Options::default();
        if tuning.direct_io_flush {
            check_direct_io(dir)?;
            db_opts.set_use_direct_io_for_flush_and_compaction(true);
        }
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        // Stop at the first corrupt WAL record instead of silently skipping it: a shard
        // acknowledged after that point would otherwise vanish without a trace.
        db_opts.set_wal_recovery_mode(rocksdb::DBRecoveryMode::AbsoluteConsistency);
        db_opts.set_paranoid_checks(true);
        // A WAL file is deleted only once every column family with records in it has
        // flushed them. The small families (`meta`, `blobs`, ...) take a few hundred bytes
        // per shard and never fill a memtable, so without this bound every WAL stayed until
        // RocksDB's default limit of 4 x the total memtable budget (2.5 GB here): the node
        // kept a second copy of its last 2.5 GB of shards and replayed all of it on every
        // start. Past the bound, RocksDB flushes the families that hold the oldest WAL.
        db_opts.set_max_total_wal_size(MAX_TOTAL_WAL_BYTES);

        let mut shard_opts = Options::default();
        shard_opts.set_enable_blob_files(true);
        shard_opts.set_min_blob_size(4096);
        shard_opts.set_enable_blob_gc(true);
        shard_opts.set_compression_type(rocksdb::DBCompressionType::None);
        shard_opts.set_blob_compression_type(rocksdb::DBCompressionType::None);
        if tuning.blob_cache_bytes > 0 {
            shard_opts.set_blob_cache(&rocksdb::Cache::new_lru_cache(tuning.blob_cache_bytes));
        }

        let mut small_opts = Options::default();
        let mut table = BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        small_opts.set_block_based_table_factory(&table);
        small_opts.set_compression_type(rocksdb::DBCompressionType::None);

        let cfs = vec![
            ColumnFamilyDescriptor::new(CF_SHARDS, shard_opts),
            ColumnFamilyDescriptor::new(CF_META, small_opts.clone()),
            ColumnFamilyDescriptor::new(CF_BLOBS, small_opts.clone()),
            ColumnFamilyDescriptor::new(CF_REPAIR, small_opts.clone()),
            ColumnFamilyDescriptor::new(CF_MANIFESTS, small_opts),
        ];
        let db = Arc::new(DB::open_cf_descriptors(&db_opts, dir, cfs)?);
        if tuning.blob_cache_bytes > 0 {
            // The `rocksdb` crate has no setter for this column family option; RocksDB
            // takes it by name (it is a mutable option).
            let shards = db.cf_handle(CF_SHARDS).expect("created at open");
            db.set_options_cf(shards, &[("prepopulate_blob_cache", "kFlushOnly")])?;
        }
        let store = Self {
            db,
            sync,
            capacity,
            used: AtomicU64::new(0),
            shards: AtomicU64::new(0),
            stripes: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            wal_sync: GroupSync::new(),
        };
        let (mut used, mut count) = (0u64, 0u64);
        for item in store.db.iterator_cf(store.cf(CF_META), IteratorMode::Start) {
            let (_, value) = item?;
            // A record whose header no longer parses is not counted: its length is unknown,
            // and `delete` subtracts nothing for it either, so the sum stays consistent.
            if let Ok((header, _)) = ShardHeader::decode(&value) {
                used += u64::from(header.shard_len());
            }
            count += 1;
        }
        for item in store
            .db
            .iterator_cf(store.cf(CF_MANIFESTS), IteratorMode::Start)
        {
            let (_, value) = item?;
            used += value.len() as u64;
        }
        store.used.store(used, Ordering::Relaxed);
        store.shards.store(count, Ordering::Relaxed);
        Ok(store)
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("every column family is created at open")
    }

    /// Options of a small write that is acknowledged when it returns: synced under
    /// [`SyncPolicy::Fsync`]. Shard puts write unsynced and call [`Self::sync_wal`].
    fn write_options(&self) -> WriteOptions {
        let mut w = WriteOptions::default();
        w.set_sync(self.sync == SyncPolicy::Fsync);
        w
    }

    /// Under [`SyncPolicy::Fsync`], returns once the WAL is synced past every write made
    /// before this call.
    ///
    /// Shard puts write their batch without `sync` and call this after it. A synced write
    /// shares its fsync only with the writes in its RocksDB write group, and a group is
    /// capped at 1 MB (`max_write_batch_group_size_bytes`, which neither RocksDB's C API nor
    /// the `rocksdb` crate can set): with 420 KB shards every fsync covered one or two puts.
    /// RocksDB's own WAL sync does not share either (see [`GroupSync`]): the puts that
    /// return from their write while a sync runs share the next one here.
    ///
    /// A write is visible to readers before its sync. Nothing is acknowledged before it:
    /// a put returns after the sync, and a repeated put of a stored shard syncs again
    /// before it answers, in case the first one's sync failed.
    fn sync_wal(&self) -> Result<(), StoreError> {
        if self.sync == SyncPolicy::Fsync {
            let ticket = self.wal_sync.ticket();
            self.wal_sync.wait(ticket, || self.db.flush_wal(true))?;
        }
        Ok(())
    }

    /// Capacity and usage now.
    pub fn usage(&self) -> Usage {
        Usage {
            capacity_bytes: self.capacity,
            used_bytes: self.used.load(Ordering::Relaxed),
            shards: self.shards.load(Ordering::Relaxed),
        }
    }

    /// Stores a shard after checking its data against the Merkle root in its header.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] when the data does not match its header,
    /// [`StoreError::Full`], [`StoreError::Conflict`], or an engine error (in which case
    /// nothing was acknowledged).
    pub fn put(
        &self,
        upload: &ShardUpload,
        uploader: [u8; 32],
        now_ms: u64,
    ) -> Result<PutOutcome, StoreError> {
        let header = upload.header();
        header.verify_data(upload.data())?;
        let key = ShardKey::of(header);
        let _guard = self.stripes[key.stripe()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let k = key.encode();
        if let Some(existing) = self.db.get_pinned_cf(self.cf(CF_META), k)? {
            return match ShardHeader::decode(&existing) {
                // The same shard again: nothing to do, unless the stored copy was found
                // corrupt, in which case this verified upload repairs it.
                Ok((h, _)) if h == *header => {
                    if self.db.get_pinned_cf(self.cf(CF_REPAIR), k)?.is_some() {
                        self.write_new(upload, uploader, now_ms, &k, true)
                    } else {
                        // An earlier put of this shard wrote it, but may have failed in
                        // its WAL sync: sync before acknowledging it a second time.
                        self.sync_wal()?;
                        Ok(PutOutcome::AlreadyStored)
                    }
                }
                Ok(_) => Err(StoreError::Conflict),
                // The old record is damaged: let the fresh, verified upload replace it.
                Err(_) => self.write_new(upload, uploader, now_ms, &k, true),
            };
        }
        self.write_new(upload, uploader, now_ms, &k, false)
    }

    fn write_new(
        &self,
        upload: &ShardUpload,
        uploader: [u8; 32],
        now_ms: u64,
        k: &[u8; 38],
        replaces: bool,
    ) -> Result<PutOutcome, StoreError> {
        let (header, data) = (upload.header(), upload.data());
        let needed = data.len() as u64;
        if !replaces {
            self.reserve(needed)?;
        }
        let mut meta = Vec::with_capacity(META_LEN);
        meta.extend_from_slice(&header.encode());
        meta.extend_from_slice(&uploader);
        meta.extend_from_slice(&now_ms.to_le_bytes());
        meta.extend_from_slice(upload.digest());

        let mut batch = batch_with_room_for(data.len() + meta.len());
        batch.put_cf(self.cf(CF_SHARDS), k, data);
        batch.put_cf(self.cf(CF_META), k, &meta);
        batch.delete_cf(self.cf(CF_REPAIR), k);
        self.index_blob(&mut batch, &header.blob, uploader, now_ms)?;
        // Unsynced; made durable by `sync_wal` below (its doc says why).
        if let Err(e) = self.db.write_opt(batch, &WriteOptions::default()) {
            if !replaces {
                self.release(needed);
            }
            return Err(e.into());
        }
        // The record is in the store from here on, durable or not: count it, so that a
        // failed sync leaves the accounting true (a retry finds it and syncs again).
        if !replaces {
            self.shards.fetch_add(1, Ordering::Relaxed);
        }
        self.sync_wal()?;
        Ok(PutOutcome::Stored)
    }

    /// Reserves `needed` bytes of capacity or fails with [`StoreError::Full`].
    fn reserve(&self, needed: u64) -> Result<(), StoreError> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(needed)
                    .filter(|total| *total <= self.capacity)
            })
            .map(|_| ())
            .map_err(|used| StoreError::Full {
                capacity: self.capacity,
                used,
                needed,
            })
    }

    /// Gives back `bytes` of capacity (never below zero).
    fn release(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// The lock stripe of a blob's manifest.
    fn blob_lock(&self, blob: &Cid) -> std::sync::MutexGuard<'_, ()> {
        self.stripes[usize::from(blob.digest()[0]) % LOCK_STRIPES]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The header of a stored shard, without reading or checking its data.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when the stored header is damaged (the shard is then marked
    /// for repair), or an engine error.
    pub fn head(&self, key: &ShardKey) -> Result<Option<(ShardHeader, [u8; 32])>, StoreError> {
        let k = key.encode();
        let Some(meta) = self.read(CF_META, &k, key)? else {
            return Ok(None);
        };
        let parsed = self.parse_meta(&meta, key)?;
        Ok(Some((parsed.header, parsed.uploader)))
    }

    /// Reads a shard and verifies it against its header.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when anything about it fails a check (it is then marked for
    /// repair and its bytes are not returned), or an engine error.
    pub fn get(&self, key: &ShardKey) -> Result<Option<StoredShard>, StoreError> {
        Ok(match self.get_if(key, |_| true)? {
            Lookup::Found(shard) => Some(shard),
            Lookup::Missing | Lookup::Withheld { .. } => None,
        })
    }

    /// Reads a shard's metadata and, when `read_now(uploader)` says yes, its data, verified
    /// as by [`Self::get`]; otherwise the data is left unread. The API uses it to serve a
    /// shard's own uploader in one call, and to consult the chain's ACL (which may wait on
    /// the network) before reading anybody else's data.
    ///
    /// # Errors
    ///
    /// As for [`Self::get`].
    pub fn get_if(
        &self,
        key: &ShardKey,
        read_now: impl FnOnce(&[u8; 32]) -> bool,
    ) -> Result<Lookup, StoreError> {
        let k = key.encode();
        let Some(meta) = self.read(CF_META, &k, key)? else {
            return Ok(Lookup::Missing);
        };
        let ParsedMeta {
            header,
            uploader,
            stored_at_ms,
            digest,
        } = self.parse_meta(&meta, key)?;
        if !read_now(&uploader) {
            return Ok(Lookup::Withheld { header, uploader });
        }
        let head = &meta[..HEADER_LEN];
        let data = PinnedValue::read(Arc::clone(&self.db), CF_SHARDS, &k)
            .map_err(|e| self.engine_error(key, e))?
            .ok_or_else(|| self.corrupt(key, "metadata present but shard data missing"))?;
        // The digest covers header ‖ data; hashed in place, from RocksDB's buffer.
        let checked = match digest {
            Some(digest) => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(head);
                hasher.update(data.as_ref());
                (hasher.finalize().as_bytes() == &digest)
                    .then_some(())
                    .ok_or_else(|| "BLAKE3 digest of header and data does not match".to_string())
            }
            None => header.verify_data(data.as_ref()).map_err(|e| e.to_string()),
        };
        if let Err(why) = checked {
            return Err(self.corrupt(key, &why));
        }
        Ok(Lookup::Found(StoredShard {
            header,
            uploader,
            stored_at_ms,
            data: Bytes::from_owner(data),
        }))
    }

    /// Reads one record; a RocksDB checksum failure counts as corruption of `key`.
    fn read(&self, cf: &str, k: &[u8; 38], key: &ShardKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get_cf(self.cf(cf), k)
            .map_err(|e| self.engine_error(key, e))
    }

    /// An engine error on `key`'s records: a checksum failure is corruption of the shard.
    fn engine_error(&self, key: &ShardKey, e: rocksdb::Error) -> StoreError {
        if e.kind() == rocksdb::ErrorKind::Corruption {
            self.corrupt(key, &format!("storage engine checksum: {e}"))
        } else {
            e.into()
        }
    }

    fn parse_meta(&self, meta: &[u8], key: &ShardKey) -> Result<ParsedMeta, StoreError> {
        let parsed = matches!(meta.len(), META_LEN | META_LEN_NO_DIGEST)
            .then(|| ShardHeader::decode(meta))
            .transpose()
            .map_err(|e| self.corrupt(key, &format!("stored header: {e}")))?;
        match parsed {
            Some((header, rest)) if ShardKey::of(&header) == *key => {
                let uploader: [u8; 32] = rest[..32].try_into().expect("length checked");
                let at = u64::from_le_bytes(rest[32..40].try_into().expect("length checked"));
                Ok(ParsedMeta {
                    header,
                    uploader,
                    stored_at_ms: at,
                    digest: rest.get(40..72).map(|d| d.try_into().expect("32 bytes")),
                })
            }
            _ => Err(self.corrupt(key, "stored metadata is damaged")),
        }
    }

    /// Records `key` for repair and returns the error to report.
    fn corrupt(&self, key: &ShardKey, why: &str) -> StoreError {
        tracing::error!(blob = %key.blob, chunk = key.chunk, shard = key.shard, why, "corrupt shard");
        if let Err(e) =
            self.db
                .put_cf_opt(self.cf(CF_REPAIR), key.encode(), why, &self.write_options())
        {
            tracing::error!(error = %e, "could not record the corrupt shard for repair");
        }
        StoreError::Corrupt(why.to_string())
    }

    /// Shards marked for repair, with the reason.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn repair_queue(&self) -> Result<Vec<(ShardKey, String)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_REPAIR), IteratorMode::Start) {
            let (k, v) = item?;
            if let Some(key) = ShardKey::decode(&k) {
                out.push((key, String::from_utf8_lossy(&v).into_owned()));
            }
        }
        Ok(out)
    }

    /// Deletes one shard. Returns whether it existed.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn delete(&self, key: &ShardKey) -> Result<bool, StoreError> {
        let _guard = self.stripes[key.stripe()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let k = key.encode();
        let Some(meta) = self.db.get_cf(self.cf(CF_META), k)? else {
            return Ok(false);
        };
        let len = ShardHeader::decode(&meta)
            .map(|(h, _)| u64::from(h.shard_len()))
            .unwrap_or(0);
        let mut batch = WriteBatch::default();
        batch.delete_cf(self.cf(CF_SHARDS), k);
        batch.delete_cf(self.cf(CF_META), k);
        batch.delete_cf(self.cf(CF_REPAIR), k);
        self.db.write_opt(batch, &self.write_options())?;
        self.release(len);
        self.shards.fetch_sub(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Every stored shard key of `blob`, in (chunk, shard) order.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn shards_of(&self, blob: &Cid) -> Result<Vec<ShardKey>, StoreError> {
        let prefix = blob.digest();
        let mut out = Vec::new();
        let mode = IteratorMode::From(prefix, Direction::Forward);
        for item in self.db.iterator_cf(self.cf(CF_META), mode) {
            let (k, _) = item?;
            if !k.starts_with(prefix) {
                break;
            }
            out.extend(ShardKey::decode(&k));
        }
        Ok(out)
    }

    /// Deletes every shard of `blob`, its manifest and its index entry. Returns how many
    /// shards went.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn delete_blob(&self, blob: &Cid) -> Result<usize, StoreError> {
        let keys = self.shards_of(blob)?;
        let mut deleted = 0;
        for key in &keys {
            deleted += usize::from(self.delete(key)?);
        }
        self.delete_manifest(blob)?;
        self.db
            .delete_cf_opt(self.cf(CF_BLOBS), blob.digest(), &self.write_options())?;
        Ok(deleted)
    }

    /// Every blob this node holds shards of.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn blobs(&self) -> Result<Vec<BlobEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_BLOBS), IteratorMode::Start) {
            let (k, v) = item?;
            let (Ok(digest), Some(uploader), Some(at)) = (
                <[u8; 32]>::try_from(&k[..]),
                v.get(..32).and_then(|s| <[u8; 32]>::try_from(s).ok()),
                v.get(32..40).and_then(|s| <[u8; 8]>::try_from(s).ok()),
            ) else {
                continue;
            };
            out.push(BlobEntry {
                blob: Cid::from_digest(digest),
                uploader,
                first_seen_ms: u64::from_le_bytes(at),
            });
        }
        Ok(out)
    }

    /// The storage proof of leaf `leaf` of chunk `chunk` in column `shard`: the leaf, its
    /// path to the shard root, and the shard root's path to the column root (built from the
    /// headers of every chunk of the column this node holds).
    ///
    /// # Errors
    ///
    /// [`StoreError::OutOfRange`] when the shard, the leaf or another chunk of the column
    /// is missing; [`StoreError::Corrupt`] as for [`Self::get`].
    pub fn leaf_proof(&self, key: &ShardKey, leaf: u32) -> Result<LeafProof, StoreError> {
        let shard = self
            .get(key)?
            .ok_or_else(|| StoreError::OutOfRange("shard not stored here".into()))?;
        let layout = shard.header.layout;
        let leaf_size = layout.leaf_size() as usize;
        let tree = MerkleTree::over_shard(shard.data(), leaf_size);
        let mut path = tree.path(leaf as usize).ok_or_else(|| {
            StoreError::OutOfRange(format!("leaf {leaf} of {}", tree.leaf_count()))
        })?;
        let mut column = Vec::with_capacity(layout.chunk_count() as usize);
        for chunk in 0..layout.chunk_count() {
            let other = ShardKey { chunk, ..*key };
            let (header, _) = self.head(&other)?.ok_or_else(|| {
                StoreError::OutOfRange(format!("chunk {chunk} of the column is not stored here"))
            })?;
            column.push(header.shard_root);
        }
        let column_tree = MerkleTree::from_leaf_hashes(column);
        path.extend(
            column_tree
                .path(key.chunk as usize)
                .ok_or_else(|| StoreError::OutOfRange(format!("chunk {}", key.chunk)))?,
        );
        let start = leaf as usize * leaf_size;
        Ok(LeafProof {
            leaf: shard.data()[start..start + leaf_size].to_vec(),
            path,
            column_root: column_tree.root(),
        })
    }

    /// Flushes memtables and the WAL to disk (used at shutdown, so a restart replays
    /// nothing and an operator's copy of the directory is complete).
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn flush(&self) -> Result<(), StoreError> {
        for cf in [CF_SHARDS, CF_META, CF_BLOBS, CF_REPAIR] {
            self.db.flush_cf(self.cf(cf))?;
        }
        self.db.flush_wal(true)?;
        Ok(())
    }
}

/// A write batch whose buffer already holds `values` bytes of values plus every record's
/// framing. RocksDB keeps a batch in one growing string: without the reservation, the small
/// records appended after a shard's data reallocate it to twice its size and copy the whole
/// shard once more (a 420 KB memmove, and a fresh 840 KB allocation, per put).
pub(super) fn batch_with_room_for(values: usize) -> WriteBatch {
    WriteBatch::with_capacity_bytes(values + BATCH_OVERHEAD)
}

/// Checks that files in `dir` (created if missing) can be opened with `O_DIRECT`.
fn check_direct_io(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let unsupported = |source| StoreError::DirectIoUnsupported {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(unsupported)?;
    let probe = dir.join(".direct-io-probe");
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(&probe);
    let _ = std::fs::remove_file(&probe);
    opened.map(drop).map_err(unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_core::{encode_blob, BlobManifest};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Every (header, data) of a random blob, chunk-major.
    fn shards(
        size: usize,
        chunk: u32,
        k: u16,
        m: u16,
    ) -> (BlobManifest, Vec<(ShardHeader, Vec<u8>)>) {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let mut chunks = Vec::new();
        let manifest = encode_blob(&data, chunk, k, m, None, |c| chunks.push(c)).expect("encode");
        let mut out = Vec::new();
        for c in &chunks {
            for (j, s) in c.shards().enumerate() {
                let header = manifest
                    .shard_header(c.index, j as u16)
                    .expect("indices from the encoder");
                out.push((header, s.to_vec()));
            }
        }
        (manifest, out)
    }

    fn open(dir: &Path, capacity: u64) -> ShardStore {
        ShardStore::open(dir, capacity, SyncPolicy::Fsync).expect("open store")
    }

    #[test]
    fn put_get_is_idempotent_and_conflicts_are_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (_, all) = shards(50_000, 32 << 10, 3, 2);
        let (h, d) = &all[0];
        assert_eq!(
            store.put(&ShardUpload::new(h, d), [1; 32], 5)?,
            PutOutcome::Stored
        );
        assert_eq!(
            store.put(&ShardUpload::new(h, d), [1; 32], 6)?,
            PutOutcome::AlreadyStored
        );
        let got = store.get(&ShardKey::of(h))?.expect("stored");
        assert_eq!(
            (got.data(), got.uploader, got.stored_at_ms),
            (d.as_slice(), [1; 32], 5)
        );
        assert_eq!(store.usage().shards, 1);
        assert_eq!(store.usage().used_bytes, d.len() as u64);

        // Same position, different content.
        let mut other = *h;
        other.shard_root = all[1].0.shard_root;
        assert!(matches!(
            store.put(&ShardUpload::new(&other, &all[1].1), [1; 32], 7),
            Err(StoreError::Conflict)
        ));
        // Data that does not hash to its header's root.
        let mut bad = d.clone();
        bad[0] ^= 1;
        assert!(matches!(
            store.put(&ShardUpload::new(&all[2].0, &bad), [1; 32], 7),
            Err(StoreError::Invalid(_))
        ));
        Ok(())
    }

    /// Direct I/O flushes plus a blob cache: shards flushed to blob files are served from
    /// the cache and, after a restart (empty cache), read back from the files. Where the
    /// filesystem refuses O_DIRECT, opening must fail with the error that says so.
    #[test]
    fn a_tuned_store_serves_flushed_shards_from_cache_and_from_disk() -> TestResult {
        let dir = tempfile::tempdir()?;
        let tuning = StoreTuning {
            direct_io_flush: true,
            blob_cache_bytes: 8 << 20,
        };
        let store = match ShardStore::open_tuned(dir.path(), u64::MAX, SyncPolicy::Fsync, tuning) {
            Err(StoreError::DirectIoUnsupported { .. }) => {
                assert!(check_direct_io(dir.path()).is_err(), "the probe agrees");
                return Ok(());
            }
            other => other?,
        };
        let (_, all) = shards(200_000, 64 << 10, 4, 2);
        for (h, d) in &all {
            store.put(&ShardUpload::new(h, d), [3; 32], 1)?;
        }
        store.flush()?;
        for (h, d) in &all {
            let got = store.get(&ShardKey::of(h))?.expect("stored");
            assert_eq!(got.data(), d.as_slice());
        }
        drop(store);
        let store = ShardStore::open_tuned(dir.path(), u64::MAX, SyncPolicy::Fsync, tuning)?;
        for (h, d) in &all {
            let got = store.get(&ShardKey::of(h))?.expect("survives a restart");
            assert_eq!(got.data(), d.as_slice());
        }
        Ok(())
    }

    /// Sum of the sizes of the WAL files (`*.log`) in `dir`.
    fn wal_bytes(dir: &Path) -> std::io::Result<u64> {
        let mut total = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.path().extension().is_some_and(|e| e == "log") {
                total += entry.metadata()?.len();
            }
        }
        Ok(total)
    }

    #[test]
    fn old_write_ahead_logs_are_deleted_past_the_bound() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        // 240 MB of data in RS(10, 4): 336 MB of shards, more than the bound.
        let (_, all) = shards(240 << 20, 4 << 20, 10, 4);
        let written: u64 = all.iter().map(|(_, d)| d.len() as u64).sum();
        for (h, d) in &all {
            store.put(&ShardUpload::new(h, d), [1; 32], 5)?;
        }
        let wal = wal_bytes(dir.path())?;
        assert!(written > MAX_TOTAL_WAL_BYTES, "{written}");
        // The bound, plus the WAL file being written when the flush it triggered began.
        assert!(
            wal <= MAX_TOTAL_WAL_BYTES + (64 << 20),
            "{wal} bytes of WAL after {written} bytes of shards"
        );
        drop(store);
        let store = open(dir.path(), u64::MAX);
        assert_eq!(store.usage().shards, all.len() as u64);
        let (h, d) = &all[0];
        assert_eq!(store.get(&ShardKey::of(h))?.expect("stored").data(), d);
        Ok(())
    }

    #[test]
    fn get_if_reads_data_only_when_the_predicate_admits_the_uploader() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (_, all) = shards(50_000, 32 << 10, 3, 2);
        let (h, d) = &all[0];
        store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
        let key = ShardKey::of(h);
        // Damage the data: a lookup that does not read it cannot notice.
        let mut flipped = d.clone();
        flipped[7] ^= 1;
        store
            .db
            .put_cf(store.cf(CF_SHARDS), key.encode(), &flipped)?;
        match store.get_if(&key, |uploader| *uploader == [2; 32])? {
            Lookup::Withheld { header, uploader } => {
                assert_eq!((header, uploader), (*h, [1; 32]));
            }
            other => panic!("expected the data withheld, got {other:?}"),
        }
        assert!(store.repair_queue()?.is_empty(), "nothing was read");
        assert!(matches!(
            store.get_if(&key, |uploader| *uploader == [1; 32]),
            Err(StoreError::Corrupt(_))
        ));
        // Healed by a fresh upload, the uploader gets it in one call.
        store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
        match store.get_if(&key, |uploader| *uploader == [1; 32])? {
            Lookup::Found(shard) => assert_eq!(shard.data(), d.as_slice()),
            other => panic!("expected the shard, got {other:?}"),
        }
        let absent = ShardKey::of(&all[1].0);
        assert!(matches!(store.get_if(&absent, |_| true)?, Lookup::Missing));
        Ok(())
    }

    #[test]
    fn capacity_is_enforced_and_survives_reopen() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (_, all) = shards(50_000, 32 << 10, 3, 2);
        let len = all[0].1.len() as u64;
        {
            let store = open(dir.path(), 2 * len);
            store.put(&ShardUpload::new(&all[0].0, &all[0].1), [1; 32], 0)?;
            store.put(&ShardUpload::new(&all[1].0, &all[1].1), [1; 32], 0)?;
            assert!(matches!(
                store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0),
                Err(StoreError::Full { .. })
            ));
        }
        let store = open(dir.path(), 2 * len);
        assert_eq!(store.usage().used_bytes, 2 * len);
        assert!(matches!(
            store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0),
            Err(StoreError::Full { .. })
        ));
        assert!(store.delete(&ShardKey::of(&all[0].0))?);
        store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0)?;
        Ok(())
    }

    #[test]
    fn corrupt_data_or_metadata_is_reported_queued_and_healed() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (_, all) = shards(50_000, 32 << 10, 3, 2);
        for (h, d) in &all[..2] {
            store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
        }
        let (k0, k1) = (ShardKey::of(&all[0].0), ShardKey::of(&all[1].0));
        let mut flipped = all[0].1.clone();
        flipped[100] ^= 1;
        store
            .db
            .put_cf(store.cf(CF_SHARDS), k0.encode(), &flipped)?;
        let mut meta = store
            .db
            .get_cf(store.cf(CF_META), k1.encode())?
            .expect("meta");
        meta[70] ^= 1; // inside the header's shard root: its checksum no longer matches
        store.db.put_cf(store.cf(CF_META), k1.encode(), &meta)?;

        assert!(matches!(store.get(&k0), Err(StoreError::Corrupt(_))));
        assert!(matches!(store.get(&k1), Err(StoreError::Corrupt(_))));
        assert!(matches!(store.head(&k1), Err(StoreError::Corrupt(_))));
        let queued: Vec<ShardKey> = store.repair_queue()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(queued, vec![k0, k1]);

        // Re-uploading the verified shard replaces the damaged copy and clears the mark.
        assert_eq!(
            store.put(&ShardUpload::new(&all[0].0, &all[0].1), [1; 32], 0)?,
            PutOutcome::Stored
        );
        assert_eq!(
            store.put(&ShardUpload::new(&all[1].0, &all[1].1), [1; 32], 0)?,
            PutOutcome::Stored
        );
        assert_eq!(store.get(&k0)?.expect("healed").data(), all[0].1.as_slice());
        assert!(store.repair_queue()?.is_empty());
        assert_eq!(store.usage().shards, 2);
        Ok(())
    }

    #[test]
    fn a_damaged_digest_is_corruption_and_digestless_records_are_checked_by_root() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (_, all) = shards(50_000, 32 << 10, 3, 2);
        for (h, d) in &all[..3] {
            store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
        }
        let keys: Vec<ShardKey> = all[..3].iter().map(|(h, _)| ShardKey::of(h)).collect();
        let meta_of = |k: &ShardKey| -> Result<Vec<u8>, StoreError> {
            Ok(store
                .db
                .get_cf(store.cf(CF_META), k.encode())?
                .expect("meta"))
        };

        // The digest itself damaged: the data is intact, but nothing vouches for it.
        let mut meta = meta_of(&keys[0])?;
        assert_eq!(meta.len(), META_LEN);
        meta[META_LEN - 1] ^= 0x80;
        store
            .db
            .put_cf(store.cf(CF_META), keys[0].encode(), &meta)?;
        assert!(matches!(store.get(&keys[0]), Err(StoreError::Corrupt(_))));

        // Records written before the digest was kept are read, and checked by Merkle root.
        for k in &keys[1..] {
            let meta = meta_of(k)?;
            store
                .db
                .put_cf(store.cf(CF_META), k.encode(), &meta[..META_LEN_NO_DIGEST])?;
        }
        assert_eq!(store.get(&keys[1])?.expect("stored").data(), &all[1].1[..]);
        let mut flipped = all[2].1.clone();
        flipped[7] ^= 1;
        store
            .db
            .put_cf(store.cf(CF_SHARDS), keys[2].encode(), &flipped)?;
        assert!(matches!(store.get(&keys[2]), Err(StoreError::Corrupt(_))));

        let queued: Vec<ShardKey> = store.repair_queue()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(queued, vec![keys[0], keys[2]]);
        Ok(())
    }

    #[test]
    fn blobs_are_indexed_and_deleted_whole() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (m1, a) = shards(70_000, 32 << 10, 2, 1);
        let (m2, b) = shards(10_000, 32 << 10, 2, 1);
        for (h, d) in a.iter().chain(&b) {
            store.put(&ShardUpload::new(h, d), [9; 32], 42)?;
        }
        let mut blobs: Vec<Cid> = store.blobs()?.into_iter().map(|e| e.blob).collect();
        blobs.sort();
        let mut expected = vec![m1.cid, m2.cid];
        expected.sort();
        assert_eq!(blobs, expected);
        assert_eq!(store.shards_of(&m1.cid)?.len(), a.len());
        assert_eq!(store.delete_blob(&m1.cid)?, a.len());
        assert!(store.shards_of(&m1.cid)?.is_empty());
        assert_eq!(store.blobs()?.len(), 1);
        assert_eq!(store.usage().shards, b.len() as u64);
        Ok(())
    }

    #[test]
    fn leaf_proofs_verify_with_the_on_chain_check() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = open(dir.path(), u64::MAX);
        let (manifest, all) = shards(200_000, 32 << 10, 3, 2);
        let column = 4u16;
        for (h, d) in all.iter().filter(|(h, _)| h.shard == column) {
            store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
        }
        let layout = *manifest.layout();
        let column_root = manifest.commitment.column_roots()[usize::from(column)];
        for (chunk, leaf) in [(0, 1), (layout.chunk_count() - 1, 0)] {
            let key = ShardKey {
                blob: manifest.cid,
                chunk,
                shard: column,
            };
            let proof = store.leaf_proof(&key, leaf)?;
            assert_eq!(proof.column_root, column_root);
            basalt_core::proof::verify_storage_proof(
                &layout,
                &column_root,
                chunk,
                leaf,
                &proof.leaf,
                &proof.path,
            )?;
        }
        let past_the_end = ShardKey {
            blob: manifest.cid,
            chunk: 0,
            shard: column,
        };
        assert!(matches!(
            store.leaf_proof(&past_the_end, 1 << 20),
            Err(StoreError::OutOfRange(_))
        ));
        // A column with a chunk missing cannot be proven from this node.
        store.delete(&ShardKey {
            blob: manifest.cid,
            chunk: 1,
            shard: column,
        })?;
        let key = ShardKey {
            blob: manifest.cid,
            chunk: 0,
            shard: column,
        };
        assert!(matches!(
            store.leaf_proof(&key, 3),
            Err(StoreError::OutOfRange(_))
        ));
        Ok(())
    }
}
