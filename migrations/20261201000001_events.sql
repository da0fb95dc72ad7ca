-- The indexer's raw record: every transaction of the program it has processed, every event
-- those transactions emitted, what could not be decoded, and where it stopped (the cursor).
--
-- INV: events, the derived tables (next migration) and the cursor only ever change together,
-- in one PostgreSQL transaction per batch, so a crash leaves either all of a batch or none.

-- Where following stopped: the newest processed transaction of the program.
CREATE TABLE cursors (
    program_id     TEXT PRIMARY KEY,
    signature      TEXT NOT NULL,
    slot           BIGINT NOT NULL,
    -- Every event at or below this slot has been checked finalized.
    finalized_slot BIGINT NOT NULL DEFAULT 0,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every processed transaction of the program, failed ones included (they emit nothing but
-- advance the cursor).
CREATE TABLE transactions (
    signature   TEXT PRIMARY KEY,
    slot        BIGINT NOT NULL,
    block_time  TIMESTAMPTZ,
    -- The transaction's error when it failed on chain; failed transactions have no events.
    error       TEXT,
    event_count INT NOT NULL
);
CREATE INDEX transactions_slot ON transactions (slot);

-- Every decoded event, in chain order.
CREATE TABLE events (
    -- INV: ids grow in chain order: (slot, position of the transaction in its block,
    -- position of the event in its transaction). Gaps are possible, reordering is not.
    id          BIGSERIAL PRIMARY KEY,
    signature   TEXT NOT NULL,
    -- Position of the event among its transaction's events.
    event_index INT NOT NULL,
    slot        BIGINT NOT NULL,
    block_time  TIMESTAMPTZ,
    -- The event's type name in the program (`BlobRegistered`, ...).
    kind        TEXT NOT NULL,
    -- The event's fields by their Rust names; addresses base58, hashes hex, CIDs as CID text.
    payload     JSONB NOT NULL,
    -- Every address the event names, for subscriptions and filters.
    accounts    TEXT[] NOT NULL,
    commitment  TEXT NOT NULL DEFAULT 'confirmed'
        CHECK (commitment IN ('confirmed', 'finalized')),
    -- INV: one row per (transaction, event): inserting an event twice is a no-op, which is
    -- what makes replays and restarts exactly-once.
    UNIQUE (signature, event_index)
);
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_accounts ON events USING GIN (accounts);
CREATE INDEX events_unfinalized ON events (slot) WHERE commitment = 'confirmed';

-- Inner instructions that carried the event tag but did not decode (a newer program, or a
-- corrupt record): kept, counted and reported, never silently dropped.
CREATE TABLE undecoded (
    signature   TEXT NOT NULL,
    -- Position of the inner instruction in the transaction's inner-instruction list.
    inner_index INT NOT NULL,
    slot        BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (signature, inner_index)
);
