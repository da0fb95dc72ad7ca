//! Program-derived addresses, from the same seeds the program checks.

use anchor_lang::prelude::Pubkey;

use crate::{seeds, ID};

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &ID).0
}

pub fn config() -> Pubkey {
    find(&[seeds::CONFIG])
}

pub fn stake_vault() -> Pubkey {
    find(&[seeds::STAKE_VAULT])
}

pub fn escrow_vault() -> Pubkey {
    find(&[seeds::ESCROW_VAULT])
}

pub fn treasury() -> Pubkey {
    find(&[seeds::TREASURY])
}

pub fn provider(authority: &Pubkey) -> Pubkey {
    find(&[seeds::PROVIDER, authority.as_ref()])
}

/// The blob `owner` registered for the content whose CID wraps `cid_digest` (BLAKE3 of the
/// stored bytes). Its address is the blob's id off chain (`basalt_core::BlobId`).
pub fn blob(owner: &Pubkey, cid_digest: &[u8; 32]) -> Pubkey {
    find(&[seeds::BLOB, owner.as_ref(), cid_digest])
}

pub fn grant(blob: &Pubkey, grantee: &Pubkey) -> Pubkey {
    find(&[seeds::GRANT, blob.as_ref(), grantee.as_ref()])
}

pub fn deal(blob: &Pubkey) -> Pubkey {
    find(&[seeds::DEAL, blob.as_ref()])
}

pub fn job(requester: &Pubkey, nonce: u64) -> Pubkey {
    find(&[seeds::JOB, requester.as_ref(), &nonce.to_le_bytes()])
}

/// The dataset `owner` named `name` (a valid name: at most 32 bytes).
pub fn dataset(owner: &Pubkey, name: &str) -> Pubkey {
    find(&[seeds::DATASET, owner.as_ref(), seeds::label(name)])
}

pub fn dataset_grant(dataset: &Pubkey, grantee: &Pubkey) -> Pubkey {
    find(&[seeds::DATASET_GRANT, dataset.as_ref(), grantee.as_ref()])
}

/// The version of `dataset` tagged `tag` (a valid tag: at most 32 bytes).
pub fn version(dataset: &Pubkey, tag: &str) -> Pubkey {
    find(&[seeds::VERSION, dataset.as_ref(), seeds::label(tag)])
}

/// Anchor's event authority, the signer of `emit_cpi!` self-invocations.
pub fn event_authority() -> Pubkey {
    find(&[b"__event_authority"])
}
