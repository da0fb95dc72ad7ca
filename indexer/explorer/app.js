// The Basalt explorer: views of the network drawn from the indexer's public API (/v1/…) and
// its server-sent event stream; only a connected wallet's actions (actions.js) also talk to
// the chain's RPC endpoint. Every view has its own URL (the part after
// `#`), so a view can be shared. Text from the chain (endpoints, regions, names) is only ever
// put into the page as text, never as markup.

import { blobActions, explorerConfig, mountWalletControl, roleNames } from "./actions.js";
import { api, every, maybe } from "./api.js";
import { address, amount, badge, blobLink, bytes, fields, h, jobLink, link, ownerLink, short, table, totals } from "./dom.js";

const view = document.getElementById("view");
const problem = document.getElementById("problem");

/** Events the live feed shows at most. */
const FEED_ROWS = 200;

// ---------------------------------------------------------------------------------------
// Views: each draws into `view` and may return a function that stops what it started.

async function networkView() {
  const [stats, providers, history] = await Promise.all([api("/v1/stats"), every("/v1/providers"), api("/v1/history")]);
  const p = stats.providers;
  return [
    h("h1", {}, "Network"),
    totals([
      ["Providers", `${p.total} (${p.active} active)`],
      ["Jailed", p.jailed],
      ["Staked", amount(p.stake)],
      ["Capacity", bytes(p.capacity)],
      ["Blobs stored", stats.blobs.active],
      ["Bytes stored", bytes(stats.blobs.bytes)],
      ["Deals open", stats.deals.open],
      ["In escrow", amount(stats.deals.escrow)],
      ["Paid out", amount(stats.deals.paid)],
      ["Proofs passed", stats.proofs.accepted],
      ["Proofs missed", stats.proofs.missed],
      ["Jobs", `${stats.jobs.open} open, ${stats.jobs.succeeded} ok, ${stats.jobs.failed} failed`],
    ]),
    h("div", { class: "charts" }, charts(history)),
    h("h2", {}, "Providers"),
    table([
      ["Provider", (r) => address(r.authority)],
      ["Endpoint", (r) => r.endpoint],
      ["Region", (r) => r.region],
      ["Roles", (r) => r.role_names.join(", ")],
      ["Liveness", (r) => badge(r.liveness)],
      ["Status", (r) => badge(r.status)],
      ["Stake", (r) => amount(r.stake), "num"],
      ["Capacity", (r) => bytes(r.capacity), "num"],
      ["Shards", (r) => r.shards_held, "num", "shards"],
      ["Used", (r) => bytes(r.bytes_held), "num", "used"],
      ["Proofs passed / missed", (r) => `${r.proofs_accepted} / ${r.proofs_missed}`, "num", "proofs"],
      ["Earned", (r) => amount(r.earned), "num", "earned"],
      ["Reputation", (r) => r.reputation, "num"],
      ["Slashed", (r) => amount(r.slashed_total), "num"],
      ["Last heartbeat", (r) => (r.silent_secs === null ? "never" : `${r.silent_secs} s ago`)],
    ], providers, {
      empty: "No provider has registered.",
      rowAttributes: (r) => ({ "data-provider": r.authority, "data-liveness": r.liveness }),
    }),
  ];
}

