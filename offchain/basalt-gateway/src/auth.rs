//! The access keys: each one's secret, for `s3s` to check a request's SigV4 signature with,
//! and the wallet its requests act as.

use std::collections::HashMap;
use std::sync::Arc;

use s3s::auth::{S3Auth, SecretKey};
use s3s::{s3_error, S3Result};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::config::{ConfigError, GatewayConfig};

/// The configured access keys with their wallets loaded (cheap to clone: `s3s` checks
/// signatures with one copy, the operations find wallets with another).
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<HashMap<String, Key>>,
}

struct Key {
    secret: SecretKey,
    wallet: Arc<Keypair>,
}

impl KeyRing {
    /// Loads every access key's wallet.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Wallet`] when a wallet file cannot be read as a keypair.
    pub fn load(config: &GatewayConfig) -> Result<Self, ConfigError> {
        let mut keys = HashMap::new();
        for key in &config.keys {
            let wallet = solana_keypair::read_keypair_file(&key.wallet).map_err(|e| {
                ConfigError::Wallet {
                    key: key.access_key.clone(),
                    path: key.wallet.clone(),
                    reason: e.to_string(),
                }
            })?;
            keys.insert(
                key.access_key.clone(),
                Key {
                    secret: SecretKey::from(key.secret_key.as_str()),
                    wallet: Arc::new(wallet),
                },
            );
        }
        Ok(Self {
            keys: Arc::new(keys),
        })
    }

    /// The wallet an access key acts as.
    pub fn wallet(&self, access_key: &str) -> Option<Arc<Keypair>> {
        self.keys.get(access_key).map(|k| Arc::clone(&k.wallet))
    }

    /// Every wallet an access key acts as, each once.
    pub fn wallets(&self) -> Vec<Arc<Keypair>> {
        let mut wallets: Vec<Arc<Keypair>> = Vec::new();
        for key in self.keys.values() {
            if !wallets.iter().any(|w| w.pubkey() == key.wallet.pubkey()) {
                wallets.push(Arc::clone(&key.wallet));
            }
        }
        wallets
    }

    /// The wallet at address `owner`, when an access key acts as it.
    pub fn wallet_of(&self, owner: &str) -> Option<Arc<Keypair>> {
        self.keys
            .values()
            .find(|k| k.wallet.pubkey().to_string() == owner)
            .map(|k| Arc::clone(&k.wallet))
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyRing {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.keys.get(access_key) {
            Some(key) => Ok(key.secret.clone()),
            None => Err(s3_error!(InvalidAccessKeyId)),
        }
    }
}

#[cfg(test)]
mod tests {
    use solana_keypair::write_keypair_file;
    use solana_signer::Signer;

    use super::*;

    #[tokio::test]
    async fn a_known_key_has_its_secret_and_wallet_and_an_unknown_one_is_refused(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("wallet.json");
        let wallet = Keypair::new();
        write_keypair_file(&wallet, &path).map_err(|e| anyhow::anyhow!("{e}"))?;
        let text = format!(
            "url = \"http://127.0.0.1:8899\"\nindex = \"index\"\n[[keys]]\naccess_key = \"KEY1\"\nsecret_key = \"0123456789abcdef\"\nwallet = {:?}\n",
            path
        );
        let ring = KeyRing::load(&GatewayConfig::from_toml(&text)?)?;
        assert_eq!(
            ring.get_secret_key("KEY1").await?.expose(),
            "0123456789abcdef"
        );
        assert_eq!(
            ring.wallet("KEY1").map(|w| w.pubkey()),
            Some(wallet.pubkey())
        );
        let refused = ring
            .get_secret_key("KEY2")
            .await
            .err()
            .map(|e| e.code().clone());
        assert_eq!(refused, Some(s3s::S3ErrorCode::InvalidAccessKeyId));
        let missing = GatewayConfig::from_toml(&text.replace("wallet.json", "none.json"))?;
        assert!(matches!(
            KeyRing::load(&missing),
            Err(ConfigError::Wallet { .. })
        ));
        Ok(())
    }
}
