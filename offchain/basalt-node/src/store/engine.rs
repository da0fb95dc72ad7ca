//! Opening the store (column families, tuning, recounting usage), write options and
//! group-committed WAL syncs, usage, and the final flush.

use super::*;

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

    pub(super) fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("every column family is created at open")
    }

    /// Options of a small write that is acknowledged when it returns: synced under
    /// [`SyncPolicy::Fsync`]. Shard puts write unsynced and call [`Self::sync_wal`].
    pub(super) fn write_options(&self) -> WriteOptions {
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
    pub(super) fn sync_wal(&self) -> Result<(), StoreError> {
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
pub(super) fn check_direct_io(dir: &Path) -> Result<(), StoreError> {
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
