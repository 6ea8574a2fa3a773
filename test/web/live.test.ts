import Anthropic from "@anthropic-ai/sdk";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedProxy, spawnStart } from "../capture/support/cli-process.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { runCli, tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";
import { browserAvailable, launch } from "./browser.js";

const run = browserAvailable("test/web/live.test.ts");
const TOKEN = "live-test-web-token-0123456789";

describe.skipIf(!run)("start serves the page, and captures appear on it live", () => {
  let stub: AnthropicStub;
  let proxy: StartedProxy;
  let browser: Browser;
  let dataDir: string;
  let webUrl: string;

  beforeAll(async () => {
    stub = await startAnthropicStub();
    dataDir = tempDataDir("mmm-web-live-");
    proxy = await spawnStart(dataDir, {
      UPSTREAM_URL: stub.url,
      UPSTREAM_CA_FILE: stub.caFile,
      LOG_LEVEL: "warn",
      WEB_PORT: "0",
      WEB_TOKEN: TOKEN,
    });
    await until(
      () => /web page on (http:\S+)/.test(proxy.stdout()),
      () => `the page address in:\n${proxy.stdout()}`,
    );
    webUrl = /web page on (http:\S+)/.exec(proxy.stdout())![1]!;
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    proxy?.child.kill("SIGTERM");
    await proxy?.exited;
    await stub?.close();
  });

  it("prints the page's address (never the token from the environment), and status prints it too", async () => {
    expect(proxy.stdout()).not.toContain(TOKEN);
    const status = await runCli(["--data-dir", dataDir, "status"]);
    expect(status.stdout).toContain(`web page:     ${webUrl}`);
    const link = await runCli(["--data-dir", dataDir, "ui", "--print-link"], { env: { WEB_TOKEN: TOKEN } });
    expect(link.stdout.trim()).toBe(`${webUrl}login?token=${TOKEN}`);
  });

  it("shows a capture made through the proxy while the page is open, and the counters move", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${webUrl}login?token=${TOKEN}`);
    await page.waitForSelector("body[data-ready='1']");
    await page.locator('#live-state[data-state="running"]').waitFor();
    expect(await page.locator('[data-counter="exchanges"]').textContent()).toBe("0");

    const client = new Anthropic({ apiKey: stub.apiKey, baseURL: proxy.url, maxRetries: 0 });
    await client.messages.create(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 512,
        system: "You are Claude Code.\nPrimary working directory: /home/dev/live-project\n",
        messages: [{ role: "user", content: "Please remember the narwhal migration plan" }],
      },
      { headers: { "X-Claude-Code-Session-Id": "live-session-1" } },
    );

    // No reload: the card arrives over server-sent events.
    const card = page.locator("#cards li.fresh", { hasText: "narwhal migration plan" });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.locator(".badge").textContent()).toBe("captured episode");
    await page.locator('[data-counter="exchanges"]', { hasText: "1" }).waitFor({ timeout: 30_000 });
    await page.locator('[data-counter="stored"]', { hasText: "1" }).waitFor({ timeout: 30_000 });
    await context.close();
  });
});
