//! The store against a real RocksDB in a temporary directory.

use super::engine::check_direct_io;
use super::*;
use basalt_core::{encode_blob, BlobManifest};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The id of the test owner's blob of `m`'s content (the store keys by id only).
fn id_of(m: &BlobManifest) -> BlobId {
    BlobId::from_bytes(basalt_core::proof::blob_id(b"owner", m.cid.digest()))
}

/// Every (header, data) of a random blob, chunk-major.
fn shards(size: usize, chunk: u32, k: u16, m: u16) -> (BlobManifest, Vec<(ShardHeader, Vec<u8>)>) {
    let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let mut chunks = Vec::new();
    let manifest = encode_blob(&data, chunk, k, m, None, |c| chunks.push(c)).expect("encode");
    let mut out = Vec::new();
    for c in &chunks {
        for (j, s) in c.shards().enumerate() {
            let header = manifest
                .shard_header(id_of(&manifest), c.index, j as u16)
                .expect("indices from the encoder");
            out.push((header, s.to_vec()));
        }
    }
    (manifest, out)
}

fn open(dir: &Path, capacity: u64) -> ShardStore {
    ShardStore::open(dir, capacity, SyncPolicy::Fsync).expect("open store")
}

#[test]
fn put_get_is_idempotent_and_conflicts_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (_, all) = shards(50_000, 32 << 10, 3, 2);
    let (h, d) = &all[0];
    assert_eq!(
        store.put(&ShardUpload::new(h, d), [1; 32], 5)?,
        PutOutcome::Stored
    );
    assert_eq!(
        store.put(&ShardUpload::new(h, d), [1; 32], 6)?,
        PutOutcome::AlreadyStored
    );
    let got = store.get(&ShardKey::of(h))?.expect("stored");
    assert_eq!(
        (got.data(), got.uploader, got.stored_at_ms),
        (d.as_slice(), [1; 32], 5)
    );
    assert_eq!(store.usage().shards, 1);
    assert_eq!(store.usage().used_bytes, d.len() as u64);

    // Same position, different content.
    let mut other = *h;
    other.shard_root = all[1].0.shard_root;
    assert!(matches!(
        store.put(&ShardUpload::new(&other, &all[1].1), [1; 32], 7),
        Err(StoreError::Conflict)
    ));
    // Data that does not hash to its header's root.
    let mut bad = d.clone();
    bad[0] ^= 1;
    assert!(matches!(
        store.put(&ShardUpload::new(&all[2].0, &bad), [1; 32], 7),
        Err(StoreError::Invalid(_))
    ));
    Ok(())
}

/// Direct I/O flushes plus a blob cache: shards flushed to blob files are served from
/// the cache and, after a restart (empty cache), read back from the files. Where the
/// filesystem refuses O_DIRECT, opening must fail with the error that says so.
#[test]
fn a_tuned_store_serves_flushed_shards_from_cache_and_from_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let tuning = StoreTuning {
        direct_io_flush: true,
        blob_cache_bytes: 8 << 20,
    };
    let store = match ShardStore::open_tuned(dir.path(), u64::MAX, SyncPolicy::Fsync, tuning) {
        Err(StoreError::DirectIoUnsupported { .. }) => {
            assert!(check_direct_io(dir.path()).is_err(), "the probe agrees");
            return Ok(());
        }
        other => other?,
    };
    let (_, all) = shards(200_000, 64 << 10, 4, 2);
    for (h, d) in &all {
        store.put(&ShardUpload::new(h, d), [3; 32], 1)?;
    }
    store.flush()?;
    for (h, d) in &all {
        let got = store.get(&ShardKey::of(h))?.expect("stored");
        assert_eq!(got.data(), d.as_slice());
    }
    drop(store);
    let store = ShardStore::open_tuned(dir.path(), u64::MAX, SyncPolicy::Fsync, tuning)?;
    for (h, d) in &all {
        let got = store.get(&ShardKey::of(h))?.expect("survives a restart");
        assert_eq!(got.data(), d.as_slice());
    }
    Ok(())
}

/// Sum of the sizes of the WAL files (`*.log`) in `dir`.
fn wal_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.path().extension().is_some_and(|e| e == "log") {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

#[test]
fn old_write_ahead_logs_are_deleted_past_the_bound() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    // 240 MB of data in RS(10, 4): 336 MB of shards, more than the bound.
    let (_, all) = shards(240 << 20, 4 << 20, 10, 4);
    let written: u64 = all.iter().map(|(_, d)| d.len() as u64).sum();
    for (h, d) in &all {
        store.put(&ShardUpload::new(h, d), [1; 32], 5)?;
    }
    let wal = wal_bytes(dir.path())?;
    assert!(written > MAX_TOTAL_WAL_BYTES, "{written}");
    // The bound, plus the WAL file being written when the flush it triggered began.
    assert!(
        wal <= MAX_TOTAL_WAL_BYTES + (64 << 20),
        "{wal} bytes of WAL after {written} bytes of shards"
    );
    drop(store);
    let store = open(dir.path(), u64::MAX);
    assert_eq!(store.usage().shards, all.len() as u64);
    let (h, d) = &all[0];
    assert_eq!(store.get(&ShardKey::of(h))?.expect("stored").data(), d);
    Ok(())
}

