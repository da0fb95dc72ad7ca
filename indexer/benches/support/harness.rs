//! What every indexer benchmark starts with: its size knobs from the environment, and a
//! two-thread runtime running it, in its quick form unless cargo runs it as a benchmark
//! (`--bench`).

use std::future::Future;

/// The environment variable `name` as a number, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `bench(quick)` on a two-thread runtime.
///
/// # Errors
///
/// The runtime's, or the benchmark's.
pub fn main<F>(bench: impl FnOnce(bool) -> F) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let quick = !std::env::args().any(|a| a == "--bench");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench(quick))
}
