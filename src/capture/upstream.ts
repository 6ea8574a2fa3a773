import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { rootCertificates } from "node:tls";
import { ConfigError } from "../core/errors.js";

/**
 * Where captured traffic goes: `UPSTREAM_URL` (default
 * https://api.anthropic.com), over a keep-alive agent that also trusts
 * `UPSTREAM_CA_FILE` when set. Plain-HTTP proxy requests to other origins use
 * their own keep-alive agent.
 */

export interface UpstreamTarget {
  protocol: "http:" | "https:";
  hostname: string;
  port: number;
  /** `host[:port]` as the Host header should read. */
  hostHeader: string;
  /** Path prefix of UPSTREAM_URL without a trailing slash ("" for none). */
  basePath: string;
  agent: http.Agent;
  /** SNI name; undefined for an IP address. */
  servername: string | undefined;
}

const AGENT_OPTIONS: http.AgentOptions = {
  keepAlive: true,
  keepAliveMsecs: 15_000,
  maxSockets: 256,
  maxFreeSockets: 64,
  scheduling: "lifo",
};

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

export function createUpstream(upstreamUrl: string, caFile?: string): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(upstreamUrl);
  } catch {
    throw new ConfigError(`invalid configuration:\n  UPSTREAM_URL: not a URL: ${upstreamUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError("invalid configuration:\n  UPSTREAM_URL: use an http:// or https:// URL");
  }
  let agent: http.Agent;
  if (url.protocol === "https:") {
    let ca: string[] | undefined;
    if (caFile) {
      try {
        ca = [...rootCertificates, readFileSync(caFile, "utf8")];
      } catch {
        throw new ConfigError(`invalid configuration:\n  UPSTREAM_CA_FILE: cannot read ${caFile}`);
      }
    }
    agent = new https.Agent({ ...AGENT_OPTIONS, ca, ALPNProtocols: ["http/1.1"] });
  } else {
    agent = new http.Agent(AGENT_OPTIONS);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  return {
    protocol: url.protocol,
    hostname,
    port: url.port ? Number(url.port) : defaultPort,
    hostHeader: url.host,
    basePath: url.pathname.replace(/\/+$/, ""),
    agent,
    servername: isIp(hostname) ? undefined : hostname,
  };
}

/** An agent for plain-HTTP proxy requests to arbitrary origins (never captured). */
export function createPassthroughAgent(): http.Agent {
  return new http.Agent(AGENT_OPTIONS);
}
