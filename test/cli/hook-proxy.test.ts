import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  configEnv,
  type HookRequest,
  PROTOCOL_VERSION,
  SOCKET_NAME,
} from "../../src/cli/hook/hook-client.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type StartedProxy, spawnStart } from "../capture/support/cli-process.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { cliPath, type RunResult, repoRoot, runCli, tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";

/**
 * `hook <EventName>` answered by the running proxy over `<data dir>/recall.sock`
 * (src/cli/hook/hook-server.ts), against the same hook answered in-process:
 * a real `start`, the built CLI driven with Claude Code's stdin JSON.
 */

const PROJECT = "/home/dev/acme-api";
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
const NOT_SERVED = "not answered by a running proxy";

function hook(event: string, input: Record<string, unknown>, dataDir: string, args: string[] = []) {
  return runCli(["hook", event, "--debug", ...args], {
    env: { MEMORY_DATA_DIR: dataDir },
    cwd: dataDir,
    input: JSON.stringify(input),
  });
}

const common = (event: string, session: string) => ({
  session_id: session,
  transcript_path: `/home/dev/.claude/projects/-home-dev-acme-api/${session}.jsonl`,
  cwd: PROJECT,
  hook_event_name: event,
});
const prompt = (text: string, session: string) => ({
  ...common("UserPromptSubmit", session),
  permission_mode: "default",
  prompt: text,
});
const start = (source: string, session: string) => ({ ...common("SessionStart", session), source });

/** One Claude Code session's hooks, in order: prompts (one short, one a repeat), briefings, compaction. */
const SESSION: [string, (s: string) => Record<string, unknown>][] = [
  ["UserPromptSubmit", (s) => prompt("the staging deploy fails with a certificate error again", s)],
  ["UserPromptSubmit", (s) => prompt("and the orders index?", s)],
  ["UserPromptSubmit", (s) => prompt("staging deploy certificate error, same as before?", s)],
  ["SessionStart", (s) => start("resume", s)],
  ["SessionStart", (s) => start("compact", s)],
  ["UserPromptSubmit", (s) => prompt("payment webhook retry logic", s)],
];

/** Runs SESSION with fresh session state; `args` are added to every hook command line. */
async function runSession(dir: string, session: string, args: string[] = []): Promise<RunResult[]> {
  rmSync(join(dir, "hook-sessions"), { recursive: true, force: true });
  const out: RunResult[] = [];
  for (const [event, input] of SESSION) out.push(await hook(event, input(session), dir, args));
  return out;
}

async function seed(dir: string): Promise<void> {
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  const episode = (user: string, answer: string) =>
    `User: ${user}\nAssistant: ${answer}\nTrace:\n- Read a.ts`;
  const ep = { kind: "episode", complete: true };
  try {
    await store.addMany([
      {
        user_id: "default_user",
        app_id: PROJECT,
        run_id: "old-1",
        memory: episode(
          "the staging deploy fails with a certificate error",
          "Fixed: the staging deploy needed NODE_EXTRA_CA_CERTS pointing at the corporate bundle.",
        ),
        metadata: ep,
        categories: ["conversation"],
        created_at: "2026-11-02T10:00:00.000Z",
      },
      {
        user_id: "default_user",
        app_id: PROJECT,
        run_id: "old-2",
        memory: episode("add a created_at index to the orders table", "Added migration 0042 (orders index)."),
        metadata: ep,
        categories: ["conversation"],
        created_at: "2026-11-20T09:00:00.000Z",
      },
      {
        user_id: "default_user",
        memory: "Prefers pnpm over npm and small commits",
        categories: ["preference"],
      },
      {
        user_id: "default_user",
        app_id: PROJECT,
        memory: "Finish the retry logic in the payment webhook",
        categories: ["todo"],
      },
      {
        user_id: "default_user",
        app_id: PROJECT,
        memory: "Decided to keep the orders service on PostgreSQL 15",
        categories: ["decision"],
      },
    ]);
  } finally {
    await store.close();
  }
}

/** Sends one raw line to the socket; resolves with the reply line (parsed) once the proxy ends it. */
function rawAsk(path: string, line: string | Buffer, end = true): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      got += d;
    });
    s.on("error", reject);
    s.on("close", () => {
      try {
        resolve(JSON.parse(got) as Record<string, unknown>);
      } catch {
        reject(new Error(`not a JSON reply: ${JSON.stringify(got)}`));
      }
    });
    if (end) s.end(line);
    else s.write(line);
  });
}

function request(
  dir: string,
  input: Record<string, unknown>,
  extraEnv: Record<string, string> = {},
): HookRequest {
  return {
    protocol: PROTOCOL_VERSION,
    version,
    event: String(input.hook_event_name),
    stdin: JSON.stringify(input),
    cwd: dir,
    dataDir: null,
    env: configEnv({ HOME: dir, MEMORY_DATA_DIR: dir, ...extraEnv }),
  };
}

/** A socket file nobody listens on: what a proxy killed with SIGKILL leaves. */
function staleSocket(path: string): void {
  const r = spawnSync(process.execPath, [
    "-e",
    "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
    path,
  ]);
  expect(r.signal).toBe("SIGKILL");
  expect(lstatSync(path).isSocket()).toBe(true);
}

