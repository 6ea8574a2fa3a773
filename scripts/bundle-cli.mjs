// `npm run build`, after tsc: bundles the executable (src/cli/main.ts), the capture thread
// (src/cli/capture-worker.ts), the hook thread (src/cli/hook/hook-worker.ts) and the journal
// writer's thread (src/cli/journal-thread.ts) with esbuild into dist/cli/main.js,
// dist/cli/capture-worker.js, dist/cli/hook/hook-worker.js, dist/cli/journal-thread.js and the
// chunks they share in dist/cli/chunks/. Node then resolves, reads and compiles a few chunks
// per command instead of one file per module (~60 for `list`, ~220 for `mcp`). ESM with code
// splitting: every dynamic import() stays a chunk loaded only when that code path runs, so
// `--version` loads no store and `list` no MCP SDK. The rest of dist/ stays tsc's output.
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

/** esbuild, or null when a node_modules from before it was added lacks it (CI always has it). */
async function loadEsbuild() {
  try {
    return await import("esbuild");
  } catch (e) {
    if (process.env.CI || e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    process.stderr.write(
      "bundle-cli: esbuild is not installed (run `npm install`); dist/cli/ stays tsc's unbundled output, which works but starts slower\n",
    );
    return null;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cliOut = join(root, "dist", "cli");
const chunks = join(cliOut, "chunks");
rmSync(chunks, { recursive: true, force: true });
const esbuild = await loadEsbuild();
if (!esbuild) process.exit(0);

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [
    "src/cli/main.ts",
    "src/cli/capture-worker.ts",
    "src/cli/hook/hook-worker.ts",
    "src/cli/journal-thread.ts",
  ],
  outdir: "dist",
  outbase: "src",
  // Chunks sit one folder below dist/cli/, as src/cli/commands/*.ts sit below src/cli/: the
  // `new URL("../capture-worker.js", import.meta.url)` (and "../hook/hook-worker.js") in
  // commands/start.ts resolves the same from either (test/capture/reverse-proxy.test.ts and others start the proxy through it).
  chunkNames: "cli/chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  external: ["sqlite-vec", "pg-native"],
  // CommonJS packages (commander, undici, pg, …) call require() for Node's built-ins: give ESM one.
  banner: {
    js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);',
  },
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});

const modules = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith(".js")) continue;
  modules[relative("dist/cli", file)] = Object.keys(output.inputs).sort();
}
mkdirSync(chunks, { recursive: true });
writeFileSync(join(chunks, "modules.json"), `${JSON.stringify(modules, null, 1)}\n`);
