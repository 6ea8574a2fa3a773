import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSpool, SpoolWriter } from "../../../src/capture/proxy/spool.js";

/**
 * A spool record that a full disk cuts short: the writer cuts the segment back, and the next record
 * goes exactly where the cut one began (no hole of zeros that would read as a torn record and stop
 * every read of the segment there). On a 64 KiB tmpfs, so that the short write is real.
 */
const isRoot = process.getuid?.() === 0;
const canMount = isRoot && spawnSync("mount", ["--version"], { stdio: "ignore" }).status === 0;
if (!canMount)
  console.log("spool-full-disk.test.ts: skipped — mounting a tmpfs needs root (CI runs as root)");

let dir: string;
beforeAll(() => {
  if (!canMount) return;
  dir = mkdtempSync(join(tmpdir(), "mmm-spool-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
});
afterAll(() => {
  if (!canMount) return;
  spawnSync("umount", ["-l", dir]);
  rmSync(dir, { recursive: true, force: true });
});

/** Fills the file system to its last free page. */
function fill(file: string): void {
  const fd = openSync(file, "a");
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 7));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!canMount)("the spool on a full disk", () => {
  it("a record cut short leaves the segment as it was, and the next one follows the last whole record", () => {
    const writer = new SpoolWriter(join(dir, "spool"));
    const meta = (n: number) => JSON.stringify({ n });
    writer.append(meta(1), Buffer.from("first request"), Buffer.from("first reply"));
    const whole = writer.size;
    const filler = join(dir, "filler");
    fill(filler);
    // Larger than what is left of the segment's last page: part of it is written, then ENOSPC.
    const big = Buffer.alloc(12_000, 0x61);
    let code = "";
    try {
      writer.append(meta(2), big, big);
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code ?? "";
    }
    expect(code).toBe("ENOSPC");
    expect(writer.size).toBe(whole);
    expect(statSync(writer.path()).size).toBe(whole);

    rmSync(filler);
    writer.append(meta(3), Buffer.from("third request"), Buffer.from("third reply"));
    expect(statSync(writer.path()).size).toBe(writer.size);
    const read = readSpool(writer.path(), 0, null);
    expect(read.torn).toBe(false);
    expect(read.end).toBe(writer.size);
    expect(read.items.map((i) => JSON.parse(i.meta).n)).toEqual([1, 3]);
    expect(read.items.map((i) => Buffer.from(i.response).toString())).toEqual(["first reply", "third reply"]);
    writer.rotate();
  });
});
