//! Pushing a directory as a new version: hash every file in parallel, keep the placement of
//! every content a parent version already stores, store the rest (small files packed
//! together, large ones alone), store the manifest, publish the version.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::{Version, ROLE_WRITE};
use basalt_core::dataset::{DatasetKey, DatasetManifest, Derivation, FileEntry, Placement};
use basalt_core::{BlobId, Cid};
use futures::StreamExt;
use solana_keypair::Keypair;
use solana_signer::Signer;

use super::pull::read_manifest;
use super::{dataset_key, read_dataset, scan_blocking, DatasetOpError, DatasetRef, ScannedFile};
use crate::chain::{ChainClient, Publication};
use crate::get::GetOptions;
use crate::put::{put, PutOptions};

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Threads hashing the directory's files.
    pub threads: usize,
    /// Files smaller than this are packed with others into one blob.
    pub pack_limit: u64,
    /// A pack is closed once it holds this many bytes.
    pub pack_size: u64,
    /// Blobs stored at once.
    pub parallel_puts: usize,
    /// How each blob is stored (code, epochs, price); its encryption and access follow the
    /// dataset's.
    pub put: PutOptions,
    /// The parents, by tag; `None`: the latest version not retracted, if any.
    pub parents: Option<Vec<String>>,
    pub message: String,
    /// How the directory was made from the parents, when by hand: recorded as the
    /// manifest's `Derivation::Manual`, the parents its inputs.
    pub transform: Option<ManualTransform>,
}

/// A derivation made outside the network, as its publisher declares it.
#[derive(Debug, Clone)]
pub struct ManualTransform {
    /// What was done, in words.
    pub transform: String,
    /// The script that did it: stored as a blob of the dataset, named by its CID.
    pub script: Option<Vec<u8>>,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            pack_limit: 1 << 20,
            pack_size: 32 << 20,
            parallel_puts: 4,
            put: PutOptions::default(),
            parents: None,
            message: String::new(),
            transform: None,
        }
    }
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct PushReport {
    pub tag: String,
    /// The Version account; `None` when the directory held exactly the parent's files and
    /// nothing was published.
    pub version: Option<Pubkey>,
    /// The manifest's id (the parent's when nothing changed).
    pub version_id: Cid,
    /// The parents' tags.
    pub parents: Vec<String>,
    /// Files in the version, and their plain bytes.
    pub files: usize,
    pub bytes: u64,
    /// Files whose content a parent already stores (or another path of this push).
    pub reused_files: usize,
    /// Files stored by this push, in how many blobs, and their plain bytes.
    pub stored_files: usize,
    pub stored_blobs: usize,
    pub stored_bytes: u64,
    /// The manifest's blob; `None` when nothing was published.
    pub manifest_blob: Option<BlobId>,
    /// The manifest's derivation, when one was declared.
    pub derivation: Option<Derivation>,
    /// Hashing the directory.
    pub hashing: Duration,
    pub elapsed: Duration,
}

