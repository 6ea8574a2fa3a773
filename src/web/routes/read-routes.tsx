import type { Hono } from "hono";
import type { Memory } from "../../core/types.js";
import { derivedFromIds } from "../memory-facts.js";
import { page, renderHtml } from "../page.js";
import { parseSearch, runSearch } from "../search-query.js";
import { MemoryPage } from "../views/memory-page.js";
import { Results, SearchView } from "../views/search-page.js";
import { type SessionBlock, TimelinePage } from "../views/timeline-page.js";
import type { WebContext } from "../web-context.js";

const SESSIONS_PER_PAGE = 10;
const EPISODES_PER_SESSION = 8;
const EPISODES_SINGLE = 25;

async function lookup(w: WebContext, ids: string[]): Promise<{ id: string; memory: Memory | null }[]> {
  return Promise.all(ids.slice(0, 50).map(async (id) => ({ id, memory: await w.store.get(id, w.userId) })));
}

export function readRoutes(app: Hono, w: WebContext): void {
  app.get("/", async (c) => {
    const r = parseSearch(c.req.query());
    const result = await runSearch(w.store, w.userId, r);
    const facets = {
      projects: w.catalog.projects(),
      sessions: r.project !== null ? w.catalog.sessions(r.project) : w.catalog.recentSessions(100),
      categories: w.catalog.categories(),
    };
    const title = r.q.trim() ? `“${r.q.trim().slice(0, 60)}”` : "Search";
    return page(
      c,
      w,
      title,
      "search",
      <SearchView r={r} page={result} facets={facets} indexing={!w.catalog.ready} />,
    );
  });

  /** The result list alone: what search-as-you-type and "More results" fetch. */
  app.get("/fragment/results", async (c) => {
    const r = parseSearch(c.req.query());
    const result = await runSearch(w.store, w.userId, r);
    const append = c.req.query("append") === "1";
    c.header("x-next-cursor", result.next_cursor ?? "");
    return c.html(await renderHtml(<Results r={r} page={result} append={append} />));
  });

  app.get("/memory/:id", async (c) => {
    const id = c.req.param("id");
    const [memory, history] = await Promise.all([w.store.get(id, w.userId), w.store.history(id)]);
    // History of another user's memory is not shown either.
    const own = history.filter((e) => e.user_id === w.userId);
    if (!memory && own.length === 0) {
      return page(c, w, "Not found", "memory", <p class="error">{`No memory ${id}.`}</p>, 404);
    }
    const derivedFrom = memory ? await lookup(w, derivedFromIds(memory.metadata, memory.id)) : [];
    const derivedInto = await lookup(w, w.catalog.derivedInto(id));
    return page(
      c,
      w,
      "Memory",
      "memory",
      <MemoryPage
        id={id}
        memory={memory}
        history={own}
        derivedFrom={derivedFrom}
        derivedInto={derivedInto.filter((l) => l.memory !== null)}
        csrf={w.auth.csrf}
        saved={c.req.query("saved") === "1"}
      />,
    );
  });

  app.get("/timeline", async (c) => {
    const q = c.req.query();
    // Memories without a project are found by search; the store cannot filter on "no project".
    const projects = w.catalog.projects().filter((p) => p.app_id !== null);
    const appId = q.project ? q.project : null;
    const blocks: SessionBlock[] = [];
    let nextOffset: number | null = null;
    const single = q.session !== undefined && q.session !== "";
    if (appId !== null) {
      const all = w.catalog.sessions(appId);
      const offset = Math.max(0, Number.parseInt(q.offset ?? "0", 10) || 0);
      const chosen = single
        ? all.filter((s) => s.run_id === q.session)
        : all.slice(offset, offset + SESSIONS_PER_PAGE);
      if (single && chosen.length === 0)
        chosen.push({ run_id: q.session!, memories: 0, first: "", last: "" });
      nextOffset = offset + SESSIONS_PER_PAGE < all.length ? offset + SESSIONS_PER_PAGE : null;
      for (const session of chosen) {
        const listed = await w.store.list({
          filters: { user_id: w.userId, app_id: appId, run_id: session.run_id ?? undefined },
          limit: single ? EPISODES_SINGLE : EPISODES_PER_SESSION,
          cursor: single ? q.cursor : undefined,
        });
        // Without a project or session id the store cannot filter on "none": keep only those.
        const episodes = listed.memories.filter((m) => m.app_id === appId && m.run_id === session.run_id);
        blocks.push({ session, episodes, more: listed.next_cursor });
      }
    }
    return page(
      c,
      w,
      "Timeline",
      "timeline",
      <TimelinePage
        projects={projects}
        project={appId}
        blocks={blocks}
        nextOffset={nextOffset}
        single={single}
        indexing={!w.catalog.ready}
      />,
    );
  });
}
