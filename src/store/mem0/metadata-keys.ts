import { InvalidInputError } from "../../core/errors.js";
import type { Metadata } from "../../core/types.js";

/**
 * Fields of our memory model that Mem0 has no faithful place for travel in
 * its metadata, under reserved top-level keys, so that they round-trip exactly
 * and can be filtered with Mem0's documented `metadata` operators (`eq`,
 * `contains`; top-level keys only).
 *
 * Why agent/app/run are not sent as Mem0 entity ids: Mem0 scopes reads
 * implicitly ({"user_id": "u"} matches only records whose agent_id, app_id
 * and run_id are null), a wildcard "*" excludes nulls, and a write with both
 * user_id and agent_id is stored as separate per-entity records (an AND of
 * both finds nothing). Every memory here belongs to one user, so user_id is
 * the only entity we give Mem0.
 */
export const RESERVED_PREFIX = "mmm_";

export const META = {
  agentId: "mmm_agent_id",
  appId: "mmm_app_id",
  runId: "mmm_run_id",
  hash: "mmm_hash",
  categories: "mmm_categories",
  /** The exact created_at; Mem0's own keeps whole seconds when we set it. */
  createdAt: "mmm_created_at",
} as const;

/** Rejects caller metadata that would collide with the reserved keys. */
export function assertNoReservedKeys(metadata: Record<string, unknown> | undefined, where: string): void {
  for (const key of Object.keys(metadata ?? {})) {
    if (key.startsWith(RESERVED_PREFIX)) {
      throw new InvalidInputError(
        `${where}: metadata keys starting with "${RESERVED_PREFIX}" are reserved (got "${key}")`,
      );
    }
  }
}

/** Splits stored metadata into the caller's part and the reserved part. */
export function splitMetadata(stored: unknown): { user: Metadata; reserved: Metadata } {
  const user: Metadata = {};
  const reserved: Metadata = {};
  if (stored && typeof stored === "object" && !Array.isArray(stored)) {
    for (const [k, v] of Object.entries(stored as Metadata)) {
      if (k.startsWith(RESERVED_PREFIX)) reserved[k] = v;
      else user[k] = v;
    }
  }
  return { user, reserved };
}
