import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type StartedProxy, spawnStart } from "../capture/support/cli-process.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { type RunResult, runCli } from "../support/cli.js";
import { until } from "../support/until.js";

/**
 * The real Claude Code CLI (`claude -p`), set up by `setup claude-code` in a
 * temp HOME, routed by ANTHROPIC_BASE_URL through the proxy in reverse mode
 * to the strict stand-in of api.anthropic.com. Checks that the hooks' notes
 * reach the request the model would see, and that the turn is stored as an
 * episode without them. The CLI comes from CLAUDE_CODE_BIN (.ci/run installs
 * it from the npm registry into a temp prefix); without it the test is
 * skipped with a reason, except in CI, where it fails.
 */
const CLAUDE = process.env.CLAUDE_CODE_BIN ?? "";
const available = CLAUDE !== "" && existsSync(CLAUDE);
if (!available) {
  if (process.env.CI)
    throw new Error("CI: CLAUDE_CODE_BIN must name an installed Claude Code CLI (.ci/run installs it)");
  process.stdout.write(
    "skipping test/e2e/claude-code-hooks.test.ts: set CLAUDE_CODE_BIN to a Claude Code CLI (npm install --prefix DIR @anthropic-ai/claude-code@2.1.197; DIR/node_modules/.bin/claude)\n",
  );
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    // A CLI that hangs fails the test with what it printed, instead of timing the test out.
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Every text the model was sent in a request: system blocks and message text blocks. */
function textsOf(body: Buffer): string {
  const b = JSON.parse(body.toString("utf8")) as {
    system?: unknown;
    messages?: { content: unknown }[];
  };
  const parts: string[] = [];
  const collect = (c: unknown) => {
    if (typeof c === "string") parts.push(c);
    else if (Array.isArray(c))
      for (const x of c) if (x && typeof x === "object" && typeof x.text === "string") parts.push(x.text);
  };
  collect(b.system);
  for (const m of b.messages ?? []) collect(m.content);
  return parts.join("\n");
}

describe.skipIf(!available)("real Claude Code with the hooks, through the proxy", () => {
  let stub: AnthropicStub;
  let proxy: StartedProxy;
  const root = mkdtempSync(join(tmpdir(), "mmm-cc-e2e-"));
  const home = join(root, "home");
  const data = join(root, "data");
  const project = join(root, "acme-api");
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(home);
    mkdirSync(project);
    stub = await startAnthropicStub();
    stub.replier = () => ({
      content: [{ type: "text", text: "Use the corporate bundle again, as before." }],
    });
    // A past session of this project, and a stated preference.
    const store = SqliteMemoryStore.open(join(data, "memories.db"));
    await store.add({
      user_id: "default_user",
      app_id: project,
      run_id: "an-old-session",
      memory:
        "User: the staging deploy fails with a certificate error\nAssistant: Fixed: deploy.sh needed NODE_EXTRA_CA_CERTS pointing at the corporate bundle.\nTrace:\n- Edit deploy.sh",
      metadata: { kind: "episode", complete: true, source: "capture" },
      categories: ["conversation"],
      created_at: "2026-11-02T10:00:00.000Z",
    });
    await store.add({
      user_id: "default_user",
      memory: "Prefers small commits with a why in the message",
      categories: ["preference", "preferences"],
    });
    await store.close();
    const ours = {
      UPSTREAM_URL: stub.url,
      UPSTREAM_CA_FILE: stub.caFile,
      WEB_PORT: "0",
      EPISODE_IDLE_MINUTES: "1",
    };
    proxy = await spawnStart(data, ours);
    // setup writes the port of the configuration it runs with: the one the proxy got.
    const setup = await runCli(["--data-dir", data, "setup", "claude-code"], {
      env: { ...ours, MITM_PORT: String(proxy.port), HOME: home },
      cwd: project,
    });
    expect(setup.code, setup.stderr).toBe(0);
    env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ANTHROPIC_API_KEY: stub.apiKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
    };
  }, 60_000);

  afterAll(async () => {
    proxy?.child.kill("SIGTERM");
    await proxy?.exited;
    await stub?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("the request the model gets carries the notes; the episode is stored without them", async () => {
    const r = await run(
      CLAUDE,
      ["-p", "the staging deploy fails with a certificate error again, what now?"],
      env,
      project,
    );
    const seenPaths = stub.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`).join("\n");
    expect(r.code, `${r.stdout}\n${r.stderr}\n${seenPaths}\n${proxy.stderr().slice(-2000)}`).toBe(0);
    expect(r.stdout).toContain("Use the corporate bundle again");

    const main = stub.exchanges.filter(
      (e) => e.path.startsWith("/v1/messages") && textsOf(e.body).includes("staging deploy"),
    );
    expect(main.length).toBeGreaterThan(0);
    const seen = textsOf(main[0]?.body ?? Buffer.alloc(0));
    // SessionStart's briefing and UserPromptSubmit's recall, as Claude Code placed them.
    expect(seen).toContain("<past-session-notes>");
    expect(seen).toContain("Notes from past sessions");
    expect(seen).toContain("Prefers small commits with a why in the message");
    expect(seen).toContain(
      "[2026-11-02, this project] User: the staging deploy fails with a certificate error",
    );
    expect(seen).toContain("NODE_EXTRA_CA_CERTS");

    // The turn is stored as an episode of this project, its words without the notes.
    let episode = "";
    await until(
      async () => {
        const store = SqliteMemoryStore.open(join(data, "memories.db"), { readonly: true });
        try {
          const page = await store.list({
            filters: { user_id: "default_user", metadata: { kind: "episode", source: "capture" } },
            limit: 10,
          });
          episode = page.memories.find((m) => m.run_id !== "an-old-session")?.memory ?? "";
        } finally {
          await store.close();
        }
        return episode !== "";
      },
      "the captured episode",
      60_000,
    );
    expect(episode).toContain("User: the staging deploy fails with a certificate error again, what now?");
    expect(episode).toContain("Assistant: Use the corporate bundle again, as before.");
    expect(episode).not.toContain("past-session-notes");
    expect(episode).not.toContain("Notes from past sessions");
    expect(readFileSync(join(home, ".claude", "settings.json"), "utf8")).toContain("hook UserPromptSubmit");
  }, 120_000);
});
