-- What indexing an EVM deployment (contracts/evm) needs of the schema.
--
-- 1. Token amounts: ERC-20 amounts are uint256 (up to 78 decimal digits). What a user
--    chooses freely is widened to hold any of them: a token gate's minimum balance (a
--    gate no one passes is a valid choice, and one batch failing on it would stop the
--    index). Stake, slashes, deals, rewards and budgets are the stake token's amounts,
--    bounded by its supply, and the contracts keep deals, rewards and budgets in uint128:
--    the columns migrations/*_near.sql widened to NUMERIC(39, 0) hold any uint128.
ALTER TABLE blobs
    ALTER COLUMN token_gate_min_balance TYPE NUMERIC(78, 0);

-- 2. Five event kinds are the EVM's own and change no derived table; they stay in `events`
--    (and the API) like every other event:
--    - ProtocolBound: the configuration names the protocol's contracts once, at deployment
--      (the follower reads them from it; Solana has one program);
--    - ObligationOpened / ObligationClosed: the registry's count of a provider's open
--      obligations (Solana keeps it in the provider account and logs no event for it; the
--      placements and job results already record each obligation);
--    - ProviderCharged: the registry's side of an eviction's charge, which ShardEvicted
--      already carries (`charged`) for the derived tables;
--    - JobOutputPublished: the jobs contract's side of a publication, which the datasets
--      contract's VersionPublished (naming the job) already records.
--    apply_event() raises on a kind it does not know, so they are filtered here, by name,
--    and any other unknown kind still fails its batch loudly.
DROP TRIGGER events_apply ON events;
CREATE TRIGGER events_apply AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind NOT IN ('ChallengeSeedDrawn', 'TokensWithdrawn', 'ShardAccepted',
        'ShardReleased', 'ShardEvicted', 'ProviderDeregistered', 'JobPosted', 'JobApplied',
        'JobSelected', 'JobFinalized', 'JobWorkerSettled', 'DealSettled', 'JobOutputRegistered',
        'DatasetCreated', 'DatasetAccessChanged', 'DatasetGrantCreated', 'DatasetGrantRevoked',
        'VersionPublished', 'VersionRetracted', 'ProtocolBound', 'ObligationOpened',
        'ObligationClosed', 'ProviderCharged', 'JobOutputPublished'))
    EXECUTE FUNCTION apply_event();
