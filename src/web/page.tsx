import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Layout, type Section } from "./views/layout.js";
import type { WebContext } from "./web-context.js";

/** Renders JSX to a string (hono's JSX escapes every text and attribute). */
export async function renderHtml(node: Child): Promise<string> {
  return String(await (node as { toString(): string | Promise<string> }).toString());
}

/** A full page in the layout. */
export async function page(
  c: Context,
  w: WebContext,
  title: string,
  section: Section,
  body: Child,
  status: ContentfulStatusCode = 200,
) {
  const html = await renderHtml(
    <Layout
      title={title}
      section={section}
      csrf={w.auth.csrf}
      userId={w.userId}
      backend={w.store.backend}
      assets={w.assets.urls}
    >
      {body}
    </Layout>,
  );
  return c.html(`<!doctype html>${html}`, status);
}
