//! One worker against the Solana program: every `interval` it reads the jobs, plans each
//! (`plan.rs`) and takes the step, one job's failure never stopping the others.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::pda;
use basalt::instructions::job_commitment;
use basalt::state::{Blob, Job, ROLE_COMPUTE};
use basalt_core::dataset::DatasetError;
use basalt_core::{BlobId, Cid};
use basalt_sandbox::limits::MAX_MODULE_BYTES;
use basalt_sandbox::{Failure, HostFault, JobEnv, Outcome, Sandbox};
use basalt_sdk::chain::{job_address, ProviderRegistration};
use basalt_sdk::dataset::DatasetOpError;
use basalt_sdk::{
    ChainClient, ChainError, GetError, GetOptions, PutError, PutOptions, PutReport, Registrar,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::journal::{Journal, JournalError, Pledge};
use crate::metrics::{RunLabels, StepLabels, WorkerMetrics};
use crate::plan::{next_step, Step, WorkerLimits};
use crate::solana::job_view;

mod publish;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The chain's RPC URL.
    pub url: String,
    /// Where the journal lives.
    pub state_dir: PathBuf,
    /// Most unsettled job places held at once.
    pub capacity: usize,
    /// Most fuel a job may ask for.
    pub max_fuel: u64,
    /// Time between two passes over the jobs.
    pub interval: Duration,
    /// Compiled modules kept.
    pub cached_programs: usize,
    /// Test only: commit and reveal a wrong result, to exercise the slashing path.
    pub lie: bool,
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the sandbox failed on this machine (nothing committed): {0}")]
    Host(#[from] HostFault),
    #[error("fetching {what} {id}: {source}")]
    Fetch {
        what: &'static str,
        id: BlobId,
        #[source]
        source: Box<GetError>,
    },
    #[error("{what} {id} does not match the CID the job names")]
    WrongContent { what: &'static str, id: BlobId },
    #[error(
        "{0} is not registered as a provider: register it with the compute role and stake first"
    )]
    Unregistered(Pubkey),
    #[error(
        "committed to job {0}, but the journal has no salt for it: the result cannot be revealed"
    )]
    SaltLost(Pubkey),
    #[error("the run was cancelled: {0}")]
    Cancelled(String),
    #[error("job {0}: running it again gave another result than the one agreed")]
    OutputDiffers(Pubkey),
    #[error("storing the output: {0}")]
    Store(#[source] Box<PutError>),
    #[error("reading the input version {0}: {1}")]
    Input(Pubkey, #[source] Box<DatasetOpError>),
    #[error("job {0}: the output cannot be published as a version: {1}")]
    NotAVersion(Pubkey, #[source] DatasetError),
    #[error("publishing the output: {0}")]
    Publish(#[source] Box<PutError>),
}

/// What one pass did about one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub job: Pubkey,
    pub step: Step,
    /// `None` when the step was taken (or there was nothing to do).
    pub error: Option<String>,
}

/// A compute worker.
pub struct Worker {
    chain: ChainClient,
    key: Keypair,
    journal: Journal,
    sandbox: Arc<Sandbox>,
    config: WorkerConfig,
    metrics: Arc<WorkerMetrics>,
}

impl Worker {
    /// A worker signing with `key`.
    ///
    /// # Errors
    ///
    /// When the journal cannot be opened or the sandbox cannot be set up.
    pub fn new(config: WorkerConfig, key: Keypair) -> Result<Self, WorkerError> {
        Ok(Self {
            chain: ChainClient::new(&config.url),
            journal: Journal::open(config.state_dir.join("journal"))?,
            sandbox: Arc::new(Sandbox::new(config.cached_programs)?),
            key,
            config,
            metrics: Arc::new(WorkerMetrics::new()),
        })
    }

    /// The worker's metrics, for its `/metrics` endpoint.
    pub fn metrics(&self) -> Arc<WorkerMetrics> {
        Arc::clone(&self.metrics)
    }

    /// The worker's authority.
    pub fn authority(&self) -> Pubkey {
        self.key.pubkey()
    }

    /// Registers the worker as a compute provider in `region` with `stake`, unless it is
    /// registered already. Its endpoint names it (`basalt-worker://<authority>`): nothing
    /// connects to a worker, it only talks to the chain and the storage nodes.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::register_provider`].
    pub async fn register(&self, region: &str, stake: u64) -> Result<(), WorkerError> {
        let authority = self.key.pubkey();
        if self.chain.provider(&authority).await?.is_none() {
            let registration = ProviderRegistration {
                endpoint: format!("basalt-worker://{authority}"),
                region: region.to_owned(),
                roles: ROLE_COMPUTE,
                capacity: 0,
            };
            self.chain
                .register_provider(&self.key, &registration, stake)
                .await?;
        }
        Ok(())
    }

    /// Passes over the jobs every `interval` until `shutdown` resolves.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.pass().await {
                Ok(actions) => {
                    for a in actions
                        .iter()
                        .filter(|a| !matches!(a.step, Step::Wait | Step::Done))
                    {
                        match &a.error {
                            None => tracing::info!(job = %a.job, step = ?a.step, "done"),
                            Some(e) => {
                                tracing::warn!(job = %a.job, step = ?a.step, error = %e, "failed")
                            }
                        }
                    }
                }
                Err(e) => {
                    self.metrics.passes_failed.inc();
                    tracing::warn!(error = %e, "pass failed");
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.interval) => {}
            }
        }
    }

    /// One pass: every job on chain, planned and acted on.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read or the worker is not registered; a failed step is
    /// reported in its [`Action`] instead.
    pub async fn pass(&self) -> Result<Vec<Action>, WorkerError> {
        let started = std::time::Instant::now();
        let actions = self.pass_inner().await?;
        self.metrics
            .pass_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(actions)
    }

    async fn pass_inner(&self) -> Result<Vec<Action>, WorkerError> {
        let me = self.key.pubkey();
        let provider = self
            .chain
            .provider(&me)
            .await?
            .ok_or(WorkerError::Unregistered(me))?;
        let now = self.chain.slot().await?;
        let jobs = self.chain.jobs().await?;
        let mut limits = WorkerLimits {
            max_fuel: self.config.max_fuel,
            busy: jobs
                .iter()
                .filter(|j| j.worker_index(&me).is_some_and(|i| !j.workers[i].settled))
                .count(),
            capacity: self.config.capacity,
            stake: u128::from(provider.stake),
        };
        self.metrics.places.set(limits.busy as i64);
        let mut actions = Vec::new();
        for job in &jobs {
            let address = job_address(job);
            let pledged = self.journal.get(&address.to_string())?.is_some();
            let step = next_step(&job_view(job, &me), now, pledged, &limits);
            let started = std::time::Instant::now();
            let taken = self.act(job, &address, step).await;
            if !matches!(step, Step::Wait | Step::Done) {
                self.metrics
                    .stage(step_name(step), started.elapsed().as_secs_f64());
            }
            let (error, outcome) = match taken {
                Ok(()) => (None, "ok"),
                Err(e) if lost_race(step, &e) => {
                    tracing::debug!(job = %address, step = ?step, "another worker did it first");
                    (None, "lost_race")
                }
                Err(e) => (Some(e.to_string()), "error"),
            };
            if !matches!(step, Step::Wait | Step::Done) {
                self.metrics
                    .steps
                    .get_or_create(&StepLabels {
                        step: step_name(step),
                        outcome,
                    })
                    .inc();
            }
            if matches!(step, Step::Apply { .. }) && error.is_none() {
                limits.busy += 1;
            }
            actions.push(Action {
                job: address,
                step,
                error,
            });
        }
        // A job closes once every place is settled: its pledge has served.
        let open: std::collections::HashSet<String> =
            jobs.iter().map(|j| job_address(j).to_string()).collect();
        for pledge in self.journal.all()? {
            if !open.contains(&pledge.job) {
                self.journal.forget(&pledge.job)?;
            }
        }
        Ok(actions)
    }

    async fn act(&self, job: &Job, address: &Pubkey, step: Step) -> Result<(), WorkerError> {
        let me = self.key.pubkey();
        match step {
            Step::Apply { displace } => {
                let displaced = displace.map(|i| job.workers[i].worker);
                self.chain
                    .apply_to_job(&self.key, address, displaced.as_ref())
                    .await?;
            }
            Step::Select => self.chain.select_job_workers(&self.key, address).await?,
            Step::Run => {
                let (result, summary, output) = self.execute(job, address).await?;
                // On disk before the commitment leaves: a restart still reveals.
                let started = std::time::Instant::now();
                let pledge = self
                    .journal
                    .pledge(&address.to_string(), result, &summary)?;
                if let Some(output) = output.filter(|_| job.output_budget > 0) {
                    // Kept to store if the job agrees on it; lost, it is computed again.
                    if let Err(e) = self.journal.keep_output(&address.to_string(), &output) {
                        tracing::warn!(job = %address, error = %e, "keeping the output");
                    }
                }
                self.metrics
                    .stage("journal", started.elapsed().as_secs_f64());
                tracing::info!(job = %address, summary = %pledge.summary, "ran");
                let started = std::time::Instant::now();
                self.commit(address, &pledge).await?;
                self.metrics
                    .stage("commit", started.elapsed().as_secs_f64());
            }
            Step::Commit => {
                let pledge = self.pledge_of(address)?;
                self.commit(address, &pledge).await?;
            }
            Step::Reveal => {
                let pledge = self.pledge_of(address)?;
                self.chain
                    .reveal_job_result(&self.key, address, pledge.result, pledge.salt)
                    .await?;
            }
            Step::Finalize => self.chain.finalize_job(&self.key, job).await?,
            Step::StoreOutput => self.store_output(job, address).await?,
            Step::Settle => {
                self.chain.settle_job_worker(&self.key, job, &me).await?;
                self.journal.forget(&address.to_string())?;
            }
            Step::SettleOther { index } => {
                let other = job.workers[index].worker;
                self.chain.settle_job_worker(&self.key, job, &other).await?;
            }
            Step::Unrevealable => return Err(WorkerError::SaltLost(*address)),
            Step::Wait | Step::Done => {}
        }
        Ok(())
    }

    fn pledge_of(&self, address: &Pubkey) -> Result<Pledge, WorkerError> {
        self.journal
            .get(&address.to_string())?
            .ok_or(WorkerError::SaltLost(*address))
    }

    async fn commit(&self, address: &Pubkey, pledge: &Pledge) -> Result<(), WorkerError> {
        let commitment = job_commitment(&pledge.result, &self.key.pubkey(), &pledge.salt);
        self.chain
            .commit_job_result(&self.key, address, commitment)
            .await?;
        Ok(())
    }

    /// Stores the output the job agreed on as a blob of its requester's, registered under
    /// the job (which pays for it): plain and public, or sealed for the requester, as the
    /// requester asked; then publishes it as the dataset version the requester asked for,
    /// if it did (`publish.rs`). Another agreeing worker doing either first is not an
    /// error.
    async fn store_output(&self, job: &Job, address: &Pubkey) -> Result<(), WorkerError> {
        if !job.output_stored() {
            self.store_output_blob(job, address).await?;
        }
        if job.publication.as_ref().is_some_and(|p| !p.published()) {
            // The output's blob, which the version's files are placed in, as stored now.
            let job =
                self.chain
                    .job(address)
                    .await?
                    .ok_or(WorkerError::Chain(ChainError::Missing {
                        what: "Job",
                        address: *address,
                    }))?;
            self.publish_output(&job, address).await?;
        }
        Ok(())
    }

    async fn store_output_blob(&self, job: &Job, address: &Pubkey) -> Result<(), WorkerError> {
        if self.requester_stores_it_already(job, address).await? {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let output = self.agreed_output(job, address).await?;
        let options = PutOptions {
            registrar: Registrar::JobOutput {
                job: *address,
                requester: job.requester,
            },
            encrypt: job.output_encrypted,
            public: !job.output_encrypted,
            acceptance_timeout: Some(Duration::from_secs(10)),
            ..PutOptions::default()
        };
        let stored = self.put_for_job(output.into(), options).await?;
        self.metrics.stage("store", started.elapsed().as_secs_f64());
        match stored {
            Ok(report) => {
                tracing::info!(job = %address, blob = %report.blob, cid = %report.cid, accepted = report.accepted, "stored the output");
                Ok(())
            }
            Err(e) => {
                // Two agreeing workers may store at once; the second registration fails.
                let job_now = self.chain.job(address).await?;
                if job_now.is_some_and(|j| j.output_stored()) {
                    tracing::debug!(job = %address, "another worker stored the output first");
                    return Ok(());
                }
                Err(WorkerError::Store(Box::new(e)))
            }
        }
    }

    /// The output the job agreed on: kept by the run that committed it, or computed again
    /// (the run is deterministic).
    async fn agreed_output(&self, job: &Job, address: &Pubkey) -> Result<Vec<u8>, WorkerError> {
        match self.journal.output(&address.to_string())? {
            Some(kept) if Cid::of(&kept).digest() == &job.result_hash => Ok(kept),
            // Not kept (or kept by a run that did not agree).
            _ => match self.execute(job, address).await? {
                (result, _, Some(output)) if result == job.result_hash => Ok(output),
                _ => Err(WorkerError::OutputDiffers(*address)),
            },
        }
    }

    /// Puts `bytes` for a job with `options`; a network with fewer storage providers than
    /// the default code is wide stores them with the widest code it holds. The outer error
    /// is the chain's, the inner one the put's.
    async fn put_for_job(
        &self,
        bytes: Arc<[u8]>,
        options: PutOptions,
    ) -> Result<Result<PutReport, PutError>, WorkerError> {
        let size = bytes.len() as u64;
        let put = |options: PutOptions| {
            let bytes = Arc::clone(&bytes);
            async move {
                basalt_sdk::put(
                    &self.chain,
                    &self.key,
                    move || Ok(std::io::Cursor::new(Arc::clone(&bytes))),
                    size,
                    &options,
                    |_| {},
                )
                .await
            }
        };
        Ok(match put(options.clone()).await {
            Err(PutError::NotEnoughProviders { found, .. }) if found >= 2 => {
                let config =
                    self.chain
                        .config()
                        .await?
                        .ok_or(WorkerError::Chain(ChainError::Missing {
                            what: "Config",
                            address: pda::config(),
                        }))?;
                let (k, m) = narrower_code(found, config.default_k, config.default_m);
                put(PutOptions {
                    k: Some(k),
                    m: Some(m),
                    ..options
                })
                .await
            }
            other => other,
        })
    }

    /// Fetches the job's module and input, runs them, and returns the result to commit, a
    /// line for the log and the output of a successful run.
    async fn execute(
        &self,
        job: &Job,
        address: &Pubkey,
    ) -> Result<([u8; 32], String, Option<Vec<u8>>), WorkerError> {
        let started = std::time::Instant::now();
        let module_id = blob_of(&job.requester, &job.module_cid);
        let module_blob = self.registered("module", &module_id).await?;
        // Every worker reads the same size on chain: too large is a result.
        let module = if module_blob.size > MAX_MODULE_BYTES as u64 {
            None
        } else {
            Some(self.fetch("module", &module_id, &module_blob).await?)
        };
        let input = self.input(job).await?;
        self.metrics.stage("fetch", started.elapsed().as_secs_f64());
        let executing = std::time::Instant::now();
        let env = JobEnv::for_job(address.to_bytes(), job.fuel_limit);
        let outcome = match module {
            None => Outcome::Failure(Failure::InvalidModule),
            Some(module) => {
                let sandbox = Arc::clone(&self.sandbox);
                let run = tokio::task::spawn_blocking(move || sandbox.run(&module, input, &env))
                    .await
                    .map_err(|e| WorkerError::Cancelled(e.to_string()))??;
                self.metrics.fuel_used.inc_by(run.fuel_used);
                if let Some(detail) = &run.detail {
                    tracing::info!(job = %address, detail = %detail, fuel = run.fuel_used, "run failed");
                }
                run.outcome
            }
        };
        self.metrics
            .stage("execute", executing.elapsed().as_secs_f64());
        self.metrics
            .run_seconds
            .observe(started.elapsed().as_secs_f64());
        self.metrics
            .runs
            .get_or_create(&RunLabels {
                result: result_class(&outcome),
            })
            .inc();
        let summary = match &outcome {
            Outcome::Success(output) => format!("output of {} bytes", output.len()),
            Outcome::Failure(failure) => format!("failure: {failure}"),
        };
        let mut result = outcome.result();
        if self.config.lie {
            result = *blake3::hash(&result).as_bytes();
        }
        let output = match outcome {
            Outcome::Success(output) => Some(output),
            Outcome::Failure(_) => None,
        };
        Ok((result, summary, output))
    }

    /// The job's input: the requester's blob of `input_cid`, or the files of the dataset
    /// version the job names, as one archive (`basalt_core::archive`).
    async fn input(&self, job: &Job) -> Result<Vec<u8>, WorkerError> {
        if job.input_version == Pubkey::default() {
            let input_id = blob_of(&job.requester, &job.input_cid);
            let input_blob = self.registered("input", &input_id).await?;
            return self.fetch("input", &input_id, &input_blob).await;
        }
        let (version, _, archive) =
            basalt_sdk::dataset::version_archive(&self.chain, &self.key, &job.input_version)
                .await
                .map_err(|e| WorkerError::Input(job.input_version, Box::new(e)))?;
        // The program checked this when the job was posted; a version never changes.
        if version.version_id != job.input_cid {
            return Err(WorkerError::Input(
                job.input_version,
                Box::new(DatasetOpError::Io("not the job's input version".into())),
            ));
        }
        Ok(archive)
    }

    /// The chain's record of blob `id`.
    async fn registered(&self, what: &'static str, id: &BlobId) -> Result<Blob, WorkerError> {
        self.chain
            .blob(id)
            .await?
            .ok_or_else(|| WorkerError::Fetch {
                what,
                id: *id,
                source: Box::new(GetError::NotFound(*id)),
            })
    }

    /// The content of blob `id` (`blob` is its record; a job names it by the requester and
    /// its CID, so its `cid_digest` is the job's), checked.
    async fn fetch(
        &self,
        what: &'static str,
        id: &BlobId,
        blob: &Blob,
    ) -> Result<Vec<u8>, WorkerError> {
        let buffer = basalt_sdk::get::MemoryWriter::default();
        basalt_sdk::get(
            &self.chain,
            &self.key,
            id,
            buffer.clone(),
            &GetOptions::default(),
            |_| {},
        )
        .await
        .map_err(|source| WorkerError::Fetch {
            what,
            id: *id,
            source: Box::new(source),
        })?;
        let bytes = buffer.take();
        // A plain blob's CID is its content's digest: check it. An encrypted blob's CID is
        // the digest of what was stored (sealed with the owner's random key); `get` checked
        // every shard against the commitment registered with that CID and opened every chunk
        // with its AEAD tag, so the bytes are the ones the requester stored.
        if !blob.encrypted && *Cid::of(&bytes).digest() != blob.cid_digest {
            return Err(WorkerError::WrongContent { what, id: *id });
        }
        Ok(bytes)
    }
}

