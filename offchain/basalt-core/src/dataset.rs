//! Dataset versions: a version of a dataset is a [`DatasetManifest`], the sorted list of
//! its files (path, size, the BLAKE3 of the plain bytes, and the blob that stores them),
//! its parent versions and, for a derived version, how it was derived. Its canonical
//! encoding is JSON with a fixed field order and entries sorted by path; the version's id
//! is the CID of those bytes ([`DatasetManifest::version_id`]), so equal content gives an
//! equal id whoever computes it, and any change gives another.
//!
//! A file is stored alone in a blob, or, when small, packed with others into one blob at an
//! offset ([`Placement`]): ten thousand small files are a few blobs, not ten thousand
//! registrations. A push recognises an unchanged file by its plain digest and keeps the
//! placement the parent version names ([`DatasetManifest::reusable`]): unchanged files are
//! never stored twice. A private dataset's blobs are sealed under keys derived from the
//! dataset's key and each blob's plain digest ([`DatasetKey`]). See `docs/datasets.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{BlobId, Cid, DataKey};

/// The format tag of every manifest this code writes.
pub const FORMAT: &str = "basalt-dataset/1";
/// Longest path, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;

/// One version of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetManifest {
    /// [`FORMAT`].
    pub format: String,
    /// The versions this one follows, as their ids; none for a first version, two or
    /// more for a merge.
    // INV: no duplicates.
    pub parents: Vec<Cid>,
    /// How this version was made from others, when it was.
    pub derivation: Option<Derivation>,
    // INV: sorted by path (bytewise), no two with one path, every path valid (`check_path`).
    pub files: Vec<FileEntry>,
}

/// One file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative, `/`-separated, without `.` or `..` components.
    pub path: String,
    /// Plain bytes.
    pub size: u64,
    /// BLAKE3 of the plain bytes: what makes two files the same.
    pub content: Cid,
    /// Where its bytes are stored; `None` for an empty file, which needs no storage.
    // INV: None iff size == 0
    pub placement: Option<Placement>,
}

/// Where a file's bytes are: `size` bytes at `offset` of a blob's plain bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// The blob storing it.
    pub blob: BlobId,
    /// Where in the blob's plain bytes the file starts (0 for a file stored alone).
    pub offset: u64,
    /// BLAKE3 of the blob's whole plain bytes (the file's own `content` when stored alone):
    /// what its key is derived from in a private dataset, and what a pull checks it against.
    pub blob_content: Cid,
}

/// How a derived version was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Derivation {
    /// A compute job's agreed output, published as this version.
    Job {
        /// The versions the job read.
        inputs: Vec<Cid>,
        /// The job's on-chain address.
        job: String,
        /// The WASM module's CID.
        module: Cid,
        /// BLAKE3 of the job's parameters.
        params: Cid,
        /// The result the workers agreed on.
        result: Cid,
    },
    /// Made outside the network and declared by its publisher.
    Manual {
        inputs: Vec<Cid>,
        /// What was done, in words.
        transform: String,
        /// The script that did it, stored as a blob.
        script: Option<Cid>,
    },
}

/// A private dataset's key. Every blob of the dataset (its files' blobs and its versions'
/// manifests) is sealed under [`DatasetKey::blob_key`] of the blob's plain digest, so whoever
/// holds this key reads every version, and nobody else reads any. The owner derives it from
/// its wallet's secret and the dataset's address ([`DatasetKey::for_owner`]); a grantee
/// receives it wrapped in its dataset grant (`wrap_key` of [`DatasetKey::as_data_key`]).
///
/// Deriving a blob's key from its plain digest makes sealing convergent within the dataset:
/// the same bytes seal to the same ciphertext, and different bytes never share a key, so
/// nonces never repeat under one key.
#[derive(Clone, PartialEq, Eq)]
pub struct DatasetKey(DataKey);

impl core::fmt::Debug for DatasetKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DatasetKey(..)")
    }
}

impl DatasetKey {
    /// The key of the dataset at `dataset` (its address), for the owner whose wallet secret
    /// is `secret`.
    pub fn for_owner(secret: &[u8; 32], dataset: &[u8; 32]) -> Self {
        let mut h = blake3::Hasher::new_derive_key("basalt 2026 dataset key v1");
        h.update(secret).update(dataset);
        Self(xof_key(&h))
    }

    /// The key as it travels wrapped in a grant.
    pub fn from_data_key(key: DataKey) -> Self {
        Self(key)
    }

    /// The key's bytes as a [`DataKey`], for `wrap_key`.
    pub fn as_data_key(&self) -> &DataKey {
        &self.0
    }

    /// The key sealing the blob whose plain bytes hash to `plain`.
    pub fn blob_key(&self, plain: &Cid) -> DataKey {
        let mut h = blake3::Hasher::new_derive_key("basalt 2026 dataset blob key v1");
        h.update(&self.0.to_bytes()).update(plain.digest());
        xof_key(&h)
    }
}

