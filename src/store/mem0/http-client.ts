import { MemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import {
  DEFAULT_RETRY_POLICY,
  fullJitterDelay,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
} from "./retry-policy.js";

/**
 * The one place that talks HTTP to the Mem0 Platform: `Authorization: Token`,
 * a timeout on every attempt, retries with backoff and jitter on 429/5xx
 * (honouring `Retry-After`), and error mapping. The API key lives only in the
 * header it builds; it is never logged and never part of an error message.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface Mem0Request {
  method: HttpMethod;
  /** Absolute path with the trailing slash Mem0 requires, e.g. `/v1/memories/abc/`. */
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  body?: Record<string, unknown> | undefined;
  /**
   * Safe to send again after a network failure or timeout (reads, PUT,
   * DELETE). Adds are not: a lost answer may hide a stored memory.
   */
  idempotent: boolean;
  /** Hand a 404 back to the caller (lookups by id) instead of throwing. */
  allow404?: boolean | undefined;
  /** Overrides the policy's retry count for this request (0: one attempt). */
  maxRetries?: number | undefined;
}

export interface Mem0Answer {
  status: number;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
}

export interface Mem0HttpOptions {
  baseUrl: string;
  apiKey: string;
  orgId?: string | undefined;
  projectId?: string | undefined;
  timeoutMs: number;
  logger: Logger;
  retry?: Partial<RetryPolicy> | undefined;
  /** Injected for tests: waits between retries. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Injected for tests: jitter source in [0, 1). */
  random?: (() => number) | undefined;
  /** Injected for tests: wall clock in ms (for HTTP-date Retry-After). */
  now?: (() => number) | undefined;
  fetch?: typeof fetch | undefined;
  /** Told when the Platform refuses the key (401/403), for the security event. */
  onKeyRejected?: ((status: number, request: string) => void) | undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Mem0HttpClient {
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly authorization: string;

  constructor(private readonly opts: Mem0HttpOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.sleep = opts.sleep ?? realSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.fetchImpl = opts.fetch ?? fetch;
    this.authorization = `Token ${opts.apiKey}`;
  }

  /** Sends the request (with retries) and returns the parsed JSON body (null when empty). */
  async request(req: Mem0Request): Promise<unknown> {
    return (await this.send(req)).body;
  }

  /** Like `request`, with the status (2xx, or 404 when `allow404`). */
  async send(req: Mem0Request): Promise<Mem0Answer> {
    if (!req.path.startsWith("/") || !req.path.endsWith("/")) {
      throw new Error(`Mem0 paths need a leading and trailing slash: ${req.path}`);
    }
    const url = this.url(req);
    const what = `${req.method} ${req.path}`;
    const maxRetries = req.maxRetries ?? this.policy.maxRetries;
    for (let attempt = 0; ; attempt++) {
      const started = this.now();
      let res: Response;
      let text: string;
      try {
        res = await this.fetchImpl(url, this.init(req));
        text = await res.text();
      } catch (e) {
        const err = this.networkError(e);
        if (req.idempotent && attempt < maxRetries) {
          const wait = fullJitterDelay(attempt, this.policy, this.random);
          this.opts.logger.warn("mem0 request failed; retrying", {
            request: what,
            error: err.message,
            attempt,
            retry_in_ms: wait,
          });
          await this.sleep(wait);
          continue;
        }
        this.opts.logger.warn("mem0 request failed", { request: what, error: err.message, attempt });
        throw err;
      }
      this.opts.logger.debug("mem0 request", {
        request: what,
        status: res.status,
        attempt,
        ms: this.now() - started,
      });

      if (res.status >= 200 && res.status < 300) return { status: res.status, body: parseJson(text, what) };
      if (res.status === 404 && req.allow404) return { status: 404, body: null };
      if (res.status === 401 || res.status === 403) {
        this.opts.onKeyRejected?.(res.status, what);
        throw new MemoryError("AUTH_REJECTED", `MEM0_API_KEY was rejected (HTTP ${res.status})`);
      }
      if (res.status >= 300 && res.status < 400) {
        throw new MemoryError("UPSTREAM_ERROR", `Mem0 answered ${what} with a redirect (HTTP ${res.status})`);
      }
      if (isRetryableStatus(res.status)) {
        const retryAfter = parseRetryAfter(res.headers.get("retry-after"), this.now());
        if (retryAfter !== null && retryAfter > this.policy.maxRetryAfterMs) {
          throw new MemoryError(
            "UNAVAILABLE",
            `Mem0 asked to retry after ${Math.ceil(retryAfter / 1000)} s (HTTP ${res.status}); try again later`,
          );
        }
        if (attempt < maxRetries) {
          const wait = retryAfter ?? fullJitterDelay(attempt, this.policy, this.random);
          this.opts.logger.warn("mem0 busy; retrying", {
            request: what,
            status: res.status,
            attempt,
            retry_in_ms: wait,
          });
          await this.sleep(wait);
          continue;
        }
        const kind = res.status === 429 ? "rate limit" : "server error";
        throw new MemoryError(
          "UNAVAILABLE",
          `Mem0 ${kind} (HTTP ${res.status}) persisted after ${attempt + 1} attempts${detail(text)}`,
        );
      }
      throw new MemoryError("UPSTREAM_ERROR", `Mem0 rejected ${what} (HTTP ${res.status})${detail(text)}`);
    }
  }

  private url(req: Mem0Request): string {
    const u = new URL(this.opts.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) u.searchParams.set(k, String(v));
    if (req.body === undefined) {
      if (this.opts.orgId) u.searchParams.set("org_id", this.opts.orgId);
      if (this.opts.projectId) u.searchParams.set("project_id", this.opts.projectId);
    }
    return u.toString();
  }

  private init(req: Mem0Request): RequestInit {
    const headers: Record<string, string> = { Authorization: this.authorization, Accept: "application/json" };
    let body: string | undefined;
    if (req.body !== undefined) {
      const withIds: Record<string, unknown> = { ...req.body };
      if (this.opts.orgId) withIds.org_id = this.opts.orgId;
      if (this.opts.projectId) withIds.project_id = this.opts.projectId;
      body = JSON.stringify(withIds);
      headers["Content-Type"] = "application/json";
    }
    return {
      method: req.method,
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    };
  }

  private networkError(e: unknown): MemoryError {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    let reason: string;
    if (err?.name === "TimeoutError" || err?.name === "AbortError") {
      reason = `no answer within ${this.opts.timeoutMs} ms`;
    } else {
      reason = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? "network error";
    }
    return new MemoryError("UPSTREAM_UNREACHABLE", `Mem0 unreachable (${reason})`, { cause: e });
  }
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new MemoryError("UPSTREAM_ERROR", `Mem0 answered ${what} with a body that is not JSON`);
  }
}

/** A short, single-line reason taken from Mem0's error body (`detail`, `error`, `message`). */
function detail(text: string): string {
  let reason = "";
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const details = body.details as Record<string, unknown> | undefined;
    const pick = details?.message ?? body.detail ?? body.message ?? body.error;
    reason = typeof pick === "string" ? pick : JSON.stringify(body);
  } catch {
    reason = text;
  }
  reason = reason.replace(/\s+/g, " ").trim().slice(0, 300);
  return reason ? `: ${reason}` : "";
}
