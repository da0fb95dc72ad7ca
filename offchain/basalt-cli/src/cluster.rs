//! Which chain a command talks to: Solana CLI's `--url` monikers, plus what a running
//! `basalt localnet` wrote about itself (its real RPC port and lookup table).

use std::path::PathBuf;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt_localnet::NetworkInfo;

/// The chain a command runs against.
pub struct Cluster {
    pub rpc_url: String,
    /// The network's provider lookup table, when known.
    pub lookup_table: Option<Pubkey>,
    /// Whether this is a local network (airdrops allowed).
    pub local: bool,
}

/// Default directory of `basalt localnet`.
pub fn default_localnet_dir() -> PathBuf {
    dirs::data_local_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("basalt")
        .join("localnet")
}

/// Resolves `--url`: `localnet` (or `l`) reads the local network's `localnet.json`;
/// `devnet`, `testnet` and `mainnet-beta` are the public endpoints; anything else is an RPC
/// URL used as given.
///
/// # Errors
///
/// When `localnet` is asked for and no local network has written its description.
pub fn resolve(url: &str, localnet_dir: &std::path::Path) -> Result<Cluster> {
    let public = |u: &str| Cluster {
        rpc_url: u.to_owned(),
        lookup_table: None,
        local: false,
    };
    Ok(match url {
        "localnet" | "l" | "localhost" => {
            let info = NetworkInfo::read(localnet_dir)?;
            Cluster {
                rpc_url: info.rpc_url.clone(),
                lookup_table: info.lookup_table.as_deref().and_then(|t| t.parse().ok()),
                local: true,
            }
        }
        "devnet" | "d" => public("https://api.devnet.solana.com"),
        "testnet" | "t" => public("https://api.testnet.solana.com"),
        "mainnet-beta" | "m" => public("https://api.mainnet-beta.solana.com"),
        other => Cluster {
            rpc_url: other.to_owned(),
            lookup_table: None,
            local: other.contains("127.0.0.1") || other.contains("localhost"),
        },
    })
}