/// Pushes the files under `dir` as version `tag` of `dataset`, signed by `wallet` (its
/// owner or a WRITE grantee), after the parent versions. A directory holding exactly the
/// parent's files stores and publishes nothing.
///
/// # Errors
///
/// [`DatasetOpError`]: no such dataset, no WRITE role, a tag already published, an
/// unreadable file or one that changed while it was pushed, a blob that could not be
/// stored, or the publication refused.
pub async fn push(
    chain: &ChainClient,
    wallet: &Keypair,
    dataset: &DatasetRef,
    dir: &Path,
    tag: &str,
    options: &PushOptions,
) -> Result<PushReport, DatasetOpError> {
    let started = Instant::now();
    basalt_rules::check_version_tag(tag).map_err(|_| DatasetOpError::InvalidTag(tag.to_owned()))?;
    let record = read_dataset(chain, dataset).await?;
    let address = dataset.address();
    if record.owner != wallet.pubkey() {
        let grant = chain.dataset_grant(&address, &wallet.pubkey()).await?;
        if grant.is_none_or(|g| g.roles & ROLE_WRITE == 0) {
            return Err(DatasetOpError::NotAllowed(wallet.pubkey(), "WRITE"));
        }
    }
    if chain.version(&dataset.version(tag)).await?.is_some() {
        return Err(DatasetOpError::TagTaken(tag.to_owned()));
    }
    let key = dataset_key(chain, wallet, dataset, &record).await?;
    let parents = parents_of(chain, dataset, options.parents.as_deref()).await?;
    let mut reusable = BTreeMap::new();
    let mut first_parent = None;
    for parent in &parents {
        let manifest =
            read_manifest(chain, wallet, key.as_ref(), parent, &GetOptions::default()).await?;
        reusable.extend(manifest.reusable());
        first_parent.get_or_insert(manifest);
    }

    let hashing_started = Instant::now();
    let files = scan_blocking(dir, options.threads).await?;
    let hashing = hashing_started.elapsed();
    let plan = Plan::new(&files, &reusable, options);
    let parent_ids: Vec<Cid> = parents
        .iter()
        .map(|p| Cid::from_digest(p.version_id))
        .collect();
    let parent_tags: Vec<String> = parents.iter().map(|p| p.tag.clone()).collect();

    // A declared transform makes a new version even of the parent's files.
    if plan.to_store.is_empty() && options.transform.is_none() {
        let candidate = DatasetManifest::new(plan.entries(&BTreeMap::new())?, Vec::new(), None)?;
        if let (Some(parent), [only]) = (&first_parent, parents.as_slice()) {
            if candidate.same_files(parent) {
                return Ok(PushReport {
                    tag: tag.to_owned(),
                    version: None,
                    version_id: Cid::from_digest(only.version_id),
                    parents: parent_tags,
                    files: candidate.files.len(),
                    bytes: candidate.total_size(),
                    reused_files: plan.reused,
                    stored_files: 0,
                    stored_blobs: 0,
                    stored_bytes: 0,
                    manifest_blob: None,
                    derivation: None,
                    hashing,
                    elapsed: started.elapsed(),
                });
            }
        }
    }

    let stored_files = plan.to_store.iter().map(|b| b.files.len()).sum();
    let stored_bytes = plan.to_store.iter().map(|b| b.size).sum();
    let stored_blobs = plan.to_store.len();
    let results: Vec<Result<Vec<(Cid, Placement)>, DatasetOpError>> =
        futures::stream::iter(plan.to_store.iter())
            .map(|blob| store_blob(chain, wallet, key.as_ref(), blob, &options.put))
            .buffer_unordered(options.parallel_puts.max(1))
            .collect()
            .await;
    let mut stored = BTreeMap::new();
    for placed in results {
        stored.extend(placed?);
    }
    let derivation = match &options.transform {
        None => None,
        Some(t) => Some(
            manual_derivation(chain, wallet, key.as_ref(), t, &parent_ids, &options.put).await?,
        ),
    };
    let manifest = DatasetManifest::new(plan.entries(&stored)?, parent_ids, derivation.clone())?;
    let bytes = Arc::<[u8]>::from(manifest.encode());
    let version_id = Cid::of(&bytes);
    let manifest_blob = put_bytes(
        chain,
        wallet,
        key.as_ref(),
        Arc::clone(&bytes),
        &version_id,
        &options.put,
    )
    .await?;
    let publication = Publication {
        tag: tag.to_owned(),
        version_id: *version_id.digest(),
        manifest_blob: Pubkey::new_from_array(*manifest_blob.as_bytes()),
        parents: parents
            .iter()
            .map(|p| basalt::client::pda::version(&address, &p.tag))
            .collect(),
        job: None,
        message: options.message.clone(),
    };
    let version = chain
        .publish_version(wallet, &address, &record.owner, publication)
        .await?;
    Ok(PushReport {
        tag: tag.to_owned(),
        version: Some(version),
        version_id,
        parents: parent_tags,
        files: manifest.files.len(),
        bytes: manifest.total_size(),
        reused_files: plan.reused,
        stored_files,
        stored_blobs,
        stored_bytes,
        manifest_blob: Some(manifest_blob),
        derivation,
        hashing,
        elapsed: started.elapsed(),
    })
}

