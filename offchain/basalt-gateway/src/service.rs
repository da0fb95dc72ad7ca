//! The S3 operations (`s3s::S3`) over the index and the network. `s3s` has already checked
//! the request's signature ([`crate::auth`]) when an operation runs; the access key it was
//! signed with picks the wallet the operation acts as, and a bucket is seen only by the
//! wallet that created it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3Request, S3Response, S3Result, S3};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::auth::KeyRing;
use crate::config::LimitsConfig;
use crate::index::{BucketEntry, Index, IndexError, ListQuery, ObjectEntry, Piece, MAX_KEYS};
use crate::limits::Limits;
use crate::network::{Network, NetworkError};
use crate::reclaim::{Pending, Reclaimer};
use crate::record::ObjectRecord;
use crate::spool::{Spool, SpoolError};
use crate::unix_now;

mod multipart;

/// S3's longest key, in bytes.
const MAX_KEY_LEN: usize = 1024;

/// The gateway's S3 service.
pub struct Gateway {
    index: Arc<Index>,
    keys: KeyRing,
    network: Arc<Network>,
    reclaimer: Arc<Reclaimer>,
    spool: PathBuf,
    limits: Limits,
}

/// Who is asking: the wallet an access key acts as.
struct Caller {
    wallet: Arc<Keypair>,
    /// The wallet's address: the owner of its buckets.
    owner: String,
}

impl Gateway {
    pub fn new(
        index: Arc<Index>,
        keys: KeyRing,
        network: Arc<Network>,
        reclaimer: Arc<Reclaimer>,
        spool: PathBuf,
        limits: &LimitsConfig,
    ) -> Self {
        Self {
            index,
            keys,
            network,
            reclaimer,
            spool,
            limits: Limits::new(limits),
        }
    }

    fn caller<T>(&self, req: &S3Request<T>) -> S3Result<Caller> {
        let credentials = req
            .credentials
            .as_ref()
            .ok_or_else(|| s3_error!(AccessDenied, "a signed request is required"))?;
        let wallet = self
            .keys
            .wallet(&credentials.access_key)
            .ok_or_else(|| s3_error!(InvalidAccessKeyId))?;
        self.limits.admit(&credentials.access_key)?;
        let owner = wallet.pubkey().to_string();
        Ok(Caller { wallet, owner })
    }

    /// `name`, when it exists and is the caller's.
    fn bucket(&self, name: &str, caller: &Caller) -> S3Result<BucketEntry> {
        match self.index.bucket(name).map_err(internal)? {
            None => Err(s3_error!(NoSuchBucket, "no bucket {name:?}")),
            Some(entry) if entry.owner != caller.owner => Err(s3_error!(
                AccessDenied,
                "bucket {name:?} belongs to another wallet"
            )),
            Some(entry) => Ok(entry),
        }
    }

    /// One page of the caller's `bucket` as one of the three listing calls asks for it.
    fn page(&self, caller: &Caller, bucket: &str, asked: Asked<'_>) -> S3Result<Page> {
        self.bucket(bucket, caller)?;
        let max_keys = max_keys_of(asked.max_keys)?;
        let delimiter = given(asked.delimiter);
        let query = ListQuery {
            prefix: asked.prefix.unwrap_or_default().to_owned(),
            delimiter: delimiter.clone(),
            after: asked.after,
            max_keys,
        };
        let listing = self.index.list(bucket, &query).map_err(internal)?;
        let (contents, common_prefixes) =
            listed(listing.objects, listing.common_prefixes, asked.owner);
        Ok(Page {
            contents,
            common_prefixes,
            next: listing.next,
            delimiter,
            max_keys,
        })
    }

    fn object(&self, bucket: &str, key: &str, caller: &Caller) -> S3Result<ObjectEntry> {
        self.bucket(bucket, caller)?;
        self.index
            .object(bucket, key)
            .map_err(internal)?
            .ok_or_else(|| s3_error!(NoSuchKey, "no object {key:?} in bucket {bucket:?}"))
    }

    /// Deletes object `key` and its blobs (their deals refunded) before answering; a
    /// deletion that fails is retried from the trash. S3 answers a delete of a missing key
    /// as a success.
    async fn remove_object(&self, bucket: &str, key: &str) -> S3Result<()> {
        if let Some(removed) = self.index.delete_object(bucket, key).map_err(internal)? {
            let blobs: Vec<String> = removed.pieces.into_iter().map(|p| p.blob).collect();
            self.reclaimer.reclaim_now(&blobs).await;
        }
        Ok(())
    }

