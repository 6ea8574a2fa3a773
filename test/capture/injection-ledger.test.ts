import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InjectionLedger } from "../../src/capture/injection/injection-ledger.js";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-ledger-"));
  path = join(dir, "injections.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The rows as another connection reads them from the file. */
function onDisk(): { turn_key: string; notes: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT turn_key, notes FROM injections ORDER BY turn_key").all() as {
      turn_key: string;
      notes: string;
    }[];
  } finally {
    db.close();
  }
}

const A = { notes: "<past-session-notes>\na\n</past-session-notes>", ids: ["m1"] };
const B = { notes: "<past-session-notes>\nb\n</past-session-notes>", ids: ["m2"] };

describe("injection ledger", () => {
  it("answers from memory until commit, keeps the first record of a turn, and writes on commit", () => {
    const ledger = InjectionLedger.open(path);
    try {
      expect(ledger.put("t1", A)).toEqual(A);
      // A second record for the same turn (a resent request) gets the first one's notes.
      expect(ledger.put("t1", B)).toEqual(A);
      expect(ledger.get("t1")).toEqual(A);
      expect(ledger.uncommitted()).toBe(1);
      expect(onDisk()).toEqual([]);
      expect(ledger.commit()).toBe(true);
      expect(ledger.uncommitted()).toBe(0);
      expect(onDisk()).toEqual([{ turn_key: "t1", notes: A.notes }]);
      expect(ledger.put("t1", B)).toEqual(A);
      expect(ledger.uncommitted()).toBe(0);
    } finally {
      ledger.close();
    }
    const reopened = InjectionLedger.open(path);
    try {
      expect(reopened.get("t1")).toEqual(A);
    } finally {
      reopened.close();
    }
  });

  it("reads many turns at once: kept and committed records, none for unknown turns", () => {
    const ledger = InjectionLedger.open(path);
    try {
      ledger.put("t1", A);
      ledger.put("t2", B);
      ledger.commit();
      ledger.put("t3", A);
      const many = ledger.getMany(["t1", "t2", "t3", "t4"]);
      expect([...many.keys()].sort()).toEqual(["t1", "t2", "t3"]);
      expect(many.get("t2")).toEqual(B);
      expect(many.get("t3")).toEqual(A);
      expect([...ledger.getMany(["t2"])]).toEqual([["t2", B]]);
      expect(ledger.getMany([]).size).toBe(0);
    } finally {
      ledger.close();
    }
  });

  it("keeps entries whose commit failed and writes them with a later commit; close commits", () => {
    const errors: unknown[] = [];
    const ledger = InjectionLedger.open(path, (e) => errors.push(e));
    const other = new Database(path);
    try {
      other.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON injections BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
      ledger.put("t1", A);
      expect(ledger.commit()).toBe(false);
      expect(errors).toHaveLength(1);
      // Still what this process forwards for the turn.
      expect(ledger.get("t1")).toEqual(A);
      expect(ledger.uncommitted()).toBe(1);
      other.exec("DROP TRIGGER refuse");
      ledger.put("t2", B);
      expect(ledger.commit()).toBe(true);
      expect(onDisk().map((r) => r.turn_key)).toEqual(["t1", "t2"]);
      ledger.put("t3", B);
    } finally {
      other.close();
      ledger.close();
    }
    expect(onDisk().map((r) => r.turn_key)).toEqual(["t1", "t2", "t3"]);
  });

  it("writes a put that no request committed on the next turn of the event loop", async () => {
    const ledger = InjectionLedger.open(path);
    try {
      ledger.put("t1", A);
      expect(onDisk()).toEqual([]);
      await new Promise((r) => setImmediate(r));
      expect(onDisk()).toEqual([{ turn_key: "t1", notes: A.notes }]);
    } finally {
      ledger.close();
    }
  });
});
