//! reed-solomon-erasure's code computed with Basalt's own SIMD kernels, where the CPU runs
//! them: GF2P8AFFINEQB (GFNI with AVX-512), or 4-bit table lookups on AVX2.
//!
//! reed-solomon-erasure multiplies one shard by one constant at a time (`mul_slice_xor` in
//! its C kernels, which stop at AVX2), so each of the k * m products reads and writes a whole
//! parity shard in memory. The kernels here keep up to [`ROWS_PER_PASS`] output rows in
//! registers and read each input block once for all of them. With GFNI, one instruction
//! multiplies 64 bytes by a constant of any GF(2^8) field: multiplying by c is linear over
//! GF(2), an 8x8 bit matrix, which GF2P8AFFINEQB applies to every byte. Neither library uses
//! it (reed-solomon-simd works in GF(2^16)). `benches/erasure.rs` compares them with both
//! libraries; the figures are in `docs/benchmarks.md`.
//!
//! The library stays the authority on the code: the coefficients these kernels multiply by
//! are read off the library itself, by coding one-byte unit shards with it (column j of the
//! parity matrix is the parity of data shard j = 1 and the others 0; decoding works the same
//! way), so the bytes are the library's by construction and no matrix inversion is written
//! here. `tests/roundtrip.rs` compares them byte for byte on every kernel this CPU runs.
//!
//! This is the one module of the crate with `unsafe`: the intrinsics' loads and stores take
//! raw pointers, and a kernel may only run on a CPU that has its instructions.
#![allow(unsafe_code)]

use super::ErasureError;
use reed_solomon_erasure::galois_8::{mul as gf_mul, ReedSolomon as ClassicRs};

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::{
    __m256i, __m512i, _mm256_and_si256, _mm256_load_si256, _mm256_loadu_si256, _mm256_set1_epi8,
    _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_storeu_si256,
    _mm256_xor_si256, _mm512_gf2p8affine_epi64_epi8, _mm512_loadu_si512, _mm512_set1_epi64,
    _mm512_setzero_si512, _mm512_storeu_si512, _mm512_xor_si512,
};

/// Output rows computed per pass over the inputs. Each needs one accumulator register; eight
/// measured best on AVX2, against six and four (`docs/benchmarks.md`).
const ROWS_PER_PASS: usize = 8;

/// Bytes the kernels handle per step; a shorter tail is padded to one block.
const BLOCK: usize = 64;

/// Which kernels compute reed-solomon-erasure's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassicKernel {
    /// The library's own.
    Library,
    /// 4-bit table lookups (`vpshufb`) on AVX2, rows accumulated in registers.
    Avx2,
    /// GF2P8AFFINEQB on AVX-512 (F and BW) with GFNI.
    Gfni,
}

impl ClassicKernel {
    /// The fastest kernel this CPU runs.
    pub fn best_available() -> Self {
        [Self::Gfni, Self::Avx2]
            .into_iter()
            .find(|kernel| kernel.runs_here())
            .unwrap_or(Self::Library)
    }

    /// Whether this CPU has the kernel's instructions.
    pub fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Self::Library => true,
                Self::Avx2 => std::is_x86_feature_detected!("avx2"),
                Self::Gfni => {
                    std::is_x86_feature_detected!("avx512f")
                        && std::is_x86_feature_detected!("avx512bw")
                        && std::is_x86_feature_detected!("gfni")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Self::Library
        }
    }
}

/// A SIMD kernel this CPU was checked to run; only [`SimdKernel::new`] makes one.
#[derive(Clone, Copy)]
struct SimdKernel(ClassicKernel);

impl SimdKernel {
    fn new(kernel: ClassicKernel) -> Option<Self> {
        (kernel != ClassicKernel::Library && kernel.runs_here()).then_some(Self(kernel))
    }
}

/// `vpshufb` tables of x -> c * x for the low and the high 4 bits of x, each repeated in both
/// 128-bit lanes (the instruction looks up within a lane).
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct NibbleTables {
    low: [u8; 32],
    high: [u8; 32],
}

