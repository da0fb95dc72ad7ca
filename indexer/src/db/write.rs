//! Writes one batch of transactions (their events, what did not decode, and the cursor)
//! in ONE PostgreSQL transaction.
//!
//! Exactly once: every row has a natural key (signature, position) and is inserted with
//! `ON CONFLICT DO NOTHING`; the derived tables change only through the trigger on newly
//! inserted events. A batch written twice (a crash after commit but before the follower
//! learned of it, or a cursor the RPC no longer knows) therefore changes nothing the
//! second time, and a crash before commit leaves nothing of the batch.

use sqlx::PgConnection;

use super::{to_sql, Store};
use crate::record::TxRecord;

/// How events are sent to PostgreSQL. `cargo bench -p basalt-indexer --bench ingest`
/// measures all three side by side; the follower uses [`InsertMethod::FASTEST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMethod {
    /// One `INSERT ... SELECT FROM UNNEST($arrays)` statement per batch.
    Unnest,
    /// `COPY` into a session temp table, then one `INSERT ... SELECT` from it (COPY itself
    /// cannot skip rows already stored).
    Copy,
    /// One `INSERT` per event: the baseline.
    RowByRow,
}

impl InsertMethod {
    /// The method the follower uses, chosen by the ingest benchmark: on 2 cores, with
    /// derived tables and cursor, 900-event batches, UNNEST 28.5-31.3k events/s, COPY
    /// 26.1-29.6k (its staging table costs a second pass), row-by-row 7.3-7.9k (3 runs).
    pub const FASTEST: Self = Self::Unnest;
}

/// The commitment a batch's events are stored with (the `events.commitment` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Commitment {
    /// Read at `confirmed`; the finality pass raises it later (Solana).
    Confirmed,
    /// Read from blocks already final (NEAR).
    Finalized,
}

impl Commitment {
    fn as_sql(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Finalized => "finalized",
        }
    }
}

/// What a batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Transactions not seen before.
    pub transactions: u64,
    /// Events not seen before (each applied once to the derived tables).
    pub events: u64,
    pub undecoded: u64,
}

/// The batch's events as column arrays, in chain order.
#[derive(Default)]
struct EventColumns {
    signature: Vec<String>,
    event_index: Vec<i32>,
    slot: Vec<i64>,
    block_time: Vec<Option<i64>>,
    kind: Vec<String>,
    payload: Vec<String>,
    /// Comma-joined: base58 has no commas, and UNNEST cannot take a ragged 2-D array.
    accounts: Vec<String>,
}

impl EventColumns {
    fn of(txs: &[TxRecord]) -> Self {
        let mut c = Self::default();
        for tx in txs {
            for (index, event) in &tx.events {
                c.signature.push(tx.signature.clone());
                c.event_index
                    .push(i32::try_from(*index).unwrap_or(i32::MAX));
                c.slot.push(to_sql(tx.slot));
                c.block_time.push(tx.block_time);
                c.kind.push(event.kind.to_owned());
                c.payload.push(event.payload.to_string());
                c.accounts.push(event.accounts.join(","));
            }
        }
        c
    }

    fn len(&self) -> usize {
        self.signature.len()
    }
}

const INSERT_EVENTS_UNNEST: &str = "\
    INSERT INTO events (signature, event_index, slot, block_time, kind, payload, accounts, \
                        commitment) \
    SELECT signature, event_index, slot, to_timestamp(block_time), kind, payload::jsonb, \
           string_to_array(accounts, ','), $8 \
    FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], \
                $7::text[]) WITH ORDINALITY \
         AS u(signature, event_index, slot, block_time, kind, payload, accounts, ord) \
    ORDER BY ord \
    ON CONFLICT (signature, event_index) DO NOTHING";

const INSERT_EVENT_ROW: &str = "\
    INSERT INTO events (signature, event_index, slot, block_time, kind, payload, accounts, \
                        commitment) \
    VALUES ($1, $2, $3, to_timestamp($4), $5, $6::jsonb, string_to_array($7, ','), $8) \
    ON CONFLICT (signature, event_index) DO NOTHING";

impl Store {
    /// Writes `txs` (in chain order) and moves the cursor of `program_id` to the last one,
    /// all in one transaction, with the follower's insert method.
    ///
    /// # Errors
    ///
    /// When PostgreSQL refuses or the connection drops: nothing of the batch is kept.
    pub async fn write_batch(
        &self,
        program_id: &str,
        txs: &[TxRecord],
    ) -> Result<Written, sqlx::Error> {
        self.write_batch_with(program_id, txs, InsertMethod::FASTEST)
            .await
    }

