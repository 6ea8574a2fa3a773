import { join } from "node:path";
import { silentLogger } from "../../src/core/logger.js";
import type { AddInput, Memory } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type RunningWebServer, startWebServer } from "../../src/web/web-server.js";
import { tempDataDir } from "../support/cli.js";

export const USER = "default_user";
export const TOKEN = "web-test-token-0123456789abcdef";
export const PROJECT = "/home/dev/acme-shop";

/** An episode memory as the episode builder stores it. */
export function episode(n: number, words: string, answer: string, at: string, session = "sess-a"): AddInput {
  return {
    user_id: USER,
    agent_id: "claude-code",
    app_id: PROJECT,
    run_id: session,
    memory: `User: ${words}\nAssistant: ${answer}\nTrace:\n- Read src/cart.ts\n- Bash: npm test → error: 2 failing\n- Edit src/cart.ts`,
    categories: ["conversation"],
    created_at: at,
    metadata: {
      source: "capture",
      kind: "episode",
      episode_key: `key-${n}`,
      complete: true,
      files_read: ["src/cart.ts"],
      files_changed: ["src/cart.ts"],
      commands: ["npm test"],
      tools: ["Read", "Bash", "Edit"],
      requests: 3,
      started_at: at,
      ended_at: at,
    },
  };
}

export interface Seeded {
  dataDir: string;
  store: SqliteMemoryStore;
  web: RunningWebServer;
  planted: Memory;
  insight: Memory;
  evidence: Memory;
  close(): Promise<void>;
}

/** A data directory with a few episodes, a hand-added memory and an insight citing its evidence; the page on it. */
export async function seededPage(): Promise<Seeded> {
  const dataDir = tempDataDir("mmm-web-");
  const store = SqliteMemoryStore.open(join(dataDir, "memories.db"));
  const day = (d: number, h: number) => new Date(Date.UTC(2025, 5, d, h, 0, 0)).toISOString();
  const results = await store.addMany([
    episode(
      1,
      "Why does the checkout total round wrong?",
      "The cart sums floats; I switched it to integer cents.",
      day(1, 9),
    ),
    episode(2, "Run the tests again", "All 48 tests pass now.", day(1, 10)),
    episode(3, "Add a discount code field", "Added the field and its validation.", day(3, 14), "sess-b"),
    {
      user_id: USER,
      memory: "Old per-request capture: User: hello there\nAssistant: Hi!",
      app_id: PROJECT,
      run_id: "sess-b",
      categories: ["conversation"],
      metadata: { source: "capture", turn_key: "t-1" },
      created_at: day(3, 15),
    },
    {
      user_id: USER,
      memory: "The staging server is reached through the bastion host zephyrhost.internal",
      app_id: PROJECT,
      metadata: { source: "cli" },
      categories: ["infrastructure"],
      created_at: day(4, 8),
    },
    {
      user_id: "someone_else",
      memory: "Not yours: the zephyrhost secret of another user",
      created_at: day(4, 9),
    },
  ]);
  const evidence = results[0]!.memory!;
  const planted = results[4]!.memory!;
  const insightResult = await store.add({
    user_id: USER,
    memory: "Solution: use integer cents for money in the cart",
    app_id: PROJECT,
    categories: ["solution"],
    metadata: { source: "insights", type: "solution", source_id: evidence.id, source_ids: [evidence.id] },
    created_at: day(5, 8),
  });
  const web = await startWebServer({
    store,
    userId: USER,
    token: TOKEN,
    logger: silentLogger,
    port: 0,
    pollMs: 50,
    now: () => new Date(Date.UTC(2025, 5, 20)),
  });
  await web.context.catalog.rescan();
  return {
    dataDir,
    store,
    web,
    planted,
    insight: insightResult.memory!,
    evidence,
    async close() {
      await web.close();
      await store.close();
    },
  };
}
