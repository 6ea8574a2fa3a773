import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AUDIT_FILE, AuditLog, type AuditRecord } from "../../src/store/audit-log.js";
import { AuditedMemoryStore } from "../../src/store/audited-store.js";
import { exportChunks } from "../../src/store/portability/export-format.js";
import { importRecords, readRecords } from "../../src/store/portability/import-records.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { useTempDir } from "./temp-dir.js";

const SECRET_TEXT = "the launch code is tangerine-walrus";
const QUERY = "tangerine walrus launch";

function lines(dir: string): AuditRecord[] {
  return readFileSync(join(dir, AUDIT_FILE), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

function audited(dir: string, log = new AuditLog(dir)) {
  return new AuditedMemoryStore(SqliteMemoryStore.open(join(dir, "memories.db")), log, { entry: "cli" });
}

describe("audit of memory access", () => {
  const dir = useTempDir("mmm-audit-");

  it("every operation kind writes one line with who, scope and counts, never a text", async () => {
    const store = audited(dir());
    const mcp = store.as({ entry: "mcp", actor: "alice" });
    const added = await store.add({ user_id: "u1", app_id: "/p", memory: SECRET_TEXT });
    const id = added.memory!.id;
    await store.addMany([
      { user_id: "u1", memory: "second note about walrus" },
      { user_id: "u1", memory: "third note about walrus" },
    ]);
    await mcp.search(QUERY, { filters: { user_id: "u1" } });
    await store.list({ filters: { user_id: "u1" } });
    await store.get(id, "u1");
    await store.update(id, { memory: `${SECRET_TEXT} (updated)` });
    await store.history(id);
    await store.delete(id);
    await store.deleteAll({ user_id: "u1", app_id: "/nothing-here" });
    let exported = "";
    await store.operation("export", { user_id: "u1" }, async (s) => {
      for await (const c of exportChunks(s, "u1", "jsonl")) exported += c;
    });
    await store.operation("import", { user_id: "u2" }, (s) =>
      importRecords(s, readRecords(Readable.from([exported]), "export.jsonl"), "export.jsonl", {
        user: "u2",
      }),
    );
    await store.close();

    const got = lines(dir());
    expect(got.map((l) => [l.entry, l.op, l.count])).toEqual([
      ["cli", "add", 1],
      ["cli", "add", 2],
      ["mcp", "search", 3],
      ["cli", "list", 3],
      ["cli", "get", 1],
      ["cli", "update", 1],
      ["cli", "history", 2],
      ["cli", "delete", 1],
      ["cli", "delete_all", 0],
      ["cli", "export", 2],
      ["cli", "import", 2],
    ]);
    expect(got[2]).toMatchObject({ actor: "alice", user: "u1", ok: true });
    expect(got[0]).toMatchObject({ user: "u1", project: "/p" });
    // get/update/delete name the memory and its owner (so forgetting the owner removes them)
    for (const l of got.slice(4, 8)) expect(l).toMatchObject({ id, ok: true });
    for (const l of [got[4], got[5], got[7]]) expect(l?.user).toBe("u1");
    const raw = readFileSync(join(dir(), AUDIT_FILE), "utf8");
    expect(raw).not.toMatch(/tangerine|walrus|launch|note about/);
    for (const l of got) expect(Date.parse(l.ts)).not.toBeNaN();
    expect(statSync(join(dir(), AUDIT_FILE)).mode & 0o777).toBe(0o600);
  });

  it("a failed operation is one line with ok false and the error's name, not its message", async () => {
    const store = audited(dir());
    await expect(
      store.update("0190a0a0-0000-7000-8000-000000000000", { memory: SECRET_TEXT }),
    ).rejects.toThrow();
    await expect(store.search("walrus", { filters: { user_id: "u1" }, limit: -1 })).rejects.toThrow();
    await store.close();
    const got = lines(dir());
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ op: "update", ok: false, count: 0 });
    expect(got[0]?.error).toMatch(/Error$/);
    expect(got[1]).toMatchObject({ op: "search", ok: false, user: "u1" });
    expect(readFileSync(join(dir(), AUDIT_FILE), "utf8")).not.toContain("tangerine");
  });

  it("forgetting a user removes their lines everywhere except the one recording the forgetting", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const log = new AuditLog(dir(), { now: () => now, maxBytes: 600 });
    const store = audited(dir(), log);
    for (let i = 0; i < 6; i++) {
      await store.add({ user_id: "gone", memory: `note ${i}` });
      await store.add({ user_id: "stays", memory: `note ${i}` });
      now = new Date(now.getTime() + 60_000);
    }
    await store.as({ entry: "web" }).search("note", { filters: { user_id: "stays" } });
    expect(log.files().length).toBeGreaterThan(1); // rotated: the forgetting reaches old files too
    const n = await store.as({ entry: "web" }).deleteAll({ user_id: "gone" });
    expect(n).toBe(6);
    await store.close();
    const all = log.read();
    const aboutGone = all.filter((r) => r.user === "gone");
    expect(aboutGone).toEqual([
      { ts: now.toISOString(), entry: "web", op: "forget", user: "gone", count: 6, ok: true },
    ]);
    expect(all.filter((r) => r.user === "stays")).toHaveLength(7);
  });

  it("rotates by size and deletes what is older than the retention (fake clock)", () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const day = 86_400_000;
    const opts = { now: () => now, maxBytes: 400, retentionDays: 10 };
    const log = new AuditLog(dir(), opts);
    for (let d = 0; d < 30; d++) {
      log.write({ entry: "cli", op: "list", user: "u", count: d, ok: true });
      now = new Date(now.getTime() + day);
    }
    const rotated = readdirSync(dir()).filter((f) => f.startsWith("audit-"));
    expect(rotated.length).toBeGreaterThan(0);
    for (const f of log.files()) expect(statSync(f).size).toBeLessThanOrEqual(400);
    for (const f of log.files()) expect(statSync(f).mode & 0o777).toBe(0o600);
    // Nothing older than 10 days survives a rotation (rotated files are judged by their rotation time).
    const oldest = Date.parse(log.read()[0]!.ts);
    expect(now.getTime() - oldest).toBeLessThanOrEqual(11 * day + (400 / 80) * day);
    log.close();

    // The current file's head past the retention is dropped when the log is opened.
    now = new Date(now.getTime() + 100 * day);
    const later = new AuditLog(dir(), opts);
    expect(later.read()).toEqual([]);
    expect(readdirSync(dir()).filter((f) => f.startsWith("audit-"))).toEqual([]);
    later.write({ entry: "cli", op: "get", count: 1, ok: true });
    expect(later.read()).toHaveLength(1);
    later.close();
  });

  it("opening judges the retention by the first line, however long and after blank lines", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const old = (ts: string, pad: number) =>
      JSON.stringify({ ts, entry: "cli", op: "list", count: 1, ok: true, project: "é".repeat(pad) });
    // A first line longer than one read (4 KiB), with a multi-byte character across the boundary.
    const head = old("2026-01-01T00:00:00.000Z", 5000);
    const recent = old("2026-05-31T00:00:00.000Z", 0);
    writeFileSync(join(dir(), AUDIT_FILE), `\n\n${head}\n${recent}\n`);
    new AuditLog(dir(), { now: () => now, retentionDays: 10 }).close();
    expect(lines(dir())).toEqual([JSON.parse(recent)]);
    // A recent first line: the file is left as it is.
    writeFileSync(join(dir(), AUDIT_FILE), `${recent}\n${head}\n`);
    new AuditLog(dir(), { now: () => now, retentionDays: 10 }).close();
    expect(readFileSync(join(dir(), AUDIT_FILE), "utf8")).toBe(`${recent}\n${head}\n`);
  });

  it("a log that cannot be written never fails the operation and is reported once", async () => {
    mkdirSync(join(dir(), AUDIT_FILE)); // a directory where the file should be: every open fails
    const failures: Error[] = [];
    const store = audited(dir(), new AuditLog(dir(), { onFailure: (e) => failures.push(e) }));
    const r = await store.add({ user_id: "u", memory: "still stored" });
    expect(r.status).toBe("created");
    expect((await store.list({ filters: { user_id: "u" } })).memories).toHaveLength(1);
    await store.close();
    expect(failures).toHaveLength(1);
    expect((failures[0] as NodeJS.ErrnoException).code).toBe("EISDIR");
  });

  it("skips lines it cannot parse instead of failing the reader", () => {
    writeFileSync(
      join(dir(), AUDIT_FILE),
      `not json\n${JSON.stringify({ ts: new Date().toISOString(), entry: "cli", op: "get", count: 1, ok: true })}\n`,
    );
    expect(new AuditLog(dir()).read()).toHaveLength(1);
  });
});
