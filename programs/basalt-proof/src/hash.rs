//! Domain-separated SHA-256 hashes for Merkle trees.
//!
//! Leaves hash as `SHA-256(0x00 || leaf)` and inner nodes as `SHA-256(0x01 || left || right)`.
//! The prefixes stop a 64-byte leaf from being passed off as an inner node (a 64-byte leaf and
//! the 64-byte concatenation of two child hashes would otherwise hash identically).

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The value of a subtree that covers no real leaf (padding to a power of two), at any level.
/// Nobody knows a preimage of it, so no real leaf or node can be passed off as padding.
pub const EMPTY_SUBTREE: Hash = [0u8; 32];

/// The byte a leaf's hash input starts with.
pub const LEAF_PREFIX: &[u8] = &[0x00];
/// The byte an inner node's hash input starts with.
pub const NODE_PREFIX: &[u8] = &[0x01];

/// SHA-256 of the concatenation of `parts`.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
#[inline]
pub fn sha256v(parts: &[&[u8]]) -> Hash {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// SHA-256 of the concatenation of `parts`, through the `sol_sha256` syscall.
#[cfg(target_os = "solana")]
#[inline]
pub fn sha256v(parts: &[&[u8]]) -> Hash {
    solana_sha256_hasher::hashv(parts).to_bytes()
}

/// SHA-256 of the concatenation of `parts`, through the `sol_sha256` syscall, when built by
/// upstream LLVM's BPF backend (`bpfel-unknown-none`, whose `target_os` is `none`) to
/// measure this crate's compute units (`programs/basalt-proof-sbf`).
#[cfg(all(target_arch = "bpf", not(target_os = "solana")))]
#[inline]
#[allow(unsafe_code)]
pub fn sha256v(parts: &[&[u8]]) -> Hash {
    let mut digest = [0u8; 32];
    // SAFETY: the syscall reads `parts.len()` (pointer, length) pairs, which is the layout of
    // `&[u8]` on a 64-bit target, and writes exactly 32 bytes to `digest`.
    unsafe {
        solana_define_syscall::definitions::sol_sha256(
            parts.as_ptr().cast::<u8>(),
            parts.len() as u64,
            digest.as_mut_ptr(),
        );
    }
    digest
}

/// Hash of one Merkle leaf (a `leaf_size` slice of a shard).
#[inline]
pub fn hash_leaf(leaf: &[u8]) -> Hash {
    sha256v(&[LEAF_PREFIX, leaf])
}

/// Hash of an inner Merkle node from its two children.
#[inline]
pub fn hash_node(left: &Hash, right: &Hash) -> Hash {
    sha256v(&[NODE_PREFIX, left, right])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let left = [7u8; 32];
        let right = [9u8; 32];
        let mut concat = [0u8; 64];
        concat[..32].copy_from_slice(&left);
        concat[32..].copy_from_slice(&right);
        assert_ne!(hash_leaf(&concat), hash_node(&left, &right));
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        // FIPS 180-2 example: SHA-256("abc").
        let digest = sha256v(&[b"a", b"bc"]);
        assert_eq!(
            digest[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "sha256(abc) starts with ba7816bf"
        );
    }
}
