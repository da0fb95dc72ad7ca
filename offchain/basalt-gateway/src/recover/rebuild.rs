//! The index from the wallets' blobs' records alone (no I/O): which objects, uploads and
//! buckets they make, and which of them nothing holds any more.

use std::collections::{BTreeMap, HashMap};

use crate::index::{BucketEntry, ObjectEntry, Part, Piece, Upload};
use crate::record::ObjectRecord;

/// One of a wallet's blobs, its record read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBlob {
    pub blob: String,
    /// The wallet (its address) whose blob it is.
    pub owner: String,
    /// The slot it was registered in: of two versions of a key, the later one is the
    /// one the index held.
    pub slot: u64,
    pub record: ObjectRecord,
    /// Where the object's bytes begin in the blob, and how many follow.
    pub offset: u64,
    pub len: u64,
    /// A completion record's parts: their blob ids, in order.
    pub parts: Vec<String>,
}

/// What the records make.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub buckets: BTreeMap<String, BucketEntry>,
    /// By (bucket, key).
    pub objects: BTreeMap<(String, String), ObjectEntry>,
    /// By upload id: uploads with parts and no completion.
    pub uploads: BTreeMap<String, Upload>,
    /// (owner, blob): whole objects and parts something newer replaced, parts a completed
    /// upload did not choose. To delete.
    pub trash: Vec<(String, String)>,
    /// Blobs of objects or parts with pieces missing: left alone, since the missing ones
    /// may only be unreadable now.
    pub incomplete: Vec<String>,
}

/// One complete version of an object, or of a multipart part.
struct Version {
    owner: String,
    slot: u64,
    /// Its first record (piece 0, or the completion record).
    record: ObjectRecord,
    pieces: Vec<Piece>,
}

impl Version {
    fn blobs(&self) -> impl Iterator<Item = &String> {
        self.pieces.iter().map(|p| &p.blob)
    }

    /// Orders versions of one key: the later registration, then the later record.
    fn rank(&self) -> (u64, u64, &str) {
        (self.slot, self.record.created, &self.record.object)
    }

    fn entry(&self) -> ObjectEntry {
        ObjectEntry {
            size: self.record.size,
            etag: self.record.etag.clone(),
            content_type: self.record.content_type.clone(),
            metadata: self.record.metadata.clone(),
            last_modified: self.record.created,
            pieces: self.pieces.clone(),
        }
    }
}