/// The manual derivation `t` declares, from the versions `inputs`: its script, if any, is
/// stored first as a blob of the dataset (sealed as its files are).
async fn manual_derivation(
    chain: &ChainClient,
    wallet: &Keypair,
    key: Option<&DatasetKey>,
    t: &ManualTransform,
    inputs: &[Cid],
    options: &PutOptions,
) -> Result<Derivation, DatasetOpError> {
    let script = match &t.script {
        None => None,
        Some(bytes) => {
            let content = Cid::of(bytes);
            put_bytes(
                chain,
                wallet,
                key,
                Arc::from(bytes.as_slice()),
                &content,
                options,
            )
            .await?;
            Some(content)
        }
    };
    Ok(Derivation::Manual {
        inputs: inputs.to_vec(),
        transform: t.transform.clone(),
        script,
    })
}

/// The parent versions: those tagged `tags`, or the latest version not retracted.
async fn parents_of(
    chain: &ChainClient,
    dataset: &DatasetRef,
    tags: Option<&[String]>,
) -> Result<Vec<Version>, DatasetOpError> {
    match tags {
        Some(tags) => {
            let mut parents = Vec::with_capacity(tags.len());
            for tag in tags {
                parents.push(
                    chain
                        .version(&dataset.version(tag))
                        .await?
                        .ok_or_else(|| DatasetOpError::NoVersion(tag.clone()))?,
                );
            }
            Ok(parents)
        }
        None => {
            let versions = chain.versions_of(&dataset.address()).await?;
            Ok(versions
                .into_iter()
                .rev()
                .find(|v| !v.retracted)
                .into_iter()
                .collect())
        }
    }
}

/// One blob a push stores: a large file alone, or small files packed at offsets.
struct NewBlob {
    /// (content, offset, size, where on disk), in pack order.
    files: Vec<(Cid, u64, u64, PathBuf)>,
    size: u64,
}

/// Which contents a push stores and which it reuses.
struct Plan<'a> {
    files: &'a [ScannedFile],
    reusable: &'a BTreeMap<Cid, Placement>,
    to_store: Vec<NewBlob>,
    reused: usize,
}

impl<'a> Plan<'a> {
    fn new(
        files: &'a [ScannedFile],
        reusable: &'a BTreeMap<Cid, Placement>,
        options: &PushOptions,
    ) -> Self {
        let mut seen = std::collections::BTreeSet::new();
        let mut to_store = Vec::new();
        let mut pack = NewBlob {
            files: Vec::new(),
            size: 0,
        };
        let mut reused = 0;
        for f in files {
            if f.size == 0 {
                continue;
            }
            if reusable.contains_key(&f.content) || !seen.insert(f.content) {
                reused += 1;
                continue;
            }
            let entry = (f.content, 0, f.size, f.local.clone());
            if f.size >= options.pack_limit {
                to_store.push(NewBlob {
                    files: vec![entry],
                    size: f.size,
                });
                continue;
            }
            pack.files.push((entry.0, pack.size, entry.2, entry.3));
            pack.size += f.size;
            if pack.size >= options.pack_size {
                to_store.push(std::mem::replace(
                    &mut pack,
                    NewBlob {
                        files: Vec::new(),
                        size: 0,
                    },
                ));
            }
        }
        if !pack.files.is_empty() {
            to_store.push(pack);
        }
        Self {
            files,
            reusable,
            to_store,
            reused,
        }
    }

    /// The manifest's entries, with `stored` the placements of what this push stored.
    ///
    /// # Errors
    ///
    /// A content neither reused nor stored (a bug in the plan, refused rather than
    /// published with a placement that holds nothing).
    fn entries(&self, stored: &BTreeMap<Cid, Placement>) -> Result<Vec<FileEntry>, DatasetOpError> {
        self.files
            .iter()
            .map(|f| {
                let placement = if f.size == 0 {
                    None
                } else {
                    let found = self
                        .reusable
                        .get(&f.content)
                        .or_else(|| stored.get(&f.content));
                    Some(*found.ok_or_else(|| {
                        DatasetOpError::Io(format!("{}: no blob holds its content", f.path))
                    })?)
                };
                Ok(FileEntry {
                    path: f.path.clone(),
                    size: f.size,
                    content: f.content,
                    placement,
                })
            })
            .collect()
    }
}

