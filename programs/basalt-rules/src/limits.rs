//! Limits and the checks of what callers store: protocol parameters and provider profiles.

use crate::RuleError;

/// Basis points in one whole: fractions are stored as `bps / BPS`.
pub const BPS: u16 = 10_000;

/// Widest erasure code (k + m) a blob may use, on both chains.
pub const MAX_BLOB_SHARDS: usize = 64;

/// Longest provider endpoint URL, in bytes.
pub const MAX_ENDPOINT_LEN: usize = 128;
/// Longest provider region label, in bytes.
pub const MAX_REGION_LEN: usize = 32;

/// Provider role: stores shards and proves them.
pub const ROLE_STORAGE: u8 = 1;
/// Provider role: runs jobs.
pub const ROLE_COMPUTE: u8 = 2;

/// Fewest epochs stake stays slashable after a provider asks to unbond. An obligation of
/// epoch `e` becomes slashable when `e`'s proof window closes, inside `e`; a provider that
/// asks to unbond in `e` can withdraw at `e + unbonding_epochs`, so with two the whole of
/// epoch `e + 1` remains for any cranker to slash a miss of `e` before the stake leaves.
pub const MIN_UNBONDING_EPOCHS: u64 = 2;
/// Most epochs a configuration may hold stake after a provider asks to unbond, so an admin
/// cannot lock providers' stake indefinitely.
pub const MAX_UNBONDING_EPOCHS: u64 = 1_000;

/// Most of a provider's slashable tokens one slash may take, for a missed proof or a wrong
/// job result: a fault costs a share of the stake, never all of it at once.
pub const MAX_SLASH_BPS: u16 = 2_000;
/// Most of a slash paid to whoever cranked it. The rest goes to the treasury, so a provider
/// that slashes itself through another wallet always loses more than it gets back.
pub const MAX_BOUNTY_BPS: u16 = 5_000;
/// Most slashes one provider may suffer in one epoch that a configuration may allow
/// (`max_slashes_per_epoch`, see [`crate::SlashCounter`]).
pub const MAX_SLASHES_PER_EPOCH_LIMIT: u16 = 3;
/// Longest epoch, in chain ticks (Solana slots, NEAR blocks): a week of 400 ms slots. Epochs
/// pace proofs, payments and unbonding; a longer one would let an admin stall them all.
pub const MAX_EPOCH_TICKS: u64 = 1_512_000;

/// The protocol parameters a configuration sets, as both chains hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub min_stake: u128,
    pub unbonding_epochs: u64,
    /// Fraction of the stake slashed for a missed storage proof, in basis points.
    pub proof_slash_bps: u16,
    /// Fraction of the stake slashed for a job result outside the quorum.
    pub job_slash_bps: u16,
    /// Fraction of a slash paid to its cranker.
    pub bounty_bps: u16,
    pub default_k: u16,
    pub default_m: u16,
    /// Most epochs ahead of registration a blob may expire (`crate::check_expiry`).
    pub max_deal_epochs: u64,
    /// Most proof slashes that take stake from one provider in one epoch.
    pub max_slashes_per_epoch: u16,
    /// Chain ticks (Solana slots, NEAR blocks) a holder has to accept a placement
    /// (`crate::accept_by`); afterwards the owner may place the index elsewhere.
    pub accept_window_ticks: u64,
    /// Chain ticks a provider may stay silent (no heartbeat) before anyone may send its
    /// accepted shards to repair (`crate::HolderSilence`).
    pub offline_ticks: u64,
}

