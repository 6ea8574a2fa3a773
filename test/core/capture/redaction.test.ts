import { describe, expect, it } from "vitest";
import { redact } from "../../../src/core/capture/redaction.js";

// Secrets are assembled at run time so that no scanner mistakes this file for a leak.
const j = (...parts: string[]) => parts.join("");
const ANTHROPIC = j("sk-ant-", "api03-", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEf");
const OPENAI = j("sk-", "proj-", "Abc123Def456Ghi789Jkl012Mno345Pqr678");
const OPENAI_LEGACY = j("sk-", "T3BlbkFJ", "abcdefghij0123456789ABCDEFGHIJ0123456789");
const AWS_ID = j("AKIA", "IOSFODNN7EXAMPLE");
const AWS_SECRET = j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY");
const GHP = j("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
const GHS = j("ghs_", "0123456789abcdefghijABCDEFGHIJ0123");
const GH_PAT = j("github_pat_", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
const SLACK = j("xoxb-", "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx");
const GOOGLE = j("AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q");
const JWT = j(
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
  ".",
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0",
  ".",
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
);
const PEM = [
  j("-----BEGIN ", "RSA PRIVATE KEY-----"),
  "MIIEowIBAAKCAQEA7bq98/a1b2c3d4e5f6g7h8i9j0",
  "k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6==",
  j("-----END ", "RSA PRIVATE KEY-----"),
].join("\n");

interface Case {
  name: string;
  positive: string;
  expected: string;
  /** Text that looks similar but is not a secret: must come out unchanged. */
  negative: string;
}

const CASES: Case[] = [
  {
    name: "Anthropic key",
    positive: `export ANTHROPIC_KEY_VALUE ${ANTHROPIC} here`,
    expected: "export ANTHROPIC_KEY_VALUE [REDACTED:anthropic_key] here",
    negative: "ask-ant-colony questions about sk-ant-short",
  },
  {
    name: "OpenAI project key",
    positive: `use ${OPENAI} now`,
    expected: "use [REDACTED:openai_key] now",
    negative: "the sk-learning-path-for-new-engineers doc and task-force-management",
  },
  {
    name: "OpenAI legacy key",
    positive: `key ${OPENAI_LEGACY}.`,
    expected: "key [REDACTED:openai_key].",
    negative: "risk-assessment-for-the-quarter-report",
  },
  {
    name: "AWS access key id",
    positive: `aws id ${AWS_ID} ok`,
    expected: "aws id [REDACTED:aws_access_key_id] ok",
    negative: "AKIAXYZ is short, and XAKIAIOSFODNN7EXAMPLEX is embedded",
  },
  {
    name: "AWS secret assignment",
    positive: `aws_secret_access_key = ${AWS_SECRET}`,
    expected: "aws_secret_access_key = [REDACTED:aws_secret_key]",
    negative: "aws_region = eu-west-1",
  },
  {
    name: "GitHub classic token",
    positive: `token ${GHP}`,
    expected: "token [REDACTED:github_token]",
    negative: "ghp_short and sighp_abc",
  },
  {
    name: "GitHub server token",
    positive: `GH ${GHS}!`,
    expected: "GH [REDACTED:github_token]!",
    negative: "ghs_ prefix alone",
  },
  {
    name: "GitHub fine-grained token",
    positive: `pat: ${GH_PAT}`,
    expected: "pat: [REDACTED:github_token]",
    negative: "github_pat_ is the prefix of fine-grained tokens",
  },
  {
    name: "Slack token",
    positive: `slack ${SLACK}`,
    expected: "slack [REDACTED:slack_token]",
    negative: "xoxo-hugs and xoxb-",
  },
  {
    name: "Google API key",
    positive: `maps key ${GOOGLE} end`,
    expected: "maps key [REDACTED:google_api_key] end",
    negative: "AIzaShort is not a key",
  },
  {
    name: "JWT",
    positive: `cookie=${JWT};`,
    expected: "cookie=[REDACTED:jwt];",
    negative: "eyJhbGciOiJIUzI1NiJ9 alone is only a header",
  },
  {
    name: "Bearer token",
    positive: "curl -H 'Authorization: Bearer abc123def456ghi789' https://x.test",
    expected: "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://x.test",
    negative: "Bearer authentication is described in RFC 6750",
  },
  {
    name: "Basic auth header",
    positive: "Authorization: Basic dXNlcjpwYXNzd29yZA==",
    expected: "Authorization: Basic [REDACTED:basic_auth]",
    negative: "Basic knowledge of HTTP helps",
  },
  {
    name: "PEM private key",
    positive: `before\n${PEM}\nafter`,
    expected: "before\n[REDACTED:private_key]\nafter",
    negative: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
  },
  {
    name: "password assignment",
    positive: "DB_PASSWORD=hunter2 and passwd: s3cr3t!",
    expected: "DB_PASSWORD=[REDACTED:password] and passwd: [REDACTED:password]",
    negative: "password reset instructions: see the wiki",
  },
  {
    name: "quoted JSON password",
    positive: '{"password": "correct horse battery staple", "user": "ann"}',
    expected: '{"password": "[REDACTED:password]", "user": "ann"}',
    negative: '{"password_hint": "your pet", "user": "ann"}',
  },
  {
    name: "secret= and token= and api_key=",
    positive: "secret=abc123 token=xyz789 api_key='k-1 2' clientSecret: zz9",
    expected:
      "secret=[REDACTED:secret] token=[REDACTED:token] api_key='[REDACTED:api_key]' clientSecret: [REDACTED:secret]",
    negative: "max_tokens=1024 output_tokens: 42 secretary=Ann",
  },
  {
    name: "URL credentials",
    positive: "clone https://alice:pa55@git.example.test/repo.git",
    expected: "clone https://[REDACTED:url_credentials]@git.example.test/repo.git",
    negative: "see http://localhost:8080/path and ssh://git@github.com/x",
  },
  {
    name: "<private> block",
    positive: "keep <private>my address is 1 Main St\nand more</private> keep",
    expected: "keep [REDACTED:private] keep",
    negative: "a <privateer> sails; private notes",
  },
];

describe("redact", () => {
  for (const c of CASES) {
    it(`${c.name}: replaces the secret with a typed placeholder`, () => {
      expect(redact(c.positive)).toBe(c.expected);
    });
    it(`${c.name}: leaves look-alike text alone`, () => {
      expect(redact(c.negative)).toBe(c.negative);
    });
  }

  it("is idempotent", () => {
    for (const c of CASES) expect(redact(redact(c.positive))).toBe(c.expected);
  });

  it("redacts secrets inside JSON-encoded tool input", () => {
    const json = JSON.stringify({ command: `curl -H "x-api-key: ${ANTHROPIC}"`, key: PEM });
    const out = redact(json);
    expect(out).not.toContain(ANTHROPIC);
    expect(out).not.toContain("MIIEowIBAAKCAQEA");
    expect(out).toContain("[REDACTED:anthropic_key]");
    expect(out).toContain("[REDACTED:private_key]");
  });

  it("redacts an unterminated <private> block or key block to the end", () => {
    expect(redact("a <private>secret stuff")).toBe("a [REDACTED:private]");
    expect(redact(`a ${PEM.split("\n").slice(0, 2).join("\n")}`)).toBe("a [REDACTED:private_key]");
  });

  it("redacts several <private> blocks, case-insensitively", () => {
    expect(redact("<PRIVATE>x</PRIVATE> y <private>z</private>")).toBe(
      "[REDACTED:private] y [REDACTED:private]",
    );
  });

  it("handles 1 MB adversarial inputs and stays correct", () => {
    const MB = 1024 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const adversarial = [
      fill("sk-ant-"),
      fill("eyJa"),
      fill("eyJaaaaaa.eyJ"),
      fill("a"),
      fill("password="),
      fill("a="),
      fill("<private>"),
      fill("-----BEGIN RSA PRIVATE KEY-----"),
      fill("Bearer "),
      `Bearer${" ".repeat(MB)}x`,
      fill("https://a:"),
      fill("AKIA"),
      fill("ghp_"),
      fill(`${"x".repeat(100)}_password:`),
      fill('"password": "'),
    ];
    for (const input of adversarial) {
      const out = redact(input);
      expect(typeof out).toBe("string");
      expect(out.length).toBeLessThanOrEqual(input.length + 64);
    }
    // Correctness at the end of a large input: a real key after 1 MB of noise.
    const tail = `${fill("eyJa")} ${ANTHROPIC}`;
    expect(redact(tail).endsWith(" [REDACTED:anthropic_key]")).toBe(true);
    expect(redact(fill("<private>"))).toBe("[REDACTED:private]");
    expect(redact(fill("password="))).toMatch(/^password=\[REDACTED:password\]/);
  });
});
