//! A job's output, stored as a blob the requester owns and the job pays for.
//!
//! When posting, the requester escrows an output budget beside the rewards and names the
//! price per shard-epoch and a deadline. Once the job succeeded, one worker that revealed
//! the agreed result registers the output blob: the chain records it under the requester
//! and opens its deal with the budget (the requester is the deal's payer, so a refund goes
//! back to it). Until then, or until the deadline, the agreeing workers' pay waits: storing
//! the output is part of the work they are paid for. A budget nobody used goes back to the
//! requester when the job closes.
//!
//! A plain output is public and its digest must be the agreed result, so the chain itself
//! binds the stored bytes to what the quorum computed. An encrypted output (sealed for the
//! requester) has the digest of its ciphertext: the chain cannot compare it, and the
//! requester checks the plaintext against the agreed result when it reads it.

use crate::RuleError;

/// What a requester asks for its job's output when posting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputTerms {
    /// Escrowed for the output blob's deal; zero when the output is not to be stored.
    pub budget: u128,
    /// What the deal pays each holder per proven epoch.
    pub price_per_shard_epoch: u128,
    /// Last tick (slot, block) an agreeing worker may register the output at; until then
    /// the agreeing workers' pay waits for it.
    // INV: deadline > the job's reveal deadline when budget > 0
    pub deadline: u64,
}

impl OutputTerms {
    /// Whether the requester asked for the output to be stored.
    pub fn wanted(&self) -> bool {
        self.budget > 0
    }

    /// Checks the terms of a job whose reveals end at `reveal_deadline`: a wanted output
    /// has a price and a deadline after the reveals; an unwanted one names neither.
    ///
    /// # Errors
    ///
    /// [`RuleError::InvalidJobParams`].
    pub fn check(&self, reveal_deadline: u64) -> Result<(), RuleError> {
        let valid = if self.wanted() {
            self.price_per_shard_epoch > 0 && self.deadline > reveal_deadline
        } else {
            self.price_per_shard_epoch == 0 && self.deadline == 0
        };
        if valid {
            Ok(())
        } else {
            Err(RuleError::InvalidJobParams)
        }
    }

    /// Epochs the budget stores an output of `shards` shards for: as many whole epochs as
    /// it pays every shard for, at most `max_deal_epochs`.
    ///
    /// # Errors
    ///
    /// [`RuleError::OutputBudgetTooSmall`] when it does not pay one epoch.
    pub fn epochs(&self, shards: u16, max_deal_epochs: u64) -> Result<u64, RuleError> {
        let per_epoch = self
            .price_per_shard_epoch
            .checked_mul(u128::from(shards))
            .filter(|p| *p > 0)
            .ok_or(RuleError::OutputBudgetTooSmall)?;
        let epochs = self.budget / per_epoch;
        if epochs == 0 {
            return Err(RuleError::OutputBudgetTooSmall);
        }
        Ok(u64::try_from(epochs)
            .unwrap_or(u64::MAX)
            .min(max_deal_epochs))
    }

    /// Whether a succeeded job's agreeing workers still wait for the output at `now`
    /// before they are paid: it is wanted, not stored, and its deadline has not passed.
    pub fn pending(&self, stored: bool, now: u64) -> bool {
        self.wanted() && !stored && now <= self.deadline
    }
}

/// A worker's registration of a job's output, as the chain sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputRegistration<'a> {
    pub terms: OutputTerms,
    /// The job succeeded (a quorum agreed on `agreed`).
    pub succeeded: bool,
    pub agreed: &'a [u8; 32],
    /// The registering worker was selected and revealed `agreed`.
    pub worker_agreed: bool,
    /// The job's output is already registered.
    pub stored: bool,
    /// The output is sealed for the requester (its digest is the ciphertext's).
    pub encrypted: bool,
    /// The digest the output blob is registered under.
    pub cid_digest: &'a [u8; 32],
}

