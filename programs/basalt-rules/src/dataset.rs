//! Datasets: a named, owned series of immutable versions, written once for both chains.
//!
//! A dataset is named by its owner; each version carries a tag unique within its dataset,
//! the id of its manifest (the digest of the canonical manifest bytes, see
//! `basalt_core::dataset`), its parent versions and who published it. A version is never
//! changed or removed: retracting it leaves a tombstone in the history.
//!
//! Who may do what: the owner does everything; a grantee publishes with WRITE, retracts
//! with DELETE and grants with all three (ADMIN), like a blob's grantees. The grant's
//! expiry is checked by the chain, which knows its clock; it passes the unexpired roles.

use crate::{RuleError, ROLE_ADMIN, ROLE_DELETE, ROLE_WRITE};

/// Longest dataset name, in bytes. Names are PDA seeds on Solana, which take 32 bytes.
pub const MAX_DATASET_NAME_LEN: usize = 32;
/// Longest version tag, in bytes (a PDA seed on Solana, like the name).
pub const MAX_VERSION_TAG_LEN: usize = 32;
/// Longest version message, in bytes.
pub const MAX_VERSION_MESSAGE_LEN: usize = 256;
/// Most parents a version names: a merge has two; more is unusual, and each costs the
/// publisher an account read.
pub const MAX_VERSION_PARENTS: usize = 8;

/// Checks a dataset name: 1 to [`MAX_DATASET_NAME_LEN`] bytes of ASCII letters, digits,
/// `.`, `_` and `-`, starting with a letter or digit, so it reads the same in a URL, a
/// shell and a PDA seed.
///
/// # Errors
///
/// [`RuleError::InvalidDatasetName`].
pub fn check_dataset_name(name: &str) -> Result<(), RuleError> {
    if is_label(name, MAX_DATASET_NAME_LEN) {
        Ok(())
    } else {
        Err(RuleError::InvalidDatasetName)
    }
}

/// Checks a version tag, by the rule of [`check_dataset_name`] (`v1.1`, `2026-12-06`,
/// `v1.1-clean`).
///
/// # Errors
///
/// [`RuleError::InvalidVersionTag`].
pub fn check_version_tag(tag: &str) -> Result<(), RuleError> {
    if is_label(tag, MAX_VERSION_TAG_LEN) {
        Ok(())
    } else {
        Err(RuleError::InvalidVersionTag)
    }
}

fn is_label(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// What a version to publish names, in the chain's own address type.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a, A> {
    pub tag: &'a str,
    pub message: &'a str,
    /// The manifest's id; all zeros is no manifest.
    pub version_id: &'a [u8; 32],
    /// The parent versions, each read by the chain from its own record (so each exists).
    pub parents: &'a [A],
}

impl<A: PartialEq> NewVersion<'_, A> {
    /// Checks the version's own fields: its tag, its message's length, a manifest id, and
    /// at most [`MAX_VERSION_PARENTS`] parents, none twice.
    ///
    /// # Errors
    ///
    /// [`RuleError::InvalidVersionTag`], [`RuleError::VersionMessageTooLong`],
    /// [`RuleError::InvalidVersionId`], [`RuleError::TooManyParents`],
    /// [`RuleError::DuplicateParent`].
    pub fn check(&self) -> Result<(), RuleError> {
        check_version_tag(self.tag)?;
        if self.message.len() > MAX_VERSION_MESSAGE_LEN {
            return Err(RuleError::VersionMessageTooLong);
        }
        if self.version_id == &[0; 32] {
            return Err(RuleError::InvalidVersionId);
        }
        if self.parents.len() > MAX_VERSION_PARENTS {
            return Err(RuleError::TooManyParents);
        }
        for (i, p) in self.parents.iter().enumerate() {
            if self.parents[..i].contains(p) {
                return Err(RuleError::DuplicateParent);
            }
        }
        Ok(())
    }
}

/// The signer's standing with a dataset: its owner, or the roles of its unexpired grant
/// (zero without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetStanding {
    pub owner: bool,
    /// The roles of the signer's grant on the dataset; zero without one or once expired.
    pub roles: u8,
}

impl DatasetStanding {
    /// Checks that the signer holds every bit of `roles`.
    ///
    /// # Errors
    ///
    /// [`RuleError::NotDatasetWriter`] when publishing (WRITE) is refused, otherwise
    /// [`RuleError::NotDatasetAdmin`].
    pub fn require(&self, roles: u8) -> Result<(), RuleError> {
        if self.owner || self.roles & roles == roles {
            return Ok(());
        }
        Err(if roles == ROLE_WRITE {
            RuleError::NotDatasetWriter
        } else {
            RuleError::NotDatasetAdmin
        })
    }

