//! Who signed a request, whichever kind of wallet key it was: an ed25519 key (a Solana
//! address, or the key of a NEAR implicit account) or an EVM account (the address of a
//! secp256k1 key). A node parses a request's headers into a [`SignedRequest`], verifies it,
//! and from then on knows its caller only as a [`Caller`]: the replay cache, the rate limit,
//! the uploader its store records and the questions it asks its chain all take that one
//! type.

use std::fmt;
use std::str::FromStr;

use crate::auth::{AuthError, RequestAuth, HEADER_KEY};
use crate::evm_auth::EvmRequestAuth;

/// The signer of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Caller {
    /// An ed25519 public key.
    // INV: its first 12 bytes are not all zero (see `Caller::word`); `SignedRequest::parse`
    // refuses such a key.
    Ed25519([u8; 32]),
    /// An EVM account's address.
    Evm([u8; 20]),
}

/// How many leading zero bytes an EVM address has as a word.
const EVM_PADDING: usize = 12;

impl Caller {
    /// The caller as one 32-byte word, as the node's store records an uploader: an ed25519
    /// key as it is, an EVM address as the EVM's ABI pads it (12 zero bytes, then the
    /// address). One-to-one over the callers a node accepts: no ed25519 key it accepts
    /// starts with 12 zero bytes (finding the secret of one would take about 2^96 tries,
    /// so no honest key is refused).
    pub fn word(&self) -> [u8; 32] {
        match self {
            Self::Ed25519(key) => *key,
            Self::Evm(address) => {
                let mut word = [0; 32];
                word[EVM_PADDING..].copy_from_slice(address);
                word
            }
        }
    }

    /// The caller a [`Caller::word`] stands for.
    pub fn from_word(word: [u8; 32]) -> Self {
        match word.split_first_chunk::<EVM_PADDING>() {
            Some((padding, address)) if *padding == [0; EVM_PADDING] => {
                let mut evm = [0; 20];
                evm.copy_from_slice(address);
                Self::Evm(evm)
            }
            _ => Self::Ed25519(word),
        }
    }
}

/// Base58 for an ed25519 key (as Solana tools print it), `0x` and lower-case hex for an
/// EVM address.
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519(key) => f.write_str(&bs58::encode(key).into_string()),
            Self::Evm(address) => write!(f, "0x{}", data_encoding::HEXLOWER.encode(address)),
        }
    }
}

/// Why a caller's text form did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is neither a base58 ed25519 key nor 0x and 40 hex digits: {why}")]
pub struct CallerParseError {
    pub text: String,
    pub why: String,
}

/// The inverse of [`Display`](fmt::Display); an EVM address in any case (EIP-55 mixes
/// them).
impl FromStr for Caller {
    type Err = CallerParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why: String| CallerParseError {
            text: text.into(),
            why,
        };
        match text.strip_prefix("0x") {
            Some(digits) => {
                let bytes = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(digits.as_bytes())
                    .map_err(|e| error(e.to_string()))?;
                let address = bytes
                    .try_into()
                    .map_err(|v: Vec<u8>| error(format!("{} bytes, expected 20", v.len())))?;
                Ok(Self::Evm(address))
            }
            None => {
                let bytes = bs58::decode(text)
                    .into_vec()
                    .map_err(|e| error(e.to_string()))?;
                let key = bytes
                    .try_into()
                    .map_err(|v: Vec<u8>| error(format!("{} bytes, expected 32", v.len())))?;
                Ok(Self::Ed25519(key))
            }
        }
    }
}

/// A wallet key that signs requests, of either kind: what a client (the SDK, a node
/// fetching from another) holds.
#[derive(Clone)]
pub enum RequestKey {
    Ed25519(ed25519_dalek::SigningKey),
    Evm(crate::evm_auth::SigningKey),
}

