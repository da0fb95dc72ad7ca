//! The reads the dApp API serves. PostgreSQL renders the JSON itself (`to_jsonb` of each
//! row), so a row's columns are the API's fields and NUMERIC amounts stay exact.
//!
//! Lists use keyset pagination: each inner query selects its sort key as `_k`; a page asks
//! for one row more than it returns, and the last returned row's key is the `next` cursor.

use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::Postgres;

use super::Store;

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
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Page {
    /// The rows, in the list's order.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Page {
    fn from_rows(rows: Value, request: &PageRequest) -> Self {
        let mut items = match rows {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        let limit = request.limit() as usize;
        let more = items.len() > limit;
        items.truncate(limit);
        let mut next = None;
        for item in &mut items {
            if let Some(key) = item.as_object_mut().and_then(|o| o.remove("_k")) {
                next = Some(match key {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
            }
        }
        Self {
            items,
            next: next.filter(|_| more),
        }
    }
}

/// Wraps a row query so PostgreSQL returns its rows as one JSON array in key order.
fn json_rows(inner: &str) -> String {
    format!("SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t._k), '[]'::jsonb) FROM ({inner}) t")
}

/// The `finalized` column: whether the row last changed at or below the watermark.
fn finalized(slot_column: &str) -> String {
    format!("(SELECT coalesce(max(finalized_slot), 0) FROM cursors) >= {slot_column} AS finalized")
}

const PROVIDER_COLUMNS: &str = "address, authority, endpoint, region, roles, \
    array_remove(ARRAY[CASE WHEN roles & 1 <> 0 THEN 'storage' END, \
                       CASE WHEN roles & 2 <> 0 THEN 'compute' END], NULL) AS role_names, \
    capacity, stake, unbonding, unbonding_until_epoch, status, reputation, slashed_total, \
    last_heartbeat_slot, last_heartbeat_at, \
    floor(extract(epoch FROM now() - last_heartbeat_at))::bigint AS silent_secs, \
    registered_slot, updated_slot";

/// Filters of the provider list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProviderFilter {
    /// `storage` or `compute`.
    pub role: Option<String>,
    /// `active`, `unbonding` or `jailed`.
    pub status: Option<String>,
    pub region: Option<String>,
}

type Scalar<'q> = QueryScalar<'q, Postgres, Value, PgArguments>;

impl Store {
    async fn one(&self, query: Scalar<'_>) -> Result<Option<Value>, sqlx::Error> {
        let value: Option<Value> = query.fetch_optional(&self.pool).await?;
        Ok(value.filter(|v| !v.is_null()))
    }

    /// Providers, by address.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn providers(
        &self,
        filter: &ProviderFilter,
        page: &PageRequest,
    ) -> Result<Page, sqlx::Error> {
        let role_bit: Option<i16> = match filter.role.as_deref() {
            Some("storage") => Some(1),
            Some("compute") => Some(2),
            Some(_) => Some(0),
            None => None,
        };
        let sql = json_rows(&format!(
            "SELECT address AS _k, {PROVIDER_COLUMNS}, {} FROM providers \
             WHERE ($1::smallint IS NULL OR roles & $1 <> 0) \
               AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR region = $3) \
               AND ($4::text IS NULL OR address > $4) \
             ORDER BY address LIMIT $5",
            finalized("updated_slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(role_bit)
            .bind(&filter.status)
            .bind(&filter.region)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
    }

    /// One provider by its account address or its authority.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn provider(&self, id: &str) -> Result<Option<Value>, sqlx::Error> {
        let sql = format!(
            "SELECT to_jsonb(t) FROM (SELECT {PROVIDER_COLUMNS}, {} FROM providers \
             WHERE address = $1 OR authority = $1) t",
            finalized("updated_slot")
        );
        self.one(sqlx::query_scalar(&sql).bind(id)).await
    }

    /// One blob by id (its address: the account's on Solana, `basalt_proof::blob_id` in
    /// base58 on NEAR), with its placement and deal.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn blob(&self, id: &str) -> Result<Option<Value>, sqlx::Error> {
        let sql = format!(
            "SELECT to_jsonb(b) || jsonb_build_object( \
                 'placements', (SELECT coalesce(jsonb_agg(to_jsonb(p) - 'blob' \
                                    ORDER BY p.shard_index), '[]'::jsonb) \
                                FROM placements p WHERE p.blob = b.address), \
                 'deal', (SELECT to_jsonb(d) FROM deals d WHERE d.blob = b.address)) \
             FROM (SELECT *, {} FROM blobs WHERE address = $1) b",
            finalized("updated_slot")
        );
        self.one(sqlx::query_scalar(&sql).bind(id)).await
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
    ) -> Result<Page, sqlx::Error> {
        let sql = json_rows(&format!(
            "SELECT address AS _k, *, {} FROM blobs \
             WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR cid = $2) \
               AND ($3::text IS NULL OR address > $3) \
             ORDER BY address LIMIT $4",
            finalized("updated_slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(owner)
            .bind(cid)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
    }

    /// Grants on the blob `id`, active and revoked, by grantee.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn grants(&self, id: &str, page: &PageRequest) -> Result<Page, sqlx::Error> {
        let sql = json_rows(&format!(
            "SELECT g.grantee AS _k, g.*, {} FROM grants g \
             WHERE g.blob = $1 AND ($2::text IS NULL OR g.grantee > $2) \
             ORDER BY g.grantee LIMIT $3",
            finalized("g.updated_slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(id)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
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
    ) -> Result<Page, sqlx::Error> {
        let sql = json_rows(&format!(
            "SELECT d.address AS _k, d.*, b.cid, {} FROM deals d \
             LEFT JOIN blobs b ON b.address = d.blob \
             WHERE ($1::text IS NULL OR d.payer = $1) AND ($2::text IS NULL OR d.address > $2) \
             ORDER BY d.address LIMIT $3",
            finalized("d.updated_slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(payer)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
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
    ) -> Result<Page, sqlx::Error> {
        self.history("payouts", holder, blob, page).await
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
    ) -> Result<Page, sqlx::Error> {
        self.history("proofs", holder, blob, page).await
    }

    /// A per-event history table (`payouts`, `proofs`) filtered by holder and blob id.
    async fn history(
        &self,
        table: &'static str,
        holder: Option<&str>,
        blob: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page, sqlx::Error> {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        let sql = json_rows(&format!(
            "SELECT h.event_id AS _k, h.*, b.cid, e.signature, {} FROM {table} h \
             JOIN events e ON e.id = h.event_id LEFT JOIN blobs b ON b.address = h.blob \
             WHERE ($1::text IS NULL OR h.holder = $1) AND ($2::text IS NULL OR h.blob = $2) \
               AND ($3::bigint IS NULL OR h.event_id > $3) \
             ORDER BY h.event_id LIMIT $4",
            finalized("h.slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(holder)
            .bind(blob)
            .bind(after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
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
    ) -> Result<Page, sqlx::Error> {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        let sql = json_rows(&format!(
            "SELECT s.event_id AS _k, s.*, p.authority, e.signature, {} FROM slashes s \
             JOIN events e ON e.id = s.event_id LEFT JOIN providers p ON p.address = s.provider \
             WHERE ($1::text IS NULL OR s.provider = $1 OR p.authority = $1) \
               AND ($2::bigint IS NULL OR s.event_id > $2) \
             ORDER BY s.event_id LIMIT $3",
            finalized("s.slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(provider)
            .bind(after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
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
    ) -> Result<Page, sqlx::Error> {
        let sql = json_rows(&format!(
            "SELECT address AS _k, *, {} FROM jobs \
             WHERE ($1::text IS NULL OR requester = $1) AND ($2::text IS NULL OR status = $2) \
               AND ($3::text IS NULL OR address > $3) \
             ORDER BY address LIMIT $4",
            finalized("updated_slot")
        ));
        let rows = sqlx::query_scalar(&sql)
            .bind(requester)
            .bind(status)
            .bind(&page.after)
            .bind(page.fetch())
            .fetch_one(&self.pool)
            .await?;
        Ok(Page::from_rows(rows, page))
    }

    /// One job with every applicant's application, selection, commitment, reveal and outcome.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn job(&self, address: &str) -> Result<Option<Value>, sqlx::Error> {
        let sql = format!(
            "SELECT to_jsonb(j) || jsonb_build_object('results', \
                 (SELECT coalesce(jsonb_agg(to_jsonb(r) - 'job' ORDER BY r.applied_slot, r.worker), \
                                  '[]'::jsonb) \
                  FROM job_results r WHERE r.job = j.address)) \
             FROM (SELECT *, {} FROM jobs WHERE address = $1) j",
            finalized("updated_slot")
        );
        self.one(sqlx::query_scalar(&sql).bind(address)).await
    }

    /// Raw events after event id `after`, optionally of one kind and naming one account.
    ///
    /// # Errors
    ///
    /// When the query fails or `after` is not an event id.
    pub async fn events(
        &self,
        kind: Option<&str>,
        account: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page, sqlx::Error> {
        let after = page.after_id().map_err(sqlx::Error::Protocol)?;
        let rows = sqlx::query_scalar(&json_rows(
            "SELECT id AS _k, id, signature, event_index, slot, block_time, kind, payload, \
                    commitment \
             FROM events \
             WHERE ($1::text IS NULL OR kind = $1) \
               AND ($2::text IS NULL OR accounts @> ARRAY[$2::text]) \
               AND ($3::bigint IS NULL OR id > $3) \
             ORDER BY id LIMIT $4",
        ))
        .bind(kind)
        .bind(account)
        .bind(after)
        .bind(page.fetch())
        .fetch_one(&self.pool)
        .await?;
        Ok(Page::from_rows(rows, page))
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
    /// When the query fails.
    pub async fn stats(&self) -> Result<Value, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT jsonb_build_object( \
               'providers', (SELECT jsonb_build_object( \
                   'total', count(*), \
                   'active', count(*) FILTER (WHERE status = 'active'), \
                   'unbonding', count(*) FILTER (WHERE status = 'unbonding'), \
                   'jailed', count(*) FILTER (WHERE status = 'jailed'), \
                   'storage', count(*) FILTER (WHERE roles & 1 <> 0), \
                   'compute', count(*) FILTER (WHERE roles & 2 <> 0), \
                   'stake', coalesce(sum(stake), 0), \
                   'capacity', coalesce(sum(capacity), 0)) FROM providers), \
               'blobs', (SELECT jsonb_build_object( \
                   'active', count(*) FILTER (WHERE status = 'active'), \
                   'bytes', coalesce(sum(size) FILTER (WHERE status = 'active'), 0), \
                   'deleted', count(*) FILTER (WHERE status = 'deleted')) FROM blobs), \
               'deals', (SELECT jsonb_build_object( \
                   'open', count(*) FILTER (WHERE status = 'open'), \
                   'escrow', coalesce(sum(balance), 0), \
                   'paid', coalesce(sum(paid_total), 0)) FROM deals), \
               'proofs', (SELECT jsonb_build_object( \
                   'accepted', count(*) FILTER (WHERE outcome = 'accepted'), \
                   'missed', count(*) FILTER (WHERE outcome = 'missed')) FROM proofs), \
               'jobs', (SELECT jsonb_object_agg(status, n) \
                        FROM (SELECT status, count(*) AS n FROM jobs GROUP BY status) s), \
               'events', (SELECT count(*) FROM events), \
               'undecoded', (SELECT count(*) FROM undecoded), \
               'cursor', (SELECT to_jsonb(c) FROM cursors c LIMIT 1))",
        )
        .fetch_one(&self.pool)
        .await
    }
}
