//! The reads the dApp API serves, each decoded into its row type ([`super::rows`]) from
//! columns named one by one.
//!
//! Lists use keyset pagination: a page asks for one row more than it returns, and the last
//! returned row's sort key is the `next` cursor.

use serde::Serialize;
use utoipa::ToSchema;

use super::rows::{
    BlobDetail, BlobRow, BlobTotals, CursorRow, DealRow, DealTotals, EpochProofs, EventRow,
    GrantRow, History, JobDetail, JobRow, JobTotals, PayoutRow, ProofRow, ProofTotals, ProviderRow,
    ProviderTotals, SearchHits, SlashRow, Stats,
};
use super::{Store, REORG_NOTICE};

/// The most rows one page returns.
pub const MAX_PAGE: u32 = 500;
const DEFAULT_PAGE: u32 = 50;

/// What page of a list to return: rows after `after` (a `next` value of the previous
/// page), at most `limit`.
///
/// Both are strings: query strings are text, and serde cannot read numbers through the
/// `#[serde(flatten)]` the API's filters use. [`PageRequest::validate`] checks them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: Option<String>,
}

impl PageRequest {
    /// A request for the first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self {
            after: None,
            limit: Some(limit.to_string()),
        }
    }

    /// The same page size, after `next`.
    pub fn after(&self, next: &str) -> Self {
        Self {
            after: Some(next.to_owned()),
            limit: self.limit.clone(),
        }
    }

    /// Checks the limit (1 to [`MAX_PAGE`]) and, for lists ordered by event id, the cursor.
    ///
    /// # Errors
    ///
    /// A message naming the bad parameter.
    pub fn validate(&self, by_id: bool) -> Result<(), String> {
        if let Some(l) = &self.limit {
            match l.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => {}
                _ => return Err(format!("limit={l}: expected 1 to {MAX_PAGE}")),
            }
        }
        if by_id {
            self.after_id()?;
        }
        Ok(())
    }

    pub(super) fn limit(&self) -> u32 {
        self.limit
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, MAX_PAGE)
    }

    /// LIMIT for the inner query: one more row than returned tells whether more exist.
    pub(super) fn fetch(&self) -> i64 {
        i64::from(self.limit()) + 1
    }

    /// The cursor as a row id, for lists ordered by event id.
    ///
    /// # Errors
    ///
    /// A message naming the bad cursor.
    pub fn after_id(&self) -> Result<Option<i64>, String> {
        self.after
            .as_deref()
            .map(|a| {
                a.parse()
                    .map_err(|_| format!("after={a}: expected a number"))
            })
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Listed<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The page `page` asked for out of `rows` (fetched with [`PageRequest::fetch`]: one row
/// more than a page, which tells whether another page follows), its cursor the last row's
/// `key`.
pub(super) fn listed<T>(
    mut rows: Vec<T>,
    page: &PageRequest,
    key: impl Fn(&T) -> String,
) -> Listed<T> {
    let limit = page.limit() as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(key) } else { None };
    Listed { items: rows, next }
}

/// The `finalized` column: whether the row last changed at or below the watermark.
fn finalized(slot_column: &str) -> String {
    format!("(SELECT coalesce(max(finalized_slot), 0) FROM cursors) >= {slot_column} AS finalized")
}

// The columns of each row type; sqlx matches them to its fields by name. NUMERIC columns
// are cast to text (`Uint`); times go through `to_jsonb`, which writes RFC 3339.

const PROVIDER_COLUMNS: &str = "address, authority, endpoint, region, roles, \
    array_remove(ARRAY[CASE WHEN roles & 1 <> 0 THEN 'storage' END, \
                       CASE WHEN roles & 2 <> 0 THEN 'compute' END], NULL) AS role_names, \
    capacity::text AS capacity, stake::text AS stake, unbonding::text AS unbonding, \
    unbonding_until_epoch, status, reputation, slashed_total::text AS slashed_total, \
    last_heartbeat_slot, to_jsonb(last_heartbeat_at) #>> '{}' AS last_heartbeat_at, \
    floor(extract(epoch FROM now() - last_heartbeat_at))::bigint AS silent_secs, \
    registered_slot, updated_slot, \
    (SELECT count(*) FROM placements pl JOIN blobs b ON b.address = pl.blob \
      WHERE pl.holder = providers.authority AND b.status <> 'deleted' \
        AND pl.released_slot IS NULL AND pl.evicted_slot IS NULL) AS shards_held, \
    (SELECT COALESCE(sum(ceil(b.size / b.k)), 0)::text FROM placements pl \
      JOIN blobs b ON b.address = pl.blob \
      WHERE pl.holder = providers.authority AND b.status <> 'deleted' \
        AND pl.released_slot IS NULL AND pl.evicted_slot IS NULL) AS bytes_held, \
    (SELECT count(*) FROM proofs WHERE holder = providers.authority \
        AND outcome = 'accepted') AS proofs_accepted, \
    (SELECT count(*) FROM proofs WHERE holder = providers.authority \
        AND outcome = 'missed') AS proofs_missed, \
    (SELECT COALESCE(sum(amount), 0)::text FROM payouts \
      WHERE holder = providers.authority) AS earned";

const BLOB_COLUMNS: &str = "address, cid, owner, size::text AS size, k, m, chunk_count, \
    commitment_root, expiry_epoch, public, encrypted, token_gate_mint, \
    token_gate_min_balance::text AS token_gate_min_balance, status, registered_slot, \
    activated_slot, deleted_by, deleted_slot, updated_slot";

const PLACEMENT_COLUMNS: &str = "shard_index, holder, previous, assigned_epoch, \
    last_proven_epoch, needs_repair, slot, accepted_slot, accepted_price::text AS accepted_price, \
    released_slot, evicted_slot";

/// From `deals d LEFT JOIN blobs b`.
const DEAL_COLUMNS: &str = "d.address, d.blob, b.cid, d.payer, \
    d.price_per_shard_epoch::text AS price_per_shard_epoch, d.balance::text AS balance, \
    d.funded_total::text AS funded_total, d.paid_total::text AS paid_total, \
    d.refunded::text AS refunded, d.status, d.created_slot, d.updated_slot";

const GRANT_COLUMNS: &str = "blob, grantee, roles, to_jsonb(expires_at) #>> '{}' AS expires_at, \
    granted_by, active, revoked_by, created_slot, updated_slot";

/// From a history table `h` joined with `events e` and `blobs b`.
const PAYOUT_COLUMNS: &str = "h.event_id, h.deal, h.blob, b.cid, h.shard_index, h.holder, \
    h.epochs_paid, h.epochs_owed, h.amount::text AS amount, e.signature, h.slot";

/// From a history table `h` joined with `events e` and `blobs b`.
const PROOF_COLUMNS: &str = "h.event_id, h.blob, b.cid, h.shard_index, h.holder, h.epoch, \
    h.outcome, h.chunk, h.leaf, h.cranker, e.signature, h.slot";

/// From `slashes s` joined with `events e` and `providers p`.
const SLASH_COLUMNS: &str = "s.event_id, s.provider, p.authority, s.amount::text AS amount, \
    s.bounty::text AS bounty, s.beneficiary, s.subject, s.reputation, e.signature, s.slot";

const JOB_COLUMNS: &str = "address, requester, nonce::text AS nonce, module_cid, input_cid, \
    input_version, fuel_limit::text AS fuel_limit, n, k, \
    reward_per_worker::text AS reward_per_worker, apply_deadline_slot, commit_deadline_slot, \
    reveal_deadline_slot, status, result_hash, agreeing, refunded::text AS refunded, seed, \
    selected_slot, output_budget::text AS output_budget, \
    output_price_per_shard_epoch::text AS output_price_per_shard_epoch, output_deadline_slot, \
    output_encrypted, output_blob, output_cid, output_worker, output_slot, \
    output_refunded::text AS output_refunded, publish_dataset, publish_tag, \
    publish_budget::text AS publish_budget, published_version, posted_slot, finalized_slot, \
    closed_slot, updated_slot";

const JOB_RESULT_COLUMNS: &str = "worker, applied_slot, stake::text AS stake, selected, \
    commitment, committed_slot, result_hash, revealed_slot, outcome, paid::text AS paid, \
    slashed::text AS slashed, settled_slot";

const EVENT_COLUMNS: &str = "id, signature, event_index, slot, \
    to_jsonb(block_time) #>> '{}' AS block_time, kind, payload, commitment";

/// Filters of the provider list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProviderFilter {
    /// `storage` or `compute`.
    pub role: Option<String>,
    /// `active`, `unbonding` or `jailed`.
    pub status: Option<String>,
    pub region: Option<String>,
}