/// Whether `error` only says another applicant took a step anyone may take (drawing the
/// workers, finalizing) a moment earlier.
fn lost_race(step: Step, error: &WorkerError) -> bool {
    let WorkerError::Chain(ChainError::Program { name, .. }) = error else {
        return false;
    };
    matches!(
        (step, name.as_str()),
        (Step::Select, "AlreadySelected")
            | (Step::Finalize, "JobNotOpen")
            | (Step::Settle | Step::SettleOther { .. }, "AlreadySettled")
            // The last settlement closed the job's account.
            | (Step::Settle | Step::SettleOther { .. } | Step::Finalize, "AccountNotInitialized")
    )
}

/// A step's name in the metrics.
fn step_name(step: Step) -> &'static str {
    match step {
        Step::Apply { .. } => "apply",
        Step::Select => "select",
        Step::Run => "run",
        Step::Commit => "commit",
        Step::Reveal => "reveal",
        Step::Finalize => "finalize",
        Step::StoreOutput => "store_output",
        Step::Settle => "settle",
        Step::SettleOther { .. } => "settle_other",
        Step::Unrevealable => "unrevealable",
        Step::Wait => "wait",
        Step::Done => "done",
    }
}

/// A run's result class in the metrics.
fn result_class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Success(_) => "success",
        Outcome::Failure(Failure::InvalidModule) => "invalid_module",
        Outcome::Failure(Failure::UnsupportedImport) => "unsupported_import",
        Outcome::Failure(Failure::OutOfFuel) => "out_of_fuel",
        Outcome::Failure(Failure::ResourceLimit) => "resource_limit",
        Outcome::Failure(Failure::OutputLimit) => "output_limit",
        Outcome::Failure(Failure::Trap) => "trap",
        Outcome::Failure(Failure::Exit(_)) => "exit",
    }
}