/** Stored bytes and payouts by slot, proofs by epoch: one uPlot chart each. */
function charts(history) {
  const slots = history.points.map((p) => p.slot);
  const epochs = history.epochs.map((e) => e.epoch);
  // Whole numbers only on the axes (slots, epochs, counts): uPlot otherwise ticks halves.
  const whole = Array.from({ length: 18 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
  const chart = (title, label, x, series, format = amount) => {
    const box = h("figure", { class: "chart", "data-chart": title }, h("figcaption", {}, title));
    // Drawn once the box is in the page and has a width; again when the window resizes.
    requestAnimationFrame(() => {
      const width = () => Math.max(240, box.clientWidth - 8);
      const plot = new uPlot({
        width: width(),
        height: 180,
        scales: { x: { time: false } },
        axes: [{ label, incrs: whole }, { incrs: whole, size: 76, values: (_, ticks) => ticks.map(format) }],
        legend: { show: series.length > 1 },
        series: [{ label }, ...series.map(([name, , colour]) => ({ label: name, stroke: colour, width: 2 }))],
      }, [x, ...series.map(([, values]) => values)], box);
      addEventListener("resize", () => plot.setSize({ width: width(), height: 180 }));
    });
    return box;
  };
  return [
    chart("Stored bytes", "slot", slots, [["bytes", history.points.map((p) => Number(p.stored_bytes)), "#2a5d84"]], bytes),
    chart("Proofs per epoch", "epoch", epochs, [
      ["passed", history.epochs.map((e) => e.accepted), "#1d7a46"],
      ["missed", history.epochs.map((e) => e.missed), "#b3261e"],
    ]),
    chart("Payouts", "slot", slots, [["paid", history.points.map((p) => Number(p.paid)), "#a86200"]]),
  ];
}

async function blobsView(owner) {
  const rows = await every(owner ? `/v1/blobs?owner=${encodeURIComponent(owner)}` : "/v1/blobs");
  return [
    h("h1", {}, owner ? "Blobs of " : "Blobs", owner ? address(owner) : ""),
    table([
      ["Blob", (r) => blobLink(r.address)],
      ["CID", (r) => h("span", { class: "address", title: r.cid }, short(r.cid))],
      ["Owner", (r) => ownerLink(r.owner)],
      ["Size", (r) => bytes(r.size), "num"],
      ["Layout", (r) => `RS(${r.k}, ${r.m})`],
      ["Status", (r) => badge(r.status)],
      ["Registered", (r) => `slot ${r.registered_slot}`],
    ], rows, { empty: "No blob.", rowAttributes: (r) => ({ "data-blob": r.address }) }),
  ];
}

async function blobView(id) {
  const detail = await maybe(`/v1/blobs/${encodeURIComponent(id)}`);
  if (detail === null) return notFound("blob", id);
  const [grants, proofs, payouts, history] = await Promise.all([
    every(`/v1/blobs/${encodeURIComponent(id)}/grants`),
    every(`/v1/proofs?blob=${encodeURIComponent(id)}`),
    every(`/v1/payouts?blob=${encodeURIComponent(id)}`),
    every(`/v1/events?account=${encodeURIComponent(id)}`),
  ]);
  const deal = detail.deal;
  const config = await explorerConfig();
  return [
    h("h1", {}, "Blob ", address(detail.address)),
    fields([
      ["Address", detail.address],
      ["CID", detail.cid],
      ["Owner", ownerLink(detail.owner)],
      ["Size", `${bytes(detail.size)} (${amount(detail.size)} bytes)`],
      ["Layout", `RS(${detail.k}, ${detail.m}): ${detail.k + detail.m} shards, ${detail.chunk_count} chunk${detail.chunk_count === 1 ? "" : "s"} each`],
      ["Status", badge(detail.status)],
      ["Access", `${detail.public ? "public" : "private"}${detail.encrypted ? ", encrypted" : ""}${detail.token_gate_mint ? `, token gate ${detail.token_gate_mint}` : ""}`],
      ["Expires", `epoch ${detail.expiry_epoch}`],
      ["Commitment", badge(detail.finalized ? "finalized" : "confirmed")],
    ]),
    ...(await blobActions(detail, grants, draw)),
    h("h2", {}, "Placement"),
    table([
      ["Shard", (r) => r.shard_index, "num"],
      ["Holder", (r) => address(r.holder)],
      ["Accepted", (r) => (r.accepted_slot === null ? "not yet" : `slot ${r.accepted_slot}`)],
      ["Last proven", (r) => (r.last_proven_epoch === null ? "—" : `epoch ${r.last_proven_epoch}`)],
      ["Repair", (r) => (r.needs_repair ? badge("needs repair", "missed") : r.previous ? h("span", {}, "repaired from ", address(r.previous)) : "—")],
    ], detail.placements, { empty: "No shard placed.", rowAttributes: (r) => ({ "data-shard": r.shard_index, "data-holder": r.holder }) }),
    h("h2", {}, "Proofs by epoch"),
    proofGrid(detail.placements, proofs),
    h("h2", {}, "Deal"),
    deal
      ? fields([
        ["Payer", address(deal.payer)],
        ["Status", badge(deal.status)],
        ["Balance", amount(deal.balance)],
        ["Price per shard-epoch", amount(deal.price_per_shard_epoch)],
        ["Funded", amount(deal.funded_total)],
        ["Paid", amount(deal.paid_total)],
        ["Refunded", amount(deal.refunded)],
      ])
      : h("p", { class: "empty" }, "No deal."),
    h("h2", {}, "Payouts"),
    table([
      ["Shard", (r) => r.shard_index, "num"],
      ["Holder", (r) => address(r.holder)],
      ["Epochs paid", (r) => r.epochs_paid, "num"],
      ["Amount", (r) => amount(r.amount), "num"],
      ["Slot", (r) => r.slot, "num"],
    ], payouts, { empty: "No payout yet." }),
    h("h2", {}, "Grants"),
    table([
      ["Grantee", (r) => address(r.grantee)],
      ["Roles", (r) => roleNames(r.roles, config.roles)],
      ["Expires", (r) => r.expires_at ?? "never"],
      ["Active", (r) => badge(r.active ? "active" : "deleted")],
    ], grants, { empty: "No grant." }),
    h("h2", {}, "History"),
    eventTable(history.filter((e) => !e.kind.startsWith("Proof"))),
  ];
}

/** Events naming one blob or job, oldest first: placements, repairs, evictions, settlements. */
function eventTable(events) {
  return table([
    ["Slot", (e) => e.slot, "num"],
    ["Event", (e) => e.kind],
    ["What", (e) => summary(e.payload)],
    ["Commitment", (e) => badge(e.commitment)],
  ], events, { empty: "No event.", rowAttributes: (e) => ({ "data-kind": e.kind }) });
}

/** Shards down, epochs across: each cell is that shard's proof outcome in that epoch. */
function proofGrid(placements, proofs) {
  if (proofs.length === 0) return h("p", { class: "empty" }, "No proof recorded yet.");
  const epochs = [...new Set(proofs.map((p) => p.epoch))].sort((a, b) => a - b);
  const outcome = new Map(proofs.map((p) => [`${p.shard_index}/${p.epoch}`, p.outcome]));
  const shards = [...new Set([...placements.map((p) => p.shard_index), ...proofs.map((p) => p.shard_index)])].sort((a, b) => a - b);
  return h("div", { class: "scroll" },
    h("table", { class: "grid", "aria-label": "Proof outcome per shard and epoch" },
      h("thead", {}, h("tr", {}, h("th", {}, "Shard"), epochs.map((e) => h("th", { class: "num" }, e)))),
      h("tbody", {}, shards.map((shard) => h("tr", {}, h("th", {}, shard), epochs.map((epoch) => {
        const result = outcome.get(`${shard}/${epoch}`) ?? "none";
        return h("td", { class: `cell ${result}`, title: `shard ${shard}, epoch ${epoch}: ${result}` });
      }))))));
}

async function jobsView() {
  const rows = await every("/v1/jobs");
  return [
    h("h1", {}, "Jobs"),
    table([
      ["Job", (r) => jobLink(r.address)],
      ["Requester", (r) => address(r.requester)],
      ["Status", (r) => badge(r.status)],
      ["Workers", (r) => `${r.k} of ${r.n}`],
      ["Reward each", (r) => amount(r.reward_per_worker), "num"],
      ["Result", (r) => (r.result_hash ? address(r.result_hash) : "—")],
    ], rows, { empty: "No job.", rowAttributes: (r) => ({ "data-job": r.address }) }),
  ];
}

async function jobView(id) {
  const job = await maybe(`/v1/jobs/${encodeURIComponent(id)}`);
  if (job === null) return notFound("job", id);
  return [
    h("h1", {}, "Job ", address(job.address)),
    fields([
      ["Address", job.address],
      ["Requester", address(job.requester)],
      ["Status", badge(job.status)],
      ["Module", job.module_cid],
      ["Input", job.input_cid],
      ["Workers", `${job.n} asked, ${job.k} must agree`],
      ["Reward per worker", amount(job.reward_per_worker)],
      ["Agreed result", job.result_hash ?? "none yet"],
      ["Agreeing workers", job.agreeing ?? "—"],
      ["Output", job.output_blob ? blobLink(job.output_blob) : "—"],
    ]),
    h("h2", {}, "Workers"),
    table([
      ["Worker", (r) => address(r.worker)],
      ["Selected", (r) => (r.selected ? "yes" : "no")],
      ["Commitment", (r) => (r.commitment ? address(r.commitment) : "—")],
      ["Revealed", (r) => (r.result_hash ? address(r.result_hash) : "—")],
      ["Outcome", (r) => (r.outcome ? badge(r.outcome) : "—")],
      ["Paid", (r) => amount(r.paid), "num"],
      ["Slashed", (r) => amount(r.slashed), "num"],
    ], job.results, { empty: "No worker applied.", rowAttributes: (r) => ({ "data-worker": r.worker }) }),
    h("h2", {}, "History"),
    eventTable(await every(`/v1/events?account=${encodeURIComponent(job.address)}`)),
  ];
}

/** Events as the chain emits them: the latest from the list, then each new one pushed. */
async function feedView() {
  const [stats, document] = await Promise.all([api("/v1/stats"), api("/openapi.json")]);
  // The list is oldest first by id; ids count up from 1, so start near the newest.
  const recent = await every(`/v1/events?after=${Math.max(0, stats.events - 50)}`);
  const body = h("tbody", {});
  const row = (event) => h("tr", { "data-event": event.id, "data-kind": event.kind },
    h("td", { class: "num" }, event.id),
    h("td", {}, event.kind),
    h("td", { class: "num" }, event.slot),
    h("td", {}, badge(event.commitment)),
    h("td", {}, address(event.signature)),
    h("td", { class: "payload" }, summary(event.payload)));
  for (const event of recent.reverse()) body.append(row(event));
  const last = recent.length ? recent[0].id : Math.max(0, stats.events - 50);
  const status = h("p", { class: "empty" }, "Connecting to the event stream…");

  const kinds = document.paths["/v1/events"].get.parameters.find((p) => p.name === "kind").schema.enum;
  const stream = new EventSource(`/v1/events/stream?after=${last}`);
  const arrive = (message) => {
    const event = JSON.parse(message.data);
    const fresh = row(event);
    fresh.classList.add("new");
    body.prepend(fresh);
    while (body.children.length > FEED_ROWS) body.lastElementChild.remove();
  };
  for (const kind of kinds) stream.addEventListener(kind, arrive);
  stream.addEventListener("open", () => { status.textContent = "Live: new events appear at the top as the indexer records them."; });
  stream.addEventListener("error", () => { status.textContent = "The event stream is reconnecting…"; });

  view.replaceChildren(
    h("h1", {}, "Live feed"),
    status,
    h("div", { class: "scroll" }, h("table", { class: "feed" },
      h("thead", {}, h("tr", {}, ["Id", "Kind", "Slot", "Commitment", "Transaction", "What"].map((t) => h("th", {}, t)))),
      body)));
  return () => stream.close();
}

/** A few of an event's fields, for the feed's last column. */
function summary(payload) {
  return Object.entries(payload ?? {})
    .filter(([key, value]) => typeof value !== "object" && key !== "slot")
    .slice(0, 4)
    .map(([key, value]) => `${key} ${short(value)}`)
    .join(", ");
}

/** What a search term names (`/v1/search`); one thing named opens its view. */
async function searchView(term) {
  const q = term.trim();
  const hits = await api(`/v1/search?q=${encodeURIComponent(q)}`);
  const found = [
    ...hits.blobs.map((b) => ["Blob", blobLink(b)]),
    ...hits.jobs.map((j) => ["Job", jobLink(j)]),
    ...hits.providers.map((p) => ["Provider", link(`#/network`, `${short(p)} on the network view`)]),
    ...hits.datasets.map((d) => ["Dataset", address(d)]),
    ...(hits.wallet ? [["Wallet", link(`#/blobs?owner=${encodeURIComponent(q)}`, `blobs of ${short(q)}`)]] : []),
  ];
  const only = found.length === 1 ? found[0][1].getAttribute?.("href") : null;
  if (only) {
    location.replace(only);
    return [];
  }
  return [
    h("h1", {}, "Search: ", q),
    found.length ? fields(found) : h("p", { class: "empty" }, "Nothing on the network has that CID or address."),
  ];
}

function notFound(what, id) {
  return [h("h1", {}, `No such ${what}`), h("p", { class: "empty" }, `The index has no ${what} `, address(id), ".")];
}

// ---------------------------------------------------------------------------------------
// Routing

const routes = [
  [/^$|^\/network$/, "network", () => networkView()],
  [/^\/blobs(?:\?owner=([^&]+))?$/, "blobs", (owner) => blobsView(owner && decodeURIComponent(owner))],
  [/^\/blob\/([^/?]+)$/, "blobs", (id) => blobView(decodeURIComponent(id))],
  [/^\/jobs$/, "jobs", () => jobsView()],
  [/^\/job\/([^/?]+)$/, "jobs", (id) => jobView(decodeURIComponent(id))],
  [/^\/feed$/, "feed", () => feedView()],
  [/^\/search\/(.+)$/, null, (term) => searchView(decodeURIComponent(term))],
];

let stopCurrent = null;
let drawing = 0;

async function draw() {
  const path = location.hash.replace(/^#/, "");
  const ticket = ++drawing;
  if (stopCurrent) stopCurrent();
  stopCurrent = null;
  problem.hidden = true;
  const route = routes.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll("nav a")) {
    if (route && a.dataset.view === route[1]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!route) {
    view.replaceChildren(h("h1", {}, "No such view"), h("p", {}, link("#/network", "Back to the network")));
    return;
  }
  view.setAttribute("aria-busy", "true");
  try {
    const drawn = await route[2](...path.match(route[0]).slice(1));
    if (ticket !== drawing) {
      if (typeof drawn === "function") drawn();
      return;
    }
    if (typeof drawn === "function") stopCurrent = drawn;
    else view.replaceChildren(...drawn);
  } catch (error) {
    if (ticket !== drawing) return;
    problem.textContent = `The indexer could not answer: ${error.message}`;
    problem.hidden = false;
    view.replaceChildren();
  } finally {
    if (ticket === drawing) view.removeAttribute("aria-busy");
  }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const term = new FormData(event.target).get("q").trim();
  if (term) location.hash = `#/search/${encodeURIComponent(term)}`;
});
window.addEventListener("hashchange", draw);
mountWalletControl(document.getElementById("wallet")).catch((error) => {
  problem.textContent = `The explorer's configuration could not be read: ${error.message}`;
  problem.hidden = false;
});
draw();
