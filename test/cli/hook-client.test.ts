import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseHookArgs } from "../../src/cli/hook/hook-args.js";
import {
  ACK_LINE,
  ask,
  CONFIG_ENV,
  configEnv,
  type HookRequest,
  PROTOCOL_VERSION,
  SOCKET_NAME,
  socketPathFor,
} from "../../src/cli/hook/hook-client.js";
import { loadConfig } from "../../src/cli/load-config.js";
import { ENV_VARS, SHARED_VARS } from "../../src/core/config.js";
import { tempDataDir } from "../support/cli.js";

/**
 * The hook command's fast path (src/cli/hook/hook-client.ts): it finds the
 * socket without the configuration loader, so it must find it where the
 * loader puts the data directory, and send every variable the loader reads.
 */

describe("hook client: what it sends and where", () => {
  it("sends every variable the configuration reads, the secret ones masked", () => {
    const names = Object.keys(CONFIG_ENV).sort();
    expect(names).toEqual(
      [...Object.keys(ENV_VARS), ...SHARED_VARS, "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"].sort(),
    );
    for (const [name, spec] of Object.entries(ENV_VARS)) {
      expect(CONFIG_ENV[name], name).toBe(Boolean((spec.kind as { secret?: boolean }).secret));
    }
    const sent = configEnv({
      MEM0_API_KEY: " m0-abcdefghijklmnop ",
      PROXY_AUTH_TOKEN: "   ",
      DEFAULT_USER_ID: "alice",
      GITHUB_TOKEN: "ghp_not_for_the_proxy",
      HOME: "/home/alice",
    });
    expect(sent).toEqual({
      MEM0_API_KEY: "*".repeat("m0-abcdefghijklmnop".length),
      PROXY_AUTH_TOKEN: "   ",
      DEFAULT_USER_ID: "alice",
      HOME: "/home/alice",
    });
  });

  it("finds the socket in the data directory the configuration resolves to", () => {
    const home = tempDataDir("mmm-hookclient-");
    const cwd = join(home, "project");
    mkdirSync(cwd);
    const cases: { env: NodeJS.ProcessEnv; args: string[] }[] = [
      { env: { HOME: home }, args: [] },
      { env: { HOME: home, XDG_DATA_HOME: join(home, "xdg") }, args: [] },
      { env: { HOME: home, XDG_DATA_HOME: "  " }, args: [] },
      { env: { HOME: home, MEMORY_DATA_DIR: "rel/data" }, args: [] },
      { env: { HOME: home, MEMORY_DATA_DIR: join(home, "abs") }, args: [] },
      { env: { HOME: home, MEMORY_DATA_DIR: join(home, "abs") }, args: ["--data-dir", "flag-dir"] },
      { env: { HOME: home }, args: [`--data-dir=${join(home, "flag2")}`] },
    ];
    for (const { env, args } of cases) {
      const hookArgs = parseHookArgs([...args, "hook", "SessionStart"]);
      expect(hookArgs).not.toBeNull();
      const { config } = loadConfig({
        env,
        cwd,
        overrides: { MEMORY_DATA_DIR: hookArgs?.dataDir },
      });
      expect(socketPathFor(hookArgs!, env, cwd), JSON.stringify({ env, args })).toBe(
        join(config.dataDir, SOCKET_NAME),
      );
    }
    // Node cuts a socket path that is too long (and would reach another): none is tried.
    const long = { HOME: home, MEMORY_DATA_DIR: join("/tmp", "d".repeat(100)) };
    expect(socketPathFor(parseHookArgs(["hook", "SessionStart"])!, long, cwd)).toBeNull();
    // --config / --env-file: only the configuration loader reads the file; the fast path steps aside.
    expect(socketPathFor(parseHookArgs(["--config", "x.env", "hook", "SessionStart"])!, {}, cwd)).toBeNull();
    expect(socketPathFor(parseHookArgs(["hook", "SessionStart", "--env-file=x"])!, {}, cwd)).toBeNull();
  });
});

