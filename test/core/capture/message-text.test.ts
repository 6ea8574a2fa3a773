import { describe, expect, it } from "vitest";
import {
  assistantContentText,
  stripSystemReminders,
  truncate,
  userContentText,
} from "../../../src/core/capture/message-text.js";

describe("stripSystemReminders", () => {
  it("removes every reminder block and keeps the rest", () => {
    expect(
      stripSystemReminders("a<system-reminder>x</system-reminder>b<SYSTEM-REMINDER>y</system-reminder>c"),
    ).toBe("abc");
    expect(stripSystemReminders("no reminders")).toBe("no reminders");
  });

  it("drops an unclosed reminder to the end", () => {
    expect(stripSystemReminders("keep<system-reminder>never closed")).toBe("keep");
  });

  it("is linear on 1 MB of opening tags and on 1 MB without a closing tag", () => {
    const opens = "<system-reminder>".repeat(60_000);
    expect(stripSystemReminders(opens)).toBe("");
    const pairs = "<system-reminder></system-reminder>u".repeat(30_000);
    expect(stripSystemReminders(pairs)).toBe("u".repeat(30_000));
  });
});

describe("truncate", () => {
  it("cuts with a note and never splits a surrogate pair", () => {
    expect(truncate("abcdef", 10)).toBe("abcdef");
    expect(truncate("abcdef", 3)).toBe("abc… [truncated 3 chars]");
    expect(truncate("ab🚀cd", 3)).toBe("ab… [truncated 4 chars]");
  });
});

describe("userContentText", () => {
  it("reads strings, text blocks, tool results and placeholders for media", () => {
    expect(userContentText("  hi  ")).toBe("hi");
    expect(
      userContentText([
        { type: "text", text: "<system-reminder>ctx</system-reminder>\n\n" },
        { type: "text", text: "look at this" },
        { type: "image", source: { type: "base64", data: "AAAA" } },
        { type: "tool_result", tool_use_id: "t", content: "result text" },
        { type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "a" }, { type: "image" }] },
        { type: "unknown_block" },
        "not a block",
      ]),
    ).toBe("look at this\n\n[image]\n\nresult text\n\na\n[image]");
    expect(userContentText(undefined)).toBe("");
    expect(userContentText(42)).toBe("");
  });
});

describe("assistantContentText", () => {
  it("keeps text, summarises tool calls, bounds their input, drops thinking", () => {
    const text = assistantContentText([
      { type: "thinking", thinking: "secret plan", signature: "s" },
      { type: "redacted_thinking", data: "xx" },
      { type: "text", text: "Running it." },
      { type: "tool_use", id: "t", name: "Write", input: { content: "y".repeat(2000) } },
      { type: "server_tool_use", id: "s", name: "web_search", input: { query: "q" } },
      { type: "web_search_tool_result", tool_use_id: "s", content: [] },
      { type: "tool_use", id: "p", name: "Bash", input: {}, input_partial_json: '{"command":"ls' },
      { type: "future_block", text: "future text" },
      { type: "future_block_without_text" },
    ]);
    const parts = text.split("\n\n");
    expect(parts[0]).toBe("Running it.");
    expect(parts[1]).toMatch(/^\[tool_use Write \{"content":"y+… \[truncated 1514 chars\]\]$/);
    expect(parts.slice(2)).toEqual([
      '[server_tool_use web_search {"query":"q"}]',
      "[web_search_tool_result]",
      '[tool_use Bash {"command":"ls]',
      "future text",
    ]);
    expect(text).not.toContain("secret plan");
  });
});
