//! Roles one key holds on a blob or a dataset, granted by its owner or an ADMIN grantee,
//! and what every new grant must satisfy on both chains.

use crate::RuleError;

/// Read a blob or dataset, and receive its data key.
pub const ROLE_READ: u8 = 1;
/// Write a blob (place its shards, fund its deal); publish a dataset's versions.
pub const ROLE_WRITE: u8 = 2;
/// Delete a blob; retract a dataset's versions.
pub const ROLE_DELETE: u8 = 4;
/// Every role, which includes granting them to others.
pub const ROLE_ADMIN: u8 = ROLE_READ | ROLE_WRITE | ROLE_DELETE;

/// Longest wrapped key a grant carries: a sealed box of a 32-byte key is 80 bytes; the key
/// material and salt make 96.
pub const MAX_WRAPPED_KEY_LEN: usize = 128;

/// A grant about to be created, as both chains check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewGrant {
    pub roles: u8,
    pub wrapped_key_len: usize,
    /// Unix seconds after which it no longer applies; `None` = never.
    pub expires_at: Option<i64>,
}

impl NewGrant {
    /// Checks the grant at unix time `now`: a non-empty subset of [`ROLE_ADMIN`], a wrapped
    /// key of at most [`MAX_WRAPPED_KEY_LEN`] bytes, an expiry in the future.
    ///
    /// # Errors
    ///
    /// [`RuleError::InvalidGrantRoles`], [`RuleError::WrappedKeyTooLong`],
    /// [`RuleError::InvalidGrantExpiry`].
    pub fn check(&self, now: i64) -> Result<(), RuleError> {
        if self.roles == 0 || self.roles & !ROLE_ADMIN != 0 {
            return Err(RuleError::InvalidGrantRoles);
        }
        if self.wrapped_key_len > MAX_WRAPPED_KEY_LEN {
            return Err(RuleError::WrappedKeyTooLong);
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(RuleError::InvalidGrantExpiry);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_hold_known_roles_a_short_key_and_a_future_expiry() {
        let g = NewGrant {
            roles: ROLE_WRITE,
            wrapped_key_len: 80,
            expires_at: Some(101),
        };
        assert_eq!(g.check(100), Ok(()));
        assert_eq!(
            NewGrant { roles: 0, ..g }.check(100),
            Err(RuleError::InvalidGrantRoles)
        );
        assert_eq!(
            NewGrant { roles: 8, ..g }.check(100),
            Err(RuleError::InvalidGrantRoles)
        );
        assert_eq!(
            NewGrant {
                wrapped_key_len: 129,
                ..g
            }
            .check(100),
            Err(RuleError::WrappedKeyTooLong)
        );
        assert_eq!(g.check(101), Err(RuleError::InvalidGrantExpiry));
        assert_eq!(
            NewGrant {
                expires_at: None,
                ..g
            }
            .check(i64::MAX),
            Ok(())
        );
    }
}
