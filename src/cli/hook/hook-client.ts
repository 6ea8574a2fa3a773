/**
 * The hook command's fast path: ask the running proxy, over the Unix socket
 * in the data directory (`<data dir>/recall.sock`), to answer the hook with
 * the same code the in-process path runs (hook-server.ts). Loads node:net and
 * nothing of this project beyond hook-args.ts: no configuration loader, no
 * store. Whatever goes wrong here — no socket, a refused connection, a
 * malformed reply, no reply within CLIENT_DEADLINE_MS, a proxy that declines
 * (another version, another data directory, a backend it does not serve) —
 * resolves to null, and the caller answers in-process instead.
 *
 * The request carries the hook's stdin, its working directory, `--data-dir`,
 * and the environment variables the configuration reads, so that the proxy
 * derives exactly the configuration this process would (its own may differ).
 * Secret values are sent as asterisks of the same length: validity and
 * presence are all the hook's configuration needs of them. An accepted
 * reply is confirmed with ACK_LINE before it is printed.
 */
import { connect } from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { HookArgs } from "./hook-args.js";

/** The socket's name in the data directory. */
export const SOCKET_NAME = "recall.sock";
/** How long the fast path waits for the proxy's answer before answering in-process. */
export const CLIENT_DEADLINE_MS = 1000;
/**
 * Longest socket path, in bytes (macOS allows 103, Linux 107). Node does not
 * refuse a longer one: it cuts it, binding or reaching another path.
 */
export const MAX_SOCKET_PATH_BYTES = 103;
/** Bumped when the request or reply changes shape. */
export const PROTOCOL_VERSION = 2;
/**
 * What the client sends back once it accepted an `ok` reply (it prints it
 * next): only then does the proxy record the notes as shown in the
 * session's state. A reply the client gave up on (its deadline passed) is
 * never confirmed, so the in-process answer that follows sees the same
 * state and adds the same notes.
 */
export const ACK_LINE = "ack\n";

/**
 * The environment variables the configuration reads (core/config.ts ENV_VARS
 * and SHARED_VARS, and what the default folders come from); `true` marks the
 * secret ones. test/cli/hook-client.test.ts keeps this in step with config.ts.
 */
export const CONFIG_ENV: Readonly<Record<string, boolean>> = {
  MEM0_API_KEY: true,
  MEM0_ORG_ID: false,
  MEM0_PROJECT_ID: false,
  MEM0_BASE_URL: false,
  MEM0_API_VERSION: false,
  MEM0_INFER: false,
  MEM0_TIMEOUT_MS: false,
  MEMORY_BACKEND: false,
  DATABASE_URL: true,
  DATABASE_TIMEOUT_MS: false,
  DEFAULT_USER_ID: false,
  DEFAULT_AGENT_ID: false,
  DEFAULT_APP_ID: false,
  MITM_HOST: false,
  MITM_PORT: false,
  MCP_NAME: false,
  MCP_HTTP_PORT: false,
  MCP_HTTP_TOKEN: true,
  WEB_PORT: false,
  WEB_TOKEN: true,
  MEMORY_LOG_LEVEL: false,
  MEMORY_DATA_DIR: false,
  AUDIT_RETENTION_DAYS: false,
  UPSTREAM_URL: false,
  UPSTREAM_CA_FILE: false,
  INTERCEPT_HOSTS: false,
  PROXY_AUTH_TOKEN: true,
  AUTH_MODE: false,
  REFLECTION_EVERY: false,
  EPISODE_IDLE_MINUTES: false,
  DISK_RESERVE_KB: false,
  MEMORY_INJECT: false,
  MEMORY_INJECT_MAX_CHARS: false,
  MEMORY_INJECT_TIMEOUT_MS: false,
  REFLECTION_MODEL: false,
  REFLECTION_BASE_URL: false,
  ANTHROPIC_API_KEY: true,
  EMBEDDINGS_URL: false,
  EMBEDDINGS_MODEL: false,
  EMBEDDINGS_API_KEY: true,
  EMBEDDINGS_WEIGHT: false,
  EMBEDDINGS_TIMEOUT_MS: false,
  CLAUDE_CONFIG_DIR: false,
  RECALL_MAX_CHARS: false,
  RECALL_MIN_SCORE: false,
  HOOK_TIMEOUT_MS: false,
  DEBUG: false,
  LOG_LEVEL: false,
  HOME: false,
  XDG_DATA_HOME: false,
  XDG_CONFIG_HOME: false,
};

