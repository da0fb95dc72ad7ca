-- A provider with nothing staked and no obligation may close its record, its rent back to
-- it (issue 42, finding 5: provider_deregister, ProviderDeregistered). The mirror follows
-- the chain: the provider's row goes (its events stay), and a later registration of the
-- same authority starts a new row, as it starts a new account on chain.
CREATE FUNCTION apply_deregistration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM providers WHERE address = NEW.payload->>'provider';
    RETURN NULL;
END $$;

-- apply_event() raises on kinds it does not know: ProviderDeregistered is kept from it.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_deregistration AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind = 'ProviderDeregistered')
    EXECUTE FUNCTION apply_deregistration();
