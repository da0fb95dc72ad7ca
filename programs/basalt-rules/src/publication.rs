//! A job's output published as a version of a dataset, by the worker that stores it.
//!
//! When posting, a requester that may publish into a public dataset (its owner or a WRITE
//! grantee) names the dataset and a tag, and escrows a budget for the version's manifest
//! blob beside the output budget: that is its consent, recorded on the job. Once the output
//! is stored, one agreeing worker registers the manifest (the requester's blob, paid by the
//! budget) and publishes the version under the requester's name, with the job as its
//! derivation and the job's input version, if any, as its parent. Until then, or until the
//! output deadline, the agreeing workers' pay waits, as it waits for the output itself.
//!
//! Only public datasets take publications: the output and the manifest are plain blobs,
//! and a private dataset's blobs are sealed under a key the workers do not hold.

use crate::{check_version_tag, DatasetStanding, OutputTerms, RuleError};

/// A requester's publication request as it posts a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPublication<'a> {
    pub tag: &'a str,
    /// Escrowed for the manifest blob's deal.
    pub budget: u128,
    /// What the requester asked for the output: the published files live in it.
    pub output: OutputTerms,
    pub output_encrypted: bool,
    pub dataset_public: bool,
    /// The requester's standing in the dataset.
    pub standing: DatasetStanding,
}

impl NewPublication<'_> {
    /// Checks the request.
    ///
    /// # Errors
    ///
    /// [`RuleError::InvalidVersionTag`]; [`RuleError::InvalidJobParams`] for a zero
    /// budget; [`RuleError::PublicationNeedsOutput`] when the output is not stored plain;
    /// [`RuleError::DatasetNotPublic`]; [`RuleError::NotDatasetWriter`].
    pub fn check(&self) -> Result<(), RuleError> {
        check_version_tag(self.tag)?;
        if self.budget == 0 {
            return Err(RuleError::InvalidJobParams);
        }
        if !self.output.wanted() || self.output_encrypted {
            return Err(RuleError::PublicationNeedsOutput);
        }
        if !self.dataset_public {
            return Err(RuleError::DatasetNotPublic);
        }
        self.standing.may_publish()
    }
}

/// A worker's publication of a job's output, as the chain sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputPublication {
    /// The job succeeded.
    pub succeeded: bool,
    /// The requester asked for a publication.
    pub wanted: bool,
    /// The version is already published.
    pub published: bool,
    /// The job's output is stored (its files are in it).
    pub output_stored: bool,
    /// The job's output deadline, which bounds the publication too.
    pub deadline: u64,
    /// The publishing worker was selected and revealed the agreed result.
    pub worker_agreed: bool,
    pub dataset_public: bool,
    /// The requester's standing in the dataset now (a grant may have lapsed).
    pub standing: DatasetStanding,
}

impl OutputPublication {
    /// Checks the publication at `now`.
    ///
    /// # Errors
    ///
    /// [`RuleError::JobNotSucceeded`], [`RuleError::NoPublicationWanted`],
    /// [`RuleError::AlreadyPublished`], [`RuleError::OutputNotStored`],
    /// [`RuleError::OutputDeadlinePassed`], [`RuleError::NotAgreeingWorker`],
    /// [`RuleError::DatasetNotPublic`] or [`RuleError::NotDatasetWriter`].
    pub fn check(&self, now: u64) -> Result<(), RuleError> {
        if !self.succeeded {
            return Err(RuleError::JobNotSucceeded);
        }
        if !self.wanted {
            return Err(RuleError::NoPublicationWanted);
        }
        if self.published {
            return Err(RuleError::AlreadyPublished);
        }
        if !self.output_stored {
            return Err(RuleError::OutputNotStored);
        }
        if now > self.deadline {
            return Err(RuleError::OutputDeadlinePassed);
        }
        if !self.worker_agreed {
            return Err(RuleError::NotAgreeingWorker);
        }
        if !self.dataset_public {
            return Err(RuleError::DatasetNotPublic);
        }
        self.standing.may_publish()
    }
}

