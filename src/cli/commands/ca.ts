/**
 * `ca path|show|rotate|install-hints|uninstall-hints`: where the capture CA
 * is, what it is (fingerprint, validity, name constraints), a fresh one, and
 * the exact commands to trust or untrust it on each platform.
 */

import { pidAlive, readProxyStatus } from "../../capture/proxy/proxy-status.js";
import type { CaDescription } from "../../capture/tls/ca.js";
import { MemoryError } from "../../core/errors.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { jsonOption } from "../options.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

/** The CA module (and the X.509 stack under it) loads only for `ca` commands. */
const caModule = () => import("../../capture/tls/ca.js");
const trustHintsModule = () => import("../../capture/tls/trust-hints.js");

async function requireCa(ctx: CliContext): Promise<CaDescription> {
  const { describeCa } = await caModule();
  const d = describeCa(ctx.config().dataDir);
  if (!d) {
    throw new MemoryError(
      "NOT_FOUND",
      `there is no CA in ${ctx.config().dataDir} yet: run \`mcp-mitm-mem0 ca path\` or \`mcp-mitm-mem0 start\` to create it`,
    );
  }
  return d;
}

export function renderCa(d: CaDescription): string {
  return [
    `certificate:  ${d.path}`,
    `private key:  ${d.keyPath} (mode 0600, never printed)`,
    `subject:      ${d.subject}`,
    `SHA-256:      ${d.fingerprintSha256}`,
    `SHA-1:        ${d.thumbprintSha1}`,
    `valid:        ${d.notBefore} → ${d.notAfter} (${d.daysLeft} days left)`,
    `limited to:   ${d.permittedHosts.join(", ") || "(no name constraints!)"} (name constraints; IP addresses excluded)`,
  ].join("\n");
}

export const registerCaCommand: RegisterCommand = (program, ctx) => {
  const ca = program.command("ca").description(describeCommand("ca"));

  ca.command("path")
    .description(
      "print the CA certificate's path (creating the CA if there is none), e.g. for NODE_EXTRA_CA_CERTS",
    )
    .action(async () => {
      const config = ctx.config();
      const { loadOrCreateCa } = await caModule();
      const authority = await loadOrCreateCa(config.dataDir, config.proxy.interceptHosts, ctx.logger());
      ctx.out(authority.paths.cert);
    });

  ca.command("show")
    .description("fingerprint, validity and name constraints of the CA")
    .addOption(jsonOption())
    .action(async (flags: { json?: boolean }) => {
      const d = await requireCa(ctx);
      ctx.out(flags.json ? json(d) : renderCa(d));
    });

  ca.command("rotate")
    .description("replace the CA with a new key and certificate (trust the new one; restart the proxy)")
    .addOption(jsonOption())
    .action(async (flags: { json?: boolean }) => {
      const config = ctx.config();
      const { rotateCa } = await caModule();
      await rotateCa(config.dataDir, config.proxy.interceptHosts);
      const d = await requireCa(ctx);
      const status = readProxyStatus(config.dataDir);
      const running = status?.running === true && pidAlive(status.pid);
      if (flags.json) {
        ctx.out(json({ ...d, proxyRunning: running }));
        return;
      }
      ctx.out(`new CA created\n${renderCa(d)}`);
      ctx.err(
        [
          "",
          "Clients that trusted the old CA must trust this one: NODE_EXTRA_CA_CERTS already points at the same file;",
          "a system-wide install must be redone (`mcp-mitm-mem0 ca install-hints`).",
          running ? `The proxy (pid ${status?.pid}) still uses the old CA: restart it.` : "",
        ]
          .filter(Boolean)
          .join("\n"),
      );
    });

  ca.command("bundle")
    .description(
      "write a CA bundle that keeps another one (default: the file NODE_EXTRA_CA_CERTS points at) and adds the proxy's CA; prints its path",
    )
    .option("--with <file>", "the PEM bundle to keep (e.g. a corporate CA bundle)")
    .action(async (flags: { with?: string }) => {
      const d = await requireCa(ctx);
      const { writeCombinedBundle } = await import("../../capture/tls/ca-bundle.js");
      const other = flags.with ?? process.env.NODE_EXTRA_CA_CERTS;
      if (!other) {
        throw new UsageError(
          "ca bundle needs --with FILE (or NODE_EXTRA_CA_CERTS set to that file): the bundle to keep beside the proxy's CA",
        );
      }
      const { caPaths } = await caModule();
      ctx.out(writeCombinedBundle(caPaths(ctx.config().dataDir).dir, d.path, other));
    });

  ca.command("install-hints")
    .description("print the commands that trust the CA (Node, Debian/Ubuntu, Fedora, macOS, Windows)")
    .action(async () => {
      const d = await requireCa(ctx);
      const { renderTrustHints, trustHints } = await trustHintsModule();
      ctx.out(renderTrustHints(trustHints(d.path, d.thumbprintSha1), "trust"));
    });

  ca.command("uninstall-hints")
    .description("print the commands that remove the CA from every trust store")
    .action(async () => {
      const d = await requireCa(ctx);
      const { renderTrustHints, trustHints } = await trustHintsModule();
      ctx.out(renderTrustHints(trustHints(d.path, d.thumbprintSha1), "untrust"));
    });
};
