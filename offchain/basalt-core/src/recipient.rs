//! Who a blob's data key is wrapped for: a wallet of either kind a [`Caller`] can be.
//!
//! - An ed25519 wallet (Solana, NEAR): a libsodium sealed box to its X25519 key
//!   ([`crate::wrap_key`], 96 bytes).
//! - An EVM account: ECIES over secp256k1, as Ethereum tooling does it: an ephemeral
//!   secp256k1 key, ECDH with the recipient's public key, HKDF-SHA256 over the shared
//!   x-coordinate (salted with both public keys) to an AES-256-GCM key that seals the 48
//!   key bytes once (a fresh key per wrap, so the all-zero nonce never repeats). The
//!   wrapped key is the ephemeral key (SEC1 compressed, 33 bytes), the ciphertext and the
//!   tag: 97 bytes. Built from k256 (already in the graph for request signatures) and ring
//!   (the chunks' AES-GCM) rather than an `ecies` crate, which would bring a second
//!   secp256k1 implementation.
//!
//! An address alone cannot be wrapped for: an EVM account's public key is not its address
//! (the address is a hash of it), so whoever shares a blob with an EVM account needs the
//! account's public key, which the account hands out (`basalt wallet`) or any of its
//! signatures reveals.

use k256::ecdh::diffie_hellman;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{PublicKey, SecretKey};
use rand_core::CryptoRngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::Zeroize;

use crate::encryption::{unwrap_key, wrap_key, CryptoError, DataKey};
use crate::{Caller, RequestKey};

/// Bytes of a data key wrapped for an EVM account.
pub const SECP256K1_WRAPPED_KEY_LEN: usize = 33 + DataKey::LEN + 16;

/// The HKDF `info` of a secp256k1 wrap: a wrap made for another use never opens as one.
const SECP256K1_WRAP_INFO: &[u8] = b"basalt/data-key-wrap/secp256k1/v1";

/// The public key a data key is wrapped for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRecipient {
    /// An ed25519 wallet's public key (its address on Solana).
    Ed25519([u8; 32]),
    /// An EVM account's secp256k1 public key.
    Secp256k1(PublicKey),
}

impl KeyRecipient {
    /// The recipient of a secp256k1 public key in SEC1 form (33 bytes compressed or 65
    /// uncompressed, as `0x`-prefixed hex from a wallet or not).
    ///
    /// # Errors
    ///
    /// [`CryptoError::RecipientKey`] when the bytes are no point of the curve.
    pub fn secp256k1(sec1: &[u8]) -> Result<Self, CryptoError> {
        PublicKey::from_sec1_bytes(sec1)
            .map(Self::Secp256k1)
            .map_err(|_| {
                CryptoError::RecipientKey(format!(
                    "{} (not a secp256k1 public key)",
                    data_encoding::HEXLOWER.encode(sec1)
                ))
            })
    }

    /// The wallet this key belongs to, as it signs requests and appears on chain.
    pub fn caller(&self) -> Caller {
        match self {
            Self::Ed25519(key) => Caller::Ed25519(*key),
            Self::Secp256k1(key) => Caller::Evm(crate::evm_auth::address_of(
                &k256::ecdsa::VerifyingKey::from(key),
            )),
        }
    }
}

/// An ed25519 key in base58 (a Solana address), a secp256k1 key as `0x` and its 33
/// compressed bytes in hex: what [`KeyRecipient::from_str`] reads back.
impl std::fmt::Display for KeyRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ed25519(key) => f.write_str(&bs58::encode(key).into_string()),
            Self::Secp256k1(key) => write!(
                f,
                "0x{}",
                data_encoding::HEXLOWER.encode(key.to_encoded_point(true).as_bytes())
            ),
        }
    }
}

impl std::str::FromStr for KeyRecipient {
    type Err = CryptoError;

