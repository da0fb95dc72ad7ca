-- Placements are offers until the holder accepts them (issue 28, finding 1): a holder owes
-- proofs of a shard, and can be slashed for it, only from its acceptance on.
--
-- placements.accepted_slot: the slot (NEAR: block) of the holder's ShardAccepted, NULL
-- while the placement is an offer. A new ShardPlaced (a repair, or an offer that lapsed)
-- starts a new offer, so it clears it; the acceptance also moves assigned_epoch to the
-- first epoch the holder must prove.
--
-- placements.released_slot: the slot of the holder's ShardReleased (finding 2: it walked
-- away from a shard whose deal lapsed); the acceptance ends with it. A new ShardPlaced
-- clears it. A ProofMissed (the slot goes to repair) ends the acceptance too.
ALTER TABLE placements ADD COLUMN accepted_slot BIGINT;
ALTER TABLE placements ADD COLUMN released_slot BIGINT;

CREATE FUNCTION apply_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'ShardPlaced' THEN
        UPDATE placements SET accepted_slot = NULL, released_slot = NULL
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int;
    WHEN 'ShardAccepted' THEN
        UPDATE placements SET accepted_slot = NEW.slot,
            assigned_epoch = (p->>'assigned_epoch')::bigint
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int
          AND holder = p->>'provider';
    WHEN 'ShardReleased' THEN
        UPDATE placements SET accepted_slot = NULL, released_slot = NEW.slot
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

-- apply_event() raises on kinds it does not know, so ShardAccepted and ShardReleased are
-- kept from it. Row triggers of one event fire in name order: events_apply (which upserts
-- a ShardPlaced's row) runs before events_apply_acceptance.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_acceptance AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('ShardPlaced', 'ShardAccepted', 'ShardReleased', 'ProofMissed'))
    EXECUTE FUNCTION apply_acceptance();
