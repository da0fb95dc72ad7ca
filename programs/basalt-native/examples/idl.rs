//! Generates the program's Anchor IDL (JSON) for TypeScript and other non-Rust clients:
//! `scripts/idl.sh` runs this and writes `programs/basalt/idl/basalt.json`.
//!
//! It does what `anchor idl build` does, without needing anchor-cli: builds the program's
//! test binary with the `idl-build` feature and collects what its IDL print tests emit.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    // anchor-lang-idl runs `rustup toolchain install $RUSTUP_TOOLCHAIN` when that is set
    // (cargo sets it for the processes it runs), which replaced this machine's toolchain once.
    // Without it the inner build uses the default toolchain, as the main build does.
    // SAFETY: single-threaded at this point; nothing else reads the environment concurrently.
    unsafe { std::env::remove_var("RUSTUP_TOOLCHAIN") };
    let program = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../basalt");
    // The IDL build uses its own RUSTFLAGS; a separate target directory keeps it from
    // invalidating the main one.
    let target_dir =
        std::env::var("BASALT_IDL_TARGET_DIR").unwrap_or_else(|_| "target/idl-build".into());
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(program)
        .cargo_args(vec!["--target-dir".into(), target_dir])
        .resolution(true)
        .build()?;
    println!("{}", serde_json::to_string_pretty(&idl)?);
    Ok(())
}
