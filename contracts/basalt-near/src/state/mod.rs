//! The contract's records, one file per kind (the Solana program's accounts).

mod blob;
mod config;
mod dataset;
mod deal;
mod grant;
mod job;
mod provider;

pub use blob::*;
pub use config::*;
pub use dataset::*;
pub use deal::*;
pub use grant::*;
pub use job::*;
pub use provider::*;
