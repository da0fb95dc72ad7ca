-- An acceptance names the price per shard-epoch its holder signed for (issue 41): the
-- holder answers for the shard only while the blob's deal pays at least that, so an owner
-- who reopens the deal cheaper does not keep the holders bound.
--
-- placements.accepted_price: the price of the holder's ShardAccepted, NULL while the
-- placement is an offer; cleared with accepted_slot by a new ShardPlaced. Kept after a
-- release or a missed proof, as the price the ended acceptance was for.
ALTER TABLE placements ADD COLUMN accepted_price NUMERIC(39, 0);

CREATE OR REPLACE FUNCTION apply_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'ShardPlaced' THEN
        UPDATE placements SET accepted_slot = NULL, released_slot = NULL, accepted_price = NULL
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int;
    WHEN 'ShardAccepted' THEN
        UPDATE placements SET accepted_slot = NEW.slot,
            assigned_epoch = (p->>'assigned_epoch')::bigint,
            accepted_price = (p->>'price_per_shard_epoch')::numeric
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
