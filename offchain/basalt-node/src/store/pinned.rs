//! A value as RocksDB returned it, kept pinned until the last reader drops it, so a shard is
//! served without copying it out of RocksDB's buffer.
//!
//! Without a blob cache, RocksDB reads a blob into a buffer it hands to the pinnable slice
//! (`PinOwnedBlob`); copying that buffer into a response body cost one more memcpy of every
//! shard served (`docs/benchmarks.md` has what serving the pinned buffer gained).
//! The slice borrows the database, so it is kept in one cell with an `Arc` of the database
//! that outlives it (`self_cell` makes that self-reference safe).

use std::sync::Arc;

use rocksdb::{DBPinnableSlice, DB};

type Slice<'a> = DBPinnableSlice<'a>;

self_cell::self_cell!(
    /// A pinned RocksDB value together with the database it borrows from.
    pub struct PinnedValue {
        owner: Arc<DB>,
        #[covariant]
        dependent: Slice,
    }
);

impl PinnedValue {
    /// Reads `key` from column family `cf` of `db`; `Ok(None)` when it is absent.
    ///
    /// # Errors
    ///
    /// RocksDB's error (I/O, a checksum failure).
    ///
    /// # Panics
    ///
    /// If the column family does not exist (the store creates every one at open).
    pub fn read(db: Arc<DB>, cf: &str, key: &[u8]) -> Result<Option<Self>, rocksdb::Error> {
        let read = Self::try_new(db, |db| {
            let handle = db
                .cf_handle(cf)
                .expect("every column family is created at open");
            match db.get_pinned_cf(handle, key) {
                Ok(Some(slice)) => Ok(slice),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            }
        });
        match read {
            Ok(value) => Ok(Some(value)),
            Err(None) => Ok(None),
            Err(Some(e)) => Err(e),
        }
    }
}

impl AsRef<[u8]> for PinnedValue {
    fn as_ref(&self) -> &[u8] {
        self.borrow_dependent()
    }
}

impl std::fmt::Debug for PinnedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinnedValue({} bytes)", self.as_ref().len())
    }
}
