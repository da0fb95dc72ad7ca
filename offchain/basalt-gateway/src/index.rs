//! The bucket and key index, in RocksDB: which buckets exist and, for each object, its size,
//! ETag, content type, user metadata and the blobs holding it. A cache of what the network
//! holds (each blob carries its object record, docs/gateway.md), durable across restarts.
//!
//! Column family `buckets`: bucket name → [`BucketEntry`]. Column family `objects`:
//! `bucket \0 key` → [`ObjectEntry`]; bucket names never hold a NUL and S3 keys cannot (no
//! XML listing could carry one), so one bucket's keys are one contiguous, byte-ordered range,
//! which is the order S3 lists them in. Column family `uploads`: upload id → [`Upload`].
//!
//! No paid blob is ever lost track of. Column family `pending`: blob id → its wallet, written
//! just before the blob is registered ([`Index::pend`]) and removed by the write that makes
//! it part of an object or upload. Column family `trash`: blob id → [`Trashed`], blobs no
//! object or upload holds any more (replaced, deleted, aborted, or pending when a write
//! failed or the gateway stopped), which `crate::reclaim` deletes from the network. Every
//! write that drops a blob from the index puts it in the trash in the same batch.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rocksdb::{ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, DB};
use serde::{Deserialize, Serialize};

use crate::recover::Rebuilt;
use crate::unix_now;

const BUCKETS: &str = "buckets";
const OBJECTS: &str = "objects";
const UPLOADS: &str = "uploads";
const PENDING: &str = "pending";
const TRASH: &str = "trash";

/// The most keys one listing returns, as S3.
pub const MAX_KEYS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEntry {
    /// Unix seconds.
    pub created: u64,
    /// The wallet (its address) whose access keys see it: every object in it is a blob of
    /// that wallet's.
    pub owner: String,
    /// The bucket's own record, a blob holding no object bytes: what recovers an empty
    /// bucket (docs/gateway.md). `None` when the bucket was recovered without it.
    #[serde(default)]
    pub marker: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEntry {
    pub size: u64,
    /// As S3 clients expect it, unquoted: the MD5 in hex for a single-part object,
    /// `md5-of-md5s-N` for a multipart one.
    pub etag: String,
    pub content_type: Option<String>,
    /// `x-amz-meta-*` headers, without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    pub last_modified: u64,
    /// The blobs holding it, in order.
    // INV: the pieces' lengths add up to size
    pub pieces: Vec<Piece>,
}

/// One blob of an object: its object record, then `len` of the object's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// The blob's id (`basalt_core::BlobId` as text).
    pub blob: String,
    /// Where the object's bytes begin in the blob: the record's length.
    pub offset: u64,
    pub len: u64,
}

/// A multipart upload in progress: what CreateMultipartUpload said and the parts uploaded
/// so far, each already stored as blobs of the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    /// The wallet (its address) that started it; only it sees the upload.
    pub owner: String,
    /// Unix seconds.
    pub created: u64,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// By part number (1 to 10,000); a part uploaded again replaces the earlier one.
    pub parts: BTreeMap<u32, Part>,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The part's MD5 in hex.
    pub etag: String,
    pub size: u64,
    /// Unix seconds.
    pub last_modified: u64,
    // INV: the pieces' lengths add up to size
    pub pieces: Vec<Piece>,
}

/// A blob to delete from the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trashed {
    /// The wallet (its address) whose blob it is, which deletes it.
    pub owner: String,
    /// Unix seconds.
    pub since: u64,
}

/// What a ListObjectsV2 asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// List after this key or common prefix (the continuation token, or `start-after`).
    pub after: Option<String>,
    /// At most [`MAX_KEYS`] are returned whatever is asked.
    pub max_keys: usize,
}

