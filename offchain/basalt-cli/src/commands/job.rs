//! `basalt job`: post a compute job over a module and an input blob, follow it, fetch its
//! output, list the wallet's jobs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::ix::JobPostSources;
use basalt::client::pda;
use basalt::instructions::{JobPostArgs, JobPublicationArgs};
use basalt::state::{Blob, Job, JobStatus, ROLE_READ, ROLE_WRITE};
use basalt_core::{BlobId, Cid};
use basalt_sandbox::limits::MAX_INPUT_BYTES;
use basalt_sandbox::{Failure, Sandbox};
use basalt_sdk::chain::job_address;
use basalt_sdk::{GetOptions, PutOptions};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use solana_signer::Signer;

use super::Context;
use crate::output::print;

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Posts a job: stores the module (public) unless this wallet stored it already, and
    /// escrows n rewards.
    #[command(visible_alias = "run")]
    Submit(SubmitArgs),
    /// Shows a job: its phase, its workers, and the agreed result once finalized.
    Status {
        /// The job's address (what `submit` prints).
        job: String,
    },
    /// Writes a succeeded job's output to a file, checked against the result the workers
    /// agreed on.
    Result {
        /// The job's address.
        job: String,
        /// Where to write the output.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Lists the wallet's jobs that are still on chain.
    Ls,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The module: a WebAssembly binary, or WebAssembly text (`.wat`), compiled here.
    #[arg(long)]
    pub module: PathBuf,
    /// The input: the CID (or blob id) of a blob this wallet stored, or a version of a
    /// public dataset, `NAME@TAG` or `OWNER/NAME@TAG`, whose files the job reads as one tar
    /// archive. An encrypted blob is granted to the drawn workers (READ) once they are
    /// drawn, so `submit` waits for the draw.
    #[arg(long)]
    pub input: String,
    /// Publish the output, a tar archive, as version `NAME@TAG` (or `OWNER/NAME@TAG`) of a
    /// public dataset this wallet owns or holds WRITE on: the worker that stores the
    /// output publishes it, derived by the job from the input version. Its manifest is
    /// stored for as long as the output (`--output-epochs`).
    #[arg(long, value_name = "NAME@TAG")]
    pub publish: Option<String>,
    /// Workers drawn.
    #[arg(long, default_value_t = 3)]
    pub workers: u8,
    /// Matching results needed.
    #[arg(long, default_value_t = 2)]
    pub quorum: u8,
    /// Reward per agreeing worker, in stake-token base units.
    #[arg(long)]
    pub reward: u64,
    /// Fuel limit of a run.
    #[arg(long)]
    pub fuel: u64,
    /// Data shards of the module's blob when it is stored (default: the network's).
    #[arg(long)]
    pub k: Option<u16>,
    /// Parity shards of the module's blob when it is stored (default: the network's).
    #[arg(long)]
    pub m: Option<u16>,
    /// Slots during which workers apply.
    #[arg(long, default_value_t = 50)]
    pub apply_slots: u64,
    /// Slots after that to run and commit.
    #[arg(long, default_value_t = 150)]
    pub commit_slots: u64,
    /// Slots after that to reveal.
    #[arg(long, default_value_t = 100)]
    pub reveal_slots: u64,
    /// Epochs to store the output for (escrowed with the rewards: this many epochs of the
    /// network's default code at `--output-price`); 0 does not store it, and the job only
    /// records the output's CID.
    #[arg(long, default_value_t = 10)]
    pub output_epochs: u64,
    /// What the output's deal pays each holder per epoch, in stake-token base units.
    #[arg(long, default_value_t = 10)]
    pub output_price: u64,
    /// Slots after the reveals during which an agreeing worker stores the output (their pay
    /// waits for it until then).
    #[arg(long, default_value_t = 300)]
    pub output_slots: u64,
}

/// Runs a `basalt job` subcommand.
///
/// # Errors
///
/// What the chain or the store refused, phrased for the user.
pub async fn run(ctx: &Context, command: &JobCommand) -> Result<()> {
    match command {
        JobCommand::Submit(args) => submit(ctx, args).await,
        JobCommand::Status { job } => status(ctx, job).await,
        JobCommand::Result { job, output } => result(ctx, job, output).await,
        JobCommand::Ls => ls(ctx).await,
    }
}

