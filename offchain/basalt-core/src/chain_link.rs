//! How a service's chain RPC answers: a [`LinkMonitor`] that the service's chain calls
//! report to, and the [`ChainLink`] its health endpoint shows from it. The node and the
//! indexer both depend on an RPC endpoint they do not run; when it hangs or fails they go
//! on serving what they can, and their health says what is wrong and since when.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How a service's chain RPC answers, as its health endpoint reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainLink {
    /// The RPC endpoint.
    pub url: String,
    /// Whether the last call was answered (`false`: it failed or timed out). `true` before
    /// the first call.
    pub reachable: bool,
    /// Milliseconds since the RPC last answered; `None` before its first answer.
    pub last_answer_ms_ago: Option<u64>,
    /// Milliseconds since calls began failing; `None` while reachable.
    pub failing_for_ms: Option<u64>,
    /// Calls failed in a row.
    pub failures_in_a_row: u64,
    /// Why the last call failed, while failing.
    pub error: Option<String>,
}

/// Records the outcome of each chain call of a service, for its health endpoint.
#[derive(Debug)]
pub struct LinkMonitor {
    url: String,
    state: Mutex<LinkState>,
}

#[derive(Debug, Default)]
struct LinkState {
    last_answer: Option<Instant>,
    // INV: `Some` exactly while `failures_in_a_row > 0`: when the first of them happened.
    failing_since: Option<Instant>,
    failures_in_a_row: u64,
    error: Option<String>,
}

impl LinkMonitor {
    /// A monitor of the RPC at `url`, with no call made yet.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            state: Mutex::new(LinkState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The RPC answered a call.
    pub fn answered(&self) {
        let mut s = self.state();
        s.last_answer = Some(Instant::now());
        s.failing_since = None;
        s.failures_in_a_row = 0;
        s.error = None;
    }

    /// A call failed or timed out, for `why`. Returns whether it is the first failure
    /// after an answer (the moment to log it once).
    pub fn failed(&self, why: impl std::fmt::Display) -> bool {
        let mut s = self.state();
        let first = s.failures_in_a_row == 0;
        s.failures_in_a_row += 1;
        s.failing_since.get_or_insert_with(Instant::now);
        s.error = Some(why.to_string());
        first
    }

    /// Whether the last call was answered.
    pub fn is_reachable(&self) -> bool {
        self.state().failures_in_a_row == 0
    }

    /// What the health endpoint shows.
    pub fn link(&self) -> ChainLink {
        let s = self.state();
        let ms = |at: Instant| u64::try_from(at.elapsed().as_millis()).unwrap_or(u64::MAX);
        ChainLink {
            url: self.url.clone(),
            reachable: s.failures_in_a_row == 0,
            last_answer_ms_ago: s.last_answer.map(ms),
            failing_for_ms: s.failing_since.map(ms),
            failures_in_a_row: s.failures_in_a_row,
            error: s.error.clone(),
        }
    }
}

/// Waits between attempts after failures: `first`, then doubling up to `max`; back to
/// `first` after a success. A service whose RPC hangs or fails does not hammer it, and
/// tries again within `max` of its recovery.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max: max.max(first),
            failures: 0,
        }
    }

    /// The wait after one more failure.
    pub fn failed(&mut self) -> Duration {
        let wait = self
            .first
            .saturating_mul(1u32 << self.failures.min(16))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// An attempt succeeded: the next failure waits `first` again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_fails_until_it_answers_again() {
        let m = LinkMonitor::new("http://rpc");
        let fresh = m.link();
        assert!(fresh.reachable && fresh.last_answer_ms_ago.is_none());
        m.answered();
        assert!(m.is_reachable());
        assert!(m.failed("timed out after 5 s"), "the first failure");
        assert!(!m.failed("connection refused"), "not the first");
        let failing = m.link();
        assert!(!failing.reachable);
        assert_eq!(failing.failures_in_a_row, 2);
        assert_eq!(failing.error.as_deref(), Some("connection refused"));
        assert!(failing.failing_for_ms.is_some() && failing.last_answer_ms_ago.is_some());
        m.answered();
        let back = m.link();
        assert!(back.reachable && back.failing_for_ms.is_none() && back.error.is_none());
        assert_eq!(back.failures_in_a_row, 0);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| b.failed().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.succeeded();
        assert_eq!(b.failed(), Duration::from_secs(1));
        let mut many = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        for _ in 0..100 {
            assert!(many.failed() <= Duration::from_secs(10), "no overflow");
        }
    }
}
