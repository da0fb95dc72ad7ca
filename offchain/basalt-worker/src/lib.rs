//! The compute worker.
//!
//! - `plan.rs`: what to do next about one job, from the chain's view of it, the worker's own
//!   journal and the clock (pure: no I/O).
//! - `journal.rs`: the durable record of each result the worker committed to, with its salt,
//!   written before the commitment is sent, so a restarted worker still reveals.
//! - `solana.rs`: the Solana program's Job account as the planner reads it.

pub mod journal;
pub mod plan;
pub mod solana;

pub use journal::{Journal, JournalError, Pledge};
pub use plan::{next_step, JobView, MyPlace, Step, WorkerLimits};
