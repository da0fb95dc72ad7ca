//! A blob's name on NEAR: its content bound to its owner.
//!
//! A content digest alone is predictable (anyone can hash a public file, and a registration
//! is visible before it lands), so naming a blob by it would let whoever registers a digest
//! first block everyone else from storing that content. Both chains therefore name a blob by
//! its owner and its content together: Solana by the program address of the seeds
//! ("blob", owner, cid_digest), NEAR by `blob_id(owner, cid_digest)`, the key its contract
//! stores the blob under. Two owners storing the same bytes get two blobs, and only the
//! owner's own signature can create the blob its id names.

use crate::hash::{sha256v, Hash};

/// Domain separation: no other Basalt hash input starts with these bytes.
pub const BLOB_ID_PREFIX: &[u8] = b"basalt/blob-id/v1";

/// The id of the blob that `owner` registers for content `cid_digest` (the BLAKE3 digest of
/// its stored bytes): SHA-256(prefix ‖ len(owner) as one byte ‖ owner ‖ cid_digest).
/// `owner` is the NEAR account id's bytes (at most 64); the length byte keeps owners of
/// different lengths from colliding.
pub fn blob_id(owner: &[u8], cid_digest: &Hash) -> Hash {
    // NEAR account ids are at most 64 bytes, so the length fits one byte.
    let len = [owner.len().min(usize::from(u8::MAX)) as u8];
    sha256v(&[BLOB_ID_PREFIX, &len, owner, cid_digest])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_has_one_id_per_owner() {
        let cid = [7u8; 32];
        let alice = [1u8; 32];
        let bob = [2u8; 32];
        assert_eq!(blob_id(&alice, &cid), blob_id(&alice, &cid));
        assert_ne!(blob_id(&alice, &cid), blob_id(&bob, &cid));
        assert_ne!(blob_id(&alice, &cid), blob_id(&alice, &[8u8; 32]));
        // "ab" owning a digest starting with "c…" is not "a" owning "bc…".
        let mut shifted = [0u8; 32];
        shifted[0] = b'b';
        assert_ne!(blob_id(b"ab", &[b'c'; 32]), blob_id(b"a", &shifted));
    }

    #[test]
    fn the_id_is_the_documented_hash() {
        use sha2::{Digest, Sha256};
        let owner = b"alice.near";
        let cid = [9u8; 32];
        let mut h = Sha256::new();
        h.update(b"basalt/blob-id/v1");
        h.update([owner.len() as u8]);
        h.update(owner);
        h.update(cid);
        let expected: Hash = h.finalize().into();
        assert_eq!(blob_id(owner, &cid), expected);
    }
}
