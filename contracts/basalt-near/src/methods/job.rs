use basalt_rules::{Admission, JobParams, OutputRegistration};
use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::ledger::Meter;
use crate::methods::BlobRegisterArgs;
use crate::state::{Blob, Deal, Digest, Job, JobStatus, JobWorker, WorkerOutcome, ROLE_COMPUTE};
use crate::{add, sub, Contract, ContractExt};

/// The job a requester posts through `ft_transfer_call`
/// `{"action":"job_post", ...these fields}`.
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPostArgs {
    pub nonce: u64,
    pub module_cid: Digest,
    pub input_cid: Digest,
    pub fuel_limit: u64,
    pub n: u8,
    pub k: u8,
    pub reward_per_worker: U128,
    pub apply_deadline_block: u64,
    pub commit_deadline_block: u64,
    pub reveal_deadline_block: u64,
    /// Store the output as a blob of the requester's, paid by this budget (zero or
    /// absent: do not store it; `basalt_rules::OutputTerms`). Sent with the rewards.
    #[serde(default)]
    pub output_budget: U128,
    #[serde(default)]
    pub output_price_per_shard_epoch: U128,
    #[serde(default)]
    pub output_deadline_block: u64,
    /// Seal the output for the requester (a private blob) instead of storing it plain and
    /// public.
    #[serde(default)]
    pub output_encrypted: bool,
    /// The key of the dataset version whose files are the input; its version id must be
    /// `input_cid`.
    #[serde(default)]
    pub input_version: Option<Digest>,
    /// Publish the output as a version of a public dataset (`basalt_rules::NewPublication`);
    /// its budget is sent with the rewards.
    #[serde(default)]
    pub publication: Option<JobPublicationArgs>,
}

/// A request to publish a job's output as a version of a public dataset.
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPublicationArgs {
    pub dataset: Digest,
    pub tag: String,
    /// Escrowed for the manifest blob's deal (priced as the output's).
    pub budget: U128,
}

/// The output blob a worker registers: what `blob_register` takes, less what the job
/// decides (the owner, access, encryption and expiry).
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOutputArgs {
    pub cid_digest: Digest,
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub commitment_root: Digest,
}

impl JobOutputArgs {
    /// The blob registration these describe, with what the job decides besides.
    pub fn to_register(
        &self,
        expiry_epoch: u64,
        public: bool,
        encrypted: bool,
    ) -> BlobRegisterArgs {
        BlobRegisterArgs {
            cid_digest: self.cid_digest,
            size: self.size,
            chunk_size: self.chunk_size,
            leaf_size: self.leaf_size,
            k: self.k,
            m: self.m,
            commitment_root: self.commitment_root,
            expiry_epoch,
            public,
            encrypted,
        }
    }
}

/// The commitment a worker posts for `result_hash`: SHA-256(result_hash || worker ||
/// salt). Binding the worker's account stops another worker from copying a commitment.
/// (Solana binds the 32-byte key; NEAR the account ID's bytes.)
pub fn job_commitment(result_hash: &[u8; 32], worker: &AccountId, salt: &[u8; 32]) -> [u8; 32] {
    basalt_proof::hash::sha256v(&[result_hash, worker.as_bytes(), salt])
}

