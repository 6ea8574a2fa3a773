import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite } from "../../../src/store/sqlite/sqlite-database.js";

const SRC = join(import.meta.dirname, "..", "..", "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe("SQLite connections", () => {
  it("open with better-sqlite3's addon given by path", () => {
    const db = openSqlite(":memory:");
    expect(db.prepare("SELECT sqlite_version() AS v").get()).toHaveProperty("v");
    db.close();
  });

  it("are all opened through openSqlite (a bundled better-sqlite3 cannot find its addon by itself)", () => {
    const direct = sources(SRC)
      .filter((f) => /\bnew Database\(/.test(readFileSync(f, "utf8")))
      .map((f) => relative(SRC, f));
    expect(direct).toEqual(["store/sqlite/sqlite-database.ts"]);
  });
});
