//! keygen, address, balance, airdrop.

use std::path::Path;

use anyhow::{bail, Result};
use basalt_localnet::bootstrap::write_keypair;
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

use super::Context;
use crate::output::print;

const LAMPORTS_PER_SOL: f64 = 1e9;

pub fn keygen(path: &Path, force: bool, json_out: bool) -> Result<()> {
    if path.exists() && !force {
        bail!(
            "{} already exists: pass --force to overwrite it (its key would be lost) or -o to write elsewhere",
            path.display()
        );
    }
    let key = Keypair::new();
    write_keypair(path, &key)?;
    print(
        json_out,
        &json!({ "address": key.pubkey().to_string(), "keypair": path.display().to_string() }),
        || format!("wrote {}\naddress: {}", path.display(), key.pubkey()),
    );
    Ok(())
}

pub fn address(wallet: &Keypair, json_out: bool) {
    print(
        json_out,
        &json!({ "address": wallet.pubkey().to_string() }),
        || wallet.pubkey().to_string(),
    );
}

pub async fn balance(ctx: &Context) -> Result<()> {
    let wallet = ctx.wallet()?;
    let lamports = ctx.chain.balance(&wallet.pubkey()).await?;
    let tokens = match ctx.chain.stake_mint().await {
        Ok(mint) => {
            let ata = basalt_sdk::chain::associated_token_address(&wallet.pubkey(), &mint);
            ctx.chain.token_balance(&ata).await.unwrap_or(0)
        }
        Err(_) => 0,
    };
    print(
        ctx.json,
        &json!({ "address": wallet.pubkey().to_string(), "lamports": lamports, "stake_tokens": tokens }),
        || {
            format!(
                "{} SOL\n{} stake tokens (base units)",
                lamports as f64 / LAMPORTS_PER_SOL,
                tokens
            )
        },
    );
    Ok(())
}

pub async fn airdrop(ctx: &Context, amount: f64) -> Result<()> {
    if !ctx.cluster.local {
        bail!(
            "airdrops are for the local network only; on devnet use `solana airdrop` or a faucet"
        );
    }
    if !(amount > 0.0 && amount <= 1_000.0) {
        bail!("airdrop amount must be between 0 and 1000 SOL");
    }
    let wallet = ctx.wallet()?;
    let lamports = (amount * LAMPORTS_PER_SOL) as u64;
    ctx.chain.airdrop(&wallet.pubkey(), lamports).await?;
    let balance = ctx.chain.balance(&wallet.pubkey()).await?;
    print(ctx.json, &json!({ "lamports": balance }), || {
        format!("{} SOL", balance as f64 / LAMPORTS_PER_SOL)
    });
    Ok(())
}
