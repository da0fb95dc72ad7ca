-- A settlement keeps what a short escrow cannot pay owed instead of forfeiting it (issue 42,
-- finding 8): DealSettled's epochs_forfeited became epochs_owed, the proven epochs of the
-- index still unpaid after the settlement (a later settle pays them after a top-up).
ALTER TABLE payouts RENAME COLUMN epochs_forfeited TO epochs_owed;

CREATE FUNCTION apply_deal_settled() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p jsonb := NEW.payload;
BEGIN
    UPDATE deals SET balance = (p->>'balance')::numeric,
        paid_total = paid_total + (p->>'amount')::numeric, updated_slot = NEW.slot
    WHERE address = p->>'deal';
    INSERT INTO payouts VALUES (NEW.id, p->>'deal', p->>'blob', (p->>'index')::int,
        p->>'provider', (p->>'epochs_paid')::bigint, (p->>'epochs_owed')::bigint,
        (p->>'amount')::numeric, NEW.slot);
    RETURN NULL;
END $$;

DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled', 'DealSettled'))
    EXECUTE FUNCTION apply_event();
CREATE TRIGGER events_apply_deal_settled AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind = 'DealSettled')
    EXECUTE FUNCTION apply_deal_settled();
