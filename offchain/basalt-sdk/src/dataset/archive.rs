//! A dataset version as a job's input: its files, fetched and checked, as one canonical tar
//! archive (`basalt_core::archive`).

use std::collections::BTreeMap;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::Version;
use basalt_core::archive::write_archive;
use basalt_core::dataset::DatasetManifest;
use basalt_core::{BlobId, Cid};
use futures::StreamExt;
use solana_keypair::Keypair;

use super::{dataset_key, pull::read_manifest, DatasetOpError, DatasetRef};
use crate::chain::ChainClient;
use crate::get::{get, GetOptions, MemoryWriter};

/// Blobs fetched at once.
const PARALLEL_GETS: usize = 4;

/// The version at `address`, its manifest, and its files as a canonical tar archive, read
/// with `wallet`'s key to its dataset (none for a public one). Every blob is checked
/// against the manifest's `blob_content` and every file against its `content`, so every
/// reader of one version builds the same bytes.
///
/// # Errors
///
/// No such version or dataset, no key to a private dataset, a blob or file whose bytes are
/// not the manifest's, or a read that failed.
pub async fn version_archive(
    chain: &ChainClient,
    wallet: &Keypair,
    address: &Pubkey,
) -> Result<(Version, DatasetManifest, Vec<u8>), DatasetOpError> {
    let version = chain
        .version(address)
        .await?
        .ok_or_else(|| DatasetOpError::NoVersion(address.to_string()))?;
    let record = chain
        .dataset(&version.dataset)
        .await?
        .ok_or_else(|| DatasetOpError::Io(format!("version {address} names no dataset")))?;
    let dataset = DatasetRef {
        owner: record.owner,
        name: record.name.clone(),
    };
    let key = dataset_key(chain, wallet, &dataset, &record).await?;
    let options = GetOptions::default();
    let manifest = read_manifest(chain, wallet, key.as_ref(), &version, &options).await?;
    let blobs: Vec<(BlobId, Cid)> = manifest.blobs().into_iter().collect();
    let fetched: Vec<Result<(BlobId, Vec<u8>), DatasetOpError>> = futures::stream::iter(blobs)
        .map(|(blob, blob_content)| {
            let options = GetOptions {
                data_key: key.as_ref().map(|k| k.blob_key(&blob_content)),
                ..options.clone()
            };
            async move {
                let buffer = MemoryWriter::default();
                get(chain, wallet, &blob, buffer.clone(), &options, |_| {}).await?;
                let bytes = buffer.take();
                let found = Cid::of(&bytes);
                if found != blob_content {
                    return Err(DatasetOpError::Corrupt {
                        blob,
                        expected: blob_content,
                        found,
                    });
                }
                Ok((blob, bytes))
            }
        })
        .buffer_unordered(PARALLEL_GETS)
        .collect()
        .await;
    let blobs = fetched.into_iter().collect::<Result<BTreeMap<_, _>, _>>()?;
    let mut files: Vec<(&str, &[u8])> = Vec::with_capacity(manifest.files.len());
    for file in &manifest.files {
        let bytes: &[u8] = match file.placement {
            None => &[],
            Some(p) => {
                let blob = &blobs[&p.blob];
                let range = usize::try_from(p.offset)
                    .ok()
                    .zip(usize::try_from(p.offset.saturating_add(file.size)).ok())
                    .filter(|(_, end)| *end <= blob.len());
                let Some((start, end)) = range else {
                    return Err(corrupt_file(p.blob, file.content, &[]));
                };
                &blob[start..end]
            }
        };
        if Cid::of(bytes) != file.content {
            let blob = file
                .placement
                .map_or(BlobId::from_bytes([0; 32]), |p| p.blob);
            return Err(corrupt_file(blob, file.content, bytes));
        }
        files.push((file.path.as_str(), bytes));
    }
    let archive = write_archive(files).map_err(basalt_core::dataset::DatasetError::from)?;
    Ok((version, manifest, archive))
}

fn corrupt_file(blob: BlobId, expected: Cid, bytes: &[u8]) -> DatasetOpError {
    DatasetOpError::Corrupt {
        blob,
        expected,
        found: Cid::of(bytes),
    }
}
