import { type Command, InvalidArgumentError, Option } from "commander";
import type { MemoryFilters, Metadata } from "../core/types.js";
import type { CliContext } from "./context.js";

/** `--user`, `--agent`, `--project`, `--session`: the scope flags shared by the memory commands. */
export function addScopeOptions(cmd: Command): Command {
  return cmd
    .option("-u, --user <id>", "user id (default: DEFAULT_USER_ID)")
    .option("--agent <id>", "agent id")
    .option("-p, --project <app_id>", "project (app_id)")
    .option("-s, --session <run_id>", "session (run_id)");
}

/** Filter flags for search and list. */
export function addFilterOptions(cmd: Command): Command {
  return addScopeOptions(cmd)
    .option("-c, --category <name>", "only memories with this category (repeatable)", collect, [])
    .option(
      "-m, --meta <key=value>",
      "only memories whose metadata key equals value (repeatable)",
      collect,
      [],
    )
    .option("--since <date>", "created at or after (ISO date or time)", isoDate)
    .option("--until <date>", "created before (ISO date or time)", isoDate);
}

export const jsonOption = () => new Option("--json", "print JSON instead of text");

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return n;
  };
}

export function unitInterval(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("must be a number from 0 to 1");
  return n;
}

export function isoDate(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(`"${value}" is not a date (use e.g. 2026-11-25 or 2026-11-25T10:00:00Z)`);
  return new Date(t).toISOString();
}

export function jsonObject(value: string): Metadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"topic":"db"}\'');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"topic":"db"}\'');
  }
  return parsed as Metadata;
}

function metaPairs(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new InvalidArgumentError(`--meta "${p}" must look like key=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export interface ScopeFlags {
  user?: string;
  agent?: string;
  project?: string;
  session?: string;
}

export interface FilterFlags extends ScopeFlags {
  category?: string[];
  meta?: string[];
  since?: string;
  until?: string;
}

export function scopeFrom(ctx: CliContext, flags: ScopeFlags) {
  return {
    user_id: flags.user ?? ctx.config().defaultUserId,
    agent_id: flags.agent,
    app_id: flags.project,
    run_id: flags.session,
  };
}

export function filtersFrom(ctx: CliContext, flags: FilterFlags): MemoryFilters {
  return {
    ...scopeFrom(ctx, flags),
    categories: flags.category && flags.category.length > 0 ? flags.category : undefined,
    metadata: metaPairs(flags.meta ?? []),
    created_after: flags.since,
    created_before: flags.until,
  };
}
