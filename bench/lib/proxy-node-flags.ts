import { PROXY_NODE_FLAGS } from "../../src/cli/node-flags.js";

/**
 * The node flags a bench starts our proxy with: `start`'s (src/cli/node-flags.ts), so that it
 * measures the process `start` runs; `BENCH_PROXY_NODE_FLAGS` replaces them (space-separated, empty
 * for none) to measure what they change.
 */
export function proxyNodeFlags(): string[] {
  const override = process.env.BENCH_PROXY_NODE_FLAGS;
  return override === undefined ? [...PROXY_NODE_FLAGS] : override.split(" ").filter(Boolean);
}
