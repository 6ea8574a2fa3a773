import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, revokeToken } from "../../src/auth/tokens.js";
import { startWebPage, type WebPage } from "../../src/cli/web-page.js";
import { type Config, validateConfig } from "../../src/core/config.js";
import { silentLogger } from "../../src/core/logger.js";
import type { Memory } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDataDir } from "../support/cli.js";
import { browserAvailable, launch } from "./browser.js";

/**
 * Team mode on the web page, served the way `ui` and `start` serve it
 * (startWebPage with AUTH_MODE=tokens): each person's token decides whose
 * memories the page shows; another user's memories are refused; a revoked
 * token stops at its next request. Raw HTTP for the refusals, Chromium for
 * two people logged in at once.
 */
let dir: string;
let config: Config;
let store: SqliteMemoryStore;
let web: WebPage;
let base: string;
const tokens: Record<"alice" | "bob" | "root" | "carol", { token: string; id: string }> = {} as never;
let aliceMemory: Memory;
let bobMemory: Memory;

const ALICE_TEXT = "Alice prefers basil in the pasta sauce recipe";
const BOB_TEXT = "Bob rotated the staging deploy key for the pasta shop";

beforeAll(async () => {
  dir = tempDataDir("mmm-web-team-");
  config = validateConfig({ MEMORY_DATA_DIR: dir, AUTH_MODE: "tokens" }, dir);
  store = SqliteMemoryStore.open(join(dir, "memories.db"), { logger: silentLogger });
  [aliceMemory, bobMemory] = (
    await store.addMany([
      { user_id: "alice", memory: ALICE_TEXT, app_id: "/srv/pasta" },
      { user_id: "bob", memory: BOB_TEXT, app_id: "/srv/pasta" },
    ])
  ).map((r) => r.memory as Memory) as [Memory, Memory];
  for (const [user, admin] of [
    ["alice", false],
    ["bob", false],
    ["root", true],
    ["carol", false],
  ] as const) {
    const made = createToken(dir, { user, admin });
    tokens[user] = { token: made.token, id: made.record.id };
  }
  web = await startWebPage(config, store, silentLogger, 0);
  base = web.server.url;
});
afterAll(async () => {
  await web?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, token: string | null, headers: Record<string, string> = {}) {
  return fetch(new URL(path, base), {
    redirect: "manual",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

async function csrfOf(token: string): Promise<string> {
  const html = await (await get("/privacy", token)).text();
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF token on /privacy");
  return m[1];
}

function postForm(path: string, token: string, fields: Record<string, string>) {
  return fetch(new URL(path, base), {
    method: "POST",
    redirect: "manual",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

function exportedUsers(jsonl: string): string[] {
  return jsonl
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { user_id: string }).user_id);
}

describe("team mode on the web page (HTTP)", () => {
  it("lets nobody in without a personal token; the single-user web token is not one", async () => {
    const none = await get("/", null, { accept: "application/json" });
    expect(none.status).toBe(401);
    expect(await get("/", "mmm_not-a-real-token")).toHaveProperty("status", 401);
    const login = await get("/login", null, { accept: "text/html" });
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="token"');
    const { resolveToken } = await import("../../src/http/token-file.js");
    const shared = resolveToken(dir, "web-token", undefined).token;
    const r = await get(`/login?token=${encodeURIComponent(shared)}`, null, { accept: "text/html" });
    expect(r.status).toBe(401);
    expect(r.headers.get("set-cookie")).toBeNull();
  });

  it("shows each person only their own memories", async () => {
    const a = await (await get("/?q=pasta", tokens.alice.token)).text();
    expect(a).toContain("Alice prefers basil");
    expect(a).not.toContain("Bob rotated");
    const b = await (await get("/?q=pasta", tokens.bob.token)).text();
    expect(b).toContain("Bob rotated");
    expect(b).not.toContain("Alice prefers basil");
    // Another user's memory by id is as absent as a missing one.
    const other = await get(`/memory/${bobMemory.id}`, tokens.alice.token);
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain("Bob rotated");
    expect((await get(`/memory/${aliceMemory.id}`, tokens.alice.token)).status).toBe(200);
    // Her export holds her memories only.
    const exp = await get("/export", tokens.alice.token);
    expect(exp.status).toBe(200);
    expect(exportedUsers(await exp.text())).toEqual(["alice"]);
  });

  it("refuses another user's export and forget to a person; an admin may do both", async () => {
    const refused = await get("/export?user=bob", tokens.alice.token, { accept: "application/json" });
    expect(refused.status).toBe(403);
    const why = ((await refused.json()) as { error: string }).error;
    expect(why).toContain('this token belongs to user "alice"');
    expect(why).toContain('"bob"');

    const csrf = await csrfOf(tokens.alice.token);
    const forget = await postForm("/privacy/forget", tokens.alice.token, {
      _csrf: csrf,
      user: "bob",
      confirm: "bob",
    });
    expect(forget.status).toBe(403);
    expect(await forget.text()).toContain("Refused:");
    expect(await store.get(bobMemory.id)).not.toBeNull();
    // A person's CSRF token is not another person's.
    const crossed = await postForm("/privacy/forget", tokens.bob.token, {
      _csrf: csrf,
      user: "bob",
      confirm: "bob",
    });
    expect(crossed.status).toBe(403);
    expect(await store.get(bobMemory.id)).not.toBeNull();

    const adminPage = await (await get("/privacy", tokens.root.token)).text();
    expect(adminPage).toContain('id="admin-export"');
    expect(await (await get("/privacy", tokens.alice.token)).text()).not.toContain('id="admin-export"');
    const adminExport = await get("/export?user=bob", tokens.root.token);
    expect(adminExport.status).toBe(200);
    const body = await adminExport.text();
    expect(exportedUsers(body)).toEqual(["bob"]);
    expect(body).toContain("Bob rotated");
  });

  it("imports into the page user's own memories, whatever user the file names", async () => {
    const csrf = await csrfOf(tokens.carol.token);
    const line = JSON.stringify({
      id: "00000000-0000-4000-8000-00000000c0de",
      user_id: "bob",
      memory: "A record naming bob, imported by carol",
      created_at: "2025-06-01T00:00:00.000Z",
      updated_at: "2025-06-01T00:00:00.000Z",
    });
    const r = await fetch(new URL("/import", base), {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokens.carol.token}`,
        "x-csrf-token": csrf,
        "x-file-name": "x.jsonl",
      },
      body: `${line}\n`,
    });
    const progress = await r.text();
    expect(progress).toContain('"done":true');
    const bobs = await store.list({ filters: { user_id: "bob" }, limit: 100 });
    expect(bobs.memories.map((m) => m.memory)).not.toContain("A record naming bob, imported by carol");
    const carols = await store.list({ filters: { user_id: "carol" }, limit: 100 });
    expect(carols.memories.map((m) => m.memory)).toContain("A record naming bob, imported by carol");
  });

  it("stops a revoked token at its next request, cookie sessions included", async () => {
    const made = createToken(dir, { user: "dave" });
    const login = await get(`/login?token=${made.token}`, null);
    expect(login.status).toBe(303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect(cookie).toMatch(/^mmm_team=[0-9a-f]{12}\./);
    expect(cookie).not.toContain(made.token);
    expect((await get("/", null, { cookie })).status).toBe(200);
    expect((await get("/", made.token)).status).toBe(200);
    // A forged cookie naming the token's fingerprint without the server's signature is refused.
    expect((await get("/", null, { cookie: `mmm_team=${made.record.id}.forged` })).status).toBe(401);
    revokeToken(dir, made.record.id);
    expect((await get("/", null, { cookie })).status).toBe(401);
    expect((await get("/", made.token)).status).toBe(401);
  });
});

const withBrowser = browserAvailable("test/web/team-mode.test.ts");

describe.runIf(withBrowser)("team mode on the web page (Chromium)", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("two people logged in at once each see only their own memories; revoking one logs it out", async () => {
    const pages = [];
    for (const who of ["alice", "bob"] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(new URL("/login", base).toString());
      await page.fill("#token", tokens[who].token);
      await Promise.all([page.waitForURL(new URL("/", base).toString()), page.click("button[type=submit]")]);
      pages.push(page);
    }
    const [alicePage, bobPage] = pages as [(typeof pages)[0], (typeof pages)[0]];
    for (const [page, mine, theirs, user] of [
      [alicePage, "Alice prefers basil", "Bob rotated", "alice"],
      [bobPage, "Bob rotated", "Alice prefers basil", "bob"],
    ] as const) {
      await page.goto(new URL("/?q=pasta", base).toString());
      const text = await page.locator("main").textContent();
      expect(text).toContain(mine);
      expect(text).not.toContain(theirs);
      expect(await page.locator("body").textContent()).toContain(user);
    }
    const other = await alicePage.goto(new URL(`/memory/${bobMemory.id}`, base).toString());
    expect(other?.status()).toBe(404);

    revokeToken(dir, tokens.bob.id);
    const after = await bobPage.goto(new URL("/", base).toString());
    expect(after?.status()).toBe(401);
    expect(await bobPage.locator("main").textContent()).not.toContain("Bob rotated");
    const still = await alicePage.goto(new URL("/", base).toString());
    expect(still?.status()).toBe(200);
    await Promise.all(pages.map((p) => p.context().close()));
  });
});
