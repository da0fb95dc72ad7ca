// A dApp's view of the indexer: types generated from its /openapi.json by openapi-typescript
// (`api.d.ts`, made next to this file by indexer/tests/typed_client.rs), one read of every
// route, and the fields a client would use. `tsc --strict` must accept it, so a field the
// document renames or drops breaks the check; run against a populated index, it prints how
// many rows each route gave, as JSON, for the test to check.
//
// Usage: node read_every_route.js <base URL>

import type { paths } from "./api";

declare const process: { argv: string[]; exitCode: number };

/// The JSON body of a route's 200 answer, as the document types it.
type Ok<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { "application/json": infer T } } } };
}
  ? T
  : never;

const base = process.argv[2];
const rows: Record<string, number> = {};

async function get<P extends keyof paths>(route: P, path: string): Promise<Ok<P>> {
  const response = await fetch(base + path);
  if (response.status !== 200) {
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as Ok<P>;
}

/// Reads a list route and counts its rows.
async function list<P extends keyof paths>(route: P, path: string): Promise<Ok<P>> {
  const page = await get(route, path);
  rows[route] = (page as { items: unknown[] }).items.length;
  return page;
}

/// Reads a single-row route, counted as one row.
async function one<P extends keyof paths>(route: P, path: string): Promise<Ok<P>> {
  const row = await get(route, path);
  rows[route] = 1;
  return row;
}

const key = encodeURIComponent;
/// A use of each value, so that every field below is read through its generated type.
const seen: unknown[] = [];
function use(...values: unknown[]): void {
  seen.push(...values);
}
/// An amount: decimal digits, exact past 2^64.
function amount(value: string): bigint {
  return BigInt(value);
}

async function main(): Promise<void> {
  const providers = await list("/v1/providers", "/v1/providers?limit=1");
  for (const p of providers.items) {
    const provider = await one("/v1/providers/{id}", `/v1/providers/${key(p.authority)}`);
    use(amount(provider.stake) + amount(provider.unbonding), provider.liveness);
    use(provider.role_names.join(","), provider.silent_secs ?? "never", provider.finalized);
  }

  const blobs = await list("/v1/blobs", "/v1/blobs?limit=1");
  for (const b of blobs.items) {
    const blob = await one("/v1/blobs/{blob}", `/v1/blobs/${key(b.address)}`);
    use(blob.cid, amount(blob.size), blob.k + blob.m, blob.status);
    for (const slot of blob.placements) {
      use(slot.shard_index, slot.holder, slot.accepted_price ?? "not accepted");
    }
    if (blob.deal) use(amount(blob.deal.balance), blob.deal.paid_total);
    const grants = await list("/v1/blobs/{blob}/grants", `/v1/blobs/${key(b.address)}/grants`);
    for (const g of grants.items) use(g.grantee, g.roles, g.expires_at ?? "never", g.active);
  }

  const deals = await list("/v1/deals", "/v1/deals?limit=1");
  for (const d of deals.items) use(d.payer, amount(d.funded_total), d.cid ?? "");
  const payouts = await list("/v1/payouts", "/v1/payouts?limit=1");
  for (const p of payouts.items) use(p.holder, amount(p.amount), p.epochs_paid, p.signature);
  const proofs = await list("/v1/proofs", "/v1/proofs?limit=1");
  for (const p of proofs.items) use(p.outcome, p.epoch, p.chunk ?? null, p.event_id);
  const slashes = await list("/v1/slashes", "/v1/slashes?limit=1");
  for (const s of slashes.items) use(s.provider, amount(s.amount), s.bounty, s.subject);

  const jobs = await list("/v1/jobs", "/v1/jobs?limit=1");
  for (const j of jobs.items) {
    const job = await one("/v1/jobs/{address}", `/v1/jobs/${key(j.address)}`);
    use(job.status, amount(job.reward_per_worker), job.n, job.k, job.output_cid ?? "");
    for (const r of job.results) use(r.worker, r.selected, r.outcome ?? "pending", r.paid ?? "");
  }

  const datasets = await list("/v1/datasets", "/v1/datasets?limit=1");
  for (const d of datasets.items) {
    const dataset = await one("/v1/datasets/{dataset}", `/v1/datasets/${key(d.address)}`);
    use(dataset.name, dataset.owner, dataset.versions);
    const versions = await list(
      "/v1/datasets/{dataset}/versions",
      `/v1/datasets/${key(d.address)}/versions?limit=1`,
    );
    for (const v of versions.items) {
      const same = await list("/v1/versions/{cid}", `/v1/versions/${key(v.version_id)}`);
      use(same.items.map((s) => s.tag));
      const lineage = await one(
        "/v1/versions/{cid}/lineage",
        `/v1/versions/${key(v.version_id)}/lineage?dir=up&depth=4`,
      );
      use(lineage.roots, lineage.edges.map((e) => e.parent), lineage.truncated);
    }
  }

  const events = await list("/v1/events", "/v1/events?limit=1");
  for (const e of events.items) use(e.id, e.kind, e.payload, e.commitment, e.block_time ?? "");
  const cid = blobs.items[0]?.cid ?? "";
  const hits = await one("/v1/search", `/v1/search?q=${key(cid)}`);
  use(hits.blobs.length, hits.jobs, hits.providers, hits.datasets, hits.wallet);
  const history = await one("/v1/history", "/v1/history");
  use(history.slots_per_point, history.points.map((p) => amount(p.stored_bytes) + amount(p.paid)));
  use(history.epochs.map((e) => e.epoch + e.accepted + e.missed));
  const stats = await one("/v1/stats", "/v1/stats");
  use(stats.providers.total, amount(stats.providers.stake), amount(stats.deals.escrow));
  use(stats.jobs.succeeded, stats.blobs.active, stats.cursor?.slot ?? 0);
  const health = await one("/health", "/health");
  use(health.status, health.cursor_slot ?? 0);

  console.log(JSON.stringify(rows));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
