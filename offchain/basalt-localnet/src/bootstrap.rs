//! Puts a fresh chain into the state the rest of the network expects: an admin, a stake
//! mint, the program's Config, and funded wallets. Every step checks what is already on
//! chain first, so running it again after a restart changes nothing.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::ConfigParams;
use basalt_sdk::ChainClient;
use solana_keypair::{read_keypair_file, write_keypair_file, Keypair};
use solana_signer::Signer;

use crate::admin;

/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// One stake token in base units (the mint has six decimals).
pub const TOKEN: u64 = 1_000_000;

/// The protocol parameters of a local network: short epochs so proofs and payouts happen
/// within a demo, the program's defaults otherwise.
#[derive(Debug, Clone)]
pub struct NetworkParams {
    /// Slots per epoch; at the local chain's default 100 ms slots, 600 slots = 1 min.
    pub epoch_slots: u64,
    /// Slots after an epoch starts within which its storage proofs are due.
    pub proof_window_slots: u64,
    pub config: ConfigParams,
}

impl Default for NetworkParams {
    fn default() -> Self {
        Self {
            epoch_slots: 600,
            proof_window_slots: 300,
            config: ConfigParams {
                min_stake: 1_000 * TOKEN,
                unbonding_epochs: 2,
                proof_slash_bps: 1_000,
                job_slash_bps: 500,
                bounty_bps: 2_000,
                default_k: 10,
                default_m: 4,
                // 30 days of one-minute epochs.
                max_deal_epochs: 43_200,
                max_slashes_per_epoch: 1,
                // An epoch (600 slots, 4 minutes at 400 ms) to accept a placement.
                accept_window_ticks: 600,
                // A minute of silence (twelve missed heartbeats of a local node) sends a
                // provider's shards to repair, well before the proof it would miss.
                offline_ticks: 600,
            },
        }
    }
}

/// The keys that own the local network, kept in its state directory across restarts.
pub struct NetworkKeys {
    /// Config admin and stake-mint authority.
    pub admin: Keypair,
    /// Address of the stake mint.
    pub stake_mint: Pubkey,
}

/// Initializes the program on the chain behind `client` if it is not yet, with keys kept in
/// `key_dir` (created on first use, reused afterwards).
///
/// # Errors
///
/// When a key file cannot be read or written, the chain refuses a step, or the chain's
/// Config names a different stake mint than the one in `key_dir` (the directory belongs
/// to another chain).
pub async fn initialize(
    client: &ChainClient,
    key_dir: &Path,
    params: &NetworkParams,
) -> Result<NetworkKeys> {
    let admin = load_or_create_keypair(&key_dir.join("admin.json"))?;
    let mint = load_or_create_keypair(&key_dir.join("stake-mint.json"))?;
    if let Some(config) = client.config().await? {
        if config.stake_mint != mint.pubkey() || config.admin != admin.pubkey() {
            bail!(
                "the chain's Basalt Config (admin {}, stake mint {}) was not made with the keys \
                 in {}; use the state directory this chain was started with",
                config.admin,
                config.stake_mint,
                key_dir.display()
            );
        }
        return Ok(NetworkKeys {
            admin,
            stake_mint: mint.pubkey(),
        });
    }
    client.airdrop(&admin.pubkey(), 1_000 * SOL).await?;
    if client.rpc().get_account(&mint.pubkey()).await.is_err() {
        admin::create_mint(client, &admin, &mint, &admin.pubkey())
            .await
            .context("creating the stake mint")?;
    }
    admin::initialize_config(
        client,
        &admin,
        &mint.pubkey(),
        params.epoch_slots,
        params.proof_window_slots,
        params.config.clone(),
    )
    .await
    .context("initializing the Basalt Config")?;
    Ok(NetworkKeys {
        admin,
        stake_mint: mint.pubkey(),
    })
}

/// Gives `wallet` `sol` lamports from the faucet and mints it `tokens` stake-token base
/// units into its associated token account.
///
/// # Errors
///
/// When the airdrop or the mint transaction fails.
pub async fn fund_wallet(
    client: &ChainClient,
    keys: &NetworkKeys,
    wallet: &Pubkey,
    sol: u64,
    tokens: u64,
) -> Result<()> {
    if sol > 0 {
        client.airdrop(wallet, sol).await?;
    }
    if tokens > 0 {
        admin::mint_to(client, &keys.admin, &keys.stake_mint, wallet, tokens).await?;
    }
    Ok(())
}

/// Reads a Solana CLI keypair file, or creates one with a fresh key if there is none.
///
/// # Errors
///
/// When the file exists but is not a keypair, or a new one cannot be written.
pub fn load_or_create_keypair(path: &Path) -> Result<Keypair> {
    if path.exists() {
        return read_keypair_file(path)
            .map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", path.display()));
    }
    let key = Keypair::new();
    write_keypair(path, &key)?;
    Ok(key)
}

/// Writes `key` as a Solana CLI keypair file (mode 0600), creating parent directories.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_keypair(path: &Path, key: &Keypair) -> Result<PathBuf> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_keypair_file(key, path)
        .map_err(|e| anyhow::anyhow!("writing keypair {}: {e}", path.display()))?;
    Ok(path.to_owned())
}
