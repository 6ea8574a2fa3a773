import { spawn } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { cliPath, tempDataDir } from "../support/cli.js";

const COUNT = 600;

/** Runs the CLI with a reader that takes each chunk, then pauses before the next (a slow `| jq`). */
function runIntoSlowPipe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: tempDataDir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      chunks.push(d);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 5);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(chunks).toString("utf8"), stderr }));
  });
}

/** Runs the CLI and closes the reading end after the first chunk (`| head -c N`). */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string; got: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: tempDataDir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let got = 0;
    let stderr = "";
    child.stdout.once("data", (d: Buffer) => {
      got = d.length;
      child.stdout.destroy();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr, got }));
  });
}

describe("output to pipes", () => {
  const dir = tempDataDir();

  beforeAll(async () => {
    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    await store.addMany(
      Array.from({ length: COUNT }, (_, i) => ({
        user_id: "default_user",
        memory: `memory ${i}: ${"a line of a long captured answer about the build and its tests ".repeat(6)}`,
      })),
    );
    await store.close();
  });

  it("delivers all of a large output to a slow reader before exiting", async () => {
    const list = await runIntoSlowPipe(["list", "--json", "--all", "--limit", "100", "--data-dir", dir]);
    expect(list.code).toBe(0);
    expect(list.stdout.length).toBeGreaterThan(256 * 1024);
    expect((JSON.parse(list.stdout) as { memories: unknown[] }).memories).toHaveLength(COUNT);
    const text = await runIntoSlowPipe(["list", "--all", "--data-dir", dir]);
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split("\n")).toHaveLength(COUNT);
    const exported = await runIntoSlowPipe(["export", "--data-dir", dir]);
    expect(exported.code).toBe(0);
    expect(exported.stdout.trimEnd().split("\n")).toHaveLength(COUNT);
  });

  it("ends quietly when the reader closes the pipe early", async () => {
    for (const args of [
      ["list", "--json", "--all", "--data-dir", dir],
      ["export", "--data-dir", dir],
    ]) {
      const r = await runIntoClosedPipe(args);
      expect(r.got, args[0]).toBeGreaterThan(0);
      expect(r.code, args[0]).toBe(0);
      expect(r.stderr, args[0]).not.toMatch(/EPIPE|Error|at /);
    }
  });
});
