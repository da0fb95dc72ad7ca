//! Datasets on the client side: pushing a directory as a new version and pulling a
//! version back into a directory (the manifest format is `basalt_core::dataset`, the chain
//! records are `chain::datasets`).
//!
//! - `scan.rs`: the files of a directory, hashed in parallel.
//! - `push.rs`: a directory → the blobs it does not share with its parent version, a
//!   manifest, a published version.
//! - `pull.rs`: a version → the files a directory lacks, each checked before it is renamed
//!   into place.
//! - `archive.rs`: a version → its files as one tar archive, a job's input.
//!
//! Who reads what: a public dataset's blobs are stored plain. A private dataset's blobs are
//! sealed under keys derived from the dataset's key ([`DatasetKey`]), which its owner
//! derives from its wallet and each grantee unwraps from its dataset grant; the blobs are
//! registered readable by anyone at the nodes, since the key, not the node, is what keeps
//! them private (see `docs/datasets.md`).

mod archive;
mod pull;
mod push;
mod scan;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::pda;
use basalt::state::Dataset;
use basalt_core::dataset::{DatasetError, DatasetKey};
use basalt_core::{BlobId, Cid};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::chain::{ChainClient, ChainError};
use crate::get::GetError;
use crate::put::{wallet_signing_key, PutError};

pub use archive::version_archive;
/// The chain's rules for names and tags, to check them before anything is sent.
pub use basalt_rules::{check_dataset_name, check_version_tag};
pub use pull::{pull, PullOptions, PullReport};
pub use push::{push, ManualTransform, PushOptions, PushReport};
pub use scan::{hash_file, scan, scan_blocking, ScanError, ScannedFile};

/// The directory a pull keeps its partial files in, under the directory it fills; a scan
/// skips it.
pub const PULL_SCRATCH: &str = ".basalt-pull";

/// A dataset, named by its owner and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRef {
    pub owner: Pubkey,
    pub name: String,
}

impl DatasetRef {
    /// The Dataset account.
    pub fn address(&self) -> Pubkey {
        pda::dataset(&self.owner, &self.name)
    }

    /// The Version account of its version tagged `tag`.
    pub fn version(&self, tag: &str) -> Pubkey {
        pda::version(&self.address(), tag)
    }
}

/// Why a push or a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetOpError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("storing: {0}")]
    Put(#[from] PutError),
    #[error("reading: {0}")]
    Get(#[from] GetError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("{0}")]
    Manifest(#[from] DatasetError),
    #[error("{owner} has no dataset named {name:?} (create it with `basalt dataset create`)")]
    NoDataset { owner: Pubkey, name: String },
    #[error("the dataset has no version tagged {0:?}")]
    NoVersion(String),
    #[error(
        "{0:?} is not a tag: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
    )]
    InvalidTag(String),
    #[error("the dataset already has a version tagged {0:?}; tags are never reused")]
    TagTaken(String),
    #[error("the dataset has no version yet")]
    Empty,
    #[error("{0} neither owns the dataset nor holds its {1} role")]
    NotAllowed(Pubkey, &'static str),
    #[error(
        "the dataset is private and {0} holds no key to it (its owner grants READ with `basalt dataset grant`)"
    )]
    NoKey(Pubkey),
    #[error("blob {blob} does not hold what the manifest says (its plain bytes hash to {found}, not {expected})")]
    Corrupt {
        blob: BlobId,
        expected: Cid,
        found: Cid,
    },
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for DatasetOpError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

/// The dataset at `dataset`'s address, or [`DatasetOpError::NoDataset`].
async fn read_dataset(
    chain: &ChainClient,
    dataset: &DatasetRef,
) -> Result<Dataset, DatasetOpError> {
    chain
        .dataset(&dataset.address())
        .await?
        .ok_or_else(|| DatasetOpError::NoDataset {
            owner: dataset.owner,
            name: dataset.name.clone(),
        })
}

/// The key sealing the dataset's blobs as `wallet` holds it: `None` for a public dataset;
/// derived for its owner; unwrapped from the wallet's dataset grant otherwise.
///
/// # Errors
///
/// [`DatasetOpError::NoKey`] when the wallet holds none.
pub async fn dataset_key(
    chain: &ChainClient,
    wallet: &Keypair,
    dataset: &DatasetRef,
    record: &Dataset,
) -> Result<Option<DatasetKey>, DatasetOpError> {
    if record.public {
        return Ok(None);
    }
    let address = dataset.address();
    if record.owner == wallet.pubkey() {
        return Ok(Some(DatasetKey::for_owner(
            wallet.secret_bytes(),
            &address.to_bytes(),
        )));
    }
    let grant = chain.dataset_grant(&address, &wallet.pubkey()).await?;
    match grant {
        Some(g) if !g.wrapped_key.is_empty() => {
            let key = basalt_core::unwrap_key(&g.wrapped_key, &wallet_signing_key(wallet))
                .map_err(|e| DatasetOpError::Io(format!("unwrapping the dataset key: {e}")))?;
            Ok(Some(DatasetKey::from_data_key(key)))
        }
        _ => Err(DatasetOpError::NoKey(wallet.pubkey())),
    }
}

