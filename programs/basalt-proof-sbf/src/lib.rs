//! `basalt_proof`'s storage-proof check as a minimal SBF program with no accounts.
//!
//! The Anchor program cannot be compiled to SBF on this project's machines (no Solana
//! platform tools; see `docs/solana-program.md`), but its hot path lives in the `no_std`,
//! allocation-free `basalt-proof` crate, which upstream LLVM's BPF backend does compile. This
//! program runs exactly what `proof_submit` runs on a proof — the layout from the blob's
//! parameters, [`derive_challenge`] and [`verify_storage_proof`] — so that a real SBF VM
//! (LiteSVM) meters it: `programs/basalt-native/benches/proof_cu.rs`.
//!
//! Instruction data, little-endian:
//!
//! | field | bytes |
//! |---|---|
//! | mode: 0 verify, 1 parse only (the fixed cost around the check) | 1 |
//! | blob size, chunk size, k, m, leaf size | 8 + 4 + 2 + 2 + 4 |
//! | seed, commitment root, column root | 32 × 3 |
//! | shard index, epoch | 2 + 8 |
//! | leaf length, leaf | 4 + n |
//! | path: 32-byte siblings to the end of the data | 32 × p |
#![no_std]

use basalt_proof::{derive_challenge, verify_storage_proof, BlobLayout, Hash};
use solana_define_syscall::definitions::{
    abort, sol_memcmp_, sol_memcpy_, sol_memmove_, sol_memset_,
};

/// Custom program errors (`ProgramError::Custom(n)` is returned as `n` when `n` is nonzero).
mod error {
    pub const ACCOUNTS_GIVEN: u64 = 1;
    pub const MALFORMED: u64 = 2;
    pub const BAD_LAYOUT: u64 = 3;
    pub const EMPTY_BLOB: u64 = 4;
    pub const PROOF_REJECTED: u64 = 5;
}

/// The program's entry point. `input` is the loader's serialization of the call: with no
/// accounts, a `u64` account count (0), a `u64` data length and the data.
///
/// # Safety
///
/// Called only by the SBF loader, with `input` laid out as above.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let header = core::slice::from_raw_parts(input, 16);
    if read_u64(&header[..8]) != 0 {
        return error::ACCOUNTS_GIVEN;
    }
    let len = read_u64(&header[8..]) as usize;
    let data = core::slice::from_raw_parts(input.add(16), len);
    match run(data) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

fn run(data: &[u8]) -> Result<(), u64> {
    let mut cursor = Cursor(data);
    let mode = cursor.take::<1>()?[0];
    let layout = BlobLayout::with_leaf_size(
        read_u64(&cursor.take::<8>()?),
        u32::from_le_bytes(cursor.take()?),
        u16::from_le_bytes(cursor.take()?),
        u16::from_le_bytes(cursor.take()?),
        u32::from_le_bytes(cursor.take()?),
    )
    .map_err(|_| error::BAD_LAYOUT)?;
    let seed: [u8; 32] = cursor.take()?;
    let commitment_root: Hash = cursor.take()?;
    let column_root: Hash = cursor.take()?;
    let index = u16::from_le_bytes(cursor.take()?);
    let epoch = read_u64(&cursor.take::<8>()?);
    let leaf_len = u32::from_le_bytes(cursor.take()?) as usize;
    let leaf = cursor.take_slice(leaf_len)?;
    let (path, rest) = cursor.0.as_chunks::<32>();
    if !rest.is_empty() {
        return Err(error::MALFORMED);
    }
    if mode == 1 {
        return Ok(());
    }
    let challenge = derive_challenge(&seed, &commitment_root, index, epoch, &layout)
        .ok_or(error::EMPTY_BLOB)?;
    verify_storage_proof(
        &layout,
        &column_root,
        challenge.chunk,
        challenge.leaf,
        leaf,
        path,
    )
    .map_err(|_| error::PROOF_REJECTED)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], u64> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(error::MALFORMED)?;
        self.0 = rest;
        Ok(*head)
    }

    fn take_slice(&mut self, n: usize) -> Result<&'a [u8], u64> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(error::MALFORMED)?;
        self.0 = rest;
        Ok(head)
    }
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: the abort syscall takes no arguments and ends the program.
    unsafe { abort() }
}

// The compiler's memory intrinsics, over the VM's syscalls (upstream LLVM links no
// compiler-builtins for BPF).

/// # Safety
/// As C's `memcpy`.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    sol_memcpy_(dst, src, n as u64);
    dst
}

/// # Safety
/// As C's `memmove`.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    sol_memmove_(dst, src, n as u64);
    dst
}

/// # Safety
/// As C's `memset`.
#[no_mangle]
pub unsafe extern "C" fn memset(s: *mut u8, c: i32, n: usize) -> *mut u8 {
    sol_memset_(s, c as u8, n as u64);
    s
}

/// # Safety
/// As C's `memcmp`.
#[no_mangle]
pub unsafe extern "C" fn memcmp(s1: *const u8, s2: *const u8, n: usize) -> i32 {
    let mut result = 0i32;
    sol_memcmp_(s1, s2, n as u64, &mut result);
    result
}

/// # Safety
/// As C's `bcmp`.
#[no_mangle]
pub unsafe extern "C" fn bcmp(s1: *const u8, s2: *const u8, n: usize) -> i32 {
    memcmp(s1, s2, n)
}
