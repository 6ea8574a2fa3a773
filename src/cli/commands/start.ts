/**
 * `start`: runs the capture proxy on the configured store until SIGINT or
 * SIGTERM, then shuts down cleanly (stop accepting, let streams finish within
 * a bounded wait, flush the outbox). Prints, once, the lines to paste so that
 * Claude Code goes through it.
 */
import { InvalidArgumentError } from "commander";
import { type ProxyHandle, startProxy } from "../../capture/proxy/proxy-server.js";
import { displayUrl } from "../../capture/proxy/proxy-status.js";
import type { Config } from "../../core/config.js";
import { errorMessage, isMemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { startVectorIndexing } from "../../store/vector-indexing.js";
import { explainBusyPort } from "../busy-port.js";
import type { RegisterCommand } from "../context.js";
import { type HookThread, startHookThread } from "../hook/hook-thread.js";
import { reflectionHook } from "../reflection-hook.js";
import { startWebPage, type WebPage } from "../web-page.js";

interface StartFlags {
  port?: number;
  host?: string;
  allowRemote?: boolean;
  ui?: boolean;
  background?: boolean;
}

/** The `start` options to pass on to a detached `start`. */
function startArgs(flags: StartFlags): string[] {
  const args: string[] = [];
  if (flags.port !== undefined) args.push("--port", String(flags.port));
  if (flags.host !== undefined) args.push("--host", flags.host);
  if (flags.allowRemote) args.push("--allow-remote");
  if (flags.ui === false) args.push("--no-ui");
  return args;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be 0..65535 (0 = any free port)");
  return n;
}

/** The lines a person pastes into the shell that runs Claude Code. */
export function environmentLines(proxy: Pick<ProxyHandle, "url" | "caPath">, authRequired: boolean): string {
  const u = new URL(proxy.url);
  // The token is referenced, never printed: the shell expands it from the person's own environment.
  const withAuth = authRequired ? `http://mcp:\${PROXY_AUTH_TOKEN}@${u.host}` : proxy.url;
  const baseUrl = authRequired ? `${proxy.url}/t/\${PROXY_AUTH_TOKEN}` : proxy.url;
  return [
    "",
    "Route Claude Code through it, either way (in the shell that runs `claude`):",
    "",
    "  # 1. as an HTTPS proxy: only api.anthropic.com is decrypted, every other host is tunnelled untouched",
    `  export HTTPS_PROXY=${withAuth}`,
    `  export NODE_EXTRA_CA_CERTS=${proxy.caPath}`,
    "",
    "  # 2. or as the API base URL (no certificate needed)",
    `  export ANTHROPIC_BASE_URL=${baseUrl}`,
    "",
    "  # with a corporate HTTP_PROXY/HTTPS_PROXY as well, keep loopback out of it:",
    "  export NO_PROXY=127.0.0.1,localhost",
    "",
  ].join("\n");
}

/**
 * The store's health check once before listening: a rejected key or a
 * database from a newer release stops `start` (every capture would fail); an
 * unreachable store does not, since captured turns wait in the outbox until it
 * answers.
 */
async function checkStoreHealth(store: MemoryStore, logger: Logger): Promise<void> {
  try {
    await store.health();
  } catch (e) {
    if (isMemoryError(e) && (e.code === "AUTH_REJECTED" || e.code === "SCHEMA_TOO_NEW")) throw e;
    const name = store.backend === "mem0" ? "Mem0" : `The ${store.backend} store`;
    logger.warn(`${name} does not answer; captured turns wait in the outbox until it does`, {
      error: errorMessage(e),
    });
  }
}

/** The web page beside the proxy; a busy port costs the page, not the proxy. */
async function startWebPageOrWarn(
  config: Config,
  store: MemoryStore,
  logger: Logger,
  out: (text: string) => void,
): Promise<WebPage | null> {
  try {
    const page = await startWebPage(config, store, logger, config.web.port);
    out(`web page on ${page.server.url}`);
    const { teamMode } = await import("../../auth/team-mode.js");
    if (teamMode(config))
      out(`team mode: each person logs in at ${page.server.url}login with their own token`);
    else out("login link: mcp-mitm-mem0 ui --print-link");
    return page;
  } catch (e) {
    logger.warn("web page not started (use --no-ui, or set WEB_PORT)", { error: errorMessage(e) });
    return null;
  }
}

/**
 * SIGINT/SIGTERM handled from now on: resolves with the first. Installed before the proxy
 * listens, since `stop` may signal as soon as the status file names this process: without a
 * handler Node's default would kill it there and then. A second signal exits at once.
 */
function firstSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: the person does not want to wait for streams in flight.
        logger.warn("second signal: exiting without waiting", { signal });
        process.exit(130);
      }
      stopping = true;
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** Once `signalled`, shuts down: the hook socket first (hooks then answer in-process), then the proxy. */
function shutDownOn(
  signalled: Promise<NodeJS.Signals>,
  proxy: ProxyHandle,
  hooks: Promise<HookThread>,
  logger: Logger,
): Promise<void> {
  return signalled.then((signal) => {
    logger.info("shutting down", { signal });
    return hooks
      .then((h) => h.stop())
      .catch(() => {})
      .then(() => proxy.close())
      .catch((e: unknown) => {
        logger.error("shutdown failed", { error: e instanceof Error ? e.name : "error" });
      });
  });
}

