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

use super::TokenGate;

pub use basalt_rules::{MAX_WRAPPED_KEY_LEN, ROLE_ADMIN, ROLE_DELETE, ROLE_READ, ROLE_WRITE};

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

/// What the `read_access` view answers: the Solana client's `ReadDecision`, with rule 3
/// handed back to the caller, since a view cannot call the token contract.
#[near(serializers = [json])]
#[serde(rename_all = "snake_case")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadAccess {
    /// The requester owns the blob.
    Owner,
    /// The blob is public.
    Public,
    /// The requester holds an unexpired READ grant.
    Grant,
    /// Rules 1 and 2 deny; the requester may still read if `ft_balance_of` on the gate's
    /// token is at least its `min_balance` (rule 3).
    Gated(TokenGate),
    /// No such blob: never registered, or deleted.
    DenyUnregistered,
    /// Registered but placement is not complete yet.
    DenyInactive,
    /// The blob's paid storage ended.
    DenyExpired,
    /// None of the rules admits the requester, and there is no token gate.
    Deny,
}

impl ReadAccess {
    /// Whether the contract alone admits the requester (a `Gated` answer does not).
    pub fn allowed(&self) -> bool {
        matches!(self, Self::Owner | Self::Public | Self::Grant)
    }
}