    /// Stores `spool` as `caller`'s blobs, each named by `record`; every blob is pending in
    /// the index from before its registration, and in the trash if the store fails.
    async fn store_pieces(
        &self,
        caller: &Caller,
        spool: &Spool,
        record: &ObjectRecord,
    ) -> S3Result<Vec<Piece>> {
        let pending = Pending::new(Arc::clone(&self.index), &caller.owner);
        let stored = self
            .network
            .store(&caller.wallet, spool, record, &pending.hook())
            .await;
        stored.map_err(|e| self.abandon(&pending, network_error(e)))
    }

    /// Puts what `pending` registered in the trash, then answers `error`.
    fn abandon(&self, pending: &Pending, error: S3Error) -> S3Error {
        if let Err(e) = pending.discard() {
            tracing::error!("recording discarded blobs: {e}");
        }
        self.reclaimer.wake();
        error
    }

    /// Puts `pieces` (stored, but held by nothing) in the trash, then answers `error`.
    fn discard(&self, caller: &Caller, pieces: &[Piece], error: S3Error) -> S3Error {
        let blobs: Vec<String> = pieces.iter().map(|p| p.blob.clone()).collect();
        if let Err(e) = self.index.discard(&caller.owner, &blobs) {
            tracing::error!("recording discarded blobs: {e}");
        }
        self.reclaimer.wake();
        error
    }

    /// Receives a request body to a spool, checked against its `Content-MD5` when sent.
    async fn receive(
        &self,
        body: Option<StreamingBlob>,
        content_md5: Option<&str>,
    ) -> S3Result<Spool> {
        let spool = Spool::receive(body, &self.spool, self.limits.max_body, self.limits.idle)
            .await
            .map_err(|e| match e {
                SpoolError::TooLarge(_) => s3_error!(EntityTooLarge, "{e}"),
                SpoolError::Body(_) => s3_error!(IncompleteBody, "{e}"),
                SpoolError::Idle(_) => s3_error!(RequestTimeout, "{e}"),
                SpoolError::Io(_) => internal(e),
            })?;
        if let Some(sent) = content_md5 {
            let sent = base64::engine::general_purpose::STANDARD
                .decode(sent)
                .map_err(|_| s3_error!(InvalidDigest, "Content-MD5 is not base64"))?;
            if sent != spool.md5 {
                return Err(s3_error!(
                    BadDigest,
                    "the body's MD5 is not the Content-MD5 sent"
                ));
            }
        }
        Ok(spool)
    }

    /// Stores a received body as object `key` of `bucket` and makes it visible, deleting
    /// what it replaced; returns its entry.
    async fn store_object(
        &self,
        caller: &Caller,
        bucket: &str,
        key: &str,
        spool: &Spool,
        content_type: Option<String>,
        metadata: BTreeMap<String, String>,
    ) -> S3Result<ObjectEntry> {
        let created = unix_now();
        let record = ObjectRecord {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            object: fresh_id(),
            piece: 0,
            pieces: 1,
            size: spool.size,
            etag: spool.etag(),
            content_type: content_type.clone(),
            metadata: metadata.clone(),
            created,
            upload: None,
            part: None,
        };
        let pieces = self.store_pieces(caller, spool, &record).await?;
        let entry = ObjectEntry {
            size: spool.size,
            etag: record.etag,
            content_type,
            metadata,
            last_modified: created,
            pieces,
        };
        match self.index.put_object(bucket, key, &entry) {
            Ok(replaced) => {
                if replaced.is_some() {
                    self.reclaimer.wake();
                }
                Ok(entry)
            }
            // The bucket went while the body was stored: nothing may stay paid for.
            Err(IndexError::NoBucket(_)) => {
                Err(self.discard(caller, &entry.pieces, s3_error!(NoSuchBucket)))
            }
            Err(e) => Err(self.discard(caller, &entry.pieces, internal(e))),
        }
    }
}

