//! Who may read a blob: the rule a storage node applies before serving shards, written once.
//! Each chain gathers the facts from its own records (Solana accounts, the NEAR contract's
//! state) and asks [`decide_read`]; a node on either chain gets the same decision.
//!
//! The rules, in order: a blob must be registered, fully placed and unexpired; then its owner,
//! anyone if it is public, a holder of an unexpired READ grant, or a holder of at least the
//! token gate's minimum balance may read.

/// Why a node may or may not serve a blob to a requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadDecision {
    /// The requester owns the blob.
    Owner,
    /// The blob is public.
    Public,
    /// The requester holds an unexpired READ grant.
    Grant,
    /// The requester holds enough of the gate's token.
    TokenGate,
    /// No blob record: never registered, or deleted.
    DenyUnregistered,
    /// Registered but placement is not complete yet.
    DenyInactive,
    /// The blob's paid storage ended.
    DenyExpired,
    /// None of the rules admits the requester.
    Deny,
}

impl ReadDecision {
    /// Whether the decision admits the requester.
    pub fn allowed(self) -> bool {
        matches!(
            self,
            Self::Owner | Self::Public | Self::Grant | Self::TokenGate
        )
    }
}

/// What the read rule looks at, for one blob and one requester.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadFacts {
    /// The blob has a record on chain.
    pub registered: bool,
    /// Every index of it is placed, on the column roots its commitment names (its holders
    /// need not all have accepted yet: the data is readable as soon as it is stored).
    pub placed: bool,
    /// Its paid storage ended.
    pub expired: bool,
    /// The requester is its owner.
    pub owner: bool,
    pub public: bool,
    /// The requester holds an unexpired grant with the READ role.
    pub read_grant: bool,
}

/// The requester's standing with the blob's token gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateBalance {
    /// The blob has no token gate.
    NoGate,
    /// The blob has one, and the requester's balance was not fetched: denies.
    Unknown,
    /// The requester's balance of the gate's token, and the minimum the gate asks.
    Known { balance: u128, min_balance: u128 },
}

/// The decision of every rule but the token gate: `None` when only the gate can still admit
/// the requester (the NEAR contract's view stops there, since balances live in another
/// contract).
pub fn decide_read_before_gate(facts: &ReadFacts) -> Option<ReadDecision> {
    if !facts.registered {
        return Some(ReadDecision::DenyUnregistered);
    }
    if !facts.placed {
        return Some(ReadDecision::DenyInactive);
    }
    if facts.expired {
        return Some(ReadDecision::DenyExpired);
    }
    if facts.owner {
        return Some(ReadDecision::Owner);
    }
    if facts.public {
        return Some(ReadDecision::Public);
    }
    if facts.read_grant {
        return Some(ReadDecision::Grant);
    }
    None
}

/// The whole read rule.
pub fn decide_read(facts: &ReadFacts, gate: GateBalance) -> ReadDecision {
    decide_read_before_gate(facts).unwrap_or(match gate {
        GateBalance::Known {
            balance,
            min_balance,
        } if balance >= min_balance => ReadDecision::TokenGate,
        _ => ReadDecision::Deny,
    })
}

/// Checks that a blob may be deleted as far as its grants go: none is left. A blob's
/// address is its content digest, so a grant that outlived its blob would give its grantee
/// rights on whoever registers the same content next; the grants are revoked first (their
/// rent back to their payers), and a deletion never leaves one behind.
///
/// # Errors
///
/// [`crate::RuleError::GrantsOpen`] while `open_grants > 0`.
pub fn check_no_grants(open_grants: u32) -> Result<(), crate::RuleError> {
    if open_grants > 0 {
        return Err(crate::RuleError::GrantsOpen);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: ReadFacts = ReadFacts {
        registered: true,
        placed: true,
        expired: false,
        owner: false,
        public: false,
        read_grant: false,
    };

    #[test]
    fn rules_apply_in_order() {
        let none = GateBalance::NoGate;
        let rich = GateBalance::Known {
            balance: 5,
            min_balance: 5,
        };
        assert_eq!(
            decide_read(&ReadFacts::default(), rich),
            ReadDecision::DenyUnregistered
        );
        let inactive = ReadFacts {
            placed: false,
            owner: true,
            ..LIVE
        };
        assert_eq!(decide_read(&inactive, none), ReadDecision::DenyInactive);
        let expired = ReadFacts {
            expired: true,
            owner: true,
            ..LIVE
        };
        assert_eq!(decide_read(&expired, none), ReadDecision::DenyExpired);
        let owned = ReadFacts {
            owner: true,
            public: true,
            ..LIVE
        };
        assert_eq!(decide_read(&owned, none), ReadDecision::Owner);
        let public = ReadFacts {
            public: true,
            read_grant: true,
            ..LIVE
        };
        assert_eq!(decide_read(&public, none), ReadDecision::Public);
        let granted = ReadFacts {
            read_grant: true,
            ..LIVE
        };
        assert_eq!(decide_read(&granted, rich), ReadDecision::Grant);
        assert_eq!(decide_read(&LIVE, rich), ReadDecision::TokenGate);
        assert_eq!(decide_read_before_gate(&LIVE), None);
        let poor = GateBalance::Known {
            balance: 4,
            min_balance: 5,
        };
        for gate in [none, poor, GateBalance::Unknown] {
            assert_eq!(decide_read(&LIVE, gate), ReadDecision::Deny, "{gate:?}");
        }
        assert!(!ReadDecision::Deny.allowed() && ReadDecision::TokenGate.allowed());
    }

    #[test]
    fn a_blob_with_grants_is_not_deleted() {
        assert_eq!(check_no_grants(0), Ok(()));
        assert_eq!(check_no_grants(1), Err(crate::RuleError::GrantsOpen));
    }
}
