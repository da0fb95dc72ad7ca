//! `--chain evm`: the wallet and data commands against an EVM deployment of the
//! contracts (`contracts/evm`), through the SDK's `EvmBackend`.

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use basalt_core::evm_auth::SigningKey;
use basalt_core::RequestKey;
use basalt_evm_client::alloy::primitives::Address;
use basalt_evm_client::keys::{key_file_text, read_key};
use basalt_sdk::backend::evm::EvmBackend;
use serde_json::json;

use super::data;
use crate::output::print;
use crate::{Cli, Command};

/// The JSON-RPC URL `--url localnet` means on the EVM: anvil's and geth's default.
const LOCAL_RPC: &str = "http://127.0.0.1:8545";

/// Runs the command `cli` names on the EVM.
///
/// # Errors
///
/// A command that has no EVM form yet; missing or bad `--evm-config` / `--key`; whatever
/// the command failed with.
pub async fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Keygen { outfile, force } => {
            let path = outfile.clone().or_else(|| cli.key.clone()).context(
                "where should the key go? pass -o FILE (or --key FILE)",
            )?;
            keygen(&path, *force, cli.json)
        }
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
            "`basalt {}` runs on Solana only so far; with --chain evm: keygen, address, put, get, grant, revoke, delete",
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

/// The account's key (`--key`).
fn key(cli: &Cli) -> Result<SigningKey> {
    let path = cli.key.as_deref().context(
        "--chain evm needs --key: an EVM key file (hex, or a keystore with its password in BASALT_KEYSTORE_PASSWORD); `basalt --chain evm keygen -o FILE` makes one",
    )?;
    let password = std::env::var("BASALT_KEYSTORE_PASSWORD").ok();
    read_key(path, password.as_deref())
}

/// The deployment `cli` names, for its key.
fn backend(cli: &Cli) -> Result<EvmBackend> {
    let config = cli
        .evm_config
        .as_deref()
        .context("--chain evm needs --evm-config: the address of the deployment's BasaltConfig")?;
    let config: Address = config
        .parse()
        .with_context(|| format!("--evm-config {config} is not an address"))?;
    let url = match cli.url.as_str() {
        "localnet" | "l" | "localhost" => LOCAL_RPC,
        url => url,
    };
    Ok(EvmBackend::new(
        url,
        config,
        cli.evm_start_block,
        key(cli)?,
    )?)
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
fn write_private(path: &Path, text: &str) -> Result<()> {
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
