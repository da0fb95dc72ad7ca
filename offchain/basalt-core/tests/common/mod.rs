//! Helpers shared by the integration tests.
#![allow(dead_code)]

use basalt_core::{encode_blob, BlobManifest, DataKey, EncodeError, ShardSource};

/// Every shard of a blob, in memory, with some of them knocked out or corrupted.
pub struct MemorySource {
    /// shards[chunk][shard]
    pub shards: Vec<Vec<Option<Vec<u8>>>>,
}

impl ShardSource for MemorySource {
    fn shard(&mut self, chunk: u32, shard: u16) -> Option<Vec<u8>> {
        self.shards
            .get(chunk as usize)?
            .get(usize::from(shard))?
            .clone()
    }
}

/// Encodes `data` and keeps every shard.
pub fn encode_to_memory(
    data: &[u8],
    chunk_size: u32,
    k: u16,
    m: u16,
    key: Option<&DataKey>,
) -> Result<(BlobManifest, MemorySource), EncodeError> {
    let mut shards = Vec::new();
    let manifest = encode_blob(data, chunk_size, k, m, key, |chunk| {
        shards.push(chunk.shards().map(|s| Some(s.to_vec())).collect());
    })?;
    Ok((manifest, MemorySource { shards }))
}

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
