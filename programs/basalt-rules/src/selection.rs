//! Who works on a job. Compute providers apply during the job's apply window; after it the
//! chain draws the `n` workers among the applicants, each draw weighted by the applicant's
//! bonded stake at application. Applying first gains nothing, and splitting a stake over
//! many wallets gains nothing either: a wallet's chance of a place follows its share of
//! the applicants' stake, so a quorum costs a share of the stake, not a number of wallets
//! (the attack's price is worked out in `docs/security.md`).

use crate::jobs::MAX_JOB_APPLICANTS;
use crate::RuleError;

/// Where a new application goes in a job's applicant list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The list has room: the applicant is added at its end.
    Append,
    /// The list is full: the applicant takes the place of the one at this index, the
    /// earliest of those with the least stake, which had less than the newcomer.
    Displace(usize),
}

/// Admits an applicant with bonded stake `stake` to a job whose applicants so far staked
/// `stakes` (in application order).
///
/// # Errors
///
/// [`RuleError::ApplicantsFull`] when the list holds [`MAX_JOB_APPLICANTS`] and none of them
/// staked less than `stake`.
pub fn admit<I>(stakes: I, stake: u128) -> Result<Admission, RuleError>
where
    I: IntoIterator<Item = u128>,
{
    let mut len = 0;
    let mut least: Option<(usize, u128)> = None;
    for (i, s) in stakes.into_iter().enumerate() {
        len += 1;
        if least.is_none_or(|(_, l)| s < l) {
            least = Some((i, s));
        }
    }
    if len < MAX_JOB_APPLICANTS {
        return Ok(Admission::Append);
    }
    match least {
        Some((i, l)) if l < stake => Ok(Admission::Displace(i)),
        _ => Err(RuleError::ApplicantsFull),
    }
}

/// Selects `n` of the applicants whose stakes are `stakes`, without replacement, each draw
/// weighted by stake, and returns them as a bit set over the applicants' indices (bit `i`
/// set: applicant `i` works). With `n` or fewer applicants every one is selected.
///
/// `draw(i)` is the `i`-th uniform 128-bit number of the chain's seed for this job: each
/// chain derives it from its own randomness (a slot hash on Solana, the block's random
/// seed on NEAR), the same way for every job. A draw picks the applicant whose stake
/// interval contains `draw % (stake left)`; the modulo bias is below 2^-64 for any real
/// stake total.
pub fn select_weighted<F>(stakes: &[u128], n: usize, mut draw: F) -> u64
where
    F: FnMut(usize) -> u128,
{
    let count = stakes.len().min(MAX_JOB_APPLICANTS);
    if count <= n {
        return (1u64 << count) - 1;
    }
    let mut selected = 0u64;
    for round in 0..n {
        let left = |i: &usize| selected & (1 << i) == 0;
        let total: u128 = (0..count)
            .filter(left)
            .fold(0u128, |t, i| t.saturating_add(stakes[i]));
        let pick = if total == 0 {
            // Only unstaked applicants left (none can apply, but stay total): the first.
            (0..count).find(left)
        } else {
            let mut target = draw(round) % total;
            (0..count).filter(left).find(|&i| {
                if target < stakes[i] {
                    true
                } else {
                    target -= stakes[i];
                    false
                }
            })
        };
        if let Some(i) = pick {
            selected |= 1 << i;
        }
    }
    selected
}

/// Whether the workers that revealed another result than the agreed one are slashed: only
/// when the agreeing `votes` are a strict majority of the `revealed` results. A quorum of
/// `k` that is no majority (possible when `k <= n / 2`) still decides the job, but it may be
/// the colluding side, so it takes nobody's stake.
pub fn dissent_is_slashable(votes: usize, revealed: usize) -> bool {
    votes.saturating_mul(2) > revealed
}

/// How one applicant of a job comes out when it is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Revealed the agreed result: paid, reputation up.
    Paid,
    /// Revealed another result: reputation down, and slashed under a strict majority
    /// ([`dissent_is_slashable`]).
    Disagreed,
    /// Selected but never revealed: reputation down.
    NoShow,
    /// Revealed, but the job reached no quorum: nothing happens.
    NoQuorum,
    /// Applied but was not selected: its obligation ends, nothing else happens.
    NotSelected,
}

/// The outcome of an applicant: `selected` by the draw, its `reveal` (`None` if it never
/// revealed, else whether it revealed the agreed result) in a job that `succeeded` or not.
pub fn job_outcome(selected: bool, succeeded: bool, reveal: Option<bool>) -> JobOutcome {
    match (selected, reveal) {
        (false, _) => JobOutcome::NotSelected,
        (true, None) => JobOutcome::NoShow,
        (true, Some(_)) if !succeeded => JobOutcome::NoQuorum,
        (true, Some(true)) => JobOutcome::Paid,
        (true, Some(false)) => JobOutcome::Disagreed,
    }
}

