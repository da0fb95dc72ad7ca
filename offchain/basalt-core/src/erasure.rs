//! Reed-Solomon coding behind one small interface, over two libraries chosen per code.
//!
//! Neither library wins everywhere, so [`ErasureCodec::new`] picks one per (k, m) from
//! measurements (`cargo bench -p basalt-core --bench erasure` prints both side by side;
//! figures in `docs/benchmarks.md`; see [`Backend::preferred`]): reed-solomon-erasure (GF(2^8) matrix code, SIMD
//! kernels in C) for narrow codes such as RS(10, 4) and RS(20, 10); reed-solomon-simd
//! (Leopard-style FFT over GF(2^16)) once the code is wide, and always above 256 shards.
//!
//! Both backends write parity straight into the caller's buffer. reed-solomon-erasure does so
//! itself; reed-solomon-simd's encoder keeps parity in its own buffer, so where the code
//! allows, its transform is run on the caller's buffer instead
//! (`erasure/parity_in_place.rs`), and otherwise parity is copied out.
//!
//! reed-solomon-erasure's code is computed on Basalt's own kernels where the CPU runs them
//! (GFNI with AVX-512, or AVX2), with the library's own coefficients: several times the
//! faster library with GFNI, level with it or a little ahead on AVX2
//! (`erasure/classic_kernels.rs`).

mod classic_kernels;
mod parity_in_place;

pub use classic_kernels::ClassicKernel;
use classic_kernels::ClassicOnKernel;
use parity_in_place::ParityInPlace;
use reed_solomon_erasure::galois_8::ReedSolomon as ClassicRs;
use reed_solomon_simd::{DecoderResult, ReedSolomonDecoder, ReedSolomonEncoder};

/// Which library codes a given (k, m).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// reed-solomon-erasure 6 with `simd-accel`.
    Classic,
    /// reed-solomon-simd 3.
    Simd,
}

impl Backend {
    /// The library that codes RS(k, m), chosen from `benches/erasure.rs` (the figures, per
    /// machine, are in `docs/benchmarks.md`).
    ///
    /// reed-solomon-erasure's cost grows with k * m and the FFT's with (k + m) log(k + m);
    /// reed-solomon-erasure decodes far faster until the code is wide, so it is kept while
    /// k * m <= 512 even where reed-solomon-simd encodes faster (RS(20, 10), and RS(10, 4) on
    /// some CPUs): a blob is encoded once and decoded on every degraded read and repair.
    ///
    /// Where the CPU has GFNI, the layer computes reed-solomon-erasure's code with it
    /// ([`ErasureCodec::classic_kernel`]) and leaves both libraries behind on these codes;
    /// Basalt's AVX2 kernel, for CPUs without GFNI, is level with the faster library or ahead.
    ///
    /// # Format stability
    ///
    /// The two libraries compute different parity, so this choice is part of the stored
    /// format: shards written under one rule decode only under the same rule. It is frozen
    /// for shard header version 1; changing it needs a new header version.
    pub fn preferred(k: u16, m: u16) -> Self {
        let total = usize::from(k) + usize::from(m);
        if total <= CLASSIC_MAX_SHARDS && usize::from(k) * usize::from(m) <= CLASSIC_MAX_WORK {
            Self::Classic
        } else {
            Self::Simd
        }
    }
}

/// reed-solomon-erasure's GF(2^8) limit.
const CLASSIC_MAX_SHARDS: usize = 256;
/// Largest k * m coded with reed-solomon-erasure (RS(20, 10) = 200 is, RS(32, 32) = 1024
/// is not).
const CLASSIC_MAX_WORK: usize = 512;

/// A coding failure.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error("only {present} of the {needed} shards needed to decode are present")]
    NotEnoughShards { present: usize, needed: usize },
    #[error("shard {index} is {actual} bytes, expected {expected}")]
    ShardLength {
        index: usize,
        actual: usize,
        expected: usize,
    },
    #[error("expected {expected} shard slots, got {actual}")]
    ShardCount { expected: usize, actual: usize },
    #[error("Reed-Solomon parameters rejected: {0}")]
    Parameters(String),
    #[error("reed-solomon-erasure: {0:?}")]
    Classic(reed_solomon_erasure::Error),
    #[error("reed-solomon-simd: {0}")]
    Simd(#[from] reed_solomon_simd::Error),
}