/// The wallet's blob of the content `cid`: jobs name their module and input by CID, and
/// the workers read the requester's blob of it.
fn blob_of(owner: &Pubkey, cid: &Cid) -> BlobId {
    BlobId::from_bytes(pda::blob(owner, cid.digest()).to_bytes())
}

async fn submit(ctx: &Context, args: &SubmitArgs) -> Result<()> {
    let wallet = ctx.wallet()?;
    let owner = wallet.pubkey();
    let module = basalt_sandbox::module_from_file(&args.module)?;
    // A module every worker would refuse costs the rewards for nothing: say so now.
    if let Err(failure) = Sandbox::new(0)?.compile(&module) {
        bail!(
            "{} would fail on every worker ({failure}): a job module is a WASI preview 1 command without SIMD or threads (docs/compute.md)",
            args.module.display()
        );
    }
    let module_cid = Cid::of(&module);
    match ctx.chain.blob(&blob_of(&owner, &module_cid)).await? {
        Some(blob) if !blob.public => bail!(
            "this wallet stored the module {module_cid} encrypted: the workers cannot read it"
        ),
        Some(_) => {}
        None => {
            let options = PutOptions {
                k: args.k,
                m: args.m,
                encrypt: false,
                public: true,
                lookup_table: ctx.cluster.lookup_table,
                ..PutOptions::default()
            };
            let size = module.len() as u64;
            basalt_sdk::put(
                &ctx.chain,
                &wallet,
                move || Ok(std::io::Cursor::new(module.clone())),
                size,
                &options,
                |_| {},
            )
            .await
            .context("storing the module")?;
        }
    }

    let input = job_input(ctx, &wallet, &args.input).await?;
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let now = ctx.chain.slot().await?;
    let apply = now + args.apply_slots;
    let commit = apply + args.commit_slots;
    let reveal = commit + args.reveal_slots;
    // The workers store the output with the network's default code.
    let config = ctx
        .chain
        .config()
        .await?
        .context("the Basalt Config is not initialized on this chain")?;
    let shards = u64::from(config.default_k) + u64::from(config.default_m);
    let output_budget = args
        .output_price
        .checked_mul(shards)
        .and_then(|b| b.checked_mul(args.output_epochs))
        .context("--output-epochs times --output-price overflows")?;
    let stored = output_budget > 0;
    let (publication, publish_dataset, via_grant) = match &args.publish {
        None => (None, None, false),
        Some(target) => {
            if !stored || !input.public() {
                bail!("--publish needs the output stored plain: --output-epochs above 0 and a public input");
            }
            let (dataset, tag, via_grant) = publish_target(ctx, &owner, target).await?;
            let publication = JobPublicationArgs {
                tag,
                budget: output_budget,
            };
            (Some(publication), Some(dataset), via_grant)
        }
    };
    let sources = JobPostSources {
        input_version: input.version(),
        publish_dataset,
        via_grant,
    };
    let job = ctx
        .chain
        .post_job_over(
            &wallet,
            JobPostArgs {
                nonce,
                module_cid: *module_cid.digest(),
                input_cid: input.cid_digest(),
                fuel_limit: args.fuel,
                n: args.workers,
                k: args.quorum,
                reward_per_worker: args.reward,
                apply_deadline_slot: apply,
                commit_deadline_slot: commit,
                reveal_deadline_slot: reveal,
                output_budget,
                output_price_per_shard_epoch: if stored { args.output_price } else { 0 },
                output_deadline_slot: if stored {
                    reveal + args.output_slots
                } else {
                    0
                },
                // A private input's output is private too: sealed for this wallet.
                output_encrypted: stored && !input.public(),
                publication,
            },
            &sources,
        )
        .await?;
    // An encrypted input is read by the drawn workers only: grant them READ once the draw
    // is made. They retry their fetch until the grant reaches the holders.
    let granted = match &input {
        JobInput::Blob { id, blob } if !blob.public => {
            grant_drawn_workers(ctx, &wallet, &job, id).await?
        }
        _ => Vec::new(),
    };
    let value = json!({
        "job": job.to_string(),
        "granted": granted.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "module_cid": module_cid.to_string(),
        "input_cid": Cid::from_digest(input.cid_digest()).to_string(),
        "input_version": input.version().map(|v| v.to_string()),
        "publish": args.publish,
        "escrow": u64::from(args.workers) * args.reward,
        "output_budget": output_budget,
    });
    print(ctx.json, &value, || {
        format!(
            "{job}\nmodule {module_cid}, {} workers, {} must agree, escrow {} + {output_budget} to store the output",
            args.workers,
            args.quorum,
            u64::from(args.workers) * args.reward
        )
    });
    Ok(())
}