/// Whether a succeeded job's agreeing workers still wait for the publication at `now`
/// before they are paid: it is wanted, not done, and the output deadline has not passed.
pub fn publication_pending(wanted: bool, published: bool, deadline: u64, now: u64) -> bool {
    wanted && !published && now <= deadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ROLE_READ, ROLE_WRITE};

    const OUTPUT: OutputTerms = OutputTerms {
        budget: 1_400,
        price_per_shard_epoch: 10,
        deadline: 100,
    };
    const OWNER: DatasetStanding = DatasetStanding {
        owner: true,
        roles: 0,
    };

    fn request() -> NewPublication<'static> {
        NewPublication {
            tag: "v1.1-clean",
            budget: 140,
            output: OUTPUT,
            output_encrypted: false,
            dataset_public: true,
            standing: OWNER,
        }
    }

    #[test]
    fn a_request_needs_a_stored_plain_output_a_public_dataset_and_write() {
        assert_eq!(request().check(), Ok(()));
        let writer = DatasetStanding {
            owner: false,
            roles: ROLE_WRITE,
        };
        let reader = DatasetStanding {
            owner: false,
            roles: ROLE_READ,
        };
        let no_output = OutputTerms {
            budget: 0,
            price_per_shard_epoch: 0,
            deadline: 0,
        };
        let cases = [
            (
                NewPublication {
                    standing: writer,
                    ..request()
                },
                Ok(()),
            ),
            (
                NewPublication {
                    tag: "a/b",
                    ..request()
                },
                Err(RuleError::InvalidVersionTag),
            ),
            (
                NewPublication {
                    budget: 0,
                    ..request()
                },
                Err(RuleError::InvalidJobParams),
            ),
            (
                NewPublication {
                    output: no_output,
                    ..request()
                },
                Err(RuleError::PublicationNeedsOutput),
            ),
            (
                NewPublication {
                    output_encrypted: true,
                    ..request()
                },
                Err(RuleError::PublicationNeedsOutput),
            ),
            (
                NewPublication {
                    dataset_public: false,
                    ..request()
                },
                Err(RuleError::DatasetNotPublic),
            ),
            (
                NewPublication {
                    standing: reader,
                    ..request()
                },
                Err(RuleError::NotDatasetWriter),
            ),
        ];
        for (case, expected) in cases {
            assert_eq!(case.check(), expected, "{case:?}");
        }
    }

    fn publication() -> OutputPublication {
        OutputPublication {
            succeeded: true,
            wanted: true,
            published: false,
            output_stored: true,
            deadline: 100,
            worker_agreed: true,
            dataset_public: true,
            standing: OWNER,
        }
    }

    #[test]
    fn one_agreeing_worker_publishes_once_after_the_output_before_the_deadline() {
        assert_eq!(publication().check(100), Ok(()));
        let stranger = DatasetStanding {
            owner: false,
            roles: 0,
        };
        let cases = [
            (
                OutputPublication {
                    succeeded: false,
                    ..publication()
                },
                RuleError::JobNotSucceeded,
            ),
            (
                OutputPublication {
                    wanted: false,
                    ..publication()
                },
                RuleError::NoPublicationWanted,
            ),
            (
                OutputPublication {
                    published: true,
                    ..publication()
                },
                RuleError::AlreadyPublished,
            ),
            (
                OutputPublication {
                    output_stored: false,
                    ..publication()
                },
                RuleError::OutputNotStored,
            ),
            (
                OutputPublication {
                    deadline: 99,
                    ..publication()
                },
                RuleError::OutputDeadlinePassed,
            ),
            (
                OutputPublication {
                    worker_agreed: false,
                    ..publication()
                },
                RuleError::NotAgreeingWorker,
            ),
            (
                OutputPublication {
                    dataset_public: false,
                    ..publication()
                },
                RuleError::DatasetNotPublic,
            ),
            (
                OutputPublication {
                    standing: stranger,
                    ..publication()
                },
                RuleError::NotDatasetWriter,
            ),
        ];
        for (case, expected) in cases {
            assert_eq!(case.check(100), Err(expected), "{case:?}");
        }
    }

    #[test]
    fn pay_waits_for_a_wanted_publication_until_the_deadline() {
        assert!(publication_pending(true, false, 100, 100));
        assert!(!publication_pending(true, true, 100, 50));
        assert!(!publication_pending(true, false, 100, 101));
        assert!(!publication_pending(false, false, 100, 50));
    }
}
