/**
 * `doctor`: checks the CA, `.env` permissions, the proxy, this shell's
 * routing variables, the store's health (for Mem0, that the key is
 * accepted), and Claude Code's setup (routing, the proxy it needs, the MCP
 * server, the read-tool permissions, the hooks). Each check passes or says
 * what to run; any failure makes the command fail (non-zero exit).
 */

import { MemoryError } from "../../core/errors.js";
import { describeSecurityEvents, readSecurityEvents } from "../../http/security-events.js";
import type { RegisterCommand } from "../context.js";
import type { Check } from "../doctor/doctor-checks.js";
import { jsonOption } from "../options.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

export function renderChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length)) + 2;
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(width)}${c.detail}`);
    if (!c.ok && c.fix) lines.push(`      ${"".padEnd(width)}→ run: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push("", failed === 0 ? "all checks passed" : `${failed} of ${checks.length} checks failed`);
  return lines.join("\n");
}

/** Refusals are not a broken setup: reported for a person to look at, never a failed check. */
function securityCheck(dataDir: string): Check {
  return { name: "security events", ok: true, detail: describeSecurityEvents(readSecurityEvents(dataDir)) };
}

export const registerDoctorCommand: RegisterCommand = (program, ctx) => {
  program
    .command("doctor")
    .description(describeCommand("doctor"))
    .addOption(jsonOption())
    .action(async (flags: { json?: boolean }) => {
      const config = ctx.config();
      const [
        { caPaths },
        d,
        { probeProxy },
        { checkTranscripts, readTranscriptStatus },
        { checkClaudeCode },
      ] = await Promise.all([
        import("../../capture/tls/ca.js"),
        import("../doctor/doctor-checks.js"),
        import("../doctor/proxy-probe.js"),
        import("../../capture/transcripts/transcript-status.js"),
        import("../setup/claude-code-doctor.js"),
      ]);
      const probe = await probeProxy(config);
      let watchPid: number | null = null;
      try {
        const w = readTranscriptStatus(config.dataDir)?.watch;
        if (w?.alive) watchPid = w.pid;
      } catch {
        // the transcripts check below reports an unreadable state file
      }
      const claude = checkClaudeCode({
        config,
        envFile: ctx.envFile(),
        env: process.env,
        cwd: process.cwd(),
        probe,
        watchPid,
        platform: process.platform,
      });
      const checks: Check[] = [
        ...d.checkCa(config),
        d.checkEnvFile(ctx.envFile()),
        d.checkProxy(probe, claude.proxyNotNeeded),
        ...d.checkShellRouting(
          process.env,
          probe.status?.url ?? probe.url,
          caPaths(config.dataDir).cert,
          claude.capturedBy,
        ),
        await d.checkStore(() => ctx.store(), config.defaultUserId),
        checkTranscripts(config.dataDir),
        ...claude.checks,
        securityCheck(config.dataDir),
      ];
      const failed = checks.filter((c) => !c.ok);
      ctx.out(flags.json ? json({ ok: failed.length === 0, checks }) : renderChecks(checks));
      if (failed.length > 0) {
        throw new MemoryError(
          "UNAVAILABLE",
          `${failed.length} doctor check(s) failed: ${failed.map((c) => c.name).join(", ")}`,
        );
      }
    });
};
