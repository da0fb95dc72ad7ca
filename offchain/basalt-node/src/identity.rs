//! The node's identity: an ed25519 key in a Solana CLI keypair file (a JSON array of 64
//! bytes: secret seed, then public key), the same format `solana-keygen` writes; and on the
//! EVM its provider's secp256k1 key, in a file holding the private key as `0x` and 64 hex
//! digits (as `cast wallet new` prints it and wallets import it).

use std::path::Path;

use anyhow::{bail, Context, Result};
use basalt_core::evm_auth::SigningKey as EvmKey;
use ed25519_dalek::SigningKey;

/// Reads a Solana CLI keypair file.
///
/// # Errors
///
/// When the file is missing, is not a JSON array of 64 bytes, or its public half does not
/// belong to its secret half.
pub fn read_keypair(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading keypair file {}", path.display()))?;
    let bytes: Vec<u8> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Solana keypair file (a JSON array of 64 numbers)",
            path.display()
        )
    })?;
    let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        bail!(
            "{} holds {} bytes; a Solana keypair has 64",
            path.display(),
            bytes.len()
        );
    };
    basalt_core::encryption::wallet_from_keypair_bytes(&bytes)
        .with_context(|| format!("{}: public key does not match secret key", path.display()))
}

/// Writes `key` as a Solana CLI keypair file readable only by its owner.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_keypair(path: &Path, key: &SigningKey) -> Result<()> {
    let json = serde_json::to_string(&key.to_keypair_bytes().to_vec())?;
    write_private(path, &json)
}

/// Reads an EVM private key file: a hex key, or a keystore whose password is in
/// `BASALT_KEYSTORE_PASSWORD` (`basalt_evm_client::keys`).
///
/// # Errors
///
/// When the file is missing or does not hold a valid secp256k1 private key.
pub fn read_evm_key(path: &Path) -> Result<EvmKey> {
    let password = std::env::var("BASALT_KEYSTORE_PASSWORD").ok();
    basalt_evm_client::keys::read_key(path, password.as_deref())
}

/// Writes `key` as an EVM private key file readable only by its owner.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_evm_key(path: &Path, key: &EvmKey) -> Result<()> {
    write_private(path, &basalt_evm_client::keys::key_file_text(key))
}

/// Writes `text` to `path` (creating its directory), readable only by its owner.
fn write_private(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypair_file_round_trips_and_bad_files_are_explained() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("id.json");
        let key = SigningKey::from_bytes(&[5; 32]);
        write_keypair(&path, &key)?;
        assert_eq!(read_keypair(&path)?.to_bytes(), key.to_bytes());

        std::fs::write(&path, "[1,2,3]")?;
        let err = read_keypair(&path).expect_err("short keypair").to_string();
        assert!(err.contains("holds 3 bytes"), "{err}");
        std::fs::write(&path, "not json")?;
        assert!(read_keypair(&path).is_err());
        let mut mismatched = key.to_keypair_bytes();
        mismatched[40] ^= 1;
        std::fs::write(&path, serde_json::to_string(&mismatched.to_vec())?)?;
        assert!(read_keypair(&path).is_err());
        Ok(())
    }

    #[test]
    fn an_evm_key_file_round_trips_readable_by_its_owner_only() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("evm.key");
        let key = EvmKey::from_slice(&[3; 32])?;
        write_evm_key(&path, &key)?;
        assert_eq!(read_evm_key(&path)?.to_bytes(), key.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path)?.permissions().mode() & 0o777,
                0o600
            );
        }
        Ok(())
    }
}
