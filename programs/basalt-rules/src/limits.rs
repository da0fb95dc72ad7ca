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

/// Checks the protocol parameters that have a shape: each fraction at most 100 %, and a
/// default erasure code with at least one data and one parity shard, within
/// [`MAX_BLOB_SHARDS`].
///
/// # Errors
///
/// [`RuleError::InvalidBps`] or [`RuleError::InvalidLayout`].
pub fn validate_params(fractions: &[u16], default_k: u16, default_m: u16) -> Result<(), RuleError> {
    if fractions.iter().any(|&bps| bps > BPS) {
        return Err(RuleError::InvalidBps);
    }
    let width = usize::from(default_k) + usize::from(default_m);
    if default_k == 0 || default_m == 0 || width > MAX_BLOB_SHARDS {
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

    #[test]
    fn params_need_fractions_within_one_and_a_usable_code() {
        assert_eq!(validate_params(&[0, BPS, 500], 10, 4), Ok(()));
        assert_eq!(
            validate_params(&[BPS + 1], 10, 4),
            Err(RuleError::InvalidBps)
        );
        assert_eq!(validate_params(&[], 0, 4), Err(RuleError::InvalidLayout));
        assert_eq!(validate_params(&[], 4, 0), Err(RuleError::InvalidLayout));
        assert_eq!(validate_params(&[], 32, 32), Ok(()));
        assert_eq!(validate_params(&[], 33, 32), Err(RuleError::InvalidLayout));
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