/// An RS(k, m) coder. Keeps its library state between calls so coding a stream of chunks
/// allocates nothing per chunk.
pub struct ErasureCodec {
    k: usize,
    m: usize,
    engine: Engine,
}

enum Engine {
    // Boxed: each library's state is a kilobyte or more, built once per codec.
    Classic {
        rs: Box<ClassicRs>,
        /// The same code on a SIMD kernel of Basalt's, where the CPU runs one.
        fast: Option<Box<ClassicOnKernel>>,
    },
    Simd {
        in_place: Option<Box<ParityInPlace>>,
        encoder: Option<Box<ReedSolomonEncoder>>,
        decoder: Option<Box<ReedSolomonDecoder>>,
    },
}

impl ErasureCodec {
    /// A coder for RS(`k`, `m`) on the library [`Backend::preferred`] picks.
    ///
    /// # Errors
    ///
    /// [`ErasureError::Parameters`] when the library rejects (k, m).
    pub fn new(k: u16, m: u16) -> Result<Self, ErasureError> {
        Self::with_backend(k, m, Backend::preferred(k, m))
    }

    /// A coder for RS(`k`, `m`) on a chosen library (benchmarks, tests).
    ///
    /// # Errors
    ///
    /// [`ErasureError::Parameters`] when the library rejects (k, m).
    pub fn with_backend(k: u16, m: u16, backend: Backend) -> Result<Self, ErasureError> {
        let (k, m) = (usize::from(k), usize::from(m));
        if k == 0 || m == 0 {
            return Err(ErasureError::Parameters(format!(
                "RS({k}, {m}) needs k >= 1 and m >= 1"
            )));
        }
        let engine = match backend {
            Backend::Classic => {
                let rs =
                    ClassicRs::new(k, m).map_err(|e| ErasureError::Parameters(format!("{e:?}")))?;
                let fast =
                    ClassicOnKernel::new(&rs, k, m, ClassicKernel::best_available())?.map(Box::new);
                Engine::Classic {
                    rs: Box::new(rs),
                    fast,
                }
            }
            Backend::Simd => {
                if !ReedSolomonEncoder::supports(k, m) {
                    return Err(ErasureError::Parameters(format!(
                        "reed-solomon-simd does not support RS({k}, {m})"
                    )));
                }
                Engine::Simd {
                    in_place: None,
                    encoder: None,
                    decoder: None,
                }
            }
        };
        Ok(Self { k, m, engine })
    }

    /// The kernels that compute reed-solomon-erasure's code (`None` on reed-solomon-simd):
    /// the fastest this CPU runs unless [`ErasureCodec::on_kernel`] chose another.
    pub fn classic_kernel(&self) -> Option<ClassicKernel> {
        match &self.engine {
            Engine::Classic {
                fast: Some(fast), ..
            } => Some(fast.kernel()),
            Engine::Classic { fast: None, .. } => Some(ClassicKernel::Library),
            Engine::Simd { .. } => None,
        }
    }

    /// The same coder with reed-solomon-erasure's code on `kernel`: the bytes are the same
    /// on every kernel, only the speed differs (side-by-side measurements, and tests of the
    /// paths other CPUs take).
    ///
    /// # Errors
    ///
    /// [`ErasureError::Parameters`] if the coder is on reed-solomon-simd or this CPU does
    /// not run `kernel`.
    pub fn on_kernel(mut self, kernel: ClassicKernel) -> Result<Self, ErasureError> {
        let (k, m) = (self.k, self.m);
        let Engine::Classic { rs, fast } = &mut self.engine else {
            return Err(ErasureError::Parameters(format!(
                "RS({k}, {m}) is coded by reed-solomon-simd, which has no {kernel:?} kernel"
            )));
        };
        if !kernel.runs_here() {
            return Err(ErasureError::Parameters(format!(
                "this CPU does not run the {kernel:?} kernel"
            )));
        }
        *fast = ClassicOnKernel::new(rs, k, m, kernel)?.map(Box::new);
        Ok(self)
    }

