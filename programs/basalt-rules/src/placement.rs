//! When a shard index of a blob may be (re)placed on a provider.

use crate::RuleError;

/// What a shard index looks like when a placement names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotBeforePlacement {
    /// The blob is active: every index was placed and the commitment checked.
    pub blob_active: bool,
    /// The index's holder missed a proof and the index awaits repair.
    pub needs_repair: bool,
    /// The placement keeps the index's column root.
    pub same_column_root: bool,
    /// Proven epochs the deal has not paid yet.
    pub unpaid_epochs: u64,
}

/// Checks a placement of one shard index. Before activation any index may be placed again
/// (the owner completes or corrects the placement); after it, only an index awaiting repair,
/// with the same column root. Either way the index's proven epochs must be paid first:
/// they belong to the holder that proved them, never to the next one.
///
/// # Errors
///
/// [`RuleError::ShardNotRepairable`], [`RuleError::ColumnRootChanged`] or
/// [`RuleError::UnsettledPayouts`].
pub fn check_placement(slot: &SlotBeforePlacement) -> Result<(), RuleError> {
    if slot.blob_active {
        if !slot.needs_repair {
            return Err(RuleError::ShardNotRepairable);
        }
        if !slot.same_column_root {
            return Err(RuleError::ColumnRootChanged);
        }
    }
    if slot.unpaid_epochs != 0 {
        return Err(RuleError::UnsettledPayouts);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements() {
        let fresh = SlotBeforePlacement {
            blob_active: false,
            needs_repair: false,
            same_column_root: false,
            unpaid_epochs: 0,
        };
        assert_eq!(check_placement(&fresh), Ok(()));
        let owed = SlotBeforePlacement {
            unpaid_epochs: 1,
            ..fresh
        };
        assert_eq!(check_placement(&owed), Err(RuleError::UnsettledPayouts));
        let active = SlotBeforePlacement {
            blob_active: true,
            ..fresh
        };
        assert_eq!(check_placement(&active), Err(RuleError::ShardNotRepairable));
        let repair = SlotBeforePlacement {
            needs_repair: true,
            ..active
        };
        assert_eq!(check_placement(&repair), Err(RuleError::ColumnRootChanged));
        let same = SlotBeforePlacement {
            same_column_root: true,
            ..repair
        };
        assert_eq!(check_placement(&same), Ok(()));
        let same_owed = SlotBeforePlacement {
            unpaid_epochs: 2,
            ..same
        };
        assert_eq!(
            check_placement(&same_owed),
            Err(RuleError::UnsettledPayouts)
        );
    }
}
