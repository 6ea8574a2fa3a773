/**
 * `setup service`: the proxy as a user service, started at login and
 * restarted if it fails — a systemd user unit on Linux, a launchd agent on
 * macOS. Written, not enabled unless asked; the commands to enable and to
 * remove it are printed.
 */
import { join } from "node:path";

export type ServicePlatform = "linux" | "macos";

export const SERVICE_NAME = "mcp-mitm-mem0";
export const LAUNCHD_LABEL = "dev.mcp-mitm-mem0.proxy";

export interface ServiceSpec {
  nodePath: string;
  /** Everything after node: the proxy's node flags (node-flags.ts), then `<cli> --data-dir D [--config F] start`. */
  args: string[];
  env: Record<string, string>;
  /** Where launchd appends the proxy's logs (systemd keeps them in the journal). */
  logPath: string;
}

/** Where the service file goes, for the person's home and config directory. */
export function serviceFilePath(platform: ServicePlatform, home: string, configHome: string): string {
  return platform === "linux"
    ? join(configHome, "systemd", "user", `${SERVICE_NAME}.service`)
    : join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
}

/** A word for a systemd command line or assignment: double-quoted, with `\`, `"`, `%` and `$` escaped. */
function systemdQuote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

export function systemdUnit(spec: ServiceSpec): string {
  const lines = [
    "# Written by `mcp-mitm-mem0 setup service`; run it again after moving the checkout or changing the data directory.",
    "[Unit]",
    "Description=mcp-mitm-mem0 capture proxy (long-term memory for Claude)",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[spec.nodePath, ...spec.args].map(systemdQuote).join(" ")}`,
    ...Object.entries(spec.env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    // SIGTERM is the proxy's clean shutdown (streams finish, the outbox is flushed); `stop` exits 0, so no restart.
    "KillSignal=SIGTERM",
    "TimeoutStopSec=45",
    "Restart=on-failure",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ];
  return lines.join("\n");
}

const xml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function launchdPlist(spec: ServiceSpec): string {
  const strings = (items: string[]) => items.map((s) => `    <string>${xml(s)}</string>`).join("\n");
  const env = Object.entries(spec.env)
    .map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by mcp-mitm-mem0 setup service; run it again after moving the checkout or changing the data directory. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${strings([spec.nodePath, ...spec.args])}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>StandardErrorPath</key>
  <string>${xml(spec.logPath)}</string>
</dict>
</plist>
`;
}

/** The commands that enable (start now and at every login) and remove the service. */
export function serviceCommands(
  platform: ServicePlatform,
  file: string,
): { enable: string[][]; disable: string[][] } {
  if (platform === "linux") {
    return {
      enable: [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", `${SERVICE_NAME}.service`],
      ],
      disable: [["systemctl", "--user", "disable", "--now", `${SERVICE_NAME}.service`]],
    };
  }
  const domain = `gui/${process.getuid?.() ?? "$(id -u)"}`;
  return {
    enable: [["launchctl", "bootstrap", domain, file]],
    disable: [["launchctl", "bootout", `${domain}/${LAUNCHD_LABEL}`]],
  };
}

export const renderCommand = (argv: string[]) =>
  argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
