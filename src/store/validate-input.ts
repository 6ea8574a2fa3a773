import { InvalidInputError } from "../core/errors.js";
import type {
  AddInput,
  ChatMessage,
  ListOptions,
  MemoryFilters,
  Metadata,
  Scope,
  SearchOptions,
  UpdatePatch,
} from "../core/types.js";
import { memoryHash } from "./memory-hash.js";
import { checkId, checkLimit, checkThreshold, checkTimestamp, MAX_MEMORY_CHARS } from "./validate-args.js";

/**
 * The `MemoryStore` contract's argument rules, checked once for every
 * backend (by checked-store.ts): what a backend receives is already valid
 * and normalised (ids checked, times in `Date#toISOString` form, categories
 * distinct, metadata a plain JSON object, the text's hash computed).
 */

/** A memory to add, checked. `null` id/times: the backend assigns them. */
export interface CheckedAdd {
  id: string | null;
  user_id: string;
  agent_id: string | null;
  app_id: string | null;
  run_id: string | null;
  memory: string;
  hash: string;
  metadata: Metadata;
  /** `metadata` as JSON text (what SQL backends write). */
  metadataJson: string;
  categories: string[];
  created_at: string | null;
  updated_at: string | null;
  messages: ChatMessage[] | undefined;
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

/** Only the fields given are changed. */
export interface CheckedPatch {
  memory?: { text: string; hash: string };
  metadata?: { value: Metadata; json: string };
  categories?: string[];
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

/** A plain JSON object, as JSON text and as the value that text parses back to. */
function checkMetadata(value: unknown, field: string): { value: Metadata; json: string } {
  if (value === undefined || value === null) return { value: {}, json: "{}" };
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidInputError(`${field} must be a JSON object`);
  }
  let json: string;
  try {
    json = JSON.stringify(value as Metadata);
  } catch {
    throw new InvalidInputError(`${field} must be JSON-serialisable`);
  }
  return { value: JSON.parse(json) as Metadata, json };
}

/** Distinct categories, in order (none when absent). */
function checkCategories(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || c.trim() === "")) {
    throw new InvalidInputError(`${field} must be an array of non-empty strings`);
  }
  return [...new Set(value as string[])];
}

export function checkAddInput(input: AddInput, index?: number): CheckedAdd {
  if (typeof input !== "object" || input === null) {
    throw new InvalidInputError(`${label("input", index)} must be an object`);
  }
  const memory = checkMemoryText(input.memory, index);
  const metadata = checkMetadata(input.metadata, label("metadata", index));
  const created_at =
    input.created_at === undefined ? null : checkTimestamp(input.created_at, label("created_at", index));
  return {
    id: input.id === undefined ? null : checkId(input.id, label("id", index)),
    user_id: checkUserId(input.user_id, index),
    agent_id: optionalId(input.agent_id, label("agent_id", index)),
    app_id: optionalId(input.app_id, label("app_id", index)),
    run_id: optionalId(input.run_id, label("run_id", index)),
    memory,
    hash: memoryHash(memory),
    metadata: metadata.value,
    metadataJson: metadata.json,
    categories: checkCategories(input.categories, label("categories", index)),
    created_at,
    updated_at:
      input.updated_at === undefined
        ? created_at
        : checkTimestamp(input.updated_at, label("updated_at", index)),
    messages: Array.isArray(input.messages) ? input.messages : undefined,
  };
}

export function checkAddMany(inputs: AddInput[]): CheckedAdd[] {
  if (!Array.isArray(inputs)) throw new InvalidInputError("addMany needs an array of memories");
  return inputs.map((input, i) => checkAddInput(input, i));
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

/** A scope for deleteAll: who, and optionally which agent/project/session. */
export function checkScope(scope: Scope): CheckedFilters {
  if (typeof scope !== "object" || scope === null) throw new InvalidInputError("deleteAll needs a scope");
  const { user_id, agent_id, app_id, run_id } = scope;
  return checkFilters({ user_id, agent_id, app_id, run_id });
}

/** True when a checked scope names only a user (deleteAll then forgets the user). */
export function onlyUser(scope: CheckedFilters): boolean {
  return scope.agent_id === null && scope.app_id === null && scope.run_id === null;
}

/**
 * True when filters name only the user and the session (what a search's
 * neighbours share), so that every neighbour passes them.
 */
export function onlyScopeFilters(f: CheckedFilters): boolean {
  return (
    f.agent_id === null &&
    f.app_id === null &&
    f.categories === null &&
    f.metadata.length === 0 &&
    f.created_after === null &&
    f.created_before === null
  );
}

export function checkPatch(patch: UpdatePatch): CheckedPatch {
  if (typeof patch !== "object" || patch === null) throw new InvalidInputError("update needs a patch object");
  if (patch.memory === undefined && patch.metadata === undefined && patch.categories === undefined) {
    throw new InvalidInputError("nothing to update: give memory, metadata or categories");
  }
  const checked: CheckedPatch = {};
  if (patch.memory !== undefined) {
    const text = checkMemoryText(patch.memory);
    checked.memory = { text, hash: memoryHash(text) };
  }
  if (patch.metadata !== undefined) checked.metadata = checkMetadata(patch.metadata, "metadata");
  if (patch.categories !== undefined) checked.categories = checkCategories(patch.categories, "categories");
  return checked;
}

export interface CheckedSearch {
  query: string;
  filters: CheckedFilters;
  limit: number;
  /** 0 when none was given. */
  threshold: number;
  /** Whether the caller gave a threshold (a backend may pass it on). */
  hasThreshold: boolean;
}

export function checkSearch(query: unknown, options: SearchOptions, maxLimit: number): CheckedSearch {
  if (typeof query !== "string") throw new InvalidInputError("query must be a string");
  const filters = checkFilters(options?.filters);
  const threshold = checkThreshold(options.threshold);
  return {
    query,
    filters,
    limit: checkLimit(options.limit, 10, maxLimit),
    threshold: threshold ?? 0,
    hasThreshold: threshold !== undefined,
  };
}

export interface CheckedList {
  filters: CheckedFilters;
  limit: number;
  cursor: string | undefined;
}

export function checkList(options: ListOptions): CheckedList {
  const filters = checkFilters(options?.filters);
  const limit = checkLimit(options.limit, 50, 1000);
  if (options.cursor !== undefined && typeof options.cursor !== "string") {
    throw new InvalidInputError("cursor must be a string");
  }
  return { filters, limit, cursor: options.cursor };
}
