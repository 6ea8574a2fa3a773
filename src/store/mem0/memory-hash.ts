import { createHash } from "node:crypto";

/**
 * Lower-cased, whitespace collapsed, trimmed — the same normalisation as the
 * SQLite store, so a memory has one hash whichever backend holds it.
 */
export function normaliseMemoryText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** md5 (hex) of the normalised text (Mem0 uses md5 too): equal hashes mean a duplicate. */
export function memoryHash(text: string): string {
  return createHash("md5").update(normaliseMemoryText(text), "utf8").digest("hex");
}
