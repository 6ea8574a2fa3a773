import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe } from "vitest";

/**
 * The PostgreSQL the tests use: TEST_DATABASE_URL (`.ci/run` starts a
 * throwaway cluster and sets it; `source .ci/postgres.sh` does the same by
 * hand). Without one, PostgreSQL tests are skipped with a printed reason,
 * except in CI, where a missing server is a failure.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const REASON =
  "TEST_DATABASE_URL is not set: PostgreSQL tests skipped (run `source .ci/postgres.sh` to start a throwaway server)";

/** `describe` when a server is configured; otherwise skipped with the reason printed (and a failure in CI). */
export function describePostgres(name: string, body: () => void): void {
  if (TEST_DATABASE_URL) {
    describe(name, body);
    return;
  }
  if (process.env.CI) throw new Error(`${name}: ${REASON}; CI must run them`);
  console.warn(`${name}: ${REASON}`);
  describe.skip(name, body);
}

/** A fresh schema in the test server and a URL whose connections use it (search_path). */
export async function freshSchema(): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const base = TEST_DATABASE_URL;
  if (!base) throw new Error(REASON);
  const schema = `t_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    drop: async () => {
      await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** One statement on the test server, outside any store. */
export async function adminQuery(
  sql: string,
  params: unknown[] = [],
  url = TEST_DATABASE_URL,
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
