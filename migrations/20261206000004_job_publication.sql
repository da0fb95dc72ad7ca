-- A job over a dataset version, and the version its output is published as (issue 44): the
-- input version and the publication the requester asked for at posting, from JobPosted;
-- the version an agreeing worker published, from the VersionPublished that names the job
-- and its target (the Version's own row is `versions`' as any version's).
ALTER TABLE jobs
    ADD COLUMN input_version     TEXT,
    ADD COLUMN publish_dataset   TEXT,
    ADD COLUMN publish_tag       TEXT,
    ADD COLUMN publish_budget    NUMERIC(39, 0) NOT NULL DEFAULT 0,
    ADD COLUMN published_version TEXT;

-- Fires after events_apply_job (triggers of one event run in name order), so the job's row
-- exists when its JobPosted names the publication.
CREATE FUNCTION apply_job_publication() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'JobPosted' THEN
        UPDATE jobs SET
            input_version = p->>'input_version',
            publish_dataset = p->>'publish_dataset',
            publish_tag = p->>'publish_tag',
            publish_budget = COALESCE((p->>'publish_budget')::numeric, 0)
        WHERE address = p->>'job';
    WHEN 'VersionPublished' THEN
        UPDATE jobs SET published_version = p->>'version', updated_slot = NEW.slot
        WHERE address = p->>'job' AND publish_dataset = p->>'dataset'
            AND publish_tag = p->>'tag';
    END CASE;
    RETURN NULL;
END $$;

CREATE TRIGGER events_apply_job_publication AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('JobPosted', 'VersionPublished'))
    EXECUTE FUNCTION apply_job_publication();
