//! Every PDA seed prefix of the program, in one place. Off-chain code derives addresses with
//! the helpers in `client::pda`, which use these same constants.

/// `["config"]`: the single [`crate::state::Config`]; also the authority of every vault.
pub const CONFIG: &[u8] = b"config";
/// `["stake_vault"]`: token account holding every provider's stake.
pub const STAKE_VAULT: &[u8] = b"stake_vault";
/// `["escrow_vault"]`: token account holding deal and job escrow.
pub const ESCROW_VAULT: &[u8] = b"escrow_vault";
/// `["treasury"]`: token account receiving slashed stake (minus the cranker's bounty).
pub const TREASURY: &[u8] = b"treasury";
/// `["provider", authority]`.
pub const PROVIDER: &[u8] = b"provider";
/// `["blob", owner, cid_digest]` (the 32-byte BLAKE3 digest the blob's CID wraps): one
/// owner's registration of some content. The address is the blob's id off chain.
pub const BLOB: &[u8] = b"blob";
/// `["grant", blob, grantee]`.
pub const GRANT: &[u8] = b"grant";
/// `["deal", blob]`.
pub const DEAL: &[u8] = b"deal";
/// `["job", requester, nonce (u64 LE)]`.
pub const JOB: &[u8] = b"job";
/// `["dataset", owner, name]`: a named dataset (the name is at most 32 bytes).
pub const DATASET: &[u8] = b"dataset";
/// `["dataset_grant", dataset, grantee]`.
pub const DATASET_GRANT: &[u8] = b"dataset_grant";
/// `["version", dataset, tag]`: one version of a dataset (the tag is at most 32 bytes).
pub const VERSION: &[u8] = b"version";

/// A name or tag as a seed. Valid ones (`basalt_rules::check_dataset_name`) are at most
/// 32 bytes; a longer one is cut so deriving its address cannot fail before the handler
/// refuses it with a clear error.
pub fn label(s: &str) -> &[u8] {
    let b = s.as_bytes();
    &b[..b.len().min(32)]
}
