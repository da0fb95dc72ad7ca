//! Program accounts, one file each.

pub mod blob;
pub mod config;
pub mod dataset;
pub mod deal;
pub mod grant;
pub mod job;
pub mod provider;
pub mod version;

pub use blob::*;
pub use config::*;
pub use dataset::*;
pub use deal::*;
pub use grant::*;
pub use job::*;
pub use provider::*;
pub use version::*;
