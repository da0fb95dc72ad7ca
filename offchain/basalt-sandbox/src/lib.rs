//! Deterministic execution of Basalt compute jobs.
//!
//! A job is a WebAssembly module (WASI preview 1 command) run on an input: the input is its
//! stdin, its stdout is the output. Every honest worker must produce the same bytes, or the
//! k-of-n quorum cannot agree, so the sandbox removes what WebAssembly leaves to the
//! machine or the host: NaN bit patterns (canonicalized), SIMD and threads (off), memory
//! and table sizes, stack depth and output size (fixed limits, [`limits`]), time and
//! randomness (fixed by the job, [`JobEnv`]), files, network and environment (none).
//! Execution is metered by fuel: the job's fuel limit bounds every run.
//!
//! A run that fails (out of fuel, a trap, a limit, a bad module) is a result too: every
//! worker reaches the same [`Failure`] and commits its [`Failure::result`]. Only a fault of
//! the worker's own machine ([`HostFault`]) yields nothing to commit.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use basalt_sandbox::{JobEnv, Sandbox};
//! let sandbox = Sandbox::new(16)?;
//! let module = basalt_sandbox::module_from_file("examples/jobs/wordcount.wat".as_ref())?;
//! let env = JobEnv { fuel: 10_000_000, clock_ns: 0, seed: [0; 32] };
//! let run = sandbox.run(&module, b"two words".to_vec(), &env)?;
//! println!("result {:?}, {} fuel", run.outcome.result(), run.fuel_used);
//! # Ok(()) }
//! ```

pub mod limits;
mod outcome;
mod sandbox;
mod wasi;

pub use outcome::{Failure, Outcome, Run};
pub use sandbox::{HostFault, JobEnv, Program, Sandbox};

/// Reads a module from `path`: binary WebAssembly, or WebAssembly text (`.wat`), which is
/// compiled to binary. A text module's binary is what a job names by CID.
///
/// # Errors
///
/// The file cannot be read, or its text does not parse.
pub fn module_from_file(path: &std::path::Path) -> Result<Vec<u8>, ModuleFileError> {
    let bytes =
        std::fs::read(path).map_err(|e| ModuleFileError::Read(path.display().to_string(), e))?;
    module_from_bytes(&bytes)
}

/// Binary WebAssembly as given, or WebAssembly text compiled to binary.
///
/// # Errors
///
/// [`ModuleFileError::Text`] when text does not parse.
pub fn module_from_bytes(bytes: &[u8]) -> Result<Vec<u8>, ModuleFileError> {
    wat::parse_bytes(bytes)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| ModuleFileError::Text(e.to_string()))
}

/// Why a module file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModuleFileError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("not WebAssembly text or binary: {0}")]
    Text(String),
}
