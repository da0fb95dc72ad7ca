//! The gateway's configuration, a TOML file: where it listens, the network, its index, and
//! the access keys S3 clients sign with, each acting as one wallet.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use basalt::anchor_lang::prelude::Pubkey;
use serde::Deserialize;

/// The address a gateway listens on unless told otherwise: this machine only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9100";

/// Shortest secret accepted: S3 secrets are 40 characters; a short one is guessable.
pub const MIN_SECRET_LEN: usize = 16;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The chain's RPC URL.
    pub url: String,
    /// The network's provider lookup table (`basalt localnet` writes it in its
    /// `localnet.json`): lets a wide blob's registration fit in one transaction.
    #[serde(default)]
    pub lookup_table: Option<String>,
    /// The index's RocksDB directory.
    pub index: PathBuf,
    /// Where PUT bodies are spooled before they are stored (the system's temporary
    /// directory by default). A body is held there once, for the length of its PUT.
    #[serde(default)]
    pub spool: Option<PathBuf>,
    /// How objects are stored.
    #[serde(default)]
    pub storage: StorageConfig,
    /// What one request and one access key may ask.
    #[serde(default)]
    pub limits: LimitsConfig,
    // INV: access keys are unique, each a plain token, each secret at least MIN_SECRET_LEN
    #[serde(default)]
    pub keys: Vec<AccessKey>,
}

/// What every blob the gateway stores is paid for and how it is cut.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Epochs of storage each blob's deal pays for.
    pub epochs: u64,
    /// Stake-token base units per shard per epoch.
    pub price_per_shard_epoch: u64,
    /// The most object bytes in one blob; a larger object is stored as several blobs. At
    /// most what the network proves in one blob (the gateway lowers it to that).
    pub piece_size: u64,
    /// Data and parity shards per chunk (the network's defaults when unset).
    pub k: Option<u16>,
    pub m: Option<u16>,
    /// Blobs stored at once, across all requests; more requests wait their turn. Each
    /// store already uploads its shards in parallel, and a client sending ten parts at
    /// once (the AWS CLI's default) would otherwise run ten encodings and ten uploads to
    /// every node side by side.
    pub concurrent_puts: usize,
    /// Object reads streamed at once, across all requests. Each holds the SDK's window of
    /// chunks (`GetOptions::parallel_chunks`, 4 MiB each by default) and a few frames, so
    /// this bounds what downloads hold in memory; a read that finds no turn within
    /// `limits.idle_timeout_secs` is answered 503 `SlowDown`, which clients retry.
    pub concurrent_gets: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            price_per_shard_epoch: 10,
            piece_size: DEFAULT_PIECE_SIZE,
            k: None,
            m: None,
            concurrent_puts: 2,
            concurrent_gets: 8,
        }
    }
}

/// S3's largest PUT or part body.
pub const S3_MAX_BODY: u64 = 5 << 30;

/// Limits that keep one client from holding the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests per second one access key may make, with bursts of up to `burst`; beyond
    /// that, 503 `SlowDown`, which S3 clients retry after backing off.
    pub requests_per_second: u32,
    pub burst: u32,
    /// The largest PUT or part body, in bytes (at most S3's own 5 GiB): beyond it,
    /// `EntityTooLarge`.
    pub max_body: u64,
    /// A request body that sends nothing for this long fails with `RequestTimeout`, and a
    /// response whose client reads nothing for this long is cut.
    pub idle_timeout_secs: u64,
    /// A client that has not sent a request's headers this long after it began is
    /// disconnected.
    pub header_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 200,
            max_body: S3_MAX_BODY,
            idle_timeout_secs: 60,
            header_timeout_secs: 30,
        }
    }
}

/// Object bytes per blob unless configured: half of what RS(10, 4) over 4 MiB chunks proves
/// in one transaction (`basalt_proof::BlobLayout::max_size`).
pub const DEFAULT_PIECE_SIZE: u64 = 8 << 30;

/// An access key: what an S3 client signs with, and the wallet its requests act as.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub access_key: String,
    pub secret_key: String,
    /// The wallet's keypair file (the Solana CLI's JSON format).
    pub wallet: PathBuf,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key", &self.access_key)
            .field("secret_key", &"…")
            .field("wallet", &self.wallet)
            .finish()
    }
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN.parse().unwrap_or_else(|_| unreachable!())
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration does not parse: {0}")]
    Parse(String),
    #[error("access key {0:?} is configured twice")]
    DuplicateKey(String),
    #[error("access key {0:?} is not 3 to 128 letters and digits")]
    BadKey(String),
    #[error("the secret of access key {0:?} is shorter than {MIN_SECRET_LEN} characters")]
    ShortSecret(String),
    #[error("cannot read the wallet {path} of access key {key:?}: {reason}")]
    Wallet {
        key: String,
        path: PathBuf,
        reason: String,
    },
    #[error("lookup_table {0:?} is not a base58 address")]
    LookupTable(String),
}

