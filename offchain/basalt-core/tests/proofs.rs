//! Storage and inclusion proofs built off chain verify with the shared on-chain crate, and
//! anything altered is rejected.

use crate::common;

use basalt_core::proof::{
    derive_challenge, proof::verify_column_root, tx_budget::proof_tx_size, verify_storage_proof,
    ProofError,
};
use basalt_core::{BlobManifest, StorageProof};
use common::{bytes, encode_to_memory, MemorySource};
use proptest::prelude::*;

fn blob(size: usize, seed: u64) -> (BlobManifest, MemorySource) {
    encode_to_memory(&bytes(size, seed), 4096, 3, 2, None).unwrap()
}

fn prove(
    manifest: &BlobManifest,
    source: &MemorySource,
    chunk: u32,
    shard: u16,
    leaf: u32,
) -> StorageProof {
    let data = source.shards[chunk as usize][usize::from(shard)]
        .as_ref()
        .unwrap();
    manifest
        .commitment
        .storage_proof(data, chunk, shard, leaf)
        .unwrap()
}

fn check(manifest: &BlobManifest, shard: u16, p: &StorageProof) -> Result<(), ProofError> {
    let root = manifest.commitment.column_roots()[usize::from(shard)];
    verify_storage_proof(
        manifest.layout(),
        &root,
        p.chunk,
        p.leaf_index,
        &p.leaf,
        &p.path,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every challenged leaf has a proof that verifies, fits in one transaction, and fails
    /// as soon as its leaf, path, index or root is altered.
    #[test]
    fn proofs_verify_and_any_alteration_is_rejected(
        size in 1usize..40_000,
        seed in any::<[u8; 32]>(),
        shard in 0u16..5,
        epoch in any::<u64>(),
        tweak in any::<u32>(),
    ) {
        let (manifest, source) = blob(size, u64::from(tweak));
        let layout = *manifest.layout();
        let root = manifest.commitment.commitment_root();
        let challenge = derive_challenge(&seed, &root, shard, epoch, &layout).unwrap();
        let proof = prove(&manifest, &source, challenge.chunk, shard, challenge.leaf);
        prop_assert_eq!(check(&manifest, shard, &proof), Ok(()));
        prop_assert!(proof_tx_size(layout.leaf_size(), proof.path.len() as u32) <= 1232);

        // Column root to commitment root.
        let column_root = manifest.commitment.column_roots()[usize::from(shard)];
        let column_path = manifest.commitment.column_path(shard).unwrap();
        prop_assert_eq!(verify_column_root(&layout, &root, shard, &column_root, &column_path), Ok(()));
        let other = (shard + 1) % 5;
        prop_assert_eq!(
            verify_column_root(&layout, &root, other, &column_root, &column_path),
            Err(ProofError::RootMismatch)
        );

        // Wrong leaf: any single bit.
        let mut bad = proof.clone();
        let bit = tweak as usize % (bad.leaf.len() * 8);
        bad.leaf[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(check(&manifest, shard, &bad), Err(ProofError::RootMismatch));

        // Wrong path: any sibling altered, or one dropped.
        if !proof.path.is_empty() {
            let mut bad = proof.clone();
            let i = tweak as usize % bad.path.len();
            bad.path[i][0] ^= 1;
            prop_assert_eq!(check(&manifest, shard, &bad), Err(ProofError::RootMismatch));
            let mut short = proof.clone();
            short.path.pop();
            let short_result = check(&manifest, shard, &short);
            prop_assert!(matches!(short_result, Err(ProofError::PathLength { .. })), "{:?}", short_result);
        }

        // Wrong root: the proof for shard j against another column. (Columns made only of
        // padding are identical in tiny blobs; there the proof is rightly the same.)
        let columns = manifest.commitment.column_roots();
        if columns[usize::from(other)] != columns[usize::from(shard)] {
            prop_assert!(check(&manifest, other, &proof).is_err());
        }

        // Wrong index: the same leaf and path claimed at another leaf or chunk. Rejected
        // unless the leaf really is there too (padding makes equal leaves common in tiny
        // blobs, and then the claim is true).
        let leaf_at = |chunk: u32, index: u32| {
            let size = layout.leaf_size() as usize;
            let bytes = source.shards[chunk as usize][usize::from(shard)].as_deref().unwrap();
            bytes.get(index as usize * size..(index as usize + 1) * size)
        };
        let leaves = layout.leaves_per_shard(proof.chunk);
        if leaves > 1 {
            let mut bad = proof.clone();
            bad.leaf_index = (bad.leaf_index + 1) % leaves;
            if leaf_at(bad.chunk, bad.leaf_index) != Some(&proof.leaf[..]) {
                prop_assert!(check(&manifest, shard, &bad).is_err());
            }
        }
        if layout.chunk_count() > 1 {
            let mut bad = proof.clone();
            bad.chunk = (bad.chunk + 1) % layout.chunk_count();
            if leaf_at(bad.chunk, bad.leaf_index) != Some(&proof.leaf[..]) {
                prop_assert!(check(&manifest, shard, &bad).is_err());
            }
        }
    }
}

#[test]
fn out_of_range_positions_are_named() {
    let (manifest, source) = blob(10_000, 1);
    let proof = prove(&manifest, &source, 0, 0, 0);
    let layout = manifest.layout();
    let root = manifest.commitment.column_roots()[0];
    let chunks = layout.chunk_count();
    assert_eq!(
        verify_storage_proof(layout, &root, chunks, 0, &proof.leaf, &proof.path),
        Err(ProofError::ChunkOutOfRange {
            chunk: chunks,
            chunk_count: chunks
        })
    );
    let leaves = layout.leaves_per_shard(0);
    assert_eq!(
        verify_storage_proof(layout, &root, 0, leaves, &proof.leaf, &proof.path),
        Err(ProofError::LeafOutOfRange {
            leaf: leaves,
            leaves
        })
    );
    assert!(matches!(
        verify_storage_proof(layout, &root, 0, 0, &proof.leaf[1..], &proof.path),
        Err(ProofError::LeafLength { .. })
    ));
}

#[test]
fn a_shard_that_is_not_the_committed_one_gets_no_proof() {
    let (manifest, source) = blob(10_000, 2);
    let mut forged = source.shards[0][1].clone().unwrap();
    forged[0] ^= 1;
    assert!(manifest
        .commitment
        .storage_proof(&forged, 0, 1, 0)
        .is_none());
}
