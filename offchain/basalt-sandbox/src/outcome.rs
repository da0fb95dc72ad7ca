//! What a run of a job produced, and the 32-byte result a worker commits for it.
//!
//! A successful run's result is the CID digest of its output (BLAKE3 of the bytes), so the
//! requester checks the output blob against the agreed result by its CID alone. A failed
//! run's result is a digest of the failure's class under its own BLAKE3 key-derivation
//! context, which no output's plain hash can equal: honest workers that all run out of fuel
//! agree on "out of fuel" as they would on an output.

use basalt_core::Cid;

use crate::limits::SANDBOX_VERSION;

/// Why a run failed. Only classes every honest worker reaches identically are told apart:
/// a trap's exact kind (stack overflow against out-of-bounds access, say) is logged, not
/// committed, as it may differ between engine versions near a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Not a module the sandbox runs: not valid WebAssembly, a feature that is off (SIMD,
    /// threads, 64-bit memory), larger than `MAX_MODULE_BYTES`, or without a `_start`.
    InvalidModule,
    /// The module imports something other than WASI preview 1, or a WASI function with the
    /// wrong signature.
    UnsupportedImport,
    /// The job's fuel ran out.
    OutOfFuel,
    /// The module asked for more memory or table than the limits allow, or the input is
    /// larger than `MAX_INPUT_BYTES`.
    ResourceLimit,
    /// The module wrote more than `MAX_OUTPUT_BYTES` to stdout.
    OutputLimit,
    /// The module trapped (unreachable, out-of-bounds access, division by zero, stack
    /// overflow, ...).
    Trap,
    /// The module called `proc_exit` with this non-zero code.
    Exit(u32),
}

impl Failure {
    /// The result a worker commits for this failure.
    pub fn result(&self) -> [u8; 32] {
        let (class, detail): (u8, u32) = match *self {
            Failure::InvalidModule => (1, 0),
            Failure::UnsupportedImport => (2, 0),
            Failure::OutOfFuel => (3, 0),
            Failure::ResourceLimit => (4, 0),
            Failure::OutputLimit => (5, 0),
            Failure::Trap => (6, 0),
            Failure::Exit(code) => (7, code),
        };
        let mut hasher = blake3::Hasher::new_derive_key("basalt job failure result v1");
        hasher.update(&SANDBOX_VERSION.to_le_bytes());
        hasher.update(&[class]);
        hasher.update(&detail.to_le_bytes());
        *hasher.finalize().as_bytes()
    }

    /// The failure whose [`Failure::result`] is `result`, among those without a detail and
    /// exit codes up to 255; `None` for any other value (an output's digest).
    pub fn from_result(result: &[u8; 32]) -> Option<Failure> {
        let plain = [
            Failure::InvalidModule,
            Failure::UnsupportedImport,
            Failure::OutOfFuel,
            Failure::ResourceLimit,
            Failure::OutputLimit,
            Failure::Trap,
        ];
        plain
            .into_iter()
            .chain((1..=255).map(Failure::Exit))
            .find(|f| f.result() == *result)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::InvalidModule => f.write_str("invalid module"),
            Failure::UnsupportedImport => f.write_str("unsupported import"),
            Failure::OutOfFuel => f.write_str("out of fuel"),
            Failure::ResourceLimit => f.write_str("memory or table limit exceeded"),
            Failure::OutputLimit => f.write_str("output limit exceeded"),
            Failure::Trap => f.write_str("trap"),
            Failure::Exit(code) => write!(f, "exit code {code}"),
        }
    }
}

/// The output of a run, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `_start` returned, or the module called `proc_exit(0)`: stdout is the output.
    Success(Vec<u8>),
    Failure(Failure),
}

impl Outcome {
    /// The result a worker commits: the output's CID digest, or the failure's result.
    pub fn result(&self) -> [u8; 32] {
        match self {
            Outcome::Success(output) => *Cid::of(output).digest(),
            Outcome::Failure(failure) => failure.result(),
        }
    }
}

/// A finished run: its outcome, what it cost, and what it wrote to stderr.
#[derive(Debug, Clone)]
pub struct Run {
    pub outcome: Outcome,
    /// Fuel consumed, at most the job's limit.
    pub fuel_used: u64,
    /// The first `MAX_STDERR_BYTES` the module wrote to stderr, for the worker's log.
    pub stderr: Vec<u8>,
    /// What a failure was in detail (the trap's message), for the log; not committed.
    pub detail: Option<String>,
}
