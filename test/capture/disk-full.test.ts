import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";
import { runCapture, type StartedProxy, spawnStart } from "./support/cli-process.js";

/**
 * The full-disk cycle: the data directory on a 2 MB tmpfs that fills up and
 * is freed again. Forwarding never notices; what capture could not write
 * waits (journaled, or held in memory) and is stored once there is room;
 * both databases stay whole; the counters add up.
 */
const isRoot = process.getuid?.() === 0;
const canMount = isRoot && spawnSync("mount", ["--version"], { stdio: "ignore" }).status === 0;
if (!canMount) {
  console.log("disk-full.test.ts: skipped — mounting a 2 MB tmpfs needs root (CI runs as root)");
}

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  if (!canMount) return;
  stub = await startAnthropicStub();
  dir = tempDataDir("mmm-full-");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
  env = {
    UPSTREAM_URL: stub.url,
    UPSTREAM_CA_FILE: stub.caFile,
    LOG_LEVEL: "info",
    DEFAULT_USER_ID: "disk",
    // A reserve that fits the 2 MB file system (it is written only with three times its size free).
    DISK_RESERVE_KB: "256",
  };
});
afterAll(async () => {
  if (!canMount) return;
  await stub.close();
  spawnSync("umount", ["-l", dir]);
  rmSync(dir, { recursive: true, force: true });
});

const FILLER = () => join(dir, "filler.bin");

