import { describe, expect, it } from "vitest";
import { conversationCorpus } from "../../../bench/lib/conversation-corpus.js";
import { j, makeFakes, PLACEMENTS, SECRET_KINDS } from "../../../bench/lib/secret-corpus.js";
import { redact } from "../../../src/core/capture/redaction.js";

const FAKES = makeFakes();
/** A literal `$`, so that `${D}{X}` is the text "${X}". */
const D = "$";

describe("redaction of the secret corpus (format-valid fakes)", () => {
  it("has over a hundred kinds, each with a distinct secret", () => {
    expect(SECRET_KINDS.length).toBeGreaterThanOrEqual(120);
    expect(new Set(FAKES.map((f) => f.fake.secret)).size).toBe(FAKES.length);
    for (const { fake } of FAKES) expect(fake.text).toContain(fake.secret);
  });

  for (const { kind, fake } of FAKES) {
    it(`${kind}: caught in user text, reply, tool result and tool input`, () => {
      for (const placement of PLACEMENTS) {
        const input = placement.wrap(fake.text);
        const out = redact(input);
        expect(out, `${kind} in ${placement.name}`).not.toContain(fake.secret);
        expect(out, `${kind} in ${placement.name}`).toContain("[REDACTED:");
        expect(redact(out), `${kind} in ${placement.name}: idempotent`).toBe(out);
      }
    });
  }

  it("catches all the kinds together in one text, with a fresh seed", () => {
    const fakes = makeFakes(99);
    const out = redact(fakes.map((f) => f.fake.text).join("\n\n"));
    for (const { kind, fake } of fakes) expect(out, kind).not.toContain(fake.secret);
  });

  it("redacts an assignment inside a JSON string (a Bash tool call's input)", () => {
    expect(redact('{"command":"login with password=hunter2"}')).toBe(
      '{"command":"login with password=[REDACTED:password]"}',
    );
    expect(redact('{"command":"export API_TOKEN=abc123 && deploy"}')).toBe(
      '{"command":"export API_TOKEN=[REDACTED:token] && deploy"}',
    );
    expect(redact('{"cmd":"psql\\npassword=hunter2\\n"}')).toBe(
      '{"cmd":"psql\\npassword=[REDACTED:password]\\n"}',
    );
  });

  it("keeps the rest of a connection string and of a URL query", () => {
    expect(redact("Server=db;Database=app;Password=pa;ss&1;Encrypt=true")).toBe(
      "Server=db;Database=app;Password=[REDACTED:password];Encrypt=true",
    );
    expect(redact("https://x.test/cb?token=abc123&state=ok")).toBe(
      "https://x.test/cb?token=[REDACTED:token]&state=ok",
    );
  });

  it("keeps what only names a secret: declarations, references, code, prose", () => {
    const keep = [
      "password: string;",
      "const token = await getToken();",
      "apiKey: process.env.API_KEY,",
      `password=${D}{DB_PASSWORD}`,
      'secret: "{{ vault_secret }}"',
      "token = this.tokenStore.current",
      "The password is required and the token is valid for an hour.",
      `Authorization: \`Bearer ${D}{token}\``,
      "cache_key = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      '"integrity": "sha512-AbCdEf0123456789AbCdEf0123456789AbCdEf0123456789+/AbCdEf==",',
      "request_id: 3f2b1c9e-8d7a-4b6c-9e5f-1a2b3c4d5e6f",
      "ssh://git@github.com/acme/app.git and https://example.test:8443/x",
      "order 4000123412341235 is not a card (Luhn fails)",
      `${j("sk", "-")}learning-path-for-new-engineers`,
    ];
    for (const text of keep) expect(redact(text), text).toBe(text);
  });
});

describe("redaction precision on real-looking conversation", () => {
  it("redacts nothing in 1 MB of code, hashes, UUIDs, ids, logs and base64 image data", () => {
    const corpus = conversationCorpus(1024 * 1024);
    expect(corpus.length).toBeGreaterThan(1024 * 1024);
    const out = redact(corpus);
    const hits = out.match(/\[REDACTED:[a-z_]+\]/g) ?? [];
    expect(hits).toEqual([]);
    expect(out).toBe(corpus);
  });
});

describe("redaction stays linear on 1 MB adversarial inputs", () => {
  const MB = 1024 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  const inputs = [
    fill("a_"),
    fill("ab-"),
    fill("0"),
    fill("4111 "),
    fill("xoxb-1"),
    fill("://"),
    fill("://a"),
    fill("password is "),
    fill("the password for a b c d "),
    fill("--password "),
    fill("\\n"),
    fill("\\npassword="),
    fill("Authorization: "),
    fill("Authorization: Bearer "),
    fill("Cookie: a="),
    fill("A"),
    fill("aB3+"),
    fill("f0"),
    fill("key="),
    fill('"key": "'),
    fill("AKIA1234567890ABCDEF "),
    fill("aws "),
    fill("123456789:"),
    fill(`${"M".padEnd(25, "a")}.`),
    fill("login -p "),
    fill("machine a login b "),
    fill("-u a:"),
    fill("sk-ant-x"),
    fill(".atlasv1."),
    fill(":APA91b"),
    fill("-us1"),
    fill("_mmk"),
    fill("Q~"),
    `${"a".repeat(MB)}.atlasv1.${"b".repeat(80)}`,
    `https://${"a".repeat(MB)}`,
    `password=${"x".repeat(MB)}`,
    `"password": "${"\\".repeat(MB)}`,
  ];
  it("returns for each (a catastrophic pattern would not finish) and keeps the output bounded", () => {
    for (const input of inputs) {
      const out = redact(input);
      expect(out.length).toBeLessThan(input.length * 3);
    }
  });
});
