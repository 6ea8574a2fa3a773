import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import {
  axeViolations,
  browserAvailable,
  describeViolations,
  launch,
  screenshot,
  watchProblems,
} from "./browser.js";
import { PROJECT, type Seeded, seededPage, TOKEN, USER } from "./web-fixtures.js";

const run = browserAvailable("test/web/page.test.ts");

describe.skipIf(!run)("the web page in Chromium", () => {
  let s: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    s = await seededPage();
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    problems = watchProblems(context);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const url = (path = "") => new URL(path, s.web.url).toString();

  it("logs in by link, then by cookie (HttpOnly, not readable by scripts)", async () => {
    const denied = await page.goto(url("/"));
    expect(denied?.status()).toBe(401);
    await page.goto(s.web.loginUrl());
    expect(new URL(page.url()).pathname).toBe("/");
    expect(page.url()).not.toContain(TOKEN);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "mmm_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(await page.evaluate("document.cookie")).toBe("");
    // A second page in the same browser needs no link.
    const other = await context.newPage();
    expect((await other.goto(url("/timeline")))?.status()).toBe(200);
    await other.close();
    // A wrong token is refused and sets nothing.
    const fresh = await browser.newContext();
    const p = await fresh.newPage();
    expect((await p.goto(url(`/login?token=${"x".repeat(40)}`)))?.status()).toBe(401);
    expect(await fresh.cookies()).toEqual([]);
    await fresh.close();
  });

  it("finds a planted memory as you type and highlights the match, not the first characters", async () => {
    await page.goto(url("/"));
    await page.waitForSelector("body[data-ready='1']");
    await page.locator("#q").pressSequentially("bastion zeph", { delay: 15 });
    await page.locator('#results[data-q="bastion zeph"]').waitFor();
    const card = page.locator(`#cards li[data-id="${s.planted.id}"]`);
    await card.waitFor();
    expect(await card.locator("mark").allTextContents()).toEqual(["bastion", "zephyrhost"]);
    // Another user's memory with the same word is not shown.
    expect(await page.locator("#cards li").count()).toBe(1);
    expect(new URL(page.url()).searchParams.get("q")).toBe("bastion zeph");
    // A match deep in a long text shows the text around it.
    const long = await s.store.add({
      user_id: USER,
      memory: `${"Some unrelated words about gardening and tomatoes. ".repeat(20)}The quokka deploy key lives in vault.`,
    });
    await page.locator("#q").fill("quokka");
    await page.locator('#results[data-q="quokka"]').waitFor();
    const longCard = page.locator(`#cards li[data-id="${long.memory!.id}"]`);
    await longCard.waitFor();
    const snippet = await longCard.locator(".snippet").textContent();
    expect(snippet).toContain("quokka deploy key");
    expect(snippet!.startsWith("…")).toBe(true);
  });

  it("filters by project, source and date range, and sorts by time", async () => {
    await page.goto(url(`/?source=insight`));
    expect(await page.locator("#cards li").count()).toBe(1);
    await page.goto(
      url(`/?source=episode&project=${encodeURIComponent(PROJECT)}&from=2025-06-01&to=2025-06-01`),
    );
    expect(await page.locator("#cards li").count()).toBe(2);
    await page.goto(url(`/?q=tests&sort=newest`));
    const times = await page
      .locator("#cards time")
      .evaluateAll((els) => els.map((e) => e.getAttribute("datetime")));
    expect(times.length).toBeGreaterThan(0);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("edits a memory, and its history shows the UPDATE with old and new text", async () => {
    const id = s.planted.id;
    await page.goto(url(`/memory/${id}`));
    await page
      .locator('textarea[name="memory"]')
      .fill("The staging server is reached through the jump host zephyrhost.internal");
    await page.locator('input[name="categories"]').fill("infrastructure, staging");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/saved=1/);
    const update = page.locator('tr[data-event="UPDATE"]');
    await update.waitFor();
    expect(await update.textContent()).toContain("bastion host");
    expect(await update.textContent()).toContain("jump host");
    expect((await s.store.get(id))?.categories).toEqual(["infrastructure", "staging"]);
    // Bad metadata is refused with a message, nothing changed.
    await page.locator('textarea[name="metadata"]').fill("{not json");
    await page.getByRole("button", { name: "Save" }).click();
    expect(await page.locator(".error").textContent()).toContain("JSON object");
    expect((await s.store.get(id))?.metadata).toEqual({ source: "cli" });
  });

  it("links an insight to its evidence and back", async () => {
    await page.goto(url(`/memory/${s.insight.id}`));
    const from = page.locator('section:has(h2:text("Derived from")) a');
    expect(await from.getAttribute("href")).toBe(`/memory/${s.evidence.id}`);
    await from.click();
    await page.waitForURL(new RegExp(s.evidence.id));
    expect(await page.locator('section:has(h2:text("Derived into")) a').getAttribute("href")).toBe(
      `/memory/${s.insight.id}`,
    );
    // The episode is shown by its parts.
    expect(await page.locator(".turn.user").textContent()).toContain("checkout total");
    expect(await page.locator(".trace li").count()).toBe(3);
  });

  it("deletes with undo: gone from search, history kept, and undo brings it back", async () => {
    const id = s.planted.id;
    await page.goto(url(`/memory/${id}`));
    await page.getByRole("button", { name: "Delete" }).click();
    await page.locator("#main h1", { hasText: "Memory deleted" }).waitFor();
    expect(await s.store.get(id)).toBeNull();
    await page.getByRole("button", { name: "Undo" }).click();
    await page.waitForURL(new RegExp(`/memory/${id}$`));
    expect((await s.store.get(id))?.memory).toContain("jump host");
    // Delete again, for good this time.
    await page.getByRole("button", { name: "Delete" }).click();
    await page.locator("#main h1", { hasText: "Memory deleted" }).waitFor();
    await page.goto(url("/?q=zephyrhost"));
    expect(await page.locator(`#cards li[data-id="${id}"]`).count()).toBe(0);
    await page.goto(url(`/memory/${id}`));
    const events = await page
      .locator("tr[data-event]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")));
    expect(events).toEqual(["ADD", "UPDATE", "DELETE", "ADD", "DELETE"]);
  });

  it("shows a project's timeline: sessions newest first, episodes with words, answer, trace, files", async () => {
    await page.goto(url(`/timeline?project=${encodeURIComponent(PROJECT)}`));
    // The insight (no session) is the newest; then sess-b, then sess-a.
    const sessions = await page.locator(".session h2 a").allTextContents();
    expect(sessions).toEqual(["Without a session", "Session sess-b", "Session sess-a"]);
    const first = page.locator(".session").nth(2).locator(".tl-item").first();
    expect(await first.locator(".turn.user").textContent()).toContain("Run the tests again");
    expect(await first.locator(".facts").first().textContent()).toContain("src/cart.ts");
  });

  it("exports what `mcp-mitm-mem0 export` prints", async () => {
    await page.goto(url("/privacy"));
    for (const format of ["jsonl", "json"]) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: `Download ${format.toUpperCase()}`, exact: true }).click(),
      ]);
      const got = readFileSync((await download.path())!, "utf8");
      const cli = await runCli(["--data-dir", s.dataDir, "export", "--format", format]);
      expect(cli.code).toBe(0);
      expect(got).toBe(cli.stdout);
      expect(got).toContain("checkout total");
    }
  });

  it("imports a file with progress, and a second import adds nothing", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({ memory: `Imported note number ${i} about walruses`, user_id: USER }),
    ).join("\n");
    await page.goto(url("/privacy"));
    await page.setInputFiles('input[type="file"]', {
      name: "notes.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(lines),
    });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.locator("#import-status", { hasText: "Imported 1500 memories, 0 already present" }).waitFor();
    expect(await page.locator("#import-progress").getAttribute("value")).toBe("100");
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.locator("#import-status", { hasText: "Imported 0 memories, 1500 already present" }).waitFor();
  });

  it("runs every page clean under axe-core and its own CSP, light and dark, narrow and wide", async () => {
    const pages: [string, string][] = [
      ["search", "/"],
      ["search-results", "/?q=cart+tests"],
      ["memory", `/memory/${s.evidence.id}`],
      ["insight", `/memory/${s.insight.id}`],
      ["timeline", `/timeline?project=${encodeURIComponent(PROJECT)}`],
      ["timeline-empty", "/timeline"],
      ["insights", "/insights"],
      ["privacy", "/privacy"],
    ];
    for (const scheme of ["light", "dark"] as const) {
      for (const [width, label] of [
        [360, "narrow"],
        [1280, "wide"],
      ] as const) {
        const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width, height: 800 } });
        const seen = watchProblems(ctx);
        await ctx.addCookies(await context.cookies());
        const p = await ctx.newPage();
        for (const [name, path] of pages) {
          await p.goto(url(path));
          await p.waitForSelector("body[data-ready='1']");
          const violations = await axeViolations(p);
          expect(violations, `${name} ${scheme} ${label}:\n${describeViolations(violations)}`).toEqual([]);
          // Nothing wider than the screen.
          const overflow = (await p.evaluate("document.documentElement.scrollWidth")) as number;
          expect(overflow, `${name} ${scheme} ${label} scrolls sideways`).toBeLessThanOrEqual(width);
          await screenshot(p, `${name}-${scheme}-${label}`);
        }
        await ctx.close();
        expect(seen).toEqual([]);
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it("forgets a user only after the id is typed again", async () => {
    await page.goto(url("/privacy"));
    const form = page.locator("form", { has: page.getByRole("button", { name: "Forget this user" }) });
    const button = form.getByRole("button", { name: "Forget this user" });
    expect(await button.isDisabled()).toBe(true);
    await form.getByLabel("Type the user id again to confirm").fill("default_use");
    expect(await button.isDisabled()).toBe(true);
    await form.getByLabel("Type the user id again to confirm").fill(USER);
    expect(await button.isDisabled()).toBe(false);
    await button.click();
    await page.locator(".ok", { hasText: `Forgot ${USER}` }).waitFor();
    expect((await s.store.list({ filters: { user_id: USER } })).memories).toEqual([]);
    expect(await s.store.history(s.evidence.id)).toEqual([]);
    // Another user's memories stay.
    expect((await s.store.list({ filters: { user_id: "someone_else" } })).memories).toHaveLength(1);
  });
});
