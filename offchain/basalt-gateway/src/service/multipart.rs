//! Multipart uploads: each part is stored as blobs of the wallet the moment it arrives
//! (its record names the upload and the part number); Complete stores one more blob, the
//! completion record listing the chosen parts' blobs, and then makes the object visible in
//! one index write (which puts the parts not chosen in the trash); Abort deletes the parts'
//! blobs. An object is never half-visible: until
//! Complete's index write it does not exist, after it the whole of it does.

use std::sync::Arc;

use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{s3_error, S3Result};

use super::{internal, network_error, size_i64, timestamp, Caller, Gateway};
use crate::index::{IndexError, ObjectEntry, Part as StoredPart, Upload};
use crate::reclaim::Pending;
use crate::record::ObjectRecord;
use crate::unix_now;

/// S3's smallest part, but for the last.
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// S3's part numbers.
const PART_NUMBERS: std::ops::RangeInclusive<i32> = 1..=10_000;
/// Parts or uploads per listing page, as S3.
const MAX_LISTED: usize = 1000;

impl Gateway {
    /// Upload `id`, when it exists, is the caller's and is for `bucket`/`key`.
    fn upload_of(&self, id: &str, bucket: &str, key: &str, caller: &Caller) -> S3Result<Upload> {
        match self.index.upload(id).map_err(internal)? {
            Some(u) if u.owner == caller.owner && u.bucket == bucket && u.key == key => Ok(u),
            _ => Err(s3_error!(
                NoSuchUpload,
                "no upload {id:?} of {bucket}/{key}"
            )),
        }
    }

    pub(super) async fn create_upload(
        &self,
        caller: &Caller,
        input: CreateMultipartUploadInput,
    ) -> S3Result<CreateMultipartUploadOutput> {
        super::check_key(&input.key)?;
        self.bucket(&input.bucket, caller)?;
        let id = super::fresh_id();
        let upload = Upload {
            bucket: input.bucket.clone(),
            key: input.key.clone(),
            owner: caller.owner.clone(),
            created: unix_now(),
            content_type: input.content_type,
            metadata: input.metadata.unwrap_or_default().into_iter().collect(),
            parts: Default::default(),
        };
        match self.index.create_upload(&id, &upload) {
            Ok(()) => Ok(CreateMultipartUploadOutput {
                bucket: Some(input.bucket),
                key: Some(input.key),
                upload_id: Some(id),
                ..CreateMultipartUploadOutput::default()
            }),
            Err(IndexError::NoBucket(_)) => Err(s3_error!(NoSuchBucket)),
            Err(e) => Err(internal(e)),
        }
    }

    pub(super) async fn store_part(
        &self,
        caller: &Caller,
        input: UploadPartInput,
    ) -> S3Result<UploadPartOutput> {
        if !PART_NUMBERS.contains(&input.part_number) {
            return Err(s3_error!(InvalidArgument, "part numbers are 1 to 10000"));
        }
        let number = input.part_number as u32;
        let upload = self.upload_of(&input.upload_id, &input.bucket, &input.key, caller)?;
        let spool = self
            .receive(input.body, input.content_md5.as_deref())
            .await?;
        // The upload's headers ride in each part's record: a recovered upload has them.
        let record = ObjectRecord {
            bucket: upload.bucket,
            key: upload.key,
            object: super::fresh_id(),
            piece: 0,
            pieces: 1,
            size: spool.size,
            etag: spool.etag(),
            content_type: upload.content_type,
            metadata: upload.metadata,
            created: unix_now(),
            upload: Some(input.upload_id.clone()),
            part: Some(number),
        };
        let pieces = self.store_pieces(caller, &spool, &record).await?;
        let part = StoredPart {
            etag: record.etag.clone(),
            size: spool.size,
            last_modified: record.created,
            pieces,
        };
        match self.index.put_part(&input.upload_id, number, part.clone()) {
            Ok(replaced) => {
                if replaced.is_some() {
                    self.reclaimer.wake();
                }
                Ok(UploadPartOutput {
                    e_tag: Some(ETag::Strong(part.etag)),
                    ..UploadPartOutput::default()
                })
            }
            // Completed or aborted while the part was stored: it belongs to nothing.
            Err(IndexError::NoUpload(_)) => {
                Err(self.discard(caller, &part.pieces, s3_error!(NoSuchUpload)))
            }
            Err(e) => Err(self.discard(caller, &part.pieces, internal(e))),
        }
    }

