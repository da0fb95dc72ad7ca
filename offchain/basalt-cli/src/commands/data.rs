//! put, get, ls, info, grant, revoke, delete. put, get, grant, revoke and delete are
//! written once over [`ChainBackend`] (`*_with`); the Solana commands call them with the
//! program's backend, `--chain evm` with the contracts' (`super::evm`).

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::{ROLE_DELETE, ROLE_READ, ROLE_WRITE};
use basalt_core::{BlobId, Caller, Cid, KeyRecipient};
use basalt_sdk::backend::solana::SolanaBackend;
use basalt_sdk::{ChainBackend, GetOptions, Grantee, PutOptions};
use serde_json::json;
use solana_signer::Signer;

use super::Context;
use crate::output::{bytes_bar, mb_per_s, print};

#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// The file to store.
    pub file: PathBuf,
    /// Store in the clear and let anyone read it.
    #[arg(long)]
    pub public: bool,
    /// Store in the clear but private: the nodes serve it only to the owner and the wallets
    /// granted READ. Its holders can read it; its grants carry no key, so a browser wallet
    /// can give them (the explorer's wallet actions).
    #[arg(long, conflicts_with = "public")]
    pub no_encrypt: bool,
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
    /// Return once the blob is registered, without waiting for the holders to accept
    /// their shards.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The blob's id (the first line `put` prints).
    pub blob: String,
    /// Where to write the file.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Also say what each holder did (served, hedged, timed out, failed, corrupt,
    /// cancelled): how a hung or slow node shows.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct GrantArgs {
    /// The blob's id.
    pub blob: String,
    /// The grantee: a Solana wallet address; on the EVM an account's public key (`0x` and
    /// 66 or 130 hex digits, what `basalt address` prints as `public_key`), or its address
    /// for a grant that carries no key (a plain blob, or roles without read).
    pub grantee: String,
    /// Comma-separated roles: read, write, delete, admin.
    #[arg(long, default_value = "read")]
    pub roles: String,
    /// Unix time after which the grant lapses.
    #[arg(long)]
    pub expires_at: Option<i64>,
}

pub(crate) fn parse_blob_id(blob: &str) -> Result<BlobId> {
    blob.parse().map_err(|e| anyhow::anyhow!("{blob}: {e}"))
}

pub(crate) fn parse_pubkey(s: &str) -> Result<Pubkey> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("{s} is not a base58 Solana address"))
}

pub(crate) fn parse_roles(s: &str) -> Result<u8> {
    let mut roles = 0u8;
    for part in s.split(',').map(str::trim) {
        roles |= match part {
            "read" => ROLE_READ,
            "write" => ROLE_WRITE,
            "delete" => ROLE_DELETE,
            "admin" => ROLE_READ | ROLE_WRITE | ROLE_DELETE,
            other => bail!("unknown role {other:?}: use read, write, delete or admin"),
        };
    }
    Ok(roles)
}

