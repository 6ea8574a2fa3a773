/** Random, format-valid pieces for fake secrets (seeded, so every run makes the same ones). */
import type { SeededRng } from "./seeded-rng.js";

/** Joins parts at run time: `j("gh", "p_")`, so no source file holds a whole token prefix. */
export const j = (...parts: string[]) => parts.join("");

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = "0123456789abcdef";
const B64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}_-`;

export class FakeGen {
  constructor(readonly rng: SeededRng) {}
  of(chars: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += chars[Math.floor(this.rng.next() * chars.length)];
    return s;
  }
  /** Random alphanumerics with at least one upper, lower and digit. */
  mixed(n: number, chars = ALNUM): string {
    const s = this.of(chars, n).split("");
    const at = (k: number) => Math.floor(this.rng.next() * (n / 3)) + Math.floor((k * n) / 3);
    s[at(0)] = this.of(UPPER, 1);
    s[at(1)] = this.of(LOWER, 1);
    s[at(2)] = this.of(DIGITS, 1);
    return s.join("");
  }
  hex = (n: number) => this.of(HEX, n);
  digits = (n: number) => this.of("123456789", 1) + this.of(DIGITS, n - 1);
  upper = (n: number) => this.of(UPPER + DIGITS, n);
  b64 = (n: number) => this.mixed(n, B64);
  urlsafe = (n: number) => this.mixed(n, URLSAFE);
  uuid = () => `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  /** A password people type: letters, digits and a few symbols. */
  password = () => `${this.mixed(6)}${this.of("!#%*-_.+@", 1)}${this.mixed(5)}`;
  /** A Luhn-valid card number with the given prefix and length. */
  card(prefix: string, length: number): string {
    let s = prefix + this.of(DIGITS, length - prefix.length - 1);
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let d = Number(s[s.length - 1 - i]);
      if (i % 2 === 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    s += String((10 - (sum % 10)) % 10);
    return s;
  }
  pem(label: string): { text: string; body: string } {
    const body = this.b64(64);
    const lines = [j("-----BEGIN ", label, " PRIVATE KEY-----"), body, this.b64(64), `${this.b64(40)}==`];
    return { text: [...lines, j("-----END ", label, " PRIVATE KEY-----")].join("\n"), body };
  }
}
