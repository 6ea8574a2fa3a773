import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { describe, expect, it } from "vitest";
import { readSecurityEvents, type SecurityEventSummary } from "../../src/http/security-events.js";
import { openTunnel } from "../capture/support/connect-client.js";
import { apiHeaders, type Harness, rawRequest, startHarness } from "../capture/support/harness.js";
import { createTestServerIdentity } from "../support/anthropic-stub.js";

/**
 * The proxy's security events, each from a real refused request: a wrong or
 * missing proxy token, a TLS client that does not trust the capture CA, an
 * upstream whose certificate is not trusted, malformed and oversized requests.
 */

const TOKEN = "proxy-token-0123456789abcdef";
const WRONG = "wrong-proxy-token-fedcba9876";

type Line = { level: string; msg: string; event?: string; [k: string]: unknown };

function eventLines(h: Harness): Line[] {
  return h.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.event !== undefined);
}

/** Stops the proxy (which writes its final counts), reads them, then removes everything. */
async function stop(h: Harness): Promise<SecurityEventSummary> {
  await h.proxy.close();
  const summary = readSecurityEvents(h.dir);
  await h.close();
  return summary;
}

function basic(token: string): string {
  return `Basic ${Buffer.from(`someone:${token}`).toString("base64")}`;
}

/** Sends raw bytes to the proxy and resolves with the status line it answers (or "" when it hangs up). */
function rawBytes(url: string, bytes: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: u.hostname, port: Number(u.port) }, () => socket.write(bytes));
    let got = "";
    socket.on("data", (c) => {
      got += c.toString("latin1");
    });
    socket.on("end", () => resolve(got.split("\r\n")[0] ?? ""));
    socket.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    socket.on("error", reject);
  });
}

