//! A compute job's parameters and phases. Time is the chain's clock: slots on Solana, block
//! heights on NEAR. Compute providers apply up to the job's apply deadline; after it anyone
//! may have the chain select the workers among the applicants (`selection`), up to the
//! commit deadline; the selected workers commit up to the commit deadline, reveal after it
//! up to the reveal deadline, and the job may be finalized after that (or as soon as every
//! selected worker has revealed once committing is over).

use crate::RuleError;

/// Most workers one job can have.
pub const MAX_JOB_WORKERS: usize = 16;

/// Most applicants one job keeps. Once full, a newcomer with more stake displaces the
/// applicant with the least (`selection::admit`), so filling the list with small wallets
/// keeps no well-staked worker out.
pub const MAX_JOB_APPLICANTS: usize = 32;

/// What a requester chooses when posting a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobParams {
    /// Workers wanted.
    pub n: u8,
    /// Matching results needed.
    pub k: u8,
    pub fuel_limit: u64,
    pub apply_deadline: u64,
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
}

impl JobParams {
    /// Checks a job posted at `now`: 1 <= k <= n <= [`MAX_JOB_WORKERS`], some fuel, and
    /// deadlines in the future and in order (apply, then commit, then reveal).
    ///
    /// # Errors
    ///
    /// [`RuleError::InvalidJobParams`].
    pub fn check(&self, now: u64) -> Result<(), RuleError> {
        let valid = self.k >= 1
            && self.k <= self.n
            && usize::from(self.n) <= MAX_JOB_WORKERS
            && self.fuel_limit > 0
            && self.apply_deadline > now
            && self.commit_deadline > self.apply_deadline
            && self.reveal_deadline > self.commit_deadline;
        if valid {
            Ok(())
        } else {
            Err(RuleError::InvalidJobParams)
        }
    }
}

/// A posted job's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobDeadlines {
    // INV: apply < commit < reveal
    pub apply: u64,
    pub commit: u64,
    pub reveal: u64,
}

impl JobDeadlines {
    /// Applications are accepted up to the apply deadline.
    ///
    /// # Errors
    ///
    /// [`RuleError::ApplyPhaseOver`].
    pub fn check_apply_open(&self, now: u64) -> Result<(), RuleError> {
        if now <= self.apply {
            Ok(())
        } else {
            Err(RuleError::ApplyPhaseOver)
        }
    }

    /// The workers are selected after the apply deadline (the applicants are known and
    /// the seed is drawn after the last of them), up to the commit deadline.
    ///
    /// # Errors
    ///
    /// [`RuleError::ApplyPhaseOpen`] or [`RuleError::CommitPhaseOver`].
    pub fn check_select_open(&self, now: u64) -> Result<(), RuleError> {
        if now <= self.apply {
            return Err(RuleError::ApplyPhaseOpen);
        }
        self.check_commit_open(now)
    }

    /// Commitments are accepted up to the commit deadline.
    ///
    /// # Errors
    ///
    /// [`RuleError::CommitPhaseOver`].
    pub fn check_commit_open(&self, now: u64) -> Result<(), RuleError> {
        if now <= self.commit {
            Ok(())
        } else {
            Err(RuleError::CommitPhaseOver)
        }
    }

    /// Reveals are accepted after the commit deadline, up to the reveal deadline.
    ///
    /// # Errors
    ///
    /// [`RuleError::CommitPhaseOpen`] or [`RuleError::RevealPhaseOver`].
    pub fn check_reveal_open(&self, now: u64) -> Result<(), RuleError> {
        if now <= self.commit {
            return Err(RuleError::CommitPhaseOpen);
        }
        if now > self.reveal {
            return Err(RuleError::RevealPhaseOver);
        }
        Ok(())
    }

    /// A job may be finalized after its reveal deadline, or once committing is over and
    /// every selected worker has revealed.
    ///
    /// # Errors
    ///
    /// [`RuleError::TooEarlyToFinalize`].
    pub fn check_finalizable(&self, now: u64, everyone_revealed: bool) -> Result<(), RuleError> {
        if now > self.reveal || (now > self.commit && everyone_revealed) {
            Ok(())
        } else {
            Err(RuleError::TooEarlyToFinalize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: JobParams = JobParams {
        n: 3,
        k: 2,
        fuel_limit: 1,
        apply_deadline: 5,
        commit_deadline: 10,
        reveal_deadline: 20,
    };

    #[test]
    fn params() {
        assert_eq!(GOOD.check(4), Ok(()));
        let bad = [
            JobParams { k: 0, ..GOOD },
            JobParams { k: 4, ..GOOD },
            JobParams {
                n: 17,
                k: 2,
                ..GOOD
            },
            JobParams {
                fuel_limit: 0,
                ..GOOD
            },
            JobParams {
                reveal_deadline: 10,
                ..GOOD
            },
            JobParams {
                apply_deadline: 10,
                ..GOOD
            },
        ];
        for p in bad {
            assert_eq!(p.check(4), Err(RuleError::InvalidJobParams), "{p:?}");
        }
        assert_eq!(
            GOOD.check(5),
            Err(RuleError::InvalidJobParams),
            "deadline passed"
        );
        let widest = JobParams {
            n: 16,
            k: 16,
            ..GOOD
        };
        assert_eq!(widest.check(0), Ok(()));
    }

    #[test]
    fn phases() {
        let d = JobDeadlines {
            apply: 5,
            commit: 10,
            reveal: 20,
        };
        assert_eq!(d.check_apply_open(5), Ok(()));
        assert_eq!(d.check_apply_open(6), Err(RuleError::ApplyPhaseOver));
        assert_eq!(d.check_select_open(5), Err(RuleError::ApplyPhaseOpen));
        assert_eq!(d.check_select_open(6), Ok(()));
        assert_eq!(d.check_select_open(10), Ok(()));
        assert_eq!(d.check_select_open(11), Err(RuleError::CommitPhaseOver));
        assert_eq!(d.check_commit_open(10), Ok(()));
        assert_eq!(d.check_commit_open(11), Err(RuleError::CommitPhaseOver));
        assert_eq!(d.check_reveal_open(10), Err(RuleError::CommitPhaseOpen));
        assert_eq!(d.check_reveal_open(11), Ok(()));
        assert_eq!(d.check_reveal_open(20), Ok(()));
        assert_eq!(d.check_reveal_open(21), Err(RuleError::RevealPhaseOver));
        assert_eq!(
            d.check_finalizable(10, true),
            Err(RuleError::TooEarlyToFinalize)
        );
        assert_eq!(d.check_finalizable(11, true), Ok(()));
        assert_eq!(
            d.check_finalizable(20, false),
            Err(RuleError::TooEarlyToFinalize)
        );
        assert_eq!(d.check_finalizable(21, false), Ok(()));
    }
}
