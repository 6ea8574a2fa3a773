/**
 * When and how long to wait before retrying a Mem0 request. Pure: the clock
 * and the random source are passed in so tests can assert exact delays.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /** First backoff step in ms; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound of one backoff step (before jitter). */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** 429 and every 5xx are worth another try; other statuses are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds from
 * `nowMs`. Returns null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with full jitter: a random delay in
 * [0, min(maxDelay, base * 2^retry)]. `retry` counts from 0.
 */
export function fullJitterDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}