impl Store {
    /// Providers, by address.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn providers(
        &self,
        filter: &ProviderFilter,
        page: &PageRequest,
    ) -> Result<Listed<ProviderRow>, sqlx::Error> {
        let role_bit: Option<i16> = match filter.role.as_deref() {
            Some("storage") => Some(1),
            Some("compute") => Some(2),
            Some(_) => Some(0),
            None => None,
        };
        let sql = format!(
            "SELECT {PROVIDER_COLUMNS}, {} FROM providers \
             WHERE ($1::smallint IS NULL OR roles & $1 <> 0) \
               AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR region = $3) \
               AND ($4::text IS NULL OR address > $4) \
             ORDER BY address LIMIT $5",
            finalized("updated_slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(role_bit)
            .bind(&filter.status)
            .bind(&filter.region)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &ProviderRow| r.address.clone()))
    }

    /// The network over time: at most `points` points from the first indexed slot to the
    /// last, and the latest `epochs` epochs' proof outcomes.
    ///
    /// # Errors
    ///
    /// When a query fails.
    pub async fn network_history(&self, points: i64, epochs: i64) -> Result<History, sqlx::Error> {
        // Events are written in slot order, so the first and last by id (the primary key)
        // hold the first and last slots without a scan.
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT slot FROM events ORDER BY id LIMIT 1), \
                    (SELECT slot FROM events ORDER BY id DESC LIMIT 1)",
        )
        .fetch_one(&self.pool)
        .await?;
        let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
        let width = ((last - first) / points.max(1) + 1).max(1);
        let count = (last - first) / width + 1;
        // Each blob adds its size in its registration's point and takes it back in its
        // deletion's; the running sum is what is stored at the end of each point.
        let points = sqlx::query_as(
            "WITH idx AS (SELECT generate_series(0::bigint, $3 - 1) AS i), \
             stored AS (SELECT i, sum(d) AS d FROM ( \
                 SELECT (registered_slot - $1) / $2 AS i, size AS d FROM blobs \
                 UNION ALL \
                 SELECT (deleted_slot - $1) / $2, -size FROM blobs \
                  WHERE deleted_slot IS NOT NULL) deltas GROUP BY i), \
             paid AS (SELECT (slot - $1) / $2 AS i, sum(amount) AS amount FROM payouts GROUP BY 1) \
             SELECT $1 + idx.i * $2 AS slot, \
                    (sum(COALESCE(stored.d, 0)) OVER (ORDER BY idx.i))::text AS stored_bytes, \
                    COALESCE(paid.amount, 0)::text AS paid \
             FROM idx LEFT JOIN stored USING (i) LEFT JOIN paid USING (i) ORDER BY idx.i",
        )
        .bind(first)
        .bind(width)
        .bind(count)
        .fetch_all(&self.pool)
        .await?;
        let mut epochs: Vec<EpochProofs> = sqlx::query_as(
            "SELECT epoch, count(*) FILTER (WHERE outcome = 'accepted') AS accepted, \
                    count(*) FILTER (WHERE outcome = 'missed') AS missed \
             FROM proofs GROUP BY epoch ORDER BY epoch DESC LIMIT $1",
        )
        .bind(epochs)
        .fetch_all(&self.pool)
        .await?;
        epochs.reverse();
        Ok(History {
            slots_per_point: width,
            points,
            epochs,
        })
    }

    /// What `term` names: blobs (by address or CID), jobs, providers (by account or
    /// authority), datasets, and whether it is a wallet with blobs or jobs.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn search(&self, term: &str) -> Result<SearchHits, sqlx::Error> {
        // INV: each list is bounded (a key, or one CID's owners up to the limit).
        sqlx::query_as(
            "SELECT \
               ARRAY(SELECT address FROM blobs WHERE address = $1 OR cid = $1 \
                     ORDER BY address LIMIT 100) AS blobs, \
               ARRAY(SELECT address FROM jobs WHERE address = $1) AS jobs, \
               ARRAY(SELECT authority FROM providers \
                     WHERE address = $1 OR authority = $1) AS providers, \
               ARRAY(SELECT address FROM datasets WHERE address = $1) AS datasets, \
               (EXISTS (SELECT 1 FROM blobs WHERE owner = $1) \
                OR EXISTS (SELECT 1 FROM jobs WHERE requester = $1)) AS wallet",
        )
        .bind(term)
        .fetch_one(&self.pool)
        .await
    }

    /// One provider by its account address or its authority.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn provider(&self, id: &str) -> Result<Option<ProviderRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {PROVIDER_COLUMNS}, {} FROM providers WHERE address = $1 OR authority = $1",
            finalized("updated_slot")
        );
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// One blob by id (its address: the account's on Solana, `basalt_proof::blob_id` in
    /// base58 on NEAR), with its placement and deal.
    ///
    /// # Errors
    ///
    /// When a query fails.
    pub async fn blob(&self, id: &str) -> Result<Option<BlobDetail>, sqlx::Error> {
        let sql = format!(
            "SELECT {BLOB_COLUMNS}, {} FROM blobs WHERE address = $1",
            finalized("updated_slot")
        );
        let Some(blob) = sqlx::query_as::<_, BlobRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let placements = sqlx::query_as(&format!(
            "SELECT {PLACEMENT_COLUMNS} FROM placements WHERE blob = $1 ORDER BY shard_index"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let deal = sqlx::query_as(&format!(
            "SELECT {DEAL_COLUMNS}, {} FROM deals d LEFT JOIN blobs b ON b.address = d.blob \
             WHERE d.blob = $1 ORDER BY d.address LIMIT 1",
            finalized("d.updated_slot")
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Some(BlobDetail {
            blob,
            placements,
            deal,
        }))
    }

    /// Blobs of `owner` and/or of content `cid` (every owner's registration of it), all
    /// blobs without either, by address.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn blobs(
        &self,
        owner: Option<&str>,
        cid: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<BlobRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {BLOB_COLUMNS}, {} FROM blobs \
             WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR cid = $2) \
               AND ($3::text IS NULL OR address > $3) \
             ORDER BY address LIMIT $4",
            finalized("updated_slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(owner)
            .bind(cid)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &BlobRow| r.address.clone()))
    }

    /// Grants on the blob `id`, active and revoked, by grantee.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn grants(
        &self,
        id: &str,
        page: &PageRequest,
    ) -> Result<Listed<GrantRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS}, {} FROM grants \
             WHERE blob = $1 AND ($2::text IS NULL OR grantee > $2) \
             ORDER BY grantee LIMIT $3",
            finalized("updated_slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(id)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &GrantRow| r.grantee.clone()))
    }

    /// Deals, optionally of one payer, by address.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn deals(
        &self,
        payer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<DealRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {DEAL_COLUMNS}, {} FROM deals d LEFT JOIN blobs b ON b.address = d.blob \
             WHERE ($1::text IS NULL OR d.payer = $1) AND ($2::text IS NULL OR d.address > $2) \
             ORDER BY d.address LIMIT $3",
            finalized("d.updated_slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(payer)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &DealRow| r.address.clone()))
    }

    /// Payouts to `holder` and/or from the deal of blob `blob` (its id), oldest first.
    ///
    /// # Errors
    ///
    /// When the query fails or `after` is not an event id.
    pub async fn payouts(
        &self,
        holder: Option<&str>,
        blob: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<PayoutRow>, sqlx::Error> {
        let rows = self
            .history("payouts", PAYOUT_COLUMNS, holder, blob, page)
            .await?;
        Ok(listed(rows, page, |r: &PayoutRow| r.event_id.to_string()))
    }

    /// Storage-proof outcomes for `holder` and/or blob `blob` (its id), oldest first.
    ///
    /// # Errors
    ///
    /// When the query fails or `after` is not an event id.
    pub async fn proofs(
        &self,
        holder: Option<&str>,
        blob: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<ProofRow>, sqlx::Error> {
        let rows = self
            .history("proofs", PROOF_COLUMNS, holder, blob, page)
            .await?;
        Ok(listed(rows, page, |r: &ProofRow| r.event_id.to_string()))
    }

    /// A per-event history table (`payouts`, `proofs`) filtered by holder and blob id: one
    /// page and one row more, in event order.
    async fn history<T>(
        &self,
        table: &'static str,
        columns: &'static str,
        holder: Option<&str>,
        blob: Option<&str>,
        page: &PageRequest,
    ) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        let sql = format!(
            "SELECT {columns}, {} FROM {table} h \
             JOIN events e ON e.id = h.event_id LEFT JOIN blobs b ON b.address = h.blob \
             WHERE ($1::text IS NULL OR h.holder = $1) AND ($2::text IS NULL OR h.blob = $2) \
               AND ($3::bigint IS NULL OR h.event_id > $3) \
             ORDER BY h.event_id LIMIT $4",
            finalized("h.slot")
        );
        sqlx::query_as(&sql)
            .bind(holder)
            .bind(blob)
            .bind(after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await
    }

    /// Slashes of one provider (account address or authority) or of all, oldest first.
    ///
    /// # Errors
    ///
    /// When the query fails or `after` is not an event id.
    pub async fn slashes(
        &self,
        provider: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<SlashRow>, sqlx::Error> {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        let sql = format!(
            "SELECT {SLASH_COLUMNS}, {} FROM slashes s \
             JOIN events e ON e.id = s.event_id LEFT JOIN providers p ON p.address = s.provider \
             WHERE ($1::text IS NULL OR s.provider = $1 OR p.authority = $1) \
               AND ($2::bigint IS NULL OR s.event_id > $2) \
             ORDER BY s.event_id LIMIT $3",
            finalized("s.slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(provider)
            .bind(after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &SlashRow| r.event_id.to_string()))
    }

    /// Jobs, by address, filtered by requester and status.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn jobs(
        &self,
        requester: Option<&str>,
        status: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<JobRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, {} FROM jobs \
             WHERE ($1::text IS NULL OR requester = $1) AND ($2::text IS NULL OR status = $2) \
               AND ($3::text IS NULL OR address > $3) \
             ORDER BY address LIMIT $4",
            finalized("updated_slot")
        );
        let rows = sqlx::query_as(&sql)
            .bind(requester)
            .bind(status)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_all(&self.pool)
            .await?;
        Ok(listed(rows, page, |r: &JobRow| r.address.clone()))
    }

    /// One job with every applicant's application, selection, commitment, reveal and outcome.
    ///
    /// # Errors
    ///
    /// When a query fails.
    pub async fn job(&self, address: &str) -> Result<Option<JobDetail>, sqlx::Error> {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, {} FROM jobs WHERE address = $1",
            finalized("updated_slot")
        );
        let Some(job) = sqlx::query_as::<_, JobRow>(&sql)
            .bind(address)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let results = sqlx::query_as(&format!(
            "SELECT {JOB_RESULT_COLUMNS} FROM job_results WHERE job = $1 \
             ORDER BY applied_slot, worker"
        ))
        .bind(address)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(JobDetail { job, results }))
    }

    /// Raw events after event id `after`, optionally of one kind (and every reorg notice,
    /// [`REORG_NOTICE`]) and naming one account.
    ///
    /// # Errors
    ///
    /// When the query fails or `after` is not an event id.
    pub async fn events(
        &self,
        kind: Option<&str>,
        account: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<EventRow>, sqlx::Error> {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        // A reorg's notice passes a kind filter: whoever read events of any kind must
        // learn that some were taken back.
        let rows = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE ($1::text IS NULL OR kind = $1 OR kind = '{REORG_NOTICE}') \
               AND ($2::text IS NULL OR accounts @> ARRAY[$2::text]) \
               AND ($3::bigint IS NULL OR id > $3) \
             ORDER BY id LIMIT $4"
        ))
        .bind(kind)
        .bind(account)
        .bind(after)
        .bind(page.fetch())
        .fetch_all(&self.pool)
        .await?;
        Ok(listed(rows, page, |r: &EventRow| r.id.to_string()))
    }

    /// The newest event id (0 when there is none).
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn newest_event(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await
    }

    /// Network totals: providers by status, stake, blobs, bytes, deals, proofs, jobs, and
    /// how far the indexer has followed the chain.
    ///
    /// # Errors
    ///
    /// When a query fails.
    pub async fn stats(&self) -> Result<Stats, sqlx::Error> {
        let pool = &self.pool;
        let (providers, blobs, deals, proofs, jobs, counts, cursor) = tokio::try_join!(
            sqlx::query_as::<_, ProviderTotals>(
                "SELECT count(*) AS total, \
                        count(*) FILTER (WHERE status = 'active') AS active, \
                        count(*) FILTER (WHERE status = 'unbonding') AS unbonding, \
                        count(*) FILTER (WHERE status = 'jailed') AS jailed, \
                        count(*) FILTER (WHERE roles & 1 <> 0) AS storage, \
                        count(*) FILTER (WHERE roles & 2 <> 0) AS compute, \
                        coalesce(sum(stake), 0)::text AS stake, \
                        coalesce(sum(capacity), 0)::text AS capacity \
                 FROM providers",
            )
            .fetch_one(pool),
            sqlx::query_as::<_, BlobTotals>(
                "SELECT count(*) FILTER (WHERE status = 'active') AS active, \
                        coalesce(sum(size) FILTER (WHERE status = 'active'), 0)::text AS bytes, \
                        count(*) FILTER (WHERE status = 'deleted') AS deleted \
                 FROM blobs",
            )
            .fetch_one(pool),
            sqlx::query_as::<_, DealTotals>(
                "SELECT count(*) FILTER (WHERE status = 'open') AS open, \
                        coalesce(sum(balance), 0)::text AS escrow, \
                        coalesce(sum(paid_total), 0)::text AS paid \
                 FROM deals",
            )
            .fetch_one(pool),
            sqlx::query_as::<_, ProofTotals>(
                "SELECT count(*) FILTER (WHERE outcome = 'accepted') AS accepted, \
                        count(*) FILTER (WHERE outcome = 'missed') AS missed \
                 FROM proofs",
            )
            .fetch_one(pool),
            sqlx::query_as::<_, JobTotals>(
                "SELECT count(*) FILTER (WHERE status = 'open') AS open, \
                        count(*) FILTER (WHERE status = 'succeeded') AS succeeded, \
                        count(*) FILTER (WHERE status = 'failed') AS failed \
                 FROM jobs",
            )
            .fetch_one(pool),
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM undecoded)"
            )
            .fetch_one(pool),
            sqlx::query_as::<_, CursorRow>(
                "SELECT program_id, signature, slot, finalized_slot, \
                        to_jsonb(updated_at) #>> '{}' AS updated_at \
                 FROM cursors ORDER BY program_id LIMIT 1",
            )
            .fetch_optional(pool),
        )?;
        Ok(Stats {
            providers,
            blobs,
            deals,
            proofs,
            jobs,
            events: counts.0,
            undecoded: counts.1,
            cursor,
        })
    }
}
