/**
 * When `start` finds its port taken, say by whom: this project's proxy
 * (already running, with its pid and data directory) or another program, and
 * what to do about it, instead of only "in use".
 */

import type { Config } from "../core/config.js";
import { isMemoryError, MemoryError } from "../core/errors.js";
import { probeUrl, whoHolds } from "./doctor/proxy-probe.js";

export async function explainBusyPort(e: unknown, config: Config): Promise<unknown> {
  if (!isMemoryError(e) || e.code !== "CONFLICT") return e;
  const { host, port } = config.proxy;
  const url = probeUrl(host, port);
  const holder = await whoHolds(url, config.proxy.authToken);
  const elsewhere = "pick another port with --port (0 = any free port) or MITM_PORT";
  if (holder.kind === "proxy") {
    const same = holder.dataDir === config.dataDir;
    return new MemoryError(
      "CONFLICT",
      same
        ? `the capture proxy is already running on ${url} (pid ${holder.pid}, data dir ${holder.dataDir}): use it, or stop it first`
        : `a capture proxy of another data directory is already running on ${url} (pid ${holder.pid}, data dir ${holder.dataDir ?? "unknown"}): ${elsewhere}`,
      { cause: e },
    );
  }
  if (holder.kind === "foreign") {
    return new MemoryError(
      "CONFLICT",
      `port ${port} on ${host} is held by another program (not this proxy): ${elsewhere}`,
      {
        cause: e,
      },
    );
  }
  return e;
}
