//! A dataset's and a version's name on NEAR, where records have no addresses.
//!
//! Solana names a dataset by the program address of ("dataset", owner, name) and a version
//! by that of ("version", dataset, tag); NEAR by these hashes of the same inputs, the keys
//! its contract stores them under. Either way the name is 32 bytes, base58 in text, and
//! the owner's name and the tag are part of it, so one owner's "imagenet" is not another's
//! and a tag names one version of one dataset.

use crate::hash::{sha256v, Hash};

/// Domain separation: no other Basalt hash input starts with these bytes.
pub const DATASET_ID_PREFIX: &[u8] = b"basalt/dataset-id/v1";
pub const VERSION_ID_PREFIX: &[u8] = b"basalt/version-key/v1";

/// The id of the dataset `owner` (a NEAR account id's bytes, at most 64) names `name`:
/// SHA-256(prefix ‖ len(owner) ‖ owner ‖ name). The length byte keeps `("ab", "c")` apart
/// from `("a", "bc")`.
pub fn dataset_id(owner: &[u8], name: &str) -> Hash {
    let len = [owner.len().min(usize::from(u8::MAX)) as u8];
    sha256v(&[DATASET_ID_PREFIX, &len, owner, name.as_bytes()])
}

/// The key of the version of `dataset` tagged `tag`: SHA-256(prefix ‖ dataset ‖ tag).
pub fn version_key(dataset: &Hash, tag: &str) -> Hash {
    sha256v(&[VERSION_ID_PREFIX, dataset, tag.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_per_owner_and_tags_per_dataset() {
        let a = dataset_id(b"alice.near", "imagenet");
        assert_eq!(a, dataset_id(b"alice.near", "imagenet"));
        assert_ne!(a, dataset_id(b"bob.near", "imagenet"));
        assert_ne!(dataset_id(b"ab", "c"), dataset_id(b"a", "bc"));
        let b = dataset_id(b"bob.near", "imagenet");
        assert_ne!(version_key(&a, "v1"), version_key(&b, "v1"));
        assert_ne!(version_key(&a, "v1"), version_key(&a, "v2"));
    }
}
