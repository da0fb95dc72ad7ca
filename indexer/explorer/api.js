// Reading the indexer's API (/v1/…): one answer, an answer that may not exist, or every row
// of a list page after page.

/** The longest list one view reads, over however many pages. */
export const MOST_ROWS = 2000;

export class ApiError extends Error {
  constructor(status, message, path) {
    super(`${path}: ${status} ${message}`);
    this.status = status;
  }
}

/** The JSON answer of `path`; an error status is an `ApiError` with the API's message. */
export async function api(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error ?? response.statusText, path);
  return body;
}

/** The answer of `path`, or `null` when the API has no such row (404). */
export async function maybe(path) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Every row of the list at `path`, page after page, up to `MOST_ROWS`. */
export async function every(path) {
  const rows = [];
  let after = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${separator}limit=500${after === null ? "" : `&after=${encodeURIComponent(after)}`}`);
    rows.push(...page.items);
    after = page.next ?? null;
  } while (after !== null && rows.length < MOST_ROWS);
  return rows;
}
