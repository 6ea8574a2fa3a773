import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { j } from "../../bench/lib/secret-corpus.js";
import { runCli, tempDataDir } from "../support/cli.js";

// Fakes assembled at run time (no scanner takes this file for a leak).
const GH = j("gh", "p_", "Zx9", "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVb");
const PW = j("Hun", "ter2", "-Xq7!");

function dataDirBytes(dir: string): string {
  return ["memories.db", "memories.db-wal"]
    .map((f) => join(dir, f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString("latin1"))
    .join("\n");
}

describe("cli: memories added by hand or imported are redacted like captured ones", () => {
  it("add and update redact secrets, say so on stderr without the secret, and --no-redact keeps them", async () => {
    const dir = tempDataDir();
    const cli = (...args: string[]) => runCli([...args, "--data-dir", dir]);

    const added = await cli("add", `deploy token ${GH} and DB_PASSWORD=${PW}`, "--json");
    expect(added.code).toBe(0);
    const memory = JSON.parse(added.stdout).memory;
    expect(memory.memory).toBe("deploy token [REDACTED:github_token] and DB_PASSWORD=[REDACTED:password]");
    expect(added.stderr).toContain("2 secrets redacted (github_token, password); --no-redact keeps them");
    expect(added.stderr + added.stdout).not.toContain(GH);
    expect(added.stderr).not.toContain(PW);

    const updated = await cli("update", memory.id, "--text", `rotated to ${GH}`, "--json");
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout).memory).toBe("rotated to [REDACTED:github_token]");
    expect(updated.stderr).toContain("1 secret redacted (github_token)");

    const kept = await cli("add", `the wifi password is ${PW}`, "--no-redact", "--json");
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout).memory.memory).toBe(`the wifi password is ${PW}`);
    expect(kept.stderr).not.toContain("redacted");

    const disk = dataDirBytes(dir);
    expect(disk.includes(GH)).toBe(false);
    expect(disk.includes(PW)).toBe(true); // only the memory kept on purpose
  });

  it("import redacts each record's text (counted), and import --no-redact stores them as they are", async () => {
    const dir = tempDataDir();
    const file = join(dir, "in.jsonl");
    const records = [
      { user_id: "ann", memory: `the staging key is ${GH}` },
      { user_id: "ann", memory: "prefers pnpm" },
      { user_id: "ann", memory: `{"command":"login with password=${PW}"}` },
    ];
    writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const r = await runCli(["import", file, "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("imported 3 memories, 0 already present; secrets redacted in 2");
    const list = await runCli(["list", "--user", "ann", "--json", "--data-dir", dir]);
    const texts = (JSON.parse(list.stdout).memories as { memory: string }[]).map((m) => m.memory).sort();
    expect(texts).toEqual([
      "prefers pnpm",
      "the staging key is [REDACTED:github_token]",
      '{"command":"login with password=[REDACTED:password]"}',
    ]);
    expect(dataDirBytes(dir).includes(GH)).toBe(false);
    expect(dataDirBytes(dir).includes(PW)).toBe(false);

    const other = tempDataDir();
    const raw = await runCli(["import", file, "--no-redact", "--data-dir", other]);
    expect(raw.code).toBe(0);
    expect(raw.stderr).not.toContain("redacted");
    expect(dataDirBytes(other).includes(GH)).toBe(true);

    const bad = await runCli(["import", "--from", "claude-code", "--no-redact", "--data-dir", other]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--no-redact is for export files");
  });
});
