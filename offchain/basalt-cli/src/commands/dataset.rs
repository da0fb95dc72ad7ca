//! `basalt dataset`: create, push, pull, log, diff, lineage, retract, grant.
//!
//! A dataset is named `NAME` (the wallet's own) or `OWNER/NAME`; a version `NAME@TAG`.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt_core::dataset::diff;
use basalt_sdk::dataset::{
    self, DatasetRef, LineageNode, ManualTransform, PullOptions, PushOptions,
};
use basalt_sdk::PutOptions;
use serde_json::{json, Value};
use solana_signer::Signer;

use super::data::{parse_pubkey, parse_roles};
use super::Context;
use crate::output::{mb_per_s, print};

#[derive(Debug, clap::Subcommand)]
pub enum DatasetCommand {
    /// Creates a dataset owned by the wallet.
    Create {
        /// 1 to 32 letters, digits, '.', '_' or '-'.
        name: String,
        /// Anyone may read it (its files are stored in the clear).
        #[arg(long)]
        public: bool,
    },
    /// Publishes a directory as a new version: only files no parent version stores are
    /// uploaded.
    Push(PushArgs),
    /// Writes a version into a directory, fetching only the files it lacks.
    Pull {
        /// `NAME@TAG` or `OWNER/NAME@TAG`.
        version: String,
        dir: PathBuf,
    },
    /// Lists a dataset's versions, newest first.
    Log {
        /// `NAME` or `OWNER/NAME`.
        dataset: String,
    },
    /// What changed between two versions.
    Diff {
        /// `NAME@TAG`.
        from: String,
        /// `NAME@TAG`, or just `TAG` (same dataset).
        to: String,
    },
    /// Where a version came from: its parents and the jobs that derived it.
    Lineage {
        /// `NAME@TAG`.
        version: String,
        /// Generations to follow.
        #[arg(long, default_value_t = 100)]
        depth: usize,
    },
    /// Retracts a version: it stays in the history, marked, and is no longer built on.
    Retract {
        /// `NAME@TAG`.
        version: String,
    },
    /// Gives another wallet roles on a dataset (read, write = publish, delete = retract,
    /// admin); READ and WRITE carry the dataset's key.
    Grant {
        /// `NAME` or `OWNER/NAME`.
        dataset: String,
        grantee: String,
        #[arg(long, default_value = "read")]
        roles: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    pub dir: PathBuf,
    /// The dataset: `NAME` or `OWNER/NAME`.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub tag: String,
    /// What changed, for the log.
    #[arg(long, short = 'm', default_value = "")]
    pub message: String,
    /// Parent tags (repeat for a merge); default: the latest version not retracted.
    #[arg(long = "parent")]
    pub parents: Vec<String>,
    /// Epochs of storage to pay for.
    #[arg(long, default_value_t = 10)]
    pub epochs: u64,
    /// Stake-token base units per shard per epoch.
    #[arg(long, default_value_t = 10)]
    pub price: u64,
    /// Data shards per chunk (default: the network's).
    #[arg(long)]
    pub k: Option<u16>,
    /// Parity shards per chunk (default: the network's).
    #[arg(long)]
    pub m: Option<u16>,
    /// Declares how the directory was made from the parents, in words: recorded in the
    /// manifest as a manual derivation.
    #[arg(long)]
    pub transform: Option<String>,
    /// The script that did the transform: stored as a blob of the dataset and named in
    /// the derivation by its CID.
    #[arg(long, requires = "transform")]
    pub script: Option<PathBuf>,
}

pub async fn run(ctx: &Context, command: &DatasetCommand) -> Result<()> {
    let wallet = ctx.wallet()?;
    let me = wallet.pubkey();
    match command {
        DatasetCommand::Create { name, public } => {
            let address = ctx.chain.create_dataset(&wallet, name, *public).await?;
            print(
                ctx.json,
                &json!({ "dataset": address.to_string(), "name": name, "public": public }),
                || format!("created dataset {name} ({address})"),
            );
        }
        DatasetCommand::Push(args) => push(ctx, &wallet, args).await?,
        DatasetCommand::Pull { version, dir } => {
            let (dataset, tag) = parse_version(version, &me)?;
            let report = dataset::pull(
                &ctx.chain,
                &wallet,
                &dataset,
                &tag,
                dir,
                &PullOptions::default(),
            )
            .await?;
            let value = json!({
                "tag": report.tag,
                "version_id": report.version_id.to_string(),
                "retracted": report.retracted,
                "files": report.files,
                "bytes": report.bytes,
                "kept_files": report.kept_files,
                "fetched_files": report.fetched_files,
                "fetched_blobs": report.fetched_blobs,
                "fetched_bytes": report.fetched_bytes,
                "extra_files": report.extra_files,
                "seconds": report.elapsed.as_secs_f64(),
            });
            print(ctx.json, &value, || {
                let mut text = format!(
                    "{}@{} → {}: {} files, {} kept, {} fetched ({} bytes from {} blobs) in {:.1} s",
                    dataset.name,
                    report.tag,
                    dir.display(),
                    report.files,
                    report.kept_files,
                    report.fetched_files,
                    report.fetched_bytes,
                    report.fetched_blobs,
                    report.elapsed.as_secs_f64()
                );
                if report.retracted {
                    text.push_str("\nwarning: this version was retracted");
                }
                if report.extra_files > 0 {
                    text.push_str(&format!(
                        "\n{} files in the directory are not in this version (left as they are)",
                        report.extra_files
                    ));
                }
                text
            });
        }
        DatasetCommand::Log { dataset } => log(ctx, &parse_dataset(dataset, &me)?).await?,
        DatasetCommand::Diff { from, to } => {
            let (dataset, a) = parse_version(from, &me)?;
            let (other, b) = if to.contains('@') {
                parse_version(to, &me)?
            } else {
                (dataset.clone(), to.clone())
            };
            let (_, before) = dataset::read_version(&ctx.chain, &wallet, &dataset, &a).await?;
            let (_, after) = dataset::read_version(&ctx.chain, &wallet, &other, &b).await?;
            let d = diff(&before, &after);
            let paths = |v: &[&basalt_core::dataset::FileEntry]| {
                v.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
            };
            let changed: Vec<String> = d.changed.iter().map(|(_, f)| f.path.clone()).collect();
            let value = json!({
                "added": paths(&d.added),
                "removed": paths(&d.removed),
                "changed": changed,
            });
            print(ctx.json, &value, || {
                let mut lines = Vec::new();
                lines.extend(d.added.iter().map(|f| format!("+ {}", f.path)));
                lines.extend(d.removed.iter().map(|f| format!("- {}", f.path)));
                lines.extend(changed.iter().map(|p| format!("~ {p}")));
                if lines.is_empty() {
                    lines.push("no change".into());
                }
                lines.join("\n")
            });
        }
        DatasetCommand::Lineage { version, depth } => {
            let (dataset, tag) = parse_version(version, &me)?;
            let root = dataset::lineage(&ctx.chain, &dataset.version(&tag), *depth).await?;
            print(ctx.json, &lineage_json(&root), || {
                let mut lines = Vec::new();
                lineage_lines(&root, "", true, true, &mut lines);
                lines.join("\n")
            });
        }
        DatasetCommand::Retract { version } => {
            let (dataset, tag) = parse_version(version, &me)?;
            let address = dataset.version(&tag);
            let signature = ctx
                .chain
                .retract_version(&wallet, &dataset.address(), &dataset.owner, &address)
                .await?;
            print(
                ctx.json,
                &json!({ "version": address.to_string(), "signature": signature.to_string() }),
                || format!("retracted {}@{tag}\ntransaction {signature}", dataset.name),
            );
        }
        DatasetCommand::Grant {
            dataset,
            grantee,
            roles,
        } => {
            let dataset = parse_dataset(dataset, &me)?;
            let grantee = parse_pubkey(grantee)?;
            let roles_bits = parse_roles(roles)?;
            let wrapped =
                if roles_bits & (basalt::state::ROLE_READ | basalt::state::ROLE_WRITE) != 0 {
                    dataset::wrapped_dataset_key(&ctx.chain, &wallet, &dataset, &grantee).await?
                } else {
                    Vec::new()
                };
            let signature = ctx
                .chain
                .grant_dataset(
                    &wallet,
                    &dataset.address(),
                    &dataset.owner,
                    &grantee,
                    roles_bits,
                    wrapped,
                )
                .await?;
            print(
                ctx.json,
                &json!({ "signature": signature.to_string() }),
                || {
                    format!(
                        "granted {roles} on {} to {grantee}\ntransaction {signature}",
                        dataset.name
                    )
                },
            );
        }
    }
    Ok(())
}

async fn push(ctx: &Context, wallet: &solana_keypair::Keypair, args: &PushArgs) -> Result<()> {
    let dataset = parse_dataset(&args.name, &wallet.pubkey())?;
    let options = PushOptions {
        put: PutOptions {
            k: args.k,
            m: args.m,
            epochs: args.epochs,
            price_per_shard_epoch: args.price,
            lookup_table: ctx.cluster.lookup_table,
            ..PutOptions::default()
        },
        parents: (!args.parents.is_empty()).then(|| args.parents.clone()),
        message: args.message.clone(),
        transform: match &args.transform {
            None => None,
            Some(transform) => Some(ManualTransform {
                transform: transform.clone(),
                script: match &args.script {
                    None => None,
                    Some(path) => Some(
                        std::fs::read(path)
                            .with_context(|| format!("reading {}", path.display()))?,
                    ),
                },
            }),
        },
        ..PushOptions::default()
    };
    let report = dataset::push(&ctx.chain, wallet, &dataset, &args.dir, &args.tag, &options)
        .await
        .with_context(|| {
            format!(
                "pushing {} as {}@{}",
                args.dir.display(),
                dataset.name,
                args.tag
            )
        })?;
    let value = json!({
        "tag": report.tag,
        "version": report.version.map(|v| v.to_string()),
        "version_id": report.version_id.to_string(),
        "parents": report.parents,
        "files": report.files,
        "bytes": report.bytes,
        "reused_files": report.reused_files,
        "stored_files": report.stored_files,
        "stored_blobs": report.stored_blobs,
        "stored_bytes": report.stored_bytes,
        "manifest_blob": report.manifest_blob.map(|b| b.to_string()),
        "derivation": report.derivation,
        "hashing_seconds": report.hashing.as_secs_f64(),
        "seconds": report.elapsed.as_secs_f64(),
    });
    print(ctx.json, &value, || {
        match report.version {
        None => format!(
            "nothing to publish: {} holds exactly the files of {} ({} files, nothing stored)",
            args.dir.display(),
            report.parents.join(", "),
            report.files
        ),
        Some(_) => format!(
            "{}@{} {}\n{} files ({} bytes): {} stored in {} blobs ({} bytes, {:.1} MB/s), {} unchanged; hashed in {:.1} s, {:.1} s in all{}",
            dataset.name,
            report.tag,
            report.version_id,
            report.files,
            report.bytes,
            report.stored_files,
            report.stored_blobs,
            report.stored_bytes,
            mb_per_s(report.stored_bytes, report.elapsed),
            report.reused_files,
            report.hashing.as_secs_f64(),
            report.elapsed.as_secs_f64(),
            if report.parents.is_empty() {
                String::new()
            } else {
                format!("\nparents: {}", report.parents.join(", "))
            }
        ),
    }
    });
    Ok(())
}

async fn log(ctx: &Context, dataset: &DatasetRef) -> Result<()> {
    let versions = ctx.chain.versions_of(&dataset.address()).await?;
    let tag_of = |address: &Pubkey| {
        versions
            .iter()
            .find(|v| dataset.version(&v.tag) == *address)
            .map_or_else(|| address.to_string(), |v| v.tag.clone())
    };
    let rows: Vec<Value> = versions
        .iter()
        .rev()
        .map(|v| {
            json!({
                "tag": v.tag,
                "seq": v.seq,
                "version_id": basalt_core::Cid::from_digest(v.version_id).to_string(),
                "parents": v.parents.iter().map(&tag_of).collect::<Vec<_>>(),
                "job": v.job.map(|j| j.to_string()),
                "message": v.message,
                "publisher": v.publisher.to_string(),
                "slot": v.slot,
                "retracted": v.retracted,
            })
        })
        .collect();
    print(ctx.json, &Value::Array(rows), || {
        if versions.is_empty() {
            return format!("{} has no version yet", dataset.name);
        }
        versions
            .iter()
            .rev()
            .map(|v| {
                let parents: Vec<String> = v.parents.iter().map(&tag_of).collect();
                format!(
                    "* {}{}  {}  slot {}  by {}\n|   {}{}{}",
                    v.tag,
                    if v.retracted { " (retracted)" } else { "" },
                    basalt_core::Cid::from_digest(v.version_id),
                    v.slot,
                    v.publisher,
                    if v.message.is_empty() {
                        "(no message)"
                    } else {
                        &v.message
                    },
                    if parents.is_empty() {
                        String::new()
                    } else {
                        format!("  ← {}", parents.join(", "))
                    },
                    v.job.map_or_else(String::new, |j| format!("  (job {j})")),
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

fn lineage_json(node: &LineageNode) -> Value {
    json!({
        "version": node.address.to_string(),
        "label": node.label,
        "version_id": node.version_id.map(|c| c.to_string()),
        "retracted": node.retracted,
        "job": node.job.map(|j| j.to_string()),
        "missing": node.label.is_none(),
        "cut": node.cut,
        "parents": node.parents.iter().map(lineage_json).collect::<Vec<_>>(),
    })
}

/// A tree in a terminal: each version, the job that derived it, then its parents.
fn lineage_lines(node: &LineageNode, prefix: &str, last: bool, root: bool, out: &mut Vec<String>) {
    let branch = if root {
        ""
    } else if last {
        "└── "
    } else {
        "├── "
    };
    let label = node
        .label
        .clone()
        .unwrap_or_else(|| format!("{} (missing)", node.address));
    let mut line = format!("{prefix}{branch}{label}");
    if let Some(id) = node.version_id {
        line.push_str(&format!("  {id}"));
    }
    if node.retracted {
        line.push_str("  (retracted)");
    }
    if node.cut {
        line.push_str("  …");
    }
    out.push(line);
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    let mut prefix = child_prefix;
    if let Some(job) = node.job {
        out.push(format!("{prefix}└── job {job}"));
        prefix.push_str("    ");
    }
    for (i, parent) in node.parents.iter().enumerate() {
        lineage_lines(parent, &prefix, i + 1 == node.parents.len(), false, out);
    }
}

/// `NAME` (the wallet's) or `OWNER/NAME`.
fn parse_dataset(s: &str, me: &Pubkey) -> Result<DatasetRef> {
    let (owner, name) = match s.split_once('/') {
        Some((owner, name)) => (parse_pubkey(owner)?, name),
        None => (*me, s),
    };
    if dataset::check_dataset_name(name).is_err() {
        bail!("{name:?} is not a dataset name: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    Ok(DatasetRef {
        owner,
        name: name.to_owned(),
    })
}

/// `NAME@TAG` or `OWNER/NAME@TAG`.
pub(crate) fn parse_version(s: &str, me: &Pubkey) -> Result<(DatasetRef, String)> {
    let Some((dataset, tag)) = s.rsplit_once('@') else {
        bail!("{s:?} names no version: write NAME@TAG");
    };
    Ok((parse_dataset(dataset, me)?, tag.to_owned()))
}
