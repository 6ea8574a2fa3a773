import { describe, expect, it } from "vitest";
import {
  buildEpisode,
  type EpisodeInput,
  type EpisodeReply,
  episodeStart,
  episodeText,
  episodeToMemory,
  personWords,
} from "../../../src/core/episodes/index.js";

const APP = "/home/dev/acme-api";

function input(
  messages: unknown[],
  reply: EpisodeReply | null,
  extra: Partial<EpisodeInput> = {},
): EpisodeInput {
  return {
    messages,
    reply,
    userId: "u",
    agentId: "claude-code",
    project: APP,
    session: "s1",
    client: "claude-cli/2.1.197",
    source: "capture",
    startedAt: "2026-12-01T10:00:00.000Z",
    endedAt: "2026-12-01T10:00:09.000Z",
    usage: { input_tokens: 5 },
    ...extra,
  };
}

function reply(content: unknown[], stop_reason: string | null = "end_turn", complete = true): EpisodeReply {
  return { content: content as EpisodeReply["content"], stop_reason, model: "claude-x", complete };
}

const ask = (text: string) => ({ role: "user", content: [{ type: "text", text }] });
const call = (id: string, name: string, inputArgs: Record<string, unknown>, text?: string) => ({
  role: "assistant",
  content: [...(text ? [{ type: "text", text }] : []), { type: "tool_use", id, name, input: inputArgs }],
});
const result = (id: string, content: unknown, is_error?: boolean) => ({
  role: "user",
  content: [{ type: "tool_result", tool_use_id: id, content, ...(is_error ? { is_error } : {}) }],
});

describe("stop reasons", () => {
  it.each(["end_turn", "max_tokens", "stop_sequence", "refusal"])("%s ends the episode", (stop) => {
    const ep = buildEpisode(input([ask("hello")], reply([{ type: "text", text: "hi" }], stop)));
    expect(ep).toMatchObject({ complete: true, answer: "hi", stop_reason: stop, incomplete_reason: null });
  });

  it.each(["tool_use", "pause_turn", null])("%s continues it", (stop) => {
    const ep = buildEpisode(input([ask("hello")], reply([{ type: "text", text: "working on it" }], stop)));
    expect(ep).toMatchObject({
      complete: false,
      answer: "",
      incomplete_reason: "interrupted before the final answer",
    });
  });

  it("a reply that did not arrive whole does not end it, whatever its stop reason", () => {
    const cut = buildEpisode(
      input([ask("hello")], { ...reply([{ type: "text", text: "hal" }]), complete: false }),
    );
    expect(cut).toMatchObject({ complete: false, incomplete_reason: "the reply was cut off" });
    const none = buildEpisode(input([ask("hello")], null));
    expect(none).toMatchObject({ complete: false, incomplete_reason: "no reply arrived", requests: 0 });
  });

  it("complete and incomplete episodes get different keys; the incomplete key depends on session and words only", () => {
    const done = buildEpisode(input([ask("q")], reply([{ type: "text", text: "a" }])));
    const open = buildEpisode(input([ask("q")], reply([], "tool_use")));
    expect(done?.key).not.toBe(open?.key);
    expect(done?.incomplete_key).toBe(open?.key);
    const elsewhere = buildEpisode(input([ask("q")], reply([], "tool_use"), { session: "s2" }));
    expect(elsewhere?.key).not.toBe(open?.key);
  });
});

