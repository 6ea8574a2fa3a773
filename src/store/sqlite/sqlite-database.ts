/**
 * Every SQLite connection of this tool (the memories, the capture outbox,
 * transcript offsets, the injection ledger) is opened here, with the path of
 * better-sqlite3's compiled addon given directly: better-sqlite3 then skips
 * its `bindings` lookup (a stack trace and a dozen candidate paths probed on
 * every start), and the executable can bundle its JavaScript
 * (scripts/bundle-cli.mjs), where that lookup would search the bundle's
 * folder instead of the package's.
 */
import { createRequire } from "node:module";
import Database from "better-sqlite3";

let addon: string | undefined;

/** better-sqlite3's `build/Release/better_sqlite3.node`, resolved from node_modules once. */
function addonPath(): string {
  addon ??= createRequire(import.meta.url).resolve("better-sqlite3/build/Release/better_sqlite3.node");
  return addon;
}

/** `new Database(path, options)` with the addon's path. */
export function openSqlite(
  path: string,
  options: Omit<Database.Options, "nativeBinding"> = {},
): Database.Database {
  return new Database(path, { ...options, nativeBinding: addonPath() });
}
