import { silentLogger } from "../../../src/core/logger.js";
import { Mem0MemoryStore } from "../../../src/store/mem0/mem0-store.js";
import { Mem0Stub } from "../../support/mem0-stub.js";
import { describeStoreContract } from "../contract.js";

const API_KEY = "m0-contract-test-key";

/** The shared MemoryStore contract, against Mem0MemoryStore talking HTTP to the strict Mem0 stand-in. */
for (const apiVersion of ["v3", "v2"] as const) {
  describeStoreContract(`mem0 (${apiVersion})`, async () => {
    const stub = await Mem0Stub.start({ apiKey: API_KEY });
    const store = new Mem0MemoryStore(
      { apiKey: API_KEY, baseUrl: stub.url, apiVersion, timeoutMs: 10_000 },
      silentLogger,
      {
        // Waits between event polls and retries are not needed against a local server.
        sleep: async () => {},
      },
    );
    return {
      store,
      cleanup: async () => {
        await store.close();
        await stub.close();
      },
    };
  });
}
