import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { proxyNodeFlags } from "../../bench/lib/proxy-node-flags.js";
import { PROXY_NODE_FLAGS } from "../../src/cli/node-flags.js";
import { cliPath, repoRoot } from "../support/cli.js";

/**
 * The proxy's node flags are defined once (src/cli/node-flags.ts); every way
 * `start` is launched must pass exactly those. The service files are checked in
 * setup-service.test.ts (their command line is run), `start --background` in
 * background.test.ts (the detached process's command line).
 */
const flags = PROXY_NODE_FLAGS.join(" ");
const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const firstLine = (text: string) => text.slice(0, text.indexOf("\n"));

describe("the proxy's node flags", () => {
  it("are a non-empty list of node options", () => {
    expect(PROXY_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const f of PROXY_NODE_FLAGS) expect(f).toMatch(/^--[a-z][a-z0-9-]*(=\S+)?$/);
  });

  it("are the executable's shebang, in the source and in the bundle", () => {
    const shebang = `#!/usr/bin/env -S node ${flags}`;
    expect(firstLine(read("src/cli/main.ts"))).toBe(shebang);
    expect(firstLine(readFileSync(cliPath, "utf8"))).toBe(shebang);
  });

  it.skipIf(!existsSync("/usr/bin/env"))("let the shebang's command line run the executable", () => {
    // What the kernel runs for `#!/usr/bin/env -S node <flags>`: env with the rest of the line as
    // one argument, then the script. A flag node does not know makes it exit with "bad option".
    const rest = firstLine(readFileSync(cliPath, "utf8")).slice("#!/usr/bin/env ".length);
    const r = spawnSync("/usr/bin/env", [rest, cliPath, "--version"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(read("package.json")) as { version: string }).version);
  });

  it("are passed by package.json's start script", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`npm run build && node ${flags} dist/cli/main.js start`);
  });

  it("are bench:proxy's and bench:hooks' for the proxy they start", () => {
    const saved = process.env.BENCH_PROXY_NODE_FLAGS;
    delete process.env.BENCH_PROXY_NODE_FLAGS;
    try {
      expect(proxyNodeFlags()).toEqual([...PROXY_NODE_FLAGS]);
    } finally {
      if (saved !== undefined) process.env.BENCH_PROXY_NODE_FLAGS = saved;
    }
    // The proxy child is spawned only through spawnProxyChild, which passes them; bench:hooks' start too.
    expect(read("bench/proxy.ts")).not.toMatch(/spawnNode\([^)]*proxy-child/);
    expect(read("bench/proxy.ts")).toContain("spawnProxyChild(");
    expect(read("bench/proxy/peers.ts")).toMatch(/proxy-child\.js"\), args, proxyNodeFlags\(\)\)/);
    expect(read("bench/hooks.ts")).toContain('[...proxyNodeFlags(), CLI, "start"');
  });
});
