import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { SecurityEvents } from "../../src/http/security-events.js";
import { serveHttp } from "../../src/mcp/http.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type RunningWebServer, startWebServer } from "../../src/web/web-server.js";
import { openHarness } from "../mcp/harness.js";
import { tempDataDir } from "../support/cli.js";
import { axeViolations, browserAvailable, launch } from "./browser.js";

const TOKEN = "web-sec-token-0123456789abcdef";
const WRONG = "web-sec-WRONG-fedcba98765432";
const MCP_TOKEN = "mcp-sec-token-0123456789abcdef";

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers, redirect: "manual" });
  await res.arrayBuffer();
  return res.status;
}

/** The privacy page lists the counts and most recent event of each kind, from every process on the data dir. */
describe.runIf(browserAvailable("test/web/security-events-page.test.ts"))(
  "security events on the web page",
  () => {
    const dataDir = tempDataDir("mmm-web-sec-");
    let store: SqliteMemoryStore;
    let web: RunningWebServer;

    beforeAll(async () => {
      store = SqliteMemoryStore.open(join(dataDir, "memories.db"));
      const security = new SecurityEvents({ logger: silentLogger, component: "web", dataDir });
      web = await startWebServer({
        store,
        userId: "u",
        token: TOKEN,
        logger: silentLogger,
        port: 0,
        security,
      });
    });
    afterAll(async () => {
      await web?.close();
      await store?.close();
    });

    it("shows none, then the refusals of the page itself and of the MCP HTTP server, without a token", async () => {
      const browser = await launch();
      try {
        const page = await (await browser.newContext()).newPage();
        await page.goto(web.loginUrl("/privacy"));
        expect(new URL(page.url()).pathname).toBe("/privacy");
        await expect(page.locator("#security-events").textContent()).resolves.toContain("None recorded.");

        // Real refusals: a foreign Origin and a wrong login token on the page, a wrong token over MCP HTTP.
        expect(await get(`${web.url}memories`, { origin: "https://evil.example" })).toBe(403);
        expect(await get(`${web.url}login?token=${WRONG}`)).toBe(401);
        expect(await get(`${web.url}login?token=${WRONG}`)).toBe(401); // same peer and reason: held back, counted
        const h = await openHarness();
        const mcpSecurity = new SecurityEvents({ logger: silentLogger, component: "mcp-http", dataDir });
        const http = await serveHttp({
          port: 0,
          auth: { mode: "token", token: MCP_TOKEN },
          logger: silentLogger,
          security: mcpSecurity,
          createServer: () => createMcpServer({ store: h.store, config: h.config, logger: silentLogger }),
        });
        try {
          const res = await fetch(http.url, {
            method: "POST",
            headers: { authorization: `Bearer ${WRONG}`, "content-type": "application/json" },
            body: "{}",
          });
          expect(res.status).toBe(401);
        } finally {
          await http.close();
          await h.close();
        }

        await page.reload();
        const rows = await page.locator("#security-events tbody tr").evaluateAll((trs) =>
          trs.map((tr) => ({
            kind: tr.getAttribute("data-kind"),
            cells: [...tr.children].map((c) => c.textContent ?? ""),
          })),
        );
        const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.cells]));
        expect(Object.keys(byKind).sort()).toEqual(["mcp_http_refused", "web_refused"]);
        expect(byKind.web_refused?.slice(1, 2)).toEqual(["3"]);
        expect(byKind.web_refused?.[3]).toBe("wrong_token");
        expect(byKind.web_refused?.[4]).toBe("127.0.0.1");
        expect(byKind.mcp_http_refused?.slice(1, 2)).toEqual(["1"]);
        expect(byKind.mcp_http_refused?.[5]).toMatch(/presented: \[token sha256:[0-9a-f]{8}\]/);
        expect((await axeViolations(page)).map((v) => v.id)).toEqual([]);
        const html = await page.content();
        expect(html).not.toContain(WRONG);
        expect(html).not.toContain(MCP_TOKEN);
      } finally {
        await browser.close();
      }
    });
  },
);
