import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-secure-delete-"));
  path = join(dir, "memories.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file of the database (main, WAL, shared memory) as bytes, the way `strings` reads them. */
function diskBytes(): string {
  return [path, `${path}-wal`, `${path}-shm`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString("latin1"))
    .join("\n");
}

const word = (tag: string) => `zq${tag}${randomBytes(6).toString("hex")}`;

describe("deleted and forgotten memories are gone from memories.db", () => {
  it("delete, deleteAll in a project and forgetting a user leave none of their text on disk", async () => {
    const store = SqliteMemoryStore.open(path);
    const w = {
      deleted: word("del"),
      scoped: word("scope"),
      forgotten: word("forget"),
      updatedAway: word("upd"),
      kept: word("keep"),
    };
    // Long texts too (overflow pages), and each word both in the text and in the FTS index.
    const long = (w: string) => `${"padding sentence about the build cache. ".repeat(150)} ${w}`;
    const del = await store.add({ user_id: "ann", memory: `the staging password is ${w.deleted}` });
    await store.add({ user_id: "ann", memory: long(w.deleted) });
    await store.addMany([
      { user_id: "ann", memory: `project note ${w.scoped}`, app_id: "/p/x" },
      { user_id: "ann", memory: long(w.scoped), app_id: "/p/x" },
    ]);
    await store.add({ user_id: "bob", memory: `bob's token is ${w.forgotten}` });
    await store.add({ user_id: "bob", memory: long(w.forgotten), app_id: "/p/y" });
    const upd = await store.add({ user_id: "cy", memory: `first draft ${w.updatedAway}` });
    await store.update(upd.memory!.id, { memory: "second draft" });
    await store.add({ user_id: "ann", memory: `ann keeps ${w.kept}` });
    for (const v of Object.values(w)) expect(diskBytes()).toContain(v);

    await store.delete(del.memory!.id);
    const second = await store.search(w.deleted, { filters: { user_id: "ann" } });
    for (const m of second) await store.delete(m.id);
    expect(await store.deleteAll({ user_id: "ann", app_id: "/p/x" })).toBe(2);
    expect(await store.deleteAll({ user_id: "bob" })).toBe(2);
    await store.delete(upd.memory!.id);

    // While the store is open (the WAL is live), and after it is closed.
    for (const when of ["open", "closed"]) {
      if (when === "closed") await store.close();
      const disk = diskBytes();
      expect(disk, `${when}: kept memory`).toContain(w.kept);
      expect(disk.includes(w.deleted), `${when}: deleted`).toBe(false);
      expect(disk.includes(w.scoped), `${when}: deleted in a project`).toBe(false);
      expect(disk.includes(w.forgotten), `${when}: forgotten user`).toBe(false);
      expect(disk.includes(w.updatedAway), `${when}: old text of a deleted memory`).toBe(false);
    }
    const again = SqliteMemoryStore.open(path);
    expect(await again.search(w.kept, { filters: { user_id: "ann" } })).toHaveLength(1);
    const history = await again.history(del.memory!.id);
    expect(history.map((e) => e.event)).toEqual(["ADD", "DELETE"]);
    expect(history.every((e) => e.old_memory === null && e.new_memory === null)).toBe(true);
    await again.close();
  });
});
