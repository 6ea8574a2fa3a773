import { Readable } from "node:stream";
import type { Context, Hono } from "hono";
import { stream } from "hono/streaming";
import { accessRefusal, assertAccess } from "../../core/access.js";
import { errorMessage, InvalidInputError } from "../../core/errors.js";
import { auditedOperation } from "../../store/audited-store.js";
import { exportChunks } from "../../store/portability/export-format.js";
import { importRecords, readRecords } from "../../store/portability/import-records.js";
import { page } from "../page.js";
import { PrivacyPage } from "../views/privacy-page.js";
import { fromScript, requestIdentity, type WebContext } from "../web-context.js";

/** Largest import accepted from the page (the CLI has no limit). */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

function privacy(
  c: Context,
  w: WebContext,
  message: string | null,
  error: string | null = null,
  status = 200,
) {
  return page(
    c,
    w,
    "Privacy",
    "privacy",
    <PrivacyPage
      userId={w.userId}
      projects={w.catalog.projects()}
      csrf={w.auth.csrf}
      securityEvents={w.security?.overview() ?? null}
      message={message}
      error={error}
      admin={requestIdentity(c)?.admin}
    />,
    status as 200,
  );
}

function str(v: unknown): string {
  return typeof v === "string" ? v.trim() : "";
}

export function privacyRoutes(app: Hono, w: WebContext): void {
  app.get("/privacy", (c) => privacy(c, w, w.flash.take(c.req.query("done"))));

  /**
   * The same document `mcp-mitm-mem0 export` writes, as a download: the
   * page's user, or `?user=` (in team mode only an admin token may name
   * another user; anyone else is refused with 403).
   */
  app.get("/export", (c) => {
    const format = c.req.query("format") === "json" ? "json" : "jsonl";
    const user = c.req.query("user")?.trim() || w.userId;
    assertAccess(requestIdentity(c), user, "export");
    const day = w.now().toISOString().slice(0, 10);
    c.header("content-type", format === "json" ? "application/json" : "application/x-ndjson");
    c.header("content-disposition", `attachment; filename="memories-${day}.${format}"`);
    return stream(c, async (s) => {
      await auditedOperation(w.store, "export", { user_id: user }, async (audited) => {
        for await (const chunk of exportChunks(audited, user, format)) await s.write(chunk);
      });
    });
  });

  /**
   * Import: the file as the request body (the page's script streams it and
   * reads progress lines back), or a multipart form post without script.
   * Progress lines are JSON: {"seen", "created", "skipped"}, then {"done": true, …} or {"error"}.
   */
  app.post("/import", async (c) => {
    // Team mode: everything imported becomes the page user's own (an export names its user in each record).
    const as = w.team ? { user: w.userId } : {};
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > MAX_IMPORT_BYTES)
      return c.json({ error: "The file is too large for the page; use the CLI." }, 413);
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File)) return privacy(c, w, null, "Choose a file to import.", 400);
      try {
        const counts = await auditedOperation(w.store, "import", {}, (audited) =>
          importRecords(
            audited,
            readRecords(Readable.fromWeb(file.stream() as never), file.name),
            file.name,
            as,
          ),
        );
        void w.catalog.rescan();
        return privacy(c, w, `Imported ${counts.created} memories, ${counts.skipped} already present.`);
      } catch (e) {
        return privacy(c, w, null, errorMessage(e), e instanceof InvalidInputError ? 400 : 500);
      }
    }
    const body = c.req.raw.body;
    if (!body) return c.json({ error: "Send the file as the request body." }, 400);
    const name = c.req.header("x-file-name")?.slice(0, 200) || "upload";
    c.header("content-type", "application/x-ndjson");
    return stream(c, async (s) => {
      try {
        const counts = await auditedOperation(w.store, "import", {}, (audited) =>
          importRecords(audited, readRecords(Readable.fromWeb(body as never), name), name, {
            ...as,
            onProgress: (p) => void s.write(`${JSON.stringify(p)}\n`),
          }),
        );
        await s.write(`${JSON.stringify({ done: true, ...counts })}\n`);
      } catch (e) {
        await s.write(`${JSON.stringify({ error: errorMessage(e) })}\n`);
      }
      void w.catalog.rescan();
    });
  });

  app.post("/privacy/forget", async (c) => {
    const form = await c.req.parseBody();
    const user = str(form.user);
    if (user === "" || str(form.confirm) !== user)
      return privacy(c, w, null, "Type the user id twice, exactly, to forget it.", 400);
    const identity = requestIdentity(c);
    const refused = identity ? accessRefusal(identity, user, "forget") : null;
    if (refused !== null) {
      if (fromScript(c)) return c.json({ error: `Refused: ${refused}` }, 403);
      return privacy(c, w, null, `Refused: ${refused}`, 403);
    }
    const n = await w.store.deleteAll({ user_id: user });
    if (user === w.userId) w.catalog.clear();
    const message = `Forgot ${user}: ${n} memories and their history deleted.`;
    if (fromScript(c)) return c.json({ deleted: n });
    return c.redirect(`/privacy?done=${w.flash.put(message)}`, 303);
  });

  app.post("/privacy/delete-scope", async (c) => {
    const form = await c.req.parseBody();
    const project = str(form.project);
    const session = str(form.session);
    if (project === "") return privacy(c, w, null, "Choose a project.", 400);
    if (str(form.confirm) !== "DELETE") return privacy(c, w, null, "Type DELETE to confirm.", 400);
    const n = await w.store.deleteAll({ user_id: w.userId, app_id: project, run_id: session || undefined });
    w.catalog.removeScope(project, session || undefined);
    const what = session ? `session ${session} of ${project}` : project;
    return c.redirect(`/privacy?done=${w.flash.put(`Deleted ${n} memories of ${what}.`)}`, 303);
  });
}
