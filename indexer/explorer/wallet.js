// The explorer's wallet: Solana wallets found through the Wallet Standard (the way Phantom,
// Solflare and Backpack announce themselves to dApps), a connection to one of them, and
// transactions it signs, sent to the chain's RPC endpoint the indexer names
// (/explorer/config.json). The page holds no key: every transaction is signed in the wallet.

import { base58 } from "./idl.js";
import { getWallets } from "./vendor/wallet-standard/wallets.js";

const CONNECT = "standard:connect";
const DISCONNECT = "standard:disconnect";
const EVENTS = "standard:events";
const SIGN = "solana:signTransaction";
const SIGN_AND_SEND = "solana:signAndSendTransaction";

/** How often the page asks whether a sent transaction is confirmed (until its blockhash expires). */
const CONFIRM_POLL_MS = 500;

let web3Loading = null;

/** @solana/web3.js, loaded on first use: most visits never sign anything. */
export function loadWeb3() {
  web3Loading ??= new Promise((resolve, reject) => {
    if (window.solanaWeb3) return resolve(window.solanaWeb3);
    const script = document.createElement("script");
    script.src = "/explorer/vendor/solana-web3/index.iife.min.js";
    script.onload = () => resolve(window.solanaWeb3);
    script.onerror = () => reject(new Error("could not load @solana/web3.js from the explorer"));
    document.head.append(script);
  });
  return web3Loading;
}

/** The wallets that can connect and sign transactions on `chain` (`solana:localnet`, …). */
export function usableWallets(chain) {
  return getWallets()
    .get()
    .filter((w) => CONNECT in w.features && (SIGN in w.features || SIGN_AND_SEND in w.features))
    .filter((w) => w.chains.includes(chain));
}

/** Calls `listener` whenever a wallet registers or leaves; returns how to stop. */
export function onWalletsChanged(listener) {
  const wallets = getWallets();
  const stops = [wallets.on("register", listener), wallets.on("unregister", listener)];
  return () => stops.forEach((stop) => stop());
}

/**
 * A connection to one wallet account, and everything the page sends through it.
 * `config` is the explorer's (/explorer/config.json): the RPC URL and the chain's name.
 */
export class Session {
  constructor(wallet, account, config, web3) {
    this.wallet = wallet;
    this.account = account;
    this.config = config;
    this.web3 = web3;
    this.publicKey = new web3.PublicKey(account.address);
    this.connection = new web3.Connection(config.rpc_url, "confirmed");
  }

  /**
   * Asks `wallet` to connect (it asks its user) and returns a session on its first account
   * for the configured chain.
   *
   * # Errors
   * The wallet's refusal, or no account on this chain.
   */
  static async connect(wallet, config) {
    const web3 = await loadWeb3();
    const { accounts } = await wallet.features[CONNECT].connect();
    const account = accounts.find((a) => a.chains.includes(config.chain)) ?? accounts[0];
    if (!account) throw new Error(`${wallet.name} connected no account`);
    return new Session(wallet, account, config, web3);
  }

  /** Calls `listener` when the wallet changes its accounts (the user switched or left). */
  onChange(listener) {
    return this.wallet.features[EVENTS]?.on("change", listener) ?? (() => {});
  }

  async disconnect() {
    await this.wallet.features[DISCONNECT]?.disconnect();
  }

  /** An account's data, or null when there is none. */
  async accountData(address) {
    const info = await this.connection.getAccountInfo(new this.web3.PublicKey(address), "confirmed");
    return info ? info.data : null;
  }

  /**
   * Sends `instructions` in one transaction the wallet signs (fees paid by the connected
   * account) and waits until the chain confirms it. Returns its signature.
   *
   * # Errors
   * The wallet's refusal; the chain's (program errors named by `describe`, a custom error
   * code by the IDL); an expired blockhash.
   */
  async send(instructions, { describe = () => undefined, onStatus = () => {} } = {}) {
    const { Transaction } = this.web3;
    const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash("confirmed");
    const transaction = new Transaction({ feePayer: this.publicKey, blockhash, lastValidBlockHeight });
    transaction.add(...instructions);
    const unsigned = transaction.serialize({ requireAllSignatures: false, verifySignatures: false });
    onStatus(`Waiting for ${this.wallet.name} to sign…`);
    let signature;
    try {
      if (SIGN in this.wallet.features) {
        const [{ signedTransaction }] = await this.wallet.features[SIGN].signTransaction({
          account: this.account, chain: this.config.chain, transaction: unsigned,
        });
        onStatus("Sending…");
        signature = await this.connection.sendRawTransaction(signedTransaction, { preflightCommitment: "confirmed" });
      } else {
        const [{ signature: raw }] = await this.wallet.features[SIGN_AND_SEND].signAndSendTransaction({
          account: this.account, chain: this.config.chain, transaction: unsigned,
        });
        signature = base58(raw);
      }
    } catch (error) {
      throw new Error(programError(error, describe) ?? error.message);
    }
    onStatus("Waiting for the chain to confirm…");
    for (;;) {
      const { value: [status] } = await this.connection.getSignatureStatuses([signature]);
      if (status?.err) throw new Error(programError({ message: JSON.stringify(status.err), err: status.err }, describe) ?? `the chain refused it: ${JSON.stringify(status.err)}`);
      if (status && (status.confirmationStatus === "confirmed" || status.confirmationStatus === "finalized")) return signature;
      const height = await this.connection.getBlockHeight("confirmed");
      if (height > lastValidBlockHeight) throw new Error("the transaction expired before the chain took it; try again");
      await new Promise((resolve) => setTimeout(resolve, CONFIRM_POLL_MS));
    }
  }
}

/**
 * What a refused transaction's error means: the Basalt program's own words for its custom
 * errors (`describe(code)`), else the error the failing program logged (the token
 * program's "insufficient funds"), else its code.
 */
function programError(error, describe) {
  const logs = error?.logs ?? error?.transactionLogs ?? [];
  const logged = [...logs].reverse().find((line) => /^Program log: (AnchorError|Error)/.test(line));
  const reason = logged?.replace(/^Program log: /, "");
  let code = error?.err?.InstructionError?.[1]?.Custom;
  if (code === undefined) {
    const match = /custom program error: (0x[0-9a-f]+)/i.exec(error?.message ?? "");
    if (match) code = Number.parseInt(match[1], 16);
  }
  if (code !== undefined) return describe(code) ?? reason ?? `program error ${code}`;
  return reason;
}
