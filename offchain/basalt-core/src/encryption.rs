//! Per-blob encryption: AES-256-GCM per chunk, and the data key wrapped for each reader.
//!
//! # Chunks
//!
//! Every blob gets a fresh random [`DataKey`]: a 256-bit AES key and a 128-bit blob salt.
//! Chunk `i` of a blob is sealed with
//!
//! - nonce = `i` (u32 LE) `||` the first 8 bytes of the salt;
//! - associated data = `"basalt/chunk/v1" || salt || i (u32 LE) || last (u8)`.
//!
//! The key is never reused across blobs, so nonces never repeat under one key. A chunk moved
//! to another position fails authentication (the index is in nonce and AD), as does a chunk
//! from another blob (another key and salt, even if a caller ever reused a key), and a
//! stream cut short after a chunk boundary (only the real last chunk carries `last = 1`).
//! The blob is bound by its salt rather than by its CID because the CID is the hash of the
//! ciphertext and is only known once every chunk is sealed.
//!
//! AES-256-GCM is sealed and opened with `ring`, whose x86-64 code interleaves AES with
//! GHASH (VAES + VPCLMULQDQ where the CPU has them, AES-NI + PCLMULQDQ otherwise); the
//! RustCrypto `aes-gcm` crate makes two passes; ring seals several times faster than it and
//! than XChaCha20-Poly1305 (`benches/hashing.rs` prints them side by side, figures in
//! `docs/benchmarks.md`; a test checks ring and `aes-gcm` produce the same bytes, so the
//! format did not change). AES-256-GCM is the cipher because browsers' WebCrypto
//! decrypts it natively, so a dApp needs no extra code to read a blob, and the 96-bit nonce
//! is safe here (one fresh key per blob, one nonce per chunk).
//!
//! # Keys
//!
//! The data key and salt (48 bytes) are wrapped for a reader with a libsodium sealed box
//! (`crypto_box_seal`: ephemeral X25519, XSalsa20-Poly1305) to the reader's X25519 key, which
//! is derived from their ed25519 wallet key the standard way (`crypto_sign_ed25519_pk_to_
//! curve25519`), so anyone can wrap for a wallet address and only that wallet can unwrap.
//! Any libsodium binding (for example in a browser dApp) can unwrap the same bytes.

use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::{CryptoRngCore, OsRng};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes the AEAD tag adds to every chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of a wrapped key: ephemeral public key (32) + sealed key and salt (48) + tag (16).
pub const WRAPPED_KEY_LEN: usize = 32 + DataKey::LEN + 16;

const CHUNK_DOMAIN: &[u8] = b"basalt/chunk/v1";

/// An encryption or key-wrapping failure.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "chunk {index} failed authentication: wrong key, tampered or reordered data, \
         or a chunk from another blob"
    )]
    ChunkAuthentication { index: u32 },
    #[error("chunk {index} is {len} bytes, shorter than its {TAG_LEN}-byte tag")]
    ChunkTooShort { index: u32, len: usize },
    #[error("wrapped key is {actual} bytes, expected {WRAPPED_KEY_LEN}")]
    WrappedKeyLength { actual: usize },
    #[error("wrapped key does not open with this wallet key (it was wrapped for another reader, or altered)")]
    Unwrap,
    #[error("{0} is not a valid public key (ed25519 in base58, or secp256k1 as 0x and hex)")]
    RecipientKey(String),
    #[error(
        "wallet keypair bytes are inconsistent: the public half does not match the secret half"
    )]
    WalletKeypair,
}

/// A blob's data key and salt. Zeroed when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    key: [u8; 32],
    salt: [u8; 16],
}

impl core::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// Serialized length: key then salt.
    pub const LEN: usize = 48;

    /// A fresh random key and salt from the operating system's CSPRNG.
    pub fn generate() -> Self {
        Self::generate_with(&mut OsRng)
    }

    /// A fresh random key and salt from `rng`.
    pub fn generate_with(rng: &mut impl CryptoRngCore) -> Self {
        let mut key = Self {
            key: [0; 32],
            salt: [0; 16],
        };
        rng.fill_bytes(&mut key.key);
        rng.fill_bytes(&mut key.salt);
        key
    }

    /// Key and salt from their 48-byte serialization.
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        let mut key = Self {
            key: [0; 32],
            salt: [0; 16],
        };
        key.key.copy_from_slice(&bytes[..32]);
        key.salt.copy_from_slice(&bytes[32..]);
        key
    }

    /// The 48-byte serialization (handle with care: it is the secret).
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.key);
        out[32..].copy_from_slice(&self.salt);
        out
    }

    /// A cipher ready to seal and open this blob's chunks.
    pub fn cipher(&self) -> ChunkCipher {
        let key = UnboundKey::new(&AES_256_GCM, &self.key).expect("AES-256 takes a 32-byte key");
        ChunkCipher {
            aead: LessSafeKey::new(key),
            salt: self.salt,
        }
    }
}

/// Seals and opens the chunks of one blob (the AES key schedule is computed once).
#[derive(Clone)]
pub struct ChunkCipher {
    // "Less safe" only in that ring lets the caller pick nonces; `nonce_and_ad` derives a
    // distinct one per chunk index under a key used for one blob only.
    aead: LessSafeKey,
    salt: [u8; 16],
}