fn xof_key(h: &blake3::Hasher) -> DataKey {
    let mut bytes = zeroize::Zeroizing::new([0u8; DataKey::LEN]);
    h.finalize_xof().fill(&mut bytes[..]);
    DataKey::from_bytes(&bytes)
}

/// Why a manifest or a path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetError {
    #[error("path {path:?}: {why}")]
    Path { path: String, why: &'static str },
    #[error("two files at {0:?}")]
    Duplicate(String),
    #[error("parent {0} is named twice")]
    DuplicateParent(Cid),
    #[error("unknown manifest format {0:?}: this build reads {FORMAT:?}")]
    Format(String),
    #[error(
        "the manifest is not canonical (its entries out of order, or not as this code writes them)"
    )]
    NotCanonical,
    #[error("the manifest does not decode: {0}")]
    Decode(String),
    #[error("the job's output is not a version: {0}")]
    Archive(#[from] crate::archive::ArchiveError),
}

/// Checks that `path` is a relative `/`-separated path a manifest may hold.
///
/// # Errors
///
/// [`DatasetError::Path`] naming the rule it breaks.
pub fn check_path(path: &str) -> Result<(), DatasetError> {
    let refuse = |why| {
        Err(DatasetError::Path {
            path: path.to_owned(),
            why,
        })
    };
    if path.is_empty() {
        return refuse("empty");
    }
    if path.len() > MAX_PATH_BYTES {
        return refuse("longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return refuse("absolute");
    }
    if path.contains('\\') || path.contains('\0') {
        return refuse("holds a backslash or a NUL");
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return refuse("has an empty, `.` or `..` component");
    }
    Ok(())
}

impl DatasetManifest {
    /// A manifest of `files` (in any order) after `parents`.
    ///
    /// # Errors
    ///
    /// A path that is not valid or appears twice, or a parent named twice.
    pub fn new(
        mut files: Vec<FileEntry>,
        parents: Vec<Cid>,
        derivation: Option<Derivation>,
    ) -> Result<Self, DatasetError> {
        files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        let manifest = Self {
            format: FORMAT.to_owned(),
            parents,
            derivation,
            files,
        };
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), DatasetError> {
        if self.format != FORMAT {
            return Err(DatasetError::Format(self.format.clone()));
        }
        let mut seen = BTreeSet::new();
        for parent in &self.parents {
            if !seen.insert(*parent) {
                return Err(DatasetError::DuplicateParent(*parent));
            }
        }
        for pair in self.files.windows(2) {
            match pair[0].path.as_bytes().cmp(pair[1].path.as_bytes()) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    return Err(DatasetError::Duplicate(pair[0].path.clone()))
                }
                std::cmp::Ordering::Greater => return Err(DatasetError::NotCanonical),
            }
        }
        for f in &self.files {
            check_path(&f.path)?;
            if (f.size == 0) != f.placement.is_none() {
                return Err(DatasetError::Path {
                    path: f.path.clone(),
                    why: "an empty file has no placement and any other file has one",
                });
            }
        }
        Ok(())
    }

    /// The canonical bytes: what is stored, and what the version id hashes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest always serializes")
    }

    /// Reads canonical manifest bytes.
    ///
    /// # Errors
    ///
    /// Bytes that do not decode, a manifest that breaks a rule of [`DatasetManifest::new`],
    /// or bytes that are not the canonical encoding of what they hold (two encodings of one
    /// version would give it two ids).
    pub fn decode(bytes: &[u8]) -> Result<Self, DatasetError> {
        let manifest: Self =
            serde_json::from_slice(bytes).map_err(|e| DatasetError::Decode(e.to_string()))?;
        manifest.check()?;
        if manifest.encode() != bytes {
            return Err(DatasetError::NotCanonical);
        }
        Ok(manifest)
    }

    /// The version's id: the CID of its canonical bytes.
    pub fn version_id(&self) -> Cid {
        Cid::of(&self.encode())
    }

    /// Plain bytes in all.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Where each plain content this version holds is already stored: what a push of a
    /// child version reuses instead of storing a file again.
    pub fn reusable(&self) -> BTreeMap<Cid, Placement> {
        self.files
            .iter()
            .filter_map(|f| Some((f.content, f.placement?)))
            .collect()
    }

    /// The blobs this version's files are in, each once, with their plain digests.
    pub fn blobs(&self) -> BTreeMap<BlobId, Cid> {
        self.files
            .iter()
            .filter_map(|f| f.placement)
            .map(|p| (p.blob, p.blob_content))
            .collect()
    }

    /// Whether this version holds exactly the files of `other` (the same paths with the
    /// same contents), whatever their blobs, parents or derivation.
    pub fn same_files(&self, other: &Self) -> bool {
        self.files.len() == other.files.len()
            && self
                .files
                .iter()
                .zip(&other.files)
                .all(|(a, b)| a.path == b.path && a.content == b.content)
    }

    /// The manifest of the version a job derives: the regular files of the job's output,
    /// a tar archive ([`crate::archive`]), each placed at its offset in the output blob
    /// `output_blob` (whose plain bytes are `output`), after `parents` (the job's input
    /// version, if any), with the job as its `derivation`. Every agreeing worker builds the
    /// same manifest from the same output, and a reader can rebuild it to check.
    ///
    /// # Errors
    ///
    /// [`DatasetError::Archive`] when the output is not an archive a version can be made of.
    pub fn derived(
        output: &[u8],
        output_blob: BlobId,
        parents: Vec<Cid>,
        derivation: Derivation,
    ) -> Result<Self, DatasetError> {
        let blob_content = Cid::of(output);
        let files = crate::archive::read_archive(output)?
            .into_iter()
            .map(|entry| {
                let bytes = crate::archive::entry_bytes(output, &entry);
                FileEntry {
                    path: entry.path,
                    size: entry.size,
                    content: Cid::of(bytes),
                    placement: (entry.size > 0).then_some(Placement {
                        blob: output_blob,
                        offset: entry.offset,
                        blob_content,
                    }),
                }
            })
            .collect();
        Self::new(files, parents, Some(derivation))
    }
}

