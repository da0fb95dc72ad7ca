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
        Self::up_to(
            stake,
            unbonding,
            bps_of(stake.saturating_add(unbonding), bps),
        )
    }

    /// `amount`, or all of `stake + unbonding` when they hold less.
    pub fn up_to(stake: u128, unbonding: u128, amount: u128) -> Self {
        let from_stake = amount.min(stake);
        let from_unbonding = (amount - from_stake).min(unbonding);
        Self {
            amount: from_stake + from_unbonding,
            from_stake,
            from_unbonding,
        }
    }
}

/// The slashes a provider suffered in the latest epoch it was slashed in. A node that loses
/// its disk misses the proofs of every shard it holds at once; without a cap one fault would
/// cost its whole stake in a single epoch, however many blobs it held, and a stranger who
/// forced placements on it would multiply the loss at will. Beyond the configuration's
/// `max_slashes_per_epoch` a missed proof still jails the provider and sends the shard to
/// repair, but takes no stake (and pays no bounty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlashCounter {
    /// Epoch of the latest counted slash.
    pub epoch: u64,
    // INV: count <= the configuration's max_slashes_per_epoch when it was counted
    pub count: u16,
}

impl SlashCounter {
    /// Counts a slash executed in `epoch` (the chain's current epoch, which never goes back)
    /// and says whether it may take stake: `false` once the provider already suffered `cap`
    /// slashes in that epoch, in which case nothing is counted.
    pub fn record(&mut self, epoch: u64, cap: u16) -> bool {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.count = 0;
        }
        if self.count >= cap {
            return false;
        }
        self.count += 1;
        true
    }
}

/// Checks that a provider with `open_obligations` (accepted shard slots, job places) keeps
/// at least `min_stake` bonded: `bonded_after` is its bonded stake once an unstake or a
/// withdrawal went through. Stake backs obligations; a provider cannot take it away and
/// leave the obligations unsecured. Without obligations any amount may go.
///
/// # Errors
///
/// [`RuleError::ObligationsOpen`].
pub fn check_stake_kept(
    bonded_after: u128,
    min_stake: u128,
    open_obligations: u32,
) -> Result<(), RuleError> {
    if open_obligations > 0 && bonded_after < min_stake {
        return Err(RuleError::ObligationsOpen);
    }
    Ok(())
}

/// Checks that a provider may deregister (its record closed, the rent or storage back to
/// it): nothing bonded or unbonding is left in the vault for it, and it carries no
/// obligation. A record that still backs anything stays.
///
/// # Errors
///
/// [`RuleError::ObligationsOpen`] or [`RuleError::StakeRemaining`].
pub fn check_deregister(
    stake: u128,
    unbonding: u128,
    open_obligations: u32,
) -> Result<(), RuleError> {
    if open_obligations > 0 {
        return Err(RuleError::ObligationsOpen);
    }
    if stake > 0 || unbonding > 0 {
        return Err(RuleError::StakeRemaining);
    }
    Ok(())
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
    fn slashes_per_epoch_are_capped() {
        for cap in 1..=crate::MAX_SLASHES_PER_EPOCH_LIMIT {
            let mut counter = SlashCounter::default();
            let taken = (0..10).filter(|_| counter.record(7, cap)).count();
            assert_eq!(
                taken,
                usize::from(cap),
                "ten misses in one epoch, cap {cap}"
            );
            assert_eq!(counter.count, cap);
            assert!(counter.record(8, cap), "a new epoch starts a new count");
            assert_eq!(counter, SlashCounter { epoch: 8, count: 1 });
        }
    }

    #[test]
    fn stake_stays_while_obligations_stay() {
        assert_eq!(check_stake_kept(1_000, 1_000, 3), Ok(()));
        assert_eq!(
            check_stake_kept(999, 1_000, 1),
            Err(RuleError::ObligationsOpen)
        );
        assert_eq!(check_stake_kept(0, 1_000, 0), Ok(()), "nothing to secure");
    }

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

    #[test]
    fn a_fixed_charge_takes_what_there_is() {
        assert_eq!(
            Slash::up_to(100, 900, 250),
            Slash {
                amount: 250,
                from_stake: 100,
                from_unbonding: 150
            }
        );
        assert_eq!(
            Slash::up_to(100, 50, 250),
            Slash {
                amount: 150,
                from_stake: 100,
                from_unbonding: 50
            },
            "no more than the provider holds"
        );
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

        #[test]
        fn a_fixed_charge_never_takes_more_than_asked_or_held(stake: u64, unbonding: u64, amount: u64) {
            let s = Slash::up_to(stake.into(), unbonding.into(), amount.into());
            prop_assert_eq!(s.from_stake + s.from_unbonding, s.amount);
            prop_assert!(s.from_stake <= u128::from(stake));
            prop_assert!(s.from_unbonding <= u128::from(unbonding));
            let total = u128::from(stake) + u128::from(unbonding);
            prop_assert_eq!(s.amount, total.min(amount.into()));
        }
    }

    #[test]
    fn only_a_provider_with_nothing_left_deregisters() {
        assert_eq!(check_deregister(0, 0, 0), Ok(()));
        assert_eq!(check_deregister(1, 0, 0), Err(RuleError::StakeRemaining));
        assert_eq!(check_deregister(0, 1, 0), Err(RuleError::StakeRemaining));
        assert_eq!(check_deregister(0, 0, 1), Err(RuleError::ObligationsOpen));
    }
}
