-- When a provider's node last heartbeat, by the chain's clock (issue 29): the API says from
-- it whether the provider is online, warning (no new shards) or offline (its shards are
-- repaired), with the thresholds the indexer runs with (`basalt_core::LivenessThresholds`).
-- Runs after events_apply (triggers fire in name order), which creates the provider's row.
--
-- providers.last_heartbeat_at: the block time of its latest ProviderHeartbeat, or of its
-- registration (which the program records as its first heartbeat); NULL when the RPC gave
-- no block time.
ALTER TABLE providers ADD COLUMN last_heartbeat_at TIMESTAMPTZ;

UPDATE providers p SET last_heartbeat_at = (
    SELECT max(e.block_time) FROM events e
    WHERE e.kind IN ('ProviderHeartbeat', 'ProviderRegistered')
      AND e.payload->>'provider' = p.address);

CREATE FUNCTION apply_heartbeat_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE providers SET last_heartbeat_at = NEW.block_time
    WHERE address = NEW.payload->>'provider'
      AND (last_heartbeat_at IS NULL OR last_heartbeat_at < NEW.block_time);
    RETURN NULL;
END $$;

CREATE TRIGGER events_heartbeat_time AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('ProviderHeartbeat', 'ProviderRegistered'))
    EXECUTE FUNCTION apply_heartbeat_time();