#[test]
fn get_if_reads_data_only_when_the_predicate_admits_the_uploader() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (_, all) = shards(50_000, 32 << 10, 3, 2);
    let (h, d) = &all[0];
    store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
    let key = ShardKey::of(h);
    // Damage the data: a lookup that does not read it cannot notice.
    let mut flipped = d.clone();
    flipped[7] ^= 1;
    store
        .db
        .put_cf(store.cf(CF_SHARDS), key.encode(), &flipped)?;
    match store.get_if(&key, |uploader| *uploader == [2; 32])? {
        Lookup::Withheld { header, uploader } => {
            assert_eq!((header, uploader), (*h, [1; 32]));
        }
        other => panic!("expected the data withheld, got {other:?}"),
    }
    assert!(store.repair_queue()?.is_empty(), "nothing was read");
    assert!(matches!(
        store.get_if(&key, |uploader| *uploader == [1; 32]),
        Err(StoreError::Corrupt(_))
    ));
    // Healed by a fresh upload, the uploader gets it in one call.
    store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
    match store.get_if(&key, |uploader| *uploader == [1; 32])? {
        Lookup::Found(shard) => assert_eq!(shard.data(), d.as_slice()),
        other => panic!("expected the shard, got {other:?}"),
    }
    let absent = ShardKey::of(&all[1].0);
    assert!(matches!(store.get_if(&absent, |_| true)?, Lookup::Missing));
    Ok(())
}

#[test]
fn capacity_is_enforced_and_survives_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, all) = shards(50_000, 32 << 10, 3, 2);
    let len = all[0].1.len() as u64;
    {
        let store = open(dir.path(), 2 * len);
        store.put(&ShardUpload::new(&all[0].0, &all[0].1), [1; 32], 0)?;
        store.put(&ShardUpload::new(&all[1].0, &all[1].1), [1; 32], 0)?;
        assert!(matches!(
            store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0),
            Err(StoreError::Full { .. })
        ));
    }
    let store = open(dir.path(), 2 * len);
    assert_eq!(store.usage().used_bytes, 2 * len);
    assert!(matches!(
        store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0),
        Err(StoreError::Full { .. })
    ));
    assert!(store.delete(&ShardKey::of(&all[0].0))?);
    store.put(&ShardUpload::new(&all[2].0, &all[2].1), [1; 32], 0)?;
    Ok(())
}

#[test]
fn corrupt_data_or_metadata_is_reported_queued_and_healed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (_, all) = shards(50_000, 32 << 10, 3, 2);
    for (h, d) in &all[..2] {
        store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
    }
    let (k0, k1) = (ShardKey::of(&all[0].0), ShardKey::of(&all[1].0));
    let mut flipped = all[0].1.clone();
    flipped[100] ^= 1;
    store
        .db
        .put_cf(store.cf(CF_SHARDS), k0.encode(), &flipped)?;
    let mut meta = store
        .db
        .get_cf(store.cf(CF_META), k1.encode())?
        .expect("meta");
    meta[70] ^= 1; // inside the header's shard root: its checksum no longer matches
    store.db.put_cf(store.cf(CF_META), k1.encode(), &meta)?;

    assert!(matches!(store.get(&k0), Err(StoreError::Corrupt(_))));
    assert!(matches!(store.get(&k1), Err(StoreError::Corrupt(_))));
    assert!(matches!(store.head(&k1), Err(StoreError::Corrupt(_))));
    let queued: Vec<ShardKey> = store.repair_queue()?.into_iter().map(|(k, _)| k).collect();
    assert_eq!(queued, vec![k0, k1]);

    // Re-uploading the verified shard replaces the damaged copy and clears the mark.
    assert_eq!(
        store.put(&ShardUpload::new(&all[0].0, &all[0].1), [1; 32], 0)?,
        PutOutcome::Stored
    );
    assert_eq!(
        store.put(&ShardUpload::new(&all[1].0, &all[1].1), [1; 32], 0)?,
        PutOutcome::Stored
    );
    assert_eq!(store.get(&k0)?.expect("healed").data(), all[0].1.as_slice());
    assert!(store.repair_queue()?.is_empty());
    assert_eq!(store.usage().shards, 2);
    Ok(())
}

