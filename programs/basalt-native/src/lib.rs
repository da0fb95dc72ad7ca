//! Host-only glue that runs the Basalt Solana program natively inside a real Solana runtime.
//!
//! No SBF toolchain can be installed on the machines this project is built on, so tests and
//! the local network compile the program for the host and register it as a native builtin
//! (`docs/solana-program.md` says how and why). Everything that only makes sense on the
//! host lives here, never in the program crate, which stays SBF-clean.

// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is still
// the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use solana_program_test::{processor, ProgramTest};

pub mod harness;

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

/// The program as a builtin entrypoint for any Agave-3.1 runtime that takes one (LiteSVM's
/// and surfpool's `add_builtin`), after [`install_syscall_stubs`] has run in this process.
pub fn builtin_entrypoint() -> solana_program_runtime::invoke_context::BuiltinFunctionWithContext {
    let entry: Option<solana_program_runtime::invoke_context::BuiltinFunctionWithContext> =
        processor!(process_instruction);
    entry.expect("processor! always builds an entrypoint")
}

/// Installs program-test's syscall stubs, which route a native program's CPIs, logs and
/// sysvar reads into the runtime that invoked it. program-test installs them (once per
/// process) when it starts a bank and offers no other way, so this starts one throwaway
/// bank. Call it before a builtin from [`builtin_entrypoint`] runs outside program-test.
pub fn install_syscall_stubs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Its own thread and runtime, so callers inside an async runtime can call this too.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread tokio runtime starts");
            runtime.block_on(async {
                let _bank = ProgramTest::default().start_with_context().await;
            });
        })
        .join()
        .expect("program-test's bank starts");
        // program-test also installs a logger at debug level for the runtime's message
        // processor: every instruction would print several lines. Keep warnings only.
        log::set_max_level(log::LevelFilter::Warn);
    });
}
