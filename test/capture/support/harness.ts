import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { ProxyAgent, fetch as undiciFetch } from "undici";
import {
  type ProxyHandle,
  type StartProxyOptions,
  startProxy,
} from "../../../src/capture/proxy/proxy-server.js";
import { type Config, validateConfig } from "../../../src/core/config.js";
import { createLogger, type Logger } from "../../../src/core/logger.js";
import type { Memory } from "../../../src/core/types.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { type AnthropicStub, startAnthropicStub } from "../../support/anthropic-stub.js";
import { until } from "../../support/until.js";
import { type RawResponse, readResponse } from "./connect-client.js";

export { until };

/** A stub upstream, a real SQLite store in a temp dir, and the proxy between them. */
export interface Harness {
  dir: string;
  stub: AnthropicStub;
  config: Config;
  store: SqliteMemoryStore;
  proxy: ProxyHandle;
  logs: string[];
  /** The project CA (PEM) clients must trust for CONNECT interception. */
  caPem(): string;
  /** SDK client in reverse mode (base URL = the proxy). */
  reverseClient(): Anthropic;
  /** SDK client in forward mode: CONNECT api.anthropic.com through the proxy. */
  forwardClient(): Anthropic;
  /** Waits until the store holds `n` captured memories (and no turn is pending). */
  waitForStored(n: number): Promise<Memory[]>;
  captured(): Promise<Memory[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  proxy?: Partial<StartProxyOptions>;
  logLevel?: "debug" | "info";
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "mmm-proxy-"));
  const stub = await startAnthropicStub();
  const config = validateConfig(
    {
      MEMORY_DATA_DIR: dir,
      MITM_PORT: "0",
      UPSTREAM_URL: stub.url,
      UPSTREAM_CA_FILE: stub.caFile,
      DEFAULT_USER_ID: "tester",
      ...o.env,
    },
    dir,
  );
  const logs: string[] = [];
  const logger: Logger = createLogger(o.logLevel ?? "debug", (line) => {
    logs.push(line);
  });
  const store = SqliteMemoryStore.open(join(dir, "memories.db"), { logger });
  const proxy = await startProxy({ config, store, logger, ...o.proxy });
  const agents: ProxyAgent[] = [];
  const h: Harness = {
    dir,
    stub,
    config,
    store,
    proxy,
    logs,
    caPem: () => readFileSync(proxy.caPath, "utf8"),
    reverseClient: () => new Anthropic({ apiKey: stub.apiKey, baseURL: proxy.url, maxRetries: 0 }),
    forwardClient: () => {
      const agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: h.caPem() } });
      agents.push(agent);
      return new Anthropic({
        apiKey: stub.apiKey,
        baseURL: "https://api.anthropic.com",
        maxRetries: 0,
        fetch: undiciFetch as unknown as typeof fetch,
        fetchOptions: { dispatcher: agent } as Record<string, unknown>,
      });
    },
    captured: async () => (await store.list({ filters: { user_id: "tester" }, limit: 1000 })).memories,
    waitForStored: async (n) => {
      let mems: Memory[] = [];
      await until(
        async () => {
          const s = proxy.stats();
          mems = await h.captured();
          return mems.length >= n && s.outboxDepth === 0 && s.capturing === 0;
        },
        () => `${n} stored memories, have ${mems.length} (stats ${JSON.stringify(proxy.stats())})`,
      );
      return mems;
    },
    close: async () => {
      for (const a of agents) await a.close();
      await proxy.close();
      await store.close();
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** A raw HTTP/1.1 request to the proxy; returns status, headers and the exact body bytes. */
export function rawRequest(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        method: opts.method ?? "POST",
        path: opts.path,
        headers: opts.headers,
        agent: false,
      },
      (res) => readResponse(res).then(resolve, reject),
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Headers a well-formed Messages API call carries. */
export function apiHeaders(apiKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-api-key": apiKey,
    "anthropic-version": "2023-06-01",
    ...extra,
  };
}
