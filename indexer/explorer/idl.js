// The Basalt program's instructions and accounts, built from its IDL (the committed
// programs/basalt/idl/basalt.json, which the indexer serves at /explorer/basalt.json):
// instruction discriminators and Borsh-encoded arguments, account addresses from the IDL's
// PDA seeds, account data decoded by the IDL's types, and custom error codes named. Nothing
// about the program is written here by hand, so a changed IDL changes what the page builds.
//
// Needs @solana/web3.js (the global `solanaWeb3`, loaded by wallet.js) for addresses.

/** Anchor's `#[event_cpi]` accounts: not described by seeds in the IDL, the same in every program. */
const EVENT_AUTHORITY_SEED = new TextEncoder().encode("__event_authority");

export class Idl {
  /** @param {object} json the IDL as Anchor writes it (0.30 format: discriminators and seeds). */
  constructor(json) {
    const { PublicKey } = window.solanaWeb3;
    this.json = json;
    this.programId = new PublicKey(json.address);
    this.types = new Map(json.types.map((t) => [t.name, t.type]));
    this.errors = new Map(json.errors.map((e) => [e.code, e]));
  }

  /**
   * The instruction `name` with `args` (by the IDL's argument names), its accounts taken
   * from `given` (by name; `null` leaves an optional account out) or else derived: fixed
   * addresses, PDA seeds (constants, arguments, other accounts, and fields of the decoded
   * accounts in `known`, e.g. `known.blob.owner`), and Anchor's event accounts.
   * `remaining` are appended as they are ({pubkey, isSigner, isWritable}).
   */
  instruction(name, args = {}, given = {}, known = {}, remaining = []) {
    const { TransactionInstruction } = window.solanaWeb3;
    const definition = this.json.instructions.find((i) => i.name === name);
    if (!definition) throw new Error(`the program has no instruction ${name}`);
    const data = new Writer();
    data.bytes(Uint8Array.from(definition.discriminator));
    for (const arg of definition.args) {
      if (!(arg.name in args)) throw new Error(`${name} needs its ${arg.name} argument`);
      this.encode(data, arg.type, args[arg.name]);
    }
    const resolved = this.accounts(definition, args, given, known);
    const keys = definition.accounts.map((account) => ({
      pubkey: resolved.get(account.name),
      isSigner: Boolean(account.signer) && !resolved.get(account.name).equals(this.programId),
      isWritable: Boolean(account.writable) && !resolved.get(account.name).equals(this.programId),
    }));
    return new TransactionInstruction({ programId: this.programId, keys: [...keys, ...remaining], data: data.finish() });
  }

  /** Every account of `definition` by name; derived ones may need others first, so in passes. */
  accounts(definition, args, given, known) {
    const { PublicKey } = window.solanaWeb3;
    const resolved = new Map();
    let pending = [...definition.accounts];
    while (pending.length > 0) {
      const before = pending.length;
      pending = pending.filter((account) => {
        if ("accounts" in account) throw new Error(`${definition.name}: nested account groups are not supported`);
        const address = this.account(definition, account, args, given, known, resolved);
        if (address === undefined) return true;
        resolved.set(account.name, address instanceof PublicKey ? address : new PublicKey(address));
        return false;
      });
      if (pending.length === before) {
        throw new Error(`${definition.name}: cannot derive ${pending.map((a) => a.name).join(", ")}`);
      }
    }
    return resolved;
  }

  /** One account's address, or `undefined` while an account it derives from is not known yet. */
  account(definition, account, args, given, known, resolved) {
    const { PublicKey } = window.solanaWeb3;
    if (account.name in given) return given[account.name] ?? this.absent(account);
    if (account.address) return account.address;
    // An optional account is left out unless given: a derived one may not exist.
    if (account.optional) return this.programId;
    if (account.pda) {
      if (account.pda.program) throw new Error(`${account.name}: seeds of another program are not supported`);
      const seeds = [];
      for (const seed of account.pda.seeds) {
        const bytes = this.seed(definition, seed, args, known, resolved);
        if (bytes === undefined) return undefined;
        seeds.push(bytes);
      }
      return PublicKey.findProgramAddressSync(seeds, this.programId)[0];
    }
    if (account.name === "event_authority") return PublicKey.findProgramAddressSync([EVENT_AUTHORITY_SEED], this.programId)[0];
    if (account.name === "program") return this.programId;
    throw new Error(`the ${account.name} account must be given`);
  }

