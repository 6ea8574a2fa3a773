import { InvalidInputError } from "../../core/errors.js";

/** Where a page ended: list order is (created_at DESC, pk DESC), so this is a keyset position. */
export interface ListPosition {
  created_at: string;
  pk: number;
}

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.created_at, position.pk]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "string" && Number.isSafeInteger(value[1])) {
      return { created_at: value[0], pk: value[1] as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("cursor is not valid: pass next_cursor from a previous page unchanged");
}
