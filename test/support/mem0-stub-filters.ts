/**
 * The Mem0 v2/v3 filter language, as the stub enforces it: validation that
 * answers 400 like the Platform, and evaluation against stored records.
 *
 * - Root: `{AND: [...]}`, `{OR: [...]}`, `{NOT: {...}}` or a shorthand leaf object.
 * - Entity fields (user_id, agent_id, app_id, run_id): a string, "*" (any
 *   non-null), or `{in|ne|eq}`.
 * - created_at / updated_at / timestamp: `{gt|gte|lt|lte|eq|ne: ISO date}`.
 * - categories: `{in|contains|eq|ne}`.
 * - metadata: top-level keys only, a plain value (eq) or `{eq|ne|contains}`;
 *   `in`, `gt`, ... are refused.
 * - keywords: `{contains|icontains}` on the memory text.
 * - Implicit null scoping: an entity field the filter never names must be
 *   null on the record ({"user_id": "u"} does not match agent-scoped rows).
 */

export interface StubRecord {
  id: string;
  memory: string;
  user_id: string | null;
  agent_id: string | null;
  app_id: string | null;
  run_id: string | null;
  metadata: Record<string, unknown> | null;
  categories: string[];
  createdMs: number;
  updatedMs: number;
}

export class FilterError extends Error {}

