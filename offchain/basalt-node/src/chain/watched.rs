//! [`WatchedChain`]: the node's [`Chain`] as its parts use it. Every call is bounded by a
//! deadline, so a chain RPC that hangs (a stuck provider, a black-holed route) costs a
//! request or a background pass a few seconds, never the RPC client's own timeout or
//! forever; every outcome goes to the node's [`LinkMonitor`], which `/health` shows; and
//! read decisions are cached, a recent one serving its reader while the chain does not
//! answer.
//!
//! Serving a stale decision is a deliberate trade: a grant revoked while the node cannot
//! read the chain takes effect when it can again (at most `acl_stale_secs` later), and in
//! exchange the readers a node admitted a moment ago are not cut off by an RPC outage.
//! Deletions, GC and acceptances never use a cached answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use basalt_core::{BlobId, Caller, LinkMonitor};

use super::{
    BlobState, Cached, Chain, ChainError, CrankAction, CrankOutcome, CrankView, DecisionCache,
    Placement, ProofClock, ProofDuty, ProofOutcome, ProofSubmission, ReadDecision, Terms,
};

/// How long the node waits for its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// One read (an account, a view).
    pub read: Duration,
    /// A read whose stale answer is at hand: the reader is served that one sooner.
    pub stale_read: Duration,
    /// A transaction sent and confirmed. Its confirmation wait is bounded by its blockhash
    /// (Solana) or the RPC (NEAR) already; this is the backstop.
    pub send: Duration,
}

impl Deadlines {
    /// Reads bounded by `read`, sends by 90 s.
    pub fn new(read: Duration) -> Self {
        Self {
            read,
            stale_read: read.min(Duration::from_secs(1)),
            send: Duration::from_secs(90),
        }
    }
}

/// A [`Chain`] whose every call is bounded, monitored and (for read decisions) cached.
pub struct WatchedChain {
    inner: Arc<dyn Chain>,
    link: Arc<LinkMonitor>,
    deadlines: Deadlines,
    reads: DecisionCache,
}

impl WatchedChain {
    /// Watches `inner`, reporting to `link`, caching decisions in `reads`.
    pub fn new(
        inner: Arc<dyn Chain>,
        link: Arc<LinkMonitor>,
        deadlines: Deadlines,
        reads: DecisionCache,
    ) -> Self {
        Self {
            inner,
            link,
            deadlines,
            reads,
        }
    }

    /// Where the outcomes go: the node's health shows it.
    pub fn link(&self) -> Arc<LinkMonitor> {
        Arc::clone(&self.link)
    }

    fn timed_out(&self, what: &str, after: Duration) -> ChainError {
        ChainError {
            url: self.link.link().url,
            why: format!("no answer to {what} within {after:?}"),
        }
    }

    fn note_failure(&self, why: &ChainError) {
        if self.link.failed(&why.why) {
            tracing::warn!(%why, "the chain stopped answering");
        }
    }

    fn note_answer(&self) {
        if !self.link.is_reachable() {
            tracing::info!(url = %self.link.link().url, "the chain answers again");
        }
        self.link.answered();
    }

    /// `call` within `deadline`; its outcome, or a timeout, goes to the monitor.
    async fn read<T>(
        &self,
        what: &str,
        deadline: Duration,
        call: impl Future<Output = Result<T, ChainError>>,
    ) -> Result<T, ChainError> {
        let result = tokio::time::timeout(deadline, call)
            .await
            .unwrap_or_else(|_| Err(self.timed_out(what, deadline)));
        match &result {
            Ok(_) => self.note_answer(),
            Err(e) => self.note_failure(e),
        }
        result
    }

    /// `call` (a transaction) within the send deadline. A refusal is the chain's answer,
    /// not a failure of the link, so only a success or a timeout is reported.
    async fn send<T>(&self, what: &str, call: impl Future<Output = T>) -> Result<T, ChainError> {
        match tokio::time::timeout(self.deadlines.send, call).await {
            Ok(answer) => Ok(answer),
            Err(_) => {
                let e = self.timed_out(what, self.deadlines.send);
                self.note_failure(&e);
                Err(e)
            }
        }
    }
}

#[async_trait]
impl Chain for WatchedChain {
    fn provider(&self) -> Caller {
        self.inner.provider()
    }

