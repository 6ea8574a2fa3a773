import type { Context, Hono } from "hono";
import { InvalidInputError, NotFoundError } from "../../core/errors.js";
import type { Metadata, UpdatePatch } from "../../core/types.js";
import { page } from "../page.js";
import { MemoryPage } from "../views/memory-page.js";
import { fromScript, type WebContext } from "../web-context.js";

function field(form: Record<string, unknown>, name: string): string | undefined {
  const v = form[name];
  return typeof v === "string" ? v : undefined;
}

function parseMetadata(text: string | undefined): Metadata | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError('Metadata must be a JSON object, for example {"topic": "build"}.');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new InvalidInputError('Metadata must be a JSON object, for example {"topic": "build"}.');
  return value as Metadata;
}

function parseCategories(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return [
    ...new Set(
      text
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c.length > 0),
    ),
  ];
}

async function ownMemory(w: WebContext, id: string) {
  const m = await w.store.get(id, w.userId);
  if (!m) throw new NotFoundError("memory", id);
  return m;
}

async function rerenderWithError(c: Context, w: WebContext, id: string, message: string) {
  const [memory, history] = await Promise.all([w.store.get(id, w.userId), w.store.history(id)]);
  return page(
    c,
    w,
    "Memory",
    "memory",
    <MemoryPage
      id={id}
      memory={memory}
      history={history.filter((e) => e.user_id === w.userId)}
      derivedFrom={[]}
      derivedInto={[]}
      csrf={w.auth.csrf}
      error={message}
    />,
    400,
  );
}

export function writeRoutes(app: Hono, w: WebContext): void {
  /** Edit: text, categories, metadata. */
  app.post("/memory/:id", async (c) => {
    const id = c.req.param("id");
    const form = await c.req.parseBody();
    await ownMemory(w, id);
    let patch: UpdatePatch;
    try {
      patch = {
        memory: field(form, "memory")?.replace(/\r\n/g, "\n"),
        categories: parseCategories(field(form, "categories")),
        metadata: parseMetadata(field(form, "metadata")),
      };
      if (patch.memory !== undefined && patch.memory.trim() === "")
        throw new InvalidInputError("The text must not be empty.");
      const updated = await w.store.update(id, patch);
      w.catalog.upsert(updated);
    } catch (e) {
      if (e instanceof InvalidInputError) return rerenderWithError(c, w, id, e.message);
      throw e;
    }
    if (fromScript(c)) return c.json({ ok: true });
    return c.redirect(`/memory/${encodeURIComponent(id)}?saved=1`, 303);
  });

  /** Delete, keeping the memory for undo. */
  app.post("/memory/:id/delete", async (c) => {
    const id = c.req.param("id");
    const memory = await ownMemory(w, id);
    await w.store.delete(id);
    w.catalog.remove(id);
    const undo = w.undo.hold(memory);
    if (fromScript(c)) return c.json({ deleted: id, undo });
    return c.redirect(`/?deleted=${encodeURIComponent(undo)}`, 303);
  });

  /** Undo a delete: the memory comes back with its text, scope, metadata, categories and times. */
  app.post("/undo/:key", async (c) => {
    const m = w.undo.take(c.req.param("key"));
    if (!m) {
      if (fromScript(c)) return c.json({ error: "Too late to undo: the memory stays deleted." }, 410);
      return c.redirect("/", 303);
    }
    const result = await w.store.add({
      id: m.id,
      memory: m.memory,
      user_id: m.user_id,
      agent_id: m.agent_id ?? undefined,
      app_id: m.app_id ?? undefined,
      run_id: m.run_id ?? undefined,
      metadata: m.metadata,
      categories: m.categories,
      created_at: m.created_at,
      updated_at: m.updated_at,
    });
    if (result.memory) w.catalog.upsert(result.memory);
    const id = result.memory?.id ?? m.id;
    if (fromScript(c)) return c.json({ restored: id });
    return c.redirect(`/memory/${encodeURIComponent(id)}`, 303);
  });
}
