-- An evicted holder pays the repair its silence makes necessary (issue 42, silent holders):
-- ShardEvicted's `charged` leaves the holder's stake (bonded first, then unbonding, as
-- Provider::charge takes it) and joins the blob's deal, which owes the index's next holder
-- the repair credit. ShardEvicted names the holder by its authority, as ShardPlaced does.
ALTER TABLE stake_changes DROP CONSTRAINT stake_changes_kind_check;
ALTER TABLE stake_changes ADD CONSTRAINT stake_changes_kind_check
    CHECK (kind IN ('stake', 'unstake', 'withdraw', 'slash', 'eviction'));

CREATE FUNCTION apply_eviction_charge() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
    amount NUMERIC := COALESCE((NEW.payload->>'charged')::numeric, 0);
BEGIN
    IF amount = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE providers SET
        stake = stake - LEAST(amount, stake),
        unbonding = unbonding - (amount - LEAST(amount, stake)),
        updated_slot = NEW.slot
    WHERE authority = p->>'provider';
    INSERT INTO stake_changes
    SELECT NEW.id, address, 'eviction', amount, stake, NEW.slot
    FROM providers WHERE authority = p->>'provider';
    UPDATE deals SET balance = balance + amount, updated_slot = NEW.slot
    WHERE blob = p->>'blob' AND status = 'open';
    RETURN NULL;
END $$;

CREATE TRIGGER events_apply_eviction_charge AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind = 'ShardEvicted')
    EXECUTE FUNCTION apply_eviction_charge();