/// Rebuilds the index from `found`: for each key the latest complete version (a
/// single-part object whose pieces are all there, or a multipart one from its completion
/// record and the parts it lists); uploads with parts and no completion; buckets from
/// their own records and from what they hold.
pub fn rebuild(found: Vec<FoundBlob>) -> Rebuilt {
    let mut rebuilt = Rebuilt::default();
    let mut markers = Vec::new();
    // Pieces grouped by what they are a piece of: (bucket, key, object id) for an
    // object, (upload, object id) for a part.
    let mut objects: BTreeMap<(String, String, String), Vec<FoundBlob>> = BTreeMap::new();
    let mut parts: BTreeMap<(String, String), Vec<FoundBlob>> = BTreeMap::new();
    let mut completions: BTreeMap<String, Vec<FoundBlob>> = BTreeMap::new();
    for f in found {
        let r = &f.record;
        match (&r.upload, r.part) {
            _ if r.key.is_empty() => markers.push(f),
            (None, _) => {
                let group = (r.bucket.clone(), r.key.clone(), r.object.clone());
                objects.entry(group).or_default().push(f);
            }
            (Some(upload), Some(_)) => {
                let group = (upload.clone(), r.object.clone());
                parts.entry(group).or_default().push(f);
            }
            (Some(upload), None) => completions.entry(upload.clone()).or_default().push(f),
        }
    }

    let mut versions: BTreeMap<(String, String), Vec<Version>> = BTreeMap::new();
    for pieces in objects.into_values() {
        if let Some(v) = assemble(pieces, &mut rebuilt.incomplete) {
            let key = (v.record.bucket.clone(), v.record.key.clone());
            versions.entry(key).or_default().push(v);
        }
    }
    // Each upload's complete parts, every version of each part number.
    let mut uploaded: BTreeMap<String, BTreeMap<u32, Vec<Version>>> = BTreeMap::new();
    for ((upload, _), pieces) in parts {
        if let Some(v) = assemble(pieces, &mut rebuilt.incomplete) {
            let number = v.record.part.unwrap_or_default();
            let numbers = uploaded.entry(upload).or_default();
            numbers.entry(number).or_default().push(v);
        }
    }

    for (upload, records) in completions {
        let parts = uploaded.remove(&upload).unwrap_or_default();
        let by_blob: HashMap<&String, &Piece> = parts
            .values()
            .flatten()
            .flat_map(|v| v.pieces.iter().map(|p| (&p.blob, p)))
            .collect();
        // Two completions of one upload cannot both have been written; the later holds.
        let Some(completion) = records.into_iter().max_by_key(|c| c.slot) else {
            continue;
        };
        let listed: Option<Vec<Piece>> = completion
            .parts
            .iter()
            .map(|blob| by_blob.get(blob).map(|p| (*p).clone()))
            .collect();
        let mut held = Vec::new();
        match listed {
            Some(listed) if listed.iter().map(|p| p.len).sum::<u64>() == completion.record.size => {
                held.extend(listed.iter().map(|p| p.blob.clone()));
                let mut pieces = vec![Piece {
                    blob: completion.blob.clone(),
                    offset: completion.offset,
                    len: 0,
                }];
                pieces.extend(listed);
                let v = Version {
                    owner: completion.owner.clone(),
                    slot: completion.slot,
                    record: completion.record.clone(),
                    pieces,
                };
                let key = (v.record.bucket.clone(), v.record.key.clone());
                versions.entry(key).or_default().push(v);
            }
            _ => {
                // Parts it lists are missing: nothing of the upload is touched.
                rebuilt.incomplete.push(completion.blob.clone());
                let blobs = parts.values().flatten().flat_map(Version::blobs);
                rebuilt.incomplete.extend(blobs.cloned());
                continue;
            }
        }
        // Parts the completion did not choose were discarded with it, as S3 does.
        for v in parts.values().flatten() {
            for blob in v.blobs().filter(|b| !held.contains(b)) {
                rebuilt.trash.push((v.owner.clone(), blob.clone()));
            }
        }
    }

    for ((bucket, key), candidates) in versions {
        let Some(latest) = latest(candidates, &mut rebuilt.trash) else {
            continue;
        };
        hold_bucket(
            &mut rebuilt.buckets,
            &bucket,
            &latest.owner,
            latest.record.created,
        );
        rebuilt.objects.insert((bucket, key), latest.entry());
    }

    for (id, numbers) in uploaded {
        let mut upload: Option<Upload> = None;
        for (number, candidates) in numbers {
            let Some(latest) = latest(candidates, &mut rebuilt.trash) else {
                continue;
            };
            let r = &latest.record;
            let upload = upload.get_or_insert_with(|| Upload {
                bucket: r.bucket.clone(),
                key: r.key.clone(),
                owner: latest.owner.clone(),
                created: r.created,
                content_type: r.content_type.clone(),
                metadata: r.metadata.clone(),
                parts: BTreeMap::new(),
            });
            upload.created = upload.created.min(r.created);
            upload.parts.insert(
                number,
                Part {
                    etag: r.etag.clone(),
                    size: r.size,
                    last_modified: r.created,
                    pieces: latest.pieces.clone(),
                },
            );
        }
        if let Some(upload) = upload {
            hold_bucket(
                &mut rebuilt.buckets,
                &upload.bucket,
                &upload.owner,
                upload.created,
            );
            rebuilt.uploads.insert(id, upload);
        }
    }

    // A bucket's own record (an empty bucket has nothing else); the latest one of a name
    // holds, like any other record.
    markers.sort_by_key(|m| m.slot);
    for marker in markers {
        let entry = BucketEntry {
            created: marker.record.created,
            owner: marker.owner.clone(),
            marker: Some(marker.blob.clone()),
        };
        if let Some(old) = rebuilt.buckets.insert(marker.record.bucket.clone(), entry) {
            if let Some(blob) = old.marker {
                rebuilt.trash.push((old.owner, blob));
            }
        }
    }
    rebuilt
}