    /// [`Store::write_batch`] with a chosen insert method (the ingest benchmark).
    ///
    /// # Errors
    ///
    /// As [`Store::write_batch`].
    pub async fn write_batch_with(
        &self,
        program_id: &str,
        txs: &[TxRecord],
        method: InsertMethod,
    ) -> Result<Written, sqlx::Error> {
        let Some(last) = txs.last() else {
            return Ok(Written::default());
        };
        let mut db = self.pool.begin().await?;
        let written = insert_records(&mut db, txs, method, Commitment::Confirmed).await?;
        move_cursor(&mut db, program_id, &last.signature, last.slot, None).await?;
        db.commit().await?;
        Ok(written)
    }

    /// Writes `txs` (in chain order), read from blocks that are already final, and moves
    /// the cursor of `program_id` to `cursor`, all in one transaction: the NEAR follower's
    /// write. The events are stored `finalized` and the cursor's finalized watermark is its
    /// height, since no finalization pass will come back for them. `txs` may be empty: a
    /// batch of blocks without Basalt transactions still moves the cursor.
    ///
    /// # Errors
    ///
    /// When PostgreSQL refuses or the connection drops: nothing of the batch is kept.
    pub async fn write_final_batch(
        &self,
        program_id: &str,
        txs: &[TxRecord],
        cursor: &BlockCursor,
    ) -> Result<Written, sqlx::Error> {
        let mut db = self.pool.begin().await?;
        let written =
            insert_records(&mut db, txs, InsertMethod::FASTEST, Commitment::Finalized).await?;
        move_cursor(
            &mut db,
            program_id,
            &cursor.hash,
            cursor.height,
            Some(cursor.height),
        )
        .await?;
        db.commit().await?;
        Ok(written)
    }
}

/// Where a batch of final blocks ends (NEAR): the last height read and the hash of the
/// newest block in the batch (heights can be skipped, so the last height may have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCursor {
    pub hash: String,
    pub height: u64,
}

/// Moves the cursor of `program_id` to (`signature`, `slot`) and raises its finalized
/// watermark to `finalized_slot` when given.
// INV: the cursor only moves forward, and only with the rows it covers (same transaction).
pub(super) async fn move_cursor(
    db: &mut PgConnection,
    program_id: &str,
    signature: &str,
    slot: u64,
    finalized_slot: Option<u64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cursors (program_id, signature, slot, finalized_slot) \
         VALUES ($1, $2, $3, coalesce($4, 0)) \
         ON CONFLICT (program_id) DO UPDATE SET signature = EXCLUDED.signature, \
             slot = EXCLUDED.slot, \
             finalized_slot = GREATEST(cursors.finalized_slot, EXCLUDED.finalized_slot), \
             updated_at = now() \
         WHERE cursors.slot <= EXCLUDED.slot",
    )
    .bind(program_id)
    .bind(signature)
    .bind(to_sql(slot))
    .bind(finalized_slot.map(to_sql))
    .execute(db)
    .await?;
    Ok(())
}

/// The transactions, events and undecoded records of a batch, inside its transaction.
pub(super) async fn insert_records(
    db: &mut PgConnection,
    txs: &[TxRecord],
    method: InsertMethod,
    commitment: Commitment,
) -> Result<Written, sqlx::Error> {
    if txs.is_empty() {
        return Ok(Written::default());
    }
    let transactions = insert_transactions(db, txs).await?;
    let columns = EventColumns::of(txs);
    let events = match method {
        InsertMethod::Unnest => insert_events_unnest(db, &columns, commitment).await?,
        InsertMethod::Copy => insert_events_copy(db, &columns, commitment).await?,
        InsertMethod::RowByRow => insert_events_rows(db, &columns, commitment).await?,
    };
    let undecoded = insert_undecoded(db, txs).await?;
    Ok(Written {
        transactions,
        events,
        undecoded,
    })
}

async fn insert_transactions(db: &mut PgConnection, txs: &[TxRecord]) -> Result<u64, sqlx::Error> {
    let signature: Vec<&str> = txs.iter().map(|t| t.signature.as_str()).collect();
    let slot: Vec<i64> = txs.iter().map(|t| to_sql(t.slot)).collect();
    let block_time: Vec<Option<i64>> = txs.iter().map(|t| t.block_time).collect();
    let error: Vec<Option<&str>> = txs.iter().map(|t| t.error.as_deref()).collect();
    let count: Vec<i32> = txs
        .iter()
        .map(|t| i32::try_from(t.events.len()).unwrap_or(i32::MAX))
        .collect();
    Ok(sqlx::query(
        "INSERT INTO transactions (signature, slot, block_time, error, event_count) \
         SELECT signature, slot, to_timestamp(block_time), error, event_count \
         FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::int[]) \
              AS u(signature, slot, block_time, error, event_count) \
         ON CONFLICT (signature) DO NOTHING",
    )
    .bind(signature)
    .bind(slot)
    .bind(block_time)
    .bind(error)
    .bind(count)
    .execute(db)
    .await?
    .rows_affected())
}

