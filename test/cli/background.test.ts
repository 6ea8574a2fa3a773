import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pidAlive, readProxyStatus } from "../../src/capture/proxy/proxy-status.js";
import { PROXY_NODE_FLAGS } from "../../src/cli/node-flags.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";

const started: number[] = [];
afterAll(() => {
  // A failed assertion must not leave a detached proxy behind.
  for (const pid of started) if (pidAlive(pid)) process.kill(pid, "SIGTERM");
});

describe("start --background and stop", () => {
  it("starts a detached proxy that answers, refuses a second one, and stops it gracefully", async () => {
    const data = tempDataDir("mmm-bg-");
    const env = { HOME: data, MEMORY_DATA_DIR: data };
    const r = await runCli(["start", "--background", "--port", "0", "--no-ui"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const m = /running in the background on (http:\/\/127\.0\.0\.1:(\d+)) \(pid (\d+)\)/.exec(r.stdout);
    expect(m).not.toBeNull();
    const [, url, , pidText] = m as RegExpExecArray;
    const pid = Number(pidText);
    started.push(pid);
    // The command has returned; the proxy lives on in its own process and answers as this data directory's.
    expect(pidAlive(pid)).toBe(true);
    const health = (await (await fetch(`${url}/__mcp-mitm-mem0/health`)).json()) as {
      pid: number;
      dataDir: string;
    };
    expect(health).toMatchObject({ pid, dataDir: data });
    expect(readProxyStatus(data)).toMatchObject({ pid, running: true });
    if (existsSync(`/proc/${pid}/cmdline`)) {
      // Started with the proxy's node flags (node-flags.ts), whatever this process was started with.
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
      expect(argv.slice(0, PROXY_NODE_FLAGS.length + 2)).toEqual([
        process.execPath,
        ...PROXY_NODE_FLAGS,
        realpathSync(cliPath),
      ]);
    }

    const again = await runCli(["start", "--background", "--port", "0", "--no-ui"], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`already running on ${url} (pid ${pid}`);

    const stop = await runCli(["stop"], { env });
    expect(stop.stderr).toBe("");
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`stopped the capture proxy on ${url} (pid ${pid})`);
    // stop returns once the process is gone, after the proxy's own clean shutdown.
    expect(pidAlive(pid)).toBe(false);
    expect(readProxyStatus(data)?.running).toBe(false);
    expect(readFileSync(join(data, "proxy.log"), "utf8")).toContain('"msg":"capture proxy stopped"');

    const twice = await runCli(["stop"], { env });
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain("not running");
  });

  it("reports a proxy that exits at start with the log's last lines", async () => {
    const data = tempDataDir("mmm-bg-fail-");
    const r = await runCli(["start", "--background", "--host", "0.0.0.0", "--port", "0", "--no-ui"], {
      env: { HOME: data, MEMORY_DATA_DIR: data },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the proxy exited at start (code 2)");
    expect(r.stderr).toContain("refusing to listen on 0.0.0.0");
  });

  it("refuses to start when the configured port is held by another program", async () => {
    const data = tempDataDir("mmm-bg-busy-");
    const { createServer } = await import("node:net");
    const sockets = new Set<import("node:net").Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {}); // the probe's client may reset the connection
      s.end("not a proxy\n");
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(["start", "--background", "--port", String(port), "--no-ui"], {
        env: { HOME: data, MEMORY_DATA_DIR: data },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is held by another program`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((res) => server.close(res));
    }
  });
});