impl RequestKey {
    /// Who the requests it signs come from.
    pub fn caller(&self) -> Caller {
        match self {
            Self::Ed25519(key) => Caller::Ed25519(key.verifying_key().to_bytes()),
            Self::Evm(key) => Caller::Evm(crate::evm_auth::address_of(key.verifying_key())),
        }
    }

    /// The four authentication headers of one request (see [`RequestAuth::headers`]).
    pub fn sign(
        &self,
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        timestamp_ms: u64,
        nonce: [u8; 16],
    ) -> [(&'static str, String); 4] {
        match self {
            Self::Ed25519(key) => {
                RequestAuth::sign(key, method, path_and_query, body_hash, timestamp_ms, nonce)
                    .headers()
            }
            Self::Evm(key) => {
                EvmRequestAuth::sign(key, method, path_and_query, body_hash, timestamp_ms, nonce)
                    .headers()
            }
        }
    }
}

impl From<ed25519_dalek::SigningKey> for RequestKey {
    fn from(key: ed25519_dalek::SigningKey) -> Self {
        Self::Ed25519(key)
    }
}

impl From<crate::evm_auth::SigningKey> for RequestKey {
    fn from(key: crate::evm_auth::SigningKey) -> Self {
        Self::Evm(key)
    }
}

/// A request's authentication, of either kind: the key header's `0x` tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedRequest {
    Ed25519(RequestAuth),
    Evm(EvmRequestAuth),
}

