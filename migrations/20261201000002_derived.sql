-- Tables derived from the events, kept by a trigger on `events` in the same transaction.
--
-- Why a trigger: a derived row changes exactly when its event row is inserted, and
-- `INSERT ... ON CONFLICT DO NOTHING` fires no trigger for an event already stored, so
-- replaying a batch (after a crash, or a cursor the RPC no longer knows) changes nothing.
-- Deriving server-side also keeps a batch at one round trip instead of one per event.
--
-- Naming: `provider` is a Provider account (PDA) address; `holder` and `worker` are provider
-- *authorities* (wallets), as the program's events name them. `providers` maps one to the
-- other. Amounts are stake-token base units (NUMERIC: u64 does not fit BIGINT).
-- Rows carry the slot of their last change; a row is finalized when that slot is at or
-- below `cursors.finalized_slot`.

CREATE TABLE config (
    id                 SMALLINT PRIMARY KEY CHECK (id = 1),
    admin              TEXT NOT NULL,
    stake_mint         TEXT NOT NULL,
    epoch_slots        BIGINT NOT NULL,
    proof_window_slots BIGINT NOT NULL,
    params             JSONB NOT NULL,
    updated_slot       BIGINT NOT NULL
);

CREATE TABLE providers (
    address               TEXT PRIMARY KEY,
    authority             TEXT NOT NULL UNIQUE,
    endpoint              TEXT NOT NULL,
    region                TEXT NOT NULL,
    -- ROLE_STORAGE = 1 | ROLE_COMPUTE = 2
    roles                 SMALLINT NOT NULL,
    capacity              NUMERIC(20, 0) NOT NULL,
    stake                 NUMERIC(20, 0) NOT NULL DEFAULT 0,
    unbonding             NUMERIC(20, 0) NOT NULL DEFAULT 0,
    unbonding_until_epoch BIGINT NOT NULL DEFAULT 0,
    status                TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'unbonding', 'jailed')),
    reputation            BIGINT NOT NULL DEFAULT 0,
    slashed_total         NUMERIC(20, 0) NOT NULL DEFAULT 0,
    last_heartbeat_slot   BIGINT,
    registered_slot       BIGINT NOT NULL,
    updated_slot          BIGINT NOT NULL
);
CREATE INDEX providers_status ON providers (status, address);
CREATE INDEX providers_region ON providers (region, address);

-- Every change of a provider's bonded stake.
CREATE TABLE stake_changes (
    event_id    BIGINT PRIMARY KEY REFERENCES events (id),
    provider    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('stake', 'unstake', 'withdraw', 'slash')),
    amount      NUMERIC(20, 0) NOT NULL,
    stake_after NUMERIC(20, 0) NOT NULL,
    slot        BIGINT NOT NULL
);
CREATE INDEX stake_changes_provider ON stake_changes (provider, event_id);

CREATE TABLE blobs (
    address                TEXT PRIMARY KEY,
    cid                    TEXT NOT NULL UNIQUE,
    owner                  TEXT NOT NULL,
    size                   NUMERIC(20, 0) NOT NULL,
    k                      INT NOT NULL,
    m                      INT NOT NULL,
    chunk_count            BIGINT NOT NULL,
    commitment_root        TEXT NOT NULL,
    expiry_epoch           BIGINT NOT NULL,
    public                 BOOLEAN NOT NULL,
    encrypted              BOOLEAN NOT NULL,
    token_gate_mint        TEXT,
    token_gate_min_balance NUMERIC(20, 0),
    status                 TEXT NOT NULL CHECK (status IN ('registered', 'active', 'deleted')),
    registered_slot        BIGINT NOT NULL,
    activated_slot         BIGINT,
    deleted_by             TEXT,
    deleted_slot           BIGINT,
    updated_slot           BIGINT NOT NULL
);
CREATE INDEX blobs_owner ON blobs (owner, address);

CREATE TABLE placements (
    blob              TEXT NOT NULL REFERENCES blobs (address),
    shard_index       INT NOT NULL,
    holder            TEXT NOT NULL,
    -- The holder before a repair moved the shard.
    previous          TEXT,
    assigned_epoch    BIGINT NOT NULL,
    last_proven_epoch BIGINT,
    needs_repair      BOOLEAN NOT NULL DEFAULT false,
    slot              BIGINT NOT NULL,
    PRIMARY KEY (blob, shard_index)
);
CREATE INDEX placements_holder ON placements (holder);

