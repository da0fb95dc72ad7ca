-- Job places go by a stake-weighted draw among applicants, not by arrival (issue 42,
-- finding 1): job_claim became job_apply (JobApplied, with the applicant's stake and whom it
-- displaced from a full list) and job_select (JobSelected, with the seed and the drawn
-- workers); applicants that were not drawn settle as `not_selected`; a finished job's
-- account closes (JobFinalized / JobWorkerSettled carry `job_closed`), and a later job may
-- reuse its address (Solana: the same requester and nonce).
--
-- jobs.apply_deadline_slot: applications end here (NULL for jobs posted before this
-- change); jobs.closed_slot: the job's account closed (its row stays, as history).
-- job_results: one row per applicant; `selected` once drawn, `stake` its weight, and
-- claimed_slot is now applied_slot.
ALTER TABLE jobs
    ADD COLUMN apply_deadline_slot BIGINT,
    ADD COLUMN selected_slot BIGINT,
    ADD COLUMN seed TEXT,
    ADD COLUMN closed_slot BIGINT;
ALTER TABLE job_results RENAME COLUMN claimed_slot TO applied_slot;
ALTER TABLE job_results
    ADD COLUMN stake NUMERIC(39, 0),
    ADD COLUMN selected BOOLEAN NOT NULL DEFAULT false,
    DROP CONSTRAINT job_results_outcome_check,
    ADD CONSTRAINT job_results_outcome_check
        CHECK (outcome IN ('paid', 'disagreed', 'no_show', 'no_quorum', 'not_selected'));

-- The job events whose meaning changed. apply_event() keeps JobCommitted and JobRevealed.
CREATE FUNCTION apply_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
    addr text;
BEGIN
    CASE NEW.kind
    WHEN 'JobPosted' THEN
        -- A closed job's address taken again: the chain holds a new job there. The old
        -- one's events stay in `events`.
        DELETE FROM job_results WHERE job = p->>'job';
        DELETE FROM jobs WHERE address = p->>'job';
        INSERT INTO jobs (address, requester, nonce, module_cid, input_cid, fuel_limit, n, k,
                          reward_per_worker, apply_deadline_slot, commit_deadline_slot,
                          reveal_deadline_slot, status, posted_slot, updated_slot)
        VALUES (p->>'job', p->>'requester', (p->>'nonce')::numeric, p->>'module_cid',
                p->>'input_cid', (p->>'fuel_limit')::numeric, (p->>'n')::smallint,
                (p->>'k')::smallint, (p->>'reward_per_worker')::numeric,
                (p->>'apply_deadline_slot')::bigint, (p->>'commit_deadline_slot')::bigint,
                (p->>'reveal_deadline_slot')::bigint, 'open', NEW.slot, NEW.slot);
    WHEN 'JobApplied' THEN
        IF p->>'displaced' IS NOT NULL THEN
            DELETE FROM job_results WHERE job = p->>'job' AND worker = p->>'displaced';
        END IF;
        INSERT INTO job_results (job, worker, applied_slot, stake)
        VALUES (p->>'job', p->>'worker', NEW.slot, (p->>'stake')::numeric);
        UPDATE jobs SET updated_slot = NEW.slot WHERE address = p->>'job';
    WHEN 'JobSelected' THEN
        UPDATE job_results SET selected = true
        WHERE job = p->>'job'
          AND worker IN (SELECT jsonb_array_elements_text(p->'workers'));
        UPDATE jobs SET selected_slot = NEW.slot, seed = p->>'seed', updated_slot = NEW.slot
        WHERE address = p->>'job';
    WHEN 'JobFinalized' THEN
        UPDATE jobs SET status = p->>'status', result_hash = p->>'result_hash',
            agreeing = (p->>'agreeing')::smallint, refunded = (p->>'refunded')::numeric,
            finalized_slot = NEW.slot, updated_slot = NEW.slot,
            closed_slot = CASE WHEN (p->>'job_closed')::boolean THEN NEW.slot ELSE closed_slot END
        WHERE address = p->>'job';
    WHEN 'JobWorkerSettled' THEN
        UPDATE job_results SET outcome = p->>'outcome', paid = (p->>'paid')::numeric,
            slashed = (p->>'slashed')::numeric, settled_slot = NEW.slot
        WHERE job = p->>'job' AND worker = p->>'worker';
        UPDATE jobs SET updated_slot = NEW.slot,
            closed_slot = CASE WHEN (p->>'job_closed')::boolean THEN NEW.slot ELSE closed_slot END
        WHERE address = p->>'job';
        -- Reputation moves for every outcome but these two.
        IF p->>'outcome' NOT IN ('no_quorum', 'not_selected') THEN
            UPDATE providers SET reputation = (p->>'reputation')::bigint,
                updated_slot = NEW.slot
            WHERE authority = p->>'worker'
            RETURNING address INTO addr;
            IF addr IS NOT NULL THEN
                INSERT INTO reputation VALUES (NEW.id, addr, (p->>'reputation')::bigint,
                    'job_' || (p->>'outcome'), NEW.slot);
            END IF;
        END IF;
    END CASE;
    RETURN NULL;
END $$;

DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_job AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('JobPosted', 'JobApplied', 'JobSelected', 'JobFinalized',
        'JobWorkerSettled'))
    EXECUTE FUNCTION apply_job_event();