  absent(account) {
    if (!account.optional) throw new Error(`the ${account.name} account is not optional`);
    // Anchor reads the program's own address in an optional account's place as "none".
    return this.programId;
  }

  /** A PDA seed's bytes; `undefined` while the account it names is not resolved. */
  seed(definition, seed, args, known, resolved) {
    const { PublicKey } = window.solanaWeb3;
    if (seed.kind === "const") return Uint8Array.from(seed.value);
    if (seed.kind === "arg") {
      const arg = definition.args.find((a) => a.name === seed.path);
      if (!arg) throw new Error(`${definition.name}: a seed names the argument ${seed.path}, which it has not`);
      const writer = new Writer();
      this.encode(writer, arg.type, args[arg.name]);
      return writer.finish();
    }
    if (seed.kind === "account") {
      const [name, field] = seed.path.split(".");
      if (field === undefined) return resolved.get(name)?.toBytes();
      const value = known[name]?.[field];
      if (value === undefined) throw new Error(`the seed ${seed.path} needs the decoded ${name} account`);
      return value instanceof PublicKey ? value.toBytes() : Uint8Array.from(value);
    }
    throw new Error(`unknown seed kind ${seed.kind}`);
  }

  /**
   * The address of account `name` of `instruction` as the IDL derives it, from `args`, the
   * addresses in `given` its seeds name and the decoded accounts in `known`.
   */
  address(instruction, name, args = {}, given = {}, known = {}) {
    const { PublicKey } = window.solanaWeb3;
    const definition = this.json.instructions.find((i) => i.name === instruction);
    const account = definition?.accounts.find((a) => a.name === name);
    if (!account) throw new Error(`the program's ${instruction} has no account ${name}`);
    const resolved = new Map(Object.entries(given).map(([key, value]) => [key, new PublicKey(value)]));
    const found = this.account(definition, { ...account, optional: false }, args, {}, known, resolved);
    if (found === undefined) throw new Error(`${instruction}: ${name} needs the accounts its seeds name`);
    return new PublicKey(found);
  }

  /** The fixed address the IDL gives account `name` of `instruction` (a program's). */
  fixedAddress(instruction, name) {
    const { PublicKey } = window.solanaWeb3;
    const account = this.json.instructions.find((i) => i.name === instruction)?.accounts.find((a) => a.name === name);
    if (!account?.address) throw new Error(`the program's ${instruction} gives ${name} no fixed address`);
    return new PublicKey(account.address);
  }

  /** An RPC filter (`getProgramAccounts`) for the program's accounts of type `name`. */
  discriminatorFilter(name) {
    const definition = this.json.accounts.find((a) => a.name === name);
    if (!definition) throw new Error(`the program has no account ${name}`);
    return { memcmp: { offset: 0, bytes: base58(Uint8Array.from(definition.discriminator)) } };
  }

  /** Account data (with its 8-byte discriminator) decoded as the IDL's account `name`. */
  decodeAccount(name, data) {
    const definition = this.json.accounts.find((a) => a.name === name);
    if (!definition) throw new Error(`the program has no account ${name}`);
    const bytes = Uint8Array.from(data);
    if (!definition.discriminator.every((b, i) => bytes[i] === b)) {
      throw new Error(`the account is not a ${name}`);
    }
    const reader = new Reader(bytes, 8);
    return this.decode(reader, { defined: { name } });
  }

  /** `Name: message` of the program's custom error `code`, if it is one. */
  errorText(code) {
    const error = this.errors.get(code);
    return error ? `${error.name}: ${error.msg}` : undefined;
  }

  encode(writer, type, value) {
    if (typeof type === "string") return writer.primitive(type, value);
    if ("option" in type) {
      if (value === null || value === undefined) return writer.u8(0);
      writer.u8(1);
      return this.encode(writer, type.option, value);
    }
    if ("vec" in type) {
      writer.u32(value.length);
      for (const item of value) this.encode(writer, type.vec, item);
      return undefined;
    }
    if ("array" in type) {
      const [item, length] = type.array;
      if (value.length !== length) throw new Error(`an array of ${length} expected, not ${value.length}`);
      for (const element of value) this.encode(writer, item, element);
      return undefined;
    }
    if ("defined" in type) {
      const definition = this.types.get(type.defined.name);
      if (definition?.kind !== "struct") throw new Error(`cannot encode ${type.defined.name}`);
      for (const field of definition.fields) this.encode(writer, field.type, value[field.name]);
      return undefined;
    }
    throw new Error(`cannot encode ${JSON.stringify(type)}`);
  }

