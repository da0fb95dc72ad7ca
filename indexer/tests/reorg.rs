//! Reorgs (EVM chains): blocks written above the finalized block are taken back exactly
//! when the chain orphans them, and the canonical ones applied, in one transaction.

use anyhow::{Context, Result};
use basalt_indexer::db::{BlockCursor, PageRequest, UnfinalizedBatch, REORG_NOTICE};
use basalt_indexer::record::TxRecord;
use basalt_indexer::Store;

use crate::common::{self, db::TempDb, snapshot};
use crate::store::{keys, scenario};

const PROGRAM: &str = "0x00000000000000000000000000000000000ba5a1";

/// The block a transaction of the test histories is in (one per block).
fn block(tx: &TxRecord) -> BlockCursor {
    BlockCursor {
        hash: format!("block{}", tx.slot),
        height: tx.slot,
    }
}

/// Writes `txs` as unfinalized blocks, `batch` at a time, nothing finalized.
async fn write(store: &Store, txs: &[TxRecord], batch: usize) -> Result<()> {
    for chunk in txs.chunks(batch) {
        let last = chunk.last().map(block).unwrap_or_else(|| unreachable!());
        let batch = UnfinalizedBatch {
            fork: None,
            txs: chunk,
            cursor: last,
            finalized: 0,
        };
        store.write_unfinalized_batch(PROGRAM, &batch).await?;
    }
    Ok(())
}

/// An index of `txs` written from scratch.
async fn fresh(txs: &[TxRecord]) -> Result<(TempDb, Store)> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    write(&store, txs, 5).await?;
    Ok((db, store))
}