/// The dataset key wrapped for `grantee` (empty for a public dataset), for its grant.
///
/// # Errors
///
/// As [`dataset_key`], or when `grantee` is not a valid key to wrap for.
pub async fn wrapped_dataset_key(
    chain: &ChainClient,
    wallet: &Keypair,
    dataset: &DatasetRef,
    grantee: &Pubkey,
) -> Result<Vec<u8>, DatasetOpError> {
    let record = read_dataset(chain, dataset).await?;
    match dataset_key(chain, wallet, dataset, &record).await? {
        None => Ok(Vec::new()),
        Some(key) => Ok(basalt_core::wrap_key(
            key.as_data_key(),
            &grantee.to_bytes(),
            &mut rand_core::OsRng,
        )
        .map_err(|e| DatasetOpError::Io(format!("wrapping the dataset key: {e}")))?
        .to_vec()),
    }
}

/// Version `tag` of `dataset` and its manifest, read with `wallet`'s key and checked
/// against the version's id.
///
/// # Errors
///
/// No such dataset or version, no key to a private dataset, or a manifest that cannot be
/// read or is not the version's.
pub async fn read_version(
    chain: &ChainClient,
    wallet: &Keypair,
    dataset: &DatasetRef,
    tag: &str,
) -> Result<
    (
        basalt::state::Version,
        basalt_core::dataset::DatasetManifest,
    ),
    DatasetOpError,
> {
    let record = read_dataset(chain, dataset).await?;
    let version = chain
        .version(&dataset.version(tag))
        .await?
        .ok_or_else(|| DatasetOpError::NoVersion(tag.to_owned()))?;
    let key = dataset_key(chain, wallet, dataset, &record).await?;
    let manifest = pull::read_manifest(
        chain,
        wallet,
        key.as_ref(),
        &version,
        &crate::get::GetOptions::default(),
    )
    .await?;
    Ok((version, manifest))
}

/// One version in a lineage, as the chain records it.
#[derive(Debug, Clone)]
pub struct LineageNode {
    /// The Version account.
    pub address: Pubkey,
    /// `name@tag`; `None` when the parent account is missing (it cannot be on a chain that
    /// checks parents, but a lineage is read, not trusted).
    pub label: Option<String>,
    pub version_id: Option<Cid>,
    pub retracted: bool,
    /// The job it was derived by.
    pub job: Option<Pubkey>,
    /// Its parents, up to the depth asked; empty beyond it.
    pub parents: Vec<LineageNode>,
    /// Its parents were not followed: the depth ran out, or it was already shown (a
    /// version reached twice, by a merge, is expanded once).
    pub cut: bool,
}

/// The ancestry of the version at `version`, `depth` generations up, read from the chain
/// (each Version names its parents). A version reached twice is expanded once.
///
/// # Errors
///
/// When the chain cannot be read.
pub async fn lineage(
    chain: &ChainClient,
    version: &Pubkey,
    depth: usize,
) -> Result<LineageNode, DatasetOpError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeMap::new();
    lineage_of(chain, *version, depth, &mut seen, &mut names).await
}

fn lineage_of<'a>(
    chain: &'a ChainClient,
    address: Pubkey,
    depth: usize,
    seen: &'a mut std::collections::BTreeSet<Pubkey>,
    names: &'a mut std::collections::BTreeMap<Pubkey, String>,
) -> futures::future::BoxFuture<'a, Result<LineageNode, DatasetOpError>> {
    Box::pin(async move {
        let Some(v) = chain.version(&address).await? else {
            return Ok(LineageNode {
                address,
                label: None,
                version_id: None,
                retracted: false,
                job: None,
                parents: Vec::new(),
                cut: true,
            });
        };
        let name = match names.get(&v.dataset) {
            Some(n) => n.clone(),
            None => {
                let n = chain
                    .dataset(&v.dataset)
                    .await?
                    .map_or_else(|| v.dataset.to_string(), |d| d.name);
                names.insert(v.dataset, n.clone());
                n
            }
        };
        let expand = depth > 0 && seen.insert(address);
        let mut parents = Vec::new();
        if expand {
            for p in &v.parents {
                parents.push(lineage_of(chain, *p, depth - 1, seen, names).await?);
            }
        }
        Ok(LineageNode {
            address,
            label: Some(format!("{name}@{}", v.tag)),
            version_id: Some(Cid::from_digest(v.version_id)),
            retracted: v.retracted,
            job: v.job,
            cut: !expand && !v.parents.is_empty(),
            parents,
        })
    })
}
