//! Blob manifests ([`StoredManifest`]): one per blob, next to its shards. A reader fetches
//! one from any node holding the blob and checks it against the chain's commitment root;
//! the node's own checks below only keep obviously wrong manifests out.

use basalt_core::{BlobId, ShardHeader, StoredManifest};
use rocksdb::WriteBatch;

use super::{
    batch_with_room_for, PutOutcome, ShardStore, StoreError, CF_BLOBS, CF_MANIFESTS, CF_META,
};

/// A stored manifest as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRecord {
    /// The encoded [`StoredManifest`], checked to decode.
    pub bytes: Vec<u8>,
    /// The key that uploaded it.
    pub uploader: [u8; 32],
}

/// Bytes in front of the manifest in its record: the uploader's key.
const UPLOADER_LEN: usize = 32;

impl ShardStore {
    /// Stores the manifest of `blob`, uploaded by `uploader`.
    ///
    /// The manifest must decode, name `blob`, and agree with every shard of `blob` this
    /// node already holds (same layout, same shard roots). Storing the same manifest again
    /// is a no-op. A different manifest replaces the stored one only when the stored one
    /// contradicts a shard held here (it was wrong; the new one is checked the same way).
    ///
    /// # Errors
    ///
    /// [`StoreError::Manifest`] when the manifest is malformed or contradicts a held shard,
    /// [`StoreError::Conflict`] when a different, consistent manifest is already stored,
    /// [`StoreError::Full`], or an engine error.
    pub fn put_manifest(
        &self,
        blob: &BlobId,
        bytes: &[u8],
        uploader: [u8; 32],
        now_ms: u64,
    ) -> Result<PutOutcome, StoreError> {
        let manifest =
            StoredManifest::decode(bytes).map_err(|e| StoreError::Manifest(e.to_string()))?;
        if manifest.blob != *blob {
            return Err(StoreError::Manifest(format!(
                "manifest is for blob {}, not {blob}",
                manifest.blob
            )));
        }
        let held = self.held_headers(blob)?;
        if let Some(why) = contradiction(&manifest, &held) {
            return Err(StoreError::Manifest(why));
        }
        let _guard = self.blob_lock(blob);
        let existing = self.db.get_cf(self.cf(CF_MANIFESTS), blob.as_bytes())?;
        let replaced_len = match existing {
            Some(old) => {
                let old_manifest = old.get(UPLOADER_LEN..).unwrap_or_default();
                if old_manifest == bytes {
                    return Ok(PutOutcome::AlreadyStored);
                }
                let old_is_wrong = StoredManifest::decode(old_manifest)
                    .map(|m| contradiction(&m, &held).is_some())
                    .unwrap_or(true);
                if !old_is_wrong {
                    return Err(StoreError::Conflict);
                }
                old.len() as u64
            }
            None => 0,
        };
        let needed = (UPLOADER_LEN + bytes.len()) as u64;
        self.reserve(needed)?;
        let mut record = Vec::with_capacity(UPLOADER_LEN + bytes.len());
        record.extend_from_slice(&uploader);
        record.extend_from_slice(bytes);
        let mut batch = batch_with_room_for(record.len());
        batch.put_cf(self.cf(CF_MANIFESTS), blob.as_bytes(), &record);
        self.index_blob(&mut batch, blob, uploader, now_ms)?;
        if let Err(e) = self.db.write_opt(batch, &self.write_options()) {
            self.release(needed);
            return Err(e.into());
        }
        self.release(replaced_len);
        Ok(PutOutcome::Stored)
    }

    /// The stored manifest of `blob` and the key that uploaded it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when the stored record no longer decodes (it is not
    /// served), or an engine error.
    pub fn get_manifest(&self, blob: &BlobId) -> Result<Option<ManifestRecord>, StoreError> {
        let Some(record) = self.db.get_cf(self.cf(CF_MANIFESTS), blob.as_bytes())? else {
            return Ok(None);
        };
        let (Some(uploader), Some(bytes)) = (
            record
                .get(..UPLOADER_LEN)
                .and_then(|u| <[u8; 32]>::try_from(u).ok()),
            record.get(UPLOADER_LEN..),
        ) else {
            return Err(StoreError::Corrupt(format!(
                "manifest record of {blob} is truncated"
            )));
        };
        if let Err(e) = StoredManifest::decode(bytes) {
            return Err(StoreError::Corrupt(format!("manifest of {blob}: {e}")));
        }
        Ok(Some(ManifestRecord {
            bytes: bytes.to_vec(),
            uploader,
        }))
    }

    /// Deletes the manifest of `blob`; true when there was one.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub(super) fn delete_manifest(&self, blob: &BlobId) -> Result<bool, StoreError> {
        let _guard = self.blob_lock(blob);
        let Some(record) = self.db.get_cf(self.cf(CF_MANIFESTS), blob.as_bytes())? else {
            return Ok(false);
        };
        self.db.delete_cf_opt(
            self.cf(CF_MANIFESTS),
            blob.as_bytes(),
            &self.write_options(),
        )?;
        self.release(record.len() as u64);
        Ok(true)
    }

    /// Headers of every shard of `blob` held here whose metadata still parses.
    fn held_headers(&self, blob: &BlobId) -> Result<Vec<ShardHeader>, StoreError> {
        let mut out = Vec::new();
        for key in self.shards_of(blob)? {
            if let Some(meta) = self.db.get_cf(self.cf(CF_META), key.encode())? {
                if let Ok((header, _)) = ShardHeader::decode(&meta) {
                    out.push(header);
                }
            }
        }
        Ok(out)
    }

    /// Adds `blob` to the blob index in `batch` unless it is there already.
    pub(super) fn index_blob(
        &self,
        batch: &mut WriteBatch,
        blob: &BlobId,
        uploader: [u8; 32],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let digest = blob.as_bytes();
        if self.db.get_pinned_cf(self.cf(CF_BLOBS), digest)?.is_none() {
            let mut entry = Vec::with_capacity(40);
            entry.extend_from_slice(&uploader);
            entry.extend_from_slice(&now_ms.to_le_bytes());
            batch.put_cf(self.cf(CF_BLOBS), digest, entry);
        }
        Ok(())
    }
}

/// Why `manifest` cannot describe the shards in `held`, if it cannot.
fn contradiction(manifest: &StoredManifest, held: &[ShardHeader]) -> Option<String> {
    let m = &manifest.manifest;
    held.iter().find_map(|h| {
        if h.layout != *m.layout() || h.encrypted != m.encrypted {
            return Some(format!(
                "manifest layout differs from shard {}/{} held here",
                h.chunk, h.shard
            ));
        }
        (m.commitment.shard_root(h.chunk, h.shard) != Some(h.shard_root)).then(|| {
            format!(
                "manifest root of shard {}/{} differs from the shard held here",
                h.chunk, h.shard
            )
        })
    })
}
