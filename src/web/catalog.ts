import type { Logger } from "../core/logger.js";
import type { Memory } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import { derivedFromIds, type SourceKind, sourceKind } from "./memory-facts.js";

/**
 * What the page needs that a single store call does not give: the user's
 * projects and sessions (with counts and times), categories, activity per
 * day and per project, and which memories were derived from which. Built by
 * paging through `MemoryStore.list` once (so it works the same on every
 * backend), then kept current by the live feed and by the page's own writes;
 * rebuilt in the background every `rescanMs`.
 */

interface Entry {
  created: string;
  app: string | null;
  run: string | null;
  kind: SourceKind;
  cats: string[];
  refs: string[];
}

export interface ProjectSummary {
  app_id: string | null;
  memories: number;
  sessions: number;
  last: string;
}

export interface SessionSummary {
  run_id: string | null;
  memories: number;
  first: string;
  last: string;
}

export interface CatalogOptions {
  /** Stop reading after this many memories (the newest are kept). */
  cap?: number;
  pageSize?: number;
}

interface Aggregates {
  projects: ProjectSummary[];
  sessions: Map<string, SessionSummary[]>;
  categories: string[];
  derivedInto: Map<string, string[]>;
}

const key = (app: string | null) => app ?? "\u0000";

export class Catalog {
  private entries = new Map<string, Entry>();
  private version = 0;
  private cached: { version: number; value: Aggregates } | null = null;
  private scanning: Promise<void> | null = null;
  /** The first full read has finished. */
  ready = false;
  /** The cap was reached: older memories are not in the catalog. */
  truncated = false;
  scannedAt: string | null = null;

  constructor(
    private readonly store: MemoryStore,
    private readonly userId: string,
    private readonly logger: Logger,
    private readonly options: CatalogOptions = {},
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Reads every memory of the user (up to the cap); concurrent calls share one read. */
  rescan(): Promise<void> {
    this.scanning ??= this.scan().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const cap = this.options.cap ?? 250_000;
    const next = new Map<string, Entry>();
    let cursor: string | undefined;
    let truncated = false;
    do {
      const page = await this.store.list({
        filters: { user_id: this.userId },
        limit: this.options.pageSize ?? 1000,
        cursor,
      });
      for (const m of page.memories) next.set(m.id, toEntry(m));
      cursor = page.next_cursor ?? undefined;
      if (next.size >= cap && cursor) {
        truncated = true;
        break;
      }
      // Let requests run between pages.
      await new Promise((r) => setImmediate(r));
    } while (cursor);
    // Memories the live feed added during the scan stay.
    for (const [id, e] of this.entries)
      if (!next.has(id) && e.created >= (this.scannedAt ?? "")) next.set(id, e);
    this.entries = next;
    this.truncated = truncated;
    this.ready = true;
    this.scannedAt = new Date().toISOString();
    this.version++;
    this.logger.debug("web catalog read", { memories: next.size, truncated });
  }

  upsert(m: Memory): void {
    this.entries.set(m.id, toEntry(m));
    this.version++;
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.version++;
  }

  /** Forgets everything matching a project (and session), after a delete-all. */
  removeScope(app: string | null | undefined, run?: string | null): void {
    for (const [id, e] of this.entries) {
      if ((app === undefined || e.app === app) && (run === undefined || e.run === run))
        this.entries.delete(id);
    }
    this.version++;
  }

  clear(): void {
    this.entries.clear();
    this.version++;
  }

  private aggregates(): Aggregates {
    if (this.cached?.version === this.version) return this.cached.value;
    const projects = new Map<string, ProjectSummary & { runs: Map<string, SessionSummary> }>();
    const categories = new Set<string>();
    const derivedInto = new Map<string, string[]>();
    for (const [id, e] of this.entries) {
      let p = projects.get(key(e.app));
      if (!p) {
        p = { app_id: e.app, memories: 0, sessions: 0, last: e.created, runs: new Map() };
        projects.set(key(e.app), p);
      }
      p.memories++;
      if (e.created > p.last) p.last = e.created;
      let s = p.runs.get(key(e.run));
      if (!s) {
        s = { run_id: e.run, memories: 0, first: e.created, last: e.created };
        p.runs.set(key(e.run), s);
      }
      s.memories++;
      if (e.created < s.first) s.first = e.created;
      if (e.created > s.last) s.last = e.created;
      for (const c of e.cats) categories.add(c);
      for (const r of e.refs) {
        const list = derivedInto.get(r);
        if (list) list.push(id);
        else derivedInto.set(r, [id]);
      }
    }
    const byLast = <T extends { last: string }>(a: T, b: T) =>
      a.last < b.last ? 1 : a.last > b.last ? -1 : 0;
    const sessions = new Map<string, SessionSummary[]>();
    const list: ProjectSummary[] = [];
    for (const [k, p] of projects) {
      const runs = [...p.runs.values()].sort(byLast);
      sessions.set(k, runs);
      list.push({ app_id: p.app_id, memories: p.memories, sessions: runs.length, last: p.last });
    }
    const value = { projects: list.sort(byLast), sessions, categories: [...categories].sort(), derivedInto };
    this.cached = { version: this.version, value };
    return value;
  }

  /** Projects, most recently active first. */
  projects(): ProjectSummary[] {
    return this.aggregates().projects;
  }

  /** A project's sessions, most recently active first. */
  sessions(app: string | null): SessionSummary[] {
    return this.aggregates().sessions.get(key(app)) ?? [];
  }

  /** The most recently active sessions of any project. */
  recentSessions(n: number): SessionSummary[] {
    const all = [...this.aggregates().sessions.values()].flat();
    return all.sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0)).slice(0, n);
  }

  categories(): string[] {
    return this.aggregates().categories;
  }

  /** Memories that cite `id` as their evidence. */
  derivedInto(id: string): string[] {
    return this.aggregates().derivedInto.get(id) ?? [];
  }

  /** Memories per UTC day for the `days` days up to `now`, oldest first. */
  activityByDay(days: number, now: Date): { day: string; count: number; episodes: number }[] {
    const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const out = Array.from({ length: days }, (_, i) => ({
      day: new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
      count: 0,
      episodes: 0,
    }));
    const index = new Map(out.map((d, i) => [d.day, i]));
    for (const e of this.entries.values()) {
      const i = index.get(e.created.slice(0, 10));
      if (i === undefined) continue;
      out[i]!.count++;
      if (e.kind === "episode") out[i]!.episodes++;
    }
    return out;
  }
}

function toEntry(m: Memory): Entry {
  return {
    created: m.created_at,
    app: m.app_id,
    run: m.run_id,
    kind: sourceKind(m),
    cats: m.categories,
    refs: sourceKind(m) === "insight" ? derivedFromIds(m.metadata, m.id) : [],
  };
}