impl NibbleTables {
    fn of(c: u8) -> Self {
        let mut tables = Self {
            low: [0; 32],
            high: [0; 32],
        };
        for n in 0..16u8 {
            let i = usize::from(n);
            tables.low[i] = gf_mul(c, n);
            tables.low[i + 16] = tables.low[i];
            tables.high[i] = gf_mul(c, n << 4);
            tables.high[i + 16] = tables.high[i];
        }
        tables
    }
}

/// The GF2P8AFFINEQB matrix of x -> c * x in reed-solomon-erasure's field. Bit i of the
/// result is the parity of (row i AND x), and row i sits in byte 7 - i of the matrix; row i
/// holds bit i of c * 2^j at bit j, since x = sum of x_j * 2^j.
fn affine_of(c: u8) -> u64 {
    (0..8).fold(0u64, |matrix, i| {
        let row = (0..8).fold(0u8, |row, j| row | (((gf_mul(c, 1 << j) >> i) & 1) << j));
        matrix | (u64::from(row) << (8 * (7 - i)))
    })
}

/// Calls `$kernel::<rows>` with a constant row count from 1 to [`ROWS_PER_PASS`], so its
/// accumulators are a fixed-size array the compiler keeps in registers.
macro_rules! dispatch_rows {
    ($rows:expr, $kernel:ident, $($arg:expr),*) => {
        match $rows {
            1 => $kernel::<1>($($arg),*),
            2 => $kernel::<2>($($arg),*),
            3 => $kernel::<3>($($arg),*),
            4 => $kernel::<4>($($arg),*),
            5 => $kernel::<5>($($arg),*),
            6 => $kernel::<6>($($arg),*),
            7 => $kernel::<7>($($arg),*),
            _ => $kernel::<8>($($arg),*),
        }
    };
}

/// A GF(2^8) matrix in the form its kernel multiplies by, one entry per coefficient,
/// row-major.
enum Coefficients {
    Affine(Vec<u64>),
    Nibbles(Vec<NibbleTables>),
}

/// Only made from a [`SimdKernel`], so its kernel was checked to run on this CPU.
struct GfMatrix {
    cols: usize,
    // INV: holds rows * cols entries, in the form of the kernel `GfMatrix::new` was given;
    // entry (r, c) is coefficient (r, c).
    coefficients: Coefficients,
}

impl GfMatrix {
    fn new(kernel: SimdKernel, cols: usize, coefficients: &[u8]) -> Self {
        let coefficients = match kernel.0 {
            ClassicKernel::Gfni => {
                Coefficients::Affine(coefficients.iter().map(|&c| affine_of(c)).collect())
            }
            _ => Coefficients::Nibbles(coefficients.iter().map(|&c| NibbleTables::of(c)).collect()),
        };
        Self { cols, coefficients }
    }

    fn rows(&self) -> usize {
        match &self.coefficients {
            Coefficients::Affine(entries) => entries.len() / self.cols,
            Coefficients::Nibbles(entries) => entries.len() / self.cols,
        }
    }

    /// `outputs[r] = sum over c of coefficient (r, c) * inputs[c]`, byte by byte.
    ///
    /// # Panics
    ///
    /// If the slice counts do not match the matrix or the lengths differ: callers check
    /// shard lengths first, so this is a bug, not bad input.
    fn apply(&self, inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
        assert_eq!(inputs.len(), self.cols, "one input per column");
        assert_eq!(outputs.len(), self.rows(), "one output per row");
        let len = inputs.first().map_or(0, |s| s.len());
        assert!(
            inputs.iter().all(|s| s.len() == len) && outputs.iter().all(|s| s.len() == len),
            "inputs and outputs must have one length"
        );
        let whole = len - len % BLOCK;
        let ins: Vec<*const u8> = inputs.iter().map(|s| s.as_ptr()).collect();
        let outs: Vec<*mut u8> = outputs.iter_mut().map(|s| s.as_mut_ptr()).collect();
        self.apply_blocks(&ins, &outs, whole);
        if whole < len {
            // The partial last block, padded: zeros in, and the padding's products dropped.
            let padded_in: Vec<[u8; BLOCK]> = inputs
                .iter()
                .map(|s| {
                    let mut block = [0u8; BLOCK];
                    block[..len - whole].copy_from_slice(&s[whole..]);
                    block
                })
                .collect();
            let mut padded_out = vec![[0u8; BLOCK]; outputs.len()];
            let ins: Vec<*const u8> = padded_in.iter().map(|b| b.as_ptr()).collect();
            let outs: Vec<*mut u8> = padded_out.iter_mut().map(|b| b.as_mut_ptr()).collect();
            self.apply_blocks(&ins, &outs, BLOCK);
            for (output, block) in outputs.iter_mut().zip(&padded_out) {
                output[whole..].copy_from_slice(&block[..len - whole]);
            }
        }
    }

