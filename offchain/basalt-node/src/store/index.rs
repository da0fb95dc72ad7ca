//! The blob index: which blobs this node holds and which shards of one.

use super::*;

impl ShardStore {
    /// Every stored shard key of `blob`, in (chunk, shard) order.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn shards_of(&self, blob: &BlobId) -> Result<Vec<ShardKey>, StoreError> {
        let prefix = blob.as_bytes();
        let mut out = Vec::new();
        let mode = IteratorMode::From(prefix, Direction::Forward);
        for item in self.db.iterator_cf(self.cf(CF_META), mode) {
            let (k, _) = item?;
            if !k.starts_with(prefix) {
                break;
            }
            out.extend(ShardKey::decode(&k));
        }
        Ok(out)
    }

    /// Every blob this node holds shards of.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn blobs(&self) -> Result<Vec<BlobEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_BLOBS), IteratorMode::Start) {
            let (k, v) = item?;
            let (Ok(digest), Some(uploader), Some(at)) = (
                <[u8; 32]>::try_from(&k[..]),
                v.get(..32).and_then(|s| <[u8; 32]>::try_from(s).ok()),
                v.get(32..40).and_then(|s| <[u8; 8]>::try_from(s).ok()),
            ) else {
                continue;
            };
            out.push(BlobEntry {
                blob: BlobId::from_bytes(digest),
                uploader,
                first_seen_ms: u64::from_le_bytes(at),
            });
        }
        Ok(out)
    }
}
