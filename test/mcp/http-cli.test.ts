import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenFingerprint } from "../../src/core/token-mask.js";
import { cliPath, tempDataDir } from "../support/cli.js";
import { dataOf } from "./harness.js";

let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = tempDataDir("mcp-http-");
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `mcp-mitm-mem0 mcp --http --port 0`; resolves once it prints its URL. */
function startHttp(env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [cliPath, "mcp", "--http", "--port", "0", "--data-dir", dir], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1], stderr: () => err, exited });
    });
    exited.then((code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
}

async function connect(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "http-cli-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

describe("mcp --http", () => {
  it("generates a private token, prints where it is (never the token), serves with it, and exits 0 on SIGTERM", async () => {
    const first = await startHttp();
    const tokenFile = join(dir, "mcp-http-token");
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(first.stderr()).not.toContain(token);
    expect(first.stderr()).toContain(`${tokenFingerprint(token)} (new): cat ${tokenFile}`);

    const client = await connect(first.url, token);
    const added = (await client.callTool({
      name: "add_memory",
      arguments: { text: "Served over HTTP" },
    })) as CallToolResult;
    expect(dataOf(added).status).toBe("created");
    await client.close();
    await expect(connect(first.url, "not-the-token-at-all")).rejects.toThrow(/401|Unauthorized/);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // A restart reuses the saved token and does not print it again.
    const second = await startHttp();
    expect(second.stderr()).not.toContain(token);
    expect(second.stderr()).toContain(tokenFile);
    const again = await connect(second.url, token);
    const found = (await again.callTool({
      name: "search_memories",
      arguments: { query: "HTTP" },
    })) as CallToolResult;
    expect(dataOf(found).results).toHaveLength(1);
    await again.close();
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("uses MCP_HTTP_TOKEN when set and writes no token file", async () => {
    const token = "from-the-environment-0123456789";
    const started = await startHttp({ MCP_HTTP_TOKEN: token });
    const client = await connect(started.url, token);
    expect((await client.listTools()).tools).toHaveLength(10);
    await client.close();
    expect(() => statSync(join(dir, "mcp-http-token"))).toThrow();
    expect(started.stderr()).not.toContain(token);
    expect(started.stderr()).toContain(`MCP_HTTP_TOKEN ${tokenFingerprint(token)}`);
    started.child.kill("SIGTERM");
    expect(await started.exited).toBe(0);
  });
});
