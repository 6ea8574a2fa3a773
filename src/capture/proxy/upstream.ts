import { readFileSync } from "node:fs";
import { createSecureContext, rootCertificates } from "node:tls";
import { Agent, type Dispatcher, Pool } from "undici";
import { ConfigError } from "../../core/errors.js";
import type { ForwardTimeouts } from "./forward.js";

/**
 * Where captured traffic goes: `UPSTREAM_URL` (default
 * https://api.anthropic.com), over an undici keep-alive pool that also trusts
 * `UPSTREAM_CA_FILE` when set. Plain-HTTP proxy requests to other origins use
 * their own undici agent.
 */

export interface UpstreamTarget {
  /** `https://host:port` */
  origin: string;
  /** `host[:port]` as the Host header should read. */
  hostHeader: string;
  hostname: string;
  /** Path prefix of UPSTREAM_URL without a trailing slash ("" for none). */
  basePath: string;
  dispatcher: Dispatcher;
}

function dispatcherOptions(timeouts: ForwardTimeouts) {
  return {
    connections: 256,
    keepAliveTimeout: 30_000,
    headersTimeout: timeouts.idleMs,
    bodyTimeout: timeouts.idleMs,
    connectTimeout: timeouts.connectMs,
  };
}

export function createUpstream(
  upstreamUrl: string,
  caFile: string | undefined,
  timeouts: ForwardTimeouts,
): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(upstreamUrl);
  } catch {
    throw new ConfigError(`invalid configuration:\n  UPSTREAM_URL: not a URL: ${upstreamUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError("invalid configuration:\n  UPSTREAM_URL: use an http:// or https:// URL");
  }
  // The extra CA goes in through one prebuilt secure context: building one from the whole root
  // store on every new connection would cost more than the connection.
  let secureContext: ReturnType<typeof createSecureContext> | undefined;
  if (caFile && url.protocol === "https:") {
    let extra: string;
    try {
      extra = readFileSync(caFile, "utf8");
    } catch {
      throw new ConfigError(`invalid configuration:\n  UPSTREAM_CA_FILE: cannot read ${caFile}`);
    }
    secureContext = createSecureContext({ ca: [...rootCertificates, extra] });
  }
  const origin = `${url.protocol}//${url.host}`;
  const dispatcher = new Pool(origin, {
    ...dispatcherOptions(timeouts),
    connect: secureContext ? { secureContext } : {},
  });
  return {
    origin,
    hostHeader: url.host,
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    basePath: url.pathname.replace(/\/+$/, ""),
    dispatcher,
  };
}

/** An agent for plain-HTTP proxy requests to arbitrary origins (never captured). */
export function createPassthroughAgent(timeouts: ForwardTimeouts): Dispatcher {
  return new Agent({ ...dispatcherOptions(timeouts), connections: 64 });
}
