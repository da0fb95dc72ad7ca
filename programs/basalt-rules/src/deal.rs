//! What a blob's deal obliges its holders to: a holder answers for a shard only while the
//! deal pays for it. An owner who cancels or drains the deal releases the holders with it,
//! and no owner can bind holders further ahead than the configuration allows.

use crate::RuleError;

/// Ceiling of a configuration's `max_deal_epochs`.
pub const MAX_DEAL_EPOCHS_LIMIT: u64 = 1_000_000;

/// Checks a blob's `expiry_epoch`, asked for at `current_epoch`: in the future, and at most
/// `max_deal_epochs` (a configuration parameter) ahead, so nobody signs up holders for an
/// unbounded time.
///
/// # Errors
///
/// [`RuleError::InvalidExpiry`].
pub fn check_expiry(
    current_epoch: u64,
    expiry_epoch: u64,
    max_deal_epochs: u64,
) -> Result<(), RuleError> {
    if expiry_epoch <= current_epoch || expiry_epoch - current_epoch > max_deal_epochs {
        return Err(RuleError::InvalidExpiry);
    }
    Ok(())
}

/// What a blob's deal holds when one of its shards is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealCover {
    /// Escrow not yet paid out.
    pub balance: u128,
    /// Paid to a holder for each proven epoch.
    pub price_per_shard_epoch: u128,
    /// Proven epochs of every shard of the blob not yet settled: the escrow owes them first.
    pub owed_epochs: u128,
}

impl DealCover {
    /// Whether the escrow holds at least one shard-epoch of pay.
    pub fn pays_an_epoch(&self) -> bool {
        self.price_per_shard_epoch > 0 && self.balance >= self.price_per_shard_epoch
    }

    /// Whether the deal still pays for the shard under judgement: after every proven epoch
    /// it owes, the escrow holds one more shard-epoch, the pay the holder would have
    /// earned for the epoch in question.
    pub fn funds_the_shard(&self) -> bool {
        self.price_per_shard_epoch > 0
            && self
                .owed_epochs
                .checked_add(1)
                .and_then(|epochs| epochs.checked_mul(self.price_per_shard_epoch))
                .is_some_and(|due| self.balance >= due)
    }
}

/// Checks that a missed proof of a shard whose holder accepted `accepted_price` per epoch
/// may be slashed: the blob has a deal (`None` once it was refunded or never funded), it
/// pays at least the accepted price (an owner who reopens the deal cheaper does not keep
/// the holder bound), and it still holds the pay for the shard.
///
/// # Errors
///
/// [`RuleError::DealLapsed`].
pub fn check_slashable(deal: Option<&DealCover>, accepted_price: u128) -> Result<(), RuleError> {
    match deal {
        Some(cover) if cover.price_per_shard_epoch >= accepted_price && cover.funds_the_shard() => {
            Ok(())
        }
        _ => Err(RuleError::DealLapsed),
    }
}

/// Checks that a holder who accepted `accepted_price` per epoch may release its shard
/// without penalty: the blob expired, or its deal lapsed (see [`check_slashable`]); and
/// what the deal can pay of the epochs it proved was settled first. Epochs a short escrow
/// cannot pay stay owed to the holder after the release (`deal_settle` pays them once
/// the deal is topped up; the index cannot be placed elsewhere before).
///
/// # Errors
///
/// [`RuleError::DealStillFunded`] or [`RuleError::UnsettledPayouts`].
pub fn check_release(
    deal: Option<&DealCover>,
    accepted_price: u128,
    unpaid_epochs: u64,
    expired: bool,
) -> Result<(), RuleError> {
    if !expired && check_slashable(deal, accepted_price).is_ok() {
        return Err(RuleError::DealStillFunded);
    }
    if unpaid_epochs > 0 && deal.is_some_and(DealCover::pays_an_epoch) {
        return Err(RuleError::UnsettledPayouts);
    }
    Ok(())
}

/// What `deal_settle` does with a shard's `unpaid_epochs` when its deal holds `balance` at
/// `price` per shard-epoch: pays as many as the balance covers and keeps the rest owed
/// (a later top-up pays them); never forfeits an earned epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub epochs_paid: u64,
    /// Proven epochs still unpaid after this settlement.
    pub epochs_owed: u64,
    // INV: amount == epochs_paid * price <= balance
    pub amount: u128,
}

impl Settlement {
    /// The settlement of `unpaid_epochs` from a deal of `balance` at `price`.
    pub fn of(unpaid_epochs: u64, balance: u128, price: u128) -> Self {
        let affordable = balance.checked_div(price).unwrap_or(0);
        let epochs_paid = u64::try_from(affordable).map_or(unpaid_epochs, |a| a.min(unpaid_epochs));
        Self {
            epochs_paid,
            epochs_owed: unpaid_epochs - epochs_paid,
            amount: u128::from(epochs_paid) * price,
        }
    }
}

