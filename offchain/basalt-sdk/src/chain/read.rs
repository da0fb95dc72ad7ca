//! Hedged chain reads. An RPC endpoint fails in gray ways too: a request on a stuck
//! connection, or routed to a stuck backend behind the provider's load balancer, goes
//! unanswered while the next one is answered at once. So a read that has not answered
//! within the hedge bound (learnt from this client's reads, `LatencyPolicy::CHAIN_READ`)
//! is sent again beside the first, up to [`MAX_IN_FLIGHT`] copies, and the first answer
//! wins; a read nobody answers by the deadline fails with [`ChainError::Stalled`] instead of
//! waiting out the HTTP client's timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use solana_rpc_client_api::client_error::Error as RpcError;

use super::{ChainClient, ChainError};

/// Copies of one read in flight at most.
pub const MAX_IN_FLIGHT: usize = 3;
/// The deadline of a read is this many hedge bounds …
const DEADLINE_BOUNDS: u32 = 5;
/// … within these limits: a large `getProgramAccounts` may take seconds on a busy cluster.
const DEADLINE_FLOOR: Duration = Duration::from_secs(10);
const DEADLINE_CEILING: Duration = Duration::from_secs(30);

/// When a read is sent again, and when it is given up.
fn schedule(hedge: Duration) -> (Duration, Duration) {
    let deadline = hedge
        .saturating_mul(DEADLINE_BOUNDS)
        .clamp(DEADLINE_FLOOR, DEADLINE_CEILING);
    (hedge, deadline)
}

impl ChainClient {
    /// `read()` against the RPC, hedged and bounded (see the module's documentation);
    /// `what` names it in errors.
    ///
    /// # Errors
    ///
    /// [`ChainError::Stalled`] when no copy answered by the deadline; the RPC's error when
    /// every copy sent failed.
    pub(crate) async fn hedged<T, Fut>(
        &self,
        what: &'static str,
        read: impl Fn() -> Fut,
    ) -> Result<T, ChainError>
    where
        Fut: Future<Output = Result<T, RpcError>>,
    {
        let started = Instant::now();
        let (hedge, deadline) = schedule(self.reads.bound());
        match race(hedge, deadline, read).await {
            Some(Ok(value)) => {
                self.reads.record(started.elapsed());
                Ok(value)
            }
            Some(Err(e)) => Err(self.rpc_error(e)),
            None => Err(ChainError::Stalled {
                url: self.url(),
                what,
                after: deadline,
            }),
        }
    }
}

/// The first success of up to [`MAX_IN_FLIGHT`] copies of `read`, one more started every
/// `hedge` (or at once when one fails) while none has answered; the last error when all
/// failed; `None` at `deadline`.
async fn race<T, E, Fut>(
    hedge: Duration,
    deadline: Duration,
    read: impl Fn() -> Fut,
) -> Option<Result<T, E>>
where
    Fut: Future<Output = Result<T, E>>,
{
    let give_up = tokio::time::sleep(deadline);
    tokio::pin!(give_up);
    let mut in_flight = FuturesUnordered::new();
    in_flight.push(read());
    let mut sent = 1;
    loop {
        let next_hedge = tokio::time::sleep(hedge);
        tokio::select! {
            () = &mut give_up => return None,
            answer = in_flight.next(), if !in_flight.is_empty() => match answer {
                Some(Ok(value)) => return Some(Ok(value)),
                Some(Err(e)) => {
                    if sent < MAX_IN_FLIGHT {
                        in_flight.push(read());
                        sent += 1;
                    } else if in_flight.is_empty() {
                        return Some(Err(e));
                    }
                }
                None => {}
            },
            () = next_hedge, if sent < MAX_IN_FLIGHT => {
                in_flight.push(read());
                sent += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const HEDGE: Duration = Duration::from_millis(30);
    const DEADLINE: Duration = Duration::from_millis(500);

    /// A read whose `n`-th copy (from 0) answers after `latency(n)`, or never (`None`), or
    /// fails (`Some(ZERO)` with `fail(n)`).
    async fn copy(n: usize, latency: Option<Duration>, fails: bool) -> Result<usize, String> {
        match latency {
            None => std::future::pending().await,
            Some(after) => {
                tokio::time::sleep(after).await;
                if fails {
                    Err(format!("copy {n} failed"))
                } else {
                    Ok(n)
                }
            }
        }
    }

    #[tokio::test]
    async fn a_hung_copy_is_raced_by_the_next() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let answer = race(HEDGE, DEADLINE, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            copy(n, (n > 0).then_some(Duration::ZERO), false)
        })
        .await;
        assert_eq!(answer, Some(Ok(1)), "the second copy answered");
        assert!(started.elapsed() < DEADLINE);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_fast_read_is_sent_once() {
        let calls = AtomicUsize::new(0);
        let answer = race(HEDGE, DEADLINE, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            copy(n, Some(Duration::ZERO), false)
        })
        .await;
        assert_eq!(answer, Some(Ok(0)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn nobody_answering_gives_up_at_the_deadline_with_at_most_three_copies() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let answer: Option<Result<usize, String>> = race(HEDGE, DEADLINE, || {
            calls.fetch_add(1, Ordering::SeqCst);
            copy(0, None, false)
        })
        .await;
        assert_eq!(answer, None);
        assert!(started.elapsed() >= DEADLINE);
        assert_eq!(calls.load(Ordering::SeqCst), MAX_IN_FLIGHT);
    }

    #[tokio::test]
    async fn failures_are_retried_then_reported() {
        let calls = AtomicUsize::new(0);
        let answer = race(HEDGE, DEADLINE, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            copy(n, Some(Duration::ZERO), n < 1)
        })
        .await;
        assert_eq!(answer, Some(Ok(1)), "a failed copy is sent again at once");
        let answer: Option<Result<usize, String>> =
            race(HEDGE, DEADLINE, || copy(0, Some(Duration::ZERO), true)).await;
        assert_eq!(answer, Some(Err("copy 0 failed".into())), "all failed");
    }

    #[test]
    fn the_deadline_follows_the_hedge_within_limits() {
        assert_eq!(schedule(Duration::from_millis(100)).1, DEADLINE_FLOOR);
        assert_eq!(schedule(Duration::from_secs(3)).1, Duration::from_secs(15));
        assert_eq!(schedule(Duration::from_secs(60)).1, DEADLINE_CEILING);
    }
}
