//! How long a request to a node may take, learnt from the answers so far. A node that is
//! alive but does not answer (a stuck disk, a long pause, a black-holed route, a trickle
//! of bandwidth) fails no request: it only keeps it waiting. So neither a read nor a write
//! waits for a request to fail. A read races another holder's request against one that
//! has not answered within the bound (a hedge, `get`); a write gives up on a holder whose
//! upload takes longer and moves its column to a spare (`put`). The bound is a multiple of
//! the 90th percentile of the latencies seen so far, within a floor and a ceiling: tight
//! on a fast network, patient on a slow one, never a fixed 30 s.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// How the bound is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyPolicy {
    /// The bound before enough requests have answered.
    pub first: Duration,
    /// The bound is `factor` times the 90th percentile of the answers' latencies …
    pub factor: u32,
    /// … but never shorter than this (a burst of fast answers must not make every
    /// request look slow) …
    pub floor: Duration,
    /// … nor longer than this.
    pub ceiling: Duration,
}

impl LatencyPolicy {
    /// When a read races another holder against an unanswered request: small requests,
    /// and a second one only costs bandwidth.
    pub const HEDGE: Self = Self {
        first: Duration::from_millis(200),
        factor: 3,
        floor: Duration::from_millis(25),
        ceiling: Duration::from_secs(1),
    };

    /// When a chain read is sent again beside one unanswered (`chain/read.rs`): reads are
    /// small, and an RPC answers most in milliseconds.
    pub const CHAIN_READ: Self = Self {
        first: Duration::from_secs(1),
        factor: 3,
        floor: Duration::from_millis(100),
        ceiling: Duration::from_secs(2),
    };

    /// When a write gives up on a holder's shard upload (each a durable write of up to a
    /// few hundred KiB): giving up moves a whole column, so it is patient.
    pub const STALL: Self = Self {
        first: Duration::from_secs(5),
        factor: 4,
        floor: Duration::from_secs(1),
        ceiling: Duration::from_secs(30),
    };
}

/// The latencies seen, and the bound they give. Shared by concurrent requests.
#[derive(Debug)]
pub struct Latencies {
    policy: LatencyPolicy,
    // INV: at most SAMPLES entries, the newest last.
    latencies: Mutex<VecDeque<Duration>>,
}

/// Latencies kept: enough for a stable percentile, few enough to follow a change.
const SAMPLES: usize = 64;
/// Answers needed before the percentile replaces `first`.
const MIN_SAMPLES: usize = 4;

impl Latencies {
    pub fn new(policy: LatencyPolicy) -> Self {
        Self {
            policy,
            latencies: Mutex::new(VecDeque::with_capacity(SAMPLES)),
        }
    }

    /// Records the latency of a request that answered.
    pub fn record(&self, latency: Duration) {
        let mut latencies = self.lock();
        if latencies.len() == SAMPLES {
            latencies.pop_front();
        }
        latencies.push_back(latency);
    }

    /// How long a request may go unanswered before it counts as stalled.
    pub fn bound(&self) -> Duration {
        let latencies = self.lock();
        if latencies.len() < MIN_SAMPLES {
            return self.policy.first;
        }
        let mut sorted: Vec<Duration> = latencies.iter().copied().collect();
        sorted.sort_unstable();
        let p90 = sorted[(sorted.len() * 9).div_ceil(10) - 1];
        p90.saturating_mul(self.policy.factor)
            .clamp(self.policy.floor, self.policy.ceiling)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Duration>> {
        // The deque stays consistent under a panic elsewhere: keep using it.
        self.latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_bound_follows_the_observed_latencies_within_its_limits() {
        let latencies = Latencies::new(LatencyPolicy::HEDGE);
        assert_eq!(latencies.bound(), ms(200), "nothing seen yet");
        for _ in 0..9 {
            latencies.record(ms(20));
        }
        latencies.record(ms(900));
        assert_eq!(
            latencies.bound(),
            ms(60),
            "3 x the 90th percentile, not the outlier"
        );
        for _ in 0..SAMPLES {
            latencies.record(ms(1));
        }
        assert_eq!(latencies.bound(), ms(25), "the floor");
        for _ in 0..SAMPLES {
            latencies.record(ms(2_000));
        }
        assert_eq!(latencies.bound(), ms(1_000), "the ceiling");
    }
}
