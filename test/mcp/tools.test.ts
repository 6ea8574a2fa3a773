import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SERVER_INSTRUCTIONS } from "../../src/mcp/instructions.js";
import { dataOf, errorTextOf, type Harness, openHarness, textOf } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await openHarness({ env: { DEFAULT_APP_ID: "/work/default-project" } });
});
afterEach(async () => {
  await h.close();
});

const ALL_TOOLS = [
  "add_memory",
  "analyze_conversations",
  "delete_all_memories",
  "delete_memory",
  "get_memory",
  "list_memories",
  "memory_history",
  "search_memories",
  "suggest_next_actions",
  "update_memory",
];

describe("tool listing", () => {
  it("lists every tool with input and output schemas and truthful annotations", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe("object");
      expect(t.outputSchema?.type).toBe("object");
      expect(t.description?.length).toBeGreaterThan(10);
    }
    const byName = new Map(tools.map((t) => [t.name, t.annotations]));
    for (const name of ["search_memories", "list_memories", "get_memory", "memory_history"]) {
      expect(byName.get(name)).toMatchObject({
        readOnlyHint: true,
        destructiveHint: false,
        openWorldHint: false,
      });
    }
    for (const name of ["update_memory", "delete_memory", "delete_all_memories"]) {
      expect(byName.get(name)).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    }
    expect(byName.get("add_memory")).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    // The analyser files new turns and stores its reflection: it writes, destroys nothing, and stays
    // closed-world unless the opt-in model reflection is configured.
    expect(byName.get("analyze_conversations")).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      openWorldHint: false,
    });
    expect(byName.get("suggest_next_actions")).toMatchObject({ readOnlyHint: false, destructiveHint: false });
  });

  it("sends short instructions on when to search and add", () => {
    const instructions = h.client.getInstructions();
    expect(instructions).toBe(SERVER_INSTRUCTIONS);
    expect(instructions!.length).toBeLessThan(2000);
    expect(instructions).toMatch(/search_memories/);
    expect(instructions).toMatch(/add_memory/);
    expect(instructions).toMatch(/stale/);
  });
});

