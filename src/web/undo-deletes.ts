import { randomBytes } from "node:crypto";
import type { Memory } from "../core/types.js";

/** How long a deleted memory can be brought back from the page. */
export const UNDO_MS = 30_000;

/**
 * Memories deleted from the page, kept for UNDO_MS so that "Undo" can add
 * them back (same text, scope, metadata, categories and times; the same id
 * where the backend keeps given ids). The history shows the DELETE and the
 * new ADD: nothing is hidden.
 */
export class UndoDeletes {
  private readonly held = new Map<string, { memory: Memory; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  hold(memory: Memory): string {
    this.sweep();
    const key = randomBytes(12).toString("base64url");
    this.held.set(key, { memory, expires: this.now() + UNDO_MS });
    return key;
  }

  /** The memory to restore, once; null when unknown or expired. */
  take(key: string): Memory | null {
    this.sweep();
    const entry = this.held.get(key);
    this.held.delete(key);
    return entry ? entry.memory : null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, v] of this.held) if (v.expires <= now) this.held.delete(k);
  }
}
