use basalt_rules::{DatasetStanding, NewVersion, ParentFacts};
use near_sdk::json_types::Base64VecU8;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{Dataset, DatasetGrant, Digest, JobRef, JobStatus, Version};
use crate::{check_new_grant, unix_seconds, Contract, ContractExt};

/// What a publisher names for a new version (the Solana program's `VersionPublishArgs`,
/// with the parents and the job, which Solana passes as accounts).
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionPublishArgs {
    pub dataset: Digest,
    pub tag: String,
    /// BLAKE3 of the canonical manifest bytes (`basalt_core::dataset::DatasetManifest`).
    pub version_id: Digest,
    pub message: String,
    /// The blob storing the manifest.
    pub manifest_blob: Digest,
    /// Parent versions' keys (`basalt_proof::version_key`).
    pub parents: Vec<Digest>,
    /// The job the version was derived by, if any.
    pub job: Option<JobRef>,
}

#[near]
impl Contract {
    /// `dataset_create`: creates a dataset named `name` owned by the caller, who pays its
    /// storage. Returns its id (`basalt_proof::dataset_id` of the caller and the name).
    #[payable]
    #[handle_result]
    pub fn dataset_create(&mut self, name: String, public: bool) -> Result<Digest> {
        basalt_rules::check_dataset_name(&name)?;
        let owner = env::predecessor_account_id();
        let id: Digest = basalt_proof::dataset_id(owner.as_bytes(), &name).into();
        // Solana's `init` fails the same way on an existing account.
        ensure!(self.datasets.get(&id).is_none(), BasaltError::DatasetExists);
        let meter = self.meter()?;
        self.datasets.insert(
            &id,
            &Dataset {
                owner: owner.clone(),
                name: name.clone(),
                public,
                versions: 0,
                latest: None,
                created_block: env::block_height(),
            },
        );
        self.settle(meter)?;
        Event::DatasetCreated {
            dataset: id,
            owner,
            name,
            public,
            block: env::block_height(),
        }
        .emit();
        Ok(id)
    }

