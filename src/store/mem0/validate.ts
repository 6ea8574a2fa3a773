import { InvalidInputError } from "../../core/errors.js";
import type { AddInput, UpdatePatch } from "../../core/types.js";
import { assertNoReservedKeys } from "./metadata-keys.js";

/** Argument checks with the same rules and messages as the SQLite store, so both backends refuse alike. */

const MAX_ID_CHARS = 200;
export const MAX_MEMORY_CHARS = 1_000_000;

export function checkId(value: unknown, field = "id"): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_ID_CHARS) {
    throw new InvalidInputError(`${field} must be a non-empty string of at most ${MAX_ID_CHARS} characters`);
  }
  return value;
}

function checkOptionalId(value: unknown, field: string): void {
  if (value !== undefined && value !== null) checkId(value, field);
}

export function checkTimestamp(value: unknown, field: string): string {
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) {
    throw new InvalidInputError(`${field} must be an ISO-8601 time such as 2025-01-31T12:00:00Z`);
  }
  return date.toISOString();
}

export function checkMetadata(value: unknown, field = "metadata"): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "object" || Array.isArray(value))
    throw new InvalidInputError(`${field} must be a JSON object`);
  assertNoReservedKeys(value as Record<string, unknown>, field);
}

/** Categories without duplicates, in the order given. */
export function checkCategories(value: unknown, field = "categories"): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || c.trim() === "")) {
    throw new InvalidInputError(`${field} must be an array of non-empty strings`);
  }
  return [...new Set(value as string[])];
}

export function checkAddInput(input: AddInput): void {
  if (typeof input !== "object" || input === null) throw new InvalidInputError("input must be an object");
  if (typeof input.memory !== "string" || input.memory.trim() === "") {
    throw new InvalidInputError("memory must be a non-empty string");
  }
  if (input.memory.length > MAX_MEMORY_CHARS) {
    throw new InvalidInputError(`memory is longer than ${MAX_MEMORY_CHARS} characters`);
  }
  checkId(input.user_id, "user_id");
  checkOptionalId(input.agent_id, "agent_id");
  checkOptionalId(input.app_id, "app_id");
  checkOptionalId(input.run_id, "run_id");
  checkMetadata(input.metadata);
  checkCategories(input.categories);
  if (input.id !== undefined) checkId(input.id);
  if (input.created_at !== undefined) checkTimestamp(input.created_at, "created_at");
  if (input.updated_at !== undefined) checkTimestamp(input.updated_at, "updated_at");
}

export function checkPatch(patch: UpdatePatch): void {
  if (typeof patch !== "object" || patch === null) throw new InvalidInputError("update needs a patch object");
  if (patch.memory === undefined && patch.metadata === undefined && patch.categories === undefined) {
    throw new InvalidInputError("nothing to update: give memory, metadata or categories");
  }
  if (patch.memory !== undefined && (typeof patch.memory !== "string" || patch.memory.trim() === "")) {
    throw new InvalidInputError("memory must be a non-empty string");
  }
  checkMetadata(patch.metadata);
  checkCategories(patch.categories);
}

export function checkLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${max}`);
  }
  return value;
}

export function checkThreshold(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || value > 1) {
    throw new InvalidInputError("threshold must be a number from 0 to 1");
  }
  return value;
}