describe("hook <EventName> answered by the running proxy", () => {
  const dir = tempDataDir("mmm-hookproxy-");
  const emptyEnv = join(dir, "empty.env");
  const sock = join(dir, SOCKET_NAME);
  let stub: AnthropicStub;
  let proxy: StartedProxy;

  beforeAll(async () => {
    await seed(dir);
    writeFileSync(emptyEnv, "", { mode: 0o600 });
    stub = await startAnthropicStub();
    // The proxy's own recall settings differ from the hook's (defaults): the hook's must win.
    proxy = await spawnStart(dir, {
      UPSTREAM_URL: stub.url,
      UPSTREAM_CA_FILE: stub.caFile,
      LOG_LEVEL: "warn",
      RECALL_MAX_CHARS: "200",
      RECALL_MIN_SCORE: "0.99",
    });
  });

  afterAll(async () => {
    if (proxy.child.exitCode === null) proxy.child.kill("SIGTERM");
    await proxy.exited;
    await stub.close();
  });

  it("listens on <data dir>/recall.sock, mode 0600, by the time start prints its lines", () => {
    const st = lstatSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("prints exactly what the in-process hook prints, event by event, for the same session state", async () => {
    const served = await runSession(dir, "sess-equal");
    const inProcess = await runSession(dir, "sess-equal", ["--config", emptyEnv]);
    // With --debug a hook that was not served says so on stderr: these were all served.
    for (const r of served) expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(served.map((r) => r.stdout)).toEqual(inProcess.map((r) => r.stdout));
    // Something was said (the relevant episode, briefings), and not always: a repeat adds nothing.
    const withContext = served.filter((r) => r.stdout.includes('"additionalContext"'));
    expect(withContext.length).toBeGreaterThanOrEqual(3);
    expect(served[0]?.stdout).toContain("NODE_EXTRA_CA_CERTS");
    expect(served[2]?.stdout).toBe("");
    expect(served[3]?.stdout).toContain("Prefers pnpm");
    expect(served[3]?.stdout).not.toContain("NODE_EXTRA_CA_CERTS");
    expect(served[4]?.stdout).toContain("NODE_EXTRA_CA_CERTS");
    // The hook's configuration (default RECALL_MAX_CHARS 1500) won over the proxy's 200.
    expect(Math.max(...served.map((r) => r.stdout.length))).toBeGreaterThan(300);
    // Its reads are audited as the hook's.
    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8");
    expect(audit).toMatch(/"entry":"hook","op":"search"/);
    expect(audit).not.toContain("certificate");
  });

  it("answers a garbage request with an error reply and keeps serving", async () => {
    for (const line of [
      "garbage\n",
      "{}\n",
      "[1,2]\n",
      `${JSON.stringify({ protocol: PROTOCOL_VERSION, version })}\n`,
      `${JSON.stringify({ ...request(dir, prompt("x", "s")), env: { HOME: 1 } })}\n`,
      Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
      "no newline at all",
    ]) {
      const reply = await rawAsk(sock, line);
      expect(reply.ok, String(line)).toBe(false);
      expect(String(reply.error)).toMatch(/^bad request: /);
    }
    // Another version, another data directory: declined, so the hook answers in-process.
    const other = await rawAsk(
      sock,
      `${JSON.stringify({ ...request(dir, prompt("x", "s")), version: "0.0.0-x" })}\n`,
    );
    expect(other).toMatchObject({ ok: false });
    const elsewhere = await rawAsk(
      sock,
      `${JSON.stringify(request(dir, prompt("x", "s"), { MEMORY_DATA_DIR: join(dir, "elsewhere") }))}\n`,
    );
    expect(elsewhere).toMatchObject({ ok: false });
    expect(String(elsewhere.error)).toContain("data directory");
    // Bad stdin is the hook's own answer: nothing to print, and why.
    const bad = await rawAsk(
      sock,
      `${JSON.stringify({ ...request(dir, prompt("x", "s")), stdin: "{nope" })}\n`,
    );
    expect(bad).toMatchObject({ ok: true, text: "" });
    expect(String(bad.reason)).toContain("stdin is not JSON");
    expect(proxy.child.exitCode).toBeNull();
    const [served] = await runSession(dir, "sess-after-garbage");
    expect(served).toMatchObject({ code: 0, stderr: "" });
    expect(served?.stdout).toContain("additionalContext");
  });

  it("records the notes as shown only once the client confirms the reply", async () => {
    const session = "sess-unconfirmed";
    const ask = prompt("the staging deploy fails with a certificate error again", session);
    const line = `${JSON.stringify(request(dir, ask))}\n`;
    // A client that read the reply and went away without confirming (its deadline had passed):
    // nothing recorded, so the same notes are added by the next answer.
    const dropped = await rawAsk(sock, line);
    expect(String(dropped.text)).toContain("NODE_EXTRA_CA_CERTS");
    const states = join(dir, "hook-sessions");
    const file = join(states, `${createHash("sha256").update(session).digest("hex").slice(0, 32)}.json`);
    expect(existsSync(file)).toBe(false);
    // The hook command confirms: recorded, so asking again adds nothing.
    const first = await hook("UserPromptSubmit", ask, dir);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toContain("NODE_EXTRA_CA_CERTS");
    expect(JSON.parse(readFileSync(file, "utf8")).shown).toHaveLength(1);
    const again = await hook("UserPromptSubmit", ask, dir);
    expect(again).toMatchObject({ code: 0, stderr: "", stdout: "" });
  });

  it("searches on its own thread: the proxy forwards while a hook is stuck mid-answer", async () => {
    // The session's state file is a FIFO: the hook thread blocks reading it (a synchronous read)
    // until this test writes to it. Opening it for writing returns once the thread opened it.
    const session = "sess-stuck";
    const states = join(dir, "hook-sessions");
    mkdirSync(states, { recursive: true });
    const fifo = join(states, `${createHash("sha256").update(session).digest("hex").slice(0, 32)}.json`);
    rmSync(fifo, { force: true });
    execFileSync("mkfifo", ["-m", "600", fifo]);
    let replied = false;
    const answer = rawAsk(
      sock,
      `${JSON.stringify(request(dir, prompt("the staging deploy certificate error", session), { HOOK_TIMEOUT_MS: "600000" }))}\n`,
    ).finally(() => {
      replied = true;
    });
    const writer = await open(fifo, "w");
    try {
      // The hook thread is now inside runHook, blocked; the forwarding thread is not.
      const before = stub.exchanges.length;
      const res = await fetch(`${proxy.url}/v1/models`, {
        headers: { "x-api-key": stub.apiKey, "anthropic-version": "2023-06-01" },
      });
      await res.arrayBuffer();
      expect(stub.exchanges.length).toBe(before + 1);
      expect(replied).toBe(false);
      await writer.write('{"shown":[],"prompts":[]}');
    } finally {
      await writer.close();
    }
    const reply = await answer;
    expect(reply).toMatchObject({ ok: true });
    expect(String(reply.text)).toContain("NODE_EXTRA_CA_CERTS");
  });

  it("removes the socket when it stops, and the hook then answers in-process", async () => {
    const [before] = await runSession(dir, "sess-stop");
    proxy.child.kill("SIGTERM");
    await proxy.exited;
    expect(existsSync(sock)).toBe(false);
    const [after] = await runSession(dir, "sess-stop");
    expect(after?.stderr).toContain(NOT_SERVED);
    expect(after?.stdout).toBe(before?.stdout);
    expect(after?.stdout).toContain("additionalContext");
  });
});

describe("a stale recall.sock (a proxy killed with SIGKILL)", () => {
  const dir = tempDataDir("mmm-hookstale-");
  const sock = join(dir, SOCKET_NAME);
  let proxy: StartedProxy | null = null;

  beforeAll(async () => {
    await seed(dir);
    staleSocket(sock);
  });

  afterAll(async () => {
    if (proxy && proxy.child.exitCode === null) proxy.child.kill("SIGTERM");
    await proxy?.exited;
  });

  it("the hook falls back and still answers; the next start replaces the file and serves", async () => {
    const [fallback] = await runSession(dir, "sess-stale");
    expect(fallback?.code).toBe(0);
    expect(fallback?.stderr).toContain(NOT_SERVED);
    expect(fallback?.stderr).toContain("ECONNREFUSED");
    expect(fallback?.stdout).toContain("additionalContext");

    proxy = await spawnStart(dir, { UPSTREAM_URL: "http://127.0.0.1:9", LOG_LEVEL: "warn" });
    await until(() => existsSync(sock), "the socket");
    const [served] = await runSession(dir, "sess-stale");
    expect(served).toMatchObject({ code: 0, stderr: "" });
    expect(served?.stdout).toBe(fallback?.stdout);
  });
});

describe("hook <EventName> answered by a running `watch` (capture from transcripts, no proxy)", () => {
  const dir = tempDataDir("mmm-hookwatch-");
  const sock = join(dir, SOCKET_NAME);
  const projects = join(dir, "projects");

  beforeAll(async () => {
    await seed(dir);
    mkdirSync(projects, { recursive: true });
  });

  it("serves on <data dir>/recall.sock while it runs, and removes it when it stops", async () => {
    const child = spawn(process.execPath, [cliPath, "watch", projects], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, MEMORY_DATA_DIR: dir, LOG_LEVEL: "warn" },
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until(
        () => stderr.includes("watching "),
        () => `watch to start:\n${stderr}`,
      );
      expect(lstatSync(sock).isSocket()).toBe(true);
      const [served] = await runSession(dir, "sess-watch");
      // With --debug a hook that was not served says so on stderr: this one was.
      expect(served).toMatchObject({ code: 0, stderr: "" });
      expect(served?.stdout).toContain("NODE_EXTRA_CA_CERTS");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
    const [after] = await runSession(dir, "sess-watch");
    expect(after?.stderr).toContain(NOT_SERVED);
    expect(after?.stdout).toContain("NODE_EXTRA_CA_CERTS");
  });
});