/// The widest code `providers` storage providers hold (one shard each), in the proportion
/// of data to parity shards of the network's default code `k + m`.
fn narrower_code(providers: usize, k: u16, m: u16) -> (u16, u16) {
    let providers = u16::try_from(providers).unwrap_or(u16::MAX).max(2);
    let total = u32::from(k) + u32::from(m);
    let data = (u32::from(providers) * u32::from(k) / total.max(1)) as u16;
    let data = data.clamp(1, providers - 1);
    (data, providers - data)
}

/// The blob a job names by CID: the requester's registration of that content.
impl Worker {
    /// Links the requester's own blob as the job's output when its content is the agreed
    /// result (a plain output): that blob has the address the output's would have, so the
    /// output cannot be registered, and storing it again would be waste
    /// (`job_output_link`). Returns whether it did (or another worker did first).
    async fn requester_stores_it_already(
        &self,
        job: &Job,
        address: &Pubkey,
    ) -> Result<bool, WorkerError> {
        if job.output_encrypted {
            // A sealed output has a fresh key, so its own content and address.
            return Ok(false);
        }
        let id = blob_of(&job.requester, &job.result_hash);
        if self.chain.blob(&id).await?.is_none() {
            return Ok(false);
        }
        match self.chain.link_job_output(&self.key, job).await {
            Ok(()) => {
                tracing::info!(job = %address, blob = %id, "the requester already stores the output: linked its blob");
                Ok(true)
            }
            Err(e) => {
                if self
                    .chain
                    .job(address)
                    .await?
                    .is_some_and(|j| j.output_stored())
                {
                    return Ok(true);
                }
                Err(WorkerError::Chain(e))
            }
        }
    }
}

fn blob_of(requester: &Pubkey, cid: &[u8; 32]) -> BlobId {
    BlobId::from_bytes(pda::blob(requester, cid).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_network_stores_with_the_widest_code_it_holds() {
        assert_eq!(narrower_code(4, 10, 4), (2, 2));
        assert_eq!(narrower_code(7, 10, 4), (5, 2));
        assert_eq!(narrower_code(2, 10, 4), (1, 1));
        assert_eq!(narrower_code(13, 10, 4), (9, 4));
        assert_eq!(narrower_code(3, 1, 8), (1, 2));
    }
}
