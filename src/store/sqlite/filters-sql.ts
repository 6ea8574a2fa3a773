import type { CheckedFilters, MetadataMatch } from "../validate-input.js";

/** A WHERE fragment over table alias `m` and its positional parameters. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

function metadataClause([key, value]: MetadataMatch): SqlFragment {
  const head = "EXISTS (SELECT 1 FROM json_each(m.metadata) AS j WHERE j.key = ?";
  if (typeof value === "boolean") return { sql: `${head} AND j.type = ?)`, params: [key, String(value)] };
  if (typeof value === "number") {
    return { sql: `${head} AND j.type IN ('integer', 'real') AND j.value = ?)`, params: [key, value] };
  }
  return { sql: `${head} AND j.type = 'text' AND j.value = ?)`, params: [key, value] };
}

/**
 * Filters as SQL. `user_id` always comes first so an index on
 * (user_id, ...) applies. Values are always bound, never spliced in.
 */
export function filtersToSql(f: CheckedFilters): SqlFragment {
  const clauses = ["m.user_id = ?"];
  const params: unknown[] = [f.user_id];
  const equal = (column: string, value: string | null) => {
    if (value === null) return;
    clauses.push(`m.${column} = ?`);
    params.push(value);
  };
  equal("agent_id", f.agent_id);
  equal("app_id", f.app_id);
  equal("run_id", f.run_id);
  if (f.categories !== null) {
    clauses.push(
      "EXISTS (SELECT 1 FROM json_each(m.categories) AS c WHERE c.value IN (SELECT value FROM json_each(?)))",
    );
    params.push(JSON.stringify(f.categories));
  }
  for (const match of f.metadata) {
    const clause = metadataClause(match);
    clauses.push(clause.sql);
    params.push(...clause.params);
  }
  if (f.created_after !== null) {
    clauses.push("m.created_at >= ?");
    params.push(f.created_after);
  }
  if (f.created_before !== null) {
    clauses.push("m.created_at < ?");
    params.push(f.created_before);
  }
  return { sql: clauses.join(" AND "), params };
}