/// Checks the protocol parameters: a non-zero minimum stake, an unbonding period within
/// [`MIN_UNBONDING_EPOCHS`] ..= [`MAX_UNBONDING_EPOCHS`], slash fractions up to
/// [`MAX_SLASH_BPS`] and a bounty up to [`MAX_BOUNTY_BPS`], a default erasure code with at
/// least one data and one parity shard, within [`MAX_BLOB_SHARDS`], a deal horizon within
/// 1 ..= [`crate::MAX_DEAL_EPOCHS_LIMIT`], a per-epoch slash cap within
/// 1 ..= [`MAX_SLASHES_PER_EPOCH_LIMIT`], and an acceptance window and an offline threshold
/// within 1 ..= [`MAX_EPOCH_TICKS`]. Both chains run it in their initializer and in
/// their `config_update`, so no configuration escapes it.
///
/// # Errors
///
/// [`RuleError::ZeroAmount`], [`RuleError::InvalidEpochParams`], [`RuleError::InvalidBps`]
/// or [`RuleError::InvalidLayout`].
pub fn validate_params(p: &Params) -> Result<(), RuleError> {
    if p.min_stake == 0 {
        return Err(RuleError::ZeroAmount);
    }
    if !(MIN_UNBONDING_EPOCHS..=MAX_UNBONDING_EPOCHS).contains(&p.unbonding_epochs)
        || !(1..=crate::MAX_DEAL_EPOCHS_LIMIT).contains(&p.max_deal_epochs)
        || !(1..=MAX_SLASHES_PER_EPOCH_LIMIT).contains(&p.max_slashes_per_epoch)
        || !(1..=MAX_EPOCH_TICKS).contains(&p.accept_window_ticks)
        || !(1..=MAX_EPOCH_TICKS).contains(&p.offline_ticks)
    {
        return Err(RuleError::InvalidEpochParams);
    }
    if p.proof_slash_bps > MAX_SLASH_BPS
        || p.job_slash_bps > MAX_SLASH_BPS
        || p.bounty_bps > MAX_BOUNTY_BPS
    {
        return Err(RuleError::InvalidBps);
    }
    let width = usize::from(p.default_k) + usize::from(p.default_m);
    if p.default_k == 0 || p.default_m == 0 || width > MAX_BLOB_SHARDS {
        return Err(RuleError::InvalidLayout);
    }
    Ok(())
}

/// The chain tick from which parameters proposed at tick `proposed_at` may be applied: one
/// whole epoch later. Every provider, owner and requester sees a change coming for at least
/// an epoch (a provider that disagrees can unstake within it; a job or a proof window
/// already open runs under the parameters it started with).
pub fn params_due_at(proposed_at: u64, epoch_ticks: u64) -> u64 {
    proposed_at.saturating_add(epoch_ticks)
}

/// Checks that proposed parameters due at `due_at` ([`params_due_at`]) may be applied at
/// tick `now`.
///
/// # Errors
///
/// [`RuleError::ParamsNotDue`].
pub fn check_params_due(now: u64, due_at: u64) -> Result<(), RuleError> {
    if now >= due_at {
        Ok(())
    } else {
        Err(RuleError::ParamsNotDue)
    }
}

