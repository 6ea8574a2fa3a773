/**
 * V8's code cache for the bundle's chunks (dist/cli/chunks/*.cjs), which Node 20 does not keep
 * for CommonJS itself (`module.enableCompileCache` is Node 22). The first run of a command
 * compiles its chunks as usual and, when it exits, writes V8's cached data for each (with the
 * functions that ran compiled too) beside them in `chunks/.code-cache/<node>-<arch>/`; later
 * runs compile from it instead of parsing again. This is what v8-compile-cache does for
 * CommonJS, narrowed to our own chunks.
 *
 * A chunk's file name carries the hash of its content (scripts/bundle-cli.mjs), and the build
 * removes the folder with the chunks, caches included, so a cache is never used for other code
 * than it was made from; V8 itself rejects data from another V8 version or other flags, and
 * then the chunk is compiled from source and its cache written again. Every failure (no such
 * folder, unreadable or read-only, a malformed file) only means compiling from source: the
 * cache can make a command slower the first time, never fail. NODE_DISABLE_COMPILE_CACHE=1
 * (Node 22's switch for its own cache) turns it off.
 *
 * Only for the bundle: tsc's output (src/ under vitest, dist/ outside dist/cli) never calls it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

/** What Module.prototype._compile is called with (not in @types/node). */
type Compile = (this: Module, content: string, filename: string) => unknown;

interface Compiled {
  script: Script;
  cacheFile: string;
}

/** A chunk's file name: `<name>-<hash>.cjs`, written by the bundle (the hash is of its content). */
const CHUNK = /^[\w.-]+-[\w-]{8,}\.cjs$/;

/**
 * Compiles the chunks in `chunkDir` with V8's code cache from now on. Call it before the first
 * chunk is required; calling it outside the bundle, or twice, does nothing.
 */
export function useCodeCache(chunkDir: string): void {
  // With --enable-source-maps, Node's own compile maps stack traces to src/: left to it.
  if (process.env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled || installed) return;
  const proto = Module.prototype as unknown as { _compile?: Compile };
  const original = proto._compile;
  if (typeof original !== "function" || typeof Module.wrap !== "function") return;
  installed = true;
  const cacheDir = join(chunkDir, ".code-cache", `${process.version}-${process.arch}`);
  const prefix = chunkDir.endsWith(sep) ? chunkDir : chunkDir + sep;
  const toWrite: Compiled[] = [];

  proto._compile = function compileWithCache(this: Module, content: string, filename: string) {
    const name = filename.startsWith(prefix) ? filename.slice(prefix.length) : "";
    if (!CHUNK.test(name)) return original.call(this, content, filename);
    const cacheFile = join(cacheDir, `${name}.v8`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
    let script: Script;
    try {
      script = new Script(Module.wrap(content), {
        filename,
        cachedData,
        // A chunk's import() of a package or built-in (not bundled) as Node's own loader does it.
        importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
    } catch {
      // Whatever went wrong, Node's own compile says it (a syntax error) or does it.
      return original.call(this, content, filename);
    }
    if (cachedData === undefined || script.cachedDataRejected) toWrite.push({ script, cacheFile });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: Module,
      __filename: string,
      __dirname: string,
    ) => unknown;
    return wrapper.call(
      this.exports,
      this.exports,
      createRequire(filename),
      this,
      filename,
      dirname(filename),
    );
  };

  // After the command ran (its functions compiled too), and for the long-running ones (`mcp`,
  // `start`) also soon after they started.
  const write = () => writeCaches(toWrite.splice(0), cacheDir);
  process.on("exit", write);
  setTimeout(write, 3000).unref();
}

let installed = false;

function writeCaches(compiled: Compiled[], cacheDir: string): void {
  if (compiled.length === 0) return;
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch {
    return; // a read-only install: every run compiles from source
  }
  for (const { script, cacheFile } of compiled) {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile); // readers see a whole file or none
    } catch {
      removeQuietly(tmp); // a full disk: the next run compiles this chunk from source again
    }
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing more to do on the way out
  }
}
