//! Following the Solana program: [`follow`] lists and fetches the program's transactions over
//! standard JSON-RPC and writes them in batches; [`extract`] finds the `emit_cpi!` events in a
//! fetched transaction; [`payload`] turns each event into its stored form.

pub mod extract;
pub mod follow;
pub mod payload;

pub use follow::{FollowOptions, Follower};