/// The parameter sets both chains' initializers and `config_update` must refuse, each named
/// and with the rule it breaks: `$valid`, a valid parameter set of the chain's own type
/// `$ty` (the fields are named alike on both chains), changed one field at a time. For the
/// chains' tests, so both attack the same list.
#[macro_export]
macro_rules! invalid_params {
    ($ty:ty, $valid:expr) => {{
        let with = |change: fn(&mut $ty)| -> $ty {
            let mut p = $valid;
            change(&mut p);
            p
        };
        [
            (
                "free staking",
                with(|p| p.min_stake = 0),
                $crate::RuleError::ZeroAmount,
            ),
            (
                "stake leaves before a miss is slashable",
                with(|p| p.unbonding_epochs = $crate::MIN_UNBONDING_EPOCHS - 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "stake locked for ever",
                with(|p| p.unbonding_epochs = $crate::MAX_UNBONDING_EPOCHS + 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "a whole stake per slash",
                with(|p| p.proof_slash_bps = $crate::BPS),
                $crate::RuleError::InvalidBps,
            ),
            (
                "a slash above the limit",
                with(|p| p.proof_slash_bps = $crate::MAX_SLASH_BPS + 1),
                $crate::RuleError::InvalidBps,
            ),
            (
                "a job slash above the limit",
                with(|p| p.job_slash_bps = $crate::MAX_SLASH_BPS + 1),
                $crate::RuleError::InvalidBps,
            ),
            (
                "a bounty above the limit",
                with(|p| p.bounty_bps = $crate::MAX_BOUNTY_BPS + 1),
                $crate::RuleError::InvalidBps,
            ),
            (
                "no slash cap",
                with(|p| p.max_slashes_per_epoch = $crate::MAX_SLASHES_PER_EPOCH_LIMIT + 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "no slash at all",
                with(|p| p.max_slashes_per_epoch = 0),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "holders bound for ever",
                with(|p| p.max_deal_epochs = $crate::MAX_DEAL_EPOCHS_LIMIT + 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "no time to accept a placement",
                with(|p| p.accept_window_ticks = 0),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "offers open for ever",
                with(|p| p.accept_window_ticks = $crate::MAX_EPOCH_TICKS + 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "a provider offline the moment it is silent",
                with(|p| p.offline_ticks = 0),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "a silent provider keeps its shards for ever",
                with(|p| p.offline_ticks = $crate::MAX_EPOCH_TICKS + 1),
                $crate::RuleError::InvalidEpochParams,
            ),
            (
                "no data shard",
                with(|p| p.default_k = 0),
                $crate::RuleError::InvalidLayout,
            ),
        ]
    }};
}

/// Checks an epoch geometry, fixed at initialization: a proof window of at least one tick
/// and at most `max_window` (a chain's own limit), strictly shorter than the epoch, and an
/// epoch of at most [`MAX_EPOCH_TICKS`]. A window as long as the epoch would make a miss of
/// an epoch slashable only once the next one began, after a provider that unbonded in time
/// could already have withdrawn.
///
/// # Errors
///
/// [`RuleError::InvalidEpochParams`].
pub fn check_epoch_geometry(
    epoch_ticks: u64,
    proof_window_ticks: u64,
    max_window: u64,
) -> Result<(), RuleError> {
    if proof_window_ticks == 0
        || proof_window_ticks > max_window
        || proof_window_ticks >= epoch_ticks
        || epoch_ticks > MAX_EPOCH_TICKS
    {
        return Err(RuleError::InvalidEpochParams);
    }
    Ok(())
}

/// Checks a provider profile: a non-empty endpoint and a region within their limits, and a
/// non-empty set of known role bits.
///
/// # Errors
///
/// [`RuleError::InvalidEndpoint`], [`RuleError::InvalidRegion`] or
/// [`RuleError::InvalidRoles`].
pub fn validate_profile(endpoint: &str, region: &str, roles: u8) -> Result<(), RuleError> {
    if endpoint.is_empty() || endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(RuleError::InvalidEndpoint);
    }
    if region.len() > MAX_REGION_LEN {
        return Err(RuleError::InvalidRegion);
    }
    if roles == 0 || roles & !(ROLE_STORAGE | ROLE_COMPUTE) != 0 {
        return Err(RuleError::InvalidRoles);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_apply_one_epoch_after_their_proposal() {
        let due = params_due_at(1_000, 600);
        assert_eq!(due, 1_600);
        assert_eq!(check_params_due(1_599, due), Err(RuleError::ParamsNotDue));
        assert_eq!(check_params_due(1_600, due), Ok(()));
        assert_eq!(params_due_at(u64::MAX - 1, 600), u64::MAX);
    }

    fn params(default_k: u16, default_m: u16) -> Params {
        Params {
            min_stake: 1,
            unbonding_epochs: MIN_UNBONDING_EPOCHS,
            proof_slash_bps: 1_000,
            job_slash_bps: 500,
            bounty_bps: 2_000,
            default_k,
            default_m,
            max_deal_epochs: 100,
            max_slashes_per_epoch: 1,
            accept_window_ticks: 150,
            offline_ticks: 750,
        }
    }

    #[test]
    fn params_need_a_usable_code() {
        let check = |k, m| validate_params(&params(k, m));
        assert_eq!(check(10, 4), Ok(()));
        assert_eq!(check(0, 4), Err(RuleError::InvalidLayout));
        assert_eq!(check(4, 0), Err(RuleError::InvalidLayout));
        assert_eq!(check(32, 32), Ok(()));
        assert_eq!(check(33, 32), Err(RuleError::InvalidLayout));
    }

    #[test]
    fn params_keep_slashes_and_bounties_well_below_the_whole() {
        let ok = params(10, 4);
        let at_limits = Params {
            proof_slash_bps: MAX_SLASH_BPS,
            job_slash_bps: MAX_SLASH_BPS,
            bounty_bps: MAX_BOUNTY_BPS,
            ..ok
        };
        assert_eq!(validate_params(&at_limits), Ok(()));
        for bad in [
            Params {
                proof_slash_bps: MAX_SLASH_BPS + 1,
                ..ok
            },
            Params {
                job_slash_bps: MAX_SLASH_BPS + 1,
                ..ok
            },
            Params {
                bounty_bps: MAX_BOUNTY_BPS + 1,
                ..ok
            },
            Params {
                proof_slash_bps: BPS,
                ..ok
            },
        ] {
            assert_eq!(validate_params(&bad), Err(RuleError::InvalidBps), "{bad:?}");
        }
    }

    #[test]
    fn params_bound_the_stake_the_periods_and_the_slash_cap() {
        let ok = params(10, 4);
        assert_eq!(
            validate_params(&Params { min_stake: 0, ..ok }),
            Err(RuleError::ZeroAmount)
        );
        for (epochs, expected) in [
            (MIN_UNBONDING_EPOCHS - 1, Err(RuleError::InvalidEpochParams)),
            (MIN_UNBONDING_EPOCHS, Ok(())),
            (MAX_UNBONDING_EPOCHS, Ok(())),
            (MAX_UNBONDING_EPOCHS + 1, Err(RuleError::InvalidEpochParams)),
        ] {
            let p = Params {
                unbonding_epochs: epochs,
                ..ok
            };
            assert_eq!(validate_params(&p), expected, "{epochs}");
        }
        for (epochs, expected) in [
            (0, Err(RuleError::InvalidEpochParams)),
            (1, Ok(())),
            (crate::MAX_DEAL_EPOCHS_LIMIT, Ok(())),
            (
                crate::MAX_DEAL_EPOCHS_LIMIT + 1,
                Err(RuleError::InvalidEpochParams),
            ),
        ] {
            let p = Params {
                max_deal_epochs: epochs,
                ..ok
            };
            assert_eq!(validate_params(&p), expected, "deal horizon {epochs}");
        }
        for (cap, expected) in [
            (0, Err(RuleError::InvalidEpochParams)),
            (1, Ok(())),
            (MAX_SLASHES_PER_EPOCH_LIMIT, Ok(())),
            (
                MAX_SLASHES_PER_EPOCH_LIMIT + 1,
                Err(RuleError::InvalidEpochParams),
            ),
        ] {
            let p = Params {
                max_slashes_per_epoch: cap,
                ..ok
            };
            assert_eq!(validate_params(&p), expected, "slash cap {cap}");
        }
    }

    #[test]
    fn every_invalid_params_set_is_refused_with_its_rule() {
        for (what, p, error) in crate::invalid_params!(Params, params(10, 4)) {
            assert_eq!(validate_params(&p), Err(error), "{what}");
        }
    }

    #[test]
    fn the_proof_window_is_strictly_shorter_than_a_bounded_epoch() {
        assert_eq!(check_epoch_geometry(600, 300, 500), Ok(()));
        assert_eq!(check_epoch_geometry(600, 599, u64::MAX), Ok(()));
        assert_eq!(check_epoch_geometry(MAX_EPOCH_TICKS, 1, 500), Ok(()));
        for (epoch, window, max) in [
            (600, 0, 500),
            (600, 600, u64::MAX),
            (600, 700, u64::MAX),
            (600, 501, 500),
            (MAX_EPOCH_TICKS + 1, 1, 500),
        ] {
            assert_eq!(
                check_epoch_geometry(epoch, window, max),
                Err(RuleError::InvalidEpochParams),
                "epoch {epoch}, window {window}, limit {max}"
            );
        }
    }

    #[test]
    fn profiles_need_an_endpoint_a_short_region_and_known_roles() {
        let long = "x".repeat(MAX_ENDPOINT_LEN + 1);
        assert_eq!(validate_profile("https://n", "eu", ROLE_STORAGE), Ok(()));
        assert_eq!(
            validate_profile("", "eu", 1),
            Err(RuleError::InvalidEndpoint)
        );
        assert_eq!(
            validate_profile(&long, "eu", 1),
            Err(RuleError::InvalidEndpoint)
        );
        let region = "r".repeat(MAX_REGION_LEN + 1);
        assert_eq!(
            validate_profile("h", &region, 1),
            Err(RuleError::InvalidRegion)
        );
        assert_eq!(validate_profile("h", "", 0), Err(RuleError::InvalidRoles));
        assert_eq!(validate_profile("h", "", 4), Err(RuleError::InvalidRoles));
        assert_eq!(
            validate_profile("h", "", ROLE_STORAGE | ROLE_COMPUTE),
            Ok(())
        );
    }
}
