-- A holder silent past the configuration's offline_ticks loses its shards to repair before
-- the proof it would miss (issue 29: shard_evict, ShardEvicted).
--
-- placements.evicted_slot: the slot (NEAR: block) of the ShardEvicted that took the index
-- from its holder; the acceptance ends with it and the index awaits repair. A new
-- ShardPlaced clears it. A ShardReleased now marks the index for repair too, as the chain
-- does (it only ended the acceptance here before).
ALTER TABLE placements ADD COLUMN evicted_slot BIGINT;

UPDATE placements SET needs_repair = true
WHERE released_slot IS NOT NULL;

CREATE OR REPLACE FUNCTION apply_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'ShardPlaced' THEN
        UPDATE placements SET accepted_slot = NULL, released_slot = NULL, accepted_price = NULL,
            evicted_slot = NULL
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int;
    WHEN 'ShardAccepted' THEN
        UPDATE placements SET accepted_slot = NEW.slot,
            assigned_epoch = (p->>'assigned_epoch')::bigint,
            accepted_price = (p->>'price_per_shard_epoch')::numeric
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int
          AND holder = p->>'provider';
    WHEN 'ShardReleased' THEN
        UPDATE placements SET accepted_slot = NULL, released_slot = NEW.slot, needs_repair = true
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int
          AND holder = p->>'provider';
    WHEN 'ShardEvicted' THEN
        UPDATE placements SET accepted_slot = NULL, evicted_slot = NEW.slot, needs_repair = true
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int
          AND holder = p->>'provider';
    WHEN 'ProofMissed' THEN
        UPDATE placements SET accepted_slot = NULL
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int
          AND holder = p->>'provider';
    END CASE;
    RETURN NULL;
END;
$$;

-- apply_event() raises on kinds it does not know: ShardEvicted is kept from it, and goes
-- to apply_acceptance() with the other acceptance events.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted'))
    EXECUTE FUNCTION apply_event();
DROP TRIGGER events_apply_acceptance ON events;
CREATE TRIGGER events_apply_acceptance AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('ShardPlaced', 'ShardAccepted', 'ShardReleased',
        'ShardEvicted', 'ProofMissed'))
    EXECUTE FUNCTION apply_acceptance();