/// What a job reads.
enum JobInput {
    /// A blob of the requester's.
    Blob { id: BlobId, blob: Box<Blob> },
    /// A version of a public dataset, read as one archive of its files.
    Version {
        address: Pubkey,
        version_id: [u8; 32],
    },
}

impl JobInput {
    fn cid_digest(&self) -> [u8; 32] {
        match self {
            Self::Blob { blob, .. } => blob.cid_digest,
            Self::Version { version_id, .. } => *version_id,
        }
    }

    fn public(&self) -> bool {
        match self {
            Self::Blob { blob, .. } => blob.public,
            Self::Version { .. } => true,
        }
    }

    fn version(&self) -> Option<Pubkey> {
        match self {
            Self::Blob { .. } => None,
            Self::Version { address, .. } => Some(*address),
        }
    }
}

/// `--input`: a CID or blob id of the wallet's, or `NAME@TAG` of a public dataset.
async fn job_input(
    ctx: &Context,
    wallet: &solana_keypair::Keypair,
    input: &str,
) -> Result<JobInput> {
    let owner = &wallet.pubkey();
    if input.contains('@') {
        let (dataset, tag) = super::dataset::parse_version(input, owner)?;
        let record = ctx
            .chain
            .dataset(&dataset.address())
            .await?
            .with_context(|| {
                format!("{} has no dataset named {:?}", dataset.owner, dataset.name)
            })?;
        if !record.public {
            bail!("{input} is a version of a private dataset: the workers hold no key to it, so a job reads public dataset versions only");
        }
        let address = dataset.version(&tag);
        let version = ctx
            .chain
            .version(&address)
            .await?
            .with_context(|| format!("the dataset has no version tagged {tag:?}"))?;
        if version.retracted {
            bail!("{input} was retracted: it stays in the history but is not built on");
        }
        // Every worker would refuse an input past the sandbox's limit: say so now.
        let (_, manifest) = basalt_sdk::dataset::read_version(&ctx.chain, wallet, &dataset, &tag)
            .await
            .with_context(|| format!("reading {input}"))?;
        let archive = archive_size(&manifest);
        if archive > MAX_INPUT_BYTES as u64 {
            bail!(
                "{input} is {archive} bytes as an archive; a job's input is at most {MAX_INPUT_BYTES} bytes"
            );
        }
        return Ok(JobInput::Version {
            address,
            version_id: version.version_id,
        });
    }
    let id = match input.parse::<Cid>() {
        Ok(cid) => blob_of(owner, &cid),
        Err(_) => input.parse::<BlobId>().map_err(|e| {
            anyhow::anyhow!("--input {input}: not a CID, a blob id or NAME@TAG ({e})")
        })?,
    };
    let blob = ctx
        .chain
        .blob(&id)
        .await?
        .with_context(|| format!("this wallet has no blob {input}"))?;
    if blob.owner != *owner {
        bail!("the input must be a blob of this wallet: the workers look it up by the requester and its CID");
    }
    Ok(JobInput::Blob {
        id,
        blob: Box::new(blob),
    })
}

/// The size of a version's files as the archive a job reads (`basalt_core::archive`): a
/// header block per file, its bytes padded to blocks, two end blocks (paths too long for a
/// header take one more entry each, which this leaves out).
fn archive_size(manifest: &basalt_core::dataset::DatasetManifest) -> u64 {
    const BLOCK: u64 = 512;
    let files: u64 = manifest
        .files
        .iter()
        .map(|f| BLOCK + f.size.div_ceil(BLOCK) * BLOCK)
        .sum();
    files + 2 * BLOCK
}

