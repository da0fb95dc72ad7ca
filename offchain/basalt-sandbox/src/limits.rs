//! The limits a job runs under. They are part of the protocol, not of a worker's
//! configuration: a module that needs 100 MiB would succeed on a worker allowing 128 and
//! fail on one allowing 64, and the two would disagree on the result. Every honest worker
//! applies these same values; a new set is a new [`SANDBOX_VERSION`].

/// The version of the execution rules below and of the WASI semantics in `wasi.rs`. It is
/// bound into every failure result, so results of different rule sets never agree by
/// accident.
pub const SANDBOX_VERSION: u32 = 1;

/// Largest module accepted, in bytes: compiling is not metered by fuel.
pub const MAX_MODULE_BYTES: usize = 16 << 20;

/// Largest input (stdin) handed to a module, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 << 20;

/// Largest linear memory a module may have or grow to, in bytes (one memory per module).
pub const MAX_MEMORY_BYTES: usize = 128 << 20;

/// Largest table a module may have or grow to, in elements.
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Most bytes a module may write to stdout (its output). Writing more fails the run.
pub const MAX_OUTPUT_BYTES: usize = 32 << 20;

/// Most bytes of stderr kept (for the worker's log); the rest is dropped. Not part of the
/// result.
pub const MAX_STDERR_BYTES: usize = 64 << 10;

/// The wasm stack a run may use. Deep recursion beyond it traps.
pub const MAX_WASM_STACK_BYTES: usize = 512 << 10;

/// Fuel every WASI call costs on top of the instructions that made it, so a module that
/// spends its time in host calls is metered too.
pub const HOST_CALL_FUEL: u64 = 100;

/// Bytes a WASI call moves (read, written, randomized) per unit of fuel it costs.
pub const HOST_BYTES_PER_FUEL: u64 = 16;