#[async_trait::async_trait]
impl S3 for Gateway {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let caller = self.caller(&req)?;
        let buckets = self
            .index
            .buckets()
            .map_err(internal)?
            .into_iter()
            .filter(|(_, entry)| entry.owner == caller.owner)
            .map(|(name, entry)| Bucket {
                name: Some(name),
                creation_date: Some(timestamp(entry.created)),
                ..Bucket::default()
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner_of(&caller.owner)),
            ..ListBucketsOutput::default()
        }))
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let caller = self.caller(&req)?;
        let name = req.input.bucket;
        let taken = |existing: Option<BucketEntry>| match existing {
            Some(existing) if existing.owner == caller.owner => {
                s3_error!(BucketAlreadyOwnedByYou)
            }
            _ => s3_error!(BucketAlreadyExists),
        };
        if let Some(existing) = self.index.bucket(&name).map_err(internal)? {
            return Err(taken(Some(existing)));
        }
        // The bucket's own record, so that recovery finds it while it is empty.
        let created = unix_now();
        let record = ObjectRecord {
            bucket: name.clone(),
            key: String::new(),
            object: fresh_id(),
            piece: 0,
            pieces: 1,
            size: 0,
            etag: String::new(),
            content_type: None,
            metadata: BTreeMap::new(),
            created,
            upload: None,
            part: None,
        };
        let pending = Pending::new(Arc::clone(&self.index), &caller.owner);
        let marker = self
            .network
            .store_record(&caller.wallet, &record, Vec::new(), &pending.hook())
            .await
            .map_err(|e| self.abandon(&pending, network_error(e)))?;
        let entry = BucketEntry {
            created,
            owner: caller.owner.clone(),
            marker: Some(marker.blob),
        };
        match self.index.create_bucket(&name, &entry) {
            Ok(()) => Ok(S3Response::new(CreateBucketOutput {
                location: Some(format!("/{name}")),
            })),
            Err(IndexError::BucketExists(_)) => {
                let existing = self.index.bucket(&name).map_err(internal)?;
                Err(self.abandon(&pending, taken(existing)))
            }
            Err(e) => Err(self.abandon(&pending, internal(e))),
        }
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let caller = self.caller(&req)?;
        self.bucket(&req.input.bucket, &caller)?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let caller = self.caller(&req)?;
        let name = req.input.bucket;
        self.bucket(&name, &caller)?;
        match self.index.delete_bucket(&name) {
            Ok((_, trashed)) => {
                self.reclaimer.reclaim_now(&trashed).await;
                Ok(S3Response::new(DeleteBucketOutput::default()))
            }
            Err(IndexError::BucketNotEmpty(_)) => Err(s3_error!(BucketNotEmpty)),
            Err(IndexError::NoBucket(_)) => Err(s3_error!(NoSuchBucket)),
            Err(e) => Err(internal(e)),
        }
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        check_key(&input.key)?;
        self.bucket(&input.bucket, &caller)?;
        let spool = self
            .receive(input.body, input.content_md5.as_deref())
            .await?;
        let metadata = input.metadata.unwrap_or_default().into_iter().collect();
        let entry = self
            .store_object(
                &caller,
                &input.bucket,
                &input.key,
                &spool,
                input.content_type,
                metadata,
            )
            .await?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(entry.etag)),
            size: Some(size_i64(entry.size)),
            ..PutObjectOutput::default()
        }))
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        check_key(&input.key)?;
        let CopySource::Bucket {
            bucket: from_bucket,
            key: from_key,
            ..
        } = &input.copy_source
        else {
            return Err(s3_error!(NotImplemented, "copying from an access point"));
        };
        let source = self.object(from_bucket, from_key, &caller)?;
        self.bucket(&input.bucket, &caller)?;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        let (content_type, metadata) = if replace {
            let metadata = input.metadata.unwrap_or_default().into_iter().collect();
            (input.content_type, metadata)
        } else {
            (source.content_type.clone(), source.metadata.clone())
        };
        // Read back and stored again: a blob is one owner's registration of its bytes,
        // and the copy's record names its own key.
        let bytes = self
            .network
            .read(&caller.wallet, &source.pieces, 0..source.size)
            .await
            .map_err(network_error)?;
        let spool = self.receive(Some(StreamingBlob::wrap(bytes)), None).await?;
        let entry = self
            .store_object(
                &caller,
                &input.bucket,
                &input.key,
                &spool,
                content_type,
                metadata,
            )
            .await?;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(ETag::Strong(entry.etag)),
                last_modified: Some(timestamp(entry.last_modified)),
                ..CopyObjectResult::default()
            }),
            ..CopyObjectOutput::default()
        }))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        self.bucket(&input.bucket, &caller)?;
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in input.delete.objects {
            match self.remove_object(&input.bucket, &object.key).await {
                Ok(()) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    ..DeletedObject::default()
                }),
                Err(e) => errors.push(Error {
                    code: Some(e.code().as_str().to_owned()),
                    key: Some(object.key),
                    message: e.message().map(str::to_owned),
                    ..Error::default()
                }),
            }
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: Some(errors),
            ..DeleteObjectsOutput::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(
            self.create_upload(&caller, req.input).await?,
        ))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(self.store_part(&caller, req.input).await?))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(
            self.complete_upload(&caller, req.input).await?,
        ))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(
            self.abort_upload(&caller, req.input).await?,
        ))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(self.list_parts_of(&caller, req.input)?))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let caller = self.caller(&req)?;
        Ok(S3Response::new(self.list_uploads_of(&caller, req.input)?))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        let entry = self.object(&input.bucket, &input.key, &caller)?;
        let (range, content_range) = match &input.range {
            None => (0..entry.size, None),
            Some(asked) => {
                let range = asked
                    .check(entry.size)
                    .map_err(|_| s3_error!(InvalidRange, "the object has {} bytes", entry.size))?;
                let header = format!("bytes {}-{}/{}", range.start, range.end - 1, entry.size);
                (range, Some(header))
            }
        };
        let length = range.end - range.start;
        let stream = self
            .network
            .read(&caller.wallet, &entry.pieces, range)
            .await
            .map_err(network_error)?;
        Ok(S3Response::new(GetObjectOutput {
            body: Some(StreamingBlob::wrap(stream)),
            content_length: Some(size_i64(length)),
            content_range,
            accept_ranges: Some("bytes".into()),
            content_type: entry.content_type,
            e_tag: Some(ETag::Strong(entry.etag)),
            last_modified: Some(timestamp(entry.last_modified)),
            metadata: Some(entry.metadata.into_iter().collect()),
            ..GetObjectOutput::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let caller = self.caller(&req)?;
        let entry = self.object(&req.input.bucket, &req.input.key, &caller)?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(size_i64(entry.size)),
            accept_ranges: Some("bytes".into()),
            content_type: entry.content_type,
            e_tag: Some(ETag::Strong(entry.etag)),
            last_modified: Some(timestamp(entry.last_modified)),
            metadata: Some(entry.metadata.into_iter().collect()),
            ..HeadObjectOutput::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        self.bucket(&input.bucket, &caller)?;
        self.remove_object(&input.bucket, &input.key).await?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        let after = input
            .continuation_token
            .clone()
            .or_else(|| input.start_after.clone());
        // V2 names each object's owner only when asked to.
        let owner = input.fetch_owner.unwrap_or(false).then_some(&caller.owner);
        let page = self.page(
            &caller,
            &input.bucket,
            Asked {
                prefix: input.prefix.as_deref(),
                delimiter: input.delimiter,
                after,
                max_keys: input.max_keys,
                owner,
            },
        )?;
        let key_count = page.contents.len() + page.common_prefixes.len();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: page.delimiter,
            max_keys: Some(page.max_keys as i32),
            key_count: Some(key_count as i32),
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            is_truncated: Some(page.next.is_some()),
            next_continuation_token: page.next,
            contents: Some(page.contents),
            common_prefixes: Some(page.common_prefixes),
            ..ListObjectsV2Output::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        // V1 always names each object's owner.
        let page = self.page(
            &caller,
            &input.bucket,
            Asked {
                prefix: input.prefix.as_deref(),
                delimiter: input.delimiter,
                after: input.marker.clone(),
                max_keys: input.max_keys,
                owner: Some(&caller.owner),
            },
        )?;
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: page.delimiter,
            marker: input.marker,
            max_keys: Some(page.max_keys as i32),
            is_truncated: Some(page.next.is_some()),
            next_marker: page.next,
            contents: Some(page.contents),
            common_prefixes: Some(page.common_prefixes),
            ..ListObjectsOutput::default()
        }))
    }

    /// Buckets are unversioned: each object is its one version, with S3's version id of
    /// an unversioned object, `null` (what clients that clean up by versions, such as
    /// s3-tests, list before deleting).
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let caller = self.caller(&req)?;
        let input = req.input;
        let page = self.page(
            &caller,
            &input.bucket,
            Asked {
                prefix: input.prefix.as_deref(),
                delimiter: input.delimiter,
                after: input.key_marker.clone(),
                max_keys: input.max_keys,
                owner: Some(&caller.owner),
            },
        )?;
        let versions = page
            .contents
            .into_iter()
            .map(|object| ObjectVersion {
                e_tag: object.e_tag,
                is_latest: Some(true),
                key: object.key,
                last_modified: object.last_modified,
                owner: object.owner,
                size: object.size,
                storage_class: Some(ObjectVersionStorageClass::from_static(
                    ObjectVersionStorageClass::STANDARD,
                )),
                version_id: Some(UNVERSIONED.into()),
                ..ObjectVersion::default()
            })
            .collect();
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: page.delimiter,
            key_marker: input.key_marker,
            version_id_marker: input.version_id_marker,
            max_keys: Some(page.max_keys as i32),
            is_truncated: Some(page.next.is_some()),
            next_version_id_marker: page.next.as_ref().map(|_| UNVERSIONED.into()),
            next_key_marker: page.next,
            versions: Some(versions),
            common_prefixes: Some(page.common_prefixes),
            ..ListObjectVersionsOutput::default()
        }))
    }
}

