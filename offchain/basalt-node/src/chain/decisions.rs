//! [`DecisionCache`]: recent read decisions, so a client fetching many shards of one blob
//! costs one chain read, not one per shard, and a node whose chain RPC hangs can still
//! serve the readers it admitted lately.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use basalt_core::{BlobId, Caller};
use basalt_rules::ReadDecision;

/// Recent read decisions: fresh for `ttl`, then stale (used only while the chain cannot
/// be read) until `stale_for` after they were read.
pub struct DecisionCache {
    ttl: Duration,
    stale_for: Duration,
    // INV: entries older than `stale_for` are never returned; the map is cleared when it
    // grows past CACHE_LIMIT, so memory stays bounded whatever callers ask.
    reads: Mutex<HashMap<ReadKey, (Instant, ReadDecision)>>,
}

/// A kept decision, by its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cached {
    /// Younger than the TTL: used as the chain's answer.
    Fresh(ReadDecision),
    /// Older: used only when the chain does not answer.
    Stale(ReadDecision),
}

const CACHE_LIMIT: usize = 100_000;

/// (blob, requester): what a cached read decision is about.
type ReadKey = (BlobId, Caller);

impl DecisionCache {
    /// A cache whose decisions are fresh for `ttl` and kept, stale, until `stale_for`
    /// (at least `ttl`).
    pub fn new(ttl: Duration, stale_for: Duration) -> Self {
        Self {
            ttl,
            stale_for: stale_for.max(ttl),
            reads: Mutex::new(HashMap::new()),
        }
    }

    fn reads(&self) -> std::sync::MutexGuard<'_, HashMap<ReadKey, (Instant, ReadDecision)>> {
        self.reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The decision kept about `requester` reading `blob`, if one is.
    pub fn get(&self, blob: &BlobId, requester: &Caller) -> Option<Cached> {
        let (at, decision) = *self.reads().get(&(*blob, *requester))?;
        let age = at.elapsed();
        if age < self.ttl {
            Some(Cached::Fresh(decision))
        } else if age < self.stale_for {
            Some(Cached::Stale(decision))
        } else {
            None
        }
    }

    /// Keeps `decision`, read from the chain now.
    pub fn put(&self, blob: &BlobId, requester: &Caller, decision: ReadDecision) {
        let mut cache = self.reads();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert((*blob, *requester), (Instant::now(), decision));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_is_fresh_then_stale_then_gone() {
        let cache = DecisionCache::new(Duration::from_millis(40), Duration::from_millis(120));
        let (blob, who) = (BlobId::from_bytes([1; 32]), Caller::Ed25519([2; 32]));
        assert_eq!(cache.get(&blob, &who), None);
        cache.put(&blob, &who, ReadDecision::Owner);
        assert_eq!(
            cache.get(&blob, &who),
            Some(Cached::Fresh(ReadDecision::Owner))
        );
        assert_eq!(
            cache.get(&blob, &Caller::Evm([3; 20])),
            None,
            "another requester"
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(
            cache.get(&blob, &who),
            Some(Cached::Stale(ReadDecision::Owner))
        );
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(cache.get(&blob, &who), None);
    }
}
