//! Which epochs a shard's holder has proven: the latest one and a 64-epoch history mask.

use crate::RuleError;

/// A shard slot's proof history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProofRecord {
    /// Latest proven epoch; meaningful only when `proven_mask != 0`.
    pub last_proven_epoch: u64,
    /// Bit i set: epoch `last_proven_epoch - i` was proven. Zero: never proven.
    pub proven_mask: u64,
}

impl ProofRecord {
    /// Whether `epoch` is recorded as proven; `None` when it is too far behind the latest
    /// proof for the 64-epoch mask to tell.
    pub fn is_proven(&self, epoch: u64) -> Option<bool> {
        if self.proven_mask == 0 || epoch > self.last_proven_epoch {
            return Some(false);
        }
        let behind = self.last_proven_epoch - epoch;
        (behind < 64).then(|| self.proven_mask & (1u64 << behind) != 0)
    }

    /// Records a proof of `epoch`, which must be later than every earlier proof.
    ///
    /// # Errors
    ///
    /// [`RuleError::AlreadyProven`] for an epoch at or before the latest proven one.
    pub fn record(&mut self, epoch: u64) -> Result<(), RuleError> {
        if self.proven_mask != 0 {
            if epoch <= self.last_proven_epoch {
                return Err(RuleError::AlreadyProven);
            }
            let shift = epoch - self.last_proven_epoch;
            self.proven_mask = if shift >= 64 {
                0
            } else {
                self.proven_mask << shift
            };
        }
        self.proven_mask |= 1;
        self.last_proven_epoch = epoch;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_record_remembers_64_epochs() {
        let mut r = ProofRecord::default();
        assert_eq!(r.is_proven(0), Some(false));
        r.record(0).unwrap();
        r.record(3).unwrap();
        assert_eq!(r.is_proven(0), Some(true));
        assert_eq!(r.is_proven(1), Some(false));
        assert_eq!(r.is_proven(3), Some(true));
        assert_eq!(r.is_proven(4), Some(false));
        assert_eq!(r.record(3), Err(RuleError::AlreadyProven));
        assert_eq!(r.record(2), Err(RuleError::AlreadyProven));
        r.record(66).unwrap();
        assert_eq!(r.is_proven(3), Some(true), "63 behind: still in the mask");
        assert_eq!(r.is_proven(2), None, "64 behind: beyond the mask");
        r.record(200).unwrap();
        assert_eq!(r.is_proven(66), None);
        assert_eq!(r.proven_mask, 1);
    }

    proptest! {
        /// Against a plain list of proven epochs: every epoch within 64 of the latest is
        /// answered exactly.
        #[test]
        fn the_mask_agrees_with_the_list(steps in proptest::collection::vec(1u64..80, 1..40)) {
            let mut r = ProofRecord::default();
            let mut proven = std::vec::Vec::new();
            let mut epoch = 0;
            for step in steps {
                epoch += step;
                r.record(epoch).unwrap();
                proven.push(epoch);
            }
            for e in epoch.saturating_sub(70)..=epoch + 2 {
                let expected = proven.contains(&e);
                match r.is_proven(e) {
                    Some(answer) => prop_assert_eq!(answer, expected),
                    None => prop_assert!(epoch - e >= 64),
                }
            }
        }
    }
}
