import type { CheckedFilters, MetadataMatch } from "../validate-input.js";

/** Positional parameters shared by the fragments of one statement: `add` returns the next `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function metadataClause([key, value]: MetadataMatch, p: Params): string {
  const cast = typeof value === "boolean" ? "boolean" : typeof value === "number" ? "numeric" : "text";
  return `m.metadata -> ${p.add(key)}::text = to_jsonb(${p.add(value)}::${cast})`;
}

/**
 * Filters as a WHERE fragment over alias `m`. `user_id` comes first so the
 * (user_id, ...) indexes apply; values are always bound, never spliced in.
 */
export function filtersToPg(f: CheckedFilters, p: Params): string {
  const clauses = [`m.user_id = ${p.add(f.user_id)}`];
  const equal = (column: string, value: string | null) => {
    if (value !== null) clauses.push(`m.${column} = ${p.add(value)}`);
  };
  equal("agent_id", f.agent_id);
  equal("app_id", f.app_id);
  equal("run_id", f.run_id);
  if (f.categories !== null) clauses.push(`m.categories ?| ${p.add(f.categories)}::text[]`);
  for (const match of f.metadata) clauses.push(metadataClause(match, p));
  if (f.created_after !== null) clauses.push(`m.created_at >= ${p.add(f.created_after)}`);
  if (f.created_before !== null) clauses.push(`m.created_at < ${p.add(f.created_before)}`);
  return clauses.join(" AND ");
}
