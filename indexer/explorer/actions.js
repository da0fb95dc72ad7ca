// Wallet actions: the header's wallet button, and on a blob's page what its owner can do
// from a connected wallet — grant and revoke access, top up the deal, delete the blob. Each
// action builds its instructions from the program's IDL (idl.js), has the wallet sign them
// (wallet.js), waits for the chain to confirm and then for the indexer to record it, and
// draws the page again. Nothing is signed by the server.

import { api, every } from "./api.js";
import { h, short } from "./dom.js";
import { Idl } from "./idl.js";
import { loadWeb3, onWalletsChanged, Session, usableWallets } from "./wallet.js";

/** SPL's associated token account program: where a wallet's account of a mint lives. */
const ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
/** Instructions per transaction, as the SDK batches them, so each fits its size. */
const REVOKES_PER_TRANSACTION = 6;
const SETTLES_PER_TRANSACTION = 4;
/** How long the page waits for the indexer to record a confirmed transaction. */
const INDEXED_WAIT_MS = 60_000;

let config = null;
let idl = null;
let session = null;
const sessionListeners = new Set();
/** The last action's outcome, shown again when it redraws the page. */
let lastOutcome = null;

/** The explorer's configuration (/explorer/config.json): `wallet` is null without an RPC endpoint. */
export async function explorerConfig() {
  config ??= await api("/explorer/config.json");
  return config;
}

async function program() {
  if (!idl) {
    await loadWeb3();
    idl = new Idl(await api("/explorer/basalt.json"));
  }
  return idl;
}

function setSession(next) {
  session = next;
  for (const listener of [...sessionListeners]) listener();
}

function showProblem(message) {
  const problem = document.getElementById("problem");
  problem.textContent = message;
  problem.hidden = false;
}

/** Fills `container` (in the header) with the wallet button, kept current. */
export async function mountWalletControl(container) {
  const cfg = await explorerConfig();
  if (!cfg.wallet) return;
  const render = () => container.replaceChildren(...walletControl(cfg));
  sessionListeners.add(render);
  onWalletsChanged(render);
  render();
  container.hidden = false;
}

function walletControl(cfg) {
  if (session) {
    return [
      h("span", { class: "address", title: session.account.address, "data-connected": session.account.address },
        short(session.account.address)),
      h("button", { type: "button", onclick: () => disconnect() }, "Disconnect"),
    ];
  }
  const wallets = usableWallets(cfg.wallet.chain);
  if (wallets.length === 0) {
    return [h("span", { class: "empty", title: "Solana wallets (Phantom, Solflare, Backpack…) announce themselves to pages through the Wallet Standard" },
      "No Solana wallet in this browser")];
  }
  return wallets.map((wallet) => h("button", { type: "button", "data-wallet": wallet.name, onclick: () => connect(wallet, cfg) },
    h("img", { src: wallet.icon, alt: "", width: 16, height: 16 }), `Connect ${wallet.name}`));
}

async function connect(wallet, cfg) {
  try {
    const next = await Session.connect(wallet, cfg.wallet);
    next.onChange(({ accounts }) => {
      if (accounts && !accounts.some((a) => a.address === next.account.address)) setSession(null);
    });
    setSession(next);
  } catch (error) {
    showProblem(`${wallet.name} did not connect: ${error.message}`);
  }
}

async function disconnect() {
  const ending = session;
  setSession(null);
  await ending?.disconnect().catch(() => {});
}

/**
 * The blob page's "Manage" section for blob `detail` (the API's row) with its `grants`;
 * `redraw` draws the page again once an action is recorded. Empty when the explorer has no
 * chain endpoint for wallets.
 */
export async function blobActions(detail, grants, redraw) {
  const cfg = await explorerConfig();
  if (!cfg.wallet) return [];
  const section = h("section", { class: "actions", "aria-labelledby": "manage" });
  const render = () => {
    if (!section.isConnected && section.dataset.drawn) {
      sessionListeners.delete(render);
      return;
    }
    section.dataset.drawn = "yes";
    section.replaceChildren(...manage(detail, grants, cfg, redraw));
  };
  sessionListeners.add(render);
  render();
  return [h("h2", { id: "manage" }, "Manage"), section];
}