/// What a listing call asks for: keys under `prefix` after `after`, rolled up at
/// `delimiter` (none when empty), at most `max_keys`, each object naming `owner` when given.
struct Asked<'a> {
    prefix: Option<&'a str>,
    delimiter: Option<String>,
    after: Option<String>,
    max_keys: Option<i32>,
    owner: Option<&'a String>,
}

/// One page of a listing, as S3's XML lists it.
struct Page {
    contents: Vec<Object>,
    common_prefixes: Vec<CommonPrefix>,
    /// Where the next page starts, when there is one.
    next: Option<String>,
    /// The delimiter asked for, `None` when absent or empty.
    delimiter: Option<String>,
    max_keys: usize,
}

/// A query parameter S3 treats as absent when empty (`delimiter=` is no delimiter, and
/// the answer then names none).
fn given(parameter: Option<String>) -> Option<String> {
    parameter.filter(|p| !p.is_empty())
}

/// A listing's entries as S3's XML lists them, each naming `owner` when given (a bucket's
/// objects are its owner's: only the owner writes to it).
fn listed(
    objects: Vec<(String, ObjectEntry)>,
    prefixes: Vec<String>,
    owner: Option<&String>,
) -> (Vec<Object>, Vec<CommonPrefix>) {
    let objects = objects
        .into_iter()
        .map(|(key, entry)| Object {
            owner: owner.map(|owner| owner_of(owner)),
            key: Some(key),
            size: Some(size_i64(entry.size)),
            e_tag: Some(ETag::Strong(entry.etag)),
            last_modified: Some(timestamp(entry.last_modified)),
            storage_class: Some(ObjectStorageClass::from_static(
                ObjectStorageClass::STANDARD,
            )),
            ..Object::default()
        })
        .collect();
    let prefixes = prefixes
        .into_iter()
        .map(|prefix| CommonPrefix {
            prefix: Some(prefix),
        })
        .collect();
    (objects, prefixes)
}