#[near]
impl Contract {
    /// `job_apply`: an eligible compute provider (active, staked, not jailed or unbonding)
    /// applies for the job up to its apply deadline, with its bonded stake as its weight in
    /// `job_select`, paying the bytes its entry takes. The application is its consent to
    /// work if selected: an obligation until `job_settle`. Once the job has
    /// `MAX_JOB_APPLICANTS`, a newcomer with more stake displaces the earliest of the least
    /// staked (`basalt_rules::admit`), whose obligation ends and whose entry's storage is
    /// credited back to it.
    #[payable]
    #[handle_result]
    pub fn job_apply(&mut self, requester: AccountId, nonce: u64) -> Result<()> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut provider = self.provider(&worker)?;
        ensure!(
            provider.is_eligible(&self.config, ROLE_COMPUTE),
            BasaltError::ProviderNotEligible
        );
        let mut job = self.open_job(&requester, nonce)?;
        job.deadlines().check_apply_open(block)?;
        ensure!(
            job.worker_index(&worker).is_none(),
            BasaltError::AlreadyApplied
        );
        let stake = provider.stake;
        let admission = basalt_rules::admit(job.workers.iter().map(|w| w.stake), stake)?;
        let mut meter = self.meter()?;
        let displaced = match admission {
            Admission::Append => None,
            Admission::Displace(i) => {
                let gone = job.workers.remove(i);
                let mut gone_provider = self.provider(&gone.worker)?;
                gone_provider.close_obligation();
                self.providers.insert(&gone.worker, &gone_provider);
                // The displaced applicant paid for its entry: it gets those bytes back.
                self.release(&mut meter, &gone.worker, |c| {
                    c.jobs.insert(&(requester.clone(), nonce), &job);
                })?;
                Some((i, gone.worker))
            }
        };
        let entry = JobWorker {
            worker: worker.clone(),
            stake,
            selected: false,
            commitment: None,
            result_hash: None,
            settled: false,
        };
        match &displaced {
            Some((i, _)) => job.workers.insert(*i, entry),
            None => job.workers.push(entry),
        }
        self.jobs.insert(&(requester.clone(), nonce), &job);
        // The application is an obligation until `job_settle`; the record keeps its size.
        provider.open_obligation()?;
        self.providers.insert(&worker, &provider);
        self.settle(meter)?;
        Event::JobApplied {
            requester,
            nonce,
            worker,
            stake: U128(stake),
            displaced: displaced.map(|(_, gone)| gone),
            block,
        }
        .emit();
        Ok(())
    }

    /// `job_select`: draws the job's `n` workers among its applicants (anyone may call,
    /// once, after the apply deadline and up to the commit deadline), each draw weighted by
    /// the applicant's stake (`basalt_rules::select_weighted`). The seed is the
    /// `env::random_seed()` of this call, which no applicant or caller can know before the
    /// call executes (see `randomness`); a job nobody selects by its commit deadline gets
    /// no workers and fails, its escrow refunded.
    #[handle_result]
    pub fn job_select(&mut self, requester: AccountId, nonce: u64) -> Result<Vec<AccountId>> {
        let block = env::block_height();
        let mut job = self.open_job(&requester, nonce)?;
        ensure!(!job.selection_done, BasaltError::AlreadySelected);
        job.deadlines().check_select_open(block)?;
        let seed = env::random_seed_array();
        let stakes: Vec<u128> = job.workers.iter().map(|w| w.stake).collect();
        let set = basalt_rules::select_weighted(&stakes, usize::from(job.n), |i| {
            basalt_proof::selection_draw(&seed, i)
        });
        let mut workers = Vec::new();
        for (i, w) in job.workers.iter_mut().enumerate() {
            w.selected = set & (1 << i) != 0;
            if w.selected {
                workers.push(w.worker.clone());
            }
        }
        job.selection_done = true;
        // Flags only: the record keeps its size, so the caller pays no storage.
        self.jobs.insert(&(requester.clone(), nonce), &job);
        Event::JobSelected {
            requester,
            nonce,
            seed: Digest::from(seed),
            workers: workers.clone(),
            block,
        }
        .emit();
        Ok(workers)
    }

    /// `job_commit`: a selected worker commits to `job_commitment(result_hash, worker, salt)` before
    /// the commit deadline; once only, so a commitment cannot be replaced after seeing
    /// others' reveals.
    #[payable]
    #[handle_result]
    pub fn job_commit(
        &mut self,
        requester: AccountId,
        nonce: u64,
        commitment: Digest,
    ) -> Result<()> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut job = self.open_job(&requester, nonce)?;
        job.deadlines().check_commit_open(block)?;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        ensure!(job.workers[i].selected, BasaltError::NotSelected);
        ensure!(
            job.workers[i].commitment.is_none(),
            BasaltError::AlreadyCommitted
        );
        job.workers[i].commitment = Some(commitment);
        self.store_job(&job)?;
        Event::JobCommitted {
            requester,
            nonce,
            worker,
            commitment,
            block,
        }
        .emit();
        Ok(())
    }

    /// `job_reveal`: after the commit deadline and up to the reveal deadline, a worker opens
    /// its commitment.
    #[payable]
    #[handle_result]
    pub fn job_reveal(
        &mut self,
        requester: AccountId,
        nonce: u64,
        result_hash: Digest,
        salt: Digest,
    ) -> Result<()> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut job = self.open_job(&requester, nonce)?;
        job.deadlines().check_reveal_open(block)?;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        let entry = &mut job.workers[i];
        let commitment = entry.commitment.ok_or(BasaltError::NotCommitted)?;
        ensure!(entry.result_hash.is_none(), BasaltError::AlreadyRevealed);
        ensure!(
            job_commitment(&result_hash.into(), &worker, &salt.into())
                == <[u8; 32]>::from(commitment),
            BasaltError::RevealMismatch
        );
        entry.result_hash = Some(result_hash);
        self.store_job(&job)?;
        Event::JobRevealed {
            requester,
            nonce,
            worker,
            result_hash,
            block,
        }
        .emit();
        Ok(())
    }

    /// `job_finalize`: closes a job's voting (anyone may crank): after the reveal deadline,
    /// or as soon as every selected worker revealed. If exactly one result has `k` or more
    /// matching reveals the job succeeds: their rewards stay reserved for `job_settle` and
    /// the rest is credited back to the requester. Otherwise it fails and the whole escrow
    /// is credited back. A job with no applicant left to settle is removed here, its
    /// storage back to whoever paid it.
    #[handle_result]
    pub fn job_finalize(&mut self, requester: AccountId, nonce: u64) -> Result<U128> {
        let block = env::block_height();
        let mut job = self.open_job(&requester, nonce)?;
        job.deadlines()
            .check_finalizable(block, job.everyone_revealed())?;
        let (status, result_hash, agreeing, reserved) = match job.quorum_result() {
            Some((hash, votes)) => {
                // Cannot overflow: votes <= n and n * reward was checked at posting.
                let reserved = job.reward_per_worker * votes as u128;
                (JobStatus::Succeeded, hash, votes as u8, reserved)
            }
            None => (JobStatus::Failed, Digest::default(), 0, 0),
        };
        // A failed job has no output to store: its budget goes back with the rewards.
        let output_refund = if status == JobStatus::Failed {
            job.output_budget
        } else {
            0
        };
        let refund = add(sub(job.escrow, reserved)?, output_refund)?;
        let mut meter = self.meter()?;
        self.books.escrow = sub(self.books.escrow, refund)?;
        self.credit_tokens(&requester, refund)?;
        job.escrow = reserved;
        job.output_budget -= output_refund;
        job.status = status;
        job.result_hash = result_hash;
        let job_closed = job.all_settled();
        if job_closed {
            self.close_job(&mut meter, &job)?;
        } else {
            self.jobs.insert(&(requester.clone(), nonce), &job);
        }
        self.settle(meter)?;
        Event::JobFinalized {
            requester,
            nonce,
            status,
            result_hash,
            agreeing,
            refunded: U128(refund),
            job_closed,
            block,
        }
        .emit();
        Ok(U128(refund))
    }

    /// `job_settle`: settles one applicant (anyone may crank, once per applicant): one
    /// that was not selected as soon as the selection ran (or the job ended without one); a
    /// selected worker once the job is finalized. A worker that revealed the agreed result
    /// is credited its reward and gains reputation; one that revealed another result loses
    /// reputation and, when the agreeing results were a strict majority of those revealed,
    /// is slashed `job_slash_bps` to the treasury; one that was selected but never revealed
    /// loses reputation. The application's obligation ends; the last settlement removes
    /// the job, its storage back to the requester and the applicants.
    #[handle_result]
    pub fn job_settle(
        &mut self,
        requester: AccountId,
        nonce: u64,
        worker: AccountId,
    ) -> Result<WorkerOutcome> {
        let block = env::block_height();
        let mut job = self.job(&requester, nonce)?;
        let i = job.worker_index(&worker).ok_or(BasaltError::NotJobWorker)?;
        let entry = &job.workers[i];
        ensure!(!entry.settled, BasaltError::AlreadySettled);
        let passed_over = job.selection_done && !entry.selected;
        ensure!(
            job.status != JobStatus::Open || passed_over,
            BasaltError::JobNotFinalized
        );
        let reveal = entry.result_hash.map(|hash| hash == job.result_hash);
        let succeeded = job.status == JobStatus::Succeeded;
        let outcome =
            WorkerOutcome::from(basalt_rules::job_outcome(entry.selected, succeeded, reveal));
        ensure!(
            outcome != WorkerOutcome::Paid || !job.pay_waits(block),
            BasaltError::OutputPending
        );
        let mut provider = self.provider(&worker)?;
        job.workers[i].settled = true;
        provider.close_obligation();
        let (paid, slashed) = match outcome {
            WorkerOutcome::Paid => {
                job.escrow = sub(job.escrow, job.reward_per_worker)?;
                provider.reputation = provider.reputation.saturating_add(1);
                (job.reward_per_worker, 0)
            }
            WorkerOutcome::Disagreed => {
                provider.reputation = provider.reputation.saturating_sub(1);
                let bps = if job.dissent_is_slashable() {
                    self.config.job_slash_bps
                } else {
                    0
                };
                (0, provider.slash(bps))
            }
            WorkerOutcome::NoShow => {
                provider.reputation = provider.reputation.saturating_sub(1);
                (0, 0)
            }
            WorkerOutcome::NoQuorum | WorkerOutcome::NotSelected => (0, 0),
        };
        let mut meter = self.meter()?;
        self.books.escrow = sub(self.books.escrow, paid)?;
        self.credit_tokens(&worker, paid)?;
        self.books.stake = sub(self.books.stake, slashed)?;
        self.books.treasury = add(self.books.treasury, slashed)?;
        self.providers.insert(&worker, &provider);
        let job_closed = job.status != JobStatus::Open && job.all_settled();
        // INV: output_budget and the publication's budget are what the escrow holds for
        // an output not registered and a version not published.
        let output_refunded = if job_closed {
            add(
                job.output_budget,
                job.publication.as_ref().map_or(0, |p| p.budget),
            )?
        } else {
            0
        };
        self.books.escrow = sub(self.books.escrow, output_refunded)?;
        self.credit_tokens(&requester, output_refunded)?;
        if job_closed {
            // INV: every agreeing worker was paid its reserved reward, so nothing is left.
            ensure!(job.escrow == 0, BasaltError::Overflow);
            self.close_job(&mut meter, &job)?;
        } else {
            self.jobs.insert(&(requester.clone(), nonce), &job);
        }
        self.settle(meter)?;
        if slashed > 0 {
            Event::ProviderSlashed {
                provider: worker.clone(),
                amount: U128(slashed),
                bounty: U128(0),
                beneficiary: env::current_account_id(),
                subject: format!("{requester}:{nonce}"),
                reputation: provider.reputation,
                block,
            }
            .emit();
        }
        Event::JobWorkerSettled {
            requester,
            nonce,
            worker,
            outcome,
            paid: U128(paid),
            slashed: U128(slashed),
            reputation: provider.reputation,
            job_closed,
            output_refunded: U128(output_refunded),
            block,
        }
        .emit();
        Ok(outcome)
    }

    /// `job_output_register`: registers a succeeded job's output as a blob of the job's
    /// requester, called by a selected worker that revealed the agreed result, once, up to
    /// the job's output deadline (`basalt_rules::OutputRegistration`). A plain output is
    /// public and must have the agreed result as its digest; an encrypted one is private,
    /// sealed for the requester, who checks it when reading. The blob expires after as
    /// many epochs as the output budget pays for every shard (at most the configuration's
    /// limit); its deal opens with that budget, the requester as its payer. The worker may
    /// place the shards until the blob is active (the blob's `writer`). Attach the blob's
    /// and the deal's storage; the blob's comes back to the worker when it is deleted.
    /// Returns the blob's id.
    #[payable]
    #[handle_result]
    pub fn job_output_register(
        &mut self,
        requester: AccountId,
        nonce: u64,
        args: JobOutputArgs,
    ) -> Result<Digest> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut job = self.job(&requester, nonce)?;
        let terms = job.output_terms();
        OutputRegistration {
            terms,
            succeeded: job.status == JobStatus::Succeeded,
            agreed: &job.result_hash.into(),
            worker_agreed: job.agreed(&worker),
            stored: job.output_blob.is_some(),
            encrypted: job.output_encrypted,
            cid_digest: &args.cid_digest.into(),
        }
        .check(block)?;
        let shards = args.k.checked_add(args.m).ok_or(BasaltError::Overflow)?;
        let epochs = terms.epochs(shards, self.config.max_deal_epochs)?;
        let expiry = self
            .current_epoch()
            .checked_add(epochs)
            .ok_or(BasaltError::Overflow)?;
        let register = args.to_register(expiry, !job.output_encrypted, job.output_encrypted);
        let blob = self.register_blob(requester.clone(), Some(worker.clone()), &register)?;
        let budget = job.output_budget;
        let meter = self.meter()?;
        // The budget stays in the escrow books: it is the deal's balance now.
        self.deals.insert(
            &blob,
            &Deal {
                payer: requester.clone(),
                price_per_shard_epoch: job.output_price_per_shard_epoch,
                balance: budget,
                total_paid: 0,
            },
        );
        job.output_budget = 0;
        job.output_blob = Some(blob);
        self.jobs.insert(&(requester.clone(), nonce), &job);
        self.settle(meter)?;
        Event::DealFunded {
            blob,
            payer: requester.clone(),
            price_per_shard_epoch: U128(job.output_price_per_shard_epoch),
            amount: U128(budget),
            balance: U128(budget),
            block,
        }
        .emit();
        Event::JobOutputRegistered {
            requester,
            nonce,
            blob,
            worker,
            cid_digest: args.cid_digest,
            budget: U128(budget),
            block,
        }
        .emit();
        Ok(blob)
    }

    /// `job_output_link`: records as a succeeded job's output a blob the requester already
    /// stores with exactly the agreed result as its content (a blob is keyed by its owner
    /// and content, so the output's own blob could not be registered). Called, like
    /// `job_output_register`, by a selected worker that revealed the agreed result, once,
    /// up to the output deadline. Nothing is stored or funded: the output budget stays with
    /// the job and goes back to the requester when the job closes, and the agreeing workers
    /// may settle at once. Attach the storage of the job's grown record. Returns the blob's
    /// id.
    #[payable]
    #[handle_result]
    pub fn job_output_link(&mut self, requester: AccountId, nonce: u64) -> Result<Digest> {
        let worker = env::predecessor_account_id();
        let block = env::block_height();
        let mut job = self.job(&requester, nonce)?;
        let agreed: [u8; 32] = job.result_hash.into();
        OutputRegistration {
            terms: job.output_terms(),
            succeeded: job.status == JobStatus::Succeeded,
            agreed: &agreed,
            worker_agreed: job.agreed(&worker),
            stored: job.output_blob.is_some(),
            // The blob's content is the agreed result itself: the plain rule applies.
            encrypted: false,
            cid_digest: &agreed,
        }
        .check(block)?;
        let blob = Blob::id_of(&requester, job.result_hash);
        self.blob(&blob)?;
        let meter = self.meter()?;
        job.output_blob = Some(blob);
        self.jobs.insert(&(requester.clone(), nonce), &job);
        self.settle(meter)?;
        Event::JobOutputRegistered {
            requester,
            nonce,
            blob,
            worker,
            cid_digest: job.result_hash,
            budget: U128(0),
            block,
        }
        .emit();
        Ok(blob)
    }

    pub fn job_get(&self, requester: AccountId, nonce: u64) -> Option<Job> {
        self.jobs.get(&(requester, nonce))
    }
}

