//! Access control. How an off-chain node decides whether `requester` may read blob `B`
//! (this is exactly what `basalt-node`'s chain ACL reads; nothing else is consulted):
//!
//! 1. The Blob account `["blob", owner, cid_digest]`. Missing, or `active == false`: deny.
//!    `expiry_epoch <= current epoch`: deny. `owner == requester`: allow. `public`: allow.
//! 2. The Grant account `["grant", B, requester]`. If it exists, `roles & READ != 0`, and
//!    `expires_at` is `None` or later than the cluster's unix time: allow.
//! 3. If `token_gate` is set: the requester's SPL token accounts of `token_gate.mint`
//!    (`getTokenAccountsByOwner` with that mint). If their summed balance is at least
//!    `token_gate.min_balance`: allow.
//! 4. Otherwise deny.
//!
//! A grant also carries the blob's data key wrapped for the grantee: a reader that passes
//! by a grant can decrypt; a reader admitted by `public` or a token gate gets ciphertext
//! unless the owner published the key elsewhere (public blobs are usually stored plain).

use anchor_lang::prelude::*;

use crate::errors::BasaltError;

pub use basalt_rules::{MAX_WRAPPED_KEY_LEN, ROLE_ADMIN, ROLE_DELETE, ROLE_READ, ROLE_WRITE};

/// Roles on one blob for one key: `["grant", blob, grantee]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Grant {
    pub blob: Pubkey,
    pub grantee: Pubkey,
    /// Bits of ROLE_READ | ROLE_WRITE | ROLE_DELETE.
    // INV: non-zero, within ROLE_ADMIN
    pub roles: u8,
    /// Unix time after which the grant no longer applies; `None` = never.
    pub expires_at: Option<i64>,
    /// The blob's data key sealed to the grantee's X25519 key.
    #[max_len(MAX_WRAPPED_KEY_LEN)]
    pub wrapped_key: Vec<u8>,
    /// Who signed the grant (the owner or an ADMIN grantee).
    pub granted_by: Pubkey,
    /// Who paid the rent; gets it back on revoke.
    pub payer: Pubkey,
    pub bump: u8,
}

impl Grant {
    /// Whether the grant holds every bit of `roles` at unix time `now`.
    pub fn allows(&self, roles: u8, now: i64) -> bool {
        self.roles & roles == roles && !self.is_expired(now)
    }

    /// Whether the grant's expiry has passed at unix time `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| now >= t)
    }
}

/// Checks that `signer` may act on `blob` with `roles`: it is the owner, or `grant` is its
/// unexpired grant on this blob holding every bit of `roles`.
///
/// # Errors
///
/// [`BasaltError::GrantExpired`] for an expired grant, [`BasaltError::Unauthorized`]
/// otherwise.
pub fn authorize(
    blob: &Account<crate::state::Blob>,
    signer: &Pubkey,
    grant: Option<&Account<Grant>>,
    roles: u8,
) -> Result<()> {
    if blob.owner == *signer {
        return Ok(());
    }
    let grant = grant.ok_or(BasaltError::Unauthorized)?;
    require!(
        grant.blob == blob.key() && grant.grantee == *signer && grant.roles & roles == roles,
        BasaltError::Unauthorized
    );
    require!(
        !grant.is_expired(Clock::get()?.unix_timestamp),
        BasaltError::GrantExpired
    );
    Ok(())
}
