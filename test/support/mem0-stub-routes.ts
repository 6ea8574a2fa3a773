import { FilterError, matches, type StubRecord, validateFilters } from "./mem0-stub-filters.js";
import { type AddPayload, mem0Time, overlapScore, type StubState, toWire } from "./mem0-stub-state.js";

/** The Mem0 routes of the stand-in; every refusal is the status and body shape Mem0 uses. */

export class StubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export interface RouteOptions {
  addMode: "async" | "sync";
  minPendingPolls: number;
  listOrder: "newest" | "oldest";
}

type Json = Record<string, unknown>;
type Answer = [number, unknown];

const ENTITY = ["user_id", "agent_id", "app_id", "run_id"];
const COMMON = ["org_id", "project_id"];
const ADD_V3 = new Set([
  ...ENTITY,
  ...COMMON,
  "messages",
  "metadata",
  "infer",
  "custom_instructions",
  "custom_categories",
  "timestamp",
  "expiration_date",
]);
const ADD_V1 = new Set([
  ...ADD_V3,
  "version",
  "output_format",
  "async_mode",
  "includes",
  "excludes",
  "immutable",
]);
const SEARCH = new Set([...COMMON, "query", "filters", "top_k", "threshold", "rerank", "fields", "version"]);
const LIST = new Set([...COMMON, "filters", "fields", "version"]);
const UPDATE = new Set(["text", "metadata", "timestamp", "expiration_date"]);

function bad(message: string): StubHttpError {
  return new StubHttpError(400, { error: "400 Bad Request", details: { message } });
}

function notFound(): StubHttpError {
  return new StubHttpError(404, { detail: "Not found." });
}

function body(value: unknown, allowed: Set<string>): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw bad("a JSON object body is required");
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw bad(`unknown field "${key}"`);
  return value as Json;
}

export class Mem0Routes {
  constructor(
    private readonly s: StubState,
    private readonly o: RouteOptions,
  ) {}

  dispatch(method: string, path: string, query: Record<string, string>, raw: unknown): Answer {
    const route = `${method} ${path}`;
    if (route === "GET /v1/ping/") {
      return [
        200,
        {
          status: "ok",
          message: "API key is valid",
          org_id: "org-stub",
          project_id: "proj-stub",
          user_email: "stub@example.com",
        },
      ];
    }
    if (route === "POST /v3/memories/add/") return this.add(body(raw, ADD_V3), "v3");
    if (route === "POST /v1/memories/") return this.add(body(raw, ADD_V1), "v1");
    if (route === "POST /v3/memories/search/" || route === "POST /v2/memories/search/") {
      return this.search(body(raw, SEARCH), path.startsWith("/v3"));
    }
    if (route === "POST /v3/memories/" || route === "POST /v2/memories/")
      return this.list(body(raw, LIST), query);
    if (route === "DELETE /v1/memories/") return this.deleteMany(query);
    const entity = /^\/v2\/entities\/(user|agent|app|run)\/([^/]+)\/$/.exec(path);
    if (entity && method === "DELETE")
      return this.deleteEntity(entity[1] as string, decodeURIComponent(entity[2] as string));
    const event = /^\/v1\/event\/([^/]+)\/$/.exec(path);
    if (event && method === "GET") return this.event(event[1] as string);
    const history = /^\/v1\/memories\/([^/]+)\/history\/$/.exec(path);
    if (history && method === "GET") return this.history(history[1] as string);
    const one = /^\/v1\/memories\/([^/]+)\/$/.exec(path);
    if (one) {
      const id = one[1] as string;
      if (method === "GET") return [200, toWire(this.find(id))];
      if (method === "PUT") return this.update(id, body(raw, UPDATE));
      if (method === "DELETE") return this.deleteOne(id);
    }
    throw notFound();
  }

  private find(id: string): StubRecord {
    const r = this.s.records.get(id);
    if (!r) throw notFound();
    return r;
  }