CREATE TABLE grants (
    blob          TEXT NOT NULL,
    grantee       TEXT NOT NULL,
    -- READ = 1, WRITE = 2, DELETE = 4 (ADMIN = 7)
    roles         SMALLINT NOT NULL,
    expires_at    TIMESTAMPTZ,
    granted_by    TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    revoked_by    TEXT,
    created_slot  BIGINT NOT NULL,
    updated_slot  BIGINT NOT NULL,
    PRIMARY KEY (blob, grantee)
);
CREATE INDEX grants_grantee ON grants (grantee);

CREATE TABLE deals (
    address               TEXT PRIMARY KEY,
    blob                  TEXT NOT NULL,
    -- Who funded the deal first; refunds go back to this wallet.
    payer                 TEXT NOT NULL,
    price_per_shard_epoch NUMERIC(20, 0) NOT NULL,
    balance               NUMERIC(20, 0) NOT NULL,
    funded_total          NUMERIC(20, 0) NOT NULL,
    paid_total            NUMERIC(20, 0) NOT NULL DEFAULT 0,
    refunded              NUMERIC(20, 0) NOT NULL DEFAULT 0,
    status                TEXT NOT NULL CHECK (status IN ('open', 'refunded')),
    created_slot          BIGINT NOT NULL,
    updated_slot          BIGINT NOT NULL
);
CREATE INDEX deals_blob ON deals (blob);

-- Every deal payout to a shard's holder.
CREATE TABLE payouts (
    event_id         BIGINT PRIMARY KEY REFERENCES events (id),
    deal             TEXT NOT NULL,
    blob             TEXT NOT NULL,
    shard_index      INT NOT NULL,
    holder           TEXT NOT NULL,
    epochs_paid      BIGINT NOT NULL,
    epochs_forfeited BIGINT NOT NULL,
    amount           NUMERIC(20, 0) NOT NULL,
    slot             BIGINT NOT NULL
);
CREATE INDEX payouts_holder ON payouts (holder, event_id);
CREATE INDEX payouts_deal ON payouts (deal, event_id);

-- Every storage-proof outcome: a proof accepted, or a missed proof slashed.
CREATE TABLE proofs (
    event_id    BIGINT PRIMARY KEY REFERENCES events (id),
    blob        TEXT NOT NULL,
    shard_index INT NOT NULL,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('accepted', 'missed')),
    chunk       BIGINT,
    leaf        BIGINT,
    cranker     TEXT,
    slot        BIGINT NOT NULL
);
CREATE INDEX proofs_blob ON proofs (blob, event_id);
CREATE INDEX proofs_holder ON proofs (holder, event_id);

CREATE TABLE slashes (
    event_id    BIGINT PRIMARY KEY REFERENCES events (id),
    provider    TEXT NOT NULL,
    amount      NUMERIC(20, 0) NOT NULL,
    bounty      NUMERIC(20, 0) NOT NULL,
    beneficiary TEXT NOT NULL,
    -- The blob (missed proof) or job (disagreeing result) the fault is about.
    subject     TEXT NOT NULL,
    reputation  BIGINT NOT NULL,
    slot        BIGINT NOT NULL
);
CREATE INDEX slashes_provider ON slashes (provider, event_id);

CREATE TABLE jobs (
    address              TEXT PRIMARY KEY,
    requester            TEXT NOT NULL,
    nonce                NUMERIC(20, 0) NOT NULL,
    module_cid           TEXT NOT NULL,
    input_cid            TEXT NOT NULL,
    fuel_limit           NUMERIC(20, 0) NOT NULL,
    n                    SMALLINT NOT NULL,
    k                    SMALLINT NOT NULL,
    reward_per_worker    NUMERIC(20, 0) NOT NULL,
    commit_deadline_slot BIGINT NOT NULL,
    reveal_deadline_slot BIGINT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('open', 'succeeded', 'failed')),
    result_hash          TEXT,
    agreeing             SMALLINT,
    refunded             NUMERIC(20, 0),
    posted_slot          BIGINT NOT NULL,
    finalized_slot       BIGINT,
    updated_slot         BIGINT NOT NULL
);
CREATE INDEX jobs_requester ON jobs (requester, address);
CREATE INDEX jobs_status ON jobs (status, address);