    /// Checks that the signer may publish a version (owner or WRITE).
    ///
    /// # Errors
    ///
    /// [`RuleError::NotDatasetWriter`].
    pub fn may_publish(&self) -> Result<(), RuleError> {
        self.require(ROLE_WRITE)
    }

    /// Checks that the signer may retract a version (owner or DELETE).
    ///
    /// # Errors
    ///
    /// [`RuleError::NotDatasetAdmin`].
    pub fn may_retract(&self) -> Result<(), RuleError> {
        self.require(ROLE_DELETE)
    }

    /// Checks that the signer may grant or revoke roles on the dataset (owner or ADMIN).
    ///
    /// # Errors
    ///
    /// [`RuleError::NotDatasetAdmin`].
    pub fn may_grant(&self) -> Result<(), RuleError> {
        self.require(ROLE_ADMIN)
    }
}

/// A parent version as the chain read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentFacts {
    pub retracted: bool,
}

impl ParentFacts {
    /// Checks that a version may be built on this one: a retracted version stays in the
    /// history but is not built on.
    ///
    /// # Errors
    ///
    /// [`RuleError::ParentRetracted`].
    pub fn check(&self) -> Result<(), RuleError> {
        if self.retracted {
            Err(RuleError::ParentRetracted)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ROLE_READ;

    #[test]
    fn names_and_tags_are_short_plain_labels() {
        for ok in [
            "imagenet",
            "v1.1",
            "v1.1-clean",
            "2026_12_06",
            "a",
            &"x".repeat(32),
        ] {
            assert_eq!(check_dataset_name(ok), Ok(()), "{ok}");
            assert_eq!(check_version_tag(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-flag",
            "a/b",
            "a b",
            "é",
            "v1@2",
            &"x".repeat(33),
        ] {
            assert_eq!(
                check_dataset_name(bad),
                Err(RuleError::InvalidDatasetName),
                "{bad}"
            );
            assert_eq!(
                check_version_tag(bad),
                Err(RuleError::InvalidVersionTag),
                "{bad}"
            );
        }
    }

    fn version<'a>(parents: &'a [u8], message: &'a str) -> NewVersion<'a, u8> {
        NewVersion {
            tag: "v1",
            message,
            version_id: &[7; 32],
            parents,
        }
    }

    #[test]
    fn a_version_names_each_parent_once_and_not_too_many() {
        assert_eq!(version(&[], "first").check(), Ok(()));
        assert_eq!(version(&[1, 2], "merge").check(), Ok(()));
        assert_eq!(
            version(&[1, 2, 1], "").check(),
            Err(RuleError::DuplicateParent)
        );
        assert_eq!(
            version(&[0, 1, 2, 3, 4, 5, 6, 7, 8], "").check(),
            Err(RuleError::TooManyParents)
        );
        let long = "m".repeat(MAX_VERSION_MESSAGE_LEN + 1);
        assert_eq!(
            version(&[], &long).check(),
            Err(RuleError::VersionMessageTooLong)
        );
        let zero = NewVersion::<u8> {
            version_id: &[0; 32],
            ..version(&[], "")
        };
        assert_eq!(zero.check(), Err(RuleError::InvalidVersionId));
    }

    #[test]
    fn the_owner_does_everything_and_grantees_what_their_roles_say() {
        let owner = DatasetStanding {
            owner: true,
            roles: 0,
        };
        assert_eq!(owner.may_publish(), Ok(()));
        assert_eq!(owner.may_retract(), Ok(()));
        assert_eq!(owner.may_grant(), Ok(()));
        let writer = DatasetStanding {
            owner: false,
            roles: ROLE_READ | ROLE_WRITE,
        };
        assert_eq!(writer.may_publish(), Ok(()));
        assert_eq!(writer.may_retract(), Err(RuleError::NotDatasetAdmin));
        assert_eq!(writer.may_grant(), Err(RuleError::NotDatasetAdmin));
        let stranger = DatasetStanding {
            owner: false,
            roles: ROLE_READ,
        };
        assert_eq!(stranger.may_publish(), Err(RuleError::NotDatasetWriter));
        let admin = DatasetStanding {
            owner: false,
            roles: ROLE_ADMIN,
        };
        assert_eq!(admin.may_grant(), Ok(()));
    }
}