    pub(super) async fn complete_upload(
        &self,
        caller: &Caller,
        input: CompleteMultipartUploadInput,
    ) -> S3Result<CompleteMultipartUploadOutput> {
        let id = input.upload_id;
        let upload = self.upload_of(&id, &input.bucket, &input.key, caller)?;
        let asked = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        let chosen = chosen_parts(&upload, &asked)?;
        let mut md5s = Md5::new();
        for part in &chosen {
            let md5 = hex::decode(&part.etag).map_err(internal)?;
            md5s.update(&md5);
        }
        let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let size: u64 = chosen.iter().map(|p| p.size).sum();
        let blobs: Vec<&str> = chosen
            .iter()
            .flat_map(|p| p.pieces.iter().map(|piece| piece.blob.as_str()))
            .collect();
        let record = ObjectRecord {
            bucket: upload.bucket.clone(),
            key: upload.key.clone(),
            object: id.clone(),
            piece: 0,
            pieces: 1,
            size,
            etag: etag.clone(),
            content_type: upload.content_type.clone(),
            metadata: upload.metadata.clone(),
            created: unix_now(),
            upload: Some(id.clone()),
            part: None,
        };
        let listing = serde_json::to_vec(&blobs).map_err(internal)?;
        let pending = Pending::new(Arc::clone(&self.index), &caller.owner);
        let completion = self
            .network
            .store_record(&caller.wallet, &record, listing, &pending.hook())
            .await
            .map_err(|e| self.abandon(&pending, network_error(e)))?;
        let mut pieces = vec![completion];
        pieces.extend(chosen.iter().flat_map(|p| p.pieces.iter().cloned()));
        let entry = ObjectEntry {
            size,
            etag: etag.clone(),
            content_type: upload.content_type,
            metadata: upload.metadata,
            last_modified: record.created,
            pieces,
        };
        // Parts uploaded but not chosen are discarded, as S3 does, with what the object
        // replaces: the index's write puts them in the trash.
        if let Err(e) = self.index.complete_upload(&id, &entry) {
            let error = match e {
                IndexError::NoUpload(_) => s3_error!(NoSuchUpload),
                IndexError::NoBucket(_) => s3_error!(NoSuchBucket),
                e => internal(e),
            };
            return Err(self.discard(caller, &entry.pieces[..1], error));
        }
        self.reclaimer.wake();
        Ok(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            ..CompleteMultipartUploadOutput::default()
        })
    }

    pub(super) async fn abort_upload(
        &self,
        caller: &Caller,
        input: AbortMultipartUploadInput,
    ) -> S3Result<AbortMultipartUploadOutput> {
        self.upload_of(&input.upload_id, &input.bucket, &input.key, caller)?;
        let upload = match self.index.abort_upload(&input.upload_id) {
            Ok(upload) => upload,
            Err(IndexError::NoUpload(_)) => return Err(s3_error!(NoSuchUpload)),
            Err(e) => return Err(internal(e)),
        };
        let blobs: Vec<String> = upload
            .parts
            .into_values()
            .flat_map(|p| p.pieces)
            .map(|p| p.blob)
            .collect();
        self.reclaimer.reclaim_now(&blobs).await;
        Ok(AbortMultipartUploadOutput::default())
    }

    pub(super) fn list_parts_of(
        &self,
        caller: &Caller,
        input: ListPartsInput,
    ) -> S3Result<ListPartsOutput> {
        let upload = self.upload_of(&input.upload_id, &input.bucket, &input.key, caller)?;
        let max = input.max_parts.map_or(MAX_LISTED, |m| {
            usize::try_from(m).unwrap_or(0).min(MAX_LISTED)
        });
        let after = input.part_number_marker.unwrap_or(0).max(0) as u32;
        let mut listed: Vec<Part> = upload
            .parts
            .range(after + 1..)
            .take(max + 1)
            .map(|(n, p)| Part {
                part_number: Some(*n as i32),
                e_tag: Some(ETag::Strong(p.etag.clone())),
                size: Some(size_i64(p.size)),
                last_modified: Some(timestamp(p.last_modified)),
                ..Part::default()
            })
            .collect();
        let truncated = listed.len() > max;
        listed.truncate(max);
        Ok(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            max_parts: Some(max as i32),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: if truncated {
                listed.last().and_then(|p| p.part_number)
            } else {
                None
            },
            is_truncated: Some(truncated),
            parts: Some(listed),
            ..ListPartsOutput::default()
        })
    }

    pub(super) fn list_uploads_of(
        &self,
        caller: &Caller,
        input: ListMultipartUploadsInput,
    ) -> S3Result<ListMultipartUploadsOutput> {
        self.bucket(&input.bucket, caller)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let mut uploads: Vec<(String, Upload)> = self
            .index
            .uploads()
            .map_err(internal)?
            .into_iter()
            .filter(|(_, u)| u.bucket == input.bucket && u.key.starts_with(&prefix))
            .filter(
                |(id, u)| match (&input.key_marker, &input.upload_id_marker) {
                    (Some(k), Some(i)) => (&u.key, id) > (k, i),
                    (Some(k), None) => &u.key > k,
                    _ => true,
                },
            )
            .collect();
        uploads.sort_by(|(a_id, a), (b_id, b)| (&a.key, a_id).cmp(&(&b.key, b_id)));
        let max = input.max_uploads.map_or(MAX_LISTED, |m| {
            usize::try_from(m).unwrap_or(0).min(MAX_LISTED)
        });
        let truncated = uploads.len() > max;
        uploads.truncate(max);
        let next = truncated.then(|| uploads.last().cloned()).flatten();
        Ok(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker: next.as_ref().map(|(_, u)| u.key.clone()),
            next_upload_id_marker: next.map(|(id, _)| id),
            uploads: Some(
                uploads
                    .into_iter()
                    .map(|(id, u)| MultipartUpload {
                        key: Some(u.key),
                        upload_id: Some(id),
                        initiated: Some(timestamp(u.created)),
                        ..MultipartUpload::default()
                    })
                    .collect(),
            ),
            ..ListMultipartUploadsOutput::default()
        })
    }
}

