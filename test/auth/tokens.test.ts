import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { teamMode } from "../../src/auth/team-mode.js";
import { createToken, identify, readTokens, revokeToken, tokensPath } from "../../src/auth/tokens.js";
import { accessRefusal } from "../../src/core/access.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tokens-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the token file", () => {
  it("keeps only a hash, privately, and identifies the holder until revoked", () => {
    const { token, record } = createToken(dir, { user: "alice", teams: ["acme", "acme"] });
    const text = readFileSync(tokensPath(dir), "utf8");
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4, 20));
    expect(statSync(tokensPath(dir)).mode & 0o777).toBe(0o600);
    expect(record.teams).toEqual(["acme"]);
    expect(identify(dir, token)).toEqual({
      tokenId: record.id,
      user: "alice",
      admin: false,
      teams: ["acme"],
    });
    expect(identify(dir, `${token}x`)).toBeNull();
    expect(identify(dir, undefined)).toBeNull();
    revokeToken(dir, record.id.slice(0, 6));
    expect(identify(dir, token)).toBeNull();
    expect(readTokens(dir)[0]?.revoked_at).toMatch(/^\d{4}-/);
  });

  it("refuses bad names, unknown fingerprints and a damaged file with clear messages", () => {
    expect(() => createToken(dir, { user: "a b" })).toThrow(/--user "a b" is not accepted/);
    expect(() => createToken(dir, { user: "team:x" })).toThrow(/must not start with "team:"/);
    expect(() => createToken(dir, { user: "al", teams: ["x/y"] })).toThrow(/--team "x\/y"/);
    expect(() => revokeToken(dir, "abcdef")).toThrow(/no token has the fingerprint abcdef/);
    expect(() => revokeToken(dir, "zz")).toThrow(/not a token fingerprint/);
    writeFileSync(tokensPath(dir), "{ not json");
    expect(() => identify(dir, "mmm_x")).toThrow(/tokens\.json is not valid JSON/);
    // Nothing was lost: the damaged file is left as it was.
    expect(readFileSync(tokensPath(dir), "utf8")).toBe("{ not json");
  });
});

describe("access rules", () => {
  const alice = { tokenId: "x", user: "alice", admin: false, teams: ["acme"] };
  it("lets a token reach its own user and its team, and an admin anyone", () => {
    expect(accessRefusal(alice, "alice", "forget")).toBeNull();
    expect(accessRefusal(alice, "team:acme", "write")).toBeNull();
    expect(accessRefusal(alice, "team:acme", "export")).toMatch(/only an admin/);
    expect(accessRefusal(alice, "bob", "read")).toMatch(/belongs to user "alice".*"team:acme"/);
    expect(accessRefusal({ ...alice, admin: true }, "bob", "export")).toBeNull();
  });

  it("is on with AUTH_MODE=tokens, or a shared backend bound beyond loopback", () => {
    expect(teamMode({ authMode: "tokens", backend: "sqlite" })).toBe(true);
    expect(teamMode({ authMode: "local", backend: "sqlite" }, "0.0.0.0")).toBe(false);
    const pg = { authMode: "local", backend: "postgres" } as unknown as Parameters<typeof teamMode>[0];
    expect(teamMode(pg, "127.0.0.1")).toBe(false);
    expect(teamMode(pg, "0.0.0.0")).toBe(true);
  });
});