/// What changed from one version to another, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff<'a> {
    pub added: Vec<&'a FileEntry>,
    pub removed: Vec<&'a FileEntry>,
    /// (before, after).
    pub changed: Vec<(&'a FileEntry, &'a FileEntry)>,
}

impl Diff<'_> {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The files `after` adds, removes and changes relative to `before`, each list in path
/// order (one merge pass over the two sorted lists).
pub fn diff<'a>(before: &'a DatasetManifest, after: &'a DatasetManifest) -> Diff<'a> {
    let mut d = Diff::default();
    let (mut a, mut b) = (
        before.files.iter().peekable(),
        after.files.iter().peekable(),
    );
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return d,
            (Some(x), None) => {
                d.removed.push(x);
                a.next();
            }
            (None, Some(y)) => {
                d.added.push(y);
                b.next();
            }
            (Some(x), Some(y)) => match x.path.as_bytes().cmp(y.path.as_bytes()) {
                std::cmp::Ordering::Less => {
                    d.removed.push(x);
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    d.added.push(y);
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    if x.content != y.content {
                        d.changed.push((x, y));
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &[u8], blob: u8) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            size: content.len() as u64,
            content: Cid::of(content),
            placement: Some(Placement {
                blob: BlobId::from_bytes([blob; 32]),
                offset: 0,
                blob_content: Cid::of(content),
            }),
        }
    }

    fn v1() -> DatasetManifest {
        let files = vec![
            file("train/b.csv", b"b", 2),
            file("README.md", b"readme", 1),
            file("train/a.csv", b"a", 3),
        ];
        DatasetManifest::new(files, Vec::new(), None).expect("valid")
    }

    #[test]
    fn equal_content_gives_one_id_in_any_order_and_any_change_another() {
        let mut shuffled = v1().files;
        shuffled.reverse();
        let again = DatasetManifest::new(shuffled, Vec::new(), None).expect("valid");
        assert_eq!(again.version_id(), v1().version_id());
        assert_eq!(
            v1().files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>(),
            ["README.md", "train/a.csv", "train/b.csv"]
        );
        let mut renamed = v1().files;
        renamed[0].path = "README".into();
        let renamed = DatasetManifest::new(renamed, Vec::new(), None).expect("valid");
        assert_ne!(renamed.version_id(), v1().version_id());
        let child = DatasetManifest::new(v1().files, vec![v1().version_id()], None).expect("ok");
        assert_ne!(child.version_id(), v1().version_id(), "parents are content");
        assert!(child.same_files(&v1()));
    }

    #[test]
    fn a_jobs_output_archive_is_a_version_placed_in_the_output_blob() -> Result<(), DatasetError> {
        let output = crate::archive::write_archive([
            ("clean/b.csv", &b"id,name\n#,x\n"[..]),
            ("clean/a.csv", &b"a"[..]),
            ("empty", &b""[..]),
        ])?;
        let blob = BlobId::from_bytes([5; 32]);
        let derivation = Derivation::Job {
            inputs: vec![v1().version_id()],
            job: "JobAddress111".into(),
            module: Cid::of(b"module"),
            params: Cid::of(b"params"),
            result: Cid::of(&output),
        };
        let parents = vec![v1().version_id()];
        let derived = DatasetManifest::derived(&output, blob, parents.clone(), derivation.clone())?;
        let paths: Vec<&str> = derived.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["clean/a.csv", "clean/b.csv", "empty"], "sorted");
        for f in &derived.files {
            let Some(p) = f.placement else {
                assert_eq!(f.size, 0, "only an empty file has no placement");
                continue;
            };
            assert_eq!((p.blob, p.blob_content), (blob, Cid::of(&output)));
            let bytes = &output[p.offset as usize..(p.offset + f.size) as usize];
            assert_eq!(Cid::of(bytes), f.content, "{} placed at its bytes", f.path);
        }
        let again = DatasetManifest::derived(&output, blob, parents.clone(), derivation.clone())?;
        assert_eq!(
            again.version_id(),
            derived.version_id(),
            "every worker, one id"
        );
        assert!(matches!(
            DatasetManifest::derived(b"not an archive", blob, parents, derivation),
            Err(DatasetError::Archive(_))
        ));
        Ok(())
    }

    #[test]
    fn only_the_canonical_encoding_decodes() -> Result<(), DatasetError> {
        let derived = DatasetManifest::new(
            v1().files,
            vec![v1().version_id()],
            Some(Derivation::Job {
                inputs: vec![v1().version_id()],
                job: "JobAddress111".into(),
                module: Cid::of(b"module"),
                params: Cid::of(b"params"),
                result: Cid::of(b"result"),
            }),
        )?;
        let bytes = derived.encode();
        assert_eq!(DatasetManifest::decode(&bytes)?, derived);
        let pretty = serde_json::to_vec_pretty(&derived).expect("serializes");
        assert_eq!(
            DatasetManifest::decode(&pretty),
            Err(DatasetError::NotCanonical)
        );
        let mut unsorted = derived.clone();
        unsorted.files.swap(0, 1);
        assert_eq!(
            DatasetManifest::decode(&serde_json::to_vec(&unsorted).expect("serializes")),
            Err(DatasetError::NotCanonical)
        );
        let text = String::from_utf8(bytes).expect("JSON");
        let future = text.replace(FORMAT, "basalt-dataset/9");
        assert!(matches!(
            DatasetManifest::decode(future.as_bytes()),
            Err(DatasetError::Format(_))
        ));
        Ok(())
    }

    #[test]
    fn a_dataset_key_gives_each_content_its_own_key() {
        let owner = DatasetKey::for_owner(&[1; 32], &[2; 32]);
        assert_eq!(owner, DatasetKey::for_owner(&[1; 32], &[2; 32]));
        assert_ne!(
            owner,
            DatasetKey::for_owner(&[1; 32], &[3; 32]),
            "per dataset"
        );
        assert_ne!(
            owner,
            DatasetKey::for_owner(&[4; 32], &[2; 32]),
            "per owner"
        );
        let (a, b) = (Cid::of(b"a"), Cid::of(b"b"));
        assert_eq!(owner.blob_key(&a), owner.blob_key(&a), "convergent");
        assert_ne!(owner.blob_key(&a), owner.blob_key(&b));
        let granted = DatasetKey::from_data_key(owner.as_data_key().clone());
        assert_eq!(granted.blob_key(&a), owner.blob_key(&a));
    }

    #[test]
    fn paths_must_be_relative_and_plain() {
        for bad in [
            "",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "../x",
            "a/..",
            "a\\b",
            "a/",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b.csv", ".hidden", "a/..b", "ü/日本"] {
            assert_eq!(check_path(good), Ok(()), "{good:?}");
        }
        let twice = vec![file("a", b"1", 1), file("a", b"2", 2)];
        assert_eq!(
            DatasetManifest::new(twice, Vec::new(), None),
            Err(DatasetError::Duplicate("a".into()))
        );
        let parent = Cid::of(b"p");
        assert_eq!(
            DatasetManifest::new(Vec::new(), vec![parent, parent], None),
            Err(DatasetError::DuplicateParent(parent))
        );
    }

    #[test]
    fn a_diff_lists_added_removed_and_changed_paths() {
        let before = v1();
        let files = vec![
            file("README.md", b"readme", 9), // same content, another blob: unchanged
            file("train/a.csv", b"a2", 4),   // changed
            file("train/c.csv", b"c", 5),    // added
        ];
        let after = DatasetManifest::new(files, vec![before.version_id()], None).expect("ok");
        let d = diff(&before, &after);
        let paths = |v: &[&FileEntry]| v.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&d.added), ["train/c.csv"]);
        assert_eq!(paths(&d.removed), ["train/b.csv"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].1.path, "train/a.csv");
        assert!(diff(&before, &before).is_empty());
        assert_eq!(
            before.reusable().get(&Cid::of(b"readme")).map(|p| p.blob),
            Some(BlobId::from_bytes([1; 32]))
        );
    }
}
