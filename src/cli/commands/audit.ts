/** `audit`: reads the audit of memory access (audit.jsonl in the data directory). */
import { InvalidArgumentError, Option } from "commander";
import { AUDIT_OPS, AuditLog, type AuditRecord } from "../../store/audit-log.js";
import type { RegisterCommand } from "../context.js";
import { isoDate, jsonOption } from "../options.js";
import { describeCommand } from "./catalog.js";

/** An ISO date or time, or a span back from now: 30m, 12h, 7d. */
function sinceValue(value: string): string {
  const m = /^(\d+)([mhd])$/.exec(value.trim());
  if (!m) {
    try {
      return isoDate(value);
    } catch {
      throw new InvalidArgumentError(
        `"${value}" is not a date or a span (use e.g. 2026-11-25, 2026-11-25T10:00:00Z, 12h or 7d)`,
      );
    }
  }
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
  return new Date(Date.now() - Number(m[1]) * unit).toISOString();
}

function line(r: AuditRecord): string {
  const who = r.actor ? `${r.entry}:${r.actor}` : r.entry;
  const scope = [
    r.user ? `user=${r.user}` : null,
    r.agent ? `agent=${r.agent}` : null,
    r.project ? `project=${r.project}` : null,
    r.session ? `session=${r.session}` : null,
    r.id ? `id=${r.id}` : null,
  ].filter((x) => x !== null);
  const outcome = r.ok ? `${r.count}` : `failed (${r.error ?? "error"})`;
  return `${r.ts}  ${who.padEnd(8)} ${r.op.padEnd(10)} ${outcome.padStart(6)}  ${scope.join(" ")}`.trimEnd();
}

export const registerAuditCommand: RegisterCommand = (program, ctx) => {
  program
    .command("audit")
    .description(describeCommand("audit"))
    .option("--since <when>", "only lines from this date or time on, or this far back (12h, 7d)", sinceValue)
    .option("-u, --user <id>", "only lines about this user (whose memories, or the token's user)")
    .addOption(new Option("--op <op>", "only this operation").choices([...AUDIT_OPS]))
    .addOption(jsonOption())
    .addHelpText(
      "after",
      "\nEach line: when, who (entry point, and the token's user in team mode), the operation, how many\nmemories it returned or changed, and its scope. Never a query or a memory's text.\nAUDIT_RETENTION_DAYS (default 90) sets how long lines are kept.",
    )
    .action((flags: { since?: string; user?: string; op?: string; json?: boolean }) => {
      const log = new AuditLog(ctx.config().dataDir, { retentionDays: ctx.config().audit.retentionDays });
      const since = flags.since ? Date.parse(flags.since) : null;
      const records = log
        .read()
        .filter(
          (r) =>
            (since === null || Date.parse(r.ts) >= since) &&
            (flags.user === undefined || r.user === flags.user || r.actor === flags.user) &&
            (flags.op === undefined || r.op === flags.op),
        );
      log.close();
      if (flags.json) {
        for (const r of records) ctx.out(JSON.stringify(r));
        return;
      }
      if (records.length === 0) {
        ctx.err(`no audit lines${flags.since || flags.user || flags.op ? " match" : " yet"} (${log.path})`);
        return;
      }
      for (const r of records) ctx.out(line(r));
    });
};
