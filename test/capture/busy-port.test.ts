import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { runCapture, spawnStart } from "./support/cli-process.js";

let stub: AnthropicStub;
let dirs: string[] = [];
let env: Record<string, string>;
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), "mmm-busy-"));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  stub = await startAnthropicStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  env = { UPSTREAM_URL: stub.url, UPSTREAM_CA_FILE: stub.caFile, LOG_LEVEL: "warn", WEB_PORT: "0" };
});
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const proxyCheck = (stdout: string) =>
  (
    JSON.parse(stdout) as { checks: { name: string; ok: boolean; detail: string; fix?: string }[] }
  ).checks.find((c) => c.name === "proxy");

describe("a busy proxy port", () => {
  it("names the proxy already running there (pid, data dir), and tells another data directory's proxy apart", async () => {
    const mine = dir();
    const proxy = await spawnStart(mine, env);
    try {
      const pid = proxy.child.pid;
      const again = await runCapture(["--data-dir", mine, "start", "--port", String(proxy.port)], env);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(
        `the capture proxy is already running on ${proxy.url} (pid ${pid}, data dir ${mine})`,
      );

      const fresh = dir();
      const onPort = { ...env, MITM_PORT: String(proxy.port) };
      const other = await runCapture(["--data-dir", fresh, "start"], onPort);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toContain(
        `a capture proxy of another data directory is already running on ${proxy.url}`,
      );
      expect(other.stderr).toContain(`data dir ${mine}`);

      const doctor = await runCapture(["--data-dir", fresh, "doctor", "--json"], onPort);
      expect(proxyCheck(doctor.stdout)).toMatchObject({ ok: false });
      expect(proxyCheck(doctor.stdout)?.detail).toContain(
        `the proxy of another data directory (pid ${pid}, data dir ${mine})`,
      );
      const status = await runCapture(["--data-dir", fresh, "status"], onPort);
      expect(status.stdout).toContain("is the proxy of another data directory");
      expect(status.stdout).not.toContain("start it with: mcp-mitm-mem0 start\n");
      expect(
        JSON.parse((await runCapture(["--data-dir", fresh, "status", "--json"], onPort)).stdout),
      ).toMatchObject({
        running: false,
        portHeldBy: { kind: "other-data-dir", pid, dataDir: mine },
      });
    } finally {
      proxy.child.kill("SIGTERM");
    }
    expect(await proxy.exited).toBe(0);
  });

  it("says another program holds the port; doctor and status do not advise a start that fails", async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined); // the CLI's probes hang up as they please
      socket.end("SSH-2.0-not-a-proxy\r\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const data = dir();
      const onPort = { ...env, MITM_PORT: String(port) };
      const start = await runCapture(["--data-dir", data, "start"], onPort);
      expect(start.code).not.toBe(0);
      expect(start.stderr).toContain(`port ${port} on 127.0.0.1 is held by another program (not this proxy)`);
      const doctor = await runCapture(["--data-dir", data, "doctor", "--json"], onPort);
      expect(proxyCheck(doctor.stdout)?.detail).toBe(
        `another program (not this proxy) holds http://127.0.0.1:${port}`,
      );
      expect(proxyCheck(doctor.stdout)?.fix).toContain("--port 0");
      const status = await runCapture(["--data-dir", data, "status"], onPort);
      expect(status.stdout).toContain(
        `another program holds http://127.0.0.1:${port}; start it on another port`,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
