import Database from "better-sqlite3";
import { MemoryError } from "../../core/errors.js";

function reason(code: string, dbPath: string): string {
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return `The memory database at ${dbPath} stayed locked by another process for too long; try again.`;
  }
  if (code === "SQLITE_FULL") {
    return `The disk holding the memory database at ${dbPath} is full; free some space and try again (nothing was written).`;
  }
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return `The file at ${dbPath} is damaged or is not an mcp-mitm-mem0 memory database; restore it from a backup or move it away.`;
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return `The memory database at ${dbPath} is read-only; check the permissions of the file and its folder.`;
  }
  if (code.startsWith("SQLITE_CANTOPEN") || code === "SQLITE_PERM" || code === "SQLITE_AUTH") {
    return `The memory database at ${dbPath} cannot be opened; check that the path is a file you may read and write.`;
  }
  if (code.startsWith("SQLITE_IOERR")) {
    return `Reading or writing the memory database at ${dbPath} failed (disk I/O error).`;
  }
  return `The memory database at ${dbPath} failed.`;
}

/**
 * SQLite failures become MemoryError STORE_UNAVAILABLE (or CONFLICT for a
 * broken uniqueness rule) with a message a person can act on; the SQLite code
 * is kept at the end and the original error as `cause`. Other errors pass through.
 */
export function toStoreError(error: unknown, dbPath: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  if (code.startsWith("SQLITE_CONSTRAINT")) {
    return new MemoryError("CONFLICT", `The change conflicts with a stored memory (${code}).`, {
      cause: error,
    });
  }
  return new MemoryError("STORE_UNAVAILABLE", `${reason(code, dbPath)} (${code})`, { cause: error });
}
