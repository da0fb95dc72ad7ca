//! The contract's public methods, one file per noun (the Solana program's
//! `instructions/`, grouped): each method names the Solana instruction it mirrors.

mod blob;
mod config;
mod dataset;
mod deal;
mod grant;
mod job;
mod job_publication;
mod proof;
mod provider;

pub use blob::BlobRegisterArgs;
pub use dataset::VersionPublishArgs;
pub use job::{job_commitment, JobOutputArgs, JobPostArgs, JobPublicationArgs};
