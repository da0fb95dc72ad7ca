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
