import { randomText } from "./contract-fixtures.js";

/** Each one has broken a naive FTS5 query somewhere; the store must answer all with a list. */
export const HOSTILE: [name: string, query: string][] = [
  ["a lone double quote", '"'],
  ["a lone single quote", "'"],
  ["the AND operator alone", "AND"],
  ["OR NOT", "OR NOT"],
  ["an open NEAR(", "NEAR("],
  ["a NEAR group", "NEAR(postgres flyway, 1)"],
  ["a lone star", "*"],
  ["a prefix star", "postg*"],
  ["a column filter", "col:x"],
  ["a real column filter", "memory:postgres"],
  ["a caret", "^"],
  ["an initial-token caret", "^postgres"],
  ["open brackets", "((("],
  ["unbalanced brackets", "(postgres OR"],
  ["emoji only", "😀🔥🚀"],
  ["emoji glued to a word", "🔥postgres🔥"],
  ["10 kB of random text", randomText(10_000, 99)],
  ["10 kB of one word", "postgres ".repeat(1_100)],
  ["the empty string", ""],
  ["only stop words", "the of and to is it"],
  ["NUL bytes", "post\u0000gres\u0000"],
  ["only NUL bytes", "\u0000\u0000\u0000"],
  ["SQL", "'; DROP TABLE memories; --"],
  ["a minus and a plus", "-postgres +flyway"],
];
