/**
 * The exact commands to trust and untrust the capture CA on each platform,
 * and for Node (which Claude Code runs on, and which ignores the system store
 * unless told otherwise: NODE_EXTRA_CA_CERTS is all Claude Code needs).
 */

export interface TrustHint {
  platform: string;
  trust: string[];
  untrust: string[];
}

const NAME = "mcp-mitm-mem0";
const CN = "mcp-mitm-mem0 local CA";

/** `sha1` is the certificate's SHA-1 thumbprint (hex, no colons) that macOS and Windows tools identify it by. */
export function trustHints(caPath: string, sha1: string): TrustHint[] {
  const q = (p: string) => (/[\s"'$]/.test(p) ? `"${p.replace(/(["$`\\])/g, "\\$1")}"` : p);
  const path = q(caPath);
  return [
    {
      platform: "Node.js / Claude Code (enough on its own)",
      trust: [`export NODE_EXTRA_CA_CERTS=${path}`],
      untrust: ["unset NODE_EXTRA_CA_CERTS"],
    },
    {
      platform: "Debian / Ubuntu",
      trust: [`sudo cp ${path} /usr/local/share/ca-certificates/${NAME}.crt`, "sudo update-ca-certificates"],
      untrust: [
        `sudo rm /usr/local/share/ca-certificates/${NAME}.crt`,
        "sudo update-ca-certificates --fresh",
      ],
    },
    {
      platform: "Fedora / RHEL",
      trust: [`sudo cp ${path} /etc/pki/ca-trust/source/anchors/${NAME}.pem`, "sudo update-ca-trust"],
      untrust: [`sudo rm /etc/pki/ca-trust/source/anchors/${NAME}.pem`, "sudo update-ca-trust"],
    },
    {
      platform: "macOS",
      trust: [`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${path}`],
      untrust: [`sudo security delete-certificate -Z ${sha1} /Library/Keychains/System.keychain`],
    },
    {
      platform: "Windows (current user; PowerShell or cmd)",
      trust: [`certutil -user -addstore Root ${path}`],
      untrust: [`certutil -user -delstore Root ${sha1}`],
    },
  ];
}

export function renderTrustHints(hints: TrustHint[], which: "trust" | "untrust"): string {
  const lines: string[] = [];
  for (const h of hints) {
    lines.push(`# ${h.platform}`);
    for (const c of h[which]) lines.push(`  ${c}`);
    lines.push("");
  }
  if (which === "trust") {
    lines.push(
      `System-wide trust is optional: it lets every program accept the CA, which its name constraints limit to the intercepted hosts. The certificate's common name is "${CN}".`,
    );
  } else {
    lines.push(
      "Then delete the CA files (`mcp-mitm-mem0 ca path` shows where) or run `mcp-mitm-mem0 ca rotate`.",
    );
  }
  return lines.join("\n");
}
