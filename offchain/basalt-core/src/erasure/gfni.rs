//! reed-solomon-erasure's code computed with the GFNI instruction, where the CPU has it.
//!
//! reed-solomon-erasure multiplies shards by GF(2^8) constants with table lookups (two
//! `pshufb` per 32 bytes, in its C kernels, which stop at AVX2). GF2P8AFFINEQB multiplies 64
//! bytes by a constant of any GF(2^8) field in one instruction: multiplying by c is linear
//! over GF(2), so it is an 8x8 bit matrix, which the instruction applies to every byte.
//! Neither library uses it (reed-solomon-simd works in GF(2^16)). On an AMD EPYC Zen 4, one
//! core, 4 MiB chunks (`benches/erasure.rs`):
//!
//! | code | reed-solomon-erasure | reed-solomon-simd | this kernel |
//! |---|---|---|---|
//! | RS(10, 4) encode | 8.4 GiB/s | 9.3 GiB/s | 22-24 GiB/s |
//! | RS(20, 10) encode | 3.2 GiB/s | 4.3 GiB/s | 14-19 GiB/s |
//!
//! The library stays the authority on the code: the coefficients this module multiplies by
//! are read off the library itself, by coding one-byte unit shards with it (column j of the
//! parity matrix is the parity of data shard j = 1 and the others 0; decoding works the same
//! way), so the bytes are the library's by construction and no field arithmetic or matrix
//! inversion is written here. `tests/roundtrip.rs` compares them byte for byte.
//!
//! This is the one module of the crate with `unsafe`: the intrinsics' loads and stores take
//! raw pointers, and the kernel may only run on a CPU that has the instructions.
#![allow(unsafe_code)]

use super::ErasureError;
use reed_solomon_erasure::galois_8::ReedSolomon as ClassicRs;

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::{
    __m512i, _mm512_gf2p8affine_epi64_epi8, _mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_xor_si512,
};

/// Rows of output computed per pass over the inputs: each needs one 512-bit accumulator,
/// and x86-64 has 32 such registers.
const ROWS_PER_PASS: usize = 8;