function manage(detail, grants, cfg, redraw) {
  const status = h("p", { class: "status", role: "status", "data-action-status": "" });
  // The outcome of the action that drew the page again stays in view.
  if (lastOutcome) show(status, lastOutcome.outcome, lastOutcome.text);
  lastOutcome = null;
  if (detail.status === "deleted") return [h("p", { class: "empty" }, "This blob is deleted."), status];
  if (!session) {
    return [h("p", { class: "empty" },
      "Connect the owner's wallet (at the top) to grant or revoke access, top up the deal or delete this blob.")];
  }
  if (session.account.address !== detail.owner) {
    return [h("p", { class: "empty" }, "The connected wallet ", short(session.account.address),
      " does not own this blob: only its owner manages it here.")];
  }
  const forms = [];
  /** Runs one action with every form disabled, its progress and outcome in `status`. */
  const run = async (name, action) => {
    for (const form of forms) form.inert = true;
    show(status, null, "");
    try {
      const { events: before } = await api("/v1/stats");
      const signature = await action((text) => show(status, null, text));
      show(status, null, "Confirmed; waiting for the indexer to record it…");
      await indexed(detail.address, signature, before);
      lastOutcome = { outcome: "done", text: `${name}: done (${short(signature)}).` };
      show(status, lastOutcome.outcome, lastOutcome.text);
      await redraw();
    } catch (error) {
      show(status, "failed", `${name} failed: ${error.message}`);
    } finally {
      for (const form of forms) form.inert = false;
    }
  };
  forms.push(grantForm(detail, cfg, run), revokeList(detail, grants, cfg, run), topUpForm(detail, run), deleteForm(detail, grants, run));
  return [...forms, status];
}

/** `read, write` for the role bits `bits`, named by the explorer's config (`roles`). */
export function roleNames(bits, roles) {
  return Object.entries(roles).filter(([, bit]) => bits & bit).map(([name]) => name).join(", ") || String(bits);
}

/** Sets a status line: its text and, once an action ended, `outcome` (`done` or `failed`). */
function show(status, outcome, text) {
  status.textContent = text;
  status.classList.toggle("error", outcome === "failed");
  if (outcome) status.dataset.outcome = outcome;
  else status.removeAttribute("data-outcome");
}

function grantForm(detail, cfg, run) {
  const role = (name, bit, note) => h("label", { class: "role" },
    h("input", { type: "checkbox", name: "role", value: bit, checked: name === "read" && !detail.encrypted, disabled: name === "read" && detail.encrypted }),
    ` ${name}`, note ?? "");
  const form = h("form", { class: "action", "data-action": "grant" },
    h("h3", {}, "Grant access"),
    h("label", {}, "Wallet ", h("input", { name: "grantee", required: true, autocomplete: "off", spellcheck: "false", placeholder: "base58 address" })),
    h("fieldset", {}, h("legend", {}, "Roles"),
      role("read", cfg.roles.read), role("write", cfg.roles.write), role("delete", cfg.roles.delete)),
    h("label", {}, "Expires ", h("input", { type: "datetime-local", name: "expires" }), h("span", { class: "empty" }, " (empty: never)")),
    detail.encrypted
      ? h("p", { class: "note" }, "This blob is encrypted: a read grant must carry its key sealed to the grantee, and only the owner's secret key can unseal it, which a browser wallet does not hand out. Grant read access with ",
        h("code", {}, `basalt grant ${detail.address} <wallet>`), " from the owner's keypair; write and delete can be granted here.")
      : "",
    h("button", { type: "submit" }, "Grant"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run("Grant", (status) => grant(detail, new FormData(form), status));
  });
  return form;
}

async function grant(detail, data, status) {
  const program_ = await program();
  const { PublicKey } = window.solanaWeb3;
  const grantee = addressFrom(data.get("grantee"), "the grantee");
  const roles = data.getAll("role").reduce((sum, bit) => sum | Number(bit), 0);
  if (roles === 0) throw new Error("choose at least one role");
  let expiresAt = null;
  if (data.get("expires")) {
    const ms = Date.parse(data.get("expires"));
    if (!(ms > Date.now())) throw new Error("the expiry must be in the future");
    expiresAt = BigInt(Math.floor(ms / 1000));
  }
  const instruction = program_.instruction("grant_create",
    { grantee, roles, expires_at: expiresAt, wrapped_key: new Uint8Array() },
    { signer: session.publicKey, blob: new PublicKey(detail.address), signer_grant: null });
  return sender(program_, status)([instruction]);
}

