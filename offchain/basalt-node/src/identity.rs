//! The node's identity: an ed25519 key in a Solana CLI keypair file (a JSON array of 64
//! bytes: secret seed, then public key), the same format `solana-keygen` writes.

use std::path::Path;

use anyhow::{bail, Context, Result};
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
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The base58 address of a key, as Solana tools print it.
pub fn address(key: &[u8; 32]) -> String {
    bs58::encode(key).into_string()
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
}
