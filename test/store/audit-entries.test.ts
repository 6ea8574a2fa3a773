import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { AUDIT_FILE, AuditLog, type AuditRecord } from "../../src/store/audit-log.js";
import { AuditedMemoryStore } from "../../src/store/audited-store.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { CSRF_HEADER } from "../../src/web/web-auth.js";
import { startWebServer } from "../../src/web/web-server.js";
import { cliPath, tempDataDir } from "../support/cli.js";

/** Every operation an entry point offers writes one audit line as that entry point, with counts and no text. */

const SECRET = "the vault combination is periwinkle-otter";

/** The part of a tool result these tests read (add_memory's answer). */
type AddedShape = { memory: { id: string } };

function auditLines(dir: string): AuditRecord[] {
  return readFileSync(join(dir, AUDIT_FILE), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as AuditRecord);
}

describe("audit lines per entry point", () => {
  it("MCP over real stdio: add, search, list, get, update, delete and delete_all (forget) are one line each", async () => {
    const dir = tempDataDir("mmm-audit-mcp-");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp", "--data-dir", dir],
      env: { HOME: dir, LOG_LEVEL: "warn", DEFAULT_USER_ID: "ann" },
      cwd: dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "audit-test", version: "1.0.0" });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
      return r.structuredContent as AddedShape;
    };
    try {
      const added = await call("add_memory", { text: SECRET, user_id: "ann" });
      const id = added.memory.id;
      await call("add_memory", { text: "ann waters the ferns on fridays", user_id: "ann" });
      await call("search_memories", { query: "periwinkle otter", user_id: "ann" });
      await call("list_memories", { user_id: "ann" });
      await call("get_memory", { memory_id: id, user_id: "ann" });
      await call("update_memory", { memory_id: id, text: `${SECRET}, changed`, user_id: "ann" });
      await call("delete_memory", { memory_id: id, user_id: "ann" });
      await call("delete_all_memories", { user_id: "ann", confirm: true });
    } finally {
      await client.close();
    }
    const got = auditLines(dir);
    // Forgetting ann removed her earlier lines: only the record of the forgetting is left about her.
    expect(got.map((l) => [l.entry, l.op, l.user, l.count, l.ok])).toEqual([
      ["mcp", "forget", "ann", 1, true],
    ]);
    expect(readFileSync(join(dir, AUDIT_FILE), "utf8")).not.toMatch(/periwinkle|otter|ferns/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("MCP over real stdio, before any forgetting: each operation is its line with its count", async () => {
    const dir = tempDataDir("mmm-audit-mcp2-");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp", "--data-dir", dir],
      env: { HOME: dir, LOG_LEVEL: "warn", DEFAULT_USER_ID: "bob" },
      cwd: dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "audit-test", version: "1.0.0" });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown>) =>
      ((await client.callTool({ name, arguments: args })) as CallToolResult).structuredContent as AddedShape;
    try {
      const id = (await call("add_memory", { text: SECRET, user_id: "bob" })).memory.id;
      await call("add_memory", { text: "bob waters the ferns on fridays", user_id: "bob" });
      await call("search_memories", { query: "periwinkle otter", user_id: "bob" });
      await call("list_memories", { user_id: "bob" });
      await call("get_memory", { memory_id: id, user_id: "bob" });
      await call("update_memory", { memory_id: id, text: `${SECRET}, changed`, user_id: "bob" });
      await call("delete_memory", { memory_id: id, user_id: "bob" });
    } finally {
      await client.close();
    }
    const got = auditLines(dir);
    expect(got.map((l) => [l.entry, l.op, l.count, l.ok])).toEqual([
      ["mcp", "add", 1, true],
      ["mcp", "add", 1, true],
      ["mcp", "search", 1, true],
      ["mcp", "list", 2, true],
      ["mcp", "get", 1, true],
      // update and delete first read the memory to check its owner; that read is recorded as a get
      ["mcp", "get", 1, true],
      ["mcp", "update", 1, true],
      ["mcp", "get", 1, true],
      ["mcp", "delete", 1, true],
    ]);
    for (const l of got) expect(l.user).toBe("bob");
    expect(readFileSync(join(dir, AUDIT_FILE), "utf8")).not.toMatch(/periwinkle|otter|ferns/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the web page: search, get, update, delete, export, import and forget are one line each as web", async () => {
    const dir = tempDataDir("mmm-audit-web-");
    const raw = SqliteMemoryStore.open(join(dir, "memories.db"));
    const seeded = await raw.add({ user_id: "u", memory: SECRET });
    await raw.add({ user_id: "u", memory: "u waters the ferns on fridays" });
    const id = seeded.memory!.id;
    const store = new AuditedMemoryStore(raw, new AuditLog(dir), { entry: "web" });
    const token = "web-audit-token-0123456789abcdef";
    const web = await startWebServer({ store, userId: "u", token, logger: silentLogger, port: 0 });
    const csrf = web.context.auth.csrf;
    const auth = { authorization: `Bearer ${token}` };
    const send = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(new URL(path, web.url), {
        redirect: "manual",
        ...init,
        headers: { ...auth, ...(init.method === "POST" ? { [CSRF_HEADER]: csrf } : {}), ...init.headers },
      });
      const body = await res.text();
      expect(res.status, `${path}: ${body.slice(0, 200)}`).toBeLessThan(400);
      return body;
    };
    try {
      await send("/?q=periwinkle+otter");
      await send(`/memory/${id}`);
      await send(`/memory/${id}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-requested-with": "fetch" },
        body: new URLSearchParams({ memory: `${SECRET}, edited` }).toString(),
      });
      await send(`/memory/${id}/delete`, { method: "POST", headers: { "x-requested-with": "fetch" } });
      const exported = await send("/export?format=jsonl");
      await send("/import", {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", "x-file-name": "export.jsonl" },
        body: exported,
      });
      await send("/privacy/forget", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-requested-with": "fetch" },
        body: new URLSearchParams({ user: "someone-else", confirm: "someone-else" }).toString(),
      });
    } finally {
      await web.close();
      await store.close();
    }
    const ops = auditLines(dir).filter((l) => l.entry === "web");
    const kinds = [...new Set(ops.map((l) => l.op))];
    expect(kinds).toEqual(
      expect.arrayContaining(["search", "get", "update", "delete", "export", "import", "forget"]),
    );
    const one = (op: string) => ops.filter((l) => l.op === op);
    for (const op of ["update", "delete", "export", "import", "forget"]) expect(one(op)).toHaveLength(1);
    expect(one("export")[0]).toMatchObject({ user: "u", count: 1, ok: true });
    expect(one("forget")[0]).toMatchObject({ user: "someone-else", count: 0, ok: true });
    expect(one("delete")[0]).toMatchObject({ id, count: 1 });
    expect(readFileSync(join(dir, AUDIT_FILE), "utf8")).not.toMatch(/periwinkle|otter|ferns/);
    rmSync(dir, { recursive: true, force: true });
  });
});