impl ChunkCipher {
    fn nonce_and_ad(&self, index: u32, last: bool) -> (Nonce, Aad<[u8; 36]>) {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&index.to_le_bytes());
        nonce[4..].copy_from_slice(&self.salt[..8]);
        let mut ad = [0u8; CHUNK_DOMAIN.len() + 16 + 4 + 1];
        let (domain, rest) = ad.split_at_mut(CHUNK_DOMAIN.len());
        domain.copy_from_slice(CHUNK_DOMAIN);
        rest[..16].copy_from_slice(&self.salt);
        rest[16..20].copy_from_slice(&index.to_le_bytes());
        rest[20] = u8::from(last);
        (Nonce::assume_unique_for_key(nonce), Aad::from(ad))
    }

    /// Encrypts `buf[..len - TAG_LEN]` in place and writes the tag into the last
    /// [`TAG_LEN`] bytes, so a chunk can be sealed where it already sits.
    ///
    /// # Errors
    ///
    /// [`CryptoError::ChunkTooShort`] if `buf` cannot hold the tag.
    pub fn seal_in_place(&self, index: u32, last: bool, buf: &mut [u8]) -> Result<(), CryptoError> {
        let Some(body_len) = buf.len().checked_sub(TAG_LEN) else {
            return Err(CryptoError::ChunkTooShort {
                index,
                len: buf.len(),
            });
        };
        let (nonce, ad) = self.nonce_and_ad(index, last);
        let (body, tag_out) = buf.split_at_mut(body_len);
        let tag = self
            .aead
            .seal_in_place_separate_tag(nonce, ad, body)
            .expect("AES-GCM seals any chunk below 64 GiB");
        tag_out.copy_from_slice(tag.as_ref());
        Ok(())
    }

    /// Checks and decrypts a sealed chunk in place; on success the plaintext is
    /// `buf[..len - TAG_LEN]`. On failure `buf` holds neither the chunk nor its plaintext
    /// (ring zeroes what it decrypted), so keep a copy if the sealed bytes are needed.
    ///
    /// # Errors
    ///
    /// [`CryptoError::ChunkAuthentication`] if the key, index, blob or last flag do not
    /// match, or a byte changed; [`CryptoError::ChunkTooShort`] if there is no room for a tag.
    pub fn open_in_place(&self, index: u32, last: bool, buf: &mut [u8]) -> Result<(), CryptoError> {
        if buf.len() < TAG_LEN {
            return Err(CryptoError::ChunkTooShort {
                index,
                len: buf.len(),
            });
        }
        let (nonce, ad) = self.nonce_and_ad(index, last);
        self.aead
            .open_in_place(nonce, ad, buf)
            .map(|_plaintext| ())
            .map_err(|_| CryptoError::ChunkAuthentication { index })
    }
}

/// The X25519 public key of an ed25519 wallet address.
fn recipient_box_key(wallet_pubkey: &[u8; 32]) -> Result<crypto_box::PublicKey, CryptoError> {
    let ed = VerifyingKey::from_bytes(wallet_pubkey)
        .map_err(|_| CryptoError::RecipientKey(data_encoding::HEXLOWER.encode(wallet_pubkey)))?;
    Ok(crypto_box::PublicKey::from(ed.to_montgomery().to_bytes()))
}

/// Wraps `key` so that only the holder of the ed25519 wallet `wallet_pubkey` can unwrap it.
///
/// # Errors
///
/// [`CryptoError::RecipientKey`] if `wallet_pubkey` is not a valid ed25519 point.
pub fn wrap_key(
    key: &DataKey,
    wallet_pubkey: &[u8; 32],
    rng: &mut impl CryptoRngCore,
) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    let recipient = recipient_box_key(wallet_pubkey)?;
    let mut plain = key.to_bytes();
    let sealed = recipient
        .seal(rng, &plain)
        .expect("sealing 48 bytes cannot fail");
    plain.zeroize();
    sealed
        .try_into()
        .map_err(|v: Vec<u8>| CryptoError::WrappedKeyLength { actual: v.len() })
}

/// Unwraps a key wrapped for `wallet`.
///
/// # Errors
///
/// [`CryptoError::WrappedKeyLength`] for a wrong length, [`CryptoError::Unwrap`] if the key
/// was wrapped for someone else or altered.
pub fn unwrap_key(wrapped: &[u8], wallet: &SigningKey) -> Result<DataKey, CryptoError> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(CryptoError::WrappedKeyLength {
            actual: wrapped.len(),
        });
    }
    let secret = crypto_box::SecretKey::from(wallet.to_scalar_bytes());
    let mut plain = secret.unseal(wrapped).map_err(|_| CryptoError::Unwrap)?;
    let bytes: &[u8; DataKey::LEN] = plain
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Unwrap)?;
    let key = DataKey::from_bytes(bytes);
    plain.zeroize();
    Ok(key)
}

