import { InvalidInputError } from "../../core/errors.js";
import type { AddInput, UpdatePatch } from "../../core/types.js";
import { checkId, checkTimestamp, MAX_MEMORY_CHARS } from "../validate-args.js";
import { assertNoReservedKeys } from "./metadata-keys.js";

/** Argument checks with the same rules and messages as the SQLite store, so both backends refuse alike. */

function checkOptionalId(value: unknown, field: string): void {
  if (value !== undefined && value !== null) checkId(value, field);
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

export { checkId, checkLimit, checkThreshold } from "../validate-args.js";