/// Implements `From<JobOutcome>` for a chain's outcome enum, whose variants carry the same
/// names, so each chain reports the rule's outcome as its own type.
#[macro_export]
macro_rules! impl_from_job_outcome {
    ($outcome:ty) => {
        impl From<$crate::JobOutcome> for $outcome {
            fn from(outcome: $crate::JobOutcome) -> Self {
                match outcome {
                    $crate::JobOutcome::Paid => Self::Paid,
                    $crate::JobOutcome::Disagreed => Self::Disagreed,
                    $crate::JobOutcome::NoShow => Self::NoShow,
                    $crate::JobOutcome::NoQuorum => Self::NoQuorum,
                    $crate::JobOutcome::NotSelected => Self::NotSelected,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::vec;
    use std::vec::Vec;

    use super::*;

    /// A deterministic stream of draws (SplitMix64, twice per draw), so the tests need no
    /// hash function.
    fn draws(seed: u64) -> impl FnMut(usize) -> u128 {
        let mut state = seed;
        move |_| {
            let mut next = || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            (u128::from(next()) << 64) | u128::from(next())
        }
    }

    #[test]
    fn admission_appends_until_full_then_displaces_the_least_staked() {
        assert_eq!(admit([], 1), Ok(Admission::Append));
        let mut full = vec![10u128; MAX_JOB_APPLICANTS];
        assert_eq!(
            admit(full.iter().copied(), 10),
            Err(RuleError::ApplicantsFull)
        );
        assert_eq!(
            admit(full.iter().copied(), 9),
            Err(RuleError::ApplicantsFull)
        );
        assert_eq!(admit(full.iter().copied(), 11), Ok(Admission::Displace(0)));
        full[7] = 3;
        full[9] = 3;
        assert_eq!(
            admit(full.iter().copied(), 4),
            Ok(Admission::Displace(7)),
            "the earliest of the least staked goes"
        );
        full.pop();
        assert_eq!(admit(full.iter().copied(), 1), Ok(Admission::Append));
    }

    #[test]
    fn few_applicants_are_all_selected() {
        assert_eq!(select_weighted(&[], 3, draws(1)), 0);
        assert_eq!(select_weighted(&[5, 6], 3, draws(1)), 0b11);
        assert_eq!(select_weighted(&[5, 6, 7], 3, draws(1)), 0b111);
        let all = vec![1; MAX_JOB_APPLICANTS];
        assert_eq!(
            select_weighted(&all, MAX_JOB_APPLICANTS, draws(1)),
            (1u64 << MAX_JOB_APPLICANTS) - 1
        );
    }

    #[test]
    fn selects_exactly_n_distinct_applicants() {
        let stakes: Vec<u128> = (1..=20).collect();
        for seed in 0..200 {
            for n in 1..=16 {
                let set = select_weighted(&stakes, n, draws(seed));
                assert_eq!(set.count_ones() as usize, n, "seed {seed}, n {n}");
                assert_eq!(set >> stakes.len(), 0, "only applicants' bits");
            }
        }
    }

    #[test]
    fn the_same_seed_selects_the_same_workers() {
        let stakes = [3u128, 1, 4, 1, 5, 9, 2, 6];
        assert_eq!(
            select_weighted(&stakes, 3, draws(42)),
            select_weighted(&stakes, 3, draws(42))
        );
    }

    /// One place among a big staker and small ones: the place follows the stake share.
    #[test]
    fn one_place_goes_by_stake_share() {
        let stakes = [6u128, 1, 1, 1, 1];
        let trials = 20_000;
        let big = (0..trials)
            .filter(|&seed| select_weighted(&stakes, 1, draws(seed)) & 1 == 1)
            .count();
        let share = big as f64 / trials as f64;
        assert!((share - 0.6).abs() < 0.02, "big staker won {share}");
    }

    /// The attack of issue 42: an operator with a fixed stake wants two of three places.
    /// Splitting its stake over more wallets does not raise its chance much past what the
    /// stake share gives, and applying first is worth nothing (order never enters a draw).
    #[test]
    fn splitting_stake_over_wallets_buys_no_quorum() {
        let honest = vec![1_000u128; 10];
        let trials = 20_000u64;
        let quorum_rate = |wallets: usize| {
            // The attacker holds 20 % of all stake, split evenly over `wallets`, and applied
            // first (indices 0..wallets).
            let mut stakes = vec![2_500u128 / wallets as u128; wallets];
            stakes.extend(&honest);
            let won = (0..trials)
                .filter(|&seed| {
                    let set = select_weighted(&stakes, 3, draws(seed));
                    (set & ((1 << wallets) - 1)).count_ones() >= 2
                })
                .count();
            won as f64 / trials as f64
        };
        // Without replacement and with stake share s = 0.2, P(>= 2 of 3) is close to the
        // binomial 3 s^2 (1 - s) + s^3 = 0.104 once the stake is split over many wallets.
        let five = quorum_rate(5);
        let ten = quorum_rate(10);
        assert!((0.08..0.13).contains(&five), "5 wallets: {five}");
        assert!((0.08..0.13).contains(&ten), "10 wallets: {ten}");
        assert!((ten - five).abs() < 0.02, "more wallets buy nothing");
    }

    #[test]
    fn outcomes() {
        use JobOutcome::*;
        assert_eq!(job_outcome(false, true, Some(true)), NotSelected);
        assert_eq!(job_outcome(true, true, None), NoShow);
        assert_eq!(job_outcome(true, false, None), NoShow);
        assert_eq!(job_outcome(true, false, Some(true)), NoQuorum);
        assert_eq!(job_outcome(true, true, Some(true)), Paid);
        assert_eq!(job_outcome(true, true, Some(false)), Disagreed);
    }

    #[test]
    fn dissent_is_slashed_only_under_a_strict_majority() {
        assert!(dissent_is_slashable(2, 3));
        assert!(!dissent_is_slashable(2, 4));
        assert!(dissent_is_slashable(3, 4));
        assert!(!dissent_is_slashable(1, 2));
        assert!(dissent_is_slashable(1, 1));
    }
}
