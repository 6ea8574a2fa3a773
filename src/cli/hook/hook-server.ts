/**
 * The running proxy's side of the hook fast path: a Unix socket in the data
 * directory (`recall.sock`, mode 0600) that answers `hook <EventName>`
 * requests (hook-client.ts) with the same runHook the in-process path runs,
 * on the configuration the hook command itself would load (derived from the
 * environment it sends), the same session state files, and a read-only
 * SQLite handle of its own audited as `entry: "hook"`. It runs on its own
 * worker thread (hook-worker.ts), never on the thread that forwards bytes.
 *
 * It declines (the hook then answers in-process) what it cannot answer the
 * same way: another package version, a configuration whose data directory
 * is not this one, a backend other than SQLite without embeddings, a store
 * that fails. Requests are answered one at a time, in order.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Config } from "../../core/config.js";
import type { Logger } from "../../core/logger.js";
import { AuditLog } from "../../store/audit-log.js";
import { AuditedMemoryStore } from "../../store/audited-store.js";
import { databasePath } from "../../store/open-store.js";
import { SqliteMemoryStore } from "../../store/sqlite/sqlite-store.js";
import { loadConfig } from "../load-config.js";
import {
  ACK_LINE,
  type HookReply,
  type HookRequest,
  MAX_SOCKET_PATH_BYTES,
  PROTOCOL_VERSION,
  SOCKET_NAME,
} from "./hook-client.js";
import { removeSocketIfOurs } from "./hook-thread.js";
import { isHookEvent, parseHookInput, runHook } from "./run-hook.js";

/** Longest request line accepted (stdin is at most 5 MB; the rest is small). */
export const MAX_REQUEST_CHARS = 6_000_000;
/** A connection that has not sent its request by then is closed. */
const IDLE_MS = 10_000;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The request, or a sentence saying what is wrong with it. */
export function parseRequest(line: string): HookRequest | string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not a JSON object";
  const r = raw as Record<string, unknown>;
  if (r.protocol !== PROTOCOL_VERSION)
    return `protocol ${JSON.stringify(r.protocol)}; expected ${PROTOCOL_VERSION}`;
  for (const field of ["version", "event", "stdin", "cwd"] as const) {
    if (typeof r[field] !== "string") return `${field} is not a string`;
  }
  if (r.dataDir !== null && typeof r.dataDir !== "string") return "dataDir is neither a string nor null";
  const env = r.env;
  if (typeof env !== "object" || env === null || Array.isArray(env)) return "env is not an object";
  if (!Object.values(env).every((v) => typeof v === "string")) return "env has a value that is not a string";
  return r as unknown as HookRequest;
}

/**
 * Answers hook requests for one data directory. Keeps one read-only store
 * handle; whenever another connection has written to the database since the
 * last request (`data_version`), the handle forgets its cached term
 * statistics, so it ranks as the fresh handle of the in-process path would.
 */
export class HookAnswerer {
  private handle: { path: string; store: SqliteMemoryStore; dataVersion: number } | null = null;
  private readonly audits = new Map<number, AuditLog>();

  constructor(
    readonly dataDir: string,
    readonly version: string,
  ) {}

  /**
   * The reply to one request line; `receivedAt` (Date.now()) starts
   * HOOK_TIMEOUT_MS. With `commit`: what to record in the session's state
   * once the client confirms it received the reply (the hook then prints it).
   */
  async answer(line: string, receivedAt = Date.now()): Promise<{ reply: HookReply; commit?: () => void }> {
    const r = await this.reply(line, receivedAt);
    return "reply" in r ? r : { reply: r };
  }