const ENTITY = ["user_id", "agent_id", "app_id", "run_id"] as const;
const DATES = new Set(["created_at", "updated_at", "timestamp"]);
const DATE_OPS = new Set(["gt", "gte", "lt", "lte", "eq", "ne"]);
const ENTITY_OPS = new Set(["in", "ne", "eq"]);
const CATEGORY_OPS = new Set(["in", "contains", "eq", "ne"]);
const METADATA_OPS = new Set(["eq", "ne", "contains"]);
const FIELDS = new Set([...ENTITY, ...DATES, "categories", "metadata", "keywords", "memory_ids"]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Throws FilterError when Mem0 would answer 400; returns the entity fields the tree names. */
export function validateFilters(tree: unknown): Set<string> {
  const named = new Set<string>();
  const walk = (node: unknown): void => {
    if (!isObject(node) || Object.keys(node).length === 0)
      throw new FilterError("each filter must be a non-empty object");
    for (const [key, value] of Object.entries(node)) {
      if (key === "AND" || key === "OR") {
        if (!Array.isArray(value) || value.length === 0)
          throw new FilterError(`${key} needs a non-empty list`);
        value.forEach(walk);
      } else if (key === "NOT") {
        walk(value);
      } else if (!FIELDS.has(key)) {
        throw new FilterError(`unknown filter field "${key}"`);
      } else {
        checkLeaf(key, value);
        if ((ENTITY as readonly string[]).includes(key)) named.add(key);
      }
    }
  };
  walk(tree);
  return named;
}

function checkOps(field: string, value: Json, allowed: Set<string>): void {
  const ops = Object.keys(value);
  if (ops.length === 0) throw new FilterError(`empty condition on ${field}`);
  for (const op of ops)
    if (!allowed.has(op)) throw new FilterError(`operator "${op}" is not supported on ${field}`);
}

function checkLeaf(field: string, value: unknown): void {
  if ((ENTITY as readonly string[]).includes(field)) {
    if (typeof value === "string" && value.trim() !== "") return;
    if (!isObject(value)) throw new FilterError(`${field} must be a non-empty string or an operator object`);
    checkOps(field, value, ENTITY_OPS);
    if ("in" in value && !Array.isArray(value.in)) throw new FilterError(`${field}.in must be a list`);
  } else if (DATES.has(field)) {
    if (!isObject(value)) throw new FilterError(`${field} needs an operator such as gte`);
    checkOps(field, value, DATE_OPS);
    for (const v of Object.values(value)) {
      if (typeof v !== "string" || Number.isNaN(Date.parse(v)))
        throw new FilterError(`${field} needs ISO-8601 dates`);
    }
  } else if (field === "categories") {
    if (!isObject(value)) throw new FilterError("categories needs an operator such as in");
    checkOps(field, value, CATEGORY_OPS);
  } else if (field === "metadata") {
    if (!isObject(value) || Object.keys(value).length === 0)
      throw new FilterError("metadata needs key: value");
    for (const [k, v] of Object.entries(value)) {
      if (isObject(v)) checkOps(`metadata.${k}`, v, METADATA_OPS);
      else if (Array.isArray(v)) throw new FilterError(`metadata.${k}: lists are not comparable`);
    }
  } else if (field === "keywords") {
    if (!isObject(value)) throw new FilterError("keywords needs contains or icontains");
    checkOps(field, value, new Set(["contains", "icontains"]));
  } else if (field === "memory_ids") {
    const ids = isObject(value) ? value.in : value;
    if (!Array.isArray(ids)) throw new FilterError("memory_ids needs a list");
  }
}

/** True when `record` satisfies `tree` (already validated), including implicit null scoping. */
export function matches(record: StubRecord, tree: Json, named: Set<string>): boolean {
  for (const field of ENTITY) if (!named.has(field) && record[field] !== null) return false;
  return evaluate(record, tree);
}

function evaluate(record: StubRecord, node: Json): boolean {
  return Object.entries(node).every(([key, value]) => {
    if (key === "AND") return (value as Json[]).every((n) => evaluate(record, n));
    if (key === "OR") return (value as Json[]).some((n) => evaluate(record, n));
    if (key === "NOT") return !evaluate(record, value as Json);
    return leaf(record, key, value);
  });
}

function leaf(record: StubRecord, field: string, cond: unknown): boolean {
  if ((ENTITY as readonly string[]).includes(field)) {
    const actual = record[field as (typeof ENTITY)[number]];
    if (cond === "*") return actual !== null;
    if (typeof cond === "string") return actual === cond;
    const c = cond as Json;
    if ("in" in c) return (c.in as unknown[]).includes(actual);
    if ("ne" in c) return actual !== c.ne;
    return actual === c.eq;
  }
  if (DATES.has(field)) {
    const actual = field === "updated_at" ? record.updatedMs : record.createdMs;
    return Object.entries(cond as Json).every(([op, v]) => compare(actual, op, Date.parse(v as string)));
  }
  if (field === "categories") {
    const c = cond as Json;
    if ("in" in c) return (c.in as unknown[]).some((x) => record.categories.includes(x as string));
    if ("contains" in c) return record.categories.some((x) => x.includes(String(c.contains)));
    if ("ne" in c) return !record.categories.includes(String(c.ne));
    return record.categories.includes(String(c.eq));
  }
  if (field === "metadata") {
    const meta = record.metadata ?? {};
    return Object.entries(cond as Json).every(([k, v]) => metadataMatch(meta[k], v));
  }
  if (field === "keywords") {
    const c = cond as Json;
    if ("icontains" in c) return record.memory.toLowerCase().includes(String(c.icontains).toLowerCase());
    return record.memory.includes(String(c.contains));
  }
  const ids = (cond as Json).in ?? cond;
  return (ids as unknown[]).includes(record.id);
}

function metadataMatch(actual: unknown, cond: unknown): boolean {
  if (!isObject(cond)) return actual === cond;
  if ("eq" in cond) return actual === cond.eq;
  if ("ne" in cond) return actual !== cond.ne;
  const needle = cond.contains;
  if (Array.isArray(actual)) return actual.includes(needle);
  return typeof actual === "string" && actual.includes(String(needle));
}

function compare(actual: number, op: string, v: number): boolean {
  switch (op) {
    case "gt":
      return actual > v;
    case "gte":
      return actual >= v;
    case "lt":
      return actual < v;
    case "lte":
      return actual <= v;
    case "eq":
      return actual === v;
    default:
      return actual !== v;
  }
}
