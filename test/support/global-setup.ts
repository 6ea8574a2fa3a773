import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest modification time of any file below `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/**
 * Tests that spawn the CLI run the built `dist/` (tsc's output, then the
 * bundled executable: scripts/bundle-cli.mjs). `npm test` builds first;
 * when vitest is run on its own, rebuild if any source is newer than dist.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, "..", "..");
  let built = 0;
  try {
    built = statSync(join(root, "dist", "cli", "main.js")).mtimeMs;
  } catch {
    built = 0;
  }
  if (built < newest(join(root, "src"))) {
    try {
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
      execFileSync("npx", ["tsc", "-p", "tsconfig.client.json"], { cwd: root, stdio: "inherit" });
    } catch {
      // tsc still emits on type errors; `npm test` type-checks separately and fails there.
      process.stderr.write("global-setup: tsc reported errors; running tests on what it emitted\n");
    }
    execFileSync(process.execPath, ["scripts/bundle-cli.mjs"], { cwd: root, stdio: "inherit" });
  }
}
