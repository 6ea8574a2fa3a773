import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { READ_COMMAND_MMAP_BYTES } from "../../../src/store/open-store.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { spawnStart } from "../../capture/support/cli-process.js";

/**
 * Commands that read and exit map the database file (`mmapBytes`); every other connection
 * reads it with pread, so a long-running process (the proxy, `mcp`, `ui`) never counts mapped
 * pages of a large store in its resident memory.
 */
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Whether process `pid` has `file` itself mapped (Linux: /proc/<pid>/maps; WAL's -shm file always is). */
const mapped = (file: string, pid: number | "self" = "self") =>
  readFileSync(`/proc/${pid}/maps`, "utf8")
    .split("\n")
    .some((line) => line.endsWith(` ${file}`));

describe.runIf(existsSync("/proc/self/maps"))("the SQLite store's memory map", () => {
  it("is on only when asked for, read-write or read-only, and search reads through it", async () => {
    dir = mkdtempSync(join(tmpdir(), "mmm-mmap-"));
    const path = join(dir, "memories.db");
    const plain = SqliteMemoryStore.open(path);
    await plain.add({ user_id: "u", memory: "the release train leaves every second Thursday" });
    expect(await plain.search("release train", { filters: { user_id: "u" } })).toHaveLength(1);
    expect(mapped(path)).toBe(false);
    await plain.close();

    for (const readonly of [false, true]) {
      const store = SqliteMemoryStore.open(path, { readonly, mmapBytes: READ_COMMAND_MMAP_BYTES });
      try {
        const found = await store.search("release train", { filters: { user_id: "u" } });
        expect(found.map((r) => r.memory)).toEqual(["the release train leaves every second Thursday"]);
        expect(mapped(path), `readonly ${readonly}`).toBe(true);
      } finally {
        await store.close();
      }
      expect(mapped(path)).toBe(false);
    }
  });

  it("is off in the proxy (`start`), which has the store open for as long as it runs", async () => {
    dir = mkdtempSync(join(tmpdir(), "mmm-mmap-"));
    const proxy = await spawnStart(dir, { UPSTREAM_URL: "http://127.0.0.1:9", LOG_LEVEL: "warn" });
    try {
      const pid = proxy.child.pid as number;
      const path = join(dir, "memories.db");
      // The store is open (its WAL index is mapped), the database file itself is not.
      expect(mapped(`${path}-shm`, pid)).toBe(true);
      expect(mapped(path, pid)).toBe(false);
    } finally {
      proxy.child.kill("SIGTERM");
      await proxy.exited;
    }
  });
});