describe("hook client: a proxy that misbehaves gets no say", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  const request: HookRequest = {
    protocol: PROTOCOL_VERSION,
    version: "0.0.0",
    event: "SessionStart",
    stdin: "{}",
    cwd: "/",
    dataDir: null,
    env: {},
  };

  async function fakeProxy(onLine: (socket: Socket, line: string) => void): Promise<string> {
    const dir = tempDataDir("mmm-fakeproxy-");
    const path = join(dir, SOCKET_NAME);
    const server = createServer((socket) => {
      let got = "";
      socket.setEncoding("utf8").on("data", (d: string) => {
        got += d;
        if (got.includes("\n")) onLine(socket, got.slice(0, got.indexOf("\n")));
      });
      socket.on("error", () => {});
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    return path;
  }

  it("accepts a well-formed reply and passes the request through unchanged", async () => {
    let seen = "";
    const path = await fakeProxy((s, line) => {
      seen = line;
      s.end('{"ok":true,"text":"{\\"x\\":1}\\n"}\n');
    });
    expect(await ask(path, request)).toEqual({
      ok: true,
      text: '{"x":1}\n',
      reason: undefined,
      debug: false,
    });
    expect(JSON.parse(seen)).toEqual(request);
  });

  it("confirms an accepted reply with ACK_LINE (the proxy then records it), and nothing else", async () => {
    /** What the client sent after the reply line, once it closed its side. */
    const afterReply = async (reply: string) => {
      const dir = tempDataDir("mmm-ackproxy-");
      const path = join(dir, SOCKET_NAME);
      let rest: Promise<string> = Promise.reject(new Error("no connection"));
      rest.catch(() => {});
      const server = createServer({ allowHalfOpen: true }, (socket) => {
        rest = new Promise((resolve) => {
          let got = "";
          socket.setEncoding("utf8").on("data", (d: string) => {
            const replied = got.includes("\n");
            got += d;
            if (!replied && got.includes("\n")) socket.end(`${reply}\n`);
          });
          socket.on("end", () => resolve(got.slice(got.indexOf("\n") + 1)));
          socket.on("error", () => resolve("(error)"));
        });
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(path, r));
      let printed = 0;
      const answer = await ask(path, request, 1000, () => {
        printed += 1;
      });
      return { answer, printed, rest: await rest };
    };
    expect(await afterReply('{"ok":true,"text":""}')).toEqual({
      answer: { ok: true, text: "", reason: undefined, debug: false },
      printed: 1,
      rest: ACK_LINE,
    });
    expect(await afterReply('{"ok":false,"error":"declined"}')).toEqual({
      answer: { ok: false, error: "declined" },
      printed: 0,
      rest: "",
    });
    expect(await afterReply('{"ok":true}')).toEqual({
      answer: { ok: false, error: "malformed reply" },
      printed: 0,
      rest: "",
    });
  });

  it("treats a malformed reply, a close without reply and a silent proxy as no answer", async () => {
    for (const bad of ['{"ok":true}\n', "not json\n", '{"ok":"yes","text":""}\n', "[]\n"]) {
      const path = await fakeProxy((s) => s.end(bad));
      expect(await ask(path, request), bad).toEqual({ ok: false, error: "malformed reply" });
    }
    const closes = await fakeProxy((s) => s.end());
    expect(await ask(closes, request)).toMatchObject({ ok: false });
    const silent = await fakeProxy(() => {});
    expect(await ask(silent, request, 200)).toEqual({ ok: false, error: "no reply within 200 ms" });
  });

  it("treats no socket, and a file that is not one, as no answer", async () => {
    const dir = tempDataDir("mmm-nosock-");
    expect(await ask(join(dir, SOCKET_NAME), request)).toMatchObject({ ok: false, error: /ENOENT/ });
    writeFileSync(join(dir, SOCKET_NAME), "");
    expect(await ask(join(dir, SOCKET_NAME), request)).toMatchObject({ ok: false });
  });
});
