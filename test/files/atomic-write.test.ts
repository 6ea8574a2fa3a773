import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic, writeFileAtomicKeepingMode } from "../../src/files/atomic-write.js";

describe("writeFileAtomic", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "mmm-atomic-"));

  it("replaces the file whole, with the mode asked for whatever the umask, and leaves no temporary file", () => {
    const d = dir();
    const path = join(d, "state.json");
    writeFileSync(path, "old", { mode: 0o644 });
    const umask = process.umask(0o000);
    try {
      writeFileAtomic(path, "new");
      expect(statSync(path).mode & 0o777).toBe(0o600);
      writeFileAtomic(join(d, "ca.pem"), "cert", 0o644);
      expect(statSync(join(d, "ca.pem")).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(readdirSync(d).sort()).toEqual(["ca.pem", "state.json"]);
  });

  it("keeps the old content and removes the temporary file when the write cannot complete", () => {
    const d = dir();
    const target = join(d, "is-a-directory");
    mkdirSync(target);
    expect(() => writeFileAtomic(target, "data")).toThrow();
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readdirSync(d)).toEqual(["is-a-directory"]);
  });
});

describe("writeFileAtomicKeepingMode", () => {
  it("keeps an existing file's mode, writes through a symbolic link to its target, and gives a new file the mode asked for", () => {
    const d = mkdtempSync(join(tmpdir(), "mmm-atomic-keep-"));
    const target = join(d, "dotfiles-settings.json");
    writeFileSync(target, "{}");
    chmodSync(target, 0o640);
    const link = join(d, "settings.json");
    symlinkSync(target, link);
    expect(writeFileAtomicKeepingMode(link, '{"a":1}', 0o600)).toBe(0o640);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe('{"a":1}');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    const fresh = join(d, "new.json");
    expect(writeFileAtomicKeepingMode(fresh, "x", 0o644)).toBe(0o644);
    expect(statSync(fresh).mode & 0o777).toBe(0o644);
  });
});