/** Fills the file system to the last byte. */
function fill(): void {
  const fd = openSync(FILLER(), "a");
  const chunk = Buffer.alloc(16 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  }
  const small = Buffer.alloc(512, 7);
  try {
    for (;;) writeSync(fd, small);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

async function turn(proxy: StartedProxy, n: number): Promise<string> {
  const res = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": stub.apiKey,
      "anthropic-version": "2023-06-01",
      "x-claude-code-session-id": `5b0c1f9e-0000-4000-8000-${String(n).padStart(12, "0")}`,
    },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      system: "You are a helpful agent.\nPrimary working directory: /home/dev/disk\n",
      messages: [{ role: "user", content: `Remember fact number ${n}: the ${n}th deploy went fine` }],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { content: { text: string }[] };
  return body.content[0]?.text ?? "";
}

interface RunCounters {
  turnsStored: number;
  captureFailures: number;
  turnsDropped: number;
}
async function runCounters(): Promise<RunCounters> {
  const r = await runCapture(["--data-dir", dir, "status", "--json"], env);
  return JSON.parse(r.stdout).run as RunCounters;
}

function storedMemories(): number {
  if (!existsSync(join(dir, "memories.db"))) return 0;
  const db = new Database(join(dir, "memories.db"), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM memories").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

/**
 * Sends 8 turns while the disk is full and stops the proxy; frees the space and starts again until each
 * turn is either stored or was logged as dropped. Returns what the first run logged and the figures.
 */
async function fullThenStopped(runEnv: Record<string, string>, firstTurn: number) {
  const sent = 8;
  const before = storedMemories();
  const first = await spawnStart(dir, runEnv, dir);
  fill();
  try {
    for (let i = firstTurn; i < firstTurn + sent; i++) expect(await turn(first, i)).toContain("Stub reply");
    // (proxy-status.json, where `status` reads the counters, cannot be rewritten on a full disk: the log says it.)
    // Noticed: a write refused ("could not ..."), or the reserve given up so that the write went through
    // (capture records a batch of exchanges in one transaction: the reserve may take all 8 at once).
    await until(
      () => /could not|gave up the disk reserve/.test(first.stderr()),
      () => `capture to notice the full disk:\n${first.stderr()}`,
    );
  } finally {
    first.child.kill("SIGTERM");
  }
  expect(await first.exited).toBe(0);
  const stderr = first.stderr();
  const lines = stderr.split("\n").filter((l) => l.includes('"msg":"dropped a captured turn"'));
  const dropped = lines.length;
  // Each dropped turn is one line, and the counter counts them (its value is on each line).
  expect(lines.map((l) => JSON.parse(l).dropped)).toEqual(lines.map((_, i) => i + 1));
  // No conversation text in the log lines about it.
  expect(stderr).not.toContain("deploy went fine");

  rmSync(FILLER());
  const second = await spawnStart(dir, runEnv, dir);
  try {
    await until(
      () => storedMemories() - before + dropped === sent,
      () => `stored ${storedMemories() - before} + dropped ${dropped} = ${sent}:\n${stderr}`,
      60_000,
    );
  } finally {
    second.child.kill("SIGTERM");
  }
  expect(await second.exited).toBe(0);
  const stored = storedMemories() - before;
  console.log(
    `disk-full: ${sent} turns sent while full and stopped: ${stored} stored after the restart, ${dropped} dropped (logged)`,
  );
  expect(stored + dropped).toBe(sent);
  expect(integrity(join(dir, "memories.db"))).toBe("ok");
  expect(integrity(join(dir, "outbox.db"))).toBe("ok");
  return { stderr, dropped, stored, sent };
}

describe.skipIf(!canMount)("full disk (2 MB tmpfs)", () => {
  it("forwards every turn while full, stores them all once space returns, and stays whole", async () => {
    const proxy = await spawnStart(dir, env, dir);
    try {
      for (let i = 0; i < 3; i++) expect(await turn(proxy, i)).toContain("Stub reply");
      await until(
        async () => (await runCounters()).turnsStored === 3,
        "3 turns stored before the disk fills",
      );

      fill();
      // Full: forwarding is unaffected, capture cannot write.
      for (let i = 3; i < 15; i++) expect(await turn(proxy, i)).toContain("Stub reply");
      await until(
        () => proxy.stderr().includes("gave up the disk reserve"),
        "capture to notice the full disk and give up the reserve",
      );

      // Space returns: everything held or journaled is stored, without a restart.
      rmSync(FILLER());
      let last: RunCounters | undefined;
      await until(
        async () => {
          last = await runCounters();
          return last.turnsStored === 15;
        },
        () => `all 15 stored after space returned: ${JSON.stringify(last)}\n${proxy.stderr()}`,
        60_000,
      );
      const counters = await runCounters();
      expect(counters.turnsDropped).toBe(0);
      // With room again, the reserve is written anew.
      await until(() => proxy.stderr().includes("the disk reserve is back"), "the reserve written again");
      expect(statSync(join(dir, "disk-reserve")).size).toBe(256 * 1024);
      // The WAL files gave their space back (bounded by journal_size_limit after checkpoints).
      for (const f of ["memories.db-wal", "outbox.db-wal", "journal.db-wal"]) {
        if (existsSync(join(dir, f))) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1024 * 1024);
      }
    } finally {
      proxy.child.kill("SIGTERM");
    }
    expect(await proxy.exited).toBe(0);
    expect(storedMemories()).toBe(15);
    expect(integrity(join(dir, "memories.db"))).toBe("ok");
    expect(integrity(join(dir, "outbox.db"))).toBe("ok");
    expect(integrity(join(dir, "journal.db"))).toBe("ok");
  }, 120_000);

  it("stopping while still full: the reserve keeps every turn on disk, and the next start stores them", async () => {
    await until(() => existsSync(join(dir, "disk-reserve")), "the reserve in place");
    const r = await fullThenStopped(env, 100);
    expect(r.stderr).toContain("gave up the disk reserve");
    expect(r.dropped).toBe(0);
    expect(r.stored).toBe(r.sent);
  }, 120_000);

  it("without a reserve (DISK_RESERVE_KB=0), stopping while full: every turn is kept or logged and counted as dropped", async () => {
    rmSync(join(dir, "disk-reserve"), { force: true });
    const r = await fullThenStopped({ ...env, DISK_RESERVE_KB: "0" }, 200);
    expect(r.stderr).not.toContain("gave up the disk reserve");
    expect(r.dropped).toBeGreaterThan(0);
  }, 120_000);
});
