/**
 * Counters of the running proxy. `status`, the once-a-minute log line and
 * `<dataDir>/proxy-status.json` show them; lifetime totals go to the outbox
 * database.
 */

export const COUNTER_NAMES = [
  /** Requests forwarded to the upstream (reverse and intercepted). */
  "exchanges",
  /** Plain-HTTP proxy requests to other origins (never captured). */
  "passthrough",
  /** CONNECT sessions decrypted for capture. */
  "intercepted",
  /** CONNECT sessions tunnelled without decryption. */
  "tunnelled",
  /** Episodes written to the outbox. */
  "turnsQueued",
  /** Episodes queued as incomplete: interrupted, or idle too long. */
  "episodesAbandoned",
  /** Episodes the store accepted (created). */
  "turnsStored",
  /** Episodes the store already had, or that were already queued. */
  "duplicates",
  /** Exchanges that are not conversation turns (probes, side requests, other paths). */
  "skippedNoise",
  /** Capture went wrong somewhere (decode, outbox, store); the client was not affected. */
  "captureFailures",
  /** Captured exchanges that could be written nowhere (full disk) and are lost; each one is logged. */
  "turnsDropped",
  /** Upstream unreachable, TLS failure, timeout: the client got a 502/504. */
  "upstreamErrors",
  /** Requests refused by the proxy (authentication, bad CONNECT, TLS handshake). */
  "rejected",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

/**
 * The one way capture code counts: `count("rejected")`, `count("turnsQueued", n)`.
 * Parts are given this function, never the counters themselves, so that
 * where the numbers live (this thread, or deltas posted from the capture
 * thread) is decided in one place.
 */
export type Count = (name: CounterName, by?: number) => void;

/** Counters starting at zero and the `Count` that adds to them. */
export function counterSet(): { counters: Readonly<Counters>; count: Count } {
  const counters = zeroCounters();
  return {
    counters,
    count: (name, by = 1) => {
      counters[name] += by;
    },
  };
}

export interface StreamStats {
  /** Responses being forwarded now. */
  active: number;
  /** Of those, how many have their upstream paused because the client is not reading. */
  paused: number;
  /** Bytes the proxy holds for them (upstream read buffers + client write buffers). */
  bufferedBytes: number;
}

export interface ProxyStats extends Counters {
  startedAt: string;
  /** Pending turns in the outbox (plus any held in memory while it cannot be written). */
  outboxDepth: number;
  /** Episodes waiting for the reply that ends them (or for the idle time). */
  episodesInProgress: number;
  /** Finished exchanges whose capture (decode, extract, queue) is still running. */
  capturing: number;
  streams: StreamStats;
}

export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters;
}

/** `a - b` for each counter. */
export function counterDelta(a: Counters, b: Counters): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, a[n] - b[n]])) as Counters;
}

/** The one-line summary for the log (numbers only). */
export function statsLogFields(s: ProxyStats): Record<string, number> {
  return {
    exchanges: s.exchanges,
    turnsStored: s.turnsStored,
    skippedNoise: s.skippedNoise,
    captureFailures: s.captureFailures,
    turnsDropped: s.turnsDropped,
    outboxDepth: s.outboxDepth,
    duplicates: s.duplicates,
    upstreamErrors: s.upstreamErrors,
    tunnelled: s.tunnelled,
  };
}
