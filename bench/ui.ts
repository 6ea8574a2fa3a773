/**
 * `npm run bench:ui [-- --size 100000] [--queries 200] [--json PATH]`
 *
 * The web page at N memories (SQLite store, in-process server on loopback):
 * first render of the search page and of a project timeline, the
 * search-as-you-type round trip (every prefix of each query from 3
 * characters, as a person types) next to `store.search` alone on the same
 * query strings in the same run (the floor), the catalog build, and the bytes
 * a page load transfers. With Debian's Chromium present: time until the page
 * is interactive (its script has run), measured in the browser.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { silentLogger } from "../src/core/logger.js";
import type { AddInput } from "../src/core/types.js";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { deriveAuth } from "../src/web/web-auth.js";
import { startWebServer } from "../src/web/web-server.js";
import { elapsedMs, percentile, round3 } from "./lib/percentile.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_250_601;
const USER = "bench_user";
const TOKEN = "bench-ui-token-0123456789abcdef";
const CHROMIUM = "/usr/bin/chromium";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "100000" },
    queries: { type: "string", default: "200" },
    json: { type: "string" },
  },
});
const size = Number(values.size);
const queryCount = Number(values.queries);

const stats = (ms: number[]) => ({
  p50_ms: round3(percentile(ms, 50)),
  p99_ms: round3(percentile(ms, 99)),
  n: ms.length,
});

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "bench-ui-"));
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  const rng = new SeededRng(SEED);
  const memories = syntheticMemories(rng, size);
  const start = Date.parse("2025-01-01T00:00:00Z");
  const inputs: AddInput[] = memories.map((m, i) => ({
    ...m,
    user_id: USER,
    created_at: new Date(start + i * 60_000).toISOString(),
  }));
  process.stderr.write(`seeding ${fmt(size)} memories…\n`);
  await store.addMany(inputs);

  const web = await startWebServer({
    store,
    userId: USER,
    token: TOKEN,
    logger: silentLogger,
    port: 0,
    pollMs: 60_000,
  });
  const t0 = process.hrtime.bigint();
  await web.context.catalog.rescan();
  const catalogMs = elapsedMs(t0);
  const cookie = `mmm_session=${deriveAuth(TOKEN).session}`;
  const get = async (path: string) => {
    const s = process.hrtime.bigint();
    const res = await fetch(new URL(path, web.url), { headers: { cookie } });
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return { ms: elapsedMs(s), bytes: body.byteLength };
  };
  const project = web.context.catalog.projects()[0]!.app_id!;
  const timed = async (path: string, n: number) => {
    const first = await get(path);
    const warm: number[] = [];
    for (let i = 0; i < n; i++) warm.push((await get(path)).ms);
    return { first_ms: round3(first.ms), ...stats(warm), html_bytes: first.bytes };
  };
  const searchPage = await timed("/", 30);
  const timeline = await timed(`/timeline?project=${encodeURIComponent(project)}`, 30);

  // Search as you type: every prefix from 3 characters, through the page's fragment endpoint and the store alone.
  const typed: string[] = [];
  for (const q of syntheticQueries(new SeededRng(SEED + 1), queryCount, memories)) {
    for (let i = 3; i <= q.length; i++) typed.push(q.slice(0, i));
  }
  const page: number[] = [];
  const floor: number[] = [];
  for (const [i, q] of typed.entries()) {
    const viaPage = async () => page.push((await get(`/fragment/results?q=${encodeURIComponent(q)}`)).ms);
    const viaStore = async () => {
      const s = process.hrtime.bigint();
      await store.search(q, { filters: { user_id: USER }, limit: 26 });
      floor.push(elapsedMs(s));
    };
    if (i % 2 === 0) {
      await viaPage();
      await viaStore();
    } else {
      await viaStore();
      await viaPage();
    }
  }
  const round = { page: stats(page), store: stats(floor) };

  // Bytes: the HTML as sent (not compressed) plus the gzipped stylesheet and scripts.
  const pageBytes = searchPage.html_bytes + web.context.assets.pageBytesGzip;

  let interactive: { p50_ms: number; p99_ms: number; n: number } | null = null;
  if (existsSync(CHROMIUM)) {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const context = await browser.newContext();
    await context.addCookies([{ name: "mmm_session", value: deriveAuth(TOKEN).session, url: web.url }]);
    const p = await context.newPage();
    const samples: number[] = [];
    for (let i = 0; i < 12; i++) {
      await p.goto(web.url);
      await p.waitForSelector("body[data-ready='1']");
      // From navigation start until the script has wired the page up (ready flag set).
      samples.push(
        (await p.evaluate(
          "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd",
        )) as number,
      );
    }
    interactive = stats(samples.slice(2));
    await browser.close();
  } else {
    process.stderr.write(`no Chromium at ${CHROMIUM}: page-interactive time not measured\n`);
  }

  await web.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  const rows = [
    ["catalog build (projects, sessions, charts)", fmt(catalogMs, 0), "", ""],
    [
      "search page: first render / warm",
      `${fmt(searchPage.first_ms, 2)}`,
      fmt(searchPage.p50_ms, 2),
      fmt(searchPage.p99_ms, 2),
    ],
    [
      "project timeline: first render / warm",
      `${fmt(timeline.first_ms, 2)}`,
      fmt(timeline.p50_ms, 2),
      fmt(timeline.p99_ms, 2),
    ],
    [
      `search as you type via the page (${typed.length} prefixes)`,
      "",
      fmt(round.page.p50_ms, 2),
      fmt(round.page.p99_ms, 2),
    ],
    ["store.search alone, same strings (floor)", "", fmt(round.store.p50_ms, 2), fmt(round.store.p99_ms, 2)],
    ...(interactive
      ? [
          [
            "page interactive in Chromium (DOMContentLoaded)",
            "",
            fmt(interactive.p50_ms, 1),
            fmt(interactive.p99_ms, 1),
          ],
        ]
      : []),
  ];
  process.stdout.write(`\nweb page at ${fmt(size)} memories (SQLite)\n\n`);
  process.stdout.write(`${formatTable(["what", "first ms", "p50 ms", "p99 ms"], rows)}\n\n`);
  process.stdout.write(
    `page vs store alone: p50 ${fmt(round.page.p50_ms / round.store.p50_ms, 2)}× (target: page p50 < 50 ms server side, interactive < 500 ms)\n` +
      `transferred for the search page: ${fmt(pageBytes)} bytes (HTML ${fmt(searchPage.html_bytes)}, CSS+JS gzipped ${fmt(web.context.assets.pageBytesGzip)})\n`,
  );
  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          size,
          catalog_ms: round3(catalogMs),
          search_page: searchPage,
          timeline,
          typing: round,
          page_bytes: pageBytes,
          assets_gzip_bytes: web.context.assets.pageBytesGzip,
          interactive,
        },
        null,
        2,
      ),
    );
  }
}

await main();
