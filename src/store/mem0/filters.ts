import { InvalidInputError } from "../../core/errors.js";
import type { MemoryFilters } from "../../core/types.js";
import { assertNoReservedKeys, META } from "./metadata-keys.js";

/**
 * Our filters as a Mem0 filter tree: an AND of the user (the only entity id
 * we give Mem0), reserved metadata keys for agent/app/run, caller metadata
 * (eq, top-level keys), categories any-of (an OR of `contains` on the stored
 * category list) and a created_at range (gte inclusive, lt exclusive).
 */
export function toMem0Filters(f: MemoryFilters): Record<string, unknown> {
  if (!f.user_id || f.user_id.trim() === "") throw new InvalidInputError("user_id is required");
  assertNoReservedKeys(f.metadata, "filters");
  const and: Record<string, unknown>[] = [{ user_id: f.user_id }];
  if (f.agent_id !== undefined) and.push({ metadata: { [META.agentId]: f.agent_id } });
  if (f.app_id !== undefined) and.push({ metadata: { [META.appId]: f.app_id } });
  if (f.run_id !== undefined) and.push({ metadata: { [META.runId]: f.run_id } });
  for (const [key, value] of Object.entries(f.metadata ?? {})) and.push({ metadata: { [key]: value } });
  const categories = f.categories ?? [];
  if (categories.length > 0) {
    const any = categories.map((c) => ({ metadata: { [META.categories]: { contains: c } } }));
    and.push(any.length === 1 ? (any[0] as Record<string, unknown>) : { OR: any });
  }
  if (f.created_after !== undefined)
    and.push({ created_at: { gte: isoDate(f.created_after, "created_after") } });
  if (f.created_before !== undefined)
    and.push({ created_at: { lt: isoDate(f.created_before, "created_before") } });
  return { AND: and };
}

/** Every memory of one user whose stored hash is `hash`. */
export function hashFilter(userId: string, hash: string): Record<string, unknown> {
  return { AND: [{ user_id: userId }, { metadata: { [META.hash]: hash } }] };
}

function isoDate(value: string, name: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidInputError(`${name} must be an ISO-8601 date, got "${value}"`);
  return new Date(t).toISOString();
}