/// The parts a Complete names, checked as S3 checks them: ascending part numbers, each
/// uploaded with the ETag given, each but the last at least [`MIN_PART_SIZE`].
fn chosen_parts(upload: &Upload, asked: &[CompletedPart]) -> S3Result<Vec<StoredPart>> {
    if asked.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "a completion names at least one part"
        ));
    }
    let mut chosen: Vec<StoredPart> = Vec::with_capacity(asked.len());
    let mut last = 0;
    for p in asked {
        let number = p.part_number.unwrap_or(0);
        if number <= last {
            return Err(s3_error!(
                InvalidPartOrder,
                "parts must be listed in ascending order"
            ));
        }
        last = number;
        let part = upload
            .parts
            .get(&(number as u32))
            .ok_or_else(|| s3_error!(InvalidPart, "part {number} was not uploaded"))?;
        if let Some(etag) = &p.e_tag {
            if etag.value() != part.etag {
                return Err(s3_error!(
                    InvalidPart,
                    "part {number}'s ETag is not {}",
                    part.etag
                ));
            }
        }
        chosen.push(part.clone());
    }
    if let Some(small) = chosen[..chosen.len() - 1]
        .iter()
        .position(|p| p.size < MIN_PART_SIZE)
    {
        return Err(s3_error!(
            EntityTooSmall,
            "part {} is smaller than {MIN_PART_SIZE} bytes and not the last",
            asked[small].part_number.unwrap_or(0)
        ));
    }
    Ok(chosen)
}
