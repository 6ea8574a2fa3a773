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
import {
  type Counters,
  counterDelta,
  type ProxyStats,
  statsLogFields,
  zeroCounters,
} from "../capture-stats.js";
import { InjectionLedger, injectionLedgerPath } from "../injection/injection-ledger.js";
import { RequestInjector } from "../injection/request-injector.js";
import { type CaptureChain, inlineCaptureChain, threadCaptureChain } from "../pipeline/capture-chain.js";
import { CapturePipeline } from "../pipeline/capture-pipeline.js";
import { EpisodeTracker } from "../pipeline/episode-tracker.js";
import { Outbox, outboxPath } from "../pipeline/outbox.js";
import { type BackoffPolicy, OutboxWorker } from "../pipeline/outbox-worker.js";
import { loadOrCreateCa } from "../tls/ca.js";
import { createLeafCertCache } from "../tls/leaf-certs.js";
import { handleConnect } from "./connect-handler.js";
import { clientErrorResponse } from "./error-response.js";
import type { ActiveStream, ForwardTimeouts } from "./forward.js";
import { isLoopbackHost, type ProxyGate, sharedTokenGate } from "./proxy-auth.js";
import { displayUrl, type ProxyStatusFile, writeProxyStatus } from "./proxy-status.js";
import { CAPTURE_CAP_BYTES, createRequestHandler, type InterceptedSocket } from "./request-router.js";
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
   * thread's compiled script, which opens its own store from `workerData`.
   * Without it capture runs inline, on `store` (tests, embedding).
   */
  captureThread?: { entry: URL; workerData: unknown } | undefined;
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
  stats(): ProxyStats;
}

export const DEFAULT_TIMEOUTS: ForwardTimeouts = { connectMs: 15_000, idleMs: 10 * 60_000 };
const STATS_LOG_INTERVAL_MS = 60_000;

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

/** Capture on the proxy's own thread: the pipeline and the outbox worker beside forwarding. */
function inlineCapture(opts: StartProxyOptions, outbox: Outbox, counters: Counters): CaptureChain {
  const { config, store, logger } = opts;
  const worker = new OutboxWorker({
    outbox,
    store,
    logger,
    counters,
    reflectionEvery: config.reflection.every,
    onMemoriesStored: opts.onMemoriesStored,
    backoff: opts.backoff,
  });
  const pipeline = new CapturePipeline({
    outbox,
    tracker: new EpisodeTracker(outbox, opts.episodeIdleMs ?? config.proxy.episodeIdleMs),
    idleMs: opts.episodeIdleMs ?? config.proxy.episodeIdleMs,
    worker,
    logger,
    counters,
    extract: { defaultUserId: config.defaultUserId, defaultAgentId: config.defaultAgentId },
  });
  return inlineCaptureChain({ pipeline, worker, outbox, logger });
}