    /// A base58 ed25519 key, or `0x` and a secp256k1 key's 33 (compressed) or 65 bytes in
    /// hex, any case.
    fn from_str(text: &str) -> Result<Self, CryptoError> {
        let not_a_key = || CryptoError::RecipientKey(text.to_owned());
        match text.strip_prefix("0x") {
            Some(hex) => {
                let bytes = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(hex.as_bytes())
                    .map_err(|_| not_a_key())?;
                Self::secp256k1(&bytes)
            }
            None => {
                let bytes = bs58::decode(text).into_vec().map_err(|_| not_a_key())?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| not_a_key())?;
                ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| not_a_key())?;
                Ok(Self::Ed25519(key))
            }
        }
    }
}

impl RequestKey {
    /// The public key of this wallet, which keys are wrapped for.
    pub fn recipient(&self) -> KeyRecipient {
        match self {
            Self::Ed25519(key) => KeyRecipient::Ed25519(key.verifying_key().to_bytes()),
            Self::Evm(key) => KeyRecipient::Secp256k1(key.verifying_key().into()),
        }
    }
}

/// Wraps `key` so that only `recipient`'s wallet can unwrap it ([`unwrap_key_with`]).
///
/// # Errors
///
/// [`CryptoError::RecipientKey`] if an ed25519 recipient is not a valid point.
pub fn wrap_key_for(
    key: &DataKey,
    recipient: &KeyRecipient,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    match recipient {
        KeyRecipient::Ed25519(wallet) => Ok(wrap_key(key, wallet, rng)?.to_vec()),
        KeyRecipient::Secp256k1(public) => {
            let ephemeral = SecretKey::random(rng);
            let sealing = secp256k1_wrap_key(&ephemeral, public, &ephemeral.public_key(), public);
            let mut sealed = key.to_bytes().to_vec();
            sealing
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key([0; 12]),
                    Aad::empty(),
                    &mut sealed,
                )
                .expect("sealing 48 bytes cannot fail");
            let mut wrapped = ephemeral
                .public_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec();
            wrapped.append(&mut sealed);
            Ok(wrapped)
        }
    }
}

/// Unwraps a key wrapped for `wallet`, of either kind.
///
/// # Errors
///
/// [`CryptoError::WrappedKeyLength`] for a wrong length, [`CryptoError::Unwrap`] if the key
/// was wrapped for someone else or altered.
pub fn unwrap_key_with(wrapped: &[u8], wallet: &RequestKey) -> Result<DataKey, CryptoError> {
    let secret = match wallet {
        RequestKey::Ed25519(key) => return unwrap_key(wrapped, key),
        RequestKey::Evm(key) => SecretKey::from(key.as_nonzero_scalar()),
    };
    if wrapped.len() != SECP256K1_WRAPPED_KEY_LEN {
        return Err(CryptoError::WrappedKeyLength {
            actual: wrapped.len(),
        });
    }
    let (ephemeral, sealed) = wrapped.split_at(33);
    let ephemeral = PublicKey::from_sec1_bytes(ephemeral).map_err(|_| CryptoError::Unwrap)?;
    let me = secret.public_key();
    let opening = secp256k1_wrap_key(&secret, &ephemeral, &ephemeral, &me);
    let mut buf = sealed.to_vec();
    let plain = opening
        .open_in_place(
            Nonce::assume_unique_for_key([0; 12]),
            Aad::empty(),
            &mut buf,
        )
        .map_err(|_| CryptoError::Unwrap)?;
    let bytes: &[u8; DataKey::LEN] = (&*plain).try_into().map_err(|_| CryptoError::Unwrap)?;
    let key = DataKey::from_bytes(bytes);
    buf.zeroize();
    Ok(key)
}