    /// The library in use.
    pub fn backend(&self) -> Backend {
        match self.engine {
            Engine::Classic { .. } => Backend::Classic,
            Engine::Simd { .. } => Backend::Simd,
        }
    }

    /// Computes parity in place. `shards` holds `k + m` shards of `shard_len` bytes back to
    /// back: the first `k` are the data, the last `m` are overwritten with parity.
    /// `shard_len` must be even (layouts always are).
    ///
    /// # Errors
    ///
    /// [`ErasureError::ShardLength`] if `shards` is not `(k + m) * shard_len` bytes, or a
    /// library error.
    pub fn encode(&mut self, shards: &mut [u8], shard_len: usize) -> Result<(), ErasureError> {
        let expected = (self.k + self.m) * shard_len;
        if shards.len() != expected || shard_len == 0 {
            return Err(ErasureError::ShardLength {
                index: 0,
                actual: shards.len(),
                expected,
            });
        }
        let (data, parity) = shards.split_at_mut(self.k * shard_len);
        match &mut self.engine {
            Engine::Classic { rs, fast } => {
                let data: Vec<&[u8]> = data.chunks_exact(shard_len).collect();
                let mut parity: Vec<&mut [u8]> = parity.chunks_exact_mut(shard_len).collect();
                match fast {
                    Some(fast) => {
                        fast.encode(&data, &mut parity);
                        Ok(())
                    }
                    None => rs
                        .encode_sep(&data, &mut parity)
                        .map_err(ErasureError::Classic),
                }
            }
            Engine::Simd { in_place, .. } if ParityInPlace::applies(self.k, self.m, shard_len) => {
                in_place
                    .get_or_insert_with(|| Box::new(ParityInPlace::new()))
                    .encode(data, parity, self.k, self.m, shard_len);
                Ok(())
            }
            Engine::Simd { encoder, .. } => {
                let encoder = match encoder {
                    Some(enc) => {
                        enc.reset(self.k, self.m, shard_len)?;
                        enc
                    }
                    None => encoder.insert(Box::new(ReedSolomonEncoder::new(
                        self.k, self.m, shard_len,
                    )?)),
                };
                for shard in data.chunks_exact(shard_len) {
                    encoder.add_original_shard(shard)?;
                }
                let result = encoder.encode()?;
                for (dst, src) in parity
                    .chunks_exact_mut(shard_len)
                    .zip(result.recovery_iter())
                {
                    dst.copy_from_slice(src);
                }
                Ok(())
            }
        }
    }

    /// Restores every missing data shard (indices `0..k`) from any `k` present shards.
    /// Parity shards that are missing stay missing (see [`ErasureCodec::reconstruct_all`]).
    ///
    /// # Errors
    ///
    /// [`ErasureError::NotEnoughShards`] with fewer than `k` shards present,
    /// [`ErasureError::ShardLength`] if a present shard is not `shard_len` bytes.
    pub fn reconstruct_data(
        &mut self,
        shards: &mut [Option<Vec<u8>>],
        shard_len: usize,
    ) -> Result<(), ErasureError> {
        self.check_slots(shards, shard_len)?;
        if shards[..self.k].iter().all(Option::is_some) {
            return Ok(());
        }
        let (k, m) = (self.k, self.m);
        match &mut self.engine {
            Engine::Classic {
                rs,
                fast: Some(fast),
            } => {
                let mut restored = Vec::new();
                fast.restore_data(rs, shards, shard_len, |index, bytes| {
                    restored.push((index, bytes.to_vec()));
                })?;
                for (index, bytes) in restored {
                    shards[index] = Some(bytes);
                }
                Ok(())
            }
            Engine::Classic { rs, fast: None } => {
                rs.reconstruct_data(shards).map_err(ErasureError::Classic)
            }
            Engine::Simd { decoder, .. } => {
                let result = simd_decode(decoder, k, m, shards, shard_len)?;
                for (index, restored) in result.restored_original_iter() {
                    shards[index] = Some(restored.to_vec());
                }
                Ok(())
            }
        }
    }

