//! Signed HTTP requests from an EVM account: the same canonical message as
//! [`crate::auth::RequestAuth`] (method, path and query, body hash, timestamp, nonce, behind
//! the request domain tag), signed the way every Ethereum wallet signs a message (EIP-191
//! `personal_sign`: `keccak256("\x19Ethereum Signed Message:\n" ‖ length ‖ message)` with
//! the account's secp256k1 key). A node recovers the signer from the signature and compares
//! it with the address the request names.
//!
//! | header | value |
//! |---|---|
//! | `x-basalt-key` | the caller's address, `0x` and 40 hex digits (any case: EIP-55 mixes them) |
//! | `x-basalt-timestamp` | as for ed25519 callers |
//! | `x-basalt-nonce` | as for ed25519 callers |
//! | `x-basalt-signature` | `0x` and 130 hex digits: `r ‖ s ‖ v`, `v` 27 or 28 (0 or 1 accepted) |
//!
//! A node tells the two kinds of caller apart by the key header's `0x`. Pure functions; the
//! node adds the clock and the replay cache, as for [`crate::auth::RequestAuth`].

/// An EVM account's secp256k1 key, which signs its requests.
pub use k256::ecdsa::SigningKey;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use sha3::{Digest, Keccak256};

use crate::auth::{
    check_clock, AuthError, Headers, RequestAuth, HEADER_KEY, HEADER_NONCE, HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
};

/// The authentication of one request by an EVM account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmRequestAuth {
    /// The caller's address.
    pub address: [u8; 20],
    /// When the caller signed, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Caller-chosen nonce; a node accepts each (caller, nonce) once.
    pub nonce: [u8; 16],
    /// `r ‖ s ‖ v` over [`eip191_digest`] of [`RequestAuth::message`].
    // INV: v is 27 or 28
    pub signature: [u8; 65],
}

/// What an Ethereum wallet signs for `message` (EIP-191, version `0x45`).
pub fn eip191_digest(message: &[u8]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(b"\x19Ethereum Signed Message:\n");
    hasher.update(message.len().to_string().as_bytes());
    hasher.update(message);
    hasher.finalize().into()
}

/// The address of `key`: the last 20 bytes of the keccak-256 of its uncompressed point.
pub fn address_of(key: &VerifyingKey) -> [u8; 20] {
    let point = key.to_encoded_point(false);
    let hash: [u8; 32] = Keccak256::digest(&point.as_bytes()[1..]).into();
    let mut address = [0; 20];
    address.copy_from_slice(&hash[12..]);
    address
}

/// `message` signed by `key` as an Ethereum wallet signs a message (`personal_sign`):
/// `r ‖ s ‖ v` over [`eip191_digest`], `s` low, `v` 27 or 28.
pub fn personal_sign(key: &SigningKey, message: &[u8]) -> [u8; 65] {
    let (signature, recovery) = key
        .sign_prehash_recoverable(&eip191_digest(message))
        .unwrap_or_else(|e| unreachable!("a 32-byte digest is signable: {e}"));
    let mut bytes = [0; 65];
    bytes[..64].copy_from_slice(&signature.to_bytes());
    bytes[64] = 27 + recovery.to_byte();
    bytes
}

/// The address whose key made `signature` (as [`personal_sign`] makes it) over `message`.
/// `None` for a signature no key made over it, or one in the malleable high-`s` form (the
/// same signature with `s` negated recovers the same key: only the low-`s` form is
/// accepted, as Ethereum accepts transactions, EIP-2).
pub fn recover_signer(message: &[u8], signature: &[u8; 65]) -> Option<[u8; 20]> {
    let parsed = Signature::from_slice(&signature[..64]).ok()?;
    if parsed.normalize_s().is_some() {
        return None;
    }
    let recovery = signature[64]
        .checked_sub(27)
        .and_then(RecoveryId::from_byte)?;
    let signer =
        VerifyingKey::recover_from_prehash(&eip191_digest(message), &parsed, recovery).ok()?;
    Some(address_of(&signer))
}

