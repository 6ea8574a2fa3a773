import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskTokens, tokenFingerprint } from "../../src/core/token-mask.js";
import { runCapture, spawnStart } from "../capture/support/cli-process.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { cliPath, tempDataDir } from "../support/cli.js";

/**
 * No command and no log prints a token: each command runs at debug level with
 * known tokens in its environment (and in the shell variables doctor reads),
 * and neither stdout nor stderr may contain one.
 */
const PROXY_TOKEN = "proxy-token-Zq8wX3vB7nK2mR5t";
const MCP_TOKEN = "mcp-token-Hh4Jk9Lp2Qr6St8Uv";
const WEB_TOKEN = "web-token-Aa1Bb2Cc3Dd4Ee5Ff";
const TOKENS = [PROXY_TOKEN, MCP_TOKEN, WEB_TOKEN];

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  stub = await startAnthropicStub();
  dir = tempDataDir("mmm-tokens-");
  env = {
    UPSTREAM_URL: stub.url,
    UPSTREAM_CA_FILE: stub.caFile,
    LOG_LEVEL: "debug",
    PROXY_AUTH_TOKEN: PROXY_TOKEN,
    MCP_HTTP_TOKEN: MCP_TOKEN,
    WEB_TOKEN,
  };
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectNoToken(what: string, text: string) {
  for (const t of TOKENS) {
    if (text.includes(t)) throw new Error(`${what} printed a token:\n${text}`);
  }
}

/** A long-running command: its output until it printed `ready`, then SIGTERM and the rest. */
async function runUntil(args: string[], extraEnv: Record<string, string>, ready: RegExp): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, [cliPath, "--debug", "--data-dir", dir, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, WEB_PORT: "0", ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let all = "";
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    all += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      all += d;
      if (ready.test(all)) resolve();
    });
    void closed.then(() => reject(new Error(`${args.join(" ")} exited before it was ready:\n${all}`)));
  });
  child.kill("SIGTERM");
  await closed;
  return all;
}

describe("tokens in output", () => {
  it("maskTokens replaces known tokens, /t/<token> paths, URL passwords and token= parameters", () => {
    const fp = tokenFingerprint(PROXY_TOKEN);
    expect(fp).toMatch(/^\[token sha256:[0-9a-f]{8}\]$/);
    expect(maskTokens(`x ${PROXY_TOKEN} y`, [PROXY_TOKEN])).toBe(`x ${fp} y`);
    expect(maskTokens(`http://127.0.0.1:8080/t/${PROXY_TOKEN}/v1`)).toBe(`http://127.0.0.1:8080/t/${fp}/v1`);
    expect(maskTokens(`http://mcp:${PROXY_TOKEN}@127.0.0.1:8080`)).toBe(`http://mcp:${fp}@127.0.0.1:8080`);
    expect(maskTokens(`http://h/login?token=${PROXY_TOKEN}&next=/`)).toBe(
      `http://h/login?token=${fp}&next=/`,
    );
    // A shell reference names the variable, not its value: kept.
    const ref = `export ANTHROPIC_BASE_URL=http://127.0.0.1:8080/t/${"$"}{PROXY_AUTH_TOKEN}`;
    expect(maskTokens(ref)).toBe(ref);
    const auth = `HTTPS_PROXY=http://mcp:${"$"}{PROXY_AUTH_TOKEN}@127.0.0.1:8080`;
    expect(maskTokens(auth)).toBe(auth);
  });

  it("start, a request with the token in its path, status, doctor, mcp --http and ui print no token at debug level", async () => {
    const proxy = await spawnStart(dir, env, dir);
    let startOutput = "";
    try {
      // Base-URL traffic authorised by the /t/<token> path, and one with a wrong token.
      const ok = await fetch(`${proxy.url}/t/${PROXY_TOKEN}/v1/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": stub.apiKey,
          "anthropic-version": "2023-06-01",
        },
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          max_tokens: 16,
          messages: [{ role: "user", content: "hello" }],
        }),
      });
      expect(ok.status).toBe(200);
      const okBody = await ok.text();
      const wrong = await fetch(`${proxy.url}/t/${PROXY_TOKEN}x/v1/messages`, { method: "POST", body: "{}" });
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expectNoToken("the proxy's error reply", await wrong.text());
      expect(okBody.length).toBeGreaterThan(0);

      const shell = {
        ANTHROPIC_BASE_URL: `${proxy.url}/t/${PROXY_TOKEN}`,
        HTTPS_PROXY: `http://mcp:${PROXY_TOKEN}@${new URL(proxy.url).host}`,
      };
      for (const args of [["status"], ["status", "--json"], ["doctor"], ["doctor", "--json"]]) {
        const r = await runCapture(["--debug", "--data-dir", dir, ...args], { ...env, ...shell }, dir);
        expect(`${r.stdout}${r.stderr}`.length).toBeGreaterThan(0);
        expectNoToken(args.join(" "), `${r.stdout}\n${r.stderr}`);
        if (args[0] === "doctor") expect(r.stdout).toContain(tokenFingerprint(PROXY_TOKEN));
      }
      // A doctor whose base URL carries a token that is not the configured one still masks it.
      const other = "some-other-token-0123456789abc";
      const r = await runCapture(
        ["--debug", "--data-dir", dir, "doctor"],
        { ...env, ANTHROPIC_BASE_URL: `http://127.0.0.1:1/t/${other}` },
        dir,
      );
      expect(r.stdout).toContain("ANTHROPIC_BASE_URL is http://127.0.0.1:1/t/[token sha256:");
      expect(`${r.stdout}${r.stderr}`).not.toContain(other);
    } finally {
      proxy.child.kill("SIGTERM");
      await proxy.exited;
      startOutput = `${proxy.stdout()}\n${proxy.stderr()}`;
    }
    expect(startOutput).toContain("export ANTHROPIC_BASE_URL=");
    expect(startOutput).toContain('"level":"debug"');
    expectNoToken("start", startOutput);

    const mcp = await runUntil(["mcp", "--http", "--port", "0"], {}, /listening on http/);
    expect(mcp).toContain(`MCP_HTTP_TOKEN ${tokenFingerprint(MCP_TOKEN)}`);
    expectNoToken("mcp --http", mcp);

    const ui = await runUntil(["ui", "--port", "0"], {}, /login link/);
    expectNoToken("ui", ui);
  });

  it("a configuration error about a token does not echo it", async () => {
    const r = await runCapture(
      ["--debug", "--data-dir", dir, "status"],
      { PROXY_AUTH_TOKEN: "short-tok" },
      dir,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("PROXY_AUTH_TOKEN");
    expect(`${r.stdout}${r.stderr}`).not.toContain("short-tok");
  });
});
