import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempDataDir } from "../support/cli.js";
import { Mem0Stub } from "../support/mem0-stub.js";

const KEY = "m0-right-key-0a1b2c3d4e5f";
const WRONG = "m0-WRONG-key-9f8e7d6c5b4a";

let stub: Mem0Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** The built CLI against a strict Mem0 stand-in that refuses the key it is given. */
describe("Mem0 key rejected", () => {
  it("is one warn line with the key's fingerprint only, counted in status --json and doctor", async () => {
    stub = await Mem0Stub.start({ apiKey: KEY });
    const dataDir = tempDataDir("mmm-mem0-key-");
    const env = {
      MEMORY_DATA_DIR: dataDir,
      MEMORY_BACKEND: "mem0",
      MEM0_API_KEY: WRONG,
      MEM0_BASE_URL: stub.url,
      LOG_LEVEL: "info",
    };
    const search = await runCli(["search", "-u", "ann", "teapot"], { env });
    expect(search.code).not.toBe(0);
    expect(search.stderr).toMatch(/MEM0_API_KEY was rejected \(HTTP 401\)/);
    const events = search.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event !== undefined);
    expect(events).toEqual([
      expect.objectContaining({
        level: "warn",
        event: "mem0_key_rejected",
        reason: "key_rejected",
        status: 401,
        request: "POST /v3/memories/search/",
        host: new URL(stub.url).host,
        presented: expect.stringMatching(/^\[token sha256:[0-9a-f]{8}\]$/),
      }),
    ]);
    expect(search.stderr).not.toContain(WRONG);
    expect(search.stderr).not.toContain("teapot");

    // A second process adds to the count instead of replacing it.
    expect((await runCli(["list", "-u", "ann"], { env })).code).not.toBe(0);
    const status = await runCli(["status", "--json"], { env: { MEMORY_DATA_DIR: dataDir } });
    const summary = JSON.parse(status.stdout).securityEvents;
    expect(summary.mem0_key_rejected).toMatchObject({
      count: 2,
      last: { reason: "key_rejected", status: 401, host: new URL(stub.url).host },
    });
    expect(status.stdout).not.toContain(WRONG);
    const doctor = await runCli(["doctor"], { env: { MEMORY_DATA_DIR: dataDir } });
    expect(doctor.stdout + doctor.stderr).toMatch(/2 mem0_key_rejected \(last [^)]*key_rejected/);
  });
});