/// Whether this CPU runs the kernel (AVX-512 F and BW, and GFNI).
fn cpu_has_gfni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("gfni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A GF(2^8) matrix, stored as one GF2P8AFFINEQB bit matrix per coefficient, row-major.
struct GfMatrix {
    cols: usize,
    // INV: affine.len() is a multiple of cols; entry (r, c) is affine_of(coefficient (r, c)).
    affine: Vec<u64>,
}

impl GfMatrix {
    fn new(cols: usize, coefficients: &[u8]) -> Self {
        Self {
            cols,
            affine: coefficients.iter().map(|&c| affine_of(c)).collect(),
        }
    }

    fn rows(&self) -> usize {
        self.affine.len() / self.cols
    }

    /// `outputs[r] = sum over c of coefficient (r, c) * inputs[c]`, byte by byte.
    ///
    /// # Panics
    ///
    /// If the slice counts do not match the matrix or the lengths differ: callers check
    /// shard lengths first, so this is a bug, not bad input.
    fn apply(&self, _cpu: CpuHasGfni, inputs: &[&[u8]], outputs: &mut [&mut [u8]]) {
        assert_eq!(inputs.len(), self.cols, "one input per column");
        assert_eq!(outputs.len(), self.rows(), "one output per row");
        let len = inputs.first().map_or(0, |s| s.len());
        assert!(
            inputs.iter().all(|s| s.len() == len) && outputs.iter().all(|s| s.len() == len),
            "inputs and outputs must have one length"
        );
        let ins: Vec<*const u8> = inputs.iter().map(|s| s.as_ptr()).collect();
        let outs: Vec<*mut u8> = outputs.iter_mut().map(|s| s.as_mut_ptr()).collect();
        for first in (0..self.rows()).step_by(ROWS_PER_PASS) {
            let rows = (self.rows() - first).min(ROWS_PER_PASS);
            let affine = &self.affine[first * self.cols..(first + rows) * self.cols];
            let outs = &outs[first..first + rows];
            // SAFETY: `CpuHasGfni` exists only where the CPU has AVX-512 F/BW and GFNI; every
            // pointer is valid for `len` bytes (checked above), outputs are distinct `&mut`
            // slices, so no output overlaps another or an input.
            unsafe {
                match rows {
                    1 => mul_rows::<1>(affine, &ins, outs, len),
                    2 => mul_rows::<2>(affine, &ins, outs, len),
                    3 => mul_rows::<3>(affine, &ins, outs, len),
                    4 => mul_rows::<4>(affine, &ins, outs, len),
                    5 => mul_rows::<5>(affine, &ins, outs, len),
                    6 => mul_rows::<6>(affine, &ins, outs, len),
                    7 => mul_rows::<7>(affine, &ins, outs, len),
                    _ => mul_rows::<8>(affine, &ins, outs, len),
                }
            }
        }
    }
}

/// Proof that the CPU was checked: the kernel is only reachable through it.
#[derive(Clone, Copy)]
struct CpuHasGfni(());

/// The GF2P8AFFINEQB matrix of x -> c * x in reed-solomon-erasure's field. Bit i of the
/// result is the parity of (row i AND x), and row i sits in byte 7 - i of the matrix; row i
/// holds bit i of c * 2^j at bit j, since x = sum of x_j * 2^j.
fn affine_of(c: u8) -> u64 {
    (0..8).fold(0u64, |matrix, i| {
        let row = (0..8).fold(0u8, |row, j| {
            let bit = (reed_solomon_erasure::galois_8::mul(c, 1 << j) >> i) & 1;
            row | (bit << j)
        });
        matrix | (u64::from(row) << (8 * (7 - i)))
    })
}

/// `outs[r] = sum over c of affine[r * cols + c] (inputs[c])` for G rows, 64 bytes at a time,
/// each input block loaded once for all G rows.
///
/// # Safety
///
/// The CPU must have AVX-512 F/BW and GFNI; `ins` and `outs` must be valid for `len` bytes,
/// outputs must not overlap each other or the inputs, `affine.len() == G * ins.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,gfni")]
unsafe fn mul_rows<const G: usize>(
    affine: &[u64],
    ins: &[*const u8],
    outs: &[*mut u8],
    len: usize,
) {
    let cols = ins.len();
    let mut offset = 0;
    while offset < len {
        // The last block may be partial: masked loads read, and masked stores write, only
        // the bytes inside the shards.
        let mask = if len - offset >= 64 {
            u64::MAX
        } else {
            (1u64 << (len - offset)) - 1
        };
        let mut acc: [__m512i; G] = [_mm512_setzero_si512(); G];
        for (c, &input) in ins.iter().enumerate() {
            // SAFETY: offset < len and the mask stops at len.
            let x = unsafe { _mm512_maskz_loadu_epi8(mask, input.add(offset).cast()) };
            for (r, slot) in acc.iter_mut().enumerate() {
                // SAFETY: r * cols + c < G * cols == affine.len().
                let matrix = unsafe { *affine.get_unchecked(r * cols + c) };
                let product =
                    _mm512_gf2p8affine_epi64_epi8::<0>(x, _mm512_set1_epi64(matrix as i64));
                *slot = _mm512_xor_si512(*slot, product);
            }
        }
        for (&out, value) in outs.iter().zip(acc) {
            // SAFETY: as for the loads.
            unsafe { _mm512_mask_storeu_epi8(out.add(offset).cast(), mask, value) };
        }
        offset += 64;
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn mul_rows<const G: usize>(_: &[u64], _: &[*const u8], _: &[*mut u8], _: usize) {
    unreachable!("CpuHasGfni is never made off x86-64")
}

/// reed-solomon-erasure's RS(k, m) on the GFNI kernel: its parity matrix, and the decoding
/// matrix of the last pattern of missing shards (a degraded read decodes every chunk of a
/// blob with the same shards missing).
pub(super) struct ClassicGfni {
    cpu: CpuHasGfni,
    k: usize,
    parity: GfMatrix,
    decode: Option<DecodePlan>,
    /// Where [`ClassicGfni::restore_data`] writes restored shards, kept between calls.
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

impl ClassicGfni {
    /// The kernel for `rs`'s code, or `None` where the CPU lacks GFNI.
    ///
    /// # Errors
    ///
    /// A library error while reading its parity matrix off it (not expected: the code was
    /// already accepted).
    pub(super) fn new(rs: &ClassicRs, k: usize, m: usize) -> Result<Option<Self>, ErasureError> {
        if !cpu_has_gfni() {
            return Ok(None);
        }
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
            cpu: CpuHasGfni(()),
            k,
            parity: GfMatrix::new(k, &coefficients),
            decode: None,
            scratch: Vec::new(),
        }))
    }

    /// Writes the parity of `data` (k shards) into `parity` (m shards of the same length).
    pub(super) fn encode(&self, data: &[&[u8]], parity: &mut [&mut [u8]]) {
        self.parity.apply(self.cpu, data, parity);
    }

    /// Restores every missing data shard and lends each to `restored(index, bytes)`, in
    /// index order. The caller has checked the slot count, lengths and that k are present.
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
            _ => DecodePlan::read_off(rs, self.k, present)?,
        };
        let inputs: Vec<&[u8]> = plan
            .sources
            .iter()
            .map(|&i| shards[i].as_deref().expect("sources are present"))
            .collect();
        self.scratch.resize(plan.missing.len() * shard_len, 0);
        let mut outputs: Vec<&mut [u8]> = self.scratch.chunks_exact_mut(shard_len).collect();
        plan.matrix.apply(self.cpu, &inputs, &mut outputs);
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
    fn read_off(rs: &ClassicRs, k: usize, present: Vec<bool>) -> Result<Self, ErasureError> {
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
            matrix: GfMatrix::new(k, &coefficients),
        })
    }
}
