// `npm run build`, after tsc: bundles the executable (src/cli/main.ts), the capture thread
// (src/cli/capture-worker.ts) and the hook thread (src/cli/hook/hook-worker.ts) with rolldown
// into CommonJS: dist/cli/main.js, dist/cli/capture-worker.js, dist/cli/hook/hook-worker.js and
// the chunks they share in dist/cli/chunks/*.cjs. dist/cli/ is replaced as a whole (tsc's output
// there is never run) and gets a package.json of its own, `{"type": "commonjs"}`, so that the
// names everything else uses (the bin, start's worker URLs) are
// CommonJS files although the package is "type": "module". No ES module is loaded at all:
// Node's ES module loader costs ~6 ms CPU to set up for an ESM entry, and resolves, reads
// (asynchronously) and links every file on its own (8-20 ms per command with ESM chunks);
// require() loads about ten chunks for `list` (instead of ~60 modules, ~220 for `mcp`),
// synchronously. Code splitting: every dynamic import() stays a chunk loaded only when that code
// path runs (`Promise.resolve().then(() => require(...))`), so `--version` loads no store and
// `list` no MCP SDK. `import.meta.url` becomes the chunk's own file URL, so the URLs relative to
// it (main.ts's `../../package.json`, start.ts's `../capture-worker.js`) resolve as from
// src/cli/ and src/cli/commands/. The rest of dist/ stays tsc's output.
//
// The groups below put what the common commands always load together into a few chunks (left to
// itself, splitting makes one chunk per distinct set of importers: ~30 for `list`). A group must
// never pull a heavier part into a lighter path: `search --help` loads "cli" but not "sqlite",
// `--help` and the hook load no commander, and the hook answered by the proxy loads none of them
// (test/cli/startup-imports.test.ts checks each).
//
// better-sqlite3's JavaScript is bundled; its compiled addon is loaded from node_modules by path
// (src/store/sqlite/sqlite-database.ts). Outside the bundle (resolved from node_modules at run
// time): sqlite-vec (finds its platform's extension next to itself; required only with
// embeddings) and pg-native (pg's optional native driver, never installed).
//
// dist/cli/chunks/modules.json lists the modules in each chunk: test/cli/startup-imports.test.ts
// maps the chunks a command loads back to the modules it pays for.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cliDir = join(root, "dist", "cli");
const chunks = join(cliDir, "chunks");
rmSync(cliDir, { recursive: true, force: true });

// A group also takes the modules its members import that no group of a higher priority took, so
// the groups that others depend on come first: "cli" (commander) must not take the configuration
// loader that the hook shares, nor top-help.ts that `--help` loads alone.
const GROUPS = [
  { name: "top-help", test: /src\/cli\/top-help\.ts$/, priority: 60 },
  {
    // Words and stems: search scores with them, the CLI's snippets highlight with them.
    name: "text",
    test: /src\/core\/search\/(text-tokens|stem|stop-words)\.ts$|node_modules\/stemmer\//,
    priority: 50,
  },
  {
    // What an action loads before it runs: configuration and the logger.
    name: "config",
    test: /src\/cli\/load-config\.ts$|src\/core\/(errors|token-mask|config|config-values|logger)\.ts$/,
    priority: 40,
  },
  {
    // The store as every backend is wrapped: audit, checks, validation.
    name: "store",
    test: /src\/store\/(open-store|audit-log|audited-store|checked-store|validate-input|validate-args|memory-hash|uuid-v7|vector-indexing)\.ts$|src\/files\//,
    priority: 30,
  },
  {
    // The SQLite backend with better-sqlite3 and search.
    name: "sqlite",
    test: /src\/store\/sqlite\/|node_modules\/(better-sqlite3|bindings|file-uri-to-path)\/|src\/core\/search\/|src\/embeddings\/(query-embedder|embedding-indexer)\.ts$/,
    priority: 20,
  },
  {
    // The command line: commander and what every command definition uses.
    name: "cli",
    test: /src\/cli\/(program|errors|options|render|snippet|resolve-id|commands\/catalog)\.ts$|node_modules\/commander\//,
    priority: 10,
  },
  {
    // `status` with what it reads (proxy and web status files, capture counters, security events).
    name: "status",
    test: /src\/cli\/commands\/status\.ts$/,
    priority: 5,
  },
];

/** The executable and the entries of its worker threads (dist/<name>.js, from src/<name>.ts). */
const ENTRIES = ["cli/main", "cli/capture-worker", "cli/hook/hook-worker"];

/**
 * commander requires node:child_process when it loads, for executable subcommands (`git-style`,
 * which this CLI has none of): child_process with its net, dgram and socket parts is ~3 ms of every
 * command's start. Its one use, `childProcess.spawn`, now requires it when called. The build fails
 * if commander's line changes, so a new commander version is looked at, not silently left heavy.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: "commander-lazy-child-process",
  transform(code, id) {
    if (!/node_modules\/commander\/lib\/command\.js$/.test(id)) return null;
    if (!code.includes(COMMANDER_CHILD_PROCESS)) {
      throw new Error(`${id} no longer has "${COMMANDER_CHILD_PROCESS}": update scripts/bundle-cli.mjs`);
    }
    const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
    return { code: code.replace(COMMANDER_CHILD_PROCESS, lazy), map: null };
  },
};

const bundle = await rolldown({
  cwd: root,
  plugins: [lazyChildProcess],
  input: Object.fromEntries(ENTRIES.map((name) => [name, `src/${name}.ts`])),
  platform: "node",
  tsconfig: "tsconfig.json",
  external: ["sqlite-vec", "pg-native"],
  onLog(level, log, handler) {
    // A module both imported and import()ed stays where the static import puts it: expected here.
    if (log.code === "INEFFECTIVE_DYNAMIC_IMPORT") return;
    handler(level, log);
  },
});
const { output } = await bundle.write({
  dir: join(root, "dist"),
  format: "cjs",
  entryFileNames: "[name].js",
  chunkFileNames: "cli/chunks/[name]-[hash].cjs",
  sourcemap: true,
  codeSplitting: { groups: GROUPS },
});
await bundle.close();

// The CommonJS scope of the bundle's .js files (the package itself is "type": "module").
writeFileSync(join(cliDir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

const modules = {};
for (const item of output) {
  if (item.type !== "chunk") continue;
  modules[relative("cli", item.fileName)] = item.moduleIds
    .filter((id) => !id.startsWith("\0"))
    .map((id) => relative(root, id))
    .sort();
}
mkdirSync(chunks, { recursive: true });
writeFileSync(join(chunks, "modules.json"), `${JSON.stringify(modules, null, 1)}\n`);
