-- A job's output stored as a blob of the requester's (issue 30): the terms the requester
-- asked for at posting, the blob an agreeing worker registered (its BlobRegistered and
-- DealFunded are indexed as any blob's), and a budget returned unused when the job closed.
-- A failed job's budget is part of JobFinalized's `refunded`.
ALTER TABLE jobs
    ADD COLUMN output_budget                NUMERIC(39, 0) NOT NULL DEFAULT 0,
    ADD COLUMN output_price_per_shard_epoch NUMERIC(39, 0) NOT NULL DEFAULT 0,
    ADD COLUMN output_deadline_slot         BIGINT,
    ADD COLUMN output_encrypted             BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN output_blob                  TEXT,
    ADD COLUMN output_cid                   TEXT,
    ADD COLUMN output_worker                TEXT,
    ADD COLUMN output_slot                  BIGINT,
    ADD COLUMN output_refunded              NUMERIC(39, 0);

-- Fires after events_apply_job (triggers of one event run in name order), so the job's row
-- exists when its JobPosted sets the terms.
CREATE FUNCTION apply_job_output() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'JobPosted' THEN
        UPDATE jobs SET
            output_budget = COALESCE((p->>'output_budget')::numeric, 0),
            output_price_per_shard_epoch =
                COALESCE((p->>'output_price_per_shard_epoch')::numeric, 0),
            output_deadline_slot = NULLIF((p->>'output_deadline_slot')::bigint, 0),
            output_encrypted = COALESCE((p->>'output_encrypted')::boolean, false)
        WHERE address = p->>'job';
    WHEN 'JobOutputRegistered' THEN
        UPDATE jobs SET output_blob = p->>'blob', output_cid = p->>'cid_digest',
            output_worker = p->>'worker', output_slot = NEW.slot, updated_slot = NEW.slot
        WHERE address = p->>'job';
    WHEN 'JobWorkerSettled' THEN
        IF COALESCE((p->>'output_refunded')::numeric, 0) > 0 THEN
            UPDATE jobs SET output_refunded = (p->>'output_refunded')::numeric
            WHERE address = p->>'job';
        END IF;
    END CASE;
    RETURN NULL;
END $$;

-- JobOutputRegistered has no row of its own to derive: only this trigger reads it.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled', 'DealSettled', 'JobOutputRegistered'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_job_output AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('JobPosted', 'JobOutputRegistered', 'JobWorkerSettled'))
    EXECUTE FUNCTION apply_job_output();
