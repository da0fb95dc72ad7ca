-- Undo records for events in blocks a reorg may still orphan (EVM chains; issue 34).
--
-- The derived tables change only through triggers on inserted events, forward. To take back
-- the events of orphaned blocks, every change those events make to a derived row is recorded
-- here with the row's image before and after, while the writer says so
-- (`basalt.undo = 'on'` for its transaction): `rollback_to` then replays the records
-- of the blocks above the fork in reverse, which leaves every derived table as it was before
-- those blocks, and removes their events, transactions and undecoded records. Records at or
-- below the finalized block are pruned as the writer learns of it: no reorg reaches them.
--
-- Solana and NEAR writes leave `basalt.undo` unset and record nothing.

CREATE TABLE undo_log (
    -- INV: ids grow in the order the changes were made; replaying them in reverse undoes them
    id      BIGSERIAL PRIMARY KEY,
    -- The slot (block number) of the event whose trigger made the change.
    slot    BIGINT NOT NULL,
    tbl     TEXT NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
    -- The row before (UPDATE, DELETE) and after (INSERT, UPDATE) the change.
    old_row JSONB,
    new_row JSONB
);
CREATE INDEX undo_log_slot ON undo_log (slot);

-- Fires first among the event's triggers (triggers of one event run in name order): names
-- the slot the derived changes that follow belong to.
CREATE FUNCTION undo_mark_slot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('basalt.undo_slot', NEW.slot::text, true);
    RETURN NULL;
END $$;

-- The WHEN clause is checked without calling the function: writes that record nothing
-- (Solana, NEAR) pay almost nothing for these triggers.
CREATE TRIGGER events_0_undo_slot AFTER INSERT ON events
    FOR EACH ROW WHEN (current_setting('basalt.undo', true) = 'on')
    EXECUTE FUNCTION undo_mark_slot();

CREATE FUNCTION undo_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO undo_log (slot, tbl, op, old_row, new_row)
    VALUES (current_setting('basalt.undo_slot')::bigint, TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;

-- Every derived table: what is not the raw record (events, transactions, undecoded), the
-- cursors or this log. A test checks that every table has this trigger, so a table a later
-- migration adds must create it too.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
          AND table_name NOT IN ('events', 'transactions', 'undecoded', 'cursors', 'undo_log',
                                 '_sqlx_migrations')
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW WHEN (current_setting(''basalt.undo'', true) = ''on'')
                        EXECUTE FUNCTION undo_record()', t || '_undo', t);
    END LOOP;
END $$;

-- `tbl`'s primary key columns, in key order.
CREATE FUNCTION undo_key_columns(tbl TEXT) RETURNS TEXT[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = tbl::regclass AND i.indisprimary
$$;

-- Every column of `tbl`, quoted and comma-separated, in table order.
CREATE FUNCTION undo_columns(tbl TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = tbl::regclass AND attnum > 0 AND NOT attisdropped
$$;

-- Takes back everything the events above block `fork` did, for the follower of `program`:
-- their derived changes in reverse, then the events, transactions and undecoded records
-- themselves, and moves the cursor back to the fork (`fork_block`, its hash). Returns how
-- many events it removed. Refuses a fork below the finalized block: those blocks' undo
-- records are pruned, and a chain that reorganizes them broke its own finality.
CREATE FUNCTION rollback_to(program TEXT, fork_block TEXT, fork BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    r undo_log;
    finalized BIGINT;
    key_match TEXT;
    removed BIGINT;
BEGIN
    SELECT finalized_slot INTO finalized FROM cursors WHERE program_id = program;
    IF fork < finalized THEN
        RAISE EXCEPTION 'a reorg to block % is below the finalized block %', fork, finalized;
    END IF;
    -- The changes below are the rollback's own, not new ones to record.
    PERFORM set_config('basalt.undo', 'off', true);
    FOR r IN SELECT * FROM undo_log WHERE slot > fork ORDER BY id DESC LOOP
        SELECT string_agg(format('t.%1$I IS NOT DISTINCT FROM k.%1$I', c), ' AND ')
            INTO key_match FROM unnest(undo_key_columns(r.tbl)) AS c;
        -- An update is undone in place, so rows referencing the row keep their reference.
        CASE r.op
        WHEN 'INSERT' THEN
            EXECUTE format('DELETE FROM %1$I t USING jsonb_populate_record(NULL::%1$I, $1) k
                            WHERE %2$s', r.tbl, key_match) USING r.new_row;
        WHEN 'UPDATE' THEN
            EXECUTE format('UPDATE %1$I t SET (%3$s) =
                                (SELECT %3$s FROM jsonb_populate_record(NULL::%1$I, $2))
                            FROM jsonb_populate_record(NULL::%1$I, $1) k WHERE %2$s',
                           r.tbl, key_match, undo_columns(r.tbl)) USING r.new_row, r.old_row;
        ELSE
            EXECUTE format('INSERT INTO %1$I SELECT * FROM jsonb_populate_record(NULL::%1$I, $1)',
                           r.tbl) USING r.old_row;
        END CASE;
    END LOOP;
    DELETE FROM undo_log WHERE slot > fork;
    DELETE FROM events WHERE slot > fork;
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM transactions WHERE slot > fork;
    DELETE FROM undecoded WHERE slot > fork;
    UPDATE cursors SET signature = fork_block, slot = fork, updated_at = now()
    WHERE program_id = program;
    RETURN removed;
END $$;