/// Who a grant is for: a public key (a Solana address, or an EVM account's key), or an EVM
/// address, which names the account without its key.
pub(crate) fn parse_grantee(s: &str) -> Result<Grantee> {
    if s.starts_with("0x") && s.len() == 42 {
        let caller: Caller = s.parse().map_err(|e| anyhow::anyhow!("{s}: {e}"))?;
        return Ok(Grantee::Account(caller));
    }
    match s.parse::<KeyRecipient>() {
        Ok(key) => Ok(Grantee::Key(key)),
        // A Solana address off the curve (a program's) has no key, but may hold a grant.
        Err(_) if !s.starts_with("0x") => Ok(Grantee::Account(Caller::Ed25519(
            parse_pubkey(s)?.to_bytes(),
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn put(ctx: &Context, args: &PutArgs) -> Result<()> {
    let wallet = ctx.wallet()?;
    let backend = SolanaBackend::new(&ctx.chain, &wallet);
    put_with(&backend, ctx.json, args, ctx.cluster.lookup_table).await
}

/// `put` on any chain; `lookup_table` is Solana's provider table.
pub async fn put_with(
    backend: &impl ChainBackend,
    json_out: bool,
    args: &PutArgs,
    lookup_table: Option<Pubkey>,
) -> Result<()> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?
        .len();
    let options = PutOptions {
        k: args.k,
        m: args.m,
        encrypt: !args.public && !args.no_encrypt,
        public: args.public,
        epochs: args.epochs,
        price_per_shard_epoch: args.price,
        lookup_table,
        acceptance_timeout: if args.no_wait {
            None
        } else {
            PutOptions::default().acceptance_timeout
        },
        ..PutOptions::default()
    };
    let bar = bytes_bar(json_out, size, "put");
    let progress = {
        let bar = bar.clone();
        move |done: u64| bar.set_position(done)
    };
    let path = args.file.clone();
    let report = basalt_sdk::put_on(
        backend,
        move || std::fs::File::open(&path),
        size,
        &options,
        progress,
    )
    .await?;
    bar.finish_and_clear();
    if !args.no_wait && !report.fully_accepted() {
        eprintln!(
            "warning: {} of {} holders accepted their shard in {:.1} s; the others owe nothing for it until they do, and an offer left unaccepted lapses",
            report.accepted,
            report.providers.len(),
            report.acceptance.as_secs_f64()
        );
    }
    print(
        json_out,
        &json!({
            "id": report.id.to_string(),
            "cid": report.cid.to_string(),
            // On Solana the Blob account's address, which the id is.
            "blob": report.id.to_string(),
            "signature": report.tx.to_string(),
            "transaction": report.tx.to_string(),
            "bytes": report.plain_bytes,
            "shard_bytes": report.shard_bytes,
            "upload_ms": report.upload.as_millis() as u64,
            "confirm_ms": report.confirm.as_millis() as u64,
            "accepted": report.accepted,
            "acceptance_ms": report.acceptance.as_millis() as u64,
            "providers": report.providers.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        }),
        || {
            format!(
                "{}\ncontent {}\nstored {} bytes on {} providers in {:.2} s ({:.1} MB/s), registered in {} ms\ntransaction {}",
                report.id,
                report.cid,
                report.plain_bytes,
                report.providers.len(),
                report.upload.as_secs_f64(),
                mb_per_s(report.plain_bytes, report.upload),
                report.confirm.as_millis(),
                report.tx
            )
        },
    );
    Ok(())
}

pub async fn get(ctx: &Context, args: &GetArgs) -> Result<()> {
    let wallet = ctx.wallet()?;
    get_with(&SolanaBackend::new(&ctx.chain, &wallet), ctx.json, args).await
}

/// `get` on any chain.
pub async fn get_with(backend: &impl ChainBackend, json_out: bool, args: &GetArgs) -> Result<()> {
    let id = parse_blob_id(&args.blob)?;
    let blob = backend.blob(&id).await?;
    let total = blob.as_ref().map_or(0, |b| b.size);
    // Write to a temporary file next to the output and rename at the end, so a failed get
    // never leaves a partial file under the requested name.
    let tmp = args.output.with_extension("basalt-partial");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let bar = bytes_bar(json_out, total, "get");
    let progress = {
        let bar = bar.clone();
        move |done: u64| bar.set_position(done)
    };
    let result = basalt_sdk::get_from(
        backend,
        &id,
        std::io::BufWriter::new(file),
        &GetOptions::default(),
        progress,
    )
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    std::fs::rename(&tmp, &args.output)
        .with_context(|| format!("moving the file to {}", args.output.display()))?;
    print(
        json_out,
        &json!({
            "id": id.to_string(),
            "cid": report.cid.to_string(),
            "bytes": report.bytes,
            "output": args.output.display().to_string(),
            "elapsed_ms": report.elapsed.as_millis() as u64,
            "failed_requests": report.failed_requests,
            "corrupt_shards": report.rejected.len(),
            "holders": report.holders.iter().map(holder_json).collect::<Vec<_>>(),
        }),
        || {
            let holders = if args.verbose {
                report.holders.iter().map(holder_line).collect::<String>()
            } else {
                String::new()
            };
            format!(
                "wrote {} bytes to {} in {:.2} s ({:.1} MB/s){}{holders}",
                report.bytes,
                args.output.display(),
                report.elapsed.as_secs_f64(),
                mb_per_s(report.bytes, report.elapsed),
                if report.rejected.is_empty() {
                    String::new()
                } else {
                    format!("; {} corrupt shards were skipped", report.rejected.len())
                }
            )
        },
    );
    Ok(())
}

fn holder_json(h: &basalt_sdk::HolderReport) -> serde_json::Value {
    json!({
        "index": h.index,
        "url": h.url,
        "served": h.served,
        "hedged": h.hedged,
        "timed_out": h.timed_out,
        "failed": h.failed,
        "corrupt": h.corrupt,
        "cancelled": h.cancelled,
        "error": h.error,
    })
}

/// One line of `get -v`: a holder and its non-zero counts.
fn holder_line(h: &basalt_sdk::HolderReport) -> String {
    let counts = [
        ("served", h.served),
        ("hedged", h.hedged),
        ("timed out", h.timed_out),
        ("failed", h.failed),
        ("corrupt", h.corrupt),
        ("cancelled", h.cancelled),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(what, n)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(", ");
    format!(
        "\n  shard {:>3} {:<24} {}{}",
        h.index,
        h.url.as_deref().unwrap_or("(no endpoint)"),
        if counts.is_empty() {
            "not asked"
        } else {
            &counts
        },
        h.error
            .as_ref()
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default()
    )
}

pub async fn ls(ctx: &Context) -> Result<()> {
    let wallet = ctx.wallet()?;
    let blobs = ctx.chain.blobs_of(&wallet.pubkey()).await?;
    let rows: Vec<serde_json::Value> = blobs
        .iter()
        .map(|b| {
            json!({
                "id": basalt_sdk::chain::blob_id(b).to_string(),
                "cid": Cid::from_digest(b.cid_digest).to_string(),
                "size": b.size,
                "k": b.k,
                "m": b.m,
                "active": b.active,
                "public": b.public,
                "encrypted": b.encrypted,
                "expiry_epoch": b.expiry_epoch,
            })
        })
        .collect();
    print(ctx.json, &json!(rows), || {
        if blobs.is_empty() {
            return "no blobs".into();
        }
        blobs
            .iter()
            .map(|b| {
                format!(
                    "{}  {:>12} B  RS({},{})  expires epoch {}{}",
                    basalt_sdk::chain::blob_id(b),
                    b.size,
                    b.k,
                    b.m,
                    b.expiry_epoch,
                    if b.public { "  public" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

pub async fn info(ctx: &Context, blob: &str) -> Result<()> {
    let id = parse_blob_id(blob)?;
    let Some(b) = ctx.chain.blob(&id).await? else {
        bail!("no blob {id} on this chain");
    };
    let shards: Vec<serde_json::Value> = b
        .shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "index": i,
                "provider": s.provider.to_string(),
                "needs_repair": s.needs_repair,
                "last_proven_epoch": s.last_proven_epoch,
            })
        })
        .collect();
    let value = json!({
        "id": id.to_string(),
        "cid": Cid::from_digest(b.cid_digest).to_string(),
        "owner": b.owner.to_string(),
        "size": b.size,
        "chunk_size": b.chunk_size,
        "chunks": b.chunk_count,
        "k": b.k,
        "m": b.m,
        "public": b.public,
        "encrypted": b.encrypted,
        "active": b.active,
        "expiry_epoch": b.expiry_epoch,
        "shards": shards,
    });
    print(ctx.json, &value, || {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    });
    Ok(())
}

pub async fn grant(ctx: &Context, args: &GrantArgs) -> Result<()> {
    let wallet = ctx.wallet()?;
    grant_with(&SolanaBackend::new(&ctx.chain, &wallet), ctx.json, args).await
}

/// `grant` on any chain.
pub async fn grant_with(
    backend: &impl ChainBackend,
    json_out: bool,
    args: &GrantArgs,
) -> Result<()> {
    let id = parse_blob_id(&args.blob)?;
    let grantee = parse_grantee(&args.grantee)?;
    let roles = parse_roles(&args.roles)?;
    let tx = basalt_sdk::access::grant_on(backend, &id, &grantee, roles, args.expires_at).await?;
    print(
        json_out,
        &json!({ "signature": tx.to_string(), "transaction": tx.to_string() }),
        || {
            format!(
                "granted {} on {id} to {}\ntransaction {tx}",
                args.roles,
                grantee.caller()
            )
        },
    );
    Ok(())
}

pub async fn revoke(ctx: &Context, blob: &str, grantee: &str) -> Result<()> {
    let wallet = ctx.wallet()?;
    revoke_with(
        &SolanaBackend::new(&ctx.chain, &wallet),
        ctx.json,
        blob,
        grantee,
    )
    .await
}

/// `revoke` on any chain.
pub async fn revoke_with(
    backend: &impl ChainBackend,
    json_out: bool,
    blob: &str,
    grantee: &str,
) -> Result<()> {
    let id = parse_blob_id(blob)?;
    let grantee = parse_grantee(grantee)?.caller();
    let tx = basalt_sdk::access::revoke_on(backend, &id, &grantee).await?;
    print(
        json_out,
        &json!({ "signature": tx.to_string(), "transaction": tx.to_string() }),
        || format!("revoked {grantee}'s grant on {id}\ntransaction {tx}"),
    );
    Ok(())
}

pub async fn delete(ctx: &Context, blob: &str) -> Result<()> {
    let wallet = ctx.wallet()?;
    delete_with(&SolanaBackend::new(&ctx.chain, &wallet), ctx.json, blob).await
}

/// `delete` on any chain.
pub async fn delete_with(backend: &impl ChainBackend, json_out: bool, blob: &str) -> Result<()> {
    let id = parse_blob_id(blob)?;
    let (tx, shards) = basalt_sdk::access::delete_on(backend, &id).await?;
    print(
        json_out,
        &json!({ "signature": tx.to_string(), "transaction": tx.to_string(), "shards_deleted": shards }),
        || {
            format!("deleted {id} ({shards} shards removed now; holders collect the rest)\ntransaction {tx}")
        },
    );
    Ok(())
}