/// The latest of `candidates` (versions of one key, or of one part); the blobs of the
/// others go to `trash`.
fn latest(mut candidates: Vec<Version>, trash: &mut Vec<(String, String)>) -> Option<Version> {
    candidates.sort_by(|a, b| a.rank().cmp(&b.rank()));
    let latest = candidates.pop()?;
    for older in &candidates {
        trash.extend(older.blobs().map(|b| (older.owner.clone(), b.clone())));
    }
    Some(latest)
}

/// Bucket `name` exists (its own record may be missing), owned by `owner`.
fn hold_bucket(buckets: &mut BTreeMap<String, BucketEntry>, name: &str, owner: &str, since: u64) {
    let entry = buckets
        .entry(name.to_owned())
        .or_insert_with(|| BucketEntry {
            created: since,
            owner: owner.to_owned(),
            marker: None,
        });
    entry.created = entry.created.min(since);
}

/// The version `pieces` make, when every piece of it is there (else their blobs go to
/// `incomplete`).
fn assemble(mut pieces: Vec<FoundBlob>, incomplete: &mut Vec<String>) -> Option<Version> {
    pieces.sort_by_key(|p| p.record.piece);
    let count = pieces.first().map_or(0, |p| p.record.pieces);
    let whole = pieces.len() == count as usize
        && pieces.iter().enumerate().all(|(i, p)| {
            p.record.piece as usize == i && p.record.pieces == count && p.owner == pieces[0].owner
        })
        && pieces.iter().map(|p| p.len).sum::<u64>() == pieces[0].record.size;
    if !whole {
        incomplete.extend(pieces.into_iter().map(|p| p.blob));
        return None;
    }
    let first = &pieces[0];
    Some(Version {
        owner: first.owner.clone(),
        slot: pieces.iter().map(|p| p.slot).max().unwrap_or_default(),
        record: first.record.clone(),
        pieces: pieces
            .iter()
            .map(|p| Piece {
                blob: p.blob.clone(),
                offset: p.offset,
                len: p.len,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "wallet";

    /// Blob `blob`, registered at `slot`, piece `piece` of `pieces` of `object` (10 bytes
    /// of a `size`-byte object after a 100-byte record).
    fn piece(
        blob: &str,
        slot: u64,
        key: &str,
        object: &str,
        piece: (u32, u32),
        size: u64,
    ) -> FoundBlob {
        FoundBlob {
            blob: blob.into(),
            owner: OWNER.into(),
            slot,
            record: ObjectRecord {
                bucket: "photos".into(),
                key: key.into(),
                object: object.into(),
                piece: piece.0,
                pieces: piece.1,
                size,
                etag: format!("etag-{object}"),
                content_type: None,
                metadata: BTreeMap::new(),
                created: slot,
                upload: None,
                part: None,
            },
            offset: 100,
            len: 10,
            parts: Vec::new(),
        }
    }

    /// Part `number` of upload `upload`, one 10-byte blob.
    fn part(blob: &str, slot: u64, upload: &str, number: u32) -> FoundBlob {
        let mut f = piece(blob, slot, "big", blob, (0, 1), 10);
        f.record.upload = Some(upload.into());
        f.record.part = Some(number);
        f
    }

    fn completion(blob: &str, slot: u64, upload: &str, parts: &[&str]) -> FoundBlob {
        let mut f = piece(blob, slot, "big", upload, (0, 1), 10 * parts.len() as u64);
        f.record.upload = Some(upload.into());
        f.len = 0;
        f.parts = parts.iter().map(|p| (*p).to_owned()).collect();
        f
    }

    fn blobs(entry: &ObjectEntry) -> Vec<&str> {
        entry.pieces.iter().map(|p| p.blob.as_str()).collect()
    }

    #[test]
    fn the_latest_whole_version_of_each_key_is_kept_and_what_it_replaced_is_trashed() {
        let mut marker = piece("marker", 1, "", "m", (0, 1), 0);
        marker.record.bucket = "empty".into();
        marker.len = 0;
        let found = vec![
            piece("a1-0", 10, "a", "v1", (0, 2), 20),
            piece("a1-1", 11, "a", "v1", (1, 2), 20),
            piece("a2-1", 21, "a", "v2", (1, 2), 20),
            piece("a2-0", 20, "a", "v2", (0, 2), 20),
            // Half of an object a crash cut short.
            piece("b-0", 30, "b", "vb", (0, 2), 20),
            // An upload completed with parts 1 (sent twice) and 2, not 3.
            part("p1a", 40, "u", 1),
            part("p1b", 41, "u", 1),
            part("p2", 42, "u", 2),
            part("p3", 43, "u", 3),
            completion("done", 44, "u", &["p1b", "p2"]),
            // An upload in progress.
            part("q1", 50, "v", 1),
            marker,
        ];
        let rebuilt = rebuild(found);

        let key = |k: &str| ("photos".to_owned(), k.to_owned());
        assert_eq!(rebuilt.objects.len(), 2);
        let a = &rebuilt.objects[&key("a")];
        assert_eq!(
            (blobs(a), a.etag.as_str()),
            (vec!["a2-0", "a2-1"], "etag-v2")
        );
        let big = &rebuilt.objects[&key("big")];
        assert_eq!(blobs(big), ["done", "p1b", "p2"]);
        assert_eq!((big.size, big.pieces[0].len), (20, 0));

        let mut trash: Vec<&str> = rebuilt.trash.iter().map(|(_, b)| b.as_str()).collect();
        trash.sort_unstable();
        assert_eq!(trash, ["a1-0", "a1-1", "p1a", "p3"]);
        assert!(rebuilt.trash.iter().all(|(owner, _)| owner == OWNER));
        assert_eq!(
            rebuilt.incomplete,
            ["b-0"],
            "a cut-short object is left alone"
        );

        assert_eq!(rebuilt.uploads.len(), 1);
        let v = &rebuilt.uploads["v"];
        assert_eq!((v.bucket.as_str(), v.key.as_str()), ("photos", "big"));
        assert_eq!(v.parts.keys().copied().collect::<Vec<_>>(), [1]);

        assert_eq!(
            rebuilt
                .buckets
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["empty", "photos"]
        );
        assert_eq!(rebuilt.buckets["empty"].marker.as_deref(), Some("marker"));
        assert_eq!(rebuilt.buckets["photos"].owner, OWNER);
    }

    #[test]
    fn a_completion_whose_parts_are_missing_leaves_the_whole_upload_alone() {
        let found = vec![
            part("p1", 1, "u", 1),
            part("p3", 3, "u", 3),
            completion("done", 4, "u", &["p1", "p2"]),
        ];
        let rebuilt = rebuild(found);
        assert!(rebuilt.objects.is_empty() && rebuilt.uploads.is_empty());
        assert!(rebuilt.trash.is_empty(), "nothing is deleted on a guess");
        let mut incomplete = rebuilt.incomplete.clone();
        incomplete.sort_unstable();
        assert_eq!(incomplete, ["done", "p1", "p3"]);
    }
}
