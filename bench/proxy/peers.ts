/**
 * The processes a proxy bench run needs: the upstream, our proxy, and
 * mitmdump (the peer) with a capture addon equivalent to ours (parse the
 * request and the reassembled reply, hash a turn key, INSERT OR IGNORE into a
 * WAL SQLite outbox), run as the seed runs it: an addon, no streaming flag.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { join } from "node:path";
import { proxyNodeFlags } from "../lib/proxy-node-flags.js";
import { createTestServerIdentity } from "../lib/tls-identity.js";

export interface Child {
  proc: ChildProcess;
  port: number;
  /** Lines printed on stdout after the first. */
  lines: string[];
  stop(): Promise<void>;
}

/** A spawned node script that answers lines on its stdin (see proxy-child.ts). */
export interface NodeChild extends Child {
  info: Record<string, unknown>;
  /** Writes `line` to its stdin and resolves with the next stdout line. */
  ask(line: string): Promise<string>;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, written to `dir`. */
export async function writeUpstreamIdentity(
  dir: string,
): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const id = await createTestServerIdentity(["localhost", "127.0.0.1"], "bench upstream CA");
  const out = {
    caFile: join(dir, "upstream-ca.pem"),
    certFile: join(dir, "upstream.pem"),
    keyFile: join(dir, "upstream-key.pem"),
  };
  writeFileSync(out.caFile, id.caPem);
  writeFileSync(out.certFile, `${id.certPem}\n${id.caPem}`);
  writeFileSync(out.keyFile, id.keyPem);
  return out;
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      proc.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill("SIGTERM");
    });
}

/** Spawns our proxy as `start` runs it (proxy-child.ts, with `start`'s node flags: proxyNodeFlags()). */
export function spawnProxyChild(args: string[]): Promise<NodeChild> {
  return spawnNode(join(import.meta.dirname, "proxy-child.js"), args, proxyNodeFlags());
}

/**
 * Spawns a node script that prints `{"port":N,...}` as its first stdout line, with `nodeFlags` and
 * then `BENCH_CHILD_ARGS` (space-separated node flags for every child).
 */
export function spawnNode(script: string, args: string[], nodeFlags: string[] = []): Promise<NodeChild> {
  const proc = spawn(
    process.execPath,
    [...nodeFlags, ...(process.env.BENCH_CHILD_ARGS ?? "").split(" ").filter(Boolean), script, ...args],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  const ask = (line: string) =>
    new Promise<string>((resolve) => {
      waiting.push(resolve);
      proc.stdin?.write(`${line}\n`);
    });
  return new Promise((resolve, reject) => {
    let buf = "";
    let first: Record<string, unknown> | null = null;
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let nl = buf.indexOf("\n");
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!first) {
          first = JSON.parse(line) as Record<string, unknown>;
          resolve({ proc, port: Number(first.port), info: first, lines, stop: stopper(proc), ask });
        } else {
          const w = waiting.shift();
          if (w) w(line);
          else lines.push(line);
        }
        nl = buf.indexOf("\n");
      }
    });
    proc.once("exit", (code) => {
      if (!first) reject(new Error(`${script} exited (${code}) before it listened`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error("mitmdump exited before it listened");
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error("mitmdump did not listen in 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ADDON = `
import hashlib, json, sqlite3
from mitmproxy import http

class Capture:
    def __init__(self):
        self.db = sqlite3.connect(DB_PATH, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS outbox (turn_key TEXT PRIMARY KEY, payload TEXT NOT NULL)")

    def response(self, flow: http.HTTPFlow):
        if flow.request.method != "POST" or not flow.request.path.split("?")[0].endswith("/v1/messages"):
            return
        try:
            req = json.loads(flow.request.get_text())
        except Exception:
            return
        user = ""
        for m in reversed(req.get("messages", [])):
            if m.get("role") == "user":
                c = m.get("content")
                user = c if isinstance(c, str) else " ".join(b.get("text", "") for b in c if isinstance(b, dict))
                break
        body = flow.response.get_text() or ""
        reply = []
        if "text/event-stream" in flow.response.headers.get("content-type", ""):
            for line in body.splitlines():
                if line.startswith("data: "):
                    try:
                        ev = json.loads(line[6:])
                    except Exception:
                        continue
                    if ev.get("type") == "content_block_delta" and ev.get("delta", {}).get("type") == "text_delta":
                        reply.append(ev["delta"]["text"])
        else:
            try:
                reply = [b.get("text", "") for b in json.loads(body).get("content", []) if b.get("type") == "text"]
            except Exception:
                pass
        text = "".join(reply)
        key = hashlib.sha256((user + "\\0" + text).encode()).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO outbox VALUES (?, ?)", (key, json.dumps({"user": user, "assistant": text})))

addons = [Capture()]
`;

export function mitmdumpVersion(): string | null {
  try {
    return execFileSync("mitmdump", ["--version"], { encoding: "utf8" }).split("\n")[0]?.trim() ?? null;
  } catch {
    return null;
  }
}

/** mitmdump in reverse mode (to `upstream`) or regular (forward) mode, with the capture addon. */
export async function startMitmdump(
  dir: string,
  mode: "reverse" | "regular",
  upstream: string,
  upstreamCa: string,
): Promise<Child & { caFile: string }> {
  const addon = join(dir, `capture_addon_${mode}.py`);
  writeFileSync(addon, `DB_PATH = ${JSON.stringify(join(dir, `mitm-outbox-${mode}.db`))}\n${ADDON}`);
  const port = await freePort();
  const confdir = join(dir, "mitmproxy");
  const args = [
    ...(mode === "reverse" ? ["--mode", `reverse:${upstream}`] : []),
    "--listen-host",
    "127.0.0.1",
    "--listen-port",
    String(port),
    "--set",
    `confdir=${confdir}`,
    "--set",
    `ssl_verify_upstream_trusted_ca=${upstreamCa}`,
    "-q",
    "-s",
    addon,
  ];
  const proc = spawn("mitmdump", args, { stdio: ["ignore", "ignore", "inherit"] });
  await waitForPort(port, proc);
  const caFile = join(confdir, "mitmproxy-ca-cert.pem");
  if (!existsSync(caFile)) throw new Error("mitmdump did not write its CA");
  readFileSync(caFile);
  return { proc, port, lines: [], stop: stopper(proc), caFile };
}

/** Peak and current resident set size of a process (Linux /proc), in MB. */
export function rssMb(pid: number): { peak: number; now: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
    return { peak: kb("VmHWM") / 1024, now: kb("VmRSS") / 1024 };
  } catch {
    return null;
  }
}