describe("block types", () => {
  it("text, thinking, redacted thinking, tool calls of every kind and their results", () => {
    const messages = [
      ask("look into the flaky build"),
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "SECRET-THOUGHT", signature: "s" },
          { type: "redacted_thinking", data: "REDACTED-DATA" },
          { type: "text", text: "Let me read the notes." },
          { type: "tool_use", id: "r1", name: "Read", input: { file_path: `${APP}/notes.md` } },
          { type: "tool_use", id: "g1", name: "Grep", input: { pattern: "cache", path: `${APP}/src` } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "r1", content: "FILE-BODY" },
          { type: "tool_result", tool_use_id: "g1", content: [{ type: "text", text: "GREP-BODY" }] },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "The notes say the cache key is wrong; checking the config next." },
          { type: "server_tool_use", id: "w1", name: "web_search", input: { query: "cache key locale" } },
          {
            type: "web_search_tool_result",
            tool_use_id: "w1",
            content: [{ type: "web_search_result", url: "u" }],
          },
          {
            type: "mcp_tool_use",
            id: "m1",
            name: "create_issue",
            server_name: "github",
            input: { title: "t" },
          },
          {
            type: "tool_use",
            id: "f1",
            name: "WebFetch",
            input: { url: "https://example.com/doc", prompt: "p" },
          },
          {
            type: "tool_use",
            id: "e1",
            name: "Write",
            input: { file_path: "/tmp/out.txt", content: "WRITTEN-BODY" },
          },
        ],
      },
      result("f1", "FETCH-BODY"),
    ];
    const ep = buildEpisode(
      input(
        messages,
        reply([
          { type: "thinking", thinking: "LAST-THOUGHT" },
          { type: "text", text: "Done." },
        ]),
      ),
    );
    expect(ep?.steps).toEqual([
      { kind: "tool", tool: "Read", line: "Read notes.md" },
      { kind: "tool", tool: "Grep", line: 'Grep "cache" in src' },
      { kind: "note", text: "The notes say the cache key is wrong; checking the config next." },
      { kind: "tool", tool: "web_search", line: "web_search: cache key locale" },
      { kind: "tool", tool: "create_issue", line: "create_issue: t" },
      { kind: "tool", tool: "WebFetch", line: "WebFetch: https://example.com/doc" },
      { kind: "tool", tool: "Write", line: "Write /tmp/out.txt" },
    ]);
    expect(ep).toMatchObject({
      answer: "Done.",
      files_read: [`${APP}/notes.md`],
      files_changed: ["/tmp/out.txt"],
      tools: ["Read", "Grep", "web_search", "create_issue", "WebFetch", "Write"],
      requests: 3,
    });
    expect(JSON.stringify(ep)).not.toMatch(/THOUGHT|REDACTED-DATA|BODY/);
  });

  it("the person's images and documents become placeholders; system entries and reminders are not their words", () => {
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "<system-reminder>context</system-reminder>\n\n" },
          { type: "text", text: "what is in this picture?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo" } },
          { type: "document", title: "spec.pdf", source: { type: "base64", data: "JVBER" } },
        ],
      },
      { role: "system", content: "Available agent types for the Agent tool" },
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "A cat." }])));
    expect(ep?.words).toBe("what is in this picture?\n\n[image]\n\n[document: spec.pdf]");
    expect(JSON.stringify(ep)).not.toMatch(/iVBOR|JVBER|Available agent/);
  });

  it("a failed call keeps its error's first line (and the next after a bare exit code); success keeps nothing", () => {
    const messages = [
      ask("run the tests"),
      call("b1", "Bash", { command: "npm test" }),
      result("b1", "Exit code 1\nError: connect ECONNREFUSED 127.0.0.1:5432\nstack", true),
      call("b2", "Bash", { command: "npm test" }),
      result("b2", "all 12 passed"),
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Green now." }])));
    expect(ep?.steps).toEqual([
      {
        kind: "tool",
        tool: "Bash",
        line: "Bash: npm test",
        error: "Exit code 1: Error: connect ECONNREFUSED 127.0.0.1:5432",
      },
      { kind: "tool", tool: "Bash", line: "Bash: npm test" },
    ]);
    expect(ep?.commands).toEqual(["npm test"]);
    expect(episodeText(ep as never)).toContain(
      "- Bash: npm test → error: Exit code 1: Error: connect ECONNREFUSED",
    );
  });

  it("words the person sent beside tool results (steering) are traced as theirs", () => {
    const messages = [
      ask("refactor the parser"),
      call("r1", "Read", { file_path: `${APP}/parser.ts` }),
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "r1", content: "BODY" },
          { type: "text", text: "keep the public API unchanged" },
        ],
      },
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Refactored." }])));
    expect(ep?.steps.at(-1)).toEqual({ kind: "user", text: "keep the public API unchanged" });
    expect(ep?.words).toBe("refactor the parser");
  });
});

describe("the person's words", () => {
  it("a slash command reads as /name args; interruption markers, caveats and local output are removed", () => {
    expect(
      personWords(
        "<command-message>review is running…</command-message>\n<command-name>/review</command-name>\n<command-args>src/a.ts</command-args>",
      ),
    ).toBe("/review src/a.ts");
    expect(personWords([{ type: "text", text: "[Request interrupted by user]" }])).toBe("");
    expect(
      personWords(
        "Caveat: The messages below were generated by the user while running local commands. DO NOT respond to these messages",
      ),
    ).toBe("");
    expect(personWords("<local-command-stdout>Total cost: $0.01</local-command-stdout>")).toBe("");
  });

  it("a compaction summary is not where an episode starts: the last real question is", () => {
    const messages = [
      {
        role: "user",
        content:
          "This session is being continued from a previous conversation that ran out of context. Summary: …",
      },
      { role: "assistant", content: "ok" },
      ask("now add tests for it"),
    ];
    expect(episodeStart(messages)).toBe(2);
    expect(buildEpisode(input(messages, reply([{ type: "text", text: "Added." }])))?.words).toBe(
      "now add tests for it",
    );
  });

  it("an interrupted request followed by a new question starts a new episode at the new question", () => {
    const messages = [
      ask("first try"),
      call("r1", "Read", { file_path: "a.ts" }),
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "r1", content: "x" },
          { type: "text", text: "[Request interrupted by user for tool use]" },
        ],
      },
      ask("do something else"),
    ];
    expect(episodeStart(messages)).toBe(3);
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Sure." }])));
    expect(ep).toMatchObject({ words: "do something else", steps: [], requests: 1 });
  });

  it("no person message means no episode", () => {
    expect(buildEpisode(input([result("x", "y")], reply([])))).toBeNull();
    expect(buildEpisode(input([], null))).toBeNull();
    expect(buildEpisode(input([null, 3, "x", { role: "user" }], null))).toBeNull();
  });
});

