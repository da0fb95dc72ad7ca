//! Host-only glue that runs the Basalt Solana program natively inside a real Solana runtime.
//!
//! No SBF toolchain can be installed on the machines this project is built on, so tests and
//! the local network compile the program for the host and register it as a native builtin
//! (see `../shared/notes/solana-native-hosting.md`). Everything that only makes sense on the
//! host lives here, never in the program crate, which stays SBF-clean.

// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is still
// the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use solana_program_test::{processor, ProgramTest};

pub use basalt::ID as PROGRAM_ID;

/// Anchor's generated `entry` ties the program id, the accounts and the instruction data to
/// one lifetime `'info`, while the runtime's `ProcessInstruction` type gives each its own.
/// The runtime keeps all three alive for the whole call, so re-borrowing them at one
/// lifetime is sound; this is the only `unsafe` the native hosting needs.
fn process_instruction<'a, 'b, 'c, 'd>(
    program_id: &'a basalt::anchor_lang::prelude::Pubkey,
    accounts: &'b [basalt::anchor_lang::prelude::AccountInfo<'c>],
    data: &'d [u8],
) -> basalt::anchor_lang::solana_program::entrypoint::ProgramResult {
    // SAFETY: see above; the references outlive this call and are not stored anywhere.
    let accounts: &'c [basalt::anchor_lang::prelude::AccountInfo<'c>] =
        unsafe { std::mem::transmute(accounts) };
    let program_id: &'c _ = unsafe { std::mem::transmute(program_id) };
    let data: &'c [u8] = unsafe { std::mem::transmute(data) };
    basalt::entry(program_id, accounts, data)
}

/// A `ProgramTest` with the Basalt program registered natively under its declared id, next
/// to the SPL Token program that program-test bundles.
pub fn program_test() -> ProgramTest {
    let mut test = ProgramTest::new("basalt", PROGRAM_ID, processor!(process_instruction));
    test.prefer_bpf(false);
    test
}
