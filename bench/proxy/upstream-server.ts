/**
 * Child process: the bench's upstream, an HTTPS server shaped like the
 * Messages API. JSON replies, or SSE streams whose events carry the
 * monotonic send time (`"t":"<hrtime ns>"`, comparable across processes on
 * one machine) so that clients can measure per-event delay.
 *
 * `POST /v1/messages[?events=N&interval_ms=M][&same=1]`; prints `{"port":N}` on stdout.
 * Every JSON reply is unique (a counter and a timestamp in its text), as real
 * ones are; with `same=1` it is always the same bytes (the identical-body case).
 * Args: <certPem file> <keyPem file>
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";

const [certFile, keyFile] = process.argv.slice(2);
const cert = readFileSync(certFile as string, "utf8");
const key = readFileSync(keyFile as string, "utf8");

let replies = 0;
const SAME_REPLY = JSON.stringify({
  id: "msg_bench_same",
  type: "message",
  role: "assistant",
  model: "claude-bench",
  content: [{ type: "text", text: "Benchmarks measure what they measure; read the table." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 42, output_tokens: 12 },
});
/** Every reply is different, as real ones are: no capture is skipped as a duplicate. */
const jsonReply = () =>
  JSON.stringify({
    id: `msg_bench_${++replies}`,
    type: "message",
    role: "assistant",
    model: "claude-bench",
    content: [
      {
        type: "text",
        text: `Benchmarks measure what they measure; read the table. Reply ${replies} at ${now()}.`,
      },
    ],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 42, output_tokens: 12 },
  });

const sse = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;
const now = () => process.hrtime.bigint().toString();

function stream(res: ServerResponse, events: number, intervalMs: number): void {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  res.write(
    sse(
      "message_start",
      `{"type":"message_start","t":"${now()}","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-bench","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":42,"output_tokens":1}}}`,
    ) +
      sse(
        "content_block_start",
        `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
      ),
  );
  let sent = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (sent < events) {
      sent++;
      res.write(
        sse(
          "content_block_delta",
          `{"type":"content_block_delta","index":0,"t":"${now()}","delta":{"type":"text_delta","text":"word${sent} "}}`,
        ),
      );
      setTimeout(tick, intervalMs);
      return;
    }
    res.end(
      sse("content_block_stop", `{"type":"content_block_stop","index":0}`) +
        sse(
          "message_delta",
          `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${events}}}`,
        ) +
        sse("message_stop", `{"type":"message_stop","t":"${now()}"}`),
    );
  };
  setTimeout(tick, intervalMs);
}

const server = createServer({ cert, key, keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
  let size = 0;
  let streaming = false;
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size < 64 * 1024) chunks.push(c);
  });
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    streaming = body.includes('"stream":true');
    const url = new URL(req.url ?? "/", "https://x");
    if (streaming) {
      stream(
        res,
        Number(url.searchParams.get("events") ?? 100),
        Number(url.searchParams.get("interval_ms") ?? 5),
      );
      return;
    }
    const reply = url.searchParams.get("same") === "1" ? SAME_REPLY : jsonReply();
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(reply) });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
