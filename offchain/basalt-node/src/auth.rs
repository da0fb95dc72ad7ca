//! Request authentication on the node: the signature and clock checks of
//! [`basalt_core::SignedRequest`] (an ed25519 key's or an EVM account's), a replay cache of
//! nonces, and a per-caller rate limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use basalt_core::auth::AuthError;
use basalt_core::{Caller, SignedRequest};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Why a request was refused before it reached its handler.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("rate limit exceeded for this key: at most {per_second} requests per second")]
    RateLimited { per_second: u32 },
    #[error("too many requests in flight across all callers; retry shortly")]
    Busy,
}

impl Refusal {
    /// The short code used in error bodies and the refusal metric's label.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Auth(AuthError::Replayed) => "replayed",
            Self::Auth(AuthError::Expired { .. }) => "expired",
            Self::Auth(AuthError::BadSignature) => "bad_signature",
            Self::Auth(_) => "unauthenticated",
            Self::RateLimited { .. } => "rate_limited",
            Self::Busy => "busy",
        }
    }
}

/// Checks signed requests. One per node, shared by every handler.
pub struct Authenticator {
    window_ms: u64,
    per_second: u32,
    limiter: DefaultKeyedRateLimiter<Caller>,
    // INV: holds only (caller, nonce) pairs whose timestamp is within `window_ms` of the
    // clock at the last prune; any nonce older than that is rejected by the clock check
    // anyway, so forgetting it cannot let a replay through.
    seen: Mutex<Seen>,
}

struct Seen {
    nonces: HashMap<(Caller, [u8; 16]), u64>,
    last_prune_ms: u64,
}

/// Upper bound on remembered nonces: rate limits keep honest load far below it.
const MAX_NONCES: usize = 2_000_000;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Authenticator {
    /// Accepts signatures within `window_ms` of the node's clock and at most `per_second`
    /// requests per second (with an equal burst) from each key.
    pub fn new(window_ms: u64, per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).expect("max(1) is non-zero");
        Self {
            window_ms,
            per_second: rate.get(),
            limiter: RateLimiter::keyed(Quota::per_second(rate)),
            seen: Mutex::new(Seen {
                nonces: HashMap::new(),
                last_prune_ms: 0,
            }),
        }
    }

    /// Authenticates one request and returns who signed it.
    ///
    /// `body_hash` is the BLAKE3 hash of the whole body (of the empty string when there is
    /// none).
    ///
    /// # Errors
    ///
    /// A [`Refusal`] naming the failed check. A request is charged to its caller's rate
    /// limit only once its signature verified, so nobody can spend another caller's budget.
    pub fn check(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        body_hash: &[u8; 32],
    ) -> Result<Caller, Refusal> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let auth = SignedRequest::parse(
            get(basalt_core::auth::HEADER_KEY),
            get(basalt_core::auth::HEADER_TIMESTAMP),
            get(basalt_core::auth::HEADER_NONCE),
            get(basalt_core::auth::HEADER_SIGNATURE),
        )?;
        let now = now_ms();
        auth.verify(method, path_and_query, body_hash, now, self.window_ms)?;
        let caller = auth.caller();
        if self.limiter.check_key(&caller).is_err() {
            return Err(Refusal::RateLimited {
                per_second: self.per_second,
            });
        }
        self.remember_nonce(caller, &auth, now)?;
        Ok(caller)
    }

    fn remember_nonce(
        &self,
        caller: Caller,
        auth: &SignedRequest,
        now: u64,
    ) -> Result<(), Refusal> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if now.saturating_sub(seen.last_prune_ms) > self.window_ms {
            let horizon = now.saturating_sub(2 * self.window_ms);
            seen.nonces.retain(|_, signed| *signed >= horizon);
            self.limiter.retain_recent();
            seen.last_prune_ms = now;
        }
        if seen.nonces.len() >= MAX_NONCES {
            return Err(Refusal::Busy);
        }
        match seen.nonces.entry((caller, auth.nonce())) {
            std::collections::hash_map::Entry::Occupied(_) => Err(AuthError::Replayed.into()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(auth.timestamp_ms());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_core::evm_auth::{self, EvmRequestAuth};
    use basalt_core::RequestAuth;
    use ed25519_dalek::SigningKey;

    fn header_map(values: [(&'static str, String); 4]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in values {
            h.insert(name, value.parse().expect("header value"));
        }
        h
    }

    fn headers(auth: &RequestAuth) -> HeaderMap {
        header_map(auth.headers())
    }

    #[test]
    fn replay_and_rate_limit_are_refused() {
        let a = Authenticator::new(30_000, 2);
        let key = SigningKey::from_bytes(&[1; 32]);
        let hash = *blake3::hash(b"").as_bytes();
        let sign =
            |nonce: u8| RequestAuth::sign(&key, "GET", "/v1/stats", &hash, now_ms(), [nonce; 16]);
        let first = sign(1);
        assert!(a.check("GET", "/v1/stats", &headers(&first), &hash).is_ok());
        assert!(matches!(
            a.check("GET", "/v1/stats", &headers(&first), &hash),
            Err(Refusal::Auth(AuthError::Replayed)) | Err(Refusal::RateLimited { .. })
        ));
        // Two per second: the third distinct request in the same instant is limited.
        let _ = a.check("GET", "/v1/stats", &headers(&sign(2)), &hash);
        assert!(matches!(
            a.check("GET", "/v1/stats", &headers(&sign(3)), &hash),
            Err(Refusal::RateLimited { per_second: 2 })
        ));
        // A forged request does not spend the key's budget and is refused for what it is.
        let other = Authenticator::new(30_000, 1);
        let mut forged = sign(4);
        forged.signature[0] ^= 1;
        assert!(matches!(
            other.check("GET", "/v1/stats", &headers(&forged), &hash),
            Err(Refusal::Auth(AuthError::BadSignature))
        ));
        assert!(other
            .check("GET", "/v1/stats", &headers(&sign(5)), &hash)
            .is_ok());
    }

    #[test]
    fn an_evm_account_is_a_caller_of_its_own() -> Result<(), Refusal> {
        let a = Authenticator::new(30_000, 1);
        let hash = *blake3::hash(b"").as_bytes();
        let evm = evm_auth::SigningKey::from_bytes(&[3; 32].into()).expect("a valid scalar");
        let sign = |nonce: u8| {
            EvmRequestAuth::sign(&evm, "GET", "/v1/stats", &hash, now_ms(), [nonce; 16])
        };
        let first = header_map(sign(1).headers());
        assert_eq!(
            a.check("GET", "/v1/stats", &first, &hash)?,
            Caller::Evm(evm_auth::address_of(evm.verifying_key()))
        );
        assert!(
            a.check("GET", "/v1/stats", &first, &hash).is_err(),
            "replayed"
        );
        // Its budget is its own: an ed25519 key with the same nonce still gets through.
        let ed = SigningKey::from_bytes(&[3; 32]);
        let same_nonce = RequestAuth::sign(&ed, "GET", "/v1/stats", &hash, now_ms(), [1; 16]);
        a.check("GET", "/v1/stats", &headers(&same_nonce), &hash)?;
        // Another request under its signature is refused for what it is.
        let mut forged = sign(2);
        forged.address = evm_auth::address_of(
            evm_auth::SigningKey::from_bytes(&[4; 32].into())
                .expect("a valid scalar")
                .verifying_key(),
        );
        assert!(matches!(
            a.check("GET", "/v1/stats", &header_map(forged.headers()), &hash),
            Err(Refusal::Auth(AuthError::BadSignature))
        ));
        Ok(())
    }
}
