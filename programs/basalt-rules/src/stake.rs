//! Fractions of amounts, and how a slash is taken from a provider's tokens.

use crate::limits::BPS;
use crate::RuleError;

/// `bps / BPS` of `amount`, rounded down; never more than `amount`.
pub fn bps_of(amount: u128, bps: u16) -> u128 {
    let bps = u128::from(bps.min(BPS));
    // The product fits for every amount below 2^114 (token supplies are far below that);
    // a larger amount is divided first, which still gives at most `amount`.
    amount
        .checked_mul(bps)
        .map_or(amount / u128::from(BPS) * bps, |x| x / u128::from(BPS))
}

/// A slash of a provider's slashable tokens: bonded stake first, then stake still
/// unbonding (which stays slashable until withdrawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slash {
    /// The whole amount taken.
    pub amount: u128,
    // INV: from_stake + from_unbonding == amount, from_stake <= stake and
    // from_unbonding <= unbonding of the inputs.
    pub from_stake: u128,
    pub from_unbonding: u128,
}

impl Slash {
    /// `bps` of `stake + unbonding`.
    pub fn of(stake: u128, unbonding: u128, bps: u16) -> Self {
        let amount = bps_of(stake.saturating_add(unbonding), bps);
        let from_stake = amount.min(stake);
        Self {
            amount,
            from_stake,
            // amount <= stake + unbonding, so the rest fits in unbonding.
            from_unbonding: (amount - from_stake).min(unbonding),
        }
    }
}

/// Checks who collects a slash's bounty: anyone but the slashed provider itself, which would
/// otherwise take part of its own penalty back by cranking it first.
///
/// # Errors
///
/// [`RuleError::SelfSlash`] when the caller is the slashed provider.
pub fn check_slasher(caller_is_slashed: bool) -> Result<(), RuleError> {
    if caller_is_slashed {
        Err(RuleError::SelfSlash)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fractions_round_down_and_stay_within_the_amount() {
        assert_eq!(bps_of(1_000, 2_500), 250);
        assert_eq!(bps_of(999, 1), 0);
        assert_eq!(bps_of(u128::MAX, BPS), u128::MAX / 10_000 * 10_000);
        assert_eq!(bps_of(100, 20_000), 100, "above 100 % is capped");
    }

    #[test]
    fn a_slash_takes_bonded_stake_first() {
        assert_eq!(
            Slash::of(1_000, 500, 5_000),
            Slash {
                amount: 750,
                from_stake: 750,
                from_unbonding: 0
            }
        );
        assert_eq!(
            Slash::of(100, 900, 5_000),
            Slash {
                amount: 500,
                from_stake: 100,
                from_unbonding: 400
            }
        );
        assert_eq!(Slash::of(0, 0, BPS).amount, 0);
    }

    proptest! {
        #[test]
        fn a_slash_never_takes_more_than_there_is(stake: u64, unbonding: u64, bps in 0u16..=BPS) {
            let s = Slash::of(stake.into(), unbonding.into(), bps);
            prop_assert_eq!(s.from_stake + s.from_unbonding, s.amount);
            prop_assert!(s.from_stake <= u128::from(stake));
            prop_assert!(s.from_unbonding <= u128::from(unbonding));
            // For u64 amounts the product never overflows: exactly the fraction.
            let total = u128::from(stake) + u128::from(unbonding);
            prop_assert_eq!(s.amount, total * u128::from(bps) / u128::from(BPS));
        }
    }
}
