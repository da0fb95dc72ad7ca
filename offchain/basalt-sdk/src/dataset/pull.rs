//! Pulling a version into a directory: only the files the directory lacks are fetched,
//! each blob is checked against the manifest's digest, each file against its own, and a
//! file reaches its path only by a rename, so an interrupted pull leaves whole files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use basalt::state::Version;
use basalt_core::dataset::{DatasetKey, DatasetManifest, FileEntry, Placement};
use basalt_core::{BlobId, Cid};
use futures::StreamExt;
use solana_keypair::Keypair;

use super::{
    dataset_key, hash_file, read_dataset, scan_blocking, DatasetOpError, DatasetRef, PULL_SCRATCH,
};
use crate::chain::ChainClient;
use crate::get::{get, GetOptions, MemoryWriter};

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Threads hashing the files already in the directory.
    pub threads: usize,
    /// Blobs fetched at once.
    pub parallel_gets: usize,
    pub get: GetOptions,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            parallel_gets: 4,
            get: GetOptions::default(),
        }
    }
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct PullReport {
    pub tag: String,
    pub version_id: Cid,
    pub retracted: bool,
    /// Files in the version, and their plain bytes.
    pub files: usize,
    pub bytes: u64,
    /// Files already present with the right content.
    pub kept_files: usize,
    /// Files written.
    pub fetched_files: usize,
    /// Blobs read, and their plain bytes.
    pub fetched_blobs: usize,
    pub fetched_bytes: u64,
    /// Files in the directory the version does not hold (left as they are).
    pub extra_files: usize,
    pub elapsed: Duration,
}