impl GatewayConfig {
    /// Parses and checks a configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError`]: a file that does not parse, an access key twice or malformed, a
    /// short secret.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let mut seen = BTreeSet::new();
        for key in &config.keys {
            let k = &key.access_key;
            if !(3..=128).contains(&k.len()) || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ConfigError::BadKey(k.clone()));
            }
            if key.secret_key.len() < MIN_SECRET_LEN {
                return Err(ConfigError::ShortSecret(k.clone()));
            }
            if !seen.insert(k.as_str()) {
                return Err(ConfigError::DuplicateKey(k.clone()));
            }
        }
        if config.storage.piece_size == 0
            || config.storage.epochs == 0
            || config.storage.concurrent_puts == 0
            || config.storage.concurrent_gets == 0
        {
            return Err(ConfigError::Parse(
                "storage.piece_size, storage.epochs, storage.concurrent_puts and \
                 storage.concurrent_gets must be above zero"
                    .into(),
            ));
        }
        let l = &config.limits;
        if [l.requests_per_second, l.burst].contains(&0)
            || [l.max_body, l.idle_timeout_secs, l.header_timeout_secs].contains(&0)
        {
            return Err(ConfigError::Parse("every limit must be above zero".into()));
        }
        if l.max_body > S3_MAX_BODY {
            return Err(ConfigError::Parse(format!(
                "limits.max_body is at most S3's {S3_MAX_BODY} bytes"
            )));
        }
        config.lookup_table_address()?;
        Ok(config)
    }

    /// The lookup table's address, when one is configured.
    ///
    /// # Errors
    ///
    /// [`ConfigError::LookupTable`] when it is not an address.
    pub fn lookup_table_address(&self) -> Result<Option<Pubkey>, ConfigError> {
        self.lookup_table
            .as_deref()
            .map(|t| {
                t.parse::<Pubkey>()
                    .map_err(|_| ConfigError::LookupTable(t.to_owned()))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"
        [[keys]]
        access_key = "BASALTLOCAL1"
        secret_key = "0123456789abcdef0123"
        wallet = "wallet.json"
    "#;

    #[test]
    fn a_configuration_listens_locally_by_default_and_checks_its_keys() -> Result<(), ConfigError> {
        let base = "url = \"http://127.0.0.1:8899\"\nindex = \"index\"\n";
        let config = GatewayConfig::from_toml(&format!("{base}{KEY}"))?;
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.keys[0].access_key, "BASALTLOCAL1");
        assert!(
            !format!("{config:?}").contains("0123456789abcdef"),
            "a secret never reaches a log"
        );
        let twice = GatewayConfig::from_toml(&format!("{base}{KEY}{KEY}"));
        assert!(matches!(twice, Err(ConfigError::DuplicateKey(_))));
        let short = GatewayConfig::from_toml(&format!(
            "{base}{}",
            KEY.replace("0123456789abcdef0123", "short")
        ));
        assert!(matches!(short, Err(ConfigError::ShortSecret(_))));
        let bad =
            GatewayConfig::from_toml(&format!("{base}{}", KEY.replace("BASALTLOCAL1", "a/b")));
        assert!(matches!(bad, Err(ConfigError::BadKey(_))));
        let unknown = GatewayConfig::from_toml(&format!("{base}colour = \"blue\"\n"));
        assert!(matches!(unknown, Err(ConfigError::Parse(_))));
        Ok(())
    }

    #[test]
    fn limits_have_defaults_and_refuse_zero_and_more_than_s3_allows() -> Result<(), ConfigError> {
        let base = "url = \"http://127.0.0.1:8899\"\nindex = \"index\"\n";
        let config = GatewayConfig::from_toml(base)?;
        assert_eq!(config.limits.max_body, S3_MAX_BODY);
        let limits = |text: &str| GatewayConfig::from_toml(&format!("{base}[limits]\n{text}\n"));
        assert_eq!(
            limits("requests_per_second = 5")?
                .limits
                .requests_per_second,
            5
        );
        for bad in [
            "requests_per_second = 0",
            "idle_timeout_secs = 0",
            "max_body = 5368709121",
        ] {
            assert!(matches!(limits(bad), Err(ConfigError::Parse(_))), "{bad}");
        }
        let table = GatewayConfig::from_toml(&format!("{base}lookup_table = \"not base58!\"\n"));
        assert!(matches!(table, Err(ConfigError::LookupTable(_))));
        Ok(())
    }
}
