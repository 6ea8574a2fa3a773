import { MemoryError } from "../../core/errors.js";

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("E") ? code : undefined;
}

function reason(error: Error, where: string): string {
  const state = sqlState(error);
  const sys = systemCode(error);
  if (sys === "ECONNREFUSED" || sys === "ENOTFOUND" || sys === "EHOSTUNREACH" || sys === "ECONNRESET") {
    return `PostgreSQL at ${where} cannot be reached (${sys}); check that it runs and DATABASE_URL names it.`;
  }
  if (state === "57014" || /timeout/i.test(error.message)) {
    return `PostgreSQL at ${where} did not answer in time (${state ?? "timeout"}); try again.`;
  }
  if (state === "28P01" || state === "28000") {
    return `PostgreSQL at ${where} rejected the credentials in DATABASE_URL (${state}).`;
  }
  if (state === "3D000") return `The database named in DATABASE_URL does not exist on ${where} (${state}).`;
  if (state?.startsWith("08") || /terminat|closed|ended/i.test(error.message)) {
    return `The connection to PostgreSQL at ${where} was lost (${state ?? "connection closed"}); try again.`;
  }
  if (state?.startsWith("53")) return `PostgreSQL at ${where} is out of resources (${state}); try again.`;
  return `PostgreSQL at ${where} failed${state ? ` (${state})` : ""}.`;
}

/**
 * Driver and server failures become MemoryError: a broken unique rule is
 * CONFLICT, everything else STORE_UNAVAILABLE with a message a person can act
 * on (no URL, no password: `where` is host:port/database). MemoryErrors pass.
 */
export function toPgStoreError(error: unknown, where: string): unknown {
  if (error instanceof MemoryError || !(error instanceof Error)) return error;
  const state = sqlState(error);
  if (state === "23505") {
    return new MemoryError("CONFLICT", `The change conflicts with a stored memory (${state}).`, {
      cause: error,
    });
  }
  return new MemoryError("STORE_UNAVAILABLE", reason(error, where), { cause: error });
}
