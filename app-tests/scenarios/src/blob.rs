//! A blob encoded for real (Reed-Solomon, Merkle commitment) with every shard kept, so a
//! driver can answer any challenge exactly as a storage node would.

use anyhow::{anyhow, Result};
use basalt_core::encoder::{encode_blob, BlobManifest};
use basalt_proof::derive_challenge;

pub const K: u16 = 4;
pub const M: u16 = 2;

pub struct TestBlob {
    pub manifest: BlobManifest,
    /// `shards[chunk][index]`.
    pub shards: Vec<Vec<Vec<u8>>>,
}

/// A storage proof: the leaf and its path to the column root.
pub struct Proof {
    pub leaf: Vec<u8>,
    pub path: Vec<[u8; 32]>,
}

impl TestBlob {
    /// `len` pseudo-random bytes (periodic data would give identical shards), 16 KiB
    /// chunks, RS(4, 2).
    ///
    /// # Errors
    ///
    /// When encoding fails.
    pub fn new(len: usize, salt: u8) -> Result<Self> {
        let mut data = vec![0u8; len];
        blake3::Hasher::new()
            .update(&[salt])
            .finalize_xof()
            .fill(&mut data);
        let mut shards = Vec::new();
        let manifest = encode_blob(&data, 16 << 10, K, M, None, |chunk| {
            shards.push(chunk.shards().map(<[u8]>::to_vec).collect());
        })?;
        Ok(Self { manifest, shards })
    }

    pub fn cid_digest(&self) -> [u8; 32] {
        *self.manifest.cid.digest()
    }

    pub fn column_roots(&self) -> &[[u8; 32]] {
        self.manifest.commitment.column_roots()
    }

    /// The proof of shard `index` in `epoch` under `seed`, from the data of `data_of`.
    ///
    /// # Errors
    ///
    /// For an empty blob or an out-of-range index.
    pub fn proof(&self, seed: &[u8; 32], index: u16, epoch: u64, data_of: u16) -> Result<Proof> {
        let commitment = &self.manifest.commitment;
        let challenge = derive_challenge(
            seed,
            &commitment.commitment_root(),
            index,
            epoch,
            commitment.layout(),
        )
        .ok_or_else(|| anyhow!("an empty blob has no challenge"))?;
        let shard = self
            .shards
            .get(challenge.chunk as usize)
            .and_then(|c| c.get(usize::from(data_of)))
            .ok_or_else(|| anyhow!("no shard {data_of} of chunk {}", challenge.chunk))?;
        let proof = commitment
            .storage_proof(shard, challenge.chunk, data_of, challenge.leaf)
            .ok_or_else(|| anyhow!("no proof for leaf {}", challenge.leaf))?;
        Ok(Proof {
            leaf: proof.leaf,
            path: proof.path,
        })
    }
}