/// S3's version id of an object in a bucket without versioning.
const UNVERSIONED: &str = "null";

/// A wallet as S3 names an owner: its address is both id and display name.
fn owner_of(wallet: &str) -> Owner {
    Owner {
        id: Some(wallet.to_owned()),
        display_name: Some(wallet.to_owned()),
    }
}

fn max_keys_of(asked: Option<i32>) -> S3Result<usize> {
    match asked {
        None => Ok(MAX_KEYS),
        Some(n) => usize::try_from(n)
            .map(|n| n.min(MAX_KEYS))
            .map_err(|_| s3_error!(InvalidArgument, "max-keys must not be negative")),
    }
}

/// Keys the index can hold: S3's length limit, and no NUL (the index's separator).
fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(s3_error!(
            KeyTooLongError,
            "a key is 1 to {MAX_KEY_LEN} bytes"
        ));
    }
    if key.contains('\0') {
        return Err(s3_error!(InvalidArgument, "a key may not contain NUL"));
    }
    Ok(())
}

fn internal(error: impl std::fmt::Display) -> S3Error {
    s3_error!(InternalError, "{error}")
}

/// The network's failures: a network short of providers and a gateway streaming all the
/// reads it allows are retryable 503s, the rest 500 with the reason.
fn network_error(error: NetworkError) -> S3Error {
    match &error {
        NetworkError::Put {
            source: basalt_sdk::PutError::NotEnoughProviders { .. },
            ..
        } => s3_error!(ServiceUnavailable, "{error}"),
        NetworkError::Busy(_) => s3_error!(SlowDown, "{error}"),
        _ => internal(error),
    }
}

fn timestamp(unix: u64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_secs(unix))
}

fn size_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

/// A fresh object id: tells an overwrite's blobs from those it replaced.
fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    hex::encode(bytes)
}
