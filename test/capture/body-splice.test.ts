import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { spliceNotes } from "../../src/capture/injection/body-splice.js";
import { withNotes } from "../../src/core/recall/proxy-injection.js";

const NOTES =
  '<past-session-notes>\n- [2026-12-01, acme-api] "quoted" \\ back\\slash, tab\t, é, 😀\n</past-session-notes>';

function kindsOf(body: { messages: unknown[] }, notes: ReadonlyMap<number, string>) {
  const kinds = new Map<number, "string" | "array">();
  for (const i of notes.keys()) {
    const content = (body.messages[i] as { content?: unknown } | undefined)?.content;
    if (typeof content === "string") kinds.set(i, "string");
    else if (Array.isArray(content)) kinds.set(i, "array");
  }
  return kinds;
}

/** Splices, and checks that the result parses to what withNotes gives for the parsed body. */
function splicedLikeWithNotes(raw: string, indexes: number[]): string | null {
  const parsed = JSON.parse(raw) as { messages: unknown[] };
  const notes = new Map(indexes.map((i) => [i, `${NOTES} ${i}`]));
  const out = spliceNotes(Buffer.from(raw, "utf8"), notes, parsed.messages.length, kindsOf(parsed, notes));
  if (out === null) return null;
  expect(JSON.parse(out.toString("utf8"))).toEqual(withNotes(parsed, notes));
  return out.toString("utf8");
}

describe("spliceNotes", () => {
  it("inserts into the client's bytes exactly where withNotes adds the notes, leaving every other byte", () => {
    const raw = `{ "model" : "m",\n  "messages" : [\n    { "role": "user", "content" : "hi there" },\n    {"role":"assistant","content":[{"type":"text","text":"hello"}]},\n    {"role":"user","content": [ {"type":"text","text":"more","cache_control":{"type":"ephemeral"}} ] }\n  ],\n  "max_tokens": 10 }\n`;
    const out = splicedLikeWithNotes(raw, [0, 2]);
    const escaped = (i: number) => JSON.stringify(`${NOTES} ${i}\n\n`).slice(1, -1);
    expect(out).toBe(
      raw
        .replace('"content" : "hi there"', `"content" : "${escaped(0)}hi there"`)
        .replace(
          '"content": [ {"type":"text","text":"more"',
          `"content": [${JSON.stringify({ type: "text", text: `${NOTES} 2` })}, {"type":"text","text":"more"`,
        ),
    );
  });

  it("matches withNotes for awkward bodies", () => {
    const cases: [string, number[]][] = [
      // An empty block list gets the notes block alone.
      ['{"messages":[{"role":"user","content":[]}]}', [0]],
      // Escaped quotes and backslashes before the closing quote, keys with escapes, unicode.
      [
        '{"messages":[{"role":"user","content":"a \\"quoted\\" \\\\"},{"role":"assistant","content":"ok"},{"r\\u006fle":"user","c\\u006fntent":"é 😀 \\u00e9"}]}',
        [0, 2],
      ],
      // Duplicate keys: JSON.parse keeps the last, so does the splice.
      [
        '{"messages":[{"role":"user","content":"old"}],"messages":[{"role":"user","content":"first","content":"second"}]}',
        [0],
      ],
      // Nested "messages" and "content" keys are not the request's.
      [
        '{"metadata":{"messages":[{"content":"x"}]},"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"},{"type":"text","text":"q"}]}]}',
        [0],
      ],
      // Numbers, literals and nesting around the messages.
      [
        '{"a":[1,-2.5e3,true,false,null,{"b":[[]]}],"messages":[{"role":"user","content":"x","n":0}],"z":{}}',
        [0],
      ],
    ];
    for (const [raw, indexes] of cases) expect(splicedLikeWithNotes(raw, indexes)).not.toBeNull();
  });

  it("gives null (the caller re-serialises) for what it does not expect", () => {
    const notes = new Map([[0, NOTES]]);
    const kinds = new Map<number, "string" | "array">([[0, "string"]]);
    for (const raw of [
      '{"messages":[{"role":"user","content":"x"}]} trailing',
      '{"messages":[{"role":"user","content":"x"}',
      '{"messages":[]}',
      '{"messages":[{"role":"user","content":{"type":"text"}}]}',
      '[{"messages":[]}]',
    ]) {
      expect(spliceNotes(Buffer.from(raw), notes, 1, kinds)).toBeNull();
    }
    // The parsed body says block list, the bytes say string: not spliced.
    expect(
      spliceNotes(Buffer.from('{"messages":[{"content":"x"}]}'), notes, 1, new Map([[0, "array"]])),
    ).toBeNull();
    // A different message count than the parsed body's.
    expect(spliceNotes(Buffer.from('{"messages":[{"content":"x"}]}'), notes, 2, kinds)).toBeNull();
  });

  it("matches withNotes on every Messages request Claude Code sent in the recorded sessions", () => {
    let checked = 0;
    for (const session of ["agentic-read-bash", "fix-with-error", "subagent"]) {
      const lines = readFileSync(`test/fixtures/claude-code/sessions/${session}/requests.jsonl`, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { path: string; body: unknown });
      for (const line of lines) {
        if (line.path !== "/v1/messages" || line.body === null || typeof line.body !== "object") continue;
        const raw = JSON.stringify(line.body);
        const messages = (line.body as { messages: { role: string }[] }).messages;
        const users = messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
        expect(splicedLikeWithNotes(raw, users)).not.toBeNull();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});