export async function startProxy(opts: StartProxyOptions): Promise<ProxyHandle> {
  const { config, logger } = opts;
  const { host, authToken } = config.proxy;
  // Team mode (AUTH_MODE=tokens, or PostgreSQL served beyond loopback): each person's own token,
  // checked against tokens.json on every request, decides whose memory the traffic becomes.
  const team = teamMode(config, host);
  if (!isLoopbackHost(host)) {
    if (!opts.allowRemote) {
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
  const interceptHosts = new Set(config.proxy.interceptHosts.map((h) => h.toLowerCase()));
  const ca = await loadOrCreateCa(config.dataDir, [...interceptHosts], logger);
  const leaves = createLeafCertCache(ca);
  const timeouts: ForwardTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const upstream = createUpstream(config.proxy.upstreamUrl, config.proxy.upstreamCaFile, timeouts);
  const passthroughAgent = createPassthroughAgent(timeouts);

  const security =
    opts.security ?? new SecurityEvents({ logger, component: "proxy", dataDir: config.dataDir });
  const counters: Counters = zeroCounters();
  const startedAt = new Date().toISOString();
  // Space kept back so that a full disk still takes the exchanges captured meanwhile (docs/capture.md).
  const reserve = diskReserve(config.dataDir, config.proxy.diskReserveBytes, logger);
  reserve.keep();
  const outbox = Outbox.open(outboxPath(config.dataDir), { onDiskFull: reserve.release });
  const capture = opts.captureThread
    ? threadCaptureChain({
        thread: new Worker(opts.captureThread.entry, { workerData: opts.captureThread.workerData }),
        outbox,
        counters,
        logger,
      })
    : inlineCapture(opts, outbox, counters);

  const injectConfig = config.proxy.inject;
  const ledger = injectConfig ? InjectionLedger.open(injectionLedgerPath(config.dataDir)) : null;
  const injector =
    injectConfig && ledger
      ? new RequestInjector({
          store: opts.store,
          ledger,
          userId: config.defaultUserId,
          maxChars: injectConfig.maxChars,
          minScore: DEFAULT_INJECT_MIN_SCORE,
          timeoutMs: injectConfig.timeoutMs,
          maxBodyBytes: opts.capBytes ?? CAPTURE_CAP_BYTES,
          logger,
        })
      : undefined;

  const streams = new Set<ActiveStream>();
  const connectSockets = new Set<Duplex>();
  const interceptedSockets = new WeakMap<Socket, InterceptedSocket>();
  let activeRequests = 0;
  let port = 0;
  let closing: Promise<void> | null = null;

  const stats = (): ProxyStats => {
    let paused = 0;
    let bufferedBytes = 0;
    for (const s of streams) {
      if (s.paused()) paused++;
      bufferedBytes += s.buffered();
    }
    let outboxDepth = 0;
    let episodesInProgress = 0;
    try {
      outboxDepth += outbox.counts().pending;
      episodesInProgress = outbox.pendingEpisodeCount();
    } catch {
      // closed or unreadable: report what is held in memory
    }
    return {
      ...counters,
      startedAt,
      outboxDepth,
      episodesInProgress,
      capturing: capture.backlog(),
      streams: { active: streams.size, paused, bufferedBytes },
    };
  };

  const server = http.createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 10 * 60_000 },
    createRequestHandler({
      upstream,
      passthroughAgent,
      interceptHosts,
      gate,
      team,
      capBytes: opts.capBytes ?? CAPTURE_CAP_BYTES,
      counters,
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
      injector,
      logger,
      security,
    }),
  );
  let onRequestsDone: (() => void) | null = null;
  server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    activeRequests++;
    res.once("close", () => {
      activeRequests--;
      if (!closing) return;
      // Shutting down: a keep-alive connection that just went idle is closed now.
      server.closeIdleConnections();
      if (activeRequests === 0) onRequestsDone?.();
    });
  });
  server.on("connect", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing) return void socket.destroy();
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
      count: (event) => {
        if (event === "intercepted") counters.intercepted++;
        else if (event === "tunnelled") counters.tunnelled++;
        else counters.rejected++;
      },
    });
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    counters.rejected++;
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

  // Persisted status and counters.
  let flushed = zeroCounters();
  const writeStatus = (running: boolean) => {
    if (running) reserve.keep();
    const s = stats();
    try {
      const delta = counterDelta(counters, flushed);
      outbox.addCounters(delta);
      flushed = { ...counters };
    } catch {
      // lifetime totals are best effort
    }
    const file: ProxyStatusFile = {
      pid: process.pid,
      running,
      host,
      port,
      url,
      caPath: ca.paths.cert,
      upstream: displayUrl(config.proxy.upstreamUrl),
      authRequired: Boolean(gate),
      startedAt,
      updatedAt: new Date().toISOString(),
      stats: s,
    };
    try {
      writeProxyStatus(config.dataDir, file);
    } catch (e) {
      logger.warn("could not write proxy-status.json", {
        code: (e as NodeJS.ErrnoException).code ?? "error",
      });
    }
  };
  writeStatus(true);
  const statusTimer = setInterval(() => writeStatus(true), opts.statusIntervalMs ?? 2000).unref();
  let lastLogged = "";
  const logTimer = setInterval(() => {
    const fields = statsLogFields(stats());
    const key = JSON.stringify(fields);
    if (key !== lastLogged) logger.info("proxy stats", fields);
    lastLogged = key;
  }, STATS_LOG_INTERVAL_MS).unref();

  logger.info("capture proxy listening", {
    url,
    upstream: displayUrl(config.proxy.upstreamUrl),
    intercept: [...interceptHosts],
    auth: Boolean(gate),
    inject: Boolean(injector),
  });

  const shutdown = async (): Promise<void> => {
    const grace = opts.shutdownGraceMs ?? 10_000;
    server.close();
    server.closeIdleConnections();
    // Tunnels are opaque (other hosts' traffic, often idle keep-alives): they go once requests are done.
    if (activeRequests > 0) {
      let graceTimer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        onRequestsDone = resolve;
        graceTimer = setTimeout(resolve, grace);
      });
      clearTimeout(graceTimer);
    }
    server.closeAllConnections();
    for (const socket of connectSockets) socket.destroy();
    clearInterval(statusTimer);
    clearInterval(logTimer);
    await capture.stop();
    writeStatus(false);
    security.close();
    logger.info("capture proxy stopped", statsLogFields(stats()));
    outbox.close();
    ledger?.close();
    await Promise.all([upstream.dispatcher.destroy(), passthroughAgent.destroy()]);
  };

  return {
    port,
    host,
    url,
    caPath: ca.paths.cert,
    stats,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
