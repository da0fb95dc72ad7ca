// Compiles Basalt's EVM contracts (src/**/*.sol) with the pinned solc (solc-js from npm:
// the compiler is inside the package, nothing is downloaded) and writes, for each contract
// of src/, out/<Contract>.json: its ABI, creation and runtime bytecode and method
// identifiers, which the Rust client reads (`sol!`) and deploys. Run by
// scripts/evm-contracts.sh; `--check` compares with the committed out/ instead of writing.
//
// Usage: node compile.mjs [--check]   (with NODE_PATH naming the installed node_modules)

import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc");
const here = path.dirname(new URL(import.meta.url).pathname);
const check = process.argv.includes("--check");

/** Every .sol file under `dir`, relative to `here`, sorted (the input's order is part of the output). */
function sources(dir) {
  return fs.readdirSync(path.join(here, dir), { withFileTypes: true })
    .flatMap((entry) => entry.isDirectory() ? sources(path.join(dir, entry.name))
      : entry.name.endsWith(".sol") ? [path.join(dir, entry.name)] : [])
    .sort();
}

const input = {
  language: "Solidity",
  sources: Object.fromEntries(sources("src").map((file) => [file, { content: fs.readFileSync(path.join(here, file), "utf8") }])),
  settings: {
    // Cancun: what revm and anvil both run by default and every EVM chain Basalt targets has.
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    // No metadata hash in the bytecode: the same sources give the same bytes on any machine.
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] } },
  },
};

/** Imports of libraries (`@openzeppelin/...`) from the installed packages. */
function findImports(name) {
  try {
    return { contents: fs.readFileSync(require.resolve(name), "utf8") };
  } catch (error) {
    return { error: `${name}: ${error.message}` };
  }
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const out = path.join(here, "out");
const written = new Map();
for (const [file, contracts] of Object.entries(output.contracts)) {
  if (!file.startsWith("src/")) continue;
  for (const [name, contract] of Object.entries(contracts)) {
    // Nothing to call or deploy: a library of internal constants (BasaltRules) is compiled
    // into the contracts that use it.
    if (contract.abi.length === 0) continue;
    const artifact = {
      contract: name,
      source: file,
      compiler: `solc ${solc.version()}`,
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      methodIdentifiers: contract.evm.methodIdentifiers,
    };
    written.set(`${name}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
  }
}

let stale = [];
const present = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.endsWith(".json")) : [];
for (const file of new Set([...present, ...written.keys()])) {
  const want = written.get(file);
  const have = fs.existsSync(path.join(out, file)) ? fs.readFileSync(path.join(out, file), "utf8") : undefined;
  if (want === have) continue;
  if (check) stale.push(file);
  else if (want === undefined) fs.rmSync(path.join(out, file));
  else {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, file), want);
  }
}
if (stale.length > 0) {
  console.error(`contracts/evm/out/ is not what the sources compile to (${stale.join(", ")}): run scripts/evm-contracts.sh and commit out/`);
  process.exit(1);
}
const count = `${written.size} contract${written.size === 1 ? "" : "s"}`;
console.log(`${count}: ${check ? "out/ matches the sources" : "written to out/"} (solc ${solc.version()})`);