impl Contract {
    /// The job, if it is still open for applications, commits and reveals.
    fn open_job(&self, requester: &AccountId, nonce: u64) -> Result<Job> {
        let job = self.job(requester, nonce)?;
        ensure!(job.status == JobStatus::Open, BasaltError::JobNotOpen);
        Ok(job)
    }

    /// Writes `job` back, charging the caller for the bytes it grew by (a commit or reveal
    /// fills its worker's fields).
    fn store_job(&mut self, job: &Job) -> Result<()> {
        let meter = self.meter()?;
        self.jobs.insert(&(job.requester.clone(), job.nonce), job);
        self.settle(meter)
    }

    /// Removes a finished job. Each applicant paid for its own entry (its application, its
    /// commitment and its reveal), so each gets its entry's bytes back; the requester,
    /// which paid for the rest, gets what remains.
    fn close_job(&mut self, meter: &mut Meter, job: &Job) -> Result<()> {
        let shares = job
            .workers
            .iter()
            .map(|w| {
                let bytes = near_sdk::borsh::to_vec(w).map_or(0, |v| v.len() as u64);
                (w.worker.clone(), bytes)
            })
            .collect::<Vec<_>>();
        let key = (job.requester.clone(), job.nonce);
        self.release_shared(meter, &shares, &job.requester, |c| {
            c.jobs.remove(&key);
        })
    }