    /// Restores every missing data shard like [`ErasureCodec::reconstruct_data`], but lends
    /// each one to `restored(index, bytes)` instead of storing it in its slot, so a caller
    /// that assembles the data elsewhere copies it once. reed-solomon-simd and Basalt's
    /// kernels lend them straight from their own buffer and leave the slots empty;
    /// reed-solomon-erasure's own kernels restore into the slots and lend them from there.
    ///
    /// # Errors
    ///
    /// As [`ErasureCodec::reconstruct_data`]; `restored` is not called on error.
    pub fn reconstruct_data_with(
        &mut self,
        shards: &mut [Option<Vec<u8>>],
        shard_len: usize,
        mut restored: impl FnMut(usize, &[u8]),
    ) -> Result<(), ErasureError> {
        self.check_slots(shards, shard_len)?;
        let (k, m) = (self.k, self.m);
        let missing: Vec<usize> = (0..k).filter(|&i| shards[i].is_none()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        match &mut self.engine {
            Engine::Classic {
                rs,
                fast: Some(fast),
            } => fast.restore_data(rs, shards, shard_len, restored)?,
            Engine::Classic { rs, fast: None } => {
                rs.reconstruct_data(shards).map_err(ErasureError::Classic)?;
                for index in missing {
                    restored(index, shards[index].as_deref().expect("restored above"));
                }
            }
            Engine::Simd { decoder, .. } => {
                let result = simd_decode(decoder, k, m, shards, shard_len)?;
                for (index, bytes) in result.restored_original_iter() {
                    restored(index, bytes);
                }
            }
        }
        Ok(())
    }

    /// Restores every missing shard, data and parity (what repair needs).
    ///
    /// # Errors
    ///
    /// As [`ErasureCodec::reconstruct_data`].
    pub fn reconstruct_all(
        &mut self,
        shards: &mut [Option<Vec<u8>>],
        shard_len: usize,
    ) -> Result<(), ErasureError> {
        self.reconstruct_data(shards, shard_len)?;
        if shards[self.k..].iter().all(Option::is_some) {
            return Ok(());
        }
        let mut buf = vec![0u8; (self.k + self.m) * shard_len];
        for (dst, src) in buf.chunks_exact_mut(shard_len).zip(&shards[..self.k]) {
            dst.copy_from_slice(src.as_deref().expect("data shards were just restored"));
        }
        self.encode(&mut buf, shard_len)?;
        for (index, slot) in shards.iter_mut().enumerate().skip(self.k) {
            if slot.is_none() {
                *slot = Some(buf[index * shard_len..(index + 1) * shard_len].to_vec());
            }
        }
        Ok(())
    }

    fn check_slots(
        &self,
        shards: &[Option<Vec<u8>>],
        shard_len: usize,
    ) -> Result<(), ErasureError> {
        let total = self.k + self.m;
        if shards.len() != total {
            return Err(ErasureError::ShardCount {
                expected: total,
                actual: shards.len(),
            });
        }
        let mut present = 0;
        for (index, shard) in shards.iter().enumerate() {
            if let Some(s) = shard {
                if s.len() != shard_len {
                    return Err(ErasureError::ShardLength {
                        index,
                        actual: s.len(),
                        expected: shard_len,
                    });
                }
                present += 1;
            }
        }
        if present < self.k {
            return Err(ErasureError::NotEnoughShards {
                present,
                needed: self.k,
            });
        }
        Ok(())
    }
}

/// Feeds the present shards to reed-solomon-simd's decoder (made on first use, reset after)
/// and decodes; the result lends the restored data shards from the decoder's buffer.
fn simd_decode<'a>(
    decoder: &'a mut Option<Box<ReedSolomonDecoder>>,
    k: usize,
    m: usize,
    shards: &[Option<Vec<u8>>],
    shard_len: usize,
) -> Result<DecoderResult<'a>, ErasureError> {
    let decoder = match decoder {
        Some(dec) => {
            dec.reset(k, m, shard_len)?;
            dec
        }
        None => decoder.insert(Box::new(ReedSolomonDecoder::new(k, m, shard_len)?)),
    };
    for (index, shard) in shards.iter().enumerate() {
        match shard {
            Some(s) if index < k => decoder.add_original_shard(index, s)?,
            Some(s) => decoder.add_recovery_shard(index - k, s)?,
            None => {}
        }
    }
    Ok(decoder.decode()?)
}
