//! Which leaf of a shard column is challenged in an epoch.
//!
//! The seed comes from chain randomness (on Solana a SlotHashes entry, on NEAR
//! `random_seed`); the verifier derives the challenge itself, so a prover cannot choose it.

use crate::hash::{sha256v, Hash};
use crate::layout::BlobLayout;

const CHALLENGE_DOMAIN: &[u8] = b"basalt/challenge/v1";

/// The challenged position inside one shard column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    /// Chunk index; below the blob's chunk count.
    pub chunk: u32,
    /// Leaf index inside the shard of that chunk; below its leaf count.
    pub leaf: u32,
}

/// The challenge for (`shard_index`, `epoch`) of the blob committed to by
/// `commitment_root`, from a 32-byte `seed`. `None` for an empty blob.
///
/// Every leaf of the column is equally likely: a 64-bit value taken from
/// `SHA-256(domain || seed || commitment_root || shard_index || epoch)` is mapped onto the
/// column's `n` leaves by `(x * n) >> 64`, which is off from uniform by at most `n / 2^64`
/// per leaf (below 2^-30 for the largest column a layout allows).
pub fn derive_challenge(
    seed: &[u8; 32],
    commitment_root: &Hash,
    shard_index: u16,
    epoch: u64,
    layout: &BlobLayout,
) -> Option<Challenge> {
    let leaves = layout.column_leaves();
    if leaves == 0 {
        return None;
    }
    let digest = sha256v(&[
        CHALLENGE_DOMAIN,
        seed,
        commitment_root,
        &shard_index.to_le_bytes(),
        &epoch.to_le_bytes(),
    ]);
    let mut word = [0u8; 8];
    word.copy_from_slice(&digest[..8]);
    let x = u64::from_le_bytes(word);
    let global = mul_high(x, leaves);
    // All chunks but the last have the same leaf count, so a global index splits evenly.
    let per_chunk = u64::from(layout.leaves_per_shard(0));
    Some(Challenge {
        chunk: (global / per_chunk) as u32,
        leaf: (global % per_chunk) as u32,
    })
}

/// The high 64 bits of the 128-bit product `x * n`, from 32-bit halves: upstream LLVM's BPF
/// backend cannot call the 128-bit multiply (it returns a value too wide for its calling
/// convention), and this keeps the crate buildable there.
fn mul_high(x: u64, n: u64) -> u64 {
    const LOW: u64 = 0xffff_ffff;
    let (x_hi, x_lo) = (x >> 32, x & LOW);
    let (n_hi, n_lo) = (n >> 32, n & LOW);
    let lo_lo = x_lo * n_lo;
    let hi_lo = x_hi * n_lo;
    // LLVM recognises the schoolbook product and folds it back into one 128-bit multiply;
    // on BPF an opaque partial product keeps it apart.
    #[cfg(target_arch = "bpf")]
    let hi_lo = core::hint::black_box(hi_lo);
    let lo_hi = x_lo * n_hi;
    // At most (2^32 - 1) * 2 + (2^32 - 1)^2 = 2^64 - 1: no overflow.
    let middle = (lo_lo >> 32) + (hi_lo & LOW) + lo_hi;
    x_hi * n_hi + (hi_lo >> 32) + (middle >> 32)
}

/// The `i`-th 128-bit draw from a job's selection seed (`basalt_rules::select_weighted`):
/// the first 16 bytes of SHA-256(seed || i as u64 LE), little-endian. Both chains draw
/// with it; only their seeds differ (a slot hash on Solana, a block's random seed on NEAR).
pub fn selection_draw(seed: &Hash, i: usize) -> u128 {
    let hash = sha256v(&[seed, &(i as u64).to_le_bytes()]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_in_range_and_depends_on_every_input() {
        let layout = BlobLayout::new(10_007, 1000, 3, 2).unwrap();
        let root = [1u8; 32];
        let base = derive_challenge(&[0; 32], &root, 0, 0, &layout).unwrap();
        let mut seen_other = [false; 3];
        for i in 1..200u8 {
            let c = derive_challenge(&[i; 32], &root, 0, 0, &layout).unwrap();
            assert!(c.chunk < layout.chunk_count());
            assert!(c.leaf < layout.leaves_per_shard(c.chunk));
            seen_other[0] |= c != base;
            seen_other[1] |=
                derive_challenge(&[0; 32], &root, u16::from(i), 0, &layout).unwrap() != base;
            seen_other[2] |=
                derive_challenge(&[0; 32], &root, 0, u64::from(i), &layout).unwrap() != base;
        }
        assert_eq!(seen_other, [true; 3]);
    }

    #[test]
    fn empty_blob_has_no_challenge() {
        let layout = BlobLayout::with_defaults(0).unwrap();
        assert_eq!(derive_challenge(&[0; 32], &[0; 32], 0, 0, &layout), None);
    }

    fn wide_high(x: u64, n: u64) -> u64 {
        ((u128::from(x) * u128::from(n)) >> 64) as u64
    }

    #[test]
    fn mul_high_matches_128_bit_arithmetic_at_the_edges() {
        for x in [0, 1, u64::from(u32::MAX), 1 << 32, u64::MAX - 1, u64::MAX] {
            for n in [0, 1, 3, u64::from(u32::MAX), 1 << 32, 1 << 63, u64::MAX] {
                assert_eq!(mul_high(x, n), wide_high(x, n), "x = {x}, n = {n}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn mul_high_matches_128_bit_arithmetic(x: u64, n: u64) {
            proptest::prop_assert_eq!(mul_high(x, n), wide_high(x, n));
        }
    }
}
