//! The compute worker.
//!
//! - `plan.rs`: what to do next about one job, from the chain's view of it, the worker's own
//!   journal and the clock (pure: no I/O).
//! - `journal.rs`: the durable record of each result the worker committed to, with its salt,
//!   written before the commitment is sent, so a restarted worker still reveals.
//! - `solana.rs`: the Solana program's Job account as the planner reads it.
//! - `metrics.rs`: what it did, for Prometheus.
//! - `worker.rs`: the loop that reads the jobs, plans each and takes the step: fetches
//!   module and input through the SDK, runs them in `basalt-sandbox`, journals, commits,
//!   reveals, finalizes and settles.

pub mod journal;
pub mod metrics;
pub mod plan;
pub mod solana;
pub mod worker;

pub use journal::{Journal, JournalError, Pledge};
pub use plan::{next_step, JobView, MyPlace, Step, WorkerLimits};
pub use worker::{Action, Worker, WorkerConfig, WorkerError};
