import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { USER_PAGE_SIZE } from "../../src/mcp/resources.js";
import { dataOf, type Harness, openHarness } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

async function readText(uri: string): Promise<{ text: string; mimeType?: string | undefined }> {
  const result = await h.client.readResource({ uri });
  const first = result.contents[0];
  if (!first || !("text" in first)) throw new Error("expected text contents");
  return { text: first.text, mimeType: first.mimeType };
}

async function seed(user: string, n: number) {
  const base = Date.parse("2025-05-01T00:00:00Z");
  await h.store.addMany(
    Array.from({ length: n }, (_, i) => ({
      user_id: user,
      memory: `fact ${String(i).padStart(3, "0")}`,
      created_at: new Date(base + i * 1000).toISOString(),
    })),
  );
}

describe("resources", () => {
  it("lists memory://recent, the default user's page and recent memories, and both templates", async () => {
    const added = dataOf(await h.call("add_memory", { text: "Prefers dark mode" })).memory;
    const { resources } = await h.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain("memory://recent");
    expect(uris).toContain("memory://default_user");
    expect(uris).toContain(`memory://memory/${added.id}`);
    expect(resources.find((r) => r.uri === `memory://memory/${added.id}`)?.name).toBe("Prefers dark mode");
    for (const r of resources) expect(r.mimeType).toBe("text/markdown");
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      "memory://memory/{id}",
      "memory://{user_id}",
    ]);
  });

  it("memory://recent holds the 10 newest memories of the default user as Markdown", async () => {
    await seed("default_user", 15);
    await seed("someone_else", 1);
    const { text, mimeType } = await readText("memory://recent");
    expect(mimeType).toBe("text/markdown");
    expect(text).toMatch(/^# Recent memories of default_user/);
    const facts = text.match(/^- fact \d+/gm);
    expect(facts).toEqual(Array.from({ length: 10 }, (_, i) => `- fact ${String(14 - i).padStart(3, "0")}`));
  });

  it("memory://{user_id} pages through every memory by following the next-page URI", async () => {
    const total = USER_PAGE_SIZE * 2 + 7;
    await seed("erin", total);
    const seen: string[] = [];
    let uri: string | undefined = "memory://erin";
    let pages = 0;
    while (uri) {
      const { text }: { text: string } = await readText(uri);
      seen.push(...(text.match(/^- fact \d+/gm) ?? []));
      uri = /^Next page: (\S+)$/m.exec(text)?.[1];
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen[0]).toBe(`- fact ${String(total - 1).padStart(3, "0")}`);
  });

  it("encodes user ids that are not URI-safe", async () => {
    await seed("Ann Lee@example.com", 2);
    const { text } = await readText(`memory://${encodeURIComponent("Ann Lee@example.com")}`);
    expect(text).toMatch(/^# Memories of Ann Lee@example.com/);
    expect(text.match(/^- fact/gm)).toHaveLength(2);
  });

  it("memory://memory/{id} shows one memory with its history", async () => {
    const added = dataOf(await h.call("add_memory", { text: "Build with make -j4", app_id: "/proj" })).memory;
    await h.call("update_memory", { memory_id: added.id, text: "Build with make -j8" });
    const { text } = await readText(`memory://memory/${added.id}`);
    expect(text).toContain(`# Memory ${added.id}`);
    expect(text).toContain("Build with make -j8");
    expect(text).toContain("| project | /proj |");
    expect(text).toContain("UPDATE: Build with make -j4 → Build with make -j8");
  });

  it("answers unknown ids, unknown users and bad URIs with a resource-not-found error", async () => {
    await expect(h.client.readResource({ uri: "memory://memory/nope" })).rejects.toThrow(
      /no memory with id nope/,
    );
    await expect(h.client.readResource({ uri: "memory://ghost" })).rejects.toThrow(
      /no memories exist for user "ghost"/,
    );
    await expect(h.client.readResource({ uri: "memory://%E0%A4%A" })).rejects.toThrow(/not valid/);
    await expect(h.client.readResource({ uri: "memory://erin?cursor=garbage" })).rejects.toThrow(
      /cursor is not valid/i,
    );
  });

  it("reads an empty default user without error", async () => {
    const { text } = await readText("memory://default_user");
    expect(text).toContain("_No memories._");
  });
});

describe("recall prompt", () => {
  it("is listed with a required topic", async () => {
    const { prompts } = await h.client.listPrompts();
    const recall = prompts.find((p) => p.name === "recall");
    expect(recall?.arguments).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "topic", required: true })]),
    );
  });

  it("fills in the memories relevant to the topic", async () => {
    await h.call("add_memory", { text: "Postgres migrations run with sqitch" });
    await h.call("add_memory", { text: "The user likes concise answers" });
    const result = await h.client.getPrompt({ name: "recall", arguments: { topic: "migrations" } });
    const message = result.messages[0];
    expect(message?.role).toBe("user");
    const text = message?.content.type === "text" ? message.content.text : "";
    expect(text).toContain("Postgres migrations run with sqitch");
    expect(text).not.toContain("concise answers");
    expect(text).toMatch(/possibly outdated/);
  });

  it("says so when nothing matches, and rejects an empty topic", async () => {
    const result = await h.client.getPrompt({ name: "recall", arguments: { topic: "kubernetes" } });
    const message = result.messages[0];
    expect(message?.content.type === "text" && message.content.text).toMatch(
      /No stored memories match "kubernetes"/,
    );
    await expect(h.client.getPrompt({ name: "recall", arguments: { topic: "" } })).rejects.toThrow(
      /topic must not be empty/,
    );
  });
});