/** What the hook sends: one JSON line. */
export interface HookRequest {
  protocol: number;
  /** This build's package version; a proxy of another version declines. */
  version: string;
  event: string;
  stdin: string;
  cwd: string;
  /** `--data-dir`, when given. */
  dataDir: string | null;
  env: Record<string, string>;
}

/** What the proxy answers: one JSON line. `ok: false` means "answer in-process". */
export type HookReply =
  | { ok: true; text: string; reason?: string | undefined; debug?: boolean | undefined }
  | { ok: false; error: string };

/**
 * `<data dir>/recall.sock` for this command line, with the data directory
 * found as load-config.ts finds it before reading any `.env` file; null with
 * `--config` (a file only the configuration loader reads), and for a path
 * too long for a socket.
 */
export function socketPathFor(args: HookArgs, env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (args.config !== undefined) return null;
  const base = env.XDG_DATA_HOME?.trim() || join(env.HOME?.trim() || homedir(), ".local", "share");
  const dataDir = resolve(cwd, args.dataDir ?? (env.MEMORY_DATA_DIR?.trim() || join(base, "mcp-mitm-mem0")));
  const path = join(dataDir, SOCKET_NAME);
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES ? path : null;
}

/** The configuration's variables from `env`, secrets masked (same length, so equally valid). */
export function configEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, secret] of Object.entries(CONFIG_ENV)) {
    const v = env[name];
    if (v === undefined) continue;
    out[name] = secret && v.trim() !== "" ? "*".repeat(v.trim().length) : v;
  }
  return out;
}

/** A reply as the client accepts it, or null for anything malformed. */
export function parseReply(line: string): HookReply | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (r.ok === true && typeof r.text === "string") {
    return {
      ok: true,
      text: r.text,
      reason: typeof r.reason === "string" ? r.reason : undefined,
      debug: r.debug === true,
    };
  }
  if (r.ok === false && typeof r.error === "string") return { ok: false, error: r.error };
  return null;
}

/**
 * Sends `request` to the socket; the reply, or a sentence saying why there
 * is none. `onAccepted` runs on an accepted `ok` reply before the receipt
 * (ACK_LINE) is sent, so that what it prints is out before the proxy
 * records it as shown.
 */
export function ask(
  path: string,
  request: HookRequest,
  deadlineMs = CLIENT_DEADLINE_MS,
  onAccepted: (reply: HookReply & { ok: true }) => void = () => {},
): Promise<HookReply | { ok: false; error: string }> {
  return new Promise((done) => {
    let received = "";
    let settled = false;
    const socket = connect(path);
    const finish = (reply: HookReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!reply.ok) {
        socket.destroy();
        done(reply);
        return;
      }
      onAccepted(reply);
      // Resolved once the receipt is flushed (or the socket is gone): the process may exit next.
      let told = false;
      const tell = () => {
        if (told) return;
        told = true;
        done(reply);
      };
      socket.once("close", tell);
      socket.end(ACK_LINE, tell);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no reply within ${deadlineMs} ms` }),
      deadlineMs,
    );
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (d: string) => {
      received += d;
      const end = received.indexOf("\n");
      if (end >= 0) {
        finish(parseReply(received.slice(0, end)) ?? { ok: false, error: "malformed reply" });
      }
    });
    socket.on("error", (e: NodeJS.ErrnoException) =>
      finish({ ok: false, error: `cannot reach the proxy (${e.code ?? e.message})` }),
    );
    socket.on("close", () => finish({ ok: false, error: "the proxy closed the connection without a reply" }));
  });
}

/**
 * Asks the running proxy to answer the hook. Resolves to the reply when it
 * answered (`text` may be "": nothing to print; `onAccepted` printed it),
 * else to the reason it did not, for the caller to answer in-process.
 */
export async function askRunningProxy(
  args: HookArgs,
  stdin: string,
  version: string,
  deadlineMs = CLIENT_DEADLINE_MS,
  onAccepted: (reply: HookReply & { ok: true }) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<HookReply> {
  const path = socketPathFor(args, env, cwd);
  if (path === null) return { ok: false, error: "no socket path (the data directory's path is too long)" };
  return ask(
    path,
    {
      protocol: PROTOCOL_VERSION,
      version,
      event: args.event,
      stdin,
      cwd,
      dataDir: args.dataDir ?? null,
      env: configEnv(env),
    },
    deadlineMs,
    onAccepted,
  );
}