impl OutputRegistration<'_> {
    /// Checks the registration at `now`.
    ///
    /// # Errors
    ///
    /// [`RuleError::JobNotSucceeded`], [`RuleError::OutputAlreadyStored`],
    /// [`RuleError::NoOutputWanted`], [`RuleError::OutputDeadlinePassed`],
    /// [`RuleError::NotAgreeingWorker`] or [`RuleError::OutputMismatch`] (a plain output
    /// whose digest is not the agreed result).
    pub fn check(&self, now: u64) -> Result<(), RuleError> {
        if !self.succeeded {
            return Err(RuleError::JobNotSucceeded);
        }
        // Registering moves the budget into the output's deal, so a stored output's terms
        // no longer show it wanted: the stored state answers first.
        if self.stored {
            return Err(RuleError::OutputAlreadyStored);
        }
        if !self.terms.wanted() {
            return Err(RuleError::NoOutputWanted);
        }
        if now > self.terms.deadline {
            return Err(RuleError::OutputDeadlinePassed);
        }
        if !self.worker_agreed {
            return Err(RuleError::NotAgreeingWorker);
        }
        if !self.encrypted && self.cid_digest != self.agreed {
            return Err(RuleError::OutputMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: OutputTerms = OutputTerms {
        budget: 1_400,
        price_per_shard_epoch: 10,
        deadline: 100,
    };
    const NONE: OutputTerms = OutputTerms {
        budget: 0,
        price_per_shard_epoch: 0,
        deadline: 0,
    };

    #[test]
    fn terms_are_checked_at_posting() {
        assert_eq!(TERMS.check(99), Ok(()));
        assert_eq!(NONE.check(99), Ok(()));
        for bad in [
            OutputTerms {
                price_per_shard_epoch: 0,
                ..TERMS
            },
            OutputTerms {
                deadline: 99,
                ..TERMS
            },
            OutputTerms {
                deadline: 5,
                ..NONE
            },
            OutputTerms {
                price_per_shard_epoch: 5,
                ..NONE
            },
        ] {
            assert_eq!(bad.check(99), Err(RuleError::InvalidJobParams), "{bad:?}");
        }
    }

    #[test]
    fn the_budget_buys_whole_epochs() {
        assert_eq!(TERMS.epochs(14, 1_000), Ok(10));
        assert_eq!(TERMS.epochs(14, 4), Ok(4), "capped by the configuration");
        assert_eq!(TERMS.epochs(15, 1_000), Ok(9));
        assert_eq!(
            TERMS.epochs(141, 1_000),
            Err(RuleError::OutputBudgetTooSmall)
        );
        assert_eq!(TERMS.epochs(0, 1_000), Err(RuleError::OutputBudgetTooSmall));
    }

    #[test]
    fn pay_waits_for_the_output_until_its_deadline() {
        assert!(TERMS.pending(false, 100));
        assert!(!TERMS.pending(false, 101));
        assert!(!TERMS.pending(true, 50));
        assert!(!NONE.pending(false, 50));
    }

    #[test]
    fn only_an_agreeing_worker_registers_the_agreed_output_once() {
        let agreed = [7; 32];
        let other = [8; 32];
        let ok = OutputRegistration {
            terms: TERMS,
            succeeded: true,
            agreed: &agreed,
            worker_agreed: true,
            stored: false,
            encrypted: false,
            cid_digest: &agreed,
        };
        assert_eq!(ok.check(100), Ok(()));
        assert_eq!(
            OutputRegistration {
                cid_digest: &other,
                encrypted: true,
                ..ok
            }
            .check(100),
            Ok(()),
            "a sealed output is checked by its reader"
        );
        let cases = [
            (
                OutputRegistration {
                    succeeded: false,
                    ..ok
                },
                RuleError::JobNotSucceeded,
            ),
            (
                OutputRegistration { terms: NONE, ..ok },
                RuleError::NoOutputWanted,
            ),
            (
                OutputRegistration { stored: true, ..ok },
                RuleError::OutputAlreadyStored,
            ),
            (
                OutputRegistration {
                    stored: true,
                    terms: NONE,
                    ..ok
                },
                RuleError::OutputAlreadyStored,
            ),
            (
                OutputRegistration {
                    worker_agreed: false,
                    ..ok
                },
                RuleError::NotAgreeingWorker,
            ),
            (
                OutputRegistration {
                    cid_digest: &other,
                    ..ok
                },
                RuleError::OutputMismatch,
            ),
        ];
        for (case, error) in cases {
            assert_eq!(case.check(100), Err(error), "{case:?}");
        }
        assert_eq!(ok.check(101), Err(RuleError::OutputDeadlinePassed));
    }
}
