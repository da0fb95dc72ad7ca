//! Group commit: concurrent writes share one WAL sync.
//!
//! RocksDB's `FlushWAL(sync = true)` does not share syncs: a caller waits for the sync in
//! progress, then runs its own, even when the one it waited for already covered its write.
//! Under the node bench's fsync load (8 puts in flight), `strace -c` counted 1391
//! `fdatasync` calls for 1400 puts, each about 1 ms, one after the other.
//!
//! Here a write takes a ticket once it has returned. A sync that *starts* after a ticket
//! was handed out covers that write, so one sync releases every ticket issued before it
//! began, and a caller whose ticket is covered returns without syncing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Shares WAL syncs among concurrent writers.
pub struct GroupSync {
    // INV: tickets are handed out in order 1, 2, ...; ticket t is taken only after its
    // write returned, so a sync that starts after `issued` reached t covers that write.
    issued: AtomicU64,
    state: Mutex<SyncState>,
    finished: Condvar,
}

struct SyncState {
    // INV: at most one sync runs at a time, the one whose caller set this.
    running: bool,
    // INV: every ticket <= synced belongs to a write a successful sync covered.
    synced: u64,
}

impl GroupSync {
    /// No tickets, no syncs yet.
    pub fn new() -> Self {
        Self {
            issued: AtomicU64::new(0),
            state: Mutex::new(SyncState {
                running: false,
                synced: 0,
            }),
            finished: Condvar::new(),
        }
    }

    /// The ticket of a write that has just returned.
    pub fn ticket(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Returns once a successful sync has covered `ticket`: waits for the sync in
    /// progress, or runs `sync` itself when none is and the ticket is not yet covered.
    ///
    /// # Errors
    ///
    /// The error of the `sync` this caller ran. A caller that only waited never sees
    /// another caller's error: when that sync fails, it runs a sync of its own.
    pub fn wait<E>(&self, ticket: u64, sync: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        let mut state = self.lock();
        while state.running && state.synced < ticket {
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.synced >= ticket {
            return Ok(());
        }
        // No sync runs and none covered this ticket: this caller syncs. Every ticket issued
        // so far belongs to a write that has returned, so the sync about to start covers
        // all of them.
        let covers = self.issued.load(Ordering::Acquire);
        state.running = true;
        drop(state);
        let result = sync();
        let mut state = self.lock();
        state.running = false;
        if result.is_ok() {
            state.synced = state.synced.max(covers);
        }
        drop(state);
        self.finished.notify_all();
        result
    }

    fn lock(&self) -> MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    /// `threads` writers take their tickets, meet at a barrier, then wait on one
    /// `GroupSync` whose sync sleeps 5 ms and fails on the calls `fail_on` lists.
    /// Returns (number of syncs run, each writer's result).
    fn writers(threads: usize, fail_on: &'static [usize]) -> (usize, Vec<Result<(), String>>) {
        let group = Arc::new(GroupSync::new());
        let syncs = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (group, syncs, barrier) = (group.clone(), syncs.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let ticket = group.ticket();
                    barrier.wait();
                    group.wait(ticket, || {
                        let call = syncs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(5));
                        if fail_on.contains(&call) {
                            Err(format!("sync {call} failed"))
                        } else {
                            Ok(())
                        }
                    })
                })
            })
            .collect();
        let results = handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect();
        (syncs.load(Ordering::SeqCst), results)
    }

    #[test]
    fn writes_ticketed_before_a_sync_share_it() {
        let (syncs, results) = writers(8, &[]);
        assert_eq!(
            syncs, 1,
            "every ticket was issued before the first sync began"
        );
        assert!(results.iter().all(Result::is_ok));
    }

    #[test]
    fn a_failed_sync_fails_only_its_caller_and_the_others_sync_again() {
        let (syncs, results) = writers(8, &[0]);
        assert_eq!(syncs, 2, "one failed sync, then one that covers everybody");
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failed, [&"sync 0 failed".to_string()]);
    }

    #[test]
    fn a_write_after_a_sync_began_is_not_covered_by_it() {
        let group = GroupSync::new();
        let first = group.ticket();
        let mut second = None;
        group
            .wait(first, || {
                // A write that returns while the sync runs: this sync must not count for it.
                second = Some(group.ticket());
                Ok::<(), ()>(())
            })
            .expect("first sync");
        let second = second.expect("taken during the sync");
        let mut ran = false;
        group
            .wait(second, || {
                ran = true;
                Ok::<(), ()>(())
            })
            .expect("second sync");
        assert!(ran, "the later write needed a sync of its own");
        // Covered now: no further sync.
        group
            .wait(second, || -> Result<(), ()> { panic!("already covered") })
            .expect("covered");
    }
}
