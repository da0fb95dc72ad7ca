//! Request authentication on the node: the signature and clock checks of
//! [`basalt_core::auth`], a replay cache of nonces, and a per-caller rate limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use basalt_core::auth::{AuthError, RequestAuth};
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
    limiter: DefaultKeyedRateLimiter<[u8; 32]>,
    // INV: holds only (key, nonce) pairs whose timestamp is within `window_ms` of the
    // clock at the last prune; any nonce older than that is rejected by the clock check
    // anyway, so forgetting it cannot let a replay through.
    seen: Mutex<Seen>,
}

struct Seen {
    nonces: HashMap<([u8; 32], [u8; 16]), u64>,
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

    /// Authenticates one request and returns the caller's key.
    ///
    /// `body_hash` is the BLAKE3 hash of the whole body (of the empty string when there is
    /// none).
    ///
    /// # Errors
    ///
    /// A [`Refusal`] naming the failed check. A request is charged to its key's rate limit
    /// only once its signature verified, so nobody can spend another key's budget.
    pub fn check(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        body_hash: &[u8; 32],
    ) -> Result<[u8; 32], Refusal> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let auth = RequestAuth::parse(
            get(basalt_core::auth::HEADER_KEY),
            get(basalt_core::auth::HEADER_TIMESTAMP),
            get(basalt_core::auth::HEADER_NONCE),
            get(basalt_core::auth::HEADER_SIGNATURE),
        )?;
        let now = now_ms();
        auth.verify(method, path_and_query, body_hash, now, self.window_ms)?;
        if self.limiter.check_key(&auth.key).is_err() {
            return Err(Refusal::RateLimited {
                per_second: self.per_second,
            });
        }
        self.remember_nonce(&auth, now)?;
        Ok(auth.key)
    }

    fn remember_nonce(&self, auth: &RequestAuth, now: u64) -> Result<(), Refusal> {
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
        match seen.nonces.entry((auth.key, auth.nonce)) {
            std::collections::hash_map::Entry::Occupied(_) => Err(AuthError::Replayed.into()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(auth.timestamp_ms);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn headers(auth: &RequestAuth) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in auth.headers() {
            h.insert(name, value.parse().expect("header value"));
        }
        h
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
}