/// `--publish NAME@TAG`: the dataset's address, the tag, and whether the wallet publishes
/// as a WRITE grantee; checked here so a refusal costs nothing.
async fn publish_target(
    ctx: &Context,
    owner: &Pubkey,
    target: &str,
) -> Result<(Pubkey, String, bool)> {
    let (dataset, tag) = super::dataset::parse_version(target, owner)?;
    if basalt_sdk::dataset::check_version_tag(&tag).is_err() {
        bail!("{tag:?} is not a tag: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    let address = dataset.address();
    let record = ctx.chain.dataset(&address).await?.with_context(|| {
        format!(
            "{} has no dataset named {:?} (create it with `basalt dataset create --public`)",
            dataset.owner, dataset.name
        )
    })?;
    if !record.public {
        bail!(
            "job outputs are published into public datasets only: {} is private",
            dataset.name
        );
    }
    if ctx.chain.version(&dataset.version(&tag)).await?.is_some() {
        bail!("the dataset already has a version tagged {tag:?}; tags are never reused");
    }
    let via_grant = record.owner != *owner;
    if via_grant {
        let grant = ctx.chain.dataset_grant(&address, owner).await?;
        if grant.is_none_or(|g| g.roles & ROLE_WRITE == 0) {
            bail!(
                "{owner} neither owns {} nor holds its WRITE role",
                dataset.name
            );
        }
    }
    Ok((address, tag, via_grant))
}

/// Waits for the draw of `job`'s workers (it is made after the apply deadline), then
/// grants each drawn worker READ on the encrypted input `input`; returns them.
///
/// # Errors
///
/// When the job is gone or finalized before a draw, no draw is made before its commit
/// deadline, or a grant is refused.
async fn grant_drawn_workers(
    ctx: &Context,
    wallet: &solana_keypair::Keypair,
    job: &Pubkey,
    input: &BlobId,
) -> Result<Vec<Pubkey>> {
    if !ctx.json {
        eprintln!("the input is encrypted: waiting for the draw to grant the drawn workers READ …");
    }
    loop {
        let state = ctx
            .chain
            .job(job)
            .await?
            .with_context(|| format!("job {job} is gone before its workers were drawn"))?;
        if state.status != JobStatus::Open {
            bail!("job {job} was finalized before its workers were drawn");
        }
        if state.selection_done {
            let drawn: Vec<Pubkey> = state
                .workers
                .iter()
                .filter(|w| w.selected)
                .map(|w| w.worker)
                .collect();
            for worker in &drawn {
                basalt_sdk::access::grant(&ctx.chain, wallet, input, worker, ROLE_READ, None)
                    .await
                    .with_context(|| format!("granting {worker} READ on the input"))?;
            }
            return Ok(drawn);
        }
        if ctx.chain.slot().await? > state.commit_deadline_slot {
            bail!("no worker was drawn for job {job} before its commit deadline");
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Where a job stands at slot `now`.
fn phase(job: &Job, now: u64) -> &'static str {
    match job.status {
        JobStatus::Succeeded => "succeeded",
        JobStatus::Failed => "failed",
        JobStatus::Open if now <= job.apply_deadline_slot => "applying",
        JobStatus::Open if !job.selection_done && now <= job.commit_deadline_slot => "selecting",
        JobStatus::Open if now <= job.commit_deadline_slot => "committing",
        JobStatus::Open if now <= job.reveal_deadline_slot && !job.everyone_revealed() => {
            "revealing"
        }
        JobStatus::Open => "finalizable",
    }
}

/// A job's result as the requester reads it: the output's CID, or the failure.
fn result_value(result: &[u8; 32]) -> Value {
    match Failure::from_result(result) {
        Some(failure) => json!({ "failure": failure.to_string() }),
        None => json!({ "output_cid": Cid::from_digest(*result).to_string() }),
    }
}

async fn status(ctx: &Context, job: &str) -> Result<()> {
    let address: Pubkey = job
        .parse()
        .map_err(|_| anyhow::anyhow!("{job} is not a job address"))?;
    let value = match ctx.chain.job(&address).await? {
        Some(j) => {
            let now = ctx.chain.slot().await?;
            let workers: Vec<Value> = j
                .workers
                .iter()
                .map(|w| {
                    json!({
                        "worker": w.worker.to_string(),
                        "selected": w.selected,
                        "committed": w.committed,
                        "revealed": w.revealed,
                        "settled": w.settled,
                    })
                })
                .collect();
            json!({
                "job": address.to_string(),
                "requester": j.requester.to_string(),
                "phase": phase(&j, now),
                "n": j.n,
                "k": j.k,
                "fuel_limit": j.fuel_limit,
                "reward_per_worker": j.reward_per_worker,
                "escrow": j.escrow,
                "deadlines": {
                    "apply": j.apply_deadline_slot,
                    "commit": j.commit_deadline_slot,
                    "reveal": j.reveal_deadline_slot,
                },
                "result": (j.status == JobStatus::Succeeded).then(|| result_value(&j.result_hash)),
                "output": {
                    "budget": j.output_budget,
                    "deadline": (j.output_deadline_slot > 0).then_some(j.output_deadline_slot),
                    "sealed": j.output_encrypted,
                    "blob": j.output_stored().then(|| j.output_blob.to_string()),
                },
                "workers": workers,
            })
        }
        None => {
            let Some(end) = ctx.chain.job_finalized(&address).await? else {
                bail!("no job {address} on this chain");
            };
            json!({
                "job": address.to_string(),
                "phase": "closed",
                "status": format!("{:?}", end.status),
                "agreeing": end.agreeing,
                "result": (end.status == JobStatus::Succeeded).then(|| result_value(&end.result_hash)),
            })
        }
    };
    print(ctx.json, &value, || {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    });
    Ok(())
}

/// A writer that hashes what passes through it (the hasher is shared: `get` takes the
/// writer).
struct Hashing<W> {
    inner: W,
    hasher: Arc<Mutex<blake3::Hasher>>,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Fetches the output of the job at `job` into `output`: the blob an agreeing worker
/// registered for this wallet, checked against the result the workers agreed on (a
/// sealed output's CID is its ciphertext's, so only the plaintext can be checked).
async fn result(ctx: &Context, job: &str, output: &Path) -> Result<()> {
    let wallet = ctx.wallet()?;
    let address: Pubkey = job
        .parse()
        .map_err(|_| anyhow::anyhow!("{job} is not a job address"))?;
    let Some(end) = ctx.chain.job_finalized(&address).await? else {
        bail!("job {address} is not finalized yet: `basalt job status {address}` shows where it stands");
    };
    if end.status != JobStatus::Succeeded {
        bail!("job {address} failed: its workers reached no quorum, so it has no output");
    }
    if let Some(failure) = Failure::from_result(&end.result_hash) {
        bail!(
            "job {address}'s module failed on every agreeing worker ({failure}): it has no output"
        );
    }
    let Some(stored) = ctx.chain.job_output(&address).await? else {
        bail!(
            "no worker has stored job {address}'s output (yet); its CID is {}",
            Cid::from_digest(end.result_hash)
        );
    };
    let id = BlobId::from_bytes(stored.blob.to_bytes());
    // A partial file never takes the requested name (as `basalt get`).
    let tmp = output.with_extension("basalt-partial");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let hasher = Arc::new(Mutex::new(blake3::Hasher::new()));
    let writer = Hashing {
        inner: std::io::BufWriter::new(file),
        hasher: Arc::clone(&hasher),
    };
    let fetched = basalt_sdk::get(
        &ctx.chain,
        &wallet,
        &id,
        writer,
        &GetOptions::default(),
        |_| {},
    )
    .await;
    let digest = *hasher
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .finalize()
        .as_bytes();
    let report = match fetched {
        Ok(report) if digest == end.result_hash => report,
        Ok(_) => {
            let _ = std::fs::remove_file(&tmp);
            bail!("the output stored for job {address} (blob {id}) is not the result its workers agreed on; nothing was written");
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("reading job {address}'s output (blob {id})"));
        }
    };
    std::fs::rename(&tmp, output)
        .with_context(|| format!("moving the file to {}", output.display()))?;
    let value = json!({
        "job": address.to_string(),
        "blob": id.to_string(),
        "cid": Cid::from_digest(end.result_hash).to_string(),
        "bytes": report.bytes,
        "output": output.display().to_string(),
        "stored_by": stored.worker.to_string(),
    });
    print(ctx.json, &value, || {
        format!(
            "wrote {} bytes of job {address}'s output to {} (checked against the agreed result {})",
            report.bytes,
            output.display(),
            Cid::from_digest(end.result_hash)
        )
    });
    Ok(())
}

async fn ls(ctx: &Context) -> Result<()> {
    let wallet = ctx.wallet()?;
    let now = ctx.chain.slot().await?;
    let jobs = ctx.chain.jobs_of(&wallet.pubkey()).await?;
    let rows: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({
                "job": job_address(j).to_string(),
                "phase": phase(j, now),
                "n": j.n,
                "k": j.k,
                "applicants": j.workers.len(),
            })
        })
        .collect();
    let value = Value::Array(rows.clone());
    print(ctx.json, &value, || {
        rows.iter()
            .map(|r| {
                format!(
                    "{}  {:<11}  {} of {}, {} applied",
                    r["job"].as_str().unwrap_or_default(),
                    r["phase"].as_str().unwrap_or_default(),
                    r["k"],
                    r["n"],
                    r["applicants"]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