/// The AES-256-GCM key of one secp256k1 wrap: HKDF-SHA256 over the ECDH of `secret` and
/// `public`, salted with the ephemeral and the recipient's public keys (compressed).
fn secp256k1_wrap_key(
    secret: &SecretKey,
    public: &PublicKey,
    ephemeral: &PublicKey,
    recipient: &PublicKey,
) -> LessSafeKey {
    let shared = diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    let mut salt = ephemeral.to_encoded_point(true).as_bytes().to_vec();
    salt.extend_from_slice(recipient.to_encoded_point(true).as_bytes());
    let mut okm = [0u8; 32];
    shared
        .extract::<sha2::Sha256>(Some(&salt))
        .expand(SECP256K1_WRAP_INFO, &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let key = UnboundKey::new(&AES_256_GCM, &okm).expect("a 32-byte AES-256 key");
    okm.zeroize();
    LessSafeKey::new(key)
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;

    fn evm_wallet() -> RequestKey {
        RequestKey::Evm(k256::ecdsa::SigningKey::random(&mut OsRng))
    }

    #[test]
    fn a_key_wrapped_for_an_evm_account_opens_only_with_its_key() -> Result<(), CryptoError> {
        let key = DataKey::generate();
        let (reader, stranger) = (evm_wallet(), evm_wallet());
        let wrapped = wrap_key_for(&key, &reader.recipient(), &mut OsRng)?;
        assert_eq!(wrapped.len(), SECP256K1_WRAPPED_KEY_LEN);
        assert_eq!(unwrap_key_with(&wrapped, &reader)?, key);
        assert!(matches!(
            unwrap_key_with(&wrapped, &stranger),
            Err(CryptoError::Unwrap)
        ));
        // Two wraps of one key differ (fresh ephemeral keys) and both open.
        let again = wrap_key_for(&key, &reader.recipient(), &mut OsRng)?;
        assert_ne!(again, wrapped);
        assert_eq!(unwrap_key_with(&again, &reader)?, key);
        Ok(())
    }

    #[test]
    fn an_altered_or_cut_wrap_is_refused() -> Result<(), CryptoError> {
        let key = DataKey::generate();
        let reader = evm_wallet();
        let wrapped = wrap_key_for(&key, &reader.recipient(), &mut OsRng)?;
        for at in [0, 1, 33, 60, wrapped.len() - 1] {
            let mut altered = wrapped.clone();
            altered[at] ^= 1;
            assert!(unwrap_key_with(&altered, &reader).is_err(), "byte {at}");
        }
        assert!(matches!(
            unwrap_key_with(&wrapped[..wrapped.len() - 1], &reader),
            Err(CryptoError::WrappedKeyLength { actual: 96 })
        ));
        Ok(())
    }

    #[test]
    fn ed25519_wallets_wrap_as_before() -> Result<(), CryptoError> {
        let key = DataKey::generate();
        let wallet = RequestKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng));
        let wrapped = wrap_key_for(&key, &wallet.recipient(), &mut OsRng)?;
        assert_eq!(wrapped.len(), crate::encryption::WRAPPED_KEY_LEN);
        assert_eq!(unwrap_key_with(&wrapped, &wallet)?, key);
        // Neither kind opens the other's.
        assert!(unwrap_key_with(&wrapped, &evm_wallet()).is_err());
        Ok(())
    }

    #[test]
    fn a_recipient_names_its_wallet_and_reads_back() -> Result<(), CryptoError> {
        let wallet = evm_wallet();
        let recipient = wallet.recipient();
        assert_eq!(recipient.caller(), wallet.caller());
        let text = recipient.to_string();
        assert_eq!(text.len(), 2 + 66);
        assert_eq!(text.parse::<KeyRecipient>()?, recipient);
        assert_eq!(
            text.to_uppercase()
                .replace("0X", "0x")
                .parse::<KeyRecipient>()?,
            recipient
        );
        // Uncompressed, as some wallets hand it out.
        let KeyRecipient::Secp256k1(key) = &recipient else {
            unreachable!("an EVM wallet's key")
        };
        let long = format!(
            "0x{}",
            data_encoding::HEXLOWER.encode(key.to_encoded_point(false).as_bytes())
        );
        assert_eq!(long.parse::<KeyRecipient>()?, recipient);
        let ed = RequestKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)).recipient();
        assert_eq!(ed.to_string().parse::<KeyRecipient>()?, ed);
        // 0x09 is no SEC1 tag; an address is no key; nor is junk.
        for bad in [
            format!("0x09{}", "11".repeat(32)),
            wallet.caller().to_string(),
            "not a key".to_owned(),
        ] {
            assert!(bad.parse::<KeyRecipient>().is_err(), "{bad}");
        }
        Ok(())
    }
}