async fn insert_events_unnest(
    db: &mut PgConnection,
    c: &EventColumns,
    commitment: Commitment,
) -> Result<u64, sqlx::Error> {
    if c.len() == 0 {
        return Ok(0);
    }
    Ok(sqlx::query(INSERT_EVENTS_UNNEST)
        .bind(&c.signature)
        .bind(&c.event_index)
        .bind(&c.slot)
        .bind(&c.block_time)
        .bind(&c.kind)
        .bind(&c.payload)
        .bind(&c.accounts)
        .bind(commitment.as_sql())
        .execute(db)
        .await?
        .rows_affected())
}

async fn insert_events_rows(
    db: &mut PgConnection,
    c: &EventColumns,
    commitment: Commitment,
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for i in 0..c.len() {
        inserted += sqlx::query(INSERT_EVENT_ROW)
            .bind(&c.signature[i])
            .bind(c.event_index[i])
            .bind(c.slot[i])
            .bind(c.block_time[i])
            .bind(&c.kind[i])
            .bind(&c.payload[i])
            .bind(&c.accounts[i])
            .bind(commitment.as_sql())
            .execute(&mut *db)
            .await?
            .rows_affected();
    }
    Ok(inserted)
}

async fn insert_events_copy(
    db: &mut PgConnection,
    c: &EventColumns,
    commitment: Commitment,
) -> Result<u64, sqlx::Error> {
    if c.len() == 0 {
        return Ok(0);
    }
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS events_in ( \
             ord BIGINT, signature TEXT, event_index INT, slot BIGINT, block_time BIGINT, \
             kind TEXT, payload TEXT, accounts TEXT) ON COMMIT DELETE ROWS",
    )
    .execute(&mut *db)
    .await?;
    let mut text = String::with_capacity(c.len() * 256);
    for i in 0..c.len() {
        let time = c.block_time[i].map_or_else(|| "\\N".to_owned(), |t| t.to_string());
        text.push_str(&format!(
            "{i}\t{}\t{}\t{}\t{time}\t{}\t{}\t{}\n",
            copy_escape(&c.signature[i]),
            c.event_index[i],
            c.slot[i],
            copy_escape(&c.kind[i]),
            copy_escape(&c.payload[i]),
            copy_escape(&c.accounts[i]),
        ));
    }
    let mut copy = db
        .copy_in_raw("COPY events_in FROM STDIN (FORMAT text)")
        .await?;
    copy.send(text.as_bytes()).await?;
    copy.finish().await?;
    Ok(sqlx::query(
        "INSERT INTO events (signature, event_index, slot, block_time, kind, payload, accounts, \
                             commitment) \
         SELECT signature, event_index, slot, to_timestamp(block_time), kind, payload::jsonb, \
                string_to_array(accounts, ','), $1 \
         FROM events_in ORDER BY ord \
         ON CONFLICT (signature, event_index) DO NOTHING",
    )
    .bind(commitment.as_sql())
    .execute(&mut *db)
    .await?
    .rows_affected())
}

/// Escapes a value for COPY's text format.
fn copy_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

async fn insert_undecoded(db: &mut PgConnection, txs: &[TxRecord]) -> Result<u64, sqlx::Error> {
    let rows: Vec<_> = txs
        .iter()
        .flat_map(|t| t.undecoded.iter().map(move |u| (t, u)))
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let signature: Vec<&str> = rows.iter().map(|(t, _)| t.signature.as_str()).collect();
    let index: Vec<i32> = rows
        .iter()
        .map(|(_, u)| i32::try_from(u.inner_index).unwrap_or(i32::MAX))
        .collect();
    let slot: Vec<i64> = rows.iter().map(|(t, _)| to_sql(t.slot)).collect();
    let reason: Vec<&str> = rows.iter().map(|(_, u)| u.reason.as_str()).collect();
    let data: Vec<&[u8]> = rows.iter().map(|(_, u)| u.data.as_slice()).collect();
    Ok(sqlx::query(
        "INSERT INTO undecoded (signature, inner_index, slot, reason, data) \
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::text[], $5::bytea[]) \
         ON CONFLICT (signature, inner_index) DO NOTHING",
    )
    .bind(signature)
    .bind(index)
    .bind(slot)
    .bind(reason)
    .bind(data)
    .execute(db)
    .await?
    .rows_affected())
}
