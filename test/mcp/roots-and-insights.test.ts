import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { createInsights } from "../../src/insights/index.js";
import type { InsightsProvider } from "../../src/mcp/insights-provider.js";
import { projectFromRoots } from "../../src/mcp/project-context.js";
import { dataOf, errorTextOf, type Harness, openHarness, textOf } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("project from the client's roots", () => {
  it("uses the first file:// root as the default app_id of new memories", async () => {
    h = await openHarness({
      roots: ["file://remote-host/share", "file:///work/proj%20one", "file:///work/other"],
      env: { DEFAULT_APP_ID: "/configured" },
    });
    const added = dataOf(await h.call("add_memory", { text: "Root-scoped note" })).memory;
    expect(added.app_id).toBe("/work/proj one");
    const explicit = dataOf(await h.call("add_memory", { text: "Explicit project", app_id: "/x" })).memory;
    expect(explicit.app_id).toBe("/x");
  });

  it("follows roots/list_changed", async () => {
    const roots = ["file:///work/first"];
    h = await openHarness({ roots });
    expect(dataOf(await h.call("add_memory", { text: "one" })).memory.app_id).toBe("/work/first");
    roots[0] = "file:///work/second";
    await h.client.sendRootsListChanged();
    // Messages are handled in order: the server starts the refresh before the next call awaits it.
    expect(dataOf(await h.call("add_memory", { text: "two" })).memory.app_id).toBe("/work/second");
  });

  it("falls back to the configured project when the client's roots answer is invalid", async () => {
    // The spec requires file:// roots; the client's SDK refuses to send this answer and replies with an error.
    h = await openHarness({ roots: ["https://example.com/repo"], env: { DEFAULT_APP_ID: "/configured" } });
    expect(dataOf(await h.call("add_memory", { text: "bad roots" })).memory.app_id).toBe("/configured");
  });

  it("falls back to the configured project when the client offers no roots", async () => {
    h = await openHarness({ env: { DEFAULT_APP_ID: "/configured" } });
    expect(dataOf(await h.call("add_memory", { text: "no roots" })).memory.app_id).toBe("/configured");
  });

  it("leaves app_id empty without roots and without configuration", async () => {
    h = await openHarness();
    expect(dataOf(await h.call("add_memory", { text: "nothing" })).memory.app_id).toBeNull();
  });

  it("maps only local file URIs", () => {
    expect(projectFromRoots([{ uri: "https://x/y" }])).toBeUndefined();
    expect(projectFromRoots([{ uri: "file://remote-host/share" }])).toBeUndefined();
    expect(projectFromRoots([{ uri: "file:///home/me/code" }])).toBe("/home/me/code");
  });
});

/** A small real provider over the store, standing in for the reflection analyser to test the wiring. */
function countingInsights(h: () => Harness): InsightsProvider & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    async analyze(opts) {
      calls.push({ analyze: opts });
      const page = await h().store.list({
        filters: { user_id: opts.user_id, app_id: opts.app_id },
        limit: opts.limit,
      });
      return { text: `Analysed ${page.memories.length} memories.`, data: { analysed: page.memories.length } };
    },
    async suggest(opts) {
      calls.push({ suggest: opts });
      return { text: "Write the tests first.", data: { suggestions: ["Write the tests first."] } };
    },
  };
}

describe("analyze_conversations and suggest_next_actions", () => {
  it("say the analyser is unavailable instead of pretending", async () => {
    h = await openHarness();
    for (const tool of ["analyze_conversations", "suggest_next_actions"]) {
      const text = errorTextOf(await h.call(tool, {}));
      expect(text).toMatch(/analyser is not available/);
      expect(text).toMatch(/search_memories/);
    }
  });

  it("pass scope and limit to the provider and return its findings", async () => {
    const insights = countingInsights(() => h!);
    h = await openHarness({ insights });
    await h.call("add_memory", { text: "a", app_id: "/p" });
    await h.call("add_memory", { text: "b", app_id: "/p" });
    await h.call("add_memory", { text: "c", app_id: "/q" });
    const analysis = await h.call("analyze_conversations", { limit: 5, app_id: "/p" });
    expect(textOf(analysis)).toBe("Analysed 2 memories.");
    expect(dataOf(analysis)).toEqual({ user_id: "default_user", data: { analysed: 2 } });
    const suggestion = await h.call("suggest_next_actions", {});
    expect(dataOf(suggestion).data).toEqual({ suggestions: ["Write the tests first."] });
    expect(insights.calls).toEqual([
      { analyze: { user_id: "default_user", limit: 5, app_id: "/p" } },
      { suggest: { user_id: "default_user", app_id: undefined } },
    ]);
    expect(errorTextOf(await h.call("analyze_conversations", { limit: 0 }))).toMatch(/limit must be/);
    expect(errorTextOf(await h.call("suggest_next_actions", { user_id: "ghost" }))).toMatch(
      /No memories exist/,
    );
  });

  it("run the real insights service: an empty history is an answer, not an error", async () => {
    h = await openHarness({
      insightsFor: (store, config) => createInsights({ store, config, logger: silentLogger }).provider,
    });
    const analysis = await h.call("analyze_conversations", {});
    expect(dataOf(analysis)).toMatchObject({ user_id: "default_user", data: { status: "empty" } });
    expect(textOf(analysis).length).toBeGreaterThan(0);
    const suggestion = await h.call("suggest_next_actions", { app_id: "/p" });
    expect(dataOf(suggestion)).toMatchObject({
      user_id: "default_user",
      data: { status: "empty", app_id: "/p" },
    });
  });

  it("declare the open world only when the model reflection is configured", async () => {
    h = await openHarness({ env: { REFLECTION_MODEL: "claude-x", ANTHROPIC_API_KEY: "sk-test-key" } });
    const { tools } = await h.client.listTools();
    const annotations = new Map(tools.map((t) => [t.name, t.annotations]));
    expect(annotations.get("analyze_conversations")?.openWorldHint).toBe(true);
    expect(annotations.get("suggest_next_actions")?.openWorldHint).toBe(false);
  });
});