describe("add_memory and search_memories", () => {
  it("stores text with configured defaults and finds it by search", async () => {
    const added = dataOf(await h.call("add_memory", { text: "The user prefers pnpm over npm" }));
    expect(added.status).toBe("created");
    expect(added.memory).toMatchObject({
      memory: "The user prefers pnpm over npm",
      user_id: "default_user",
      agent_id: "claude-code",
      app_id: "/work/default-project",
    });
    const result = await h.call("search_memories", { query: "pnpm" });
    const found = dataOf(result);
    expect(found.user_id).toBe("default_user");
    expect(found.results).toHaveLength(1);
    expect(found.results[0]).toMatchObject({ id: added.memory.id, memory: "The user prefers pnpm over npm" });
    expect(found.results[0].score).toBeGreaterThan(0);
    expect(textOf(result)).toContain("The user prefers pnpm over npm");
    expect(textOf(result)).toContain(added.memory.id);
  });

  it("reports a duplicate instead of storing the same text twice", async () => {
    const first = dataOf(await h.call("add_memory", { text: "Use tabs in Makefiles" }));
    const second = await h.call("add_memory", { text: "Use tabs in Makefiles" });
    expect(dataOf(second)).toMatchObject({ status: "duplicate", memory: { id: first.memory.id } });
    expect(textOf(second)).toMatch(/Already remembered/);
  });

  it("turns messages into one memory of role: content lines and keeps explicit scope", async () => {
    const added = dataOf(
      await h.call("add_memory", {
        messages: [
          { role: "user", content: "How do I fix ECONNRESET in the proxy?" },
          { role: "assistant", content: "Set keepAlive false on the upstream agent." },
        ],
        user_id: "alice",
        app_id: "/work/proxy",
        run_id: "session-1",
        metadata: { topic: "networking" },
        categories: ["solution"],
      }),
    );
    expect(added.memory).toMatchObject({
      memory:
        "user: How do I fix ECONNRESET in the proxy?\nassistant: Set keepAlive false on the upstream agent.",
      user_id: "alice",
      app_id: "/work/proxy",
      run_id: "session-1",
      metadata: { topic: "networking" },
      categories: ["solution"],
    });
    const found = dataOf(await h.call("search_memories", { query: "ECONNRESET", user_id: "alice" }));
    expect(found.results.map((r: { id: string }) => r.id)).toEqual([added.memory.id]);
    // Scoping: the default user does not see alice's memory.
    expect(dataOf(await h.call("search_memories", { query: "ECONNRESET" })).results).toEqual([]);
  });

  it("applies search filters (project, session, categories, metadata, time range)", async () => {
    await h.call("add_memory", {
      text: "Deploy with blue-green switch",
      app_id: "/a",
      categories: ["decision"],
    });
    await h.call("add_memory", {
      text: "Deploy needs the VPN up",
      app_id: "/b",
      run_id: "r2",
      metadata: { env: "prod" },
    });
    const ids = async (filters: Record<string, unknown>) =>
      dataOf(await h.call("search_memories", { query: "deploy", filters })).results.map(
        (r: { memory: string }) => r.memory,
      );
    expect(await ids({ app_id: "/a" })).toEqual(["Deploy with blue-green switch"]);
    expect(await ids({ run_id: "r2" })).toEqual(["Deploy needs the VPN up"]);
    expect(await ids({ categories: ["decision"] })).toEqual(["Deploy with blue-green switch"]);
    expect(await ids({ metadata: { env: "prod" } })).toEqual(["Deploy needs the VPN up"]);
    expect((await ids({ created_after: "2000-01-01" })).sort()).toHaveLength(2);
    expect(await ids({ created_before: "2000-01-01T00:00:00Z" })).toEqual([]);
  });

  it("answers an empty result normally, not as an error", async () => {
    const result = await h.call("search_memories", { query: "kubernetes" });
    expect(result.isError).toBeFalsy();
    expect(dataOf(result).results).toEqual([]);
    expect(textOf(result)).toMatch(/No memories match "kubernetes"/);
  });

  it("refuses text and messages together, and neither", async () => {
    expect(
      errorTextOf(await h.call("add_memory", { text: "x", messages: [{ role: "user", content: "y" }] })),
    ).toMatch(/exactly one of `text` or `messages`/);
    expect(errorTextOf(await h.call("add_memory", {}))).toMatch(/exactly one of `text` or `messages`/);
    expect(errorTextOf(await h.call("add_memory", { messages: [{ role: "robot", content: "y" }] }))).toMatch(
      /role must be user, assistant or system/,
    );
  });
});

describe("bad input to search_memories", () => {
  beforeEach(async () => {
    await h.call("add_memory", { text: "Something to find" });
  });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["empty query", { query: "" }, /query must not be empty/],
    ["blank query", { query: "   " }, /query must not be empty/],
    ["100 kB query", { query: "x".repeat(100_000) }, /query is at most 2000 characters/],
    ["limit 0", { query: "find", limit: 0 }, /limit must be a whole number from 1 to 50/],
    ["limit 10,000", { query: "find", limit: 10_000 }, /limit must be a whole number from 1 to 50/],
    ["fractional limit", { query: "find", limit: 2.5 }, /limit must be a whole number/],
    ["limit as a string", { query: "find", limit: "ten" }, /limit must be a whole number/],
    ["query as a number", { query: 42 }, /query must be a string/],
    ["missing query", {}, /query/],
    ["unknown filter", { query: "find", filters: { colour: "red" } }, /colour/],
    ["bad date", { query: "find", filters: { created_after: "yesterday" } }, /ISO-8601/],
    ["user_id as a number", { query: "find", user_id: 7 }, /user_id/],
  ];
  for (const [name, args, message] of cases) {
    it(`rejects ${name} with an actionable isError result`, async () => {
      const text = errorTextOf(await h.call("search_memories", args));
      expect(text).toMatch(message);
      expect(text).toMatch(/search_memories/);
    });
  }

  it("rejects an unknown user instead of answering empty", async () => {
    const text = errorTextOf(await h.call("search_memories", { query: "find", user_id: "nobody" }));
    expect(text).toMatch(/No memories exist for user_id "nobody"/);
    expect(text).toMatch(/omit user_id/);
  });
});
