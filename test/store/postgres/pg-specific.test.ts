import { afterEach, describe, expect, it } from "vitest";
import { wordTokens } from "../../../src/core/search/text-tokens.js";
import { memoryHash } from "../../../src/store/memory-hash.js";
import { migratePg, PG_SCHEMA_VERSION } from "../../../src/store/postgres/migrations.js";
import { PgMemoryStore } from "../../../src/store/postgres/pg-store.js";
import { adminQuery, describePostgres, freshSchema } from "../../support/postgres.js";
import { until } from "../../support/until.js";
import { HOSTILE } from "../hostile-queries.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function schema(): Promise<{ url: string; schema: string }> {
  const db = await freshSchema();
  cleanups.push(db.drop);
  return db;
}

async function open(
  url: string,
  opts: Parameters<typeof PgMemoryStore.open>[1] = {},
): Promise<PgMemoryStore> {
  const store = await PgMemoryStore.open(url, { poolSize: 2, ...opts });
  cleanups.push(() => store.close());
  return store;
}

describePostgres("PgMemoryStore: PostgreSQL specifics", () => {
  describe("migrations", () => {
    it("creates the schema in an empty database, and two processes opening at once do not race", async () => {
      const db = await schema();
      const [a, b] = await Promise.all([open(db.url), open(db.url)]);
      const { rows } = await adminQuery(`SELECT version FROM ${db.schema}.memory_schema`);
      expect(rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
      expect((await a.health()).detail).toMatch(new RegExp(`schema v${PG_SCHEMA_VERSION}`));
      await a.add({ user_id: "u", memory: "written by one" });
      expect((await b.list({ filters: { user_id: "u" } })).memories).toHaveLength(1);
    });

    it("brings a v1 schema forward, keeping its memories and making them searchable", async () => {
      const db = await schema();
      // What release 1 left behind: its schema and rows it wrote (no token counts, no search vector).
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const pool = { query: client.query.bind(client) } as unknown as import("pg").PoolClient;
      await migratePg(pool, "test", 1);
      const id = "0190f5a0-0000-7000-8000-000000000001";
      await client.query(
        `INSERT INTO memories (id, user_id, memory, hash, created_at, updated_at) VALUES ($1, 'u', $2, $3, $4, $4)`,
        [
          id,
          "Deploys run Flyway migrations first",
          memoryHash("Deploys run Flyway migrations first"),
          "2026-01-01T00:00:00.000Z",
        ],
      );
      await client.query(
        `INSERT INTO memory_history (id, memory_id, user_id, event, new_memory, created_at)
         VALUES ('0190f5a0-0000-7000-8000-000000000002', $1, 'u', 'ADD', 'Deploys run Flyway migrations first', '2026-01-01T00:00:00.000Z')`,
        [id],
      );
      await client.end();
      const added = { memory: { id } };
      const { rows: before } = await adminQuery(`SELECT version FROM ${db.schema}.memory_schema`);
      expect(before).toEqual([{ version: 1 }]);
      const store = await open(db.url);
      expect((await store.get(added.memory.id))?.memory).toBe("Deploys run Flyway migrations first");
      expect((await store.search("migrating flyway", { filters: { user_id: "u" } }))[0]?.id).toBe(
        added.memory.id,
      );
      expect(await store.history(added.memory.id)).toHaveLength(1);
      // The v1 row's length for BM25: its five whitespace-separated words.
      const { rows: counted } = await adminQuery(`SELECT tokens FROM ${db.schema}.memories WHERE id = $1`, [
        id,
      ]);
      expect(counted).toEqual([{ tokens: 5 }]);
    });

    it("refuses a schema written by a newer release, naming both versions", async () => {
      const db = await schema();
      await (await open(db.url)).close();
      await adminQuery(`UPDATE ${db.schema}.memory_schema SET version = ${PG_SCHEMA_VERSION + 1}`);
      await expect(PgMemoryStore.open(db.url)).rejects.toMatchObject({
        code: "SCHEMA_TOO_NEW",
        message: expect.stringMatching(
          new RegExp(
            `newer mcp-mitm-mem0 \\(schema v${PG_SCHEMA_VERSION + 1}; .* up to v${PG_SCHEMA_VERSION}\\)`,
          ),
        ),
      });
    });
  });

  describe("search", () => {
    it.each(HOSTILE)("answers %s with a list of the user's memories", async (_name, query) => {
      const db = await schema();
      const store = await open(db.url);
      await store.addMany([
        { user_id: "dev", memory: "The team runs Postgres migrations with Flyway before deploys" },
        { user_id: "dev", memory: "Emoji 🔥 in commit messages are banned" },
        { user_id: "someone-else", memory: "Postgres passwords live in the vault" },
      ]);
      const results = await store.search(query, { filters: { user_id: "dev" } });
      expect(Array.isArray(results)).toBe(true);
      if (wordTokens(query).includes("postgres")) expect(results[0]?.memory).toMatch(/Flyway/);
      for (const r of results) {
        expect(r.user_id).toBe("dev");
        expect(r.score > 0 && r.score <= 1).toBe(true);
      }
      // Nothing a query said was executed: the table is still there with all three memories.
      expect((await store.stats()).memories).toBe(3);
    });

    /**
     * 6,000 memories, each with one or two of three common words, and the only one with all three
     * the oldest: the "newest" lookups of common words examine the newest 5,000 memories, so only
     * the GIN lookup that follows a window without such a memory can bring it in.
     */
    async function commonWordsCorpus(store: PgMemoryStore): Promise<void> {
      await store.add({
        user_id: "u",
        memory: "alpha bravo charlie: the release checklist lives in the wiki",
      });
      const words = ["alpha", "bravo", "charlie"];
      await store.addMany(
        Array.from({ length: 6000 }, (_, i) => ({
          user_id: "u",
          memory: `${words[i % 3]} ${i % 2 === 0 ? words[(i + 1) % 3] : ""} note number n${i}`,
        })),
      );
    }

    it("finds the one old memory with every common word past the newest window", async () => {
      const db = await schema();
      const store = await open(db.url);
      await commonWordsCorpus(store);
      const results = await store.search("alpha bravo charlie", { filters: { user_id: "u" } });
      expect(results[0]?.memory).toMatch(/release checklist/);
      expect(results).toHaveLength(10);
    });

    it("ranks alike from PostgreSQL's statistics (ANALYZE) as from counting", async () => {
      const db = await schema();
      const counting = await open(db.url);
      await commonWordsCorpus(counting);
      await counting.add({ user_id: "u", memory: "zulu appears once, next to alpha" });
      await adminQuery(`ANALYZE ${db.schema}.memories`);
      const statistics = await open(db.url, { searchStatisticsFrom: 0 });
      for (const query of ["alpha bravo charlie", "zulu alpha", "charlie release"]) {
        const exact = await counting.search(query, { filters: { user_id: "u" } });
        const estimated = await statistics.search(query, { filters: { user_id: "u" } });
        expect(estimated[0]?.id).toBe(exact[0]?.id);
        expect(estimated.map((r) => r.id).slice(0, 3)).toEqual(exact.map((r) => r.id).slice(0, 3));
      }
    });

    it("brings session neighbours along: a reply without the question's words is found", async () => {
      const db = await schema();
      const store = await open(db.url);
      const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 10, m)).toISOString();
      await store.addMany([
        {
          user_id: "u",
          run_id: "s1",
          memory: "Which database does the billing service use?",
          created_at: at(0),
        },
        { user_id: "u", run_id: "s1", memory: "It is CockroachDB since March.", created_at: at(1) },
        { user_id: "u", run_id: "s2", memory: "Lunch was pizza", created_at: at(2) },
      ]);
      const results = await store.search("billing service database", { filters: { user_id: "u" } });
      expect(results.map((r) => r.memory)).toContain("It is CockroachDB since March.");
      expect(results.map((r) => r.memory)).not.toContain("Lunch was pizza");
    });
  });

  describe("failures", () => {
    it("a statement that cannot finish is STORE_UNAVAILABLE within the timeout, never a hang", async () => {
      const db = await schema();
      const store = await open(db.url, { timeoutMs: 500 });
      await store.add({ user_id: "u", memory: "before the lock" });
      // Another session holds the table: the store's write waits, and its statement timeout ends the wait.
      const { default: pg } = await import("pg");
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      cleanups.push(() => blocker.end());
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE memories IN ACCESS EXCLUSIVE MODE");
      await expect(store.add({ user_id: "u", memory: "blocked" })).rejects.toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/did not answer in time/),
      });
      await blocker.query("ROLLBACK");
      expect((await store.add({ user_id: "u", memory: "after the lock" })).status).toBe("created");
    });

    it("a connection the server drops is STORE_UNAVAILABLE, and the next call reconnects", async () => {
      const db = await schema();
      const store = await open(db.url);
      await store.add({ user_id: "u", memory: "first" });
      const { default: pg } = await import("pg");
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      cleanups.push(() => blocker.end());
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE memories IN ACCESS EXCLUSIVE MODE");
      const waiting = store.add({ user_id: "u", memory: "cut off" }).catch((e: unknown) => e);
      // Mid-query: the store's session is waiting for the lock when the server terminates it.
      const terminated = async () =>
        (
          await adminQuery(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'mcp-mitm-mem0' AND wait_event_type = 'Lock'`,
          )
        ).rowCount === 1;
      await until(terminated, "the store's session waiting for the lock", 10_000);
      expect(await waiting).toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/lost/),
      });
      await blocker.query("ROLLBACK");
      expect((await store.list({ filters: { user_id: "u" } })).memories.map((m) => m.memory)).toEqual([
        "first",
      ]);
    });

    it("an unreachable server is STORE_UNAVAILABLE naming host and port, never the password", async () => {
      const url = "postgresql://mem:s3cret-pass@127.0.0.1:1/memories";
      const error = await PgMemoryStore.open(url, { timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/127\.0\.0\.1:1/),
      });
      expect(String((error as Error).message)).not.toContain("s3cret-pass");
    });
  });
});
