/**
 * `npm run bench:redaction [-- --mb 4] [--rounds 5]`
 *
 * Throughput of `redact()` on real-looking conversation (code, logs, hashes,
 * UUIDs, base64 images; no secret in it), next to two baselines measured in
 * the same run on the same text: a copy of the text (a UTF-8 round trip) and
 * a plain one-pattern token scan (what a single gitleaks-style rule costs). Also: false positives per MB on that text, and
 * how many kinds of the fake-secret corpus are caught in every placement.
 */
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { redact } from "../src/core/capture/redaction.js";
import { conversationCorpus } from "./lib/conversation-corpus.js";
import { elapsedMs, round3 } from "./lib/percentile.js";
import { makeFakes, PLACEMENTS } from "./lib/secret-corpus.js";
import { fmt, formatTable } from "./lib/table.js";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "4" }, rounds: { type: "string", default: "5" } },
});
const mb = Number(values.mb);
const rounds = Number(values.rounds);
if (!(mb > 0) || !(rounds > 0)) throw new Error("--mb and --rounds take positive numbers");

const MB = 1024 * 1024;
// Split like stored turns are: many texts of a few KB, not one huge string.
const corpus = conversationCorpus(mb * MB);
const texts: string[] = [];
for (let i = 0; i < corpus.length; ) {
  const cut = corpus.indexOf("\n", i + 8192);
  const end = cut === -1 ? corpus.length : cut + 1;
  texts.push(corpus.slice(i, end));
  i = end;
}
const bytes = texts.reduce((n, t) => n + t.length, 0);

const copy = (t: string) => Buffer.from(t, "utf8").toString("utf8");
const oneRule = (t: string) => t.replace(/(?<![A-Za-z0-9_-])sk-ant-[\w-]{20,}/g, "[REDACTED:anthropic_key]");

function time(f: (t: string) => string): number {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (const t of texts) sink += f(t).length;
  if (sink < 0) throw new Error("unreachable");
  return elapsedMs(start);
}

// Warm up, then take turns so that a busy machine slows all three alike.
for (const f of [copy, oneRule, redact]) time(f);
const ms = { copy: 0, oneRule: 0, redact: 0 };
for (let r = 0; r < rounds; r++) {
  ms.copy += time(copy);
  ms.oneRule += time(oneRule);
  ms.redact += time(redact);
}
const mbps = (total: number) => ((bytes / MB) * rounds) / (total / 1000);

let falsePositives = 0;
for (const t of texts) falsePositives += (redact(t).match(/\[REDACTED:[a-z_]+\]/g) ?? []).length;

const fakes = makeFakes();
let caught = 0;
for (const { fake } of fakes) {
  if (PLACEMENTS.every((p) => !redact(p.wrap(fake.text)).includes(fake.secret))) caught++;
}

const [load1 = 0] = loadavg();
console.log(
  `redaction on ${fmt(bytes / MB, 1)} MB of conversation in ${fmt(texts.length)} texts, ${rounds} rounds; ` +
    `load ${fmt(load1, 2)} on ${availableParallelism()} cores\n`,
);
console.log(
  formatTable(
    ["pass", "MB/s", "redact is x slower"],
    [
      ["utf-8 copy (baseline)", fmt(mbps(ms.copy), 1), fmt(ms.redact / ms.copy, 1)],
      ["one token rule (baseline)", fmt(mbps(ms.oneRule), 1), fmt(ms.redact / ms.oneRule, 1)],
      ["redact()", fmt(mbps(ms.redact), 1), "1.0"],
    ],
  ),
);
console.log(
  `\nfalse positives: ${falsePositives} in ${fmt(bytes / MB, 1)} MB = ${round3(falsePositives / (bytes / MB))} per MB`,
);
console.log(
  `secret corpus: ${caught} of ${fakes.length} kinds caught in all ${PLACEMENTS.length} placements`,
);
if (caught < fakes.length) process.exitCode = 1;
