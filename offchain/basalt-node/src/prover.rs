//! Proving storage. Every epoch, within the proof window the chain sets, this node proves
//! each shard it holds and accepted: the chain names the challenged chunk and leaf (from its
//! own randomness, by `basalt_proof::derive_challenge`, the code the program runs), the node
//! builds the leaf's path to the column root from RocksDB and sends one proof per shard,
//! many at once.
//!
//! Nothing here is remembered across restarts, and nothing needs to be: each pass asks the
//! chain which shards are still unproven for the current epoch, so a restarted node proves
//! what is left and never sends again a proof the chain already counted. A proof still in
//! flight when the node stopped may be sent a second time; the chain refuses it
//! (`AlreadyProven`) and it costs only its fee.

use std::sync::Arc;
use std::time::Duration;

use crate::chain::{ProofDuty, ProofOutcome, ProofSubmission};
use crate::node::Node;
use crate::store::{ShardKey, StoreError};

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProveReport {
    /// The epoch the pass proved, when its window was open.
    pub epoch: Option<u64>,
    /// Shards the chain said this node still owes a proof of.
    pub due: usize,
    /// Proofs the chain accepted in this pass.
    pub proved: usize,
    /// Proofs the chain had counted already (sent before a restart).
    pub already_proven: usize,
    /// Duties whose proof could not be built here: the shard (or a chunk of its column) is
    /// missing or corrupt. The store queues it for repair; the chain will count a miss.
    pub unprovable: usize,
    /// Proofs the chain refused or that did not land: tried again next pass, while the
    /// window is open.
    pub failed: usize,
    /// Chain reads that failed: the pass stopped early.
    pub chain_errors: usize,
    /// Duties of an earlier epoch whose window closed before they were proven.
    pub missed: usize,
}

/// The prover's memory between passes: what is left of the epoch being proven. Lost on a
/// restart, which costs only the `missed` count of an epoch the node stopped in.
#[derive(Debug, Default)]
pub struct Prover {
    /// The epoch of the last pass in an open window, and its duties still unproven.
    outstanding: Option<(u64, usize)>,
}

/// Runs a pass every `interval` until `stop` says so.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut prover = Prover::default();
    loop {
        let report = prover.pass(&node).await;
        if report.due > 0 || report.chain_errors > 0 || report.missed > 0 {
            tracing::info!(?report, "prove pass");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

impl Prover {
    /// One pass: when the current epoch's proof window is open, proves every shard the
    /// chain says this node still owes a proof of; counts as missed what an earlier
    /// window closed on.
    pub async fn pass(&mut self, node: &Node) -> ProveReport {
        let mut report = ProveReport::default();
        let clock = match node.chain.proof_clock().await {
            Ok(c) => c,
            Err(e) => {
                report.chain_errors += 1;
                tracing::warn!(error = %e, "prove: chain unavailable");
                return report;
            }
        };
        if let Some((epoch, left)) = self.outstanding {
            if epoch != clock.epoch || !clock.window_open {
                self.outstanding = None;
                report.missed = left;
                node.metrics.proofs_missed.inc_by(left as u64);
                if left > 0 {
                    tracing::error!(
                        epoch,
                        missed = left,
                        "prove: the window closed on unproven shards"
                    );
                }
            }
        }
        if !clock.window_open {
            node.record_proving(&report);
            return report;
        }
        report.epoch = Some(clock.epoch);
        let started = std::time::Instant::now();
        prove_epoch(node, clock.epoch, &mut report).await;
        if report.due > 0 {
            node.metrics
                .prove_pass_seconds
                .observe(started.elapsed().as_secs_f64());
        }
        if report.chain_errors == 0 {
            let left = report.due - report.proved - report.already_proven;
            self.outstanding = Some((clock.epoch, left));
        }
        node.record_proving(&report);
        report
    }
}

/// Proves what the chain says this node still owes for `epoch`.
async fn prove_epoch(node: &Node, epoch: u64, report: &mut ProveReport) {
    let store = Arc::clone(&node.store);
    let blobs = match tokio::task::spawn_blocking(move || store.blobs()).await {
        Ok(Ok(b)) => b.into_iter().map(|e| e.blob).collect::<Vec<_>>(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "prove: cannot list blobs");
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "prove: list task failed");
            return;
        }
    };
    let duties = match node.chain.proof_duties(&blobs, epoch).await {
        Ok(d) => d,
        Err(e) => {
            report.chain_errors += 1;
            tracing::warn!(error = %e, "prove: cannot read what is due");
            return;
        }
    };
    report.due = duties.len();
    let mut proofs = Vec::with_capacity(duties.len());
    for duty in duties {
        match build_proof(node, duty).await {
            Ok(proof) => proofs.push(proof),
            Err(why) => {
                report.unprovable += 1;
                node.metrics.proofs_unprovable.inc();
                tracing::error!(blob = %duty.blob, index = duty.index, epoch, %why, "prove: cannot build the proof");
            }
        }
    }
    if proofs.is_empty() {
        return;
    }
    let outcomes = node.chain.submit_proofs(&proofs).await;
    for (proof, outcome) in proofs.iter().zip(outcomes) {
        let duty = proof.duty;
        match outcome {
            ProofOutcome::Accepted => {
                report.proved += 1;
                node.metrics.proofs_accepted.inc();
            }
            ProofOutcome::AlreadyProven => report.already_proven += 1,
            ProofOutcome::Failed(why) => {
                report.failed += 1;
                node.metrics.proofs_failed.inc();
                tracing::warn!(blob = %duty.blob, index = duty.index, epoch, %why, "prove: proof not counted");
            }
        }
    }
}