CREATE TABLE job_results (
    job            TEXT NOT NULL REFERENCES jobs (address),
    worker         TEXT NOT NULL,
    claimed_slot   BIGINT NOT NULL,
    commitment     TEXT,
    committed_slot BIGINT,
    result_hash    TEXT,
    revealed_slot  BIGINT,
    outcome        TEXT CHECK (outcome IN ('paid', 'disagreed', 'no_show', 'no_quorum')),
    paid           NUMERIC(20, 0),
    slashed        NUMERIC(20, 0),
    settled_slot   BIGINT,
    PRIMARY KEY (job, worker)
);
CREATE INDEX job_results_worker ON job_results (worker);

-- Every change of a provider's reputation, with what caused it.
CREATE TABLE reputation (
    event_id   BIGINT PRIMARY KEY REFERENCES events (id),
    provider   TEXT NOT NULL,
    reputation BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    slot       BIGINT NOT NULL
);
CREATE INDEX reputation_provider ON reputation (provider, event_id);

-- Applies one event to the derived tables. Mirrors the program's own state transitions
-- (programs/basalt/src/instructions/*) for what the events do not carry, such as where a
-- slash takes its tokens from.
CREATE FUNCTION apply_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p          JSONB := NEW.payload;
    amount     NUMERIC;
    from_stake NUMERIC;
    addr       TEXT;
BEGIN
    CASE NEW.kind
    WHEN 'ConfigInitialized' THEN
        INSERT INTO config (id, admin, stake_mint, epoch_slots, proof_window_slots, params,
                            updated_slot)
        VALUES (1, p->>'admin', p->>'stake_mint', (p->>'epoch_slots')::bigint,
                (p->>'proof_window_slots')::bigint, p->'params', NEW.slot)
        ON CONFLICT (id) DO UPDATE SET
            admin = EXCLUDED.admin, stake_mint = EXCLUDED.stake_mint,
            epoch_slots = EXCLUDED.epoch_slots,
            proof_window_slots = EXCLUDED.proof_window_slots,
            params = EXCLUDED.params, updated_slot = EXCLUDED.updated_slot;
    WHEN 'ConfigUpdated' THEN
        UPDATE config SET admin = p->>'admin', params = p->'params', updated_slot = NEW.slot;
    WHEN 'ProviderRegistered' THEN
        INSERT INTO providers (address, authority, endpoint, region, roles, capacity,
                               registered_slot, updated_slot)
        VALUES (p->>'provider', p->>'authority', p->>'endpoint', p->>'region',
                (p->>'roles')::smallint, (p->>'capacity')::numeric, NEW.slot, NEW.slot);
    WHEN 'ProviderUpdated' THEN
        UPDATE providers SET endpoint = p->>'endpoint', region = p->>'region',
            roles = (p->>'roles')::smallint, capacity = (p->>'capacity')::numeric,
            updated_slot = NEW.slot
        WHERE address = p->>'provider';
    WHEN 'StakeAdded' THEN
        UPDATE providers SET stake = (p->>'stake')::numeric, updated_slot = NEW.slot
        WHERE address = p->>'provider';
        INSERT INTO stake_changes VALUES (NEW.id, p->>'provider', 'stake',
            (p->>'amount')::numeric, (p->>'stake')::numeric, NEW.slot);
    WHEN 'UnstakeRequested' THEN
        UPDATE providers SET stake = (p->>'stake')::numeric,
            unbonding = unbonding + (p->>'amount')::numeric,
            unbonding_until_epoch = (p->>'unbonding_until_epoch')::bigint,
            status = CASE WHEN status = 'active' THEN 'unbonding' ELSE status END,
            updated_slot = NEW.slot
        WHERE address = p->>'provider';
        INSERT INTO stake_changes VALUES (NEW.id, p->>'provider', 'unstake',
            (p->>'amount')::numeric, (p->>'stake')::numeric, NEW.slot);
    WHEN 'StakeWithdrawn' THEN
        UPDATE providers SET unbonding = 0,
            status = CASE WHEN status = 'unbonding' THEN 'active' ELSE status END,
            updated_slot = NEW.slot
        WHERE address = p->>'provider';
        INSERT INTO stake_changes
        SELECT NEW.id, p->>'provider', 'withdraw', (p->>'amount')::numeric, stake, NEW.slot
        FROM providers WHERE address = p->>'provider';
    WHEN 'ProviderHeartbeat' THEN
        UPDATE providers SET last_heartbeat_slot = NEW.slot, updated_slot = NEW.slot
        WHERE address = p->>'provider';
    WHEN 'ProviderUnjailed' THEN
        -- provider_unjail: back to unbonding while tokens still unbond, else active.
        UPDATE providers SET
            status = CASE WHEN unbonding > 0 THEN 'unbonding' ELSE 'active' END,
            updated_slot = NEW.slot
        WHERE address = p->>'provider';
    WHEN 'ProviderSlashed' THEN
        -- Provider::slash: bonded stake first, then the unbonding tokens.
        amount := (p->>'amount')::numeric;
        UPDATE providers SET
            stake = stake - LEAST(amount, stake),
            unbonding = unbonding - (amount - LEAST(amount, stake)),
            reputation = (p->>'reputation')::bigint,
            slashed_total = slashed_total + amount,
            updated_slot = NEW.slot
        WHERE address = p->>'provider';
        INSERT INTO slashes VALUES (NEW.id, p->>'provider', amount, (p->>'bounty')::numeric,
            p->>'beneficiary', p->>'subject', (p->>'reputation')::bigint, NEW.slot);
        INSERT INTO stake_changes
        SELECT NEW.id, p->>'provider', 'slash', amount, stake, NEW.slot
        FROM providers WHERE address = p->>'provider';
        INSERT INTO reputation VALUES (NEW.id, p->>'provider', (p->>'reputation')::bigint,
            'slashed', NEW.slot);
    WHEN 'BlobRegistered' THEN
        -- A blob's address is derived from its CID: registering it again after a deletion
        -- starts a new life for the same row.
        DELETE FROM placements WHERE blob = p->>'blob';
        INSERT INTO blobs (address, cid, owner, size, k, m, chunk_count, commitment_root,
                           expiry_epoch, public, encrypted, status, registered_slot,
                           updated_slot)
        VALUES (p->>'blob', p->>'cid', p->>'owner', (p->>'size')::numeric,
                (p->>'k')::int, (p->>'m')::int, (p->>'chunk_count')::bigint,
                p->>'commitment_root', (p->>'expiry_epoch')::bigint,
                (p->>'public')::boolean, (p->>'encrypted')::boolean, 'registered',
                NEW.slot, NEW.slot)
        ON CONFLICT (address) DO UPDATE SET
            owner = EXCLUDED.owner, size = EXCLUDED.size, k = EXCLUDED.k, m = EXCLUDED.m,
            chunk_count = EXCLUDED.chunk_count, commitment_root = EXCLUDED.commitment_root,
            expiry_epoch = EXCLUDED.expiry_epoch, public = EXCLUDED.public,
            encrypted = EXCLUDED.encrypted, token_gate_mint = NULL,
            token_gate_min_balance = NULL, status = 'registered',
            registered_slot = EXCLUDED.registered_slot, activated_slot = NULL,
            deleted_by = NULL, deleted_slot = NULL, updated_slot = EXCLUDED.updated_slot;
    WHEN 'ShardPlaced' THEN
        INSERT INTO placements (blob, shard_index, holder, previous, assigned_epoch, slot)
        VALUES (p->>'blob', (p->>'index')::int, p->>'provider', p->>'previous',
                (p->>'assigned_epoch')::bigint, NEW.slot)
        ON CONFLICT (blob, shard_index) DO UPDATE SET
            holder = EXCLUDED.holder, previous = EXCLUDED.previous,
            assigned_epoch = EXCLUDED.assigned_epoch, last_proven_epoch = NULL,
            needs_repair = false, slot = EXCLUDED.slot;
    WHEN 'BlobActivated' THEN
        UPDATE blobs SET status = 'active', activated_slot = NEW.slot, updated_slot = NEW.slot
        WHERE address = p->>'blob';
    WHEN 'BlobAccessChanged' THEN
        UPDATE blobs SET public = (p->>'public')::boolean,
            token_gate_mint = p->'token_gate'->>'mint',
            token_gate_min_balance = (p->'token_gate'->>'min_balance')::numeric,
            updated_slot = NEW.slot
        WHERE address = p->>'blob';
    WHEN 'BlobDeleted' THEN
        UPDATE blobs SET status = 'deleted', deleted_by = p->>'by', deleted_slot = NEW.slot,
            updated_slot = NEW.slot
        WHERE address = p->>'blob';
        DELETE FROM placements WHERE blob = p->>'blob';
    WHEN 'GrantCreated' THEN
        INSERT INTO grants (blob, grantee, roles, expires_at, granted_by, active,
                            created_slot, updated_slot)
        VALUES (p->>'blob', p->>'grantee', (p->>'roles')::smallint,
                to_timestamp((p->>'expires_at')::bigint), p->>'granted_by', true,
                NEW.slot, NEW.slot)
        ON CONFLICT (blob, grantee) DO UPDATE SET
            roles = EXCLUDED.roles, expires_at = EXCLUDED.expires_at,
            granted_by = EXCLUDED.granted_by, active = true, revoked_by = NULL,
            created_slot = EXCLUDED.created_slot, updated_slot = EXCLUDED.updated_slot;
    WHEN 'GrantRevoked' THEN
        UPDATE grants SET active = false, revoked_by = p->>'revoked_by',
            updated_slot = NEW.slot
        WHERE blob = p->>'blob' AND grantee = p->>'grantee';
    WHEN 'DealFunded' THEN
        -- deal_fund opens a deal (again, after a refund closed it); deal_top_up adds to an
        -- open one and its funder is not the payer refunds go to.
        INSERT INTO deals (address, blob, payer, price_per_shard_epoch, balance,
                           funded_total, status, created_slot, updated_slot)
        VALUES (p->>'deal', p->>'blob', p->>'payer', (p->>'price_per_shard_epoch')::numeric,
                (p->>'balance')::numeric, (p->>'amount')::numeric, 'open', NEW.slot,
                NEW.slot)
        ON CONFLICT (address) DO UPDATE SET
            payer = CASE WHEN deals.status = 'refunded' THEN EXCLUDED.payer
                         ELSE deals.payer END,
            price_per_shard_epoch = EXCLUDED.price_per_shard_epoch,
            balance = EXCLUDED.balance,
            funded_total = CASE WHEN deals.status = 'refunded' THEN EXCLUDED.funded_total
                                ELSE deals.funded_total + EXCLUDED.funded_total END,
            paid_total = CASE WHEN deals.status = 'refunded' THEN 0
                              ELSE deals.paid_total END,
            refunded = CASE WHEN deals.status = 'refunded' THEN 0 ELSE deals.refunded END,
            created_slot = CASE WHEN deals.status = 'refunded' THEN EXCLUDED.created_slot
                                ELSE deals.created_slot END,
            status = 'open', updated_slot = EXCLUDED.updated_slot;
    WHEN 'DealSettled' THEN
        UPDATE deals SET balance = (p->>'balance')::numeric,
            paid_total = paid_total + (p->>'amount')::numeric, updated_slot = NEW.slot
        WHERE address = p->>'deal';
        INSERT INTO payouts VALUES (NEW.id, p->>'deal', p->>'blob', (p->>'index')::int,
            p->>'provider', (p->>'epochs_paid')::bigint, (p->>'epochs_forfeited')::bigint,
            (p->>'amount')::numeric, NEW.slot);
    WHEN 'DealRefunded' THEN
        UPDATE deals SET balance = 0, refunded = (p->>'amount')::numeric,
            status = 'refunded', updated_slot = NEW.slot
        WHERE address = p->>'deal';
    WHEN 'ProofAccepted' THEN
        INSERT INTO proofs VALUES (NEW.id, p->>'blob', (p->>'index')::int, p->>'provider',
            (p->>'epoch')::bigint, 'accepted', (p->>'chunk')::bigint, (p->>'leaf')::bigint,
            NULL, NEW.slot);
        UPDATE placements SET last_proven_epoch = (p->>'epoch')::bigint
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int;
    WHEN 'ProofMissed' THEN
        INSERT INTO proofs VALUES (NEW.id, p->>'blob', (p->>'index')::int, p->>'provider',
            (p->>'epoch')::bigint, 'missed', NULL, NULL, p->>'cranker', NEW.slot);
        UPDATE placements SET needs_repair = true
        WHERE blob = p->>'blob' AND shard_index = (p->>'index')::int;
        -- proof_slash jails the holder (a job slash does not).
        UPDATE providers SET status = 'jailed', updated_slot = NEW.slot
        WHERE authority = p->>'provider';
    WHEN 'JobPosted' THEN
        INSERT INTO jobs (address, requester, nonce, module_cid, input_cid, fuel_limit, n, k,
                          reward_per_worker, commit_deadline_slot, reveal_deadline_slot,
                          status, posted_slot, updated_slot)
        VALUES (p->>'job', p->>'requester', (p->>'nonce')::numeric, p->>'module_cid',
                p->>'input_cid', (p->>'fuel_limit')::numeric, (p->>'n')::smallint,
                (p->>'k')::smallint, (p->>'reward_per_worker')::numeric,
                (p->>'commit_deadline_slot')::bigint, (p->>'reveal_deadline_slot')::bigint,
                'open', NEW.slot, NEW.slot);
    WHEN 'JobClaimed' THEN
        INSERT INTO job_results (job, worker, claimed_slot)
        VALUES (p->>'job', p->>'worker', NEW.slot);
        UPDATE jobs SET updated_slot = NEW.slot WHERE address = p->>'job';
    WHEN 'JobCommitted' THEN
        UPDATE job_results SET commitment = p->>'commitment', committed_slot = NEW.slot
        WHERE job = p->>'job' AND worker = p->>'worker';
        UPDATE jobs SET updated_slot = NEW.slot WHERE address = p->>'job';
    WHEN 'JobRevealed' THEN
        UPDATE job_results SET result_hash = p->>'result_hash', revealed_slot = NEW.slot
        WHERE job = p->>'job' AND worker = p->>'worker';
        UPDATE jobs SET updated_slot = NEW.slot WHERE address = p->>'job';
    WHEN 'JobFinalized' THEN
        UPDATE jobs SET status = p->>'status', result_hash = p->>'result_hash',
            agreeing = (p->>'agreeing')::smallint, refunded = (p->>'refunded')::numeric,
            finalized_slot = NEW.slot, updated_slot = NEW.slot
        WHERE address = p->>'job';
    WHEN 'JobWorkerSettled' THEN
        UPDATE job_results SET outcome = p->>'outcome', paid = (p->>'paid')::numeric,
            slashed = (p->>'slashed')::numeric, settled_slot = NEW.slot
        WHERE job = p->>'job' AND worker = p->>'worker';
        UPDATE jobs SET updated_slot = NEW.slot WHERE address = p->>'job';
        IF p->>'outcome' <> 'no_quorum' THEN
            UPDATE providers SET reputation = (p->>'reputation')::bigint,
                updated_slot = NEW.slot
            WHERE authority = p->>'worker'
            RETURNING address INTO addr;
            IF addr IS NOT NULL THEN
                INSERT INTO reputation VALUES (NEW.id, addr, (p->>'reputation')::bigint,
                    'job_' || (p->>'outcome'), NEW.slot);
            END IF;
        END IF;
    ELSE
        RAISE EXCEPTION 'no derivation for event kind %', NEW.kind;
    END CASE;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION apply_event();

-- Wakes the API's push streams once per committed batch with the newest event id; they
-- read the rows themselves, so a missed notification loses nothing.
CREATE FUNCTION notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest BIGINT;
BEGIN
    SELECT max(id) INTO newest FROM inserted;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('basalt_events', newest::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events();
