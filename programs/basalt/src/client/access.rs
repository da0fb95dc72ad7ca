//! The read decision of `state/grant.rs` from the accounts a node fetched: the facts are
//! read off the Solana accounts here, and the rule itself is `basalt_rules::decide_read`,
//! the one the NEAR contract applies too.

use anchor_lang::prelude::Pubkey;

pub use basalt_rules::ReadDecision;
use basalt_rules::{decide_read, GateBalance, ReadFacts};

use crate::state::{Blob, Grant, ROLE_READ};

/// Decides whether `requester` may read `blob` at (`slot`, `unix_now`).
///
/// `grant` is the account at `["grant", blob, requester]` if it exists, and
/// `gate_balance` the requester's summed balance of the gate mint (only consulted when the
/// blob has a token gate; pass `None` when it was not fetched, which denies).
pub fn may_read(
    blob: Option<&Blob>,
    blob_address: &Pubkey,
    requester: &Pubkey,
    grant: Option<&Grant>,
    gate_balance: Option<u64>,
    slot: u64,
    unix_now: i64,
) -> ReadDecision {
    let Some(blob) = blob else {
        return decide_read(&ReadFacts::default(), GateBalance::NoGate);
    };
    let facts = ReadFacts {
        registered: true,
        placed: blob.is_placed(),
        expired: blob.expiry_epoch <= blob.epoch_at(slot),
        owner: blob.owner == *requester,
        public: blob.public,
        read_grant: grant.is_some_and(|g| {
            g.blob == *blob_address && g.grantee == *requester && g.allows(ROLE_READ, unix_now)
        }),
    };
    let gate = match (&blob.token_gate, gate_balance) {
        (None, _) => GateBalance::NoGate,
        (Some(_), None) => GateBalance::Unknown,
        (Some(gate), Some(balance)) => GateBalance::Known {
            balance: u128::from(balance),
            min_balance: u128::from(gate.min_balance),
        },
    };
    decide_read(&facts, gate)
}

/// Whether `requester` may act on `blob` with every bit of `roles` (owner, or an
/// unexpired grant holding them): the rule the program's own `authorize` applies.
pub fn may_act(
    blob: &Blob,
    blob_address: &Pubkey,
    requester: &Pubkey,
    grant: Option<&Grant>,
    roles: u8,
    unix_now: i64,
) -> bool {
    blob.owner == *requester
        || grant.is_some_and(|g| {
            g.blob == *blob_address && g.grantee == *requester && g.allows(roles, unix_now)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{TokenGate, ROLE_WRITE};

    const EPOCH_SLOTS: u64 = 100;

    fn blob(owner: Pubkey) -> Blob {
        Blob {
            owner,
            cid_digest: [1; 32],
            size: 1,
            chunk_size: 1 << 20,
            leaf_size: 64,
            k: 1,
            m: 1,
            chunk_count: 1,
            commitment_root: [0; 32],
            expiry_epoch: 10,
            created_slot: 0,
            epoch_slots: EPOCH_SLOTS,
            proof_window_slots: 10,
            public: false,
            encrypted: false,
            token_gate: None,
            active: true,
            grant_count: 0,
            writer: None,
            bump: 255,
            shards: vec![],
        }
    }

    fn grant(blob: Pubkey, grantee: Pubkey, roles: u8, expires_at: Option<i64>) -> Grant {
        Grant {
            blob,
            grantee,
            roles,
            expires_at,
            wrapped_key: vec![],
            granted_by: Pubkey::default(),
            payer: Pubkey::default(),
            bump: 255,
        }
    }

    #[test]
    fn every_rule_of_the_documented_order() {
        let (owner, reader, address) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let b = blob(owner);
        let read = |b: Option<&Blob>, who: &Pubkey, g: Option<&Grant>, bal, slot| {
            may_read(b, &address, who, g, bal, slot, 1_000)
        };
        assert_eq!(
            read(None, &owner, None, None, 0),
            ReadDecision::DenyUnregistered
        );
        assert_eq!(read(Some(&b), &owner, None, None, 0), ReadDecision::Owner);
        assert_eq!(
            read(Some(&b), &owner, None, None, 10 * EPOCH_SLOTS),
            ReadDecision::DenyExpired
        );
        assert_eq!(read(Some(&b), &reader, None, None, 0), ReadDecision::Deny);

        let ok = grant(address, reader, ROLE_READ, Some(1_001));
        assert_eq!(
            read(Some(&b), &reader, Some(&ok), None, 0),
            ReadDecision::Grant
        );
        let expired = grant(address, reader, ROLE_READ, Some(1_000));
        let write_only = grant(address, reader, ROLE_WRITE, None);
        let other_blob = grant(Pubkey::new_unique(), reader, ROLE_READ, None);
        for g in [&expired, &write_only, &other_blob] {
            assert_eq!(
                read(Some(&b), &reader, Some(g), None, 0),
                ReadDecision::Deny
            );
        }

        let mut gated = blob(owner);
        gated.token_gate = Some(TokenGate {
            mint: Pubkey::new_unique(),
            min_balance: 5,
        });
        assert_eq!(
            read(Some(&gated), &reader, None, Some(5), 0),
            ReadDecision::TokenGate
        );
        assert_eq!(
            read(Some(&gated), &reader, None, Some(4), 0),
            ReadDecision::Deny
        );
        assert_eq!(
            read(Some(&gated), &reader, None, None, 0),
            ReadDecision::Deny
        );

        let mut public = blob(owner);
        public.public = true;
        assert_eq!(
            read(Some(&public), &reader, None, None, 0),
            ReadDecision::Public
        );
        public.shards = vec![crate::state::ShardSlot::default()];
        assert_eq!(
            read(Some(&public), &owner, None, None, 0),
            ReadDecision::DenyInactive
        );
    }

    #[test]
    fn acting_needs_every_role_bit() {
        let (owner, other, address) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let b = blob(owner);
        assert!(may_act(
            &b,
            &address,
            &owner,
            None,
            crate::state::ROLE_DELETE,
            0
        ));
        let g = grant(address, other, ROLE_READ | ROLE_WRITE, None);
        assert!(!may_act(
            &b,
            &address,
            &other,
            Some(&g),
            crate::state::ROLE_DELETE,
            0
        ));
        let g = grant(address, other, crate::state::ROLE_ADMIN, None);
        assert!(may_act(
            &b,
            &address,
            &other,
            Some(&g),
            crate::state::ROLE_DELETE,
            0
        ));
    }
}
