//! Signed HTTP requests: the canonical message a caller signs with its wallet key and the
//! checks a node runs on it. Pure functions; the node adds the clock and the replay cache.
//!
//! A request carries four headers:
//!
//! | header | value |
//! |---|---|
//! | `x-basalt-key` | the caller's ed25519 public key, base58 (a Solana address) |
//! | `x-basalt-timestamp` | milliseconds since the Unix epoch when it was signed |
//! | `x-basalt-nonce` | 16 random bytes, lowercase hex |
//! | `x-basalt-signature` | ed25519 signature over [`RequestAuth::message`], base58 |
//!
//! The signed message binds the method, the path with its query, the BLAKE3 hash of the
//! body, the timestamp and the nonce, behind a domain tag so that no other Basalt signature
//! (receipts, transactions) can be replayed as a request.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// Header carrying the caller's public key.
pub const HEADER_KEY: &str = "x-basalt-key";
/// Header carrying the signing time in Unix milliseconds.
pub const HEADER_TIMESTAMP: &str = "x-basalt-timestamp";
/// Header carrying the 16-byte nonce in hex.
pub const HEADER_NONCE: &str = "x-basalt-nonce";
/// Header carrying the signature in base58.
pub const HEADER_SIGNATURE: &str = "x-basalt-signature";

const DOMAIN: &[u8] = b"basalt-request-v1\n";

/// Why a request's authentication headers were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing header {0}: every request must be signed by the caller's wallet key")]
    Missing(&'static str),
    #[error("header {header} is malformed: {why}")]
    Malformed { header: &'static str, why: String },
    #[error("signature does not match the request (method, path, body, timestamp, nonce)")]
    BadSignature,
    #[error("request signed at {signed_ms} ms is outside the accepted window of {window_ms} ms around the node's clock ({now_ms} ms)")]
    Expired {
        signed_ms: u64,
        now_ms: u64,
        window_ms: u64,
    },
    #[error("nonce already used: the request is a replay")]
    Replayed,
}

/// The parsed authentication of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// The caller's public key.
    pub key: [u8; 32],
    /// When the caller signed, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Caller-chosen nonce; a node accepts each (key, nonce) once.
    pub nonce: [u8; 16],
    /// Signature over [`Self::message`].
    pub signature: [u8; 64],
}

impl RequestAuth {
    /// The bytes the caller signs.
    pub fn message(
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        timestamp_ms: u64,
        nonce: &[u8; 16],
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN.len() + path_and_query.len() + 128);
        m.extend_from_slice(DOMAIN);
        for part in [
            method.as_bytes(),
            path_and_query.as_bytes(),
            data_encoding::HEXLOWER.encode(body_hash).as_bytes(),
            timestamp_ms.to_string().as_bytes(),
            data_encoding::HEXLOWER.encode(nonce).as_bytes(),
        ] {
            m.extend_from_slice(part);
            m.push(b'\n');
        }
        m
    }

    /// Signs a request with `key`.
    pub fn sign(
        key: &SigningKey,
        method: &str,
        path_and_query: &str,
        body_hash: &[u8; 32],
        timestamp_ms: u64,
        nonce: [u8; 16],
    ) -> Self {
        let message = Self::message(method, path_and_query, body_hash, timestamp_ms, &nonce);
        Self {
            key: key.verifying_key().to_bytes(),
            timestamp_ms,
            nonce,
            signature: key.sign(&message).to_bytes(),
        }
    }

    /// The four header values, in the order of [`HEADER_KEY`], [`HEADER_TIMESTAMP`],
    /// [`HEADER_NONCE`], [`HEADER_SIGNATURE`].
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_KEY, bs58::encode(self.key).into_string()),
            (HEADER_TIMESTAMP, self.timestamp_ms.to_string()),
            (HEADER_NONCE, data_encoding::HEXLOWER.encode(&self.nonce)),
            (HEADER_SIGNATURE, bs58::encode(self.signature).into_string()),
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
        Ok(Self {
            key: base58_array(HEADER_KEY, headers.key)?,
            timestamp_ms: headers.timestamp_ms,
            nonce: headers.nonce,
            signature: base58_array(HEADER_SIGNATURE, headers.signature)?,
        })
    }

    /// Checks the signature and the timestamp against `now_ms` ± `window_ms`. Replay
    /// protection (remembering nonces) is the caller's job.
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
        check_clock(self.timestamp_ms, now_ms, window_ms)?;
        let key = VerifyingKey::from_bytes(&self.key).map_err(|_| AuthError::BadSignature)?;
        let message = Self::message(
            method,
            path_and_query,
            body_hash,
            self.timestamp_ms,
            &self.nonce,
        );
        key.verify(&message, &Signature::from_bytes(&self.signature))
            .map_err(|_| AuthError::BadSignature)
    }
}

/// The four header values every signed request carries, whichever kind of key signed it:
/// the timestamp and the nonce parsed, the key and the signature as sent.
pub(crate) struct Headers<'a> {
    pub key: &'a str,
    pub timestamp_ms: u64,
    pub nonce: [u8; 16],
    pub signature: &'a str,
}