    /// Runs the kernel on `len` bytes (a multiple of [`BLOCK`]) of every input and output,
    /// [`ROWS_PER_PASS`] rows at a time.
    fn apply_blocks(&self, ins: &[*const u8], outs: &[*mut u8], len: usize) {
        debug_assert_eq!(len % BLOCK, 0);
        let cols = self.cols;
        for first in (0..self.rows()).step_by(ROWS_PER_PASS) {
            let rows = (self.rows() - first).min(ROWS_PER_PASS);
            let entries = first * cols..(first + rows) * cols;
            let outs = &outs[first..first + rows];
            // SAFETY: the kernel was checked to run on this CPU (`GfMatrix::new`); the
            // caller's pointers are valid for `len` bytes, and outputs come from distinct
            // `&mut` slices, so none overlaps another output or an input; `entries` holds
            // `rows * cols` coefficients (the INV on `coefficients`).
            unsafe {
                match &self.coefficients {
                    Coefficients::Affine(all) => {
                        dispatch_rows!(rows, gfni_rows, &all[entries], ins, outs, len)
                    }
                    Coefficients::Nibbles(all) => {
                        dispatch_rows!(rows, avx2_rows, &all[entries], ins, outs, len)
                    }
                }
            }
        }
    }
}

/// `outs[r] = sum over c of affine[r * cols + c] (ins[c])` for R rows, 64 bytes at a time,
/// each input block loaded once for all R rows.
///
/// # Safety
///
/// The CPU must have AVX-512 F/BW and GFNI; `ins` and `outs` must be valid for `len` bytes
/// (a multiple of 64), outputs must not overlap each other or the inputs, and
/// `affine.len() == R * ins.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,gfni")]
unsafe fn gfni_rows<const R: usize>(
    affine: &[u64],
    ins: &[*const u8],
    outs: &[*mut u8],
    len: usize,
) {
    let cols = ins.len();
    for offset in (0..len).step_by(64) {
        let mut acc: [__m512i; R] = [_mm512_setzero_si512(); R];
        for (c, &input) in ins.iter().enumerate() {
            // SAFETY: offset + 64 <= len.
            let x = unsafe { _mm512_loadu_si512(input.add(offset).cast()) };
            for (r, sum) in acc.iter_mut().enumerate() {
                // SAFETY: r * cols + c < R * cols == affine.len().
                let matrix = unsafe { *affine.get_unchecked(r * cols + c) };
                let product =
                    _mm512_gf2p8affine_epi64_epi8::<0>(x, _mm512_set1_epi64(matrix as i64));
                *sum = _mm512_xor_si512(*sum, product);
            }
        }
        for (&output, sum) in outs.iter().zip(acc) {
            // SAFETY: as for the loads.
            unsafe { _mm512_storeu_si512(output.add(offset).cast(), sum) };
        }
    }
}

