import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { j } from "../../bench/lib/secret-corpus.js";
import { dataOf, errorTextOf, type Harness, openHarness, textOf } from "./harness.js";

const KEY = j("sk", "-ant-", "api03-", "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm9");
const PW = j("Hun", "ter2", "-Xq7!");

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

describe("add_memory and update_memory redact secrets unless redact: false", () => {
  it("redacts text and messages, says how many without showing them", async () => {
    const r = await h.call("add_memory", { text: `use ${KEY} for the eval job` });
    const m = dataOf(r).memory;
    expect(m.memory).toBe("use [REDACTED:anthropic_key] for the eval job");
    expect(textOf(r)).toContain("1 secret redacted (anthropic_key); pass redact: false to keep them");
    expect(JSON.stringify(r)).not.toContain(KEY);

    const msgs = await h.call("add_memory", {
      messages: [
        { role: "user", content: `my password is ${PW}` },
        { role: "assistant", content: "Noted." },
      ],
    });
    expect(dataOf(msgs).memory.memory).toBe("user: my password is [REDACTED:password]\nassistant: Noted.");

    const upd = await h.call("update_memory", { memory_id: m.id, text: `now ${KEY}` });
    expect(dataOf(upd).memory.memory).toBe("now [REDACTED:anthropic_key]");
    const hist = JSON.stringify(dataOf(await h.call("memory_history", { memory_id: m.id })));
    expect(hist).not.toContain(KEY);
  });

  it("keeps a secret the user wants remembered with redact: false, and rejects a non-boolean", async () => {
    const r = await h.call("add_memory", { text: `the door code password is ${PW}`, redact: false });
    expect(dataOf(r).memory.memory).toBe(`the door code password is ${PW}`);
    expect(textOf(r)).not.toContain("redacted");
    expect(errorTextOf(await h.call("add_memory", { text: "x", redact: "no" }))).toMatch(
      /redact must be true or false/,
    );
  });
});
