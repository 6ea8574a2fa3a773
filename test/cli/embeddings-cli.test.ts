/** `embeddings status|backfill` and search with an endpoint, through the built CLI and a strict stand-in. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDataDir } from "../support/cli.js";
import { EmbeddingsStandIn } from "../support/embeddings-stand-in.js";

const KEY = "sk-cli-embeddings-key";
let standIn: EmbeddingsStandIn;
beforeAll(async () => {
  standIn = new EmbeddingsStandIn({
    model: "m1",
    apiKey: KEY,
    concepts: { automobile: "car", sedan: "car" },
  });
  await standIn.start();
});
afterAll(() => standIn.stop());

describe("embeddings commands", () => {
  it("say what to set when no model is configured", async () => {
    const dir = tempDataDir();
    const r = await runCli(["--data-dir", dir, "embeddings", "backfill"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/set EMBEDDINGS_URL .* and EMBEDDINGS_MODEL/);
  });

  it("backfill existing memories, report status, and let search find by meaning", async () => {
    const dir = tempDataDir();
    const env = { EMBEDDINGS_URL: standIn.url, EMBEDDINGS_MODEL: "m1", EMBEDDINGS_API_KEY: KEY };
    for (const text of ["I sold my old sedan", "Lunch was pasta", "The build is green"]) {
      expect((await runCli(["--data-dir", dir, "add", text], { env })).code).toBe(0);
    }
    const before = await runCli(["--data-dir", dir, "embeddings", "status", "--json"], { env });
    expect(JSON.parse(before.stdout)).toEqual({ model: "m1", indexed: 0, pending: 3 });
    const backfill = await runCli(["--data-dir", dir, "embeddings", "backfill"], { env });
    expect(backfill.code).toBe(0);
    expect(backfill.stderr).toContain("embedded 3 memories with m1");
    expect(backfill.stderr).not.toContain(KEY);
    const status = await runCli(["--data-dir", dir, "embeddings", "status"], { env });
    expect(status.stdout).toContain("model m1: 3 memories embedded, 0 pending");
    const found = await runCli(["--data-dir", dir, "search", "automobile", "--json"], { env });
    expect(JSON.parse(found.stdout)[0].memory).toBe("I sold my old sedan");
    const lexical = await runCli(["--data-dir", dir, "search", "automobile"]);
    expect(lexical.stderr).toContain("no memories matched");
  });
});
