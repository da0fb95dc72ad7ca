-- What indexing a NEAR deployment (contracts/basalt-near) needs of the schema.
--
-- 1. Token amounts: NEP-141 amounts are u128 (up to 39 decimal digits), where the Solana
--    program's SPL amounts are u64 (20 digits). Widening a NUMERIC's precision keeps its
--    scale, so PostgreSQL changes only the type modifier and rewrites no rows. Sizes,
--    capacities, nonces and fuel stay u64 on both chains and keep NUMERIC(20, 0).
ALTER TABLE providers
    ALTER COLUMN stake TYPE NUMERIC(39, 0),
    ALTER COLUMN unbonding TYPE NUMERIC(39, 0),
    ALTER COLUMN slashed_total TYPE NUMERIC(39, 0);
ALTER TABLE stake_changes
    ALTER COLUMN amount TYPE NUMERIC(39, 0),
    ALTER COLUMN stake_after TYPE NUMERIC(39, 0);
ALTER TABLE blobs
    ALTER COLUMN token_gate_min_balance TYPE NUMERIC(39, 0);
ALTER TABLE deals
    ALTER COLUMN price_per_shard_epoch TYPE NUMERIC(39, 0),
    ALTER COLUMN balance TYPE NUMERIC(39, 0),
    ALTER COLUMN funded_total TYPE NUMERIC(39, 0),
    ALTER COLUMN paid_total TYPE NUMERIC(39, 0),
    ALTER COLUMN refunded TYPE NUMERIC(39, 0);
ALTER TABLE payouts
    ALTER COLUMN amount TYPE NUMERIC(39, 0);
ALTER TABLE slashes
    ALTER COLUMN amount TYPE NUMERIC(39, 0),
    ALTER COLUMN bounty TYPE NUMERIC(39, 0);
ALTER TABLE jobs
    ALTER COLUMN reward_per_worker TYPE NUMERIC(39, 0),
    ALTER COLUMN refunded TYPE NUMERIC(39, 0);
ALTER TABLE job_results
    ALTER COLUMN paid TYPE NUMERIC(39, 0),
    ALTER COLUMN slashed TYPE NUMERIC(39, 0);

-- 2. Two event kinds are NEAR's own and change no derived table; they stay in `events`
--    (and the API) like every other event:
--    - ChallengeSeedDrawn: the epoch's challenge seed from env::random_seed() (Solana
--      derives it from a slot hash and logs no event for it);
--    - TokensWithdrawn: a payout leaving the contract's books with ft_transfer (Solana pays
--      into the recipient's token account directly, which DealSettled already records).
--    apply_event() raises on a kind it does not know, so they are filtered here, by name,
--    and any other unknown kind still fails its batch loudly.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn'))
    EXECUTE FUNCTION apply_event();