#[test]
fn a_damaged_digest_is_corruption_and_digestless_records_are_checked_by_root() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (_, all) = shards(50_000, 32 << 10, 3, 2);
    for (h, d) in &all[..3] {
        store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
    }
    let keys: Vec<ShardKey> = all[..3].iter().map(|(h, _)| ShardKey::of(h)).collect();
    let meta_of = |k: &ShardKey| -> Result<Vec<u8>, StoreError> {
        Ok(store
            .db
            .get_cf(store.cf(CF_META), k.encode())?
            .expect("meta"))
    };

    // The digest itself damaged: the data is intact, but nothing vouches for it.
    let mut meta = meta_of(&keys[0])?;
    assert_eq!(meta.len(), META_LEN);
    meta[META_LEN - 1] ^= 0x80;
    store
        .db
        .put_cf(store.cf(CF_META), keys[0].encode(), &meta)?;
    assert!(matches!(store.get(&keys[0]), Err(StoreError::Corrupt(_))));

    // Records written before the digest was kept are read, and checked by Merkle root.
    for k in &keys[1..] {
        let meta = meta_of(k)?;
        store
            .db
            .put_cf(store.cf(CF_META), k.encode(), &meta[..META_LEN_NO_DIGEST])?;
    }
    assert_eq!(store.get(&keys[1])?.expect("stored").data(), &all[1].1[..]);
    let mut flipped = all[2].1.clone();
    flipped[7] ^= 1;
    store
        .db
        .put_cf(store.cf(CF_SHARDS), keys[2].encode(), &flipped)?;
    assert!(matches!(store.get(&keys[2]), Err(StoreError::Corrupt(_))));

    let queued: Vec<ShardKey> = store.repair_queue()?.into_iter().map(|(k, _)| k).collect();
    assert_eq!(queued, vec![keys[0], keys[2]]);
    Ok(())
}

#[test]
fn blobs_are_indexed_and_deleted_whole() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (m1, a) = shards(70_000, 32 << 10, 2, 1);
    let (m2, b) = shards(10_000, 32 << 10, 2, 1);
    for (h, d) in a.iter().chain(&b) {
        store.put(&ShardUpload::new(h, d), [9; 32], 42)?;
    }
    let mut blobs: Vec<BlobId> = store.blobs()?.into_iter().map(|e| e.blob).collect();
    blobs.sort();
    let mut expected = vec![id_of(&m1), id_of(&m2)];
    expected.sort();
    assert_eq!(blobs, expected);
    assert_eq!(store.shards_of(&id_of(&m1))?.len(), a.len());
    assert_eq!(store.delete_blob(&id_of(&m1))?, a.len());
    assert!(store.shards_of(&id_of(&m1))?.is_empty());
    assert_eq!(store.blobs()?.len(), 1);
    assert_eq!(store.usage().shards, b.len() as u64);
    Ok(())
}

#[test]
fn leaf_proofs_verify_with_the_on_chain_check() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path(), u64::MAX);
    let (manifest, all) = shards(200_000, 32 << 10, 3, 2);
    let column = 4u16;
    for (h, d) in all.iter().filter(|(h, _)| h.shard == column) {
        store.put(&ShardUpload::new(h, d), [1; 32], 0)?;
    }
    let layout = *manifest.layout();
    let column_root = manifest.commitment.column_roots()[usize::from(column)];
    for (chunk, leaf) in [(0, 1), (layout.chunk_count() - 1, 0)] {
        let key = ShardKey {
            blob: id_of(&manifest),
            chunk,
            shard: column,
        };
        let proof = store.leaf_proof(&key, leaf)?;
        assert_eq!(proof.column_root, column_root);
        basalt_core::proof::verify_storage_proof(
            &layout,
            &column_root,
            chunk,
            leaf,
            &proof.leaf,
            &proof.path,
        )?;
    }
    let past_the_end = ShardKey {
        blob: id_of(&manifest),
        chunk: 0,
        shard: column,
    };
    assert!(matches!(
        store.leaf_proof(&past_the_end, 1 << 20),
        Err(StoreError::OutOfRange(_))
    ));
    // A column with a chunk missing cannot be proven from this node.
    store.delete(&ShardKey {
        blob: id_of(&manifest),
        chunk: 1,
        shard: column,
    })?;
    let key = ShardKey {
        blob: id_of(&manifest),
        chunk: 0,
        shard: column,
    };
    assert!(matches!(
        store.leaf_proof(&key, 3),
        Err(StoreError::OutOfRange(_))
    ));
    Ok(())
}
