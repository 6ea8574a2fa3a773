import { randomBytes } from "node:crypto";

const KEEP_MS = 60_000;

/**
 * Messages shown once after a redirect ("Forgot alice: 12 memories deleted"),
 * kept here and named in the URL by a random key, so that a crafted link
 * cannot make the page say something it did not do.
 */
export class FlashMessages {
  private readonly held = new Map<string, { text: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  put(text: string): string {
    const now = this.now();
    for (const [k, v] of this.held) if (v.expires <= now) this.held.delete(k);
    const key = randomBytes(9).toString("base64url");
    this.held.set(key, { text, expires: now + KEEP_MS });
    return key;
  }

  /** The message, once; null for an unknown or expired key. */
  take(key: string | undefined): string | null {
    if (!key) return null;
    const v = this.held.get(key);
    this.held.delete(key);
    return v && v.expires > this.now() ? v.text : null;
  }
}
