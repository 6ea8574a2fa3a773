import { InvalidInputError } from "../../core/errors.js";

/**
 * Where the previous page stopped: the created_at of its last memory and the
 * ids already returned that share that created_at. The next page asks Mem0
 * for memories created no later than that and drops the ones already seen,
 * so memories added between pages cause neither gaps nor repeats.
 */
export interface ListPosition {
  /** ISO-8601 UTC (milliseconds) of the last memory returned. */
  before: string;
  /** Ids already returned whose created_at equals `before`. */
  seen: string[];
}

const INVALID = "invalid cursor: pass the next_cursor of a previous page";

export function encodeCursor(pos: ListPosition): string {
  return Buffer.from(JSON.stringify({ b: pos.before, s: pos.seen })).toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidInputError(INVALID);
  }
  const { b, s } = (parsed ?? {}) as { b?: unknown; s?: unknown };
  if (typeof b !== "string" || Number.isNaN(Date.parse(b))) throw new InvalidInputError(INVALID);
  if (!Array.isArray(s) || s.some((id) => typeof id !== "string")) throw new InvalidInputError(INVALID);
  return { before: new Date(Date.parse(b)).toISOString(), seen: s as string[] };
}