/// A shard's unpaid proven epochs once a deal opens on its blob: none. A deal is refunded
/// only once every proven epoch it owed is settled, so whatever is unpaid when a new one
/// opens was proven while no deal existed; nobody promised to pay it, and the new deal's
/// price (chosen after the fact) must not back-pay it.
pub const fn unpaid_at_opening(_unpaid_epochs: u64) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_in_the_future_and_within_the_bound() {
        assert_eq!(check_expiry(10, 11, 5), Ok(()));
        assert_eq!(check_expiry(10, 15, 5), Ok(()));
        assert_eq!(check_expiry(10, 16, 5), Err(RuleError::InvalidExpiry));
        assert_eq!(check_expiry(10, 10, 5), Err(RuleError::InvalidExpiry));
        assert_eq!(check_expiry(10, 3, 5), Err(RuleError::InvalidExpiry));
        assert_eq!(
            check_expiry(0, u64::MAX, MAX_DEAL_EPOCHS_LIMIT),
            Err(RuleError::InvalidExpiry)
        );
    }

    #[test]
    fn a_shard_is_slashable_only_while_its_deal_pays_for_it() {
        let deal = |balance, owed_epochs| DealCover {
            balance,
            price_per_shard_epoch: 10,
            owed_epochs,
        };
        assert_eq!(check_slashable(Some(&deal(10, 0)), 10), Ok(()));
        assert_eq!(check_slashable(Some(&deal(40, 3)), 10), Ok(()));
        assert_eq!(
            check_slashable(Some(&deal(39, 3)), 10),
            Err(RuleError::DealLapsed),
            "the escrow is owed to the proofs already made"
        );
        assert_eq!(check_slashable(None, 10), Err(RuleError::DealLapsed));
        let free = DealCover {
            price_per_shard_epoch: 0,
            ..deal(100, 0)
        };
        assert_eq!(check_slashable(Some(&free), 0), Err(RuleError::DealLapsed));
        let huge = deal(u128::MAX, u128::MAX);
        assert_eq!(check_slashable(Some(&huge), 10), Err(RuleError::DealLapsed));
        assert_eq!(
            check_slashable(Some(&deal(1_000, 0)), 11),
            Err(RuleError::DealLapsed),
            "the deal pays less than the holder accepted"
        );
        assert_eq!(
            check_slashable(Some(&deal(1_000, 0)), 9),
            Ok(()),
            "a deal reopened at a higher price binds"
        );
    }

    #[test]
    fn a_settlement_pays_what_the_escrow_covers_and_keeps_the_rest_owed() {
        let s = Settlement::of(3, 25, 10);
        assert_eq!((s.epochs_paid, s.epochs_owed, s.amount), (2, 1, 20));
        let all = Settlement::of(3, 100, 10);
        assert_eq!((all.epochs_paid, all.epochs_owed, all.amount), (3, 0, 30));
        let none = Settlement::of(2, 9, 10);
        assert_eq!((none.epochs_paid, none.epochs_owed), (0, 2));
        let free = Settlement::of(2, 9, 0);
        assert_eq!((free.epochs_paid, free.epochs_owed, free.amount), (0, 2, 0));
    }

    #[test]
    fn only_a_lapsed_deal_releases_a_settled_holder() {
        let funded = DealCover {
            balance: 100,
            price_per_shard_epoch: 10,
            owed_epochs: 0,
        };
        let drained = DealCover {
            balance: 5,
            ..funded
        };
        assert_eq!(
            check_release(Some(&funded), 10, 0, false),
            Err(RuleError::DealStillFunded)
        );
        assert_eq!(check_release(Some(&funded), 10, 0, true), Ok(()), "expired");
        assert_eq!(
            check_release(Some(&funded), 10, 1, true),
            Err(RuleError::UnsettledPayouts),
            "expired, but paid first"
        );
        assert_eq!(check_release(Some(&drained), 10, 0, false), Ok(()));
        assert_eq!(
            check_release(Some(&drained), 10, 2, false),
            Ok(()),
            "nothing payable: the epochs stay owed after the release"
        );
        let short = DealCover {
            balance: 25,
            owed_epochs: 2,
            ..funded
        };
        assert_eq!(
            check_release(Some(&short), 10, 2, false),
            Err(RuleError::UnsettledPayouts),
            "settle what the escrow covers first"
        );
        assert_eq!(
            check_release(None, 10, 2, false),
            Ok(()),
            "nothing is left to pay them"
        );
        assert_eq!(
            check_release(Some(&funded), 11, 0, false),
            Ok(()),
            "the deal pays less than the holder accepted"
        );
    }
}
