import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, tempDataDir } from "../support/cli.js";

/**
 * The bundle's chunks compile from V8's code cache (src/cli/code-cache.ts), kept beside them.
 * Each case runs its own copy of the built dist/cli (the cache of the shared build is left
 * alone), with node_modules linked in: a cache is written, used when it is good, replaced when
 * it is not, and a missing, unwritable or damaged cache never changes what a command does.
 */
const copies: string[] = [];

function copyOfBuild(): { cli: string; cacheRoot: string } {
  const dir = mkdtempSync(join(tmpdir(), "mmm-code-cache-"));
  copies.push(dir);
  cpSync(join(repoRoot, "dist", "cli"), join(dir, "dist", "cli"), {
    recursive: true,
    filter: (src) => !src.includes(".code-cache"),
  });
  cpSync(join(repoRoot, "package.json"), join(dir, "package.json"));
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  return {
    cli: join(dir, "dist", "cli", "main.js"),
    cacheRoot: join(dir, "dist", "cli", "chunks", ".code-cache"),
  };
}

const versionDir = (cacheRoot: string) => join(cacheRoot, `${process.version}-${process.arch}`);

/** Cache file → inode (a rewrite is a rename of a new file: a new inode). */
function cacheFiles(cacheRoot: string): Map<string, number> {
  const dir = versionDir(cacheRoot);
  if (!existsSync(dir)) return new Map();
  return new Map(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).ino]));
}

function run(cli: string, dataDir: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: dataDir, MEMORY_DATA_DIR: dataDir, MITM_PORT: "9", ...env },
    cwd: dataDir,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("V8 code cache of the bundle's chunks", () => {
  const dataDir = tempDataDir();
  let expected = "";

  beforeAll(async () => {
    const r = await runCli(["add", "the release train leaves every second Thursday", "--data-dir", dataDir]);
    expect(r.code).toBe(0);
    expected = (await runCli(["list", "--data-dir", dataDir])).stdout;
    expect(expected).toContain("release train");
  });
  afterAll(() => {
    for (const dir of [...copies, dataDir]) rmSync(dir, { recursive: true, force: true });
  });

  it("is written by the first run, for the chunks it loaded, and used as it is by the next", () => {
    const { cli, cacheRoot } = copyOfBuild();
    expect(cacheFiles(cacheRoot).size).toBe(0);
    expect(run(cli, dataDir, ["list"]).stdout).toBe(expected);
    const first = cacheFiles(cacheRoot);
    expect([...first.keys()].some((f) => /^cli-.*\.cjs\.v8$/.test(f))).toBe(true); // commander's chunk
    expect([...first.keys()].some((f) => /^sqlite-.*\.cjs\.v8$/.test(f))).toBe(true);
    expect([...first.keys()].every((f) => f.endsWith(".cjs.v8"))).toBe(true);

    // Accepted by V8, so nothing is written again (a rejected cache is replaced: next case).
    expect(run(cli, dataDir, ["list"]).stdout).toBe(expected);
    expect(cacheFiles(cacheRoot)).toEqual(first);
    // Another command adds the chunks it loads and keeps the ones it shares.
    expect(run(cli, dataDir, ["status"]).code).toBe(0);
    const after = cacheFiles(cacheRoot);
    expect(after.size).toBeGreaterThan(first.size);
    for (const [f, ino] of first) if (after.has(f)) expect(after.get(f), f).toBe(ino);
  });

  it("a damaged cache is rejected and replaced; the command's output is the same", () => {
    const { cli, cacheRoot } = copyOfBuild();
    run(cli, dataDir, ["list"]);
    const written = cacheFiles(cacheRoot);
    expect(written.size).toBeGreaterThan(0);
    for (const f of written.keys()) {
      const file = join(versionDir(cacheRoot), f);
      writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));
    }
    const damaged = cacheFiles(cacheRoot);
    expect(run(cli, dataDir, ["list"]).stdout).toBe(expected);
    const replaced = cacheFiles(cacheRoot);
    for (const [f, ino] of damaged) expect(replaced.get(f), f).not.toBe(ino);
  });

  it("a cache that cannot be written, or NODE_DISABLE_COMPILE_CACHE, leaves the command as it is", () => {
    const { cli, cacheRoot } = copyOfBuild();
    writeFileSync(cacheRoot, "not a folder"); // mkdir fails, as in a read-only install (even as root)
    const r = run(cli, dataDir, ["list"]);
    expect(r).toMatchObject({ code: 0, stdout: expected });
    expect(r.stderr).not.toMatch(/cache|Error/);
    expect(statSync(cacheRoot).isFile()).toBe(true);

    rmSync(cacheRoot);
    expect(run(cli, dataDir, ["list"], { NODE_DISABLE_COMPILE_CACHE: "1" }).stdout).toBe(expected);
    expect(existsSync(cacheRoot)).toBe(false);
    // The switch is what kept it away: without it the same run writes the cache.
    run(cli, dataDir, ["list"]);
    expect(cacheFiles(cacheRoot).size).toBeGreaterThan(0);
  });
});
