-- Datasets and their versions (issue 44): one row per dataset, per dataset grant, per
-- version, and one per (version, parent) edge, so a lineage is a recursive query over
-- version_parents. A version's parent is named by its record's address (Solana: the
-- Version account; NEAR: basalt_proof::version_key), which the version it names holds as
-- `address`: a parent this index has not seen (published before the index began) keeps
-- its edge and shows as missing.
CREATE TABLE datasets (
    address      TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    name         TEXT NOT NULL,
    public       BOOLEAN NOT NULL,
    versions     BIGINT NOT NULL DEFAULT 0,
    created_slot BIGINT NOT NULL,
    updated_slot BIGINT NOT NULL
);
CREATE INDEX datasets_owner ON datasets (owner, name);

CREATE TABLE dataset_grants (
    dataset      TEXT NOT NULL,
    grantee      TEXT NOT NULL,
    -- READ = 1, WRITE = 2 (publish), DELETE = 4 (retract); ADMIN = 7
    roles        SMALLINT NOT NULL,
    expires_at   TIMESTAMPTZ,
    granted_by   TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    revoked_by   TEXT,
    created_slot BIGINT NOT NULL,
    updated_slot BIGINT NOT NULL,
    PRIMARY KEY (dataset, grantee)
);
CREATE INDEX dataset_grants_grantee ON dataset_grants (grantee);

CREATE TABLE versions (
    address        TEXT PRIMARY KEY,
    dataset        TEXT NOT NULL,
    tag            TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    -- The manifest's CID: the version's id.
    version_id     TEXT NOT NULL,
    manifest_blob  TEXT NOT NULL,
    job            TEXT,
    message        TEXT NOT NULL,
    publisher      TEXT NOT NULL,
    slot           BIGINT NOT NULL,
    retracted      BOOLEAN NOT NULL DEFAULT false,
    retracted_by   TEXT,
    retracted_slot BIGINT,
    UNIQUE (dataset, tag)
);
CREATE INDEX versions_dataset ON versions (dataset, seq);
CREATE INDEX versions_version_id ON versions (version_id);
CREATE INDEX versions_job ON versions (job) WHERE job IS NOT NULL;

CREATE TABLE version_parents (
    version  TEXT NOT NULL,
    -- The parent's address; no foreign key: a parent older than the index is kept.
    parent   TEXT NOT NULL,
    position INT NOT NULL,
    PRIMARY KEY (version, position)
);
CREATE INDEX version_parents_parent ON version_parents (parent);

CREATE FUNCTION apply_dataset_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    CASE NEW.kind
    WHEN 'DatasetCreated' THEN
        INSERT INTO datasets (address, owner, name, public, created_slot, updated_slot)
        VALUES (p->>'dataset', p->>'owner', p->>'name', (p->>'public')::boolean,
                NEW.slot, NEW.slot)
        ON CONFLICT (address) DO NOTHING;
    WHEN 'DatasetAccessChanged' THEN
        UPDATE datasets SET public = (p->>'public')::boolean, updated_slot = NEW.slot
        WHERE address = p->>'dataset';
    WHEN 'DatasetGrantCreated' THEN
        INSERT INTO dataset_grants (dataset, grantee, roles, expires_at, granted_by, active,
                                    created_slot, updated_slot)
        VALUES (p->>'dataset', p->>'grantee', (p->>'roles')::smallint,
                to_timestamp((p->>'expires_at')::bigint), p->>'granted_by', true,
                NEW.slot, NEW.slot)
        ON CONFLICT (dataset, grantee) DO UPDATE SET
            roles = EXCLUDED.roles, expires_at = EXCLUDED.expires_at,
            granted_by = EXCLUDED.granted_by, active = true, revoked_by = NULL,
            created_slot = EXCLUDED.created_slot, updated_slot = EXCLUDED.updated_slot;
    WHEN 'DatasetGrantRevoked' THEN
        UPDATE dataset_grants SET active = false, revoked_by = p->>'revoked_by',
            updated_slot = NEW.slot
        WHERE dataset = p->>'dataset' AND grantee = p->>'grantee';
    WHEN 'VersionPublished' THEN
        INSERT INTO versions (address, dataset, tag, seq, version_id, manifest_blob, job,
                              message, publisher, slot)
        VALUES (p->>'version', p->>'dataset', p->>'tag', (p->>'seq')::bigint,
                p->>'version_id', p->>'manifest_blob', p->>'job', p->>'message',
                p->>'publisher', NEW.slot)
        ON CONFLICT (address) DO NOTHING;
        INSERT INTO version_parents (version, parent, position)
        SELECT p->>'version', parent.value, (parent.ordinality - 1)::int
        FROM jsonb_array_elements_text(p->'parents') WITH ORDINALITY AS parent
        ON CONFLICT DO NOTHING;
        UPDATE datasets SET versions = GREATEST(versions, (p->>'seq')::bigint + 1),
            updated_slot = NEW.slot
        WHERE address = p->>'dataset';
    WHEN 'VersionRetracted' THEN
        UPDATE versions SET retracted = true, retracted_by = p->>'retracted_by',
            retracted_slot = NEW.slot
        WHERE address = p->>'version';
    END CASE;
    RETURN NULL;
END $$;

DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled', 'DealSettled', 'JobOutputRegistered',
        'DatasetCreated', 'DatasetAccessChanged', 'DatasetGrantCreated', 'DatasetGrantRevoked',
        'VersionPublished', 'VersionRetracted'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_dataset AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('DatasetCreated', 'DatasetAccessChanged',
        'DatasetGrantCreated', 'DatasetGrantRevoked', 'VersionPublished', 'VersionRetracted'))
    EXECUTE FUNCTION apply_dataset_event();