#[tokio::test]
async fn a_reorg_takes_back_exactly_the_orphaned_blocks_and_applies_the_canonical_ones(
) -> Result<()> {
    let k = keys();
    let history = scenario(&k);
    let (_db, store) = fresh(&history).await?;
    // Forks from the first block (every event kind taken back) to the last but one.
    for kept in [1, history.len() / 3, history.len() / 2, history.len() - 1] {
        let (_expected_db, expected) = fresh(&history[..kept]).await?;
        let fork = block(&history[kept - 1]);
        // The reorg's canonical blocks: none here, so the index must equal the prefix.
        let batch = UnfinalizedBatch {
            fork: Some(fork.clone()),
            txs: &[],
            cursor: fork.clone(),
            finalized: 0,
        };
        store.write_unfinalized_batch(PROGRAM, &batch).await?;
        common::assert_same(
            &snapshot(expected.pool()).await?,
            &snapshot(store.pool()).await?,
        );
        // The canonical chain turns out to be the orphaned one again: applied in one batch,
        // the index equals the whole history's.
        let again = UnfinalizedBatch {
            fork: Some(fork),
            txs: &history[kept..],
            cursor: block(history.last().unwrap_or_else(|| unreachable!())),
            finalized: 0,
        };
        store.write_unfinalized_batch(PROGRAM, &again).await?;
        let (_whole_db, whole) = fresh(&history).await?;
        common::assert_same(
            &snapshot(whole.pool()).await?,
            &snapshot(store.pool()).await?,
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_failed_rollback_keeps_the_index_and_a_reorg_below_finality_is_refused() -> Result<()> {
    let k = keys();
    let history = scenario(&k);
    let (_db, store) = fresh(&history).await?;
    let before = snapshot(store.pool()).await?;
    // The canonical blocks carry an event no derivation knows: nothing happens, the
    // rollback included.
    let mut poisoned = history[3..5].to_vec();
    poisoned[0].events[0].1.kind = "NotAnEvent";
    let batch = UnfinalizedBatch {
        fork: Some(block(&history[2])),
        txs: &poisoned,
        cursor: block(&history[4]),
        finalized: 0,
    };
    let err = store
        .write_unfinalized_batch(PROGRAM, &batch)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no derivation for event kind"),
        "{err}"
    );
    common::assert_same(&before, &snapshot(store.pool()).await?);

    // The chain finalizes the first half; its undo records go, and a reorg into it is
    // refused rather than applied over a half-undone index.
    let middle = history.len() / 2;
    let head = block(history.last().unwrap_or_else(|| unreachable!()));
    let finalize = UnfinalizedBatch {
        fork: None,
        txs: &[],
        cursor: head.clone(),
        finalized: history[middle].slot,
    };
    store.write_unfinalized_batch(PROGRAM, &finalize).await?;
    let unfinalized: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE commitment = 'confirmed'")
            .fetch_one(store.pool())
            .await?;
    let later = history[middle + 1..]
        .iter()
        .map(|t| t.events.len())
        .sum::<usize>();
    assert_eq!(
        unfinalized,
        i64::try_from(later)?,
        "events above the finalized block"
    );
    let undo_below: i64 = sqlx::query_scalar("SELECT count(*) FROM undo_log WHERE slot <= $1")
        .bind(i64::try_from(history[middle].slot)?)
        .fetch_one(store.pool())
        .await?;
    assert_eq!(
        undo_below, 0,
        "undo records at or below the finalized block are pruned"
    );
    let deep = UnfinalizedBatch {
        fork: Some(block(&history[1])),
        txs: &[],
        cursor: block(&history[1]),
        finalized: history[middle].slot,
    };
    let err = store
        .write_unfinalized_batch(PROGRAM, &deep)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("below the finalized block"),
        "{err}"
    );
    assert_eq!(
        store.cursor(PROGRAM).await?.map(|c| c.slot),
        Some(head.height)
    );
    Ok(())
}

#[tokio::test]
async fn a_rollback_leaves_a_notice_of_the_events_it_took_back() -> Result<()> {
    let k = keys();
    let history = scenario(&k);
    let (_db, store) = fresh(&history).await?;
    let kept = history.len() / 2;
    let fork = block(&history[kept - 1]);
    let above = i64::try_from(fork.height)?;
    // What the rollback takes back, as a reader of the API may already hold it.
    let (first, last, count, first_slot): (i64, i64, i64, i64) =
        sqlx::query_as("SELECT min(id), max(id), count(*), min(slot) FROM events WHERE slot > $1")
            .bind(above)
            .fetch_one(store.pool())
            .await?;
    let named: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT a FROM events, unnest(accounts) AS a WHERE slot > $1 ORDER BY a",
    )
    .bind(above)
    .fetch_all(store.pool())
    .await?;
    let rollback = UnfinalizedBatch {
        fork: Some(fork.clone()),
        txs: &[],
        cursor: fork.clone(),
        finalized: 0,
    };
    store.write_unfinalized_batch(PROGRAM, &rollback).await?;

    // A reader past the kept events, filtering by any kind, meets the notice next.
    let after_kept = PageRequest {
        after: Some((first - 1).to_string()),
        limit: None,
    };
    let listed = store
        .events(Some("ProviderRegistered"), None, &after_kept)
        .await?;
    let notice = listed
        .items
        .first()
        .filter(|e| e.kind == REORG_NOTICE)
        .context("the notice passes a kind filter")?;
    assert!(notice.id > last, "after every id it removed");
    assert_eq!(
        (
            &notice.payload["first_removed_id"],
            &notice.payload["last_removed_id"],
            &notice.payload["removed"],
        ),
        (
            &serde_json::json!(first),
            &serde_json::json!(last),
            &serde_json::json!(count)
        )
    );
    assert_eq!(notice.slot, above, "the fork");
    assert!(first_slot > above);
    // Every account the removed events named sees it.
    for account in &named {
        let theirs = store.events(None, Some(account), &after_kept).await?;
        assert!(
            theirs.items.iter().any(|e| e.id == notice.id),
            "{account} is told"
        );
    }

    // The canonical blocks' events come after the notice, and a deeper rollback takes the
    // notice back with them and names its id.
    let again = UnfinalizedBatch {
        fork: Some(fork),
        txs: &history[kept..],
        cursor: block(history.last().unwrap_or_else(|| unreachable!())),
        finalized: 0,
    };
    store.write_unfinalized_batch(PROGRAM, &again).await?;
    let after_notice = PageRequest {
        after: Some(notice.id.to_string()),
        limit: None,
    };
    let reapplied = store.events(None, None, &after_notice).await?;
    assert_eq!(
        i64::try_from(reapplied.items.len())?,
        count,
        "the canonical events"
    );
    let deeper = block(&history[0]);
    store
        .write_unfinalized_batch(
            PROGRAM,
            &UnfinalizedBatch {
                fork: Some(deeper.clone()),
                txs: &[],
                cursor: deeper,
                finalized: 0,
            },
        )
        .await?;
    let notices: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (payload->>'first_removed_id')::bigint, (payload->>'last_removed_id')::bigint \
         FROM events WHERE kind = $1",
    )
    .bind(REORG_NOTICE)
    .fetch_all(store.pool())
    .await?;
    assert_eq!(notices.len(), 1, "the first notice went with its blocks");
    let (from, to) = notices[0];
    assert!(
        from <= notice.id && notice.id <= to,
        "{notices:?} names {}",
        notice.id
    );
    Ok(())
}

#[tokio::test]
async fn every_derived_table_records_its_changes_for_a_rollback() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    // A table a later migration adds without the undo trigger would survive a rollback.
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT t.table_name::text FROM information_schema.tables t \
         WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND t.table_name NOT IN ('events', 'transactions', 'undecoded', 'cursors', \
                                    'undo_log', '_sqlx_migrations') \
           AND NOT EXISTS (SELECT 1 FROM pg_trigger g \
                           WHERE g.tgrelid = t.table_name::regclass \
                             AND g.tgname = t.table_name || '_undo') \
         ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await?;
    assert!(
        missing.is_empty(),
        "derived tables without the undo trigger: {missing:?}"
    );
    Ok(())
}
