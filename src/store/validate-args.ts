import { InvalidInputError } from "../core/errors.js";

/**
 * Argument checks every backend applies with the same rules and messages, so
 * that every backend refuses bad input alike (used by validate-input.ts).
 */

/** Longest id accepted (user, agent, app, run and memory ids). */
export const MAX_ID_CHARS = 200;
/** Longest memory text accepted (characters). */
export const MAX_MEMORY_CHARS = 1_000_000;

export function checkId(value: unknown, field = "id"): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_ID_CHARS) {
    throw new InvalidInputError(`${field} must be a non-empty string of at most ${MAX_ID_CHARS} characters`);
  }
  return value;
}

/** Normalises an ISO-8601 time to the stored form (`Date#toISOString`, UTC, milliseconds). */
export function checkTimestamp(value: unknown, field: string): string {
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) {
    throw new InvalidInputError(`${field} must be an ISO-8601 time such as 2025-01-31T12:00:00Z`);
  }
  return date.toISOString();
}

export function checkLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${max}`);
  }
  return value;
}

/** A search threshold in 0..1, or undefined when none was given. */
export function checkThreshold(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || value > 1) {
    throw new InvalidInputError("threshold must be a number from 0 to 1");
  }
  return value;
}