export const registerStartCommand: RegisterCommand = (program, ctx) => {
  program
    .command("start")
    .description("run the capture proxy (forward and reverse on one port) on the configured store")
    .option("--port <n>", "port to listen on (env MITM_PORT, default 8080; 0 = any free port)", portNumber)
    .option("--host <addr>", "address to listen on (env MITM_HOST, default 127.0.0.1)")
    .option("--allow-remote", "allow a non-loopback --host (requires PROXY_AUTH_TOKEN)")
    .option("--no-ui", "do not serve the web page (default: on 127.0.0.1, WEB_PORT 8766)")
    .option(
      "--background",
      "run detached (logs to <data dir>/proxy.log); returns once the proxy answers and prints its pid; refused when one already runs",
    )
    .action(async (flags: StartFlags) => {
      const base = ctx.config();
      const config: Config = {
        ...base,
        proxy: { ...base.proxy, port: flags.port ?? base.proxy.port, host: flags.host ?? base.proxy.host },
      };
      if (flags.background) {
        const { startInBackground } = await import("../background.js");
        const started = await startInBackground({
          config,
          envFile: ctx.envFile(),
          startArgs: startArgs(flags),
        });
        ctx.out(`capture proxy running in the background on ${started.url} (pid ${started.pid})`);
        ctx.out(`log: ${started.log}\nstop it with: mcp-mitm-mem0 stop`);
        return;
      }
      const logger = ctx.logger();
      const signalled = firstSignal(logger);
      const store = await ctx.store({ entry: "proxy" });
      startVectorIndexing(store);
      await checkStoreHealth(store, logger);
      const proxy = await startProxy({
        config,
        store,
        logger,
        allowRemote: flags.allowRemote,
        onMemoriesStored: reflectionHook(store, config, logger),
        // Capture (episodes, store writes, reflection) on its own thread: forwarding never waits for it.
        // The journal's writes there too (the journal mover): the forwarding thread never touches SQLite.
        captureThread: {
          entry: new URL("../capture-worker.js", import.meta.url),
          workerData: { config },
        },
      }).catch(async (e: unknown) => {
        throw await explainBusyPort(e, config);
      });
      // Claude Code's hooks answered on <data dir>/recall.sock, on a thread of their own (docs/hooks.md).
      const hooks = startHookThread({
        entry: new URL("../hook/hook-worker.js", import.meta.url),
        workerData: { dataDir: config.dataDir, version: program.version() ?? "", logLevel: config.logLevel },
        logger,
      });
      const stopped = shutDownOn(signalled, proxy, hooks, logger);
      await hooks;
      ctx.out(
        `capture proxy listening on ${proxy.url} (store: ${store.backend}, upstream: ${displayUrl(config.proxy.upstreamUrl)})`,
      );
      ctx.out(environmentLines(proxy, Boolean(config.proxy.authToken)));
      const page = flags.ui === false ? null : await startWebPageOrWarn(config, store, logger, ctx.out);
      await stopped;
      await page?.close();
    });
};
