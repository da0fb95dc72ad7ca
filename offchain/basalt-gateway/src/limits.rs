//! What one request and one access key may ask ([`LimitsConfig`]), enforced: requests per
//! second per key (503 `SlowDown` beyond it, which S3 clients back off from), the largest
//! body, how long a body or a reader may stall. The header deadline is the server's
//! (`crate::server`).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use s3s::{s3_error, S3Result};

use crate::config::LimitsConfig;

pub struct Limits {
    /// Only configured keys reach it (an unknown key fails its signature check first), so
    /// it holds one cell per configured key.
    rate: DefaultKeyedRateLimiter<String>,
    requests_per_second: u32,
    /// The largest PUT or part body, in bytes.
    pub max_body: u64,
    /// How long a body may send nothing, or a reader take nothing.
    pub idle: Duration,
}

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        // INV: the configuration refuses zeros; MIN only keeps this total.
        let per_second = NonZeroU32::new(config.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.burst).unwrap_or(per_second);
        Self {
            rate: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            requests_per_second: config.requests_per_second,
            max_body: config.max_body,
            idle: Duration::from_secs(config.idle_timeout_secs),
        }
    }

    /// Counts a request signed with `access_key`.
    ///
    /// # Errors
    ///
    /// `SlowDown` when the key is over its rate.
    pub fn admit(&self, access_key: &str) -> S3Result<()> {
        self.rate.check_key(&access_key.to_owned()).map_err(|_| {
            s3_error!(
                SlowDown,
                "more than {} requests per second with this access key",
                self.requests_per_second
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use s3s::S3ErrorCode;

    use super::*;

    #[test]
    fn a_key_past_its_burst_is_told_to_slow_down_and_other_keys_are_not() {
        let limits = Limits::new(&LimitsConfig {
            requests_per_second: 1,
            burst: 3,
            ..LimitsConfig::default()
        });
        for _ in 0..3 {
            assert!(limits.admit("BUSY").is_ok());
        }
        let refused = limits.admit("BUSY").err().map(|e| e.code().clone());
        assert_eq!(refused, Some(S3ErrorCode::SlowDown));
        assert!(limits.admit("QUIET").is_ok(), "each key has its own budget");
    }
}
