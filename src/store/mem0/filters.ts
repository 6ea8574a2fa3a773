import type { CheckedFilters } from "../validate-input.js";
import { assertNoReservedKeys, META } from "./metadata-keys.js";

/**
 * Our filters as a Mem0 filter tree: an AND of the user (the only entity id
 * we give Mem0), reserved metadata keys for agent/app/run, caller metadata
 * (eq, top-level keys), categories any-of (an OR of `contains` on the stored
 * category list) and a created_at range (gte inclusive, lt exclusive).
 */
export function toMem0Filters(f: CheckedFilters): Record<string, unknown> {
  assertNoReservedKeys(Object.fromEntries(f.metadata), "filters");
  const and: Record<string, unknown>[] = [{ user_id: f.user_id }];
  if (f.agent_id !== null) and.push({ metadata: { [META.agentId]: f.agent_id } });
  if (f.app_id !== null) and.push({ metadata: { [META.appId]: f.app_id } });
  if (f.run_id !== null) and.push({ metadata: { [META.runId]: f.run_id } });
  for (const [key, value] of f.metadata) and.push({ metadata: { [key]: value } });
  const categories = f.categories ?? [];
  if (categories.length > 0) {
    const any = categories.map((c) => ({ metadata: { [META.categories]: { contains: c } } }));
    and.push(any.length === 1 ? (any[0] as Record<string, unknown>) : { OR: any });
  }
  if (f.created_after !== null) and.push({ created_at: { gte: f.created_after } });
  if (f.created_before !== null) and.push({ created_at: { lt: f.created_before } });
  return { AND: and };
}

/** Every memory of one user whose stored hash is `hash`. */
export function hashFilter(userId: string, hash: string): Record<string, unknown> {
  return { AND: [{ user_id: userId }, { metadata: { [META.hash]: hash } }] };
}