/// One page of a listing, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<(String, ObjectEntry)>,
    /// Keys below a delimiter, rolled up to the prefix ending at it.
    pub common_prefixes: Vec<String>,
    /// Where the next page starts (its continuation token), when there is one.
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the index's store: {0}")]
    Store(#[from] rocksdb::Error),
    #[error("a corrupt index record: {0}")]
    Corrupt(String),
    #[error("bucket {0:?} exists")]
    BucketExists(String),
    #[error("no bucket {0:?}")]
    NoBucket(String),
    #[error("bucket {0:?} is not empty")]
    BucketNotEmpty(String),
    #[error("no upload {0:?}")]
    NoUpload(String),
}

pub struct Index {
    db: DB,
    /// Held by every read-modify-write, so two requests on one key cannot both see (and
    /// both leave to be deleted, or neither) the entry one of them replaces.
    writes: Mutex<()>,
}

impl Index {
    /// Opens (or creates) the index at `path`. Blobs still pending go to the trash: the
    /// puts that registered them ended with the process that ran them, unrecorded.
    ///
    /// # Errors
    ///
    /// When RocksDB cannot open it (another gateway holds it, say).
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let families = [BUCKETS, OBJECTS, UPLOADS, PENDING, TRASH]
            .into_iter()
            .map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
        let index = Self {
            db: DB::open_cf_descriptors(&options, path, families)?,
            writes: Mutex::new(()),
        };
        let orphans: Vec<(String, String)> = index.entries(PENDING)?;
        if !orphans.is_empty() {
            tracing::info!(
                blobs = orphans.len(),
                "blobs left pending by a put the last run did not finish go to the trash"
            );
        }
        let mut batch = WriteBatch::default();
        for (blob, owner) in orphans {
            index.throw_away(&mut batch, &owner, &blob)?;
        }
        index.db.write(batch)?;
        Ok(index)
    }

    /// The entry at `key` of column family `name`, decoded.
    fn get<T: for<'a> Deserialize<'a>>(
        &self,
        name: &str,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, IndexError> {
        self.db
            .get_cf(self.cf(name), key)?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    /// Every entry of column family `name`, keys as text, values decoded.
    fn entries<T: for<'a> Deserialize<'a>>(
        &self,
        name: &str,
    ) -> Result<Vec<(String, T)>, IndexError> {
        self.db
            .iterator_cf(self.cf(name), IteratorMode::Start)
            .map(|item| {
                let (key, value) = item?;
                let key = String::from_utf8(key.to_vec())
                    .map_err(|e| IndexError::Corrupt(e.to_string()))?;
                Ok((key, decode(&value)?))
            })
            .collect()
    }

    /// Adds to `batch`: `blob`, of `owner`'s, moves to the trash (from pending, if it was).
    fn throw_away(
        &self,
        batch: &mut WriteBatch,
        owner: &str,
        blob: &str,
    ) -> Result<(), IndexError> {
        let entry = Trashed {
            owner: owner.to_owned(),
            since: unix_now(),
        };
        batch.delete_cf(self.cf(PENDING), blob);
        batch.put_cf(self.cf(TRASH), blob, encode(&entry)?);
        Ok(())
    }

    /// Adds to `batch`: `pieces` are held by what the batch writes, no longer pending.
    fn adopt(&self, batch: &mut WriteBatch, pieces: &[Piece]) {
        for piece in pieces {
            batch.delete_cf(self.cf(PENDING), &piece.blob);
        }
    }

    /// Adds to `batch`: every piece of `pieces` moves to the trash.
    fn discard_into(
        &self,
        batch: &mut WriteBatch,
        owner: &str,
        pieces: &[Piece],
    ) -> Result<(), IndexError> {
        for piece in pieces {
            self.throw_away(batch, owner, &piece.blob)?;
        }
        Ok(())
    }

    /// Marks `blob` of `owner`'s as about to be registered: until a write holds it, it
    /// goes to the trash if the gateway stops.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn pend(&self, blob: &str, owner: &str) -> Result<(), IndexError> {
        self.db.put_cf(self.cf(PENDING), blob, encode(&owner)?)?;
        Ok(())
    }

    /// Moves `blobs` of `owner`'s (pending, or held by nothing) to the trash.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn discard(&self, owner: &str, blobs: &[String]) -> Result<(), IndexError> {
        let mut batch = WriteBatch::default();
        for blob in blobs {
            self.throw_away(&mut batch, owner, blob)?;
        }
        self.db.write(batch)?;
        Ok(())
    }

    /// Every blob in the trash.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn trash(&self) -> Result<Vec<(String, Trashed)>, IndexError> {
        self.entries(TRASH)
    }

    /// `blob`'s entry in the trash, if it is there.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn trashed(&self, blob: &str) -> Result<Option<Trashed>, IndexError> {
        self.get(TRASH, blob)
    }

    /// Takes `blob` out of the trash: it is gone from the network.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn forget(&self, blob: &str) -> Result<(), IndexError> {
        self.db.delete_cf(self.cf(TRASH), blob)?;
        Ok(())
    }

    fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        // INV: open() created every column family.
        self.db
            .cf_handle(name)
            .unwrap_or_else(|| unreachable!("column family {name} is opened with the index"))
    }

    /// # Errors
    ///
    /// [`IndexError::BucketExists`], or the store's.
    pub fn create_bucket(&self, name: &str, entry: &BucketEntry) -> Result<(), IndexError> {
        let _write = self.write_lock();
        if self.bucket(name)?.is_some() {
            return Err(IndexError::BucketExists(name.to_owned()));
        }
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(BUCKETS), name, encode(entry)?);
        if let Some(marker) = &entry.marker {
            batch.delete_cf(self.cf(PENDING), marker);
        }
        self.db.write(batch)?;
        Ok(())
    }

    /// # Errors
    ///
    /// The store's.
    pub fn bucket(&self, name: &str) -> Result<Option<BucketEntry>, IndexError> {
        self.get(BUCKETS, name)
    }

    /// Every bucket, by name.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn buckets(&self) -> Result<Vec<(String, BucketEntry)>, IndexError> {
        self.entries(BUCKETS)
    }

    /// Removes a bucket that holds no object; uploads still in progress in it are aborted
    /// (as S3 does), in the same write. Its own record and the aborted uploads' parts go
    /// to the trash. Returns the bucket and every blob the write trashed.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoBucket`], [`IndexError::BucketNotEmpty`], or the store's.
    pub fn delete_bucket(&self, name: &str) -> Result<(BucketEntry, Vec<String>), IndexError> {
        let _write = self.write_lock();
        let entry = self
            .bucket(name)?
            .ok_or_else(|| IndexError::NoBucket(name.to_owned()))?;
        let probe = ListQuery {
            max_keys: 1,
            ..ListQuery::default()
        };
        if !self.list(name, &probe)?.objects.is_empty() {
            return Err(IndexError::BucketNotEmpty(name.to_owned()));
        }
        let mut batch = WriteBatch::default();
        let mut trashed = Vec::new();
        batch.delete_cf(self.cf(BUCKETS), name);
        if let Some(marker) = &entry.marker {
            self.throw_away(&mut batch, &entry.owner, marker)?;
            trashed.push(marker.clone());
        }
        for (id, upload) in self
            .uploads()?
            .into_iter()
            .filter(|(_, u)| u.bucket == name)
        {
            batch.delete_cf(self.cf(UPLOADS), &id);
            for part in upload.parts.values() {
                self.discard_into(&mut batch, &upload.owner, &part.pieces)?;
                trashed.extend(part.pieces.iter().map(|p| p.blob.clone()));
            }
        }
        self.db.write(batch)?;
        Ok((entry, trashed))
    }

    /// Whether the index holds nothing at all (what a recovery starts from).
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn is_empty(&self) -> Result<bool, IndexError> {
        for name in [BUCKETS, OBJECTS, UPLOADS, PENDING, TRASH] {
            if self
                .db
                .iterator_cf(self.cf(name), IteratorMode::Start)
                .next()
                .transpose()?
                .is_some()
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes a recovered index (`crate::recover`) in one batch: its buckets, objects and
    /// uploads, and its trash.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn restore(&self, rebuilt: &Rebuilt) -> Result<(), IndexError> {
        let _write = self.write_lock();
        let mut batch = WriteBatch::default();
        for (name, entry) in &rebuilt.buckets {
            batch.put_cf(self.cf(BUCKETS), name, encode(entry)?);
        }
        for ((bucket, key), entry) in &rebuilt.objects {
            batch.put_cf(self.cf(OBJECTS), object_key(bucket, key), encode(entry)?);
        }
        for (id, upload) in &rebuilt.uploads {
            batch.put_cf(self.cf(UPLOADS), id, encode(upload)?);
        }
        for (owner, blob) in &rebuilt.trash {
            self.throw_away(&mut batch, owner, blob)?;
        }
        self.db.write(batch)?;
        Ok(())
    }

    /// Records `key` in `bucket`; the entry it replaced goes to the trash, which it returns.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoBucket`], or the store's.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        entry: &ObjectEntry,
    ) -> Result<Option<ObjectEntry>, IndexError> {
        let _write = self.write_lock();
        let owner = self
            .bucket(bucket)?
            .ok_or_else(|| IndexError::NoBucket(bucket.to_owned()))?
            .owner;
        let replaced = self.object(bucket, key)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(OBJECTS), object_key(bucket, key), encode(entry)?);
        self.adopt(&mut batch, &entry.pieces);
        if let Some(replaced) = &replaced {
            self.discard_into(&mut batch, &owner, &replaced.pieces)?;
        }
        self.db.write(batch)?;
        Ok(replaced)
    }

    /// # Errors
    ///
    /// The store's.
    pub fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectEntry>, IndexError> {
        self.get(OBJECTS, object_key(bucket, key))
    }

    /// Removes `key` from `bucket` and puts its blobs in the trash; returns what it was.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectEntry>, IndexError> {
        let _write = self.write_lock();
        let removed = self.object(bucket, key)?;
        if let Some(removed) = &removed {
            let owner = self
                .bucket(bucket)?
                .ok_or_else(|| IndexError::Corrupt(format!("{key:?} of no bucket {bucket:?}")))?
                .owner;
            let mut batch = WriteBatch::default();
            batch.delete_cf(self.cf(OBJECTS), object_key(bucket, key));
            self.discard_into(&mut batch, &owner, &removed.pieces)?;
            self.db.write(batch)?;
        }
        Ok(removed)
    }

    /// Records a new upload under `id`.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoBucket`], or the store's.
    pub fn create_upload(&self, id: &str, upload: &Upload) -> Result<(), IndexError> {
        let _write = self.write_lock();
        if self.bucket(&upload.bucket)?.is_none() {
            return Err(IndexError::NoBucket(upload.bucket.clone()));
        }
        self.db.put_cf(self.cf(UPLOADS), id, encode(upload)?)?;
        Ok(())
    }

    /// # Errors
    ///
    /// The store's.
    pub fn upload(&self, id: &str) -> Result<Option<Upload>, IndexError> {
        self.get(UPLOADS, id)
    }

    /// Upload `id`, which must exist.
    fn existing_upload(&self, id: &str) -> Result<Upload, IndexError> {
        self.upload(id)?
            .ok_or_else(|| IndexError::NoUpload(id.to_owned()))
    }

    /// Every upload in progress, by id.
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn uploads(&self) -> Result<Vec<(String, Upload)>, IndexError> {
        self.entries(UPLOADS)
    }

    /// Records part `number` of upload `id`; the part it replaced goes to the trash, which
    /// it returns.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoUpload`] when the upload is gone (completed or aborted meanwhile),
    /// or the store's.
    pub fn put_part(&self, id: &str, number: u32, part: Part) -> Result<Option<Part>, IndexError> {
        let _write = self.write_lock();
        let mut upload = self.existing_upload(id)?;
        let mut batch = WriteBatch::default();
        self.adopt(&mut batch, &part.pieces);
        let replaced = upload.parts.insert(number, part);
        if let Some(replaced) = &replaced {
            self.discard_into(&mut batch, &upload.owner, &replaced.pieces)?;
        }
        batch.put_cf(self.cf(UPLOADS), id, encode(&upload)?);
        self.db.write(batch)?;
        Ok(replaced)
    }

    /// Aborts upload `id`: it goes, its parts to the trash. Returns it.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoUpload`], or the store's.
    pub fn abort_upload(&self, id: &str) -> Result<Upload, IndexError> {
        let _write = self.write_lock();
        let upload = self.existing_upload(id)?;
        let mut batch = WriteBatch::default();
        batch.delete_cf(self.cf(UPLOADS), id);
        for part in upload.parts.values() {
            self.discard_into(&mut batch, &upload.owner, &part.pieces)?;
        }
        self.db.write(batch)?;
        Ok(upload)
    }

    /// Completes upload `id` as the object `entry` in one write: the upload goes and the
    /// object appears together, so no reader sees both or neither. The parts `entry` does
    /// not hold and the object it replaced go to the trash in the same write. Returns the
    /// object entry it replaced.
    ///
    /// # Errors
    ///
    /// [`IndexError::NoUpload`], [`IndexError::NoBucket`], or the store's.
    pub fn complete_upload(
        &self,
        id: &str,
        entry: &ObjectEntry,
    ) -> Result<Option<ObjectEntry>, IndexError> {
        let _write = self.write_lock();
        let upload = self.existing_upload(id)?;
        if self.bucket(&upload.bucket)?.is_none() {
            return Err(IndexError::NoBucket(upload.bucket.clone()));
        }
        let replaced = self.object(&upload.bucket, &upload.key)?;
        let mut batch = WriteBatch::default();
        batch.delete_cf(self.cf(UPLOADS), id);
        batch.put_cf(
            self.cf(OBJECTS),
            object_key(&upload.bucket, &upload.key),
            encode(entry)?,
        );
        self.adopt(&mut batch, &entry.pieces);
        let held = |blob: &String| entry.pieces.iter().any(|p| &p.blob == blob);
        for part in upload.parts.values() {
            for piece in part.pieces.iter().filter(|p| !held(&p.blob)) {
                self.throw_away(&mut batch, &upload.owner, &piece.blob)?;
            }
        }
        if let Some(replaced) = &replaced {
            self.discard_into(&mut batch, &upload.owner, &replaced.pieces)?;
        }
        self.db.write(batch)?;
        Ok(replaced)
    }

    /// One page of `bucket`'s keys as ListObjectsV2 gives it: keys under `prefix`, after
    /// `after`, those with `delimiter` past the prefix rolled up into one common prefix
    /// each, at most `max_keys` entries (keys and common prefixes together).
    ///
    /// # Errors
    ///
    /// The store's.
    pub fn list(&self, bucket: &str, query: &ListQuery) -> Result<Listing, IndexError> {
        let limit = query.max_keys.min(MAX_KEYS);
        let mut listing = Listing::default();
        if limit == 0 {
            return Ok(listing);
        }
        let start = match &query.after {
            Some(after) if after.as_str() > query.prefix.as_str() => after.as_str(),
            _ => query.prefix.as_str(),
        };
        let from = object_key(bucket, start);
        let scope = object_key(bucket, "");
        let mode = IteratorMode::From(&from, Direction::Forward);
        let mut count = 0;
        // The common prefix last rolled up: every key under it is skipped.
        let mut rolled: Option<String> = query.after.clone().filter(|a| {
            query
                .delimiter
                .as_deref()
                .is_some_and(|d| !d.is_empty() && a.ends_with(d))
        });
        for item in self.db.iterator_cf(self.cf(OBJECTS), mode) {
            let (raw, value) = item?;
            let Some(key) = raw.strip_prefix(scope.as_slice()) else {
                break;
            };
            let key = std::str::from_utf8(key).map_err(|e| IndexError::Corrupt(e.to_string()))?;
            if !key.starts_with(&query.prefix) {
                break;
            }
            if query.after.as_deref().is_some_and(|a| key <= a) {
                continue;
            }
            if rolled.as_deref().is_some_and(|p| key.starts_with(p)) {
                continue;
            }
            let below = query
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .and_then(|d| {
                    key[query.prefix.len()..]
                        .find(d)
                        .map(|at| key[..query.prefix.len() + at + d.len()].to_owned())
                });
            if count == limit {
                listing.next = listing
                    .objects
                    .last()
                    .map(|(k, _)| k.clone())
                    .max(listing.common_prefixes.last().cloned());
                break;
            }
            count += 1;
            match below {
                Some(common) => {
                    listing.common_prefixes.push(common.clone());
                    rolled = Some(common);
                }
                None => listing.objects.push((key.to_owned(), decode(&value)?)),
            }
        }
        Ok(listing)
    }
}

fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bucket.len() + 1 + key.len());
    out.extend_from_slice(bucket.as_bytes());
    out.push(0);
    out.extend_from_slice(key.as_bytes());
    out
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, IndexError> {
    serde_json::to_vec(value).map_err(|e| IndexError::Corrupt(e.to_string()))
}

fn decode<T: for<'a> Deserialize<'a>>(bytes: &[u8]) -> Result<T, IndexError> {
    serde_json::from_slice(bytes).map_err(|e| IndexError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: u64) -> ObjectEntry {
        ObjectEntry {
            size,
            etag: format!("{size:032x}"),
            content_type: Some("text/plain".into()),
            metadata: BTreeMap::from([("colour".into(), "blue".into())]),
            last_modified: 1,
            pieces: vec![Piece {
                blob: format!("blob{size}"),
                offset: 100,
                len: size,
            }],
        }
    }

    fn bucket_entry(created: u64) -> BucketEntry {
        BucketEntry {
            created,
            owner: "wallet".into(),
            marker: None,
        }
    }

    fn keys(listing: &Listing) -> Vec<&str> {
        listing.objects.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Every page of `query`'s listing, each continuing where the last one said.
    fn pages(
        index: &Index,
        bucket: &str,
        mut query: ListQuery,
    ) -> Result<Vec<Listing>, IndexError> {
        let mut out = Vec::new();
        loop {
            let page = index.list(bucket, &query)?;
            query.after.clone_from(&page.next);
            let last = page.next.is_none();
            out.push(page);
            if last {
                return Ok(out);
            }
        }
    }

    #[test]
    fn buckets_and_objects_survive_a_restart_and_a_bucket_empties_before_it_goes(
    ) -> Result<(), IndexError> {
        let dir = tempfile::tempdir().map_err(|e| IndexError::Corrupt(e.to_string()))?;
        {
            let index = Index::open(dir.path())?;
            index.create_bucket("photos", &bucket_entry(7))?;
            assert!(matches!(
                index.create_bucket("photos", &bucket_entry(8)),
                Err(IndexError::BucketExists(_))
            ));
            assert!(matches!(
                index.put_object("nope", "a", &entry(1)),
                Err(IndexError::NoBucket(_))
            ));
            assert_eq!(index.put_object("photos", "a.jpg", &entry(1))?, None);
            assert_eq!(
                index.put_object("photos", "a.jpg", &entry(2))?,
                Some(entry(1)),
                "an overwrite returns what it replaced"
            );
        }
        let index = Index::open(dir.path())?;
        assert_eq!(index.buckets()?, vec![("photos".into(), bucket_entry(7))]);
        assert_eq!(index.object("photos", "a.jpg")?, Some(entry(2)));
        assert!(matches!(
            index.delete_bucket("photos"),
            Err(IndexError::BucketNotEmpty(_))
        ));
        assert_eq!(index.delete_object("photos", "a.jpg")?, Some(entry(2)));
        assert_eq!(index.delete_bucket("photos")?.0, bucket_entry(7));
        assert_eq!(index.buckets()?, Vec::new());
        Ok(())
    }

    fn part(blob: &str) -> Part {
        Part {
            etag: "00".into(),
            size: 5,
            last_modified: 1,
            pieces: vec![Piece {
                blob: blob.into(),
                offset: 100,
                len: 5,
            }],
        }
    }

    fn upload() -> Upload {
        Upload {
            bucket: "photos".into(),
            key: "big".into(),
            owner: "wallet".into(),
            created: 1,
            content_type: None,
            metadata: BTreeMap::new(),
            parts: BTreeMap::new(),
        }
    }

    fn trashed(index: &Index) -> Result<Vec<String>, IndexError> {
        Ok(index.trash()?.into_iter().map(|(blob, _)| blob).collect())
    }

    #[test]
    fn deleting_a_bucket_aborts_its_uploads_and_trashes_their_parts() -> Result<(), IndexError> {
        let dir = tempfile::tempdir().map_err(|e| IndexError::Corrupt(e.to_string()))?;
        let index = Index::open(dir.path())?;
        let mut bucket = bucket_entry(7);
        bucket.marker = Some("marker".into());
        index.create_bucket("photos", &bucket)?;
        index.create_bucket("other", &bucket_entry(8))?;
        let elsewhere = Upload {
            bucket: "other".into(),
            ..upload()
        };
        index.create_upload("here", &upload())?;
        index.create_upload("elsewhere", &elsewhere)?;
        index.put_part("here", 1, part("p1"))?;
        index.put_part("here", 2, part("p2"))?;
        index.put_part("elsewhere", 1, part("kept"))?;

        let (deleted, blobs) = index.delete_bucket("photos")?;
        assert_eq!(deleted, bucket);
        assert_eq!(blobs, ["marker", "p1", "p2"]);
        assert_eq!(trashed(&index)?, ["marker", "p1", "p2"]);
        assert!(index.upload("here")?.is_none(), "the upload is aborted");
        assert!(
            index.upload("elsewhere")?.is_some(),
            "another bucket's stays"
        );
        assert!(matches!(
            index.put_part("here", 3, part("late")),
            Err(IndexError::NoUpload(_))
        ));
        Ok(())
    }

    #[test]
    fn every_blob_the_index_drops_goes_to_the_trash_and_pending_ones_at_the_next_open(
    ) -> Result<(), IndexError> {
        let dir = tempfile::tempdir().map_err(|e| IndexError::Corrupt(e.to_string()))?;
        {
            let index = Index::open(dir.path())?;
            index.create_bucket("photos", &bucket_entry(7))?;
            for blob in ["blob1", "blob2", "stray"] {
                index.pend(blob, "wallet")?;
            }
            index.put_object("photos", "a.jpg", &entry(1))?;
            index.put_object("photos", "a.jpg", &entry(2))?;
            assert_eq!(
                trashed(&index)?,
                ["blob1"],
                "an overwrite trashes what it replaced"
            );
            index.delete_object("photos", "a.jpg")?;
            assert_eq!(trashed(&index)?, ["blob1", "blob2"]);

            index.create_upload("u", &upload())?;
            index.put_part("u", 1, part("p1"))?;
            index.put_part("u", 1, part("p1b"))?;
            index.put_part("u", 2, part("p2"))?;
            let mut whole = entry(5);
            whole.pieces = vec![
                part("completion").pieces[0].clone(),
                part("p1b").pieces[0].clone(),
            ];
            index.put_object("photos", "big", &entry(9))?;
            assert_eq!(index.complete_upload("u", &whole)?, Some(entry(9)));
            assert!(index.upload("u")?.is_none());
            index.create_upload("v", &upload())?;
            index.put_part("v", 1, part("v1"))?;
            assert_eq!(index.abort_upload("v")?.parts.len(), 1);
            assert!(matches!(
                index.put_part("v", 2, part("late")),
                Err(IndexError::NoUpload(_))
            ));
            index.discard("wallet", &["late".to_owned()])?;
            let owners: Vec<String> = index.trash()?.into_iter().map(|(_, t)| t.owner).collect();
            assert!(owners.iter().all(|o| o == "wallet"));
        }
        // "stray" was pending when the index closed: its put never finished.
        let index = Index::open(dir.path())?;
        let mut expected = ["blob1", "blob2", "blob9", "late", "p1", "p2", "stray", "v1"];
        expected.sort_unstable();
        assert_eq!(trashed(&index)?, expected);
        assert!(index.entries::<String>(PENDING)?.is_empty());
        index.forget("stray")?;
        assert!(!trashed(&index)?.contains(&"stray".to_owned()));
        assert_eq!(index.object("photos", "big")?.map(|e| e.size), Some(5));
        Ok(())
    }

    #[test]
    fn listings_follow_s3_prefix_delimiter_and_continuation() -> Result<(), IndexError> {
        let dir = tempfile::tempdir().map_err(|e| IndexError::Corrupt(e.to_string()))?;
        let index = Index::open(dir.path())?;
        for bucket in ["a", "b"] {
            index.create_bucket(bucket, &bucket_entry(1))?;
        }
        let names = [
            "docs/1.txt",
            "docs/2.txt",
            "docs/deep/3.txt",
            "img/x.png",
            "img/y.png",
            "readme",
        ];
        for (i, k) in names.iter().enumerate() {
            index.put_object("a", k, &entry(i as u64))?;
        }
        index.put_object("b", "docs/other", &entry(9))?;

        let all = index.list(
            "a",
            &ListQuery {
                max_keys: 1000,
                ..ListQuery::default()
            },
        )?;
        assert_eq!(keys(&all), names, "byte order, one bucket only");
        assert_eq!(all.next, None);

        let top = ListQuery {
            delimiter: Some("/".into()),
            max_keys: 1000,
            ..ListQuery::default()
        };
        let listed = index.list("a", &top)?;
        assert_eq!(keys(&listed), ["readme"]);
        assert_eq!(listed.common_prefixes, ["docs/", "img/"]);

        let docs = ListQuery {
            prefix: "docs/".into(),
            ..top.clone()
        };
        let listed = index.list("a", &docs)?;
        assert_eq!(keys(&listed), ["docs/1.txt", "docs/2.txt"]);
        assert_eq!(listed.common_prefixes, ["docs/deep/"]);

        // Pages of two, entries and common prefixes counted together.
        let paged: Vec<(String, String)> = pages(&index, "a", ListQuery { max_keys: 2, ..top })?
            .iter()
            .map(|p| (keys(p).join(","), p.common_prefixes.join(",")))
            .collect();
        assert_eq!(
            paged,
            [
                (String::new(), "docs/,img/".to_owned()),
                ("readme".to_owned(), String::new()),
            ]
        );
        let four = ListQuery {
            max_keys: 4,
            ..ListQuery::default()
        };
        let flat: Vec<String> = pages(&index, "a", four)?
            .iter()
            .flat_map(|p| keys(p).into_iter().map(str::to_owned))
            .collect();
        assert_eq!(flat, names, "continuation visits every key once");
        assert!(
            index.list("a", &ListQuery::default())?.objects.is_empty(),
            "max-keys 0"
        );
        Ok(())
    }
}
