import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/progress.js";
import { hasScript, runCli, runCliOnTty, tempDataDir } from "../support/cli.js";

function fakeTerminal(isTTY: boolean) {
  const writes: string[] = [];
  let clock = 0;
  return {
    writes,
    stream: { isTTY, write: (s: string) => writes.push(s) > 0 },
    now: () => clock,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("createProgress", () => {
  it("redraws one line at most every 100 ms and ends with the final count", () => {
    const t = fakeTerminal(true);
    const p = createProgress("imported", t.stream, t.now);
    p.update(1000);
    p.update(2000); // same instant: not redrawn
    t.advance(100);
    p.update(3000, 4000);
    p.update(3500, 4000);
    p.done();
    expect(t.writes).toEqual([
      "\rimported: 1000",
      "\rimported: 3000/4000 (75%)",
      "\rimported: 3500/4000 (87%)",
      "\n",
    ]);
  });

  it("writes nothing when the stream is not a terminal", () => {
    const t = fakeTerminal(false);
    const p = createProgress("imported", t.stream, t.now);
    p.update(1);
    p.done();
    expect(t.writes).toEqual([]);
  });
});

describe.skipIf(!hasScript())("import progress on a terminal", () => {
  it("shows a running count on a TTY, and none when stderr is a pipe", async () => {
    const dir = tempDataDir();
    const file = join(dir, "many.jsonl");
    const n = 2500;
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ memory: `bulk note ${i} about the deploy`, user_id: "bulk" }),
    );
    writeFileSync(file, `${lines.join("\n")}\n`);

    const tty = await runCliOnTty(["import", file, "--data-dir", dir]);
    expect(tty.code).toBe(0);
    expect(tty.output).toContain("\rimported: 1000");
    expect(tty.output).toMatch(new RegExp(`\\rimported: ${n}\\r?\\n`));
    expect(tty.output).toContain(`imported ${n} memories, 0 already present`);

    const piped = await runCli(["import", file, "--data-dir", dir]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain("\r");
    expect(piped.stderr).toContain(`imported 0 memories, ${n} already present`);
  });
});
