//! provider register / stake / unstake / withdraw / status, signed by the wallet (the
//! provider's authority, which is also its node's identity).

use anyhow::{bail, Result};
use basalt::client::ix;
use basalt::state::{ROLE_COMPUTE, ROLE_STORAGE};
use basalt_core::LivenessThresholds;
use basalt_sdk::chain::{associated_token_address, ProviderRegistration};
use serde_json::json;
use solana_signer::Signer;

use super::Context;
use crate::output::print;

#[derive(Debug, clap::Subcommand)]
pub enum ProviderCommand {
    /// Registers the wallet as a provider, optionally staking at once.
    Register {
        /// Public base URL of the storage node.
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "")]
        region: String,
        /// Bytes offered.
        #[arg(long)]
        capacity: u64,
        /// Roles: storage, compute, or storage,compute.
        #[arg(long, default_value = "storage")]
        roles: String,
        /// Stake to put up now (stake-token base units).
        #[arg(long, default_value_t = 0)]
        stake: u64,
    },
    /// Adds stake from the wallet's stake-token account.
    Stake { amount: u64 },
    /// Starts unbonding `amount` (no new work meanwhile).
    Unstake { amount: u64 },
    /// Withdraws unbonded stake to the wallet's token account.
    Withdraw,
    /// Shows the provider's chain record, and whether its node is online (heartbeats
    /// within a minute), warning (no new shards) or offline (its shards are repaired).
    Status,
}

fn parse_roles(s: &str) -> Result<u8> {
    let mut roles = 0;
    for part in s.split(',').map(str::trim) {
        roles |= match part {
            "storage" => ROLE_STORAGE,
            "compute" => ROLE_COMPUTE,
            other => bail!("unknown provider role {other:?}: use storage and/or compute"),
        };
    }
    Ok(roles)
}

pub async fn run(ctx: &Context, command: &ProviderCommand) -> Result<()> {
    let wallet = ctx.wallet()?;
    let me = wallet.pubkey();
    let signature = match command {
        ProviderCommand::Register {
            endpoint,
            region,
            capacity,
            roles,
            stake,
        } => {
            let registration = ProviderRegistration {
                endpoint: endpoint.clone(),
                region: region.clone(),
                roles: parse_roles(roles)?,
                capacity: *capacity,
            };
            ctx.chain
                .register_provider(&wallet, &registration, *stake)
                .await?;
            None
        }
        ProviderCommand::Stake { amount } => {
            let from = associated_token_address(&me, &ctx.chain.stake_mint().await?);
            Some(
                ctx.chain
                    .send(&[ix::provider_stake(&me, &from, *amount)], &wallet, &[])
                    .await?,
            )
        }
        ProviderCommand::Unstake { amount } => Some(
            ctx.chain
                .send(&[ix::provider_unstake(&me, *amount)], &wallet, &[])
                .await?,
        ),
        ProviderCommand::Withdraw => {
            let to = associated_token_address(&me, &ctx.chain.stake_mint().await?);
            Some(
                ctx.chain
                    .send(&[ix::provider_withdraw(&me, &to)], &wallet, &[])
                    .await?,
            )
        }
        ProviderCommand::Status => None,
    };
    let Some(p) = ctx.chain.provider(&me).await? else {
        bail!("{me} is not a registered provider: `basalt provider register --endpoint URL --capacity BYTES`");
    };
    let silence = ctx
        .chain
        .heartbeat_silence(std::slice::from_ref(&p))
        .await?
        .first()
        .copied()
        .flatten();
    let liveness = LivenessThresholds::default().classify(silence);
    let value = json!({
        "authority": me.to_string(),
        "endpoint": p.endpoint,
        "region": p.region,
        "roles": p.roles,
        "capacity": p.capacity,
        "stake": p.stake,
        "unbonding": p.unbonding_amount,
        "unbonding_until_epoch": p.unbonding_until_epoch,
        "status": format!("{:?}", p.status),
        "reputation": p.reputation,
        "last_heartbeat_slot": p.last_heartbeat_slot,
        "silent_secs": silence,
        "liveness": liveness.as_str(),
        "signature": signature.map(|s| s.to_string()),
    });
    print(ctx.json, &value, || {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    });
    Ok(())
}