  private add(b: Json, family: "v1" | "v3"): Answer {
    if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad("messages must be a non-empty list");
    for (const m of b.messages as Json[]) {
      if (!["user", "assistant", "system"].includes(m?.role as string) || typeof m?.content !== "string") {
        throw bad("each message needs a role (user, assistant, system) and string content");
      }
    }
    for (const key of ENTITY) {
      if (b[key] !== undefined && (typeof b[key] !== "string" || (b[key] as string).trim() === "")) {
        throw bad(`${key} must be a non-empty string`);
      }
    }
    if (!ENTITY.some((k) => typeof b[k] === "string")) {
      throw bad("at least one of user_id, agent_id, app_id or run_id is required");
    }
    if (
      b.metadata !== undefined &&
      b.metadata !== null &&
      (typeof b.metadata !== "object" || Array.isArray(b.metadata))
    ) {
      throw bad("metadata must be an object");
    }
    if (b.infer !== undefined && typeof b.infer !== "boolean") throw bad("infer must be a boolean");
    if (b.timestamp !== undefined && !Number.isInteger(b.timestamp))
      throw bad("timestamp must be Unix seconds");
    if (family === "v1" && b.version !== "v2") throw bad('version must be "v2" (v1 is deprecated)');
    const payload = b as unknown as AddPayload;
    if (family === "v1" && b.async_mode === false) {
      return [200, { results: this.s.store(payload) }];
    }
    if (family === "v3" && this.o.addMode === "sync") {
      const results = this.s.store(payload);
      return [200, { status: "SUCCEEDED", results }];
    }
    const event = this.s.enqueue(payload);
    const queued = {
      message: "Memory processing has been queued for background execution",
      status: "PENDING",
      event_id: event.id,
    };
    return [200, family === "v3" ? queued : { results: [queued] }];
  }

  private filtered(filters: unknown, requireEntity = true): StubRecord[] {
    let named: Set<string>;
    try {
      named = validateFilters(filters);
    } catch (e) {
      if (e instanceof FilterError) throw bad(`invalid filters: ${e.message}`);
      throw e;
    }
    if (requireEntity && named.size === 0)
      throw bad("filters need at least one of user_id, agent_id, app_id or run_id");
    return [...this.s.records.values()].filter((r) => matches(r, filters as Json, named));
  }

  private search(b: Json, v3: boolean): Answer {
    if (typeof b.query !== "string" || b.query.trim() === "") throw bad("query must be a non-empty string");
    if (b.filters === undefined) throw bad("filters are required");
    const topK = b.top_k ?? 10;
    if (!Number.isInteger(topK) || (topK as number) < 1 || (topK as number) > 1000)
      throw bad("top_k must be 1..1000");
    const threshold = b.threshold ?? (v3 ? 0.1 : 0.3);
    if (typeof threshold !== "number" || threshold < 0 || threshold > 1)
      throw bad("threshold must be in [0, 1]");
    const hits = this.filtered(b.filters)
      .map((r) => ({ r, score: overlapScore(b.query as string, r.memory) }))
      .filter((h) => h.score > 0 && h.score >= threshold)
      .sort((a, c) => c.score - a.score || c.r.createdMs - a.r.createdMs)
      .slice(0, topK as number)
      .map((h) => toWire(h.r, { score: h.score }));
    return [200, v3 ? { results: hits } : hits];
  }

  private list(b: Json, query: Record<string, string>): Answer {
    if (b.filters === undefined) throw bad("filters are required");
    const page = Number(query.page ?? "1");
    const size = Number(query.page_size ?? "100");
    if (!Number.isInteger(page) || page < 1) throw bad("page must be a whole number from 1");
    if (!Number.isInteger(size) || size < 1 || size > 100) throw bad("page_size must be 1..100");
    const sign = this.o.listOrder === "newest" ? -1 : 1;
    const all = this.filtered(b.filters).sort((a, c) => sign * (a.createdMs - c.createdMs));
    const results = all.slice((page - 1) * size, page * size).map((r) => toWire(r));
    const link = (p: number) => `/v3/memories/?page=${p}&page_size=${size}`;
    const next = page * size < all.length ? link(page + 1) : null;
    return [200, { count: all.length, next, previous: page > 1 ? link(page - 1) : null, results }];
  }

