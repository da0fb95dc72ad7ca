//! An EVM account's private key on disk, in either form Ethereum tools write: a hex file
//! (`0x` and 64 hex digits, as `cast wallet new` prints) or a keystore (Web3 Secret
//! Storage JSON, as geth, clef and `cast wallet import` write), decrypted by alloy's local
//! signer.

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result};
use basalt_core::evm_auth::SigningKey;

/// Reads the key in `path`: a keystore when the file holds JSON (decrypted with
/// `password`), a hex key otherwise. Surrounding whitespace is ignored.
///
/// # Errors
///
/// When the file is missing, holds neither form, is a keystore and `password` is `None`
/// or wrong.
pub fn read_key(path: &Path, password: Option<&str>) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading EVM key file {}", path.display()))?;
    let text = text.trim();
    if text.starts_with('{') {
        let password = password.with_context(|| {
            format!(
                "{} is a keystore: give its password in BASALT_KEYSTORE_PASSWORD",
                path.display()
            )
        })?;
        let signer = PrivateKeySigner::decrypt_keystore(path, password).with_context(|| {
            format!(
                "{} does not open with this password (or is not a keystore)",
                path.display()
            )
        })?;
        return Ok(signer.into_credential());
    }
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(digits.as_bytes())
        .ok()
        .filter(|b| b.len() == 32)
        .with_context(|| {
            format!(
                "{} holds neither an EVM private key (0x and 64 hex digits) nor a keystore",
                path.display()
            )
        })?;
    SigningKey::from_slice(&bytes)
        .with_context(|| format!("{}: not a valid secp256k1 private key", path.display()))
}

/// The hex key file text of `key`: `0x`, 64 hex digits and a newline.
pub fn key_file_text(key: &SigningKey) -> String {
    format!("0x{}\n", data_encoding::HEXLOWER.encode(&key.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_files_and_keystores_read_back() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let key = SigningKey::from_slice(&[0x42; 32])?;
        let hex = dir.path().join("key.hex");
        std::fs::write(&hex, key_file_text(&key))?;
        assert_eq!(read_key(&hex, None)?.to_bytes(), key.to_bytes());
        // Without the prefix, in capitals, with spaces around.
        std::fs::write(&hex, format!("  {}\n", "42".repeat(32).to_uppercase()))?;
        assert_eq!(read_key(&hex, None)?.to_bytes(), key.to_bytes());

        PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand_core::OsRng,
            key.to_bytes(),
            "correct horse",
            Some("keystore.json"),
        )?;
        let keystore = dir.path().join("keystore.json");
        assert_eq!(
            read_key(&keystore, Some("correct horse"))?.to_bytes(),
            key.to_bytes()
        );
        let wrong = read_key(&keystore, Some("wrong")).expect_err("a wrong password");
        assert!(format!("{wrong:#}").contains("does not open"), "{wrong:#}");
        let none = read_key(&keystore, None).expect_err("no password");
        assert!(
            format!("{none:#}").contains("BASALT_KEYSTORE_PASSWORD"),
            "{none:#}"
        );
        Ok(())
    }

    /// The PBKDF2 test vector of the Web3 Secret Storage definition: what geth and
    /// every wallet read.
    #[test]
    fn the_formats_own_test_vector_opens() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("vector.json");
        std::fs::write(
            &path,
            r#"{
                "crypto": {
                    "cipher": "aes-128-ctr",
                    "cipherparams": { "iv": "6087dab2f9fdbbfaddc31a909735c1e6" },
                    "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
                    "kdf": "pbkdf2",
                    "kdfparams": {
                        "c": 262144,
                        "dklen": 32,
                        "prf": "hmac-sha256",
                        "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
                    },
                    "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
                },
                "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
                "version": 3
            }"#,
        )?;
        let key = read_key(&path, Some("testpassword"))?;
        assert_eq!(
            data_encoding::HEXLOWER.encode(&key.to_bytes()),
            "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
        );
        Ok(())
    }

    #[test]
    fn other_files_are_refused_with_a_reason() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("key");
        for bad in ["", "0x1234", &"zz".repeat(32), &"00".repeat(32)] {
            std::fs::write(&path, bad)?;
            let e = read_key(&path, None).expect_err(bad);
            assert!(
                format!("{e:#}").contains(&path.display().to_string()),
                "{e:#}"
            );
        }
        assert!(read_key(&dir.path().join("missing"), None).is_err());
        Ok(())
    }
}