/// As [`gfni_rows`], on AVX2: c * x = low_table[x & 15] ^ high_table[x >> 4], 32 bytes at a
/// time, with each input block's two halves split once for all R rows.
///
/// # Safety
///
/// The CPU must have AVX2; otherwise as [`gfni_rows`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2_rows<const R: usize>(
    tables: &[NibbleTables],
    ins: &[*const u8],
    outs: &[*mut u8],
    len: usize,
) {
    let cols = ins.len();
    let low_bits = _mm256_set1_epi8(0x0f);
    for offset in (0..len).step_by(32) {
        let mut acc: [__m256i; R] = [_mm256_setzero_si256(); R];
        for (c, &input) in ins.iter().enumerate() {
            // SAFETY: offset + 32 <= len.
            let x = unsafe { _mm256_loadu_si256(input.add(offset).cast()) };
            let low = _mm256_and_si256(x, low_bits);
            let high = _mm256_and_si256(_mm256_srli_epi16::<4>(x), low_bits);
            for (r, sum) in acc.iter_mut().enumerate() {
                // SAFETY: r * cols + c < R * cols == tables.len(); the tables are 32-byte
                // aligned (`repr(align(32))`).
                let (low_table, high_table) = unsafe {
                    let t = tables.get_unchecked(r * cols + c);
                    (
                        _mm256_load_si256(t.low.as_ptr().cast()),
                        _mm256_load_si256(t.high.as_ptr().cast()),
                    )
                };
                let product = _mm256_xor_si256(
                    _mm256_shuffle_epi8(low_table, low),
                    _mm256_shuffle_epi8(high_table, high),
                );
                *sum = _mm256_xor_si256(*sum, product);
            }
        }
        for (&output, sum) in outs.iter().zip(acc) {
            // SAFETY: as for the loads.
            unsafe { _mm256_storeu_si256(output.add(offset).cast(), sum) };
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn gfni_rows<const R: usize>(_: &[u64], _: &[*const u8], _: &[*mut u8], _: usize) {
    unreachable!("SimdKernel is never made off x86-64")
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn avx2_rows<const R: usize>(_: &[NibbleTables], _: &[*const u8], _: &[*mut u8], _: usize) {
    unreachable!("SimdKernel is never made off x86-64")
}

/// reed-solomon-erasure's RS(k, m) on a SIMD kernel: its parity matrix, and the decoding
/// matrix of the last pattern of missing shards (a degraded read decodes every chunk of a
/// blob with the same shards missing).
pub(super) struct ClassicOnKernel {
    kernel: SimdKernel,
    /// m rows by k columns: its column count is the code's k.
    parity: GfMatrix,
    decode: Option<DecodePlan>,
    /// Where [`ClassicOnKernel::restore_data`] writes restored shards, kept between calls.
    scratch: Vec<u8>,
}

/// How to restore the missing data shards of one pattern.
struct DecodePlan {
    present: Vec<bool>,
    /// The k present shards decoded from (the first k, in index order).
    sources: Vec<usize>,
    /// The data shards restored, in index order; row r of `matrix` restores `missing[r]`.
    missing: Vec<usize>,
    matrix: GfMatrix,
}

impl ClassicOnKernel {
    /// `rs`'s code on `kernel`, or `None` for [`ClassicKernel::Library`] or a kernel this CPU
    /// does not run.
    ///
    /// # Errors
    ///
    /// A library error while reading its parity matrix off it (not expected: the code was
    /// already accepted).
    pub(super) fn new(
        rs: &ClassicRs,
        k: usize,
        m: usize,
        kernel: ClassicKernel,
    ) -> Result<Option<Self>, ErasureError> {
        let Some(kernel) = SimdKernel::new(kernel) else {
            return Ok(None);
        };
        let mut coefficients = vec![0u8; m * k];
        let mut data = vec![[0u8; 1]; k];
        let mut parity = vec![[0u8; 1]; m];
        for column in 0..k {
            data.iter_mut().for_each(|d| d[0] = 0);
            data[column][0] = 1;
            rs.encode_sep(&data, &mut parity)
                .map_err(ErasureError::Classic)?;
            for (row, p) in parity.iter().enumerate() {
                coefficients[row * k + column] = p[0];
            }
        }
        Ok(Some(Self {
            kernel,
            parity: GfMatrix::new(kernel, k, &coefficients),
            decode: None,
            scratch: Vec::new(),
        }))
    }

    pub(super) fn kernel(&self) -> ClassicKernel {
        self.kernel.0
    }

    /// Writes the parity of `data` (k shards) into `parity` (m shards of the same length).
    pub(super) fn encode(&self, data: &[&[u8]], parity: &mut [&mut [u8]]) {
        self.parity.apply(data, parity);
    }

    /// Restores every missing data shard and lends each to `restored(index, bytes)`, in
    /// index order. The caller has checked the slot count, the lengths, and that k shards
    /// are present.
    ///
    /// # Errors
    ///
    /// A library error while reading a new pattern's decoding matrix off it.
    pub(super) fn restore_data(
        &mut self,
        rs: &ClassicRs,
        shards: &[Option<Vec<u8>>],
        shard_len: usize,
        mut restored: impl FnMut(usize, &[u8]),
    ) -> Result<(), ErasureError> {
        let present: Vec<bool> = shards.iter().map(Option::is_some).collect();
        let plan = match self.decode.take() {
            Some(plan) if plan.present == present => plan,
            _ => DecodePlan::read_off(rs, self.kernel, self.parity.cols, present)?,
        };
        let inputs: Vec<&[u8]> = plan
            .sources
            .iter()
            .map(|&i| shards[i].as_deref().expect("sources are present"))
            .collect();
        self.scratch.resize(plan.missing.len() * shard_len, 0);
        let mut outputs: Vec<&mut [u8]> = self.scratch.chunks_exact_mut(shard_len).collect();
        plan.matrix.apply(&inputs, &mut outputs);
        for (&index, bytes) in plan
            .missing
            .iter()
            .zip(self.scratch.chunks_exact(shard_len))
        {
            restored(index, bytes);
        }
        self.decode = Some(plan);
        Ok(())
    }
}

impl DecodePlan {
    /// Reads the decoding matrix of a pattern off the library: with only the k sources
    /// present, source c set to the one-byte shard 1 and the others to 0, the library
    /// restores column c of the matrix into the missing data shards.
    fn read_off(
        rs: &ClassicRs,
        kernel: SimdKernel,
        k: usize,
        present: Vec<bool>,
    ) -> Result<Self, ErasureError> {
        let sources: Vec<usize> = (0..present.len()).filter(|&i| present[i]).take(k).collect();
        let missing: Vec<usize> = (0..k).filter(|&i| !present[i]).collect();
        let mut coefficients = vec![0u8; missing.len() * k];
        for column in 0..k {
            let mut slots: Vec<Option<Vec<u8>>> = vec![None; present.len()];
            for (c, &source) in sources.iter().enumerate() {
                slots[source] = Some(vec![u8::from(c == column)]);
            }
            rs.reconstruct_data(&mut slots)
                .map_err(ErasureError::Classic)?;
            for (row, &index) in missing.iter().enumerate() {
                coefficients[row * k + column] = slots[index].as_ref().expect("restored")[0];
            }
        }
        Ok(Self {
            present,
            sources,
            missing,
            matrix: GfMatrix::new(kernel, k, &coefficients),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kernel this CPU runs multiplies every byte by every constant as the library's
    /// field does: a 1 x 1 matrix per constant, applied to the 256 byte values (four whole
    /// 64-byte blocks) and to a 255-byte input (a padded partial block).
    #[test]
    fn kernels_multiply_like_the_librarys_field() {
        let all_bytes: Vec<u8> = (0..=255u8).collect();
        for kernel in [ClassicKernel::Gfni, ClassicKernel::Avx2] {
            let Some(simd) = SimdKernel::new(kernel) else {
                eprintln!("this CPU does not run the {kernel:?} kernel: not tested here");
                continue;
            };
            for c in 0..=255u8 {
                let matrix = GfMatrix::new(simd, 1, &[c]);
                for input in [&all_bytes[..], &all_bytes[1..]] {
                    let mut output = vec![0xA5u8; input.len()];
                    matrix.apply(&[input], &mut [&mut output[..]]);
                    let expected: Vec<u8> = input.iter().map(|&x| gf_mul(c, x)).collect();
                    assert_eq!(output, expected, "{kernel:?} kernel, c = {c}");
                }
            }
        }
    }

    #[test]
    fn the_library_kernel_is_never_a_simd_kernel() {
        assert!(SimdKernel::new(ClassicKernel::Library).is_none());
    }
}
