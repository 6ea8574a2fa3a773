import { PgMemoryStore } from "../../../src/store/postgres/pg-store.js";
import { describePostgres, freshSchema } from "../../support/postgres.js";
import { describeStoreContract } from "../contract.js";

describePostgres("postgres store", () => {
  describeStoreContract("postgres", async () => {
    const db = await freshSchema();
    const store = await PgMemoryStore.open(db.url, { poolSize: 4 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
