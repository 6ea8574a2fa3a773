// Preloaded with `node --import` by test/cli/startup-imports.test.ts: records the URL of every
// module the process loads, one a line, in $IMPORT_TRACE_FILE: ES modules through loader hooks
// (test/support/import-trace-hooks.mjs, on the loader thread), and CommonJS files (the bundle's
// chunks are CommonJS, loaded by require(), which Node 20's loader hooks do not see) as
// require() reads each, before it is compiled (from source or from the code cache).
import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
import { pathToFileURL } from "node:url";

const file = process.env.IMPORT_TRACE_FILE;
register("./import-trace-hooks.mjs", import.meta.url, { data: { file } });

if (file) {
  // Node's own modules that were loaded (by require() too, which the hooks above do not see), as
  // `node:<name>` lines once the process exits: commands must not pay for child_process either.
  const builtIns = new Set(process.moduleLoadList);
  process.on("exit", () => {
    const loaded = process.moduleLoadList
      .filter((m) => !builtIns.has(m) && m.startsWith("NativeModule "))
      .map((m) => `node:${m.slice("NativeModule ".length)}\n`);
    appendFileSync(file, loaded.join(""));
  });
  // Node 20 reads .cjs files (and any other extension it does not know) with the ".js" loader.
  const load = Module._extensions[".js"];
  Module._extensions[".js"] = function traced(module, filename) {
    appendFileSync(file, `${pathToFileURL(filename).href}\n`);
    return load.call(this, module, filename);
  };
}