/// The signing key in a Solana CLI keypair (64 bytes: secret seed, then public key).
///
/// # Errors
///
/// [`CryptoError::WalletKeypair`] if the public half does not belong to the secret half.
pub fn wallet_from_keypair_bytes(bytes: &[u8; 64]) -> Result<SigningKey, CryptoError> {
    SigningKey::from_keypair_bytes(bytes).map_err(|_| CryptoError::WalletKeypair)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// The chunk format as the module documentation states it, sealed by another
    /// implementation (RustCrypto's `aes-gcm`): ring's bytes must be exactly these.
    #[test]
    fn chunks_match_the_documented_format_under_another_aes_gcm() {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let mut bytes = [0u8; DataKey::LEN];
        bytes.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let key = DataKey::from_bytes(&bytes);
        let other = aes_gcm::Aes256Gcm::new_from_slice(&bytes[..32]).unwrap();
        for (index, last, len) in [
            (0u32, false, 0usize),
            (7, true, 1),
            (0x0102_0304, false, 4099),
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let mut ours = plain.clone();
            ours.extend_from_slice(&[0; TAG_LEN]);
            key.cipher().seal_in_place(index, last, &mut ours).unwrap();

            let mut nonce = index.to_le_bytes().to_vec();
            nonce.extend_from_slice(&bytes[32..40]);
            let mut ad = CHUNK_DOMAIN.to_vec();
            ad.extend_from_slice(&bytes[32..]);
            ad.extend_from_slice(&index.to_le_bytes());
            ad.push(u8::from(last));
            let mut theirs = plain.clone();
            let tag = other
                .encrypt_in_place_detached(nonce.as_slice().into(), &ad, &mut theirs)
                .unwrap();
            theirs.extend_from_slice(&tag);
            assert_eq!(ours, theirs, "chunk {index}, {len} bytes");
        }
    }

    #[test]
    fn chunk_round_trip_and_every_mismatch_fails() {
        let key = DataKey::generate();
        let cipher = key.cipher();
        let plain = b"hello basalt".to_vec();
        let mut buf = plain.clone();
        buf.extend_from_slice(&[0; TAG_LEN]);
        cipher.seal_in_place(3, false, &mut buf).unwrap();
        assert_ne!(&buf[..plain.len()], &plain[..]);

        let mut ok = buf.clone();
        cipher.open_in_place(3, false, &mut ok).unwrap();
        assert_eq!(&ok[..plain.len()], &plain[..]);

        let wrong_index = cipher.open_in_place(4, false, &mut buf.clone());
        assert_eq!(
            wrong_index,
            Err(CryptoError::ChunkAuthentication { index: 4 })
        );
        assert!(
            cipher.open_in_place(3, true, &mut buf.clone()).is_err(),
            "last flag bound"
        );
        assert!(DataKey::generate()
            .cipher()
            .open_in_place(3, false, &mut buf.clone())
            .is_err());
        let mut tampered = buf.clone();
        tampered[0] ^= 1;
        assert!(cipher.open_in_place(3, false, &mut tampered).is_err());
        assert_eq!(
            cipher.open_in_place(0, false, &mut [0u8; 5]),
            Err(CryptoError::ChunkTooShort { index: 0, len: 5 })
        );
    }

    #[test]
    fn same_key_other_salt_is_another_blob() {
        let key = DataKey::generate();
        let mut other_bytes = key.to_bytes();
        other_bytes[40] ^= 1;
        let other = DataKey::from_bytes(&other_bytes);
        let mut buf = vec![0u8; 10 + TAG_LEN];
        key.cipher().seal_in_place(0, true, &mut buf).unwrap();
        assert!(other.cipher().open_in_place(0, true, &mut buf).is_err());
    }

    #[test]
    fn wrapped_key_opens_only_for_its_wallet() {
        let key = DataKey::generate();
        let owner = wallet(1);
        let wrapped = wrap_key(&key, owner.verifying_key().as_bytes(), &mut OsRng).unwrap();
        assert_eq!(unwrap_key(&wrapped, &owner).unwrap(), key);
        assert_eq!(unwrap_key(&wrapped, &wallet(2)), Err(CryptoError::Unwrap));
        let mut altered = wrapped;
        altered[40] ^= 1;
        assert_eq!(unwrap_key(&altered, &owner), Err(CryptoError::Unwrap));
        assert_eq!(
            unwrap_key(&wrapped[..50], &owner),
            Err(CryptoError::WrappedKeyLength { actual: 50 })
        );
    }

    #[test]
    fn keypair_bytes_must_be_consistent() {
        let owner = wallet(7);
        let mut bytes = owner.to_keypair_bytes();
        assert_eq!(wallet_from_keypair_bytes(&bytes).unwrap(), owner);
        bytes[63] ^= 1;
        assert_eq!(
            wallet_from_keypair_bytes(&bytes),
            Err(CryptoError::WalletKeypair)
        );
    }

    #[test]
    fn invalid_recipient_key_is_rejected() {
        // y = 2 is not the y-coordinate of any point on edwards25519.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        let err = wrap_key(&DataKey::generate(), &not_a_point, &mut OsRng).unwrap_err();
        assert!(matches!(err, CryptoError::RecipientKey(_)), "{err:?}");
    }
}
