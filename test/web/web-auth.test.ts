import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveAuth } from "../../src/web/web-auth.js";
import { type Seeded, seededPage, TOKEN } from "./web-fixtures.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request (node:http lets a test send any Host and Origin). */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const u = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

let s: Seeded;
let base: string;
const auth = deriveAuth(TOKEN);
const cookie = `mmm_session=${auth.session}`;

beforeAll(async () => {
  s = await seededPage();
  base = s.web.url;
});
afterAll(async () => {
  await s.close();
});

describe("the web page's door", () => {
  it("trades a right token for an HttpOnly, SameSite=Strict cookie and redirects", async () => {
    const r = await request(`${base}login?token=${TOKEN}&next=/timeline`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe("/timeline");
    const set = r.headers["set-cookie"]?.[0] ?? "";
    expect(set).toContain(`mmm_session=${auth.session}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toContain(TOKEN);
  });

  it("refuses a wrong or missing token, and pages without the cookie", async () => {
    for (const url of [`${base}login?token=wrong-token-wrong-token`, `${base}login`, `${base}login?token=`]) {
      const r = await request(url, { headers: { accept: "text/html" } });
      expect(r.status).toBe(401);
      expect(r.headers["set-cookie"]).toBeUndefined();
      expect(r.body).toContain("not valid");
    }
    for (const path of [
      "",
      "memory/x",
      "timeline",
      "insights",
      "privacy",
      "export",
      "events",
      "fragment/results?q=a",
    ]) {
      const r = await request(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.body).not.toContain("zephyrhost");
    }
    const forged = await request(base, { headers: { cookie: "mmm_session=forged" } });
    expect(forged.status).toBe(401);
  });

  it("accepts the cookie, or the token as a bearer header", async () => {
    expect((await request(`${base}?q=zephyrhost`, { headers: { cookie } })).body).toContain("zephyrhost");
    expect((await request(base, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await request(base, { headers: { authorization: "Bearer nope-nope-nope-nope" } })).status).toBe(
      401,
    );
  });

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin, even with the cookie", async () => {
    const host = await request(base, { headers: { cookie, host: "attacker.example:8766" } });
    expect(host.status).toBe(403);
    expect(host.body).not.toContain("zephyrhost");
    const login = await request(`${base}login?token=${TOKEN}`, { headers: { host: "rebind.example" } });
    expect(login.status).toBe(403);
    expect(login.headers["set-cookie"]).toBeUndefined();
    const origin = await request(base, { headers: { cookie, origin: "https://attacker.example" } });
    expect(origin.status).toBe(403);
    const crossSite = await request(base, { headers: { cookie, "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect((await request(base, { headers: { cookie, host: "localhost" } })).status).toBe(200);
  });

  it("refuses a state-changing request without the page's CSRF token", async () => {
    const id = s.planted.id;
    const form = { cookie, "content-type": "application/x-www-form-urlencoded" };
    const none = await request(`${base}memory/${id}/delete`, { method: "POST", headers: form, body: "" });
    expect(none.status).toBe(403);
    const wrong = await request(`${base}memory/${id}/delete`, {
      method: "POST",
      headers: form,
      body: "_csrf=guess",
    });
    expect(wrong.status).toBe(403);
    const header = await request(`${base}privacy/forget`, {
      method: "POST",
      headers: { ...form, "x-csrf-token": "guess" },
      body: "user=default_user&confirm=default_user",
    });
    expect(header.status).toBe(403);
    expect(await s.store.get(id)).not.toBeNull();
  });

  it("sends a strict Content-Security-Policy and no third-party address", async () => {
    const r = await request(base, { headers: { cookie } });
    const csp = String(r.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    // Everything the page loads is on this server.
    const refs = [...r.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(ref.startsWith("/") || ref.startsWith("#"), ref).toBe(true);
    expect(r.body).not.toMatch(/<script(?![^>]*src=)[^>]*>/);
    expect(r.body).not.toMatch(/ style=/);
  });

  it("answers bad input with a clear 400 and keeps the data", async () => {
    const r = await request(`${base}?from=yesterday`, { headers: { cookie, accept: "text/html" } });
    expect(r.status).toBe(400);
    expect(r.body).toContain("from must be a date");
    const j = await request(`${base}fragment/results?source=robots`, { headers: { cookie } });
    expect(j.status).toBe(400);
    expect(JSON.parse(j.body).error).toContain("source must be one of");
  });

  it("deletes a session only with DELETE typed, and a crafted message link shows nothing", async () => {
    const form = { cookie, "content-type": "application/x-www-form-urlencoded", accept: "text/html" };
    const body = (confirm: string) =>
      new URLSearchParams({
        _csrf: auth.csrf,
        project: "/home/dev/acme-shop",
        session: "sess-a",
        confirm,
      }).toString();
    const refused = await request(`${base}privacy/delete-scope`, {
      method: "POST",
      headers: form,
      body: body("delete"),
    });
    expect(refused.status).toBe(400);
    expect(
      (await s.store.list({ filters: { user_id: "default_user", run_id: "sess-a" } })).memories,
    ).toHaveLength(2);
    const done = await request(`${base}privacy/delete-scope`, {
      method: "POST",
      headers: form,
      body: body("DELETE"),
    });
    expect(done.status).toBe(303);
    expect((await s.store.list({ filters: { user_id: "default_user", run_id: "sess-a" } })).memories).toEqual(
      [],
    );
    expect(
      (await s.store.list({ filters: { user_id: "default_user", run_id: "sess-b" } })).memories,
    ).toHaveLength(2);
    const shown = await request(new URL(String(done.headers.location), base).toString(), {
      headers: { cookie },
    });
    expect(shown.body).toContain("Deleted 2 memories of session sess-a");
    // The message is shown once, and a link cannot make the page say anything.
    expect(
      (await request(new URL(String(done.headers.location), base).toString(), { headers: { cookie } })).body,
    ).not.toContain("Deleted 2");
    const crafted = await request(`${base}privacy?done=${encodeURIComponent("Your account was hacked")}`, {
      headers: { cookie },
    });
    expect(crafted.body).not.toContain("hacked");
  });
});