    /// `job_post`, through `ft_transfer_call` `{"action":"job_post",...}`: takes
    /// `n * reward_per_worker` plus the output budget into escrow (the rest is returned)
    /// and opens the job for claims.
    pub(crate) fn job_post_tokens(
        &mut self,
        requester: &AccountId,
        args: JobPostArgs,
        amount: u128,
    ) -> Result<u128> {
        let block = env::block_height();
        JobParams {
            n: args.n,
            k: args.k,
            fuel_limit: args.fuel_limit,
            apply_deadline: args.apply_deadline_block,
            commit_deadline: args.commit_deadline_block,
            reveal_deadline: args.reveal_deadline_block,
        }
        .check(block)?;
        let output = basalt_rules::OutputTerms {
            budget: args.output_budget.0,
            price_per_shard_epoch: args.output_price_per_shard_epoch.0,
            deadline: args.output_deadline_block,
        };
        output.check(args.reveal_deadline_block)?;
        let reward = args.reward_per_worker.0;
        ensure!(reward > 0, BasaltError::ZeroAmount);
        let escrow = reward
            .checked_mul(u128::from(args.n))
            .ok_or(BasaltError::Overflow)?;
        if let Some(version) = &args.input_version {
            let v = self
                .versions
                .get(version)
                .ok_or(BasaltError::InputVersionMismatch)?;
            ensure!(
                v.version_id == args.input_cid && !v.retracted,
                BasaltError::InputVersionMismatch
            );
        }
        let publication = self.requested_publication(requester, &args, &output)?;
        let publish_budget = publication.as_ref().map_or(0, |p| p.budget);
        let taken = add(add(escrow, output.budget)?, publish_budget)?;
        ensure!(amount >= taken, BasaltError::InsufficientTokens);
        let key = (requester.clone(), args.nonce);
        ensure!(self.jobs.get(&key).is_none(), BasaltError::JobExists);
        self.books.escrow = add(self.books.escrow, taken)?;
        self.jobs.insert(
            &key,
            &Job {
                requester: requester.clone(),
                nonce: args.nonce,
                module_cid: args.module_cid,
                input_cid: args.input_cid,
                fuel_limit: args.fuel_limit,
                n: args.n,
                k: args.k,
                reward_per_worker: reward,
                escrow,
                apply_deadline_block: args.apply_deadline_block,
                commit_deadline_block: args.commit_deadline_block,
                reveal_deadline_block: args.reveal_deadline_block,
                status: JobStatus::Open,
                result_hash: Digest::default(),
                selection_done: false,
                output_budget: output.budget,
                output_price_per_shard_epoch: output.price_per_shard_epoch,
                output_deadline_block: args.output_deadline_block,
                output_encrypted: args.output_encrypted,
                output_blob: None,
                input_version: args.input_version,
                publication: publication.clone(),
                workers: Vec::new(),
            },
        );
        // The requester's withdrawable entry, for the refund, is made now at its expense.
        if self.tokens.get(requester).is_none() {
            self.tokens.insert(requester, &0);
        }
        Event::JobPosted {
            requester: requester.clone(),
            nonce: args.nonce,
            module_cid: args.module_cid,
            input_cid: args.input_cid,
            fuel_limit: args.fuel_limit,
            n: args.n,
            k: args.k,
            reward_per_worker: args.reward_per_worker,
            apply_deadline_block: args.apply_deadline_block,
            commit_deadline_block: args.commit_deadline_block,
            reveal_deadline_block: args.reveal_deadline_block,
            output_budget: args.output_budget,
            output_price_per_shard_epoch: args.output_price_per_shard_epoch,
            output_deadline_block: args.output_deadline_block,
            output_encrypted: args.output_encrypted,
            input_version: args.input_version,
            publish_dataset: publication.as_ref().map(|p| p.dataset),
            publish_tag: publication.map(|p| p.tag),
            publish_budget: U128(publish_budget),
            block,
        }
        .emit();
        Ok(taken)
    }
}
