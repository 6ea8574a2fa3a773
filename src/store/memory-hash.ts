/** node:crypto, loaded on first use: a command that never hashes (`list`, `--help`) does not pay for it. */
let cryptoModule: typeof import("node:crypto") | undefined;
const nodeCrypto = () => (cryptoModule ??= process.getBuiltinModule("node:crypto"));

/** The text two memories must share to count as the same: lowercased, whitespace collapsed, trimmed. */
export function normaliseMemoryText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** md5 (hex) of the normalised text, as Mem0 does; exact duplicates share it. */
export function memoryHash(text: string): string {
  return nodeCrypto().createHash("md5").update(normaliseMemoryText(text), "utf8").digest("hex");
}