/// Stores one new blob; returns where each of its contents is.
async fn store_blob(
    chain: &ChainClient,
    wallet: &Keypair,
    key: Option<&DatasetKey>,
    blob: &NewBlob,
    options: &PutOptions,
) -> Result<Vec<(Cid, Placement)>, DatasetOpError> {
    let placed = |id: BlobId, blob_content: Cid| {
        blob.files
            .iter()
            .map(|(content, offset, _, _)| {
                (
                    *content,
                    Placement {
                        blob: id,
                        offset: *offset,
                        blob_content,
                    },
                )
            })
            .collect()
    };
    if let [(content, 0, size, path)] = blob.files.as_slice() {
        // A large file alone: streamed from disk, checked against the scan as it is read.
        let id = put_file(chain, wallet, key, path.clone(), *size, content, options).await?;
        return Ok(placed(id, *content));
    }
    let files = blob.files.clone();
    let bytes = tokio::task::spawn_blocking(move || read_pack(&files))
        .await
        .map_err(|e| DatasetOpError::Io(format!("pack task failed: {e}")))??;
    let bytes = Arc::<[u8]>::from(bytes);
    let content = Cid::of(&bytes);
    let id = put_bytes(chain, wallet, key, bytes, &content, options).await?;
    Ok(placed(id, content))
}

/// The packed bytes of `files`, each checked against the digest its scan found.
fn read_pack(files: &[(Cid, u64, u64, PathBuf)]) -> Result<Vec<u8>, DatasetOpError> {
    let mut bytes = Vec::with_capacity(files.iter().map(|f| f.2 as usize).sum());
    for (content, _, size, path) in files {
        let start = bytes.len();
        std::fs::File::open(path)?
            .take(*size)
            .read_to_end(&mut bytes)?;
        if Cid::of(&bytes[start..]) != *content || (bytes.len() - start) as u64 != *size {
            return Err(changed(path));
        }
    }
    Ok(bytes)
}

fn changed(path: &Path) -> DatasetOpError {
    DatasetOpError::Io(format!(
        "{} changed while it was pushed: push again",
        path.display()
    ))
}

/// How a dataset's blob is stored: sealed under its derived key in a private dataset,
/// plain in a public one, readable by anyone at the nodes either way (the key is what
/// keeps a private dataset private).
fn blob_options(key: Option<&DatasetKey>, content: &Cid, options: &PutOptions) -> PutOptions {
    PutOptions {
        encrypt: key.is_some(),
        data_key: key.map(|k| k.blob_key(content)),
        public: true,
        ..options.clone()
    }
}

async fn put_bytes(
    chain: &ChainClient,
    wallet: &Keypair,
    key: Option<&DatasetKey>,
    bytes: Arc<[u8]>,
    content: &Cid,
    options: &PutOptions,
) -> Result<BlobId, DatasetOpError> {
    let size = bytes.len() as u64;
    let options = blob_options(key, content, options);
    let open = move || Ok(std::io::Cursor::new(Arc::clone(&bytes)));
    stored_id(
        chain,
        put(chain, wallet, open, size, &options, |_| {})
            .await
            .map(|r| r.id),
    )
    .await
}

/// The blob a put stored, or the one the owner already stores with the same bytes (a
/// dataset's blobs are sealed convergently: content an older version stored seals to the
/// same blob), as long as that one is fully placed.
async fn stored_id(
    chain: &ChainClient,
    put: Result<BlobId, crate::put::PutError>,
) -> Result<BlobId, DatasetOpError> {
    match put {
        Err(crate::put::PutError::AlreadyStored(id)) => match chain.blob(&id).await? {
            Some(blob) if blob.is_placed() => Ok(id),
            _ => Err(crate::put::PutError::AlreadyStored(id).into()),
        },
        other => Ok(other?),
    }
}

async fn put_file(
    chain: &ChainClient,
    wallet: &Keypair,
    key: Option<&DatasetKey>,
    path: PathBuf,
    size: u64,
    content: &Cid,
    options: &PutOptions,
) -> Result<BlobId, DatasetOpError> {
    let options = blob_options(key, content, options);
    let opened = path.clone();
    let open = move || std::fs::File::open(&opened);
    let id = stored_id(
        chain,
        put(chain, wallet, open, size, &options, |_| {})
            .await
            .map(|r| r.id),
    )
    .await?;
    // The put hashed what it stored; a file changed since the scan stores other bytes.
    let (now_size, now) = super::hash_file(&path)?;
    if now != *content || now_size != size {
        return Err(changed(&path));
    }
    Ok(id)
}
