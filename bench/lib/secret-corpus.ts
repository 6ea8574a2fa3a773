/**
 * Format-valid fake secrets, one generator per kind, for the redaction tests
 * and `bench:redaction`. Bodies are random (seeded) and every vendor prefix is
 * assembled at run time, so no source file holds anything a secret scanner
 * (or a push protection) could take for a real credential.
 */
import { FakeGen } from "./fake-gen.js";
import type { Fake, SecretKind } from "./secret-kind.js";
import { CONTEXT_KINDS } from "./secret-kinds-context.js";
import { VENDOR_TOKEN_KINDS } from "./secret-kinds-vendor.js";
import { SeededRng } from "./seeded-rng.js";

export { j } from "./fake-gen.js";
export type { Fake, SecretKind };

export const SECRET_KINDS: readonly SecretKind[] = [...VENDOR_TOKEN_KINDS, ...CONTEXT_KINDS];

/** Where a secret can stand in a stored turn. */
export const PLACEMENTS: readonly { name: string; wrap: (s: string) => string }[] = [
  { name: "user text", wrap: (s) => `Can you check why this fails?\n\n${s}\n\nThanks!` },
  { name: "reply", wrap: (s) => `I found the problem. Your config has\n${s}\nin it; rotate that value.` },
  {
    name: "tool result",
    wrap: (s) =>
      s
        .split("\n")
        .map((line, i) => `${String(i + 1).padStart(6)}\t${line}`)
        .join("\n"),
  },
  {
    name: "tool input",
    wrap: (s) =>
      `[tool_use Bash ${JSON.stringify({ command: `echo '${s}' | ./deploy.sh`, description: "Deploy" })}]`,
  },
];

/** Every kind, made with a fixed seed. */
export function makeFakes(seed = 20_250_115): { kind: string; fake: Fake }[] {
  const g = new FakeGen(new SeededRng(seed));
  return SECRET_KINDS.map((k) => ({ kind: k.name, fake: k.make(g) }));
}
