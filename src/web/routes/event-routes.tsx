import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { LiveEvent } from "../live-feed.js";
import { page, renderHtml } from "../page.js";
import { MemoryCard } from "../views/memory-card.js";
import type { WebContext } from "../web-context.js";

const HEARTBEAT_MS = 15_000;

/** What the page receives for a live event: counters as they are, a new memory with its card rendered here. */
async function payload(e: LiveEvent): Promise<{ event: string; data: string }> {
  if (e.type === "counters")
    return { event: "counters", data: JSON.stringify({ capture: e.capture, store: e.store }) };
  const m = e.memory;
  const html = await renderHtml(<MemoryCard m={m} q="" fresh />);
  return { event: "memory", data: JSON.stringify({ id: m.id, app_id: m.app_id, run_id: m.run_id, html }) };
}

export function eventRoutes(app: Hono, w: WebContext): void {
  /** Server-sent events: `counters` (first, then on change) and `memory` (each new one). */
  app.get("/events", (c) =>
    streamSSE(c, async (s) => {
      const queue: LiveEvent[] = [w.live.current()];
      let wake: (() => void) | null = null;
      const unsubscribe = w.live.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      let open = true;
      s.onAbort(() => {
        open = false;
        unsubscribe();
        wake?.();
      });
      const heartbeat = setInterval(() => {
        queue.push(w.live.current());
        wake?.();
      }, HEARTBEAT_MS);
      try {
        while (open) {
          const next = queue.shift();
          if (next) {
            await s.writeSSE(await payload(next));
            continue;
          }
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = null;
        }
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
      }
    }),
  );

  app.get("/health", (c) => c.json({ service: "mcp-mitm-mem0-web", catalog: w.catalog.ready }));

  app.notFound((c) => page(c, w, "Not found", "search", <p class="error">This page does not exist.</p>, 404));
}