/// Writes version `tag` of `dataset` into `dir` (created if missing), fetching only what
/// `dir` lacks.
///
/// # Errors
///
/// [`DatasetOpError`]: no such dataset or version, no key to a private dataset, a blob or
/// a file whose bytes do not match the manifest (nothing unchecked is ever renamed into
/// place), or a read or write that failed.
pub async fn pull(
    chain: &ChainClient,
    wallet: &Keypair,
    dataset: &DatasetRef,
    tag: &str,
    dir: &Path,
    options: &PullOptions,
) -> Result<PullReport, DatasetOpError> {
    let started = Instant::now();
    let record = read_dataset(chain, dataset).await?;
    let version = chain
        .version(&dataset.version(tag))
        .await?
        .ok_or_else(|| DatasetOpError::NoVersion(tag.to_owned()))?;
    let key = dataset_key(chain, wallet, dataset, &record).await?;
    let manifest = read_manifest(chain, wallet, key.as_ref(), &version, &options.get).await?;

    std::fs::create_dir_all(dir)?;
    let scratch = dir.join(PULL_SCRATCH);
    match std::fs::remove_dir_all(&scratch) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    std::fs::create_dir_all(&scratch)?;
    let present = scan_blocking(dir, options.threads).await?;
    let have: BTreeMap<&str, Cid> = present
        .iter()
        .map(|f| (f.path.as_str(), f.content))
        .collect();
    let wanted: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let extra_files = have.keys().filter(|p| !wanted.contains(*p)).count();

    let (mut kept_files, mut empty_written) = (0, 0);
    let mut by_blob: BTreeMap<BlobId, (Cid, Vec<FileEntry>)> = BTreeMap::new();
    for file in &manifest.files {
        if have.get(file.path.as_str()) == Some(&file.content) {
            kept_files += 1;
            continue;
        }
        match file.placement {
            None => {
                write_atomically(dir, &scratch, &file.path, |_| Ok(()))?.commit()?;
                empty_written += 1;
            }
            Some(Placement {
                blob, blob_content, ..
            }) => by_blob
                .entry(blob)
                .or_insert_with(|| (blob_content, Vec::new()))
                .1
                .push(file.clone()),
        }
    }
    let fetched_blobs = by_blob.len();
    let fetched: Vec<Result<(usize, u64), DatasetOpError>> =
        futures::stream::iter(by_blob.into_iter().enumerate())
            .map(|(n, (blob, (blob_content, files)))| {
                let scratch = scratch.clone();
                let key = key.as_ref().map(|k| k.blob_key(&blob_content));
                let get_options = GetOptions {
                    data_key: key,
                    ..options.get.clone()
                };
                async move {
                    let local = scratch.join(format!("blob-{n}"));
                    let file = std::fs::File::create(&local)?;
                    let report = get(chain, wallet, &blob, file, &get_options, |_| {}).await?;
                    let dir = dir.to_owned();
                    tokio::task::spawn_blocking(move || {
                        place_files(&dir, &scratch, &local, blob, &blob_content, &files)
                            .map(|written| (written, report.bytes))
                    })
                    .await
                    .map_err(|e| DatasetOpError::Io(format!("write task failed: {e}")))?
                }
            })
            .buffer_unordered(options.parallel_gets.max(1))
            .collect()
            .await;
    let mut fetched_files = empty_written;
    let mut fetched_bytes = 0;
    for result in fetched {
        let (files, bytes) = result?;
        fetched_files += files;
        fetched_bytes += bytes;
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(PullReport {
        tag: tag.to_owned(),
        version_id: Cid::from_digest(version.version_id),
        retracted: version.retracted,
        files: manifest.files.len(),
        bytes: manifest.total_size(),
        kept_files,
        fetched_files,
        fetched_blobs,
        fetched_bytes,
        extra_files,
        elapsed: started.elapsed(),
    })
}

/// The manifest of `version`, read with the dataset's key and checked against the
/// version's id on chain.
///
/// # Errors
///
/// When it cannot be read, or its bytes are not the version's.
pub(super) async fn read_manifest(
    chain: &ChainClient,
    wallet: &Keypair,
    key: Option<&DatasetKey>,
    version: &Version,
    options: &GetOptions,
) -> Result<DatasetManifest, DatasetOpError> {
    let id = Cid::from_digest(version.version_id);
    let blob = BlobId::from_bytes(version.manifest_blob.to_bytes());
    let options = GetOptions {
        data_key: key.map(|k| k.blob_key(&id)),
        ..options.clone()
    };
    let buffer = MemoryWriter::default();
    get(chain, wallet, &blob, buffer.clone(), &options, |_| {}).await?;
    let bytes = buffer.take();
    let found = Cid::of(&bytes);
    if found != id {
        return Err(DatasetOpError::Corrupt {
            blob,
            expected: id,
            found,
        });
    }
    Ok(DatasetManifest::decode(&bytes)?)
}

/// Checks the blob fetched to `local` against `blob_content`, then writes each of `files`
/// from it into `dir`, each checked against its own digest. Returns how many it wrote.
fn place_files(
    dir: &Path,
    scratch: &Path,
    local: &Path,
    blob: BlobId,
    blob_content: &Cid,
    files: &[FileEntry],
) -> Result<usize, DatasetOpError> {
    let (_, found) = hash_file(local)?;
    if found != *blob_content {
        return Err(DatasetOpError::Corrupt {
            blob,
            expected: *blob_content,
            found,
        });
    }
    let mut source = std::fs::File::open(local)?;
    for file in files {
        let offset = file.placement.map_or(0, |p| p.offset);
        source.seek(SeekFrom::Start(offset))?;
        let mut hasher = blake3::Hasher::new();
        write_atomically(dir, scratch, &file.path, |out| {
            let mut range = (&mut source).take(file.size);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = range.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
            }
        })
        .and_then(|written| {
            let found = Cid::from_digest(*hasher.finalize().as_bytes());
            if found == file.content {
                written.commit()
            } else {
                Err(DatasetOpError::Corrupt {
                    blob,
                    expected: file.content,
                    found,
                })
            }
        })?;
    }
    std::fs::remove_file(local)?;
    Ok(files.len())
}

/// A file written in the scratch directory, renamed to its path by [`Staged::commit`].
struct Staged {
    temp: PathBuf,
    target: PathBuf,
}

impl Staged {
    fn commit(self) -> Result<(), DatasetOpError> {
        if let Some(parent) = self.target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(&self.temp, &self.target)?;
        Ok(())
    }
}

/// Writes `path` (a manifest path under `dir`) with `fill` into a scratch file, synced to
/// disk. Returns it staged: the caller renames it into place once it checked it.
fn write_atomically(
    dir: &Path,
    scratch: &Path,
    path: &str,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<Staged, DatasetOpError> {
    let temp = scratch.join(format!("file-{}", Cid::of(path.as_bytes())));
    let mut out = std::fs::File::create(&temp)?;
    fill(&mut out)?;
    out.sync_all()?;
    Ok(Staged {
        temp,
        target: dir.join(path),
    })
}