function revokeList(detail, grants, cfg, run) {
  const active = grants.filter((g) => g.active);
  return h("div", { class: "action", "data-action": "revoke" },
    h("h3", {}, "Revoke access"),
    active.length === 0
      ? h("p", { class: "empty" }, "No grant to revoke.")
      : h("ul", { class: "grantees" }, active.map((g) => h("li", {},
        h("span", { class: "address", title: g.grantee }, short(g.grantee)), ` ${roleNames(g.roles, cfg.roles)} `,
        h("button", { type: "button", "data-revoke": g.grantee, onclick: () => run("Revoke", (status) => revoke(detail, g.grantee, status)) }, "Revoke")))));
}

/** The instruction revoking `grantee`'s grant (its rent back to its payer, read on chain). */
/** The instruction revoking `grant` (a decoded Grant of blob `blob`), its rent back to its payer. */
function revokeGrant(program_, blob, grant) {
  const { PublicKey } = window.solanaWeb3;
  return program_.instruction("grant_revoke", {},
    { signer: session.publicKey, blob: new PublicKey(blob), signer_grant: null, payer: grant.payer },
    { grant });
}

/** Sends instructions through the session, the program's errors named, progress in `status`. */
function sender(program_, status) {
  return (instructions) => session.send(instructions, { describe: (c) => program_.errorText(c), onStatus: status });
}

async function revoke(detail, grantee, status) {
  const program_ = await program();
  const address = program_.address("grant_create", "grant", { grantee }, { blob: detail.address });
  const grant = await decodedAccount(program_, "Grant", address);
  if (!grant) throw new Error(`the chain has no grant to ${grantee}`);
  return sender(program_, status)([revokeGrant(program_, detail.address, grant)]);
}

function topUpForm(detail, run) {
  if (!detail.deal) return h("div", { class: "action" }, h("h3", {}, "Top up the deal"), h("p", { class: "empty" }, "This blob has no deal."));
  const form = h("form", { class: "action", "data-action": "top-up" },
    h("h3", {}, "Top up the deal"),
    h("label", {}, "Amount ", h("input", { name: "amount", required: true, inputmode: "numeric", pattern: "[0-9]+", autocomplete: "off" }),
      h("span", { class: "empty" }, " in the stake token's smallest unit")),
    h("button", { type: "submit" }, "Top up"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run("Top up", (status) => topUp(detail, new FormData(form).get("amount"), status));
  });
  return form;
}

async function topUp(detail, amountText, status) {
  const program_ = await program();
  const { PublicKey } = window.solanaWeb3;
  if (!/^[0-9]+$/.test(amountText.trim()) || BigInt(amountText.trim()) === 0n) throw new Error("the amount must be a whole number above 0");
  const mint = await stakeMint(program_);
  const from = tokenAccount(session.publicKey, mint, program_);
  if (!(await session.accountData(from))) throw new Error(`the wallet has no token account of the stake token ${mint.toBase58()}`);
  const instruction = program_.instruction("deal_top_up", { amount: BigInt(amountText.trim()) },
    { funder: session.publicKey, blob: new PublicKey(detail.address), grant: null, from });
  return sender(program_, status)([instruction]);
}

function deleteForm(detail, grants, run) {
  const form = h("form", { class: "action", "data-action": "delete" },
    h("h3", {}, "Delete the blob"),
    h("p", { class: "empty" }, "Its grants are revoked, the deal pays its holders for the epochs they proved and refunds the rest to its payer; the holders then drop their shards."),
    h("button", { type: "submit", class: "danger" }, "Delete"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!window.confirm(`Delete blob ${detail.cid}? This cannot be undone.`)) return;
    run("Delete", (status) => deleteBlob(detail, status));
  });
  return form;
}

