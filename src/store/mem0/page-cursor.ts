import { InvalidInputError } from "../../core/errors.js";

/**
 * Mem0 paginates by page number; callers get an opaque cursor. The page size
 * travels with the page so a cursor stays valid whatever limit comes next.
 */
export interface PagePosition {
  page: number;
  pageSize: number;
}

export function encodeCursor(pos: PagePosition): string {
  return Buffer.from(JSON.stringify({ p: pos.page, n: pos.pageSize })).toString("base64url");
}

export function decodeCursor(cursor: string): PagePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidInputError("invalid cursor: pass the next_cursor of a previous page");
  }
  const { p, n } = (parsed ?? {}) as { p?: unknown; n?: unknown };
  if (!Number.isInteger(p) || !Number.isInteger(n) || (p as number) < 1 || (n as number) < 1) {
    throw new InvalidInputError("invalid cursor: pass the next_cursor of a previous page");
  }
  return { page: p as number, pageSize: n as number };
}
