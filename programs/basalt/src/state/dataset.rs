//! Datasets: `["dataset", owner, name]`, a named, owned series of versions (see
//! `state::version` and `basalt_rules`'s dataset rules), and the roles others hold on it,
//! `["dataset_grant", dataset, grantee]`.

use anchor_lang::prelude::*;

use super::MAX_WRAPPED_KEY_LEN;
use basalt_rules::{DatasetStanding, MAX_DATASET_NAME_LEN};

/// A dataset. It is never closed: its versions, which stay in the history, point at it.
#[account]
#[derive(InitSpace, Debug)]
pub struct Dataset {
    pub owner: Pubkey,
    // INV: passes basalt_rules::check_dataset_name; it is the address's seed
    #[max_len(MAX_DATASET_NAME_LEN)]
    pub name: String,
    /// Anyone may read its versions' manifests and files.
    pub public: bool,
    /// Versions published so far; the next one is numbered this.
    pub versions: u64,
    /// The version published last (retracted or not); the default key before the first.
    pub latest: Pubkey,
    pub created_slot: u64,
    pub bump: u8,
}

/// Roles on one dataset for one key: READ (read its versions, receive its key), WRITE
/// (publish versions), DELETE (retract versions); ADMIN (all three) also grants.
#[account]
#[derive(InitSpace, Debug)]
pub struct DatasetGrant {
    pub dataset: Pubkey,
    pub grantee: Pubkey,
    // INV: passes basalt_rules::check_grant_roles
    pub roles: u8,
    /// Unix time after which the grant no longer applies; `None` = never.
    pub expires_at: Option<i64>,
    /// The dataset's key sealed to the grantee's X25519 key (empty for a public dataset).
    #[max_len(MAX_WRAPPED_KEY_LEN)]
    pub wrapped_key: Vec<u8>,
    /// Who signed the grant (the owner or an ADMIN grantee).
    pub granted_by: Pubkey,
    /// Who paid the rent; gets it back on revoke.
    pub payer: Pubkey,
    pub bump: u8,
}

/// The standing of `signer` with `dataset` at unix time `now`: its owner, or the roles of
/// `grant` when that is its unexpired grant on this dataset.
pub fn dataset_standing(
    dataset: &Account<Dataset>,
    signer: &Pubkey,
    grant: Option<&Account<DatasetGrant>>,
    now: i64,
) -> DatasetStanding {
    let roles = grant
        .filter(|g| g.dataset == dataset.key() && g.grantee == *signer)
        .filter(|g| g.expires_at.is_none_or(|t| now < t))
        .map_or(0, |g| g.roles);
    DatasetStanding {
        owner: dataset.owner == *signer,
        roles,
    }
}