impl EvmRequestAuth {
    /// Signs a request with `key`.
    pub fn sign(
        key: &SigningKey,
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        timestamp_ms: u64,
        nonce: [u8; 16],
    ) -> Self {
        let message = RequestAuth::message(method, path_and_query, body_hash, timestamp_ms, &nonce);
        Self {
            address: address_of(key.verifying_key()),
            timestamp_ms,
            nonce,
            signature: personal_sign(key, &message),
        }
    }

    /// The four header values, in the order of [`HEADER_KEY`], [`HEADER_TIMESTAMP`],
    /// [`HEADER_NONCE`], [`HEADER_SIGNATURE`].
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_KEY, format!("0x{}", hex(&self.address))),
            (HEADER_TIMESTAMP, self.timestamp_ms.to_string()),
            (HEADER_NONCE, hex(&self.nonce)),
            (HEADER_SIGNATURE, format!("0x{}", hex(&self.signature))),
        ]
    }

    /// Parses the four header values (`None` where a header is absent).
    ///
    /// # Errors
    ///
    /// [`AuthError::Missing`] or [`AuthError::Malformed`].
    pub fn parse(
        key: Option<&str>,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Self, AuthError> {
        let headers = Headers::parse(key, timestamp, nonce, signature)?;
        let mut signature: [u8; 65] = prefixed_hex(HEADER_SIGNATURE, headers.signature)?;
        signature[64] = match signature[64] {
            0 | 1 => signature[64] + 27,
            27 | 28 => signature[64],
            v => {
                return Err(AuthError::Malformed {
                    header: HEADER_SIGNATURE,
                    why: format!("recovery byte v = {v}, expected 27 or 28 (or 0 or 1)"),
                })
            }
        };
        Ok(Self {
            address: prefixed_hex(HEADER_KEY, headers.key)?,
            timestamp_ms: headers.timestamp_ms,
            nonce: headers.nonce,
            signature,
        })
    }

    /// Checks the timestamp against `now_ms` ± `window_ms`, then that the signature is the
    /// named address's over this request. Replay protection is the caller's job.
    ///
    /// # Errors
    ///
    /// [`AuthError::Expired`] or [`AuthError::BadSignature`] (another signer, another
    /// request, or a signature in the malleable high-`s` form).
    pub fn verify(
        &self,
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        now_ms: u64,
        window_ms: u64,
    ) -> Result<(), AuthError> {
        check_clock(self.timestamp_ms, now_ms, window_ms)?;
        let message = RequestAuth::message(
            method,
            path_and_query,
            body_hash,
            self.timestamp_ms,
            &self.nonce,
        );
        if recover_signer(&message, &self.signature) == Some(self.address) {
            Ok(())
        } else {
            Err(AuthError::BadSignature)
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// `0x` and exactly `2 * N` hex digits, in any case.
fn prefixed_hex<const N: usize>(header: &'static str, s: &str) -> Result<[u8; N], AuthError> {
    let malformed = |why: String| AuthError::Malformed { header, why };
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| malformed("expected 0x and hex digits".into()))?;
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(digits.as_bytes())
        .map_err(|e| malformed(format!("not hex: {e}")))?;
    bytes
        .try_into()
        .map_err(|v: Vec<u8>| malformed(format!("{} bytes, expected {N}", v.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;
    const WINDOW: u64 = 30_000;
    const BODY: [u8; 32] = [7; 32];

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32].into()).expect("a valid scalar")
    }

    fn signed(key: &SigningKey) -> EvmRequestAuth {
        EvmRequestAuth::sign(key, "GET", "/v1/blobs/x?offset=0", &BODY, NOW, [3; 16])
    }

    fn check(auth: &EvmRequestAuth) -> Result<(), AuthError> {
        auth.verify("GET", "/v1/blobs/x?offset=0", &BODY, NOW, WINDOW)
    }

    fn reparsed(auth: &EvmRequestAuth) -> Result<EvmRequestAuth, AuthError> {
        let [k, t, n, s] = auth.headers().map(|(_, v)| v);
        EvmRequestAuth::parse(Some(&k), Some(&t), Some(&n), Some(&s))
    }

    #[test]
    fn a_signed_request_verifies_after_its_headers_travel() -> Result<(), AuthError> {
        let auth = signed(&key(1));
        check(&auth)?;
        let back = reparsed(&auth)?;
        assert_eq!(back, auth);
        check(&back)
    }

    #[test]
    fn the_private_key_one_has_the_well_known_address() {
        // The secp256k1 key 1's address, as every Ethereum tool derives it.
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = SigningKey::from_bytes(&one.into()).expect("a valid scalar");
        assert_eq!(
            hex(&address_of(key.verifying_key())),
            "7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        );
    }

    #[test]
    fn another_request_another_signer_or_a_stale_clock_is_refused() {
        let auth = signed(&key(1));
        for (method, path, body) in [
            ("PUT", "/v1/blobs/x?offset=0", BODY),
            ("GET", "/v1/blobs/y?offset=0", BODY),
            ("GET", "/v1/blobs/x?offset=0", [8; 32]),
        ] {
            assert_eq!(
                auth.verify(method, path, &body, NOW, WINDOW),
                Err(AuthError::BadSignature)
            );
        }
        let mut claimed = auth.clone();
        claimed.address = address_of(key(2).verifying_key());
        assert_eq!(
            check(&claimed),
            Err(AuthError::BadSignature),
            "another's address"
        );
        let mut flipped = auth.clone();
        flipped.signature[64] = if auth.signature[64] == 27 { 28 } else { 27 };
        assert_eq!(check(&flipped), Err(AuthError::BadSignature), "the other v");
        assert!(matches!(
            auth.verify(
                "GET",
                "/v1/blobs/x?offset=0",
                &BODY,
                NOW + WINDOW + 1,
                WINDOW
            ),
            Err(AuthError::Expired { .. })
        ));
    }

    #[test]
    fn the_high_s_twin_of_a_valid_signature_is_refused() -> Result<(), AuthError> {
        let auth = signed(&key(1));
        let low = Signature::from_slice(&auth.signature[..64]).expect("a signature");
        // s' = n - s recovers the same key with the other parity.
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).expect("a signature");
        let mut twin = auth.clone();
        twin.signature[..64].copy_from_slice(&high.to_bytes());
        twin.signature[64] = if auth.signature[64] == 27 { 28 } else { 27 };
        assert_eq!(check(&twin), Err(AuthError::BadSignature));
        check(&auth)
    }

    #[test]
    fn headers_in_any_case_or_with_v_as_0_or_1_parse_and_broken_ones_do_not(
    ) -> Result<(), AuthError> {
        let auth = signed(&key(4));
        let [k, t, n, s] = auth.headers().map(|(_, v)| v);
        let upper = format!("0x{}", k[2..].to_uppercase());
        let v01 = format!("{}{:02x}", &s[..130], auth.signature[64] - 27);
        let parsed = EvmRequestAuth::parse(Some(&upper), Some(&t), Some(&n), Some(&v01))?;
        assert_eq!(parsed, auth);
        let truncated = &s[..s.len() - 2];
        for (key, signature) in [
            (k.as_str(), truncated),
            (&k[2..], s.as_str()),
            (k.as_str(), &format!("{}1d", &s[..130])),
            ("0xzz", s.as_str()),
        ] {
            assert!(
                matches!(
                    EvmRequestAuth::parse(Some(key), Some(&t), Some(&n), Some(signature)),
                    Err(AuthError::Malformed { .. })
                ),
                "{key} {signature}"
            );
        }
        assert_eq!(
            EvmRequestAuth::parse(None, Some(&t), Some(&n), Some(&s)),
            Err(AuthError::Missing(HEADER_KEY))
        );
        Ok(())
    }
}