impl SignedRequest {
    /// Parses the four header values (`None` where a header is absent): an EVM account's
    /// when the key starts with `0x`, an ed25519 key's otherwise.
    ///
    /// # Errors
    ///
    /// [`AuthError::Missing`] or [`AuthError::Malformed`], which includes an ed25519 key
    /// whose first 12 bytes are zero (it would be written as an EVM address's word).
    pub fn parse(
        key: Option<&str>,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Self, AuthError> {
        if key.is_some_and(|k| k.starts_with("0x")) {
            return EvmRequestAuth::parse(key, timestamp, nonce, signature).map(Self::Evm);
        }
        let auth = RequestAuth::parse(key, timestamp, nonce, signature)?;
        if auth.key[..EVM_PADDING] == [0; EVM_PADDING] {
            return Err(AuthError::Malformed {
                header: HEADER_KEY,
                why: "an ed25519 key starting with 12 zero bytes is refused: that is how an \
                      EVM address is written as a key"
                    .into(),
            });
        }
        Ok(Self::Ed25519(auth))
    }

    /// Checks the timestamp against `now_ms` ± `window_ms` and the signature over this
    /// request. Replay protection is the caller's job.
    ///
    /// # Errors
    ///
    /// [`AuthError::Expired`] or [`AuthError::BadSignature`].
    pub fn verify(
        &self,
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        now_ms: u64,
        window_ms: u64,
    ) -> Result<(), AuthError> {
        match self {
            Self::Ed25519(auth) => {
                auth.verify(method, path_and_query, body_hash, now_ms, window_ms)
            }
            Self::Evm(auth) => auth.verify(method, path_and_query, body_hash, now_ms, window_ms),
        }
    }

    /// Who signed (once [`Self::verify`] passed).
    pub fn caller(&self) -> Caller {
        match self {
            Self::Ed25519(auth) => Caller::Ed25519(auth.key),
            Self::Evm(auth) => Caller::Evm(auth.address),
        }
    }

    /// The caller's nonce; a node accepts each (caller, nonce) once.
    pub fn nonce(&self) -> [u8; 16] {
        match self {
            Self::Ed25519(auth) => auth.nonce,
            Self::Evm(auth) => auth.nonce,
        }
    }

    /// When the caller signed, in Unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        match self {
            Self::Ed25519(auth) => auth.timestamp_ms,
            Self::Evm(auth) => auth.timestamp_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::evm_auth;

    const NOW: u64 = 1_800_000_000_000;
    const BODY: [u8; 32] = [5; 32];

    fn parse(headers: [(&'static str, String); 4]) -> Result<SignedRequest, AuthError> {
        let [k, t, n, s] = headers.map(|(_, v)| v);
        SignedRequest::parse(Some(&k), Some(&t), Some(&n), Some(&s))
    }

    fn evm_key(seed: u8) -> evm_auth::SigningKey {
        evm_auth::SigningKey::from_bytes(&[seed; 32].into()).expect("a valid scalar")
    }

    #[test]
    fn either_kind_of_request_parses_verifies_and_names_its_caller() -> Result<(), AuthError> {
        let ed = SigningKey::from_bytes(&[1; 32]);
        let signed = RequestAuth::sign(&ed, "GET", "/v1/x", &BODY, NOW, [1; 16]);
        let parsed = parse(signed.headers())?;
        parsed.verify("GET", "/v1/x", &BODY, NOW, 1_000)?;
        assert_eq!(
            parsed.caller(),
            Caller::Ed25519(ed.verifying_key().to_bytes())
        );
        assert_eq!((parsed.nonce(), parsed.timestamp_ms()), ([1; 16], NOW));

        let evm = evm_key(2);
        let signed = EvmRequestAuth::sign(&evm, "GET", "/v1/x", &BODY, NOW, [2; 16]);
        let parsed = parse(signed.headers())?;
        parsed.verify("GET", "/v1/x", &BODY, NOW, 1_000)?;
        assert_eq!(
            parsed.caller(),
            Caller::Evm(evm_auth::address_of(evm.verifying_key()))
        );
        assert_eq!(
            parsed.verify("PUT", "/v1/x", &BODY, NOW, 1_000),
            Err(AuthError::BadSignature)
        );
        Ok(())
    }

    #[test]
    fn a_request_key_of_either_kind_signs_what_the_node_verifies() -> Result<(), AuthError> {
        let keys = [
            RequestKey::from(SigningKey::from_bytes(&[6; 32])),
            RequestKey::from(evm_key(6)),
        ];
        for key in keys {
            let parsed = parse(key.sign("DELETE", "/v1/y", &BODY, NOW, [6; 16]))?;
            parsed.verify("DELETE", "/v1/y", &BODY, NOW, 1_000)?;
            assert_eq!(parsed.caller(), key.caller());
        }
        Ok(())
    }

    #[test]
    fn an_ed25519_key_that_reads_as_an_evm_word_is_refused() {
        let mut key = [0u8; 32];
        key[31] = 9;
        let headers = [
            (HEADER_KEY, bs58::encode(key).into_string()),
            ("t", NOW.to_string()),
            ("n", "00".repeat(16)),
            ("s", bs58::encode([1; 64]).into_string()),
        ];
        assert!(matches!(
            parse(headers),
            Err(AuthError::Malformed {
                header: HEADER_KEY,
                ..
            })
        ));
    }

    #[test]
    fn words_and_text_round_trip_and_the_two_kinds_never_meet() -> Result<(), CallerParseError> {
        let ed = Caller::Ed25519(SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes());
        let evm = Caller::Evm(evm_auth::address_of(evm_key(3).verifying_key()));
        for caller in [ed, evm] {
            assert_eq!(Caller::from_word(caller.word()), caller);
            assert_eq!(caller.to_string().parse::<Caller>()?, caller);
        }
        assert_ne!(ed.word(), evm.word());
        assert_eq!(
            evm.word()[..12],
            [0; 12],
            "an address padded as the ABI pads it"
        );
        // EIP-55's mixed case names the same account.
        let upper = format!("0x{}", evm.to_string()[2..].to_uppercase());
        assert_eq!(upper.parse::<Caller>()?, evm);
        for junk in ["0x12", "0xzz", "", "l0l"] {
            assert!(junk.parse::<Caller>().is_err(), "{junk}");
        }
        Ok(())
    }
}
