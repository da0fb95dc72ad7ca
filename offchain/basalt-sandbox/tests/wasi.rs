//! The WASI the module sees: fixed clocks, seeded randomness, nothing of the host.

use anyhow::Result;
use basalt_sandbox::JobEnv;

use crate::common::{env, output, run_text};

/// A module that calls `$call` (WAT that leaves an errno on the stack) and prints the
/// errno as one byte followed by the 32 bytes at offset 64.
fn probe(imports: &str, call: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  {imports}
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store8 (i32.const 63) {call})
    (i32.store (i32.const 0) (i32.const 63))
    (i32.store (i32.const 4) (i32.const 33))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
    )
}

fn probed(imports: &str, call: &str, env: &JobEnv) -> Result<(u8, Vec<u8>)> {
    let run = run_text(&probe(imports, call), b"", env)?;
    let out = output(&run)?;
    Ok((out[0], out[1..].to_vec()))
}

#[test]
fn clocks_stand_still_at_the_jobs_time() -> Result<()> {
    let import = r#"(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))"#;
    for id in [0, 1] {
        let (errno, bytes) = probed(
            import,
            &format!("(call $clock (i32.const {id}) (i64.const 1) (i32.const 64))"),
            &env(),
        )?;
        assert_eq!(errno, 0);
        assert_eq!(bytes[..8], env().clock_ns.to_le_bytes(), "clock {id}");
    }
    let (errno, _) = probed(
        import,
        "(call $clock (i32.const 9) (i64.const 1) (i32.const 64))",
        &env(),
    )?;
    assert_eq!(errno, 28, "EINVAL for an unknown clock");
    Ok(())
}

#[test]
fn randomness_is_a_function_of_the_seed() -> Result<()> {
    let import = r#"(import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))"#;
    let call = "(call $random (i32.const 64) (i32.const 32))";
    let (errno, first) = probed(import, call, &env())?;
    assert_eq!(errno, 0);
    assert_eq!(
        probed(import, call, &env())?.1,
        first,
        "same seed, same bytes"
    );
    let other = JobEnv {
        seed: [8; 32],
        ..env()
    };
    assert_ne!(probed(import, call, &other)?.1, first);
    assert_ne!(first, vec![0; 32]);
    let (errno, _) = probed(
        import,
        "(call $random (i32.const 65530) (i32.const 32))",
        &env(),
    )?;
    assert_eq!(errno, 21, "EFAULT past the end of memory");
    Ok(())
}

#[test]
fn there_are_no_arguments_environment_or_files() -> Result<()> {
    let sizes = r#"(import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))"#;
    let (errno, bytes) = probed(sizes, "(call $sizes (i32.const 64) (i32.const 68))", &env())?;
    assert_eq!((errno, &bytes[..8]), (0, &[0u8; 8][..]));
    let prestat = r#"(import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))"#;
    let (errno, _) = probed(
        prestat,
        "(call $prestat (i32.const 3) (i32.const 64))",
        &env(),
    )?;
    assert_eq!(errno, 8, "EBADF: nothing preopened");
    // Imported but not provided: ENOSYS, as on a system without the facility.
    let open = r#"(import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))"#;
    let (errno, _) = probed(
        open,
        "(call $open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 64))",
        &env(),
    )?;
    assert_eq!(errno, 52);
    let read = r#"(import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))"#;
    let (errno, _) = probed(
        read,
        "(call $read (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))",
        &env(),
    )?;
    assert_eq!(errno, 8, "stdout is not readable");
    Ok(())
}

#[test]
fn stderr_is_bounded_and_not_part_of_the_result() -> Result<()> {
    // 100 writes of the 64 KiB page to stderr, then "ok" to stdout.
    let text = crate::common::command(
        "(local $i i32)
         (i32.store (i32.const 0) (i32.const 0))
         (i32.store (i32.const 4) (i32.const 65536))
         (loop $more
           (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
           (local.set $i (i32.add (local.get $i) (i32.const 1)))
           (br_if $more (i32.lt_u (local.get $i) (i32.const 100))))
         (i32.store16 (i32.const 16) (i32.const 0x6b6f))
         (i32.store (i32.const 0) (i32.const 16))
         (i32.store (i32.const 4) (i32.const 2))
         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
    );
    let run = run_text(&text, b"", &env())?;
    assert_eq!(output(&run)?, b"ok");
    assert_eq!(run.stderr.len(), basalt_sandbox::limits::MAX_STDERR_BYTES);
    Ok(())
}
