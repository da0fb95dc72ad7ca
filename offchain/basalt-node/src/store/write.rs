//! Writes: a shard put (checked, reserved against capacity, one batch, synced), and
//! deletion of one shard or a whole blob.

use super::*;

impl ShardStore {
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

    pub(super) fn write_new(
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
    pub(super) fn reserve(&self, needed: u64) -> Result<(), StoreError> {
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
    pub(super) fn release(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// The lock stripe of a blob's manifest.
    pub(super) fn blob_lock(&self, blob: &BlobId) -> std::sync::MutexGuard<'_, ()> {
        self.stripes[usize::from(blob.as_bytes()[0]) % LOCK_STRIPES]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Deletes every shard of `blob`, its manifest and its index entry. Returns how many
    /// shards went.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn delete_blob(&self, blob: &BlobId) -> Result<usize, StoreError> {
        let keys = self.shards_of(blob)?;
        let mut deleted = 0;
        for key in &keys {
            deleted += usize::from(self.delete(key)?);
        }
        self.delete_manifest(blob)?;
        self.db
            .delete_cf_opt(self.cf(CF_BLOBS), blob.as_bytes(), &self.write_options())?;
        Ok(deleted)
    }
}