    /// `dataset_set_access`: makes a dataset public or private (owner or ADMIN grantee).
    #[handle_result]
    pub fn dataset_set_access(&mut self, dataset: Digest, public: bool) -> Result<()> {
        let caller = env::predecessor_account_id();
        let mut record = self.dataset(&dataset)?;
        self.dataset_standing(&dataset, &record, &caller)
            .may_grant()?;
        record.public = public;
        self.datasets.insert(&dataset, &record);
        Event::DatasetAccessChanged {
            dataset,
            public,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `dataset_grant_create`: gives `grantee` roles on a dataset (READ, WRITE to publish,
    /// DELETE to retract) with an optional expiry (unix seconds) and the dataset's key
    /// wrapped for it. Called by the owner or an ADMIN grantee, who pays its storage.
    #[payable]
    #[handle_result]
    pub fn dataset_grant_create(
        &mut self,
        dataset: Digest,
        grantee: AccountId,
        roles: u8,
        expires_at: Option<u64>,
        wrapped_key: Base64VecU8,
    ) -> Result<()> {
        let caller = env::predecessor_account_id();
        let record = self.dataset(&dataset)?;
        self.dataset_standing(&dataset, &record, &caller)
            .may_grant()?;
        check_new_grant(roles, &wrapped_key, expires_at)?;
        let key = (dataset, grantee.clone());
        ensure!(
            self.dataset_grants.get(&key).is_none(),
            BasaltError::DatasetGrantExists
        );
        let meter = self.meter()?;
        self.dataset_grants.insert(
            &key,
            &DatasetGrant {
                roles,
                expires_at,
                wrapped_key,
                granted_by: caller.clone(),
            },
        );
        self.settle(meter)?;
        Event::DatasetGrantCreated {
            dataset,
            grantee,
            roles,
            expires_at,
            granted_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `dataset_grant_revoke`: removes a dataset grant. Called by the owner, an ADMIN
    /// grantee, or the grantee itself (renouncing); the storage goes back to its payer.
    #[handle_result]
    pub fn dataset_grant_revoke(&mut self, dataset: Digest, grantee: AccountId) -> Result<()> {
        let caller = env::predecessor_account_id();
        let record = self.dataset(&dataset)?;
        let key = (dataset, grantee.clone());
        let grant = self
            .dataset_grants
            .get(&key)
            .ok_or(BasaltError::DatasetGrantNotFound)?;
        if grantee != caller {
            self.dataset_standing(&dataset, &record, &caller)
                .may_grant()?;
        }
        let mut meter = self.meter()?;
        self.release(&mut meter, &grant.granted_by, |c| {
            c.dataset_grants.remove(&key);
        })?;
        self.settle(meter)?;
        Event::DatasetGrantRevoked {
            dataset,
            grantee,
            revoked_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `version_publish`: publishes a version of a dataset (its owner or a WRITE grantee,
    /// who pays its storage). Each parent must be a published, unretracted version; the
    /// tag must be new to the dataset (a tag is never reused, even once retracted). A
    /// version derived by a job names it: the job must have succeeded with its output
    /// stored, for the publisher or the dataset's owner. Returns the version's key.
    #[payable]
    #[handle_result]
    pub fn version_publish(&mut self, args: VersionPublishArgs) -> Result<Digest> {
        let publisher = env::predecessor_account_id();
        let mut record = self.dataset(&args.dataset)?;
        self.dataset_standing(&args.dataset, &record, &publisher)
            .may_publish()?;
        let manifest = self.blob(&args.manifest_blob)?;
        ensure!(
            manifest.owner == publisher || manifest.owner == record.owner,
            BasaltError::ManifestMismatch
        );
        if let Some(job) = &args.job {
            let j = self
                .jobs
                .get(&(job.requester.clone(), job.nonce))
                .ok_or(BasaltError::DerivationJobMismatch)?;
            ensure!(
                j.status == JobStatus::Succeeded
                    && j.output_blob.is_some()
                    && (j.requester == publisher || j.requester == record.owner),
                BasaltError::DerivationJobMismatch
            );
        }
        let version_id: [u8; 32] = args.version_id.into();
        let parents: Vec<[u8; 32]> = args.parents.iter().map(|p| (*p).into()).collect();
        NewVersion {
            tag: &args.tag,
            message: &args.message,
            version_id: &version_id,
            parents: &parents,
        }
        .check()?;
        for parent in &args.parents {
            let p = self
                .versions
                .get(parent)
                .ok_or(BasaltError::ParentsMismatch)?;
            ParentFacts {
                retracted: p.retracted,
            }
            .check()?;
        }
        let key: Digest = basalt_proof::version_key(&args.dataset.into(), &args.tag).into();
        ensure!(
            self.versions.get(&key).is_none(),
            BasaltError::VersionTagTaken
        );
        let seq = record.versions;
        record.versions = seq.checked_add(1).ok_or(BasaltError::Overflow)?;
        record.latest = Some(key);
        let block = env::block_height();
        let meter = self.meter()?;
        self.datasets.insert(&args.dataset, &record);
        self.versions.insert(
            &key,
            &Version {
                dataset: args.dataset,
                tag: args.tag.clone(),
                seq,
                version_id: args.version_id,
                manifest_blob: args.manifest_blob,
                parents: args.parents.clone(),
                job: args.job.clone(),
                message: args.message.clone(),
                publisher: publisher.clone(),
                block,
                retracted: false,
                retracted_block: 0,
            },
        );
        self.settle(meter)?;
        Event::VersionPublished {
            dataset: args.dataset,
            version: key,
            tag: args.tag,
            seq,
            version_id: args.version_id,
            manifest_blob: args.manifest_blob,
            parents: args.parents,
            job: args.job,
            message: args.message,
            publisher,
            block,
        }
        .emit();
        Ok(key)
    }

    /// `version_retract`: retracts a version (the dataset's owner or a DELETE grantee): a
    /// tombstone, so it stays in the history, keeps its tag and is no longer built on.
    #[handle_result]
    pub fn version_retract(&mut self, dataset: Digest, tag: String) -> Result<()> {
        let caller = env::predecessor_account_id();
        let record = self.dataset(&dataset)?;
        self.dataset_standing(&dataset, &record, &caller)
            .may_retract()?;
        let key: Digest = basalt_proof::version_key(&dataset.into(), &tag).into();
        let mut version = self
            .versions
            .get(&key)
            .ok_or(BasaltError::VersionNotFound)?;
        ensure!(!version.retracted, BasaltError::AlreadyRetracted);
        version.retracted = true;
        version.retracted_block = env::block_height();
        // Same size: the flag and block are fixed-width.
        self.versions.insert(&key, &version);
        Event::VersionRetracted {
            dataset,
            version: key,
            retracted_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    pub fn dataset_get(&self, dataset: Digest) -> Option<Dataset> {
        self.datasets.get(&dataset)
    }

    pub fn dataset_grant_get(&self, dataset: Digest, grantee: AccountId) -> Option<DatasetGrant> {
        self.dataset_grants.get(&(dataset, grantee))
    }

    /// The version of `dataset` tagged `tag`.
    pub fn version_get(&self, dataset: Digest, tag: String) -> Option<Version> {
        let key: Digest = basalt_proof::version_key(&dataset.into(), &tag).into();
        self.versions.get(&key)
    }

    /// A version by its key (as parents name it).
    pub fn version_by_key(&self, version: Digest) -> Option<Version> {
        self.versions.get(&version)
    }
}

impl Contract {
    pub(crate) fn dataset(&self, id: &Digest) -> Result<Dataset> {
        self.datasets.get(id).ok_or(BasaltError::DatasetNotFound)
    }

    /// The standing of `caller` with the dataset: its owner, or its unexpired grant's roles.
    pub(crate) fn dataset_standing(
        &self,
        id: &Digest,
        record: &Dataset,
        caller: &AccountId,
    ) -> DatasetStanding {
        let roles = self
            .dataset_grants
            .get(&(*id, caller.clone()))
            .map_or(0, |g| g.roles_at(unix_seconds()));
        DatasetStanding {
            owner: record.owner == *caller,
            roles,
        }
    }
}
