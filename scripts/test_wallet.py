"""A Solana wallet for the explorer's browser tests, registered in the page through the
Wallet Standard the way a browser extension (Phantom, Solflare, Backpack) registers one: it
announces itself with `wallet-standard:register-wallet` and answers
`wallet-standard:app-ready`, offers `standard:connect`, `standard:disconnect`,
`standard:events` and `solana:signTransaction`, and signs with a real keypair (a Solana CLI
keypair file). The secret key stays in Python: the page hands the wallet a transaction, the
wallet finds its signer slot and asks Python for the Ed25519 signature of the message.
"""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NAME = "Basalt test wallet"

# Runs in the page before its own scripts (Playwright's init script). __PUBLIC_KEY__,
# __ADDRESS__, __CHAIN__ and __NAME__ are filled in by install().
WALLET_JS = r"""
(() => {
  const publicKey = Uint8Array.from(__PUBLIC_KEY__);
  const chains = [__CHAIN__];
  const features = ["solana:signTransaction"];
  const account = Object.freeze({ address: __ADDRESS__, publicKey, chains, features });
  const listeners = new Set();
  const emit = (change) => listeners.forEach((listener) => listener(change));

  /** compact-u16 (Solana's short vector length): [value, bytes read]. */
  function shortVec(bytes, at) {
    let value = 0;
    for (let i = 0; i < 3; i += 1) {
      const byte = bytes[at + i];
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) return [value, i + 1];
    }
    throw new Error("bad compact-u16");
  }

  /** The transaction with this wallet's signature in its slot (legacy or versioned). */
  async function sign(transaction) {
    const bytes = Uint8Array.from(transaction);
    const [signatures, lengthBytes] = shortVec(bytes, 0);
    const messageAt = lengthBytes + 64 * signatures;
    const message = bytes.slice(messageAt);
    let at = (message[0] & 0x80) ? 1 : 0;
    const required = message[at];
    at += 3;
    const [keys, keysBytes] = shortVec(message, at);
    at += keysBytes;
    let slot = -1;
    for (let i = 0; i < Math.min(keys, required); i += 1) {
      const key = message.slice(at + 32 * i, at + 32 * (i + 1));
      if (key.every((b, j) => b === publicKey[j])) slot = i;
    }
    if (slot < 0) throw new Error("this wallet is not a signer of the transaction");
    let binary = "";
    for (const b of message) binary += String.fromCharCode(b);
    const signature = await window.basaltTestWalletSign(btoa(binary));
    const raw = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
    bytes.set(raw, lengthBytes + 64 * slot);
    return bytes;
  }

  const wallet = {
    version: "1.0.0",
    name: __NAME__,
    icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PHJlY3Qgd2lkdGg9IjE2IiBoZWlnaHQ9IjE2IiBmaWxsPSIjMmE1ZDg0Ii8+PC9zdmc+",
    chains,
    accounts: [],
    features: {
      "standard:connect": {
        version: "1.0.0",
        connect: async () => {
          wallet.accounts = [account];
          emit({ accounts: wallet.accounts });
          return { accounts: wallet.accounts };
        },
      },
      "standard:disconnect": {
        version: "1.0.0",
        disconnect: async () => {
          wallet.accounts = [];
          emit({ accounts: wallet.accounts });
        },
      },
      "standard:events": {
        version: "1.0.0",
        on: (event, listener) => {
          if (event !== "change") return () => {};
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signTransaction: async (...inputs) => {
          const out = [];
          for (const input of inputs) {
            if (input.account.address !== account.address) throw new Error("not this wallet's account");
            out.push({ signedTransaction: await sign(input.transaction) });
          }
          return out;
        },
      },
    },
  };

  const register = ({ register }) => register(wallet);
  window.addEventListener("wallet-standard:app-ready", ({ detail }) => register(detail));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
})();
"""


class TestWallet:
    """The keypair in `keypair_path`, installed into pages; `signed` lists the messages signed."""

    def __init__(self, keypair_path, chain="solana:localnet"):
        secret = json.loads(Path(keypair_path).read_text())
        self.key = Ed25519PrivateKey.from_private_bytes(bytes(secret[:32]))
        public = self.key.public_key().public_bytes_raw()
        if public != bytes(secret[32:64]):
            raise SystemExit(f"{keypair_path}: the public half does not belong to the secret half")
        self.public = public
        self.address = base58(public)
        self.chain = chain
        self.signed = []

    def install(self, page):
        """Registers the wallet in `page` (before its scripts run, on every load)."""

        def sign(_source, message_b64):
            message = base64.b64decode(message_b64)
            self.signed.append(message)
            return base64.b64encode(self.key.sign(message)).decode()

        page.expose_binding("basaltTestWalletSign", sign)
        script = (
            WALLET_JS.replace("__PUBLIC_KEY__", json.dumps(list(self.public)))
            .replace("__ADDRESS__", json.dumps(self.address))
            .replace("__CHAIN__", json.dumps(self.chain))
            .replace("__NAME__", json.dumps(NAME))
        )
        page.add_init_script(script=script)


ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = ALPHABET[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
