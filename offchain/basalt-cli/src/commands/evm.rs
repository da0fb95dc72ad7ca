//! `--chain evm`: the wallet and data commands against an EVM deployment of the
//! contracts (`contracts/evm`), through the SDK's `EvmBackend`, and the EVM local network
//! (`localnet`, `demo`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use basalt_core::evm_auth::SigningKey;
use basalt_core::RequestKey;
use basalt_evm_client::alloy::primitives::Address;
use basalt_evm_client::keys::{key_file_text, read_key};
use basalt_localnet::{EvmLocalnet, EvmLocalnetOptions, EvmNetworkInfo};
use basalt_sdk::backend::evm::EvmBackend;
use serde_json::json;

use super::localnet::{LocalnetArgs, StopSignals};
use super::{data, localnet_dir};
use crate::output::print;
use crate::{Cli, Command};

/// Where the EVM local network lives inside `--localnet-dir`, beside the Solana one.
const EVM_SUBDIR: &str = "evm";

/// Runs the command `cli` names on the EVM.
///
/// # Errors
///
/// A command that has no EVM form yet; missing or bad `--evm-config` / `--key`; whatever
/// the command failed with.
pub async fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Keygen { outfile, force } => {
            let path = outfile.clone().unwrap_or_else(|| key_path(cli));
            keygen(&path, *force, cli.json)
        }
        Command::Localnet(args) => localnet(cli, args).await,
        Command::Demo(args) => super::demo_evm::run(args, cli.json).await,
        Command::Address => {
            address(&key(cli)?, cli.json);
            Ok(())
        }
        Command::Put(args) => data::put_with(&backend(cli)?, cli.json, args, None).await,
        Command::Get(args) => data::get_with(&backend(cli)?, cli.json, args).await,
        Command::Grant(args) => data::grant_with(&backend(cli)?, cli.json, args).await,
        Command::Revoke { blob, grantee } => {
            data::revoke_with(&backend(cli)?, cli.json, blob, grantee).await
        }
        Command::Delete { blob } => data::delete_with(&backend(cli)?, cli.json, blob).await,
        other => bail!(
            "`basalt {}` runs on Solana only so far; with --chain evm: keygen, address, put, get, grant, revoke, delete, localnet, demo",
            command_name(other)
        ),
    }
}

