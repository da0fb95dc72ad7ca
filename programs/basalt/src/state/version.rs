//! A dataset's version: `["version", dataset, tag]`. The address makes the tag unique in
//! its dataset; the account is never changed but for its retraction, nor closed.

use anchor_lang::prelude::*;

use basalt_rules::{MAX_VERSION_MESSAGE_LEN, MAX_VERSION_PARENTS, MAX_VERSION_TAG_LEN};

#[account]
#[derive(InitSpace, Debug)]
pub struct Version {
    pub dataset: Pubkey,
    // INV: passes basalt_rules::check_version_tag; it is the address's seed
    #[max_len(MAX_VERSION_TAG_LEN)]
    pub tag: String,
    /// Its place in the dataset's history: the dataset's `versions` when published.
    pub seq: u64,
    /// BLAKE3 of the canonical manifest bytes (`basalt_core::dataset`): the version's id.
    // INV: non-zero
    pub version_id: [u8; 32],
    /// The Blob account storing the manifest, owned by the publisher or the dataset's owner.
    pub manifest_blob: Pubkey,
    /// Parent Version accounts (none for a first version, two or more for a merge), each
    /// read by the program when published, so each existed and was not retracted.
    // INV: at most MAX_VERSION_PARENTS, no duplicates
    #[max_len(MAX_VERSION_PARENTS)]
    pub parents: Vec<Pubkey>,
    /// The job this version's output came from, checked when published: it succeeded, its
    /// output was stored, and it was the publisher's or the dataset owner's.
    pub job: Option<Pubkey>,
    #[max_len(MAX_VERSION_MESSAGE_LEN)]
    pub message: String,
    pub publisher: Pubkey,
    pub slot: u64,
    /// A tombstone: the version stays in the history but is not built on or pulled by
    /// default.
    pub retracted: bool,
    pub retracted_slot: u64,
    pub bump: u8,
}
