//! The chain's SQLite account mirror, answering reads only for accounts the SVM has not
//! loaded in this run.
//!
//! surfpool (1.3.1) keeps accounts in LiteSVM and mirrors each one into SQLite so that a
//! restarted chain has them; a read that misses the SVM falls back to the mirror and loads
//! what it finds into the SVM. But the mirror is written after the transaction that changed
//! the account, in a second step under its own lock. A transaction that closes an account
//! (its balance goes to 0) removes it from the SVM at once; a read that comes before the
//! mirror catches up finds it in the mirror only, takes it for an account not yet loaded,
//! and writes the old copy back into the SVM: the closed account is alive again with its
//! data from before, and no transaction says so. The local network's nodes read blob
//! accounts all the time, and blobs the S3 gateway had deleted came back this way.
//!
//! [`AccountMirror`] wraps the mirror: once an account has been written to it in this run,
//! the SVM holds that account for as long as it exists (the local chain never collects its
//! SVM, see `chain.rs`), so the mirror no longer answers reads for it. It answers for the
//! others as before: the accounts of an earlier run, until each is first read.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use solana_account::AccountSharedData;
use surfpool_core::storage::{Storage, StorageResult};

/// The account mirror with reads for accounts loaded in this run turned off.
pub(crate) struct AccountMirror {
    mirror: Box<dyn Storage<String, AccountSharedData>>,
    /// Accounts written to the mirror in this run; shared by the clones surfpool makes.
    // INV: every address here has been in the SVM in this run, and is there still unless
    // closed: the SVM is never collected (`chain::disable_builtin_dropping_gc`).
    loaded: Arc<RwLock<HashSet<String>>>,
}

impl AccountMirror {
    pub(crate) fn wrap(
        mirror: Box<dyn Storage<String, AccountSharedData>>,
    ) -> Box<dyn Storage<String, AccountSharedData>> {
        Box::new(Self {
            mirror,
            loaded: Arc::default(),
        })
    }

    fn is_loaded(&self, address: &str) -> bool {
        // A poisoned lock only means a writer panicked after its insert: the set is whole.
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded.contains(address)
    }

    fn loaded_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashSet<String>> {
        self.loaded.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Storage<String, AccountSharedData> for AccountMirror {
    fn store(&mut self, address: String, account: AccountSharedData) -> StorageResult<()> {
        self.loaded_mut().insert(address.clone());
        self.mirror.store(address, account)
    }

    fn clear(&mut self) -> StorageResult<()> {
        // surfpool clears the mirror only with a new, empty SVM.
        self.loaded_mut().clear();
        self.mirror.clear()
    }

    fn get(&self, address: &String) -> StorageResult<Option<AccountSharedData>> {
        if self.is_loaded(address) {
            // The SVM has it, or it was closed: the mirror's copy is never newer.
            return Ok(None);
        }
        self.mirror.get(address)
    }

    fn take(&mut self, address: &String) -> StorageResult<Option<AccountSharedData>> {
        self.mirror.take(address)
    }

    fn keys(&self) -> StorageResult<Vec<String>> {
        self.mirror.keys()
    }

    fn into_iter(
        &self,
    ) -> StorageResult<Box<dyn Iterator<Item = (String, AccountSharedData)> + '_>> {
        self.mirror.into_iter()
    }

    fn count(&self) -> StorageResult<u64> {
        self.mirror.count()
    }

    fn shutdown(&self) {
        self.mirror.shutdown();
    }

    fn clone_box(&self) -> Box<dyn Storage<String, AccountSharedData>> {
        Box::new(Self {
            mirror: self.mirror.clone_box(),
            loaded: Arc::clone(&self.loaded),
        })
    }
}
