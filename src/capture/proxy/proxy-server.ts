import * as http from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Worker } from "node:worker_threads";
import { teamMode } from "../../auth/team-mode.js";
import { identify } from "../../auth/tokens.js";
import type { Config } from "../../core/config.js";
import { ConfigError, MemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { DEFAULT_INJECT_MIN_SCORE } from "../../core/recall/proxy-injection.js";
import { diskReserve } from "../../files/disk-reserve.js";
import { SecurityEvents } from "../../http/security-events.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { type Count, counterSet, type ProxyStats, statsLogFields } from "../capture-stats.js";
import { InjectionLedger, injectionLedgerPath } from "../injection/injection-ledger.js";
import { RequestInjector } from "../injection/request-injector.js";
import { type CaptureChain, inlineCaptureChain, threadCaptureChain } from "../pipeline/capture-chain.js";
import { Outbox, outboxPath } from "../pipeline/outbox.js";
import type { BackoffPolicy } from "../pipeline/outbox-worker.js";
import { loadOrCreateCa } from "../tls/ca.js";
import { createLeafCertCache } from "../tls/leaf-certs.js";
import { type ConnectDeps, handleConnect } from "./connect-handler.js";
import { clientErrorResponse } from "./error-response.js";
import type { ActiveStream, ForwardTimeouts } from "./forward.js";
import { isLoopbackHost, type ProxyGate, sharedTokenGate } from "./proxy-auth.js";
import { displayUrl } from "./proxy-status.js";
import { CAPTURE_CAP_BYTES, createRequestHandler, type InterceptedSocket } from "./request-router.js";
import { ServerDrain } from "./server-drain.js";
import { startStatusReporter } from "./status-reporter.js";
import { captureThreadOptions } from "./thread-options.js";
import { createPassthroughAgent, createUpstream } from "./upstream.js";

/**
 * The capture proxy: one port serving forward-proxy traffic (CONNECT and
 * absolute URIs) and reverse traffic (origin-form requests to UPSTREAM_URL).
 * Built on node:http/node:tls directly (see docs/capture.md for why).
 */

export interface StartProxyOptions {
  config: Config;
  store: MemoryStore;
  logger: Logger;
  onMemoriesStored?: ((count: number) => void) | undefined;
  /** Required to listen on a non-loopback address (and PROXY_AUTH_TOKEN must be set). */
  allowRemote?: boolean | undefined;
  timeouts?: Partial<ForwardTimeouts> | undefined;
  /** Longest wait for streams in flight at close() before they are cut. */
  shutdownGraceMs?: number | undefined;
  backoff?: BackoffPolicy | undefined;
  /**
   * Run capture on a worker thread (what `start` does): `entry` is the
   * thread's compiled script, which opens its own store from `workerData`
   * and runs the journal mover it is given in `workerData.journal`
   * (src/cli/capture-worker.ts). Without it capture runs inline, on `store`
   * (tests, embedding).
   */
  captureThread?: { entry: URL; workerData: Record<string, unknown> } | undefined;
  /** Overrides `config.proxy.episodeIdleMs` (tests). */
  episodeIdleMs?: number | undefined;
  capBytes?: number | undefined;
  /** How often proxy-status.json is refreshed. */
  statusIntervalMs?: number | undefined;
  /** Where refusals and TLS failures go (default: warn lines and security-events-proxy.json). */
  security?: SecurityEvents | undefined;
}

export interface ProxyHandle {
  port: number;
  host: string;
  /** http://host:port */
  url: string;
  caPath: string;
  close(): Promise<void>;
  /** The stats now; the database figures as of the last status write (with capture on its threads). */
  stats(): ProxyStats;
  /** The stats with the database figures read first. */
  freshStats(): Promise<ProxyStats>;
}

export const DEFAULT_TIMEOUTS: ForwardTimeouts = { connectMs: 15_000, idleMs: 10 * 60_000 };

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new MemoryError(
              "CONFLICT",
              `port ${port} on ${host} is in use: pick another with --port (0 = any free port)`,
            )
          : new MemoryError("UNAVAILABLE", `cannot listen on ${host}:${port} (${err.code ?? "error"})`),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Who may use the proxy. Team mode (AUTH_MODE=tokens, or PostgreSQL served
 * beyond loopback): each person's own token, checked against tokens.json on
 * every request, decides whose memory the traffic becomes. Otherwise the
 * shared PROXY_AUTH_TOKEN, or nobody is asked (loopback). A non-loopback
 * address only on request, and never without one of the two.
 */
function proxyGate(
  config: Config,
  allowRemote: boolean,
  logger: Logger,
): { gate: ProxyGate | undefined; team: boolean } {
  const { host, authToken } = config.proxy;
  const team = teamMode(config, host);
  if (!isLoopbackHost(host)) {
    if (!allowRemote) {
      throw new ConfigError(
        `refusing to listen on ${host}: anyone who can reach it could use the proxy. Use 127.0.0.1, or pass --allow-remote and set PROXY_AUTH_TOKEN (or use team mode's personal tokens, AUTH_MODE=tokens)`,
      );
    }
    if (!authToken && !team)
      throw new ConfigError(
        "--allow-remote needs PROXY_AUTH_TOKEN (16+ characters) to be set, or team mode (AUTH_MODE=tokens) with personal tokens",
      );
  }
  const gate: ProxyGate | undefined = team
    ? (candidate) => {
        const who = identify(config.dataDir, candidate);
        return who ? { user: who.user } : null;
      }
    : authToken
      ? sharedTokenGate(authToken)
      : undefined;
  if (team) logger.info("proxy in team mode: each person sends their own token", { tokens: "tokens.json" });
  return { gate, team };
}

/** The capture chain: on a worker thread (`start`) or inline on this one (tests, embedding). */
function openCaptureChain(
  opts: StartProxyOptions,
  outbox: Outbox,
  count: Count,
  reserve: ReturnType<typeof diskReserve>,
): CaptureChain {
  const { config, store, logger } = opts;
  const captureThread = opts.captureThread;
  if (captureThread) {
    return threadCaptureChain({
      spawn: (journal, forwardingLoad) =>
        new Worker(
          captureThread.entry,
          captureThreadOptions(
            { ...captureThread.workerData, journal, forwardingLoad },
            journal ? [journal.port] : [],
          ),
        ),
      outbox,
      count,
      logger,
      journal: {
        outboxPath: outboxPath(config.dataDir),
        dataDir: config.dataDir,
        diskReserveBytes: config.proxy.diskReserveBytes,
      },
      onReserveReleased: reserve.noteReleased,
      releaseReserve: reserve.release,
    });
  }
  return inlineCaptureChain({
    config,
    store,
    logger,
    outbox,
    count,
    onMemoriesStored: opts.onMemoriesStored,
    backoff: opts.backoff,
    episodeIdleMs: opts.episodeIdleMs,
  });
}

/** Proxy-side recall (MEMORY_INJECT=on): the injector and its ledger, or nothing. */
function openInjection(
  opts: StartProxyOptions,
): { injector: RequestInjector; ledger: InjectionLedger } | null {
  const { config } = opts;
  const inject = config.proxy.inject;
  if (!inject) return null;
  const ledger = InjectionLedger.open(injectionLedgerPath(config.dataDir), (e) =>
    opts.logger?.warn("injection ledger write failed; its entries are kept in memory and written later", {
      error: e instanceof Error ? e.name : "error",
    }),
  );
  const injector = new RequestInjector({
    store: opts.store,
    ledger,
    userId: config.defaultUserId,
    maxChars: inject.maxChars,
    minScore: DEFAULT_INJECT_MIN_SCORE,
    timeoutMs: inject.timeoutMs,
    maxBodyBytes: opts.capBytes ?? CAPTURE_CAP_BYTES,
    logger: opts.logger,
  });
  return { injector, ledger };
}

/** What `handleConnect` reports, in the proxy's counters. */
function connectCounter(count: Count): ConnectDeps["count"] {
  return (event) => {
    if (event === "intercepted") count("intercepted");
    else if (event === "tunnelled") count("tunnelled");
    else count("rejected");
  };
}

/**
 * Starts the proxy: who may use it, the CA and upstream clients, the capture
 * chain, the HTTP server with its request router and CONNECT handler; then
 * listens and starts the status reporter. `close()` drains the server, stops
 * capture (bounded) and writes the last status.
 */
export async function startProxy(opts: StartProxyOptions): Promise<ProxyHandle> {
  const { config, logger } = opts;
  const { host } = config.proxy;
  const { gate, team } = proxyGate(config, Boolean(opts.allowRemote), logger);
  const interceptHosts = new Set(config.proxy.interceptHosts.map((h) => h.toLowerCase()));
  const ca = await loadOrCreateCa(config.dataDir, [...interceptHosts], logger);
  const leaves = createLeafCertCache(ca);
  const timeouts: ForwardTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const upstream = createUpstream(config.proxy.upstreamUrl, config.proxy.upstreamCaFile, timeouts);
  const passthroughAgent = createPassthroughAgent(timeouts);

  const security =
    opts.security ?? new SecurityEvents({ logger, component: "proxy", dataDir: config.dataDir });
  const { counters, count } = counterSet();
  const startedAt = new Date().toISOString();
  // Space kept back so that a full disk still takes the exchanges captured meanwhile (docs/capture.md).
  const reserve = diskReserve(config.dataDir, config.proxy.diskReserveBytes, logger);
  reserve.keep();
  const outbox = Outbox.open(outboxPath(config.dataDir), { onDiskFull: reserve.release });
  const capture = openCaptureChain(opts, outbox, count, reserve);
  const injection = openInjection(opts);

  const streams = new Set<ActiveStream>();
  const connectSockets = new Set<Duplex>();
  const interceptedSockets = new WeakMap<Socket, InterceptedSocket>();
  let port = 0;

  const server = http.createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 10 * 60_000 },
    createRequestHandler({
      upstream,
      passthroughAgent,
      interceptHosts,
      gate,
      team,
      capBytes: opts.capBytes ?? CAPTURE_CAP_BYTES,
      count,
      streams,
      interceptedSockets,
      ownPort: () => port,
      health: () => ({
        service: "mcp-mitm-mem0",
        pid: process.pid,
        port,
        startedAt,
        dataDir: config.dataDir,
      }),
      onExchange: (raw) => capture.submit(raw),
      injector: injection?.injector,
      logger,
      security,
    }),
  );
  const drain = new ServerDrain(server, connectSockets);
  server.on("connect", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (drain.stopping) return void socket.destroy();
    handleConnect(req, socket, head, {
      interceptHosts,
      leaves,
      gate,
      team,
      connectTimeoutMs: timeouts.connectMs,
      logger,
      security,
      caPath: ca.paths.cert,
      sockets: connectSockets,
      serveIntercepted: (tls, h, token) => {
        interceptedSockets.set(tls, { host: h, token });
        server.emit("connection", tls);
      },
      count: connectCounter(count),
    });
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    count("rejected");
    logger.debug("bad request from a client", { code: err.code ?? "error" });
    if (err.code !== "ECONNRESET") {
      const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
      security.record("request_refused", {
        reason: tooLarge ? "headers_too_large" : "malformed",
        status: tooLarge ? 431 : 400,
        code: err.code ?? "error",
        peer: (socket as Socket).remoteAddress,
      });
    }
    if (socket.writable && err.code !== "ECONNRESET") {
      socket.end(clientErrorResponse(err.code));
    } else socket.destroy();
  });

  await capture.start();
  port = await listen(server, config.proxy.port, host);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  const reporter = startStatusReporter({
    dataDir: config.dataDir,
    counters,
    capture,
    streams,
    startedAt,
    identity: {
      host,
      port,
      url,
      caPath: ca.paths.cert,
      upstream: displayUrl(config.proxy.upstreamUrl),
      authRequired: Boolean(gate),
    },
    beforeWrite: () => reserve.keep(),
    logger,
    statusIntervalMs: opts.statusIntervalMs,
  });
  await reporter.ready;

  logger.info("capture proxy listening", {
    url,
    upstream: displayUrl(config.proxy.upstreamUrl),
    intercept: [...interceptHosts],
    auth: Boolean(gate),
    inject: Boolean(injection),
  });

  const shutdown = async (): Promise<void> => {
    await drain.close(opts.shutdownGraceMs ?? 10_000);
    reporter.stop();
    await capture.stop();
    await reporter.write(false);
    security.close();
    logger.info("capture proxy stopped", statsLogFields(reporter.stats()));
    await capture.close();
    outbox.close();
    injection?.ledger.close();
    await Promise.all([upstream.dispatcher.destroy(), passthroughAgent.destroy()]);
  };

  let closing: Promise<void> | null = null;
  return {
    port,
    host,
    url,
    caPath: ca.paths.cert,
    stats: reporter.stats,
    freshStats: reporter.freshStats,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
