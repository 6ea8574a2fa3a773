import { InvalidInputError } from "../../core/errors.js";
import type { AddInput, MemoryFilters, Metadata, UpdatePatch } from "../../core/types.js";
import { checkId, checkTimestamp, MAX_MEMORY_CHARS } from "../validate-args.js";
import { memoryHash } from "./memory-hash.js";
import type { MemoryRow } from "./row-mapping.js";

/** A memory as it is written to the `memories` table. */
export interface MemoryValues extends Omit<MemoryRow, "pk"> {
  /** The same metadata and categories as values (what `add` returns). */
  metadataValue: Metadata;
  categoriesValue: string[];
}

export type MetadataMatch = [key: string, value: string | number | boolean];

export interface CheckedFilters {
  user_id: string;
  agent_id: string | null;
  app_id: string | null;
  run_id: string | null;
  categories: string[] | null;
  metadata: MetadataMatch[];
  created_after: string | null;
  created_before: string | null;
}

function label(field: string, index?: number): string {
  return index === undefined ? field : `${field} (item ${index})`;
}

function optionalId(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  return checkId(value, field);
}

export function checkUserId(value: unknown, index?: number): string {
  return checkId(value, label("user_id", index));
}

export function checkMemoryText(value: unknown, index?: number): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidInputError(`${label("memory", index)} must be a non-empty string`);
  }
  if (value.length > MAX_MEMORY_CHARS) {
    throw new InvalidInputError(`${label("memory", index)} is longer than ${MAX_MEMORY_CHARS} characters`);
  }
  return value;
}

export function metadataJson(value: unknown, field = "metadata"): string {
  if (value === undefined || value === null) return "{}";
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidInputError(`${field} must be a JSON object`);
  }
  try {
    return JSON.stringify(value as Metadata);
  } catch {
    throw new InvalidInputError(`${field} must be JSON-serialisable`);
  }
}

/** Distinct categories, in order (none when absent). */
function checkCategories(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || c.trim() === "")) {
    throw new InvalidInputError(`${field} must be an array of non-empty strings`);
  }
  return [...new Set(value as string[])];
}

export function categoriesJson(value: unknown, field = "categories"): string {
  return JSON.stringify(checkCategories(value, field));
}

export function checkAddInput(
  input: AddInput,
  now: string,
  newId: () => string,
  index?: number,
): MemoryValues {
  if (typeof input !== "object" || input === null) {
    throw new InvalidInputError(`${label("input", index)} must be an object`);
  }
  const memory = checkMemoryText(input.memory, index);
  const created_at =
    input.created_at === undefined ? now : checkTimestamp(input.created_at, label("created_at", index));
  const metadata = metadataJson(input.metadata, label("metadata", index));
  const categoriesValue = checkCategories(input.categories, label("categories", index));
  return {
    id: input.id === undefined ? newId() : checkId(input.id, label("id", index)),
    user_id: checkUserId(input.user_id, index),
    agent_id: optionalId(input.agent_id, label("agent_id", index)),
    app_id: optionalId(input.app_id, label("app_id", index)),
    run_id: optionalId(input.run_id, label("run_id", index)),
    memory,
    hash: memoryHash(memory),
    metadata,
    categories: JSON.stringify(categoriesValue),
    metadataValue: JSON.parse(metadata) as Metadata,
    categoriesValue,
    created_at,
    updated_at:
      input.updated_at === undefined
        ? created_at
        : checkTimestamp(input.updated_at, label("updated_at", index)),
  };
}

export function checkFilters(filters: MemoryFilters | undefined): CheckedFilters {
  if (typeof filters !== "object" || filters === null) {
    throw new InvalidInputError("filters with a user_id are required");
  }
  const metadata: MetadataMatch[] = [];
  if (filters.metadata !== undefined) {
    if (
      typeof filters.metadata !== "object" ||
      filters.metadata === null ||
      Array.isArray(filters.metadata)
    ) {
      throw new InvalidInputError("filters.metadata must be an object of key: value");
    }
    for (const [key, value] of Object.entries(filters.metadata)) {
      if (!["string", "number", "boolean"].includes(typeof value)) {
        throw new InvalidInputError(`filters.metadata.${key} must be a string, number or boolean`);
      }
      metadata.push([key, value]);
    }
  }
  const categories =
    filters.categories === undefined ? null : checkCategories(filters.categories, "filters.categories");
  return {
    user_id: checkUserId(filters.user_id),
    agent_id: optionalId(filters.agent_id, "filters.agent_id"),
    app_id: optionalId(filters.app_id, "filters.app_id"),
    run_id: optionalId(filters.run_id, "filters.run_id"),
    categories,
    metadata,
    created_after:
      filters.created_after === undefined ? null : checkTimestamp(filters.created_after, "created_after"),
    created_before:
      filters.created_before === undefined ? null : checkTimestamp(filters.created_before, "created_before"),
  };
}

export function checkPatch(patch: UpdatePatch): void {
  if (typeof patch !== "object" || patch === null) throw new InvalidInputError("update needs a patch object");
  if (patch.memory === undefined && patch.metadata === undefined && patch.categories === undefined) {
    throw new InvalidInputError("nothing to update: give memory, metadata or categories");
  }
}
