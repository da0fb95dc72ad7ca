//! reed-solomon-simd's high-rate encoder run on the caller's buffer, through the library's
//! public engine API, so parity is computed where the caller wants it.
//!
//! `ReedSolomonEncoder` copies the data shards into a work buffer of its own, transforms them
//! there and leaves the parity in that buffer, from where the layer had to copy every parity
//! shard out again. At RS(32, 32) that copy-out is 4 MiB per 4 MiB chunk (32 shards of
//! 128 KiB), and it held the layer below the bare library (`benches/erasure.rs`); computed in
//! place, the layer runs ahead of it (`docs/benchmarks.md`).
//!
//! When m is a power of two, the first chunk of the library's transform is exactly m shards,
//! the size of the parity region, so the transform runs there: the data is copied in once, as
//! the library does, and nothing is copied out. The steps are those of reed-solomon-simd
//! 3.1's `HighRateEncoder::encode` (reed-solomon-simd: `src/rate/rate_high.rs`). The one difference is where the
//! later chunks are transformed: in a scratch buffer, where the library uses its own buffer
//! past the first chunk. A transform depends on its chunk's position only through its skew
//! argument, which is passed unchanged. `tests/roundtrip.rs` checks the parity byte for byte
//! against `ReedSolomonEncoder`'s.

use reed_solomon_simd::engine::{utils, DefaultEngine, Engine, ShardsRefMut};
use reed_solomon_simd::rate::{HighRate, Rate};

/// Scratch space and the library's engine (its SIMD kernels and tables), kept between calls.
pub(super) struct ParityInPlace {
    engine: DefaultEngine,
    scratch: Vec<[u8; 64]>,
}

impl ParityInPlace {
    pub(super) fn new() -> Self {
        Self {
            engine: DefaultEngine::new(),
            scratch: Vec::new(),
        }
    }

    /// Whether RS(`k`, `m`) with `shard_len`-byte shards can be coded in place with parity
    /// identical to `ReedSolomonEncoder`'s. It can when:
    /// - m is a power of two, so the transform's first chunk (m rounded up to a power of
    ///   two) is the parity region exactly;
    /// - the library itself would use its high-rate algorithm: it does when k rounded up to a
    ///   power of two exceeds m, or equals it with k <= m (`use_high_rate`, in
    ///   reed-solomon-simd: `src/rate/rate_default.rs`), which for a power-of-two m is k > m / 2;
    /// - shards are whole 64-byte blocks, which the library stores verbatim (a partial last
    ///   block is rearranged into its own layout). Layouts always give such shards: their
    ///   length is a whole number of leaves of at least 64 bytes.
    pub(super) fn applies(k: usize, m: usize, shard_len: usize) -> bool {
        m.is_power_of_two()
            && k > m / 2
            && shard_len > 0
            && shard_len.is_multiple_of(64)
            && HighRate::<DefaultEngine>::supports(k, m)
    }

    /// Writes the parity of `data` (`k` shards of `shard_len` bytes, back to back) into
    /// `parity` (`m` such shards).
    ///
    /// # Panics
    ///
    /// Unless [`Self::applies`] holds and the slices have those lengths (the caller checks).
    pub(super) fn encode(
        &mut self,
        data: &[u8],
        parity: &mut [u8],
        k: usize,
        m: usize,
        shard_len: usize,
    ) {
        assert!(Self::applies(k, m, shard_len));
        assert_eq!(data.len(), k * shard_len);
        assert_eq!(parity.len(), m * shard_len);
        let blocks = shard_len / 64;
        let chunk = m;

        // First chunk: data shards 0..chunk, transformed in the parity region.
        let first = k.min(chunk);
        parity[..first * shard_len].copy_from_slice(&data[..first * shard_len]);
        let (parity, _) = parity.as_chunks_mut::<64>();
        let mut work = ShardsRefMut::new(chunk, blocks, parity);
        work.zero(first..chunk);
        self.engine.ifft(&mut work, 0, chunk, first, chunk);

        // Each later chunk: transformed in scratch at its own skew, then added into the first.
        let mut start = chunk;
        while start < k {
            let count = (k - start).min(chunk);
            self.scratch.resize(chunk * blocks, [0; 64]);
            self.scratch.as_flattened_mut()[..count * shard_len]
                .copy_from_slice(&data[start * shard_len..(start + count) * shard_len]);
            let mut later = ShardsRefMut::new(chunk, blocks, &mut self.scratch);
            later.zero(count..chunk);
            self.engine.ifft(&mut later, 0, chunk, count, start + chunk);
            utils::xor(parity, &self.scratch);
            start += chunk;
        }

        let mut work = ShardsRefMut::new(chunk, blocks, parity);
        self.engine.fft(&mut work, 0, chunk, m, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the library would use its low-rate algorithm, or m is no power of two, or a
    /// shard ends in a partial block, the rule says no and the layer copies parity out.
    /// (`tests/roundtrip.rs` checks the parity of codes it admits against the library's.)
    #[test]
    fn the_rule_refuses_what_it_cannot_reproduce() {
        for (k, m, shard_len) in [
            (10, 4, 62),
            (2, 4, 64),
            (1, 2, 64),
            (16, 64, 64),
            (20, 10, 64),
            (10, 3, 64),
            (4, 4, 0),
        ] {
            assert!(
                !ParityInPlace::applies(k, m, shard_len),
                "RS({k}, {m}) with {shard_len}-byte shards"
            );
        }
        for (k, m) in [(1, 1), (3, 4), (32, 32), (40, 32), (255, 1)] {
            assert!(ParityInPlace::applies(k, m, 128), "RS({k}, {m})");
        }
    }
}