impl<'a> Headers<'a> {
    /// # Errors
    ///
    /// [`AuthError::Missing`] for an absent header, [`AuthError::Malformed`] for a
    /// timestamp or nonce that does not parse.
    pub(crate) fn parse(
        key: Option<&'a str>,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&'a str>,
    ) -> Result<Self, AuthError> {
        let key = key.ok_or(AuthError::Missing(HEADER_KEY))?;
        let timestamp = timestamp.ok_or(AuthError::Missing(HEADER_TIMESTAMP))?;
        let nonce = nonce.ok_or(AuthError::Missing(HEADER_NONCE))?;
        let signature = signature.ok_or(AuthError::Missing(HEADER_SIGNATURE))?;
        Ok(Self {
            key,
            timestamp_ms: timestamp.parse().map_err(|e| AuthError::Malformed {
                header: HEADER_TIMESTAMP,
                why: format!("{e}"),
            })?,
            nonce: data_encoding::HEXLOWER
                .decode(nonce.as_bytes())
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| AuthError::Malformed {
                    header: HEADER_NONCE,
                    why: "expected 32 lowercase hex digits".into(),
                })?,
            signature,
        })
    }
}

/// The clock check every signed request passes: signed within `window_ms` of `now_ms`.
///
/// # Errors
///
/// [`AuthError::Expired`].
pub(crate) fn check_clock(signed_ms: u64, now_ms: u64, window_ms: u64) -> Result<(), AuthError> {
    if signed_ms.abs_diff(now_ms) > window_ms {
        return Err(AuthError::Expired {
            signed_ms,
            now_ms,
            window_ms,
        });
    }
    Ok(())
}

fn base58_array<const N: usize>(header: &'static str, s: &str) -> Result<[u8; N], AuthError> {
    let bytes = bs58::decode(s)
        .into_vec()
        .map_err(|e| AuthError::Malformed {
            header,
            why: format!("not base58: {e}"),
        })?;
    bytes.try_into().map_err(|v: Vec<u8>| AuthError::Malformed {
        header,
        why: format!("{} bytes, expected {N}", v.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    fn signed(key: &SigningKey) -> RequestAuth {
        RequestAuth::sign(key, "PUT", "/v1/shards/x/0/1", &[7; 32], NOW, [9; 16])
    }

    #[test]
    fn headers_round_trip_and_verify() -> Result<(), AuthError> {
        let key = SigningKey::from_bytes(&[1; 32]);
        let auth = signed(&key);
        let h = auth.headers();
        let parsed =
            RequestAuth::parse(Some(&h[0].1), Some(&h[1].1), Some(&h[2].1), Some(&h[3].1))?;
        assert_eq!(parsed, auth);
        parsed.verify("PUT", "/v1/shards/x/0/1", &[7; 32], NOW + 1_000, 30_000)
    }

    #[test]
    fn any_changed_field_breaks_the_signature() {
        let auth = signed(&SigningKey::from_bytes(&[1; 32]));
        let bad = [
            auth.verify("GET", "/v1/shards/x/0/1", &[7; 32], NOW, 30_000),
            auth.verify("PUT", "/v1/shards/x/0/2", &[7; 32], NOW, 30_000),
            auth.verify("PUT", "/v1/shards/x/0/1", &[8; 32], NOW, 30_000),
        ];
        for r in bad {
            assert_eq!(r, Err(AuthError::BadSignature));
        }
        let mut other_nonce = auth.clone();
        other_nonce.nonce[0] ^= 1;
        assert_eq!(
            other_nonce.verify("PUT", "/v1/shards/x/0/1", &[7; 32], NOW, 30_000),
            Err(AuthError::BadSignature)
        );
        let mut other_key = auth;
        other_key.key = SigningKey::from_bytes(&[2; 32]).verifying_key().to_bytes();
        assert_eq!(
            other_key.verify("PUT", "/v1/shards/x/0/1", &[7; 32], NOW, 30_000),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_expired() {
        let auth = signed(&SigningKey::from_bytes(&[1; 32]));
        for now in [NOW + 30_001, NOW - 30_001] {
            assert!(matches!(
                auth.verify("PUT", "/v1/shards/x/0/1", &[7; 32], now, 30_000),
                Err(AuthError::Expired { .. })
            ));
        }
    }

    #[test]
    fn malformed_headers_are_named() {
        let auth = signed(&SigningKey::from_bytes(&[1; 32]));
        let h = auth.headers();
        assert_eq!(
            RequestAuth::parse(None, Some(&h[1].1), Some(&h[2].1), Some(&h[3].1)),
            Err(AuthError::Missing(HEADER_KEY))
        );
        for (i, junk) in [(0, "0OIl"), (1, "soon"), (2, "abc"), (3, "2222")] {
            let mut v: Vec<String> = h.iter().map(|(_, v)| v.clone()).collect();
            v[i] = junk.into();
            let r = RequestAuth::parse(Some(&v[0]), Some(&v[1]), Some(&v[2]), Some(&v[3]));
            assert!(
                matches!(r, Err(AuthError::Malformed { header, .. }) if header == h[i].0),
                "{i}: {r:?}"
            );
        }
    }
}
