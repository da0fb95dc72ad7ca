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

/// The protocol parameters a configuration sets, as both chains hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params<'a> {
    pub min_stake: u128,
    pub unbonding_epochs: u64,
    /// Every fraction, in basis points.
    pub fractions: &'a [u16],
    pub default_k: u16,
    pub default_m: u16,
    /// Most epochs ahead of registration a blob may expire (`crate::check_expiry`).
    pub max_deal_epochs: u64,
}

/// Checks the protocol parameters: a non-zero minimum stake, an unbonding period within
/// [`MIN_UNBONDING_EPOCHS`] ..= [`MAX_UNBONDING_EPOCHS`], each fraction at most 100 %, and a
/// default erasure code with at least one data and one parity shard, within
/// [`MAX_BLOB_SHARDS`], and a deal horizon within 1 ..= [`crate::MAX_DEAL_EPOCHS_LIMIT`].
///
/// # Errors
///
/// [`RuleError::ZeroAmount`], [`RuleError::InvalidEpochParams`], [`RuleError::InvalidBps`]
/// or [`RuleError::InvalidLayout`].
pub fn validate_params(p: &Params<'_>) -> Result<(), RuleError> {
    if p.min_stake == 0 {
        return Err(RuleError::ZeroAmount);
    }
    if !(MIN_UNBONDING_EPOCHS..=MAX_UNBONDING_EPOCHS).contains(&p.unbonding_epochs)
        || !(1..=crate::MAX_DEAL_EPOCHS_LIMIT).contains(&p.max_deal_epochs)
    {
        return Err(RuleError::InvalidEpochParams);
    }
    if p.fractions.iter().any(|&bps| bps > BPS) {
        return Err(RuleError::InvalidBps);
    }
    let width = usize::from(p.default_k) + usize::from(p.default_m);
    if p.default_k == 0 || p.default_m == 0 || width > MAX_BLOB_SHARDS {
        return Err(RuleError::InvalidLayout);
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

    fn params(fractions: &[u16], default_k: u16, default_m: u16) -> Params<'_> {
        Params {
            min_stake: 1,
            unbonding_epochs: MIN_UNBONDING_EPOCHS,
            fractions,
            default_k,
            default_m,
            max_deal_epochs: 100,
        }
    }

    #[test]
    fn params_need_fractions_within_one_and_a_usable_code() {
        let check = |f: &[u16], k, m| validate_params(&params(f, k, m));
        assert_eq!(check(&[0, BPS, 500], 10, 4), Ok(()));
        assert_eq!(check(&[BPS + 1], 10, 4), Err(RuleError::InvalidBps));
        assert_eq!(check(&[], 0, 4), Err(RuleError::InvalidLayout));
        assert_eq!(check(&[], 4, 0), Err(RuleError::InvalidLayout));
        assert_eq!(check(&[], 32, 32), Ok(()));
        assert_eq!(check(&[], 33, 32), Err(RuleError::InvalidLayout));
    }

    #[test]
    fn params_bound_the_stake_and_the_unbonding_period() {
        let ok = params(&[], 10, 4);
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