/// The proof of `duty` from the shard and its column's headers in the store. Reading the
/// shard checks it against its root; a corrupt one is queued for repair by the store. A
/// column whose headers do not hash to the root the chain holds cannot be proven: nothing
/// is sent for it.
async fn build_proof(node: &Node, duty: ProofDuty) -> Result<ProofSubmission, String> {
    let store = Arc::clone(&node.store);
    let key = ShardKey {
        blob: duty.blob,
        chunk: duty.chunk,
        shard: duty.index,
    };
    let proof = tokio::task::spawn_blocking(move || store.leaf_proof(&key, duty.leaf))
        .await
        .map_err(|e| format!("proof task failed: {e}"))?
        .map_err(|e: StoreError| e.to_string())?;
    if proof.column_root != duty.column_root {
        return Err("the stored column does not hash to the column root on chain".into());
    }
    Ok(ProofSubmission {
        duty,
        leaf: proof.leaf,
        path: proof.path,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use basalt_core::proof::verify_storage_proof;

    use super::*;
    use crate::chain::ProofClock;
    use crate::store::{ShardStore, SyncPolicy};
    use crate::testing::{put_blob, test_node, TableChain};

    #[tokio::test]
    async fn proves_what_is_due_once_and_counts_what_it_cannot_prove(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        // Column 1 of a three-chunk blob is stored here; of another, only two chunks.
        let held = put_blob(&store, 1, 0, |_, shard| shard == 1);
        let partial = put_blob(&store, 2, 0, |chunk, shard| shard == 1 && chunk < 2);
        let root = |m: &basalt_core::BlobManifest| m.commitment.column_roots()[1];
        let duty = |m: &crate::testing::StoredBlob, column_root| ProofDuty {
            blob: m.id,
            index: 1,
            epoch: 5,
            chunk: 2,
            leaf: 1,
            column_root,
        };
        let owed = duty(&held, root(&held));
        let chain = Arc::new(TableChain {
            clock: Mutex::new(Some(ProofClock {
                epoch: 5,
                window_open: true,
            })),
            duties: Mutex::new(vec![
                owed,
                // The chunk the challenge picks is not here.
                duty(&partial, root(&partial)),
            ]),
            ..TableChain::default()
        });
        let node = test_node(Arc::clone(&store), chain.clone());
        let mut prover = Prover::default();

        let first = prover.pass(&node).await;
        assert_eq!(
            (first.epoch, first.due, first.proved, first.unprovable),
            (Some(5), 2, 1, 1)
        );
        // What was sent is a proof the program accepts: the leaf reaches the column root.
        let sent = chain.proofs.lock().expect("not poisoned")[0].clone();
        verify_storage_proof(
            held.layout(),
            &owed.column_root,
            2,
            1,
            &sent.leaf,
            &sent.path,
        )
        .map_err(|e| format!("{e:?}"))?;

        // The next pass of the epoch owes only what could not be proven.
        let second = prover.pass(&node).await;
        assert_eq!((second.due, second.proved, second.unprovable), (1, 0, 1));
        // The window closes on it: one miss, counted once.
        *chain.clock.lock().expect("not poisoned") = Some(ProofClock {
            epoch: 5,
            window_open: false,
        });
        assert_eq!(prover.pass(&node).await.missed, 1);
        assert_eq!(prover.pass(&node).await.missed, 0);
        let stats = node.proof_stats();
        assert_eq!(
            (stats.epoch, stats.proved, stats.unprovable, stats.missed),
            (Some(5), 1, 2, 1)
        );
        assert_eq!(node.metrics.proofs_accepted.get(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_column_that_does_not_hash_to_the_chains_root_is_not_sent(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let held = put_blob(&store, 3, 0, |_, shard| shard == 1);
        let chain = Arc::new(TableChain {
            clock: Mutex::new(Some(ProofClock {
                epoch: 2,
                window_open: true,
            })),
            duties: Mutex::new(vec![ProofDuty {
                blob: held.id,
                index: 1,
                epoch: 2,
                chunk: 0,
                leaf: 0,
                column_root: [9; 32],
            }]),
            ..TableChain::default()
        });
        let node = test_node(store, chain.clone());
        let report = Prover::default().pass(&node).await;
        assert_eq!((report.due, report.unprovable, report.failed), (1, 1, 0));
        assert!(chain.proofs.lock().expect("not poisoned").is_empty());
        Ok(())
    }
}
