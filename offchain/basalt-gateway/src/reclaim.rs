//! The end of a paid blob's life. A blob the gateway stores is pending in the index from
//! just before its registration ([`Pending`]) until the write that makes it part of an
//! object or an upload; a blob nothing holds any more goes to the index's trash in the
//! same write that drops it ([`crate::index`]). The [`Reclaimer`] deletes what is in the
//! trash from the network (its deal settled and refunded), retrying until the chain says
//! it is gone, across restarts: a crash, a failed put or a failed deletion leaves no blob
//! paid for and forgotten.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use basalt_sdk::BeforeRegister;
use tokio::sync::Notify;

use crate::auth::KeyRing;
use crate::index::{Index, IndexError, Trashed};
use crate::network::{Network, NetworkError};

/// How often the trash is gone through while it holds blobs whose deletion failed.
const RETRY: Duration = Duration::from_secs(10);
/// How often it is looked at otherwise (every write that fills it also wakes it).
const IDLE: Duration = Duration::from_secs(300);
/// A trashed blob that is not registered is kept this long: its registration may have
/// been sent just before the gateway stopped and still land (a transaction is valid for
/// about 150 slots, about a minute).
const REGISTRATION_WINDOW: u64 = 180;

#[derive(Debug, thiserror::Error)]
pub enum ReclaimError {
    #[error("no access key acts as wallet {0}, whose blob it is")]
    UnknownWallet(String),
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Deletes the trash's blobs from the network.
pub struct Reclaimer {
    index: Arc<Index>,
    network: Arc<Network>,
    keys: KeyRing,
    wake: Notify,
    /// Blobs being deleted now: a request's own deletion and the background pass must not
    /// both send one.
    busy: Mutex<HashSet<String>>,
}

impl Reclaimer {
    pub fn new(index: Arc<Index>, network: Arc<Network>, keys: KeyRing) -> Self {
        Self {
            index,
            network,
            keys,
            wake: Notify::new(),
            busy: Mutex::new(HashSet::new()),
        }
    }

    /// Tells the background pass ([`Reclaimer::run`]) that the trash has new blobs.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Goes through the trash at once, then after every [`Reclaimer::wake`] and on a
    /// timer; never returns.
    pub async fn run(self: Arc<Self>) {
        loop {
            let left = self.pass().await;
            let wait = if left > 0 { RETRY } else { IDLE };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Tries to delete every blob in the trash once; returns how many are left.
    async fn pass(&self) -> usize {
        let trash = match self.index.trash() {
            Ok(trash) => trash,
            Err(e) => {
                tracing::error!("reading the trash: {e}");
                return 1;
            }
        };
        let mut left = 0;
        for (blob, trashed) in trash {
            match self.reclaim(&blob, &trashed).await {
                Ok(true) => {}
                Ok(false) => left += 1,
                Err(e) => {
                    tracing::warn!(%blob, "deleting a discarded blob (retried): {e}");
                    left += 1;
                }
            }
        }
        left
    }

    /// Deletes `blobs` (in the trash) now, as part of a request; what fails stays in the
    /// trash for the background pass.
    pub async fn reclaim_now(&self, blobs: &[String]) {
        for blob in blobs {
            let trashed = match self.index.trashed(blob) {
                Ok(Some(trashed)) => trashed,
                // Already deleted by the background pass.
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(%blob, "reading the trash: {e}");
                    continue;
                }
            };
            match self.reclaim(blob, &trashed).await {
                Ok(true) => {}
                Ok(false) => self.wake(),
                Err(e) => {
                    tracing::warn!(%blob, "deleting a discarded blob (will be retried): {e}");
                    self.wake();
                }
            }
        }
    }

    /// Deletes `blob` and takes it out of the trash; returns whether it is out.
    async fn reclaim(&self, blob: &str, trashed: &Trashed) -> Result<bool, ReclaimError> {
        let Some(_claim) = Claim::take(&self.busy, blob) else {
            return Ok(false);
        };
        let wallet = self
            .keys
            .wallet_of(&trashed.owner)
            .ok_or_else(|| ReclaimError::UnknownWallet(trashed.owner.clone()))?;
        let existed = self.network.delete(&wallet, blob).await?;
        if existed {
            tracing::info!(%blob, "deleted a discarded blob (its deal refunded)");
        }
        let settled = crate::unix_now().saturating_sub(trashed.since);
        if existed || settled > REGISTRATION_WINDOW {
            self.index.forget(blob)?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// A blob in [`Reclaimer::busy`] while its claim lives.
struct Claim<'a> {
    busy: &'a Mutex<HashSet<String>>,
    blob: String,
}

impl<'a> Claim<'a> {
    fn take(busy: &'a Mutex<HashSet<String>>, blob: &str) -> Option<Self> {
        let fresh = busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(blob.to_owned());
        fresh.then(|| Self {
            busy,
            blob: blob.to_owned(),
        })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.blob);
    }
}

/// The blobs one store registers, each marked pending in the index just before its
/// registration is sent. If the store fails, [`Pending::discard`] puts them in the trash;
/// if it succeeds, the index write that holds its pieces takes them out of pending.
pub struct Pending {
    index: Arc<Index>,
    owner: String,
    blobs: Arc<Mutex<Vec<String>>>,
}

impl Pending {
    pub fn new(index: Arc<Index>, owner: &str) -> Self {
        Self {
            index,
            owner: owner.to_owned(),
            blobs: Arc::default(),
        }
    }

    /// The hook the SDK's put calls before each registration.
    pub fn hook(&self) -> BeforeRegister {
        let (index, owner, blobs) = (
            Arc::clone(&self.index),
            self.owner.clone(),
            Arc::clone(&self.blobs),
        );
        BeforeRegister(Arc::new(move |id| {
            let blob = id.to_string();
            index.pend(&blob, &owner).map_err(std::io::Error::other)?;
            tracing::info!(%blob, "registering a blob (pending until the index holds it)");
            blobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(blob);
            Ok(())
        }))
    }

    /// Every blob the store registered (or was about to) goes to the trash.
    ///
    /// # Errors
    ///
    /// The index's.
    pub fn discard(&self) -> Result<(), IndexError> {
        let blobs = std::mem::take(&mut *self.blobs.lock().unwrap_or_else(PoisonError::into_inner));
        self.index.discard(&self.owner, &blobs)
    }
}
