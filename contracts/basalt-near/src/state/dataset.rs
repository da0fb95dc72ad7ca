//! Datasets and their versions (the Solana program's `state::dataset` and
//! `state::version`; rules in `basalt_rules`'s dataset module). A dataset is keyed by
//! `basalt_proof::dataset_id(owner, name)`, a version by `basalt_proof::version_key(dataset,
//! tag)`: 32-byte names like the Solana accounts' addresses.

use near_sdk::json_types::Base64VecU8;
use near_sdk::{near, AccountId};

use super::Digest;

/// A dataset. It is never removed: its versions, which stay in the history, name it.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    pub owner: AccountId,
    // INV: passes basalt_rules::check_dataset_name
    pub name: String,
    /// Anyone may read its versions' manifests and files.
    pub public: bool,
    /// Versions published so far; the next one is numbered this.
    pub versions: u64,
    /// The key of the version published last (retracted or not).
    pub latest: Option<Digest>,
    pub created_block: u64,
}

/// Roles on one dataset for one account: READ, WRITE (publish), DELETE (retract); ADMIN
/// (all three) also grants.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetGrant {
    // INV: passes basalt_rules::check_grant_roles
    pub roles: u8,
    /// Unix time (seconds) after which the grant no longer applies; `None` = never.
    pub expires_at: Option<u64>,
    /// The dataset's key sealed to the grantee's X25519 key.
    pub wrapped_key: Base64VecU8,
    /// Who signed the grant (the owner or an ADMIN grantee); paid its storage and gets it
    /// back on revoke.
    pub granted_by: AccountId,
}

impl DatasetGrant {
    /// The grant's roles at unix time `now` (seconds): none once expired.
    pub fn roles_at(&self, now: u64) -> u8 {
        if self.expires_at.is_some_and(|t| now >= t) {
            0
        } else {
            self.roles
        }
    }
}

/// A job, as a version's derivation names it.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRef {
    pub requester: AccountId,
    pub nonce: u64,
}

/// One version of a dataset; never changed but for its retraction, nor removed.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub dataset: Digest,
    // INV: passes basalt_rules::check_version_tag
    pub tag: String,
    /// Its place in the dataset's history.
    pub seq: u64,
    /// BLAKE3 of the canonical manifest bytes: the version's id.
    pub version_id: Digest,
    /// The blob storing the manifest, owned by the publisher or the dataset's owner.
    pub manifest_blob: Digest,
    /// Parent versions' keys, each read when published (so each existed, unretracted).
    // INV: at most basalt_rules::MAX_VERSION_PARENTS, no duplicates
    pub parents: Vec<Digest>,
    /// The job the version's output came from, checked when published.
    pub job: Option<JobRef>,
    pub message: String,
    pub publisher: AccountId,
    pub block: u64,
    /// A tombstone: the version stays in the history but is not built on.
    pub retracted: bool,
    pub retracted_block: u64,
}