describe("proxy security events", () => {
  it("a wrong and a missing proxy token are one warn line each with the peer, the token only as fingerprint", async () => {
    const h = await startHarness({ env: { PROXY_AUTH_TOKEN: TOKEN }, logLevel: "info" });
    try {
      // CONNECT with a wrong token (Basic, as HTTPS_PROXY=http://user:token@host sends it)
      const connect = await openTunnel(h.proxy.url, "api.anthropic.com:443", {
        "proxy-authorization": basic(WRONG),
      });
      expect(connect.status).toBe(407);
      connect.socket.destroy();
      // An absolute URI with no token at all
      const absolute = await rawRequest(h.proxy.url, {
        method: "GET",
        path: "http://example.invalid/",
        headers: { host: "example.invalid" },
      });
      expect(absolute.status).toBe(407);
      // Reverse mode with a wrong /t/<token>: the same peer and reason as the CONNECT, within the window
      const reverse = await rawRequest(h.proxy.url, {
        path: `/t/${WRONG}/v1/messages`,
        headers: apiHeaders(h.stub.apiKey),
        body: "{}",
      });
      expect(reverse.status).toBe(401);
      expect(h.stub.exchanges).toHaveLength(0);
    } finally {
      await h.close();
    }
    const got = eventLines(h);
    expect(got.map((l) => [l.level, l.event, l.reason, l.method])).toEqual([
      ["warn", "proxy_auth_refused", "wrong_token", "CONNECT"],
      ["warn", "proxy_auth_refused", "missing_token", "GET"],
      // the reverse request was held back as part of a burst, reported once at stop
      ["warn", "proxy_auth_refused", "wrong_token", "POST"],
    ]);
    expect(got[0]).toMatchObject({
      peer: "127.0.0.1",
      presented: expect.stringMatching(/^\[token sha256:[0-9a-f]{8}\]$/),
    });
    expect(got[1]?.presented).toBeUndefined();
    expect(got[2]).toMatchObject({ burst: true, more: 1, peer: "127.0.0.1" });
    expect(got[2]?.presented).toBe(got[0]?.presented);
    const all = h.logs.join("\n");
    expect(all).not.toContain(WRONG);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(Buffer.from(`someone:${WRONG}`).toString("base64"));
  });

  it("a Node TLS client that does not trust the CA: one tls_client_aborted line naming the fix", async () => {
    const h = await startHarness({ logLevel: "info" });
    let summary: SecurityEventSummary = {};
    try {
      const { status, socket } = await openTunnel(h.proxy.url, "api.anthropic.com:443");
      expect(status).toBe(200);
      // Only the public roots, as a client without NODE_EXTRA_CA_CERTS has
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const tls = tlsConnect({ socket, servername: "api.anthropic.com" }, () =>
          resolve(new Error("trusted")),
        );
        tls.once("error", resolve);
      });
      expect(err.code).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
      socket.destroy(); // the client gives up on the connection, as a real one does
      await waitForEvent(h, "tls_client_aborted");
    } finally {
      summary = await stop(h);
    }
    const got = eventLines(h);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      level: "warn",
      event: "tls_client_aborted",
      reason: "closed_in_handshake",
      host: "api.anthropic.com",
      peer: "127.0.0.1",
    });
    expect(got[0]?.fix).toContain(`NODE_EXTRA_CA_CERTS=${h.proxy.caPath}`);
    expect(got[0]?.fix).toContain("ca install-hints");
    expect(summary.tls_client_aborted?.count).toBe(1);
    expect(summary.tls_client_aborted?.last).toMatchObject({
      reason: "closed_in_handshake",
      peer: "127.0.0.1",
    });
  });

  const curl = spawnSync("curl", ["--version"]).status === 0;
  it.skipIf(!curl)(
    "curl (OpenSSL) that does not trust the CA sends an alert: reason unknown_ca",
    async () => {
      const h = await startHarness({ logLevel: "info" });
      try {
        const status = await new Promise<number | null>((resolve, reject) => {
          const child = spawn(
            "curl",
            ["-sS", "--max-time", "10", "--proxy", h.proxy.url, "https://api.anthropic.com/v1/models"],
            { stdio: "ignore" },
          );
          child.once("error", reject);
          child.once("exit", (code) => resolve(code));
        });
        expect(status).toBe(60); // curl: peer certificate cannot be authenticated with known CA certificates
        await waitForEvent(h, "tls_client_aborted");
      } finally {
        await h.close();
      }
      const got = eventLines(h);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        event: "tls_client_aborted",
        reason: "unknown_ca",
        host: "api.anthropic.com",
      });
      expect(String(got[0]?.code)).toMatch(/ALERT_UNKNOWN_CA/);
    },
  );

  it("an upstream whose certificate is not trusted: one upstream_tls_failed line naming UPSTREAM_CA_FILE", async () => {
    const other = await createTestServerIdentity(["127.0.0.1"], "some other CA");
    const caDir = mkdtempSync(join(tmpdir(), "mmm-other-ca-"));
    writeFileSync(join(caDir, "ca.pem"), other.caPem);
    const h = await startHarness({ env: { UPSTREAM_CA_FILE: join(caDir, "ca.pem") }, logLevel: "info" });
    try {
      const r = await rawRequest(h.proxy.url, {
        path: "/v1/messages",
        headers: apiHeaders(h.stub.apiKey),
        body: JSON.stringify({
          model: "claude-x",
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      expect(r.status).toBe(502);
      expect(r.body.toString()).toContain("UPSTREAM_CA_FILE");
    } finally {
      await h.close();
      rmSync(caDir, { recursive: true, force: true });
    }
    const got = eventLines(h);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      level: "warn",
      event: "upstream_tls_failed",
      reason: "verify_failed",
      host: new URL(h.stub.url).host,
    });
    expect(String(got[0]?.code)).toMatch(/CERT|SIGNATURE|SELF_SIGNED|UNABLE_TO/);
    expect(got[0]?.fix).toContain("UPSTREAM_CA_FILE");
    expect(h.logs.join("\n")).not.toContain(h.stub.apiKey);
  });

  it("oversized headers (431), a malformed request (400) and https:// without CONNECT are request_refused", async () => {
    const h = await startHarness({ logLevel: "info" });
    try {
      const big = `GET /v1/models HTTP/1.1\r\nhost: localhost\r\nx-filler: ${"a".repeat(40_000)}\r\n\r\n`;
      expect(await rawBytes(h.proxy.url, big)).toMatch(/^HTTP\/1\.1 431 /);
      expect(await rawBytes(h.proxy.url, "NOT A REQUEST\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
      const https = await rawRequest(h.proxy.url, {
        method: "GET",
        path: "https://example.invalid/",
        headers: { host: "example.invalid" },
      });
      expect(https.status).toBe(400);
    } finally {
      await h.close();
    }
    const got = eventLines(h).map((l) => [l.event, l.reason, l.status, l.peer]);
    expect(got).toEqual([
      ["request_refused", "headers_too_large", 431, "127.0.0.1"],
      ["request_refused", "malformed", 400, "127.0.0.1"],
      ["request_refused", "https_without_connect", 400, "127.0.0.1"],
    ]);
    expect(h.logs.join("\n")).not.toContain("aaaaaaaa");
  });

  it("1,000 refused requests from one peer give a bounded number of lines, and all are counted", async () => {
    const h = await startHarness({ env: { PROXY_AUTH_TOKEN: TOKEN }, logLevel: "info" });
    let summary: SecurityEventSummary = {};
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const u = new URL(h.proxy.url);
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          { hostname: u.hostname, port: u.port, path: "/v1/models", method: "GET", agent },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 1000; i += 50) {
        statuses.push(...(await Promise.all(Array.from({ length: 50 }, one))));
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(1000);
    } finally {
      agent.destroy();
      summary = await stop(h);
    }
    const got = eventLines(h);
    // One line, then one burst line per further window (a run this short fits in one or two windows).
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThanOrEqual(4);
    const total = got.reduce((n, l) => n + (typeof l.more === "number" ? l.more : 1), 0);
    expect(total).toBe(1000);
    expect(summary.proxy_auth_refused?.count).toBe(1000);
  });
});

async function waitForEvent(h: Harness, event: string): Promise<void> {
  const { until } = await import("../support/until.js");
  await until(
    () => eventLines(h).some((l) => l.event === event),
    () => `a ${event} line (have ${h.logs.length} log lines)`,
  );
}