  decode(reader, type) {
    if (typeof type === "string") return reader.primitive(type);
    if ("option" in type) return reader.u8() === 0 ? null : this.decode(reader, type.option);
    if ("vec" in type) return Array.from({ length: reader.u32() }, () => this.decode(reader, type.vec));
    if ("array" in type) {
      const [item, length] = type.array;
      if (item === "u8") return reader.take(length);
      return Array.from({ length }, () => this.decode(reader, item));
    }
    if ("defined" in type) {
      const definition = this.types.get(type.defined.name);
      if (!definition) throw new Error(`the IDL has no type ${type.defined.name}`);
      if (definition.kind === "struct") return this.fields(reader, definition.fields ?? []);
      if (definition.kind === "enum") {
        const variant = definition.variants[reader.u8()];
        if (!variant) throw new Error(`a ${type.defined.name} of no known variant`);
        return { [variant.name]: this.fields(reader, variant.fields ?? []) };
      }
    }
    throw new Error(`cannot decode ${JSON.stringify(type)}`);
  }

  /** Named fields as an object, tuple fields as an array. */
  fields(reader, fields) {
    if (fields.length > 0 && typeof fields[0] !== "object") return fields.map((t) => this.decode(reader, t));
    if (fields.length > 0 && !("name" in fields[0])) return fields.map((t) => this.decode(reader, t));
    return Object.fromEntries(fields.map((f) => [f.name, this.decode(reader, f.type)]));
  }
}

/** Little-endian integer widths of Borsh. */
const WIDTHS = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, u128: 16, i128: 16 };

class Writer {
  constructor() {
    this.parts = [];
  }

  bytes(bytes) {
    this.parts.push(Uint8Array.from(bytes));
  }

  u8(value) {
    this.integer("u8", value);
  }

  u32(value) {
    this.integer("u32", value);
  }

  /** An integer of `type` from a number, BigInt or decimal string, refused when out of range. */
  integer(type, value) {
    const width = WIDTHS[type];
    let n = BigInt(value);
    const bits = BigInt(width * 8);
    const signed = type.startsWith("i");
    const low = signed ? -(1n << (bits - 1n)) : 0n;
    const high = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (n < low || n > high) throw new RangeError(`${value} does not fit a ${type}`);
    if (n < 0n) n += 1n << bits;
    const out = new Uint8Array(width);
    for (let i = 0; i < width; i += 1) {
      out[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    this.parts.push(out);
  }

  primitive(type, value) {
    const { PublicKey } = window.solanaWeb3;
    if (type in WIDTHS) return this.integer(type, value);
    if (type === "bool") return this.u8(value ? 1 : 0);
    if (type === "pubkey") return this.bytes(new PublicKey(value).toBytes());
    if (type === "bytes" || type === "string") {
      const bytes = type === "string" ? new TextEncoder().encode(value) : Uint8Array.from(value);
      this.u32(bytes.length);
      return this.bytes(bytes);
    }
    throw new Error(`cannot encode a ${type}`);
  }

  finish() {
    const out = new Uint8Array(this.parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

class Reader {
  constructor(bytes, at = 0) {
    this.bytes = bytes;
    this.at = at;
  }

  take(length) {
    if (this.at + length > this.bytes.length) throw new Error("the account data ends early");
    const out = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }

  u8() {
    return Number(this.integer("u8"));
  }

  u32() {
    return Number(this.integer("u32"));
  }

  /** Integers as BigInt: amounts and slots may pass 2^53. */
  integer(type) {
    const width = WIDTHS[type];
    const bytes = this.take(width);
    let n = 0n;
    for (let i = width - 1; i >= 0; i -= 1) n = (n << 8n) | BigInt(bytes[i]);
    const bits = BigInt(width * 8);
    if (type.startsWith("i") && n >= 1n << (bits - 1n)) n -= 1n << bits;
    return n;
  }

  primitive(type) {
    const { PublicKey } = window.solanaWeb3;
    if (type in WIDTHS) return this.integer(type);
    if (type === "bool") return this.u8() !== 0;
    if (type === "pubkey") return new PublicKey(this.take(32));
    if (type === "bytes") return this.take(this.u32());
    if (type === "string") return new TextDecoder().decode(this.take(this.u32()));
    throw new Error(`cannot decode a ${type}`);
  }
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Base58 (Bitcoin's alphabet, as Solana writes addresses and signatures) of `bytes`. */
export function base58(bytes) {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}
