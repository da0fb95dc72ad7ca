//! A job's output published as a dataset version by the worker that stores it (the Solana
//! program's `job_output_publish` and the publication part of `job_post`; rules in
//! `basalt_rules`'s publication module).

use basalt_rules::{NewPublication, NewVersion, OutputPublication, OutputTerms, ParentFacts};
use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::methods::{JobOutputArgs, JobPostArgs};
use crate::state::{Deal, Digest, JobPublication, JobRef, JobStatus, Version};
use crate::{Contract, ContractExt};

#[near]
impl Contract {
    /// `job_output_publish`: publishes a succeeded job's stored output as the version its
    /// requester asked for when posting (`basalt_rules::OutputPublication`), called by a
    /// selected worker that revealed the agreed result, once, up to the output deadline.
    /// The worker registers the version's manifest as a public blob of the requester's,
    /// its deal opened with the publication budget (priced as the output, the requester
    /// its payer), and the version is published in the requester's name, derived by the
    /// job, the job's input version (if any) its one parent. The requester's standing in
    /// the dataset is checked again now. Attach the storage of the blob, the deal and the
    /// version. Returns the version's key.
    #[payable]
    #[handle_result]
    pub fn job_output_publish(
        &mut self,
        requester: AccountId,
        nonce: u64,
        tag: String,
        manifest: JobOutputArgs,
    ) -> Result<Digest> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut job = self.job(&requester, nonce)?;
        let request = job.publication.clone();
        let dataset_id = request.as_ref().map_or(Digest::default(), |p| p.dataset);
        let mut record = match &request {
            Some(_) => Some(self.dataset(&dataset_id)?),
            None => None,
        };
        OutputPublication {
            succeeded: job.status == JobStatus::Succeeded,
            wanted: request.is_some(),
            published: request.as_ref().is_some_and(|p| p.version.is_some()),
            output_stored: job.output_blob.is_some(),
            deadline: job.output_deadline_block,
            worker_agreed: job.agreed(&worker),
            dataset_public: record.as_ref().is_some_and(|r| r.public),
            standing: match &record {
                Some(r) => self.dataset_standing(&dataset_id, r, &requester),
                None => basalt_rules::DatasetStanding {
                    owner: false,
                    roles: 0,
                },
            },
        }
        .check(block)?;
        let (Some(request), Some(record)) = (request, record.as_mut()) else {
            return Err(BasaltError::NoPublicationWanted);
        };
        ensure!(request.tag == tag, BasaltError::NoPublicationWanted);
        let parents: Vec<Digest> = match job.input_version {
            None => Vec::new(),
            Some(input) => {
                let parent = self
                    .versions
                    .get(&input)
                    .ok_or(BasaltError::InputVersionMismatch)?;
                ParentFacts {
                    retracted: parent.retracted,
                }
                .check()?;
                vec![input]
            }
        };
        let version_id: [u8; 32] = manifest.cid_digest.into();
        let parent_keys: Vec<[u8; 32]> = parents.iter().map(|p| (*p).into()).collect();
        NewVersion {
            tag: &tag,
            message: "",
            version_id: &version_id,
            parents: &parent_keys,
        }
        .check()?;
        let key: Digest = basalt_proof::version_key(&dataset_id.into(), &tag).into();
        ensure!(
            self.versions.get(&key).is_none(),
            BasaltError::VersionTagTaken
        );

        // The manifest: the requester's public blob, paid by the publication budget.
        let terms = OutputTerms {
            budget: request.budget,
            price_per_shard_epoch: job.output_price_per_shard_epoch,
            deadline: job.output_deadline_block,
        };
        let shards = manifest
            .k
            .checked_add(manifest.m)
            .ok_or(BasaltError::Overflow)?;
        let epochs = terms.epochs(shards, self.config.max_deal_epochs)?;
        let expiry = self
            .current_epoch()
            .checked_add(epochs)
            .ok_or(BasaltError::Overflow)?;
        let register = manifest.to_register(expiry, true, false);
        let blob = self.register_blob(requester.clone(), Some(worker.clone()), &register)?;
        let meter = self.meter()?;
        // The budget stays in the escrow books: it is the manifest deal's balance now.
        self.deals.insert(
            &blob,
            &Deal {
                payer: requester.clone(),
                price_per_shard_epoch: job.output_price_per_shard_epoch,
                balance: request.budget,
                total_paid: 0,
            },
        );
        let seq = record.versions;
        record.versions = seq.checked_add(1).ok_or(BasaltError::Overflow)?;
        record.latest = Some(key);
        self.datasets.insert(&dataset_id, record);
        let derived_by = JobRef {
            requester: requester.clone(),
            nonce,
        };
        self.versions.insert(
            &key,
            &Version {
                dataset: dataset_id,
                tag: tag.clone(),
                seq,
                version_id: manifest.cid_digest,
                manifest_blob: blob,
                parents: parents.clone(),
                job: Some(derived_by.clone()),
                message: String::new(),
                publisher: requester.clone(),
                block,
                retracted: false,
                retracted_block: 0,
            },
        );
        job.publication = Some(JobPublication {
            budget: 0,
            version: Some(key),
            ..request.clone()
        });
        self.jobs.insert(&(requester.clone(), nonce), &job);
        self.settle(meter)?;
        Event::DealFunded {
            blob,
            payer: requester.clone(),
            price_per_shard_epoch: U128(job.output_price_per_shard_epoch),
            amount: U128(request.budget),
            balance: U128(request.budget),
            block,
        }
        .emit();
        Event::VersionPublished {
            dataset: dataset_id,
            version: key,
            tag,
            seq,
            version_id: manifest.cid_digest,
            manifest_blob: blob,
            parents,
            job: Some(derived_by),
            message: String::new(),
            publisher: requester,
            block,
        }
        .emit();
        Ok(key)
    }
}

impl Contract {
    /// The publication a job's requester asks for when posting, checked
    /// (`basalt_rules::NewPublication`).
    pub(crate) fn requested_publication(
        &self,
        requester: &AccountId,
        args: &JobPostArgs,
        output: &OutputTerms,
    ) -> Result<Option<JobPublication>> {
        let Some(request) = &args.publication else {
            return Ok(None);
        };
        let record = self.dataset(&request.dataset)?;
        NewPublication {
            tag: &request.tag,
            budget: request.budget.0,
            output: *output,
            output_encrypted: args.output_encrypted,
            dataset_public: record.public,
            standing: self.dataset_standing(&request.dataset, &record, requester),
        }
        .check()?;
        Ok(Some(JobPublication {
            dataset: request.dataset,
            tag: request.tag.clone(),
            budget: request.budget.0,
            version: None,
        }))
    }
}