    async fn read_access(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError> {
        let cached = self.reads.get(blob, requester);
        let deadline = match cached {
            Some(Cached::Fresh(decision)) => return Ok(decision),
            Some(Cached::Stale(_)) => self.deadlines.stale_read,
            None => self.deadlines.read,
        };
        let read = self.inner.read_access(blob, requester);
        match (self.read("read_access", deadline, read).await, cached) {
            (Ok(decision), _) => {
                self.reads.put(blob, requester, decision);
                Ok(decision)
            }
            (Err(e), Some(Cached::Stale(decision))) => {
                tracing::debug!(%e, %blob, "served a stale read decision");
                Ok(decision)
            }
            (Err(e), _) => Err(e),
        }
    }

    async fn may_delete(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<Option<bool>, ChainError> {
        let call = self.inner.may_delete(blob, requester);
        self.read("may_delete", self.deadlines.read, call).await
    }

    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError> {
        let call = self.inner.blob_state(blob);
        self.read("blob_state", self.deadlines.read, call).await
    }

    async fn holds(&self, blob: &BlobId, holder: &Caller) -> Result<bool, ChainError> {
        let call = self.inner.holds(blob, holder);
        self.read("holds", self.deadlines.read, call).await
    }

    async fn placement(&self, blob: &BlobId, holder: &Caller) -> Result<Placement, ChainError> {
        let call = self.inner.placement(blob, holder);
        self.read("placement", self.deadlines.read, call).await
    }

    async fn proof_clock(&self) -> Result<ProofClock, ChainError> {
        let call = self.inner.proof_clock();
        self.read("proof_clock", self.deadlines.read, call).await
    }

    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        // On NEAR it may draw the epoch's seed: a transaction.
        let call = self.inner.proof_duties(blobs, epoch);
        self.read("proof_duties", self.deadlines.send, call).await
    }

    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome> {
        let call = self.inner.submit_proofs(proofs);
        self.send("submit_proofs", call)
            .await
            .unwrap_or_else(|e| vec![ProofOutcome::Failed(e.to_string()); proofs.len()])
    }

    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError> {
        let call = self.inner.crank_view(blobs);
        self.read("crank_view", self.deadlines.send, call).await
    }

    async fn crank(&self, actions: &[CrankAction]) -> Vec<CrankOutcome> {
        let call = self.inner.crank(actions);
        self.send("crank", call)
            .await
            .unwrap_or_else(|e| vec![CrankOutcome::Failed(e.to_string()); actions.len()])
    }

    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError> {
        let call = self.inner.holder_endpoints(blob);
        self.read("holder_endpoints", self.deadlines.read, call)
            .await
    }

    async fn heartbeat(&self) -> Result<(), ChainError> {
        self.send("heartbeat", self.inner.heartbeat()).await??;
        self.note_answer();
        Ok(())
    }

    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError> {
        let call = self.inner.accept(blob, index, terms);
        self.send("accept", call).await??;
        self.note_answer();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    use super::*;
    use crate::testing::TableChain;

    fn watched(table: &Arc<TableChain>) -> (WatchedChain, Arc<LinkMonitor>) {
        let link = Arc::new(LinkMonitor::new("table"));
        let chain = WatchedChain::new(
            Arc::clone(table) as Arc<dyn Chain>,
            Arc::clone(&link),
            Deadlines {
                read: Duration::from_millis(300),
                stale_read: Duration::from_millis(100),
                send: Duration::from_millis(300),
            },
            DecisionCache::new(Duration::from_millis(50), Duration::from_secs(60)),
        );
        (chain, link)
    }

    #[tokio::test]
    async fn a_hung_chain_costs_a_deadline_and_shows_in_the_link() -> Result<(), ChainError> {
        let table = Arc::new(TableChain::default());
        let (chain, link) = watched(&table);
        let blob = BlobId::from_bytes([1; 32]);
        chain.holds(&blob, &Caller::Ed25519([2; 32])).await?;
        assert!(link.is_reachable());

        table.hung.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let err = chain
            .holds(&blob, &Caller::Ed25519([2; 32]))
            .await
            .expect_err("hung");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(err.why.contains("no answer to holds within"), "{err}");
        assert!(chain.heartbeat().await.is_err(), "a send is bounded too");
        let down = link.link();
        assert!(!down.reachable);
        assert_eq!(down.failures_in_a_row, 2);

        table.hung.store(false, Ordering::SeqCst);
        chain.heartbeat().await?;
        assert!(link.is_reachable(), "recovered");
        Ok(())
    }

    #[tokio::test]
    async fn a_recent_decision_serves_its_reader_while_the_chain_hangs() -> Result<(), ChainError> {
        let table = Arc::new(TableChain::default());
        *table.read.lock().expect("not poisoned") = Some(ReadDecision::Owner);
        let (chain, link) = watched(&table);
        let blob = BlobId::from_bytes([1; 32]);
        assert_eq!(
            chain.read_access(&blob, &Caller::Ed25519([2; 32])).await?,
            ReadDecision::Owner
        );

        table.hung.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(60)).await;
        let started = Instant::now();
        assert_eq!(
            chain.read_access(&blob, &Caller::Ed25519([2; 32])).await?,
            ReadDecision::Owner,
            "the stale decision"
        );
        assert!(
            started.elapsed() < Duration::from_millis(250),
            "within the stale deadline"
        );
        assert!(!link.is_reachable(), "the failure still shows");
        let err = chain
            .read_access(&blob, &Caller::Evm([3; 20]))
            .await
            .expect_err("nothing kept");
        assert!(err.why.contains("read_access"), "{err}");

        // Back: a fresh decision replaces the stale one.
        table.hung.store(false, Ordering::SeqCst);
        *table.read.lock().expect("not poisoned") = Some(ReadDecision::Deny);
        assert_eq!(
            chain.read_access(&blob, &Caller::Ed25519([2; 32])).await?,
            ReadDecision::Deny
        );
        assert!(link.is_reachable());
        Ok(())
    }
}