  private async reply(
    line: string,
    receivedAt: number,
  ): Promise<HookReply | { reply: HookReply; commit: () => void }> {
    const req = parseRequest(line);
    if (typeof req === "string") return { ok: false, error: `bad request: ${req}` };
    if (req.version !== this.version) {
      return { ok: false, error: `the proxy runs version ${this.version}, this command is ${req.version}` };
    }
    // The in-process path's checks, in its order, with its messages (hook-main.ts).
    if (!isHookEvent(req.event)) {
      return {
        ok: true,
        text: "",
        reason: `unknown event ${JSON.stringify(req.event)}; expected SessionStart or UserPromptSubmit`,
      };
    }
    let config: Config;
    try {
      config = loadConfig({
        env: req.env,
        cwd: req.cwd,
        overrides: { MEMORY_DATA_DIR: req.dataDir ?? undefined },
      }).config;
    } catch (e) {
      return { ok: true, text: "", reason: message(e) };
    }
    const debug = config.logLevel === "debug";
    if (config.dataDir !== this.dataDir) {
      return { ok: false, error: `its data directory is ${config.dataDir}, the proxy's ${this.dataDir}` };
    }
    if (config.backend !== "sqlite" || config.embeddings !== null) {
      return { ok: false, error: "the proxy answers hooks for the SQLite store without embeddings only" };
    }
    const input = parseHookInput(req.stdin, req.event);
    if (input instanceof Error) return { ok: true, text: "", reason: input.message, debug };
    try {
      const store = new AuditedMemoryStore(this.store(databasePath(config)), this.auditLog(config), {
        entry: "hook",
      });
      const answer = await runHook(req.event, input, { config, store });
      if (Date.now() - receivedAt > config.recall.hookTimeoutMs) {
        return {
          ok: true,
          text: "",
          reason: `no answer within HOOK_TIMEOUT_MS=${config.recall.hookTimeoutMs}`,
          debug,
        };
      }
      return { reply: { ok: true, text: answer.text, debug }, commit: answer.commit };
    } catch (e) {
      this.dropStore();
      return { ok: false, error: `the proxy's store: ${message(e)}` };
    }
  }

  private store(path: string): SqliteMemoryStore {
    const h = this.handle;
    if (h && h.path === path) {
      try {
        const now = h.store.dataVersion();
        if (now !== h.dataVersion) {
          // Written since (capture stores each turn): what this handle cached may be stale.
          h.store.forgetCachedStatistics();
          h.dataVersion = now;
        }
        return h.store;
      } catch {
        // a broken handle: open a new one below
      }
      this.dropStore();
    }
    // Read-only, and never waiting long for a lock: a busy store means no notes this time.
    const store = SqliteMemoryStore.open(path, { readonly: true, busyTimeoutMs: 200 });
    this.handle = { path, store, dataVersion: store.dataVersion() };
    return store;
  }

  private dropStore(): void {
    void this.handle?.store.close().catch(() => {});
    this.handle = null;
  }

  /** One audit log per retention (kept open: opening one prunes the file). */
  private auditLog(config: Config): AuditLog {
    const days = config.audit.retentionDays;
    let log = this.audits.get(days);
    if (!log) {
      // A failed audit write never fails the operation (nor, here, the answer).
      log = new AuditLog(config.dataDir, { retentionDays: days, onFailure: () => {} });
      this.audits.set(days, log);
    }
    return log;
  }

  close(): void {
    this.dropStore();
    for (const log of this.audits.values()) log.close();
    this.audits.clear();
  }
}

export interface HookServer {
  path: string;
  /** The socket file's inode: removed on close only while it is still this one. */
  ino: number;
  close(): Promise<void>;
}

/** Whether something accepts connections on the socket at `path` (a hung listener counts). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true);
    }, 500);
    s.on("connect", () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Listens on `<dataDir>/recall.sock`. A socket file left by a proxy that did
 * not stop cleanly (nothing accepts on it) is replaced; one that a live
 * process listens on is left alone, and so is anything that is not a
 * socket: then this resolves to the reason it does not serve.
 */