  private update(id: string, b: Json): Answer {
    const r = this.find(id);
    if (Object.keys(b).length === 0) throw bad("nothing to update");
    if (b.text !== undefined && (typeof b.text !== "string" || b.text.trim() === ""))
      throw bad("text must be a non-empty string");
    if (b.metadata !== undefined && (typeof b.metadata !== "object" || Array.isArray(b.metadata))) {
      throw bad("metadata must be an object");
    }
    const old = r.memory;
    if (typeof b.text === "string") r.memory = b.text;
    if (b.metadata !== undefined) r.metadata = b.metadata as Json | null;
    r.updatedMs = this.s.now();
    this.s.record(r, "UPDATE", old, r.memory);
    const { memory, ...rest } = toWire(r);
    return [200, { ...rest, text: memory }];
  }

  private deleteOne(id: string): Answer {
    const r = this.find(id);
    this.s.records.delete(id);
    this.s.record(r, "DELETE", r.memory, null);
    return [200, { message: "Memory deleted successfully!" }];
  }

  private deleteMany(query: Record<string, string>): Answer {
    const given = ENTITY.filter((k) => query[k] !== undefined);
    if (given.length === 0) throw bad("at least one of user_id, agent_id, app_id or run_id is required");
    const ids = new Set<string>();
    for (const r of this.s.records.values()) {
      if (given.every((k) => query[k] === "*" || r[k as keyof StubRecord] === query[k])) ids.add(r.id);
    }
    this.s.purge(ids);
    return [204, { message: "Memories deleted successfully!" }];
  }

  /** Deletes an entity with everything Mem0 keeps about it: its memories and their history. */
  private deleteEntity(type: string, name: string): Answer {
    const field = `${type}_id` as "user_id" | "agent_id" | "app_id" | "run_id";
    const ids = new Set([...this.s.records.values()].filter((r) => r[field] === name).map((r) => r.id));
    for (const h of this.s.history) if (type === "user" && h.user_id === name) ids.add(h.memory_id);
    if (ids.size === 0) throw notFound();
    this.s.purge(ids);
    return [204, { message: "Entity deleted successfully!" }];
  }

  private history(id: string): Answer {
    const entries = this.s.history.filter((h) => h.memory_id === id);
    if (entries.length === 0 && !this.s.records.has(id)) throw notFound();
    return [
      200,
      entries.map((h) => ({
        id: h.id,
        memory_id: h.memory_id,
        input: h.input,
        old_memory: h.old_memory,
        new_memory: h.new_memory,
        user_id: h.user_id,
        event: h.event,
        metadata: null,
        created_at: mem0Time(h.atMs),
        updated_at: mem0Time(h.atMs),
      })),
    ];
  }

  private event(id: string): Answer {
    const e = this.s.events.get(id);
    if (!e) throw notFound();
    e.polls++;
    const reported = e.status === "SUCCEEDED" && e.polls <= this.o.minPendingPolls ? "PENDING" : e.status;
    return [
      200,
      {
        id: e.id,
        event_type: "ADD",
        status: reported,
        payload: e.payload,
        metadata: e.status === "FAILED" ? { error: "extraction failed (injected)" } : {},
        results: reported === "SUCCEEDED" ? e.results : [],
        created_at: mem0Time(e.createdMs),
        updated_at: mem0Time(e.completedMs ?? e.createdMs),
        started_at: mem0Time(e.createdMs),
        completed_at: e.completedMs === null ? null : mem0Time(e.completedMs),
        latency: e.completedMs === null ? null : e.completedMs - e.createdMs,
      },
    ];
  }
}
