import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { spawnStart } from "../capture/support/cli-process.js";
import { cliPath, repoRoot, runCli, tempDataDir } from "../support/cli.js";

/**
 * A light command must not pay for what it does not use: the modules each
 * command line loads, recorded by loader hooks (test/support/import-trace.mjs),
 * must not include the heavy ones. The executable is bundled into CommonJS
 * chunks (scripts/bundle-cli.mjs), which the trace records as require() reads
 * them: a loaded chunk stands for the modules in it, as
 * dist/cli/chunks/modules.json lists them (`src/…` and `node_modules/…`
 * paths). Start-up time itself is measured by `npm run bench:startup`, never here.
 */
const TRACER = join(repoRoot, "test", "support", "import-trace.mjs");
const CLI_DIR = join(repoRoot, "dist", "cli");

/** Packages and folders a command that only reads memories or prints help never needs. */
const HEAVY = [
  /node_modules\/@modelcontextprotocol\//,
  /node_modules\/undici\//,
  /node_modules\/@peculiar\//,
  /node_modules\/@anthropic-ai\//,
  /node_modules\/zod\//,
  /node_modules\/reflect-metadata\//,
  /node_modules\/eventsource-parser\//,
  /\/(dist|src)\/mcp\//,
  /\/(dist|src)\/insights\//,
  /\/(dist|src)\/capture\/(proxy\/(proxy-server|forward|upstream)|tls\/(ca|x509|leaf-certs)|pipeline\/capture-pipeline)\.[jt]s$/,
];
/** The store: not needed to print the version or the help. */
const STORE = [/node_modules\/better-sqlite3\//, /\/(dist|src)\/store\/sqlite\//];

/** Chunk file (relative to dist/cli/) → the modules bundled into it; empty when dist/cli is not bundled. */
function chunkModules(): Map<string, string[]> {
  try {
    const list = JSON.parse(readFileSync(join(CLI_DIR, "chunks", "modules.json"), "utf8")) as Record<
      string,
      string[]
    >;
    return new Map(Object.entries(list));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw e;
  }
}
const CHUNKS = chunkModules();

/** A loaded URL, or for a chunk of the bundle the absolute paths of the modules in it. */
function expand(url: string): string[] {
  if (!url.startsWith("file:")) return [url];
  const file = relative(CLI_DIR, fileURLToPath(url));
  const inputs = CHUNKS.get(file);
  return inputs ? inputs.map((m) => join(repoRoot, m)) : [url];
}

function loadedModules(args: string[], dataDir: string, input = ""): string[] {
  const trace = join(mkdtempSync(join(tmpdir(), "mmm-trace-")), "modules.txt");
  const r = spawnSync(process.execPath, ["--import", TRACER, cliPath, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dataDir,
      MEMORY_DATA_DIR: dataDir,
      MITM_PORT: "9",
      IMPORT_TRACE_FILE: trace,
    },
    cwd: dataDir,
    input,
    encoding: "utf8",
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return readFileSync(trace, "utf8").split("\n").filter(Boolean).flatMap(expand);
}

const matching = (modules: string[], patterns: RegExp[]) =>
  modules.filter((m) => patterns.some((p) => p.test(m)));

describe("start-up: each command loads only what it uses", () => {
  const dir = tempDataDir();
  let id = "";

  beforeAll(async () => {
    const r = await runCli(["add", "the release train leaves every second Thursday", "--data-dir", dir]);
    expect(r.code).toBe(0);
    id = r.stdout.trim();
  });

  it("--version and --help load neither the store nor any heavy module", () => {
    for (const args of [["--version"], ["--help"], ["search", "--help"]]) {
      const modules = loadedModules(args, dir);
      expect(modules.length, args.join(" ")).toBeGreaterThan(0);
      expect(matching(modules, [...HEAVY, ...STORE]), args.join(" ")).toEqual([]);
    }
    // The top-level help comes from the catalog (src/cli/top-help.ts): not even commander loads.
    for (const args of [["--version"], ["--help"], ["-h"]]) {
      expect(matching(loadedModules(args, dir), [/node_modules\/commander\//]), args.join(" ")).toEqual([]);
    }
    expect(
      matching(loadedModules(["search", "--help"], dir), [/node_modules\/commander\//]).length,
    ).toBeGreaterThan(0);
  });

  it("search, list, show, stats and status load the store but nothing heavy", () => {
    const search = loadedModules(["search", "release train"], dir);
    // The trace sees packages (better-sqlite3 is one), so an empty match below means something.
    expect(matching(search, STORE).length).toBeGreaterThan(0);
    expect(matching(search, HEAVY)).toEqual([]);
    for (const args of [["list"], ["show", id], ["stats"], ["status"], ["history", id]]) {
      expect(matching(loadedModules(args, dir), HEAVY), args.join(" ")).toEqual([]);
    }
  });

  it("search and list load none of Node's child_process or perf_hooks (commander's spawn, the store's busy clock)", () => {
    const unused = [/^node:(child_process|dgram|perf_hooks)$/];
    for (const args of [["search", "release train"], ["list"]]) {
      const modules = loadedModules(args, dir);
      // The trace lists Node's own modules too (the configuration loads os).
      expect(matching(modules, [/^node:os$/]).length, args.join(" ")).toBeGreaterThan(0);
      expect(matching(modules, unused), args.join(" ")).toEqual([]);
    }
    // `setup` runs `claude` and does load it: the pattern matches what the trace writes.
    expect(
      matching(loadedModules(["setup", "--help"], dir), [/^node:child_process$/]).length,
    ).toBeGreaterThan(0);
  });

  it("hook UserPromptSubmit and SessionStart load the store but not commander, zod or anything heavy", () => {
    const input = (event: string) =>
      JSON.stringify({
        session_id: "s-trace",
        cwd: dir,
        hook_event_name: event,
        prompt: "release train",
        source: "startup",
      });
    for (const event of ["UserPromptSubmit", "SessionStart"]) {
      const modules = loadedModules(["hook", event], dir, input(event));
      expect(matching(modules, STORE).length, event).toBeGreaterThan(0);
      expect(
        matching(modules, [...HEAVY, /node_modules\/commander\//, /\/(dist|src)\/cli\/commands\//]),
        event,
      ).toEqual([]);
    }
    // The trace sees commander when it is loaded: the pattern above can fail.
    expect(matching(loadedModules(["list"], dir), [/node_modules\/commander\//]).length).toBeGreaterThan(0);
  });

  it("with the proxy running, hook loads the socket client only: no configuration loader, no store", async () => {
    const proxy = await spawnStart(dir, { UPSTREAM_URL: "http://127.0.0.1:9", LOG_LEVEL: "warn" });
    try {
      const input = JSON.stringify({ session_id: "s-fast", cwd: dir, prompt: "release train" });
      const modules = loadedModules(["hook", "UserPromptSubmit"], dir, input);
      expect(matching(modules, [/\/(dist|src)\/cli\/hook\/hook-client\.[jt]s$/]).length).toBeGreaterThan(0);
      expect(
        matching(modules, [
          ...STORE,
          ...HEAVY,
          /node_modules\/commander\//,
          /\/(dist|src)\/cli\/load-config\.[jt]s$/,
          /\/(dist|src)\/core\//,
          /\/(dist|src)\/cli\/hook\/(hook-main|run-hook|hook-server)\.[jt]s$/,
        ]),
      ).toEqual([]);
    } finally {
      proxy.child.kill("SIGTERM");
      await proxy.exited;
    }
    // Without it the same command line answers in-process, which the trace sees load the store.
    const alone = loadedModules(
      ["hook", "UserPromptSubmit"],
      dir,
      JSON.stringify({ prompt: "release train" }),
    );
    expect(matching(alone, STORE).length).toBeGreaterThan(0);
  });

  it("mcp answers initialize without loading the episode builder or the redaction rules", () => {
    const initialize = `${JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "trace", version: "1" },
      },
    })}\n`;
    const later = [
      /\/(dist|src)\/core\/capture\/redaction[\w-]*\.[jt]s$/,
      /\/(dist|src)\/core\/episodes\/episode-/,
    ];
    const mcp = loadedModules(["mcp"], dir, initialize);
    expect(matching(mcp, [/node_modules\/@modelcontextprotocol\//]).length).toBeGreaterThan(0);
    expect(matching(mcp, later)).toEqual([]);
    // `add` redacts what it stores: the same patterns see the rules load there.
    expect(matching(loadedModules(["add", "a note"], dir), later).length).toBeGreaterThan(0);
  });

  it("the heavy modules are there for the commands that use them", () => {
    // `ca path` creates the CA with the X.509 stack: the pattern list does catch a heavy load.
    expect(matching(loadedModules(["ca", "path"], dir), HEAVY).length).toBeGreaterThan(0);
  });
});