/// The subcommand's name as typed.
fn command_name(command: &Command) -> String {
    let debug = format!("{command:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    name.to_lowercase()
}

/// `--key`, else `evm.key` in the user's Basalt configuration directory.
fn key_path(cli: &Cli) -> PathBuf {
    cli.key.clone().unwrap_or_else(|| {
        dirs::config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("basalt/evm.key")
    })
}

/// The account's key (`--key`).
fn key(cli: &Cli) -> Result<SigningKey> {
    let path = key_path(cli);
    if !path.exists() {
        bail!(
            "no EVM key at {}: create one with `basalt --chain evm keygen`, or pass --key (a hex key file, or a keystore with its password in BASALT_KEYSTORE_PASSWORD)",
            path.display()
        );
    }
    let password = std::env::var("BASALT_KEYSTORE_PASSWORD").ok();
    read_key(&path, password.as_deref())
}

/// The deployment `cli` names, for its key: `--url localnet` is the EVM local network
/// `basalt --chain evm localnet` runs (its description names the RPC URL and the
/// deployment); any other `--url` is an RPC URL, with `--evm-config` naming the deployment.
fn backend(cli: &Cli) -> Result<EvmBackend> {
    let (url, config, start_block) = match cli.url.as_str() {
        "localnet" | "l" | "localhost" => {
            let info = EvmNetworkInfo::read(&localnet_dir(cli).join(EVM_SUBDIR))?;
            let config = cli.evm_config.clone().unwrap_or(info.config);
            (info.rpc_url, config, info.start_block)
        }
        url => {
            let config = cli.evm_config.clone().context(
                "--chain evm needs --evm-config: the address of the deployment's BasaltConfig",
            )?;
            (url.to_owned(), config, cli.evm_start_block)
        }
    };
    let config: Address = config
        .parse()
        .with_context(|| format!("--evm-config {config} is not an address"))?;
    Ok(EvmBackend::new(&url, config, start_block, key(cli)?)?)
}

/// `basalt --chain evm localnet`: anvil with the contracts, the nodes and the indexer in
/// the foreground until Ctrl-C; the user's key (created if missing) gets ether and stake
/// tokens. Every start is a new chain (anvil keeps none).
async fn localnet(cli: &Cli, args: &LocalnetArgs) -> Result<()> {
    let mut signals = StopSignals::listen()?;
    let dir = localnet_dir(cli).join(EVM_SUBDIR);
    let key_path = key_path(cli);
    let created_key = !key_path.exists();
    if created_key {
        let key = SigningKey::random(&mut rand_core::OsRng);
        write_private(&key_path, &key_file_text(&key))?;
    }
    let wallet = RequestKey::Evm(key(cli)?);
    let basalt_core::Caller::Evm(address) = wallet.caller() else {
        unreachable!("an EVM key names an EVM account")
    };
    let mut options = EvmLocalnetOptions::new(&dir);
    options.nodes = args.nodes;
    options.indexer = !args.no_indexer;
    options.fund = vec![Address::from(address)];
    eprintln!("starting the EVM local network in {} …", dir.display());
    let net = tokio::select! {
        started = EvmLocalnet::start(&options) => started.map_err(|e| {
            if options.indexer {
                e.context("starting the EVM local network (`--no-indexer` runs it without the indexer)")
            } else {
                e
            }
        })?,
        why = signals.recv() => bail!("{why} while starting"),
    };
    let info = &net.info;
    print(
        cli.json,
        &json!({ "dir": dir.display().to_string(), "network": info, "wallet": wallet.caller().to_string() }),
        || {
            let mut text = format!(
                "Basalt EVM local network is up ({} storage nodes)\n  rpc:        {}\n  config:     {}  (the BasaltConfig: --evm-config elsewhere)\n  token:      {}\n",
                info.nodes.len(),
                info.rpc_url,
                info.config,
                info.token,
            );
            if let Some(url) = &info.indexer_url {
                text.push_str(&format!(
                    "  indexer:    {url}  (dApp API; {url}/openapi.json)\n"
                ));
            }
            for (i, n) in info.nodes.iter().enumerate() {
                text.push_str(&format!("  node {i:>2}:    {}  {}\n", n.url, n.address));
            }
            text.push_str(&format!(
                "  wallet:     {} ({}{})\n  state:      {} (a new chain each start)\nPress Ctrl-C to stop.",
                wallet.caller(),
                key_path.display(),
                if created_key { ", created and funded" } else { ", funded" },
                dir.display()
            ));
            text
        },
    );
    signals.recv().await;
    eprintln!("stopping: indexer and nodes first, then the chain …");
    tokio::task::spawn_blocking(move || net.stop())
        .await
        .context("stopping the network")?;
    eprintln!("stopped");
    Ok(())
}

/// Writes a new secp256k1 key to `path` as a hex key file readable by its owner only.
fn keygen(path: &Path, force: bool, json_out: bool) -> Result<()> {
    if path.exists() && !force {
        bail!(
            "{} already exists: pass --force to overwrite it (its key would be lost) or -o to write elsewhere",
            path.display()
        );
    }
    let key = SigningKey::random(&mut rand_core::OsRng);
    write_private(path, &key_file_text(&key))?;
    let wallet = RequestKey::Evm(key);
    print(
        json_out,
        &json!({
            "address": wallet.caller().to_string(),
            "public_key": wallet.recipient().to_string(),
            "key": path.display().to_string(),
        }),
        || format!("wrote {}\naddress: {}", path.display(), wallet.caller()),
    );
    Ok(())
}

/// The account's address, and the public key others wrap data keys for when they share an
/// encrypted blob with it.
fn address(key: &SigningKey, json_out: bool) {
    let wallet = RequestKey::Evm(key.clone());
    print(
        json_out,
        &json!({
            "address": wallet.caller().to_string(),
            "public_key": wallet.recipient().to_string(),
        }),
        || format!("{}\npublic key {}", wallet.caller(), wallet.recipient()),
    );
}

/// Writes `text` to `path` (creating its directory), readable only by its owner.
pub(super) fn write_private(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}
