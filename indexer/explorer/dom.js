// Building the explorer's page: elements from text (never from markup, so text from the chain
// stays text), tables, fields and badges, and how addresses, amounts and sizes read.

/** An element with attributes (`on…` ones are listeners) and children (strings are text). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const link = (href, text, attributes = {}) => h("a", { href, ...attributes }, text);
export const address = (value) => (value ? h("span", { class: "address", title: value }, short(value)) : "—");
export const blobLink = (value) => (value ? link(`#/blob/${value}`, short(value), { class: "address", title: value }) : "—");
export const jobLink = (value) => link(`#/job/${value}`, short(value), { class: "address", title: value });
export const ownerLink = (value) => link(`#/blobs?owner=${value}`, short(value), { class: "address", title: value });
/** A coloured label; `kind` (the colour) is the text unless given. */
export const badge = (text, kind = text) => h("span", { class: `badge ${kind}` }, text);

/** `abcd…wxyz` for long addresses; short values whole. */
export function short(value) {
  const text = String(value);
  return text.length > 14 ? `${text.slice(0, 6)}…${text.slice(-6)}` : text;
}

/** A decimal string (the API's amounts) with thousands separated; exact at any size. */
export function amount(value) {
  if (value === null || value === undefined) return "—";
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

/** Bytes as KiB, MiB, GiB… (for reading, not for sums). */
export function bytes(value) {
  let n = Number(value);
  if (!Number.isFinite(n)) return amount(value);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : 1)} ${units[unit]}`;
}

/**
 * A table of `rows` with `columns` ([heading, cell(row), class?, field?]; `field` names the
 * cells as `data-field`), or a line saying none.
 */
export function table(columns, rows, { empty = "None.", rowAttributes = () => ({}), className = "" } = {}) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h("div", { class: "scroll" },
    h("table", { class: className },
      h("thead", {}, h("tr", {}, columns.map(([heading, , cls]) => h("th", { class: cls }, heading)))),
      h("tbody", {}, rows.map((row) =>
        h("tr", rowAttributes(row), columns.map(([, cell, cls, field]) => h("td", { class: cls, "data-field": field }, cell(row))))))));
}

/** A definition list of [label, value] pairs. */
export const fields = (pairs) => h("dl", { class: "fields" }, pairs.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));

export const totals = (pairs) => h("div", { class: "totals" }, pairs.map(([label, value]) =>
  h("div", { class: "total" }, h("span", { class: "label" }, label), h("span", { class: "value" }, value))));
