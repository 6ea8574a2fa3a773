import type { Command } from "commander";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { AuditActor } from "../store/audit-log.js";
import type { MemoryStore } from "../store/memory-store.js";

/**
 * What every command gets. Config is loaded lazily (after commander has parsed
 * `--data-dir` and friends) and validated once; the store is opened on first
 * use and closed by the error boundary in main.ts.
 */
export interface CliContext {
  /** The validated configuration (reads env, `.env`, and global flags once). */
  config(): Config;
  /** The `.env` file the configuration was read from, if any. */
  envFile(): string | null;
  /** A logger to stderr at the configured level. */
  logger(): Logger;
  /**
   * The configured MemoryStore, opened once; its operations go to the audit
   * log as coming from `by` (default: the CLI).
   */
  store(by?: AuditActor): Promise<MemoryStore>;
  /** Writes to stdout (data; tokens masked, see token-mask.ts) — never used by `mcp` over stdio except for MCP messages. */
  out(text: string): void;
  /** Writes to stderr (messages for the person). */
  err(text: string): void;
  /**
   * Writes to stdout unmasked: only for a token the person asked to see
   * (`ui --print-link`). `out`, `err` and the logger show tokens as fingerprints.
   */
  outSecret(text: string): void;
}

/** Each command file exports one of these. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;
