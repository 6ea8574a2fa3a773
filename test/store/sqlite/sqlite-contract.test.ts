import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { describeStoreContract } from "../contract.js";

describeStoreContract("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mem-contract-"));
  const store = SqliteMemoryStore.open(join(dir, "data", "memories.db"));
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
