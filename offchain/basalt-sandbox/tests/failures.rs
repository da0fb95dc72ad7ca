//! Every way a module can misbehave ends as a defined failure, the same on every run.

use anyhow::Result;
use basalt_sandbox::{Failure, JobEnv, Outcome, Sandbox};

use crate::common::{command, env, run_text};

fn failure_of(text: &str) -> Result<Failure> {
    let run = run_text(text, b"", &env())?;
    match run.outcome {
        Outcome::Failure(failure) => Ok(failure),
        Outcome::Success(out) => anyhow::bail!("succeeded with {} bytes", out.len()),
    }
}

#[test]
fn a_loop_runs_out_of_fuel() -> Result<()> {
    let env = JobEnv {
        fuel: 5_000_000,
        ..env()
    };
    let run = run_text(&command("(loop $forever (br $forever))"), b"", &env)?;
    assert_eq!(run.outcome, Outcome::Failure(Failure::OutOfFuel));
    assert_eq!(run.fuel_used, env.fuel);
    Ok(())
}

#[test]
fn traps_are_failures() -> Result<()> {
    assert_eq!(failure_of(&command("unreachable"))?, Failure::Trap);
    assert_eq!(
        failure_of(&command("(drop (i32.div_u (i32.const 1) (i32.const 0)))"))?,
        Failure::Trap
    );
    assert_eq!(
        failure_of(&command("(drop (i32.load (i32.const 65536)))"))?,
        Failure::Trap,
        "out of bounds"
    );
    let recursion = r#"(module
      (memory (export "memory") 1)
      (func $deeper (param i64) (result i64)
        (i64.add (call $deeper (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
      (func (export "_start") (drop (call $deeper (i64.const 0)))))"#;
    let run = run_text(
        recursion,
        b"",
        &JobEnv {
            fuel: u64::MAX / 2,
            ..env()
        },
    )?;
    assert_eq!(
        run.outcome,
        Outcome::Failure(Failure::Trap),
        "stack overflow"
    );
    Ok(())
}

#[test]
fn memory_and_tables_are_capped() -> Result<()> {
    // 64 KiB pages: 2,048 is 128 MiB, the cap; one more is refused, when growing or at
    // instantiation.
    let grow =
        command("(loop $more (br_if $more (i32.ne (memory.grow (i32.const 64)) (i32.const -1))))");
    assert_eq!(failure_of(&grow)?, Failure::ResourceLimit);
    let at_cap = r#"(module (memory (export "memory") 2048) (func (export "_start")))"#;
    assert!(matches!(
        run_text(at_cap, b"", &env())?.outcome,
        Outcome::Success(_)
    ));
    let too_big = r#"(module (memory (export "memory") 2049) (func (export "_start")))"#;
    assert_eq!(failure_of(too_big)?, Failure::ResourceLimit);
    // Growth past the module's own maximum is ordinary WebAssembly: -1, then the module's
    // own choice (here, success).
    let own_max = r#"(module (memory (export "memory") 1 2)
      (func (export "_start")
        (if (i32.ne (memory.grow (i32.const 5)) (i32.const -1)) (then unreachable))))"#;
    assert!(matches!(
        run_text(own_max, b"", &env())?.outcome,
        Outcome::Success(_)
    ));
    let table = r#"(module (memory (export "memory") 1) (table 200000 funcref)
      (func (export "_start")))"#;
    assert_eq!(failure_of(table)?, Failure::ResourceLimit);
    Ok(())
}

#[test]
fn output_is_capped() -> Result<()> {
    // Writes the 64 KiB page 600 times: 37.5 MiB, past the 32 MiB cap.
    let flood = command(
        "(local $i i32)
         (i32.store (i32.const 0) (i32.const 0))
         (i32.store (i32.const 4) (i32.const 65536))
         (loop $more
           (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
           (local.set $i (i32.add (local.get $i) (i32.const 1)))
           (br_if $more (i32.lt_u (local.get $i) (i32.const 600))))",
    );
    assert_eq!(failure_of(&flood)?, Failure::OutputLimit);
    Ok(())
}

#[test]
fn modules_the_sandbox_does_not_run_are_invalid() -> Result<()> {
    let sandbox = Sandbox::new(0)?;
    let invalid = |bytes: &[u8]| -> Result<Failure> {
        match sandbox.run(bytes, Vec::new(), &env())?.outcome {
            Outcome::Failure(f) => Ok(f),
            Outcome::Success(_) => anyhow::bail!("ran"),
        }
    };
    assert_eq!(invalid(b"not wasm")?, Failure::InvalidModule);
    assert_eq!(invalid(&vec![0u8; (16 << 20) + 1])?, Failure::InvalidModule);
    let text = |t: &str| basalt_sandbox::module_from_bytes(t.as_bytes());
    let simd = text(
        r#"(module (memory (export "memory") 1) (func (export "_start")
             (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))"#,
    )?;
    assert_eq!(invalid(&simd)?, Failure::InvalidModule, "SIMD is off");
    let shared =
        text(r#"(module (memory (export "memory") 1 1 shared) (func (export "_start")))"#)?;
    assert_eq!(invalid(&shared)?, Failure::InvalidModule, "threads are off");
    let no_start = text(r#"(module (memory (export "memory") 1) (func (export "main")))"#)?;
    assert_eq!(invalid(&no_start)?, Failure::InvalidModule);
    let start_with_params =
        text(r#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#)?;
    assert_eq!(invalid(&start_with_params)?, Failure::InvalidModule);
    Ok(())
}

#[test]
fn imports_beyond_wasi_are_unsupported() -> Result<()> {
    let env_import = r#"(module (import "env" "now" (func (result i64)))
      (memory (export "memory") 1) (func (export "_start")))"#;
    assert_eq!(failure_of(env_import)?, Failure::UnsupportedImport);
    let wrong_signature = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
      (memory (export "memory") 1) (func (export "_start")))"#;
    assert_eq!(failure_of(wrong_signature)?, Failure::UnsupportedImport);
    let memory_import = r#"(module (import "wasi_snapshot_preview1" "memory" (memory 1))
      (func (export "_start")))"#;
    assert_eq!(failure_of(memory_import)?, Failure::UnsupportedImport);
    Ok(())
}

#[test]
fn exit_codes_are_results() -> Result<()> {
    let exit = |code: i32| {
        command(&format!(
            "(i32.store (i32.const 0) (i32.const 16))
             (i32.store (i32.const 4) (i32.const 2))
             (i32.store16 (i32.const 16) (i32.const 0x6968))
             (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
             (call $proc_exit (i32.const {code}))
             unreachable"
        ))
    };
    let run = run_text(&exit(0), b"", &env())?;
    assert_eq!(
        run.outcome,
        Outcome::Success(b"hi".to_vec()),
        "exit 0 keeps the output"
    );
    assert_eq!(failure_of(&exit(7))?, Failure::Exit(7));
    Ok(())
}