/** As `basalt delete`: grants revoked, the deal settled and refunded, then the blob closed. */
async function deleteBlob(detail, status) {
  const program_ = await program();
  const { PublicKey } = window.solanaWeb3;
  const send = sender(program_, status);
  const blob = new PublicKey(detail.address);
  const grantFilter = [program_.discriminatorFilter("Grant"), { memcmp: { offset: 8, bytes: blob.toBase58() } }];
  const grantAccounts = await session.connection.getProgramAccounts(program_.programId, { commitment: "confirmed", filters: grantFilter });
  const revokes = grantAccounts.map(({ account }) => revokeGrant(program_, blob, program_.decodeAccount("Grant", account.data)));
  for (let i = 0; i < revokes.length; i += REVOKES_PER_TRANSACTION) await send(revokes.slice(i, i + REVOKES_PER_TRANSACTION));

  let state = await decodedAccount(program_, "Blob", blob);
  if (!state) throw new Error("the chain has no such blob any more");
  const last = [];
  const dealAddress = program_.address("deal_top_up", "deal", {}, { blob });
  const deal = await decodedAccount(program_, "Deal", dealAddress);
  const mint = deal ? await stakeMint(program_) : null;
  // Pays every holder for the epochs it proved and was not paid for yet.
  const settleProven = async () => {
    const settles = state.shards
      .map((shard, index) => [shard, index])
      .filter(([shard]) => shard.unpaid_epochs > 0n)
      .map(([shard, index]) => program_.instruction("deal_settle", { index },
        { blob, provider_tokens: tokenAccount(shard.provider, mint, program_) }));
    for (let i = 0; i < settles.length; i += SETTLES_PER_TRANSACTION) await send(settles.slice(i, i + SETTLES_PER_TRANSACTION));
  };
  if (deal) {
    await settleProven();
    last.push(program_.instruction("deal_refund", {},
      { signer: session.publicKey, blob, payer: deal.payer, payer_tokens: tokenAccount(deal.payer, mint, program_), grant: null }));
  }
  // A holder may accept its shard between the read and the transaction (HoldersMismatch),
  // or prove an epoch after the settlements (the refund's UnsettledPayouts); the program
  // then changes nothing, so read again, settle what is new and retry.
  for (let attempt = 1; ; attempt += 1) {
    const holders = state.shards.filter((s) => s.accepted).map((s) => ({
      pubkey: program_.address("provider_heartbeat", "provider", {}, { authority: s.provider }), isSigner: false, isWritable: true,
    }));
    const close = program_.instruction("blob_delete", {},
      { signer: session.publicKey, blob, owner: state.owner, grant: null }, {}, holders);
    try {
      return await send([...last, close]);
    } catch (error) {
      const raced = error.message.startsWith("HoldersMismatch") || error.message.startsWith("UnsettledPayouts");
      if (!raced || attempt >= 4) throw error;
      state = await decodedAccount(program_, "Blob", blob);
      if (!state) throw new Error("the chain has no such blob any more");
      if (deal) await settleProven();
    }
  }
}

async function decodedAccount(program_, name, address) {
  const data = await session.accountData(address);
  return data ? program_.decodeAccount(name, data) : null;
}

/** The mint of stakes and escrow, from the program's Config account. */
async function stakeMint(program_) {
  const configAddress = program_.address("deal_top_up", "config");
  const decoded = await decodedAccount(program_, "Config", configAddress);
  if (!decoded) throw new Error("the chain has no Basalt config account");
  return decoded.stake_mint;
}

function tokenAccount(owner, mint, program_) {
  const { PublicKey } = window.solanaWeb3;
  const tokenProgram = program_.fixedAddress("deal_top_up", "token_program");
  return PublicKey.findProgramAddressSync(
    [new PublicKey(owner).toBytes(), tokenProgram.toBytes(), mint.toBytes()],
    new PublicKey(ASSOCIATED_TOKEN_PROGRAM))[0];
}

function addressFrom(text, what) {
  const { PublicKey } = window.solanaWeb3;
  try {
    return new PublicKey(String(text ?? "").trim());
  } catch {
    throw new Error(`${what} is not a Solana address`);
  }
}

/** Waits until the indexer lists an event of transaction `signature` on `account` after event `before`. */
async function indexed(account, signature, before) {
  const deadline = Date.now() + INDEXED_WAIT_MS;
  for (;;) {
    const events = await every(`/v1/events?account=${encodeURIComponent(account)}&after=${before}`);
    if (events.some((e) => e.signature === signature)) return;
    if (Date.now() > deadline) throw new Error(`the chain confirmed ${short(signature)}, but the indexer has not recorded it yet: reload later`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
