/**
 * `npm run bench:proxy [-- --json PATH] [--quick]`
 *
 * The capture proxy against a direct connection and against mitmdump (with an
 * equivalent capture addon), all measured in the same run on this machine,
 * in both modes (reverse: ANTHROPIC_BASE_URL; forward: HTTPS_PROXY + CONNECT).
 * A local HTTPS upstream serves Messages-API-shaped JSON and SSE whose events
 * carry their send time. Reported: added time to first byte (warm and cold),
 * added per-event delay p50/p99, throughput at 1 and 16 connections (wrk for
 * direct and reverse; an undici load generator for forward, which wrk cannot
 * do), and the proxy's peak RSS after at least 10,000 requests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { percentile } from "./lib/percentile.js";
import { fmt, formatTable } from "./lib/table.js";
import {
  directRoute,
  forwardRoute,
  hasWrk,
  loadgen,
  type Route,
  requestCount,
  reverseRoute,
  streamDelays,
  ttfb,
  wrk,
} from "./proxy/clients.js";
import {
  type Child,
  mitmdumpVersion,
  rssMb,
  spawnNode,
  startMitmdump,
  writeUpstreamIdentity,
} from "./proxy/peers.js";

const TARGETS = { eventP50Ms: 1, warmTtfbP50Ms: 2, vsMitm: 3, vsDirect: 0.3, rssMb: 150, requests: 10_000 };

const { values } = parseArgs({ options: { json: { type: "string" }, quick: { type: "boolean" } } });
const quick = values.quick === true;
const N = {
  warm: quick ? 100 : 300,
  cold: quick ? 40 : 100,
  streams: quick ? 4 : 10,
  events: 100,
  intervalMs: 5,
  seconds: quick ? 3 : 5,
};
const here = dirname(fileURLToPath(import.meta.url));
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const p = (xs: number[], q: number) => round(percentile(xs, q));

interface RouteResult {
  ttfb_warm_p50_ms: number;
  ttfb_warm_p99_ms: number;
  ttfb_cold_p50_ms: number;
  sse_ttfb_p50_ms: number;
  event_delay_p50_ms: number;
  event_delay_p99_ms: number;
  rps_c1: number;
  rps_c16: number;
  errors: number;
  tool_c: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mmm-bench-proxy-"));
  const children: Child[] = [];
  try {
    const id = await writeUpstreamIdentity(dir);
    const upstreamCa = readFileSync(id.caFile, "utf8");
    const upstream = await spawnNode(join(here, "proxy", "upstream-server.js"), [id.certFile, id.keyFile]);
    children.push(upstream);
    const upstreamUrl = `https://127.0.0.1:${upstream.port}`;
    // Forward-mode clients CONNECT to "localhost:PORT", the intercepted host, which both proxies send to the upstream.
    const upstreamByName = `https://localhost:${upstream.port}`;

    const dataDir = join(dir, "data");
    const ours = await spawnNode(join(here, "proxy", "proxy-child.js"), [
      dataDir,
      upstreamUrl,
      id.caFile,
      "localhost",
    ]);
    children.push(ours);
    const oursUrl = `http://127.0.0.1:${ours.port}`;
    const oursCa = readFileSync(String(ours.info.caPath), "utf8");

    const routes: Record<string, Route> = {
      direct: directRoute(upstreamUrl, upstreamCa),
      "ours reverse": reverseRoute("ours reverse", oursUrl),
      "ours forward": forwardRoute("ours forward", oursUrl, upstreamByName, oursCa),
    };
    const mitmVersion = mitmdumpVersion();
    let mitmRev: (Child & { caFile: string }) | null = null;
    let mitmFwd: (Child & { caFile: string }) | null = null;
    if (mitmVersion) {
      mitmRev = await startMitmdump(dir, "reverse", upstreamUrl, id.caFile);
      mitmFwd = await startMitmdump(dir, "regular", upstreamUrl, id.caFile);
      children.push(mitmRev, mitmFwd);
      routes["mitmdump reverse"] = reverseRoute("mitmdump reverse", `http://127.0.0.1:${mitmRev.port}`);
      routes["mitmdump forward"] = forwardRoute(
        "mitmdump forward",
        `http://127.0.0.1:${mitmFwd.port}`,
        upstreamByName,
        readFileSync(mitmFwd.caFile, "utf8"),
      );
    } else {
      process.stderr.write(
        "mitmdump is not installed (apt-get install mitmproxy): the peer columns are skipped\n",
      );
    }
    const useWrk = await hasWrk();
    if (!useWrk)
      process.stderr.write("wrk is not installed (apt-get install wrk): using the undici load generator\n");

    const results: Record<string, RouteResult> = {};
    for (const [name, route] of Object.entries(routes)) {
      process.stderr.write(`measuring ${name}...\n`);
      await ttfb(route, 50, false); // warm-up (also issues the leaf certificate)
      const warm = await ttfb(route, N.warm, false);
      const cold = await ttfb(route, N.cold, true);
      const sse = await streamDelays(route, N.streams, N.events, N.intervalMs);
      const forward = name.endsWith("forward");
      const tput = async (c: number) =>
        useWrk && !forward
          ? await wrk(dir, route.url, c, N.seconds)
          : await loadgen(route, c, N.seconds * 1000);
      const c1 = await tput(1);
      const c16 = await tput(16);
      results[name] = {
        ttfb_warm_p50_ms: p(warm, 50),
        ttfb_warm_p99_ms: p(warm, 99),
        ttfb_cold_p50_ms: p(cold, 50),
        sse_ttfb_p50_ms: p(sse.ttfb, 50),
        event_delay_p50_ms: p(sse.delays, 50),
        event_delay_p99_ms: p(sse.delays, 99),
        rps_c1: Math.round(c1?.rps ?? 0),
        rps_c16: Math.round(c16?.rps ?? 0),
        errors: (c1?.errors ?? 0) + (c16?.errors ?? 0),
        tool_c: useWrk && !forward ? "wrk" : "undici",
      };
    }

    // Peak RSS after the whole run (every phase above), then on a fresh proxy process after exactly
    // 10,000 requests: JSON and short SSE streams, reverse and forward, 16 connections, every one
    // a distinct turn that goes through capture, the outbox and the store.
    const allRunRss = rssMb(ours.proc.pid ?? 0);
    const mitmRss = mitmRev ? rssMb(mitmRev.proc.pid ?? 0) : null;
    process.stderr.write("measuring RSS on a fresh proxy after 10,000 requests...\n");
    const fresh = await spawnNode(join(here, "proxy", "proxy-child.js"), [
      join(dir, "data-rss"),
      upstreamUrl,
      id.caFile,
      "localhost",
    ]);
    children.push(fresh);
    const freshUrl = `http://127.0.0.1:${fresh.port}`;
    const freshCa = readFileSync(String(fresh.info.caPath), "utf8");
    const q = TARGETS.requests / 4;
    let requestsHandled = 0;
    requestsHandled += await requestCount(reverseRoute("r", freshUrl), 16, q, false);
    requestsHandled += await requestCount(reverseRoute("r", freshUrl), 16, q, true);
    requestsHandled += await requestCount(forwardRoute("f", freshUrl, upstreamByName, freshCa), 16, q, false);
    requestsHandled += await requestCount(forwardRoute("f", freshUrl, upstreamByName, freshCa), 16, q, true);
    const oursRss = rssMb(fresh.proc.pid ?? 0);

    // Direct numbers for the forward rows: the same direct route (undici) measured with the load generator.
    const directUndici = useWrk
      ? {
          c1: Math.round((await loadgen(routes.direct as Route, 1, N.seconds * 1000)).rps),
          c16: Math.round((await loadgen(routes.direct as Route, 16, N.seconds * 1000)).rps),
        }
      : { c1: results.direct?.rps_c1 ?? 0, c16: results.direct?.rps_c16 ?? 0 };

    report(results, directUndici, oursRss, allRunRss, mitmRss, requestsHandled, mitmVersion, useWrk);
    if (values.json) {
      writeFileSync(
        values.json,
        `${JSON.stringify(
          {
            machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
            mitmdump: mitmVersion,
            load_tool: { reverse_and_direct: useWrk ? "wrk" : "undici", forward: "undici" },
            settings: N,
            routes: results,
            direct_undici_rps: directUndici,
            rss_mb: {
              ours_fresh_after_10k: oursRss,
              ours_after_whole_run: allRunRss,
              mitmdump_reverse_after_whole_run: mitmRss,
            },
            requests_in_rss_phase: requestsHandled,
            targets: TARGETS,
          },
          null,
          2,
        )}\n`,
      );
    }
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  r: Record<string, RouteResult>,
  directUndici: { c1: number; c16: number },
  oursRss: { peak: number } | null,
  allRunRss: { peak: number } | null,
  mitmRss: { peak: number } | null,
  handled: number,
  mitmVersion: string | null,
  useWrk: boolean,
): void {
  const d = r.direct as RouteResult;
  const names = Object.keys(r);
  const row = (label: string, f: (x: RouteResult, name: string) => string) => [
    label,
    ...names.map((n) => f(r[n] as RouteResult, n)),
  ];
  const added = (k: keyof RouteResult) => (x: RouteResult, n: string) =>
    n === "direct" ? "-" : fmt((x[k] as number) - (d[k] as number), 3);
  const directFor = (n: string, c: 1 | 16) =>
    n.endsWith("forward") ? (c === 1 ? directUndici.c1 : directUndici.c16) : c === 1 ? d.rps_c1 : d.rps_c16;
  const lines = [
    row("TTFB warm p50 (ms)", (x) => fmt(x.ttfb_warm_p50_ms, 3)),
    row("  added", added("ttfb_warm_p50_ms")),
    row("TTFB warm p99 (ms)", (x) => fmt(x.ttfb_warm_p99_ms, 3)),
    row("TTFB cold p50 (ms)", (x) => fmt(x.ttfb_cold_p50_ms, 3)),
    row("  added", added("ttfb_cold_p50_ms")),
    row("SSE TTFB p50 (ms)", (x) => fmt(x.sse_ttfb_p50_ms, 3)),
    row("per-event delay p50 (ms)", (x) => fmt(x.event_delay_p50_ms, 3)),
    row("  added", added("event_delay_p50_ms")),
    row("per-event delay p99 (ms)", (x) => fmt(x.event_delay_p99_ms, 3)),
    row("  added", added("event_delay_p99_ms")),
    row("req/s, 1 conn", (x) => fmt(x.rps_c1)),
    row("req/s, 16 conns", (x) => fmt(x.rps_c16)),
    row("  vs direct (same tool)", (x, n) =>
      n === "direct" ? "-" : `${fmt((100 * x.rps_c16) / directFor(n, 16), 1)}%`,
    ),
    row("load tool", (x) => x.tool_c),
    row("errors", (x) => fmt(x.errors)),
  ];
  process.stdout.write(`\n${formatTable(["", ...names], lines)}\n`);
  process.stdout.write(
    `\ndirect with the undici load generator (baseline for forward rows): ${fmt(directUndici.c1)} req/s at 1 conn, ${fmt(directUndici.c16)} at 16\n` +
      `peak RSS of a fresh proxy after ${fmt(handled)} requests: ${oursRss ? fmt(oursRss.peak, 1) : "?"} MB; ` +
      `after the whole run: ours ${allRunRss ? fmt(allRunRss.peak, 1) : "?"} MB` +
      `${mitmRss ? `, mitmdump (reverse) ${fmt(mitmRss.peak, 1)} MB` : ""}\n` +
      `peer: ${mitmVersion ?? "none"}; load: ${useWrk ? "wrk (direct, reverse)" : "undici"} + undici (forward)\n`,
  );

  const checks: [string, number, string, boolean][] = [];
  for (const mode of ["reverse", "forward"]) {
    const o = r[`ours ${mode}`] as RouteResult;
    const m = r[`mitmdump ${mode}`];
    const ev = o.event_delay_p50_ms - d.event_delay_p50_ms;
    const tt = o.ttfb_warm_p50_ms - d.ttfb_warm_p50_ms;
    const dir16 = directFor(`ours ${mode}`, 16);
    checks.push([
      `${mode}: added per-event delay p50 (ms)`,
      ev,
      `< ${TARGETS.eventP50Ms}`,
      ev < TARGETS.eventP50Ms,
    ]);
    checks.push([
      `${mode}: added warm TTFB p50 (ms)`,
      tt,
      `< ${TARGETS.warmTtfbP50Ms}`,
      tt < TARGETS.warmTtfbP50Ms,
    ]);
    if (m) {
      const x = o.rps_c16 / Math.max(1, m.rps_c16);
      checks.push([`${mode}: req/s at 16 vs mitmdump (x)`, x, `>= ${TARGETS.vsMitm}`, x >= TARGETS.vsMitm]);
    }
    const f = o.rps_c16 / Math.max(1, dir16);
    checks.push([`${mode}: req/s at 16 vs direct`, f, `>= ${TARGETS.vsDirect}`, f >= TARGETS.vsDirect]);
  }
  if (oursRss)
    checks.push([
      `peak RSS, fresh proxy, ${handled} requests (MB)`,
      oursRss.peak,
      `< ${TARGETS.rssMb}`,
      oursRss.peak < TARGETS.rssMb,
    ]);
  process.stdout.write(
    `\n${formatTable(
      ["target", "measured", "goal", "met"],
      checks.map(([name, v, goal, ok]) => [name, fmt(v, 3), goal, ok ? "yes" : "NO"]),
    )}\n`,
  );
}

await main();