export async function serveHooks(opts: {
  dataDir: string;
  version: string;
  logger: Logger;
}): Promise<HookServer | { declined: string }> {
  const { dataDir, logger } = opts;
  const path = join(dataDir, SOCKET_NAME);
  // The folder it is bound in first (below) has a name as long: `.r-XXXXXX/s`.
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return { declined: `${path} is longer than a socket path may be (${MAX_SOCKET_PATH_BYTES} bytes)` };
  }
  const existing = lstatOrNull(path);
  if (existing && !existing.isSocket()) return { declined: `${path} exists and is not a socket` };
  if (existing && (await answers(path))) {
    return { declined: `another process already answers hooks on ${path}` };
  }
  const answerer = new HookAnswerer(dataDir, opts.version);
  let queue: Promise<unknown> = Promise.resolve();
  /** Connections that have not sent their request yet: closed at once on close(). */
  const waiting = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    waiting.add(socket);
    socket.on("close", () => waiting.delete(socket));
    socket.setEncoding("utf8");
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on("error", () => {});
    let buffered = "";
    let taken = false;
    /** Recorded when the client confirms the reply (ACK_LINE); dropped if it goes away first. */
    let pending: (() => void) | null = null;
    let acked = false;
    const reply = (r: HookReply) => {
      if (!socket.destroyed) socket.end(`${JSON.stringify(r)}\n`);
    };
    const confirm = () => {
      const commit = pending;
      pending = null;
      try {
        commit?.();
      } catch (e) {
        // Only repeats are at stake (a note may be added to the session again).
        logger.debug("hook session state not recorded", { error: message(e) });
      }
    };
    const take = (line: string) => {
      taken = true;
      buffered = "";
      waiting.delete(socket);
      const at = Date.now();
      const answered = queue.then(() => answerer.answer(line, at));
      queue = answered.catch(() => {});
      answered.then(
        ({ reply: r, commit }) => {
          logger.debug("hook answered", { ok: r.ok, ms: Date.now() - at });
          if (commit && !socket.destroyed) pending = commit;
          reply(r);
        },
        (e: unknown) => reply({ ok: false, error: `the proxy failed: ${message(e)}` }),
      );
    };
    socket.on("close", () => {
      pending = null;
    });
    socket.on("data", (d: string) => {
      if (taken) {
        // After the request, the only line a client sends is its receipt of the reply.
        buffered = (buffered + d).slice(-ACK_LINE.length - 1);
        if (!acked && buffered.includes(ACK_LINE)) {
          acked = true;
          confirm();
        }
        return;
      }
      buffered += d;
      const end = buffered.indexOf("\n");
      if (end >= 0) take(buffered.slice(0, end));
      else if (buffered.length > MAX_REQUEST_CHARS) {
        taken = true;
        reply({ ok: false, error: "bad request: larger than 6 MB" });
      }
    });
    socket.on("end", () => {
      if (!taken) {
        taken = true;
        waiting.delete(socket);
        reply({ ok: false, error: "bad request: no newline-terminated JSON line" });
      }
    });
  });
  server.maxConnections = 64;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Bound in a fresh 0700 folder, made 0600, then moved into place: no other user can ever
  // connect, whatever the data directory's own mode (and a stale file is replaced atomically).
  const tmp = mkdtempSync(join(dataDir, ".r-"));
  try {
    const bound = join(tmp, "s");
    await listen(server, bound);
    chmodSync(bound, 0o600);
    renameSync(bound, path);
  } catch (e) {
    server.close();
    return { declined: `cannot listen on ${path} (${(e as NodeJS.ErrnoException).code ?? message(e)})` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const ino = statSync(path).ino;
  logger.info("answering Claude Code hooks", { socket: path });
  let closing: Promise<void> | null = null;
  return {
    path,
    ino,
    close: () => {
      closing ??= (async () => {
        // Gone first, so that a hook starting now answers in-process at once.
        removeSocketIfOurs(path, ino);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of waiting) socket.destroy();
        await closed;
        await queue;
        answerer.close();
      })();
      return closing;
    },
  };
}
