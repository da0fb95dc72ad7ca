-- A reorg's rollback announced in the event history itself.
--
-- `rollback_to` removes the events of orphaned blocks. A dApp that already read them (from
-- `/v1/events` or the push stream, which only move forward by id) must learn they are gone:
-- the rollback leaves one event of the indexer's own kind `ChainReorganized` in their place,
-- with the range of ids it removed. Event ids grow in chain order and are never reused, so
-- every removed id is above every kept one and below the notice's, and the canonical
-- blocks' events that follow have higher ids still: a reader drops what it holds in
-- [first_removed_id, last_removed_id] when it reaches the notice. The notice names every
-- account the removed events named (a stream filtered by account receives it when it
-- concerns that account), and the reads that filter by kind let it through
-- (`Store::events`). Its slot is the fork (`basalt.fork`, which the rollback's writer sets
-- for its transaction; else the block below the first removed one), so a deeper rollback
-- later removes it too and names its id within its own range. A deletion of notices alone
-- announces nothing.
CREATE FUNCTION notice_rollback() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_id BIGINT;
    last_id BIGINT;
    first_slot BIGINT;
    last_slot BIGINT;
    removed BIGINT;
    named TEXT[];
    fork BIGINT;
BEGIN
    SELECT min(id), max(id), min(slot), max(slot),
           count(*) FILTER (WHERE kind <> 'ChainReorganized')
        INTO first_id, last_id, first_slot, last_slot, removed FROM removed_events;
    IF removed = 0 THEN
        RETURN NULL;
    END IF;
    fork := coalesce(nullif(current_setting('basalt.fork', true), '')::bigint,
                     first_slot - 1);
    SELECT coalesce(array_agg(DISTINCT a ORDER BY a), '{}') INTO named
        FROM removed_events, unnest(accounts) AS a;
    INSERT INTO events (signature, event_index, slot, block_time, kind, payload, accounts)
    VALUES ('reorg:' || last_id, 0, fork, NULL, 'ChainReorganized',
            jsonb_build_object('first_removed_id', first_id, 'last_removed_id', last_id,
                               'removed', removed, 'first_removed_slot', first_slot,
                               'last_removed_slot', last_slot),
            named);
    RETURN NULL;
END $$;

CREATE TRIGGER events_removed AFTER DELETE ON events
    REFERENCING OLD TABLE AS removed_events
    FOR EACH STATEMENT EXECUTE FUNCTION notice_rollback();

-- The notice derives nothing.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled', 'DealSettled', 'JobOutputRegistered',
        'DatasetCreated', 'DatasetAccessChanged', 'DatasetGrantCreated', 'DatasetGrantRevoked',
        'VersionPublished', 'VersionRetracted', 'ProtocolBound', 'ObligationOpened',
        'ObligationClosed', 'ProviderCharged', 'JobOutputPublished', 'ChainReorganized'))
    EXECUTE FUNCTION apply_event();
