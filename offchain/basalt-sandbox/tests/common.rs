use std::path::PathBuf;

use anyhow::Result;
use basalt_sandbox::{JobEnv, Outcome, Run, Sandbox};

/// Fuel enough for every test module that is meant to finish.
pub const FUEL: u64 = 1_000_000_000;

pub fn env() -> JobEnv {
    JobEnv {
        fuel: FUEL,
        clock_ns: 1_800_000_000_000_000_000,
        seed: [7; 32],
    }
}

pub fn example(name: &str) -> Result<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/jobs")
        .join(name);
    Ok(basalt_sandbox::module_from_file(&path)?)
}

/// Runs WebAssembly text on `input` in a fresh sandbox.
pub fn run_text(text: &str, input: &[u8], env: &JobEnv) -> Result<Run> {
    let module = basalt_sandbox::module_from_bytes(text.as_bytes())?;
    Ok(Sandbox::new(0)?.run(&module, input.to_vec(), env)?)
}

pub fn output(run: &Run) -> Result<&[u8]> {
    match &run.outcome {
        Outcome::Success(output) => Ok(output),
        Outcome::Failure(failure) => {
            anyhow::bail!("failed: {failure} ({:?})", run.detail)
        }
    }
}

/// A command module whose `_start` is `body`, with the usual WASI imports and one page of
/// memory.
pub fn command(body: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") {body}))"#
    )
}
