//! Side-by-side measurement for the benches: contenders run interleaved, round after round,
//! so machine noise hits all of them alike; the table prints throughput and ratios from the
//! same run. Criterion (in each bench's `criterion_group`) gives the per-case statistics.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One contender: a name and a closure that processes `bytes` bytes per call.
pub struct Contender<'a> {
    pub name: String,
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> Contender<'a> {
    pub fn new(name: impl Into<String>, run: impl FnMut() + 'a) -> Self {
        Self {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// GiB/s per contender (median over rounds), in the order given.
pub fn side_by_side(title: &str, bytes: u64, mut contenders: Vec<Contender<'_>>) -> Vec<f64> {
    const ROUNDS: usize = 7;
    const MIN_ROUND: Duration = Duration::from_millis(150);
    let mut samples = vec![Vec::new(); contenders.len()];
    for c in &mut contenders {
        (c.run)(); // warm up caches and lazily built tables
    }
    if smoke() {
        println!("smoke run (cargo test): {title}: every contender ran once");
        return vec![1.0; contenders.len()];
    }
    for _ in 0..ROUNDS {
        for (i, c) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            let mut calls = 0u32;
            while start.elapsed() < MIN_ROUND {
                (c.run)();
                calls += 1;
            }
            let secs = start.elapsed().as_secs_f64();
            samples[i].push(bytes as f64 * f64::from(calls) / secs / f64::from(1u32 << 30));
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let best = medians.iter().copied().fold(f64::MIN, f64::max);
    println!("\n== {title}");
    for (c, gib) in contenders.iter().zip(&medians) {
        println!(
            "  {:<44} {:>8.2} GiB/s   {:>5.2}x of best",
            c.name,
            gib,
            gib / best
        );
    }
    medians
}

// The same deterministic input generator the tests use.
#[path = "../../tests/common/mod.rs"]
mod common;
pub use common::bytes;

/// True when criterion is skipped: only the ratio tables are wanted (`BENCH_QUICK=1`), or
/// the bench runs as a smoke check under `cargo test`.
pub fn quick() -> bool {
    smoke() || std::env::var_os("BENCH_QUICK").is_some()
}

/// True unless run by `cargo bench` (which passes `--bench`): under `cargo test` every
/// contender runs once as a check, and nothing is timed.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}
