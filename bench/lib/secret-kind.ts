/** One kind of fake secret: a generator of a snippet and the part of it that must be redacted. */
import type { FakeGen } from "./fake-gen.js";

/** A snippet holding a secret, and the part of it that must not survive redaction. */
export interface Fake {
  text: string;
  secret: string;
}

export type SecretKind = { name: string; make: (g: FakeGen) => Fake };

export const bare = (name: string, make: (g: FakeGen) => string): SecretKind => ({
  name,
  make: (g) => {
    const secret = make(g);
    return { text: secret, secret };
  },
});
export const inText = (name: string, make: (g: FakeGen) => [text: string, secret: string]): SecretKind => ({
  name,
  make: (g) => {
    const [text, secret] = make(g);
    return { text, secret };
  },
});