describe("recall and sub-agents", () => {
  it("this project's own memory tools are traced as recall and their results (even errors) never kept", () => {
    const messages = [
      ask("what did we decide about the cache?"),
      call("m1", "mcp__memory__search_memories", { query: "cache decision" }),
      result("m1", "MEMORY-RESULT-BODY"),
      call("m2", "mcp__mem__get_memory", { id: "0190-abc" }),
      result("m2", "MEMORY-ERROR-BODY", true),
      call("m3", "ReadMcpResourceTool", { server: "memory", uri: "memory://recent" }),
      result("m3", "RESOURCE-BODY"),
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "We decided to key on locale." }])));
    expect(ep?.steps).toEqual([
      { kind: "tool", tool: "mcp__memory__search_memories", line: "recalled: cache decision" },
      { kind: "tool", tool: "mcp__mem__get_memory", line: "recalled: 0190-abc" },
      { kind: "tool", tool: "ReadMcpResourceTool", line: "recalled: memory://recent" },
    ]);
    expect(JSON.stringify(ep)).not.toMatch(/BODY/);
  });

  it("another MCP server's tools are traced by server and tool", () => {
    const messages = [ask("file an issue"), call("g", "mcp__github__create_issue", { title: "Flaky build" })];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Filed." }])));
    expect(ep?.steps).toEqual([
      { kind: "tool", tool: "mcp__github__create_issue", line: "github/create_issue: Flaky build" },
    ]);
  });

  it("a delegation names the sub-agent's task and the first line of its result", () => {
    const messages = [
      ask("which files are here?"),
      call("a1", "Agent", {
        description: "List project files",
        prompt: "SUBTASK",
        subagent_type: "general-purpose",
      }),
      result("a1", [
        { type: "text", text: "Three files: a, b and c.\nMore detail." },
        { type: "text", text: "agentId: abc (use SendMessage …)" },
      ]),
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "a, b, c." }])));
    expect(ep?.steps).toEqual([
      { kind: "tool", tool: "Agent", line: "Agent: List project files → Three files: a, b and c." },
    ]);
    expect(ep?.subagents).toEqual(["List project files → Three files: a, b and c."]);
    expect(JSON.stringify(ep)).not.toContain("SUBTASK");
  });
});

describe("the memory of an episode", () => {
  it("reads as the words, the answer and the trace; metadata carries the facts, no usage-only noise in the text", () => {
    const messages = [
      ask("fix add()"),
      call("e", "Edit", { file_path: `${APP}/math.js`, old_string: "-", new_string: "+" }),
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Fixed." }])));
    const mem = episodeToMemory(ep as never);
    expect(mem.memory).toBe("User: fix add()\nAssistant: Fixed.\nTrace:\n- Edit math.js");
    expect(mem).toMatchObject({
      user_id: "u",
      app_id: APP,
      run_id: "s1",
      categories: ["conversation"],
      created_at: "2026-12-01T10:00:00.000Z",
      metadata: {
        source: "capture",
        kind: "episode",
        files_changed: [`${APP}/math.js`],
        requests: 2,
        duration_ms: 9000,
        complete: true,
      },
    });
    expect(mem.messages).toEqual([
      { role: "user", content: "fix add()" },
      { role: "assistant", content: "Fixed." },
    ]);
  });

  it("bounds the trace and says how much was left out", () => {
    const messages: unknown[] = [ask("read everything")];
    for (let i = 0; i < 60; i++) {
      messages.push(call(`r${i}`, "Read", { file_path: `${APP}/f${i}.ts` }), result(`r${i}`, "x"));
    }
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Read them." }])));
    const text = episodeText(ep as never);
    expect(text).toContain("- … 20 more steps");
    expect(text.split("\n").filter((l) => l.startsWith("- Read "))).toHaveLength(40);
    expect(ep?.files_read).toHaveLength(60);
  });

  it("secrets in commands, paths and errors are redacted", () => {
    const key = ["sk-ant-", "api03-", "QQQQwwwwEEEErrrrTTTTyyyy0123"].join("");
    const messages = [
      ask("deploy"),
      call("b", "Bash", { command: `curl -H 'x-api-key: ${key}' https://api.example.com` }),
      result("b", `Error: bad key ${key}`, true),
    ];
    const ep = buildEpisode(input(messages, reply([{ type: "text", text: "Failed." }])));
    expect(JSON.stringify(ep)).not.toContain(key);
    expect(ep?.commands[0]).toContain("[REDACTED:anthropic_key]");
  });
});
