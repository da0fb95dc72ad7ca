//! Access control. How an off-chain node decides whether `requester` may read blob `B` on
//! NEAR (the same rules as the Solana program's `state::grant`):
//!
//! 1. `blob(B)`: missing or not `active`: deny. `expiry_epoch <= current epoch`: deny.
//!    `owner == requester`: allow. `public`: allow.
//! 2. `grant(B, requester)`: exists, `roles & READ != 0`, and `expires_at` is `None` or
//!    later than the block time: allow.
//! 3. `token_gate` set: `ft_balance_of(requester)` on the gate's token contract is at least
//!    `min_balance`: allow.
//! 4. Otherwise deny.

use near_sdk::json_types::Base64VecU8;
use near_sdk::{near, AccountId};

pub const ROLE_READ: u8 = 1;
pub const ROLE_WRITE: u8 = 2;
pub const ROLE_DELETE: u8 = 4;
pub const ROLE_ADMIN: u8 = ROLE_READ | ROLE_WRITE | ROLE_DELETE;

/// A sealed box of a 32-byte key is 80 bytes; the key material and salt make 96.
pub const MAX_WRAPPED_KEY_LEN: usize = 128;

/// Roles on one blob for one account (the Solana program's `["grant", blob, grantee]`).
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Bits of ROLE_READ | ROLE_WRITE | ROLE_DELETE.
    // INV: non-zero, within ROLE_ADMIN
    pub roles: u8,
    /// Unix time (seconds) after which the grant no longer applies; `None` = never.
    /// Seconds, as on Solana, so clients share one expiry value for both chains.
    pub expires_at: Option<u64>,
    /// The blob's data key sealed to the grantee's X25519 key.
    pub wrapped_key: Base64VecU8,
    /// Who signed the grant (the owner or an ADMIN grantee); paid its storage and gets it
    /// back on revoke.
    pub granted_by: AccountId,
}

impl Grant {
    /// Whether the grant's expiry has passed at unix time `now` (seconds).
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|t| now >= t)
    }
}
